//! Command-line options, and the parsing of `--tap LISTEN=TARGET`.

use clap::Parser;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// Websocket-to-TCP bridge of the erldist playground.
///
/// Serves the built playground (`--serve DIR`) and relays websockets, bytes
/// unchanged, to targets the bridge chooses itself:
///
///   /ws/epmd          the configured epmd (--epmd)
///
///   /ws/node/<name>   the node registered under <name> with that epmd (the
///                     bridge asks epmd with PORT_PLEASE2_REQ when the socket
///                     opens and connects to that port on epmd's host)
///
///   /ws/tap           the mirror of every --tap connection (JSON messages)
///
/// A client never names a host or port. When the websocket client is not
/// on loopback, the bridge refuses the requests epmd serves only to local
/// peers (ALIVE2, DUMP, KILL, STOP). One log line per connection on stderr.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "erldist-bridge",
    version,
    verbatim_doc_comment,
    args_override_self = true
)]
pub struct Args {
    /// Address and port to listen on for HTTP and websockets.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// The epmd that /ws/epmd, /ws/node/<name> and the taps use; HOST is
    /// resolved once at start. Nodes are reached on this host, at the port
    /// epmd reports.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:4369")]
    pub epmd: String,

    /// Directory of the built playground, served as static files (`/` is
    /// index.html; no directory listing; nothing outside DIR).
    #[arg(long, value_name = "DIR", default_value = "dist")]
    pub serve: PathBuf,

    /// An Origin allowed to open websockets (repeatable). Default: the
    /// bridge's own origin, http://<listen addr>, plus http://localhost:<port>
    /// when listening on loopback. Requests without an Origin header (not
    /// from a browser) are allowed; other origins get HTTP 403.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origin: Vec<String>,

    /// Most websocket sessions and tap connections open at once; more are
    /// refused (HTTP 503 at upgrade; a tap connection is closed at once).
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub max_connections: usize,

    /// Close a websocket session after this many seconds without data in
    /// either direction (close 1001); 0 = never. Tap connections are not
    /// timed out: a node's registration through a tap is idle by nature.
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    pub idle_timeout: u64,

    /// Largest websocket message (and frame) accepted from a client, in
    /// bytes; a larger one closes the session with 1009.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub max_message_size: usize,

    /// Seconds to wait for epmd or a node to accept a TCP connection (and
    /// for epmd to answer a PORT_PLEASE2_REQ).
    #[arg(long, value_name = "SECS", default_value_t = 5)]
    pub connect_timeout: u64,

    /// A TCP tap (repeatable): LISTEN is [ADDR:]PORT (ADDR defaults to
    /// 127.0.0.1: taps bind loopback unless told otherwise); TARGET is
    /// `epmd` (the configured epmd), `node:NAME` (the node registered as
    /// NAME, looked up per connection) or `browser:epmd` (a page subscribed
    /// to /ws/tap plays epmd). Bytes pass through unchanged and every
    /// connection is mirrored to /ws/tap. Example: --tap 127.0.0.1:4370=epmd
    #[arg(long = "tap", value_name = "LISTEN=TARGET")]
    pub taps: Vec<TapSpec>,
}

impl Args {
    /// The idle timeout, `None` for never.
    pub fn idle(&self) -> Option<Duration> {
        (self.idle_timeout > 0).then(|| Duration::from_secs(self.idle_timeout))
    }

    /// The connect timeout.
    pub fn connect(&self) -> Duration {
        Duration::from_secs(self.connect_timeout.max(1))
    }
}

/// Where a tap forwards its connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TapTarget {
    /// The configured epmd.
    Epmd,
    /// The node registered under this alive name with the configured epmd.
    Node(String),
    /// A page subscribed to `/ws/tap` plays epmd.
    BrowserEpmd,
}

impl std::fmt::Display for TapTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TapTarget::Epmd => f.write_str("epmd"),
            TapTarget::Node(n) => write!(f, "node:{n}"),
            TapTarget::BrowserEpmd => f.write_str("browser:epmd"),
        }
    }
}

