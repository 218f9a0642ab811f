//! Following one captured connection's handshake, frame by frame.

use super::flags::{connected_phase_lines, DistFlags};
use super::messages::{HandshakeMessage, Status};
use super::{decode_frame, digest, HandshakeFrame};
use crate::conn::Side;
use crate::epmd::Note;
use crate::reader::lossy;
use crate::span::Value;

/// Where one direction of a connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Frames have a 2-byte length.
    Handshake,
    /// The handshake is over in this direction: frames have a 4-byte length
    /// (the initiator's after its `r`, the acceptor's after its `a`).
    Connected,
    /// The handshake failed (`nok`, `not_allowed`, `sfalse`, an unknown
    /// status): nothing more is expected.
    Ended,
}

/// What the handshake told about one side.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SideInfo {
    /// Its full node name (for a NAME_ME initiator: the host, then the name
    /// the acceptor assigned in `named:`).
    pub name: Option<Vec<u8>>,
    /// Its flag word as sent (an `n` send_name's low half merged with the
    /// `c` complement's high half).
    pub flags: Option<DistFlags>,
    /// Its creation.
    pub creation: Option<u32>,
    /// The challenge it sent.
    pub challenge: Option<u32>,
    /// 5 when it used an `n` message, 6 for `N`.
    pub version: Option<u16>,
}

/// Where in the exchange the next frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    SendName,
    Status,
    AliveAnswer,
    Challenge,
    Complement,
    Reply,
    Ack,
    Done,
}

/// Follows one node connection's handshake from captured frames.
///
/// Feed it every handshake-phase frame in the order they occur, with the
/// side that sent it; ask [`phase`](Self::phase) before each frame whether
/// that direction still uses 2-byte framing. Given the cookie, every `r`
/// and `a` digest is marked valid or invalid, with the expected digest.
///
/// ```
/// use erldist_codec::conn::Side;
/// use erldist_codec::handshake::{HandshakeTracker, Phase};
/// let mut t = HandshakeTracker::new(Some(b"secret".to_vec()));
/// let send_name = [0x00, 0x14, 0x4e, 0, 0, 0, 0x2d, 0x07, 0xdf, 0x7f, 0xbc,
///                  0x12, 0x34, 0x56, 0x78, 0x00, 0x05, b'p', b'y', b'@', b'v', b'm'];
/// let f = t.decode(Side::Initiator, &send_name, 0);
/// assert_eq!(f.frame.type_name, "SEND_NAME");
/// assert_eq!(t.info(Side::Initiator).name.as_deref(), Some(&b"py@vm"[..]));
/// assert_eq!(t.phase(Side::Initiator), Phase::Handshake);
/// ```
#[derive(Debug, Clone)]
pub struct HandshakeTracker {
    cookie: Option<Vec<u8>>,
    initiator: SideInfo,
    acceptor: SideInfo,
    initiator_phase: Phase,
    acceptor_phase: Phase,
    step: Step,
    reply_ok: Option<bool>,
    ack_ok: Option<bool>,
}

impl HandshakeTracker {
    /// A tracker for a new connection; `cookie` enables digest checks.
    pub fn new(cookie: Option<Vec<u8>>) -> HandshakeTracker {
        HandshakeTracker {
            cookie,
            initiator: SideInfo::default(),
            acceptor: SideInfo::default(),
            initiator_phase: Phase::Handshake,
            acceptor_phase: Phase::Handshake,
            step: Step::SendName,
            reply_ok: None,
            ack_ok: None,
        }
    }

    /// The phase of the direction `side` sends in.
    pub fn phase(&self, side: Side) -> Phase {
        match side {
            Side::Initiator => self.initiator_phase,
            Side::Acceptor => self.acceptor_phase,
        }
    }

    /// What the handshake told about `side` so far.
    pub fn info(&self, side: Side) -> &SideInfo {
        match side {
            Side::Initiator => &self.initiator,
            Side::Acceptor => &self.acceptor,
        }
    }

    /// The negotiated flags once both words are known: the AND of both,
    /// each expanded for MANDATORY_25_DIGEST as its receiver does.
    pub fn negotiated(&self) -> Option<DistFlags> {
        let i = self.initiator.flags?;
        let a = self.acceptor.flags?;
        Some(i.expand_mandatory_25() & a.expand_mandatory_25())
    }

    /// Whether the connection is hidden (PUBLISHED not in both words), once
    /// both words are known.
    pub fn hidden(&self) -> Option<bool> {
        self.negotiated().map(|n| !n.contains(DistFlags::PUBLISHED))
    }

    /// What the negotiated flags mean for the connected phase
    /// (DIST_HDR_ATOM_CACHE, FRAGMENTS negotiated or not); empty until
    /// both words are known.
    pub fn connected_phase(&self) -> Vec<String> {
        self.negotiated()
            .map(connected_phase_lines)
            .unwrap_or_default()
    }

