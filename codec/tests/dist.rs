//! The connected phase (SPEC §5): the spec's worked examples, ticks,
//! pass-through, fragments, prefixes, encode/decode round trips, the
//! builder schema, and every connected frame of the real OTP 25 captures in
//! tests/vectors/dist checked against the reference decode made by the
//! Erlang runtime itself.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)]

use erldist_codec::dist::*;
use erldist_codec::epmd::Status;
use erldist_codec::etf::otp::{same_term, term_to_binary, T2bOptions};
use erldist_codec::etf::text::{parse, to_erlang_with, PrintOptions};
use erldist_codec::etf::Term;
use erldist_codec::span::{check_tiling, Span};
use md5::{Digest, Md5};
use std::collections::BTreeMap;

fn hex(s: &str) -> Vec<u8> {
    erldist_codec::input::parse_hex(s).unwrap().bytes
}

/// Decodes a whole frame and checks the basics every complete frame meets.
fn decode_ok(rx: &mut ConnectedDecoder, bytes: &[u8], base: usize) -> ConnFrame {
    let f = rx.decode_frame(bytes, base);
    assert!(
        f.frame.status.is_complete(),
        "{:?}\nnotes {:?}",
        f.frame.status,
        f.frame.notes
    );
    let len = u32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize + 4;
    assert_eq!(f.frame.consumed, len);
    check_tiling(&f.frame.spans, base, len).unwrap();
    if let Some(re) = &f.reassembled {
        check_tiling(&re.spans, 0, re.bytes.len()).unwrap();
    }
    f
}

fn find<'a>(spans: &'a [Span], field: &str) -> Option<&'a Span> {
    for s in spans {
        if s.field == field {
            return Some(s);
        }
        if let Some(x) = find(&s.children, field) {
            return Some(x);
        }
    }
    None
}

/// The body's bytes re-encoded from the decoded header and terms.
fn reencode(f: &ConnFrame) -> Vec<u8> {
    let mut body = Vec::new();
    match &f.header {
        Some(h) => {
            body.extend(h.encode().unwrap());
            body.extend(f.control.as_ref().unwrap().encode().unwrap());
            if let Some(p) = &f.payload {
                body.extend(p.encode().unwrap());
            }
        }
        None => {
            body.push(112);
            body.extend(f.control.as_ref().unwrap().encode_external().unwrap());
            if let Some(p) = &f.payload {
                body.extend(p.encode_external().unwrap());
            }
        }
    }
    frame_body(&body).unwrap()
}

const SPEC_5_3: &str = "00 00 00 4a 83 44 04 bf fa 00
    db 04 62 40 76 6d 09 05 70 79 40 76 6d 78 04 65 63 68 6f 96 05 68 65 6c 6c 6f
    68 03 61 16
    58 52 00 00 00 00 55 00 00 00 00 6b 05 94 14
    58 52 01 00 00 00 01 00 00 00 00 12 34 56 78
    68 03 52 02 52 03 52 00";

