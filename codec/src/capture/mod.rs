//! Packet captures (pcap, pcapng): every TCP connection of a capture put
//! back together and decoded as whole sessions, streaming.
//!
//! * [`file`] reads the packets of the file (with `pcap-parser`, from the
//!   input slice: the file is never copied);
//! * [`net`] reads each packet's link, IP and TCP headers;
//! * [`tcp`] reassembles each direction of each connection (out-of-order
//!   segments put back in order, retransmissions and overlaps dropped,
//!   missing bytes reported as gaps, sequence numbers wrapping);
//! * this module numbers the connections by their first packet (as
//!   Wireshark's `tcp.stream`), decides which side connected (the SYN; else
//!   an epmd port or a node port epmd announced earlier in the capture; else
//!   the bytes; else a guess, said so), and feeds each connection's bytes to
//!   a [`Session`] as they are reassembled, in capture order across both
//!   directions.
//!
//! Memory stays proportional to the bytes waiting for a hole or for the
//! rest of a frame, not to the file: [`decode_capture_with`] hands each
//! frame on as soon as it is complete; [`decode_capture`] collects them
//! into a [`Report`].
//!
//! ```
//! use erldist_codec::capture::{decode_capture, CaptureOptions};
//! // A pcap file with no packets.
//! let mut pcap = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
//! pcap.extend_from_slice(&[0; 8]);
//! pcap.extend_from_slice(&[0xff, 0xff, 0, 0, 1, 0, 0, 0]);
//! let report = decode_capture(&pcap, &CaptureOptions::default());
//! assert_eq!(report.format, "pcap");
//! assert!(report.frames.is_empty());
//! ```

pub mod file;
pub mod net;
pub mod tcp;

use crate::conn::Side;
use crate::epmd;
use crate::input::InputError;
use crate::reader::DecodeError;
use crate::report::{self, Connection, Frame, Report, Source};
use crate::session::{Phase, Protocol, ProtocolChoice, Session, SessionFrame, SessionOptions};
use crate::span::Value;
use file::Timestamp;
use net::{Content, TcpFlags, TcpSegment};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use tcp::{Piece, Reassembler};

/// Options for [`decode_capture`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureOptions {
    /// TCP ports epmd listens on: a connection to one is decoded as EPMD.
    /// Empty: EPMD is recognized by its bytes only.
    pub epmd_ports: Vec<u16>,
    /// The cookie, to check handshake digests.
    pub cookie: Option<Vec<u8>>,
    /// Decode every connection as this protocol, or decide per connection.
    pub protocol: ProtocolChoice,
}

impl Default for CaptureOptions {
    /// epmd on its default port 4369, no cookie, protocol detected.
    fn default() -> CaptureOptions {
        CaptureOptions {
            epmd_ports: vec![epmd::DEFAULT_PORT],
            cookie: None,
            protocol: ProtocolChoice::Auto,
        }
    }
}

/// True when the bytes start with a pcap or pcapng magic number.
pub fn is_capture(data: &[u8]) -> bool {
    file::detect(data).is_some()
}

/// What a capture held besides its frames (see [`decode_capture_with`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureSummary {
    /// `pcap` or `pcapng`.
    pub format: &'static str,
    /// One per TCP connection, numbered as Wireshark's `tcp.stream`.
    pub connections: Vec<Connection>,
    /// What was skipped or repaired: packets that are not TCP (counted by
    /// kind), packets that could not be read, retransmissions, gaps.
    pub notes: Vec<String>,
    /// The file could not be read at all (not a capture, header damaged).
    pub input_error: Option<InputError>,
    /// Packets read.
    pub packets: u64,
    /// Frames handed on.
    pub frames: u64,
}

impl CaptureSummary {
    /// The [`Report`] of a capture whose frames are `frames`.
    pub fn into_report(self, frames: Vec<Frame>) -> Report {
        report::capture_report(
            self.format,
            frames,
            self.notes,
            self.input_error,
            self.connections,
        )
    }
}

/// Where in the capture a frame was completed: handed on with each frame by
/// [`CaptureDecoder::push_marked`] and [`CaptureDecoder::finish_marked`]
/// (for a packet list: a time and packet column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FrameMark {
    /// 1-based number of the packet that completed the frame (Wireshark's
    /// `frame.number`).
    pub packet: u64,
    /// That packet's time since the capture's first timestamped packet, in
    /// nanoseconds; `None` when the capture has no timestamps.
    pub nanos: Option<u64>,
}

impl FrameMark {
    /// The time as `seconds.micros` text (`2.018229`), as in the frames'
    /// `direction_reason`; empty without timestamps.
    pub fn time_text(&self) -> String {
        self.nanos.map_or_else(String::new, |n| {
            format!("{}.{:06}", n / 1_000_000_000, (n % 1_000_000_000) / 1000)
        })
    }
}

