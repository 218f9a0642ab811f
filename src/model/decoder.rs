//! What the decoder tab shows, built from the codec's output: the frames
//! (whole reports from pasted text, or a capture's frames as they are
//! decoded, chunk by chunk), one line per frame for the list, the
//! connections with what their handshakes established and their atom
//! caches, and the pcapng export of it all.
//!
//! Built once per frame as frames come ([`Decoded::push`]); the list asks
//! for the few rows it shows ([`Decoded::row`]), so a capture of 100 000
//! frames costs nothing to scroll.

use super::sequence::{Lane, Sequence};
use super::FrameRc;
use erldist_codec::capture::{CaptureSummary, FrameMark};
use erldist_codec::export::pcapng::{self, PcapngOptions};
use erldist_codec::input::InputError;
use erldist_codec::lint::Lint;
use erldist_codec::report::Connection;
use erldist_codec::session::Protocol;
use erldist_codec::{Frame, Report, Value};
use std::rc::Rc;

/// One decoded frame and where the capture completed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The frame.
    pub frame: FrameRc,
    /// Packet and time, for frames of a capture file read as it is decoded.
    pub mark: Option<FrameMark>,
}

/// Everything decoded from the input so far.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Decoded {
    /// The format read (`hex`, `epmd-log`, `pcap`, ...); empty before any.
    pub format: &'static str,
    /// True when detected rather than chosen.
    pub format_detected: bool,
    /// The frames, in order.
    pub frames: Vec<Entry>,
    /// Connections by index (a frame's `stream`); `None` until a capture's
    /// connection ends. Shared: a view of one is rebuilt only when it changes.
    pub connections: Vec<Option<Rc<Connection>>>,
    /// Per connection index: its number of frames and its first frame.
    pub conn_frames: Vec<(usize, Option<usize>)>,
    /// Input-level remarks.
    pub notes: Vec<String>,
    /// The input could not be read: where and why.
    pub input_error: Option<InputErrorView>,
    /// Classic mistakes about the input as a whole.
    pub lint: Vec<Lint>,
    /// Bytes in all frames.
    pub bytes: usize,
    /// Indices of frames that are invalid or incomplete or have lint.
    pub problems: Vec<usize>,
    /// Who talks to whom.
    pub sequence: Sequence,
}

/// Where the input text is wrong, with the offending line and a caret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputErrorView {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// The offending line (a window of it when long; tabs as spaces).
    pub excerpt: String,
    /// Spaces then `^` under the offending character of `excerpt`.
    pub caret: String,
}

/// Characters of the offending line shown around the column.
const EXCERPT_BEFORE: usize = 40;
const EXCERPT_WIDTH: usize = 80;

impl InputErrorView {
    /// The error, with the offending line of `input` (empty for a binary
    /// file) and a caret under the column.
    pub fn new(e: &InputError, input: &str) -> InputErrorView {
        let line: Vec<char> = input
            .lines()
            .nth(e.line.saturating_sub(1))
            .unwrap_or("")
            .chars()
            .map(|c| if c == '\t' { ' ' } else { c })
            .collect();
        let col = e.column.saturating_sub(1);
        let start = col.saturating_sub(EXCERPT_BEFORE);
        let end = line.len().min(start + EXCERPT_WIDTH);
        let mut excerpt: String = line.get(start..end).unwrap_or(&[]).iter().collect();
        let mut pad = col - start;
        if start > 0 {
            excerpt.insert(0, '…');
            pad += 1;
        }
        if end < line.len() {
            excerpt.push('…');
        }
        InputErrorView {
            line: e.line,
            column: e.column,
            message: e.message.clone(),
            caret: if excerpt.is_empty() {
                String::new()
            } else {
                format!("{}^", " ".repeat(pad))
            },
            excerpt,
        }
    }
}

/// A small label with a colour class and a tooltip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Badge {
    /// CSS class (`status-complete`, `status-error`, `status-incomplete`, `lint`).
    pub class: &'static str,
    /// Short text.
    pub label: String,
    /// The whole story.
    pub title: String,
}

