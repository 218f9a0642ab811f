//! `erldist`: decode and encode EPMD, handshake and distribution frames in a terminal.

mod export;
mod render;

use clap::{Args, Parser, Subcommand, ValueEnum};
use erldist_codec::capture;
use erldist_codec::epmd::{self, Fields};
use erldist_codec::session::ProtocolChoice;
use erldist_codec::{DecodeOptions, DirectionChoice, FormatChoice};
use std::io::{Read, Write};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "erldist",
    version,
    about = "Decode and encode Erlang distribution / EPMD frames, every byte explained",
    after_help = "Examples:\n  \
        erldist decode capture.txt\n  \
        echo '00 01 6e' | erldist decode -\n  \
        erldist decode --json epmd.log\n  \
        erldist encode epmd ALIVE2_REQ --port 9506 --node-type 77 --name node\n  \
        erldist encode epmd --list\n  \
        erldist decode --cookie secret capture.streams.txt\n  \
        erldist encode handshake SEND_NAME --flags 0xd07df7fbd --creation 5 --name a@host\n  \
        erldist encode dist --list\n  \
        erldist flags 0xd07df7fbd --peer 0x4030f0f94 --peer-release 26\n  \
        erldist export --as erlang --frame 1 capture.txt\n  \
        erldist export --as pcapng -o capture.pcapng capture.streams.txt\n  \
        erldist encode epmd ALIVE2_REQ --port 9506 --name node --as python"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode hex, an `epmd -d -d -d` log, a TCP conversation (tshark
    /// follow dump, runs listing) or raw bytes into annotated frames: EPMD,
    /// the node handshake and the connected phase.
    Decode {
        /// Print the JSON report (docs/json-contract.md) instead of the layout.
        #[arg(long)]
        json: bool,
        /// Input format.
        #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
        format: FormatArg,
        /// Direction of the bytes (auto: inferred per frame, and said so).
        /// For a node connection, request = the initiator's bytes and reply
        /// = the acceptor's.
        #[arg(long, value_enum, default_value_t = DirectionArg::Auto)]
        direction: DirectionArg,
        /// Protocol: EPMD, a node connection (dist), or detect it.
        #[arg(long, value_enum, default_value_t = ProtocolArg::Auto)]
        protocol: ProtocolArg,
        /// The cookie: every challenge reply and ack is checked against it.
        #[arg(long)]
        cookie: Option<String>,
        /// In a capture: a TCP port epmd listens on (repeatable; default
        /// 4369). Connections to it are decoded as EPMD.
        #[arg(long = "epmd-port", value_name = "PORT")]
        epmd_port: Vec<u16>,
        /// The initiator's bytes of one node connection (with --acceptor):
        /// per-direction transcripts, in the input format.
        #[arg(
            long,
            value_name = "FILE",
            requires = "acceptor",
            conflicts_with = "file"
        )]
        initiator: Option<String>,
        /// The acceptor's bytes (with --initiator).
        #[arg(
            long,
            value_name = "FILE",
            requires = "initiator",
            conflicts_with = "file"
        )]
        acceptor: Option<String>,
        /// The input file, or - for standard input.
        #[arg(required_unless_present = "initiator")]
        file: Option<String>,
    },
    /// Build a frame from its fields and print its bytes as hex.
    Encode {
        #[command(subcommand)]
        protocol: EncodeProtocol,
    },
    /// External term format: bytes to Erlang text and back.
    Term {
        #[command(subcommand)]
        op: TermOp,
    },
    /// Capability flags: name every DFLAG bit of a word; with --peer, say
    /// whether the two nodes can connect and which mandatory flag is missing.
    Flags {
        /// The flag word (`0xd07df7fbd`, decimal, or `PUBLISHED|V4_NC|...`);
        /// with --peer, the initiator's.
        flags: String,
        /// The other node's word (the acceptor's).
        #[arg(long)]
        peer: Option<String>,
        /// OTP release of the first node (its mandatory flags are checked).
        #[arg(long, default_value_t = 25)]
        release: u32,
        /// OTP release of the peer.
        #[arg(long, default_value_t = 25)]
        peer_release: u32,
        /// Node names for the messages.
        #[arg(long, default_value = "a@host")]
        name: String,
        /// The peer's node name.
        #[arg(long, default_value = "b@host")]
        peer_name: String,
    },
    /// Export decoded frames as code that builds their bytes (Erlang,
    /// Elixir, JavaScript, Python, C, Rust, Go: a comment per field), as
    /// the frame JSON, or as a pcapng capture (synthetic TCP on 127.0.0.1,
    /// EPMD on 4369) that Wireshark opens. The input is read as `erldist
    /// decode` reads it.
    Export(export::ExportArgs),
}

