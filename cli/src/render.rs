//! The annotated text layout: a renderer of the codec's span tree.

use erldist_codec::epmd::{self, Status};
use erldist_codec::{hex, Report, Span};
use std::fmt::Write;

const HEX_BYTES: usize = 8;

fn hex_cell(bytes: &[u8]) -> String {
    if bytes.len() <= HEX_BYTES {
        hex::spaced(bytes)
    } else {
        format!(
            "{} … ({} bytes)",
            hex::spaced(bytes.get(..HEX_BYTES).unwrap_or(&[])),
            bytes.len()
        )
    }
}

fn rows(out: &mut String, spans: &[Span], frame_bytes: &[u8], frame_offset: usize, depth: usize) {
    for s in spans {
        let start = s.offset.saturating_sub(frame_offset);
        let bytes = frame_bytes
            .get(start..start.saturating_add(s.length))
            .unwrap_or(&[]);
        let field = format!("{}{}", "  ".repeat(depth), s.field);
        let value = s.value.display();
        let _ = writeln!(
            out,
            "  {:06x}  {:<36} {:<18} {:<16} {}",
            s.offset,
            if s.children.is_empty() {
                hex_cell(bytes)
            } else {
                String::new()
            },
            field,
            truncate(&value, 16),
            s.meaning
        );
        rows(out, &s.children, frame_bytes, frame_offset, depth + 1);
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

fn table_header(out: &mut String) {
    let _ = writeln!(
        out,
        "  {:<6}  {:<36} {:<18} {:<16} meaning",
        "offset", "hex", "field", "value"
    );
}

/// `lint [id] at byte N: message`, then the corrected bytes.
fn lint_lines(out: &mut String, lints: &[erldist_codec::lint::Lint], indent: &str) {
    for l in lints {
        let _ = writeln!(
            out,
            "{indent}lint [{}] at byte {}: {}",
            l.id, l.offset, l.message
        );
        if let Some(c) = &l.corrected {
            let _ = writeln!(out, "{indent}  corrected: {}", hex::spaced(c));
        }
    }
}

/// Nothing for a complete decode; the incomplete or error line otherwise.
fn status_line(out: &mut String, status: &Status, indent: &str) {
    match status {
        Status::Complete => {}
        Status::Incomplete(i) => {
            let _ = writeln!(out, "{indent}{}", i.message);
        }
        Status::Invalid(e) => {
            let _ = writeln!(
                out,
                "{indent}error at byte {} ({}): {}",
                e.offset, e.field, e.message
            );
        }
    }
}

/// The whole report as text.
pub fn report(r: &Report) -> String {
    let mut out = head(r);
    for (i, f) in r.frames.iter().enumerate() {
        frame(&mut out, i + 1, f);
    }
    out
}

/// What comes before the frames: format, input error, notes, connections.
pub fn head(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "format: {} ({})",
        r.format,
        if r.format_detected {
            "detected"
        } else {
            "given"
        }
    );
    if let Some(e) = &r.input_error {
        let _ = writeln!(out, "input error: {e}");
    }
    for n in &r.notes {
        let _ = writeln!(out, "note: {n}");
    }
    lint_lines(&mut out, &r.lint, "");
    for (i, c) in r.connections.iter().enumerate() {
        connection(&mut out, i, c);
    }
    out
}

/// One connection, numbered `i`: addresses, protocol and why, details.
pub fn connection(out: &mut String, i: usize, c: &erldist_codec::report::Connection) {
    let _ = writeln!(
        out,
        "connection {i}: {}{}{}: {} ({})",
        c.label,
        c.initiator
            .as_deref()
            .map(|a| format!(" {a}"))
            .unwrap_or_default(),
        c.acceptor
            .as_deref()
            .map(|a| format!(" -> {a}"))
            .unwrap_or_default(),
        c.protocol.map_or("undecided", |p| p.as_str()),
        c.protocol_reason
    );
    for (k, v) in &c.details {
        let _ = writeln!(out, "  {k}: {}", v.display());
    }
}

/// One frame, numbered `number` (1-based): header line, direction, every
/// span, status, notes.
pub fn frame(out: &mut String, number: usize, f: &erldist_codec::Frame) {
    let _ = writeln!(out);
    let who = match f.protocol {
        erldist_codec::session::Protocol::Epmd => f.direction.as_str().to_string(),
        erldist_codec::session::Protocol::Dist => format!(
            "{} {}",
            match f.side {
                erldist_codec::conn::Side::Initiator => "initiator -> acceptor",
                erldist_codec::conn::Side::Acceptor => "acceptor -> initiator",
            },
            f.phase.as_str()
        ),
    };
    let _ = writeln!(
        out,
        "#{} {}  {}{}{}  offset {}, {} bytes{}",
        number,
        f.type_name,
        f.stream
            .map(|s| format!("[connection {s}] "))
            .unwrap_or_default(),
        who,
        if f.direction_inferred {
            " (inferred)"
        } else {
            ""
        },
        f.offset,
        f.bytes.len(),
        f.line.map(|l| format!(", line {l}")).unwrap_or_default()
    );
    if !f.direction_reason.is_empty() {
        let _ = writeln!(out, "  direction: {}", f.direction_reason);
    }
    table_header(out);
    rows(out, &f.spans, &f.bytes, f.offset, 0);
    status_line(out, &f.status, "  ");
    for n in &f.notes {
        let _ = writeln!(
            out,
            "  note at byte {} ({}): {}",
            n.offset, n.field, n.message
        );
    }
    for s in &f.epmd_says {
        let _ = writeln!(out, "  epmd log: {s}");
    }
    lint_lines(out, &f.lint, "  ");
    if let Some(re) = &f.reassembled {
        let _ = writeln!(
            out,
            "  reassembled message ({} bytes, offsets within it):",
            re.bytes.len()
        );
        rows(out, &re.spans, &re.bytes, 0, 1);
    }
}

/// `erldist term decode`: the Erlang text, then (with `layout`) every byte.
pub fn term(r: &erldist_codec::TermReport, layout: bool) -> String {
    let mut out = String::new();
    if let Some(e) = &r.input_error {
        let _ = writeln!(out, "input error: {e}");
        return out;
    }
    if let Some(t) = &r.text {
        let _ = writeln!(out, "{t}");
    }
    status_line(&mut out, &r.decoded.status, "");
    if r.decoded.status.is_complete() && r.decoded.consumed < r.bytes.len() {
        let _ = writeln!(
            out,
            "note: {} bytes after the term were not decoded",
            r.bytes.len() - r.decoded.consumed
        );
    }
    if layout || !r.decoded.status.is_complete() {
        table_header(&mut out);
        rows(&mut out, &r.decoded.spans(&r.bytes), &r.bytes, 0, 0);
        if let Some(inf) = &r.decoded.inflated {
            let _ = writeln!(out, "inflated ({} bytes):", inf.bytes.len());
            rows(&mut out, &inf.spans(), &inf.bytes, 0, 0);
        }
    }
    out
}

/// `erldist encode epmd --list`.
pub fn schema_list() -> String {
    let mut out = String::new();
    for (name, dir) in epmd::message_types() {
        let _ = writeln!(out, "{name} ({})", dir.as_str());
        for f in epmd::field_schema(name).unwrap_or(&[]) {
            let flag = format!("--{}", f.name.replace('_', "-"));
            let default = if f.derived {
                "derived unless given".to_string()
            } else {
                match f.default {
                    Some("") => "default empty".to_string(),
                    Some(d) => format!("default {d}"),
                    None => "required".to_string(),
                }
            };
            let _ = writeln!(out, "  {flag:<20} {:<36} {}", default, f.doc);
        }
    }
    out
}

/// `erldist flags WORD`: every set bit by name and meaning.
pub fn flags(f: erldist_codec::handshake::DistFlags) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{:#x}:", f.0);
    for bit in f.set_bits() {
        let mean = erldist_codec::handshake::flag_info(bit)
            .map(|i| i.meaning)
            .unwrap_or("not a known flag");
        let _ = writeln!(
            out,
            "  bit {bit:>2}  {:#014x}  {:<22} {mean}",
            1u64 << bit,
            erldist_codec::handshake::bit_name(bit)
        );
    }
    out
}

/// `erldist encode handshake --list`.
pub fn handshake_schema_list() -> String {
    let mut out = String::new();
    for (name, side) in erldist_codec::handshake::message_types() {
        let _ = writeln!(out, "{name} (sent by the {})", side.as_str());
        for f in erldist_codec::handshake::field_schema(name).unwrap_or(&[]) {
            let flag = format!("--{}", f.name.replace('_', "-"));
            let _ = writeln!(
                out,
                "  {flag:<20} {:<36} {}",
                default_text(f.derived, f.default),
                f.doc
            );
        }
    }
    out
}

/// `erldist encode dist --list`.
pub fn dist_schema_list() -> String {
    let mut out = String::new();
    for name in erldist_codec::dist::message_types() {
        let _ = writeln!(out, "{name}");
        for f in erldist_codec::dist::field_schema(name).unwrap_or_default() {
            let flag = format!("--{}", f.name.replace('_', "-"));
            let d = if f.optional {
                "optional".to_string()
            } else {
                default_text(f.derived, f.default)
            };
            let _ = writeln!(out, "  {flag:<20} {d:<36} {}", f.doc);
        }
    }
    out
}

fn default_text(derived: bool, default: Option<&str>) -> String {
    if derived {
        "derived unless given".to_string()
    } else {
        match default {
            Some("") => "default empty".to_string(),
            Some(d) => format!("default {d}"),
            None => "required".to_string(),
        }
    }
}
