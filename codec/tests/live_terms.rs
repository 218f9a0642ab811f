//! `etf::text` against real Erlang on terms real Erlang makes: an escript
//! builds a fixed list of awkward terms plus a few thousand random ones
//! (seeded: the same every run) and writes, per term, its
//! `term_to_binary(T, [{minor_version, 2}])` and what `~w`, `~tw`, `~p` and
//! `~tp` print. Then:
//!
//! * every text parses to exactly those bytes (maps of more than 32 keys,
//!   whose order OTP chooses by hash, are checked `=:=` in Erlang instead);
//!   pids, ports, refs and local funs print in Erlang's node-less forms and
//!   are left out of this direction;
//! * `PrintOptions::W` prints exactly `~w`, and with `unicode` exactly `~tw`
//!   (maps of more than 32 keys reversed: OTP 25 prints those in the reverse
//!   of the wire order);
//! * every decoded term, printed with `to_erlang` (or `to_erlang_expr` when
//!   it holds a pid, port, ref or fun), reads back in a second escript run
//!   `=:=` to `binary_to_term` of the bytes, and encodes identically.
//!
//! Needs `escript` (erlang-base); fails, never skips, without it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::erl::{escript, hex, reverse_big_maps, subterms, CHECKER};
use erldist_codec::etf::text::{parse, to_erlang, to_erlang_expr, to_erlang_with, PrintOptions};
use erldist_codec::etf::{decode_external, Term, TermOptions};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How many random terms besides the fixed ones.
const RANDOM_TERMS: usize = 3000;

const GENERATOR: &str = r#"#!/usr/bin/env escript
%% -*- coding: utf-8 -*-
-mode(compile).

main([N0, Out]) ->
    rand:seed(exsss, {17, 42, 4711}),
    Terms = fixed() ++ [gen(4) || _ <- lists:seq(1, list_to_integer(N0))],
    Lines = [line(T) || T <- Terms],
    ok = file:write_file(Out, Lines).

line(T) ->
    F = fun(Fmt) ->
            binary:encode_hex(unicode:characters_to_binary(io_lib:format(Fmt, [T])))
        end,
    [binary:encode_hex(term_to_binary(T, [{minor_version, 2}])),
     $\t, F("~w"), $\t, F("~tw"), $\t, F("~p"), $\t, F("~tp"), $\n].

