//! Whole-session decoding of the five real OTP 25 distribution captures
//! (tests/vectors/dist, see its README for provenance): every conversation
//! of every capture, both directions, through `decode_text` on the
//! per-stream runs listing, exactly as `erldist decode` does it.
//!
//! Checked against two independent sources made by the capture scripts:
//! * the reference decode (`*.decoded.txt`: framing split by an Erlang
//!   script, terms decoded by the Erlang runtime itself): the same handshake
//!   messages with the same digest verdicts, the same control operations in
//!   the same order per direction, the same number of ticks;
//! * the nodes' own action logs (`*.actions.log`): every message the
//!   registered process `reg` says it received is in a decoded payload.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use erldist_codec::conn::Side;
use erldist_codec::etf::text::parse;
use erldist_codec::etf::Term;
use erldist_codec::session::{Phase, Protocol};
use erldist_codec::span::check_tiling;
use erldist_codec::{decode_text, DecodeOptions, Frame, Report};
use std::collections::BTreeMap;

const CAPTURES: [&str; 5] = [
    "dist_full",
    "dist_hidden",
    "dist_rawclient",
    "dist_v5_name",
    "dist_wrong_cookie",
];

fn read(name: &str) -> String {
    let p = format!("{}/tests/vectors/dist/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn decode(capture: &str) -> Report {
    decode_text(
        &read(&format!("{capture}.streams.txt")),
        &DecodeOptions {
            cookie: Some(b"corpuscookie".to_vec()),
            ..DecodeOptions::default()
        },
    )
}

/// What the reference decode says about one direction of one stream.
#[derive(Debug, Default, PartialEq)]
struct RefDir {
    /// Handshake messages: (reference kind, digest_ok if printed).
    handshake: Vec<(String, Option<bool>)>,
    /// Control operation names, in order.
    ops: Vec<String>,
    ticks: usize,
}

/// stream number → (protocol, [c2s, s2c]).
fn reference(capture: &str) -> BTreeMap<usize, (String, [RefDir; 2])> {
    let text = read(&format!("{capture}.decoded.txt"));
    let mut out: BTreeMap<usize, (String, [RefDir; 2])> = BTreeMap::new();
    let mut cur: Option<usize> = None;
    let mut dir = 0usize;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("=== stream ") {
            let mut w = rest.split_whitespace();
            let n: usize = w.next().unwrap().parse().unwrap();
            let proto = w.next().unwrap().trim_matches(|c| c == '(' || c == ')');
            out.insert(n, (proto.to_string(), Default::default()));
            cur = Some(n);
            continue;
        }
        let Some(n) = cur else { continue };
        let dirs = &mut out.get_mut(&n).unwrap().1;
        let t = line.trim_start();
        if t.starts_with("-- client->server") {
            dir = 0;
        } else if t.starts_with("-- server->client") {
            dir = 1;
        } else if let Some(rest) = t
            .strip_prefix("c2s handshake #")
            .map(|r| (0, r))
            .or_else(|| t.strip_prefix("s2c handshake #").map(|r| (1, r)))
        {
            let (d, rest) = rest;
            let kind = rest.split(": ").nth(1).unwrap().split(' ').next().unwrap();
            let ok = if rest.contains("digest_ok=true") {
                Some(true)
            } else if rest.contains("digest_ok=false") {
                Some(false)
            } else {
                None
            };
            dirs[d].handshake.push((kind.to_string(), ok));
        } else if t.starts_with("control ") {
            let op = t.rsplit("= ").next().unwrap().trim();
            dirs[dir].ops.push(op.to_string());
        } else if let Some(rest) = t.strip_prefix('(') {
            if rest.contains("x tick") {
                let k: usize = rest.split(' ').next().unwrap().parse().unwrap();
                dirs[dir].ticks += k;
            }
        }
    }
    out
}

/// Our handshake frame type for the reference's kind name.
fn our_kind(reference_kind: &str) -> &'static str {
    match reference_kind {
        "send_name" => "SEND_NAME",
        "recv_status" | "send_status" => "STATUS",
        "send_challenge" => "CHALLENGE",
        "challenge_reply" => "CHALLENGE_REPLY",
        "challenge_ack" => "CHALLENGE_ACK",
        "complement" => "COMPLEMENT",
        other => panic!("unknown reference handshake kind {other}"),
    }
}

