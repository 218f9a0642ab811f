//! The builder's state and what its form shows, from the codec's catalog
//! ([`erldist_codec::build`]): no per-message code here either.
//!
//! [`Form`] is what the user set: a message type, the texts of the fields
//! they touched and which derived fields they override. It comes from and
//! goes to the URL's [`BuildQuery`] (only values that differ from the
//! defaults, plus the overridden derived fields), and [`Form::view`] turns it
//! into one row per field (text, inline error, computed value) and, when
//! every field is valid, the built message.

use crate::url::BuildQuery;
use erldist_codec::build::{self, Built, Field, Kind, MessageType, Protocol, ValueError};
use erldist_codec::epmd::Fields;
use std::collections::{BTreeMap, BTreeSet};

/// The message the builder opens on.
pub const DEFAULT_MESSAGE: &str = "ALIVE2_REQ";

/// What the user set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// The message type's canonical name.
    pub message: &'static str,
    /// Texts of the fields the user set, by name (derived ones only when
    /// overridden).
    pub values: BTreeMap<String, String>,
    /// Derived fields the user overrides.
    pub overrides: BTreeSet<String>,
}

/// One message type in the picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickerGroup {
    /// `EPMD`, `Handshake`, `Connected phase`.
    pub label: &'static str,
    /// (name, doc) per type.
    pub types: Vec<(&'static str, String)>,
}

/// The picker's groups, in protocol order.
pub fn picker_groups() -> Vec<PickerGroup> {
    let cat = build::catalog();
    Protocol::ALL
        .iter()
        .map(|p| PickerGroup {
            label: p.label(),
            types: cat
                .iter()
                .filter(|t| t.protocol == *p)
                .map(|t| (t.name, t.doc.clone()))
                .collect(),
        })
        .collect()
}

/// One field as the form shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRow {
    /// The catalog's description.
    pub field: Field,
    /// The text in the input (the user's, else the default, else empty).
    pub text: String,
    /// The text is not a valid value (or a required value is missing).
    pub error: Option<ValueError>,
    /// For a derived field: the computed value (when the form is valid).
    pub computed: Option<String>,
    /// A derived field the user overrides.
    pub overridden: bool,
    /// For flags: the word the text stands for.
    pub flags_word: Option<u64>,
}

/// The form and, when every field is valid, the built message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormView {
    /// The message type.
    pub message: MessageType,
    /// One row per field, in wire order.
    pub rows: Vec<FieldRow>,
    /// The built message, or why there is none (the encoder's error).
    pub built: Result<Built, String>,
}

impl Default for Form {
    fn default() -> Form {
        Form::pick(DEFAULT_MESSAGE)
    }
}

/// The canonical name of a message type, or the default one.
fn canonical_name(name: &str) -> &'static str {
    build::message_type(name).map_or(DEFAULT_MESSAGE, |t| t.name)
}

