//! Every text form of bytes that users paste, as the real tools print it.
//!
//! The bytes are real OTP 25 traffic (runs of `tests/vectors/dist/
//! dist_hidden.streams.txt`, and the capture `dist_hidden.pcap` itself);
//! each test runs the tool here (`xxd`, `hexdump`, `od`, `base64`,
//! `basenc`, `erl`, `node`, `python3`, `tshark`, `tcpdump`) and checks that
//! the text is detected as the right format and reads back to exactly those
//! bytes, with no note (except the ones the form calls for: od's word byte
//! order, node's cut-off printout). A missing tool fails its test with the
//! Debian package to install (`scripts/ensure-system.sh` installs them).
//!
//! `vectors_without_tools` reads the copies of such outputs committed under
//! `tests/vectors/inputs/` (see its README), so the parsers are exercised
//! where the tools are not installed too.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use erldist_codec::input::{self, Format};
use erldist_codec::{decode_bytes, decode_text, DecodeOptions, FormatChoice, Report};
use std::io::Write;
use std::process::{Command, Stdio};

fn dir(sub: &str) -> String {
    format!("{}/tests/vectors/{sub}", env!("CARGO_MANIFEST_DIR"))
}

/// The runs of a `*.streams.txt` listing, in order.
fn runs(name: &str) -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(format!("{}/{name}", dir("dist"))).unwrap();
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        if l.starts_with("run ") {
            out.push(input::parse_hex(lines.next().unwrap()).unwrap().bytes);
        }
    }
    out
}

/// Real bytes: an ALIVE2_REQ (16 bytes), a 114-byte connected-phase frame
/// (more than node's 50-byte printout) and a 241-byte run (more than node's
/// 100-item array printout).
fn samples() -> Vec<Vec<u8>> {
    let r = runs("dist_hidden.streams.txt");
    let pick = |n: usize| r.iter().find(|b| b.len() == n).unwrap().clone();
    let alive = r[0].clone();
    assert_eq!(alive.len(), 16);
    vec![alive, pick(114), pick(241)]
}

