//! The decoder tab's one piece of state and the actions that change it.
//! Pasted text is decoded here at once; a file is decoded by the loader
//! ([`super::loader`]) in chunks, whose results come back as actions tagged
//! with the run they belong to (a newer run makes older results stale).

use crate::model::choice::{
    direction_value, format_from_value, format_value, protocol_from_value, protocol_value,
};
use crate::model::decoder::Decoded;
use crate::model::EXAMPLES;
use crate::url::DecodeQuery;
use erldist_codec::capture::{CaptureSummary, FrameMark};
use erldist_codec::report::Connection;
use erldist_codec::session::ProtocolChoice;
use erldist_codec::{decode_text, DecodeOptions, DirectionChoice, FormatChoice, Frame, Report};
use std::rc::Rc;
use yew::Reducible;

/// Inputs with at most this many frames show every frame expanded.
pub const EXPANDED_MAX: usize = 8;

/// A file the user opened or dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// Its name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
}

/// A file decode under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes read and decoded.
    pub done: u64,
    /// Bytes in the file.
    pub total: u64,
}

/// The input, the options and what they decode to.
#[derive(Debug, Clone, PartialEq)]
pub struct DecoderState {
    /// The paste box.
    pub text: String,
    /// The format select.
    pub format: FormatChoice,
    /// The protocol select.
    pub protocol: ProtocolChoice,
    /// The direction select.
    pub direction: DirectionChoice,
    /// The cookie field.
    pub cookie: String,
    /// The file being shown instead of the paste box.
    pub file: Option<FileInfo>,
    /// Bumped whenever the file must be decoded (again).
    pub run: u32,
    /// The file decode under way.
    pub progress: Option<Progress>,
    /// Why the file's decode stopped early (cancelled, unreadable).
    pub stopped: Option<String>,
    /// What the input decodes to.
    pub decoded: Rc<Decoded>,
    /// The selected frame (0-based).
    pub selected: Option<usize>,
}

/// Something the user (or the loader) did.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Typed or pasted into the paste box (or dropped text).
    SetText(String),
    /// Picked a format.
    SetFormat(FormatChoice),
    /// Picked a protocol.
    SetProtocol(ProtocolChoice),
    /// Picked a direction.
    SetDirection(DirectionChoice),
    /// Changed the cookie.
    SetCookie(String),
    /// Clicked example button `n` (an index into [`EXAMPLES`]).
    LoadExample(usize),
    /// Emptied the paste box (and closed the file).
    Clear,
    /// Opened or dropped a file: it replaces the paste box.
    OpenFile(FileInfo),
    /// Back to the paste box.
    CloseFile,
    /// The loader decoded a whole (non-capture) file; `text` is the file's
    /// text when it was read as text.
    FileReport {
        /// The run it belongs to.
        run: u32,
        /// The report.
        report: Box<Report>,
        /// The text, for the input error's excerpt.
        text: Rc<str>,
    },
    /// The loader decoded the next chunk of a capture.
    CaptureChunk {
        /// The run it belongs to.
        run: u32,
        /// The capture's frames completed by the chunk.
        frames: Vec<(Frame, FrameMark)>,
        /// Connections that ended in the chunk.
        connections: Vec<(usize, Connection)>,
        /// Bytes read so far.
        done: u64,
    },
    /// The capture ended.
    CaptureDone {
        /// The run it belongs to.
        run: u32,
        /// Frames flushed at the end.
        frames: Vec<(Frame, FrameMark)>,
        /// Format, notes, the remaining connections.
        summary: Box<CaptureSummary>,
    },
    /// The file could not be read.
    FileFailed {
        /// The run it belongs to.
        run: u32,
        /// Why.
        message: String,
    },
    /// Stop decoding the file (what was decoded stays).
    Cancel,
    /// Selected frame `i` (0-based).
    Select(usize),
    /// Moved the selection by `delta` frames (clamped).
    Move(i64),
    /// Jumped to the next frame with a problem.
    NextProblem,
}

