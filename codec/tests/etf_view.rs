//! The borrowed decode (`decode_external_view` / `decode_term_view`) on
//! every corpus term: it gives the owned decode's term, spans, status and
//! consumed count; every sub-term reads back through `TermRef::kind` as the
//! owned term has it; values are slices of the input; every prefix is
//! Incomplete.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::terms::{term_rows, COLS};
use common::view::check_view;
use erldist_codec::epmd::Status;
use erldist_codec::etf::{
    decode_external, decode_external_view, decode_term, decode_term_view, AtomEnc, Limits,
    TermKind, TermOptions,
};
use erldist_codec::span::check_tiling;

#[test]
fn every_corpus_term_views_as_it_decodes() {
    let opts = TermOptions::default();
    for row in term_rows() {
        for (col, bytes) in COLS.iter().zip(&row.cols) {
            let what = format!("{} [{col}]", row.w);
            let v = decode_external_view(bytes, 5, &opts);
            let d = decode_external(bytes, 5, &opts);
            assert_eq!(*v.status(), Status::Complete, "{what}");
            assert_eq!(v.consumed(), bytes.len(), "{what}");
            assert_eq!(v.consumed(), d.consumed, "{what}");
            assert_eq!(v.base(), 5);
            let term = v.to_owned_term().unwrap();
            assert_eq!(Some(&term), d.term.as_ref(), "{what}");
            assert_eq!(term.encode_external().unwrap(), *bytes, "{what}");
            let spans = v.spans();
            assert_eq!(spans, d.spans(bytes), "{what}");
            check_tiling(&spans, 5, bytes.len()).unwrap();
            assert_eq!(v.inflated(), d.inflated.as_ref(), "{what}");
            let root = v.root().unwrap();
            check_view(root, &term).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(root.offset(), 6, "{what}");
            assert_eq!(
                v.to_erlang().unwrap(),
                erldist_codec::etf::text::to_erlang(&term)
            );
            // Without the 131: the bare decode agrees too.
            if *col != "compressed" {
                let bare = decode_term_view(&bytes[1..], 6, &opts);
                let owned = decode_term(&bytes[1..], 6, &opts);
                assert_eq!(bare.to_owned_term(), owned.term, "{what}");
                assert_eq!(bare.to_owned_term().as_ref(), Some(&term), "{what}");
                assert_eq!(bare.spans(), owned.spans(&bytes[1..]), "{what}");
                assert_eq!(bare.consumed(), bytes.len() - 1);
            }
        }
    }
}

#[test]
fn every_prefix_is_incomplete_through_the_view() {
    let opts = TermOptions::default();
    for row in term_rows() {
        for (col, bytes) in COLS.iter().zip(&row.cols) {
            if bytes.len() > 600 || *col == "compressed" {
                continue;
            }
            for n in 0..bytes.len() {
                let v = decode_external_view(&bytes[..n], 0, &opts);
                assert!(
                    v.status().is_incomplete(),
                    "{} [{col}] prefix {n}/{}: {:?}",
                    row.w,
                    bytes.len(),
                    v.status()
                );
                assert!(v.root().is_none() && v.to_owned_term().is_none());
                // What was read so far is shown, as the owned decode shows it.
                let d = decode_external(&bytes[..n], 0, &opts);
                assert_eq!(v.spans(), d.spans(&bytes[..n]));
                assert_eq!(*v.status(), d.status);
            }
        }
    }
}

/// True when `s` lies inside `outer` (same memory, not a copy).
fn inside(s: &[u8], outer: &[u8]) -> bool {
    let r = outer.as_ptr_range();
    s.is_empty() || (r.start <= s.as_ptr() && s.as_ptr_range().end <= r.end)
}