/// Runs a tool and returns its standard output; a tool that is missing
/// fails the test naming the package.
fn tool(program: &str, args: &[&str], stdin: Option<&[u8]>, package: &str) -> String {
    let mut child = Command::new(program)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "`{program}` could not be run ({e}): install the Debian package `{package}` (scripts/ensure-system.sh does)"
            )
        });
    if let Some(data) = stdin {
        child.stdin.take().unwrap().write_all(data).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A temporary file holding `bytes` (for tools that read files).
fn temp_file(tag: &str, bytes: &[u8]) -> String {
    let p = std::env::temp_dir().join(format!(
        "erldist-inputs-{}-{tag}-{}.bin",
        std::process::id(),
        bytes.len()
    ));
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_string()
}

/// Notes a form is allowed to carry (substrings).
const WORD_NOTE: &str = "multi-byte words";

/// `text` is detected as `want` and reads back to `bytes` (`shown` of them
/// when a printout is cut short), decode_text lays the same bytes out as
/// frames, and choosing the format gives the same report.
fn check(text: &str, want: Format, bytes: &[u8], allowed_notes: &[&str]) -> Report {
    assert_eq!(input::detect(text), want, "detected format of:\n{text}");
    let tb = input::read_bytes(text, want).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(
        erldist_codec::hex::encode(&tb.bytes),
        erldist_codec::hex::encode(bytes),
        "{}:\n{text}",
        want.as_str()
    );
    for n in &tb.notes {
        assert!(
            allowed_notes.iter().any(|a| n.message.contains(a)),
            "unexpected note {n} for {}:\n{text}",
            want.as_str()
        );
    }
    let r = decode_text(text, &DecodeOptions::default());
    assert_eq!(r.format, want.as_str());
    assert!(r.format_detected);
    assert!(r.input_error.is_none(), "{:?}", r.input_error);
    let laid: Vec<u8> = r.frames.iter().flat_map(|f| f.bytes.clone()).collect();
    assert_eq!(laid, bytes, "frames of {}", want.as_str());
    let forced = decode_text(
        text,
        &DecodeOptions {
            format: FormatChoice::Named(want),
            ..DecodeOptions::default()
        },
    );
    assert!(!forced.format_detected);
    assert_eq!(forced.frames, r.frames);
    r
}

#[test]
fn xxd_and_xxd_plain() {
    for b in samples() {
        check(&tool("xxd", &[], Some(&b), "xxd"), Format::Xxd, &b, &[]);
        check(
            &tool("xxd", &["-g", "1"], Some(&b), "xxd"),
            Format::Xxd,
            &b,
            &[],
        );
        check(
            &tool("xxd", &["-u", "-c", "8"], Some(&b), "xxd"),
            Format::Xxd,
            &b,
            &[],
        );
        let plain = tool("xxd", &["-p"], Some(&b), "xxd");
        let want = if plain.lines().count() > 1 {
            Format::XxdPlain
        } else {
            Format::Hex
        };
        check(&plain, want, &b, &[]);
    }
}

#[test]
fn hexdump_c_and_hexdump() {
    for b in samples() {
        check(
            &tool("hexdump", &["-C"], Some(&b), "bsdextrautils"),
            Format::HexdumpC,
            &b,
            &[],
        );
        // An odd length: the last word is padded, the final offset says so.
        check(
            &tool("hexdump", &[], Some(&b), "bsdextrautils"),
            Format::Hexdump,
            &b,
            &[WORD_NOTE, "padded"],
        );
    }
    // hexdump squeezes repeated rows into `*`: filled back in.
    let mut b = samples()[0].clone();
    b.extend_from_slice(&[0u8; 64]);
    b.extend_from_slice(&samples()[0]);
    let text = tool("hexdump", &["-C"], Some(&b), "bsdextrautils");
    assert!(text.contains("\n*\n"), "{text}");
    check(&text, Format::HexdumpC, &b, &["filled in"]);
}

#[test]
fn od_layouts() {
    for b in samples() {
        check(
            &tool("od", &["-A", "x", "-t", "x1z"], Some(&b), "coreutils"),
            Format::Od,
            &b,
            &[],
        );
        check(
            &tool("od", &["-A", "x", "-t", "x1"], Some(&b), "coreutils"),
            Format::Od,
            &b,
            &[],
        );
        check(
            &tool("od", &["-t", "o1"], Some(&b), "coreutils"),
            Format::Od,
            &b,
            &[],
        );
        // The default: octal offsets, octal 2-byte words in host order; an
        // odd length is padded, the final offset says the real one.
        let mut odd = b.clone();
        odd.push(0x52);
        check(
            &tool("od", &[], Some(&odd), "coreutils"),
            Format::Od,
            &odd,
            &[WORD_NOTE, "padded"],
        );
        check(
            &tool("od", &["-x"], Some(&b), "coreutils"),
            Format::Od,
            &b,
            &[WORD_NOTE, "padded"],
        );
    }
}

#[test]
fn base64_standard_and_url_safe() {
    for b in samples() {
        check(
            &tool("base64", &[], Some(&b), "coreutils"),
            Format::Base64,
            &b,
            &[],
        );
        check(
            &tool("basenc", &["--base64url"], Some(&b), "coreutils"),
            Format::Base64,
            &b,
            &["URL-safe"],
        );
    }
}

fn erl_print(fmt: &str, b: &[u8]) -> String {
    let f = temp_file("erl", b);
    tool(
        "erl",
        &[
            "-noshell",
            "-eval",
            &format!("{{ok, B}} = file:read_file(\"{f}\"), io:format(\"{fmt}~n\", [B]), halt()."),
        ],
        None,
        "erlang-base",
    )
}

#[test]
fn erlang_io_format() {
    for b in samples() {
        check(&erl_print("~w", &b), Format::ErlangBinary, &b, &[]);
        check(&erl_print("~p", &b), Format::ErlangBinary, &b, &[]);
    }
    // A printable binary prints as a string: <<"b@127.0.0.1">>.
    let name = b"b@127.0.0.1".to_vec();
    let text = erl_print("~p", &name);
    assert!(text.contains('"'), "{text}");
    check(&text, Format::ErlangBinary, &name, &[]);
}

fn node(script: &str, b: &[u8]) -> String {
    tool(
        "node",
        &["-e", script, &erldist_codec::hex::encode(b)],
        None,
        "nodejs",
    )
}

#[test]
fn node_printouts() {
    for b in samples() {
        let buf = "const b = Buffer.from(process.argv[1], 'hex');";
        // console.log(buffer): cut after 50 bytes, the rest counted.
        let text = node(&format!("{buf} console.log(b)"), &b);
        let shown = b.len().min(50);
        assert_eq!(input::detect(&text), Format::NodeBuffer);
        let tb = input::read_bytes(&text, Format::NodeBuffer).unwrap();
        assert_eq!(tb.bytes, &b[..shown]);
        if b.len() > 50 {
            assert_eq!(tb.missing, Some(b.len() - 50));
            assert!(text.contains("more bytes"), "{text}");
            let r = decode_text(&text, &DecodeOptions::default());
            assert!(
                r.notes
                    .iter()
                    .any(|n| n.contains(&format!("{} more bytes", b.len() - 50))),
                "{:?}",
                r.notes
            );
            // Decoded as far as it goes: the frame is incomplete, not invalid.
            assert!(r
                .frames
                .iter()
                .all(|f| !matches!(f.status, erldist_codec::epmd::Status::Invalid(_))));
        } else {
            check(&text, Format::NodeBuffer, &b, &[]);
        }
        // toJSON's data array: at most 100 items printed too.
        let text = node(&format!("{buf} console.log(b.toJSON())"), &b);
        if b.len() > 100 {
            let tb = input::read_bytes(&text, Format::NodeBuffer).unwrap();
            assert_eq!(tb.bytes, &b[..100]);
            assert_eq!(tb.missing, Some(b.len() - 100));
        } else {
            check(&text, Format::NodeBuffer, &b, &[]);
        }
        check(
            &node(&format!("{buf} console.log(JSON.stringify(b))"), &b),
            Format::NodeBuffer,
            &b,
            &[],
        );
        // Arrays: node prints at most 100 items, then `... N more items`.
        let text = node(&format!("{buf} console.log(new Uint8Array(b))"), &b);
        let tb = input::read_bytes(&text, input::detect(&text)).unwrap();
        assert_eq!(input::detect(&text), Format::JsArray, "{text}");
        assert_eq!(tb.bytes, &b[..b.len().min(100)]);
        if b.len() > 100 {
            assert_eq!(tb.missing, Some(b.len() - 100), "{text}");
        } else {
            check(&text, Format::JsArray, &b, &[]);
            check(
                &node(&format!("{buf} console.log([...b])"), &b),
                Format::JsArray,
                &b,
                &[],
            );
        }
    }
}

fn python(expr: &str, b: &[u8]) -> String {
    tool(
        "python3",
        &[
            "-c",
            &format!("import sys; b = bytes.fromhex(sys.argv[1]); print({expr})"),
            &erldist_codec::hex::encode(b),
        ],
        None,
        "python3",
    )
}

#[test]
fn python_printouts() {
    for b in samples() {
        check(&python("b", &b), Format::PythonBytes, &b, &[]);
        check(&python("bytearray(b)", &b), Format::PythonBytes, &b, &[]);
        check(&python("list(b)", &b), Format::JsArray, &b, &[]);
        // Every escape Python writes, and quotes both ways.
        let all: Vec<u8> = (0..=255).collect();
        check(&python("b", &all), Format::PythonBytes, &all, &[]);
        let quote = b"it's".to_vec();
        let text = python("b", &quote);
        assert!(text.starts_with("b\""), "{text}");
        check(&text, Format::PythonBytes, &quote, &[]);
    }
}

fn pcap() -> String {
    format!("{}/dist_hidden.pcap", dir("dist"))
}

/// The frames of a packet dump are those of the capture it was printed
/// from (same types, bytes, sides and connections).
fn same_as_capture(dump: &Report, packets: usize) {
    let capture = std::fs::read(pcap()).unwrap();
    let full = decode_bytes(&capture, &DecodeOptions::default());
    assert_eq!(full.format, "pcap");
    let got: Vec<_> = dump
        .frames
        .iter()
        .map(|f| (f.type_name, f.bytes.clone(), f.side, f.stream))
        .collect();
    let want: Vec<_> = full
        .frames
        .iter()
        .map(|f| (f.type_name, f.bytes.clone(), f.side, f.stream))
        .collect();
    if packets == 0 {
        assert_eq!(got, want);
        assert_eq!(dump.connections.len(), full.connections.len());
    } else {
        assert!(!got.is_empty());
        assert_eq!(got[..], want[..got.len()]);
    }
    for (c, w) in dump.connections.iter().zip(&full.connections) {
        assert_eq!(c.initiator, w.initiator);
        assert_eq!(c.acceptor, w.acceptor);
        assert_eq!(c.protocol, w.protocol);
    }
}

#[test]
fn tshark_hex_dump() {
    let text = tool("tshark", &["-r", &pcap(), "-x", "-c", "5"], None, "tshark");
    assert_eq!(input::detect(&text), Format::TsharkX);
    let dump = input::dumps::parse_tshark(&text).unwrap();
    assert_eq!(dump.packets.len(), 5);
    assert!(dump.notes.is_empty(), "{:?}", dump.notes);
    let r = decode_text(&text, &DecodeOptions::default());
    assert_eq!(r.format, "tshark-x");
    assert_eq!(r.frames.len(), 1);
    assert_eq!(r.frames[0].type_name, "ALIVE2_REQ");
    assert_eq!(r.frames[0].bytes, samples()[0]);
    assert_eq!(
        r.connections[0].initiator.as_deref(),
        Some("127.0.0.1:42972")
    );
    assert_eq!(r.connections[0].acceptor.as_deref(), Some("127.0.0.1:4399"));
    same_as_capture(&r, 5);
    // The whole capture.
    let text = tool("tshark", &["-r", &pcap(), "-x"], None, "tshark");
    let r = decode_text(&text, &DecodeOptions::default());
    assert_eq!(r.format, "tshark-x");
    same_as_capture(&r, 0);
}

#[test]
fn tcpdump_dumps() {
    let r_pcap = pcap();
    for (flag, want) in [
        ("-X", Format::TcpdumpX),
        ("-x", Format::TcpdumpX),
        ("-xx", Format::TcpdumpXx),
        ("-XX", Format::TcpdumpXx),
    ] {
        let text = tool(
            "tcpdump",
            &["-r", &r_pcap, "-n", flag, "-c", "6"],
            None,
            "tcpdump",
        );
        assert_eq!(input::detect(&text), want, "{flag}");
        let r = decode_text(&text, &DecodeOptions::default());
        assert_eq!(r.format, want.as_str(), "{flag}");
        let types: Vec<_> = r.frames.iter().map(|f| f.type_name).collect();
        assert_eq!(types, ["ALIVE2_REQ", "ALIVE2_X_RESP"], "{flag}");
        assert_eq!(r.frames[0].bytes, samples()[0]);
        same_as_capture(&r, 6);
        let dump = input::dumps::parse_tcpdump(&text).unwrap();
        assert!(
            dump.notes
                .iter()
                .all(|n| n.message.contains("packet lines")),
            "{flag}: {:?}",
            dump.notes
        );
        // The whole capture.
        let text = tool("tcpdump", &["-r", &r_pcap, flag], None, "tcpdump");
        same_as_capture(&decode_text(&text, &DecodeOptions::default()), 0);
    }
}

#[test]
fn edited_dumps_are_noted() {
    let b = samples()[1].clone();
    let text = tool("xxd", &[], Some(&b), "xxd");
    // Change one hex digit (not the ASCII column): a note on that line.
    let edited = text.replacen("0000 006e", "0000 006f", 1);
    assert_ne!(edited, text);
    let tb = input::read_bytes(&edited, Format::Xxd).unwrap();
    assert_eq!(tb.notes.len(), 1, "{:?}", tb.notes);
    assert_eq!(tb.notes[0].line, 1);
    assert!(tb.notes[0].message.contains("disagree"));
    // A row left out: the gap is named.
    let gap: String = text
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 2)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let tb = input::read_bytes(&gap, Format::Xxd).unwrap();
    assert!(
        tb.notes
            .iter()
            .any(|n| n.message.contains("16 bytes are missing") && n.line == 3),
        "{:?}",
        tb.notes
    );
    // A row cut short in the middle.
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[1].truncate(20);
    let cut = lines.join("\n");
    let tb = input::read_bytes(&cut, Format::Xxd).unwrap();
    assert!(tb.notes.iter().any(|n| n.line == 2), "{:?}", tb.notes);
    // Text around a dump is reported, not skipped silently.
    let framed = format!("$ xxd frame.bin\n{text}");
    let r = decode_text(&framed, &DecodeOptions::default());
    assert_eq!(r.format, "xxd");
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("line 1") && n.contains("ignored")),
        "{:?}",
        r.notes
    );
}

