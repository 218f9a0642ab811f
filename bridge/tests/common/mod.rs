//! Shared by the bridge's live tests.
// Each test crate that includes this module uses only part of it.
#![allow(dead_code)]

pub mod procs;
pub mod ws;