/// The status badge of a frame: ok, incomplete, or the error's byte and
/// field.
pub fn status_badge(f: &Frame) -> Badge {
    use erldist_codec::epmd::Status;
    match &f.status {
        Status::Complete => Badge {
            class: "status-complete",
            label: "ok".into(),
            title: "complete and valid".into(),
        },
        Status::Incomplete(i) => Badge {
            class: "status-incomplete",
            label: match i.needed {
                Some(n) => format!("needs {n} more"),
                None => "incomplete".into(),
            },
            title: i.message.clone(),
        },
        Status::Invalid(e) => Badge {
            class: "status-error",
            label: format!("error @{}", e.offset),
            title: format!("error at byte {} ({}): {}", e.offset, e.field, e.message),
        },
    }
}

/// The lint badge of a frame, when the codec recognised a classic mistake.
pub fn lint_badge(f: &Frame) -> Option<Badge> {
    f.lint.first()?;
    Some(Badge {
        class: "lint",
        label: if f.lint.len() == 1 {
            "lint".into()
        } else {
            format!("lint ×{}", f.lint.len())
        },
        title: f
            .lint
            .iter()
            .map(|l| format!("{} (byte {}): {}", l.id, l.offset, l.message))
            .collect::<Vec<_>>()
            .join("\n"),
    })
}

/// One line of the frame list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameRow {
    /// 0-based position.
    pub index: usize,
    /// Capture time (`2.134619`, seconds since the first packet), else the
    /// byte offset (`@16`).
    pub when: String,
    /// Packet that completed it / line of the input, for the tooltip.
    pub when_title: String,
    /// Conversation number.
    pub stream: Option<usize>,
    /// `client → epmd`.
    pub parties: String,
    /// `ALIVE2_REQ`, ..., `UNKNOWN`.
    pub type_name: &'static str,
    /// Bytes.
    pub length: usize,
    /// ok / incomplete / error at byte.
    pub status: Badge,
    /// Classic mistakes.
    pub lint: Option<Badge>,
    /// Sender and receiver lanes.
    pub arrow: Option<(usize, usize)>,
    /// EPMD, handshake or connected.
    pub phase: &'static str,
}

/// The detail of a connection for its summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionView {
    /// Index (the frames' `stream`).
    pub index: usize,
    /// `stream 3`.
    pub label: String,
    /// `epmd`, `dist` or `?`.
    pub protocol: &'static str,
    /// Why that protocol.
    pub protocol_reason: String,
    /// `127.0.0.1:39838 → 127.0.0.1:4369` (empty when the input has none).
    pub addresses: String,
    /// `a@127.0.0.1 → b@127.0.0.1` when the handshake names them.
    pub names: String,
    /// The facts worth a glance: flags, visibility, digests.
    pub facts: Vec<Fact>,
    /// Everything else the codec said about it.
    pub more: Vec<(String, String)>,
    /// The atom caches, per side that used one.
    pub atom_caches: Vec<AtomCache>,
    /// Number of frames of this connection.
    pub frames: usize,
    /// Its first frame.
    pub first_frame: Option<usize>,
}

/// A known connection and its frames, for the connection cards.
#[derive(Debug, Clone)]
pub struct ConnEntry {
    /// Index (the frames' `stream`).
    pub index: usize,
    /// The connection (shared: compared by pointer).
    pub conn: Rc<Connection>,
    /// How many frames it has.
    pub frames: usize,
    /// Its first frame.
    pub first: Option<usize>,
}

impl PartialEq for ConnEntry {
    fn eq(&self, o: &ConnEntry) -> bool {
        self.index == o.index
            && Rc::ptr_eq(&self.conn, &o.conn)
            && self.frames == o.frames
            && self.first == o.first
    }
}

impl ConnEntry {
    /// Its view.
    pub fn view(&self) -> ConnectionView {
        ConnectionView::new(self.index, &self.conn, self.frames, self.first)
    }
}

/// A fact with a verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    /// `reply digest`.
    pub name: String,
    /// `valid`.
    pub value: String,
    /// Good, bad or neither.
    pub verdict: Verdict,
}

