//! The text lines of NAMES_RESP and DUMP_RESP.

use crate::reader::{lossy, Incomplete, RResult, Reader, Stop};
use crate::span::{Span, Value};

/// One `name <alive> at port <N>\n` line of NAMES_RESP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamesLine {
    /// The registered alive name.
    pub name: Vec<u8>,
    /// The node's port, as written in decimal.
    pub port: u64,
    /// The line exactly as sent (kept so re-encoding is byte-exact).
    pub raw: Vec<u8>,
}

impl NamesLine {
    /// The line epmd writes for `name` at `port`.
    pub fn new(name: &[u8], port: u64) -> NamesLine {
        let mut raw = b"name ".to_vec();
        raw.extend_from_slice(name);
        raw.extend_from_slice(format!(" at port {port}\n").as_bytes());
        NamesLine {
            name: name.to_vec(),
            port,
            raw,
        }
    }
}

/// One NUL-terminated line of DUMP_RESP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpLine {
    /// `active name` (registered) or `old/unused name`.
    pub active: bool,
    /// The alive name (between `<` and `>`).
    pub name: Vec<u8>,
    /// The node's port.
    pub port: u64,
    /// epmd's file descriptor for the registration socket.
    pub fd: u64,
    /// The line exactly as sent, NUL included.
    pub raw: Vec<u8>,
}

impl DumpLine {
    /// The line epmd writes.
    pub fn new(active: bool, name: &[u8], port: u64, fd: u64) -> DumpLine {
        let mut raw = if active {
            b"active name     <".to_vec()
        } else {
            b"old/unused name <".to_vec()
        };
        raw.extend_from_slice(name);
        let tail = if active {
            format!("> at port {port}, fd = {fd}\n\0")
        } else {
            format!(">, port = {port}, fd = {fd} \n\0")
        };
        raw.extend_from_slice(tail.as_bytes());
        DumpLine {
            active,
            name: name.to_vec(),
            port,
            fd,
            raw,
        }
    }
}

/// Cuts one line into literal and value pieces, recording a leaf per piece.
struct LineCut<'l> {
    line: &'l [u8],
    pos: usize,
    base: usize,
    group: String,
    frame: &'static str,
    spans: Vec<Span>,
}

impl<'l> LineCut<'l> {
    fn err(&self, at: usize, what: String) -> Stop {
        Stop::Invalid(crate::reader::DecodeError {
            offset: self.base + at,
            field: format!("{}.{}", self.frame, self.group),
            message: what,
        })
    }

    fn literal(&mut self, field: &'static str, lit: &[u8], meaning: &'static str) -> RResult<()> {
        let got = self.line.get(self.pos..).unwrap_or(&[]);
        if !got.starts_with(lit) {
            return Err(self.err(
                self.pos,
                format!("expected {:?} here, found {:?}", lossy(lit), lossy(got)),
            ));
        }
        self.spans.push(Span::leaf(
            field,
            self.base + self.pos,
            lit.len(),
            Value::Text(lossy(lit)),
            meaning,
        ));
        self.pos += lit.len();
        Ok(())
    }

    /// Text up to the last occurrence of `until` in the line.
    fn name_until(&mut self, until: &[u8]) -> RResult<&'l [u8]> {
        let rest = self.line.get(self.pos..).unwrap_or(&[]);
        let Some(i) = rest.windows(until.len()).rposition(|w| w == until) else {
            return Err(self.err(self.pos, format!("no {:?} after the name", lossy(until))));
        };
        if i == 0 {
            return Err(self.err(self.pos, "empty node name".into()));
        }
        let name = rest.get(..i).unwrap_or(&[]);
        self.spans.push(Span::leaf(
            "name",
            self.base + self.pos,
            i,
            Value::Text(lossy(name)),
            format!("the registered alive name \"{}\"", lossy(name)),
        ));
        self.pos += i;
        Ok(name)
    }

    fn decimal(
        &mut self,
        field: &'static str,
        meaning: impl FnOnce(u64) -> String,
    ) -> RResult<u64> {
        let rest = self.line.get(self.pos..).unwrap_or(&[]);
        let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return Err(self.err(self.pos, format!("expected the decimal {field}")));
        }
        let digits = rest.get(..n).unwrap_or(&[]);
        let v = lossy(digits)
            .parse::<u64>()
            .map_err(|_| self.err(self.pos, format!("{field} {} is too large", lossy(digits))))?;
        self.spans.push(Span::leaf(
            field,
            self.base + self.pos,
            n,
            Value::UInt(v),
            meaning(v),
        ));
        self.pos += n;
        Ok(v)
    }
}