#[test]
fn spec_5_3_worked_example() {
    let bytes = hex(SPEC_5_3);
    let mut rx = ConnectedDecoder::new(None);
    let f = decode_ok(&mut rx, &bytes, 100);
    assert_eq!(f.kind, Some(FrameKind::Header));
    assert_eq!(f.frame.type_name, "SEND_SENDER");
    assert_eq!(f.op, Some(ControlOp::SEND_SENDER));
    let h = f.header.as_ref().unwrap();
    let got: Vec<(bool, usize, &str)> = h
        .refs
        .iter()
        .map(|r| (r.new, r.slot(), r.atom.as_deref().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            (true, 2011, "b@vm"),
            (true, 777, "py@vm"),
            (true, 632, "echo"),
            (true, 1942, "hello")
        ]
    );
    assert!(!h.long_atoms);
    for (slot, name) in [
        (2011, "b@vm"),
        (777, "py@vm"),
        (632, "echo"),
        (1942, "hello"),
    ] {
        assert_eq!(rx.atom_cache().get(slot), Some(name));
    }
    assert_eq!(f.field("op"), Some("22"));
    assert_eq!(f.field("from_pid"), Some("#Pid<b@vm.85.0;c=1795527700>"));
    assert_eq!(f.field("to_pid"), Some("#Pid<py@vm.1.0;c=305419896>"));
    assert_eq!(f.field("message"), Some("{echo,hello,b@vm}"));
    // Spans: the header group, refs with slots and names, relabelled elements.
    let top: Vec<&str> = f.frame.spans.iter().map(|s| &*s.field).collect();
    assert_eq!(top, ["length_prefix", "dist_header", "control", "message"]);
    let r0 = find(&f.frame.spans, "ref[0]").unwrap();
    assert!(r0.meaning.contains("slot 2011"), "{}", r0.meaning);
    assert!(r0.meaning.contains("new"), "{}", r0.meaning);
    assert!(r0.meaning.contains("b@vm"), "{}", r0.meaning);
    let kids: Vec<&str> = r0.children.iter().map(|s| &*s.field).collect();
    assert_eq!(kids, ["internal_segment_index", "length", "atom_text"]);
    let fb = find(&f.frame.spans, "flag_bytes").unwrap();
    assert_eq!(fb.children.len(), 3);
    assert!(
        fb.children[0].meaning.contains("ref 0 new, segment 7"),
        "{}",
        fb.children[0].meaning
    );
    assert!(fb.children[2].meaning.contains("LongAtoms 0"));
    let control = find(&f.frame.spans, "control").unwrap();
    let names: Vec<&str> = control
        .children
        .iter()
        .filter(|c| !c.children.is_empty())
        .map(|c| &*c.field)
        .collect();
    assert_eq!(names, ["op", "from_pid", "to_pid"]);
    assert_eq!(reencode(&f), bytes);

    // A later message with old refs reads the cache.
    let again = hex("00 00 00 34 83 44 04 37 72 00 db 09 78 96
         68 03 61 16
         58 52 00 00 00 00 55 00 00 00 00 6b 05 94 14
         58 52 01 00 00 00 01 00 00 00 00 12 34 56 78
         68 03 52 02 52 03 52 00");
    let g = decode_ok(&mut rx, &again, 0);
    assert_eq!(g.field("message"), Some("{echo,hello,b@vm}"));
    let r1 = find(&g.frame.spans, "ref[1]").unwrap();
    assert!(r1.meaning.contains("old"), "{}", r1.meaning);
    assert!(r1.meaning.contains("slot 777"), "{}", r1.meaning);
    assert!(r1.meaning.contains("py@vm"), "{}", r1.meaning);
    assert_eq!(reencode(&g), again);

    // The same old refs on a fresh connection: slot 2011 is empty.
    let mut fresh = ConnectedDecoder::new(None);
    let e = fresh.decode_frame(&again, 0);
    match &e.frame.status {
        Status::Invalid(err) => {
            assert_eq!(err.offset, 10);
            assert!(err.message.contains("slot 2011"), "{}", err.message);
            assert!(err.message.contains("empty"), "{}", err.message);
        }
        s => panic!("{s:?}"),
    }
    // A decoder that joined late: notes, the atoms unknown.
    let mut late = ConnectedDecoder::joined_late(None);
    let l = decode_ok(&mut late, &again, 0);
    assert_eq!(l.frame.type_name, "SEND_SENDER");
    assert!(l.frame.notes[0].message.contains("slot 2011"));
    assert_eq!(
        l.field("message"),
        Some("{'$atom_cache_ref_2','$atom_cache_ref_3','$atom_cache_ref_0'}")
    );
    assert_eq!(reencode(&l), again);
    // Still an error: a ref index past the header's refs.
    let bad = hex("00 00 00 06 83 44 00 68 01 52");
    assert!(matches!(
        late.decode_frame(&[&bad[..], &[0]].concat(), 0)
            .frame
            .status,
        Status::Invalid(_)
    ));
}

const SPEC_5_5: &str = "00 00 00 61 83 44 00 68 03 61 21
    58 77 06 70 79 62 40 76 6d 00 00 00 01 00 00 00 00 6b 05 94 51
    5a 00 03 77 04 61 40 76 6d 6b 05 94 52 00 02 41 5e e5 4d 00 01 b2 8e 3d 4b
    68 02 6c 00 00 00 01 77 05 61 6c 69 61 73
    5a 00 03 77 04 61 40 76 6d 6b 05 94 52 00 02 41 5e e5 4d 00 01 b2 8e 3d 4b
    77 03 79 65 73";

#[test]
fn spec_5_5_alias_send() {
    let bytes = hex(SPEC_5_5);
    let mut rx = ConnectedDecoder::new(Some(0x0D_07DF_7FBD));
    let f = decode_ok(&mut rx, &bytes, 0);
    assert_eq!(f.frame.type_name, "ALIAS_SEND");
    assert!(f.frame.notes.is_empty(), "{:?}", f.frame.notes);
    assert_eq!(f.field("from_pid"), Some("#Pid<pyb@vm.1.0;c=1795527761>"));
    let alias = f.field("alias").unwrap();
    assert!(alias.starts_with("#Ref<a@vm."), "{alias}");
    assert_eq!(
        f.field("message"),
        Some(format!("{{[alias|{alias}],yes}}").as_str())
    );
    assert_eq!(f.header.as_ref().unwrap().refs.len(), 0);
    let msg = find(&f.frame.spans, "message").unwrap();
    assert!(msg.meaning.starts_with("Message"), "{}", msg.meaning);
    assert_eq!(reencode(&f), bytes);
    // Without the ALIAS flag: a note.
    let mut old = ConnectedDecoder::new(Some(0x0D_07DF_7FBD & !(1 << 35)));
    let g = decode_ok(&mut old, &bytes, 0);
    assert_eq!(g.frame.notes.len(), 1, "{:?}", g.frame.notes);
    assert!(g.frame.notes[0].message.contains("ALIAS"));
    assert_eq!(g.frame.notes[0].offset, 9, "the op element");
}

#[test]
fn ticks() {
    let mut rx = ConnectedDecoder::new(None);
    let data = [0u8, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let f = decode_ok(&mut rx, &data, 7);
    assert_eq!(f.frame.type_name, "TICK");
    assert_eq!(f.kind, Some(FrameKind::Tick));
    assert_eq!(f.frame.spans.len(), 1);
    assert_eq!(f.frame.spans[0].offset, 7);
    assert!(f.frame.fields.is_empty());
    let g = rx.decode_frame(&data[8..], 15);
    assert!(g.frame.status.is_incomplete());
    match &g.frame.status {
        Status::Incomplete(i) => assert_eq!(i.needed, Some(2)),
        s => panic!("{s:?}"),
    }
    assert_eq!(encode_tick(), [0, 0, 0, 0]);
}

#[test]
fn pass_through() {
    let control = parse("{6, #Pid<'x2@127.0.0.1'.1.0;c=202374882>, '', reg}").unwrap();
    let payload = parse("{#Pid<'x2@127.0.0.1'.1.0;c=202374882>, hello}").unwrap();
    let bytes = encode_message(&control, Some(&payload), EncodeMode::PassThrough).unwrap();
    assert_eq!(&bytes[4..7], &[112, 131, 104]);
    let mut rx = ConnectedDecoder::new(None);
    let f = decode_ok(&mut rx, &bytes, 0);
    assert_eq!(f.kind, Some(FrameKind::PassThrough));
    assert_eq!(f.frame.type_name, "REG_SEND");
    assert!(f.frame.notes.is_empty(), "{:?}", f.frame.notes);
    let top: Vec<&str> = f.frame.spans.iter().map(|s| &*s.field).collect();
    assert_eq!(
        top,
        [
            "length_prefix",
            "pass_through",
            "version_magic",
            "control",
            "version_magic",
            "message"
        ]
    );
    assert_eq!(f.field("to_name"), Some("reg"));
    assert_eq!(reencode(&f), bytes);
    assert_eq!(rx.atom_cache().len(), 0);

    // The first byte is not checked by OTP: a note, the frame still decodes.
    let mut odd = bytes.clone();
    odd[4] = b'q';
    let g = decode_ok(&mut rx, &odd, 0);
    assert_eq!(g.frame.type_name, "REG_SEND");
    assert!(g.frame.notes.iter().any(|n| n.message.contains("not 112")));
    // With the header flags negotiated, pass-through gets a note.
    let mut hdr = ConnectedDecoder::new(Some(0x0D_07DF_7FBD));
    let h = decode_ok(&mut hdr, &bytes, 0);
    assert!(h
        .frame
        .notes
        .iter()
        .any(|n| n.message.contains("pass-through")));
    // Without the flags, a 131,68 header gets one.
    let mut plain = ConnectedDecoder::new(Some(0x0D_07DF_7FBD & !0x80_2000));
    let hb = encode_message(&control, Some(&payload), EncodeMode::Header).unwrap();
    let k = decode_ok(&mut plain, &hb, 0);
    assert!(k.frame.notes.iter().any(|n| n.message.contains("131,68")));
    // An ATOM_CACHE_REF in pass-through has nothing to point to.
    let bad = hex("00 00 00 0a 70 83 68 03 61 06 52 00 52 01");
    match rx.decode_frame(&bad, 0).frame.status {
        Status::Invalid(e) => {
            assert_eq!(e.offset, 11);
            assert!(e.message.contains("ATOM_CACHE_REF"), "{}", e.message);
        }
        s => panic!("{s:?}"),
    }
    // 131 followed by something that is no header kind.
    let bad = hex("00 00 00 03 83 47 00");
    match rx.decode_frame(&bad, 0).frame.status {
        Status::Invalid(e) => assert_eq!(e.offset, 5),
        s => panic!("{s:?}"),
    }
}

#[test]
fn control_checks_are_notes() {
    let mut rx = ConnectedDecoder::new(None);
    // Unknown op 9: the bytes decode, OTP would kill the connection.
    let c = parse("{9, a}").unwrap();
    let b = encode_message(&c, None, EncodeMode::Header).unwrap();
    let f = decode_ok(&mut rx, &b, 0);
    assert_eq!(f.frame.type_name, "UNKNOWN");
    assert_eq!(f.op, Some(ControlOp(9)));
    assert!(f.frame.notes[0]
        .message
        .contains("Invalid distribution message"));
    // Wrong arity.
    let c = parse("{1, #Pid<'a@h'.1.0;c=1>}").unwrap();
    let b = encode_message(&c, None, EncodeMode::Header).unwrap();
    let f = decode_ok(&mut rx, &b, 0);
    assert_eq!(f.frame.type_name, "LINK");
    assert!(f.frame.notes[0].message.contains("OTP demands 3"));
    // UNLINK is obsolete; MONITOR_P needs a reference.
    let c = parse("{4, #Pid<'a@h'.1.0;c=1>, #Pid<'b@h'.1.0;c=1>}").unwrap();
    let b = encode_message(&c, None, EncodeMode::Header).unwrap();
    let f = decode_ok(&mut rx, &b, 0);
    assert!(f.frame.notes[0].message.contains("OTP 26+"));
    let c = parse("{19, #Pid<'a@h'.1.0;c=1>, rex, notaref}").unwrap();
    let b = encode_message(&c, None, EncodeMode::Header).unwrap();
    let f = decode_ok(&mut rx, &b, 0);
    let n = &f.frame.notes[0];
    assert!(
        n.message.contains("ref must be a reference"),
        "{}",
        n.message
    );
    assert_eq!(n.field, "MONITOR_P.ref");
    assert_eq!(n.offset, find(&f.frame.spans, "ref").unwrap().offset);
    // ALTACT_SIG_SEND: flags explained, extra elements tolerated.
    let c = parse("{37, 10, #Pid<'a@h'.1.0;c=1>, rex, token, extra}").unwrap();
    let b = encode_message(&c, Some(&Term::atom("hi")), EncodeMode::Header).unwrap();
    let f = decode_ok(&mut rx, &b, 0);
    assert!(f.frame.notes.is_empty(), "{:?}", f.frame.notes);
    let flags = find(&f.frame.spans, "flags").unwrap();
    assert!(flags.meaning.contains("TOKEN|NAME"), "{}", flags.meaning);
    assert_eq!(f.field("token"), Some("token"));
    // SPAWN_REPLY flags.
    let c =
        parse("{31, #Ref<'a@h'.1.2.3;c=1>, #Pid<'a@h'.1.0;c=1>, 3, #Pid<'b@h'.2.0;c=1>}").unwrap();
    let b = encode_message(&c, None, EncodeMode::Header).unwrap();
    let f = decode_ok(&mut rx, &b, 0);
    assert!(f.frame.notes.is_empty(), "{:?}", f.frame.notes);
    let flags = find(&f.frame.spans, "flags").unwrap();
    assert!(flags.meaning.contains("link set up, monitor set up"));
    // A payload for an op that takes none, and a missing one.
    let c = parse("{1, #Pid<'a@h'.1.0;c=1>, #Pid<'b@h'.1.0;c=1>}").unwrap();
    let b = encode_message(&c, Some(&Term::Nil), EncodeMode::Header).unwrap();
    let f = decode_ok(&mut rx, &b, 0);
    assert!(f.frame.notes[0].message.contains("takes no payload"));
    let c = parse("{22, #Pid<'a@h'.1.0;c=1>, #Pid<'b@h'.1.0;c=1>}").unwrap();
    let b = encode_message(&c, None, EncodeMode::Header).unwrap();
    let f = decode_ok(&mut rx, &b, 0);
    assert!(f.frame.notes[0].message.contains("followed by a payload"));
    // Not a tuple at all.
    let b = encode_message(&Term::atom("x"), None, EncodeMode::Header).unwrap();
    let f = decode_ok(&mut rx, &b, 0);
    assert_eq!(f.frame.type_name, "UNKNOWN");
    assert_eq!(f.field("control"), Some("x"));
}

#[test]
fn header_errors() {
    let mut rx = ConnectedDecoder::new(None);
    // ATOM_CACHE_REF 1 with one ref in the header.
    let b = hex("00 00 00 0d 83 44 01 08 00 01 61 68 02 52 00 52 01");
    match rx.decode_frame(&b, 0).frame.status {
        Status::Invalid(e) => {
            assert_eq!(e.offset, 16);
            assert!(e.message.contains("only 1 ref"), "{}", e.message);
        }
        s => panic!("{s:?}"),
    }
    // An atom text that is not UTF-8.
    let b = hex("00 00 00 09 83 44 01 08 00 01 ff 52 00");
    match rx.decode_frame(&b, 0).frame.status {
        Status::Invalid(e) => {
            assert_eq!(e.offset, 10);
            assert_eq!(e.field, "DIST_HEADER.ref[0].atom_text");
        }
        s => panic!("{s:?}"),
    }
    // The frame ends inside the control term.
    let b = hex("00 00 00 05 83 44 00 68 02");
    match rx.decode_frame(&b, 0).frame.status {
        Status::Invalid(e) => assert!(
            e.message.contains("ends inside the control"),
            "{}",
            e.message
        ),
        s => panic!("{s:?}"),
    }
    // LongAtoms, unused flag bits and a non-zero padding nibble are notes.
    let b = hex("00 00 00 0a 83 44 01 1b 00 00 01 61 52 00");
    let f = decode_ok(&mut rx, &b, 0);
    assert!(f.header.as_ref().unwrap().long_atoms);
    assert!(f
        .frame
        .notes
        .iter()
        .any(|n| n.message.contains("LongAtoms is set")));
    assert_eq!(reencode(&f), b);
    let b = hex("00 00 00 0c 83 44 02 88 f4 00 01 61 01 00 52 01");
    let f = decode_ok(&mut rx, &b, 0);
    let h = f.header.as_ref().unwrap();
    assert_eq!(h.unused_flag_bits, 4);
    assert_eq!(h.padding_nibble, 0xf);
    let notes: Vec<&str> = f.frame.notes.iter().map(|n| n.message.as_str()).collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("unused header-flag bits 0x4")),
        "{notes:?}"
    );
    assert!(notes.iter().any(|n| n.contains("high nibble")), "{notes:?}");
    assert_eq!(reencode(&f), b);
    assert_eq!(f.field("message"), None);
    assert_eq!(h.refs[1].atom.as_deref(), Some(""));
}