/// Decodes a capture file into a [`Report`]: every frame of every TCP
/// connection (`stream` = the connection's index, as `tcp.stream`), the
/// connections with `initiator`/`acceptor` as `ip:port`, and notes on what
/// was skipped.
pub fn decode_capture(data: &[u8], opts: &CaptureOptions) -> Report {
    let mut frames = Vec::new();
    let summary = decode_capture_with(data, opts, &mut |f| frames.push(f));
    summary.into_report(frames)
}

/// Decodes a capture file, handing each frame to `on_frame` as soon as the
/// packet that completes it has been read (frames of different connections
/// interleave in capture order).
pub fn decode_capture_with(
    data: &[u8],
    opts: &CaptureOptions,
    on_frame: &mut dyn FnMut(Frame),
) -> CaptureSummary {
    let mut d = CaptureDecoder::new(opts.clone());
    let on = &mut |f: Frame, _: FrameMark| on_frame(f);
    d.run(data, true, on);
    d.end(on)
}

/// A capture decoded as it is read: [`CaptureDecoder::push`] the file's
/// bytes in pieces of any size, then [`CaptureDecoder::finish`]. Only the
/// block being read is kept (plus what the connections wait for), so a
/// large file never needs to be in memory. Sans-IO: the caller reads.
#[derive(Debug)]
pub struct CaptureDecoder {
    reader: file::Reader,
    /// Bytes of a block not yet whole.
    buf: Vec<u8>,
    driver: Driver,
    /// The file could not be read past this point.
    file_error: Option<DecodeError>,
}

impl CaptureDecoder {
    /// A decoder at the start of a file.
    pub fn new(opts: CaptureOptions) -> CaptureDecoder {
        CaptureDecoder {
            reader: file::Reader::new(),
            buf: Vec::new(),
            driver: Driver {
                flows: Vec::new(),
                by_key: BTreeMap::new(),
                ended: Vec::new(),
                out: Out {
                    opts,
                    pending: Vec::new(),
                    node_ports: BTreeMap::new(),
                    frames: 0,
                    start: None,
                },
                packets: 0,
                tcp_packets: 0,
                other: BTreeMap::new(),
                errors: 0,
                error_notes: Vec::new(),
                links: Vec::new(),
            },
            file_error: None,
        }
    }

    /// The next bytes of the file; frames completed by them go to
    /// `on_frame`.
    pub fn push(&mut self, chunk: &[u8], on_frame: &mut dyn FnMut(Frame)) {
        self.push_marked(chunk, &mut |f, _| on_frame(f));
    }

    /// [`CaptureDecoder::push`], each frame handed on with where the
    /// capture completed it (packet number and time).
    pub fn push_marked(&mut self, chunk: &[u8], on_frame: &mut dyn FnMut(Frame, FrameMark)) {
        if self.buf.is_empty() {
            let used = self.run(chunk, false, on_frame);
            self.buf
                .extend_from_slice(chunk.get(used..).unwrap_or_default());
        } else {
            self.buf.extend_from_slice(chunk);
            let buf = std::mem::take(&mut self.buf);
            let used = self.run(&buf, false, on_frame);
            self.buf = buf;
            self.buf.drain(..used.min(self.buf.len()));
        }
    }

    /// The connections that ended (both FINs, or a RST) since the last
    /// call, with their index (the frames' `stream`), so that a caller can
    /// write them out and drop them. [`CaptureDecoder::finish`]'s summary
    /// then holds the connections not taken, in index order: together with
    /// the taken ones they are every index from 0.
    pub fn take_finished(&mut self) -> Vec<(usize, Connection)> {
        let d = &mut self.driver;
        let mut out = Vec::with_capacity(d.ended.len());
        for i in d.ended.drain(..) {
            if let Some(c) = d.flows.get_mut(i).and_then(|f| f.conn.take()) {
                out.push((i, c));
            }
        }
        out
    }

    /// The end of the file: every connection is finished (holes become
    /// gaps, sessions flush what they hold); returns the connections (those
    /// not taken) and notes.
    pub fn finish(self, on_frame: &mut dyn FnMut(Frame)) -> CaptureSummary {
        self.finish_marked(&mut |f, _| on_frame(f))
    }

    /// [`CaptureDecoder::finish`], each frame handed on with its
    /// [`FrameMark`].
    pub fn finish_marked(mut self, on_frame: &mut dyn FnMut(Frame, FrameMark)) -> CaptureSummary {
        let buf = std::mem::take(&mut self.buf);
        self.run(&buf, true, on_frame);
        self.end(on_frame)
    }

