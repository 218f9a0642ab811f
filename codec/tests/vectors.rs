//! EPMD wire vectors: every request and reply seen on the wire in the corpus
//! captures (tests/vectors/corpus/*.epmd_payloads.txt), plus the SPEC.md
//! examples that the captures do not contain (tests/vectors/README.md).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use erldist_codec::epmd::{
    decode_reply, decode_request, encode_fields, Decoded, Direction, EpmdMessage, Fields,
    Port2Resp, ReplyContext, Status, DUMP_REQ, KILL_REQ, NAMES_REQ, STOP_REQ,
};
use erldist_codec::span::check_tiling;
use erldist_codec::{decode_text, hex, DecodeOptions, DirectionChoice, FormatChoice};

mod common;

fn h(s: &str) -> Vec<u8> {
    erldist_codec::input::parse_hex(s).unwrap().bytes
}

/// (request, reply) byte pairs from every epmd connection in the corpus.
fn wire_exchanges() -> Vec<(String, Vec<u8>, Vec<u8>)> {
    let dir = format!("{}/tests/vectors/corpus", env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".epmd_payloads.txt"))
        .collect();
    names.sort();
    for p in names {
        let streams = common::pcap_streams(&std::fs::read_to_string(&p).unwrap());
        let file = p.file_name().unwrap().to_string_lossy().into_owned();
        for (k, (c, s)) in streams.into_iter().enumerate() {
            out.push((format!("{file} connection {k}"), c, s));
        }
    }
    out
}

fn reply_ctx(req: &[u8], eof: bool) -> ReplyContext {
    ReplyContext {
        eof,
        answers: req.get(2).copied(),
    }
}

fn assert_whole(ctx: &str, d: &Decoded, bytes: &[u8]) -> EpmdMessage {
    assert_eq!(d.status, Status::Complete, "{ctx}: {d:?}");
    assert_eq!(d.consumed, bytes.len(), "{ctx}");
    check_tiling(&d.spans, 0, bytes.len()).unwrap_or_else(|e| panic!("{ctx}: {e}"));
    for leaf in erldist_codec::span::leaves(&d.spans) {
        assert!(
            !leaf.meaning.is_empty(),
            "{ctx}: leaf {} has no meaning",
            leaf.field
        );
    }
    let m = d.message.clone().unwrap();
    assert_eq!(m.encode().unwrap(), bytes, "{ctx}: round trip");
    m
}

#[test]
fn corpus_wire_vectors_decode_whole_tile_and_round_trip() {
    let ex = wire_exchanges();
    assert!(ex.len() >= 40, "{} exchanges", ex.len());
    for (ctx, req, reply) in &ex {
        let d = decode_request(req, 0);
        assert_eq!(d.direction, Direction::Request);
        assert_whole(ctx, &d, req);
        if !reply.is_empty() {
            let d = decode_reply(reply, 0, reply_ctx(req, true));
            assert_whole(ctx, &d, reply);
            // Without knowing the request, the reply is still recognised.
            let blind = decode_reply(
                reply,
                0,
                ReplyContext {
                    eof: true,
                    answers: None,
                },
            );
            assert_eq!(blind.type_name, d.type_name, "{ctx}");
        }
    }
}

#[test]
fn every_prefix_is_incomplete_never_an_error() {
    let mut vectors: Vec<(String, Vec<u8>, Option<Vec<u8>>)> = Vec::new();
    for (ctx, req, reply) in wire_exchanges() {
        vectors.push((ctx.clone(), req.clone(), None));
        if !reply.is_empty() {
            vectors.push((ctx, reply, Some(req)));
        }
    }
    for (ctx, bytes, req) in vectors {
        for n in 0..bytes.len() {
            let prefix = &bytes[..n];
            let d = match &req {
                None => decode_request(prefix, 0),
                Some(r) => decode_reply(prefix, 0, reply_ctx(r, false)),
            };
            match &d.status {
                Status::Incomplete(i) => {
                    assert!(i.message.starts_with("incomplete: "), "{ctx}");
                    if let Some(need) = i.needed {
                        assert!(
                            need >= 1 && need <= bytes.len() - n,
                            "{ctx} prefix {n}: needs {need}"
                        );
                    }
                }
                other => panic!("{ctx}: prefix of {n}/{} bytes gave {other:?}", bytes.len()),
            }
            // Spans decoded so far never extend past the prefix.
            for s in erldist_codec::span::leaves(&d.spans) {
                assert!(s.end() <= n, "{ctx}: span {} past the prefix", s.field);
            }
        }
    }
}

