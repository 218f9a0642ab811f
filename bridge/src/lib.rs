//! erldist-bridge: serves the built playground and relays websockets to the
//! configured epmd and to the nodes it has registered (issue 7), and taps
//! TCP connections for the page to watch (issue 8).
//!
//! The protocol-level decisions are pure functions in [`policy`] (with unit
//! tests); [`server`], [`relay`], [`lookup`] and [`tap`] do the I/O.

pub mod config;
pub mod log;
pub mod lookup;
pub mod policy;
pub mod relay;
pub mod server;
pub mod tap;

pub use config::Args;
pub use server::run;