    /// Reads packets off the front of `data`; returns how many bytes were
    /// used.
    fn run(&mut self, data: &[u8], eof: bool, on_frame: &mut dyn FnMut(Frame, FrameMark)) -> usize {
        let mut pos = 0usize;
        loop {
            let rest = data.get(pos..).unwrap_or_default();
            match self.reader.next(rest, eof) {
                file::Next::Packet(p, n) => {
                    pos += n;
                    self.driver.packet(&p);
                    for (f, m) in self.driver.out.pending.drain(..) {
                        on_frame(f, m);
                    }
                }
                file::Next::Skip(n) => pos += n,
                file::Next::More | file::Next::End => break,
                file::Next::Error(e) => {
                    self.file_error = Some(e);
                    break;
                }
            }
        }
        pos
    }

    fn end(mut self, on_frame: &mut dyn FnMut(Frame, FrameMark)) -> CaptureSummary {
        let d = &mut self.driver;
        d.finish();
        for (f, m) in d.out.pending.drain(..) {
            on_frame(f, m);
        }
        let format = self
            .reader
            .format()
            .map_or("pcap", file::CaptureFormat::as_str);
        if !self.reader.started() {
            let e = self.file_error.take().unwrap_or_else(|| DecodeError {
                offset: 0,
                field: "capture".into(),
                message: "empty input".into(),
            });
            return CaptureSummary {
                format,
                connections: Vec::new(),
                notes: Vec::new(),
                input_error: Some(InputError {
                    line: 1,
                    column: e.offset.saturating_add(1),
                    message: format!("byte {}: {}: {}", e.offset, e.field, e.message),
                }),
                packets: 0,
                frames: 0,
            };
        }
        let mut notes = Vec::new();
        let links: Vec<String> = d.links.iter().map(ToString::to_string).collect();
        let mut summary = format!(
            "{format}: {} packets (link type {}); {} TCP in {} connections",
            d.packets,
            if links.is_empty() {
                "none".to_string()
            } else {
                links.join(", ")
            },
            d.tcp_packets,
            d.flows.len()
        );
        let other: u64 = d.other.values().sum();
        if other > 0 {
            let kinds: Vec<String> = d.other.iter().map(|(k, n)| format!("{n} {k}")).collect();
            summary.push_str(&format!("; {other} not TCP, skipped: {}", kinds.join(", ")));
        }
        if d.errors > 0 {
            summary.push_str(&format!("; {} could not be read", d.errors));
        }
        notes.push(summary);
        for (what, n) in self.reader.skipped() {
            notes.push(format!("pcapng: {n} {what} block(s) skipped"));
        }
        notes.append(&mut d.error_notes);
        if d.errors > MAX_ERROR_NOTES {
            notes.push(format!(
                "... and {} more packets that could not be read",
                d.errors - MAX_ERROR_NOTES
            ));
        }
        if let Some(e) = &self.file_error {
            notes.push(format!(
                "the capture ends early: byte {}: {}: {} (everything before it was decoded)",
                e.offset, e.field, e.message
            ));
        }
        let mut connections = Vec::with_capacity(d.flows.len());
        for f in &mut d.flows {
            notes.append(&mut f.dec.notes);
            if let Some(c) = f.conn.take() {
                connections.push(c);
            }
        }
        CaptureSummary {
            format,
            connections,
            notes,
            input_error: None,
            packets: d.packets,
            frames: d.out.frames,
        }
    }
}

/// Packet errors listed one by one in the notes; more are counted.
const MAX_ERROR_NOTES: u64 = 20;

/// The packet being read.
#[derive(Debug, Clone, Copy)]
struct Ctx {
    packet: u64,
    time: Timestamp,
}

/// What every connection's decoding shares.
#[derive(Debug)]
struct Out {
    opts: CaptureOptions,
    /// Frames completed by the packet being read.
    pending: Vec<(Frame, FrameMark)>,
    /// Node ports epmd announced (PORT2_RESP) or was told (ALIVE2_REQ),
    /// with where.
    node_ports: BTreeMap<u16, String>,
    frames: u64,
    /// Time of the first packet.
    start: Option<Timestamp>,
}

#[derive(Debug)]
struct Driver {
    flows: Vec<Flow>,
    /// Both addresses (lower first) to the connection's index.
    by_key: BTreeMap<(SocketAddr, SocketAddr), usize>,
    /// Connections ended since the last [`CaptureDecoder::take_finished`].
    ended: Vec<usize>,
    out: Out,
    packets: u64,
    tcp_packets: u64,
    other: BTreeMap<String, u64>,
    errors: u64,
    error_notes: Vec<String>,
    links: Vec<net::LinkType>,
}