impl Form {
    /// A fresh form for `message`: its required fields start from the
    /// catalog's examples (they count as set, so they are in the URL).
    pub fn pick(message: &str) -> Form {
        let message = canonical_name(message);
        let values = build::message_type(message)
            .map(|t| {
                t.fields
                    .iter()
                    .filter(|f| f.required)
                    .filter_map(|f| Some((f.name.to_string(), f.example?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        Form {
            message,
            values,
            overrides: BTreeSet::new(),
        }
    }

    /// The form a permalink describes: an empty message is the default
    /// form; otherwise exactly the fields given (a derived field given is
    /// overridden; unknown names are kept, and the encoder names them).
    pub fn from_query(q: &BuildQuery) -> Form {
        if q.message.trim().is_empty() {
            return Form::default();
        }
        let message = canonical_name(&q.message);
        let t = build::message_type(message);
        let mut form = Form {
            message,
            values: BTreeMap::new(),
            overrides: BTreeSet::new(),
        };
        for (k, v) in &q.fields {
            if t.as_ref()
                .and_then(|t| t.field(k))
                .is_some_and(|f| f.derived.is_some())
            {
                form.overrides.insert(k.clone());
            }
            form.values.insert(k.clone(), v.clone());
        }
        form
    }

    /// The permalink: the message and, in wire order, every value that
    /// differs from its default, and the overridden derived fields.
    pub fn to_query(&self) -> BuildQuery {
        let mut fields = Vec::new();
        if let Some(t) = build::message_type(self.message) {
            for f in &t.fields {
                let Some(v) = self.values.get(f.name) else {
                    continue;
                };
                if f.derived.is_some() {
                    if self.overrides.contains(f.name) {
                        fields.push((f.name.to_string(), v.clone()));
                    }
                    continue;
                }
                if !is_default(f, v) {
                    fields.push((f.name.to_string(), v.clone()));
                }
            }
            // Names the catalog does not know stay, so the error shows.
            for (k, v) in &self.values {
                if t.field(k).is_none() {
                    fields.push((k.clone(), v.clone()));
                }
            }
        }
        BuildQuery {
            message: self.message.to_string(),
            fields,
        }
    }

    /// Sets a field's text.
    pub fn set(&mut self, field: &str, text: String) {
        self.values.insert(field.to_string(), text);
    }

    /// Turns the override of a derived field on (starting from `computed`)
    /// or off.
    pub fn set_override(&mut self, field: &str, on: bool, computed: &str) {
        if on {
            self.overrides.insert(field.to_string());
            self.values
                .entry(field.to_string())
                .or_insert_with(|| computed.to_string());
        } else {
            self.overrides.remove(field);
            self.values.remove(field);
        }
    }

    /// The fields to encode: every set value but derived fields that are
    /// not overridden and empty optional ones.
    fn encode_fields(&self, t: &MessageType) -> Fields {
        self.values
            .iter()
            .filter(|(k, v)| match t.field(k) {
                Some(f) if f.derived.is_some() => self.overrides.contains(k.as_str()),
                Some(f) if f.optional || matches!(f.kind, Kind::Hex { .. }) => {
                    !v.trim().is_empty() || !f.optional
                }
                _ => true,
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The rows and the built message.
    pub fn view(&self) -> FormView {
        let t = build::message_type(self.message)
            .or_else(|| build::message_type(DEFAULT_MESSAGE))
            .unwrap_or_else(|| build::catalog().swap_remove(0));
        let mut rows: Vec<FieldRow> = t
            .fields
            .iter()
            .map(|f| {
                let overridden = f.derived.is_some() && self.overrides.contains(f.name);
                let text = self
                    .values
                    .get(f.name)
                    .cloned()
                    .or_else(|| f.default.clone())
                    .unwrap_or_default();
                let error = if f.derived.is_some() && !overridden {
                    None
                } else if text.trim().is_empty() && f.required {
                    Some(ValueError {
                        message: "required: give a value".into(),
                        offset: None,
                        line: None,
                        column: None,
                    })
                } else if text.trim().is_empty() && (f.optional || f.default.is_some()) {
                    None
                } else {
                    build::check_value(f, &text).err()
                };
                let flags_word = match f.kind {
                    Kind::Flags { .. } => build::canonical_value(f, &text)
                        .ok()
                        .and_then(|c| build::parse_number(&c)),
                    _ => None,
                };
                FieldRow {
                    field: f.clone(),
                    text,
                    error,
                    computed: None,
                    overridden,
                    flags_word,
                }
            })
            .collect();
        let built = match rows.iter().find(|r| r.error.is_some()) {
            Some(r) => Err(format!(
                "{}: {}",
                r.field.name,
                r.error.as_ref().map(|e| e.to_string()).unwrap_or_default()
            )),
            None => build::build(t.name, &self.encode_fields(&t)).map_err(|e| e.to_string()),
        };
        if let Ok(b) = &built {
            for d in &b.derived {
                if let Some(r) = rows.iter_mut().find(|r| r.field.name == d.name) {
                    r.computed = Some(d.computed.clone());
                    if !r.overridden {
                        r.text = d.computed.clone();
                    }
                }
            }
        }
        FormView {
            message: t,
            rows,
            built,
        }
    }
}

/// True when `text` means the field's default.
fn is_default(f: &Field, text: &str) -> bool {
    match &f.default {
        Some(d) => match (
            build::canonical_value(f, text),
            build::canonical_value(f, d),
        ) {
            (Ok(a), Ok(b)) => a == b,
            _ => text == d,
        },
        None => false,
    }
}

/// The flags word with `mask` set or cleared, as the field's text.
pub fn toggle_flag(word: u64, mask: u64, on: bool) -> String {
    let w = if on { word | mask } else { word & !mask };
    format!("{w:#x}")
}

/// Lowercase, space-separated hex (`00 11 78`).
pub fn spaced_hex(bytes: &[u8]) -> String {
    erldist_codec::hex::spaced(bytes)
}

/// For a term error: the line of `text` it is on and a caret under its
/// column.
pub fn caret_lines(text: &str, e: &ValueError) -> Option<(String, String)> {
    let line = text.lines().nth(e.line?.checked_sub(1)?).unwrap_or("");
    let col = e.column?.saturating_sub(1);
    Some((line.to_string(), format!("{}^", " ".repeat(col))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(message: &str, fields: &[(&str, &str)]) -> BuildQuery {
        BuildQuery {
            message: message.into(),
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn a_permalink_opens_exactly_that_and_goes_back_to_the_same_url() {
        let query = q("ALIVE2_REQ", &[("port", "9506"), ("name", "node")]);
        let form = Form::from_query(&query);
        let v = form.view();
        let built = v.built.as_ref().unwrap();
        assert_eq!(
            spaced_hex(&built.bytes),
            "00 11 78 25 22 4d 00 00 06 00 05 00 04 6e 6f 64 65 00 00"
        );
        assert_eq!(form.to_query(), query);
        // Derived fields show their computed values.
        let nlen = v.rows.iter().find(|r| r.field.name == "name_len").unwrap();
        assert_eq!((nlen.text.as_str(), nlen.overridden), ("4", false));
    }

    #[test]
    fn defaults_stay_out_of_the_url_and_overrides_go_in() {
        let mut form = Form::from_query(&q("alive2_req", &[("port", "9506"), ("name", "node")]));
        assert_eq!(form.message, "ALIVE2_REQ");
        form.set("node_type", "M".into()); // the default, spelled differently
        form.set("highest_version", "5".into());
        form.set_override("name_len", true, "4");
        form.set("name_len", "1".into());
        let back = form.to_query();
        assert_eq!(
            back,
            q(
                "ALIVE2_REQ",
                &[
                    ("port", "9506"),
                    ("highest_version", "5"),
                    ("name_len", "1"),
                    ("name", "node")
                ]
            )
        );
        assert_eq!(Form::from_query(&back).view().built, form.view().built);
        let b = form.view().built.unwrap();
        assert!(!b.frame.status.is_complete());
        assert_eq!(b.consequences[0].field, "name_len");
        form.set_override("name_len", false, "");
        assert!(form.view().built.unwrap().frame.status.is_complete());
    }

    #[test]
    fn invalid_fields_are_shown_inline_and_nothing_is_built() {
        let mut form = Form::pick("ALIVE2_REQ");
        form.set("port", "70000".into());
        let v = form.view();
        let port = v.rows.iter().find(|r| r.field.name == "port").unwrap();
        assert!(port
            .error
            .as_ref()
            .unwrap()
            .message
            .contains("out of range"));
        assert!(v.built.unwrap_err().starts_with("port:"));
        form.set("port", String::new());
        let v = form.view();
        assert!(v.rows[1].error.is_some(), "{:?}", v.rows[1]);

        let mut form = Form::pick("REG_SEND");
        assert!(form.view().built.is_ok());
        form.set("message", "{hello,\n ]".into());
        let v = form.view();
        let m = v.rows.iter().find(|r| r.field.name == "message").unwrap();
        let e = m.error.as_ref().unwrap();
        let (line, caret) = caret_lines(&m.text, e).unwrap();
        assert_eq!((line.as_str(), caret.as_str()), (" ]", " ^"));
        assert!(v.built.is_err());
    }

    #[test]
    fn every_catalog_type_starts_built() {
        for g in picker_groups() {
            assert!(!g.types.is_empty());
            for (name, _) in g.types {
                let v = Form::pick(name).view();
                let b = v.built.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(b.frame.status.is_complete(), "{name}");
            }
        }
    }

    #[test]
    fn flags_toggle_as_hex_words() {
        let mut form = Form::pick("SEND_NAME");
        let v = form.view();
        let flags = v.rows.iter().find(|r| r.field.name == "flags").unwrap();
        let w = flags.flags_word.unwrap();
        assert_eq!(w, 0x0D07DF7FBD);
        form.set("flags", toggle_flag(w, 1 << 1, true));
        assert_eq!(form.values["flags"], "0xd07df7fbf");
        assert_eq!(
            form.to_query().fields,
            vec![
                ("flags".to_string(), "0xd07df7fbf".to_string()),
                ("name".to_string(), "a@localhost".to_string())
            ]
        );
    }
}
