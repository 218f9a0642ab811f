//! Text forms of a whole TCP conversation, both directions interleaved:
//!
//! * Wireshark's "Follow TCP Stream" as hex, as `tshark -q -z follow,tcp,hex,N`
//!   prints it: rows of `offset  16 bytes  ascii`, the second node's rows
//!   indented by a tab, each direction with its own offsets;
//! * the per-stream "runs" listing (`=== stream N  client A  server B`, then
//!   `run K t=… client->server len=… frames=…` and one line of hex), as the
//!   project's capture scripts write it (`*.streams.txt`).
//!
//! Both become [`Conversation`]s: the chunks each side sent, in order, which
//! is what the session decoder ([`crate::session`]) is fed.

use super::InputError;
use crate::conn::Side;

/// Bytes one side sent in one go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Who sent them.
    pub side: Side,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// 1-based line of the input where the chunk starts.
    pub line: usize,
}

/// One TCP conversation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Conversation {
    /// How the input names it (`stream 3`, `tcp.stream eq 3`).
    pub label: String,
    /// The initiator's address as the input gives it (`127.0.0.1:58774`).
    pub initiator: Option<String>,
    /// The acceptor's address (`127.0.0.1:45002`).
    pub acceptor: Option<String>,
    /// A name the input gives the acceptor (`epmd`, `b`), if any.
    pub acceptor_label: Option<String>,
    /// What each side sent, in order.
    pub chunks: Vec<Chunk>,
    /// 1-based line where the conversation starts.
    pub line: usize,
}

impl Conversation {
    /// The acceptor's TCP port, when its address is known.
    pub fn acceptor_port(&self) -> Option<u16> {
        self.acceptor
            .as_deref()
            .and_then(|a| a.rsplit(':').next())
            .and_then(|p| p.parse().ok())
    }
}

/// Conversations read from text, with remarks about what was skipped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Conversations {
    /// The conversations, in input order.
    pub conversations: Vec<Conversation>,
    /// Lines that were read but carry no bytes (with their line numbers), and
    /// anything suspicious (gaps in the offsets).
    pub notes: Vec<String>,
}

/// True when the text looks like a "Follow TCP Stream" hex dump.
pub fn is_follow(text: &str) -> bool {
    text.lines()
        .take(50)
        .any(|l| l.trim_start().starts_with("Follow: tcp,hex"))
}

/// True when the text looks like a per-stream runs listing.
pub fn is_streams(text: &str) -> bool {
    let mut stream = false;
    for l in text.lines().take(200) {
        if l.starts_with("=== stream ") {
            stream = true;
        } else if stream && l.starts_with("run ") {
            return true;
        }
    }
    false
}

/// Reads `tshark -q -z follow,tcp,hex,N` output (one or several blocks).
///
/// Node 0 (unindented rows) is taken as the initiator: tshark names first
/// the node that sent the first packet it saw, which for a whole capture is
/// the side that connected.
pub fn parse_follow(text: &str) -> Result<Conversations, InputError> {
    let mut out = Conversations::default();
    let mut cur: Option<Conversation> = None;
    // Bytes seen so far per direction, to check the row offsets.
    let mut seen = [0usize; 2];
    for (li, raw) in text.lines().enumerate() {
        let line_no = li + 1;
        let line = raw.trim_end_matches('\r');
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if trimmed.starts_with("Follow: tcp,hex") {
            if let Some(c) = cur.take() {
                out.conversations.push(c);
            }
            seen = [0, 0];
            cur = Some(Conversation {
                line: line_no,
                ..Conversation::default()
            });
            continue;
        }
        if trimmed.starts_with("=====") || trimmed.starts_with("Running as user") {
            continue;
        }
        let Some(conv) = cur.as_mut() else {
            out.notes.push(format!(
                "line {line_no}: not part of a follow block (no `Follow: tcp,hex` line before it): ignored"
            ));
            continue;
        };
        if let Some(f) = trimmed.strip_prefix("Filter:") {
            conv.label = f.trim().to_string();
            continue;
        }
        if let Some(n) = trimmed.strip_prefix("Node 0:") {
            conv.initiator = Some(n.trim().to_string());
            continue;
        }
        if let Some(n) = trimmed.strip_prefix("Node 1:") {
            conv.acceptor = Some(n.trim().to_string());
            continue;
        }
        let (side, row) = match line.strip_prefix('\t') {
            Some(r) => (Side::Acceptor, r),
            None => (Side::Initiator, line),
        };
        let bytes = follow_row(row).map_err(|(col, message)| InputError {
            line: line_no,
            column: col + 1 + usize::from(side == Side::Acceptor),
            message,
        })?;
        let Some((offset, bytes)) = bytes else {
            out.notes.push(format!(
                "line {line_no}: not a hex row of the follow output: ignored"
            ));
            continue;
        };
        let idx = usize::from(side == Side::Acceptor);
        let expected = seen.get(idx).copied().unwrap_or(0);
        if offset != expected {
            out.notes.push(format!(
                "line {line_no}: the {} rows jump from offset {expected:#x} to {offset:#x}: {} bytes {} here",
                side.as_str(),
                offset.abs_diff(expected),
                if offset > expected { "are missing" } else { "repeat" }
            ));
        }
        if let Some(s) = seen.get_mut(idx) {
            *s = offset + bytes.len();
        }
        match conv.chunks.last_mut() {
            Some(last) if last.side == side => last.bytes.extend_from_slice(&bytes),
            _ => conv.chunks.push(Chunk {
                side,
                bytes,
                line: line_no,
            }),
        }
    }
    if let Some(c) = cur.take() {
        out.conversations.push(c);
    }
    Ok(out)
}

