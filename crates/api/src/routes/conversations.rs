use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use inbox_domain::{conversations, messages as message_service, send as send_service};
use inbox_types::dto::{
    AssignConversationRequest, ConversationDto, ConversationListOutput, ConversationListQuery, MessageListOutput,
    MessageListQuery, SendMessageRequest, SendNewMessageOutput,
};
use inbox_types::{ConversationId, ErrorBody, UserId};

use crate::auth::Auth;
use crate::error::ApiResult;
use crate::extract::{json_body, path_id, query};
use crate::routes::limit_sends;
use crate::state::AppState;

/// Conversations, newest first; filter, search, archived view, keyset pages.
#[utoipa::path(
    get, path = "/api/conversations", tag = "conversations",
    params(ConversationListQuery),
    responses(
        (status = 200, body = ConversationListOutput),
        (status = 400, description = "Unknown query parameter", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "Bad filter, limit, archived or cursor", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = []))
)]
#[get("/api/conversations")]
pub async fn list(
    auth: Auth,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> ApiResult<web::Json<ConversationListOutput>> {
    let params = query::<ConversationListQuery>(&req)?.validate()?;
    Ok(web::Json(conversations::list_conversations(&state.db, auth.0.company_id, &params).await?))
}

/// One conversation with its contact and assignee.
#[utoipa::path(
    get, path = "/api/conversations/{id}", tag = "conversations",
    params(("id" = uuid::Uuid, Path, description = "Conversation id")),
    responses(
        (status = 200, body = ConversationDto),
        (status = 400, description = "The id is not a UUID", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such conversation in your company", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = []))
)]
#[get("/api/conversations/{id}")]
pub async fn get(
    auth: Auth,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<web::Json<ConversationDto>> {
    let id: ConversationId = path_id(&id)?;
    Ok(web::Json(conversations::get_conversation(&state.db, auth.0.company_id, id).await?))
}

/// A page of messages, newest first; `cursor` fetches older ones, `after`
/// newer ones, `around` the page around one message (a search hit).
#[utoipa::path(
    get, path = "/api/conversations/{id}/messages", tag = "messages",
    params(("id" = uuid::Uuid, Path, description = "Conversation id"), MessageListQuery),
    responses(
        (status = 200, body = MessageListOutput),
        (status = 400, description = "The id is not a UUID, or an unknown parameter", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such conversation in your company, or `around` names no message of it (cleared and deleted ones included)", body = ErrorBody),
        (status = 422, description = "Bad limit, cursor, after or around, or more than one of them", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = []))
)]
#[get("/api/conversations/{id}/messages")]
pub async fn messages(
    auth: Auth,
    state: web::Data<AppState>,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<web::Json<MessageListOutput>> {
    let id: ConversationId = path_id(&id)?;
    let params = query::<MessageListQuery>(&req)?.validate()?;
    Ok(web::Json(message_service::get_conversation_messages(&state.db, auth.0.company_id, id, &params).await?))
}

/// Send a message in a conversation.
#[utoipa::path(
    post, path = "/api/conversations/{id}/messages", tag = "messages",
    params(("id" = uuid::Uuid, Path, description = "Conversation id")),
    request_body = SendMessageRequest,
    responses(
        (status = 201, description = "Stored, and accepted by WhatsApp (`sent`) or waiting for an automatic retry after a transient failure (`sending`)", body = SendNewMessageOutput),
        (status = 400, description = "Malformed body or id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such conversation in your company", body = ErrorBody),
        (status = 409, description = "Same clientKey sent before (`messageId` names it), or no channel", body = ErrorBody),
        (status = 422, description = "Empty or too long text", body = ErrorBody),
        (status = 429, description = "Too many sends; see Retry-After", body = ErrorBody),
        (status = 502, description = "WhatsApp refused; the message is stored as failed (`messageId`) and can be retried", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = []))
)]
#[post("/api/conversations/{id}/messages")]
pub async fn send(
    auth: Auth,
    state: web::Data<AppState>,
    id: web::Path<String>,
    req: HttpRequest,
    body: web::Payload,
) -> ApiResult<HttpResponse> {
    let id: ConversationId = path_id(&id)?;
    let (text, client_key) = json_body::<SendMessageRequest>(&req, body).await?.validate()?;
    limit_sends(&state, &auth)?;
    let out = send_service::send_in_conversation(
        &state.db,
        state.outbox.as_ref(),
        auth.0.actor(),
        id,
        &text,
        client_key.as_ref(),
    )
    .await?;
    Ok(HttpResponse::Created().json(crate::routes::send_answer(out)))
}

