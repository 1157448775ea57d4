//! The one place that knows the HTTP API: typed functions over gloo-net.
//! Components never build URLs themselves.

use gloo_net::http::{Request, RequestBuilder, Response};
use inbox_types::dto::{
    AssignConversationRequest, ConversationDto, ConversationListOutput, LoginRequest, MeResponse, MessageListOutput,
    SendMessageRequest, SendNewMessageOutput, SendNewMessageRequest, UserListOutput,
};
use inbox_types::search::MessageSearchOutput;
use inbox_types::{ErrorBody, ErrorCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// Why a call failed: the server's error body, or no answer at all.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The server answered with an error.
    Server { status: u16, body: ErrorBody },
    /// No usable answer: offline, connection reset, or a body we could not read.
    /// The request may or may not have reached the server.
    Network(String),
}

impl ApiError {
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ApiError::Server { body, .. } => Some(body.code),
            ApiError::Network(_) => None,
        }
    }

    pub fn is_unauthorized(&self) -> bool {
        self.code() == Some(ErrorCode::Unauthorized)
    }

    /// The sentence shown to the agent.
    pub fn message(&self) -> String {
        match self {
            ApiError::Server { body, .. } => match body.code {
                ErrorCode::RateLimited => format!("{} Try again in a moment.", body.error.trim_end_matches('.')),
                ErrorCode::ServiceUnavailable => "The server is unavailable. Try again in a moment.".to_owned(),
                ErrorCode::Unknown
                | ErrorCode::ContactCreateFailed
                | ErrorCode::ConversationCreateFailed
                | ErrorCode::MessageInsertFailed => "Something went wrong on our side. Try again.".to_owned(),
                _ => body.error.clone(),
            },
            ApiError::Network(_) => "No connection to the server. Check your network and try again.".to_owned(),
        }
    }

    /// The stored message a failed send left behind, when the server kept one.
    pub fn message_id(&self) -> Option<Uuid> {
        match self {
            ApiError::Server { body, .. } => body.message_id,
            ApiError::Network(_) => None,
        }
    }

    pub fn conversation_id(&self) -> Option<Uuid> {
        match self {
            ApiError::Server { body, .. } => body.conversation_id,
            ApiError::Network(_) => None,
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

async fn read<T: DeserializeOwned>(res: Response) -> ApiResult<T> {
    if res.ok() {
        return res.json::<T>().await.map_err(|e| ApiError::Network(e.to_string()));
    }
    let status = res.status();
    match res.json::<ErrorBody>().await {
        Ok(body) => Err(ApiError::Server { status, body }),
        // A proxy's HTML page or an empty body: describe it by status.
        Err(_) => {
            let code = match status {
                401 => ErrorCode::Unauthorized,
                404 => ErrorCode::NotFound,
                429 => ErrorCode::RateLimited,
                502..=504 => ErrorCode::ServiceUnavailable,
                _ => ErrorCode::Unknown,
            };
            Err(ApiError::Server { status, body: ErrorBody::new(code, format!("The server answered {status}.")) })
        }
    }
}

async fn send<T: DeserializeOwned>(req: RequestBuilder) -> ApiResult<T> {
    let res = req.send().await.map_err(|e| ApiError::Network(e.to_string()))?;
    read(res).await
}

/// For answers without a body (204).
async fn send_empty(req: RequestBuilder) -> ApiResult<()> {
    let res = req.send().await.map_err(|e| ApiError::Network(e.to_string()))?;
    if res.ok() {
        return Ok(());
    }
    read::<serde_json::Value>(res).await.map(|_| ())
}

async fn send_json<T: DeserializeOwned, B: Serialize>(req: RequestBuilder, body: &B) -> ApiResult<T> {
    let req = req.json(body).map_err(|e| ApiError::Network(e.to_string()))?;
    let res = req.send().await.map_err(|e| ApiError::Network(e.to_string()))?;
    read(res).await
}

/// Query string values: only characters that need no escaping come from us
/// (ids, enums, cursors in base64url); the search term is escaped.
fn encode(s: &str) -> String {
    js_sys::encode_uri_component(s).into()
}

pub async fn login(email: &str, password: &str) -> ApiResult<MeResponse> {
    let body = LoginRequest { email: email.to_owned(), password: password.to_owned() };
    send_json(Request::post("/api/auth/login"), &body).await
}

pub async fn logout() -> ApiResult<()> {
    send_empty(Request::post("/api/auth/logout")).await
}

pub async fn me() -> ApiResult<MeResponse> {
    send(Request::get("/api/auth/me")).await
}

pub async fn users() -> ApiResult<UserListOutput> {
    send(Request::get("/api/users")).await
}

/// One page of the sidebar.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListQuery {
    pub filter: &'static str,
    pub search: String,
    pub archived: bool,
    pub cursor: Option<String>,
    pub limit: u32,
}

pub async fn conversations(q: &ListQuery) -> ApiResult<ConversationListOutput> {
    let mut url = format!("/api/conversations?filter={}&limit={}", q.filter, q.limit);
    if q.archived {
        url.push_str("&archived=true");
    }
    if !q.search.trim().is_empty() {
        url.push_str("&search=");
        url.push_str(&encode(q.search.trim()));
    }
    if let Some(c) = &q.cursor {
        url.push_str("&cursor=");
        url.push_str(&encode(c));
    }
    send(Request::get(&url)).await
}

pub async fn conversation(id: Uuid) -> ApiResult<ConversationDto> {
    send(Request::get(&format!("/api/conversations/{id}"))).await
}

pub async fn messages(id: Uuid, cursor: Option<&str>, limit: u32) -> ApiResult<MessageListOutput> {
    let mut url = format!("/api/conversations/{id}/messages?limit={limit}");
    if let Some(c) = cursor {
        url.push_str("&cursor=");
        url.push_str(&encode(c));
    }
    send(Request::get(&url)).await
}

/// The page around one message (a search hit): `nextCursor` pages newer.
pub async fn messages_around(id: Uuid, message: Uuid, limit: u32) -> ApiResult<MessageListOutput> {
    send(Request::get(&format!("/api/conversations/{id}/messages?limit={limit}&around={message}"))).await
}

/// The messages after a page's `nextCursor`.
pub async fn messages_after(id: Uuid, cursor: &str, limit: u32) -> ApiResult<MessageListOutput> {
    send(Request::get(&format!("/api/conversations/{id}/messages?limit={limit}&after={}", encode(cursor)))).await
}

/// Messages containing the words of `q`, in one chat or all of them.
pub async fn search_messages(
    q: &str,
    conversation: Option<Uuid>,
    cursor: Option<&str>,
    limit: u32,
) -> ApiResult<MessageSearchOutput> {
    let mut url = format!("/api/messages/search?limit={limit}&q={}", encode(q));
    if let Some(id) = conversation {
        url.push_str(&format!("&conversationId={id}"));
    }
    if let Some(c) = cursor {
        url.push_str("&cursor=");
        url.push_str(&encode(c));
    }
    send(Request::get(&url)).await
}

pub async fn send_new_message(phone: &str, text: &str, client_key: Uuid) -> ApiResult<SendNewMessageOutput> {
    let body = SendNewMessageRequest {
        company_id: None,
        phone_number: phone.to_owned(),
        message_text: text.to_owned(),
        client_key: Some(client_key.to_string()),
    };
    send_json(Request::post("/api/messages"), &body).await
}

pub async fn send_message(conversation: Uuid, text: &str, client_key: Uuid) -> ApiResult<SendNewMessageOutput> {
    let body = SendMessageRequest { message_text: text.to_owned(), client_key: Some(client_key.to_string()) };
    send_json(Request::post(&format!("/api/conversations/{conversation}/messages")), &body).await
}

pub async fn retry(message: Uuid) -> ApiResult<SendNewMessageOutput> {
    send(Request::post(&format!("/api/messages/{message}/retry"))).await
}

/// The one-word changes of a conversation (`read`, `archive`, `favorite`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Read,
    Unread,
    Archive,
    Unarchive,
    Favorite,
    Unfavorite,
    Clear,
}

impl Change {
    fn path(self) -> &'static str {
        match self {
            Change::Read => "read",
            Change::Unread => "unread",
            Change::Archive => "archive",
            Change::Unarchive => "unarchive",
            Change::Favorite => "favorite",
            Change::Unfavorite => "unfavorite",
            Change::Clear => "clear",
        }
    }
}

pub async fn change(id: Uuid, change: Change) -> ApiResult<ConversationDto> {
    send(Request::post(&format!("/api/conversations/{id}/{}", change.path()))).await
}

pub async fn assign(id: Uuid, user: Option<Uuid>) -> ApiResult<ConversationDto> {
    send_json(Request::put(&format!("/api/conversations/{id}/assignee")), &AssignConversationRequest { user_id: user })
        .await
}

pub async fn delete(id: Uuid) -> ApiResult<()> {
    send_empty(Request::delete(&format!("/api/conversations/{id}"))).await
}
