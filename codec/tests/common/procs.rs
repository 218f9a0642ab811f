//! Real processes for the live suites: a drop guard that stops what a test
//! started, free ports, and starting `epmd -d -d -d` and `erl` nodes on
//! 127.0.0.1.

use std::fs::File;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// The cookie the live nodes use.
pub const COOKIE: &str = "livecookie";
/// Socket read/write timeout of the live suites.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// How long an `erl` node may take to start.
pub const NODE_START_TIMEOUT: Duration = Duration::from_secs(30);
/// Polling interval while waiting.
pub const POLL: Duration = Duration::from_millis(50);

// ---------------------------------------------------------------- processes

/// A child process that is killed and reaped when dropped (also on panic).
pub struct ChildGuard {
    pub what: &'static str,
    pub child: Child,
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let pid = self.child.id();
        if let Ok(Some(status)) = self.child.try_wait() {
            eprintln!("live: {} (pid {pid}) had exited: {status}", self.what);
            return;
        }
        // SIGTERM first (an erl node then stops cleanly, reaping its port
        // programs), SIGKILL if it is still there after a moment.
        let termed = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        let deadline = Instant::now() + Duration::from_secs(5);
        while termed && Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                eprintln!(
                    "live: stopped {} (pid {pid}) with SIGTERM: {status}",
                    self.what
                );
                return;
            }
            sleep(POLL);
        }
        let _ = self.child.kill();
        let status = self.child.wait();
        eprintln!(
            "live: killed {} (pid {pid}) with SIGKILL: {status:?}",
            self.what
        );
    }
}

pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The path of `name`, or the failure message (which names the script).
pub fn require_program(name: &str) -> Result<PathBuf, String> {
    find_program(name).ok_or_else(|| {
        format!(
            "`{name}` is not on PATH: this suite needs a real epmd and erl (Debian erlang-base, OTP 25). \
             Run scripts/test-live.sh, which installs erlang-base with apt-get and then runs this test."
        )
    })
}

/// Two distinct free TCP ports on 127.0.0.1 (bound, then released).
pub fn free_ports() -> (u16, u16) {
    let a = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    let b = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    let ports = (
        a.local_addr().expect("addr").port(),
        b.local_addr().expect("addr").port(),
    );
    drop((a, b));
    ports
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

pub fn start_epmd(bin: &Path, port: u16, log: &Path) -> ChildGuard {
    let out = File::create(log).expect("create epmd log");
    let err = out.try_clone().expect("clone log handle");
    let child = Command::new(bin)
        .args(["-d", "-d", "-d", "-port", &port.to_string()])
        .args(["-address", "127.0.0.1"])
        .env("ERL_EPMD_PORT", port.to_string())
        .env_remove("ERL_EPMD_RELAXED_COMMAND_CHECK")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("spawn epmd");
    let guard = ChildGuard {
        what: "epmd",
        child,
    };
    wait_for("epmd to enter its main loop", IO_TIMEOUT, || {
        read_lossy(log)
            .contains("entering the main select() loop")
            .then_some(())
    });
    guard
}

/// A fresh directory under cargo's per-target temp dir for logs.
pub fn work_dir(tag: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("live-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

pub fn start_node(
    erl: &Path,
    name_flag: &str,
    name: &str,
    epmd_port: u16,
    node_port: u16,
    log: &Path,
) -> ChildGuard {
    start_node_with(erl, name_flag, name, COOKIE, epmd_port, node_port, log, &[])
}

/// An `erl -noshell` node with the given cookie, listening for distribution
/// on `node_port` only, registered with the epmd on `epmd_port`; `extra`
/// goes on its command line (`-kernel net_ticktime 4`, `-eval ...`). It
/// prints `LIVE-NODE <node> up: OTP ...` once started.
#[allow(clippy::too_many_arguments)]
pub fn start_node_with(
    erl: &Path,
    name_flag: &str,
    name: &str,
    cookie: &str,
    epmd_port: u16,
    node_port: u16,
    log: &Path,
    extra: &[&str],
) -> ChildGuard {
    let out = File::create(log).expect("create node log");
    let err = out.try_clone().expect("clone log handle");
    let n = node_port.to_string();
    let eval = "V = case file:read_file(filename:join([code:root_dir(), \"releases\", \
                erlang:system_info(otp_release), \"OTP_VERSION\"])) of \
                {ok, B} -> string:trim(B); _ -> \"?\" end, \
                io:format(\"LIVE-NODE ~s up: OTP ~s (release ~s, erts ~s)~n\", \
                [node(), V, erlang:system_info(otp_release), erlang:system_info(version)]).";
    let child = Command::new(erl)
        .args(["-noshell", name_flag, name, "-setcookie", cookie])
        .args([
            "-kernel",
            "inet_dist_listen_min",
            &n,
            "inet_dist_listen_max",
            &n,
        ])
        .args(["-kernel", "inet_dist_use_interface", "{127,0,0,1}"])
        .args(["-start_epmd", "false", "-eval", eval])
        .args(extra)
        .env("ERL_EPMD_PORT", epmd_port.to_string())
        .env_remove("ERL_EPMD_ADDRESS")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("spawn erl");
    ChildGuard {
        what: "erl node",
        child,
    }
}