fn field<'a>(f: &'a Frame, name: &str) -> Option<&'a erldist_codec::Value> {
    f.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

#[test]
fn every_frame_of_every_capture_decodes_and_tiles() {
    for cap in CAPTURES {
        let r = decode(cap);
        assert!(r.input_error.is_none(), "{cap}: {:?}", r.input_error);
        assert!(r.notes.is_empty(), "{cap}: {:?}", r.notes);
        assert!(!r.frames.is_empty());
        let mut dist = 0;
        for f in &r.frames {
            assert!(
                f.status.is_complete(),
                "{cap}: frame {} at {} ({:?} {:?}) is {:?}",
                f.type_name,
                f.offset,
                f.side,
                f.phase,
                f.status
            );
            assert_ne!(f.type_name, "UNKNOWN", "{cap}: frame at {}", f.offset);
            check_tiling(&f.spans, f.offset, f.bytes.len())
                .unwrap_or_else(|e| panic!("{cap}: {} at {}: {e}", f.type_name, f.offset));
            if let Some(re) = &f.reassembled {
                check_tiling(&re.spans, 0, re.bytes.len()).unwrap();
            }
            if f.protocol == Protocol::Dist {
                dist += 1;
            }
        }
        assert!(dist > 0, "{cap}: no node-connection frames");
        // Every conversation got a protocol, and the node connections say
        // what the handshake established.
        for c in &r.connections {
            assert!(c.protocol.is_some(), "{cap}: {}", c.label);
        }
        println!(
            "{cap}: {} frames ({dist} node-connection) in {} conversations, all complete",
            r.frames.len(),
            r.connections.len()
        );
    }
}

#[test]
fn handshakes_ops_and_ticks_match_the_reference_decode() {
    for cap in CAPTURES {
        let r = decode(cap);
        let reference = reference(cap);
        assert_eq!(r.connections.len(), reference.len(), "{cap}: stream count");
        for (i, c) in r.connections.iter().enumerate() {
            let n: usize = c.label.trim_start_matches("stream ").parse().unwrap();
            let (proto, dirs) = &reference[&n];
            assert_eq!(
                c.protocol.unwrap().as_str(),
                proto.as_str(),
                "{cap}: {}",
                c.label
            );
            if proto != "dist" {
                continue;
            }
            for (d, side) in [(0, Side::Initiator), (1, Side::Acceptor)] {
                let ours: Vec<&Frame> = r
                    .frames
                    .iter()
                    .filter(|f| f.stream == Some(i) && f.side == side)
                    .collect();
                let hs: Vec<(String, Option<bool>)> = ours
                    .iter()
                    .filter(|f| f.phase == Phase::Handshake)
                    .map(|f| {
                        let ok = match field(f, "digest_ok") {
                            Some(erldist_codec::Value::Bool(b)) => Some(*b),
                            Some(other) => panic!("digest_ok {other:?}"),
                            None => None,
                        };
                        (f.type_name.to_string(), ok)
                    })
                    .collect();
                let want: Vec<(String, Option<bool>)> = dirs[d]
                    .handshake
                    .iter()
                    .map(|(k, ok)| (our_kind(k).to_string(), *ok))
                    .collect();
                assert_eq!(hs, want, "{cap} {} {side:?}: handshake", c.label);
                let ops: Vec<&str> = ours
                    .iter()
                    .filter(|f| f.phase == Phase::Connected)
                    .filter(|f| !matches!(f.type_name, "TICK" | "FRAGMENT"))
                    .map(|f| f.type_name)
                    .collect();
                assert_eq!(ops, dirs[d].ops, "{cap} {} {side:?}: control ops", c.label);
                let ticks = ours.iter().filter(|f| f.type_name == "TICK").count();
                assert_eq!(ticks, dirs[d].ticks, "{cap} {} {side:?}: ticks", c.label);
            }
        }
    }
}

/// Every sub-term of a term, the term included.
fn subterms(t: &Term) -> Vec<&Term> {
    t.walk().collect()
}

