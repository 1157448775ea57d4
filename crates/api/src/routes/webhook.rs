//! The providers' callbacks: Meta's (and the sandbox's, which speaks Meta's
//! format) and Twilio's. Signatures are checked on the raw body before
//! anything is acted on; every callback is stored; repeats change nothing.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use inbox_domain::DomainError;
use inbox_domain::channels::{self, Channel, ProviderKind};
use inbox_domain::webhook_events::{self, Callback};
use inbox_types::ErrorBody;
use inbox_whatsapp::webhook::{self, meta, twilio};

use crate::callbacks;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Largest callback body accepted (Meta batches up to a few hundred KB).
const MAX_WEBHOOK_BYTES: usize = 1024 * 1024;

async fn raw_body(mut payload: web::Payload) -> Result<web::BytesMut, ApiError> {
    crate::extract::read_body(&mut payload, MAX_WEBHOOK_BYTES).await
}

fn bad_signature() -> ApiError {
    ApiError::Domain(DomainError::Unauthorized("The webhook signature does not match".into()))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Challenge {
    #[serde(rename = "hub.mode")]
    #[param(rename = "hub.mode", example = "subscribe")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    #[param(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    #[param(rename = "hub.challenge", example = "1158201444")]
    challenge: Option<String>,
}

/// Meta's webhook verification: echoes `hub.challenge` when
/// `hub.verify_token` is a channel's verify token.
#[utoipa::path(
    get, path = "/api/whatsapp/webhook", tag = "webhooks",
    params(Challenge),
    responses(
        (status = 200, description = "The challenge, as plain text", body = String),
        (status = 403, description = "No channel has this verify token", body = ErrorBody),
    ),
    security(())
)]
#[get("/api/whatsapp/webhook")]
pub async fn verify(req: HttpRequest, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let q: Challenge = crate::extract::query(&req)?;
    for channel in channels::meta_format_channels(&state.db).await? {
        let Some(expected) = &channel.verify_token else { continue };
        if let Some(challenge) = meta::verify_challenge(
            q.mode.as_deref(),
            q.verify_token.as_deref(),
            q.challenge.as_deref(),
            expected.expose(),
        ) {
            return Ok(HttpResponse::Ok().content_type("text/plain").body(challenge));
        }
    }
    Err(ApiError::Domain(DomainError::Forbidden("The verify token matches no channel".into())))
}

/// Statuses and inbound messages in Meta's format, signed with
/// `X-Hub-Signature-256` (the channel's app secret).
#[utoipa::path(
    post, path = "/api/whatsapp/webhook", tag = "webhooks",
    request_body(content = serde_json::Value, description = "Meta's webhook payload", content_type = "application/json"),
    params(("X-Hub-Signature-256" = String, Header, description = "`sha256=` and the hex HMAC-SHA256 of the raw body, keyed by the app secret")),
    responses(
        (status = 200, description = "Received (also for repeats and for ids we do not know)"),
        (status = 400, description = "Not a Meta webhook payload", body = ErrorBody),
        (status = 401, description = "Missing or wrong signature; nothing was changed", body = ErrorBody),
        (status = 500, description = "Not applied because of a fault on our side: deliver it again", body = ErrorBody),
    ),
    security(())
)]
#[post("/api/whatsapp/webhook")]
pub async fn receive_meta(req: HttpRequest, state: web::Data<AppState>, body: web::Payload) -> ApiResult<HttpResponse> {
    let raw = raw_body(body).await?;
    let signature = req.headers().get("x-hub-signature-256").and_then(|v| v.to_str().ok());
    // Find the app secret that signed this body; only its channels may be
    // touched by it.
    let signer_in = |channels: &[Channel]| {
        channels.iter().position(|c| {
            c.app_secret.as_ref().is_some_and(|s| meta::verify_signature(s.expose().as_bytes(), &raw, signature))
        })
    };
    let mut channels = state.meta_channels.get(&state.db, false).await?;
    let mut signer = signer_in(&channels);
    if signer.is_none() {
        channels = state.meta_channels.get(&state.db, true).await?;
        signer = signer_in(&channels);
    }
    let Some((signer, secret)) = signer.and_then(|i| Some((&channels[i], channels[i].app_secret.as_ref()?.expose())))
    else {
        return Err(bad_signature());
    };
    let signed_by: Vec<&Channel> =
        channels.iter().filter(|c| c.app_secret.as_ref().is_some_and(|s| s.expose() == secret)).collect();

    // Signed, so kept: NULs (which PostgreSQL cannot store) become U+FFFD.
    let (payload, events) = meta::parse_signed(&raw);
    let events = events.map_err(|e| ApiError::malformed("body", e.to_string()))?;
    let channel_of = |phone_number_id: &str| signed_by.iter().find(|c| c.external_id == phone_number_id).copied();
    // Kept under the channel it is for; a callback for a number no channel
    // has is its signer's company's only when the secret is that company's
    // alone (one Meta app may serve many companies: none may see another's).
    let first = events.iter().find_map(|e| channel_of(e.phone_number_id()));
    let one_company = signed_by.iter().all(|c| c.company_id == signer.company_id);
    let kept_with = first.or(one_company.then_some(signer));
    let callback = Callback {
        provider: kept_with.map_or(signer.provider, |c| c.provider),
        company_id: kept_with.map(|c| c.company_id),
        channel_id: kept_with.map(|c| c.id),
        signer_channel_id: Some(signer.id),
        raw: &raw,
        payload: &payload,
    };
    let changes = callbacks::meta_changes(&signed_by, &events);
    let applied = webhook_events::apply(&state.db, callback, changes).await?;
    answer(&applied, HttpResponse::Ok().finish())
}

