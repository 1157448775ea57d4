//! No input panics the message text rules; accepted text is never blank nor
//! over WhatsApp's limit, and its preview is cut on a character boundary.
#![no_main]

use inbox_types::MessageText;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, u8)| {
    let (input, max) = input;
    if let Ok(text) = MessageText::parse(input) {
        assert!(!text.as_str().trim().is_empty(), "{input:?}");
        assert!(text.as_str().chars().count() <= MessageText::MAX_CHARS);
        let preview = text.preview(usize::from(max));
        assert!(preview.chars().count() <= usize::from(max).max(1));
    }
});