impl DecoderState {
    /// A state for this paste-box text and these options, decoded.
    pub fn new(
        text: String,
        format: FormatChoice,
        protocol: ProtocolChoice,
        direction: DirectionChoice,
        cookie: String,
    ) -> DecoderState {
        let mut s = DecoderState {
            text,
            format,
            protocol,
            direction,
            cookie,
            file: None,
            run: 0,
            progress: None,
            stopped: None,
            decoded: Rc::default(),
            selected: None,
        };
        s.decode_text();
        s
    }

    /// The state a permalink describes (an empty one: the first example).
    pub fn from_query(q: &DecodeQuery) -> DecoderState {
        let (text, direction) = if q.input.is_empty() && q.format.is_empty() {
            EXAMPLES
                .first()
                .map_or((String::new(), DirectionChoice::Auto), |e| {
                    (e.text.to_string(), e.direction)
                })
        } else {
            (
                q.input.clone(),
                crate::model::choice::direction_from_value(&q.direction),
            )
        };
        DecoderState::new(
            text,
            format_from_value(&q.format),
            protocol_from_value(&q.protocol),
            direction,
            q.cookie.clone(),
        )
    }

    /// What the URL says about this state (a file is not put in the URL).
    pub fn query(&self) -> DecodeQuery {
        let file = self.file.is_some();
        DecodeQuery {
            input: if file {
                String::new()
            } else {
                self.text.clone()
            },
            format: if file {
                String::new()
            } else {
                format_value(self.format).to_string()
            },
            protocol: protocol_value(self.protocol).to_string(),
            direction: direction_value(self.direction).to_string(),
            cookie: self.cookie.clone(),
        }
    }

    /// The codec's options.
    pub fn options(&self) -> DecodeOptions {
        DecodeOptions {
            format: self.format,
            direction: self.direction,
            protocol: self.protocol,
            cookie: (!self.cookie.is_empty()).then(|| self.cookie.as_bytes().to_vec()),
        }
    }

    /// The selected frame, or the first.
    pub fn current(&self) -> Option<usize> {
        let n = self.decoded.frames.len();
        match self.selected {
            Some(i) if i < n => Some(i),
            _ if n > 0 => Some(0),
            _ => None,
        }
    }

    /// True when every frame is shown expanded (few frames, pasted).
    pub fn expanded(&self) -> bool {
        self.file.is_none() && self.decoded.frames.len() <= EXPANDED_MAX
    }

    fn decode_text(&mut self) {
        let mut opts = self.options();
        if matches!(self.format, FormatChoice::Pcap | FormatChoice::Raw) {
            opts.format = FormatChoice::Auto;
        }
        let report = decode_text(&self.text, &opts);
        self.decoded = Rc::new(Decoded::from_report(report, &self.text));
        self.selected = None;
        self.progress = None;
        self.stopped = None;
    }

    /// The options changed: decode again (the file, or the text).
    fn redo(&mut self) {
        if let Some(f) = &self.file {
            self.run = self.run.wrapping_add(1);
            self.progress = Some(Progress {
                done: 0,
                total: f.size,
            });
            self.stopped = None;
            self.decoded = Rc::default();
            self.selected = None;
        } else {
            self.decode_text();
        }
    }

    fn decoded_mut(&mut self) -> &mut Decoded {
        Rc::make_mut(&mut self.decoded)
    }
}

impl Default for DecoderState {
    /// Starts with the first example, so the page shows what it does.
    fn default() -> DecoderState {
        DecoderState::from_query(&DecodeQuery::default())
    }
}

