//! Whole-session decode throughput (criterion;
//! `cargo bench -p erldist-codec --bench session`).
//!
//! The input is the largest real capture of the corpus, `dist_full` (OTP
//! 25.2.3 nodes a and b: handshake, 126 connected-phase frames including a
//! 100 000- and a 300 000-byte message in 131,69/70 fragments, the atom
//! cache, ticks; plus the epmd conversations), as its per-stream runs
//! listing (tests/vectors/dist/dist_full.streams.txt).
//!
//! * `session/dist_full_frames`: the TCP payloads (already bytes) fed to one
//!   [`Session`] per conversation, every frame decoded with its spans,
//!   terms, atom caches and fragment reassembly: the codec's own work.
//! * `decode_text/dist_full_streams`: the same from the text, as
//!   `erldist decode` does it (hex parsing, report frames, connection
//!   details).
//!
//! * `capture/dist_full_pcap`: the capture file itself
//!   (tests/vectors/dist/dist_full.pcap) through `capture::decode_capture`:
//!   packets, TCP reassembly, sessions and report frames (throughput in
//!   file bytes per second).
//!
//! Throughput is in TCP payload bytes per second; frames per second =
//! frames / time (printed once at the start).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use erldist_codec::capture::{decode_capture, CaptureOptions};
use erldist_codec::input::conversation::{parse_streams, Conversation};
use erldist_codec::session::{Session, SessionOptions};
use erldist_codec::{decode_text, DecodeOptions};
use std::hint::black_box;

const DIST_FULL: &str = include_str!("../tests/vectors/dist/dist_full.streams.txt");
const DIST_FULL_PCAP: &[u8] = include_bytes!("../tests/vectors/dist/dist_full.pcap");

fn decode_all(convs: &[Conversation]) -> usize {
    let mut frames = 0;
    for c in convs {
        let mut s = Session::new(SessionOptions {
            cookie: Some(b"corpuscookie".to_vec()),
            acceptor_port: c.acceptor_port(),
            ..SessionOptions::default()
        });
        for ch in &c.chunks {
            frames += s.feed(ch.side, &ch.bytes).len();
        }
        frames += s.finish().len();
    }
    frames
}

fn bench_session(c: &mut Criterion) {
    let convs = parse_streams(DIST_FULL).unwrap().conversations;
    let bytes: usize = convs
        .iter()
        .flat_map(|c| c.chunks.iter())
        .map(|ch| ch.bytes.len())
        .sum();
    let frames = decode_all(&convs);
    eprintln!("dist_full: {frames} frames, {bytes} bytes of TCP payload");
    let mut g = c.benchmark_group("session");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("dist_full_frames", |b| {
        b.iter(|| black_box(decode_all(black_box(&convs))))
    });
    g.finish();
    let opts = DecodeOptions {
        cookie: Some(b"corpuscookie".to_vec()),
        ..DecodeOptions::default()
    };
    let mut g = c.benchmark_group("decode_text");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("dist_full_streams", |b| {
        b.iter(|| black_box(decode_text(black_box(DIST_FULL), &opts).frames.len()))
    });
    g.finish();
    let copts = CaptureOptions {
        epmd_ports: vec![4399],
        cookie: Some(b"corpuscookie".to_vec()),
        ..CaptureOptions::default()
    };
    let frames = decode_capture(DIST_FULL_PCAP, &copts).frames.len();
    eprintln!(
        "dist_full.pcap: {frames} frames, {} bytes of file",
        DIST_FULL_PCAP.len()
    );
    let mut g = c.benchmark_group("capture");
    g.throughput(Throughput::Bytes(DIST_FULL_PCAP.len() as u64));
    g.bench_function("dist_full_pcap", |b| {
        b.iter(|| {
            black_box(
                decode_capture(black_box(DIST_FULL_PCAP), &copts)
                    .frames
                    .len(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench_session);
criterion_main!(benches);