/// Feeds `frames` (one buffer) frame by frame; returns the decoded frames.
fn decode_all(rx: &mut ConnectedDecoder, data: &[u8]) -> Vec<ConnFrame> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let f = decode_ok(rx, &data[pos..], pos);
        pos += f.frame.consumed;
        out.push(f);
    }
    out
}

fn big_message(n: usize, tag: &str) -> (Term, Term) {
    let control = parse("{6, #Pid<'a@127.0.0.1'.9.0;c=1795527696>, '', reg}").unwrap();
    let bin: Vec<u8> = (0..n).map(|i| (i % 256) as u8).collect();
    let payload = Term::Tuple {
        large: false,
        elems: vec![Term::atom(tag), Term::Binary(bin), Term::atom("reg")],
    };
    (control, payload)
}

#[test]
fn fragments() {
    let (control, payload) = big_message(1000, "big");
    let mut tx = SenderAtomCache::new();
    let frames = encode_fragments(
        &control,
        Some(&payload),
        EncodeMode::HeaderCached(&mut tx),
        0x2a8_0000_0553,
        300,
    )
    .unwrap();
    assert_eq!(frames.len(), 4);
    assert_eq!(&frames[0][4..6], &[131, 69]);
    assert_eq!(&frames[0][14..22], &4u64.to_be_bytes());
    assert_eq!(&frames[3][4..6], &[131, 70]);
    assert_eq!(&frames[3][14..22], &1u64.to_be_bytes());
    let mut rx = ConnectedDecoder::new(Some(0x0D_07DF_7FBD));
    let all = frames.concat();
    let got = decode_all(&mut rx, &all);
    assert_eq!(got[0].frame.type_name, "FRAGMENT");
    assert_eq!(got[0].kind, Some(FrameKind::FragmentStart));
    assert_eq!(got[0].op, Some(ControlOp::REG_SEND));
    assert_eq!(got[0].field("to_name"), Some("reg"));
    let top: Vec<&str> = got[0].frame.spans.iter().map(|s| &*s.field).collect();
    assert_eq!(
        top,
        [
            "length_prefix",
            "dist_header",
            "control",
            "payload_fragment"
        ]
    );
    assert_eq!(got[1].frame.type_name, "FRAGMENT");
    assert_eq!(got[2].frame.type_name, "FRAGMENT");
    let last = &got[3];
    assert_eq!(last.frame.type_name, "REG_SEND");
    assert_eq!(last.kind, Some(FrameKind::FragmentCont));
    assert!(same_term(last.payload.as_ref().unwrap(), &payload));
    let re = last.reassembled.as_ref().unwrap();
    assert_eq!(re.fragments, 4);
    assert_eq!(re.chunks.len(), 4);
    let top: Vec<&str> = re.spans.iter().map(|s| &*s.field).collect();
    assert_eq!(top, ["control", "message"]);
    // Reassembled offsets map back into the stream.
    assert_eq!(re.stream_offset(0), Some(re.chunks[0].stream_offset));
    let c1 = re.chunks[1];
    assert_eq!(
        re.stream_offset(c1.message_offset + 5),
        Some(c1.stream_offset + 5)
    );
    assert_eq!(
        all[re.stream_offset(700).unwrap()],
        re.bytes[700],
        "the mapped byte"
    );
    assert!(rx.pending_fragments().is_empty());
    assert!(last.field("message").unwrap().starts_with("{big,<<0,1,2,"));

    // Two interleaved sequences.
    let (c2, p2) = big_message(700, "other");
    let mut tx = SenderAtomCache::new();
    let a = encode_fragments(
        &control,
        Some(&payload),
        EncodeMode::HeaderCached(&mut tx),
        1,
        300,
    )
    .unwrap();
    let b = encode_fragments(&c2, Some(&p2), EncodeMode::HeaderCached(&mut tx), 2, 300).unwrap();
    assert_eq!(b.len(), 3);
    let order = [&a[0], &b[0], &a[1], &b[1], &b[2], &a[2], &a[3]];
    let mut rx = ConnectedDecoder::new(None);
    let got = decode_all(
        &mut rx,
        &order
            .iter()
            .flat_map(|f| f.iter().copied())
            .collect::<Vec<_>>(),
    );
    let names: Vec<&str> = got.iter().map(|f| f.frame.type_name).collect();
    assert_eq!(
        names,
        ["FRAGMENT", "FRAGMENT", "FRAGMENT", "FRAGMENT", "REG_SEND", "FRAGMENT", "REG_SEND"]
    );
    assert!(same_term(got[4].payload.as_ref().unwrap(), &p2));
    assert!(same_term(got[6].payload.as_ref().unwrap(), &payload));

    // A wrong countdown, a continuation without a start, a restart.
    let mut rx = ConnectedDecoder::new(None);
    decode_ok(&mut rx, &a[0], 0);
    match rx.decode_frame(&a[2], 0).frame.status {
        Status::Invalid(e) => {
            assert_eq!(e.offset, 14);
            assert!(e.message.contains("expects 3"), "{}", e.message);
        }
        s => panic!("{s:?}"),
    }
    match rx.decode_frame(&b[1], 0).frame.status {
        Status::Invalid(e) => assert_eq!(e.offset, 6),
        s => panic!("{s:?}"),
    }
    let mut late = ConnectedDecoder::joined_late(None);
    let l = decode_ok(&mut late, &b[1], 0);
    assert_eq!(l.frame.type_name, "FRAGMENT");
    assert!(l.frame.notes[0].message.contains("no first fragment"));
    assert!(rx.decode_frame(&a[0], 0).frame.status != Status::Complete);
    // FragmentId 0 is invalid.
    let mut zero = a[1].clone();
    zero[21] = 0;
    assert!(matches!(
        ConnectedDecoder::new(None)
            .decode_frame(&zero, 0)
            .frame
            .status,
        Status::Invalid(_)
    ));
    // A first fragment that is also the last: a whole message, with a note.
    let single = encode_message(&control, Some(&payload), EncodeMode::Header).unwrap();
    let mut body = vec![131, 69];
    body.extend(9u64.to_be_bytes());
    body.extend(1u64.to_be_bytes());
    body.extend(&single[6..]);
    let one = frame_body(&body).unwrap();
    let f = decode_ok(&mut ConnectedDecoder::new(None), &one, 0);
    assert_eq!(f.frame.type_name, "REG_SEND");
    assert!(f.frame.notes[0].message.contains("FragmentId 1"));
    assert!(same_term(f.payload.as_ref().unwrap(), &payload));
    // A fragmented message without payload still gets its op's name.
    let long = Term::Tuple {
        large: false,
        elems: vec![
            Term::SmallInteger(3),
            parse("#Pid<a@h.1.0;c=1>").unwrap(),
            parse("#Pid<b@h.1.0;c=1>").unwrap(),
            Term::Binary(vec![7; 100]),
        ],
    };
    let frames = encode_fragments(&long, None, EncodeMode::Header, 3, 40).unwrap();
    assert_eq!(frames.len(), 1, "the control message never splits");
    let mut body = frames[0][4..].to_vec();
    let tail = body.split_off(30);
    body[1] = 69;
    let start = [
        &[131, 69][..],
        &3u64.to_be_bytes(),
        &2u64.to_be_bytes(),
        &body[2..],
    ]
    .concat();
    let cont = [
        &[131, 70][..],
        &3u64.to_be_bytes(),
        &1u64.to_be_bytes(),
        &tail,
    ]
    .concat();
    let mut rx = ConnectedDecoder::new(None);
    let f = decode_ok(&mut rx, &frame_body(&start).unwrap(), 0);
    assert_eq!(f.frame.type_name, "FRAGMENT");
    assert!(
        f.frame.notes[0].message.contains("does not fit"),
        "{:?}",
        f.frame.notes
    );
    let g = decode_ok(&mut rx, &frame_body(&cont).unwrap(), 0);
    assert_eq!(g.frame.type_name, "EXIT");
    // A message that fits one fragment is a normal header.
    let one = encode_fragments(&control, Some(&payload), EncodeMode::Header, 1, 1 << 16).unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(&one[0][4..6], &[131, 68]);
    assert!(encode_fragments(&control, None, EncodeMode::PassThrough, 1, 10).is_err());
}

