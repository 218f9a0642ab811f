//! The term decoder's limits: deep nesting is a clean error, never a stack
//! overflow, even on a 1 MiB stack (wasm32's default); a COMPRESSED size
//! over the limit is refused before inflating.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use erldist_codec::epmd::Status;
use erldist_codec::etf::{decode_external, decode_external_view, Limits, TermOptions};

/// `[[[...[]...]]]` nested `depth` times, as term_to_binary writes it.
fn nested_list(depth: usize) -> Vec<u8> {
    let mut b = vec![131];
    for _ in 0..depth {
        b.extend_from_slice(&[108, 0, 0, 0, 1]);
    }
    b.push(106);
    b.extend(std::iter::repeat_n(106, depth));
    b
}

fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn depth_1000_decodes_and_re_encodes_on_a_1_mib_stack() {
    on_small_stack(|| {
        let b = nested_list(1000);
        let d = decode_external(&b, 0, &TermOptions::default());
        assert_eq!(d.status, Status::Complete);
        assert_eq!(d.term.unwrap().encode_external().unwrap(), b);
    });
}

#[test]
fn a_million_deep_list_is_a_clean_error() {
    on_small_stack(|| {
        let b = nested_list(1_000_000);
        let d = decode_external(&b, 0, &TermOptions::default());
        let Status::Invalid(e) = &d.status else {
            panic!("{:?}", d.status)
        };
        assert!(e.message.contains("nested deeper than"), "{}", e.message);
        let limit = Limits::default().max_depth;
        assert_eq!(e.offset, 1 + 5 * limit);
    });
}

#[test]
fn compressed_size_over_the_limit_is_refused() {
    // term_to_binary(lists:duplicate(100,0), [compressed]) with the size field raised.
    let mut b = vec![
        0x83, 0x50, 0x00, 0x00, 0x00, 0x67, 0x78, 0x9c, 0xcb, 0x66, 0x48, 0x61, 0xa0, 0x03, 0x00,
        0x00, 0x52, 0xe8, 0x00, 0xd0,
    ];
    let ok = decode_external(&b, 0, &TermOptions::default());
    assert_eq!(ok.status, Status::Complete);
    let opts = TermOptions {
        limits: Limits {
            max_inflated: 50,
            ..Limits::default()
        },
        ..TermOptions::default()
    };
    let d = decode_external(&b, 0, &opts);
    assert!(
        matches!(&d.status, Status::Invalid(e) if e.field == "uncompressed_size"),
        "{:?}",
        d.status
    );
    // A size that lies about the stream.
    b[5] = 0x10;
    let d = decode_external(&b, 0, &TermOptions::default());
    assert!(matches!(&d.status, Status::Invalid(_)), "{:?}", d.status);
}

#[test]
fn a_small_input_that_inflates_to_too_many_terms_is_refused() {
    // 2,000 small integers: over a limit of 1,000 terms, a clean error.
    let mut b = vec![131, 108, 0, 0, 0x07, 0xd0];
    b.extend(std::iter::repeat_n([97, 1], 2000).flatten());
    b.push(106);
    let opts = TermOptions {
        limits: Limits {
            max_terms: 1000,
            ..Limits::default()
        },
        ..TermOptions::default()
    };
    let d = decode_external(&b, 0, &opts);
    let Status::Invalid(e) = &d.status else {
        panic!("{:?}", d.status)
    };
    assert!(e.message.contains("more than 1000 terms"), "{}", e.message);
    // The default limit takes it.
    assert_eq!(
        decode_external(&b, 0, &TermOptions::default()).status,
        Status::Complete
    );
}

#[test]
fn huge_bignums_decode_without_decimal_conversion() {
    // A LARGE_BIG_EXT of 1,000,000 digit bytes.
    let mut b = vec![131, 111, 0, 0x0f, 0x42, 0x40, 0];
    b.extend(std::iter::repeat_n(0xab, 1_000_000));
    let d = decode_external(&b, 0, &TermOptions::default());
    assert_eq!(d.status, Status::Complete);
    assert_eq!(d.term.unwrap().encode_external().unwrap(), b);
}

#[test]
fn spans_at_the_depth_limit_render_on_a_1_mib_stack() {
    on_small_stack(|| {
        let depth = Limits::default().max_depth;
        let b = nested_list(depth);
        let d = decode_external(&b, 0, &TermOptions::default());
        assert_eq!(d.status, Status::Complete);
        // version; per level a list and its [] tail; the innermost [] (one
        // node per term: field leaves are implied by the tags).
        assert_eq!(d.arena.len(), 1 + 2 * depth + 1);
        let spans = d.spans(&b);
        erldist_codec::span::check_tiling(&spans, 0, b.len()).unwrap();
        let mut s = &spans[1];
        let mut levels = 0;
        while let Some(inner) = s.children.get(2) {
            assert_eq!(s.meaning, "LIST_EXT");
            s = inner;
            levels += 1;
        }
        assert_eq!(levels, depth);
        assert_eq!(s.meaning, "NIL_EXT");
    });
}

