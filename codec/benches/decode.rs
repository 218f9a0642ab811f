//! Decode throughput of erldist-codec (criterion; `cargo bench -p erldist-codec --bench decode`).
//!
//! * `decode_request/alive2_req`: one ALIVE2_REQ (the CLI's example frame);
//! * `decode_reply/names_resp_50`: a NAMES_RESP listing 50 nodes;
//! * `decode_text/epmd_log_strict`: the real OTP 25.2.3 `epmd -d -d -d` log of the
//!   `epmd_strict` capture (tests/vectors/corpus/), parsed and decoded;
//! * `parse_hex/64k`: 64 KiB of spaced, multi-line hex text.
//!
//! Throughput is reported in input bytes per second.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use erldist_codec::epmd::{
    decode_reply, decode_request, encode_fields, Fields, ReplyContext, NAMES_REQ,
};
use erldist_codec::{decode_text, hex, input, DecodeOptions, FormatChoice};
use std::hint::black_box;

/// Real `epmd -d -d -d` output (OTP 25.2.3), from the shared corpus capture `epmd_strict`.
const EPMD_STRICT_LOG: &str = include_str!("../tests/vectors/corpus/epmd_strict.epmd_debug.log");

fn fields(pairs: &[(&str, &str)]) -> Fields {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn bench_request(c: &mut Criterion) {
    let frame = encode_fields(
        "ALIVE2_REQ",
        &fields(&[
            ("port", "9506"),
            ("node_type", "77"),
            ("highest_version", "6"),
            ("lowest_version", "5"),
            ("name", "node"),
        ]),
    )
    .expect("encode ALIVE2_REQ");
    assert!(decode_request(&frame, 0).status.is_complete());
    let mut g = c.benchmark_group("decode_request");
    g.throughput(Throughput::Bytes(frame.len() as u64));
    g.bench_function("alive2_req", |b| {
        b.iter(|| decode_request(black_box(&frame), 0))
    });
    g.finish();
}

fn bench_names_resp(c: &mut Criterion) {
    let nodes: Vec<String> = (0..50)
        .map(|i| format!("node{i:02}={}", 40000 + i))
        .collect();
    let frame = encode_fields(
        "NAMES_RESP",
        &fields(&[("epmd_port", "4369"), ("nodes", &nodes.join(","))]),
    )
    .expect("encode NAMES_RESP");
    let ctx = ReplyContext {
        eof: true,
        answers: Some(NAMES_REQ),
    };
    let d = decode_reply(&frame, 0, ctx);
    assert!(d.status.is_complete() && d.consumed == frame.len());
    let mut g = c.benchmark_group("decode_reply");
    g.throughput(Throughput::Bytes(frame.len() as u64));
    g.bench_function("names_resp_50", |b| {
        b.iter(|| decode_reply(black_box(&frame), 0, ctx))
    });
    g.finish();
}

fn bench_log(c: &mut Criterion) {
    let opts = DecodeOptions {
        format: FormatChoice::EpmdLog,
        ..DecodeOptions::default()
    };
    let report = decode_text(EPMD_STRICT_LOG, &opts);
    assert!(!report.frames.is_empty());
    let mut g = c.benchmark_group("decode_text");
    g.throughput(Throughput::Bytes(EPMD_STRICT_LOG.len() as u64));
    g.bench_function("epmd_log_strict", |b| {
        b.iter(|| decode_text(black_box(EPMD_STRICT_LOG), &opts))
    });
    g.bench_function("epmd_log_parse_only", |b| {
        b.iter(|| input::epmd_log::parse(black_box(EPMD_STRICT_LOG)))
    });
    g.finish();
}

fn bench_hex(c: &mut Criterion) {
    // 64 KiB of hex text: 16 spaced bytes per line, as users paste it.
    let mut text = String::with_capacity(64 * 1024 + 64);
    let mut i = 0u32;
    while text.len() < 64 * 1024 {
        let row: Vec<u8> = (0..16).map(|k| (i.wrapping_mul(31) + k) as u8).collect();
        text.push_str(&hex::spaced(&row));
        text.push('\n');
        i += 1;
    }
    let parsed = input::parse_hex(&text).expect("valid hex");
    assert_eq!(parsed.bytes.len(), i as usize * 16);
    let mut g = c.benchmark_group("parse_hex");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("64k", |b| b.iter(|| input::parse_hex(black_box(&text))));
    g.finish();
}

criterion_group!(
    benches,
    bench_request,
    bench_names_resp,
    bench_log,
    bench_hex
);
criterion_main!(benches);