/// Answers with the conversation as it is after a change.
async fn current(state: &AppState, auth: &Auth, id: ConversationId) -> ApiResult<web::Json<ConversationDto>> {
    Ok(web::Json(conversations::get_conversation(&state.db, auth.0.company_id, id).await?))
}

macro_rules! conversation_action {
    ($name:ident, $method:ident, $path:literal, $summary:literal,
     |$db:ident, $company:ident, $id:ident, $actor:ident| $call:expr) => {
        #[doc = $summary]
        #[utoipa::path(
                    $method, path = $path, tag = "conversations",
                    params(("id" = uuid::Uuid, Path, description = "Conversation id")),
                    responses(
                        (status = 200, description = "The conversation after the change", body = ConversationDto),
                        (status = 400, description = "The id is not a UUID", body = ErrorBody),
                        (status = 401, description = "Not signed in", body = ErrorBody),
                        (status = 403, description = "Cross-site request refused", body = ErrorBody),
                        (status = 404, description = "No such conversation in your company", body = ErrorBody),
                    ),
                    security(("session" = []), ("bearer" = []))
                )]
        #[$method($path)]
        pub async fn $name(
            auth: Auth,
            state: web::Data<AppState>,
            id: web::Path<String>,
        ) -> ApiResult<web::Json<ConversationDto>> {
            let $id: ConversationId = path_id(&id)?;
            let ($db, $company, $actor) = (&state.db, auth.0.company_id, Some(auth.0.user_id));
            $call.await?;
            current(&state, &auth, $id).await
        }
    };
}

conversation_action!(
    read,
    post,
    "/api/conversations/{id}/read",
    "Mark as read: unread count to 0.",
    |db, company, id, actor| conversations::mark_conversation_read(db, company, id, actor)
);
conversation_action!(
    unread,
    post,
    "/api/conversations/{id}/unread",
    "Mark as unread: the chat shows unread (at least 1) until opened again.",
    |db, company, id, actor| conversations::mark_conversation_unread(db, company, id, actor)
);
conversation_action!(
    clear,
    post,
    "/api/conversations/{id}/clear",
    "Clear the chat: its messages are soft-deleted.",
    |db, company, id, actor| conversations::clear_conversation(db, company, id, actor)
);
conversation_action!(
    archive,
    post,
    "/api/conversations/{id}/archive",
    "Archive the conversation.",
    |db, company, id, actor| conversations::set_archived(db, company, id, true, actor)
);
conversation_action!(
    unarchive,
    post,
    "/api/conversations/{id}/unarchive",
    "Bring the conversation back from the archive.",
    |db, company, id, actor| conversations::set_archived(db, company, id, false, actor)
);
conversation_action!(
    favorite,
    post,
    "/api/conversations/{id}/favorite",
    "Mark the conversation as a favorite.",
    |db, company, id, actor| conversations::set_favorite(db, company, id, true, actor)
);
conversation_action!(
    unfavorite,
    post,
    "/api/conversations/{id}/unfavorite",
    "Remove the conversation from favorites.",
    |db, company, id, actor| conversations::set_favorite(db, company, id, false, actor)
);

/// Assign the conversation to a user of the company; `null` unassigns.
#[utoipa::path(
    put, path = "/api/conversations/{id}/assignee", tag = "conversations",
    params(("id" = uuid::Uuid, Path, description = "Conversation id")),
    request_body = AssignConversationRequest,
    responses(
        (status = 200, description = "The conversation after the change", body = ConversationDto),
        (status = 400, description = "Malformed body or id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such conversation, or no such active user, in your company", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = []))
)]
#[put("/api/conversations/{id}/assignee")]
pub async fn assign(
    auth: Auth,
    state: web::Data<AppState>,
    id: web::Path<String>,
    req: HttpRequest,
    body: web::Payload,
) -> ApiResult<web::Json<ConversationDto>> {
    let id: ConversationId = path_id(&id)?;
    let user = json_body::<AssignConversationRequest>(&req, body).await?.user_id.map(UserId);
    conversations::assign_conversation(&state.db, auth.0.company_id, id, user, Some(auth.0.user_id)).await?;
    current(&state, &auth, id).await
}

/// Delete the conversation and its messages (soft delete).
#[utoipa::path(
    delete, path = "/api/conversations/{id}", tag = "conversations",
    params(("id" = uuid::Uuid, Path, description = "Conversation id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The id is not a UUID", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such conversation in your company", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = []))
)]
#[delete("/api/conversations/{id}")]
pub async fn delete(auth: Auth, state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id: ConversationId = path_id(&id)?;
    conversations::delete_conversation(&state.db, auth.0.company_id, id, Some(auth.0.user_id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
