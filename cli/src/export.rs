//! `erldist export` and `erldist encode ... --as LANG`: a decoded or built
//! frame (or every frame of the input) as code, JSON or a pcapng capture,
//! all written by the codec's `export` module from the span tree.

use super::{DirectionArg, FormatArg, ProtocolArg};
use clap::{Args, ValueEnum};
use erldist_codec::capture;
use erldist_codec::conn::Side;
use erldist_codec::epmd::{self, Direction};
use erldist_codec::export::pcapng::{self, PcapngOptions};
use erldist_codec::export::{self, ExportOptions, Lang};
use erldist_codec::input::conversation::{Chunk, Conversation};
use erldist_codec::session::ProtocolChoice;
use erldist_codec::{DecodeOptions, DirectionChoice, FormatChoice, Frame, Report, Source};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// What to export as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AsArg {
    /// Erlang bit syntax: <<17:16, 120, 9506:16, "node", 0:16>>.
    Erlang,
    /// Elixir bitstring: <<17::16, 120, ...>>.
    Elixir,
    /// JavaScript for Node: Buffer.from([...]).
    Js,
    /// JavaScript: new Uint8Array([...]).
    JsUint8array,
    /// Python with the field layout: struct.pack('>HBH...', ...) + b'node' + ...
    Python,
    /// Python: bytes([...]).
    PythonBytes,
    /// C: static const uint8_t frame[N] = {...};
    C,
    /// Rust: const FRAME: [u8; N] = [...];
    Rust,
    /// Go: var frame = []byte{...}
    Go,
    /// The report's frame JSON (an array of frames without --frame).
    Json,
    /// A capture file: each conversation on a synthetic TCP connection.
    Pcapng,
}

impl AsArg {
    fn lang(self) -> Option<Lang> {
        Some(match self {
            AsArg::Erlang => Lang::Erlang,
            AsArg::Elixir => Lang::Elixir,
            AsArg::Js => Lang::Js,
            AsArg::JsUint8array => Lang::JsUint8Array,
            AsArg::Python => Lang::Python,
            AsArg::PythonBytes => Lang::PythonBytes,
            AsArg::C => Lang::C,
            AsArg::Rust => Lang::Rust,
            AsArg::Go => Lang::Go,
            AsArg::Json | AsArg::Pcapng => return None,
        })
    }

    fn parse(s: &str) -> Result<AsArg, String> {
        <AsArg as ValueEnum>::from_str(s, true).map_err(|_| {
            let names: Vec<String> = AsArg::value_variants()
                .iter()
                .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_string()))
                .collect();
            format!("--as {s:?}: expected one of {}", names.join(", "))
        })
    }
}

/// `erldist export`'s arguments.
#[derive(Args)]
pub struct ExportArgs {
    /// What to write: code in a language, the frame JSON, or a pcapng capture.
    #[arg(long = "as", value_enum, value_name = "LANG")]
    pub as_: AsArg,
    /// Export only frame N (1-based, as `erldist decode` numbers them);
    /// without it, every frame, in order, with who sends each.
    #[arg(long, value_name = "N")]
    pub frame: Option<usize>,
    /// Input format.
    #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
    pub format: FormatArg,
    /// Direction of the bytes (as for `erldist decode`).
    #[arg(long, value_enum, default_value_t = DirectionArg::Auto)]
    pub direction: DirectionArg,
    /// Protocol: EPMD, a node connection (dist), or detect it.
    #[arg(long, value_enum, default_value_t = ProtocolArg::Auto)]
    pub protocol: ProtocolArg,
    /// The cookie, to check handshake digests.
    #[arg(long)]
    pub cookie: Option<String>,
    /// For a capture input: epmd's port (repeatable; default 4369).
    #[arg(long = "epmd-port", value_name = "PORT")]
    pub epmd_port: Vec<u16>,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<String>,
    /// The compact form: no comments, no title.
    #[arg(long)]
    pub no_comments: bool,
    /// The name the snippet's declaration binds (default `frame`).
    #[arg(long)]
    pub name: Option<String>,
    /// pcapng: the node's port for node connections whose port the input
    /// does not give (default: the port a PORT2_RESP or ALIVE2_REQ of the
    /// input names, else 9506). EPMD is always on 4369.
    #[arg(long, value_name = "PORT")]
    pub node_port: Option<u16>,
    /// pcapng: largest TCP payload per segment.
    #[arg(long, default_value_t = pcapng::LOOPBACK_MSS)]
    pub mss: usize,
    /// pcapng: time of the first packet, seconds since the Unix epoch
    /// (packets are 1 ms apart).
    #[arg(long, value_name = "SECONDS", default_value_t = 1_704_067_200)]
    pub start: u64,
    /// pcapng: leave the TCP checksums 0 (as with checksum offloading).
    #[arg(long)]
    pub no_tcp_checksums: bool,
    /// The input file, or - for standard input.
    pub file: String,
}

