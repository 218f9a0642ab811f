//! The page, one function component per file. Each tab's page lives in its
//! own module and owns its state; the URL ([`crate::url`]) holds all of it.
//!
//! - [`app`]: header, tabs, theme, error banner, URL sync.
//! - [`frame`]: one frame's views (byte table, hex + ASCII, field tree,
//!   code export), shared by the builder, the decoder and live mode.
//! - [`builder`]: build any message field by field.
//! - [`decoder`]: paste or drop anything, the frame list, the sequence view.
//! - [`gallery`]: worked examples that open in the builder or decoder.
//! - [`live`]: talk to a real epmd and real nodes through the bridge.
//! - [`tap`]: watch and lint a program's traffic through the bridge's taps.

mod app;
pub mod builder;
pub mod decoder;
pub mod frame;
pub mod gallery;
pub mod live;
pub mod tap;

pub use app::App;
