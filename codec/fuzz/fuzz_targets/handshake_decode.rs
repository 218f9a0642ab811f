//! Bytes → one handshake frame, as the initiator and as the acceptor sent it,
//! and the same bytes through a `HandshakeTracker` (with a cookie) as a run
//! of frames alternating sides.
//!
//! Invariants: no panic; `consumed` never exceeds the input; a Complete
//! decode has a typed message that re-encodes to exactly the consumed bytes
//! and leaf spans that tile them, at any base offset.
#![no_main]

use erldist_codec::conn::Side;
use erldist_codec::handshake::{decode_frame, HandshakeTracker};
use erldist_codec::span::check_tiling;
use libfuzzer_sys::fuzz_target;

const BASE: usize = 4000;

fuzz_target!(|data: &[u8]| {
    for side in [Side::Initiator, Side::Acceptor] {
        let f = decode_frame(data, 0, side);
        let g = decode_frame(data, BASE, side);
        assert!(f.frame.consumed <= data.len());
        assert_eq!(f.frame.consumed, g.frame.consumed);
        assert_eq!(f.frame.type_name, g.frame.type_name);
        if f.frame.status.is_complete() {
            let m = f.message.as_ref().expect("a complete frame has its message");
            let bytes = m.encode().expect("a decoded message encodes");
            assert_eq!(&bytes[..], &data[..f.frame.consumed], "lossless");
            check_tiling(&f.frame.spans, 0, f.frame.consumed).unwrap();
            check_tiling(&g.frame.spans, BASE, g.frame.consumed).unwrap();
        }
    }
    // A whole exchange: frames one after the other, sides taking turns
    // the way the handshake runs (1 initiator, 2 acceptor, ...).
    let mut t = HandshakeTracker::new(Some(b"cookie".to_vec()));
    let mut pos = 0;
    let order = [
        Side::Initiator,
        Side::Acceptor,
        Side::Acceptor,
        Side::Initiator,
        Side::Acceptor,
    ];
    for side in order.iter().cycle().take(16) {
        let Some(rest) = data.get(pos..).filter(|r| !r.is_empty()) else {
            break;
        };
        let f = t.decode(*side, rest, pos);
        assert!(f.frame.consumed <= rest.len());
        if f.frame.status.is_incomplete() || f.frame.consumed == 0 {
            break;
        }
        pos += f.frame.consumed;
    }
    let _ = (t.negotiated(), t.hidden(), t.reply_digest_ok(), t.ack_digest_ok());
});