/// Reports what a callback could not apply, and answers: 500 when a fault
/// on our side should make the provider deliver it again.
fn answer(applied: &webhook_events::Applied, ok: HttpResponse) -> ApiResult<HttpResponse> {
    callbacks::report(applied, false);
    if applied.deliver_again {
        return Err(ApiError::Domain(DomainError::internal("a webhook event could not be applied; deliver it again")));
    }
    Ok(ok)
}

/// Twilio's status callbacks and inbound messages, signed with
/// `X-Twilio-Signature` (the account's auth token).
#[utoipa::path(
    post, path = "/api/whatsapp/webhook/twilio", tag = "webhooks",
    request_body(content = TwilioCallback, description = "Twilio's form-encoded callback", content_type = "application/x-www-form-urlencoded"),
    params(("X-Twilio-Signature" = String, Header, description = "base64 HMAC-SHA1 of the URL and the sorted parameters, keyed by the account's auth token")),
    responses(
        (status = 200, description = "Received"),
        (status = 400, description = "Not a Twilio callback", body = ErrorBody),
        (status = 401, description = "Missing or wrong signature, or unknown number; nothing was changed", body = ErrorBody),
        (status = 500, description = "Not applied because of a fault on our side: deliver it again", body = ErrorBody),
    ),
    security(())
)]
#[post("/api/whatsapp/webhook/twilio")]
pub async fn receive_twilio(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Payload,
) -> ApiResult<HttpResponse> {
    let raw = raw_body(body).await?;
    let mut params: Vec<(String, String)> = form_urlencoded::parse(&raw).into_owned().collect();
    let mut event = twilio::parse(&params).map_err(|e| ApiError::malformed("body", e.to_string()))?;
    let our_number = match &event {
        twilio::TwilioEvent::Status { sender, .. } => Some(sender.as_str()),
        twilio::TwilioEvent::Message { receiver, .. } => Some(receiver.as_str()),
        _ => None,
    };
    // The number names the channel, whose auth token must have signed the
    // request before anything is stored or changed.
    let channel = match our_number {
        // No channel's number holds a NUL (PostgreSQL could not even compare it).
        Some(n) if !n.contains('\0') => channels::find_by_external_id(&state.db, ProviderKind::Twilio, n).await?,
        _ => None,
    };
    let Some(channel) = channel else { return Err(bad_signature()) };
    let token = channel.credential("auth_token").unwrap_or_default();
    let url = public_url(&req, state.public_origin.as_deref());
    let signature = req.headers().get("x-twilio-signature").and_then(|v| v.to_str().ok());
    if token.is_empty() || !twilio::verify_signature(&token, &url, &params, signature) {
        return Err(bad_signature());
    }
    // Signed, so kept: NULs (which PostgreSQL cannot store) become U+FFFD.
    if webhook::replace_nul_in_params(&mut params) {
        event = twilio::parse(&params).map_err(|e| ApiError::malformed("body", e.to_string()))?;
    }
    let payload = serde_json::Value::Object(params.iter().map(|(k, v)| (k.clone(), v.clone().into())).collect());
    let callback = Callback {
        provider: ProviderKind::Twilio,
        company_id: Some(channel.company_id),
        channel_id: Some(channel.id),
        signer_channel_id: Some(channel.id),
        raw: &raw,
        payload: &payload,
    };
    let changes = callbacks::twilio_change(&channel, event).into_iter().collect();
    let applied = webhook_events::apply(&state.db, callback, changes).await?;
    answer(&applied, twiml())
}

/// The fields of Twilio's form post that Inbox reads (Twilio sends more,
/// which are kept with the stored callback). Documentation only: the
/// handler parses the raw body, which the signature covers.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "PascalCase")]
#[allow(dead_code)]
pub struct TwilioCallback {
    /// The message's id (`SM...`).
    #[schema(min_length = 1)]
    message_sid: String,
    /// The sender, `whatsapp:+E164` (our number for status callbacks).
    #[schema(min_length = 1)]
    from: String,
    /// The receiver, `whatsapp:+E164` (our number for inbound messages).
    #[schema(min_length = 1)]
    to: String,
    /// `sent`, `delivered`, `read`, `failed`, `undelivered` (others are
    /// ignored); absent or `received` for an inbound message.
    #[schema(nullable = false)]
    message_status: Option<String>,
    /// The text of an inbound message.
    #[schema(nullable = false)]
    body: Option<String>,
    /// The customer's WhatsApp profile name.
    #[schema(nullable = false)]
    profile_name: Option<String>,
    /// The MIME type of an inbound message's first attachment.
    #[schema(nullable = false)]
    media_content_type0: Option<String>,
    /// Twilio's error code of a failed message.
    #[schema(nullable = false)]
    error_code: Option<String>,
    /// Twilio's description of that error.
    #[schema(nullable = false)]
    error_message: Option<String>,
}

/// Twilio expects TwiML or an empty answer.
fn twiml() -> HttpResponse {
    HttpResponse::Ok().content_type("text/xml").body("<Response/>")
}

/// The URL Twilio called, which its signature covers: the public origin when
/// configured (behind a proxy), else what the request says.
fn public_url(req: &HttpRequest, public_origin: Option<&str>) -> String {
    let conn = req.connection_info();
    let origin = public_origin
        .map(|o| o.trim_end_matches('/').to_owned())
        .unwrap_or_else(|| format!("{}://{}", conn.scheme(), conn.host()));
    let path_and_query = req.uri().path_and_query().map_or(req.path(), |p| p.as_str());
    format!("{origin}{path_and_query}")
}