/// One committed vector: its file and expected bytes (hex) or capture
/// frames.
#[test]
fn vectors_without_tools() {
    let manifest = std::fs::read_to_string(format!("{}/MANIFEST.tsv", dir("inputs"))).unwrap();
    let mut n = 0;
    for line in manifest
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let [file, format, expect, notes] = cols[..] else {
            panic!("bad manifest line {line:?}");
        };
        let text = std::fs::read_to_string(format!("{}/{file}", dir("inputs"))).unwrap();
        let format = Format::from_name(format).unwrap();
        let allowed: Vec<&str> = notes.split('|').filter(|s| !s.is_empty()).collect();
        if let Some(types) = expect.strip_prefix("frames:") {
            let r = decode_text(&text, &DecodeOptions::default());
            assert_eq!(r.format, format.as_str(), "{file}");
            let got: Vec<_> = r.frames.iter().map(|f| f.type_name).collect();
            assert_eq!(got.join(","), types, "{file}");
        } else if let Some((hex, missing)) = expect.split_once("+missing=") {
            let want = input::parse_hex(hex).unwrap().bytes;
            assert_eq!(input::detect(&text), format, "{file}");
            let tb = input::read_bytes(&text, format).unwrap();
            assert_eq!(tb.bytes, want, "{file}");
            assert_eq!(tb.missing, Some(missing.parse().unwrap()), "{file}");
        } else {
            let want = input::parse_hex(expect).unwrap().bytes;
            check(&text, format, &want, &allowed);
        }
        n += 1;
    }
    assert!(n >= 12, "{n} vectors");
}