/// The end of the next DUMP_RESP record: `\n` followed by a NUL. A name may
/// contain `\n` (epmd only refuses NUL), so only the NUL delimits.
fn next_dump_record<'a>(r: &Reader<'a>, eof: bool, field: &str) -> RResult<Option<&'a [u8]>> {
    let rest = r.rest();
    if rest.is_empty() {
        return Ok(None);
    }
    if let Some(i) = rest.windows(2).position(|w| w == b"\n\0") {
        return Ok(rest.get(..i + 2));
    }
    if !eof {
        let needed = rest.ends_with(b"\n").then_some(1);
        return Err(Stop::Incomplete(Incomplete::new(needed, r.path(field))));
    }
    let message = if rest.ends_with(b"\n") {
        "a DUMP_RESP line ends with \\n and then a NUL byte; the NUL is missing".to_string()
    } else {
        format!(
            "{} without the final \\n and NUL that end every DUMP_RESP line",
            crate::reader::bytes_word(rest.len())
        )
    };
    Err(r.invalid(r.offset() + rest.len(), field, message))
}

fn group(
    field: &str,
    offset: usize,
    raw: &[u8],
    value: Value,
    meaning: String,
    children: Vec<Span>,
) -> Span {
    Span {
        field: field.to_string().into(),
        offset,
        length: raw.len(),
        value,
        meaning: meaning.into(),
        children,
    }
}

/// The longest NAMES_RESP line epmd writes: `name ` + a name of at most
/// 1020 bytes + ` at port ` + a port + `\n`.
const MAX_NAMES_LINE: usize = 1100;

/// Cuts one NAMES_RESP line into its pieces.
fn cut_names_line<'l>(
    r: &Reader<'_>,
    line: &'l [u8],
    field: &str,
) -> RResult<(&'l [u8], u64, Vec<Span>)> {
    let mut c = LineCut {
        line,
        pos: 0,
        base: r.offset(),
        group: field.to_string(),
        frame: r.frame,
        spans: Vec::new(),
    };
    c.literal("name_keyword", b"name ", "\"name \" starts each line")?;
    let name = c.name_until(b" at port ")?;
    c.literal("at_port", b" at port ", "\" at port \"")?;
    let port = c.decimal("port", |p| format!("port {p}, in decimal text"))?;
    c.literal("newline", b"\n", "\\n ends the line (LF only, no NUL)")?;
    if c.pos != line.len() {
        return Err(c.err(c.pos, "unexpected bytes before the end of the line".into()));
    }
    Ok((name, port, c.spans))
}

