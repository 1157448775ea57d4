//! Request and response bodies of the HTTP API (plan section 4.1), camelCase
//! on the wire. Requests reject unknown fields so a typo is an error, not a
//! silently ignored value.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::content::{MessageContent, MessageKind};
use crate::cursor::Cursor;
use crate::error::ValidationError;
use crate::filter::ConversationFilter;
use crate::phone::{E164Phone, NumberRule, PhoneRegion};
use crate::status::{MessageDirection, MessageStatus};
use crate::text::MessageText;

/// `POST /api/messages`: send to a phone number, creating the contact and
/// conversation when needed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SendNewMessageRequest {
    /// Optional; when present it must be the caller's own company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_id: Option<Uuid>,
    #[cfg_attr(feature = "openapi", schema(schema_with = E164Phone::input_schema))]
    pub phone_number: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = MessageText::schema))]
    pub message_text: String,
    /// A key the client makes up per message; sending the same key twice
    /// answers CONFLICT instead of sending a second WhatsApp message.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128, pattern = r"^[!-~]+$"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key: Option<String>,
}

/// A send request whose fields passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub phone: E164Phone,
    pub text: MessageText,
    pub client_key: Option<ClientKey>,
}

impl SendNewMessageRequest {
    /// Checks every field; the first problem found is returned, naming its field.
    pub fn validate(&self, region: Option<PhoneRegion>) -> Result<NewMessage, ValidationError> {
        self.validate_with(region, NumberRule::Valid)
    }

    /// [`Self::validate`] under a company's [`NumberRule`].
    pub fn validate_with(&self, region: Option<PhoneRegion>, rule: NumberRule) -> Result<NewMessage, ValidationError> {
        Ok(NewMessage {
            phone: E164Phone::parse_with_rule(&self.phone_number, region, rule)?,
            text: MessageText::parse(&self.message_text)?,
            client_key: self.client_key.as_deref().map(ClientKey::parse).transpose()?,
        })
    }
}

/// `POST /api/conversations/{id}/messages`: send in an existing conversation.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SendMessageRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = MessageText::schema))]
    pub message_text: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128, pattern = r"^[!-~]+$"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key: Option<String>,
}

impl SendMessageRequest {
    pub fn validate(&self) -> Result<(MessageText, Option<ClientKey>), ValidationError> {
        Ok((MessageText::parse(&self.message_text)?, self.client_key.as_deref().map(ClientKey::parse).transpose()?))
    }
}

/// An idempotency key chosen by the client: 1..=128 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ClientKey(String);

