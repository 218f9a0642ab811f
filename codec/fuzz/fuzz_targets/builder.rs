//! The builder (`erldist_codec::build`; the target is `builder`, as cargo
//! forbids a binary named `build`) on arbitrary forms. The first byte picks a message
//! type from `catalog()`; then each of its fields, derived ones included, is
//! given a value by a selector byte: absent, its default or example, a
//! number (decimal, hex, over the field's range), one of its choices or
//! flag names, or arbitrary text from the input; and sometimes a field the
//! type does not have. Then `build` (which explains each overridden
//! derived field), `encode`, `explain_override` of every derived field, `check_value`/`canonical_value` of every value, and
//! `decode_built` of the rest of the input as this type and as an unknown
//! one. Asserts no panic; `build`'s bytes are `encode`'s; a built frame is
//! the bytes built; complete frames' leaf spans tile them.
#![no_main]

use erldist_codec::build::{
    build, canonical_value, catalog, check_value, decode_built, encode, explain_override,
    parse_number, Fields, Kind, MessageType,
};
use erldist_codec::span::check_tiling;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (a, b) = self.0.split_at(n.min(self.0.len()));
        self.0 = b;
        a
    }
    fn text(&mut self) -> String {
        let n = usize::from(self.byte());
        String::from_utf8_lossy(self.bytes(n)).into_owned()
    }
    fn number(&mut self, width: usize) -> u64 {
        let mut v = 0u64;
        for &b in self.bytes(width.min(8)) {
            v = (v << 8) | u64::from(b);
        }
        v
    }
}

fn check_frame(f: &erldist_codec::report::Frame) {
    if f.status.is_complete() {
        if let Err(e) = check_tiling(&f.spans, f.offset, f.bytes.len()) {
            panic!("{} does not tile: {e}", f.type_name);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input(data);
    static TYPES: OnceLock<Vec<MessageType>> = OnceLock::new();
    let types = TYPES.get_or_init(catalog);
    let t = &types[usize::from(inp.byte()) % types.len()];
    let mut fields = Fields::new();
    for f in &t.fields {
        let sel = inp.byte();
        let value = match sel % 10 {
            0 => continue,
            1 => f.default.clone().or(f.example.map(str::to_string)),
            2 => f.example.map(str::to_string),
            3 => {
                let width = match &f.kind {
                    Kind::Uint { bytes, .. }
                    | Kind::Enum { bytes, .. }
                    | Kind::Flags { bytes, .. } => usize::from(*bytes).max(1),
                    _ => 2,
                };
                Some(inp.number(width).to_string())
            }
            4 => Some(format!("0x{:x}", inp.number(usize::from(sel >> 4) + 1))),
            5 => match &f.kind {
                Kind::Enum { choices, .. } if !choices.is_empty() => {
                    let c = &choices[usize::from(inp.byte()) % choices.len()];
                    Some(match sel >> 4 {
                        0 => c.meaning.clone(),
                        1 => c.letter.map(String::from).unwrap_or_default(),
                        _ => c.value.clone(),
                    })
                }
                Kind::Flags { bits, .. } if !bits.is_empty() => {
                    let n = usize::from(inp.byte() % 6);
                    let names: Vec<&str> = (0..n)
                        .map(|_| bits[usize::from(inp.byte()) % bits.len()].name)
                        .collect();
                    Some(names.join(if sel & 16 != 0 { "," } else { " | " }))
                }
                Kind::Text { suggestions } if !suggestions.is_empty() => {
                    Some(suggestions[usize::from(inp.byte()) % suggestions.len()].to_string())
                }
                _ => Some(String::new()),
            },
            _ => Some(inp.text()),
        };
        if let Some(v) = value {
            // Each value's check on its own.
            let _ = check_value(f, &v);
            let _ = canonical_value(f, &v);
            let _ = parse_number(&v);
            fields.insert(f.name.to_string(), v);
        }
    }
    if inp.byte() & 7 == 0 {
        let k = inp.text();
        let v = inp.text();
        fields.insert(k, v);
    }
    let encoded = encode(t.name, &fields);
    match build(t.name, &fields) {
        Ok(b) => {
            assert_eq!(
                encoded.as_ref().ok(),
                Some(&b.bytes),
                "build's bytes are encode's"
            );
            assert_eq!(b.frame.offset, 0);
            check_frame(&b.frame);
            for c in &b.consequences {
                std::hint::black_box(c.notes.len());
            }
        }
        Err(e) => {
            std::hint::black_box(e.to_string());
        }
    }
    // The rest of the input as bytes received.
    let rest = inp.0;
    let frame = decode_built(t.name, rest);
    check_frame(&frame);
    for f in t.fields.iter().filter(|f| f.derived.is_some()) {
        let _ = explain_override(t.name, &fields, f.name, &frame);
    }
    let _ = decode_built("NO_SUCH_TYPE", rest);
    let _ = explain_override("NO_SUCH_TYPE", &fields, "x", &frame);
});
