//! Code export: every snippet is RUN by the real toolchain of its language
//! (erlang's escript, node, python3, cc, rustc) and must print the frame's
//! bytes; Elixir and Go, which this machine does not have, are checked by
//! the snippet's text. The pcapng writer's files are read back by tshark.
//!
//! A missing tool fails the test with the Debian package to install.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use erldist_codec::conn::Side;
use erldist_codec::dist::{encode_fragments, EncodeMode};
use erldist_codec::epmd::{encode_fields, Fields};
use erldist_codec::etf::text::parse;
use erldist_codec::etf::Term;
use erldist_codec::export::pcapng::{write_frames, write_report, PcapngOptions};
use erldist_codec::export::{export, export_frame, export_session, ExportOptions, Lang};
use erldist_codec::hex;
use erldist_codec::session::ProtocolChoice;
use erldist_codec::{decode_bytes, decode_text, DecodeOptions, DirectionChoice, Frame, Report};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

// ---------------------------------------------------------------- frames

fn vectors(name: &str) -> String {
    format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn alive2_req() -> Frame {
    let mut f = Fields::new();
    for (k, v) in [
        ("port", "9506"),
        ("node_type", "77"),
        ("highest_version", "6"),
        ("lowest_version", "5"),
        ("name", "node"),
    ] {
        f.insert(k.into(), v.into());
    }
    let bytes = encode_fields("ALIVE2_REQ", &f).unwrap();
    one(&bytes, ProtocolChoice::Epmd, DirectionChoice::Request)
}

fn names_resp() -> Frame {
    let mut bytes = vec![0, 0, 0x11, 0x11];
    bytes.extend_from_slice(b"name b at port 45002\nname \"q\\x at port 45004\n");
    let f = one(&bytes, ProtocolChoice::Epmd, DirectionChoice::Reply);
    assert_eq!(f.type_name, "NAMES_RESP");
    f
}

fn one(bytes: &[u8], protocol: ProtocolChoice, direction: DirectionChoice) -> Frame {
    let r = decode_bytes(
        bytes,
        &DecodeOptions {
            protocol,
            direction,
            ..DecodeOptions::default()
        },
    );
    assert_eq!(r.frames.len(), 1, "{r:?}");
    r.frames.into_iter().next().unwrap()
}

fn dist_hidden() -> Report {
    let text = std::fs::read_to_string(vectors("dist/dist_hidden.streams.txt")).unwrap();
    decode_text(&text, &DecodeOptions::default())
}

fn find(r: &Report, type_name: &str, pred: impl Fn(&Frame) -> bool) -> Frame {
    r.frames
        .iter()
        .find(|f| f.type_name == type_name && pred(f))
        .unwrap_or_else(|| panic!("no {type_name} in the report"))
        .clone()
}

/// A REG_SEND whose header carries atom-cache refs (`131, 68, N > 0`).
fn reg_send_with_cache(r: &Report) -> Frame {
    find(r, "REG_SEND", |f| {
        f.bytes
            .get(4..7)
            .is_some_and(|h| h[0] == 131 && h[1] == 68 && h[2] > 0)
    })
}

/// The first fragment (`131, 69`) of a REG_SEND of a 250 000-byte binary,
/// fragments of 100 000 bytes: about 100 KB.
fn big_fragments() -> Vec<Frame> {
    let control = parse("{6, #Pid<'a@h'.9.0;c=1>, '', reg}").unwrap();
    let payload = Term::Binary(
        (0..250_000u32)
            .map(|i| u8::try_from(i % 251).unwrap())
            .collect(),
    );
    let frames =
        encode_fragments(&control, Some(&payload), EncodeMode::Header, 7, 100_000).unwrap();
    assert_eq!(frames.len(), 3);
    let all: Vec<u8> = frames.concat();
    let r = decode_bytes(
        &all,
        &DecodeOptions {
            protocol: ProtocolChoice::Dist,
            direction: DirectionChoice::Request,
            ..DecodeOptions::default()
        },
    );
    assert_eq!(r.frames.len(), 3);
    assert!(r.frames[0].bytes.len() > 100_000);
    assert_eq!(&r.frames[0].bytes[4..6], &[131, 69]);
    r.frames
}

/// Every kind of frame, with a distinct name each.
fn sample_frames() -> Vec<(&'static str, Frame)> {
    let r = dist_hidden();
    vec![
        ("alive2_req", alive2_req()),
        ("names_resp", names_resp()),
        ("send_name", find(&r, "SEND_NAME", |_| true)),
        ("challenge_reply", find(&r, "CHALLENGE_REPLY", |_| true)),
        ("reg_send", reg_send_with_cache(&r)),
        (
            "tick",
            one(
                &[0, 0, 0, 0],
                ProtocolChoice::Dist,
                DirectionChoice::Request,
            ),
        ),
        ("fragment", big_fragments().remove(0)),
    ]
}

// ---------------------------------------------------------------- tools

fn need(tool: &str, package: &str) -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(tool))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!("`{tool}` is not installed: apt-get install {package} (Debian), or run scripts/ensure-system.sh")
    })
}

