//! Operation timings (plan 6.5 and 11.3): every service operation records its
//! duration as a histogram and logs a warning when it passes the plan's target.

use std::future::Future;
use std::time::{Duration, Instant};

/// The operations the plan sets a time target for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    SendNewMessage,
    EnsureContact,
    EnsureConversation,
    CreateMessage,
    WhatsappSend,
    ListConversations,
    GetConversationMessages,
    SearchMessages,
}

impl Operation {
    pub fn name(self) -> &'static str {
        match self {
            Self::SendNewMessage => "sendNewMessage",
            Self::EnsureContact => "ensureContact",
            Self::EnsureConversation => "ensureConversation",
            Self::CreateMessage => "createMessage",
            Self::WhatsappSend => "whatsapp.send",
            Self::ListConversations => "listConversations",
            Self::GetConversationMessages => "getConversationMessages",
            Self::SearchMessages => "searchMessages",
        }
    }

    /// The plan's target (section 11.3).
    pub fn target(self) -> Duration {
        Duration::from_millis(match self {
            Self::SendNewMessage => 2_000,
            Self::EnsureContact | Self::EnsureConversation | Self::CreateMessage => 200,
            Self::WhatsappSend => 5_000,
            Self::ListConversations | Self::GetConversationMessages | Self::SearchMessages => 500,
        })
    }
}

/// Name of the histogram every operation's duration goes to, labelled by
/// `operation` and `outcome`.
pub const OPERATION_DURATION: &str = "inbox_operation_duration_seconds";

/// Runs `fut`, then records how long it took and whether it succeeded.
pub async fn timed<T, E, F>(op: Operation, fut: F) -> Result<T, E>
where
    F: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let started = Instant::now();
    let result = fut.await;
    record(op, started.elapsed(), result.as_ref().map(|_| ()).map_err(|e| e.to_string()));
    result
}

pub fn record(op: Operation, elapsed: Duration, outcome: Result<(), String>) {
    let ok = outcome.is_ok();
    metrics::histogram!(OPERATION_DURATION, "operation" => op.name(), "outcome" => if ok { "ok" } else { "error" })
        .record(elapsed.as_secs_f64());
    let ms = elapsed.as_secs_f64() * 1000.0;
    if elapsed > op.target() {
        tracing::warn!(
            operation = op.name(),
            duration_ms = ms,
            target_ms = op.target().as_millis() as u64,
            success = ok,
            "slow operation"
        );
    } else {
        tracing::debug!(operation = op.name(), duration_ms = ms, success = ok, "operation finished");
    }
    if let Err(error) = outcome {
        tracing::info!(operation = op.name(), duration_ms = ms, %error, "operation failed");
    }
}
