//! Provider callbacks: signature checks and payload parsing, as pure
//! functions (the HTTP handlers and the database live elsewhere).

pub mod meta;
pub mod twilio;

/// A callback body we cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WebhookParseError(pub String);

/// Replaces NUL characters, which PostgreSQL cannot store in text or jsonb,
/// with U+FFFD in every key and string of `value`. A signed callback that
/// holds one is then stored and applied instead of refused: a refusal would
/// make the provider deliver it again until it gives up, losing the message.
/// Returns whether anything was replaced.
pub fn replace_nul_in_json(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(s) => replace_nul(s),
        Value::Array(items) => items.iter_mut().fold(false, |found, v| replace_nul_in_json(v) | found),
        Value::Object(map) => {
            let mut found = false;
            if map.keys().any(|k| k.contains('\0')) {
                let entries = std::mem::take(map);
                *map = entries.into_iter().map(|(k, v)| (k.replace('\0', "\u{FFFD}"), v)).collect();
                found = true;
            }
            map.values_mut().fold(found, |found, v| replace_nul_in_json(v) | found)
        }
        _ => false,
    }
}

/// [`replace_nul_in_json`] for a form's names and values (Twilio's).
pub fn replace_nul_in_params(params: &mut [(String, String)]) -> bool {
    params.iter_mut().fold(false, |found, (k, v)| replace_nul(k) | replace_nul(v) | found)
}

/// [`replace_nul_in_json`] for one string.
pub fn replace_nul(s: &mut String) -> bool {
    if !s.contains('\0') {
        return false;
    }
    *s = s.replace('\0', "\u{FFFD}");
    true
}

/// Compares two byte strings in time independent of where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nul_characters_become_replacement_characters_everywhere_and_nothing_else_changes() {
        let mut v = json!({"a\0": ["x\0y", 1, {"b": "\0"}], "c": "clean"});
        assert!(replace_nul_in_json(&mut v));
        assert_eq!(v, json!({"a\u{FFFD}": ["x\u{FFFD}y", 1, {"b": "\u{FFFD}"}], "c": "clean"}));
        assert!(!replace_nul_in_json(&mut v), "nothing left to replace");
        let mut plain = json!({"entry": [{"id": "1", "n": null, "t": true}]});
        let before = plain.clone();
        assert!(!replace_nul_in_json(&mut plain));
        assert_eq!(plain, before);
    }
}
