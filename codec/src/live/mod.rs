//! Live mode's client logic, sans-IO: what the playground (over the
//! bridge's websockets) and the host tests (over `std` TCP streams) drive
//! against a real epmd and real nodes.
//!
//! * [`EpmdConn`]: one connection to epmd: sends one request (built by the
//!   builder, typed, or any bytes at all), splits the reply stream into
//!   frames, and while an ALIVE2 registration socket stays open says
//!   "registered as X, creation C" ([`Registration`]).
//! * [`NodeClient`]: one connection to a node as a hidden node: the
//!   handshake with the codec's [`Initiator`](crate::handshake::Initiator),
//!   then the connected phase: answers ticks and sends its own when it has
//!   been silent, sends messages to registered processes, calls functions
//!   through `rex` ([`parse_call`] reads `M:F(Args)`) and matches the
//!   replies by reference.
//! * [`Recording`]: every connection records what crossed it, both
//!   directions, bytes and time; [`decode_recordings`] decodes recordings
//!   as sessions (one conversation each, frames in time order) and
//!   [`pcapng_of`] writes them as a capture.
//!
//! No socket, no clock, no randomness: the caller passes the time
//! (milliseconds since the Unix epoch) into every call that may record
//! bytes, and the creation and challenge into [`NodeOptions`].
//!
//! ```
//! use erldist_codec::live::{names_req, EpmdConn, EpmdState};
//! let mut c = EpmdConn::new(names_req(), 1_000);
//! assert_eq!(c.poll_transmit(), Some(vec![0x00, 0x01, 0x6e]));
//! // epmd answers with its port and one line per node, then closes.
//! c.handle_input(&[0, 0, 0x11, 0x11], 1_001);
//! c.handle_input(b"name foo at port 5555\n", 1_002);
//! c.handle_close(1_003);
//! assert!(matches!(c.state(), EpmdState::Closed { .. }));
//! let names: Vec<_> = c.names().into_iter().map(|(n, p)| format!("{n}:{p}")).collect();
//! assert_eq!(names, ["foo:5555"]);
//! ```

mod call;
mod epmd;
mod node;

pub use call::{parse_call, Call, CallError};
pub use epmd::{alive2_req, names_req, port_please2_req, EpmdConn, EpmdState, Registration};
pub use node::{
    CallId, Digests, LiveError, NodeClient, NodeEvent, NodeOptions, NodeState,
    DEFAULT_TICK_INTERVAL_MS,
};

use crate::conn::Side;
use crate::export::pcapng::{self, PcapngError, PcapngOptions, TcpConversation};
use crate::input::conversation::{Chunk as ConvChunk, Conversation};
use crate::report::{decode_conversations, DecodeOptions, Report, Source};
use crate::session::{Protocol, ProtocolChoice};

/// Bytes one side sent in one go, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Who sent them: the initiator is us (the client), the acceptor is
    /// epmd or the node.
    pub side: Side,
    /// When they were sent or received, milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Everything that crossed one connection, both directions, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    /// What the connection is (`epmd: NAMES_REQ`, `node b@127.0.0.1`).
    pub label: String,
    /// EPMD or a node connection.
    pub protocol: Protocol,
    /// The server's TCP port when known (for the capture).
    pub server_port: Option<u16>,
    /// When the connection was opened.
    pub opened_ms: u64,
    /// When it was closed (by either side), if it was.
    pub closed_ms: Option<u64>,
    /// The chunks, in the order they crossed.
    pub chunks: Vec<Chunk>,
}

impl Recording {
    /// An empty recording.
    pub fn new(label: impl Into<String>, protocol: Protocol, opened_ms: u64) -> Recording {
        Recording {
            label: label.into(),
            protocol,
            server_port: None,
            opened_ms,
            closed_ms: None,
            chunks: Vec::new(),
        }
    }

    /// Records bytes `side` sent at `at_ms` (empty chunks are not kept).
    pub fn record(&mut self, side: Side, bytes: &[u8], at_ms: u64) {
        if !bytes.is_empty() {
            self.chunks.push(Chunk {
                side,
                at_ms,
                bytes: bytes.to_vec(),
            });
        }
    }

    /// Marks the connection closed (the first close counts).
    pub fn close(&mut self, at_ms: u64) {
        self.closed_ms.get_or_insert(at_ms);
    }

    /// All bytes `side` sent, in order.
    pub fn bytes_of(&self, side: Side) -> Vec<u8> {
        self.chunks
            .iter()
            .filter(|c| c.side == side)
            .flat_map(|c| c.bytes.iter().copied())
            .collect()
    }

    /// The recording as a conversation for the session decoder.
    pub fn conversation(&self) -> Conversation {
        Conversation {
            label: self.label.clone(),
            initiator: None,
            acceptor: self.server_port.map(|p| format!("127.0.0.1:{p}")),
            acceptor_label: None,
            chunks: self
                .chunks
                .iter()
                .map(|c| ConvChunk {
                    side: c.side,
                    bytes: c.bytes.clone(),
                    line: 0,
                })
                .collect(),
            line: 0,
        }
    }

