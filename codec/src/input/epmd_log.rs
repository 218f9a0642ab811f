//! The `epmd -d -d -d` debug log (SPEC.md §2), turned back into frames.
//!
//! epmd prints `got N bytes` and hex rows for every read **and** every write,
//! with no direction marker. Direction comes from the neighbouring lines: a
//! dump read before `** got X` is a request; dumps written after it (until the
//! connection closes or another opens) are the reply, whose writes (NAMES_RESP
//! port + one line per node; NOEXIST + STOPPED) are joined into one frame.
//! A request that arrived in several reads is re-dumped from the start of
//! epmd's buffer, so the later reads' own bytes are not in the log: the frame
//! keeps the bytes that are shown and says how many are missing.

use crate::epmd::{
    Direction, ALIVE2_REQ, DUMP_REQ, KILL_REQ, NAMES_REQ, PORT_PLEASE2_REQ, STOP_REQ,
};

/// epmd prints at most this many bytes of a buffer.
pub const DUMP_LIMIT: usize = 1024;

/// One frame recovered from the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFrame {
    /// The bytes the log shows.
    pub bytes: Vec<u8>,
    /// Bytes epmd read or wrote that the log does not show (split reads,
    /// dumps cut at 1024 bytes).
    pub missing: usize,
    /// Direction, when the log's context says it.
    pub direction: Option<Direction>,
    /// Why that direction (which neighbouring line says so).
    pub reason: String,
    /// 1-based line of the frame's first `got N bytes` line.
    pub line: usize,
    /// The request this reply answers (its code), when known.
    pub answers: Option<u8>,
    /// What epmd's own log lines say about the frame.
    pub epmd_says: Vec<String>,
    /// The request name epmd logged (`ALIVE2_REQ`, `PORT2_REQ`, ...).
    pub epmd_type: Option<String>,
}

/// Lines of the log that were not part of any frame but are worth showing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogNote {
    /// 1-based line.
    pub line: usize,
    /// What about it.
    pub message: String,
}

/// The parsed log.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedLog {
    /// Frames in log order.
    pub frames: Vec<LogFrame>,
    /// Problems and remarks, with lines.
    pub notes: Vec<LogNote>,
    /// Counts of line kinds, for the summary.
    pub dump_lines: usize,
    /// Node-table lines (`*****     active name ...`), which carry no frame bytes.
    pub table_lines: usize,
}

/// Does this text look like epmd debug output?
pub fn looks_like_log(text: &str) -> bool {
    text.lines().take(10_000).any(|l| {
        let msg = message(l);
        dump_header(msg).is_some()
            || parse_row(l.trim_end()).is_some()
            || msg.starts_with("** got ")
    })
}

/// The message part of `epmd: Tue Nov 24 13:40:47 2026: message`.
fn message(line: &str) -> &str {
    let line = line.trim_end_matches(['\r', '\n']);
    let Some(i) = line.find("epmd: ") else {
        return line;
    };
    let rest = line.get(i + 6..).unwrap_or("");
    // ctime: "Www Mmm dd hh:mm:ss yyyy" (24 chars) then ": ".
    let b = rest.as_bytes();
    if b.len() >= 26
        && b.get(3) == Some(&b' ')
        && b.get(7) == Some(&b' ')
        && b.get(13) == Some(&b':')
        && b.get(16) == Some(&b':')
        && b.get(24..26) == Some(b": ".as_slice())
    {
        return rest.get(26..).unwrap_or("");
    }
    rest
}

/// `got N bytes` → N.
fn dump_header(msg: &str) -> Option<usize> {
    msg.strip_prefix("got ")?
        .strip_suffix(" bytes")?
        .parse()
        .ok()
}

/// A dump row `***** 00000010  .. ..  |...|` → (row offset, bytes).
fn parse_row(line: &str) -> Option<(usize, Vec<u8>)> {
    let rest = line.strip_prefix("***** ")?;
    let off = rest.get(..8)?;
    if !off.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let offset = usize::from_str_radix(off, 16).ok()?;
    let after = rest.get(8..)?;
    let hex_area = match after.find('|') {
        Some(i) => after.get(..i)?,
        None => after,
    };
    let mut bytes = Vec::with_capacity(16);
    for tok in hex_area.split_whitespace() {
        if tok.len() != 2 {
            return None;
        }
        bytes.push(u8::from_str_radix(tok, 16).ok()?);
    }
    Some((offset, bytes))
}