#[test]
fn request_prefix_needs_exactly_the_missing_bytes() {
    let alive = h("00 11 78 25 22 4d 00 00 06 00 05 00 04 6e 6f 64 65 00 00");
    for n in 2..alive.len() {
        match decode_request(&alive[..n], 0).status {
            Status::Incomplete(i) => assert_eq!(i.needed, Some(alive.len() - n)),
            other => panic!("{other:?}"),
        }
    }
}

/// SPEC.md §1 examples not present in the captures.
#[test]
fn spec_examples() {
    // ALIVE2_REQ of node foo with extra "xy" and its PORT2_RESP.
    let req = h("00 12 78 15 b3 4d 00 00 06 00 06 00 03 66 6f 6f 00 02 78 79");
    let m = assert_whole("alive foo", &decode_request(&req, 0), &req);
    let EpmdMessage::Alive2Req(a) = m else {
        panic!()
    };
    assert_eq!(
        (a.port, a.name.as_slice(), a.extra.as_slice()),
        (5555, &b"foo"[..], &b"xy"[..])
    );
    let resp = h("77 00 15 b3 4d 00 00 06 00 06 00 03 66 6f 6f 00 02 78 79");
    let m = assert_whole(
        "port2 foo",
        &decode_reply(&resp, 0, ReplyContext::default()),
        &resp,
    );
    assert!(matches!(m, EpmdMessage::Port2Resp(Port2Resp::Found(n)) if n.extra == b"xy"));
    // Error replies carry creation 99.
    for (bytes, t) in [
        ("76 01 00 00 00 63", "ALIVE2_X_RESP"),
        ("79 01 00 63", "ALIVE2_RESP"),
    ] {
        let b = h(bytes);
        let d = decode_reply(&b, 0, ReplyContext::default());
        assert_whole(t, &d, &b);
        assert_eq!(d.type_name, t);
        assert!(d.spans.iter().any(|s| s.meaning.contains("99")));
    }
    // DUMP_RESP: NUL after each line, <name>, and the old/unused form.
    let mut dump = vec![0, 0, 0x38, 0x21];
    dump.extend_from_slice(b"active name     <bar> at port 6666, fd = 7\n\0");
    dump.extend_from_slice(b"old/unused name <foo>, port = 5555, fd = 5 \n\0");
    let d = decode_reply(
        &dump,
        0,
        ReplyContext {
            eof: true,
            answers: Some(DUMP_REQ),
        },
    );
    let m = assert_whole("dump", &d, &dump);
    let EpmdMessage::DumpResp(r) = m else {
        panic!()
    };
    assert_eq!(r.epmd_port, 14369);
    assert_eq!(r.lines.len(), 2);
    assert!(r.lines[0].active && !r.lines[1].active);
    assert_eq!(
        (r.lines[1].name.as_slice(), r.lines[1].port, r.lines[1].fd),
        (&b"foo"[..], 5555, 5)
    );
    // Recognised without context too.
    assert_eq!(
        decode_reply(
            &dump,
            0,
            ReplyContext {
                eof: true,
                answers: None
            }
        )
        .type_name,
        "DUMP_RESP"
    );
    // NAMES_RESP from SPEC.md 1.6.
    let mut names = vec![0, 0, 0x38, 0x21];
    names.extend_from_slice(b"name bar at port 6666\nname foo at port 5555\n");
    let d = decode_reply(
        &names,
        0,
        ReplyContext {
            eof: true,
            answers: Some(NAMES_REQ),
        },
    );
    assert_whole("names", &d, &names);
    let f = d.message.unwrap().fields();
    assert_eq!(
        f[0],
        ("epmd_port".to_string(), erldist_codec::Value::UInt(14369))
    );
    // STOP_RESP quirk: NOEXIST then STOPPED.
    let stop = b"NOEXISTSTOPPED".to_vec();
    let d = decode_reply(
        &stop,
        0,
        ReplyContext {
            eof: true,
            answers: Some(STOP_REQ),
        },
    );
    assert_whole("stop", &d, &stop);
    // KILL_RESP NO.
    let d = decode_reply(
        b"NO",
        0,
        ReplyContext {
            eof: true,
            answers: Some(KILL_REQ),
        },
    );
    assert_whole("kill", &d, b"NO");
    // PORT_PLEASE2_REQ with the tolerated trailing NUL.
    let req = h("00 05 7a 66 6f 6f 00");
    let d = decode_request(&req, 0);
    let m = assert_whole("nul", &d, &req);
    assert!(matches!(m, EpmdMessage::PortPlease2Req(p) if p.name == b"foo" && p.nul_terminated));
}

