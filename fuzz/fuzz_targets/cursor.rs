//! No input panics the page cursor decoder, and a cursor it accepts encodes
//! back to a cursor that decodes to the same position.
#![no_main]

use inbox_types::Cursor;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    if let Ok(cursor) = Cursor::decode(input) {
        assert_eq!(Cursor::decode(&cursor.encode()), Ok(cursor), "{input:?}");
    }
});
