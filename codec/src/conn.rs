//! What the handshake and connected-phase decoders share: which end of a
//! node-to-node connection sent the bytes, and the shape of one decoded frame.

use crate::epmd::Note;
use crate::reader::Status;
use crate::span::{Span, Value};
use serde::Serialize;

/// Which end of a TCP connection sent the bytes.
///
/// For a node connection the initiator (A) is the node that connected and
/// sends `send_name`; the acceptor (B) answers with the status and the
/// challenge. For an epmd connection the initiator is the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The side that connected (A, the client).
    Initiator,
    /// The side that accepted (B, the server).
    Acceptor,
}

impl Side {
    /// `initiator` / `acceptor`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Initiator => "initiator",
            Side::Acceptor => "acceptor",
        }
    }

    /// The other end.
    pub fn peer(self) -> Side {
        match self {
            Side::Initiator => Side::Acceptor,
            Side::Acceptor => Side::Initiator,
        }
    }
}

/// One decoded frame of a node connection (handshake or connected phase).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameDecoded {
    /// The spec's name: `SEND_NAME`, `STATUS`, …, `TICK`, a control op's name
    /// (`REG_SEND`), or `UNKNOWN`.
    pub type_name: &'static str,
    /// Top-level spans (absolute offsets); leaves tile the frame when complete.
    pub spans: Vec<Span>,
    /// Bytes of the input that belong to this frame (length prefix included).
    pub consumed: usize,
    /// Complete, incomplete or invalid.
    pub status: Status,
    /// Remarks that are not errors (digest checks, flags the peer lacks, ...).
    pub notes: Vec<Note>,
    /// Named values by snake_case spec name; terms as Erlang text.
    pub fields: Vec<(String, Value)>,
}
