//! A sans-IO epmd: the name service of `erts/epmd/src/epmd_srv.c`, without
//! sockets and without a clock.
//!
//! The host owns the sockets. For every accepted connection it calls
//! [`EpmdServer::open`] (saying whether the peer is local, as epmd decides it:
//! 127.0.0.0/8, `::1`, or the socket's own address), feeds what it reads with
//! [`EpmdServer::receive`] (one call per `read()`: epmd's answer depends on
//! how the bytes arrive, see below), reports the peer's close with
//! [`EpmdServer::peer_closed`], calls [`EpmdServer::tick`] now and then for
//! epmd's packet timeout, and carries out what [`EpmdServer::poll_output`]
//! returns, in order: bytes to write, connections to close, and `Exit` after
//! a KILL_REQ epmd obeys. [`EpmdServer::poll_event`] returns epmd's own log
//! messages (`** got ALIVE2_REQ`, `got garbage `, ...) with what happened to
//! the name table, for a page to explain.
//!
//! What it does, as epmd does it (OTP 23+):
//!
//! * Framing: `Length:u16` then the request. `Length` 0 or above 3057 →
//!   `invalid packet size`, close, no reply. More bytes in the first read
//!   than the length announces (two pipelined requests) → `got N bytes in
//!   packet, expected M`, close, no reply. A close before the request is
//!   whole → `got partial packet only`. Once the length is known, epmd reads
//!   only up to the end of the request: bytes that come later stay unread
//!   (a normal request's connection is closed after its reply; on a
//!   registration connection they are read later, see below).
//! * ALIVE2_REQ (local peers only): registers the name for as long as the
//!   connection stays open. The reply is ALIVE2_X_RESP (32-bit creation) when
//!   the request's HighestVersion is 6 or more, else ALIVE2_RESP (creation
//!   `cr % 3 + 1`). A name already registered, longer than 255 characters or
//!   1020 bytes, not UTF-8, or an Extra over 1020 bytes → result 1, creation
//!   99. After any ALIVE2 reply the connection is kept. Creation: per name a
//!   32-bit counter, `now + 1` (at least 4) for a new name, `+ 1` when a name
//!   comes back from the unused list; when that list holds more than
//!   [`Config::max_unused`] names a new name takes over the oldest entry and
//!   its counter (epmd's slot reuse, without a bump).
//! * Registration lifetime: the peer closing → the name moves to the unused
//!   list. **Any byte** received on a registration connection → `got more
//!   than expected on ALIVE socket`, the name is unregistered and the
//!   connection closed.
//! * PORT_PLEASE2_REQ → PORT2_RESP `119, 0, port, type, protocol, high, low,
//!   nlen, name, elen, extra` or `119, 1`. One trailing NUL is stripped; a
//!   NUL inside the name, or a name that is not UTF-8 or over 254 characters
//!   (epmd counts the terminator) → no reply.
//! * NAMES_REQ → epmd's port as u32, then `name N at port P\n` per
//!   registered node, newest registration first.
//! * DUMP_REQ (local only) → the port, then `active name     <N> at port P,
//!   fd = F\n\0` per node and `old/unused name <N>, port = P, fd = F \n\0`
//!   per unused name. The "fd" printed is the connection's [`ConnId`] number
//!   (epmd prints its file descriptor).
//! * KILL_REQ (local only) → `NO` while names are registered and
//!   [`Config::relaxed_command_check`] is off; else `OK`, every connection
//!   is closed and [`Output::Exit`] is returned (epmd exits; the host decides
//!   whether to stop listening: later connections are closed at once).
//! * STOP_REQ (local only, relaxed mode only, else no reply) → unregisters
//!   the name and closes its connection, `STOPPED`; unknown name →
//!   `NOEXIST` then `STOPPED`.
//! * Any other code (including the obsolete R3 requests) → `got garbage `,
//!   close, no reply. A non-local peer's ALIVE2/DUMP/KILL/STOP → logged,
//!   close, no reply.
//!
//! ```
//! use erldist_codec::epmd::server::{Config, EpmdServer, Output};
//! let mut epmd = EpmdServer::new(Config { port: 4369, ..Config::default() });
//! let now = 1_700_000_000;
//! // A node registers "node" on port 9506 (ALIVE2_REQ, HighestVersion 6).
//! let reg = epmd.open(true, now);
//! epmd.receive(reg, &[0, 17, 120, 0x25, 0x22, 77, 0, 0, 6, 0, 5, 0, 4, b'n', b'o', b'd', b'e', 0, 0], now);
//! match epmd.poll_output() {
//!     Some(Output::Send { bytes, .. }) => assert_eq!(bytes[..2], [118, 0]),
//!     other => panic!("{other:?}"),
//! }
//! // Someone asks for the names.
//! let c = epmd.open(false, now);
//! epmd.receive(c, &[0, 1, 110], now);
//! let Some(Output::Send { bytes, .. }) = epmd.poll_output() else { panic!() };
//! assert_eq!(bytes, b"\x00\x00\x11\x11name node at port 9506\n");
//! assert_eq!(epmd.poll_output(), Some(Output::Close { conn: c }));
//! // The node closes its socket: the name is gone.
//! epmd.peer_closed(reg);
//! assert!(epmd.registered().next().is_none());
//! ```

