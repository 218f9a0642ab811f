//! The sans-IO epmd (`epmd::server::EpmdServer`) on an arbitrary script.
//! The first byte picks the configuration (relaxed command check, a small
//! or the default unused-list size, the packet timeout); then each step is
//! `op:u8 ...`: open a connection (local or not), feed a raw chunk to one,
//! feed a chunk framed with its right length prefix, the peer closes, or a
//! tick; time only moves forward (the op's high bits). After every step all
//! outputs and events are drained. Asserts no panic and that the host's
//! view stays consistent: bytes and closes only for connections opened and
//! not closed yet, one close per connection, `is_open` agrees with the
//! closes seen, every registration sits on an open registration
//! connection, no name is registered twice, and after `Exit` a new
//! connection is closed at once.
#![no_main]

use erldist_codec::epmd::server::{Config, ConnId, EpmdServer, Output, DEBUG_MAX_UNREG_COUNT};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeSet;

struct Host {
    server: EpmdServer,
    conns: Vec<ConnId>,
    closed: BTreeSet<ConnId>,
    exited: bool,
}

impl Host {
    fn drain(&mut self) {
        while let Some(o) = self.server.poll_output() {
            match o {
                Output::Send { conn, bytes } => {
                    assert!(self.conns.contains(&conn), "send on an unknown {conn:?}");
                    assert!(!self.closed.contains(&conn), "send after close on {conn:?}");
                    assert!(!bytes.is_empty(), "an empty send");
                }
                Output::Close { conn } => {
                    assert!(self.conns.contains(&conn), "close of an unknown {conn:?}");
                    assert!(self.closed.insert(conn), "{conn:?} closed twice");
                }
                Output::Exit => {
                    assert!(!self.exited, "exited twice");
                    self.exited = true;
                }
            }
        }
        while let Some(e) = self.server.poll_event() {
            if let Some(c) = e.conn {
                assert!(self.conns.contains(&c), "event on an unknown {c:?}");
            }
            // The messages are shown; make sure they are built.
            std::hint::black_box(e.message.len());
        }
        assert_eq!(self.server.has_exited(), self.exited);
        for c in &self.conns {
            assert_eq!(
                self.server.is_open(*c),
                !self.closed.contains(c),
                "is_open({c:?}) disagrees with the closes"
            );
        }
        let mut names = BTreeSet::new();
        for r in self.server.registered() {
            assert!(
                self.server.is_registration(r.conn),
                "{} registered on a closed or plain connection",
                r.name_lossy()
            );
            assert!(names.insert(r.name.clone()), "{} twice", r.name_lossy());
            std::hint::black_box(r.creation());
        }
        for r in self.server.unused() {
            std::hint::black_box(r.creation());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, mut rest)) = data.split_first() else {
        return;
    };
    let config = Config {
        relaxed_command_check: mode & 1 != 0,
        max_unused: if mode & 2 != 0 {
            DEBUG_MAX_UNREG_COUNT
        } else {
            usize::from(mode >> 5)
        },
        packet_timeout: u64::from((mode >> 2) & 7) * 10,
        ..Config::default()
    };
    let mut host = Host {
        server: EpmdServer::new(config),
        conns: Vec::new(),
        closed: BTreeSet::new(),
        exited: false,
    };
    let mut now: u64 = 1_000;
    let pick = |host: &Host, b: u8| -> ConnId {
        if host.conns.is_empty() {
            // Not a connection the server knows: ignored.
            ConnId(u32::from(b) + 1000)
        } else {
            host.conns[usize::from(b) % host.conns.len()]
        }
    };
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        now += u64::from(op >> 4);
        match op & 7 {
            0 | 7 => {
                let id = host.server.open(op & 8 != 0, now);
                assert!(!host.conns.contains(&id), "{id:?} reused");
                host.conns.push(id);
                host.drain();
                if host.exited {
                    assert!(host.closed.contains(&id), "opened after exit");
                }
                continue;
            }
            1 | 2 => {
                // A raw chunk: `conn len bytes`.
                let [c, len, tail @ ..] = rest else { break };
                let n = usize::from(*len).min(tail.len());
                let id = pick(&host, *c);
                host.server.receive(id, &tail[..n], now);
                rest = &tail[n..];
            }
            3 | 4 => {
                // A request with its right length: `conn len bytes`, sent
                // as one read, or in two when op's bit 3 is set.
                let [c, len, tail @ ..] = rest else { break };
                let n = usize::from(*len).min(tail.len());
                let id = pick(&host, *c);
                let mut req = (n as u16).to_be_bytes().to_vec();
                req.extend_from_slice(&tail[..n]);
                if op & 8 != 0 && req.len() > 1 {
                    let (a, b) = req.split_at(req.len() / 2);
                    host.server.receive(id, a, now);
                    host.drain();
                    host.server.receive(id, b, now);
                } else {
                    host.server.receive(id, &req, now);
                }
                rest = &tail[n..];
            }
            5 => {
                let [c, tail @ ..] = rest else { break };
                let id = pick(&host, *c);
                host.server.peer_closed(id);
                rest = tail;
            }
            _ => {
                now += u64::from(op >> 3) * 8;
                host.server.tick(now);
            }
        }
        host.drain();
    }
    // Everyone hangs up: nothing stays registered.
    for id in host.conns.clone() {
        host.server.peer_closed(id);
    }
    host.drain();
    assert_eq!(host.server.registered().count(), 0);
    for c in &host.conns {
        assert!(host.closed.contains(c), "{c:?} still open after its close");
    }
});