#[test]
fn atoms_strings_and_binaries_are_slices_of_the_input() {
    // term_to_binary({'état', "ab", <<1,2,3>>, [x | y], 'caf\x{e9}'}) with the
    // last atom as a Latin-1 SMALL_ATOM_EXT.
    let mut b = vec![131, 104, 5, 119, 5];
    b.extend_from_slice("état".as_bytes());
    b.extend_from_slice(&[107, 0, 2, b'a', b'b', 109, 0, 0, 0, 3, 1, 2, 3]);
    b.extend_from_slice(&[108, 0, 0, 0, 1, 119, 1, b'x', 119, 1, b'y']);
    b.extend_from_slice(&[115, 4, b'c', b'a', b'f', 0xe9]);
    let v = decode_external_view(&b, 0, &TermOptions::default());
    let TermKind::Tuple { large, elems } = v.root().unwrap().kind() else {
        panic!()
    };
    assert!(!large);
    let e: Vec<_> = elems.collect();
    let TermKind::Atom(a) = e[0].kind() else {
        panic!()
    };
    assert_eq!(a.enc(), AtomEnc::SmallAtomUtf8);
    assert!(a.eq_str("état") && inside(a.bytes(), &b));
    assert!(matches!(a.name(), Some(std::borrow::Cow::Borrowed("état"))));
    let TermKind::String(s) = e[1].kind() else {
        panic!()
    };
    assert!(s == b"ab" && inside(s, &b));
    let TermKind::Binary(bin) = e[2].kind() else {
        panic!()
    };
    assert!(bin == [1, 2, 3] && inside(bin, &b));
    let TermKind::List { elems, tail } = e[3].kind() else {
        panic!()
    };
    assert_eq!(elems.len(), 1);
    assert!(matches!(tail.kind(), TermKind::Atom(t) if t.eq_str("y")));
    let TermKind::Atom(l) = e[4].kind() else {
        panic!()
    };
    assert_eq!(l.enc(), AtomEnc::SmallAtom);
    assert_eq!(l.bytes(), b"caf\xe9");
    assert!(l.eq_str("café") && !l.eq_str("caf"));
    assert_eq!(l.name().unwrap(), "café");
    assert_eq!(e[4].offset(), b.len() - 6);
    assert_eq!(e[4].encoded(), &b[b.len() - 6..]);
    assert_eq!(v.to_erlang().unwrap(), "{état,\"ab\",<<1,2,3>>,[x|y],café}");
}

#[test]
fn a_compressed_term_views_its_inflated_bytes() {
    // term_to_binary(lists:duplicate(100,0), [compressed]) (OTP 25).
    let b = [
        0x83, 0x50, 0x00, 0x00, 0x00, 0x67, 0x78, 0x9c, 0xcb, 0x66, 0x48, 0x61, 0xa0, 0x03, 0x00,
        0x00, 0x52, 0xe8, 0x00, 0xd0,
    ];
    let v = decode_external_view(&b, 0, &TermOptions::default());
    let TermKind::Compressed { size, zlib, term } = v.root().unwrap().kind() else {
        panic!()
    };
    assert_eq!(size, 0x67);
    assert_eq!(zlib, &b[6..]);
    assert_eq!(
        term.offset(),
        0,
        "offsets inside are relative to the inflated bytes"
    );
    assert_eq!(term.encoded(), v.inflated().unwrap().bytes.as_slice());
    let TermKind::String(s) = term.kind() else {
        panic!("{:?}", term.kind())
    };
    assert_eq!(s, [0u8; 100]);
    assert_eq!(v.root().unwrap().children().count(), 1);
}

#[test]
fn cache_refs_read_through_the_view() {
    // {ATOM_CACHE_REF 0, ATOM_CACHE_REF 1} with ref 0 = 'a' and 1 unknown.
    let b = [104, 2, 82, 0, 82, 1];
    let refs = vec![Some("a".to_string()), None];
    let opts = TermOptions {
        limits: Limits::default(),
        atom_refs: Some(&refs),
    };
    let v = decode_term_view(&b, 0, &opts);
    let e: Vec<_> = match v.root().unwrap().kind() {
        TermKind::Tuple { elems, .. } => elems.collect(),
        k => panic!("{k:?}"),
    };
    let TermKind::Atom(a) = e[0].kind() else {
        panic!()
    };
    assert_eq!(a.enc(), AtomEnc::CacheRef(0));
    assert!(a.eq_str("a"));
    let TermKind::Atom(u) = e[1].kind() else {
        panic!()
    };
    assert_eq!(u.name(), None);
    assert_eq!(u.text(), "$atom_cache_ref_1");
    assert!(!u.eq_str(""));
    let owned = decode_term(&b, 0, &opts);
    assert_eq!(v.to_owned_term(), owned.term);
    check_view(v.root().unwrap(), owned.term.as_ref().unwrap()).unwrap();
}