/// One row: `OOOOOOOO  xx xx xx xx xx xx xx xx  xx xx ... ascii`. The bytes
/// sit at fixed columns (as tshark prints them), so the ASCII column is never
/// mistaken for hex. `Ok(None)`: not a row at all.
#[allow(clippy::type_complexity)]
fn follow_row(row: &str) -> Result<Option<(usize, Vec<u8>)>, (usize, String)> {
    let b = row.as_bytes();
    let Some(off) = b.get(..8) else {
        return Ok(None);
    };
    if !off.iter().all(u8::is_ascii_hexdigit) || b.get(8..10) != Some(b"  ") {
        return Ok(None);
    }
    let offset = std::str::from_utf8(off)
        .ok()
        .and_then(|s| usize::from_str_radix(s, 16).ok())
        .ok_or((0, "bad offset".to_string()))?;
    let mut bytes = Vec::with_capacity(16);
    for i in 0..16usize {
        let col = 10 + 3 * i + usize::from(i >= 8);
        match b.get(col..col + 2) {
            Some([h, l]) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                let v = (hex_val(*h) << 4) | hex_val(*l);
                bytes.push(v);
            }
            Some([b' ', b' ']) | None => break,
            Some(other) => {
                return Err((
                    col,
                    format!(
                        "{:?} is not a hex byte (byte {} of the row)",
                        String::from_utf8_lossy(other),
                        i + 1
                    ),
                ))
            }
        }
    }
    if bytes.is_empty() {
        return Ok(None);
    }
    Ok(Some((offset, bytes)))
}

