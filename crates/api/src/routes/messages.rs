use actix_web::{HttpRequest, HttpResponse, get, post, web};
use inbox_domain::companies;
use inbox_domain::messages as message_service;
use inbox_domain::send as send_service;
use inbox_types::dto::{SendNewMessageOutput, SendNewMessageRequest};
use inbox_types::search::{MessageSearchOutput, MessageSearchQuery};
use inbox_types::{E164Phone, ErrorBody, MessageId};

use crate::auth::Auth;
use crate::error::ApiResult;
use crate::extract::{json_body, path_id, query};
use crate::routes::{limit_sends, own_company, send_answer};
use crate::state::AppState;

/// Send a message to a phone number, creating the contact and conversation
/// when needed (plan 6.2). The caller takes the conversation (it is
/// assigned to them) unless it already has an assignee, as an agent who
/// starts a chat does.
#[utoipa::path(
    post, path = "/api/messages", tag = "messages",
    request_body = SendNewMessageRequest,
    responses(
        (status = 201, description = "Stored, and accepted by WhatsApp (`sent`) or waiting for an automatic retry after a transient failure (`sending`)", body = SendNewMessageOutput),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Not signed in, or companyId is not your company", body = ErrorBody),
        (status = 409, description = "Same clientKey sent before (`messageId` names it), or no channel", body = ErrorBody),
        (status = 422, description = "Invalid phone number or text (`field` names it)", body = ErrorBody),
        (status = 429, description = "Too many sends; see Retry-After", body = ErrorBody),
        (status = 502, description = "WhatsApp refused for good (or every automatic retry failed); the message is stored as failed (`messageId`, `conversationId`) and can be retried", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = []))
)]
#[post("/api/messages")]
pub async fn send(
    auth: Auth,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Payload,
) -> ApiResult<HttpResponse> {
    let body: SendNewMessageRequest = json_body(&req, body).await?;
    own_company(&auth, body.company_id)?;
    let input = match body.validate(state.region) {
        // Numbers in ranges the phone library does not list yet are sent
        // when the company allows numbers of possible length.
        Err(e) if E164Phone::refused_as_not_in_plan(&e) => {
            let rule = companies::number_rule(&state.db, auth.0.company_id).await?;
            body.validate_with(state.region, rule)?
        }
        other => other?,
    };
    limit_sends(&state, &auth)?;
    let out = send_service::send_new_message(&state.db, state.outbox.as_ref(), auth.0.actor(), &input).await?;
    Ok(HttpResponse::Created().json(send_answer(out)))
}

/// Send a failed message again. The same message goes failed -> sending ->
/// sent (or failed again).
#[utoipa::path(
    post, path = "/api/messages/{id}/retry", tag = "messages",
    params(("id" = uuid::Uuid, Path, description = "Message id")),
    responses(
        (status = 200, description = "Accepted by WhatsApp this time (`sent`), or retried automatically after a transient failure (`sending`)", body = SendNewMessageOutput),
        (status = 400, description = "The id is not a UUID", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such message in your company", body = ErrorBody),
        (status = 409, description = "The message is not failed", body = ErrorBody),
        (status = 429, description = "Too many sends; see Retry-After", body = ErrorBody),
        (status = 502, description = "WhatsApp refused again", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = []))
)]
#[post("/api/messages/{id}/retry")]
pub async fn retry(
    auth: Auth,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<web::Json<SendNewMessageOutput>> {
    let id: MessageId = path_id(&id)?;
    limit_sends(&state, &auth)?;
    let out = send_service::retry_failed_message(&state.db, state.outbox.as_ref(), auth.0.actor(), id).await?;
    Ok(web::Json(send_answer(out)))
}

/// Search messages: those of the company (or of one conversation) that
/// contain every word of `q`, each word matching the start of a word,
/// ignoring case and accents; newest first, with a snippet whose `matched`
/// parts are the found words. Cleared and deleted messages are never found.
#[utoipa::path(
    get, path = "/api/messages/search", tag = "messages",
    params(MessageSearchQuery),
    responses(
        (status = 200, description = "A page of hits, newest first", body = MessageSearchOutput),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "conversationId names no conversation of your company", body = ErrorBody),
        (status = 422, description = "Invalid q, conversationId, cursor or limit (`field` names it)", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = []))
)]
#[get("/api/messages/search")]
pub async fn search(
    auth: Auth,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> ApiResult<web::Json<MessageSearchOutput>> {
    let params = query::<MessageSearchQuery>(&req)?.validate()?;
    Ok(web::Json(message_service::search_messages(&state.db, auth.0.company_id, &params).await?))
}