/// One TCP connection.
#[derive(Debug)]
struct Flow {
    /// The sender of its first packet, then the other end.
    addrs: [SocketAddr; 2],
    /// Reassembly per sender (same index as `addrs`).
    dirs: [Reassembler; 2],
    dec: Dec,
    first: Ctx,
    last: Ctx,
    packets: u64,
    /// Both ends closed (or the capture ended): decoded to the end.
    closed: bool,
    /// The finished connection, until taken.
    conn: Option<Connection>,
}

/// Who connected, and how that is known.
#[derive(Debug, Clone)]
struct Initiator {
    /// Index into `addrs`.
    addr: usize,
    why: String,
    source: Source,
    /// The protocol, when the bytes that told the side also tell it.
    hint: Option<Protocol>,
}

/// The decoding side of one connection.
#[derive(Debug)]
struct Dec {
    index: usize,
    addrs: [SocketAddr; 2],
    initiator: Option<Initiator>,
    session: Option<Session>,
    /// The protocol reason when the port decided it (the session is told).
    forced: Option<String>,
    /// Protocol and reason of the latest session.
    protocol: Option<Protocol>,
    protocol_reason: String,
    /// Per side (initiator, acceptor): stream position up to which bytes
    /// went to the session (or were skipped).
    fed: [u64; 2],
    /// Stream position where the current session's bytes start.
    base: [u64; 2],
    /// End of the last frame handed on, per side.
    done_to: [u64; 2],
    /// After a gap: bytes are skipped until a segment starts like a frame.
    resync: [bool; 2],
    skipped: [u64; 2],
    restarts: u64,
    ended: [bool; 2],
    notes: Vec<String>,
    /// The last session's details (kept across a restart).
    details: Vec<(String, Value)>,
}

fn si(side: Side) -> usize {
    match side {
        Side::Initiator => 0,
        Side::Acceptor => 1,
    }
}

fn get2<T: Copy + Default>(a: &[T; 2], i: usize) -> T {
    a.get(i).copied().unwrap_or_default()
}

fn add2(a: &mut [u64; 2], i: usize, n: u64) {
    if let Some(x) = a.get_mut(i) {
        *x = x.saturating_add(n);
    }
}

fn set2<T>(a: &mut [T; 2], i: usize, v: T) {
    if let Some(x) = a.get_mut(i) {
        *x = v;
    }
}

impl Driver {
    fn packet(&mut self, p: &file::RawPacket<'_>) {
        self.packets += 1;
        if !self.links.contains(&p.link) {
            self.links.push(p.link);
        }
        let ctx = Ctx {
            packet: p.number,
            time: p.time,
        };
        if p.time != Timestamp::default() {
            self.out.start.get_or_insert(p.time);
        }
        match net::parse_packet_content(p.link, p.data, p.offset) {
            Ok(content) => match content {
                Content::Tcp(seg) => {
                    self.tcp_packets += 1;
                    let payload = p.data.get(seg.payload.clone()).unwrap_or(&[]);
                    self.segment(&seg, payload, ctx);
                }
                Content::Other(what) => {
                    let kind = what.split(" (").next().unwrap_or(what.as_str()).to_string();
                    *self.other.entry(kind).or_insert(0) += 1;
                }
            },
            Err(e) => {
                self.errors += 1;
                if self.errors <= MAX_ERROR_NOTES {
                    let cut = if usize::try_from(p.orig_len).is_ok_and(|o| o > p.data.len()) {
                        format!(
                            " ({} of {} bytes captured: snapshot length)",
                            p.data.len(),
                            p.orig_len
                        )
                    } else {
                        String::new()
                    };
                    self.error_notes.push(format!(
                        "packet {}: byte {}: {}: {}{cut}; skipped",
                        p.number, e.offset, e.field, e.message
                    ));
                }
            }
        }
    }

