//! The builder's schema of the control messages: for each operation its
//! tuple elements as fields (Erlang term text each, parsed with
//! [`etf::text::parse`](crate::etf::text::parse)) and `message` for the
//! payload. The operation code is the derived field `op`: computed from the
//! type unless given, so a user can build a deliberately wrong message.
//!
//! ```
//! use erldist_codec::dist::{encode_control_fields, Fields};
//! let mut f = Fields::new();
//! f.insert("from_pid".into(), "#Pid<'a@h'.9.0;c=1>".into());
//! f.insert("to_name".into(), "rex".into());
//! f.insert("message".into(), "{ping, 1}".into());
//! let bytes = encode_control_fields("REG_SEND", &f).unwrap();
//! assert_eq!(&bytes[4..9], &[131, 68, 0, 104, 4]); // header, {6, ...
//! assert_eq!(encode_control_fields("TICK", &Fields::new()).unwrap(), [0, 0, 0, 0]);
//! ```

use super::control::{ControlOp, OPS};
use super::encode::{encode_message, encode_tick, EncodeMode};
use crate::epmd::EncodeError;
pub use crate::epmd::Fields;
use crate::etf::text::parse;
use crate::etf::Term;
use serde::Serialize;

/// One field of a control message's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FieldInfo {
    /// snake_case name, as in spans and [`FrameDecoded::fields`](crate::conn::FrameDecoded::fields).
    pub name: &'static str,
    /// Computed unless given (`op`).
    pub derived: bool,
    /// Left out of the tuple unless given (ALTACT_SIG_SEND's `token`).
    pub optional: bool,
    /// Default Erlang text when not given (`None`: required).
    pub default: Option<&'static str>,
    /// What the field is.
    pub doc: &'static str,
}

/// Every message type the builder offers: `TICK` and each control
/// operation by its spec name.
pub fn message_types() -> Vec<&'static str> {
    std::iter::once("TICK")
        .chain(OPS.iter().map(|i| i.name))
        .collect()
}

fn default_of(name: &str) -> Option<&'static str> {
    match name {
        "unused" => Some("''"),
        "opt_list" => Some("[]"),
        "flags" => Some("0"),
        _ => None,
    }
}

/// The schema of a message type (spec name, case-insensitive): `op`
/// (derived), the tuple's other elements, and `message` when a payload
/// follows. `None` for an unknown type.
pub fn field_schema(type_name: &str) -> Option<Vec<FieldInfo>> {
    if type_name.trim().eq_ignore_ascii_case("TICK") {
        return Some(Vec::new());
    }
    let op = ControlOp::from_name(type_name)?;
    let info = op.info()?;
    let mut out: Vec<FieldInfo> = info
        .elements
        .iter()
        .enumerate()
        .map(|(i, name)| FieldInfo {
            name,
            derived: i == 0,
            optional: info.open_ended && i >= info.arity,
            default: default_of(name),
            doc: super::control::element_meaning(name),
        })
        .collect();
    if let Some(p) = info.payload {
        out.push(FieldInfo {
            name: "message",
            derived: false,
            optional: false,
            default: None,
            doc: match p {
                super::control::Payload::Message => "Message: the message sent",
                super::control::Payload::Reason => "Reason: the exit reason",
                super::control::Payload::ArgList => "ArgList: the arguments, a list",
                super::control::Payload::Data => {
                    "Data: the message, or the exit reason with the EXIT flag"
                }
            },
        });
    }
    Some(out)
}

fn bad(field: &str, message: impl Into<String>) -> EncodeError {
    EncodeError::new(field, message)
}

/// The control term and payload of a message type from field values
/// (defaults filled in, `op` from the type unless given). `TICK` has no
/// terms: an error here.
pub fn control_from_fields(
    type_name: &str,
    fields: &Fields,
) -> Result<(Term, Option<Term>), EncodeError> {
    let unknown = || {
        bad(
            "type",
            format!(
                "unknown control message {type_name:?}; one of {}",
                message_types().join(", ")
            ),
        )
    };
    let op = ControlOp::from_name(type_name).ok_or_else(unknown)?;
    let schema = field_schema(type_name).ok_or_else(unknown)?;
    EncodeError::check_known(op.name(), schema.iter().map(|i| i.name), fields)?;
    let term = |info: &FieldInfo| -> Result<Option<Term>, EncodeError> {
        let text = match (fields.get(info.name), info.default) {
            (Some(v), _) => v.as_str(),
            (None, _) if info.derived => return Ok(Some(Term::SmallInteger(op.0))),
            (None, _) if info.optional => return Ok(None),
            (None, Some(d)) => d,
            (None, None) => return Err(bad(info.name, "required: give an Erlang term")),
        };
        parse(text)
            .map(Some)
            .map_err(|e| bad(info.name, format!("{text:?}: {e}")))
    };
    let mut elems = Vec::new();
    let mut payload = None;
    for info in &schema {
        let t = term(info)?;
        if info.name == "message" {
            payload = t;
        } else if let Some(t) = t {
            elems.push(t);
        }
    }
    Ok((
        Term::Tuple {
            large: elems.len() > 255,
            elems,
        },
        payload,
    ))
}

/// Encodes a message type from field values as a framed `131, 68, 0`
/// message (atoms inline; see [`encode_message`] for the other modes), or
/// the tick for `TICK`.
pub fn encode_control_fields(type_name: &str, fields: &Fields) -> Result<Vec<u8>, EncodeError> {
    if type_name.trim().eq_ignore_ascii_case("TICK") {
        if let Some(k) = fields.keys().next() {
            return Err(bad(k, "TICK has no fields"));
        }
        return Ok(encode_tick());
    }
    let (control, payload) = control_from_fields(type_name, fields)?;
    encode_message(&control, payload.as_ref(), EncodeMode::Header)
}