use super::{
    ALIVE2_REQ, ALIVE2_RESP, ALIVE2_X_RESP, DUMP_REQ, KILL_REQ, NAMES_REQ, PORT2_RESP,
    PORT_PLEASE2_REQ, STOP_REQ,
};
use std::collections::{BTreeMap, VecDeque};

/// epmd's input buffer: a request with its prefix must be shorter.
pub const INBUF_SIZE: usize = 3060;
/// Longest name or extra, in bytes (`MAXSYMLEN`).
pub const MAX_SYMLEN: usize = 1020;
/// Unused names epmd remembers (`MAX_UNREG_COUNT`).
pub const MAX_UNREG_COUNT: usize = 1000;
/// Unused names epmd remembers when started with `-d` (`DEBUG_MAX_UNREG_COUNT`).
pub const DEBUG_MAX_UNREG_COUNT: usize = 5;
/// Seconds a non-registration connection may stay idle (`-packet_timeout`).
pub const PACKET_TIMEOUT: u64 = 60;

/// One connection to the server, numbered from 1 in the order opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u32);

/// How the server behaves; the defaults are epmd's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The port epmd says it listens on (NAMES_RESP, DUMP_RESP).
    pub port: u16,
    /// `-relaxed_command_check`: STOP_REQ allowed, KILL_REQ obeyed while
    /// names are registered.
    pub relaxed_command_check: bool,
    /// Unused names remembered before a new name takes over the oldest slot
    /// ([`MAX_UNREG_COUNT`]; [`DEBUG_MAX_UNREG_COUNT`] for an epmd with `-d`).
    pub max_unused: usize,
    /// Idle seconds before a non-registration connection is closed.
    pub packet_timeout: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            port: super::DEFAULT_PORT,
            relaxed_command_check: false,
            max_unused: MAX_UNREG_COUNT,
            packet_timeout: PACKET_TIMEOUT,
        }
    }
}

/// A name in the table (registered or unused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The alive name, as registered.
    pub name: Vec<u8>,
    /// The node's listen port.
    pub port: u16,
    /// Node type (77 `M`, 72 `H`, ...).
    pub node_type: u8,
    /// Protocol (0).
    pub protocol: u8,
    /// HighestVersion.
    pub highest_version: u16,
    /// LowestVersion.
    pub lowest_version: u16,
    /// Extra bytes, echoed in PORT2_RESP.
    pub extra: Vec<u8>,
    /// The connection that registered it (the last one, for an unused name).
    pub conn: ConnId,
    /// epmd's per-name creation counter.
    pub cr_counter: u32,
}

impl Registration {
    /// The creation epmd reports for this registration: the counter for a
    /// version-6 node, `counter % 3 + 1` otherwise.
    pub fn creation(&self) -> u32 {
        if self.highest_version >= 6 {
            self.cr_counter
        } else {
            self.cr_counter % 3 + 1
        }
    }

    /// The name as text (invalid UTF-8 replaced).
    pub fn name_lossy(&self) -> String {
        String::from_utf8_lossy(&self.name).into_owned()
    }
}

