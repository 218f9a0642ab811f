//! The session decoder on arbitrary conversations: the input is cut into
//! chunks, each sent by one side (the first byte chooses the protocol
//! detection and whether a cookie is given; then each chunk is
//! `len:u8 side:u8 bytes`). Asserts no panic, every frame's bytes are the
//! stream's next bytes, and complete frames' leaf spans tile them.
#![no_main]

use erldist_codec::conn::Side;
use erldist_codec::session::{ProtocolChoice, Session, SessionFrame, SessionOptions};
use erldist_codec::span::check_tiling;
use libfuzzer_sys::fuzz_target;

fn check(frames: &[SessionFrame], streams: &[Vec<u8>; 2], seen: &mut [usize; 2]) {
    for f in frames {
        let i = usize::from(f.side == Side::Acceptor);
        assert_eq!(f.offset, seen[i], "frames of one side follow each other");
        assert_eq!(
            &streams[i][f.offset..f.offset + f.bytes.len()],
            &f.bytes[..],
            "a frame's bytes are the stream's bytes"
        );
        seen[i] += f.bytes.len();
        if f.decoded.status.is_complete() {
            if let Err(e) = check_tiling(&f.decoded.spans, f.offset, f.bytes.len()) {
                panic!("{} does not tile: {e}", f.decoded.type_name);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, mut rest)) = data.split_first() else {
        return;
    };
    let protocol = match mode % 3 {
        0 => ProtocolChoice::Auto,
        1 => ProtocolChoice::Epmd,
        _ => ProtocolChoice::Dist,
    };
    let cookie = (mode & 4 != 0).then(|| b"secret".to_vec());
    let mut s = Session::new(SessionOptions {
        protocol,
        cookie,
        acceptor_port: None,
    });
    let mut streams = [Vec::new(), Vec::new()];
    let mut seen = [0usize; 2];
    while let [len, side, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let side = if side & 1 == 0 { Side::Initiator } else { Side::Acceptor };
        let chunk = &tail[..n];
        streams[usize::from(side == Side::Acceptor)].extend_from_slice(chunk);
        let frames = s.feed(side, chunk);
        check(&frames, &streams, &mut seen);
        rest = &tail[n..];
    }
    let frames = s.finish();
    check(&frames, &streams, &mut seen);
    // Everything fed was accounted for.
    assert_eq!(seen[0], streams[0].len());
    assert_eq!(seen[1], streams[1].len());
});
