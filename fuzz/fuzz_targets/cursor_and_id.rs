//! Pagination cursors and global ids, as clients send them back: no panic, and whatever
//! decodes encodes to something that decodes the same. Each input is tried as sent and,
//! so that the fuzzer reaches the format inside, base64url-encoded first.
#![no_main]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use newsroom::domain::pagination::Cursor;
use newsroom::graphql::ids;

fn check(text: &str) {
    if let Ok(cursor) = Cursor::decode("after", text) {
        assert_eq!(Cursor::decode("after", &cursor.encode()).expect("a re-encoded cursor decodes"), cursor);
    }
    if let Some((kind, id)) = ids::decode(text) {
        assert!(id > 0);
        assert_eq!(ids::decode(&ids::encode(kind, id)), Some((kind, id)));
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check(text);
    }
    check(&URL_SAFE_NO_PAD.encode(data));
});