#[test]
fn every_prefix_is_incomplete() {
    let (control, payload) = big_message(200, "big");
    let mut tx = SenderAtomCache::new();
    let mut frames = encode_fragments(
        &control,
        Some(&payload),
        EncodeMode::HeaderCached(&mut tx),
        7,
        64,
    )
    .unwrap();
    frames.push(hex(SPEC_5_3));
    frames.push(hex(SPEC_5_5));
    frames.push(encode_message(&control, Some(&payload), EncodeMode::PassThrough).unwrap());
    frames.push(encode_tick());
    let mut rx = ConnectedDecoder::new(None);
    for frame in &frames {
        for n in 0..frame.len() {
            let f = rx.decode_frame(&frame[..n], 1000);
            match &f.frame.status {
                Status::Incomplete(i) => {
                    let want = if n < 4 { 4 - n } else { frame.len() - n };
                    assert_eq!(i.needed, Some(want), "{n}")
                }
                s => panic!("prefix {n} of {}: {s:?}", frame.len()),
            }
            assert_eq!(f.frame.consumed, n);
        }
        // Prefixes left the state alone: the whole frame still decodes.
        let whole = [frame.as_slice(), &[0, 0, 0, 0]].concat();
        let f = decode_ok(&mut rx, &whole, 1000);
        assert_eq!(f.frame.consumed, frame.len());
    }
}

