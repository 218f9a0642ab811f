//! The distribution headers (SPEC §5.3, §5.4): `131, 68` (normal),
//! `131, 69` (first fragment) and `131, 70` (continuation fragment).
//!
//! ```text
//! 131 68 N [FlagBytes] [AtomCacheRefs]
//! 131 69 SequenceId:u64 FragmentId:u64 N [FlagBytes] [AtomCacheRefs]
//! 131 70 SequenceId:u64 FragmentId:u64
//! ```
//!
//! FlagBytes (`N/2 + 1` bytes, absent when N = 0) hold one nibble per ref
//! (nibble i in byte i/2, the low half for even i): bit 3 NewCacheEntryFlag,
//! bits 2..0 SegmentIndex; nibble N holds the header flags (bit 0
//! LongAtoms). A new ref is `InternalSegmentIndex, Length (u8, u16 with
//! LongAtoms), AtomText`; an old ref is `InternalSegmentIndex` alone.
//!
//! ```
//! use erldist_codec::dist::{AtomRef, DistHeader};
//! let h = DistHeader::normal(vec![AtomRef::new_entry(2011, "b@vm")]);
//! assert_eq!(h.encode().unwrap(), [131, 68, 1, 0x0f, 0xdb, 4, b'b', b'@', b'v', b'm']);
//! ```

use super::atom_cache::{slot, split_slot, AtomCache};
use crate::epmd::{EncodeError, Note};
use crate::reader::{RResult, Reader};
use crate::span::{Span, Value};

/// 131: the version byte in front of a header (and of pass-through terms).
pub const VERSION_MAGIC: u8 = 131;
/// 68 `D`: the normal distribution header.
pub const DIST_HEADER: u8 = 68;
/// 69 `E`: the header of the first fragment.
pub const DIST_FRAG_HEADER: u8 = 69;
/// 70 `F`: the header of a continuation fragment.
pub const DIST_FRAG_CONT: u8 = 70;
/// 112 `p`: the pass-through byte (no header).
pub const PASS_THROUGH: u8 = 112;

/// Which header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderKind {
    /// `131, 68`: a whole message.
    Normal,
    /// `131, 69`: the first fragment of a message.
    FragmentStart,
    /// `131, 70`: a continuation fragment.
    FragmentCont,
}

impl HeaderKind {
    /// The kind byte (68, 69, 70).
    pub fn byte(self) -> u8 {
        match self {
            HeaderKind::Normal => DIST_HEADER,
            HeaderKind::FragmentStart => DIST_FRAG_HEADER,
            HeaderKind::FragmentCont => DIST_FRAG_CONT,
        }
    }

    /// The spec's name: `DIST_HEADER`, `DIST_FRAG_HEADER`, `DIST_FRAG_CONT`.
    pub fn name(self) -> &'static str {
        match self {
            HeaderKind::Normal => "DIST_HEADER",
            HeaderKind::FragmentStart => "DIST_FRAG_HEADER",
            HeaderKind::FragmentCont => "DIST_FRAG_CONT",
        }
    }

    /// The kind of a byte after 131, if it is a header byte.
    pub fn from_byte(b: u8) -> Option<HeaderKind> {
        match b {
            DIST_HEADER => Some(HeaderKind::Normal),
            DIST_FRAG_HEADER => Some(HeaderKind::FragmentStart),
            DIST_FRAG_CONT => Some(HeaderKind::FragmentCont),
            _ => None,
        }
    }
}

/// One atom-cache ref of a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtomRef {
    /// True for a new entry (NewCacheEntryFlag set: the text follows).
    pub new: bool,
    /// SegmentIndex (0..7).
    pub segment_index: u8,
    /// InternalSegmentIndex (0..255).
    pub internal_segment_index: u8,
    /// The atom: the text sent for a new entry, the cache's for an old one
    /// (`None` when the receiver's cache slot was empty).
    pub atom: Option<String>,
}

impl AtomRef {
    /// A new entry putting `atom` into `slot` (0..2047).
    pub fn new_entry(slot: usize, atom: &str) -> AtomRef {
        let (segment_index, internal_segment_index) = split_slot(slot);
        AtomRef {
            new: true,
            segment_index,
            internal_segment_index,
            atom: Some(atom.to_string()),
        }
    }

