//! The node-to-node handshake (SPEC §3) and the capability flags (SPEC §4).