    fn segment(&mut self, seg: &TcpSegment, payload: &[u8], ctx: Ctx) {
        let key = if seg.src <= seg.dst {
            (seg.src, seg.dst)
        } else {
            (seg.dst, seg.src)
        };
        let syn = seg.flags.contains(TcpFlags::SYN);
        let ack = seg.flags.contains(TcpFlags::ACK);
        let mut idx = self.by_key.get(&key).copied();
        // A new SYN on the addresses of a finished connection (or with
        // another initial sequence number) starts a new connection.
        if let (Some(i), true, false) = (idx, syn, ack) {
            if let Some(f) = self.flows.get(i) {
                let d = usize::from(f.addrs[0] != seg.src);
                let other_isn = f.dirs.get(d).and_then(Reassembler::isn);
                if f.closed
                    || f.dirs.iter().all(Reassembler::ended)
                    || other_isn.is_some_and(|isn| isn != seg.seq)
                {
                    self.close_flow(i);
                    idx = None;
                }
            }
        }
        let i = match idx {
            Some(i) => i,
            None => {
                let i = self.flows.len();
                let addrs = [seg.src, seg.dst];
                self.flows.push(Flow {
                    addrs,
                    dirs: [Reassembler::new(), Reassembler::new()],
                    dec: Dec::new(i, addrs),
                    first: ctx,
                    last: ctx,
                    packets: 0,
                    closed: false,
                    conn: None,
                });
                self.by_key.insert(key, i);
                i
            }
        };
        let Some(flow) = self.flows.get_mut(i) else {
            return;
        };
        flow.packets += 1;
        flow.last = ctx;
        let d = usize::from(flow.addrs[0] != seg.src);
        if flow.dec.initiator.is_none() {
            if syn {
                let (addr, why) = if ack {
                    (1 - d, "the other end sent the SYN/ACK")
                } else {
                    (d, "its SYN was seen")
                };
                flow.dec.initiator = Some(Initiator {
                    addr,
                    why: why.to_string(),
                    source: Source::Log,
                    hint: None,
                });
            } else {
                flow.dec.initiator = by_port(&flow.addrs, &self.out);
            }
        }
        let out = &mut self.out;
        let dec = &mut flow.dec;
        let fin = seg.flags.contains(TcpFlags::FIN);
        let rst = seg.flags.contains(TcpFlags::RST);
        if let Some(r) = flow.dirs.get_mut(d) {
            r.segment(seg.seq, syn, fin, rst, payload, &mut |piece| {
                dec.piece(d, piece, out, ctx)
            });
        }
        if ack {
            if let Some(r) = flow.dirs.get_mut(1 - d) {
                r.acked(seg.ack, &mut |piece| dec.piece(1 - d, piece, out, ctx));
            }
        }
        if rst {
            // A reset ends both directions.
            if let Some(r) = flow.dirs.get_mut(1 - d) {
                r.segment(seg.ack, false, false, true, &[], &mut |piece| {
                    dec.piece(1 - d, piece, out, ctx)
                });
            }
        }
        if flow.dirs.iter().all(Reassembler::ended) {
            self.close_flow(i);
        }
    }

    /// Ends a connection: holes become gaps, the session is finished and
    /// its connection entry written.
    fn close_flow(&mut self, i: usize) {
        let Some(flow) = self.flows.get_mut(i) else {
            return;
        };
        if flow.closed {
            return;
        }
        flow.closed = true;
        let ctx = flow.last;
        let out = &mut self.out;
        let dec = &mut flow.dec;
        for (d, r) in flow.dirs.iter_mut().enumerate() {
            r.finish(&mut |piece| dec.piece(d, piece, out, ctx));
        }
        dec.finish(out, ctx);
        let stats = [flow.dirs[0].stats, flow.dirs[1].stats];
        let conn = dec.connection(flow.first, flow.last, flow.packets, stats, out.start);
        flow.conn = Some(conn);
        self.ended.push(i);
        // Free the reassembly buffers.
        flow.dirs = [Reassembler::new(), Reassembler::new()];
    }

    fn finish(&mut self) {
        for i in 0..self.flows.len() {
            self.close_flow(i);
        }
    }
}

/// The acceptor by port: an epmd port, or a node port epmd announced.
fn by_port(addrs: &[SocketAddr; 2], out: &Out) -> Option<Initiator> {
    let epmd = |a: &SocketAddr| out.opts.epmd_ports.contains(&a.port());
    let node = |a: &SocketAddr| out.node_ports.contains_key(&a.port());
    let (acc, why) = match addrs {
        [a, b] if epmd(b) && !epmd(a) => (1, "an epmd port"),
        [a, b] if epmd(a) && !epmd(b) => (0, "an epmd port"),
        [a, b] if node(b) && !node(a) => (1, "a node port epmd announced"),
        [a, b] if node(a) && !node(b) => (0, "a node port epmd announced"),
        _ => return None,
    };
    let port = addrs.get(acc).map_or(0, SocketAddr::port);
    Some(Initiator {
        addr: 1 - acc,
        why: format!("the SYN was not captured; the other end's port {port} is {why}"),
        source: Source::Inferred,
        hint: None,
    })
}