#[derive(Subcommand)]
enum TermOp {
    /// Decode term_to_binary bytes (hex; 131 first, or a bare term as in
    /// distribution messages) and print the term as Erlang text.
    Decode {
        /// Print the JSON report (text, span tree, error) instead.
        #[arg(long)]
        json: bool,
        /// Also print the annotated byte layout.
        #[arg(long)]
        layout: bool,
        /// Standard input holds the raw bytes, not hex.
        #[arg(long)]
        raw: bool,
        /// The bytes as hex, or - to read standard input (terms can be megabytes).
        input: String,
    },
    /// Encode Erlang term text exactly as term_to_binary does; print hex.
    Encode {
        /// minor_version (0: FLOAT_EXT floats; 1: OTP 25's default, Latin-1 atoms; 2: UTF-8 atoms).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=2))]
        minor_version: u8,
        /// Compress as term_to_binary(T, [compressed]) (level 0..9, default 6).
        #[arg(long, num_args = 0..=1, default_missing_value = "6", require_equals = true,
              value_parser = clap::value_parser!(u32).range(0..=9))]
        compressed: Option<u32>,
        /// Sort map keys (term_to_binary's `deterministic`).
        #[arg(long)]
        deterministic: bool,
        /// Write the raw bytes instead of hex.
        #[arg(long)]
        raw: bool,
        /// The term (`{ok, [1,2,3], <<"bin">>, #{a => 1}}`), or - to read standard input.
        text: String,
    },
}

#[derive(Subcommand)]
enum EncodeProtocol {
    /// An EPMD request or reply: `erldist encode epmd TYPE --FIELD VALUE ...`
    /// (ALIVE2_REQ, PORT_PLEASE2_REQ, NAMES_REQ, ...; `--port 9506 --node-type 77 --name node`).
    ///
    /// Derived fields (length_prefix, name_len, extra_len) are computed unless
    /// given; giving one builds a deliberately inconsistent frame.
    Epmd(EncodeArgs),
    /// A node handshake message: `erldist encode handshake TYPE --FIELD VALUE ...`
    /// (SEND_NAME, STATUS, CHALLENGE, COMPLEMENT, CHALLENGE_REPLY, CHALLENGE_ACK, ...).
    ///
    /// `length` and `name_len` are computed unless given; `--flags` takes a
    /// number or names joined by `|`.
    Handshake(EncodeArgs),
    /// A connected-phase message (`131, 68, 0` header, control tuple,
    /// payload): `erldist encode dist REG_SEND --from-pid '#Pid<...>' --to-name rex --message '{hello}'`.
    /// Every field is Erlang term text; `op` is computed unless given.
    Dist(EncodeArgs),
}

/// What every `encode` subcommand takes.
#[derive(Args)]
struct EncodeArgs {
    /// List the message types and their fields.
    #[arg(long)]
    list: bool,
    /// Write the raw bytes instead of hex (for piping into a socket).
    #[arg(long)]
    raw: bool,
    /// The message type (see --list).
    #[arg(value_name = "TYPE", required_unless_present = "list")]
    message: Option<String>,
    /// Field values: --FIELD VALUE ... (see --list); --as LANG exports the frame as code.
    #[arg(
        value_name = "--FIELD VALUE",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    fields: Vec<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Auto,
    Hex,
    EpmdLog,
    /// Wireshark's Follow TCP Stream as hex (`tshark -q -z follow,tcp,hex,N`).
    TcpFollow,
    /// Per-stream runs (`*.streams.txt`).
    Streams,
    Raw,
    /// A pcap or pcapng capture (auto detects its magic number).
    Pcap,
    /// `xxd -p`: plain hex, 60 digits a line.
    XxdPlain,
    /// `xxd`.
    Xxd,
    /// `hexdump -C` / `hd`.
    HexdumpC,
    /// `hexdump` without options (2-byte little-endian words).
    Hexdump,
    /// `od` (`-A x -t x1z`, or the default octal words).
    Od,
    /// `tshark -x` / Wireshark "Copy as Hex Dump": whole packets.
    TsharkX,
    /// `tcpdump -x` / `-X`: packets from the IP header.
    TcpdumpX,
    /// `tcpdump -xx` / `-XX`: packets from the link header.
    TcpdumpXx,
    /// `<<120,37,34>>`, `<<9506:16, "node">>`.
    ErlangBinary,
    /// `<<120, 37, 34>>`, `<<9506::size(16)>>`.
    ElixirBinary,
    /// `[0, 14, 120]`, `new Uint8Array([...])`.
    JsArray,
    /// `b'\x00\x0ex'`, `bytes([...])`.
    PythonBytes,
    /// `{0x00, 0x0e}`.
    CArray,
    /// `[0x00u8, 0x0e]`, `vec![...]`, `b"..."`.
    RustArray,
    /// `[]byte{0x00, 0x0e}`.
    GoSlice,
    /// `<Buffer 00 0e ...>`, `Buffer.from([...])`.
    NodeBuffer,
    /// Base64, standard or URL-safe.
    Base64,
}

