//! Message search (`GET /api/messages/search`): what a search may ask for,
//! the words it looks for, and the hits it answers with.
//!
//! A search finds messages containing every word of the query, each as the
//! start of a word ("ord" finds "order"), ignoring case and accents, newest
//! first, as WhatsApp Web's search does.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::cursor::Cursor;
use crate::dto::{MessageDto, PageLimit};
use crate::error::ValidationError;
use crate::ids::ConversationId;

/// The words of a search: runs of letters and digits, at most
/// [`SearchWords::MAX_WORDS`] of them, from a query of at most
/// [`SearchWords::MAX_CHARS`] characters. Punctuation separates words and is
/// otherwise ignored, so no input can change the meaning of the database
/// query built from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchWords(Vec<String>);

impl SearchWords {
    pub const MAX_CHARS: usize = 100;
    pub const MAX_WORDS: usize = 8;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let bad = |why: &str| ValidationError::new("q", why.to_owned());
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(bad("q must be at most 100 characters"));
        }
        let words: Vec<String> =
            raw.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_owned).collect();
        if words.is_empty() {
            return Err(bad("q must contain at least one letter or digit"));
        }
        if words.len() > Self::MAX_WORDS {
            return Err(bad("q may contain at most 8 words"));
        }
        Ok(Self(words))
    }

    pub fn words(&self) -> &[String] {
        &self.0
    }

    /// PostgreSQL `to_tsquery` text: every word as a prefix, all required
    /// (`order:* & 482:*`). Safe to pass as a parameter: words hold only
    /// letters and digits, none of tsquery's operators.
    pub fn to_tsquery(&self) -> String {
        self.0.iter().map(|w| format!("{w}:*")).collect::<Vec<_>>().join(" & ")
    }
}

/// Query of `GET /api/messages/search`, as the client sent it.
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MessageSearchQuery {
    /// The words to find (1 to 100 characters; each word matches the start
    /// of a word, ignoring case and accents; all must occur).
    #[cfg_attr(feature = "openapi", param(min_length = 1, max_length = 100, example = "order status"))]
    pub q: Option<String>,
    /// Only this conversation's messages (the chat's own search).
    #[cfg_attr(feature = "openapi", param(value_type = Option<Uuid>))]
    pub conversation_id: Option<String>,
    /// `nextCursor` of the previous page.
    #[cfg_attr(feature = "openapi", param(min_length = 1))]
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[cfg_attr(feature = "openapi", param(value_type = Option<i64>, minimum = 1, maximum = 100))]
    pub limit: Option<String>,
}

/// A validated message search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSearchParams {
    pub words: SearchWords,
    pub conversation_id: Option<ConversationId>,
    pub cursor: Option<Cursor>,
    pub limit: PageLimit,
}

impl MessageSearchParams {
    pub const DEFAULT_LIMIT: u32 = 20;
}

impl MessageSearchQuery {
    pub fn validate(&self) -> Result<MessageSearchParams, ValidationError> {
        let q = self.q.as_deref().ok_or_else(|| ValidationError::new("q", "q is required"))?;
        Ok(MessageSearchParams {
            words: SearchWords::parse(q)?,
            conversation_id: self
                .conversation_id
                .as_deref()
                .map(|s| {
                    Uuid::parse_str(s.trim())
                        .map(ConversationId)
                        .map_err(|_| ValidationError::new("conversationId", "conversationId must be a UUID"))
                })
                .transpose()?,
            cursor: self.cursor.as_deref().map(Cursor::decode).transpose()?,
            limit: match self.limit.as_deref() {
                None => PageLimit::new(i64::from(MessageSearchParams::DEFAULT_LIMIT))?,
                raw => PageLimit::parse(raw)?,
            },
        })
    }
}

/// A piece of a hit's snippet; `matched` pieces are the found words.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnippetPart {
    pub text: String,
    pub matched: bool,
}

/// The chat a hit belongs to, as the result list names it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HitChat {
    pub id: Uuid,
    /// The contact's name, else username, else phone number.
    pub title: String,
    pub is_group: bool,
    pub is_archived: bool,
}

/// One message found.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageHit {
    pub message: MessageDto,
    pub conversation: HitChat,
    /// A short excerpt of the message around the found words, in order.
    pub snippet: Vec<SnippetPart>,
}

