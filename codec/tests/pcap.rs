//! Capture import (`capture::decode_capture`) on the real OTP 25 captures of
//! tests/vectors (see its README): every frame, in order per connection and
//! direction, is the frame the independent per-stream listings give
//! (`dist/*.streams.txt`, `corpus/*.payloads.txt`, made by the capture
//! scripts' `pcap_tool.py` from the same pcaps); synthetic captures for each
//! link type and for TCP's troubles (out of order, retransmission, overlap,
//! gap, no SYN, sequence wrap-around); pcap byte orders and nanoseconds,
//! pcapng with two interfaces; and a cross-check against Debian's `tshark`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use erldist_codec::capture::{decode_capture, CaptureOptions};
use erldist_codec::conn::Side;
use erldist_codec::epmd::Status;
use erldist_codec::input::conversation::{Chunk, Conversation};
use erldist_codec::report::decode_conversations;
use erldist_codec::{decode_text, DecodeOptions, Report};
use std::collections::BTreeMap;

const DIST: [&str; 5] = [
    "dist_full",
    "dist_hidden",
    "dist_rawclient",
    "dist_v5_name",
    "dist_wrong_cookie",
];
const EPMD: [&str; 2] = ["epmd_strict", "epmd_relaxed"];

fn path(rel: &str) -> String {
    format!("{}/tests/vectors/{rel}", env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn opts(epmd_ports: &[u16]) -> CaptureOptions {
    CaptureOptions {
        epmd_ports: epmd_ports.to_vec(),
        cookie: Some(b"corpuscookie".to_vec()),
        ..CaptureOptions::default()
    }
}

/// Per connection label (`stream 3`): per side, (type, hex) of each frame.
type Frames = BTreeMap<String, [Vec<(String, String)>; 2]>;

fn by_stream(r: &Report) -> Frames {
    let mut out: Frames = BTreeMap::new();
    for f in &r.frames {
        let label = r.connections[f.stream.unwrap()].label.clone();
        let side = usize::from(f.side == Side::Acceptor);
        out.entry(label).or_default()[side].push((
            f.type_name.to_string(),
            erldist_codec::hex::encode(&f.bytes),
        ));
    }
    out
}

fn errors(r: &Report) -> Vec<String> {
    r.frames
        .iter()
        .filter_map(|f| match &f.status {
            Status::Invalid(e) => Some(format!("stream {:?} {}: {e}", f.stream, f.type_name)),
            Status::Incomplete(i) => Some(format!(
                "stream {:?} {}: {}",
                f.stream, f.type_name, i.message
            )),
            Status::Complete => None,
        })
        .collect()
}

/// `corpus/<capture>.payloads.txt`: one conversation per stream, one chunk
/// per segment, in capture order.
fn payload_conversations(text: &str) -> Vec<Conversation> {
    let mut convs: BTreeMap<usize, Conversation> = BTreeMap::new();
    let mut lines = text.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        if !line.starts_with('#') || !line.contains(" stream=") {
            continue;
        }
        let w: Vec<&str> = line.split_whitespace().collect();
        let stream: usize = w[3].strip_prefix("stream=").unwrap().parse().unwrap();
        let side = match w[4] {
            "client->server" => Side::Initiator,
            "server->client" => Side::Acceptor,
            other => panic!("{other}"),
        };
        let strip = |a: &str| a.split('(').next().unwrap().to_string();
        let (src, dst) = (strip(w[5]), strip(w[7]));
        let (_, hex) = lines.next().unwrap();
        let bytes = erldist_codec::input::parse_hex(hex).unwrap().bytes;
        let c = convs.entry(stream).or_insert_with(|| Conversation {
            label: format!("stream {stream}"),
            initiator: Some(if side == Side::Initiator {
                src.clone()
            } else {
                dst.clone()
            }),
            acceptor: Some(if side == Side::Initiator {
                dst.clone()
            } else {
                src.clone()
            }),
            line: n + 1,
            ..Conversation::default()
        });
        c.chunks.push(Chunk {
            side,
            bytes,
            line: n + 1,
        });
    }
    convs.into_values().collect()
}

fn reference(capture: &str) -> Report {
    let o = DecodeOptions {
        cookie: Some(b"corpuscookie".to_vec()),
        ..DecodeOptions::default()
    };
    if EPMD.contains(&capture) {
        let text = String::from_utf8(read(&format!("corpus/{capture}.payloads.txt"))).unwrap();
        decode_conversations(&payload_conversations(&text), &o)
    } else {
        let text = String::from_utf8(read(&format!("dist/{capture}.streams.txt"))).unwrap();
        decode_text(&text, &o)
    }
}

fn pcap_path(capture: &str) -> String {
    if EPMD.contains(&capture) {
        format!("corpus/{capture}.pcap")
    } else {
        format!("dist/{capture}.pcap")
    }
}

fn check_capture(capture: &str, epmd_ports: &[u16]) -> usize {
    let r = decode_capture(&read(&pcap_path(capture)), &opts(epmd_ports));
    assert_eq!(r.format, "pcap");
    assert!(r.input_error.is_none());
    let errs = errors(&r);
    assert!(errs.is_empty(), "{capture}: {errs:#?}");
    let want = reference(capture);
    let want_errs = errors(&want);
    assert!(want_errs.is_empty(), "{capture} reference: {want_errs:#?}");
    let got = by_stream(&r);
    let want = by_stream(&want);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "{capture}: streams with frames"
    );
    for (label, sides) in &want {
        for side in 0..2 {
            assert_eq!(
                got[label][side], sides[side],
                "{capture} {label} side {side} (epmd ports {epmd_ports:?})"
            );
        }
    }
    // Every connection names both ends as ip:port.
    for c in &r.connections {
        assert!(c.initiator.as_ref().unwrap().contains(':'), "{c:?}");
        assert!(c.acceptor.as_ref().unwrap().contains(':'), "{c:?}");
    }
    r.frames.len()
}

#[test]
fn every_corpus_capture_decodes_like_the_listings() {
    let mut counts = Vec::new();
    for capture in EPMD.iter().chain(DIST.iter()) {
        let n = check_capture(capture, &[4399]);
        let m = check_capture(capture, &[]);
        assert_eq!(n, m);
        counts.push(format!("{capture}: {n} frames"));
    }
    println!("{}", counts.join("\n"));
}