fn hex_val(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// Reads a per-stream runs listing (`*.streams.txt`).
pub fn parse_streams(text: &str) -> Result<Conversations, InputError> {
    let mut out = Conversations::default();
    let mut cur: Option<Conversation> = None;
    // The side of the run whose hex line comes next.
    let mut pending: Option<(Side, usize, usize)> = None;
    for (li, raw) in text.lines().enumerate() {
        let line_no = li + 1;
        let line = raw.trim_end_matches('\r');
        if let Some((side, len, run_line)) = pending.take() {
            let parsed = super::parse_hex(line).map_err(|mut e| {
                e.line = line_no;
                e
            })?;
            if parsed.bytes.len() != len {
                out.notes.push(format!(
                    "line {line_no}: the run says len={len} but the hex holds {} bytes",
                    parsed.bytes.len()
                ));
            }
            if let Some(c) = cur.as_mut() {
                c.chunks.push(Chunk {
                    side,
                    bytes: parsed.bytes,
                    line: run_line,
                });
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("=== stream ") {
            if let Some(c) = cur.take() {
                out.conversations.push(c);
            }
            let mut conv = Conversation {
                line: line_no,
                ..Conversation::default()
            };
            let mut words = rest.split_whitespace();
            conv.label = format!("stream {}", words.next().unwrap_or("?"));
            while let Some(w) = words.next() {
                match w {
                    "client" => conv.initiator = words.next().map(str::to_string),
                    "server" => {
                        if let Some(s) = words.next() {
                            match s.split_once('(') {
                                Some((addr, label)) => {
                                    conv.acceptor = Some(addr.to_string());
                                    conv.acceptor_label =
                                        Some(label.trim_end_matches(')').to_string());
                                }
                                None => conv.acceptor = Some(s.to_string()),
                            }
                        }
                    }
                    _ => {}
                }
            }
            cur = Some(conv);
            continue;
        }
        if let Some(rest) = line.strip_prefix("run ") {
            let side = if rest.contains("client->server") {
                Side::Initiator
            } else if rest.contains("server->client") {
                Side::Acceptor
            } else {
                return Err(InputError {
                    line: line_no,
                    column: 1,
                    message: "a run line without `client->server` or `server->client`".into(),
                });
            };
            let len = rest
                .split_whitespace()
                .find_map(|w| w.strip_prefix("len="))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            if cur.is_none() {
                return Err(InputError {
                    line: line_no,
                    column: 1,
                    message: "a run before any `=== stream` line".into(),
                });
            }
            pending = Some((side, len, line_no));
            continue;
        }
        let t = line.trim();
        if !(t.is_empty() || t.starts_with('#')) {
            out.notes.push(format!(
                "line {line_no}: not a stream, run or hex line: ignored"
            ));
        }
    }
    if let Some(c) = cur.take() {
        out.conversations.push(c);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOLLOW: &str = "\
===================================================================
Follow: tcp,hex
Filter: tcp.stream eq 3
Node 0: 127.0.0.1:58774
Node 1: 127.0.0.1:45002
00000000  00 1a 4e 00 00 00 0d 07  df 7f bc 6b 05 94 44 00  ..N..... ...k..D.
00000010  0b 68 40 31 32 37 2e 30  2e 30 2e 31              .h@127.0 .0.1
\t00000000  00 03 73 6f 6b                                    ..sok
\t00000005  61 62                                             ab
00000024  00
===================================================================
";

    #[test]
    fn follow_rows_by_column_and_side() {
        let c = parse_follow(FOLLOW).unwrap();
        assert_eq!(c.conversations.len(), 1);
        let conv = &c.conversations[0];
        assert_eq!(conv.initiator.as_deref(), Some("127.0.0.1:58774"));
        assert_eq!(conv.acceptor_port(), Some(45002));
        assert_eq!(conv.chunks.len(), 3);
        assert_eq!(conv.chunks[0].bytes.len(), 28);
        assert_eq!(conv.chunks[0].side, Side::Initiator);
        // The ASCII column `ab` is not read as a third byte.
        assert_eq!(
            conv.chunks[1].bytes,
            vec![0, 3, 0x73, 0x6f, 0x6b, 0x61, 0x62]
        );
        assert_eq!(conv.chunks[1].side, Side::Acceptor);
        // Offset 0x24 after 0x1c bytes: 8 missing, said so.
        assert!(
            c.notes.iter().any(|n| n.contains("8 bytes are missing")),
            "{:?}",
            c.notes
        );
        assert!(is_follow(FOLLOW));
        assert!(!is_streams(FOLLOW));
    }

    #[test]
    fn streams_listing() {
        let text =
            "# comment\n\n=== stream 2  client 127.0.0.1:57816  server 127.0.0.1:4399(epmd)\n\
run 1 t=2.0 client->server len=4 frames=18\n00027a62\n\
run 2 t=2.1 server->client len=2 frames=20\n7701\n# frame 22 FIN\n";
        assert!(is_streams(text));
        let c = parse_streams(text).unwrap();
        let conv = &c.conversations[0];
        assert_eq!(conv.label, "stream 2");
        assert_eq!(conv.acceptor_label.as_deref(), Some("epmd"));
        assert_eq!(conv.acceptor_port(), Some(4399));
        assert_eq!(conv.chunks[1].bytes, vec![0x77, 1]);
        assert_eq!(conv.chunks[1].side, Side::Acceptor);
        assert!(c.notes.is_empty());
        let bad = parse_streams("=== stream 0\nrun 1 client->server len=1\n0g\n").unwrap_err();
        assert_eq!((bad.line, bad.column), (3, 2));
    }
}
