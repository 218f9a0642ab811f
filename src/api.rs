//! The JavaScript API, for documentation pages that embed the codec:
//!
//! ```js
//! import init, { decode, encode, build, messageTypes } from "./erldist-playground.js";
//! await init();
//! decode("00 01 6e").frames[0].type;                 // "NAMES_REQ"
//! encode("ALIVE2_REQ", { port: 9506, name: "node" }); // Uint8Array [0, 17, 120, ...]
//! build("ALIVE2_REQ", { port: 9506, name: "node", name_len: 1 }).consequences;
//! messageTypes().map((t) => t.name);                 // ["ALIVE2_REQ", ...]
//! ```
//!
//! Results are plain objects in the shape of the JSON contract
//! (docs/json-contract.md); errors are `Error`s whose message starts with
//! the field at fault (`port: 70000 is out of range 0..=65535`) and whose
//! `field` property names it. See www/api-example.html.

use erldist_codec::build;
use erldist_codec::epmd::{EncodeError, Fields};
use erldist_codec::{decode_text, DecodeOptions};
use serde::Serialize;
use wasm_bindgen::prelude::*;

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsError> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()))
}

/// A JS `Error` naming `field` (message `field: what`, property `field`).
fn field_error(field: &str, message: &str) -> JsValue {
    let e = js_sys::Error::new(&format!("{field}: {message}"));
    let _ = js_sys::Reflect::set(&e, &"field".into(), &field.into());
    e.into()
}

fn encode_error(e: EncodeError) -> JsValue {
    field_error(&e.field, &e.message)
}

/// A plain object of strings or numbers → field texts.
fn fields_of(obj: JsValue) -> Result<Fields, JsValue> {
    if obj.is_undefined() || obj.is_null() {
        return Ok(Fields::new());
    }
    if !obj.is_object() {
        return Err(field_error(
            "fields",
            "a plain object of strings or numbers, e.g. {port: 9506, name: \"node\"}",
        ));
    }
    let mut out = Fields::new();
    for entry in js_sys::Object::entries(&obj.into()).iter() {
        let pair = js_sys::Array::from(&entry);
        let k = pair.get(0).as_string().unwrap_or_default();
        let v = pair.get(1);
        let text = if let Some(s) = v.as_string() {
            s
        } else if let Some(n) = v.as_f64() {
            if n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_992.0 {
                format!("{n:.0}")
            } else {
                return Err(field_error(
                    &k,
                    &format!("{n} is not an unsigned integer (give big numbers as strings)"),
                ));
            }
        } else if let Some(b) = v.as_bool() {
            return Err(field_error(
                &k,
                &format!("{b} is neither a string nor a number"),
            ));
        } else {
            return Err(field_error(&k, "neither a string nor a number"));
        };
        out.insert(k, text);
    }
    Ok(out)
}

/// Decodes `input` (any text format the playground reads: hex, an epmd
/// log, xxd, a byte-array literal, base64...) and returns the report as a
/// plain object: `{format, frames: [{type, offset, bytes, spans, ...}], ...}`.
#[wasm_bindgen]
pub fn decode(input: &str) -> Result<JsValue, JsError> {
    to_js(&decode_text(input, &DecodeOptions::default()))
}

/// Encodes a message (`"ALIVE2_REQ"`, `"SEND_NAME"`, `"REG_SEND"`, ... see
/// [`message_types`]) from a plain object of field values, strings or
/// numbers (`{port: 9506, name: "node"}`; terms as Erlang text). Missing
/// fields take their defaults; derived fields (lengths, prefixes) are
/// computed unless given. Throws an `Error` naming the field.
#[wasm_bindgen]
pub fn encode(message: &str, fields: JsValue) -> Result<js_sys::Uint8Array, JsValue> {
    let f = fields_of(fields)?;
    let bytes = build::encode(message, &f).map_err(encode_error)?;
    Ok(js_sys::Uint8Array::from(bytes.as_slice()))
}

#[derive(Serialize)]
struct BuiltJs<'a> {
    hex: String,
    frame: &'a erldist_codec::Frame,
    derived: &'a [build::DerivedValue],
    consequences: &'a [build::Consequence],
}

/// Encodes like [`encode`] and returns what the builder shows:
/// `{hex, frame, derived: [{name, computed, given}], consequences: [{field,
/// notes}]}`, the frame decoded as its receiver reads it and, for each
/// overridden derived field, what the receiver makes of it.
#[wasm_bindgen]
pub fn build(message: &str, fields: JsValue) -> Result<JsValue, JsValue> {
    let f = fields_of(fields)?;
    let b = build::build(message, &f).map_err(encode_error)?;
    to_js(&BuiltJs {
        hex: erldist_codec::hex::spaced(&b.bytes),
        frame: &b.frame,
        derived: &b.derived,
        consequences: &b.consequences,
    })
    .map_err(JsValue::from)
}

/// The catalog: every message type with its protocol, sender and typed
/// fields (kind, range, choices, flag bits, default, derived, doc).
#[wasm_bindgen(js_name = messageTypes)]
pub fn message_types() -> Result<JsValue, JsError> {
    to_js(&build::catalog())
}
