//! The real OTP 25 epmd logs of the corpus (tests/vectors/corpus, see its
//! README) against two independent ground truths taken from the same runs:
//! the TCP payloads tcpdump saw on the epmd port, and the reference decode
//! made by the corpus scripts.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use erldist_codec::epmd::{decode_reply, decode_request, Direction, ReplyContext, Status};
use erldist_codec::span::check_tiling;
use erldist_codec::{decode_text, hex, DecodeOptions, Frame};
use serde_json::Value as J;
use std::collections::BTreeMap;

const CAPTURES: &[&str] = &[
    "epmd_strict",
    "epmd_relaxed",
    "dist_full",
    "dist_hidden",
    "dist_rawclient",
    "dist_v5_name",
    "dist_wrong_cookie",
];

mod common;
use common::read;

fn pcap_streams(name: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    common::pcap_streams(&read(&format!("{name}.epmd_payloads.txt")))
}

/// Pairs each request frame with the reply frame after it.
fn exchanges(frames: &[Frame]) -> Vec<(&Frame, Option<&Frame>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < frames.len() {
        let req = &frames[i];
        assert_eq!(req.direction, Direction::Request, "frame {i} {req:?}");
        let reply = frames
            .get(i + 1)
            .filter(|f| f.direction == Direction::Reply);
        i += 1 + usize::from(reply.is_some());
        out.push((req, reply));
    }
    out
}

fn decode_log(name: &str) -> Vec<Frame> {
    let report = decode_text(
        &read(&format!("{name}.epmd_debug.log")),
        &DecodeOptions::default(),
    );
    assert_eq!(report.format, "epmd-log", "{name}");
    assert!(report.format_detected);
    report.frames
}

#[test]
fn every_dumped_frame_is_found_complete_and_lossless() {
    for name in CAPTURES {
        let log = read(&format!("{name}.epmd_debug.log"));
        let dumps = log
            .lines()
            .filter(|l| l.contains(": got ") && l.trim_end().ends_with(" bytes"))
            .count();
        let frames = decode_log(name);
        let mut dumped = 0;
        for f in &frames {
            assert_eq!(f.status, Status::Complete, "{name}: {f:?}");
            assert!(
                !f.direction_inferred,
                "{name}: direction of {} inferred",
                f.type_name
            );
            check_tiling(&f.spans, f.offset, f.bytes.len())
                .unwrap_or_else(|e| panic!("{name} {}: {e}", f.type_name));
            // Byte-exact round trip through the typed message.
            let d = match f.direction {
                Direction::Request => decode_request(&f.bytes, 0),
                Direction::Reply => decode_reply(
                    &f.bytes,
                    0,
                    ReplyContext {
                        eof: true,
                        answers: None,
                    },
                ),
            };
            let m = d.message.unwrap_or_else(|| panic!("{name}: {f:?}"));
            assert_eq!(m.encode().unwrap(), f.bytes, "{name} {}", f.type_name);
            dumped += match f.type_name {
                // One write per line after the 4-byte port.
                "NAMES_RESP" => {
                    1 + f
                        .fields
                        .iter()
                        .find(|(k, _)| k == "nodes")
                        .map_or(0, |(_, v)| match v {
                            erldist_codec::Value::List(l) => l.len(),
                            _ => 0,
                        })
                }
                "STOP_RESP" => f.bytes.len() / 7,
                _ => 1,
            };
        }
        assert_eq!(
            dumped, dumps,
            "{name}: every `got N bytes` dump is in exactly one frame"
        );
    }
}

#[test]
fn log_frames_equal_the_bytes_on_the_wire() {
    for name in CAPTURES {
        let frames = decode_log(name);
        let ex = exchanges(&frames);
        let wire = pcap_streams(name);
        assert_eq!(
            ex.len(),
            wire.len(),
            "{name}: one exchange per epmd connection"
        );
        for (k, ((req, reply), (client, server))) in ex.iter().zip(&wire).enumerate() {
            assert_eq!(
                hex::encode(&req.bytes),
                hex::encode(client),
                "{name} exchange {k} request"
            );
            let got = reply.map(|r| hex::encode(&r.bytes)).unwrap_or_default();
            assert_eq!(got, hex::encode(server), "{name} exchange {k} reply");
        }
    }
}

/// `key=value` pairs and the type name of a reference-decode line.
fn reference_line(line: &str) -> (String, BTreeMap<String, String>) {
    let line = line.trim();
    let body = line
        .strip_prefix("request")
        .or_else(|| line.strip_prefix("response"))
        .unwrap_or(line)
        .trim();
    let mut kv = BTreeMap::new();
    let mut type_name = String::new();
    if let Some(raw) = body.strip_prefix("(raw, unframed ASCII) ") {
        kv.insert("ascii".to_string(), unquote(raw));
        return ("ASCII".into(), kv);
    }
    for t in tokens(body) {
        match t.split_once('=') {
            Some((k, v)) => {
                kv.insert(k.to_string(), unquote(v));
            }
            None if type_name.is_empty() && t.starts_with(|c: char| c.is_ascii_uppercase()) => {
                type_name = t.split('(').next().unwrap_or(&t).to_string();
            }
            None => {}
        }
    }
    (type_name, kv)
}