/// One `--tap LISTEN=TARGET`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TapSpec {
    /// Where the tap listens.
    pub listen: SocketAddr,
    /// Where it forwards.
    pub target: TapTarget,
}

impl FromStr for TapSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<TapSpec, String> {
        let (listen, target) = s
            .split_once('=')
            .ok_or_else(|| format!("{s:?}: expected LISTEN=TARGET, e.g. 127.0.0.1:4370=epmd"))?;
        let listen = if let Ok(port) = listen.parse::<u16>() {
            SocketAddr::from((Ipv4Addr::LOCALHOST, port))
        } else {
            listen.parse::<SocketAddr>().map_err(|_| {
                format!("{listen:?}: LISTEN is PORT or ADDR:PORT with a numeric address")
            })?
        };
        let target = match target {
            "epmd" => TapTarget::Epmd,
            "browser:epmd" => TapTarget::BrowserEpmd,
            t => match t.strip_prefix("node:") {
                Some(name) => {
                    crate::policy::validate_node_name(name)
                        .map_err(|e| format!("--tap {s}: {e}"))?;
                    TapTarget::Node(name.to_string())
                }
                None => {
                    return Err(format!(
                        "{t:?}: TARGET is epmd, node:NAME or browser:epmd (a tap never forwards anywhere else)"
                    ))
                }
            },
        };
        Ok(TapSpec { listen, target })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn tap_specs() {
        assert_eq!(
            "127.0.0.1:4370=epmd".parse::<TapSpec>(),
            Ok(TapSpec {
                listen: "127.0.0.1:4370".parse().unwrap(),
                target: TapTarget::Epmd
            })
        );
        assert_eq!(
            "4371=node:foo".parse::<TapSpec>(),
            Ok(TapSpec {
                listen: "127.0.0.1:4371".parse().unwrap(),
                target: TapTarget::Node("foo".into())
            })
        );
        assert_eq!(
            "[::1]:4372=browser:epmd"
                .parse::<TapSpec>()
                .map(|t| t.target),
            Ok(TapTarget::BrowserEpmd)
        );
        for bad in [
            "4370",
            "4370=",
            "4370=tcp:127.0.0.1:22",
            "4370=node:",
            "4370=node:a@b",
            "localhost:4370=epmd",
            "4370=browser:node",
        ] {
            assert!(bad.parse::<TapSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_later_option_overrides_an_earlier_one_and_lists_append() {
        // scripts/run.sh puts its defaults first and the user's options after.
        let a = Args::try_parse_from([
            "erldist-bridge",
            "--serve",
            "dist",
            "--epmd",
            "127.0.0.1:4369",
            "--serve",
            "elsewhere",
            "--allow-origin",
            "http://a.test",
            "--allow-origin",
            "http://b.test",
            "--tap",
            "4370=epmd",
            "--tap",
            "4371=node:x",
        ])
        .unwrap();
        assert_eq!(a.serve, PathBuf::from("elsewhere"));
        assert_eq!(a.allow_origin, ["http://a.test", "http://b.test"]);
        assert_eq!(a.taps.len(), 2);
    }

    #[test]
    fn help_documents_every_option_and_default() {
        let mut cmd = Args::command();
        let help = cmd.render_long_help().to_string();
        for s in [
            "--listen <ADDR:PORT>",
            "[default: 127.0.0.1:8080]",
            "--epmd <HOST:PORT>",
            "[default: 127.0.0.1:4369]",
            "--serve <DIR>",
            "[default: dist]",
            "--allow-origin <ORIGIN>",
            "Default: the bridge's own origin",
            "--max-connections <N>",
            "[default: 1024]",
            "--idle-timeout <SECS>",
            "[default: 600]",
            "--max-message-size <BYTES>",
            "[default: 1048576]",
            "--connect-timeout <SECS>",
            "[default: 5]",
            "--tap <LISTEN=TARGET>",
            "browser:epmd",
        ] {
            assert!(help.contains(s), "--help lacks {s:?}:\n{help}");
        }
        cmd.debug_assert();
    }
}
