//! A signed Twilio callback as the webhook reads it (a form): no body panics
//! the parser, and after NULs are replaced none is left to store.
#![no_main]

use inbox_whatsapp::webhook::{self, twilio};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &[u8]| {
    let mut params: Vec<(String, String)> = form_urlencoded::parse(raw).into_owned().collect();
    let _ = twilio::parse(&params);
    if webhook::replace_nul_in_params(&mut params) {
        let _ = twilio::parse(&params);
    }
    assert!(params.iter().all(|(k, v)| !k.contains('\0') && !v.contains('\0')));
});
