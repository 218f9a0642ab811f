//! Sans-IO handshake state machines (quinn style): feed received bytes with
//! `handle_input` in any chunking, take bytes to send with
//! `poll_transmit`, look at `state()`. No socket, clock or randomness:
//! names, creations, cookies and challenges come in through [`Config`].
//!
//! They follow `dist_util.erl` (OTP 25.2.3 read back from its
//! `dist_util.beam`; OTP 28 for the `n` + `c` acceptance):
//! `handshake_we_started/1` for the [`Initiator`],
//! `handshake_other_started/1` for the [`Acceptor`].

use super::flags::{mandatory_flags_message, mandatory_for, DistFlags};
use super::messages::*;
use super::{decode_frame, digest};
use crate::conn::Side;
use crate::reader::{lossy, Status as ReadStatus};
use std::collections::VecDeque;

/// One node's side of a handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Our full node name, `name@host`.
    pub name: Vec<u8>,
    /// The flag word we send.
    pub flags: DistFlags,
    /// Our creation.
    pub creation: u32,
    /// The cookie (the same one for both directions, as OTP uses it).
    pub cookie: Vec<u8>,
    /// Our challenge (passed in: the codec draws no random numbers).
    pub challenge: u32,
    /// Initiator: 6 sends an `N` send_name; 5 sends an `n` send_name with
    /// HANDSHAKE_23 and then a `c` complement, as OTP 23/24 do when they do
    /// not know the peer's version. The acceptor accepts both.
    pub version: u16,
    /// The OTP release whose mandatory flags we enforce (25 by default).
    pub release: u32,
}

impl Config {
    /// A visible node with OTP 25's flags (0x0D07DF7FBD), version 6,
    /// enforcing OTP 25's mandatory flags.
    pub fn new(name: &str, cookie: &[u8], creation: u32, challenge: u32) -> Config {
        Config {
            name: name.as_bytes().to_vec(),
            flags: DistFlags::OTP25_DEFAULT,
            creation,
            cookie: cookie.to_vec(),
            challenge,
            version: 6,
            release: 25,
        }
    }

    /// The same node, hidden: without PUBLISHED.
    pub fn hidden(mut self) -> Config {
        self.flags = self.flags.without(DistFlags::PUBLISHED);
        self
    }

    fn name_text(&self) -> String {
        lossy(&self.name)
    }
}

/// What a finished handshake established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// The peer's full node name.
    pub peer_name: Vec<u8>,
    /// The peer's flag word as received.
    pub peer_flags: DistFlags,
    /// The peer's creation.
    pub peer_creation: u32,
    /// Our flags AND the peer's, each expanded for MANDATORY_25_DIGEST:
    /// what the connected phase may use.
    pub negotiated: DistFlags,
    /// PUBLISHED is not in both words.
    pub hidden: bool,
}

/// Where a handshake is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Still exchanging messages.
    InProgress,
    /// Done: the connected phase (4-byte frames) starts.
    Connected(Connection),
    /// Failed; the connection is to be closed once the queued bytes (if
    /// any, e.g. `snot_allowed`) are sent.
    Failed {
        /// What OTP would log, or its exit reason when it logs nothing.
        reason: String,
    },
}

/// Buffers shared by both machines.
#[derive(Debug, Clone)]
struct Io {
    inbuf: Vec<u8>,
    out: VecDeque<Vec<u8>>,
    leftover: Vec<u8>,
    outcome: Outcome,
}

impl Io {
    fn new() -> Io {
        Io {
            inbuf: Vec::new(),
            out: VecDeque::new(),
            leftover: Vec::new(),
            outcome: Outcome::InProgress,
        }
    }

    fn send(&mut self, m: &HandshakeMessage) {
        match m.encode() {
            Ok(b) => self.out.push_back(b),
            Err(e) => self.fail(format!("cannot encode {}: {e}", m.type_name())),
        }
    }

    fn fail(&mut self, reason: String) {
        if self.outcome == Outcome::InProgress {
            self.outcome = Outcome::Failed { reason };
        }
    }

    fn in_progress(&self) -> bool {
        self.outcome == Outcome::InProgress
    }