/// The decode options, mapped by the arguments' names (as `erldist decode`
/// maps them).
fn decode_options(a: &ExportArgs) -> DecodeOptions {
    let name = |v: Option<clap::builder::PossibleValue>| {
        v.map(|p| p.get_name().to_string()).unwrap_or_default()
    };
    DecodeOptions {
        format: FormatChoice::from_name(&name(a.format.to_possible_value()))
            .unwrap_or(FormatChoice::Auto),
        direction: match name(a.direction.to_possible_value()).as_str() {
            "request" => DirectionChoice::Request,
            "reply" => DirectionChoice::Reply,
            _ => DirectionChoice::Auto,
        },
        protocol: match name(a.protocol.to_possible_value()).as_str() {
            "epmd" => ProtocolChoice::Epmd,
            "dist" => ProtocolChoice::Dist,
            _ => ProtocolChoice::Auto,
        },
        cookie: a.cookie.clone().map(String::into_bytes),
    }
}

/// Decodes the input exactly as `erldist decode` does (captures included).
fn decode(a: &ExportArgs, opts: &DecodeOptions) -> Result<Report, String> {
    let file = &a.file;
    let input = super::read_file(file)?;
    let auto = opts.format == FormatChoice::Auto;
    let report = if opts.format == FormatChoice::Pcap || (auto && capture::is_capture(&input)) {
        let copts = capture::CaptureOptions {
            epmd_ports: if a.epmd_port.is_empty() {
                vec![epmd::DEFAULT_PORT]
            } else {
                a.epmd_port.clone()
            },
            cookie: opts.cookie.clone(),
            protocol: opts.protocol,
        };
        capture::decode_capture(&input, &copts)
    } else {
        match (opts.format, std::str::from_utf8(&input)) {
            (FormatChoice::Raw, _) | (FormatChoice::Auto, Err(_)) => {
                erldist_codec::decode_bytes(&input, opts)
            }
            (_, Ok(text)) => erldist_codec::decode_text(text, opts),
            (_, Err(e)) => return Err(not_text(file, e.valid_up_to())),
        }
    };
    if let Some(e) = &report.input_error {
        return Err(format!("{file}: {e}"));
    }
    Ok(report)
}

fn not_text(file: &str, at: usize) -> String {
    format!("{file}: not text (invalid UTF-8 at byte {at}); use --format raw for binary input")
}

fn pcapng_options(a: &ExportArgs) -> PcapngOptions {
    PcapngOptions {
        start_ns: a.start.saturating_mul(1_000_000_000),
        tcp_checksums: !a.no_tcp_checksums,
        mss: a.mss,
        node_port: a.node_port,
        ..PcapngOptions::default()
    }
}

/// `erldist export`.
pub fn run(a: ExportArgs) -> Result<ExitCode, String> {
    let report = decode(&a, &decode_options(&a))?;
    let chosen: Vec<(usize, &Frame)> = match a.frame {
        Some(n) => {
            let f = n
                .checked_sub(1)
                .and_then(|i| report.frames.get(i))
                .ok_or_else(|| {
                    format!(
                        "--frame {n}: the input has {} frame(s), numbered from 1",
                        report.frames.len()
                    )
                })?;
            vec![(n - 1, f)]
        }
        None => report.frames.iter().enumerate().collect(),
    };
    if chosen.is_empty() {
        return Err(format!("{}: no frames to export", a.file));
    }
    let opts = ExportOptions {
        comments: !a.no_comments,
        name: a.name.clone(),
        title: None,
    };
    let out: Vec<u8> = match (a.as_, a.as_.lang()) {
        (_, Some(lang)) => match chosen.as_slice() {
            [(_, f)] if a.frame.is_some() => export::export_frame(f, lang, &opts),
            _ => export::export_session(&report.frames, lang, &opts),
        }
        .into_bytes(),
        (AsArg::Json, None) => {
            let mut s = match chosen.as_slice() {
                [(_, f)] if a.frame.is_some() => export::frame_json(f)?,
                _ => export::frames_json(&report.frames)?,
            };
            s.push('\n');
            s.into_bytes()
        }
        (_, None) => pcapng::write_frames(
            &chosen,
            &report.connections,
            &report.frames,
            &pcapng_options(&a),
        )
        .map_err(|e| e.to_string())?,
    };
    write_out(&out, a.output.as_deref(), a.as_ == AsArg::Pcapng)
}

