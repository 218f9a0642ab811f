//! Bytes → connected-phase frames, one after the other, through ONE
//! `ConnectedDecoder` (so atom-cache entries and fragment buffers carry
//! across frames), once with every frame kind allowed (flags unknown) and
//! once with OTP 25's negotiated flags.
//!
//! Invariants: no panic; `consumed` never exceeds the input; a Complete
//! frame's leaf spans tile it, and a reassembled message's spans tile the
//! reassembled bytes.
#![no_main]

use erldist_codec::dist::ConnectedDecoder;
use erldist_codec::span::check_tiling;
use libfuzzer_sys::fuzz_target;

fn run(mut dec: ConnectedDecoder, data: &[u8]) {
    let mut pos = 0;
    for _ in 0..64 {
        let Some(rest) = data.get(pos..).filter(|r| !r.is_empty()) else {
            break;
        };
        let f = dec.decode_frame(rest, pos);
        assert!(f.frame.consumed <= rest.len());
        if f.frame.status.is_incomplete() || f.frame.consumed == 0 {
            break;
        }
        if f.frame.status.is_complete() {
            check_tiling(&f.frame.spans, pos, f.frame.consumed).unwrap();
            if let Some(r) = &f.reassembled {
                check_tiling(&r.spans, 0, r.bytes.len()).unwrap();
            }
        }
        pos += f.frame.consumed;
    }
    let _ = dec.pending_fragments();
}

fuzz_target!(|data: &[u8]| {
    run(ConnectedDecoder::new(None), data);
    run(ConnectedDecoder::new(Some(0x0d_07df_7fbd)), data);
});
