//! Metrics: a Prometheus recorder for the `metrics` facade, request metrics
//! per route and status, and the `X-Request-Id` header.

use std::sync::OnceLock;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use inbox_types::ErrorCode;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::error::ApiError;

static PROMETHEUS: OnceLock<PrometheusHandle> = OnceLock::new();

/// Seconds: from a fast query to the plan's slowest target.
const BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The process-wide recorder (installed on first use).
pub fn prometheus() -> &'static PrometheusHandle {
    PROMETHEUS.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
            .expect("buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was installed already; /metrics will be empty");
        }
        handle
    })
}

/// Counts every request and its latency by method, route pattern and status.
pub async fn track_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let request_id = req.extensions().get::<tracing_actix_web::RequestId>().copied();
    let mut res = next.call(req).await?;
    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let status = res.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
    if let Some(id) = request_id
        && let Ok(value) = HeaderValue::from_str(&id.to_string())
    {
        res.headers_mut().insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(res)
}

/// The span of each request: tracing-actix-web's fields, but the path
/// without its query string. Query strings carry secrets (Meta's
/// verification token) and customers' data (search terms); logs are no
/// place for either (`tests/api/secrets.rs`).
pub struct RequestSpan;

impl tracing_actix_web::RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> tracing::Span {
        let route = request.match_pattern().unwrap_or_else(|| "default".into());
        let request_id =
            request.extensions().get::<tracing_actix_web::RequestId>().map(|id| id.to_string()).unwrap_or_default();
        let client_ip = request.connection_info().realip_remote_addr().unwrap_or("").to_owned();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.target = %request.path(),
            http.client_ip = %client_ip,
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: tracing::Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let error_answer = match outcome {
            Ok(res) => res.response().error().map(|e| (res.status(), e)),
            Err(e) => Some((e.as_response_error().status_code(), e)),
        };
        if let Some((status, error)) = error_answer {
            log_error_answer(status, error); // inside the request's span already
        }
        tracing_actix_web::DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// Every error answer is logged here, once, at the level of who is at
/// fault. A client's mistake (4xx) is routine, INFO: a scan or a buggy
/// integrator must not flood the warnings. WhatsApp refusing a message
/// (502) is the provider's answer, logged where it happens
/// (`message.failed`). Anything else is our own fault: ERROR.
fn log_error_answer(status: StatusCode, error: &Error) {
    let code = error.as_error::<ApiError>().map(ApiError::code);
    let code_name = code.map_or("", ErrorCode::as_str);
    if status.is_client_error() {
        tracing::info!(status = status.as_u16(), code = code_name, "request refused: {error}");
    } else if code != Some(ErrorCode::WhatsappSendFailed) {
        tracing::error!(status = status.as_u16(), code = code_name, error = ?error, "request failed");
    }
}
