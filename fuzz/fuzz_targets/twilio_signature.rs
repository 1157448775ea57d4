//! Twilio's signature check accepts a header only when it is the request's
//! HMAC (URL and sorted parameters) under the auth token.
#![no_main]

use inbox_whatsapp::webhook::twilio;
use libfuzzer_sys::fuzz_target;

const URL: &str = "https://inbox.example.com/api/whatsapp/webhook/twilio";

fuzz_target!(|input: (&str, &str, Vec<(String, String)>)| {
    let (token, header, params) = input;
    let right = twilio::sign(token, URL, &params);
    assert!(twilio::verify_signature(token, URL, &params, Some(&right)));
    assert_eq!(twilio::verify_signature(token, URL, &params, Some(header)), header.trim() == right, "{header:?}");
    if token != "other-token" {
        assert!(!twilio::verify_signature("other-token", URL, &params, Some(&right)));
    }
});