impl ClientKey {
    pub const MAX_LEN: usize = 128;

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        if s.is_empty() || s.len() > Self::MAX_LEN || !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ValidationError::new(
                "clientKey",
                format!("clientKey must be 1 to {} visible ASCII characters", Self::MAX_LEN),
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The answer to a successful send or retry (plan's SendNewMessageOutput).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendNewMessageOutput {
    pub success: bool,
    pub conversation_id: Uuid,
    pub contact_id: Uuid,
    pub message_id: Uuid,
    pub created_contact: bool,
    pub created_conversation: bool,
    pub message: SentMessage,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SentMessage {
    pub id: Uuid,
    pub status: MessageStatus,
    pub content: String,
    pub created_at: DateTime<Utc>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactDto {
    pub id: Uuid,
    /// `+` and digits; null for a customer who uses a WhatsApp username and
    /// shares no number (reached by `bsuid`).
    pub phone_number: Option<String>,
    /// WhatsApp's id of the customer's number (its digits as WhatsApp
    /// gives them), once WhatsApp has named it.
    pub wa_id: Option<String>,
    /// WhatsApp's business-scoped user id of the customer.
    pub bsuid: Option<String>,
    /// The customer's WhatsApp username, when they have one.
    pub username: Option<String>,
    pub name: Option<String>,
    pub avatar: Option<String>,
    pub is_group: bool,
    pub presence: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSummary {
    pub id: Uuid,
    pub name: String,
    pub email: String,
}

/// A conversation row of the sidebar, with its contact and assignee.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationDto {
    pub id: Uuid,
    pub contact: ContactDto,
    pub last_message_id: Option<Uuid>,
    pub last_message_preview: Option<String>,
    /// When the last message was sent or received; the conversation's
    /// creation time while it has none. The list is ordered by it.
    pub last_message_time: DateTime<Utc>,
    pub last_message_direction: Option<MessageDirection>,
    pub last_message_status: Option<MessageStatus>,
    pub unread_count: i32,
    pub is_favorite: bool,
    pub is_archived: bool,
    pub assigned_to_user_id: Option<Uuid>,
    pub assignee: Option<UserSummary>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageDto {
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub contact_id: Uuid,
    /// The content's kind (`payload.type`): `text`, `system` for a line
    /// WhatsApp reports about the customer, `image`, `reaction`, ...
    #[serde(default)]
    pub kind: MessageKind,
    pub direction: MessageDirection,
    pub status: MessageStatus,
    /// The plain-text rendering: the text, a caption, or a short line such
    /// as `[image]` (what previews show and search finds).
    pub content: String,
    /// The typed content.
    pub payload: MessageContent,
    /// The provider's id of the message this one replies to (WhatsApp's
    /// `context.id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    pub media_url: Option<String>,
    pub media_type: Option<String>,
    pub provider_message_id: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// Which provider call of its current series of attempts an outbound
    /// message is at (the send, or an agent's retry, is attempt 1; the
    /// automatic retries after a transient failure follow): while it is
    /// `sending`, the attempt running or, when `nextAttemptAt` is set, the
    /// one scheduled; otherwise the last one made. 0 for a received message.
    #[serde(default)]
    pub attempt: i32,
    /// When the next automatic attempt is due (after a transient failure);
    /// null when none is scheduled.
    #[serde(default)]
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl MessageDto {
    /// A text message with nothing else set (the app's bubble for a message
    /// it is sending; tests).
    pub fn text(
        id: Uuid,
        conversation_id: Uuid,
        contact_id: Uuid,
        direction: MessageDirection,
        status: MessageStatus,
        text: &str,
        at: DateTime<Utc>,
    ) -> Self {
        MessageDto {
            id,
            conversation_id,
            contact_id,
            kind: MessageKind::Text,
            direction,
            status,
            content: text.to_owned(),
            payload: MessageContent::text(text),
            reply_to: None,
            media_url: None,
            media_type: None,
            provider_message_id: None,
            error_code: None,
            error_message: None,
            attempt: 0,
            next_attempt_at: None,
            created_by: None,
            created_at: at,
            updated_at: at,
        }
    }
}

/// Page size of list endpoints: 1..=100, 50 when not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimit(u32);

impl PageLimit {
    pub const DEFAULT: PageLimit = PageLimit(50);
    pub const MAX: u32 = 100;

    pub fn new(n: i64) -> Result<Self, ValidationError> {
        if (1..=i64::from(Self::MAX)).contains(&n) {
            Ok(Self(n as u32))
        } else {
            Err(ValidationError::new("limit", format!("limit must be between 1 and {}", Self::MAX)))
        }
    }

    /// Reads a query parameter; absent means the default, but `limit=` is
    /// no number (and not silently the default).
    pub fn parse(raw: Option<&str>) -> Result<Self, ValidationError> {
        match raw {
            None => Ok(Self::DEFAULT),
            Some(s) => s.parse::<i64>().map_err(|_| Self::out_of_range()).and_then(Self::new),
        }
    }

    fn out_of_range() -> ValidationError {
        ValidationError::new("limit", format!("limit must be a whole number between 1 and {}", Self::MAX))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for PageLimit {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Query of `GET /api/conversations`, as the client sent it.
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConversationListQuery {
    /// `all` (default), `unread`, `favorites` or `groups`.
    #[cfg_attr(feature = "openapi", param(value_type = Option<ConversationFilter>, inline, example = "unread"))]
    pub filter: Option<String>,
    /// Part of a contact's name or phone number (at most 100 characters).
    #[cfg_attr(feature = "openapi", param(max_length = 100, pattern = r"^[^\u0000]*$"))]
    pub search: Option<String>,
    /// `true` lists only archived conversations; by default they are left out.
    #[cfg_attr(feature = "openapi", param(value_type = Option<bool>))]
    pub archived: Option<String>,
    /// `nextCursor` of the previous page.
    #[cfg_attr(feature = "openapi", param(min_length = 1))]
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 50).
    #[cfg_attr(feature = "openapi", param(value_type = Option<i64>, minimum = 1, maximum = 100))]
    pub limit: Option<String>,
}

/// A validated conversation list request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConversationListParams {
    pub filter: ConversationFilter,
    /// Trimmed, non-empty, at most 100 characters.
    pub search: Option<String>,
    /// `true` lists only archived conversations; `false` (default) hides them.
    pub archived: bool,
    pub cursor: Option<Cursor>,
    pub limit: PageLimit,
}

impl ConversationListQuery {
    pub fn validate(&self) -> Result<ConversationListParams, ValidationError> {
        let search = self.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if search.is_some_and(|s| s.contains('\0')) {
            return Err(ValidationError::new("search", "search must not contain NUL characters"));
        }
        if search.is_some_and(|s| s.chars().count() > 100) {
            return Err(ValidationError::new("search", "search must be at most 100 characters"));
        }
        Ok(ConversationListParams {
            filter: self.filter.as_deref().map(str::parse).transpose()?.unwrap_or_default(),
            search: search.map(str::to_owned),
            // Only the spec's booleans: `archived=` or `archived=1` would be
            // a guess at what the client meant.
            archived: match self.archived.as_deref() {
                None | Some("false") => false,
                Some("true") => true,
                Some(other) => {
                    return Err(ValidationError::new(
                        "archived",
                        format!("archived must be true or false (got {other:?})"),
                    ));
                }
            },
            cursor: self.cursor.as_deref().map(Cursor::decode).transpose()?,
            limit: PageLimit::parse(self.limit.as_deref())?,
        })
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationListOutput {
    pub conversations: Vec<ConversationDto>,
    pub next_cursor: Option<String>,
    pub has_more: bool,
}

/// Query of `GET /api/conversations/{id}/messages`.
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MessageListQuery {
    /// `previousCursor` of the previous page: fetches older messages.
    #[cfg_attr(feature = "openapi", param(min_length = 1))]
    pub cursor: Option<String>,
    /// `nextCursor` of a page: fetches the newer messages after it.
    #[cfg_attr(feature = "openapi", param(min_length = 1))]
    pub after: Option<String>,
    /// A message id: the page around that message (half older, half newer),
    /// as a search result opens it.
    #[cfg_attr(feature = "openapi", param(value_type = Option<Uuid>))]
    pub around: Option<String>,
    /// Page size, 1 to 100 (default 50).
    #[cfg_attr(feature = "openapi", param(value_type = Option<i64>, minimum = 1, maximum = 100))]
    pub limit: Option<String>,
}

/// Where a page of messages starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MessagePage {
    /// The newest messages.
    #[default]
    Newest,
    /// Older than the cursor.
    Before(Cursor),
    /// Newer than the cursor.
    After(Cursor),
    /// Around a message, which the page includes.
    Around(crate::ids::MessageId),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MessageListParams {
    pub page: MessagePage,
    pub limit: PageLimit,
}

impl MessageListQuery {
    pub fn validate(&self) -> Result<MessageListParams, ValidationError> {
        let page = match (&self.cursor, &self.after, &self.around) {
            (None, None, None) => MessagePage::Newest,
            (Some(c), None, None) => MessagePage::Before(Cursor::decode(c)?),
            (None, Some(c), None) => MessagePage::After(
                Cursor::decode(c)
                    .map_err(|_| ValidationError::new("after", "after is not valid; use the nextCursor of a page"))?,
            ),
            (None, None, Some(id)) => MessagePage::Around(crate::ids::MessageId(
                Uuid::parse_str(id.trim())
                    .map_err(|_| ValidationError::new("around", "around must be a message id"))?,
            )),
            _ => return Err(ValidationError::new("cursor", "use only one of cursor, after and around")),
        };
        Ok(MessageListParams { page, limit: PageLimit::parse(self.limit.as_deref())? })
    }
}

/// A page of messages, newest first; `previousCursor` fetches older ones,
/// `nextCursor` newer ones (set only for pages that are not the newest:
/// `after` and `around` pages with newer messages beyond them).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageListOutput {
    pub messages: Vec<MessageDto>,
    pub previous_cursor: Option<String>,
    pub has_more: bool,
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// `PUT /api/conversations/{id}/assignee`; `null` unassigns.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssignConversationRequest {
    /// Required: a user id, or `null` to unassign.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[serde(deserialize_with = "Option::deserialize")]
    pub user_id: Option<Uuid>,
}

/// `POST /api/auth/login`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginRequest {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, pattern = r"\S", example = "ana@demo.test"))]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, example = "demo-password"))]
    pub password: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserDto {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    /// `admin` or `agent`.
    pub role: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompanyDto {
    pub id: Uuid,
    pub name: String,
    /// Which typed numbers the company sends to: `valid` ones only, or also
    /// `possible` ones (ranges the phone library does not list yet).
    #[serde(default)]
    pub number_rule: NumberRule,
}

/// Who is signed in: `GET /api/auth/me` and the answer to a login.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeResponse {
    pub user: UserDto,
    pub company: CompanyDto,
    /// The most provider calls a send (or an agent's retry) makes before a
    /// transient failure fails it: the `of 5` of a message's `attempt`.
    pub max_send_attempts: i32,
}

/// `GET /api/users`: the company's active agents, for assignment.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserListOutput {
    pub users: Vec<UserDto>,
}

/// A provider callback whose events could not all be applied, for admins
/// (`GET /api/webhook-events/failed`). Replay it after the fix with
/// `inbox replay-webhooks --failed`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedWebhookEventDto {
    pub id: Uuid,
    /// `meta`, `twilio` or `sandbox`.
    pub provider: String,
    pub channel_id: Option<Uuid>,
    pub received_at: DateTime<Utc>,
    /// `unknown_channel`, `invalid_identity` or `unapplied`.
    pub reason: String,
    /// What went wrong, for each event that failed.
    pub error: String,
    /// When it was last replayed, if ever.
    pub replayed_at: Option<DateTime<Utc>>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedWebhookEventList {
    pub events: Vec<FailedWebhookEventDto>,
}

/// `POST /api/whatsapp/send` (plan 4.2).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WhatsAppSendRequest {
    /// Optional; when present it must be the caller's own company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_id: Option<Uuid>,
    #[cfg_attr(feature = "openapi", schema(schema_with = E164Phone::input_schema))]
    pub recipient_phone_number: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = MessageText::schema))]
    pub text: String,
}

/// The answer of `POST /api/whatsapp/send`: the provider's message id.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WhatsAppSendResponse {
    pub success: bool,
    /// The provider's id (a wamid for Meta, a MessageSid for Twilio); empty
    /// while the message is still being sent.
    #[cfg_attr(feature = "openapi", schema(example = "wamid.HBgLMTQxNTU1NTAxMDAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"))]
    pub message_id: String,
    /// Our id of the stored message, as in the rest of the API.
    pub inbox_message_id: Uuid,
    pub timestamp: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_request_is_camel_case_and_rejects_unknown_fields() {
        let ok: SendNewMessageRequest =
            serde_json::from_str(r#"{"phoneNumber":"+14155550100","messageText":"hi","clientKey":"k1"}"#).unwrap();
        assert_eq!(ok.client_key.as_deref(), Some("k1"));
        let err = serde_json::from_str::<SendNewMessageRequest>(r#"{"phoneNumber":"1","messageText":"x","bogus":1}"#)
            .unwrap_err();
        assert!(err.to_string().contains("bogus"));
    }

    #[test]
    fn validation_names_the_first_bad_field() {
        let req = |phone: &str, text: &str| SendNewMessageRequest {
            company_id: None,
            phone_number: phone.into(),
            message_text: text.into(),
            client_key: None,
        };
        assert_eq!(req("nope", "hi").validate(None).unwrap_err().field, "phoneNumber");
        assert_eq!(req("+14155550100", "  ").validate(None).unwrap_err().field, "messageText");
        let valid = req("+1 415 555 0100", "hi").validate(None).unwrap();
        assert_eq!(valid.phone.as_str(), "+14155550100");
        let mut bad_key = req("+14155550100", "hi");
        bad_key.client_key = Some("has space".into());
        assert_eq!(bad_key.validate(None).unwrap_err().field, "clientKey");
    }

    #[test]
    fn list_query_defaults_and_limits() {
        let p = ConversationListQuery::default().validate().unwrap();
        assert_eq!(p.filter, ConversationFilter::All);
        assert_eq!(p.limit.get(), 50);
        assert!(!p.archived);
        for bad in ["0", "101", "-1", "ten", "", " 5"] {
            let q = ConversationListQuery { limit: Some(bad.into()), ..Default::default() };
            assert_eq!(q.validate().unwrap_err().field, "limit");
        }
        let q = ConversationListQuery { search: Some("   ".into()), ..Default::default() };
        assert_eq!(q.validate().unwrap().search, None, "a blank search is no search");
        let q = ConversationListQuery { cursor: Some("zzz".into()), ..Default::default() };
        assert_eq!(q.validate().unwrap_err().field, "cursor");
        let q = ConversationListQuery { archived: Some("maybe".into()), ..Default::default() };
        assert_eq!(q.validate().unwrap_err().field, "archived");
        let q = ConversationListQuery { archived: Some("true".into()), ..Default::default() };
        assert!(q.validate().unwrap().archived);
    }
}