impl Reducible for DecoderState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::SetText(t) if t == s.text && s.file.is_none() => return self,
            Action::SetText(t) => {
                s.text = t;
                s.file = None;
                if matches!(s.format, FormatChoice::Pcap | FormatChoice::Raw) {
                    s.format = FormatChoice::Auto;
                }
                s.decode_text();
            }
            Action::SetFormat(f) if f == s.format => return self,
            Action::SetFormat(f) => {
                s.format = f;
                s.redo();
            }
            Action::SetProtocol(p) if p == s.protocol => return self,
            Action::SetProtocol(p) => {
                s.protocol = p;
                s.redo();
            }
            Action::SetDirection(d) if d == s.direction => return self,
            Action::SetDirection(d) => {
                s.direction = d;
                s.redo();
            }
            Action::SetCookie(c) if c == s.cookie => return self,
            Action::SetCookie(c) => {
                s.cookie = c;
                s.redo();
            }
            Action::LoadExample(n) => {
                let Some(e) = EXAMPLES.get(n) else {
                    return self;
                };
                s.file = None;
                s.text = e.text.to_string();
                s.format = FormatChoice::Auto;
                s.direction = e.direction;
                s.decode_text();
            }
            Action::Clear => {
                s.file = None;
                s.text.clear();
                if matches!(s.format, FormatChoice::Pcap | FormatChoice::Raw) {
                    s.format = FormatChoice::Auto;
                }
                s.decode_text();
            }
            Action::OpenFile(f) => {
                s.file = Some(f);
                s.format = FormatChoice::Auto;
                s.redo();
            }
            Action::CloseFile => {
                if s.file.is_none() {
                    return self;
                }
                s.file = None;
                s.run = s.run.wrapping_add(1);
                if matches!(s.format, FormatChoice::Pcap | FormatChoice::Raw) {
                    s.format = FormatChoice::Auto;
                }
                s.decode_text();
            }
            Action::FileReport { run, report, text } => {
                if run != s.run || s.file.is_none() {
                    return self;
                }
                s.decoded = Rc::new(Decoded::from_report(*report, &text));
                s.progress = None;
            }
            Action::CaptureChunk {
                run,
                frames,
                connections,
                done,
            } => {
                if run != s.run || s.progress.is_none() {
                    return self;
                }
                let d = s.decoded_mut();
                if d.format.is_empty() {
                    *d = Decoded::capture(true);
                }
                for (f, m) in frames {
                    d.push(f, Some(m));
                }
                for (i, c) in connections {
                    d.set_connection(i, c);
                }
                if let Some(p) = &mut s.progress {
                    p.done = done;
                }
            }
            Action::CaptureDone {
                run,
                frames,
                summary,
            } => {
                if run != s.run || s.progress.is_none() {
                    return self;
                }
                let detected = s.format == FormatChoice::Auto;
                let d = s.decoded_mut();
                if d.format.is_empty() {
                    *d = Decoded::capture(detected);
                }
                d.format_detected = detected;
                for (f, m) in frames {
                    d.push(f, Some(m));
                }
                d.finish_capture(*summary);
                s.progress = None;
            }
            Action::FileFailed { run, message } => {
                if run != s.run {
                    return self;
                }
                s.progress = None;
                s.stopped = Some(message);
            }
            Action::Cancel => {
                let Some(p) = s.progress else {
                    return self;
                };
                s.run = s.run.wrapping_add(1);
                s.progress = None;
                s.stopped = Some(format!(
                    "cancelled after {} of {} bytes: the frames decoded so far are shown",
                    p.done, p.total
                ));
            }
            Action::Select(i) => {
                if i >= s.decoded.frames.len() || s.selected == Some(i) {
                    return self;
                }
                s.selected = Some(i);
            }
            Action::Move(delta) => {
                let n = s.decoded.frames.len();
                if n == 0 {
                    return self;
                }
                let cur = i64::try_from(s.current().unwrap_or(0)).unwrap_or(0);
                let max = i64::try_from(n - 1).unwrap_or(0);
                let to = usize::try_from(cur.saturating_add(delta).clamp(0, max)).unwrap_or(0);
                if s.selected == Some(to) {
                    return self;
                }
                s.selected = Some(to);
            }
            Action::NextProblem => match s.decoded.next_problem(s.selected) {
                Some(i) => s.selected = Some(i),
                None => return self,
            },
        }
        Rc::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use erldist_codec::capture::{CaptureDecoder, CaptureOptions};

    fn apply(state: DecoderState, action: Action) -> DecoderState {
        (*Rc::new(state).reduce(action)).clone()
    }

    fn types(s: &DecoderState) -> Vec<&'static str> {
        s.decoded.frames.iter().map(|e| e.frame.type_name).collect()
    }

    #[test]
    fn starts_with_the_first_example_decoded() {
        let s = DecoderState::default();
        assert_eq!(s.text, EXAMPLES[0].text);
        assert_eq!(types(&s), ["ALIVE2_REQ"]);
        assert!(s.expanded());
    }

    #[test]
    fn typing_re_decodes() {
        let s = apply(DecoderState::default(), Action::SetText("00 01 6e".into()));
        assert_eq!(types(&s), ["NAMES_REQ"]);
        let s = apply(s, Action::SetText("00 zz".into()));
        assert!(s.decoded.input_error.is_some());
        assert!(s.decoded.frames.is_empty());
    }

    #[test]
    fn options_re_decode() {
        let s = apply(DecoderState::default(), Action::SetText("00 01 6e".into()));
        let s = apply(s, Action::SetDirection(DirectionChoice::Reply));
        assert_eq!(s.direction, DirectionChoice::Reply);
        assert_eq!(s.decoded.frames[0].frame.direction.as_str(), "reply");
        let s = apply(s, Action::SetFormat(FormatChoice::EpmdLog));
        assert_eq!(s.decoded.format, "epmd-log");
        assert!(!s.decoded.format_detected);
        let s = apply(s, Action::SetProtocol(ProtocolChoice::Dist));
        assert_eq!(s.query().protocol, "dist");
    }

    #[test]
    fn a_permalink_gives_the_same_state_back() {
        let q = DecodeQuery {
            input: "00 01 6e".into(),
            format: "hex".into(),
            protocol: "epmd".into(),
            direction: "request".into(),
            cookie: "secret".into(),
        };
        let s = DecoderState::from_query(&q);
        assert_eq!(s.query(), q);
        assert_eq!(types(&s), ["NAMES_REQ"]);
        assert_eq!(s.options().cookie.as_deref(), Some(&b"secret"[..]));
        // Round trip through the URL.
        let r = crate::url::Route {
            decode: s.query(),
            ..crate::url::Route::default()
        };
        let back = crate::url::Route::from_query(&r.to_query());
        assert_eq!(DecoderState::from_query(&back.decode).query(), q);
    }

    #[test]
    fn examples_set_text_and_direction() {
        let last = EXAMPLES.len() - 1;
        let s = apply(
            DecoderState::default(),
            Action::SetFormat(FormatChoice::Hex),
        );
        let s = apply(s, Action::LoadExample(last));
        assert_eq!(s.text, EXAMPLES[last].text);
        assert_eq!(s.format, FormatChoice::Auto);
        assert_eq!(s.direction, DirectionChoice::Request);
        let s = apply(s, Action::LoadExample(0));
        assert_eq!(s.direction, DirectionChoice::Auto);
        assert_eq!(apply(s.clone(), Action::LoadExample(999)), s);
    }

    #[test]
    fn unchanged_input_keeps_the_same_state() {
        let s = Rc::new(DecoderState::default());
        let same = Rc::clone(&s).reduce(Action::SetText(s.text.clone()));
        assert!(Rc::ptr_eq(&s, &same));
    }

    /// Runs a capture through the actions, as the loader does.
    fn load(s: DecoderState, file: &[u8], piece: usize) -> DecoderState {
        let s = apply(
            s,
            Action::OpenFile(FileInfo {
                name: "x.pcap".into(),
                size: file.len() as u64,
            }),
        );
        let run = s.run;
        let mut s = s;
        let mut dec = CaptureDecoder::new(CaptureOptions {
            cookie: s.options().cookie,
            protocol: s.protocol,
            ..CaptureOptions::default()
        });
        let mut done = 0;
        for chunk in file.chunks(piece) {
            let mut frames = Vec::new();
            dec.push_marked(chunk, &mut |f, m| frames.push((f, m)));
            done += chunk.len() as u64;
            s = apply(
                s,
                Action::CaptureChunk {
                    run,
                    frames,
                    connections: dec.take_finished(),
                    done,
                },
            );
        }
        let mut frames = Vec::new();
        let summary = dec.finish_marked(&mut |f, m| frames.push((f, m)));
        apply(
            s,
            Action::CaptureDone {
                run,
                frames,
                summary: Box::new(summary),
            },
        )
    }

    fn vector(rel: &str) -> Vec<u8> {
        let p = format!("{}/codec/tests/vectors/{rel}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
    }

    #[test]
    fn a_file_replaces_the_paste_box_and_stays_out_of_the_url() {
        let file = vector("dist/dist_hidden.pcap");
        let s = load(DecoderState::default(), &file, 1500);
        assert_eq!(s.decoded.frames.len(), 22);
        assert_eq!(s.decoded.format, "pcap");
        assert!(s.decoded.format_detected);
        assert!(s.progress.is_none());
        assert!(!s.expanded());
        assert_eq!(s.query().input, "");
        assert_eq!(s.current(), Some(0));
        // Closing it brings the paste box back.
        let s = apply(s, Action::CloseFile);
        assert_eq!(types(&s), ["ALIVE2_REQ"]);
    }

    #[test]
    fn stale_chunks_are_dropped_and_cancel_keeps_what_was_decoded() {
        let file = vector("dist/dist_hidden.pcap");
        let s = apply(
            DecoderState::default(),
            Action::OpenFile(FileInfo {
                name: "x.pcap".into(),
                size: file.len() as u64,
            }),
        );
        let old = s.run;
        let mut dec = CaptureDecoder::new(CaptureOptions::default());
        let mut frames = Vec::new();
        dec.push_marked(&file[..3000], &mut |f, m| frames.push((f, m)));
        assert!(!frames.is_empty());
        let chunk = |run| Action::CaptureChunk {
            run,
            frames: frames.clone(),
            connections: Vec::new(),
            done: 3000,
        };
        let s = apply(s, chunk(old));
        let n = s.decoded.frames.len();
        assert_eq!(n, frames.len());
        assert_eq!(s.progress.unwrap().done, 3000);
        // A new cookie starts over: the old run's chunks are stale.
        let s = apply(s, Action::SetCookie("c".into()));
        assert_ne!(s.run, old);
        assert!(s.decoded.frames.is_empty());
        let s = apply(s, chunk(old));
        assert!(s.decoded.frames.is_empty());
        let s = apply(s.clone(), chunk(s.run));
        let s = apply(s, Action::Cancel);
        assert!(s.progress.is_none());
        assert!(s
            .stopped
            .as_deref()
            .unwrap()
            .starts_with("cancelled after 3000 of"));
        assert_eq!(s.decoded.frames.len(), n);
    }

    #[test]
    fn keyboard_moves_and_problems() {
        let file = vector("dist/dist_hidden.pcap");
        let s = load(DecoderState::default(), &file, 100_000);
        let s = apply(s, Action::Move(1));
        assert_eq!(s.selected, Some(1));
        let s = apply(s, Action::Move(-5));
        assert_eq!(s.selected, Some(0));
        let s = apply(s, Action::Move(1000));
        assert_eq!(s.selected, Some(21));
        let s = apply(s, Action::Select(3));
        assert_eq!(s.current(), Some(3));
        let same = apply(s.clone(), Action::Select(99));
        assert_eq!(same.selected, Some(3));
        // The bad Nlen example has one problem frame.
        let s = apply(s, Action::LoadExample(5));
        let s = apply(s, Action::NextProblem);
        assert_eq!(s.selected, Some(0));
    }

    #[test]
    fn clear_empties_the_box() {
        let s = apply(DecoderState::default(), Action::Clear);
        assert_eq!(s.text, "");
        assert!(s.decoded.frames.is_empty());
    }
}