/// Splits on spaces, except inside `<<"...">>`.
fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_bin = false;
    for c in s.chars() {
        if c == ' ' && !in_bin {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        cur.push(c);
        if cur.ends_with("<<\"") {
            in_bin = true;
        } else if in_bin && cur.ends_with("\">>") {
            in_bin = false;
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    match v.strip_prefix("<<\"").and_then(|s| s.strip_suffix("\">>")) {
        Some(s) => s.replace("\\n", "\n"),
        None if v == "<<>>" => String::new(),
        None => v.to_string(),
    }
}

fn json_fields(f: &Frame) -> BTreeMap<String, J> {
    let j = serde_json::to_value(f).unwrap();
    assert_eq!(j["type"], f.type_name);
    assert!(j["error"].is_null());
    j["fields"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn check_fields(ctx: &str, f: &Frame, expected_type: &str, kv: &BTreeMap<String, String>) {
    let fields = json_fields(f);
    if expected_type == "ASCII" {
        let ascii = &kv["ascii"];
        match f.type_name {
            "KILL_RESP" => assert_eq!(fields["result"], J::String(ascii.clone()), "{ctx}"),
            "STOP_RESP" => {
                let words: Vec<String> = fields["words"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|w| w.as_str().unwrap().to_string())
                    .collect();
                assert_eq!(&words.concat(), ascii, "{ctx}");
                assert_eq!(fields["result"], J::String(ascii[..7].to_string()), "{ctx}");
            }
            other => panic!("{ctx}: ASCII reply decoded as {other}"),
        }
        return;
    }
    assert_eq!(f.type_name, expected_type, "{ctx}");
    for (k, v) in kv {
        match k.as_str() {
            "len" | "type" => continue,
            "text" => {
                let nodes = fields["nodes"].as_array().unwrap();
                let text: String = nodes
                    .iter()
                    .map(|n| {
                        format!(
                            "name {} at port {}\n",
                            n["name"].as_str().unwrap(),
                            n["port"]
                        )
                    })
                    .collect();
                assert_eq!(&text, v, "{ctx}: NAMES_RESP text");
            }
            "name" => assert_eq!(fields["name"], J::String(v.clone()), "{ctx}: name"),
            "extra" => assert_eq!(
                fields["extra"],
                J::String(hex::encode(v.as_bytes())),
                "{ctx}: extra"
            ),
            _ => {
                let n: u64 = v.parse().unwrap_or_else(|_| panic!("{ctx}: {k}={v}"));
                assert_eq!(fields.get(k), Some(&J::from(n)), "{ctx}: {k}");
            }
        }
    }
}

#[test]
fn log_frames_have_the_reference_types_and_field_values() {
    let mut checked = 0;
    for name in CAPTURES {
        let frames = decode_log(name);
        let ex = exchanges(&frames);
        let reference = read(&format!("{name}.epmd_decoded.txt"));
        let blocks: Vec<&str> = reference
            .split("=== stream ")
            .skip(1)
            .filter(|b| !b.contains("(client sent 0 bytes"))
            .collect();
        assert_eq!(blocks.len(), ex.len(), "{name}");
        for (k, (block, (req, reply))) in blocks.iter().zip(&ex).enumerate() {
            let ctx = format!("{name} exchange {k}");
            let lines: Vec<&str> = block
                .lines()
                .skip(1)
                .filter(|l| !l.trim().is_empty())
                .collect();
            let (t, kv) = reference_line(lines[0]);
            assert_eq!(req.direction, Direction::Request);
            check_fields(&ctx, req, &t, &kv);
            match (lines.get(1), reply) {
                (Some(l), Some(r)) => {
                    let (t, kv) = reference_line(l);
                    if !(t == "ASCII" && kv["ascii"].is_empty()) {
                        assert_eq!(r.direction, Direction::Reply, "{ctx}");
                        check_fields(&ctx, r, &t, &kv);
                    }
                }
                (Some(l), None) => {
                    let (t, kv) = reference_line(l);
                    assert!(
                        t == "ASCII" && kv["ascii"].is_empty(),
                        "{ctx}: reply missing: {l}"
                    );
                }
                (None, Some(r)) => panic!("{ctx}: unexpected reply {r:?}"),
                (None, None) => {}
            }
            checked += 1;
        }
    }
    assert!(checked >= 40, "checked {checked} exchanges");
}
