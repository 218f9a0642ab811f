//! The JavaScript API, for documentation pages that embed the codec:
//!
//! ```js
//! import init, { decode, encode } from "./erldist-playground.js";
//! await init();
//! decode("00 01 6e").frames[0].type; // "NAMES_REQ"
//! ```
//!
//! Results are plain objects in the shape of the JSON contract
//! (docs/json-contract.md). See www/api-example.html.

use erldist_codec::{decode_text, DecodeOptions};
use serde::Serialize;
use wasm_bindgen::prelude::*;

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsError> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()))
}

/// Decodes `input` (any text format the playground reads: hex, an epmd
/// log, xxd, a byte-array literal, base64...) and returns the report as a
/// plain object: `{format, frames: [{type, offset, bytes, spans, ...}], ...}`.
#[wasm_bindgen]
pub fn decode(input: &str) -> Result<JsValue, JsError> {
    to_js(&decode_text(input, &DecodeOptions::default()))
}
