//! `GET /api/events`: server-sent events for the caller's company.

use std::collections::{HashSet, VecDeque};
use std::convert::Infallible;
use std::time::Duration;

use actix_web::http::header::{CACHE_CONTROL, CONTENT_ENCODING};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, get, web};
use inbox_domain::events::{self, Replay};
use inbox_types::live::Resync;
use inbox_types::{ErrorBody, LiveEvent, ValidationError};
use serde::Deserialize;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::events::{Frame, Push, Subscription};
use crate::extract::query;
use crate::state::AppState;

/// The most events a reconnecting client is sent again; past that it is
/// told to refetch.
const REPLAY_LIMIT: i64 = 1000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct EventsQuery {
    /// For clients that cannot send the Last-Event-ID header.
    last_event_id: Option<String>,
}

fn parse_last_id(raw: &str) -> Result<i64, ApiError> {
    raw.trim()
        .parse::<i64>()
        .map_err(|_| ApiError::from(ValidationError::new("lastEventId", "must be the id of an event")))
}

/// Live changes of the caller's company as server-sent events.
///
/// Each event is a `LiveEvent`: its `kind` is the frame's `event:` line and
/// its `data` the frame's `data:` line (one JSON object): `message.created`,
/// `message.status`, `conversation.updated`, `conversation.deleted`, and
/// `resync` (refetch: events were missed). Each but `resync` carries an `id:`; reconnect
/// with `Last-Event-ID` (or `?lastEventId=`) to get what was missed in the
/// last few minutes. A comment line every 15 s keeps proxies from closing
/// the stream; the server ends a stream after 30 minutes (clients reconnect
/// and resume), so a session that ended stops receiving.
#[utoipa::path(
    get, path = "/api/events", tag = "events",
    params(("lastEventId" = Option<i64>, Query, description = "Resume after this event (as the Last-Event-ID header does)")),
    responses(
        (status = 200, description = "An endless `text/event-stream` of `LiveEvent`s: `event:` is the kind, `data:` the data", content_type = "text/event-stream", body = LiveEvent),
        (status = 400, description = "An unknown or repeated query parameter", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "lastEventId is not an event id", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = []))
)]
#[get("/api/events")]
pub async fn stream(auth: Auth, state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let q: EventsQuery = query(&req)?;
    let header = req.headers().get("last-event-id").and_then(|v| v.to_str().ok()).filter(|v| !v.trim().is_empty());
    let last_id = header.or(q.last_event_id.as_deref()).map(parse_last_id).transpose()?;
    let company = auth.0.company_id;

    // Subscribe before reading the replay, so nothing falls between them.
    let subscription = state.hub.subscribe(company.0);
    let mut pending = VecDeque::from([Bytes::from_static(b"retry: 2000\n\n")]);
    let mut replayed = HashSet::new();
    if let Some(last_id) = last_id {
        match events::replay(&state.db, company, last_id, REPLAY_LIMIT).await? {
            Replay::Events(list) => {
                for event in &list {
                    replayed.insert(event.id);
                    pending.push_back(Frame::of(event).bytes);
                }
            }
            Replay::TooOld => pending.push_back(resync_frame()),
        }
    }
    let stream = sse(Sse {
        subscription,
        pending,
        replayed,
        keepalive: state.sse_keepalive,
        ends_at: tokio::time::Instant::now() + state.sse_max_age,
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((CACHE_CONTROL, "no-cache"))
        // Compression would hold events back in its buffer.
        .insert_header((CONTENT_ENCODING, "identity"))
        // nginx: do not buffer the stream.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(stream))
}

fn resync_frame() -> Bytes {
    let resync = LiveEvent::Resync(Resync {});
    Bytes::from(format!("event: {}\ndata: {}\n\n", resync.kind(), resync.data()))
}

struct Sse {
    subscription: Subscription,
    pending: VecDeque<Bytes>,
    /// Replayed ids: the live feed may bring them again.
    replayed: HashSet<i64>,
    keepalive: Duration,
    /// The stream ends here; the client reconnects with Last-Event-ID.
    ends_at: tokio::time::Instant,
}

fn sse(state: Sse) -> impl futures_util::Stream<Item = Result<Bytes, Infallible>> {
    let tick = tokio::time::interval_at(tokio::time::Instant::now() + state.keepalive, state.keepalive);
    futures_util::stream::unfold((state, tick), |(mut s, mut tick)| async move {
        if let Some(bytes) = s.pending.pop_front() {
            return Some((Ok(bytes), (s, tick)));
        }
        loop {
            tokio::select! {
                push = s.subscription.rx.recv() => {
                    let bytes = match push {
                        Some(Push::Event(frame)) => {
                            if s.replayed.remove(&frame.id) {
                                continue;
                            }
                            frame.bytes.clone()
                        }
                        Some(Push::Resync) => resync_frame(),
                        // Dropped for falling behind, or the server is stopping.
                        None => return None,
                    };
                    metrics::counter!("inbox_sse_events_sent_total").increment(1);
                    return Some((Ok(bytes), (s, tick)));
                }
                _ = tick.tick() => return Some((Ok(Bytes::from_static(b": keep-alive\n\n")), (s, tick))),
                _ = tokio::time::sleep_until(s.ends_at) => return None,
            }
        }
    })
}
