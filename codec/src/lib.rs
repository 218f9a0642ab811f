//! # erldist-codec
//!
//! A sans-IO codec for the Erlang distribution protocol that explains every
//! byte. One decode pass yields typed values *and* a span tree (field name,
//! byte range, value, one-line meaning); the playground, the `erldist` CLI and
//! its JSON output are all renderers of that tree.
//!
//! No I/O, no clock, no randomness: it builds for `wasm32-unknown-unknown` and
//! the host alike.
//!
//! ```
//! use erldist_codec::{decode_text, DecodeOptions};
//! let report = decode_text("00 01 6e", &DecodeOptions::default());
//! assert_eq!(report.format, "hex");
//! assert_eq!(report.frames[0].type_name, "NAMES_REQ");
//! ```
#![warn(missing_docs)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod build;
pub mod capture;
pub mod conn;
pub mod dist;
pub mod epmd;
pub mod etf;
pub mod export;
pub mod handshake;
pub mod hex;
pub mod input;
pub mod lint;
pub mod live;
mod reader;
pub mod report;
pub mod session;
pub mod span;

pub use reader::{DecodeError, Incomplete};
pub use report::{
    decode_bytes, decode_term_bytes, decode_term_text, decode_text, DecodeOptions, DirectionChoice,
    FormatChoice, Frame, Report, Source, TermReport,
};
pub use span::{Span, Value};