#[test]
fn what_the_nodes_received_is_in_the_decoded_payloads() {
    let mut checked = 0;
    for cap in CAPTURES {
        let r = decode(cap);
        let payloads: Vec<Term> = r
            .frames
            .iter()
            .filter_map(|f| match field(f, "message") {
                // Local funs have no source form; everything else must read back.
                // Local funs have no source form, and very long texts are cut
                // short (`...`); everything else must read back.
                Some(erldist_codec::Value::Text(t))
                    if t.contains("#Fun<") || t.ends_with("...") =>
                {
                    None
                }
                Some(erldist_codec::Value::Text(t)) => Some(parse(t).unwrap_or_else(|e| {
                    panic!("{cap}: our own text {:?}: {e}", t.get(..200).unwrap_or(t))
                })),
                _ => None,
            })
            .collect();
        let log = read(&format!("{cap}.actions.log"));
        for line in log.lines() {
            let Some(rest) = line.split(" reg got ").nth(1) else {
                continue;
            };
            let got = rest.rsplit_once(" from ").map_or(rest, |(g, _)| g);
            // Pids and refs as the shell prints them (<9367.9.0>) carry no
            // node name: only terms without them can be compared.
            let Ok(want) = parse(got) else { continue };
            let found = payloads
                .iter()
                .any(|p| subterms(p).into_iter().any(|s| s == &want));
            assert!(found, "{cap}: `reg got {got}` is in no decoded payload");
            checked += 1;
        }
    }
    println!("{checked} received messages found in the decoded payloads");
    assert!(checked >= 5, "only {checked} log lines were comparable");
}

#[test]
fn a_wireshark_follow_dump_decodes_like_the_runs_listing() {
    // tshark 4.0.17 `-q -z follow,tcp,hex,N` of the same capture, N = 0..4.
    let follow = decode_text(
        &read("dist_hidden.follow.txt"),
        &DecodeOptions {
            cookie: Some(b"corpuscookie".to_vec()),
            ..DecodeOptions::default()
        },
    );
    let runs = decode("dist_hidden");
    assert_eq!(follow.format, "tcp-follow");
    assert!(follow.notes.is_empty(), "{:?}", follow.notes);
    let key = |r: &Report| -> Vec<(Option<usize>, Side, &'static str, Vec<u8>)> {
        r.frames
            .iter()
            .map(|f| (f.stream, f.side, f.type_name, f.bytes.clone()))
            .collect()
    };
    assert_eq!(key(&follow), key(&runs));
    assert_eq!(follow.connections.len(), 5);
    assert_eq!(
        follow.connections[3].initiator.as_deref(),
        Some("127.0.0.1:58774")
    );
}

#[test]
fn a_capture_that_starts_after_the_handshake_still_decodes() {
    use erldist_codec::input::conversation::parse_streams;
    use erldist_codec::session::{Session, SessionOptions};
    let convs = parse_streams(&read("dist_full.streams.txt"))
        .unwrap()
        .conversations;
    // The a <-> b connection; per side, its bytes from the 20th connected
    // frame on (atom-cache entries made before are unknown, fragments may
    // be cut).
    let conv = convs
        .iter()
        .find(|c| c.acceptor_label.as_deref() == Some("b"))
        .unwrap();
    let full = decode("dist_full");
    let stream = full
        .connections
        .iter()
        .position(|c| c.label == conv.label)
        .unwrap();
    let mut s = Session::new(SessionOptions::default());
    let mut frames = Vec::new();
    for side in [Side::Initiator, Side::Acceptor] {
        let ours: Vec<&Frame> = full
            .frames
            .iter()
            .filter(|f| f.stream == Some(stream) && f.side == side && f.phase == Phase::Connected)
            .collect();
        let cut = ours[20].offset;
        let bytes: Vec<u8> = conv
            .chunks
            .iter()
            .filter(|c| c.side == side)
            .flat_map(|c| c.bytes.iter().copied())
            .collect();
        frames.extend(s.feed(side, &bytes[cut..]));
        let expect = ours.len() - 20;
        let got = frames.iter().filter(|f| f.side == side).count();
        assert_eq!(got, expect, "{side:?}: frames after the cut");
    }
    frames.extend(s.finish());
    assert!(s.dist().joined_late());
    for f in &frames {
        assert!(
            f.decoded.status.is_complete(),
            "{} at {}: {:?}",
            f.decoded.type_name,
            f.offset,
            f.decoded.status
        );
    }
    let unknown_refs = frames
        .iter()
        .flat_map(|f| f.decoded.fields.iter())
        .filter(|(_, v)| v.display().contains("$atom_cache_ref_"))
        .count();
    println!(
        "joined late: {} frames decoded, {unknown_refs} fields name an atom cached before the capture",
        frames.len()
    );
}