    /// An old entry reading `slot`, which holds `atom`.
    pub fn old_entry(slot: usize, atom: &str) -> AtomRef {
        AtomRef {
            new: false,
            ..AtomRef::new_entry(slot, atom)
        }
    }

    /// The cache slot: SegmentIndex · 256 + InternalSegmentIndex.
    pub fn slot(&self) -> usize {
        slot(self.segment_index, self.internal_segment_index)
    }

    fn nibble(&self) -> u8 {
        (if self.new { 8 } else { 0 }) | (self.segment_index & 7)
    }
}

/// A decoded (or built) distribution header, lossless.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistHeader {
    /// Which header.
    pub kind: HeaderKind,
    /// SequenceId of a fragment header.
    pub sequence_id: Option<u64>,
    /// FragmentId of a fragment header (counts down to 1).
    pub fragment_id: Option<u64>,
    /// The atom-cache refs (none for a continuation).
    pub refs: Vec<AtomRef>,
    /// The LongAtoms header flag: atom lengths are u16.
    pub long_atoms: bool,
    /// Bits 3..1 of the header-flags nibble as sent (unused: 0).
    pub unused_flag_bits: u8,
    /// The high nibble of the last flag byte when N is even (unused: 0).
    pub padding_nibble: u8,
}

impl DistHeader {
    /// A `131, 68` header with these refs; LongAtoms when a new atom needs it.
    pub fn normal(refs: Vec<AtomRef>) -> DistHeader {
        let long_atoms = refs
            .iter()
            .any(|r| r.new && r.atom.as_ref().is_some_and(|a| a.len() > 255));
        DistHeader {
            kind: HeaderKind::Normal,
            sequence_id: None,
            fragment_id: None,
            refs,
            long_atoms,
            unused_flag_bits: 0,
            padding_nibble: 0,
        }
    }

    /// The atom names of the refs, by ref index (for ATOM_CACHE_REF).
    pub fn atom_names(&self) -> Vec<Option<String>> {
        self.refs.iter().map(|r| r.atom.clone()).collect()
    }

    /// The flag bytes (empty when there are no refs).
    pub fn flag_bytes(&self) -> Vec<u8> {
        let n = self.refs.len();
        if n == 0 {
            return Vec::new();
        }
        let mut nibbles: Vec<u8> = self.refs.iter().map(AtomRef::nibble).collect();
        nibbles.push((self.unused_flag_bits & 0x0e) | u8::from(self.long_atoms));
        if nibbles.len() % 2 == 1 {
            nibbles.push(self.padding_nibble & 0x0f);
        }
        nibbles
            .chunks(2)
            .map(|p| match p {
                [lo, hi] => (hi << 4) | (lo & 0x0f),
                [lo] => *lo & 0x0f,
                _ => 0,
            })
            .collect()
    }

    /// The header's bytes.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = vec![VERSION_MAGIC, self.kind.byte()];
        if self.kind != HeaderKind::Normal {
            out.extend_from_slice(&self.sequence_id.unwrap_or(0).to_be_bytes());
            out.extend_from_slice(&self.fragment_id.unwrap_or(1).to_be_bytes());
        }
        if self.kind == HeaderKind::FragmentCont {
            return Ok(out);
        }
        let n = u8::try_from(self.refs.len()).map_err(|_| EncodeError {
            field: "atom_cache_refs".into(),
            message: format!("{} refs: a header holds at most 255", self.refs.len()),
        })?;
        out.push(n);
        out.extend_from_slice(&self.flag_bytes());
        for (i, r) in self.refs.iter().enumerate() {
            out.push(r.internal_segment_index);
            if !r.new {
                continue;
            }
            let text = r.atom.as_deref().unwrap_or("").as_bytes();
            let field = || format!("ref[{i}].length");
            if self.long_atoms {
                let len = u16::try_from(text.len()).map_err(|_| EncodeError {
                    field: field(),
                    message: format!("{} bytes do not fit a u16 length", text.len()),
                })?;
                out.extend_from_slice(&len.to_be_bytes());
            } else {
                let len = u8::try_from(text.len()).map_err(|_| EncodeError {
                    field: field(),
                    message: format!(
                        "{} bytes do not fit a u8 length (set LongAtoms)",
                        text.len()
                    ),
                })?;
                out.push(len);
            }
            out.extend_from_slice(text);
        }
        Ok(out)
    }
}

