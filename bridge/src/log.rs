//! One log line per connection, on stderr.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// Everything the bridge says about one connection, written once when it
/// ends (or is refused).
#[derive(Debug, Clone)]
pub struct ConnRecord {
    /// The bridge's connection number.
    pub id: u64,
    /// `ws` (a websocket session), `tap` (a tap connection) or `http`
    /// (an upgrade refused before any websocket opened).
    pub kind: &'static str,
    /// `/ws/epmd`, `/ws/node/foo`, `/ws/tap`, `tap 127.0.0.1:4370=epmd`.
    pub endpoint: String,
    /// The client's address.
    pub peer: SocketAddr,
    /// The Origin header, if any.
    pub origin: Option<String>,
    /// Where the bytes went, if a target was reached.
    pub target: Option<SocketAddr>,
    /// Bytes client → target.
    pub up: u64,
    /// Bytes target → client.
    pub down: u64,
    /// How long the connection lasted.
    pub duration: Duration,
    /// The close code (websocket), the HTTP status of a refusal, or 0 for
    /// a tap connection (TCP has no close code).
    pub code: u16,
    /// Who ended it: client, target or bridge.
    pub by: &'static str,
    /// Why.
    pub reason: String,
}

impl fmt::Display for ConnRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "erldist-bridge: #{} {} {} peer={}",
            self.id, self.kind, self.endpoint, self.peer
        )?;
        if let Some(o) = &self.origin {
            write!(f, " origin={o:?}")?;
        }
        match self.target {
            Some(t) => write!(f, " target={t}")?,
            None => write!(f, " target=-")?,
        }
        write!(
            f,
            " up={}B down={}B duration={:.3}s",
            self.up,
            self.down,
            self.duration.as_secs_f64()
        )?;
        // A tap connection has no close code.
        if self.code == 0 {
            write!(f, " close=-")?;
        } else {
            write!(f, " close={}", self.code)?;
        }
        write!(f, " by={} reason={:?}", self.by, self.reason)
    }
}

impl ConnRecord {
    /// Writes the line to stderr.
    pub fn emit(&self) {
        eprintln!("{self}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_with_everything() {
        let r = ConnRecord {
            id: 7,
            kind: "ws",
            endpoint: "/ws/epmd".into(),
            peer: "127.0.0.1:40522".parse().unwrap(),
            origin: Some("http://127.0.0.1:8080".into()),
            target: Some("127.0.0.1:4369".parse().unwrap()),
            up: 3,
            down: 42,
            duration: Duration::from_millis(12),
            code: 1000,
            by: "target",
            reason: "epmd closed the connection\n".into(),
        };
        let s = r.to_string();
        assert_eq!(
            s,
            "erldist-bridge: #7 ws /ws/epmd peer=127.0.0.1:40522 origin=\"http://127.0.0.1:8080\" \
             target=127.0.0.1:4369 up=3B down=42B duration=0.012s close=1000 by=target \
             reason=\"epmd closed the connection\\n\""
        );
        assert!(!s.contains('\n'));
    }
}