#[test]
fn encode_decode_round_trips() {
    let messages = [
        ("{6, #Pid<'a@127.0.0.1'.9.0;c=1795527696>, '', rex}", Some("{'$gen_call', {#Pid<'a@127.0.0.1'.9.0;c=1795527696>, #Ref<'a@127.0.0.1'.1.2.3;c=1795527696>}, {call, erlang, node, [], user}}")),
        ("{22, #Pid<'b@127.0.0.1'.86.0;c=1795527694>, #Pid<'a@127.0.0.1'.9.0;c=1795527696>}", Some("{reg_reply, #Pid<'b@127.0.0.1'.86.0;c=1795527694>, \"text\", <<1,2,3>>, 1.5, -7, 123456789012345678901234567890, #{a => 1}, fun lists:map/2}")),
        ("{19, #Pid<'a@127.0.0.1'.9.0;c=1>, net_kernel, #Ref<'a@127.0.0.1'.1.2.3;c=1>}", None),
        ("{35, 18446744073709551615, #Pid<'a@h'.9.0;c=1>, #Pid<'b@h'.9.0;c=1>}", None),
        ("{29, #Ref<'a@h'.1.2.3;c=1>, #Pid<'a@h'.9.0;c=1>, #Pid<'a@h'.7.0;c=1>, {erlang, apply, 2}, [monitor]}", Some("[erlang, nodes, [hidden]]")),
        ("{37, 21, #Pid<'a@h'.9.0;c=1>, #Pid<'b@h'.9.0;c=1>}", Some("killed")),
    ];
    // An atom of 150 characters, 300 bytes: LongAtoms with the cache.
    let long = format!("{{'{}', x}}", "λ".repeat(150));
    let messages: Vec<(&str, Option<&str>)> = messages
        .iter()
        .copied()
        .chain([(messages[0].0, Some(long.as_str()))])
        .collect();
    let mut long_seen = false;
    let mut tx = SenderAtomCache::new();
    let mut rx_cached = ConnectedDecoder::new(None);
    let mut rx = ConnectedDecoder::new(None);
    for round in 0..2 {
        for (c, p) in &messages {
            let control = parse(c).unwrap();
            let payload = p.map(|p| parse(p).unwrap());
            for mode in 0..3 {
                let m = match mode {
                    0 => EncodeMode::PassThrough,
                    1 => EncodeMode::Header,
                    _ => EncodeMode::HeaderCached(&mut tx),
                };
                let bytes = encode_message(&control, payload.as_ref(), m).unwrap();
                let r = if mode == 2 { &mut rx_cached } else { &mut rx };
                let f = decode_ok(r, &bytes, 0);
                assert_eq!(reencode(&f), bytes, "{c} mode {mode}");
                assert!(same_term(f.control.as_ref().unwrap(), &control));
                match (&f.payload, &payload) {
                    (Some(a), Some(b)) => assert!(same_term(a, b)),
                    (None, None) => {}
                    x => panic!("{x:?}"),
                }
                assert_eq!(
                    f.field("op").unwrap(),
                    to_erlang_with(&control_elem0(&control), &PrintOptions::READABLE)
                );
                if mode == 2 {
                    long_seen |= f.header.as_ref().unwrap().long_atoms;
                    let refs = &f.header.as_ref().unwrap().refs;
                    assert!(!refs.is_empty());
                    // Round 2 sends only known atoms: every ref is old.
                    if round == 1 {
                        assert!(refs.iter().all(|r| !r.new), "{c}");
                    }
                }
            }
        }
    }
    assert!(long_seen);
}

