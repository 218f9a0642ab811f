//! The atom cache of a connection direction (SPEC §5.3).
//!
//! A distribution header lists the atoms of its message as *refs*; each ref
//! names a cache slot, `SegmentIndex · 256 + InternalSegmentIndex`
//! (0..2047). A **new** ref carries the atom text and overwrites the slot in
//! the receiver's cache; an **old** ref carries only the slot and reads it.
//! Each direction of a connection has its own cache: [`AtomCache`] is the
//! receiver's, [`SenderAtomCache`] mirrors it on the sending side to decide
//! between new and old refs, as OTP's sender does.
//!
//! ```
//! use erldist_codec::dist::{AtomCache, SenderAtomCache};
//! let mut tx = SenderAtomCache::new();
//! let slot = SenderAtomCache::slot_of("hello");
//! assert!(slot < 2039);
//! assert_eq!(tx.lookup("hello"), None); // first use: a new ref
//! tx.insert(slot, "hello");
//! assert_eq!(tx.lookup("hello"), Some(slot)); // afterwards: old
//! let mut rx = AtomCache::new();
//! rx.insert(slot, "hello".into());
//! assert_eq!(rx.get(slot), Some("hello"));
//! ```

/// Slots in a connection's atom cache (`ERTS_ATOM_CACHE_SIZE`).
pub const ATOM_CACHE_SIZE: usize = 2048;

/// Slots OTP's sender uses: the atom's index modulo 2039 (a prime), so
/// slots 2039..2047 are never chosen by OTP (a receiver still accepts them).
pub const SENDER_SLOTS: usize = 2039;

/// A slot from a ref's SegmentIndex (0..7) and InternalSegmentIndex.
pub fn slot(segment_index: u8, internal_segment_index: u8) -> usize {
    usize::from(segment_index & 7) * 256 + usize::from(internal_segment_index)
}

/// A slot's SegmentIndex and InternalSegmentIndex (slot modulo 2048).
pub fn split_slot(slot: usize) -> (u8, u8) {
    let s = slot % ATOM_CACHE_SIZE;
    (
        u8::try_from(s / 256).unwrap_or(0),
        u8::try_from(s % 256).unwrap_or(0),
    )
}

/// The receiver's cache of one direction: 2048 slots, each empty or an atom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtomCache {
    slots: Vec<Option<String>>,
}

impl Default for AtomCache {
    fn default() -> AtomCache {
        AtomCache::new()
    }
}

impl AtomCache {
    /// An empty cache (as at the start of a connection).
    pub fn new() -> AtomCache {
        AtomCache {
            slots: vec![None; ATOM_CACHE_SIZE],
        }
    }

    /// The atom in `slot`, or `None` when the slot is empty (or out of range).
    pub fn get(&self, slot: usize) -> Option<&str> {
        self.slots.get(slot).and_then(|s| s.as_deref())
    }

    /// Puts `atom` into `slot` (a new ref), replacing what was there.
    /// Slots past 2047 are ignored.
    pub fn insert(&mut self, slot: usize, atom: String) {
        if let Some(s) = self.slots.get_mut(slot) {
            *s = Some(atom);
        }
    }

    /// How many slots hold an atom.
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    /// True when no slot holds an atom.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The sending side's view of the peer's cache: which atom it last sent as a
/// new ref in each slot.
///
/// OTP chooses the slot as the atom's index in the sending VM's atom table
/// modulo 2039. This codec has no atom table, so it takes a deterministic
/// hash of the atom's text instead: [`slot_of`](Self::slot_of) = 32-bit
/// FNV-1a of the UTF-8 bytes, modulo 2039. The effect on the wire is the
/// same kind of traffic: a new ref the first time an atom is sent (or after
/// another atom took its slot), an old ref afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderAtomCache {
    slots: Vec<Option<String>>,
}

impl Default for SenderAtomCache {
    fn default() -> SenderAtomCache {
        SenderAtomCache::new()
    }
}

impl SenderAtomCache {
    /// An empty cache (nothing sent yet).
    pub fn new() -> SenderAtomCache {
        SenderAtomCache {
            slots: vec![None; SENDER_SLOTS],
        }
    }

    /// The slot this codec uses for `atom`: FNV-1a (32-bit) of its UTF-8
    /// bytes modulo 2039.
    pub fn slot_of(atom: &str) -> usize {
        let mut h: u32 = 0x811c_9dc5;
        for b in atom.as_bytes() {
            h ^= u32::from(*b);
            h = h.wrapping_mul(0x0100_0193);
        }
        usize::try_from(h).unwrap_or(0) % SENDER_SLOTS
    }

    /// The slot when the peer already has `atom` there (an old ref will
    /// do), else `None` (a new ref is needed).
    pub fn lookup(&self, atom: &str) -> Option<usize> {
        let s = Self::slot_of(atom);
        match self.slots.get(s) {
            Some(Some(a)) if a == atom => Some(s),
            _ => None,
        }
    }

    /// Records that `atom` was sent as a new ref in `slot`.
    pub fn insert(&mut self, slot: usize, atom: &str) {
        if let Some(s) = self.slots.get_mut(slot) {
            *s = Some(atom.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_split_and_join() {
        assert_eq!(slot(7, 0xdb), 2011);
        assert_eq!(split_slot(2011), (7, 0xdb));
        assert_eq!(split_slot(632), (2, 0x78));
        let mut c = AtomCache::new();
        assert_eq!(c.get(2047), None);
        c.insert(2047, "x".into());
        c.insert(4000, "y".into());
        assert_eq!(c.get(2047), Some("x"));
        assert_eq!(c.len(), 1);
    }
}