    /// Accepts input; returns the next whole frame's message, `None` when
    /// more bytes are needed or the machine is not in progress.
    fn next_message(&mut self, from: Side) -> Option<HandshakeMessage> {
        if !self.in_progress() {
            return None;
        }
        let f = decode_frame(&self.inbuf, 0, from);
        match f.frame.status {
            ReadStatus::Incomplete(_) => None,
            ReadStatus::Invalid(e) => {
                self.fail(format!("invalid handshake frame from the peer: {e}"));
                None
            }
            ReadStatus::Complete => {
                self.inbuf.drain(..f.frame.consumed.min(self.inbuf.len()));
                f.message
            }
        }
    }

    fn connect(&mut self, c: Connection) {
        self.outcome = Outcome::Connected(c);
        self.leftover.append(&mut self.inbuf);
    }
}

/// An Erlang string as `~p` prints it (`"b@vm"`).
fn erl_string(b: &[u8]) -> String {
    format!("{:?}", lossy(b))
}

/// The side that connects: sends `send_name`, answers the challenge.
///
/// ```
/// use erldist_codec::handshake::{Acceptor, Config, Initiator, Outcome};
/// let mut a = Initiator::new(Config::new("a@h", b"c", 5, 1), "b@h");
/// let mut b = Acceptor::new(Config::new("b@h", b"c", 6, 2));
/// for _ in 0..4 {
///     while let Some(x) = a.poll_transmit() { b.handle_input(&x); }
///     while let Some(x) = b.poll_transmit() { a.handle_input(&x); }
/// }
/// assert!(matches!(a.state(), Outcome::Connected(c) if c.peer_name == b"b@h"));
/// assert!(matches!(b.state(), Outcome::Connected(_)));
/// ```
#[derive(Debug, Clone)]
pub struct Initiator {
    cfg: Config,
    peer: Vec<u8>,
    io: Io,
    step: IStep,
    peer_flags: DistFlags,
    peer_creation: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IStep {
    Status,
    Challenge,
    Ack,
    Done,
}

impl Initiator {
    /// Starts a handshake to `peer` (the exact full name dialled: the
    /// challenge must carry it); the send_name is queued at once.
    pub fn new(cfg: Config, peer: &str) -> Initiator {
        let mut io = Io::new();
        let msg = if cfg.version == 5 {
            HandshakeMessage::SendNameV5(SendNameV5 {
                version: 5,
                flags: cfg.flags.with(DistFlags::HANDSHAKE_23).low(),
                name: cfg.name.clone(),
            })
        } else {
            HandshakeMessage::SendName(SendName {
                flags: cfg.flags,
                creation: cfg.creation,
                name: cfg.name.clone(),
                ignored: Vec::new(),
            })
        };
        io.send(&msg);
        Initiator {
            cfg,
            peer: peer.as_bytes().to_vec(),
            io,
            step: IStep::Status,
            peer_flags: DistFlags::EMPTY,
            peer_creation: 0,
        }
    }

    /// Bytes received from the acceptor, in any chunking. Once connected,
    /// they are kept for [`take_leftover`](Self::take_leftover).
    pub fn handle_input(&mut self, bytes: &[u8]) {
        match self.io.outcome {
            Outcome::Connected(_) => {
                self.io.leftover.extend_from_slice(bytes);
                return;
            }
            Outcome::Failed { .. } => return,
            Outcome::InProgress => {}
        }
        self.io.inbuf.extend_from_slice(bytes);
        while let Some(m) = self.io.next_message(Side::Acceptor) {
            self.on_message(m);
        }
    }

    /// The acceptor closed the connection. During the handshake this fails
    /// it with the reason OTP's initiator exits with (the acceptor closes
    /// without a word on a bad digest, on an `n` send_name in OTP
    /// 25.0-25.2, on a bad name).
    pub fn handle_close(&mut self) {
        let (what, hint) = match self.step {
            IStep::Status => (
                "recv_status_failed",
                "the acceptor closed before its status (a bad name, or an `n` send_name to OTP 25.0-25.2)",
            ),
            IStep::Challenge => ("recv_challenge_failed", "the acceptor closed before its challenge"),
            IStep::Ack => (
                "recv_challenge_ack_failed",
                "the acceptor closed instead of acknowledging: our digest was wrong (the cookies differ)",
            ),
            IStep::Done => return,
        };
        self.io.fail(format!("{{{what},{{error,closed}}}}: {hint}"));
    }

    /// The next bytes to send, if any.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.io.out.pop_front()
    }

    /// In progress, connected or failed.
    pub fn state(&self) -> &Outcome {
        &self.io.outcome
    }

