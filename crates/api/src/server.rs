//! `inbox serve`: the HTTP server. For now it answers health checks; the API
//! itself is added route by route.

use actix_web::{App, HttpResponse, HttpServer, get, web};
use sqlx::PgPool;

use crate::config::Config;

#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

#[get("/readyz")]
async fn readyz(db: web::Data<PgPool>) -> HttpResponse {
    match sqlx::query_scalar::<_, i32>("SELECT 1")
        .fetch_one(db.get_ref())
        .await
    {
        Ok(_) => HttpResponse::Ok().content_type("text/plain").body("ready"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .body("database unavailable")
        }
    }
}

/// Serves until SIGINT or SIGTERM; in-flight requests finish (up to 30 s)
/// before it returns.
pub async fn serve(config: &Config, db: PgPool) -> anyhow::Result<()> {
    let data = web::Data::new(db);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .service(healthz)
            .service(readyz)
    })
    .bind(config.bind)?
    .shutdown_timeout(30)
    .run();
    tracing::info!(address = %config.bind, "listening");
    server.await?;
    tracing::info!("server stopped");
    Ok(())
}
