//! Message direction and the message status state machine.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageDirection {
    Inbound,
    Outbound,
}

impl MessageDirection {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inbound => "inbound",
            Self::Outbound => "outbound",
        }
    }
}

impl FromStr for MessageDirection {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "inbound" => Ok(Self::Inbound),
            "outbound" => Ok(Self::Outbound),
            other => Err(format!("unknown message direction {other:?}")),
        }
    }
}

/// Where a message is in its life:
///
/// ```text
/// sending -> sent -> delivered -> read
/// sending | sent -> failed
/// failed -(retry)-> sending
/// ```
///
/// Provider statuses arrive late, twice and out of order; a status change
/// that would move a message backwards is ignored, never an error.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    Sending,
    Sent,
    Delivered,
    Read,
    Failed,
}

impl MessageStatus {
    pub const ALL: [MessageStatus; 5] = [Self::Sending, Self::Sent, Self::Delivered, Self::Read, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
        }
    }

    /// The statuses a message may be in for a provider-reported `self` to apply.
    /// `Sending` is not here: only a retry moves a message back to sending
    /// (see [`MessageStatus::can_retry`]).
    pub fn applies_after(self) -> &'static [MessageStatus] {
        use MessageStatus::*;
        match self {
            Sending => &[],
            Sent => &[Sending],
            Delivered => &[Sending, Sent],
            Read => &[Sending, Sent, Delivered],
            Failed => &[Sending, Sent],
        }
    }

    /// Whether a provider-reported status moves a message forward from `from`.
    pub fn can_follow(self, from: MessageStatus) -> bool {
        self.applies_after().contains(&from)
    }

    /// Only failed messages can be retried.
    pub fn can_retry(self) -> bool {
        self == Self::Failed
    }

    /// The statuses a retry takes a message from (as the SQL guard binds them).
    pub fn retryable() -> &'static [MessageStatus] {
        &[Self::Failed]
    }

    /// Whether a message shown as `self` may be shown as `to` next: a
    /// provider-reported status that moves it forward, or a retry taking a
    /// failed message back to sending. Every writer (the SQL guards, the
    /// webhooks, the sweeper) and the app's merging of live updates and
    /// refetches answer with this one rule.
    pub fn can_move_to(self, to: MessageStatus) -> bool {
        to.can_follow(self) || (to == Self::Sending && self.can_retry())
    }
}

impl fmt::Display for MessageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MessageStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|st| st.as_str() == s).ok_or_else(|| format!("unknown message status {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::MessageStatus::*;
    use super::*;

    #[test]
    fn statuses_move_only_forward() {
        assert!(Sent.can_follow(Sending));
        assert!(Delivered.can_follow(Sent));
        assert!(Read.can_follow(Delivered));
        assert!(Read.can_follow(Sending), "a read receipt may overtake the sent one");
        assert!(!Delivered.can_follow(Read), "a late delivered after read changes nothing");
        assert!(!Sent.can_follow(Sent), "a repeated status changes nothing");
        assert!(!Sending.can_follow(Failed), "only a retry goes back to sending");
    }

    #[test]
    fn failed_only_from_sending_or_sent() {
        assert!(Failed.can_follow(Sending));
        assert!(Failed.can_follow(Sent));
        assert!(!Failed.can_follow(Delivered));
        assert!(!Failed.can_follow(Read));
        assert!(!Failed.can_follow(Failed));
        assert!(!Read.can_follow(Failed));
    }

    #[test]
    fn only_failed_messages_can_be_retried() {
        for s in MessageStatus::ALL {
            assert_eq!(s.can_retry(), s == Failed);
        }
    }

    #[test]
    fn a_message_moves_forward_or_back_to_sending_by_a_retry_and_nowhere_else() {
        // from -> the statuses it may move to.
        let table = [
            (Sending, vec![Sent, Delivered, Read, Failed]),
            (Sent, vec![Delivered, Read, Failed]),
            (Delivered, vec![Read]),
            (Read, vec![]),
            (Failed, vec![Sending]),
        ];
        for (from, allowed) in table {
            for to in MessageStatus::ALL {
                assert_eq!(from.can_move_to(to), allowed.contains(&to), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for s in MessageStatus::ALL {
            assert_eq!(s.as_str().parse::<MessageStatus>().unwrap(), s);
        }
        assert!("bogus".parse::<MessageStatus>().is_err());
    }
}