    /// Bytes received after the handshake (the acceptor's first 4-byte
    /// frames, when they came in the same chunk as the `a`).
    pub fn take_leftover(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.io.leftover)
    }

    /// Our node name (changed by a `named:` status for a NAME_ME node).
    pub fn name(&self) -> &[u8] {
        &self.cfg.name
    }

    fn peer_text(&self) -> String {
        lossy(&self.peer)
    }

    fn on_message(&mut self, m: HandshakeMessage) {
        let name_me = self.cfg.flags.contains(DistFlags::NAME_ME);
        match (self.step, m) {
            (IStep::Status, HandshakeMessage::Status(s)) => match s {
                Status::Named { name, creation, .. } if name_me => {
                    // The host part must be what we sent.
                    let host = name.rsplit(|b| *b == b'@').next().unwrap_or(&[]);
                    if !name_ok(&name, false) || host != self.cfg.name.as_slice() {
                        self.io.fail(format!(
                            "`named:` gives {}, whose host part is not the {} we sent (badmatch in recv_status)",
                            erl_string(&name),
                            erl_string(&self.cfg.name)
                        ));
                        return;
                    }
                    self.cfg.name = name;
                    self.cfg.creation = creation;
                    self.step = IStep::Challenge;
                }
                Status::Named { .. } => self.io.fail(
                    "`named:` status, but we did not ask for a dynamic name (badmatch in recv_status)"
                        .to_string(),
                ),
                Status::Text(t) => match t.as_slice() {
                    b"not_allowed" => self
                        .io
                        .fail("{recv_status_failed,not_allowed}: the acceptor refused us".into()),
                    _ if name_me => self.io.fail(format!(
                        "{{recv_status_failed,unexpected,{}}}: a NAME_ME node needs `named:`",
                        erl_string(&t)
                    )),
                    b"ok" | b"ok_simultaneous" => self.step = IStep::Challenge,
                    b"alive" => {
                        // We are the one connecting: our answer is true.
                        self.io
                            .send(&HandshakeMessage::Status(Status::Text(b"true".to_vec())));
                        self.step = IStep::Challenge;
                    }
                    b"nok" => self.io.fail(
                        "status nok: the acceptor's own connection attempt wins; OTP waits to be killed by net_kernel"
                            .into(),
                    ),
                    _ => self.io.fail(format!(
                        "{{recv_status_failed,unknown,{}}}",
                        erl_string(&t)
                    )),
                },
            },
            (IStep::Challenge, HandshakeMessage::Challenge(c)) => {
                let via_v5 = self.cfg.version == 5;
                self.on_challenge(c.flags, c.challenge, c.creation, &c.name, via_v5);
            }
            (IStep::Challenge, HandshakeMessage::ChallengeV5(c)) => {
                self.on_challenge(DistFlags(c.flags.into()), c.challenge, 0, &c.name, false);
            }
            (IStep::Ack, HandshakeMessage::ChallengeAck(a)) => {
                if a.digest != digest(&self.cfg.cookie, self.cfg.challenge) {
                    self.io.fail(format!(
                        "** Connection attempt to node {} cancelled. Invalid challenge ack. **",
                        super::flags::node_atom(&self.peer_text())
                    ));
                    return;
                }
                self.step = IStep::Done;
                let negotiated =
                    self.cfg.flags.expand_mandatory_25() & self.peer_flags.expand_mandatory_25();
                self.io.connect(Connection {
                    peer_name: self.peer.clone(),
                    peer_flags: self.peer_flags,
                    peer_creation: self.peer_creation,
                    negotiated,
                    hidden: !negotiated.contains(DistFlags::PUBLISHED),
                });
            }
            (IStep::Ack, HandshakeMessage::Status(Status::Text(t)))
                if t.as_slice() == b"not_allowed" =>
            {
                self.io
                    .fail("{recv_challenge_ack_failed,...}: the acceptor answered snot_allowed after our complement".into());
            }
            (step, m) => {
                let what = match step {
                    IStep::Status => "recv_status_failed",
                    IStep::Challenge => "recv_challenge_failed",
                    _ => "recv_challenge_ack_failed",
                };
                self.io.fail(format!(
                    "{{{what},...}}: unexpected {} from the acceptor",
                    m.type_name()
                ));
            }
        }
    }

    fn on_challenge(
        &mut self,
        flags: DistFlags,
        challenge: u32,
        creation: u32,
        name: &[u8],
        send_complement: bool,
    ) {
        if name != self.peer.as_slice() {
            self.io.fail(format!(
                "{{recv_challenge_failed,no_node,{}}}: the challenge comes from {}, not from the node dialled ({})",
                erl_string(name),
                erl_string(name),
                erl_string(&self.peer)
            ));
            return;
        }
        self.peer_flags = flags;
        self.peer_creation = creation;
        // dist_util: ChosenFlags = ThisFlags band expanded OtherFlags,
        // then check_dflags on the AND. OTP's own word always carries the
        // 11 OTP 25 flags; ours may carry only MANDATORY_25_DIGEST, which
        // is expanded here as the peer expands it.
        let chosen = self.cfg.flags.expand_mandatory_25() & flags.expand_mandatory_25();
        let missing = mandatory_for(self.cfg.release).without(chosen);
        if missing.0 != 0 {
            self.io.fail(mandatory_flags_message(
                Side::Initiator,
                &self.cfg.name_text(),
                &self.peer_text(),
                missing,
            ));
            return;
        }
        if send_complement {
            self.io.send(&HandshakeMessage::Complement(Complement {
                flags_high: self.cfg.flags.high(),
                creation: self.cfg.creation,
            }));
        }
        self.io
            .send(&HandshakeMessage::ChallengeReply(ChallengeReply {
                challenge: self.cfg.challenge,
                digest: digest(&self.cfg.cookie, challenge),
            }));
        self.step = IStep::Ack;
    }
}

