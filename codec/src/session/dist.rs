//! The node-connection half of the session decoder: the handshake (2-byte
//! framing) followed frame by frame by a [`HandshakeTracker`], then each
//! direction's connected phase (4-byte framing) by its own
//! [`ConnectedDecoder`] (its atom cache and fragment buffers).

use super::{close_invalid, truncated, unknown_frame, Phase, Reassembled, SessionFrame, Step};
use crate::conn::Side;
use crate::dist::ConnectedDecoder;
use crate::handshake::{self, HandshakeTracker};
use crate::span::Value;

/// The state of one node connection as seen on the wire.
#[derive(Debug)]
pub struct DistState {
    tracker: HandshakeTracker,
    /// Per side, once that direction is in the connected phase.
    connected: [Option<ConnectedDecoder>; 2],
    /// No frame seen yet.
    fresh: bool,
    /// The capture started after the handshake.
    joined_late: bool,
    /// Frames per side (handshake, connected).
    counts: [[usize; 2]; 2],
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
            tracker: HandshakeTracker::new(cookie),
            connected: [None, None],
            fresh: true,
            joined_late: false,
            counts: [[0; 2]; 2],
        }
    }

    /// True when the capture started after the handshake (no flags known).
    pub fn joined_late(&self) -> bool {
        self.joined_late
    }

    /// The handshake as followed so far.
    pub fn handshake(&self) -> &HandshakeTracker {
        &self.tracker
    }

    /// The connected-phase decoder of `side`'s direction, once there.
    pub fn connected(&self, side: Side) -> Option<&ConnectedDecoder> {
        self.connected.get(idx(side)).and_then(Option::as_ref)
    }

    /// The framing `side` is in.
    pub fn phase(&self, side: Side) -> Phase {
        if self.connected(side).is_some() {
            return Phase::Connected;
        }
        match self.tracker.phase(side) {
            handshake::Phase::Connected => Phase::Connected,
            _ => Phase::Handshake,
        }
    }

    /// What the handshake established and the atom caches, by name (the
    /// report's `connections[].details`).
    pub fn details(&self) -> Vec<(String, Value)> {
        let mut d: Vec<(String, Value)> = Vec::new();
        fn text_into(d: &mut Vec<(String, Value)>, k: &str, v: String) {
            d.push((k.to_string(), Value::Text(v)));
        }
        macro_rules! text {
            ($k:expr, $v:expr $(,)?) => {
                text_into(&mut d, $k, $v)
            };
        }
        if self.joined_late {
            text!(
                "handshake",
                "not seen: the bytes start in the connected phase (flags unknown: every frame kind accepted)".into(),
            );
        } else if self.counts.iter().all(|c| c[0] == 0) {
            return d;
        }
        for side in [Side::Initiator, Side::Acceptor] {
            let info = self.tracker.info(side);
            let who = side.as_str();
            if let Some(n) = &info.name {
                text!(
                    &format!("{who}_name"),
                    String::from_utf8_lossy(n).into_owned()
                );
            }
            if let Some(v) = info.version {
                text!(&format!("{who}_version"), v.to_string());
            }
            if let Some(f) = info.flags {
                text!(
                    &format!("{who}_flags"),
                    format!("{:#x} = {}", f.0, f.describe()),
                );
            }
            if let Some(c) = info.creation {
                text!(&format!("{who}_creation"), c.to_string());
            }
            if let Some(c) = info.challenge {
                text!(&format!("{who}_challenge"), c.to_string());
            }
        }
        if let Some(n) = self.tracker.negotiated() {
            text!("negotiated_flags", format!("{:#x} = {}", n.0, n.describe()));
        }
        if let Some(h) = self.tracker.hidden() {
            text!(
                "visibility",
                if h {
                    "hidden (PUBLISHED is not set on both sides)".into()
                } else {
                    "visible (PUBLISHED on both sides)".into()
                },
            );
        }
        let lines = self.tracker.connected_phase();
        if !lines.is_empty() {
            text!("connected_phase", lines.join("; "));
        }
        let digest = |ok: Option<bool>| match ok {
            Some(true) => "valid".to_string(),
            Some(false) => "INVALID (wrong cookie?)".to_string(),
            None => "not checked (no cookie given, or not seen)".to_string(),
        };
        text!("reply_digest", digest(self.tracker.reply_digest_ok()));
        text!("ack_digest", digest(self.tracker.ack_digest_ok()));
        for side in [Side::Initiator, Side::Acceptor] {
            let c = self.counts.get(idx(side)).copied().unwrap_or([0, 0]);
            text!(
                &format!("{}_frames", side.as_str()),
                format!("{} handshake, {} connected", c[0], c[1]),
            );
            if let Some(dec) = self.connected(side) {
                let cache = dec.atom_cache();
                if !cache.is_empty() {
                    let entries: Vec<Value> = (0..crate::dist::ATOM_CACHE_SIZE)
                        .filter_map(|slot| {
                            cache.get(slot).map(|a| {
                                Value::Record(vec![
                                    ("slot".to_string(), Value::UInt(slot as u64)),
                                    ("atom".to_string(), Value::Text(a.to_string())),
                                ])
                            })
                        })
                        .collect();
                    d.push((
                        format!("{}_atom_cache", side.as_str()),
                        Value::List(entries),
                    ));
                }
                let pending = dec.pending_fragments();
                if !pending.is_empty() {
                    text!(
                        &format!("{}_unfinished_fragments", side.as_str()),
                        pending
                            .iter()
                            .map(|(seq, next, len)| {
                                format!("sequence {seq:#x}: {len} bytes so far, fragment {next} never came")
                            })
                            .collect::<Vec<_>>()
                            .join("; "),
                    );
                }
            }
        }
        d
    }

    /// Decodes the next frame of `side` from `rest` (its pending bytes).
    pub(crate) fn step(&mut self, side: Side, rest: &[u8], base: usize, closed: bool) -> Step {
        if self.fresh && looks_connected(rest) {
            self.joined_late = true;
            // Atom-cache slots and fragment sequences may have started
            // before the capture: the decoders say so instead of failing.
            self.connected = [
                Some(ConnectedDecoder::joined_late(None)),
                Some(ConnectedDecoder::joined_late(None)),
            ];
        }
        self.fresh = false;
        let i = idx(side);
        if self.connected(side).is_none() {
            match self.tracker.phase(side) {
                handshake::Phase::Handshake => {
                    return self.handshake_step(side, rest, base, closed)
                }
                handshake::Phase::Connected => {
                    let negotiated = self.tracker.negotiated().map(|f| f.0);
                    if let Some(slot) = self.connected.get_mut(i) {
                        *slot = Some(ConnectedDecoder::new(negotiated));
                    }
                }
                handshake::Phase::Ended => {
                    // Nothing is expected after a failed handshake.
                    if !closed {
                        // Wait for the close: everything left is one blob.
                        return Step::Wait;
                    }
                    return Step::Frame(Box::new(unknown_frame(
                        side,
                        Phase::Handshake,
                        base,
                        rest.to_vec(),
                        "the handshake had ended (refused): OTP closes the connection, nothing more is decoded",
                    )));
                }
            }
        }
        let Some(dec) = self.connected.get_mut(i).and_then(Option::as_mut) else {
            return Step::Wait;
        };
        // Decode only whole frames (or, at a close, the truncated rest):
        // a big fragment arriving in many chunks is not re-read each time.
        let total = match rest {
            [a, b, c, d, ..] => Some(
                usize::try_from(u32::from_be_bytes([*a, *b, *c, *d]))
                    .unwrap_or(usize::MAX)
                    .saturating_add(4),
            ),
            _ => None,
        };
        let whole = total.is_some_and(|t| rest.len() >= t);
        if !whole && !closed {
            return Step::Wait;
        }
        let cf = dec.decode_frame(rest, base);
        let mut decoded = cf.frame;
        let consumed = if whole {
            decoded.consumed.max(1).min(rest.len())
        } else {
            rest.len()
        };
        let bytes = rest.get(..consumed).unwrap_or(&[]).to_vec();
        close_invalid(&mut decoded, base, &bytes);
        if let Some(c) = self.counts.get_mut(i) {
            c[1] += 1;
        }
        Step::Frame(Box::new(SessionFrame {
            side,
            phase: Phase::Connected,
            offset: base,
            bytes,
            decoded,
            reassembled: cf.reassembled.map(|r| Reassembled {
                sequence_id: r.sequence_id,
                fragments: r.fragments,
                bytes: r.bytes,
                spans: r.spans,
            }),
        }))
    }

    fn handshake_step(&mut self, side: Side, rest: &[u8], base: usize, closed: bool) -> Step {
        let total = match rest {
            [a, b, ..] => Some(usize::from(u16::from_be_bytes([*a, *b])) + 2),
            _ => None,
        };
        let whole = total.is_some_and(|t| rest.len() >= t);
        if !whole && !closed {
            return Step::Wait;
        }
        let t = total.unwrap_or(rest.len()).min(rest.len());
        let hf = self
            .tracker
            .decode(side, rest.get(..t).unwrap_or(rest), base);
        let mut decoded = hf.frame;
        if !whole {
            // The side closed in the middle of the frame.
            let needed = total.map_or(2 - rest.len().min(2), |t| t - rest.len());
            if !decoded.status.is_incomplete() {
                decoded.status = truncated(
                    "HANDSHAKE.length",
                    needed,
                    "the connection closed before the end of this frame",
                );
            }
            decoded.consumed = rest.len();
        }
        let consumed = if whole {
            decoded.consumed.clamp(1, t)
        } else {
            rest.len()
        };
        let bytes = rest.get(..consumed).unwrap_or(&[]).to_vec();
        close_invalid(&mut decoded, base, &bytes);
        if let Some(c) = self.counts.get_mut(idx(side)) {
            c[0] += 1;
        }
        Step::Frame(Box::new(SessionFrame {
            side,
            phase: Phase::Handshake,
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
            matches!(k, 131 | 112) && (2..1 << 28).contains(&len)
        }
        _ => false,
    }
}
