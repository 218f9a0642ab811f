//! Real processes for the bridge's live tests (after codec/tests/common/
//! procs.rs): a drop guard that stops what a test started, free ports, and
//! starting `epmd`, `erl` nodes and the bridge, optionally inside a network
//! namespace (`ip netns exec NS ...`).

use std::fs::File;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// The cookie the live nodes use.
pub const COOKIE: &str = "bridgecookie";
/// Socket timeouts of the live tests.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an `erl` node may take to start.
pub const NODE_START_TIMEOUT: Duration = Duration::from_secs(30);
/// Polling interval while waiting.
pub const POLL: Duration = Duration::from_millis(50);

/// A child process that is stopped and reaped when dropped (also on panic).
pub struct ChildGuard {
    pub what: String,
    pub child: Child,
}

impl ChildGuard {
    /// SIGKILLs the process now (epmd "dying" mid-session).
    pub fn kill_now(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let pid = self.child.id();
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let termed = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        let deadline = Instant::now() + Duration::from_secs(5);
        while termed && Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            sleep(POLL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        eprintln!("live: killed {} (pid {pid}) with SIGKILL", self.what);
    }
}

pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The path of `name`; a missing program FAILS the test (never skips).
pub fn require_program(name: &str) -> PathBuf {
    find_program(name).unwrap_or_else(|| {
        panic!(
            "`{name}` is not on PATH: the bridge's live tests need a real epmd and erl (Debian \
             erlang-base, OTP 25) and node; scripts/ensure-system.sh installs them"
        )
    })
}

/// `n` distinct free TCP ports on 127.0.0.1 (bound, then released).
pub fn free_ports<const N: usize>() -> [u16; N] {
    let ls: Vec<TcpListener> = (0..N)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0"))
        .collect();
    let mut out = [0u16; N];
    for (o, l) in out.iter_mut().zip(&ls) {
        *o = l.local_addr().expect("addr").port();
    }
    out
}

pub fn read_lossy(path: &Path) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        if start.elapsed() > timeout {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        sleep(POLL);
    }
}

/// A fresh directory under cargo's per-target temp dir.
pub fn work_dir(tag: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("bridge-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// `program args...`, or `ip netns exec NS program args...`.
pub fn command(netns: Option<&str>, program: &Path) -> Command {
    match netns {
        Some(ns) => {
            let mut c = Command::new(require_program("ip"));
            c.args(["netns", "exec", ns]).arg(program);
            c
        }
        None => Command::new(program),
    }
}

fn logged<'a>(cmd: &'a mut Command, log: &Path) -> &'a mut Command {
    let out = File::create(log).expect("create log");
    let err = out.try_clone().expect("clone log handle");
    cmd.stdin(Stdio::null()).stdout(out).stderr(err)
}

/// `epmd -d -d -d -port PORT -address 127.0.0.1` in the foreground, its
/// debug output in `log`.
pub fn start_epmd(netns: Option<&str>, port: u16, log: &Path) -> ChildGuard {
    let mut cmd = command(netns, &require_program("epmd"));
    cmd.args(["-d", "-d", "-d", "-port", &port.to_string()])
        .args(["-address", "127.0.0.1"])
        .env("ERL_EPMD_PORT", port.to_string())
        .env_remove("ERL_EPMD_RELAXED_COMMAND_CHECK");
    let child = logged(&mut cmd, log).spawn().expect("spawn epmd");
    let guard = ChildGuard {
        what: format!("epmd on {port}"),
        child,
    };
    wait_for("epmd to enter its main loop", IO_TIMEOUT, || {
        read_lossy(log)
            .contains("entering the main select() loop")
            .then_some(())
    });
    guard
}

/// What `epmd -port PORT -names` (the real client) prints.
pub fn epmd_names(netns: Option<&str>, port: u16) -> String {
    let out = command(netns, &require_program("epmd"))
        .args(["-port", &port.to_string(), "-names"])
        .env("ERL_EPMD_PORT", port.to_string())
        .output()
        .expect("run epmd -names");
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// An `erl -noshell -name NAME@127.0.0.1` node with [`COOKIE`], listening
/// for distribution on `node_port`, registered with the epmd on
/// `epmd_port`; it prints `LIVE-NODE <node> up` once started.
pub fn start_node(name: &str, epmd_port: u16, node_port: u16, log: &Path) -> ChildGuard {
    let mut cmd = Command::new(require_program("erl"));
    let n = node_port.to_string();
    cmd.args([
        "-noshell",
        "-name",
        &format!("{name}@127.0.0.1"),
        "-setcookie",
        COOKIE,
    ])
    .args([
        "-kernel",
        "inet_dist_listen_min",
        &n,
        "inet_dist_listen_max",
        &n,
    ])
    .args(["-kernel", "inet_dist_use_interface", "{127,0,0,1}"])
    .args(["-start_epmd", "false"])
    .args([
        "-eval",
        "io:format(\"LIVE-NODE ~s up: OTP ~s~n\", [node(), erlang:system_info(otp_release)]).",
    ])
    .env("ERL_EPMD_PORT", epmd_port.to_string())
    .env_remove("ERL_EPMD_ADDRESS");
    let child = logged(&mut cmd, log).spawn().expect("spawn erl");
    let guard = ChildGuard {
        what: format!("erl node {name}"),
        child,
    };
    wait_for("the node to start", NODE_START_TIMEOUT, || {
        read_lossy(log).contains("LIVE-NODE ").then_some(())
    });
    guard
}

/// A running bridge.
pub struct BridgeProc {
    pub guard: ChildGuard,
    /// `ip:port` it listens on.
    pub addr: String,
    /// Its stderr (the per-connection log lines).
    pub log: PathBuf,
}

impl BridgeProc {
    /// The log lines so far.
    pub fn log(&self) -> String {
        read_lossy(&self.log)
    }

    /// Waits for a log line containing every one of `parts`.
    pub fn wait_log_line(&self, parts: &[&str]) -> String {
        wait_for(
            &format!("a bridge log line with {parts:?}"),
            IO_TIMEOUT,
            || {
                self.log()
                    .lines()
                    .find(|l| parts.iter().all(|p| l.contains(p)))
                    .map(str::to_string)
            },
        )
    }
}

/// Starts the real `erldist-bridge` binary with `--epmd 127.0.0.1:EPMD
/// --listen LISTEN` and `extra`; waits for its "listening on" line.
pub fn start_bridge(
    netns: Option<&str>,
    epmd_port: u16,
    listen: &str,
    extra: &[&str],
    log: &Path,
) -> BridgeProc {
    let mut cmd = command(netns, Path::new(env!("CARGO_BIN_EXE_erldist-bridge")));
    cmd.args([
        "--epmd",
        &format!("127.0.0.1:{epmd_port}"),
        "--listen",
        listen,
    ])
    .args(extra);
    let child = logged(&mut cmd, log).spawn().expect("spawn erldist-bridge");
    let mut guard = ChildGuard {
        what: "erldist-bridge".into(),
        child,
    };
    let addr = wait_for("the bridge's 'listening on' line", IO_TIMEOUT, || {
        if let Ok(Some(st)) = guard.child.try_wait() {
            panic!("erldist-bridge exited ({st}):\n{}", read_lossy(log));
        }
        read_lossy(log).lines().find_map(|l| {
            l.split("listening on http://")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .map(str::to_string)
        })
    });
    let _ = &mut guard;
    BridgeProc {
        guard,
        addr,
        log: log.to_path_buf(),
    }
}