/// Something the host must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Write these bytes to the connection.
    Send {
        /// The connection.
        conn: ConnId,
        /// epmd's reply bytes (no length prefix).
        bytes: Vec<u8>,
    },
    /// Close the connection (after writing what was sent before).
    Close {
        /// The connection.
        conn: ConnId,
    },
    /// epmd obeyed a KILL_REQ and exits: every connection is already closed.
    Exit,
}

/// What happened, for a log or a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// A request was read whole (`** got NAMES_REQ`).
    Request {
        /// Its request code.
        code: u8,
    },
    /// A reply was sent (`** sent NAMES_RESP`).
    Reply,
    /// A name was registered.
    Registered {
        /// The name.
        name: Vec<u8>,
        /// The creation sent back.
        creation: u32,
        /// The node's port.
        port: u16,
    },
    /// A name left the table (moved to the unused list).
    Unregistered {
        /// The name.
        name: Vec<u8>,
    },
    /// Something epmd logs at level 0: a refused or malformed request.
    Refused,
    /// The server closed the connection.
    Closed,
    /// epmd exits (KILL_REQ).
    Exit,
    /// Anything else epmd logs (`reusing slot with same name`).
    Log,
}

/// One event: what kind, on which connection, and epmd's own log text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The connection it is about, if any.
    pub conn: Option<ConnId>,
    /// What happened.
    pub kind: EventKind,
    /// epmd's log message for it (the text after `epmd: <time>: `).
    pub message: String,
}

#[derive(Debug)]
struct Conn {
    local: bool,
    keep: bool,
    want: usize,
    buf: Vec<u8>,
    mod_time: u64,
}

/// The server: the name table and the state of each open connection.
#[derive(Debug)]
pub struct EpmdServer {
    config: Config,
    /// Registered names, newest first.
    reg: VecDeque<Registration>,
    /// Unused names, oldest first.
    unused: VecDeque<Registration>,
    conns: BTreeMap<ConnId, Conn>,
    next_id: u32,
    exited: bool,
    outputs: VecDeque<Output>,
    events: VecDeque<Event>,
}

