//! Building connected-phase frames: ticks, pass-through, normal headers
//! (without or with an atom cache) and fragments; what the live mode and
//! the builder send. Every frame decodes back, with
//! [`ConnectedDecoder`](super::ConnectedDecoder), to the same terms.
//!
//! ```
//! use erldist_codec::dist::{encode_message, encode_tick, EncodeMode, SenderAtomCache};
//! use erldist_codec::etf::text::parse;
//! assert_eq!(encode_tick(), [0, 0, 0, 0]);
//! let control = parse("{22, #Pid<'b@vm'.85.0;c=1795527700>, #Pid<'py@vm'.1.0;c=305419896>}").unwrap();
//! let msg = parse("{echo, hello, 'b@vm'}").unwrap();
//! let mut cache = SenderAtomCache::new();
//! let first = encode_message(&control, Some(&msg), EncodeMode::HeaderCached(&mut cache)).unwrap();
//! let again = encode_message(&control, Some(&msg), EncodeMode::HeaderCached(&mut cache)).unwrap();
//! assert!(again.len() < first.len()); // old refs: no atom texts the second time
//! ```

use super::atom_cache::SenderAtomCache;
use super::header::{AtomRef, DistHeader, HeaderKind, PASS_THROUGH, VERSION_MAGIC};
use crate::epmd::EncodeError;
use crate::etf::{Atom, AtomEnc, Term};
use std::collections::BTreeMap;

/// How to frame a message.
#[derive(Debug)]
pub enum EncodeMode<'a> {
    /// `112, 131, Control, [131, Payload]`: when neither DIST_HDR_ATOM_CACHE
    /// nor FRAGMENTS is negotiated. Atoms inline.
    PassThrough,
    /// `131, 68, 0, Control, [Payload]`: a header without atom-cache refs,
    /// atoms inline (what OTP sends while a connection is still pending).
    Header,
    /// `131, 68, N, ...`: atoms through the atom cache; new refs the first
    /// time an atom is sent (or after another took its slot), old refs
    /// afterwards. The cache is this direction's sender state.
    HeaderCached(&'a mut SenderAtomCache),
}

/// A message ready to go on the wire: the header (none for pass-through)
/// and the terms as they are encoded (atoms as ATOM_CACHE_REFs where the
/// header lists them).
#[derive(Debug, Clone, PartialEq)]
pub struct MessageParts {
    /// The header, `None` for pass-through.
    pub header: Option<DistHeader>,
    /// The control term as encoded.
    pub control: Term,
    /// The payload term as encoded.
    pub payload: Option<Term>,
}

impl MessageParts {
    /// Splits a message into header and terms for `mode` (updating the
    /// sender cache for [`EncodeMode::HeaderCached`]).
    pub fn new(
        control: &Term,
        payload: Option<&Term>,
        mode: EncodeMode<'_>,
    ) -> Result<MessageParts, EncodeError> {
        match mode {
            EncodeMode::PassThrough | EncodeMode::Header => {
                let map = BTreeMap::new();
                let control = with_refs(control, &map)?;
                let payload = payload.map(|p| with_refs(p, &map)).transpose()?;
                let header = match mode {
                    EncodeMode::Header => Some(DistHeader::normal(Vec::new())),
                    _ => None,
                };
                Ok(MessageParts {
                    header,
                    control,
                    payload,
                })
            }
            EncodeMode::HeaderCached(cache) => {
                let mut index: BTreeMap<String, u8> = BTreeMap::new();
                let mut used_slots: BTreeMap<usize, ()> = BTreeMap::new();
                let mut refs = Vec::new();
                let mut err = None;
                let mut visit = |a: &Atom| {
                    let Some(name) = &a.name else {
                        err.get_or_insert_with(|| unresolved(a));
                        return;
                    };
                    if index.contains_key(name) || refs.len() >= 255 {
                        return;
                    }
                    let s = SenderAtomCache::slot_of(name);
                    // Another atom of this message has the slot: inline.
                    if used_slots.insert(s, ()).is_some() {
                        return;
                    }
                    let i = u8::try_from(refs.len()).unwrap_or(u8::MAX);
                    index.insert(name.clone(), i);
                    refs.push(if cache.lookup(name) == Some(s) {
                        AtomRef::old_entry(s, name)
                    } else {
                        AtomRef::new_entry(s, name)
                    });
                };
                for_each_atom(control, &mut visit);
                if let Some(p) = payload {
                    for_each_atom(p, &mut visit);
                }
                if let Some(e) = err {
                    return Err(e);
                }
                let control = with_refs(control, &index)?;
                let payload = payload.map(|p| with_refs(p, &index)).transpose()?;
                for r in refs.iter().filter(|r| r.new) {
                    if let Some(a) = &r.atom {
                        cache.insert(r.slot(), a);
                    }
                }
                Ok(MessageParts {
                    header: Some(DistHeader::normal(refs)),
                    control,
                    payload,
                })
            }
        }
    }