/// A page of hits, newest first; `nextCursor` fetches older ones.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageSearchOutput {
    pub hits: Vec<MessageHit>,
    pub next_cursor: Option<String>,
    pub has_more: bool,
}

/// Marks PostgreSQL's `ts_headline` puts around a found word (private-use
/// characters, which no message is expected to contain).
pub const MATCH_START: char = '\u{E000}';
pub const MATCH_END: char = '\u{E001}';

/// Splits a marked headline into snippet parts: text between a start and
/// the next end mark is matched; marks without their partner are dropped.
pub fn snippet_parts(marked: &str) -> Vec<SnippetPart> {
    let mut parts: Vec<SnippetPart> = Vec::new();
    let mut push = |text: &str, matched: bool| {
        if text.is_empty() {
            return;
        }
        match parts.last_mut() {
            Some(last) if last.matched == matched => last.text.push_str(text),
            _ => parts.push(SnippetPart { text: text.to_owned(), matched }),
        }
    };
    let (mut plain, mut found, mut open) = (String::new(), String::new(), false);
    for c in marked.chars() {
        match (c, open) {
            (MATCH_START, false) => {
                push(&std::mem::take(&mut plain), false);
                open = true;
            }
            (MATCH_END, true) => {
                push(&std::mem::take(&mut found), true);
                open = false;
            }
            (MATCH_START | MATCH_END, _) => {}
            (c, true) => found.push(c),
            (c, false) => plain.push(c),
        }
    }
    // A start without its end: what follows it is plain text.
    plain.push_str(&found);
    push(&plain, false);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn words_are_runs_of_letters_and_digits_and_punctuation_only_separates_them() {
        let w = SearchWords::parse("  Order #48213, café!  ").unwrap();
        assert_eq!(w.words(), ["Order", "48213", "café"]);
        assert_eq!(w.to_tsquery(), "Order:* & 48213:* & café:*");
        assert_eq!(SearchWords::parse("مرحبا").unwrap().words(), ["مرحبا"]);
    }

    #[test]
    fn a_query_without_words_or_too_long_is_refused_on_the_q_field() {
        for q in ["", "   ", "!!! & | :*", &"a".repeat(101), "a b c d e f g h i"] {
            assert_eq!(SearchWords::parse(q).unwrap_err().field, "q", "{q:?}");
        }
    }

    #[test]
    fn the_query_needs_q_and_a_uuid_conversation() {
        assert_eq!(MessageSearchQuery::default().validate().unwrap_err().field, "q");
        let q = MessageSearchQuery { q: Some("hi".into()), conversation_id: Some("x".into()), ..Default::default() };
        assert_eq!(q.validate().unwrap_err().field, "conversationId");
        let q = MessageSearchQuery { q: Some("hi".into()), ..Default::default() };
        assert_eq!(q.validate().unwrap().limit.get(), MessageSearchParams::DEFAULT_LIMIT);
    }

    #[test]
    fn a_marked_headline_becomes_parts() {
        let parts = snippet_parts("Your \u{E000}order\u{E001} left, \u{E000}order\u{E001}\u{E000}s\u{E001} too");
        let flat: Vec<(&str, bool)> = parts.iter().map(|p| (p.text.as_str(), p.matched)).collect();
        assert_eq!(flat, [("Your ", false), ("order", true), (" left, ", false), ("orders", true), (" too", false)]);
        assert_eq!(snippet_parts("no marks"), [SnippetPart { text: "no marks".into(), matched: false }]);
        assert_eq!(snippet_parts("a\u{E000}b"), [SnippetPart { text: "ab".into(), matched: false }]);
    }

    proptest! {
        #[test]
        fn any_query_is_parsed_or_refused_never_panics_and_only_words_reach_tsquery(q in "\\PC{0,120}") {
            if let Ok(w) = SearchWords::parse(&q) {
                let ts = w.to_tsquery();
                prop_assert!(ts.chars().all(|c| c.is_alphanumeric() || " &:*".contains(c)));
            }
        }

        #[test]
        fn snippet_parts_keep_every_unmarked_character(s in "[a-z \u{E000}\u{E001}]{0,40}") {
            let joined: String = snippet_parts(&s).into_iter().map(|p| p.text).collect();
            let plain: String = s.chars().filter(|c| *c != MATCH_START && *c != MATCH_END).collect();
            prop_assert_eq!(joined, plain);
        }
    }
}