/// Who sent a first payload, from its bytes, when nothing else says.
fn by_content(d: usize, first: &[u8]) -> Initiator {
    let (side, why) = crate::session::infer_side(first);
    let (side, why, hint) = if why.contains("nothing says") || why.contains("cannot be told") {
        match first.first() {
            Some(&(epmd::ALIVE2_X_RESP | epmd::ALIVE2_RESP | epmd::PORT2_RESP)) => (
                Side::Acceptor,
                "its first bytes start with an epmd reply code".to_string(),
                Some(Protocol::Epmd),
            ),
            _ => (
                Side::Initiator,
                "guessed: it sent the first payload (nothing else says which side connected)"
                    .to_string(),
                None,
            ),
        }
    } else {
        // A send_name or a status: a node connection.
        (side, why, Some(Protocol::Dist))
    };
    let addr = match side {
        Side::Initiator => d,
        Side::Acceptor => 1 - d,
    };
    Initiator {
        addr,
        why: format!("the SYN was not captured; {why}"),
        source: Source::Inferred,
        hint,
    }
}

/// True when bytes may start a frame of `protocol` sent by `side` (where
/// decoding picks up again after a gap).
fn frame_start(protocol: Option<Protocol>, side: Side, b: &[u8]) -> bool {
    match protocol {
        Some(Protocol::Dist) => match b {
            [0, 0, 0, 0, ..] => true,
            [a, b2, c, d, 131 | 112, ..] => {
                (2..1 << 28).contains(&u32::from_be_bytes([*a, *b2, *c, *d]))
            }
            [0, n, tag, ..] => *n > 0 && b"nNsrac".contains(tag),
            _ => false,
        },
        Some(Protocol::Epmd) if side == Side::Initiator => match b {
            [x, y, code, ..] => {
                u16::from_be_bytes([*x, *y]) > 0 && epmd::request_name(*code).is_some()
            }
            _ => false,
        },
        _ => true,
    }
}

impl Dec {
    fn new(index: usize, addrs: [SocketAddr; 2]) -> Dec {
        Dec {
            index,
            addrs,
            initiator: None,
            session: None,
            forced: None,
            protocol: None,
            protocol_reason: String::new(),
            fed: [0; 2],
            base: [0; 2],
            done_to: [0; 2],
            resync: [false; 2],
            skipped: [0; 2],
            restarts: 0,
            ended: [false; 2],
            notes: Vec::new(),
            details: Vec::new(),
        }
    }

    fn side_of(&self, d: usize) -> Side {
        match &self.initiator {
            Some(i) if i.addr != d => Side::Acceptor,
            _ => Side::Initiator,
        }
    }

    fn addr(&self, side: Side) -> SocketAddr {
        let i = self.initiator.as_ref().map_or(0, |i| i.addr);
        let a = match side {
            Side::Initiator => i,
            Side::Acceptor => 1 - i,
        };
        self.addrs.get(a).copied().unwrap_or(self.addrs[0])
    }

    /// One piece of reassembled stream from sender `d`.
    fn piece(&mut self, d: usize, piece: Piece<'_>, out: &mut Out, ctx: Ctx) {
        match piece {
            Piece::Data { bytes, .. } => {
                if self.initiator.is_none() {
                    self.initiator = Some(by_content(d, bytes));
                }
                let side = self.side_of(d);
                let s = si(side);
                let n = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
                if get2(&self.resync, s) {
                    if frame_start(self.protocol, side, bytes) {
                        set2(&mut self.resync, s, false);
                    } else {
                        add2(&mut self.skipped, s, n);
                        add2(&mut self.fed, s, n);
                        return;
                    }
                }
                self.ensure_session(out);
                let frames = match self.session.as_mut() {
                    Some(sess) => sess.feed(side, bytes),
                    None => Vec::new(),
                };
                add2(&mut self.fed, s, n);
                self.emit(frames, out, ctx);
            }
            Piece::Gap { at, len } => {
                let side = self.side_of(d);
                let s = si(side);
                self.notes.push(format!(
                    "stream {}: {len} bytes from {} ({}) were not captured (stream offset {at}, packet {}); decoding resumes at the next segment that starts like a frame",
                    self.index,
                    self.addr(side),
                    side.as_str(),
                    ctx.packet
                ));
                if let Some(mut sess) = self.session.take() {
                    let other = 1 - s;
                    let other_pending = get2(&self.fed, other) > get2(&self.done_to, other);
                    let frames = sess.finish();
                    self.keep(&sess);
                    self.emit(frames, out, ctx);
                    self.restarts += 1;
                    set2(&mut self.resync, other, other_pending);
                }
                set2(&mut self.resync, s, true);
                add2(&mut self.fed, s, len);
            }
            Piece::End { .. } => {
                let side = self.side_of(d);
                set2(&mut self.ended, si(side), true);
                let frames = match self.session.as_mut() {
                    Some(sess) => sess.close(side),
                    None => Vec::new(),
                };
                self.emit(frames, out, ctx);
            }
        }
    }