    /// The frame body (without the length prefix).
    pub fn body(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        match &self.header {
            Some(h) => {
                out.extend_from_slice(&h.encode()?);
                self.control.encode_into(&mut out, 0)?;
                if let Some(p) = &self.payload {
                    p.encode_into(&mut out, 0)?;
                }
            }
            None => {
                out.push(PASS_THROUGH);
                out.push(VERSION_MAGIC);
                self.control.encode_into(&mut out, 0)?;
                if let Some(p) = &self.payload {
                    out.push(VERSION_MAGIC);
                    p.encode_into(&mut out, 0)?;
                }
            }
        }
        Ok(out)
    }
}

fn unresolved(a: &Atom) -> EncodeError {
    let i = match a.enc {
        AtomEnc::CacheRef(i) => i,
        _ => 0,
    };
    EncodeError {
        field: "atom".into(),
        message: format!("ATOM_CACHE_REF {i} has no name: it cannot be sent"),
    }
}

/// A frame: the u32 length prefix and the body.
pub fn frame_body(body: &[u8]) -> Result<Vec<u8>, EncodeError> {
    let len = u32::try_from(body.len()).map_err(|_| EncodeError {
        field: "length_prefix".into(),
        message: format!("{} bytes do not fit the 4-byte length", body.len()),
    })?;
    let mut out = Vec::with_capacity(body.len().saturating_add(4));
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(body);
    Ok(out)
}

/// A tick: `00 00 00 00`.
pub fn encode_tick() -> Vec<u8> {
    vec![0; 4]
}

/// One framed message (length prefix included). The terms keep their
/// encodings, except atoms: through the cache with
/// [`EncodeMode::HeaderCached`] (ATOM_CACHE_REF), inline otherwise
/// (an ATOM_CACHE_REF given in a term is written as SMALL_ATOM_UTF8_EXT).
pub fn encode_message(
    control: &Term,
    payload: Option<&Term>,
    mode: EncodeMode<'_>,
) -> Result<Vec<u8>, EncodeError> {
    frame_body(&MessageParts::new(control, payload, mode)?.body()?)
}