fn has(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(tool).is_file()))
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let d = std::env::temp_dir().join(format!(
            "erldist-export-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(cmd: &mut Command, what: &str, program: &Path) -> String {
    let o = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        o.status.success(),
        "{what} failed on {}:\n{}\n{}",
        program.display(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// What a program does with the snippets: print each named frame's hex on
/// its own line, or each `(sender, bytes)` of a session as `sender hex`.
enum Print<'a> {
    Frames(&'a [(String, String)]),
    Session(&'a str),
}

/// Runs snippets of `lang` in one program; returns its standard output.
fn run_program(lang: Lang, what: Print<'_>) -> String {
    let dir = TempDir::new(lang.name());
    match lang {
        Lang::Erlang => {
            need("escript", "erlang-base");
            let mut body = String::from(
                "#!/usr/bin/env escript\n-mode(compile).\n\
                 hex(B) -> [io_lib:format(\"~2.16.0b\", [X]) || <<X>> <= B].\n\
                 main(_) ->\n",
            );
            match what {
                Print::Frames(snips) => {
                    for (_, s) in snips {
                        body.push_str(&format!("    io:format(\"~s~n\", [hex(\n{s}\n    )]),\n"));
                    }
                }
                Print::Session(s) => body.push_str(&format!(
                    "    [io:format(\"~s ~s~n\", [S, hex(B)]) || {{S, B}} <- \n{s}\n    ],\n"
                )),
            }
            body.push_str("    ok.\n");
            let p = dir.file("snippet.escript", &body);
            run(Command::new("escript").arg(&p), "escript", &p)
        }
        Lang::Js | Lang::JsUint8Array => {
            need("node", "nodejs");
            let mut body = String::new();
            match what {
                Print::Frames(snips) => {
                    for (name, s) in snips {
                        body.push_str(s);
                        body.push_str(&format!(
                            "console.log(Buffer.from({name}).toString(\"hex\"));\n"
                        ));
                    }
                }
                Print::Session(s) => {
                    body.push_str(s);
                    body.push_str(
                        "for (const [s, b] of frames) console.log(s + \" \" + Buffer.from(b).toString(\"hex\"));\n",
                    );
                }
            }
            let p = dir.file("snippet.js", &body);
            run(Command::new("node").arg(&p), "node", &p)
        }
        Lang::Python | Lang::PythonBytes => {
            need("python3", "python3");
            let mut body = String::new();
            match what {
                Print::Frames(snips) => {
                    for (name, s) in snips {
                        body.push_str(s);
                        body.push_str(&format!("print({name}.hex())\n"));
                    }
                }
                Print::Session(s) => {
                    body.push_str(s);
                    body.push_str("for s, b in frames:\n    print(s, b.hex())\n");
                }
            }
            let p = dir.file("snippet.py", &body);
            run(Command::new("python3").arg(&p), "python3", &p)
        }
        Lang::C => {
            need("cc", "gcc");
            let mut body = String::new();
            match what {
                Print::Frames(snips) => {
                    for (_, s) in snips {
                        body.push_str(s);
                    }
                    body.push_str("#include <stdio.h>\nstatic void hex(const uint8_t *b, size_t n) {\n    for (size_t i = 0; i < n; i++) printf(\"%02x\", b[i]);\n    printf(\"\\n\");\n}\nint main(void) {\n");
                    for (name, _) in snips {
                        body.push_str(&format!("    hex({name}, sizeof {name});\n"));
                    }
                    body.push_str("    return 0;\n}\n");
                }
                Print::Session(s) => {
                    body.push_str(s);
                    body.push_str("#include <stdio.h>\nint main(void) {\n    for (size_t k = 0; k < frames_count; k++) {\n        printf(\"%s \", frames[k].sender);\n        for (size_t i = 0; i < frames[k].length; i++) printf(\"%02x\", frames[k].bytes[i]);\n        printf(\"\\n\");\n    }\n    return 0;\n}\n");
                }
            }
            let p = dir.file("snippet.c", &body);
            let bin = dir.0.join("snippet");
            run(
                Command::new("cc")
                    .args(["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-o"])
                    .arg(&bin)
                    .arg(&p),
                "cc",
                &p,
            );
            run(&mut Command::new(&bin), "the compiled C snippet", &p)
        }
        Lang::Rust => {
            need("rustc", "rustc");
            let mut body = String::from("#![allow(dead_code)]\n");
            match what {
                Print::Frames(snips) => {
                    for (_, s) in snips {
                        body.push_str(s);
                    }
                    body.push_str("fn hex(b: &[u8]) {\n    for x in b { print!(\"{x:02x}\"); }\n    println!();\n}\nfn main() {\n");
                    for (name, _) in snips {
                        body.push_str(&format!("    hex(&{});\n", name.to_uppercase()));
                    }
                    body.push_str("}\n");
                }
                Print::Session(s) => {
                    body.push_str(s);
                    body.push_str("fn main() {\n    for (s, b) in FRAMES {\n        print!(\"{s} \");\n        for x in b { print!(\"{x:02x}\"); }\n        println!();\n    }\n}\n");
                }
            }
            let p = dir.file("snippet.rs", &body);
            let bin = dir.0.join("snippet");
            run(
                Command::new("rustc")
                    .args(["--edition", "2021", "-D", "warnings", "-o"])
                    .arg(&bin)
                    .arg(&p),
                "rustc",
                &p,
            );
            run(&mut Command::new(&bin), "the compiled Rust snippet", &p)
        }
        Lang::Elixir | Lang::Go => panic!("{} is checked by its text", lang.name()),
    }
}

const RUNNABLE: [Lang; 7] = [
    Lang::Erlang,
    Lang::Js,
    Lang::JsUint8Array,
    Lang::Python,
    Lang::PythonBytes,
    Lang::C,
    Lang::Rust,
];

fn snippets(lang: Lang, frames: &[(&str, Frame)], comments: bool) -> Vec<(String, String)> {
    frames
        .iter()
        .map(|(name, f)| {
            let opts = ExportOptions {
                comments,
                name: Some(name.to_string()),
                ..ExportOptions::default()
            };
            (name.to_string(), export_frame(f, lang, &opts))
        })
        .collect()
}

fn expected_lines(frames: &[(&str, Frame)]) -> Vec<String> {
    frames.iter().map(|(_, f)| hex::encode(&f.bytes)).collect()
}

fn check_runs(lang: Lang, comments: bool) {
    let frames = sample_frames();
    let snips = snippets(lang, &frames, comments);
    let out = run_program(lang, Print::Frames(&snips));
    let got: Vec<&str> = out.lines().collect();
    let want = expected_lines(&frames);
    assert_eq!(got.len(), want.len(), "{}: {out}", lang.name());
    for ((name, _), (g, w)) in frames.iter().zip(got.iter().zip(&want)) {
        assert!(g == w, "{} {name}: printed\n{g}\nwant\n{w}", lang.name());
    }
}

// ---------------------------------------------------------------- tests

#[test]
fn erlang_snippets_run() {
    check_runs(Lang::Erlang, true);
    check_runs(Lang::Erlang, false);
}

#[test]
fn node_buffer_snippets_run() {
    check_runs(Lang::Js, true);
    check_runs(Lang::Js, false);
}

#[test]
fn uint8array_snippets_run() {
    check_runs(Lang::JsUint8Array, true);
}

#[test]
fn python_struct_snippets_run() {
    check_runs(Lang::Python, true);
    check_runs(Lang::Python, false);
}

#[test]
fn python_bytes_snippets_run() {
    check_runs(Lang::PythonBytes, true);
}

#[test]
fn c_snippets_compile_and_run() {
    check_runs(Lang::C, true);
    check_runs(Lang::C, false);
}

#[test]
fn rust_snippets_compile_and_run() {
    check_runs(Lang::Rust, true);
}

#[test]
fn sessions_run_in_every_runnable_language() {
    let r = dist_hidden();
    // The EPMD conversations and the node connection of the capture.
    let want: Vec<String> = r
        .frames
        .iter()
        .map(|f| format!("{} {}", f.side.as_str(), hex::encode(&f.bytes)))
        .collect();
    for lang in RUNNABLE {
        let s = export_session(&r.frames, lang, &ExportOptions::default());
        let out = run_program(lang, Print::Session(&s));
        let got: Vec<&str> = out.lines().collect();
        assert_eq!(got, want, "{}:\n{s}", lang.name());
    }
}

#[test]
fn alive2_req_snippets_look_like_this() {
    let f = alive2_req();
    let compact = ExportOptions {
        comments: false,
        ..ExportOptions::default()
    };
    let e = |lang| export(&f.bytes, &f.spans, f.offset, lang, &compact);
    assert_eq!(
        e(Lang::Erlang),
        "<<17:16, 120, 9506:16, 77, 0, 6:16, 5:16, 4:16, \"node\", 0:16>>\n"
    );
    assert_eq!(
        e(Lang::Elixir),
        "<<17::16, 120, 9506::16, 77, 0, 6::16, 5::16, 4::16, \"node\", 0::16>>\n"
    );
    assert_eq!(
        e(Lang::Python),
        "import struct\n\nframe = struct.pack('>HBHBBHHH', 17, 120, 9506, 77, 0, 6, 5, 4) + b'node' + struct.pack('>H', 0)\n"
    );
    let annotated = export_frame(&f, Lang::Erlang, &ExportOptions::default());
    let lines: Vec<&str> = annotated.lines().collect();
    assert_eq!(
        lines[0],
        "%% ALIVE2_REQ, 19 bytes, sent by the client to epmd"
    );
    assert_eq!(lines[1], "<<");
    assert!(lines[2].starts_with("    17:16,"), "{annotated}");
    assert!(lines[2].contains("% length_prefix: length prefix 0x0011 = 17 bytes follow"));
    assert!(lines[10].starts_with("    \"node\","), "{annotated}");
    assert!(lines[11].starts_with("    0:16 "), "{annotated}");
    assert_eq!(lines[12], ">>");
    let c = export_frame(&f, Lang::C, &ExportOptions::default());
    assert!(c.contains("static const uint8_t frame[19] = {"), "{c}");
    assert!(c.contains("'n', 'o', 'd', 'e',"), "{c}");
    let rust = export_frame(&f, Lang::Rust, &ExportOptions::default());
    assert!(rust.contains("const FRAME: [u8; 19] = ["), "{rust}");
    assert!(rust.contains("0x25, 0x22,"), "{rust}");
    assert!(rust.contains("// port: PortNo 9506"), "{rust}");
}

/// Elixir is not installed here: the snippet's shape is checked instead
/// (the bitstring's segments, in order, give the bytes).
#[test]
fn elixir_snippets_have_the_right_segments() {
    for (name, f) in sample_frames() {
        let s = export_frame(&f, Lang::Elixir, &ExportOptions::default());
        assert!(s.starts_with("# "), "{name}");
        let body: String = s
            .lines()
            .map(|l| strip_comment(l, '#'))
            .collect::<Vec<_>>()
            .join("\n");
        let inner = body
            .trim()
            .strip_prefix("<<")
            .unwrap()
            .strip_suffix(">>")
            .unwrap();
        assert_eq!(segments_bytes(inner, "::"), f.bytes, "{name}");
        if has("elixir") {
            panic!("elixir is installed: make this test run the snippet");
        }
    }
}

/// Go is not installed here: the composite literal's elements are checked.
#[test]
fn go_snippets_have_the_right_elements() {
    for (name, f) in sample_frames() {
        let s = export_frame(&f, Lang::Go, &ExportOptions::default());
        assert!(s.contains("var frame = []byte{\n"), "{name}");
        let body: String = s
            .lines()
            .filter(|l| l.starts_with('\t'))
            .map(|l| strip_comment(l, '/'))
            .collect::<Vec<_>>()
            .join("\n");
        let mut bytes = Vec::new();
        for e in body.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            bytes.push(go_elem(e));
        }
        assert_eq!(bytes, f.bytes, "{name}");
        if has("go") {
            panic!("go is installed: make this test run the snippet");
        }
    }
}

/// The code of a line before its comment (outside string/char literals).
fn strip_comment(line: &str, c: char) -> &str {
    let mut in_str: Option<char> = None;
    let mut escaped = false;
    for (i, ch) in line.char_indices() {
        if let Some(q) = in_str {
            if escaped {
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else if ch == q {
                in_str = None;
            }
            continue;
        }
        match ch {
            '"' | '\'' => in_str = Some(ch),
            _ if ch == c && (c != '/' || line[i..].starts_with("//")) => return &line[..i],
            _ => {}
        }
    }
    line
}

fn unescape(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut it = s.bytes();
    while let Some(b) = it.next() {
        if b == b'\\' {
            out.push(it.next().unwrap());
        } else {
            out.push(b);
        }
    }
    out
}

fn go_elem(e: &str) -> u8 {
    if let Some(h) = e.strip_prefix("0x") {
        u8::from_str_radix(h, 16).unwrap()
    } else {
        let inner = e.strip_prefix('\'').unwrap().strip_suffix('\'').unwrap();
        let b = unescape(inner);
        assert_eq!(b.len(), 1, "{e}");
        b[0]
    }
}

/// The bytes of `17::16, 120, "node"` (Elixir) or `17:16, ...` (Erlang).
fn segments_bytes(inner: &str, sep: &str) -> Vec<u8> {
    let mut out = Vec::new();
    // Split on commas outside strings.
    let mut parts = Vec::new();
    let (mut cur, mut in_str, mut esc) = (String::new(), false, false);
    for ch in inner.chars() {
        if in_str {
            cur.push(ch);
            if esc {
                esc = false;
            } else if ch == '\\' {
                esc = true;
            } else if ch == '"' {
                in_str = false;
            }
        } else if ch == '"' {
            in_str = true;
            cur.push(ch);
        } else if ch == ',' {
            parts.push(std::mem::take(&mut cur));
        } else {
            cur.push(ch);
        }
    }
    parts.push(cur);
    for p in parts.iter().map(|p| p.trim()) {
        if let Some(s) = p.strip_prefix('"') {
            out.extend(unescape(s.strip_suffix('"').unwrap()));
        } else if let Some((v, bits)) = p.split_once(sep) {
            let bits: usize = bits.parse().unwrap();
            let v: i128 = v.parse().unwrap();
            let be = v.to_be_bytes();
            out.extend_from_slice(&be[16 - bits / 8..]);
        } else {
            out.push(p.parse().unwrap());
        }
    }
    out
}

#[test]
fn group_spans_become_comment_lines() {
    let r = dist_hidden();
    let f = reg_send_with_cache(&r);
    let s = export_frame(&f, Lang::Erlang, &ExportOptions::default());
    assert!(s.contains("% dist_header: "), "{s}");
    assert!(s.contains("% control: control message REG_SEND"), "{s}");
    let s = export_frame(&f, Lang::C, &ExportOptions::default());
    assert!(s.contains("// dist_header: "), "{s}");
}

#[test]
fn bytes_outside_the_spans_are_kept() {
    // Spans that miss bytes (an invalid or partial decode) still give every byte.
    let f = alive2_req();
    let spans: Vec<_> = f.spans.iter().skip(2).take(3).cloned().collect();
    let s = export(
        &f.bytes,
        &spans,
        f.offset,
        Lang::Erlang,
        &ExportOptions::default(),
    );
    assert!(s.contains("undecoded"), "{s}");
    let body: String = s
        .lines()
        .map(|l| strip_comment(l, '%'))
        .collect::<Vec<_>>()
        .join("\n");
    let inner = body
        .trim()
        .strip_prefix("<<")
        .unwrap()
        .strip_suffix(">>")
        .unwrap();
    assert_eq!(segments_bytes(inner, ":"), f.bytes);
}

#[test]
fn json_is_the_reports_frame_json() {
    let f = alive2_req();
    let j: serde_json::Value =
        serde_json::from_str(&erldist_codec::export::frame_json(&f).unwrap()).unwrap();
    assert_eq!(j["type"], "ALIVE2_REQ");
    assert_eq!(j["hex"], hex::encode(&f.bytes));
    assert_eq!(j, serde_json::to_value(&f).unwrap());
}

#[test]
fn lang_names_round_trip() {
    for l in Lang::ALL {
        assert_eq!(Lang::from_name(l.name()), Some(l));
    }
    assert_eq!(Lang::from_name("Node"), Some(Lang::Js));
    assert_eq!(Lang::from_name("cobol"), None);
}

// ---------------------------------------------------------------- pcapng

fn tshark(args: &[&str], file: &Path) -> String {
    need("tshark", "tshark");
    let o = Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// (src port, dst port, payload hex) of every packet with a payload.
fn tshark_payloads(file: &Path, extra: &[&str]) -> Vec<(u16, u16, String)> {
    let mut args = vec![
        "-T",
        "fields",
        "-e",
        "tcp.srcport",
        "-e",
        "tcp.dstport",
        "-e",
        "tcp.payload",
    ];
    args.extend_from_slice(extra);
    tshark(&args, file)
        .lines()
        .filter_map(|l| {
            let mut it = l.split('\t');
            let s = it.next()?.parse().ok()?;
            let d = it.next()?.parse().ok()?;
            let p = it.next().unwrap_or("").replace(':', "");
            (!p.is_empty()).then_some((s, d, p))
        })
        .collect()
}

#[test]
fn pcapng_of_an_epmd_exchange_reads_back_in_tshark() {
    let r = decode_text(
        "00 11 78 25 22 4d 00 00 06 00 05 00 04 6e 6f 64 65 00 00  76 00 00 00 00 05",
        &DecodeOptions::default(),
    );
    assert_eq!(r.frames[1].type_name, "ALIVE2_X_RESP");
    let file = write_report(&r, &PcapngOptions::default()).unwrap();
    let dir = TempDir::new("pcapng");
    let p = dir.0.join("epmd.pcapng");
    std::fs::write(&p, &file).unwrap();
    let got = tshark_payloads(&p, &[]);
    assert_eq!(
        got,
        vec![
            (50000, 4369, hex::encode(&r.frames[0].bytes)),
            (4369, 50000, hex::encode(&r.frames[1].bytes)),
        ]
    );
    // Wireshark's epmd dissector names the request (its 4.0 release does
    // not know ALIVE2_X_RESP: a real capture shows the same).
    let info = tshark(&["-Y", "epmd", "-T", "fields", "-e", "epmd.type"], &p);
    assert_eq!(info.lines().collect::<Vec<_>>(), ["120"], "{info}");
    let info = tshark(
        &[
            "-d",
            "tcp.port==4369,epmd",
            "-Y",
            "epmd",
            "-T",
            "fields",
            "-e",
            "epmd.type",
        ],
        &p,
    );
    assert_eq!(info.lines().collect::<Vec<_>>(), ["120"], "{info}");
    let v = tshark(&["-V", "-Y", "epmd"], &p);
    assert!(v.contains("EPMD_ALIVE2_REQ (120)"), "{v}");
    assert!(v.contains("Port No: 9506"), "{v}");
    assert!(v.contains("Node Name: node"), "{v}");
    // Handshake and close: SYN, SYN-ACK, ACK ... FIN, FIN, ACK; no bad checksums.
    let flags = tshark(
        &[
            "-o",
            "tcp.check_checksum:TRUE",
            "-o",
            "ip.check_checksum:TRUE",
            "-T",
            "fields",
            "-e",
            "tcp.flags.str",
            "-e",
            "ip.checksum.status",
            "-e",
            "tcp.checksum.status",
        ],
        &p,
    );
    // tshark's flag strings: SYN, SYN-ACK, ACK, 2 × PSH-ACK, FIN-ACK × 2, ACK;
    // checksum status 1 = good, for IPv4 and TCP.
    let lines: Vec<Vec<&str>> = flags.lines().map(|l| l.split('\t').collect()).collect();
    let f: Vec<&str> = lines.iter().map(|l| l[0].trim_matches('\u{b7}')).collect();
    assert_eq!(
        f,
        [
            "S",
            "A\u{b7}\u{b7}S",
            "A",
            "AP",
            "AP",
            "A\u{b7}\u{b7}\u{b7}F",
            "A\u{b7}\u{b7}\u{b7}F",
            "A"
        ],
        "{flags}"
    );
    assert!(lines.iter().all(|l| l[1] == "1" && l[2] == "1"), "{flags}");
    let seq = tshark(
        &[
            "-T",
            "fields",
            "-e",
            "tcp.seq",
            "-e",
            "tcp.ack",
            "-e",
            "tcp.len",
            "-e",
            "_ws.expert.message",
        ],
        &p,
    );
    assert!(!seq.to_lowercase().contains("previous segment"), "{seq}");
    assert!(!seq.contains("retransmission"), "{seq}");
    let lines: Vec<&str> = seq.lines().collect();
    assert!(lines[0].starts_with("0\t"), "{seq}");
    assert!(lines[3].starts_with("1\t1\t19"), "{seq}");
    assert!(lines[4].starts_with("1\t20\t6"), "{seq}");
}

#[test]
fn pcapng_of_a_capture_has_every_payload_on_the_right_ports() {
    let r = dist_hidden();
    let file = write_report(&r, &PcapngOptions::default()).unwrap();
    let dir = TempDir::new("pcapng");
    let p = dir.0.join("dist.pcapng");
    std::fs::write(&p, &file).unwrap();
    let got = tshark_payloads(&p, &[]);
    let want: Vec<(u16, u16, String)> = r
        .frames
        .iter()
        .map(|f| {
            let c = &r.connections[f.stream.unwrap()];
            let port = |a: &Option<String>| -> u16 {
                a.as_ref()
                    .unwrap()
                    .rsplit_once(':')
                    .unwrap()
                    .1
                    .parse()
                    .unwrap()
            };
            let (client, server) = match f.protocol {
                erldist_codec::session::Protocol::Epmd => (port(&c.initiator), 4369),
                erldist_codec::session::Protocol::Dist => (port(&c.initiator), port(&c.acceptor)),
            };
            let (s, d) = match f.side {
                Side::Initiator => (client, server),
                Side::Acceptor => (server, client),
            };
            (s, d, hex::encode(&f.bytes))
        })
        .collect();
    assert_eq!(got, want);
    // EPMD on 4369 is dissected as such; its PORT2_RESP names the node's
    // port, so Wireshark takes the node connection for erldp by itself.
    let epmd = tshark(&["-Y", "epmd", "-T", "fields", "-e", "epmd.type"], &p);
    assert_eq!(
        epmd.lines().collect::<Vec<_>>(),
        ["120", "120", "122", "119"],
        "{epmd}"
    );
    let info = tshark(&["-Y", "erldp", "-T", "fields", "-e", "_ws.col.Info"], &p);
    let info: Vec<&str> = info.lines().collect();
    assert_eq!(info[0], "SEND_NAME h@127.0.0.1", "{info:?}");
    assert!(info.contains(&"SEND_CHALLENGE_REPLY"), "{info:?}");
    assert!(info.contains(&"REG_SEND"), "{info:?}");
    // With the node port given as erldp, the same.
    let node_port = want.iter().find(|w| w.2.starts_with("001a4e")).unwrap().1;
    let erldp = tshark(
        &[
            "-d",
            &format!("tcp.port=={node_port},erldp"),
            "-Y",
            "erldp",
            "-T",
            "fields",
            "-e",
            "erldp.tag",
        ],
        &p,
    );
    assert!(erldp.lines().count() >= 5, "{erldp}");
}

#[test]
fn pcapng_splits_a_100kb_fragment_into_segments() {
    let frames = big_fragments();
    let numbered: Vec<(usize, &Frame)> = frames.iter().enumerate().collect();
    let opts = PcapngOptions {
        mss: 1460,
        node_port: Some(45002),
        ..PcapngOptions::default()
    };
    let file = write_frames(&numbered, &[], &frames, &opts).unwrap();
    let dir = TempDir::new("pcapng");
    let p = dir.0.join("big.pcapng");
    std::fs::write(&p, &file).unwrap();
    let got = tshark_payloads(&p, &[]);
    assert!(got.iter().all(|(s, d, _)| (*s, *d) == (50000, 45002)));
    let all: String = got.iter().map(|g| g.2.as_str()).collect();
    let want: String = frames.iter().map(|f| hex::encode(&f.bytes)).collect();
    assert_eq!(all, want);
    assert!(got.iter().all(|g| g.2.len() <= 2 * 1460));
    // Timestamps come from the options: 1 ms apart from 2024-01-01.
    let t = tshark(&["-T", "fields", "-e", "frame.time_epoch"], &p);
    let first: f64 = t.lines().next().unwrap().trim().parse().unwrap();
    assert!((first - 1_704_067_200.0).abs() < 1e-6, "{t}");
    let second: f64 = t.lines().nth(1).unwrap().trim().parse().unwrap();
    assert!((second - first - 0.001).abs() < 1e-6, "{t}");
}

/// The capture reader (`capture`, what `erldist decode` does with a pcap)
/// reads our pcapng back into the same conversations and frames.
#[test]
fn pcapng_round_trips_through_our_capture_reader() {
    let r = dist_hidden();
    for tcp_checksums in [true, false] {
        let opts = PcapngOptions {
            mss: 40,
            tcp_checksums,
            ..PcapngOptions::default()
        };
        let file = write_report(&r, &opts).unwrap();
        let back = decode_bytes(&file, &DecodeOptions::default());
        assert_eq!(back.format, "pcapng");
        assert!(back.input_error.is_none(), "{:?}", back.input_error);
        let summary = |r: &Report| -> Vec<(Option<usize>, Side, &'static str, String)> {
            r.frames
                .iter()
                .map(|f| (f.stream, f.side, f.type_name, hex::encode(&f.bytes)))
                .collect()
        };
        assert_eq!(summary(&back), summary(&r));
        assert_eq!(back.connections.len(), r.connections.len());
        let dist = back
            .connections
            .iter()
            .find(|c| c.protocol == Some(erldist_codec::session::Protocol::Dist))
            .unwrap();
        assert_eq!(dist.acceptor.as_deref(), Some("127.0.0.1:45002"));
    }
}