    /// Remembers what a session found before it is dropped.
    fn keep(&mut self, sess: &Session) {
        if let Some(p) = sess.protocol() {
            self.protocol = Some(p);
            if self.forced.is_none() && self.protocol_reason.is_empty() {
                self.protocol_reason = sess.protocol_reason().to_string();
            }
        }
        let details = sess.dist().details();
        if !details.is_empty() {
            self.details = details;
        }
    }

    fn ensure_session(&mut self, out: &Out) {
        if self.session.is_some() {
            return;
        }
        let acc_port = self.addr(Side::Acceptor).port();
        let (choice, acceptor_port) = if let Some(p) = self.protocol {
            // A restart after a gap: the protocol is known.
            (
                match p {
                    Protocol::Epmd => ProtocolChoice::Epmd,
                    Protocol::Dist => ProtocolChoice::Dist,
                },
                None,
            )
        } else if out.opts.protocol != ProtocolChoice::Auto {
            (out.opts.protocol, None)
        } else if out.opts.epmd_ports.contains(&acc_port) {
            self.forced = Some(format!(
                "the acceptor's port {acc_port} is an epmd port{}",
                if acc_port == epmd::DEFAULT_PORT {
                    " (the default)"
                } else {
                    " (configured)"
                }
            ));
            (ProtocolChoice::Epmd, Some(acc_port))
        } else if let Some(from) = out.node_ports.get(&acc_port) {
            self.forced = Some(format!(
                "the acceptor's port {acc_port} is a node port epmd announced ({from})"
            ));
            (ProtocolChoice::Dist, None)
        } else if let Some(p) = self.initiator.as_ref().and_then(|i| i.hint) {
            let why = self.initiator.as_ref().map_or("", |i| i.why.as_str());
            self.forced = Some(format!("detected from the first bytes: {why}"));
            match p {
                Protocol::Epmd => (ProtocolChoice::Epmd, None),
                Protocol::Dist => (ProtocolChoice::Dist, None),
            }
        } else {
            (ProtocolChoice::Auto, None)
        };
        self.base = self.fed;
        self.done_to = self.fed;
        self.session = Some(Session::new(SessionOptions {
            protocol: choice,
            cookie: out.opts.cookie.clone(),
            acceptor_port,
        }));
    }

    fn emit(&mut self, frames: Vec<SessionFrame>, out: &mut Out, ctx: Ctx) {
        if frames.is_empty() {
            return;
        }
        if self.protocol.is_none() {
            if let Some(sess) = &self.session {
                if let Some(p) = sess.protocol() {
                    self.protocol = Some(p);
                    self.protocol_reason = sess.protocol_reason().to_string();
                }
            }
        }
        let t = out.start.map_or_else(String::new, |s| ctx.time.since(s));
        for sf in frames {
            let s = si(sf.side);
            let base = get2(&self.base, s);
            let end = base.saturating_add(
                u64::try_from(sf.offset.saturating_add(sf.bytes.len())).unwrap_or(0),
            );
            set2(&mut self.done_to, s, end);
            if sf.phase == Phase::Epmd && sf.decoded.status.is_complete() {
                self.learn(&sf, out, ctx);
            }
            let (why, source) = match &self.initiator {
                Some(i) => (i.why.as_str(), i.source),
                None => ("", Source::Inferred),
            };
            let reason = format!(
                "sent by {}, the {} ({why}); completed by packet {} at t={t}",
                self.addr(sf.side),
                match sf.side {
                    Side::Initiator => "side that connected",
                    Side::Acceptor => "side that accepted",
                },
                ctx.packet,
            );
            let mut f = report::session_frame(sf, Some(self.index), source, &reason);
            if base > 0 {
                report::shift(&mut f, usize::try_from(base).unwrap_or(usize::MAX));
            }
            out.frames += 1;
            let nanos = out.start.map(|s| nanos_since(ctx.time, s));
            out.pending.push((
                f,
                FrameMark {
                    packet: ctx.packet,
                    nanos,
                },
            ));
        }
    }

    /// Node ports from epmd's answers (PORT2_RESP) and registrations
    /// (ALIVE2_REQ), for the connections that follow.
    fn learn(&self, sf: &SessionFrame, out: &mut Out, ctx: Ctx) {
        let what = sf.decoded.type_name;
        if what != "PORT2_RESP" && what != "ALIVE2_REQ" {
            return;
        }
        let port = sf
            .decoded
            .fields
            .iter()
            .find(|(k, _)| k == "port")
            .and_then(|(_, v)| v.as_u64())
            .and_then(|p| u16::try_from(p).ok());
        if let Some(p) = port.filter(|p| *p != 0) {
            out.node_ports.entry(p).or_insert_with(|| {
                format!("{what} in stream {}, packet {}", self.index, ctx.packet)
            });
        }
    }

