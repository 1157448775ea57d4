//! No input panics the phone parser, and a number it accepts is canonical:
//! it parses back to itself.
#![no_main]

use inbox_types::E164Phone;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    if let Ok(phone) = E164Phone::parse(input) {
        assert_eq!(E164Phone::parse(phone.as_str()).as_ref(), Ok(&phone), "{input:?}");
    }
});