#[test]
fn spans_render_values_from_the_input() {
    // {'état', "ab", 1.5, -5, 18446744073709551616} at base 10, minor_version 2.
    let mut b = vec![131, 104, 5, 119, 5];
    b.extend_from_slice("état".as_bytes());
    b.extend_from_slice(&[107, 0, 2, b'a', b'b', 70]);
    b.extend_from_slice(&1.5f64.to_be_bytes());
    b.extend_from_slice(&[
        98, 0xff, 0xff, 0xff, 0xfb, 110, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    ]);
    let d = decode_external(&b, 10, &TermOptions::default());
    assert_eq!(d.status, Status::Complete);
    let spans = d.spans(&b);
    erldist_codec::span::check_tiling(&spans, 10, b.len()).unwrap();
    let tuple = &spans[1];
    let el = |i: usize| &tuple.children[2 + i];
    assert_eq!(el(0).value.as_str(), Some("état"));
    assert_eq!(el(0).children[2].value.as_str(), Some("état"));
    assert_eq!(el(1).children[2].value.as_str(), Some("ab"));
    assert_eq!(el(2).children[1].value.as_str(), Some("1.5"));
    assert_eq!(el(3).value, erldist_codec::Value::Int(-5));
    assert_eq!(
        el(4).children[3].value.as_str(),
        Some("18446744073709551616")
    );
    assert_eq!(el(4).children[3].offset, 10 + b.len() - 9);
}

#[test]
fn walk_visits_every_term_in_wire_order_without_recursion() {
    // {a, [b | c], #{d => e}}
    let t = erldist_codec::etf::text::parse("{a, [b | c], #{d => e}}").unwrap();
    let atoms: Vec<String> = t
        .walk()
        .filter_map(|s| match s {
            erldist_codec::etf::Term::Atom(a) => Some(a.text()),
            _ => None,
        })
        .collect();
    assert_eq!(atoms, ["a", "b", "c", "d", "e"]);
    on_small_stack(|| {
        let b = nested_list(2000);
        let t = decode_external(&b, 0, &TermOptions::default())
            .term
            .unwrap();
        assert_eq!(t.walk().count(), 2 * 2000 + 1);
    });
}

#[test]
fn the_view_keeps_every_limit() {
    on_small_stack(|| {
        let opts = TermOptions::default();
        let limit = Limits::default().max_depth;
        let ok = nested_list(limit);
        let v = decode_external_view(&ok, 0, &opts);
        assert_eq!(*v.status(), Status::Complete);
        assert_eq!(v.to_owned_term().unwrap().encode_external().unwrap(), ok);
        let b = nested_list(1_000_000);
        let v = decode_external_view(&b, 0, &opts);
        let Status::Invalid(e) = v.status() else {
            panic!("{:?}", v.status())
        };
        assert!(e.message.contains("nested deeper than"), "{}", e.message);
        assert_eq!(e.offset, 1 + 5 * limit);
        assert!(v.root().is_none());
        // What was read is shown: the version byte, then `limit + 1` open
        // lists, the innermost one refused.
        let spans = v.spans();
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[1].length, 5 * (limit + 1));
    });
}

#[test]
fn the_view_refuses_too_many_terms_and_big_inflations() {
    let mut b = vec![131, 108, 0, 0, 0x07, 0xd0];
    b.extend(std::iter::repeat_n([97, 1], 2000).flatten());
    b.push(106);
    let small = TermOptions {
        limits: Limits {
            max_terms: 1000,
            max_inflated: 50,
            ..Limits::default()
        },
        ..TermOptions::default()
    };
    let v = decode_external_view(&b, 0, &small);
    assert!(
        matches!(v.status(), Status::Invalid(e) if e.message.contains("more than 1000 terms")),
        "{:?}",
        v.status()
    );
    // term_to_binary(lists:duplicate(100,0), [compressed]): 103 bytes inflated.
    let z = [
        0x83, 0x50, 0x00, 0x00, 0x00, 0x67, 0x78, 0x9c, 0xcb, 0x66, 0x48, 0x61, 0xa0, 0x03, 0x00,
        0x00, 0x52, 0xe8, 0x00, 0xd0,
    ];
    let v = decode_external_view(&z, 0, &small);
    assert!(
        matches!(v.status(), Status::Invalid(e) if e.field == "uncompressed_size"),
        "{:?}",
        v.status()
    );
    assert!(v.inflated().is_none());
}

/// `NEW_PID_EXT` whose node is a `NEW_FUN_EXT` whose pid is a `NEW_PID_EXT`
/// whose node is ..., `levels` deep.
fn pid_fun_chain(levels: usize) -> Vec<u8> {
    let mut b = vec![131];
    for _ in 0..levels {
        b.push(88);
        b.extend_from_slice(&[112, 0, 0, 0, 0, 0]);
        b.extend_from_slice(&[0; 16]);
        b.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 106, 97, 0, 97, 0]);
    }
    b
}

#[test]
fn a_fun_where_a_node_atom_belongs_is_refused_at_its_tag() {
    // The decoder used to read the fun's fields (and so its pid's node, and
    // that node's fun...) before refusing it, recursing once per level: a
    // 200,000-level chain overflowed a 1 MiB stack. Now it is refused at
    // its tag, with no recursion.
    on_small_stack(|| {
        let b = pid_fun_chain(200_000);
        for d in [
            decode_external(&b, 0, &TermOptions::default()).status,
            decode_external_view(&b, 0, &TermOptions::default())
                .status()
                .clone(),
        ] {
            let Status::Invalid(e) = d else {
                panic!("{d:?}")
            };
            assert_eq!((e.offset, e.field.as_str()), (2, "node"));
            assert_eq!(e.message, "node cannot be a tuple, list, map or fun");
        }
        // The same for EXPORT_EXT's module and FUN_EXT's pid.
        for b in [vec![131, 113, 112], vec![131, 117, 0, 0, 0, 0, 117]] {
            let d = decode_external(&b, 0, &TermOptions::default());
            assert!(
                matches!(&d.status, Status::Invalid(e) if e.message.ends_with("cannot be a tuple, list, map or fun")),
                "{b:?}: {:?}",
                d.status
            );
        }
    });
}
