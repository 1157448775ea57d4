//! A signed Meta callback as the webhook reads it: no body panics the
//! parser, and what is kept holds no NUL (PostgreSQL cannot store one).
#![no_main]

use inbox_whatsapp::webhook::meta;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn holds_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

fuzz_target!(|raw: &[u8]| {
    let (payload, _events) = meta::parse_signed(raw);
    assert!(!holds_nul(&payload), "a NUL is kept: {payload}");
});
