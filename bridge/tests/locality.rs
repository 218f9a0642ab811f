//! epmd's locality rule kept by the bridge, with a REAL remote client.
//!
//! The test makes a network namespace with a veth pair (10.253.X.1 on the
//! host side, 10.253.X.2 inside), runs a real `epmd` and the bridge INSIDE
//! it (the bridge listening on 10.253.X.2, epmd on the namespace's
//! loopback), and talks websocket to the bridge from the host side: the
//! bridge sees a peer that is neither loopback nor its own address. Then:
//!
//! * NAMES_REQ and PORT_PLEASE2_REQ work (epmd serves them to anyone);
//! * ALIVE2_REQ, DUMP_REQ, KILL_REQ and STOP_REQ are refused with close
//!   1008 and a reason, also when split across frames, and never reach
//!   epmd: `epmd -names` inside the namespace shows no new name, the
//!   registered one is still there, epmd is still running.
//!
//! A tap bound to the namespace's address keeps the same rule for a plain
//! TCP client.
//!
//! A node registered from inside the namespace (a Node.js client holding
//! an ALIVE2 registration on loopback) gives PORT_PLEASE2 something to find.
//! The namespace and veth pair are removed by a drop guard, also on
//! failure. Root is needed; if the namespace cannot be made, the test FAILS
//! with the reason (it never skips).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::procs::*;
use common::ws::*;
use erldist_codec::epmd::{self, EpmdMessage, Port2Resp};
use std::process::{Command, Stdio};
use std::time::Duration;

const T: Duration = Duration::from_secs(10);