    fn finish(&mut self, out: &mut Out, ctx: Ctx) {
        if let Some(mut sess) = self.session.take() {
            let frames = sess.finish();
            self.emit(frames, out, ctx);
            self.keep(&sess);
        }
    }

    /// The connection's entry: addresses, protocol, what its handshake
    /// established, and what the capture shows of it.
    fn connection(
        &mut self,
        first: Ctx,
        last: Ctx,
        packets: u64,
        stats: [tcp::Stats; 2],
        start: Option<Timestamp>,
    ) -> Connection {
        if self.initiator.is_none() {
            self.initiator = Some(Initiator {
                addr: 0,
                why: "guessed: no SYN and no payload; the sender of the first packet".into(),
                source: Source::Inferred,
                hint: None,
            });
        }
        let init = self.initiator.clone();
        let mut details = std::mem::take(&mut self.details);
        let text = |s: String| Value::Text(s);
        if let Some(i) = &init {
            details.push(("tcp_initiator".into(), text(i.why.clone())));
        }
        let t0 = start.unwrap_or(first.time);
        details.push((
            "tcp_packets".into(),
            text(format!(
                "{packets}: packet {} (t={}, {}) to packet {} (t={})",
                first.packet,
                first.time.since(t0),
                if first.time == Timestamp::default() {
                    "no capture time".to_string()
                } else {
                    utc(first.time)
                },
                last.packet,
                last.time.since(t0)
            )),
        ));
        for side in [Side::Initiator, Side::Acceptor] {
            let a = init.as_ref().map_or(0, |i| i.addr);
            let d = if side == Side::Initiator { a } else { 1 - a };
            let st = stats.get(d).copied().unwrap_or_default();
            let s = si(side);
            let mut words = vec![format!("{} bytes in {} segments", st.bytes, st.segments)];
            if st.retransmitted > 0 {
                words.push(format!(
                    "{} retransmitted ({} bytes, dropped)",
                    st.retransmitted, st.retransmitted_bytes
                ));
            }
            if st.overlap_bytes > 0 {
                words.push(format!("{} overlapping bytes trimmed", st.overlap_bytes));
            }
            if st.out_of_order > 0 {
                words.push(format!(
                    "{} out of order (put back in order)",
                    st.out_of_order
                ));
            }
            if st.gaps > 0 {
                words.push(format!(
                    "{} gaps ({} bytes not captured)",
                    st.gaps, st.gap_bytes
                ));
            }
            let skipped = get2(&self.skipped, s);
            if skipped > 0 {
                words.push(format!("{skipped} bytes skipped after a gap"));
            }
            details.push((format!("{}_tcp", side.as_str()), text(words.join("; "))));
            if st.retransmitted > 0 || st.overlap_bytes > 0 || st.out_of_order > 0 {
                self.notes.push(format!(
                    "stream {}: {} ({}): {}",
                    self.index,
                    self.addr(side),
                    side.as_str(),
                    words.get(1..).unwrap_or(&[]).join("; ")
                ));
            }
        }
        if self.restarts > 0 {
            details.push((
                "decoding_restarts".into(),
                text(format!(
                    "{}: decoding started again after each gap (what the connection had set up before, such as atom-cache entries, is unknown after it)",
                    self.restarts
                )),
            ));
        }
        Connection {
            label: format!("stream {}", self.index),
            protocol: self.protocol,
            protocol_reason: self
                .forced
                .clone()
                .unwrap_or_else(|| self.protocol_reason.clone()),
            initiator: Some(self.addr(Side::Initiator).to_string()),
            acceptor: Some(self.addr(Side::Acceptor).to_string()),
            line: None,
            details,
        }
    }
}

/// `t - earlier` in nanoseconds (0 when `t` is earlier; saturating).
fn nanos_since(t: Timestamp, earlier: Timestamp) -> u64 {
    let a = u128::from(t.secs) * 1_000_000_000 + u128::from(t.nanos);
    let b = u128::from(earlier.secs) * 1_000_000_000 + u128::from(earlier.nanos);
    u64::try_from(a.saturating_sub(b)).unwrap_or(u64::MAX)
}

/// `2026-11-24 14:44:01.123456 UTC`.
fn utc(t: Timestamp) -> String {
    let days = t.secs / 86_400;
    let rem = t.secs % 86_400;
    // Howard Hinnant's days-to-civil, for days since 1970-01-01.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{:06} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        t.nanos / 1000
    )
}