/// The side that accepts: checks the send_name, sends the status and the
/// challenge, checks the reply.
#[derive(Debug, Clone)]
pub struct Acceptor {
    cfg: Config,
    io: Io,
    step: AStep,
    peer_name: Vec<u8>,
    peer_flags: DistFlags,
    peer_creation: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AStep {
    SendName,
    Complement,
    Reply,
    Done,
}

impl Acceptor {
    /// Waits for a send_name.
    pub fn new(cfg: Config) -> Acceptor {
        Acceptor {
            cfg,
            io: Io::new(),
            step: AStep::SendName,
            peer_name: Vec::new(),
            peer_flags: DistFlags::EMPTY,
            peer_creation: 0,
        }
    }

    /// Bytes received from the initiator, in any chunking. Once connected,
    /// they are kept for [`take_leftover`](Self::take_leftover).
    pub fn handle_input(&mut self, bytes: &[u8]) {
        match self.io.outcome {
            Outcome::Connected(_) => {
                self.io.leftover.extend_from_slice(bytes);
                return;
            }
            Outcome::Failed { .. } => return,
            Outcome::InProgress => {}
        }
        self.io.inbuf.extend_from_slice(bytes);
        while let Some(m) = self.io.next_message(Side::Initiator) {
            self.on_message(m);
        }
    }

    /// The initiator closed the connection: during the handshake this
    /// fails it with the reason OTP's acceptor exits with.
    pub fn handle_close(&mut self) {
        let what = match self.step {
            AStep::SendName => "recv_name_failed",
            AStep::Complement => "recv_complement_failed",
            AStep::Reply => "recv_challenge_reply_failed",
            AStep::Done => return,
        };
        self.io.fail(format!(
            "{{{what},{{error,closed}}}}: the initiator closed during the handshake"
        ));
    }

    /// The next bytes to send, if any.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.io.out.pop_front()
    }

    /// In progress, connected or failed.
    pub fn state(&self) -> &Outcome {
        &self.io.outcome
    }

