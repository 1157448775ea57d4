//! `inbox serve`: the HTTP server.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use inbox_domain::outbox::Outbox;
use inbox_domain::provider::WhatsappProvider;
use sqlx::PgPool;
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt as _;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Config;
use crate::error::ApiError;
use crate::events::Hub;
use crate::state::AppState;

/// Starts the server on `listener`; the returned future runs it until
/// SIGINT or SIGTERM, letting in-flight requests finish (up to 30 s).
pub fn start(
    config: &Config,
    db: PgPool,
    provider: Arc<dyn WhatsappProvider>,
    listener: TcpListener,
) -> anyhow::Result<Server> {
    let outbox = Arc::new(Outbox::start(db.clone(), provider, config.retry_policy()));
    Ok(build(config, db, outbox, listener, true)?.0)
}

/// The server and its realtime hub. With `signals`, actix stops on SIGINT
/// and SIGTERM itself; without, the caller stops it (and closes the hub's
/// endless event streams first, so a stop does not wait on them).
fn build(
    config: &Config,
    db: PgPool,
    outbox: Arc<Outbox>,
    listener: TcpListener,
    signals: bool,
) -> anyhow::Result<(Server, Arc<Hub>)> {
    crate::telemetry::prometheus();
    let state = web::Data::new(AppState::new(config, db.clone(), outbox)?);
    let hub = state.hub.clone();
    // Lives as long as the process (tests start many servers in one process;
    // each listens on its own database).
    crate::events::listen(db, hub.clone());
    // Rendered once: the same bytes as the committed openapi/openapi.json.
    let doc = crate::openapi::document();
    let spec = web::Bytes::from(crate::openapi::pretty(&doc));
    let web_dir = config.web_dir.clone();
    let policy = web::Data::new(crate::web::AppPolicy::for_dir(&web_dir));
    let methods = web::Data::new(crate::routes::Methods::new(&doc, crate::web::is_built(&web_dir)));
    let server = HttpServer::new(move || {
        // The routes add their operations to a document here too; it is the
        // one `spec` and `methods` were made from, so it is dropped.
        App::new()
            .into_utoipa_app()
            .configure(crate::routes::configure)
            .into_app()
            .app_data(state.clone())
            .app_data(policy.clone())
            .app_data(methods.clone())
            .service(web::resource("/api/openapi.json").route(web::get().to({
                let spec = spec.clone();
                move || {
                    let spec = spec.clone();
                    async move { HttpResponse::Ok().content_type("application/json").body(spec) }
                }
            })))
            .service(web::redirect("/api/docs", "/api/docs/"))
            .service(SwaggerUi::new("/api/docs/{_:.*}").config(utoipa_swagger_ui::Config::from("/api/openapi.json")))
            .configure(|cfg| crate::web::configure(cfg, &web_dir))
            .default_service(web::to(not_found))
            .wrap(from_fn(crate::web::cache_headers))
            .wrap(from_fn(crate::web::security_headers))
            .wrap(Compress::default())
            .wrap(from_fn(crate::telemetry::track_requests))
            .wrap(TracingLogger::<crate::telemetry::RequestSpan>::new())
    })
    .listen(listener)?
    .shutdown_timeout(30);
    let server = if signals { server } else { server.disable_signals() };
    Ok((server.run(), hub))
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(crate::routes::no_route(&req))
}

/// Resolves on SIGINT or SIGTERM.
async fn stop_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

/// Binds the configured address and serves until stopped.
pub async fn serve(config: &Config, db: PgPool, provider: Arc<dyn WhatsappProvider>) -> anyhow::Result<()> {
    let listener = TcpListener::bind(config.bind)?;
    tracing::info!(address = %config.bind, "listening");
    // Sends' answers are recorded in groups by one task (see `Outbox`).
    let outbox = Arc::new(Outbox::start(db.clone(), provider, config.retry_policy()));
    let workers = crate::workers::start(config, db.clone(), outbox.clone());
    let (server, hub) = build(config, db, outbox, listener, false)?;
    let handle = server.handle();
    tokio::spawn(async move {
        stop_signal().await;
        tracing::info!("stopping: closing event streams, finishing requests");
        hub.close_all();
        handle.stop(true).await;
    });
    server.await?;
    drop(workers);
    tracing::info!("server stopped");
    Ok(())
}
