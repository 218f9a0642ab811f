//! The node-connection half of the session decoder: 2-byte framing during
//! the handshake, 4-byte framing after it, per direction.

use super::{close_invalid, truncated, unknown_frame, Phase, SessionFrame, Step};
use crate::conn::{FrameDecoded, Side};

/// The state of one node connection as seen on the wire.
#[derive(Debug)]
pub struct DistState {
    cookie: Option<Vec<u8>>,
    /// Per side: still in the handshake, or connected.
    phase: [Phase; 2],
    /// No handshake frame seen yet.
    fresh: bool,
    /// The capture started after the handshake.
    joined_late: bool,
}

fn idx(side: Side) -> usize {
    match side {
        Side::Initiator => 0,
        Side::Acceptor => 1,
    }
}

impl DistState {
    pub(crate) fn new(cookie: Option<Vec<u8>>) -> DistState {
        DistState {
            cookie,
            phase: [Phase::Handshake, Phase::Handshake],
            fresh: true,
            joined_late: false,
        }
    }

    /// What the handshake established and the atom caches, by name.
    pub fn details(&self) -> Vec<(String, crate::span::Value)> {
        let mut d = Vec::new();
        if self.joined_late {
            d.push((
                "handshake".to_string(),
                crate::span::Value::Text("not seen: the bytes start in the connected phase".into()),
            ));
        }
        d
    }

    /// True when the capture started after the handshake (no flags known).
    pub fn joined_late(&self) -> bool {
        self.joined_late
    }

    /// The framing `side` is in.
    pub fn phase(&self, side: Side) -> Phase {
        self.phase
            .get(idx(side))
            .copied()
            .unwrap_or(Phase::Handshake)
    }

    /// Decodes the next frame of `side` from `rest` (its pending bytes).
    pub(crate) fn step(&mut self, side: Side, rest: &[u8], base: usize, closed: bool) -> Step {
        if self.fresh && looks_connected(rest) {
            self.phase = [Phase::Connected, Phase::Connected];
            self.joined_late = true;
        }
        self.fresh = false;
        let phase = self.phase(side);
        let (prefix, len) = match phase {
            Phase::Connected => (
                4,
                match rest {
                    [a, b, c, d, ..] => Some(
                        usize::try_from(u32::from_be_bytes([*a, *b, *c, *d])).unwrap_or(usize::MAX),
                    ),
                    _ => None,
                },
            ),
            _ => (
                2,
                match rest {
                    [a, b, ..] => Some(usize::from(u16::from_be_bytes([*a, *b]))),
                    _ => None,
                },
            ),
        };
        let total = len.map(|l| l.saturating_add(prefix));
        let whole = total.is_some_and(|t| rest.len() >= t);
        if !whole {
            if !closed {
                return Step::Wait;
            }
            // The side closed in the middle of a frame.
            let needed = total.map_or(prefix.saturating_sub(rest.len()), |t| {
                t.saturating_sub(rest.len())
            });
            let bytes = rest.to_vec();
            let mut f = unknown_frame(
                side,
                phase,
                base,
                bytes,
                "the connection closed in the middle of this frame",
            );
            f.decoded.status = truncated(
                if prefix == 2 { "length" } else { "length" },
                needed,
                &format!(
                    "the connection closed {needed} bytes before the end of this frame{}",
                    total.map_or(String::new(), |t| format!(
                        " (its length prefix says {} bytes in all)",
                        t
                    ))
                ),
            );
            return Step::Frame(Box::new(f));
        }
        let t = total.unwrap_or(rest.len()).min(rest.len());
        let bytes = rest.get(..t).unwrap_or(&[]).to_vec();
        let mut decoded = FrameDecoded {
            type_name: "UNKNOWN",
            spans: Vec::new(),
            consumed: t,
            status: crate::reader::Status::Complete,
            notes: Vec::new(),
            fields: Vec::new(),
        };
        let _ = &self.cookie;
        close_invalid(&mut decoded, base, &bytes);
        Step::Frame(Box::new(SessionFrame {
            side,
            phase,
            offset: base,
            bytes,
            decoded,
            reassembled: None,
        }))
    }
}

/// A 4-byte length then 131 or 112, or a tick: connected-phase bytes.
fn looks_connected(b: &[u8]) -> bool {
    match b {
        [0, 0, 0, 0, ..] => true,
        [a, b2, c, d, k, ..] => {
            let len = u32::from_be_bytes([*a, *b2, *c, *d]);
            matches!(k, 131 | 112) && len >= 2 && len < 1 << 28
        }
        _ => false,
    }
}