    /// Bytes received after the handshake (the initiator's first 4-byte
    /// frames, when they came in the same chunk as its `r`).
    pub fn take_leftover(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.io.leftover)
    }

    fn peer_text(&self) -> String {
        lossy(&self.peer_name)
    }

    /// The mandatory check on the peer's word (`mask`: the low 32 bits
    /// only, before a complement); on failure `snot_allowed` is queued.
    fn check_flags(&mut self, mask: DistFlags) -> bool {
        let seen = if super::flags::expands_digest(self.cfg.release) {
            self.peer_flags.expand_mandatory_25()
        } else {
            self.peer_flags
        };
        let missing = mandatory_for(self.cfg.release).without(seen) & mask;
        if missing.0 == 0 {
            return true;
        }
        self.io.send(&HandshakeMessage::Status(Status::Text(
            b"not_allowed".to_vec(),
        )));
        self.io.fail(mandatory_flags_message(
            Side::Acceptor,
            &self.cfg.name_text(),
            &self.peer_text(),
            missing,
        ));
        false
    }

    fn on_message(&mut self, m: HandshakeMessage) {
        match (self.step, m) {
            (AStep::SendName, HandshakeMessage::SendName(s)) => {
                if s.flags.contains(DistFlags::NAME_ME) {
                    self.io.fail(format!(
                        "{} asks for a dynamic name (NAME_ME), which this acceptor does not assign",
                        erl_string(&s.name)
                    ));
                    return;
                }
                if !name_ok(&s.name, false) {
                    self.io.fail(format!(
                        "{{name,...}}: {} is not a node name (name@host with one '@'); closed without a status",
                        erl_string(&s.name)
                    ));
                    return;
                }
                self.peer_name = s.name;
                self.peer_flags = s.flags;
                self.peer_creation = s.creation;
                if !self.check_flags(!DistFlags::EMPTY) {
                    return;
                }
                self.accept(true);
                self.step = AStep::Reply;
            }
            (AStep::SendName, HandshakeMessage::SendNameV5(s)) => {
                if !name_ok(&s.name, false) {
                    self.io.fail(format!(
                        "{} is not a node name (name@host with one '@'); closed without a status",
                        erl_string(&s.name)
                    ));
                    return;
                }
                self.peer_name = s.name;
                self.peer_flags = DistFlags(s.flags.into());
                // Only the low 32 bits are known before the complement.
                if !self.check_flags(DistFlags(0xffff_ffff)) {
                    return;
                }
                let new = self.peer_flags.contains(DistFlags::HANDSHAKE_23);
                self.accept(new);
                self.step = if new { AStep::Complement } else { AStep::Reply };
            }
            (AStep::Complement, HandshakeMessage::Complement(c)) => {
                self.peer_flags =
                    DistFlags(u64::from(self.peer_flags.low()) | (u64::from(c.flags_high) << 32));
                self.peer_creation = c.creation;
                if !self.check_flags(!DistFlags::EMPTY) {
                    return;
                }
                self.step = AStep::Reply;
            }
            (AStep::Reply, HandshakeMessage::ChallengeReply(r)) => {
                if r.digest != digest(&self.cfg.cookie, self.cfg.challenge) {
                    // OTP closes without an `a`.
                    self.io.fail(format!(
                        "** Connection attempt from node {} rejected. Invalid challenge reply. **",
                        super::flags::node_atom(&self.peer_text())
                    ));
                    return;
                }
                self.io.send(&HandshakeMessage::ChallengeAck(ChallengeAck {
                    digest: digest(&self.cfg.cookie, r.challenge),
                }));
                self.step = AStep::Done;
                let negotiated =
                    self.cfg.flags.expand_mandatory_25() & self.peer_flags.expand_mandatory_25();
                self.io.connect(Connection {
                    peer_name: self.peer_name.clone(),
                    peer_flags: self.peer_flags,
                    peer_creation: self.peer_creation,
                    negotiated,
                    hidden: !negotiated.contains(DistFlags::PUBLISHED),
                });
            }
            (step, m) => {
                let what = match step {
                    AStep::SendName => "recv_name_failed",
                    AStep::Complement => "recv_complement_failed",
                    _ => "recv_challenge_reply_failed",
                };
                self.io.fail(format!(
                    "{{{what},...}}: unexpected {} from the initiator",
                    m.type_name()
                ));
            }
        }
    }

    /// `sok` and the challenge (`N`, or the old `n` for a version 5 peer
    /// without HANDSHAKE_23).
    fn accept(&mut self, new_challenge: bool) {
        self.io
            .send(&HandshakeMessage::Status(Status::Text(b"ok".to_vec())));
        let msg = if new_challenge {
            HandshakeMessage::Challenge(Challenge {
                flags: self.cfg.flags,
                challenge: self.cfg.challenge,
                creation: self.cfg.creation,
                name: self.cfg.name.clone(),
                ignored: Vec::new(),
            })
        } else {
            HandshakeMessage::ChallengeV5(ChallengeV5 {
                version: 5,
                flags: self.cfg.flags.low(),
                challenge: self.cfg.challenge,
                name: self.cfg.name.clone(),
            })
        };
        self.io.send(&msg);
    }
}