    /// When the byte at `offset` of `side`'s stream crossed.
    pub fn time_of(&self, side: Side, offset: usize) -> Option<u64> {
        let mut start = 0usize;
        for c in self.chunks.iter().filter(|c| c.side == side) {
            let end = start.saturating_add(c.bytes.len());
            if offset < end {
                return Some(c.at_ms);
            }
            start = end;
        }
        None
    }
}

/// A report of recordings, with each frame's time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedReport {
    /// The frames of every recording, in time order; a frame's `stream`
    /// is the index of its recording, `connections` has one per recording.
    pub report: Report,
    /// The time of each frame (when its last byte crossed), milliseconds
    /// since the Unix epoch; parallel to `report.frames`.
    pub times_ms: Vec<u64>,
}

/// Decodes recordings as sessions (each as its own protocol; `cookie`
/// checks the handshake digests), frames sorted by time.
pub fn decode_recordings(recordings: &[&Recording], cookie: Option<&[u8]>) -> TimedReport {
    let mut frames = Vec::new();
    let mut connections = Vec::new();
    let mut notes = Vec::new();
    for (i, rec) in recordings.iter().enumerate() {
        let opts = DecodeOptions {
            protocol: match rec.protocol {
                Protocol::Epmd => ProtocolChoice::Epmd,
                Protocol::Dist => ProtocolChoice::Dist,
            },
            cookie: cookie.map(<[u8]>::to_vec),
            ..DecodeOptions::default()
        };
        let r = decode_conversations(std::slice::from_ref(&rec.conversation()), &opts);
        for mut f in r.frames {
            f.stream = Some(i);
            // The recorder knows who sent what.
            f.direction_source = Source::Given;
            f.line = None;
            f.direction_reason = format!(
                "recorded live: sent by {}",
                match (f.side, rec.protocol) {
                    (Side::Initiator, _) => "the playground",
                    (Side::Acceptor, Protocol::Epmd) => "epmd",
                    (Side::Acceptor, Protocol::Dist) => "the node",
                }
            );
            let end = f.offset.saturating_add(f.bytes.len().saturating_sub(1));
            let t = rec.time_of(f.side, end).unwrap_or(rec.opened_ms);
            frames.push((t, f));
        }
        connections.extend(r.connections.into_iter().map(|mut c| {
            c.line = None;
            c
        }));
        notes.extend(r.notes);
    }
    // Stable: frames of one time keep their conversation's order.
    frames.sort_by_key(|(t, _)| *t);
    let (times_ms, frames) = frames.into_iter().unzip();
    TimedReport {
        report: Report {
            format: "live",
            format_detected: false,
            frames,
            notes,
            input_error: None,
            connections,
            lint: Vec::new(),
        },
        times_ms,
    }
}

/// First client port of the synthetic TCP connections of a capture.
const FIRST_CLIENT_PORT: u16 = 50000;

/// The recordings as a pcapng capture: each one a TCP connection on
/// 127.0.0.1 (epmd on 4369, where Wireshark's dissector looks; a node on
/// its port when known), each chunk one packet at its own time.
pub fn pcapng_of(recordings: &[&Recording]) -> Result<Vec<u8>, PcapngError> {
    let convs: Vec<TcpConversation> = recordings
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let server_port = match r.protocol {
                Protocol::Epmd => pcapng::EPMD_PORT,
                Protocol::Dist => r.server_port.unwrap_or(pcapng::DEFAULT_NODE_PORT),
            };
            let n = u16::try_from(i).unwrap_or(u16::MAX);
            let mut client_port = FIRST_CLIENT_PORT.wrapping_add(n);
            if client_port == server_port {
                client_port = client_port.wrapping_add(1);
            }
            TcpConversation {
                client_port,
                server_port,
            }
        })
        .collect();
    let mut all: Vec<(u64, usize, &Chunk)> = recordings
        .iter()
        .enumerate()
        .flat_map(|(i, r)| r.chunks.iter().map(move |c| (c.at_ms, i, c)))
        .collect();
    all.sort_by_key(|(t, _, _)| *t);
    let payloads: Vec<pcapng::Payload<'_>> = all
        .iter()
        .map(|(_, i, c)| pcapng::Payload {
            conversation: *i,
            side: c.side,
            bytes: &c.bytes,
            comment: recordings.get(*i).map(|r| {
                format!(
                    "{}: {} bytes from {}",
                    r.label,
                    c.bytes.len(),
                    match (c.side, r.protocol) {
                        (Side::Initiator, _) => "the playground",
                        (Side::Acceptor, Protocol::Epmd) => "epmd",
                        (Side::Acceptor, Protocol::Dist) => "the node",
                    }
                )
            }),
        })
        .collect();
    let times: Vec<u64> = all
        .iter()
        .map(|(t, _, _)| t.saturating_mul(1_000_000))
        .collect();
    pcapng::write_conversations_at(&convs, &payloads, &times, &PcapngOptions::default())
}
