//! The worked examples of the "Learn" tab: each is a short explanation and
//! the builder or decoder state that shows it.

use crate::url::{BuildQuery, DecodeQuery, Route, Tab};

/// One worked example.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GalleryItem {
    /// Stable id (`?example=<id>`, element ids).
    pub id: &'static str,
    /// Card title.
    pub title: &'static str,
    /// What it shows and why it matters.
    pub text: &'static str,
    /// Opens the builder on this message and these fields.
    pub build: Option<(&'static str, &'static [(&'static str, &'static str)])>,
    /// Opens the decoder on this input.
    pub decode: Option<&'static str>,
}

impl GalleryItem {
    /// The route that opens it.
    pub fn route(&self) -> Route {
        let mut r = Route {
            example: self.id.to_string(),
            ..Route::default()
        };
        if let Some((message, fields)) = self.build {
            r.tab = Tab::Build;
            r.build = BuildQuery {
                message: message.to_string(),
                fields: fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            };
        } else {
            r.tab = Tab::Decode;
            r.decode = DecodeQuery {
                input: self.decode.unwrap_or_default().to_string(),
                ..DecodeQuery::default()
            };
        }
        r
    }
}

/// The examples, in the order the tab shows them.
pub const GALLERY: &[GalleryItem] = &[
    GalleryItem {
        id: "first-mistake",
        title: "The classic first mistake: digits as text",
        text: "Writing the ASCII text 1209506770554node0 to epmd instead of bytes. epmd reads \
               the first two characters '1' '2' as a 2-byte length (0x3132 = 12594) and waits \
               for 12594 more bytes that never come.",
        build: None,
        decode: Some("31 32 30 39 35 30 36 37 37 30 35 35 34 6e 6f 64 65 30"),
    },
    GalleryItem {
        id: "alive2-req",
        title: "ALIVE2_REQ, field by field",
        text: "A node registers its name and port with epmd: 2-byte length prefix, tag 120, \
               then fixed-width big-endian fields.",
        build: Some(("ALIVE2_REQ", &[("port", "9506"), ("name", "node")])),
        decode: None,
    },
];
