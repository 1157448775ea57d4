//! Liveness, readiness and metrics, for load balancers and Prometheus.

use actix_web::{HttpResponse, get, web};
use inbox_domain::MIGRATOR;

use crate::state::AppState;

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = String, example = "ok")), security(()))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// The database answers and has every migration this build knows.
#[utoipa::path(
    get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, body = String, example = "ready"),
        (status = 503, description = "Database unreachable or not migrated", body = String),
    ),
    security(())
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let expected = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
    let applied = sqlx::query_scalar::<_, Option<i64>>("SELECT max(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(&state.db)
        .await;
    match applied {
        Ok(Some(v)) if v >= expected => HttpResponse::Ok().content_type("text/plain").body("ready"),
        Ok(_) => HttpResponse::ServiceUnavailable().content_type("text/plain").body("migrations pending"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable().content_type("text/plain").body("database unavailable")
        }
    }
}

/// Prometheus metrics: requests by route and status, and the plan's
/// operation timings.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, body = String)), security(()))]
#[get("/metrics")]
pub async fn metrics() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(crate::telemetry::prometheus().render())
}