/// Reads NAMES_RESP lines until the end of the bytes.
pub(super) fn read_names_lines(r: &mut Reader<'_>, eof: bool) -> RResult<Vec<NamesLine>> {
    let mut out = Vec::new();
    loop {
        let field = format!("nodes[{}]", out.len());
        let rest = r.rest();
        if rest.is_empty() {
            break;
        }
        // A name may itself contain `\n`: take the first line end at which
        // the text parses as a whole `name X at port N\n` line.
        let mut first_err = None;
        let mut parsed = None;
        for end in rest
            .iter()
            .take(MAX_NAMES_LINE)
            .enumerate()
            .filter(|(_, &b)| b == b'\n')
            .map(|(i, _)| i + 1)
        {
            let line = rest.get(..end).unwrap_or(&[]);
            match cut_names_line(r, line, &field) {
                Ok(p) => {
                    parsed = Some((line, p));
                    break;
                }
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        let Some((line, (name, port, spans))) = parsed else {
            if !eof && rest.len() < MAX_NAMES_LINE {
                return Err(Stop::Incomplete(Incomplete::new(None, r.path(&field))));
            }
            return Err(first_err.unwrap_or_else(|| {
                r.invalid(
                    r.offset() + rest.len(),
                    &field,
                    format!(
                        "{} without a final \\n: every line ends with \\n",
                        crate::reader::bytes_word(rest.len())
                    ),
                )
            }));
        };
        let start = r.offset();
        let rec = Value::Record(vec![
            ("name".into(), Value::Text(lossy(name))),
            ("port".into(), Value::UInt(port)),
        ]);
        let meaning = format!("node \"{}\" listens on port {port}", lossy(name));
        let name = name.to_vec();
        r.take(line.len(), &field)?;
        r.spans
            .push(group(&field, start, line, rec, meaning, spans));
        out.push(NamesLine {
            name,
            port,
            raw: line.to_vec(),
        });
    }
    if !eof {
        return Err(Stop::Incomplete(Incomplete::new(
            None,
            r.path(&format!("nodes[{}]", out.len())),
        )));
    }
    Ok(out)
}

/// Reads DUMP_RESP lines until the end of the bytes.
pub(super) fn read_dump_lines(r: &mut Reader<'_>, eof: bool) -> RResult<Vec<DumpLine>> {
    let mut out = Vec::new();
    loop {
        let field = format!("nodes[{}]", out.len());
        let Some(line) = next_dump_record(r, eof, &field)? else {
            break;
        };
        let start = r.offset();
        let mut c = LineCut {
            line,
            pos: 0,
            base: start,
            group: field.clone(),
            frame: r.frame,
            spans: Vec::new(),
        };
        let active = line.starts_with(b"active");
        if active {
            c.literal("state", b"active name     <", "an active (registered) node")?;
        } else {
            c.literal(
                "state",
                b"old/unused name <",
                "an old/unused name, remembered to bump its creation on reuse",
            )?;
        }
        let name = if active {
            c.name_until(b"> at port ")?
        } else {
            c.name_until(b">, port = ")?
        };
        if active {
            c.literal("at_port", b"> at port ", "\"> at port \"")?;
        } else {
            c.literal("at_port", b">, port = ", "\">, port = \"")?;
        }
        let port = c.decimal("port", |p| format!("port {p}"))?;
        c.literal("fd_keyword", b", fd = ", "\", fd = \"")?;
        let fd = c.decimal("fd", |f| {
            format!("epmd's file descriptor {f} for the registration socket")
        })?;
        if active {
            c.literal("newline", b"\n", "\\n ends the text")?;
        } else {
            c.literal("newline", b" \n", "a space and \\n end the text")?;
        }
        c.literal("nul", b"\0", "a NUL byte after every DUMP_RESP line")?;
        if c.pos != line.len() {
            return Err(c.err(c.pos, "unexpected bytes before the end of the line".into()));
        }
        let state = if active { "active" } else { "old/unused" };
        let rec = Value::Record(vec![
            ("name".into(), Value::Text(lossy(name))),
            ("port".into(), Value::UInt(port)),
            ("fd".into(), Value::UInt(fd)),
            ("state".into(), Value::Text(state.into())),
        ]);
        let meaning = format!("{state} node \"{}\" at port {port}, fd {fd}", lossy(name));
        let name = name.to_vec();
        let spans = c.spans;
        r.take(line.len(), &field)?;
        r.spans
            .push(group(&field, start, line, rec, meaning, spans));
        out.push(DumpLine {
            active,
            name,
            port,
            fd,
            raw: line.to_vec(),
        });
    }
    if !eof {
        return Err(Stop::Incomplete(Incomplete::new(
            None,
            r.path(&format!("nodes[{}]", out.len())),
        )));
    }
    Ok(out)
}