fn control_elem0(t: &Term) -> Term {
    match t {
        Term::Tuple { elems, .. } => elems[0].clone(),
        _ => panic!(),
    }
}

#[test]
fn builder_schema() {
    let sample = |name: &str| -> &'static str {
        match name {
            "from_pid" | "to_pid" | "from" | "group_leader" | "sender_pid" | "to" => {
                "#Pid<'a@127.0.0.1'.9.0;c=1795527696>"
            }
            "from_proc" | "to_proc" | "result" => "#Pid<'b@127.0.0.1'.9.0;c=1795527694>",
            "to_name" => "rex",
            "reason" => "normal",
            "trace_token" | "token" => "{0, label, 1, #Pid<'a@h'.1.0;c=1>, 0}",
            "ref" | "req_id" | "alias" => "#Ref<'a@127.0.0.1'.1.2.3;c=1795527696>",
            "mfa" => "{erlang, apply, 2}",
            "id" => "7",
            "message" => "[hello, \"world\"]",
            _ => "x",
        }
    };
    let types = message_types();
    assert_eq!(types.len(), 32);
    let mut rx = ConnectedDecoder::new(None);
    for ty in types {
        let schema = field_schema(ty).unwrap();
        let mut fields = Fields::new();
        for fi in &schema {
            if fi.default.is_none() && !fi.derived && !fi.optional {
                fields.insert(fi.name.to_string(), sample(fi.name).to_string());
            }
        }
        let bytes = encode_control_fields(ty, &fields).unwrap();
        let f = decode_ok(&mut rx, &bytes, 0);
        assert_eq!(f.frame.type_name, ty);
        if ty == "TICK" {
            continue;
        }
        let info = ControlOp::from_name(ty).unwrap().info().unwrap();
        let names: Vec<&str> = f.frame.fields.iter().map(|(k, _)| k.as_str()).collect();
        let mut want: Vec<&str> = info.elements[..info.arity].to_vec();
        if info.payload.is_some() {
            want.push("message");
        }
        assert_eq!(names, want, "{ty}");
        for (k, v) in &fields {
            let got = f.field(k).unwrap();
            assert!(
                same_term(&parse(got).unwrap(), &parse(v).unwrap()),
                "{ty}.{k}: {got} vs {v}"
            );
        }
        // Notes only for the obsolete ones.
        if info.accepted {
            assert!(f.frame.notes.is_empty(), "{ty}: {:?}", f.frame.notes);
        }
    }
    // op is derived and can be overridden; unknown fields are refused.
    let mut fields = Fields::new();
    fields.insert("from_pid".into(), "#Pid<'a@h'.1.0;c=1>".into());
    fields.insert("to_pid".into(), "#Pid<'b@h'.1.0;c=1>".into());
    fields.insert("op".into(), "99".into());
    let f = decode_ok(&mut rx, &encode_control_fields("LINK", &fields).unwrap(), 0);
    assert_eq!(f.op, Some(ControlOp(99)));
    fields.insert("bogus".into(), "1".into());
    let e = encode_control_fields("LINK", &fields).unwrap_err();
    assert_eq!(e.field, "bogus");
    let e = encode_control_fields("NOPE", &Fields::new()).unwrap_err();
    assert_eq!(e.field, "type");
    // ALTACT_SIG_SEND's token only when given.
    let mut fields = Fields::new();
    fields.insert("sender_pid".into(), "#Pid<'a@h'.1.0;c=1>".into());
    fields.insert("to".into(), "#Pid<'b@h'.1.0;c=1>".into());
    fields.insert("message".into(), "hi".into());
    let (c, _) = control_from_fields("ALTACT_SIG_SEND", &fields).unwrap();
    assert_eq!(
        to_erlang_with(&c, &PrintOptions::W),
        "{37,0,#Pid<a@h.1.0;c=1>,#Pid<b@h.1.0;c=1>}"
    );
    fields.insert("token".into(), "tok".into());
    fields.insert("flags".into(), "2".into());
    let (c, _) = control_from_fields("ALTACT_SIG_SEND", &fields).unwrap();
    assert_eq!(
        to_erlang_with(&c, &PrintOptions::W),
        "{37,2,#Pid<a@h.1.0;c=1>,#Pid<b@h.1.0;c=1>,tok}"
    );
}

// ---------------------------------------------------------------------------
// Real traffic
// ---------------------------------------------------------------------------

