//! `M:F(Args)` as a user types it, read into a module, a function and an
//! argument list (the arguments with [`crate::etf::text::parse`]).

use crate::etf::text::parse;
use crate::etf::Term;
use std::fmt;

/// A function call: `Module:Function(Args...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The module atom's text.
    pub module: String,
    /// The function atom's text.
    pub function: String,
    /// The arguments.
    pub args: Vec<Term>,
}

/// Why a call text could not be read: where (byte offset into the text)
/// and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    /// Byte offset into the text.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for CallError {}

fn err(offset: usize, message: impl Into<String>) -> CallError {
    CallError {
        offset,
        message: message.into(),
    }
}

/// Reads an atom (bare `lists`, or quoted `'my mod'`) at `pos`; returns its
/// text and the position after it.
fn atom_at(text: &str, pos: usize, what: &str) -> Result<(String, usize), CallError> {
    let rest = text.get(pos..).unwrap_or("");
    let skipped = rest.len() - rest.trim_start().len();
    let start = pos + skipped;
    let rest = rest.trim_start();
    let len = if rest.starts_with('\'') {
        // Up to the closing quote, backslash escapes skipped.
        let mut escaped = false;
        let mut end = None;
        for (i, c) in rest.char_indices().skip(1) {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '\'' => {
                    end = Some(i + 1);
                    break;
                }
                _ => {}
            }
        }
        end.ok_or_else(|| err(start, format!("the {what}'s quote is not closed")))?
    } else {
        rest.char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '@'))
            .map_or(rest.len(), |(i, _)| i)
    };
    let token = rest.get(..len).unwrap_or("");
    if token.is_empty() {
        return Err(err(start, format!("expected the {what} (an atom)")));
    }
    match parse(token) {
        Ok(Term::Atom(a)) => Ok((a.text(), start + len)),
        _ => Err(err(
            start,
            format!("{token:?} is not an atom: the {what} must be one (quote it: 'My mod')"),
        )),
    }
}

/// Reads `Module:Function(Arg, ...)` (an optional trailing `.`), e.g.
/// `lists:reverse([1,2,3])` or `erlang:node()`.
///
/// ```
/// use erldist_codec::live::parse_call;
/// use erldist_codec::etf::text::to_erlang;
/// let c = parse_call("lists:reverse([1,2,3]).").unwrap();
/// assert_eq!((c.module.as_str(), c.function.as_str()), ("lists", "reverse"));
/// assert_eq!(c.args.iter().map(to_erlang).collect::<Vec<_>>(), ["[1,2,3]"]);
/// assert_eq!(parse_call("erlang:node(").unwrap_err().to_string(), "at byte 12: the argument list is not closed: expected `)`");
/// ```
pub fn parse_call(text: &str) -> Result<Call, CallError> {
    let (module, pos) = atom_at(text, 0, "module")?;
    let rest = text.get(pos..).unwrap_or("");
    let colon = pos + (rest.len() - rest.trim_start().len());
    if !text.get(colon..).unwrap_or("").starts_with(':') {
        return Err(err(
            colon,
            "expected `:` after the module (Module:Function(Args))",
        ));
    }
    let (function, pos) = atom_at(text, colon + 1, "function")?;
    let rest = text.get(pos..).unwrap_or("");
    let open = pos + (rest.len() - rest.trim_start().len());
    if !text.get(open..).unwrap_or("").starts_with('(') {
        return Err(err(open, "expected `(` after the function name"));
    }
    // The end: `)` then maybe `.` and blanks.
    let mut body = text.trim_end();
    if let Some(b) = body.strip_suffix('.') {
        body = b.trim_end();
    }
    if body.len() <= open || !body.ends_with(')') {
        return Err(err(
            body.len().max(open + 1),
            "the argument list is not closed: expected `)`",
        ));
    }
    let inner = text.get(open + 1..body.len() - 1).unwrap_or("");
    let args = if inner.trim().is_empty() {
        Vec::new()
    } else {
        match parse(&format!("[{inner}]")) {
            Ok(Term::List { elems, .. }) => elems,
            Ok(Term::String(bytes)) => bytes.into_iter().map(Term::SmallInteger).collect(),
            Ok(Term::Nil) => Vec::new(),
            Ok(_) => return Err(err(open + 1, "the arguments are not a list of terms")),
            Err(e) => {
                // Offsets in `[inner]` are one past those in the text.
                let at = (open + e.offset).min(text.len());
                return Err(err(at, format!("in the arguments: {}", e.message)));
            }
        }
    };
    Ok(Call {
        module,
        function,
        args,
    })
}

impl Call {
    /// `module:function(arg, ...)` as Erlang text.
    pub fn text(&self) -> String {
        let atom = |s: &str| crate::etf::text::to_erlang(&Term::atom(s));
        let args: Vec<String> = self.args.iter().map(crate::etf::text::to_erlang).collect();
        format!(
            "{}:{}({})",
            atom(&self.module),
            atom(&self.function),
            args.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::etf::text::to_erlang;

    #[test]
    fn calls_and_errors() {
        let c = parse_call("  erlang:node() ").unwrap();
        assert_eq!(c.module, "erlang");
        assert!(c.args.is_empty());
        let c = parse_call("'my mod':f(a, {b, \"c\"}, 1.5)").unwrap();
        assert_eq!(c.module, "my mod");
        assert_eq!(
            c.args.iter().map(to_erlang).collect::<Vec<_>>(),
            ["a", "{b,\"c\"}", "1.5"]
        );
        assert_eq!(c.text(), "'my mod':f(a, {b,\"c\"}, 1.5)");
        // Integer arguments that happen to be character codes stay integers.
        let c = parse_call("lists:seq(1, 3)").unwrap();
        assert_eq!(c.args.iter().map(to_erlang).collect::<Vec<_>>(), ["1", "3"]);
        assert_eq!(parse_call("erlang").unwrap_err().offset, 6);
        assert_eq!(parse_call("erlang:").unwrap_err().offset, 7);
        assert_eq!(parse_call("erlang:node").unwrap_err().offset, 11);
        assert_eq!(parse_call("Mod:f()").unwrap_err().offset, 0);
        let e = parse_call("m:f([1,)").unwrap_err();
        assert!(e.message.starts_with("in the arguments"), "{e}");
        assert_eq!(e.offset, 7, "{e}");
        assert!(parse_call("").is_err());
        assert!(parse_call("'m:f()").is_err());
    }
}