#[test]
fn unknown_tags_keep_their_bytes() {
    // An obsolete PORT_PLEASE_REQ 'p': framed by its prefix, decoded as UNKNOWN.
    let b = h("00 04 70 66 6f 6f 00 01 6e");
    let r = decode_text(&hex::spaced(&b), &DecodeOptions::default());
    assert_eq!(r.frames.len(), 2);
    assert_eq!(r.frames[0].type_name, "UNKNOWN");
    assert_eq!(r.frames[0].bytes, b[..6]);
    assert!(r.frames[0]
        .spans
        .iter()
        .any(|s| s.meaning.contains("obsolete")));
    assert_eq!(r.frames[1].type_name, "NAMES_REQ");
    // An unknown reply byte: all the bytes, shown raw.
    let d = decode_reply(
        &[0xee, 1, 2],
        0,
        ReplyContext {
            eof: true,
            answers: None,
        },
    );
    assert_eq!(d.type_name, "UNKNOWN");
    assert_whole("unknown reply", &d, &[0xee, 1, 2]);
}

#[test]
fn errors_name_offset_field_and_numbers() {
    // Nlen says 300 but the frame holds 4 name bytes.
    let b = h("00 11 78 25 22 4d 00 00 06 00 05 01 2c 6e 6f 64 65 00 00");
    let d = decode_request(&b, 100);
    let Status::Invalid(e) = &d.status else {
        panic!("{d:?}")
    };
    assert_eq!(e.offset, 111);
    assert_eq!(e.field, "ALIVE2_REQ.name_len");
    assert!(
        e.message.contains("300") && e.message.contains('6'),
        "{}",
        e.message
    );
    // The fields before the error are still there.
    assert!(d
        .spans
        .iter()
        .any(|s| s.field == "port" && s.value.as_u64() == Some(9506)));
    // Length prefix 0.
    let d = decode_request(&[0, 0, 0x6e], 0);
    assert!(
        matches!(&d.status, Status::Invalid(e) if e.offset == 0 && e.field == "REQUEST.length_prefix")
    );
    // A NAMES_RESP line that is not one.
    let mut n = vec![0, 0, 0x11, 0x2f];
    n.extend_from_slice(b"name b at port x\n");
    let d = decode_reply(
        &n,
        0,
        ReplyContext {
            eof: true,
            answers: Some(NAMES_REQ),
        },
    );
    let Status::Invalid(e) = &d.status else {
        panic!("{d:?}")
    };
    assert_eq!((e.offset, e.field.as_str()), (19, "NAMES_RESP.nodes[0]"));
}

#[test]
fn direction_is_inferred_and_said() {
    let r = decode_text("00 01 6e 00 00 11 2f", &DecodeOptions::default());
    assert_eq!(r.frames.len(), 2);
    assert_eq!(
        (r.frames[0].type_name, r.frames[0].direction),
        ("NAMES_REQ", Direction::Request)
    );
    assert!(r.frames[0].direction_inferred && r.frames[0].direction_reason.starts_with("inferred"));
    assert_eq!(
        (r.frames[1].type_name, r.frames[1].direction),
        ("NAMES_RESP", Direction::Reply)
    );
    // Given direction is obeyed: 77 01 as a request is a length prefix of 30465.
    let opts = DecodeOptions {
        format: FormatChoice::Hex,
        direction: DirectionChoice::Request,
        ..DecodeOptions::default()
    };
    let r = decode_text("77 01", &opts);
    assert!(!r.frames[0].direction_inferred);
    assert!(r.frames[0].status.is_incomplete());
}

#[test]
fn the_classic_ascii_mistake_is_not_silently_accepted() {
    // The ASCII text "1209506770554node0" written to epmd.
    let ascii = b"1209506770554node0";
    let d = decode_request(ascii, 0);
    // "12" = 0x3132 = 12594 bytes declared: epmd waits for ever (or rejects it).
    let Status::Incomplete(i) = &d.status else {
        panic!("{d:?}")
    };
    assert_eq!(i.needed, Some(12594 + 2 - ascii.len()));
    assert!(d.spans[0].meaning.contains("0x3132"));
    assert!(d.notes.iter().any(|n| n.message.contains("3057")));
}