fn vector(name: &str) -> String {
    let p = format!("{}/tests/vectors/dist/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// A node connection of a streams listing: (stream id, client bytes,
/// server bytes).
fn node_streams(listing: &str) -> Vec<(usize, Vec<u8>, Vec<u8>)> {
    let mut out: Vec<(usize, Vec<u8>, Vec<u8>)> = Vec::new();
    let mut node = false;
    let mut lines = listing.lines();
    while let Some(l) = lines.next() {
        if let Some(rest) = l.strip_prefix("=== stream ") {
            let id: usize = rest.split_whitespace().next().unwrap().parse().unwrap();
            node = !l.ends_with("(epmd)");
            if node {
                out.push((id, Vec::new(), Vec::new()));
            }
        } else if l.starts_with("run ") && node {
            let bytes = hex(lines.next().unwrap());
            let last = out.last_mut().unwrap();
            if l.contains(" client->server ") {
                last.1.extend(bytes);
            } else {
                assert!(l.contains(" server->client "));
                last.2.extend(bytes);
            }
        }
    }
    out
}

/// Skips the 2-byte handshake frames up to and including the one tagged
/// `last` (`r` for the initiator, `a` for the acceptor); `None` when the
/// direction never got there.
fn after_handshake(data: &[u8], last: u8) -> Option<usize> {
    let mut pos = 0;
    while pos + 2 <= data.len() {
        let len = u16::from_be_bytes([data[pos], data[pos + 1]]) as usize;
        let tag = *data.get(pos + 2)?;
        pos += 2 + len;
        if tag == last {
            return Some(pos);
        }
    }
    None
}

#[derive(Debug, Default)]
struct RefFrame {
    kind: String,
    refs: Option<String>,
    control: Option<String>,
    op: Option<String>,
    message: Option<String>,
    /// Abbreviated message: term_to_binary size and md5.
    digest: Option<(usize, String)>,
}

#[derive(Debug, Default)]
struct RefDirection {
    frames: Vec<RefFrame>,
    ticks: usize,
}

/// The reference decode's connected frames per node stream:
/// stream id → (client->server, server->client).
fn reference(decoded: &str) -> BTreeMap<usize, (RefDirection, RefDirection)> {
    let mut out: BTreeMap<usize, (RefDirection, RefDirection)> = BTreeMap::new();
    let mut stream = None;
    let mut dir = 0;
    let lines: Vec<&str> = decoded.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        i += 1;
        if let Some(rest) = l.strip_prefix("=== stream ") {
            let id: usize = rest.split_whitespace().next().unwrap().parse().unwrap();
            stream = rest.contains("(dist)").then_some(id);
            if let Some(id) = stream {
                out.insert(id, Default::default());
            }
            continue;
        }
        let Some(id) = stream else { continue };
        let e = out.get_mut(&id).unwrap();
        let d = if dir == 0 { &mut e.0 } else { &mut e.1 };
        if l.starts_with("  -- client->server after handshake") {
            dir = 0;
        } else if l.starts_with("  -- server->client after handshake") {
            dir = 1;
        } else if let Some(t) = l.strip_prefix("  (") {
            if t.contains("x tick") {
                d.ticks += t.split(' ').next().unwrap().parse::<usize>().unwrap();
            }
        } else if l.starts_with("  [c2s #") || l.starts_with("  [s2c #") {
            d.frames.push(RefFrame::default());
        } else if let Some(t) = l.strip_prefix("      ") {
            let Some(f) = d.frames.last_mut() else {
                continue;
            };
            if t.starts_with("DIST_") || t.starts_with("PASS_THROUGH") {
                f.kind = t.split('(').next().unwrap().to_string();
            } else if let Some(r) = t.strip_prefix("refs ") {
                f.refs = Some(r.to_string());
            } else if let Some(c) = t.strip_prefix("control ") {
                let (c, op) = c.rsplit_once("  = ").unwrap();
                f.control = Some(c.to_string());
                f.op = Some(op.to_string());
            } else if let Some(m) = t.strip_prefix("message ") {
                let mut text = m.to_string();
                let keywords = [
                    "hex ",
                    "DIST_",
                    "PASS_THROUGH",
                    "refs ",
                    "control ",
                    "message ",
                    "== ",
                ];
                while i < lines.len()
                    && !lines[i].starts_with("  [")
                    && !lines[i].starts_with("  (")
                    && !lines[i].starts_with("  --")
                    && !lines[i].starts_with("===")
                    && !keywords
                        .iter()
                        .any(|k| lines[i].trim_start().starts_with(k))
                    && !lines[i].is_empty()
                {
                    text.push_str(lines[i]);
                    i += 1;
                }
                if let Some((_, abbr)) = text.split_once("[abbreviated; full term_to_binary is ") {
                    let (size, rest) = abbr.split_once(" bytes, md5 ").unwrap();
                    let md5 = rest.trim_end_matches(']').to_string();
                    f.digest = Some((size.parse().unwrap(), md5));
                } else {
                    f.message = Some(text);
                }
            }
        }
    }
    out
}

/// A term printed as the reference prints it: `~w`, with pids, references
/// and ports as the quoted atoms `'#Pid<node.id.serial;c=creation>'`,
/// `'#Ref<node;c=creation;w1.w2.w3>'`, `'#Port<node.id;c=creation>'`.
fn reference_text(t: &Term) -> String {
    to_erlang_with(&reference_term(t), &PrintOptions::W)
}

/// The term the reference printed (and digested): pids, references and
/// ports replaced by atoms.
fn reference_term(t: &Term) -> Term {
    fn node(t: &Term) -> String {
        match t {
            Term::Atom(a) => a.text(),
            other => format!("{other:?}"),
        }
    }
    fn conv(t: &Term) -> Term {
        match t {
            Term::Pid(p) => Term::atom(&format!(
                "#Pid<{}.{}.{};c={}>",
                node(&p.node),
                p.id,
                p.serial,
                p.creation
            )),
            Term::Ref(r) => Term::atom(&format!(
                "#Ref<{};c={};{}>",
                node(&r.node),
                r.creation,
                r.ids
                    .iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(".")
            )),
            Term::Port(p) => Term::atom(&format!(
                "#Port<{}.{};c={}>",
                node(&p.node),
                p.id,
                p.creation
            )),
            Term::Tuple { large, elems } => Term::Tuple {
                large: *large,
                elems: elems.iter().map(conv).collect(),
            },
            Term::List { elems, tail } => Term::List {
                elems: elems.iter().map(conv).collect(),
                tail: Box::new(conv(tail)),
            },
            Term::Map(pairs) => Term::Map(pairs.iter().map(|(k, v)| (conv(k), conv(v))).collect()),
            other => other.clone(),
        }
    }
    conv(t)
}

fn refs_text(h: &DistHeader) -> String {
    h.refs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            format!(
                "{i}:{}(seg={},idx={})={}",
                if r.new { "new" } else { "old" },
                r.segment_index,
                r.internal_segment_index,
                to_erlang_with(&Term::atom(r.atom.as_deref().unwrap()), &PrintOptions::W)
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn reference_kind(f: &ConnFrame) -> &'static str {
    match f.kind.unwrap() {
        FrameKind::Tick => "TICK",
        FrameKind::PassThrough => "PASS_THROUGH",
        FrameKind::Header => "DIST_HDR",
        FrameKind::FragmentStart => "DIST_FRAG_HEADER",
        FrameKind::FragmentCont => "DIST_FRAG_CONT",
    }
}

/// The capability flags of the first `N`/`n` handshake frame in `data`.
fn handshake_flags(data: &[u8]) -> Option<u64> {
    let mut pos = 0;
    while pos + 3 <= data.len() {
        let len = u16::from_be_bytes([data[pos], data[pos + 1]]) as usize;
        let body = &data[pos + 2..pos + 2 + len];
        match body[0] {
            b'N' => return Some(u64::from_be_bytes(body[1..9].try_into().unwrap())),
            b'n' => return Some(u32::from_be_bytes(body[3..7].try_into().unwrap()) as u64),
            _ => pos += 2 + len,
        }
    }
    None
}

/// Decodes one direction and compares it with the reference; returns
/// (frames, ticks, fragments reassembled, messages compared as text).
fn check_direction(
    what: &str,
    data: &[u8],
    start: usize,
    negotiated: u64,
    want: &RefDirection,
) -> (usize, usize, usize, usize) {
    let mut rx = ConnectedDecoder::new(Some(negotiated));
    let mut pos = start;
    let mut ticks = 0;
    let mut frames = Vec::new();
    while pos < data.len() {
        let f = decode_ok(&mut rx, &data[pos..], pos);
        pos += f.frame.consumed;
        // Every ATOM_CACHE_REF resolved (an unresolved one is an error).
        for t in f.control.iter().chain(f.payload.iter()) {
            assert!(t
                .walk()
                .all(|s| !matches!(s, Term::Atom(a) if a.name.is_none())));
        }
        if f.kind == Some(FrameKind::Tick) {
            ticks += 1;
        } else {
            frames.push(f);
        }
    }
    assert_eq!(ticks, want.ticks, "{what}: ticks");
    assert_eq!(frames.len(), want.frames.len(), "{what}: frames");
    let mut reassembled = 0;
    let mut texts = 0;
    for (k, (f, r)) in frames.iter().zip(&want.frames).enumerate() {
        let at = format!("{what} frame #{}", k + 1);
        assert_eq!(reference_kind(f), r.kind, "{at}");
        assert!(f.frame.notes.is_empty(), "{at}: {:?}", f.frame.notes);
        if let Some(refs) = &r.refs {
            assert_eq!(&refs_text(f.header.as_ref().unwrap()), refs, "{at}");
        }
        match (&r.op, f.frame.type_name) {
            (Some(op), name) => {
                assert_eq!(name, op, "{at}");
                let control = f.control.as_ref().unwrap();
                if !r.control.as_ref().unwrap().contains("#Fun<") {
                    assert_eq!(
                        &reference_text(control),
                        r.control.as_ref().unwrap(),
                        "{at}"
                    );
                }
            }
            (None, name) => assert_eq!(name, "FRAGMENT", "{at}"),
        }
        if f.reassembled.is_some() {
            reassembled += 1;
        }
        if let Some(m) = &r.message {
            let p = f
                .payload
                .as_ref()
                .unwrap_or_else(|| panic!("{at}: no payload"));
            if !m.contains("#Fun<") {
                assert_eq!(&reference_text(p), m, "{at}");
                texts += 1;
            }
        }
        if let Some((size, md5)) = &r.digest {
            let p = f.payload.as_ref().unwrap();
            let b = term_to_binary(&reference_term(p), &T2bOptions::default()).unwrap();
            assert_eq!(b.len(), *size, "{at}");
            let got: String = Md5::digest(&b).iter().map(|x| format!("{x:02X}")).collect();
            assert_eq!(&got, md5, "{at}");
            texts += 1;
        }
        if r.message.is_none() && r.digest.is_none() {
            assert!(
                f.payload.is_none() || r.op.is_none(),
                "{at}: payload not in the reference"
            );
        }
    }
    (frames.len(), ticks, reassembled, texts)
}

#[test]
fn real_traffic_matches_the_reference_decode() {
    let mut summary = Vec::new();
    for capture in [
        "dist_full",
        "dist_hidden",
        "dist_rawclient",
        "dist_v5_name",
        "dist_wrong_cookie",
    ] {
        let streams = node_streams(&vector(&format!("{capture}.streams.txt")));
        let want = reference(&vector(&format!("{capture}.decoded.txt")));
        assert_eq!(streams.len(), want.len(), "{capture}: node streams");
        let mut totals = (0, 0, 0, 0);
        for (id, client, server) in &streams {
            let (c2s, s2c) = &want[id];
            let negotiated =
                handshake_flags(client).unwrap() & handshake_flags(server).unwrap_or(0);
            for (side, data, last, w) in [("c2s", client, b'r', c2s), ("s2c", server, b'a', s2c)] {
                let what = format!("{capture} stream {id} {side}");
                let Some(start) = after_handshake(data, last) else {
                    assert!(w.frames.is_empty() && w.ticks == 0, "{what}");
                    continue;
                };
                let (n, t, r, x) = check_direction(&what, data, start, negotiated, w);
                totals.0 += n;
                totals.1 += t;
                totals.2 += r;
                totals.3 += x;
            }
        }
        summary.push(format!(
            "{capture}: {} frames, {} ticks, {} reassembled, {} messages compared",
            totals.0, totals.1, totals.2, totals.3
        ));
    }
    eprintln!("{}", summary.join("\n"));
}

/// Every byte of real frames replaced by a few values: no panic, and when a
/// mutated frame still decodes completely its leaves still tile it.
#[test]
fn mutated_frames_never_panic() {
    let streams = node_streams(&vector("dist_hidden.streams.txt"));
    let (_, client, _) = &streams[0];
    let start = after_handshake(client, b'r').unwrap();
    let frames = client[start..].to_vec();
    let mut inputs = vec![hex(SPEC_5_3), hex(SPEC_5_5), frames];
    let (c, p) = big_message(100, "big");
    let mut tx = SenderAtomCache::new();
    inputs.push(
        encode_fragments(&c, Some(&p), EncodeMode::HeaderCached(&mut tx), 1, 40)
            .unwrap()
            .concat(),
    );
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for input in &inputs {
        for i in 0..input.len() {
            for _ in 0..3 {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let mut m = input.clone();
                m[i] = (seed >> 56) as u8;
                let mut rx = ConnectedDecoder::new(None);
                let mut late = ConnectedDecoder::joined_late(Some(0x0D_07DF_7FBD));
                for dec in [&mut rx, &mut late] {
                    let mut pos = 0;
                    while pos < m.len() {
                        let f = dec.decode_frame(&m[pos..], pos);
                        if f.frame.status.is_complete() {
                            check_tiling(&f.frame.spans, pos, f.frame.consumed).unwrap();
                        }
                        if !f.frame.status.is_complete() || f.frame.consumed == 0 {
                            break;
                        }
                        pos += f.frame.consumed;
                    }
                }
            }
        }
    }
}