#[test]
fn plain_hex_spellings() {
    let want = [0x00u8, 0x01, 0x6e];
    for t in [
        "00 01 6e",
        "00016e",
        "0x00, 0x01, 0x6e",
        "\\x00\\x01\\x6e",
        "00:01:6e",
        "00-01-6e",
        "0x00,0x01,0x6E",
        "00\r\n01\r\n6e\r\n",
    ] {
        assert_eq!(input::detect(t), Format::Hex, "{t}");
        check(t, Format::Hex, &want, &[]);
    }
    // Hex wins over base64 when the text is all hex digits.
    assert_eq!(input::detect("00016e00"), Format::Hex);
    assert_eq!(input::detect("AAFu"), Format::Base64);
}

#[test]
fn elixir_and_hand_written_erlang() {
    let alive = samples()[0].clone();
    // As IEx prints a binary, and as people write them.
    let iex = format!(
        "<<{}>>",
        alive
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    check(&iex, Format::ElixirBinary, &alive, &[]);
    let hand = "<<14::16, ?x, 45002::size(16), 77, 0, 6::16, 5::16, 1::16, \"b\", 0::16>>";
    check(hand, Format::ElixirBinary, &alive, &[]);
    let erl = "<<14:16, $x, 45002:16/big, 77, 0, 6:16, 5:16, 1:16/unsigned-integer, \"b\", 0:16>>";
    check(erl, Format::ErlangBinary, &alive, &[]);
    let bits = "<<0:8, 14:8, 0:1, 1:1, 1:1, 1:1, 1:1, 0:3, 45002:16, 77, 0:8, 6:16, 5:16, 1:16, 98, 0:16>>";
    check(bits, Format::ErlangBinary, &alive, &[]);
}

#[test]
fn source_code_arrays() {
    let b = samples()[0].clone();
    let hex: Vec<String> = b.iter().map(|x| format!("0x{x:02x}")).collect();
    let dec: Vec<String> = b.iter().map(u8::to_string).collect();
    let cases = [
        (
            format!("unsigned char req[] = {{{}}};", hex.join(", ")),
            Format::CArray,
        ),
        (
            format!("uint8_t req[16] = {{ {} }};", hex.join(",")),
            Format::CArray,
        ),
        (
            format!("let req: [u8; 16] = [{}];", hex.join(", ")),
            Format::RustArray,
        ),
        (format!("vec![{}]", dec.join(", ")), Format::RustArray),
        (
            format!("req := []byte{{{}}}", hex.join(", ")),
            Format::GoSlice,
        ),
        (
            format!("new Uint8Array([{}])", dec.join(", ")),
            Format::JsArray,
        ),
        (format!("bytes([{}])", hex.join(", ")), Format::PythonBytes),
        (
            format!("Buffer.from([{}])", dec.join(",")),
            Format::NodeBuffer,
        ),
        (
            format!("Buffer.from('{}', 'hex')", erldist_codec::hex::encode(&b)),
            Format::NodeBuffer,
        ),
        (
            format!("bytes.fromhex('{}')", erldist_codec::hex::spaced(&b)),
            Format::PythonBytes,
        ),
    ];
    for (text, f) in cases {
        check(&text, f, &b, &[]);
    }
}