/// What reading a header found besides its fields.
#[derive(Debug, Default)]
pub(crate) struct HeaderRead {
    /// Input: an old ref to an empty slot is a note, not an error (the
    /// decoder joined the connection late).
    pub lenient: bool,
    pub header: Option<DistHeader>,
    pub notes: Vec<Note>,
    /// New refs to store in the receiver's cache: (slot, atom).
    pub updates: Vec<(usize, String)>,
}

fn kind_meaning(kind: HeaderKind) -> &'static str {
    match kind {
        HeaderKind::Normal => {
            "68 = DIST_HEADER: normal distribution header, atom-cache refs follow"
        }
        HeaderKind::FragmentStart => {
            "69 = DIST_FRAG_HEADER: first fragment of a fragmented message"
        }
        HeaderKind::FragmentCont => "70 = DIST_FRAG_CONT: continuation fragment of a message",
    }
}

fn nibble_text(i: usize, n: usize, nib: u8) -> String {
    if i < n {
        let age = if nib & 8 != 0 { "new" } else { "old" };
        format!("ref {i} {age}, segment {}", nib & 7)
    } else if i == n {
        let mut s = format!(
            "header flags: LongAtoms {}",
            if nib & 1 != 0 {
                "set (u16 atom lengths)"
            } else {
                "0"
            }
        );
        if nib & 0x0e != 0 {
            s.push_str(&format!(", unused bits 0x{:x} set", nib & 0x0e));
        }
        s
    } else {
        "padding".to_string()
    }
}

fn nibble_value(i: usize, n: usize, nib: u8) -> Value {
    if i < n {
        Value::Record(vec![
            ("ref".into(), Value::UInt(u64::try_from(i).unwrap_or(0))),
            (
                "entry".into(),
                Value::Text(if nib & 8 != 0 { "new" } else { "old" }.into()),
            ),
            ("segment_index".into(), Value::UInt(u64::from(nib & 7))),
        ])
    } else if i == n {
        Value::Record(vec![
            ("long_atoms".into(), Value::UInt(u64::from(nib & 1))),
            ("unused".into(), Value::UInt(u64::from(nib >> 1))),
        ])
    } else {
        Value::Record(vec![("padding".into(), Value::UInt(u64::from(nib)))])
    }
}