    /// The `r` digest check: `Some(true)` valid, `Some(false)` invalid,
    /// `None` not checked (no cookie, or not seen).
    pub fn reply_digest_ok(&self) -> Option<bool> {
        self.reply_ok
    }

    /// The `a` digest check, as [`reply_digest_ok`](Self::reply_digest_ok).
    pub fn ack_digest_ok(&self) -> Option<bool> {
        self.ack_ok
    }

    /// The frame types `side` may send next in OTP's handshake.
    pub fn expected(&self, side: Side) -> &'static [&'static str] {
        match (self.step, side) {
            (Step::SendName, Side::Initiator) => &["SEND_NAME"],
            (Step::Status, Side::Acceptor) => &["STATUS"],
            (Step::AliveAnswer, Side::Initiator) => &["STATUS"],
            (Step::Challenge, Side::Acceptor) => &["CHALLENGE"],
            (Step::Complement, Side::Initiator) => &["COMPLEMENT"],
            // An acceptor re-checks the flags after `c` and may refuse.
            (Step::Complement | Step::Reply, Side::Acceptor)
                if self.initiator.version == Some(5) =>
            {
                &["STATUS"]
            }
            (Step::Reply, Side::Initiator) => &["CHALLENGE_REPLY"],
            (Step::Ack, Side::Acceptor) => &["CHALLENGE_ACK"],
            _ => &[],
        }
    }

    /// Decodes the next handshake frame `sender` sent (see
    /// [`decode_frame`]) and follows the exchange: notes for frames OTP
    /// would not send at this point, digest checks, names, flags,
    /// creations and challenges.
    pub fn decode(&mut self, sender: Side, data: &[u8], base: usize) -> HandshakeFrame {
        let mut f = decode_frame(data, base, sender);
        let Some(msg) = f.message.clone() else {
            return f;
        };
        let type_name = f.frame.type_name;
        let at = base;
        let path = format!("{type_name}.tag");
        let note = |message: String| Note {
            offset: at,
            field: path.clone(),
            message,
        };
        let mut notes = Vec::new();
        let phase = self.phase(sender);
        if phase != Phase::Handshake {
            notes.push(note(format!(
                "the {} has already {} the handshake: its frames now have a 4-byte length",
                sender.as_str(),
                if phase == Phase::Connected {
                    "finished"
                } else {
                    "ended"
                }
            )));
        }
        let expected = self.expected(sender);
        if !expected.contains(&type_name) {
            let what = if expected.is_empty() {
                format!("nothing from the {} is expected here", sender.as_str())
            } else {
                format!("expected {} here", expected.join(" or "))
            };
            notes.push(note(format!(
                "unexpected {type_name} from the {}: {what}; OTP would close the connection",
                sender.as_str()
            )));
        }
        match (&msg, sender) {
            (HandshakeMessage::SendName(m), _) => {
                self.initiator.name = Some(m.name.clone());
                self.initiator.flags = Some(m.flags);
                self.initiator.creation = Some(m.creation);
                self.initiator.version = Some(6);
                self.step = Step::Status;
            }
            (HandshakeMessage::SendNameV5(m), _) => {
                self.initiator.name = Some(m.name.clone());
                self.initiator.flags = Some(DistFlags(m.flags.into()));
                self.initiator.version = Some(5);
                self.step = Step::Status;
            }
            (HandshakeMessage::Status(s), Side::Acceptor) => match s {
                Status::Named { name, creation, .. } => {
                    self.initiator.name = Some(name.clone());
                    self.initiator.creation = Some(*creation);
                    self.step = Step::Challenge;
                }
                Status::Text(t) => match t.as_slice() {
                    b"ok" | b"ok_simultaneous" => self.step = Step::Challenge,
                    b"alive" => self.step = Step::AliveAnswer,
                    b"nok" | b"not_allowed" => {
                        notes.push(note(format!(
                            "status {}: the handshake ends here",
                            lossy(t)
                        )));
                        self.end();
                    }
                    _ => {
                        notes.push(note(
                            "an unknown status: OTP's initiator shuts the connection down"
                                .to_string(),
                        ));
                        self.end();
                    }
                },
            },
            (HandshakeMessage::Status(s), Side::Initiator) => match s {
                Status::Text(t) if t.as_slice() == b"true" => self.step = Step::Challenge,
                Status::Text(t) if t.as_slice() == b"false" => {
                    notes.push(note(
                        "sfalse: the initiator gives up, the handshake ends here".to_string(),
                    ));
                    self.end();
                }
                _ => {}
            },
            (HandshakeMessage::Challenge(m), _) => {
                self.acceptor.name = Some(m.name.clone());
                self.acceptor.flags = Some(m.flags);
                self.acceptor.creation = Some(m.creation);
                self.acceptor.challenge = Some(m.challenge);
                self.acceptor.version = Some(6);
                self.step = if self.initiator.version == Some(5) {
                    Step::Complement
                } else {
                    Step::Reply
                };
            }
            (HandshakeMessage::ChallengeV5(m), _) => {
                self.acceptor.name = Some(m.name.clone());
                self.acceptor.flags = Some(DistFlags(m.flags.into()));
                self.acceptor.challenge = Some(m.challenge);
                self.acceptor.version = Some(5);
                self.step = Step::Reply;
            }
            (HandshakeMessage::Complement(m), _) => {
                let low = self.initiator.flags.map(|f| f.low()).unwrap_or(0);
                self.initiator.flags =
                    Some(DistFlags(u64::from(low) | (u64::from(m.flags_high) << 32)));
                self.initiator.creation = Some(m.creation);
                self.step = Step::Reply;
            }
            (HandshakeMessage::ChallengeReply(m), _) => {
                self.initiator.challenge = Some(m.challenge);
                let ok = self.check_digest(
                    &mut f,
                    &m.digest,
                    self.acceptor.challenge,
                    "acceptor",
                    &mut notes,
                );
                self.reply_ok = ok;
                if ok == Some(false) {
                    notes.push(note(
                        "an OTP acceptor logs \"** Connection attempt from node X rejected. Invalid challenge reply. **\" and closes without an `a`"
                            .to_string(),
                    ));
                }
                if sender == Side::Initiator {
                    self.initiator_phase = Phase::Connected;
                }
                self.step = Step::Ack;
            }
            (HandshakeMessage::ChallengeAck(m), _) => {
                let ok = self.check_digest(
                    &mut f,
                    &m.digest,
                    self.initiator.challenge,
                    "initiator",
                    &mut notes,
                );
                self.ack_ok = ok;
                if ok == Some(false) {
                    notes.push(note(
                        "an OTP initiator logs \"** Connection attempt to node X cancelled. Invalid challenge ack. **\" and closes"
                            .to_string(),
                    ));
                }
                if sender == Side::Acceptor {
                    self.acceptor_phase = Phase::Connected;
                }
                self.step = Step::Done;
                if let Some(n) = self.negotiated() {
                    let mut lines = vec![format!(
                        "handshake complete; negotiated flags {n} = {}",
                        n.describe()
                    )];
                    lines.push(if n.contains(DistFlags::PUBLISHED) {
                        "visible connection (PUBLISHED on both sides)".to_string()
                    } else {
                        "hidden connection (PUBLISHED not on both sides)".to_string()
                    });
                    lines.extend(connected_phase_lines(n));
                    notes.push(note(lines.join("; ")));
                }
            }
            _ => {}
        }
        f.frame.notes.extend(notes);
        f
    }

    fn end(&mut self) {
        self.initiator_phase = Phase::Ended;
        self.acceptor_phase = Phase::Ended;
        self.step = Step::Done;
    }

    /// Checks a digest against MD5(cookie ++ challenge); records fields,
    /// the digest span's meaning and a note.
    fn check_digest(
        &self,
        f: &mut HandshakeFrame,
        got: &[u8; 16],
        challenge: Option<u32>,
        whose: &str,
        notes: &mut Vec<Note>,
    ) -> Option<bool> {
        let type_name = f.frame.type_name;
        let span_at = f
            .frame
            .spans
            .iter()
            .find(|s| s.field == "digest")
            .map(|s| s.offset)
            .unwrap_or(0);
        let mut note = |message: String| {
            notes.push(Note {
                offset: span_at,
                field: format!("{type_name}.digest"),
                message,
            })
        };
        let Some(cookie) = &self.cookie else {
            note("digest not checked: no cookie given".to_string());
            return None;
        };
        let Some(ch) = challenge else {
            note(format!(
                "digest not checked: the {whose}'s challenge was not seen"
            ));
            return None;
        };
        let expected = digest(cookie, ch);
        let ok = &expected == got;
        let hex = crate::hex::encode(&expected);
        f.frame
            .fields
            .push(("digest_ok".to_string(), Value::Bool(ok)));
        f.frame
            .fields
            .push(("expected_digest".to_string(), Value::Text(hex.clone())));
        let cookie_text = lossy(cookie);
        let verdict = if ok {
            format!("digest valid: MD5(\"{cookie_text}\" ++ \"{ch}\") = {hex}")
        } else {
            format!(
                "digest INVALID: with cookie \"{cookie_text}\" the {whose}'s challenge {ch} gives {hex}; wrong cookie on one side"
            )
        };
        if let Some(s) = f.frame.spans.iter_mut().find(|s| s.field == "digest") {
            s.meaning = format!("{}; {verdict}", s.meaning).into();
        }
        note(verdict);
        Some(ok)
    }
}