fn fd_after(msg: &str, prefix: &str) -> Option<u64> {
    msg.strip_prefix(prefix)?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// The request code for the name epmd logs after `** got `.
fn request_code(name: &str) -> Option<u8> {
    Some(match name {
        "ALIVE2_REQ" => ALIVE2_REQ,
        "PORT2_REQ" | "PORT_PLEASE2_REQ" => PORT_PLEASE2_REQ,
        "NAMES_REQ" => NAMES_REQ,
        "DUMP_REQ" => DUMP_REQ,
        "KILL_REQ" => KILL_REQ,
        "STOP_REQ" => STOP_REQ,
        _ => return None,
    })
}

#[derive(Debug, Default)]
struct Dump {
    line: usize,
    declared: usize,
    bytes: Vec<u8>,
    truncated: bool,
}

#[derive(Default)]
struct State {
    fd: Option<u64>,
    pending_in: Vec<Dump>,
    /// `** got X` seen on this connection: (line, name).
    got: Option<(usize, String)>,
    pending_out: Vec<Dump>,
    out_says: Vec<String>,
    in_says: Vec<String>,
    /// `got more than expected on ALIVE socket` just seen.
    alive_extra: Option<(usize, String)>,
    /// Index in the output of this connection's request frame.
    request: Option<usize>,
    /// `registering 'name:creation', port P` seen: (line, name, port).
    registering: Option<(usize, String, u16)>,
}

/// Parses `epmd -d -d -d` output into frames.
pub fn parse(text: &str) -> ParsedLog {
    let mut out = ParsedLog::default();
    let mut st = State::default();
    let mut dump: Option<Dump> = None;

    for (i, raw) in text.lines().enumerate() {
        let lineno = i + 1;
        let line = raw.trim_end_matches('\r').trim_end();
        // Dump rows and the truncation marker belong to the open dump.
        if let Some((off, bytes)) = parse_row(line) {
            out.dump_lines += 1;
            match dump.as_mut() {
                Some(d) if off == d.bytes.len() => d.bytes.extend_from_slice(&bytes),
                Some(d) => out.notes.push(LogNote {
                    line: lineno,
                    message: format!(
                        "dump row at offset 0x{off:08x}, but {} bytes of this dump were read so far: row ignored",
                        d.bytes.len()
                    ),
                }),
                None => out.notes.push(LogNote {
                    line: lineno,
                    message: "dump row without a `got N bytes` line before it: ignored".into(),
                }),
            }
            continue;
        }
        if line.starts_with("***** ......and more") {
            if let Some(d) = dump.as_mut() {
                d.truncated = true;
            }
            continue;
        }
        if line.starts_with("*****") {
            out.table_lines += 1;
            continue;
        }
        // Any other line ends the open dump.
        if let Some(d) = dump.take() {
            finish_dump(&mut out, &mut st, d);
        }
        let msg = message(line);
        if msg.is_empty() {
            continue;
        }
        if let Some(n) = dump_header(msg) {
            dump = Some(Dump {
                line: lineno,
                declared: n,
                ..Dump::default()
            });
            continue;
        }
        if let Some(name) = msg.strip_prefix("** got ") {
            let name = name.trim().to_string();
            flush_in(&mut out, &mut st, Some((lineno, name.clone())));
            st.got = Some((lineno, name));
        } else if let Some(what) = msg.strip_prefix("** sent ") {
            st.out_says.push(format!("line {lineno}: sent {what}"));
            if let Some(name) = what
                .strip_prefix("PORT2_RESP (ok) for \"")
                .or_else(|| what.strip_prefix("PORT2_RESP (error) for \""))
                .and_then(|n| n.strip_suffix('"'))
            {
                let mut body = vec![PORT_PLEASE2_REQ];
                body.extend_from_slice(name.as_bytes());
                reconstruct(&mut out, &st, body, lineno);
            }
        } else if let Some(rest) = msg.strip_prefix("registering '") {
            // registering 'name:creation', port P
            if let Some((name_cr, port)) = rest.rsplit_once("', port ") {
                if let (Some((name, _)), Ok(port)) = (name_cr.rsplit_once(':'), port.trim().parse())
                {
                    st.registering = Some((lineno, name.to_string(), port));
                }
            }
        } else if let Some(rest) = msg.strip_prefix("type ") {
            // type T proto P highvsn H lowvsn L
            let nums: Vec<u16> = rest.split(' ').filter_map(|w| w.parse().ok()).collect();
            if let (Some((_, name, port)), [t, p, hi, lo]) =
                (st.registering.take(), nums.as_slice())
            {
                let mut body = vec![ALIVE2_REQ];
                body.extend_from_slice(&port.to_be_bytes());
                body.push(u8::try_from(*t).unwrap_or(0));
                body.push(u8::try_from(*p).unwrap_or(0));
                body.extend_from_slice(&hi.to_be_bytes());
                body.extend_from_slice(&lo.to_be_bytes());
                if let Ok(n) = u16::try_from(name.len()) {
                    body.extend_from_slice(&n.to_be_bytes());
                    body.extend_from_slice(name.as_bytes());
                    // Elen and Extra are not logged: only an empty Extra can be rebuilt.
                    body.extend_from_slice(&[0, 0]);
                    reconstruct(&mut out, &st, body, lineno);
                }
            }
        } else if msg == "Local peer connected" || msg == "Non-local peer connected" {
            flush_all(&mut out, &mut st);
            st = State::default();
            if msg.starts_with("Non-local") {
                st.in_says.push(format!("line {lineno}: {msg}"));
            }
        } else if let Some(fd) = fd_after(msg, "opening connection on file descriptor ") {
            if st.got.is_some() || !st.pending_out.is_empty() {
                flush_all(&mut out, &mut st);
                st = State::default();
            }
            st.fd = Some(fd);
        } else if let Some(fd) = fd_after(msg, "closing connection on file descriptor ") {
            if st.fd.is_none() || st.fd == Some(fd) {
                flush_all(&mut out, &mut st);
                st = State::default();
            }
        } else if let Some(fd) = fd_after(msg, "got more than expected on ALIVE socket ") {
            flush_all(&mut out, &mut st);
            st = State::default();
            st.fd = Some(fd);
            st.alive_extra = Some((lineno, msg.to_string()));
        } else if is_complaint(msg) {
            // A level-0 complaint about the request just read.
            if st.got.is_some() {
                st.out_says.push(format!("line {lineno}: {msg}"));
            } else {
                st.in_says.push(format!("line {lineno}: {msg}"));
            }
        }
    }
    if let Some(d) = dump.take() {
        finish_dump(&mut out, &mut st, d);
    }
    flush_all(&mut out, &mut st);
    out
}

fn is_complaint(msg: &str) -> bool {
    [
        "got garbage",
        "invalid packet size",
        "got partial packet only",
        "from non local address",
        "Disallowed ",
        "packet to small",
        "packet too small",
        "size error in ALIVE2_REQ",
        "contains ascii 0",
        "invalid node name",
        "node name already occupied",
        "node name is too long",
        "invalid node name encoding",
        "extra data is too long",
        "trying to unregister node with unknown name",
    ]
    .iter()
    .any(|p| msg.contains(p))
        || (msg.starts_with("got ") && msg.contains(" bytes in packet, expected "))
}

fn finish_dump(out: &mut ParsedLog, st: &mut State, d: Dump) {
    let shown = d.declared.min(DUMP_LIMIT);
    if d.bytes.len() != shown {
        out.notes.push(LogNote {
            line: d.line,
            message: format!(
                "`got {} bytes` but {} bytes of dump rows follow",
                d.declared,
                d.bytes.len()
            ),
        });
    }
    if let Some((line, what)) = st.alive_extra.take() {
        // Data on a registration socket after ALIVE2_REQ.
        out.frames.push(LogFrame {
            missing: d.declared.saturating_sub(d.bytes.len()),
            bytes: d.bytes,
            direction: Some(Direction::Request),
            reason: format!("read on a registration socket (line {line}: `{what}`)"),
            line: d.line,
            answers: None,
            epmd_says: vec![format!(
                "line {line}: {what}: bytes sent on a registration socket after ALIVE2_REQ make epmd unregister the node and close the socket"
            )],
            epmd_type: None,
        });
        return;
    }
    if st.got.is_some() {
        st.pending_out.push(d);
    } else {
        st.pending_in.push(d);
    }
}

fn flush_all(out: &mut ParsedLog, st: &mut State) {
    flush_in(out, st, None);
    flush_out(out, st);
}

/// Turns the dumps read before `** got X` into request frames.
fn flush_in(out: &mut ParsedLog, st: &mut State, got: Option<(usize, String)>) {
    let dumps = std::mem::take(&mut st.pending_in);
    let says = std::mem::take(&mut st.in_says);
    let mut frames: Vec<LogFrame> = Vec::new();
    for d in dumps {
        let missing_here = d.declared.saturating_sub(d.bytes.len());
        // A later read of a request that is not whole yet: epmd re-dumps from
        // the start of its buffer, so these bytes are not the new ones.
        if let Some(f) = frames.last_mut() {
            let want = match f.bytes.as_slice() {
                [a, b, ..] => usize::from(u16::from_be_bytes([*a, *b])) + 2,
                _ => usize::MAX,
            };
            let have = f.bytes.len() + f.missing;
            if have < want {
                f.missing += d.declared;
                f.epmd_says.push(format!(
                    "line {}: a further read of {} bytes; epmd dumps split reads from the start of its buffer, so those bytes are not in the log",
                    d.line, d.declared
                ));
                continue;
            }
        }
        let mut says_here = Vec::new();
        if d.truncated || missing_here > 0 {
            says_here.push(format!(
                "line {}: epmd printed {} of {} bytes (it dumps at most {DUMP_LIMIT})",
                d.line,
                d.bytes.len(),
                d.declared
            ));
        }
        frames.push(LogFrame {
            bytes: d.bytes,
            missing: missing_here,
            direction: None,
            reason: String::new(),
            line: d.line,
            answers: None,
            epmd_says: says_here,
            epmd_type: None,
        });
    }
    let n = frames.len();
    for (k, mut f) in frames.into_iter().enumerate() {
        let last = k + 1 == n;
        match (&got, last) {
            (Some((line, name)), true) => {
                f.direction = Some(Direction::Request);
                f.reason = format!("read by epmd: followed by `** got {name}` (line {line})");
                f.epmd_type = Some(name.clone());
            }
            _ if !says.is_empty() => {
                f.direction = Some(Direction::Request);
                f.reason = "read by epmd: it complains about it (see below)".into();
            }
            _ => {}
        }
        if last {
            f.epmd_says.extend(says.iter().cloned());
            if got.is_some() {
                st.request = Some(out.frames.len());
            }
        }
        out.frames.push(f);
    }
}

/// A split-read request whose missing bytes a later log line determines:
/// replace it when the shown bytes are a prefix of the rebuilt frame.
fn reconstruct(out: &mut ParsedLog, st: &State, body: Vec<u8>, line: usize) {
    let Some(f) = st.request.and_then(|i| out.frames.get_mut(i)) else {
        return;
    };
    if f.missing == 0 {
        return;
    }
    let Ok(len) = u16::try_from(body.len()) else {
        return;
    };
    let mut full = len.to_be_bytes().to_vec();
    full.extend_from_slice(&body);
    if full.len() == f.bytes.len() + f.missing && full.starts_with(&f.bytes) {
        f.epmd_says.push(format!(
            "bytes {}..{} rebuilt from what epmd logged on line {line}",
            f.bytes.len(),
            full.len()
        ));
        f.bytes = full;
        f.missing = 0;
    }
}

/// Joins the dumps written after `** got X` into one reply frame.
fn flush_out(out: &mut ParsedLog, st: &mut State) {
    let dumps = std::mem::take(&mut st.pending_out);
    let says = std::mem::take(&mut st.out_says);
    let Some(first) = dumps.first() else {
        // No reply written: what epmd said instead belongs to the request.
        if let Some(f) = st.request.and_then(|i| out.frames.get_mut(i)) {
            f.epmd_says.extend(says);
            f.epmd_says.push("epmd sent no reply".into());
        }
        return;
    };
    let line = first.line;
    let mut bytes = Vec::new();
    let mut missing = 0;
    let mut epmd_says = Vec::new();
    for d in &dumps {
        let m = d.declared.saturating_sub(d.bytes.len());
        if m > 0 {
            epmd_says.push(format!(
                "line {}: epmd printed {} of {} bytes (it dumps at most {DUMP_LIMIT})",
                d.line,
                d.bytes.len(),
                d.declared
            ));
        }
        missing += m;
        bytes.extend_from_slice(&d.bytes);
    }
    epmd_says.extend(says);
    let (reason, answers) = match &st.got {
        Some((l, name)) => (
            format!(
                "written by epmd after `** got {name}` (line {l}){}",
                if dumps.len() > 1 {
                    format!("; {} writes joined", dumps.len())
                } else {
                    String::new()
                }
            ),
            request_code(name),
        ),
        None => (String::new(), None),
    };
    out.frames.push(LogFrame {
        bytes,
        missing,
        direction: Some(Direction::Reply),
        reason,
        line,
        answers,
        epmd_says,
        epmd_type: None,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "epmd: Tue Nov 24 13:40:47 2026: Local peer connected\r\n\
epmd: Tue Nov 24 13:40:47 2026: opening connection on file descriptor 5\r\n\
epmd: Tue Nov 24 13:40:47 2026: got 20 bytes\r\n\
***** 00000000  00 12 78 15 b3 4d 00 00  06 00 06 00 03 66 6f 6f  |..x..M.......foo|\r\n\
***** 00000010  00 02 78 79                                       |..xy|\r\n\
epmd: Tue Nov 24 13:40:47 2026: time in seconds: 1795527647\r\n\
epmd: Tue Nov 24 13:40:47 2026: ** got ALIVE2_REQ\r\n\
*****     active name     \"foo#1795527648\" at port 5555, fd = 5\r\n\
epmd: Tue Nov 24 13:40:47 2026: got 6 bytes\r\n\
***** 00000000  76 00 6b 05 93 e0                                 |v.k...|\r\n\
epmd: Tue Nov 24 13:40:47 2026: ** sent ALIVE2_RESP for \"foo\"\r\n";

    #[test]
    fn sample_transcript() {
        let p = parse(SAMPLE);
        assert_eq!(p.frames.len(), 2);
        assert_eq!(p.frames[0].direction, Some(Direction::Request));
        assert_eq!(p.frames[0].bytes.len(), 20);
        assert_eq!(p.frames[1].direction, Some(Direction::Reply));
        assert_eq!(p.frames[1].bytes, vec![0x76, 0, 0x6b, 0x05, 0x93, 0xe0]);
        assert_eq!(p.frames[1].answers, Some(ALIVE2_REQ));
        assert_eq!(p.table_lines, 1);
    }

    #[test]
    fn split_read_is_rebuilt_from_the_sent_line() {
        let log = "epmd: Tue Nov 24 13:40:47 2026: opening connection on file descriptor 5\n\
epmd: Tue Nov 24 13:40:47 2026: got 4 bytes\n\
***** 00000000  00 04 7a 66                                       |..zf|\n\
epmd: Tue Nov 24 13:40:47 2026: got 2 bytes\n\
***** 00000000  00 04                                             |..|\n\
epmd: Tue Nov 24 13:40:47 2026: ** got PORT2_REQ\n\
epmd: Tue Nov 24 13:40:47 2026: got 2 bytes\n\
***** 00000000  77 01                                             |w.|\n\
epmd: Tue Nov 24 13:40:47 2026: ** sent PORT2_RESP (error) for \"foo\"\n\
epmd: Tue Nov 24 13:40:47 2026: closing connection on file descriptor 5\n";
        let p = parse(log);
        assert_eq!(p.frames.len(), 2);
        assert_eq!(p.frames[0].bytes, b"\x00\x04zfoo".to_vec());
        assert_eq!(p.frames[0].missing, 0);
        assert_eq!(p.frames[1].bytes, vec![0x77, 1]);
    }

    #[test]
    fn split_read_is_not_a_second_frame() {
        let log = "epmd: Tue Nov 24 13:40:47 2026: opening connection on file descriptor 5\n\
epmd: Tue Nov 24 13:40:47 2026: got 4 bytes\n\
***** 00000000  00 04 7a 66                                       |..zf|\n\
epmd: Tue Nov 24 13:40:47 2026: got 2 bytes\n\
***** 00000000  00 04                                             |..|\n\
epmd: Tue Nov 24 13:40:47 2026: ** got PORT2_REQ\n";
        let p = parse(log);
        assert_eq!(p.frames.len(), 1);
        assert_eq!(p.frames[0].bytes, vec![0, 4, 0x7a, 0x66]);
        assert_eq!(p.frames[0].missing, 2);
        assert_eq!(p.frames[0].direction, Some(Direction::Request));
    }

    /// A dump row exactly as epmd's print_buf_hex writes it.
    fn row(offset: usize, bytes: &[u8]) -> String {
        let mut s = format!("***** {offset:08x}");
        for k in 0..16 {
            if k % 8 == 0 {
                s.push(' ');
            }
            match bytes.get(k) {
                Some(b) => s.push_str(&format!(" {b:02x}")),
                None => s.push_str("   "),
            }
        }
        s.push_str("  |");
        s.extend(bytes.iter().map(|&b| {
            if (32..=126).contains(&b) {
                b as char
            } else {
                '.'
            }
        }));
        s.push_str("|\r\n");
        s
    }

    #[test]
    fn truncated_dump_keeps_1024_bytes_and_says_how_many_are_missing() {
        // A DUMP_RESP of 1100 bytes: epmd prints 1024 and "......and more".
        let mut reply = vec![0, 0, 0x11, 0x2f];
        while reply.len() < 1100 {
            reply.extend_from_slice(b"active name     <n> at port 1, fd = 5\n\0");
        }
        reply.truncate(1100);
        let mut log = String::from(
            "epmd: Tue Nov 24 13:40:33 2026: opening connection on file descriptor 5\r\n",
        );
        log.push_str("epmd: Tue Nov 24 13:40:33 2026: got 3 bytes\r\n");
        log.push_str(&row(0, &[0, 1, 0x64]));
        log.push_str("epmd: Tue Nov 24 13:40:33 2026: ** got DUMP_REQ\r\n");
        log.push_str("epmd: Tue Nov 24 13:40:33 2026: got 1100 bytes\r\n");
        for (i, chunk) in reply[..1024].chunks(16).enumerate() {
            log.push_str(&row(i * 16, chunk));
        }
        log.push_str("***** ......and more\r\n");
        log.push_str("epmd: Tue Nov 24 13:40:33 2026: closing connection on file descriptor 5\r\n");
        let p = parse(&log);
        assert_eq!(p.frames.len(), 2, "{p:?}");
        assert_eq!(p.frames[1].bytes, reply[..1024].to_vec());
        assert_eq!(p.frames[1].missing, 76);
        assert_eq!(p.frames[1].answers, Some(DUMP_REQ));
        let r = crate::decode_text(&log, &crate::DecodeOptions::default());
        assert_eq!(r.frames[1].type_name, "DUMP_RESP");
        assert!(r.frames[1].status.is_incomplete());
        assert!(r.frames[1]
            .notes
            .iter()
            .any(|n| n.message.contains("76 more bytes")));
        assert!(r.frames[1]
            .epmd_says
            .iter()
            .any(|s| s.contains("1024 of 1100")));
    }

    #[test]
    fn row_parse() {
        assert_eq!(
            parse_row("***** 00000000  00 01 6e                                          |..n|"),
            Some((0, vec![0, 1, 0x6e]))
        );
        assert_eq!(parse_row("*****     reg calculated count  : 1"), None);
    }
}
