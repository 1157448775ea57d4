//! The domain's one error type. Each variant has a stable code
//! ([`DomainError::code`]); the HTTP layer maps codes to statuses in one place.

use inbox_types::{ErrorCode, ValidationError};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DomainError {
    #[error("{0}")]
    Validation(#[from] ValidationError),

    #[error("{0}")]
    Unauthorized(String),

    #[error("{0}")]
    Forbidden(String),

    #[error("{0} not found")]
    NotFound(&'static str),

    #[error("{message}")]
    Conflict { message: String, existing_message_id: Option<Uuid> },

    #[error("could not create the contact")]
    ContactCreateFailed(#[source] sqlx::Error),

    #[error("could not create the conversation")]
    ConversationCreateFailed(#[source] sqlx::Error),

    #[error("could not store the message")]
    MessageInsertFailed(#[source] sqlx::Error),

    /// The provider refused or could not be reached. The message is stored as
    /// failed; the ids let a client show it and offer retry.
    #[error("WhatsApp did not accept the message: {reason}")]
    WhatsappSendFailed {
        message_id: Uuid,
        conversation_id: Uuid,
        provider_code: Option<String>,
        reason: String,
        transient: bool,
    },

    #[error("too many requests; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },

    #[error("no WhatsApp channel is set up for this company")]
    ChannelNotConfigured,

    #[error("the database is unavailable")]
    Unavailable(#[source] sqlx::Error),

    /// Anything unexpected. Logged with its cause; clients see only the code.
    #[error("internal error")]
    Internal(#[source] anyhow_like::BoxError),
}

pub type DomainResult<T> = Result<T, DomainError>;

impl DomainError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Validation(_) => ErrorCode::ValidationError,
            Self::Unauthorized(_) => ErrorCode::Unauthorized,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Conflict { .. } => ErrorCode::Conflict,
            Self::ContactCreateFailed(_) => ErrorCode::ContactCreateFailed,
            Self::ConversationCreateFailed(_) => ErrorCode::ConversationCreateFailed,
            Self::MessageInsertFailed(_) => ErrorCode::MessageInsertFailed,
            Self::WhatsappSendFailed { .. } => ErrorCode::WhatsappSendFailed,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::ChannelNotConfigured => ErrorCode::ChannelNotConfigured,
            Self::Unavailable(_) => ErrorCode::ServiceUnavailable,
            Self::Internal(_) => ErrorCode::Unknown,
        }
    }

    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(ValidationError::new(field, message))
    }

    pub fn internal(e: impl Into<anyhow_like::BoxError>) -> Self {
        Self::Internal(e.into())
    }

    /// Whether a client may see this error's text as is. Internal causes are
    /// logged, never sent.
    pub fn is_client_facing(&self) -> bool {
        !matches!(
            self,
            Self::Internal(_)
                | Self::Unavailable(_)
                | Self::ContactCreateFailed(_)
                | Self::ConversationCreateFailed(_)
                | Self::MessageInsertFailed(_)
        )
    }
}

impl From<sqlx::Error> for DomainError {
    fn from(e: sqlx::Error) -> Self {
        if is_unavailable(&e) {
            return Self::Unavailable(e);
        }
        // Text PostgreSQL cannot store (a NUL byte) is the client's doing; a
        // safety net behind the explicit checks at the boundary.
        if e.as_database_error().and_then(|d| d.code()).is_some_and(|c| c == "22021" || c == "22P05") {
            return Self::validation("body", "the request contains characters that cannot be stored (NUL)");
        }
        Self::Internal(Box::new(e))
    }
}

/// Connection-level failures (pool timeout, refused, reset) mean the database
/// is away, not that the request was wrong.
/// The database cannot be reached or is going away (not a fault of the
/// request): a pool timeout, a broken connection, or PostgreSQL refusing or
/// ending connections (a restart, a failover, a database closed to
/// connections, too many clients).
pub(crate) fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => {
            let code = d.code().unwrap_or_default();
            // 08: connection exception; 57P01-03: shutdown, crash, cannot
            // connect now; 53300: too many connections; 55000 with this
            // text: the database does not allow connections.
            code.starts_with("08")
                || matches!(code.as_ref(), "57P01" | "57P02" | "57P03" | "53300")
                || (code == "55000" && d.message().contains("not currently accepting connections"))
        }
        _ => false,
    }
}

/// The name of the constraint a database error violated, if any.
pub(crate) fn violated_constraint(e: &sqlx::Error) -> Option<&str> {
    e.as_database_error().and_then(|d| d.constraint())
}

pub mod anyhow_like {
    pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_code_is_produced_by_some_domain_error() {
        let samples = [
            DomainError::validation("phoneNumber", "bad"),
            DomainError::Unauthorized("no".into()),
            DomainError::Forbidden("no".into()),
            DomainError::NotFound("conversation"),
            DomainError::Conflict { message: "dup".into(), existing_message_id: None },
            DomainError::ContactCreateFailed(sqlx::Error::RowNotFound),
            DomainError::ConversationCreateFailed(sqlx::Error::RowNotFound),
            DomainError::MessageInsertFailed(sqlx::Error::RowNotFound),
            DomainError::WhatsappSendFailed {
                message_id: Uuid::nil(),
                conversation_id: Uuid::nil(),
                provider_code: None,
                reason: "x".into(),
                transient: false,
            },
            DomainError::RateLimited { retry_after_secs: 1 },
            DomainError::ChannelNotConfigured,
            DomainError::Unavailable(sqlx::Error::PoolTimedOut),
            DomainError::internal("boom"),
        ];
        // METHOD_NOT_ALLOWED is the HTTP layer's routing answer, no rule's.
        for code in ErrorCode::ALL.into_iter().filter(|c| *c != ErrorCode::MethodNotAllowed) {
            assert!(samples.iter().any(|e| e.code() == code), "{code} is produced by no DomainError");
        }
    }

    #[test]
    fn internal_causes_are_not_client_facing() {
        assert!(!DomainError::internal("secret detail").is_client_facing());
        assert!(DomainError::NotFound("message").is_client_facing());
    }
}