impl EpmdServer {
    /// An epmd with an empty table.
    pub fn new(config: Config) -> EpmdServer {
        EpmdServer {
            config,
            reg: VecDeque::new(),
            unused: VecDeque::new(),
            conns: BTreeMap::new(),
            next_id: 1,
            exited: false,
            outputs: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A new connection; `local` as epmd decides it (only local peers may
    /// register, dump, kill and stop). `now` is the time in seconds (the
    /// packet timeout counts from it). After an [`Output::Exit`] the
    /// connection is closed at once.
    pub fn open(&mut self, local: bool, now: u64) -> ConnId {
        let id = ConnId(self.next_id);
        self.next_id = self.next_id.wrapping_add(1).max(1);
        if self.exited {
            self.event(Some(id), EventKind::Closed, "epmd has exited".into());
            self.outputs.push_back(Output::Close { conn: id });
            return id;
        }
        self.conns.insert(
            id,
            Conn {
                local,
                keep: false,
                want: 0,
                buf: Vec::new(),
                mod_time: now,
            },
        );
        id
    }

    /// Is the connection still open on the server's side?
    pub fn is_open(&self, conn: ConnId) -> bool {
        self.conns.contains_key(&conn)
    }

    /// Does the connection hold a registration (it was answered an ALIVE2
    /// reply and is kept open)?
    pub fn is_registration(&self, conn: ConnId) -> bool {
        self.conns.get(&conn).is_some_and(|c| c.keep)
    }

    /// Has epmd exited (KILL_REQ)?
    pub fn has_exited(&self) -> bool {
        self.exited
    }

    /// Registered names, newest first (NAMES_RESP's order).
    pub fn registered(&self) -> impl Iterator<Item = &Registration> {
        self.reg.iter()
    }

    /// The registration a connection holds.
    pub fn registration_of(&self, conn: ConnId) -> Option<&Registration> {
        self.reg.iter().find(|r| r.conn == conn)
    }

    /// Names no longer registered, remembered for their creation, oldest first.
    pub fn unused(&self) -> impl Iterator<Item = &Registration> {
        self.unused.iter()
    }

    /// The next thing the host must do, in order.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// The next event, in order.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Bytes read from the connection. One call stands for what one
    /// `read()` returned: epmd's first read takes up to 3059 bytes, so a
    /// request and more bytes arriving together are refused as a whole
    /// (`got N bytes in packet`), while the same bytes arriving after the
    /// request is answered are not read at all (or, on a registration
    /// connection, unregister the name). Bytes for a closed or unknown
    /// connection are ignored.
    pub fn receive(&mut self, id: ConnId, data: &[u8], now: u64) {
        let mut data = data;
        while !data.is_empty() {
            let Some(c) = self.conns.get_mut(&id) else {
                return;
            };
            if c.keep {
                let n = data.len().min(INBUF_SIZE);
                self.event(
                    Some(id),
                    EventKind::Refused,
                    format!("got more than expected on ALIVE socket {} ({n})", id.0),
                );
                self.unregister_conn(id);
                self.close(id);
                return;
            }
            let pack = if c.want != 0 { c.want } else { INBUF_SIZE - 1 };
            let n = data.len().min(pack.saturating_sub(c.buf.len()));
            if n == 0 {
                return;
            }
            let (now_read, rest) = data.split_at(n);
            data = rest;
            c.buf.extend_from_slice(now_read);
            if c.want == 0 {
                if let &[a, b, ..] = c.buf.as_slice() {
                    c.want = usize::from(u16::from_be_bytes([a, b])) + 2;
                    let (want, got) = (c.want, c.buf.len());
                    if !(3..INBUF_SIZE).contains(&want) {
                        self.refuse_close(id, format!("invalid packet size ({})", want - 2));
                        return;
                    }
                    if got > want {
                        self.refuse_close(
                            id,
                            format!("got {} bytes in packet, expected {}", got - 2, want - 2),
                        );
                        return;
                    }
                }
            }
            c.mod_time = now;
            if c.want == c.buf.len() {
                let buf = std::mem::take(&mut c.buf);
                self.request(id, buf.get(2..).unwrap_or(&[]), now);
                if self.conns.get(&id).is_some_and(|c| !c.keep) {
                    self.close(id);
                }
            }
        }
    }

    /// The peer closed the connection (or a read failed). A registration
    /// connection unregisters its name; a request not yet whole is dropped.
    pub fn peer_closed(&mut self, id: ConnId) {
        let Some(c) = self.conns.get(&id) else {
            return;
        };
        if c.keep {
            self.unregister_conn(id);
        } else {
            let got = c.buf.len();
            self.event(
                Some(id),
                EventKind::Refused,
                format!(
                    "got partial packet only on file descriptor {} ({got})",
                    id.0
                ),
            );
        }
        self.close(id);
    }

    /// The time is now `now` seconds: closes non-registration connections
    /// idle for more than the packet timeout.
    pub fn tick(&mut self, now: u64) {
        let timeout = self.config.packet_timeout;
        let idle: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| !c.keep && c.mod_time.saturating_add(timeout) < now)
            .map(|(id, _)| *id)
            .collect();
        for id in idle {
            self.event(
                Some(id),
                EventKind::Refused,
                "closing because timed out on receive".into(),
            );
            self.close(id);
        }
    }

    // ------------------------------------------------------------ internals

    fn event(&mut self, conn: Option<ConnId>, kind: EventKind, message: String) {
        self.events.push_back(Event {
            conn,
            kind,
            message,
        });
    }

    fn refused(&mut self, id: ConnId, message: String) {
        self.event(Some(id), EventKind::Refused, message);
    }

    fn refuse_close(&mut self, id: ConnId, message: String) {
        self.refused(id, message);
        self.close(id);
    }

    fn send(&mut self, id: ConnId, bytes: Vec<u8>) {
        self.outputs.push_back(Output::Send { conn: id, bytes });
    }

    fn close(&mut self, id: ConnId) {
        if self.conns.remove(&id).is_some() {
            self.event(
                Some(id),
                EventKind::Closed,
                format!("closing connection on file descriptor {}", id.0),
            );
            self.outputs.push_back(Output::Close { conn: id });
        }
    }

    fn unregister_at(&mut self, i: usize) -> Option<ConnId> {
        let r = self.reg.remove(i)?;
        let conn = r.conn;
        self.event(
            Some(conn),
            EventKind::Unregistered {
                name: r.name.clone(),
            },
            format!(
                "unregistering '{}:{}', port {}",
                r.name_lossy(),
                r.creation(),
                r.port
            ),
        );
        self.unused.push_back(r);
        Some(conn)
    }

    /// `node_unreg_sock`.
    fn unregister_conn(&mut self, id: ConnId) {
        if let Some(i) = self.reg.iter().position(|r| r.conn == id) {
            self.unregister_at(i);
        }
    }

    fn local_only(&mut self, id: ConnId, what: &str) -> bool {
        if self.conns.get(&id).is_some_and(|c| c.local) {
            return true;
        }
        self.refused(id, format!("{what} from non local address"));
        false
    }

    fn request(&mut self, id: ConnId, buf: &[u8], now: u64) {
        let Some(&code) = buf.first() else {
            return;
        };
        let got = |name: &str| format!("** got {name}");
        match code {
            ALIVE2_REQ => {
                self.event(Some(id), EventKind::Request { code }, got("ALIVE2_REQ"));
                if self.local_only(id, "ALIVE2_REQ") {
                    self.alive2(id, buf, now);
                }
            }
            PORT_PLEASE2_REQ => {
                self.event(Some(id), EventKind::Request { code }, got("PORT2_REQ"));
                self.port_please2(id, buf);
            }
            NAMES_REQ => {
                self.event(Some(id), EventKind::Request { code }, got("NAMES_REQ"));
                let mut out = u32::from(self.config.port).to_be_bytes().to_vec();
                for r in &self.reg {
                    out.extend_from_slice(b"name ");
                    out.extend_from_slice(&r.name);
                    out.extend_from_slice(format!(" at port {}\n", r.port).as_bytes());
                }
                self.send(id, out);
                self.event(Some(id), EventKind::Reply, "** sent NAMES_RESP".into());
            }
            DUMP_REQ => {
                self.event(Some(id), EventKind::Request { code }, got("DUMP_REQ"));
                if self.local_only(id, "DUMP_REQ") {
                    let mut out = u32::from(self.config.port).to_be_bytes().to_vec();
                    for r in &self.reg {
                        out.extend_from_slice(b"active name     <");
                        out.extend_from_slice(&r.name);
                        out.extend_from_slice(
                            format!("> at port {}, fd = {}\n\0", r.port, r.conn.0).as_bytes(),
                        );
                    }
                    for r in &self.unused {
                        out.extend_from_slice(b"old/unused name <");
                        out.extend_from_slice(&r.name);
                        out.extend_from_slice(
                            format!(">, port = {}, fd = {} \n\0", r.port, r.conn.0).as_bytes(),
                        );
                    }
                    self.send(id, out);
                    self.event(Some(id), EventKind::Reply, "** sent DUMP_RESP".into());
                }
            }
            KILL_REQ => {
                if !self.local_only(id, "KILL_REQ") {
                    return;
                }
                self.event(Some(id), EventKind::Request { code }, got("KILL_REQ"));
                if !self.config.relaxed_command_check && !self.reg.is_empty() {
                    self.refused(id, "Disallowed KILL_REQ, live nodes".into());
                    self.send(id, b"NO".to_vec());
                    return;
                }
                self.send(id, b"OK".to_vec());
                self.event(Some(id), EventKind::Exit, "epmd killed".into());
                self.close(id);
                // The process exits: every socket closes, every name goes.
                let open: Vec<ConnId> = self.conns.keys().copied().collect();
                for c in open {
                    self.close(c);
                }
                self.reg.clear();
                self.unused.clear();
                self.exited = true;
                self.outputs.push_back(Output::Exit);
            }
            STOP_REQ => {
                self.event(Some(id), EventKind::Request { code }, got("STOP_REQ"));
                if !self.local_only(id, "STOP_REQ") {
                    return;
                }
                if !self.config.relaxed_command_check {
                    self.refused(id, "Disallowed STOP_REQ, no relaxed_command_check".into());
                    return;
                }
                if buf.len() <= 1 {
                    self.refused(
                        id,
                        format!("packet too small for request STOP_REQ ({})", buf.len()),
                    );
                    return;
                }
                // A C string: up to the first NUL.
                let name: Vec<u8> = buf
                    .iter()
                    .skip(1)
                    .copied()
                    .take_while(|&b| b != 0)
                    .collect();
                match self.reg.iter().position(|r| r.name == name) {
                    Some(i) => {
                        if let Some(conn) = self.unregister_at(i) {
                            self.close(conn);
                        }
                    }
                    None => {
                        self.send(id, b"NOEXIST".to_vec());
                        self.event(
                            Some(id),
                            EventKind::Reply,
                            "** sent STOP_RESP NOEXIST".into(),
                        );
                    }
                }
                self.send(id, b"STOPPED".to_vec());
                self.event(
                    Some(id),
                    EventKind::Reply,
                    "** sent STOP_RESP STOPPED".into(),
                );
            }
            _ => self.refused(id, "got garbage ".into()),
        }
    }

    fn alive2(&mut self, id: ConnId, buf: &[u8], now: u64) {
        let bsize = buf.len();
        if bsize <= 13 {
            self.refused(
                id,
                format!("packet to small for request ALIVE2_REQ ({bsize})"),
            );
            return;
        }
        let u16_at = |i: usize| -> usize {
            match (buf.get(i), buf.get(i + 1)) {
                (Some(&a), Some(&b)) => usize::from(u16::from_be_bytes([a, b])),
                _ => 0,
            }
        };
        let byte = |i: usize| buf.get(i).copied().unwrap_or(0);
        let port = u16::from_be_bytes([byte(1), byte(2)]);
        let node_type = byte(3);
        let protocol = byte(4);
        let highest_version = u16::from_be_bytes([byte(5), byte(6)]);
        let lowest_version = u16::from_be_bytes([byte(7), byte(8)]);
        let namelen = u16_at(9);
        if namelen + 13 > bsize {
            self.refused(id, "Node name size error in ALIVE2_REQ".into());
            return;
        }
        let extralen = u16_at(11 + namelen);
        if extralen + namelen + 13 > bsize {
            self.refused(id, "Extra info size error in ALIVE2_REQ".into());
            return;
        }
        let name = buf.get(11..11 + namelen).unwrap_or(&[]).to_vec();
        if name.contains(&0) {
            self.refused(id, "node name contains ascii 0 in ALIVE2_REQ".into());
            return;
        }
        let extra = buf
            .get(13 + namelen..13 + namelen + extralen)
            .unwrap_or(&[])
            .to_vec();
        let node = Registration {
            name,
            port,
            node_type,
            protocol,
            highest_version,
            lowest_version,
            extra,
            conn: id,
            cr_counter: 0,
        };
        let shown = node.name_lossy();
        let creation = self.register(id, node, now);
        let result = u8::from(creation.is_none());
        let creation = creation.unwrap_or(99);
        let mut out = Vec::with_capacity(6);
        if highest_version >= 6 {
            out.push(ALIVE2_X_RESP);
            out.push(result);
            out.extend_from_slice(&creation.to_be_bytes());
        } else {
            out.push(ALIVE2_RESP);
            out.push(result);
            // put_int16: the low 16 bits.
            out.extend_from_slice(&u16::try_from(creation & 0xffff).unwrap_or(0).to_be_bytes());
        }
        self.send(id, out);
        self.event(
            Some(id),
            EventKind::Reply,
            format!("** sent EPMD_ALIVE2_RESP for \"{shown}\""),
        );
        if let Some(c) = self.conns.get_mut(&id) {
            c.keep = true;
        }
    }

    /// `node_reg2`: the creation, or `None` when refused.
    fn register(&mut self, id: ConnId, mut node: Registration, now: u64) -> Option<u32> {
        let shown = node.name_lossy();
        if node.name.len() > MAX_SYMLEN {
            self.refused(
                id,
                format!("node name is too long ({}) {shown}", node.name.len()),
            );
            return None;
        }
        match verify_utf8(&node.name) {
            Some(n) if n > 255 => {
                self.refused(
                    id,
                    format!("node name is too long ({}) {shown}", node.name.len()),
                );
                return None;
            }
            None => {
                self.refused(id, "invalid node name encoding".into());
                return None;
            }
            Some(_) => {}
        }
        if node.extra.len() > MAX_SYMLEN {
            self.refused(
                id,
                format!(
                    "extra data is too long ({}) {}",
                    node.extra.len(),
                    String::from_utf8_lossy(&node.extra)
                ),
            );
            return None;
        }
        if self.reg.iter().any(|r| r.name == node.name) {
            self.refused(id, format!("node name already occupied {shown}"));
            return None;
        }
        if let Some(i) = self.unused.iter().position(|r| r.name == node.name) {
            let old = self.unused.remove(i)?;
            self.event(
                Some(id),
                EventKind::Log,
                format!("reusing slot with same name '{shown}'"),
            );
            node.cr_counter = bump(old.cr_counter);
        } else if self.unused.len() > self.config.max_unused {
            // epmd takes over the oldest slot, counter and all.
            node.cr_counter = self.unused.pop_front()?.cr_counter;
        } else {
            // time_t to unsigned int: the low 32 bits.
            node.cr_counter = bump(u32::try_from(now & 0xffff_ffff).unwrap_or(0));
        }
        let creation = node.creation();
        self.event(
            Some(id),
            EventKind::Registered {
                name: node.name.clone(),
                creation,
                port: node.port,
            },
            format!("registering '{shown}:{creation}', port {}", node.port),
        );
        self.reg.push_front(node);
        Some(creation)
    }

    fn port_please2(&mut self, id: ConnId, buf: &[u8]) {
        let mut bsize = buf.len();
        if buf.last() == Some(&0) {
            bsize -= 1;
        }
        if bsize <= 1 {
            self.refused(
                id,
                format!("packet too small for request PORT2_REQ ({bsize})"),
            );
            return;
        }
        let name = buf.get(1..bsize).unwrap_or(&[]);
        if name.contains(&0) {
            self.refused(id, "node name contains ascii 0 in PORT2_REQ".into());
            return;
        }
        // epmd verifies bsize bytes from the name: the name and its NUL.
        let mut with_nul = name.to_vec();
        with_nul.push(0);
        match verify_utf8(&with_nul) {
            Some(n) if (1..=255).contains(&n) => {}
            _ => {
                self.refused(id, "invalid node name in PORT2_REQ".into());
                return;
            }
        }
        let shown = String::from_utf8_lossy(name).into_owned();
        let found = self.reg.iter().find(|r| r.name == name).map(|r| {
            let mut out = vec![PORT2_RESP, 0];
            out.extend_from_slice(&r.port.to_be_bytes());
            out.push(r.node_type);
            out.push(r.protocol);
            out.extend_from_slice(&r.highest_version.to_be_bytes());
            out.extend_from_slice(&r.lowest_version.to_be_bytes());
            // Both at most MAX_SYMLEN bytes.
            out.extend_from_slice(&u16::try_from(r.name.len()).unwrap_or(0).to_be_bytes());
            out.extend_from_slice(&r.name);
            out.extend_from_slice(&u16::try_from(r.extra.len()).unwrap_or(0).to_be_bytes());
            out.extend_from_slice(&r.extra);
            out
        });
        match found {
            Some(out) => {
                self.send(id, out);
                self.event(
                    Some(id),
                    EventKind::Reply,
                    format!("** sent PORT2_RESP (ok) for \"{shown}\""),
                );
            }
            None => {
                self.send(id, vec![PORT2_RESP, 1]);
                self.event(
                    Some(id),
                    EventKind::Reply,
                    format!("** sent PORT2_RESP (error) for \"{shown}\""),
                );
            }
        }
    }
}

/// `bump_creation`: next counter value, at least 4.
fn bump(cr: u32) -> u32 {
    cr.wrapping_add(1).max(4)
}

/// epmd's `verify_utf8` (no NUL termination): the number of characters, or
/// `None` for bytes that are not UTF-8 as epmd checks it.
pub fn verify_utf8(src: &[u8]) -> Option<usize> {
    let mut s = src;
    let mut chars = 0usize;
    let cont = |b: Option<&u8>| b.is_some_and(|b| b & 0xC0 == 0x80);
    while let Some(&c) = s.first() {
        let n = if c & 0x80 == 0 {
            1
        } else if c & 0xE0 == 0xC0 {
            if s.len() < 2 || !cont(s.get(1)) || c < 0xC2 {
                return None;
            }
            2
        } else if c & 0xF0 == 0xE0 {
            let b1 = *s.get(1)?;
            if s.len() < 3 || !cont(s.get(1)) || !cont(s.get(2)) || (c == 0xE0 && b1 < 0xA0) {
                return None;
            }
            if c & 0x0F == 0x0D && b1 & 0x20 != 0 {
                return None;
            }
            3
        } else if c & 0xF8 == 0xF0 {
            let b1 = *s.get(1)?;
            if s.len() < 4
                || !cont(s.get(1))
                || !cont(s.get(2))
                || !cont(s.get(3))
                || (c == 0xF0 && b1 < 0x90)
            {
                return None;
            }
            if c & 0x07 > 4 || (c & 0x07 == 4 && b1 & 0x3F > 0x0F) {
                return None;
            }
            4
        } else {
            return None;
        };
        s = s.get(n..)?;
        chars += 1;
    }
    Some(chars)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alive2(name: &[u8], port: u16, hi: u16) -> Vec<u8> {
        let mut body = vec![ALIVE2_REQ];
        body.extend_from_slice(&port.to_be_bytes());
        body.extend_from_slice(&[77, 0]);
        body.extend_from_slice(&hi.to_be_bytes());
        body.extend_from_slice(&5u16.to_be_bytes());
        body.extend_from_slice(&u16::try_from(name.len()).unwrap().to_be_bytes());
        body.extend_from_slice(name);
        body.extend_from_slice(&[0, 0]);
        let mut v = u16::try_from(body.len()).unwrap().to_be_bytes().to_vec();
        v.extend(body);
        v
    }

    fn outputs(s: &mut EpmdServer) -> Vec<Output> {
        std::iter::from_fn(|| s.poll_output()).collect()
    }

    #[test]
    fn creation_and_reuse() {
        let mut s = EpmdServer::new(Config::default());
        let a = s.open(true, 1000);
        s.receive(a, &alive2(b"foo", 5555, 6), 1000);
        assert_eq!(
            outputs(&mut s),
            vec![Output::Send {
                conn: a,
                bytes: vec![118, 0, 0, 0, 0x03, 0xe9]
            }]
        );
        s.peer_closed(a);
        assert_eq!(outputs(&mut s), vec![Output::Close { conn: a }]);
        let b = s.open(true, 2000);
        s.receive(b, &alive2(b"foo", 5555, 5), 2000);
        // counter 1002, version 5: 1002 % 3 + 1 = 1.
        assert_eq!(
            outputs(&mut s),
            vec![Output::Send {
                conn: b,
                bytes: vec![121, 0, 0, 1]
            }]
        );
        // Taken.
        let c = s.open(true, 2000);
        s.receive(c, &alive2(b"foo", 1, 6), 2000);
        assert_eq!(
            outputs(&mut s),
            vec![Output::Send {
                conn: c,
                bytes: vec![118, 1, 0, 0, 0, 99]
            }]
        );
        assert!(s.is_registration(c));
    }

    #[test]
    fn bytes_on_registration_and_pipelining() {
        let mut s = EpmdServer::new(Config::default());
        let a = s.open(true, 0);
        s.receive(a, &alive2(b"n", 1, 6), 0);
        s.receive(a, b"x", 0);
        assert_eq!(s.registered().count(), 0);
        assert!(!s.is_open(a));
        // Same bytes in one read: refused whole, nothing registered.
        let b = s.open(true, 0);
        let mut v = alive2(b"n", 1, 6);
        v.push(b'x');
        s.receive(b, &v, 0);
        let out = outputs(&mut s);
        assert_eq!(out.last(), Some(&Output::Close { conn: b }));
        assert!(!out
            .iter()
            .any(|o| matches!(o, Output::Send { conn, .. } if *conn == b)));
        // Byte by byte works.
        let c = s.open(true, 0);
        for byte in alive2(b"n", 1, 6) {
            s.receive(c, &[byte], 0);
        }
        assert_eq!(s.registered().count(), 1);
    }

    #[test]
    fn utf8() {
        assert_eq!(verify_utf8("héllo".as_bytes()), Some(5));
        assert_eq!(verify_utf8(&[0xc3]), None);
        assert_eq!(verify_utf8(&[0xed, 0xa0, 0x80]), None);
        assert_eq!(verify_utf8(&[0xf4, 0x90, 0x80, 0x80]), None);
    }
}
