//! Bytes → `decode_request` and `decode_reply` (every `ReplyContext`).
//!
//! Invariants checked on every input:
//! * no panic; `consumed` never exceeds the input;
//! * a Complete decode carries a message whose type and direction match the
//!   frame, which re-encodes to exactly the consumed bytes, and whose leaf
//!   spans tile the consumed bytes (no gap, no overlap), at any base offset.
#![no_main]

use erldist_codec::epmd::{
    decode_reply, decode_request, Decoded, Direction, ReplyContext, ALIVE2_REQ, ALIVE_REQ,
    DUMP_REQ, KILL_REQ, NAMES_REQ, PORT_PLEASE2_REQ, PORT_PLEASE_REQ, STOP_REQ,
};
use erldist_codec::span::check_tiling;
use libfuzzer_sys::fuzz_target;

/// Every request a reply can answer, plus "unknown" (None), obsolete codes
/// and a byte that is no request at all.
const ANSWERS: [Option<u8>; 10] = [
    None,
    Some(ALIVE2_REQ),
    Some(PORT_PLEASE2_REQ),
    Some(NAMES_REQ),
    Some(DUMP_REQ),
    Some(KILL_REQ),
    Some(STOP_REQ),
    Some(ALIVE_REQ),
    Some(PORT_PLEASE_REQ),
    Some(0),
];

/// A base offset other than 0, to check spans are shifted consistently.
const BASE: usize = 1000;

/// `ctx`: `None` for a request, the context for a reply (named in messages only).
fn check(ctx: Option<ReplyContext>, data: &[u8], d: &Decoded, shifted: &Decoded) {
    let what = Name(ctx);
    let direction = match ctx {
        None => Direction::Request,
        Some(_) => Direction::Reply,
    };
    assert!(
        d.consumed <= data.len(),
        "{what}: consumed {} of {} bytes",
        d.consumed,
        data.len()
    );
    assert_eq!(d.direction, direction, "{what}: direction");
    assert_eq!(
        d.consumed, shifted.consumed,
        "{what}: base offset changed consumed"
    );
    assert_eq!(
        d.status.is_complete(),
        shifted.status.is_complete(),
        "{what}: base offset changed the status"
    );
    if !d.status.is_complete() {
        assert!(
            d.message.is_none(),
            "{what}: a message without a complete decode"
        );
        return;
    }
    let consumed = d.consumed;
    let frame = &data[..consumed];
    let Some(msg) = d.message.as_ref() else {
        panic!("{what}: complete but no message");
    };
    assert_eq!(msg.type_name(), d.type_name, "{what}: type name");
    assert_eq!(msg.direction(), direction, "{what}: message direction");
    match msg.encode() {
        Ok(bytes) => assert_eq!(bytes, frame, "{what}: {msg:?} re-encodes differently"),
        Err(e) => panic!("{what}: {msg:?} decoded but does not encode: {e}"),
    }
    if let Err(e) = check_tiling(&d.spans, 0, consumed) {
        panic!(
            "{what}: spans do not tile 0..{consumed}: {e}\n{:#?}",
            d.spans
        );
    }
    if let Err(e) = check_tiling(&shifted.spans, BASE, consumed) {
        panic!("{what}: spans at base {BASE} do not tile: {e}");
    }
}

/// Formats lazily: only a failing assertion pays for the text.
struct Name(Option<ReplyContext>);

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            None => write!(f, "decode_request"),
            Some(ctx) => write!(f, "decode_reply {ctx:?}"),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let d = decode_request(data, 0);
    let s = decode_request(data, BASE);
    check(None, data, &d, &s);
    for eof in [false, true] {
        for answers in ANSWERS {
            let ctx = ReplyContext { eof, answers };
            let d = decode_reply(data, 0, ctx);
            let s = decode_reply(data, BASE, ctx);
            check(Some(ctx), data, &d, &s);
        }
    }
});