fn write_out(bytes: &[u8], output: Option<&str>, binary: bool) -> Result<ExitCode, String> {
    match output {
        Some(path) if path != "-" => {
            std::fs::write(path, bytes).map_err(|e| format!("{path}: {e}"))?;
        }
        _ => {
            let mut o = std::io::stdout().lock();
            if binary && o.is_terminal() {
                return Err(
                    "a pcapng file is binary: give -o FILE or redirect standard output".into(),
                );
            }
            match o.write_all(bytes).and_then(|()| o.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                r => r.map_err(|e| e.to_string())?,
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Takes `--as LANG` / `--as=LANG` out of an encode command's trailing
/// field arguments (where clap leaves it when it follows the TYPE).
pub fn take_as(fields: &[String]) -> Result<(Option<AsArg>, Vec<String>), String> {
    let mut rest = Vec::with_capacity(fields.len());
    let mut found = None;
    let mut it = fields.iter();
    while let Some(f) = it.next() {
        if f == "--as" {
            let v = it
                .next()
                .ok_or("--as needs a value (erlang, js, python, c, ...)")?;
            found = Some(AsArg::parse(v)?);
        } else if let Some(v) = f.strip_prefix("--as=") {
            found = Some(AsArg::parse(v)?);
        } else {
            rest.push(f.clone());
        }
    }
    Ok((found, rest))
}

/// What a built frame is.
#[derive(Clone, Copy)]
pub enum Built {
    /// `erldist encode epmd`.
    Epmd,
    /// `erldist encode handshake`.
    Handshake,
    /// `erldist encode dist`.
    Dist,
}

/// A built frame decoded back into the report's frame (the span tree the
/// export writes from), exactly as `erldist decode` would decode it as a
/// conversation's first frame from its sender (a DUMP_RESP after its
/// DUMP_REQ, since its bytes alone read as a NAMES_RESP): the builder is
/// the decoder run backwards.
fn built_frame(kind: Built, type_name: &str, bytes: &[u8]) -> Result<Frame, String> {
    let name = type_name.trim();
    let (protocol, side) = match kind {
        Built::Epmd => {
            let dir = epmd::message_types()
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map_or(Direction::Request, |(_, d)| *d);
            let side = match dir {
                Direction::Request => Side::Initiator,
                Direction::Reply => Side::Acceptor,
            };
            (ProtocolChoice::Epmd, side)
        }
        Built::Handshake => {
            let side = erldist_codec::handshake::message_types()
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map_or(Side::Initiator, |(_, s)| *s);
            (ProtocolChoice::Dist, side)
        }
        Built::Dist => (ProtocolChoice::Dist, Side::Initiator),
    };
    let mut chunks = Vec::new();
    if matches!(kind, Built::Epmd) && name.eq_ignore_ascii_case("DUMP_RESP") {
        chunks.push(Chunk {
            side: Side::Initiator,
            bytes: vec![0, 1, epmd::DUMP_REQ],
            line: 0,
        });
    }
    chunks.push(Chunk {
        side,
        bytes: bytes.to_vec(),
        line: 0,
    });
    let conv = Conversation {
        chunks,
        ..Conversation::default()
    };
    let opts = DecodeOptions {
        protocol,
        ..DecodeOptions::default()
    };
    let report = erldist_codec::report::decode_conversations(std::slice::from_ref(&conv), &opts);
    let mut frames = report.frames.into_iter().filter(|f| f.side == side);
    let mut f = frames
        .next()
        .ok_or_else(|| format!("{name}: the built bytes decode to no frame"))?;
    if f.bytes.len() != bytes.len() || frames.next().is_some() {
        return Err(format!(
            "{name}: the built bytes decode as more than one frame; export the bytes with `erldist export`"
        ));
    }
    f.stream = None;
    f.line = None;
    f.direction_source = Source::Given;
    f.direction_reason = format!("given: built by erldist encode ({name})");
    if matches!(kind, Built::Handshake) {
        // Alone, a message is out of sequence: keep only what the message
        // itself says, not the tracker's "unexpected here".
        f.notes = erldist_codec::handshake::decode_frame(bytes, 0, side)
            .frame
            .notes;
    }
    Ok(f)
}

/// `erldist encode ... --as LANG`: the built frame as code, JSON or pcapng
/// (pcapng on standard output).
pub fn built(kind: Built, type_name: &str, bytes: &[u8], as_: AsArg) -> Result<ExitCode, String> {
    let f = built_frame(kind, type_name, bytes)?;
    let out = match (as_, as_.lang()) {
        (_, Some(lang)) => export::export_frame(&f, lang, &ExportOptions::default()).into_bytes(),
        (AsArg::Json, None) => {
            let mut s = export::frame_json(&f)?;
            s.push('\n');
            s.into_bytes()
        }
        (_, None) => {
            let frames = [f];
            let chosen: Vec<(usize, &Frame)> = frames.iter().enumerate().collect();
            pcapng::write_frames(&chosen, &[], &frames, &PcapngOptions::default())
                .map_err(|e| e.to_string())?
        }
    };
    write_out(&out, None, as_ == AsArg::Pcapng)
}