#[test]
fn encode_builds_every_type_and_overrides_derived_fields() {
    let f = |pairs: &[(&str, &str)]| -> Fields {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case<'_>] = &[
        (
            "ALIVE2_REQ",
            &[
                ("port", "9506"),
                ("node_type", "77"),
                ("highest_version", "6"),
                ("lowest_version", "5"),
                ("name", "node"),
            ],
            "0011782522 4d 00 0006 0005 0004 6e6f6465 0000",
        ),
        (
            "ALIVE2_REQ",
            &[("port", "0x2522"), ("node_type", "M"), ("name", "node")],
            "0011782522 4d 00 0006 0005 0004 6e6f6465 0000",
        ),
        (
            "ALIVE2_REQ",
            &[("port", "9506"), ("node_type", "hidden"), ("name", "n")],
            "000e782522 48 00 0006 0005 0001 6e 0000",
        ),
        (
            "ALIVE2_X_RESP",
            &[("creation", "1795527636")],
            "76 00 6b0593d4",
        ),
        (
            "ALIVE2_RESP",
            &[("result", "1"), ("creation", "99")],
            "79 01 0063",
        ),
        ("PORT_PLEASE2_REQ", &[("name", "b")], "0002 7a 62"),
        ("PORT2_RESP", &[("result", "1")], "77 01"),
        (
            "PORT2_RESP",
            &[("port", "45811"), ("name", "b")],
            "77 00 b2f3 4d 00 0006 0005 0001 62 0000",
        ),
        ("NAMES_REQ", &[], "0001 6e"),
        (
            "NAMES_RESP",
            &[("epmd_port", "4399"), ("nodes", "b=45002")],
            "0000112f 6e616d65206220617420706f72742034353030320a",
        ),
        ("DUMP_REQ", &[], "0001 64"),
        ("KILL_REQ", &[], "0001 6b"),
        ("KILL_RESP", &[("result", "NO")], "4e4f"),
        ("STOP_REQ", &[("name", "b")], "0002 73 62"),
        (
            "STOP_RESP",
            &[("result", "NOEXIST")],
            "4e4f4558495354 53544f50504544",
        ),
        // Deliberately wrong: a 1-byte-too-short Nlen, and a wrong prefix.
        (
            "ALIVE2_REQ",
            &[("port", "9506"), ("name", "node"), ("name_len", "3")],
            "0011782522 4d 00 0006 0005 0003 6e6f6465 0000",
        ),
        ("NAMES_REQ", &[("length_prefix", "5")], "0005 6e"),
    ];
    for (t, pairs, want) in cases {
        let bytes = encode_fields(t, &f(pairs)).unwrap_or_else(|e| panic!("{t}: {e}"));
        assert_eq!(hex::encode(&bytes), want.replace(' ', ""), "{t} {pairs:?}");
    }
    // Every type's built frame decodes back to the same type.
    for (t, dir) in erldist_codec::epmd::message_types() {
        let defaults: &[(&str, &str)] = &[("port", "1"), ("name", "x"), ("creation", "5")];
        let schema = erldist_codec::epmd::field_schema(t).unwrap();
        let fields: Fields = defaults
            .iter()
            .filter(|(k, _)| schema.iter().any(|i| i.name == *k && i.default.is_none()))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let bytes = encode_fields(t, &fields).unwrap_or_else(|e| panic!("{t}: {e}"));
        let answers = match *t {
            "NAMES_RESP" => Some(NAMES_REQ),
            "DUMP_RESP" => Some(DUMP_REQ),
            _ => None,
        };
        let d = match dir {
            Direction::Request => decode_request(&bytes, 0),
            Direction::Reply => decode_reply(&bytes, 0, ReplyContext { eof: true, answers }),
        };
        assert_eq!(d.type_name, *t);
        assert_whole(t, &d, &bytes);
    }
    // Errors name the field.
    let e = encode_fields("ALIVE2_REQ", &f(&[("name", "node")])).unwrap_err();
    assert_eq!(e.field, "port");
    let e = encode_fields("ALIVE2_REQ", &f(&[("port", "70000"), ("name", "n")])).unwrap_err();
    assert!(e.message.contains("70000"));
    let e = encode_fields(
        "ALIVE2_REQ",
        &f(&[("port", "1"), ("name", "n"), ("colour", "red")]),
    )
    .unwrap_err();
    assert!(e.message.contains("node_type"), "{}", e.message);
}
