//! A signed Meta callback as the webhook reads it: no body panics the
//! parser, and what is kept holds no NUL (PostgreSQL cannot store one).
#![no_main]

use inbox_whatsapp::webhook::meta;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &[u8]| {
    let (payload, _events) = meta::parse_signed(raw);
    assert!(!payload.to_string().contains("\\u0000"), "a NUL is kept: {payload}");
});