impl FormatArg {
    /// The codec's choice of the same name.
    fn choice(self) -> FormatChoice {
        self.to_possible_value()
            .and_then(|v| FormatChoice::from_name(v.get_name()))
            .unwrap_or(FormatChoice::Auto)
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum ProtocolArg {
    Auto,
    Epmd,
    Dist,
}

#[derive(Clone, Copy, ValueEnum)]
enum DirectionArg {
    Auto,
    Request,
    Reply,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("erldist: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Decode {
            json,
            format,
            direction,
            protocol,
            cookie,
            epmd_port,
            initiator,
            acceptor,
            file,
        } => {
            let opts = DecodeOptions {
                format: match format {
                    FormatArg::Auto => FormatChoice::Auto,
                    FormatArg::Hex => FormatChoice::Hex,
                    FormatArg::EpmdLog => FormatChoice::EpmdLog,
                    FormatArg::TcpFollow => FormatChoice::TcpFollow,
                    FormatArg::Streams => FormatChoice::Streams,
                    FormatArg::Raw => FormatChoice::Raw,
                    FormatArg::Pcap => FormatChoice::Pcap,
                    other => other.choice(),
                },
                direction: match direction {
                    DirectionArg::Auto => DirectionChoice::Auto,
                    DirectionArg::Request => DirectionChoice::Request,
                    DirectionArg::Reply => DirectionChoice::Reply,
                },
                protocol: match protocol {
                    ProtocolArg::Auto => ProtocolChoice::Auto,
                    ProtocolArg::Epmd => ProtocolChoice::Epmd,
                    ProtocolArg::Dist => ProtocolChoice::Dist,
                },
                cookie: cookie.map(String::into_bytes),
            };
            match (initiator, acceptor, file) {
                (Some(i), Some(a), _) => decode_transcripts(json, &opts, &i, &a),
                (_, _, Some(f)) => decode(json, &opts, &f, &epmd_port),
                _ => Err("give a FILE, or --initiator and --acceptor".into()),
            }
        }
        Command::Term { op } => term(op),
        Command::Export(a) => export::run(a),
        Command::Flags {
            flags,
            peer,
            release,
            peer_release,
            name,
            peer_name,
        } => {
            use erldist_codec::handshake::{explain, DistFlags, NodeProfile};
            let ours = DistFlags::parse(&flags).map_err(|e| format!("flags: {e}"))?;
            let mut out = String::new();
            out.push_str(&render::flags(ours));
            if let Some(p) = peer {
                let theirs = DistFlags::parse(&p).map_err(|e| format!("--peer: {e}"))?;
                let e = explain(
                    &NodeProfile::new(&name, ours, release),
                    &NodeProfile::new(&peer_name, theirs, peer_release),
                );
                out.push_str(&format!(
                    "\n{name} (OTP {release}) -> {peer_name} (OTP {peer_release}):\n"
                ));
                out.push_str(&e.to_string());
                print!("{out}");
                return Ok(if e.can_connect {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                });
            }
            print!("{out}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Encode { protocol } => {
            // The three protocols differ only in their schema listing, their
            // encoder and what the built bytes are decoded as.
            type Encoder = fn(&str, &Fields) -> Result<Vec<u8>, String>;
            let (kind, args, listing, encode): (_, _, fn() -> String, Encoder) = match protocol {
                EncodeProtocol::Epmd(args) => {
                    (export::Built::Epmd, args, render::schema_list, |m, f| {
                        epmd::encode_fields(m, f).map_err(|e| e.to_string())
                    })
                }
                EncodeProtocol::Handshake(args) => (
                    export::Built::Handshake,
                    args,
                    render::handshake_schema_list,
                    |m, f| erldist_codec::handshake::encode_fields(m, f).map_err(|e| e.to_string()),
                ),
                EncodeProtocol::Dist(args) => (
                    export::Built::Dist,
                    args,
                    render::dist_schema_list,
                    |m, f| {
                        erldist_codec::dist::encode_control_fields(m, f).map_err(|e| e.to_string())
                    },
                ),
            };
            let EncodeArgs {
                list,
                raw,
                message,
                fields,
            } = args;
            if list {
                print!("{}", listing());
                return Ok(ExitCode::SUCCESS);
            }
            let message = message.unwrap_or_default();
            let (as_, fields) = export::take_as(&fields)?;
            let fields = parse_field_args(&fields)?;
            let bytes = encode(&message, &fields)?;
            match as_ {
                Some(a) => export::built(kind, &message, &bytes, a),
                None => write_bytes(&bytes, raw),
            }
        }
    }
}

fn write_bytes(bytes: &[u8], raw: bool) -> Result<ExitCode, String> {
    let mut out = std::io::stdout().lock();
    if raw {
        out.write_all(bytes).map_err(|e| e.to_string())?;
    } else {
        writeln!(out, "{}", erldist_codec::hex::spaced(bytes)).map_err(|e| e.to_string())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn read_input(arg: &str) -> Result<Vec<u8>, String> {
    if arg == "-" {
        let mut input = Vec::new();
        std::io::stdin()
            .read_to_end(&mut input)
            .map_err(|e| format!("reading standard input: {e}"))?;
        Ok(input)
    } else {
        Ok(arg.as_bytes().to_vec())
    }
}

fn term(op: TermOp) -> Result<ExitCode, String> {
    use erldist_codec::etf::TermOptions;
    let mut out = std::io::stdout().lock();
    match op {
        TermOp::Decode {
            json,
            layout,
            raw,
            input,
        } => {
            let bytes = read_input(&input)?;
            let opts = TermOptions::default();
            let report = match (raw, std::str::from_utf8(&bytes)) {
                (false, Ok(text)) => erldist_codec::decode_term_text(text, &opts),
                _ => erldist_codec::decode_term_bytes(&bytes, &opts),
            };
            if json {
                let s = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
                writeln!(out, "{s}").map_err(|e| e.to_string())?;
            } else {
                out.write_all(render::term(&report, layout).as_bytes())
                    .map_err(|e| e.to_string())?;
            }
            Ok(if report.input_error.is_some() {
                ExitCode::from(2)
            } else if report.decoded.status.is_complete() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        TermOp::Encode {
            minor_version,
            compressed,
            deterministic,
            raw,
            text,
        } => {
            let bytes = read_input(&text)?;
            let text =
                String::from_utf8(bytes).map_err(|e| format!("the term text is not UTF-8: {e}"))?;
            let t = erldist_codec::etf::text::parse(&text).map_err(|e| e.to_string())?;
            let opts = erldist_codec::etf::otp::T2bOptions {
                minor_version,
                compressed,
                deterministic,
            };
            let b =
                erldist_codec::etf::otp::term_to_binary(&t, &opts).map_err(|e| e.to_string())?;
            if raw {
                out.write_all(&b).map_err(|e| e.to_string())?;
            } else {
                writeln!(out, "{}", erldist_codec::hex::spaced(&b)).map_err(|e| e.to_string())?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `--node-type 77 --name=node` → {node_type: 77, name: node}.
fn parse_field_args(args: &[String]) -> Result<Fields, String> {
    let mut fields = Fields::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let Some(flag) = a.strip_prefix("--") else {
            return Err(format!("expected --FIELD VALUE, found {a:?}"));
        };
        let (name, value) = match flag.split_once('=') {
            Some((n, v)) => (n.to_string(), v.to_string()),
            None => {
                let v = it.next().ok_or_else(|| format!("--{flag} needs a value"))?;
                (flag.to_string(), v.clone())
            }
        };
        fields.insert(name.replace('-', "_"), value);
    }
    Ok(fields)
}

fn read_file(file: &str) -> Result<Vec<u8>, String> {
    let mut input = Vec::new();
    if file == "-" {
        std::io::stdin()
            .read_to_end(&mut input)
            .map_err(|e| format!("reading standard input: {e}"))?;
    } else {
        input = std::fs::read(file).map_err(|e| format!("{file}: {e}"))?;
    }
    Ok(input)
}

/// A transcript's bytes: raw, or hex text.
fn transcript_bytes(file: &str, opts: &DecodeOptions) -> Result<Vec<u8>, String> {
    let input = read_file(file)?;
    match (opts.format, std::str::from_utf8(&input)) {
        (FormatChoice::Raw, _) | (FormatChoice::Auto, Err(_)) => Ok(input),
        (_, Ok(text)) => erldist_codec::input::parse_hex(text)
            .map(|p| p.bytes)
            .map_err(|e| format!("{file}: {e}")),
        (_, Err(e)) => Err(format!(
            "{file}: not text (invalid UTF-8 at byte {}); use --format raw for binary input",
            e.valid_up_to()
        )),
    }
}

fn decode_transcripts(
    json: bool,
    opts: &DecodeOptions,
    initiator: &str,
    acceptor: &str,
) -> Result<ExitCode, String> {
    let i = transcript_bytes(initiator, opts)?;
    let a = transcript_bytes(acceptor, opts)?;
    let mut o = opts.clone();
    if o.protocol == ProtocolChoice::Auto {
        o.protocol = ProtocolChoice::Dist;
    }
    let report = erldist_codec::report::decode_transcripts(&i, &a, &o);
    print_report(json, &report)
}

fn decode(
    json: bool,
    opts: &DecodeOptions,
    file: &str,
    epmd_ports: &[u16],
) -> Result<ExitCode, String> {
    // A capture is read as it is decoded: only its magic number first.
    let mut src: Box<dyn Read> = if file == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(file).map_err(|e| format!("{file}: {e}"))?)
    };
    let mut input = Vec::new();
    src.by_ref()
        .take(4)
        .read_to_end(&mut input)
        .map_err(|e| format!("{file}: {e}"))?;
    let auto = opts.format == FormatChoice::Auto;
    let is_capture = opts.format == FormatChoice::Pcap || (auto && capture::is_capture(&input));
    if !is_capture {
        src.read_to_end(&mut input)
            .map_err(|e| format!("{file}: {e}"))?;
    }
    if is_capture {
        let copts = capture::CaptureOptions {
            epmd_ports: if epmd_ports.is_empty() {
                vec![epmd::DEFAULT_PORT]
            } else {
                epmd_ports.to_vec()
            },
            cookie: opts.cookie.clone(),
            protocol: opts.protocol,
        };
        return capture_out(json, &mut src, &input, &copts, auto, file);
    }
    let report = match (opts.format, std::str::from_utf8(&input)) {
        (FormatChoice::Raw, _) | (FormatChoice::Auto, Err(_)) => {
            erldist_codec::decode_bytes(&input, opts)
        }
        (_, Ok(text)) => erldist_codec::decode_text(text, opts),
        (_, Err(e)) => {
            return Err(format!(
                "{file}: not text (invalid UTF-8 at byte {}); use --format raw for binary input",
                e.valid_up_to()
            ))
        }
    };
    print_report(json, &report)
}

/// Decodes a capture as it is read from `src` (after its `first` bytes):
/// frames go to `on_frame` as connections complete them, each connection
/// to `on_connection` (with its index) once it has ended or the file has.
fn read_capture(
    src: &mut dyn Read,
    first: &[u8],
    opts: &capture::CaptureOptions,
    file: &str,
    on_frame: &mut dyn FnMut(erldist_codec::Frame),
    on_connection: &mut dyn FnMut(usize, erldist_codec::report::Connection),
) -> Result<capture::CaptureSummary, String> {
    let mut decoder = capture::CaptureDecoder::new(opts.clone());
    let mut given: Vec<bool> = Vec::new();
    let mut hand_on = |decoder: &mut capture::CaptureDecoder, given: &mut Vec<bool>| {
        for (i, c) in decoder.take_finished() {
            if given.len() <= i {
                given.resize(i + 1, false);
            }
            if let Some(g) = given.get_mut(i) {
                *g = true;
            }
            on_connection(i, c);
        }
    };
    decoder.push(first, on_frame);
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        match src.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => decoder.push(chunk.get(..n).unwrap_or_default(), on_frame),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("{file}: {e}")),
        }
        hand_on(&mut decoder, &mut given);
    }
    let mut summary = decoder.finish(on_frame);
    // The connections not handed on yet fill the other indices, in order.
    let rest = std::mem::take(&mut summary.connections);
    let mut free = (0..).filter(|i| !given.get(*i).copied().unwrap_or(false));
    for c in rest {
        if let Some(i) = free.next() {
            on_connection(i, c);
        }
    }
    Ok(summary)
}

/// A capture, printed frame by frame as connections complete them, so
/// memory stays with the connections, not the frames. JSON: the report's
/// keys in the report's order. Text: the format line, the frames, then the
/// notes and connections.
fn capture_out(
    json: bool,
    src: &mut dyn Read,
    first: &[u8],
    opts: &capture::CaptureOptions,
    detected: bool,
    file: &str,
) -> Result<ExitCode, String> {
    let format = if first.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        "pcapng"
    } else {
        "pcap"
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut failed: Option<std::io::Error> = None;
    let mut invalid = false;
    let mut count = 0usize;
    let mut text = String::new();
    // Each connection, written out (JSON or text) when it ends.
    let mut connections: Vec<String> = Vec::new();
    let head = if json {
        write!(
            out,
            "{{\n  \"format\": \"{format}\",\n  \"format_detected\": {detected},\n  \"frames\": ["
        )
    } else {
        let how = if detected { "detected" } else { "given" };
        writeln!(out, "format: {format} ({how})")
    };
    if let Err(e) = head {
        failed = Some(e);
    }
    let summary = read_capture(
        src,
        first,
        opts,
        file,
        &mut |f| {
            invalid |= matches!(f.status, epmd::Status::Invalid(_));
            count += 1;
            if failed.is_some() {
                return;
            }
            let r = if json {
                let sep = if count == 1 { "\n" } else { ",\n" };
                out.write_all(sep.as_bytes())
                    .and_then(|()| serde_json::to_writer_pretty(&mut out, &f).map_err(Into::into))
            } else {
                text.clear();
                render::frame(&mut text, count, &f);
                out.write_all(text.as_bytes())
            };
            if let Err(e) = r {
                failed = Some(e);
            }
        },
        &mut |i, c| {
            if connections.len() <= i {
                connections.resize(i + 1, String::new());
            }
            if let Some(slot) = connections.get_mut(i) {
                if json {
                    *slot = serde_json::to_string_pretty(&c).unwrap_or_default();
                } else {
                    render::connection(slot, i, &c);
                }
            }
        },
    )?;
    let input_error = summary.input_error.is_some();
    let tail = (|| {
        if let Some(e) = failed {
            return Err(e);
        }
        if json {
            write!(out, "\n  ]")?;
            // The report's other keys (notes, input_error, ...) as the
            // report writes them; the connections as they were written.
            let rest = serde_json::to_value(summary.into_report(Vec::new()))?;
            for (k, v) in rest.as_object().into_iter().flatten() {
                if !matches!(
                    k.as_str(),
                    "format" | "format_detected" | "frames" | "connections"
                ) {
                    write!(out, ",\n  {}: ", serde_json::Value::from(k.as_str()))?;
                    serde_json::to_writer_pretty(&mut out, v)?;
                }
            }
            write!(out, ",\n  \"connections\": [")?;
            for (i, c) in connections.iter().enumerate() {
                out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
                out.write_all(c.as_bytes())?;
            }
            writeln!(out, "\n  ]\n}}")?;
        } else {
            let head = render::head(&summary.into_report(Vec::new()));
            // Without its format line, printed first.
            let rest = head.split_once('\n').map_or("", |(_, rest)| rest);
            writeln!(out)?;
            out.write_all(rest.as_bytes())?;
            for c in &connections {
                out.write_all(c.as_bytes())?;
            }
        }
        out.flush()
    })();
    match tail {
        // `erldist decode ... | head`: the reader went away; not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e.to_string()),
        Ok(()) if input_error => Ok(ExitCode::from(2)),
        Ok(()) if invalid => Ok(ExitCode::from(1)),
        Ok(()) => Ok(ExitCode::SUCCESS),
    }
}

fn print_report(json: bool, report: &erldist_codec::Report) -> Result<ExitCode, String> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = if json {
        // Streamed: no copy of the whole JSON text in memory.
        serde_json::to_writer_pretty(&mut out, report)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        out.write_all(render::report(report).as_bytes())
    }
    .and_then(|()| out.flush());
    match written {
        // `erldist decode ... | head`: the reader went away; not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        Err(e) => return Err(e.to_string()),
        Ok(()) => {}
    }
    if report.input_error.is_some() {
        return Ok(ExitCode::from(2));
    }
    let invalid = report
        .frames
        .iter()
        .any(|f| matches!(f.status, epmd::Status::Invalid(_)));
    Ok(if invalid {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
