//! Admins' view of provider callbacks that could not be applied.

use actix_web::{HttpRequest, get, web};
use inbox_domain::webhook_events;
use inbox_types::ErrorBody;
use inbox_types::dto::{FailedWebhookEventDto, FailedWebhookEventList, PageLimit};

use crate::auth::Auth;
use crate::error::ApiResult;
use crate::extract::query;
use crate::state::AppState;

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FailedQuery {
    /// How many, newest first: 1 to 100 (50 when not given).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<String>,
}

/// The company's webhook callbacks whose events could not be applied
/// (a channel not set up, a sender we could not read, ...), newest first.
/// Admins only. Fix the cause, then `inbox replay-webhooks --failed`.
#[utoipa::path(
    get, path = "/api/webhook-events/failed", tag = "webhooks",
    params(FailedQuery),
    responses(
        (status = 200, body = FailedWebhookEventList),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 422, description = "Invalid limit", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = []))
)]
#[get("/api/webhook-events/failed")]
pub async fn failed(
    auth: Auth,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<FailedWebhookEventList>> {
    let q: FailedQuery = query(&req)?;
    let limit = PageLimit::parse(q.limit.as_deref())?;
    let events = webhook_events::failed_for_company(&state.db, &auth.0, i64::from(limit.get())).await?;
    Ok(web::Json(FailedWebhookEventList {
        events: events
            .into_iter()
            .map(|e| FailedWebhookEventDto {
                id: e.id,
                provider: e.provider,
                channel_id: e.channel_id,
                received_at: e.received_at,
                reason: e.failure_reason.unwrap_or_else(|| "unapplied".into()),
                error: e.error.unwrap_or_default(),
                replayed_at: e.replayed_at,
            })
            .collect(),
    }))
}
