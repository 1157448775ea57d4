//! The text of a WhatsApp message.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// A message body: 1..=4096 characters, counted as Unicode scalar values
/// (what WhatsApp counts), never bytes. Whitespace-only text is empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct MessageText(String);

impl MessageText {
    pub const MAX_CHARS: usize = 4096;

    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        if input.trim().is_empty() {
            return Err(ValidationError::new("messageText", "Message cannot be empty"));
        }
        if input.contains('\0') {
            return Err(ValidationError::new("messageText", "Message must not contain NUL characters"));
        }
        let chars = input.chars().count();
        if chars > Self::MAX_CHARS {
            return Err(ValidationError::new(
                "messageText",
                format!("Message too long: {chars} characters, at most {}", Self::MAX_CHARS),
            ));
        }
        Ok(MessageText(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }

    /// The first line(s) of the text, at most `max` characters, for the
    /// conversation list; an ellipsis marks a cut.
    pub fn preview(&self, max: usize) -> String {
        preview(&self.0, max)
    }
}

/// Shortens `text` to at most `max` characters (never splitting a character),
/// folding line breaks into spaces.
pub fn preview(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let mut cut: String = flat.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(feature = "openapi")]
impl MessageText {
    /// These rules as a JSON Schema, for the request fields that carry a
    /// message text (with `schema_with`).
    pub fn schema() -> utoipa::openapi::Object {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .min_length(Some(1))
            .max_length(Some(Self::MAX_CHARS))
            // Something besides whitespace, and no NUL.
            .pattern(Some(r"^[^\u0000]*[^\s\u0000][^\u0000]*$"))
            .examples(["Hi Maria, your order is on its way 🚚"])
            .build()
    }
}

impl fmt::Display for MessageText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for MessageText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        MessageText::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn empty_and_whitespace_only_text_is_rejected() {
        for s in ["", " ", "\n\t  "] {
            assert_eq!(MessageText::parse(s).unwrap_err().message, "Message cannot be empty");
        }
    }

    #[test]
    fn length_is_counted_in_characters_not_bytes() {
        // 4096 emoji are 16 KiB of UTF-8 but exactly at the limit.
        let emoji = "😀".repeat(4096);
        assert_eq!(MessageText::parse(&emoji).unwrap().as_str().chars().count(), 4096);
        let too_long = "a".repeat(4097);
        let e = MessageText::parse(&too_long).unwrap_err();
        assert!(e.message.contains("too long"), "{}", e.message);
    }

    #[test]
    fn emoji_and_symbols_are_kept_intact() {
        let s = "Olá 👋🏽 ñ € <b>&amp;</b> 👨‍👩‍👧";
        assert_eq!(MessageText::parse(s).unwrap().as_str(), s);
    }

    #[test]
    fn preview_cuts_on_character_boundaries() {
        assert_eq!(preview("hello\nworld", 50), "hello world");
        assert_eq!(preview(&"😀".repeat(10), 5), "😀😀😀😀…");
    }

    proptest! {
        #[test]
        fn accepted_text_is_never_blank_or_over_the_limit(s in "\\PC{0,50}") {
            if let Ok(t) = MessageText::parse(&s) {
                prop_assert!(!t.as_str().trim().is_empty());
                prop_assert!(t.as_str().chars().count() <= MessageText::MAX_CHARS);
            }
        }
    }
}
