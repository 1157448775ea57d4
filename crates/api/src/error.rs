//! Every error answer: the HTTP status of each code is decided here, once.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use inbox_domain::DomainError;
use inbox_types::{ErrorBody, ErrorCode, ValidationError};

/// An error answered to a client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A rule of the domain said no (or something failed inside it).
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The request itself is malformed: not JSON, an unknown field, a path
    /// id that is not a UUID. Answered 400 (a well-formed request with bad
    /// values is 422).
    #[error("{0}")]
    Malformed(ValidationError),
    /// The body is larger than the server accepts.
    #[error("request body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    /// The path exists, but not with this method; `allow` lists the ones
    /// it answers (sent as the `Allow` header RFC 9110 requires).
    #[error("this path does not answer {method}; it answers {allow}")]
    MethodNotAllowed { method: String, allow: String },
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        Self::Domain(DomainError::Validation(e))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The HTTP status for each error code.
pub fn status_for(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::ValidationError => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::WhatsappSendFailed => StatusCode::BAD_GATEWAY,
        ErrorCode::ChannelNotConfigured => StatusCode::CONFLICT,
        ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::ContactCreateFailed
        | ErrorCode::ConversationCreateFailed
        | ErrorCode::MessageInsertFailed
        | ErrorCode::Unknown => StatusCode::INTERNAL_SERVER_ERROR,
        // ErrorCode is non_exhaustive for clients; every code we have is above.
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl ApiError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Domain(e) => e.code(),
            Self::Malformed(_) | Self::TooLarge { .. } => ErrorCode::ValidationError,
            Self::MethodNotAllowed { .. } => ErrorCode::MethodNotAllowed,
        }
    }

    pub fn malformed(field: &str, message: impl Into<String>) -> Self {
        Self::Malformed(ValidationError::new(field, message))
    }

    fn body(&self) -> ErrorBody {
        let mut body = ErrorBody::new(self.code(), self.to_string());
        match self {
            Self::Malformed(v) | Self::Domain(DomainError::Validation(v)) => {
                body.error = v.message.clone();
                body.field = Some(v.field.clone());
            }
            Self::Domain(DomainError::WhatsappSendFailed { message_id, conversation_id, reason, .. }) => {
                body.error = format!("WhatsApp did not accept the message: {reason}");
                body.message_id = Some(*message_id);
                body.conversation_id = Some(*conversation_id);
            }
            Self::Domain(DomainError::Conflict { existing_message_id, .. }) => {
                body.message_id = *existing_message_id;
            }
            Self::Domain(e) if !e.is_client_facing() => {
                // Internal detail is logged, never sent.
                body.error = match e.code() {
                    ErrorCode::ServiceUnavailable => "The service is temporarily unavailable; try again shortly",
                    ErrorCode::ContactCreateFailed => "Could not create the contact",
                    ErrorCode::ConversationCreateFailed => "Could not create the conversation",
                    ErrorCode::MessageInsertFailed => "Could not store the message",
                    _ => "Something went wrong on our side",
                }
                .into();
            }
            _ => {}
        }
        body
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Malformed(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::MethodNotAllowed { .. } | Self::Domain(_) => status_for(self.code()),
        }
    }

    fn error_response(&self) -> HttpResponse {
        // Logged once, by level, in `telemetry::RequestSpan`.
        let status = self.status_code();
        let mut res = HttpResponse::build(status);
        if let Self::Domain(DomainError::RateLimited { retry_after_secs }) = self {
            res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if let Self::MethodNotAllowed { allow, .. } = self {
            res.insert_header((header::ALLOW, allow.as_str()));
        }
        if status == StatusCode::UNAUTHORIZED {
            res.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        res.json(self.body())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_code_has_its_status() {
        let expected = [
            (ErrorCode::ValidationError, 422),
            (ErrorCode::ContactCreateFailed, 500),
            (ErrorCode::ConversationCreateFailed, 500),
            (ErrorCode::MessageInsertFailed, 500),
            (ErrorCode::WhatsappSendFailed, 502),
            (ErrorCode::Unauthorized, 401),
            (ErrorCode::Forbidden, 403),
            (ErrorCode::NotFound, 404),
            (ErrorCode::Conflict, 409),
            (ErrorCode::RateLimited, 429),
            (ErrorCode::ChannelNotConfigured, 409),
            (ErrorCode::ServiceUnavailable, 503),
            (ErrorCode::MethodNotAllowed, 405),
            (ErrorCode::Unknown, 500),
        ];
        assert_eq!(expected.len(), ErrorCode::ALL.len(), "a new code needs a status here");
        for (code, status) in expected {
            assert_eq!(status_for(code).as_u16(), status, "{code}");
        }
    }

    #[test]
    fn internal_details_never_reach_the_client() {
        let e = ApiError::from(DomainError::internal("password=hunter2 at db.internal:5432"));
        let body = serde_json::to_string(&e.body()).unwrap();
        assert!(!body.contains("hunter2"), "{body}");
        assert!(body.contains("UNKNOWN"));
    }
}
