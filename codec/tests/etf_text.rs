//! Erlang term text both ways (`etf::text`), against the OTP 25 corpus
//! (tests/vectors/terms.tsv) and against real Erlang: every printed corpus
//! term is read back by `erl_scan` + `erl_parse:parse_term` (or evaluated,
//! for pids, ports, refs and funs) in ONE `escript` run, and must be `=:=`
//! (and encode identically) to `binary_to_term` of the corpus bytes; every
//! corpus `~w` text parses to exactly the `{minor_version, 2}` bytes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::erl::{escript, hex, reverse_big_maps, subterms, CHECKER};
use common::terms::term_rows;
use erldist_codec::etf::text::{
    atom_needs_quotes, parse, parse_with, to_erlang, to_erlang_expr, to_erlang_with, ParseOptions,
    PrintOptions,
};
use erldist_codec::etf::{decode_external, Pid, PortKind, RefKind, Term, TermOptions};
use std::fmt::Write as _;
use std::process::Command;

fn decode(bytes: &[u8]) -> Term {
    let d = decode_external(bytes, 0, &TermOptions::default());
    d.term.expect("corpus term decodes")
}

fn is_opaque(t: &Term) -> bool {
    matches!(
        t,
        Term::Pid(_) | Term::Port(_) | Term::Ref(_) | Term::NewFun(_) | Term::OldFun(_)
    )
}

fn has_opaque(t: &Term) -> bool {
    subterms(t).into_iter().any(is_opaque)
}

fn has_big_map(t: &Term) -> bool {
    subterms(t)
        .into_iter()
        .any(|s| matches!(s, Term::Map(p) if p.len() > 32))
}

// ---------------------------------------------------------------------------
// Real Erlang
// ---------------------------------------------------------------------------

struct Check {
    kind: &'static str,
    id: String,
    want: Vec<u8>,
    payload: Vec<u8>,
}