/// How a fact reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// As it should be (a valid digest).
    Good,
    /// Wrong (an invalid digest).
    Bad,
    /// Information.
    Neutral,
}

impl Verdict {
    /// CSS class.
    pub fn class(self) -> &'static str {
        match self {
            Verdict::Good => "verdict-good",
            Verdict::Bad => "verdict-bad",
            Verdict::Neutral => "verdict-neutral",
        }
    }
}

/// One side's atom cache: the slots its distribution headers filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtomCache {
    /// `initiator` / `acceptor` (and the node's name when known).
    pub side: String,
    /// (slot, atom), by slot.
    pub entries: Vec<(u64, String)>,
}

/// Details shown as facts, in this order, with their names.
const FACTS: [(&str, &str); 5] = [
    ("negotiated_flags", "negotiated flags"),
    ("visibility", "visibility"),
    ("connected_phase", "connected phase"),
    ("reply_digest", "challenge reply digest"),
    ("ack_digest", "challenge ack digest"),
];

fn detail_text(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        other => other.display(),
    }
}

impl ConnectionView {
    /// The view of connection `index`, with its frame count and first frame.
    pub fn new(
        index: usize,
        c: &Connection,
        frames: usize,
        first_frame: Option<usize>,
    ) -> ConnectionView {
        let get = |k: &str| {
            c.details
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| detail_text(v))
        };
        let names = match (get("initiator_name"), get("acceptor_name")) {
            (Some(a), Some(b)) => format!("{a} → {b}"),
            (Some(a), None) => format!("{a} → ?"),
            (None, Some(b)) => format!("? → {b}"),
            (None, None) => String::new(),
        };
        let mut facts = Vec::new();
        for (key, name) in FACTS {
            if let Some(v) = get(key) {
                let verdict = if key.ends_with("_digest") {
                    if v.starts_with("valid") {
                        Verdict::Good
                    } else if v.starts_with("INVALID") {
                        Verdict::Bad
                    } else {
                        Verdict::Neutral
                    }
                } else {
                    Verdict::Neutral
                };
                facts.push(Fact {
                    name: name.to_string(),
                    value: v,
                    verdict,
                });
            }
        }
        let mut atom_caches = Vec::new();
        let mut more = Vec::new();
        for (k, v) in &c.details {
            if let Some(side) = k.strip_suffix("_atom_cache") {
                let mut entries: Vec<(u64, String)> = match v {
                    Value::List(items) => items
                        .iter()
                        .filter_map(|it| match it {
                            Value::Record(m) => {
                                let slot = m.iter().find(|(n, _)| n == "slot")?.1.as_u64()?;
                                let atom = m
                                    .iter()
                                    .find(|(n, _)| n == "atom")
                                    .and_then(|(_, a)| a.as_str())
                                    .unwrap_or("")
                                    .to_string();
                                Some((slot, atom))
                            }
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                entries.sort_by_key(|(s, _)| *s);
                let who = get(&format!("{side}_name"))
                    .map_or_else(|| side.to_string(), |n| format!("{side} {n}"));
                atom_caches.push(AtomCache { side: who, entries });
            } else if !FACTS.iter().any(|(f, _)| f == k) {
                more.push((k.replace('_', " "), detail_text(v)));
            }
        }
        let addresses = match (&c.initiator, &c.acceptor) {
            (Some(a), Some(b)) => format!("{a} → {b}"),
            _ => String::new(),
        };
        ConnectionView {
            index,
            label: c.label.clone(),
            protocol: c.protocol.map_or("?", Protocol::as_str),
            protocol_reason: c.protocol_reason.clone(),
            addresses,
            names,
            facts,
            more,
            atom_caches,
            frames,
            first_frame,
        }
    }
}

fn is_problem(f: &Frame) -> bool {
    !f.status.is_complete() || !f.lint.is_empty()
}

impl Decoded {
    /// A whole report (pasted text, a non-capture file); `input` is the
    /// text it was read from (for the input error's excerpt).
    pub fn from_report(r: Report, input: &str) -> Decoded {
        let mut d = Decoded {
            format: r.format,
            format_detected: r.format_detected,
            notes: r.notes,
            input_error: r
                .input_error
                .as_ref()
                .map(|e| InputErrorView::new(e, input)),
            lint: r.lint,
            connections: r
                .connections
                .into_iter()
                .map(|c| Some(Rc::new(c)))
                .collect(),
            ..Decoded::default()
        };
        for f in r.frames {
            d.push(f, None);
        }
        d
    }

    /// The start of a capture decoded as it is read.
    pub fn capture(detected: bool) -> Decoded {
        Decoded {
            format: "pcap",
            format_detected: detected,
            ..Decoded::default()
        }
    }

    /// One more frame.
    pub fn push(&mut self, f: Frame, mark: Option<FrameMark>) {
        self.sequence.observe(&f);
        self.bytes += f.bytes.len();
        if is_problem(&f) {
            self.problems.push(self.frames.len());
        }
        if let Some(s) = f.stream {
            if self.conn_frames.len() <= s {
                self.conn_frames.resize(s + 1, (0, None));
            }
            if let Some(c) = self.conn_frames.get_mut(s) {
                c.0 += 1;
                c.1.get_or_insert(self.frames.len());
            }
        }
        self.frames.push(Entry {
            frame: FrameRc::new(f),
            mark,
        });
    }

    /// A connection of a capture ended.
    pub fn set_connection(&mut self, index: usize, c: Connection) {
        if self.connections.len() <= index {
            self.connections.resize(index + 1, None);
        }
        if let Some(slot) = self.connections.get_mut(index) {
            *slot = Some(Rc::new(c));
        }
    }

    /// The capture ended: its format, notes, the connections not taken yet
    /// (they fill the free indices in order), then the lint that needs the
    /// whole capture (a port written little-endian next to a connection to
    /// the swapped port, EPMD requests to a node's port).
    pub fn finish_capture(&mut self, s: CaptureSummary) {
        self.format = s.format;
        self.notes = s.notes;
        self.input_error = s.input_error.as_ref().map(|e| InputErrorView::new(e, ""));
        let mut i = 0;
        for c in s.connections {
            while self.connections.get(i).is_some_and(Option::is_some) {
                i += 1;
            }
            self.set_connection(i, c);
            i += 1;
        }
        self.lint_capture();
    }

    /// The codec's report-wide lint, over the EPMD frames (the only ones it
    /// looks at) and the connections; frames that get lint are replaced.
    fn lint_capture(&mut self) {
        let idx: Vec<usize> = self
            .frames
            .iter()
            .enumerate()
            .filter(|(_, e)| e.frame.protocol == Protocol::Epmd)
            .map(|(i, _)| i)
            .collect();
        // Indices must match the frames' streams.
        if idx.is_empty() || self.connections.iter().any(Option::is_none) {
            return;
        }
        let mut r = Report {
            format: self.format,
            format_detected: self.format_detected,
            frames: idx
                .iter()
                .filter_map(|i| self.frames.get(*i).map(|e| (*e.frame.0).clone()))
                .collect(),
            notes: Vec::new(),
            input_error: None,
            connections: self
                .connections
                .iter()
                .flatten()
                .map(|c| (**c).clone())
                .collect(),
            lint: Vec::new(),
        };
        erldist_codec::lint::report(&mut r);
        for (i, f) in idx.into_iter().zip(r.frames) {
            let Some(e) = self.frames.get_mut(i) else {
                continue;
            };
            if f.lint != e.frame.lint {
                let was = is_problem(&e.frame);
                e.frame = FrameRc::new(f);
                if !was {
                    self.problems.push(i);
                    self.problems.sort_unstable();
                }
            }
        }
    }

    /// The list line of frame `i` (0-based).
    pub fn row(&self, i: usize) -> Option<FrameRow> {
        let e = self.frames.get(i)?;
        let f = &e.frame;
        let (when, when_title) = match (&e.mark, f.line) {
            (Some(m), _) if m.nanos.is_some() => (
                m.time_text(),
                format!(
                    "completed by packet {}; seconds since the first packet",
                    m.packet
                ),
            ),
            (Some(m), _) => (
                format!("#{}", m.packet),
                format!(
                    "completed by packet {} (the capture has no times)",
                    m.packet
                ),
            ),
            (None, Some(line)) => (
                format!("@{}", f.offset),
                format!(
                    "byte offset {} in its stream; line {line} of the input",
                    f.offset
                ),
            ),
            (None, None) => (
                format!("@{}", f.offset),
                format!("byte offset {} in its stream", f.offset),
            ),
        };
        let parties = self
            .sequence
            .parties(f)
            .map_or_else(String::new, |(a, b)| format!("{a} → {b}"));
        Some(FrameRow {
            index: i,
            when,
            when_title,
            stream: f.stream,
            parties,
            type_name: f.type_name,
            length: f.bytes.len(),
            status: status_badge(f),
            lint: lint_badge(f),
            arrow: self.sequence.arrow(f),
            phase: f.phase.as_str(),
        })
    }

    /// The lanes of the sequence view.
    pub fn lanes(&self) -> Vec<Lane> {
        self.sequence.lanes()
    }

    /// `3 frames, 29 bytes` (and the connections).
    pub fn summary(&self) -> String {
        let n = self.frames.len();
        let c = self.connections.iter().flatten().count();
        let mut s = format!(
            "{n} frame{}, {} byte{}",
            plural(n),
            self.bytes,
            plural(self.bytes)
        );
        if c > 0 {
            s.push_str(&format!(", {c} connection{}", plural(c)));
        }
        if !self.problems.is_empty() {
            let p = self.problems.len();
            s.push_str(&format!(", {p} with problems"));
        }
        s
    }

    /// The next frame after `from` (0-based, wrapping) that has a problem.
    pub fn next_problem(&self, from: Option<usize>) -> Option<usize> {
        let after = from.map_or(0, |i| i + 1);
        self.problems
            .iter()
            .copied()
            .find(|&i| i >= after)
            .or_else(|| self.problems.first().copied())
    }

    /// The known connections (index, connection, its frame count, its
    /// first frame); at most `max` (the rest counted).
    pub fn connection_list(&self, max: usize) -> (Vec<ConnEntry>, usize) {
        let all: Vec<ConnEntry> = self
            .connections
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let (frames, first) = self.conn_frames.get(i).copied().unwrap_or((0, None));
                Some(ConnEntry {
                    index: i,
                    conn: Rc::clone(c.as_ref()?),
                    frames,
                    first,
                })
            })
            .collect();
        let more = all.len().saturating_sub(max);
        (all.into_iter().take(max).collect(), more)
    }

