//! Shared by the tests that ask real Erlang: finding escript, the checker
//! script, and walking terms.

use erldist_codec::etf::Term;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Every sub-term, without recursion (the corpus nests 1000 deep).
pub fn subterms(t: &Term) -> Vec<&Term> {
    t.walk().collect()
}

pub fn hex(b: &[u8]) -> String {
    b.iter().fold(String::new(), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

/// `escript` of the real OTP install; never skips.
pub fn escript() -> PathBuf {
    let erl = Some(PathBuf::from("/usr/bin/erl"))
        .filter(|p| p.exists())
        .or_else(|| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join("erl"))
                    .find(|p| p.exists())
            })
        });
    let esc = erl
        .as_deref()
        .and_then(Path::parent)
        .map(|d| d.join("escript"))
        .filter(|p| p.exists());
    esc.unwrap_or_else(|| {
        panic!(
            "real Erlang (erl + escript, OTP 25) not found: run scripts/test.sh, \
             which installs erlang-base, then rerun these tests"
        )
    })
}

/// Reads `Kind \t Id \t WantHex \t PayloadHex` lines and prints `Id Result`:
/// `term` parses the payload (UTF-8 text) with erl_scan + parse_term, `expr`
/// evaluates it with erl_eval, `bin` is binary_to_term of it; the result must
/// be =:= binary_to_term(Want) and encode identically (which tells -0.0 from
/// 0.0 even on OTP 25).
pub const CHECKER: &str = r#"#!/usr/bin/env escript
%% -*- coding: utf-8 -*-
-mode(compile).

main([In]) ->
    {ok, Data} = file:read_file(In),
    Lines = binary:split(Data, <<"\n">>, [global, trim_all]),
    lists:foreach(fun(L) -> io:put_chars([check(L), $\n]) end, Lines).

check(Line) ->
    [Kind, Id, WantHex, Payload] = binary:split(Line, <<"\t">>, [global]),
    R = try
            Want = binary_to_term(binary:decode_hex(WantHex)),
            Got = got(Kind, binary:decode_hex(Payload)),
            Opts = [{minor_version, 2}, deterministic],
            case Got =:= Want andalso
                term_to_binary(Got, Opts) =:= term_to_binary(Want, Opts) of
                true -> true;
                false -> {differs, Got}
            end
        catch C:E -> {C, E}
        end,
    [Id, " ", io_lib:format("~0P", [R, 12])].

got(<<"term">>, Bin) ->
    {ok, Toks, _} = erl_scan:string(unicode:characters_to_list(Bin)),
    {ok, T} = erl_parse:parse_term(Toks ++ [{dot, 1}]),
    T;
got(<<"expr">>, Bin) ->
    {ok, Toks, _} = erl_scan:string(unicode:characters_to_list(Bin)),
    {ok, Exprs} = erl_parse:parse_exprs(Toks ++ [{dot, 1}]),
    {value, V, _} = erl_eval:exprs(Exprs, []),
    V;
got(<<"bin">>, Bin) ->
    binary_to_term(Bin).
"#;

/// Reverses the pairs of every map of more than 32 keys (shallow terms only).
pub fn reverse_big_maps(t: &mut Term) {
    match t {
        Term::Map(pairs) => {
            if pairs.len() > 32 {
                pairs.reverse();
            }
            for (k, v) in pairs {
                reverse_big_maps(k);
                reverse_big_maps(v);
            }
        }
        Term::Tuple { elems, .. } => elems.iter_mut().for_each(reverse_big_maps),
        Term::List { elems, tail } => {
            elems.iter_mut().for_each(reverse_big_maps);
            reverse_big_maps(tail);
        }
        _ => {}
    }
}
