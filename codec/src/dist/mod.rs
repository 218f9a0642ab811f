//! The connected phase (SPEC §5): ticks, pass-through, distribution headers
//! with atom-cache refs, fragments and control messages.