    /// The connection frame `i` belongs to, once known.
    pub fn connection_of(&self, i: usize) -> Option<ConnEntry> {
        let s = self.frames.get(i)?.frame.stream?;
        let c = self.connections.get(s)?.as_ref()?;
        let (frames, first) = self.conn_frames.get(s).copied().unwrap_or((0, None));
        Some(ConnEntry {
            index: s,
            conn: Rc::clone(c),
            frames,
            first,
        })
    }

    /// Everything decoded, as a pcapng capture (each conversation on its
    /// own synthetic TCP connection, addresses' ports kept).
    pub fn to_pcapng(&self) -> Result<Vec<u8>, String> {
        let frames: Vec<(usize, &Frame)> = self
            .frames
            .iter()
            .enumerate()
            .map(|(i, e)| (i, &*e.frame.0))
            .collect();
        let connections: Vec<Connection> = self
            .connections
            .iter()
            .enumerate()
            .map(|(i, c)| {
                c.as_deref().cloned().unwrap_or_else(|| Connection {
                    label: format!("stream {i}"),
                    protocol: None,
                    protocol_reason: String::new(),
                    initiator: None,
                    acceptor: None,
                    line: None,
                    details: Vec::new(),
                })
            })
            .collect();
        // Node ports are looked up in EPMD frames (PORT2_RESP, ALIVE2_REQ).
        let context: Vec<Frame> = self
            .frames
            .iter()
            .filter(|e| e.frame.protocol == Protocol::Epmd)
            .map(|e| (*e.frame.0).clone())
            .collect();
        pcapng::write_frames(&frames, &connections, &context, &PcapngOptions::default())
            .map_err(|e| e.to_string())
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use erldist_codec::capture::{CaptureDecoder, CaptureOptions};
    use erldist_codec::{decode_bytes, decode_text, DecodeOptions};

    fn vector(rel: &str) -> Vec<u8> {
        let p = format!("{}/codec/tests/vectors/{rel}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
    }

    /// A capture decoded in pieces, as the page does.
    fn streamed(file: &[u8], piece: usize, cookie: Option<&str>) -> Decoded {
        let mut d = Decoded::capture(true);
        let mut dec = CaptureDecoder::new(CaptureOptions {
            cookie: cookie.map(|c| c.as_bytes().to_vec()),
            ..CaptureOptions::default()
        });
        for chunk in file.chunks(piece) {
            let mut got = Vec::new();
            dec.push_marked(chunk, &mut |f, m| got.push((f, m)));
            for (f, m) in got {
                d.push(f, Some(m));
            }
            for (i, c) in dec.take_finished() {
                d.set_connection(i, c);
            }
        }
        let mut got = Vec::new();
        let s = dec.finish_marked(&mut |f, m| got.push((f, m)));
        for (f, m) in got {
            d.push(f, Some(m));
        }
        d.finish_capture(s);
        d
    }

    #[test]
    fn a_capture_streamed_is_the_report_of_the_whole() {
        let file = vector("dist/dist_full.pcap");
        let whole = decode_bytes(&file, &DecodeOptions::default());
        let d = streamed(&file, 64 * 1024, None);
        let frames: Vec<Frame> = d.frames.iter().map(|e| (*e.frame.0).clone()).collect();
        assert_eq!(frames, whole.frames);
        let conns: Vec<Connection> = d
            .connections
            .iter()
            .flatten()
            .map(|c| (**c).clone())
            .collect();
        assert_eq!(conns, whole.connections);
        assert_eq!(d.connections.len(), whole.connections.len());
        assert_eq!(d.notes, whole.notes);
        assert_eq!(d.format, "pcap");
    }

    #[test]
    fn rows_say_when_who_what_and_how() {
        let d = streamed(&vector("dist/dist_hidden.pcap"), 1000, None);
        let r = d.row(0).unwrap();
        assert_eq!(r.type_name, "ALIVE2_REQ");
        assert_eq!(r.parties, "b@127.0.0.1 → epmd");
        assert_eq!(r.stream, Some(0));
        assert_eq!(r.status.label, "ok");
        assert!(r.when.contains('.'), "{}", r.when);
        assert!(r.when_title.contains("packet"));
        let send_name = (0..d.frames.len())
            .filter_map(|i| d.row(i))
            .find(|r| r.type_name == "SEND_NAME")
            .unwrap();
        assert_eq!(send_name.parties, "h@127.0.0.1 → b@127.0.0.1");
        assert_eq!(send_name.phase, "handshake");
        assert!(d.row(d.frames.len()).is_none());
    }

    #[test]
    fn errors_show_their_byte_and_field_in_the_list() {
        let r = decode_text(
            "00 11 78 25 22 4d 00 00 06 00 05 00 09 6e 6f 64 65 00 00",
            &DecodeOptions::default(),
        );
        let d = Decoded::from_report(r, "");
        let row = d.row(0).unwrap();
        assert_eq!(row.status.class, "status-error");
        assert_eq!(row.status.label, "error @11");
        assert!(
            row.status.title.contains("ALIVE2_REQ.name_len"),
            "{}",
            row.status.title
        );
        assert_eq!(row.when, "@0");
        assert_eq!(d.problems, [0]);
        assert_eq!(d.next_problem(None), Some(0));
        assert_eq!(d.next_problem(Some(0)), Some(0));
    }

    #[test]
    fn a_wrong_cookie_is_a_bad_verdict_and_the_right_one_good() {
        let file = vector("dist/dist_wrong_cookie.pcap");
        let d = streamed(&file, 4096, Some("wrong_cookie_value_that_nobody_uses"));
        let (list, more) = d.connection_list(100);
        assert_eq!(more, 0);
        let views: Vec<ConnectionView> = list.iter().map(ConnEntry::view).collect();
        let dist = views.iter().find(|v| v.protocol == "dist").unwrap();
        let digest = dist
            .facts
            .iter()
            .find(|f| f.name == "challenge reply digest")
            .unwrap();
        assert_eq!(digest.verdict, Verdict::Bad, "{digest:?}");
        assert!(!dist.names.is_empty());
        // No cookie: not checked.
        let d = streamed(&file, 4096, None);
        let views: Vec<ConnectionView> = d
            .connection_list(100)
            .0
            .iter()
            .map(ConnEntry::view)
            .collect();
        let dist = views.iter().find(|v| v.protocol == "dist").unwrap();
        assert!(dist.facts.iter().all(|f| f.verdict == Verdict::Neutral));
    }

    #[test]
    fn the_atom_caches_are_tables_by_slot() {
        let d = streamed(&vector("dist/dist_full.pcap"), 200_000, None);
        let views: Vec<ConnectionView> = d
            .connection_list(100)
            .0
            .iter()
            .map(ConnEntry::view)
            .collect();
        let dist = views.iter().find(|v| v.protocol == "dist").unwrap();
        assert_eq!(dist.atom_caches.len(), 2);
        let init = &dist.atom_caches[0];
        assert!(init.side.starts_with("initiator a@"), "{}", init.side);
        assert!(init.entries.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(init.entries.iter().any(|(_, a)| a == "erlang"));
        assert!(dist.more.iter().all(|(k, _)| !k.contains("atom cache")));
        assert!(dist.frames > 100);
        assert_eq!(
            d.frames[dist.first_frame.unwrap()].frame.type_name,
            "SEND_NAME"
        );
        assert_eq!(
            d.connection_of(dist.first_frame.unwrap()).unwrap().index,
            dist.index
        );
    }

    #[test]
    fn the_export_is_a_pcapng_that_decodes_to_the_same_frames() {
        let d = streamed(&vector("dist/dist_hidden.pcap"), 4096, None);
        let file = d.to_pcapng().unwrap();
        let back = decode_bytes(&file, &DecodeOptions::default());
        assert_eq!(back.format, "pcapng");
        let types = |v: Vec<&'static str>| v;
        assert_eq!(
            types(back.frames.iter().map(|f| f.type_name).collect()),
            types(d.frames.iter().map(|e| e.frame.type_name).collect())
        );
        // Text inputs export too.
        let t = Decoded::from_report(decode_text("00 01 6e", &DecodeOptions::default()), "");
        assert!(t
            .to_pcapng()
            .unwrap()
            .starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]));
    }

    #[test]
    fn input_errors_point_at_line_and_column() {
        let text = "00 01\n00 zz";
        let d = Decoded::from_report(decode_text(text, &DecodeOptions::default()), text);
        let e = d.input_error.unwrap();
        assert_eq!((e.line, e.column), (2, 4));
        assert_eq!(e.excerpt, "00 zz");
        assert_eq!(e.caret, "   ^");
        assert!(d.frames.is_empty());
    }

    #[test]
    fn the_cross_connection_lint_runs_on_streamed_captures() {
        for name in ["dist/dist_full.pcap", "corpus/epmd_strict.pcap"] {
            let file = vector(name);
            let whole = decode_bytes(&file, &DecodeOptions::default());
            let d = streamed(&file, 3000, None);
            let lint: Vec<_> = d.frames.iter().map(|e| e.frame.lint.clone()).collect();
            let want: Vec<_> = whole.frames.iter().map(|f| f.lint.clone()).collect();
            assert_eq!(lint, want, "{name}");
        }
    }

    #[test]
    fn summary_counts() {
        let d = Decoded::from_report(decode_text("00 01 6e", &DecodeOptions::default()), "");
        assert_eq!(d.summary(), "1 frame, 3 bytes");
        let d = streamed(&vector("dist/dist_hidden.pcap"), 4096, None);
        assert!(d.summary().contains("5 connections"), "{}", d.summary());
    }
}
