//! Error codes of the API (stable: clients match on them) and validation errors.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Every error code a client can receive. The HTTP status of each is decided
/// in one place on the server; the browser app shows them by code.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ErrorCode {
    ValidationError,
    ContactCreateFailed,
    ConversationCreateFailed,
    MessageInsertFailed,
    WhatsappSendFailed,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    RateLimited,
    ChannelNotConfigured,
    ServiceUnavailable,
    /// The path exists but not with this method (routing, not the domain).
    MethodNotAllowed,
    Unknown,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 14] = [
        Self::ValidationError,
        Self::ContactCreateFailed,
        Self::ConversationCreateFailed,
        Self::MessageInsertFailed,
        Self::WhatsappSendFailed,
        Self::Unauthorized,
        Self::Forbidden,
        Self::NotFound,
        Self::Conflict,
        Self::RateLimited,
        Self::ChannelNotConfigured,
        Self::ServiceUnavailable,
        Self::MethodNotAllowed,
        Self::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ValidationError => "VALIDATION_ERROR",
            Self::ContactCreateFailed => "CONTACT_CREATE_FAILED",
            Self::ConversationCreateFailed => "CONVERSATION_CREATE_FAILED",
            Self::MessageInsertFailed => "MESSAGE_INSERT_FAILED",
            Self::WhatsappSendFailed => "WHATSAPP_SEND_FAILED",
            Self::Unauthorized => "UNAUTHORIZED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::Conflict => "CONFLICT",
            Self::RateLimited => "RATE_LIMITED",
            Self::ChannelNotConfigured => "CHANNEL_NOT_CONFIGURED",
            Self::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::Unknown => "UNKNOWN",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rejected input field, with a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ValidationError {
    /// The field's name as the client spelled it (camelCase).
    pub field: String,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// The JSON body of every error answer:
/// `{"success": false, "error": "...", "code": "..."}`, plus the ids a client
/// needs to show a failed send and offer retry.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub success: bool,
    pub error: String,
    pub code: ErrorCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<Uuid>,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, error: impl Into<String>) -> Self {
        Self { success: false, error: error.into(), code, field: None, message_id: None, conversation_id: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_as_the_plans_names() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
        }
    }

    #[test]
    fn error_body_has_the_plans_shape() {
        let body = ErrorBody::new(ErrorCode::NotFound, "Conversation not found");
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({"success": false, "error": "Conversation not found", "code": "NOT_FOUND"})
        );
    }
}
