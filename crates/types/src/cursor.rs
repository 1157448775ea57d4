//! Opaque keyset cursors: base64 of `<microseconds since epoch>:<uuid>`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::ValidationError;

/// A position in a list ordered by (time desc, id desc). Clients treat the
/// encoded form as opaque.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub time: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    pub fn new(time: DateTime<Utc>, id: Uuid) -> Self {
        Self { time, id }
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.time.timestamp_micros(), self.id))
    }

    /// Decodes a client's cursor; anything we did not make is a validation
    /// error naming the `cursor` field.
    pub fn decode(s: &str) -> Result<Self, ValidationError> {
        let bad = || ValidationError::new("cursor", "cursor is not valid; use the value returned by the previous page");
        let bytes = URL_SAFE_NO_PAD.decode(s.trim().trim_end_matches('=')).map_err(|_| bad())?;
        let text = std::str::from_utf8(&bytes).map_err(|_| bad())?;
        let (micros, id) = text.split_once(':').ok_or_else(bad)?;
        let micros: i64 = micros.parse().map_err(|_| bad())?;
        let time = DateTime::from_timestamp_micros(micros).ok_or_else(bad)?;
        let id = Uuid::parse_str(id).map_err(|_| bad())?;
        Ok(Self { time, id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_cursor_round_trips_with_microsecond_precision() {
        let time = DateTime::from_timestamp_micros(1_767_225_600_123_456).unwrap();
        let c = Cursor::new(time, Uuid::now_v7());
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
    }

    #[test]
    fn garbage_is_a_validation_error_on_the_cursor_field() {
        for s in ["", "!!!", "bm90LWEtY3Vyc29y", "MTIzOm5vdC1hLXV1aWQ", "OTk5OTk5OTk5OTk5OTk5OTk5OTk6MA"] {
            assert_eq!(Cursor::decode(s).unwrap_err().field, "cursor", "{s}");
        }
    }

    proptest! {
        #[test]
        fn decoding_never_panics(s in "\\PC{0,80}") {
            let _ = Cursor::decode(&s);
        }
    }
}