/// Reads a header (after the caller checked that 131 and a header byte
/// are there) into `r`'s spans, flat; the caller groups them.
pub(crate) fn read_header(
    r: &mut Reader<'_>,
    cache: &AtomCache,
    out: &mut HeaderRead,
) -> RResult<()> {
    r.u8("version_magic", |_| {
        "131 = version magic: a distribution header follows".to_string()
    })?;
    let kind_at = r.offset();
    let kb = r.u8("kind", |b| {
        HeaderKind::from_byte(b).map_or_else(
            || format!("{b}: not a header kind"),
            |k| kind_meaning(k).to_string(),
        )
    })?;
    let Some(kind) = HeaderKind::from_byte(kb) else {
        return Err(r.invalid(
            kind_at,
            "kind",
            format!("{kb} after 131: a header is 68, 69 or 70"),
        ));
    };
    let mut header = DistHeader {
        kind,
        sequence_id: None,
        fragment_id: None,
        refs: Vec::new(),
        long_atoms: false,
        unused_flag_bits: 0,
        padding_nibble: 0,
    };
    if kind != HeaderKind::Normal {
        let seq = read_u64(r, "sequence_id", |v| {
            format!("SequenceId {v} (0x{v:016x}): identifies the sender's fragment sequence")
        })?;
        let frag_at = r.offset();
        let frag = read_u64(r, "fragment_id", |v| {
            format!("FragmentId {v}: fragments left including this one (counts down to 1)")
        })?;
        if frag == 0 {
            return Err(r.invalid(
                frag_at,
                "fragment_id",
                "FragmentId 0: fragments count down to 1, an OTP receiver kills the connection",
            ));
        }
        header.sequence_id = Some(seq);
        header.fragment_id = Some(frag);
        if kind == HeaderKind::FragmentCont {
            out.header = Some(header);
            return Ok(());
        }
    }
    let n = usize::from(r.u8("atom_cache_refs", |n| {
        if n == 0 {
            "NumberOfAtomCacheRefs 0: no atom-cache refs, no flag bytes".to_string()
        } else {
            format!("NumberOfAtomCacheRefs {n}: atoms listed in this header")
        }
    })?);
    if n == 0 {
        out.header = Some(header);
        return Ok(());
    }
    // Flag bytes: n/2 + 1, one leaf each, in a `flag_bytes` group.
    let fb_count = n / 2 + 1;
    let fb_at = r.offset();
    let mark = r.spans.len();
    let mut nibbles = Vec::with_capacity(fb_count * 2);
    let mut res = Ok(());
    for j in 0..fb_count {
        let field = format!("flag_byte[{j}]");
        let start = r.offset();
        let b = match r.take(1, &field) {
            Ok([b]) => *b,
            Ok(_) => 0,
            Err(e) => {
                res = Err(e);
                break;
            }
        };
        let (lo, hi) = (b & 0x0f, b >> 4);
        let (i0, i1) = (2 * j, 2 * j + 1);
        let meaning = format!(
            "0x{b:02x}: low nibble 0x{lo:x} = {}; high nibble 0x{hi:x} = {}",
            nibble_text(i0, n, lo),
            nibble_text(i1, n, hi)
        );
        let value = Value::List(vec![nibble_value(i0, n, lo), nibble_value(i1, n, hi)]);
        r.push(&field, start, value, meaning);
        nibbles.push(lo);
        nibbles.push(hi);
    }
    group(r, mark, "flag_bytes", fb_at, Value::Null, {
        let nb = fb_count;
        format!("FlagBytes: {nb} byte(s), one nibble per ref and the header-flags nibble {n}")
    });
    res?;
    let flags_nibble = nibbles.get(n).copied().unwrap_or(0);
    header.long_atoms = flags_nibble & 1 != 0;
    header.unused_flag_bits = flags_nibble & 0x0e;
    if n % 2 == 0 {
        header.padding_nibble = nibbles.get(n + 1).copied().unwrap_or(0);
    }
    if header.unused_flag_bits != 0 {
        out.notes.push(Note {
            offset: fb_at + n / 2,
            field: r.path("flag_bytes"),
            message: format!(
                "unused header-flag bits 0x{:x} are set (OTP sends 0 and ignores them)",
                header.unused_flag_bits
            ),
        });
    }
    if header.padding_nibble != 0 {
        out.notes.push(Note {
            offset: fb_at + n / 2,
            field: r.path("flag_bytes"),
            message: format!(
                "the unused high nibble of the last flag byte is 0x{:x} (OTP sends 0)",
                header.padding_nibble
            ),
        });
    }
    let mut any_long = false;
    for i in 0..n {
        let nib = nibbles.get(i).copied().unwrap_or(0);
        let new = nib & 8 != 0;
        let seg = nib & 7;
        let start = r.offset();
        let mark = r.spans.len();
        let res = read_ref(r, cache, out, i, new, seg, header.long_atoms);
        let (meaning, value) = match &res {
            Ok(a) if a.atom.is_none() => (
                format!(
                    "ref {i}: old entry, slot {} is empty: the frame that filled it was not seen",
                    a.slot()
                ),
                Value::Null,
            ),
            Ok(a) => {
                let s = a.slot();
                let name = a.atom.clone().unwrap_or_default();
                any_long |= new && name.len() > 255;
                let m = if new {
                    format!(
                        "ref {i}: new entry, slot {s} (segment {seg} · 256 + {}) := {}",
                        a.internal_segment_index,
                        quote_atom(&name)
                    )
                } else {
                    format!(
                        "ref {i}: old entry, slot {s} (segment {seg} · 256 + {}) = {} from the cache",
                        a.internal_segment_index,
                        quote_atom(&name)
                    )
                };
                (m, Value::Text(name))
            }
            Err(_) => (format!("ref {i} (incomplete or invalid)"), Value::Null),
        };
        group(r, mark, &format!("ref[{i}]"), start, value, meaning);
        header.refs.push(res?);
    }
    if header.long_atoms && !any_long {
        out.notes.push(Note {
            offset: fb_at + n / 2,
            field: r.path("flag_bytes"),
            message: "LongAtoms is set although no new atom is over 255 bytes (valid; OTP sets \
                      it only when needed)"
                .into(),
        });
    }
    out.header = Some(header);
    Ok(())
}

