use actix_web::{HttpRequest, post, web};
use inbox_domain::companies;
use inbox_domain::{messages, send as send_service};
use inbox_types::dto::{NewMessage, WhatsAppSendRequest, WhatsAppSendResponse};
use inbox_types::{E164Phone, ErrorBody, MessageId, MessageText};

use crate::auth::Auth;
use crate::error::ApiResult;
use crate::extract::json_body;
use crate::routes::{limit_sends, own_company};
use crate::state::AppState;

/// Send a WhatsApp text (plan 4.2). The message is recorded in the inbox like
/// any other send, so agents see what integrators sent.
#[utoipa::path(
    post, path = "/api/whatsapp/send", tag = "whatsapp",
    request_body = WhatsAppSendRequest,
    responses(
        (status = 200, description = "Accepted by WhatsApp", body = WhatsAppSendResponse),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Not signed in, or companyId is not your company", body = ErrorBody),
        (status = 409, description = "No WhatsApp channel is set up", body = ErrorBody),
        (status = 422, description = "Invalid phone number or text", body = ErrorBody),
        (status = 429, description = "Too many sends; see Retry-After", body = ErrorBody),
        (status = 502, description = "WhatsApp refused; stored as failed", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = []))
)]
#[post("/api/whatsapp/send")]
pub async fn send(
    auth: Auth,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Payload,
) -> ApiResult<web::Json<WhatsAppSendResponse>> {
    let body: WhatsAppSendRequest = json_body(&req, body).await?;
    own_company(&auth, body.company_id)?;
    let phone = match E164Phone::parse_with_region(&body.recipient_phone_number, state.region) {
        Err(e) if E164Phone::refused_as_not_in_plan(&e) => {
            let rule = companies::number_rule(&state.db, auth.0.company_id).await?;
            E164Phone::parse_with_rule(&body.recipient_phone_number, state.region, rule)
        }
        other => other,
    }
    .map_err(|e| inbox_types::ValidationError::new("recipientPhoneNumber", e.message))?;
    let text = MessageText::parse(&body.text).map_err(|e| inbox_types::ValidationError::new("text", e.message))?;
    limit_sends(&state, &auth)?;
    let input = NewMessage { phone, text, client_key: None };
    let out = send_service::send_new_message(&state.db, state.outbox.as_ref(), auth.0.actor(), &input).await?;
    let stored = messages::find(&state.db, auth.0.company_id, MessageId(out.message_id)).await?;
    Ok(web::Json(WhatsAppSendResponse {
        success: true,
        message_id: stored.provider_message_id.unwrap_or_default(),
        inbox_message_id: out.message_id,
        timestamp: out.message.created_at,
    }))
}
