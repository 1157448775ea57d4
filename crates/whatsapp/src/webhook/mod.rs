//! Provider callbacks: signature checks and payload parsing, as pure
//! functions (the HTTP handlers and the database live elsewhere).

pub mod meta;
pub mod twilio;

/// A callback body we cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WebhookParseError(pub String);

/// Compares two byte strings in time independent of where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
