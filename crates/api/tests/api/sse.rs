//! A small server-sent-events reader for tests.

use std::time::Duration;

use std::pin::Pin;

use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt};
use serde_json::Value;

type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    pub id: Option<i64>,
    pub kind: String,
    pub data: Value,
}

pub struct SseClient {
    stream: ByteStream,
    buf: String,
    /// Comment lines seen (keep-alives).
    pub comments: usize,
}

impl SseClient {
    pub async fn open(req: reqwest::RequestBuilder) -> SseClient {
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200, "{:?}", res.headers());
        assert_eq!(res.headers()["content-type"], "text/event-stream");
        SseClient { stream: Box::pin(res.bytes_stream()), buf: String::new(), comments: 0 }
    }

    /// The next event, or None if none comes within `wait` (or the stream ends).
    pub async fn next(&mut self, wait: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let frame: String = self.buf.drain(..end + 2).collect();
                let (mut id, mut kind, mut data) = (None, None, String::new());
                for line in frame.lines() {
                    if line.starts_with(':') {
                        self.comments += 1;
                    } else if let Some(v) = line.strip_prefix("id: ") {
                        id = v.parse().ok();
                    } else if let Some(v) = line.strip_prefix("event: ") {
                        kind = Some(v.to_owned());
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data.push_str(v);
                    }
                }
                if let Some(kind) = kind {
                    return Some(SseEvent { id, kind, data: serde_json::from_str(&data).unwrap_or(Value::Null) });
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.stream.next()).await.ok()??;
            self.buf.push_str(&String::from_utf8_lossy(&chunk.ok()?));
        }
    }

    /// The next event of `kind` (others are skipped); panics if none comes.
    pub async fn expect(&mut self, kind: &str, wait: Duration) -> SseEvent {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some(e) if e.kind == kind => return e,
                Some(_) => {}
                None => panic!("no {kind} event within {wait:?}"),
            }
        }
    }

    /// Every event that arrives within `wait`.
    pub async fn drain(&mut self, wait: Duration) -> Vec<SseEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut out = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some(e) => out.push(e),
                None => return out,
            }
        }
    }
}