/// A network namespace with a veth pair; removed on drop.
struct NetNs {
    name: String,
    host_if: String,
    host_ip: String,
    ns_ip: String,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new(require_program("ip"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("ip {}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`ip {}` failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl NetNs {
    fn create() -> NetNs {
        let pid = std::process::id();
        let x = pid % 250;
        let ns = NetNs {
            name: format!("erldist-br-{pid}"),
            host_if: format!("ebrh{pid}"),
            host_ip: format!("10.253.{x}.1"),
            ns_ip: format!("10.253.{x}.2"),
        };
        let ns_if = format!("ebrn{pid}");
        let setup = || -> Result<(), String> {
            ip(&["netns", "add", &ns.name])?;
            ip(&[
                "link",
                "add",
                &ns.host_if,
                "type",
                "veth",
                "peer",
                "name",
                &ns_if,
            ])?;
            ip(&["link", "set", &ns_if, "netns", &ns.name])?;
            ip(&[
                "addr",
                "add",
                &format!("{}/30", ns.host_ip),
                "dev",
                &ns.host_if,
            ])?;
            ip(&["link", "set", &ns.host_if, "up"])?;
            let inside = |a: &[&str]| {
                let mut v = vec!["netns", "exec", &ns.name, "ip"];
                v.extend_from_slice(a);
                ip(&v)
            };
            inside(&["link", "set", "lo", "up"])?;
            inside(&["addr", "add", &format!("{}/30", ns.ns_ip), "dev", &ns_if])?;
            inside(&["link", "set", &ns_if, "up"])?;
            Ok(())
        };
        if let Err(e) = setup() {
            drop(ns);
            panic!(
                "this test needs a network namespace (run as root with iproute2: `ip netns add`, \
                 veth pairs) to put the bridge's client on a non-loopback address; setting it up \
                 failed: {e}"
            );
        }
        ns
    }
}

impl Drop for NetNs {
    fn drop(&mut self) {
        // Deleting the namespace deletes the veth end inside it, and with
        // it the pair; the explicit delete covers a half-made setup.
        let _ = ip(&["link", "del", &self.host_if]);
        let _ = ip(&["netns", "del", &self.name]);
    }
}

/// Holds an ALIVE2 registration on the namespace's epmd (loopback: local),
/// with a real Node.js TCP client; prints the reply in hex.
fn register_inside(
    ns: &str,
    epmd_port: u16,
    name: &str,
    port: u16,
    log: &std::path::Path,
) -> ChildGuard {
    let hex: String = alive2_req(name, port)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let js = format!(
        "const s = require('net').connect({epmd_port}, '127.0.0.1', () => s.write(Buffer.from('{hex}', 'hex')));\
         s.on('data', d => console.log('REPLY ' + d.toString('hex')));\
         s.on('close', () => {{ console.log('CLOSED'); process.exit(1); }});\
         setInterval(() => {{}}, 1000);"
    );
    let mut cmd = command(Some(ns), &require_program("node"));
    cmd.args(["-e", &js]);
    let out = std::fs::File::create(log).unwrap();
    cmd.stdout(out.try_clone().unwrap())
        .stderr(out)
        .stdin(Stdio::null());
    let guard = ChildGuard {
        what: format!("node.js registration of {name}"),
        child: cmd.spawn().expect("spawn node"),
    };
    let reply = wait_for("the registration reply", T, || {
        read_lossy(log)
            .lines()
            .find_map(|l| l.strip_prefix("REPLY ").map(str::to_string))
    });
    assert!(reply.starts_with("7600"), "ALIVE2_X_RESP result 0: {reply}");
    guard
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_client_cannot_register_dump_kill_or_stop() {
    let ns = NetNs::create();
    let dir = work_dir("locality");
    let epmd_port = 4369; // the namespace has its own ports
    let epmd_log = dir.join("epmd.log");
    let epmd_proc = start_epmd(Some(&ns.name), epmd_port, &epmd_log);
    let holder = register_inside(&ns.name, epmd_port, "insider", 7777, &dir.join("node.log"));
    let bridge = start_bridge(
        Some(&ns.name),
        epmd_port,
        &format!("{}:8080", ns.ns_ip),
        &["--tap", &format!("{}:4370=epmd", ns.ns_ip)],
        &dir.join("bridge.log"),
    );
    let addr = bridge.addr.clone();
    assert_eq!(addr, format!("{}:8080", ns.ns_ip));
    let names_inside = || epmd_names(Some(&ns.name), epmd_port);
    assert!(
        names_inside().contains("name insider at port 7777"),
        "{}",
        names_inside()
    );
    eprintln!(
        "locality: bridge on {addr} inside netns {}, client on {} (host side)",
        ns.name, ns.host_ip
    );

    // Allowed: NAMES and PORT_PLEASE2.
    let mut ws = must_open(&addr, "/ws/epmd").await;
    send(&mut ws, &names_req()).await;
    let end = read_to_close(&mut ws, T).await;
    assert_eq!(
        end.close.as_ref().map(|c| c.0),
        Some(1000),
        "{:?}",
        end.close
    );
    match decode_reply(&end.data, epmd::NAMES_REQ) {
        EpmdMessage::NamesResp(r) => {
            let text: String = r
                .lines
                .iter()
                .map(|l| String::from_utf8_lossy(&l.raw).into_owned())
                .collect();
            assert!(text.contains("name insider at port 7777"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    let mut ws = must_open(&addr, "/ws/epmd").await;
    send(&mut ws, &port_please2_req("insider")).await;
    let end = read_to_close(&mut ws, T).await;
    match decode_reply(&end.data, epmd::PORT_PLEASE2_REQ) {
        EpmdMessage::Port2Resp(Port2Resp::Found(n)) => assert_eq!(n.port, 7777),
        other => panic!("{other:?}"),
    }
    eprintln!("locality: NAMES_REQ and PORT_PLEASE2_REQ from the remote client answered by epmd");

    // Refused: the four local-only requests, whole or split.
    let alive = alive2_req("intruder", 22);
    let cases: Vec<(&str, Vec<Vec<u8>>)> = vec![
        ("ALIVE2_REQ", vec![alive.clone()]),
        ("ALIVE2_REQ", vec![alive[..2].to_vec(), alive[2..].to_vec()]),
        ("ALIVE2_REQ", alive.iter().map(|b| vec![*b]).collect()),
        ("DUMP_REQ", vec![simple_req(epmd::DUMP_REQ)]),
        ("KILL_REQ", vec![simple_req(epmd::KILL_REQ)]),
        ("STOP_REQ", vec![stop_req("insider")]),
    ];
    for (what, frames) in cases {
        let mut ws = must_open(&addr, "/ws/epmd").await;
        for f in &frames {
            send(&mut ws, f).await;
        }
        let end = read_to_close(&mut ws, T).await;
        let (code, reason) = end.close.expect("a close frame");
        assert_eq!(code, 1008, "{what}: {reason}");
        assert!(
            reason.starts_with(what) && reason.contains("local") && reason.contains(&ns.host_ip),
            "{what}: {reason}"
        );
        assert!(
            end.data.is_empty(),
            "{what}: epmd answered {:02x?}",
            end.data
        );
        eprintln!(
            "locality: {what} in {} frame(s) refused: {code} {reason:?}",
            frames.len()
        );
    }
    // None of it reached epmd.
    let names = names_inside();
    assert!(
        names.contains("name insider at port 7777"),
        "STOP did not reach epmd: {names}"
    );
    assert!(
        !names.contains("intruder"),
        "ALIVE2 did not reach epmd: {names}"
    );
    let log = read_lossy(&epmd_log);
    assert_eq!(
        log.matches("got ALIVE2_REQ").count(),
        1,
        "epmd saw only the insider's ALIVE2_REQ"
    );
    assert!(!log.contains("DUMP_REQ") && !log.contains("KILL_REQ") && !log.contains("STOP_REQ"));

    // The same rule on a tap bound to the namespace's address, for a plain
    // TCP client on the host side.
    let tap = format!("{}:4370", ns.ns_ip);
    let exchange = |req: Vec<u8>| {
        let mut s = std::net::TcpStream::connect(&tap).expect("connect to the tap");
        s.set_read_timeout(Some(T)).unwrap();
        std::io::Write::write_all(&mut s, &req).unwrap();
        let mut got = Vec::new();
        let _ = std::io::Read::read_to_end(&mut s, &mut got);
        got
    };
    let names = exchange(names_req());
    assert!(
        String::from_utf8_lossy(&names).contains("name insider at port 7777"),
        "NAMES through the tap: {names:02x?}"
    );
    assert_eq!(
        exchange(alive2_req("tapintruder", 22)),
        b"",
        "no reply to ALIVE2 through the tap"
    );
    assert_eq!(exchange(simple_req(epmd::KILL_REQ)), b"");
    assert!(!names_inside().contains("tapintruder"));
    assert_eq!(read_lossy(&epmd_log).matches("got ALIVE2_REQ").count(), 1);
    let line = bridge.wait_log_line(&["tap ", "ALIVE2_REQ (120) refused"]);
    assert!(line.contains("by=bridge"), "{line}");
    eprintln!("locality: through a non-loopback tap too: {line}");

    let mut ep = epmd_proc;
    assert!(ep.child.try_wait().unwrap().is_none(), "epmd still running");
    let line = bridge.wait_log_line(&["close=1008", "KILL_REQ"]);
    assert!(line.contains(&format!("peer={}:", ns.host_ip)), "{line}");
    drop(bridge);
    drop(holder);
    drop(ep);
}