fn read_ref(
    r: &mut Reader<'_>,
    cache: &AtomCache,
    out: &mut HeaderRead,
    i: usize,
    new: bool,
    seg: u8,
    long_atoms: bool,
) -> RResult<AtomRef> {
    let field = format!("ref[{i}].internal_segment_index");
    let at = r.offset();
    let ix = r.u8(&field, |v| {
        format!(
            "InternalSegmentIndex {v}: slot {seg} · 256 + {v} = {}",
            slot(seg, v)
        )
    })?;
    let s = slot(seg, ix);
    if !new {
        // Refs are applied in order: an earlier new ref of this header counts.
        let name = out
            .updates
            .iter()
            .rev()
            .find(|(us, _)| *us == s)
            .map(|(_, a)| a.as_str())
            .or_else(|| cache.get(s));
        let Some(name) = name else {
            if out.lenient {
                out.notes.push(Note {
                    offset: at,
                    field: r.path(&field),
                    message: format!(
                        "ref {i} is an old entry for slot {s}, which is empty: the frame that \
                         filled it was not seen (an OTP receiver with an empty slot kills the \
                         connection)"
                    ),
                });
                return Ok(AtomRef {
                    new,
                    segment_index: seg,
                    internal_segment_index: ix,
                    atom: None,
                });
            }
            return Err(r.invalid(
                at,
                &field,
                format!(
                    "ref {i} is an old entry for slot {s}, which is empty in this direction's \
                     atom cache: an OTP receiver kills the connection"
                ),
            ));
        };
        return Ok(AtomRef {
            new,
            segment_index: seg,
            internal_segment_index: ix,
            atom: Some(name.to_string()),
        });
    }
    let len_field = format!("ref[{i}].length");
    let len = if long_atoms {
        usize::from(r.u16(&len_field, |v| {
            format!("atom length {v} bytes (u16: LongAtoms)")
        })?)
    } else {
        usize::from(r.u8(&len_field, |v| format!("atom length {v} bytes"))?)
    };
    let text_field = format!("ref[{i}].atom_text");
    let text_at = r.offset();
    let bytes = r.text(len, &text_field, |_| {
        format!("the atom's text (UTF-8), stored in slot {s}")
    })?;
    let name = match std::str::from_utf8(bytes) {
        Ok(t) => t.to_string(),
        Err(e) => {
            return Err(r.invalid(
                text_at,
                &text_field,
                format!(
                "not UTF-8 ({e}): an OTP receiver cannot create the atom and kills the connection"
            ),
            ))
        }
    };
    let chars = name.chars().count();
    if chars > 255 {
        out.notes.push(Note {
            offset: text_at,
            field: r.path(&text_field),
            message: format!(
                "{chars} characters: atoms hold at most 255, an OTP receiver kills the connection"
            ),
        });
    }
    out.updates.push((s, name.clone()));
    Ok(AtomRef {
        new,
        segment_index: seg,
        internal_segment_index: ix,
        atom: Some(name),
    })
}

/// Reads a u64 field with its leaf.
pub(crate) fn read_u64(
    r: &mut Reader<'_>,
    field: &str,
    meaning: impl FnOnce(u64) -> String,
) -> RResult<u64> {
    let start = r.offset();
    let b = r.take(8, field)?;
    let v = <[u8; 8]>::try_from(b).map_or(0, u64::from_be_bytes);
    r.push(field, start, Value::UInt(v), meaning(v));
    Ok(v)
}

/// Moves the spans recorded since `mark` into a group span.
pub(crate) fn group(
    r: &mut Reader<'_>,
    mark: usize,
    field: &str,
    start: usize,
    value: Value,
    meaning: String,
) {
    let mut children = r.spans.split_off(mark.min(r.spans.len()));
    if children.is_empty() {
        return;
    }
    // Children read as `ref[2].length` (for error paths) are named `length`.
    let prefix = format!("{field}.");
    for c in &mut children {
        if let Some(rest) = c.field.strip_prefix(prefix.as_str()) {
            c.field = rest.to_string().into();
        }
    }
    let end = children.last().map_or(start, Span::end);
    r.spans.push(Span {
        field: field.to_string().into(),
        offset: start,
        length: end.saturating_sub(start),
        value,
        meaning: meaning.into(),
        children,
    });
}

/// An atom as Erlang writes it (quoted when needed).
pub(crate) fn quote_atom(name: &str) -> String {
    if crate::etf::text::atom_needs_quotes(name) {
        format!("'{}'", name.replace('\\', "\\\\").replace('\'', "\\'"))
    } else {
        name.to_string()
    }
}