fixed() ->
    X = rand:uniform(100),
    [0, -1, 255, 256, -2147483648, 2147483647, 2147483648, -(1 bsl 2100),
     0.0, -0.0, 1.0e300, 5.0e-324, 0.1, 1.0e16, 9007199254740992.0, 123456789.125,
     '', 'end', 'maybe', 'else', 'fun', 'Abc', 'a b', 'it\'s', 'back\\slash', 'nl\n',
     'nul\0', 'del\d', 'x\x{80}', 'é', 'Élan', 'ÿ', '日本', '\x{1F600}', nonode@nohost,
     'b@127.0.0.1', "", "abc", "tab\there\n", "quote\"s", [0, 255], [$a | b], [1, 2 | 3],
     [$h, 233, $l, $l, $o], "日本語", [16#D800], [16#10FFFF], [-1], [[]], lists:seq(1, 300),
     lists:duplicate(65535, $x), lists:duplicate(65536, $x),
     <<>>, <<"text">>, <<"日本"/utf8>>, <<1, 2, 3>>, <<"a", 0>>, <<233>>, <<1:1>>,
     <<255, 1:3>>, <<"abc", 5:3>>, list_to_binary(lists:seq(0, 255)),
     {}, {a}, list_to_tuple(lists:seq(1, 256)), #{}, #{a => 1}, #{#{} => []},
     maps:from_list([{K, K * K} || K <- lists:seq(1, 40)]),
     maps:from_list([{integer_to_list(K), <<K:16>>} || K <- lists:seq(1, 100)]),
     fun lists:map/2, erlang:make_fun('my mod', 'end', 3), erlang:make_fun(m, 'F', 255),
     self(), make_ref(), hd(erlang:ports()), fun() -> ok end, fun(Y) -> X + Y end,
     {'$gen_call', {self(), make_ref()}, hello}].

gen(0) -> leaf();
gen(D) ->
    case rand:uniform(12) of
        1 -> list_to_tuple(many(D));
        2 -> many(D);
        3 -> lists:foldr(fun(E, Acc) -> [E | Acc] end, tail(), [gen(D - 1) | many(D)]);
        4 -> maps:from_list([{gen(D - 1), gen(D - 1)} || _ <- lists:seq(1, rand:uniform(5))]);
        5 when D >= 3 ->
            maps:from_list([{gen(0), gen(0)} || _ <- lists:seq(1, 30 + rand:uniform(20))]);
        _ -> leaf()
    end.

many(D) -> [gen(D - 1) || _ <- lists:seq(1, rand:uniform(6) - 1)].

tail() ->
    case rand:uniform(4) of
        1 -> atom();
        2 -> rand:uniform(1000);
        3 -> rand:bytes(2);
        4 -> {}
    end.

leaf() ->
    case rand:uniform(17) of
        1 -> rand:uniform(300) - 1;
        2 -> rand:uniform(1 bsl 40) - (1 bsl 39);
        3 -> (rand:uniform(1 bsl 62) - (1 bsl 61)) * (1 bsl rand:uniform(2200));
        4 -> float();
        5 -> atom();
        6 -> string();
        7 -> printable();
        8 -> rand:bytes(rand:uniform(10) - 1);
        9 -> unicode:characters_to_binary(printable());
        10 -> bits();
        11 -> erlang:make_fun(atom(), atom(), rand:uniform(256) - 1);
        12 -> [];
        13 -> {};
        14 -> #{};
        15 -> rand:uniform(1 bsl 33) - (1 bsl 32);
        16 -> rand:uniform(16#10FFFF);
        17 -> [rand:uniform(255) | rand:uniform(255)]
    end.

float() ->
    case rand:uniform(3) of
        1 -> lists:nth(rand:uniform(7), [0.0, -0.0, 1.0, 0.5, 1.0e-10, 1.0e22, 3.14]);
        2 -> (rand:uniform() - 0.5) * math:pow(10, rand:uniform(40) - 20);
        3 ->
            case rand:bytes(8) of
                <<F/float>> -> F;
                _ -> float()
            end
    end.

atom() ->
    case rand:uniform(4) of
        1 -> lists:nth(rand:uniform(8), ['and', 'of', 'end', 'receive', 'when', 'maybe', ok, 'A']);
        _ -> list_to_atom([pick_char(atom) || _ <- lists:seq(1, rand:uniform(8) - 1)])
    end.

string() -> [pick_char(any) || _ <- lists:seq(1, rand:uniform(12) - 1)].

printable() -> [pick_char(printable) || _ <- lists:seq(1, rand:uniform(12))].

pick_char(Kind) ->
    R = rand:uniform(10),
    if
        R =< 4 -> $a + rand:uniform(26) - 1;
        R =< 5 -> lists:nth(rand:uniform(8), "AZ09_@ .");
        R =< 6 -> lists:nth(rand:uniform(7), "'\"\\\n\t\e$");
        R =< 7, Kind =/= printable -> rand:uniform(256) - 1;
        R =< 7 -> 16#A0 + rand:uniform(95);
        R =< 8 -> 16#100 + rand:uniform(16#2F00);
        R =< 9 -> 16#1F600 + rand:uniform(50);
        Kind =:= any -> rand:uniform(16#10FFFF);
        true -> 16#4E00 + rand:uniform(1000)
    end.

bits() ->
    N = rand:uniform(40),
    X = rand:uniform(1 bsl N) - 1,
    <<X:N>>.
"#;

fn workdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("erldist-live-terms-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(esc: &Path, args: &[&Path]) -> String {
    let out = Command::new(esc)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}; run scripts/test.sh", esc.display()));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "escript failed: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn text_agrees_with_real_erlang_on_generated_terms() {
    let esc = escript();
    let dir = workdir();
    let gen = dir.join("gen.escript");
    let terms = dir.join("terms.tsv");
    std::fs::write(&gen, GENERATOR).unwrap();
    let n = RANDOM_TERMS.to_string();
    run(&esc, &[&gen, Path::new(&n), &terms]);
    let listing = std::fs::read_to_string(&terms).unwrap();

    let mut checks = String::new();
    let mut n_checks = 0;
    let mut failures = Vec::new();
    let mut parsed_exact = 0;
    let mut rows = 0;
    let mut w_compared = 0;
    for (i, line) in listing.lines().enumerate() {
        rows += 1;
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 5, "line {i}");
        let bytes = unhex(f[0]);
        let texts: Vec<String> = f[1..]
            .iter()
            .map(|h| String::from_utf8(unhex(h)).unwrap())
            .collect();
        let d = decode_external(&bytes, 0, &TermOptions::default());
        let Some(term) = d.term else {
            failures.push(format!("#{i}: does not decode: {:?}", d.status));
            continue;
        };
        let subs = subterms(&term);
        let opaque = subs.iter().any(|s| {
            matches!(
                s,
                Term::Pid(_) | Term::Port(_) | Term::Ref(_) | Term::NewFun(_)
            )
        });
        let big_map = subs
            .iter()
            .any(|s| matches!(s, Term::Map(p) if p.len() > 32));

        // OTP 25 writes `fun M:F/A` through erlang:fun_to_list/1, which
        // leaves reserved words unquoted (`fun end:f/1`, which the parser
        // accepts) and writes a non-ASCII atom's UTF-8 bytes as Latin-1
        // characters (`fun 'Ã©':f/1`: another atom); those texts are not the
        // term, so they are left out of both text comparisons.
        let garbled_fun = subs.iter().any(|s| match s {
            Term::Export {
                module, function, ..
            } => [module, function]
                .iter()
                .any(|a| matches!(&***a, Term::Atom(a) if !a.text().is_ascii())),
            _ => false,
        });
        // `maybe` and `else` are quoted by the printer (keywords from OTP 27),
        // not by OTP 25's ~w.
        let keyword_atom = subs
            .iter()
            .any(|s| matches!(s, Term::Atom(a) if a.text() == "maybe" || a.text() == "else"));

        // Text → term.
        if !opaque && !garbled_fun {
            for (fmt, text) in ["~w", "~tw", "~p", "~tp"].iter().zip(&texts) {
                match parse(text) {
                    Err(e) => failures.push(format!("#{i} {fmt}: {e}\n    {text}")),
                    Ok(t) => {
                        let got = t.encode_external().unwrap();
                        if big_map {
                            writeln!(checks, "bin\t{i}{fmt}\t{}\t{}", f[0], hex(&got)).unwrap();
                            n_checks += 1;
                        } else if got == bytes {
                            parsed_exact += 1;
                        } else {
                            failures.push(format!(
                                "#{i} {fmt}: {text}\n    got  {}\n    want {}",
                                hex(&got),
                                f[0]
                            ));
                        }
                    }
                }
            }
        }
        let reserved_fun = subs.iter().any(|s| match s {
            Term::Export {
                module, function, ..
            } => [module, function].iter().any(|a| {
                matches!(&***a, Term::Atom(a) if erldist_codec::etf::text::atom_needs_quotes(&a.text()) && a.text().starts_with(|c: char| c.is_ascii_lowercase()) && a.text().chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '@'))
            }),
            _ => false,
        });
        // ... and control characters in its own way (`\033` for ESC, DEL raw).
        let control_in_fun = subs.iter().any(|s| match s {
            Term::Export {
                module, function, ..
            } => [module, function].iter().any(|a| {
                matches!(&***a, Term::Atom(a) if a.text().chars().any(|c| !(' '..='~').contains(&c)))
            }),
            _ => false,
        });
        if !opaque && !garbled_fun && !keyword_atom && !reserved_fun && !control_in_fun {
            // Printing like ~w and ~tw.
            let mut t = term.clone();
            reverse_big_maps(&mut t);
            let w = to_erlang_with(&t, &PrintOptions::W);
            if w != texts[0] {
                failures.push(format!("#{i} ~w: printed {w}\n    erlang  {}", texts[0]));
            }
            w_compared += 1;
            let tw = to_erlang_with(
                &t,
                &PrintOptions {
                    unicode: true,
                    ..PrintOptions::W
                },
            );
            if tw != texts[1] {
                failures.push(format!("#{i} ~tw: printed {tw}\n    erlang  {}", texts[1]));
            }
        }

        // Term → text → real Erlang.
        let (kind, text) = if opaque {
            ("expr", to_erlang_expr(&term))
        } else {
            ("term", to_erlang(&term))
        };
        writeln!(checks, "{kind}\t{i}\t{}\t{}", f[0], hex(text.as_bytes())).unwrap();
        n_checks += 1;
    }
    assert!(rows > RANDOM_TERMS, "{rows} rows");
    assert!(w_compared > RANDOM_TERMS / 2, "{w_compared}");
    eprintln!(
        "{rows} terms: {parsed_exact} texts parsed to the exact bytes, \
         {w_compared} printed exactly as ~w and ~tw, {n_checks} checks in real Erlang"
    );
    assert!(parsed_exact > 4 * RANDOM_TERMS / 2, "{parsed_exact}");

    let checker = dir.join("check.escript");
    let input = dir.join("checks.tsv");
    std::fs::write(&checker, CHECKER).unwrap();
    std::fs::write(&input, &checks).unwrap();
    let out = run(&esc, &[&checker, &input]);
    let _ = std::fs::remove_dir_all(&dir);
    let results: Vec<&str> = out.lines().collect();
    assert_eq!(results.len(), n_checks);
    for (line, r) in checks.lines().zip(results) {
        if !r.ends_with(" true") {
            let f: Vec<&str> = line.split('\t').collect();
            let text = String::from_utf8_lossy(&unhex(f[3])).into_owned();
            let short: String = text.chars().take(400).collect();
            failures.push(format!("[{} {}] {r}\n    {short}", f[0], f[1]));
        }
    }
    let failures: Vec<String> = failures
        .iter()
        .map(|f| {
            f.lines()
                .map(|l| l.chars().take(300).collect::<String>())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} failures over {rows} terms:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
