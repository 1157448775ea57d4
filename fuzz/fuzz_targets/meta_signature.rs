//! Meta's signature check accepts a header only when it is the body's
//! HMAC under the app secret: no forged or mangled header, no other secret.
#![no_main]

use inbox_whatsapp::webhook::meta;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&[u8], &str, &[u8])| {
    let (secret, header, body) = input;
    let right = meta::sign(secret, body);
    assert!(meta::verify_signature(secret, body, Some(&right)));
    // The same digest, however spaced around or cased in its hex.
    let right_hex = right.strip_prefix("sha256=").expect("sign writes the prefix");
    let same = header.trim().strip_prefix("sha256=").is_some_and(|hex| hex.eq_ignore_ascii_case(right_hex));
    assert_eq!(meta::verify_signature(secret, body, Some(header)), same, "{header:?}");
    if secret != b"another-secret" {
        assert!(!meta::verify_signature(b"another-secret", body, Some(&right)));
    }
});