/// A message as OTP fragments it (SPEC §5.4): when the control message
/// and payload are over `fragment_size` bytes, a `131, 69` first frame
/// (the header with the atom-cache refs, the control message and the start
/// of the payload) and `131, 70` continuations, FragmentId counting down to
/// 1; otherwise one `131, 68` frame. OTP's `fragment_size` is 65 536. The
/// control message always goes whole into the first fragment. Pass-through
/// cannot be fragmented.
pub fn encode_fragments(
    control: &Term,
    payload: Option<&Term>,
    mode: EncodeMode<'_>,
    sequence_id: u64,
    fragment_size: usize,
) -> Result<Vec<Vec<u8>>, EncodeError> {
    let err = |m: &str| EncodeError {
        field: "fragments".into(),
        message: m.into(),
    };
    if matches!(mode, EncodeMode::PassThrough) {
        return Err(err("pass-through messages cannot be fragmented"));
    }
    if fragment_size == 0 {
        return Err(err("the fragment size must be at least 1"));
    }
    let parts = MessageParts::new(control, payload, mode)?;
    let Some(header) = parts.header.clone() else {
        return Err(err("no header"));
    };
    let mut data = parts.control.encode()?;
    let control_len = data.len();
    if let Some(p) = &parts.payload {
        p.encode_into(&mut data, 0)?;
    }
    let first = fragment_size.max(control_len);
    if data.len() <= first {
        return Ok(vec![frame_body(&parts.body()?)?]);
    }
    let mut chunks: Vec<&[u8]> = Vec::new();
    let (head, mut rest) = data.split_at(first.min(data.len()));
    chunks.push(head);
    while !rest.is_empty() {
        let (c, r) = rest.split_at(fragment_size.min(rest.len()));
        chunks.push(c);
        rest = r;
    }
    let total = u64::try_from(chunks.len()).map_err(|_| err("too many fragments"))?;
    let mut frames = Vec::with_capacity(chunks.len());
    for (k, chunk) in chunks.iter().enumerate() {
        let left = total - u64::try_from(k).map_err(|_| err("too many fragments"))?;
        let h = if k == 0 {
            DistHeader {
                kind: HeaderKind::FragmentStart,
                sequence_id: Some(sequence_id),
                fragment_id: Some(left),
                ..header.clone()
            }
        } else {
            DistHeader {
                kind: HeaderKind::FragmentCont,
                sequence_id: Some(sequence_id),
                fragment_id: Some(left),
                refs: Vec::new(),
                long_atoms: false,
                unused_flag_bits: 0,
                padding_nibble: 0,
            }
        };
        let mut body = h.encode()?;
        body.extend_from_slice(chunk);
        frames.push(frame_body(&body)?);
    }
    Ok(frames)
}

/// Calls `f` for every atom of `t` in wire order (not inside COMPRESSED or
/// LOCAL_EXT, whose bytes are kept as they are). Iterative.
fn for_each_atom(t: &Term, f: &mut impl FnMut(&Atom)) {
    let mut stack = vec![t];
    while let Some(t) = stack.pop() {
        match t {
            Term::Atom(a) => f(a),
            Term::Compressed { .. } | Term::Local { .. } => {}
            _ => stack.extend(t.children().into_iter().rev()),
        }
    }
}

/// A copy of `t` with the atoms in `index` as ATOM_CACHE_REFs and other
/// ATOM_CACHE_REFs inline (SMALL_ATOM_UTF8_EXT / ATOM_UTF8_EXT).
fn with_refs(t: &Term, index: &BTreeMap<String, u8>) -> Result<Term, EncodeError> {
    let mut out = t.clone();
    let mut err = None;
    let mut stack: Vec<&mut Term> = vec![&mut out];
    while let Some(t) = stack.pop() {
        match t {
            Term::Atom(a) => match a.name.as_ref().and_then(|n| index.get(n)) {
                Some(i) => a.enc = AtomEnc::CacheRef(*i),
                None => {
                    if let AtomEnc::CacheRef(_) = a.enc {
                        match &a.name {
                            Some(n) => *a = Atom::utf8(n),
                            None => {
                                err.get_or_insert_with(|| unresolved(a));
                            }
                        }
                    }
                }
            },
            Term::Pid(p) => stack.push(&mut p.node),
            Term::Port(p) => stack.push(&mut p.node),
            Term::Ref(r) => stack.push(&mut r.node),
            Term::Tuple { elems, .. } => stack.extend(elems.iter_mut()),
            Term::List { elems, tail } => {
                stack.extend(elems.iter_mut());
                stack.push(tail);
            }
            Term::Map(pairs) => {
                for (k, v) in pairs.iter_mut() {
                    stack.push(k);
                    stack.push(v);
                }
            }
            Term::Export {
                module,
                function,
                arity,
            } => {
                stack.push(module);
                stack.push(function);
                stack.push(arity);
            }
            Term::NewFun(f) => {
                let f = &mut **f;
                stack.push(&mut f.module);
                stack.push(&mut f.old_index);
                stack.push(&mut f.old_uniq);
                stack.push(&mut f.pid);
                stack.extend(f.free.iter_mut());
            }
            Term::OldFun(f) => {
                let f = &mut **f;
                stack.push(&mut f.pid);
                stack.push(&mut f.module);
                stack.push(&mut f.index);
                stack.push(&mut f.uniq);
                stack.extend(f.free.iter_mut());
            }
            _ => {}
        }
    }
    match err {
        Some(e) => Err(e),
        None => Ok(out),
    }
}