/// Runs every check in one escript; returns the failures.
fn run_erlang(checks: &[Check]) -> Vec<String> {
    let esc = escript();
    let dir = std::env::temp_dir().join(format!("erldist-etf-text-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("check.escript");
    let input = dir.join("checks.tsv");
    std::fs::write(&script, CHECKER).unwrap();
    let mut lines = String::new();
    for c in checks {
        writeln!(
            lines,
            "{}\t{}\t{}\t{}",
            c.kind,
            c.id,
            hex(&c.want),
            hex(&c.payload)
        )
        .unwrap();
    }
    std::fs::write(&input, lines).unwrap();
    let out = Command::new(&esc)
        .arg(&script)
        .arg(&input)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}; run scripts/test.sh", esc.display()));
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "escript failed: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<&str> = stdout.lines().collect();
    assert_eq!(results.len(), checks.len(), "{stdout}");
    let mut failures = Vec::new();
    for (c, r) in checks.iter().zip(&results) {
        let want = format!("{} true", c.id);
        if *r != want {
            let text = String::from_utf8_lossy(&c.payload);
            let short: String = text.chars().take(300).collect();
            failures.push(format!("[{} {}] {r}\n    text: {short}", c.kind, c.id));
        }
    }
    failures
}

// ---------------------------------------------------------------------------
// Corpus
// ---------------------------------------------------------------------------

/// (a) Every corpus term, printed, reads back in real Erlang (literals with
/// parse_term, pids/ports/refs/funs via the `binary_to_term` expression form);
/// plus the parsed `~w` text of the big maps (whose order is not ours to
/// match byte for byte) checked =:= there too. One escript run.
#[test]
fn corpus_printed_terms_read_back_in_real_erlang() {
    let mut checks = Vec::new();
    for row in term_rows() {
        let t = decode(row.minor2());
        if has_opaque(&t) {
            checks.push(Check {
                kind: "expr",
                id: row.id.to_string(),
                want: row.minor2().to_vec(),
                payload: to_erlang_expr(&t).into_bytes(),
            });
        } else {
            checks.push(Check {
                kind: "term",
                id: row.id.to_string(),
                want: row.minor2().to_vec(),
                payload: to_erlang(&t).into_bytes(),
            });
            // The ~w form too (the same text Erlang printed, if equal).
            checks.push(Check {
                kind: "term",
                id: format!("{}w", row.id),
                want: row.minor2().to_vec(),
                payload: to_erlang_with(&t, &PrintOptions::W).into_bytes(),
            });
            if has_big_map(&t) {
                let parsed = parse(&row.w).unwrap();
                checks.push(Check {
                    kind: "bin",
                    id: format!("{}p", row.id),
                    want: row.minor2().to_vec(),
                    payload: parsed.encode_external().unwrap(),
                });
            }
        }
    }
    assert!(checks.len() > 197 + 150, "{} checks", checks.len());
    let failures = run_erlang(&checks);
    assert!(
        failures.is_empty(),
        "{} of {} checks failed in real Erlang:\n{}",
        failures.len(),
        checks.len(),
        failures.join("\n")
    );
}

/// `PrintOptions::W` is `~w`: the corpus's column 1, character for character,
/// for every term that has a literal syntax. The printer keeps wire order;
/// for maps of more than 32 keys OTP 25's `~w` (maps:to_list order) is
/// exactly the reverse of term_to_binary's order.
#[test]
fn w_printing_matches_erlang_column_one() {
    let mut n = 0;
    let mut big = 0;
    for row in term_rows() {
        let mut t = decode(row.minor2());
        if has_opaque(&t) {
            continue;
        }
        if has_big_map(&t) {
            reverse_big_maps(&mut t);
            big += 1;
        }
        assert_eq!(to_erlang_with(&t, &PrintOptions::W), row.w, "id {}", row.id);
        n += 1;
    }
    assert!(n > 150 && big >= 3, "{n} {big}");
}

/// (b) Column 1 (`~w`) parses to exactly the `{minor_version, 2}` bytes for
/// every term without pid/port/ref/fun and without a map of more than 32
/// keys (those are checked =:= in real Erlang above).
#[test]
fn corpus_w_text_parses_to_minor2_bytes() {
    let mut n = 0;
    for row in term_rows() {
        let t = decode(row.minor2());
        if has_opaque(&t) || has_big_map(&t) {
            continue;
        }
        let parsed = parse(&row.w).unwrap_or_else(|e| panic!("id {}: {e}\n{}", row.id, row.w));
        let bytes = parsed.encode_external().unwrap();
        assert!(
            bytes == row.minor2(),
            "id {}: {}\n got  {}\n want {}",
            row.id,
            row.w.chars().take(200).collect::<String>(),
            hex(&bytes),
            hex(row.minor2())
        );
        n += 1;
    }
    assert!(n > 150, "{n}");
}

/// Our own printed form reads back to the same bytes, pids, ports and refs
/// included (local funs have no text form to read back).
#[test]
fn corpus_printed_text_parses_back_to_the_same_bytes() {
    for row in term_rows() {
        let t = decode(row.minor2());
        if subterms(&t)
            .into_iter()
            .any(|s| matches!(s, Term::NewFun(_) | Term::OldFun(_)))
        {
            let e = parse(&to_erlang(&t)).unwrap_err();
            assert!(e.message.contains("local fun"), "{e}");
            continue;
        }
        let text = to_erlang(&t);
        let parsed = parse(&text).unwrap_or_else(|e| panic!("id {}: {e}\n{text}", row.id));
        assert_eq!(
            hex(&parsed.encode_external().unwrap()),
            hex(row.minor2()),
            "id {}: {text}",
            row.id
        );
    }
}

/// Pids, ports, refs and local funs show node, creation and numbers.
#[test]
fn opaque_terms_show_node_creation_and_numbers() {
    let mut seen = 0;
    for row in term_rows() {
        let t = decode(row.minor2());
        let text = to_erlang(&t);
        for s in subterms(&t) {
            let node = |n: &Term| match n {
                Term::Atom(a) => a.text(),
                other => panic!("node {other:?}"),
            };
            let want: Vec<String> = match s {
                Term::Pid(p) => vec![
                    node(&p.node),
                    format!(".{}.{};c={}>", p.id, p.serial, p.creation),
                ],
                Term::Port(p) => vec![node(&p.node), format!(".{};c={}>", p.id, p.creation)],
                Term::Ref(r) => {
                    let ids: Vec<String> = r.ids.iter().rev().map(u32::to_string).collect();
                    vec![
                        node(&r.node),
                        format!(".{};c={}>", ids.join("."), r.creation),
                    ]
                }
                Term::NewFun(f) => {
                    let Term::Pid(p) = &f.pid else { panic!() };
                    vec![
                        format!("#Fun<{}.", to_erlang(&f.module)),
                        format!(
                            ".{}.{};arity={},index={}",
                            to_erlang(&f.old_index),
                            to_erlang(&f.old_uniq),
                            f.arity,
                            f.index
                        ),
                        node(&p.node),
                        format!(";c={}>", p.creation),
                    ]
                }
                _ => continue,
            };
            seen += 1;
            for w in want {
                assert!(text.contains(&w), "id {}: {text:?} lacks {w:?}", row.id);
            }
        }
    }
    assert!(seen >= 25, "{seen}");
    // The exact forms.
    let rows = term_rows();
    let by_id = |id: usize| {
        let r = rows.iter().find(|r| r.id == id).unwrap();
        to_erlang(&decode(r.minor2()))
    };
    assert_eq!(by_id(162), "#Pid<'b@127.0.0.1'.86.0;c=1795527694>");
    assert_eq!(by_id(165), "#Port<nonode@nohost.0;c=0>");
    assert_eq!(by_id(172), "#Ref<nonode@nohost.1.2.3;c=0>");
    assert_eq!(
        by_id(173),
        "#Ref<'b@127.0.0.1'.3186992820.3310682113.46830;c=1795527694>"
    );
    assert!(by_id(178).starts_with(
        "#Fun<corpus_terms.204.133367322;arity=0,index=204,uniq=fe60c3538e0f80a3d40163f2a9e1fd60,pid=#Pid<nonode@nohost."
    ));
}

// ---------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------

fn p(text: &str) -> Term {
    parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn atoms_are_quoted_only_when_needed() {
    for (name, want) in [
        ("a", "a"),
        ("ok", "ok"),
        ("nonode@nohost", "nonode@nohost"),
        ("a_B9@x", "a_B9@x"),
        ("", "''"),
        ("A", "'A'"),
        ("_a", "'_a'"),
        ("9", "'9'"),
        ("a b", "'a b'"),
        ("b@127.0.0.1", "'b@127.0.0.1'"),
        ("it's", r"'it\'s'"),
        ("back\\slash", r"'back\\slash'"),
        ("new\nline", r"'new\nline'"),
        ("nul\0", r"'nul\000'"),
        ("del\x7f", r"'del\d'"),
        ("end", "'end'"),
        ("of", "'of'"),
        ("fun", "'fun'"),
        ("case", "'case'"),
        ("receive", "'receive'"),
        ("when", "'when'"),
        ("andalso", "'andalso'"),
        ("maybe", "'maybe'"),
        ("else", "'else'"),
        ("ends", "ends"),
        ("é", "é"),
        ("héllo", "héllo"),
        ("Élan", "'Élan'"),
        ("日本", "'日本'"),
        ("$atom_cache_ref_3", "'$atom_cache_ref_3'"),
    ] {
        assert_eq!(to_erlang(&Term::atom(name)), want, "{name:?}");
        assert_eq!(atom_needs_quotes(name), want.starts_with('\''), "{name:?}");
        assert_eq!(p(want), Term::atom(name), "{want}");
    }
    // ~w escapes beyond Latin-1; ~tw (the default) writes UTF-8.
    assert_eq!(
        to_erlang_with(&Term::atom("ŝa"), &PrintOptions::W),
        r"'\x{15D}a'"
    );
    assert_eq!(p(r"'\x{15D}a'"), Term::atom("ŝa"));
    // An unresolved atom cache reference.
    let cached = Term::Atom(erldist_codec::etf::Atom {
        enc: erldist_codec::etf::AtomEnc::CacheRef(7),
        name: None,
    });
    assert_eq!(to_erlang(&cached), "'$atom_cache_ref_7'");
}

#[test]
fn floats_print_and_parse_exactly() {
    for (f, text) in [
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1.5, "1.5"),
        (-1.5, "-1.5"),
        (0.1, "0.1"),
        (1.0e300, "1.0e300"),
        (-1.0e300, "-1.0e300"),
        (5.0e-324, "5.0e-324"),
        (1.7976931348623157e308, "1.7976931348623157e308"),
        (9_007_199_254_740_992.0, "9.007199254740992e15"),
        (123_456_789.125, "123456789.125"),
    ] {
        assert_eq!(to_erlang(&Term::Float(f)), text);
        match p(text) {
            Term::Float(g) => assert_eq!(g.to_bits(), f.to_bits(), "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    for (text, f) in [
        ("- 1.5", -1.5),
        ("+1.5", 1.5),
        ("1.0e+3", 1000.0),
        ("1.0E-3", 0.001),
        ("1_000.5", 1000.5),
        ("-0.0", -0.0),
    ] {
        assert_eq!(p(text), Term::Float(f), "{text}");
    }
    assert_eq!(
        parse("1.0e400").unwrap_err().to_string(),
        "float 1.0e400 out of range at line 1, column 1"
    );
    // A FLOAT_EXT (minor_version 0) prints as the double it spells.
    let old = decode(
        &erldist_codec::input::parse_hex(
            "8363312e3530303030303030303030303030303030303030652b30300000000000",
        )
        .unwrap()
        .bytes,
    );
    assert_eq!(to_erlang(&old), "1.5");
}

#[test]
fn integers_in_every_spelling() {
    for (text, want) in [
        ("0", Term::SmallInteger(0)),
        ("255", Term::SmallInteger(255)),
        ("256", Term::Integer(256)),
        ("-1", Term::Integer(-1)),
        ("- 1", Term::Integer(-1)),
        ("+7", Term::SmallInteger(7)),
        ("16#ff", Term::SmallInteger(255)),
        ("16#FF", Term::SmallInteger(255)),
        ("-16#80000000", Term::Integer(i32::MIN)),
        ("2#1010", Term::SmallInteger(10)),
        ("36#zz", Term::Integer(1295)),
        ("1_000_000", Term::Integer(1_000_000)),
        ("$a", Term::SmallInteger(97)),
        ("$\\n", Term::SmallInteger(10)),
        ("$\\s", Term::SmallInteger(32)),
        ("$\\^A", Term::SmallInteger(1)),
        ("$\\101", Term::SmallInteger(65)),
        ("$\\x41", Term::SmallInteger(65)),
        ("$\\x{1F600}", Term::Integer(0x1F600)),
        ("$\\\\", Term::SmallInteger(92)),
        ("$ ", Term::SmallInteger(32)),
        ("-$a", Term::Integer(-97)),
        ("$é", Term::SmallInteger(233)),
        (
            "2147483648",
            Term::Big {
                large: false,
                sign: 0,
                digits: vec![0, 0, 0, 0x80],
            },
        ),
        (
            "-2147483649",
            Term::Big {
                large: false,
                sign: 1,
                digits: vec![1, 0, 0, 0x80],
            },
        ),
    ] {
        assert_eq!(p(text), want, "{text}");
    }
    // 2^2048: LARGE_BIG_EXT, printed back in decimal.
    let big = num_bigint_pow2(2048);
    let t = p(&big);
    assert!(matches!(&t, Term::Big { large: true, digits, .. } if digits.len() == 257));
    assert_eq!(to_erlang(&t), big);
    assert_eq!(to_erlang(&p(&format!("-{big}"))), format!("-{big}"));
}

fn num_bigint_pow2(n: u32) -> String {
    // Decimal of 2^n by repeated doubling (the test avoids a dependency).
    let mut digits = vec![1u8];
    for _ in 0..n {
        let mut carry = 0;
        for d in digits.iter_mut() {
            let v = *d * 2 + carry;
            *d = v % 10;
            carry = v / 10;
        }
        if carry > 0 {
            digits.push(carry);
        }
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

#[test]
fn strings_lists_and_binaries() {
    // Printing: printable lists as strings, others as integers.
    for (t, want) in [
        (Term::String(b"hello".to_vec()), r#""hello""#),
        (Term::String(b"tab\there\n".to_vec()), r#""tab\there\n""#),
        (Term::String(vec![104, 233, 108]), r#""hél""#),
        (Term::String(vec![0, 255]), "[0,255]"),
        (Term::String(vec![1, 2, 3]), "[1,2,3]"),
        (Term::String(b"a\"b\\".to_vec()), r#""a\"b\\""#),
        (p("[26085,26412]"), r#""日本""#),
        (p("[-1]"), "[-1]"),
        (p("[a|b]"), "[a|b]"),
        (p("[1,2|3]"), "[1,2|3]"),
        (p("[97,98|c]"), "[97,98|c]"),
        (p("[[]]"), "[[]]"),
        (Term::Binary(b"text".to_vec()), r#"<<"text">>"#),
        (Term::Binary(vec![1, 2, 3]), "<<1,2,3>>"),
        (Term::Binary(vec![]), "<<>>"),
        (
            Term::Binary("日本".as_bytes().to_vec()),
            r#"<<"日本"/utf8>>"#,
        ),
        (Term::Binary(vec![104, 233]), "<<104,233>>"),
        (p("<<1:1>>"), "<<1:1>>"),
        (p("<<255,1:3>>"), "<<255,1:3>>"),
        (p("<<1:9>>"), "<<0,1:1>>"),
        (p("<<-1:15>>"), "<<255,127:7>>"),
        (p("<<43981:13>>"), "<<94,13:5>>"),
        (p("#{a => 1,b => \"x\"}"), r#"#{a => 1,b => "x"}"#),
        (p("fun lists:map/2"), "fun lists:map/2"),
        (p("fun 'my mod':'end'/0"), "fun 'my mod':'end'/0"),
        (p("{}"), "{}"),
    ] {
        assert_eq!(to_erlang(&t), want);
    }
    // Parsing: OTP's choice of STRING_EXT / LIST_EXT / NIL_EXT.
    assert_eq!(p(r#""""#), Term::Nil);
    assert_eq!(p("[]"), Term::Nil);
    assert_eq!(p(r#""ab" "c""#), Term::String(b"abc".to_vec()));
    assert_eq!(p("\"ab\"\n  \"c\""), Term::String(b"abc".to_vec()));
    assert_eq!(p(r#"[$a|"bc"]"#), Term::String(b"abc".to_vec()));
    assert_eq!(p("[1|[2]]"), Term::String(vec![1, 2]));
    assert_eq!(p(r#""\x{15D}""#), p("[349]"));
    assert!(matches!(p("[1, 256]"), Term::List { .. }));
    assert_eq!(
        p("[a|[b|c]]"),
        Term::List {
            elems: vec![Term::atom("a"), Term::atom("b")],
            tail: Box::new(Term::atom("c"))
        }
    );
    let long = format!("[{}]", vec!["120"; 65536].join(","));
    assert!(matches!(p(&long), Term::List { elems, .. } if elems.len() == 65536));
    assert_eq!(p(r#"<<"abc">>"#), Term::Binary(b"abc".to_vec()));
    assert_eq!(
        p(r#"<<"é"/utf8, "日"/utf8>>"#),
        Term::Binary("é日".as_bytes().to_vec())
    );
    assert_eq!(
        p(r#"<<"ab":16, 1.5/float, -1:4, 300:16/little>>"#),
        Term::BitBinary {
            data: vec![0, 97, 0, 98, 63, 248, 0, 0, 0, 0, 0, 0, 0xf2, 0xc0, 0x10],
            bits: 4
        }
    );
    assert_eq!(
        p("<<1,2:3>>"),
        Term::BitBinary {
            data: vec![1, 0x40],
            bits: 3
        }
    );
    assert_eq!(
        p("#{a => 1, b => 2, a => 3}"),
        Term::Map(vec![
            (Term::atom("a"), Term::SmallInteger(3)),
            (Term::atom("b"), Term::SmallInteger(2))
        ])
    );
    assert_eq!(
        p("fun erlang:self/0"),
        Term::Export {
            module: Box::new(Term::atom("erlang")),
            function: Box::new(Term::atom("self")),
            arity: Box::new(Term::SmallInteger(0))
        }
    );
    let tuple = format!("{{{}}}", vec!["x"; 256].join(","));
    assert!(matches!(p(&tuple), Term::Tuple { large: true, elems } if elems.len() == 256));
    // Comments, layout, the optional full stop.
    assert_eq!(
        p("% a comment\n{ ok ,   % another\n [ 1 ] } .  \n"),
        p("{ok,[1]}")
    );
}

#[test]
fn pids_ports_refs_read_back() {
    let t = p("#Pid<'b@127.0.0.1'.86.0;c=1795527694>");
    assert_eq!(
        t,
        Term::Pid(Pid {
            new: true,
            node: Box::new(Term::atom("b@127.0.0.1")),
            id: 86,
            serial: 0,
            creation: 1795527694
        })
    );
    assert!(matches!(p("#Port<a@b.5;c=1>"), Term::Port(pt) if pt.kind == PortKind::NewPort));
    assert!(
        matches!(p("#Port<a@b.78187493530;c=1>"), Term::Port(pt) if pt.kind == PortKind::V4Port && pt.id == 78187493530)
    );
    assert!(
        matches!(p("#Ref<a@b.1.2.3;c=0>"), Term::Ref(r) if r.kind == RefKind::NewerReference && r.ids == [3, 2, 1])
    );
    // The exact expression form, and the display form when the node is an
    // unresolved atom cache reference (meaningless outside its message).
    assert_eq!(
        to_erlang_expr(&p("{x,#Pid<a.1.2;c=3>}")),
        "{x,binary_to_term(<<131,88,119,1,97,0,0,0,1,0,0,0,2,0,0,0,3>>)}"
    );
    let cached = Term::Pid(Pid {
        new: true,
        node: Box::new(Term::Atom(erldist_codec::etf::Atom {
            enc: erldist_codec::etf::AtomEnc::CacheRef(3),
            name: None,
        })),
        id: 1,
        serial: 2,
        creation: 3,
    });
    assert_eq!(to_erlang_expr(&cached), "#Pid<'$atom_cache_ref_3'.1.2;c=3>");
    let e = parse("<0.9.0>").unwrap_err();
    assert!(e.message.contains("node"), "{e}");
    let e = parse("#Ref<0.1.2.3>").unwrap_err();
    assert!(e.message.contains("node"), "{e}");
    let e = parse("#Fun<m.1.2>").unwrap_err();
    assert!(e.message.contains("local fun"), "{e}");
}

#[test]
fn errors_say_where() {
    for (text, want) in [
        ("{a,", "unexpected end of input at line 1, column 4"),
        ("", "unexpected end of input at line 1, column 1"),
        (
            "[1 2]",
            "expected ',', '|' or ']', found integer 2 at line 1, column 4",
        ),
        (
            "{a,\n  ]}",
            "expected a term, found ']' at line 2, column 3",
        ),
        (
            "{'日本', ]",
            "expected a term, found ']' at line 1, column 8",
        ),
        ("\"abc", "unterminated string at line 1, column 1"),
        ("'abc", "unterminated quoted atom at line 1, column 1"),
        (
            "foo bar",
            "unexpected atom bar after the term at line 1, column 5",
        ),
        (
            "a. b",
            "unexpected atom b after the term at line 1, column 4",
        ),
        (
            "#{a 1}",
            "expected '=>', found integer 1 at line 1, column 5",
        ),
        ("[a|b|c]", "expected ']', found '|' at line 1, column 5"),
        (
            "<<1.5>>",
            "a float segment needs /float at line 1, column 3",
        ),
        (
            "fun m:f/256",
            "arity 256 out of range (0..255) at line 1, column 9",
        ),
        (
            "- a",
            "expected a number after '-', found atom a at line 1, column 3",
        ),
        ("16#", "unexpected character '#' at line 1, column 3"),
        ("1#1", "bad base 1 (2..36) at line 1, column 1"),
        ("{a}}", "unexpected '}' after the term at line 1, column 4"),
        ("[1,]", "expected a term, found ']' at line 1, column 4"),
        ("~", "unexpected character '~' at line 1, column 1"),
    ] {
        let e = parse(text).unwrap_err();
        assert_eq!(e.to_string(), want, "{text:?}");
    }
    let e = parse("X").unwrap_err();
    assert!(e.message.contains("variable X"), "{e}");
    let e = parse("end").unwrap_err();
    assert!(e.message.contains("reserved word end"), "{e}");
    let e = parse("{'日本', ]").unwrap_err();
    assert_eq!((e.line, e.column, e.offset), (1, 8, 11));
    let e = parse(&format!("'{}'", "a".repeat(256))).unwrap_err();
    assert!(e.message.contains("atom too long"), "{e}");
}

// ---------------------------------------------------------------------------
// Depth on a 1 MiB stack
// ---------------------------------------------------------------------------

fn on_small_stack<F: FnOnce() + Send + 'static>(f: F) {
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn deep_nesting_on_a_1mib_stack() {
    on_small_stack(|| {
        for (open, close) in [("[", "]"), ("{", "}"), ("#{a => ", "}")] {
            let text = format!("{}0{}", open.repeat(1000), close.repeat(1000));
            let t = parse(&text).unwrap();
            assert_eq!(to_erlang(&t).replace(' ', ""), text.replace(' ', ""));
            let bytes = t.encode_external().unwrap();
            assert!(decode(&bytes) == t, "{open}");
        }
        // The deepest nesting accepted (the decoder's limit) parses, prints,
        // encodes, decodes and drops on 1 MiB too. (Compared by bytes: the
        // derived PartialEq, Clone and Debug of Term recurse and do not fit
        // 1 MiB at this depth.)
        for (open, close) in [("[", "]"), ("{", "}"), ("#{a => ", "}")] {
            let text = format!("{}0{}", open.repeat(2048), close.repeat(2048));
            let t = parse(&text).unwrap();
            let bytes = t.encode_external().unwrap();
            let printed = to_erlang(&decode(&bytes));
            assert_eq!(printed.replace(' ', ""), text.replace(' ', ""));
            let deeper = format!("{}0{}", open.repeat(2049), close.repeat(2049));
            assert!(parse(&deeper)
                .unwrap_err()
                .message
                .contains("nesting deeper"));
        }
        // The corpus's improper chain and nested lists.
        let chain = format!("{}a{}", "[a|".repeat(1000), "]".repeat(1000));
        let t = parse(&chain).unwrap();
        assert_eq!(parse(&to_erlang(&t)).unwrap(), t);
        // A million deep is a clean error, not a stack overflow.
        let deep = format!("{}{}", "[".repeat(1_000_000), "]".repeat(1_000_000));
        let e = parse(&deep).unwrap_err();
        assert_eq!(
            e.to_string(),
            "nesting deeper than 2048 levels at line 1, column 2049"
        );
        let e = parse(&"{".repeat(1_000_000)).unwrap_err();
        assert!(e.message.contains("nesting deeper"), "{e}");
        let e = parse_with(&"[".repeat(20), &ParseOptions { max_depth: 10 }).unwrap_err();
        assert_eq!(e.column, 11);
        // Printing never recurses: a term far deeper than any decoder allows
        // (leaked: dropping it would recurse).
        let mut t = Term::Nil;
        for _ in 0..200_000 {
            t = Term::List {
                elems: vec![t],
                tail: Box::new(Term::Nil),
            };
        }
        let t = std::mem::ManuallyDrop::new(t);
        let s = to_erlang(&t);
        assert_eq!(s.len(), 2 + 2 * 200_000);
        let short = to_erlang_with(
            &t,
            &PrintOptions {
                max_bytes: Some(10),
                ..PrintOptions::READABLE
            },
        );
        assert_eq!(short, "[[[[[[[[[[...");
    });
}

/// Mutated corpus text and random token soup: the parser never panics, and
/// whatever it accepts prints back to text that parses to the same term.
#[test]
fn mutated_text_never_panics_and_round_trips() {
    let alphabet: Vec<char> = "[]{}()<<>>#{}=>,|:/-+.$\\\"'0123456789abcdefxXeE_ \n%\
         #Pid<Ref<Port<Fun<;c=.utf8/float:16 little unit:3 fun m:f/2 end 16#ff é日\u{1F600}"
        .chars()
        .collect();
    let rows = term_rows();
    let mut seed: u64 = 0x1234_5678;
    let mut rnd = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        usize::try_from(seed % n.max(1) as u64).unwrap()
    };
    let mut accepted = 0;
    for i in 0..100_000 {
        let mut s: Vec<char> = if i % 3 == 0 {
            (0..rnd(30))
                .map(|_| alphabet[rnd(alphabet.len())])
                .collect()
        } else {
            rows[rnd(rows.len())].w.chars().take(200).collect()
        };
        for _ in 0..=rnd(4) {
            let pos = rnd(s.len());
            let c = alphabet[rnd(alphabet.len())];
            match rnd(3) {
                0 => s.insert(pos, c),
                1 if !s.is_empty() => {
                    s.remove(pos);
                }
                _ if !s.is_empty() => s[pos] = c,
                _ => {}
            }
        }
        let text: String = s.into_iter().collect();
        if let Ok(t) = parse(&text) {
            accepted += 1;
            let printed = to_erlang(&t);
            let back = parse(&printed).unwrap_or_else(|e| panic!("{text:?} -> {printed:?}: {e}"));
            assert_eq!(
                back.encode_external().unwrap(),
                t.encode_external().unwrap(),
                "{text:?} -> {printed:?}"
            );
        }
    }
    assert!(accepted > 1000, "{accepted}");
}
