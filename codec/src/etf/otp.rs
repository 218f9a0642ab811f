//! `term_to_binary` exactly as OTP 25 writes it, Erlang term order and
//! `=:=` on wire terms (SPEC.md §6.3).
//!
//! A [`Term`] keeps the encoding its bytes chose; [`term_to_binary`] forgets
//! it and re-chooses every encoding the way `erts` (OTP 25, erts 13.1) does:
//!
//! * integers: 0..255 SMALL_INTEGER_EXT, other i32 INTEGER_EXT, else
//!   SMALL_BIG_EXT / LARGE_BIG_EXT with the fewest digit bytes;
//! * floats: NEW_FLOAT_EXT; `minor_version` 0: FLOAT_EXT, C's `"%.20e"`
//!   text (exact decimal expansion rounded half-to-even) NUL padded to 31;
//! * atoms: `minor_version` 2 the UTF-8 forms (SMALL_ATOM_UTF8_EXT up to 255
//!   bytes, else ATOM_UTF8_EXT); 0 and 1 ATOM_EXT when every character is
//!   Latin-1, else the same UTF-8 forms;
//! * lists of 1..65535 integers 0..255 ending in `[]`: STRING_EXT (whatever
//!   mix of STRING_EXT / LIST_EXT / nested tails the input used); other lists
//!   one flat LIST_EXT; empty lists NIL_EXT;
//! * tuples by arity; binaries BINARY_EXT, bitstrings BIT_BINARY_EXT with
//!   the unused bits cleared; `fun M:F/A` EXPORT_EXT;
//! * pids NEW_PID_EXT, ports NEW_PORT_EXT (V4_PORT_EXT when the id needs more
//!   than 32 bits), references NEWER_REFERENCE_EXT, local funs NEW_FUN_EXT
//!   with the Size field recomputed;
//! * maps: up to 32 keys (a *flatmap*) in key order (Erlang term order, with
//!   integers before floats); more keys (a *HAMT*) in the order `erts` walks
//!   its hash trie, which comes from the VM-internal hash of each key
//!   (`make_internal_hash`, see [below](#large-maps)); `deterministic`
//!   sorts every map.
//!
//! `compressed` gives `131, 80, UncompressedSize, zlib stream` when that is
//! not longer than the plain encoding (erts gives zlib an output buffer of
//! UncompressedSize - 5 bytes), else the plain encoding. The zlib stream
//! comes from `flate2`'s pure-Rust backend (miniz_oxide), not from zlib:
//! it inflates to the same bytes and OTP reads it back, but its deflate
//! choices are not zlib's. Same header, same level byte pair (`78 9c` at
//! level 6); the compressed data matches zlib's only for small inputs (in
//! the OTP 25 corpus: 1 of the 38 terms OTP compresses). Where compression
//! does not pay off, both write the plain encoding, byte for byte.
//!
//! # Large maps
//!
//! A map with more than 32 keys lives in a hash array mapped trie keyed by
//! `make_internal_hash(Key, Salt)` (erts `utils.c`, Bob Jenkins' mix, start
//! value `Salt ^ 3432918353`; immediates are hashed as their raw 64-bit
//! word, so `[]` is `0x3B` and a small integer `I` is `I << 4 | 0xF`).
//! `term_to_binary` pushes each trie node's children on a stack, so pairs
//! come out with the 4-bit hash slices (lowest first) in *descending*
//! order; keys whose 32-bit hashes collide continue below level 8 with
//! `Salt = UINT32_HASH_2(1, 1, HCONST_22)` (depth 2: `(2, 1, ..)`, ...),
//! the hash erts once took of the cons `[Depth | Key]`. For numbers,
//! binaries, `[]` and tuples, lists and maps of those, the hash is a
//! function of the term and this module reproduces the order exactly.
//! Atoms, however, are hashed by their *index in the running VM's atom
//! table* (and pids, ports, references and funs by node pointers and
//! such): only that VM knows the order. [`term_to_binary`] then writes such
//! a map in sorted key order (what `deterministic` writes) — a valid
//! encoding of the same map that differs from OTP's only in pair order.
//! [`term_to_binary_with`] takes the atom indices when you know them (for
//! example from a node that printed the map), and then reproduces OTP's
//! order for atom keys too.
//!
//! # Equality and order
//!
//! [`same_term`] is `=:=` and [`compare`] is the term order of `<` / `==`
//! (`1 == 1.0`), both on what the bytes mean, not how they are written.
//! Like OTP 25 (not 27+), `0.0 =:= -0.0`.
//!
//! Everything here walks terms with explicit stacks: nesting costs heap,
//! not call stack.

use super::tags::VERSION_MAGIC;
use super::term::*;
use crate::epmd::EncodeError;
use num_bigint::{BigInt, BigUint, Sign};
use std::cmp::Ordering;
use std::io::Write;

/// The options of `term_to_binary/2` this module models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct T2bOptions {
    /// `{minor_version, N}`: 0 (floats as FLOAT_EXT text, Latin-1 atoms),
    /// 1 (NEW_FLOAT_EXT, Latin-1 atoms when possible; OTP 25's default),
    /// 2 (UTF-8 atoms; OTP 26's default).
    pub minor_version: u8,
    /// `{compressed, Level}`: zlib level 0..9 (`compressed` alone is 6;
    /// level 0 writes the plain encoding, as OTP does).
    pub compressed: Option<u32>,
    /// `deterministic`: every map in sorted key order.
    pub deterministic: bool,
}

impl Default for T2bOptions {
    /// `term_to_binary/1` of OTP 25: minor version 1, no compression.
    fn default() -> T2bOptions {
        T2bOptions {
            minor_version: 1,
            compressed: None,
            deterministic: false,
        }
    }
}

fn err(field: &str, message: impl Into<String>) -> EncodeError {
    EncodeError {
        field: field.to_string(),
        message: message.into(),
    }
}

/// `term_to_binary(T, Options)` as OTP 25 computes it, for a term given in
/// any encoding. Maps over 32 keys whose order depends on atom indices (or
/// pids, ports, references, funs) come out in sorted key order; see the
/// [module documentation](self#large-maps).
///
/// Errors for terms no Erlang node can hold: an unresolved ATOM_CACHE_REF,
/// a non-finite float, an atom over 255 characters, duplicate map keys, a
/// pid/port/reference whose node is not an atom, FUN_EXT (removed in OTP 23),
/// LOCAL_EXT (node-local, OTP 26+), fields out of range.
///
/// ```
/// use erldist_codec::etf::otp::{term_to_binary, T2bOptions};
/// use erldist_codec::etf::Term;
/// // "hi" written as LIST_EXT of INTEGER_EXTs; OTP writes STRING_EXT.
/// let t = Term::List { elems: vec![Term::Integer(104), Term::Integer(105)], tail: Box::new(Term::Nil) };
/// let b = term_to_binary(&t, &T2bOptions::default()).unwrap();
/// assert_eq!(b, [131, 107, 0, 2, b'h', b'i']);
/// ```
pub fn term_to_binary(t: &Term, o: &T2bOptions) -> Result<Vec<u8>, EncodeError> {
    term_to_binary_with(t, o, &|_| None)
}

/// [`term_to_binary`] with the atom table of the VM that would encode the
/// term: `atom_index(name)` is the atom's index (the Eterm is
/// `index << 6 | 0xB` on a 64-bit VM). With it, maps over 32 keys holding
/// atoms come out in that VM's order; `None` for an atom means "unknown"
/// (such maps are written sorted).
pub fn term_to_binary_with(
    t: &Term,
    o: &T2bOptions,
    atom_index: &dyn Fn(&str) -> Option<u64>,
) -> Result<Vec<u8>, EncodeError> {
    let level = match o.compressed {
        Some(l) if l > 9 => {
            return Err(err("compressed", format!("zlib level {l} is not 0..9")));
        }
        l => l.unwrap_or(0),
    };
    let canon = otp_term_with(t, o, atom_index)?;
    let plain = canon.encode();
    dismantle(canon);
    let plain = plain?;
    if level > 0 {
        let mut z = flate2::write::ZlibEncoder::new(
            Vec::with_capacity(plain.len() / 2 + 16),
            flate2::Compression::new(level),
        );
        let zlib = z
            .write_all(&plain)
            .and_then(|()| z.finish())
            .map_err(|e| err("compressed", e.to_string()))?;
        // erts gives zlib an output buffer of UncompressedSize - 5 bytes:
        // compressed wins when 6 + zlib <= 1 + plain.
        if zlib.len() + 5 <= plain.len() {
            let size = u32::try_from(plain.len())
                .map_err(|_| err("compressed", "the term is over 4 GiB"))?;
            let mut out = Vec::with_capacity(zlib.len() + 6);
            out.push(VERSION_MAGIC);
            out.push(super::tags::COMPRESSED);
            out.extend_from_slice(&size.to_be_bytes());
            out.extend_from_slice(&zlib);
            return Ok(out);
        }
    }
    let mut out = Vec::with_capacity(plain.len() + 1);
    out.push(VERSION_MAGIC);
    out.extend_from_slice(&plain);
    Ok(out)
}

/// The term as OTP 25 would encode it (without compression): every
/// encoding re-chosen, maps reordered; [`Term::encode_external`] of the
/// result is [`term_to_binary`]'s uncompressed output, and decoding that
/// gives its spans.
pub fn otp_term(t: &Term, o: &T2bOptions) -> Result<Term, EncodeError> {
    otp_term_with(t, o, &|_| None)
}

/// [`otp_term`] with the VM's atom indices (see [`term_to_binary_with`]).
pub fn otp_term_with(
    t: &Term,
    o: &T2bOptions,
    atom_index: &dyn Fn(&str) -> Option<u64>,
) -> Result<Term, EncodeError> {
    if o.minor_version > 2 {
        return Err(err(
            "minor_version",
            format!("{} is not 0, 1 or 2", o.minor_version),
        ));
    }
    let c = Canon {
        minor: o.minor_version,
        strict: true,
    };
    let (sorted, large_maps) = c.run(t)?;
    if o.deterministic || !large_maps {
        return Ok(sorted);
    }
    let r = hamt_reorder(&sorted, atom_index);
    dismantle(sorted);
    r
}

/// Erlang `=:=`: the same term, however each side is encoded (atoms by
/// name, STRING_EXT = LIST_EXT of the same integers, integers by value
/// whatever the tag, FLOAT_EXT = NEW_FLOAT_EXT of the same value, maps
/// whatever the pair order). `1 =:= 1.0` is false; `0.0 =:= -0.0` is true
/// (OTP 25).
pub fn same_term(a: &Term, b: &Term) -> bool {
    with_canonical(a, b, |a, b| cmp_terms(a, b, true) == Ordering::Equal).unwrap_or(false)
}

/// Erlang term order (`<`, `==`): number < atom < reference < fun < port <
/// pid < tuple < map < `[]` < list < bit string; integers and floats by
/// value (`1 == 1.0`); tuples by arity, then elements; maps by size, then
/// keys in key order (`=:=`-strict: integers before floats), then values;
/// lists and binaries lexicographically.
pub fn compare(a: &Term, b: &Term) -> Ordering {
    with_canonical(a, b, |a, b| cmp_terms(a, b, false)).unwrap_or(Ordering::Equal)
}

/// Runs `f` on the lenient canonical forms of `a` and `b` (sorted maps).
fn with_canonical<R>(a: &Term, b: &Term, f: impl Fn(&Term, &Term) -> R) -> Option<R> {
    let c = Canon::lenient();
    let a = c.run(a).ok()?.0;
    let b = match c.run(b) {
        Ok((b, _)) => b,
        Err(_) => {
            dismantle(a);
            return None;
        }
    };
    let r = f(&a, &b);
    dismantle(a);
    dismantle(b);
    Some(r)
}

// ---------------------------------------------------------------------------
// Canonical form: the term as OTP holds it, with OTP's encodings.

/// Maps with more keys than this are hash tries in erts (MAP_SMALL_MAP_LIMIT).
const SMALL_MAP_LIMIT: usize = 32;

/// STRING_EXT's limit.
const MAX_STRING_LEN: usize = 65535;

static NIL: Term = Term::Nil;

struct Canon {
    minor: u8,
    /// Reject what no node can hold (else keep it, for comparisons).
    strict: bool,
}

/// Pending work of the canonicalizer: visit a term, push a finished value,
/// or build a compound from the values on top of the value stack.
enum Work<'a> {
    Visit(&'a Term),
    Push(Term),
    Tuple(usize),
    Map(usize),
    List(usize),
    Pid(&'a Pid),
    Port(&'a Port),
    Ref(&'a Ref),
    Export,
    NewFun(&'a NewFun),
    OldFun(&'a OldFun),
}

fn pop(vals: &mut Vec<Term>) -> Result<Term, EncodeError> {
    vals.pop()
        .ok_or_else(|| err("term", "internal: value stack empty"))
}

fn pop_n(vals: &mut Vec<Term>, n: usize) -> Result<Vec<Term>, EncodeError> {
    let at = vals
        .len()
        .checked_sub(n)
        .ok_or_else(|| err("term", "internal: value stack short"))?;
    Ok(vals.split_off(at))
}

impl Canon {
    fn lenient() -> Canon {
        Canon {
            minor: 2,
            strict: false,
        }
    }

    /// The canonical term with every map in sorted key order, and whether
    /// any map has more than 32 keys.
    fn run(&self, t: &Term) -> Result<(Term, bool), EncodeError> {
        let mut vals: Vec<Term> = Vec::new();
        let r = self.run_on(t, &mut vals);
        vals.into_iter().for_each(dismantle);
        r
    }

    fn run_on(&self, t: &Term, vals: &mut Vec<Term>) -> Result<(Term, bool), EncodeError> {
        let mut work = vec![Work::Visit(t)];
        let mut large_maps = false;
        while let Some(w) = work.pop() {
            match w {
                Work::Visit(t) => self.visit(t, &mut work, vals)?,
                Work::Push(t) => vals.push(t),
                Work::Tuple(n) => {
                    let elems = pop_n(vals, n)?;
                    vals.push(Term::Tuple {
                        large: n > 255,
                        elems,
                    });
                }
                Work::Map(n) => {
                    let flat = pop_n(vals, n.saturating_mul(2))?;
                    let mut pairs = Vec::with_capacity(n);
                    let mut it = flat.into_iter();
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        pairs.push((k, v));
                    }
                    pairs.sort_by(|a, b| cmp_terms(&a.0, &b.0, true));
                    if self.strict {
                        for w in pairs.windows(2) {
                            if let [a, b] = w {
                                if cmp_terms(&a.0, &b.0, true) == Ordering::Equal {
                                    return Err(err("map", "duplicate key"));
                                }
                            }
                        }
                    }
                    large_maps |= pairs.len() > SMALL_MAP_LIMIT;
                    vals.push(Term::Map(pairs));
                }
                Work::List(n) => {
                    let tail = pop(vals)?;
                    let elems = pop_n(vals, n)?;
                    vals.push(build_list(elems, tail));
                }
                Work::Pid(p) => {
                    let node = self.node(pop(vals)?)?;
                    vals.push(Term::Pid(Pid {
                        new: true,
                        node: Box::new(node),
                        id: p.id,
                        serial: p.serial,
                        creation: p.creation,
                    }));
                }
                Work::Port(p) => {
                    let node = self.node(pop(vals)?)?;
                    vals.push(Term::Port(Port {
                        kind: if p.id > u64::from(u32::MAX) {
                            PortKind::V4Port
                        } else {
                            PortKind::NewPort
                        },
                        node: Box::new(node),
                        id: p.id,
                        creation: p.creation,
                    }));
                }
                Work::Ref(r) => {
                    let node = self.node(pop(vals)?)?;
                    if self.strict && !(1..=5).contains(&r.ids.len()) {
                        return Err(err("ids", "a reference has 1 to 5 id words"));
                    }
                    vals.push(Term::Ref(Ref {
                        kind: RefKind::NewerReference,
                        node: Box::new(node),
                        creation: r.creation,
                        ids: r.ids.clone(),
                    }));
                }
                Work::Export => {
                    let arity = pop(vals)?;
                    let function = pop(vals)?;
                    let module = pop(vals)?;
                    if self.strict {
                        if !matches!(module, Term::Atom(_)) || !matches!(function, Term::Atom(_)) {
                            return Err(err("export", "module and function must be atoms"));
                        }
                        if !matches!(arity, Term::SmallInteger(_)) {
                            return Err(err("arity", "the arity must be an integer 0..255"));
                        }
                    }
                    vals.push(Term::Export {
                        module: Box::new(module),
                        function: Box::new(function),
                        arity: Box::new(arity),
                    });
                }
                Work::NewFun(f) => {
                    let free = pop_n(vals, f.free.len())?;
                    let pid = pop(vals)?;
                    let old_uniq = pop(vals)?;
                    let old_index = pop(vals)?;
                    let module = pop(vals)?;
                    if self.strict {
                        if !matches!(module, Term::Atom(_)) {
                            return Err(err("module", "a fun's module must be an atom"));
                        }
                        if !matches!(pid, Term::Pid(_)) {
                            return Err(err("pid", "a fun's creator must be a pid"));
                        }
                        for (t, field) in [(&old_index, "old_index"), (&old_uniq, "old_uniq")] {
                            if !matches!(t, Term::SmallInteger(_) | Term::Integer(_)) {
                                return Err(err(field, "must be a small integer"));
                            }
                        }
                    }
                    // Size: from the Size field to the end of the fun.
                    let mut size: usize = 4 + 1 + 16 + 4 + 4;
                    for t in [&module, &old_index, &old_uniq, &pid]
                        .into_iter()
                        .chain(free.iter())
                    {
                        size = size.saturating_add(t.encode()?.len());
                    }
                    let size =
                        u32::try_from(size).map_err(|_| err("size", "the fun is over 4 GiB"))?;
                    vals.push(Term::NewFun(Box::new(NewFun {
                        size,
                        arity: f.arity,
                        uniq: f.uniq,
                        index: f.index,
                        module,
                        old_index,
                        old_uniq,
                        pid,
                        free,
                    })));
                }
                Work::OldFun(f) => {
                    let free = pop_n(vals, f.free.len())?;
                    let uniq = pop(vals)?;
                    let index = pop(vals)?;
                    let module = pop(vals)?;
                    let pid = pop(vals)?;
                    vals.push(Term::OldFun(Box::new(OldFun {
                        pid,
                        module,
                        index,
                        uniq,
                        free,
                    })));
                }
            }
        }
        let t = pop(vals)?;
        Ok((t, large_maps))
    }

    fn node(&self, t: Term) -> Result<Term, EncodeError> {
        if self.strict && !matches!(t, Term::Atom(_)) {
            return Err(err("node", "the node must be an atom"));
        }
        Ok(t)
    }

    fn visit<'a>(
        &self,
        t: &'a Term,
        work: &mut Vec<Work<'a>>,
        vals: &mut Vec<Term>,
    ) -> Result<(), EncodeError> {
        match t {
            Term::SmallInteger(_) | Term::Integer(_) | Term::Big { .. } => {
                vals.push(int_term(&int_value(t).unwrap_or_default()));
            }
            Term::Float(f) => vals.push(self.float(*f)?),
            Term::OldFloat(b) => match old_float_value(b) {
                Some(f) => vals.push(self.float(f)?),
                None if !self.strict => vals.push(Term::Float(0.0)),
                None => return Err(err("value", "FLOAT_EXT text is not a float")),
            },
            Term::Atom(a) => vals.push(self.atom(a)?),
            Term::Pid(p) => {
                work.push(Work::Pid(p));
                work.push(Work::Visit(&p.node));
            }
            Term::Port(p) => {
                work.push(Work::Port(p));
                work.push(Work::Visit(&p.node));
            }
            Term::Ref(r) => {
                work.push(Work::Ref(r));
                work.push(Work::Visit(&r.node));
            }
            Term::Tuple { elems, .. } => {
                work.push(Work::Tuple(elems.len()));
                work.extend(elems.iter().rev().map(Work::Visit));
            }
            Term::Map(pairs) => {
                work.push(Work::Map(pairs.len()));
                for (k, v) in pairs.iter().rev() {
                    work.push(Work::Visit(v));
                    work.push(Work::Visit(k));
                }
            }
            Term::Nil => vals.push(Term::Nil),
            Term::String(b) if b.len() <= MAX_STRING_LEN => vals.push(if b.is_empty() {
                Term::Nil
            } else {
                Term::String(b.clone())
            }),
            Term::String(_) | Term::List { .. } => {
                // Flatten: elements, then whatever list forms the tail
                // continues with, up to the first non-list tail.
                let mut items: Vec<Work<'a>> = Vec::new();
                let mut cur = t;
                let tail: Option<&'a Term> = loop {
                    match cur {
                        Term::List { elems, tail } => {
                            items.extend(elems.iter().map(Work::Visit));
                            cur = tail;
                        }
                        Term::String(b) => {
                            items.extend(b.iter().map(|&x| Work::Push(Term::SmallInteger(x))));
                            break None;
                        }
                        Term::Nil => break None,
                        Term::Compressed { term, .. } => cur = term,
                        other => break Some(other),
                    }
                };
                work.push(Work::List(items.len()));
                match tail {
                    Some(t) => work.push(Work::Visit(t)),
                    None => work.push(Work::Push(Term::Nil)),
                }
                work.extend(items.into_iter().rev());
            }
            Term::Binary(b) => vals.push(Term::Binary(b.clone())),
            Term::BitBinary { data, bits } => vals.push(bits_term(data, *bits)),
            Term::Export {
                module,
                function,
                arity,
            } => {
                work.push(Work::Export);
                work.push(Work::Visit(arity));
                work.push(Work::Visit(function));
                work.push(Work::Visit(module));
            }
            Term::NewFun(f) => {
                work.push(Work::NewFun(f));
                work.extend(f.free.iter().rev().map(Work::Visit));
                work.push(Work::Visit(&f.pid));
                work.push(Work::Visit(&f.old_uniq));
                work.push(Work::Visit(&f.old_index));
                work.push(Work::Visit(&f.module));
            }
            Term::OldFun(f) => {
                if self.strict {
                    return Err(err(
                        "fun",
                        "FUN_EXT (117) was removed in OTP 23: no node holds such a fun",
                    ));
                }
                work.push(Work::OldFun(f));
                work.extend(f.free.iter().rev().map(Work::Visit));
                work.push(Work::Visit(&f.uniq));
                work.push(Work::Visit(&f.index));
                work.push(Work::Visit(&f.module));
                work.push(Work::Visit(&f.pid));
            }
            Term::Compressed { term, .. } => work.push(Work::Visit(term)),
            Term::Local { term, .. } => {
                if self.strict {
                    return Err(err(
                        "local",
                        "LOCAL_EXT is node-local (OTP 26+): OTP 25 cannot read or write it",
                    ));
                }
                work.push(Work::Visit(term));
            }
        }
        Ok(())
    }

    fn float(&self, f: f64) -> Result<Term, EncodeError> {
        if !f.is_finite() && self.strict {
            return Err(err("value", format!("{f} is not a finite float")));
        }
        Ok(if self.minor == 0 && f.is_finite() {
            Term::OldFloat(float_ext_text(f))
        } else {
            Term::Float(f)
        })
    }

    fn atom(&self, a: &Atom) -> Result<Term, EncodeError> {
        let name = match &a.name {
            Some(n) => n.clone(),
            None if self.strict => {
                return Err(err(
                    "atom",
                    "an ATOM_CACHE_REF no cache resolved: the atom is unknown",
                ))
            }
            None => a.text(),
        };
        let chars = name.chars().count();
        if self.strict && chars > 255 {
            return Err(err(
                "atom",
                format!("{chars} characters: atoms have at most 255"),
            ));
        }
        let latin1 = name.chars().all(|c| u32::from(c) <= 0xFF);
        let enc = if self.minor < 2 && latin1 {
            AtomEnc::Atom
        } else if name.len() <= 255 {
            AtomEnc::SmallAtomUtf8
        } else {
            AtomEnc::AtomUtf8
        };
        Ok(Term::Atom(Atom {
            enc,
            name: Some(name),
        }))
    }
}

/// A flattened list: `elems` then `tail` (never itself a non-empty list).
fn build_list(elems: Vec<Term>, tail: Term) -> Term {
    if elems.is_empty() {
        return tail;
    }
    if matches!(tail, Term::Nil)
        && elems.len() <= MAX_STRING_LEN
        && elems.iter().all(|e| matches!(e, Term::SmallInteger(_)))
    {
        return Term::String(
            elems
                .iter()
                .map(|e| match e {
                    Term::SmallInteger(b) => *b,
                    _ => 0,
                })
                .collect(),
        );
    }
    Term::List {
        elems,
        tail: Box::new(tail),
    }
}

/// A bitstring as OTP writes it: BINARY_EXT when whole bytes, else
/// BIT_BINARY_EXT with the unused low bits of the last byte cleared.
fn bits_term(data: &[u8], bits: u8) -> Term {
    if data.is_empty() || bits == 0 || bits >= 8 {
        return Term::Binary(if bits == 0 { Vec::new() } else { data.to_vec() });
    }
    let mut d = data.to_vec();
    if let Some(last) = d.last_mut() {
        *last &= 0xFFu8 << (8 - bits);
    }
    Term::BitBinary { data: d, bits }
}

/// The value of an integer term, any encoding.
fn int_value(t: &Term) -> Option<BigInt> {
    match t {
        Term::SmallInteger(v) => Some(BigInt::from(*v)),
        Term::Integer(v) => Some(BigInt::from(*v)),
        Term::Big { sign, digits, .. } => Some(BigInt::from_bytes_le(
            if *sign != 0 { Sign::Minus } else { Sign::Plus },
            digits,
        )),
        _ => None,
    }
}

/// An integer as OTP encodes it.
fn int_term(v: &BigInt) -> Term {
    if let Ok(small) = u8::try_from(v) {
        return Term::SmallInteger(small);
    }
    if let Ok(i) = i32::try_from(v) {
        return Term::Integer(i);
    }
    let (sign, digits) = v.to_bytes_le();
    Term::Big {
        large: digits.len() > 255,
        sign: u8::from(sign == Sign::Minus),
        digits,
    }
}

/// The value of FLOAT_EXT text (up to the first NUL).
fn old_float_value(b: &[u8]) -> Option<f64> {
    let text = b.split(|&c| c == 0).next()?;
    let f: f64 = std::str::from_utf8(text).ok()?.trim().parse().ok()?;
    f.is_finite().then_some(f)
}

/// FLOAT_EXT's 31 bytes: C's `"%.20e"` (21 significant digits of the exact
/// binary value, ties to even, at least two exponent digits), NUL padded.
pub fn float_ext_text(f: f64) -> Vec<u8> {
    let mut s = String::with_capacity(31);
    if f.is_sign_negative() {
        s.push('-');
    }
    let bits = f.abs().to_bits();
    let exp_bits = (bits >> 52) & 0x7FF;
    let frac = bits & ((1u64 << 52) - 1);
    let (digits, exp10) = if exp_bits == 0 && frac == 0 {
        ("0".repeat(21), 0i64)
    } else {
        // value = m * 2^e exactly
        let (m, e) = if exp_bits == 0 {
            (frac, -1074i64)
        } else {
            (
                frac | (1u64 << 52),
                i64::try_from(exp_bits).unwrap_or(0) - 1075,
            )
        };
        // Exact decimal digits D and power k with value = D * 10^-k.
        let (d, k) = if e >= 0 {
            (BigUint::from(m) << usize::try_from(e).unwrap_or(0), 0i64)
        } else {
            let five = BigUint::from(5u32).pow(u32::try_from(-e).unwrap_or(0));
            (BigUint::from(m) * five, -e)
        };
        let all = d.to_string();
        let n = i64::try_from(all.len()).unwrap_or(0);
        let mut exp10 = n - 1 - k;
        let keep = 21usize;
        let (head, rest) = all.split_at(keep.min(all.len()));
        let mut head: Vec<u8> = head.bytes().collect();
        while head.len() < keep {
            head.push(b'0');
        }
        // Round half to even on the exact remainder.
        let mut rest_iter = rest.bytes();
        let first = rest_iter.next().unwrap_or(b'0');
        let beyond = rest_iter.any(|c| c != b'0');
        let last_odd = head.last().is_some_and(|c| (c - b'0') % 2 == 1);
        let up = first > b'5' || (first == b'5' && (beyond || last_odd));
        if up {
            let mut i = head.len();
            loop {
                if i == 0 {
                    head.insert(0, b'1');
                    head.truncate(keep);
                    exp10 += 1;
                    break;
                }
                i -= 1;
                match head.get_mut(i) {
                    Some(c) if *c == b'9' => *c = b'0',
                    Some(c) => {
                        *c += 1;
                        break;
                    }
                    None => break,
                }
            }
        }
        (String::from_utf8(head).unwrap_or_default(), exp10)
    };
    let (d0, ds) = digits.split_at(1.min(digits.len()));
    s.push_str(d0);
    s.push('.');
    s.push_str(ds);
    s.push('e');
    s.push(if exp10 < 0 { '-' } else { '+' });
    s.push_str(&format!("{:02}", exp10.unsigned_abs()));
    let mut b = s.into_bytes();
    b.resize(31, 0);
    b
}

// ---------------------------------------------------------------------------
// Term order.

/// The type ranks of the term order; local funs sort before external
/// funs (`fun M:F/A`), as erts 13 compares FUN_DEF and EXPORT_DEF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Number,
    Atom,
    Ref,
    LocalFun,
    ExportFun,
    Port,
    Pid,
    Tuple,
    Map,
    Nil,
    List,
    Bits,
}

/// An element being compared or hashed: a term, or a byte of a STRING_EXT.
#[derive(Clone, Copy)]
enum El<'a> {
    T(&'a Term),
    B(u8),
}

fn unwrap_term(mut t: &Term) -> &Term {
    loop {
        match t {
            Term::Compressed { term, .. } | Term::Local { term, .. } => t = term,
            _ => return t,
        }
    }
}

fn kind(e: El<'_>) -> Kind {
    let t = match e {
        El::B(_) => return Kind::Number,
        El::T(t) => unwrap_term(t),
    };
    match t {
        Term::SmallInteger(_)
        | Term::Integer(_)
        | Term::Big { .. }
        | Term::Float(_)
        | Term::OldFloat(_) => Kind::Number,
        Term::Atom(_) => Kind::Atom,
        Term::Ref(_) => Kind::Ref,
        Term::NewFun(_) | Term::OldFun(_) => Kind::LocalFun,
        Term::Export { .. } => Kind::ExportFun,
        Term::Port(_) => Kind::Port,
        Term::Pid(_) => Kind::Pid,
        Term::Tuple { .. } => Kind::Tuple,
        Term::Map(_) => Kind::Map,
        Term::Nil => Kind::Nil,
        Term::String(b) if b.is_empty() => Kind::Nil,
        Term::String(_) | Term::List { .. } => Kind::List,
        Term::Binary(_) | Term::BitBinary { .. } => Kind::Bits,
        Term::Compressed { .. } | Term::Local { .. } => Kind::Nil,
    }
}

enum Num {
    Int(BigInt),
    Float(f64),
}

fn num(e: El<'_>) -> Num {
    match e {
        El::B(b) => Num::Int(BigInt::from(b)),
        El::T(t) => match unwrap_term(t) {
            Term::Float(f) => Num::Float(*f),
            Term::OldFloat(b) => Num::Float(old_float_value(b).unwrap_or(0.0)),
            t => Num::Int(int_value(t).unwrap_or_default()),
        },
    }
}

/// The exact value of a finite float's integer part.
fn float_trunc_int(f: f64) -> BigInt {
    let bits = f.to_bits();
    let neg = bits >> 63 == 1;
    let exp_bits = (bits >> 52) & 0x7FF;
    let frac = bits & ((1u64 << 52) - 1);
    if exp_bits == 0 {
        return BigInt::default(); // subnormal or zero: |f| < 1
    }
    let m = BigInt::from(frac | (1u64 << 52));
    let e = i64::try_from(exp_bits).unwrap_or(0) - 1075;
    let v = if e >= 0 {
        m << usize::try_from(e).unwrap_or(0)
    } else {
        m >> usize::try_from(-e).unwrap_or(0)
    };
    if neg {
        -v
    } else {
        v
    }
}

/// Integer vs float by exact value.
fn int_float_cmp(i: &BigInt, f: f64) -> Ordering {
    if f.is_nan() {
        return Ordering::Equal;
    }
    if f.is_infinite() {
        return if f > 0.0 {
            Ordering::Less
        } else {
            Ordering::Greater
        };
    }
    let t = f.trunc();
    match i.cmp(&float_trunc_int(t)) {
        Ordering::Equal => {
            if f > t {
                Ordering::Less
            } else if f < t {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        }
        o => o,
    }
}

fn num_cmp(a: El<'_>, b: El<'_>, exact: bool) -> Ordering {
    match (num(a), num(b)) {
        (Num::Int(x), Num::Int(y)) => x.cmp(&y),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        // =:= and map keys: every integer before every float.
        (Num::Int(_), Num::Float(_)) if exact => Ordering::Less,
        (Num::Float(_), Num::Int(_)) if exact => Ordering::Greater,
        (Num::Int(x), Num::Float(y)) => int_float_cmp(&x, y),
        (Num::Float(x), Num::Int(y)) => int_float_cmp(&y, x).reverse(),
    }
}

fn atom_name(t: &Term) -> &str {
    match unwrap_term(t) {
        Term::Atom(a) => a.name.as_deref().unwrap_or(""),
        _ => "",
    }
}

/// Elements and tail of a list term (flat, as canonical lists are).
fn list_parts(t: &Term) -> (usize, &Term) {
    match t {
        Term::String(b) => (b.len(), &NIL),
        Term::List { elems, tail } => (elems.len(), tail),
        _ => (0, t),
    }
}

fn list_el(t: &Term, i: usize) -> El<'_> {
    match t {
        Term::String(b) => El::B(b.get(i).copied().unwrap_or(0)),
        Term::List { elems, .. } => elems.get(i).map_or(El::T(&NIL), El::T),
        _ => El::T(&NIL),
    }
}

/// Bitstring bytes and total length in bits.
fn bits_of(t: &Term) -> (&[u8], u64) {
    match t {
        Term::Binary(b) => (
            b,
            u64::try_from(b.len()).unwrap_or(u64::MAX).saturating_mul(8),
        ),
        Term::BitBinary { data, bits } => {
            let full = u64::try_from(data.len().saturating_sub(1)).unwrap_or(u64::MAX);
            (data, full.saturating_mul(8) + u64::from((*bits).min(8)))
        }
        _ => (&[], 0),
    }
}

fn bits_cmp(a: &Term, b: &Term) -> Ordering {
    let (da, la) = bits_of(a);
    let (db, lb) = bits_of(b);
    let m = la.min(lb);
    let full = usize::try_from(m / 8).unwrap_or(usize::MAX);
    let o = da
        .get(..full)
        .unwrap_or(&[])
        .cmp(db.get(..full).unwrap_or(&[]));
    if o != Ordering::Equal {
        return o;
    }
    let r = u32::try_from(m % 8).unwrap_or(0);
    if r > 0 {
        let mask = 0xFFu8 << (8 - r);
        let x = da.get(full).copied().unwrap_or(0) & mask;
        let y = db.get(full).copied().unwrap_or(0) & mask;
        if x != y {
            return x.cmp(&y);
        }
    }
    la.cmp(&lb)
}

/// Node name, then creation (erts `CMP_NODES`).
fn node_cmp(a: &Term, ca: u32, b: &Term, cb: u32) -> Ordering {
    atom_name(a)
        .as_bytes()
        .cmp(atom_name(b).as_bytes())
        .then(ca.cmp(&cb))
}

/// Reference numbers, most significant (last) word first; extra words of
/// the longer one must be zero to be equal.
fn ref_ids_cmp(a: &[u32], b: &[u32]) -> Ordering {
    let n = a.len().max(b.len());
    for i in (0..n).rev() {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        if x != y {
            return x.cmp(&y);
        }
    }
    Ordering::Equal
}

enum Cmp<'a> {
    Pair(El<'a>, El<'a>, bool),
    Fixed(Ordering),
}

/// Compares two terms (maps must hold their pairs in sorted key order, as
/// the canonicalizer leaves them); `exact` = `=:=` rules.
fn cmp_terms(a: &Term, b: &Term, exact: bool) -> Ordering {
    let mut stack = vec![Cmp::Pair(El::T(a), El::T(b), exact)];
    while let Some(c) = stack.pop() {
        let (x, y, ex) = match c {
            Cmp::Fixed(Ordering::Equal) => continue,
            Cmp::Fixed(o) => return o,
            Cmp::Pair(x, y, ex) => (x, y, ex),
        };
        let (kx, ky) = (kind(x), kind(y));
        if kx != ky {
            return kx.cmp(&ky);
        }
        let o = match (kx, x, y) {
            (Kind::Number, _, _) => num_cmp(x, y, ex),
            (_, El::T(x), El::T(y)) => {
                let (x, y) = (unwrap_term(x), unwrap_term(y));
                cmp_same_kind(kx, x, y, ex, &mut stack)
            }
            _ => Ordering::Equal,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// Compares two terms of one kind; pushes sub-comparisons (last first).
fn cmp_same_kind<'a>(
    k: Kind,
    x: &'a Term,
    y: &'a Term,
    ex: bool,
    stack: &mut Vec<Cmp<'a>>,
) -> Ordering {
    match (k, x, y) {
        (Kind::Atom, _, _) => atom_name(x).as_bytes().cmp(atom_name(y).as_bytes()),
        (Kind::Ref, Term::Ref(a), Term::Ref(b)) => {
            node_cmp(&a.node, a.creation, &b.node, b.creation).then(ref_ids_cmp(&a.ids, &b.ids))
        }
        (Kind::Pid, Term::Pid(a), Term::Pid(b)) => (a.serial, a.id)
            .cmp(&(b.serial, b.id))
            .then(node_cmp(&a.node, a.creation, &b.node, b.creation)),
        (Kind::Port, Term::Port(a), Term::Port(b)) => {
            node_cmp(&a.node, a.creation, &b.node, b.creation).then(a.id.cmp(&b.id))
        }
        (Kind::ExportFun, Term::Export { .. }, Term::Export { .. }) => {
            if let (
                Term::Export {
                    module: m1,
                    function: f1,
                    arity: a1,
                },
                Term::Export {
                    module: m2,
                    function: f2,
                    arity: a2,
                },
            ) = (x, y)
            {
                atom_name(m1)
                    .as_bytes()
                    .cmp(atom_name(m2).as_bytes())
                    .then(atom_name(f1).as_bytes().cmp(atom_name(f2).as_bytes()))
                    .then(int_value(a1).cmp(&int_value(a2)))
            } else {
                Ordering::Equal
            }
        }
        (Kind::LocalFun, _, _) => {
            let (m1, i1, u1, f1) = fun_key(x);
            let (m2, i2, u2, f2) = fun_key(y);
            let o = atom_name(m1)
                .as_bytes()
                .cmp(atom_name(m2).as_bytes())
                .then(int_value(i1).cmp(&int_value(i2)))
                .then(int_value(u1).cmp(&int_value(u2)))
                .then(f1.len().cmp(&f2.len()));
            if o == Ordering::Equal {
                stack.extend(
                    f1.iter()
                        .zip(f2.iter())
                        .rev()
                        .map(|(a, b)| Cmp::Pair(El::T(a), El::T(b), ex)),
                );
            }
            o
        }
        (Kind::Tuple, Term::Tuple { elems: a, .. }, Term::Tuple { elems: b, .. }) => {
            let o = a.len().cmp(&b.len());
            if o == Ordering::Equal {
                stack.extend(
                    a.iter()
                        .zip(b.iter())
                        .rev()
                        .map(|(a, b)| Cmp::Pair(El::T(a), El::T(b), ex)),
                );
            }
            o
        }
        (Kind::Map, Term::Map(a), Term::Map(b)) => {
            let o = a.len().cmp(&b.len());
            if o == Ordering::Equal {
                // Keys (exactly, in key order) first, then values.
                stack.extend(
                    a.iter()
                        .zip(b.iter())
                        .rev()
                        .map(|(a, b)| Cmp::Pair(El::T(&a.1), El::T(&b.1), ex)),
                );
                stack.extend(
                    a.iter()
                        .zip(b.iter())
                        .rev()
                        .map(|(a, b)| Cmp::Pair(El::T(&a.0), El::T(&b.0), true)),
                );
            }
            o
        }
        (Kind::List, _, _) => {
            let (la, ta) = list_parts(x);
            let (lb, tb) = list_parts(y);
            // After the common elements: both tails, or the shorter
            // list's tail (not a list) against the rest of the longer.
            match la.cmp(&lb) {
                Ordering::Equal => stack.push(Cmp::Pair(El::T(ta), El::T(tb), ex)),
                Ordering::Less => stack.push(Cmp::Fixed(kind(El::T(ta)).cmp(&Kind::List))),
                Ordering::Greater => stack.push(Cmp::Fixed(Kind::List.cmp(&kind(El::T(tb))))),
            }
            let m = la.min(lb);
            for i in (0..m).rev() {
                stack.push(Cmp::Pair(list_el(x, i), list_el(y, i), ex));
            }
            Ordering::Equal
        }
        (Kind::Bits, _, _) => bits_cmp(x, y),
        _ => Ordering::Equal,
    }
}

fn fun_key(t: &Term) -> (&Term, &Term, &Term, &[Term]) {
    match t {
        Term::NewFun(f) => (&f.module, &f.old_index, &f.old_uniq, &f.free),
        Term::OldFun(f) => (&f.module, &f.index, &f.uniq, &f.free),
        _ => (&NIL, &NIL, &NIL, &[]),
    }
}

// ---------------------------------------------------------------------------
// erts' internal hash (OTP 25, 64-bit, without the CRC32C build option).

const HCONST: u32 = 0x9e37_79b9;
const HCONST_4: u32 = 0x78dd_e6e4;
const HCONST_9: u32 = 0x8ff3_4781;
const HCONST_10: u32 = 0x2e2a_c13a;
const HCONST_11: u32 = 0xcc62_3af3;
const HCONST_12: u32 = 0x6a99_b4ac;
const HCONST_13: u32 = 0x08d1_2e65;
const HCONST_15: u32 = 0x4540_21d7;
const HCONST_16: u32 = 0xe377_9b90;
const HCONST_17: u32 = 0x81af_1549;
const HCONST_18: u32 = 0x1fe6_8f02;
const HCONST_22: u32 = 0x98c4_75e6;
const INTERNAL_HASH_SALT: u32 = 3_432_918_353;

/// Bob Jenkins' 96-bit mix; returns the new `c`.
fn mix(mut a: u32, mut b: u32, mut c: u32) -> (u32, u32, u32) {
    a = a.wrapping_sub(b).wrapping_sub(c) ^ (c >> 13);
    b = b.wrapping_sub(c).wrapping_sub(a) ^ (a << 8);
    c = c.wrapping_sub(a).wrapping_sub(b) ^ (b >> 13);
    a = a.wrapping_sub(b).wrapping_sub(c) ^ (c >> 12);
    b = b.wrapping_sub(c).wrapping_sub(a) ^ (a << 16);
    c = c.wrapping_sub(a).wrapping_sub(b) ^ (b >> 5);
    a = a.wrapping_sub(b).wrapping_sub(c) ^ (c >> 3);
    b = b.wrapping_sub(c).wrapping_sub(a) ^ (a << 10);
    c = c.wrapping_sub(a).wrapping_sub(b) ^ (b >> 15);
    (a, b, c)
}

/// `UINT32_HASH_2(e1, e2, k)`.
fn h2(hash: &mut u32, e1: u32, e2: u32, k: u32) {
    *hash = mix(k.wrapping_add(e1), k.wrapping_add(e2), *hash).2;
}

/// `CONST_HASH(k)`.
fn const_hash(hash: &mut u32, k: u32) {
    *hash ^= k;
    *hash = hash.rotate_left(17);
}

fn lo32(x: u64) -> u32 {
    u32::try_from(x & 0xFFFF_FFFF).unwrap_or(0)
}

fn hi32(x: u64) -> u32 {
    u32::try_from(x >> 32).unwrap_or(0)
}

/// An immediate Eterm: UINT32_HASH_2(low word, high word, HCONST).
fn hash_immediate(hash: &mut u32, eterm: u64) {
    h2(hash, lo32(eterm), hi32(eterm), HCONST);
}

/// `[]` (`_TAG_IMMED2_NIL`: erts 13 keeps no other bits set).
const NIL_ETERM: u64 = 0x3B;
/// Small integers are 60-bit on a 64-bit VM.
const MAX_SMALL: i64 = (1 << 59) - 1;
const MIN_SMALL: i64 = -(1 << 59);

/// Jenkins' lookup2 over bytes (erts `block_hash`).
fn block_hash(k: &[u8], initval: u32) -> u32 {
    let word = |c: &[u8]| -> u32 {
        let mut w = [0u8; 4];
        for (d, s) in w.iter_mut().zip(c.iter()) {
            *d = *s;
        }
        u32::from_le_bytes(w)
    };
    let (mut a, mut b, mut c) = (HCONST, HCONST, initval);
    let mut chunks = k.chunks_exact(12);
    for ch in &mut chunks {
        a = a.wrapping_add(word(ch.get(0..4).unwrap_or(&[])));
        b = b.wrapping_add(word(ch.get(4..8).unwrap_or(&[])));
        c = c.wrapping_add(word(ch.get(8..12).unwrap_or(&[])));
        (a, b, c) = mix(a, b, c);
    }
    let r = chunks.remainder();
    // The length's low 32 bits, as C adds the (unsigned) length to a u32.
    c = c.wrapping_add(lo32(u64::try_from(k.len()).unwrap_or(0)));
    a = a.wrapping_add(word(r.get(0..4.min(r.len())).unwrap_or(&[])));
    b = b.wrapping_add(word(r.get(4.min(r.len())..8.min(r.len())).unwrap_or(&[])));
    // The first byte of c is the length's: bytes 8..11 go in shifted by 8.
    c = c.wrapping_add(word(r.get(8.min(r.len())..).unwrap_or(&[])) << 8);
    mix(a, b, c).2
}

enum H<'a> {
    El(El<'a>),
    /// A list from element `i` on.
    ListAt(&'a Term, usize),
    /// Mix in "now the tail of a cons cell".
    Cdr,
}

/// `make_internal_hash(Term, Salt)` of erts 13 on a canonical term, or
/// `None` when it depends on VM state: an atom whose index is unknown, a
/// pid, port, reference or fun.
fn internal_hash(t: &Term, salt: u32, atom_index: &dyn Fn(&str) -> Option<u64>) -> Option<u32> {
    let mut hash = salt ^ INTERNAL_HASH_SALT;
    let mut stack = vec![H::El(El::T(t))];
    while let Some(h) = stack.pop() {
        let t = match h {
            H::Cdr => {
                const_hash(&mut hash, HCONST_18);
                continue;
            }
            H::El(El::B(b)) => {
                hash_immediate(&mut hash, small_eterm(i64::from(b)));
                continue;
            }
            H::ListAt(list, i) => {
                hash_list(list, i, &mut hash, &mut stack);
                continue;
            }
            H::El(El::T(t)) => unwrap_term(t),
        };
        match t {
            Term::SmallInteger(_) | Term::Integer(_) | Term::Big { .. } => {
                let v = int_value(t)?;
                match i64::try_from(&v) {
                    Ok(s) if (MIN_SMALL..=MAX_SMALL).contains(&s) => {
                        hash_immediate(&mut hash, small_eterm(s));
                    }
                    _ => {
                        let (sign, mut bytes) = v.to_bytes_le();
                        let con = if sign == Sign::Minus {
                            HCONST_10
                        } else {
                            HCONST_11
                        };
                        // 64-bit digits, each as (low word, high word).
                        let words = bytes.len().div_ceil(8);
                        bytes.resize(words * 8, 0);
                        for w in bytes.chunks_exact(8) {
                            let mut d = [0u8; 8];
                            d.copy_from_slice(w);
                            let d = u64::from_le_bytes(d);
                            h2(&mut hash, lo32(d), hi32(d), con);
                        }
                    }
                }
            }
            Term::Float(_) | Term::OldFloat(_) => {
                let f = match t {
                    Term::Float(f) => *f,
                    Term::OldFloat(b) => old_float_value(b)?,
                    _ => 0.0,
                };
                let f = if f == 0.0 { 0.0 } else { f }; // -0.0 hashes as 0.0
                let bits = f.to_bits();
                h2(&mut hash, lo32(bits), hi32(bits), HCONST_12);
            }
            Term::Atom(a) => {
                let index = atom_index(a.name.as_deref()?)?;
                hash_immediate(&mut hash, (index << 6) | 0x0B);
            }
            Term::Nil => hash_immediate(&mut hash, NIL_ETERM),
            Term::Tuple { elems, .. } => {
                h2(&mut hash, u32::try_from(elems.len()).ok()?, 0, HCONST_9);
                stack.extend(elems.iter().rev().map(|e| H::El(El::T(e))));
            }
            Term::Map(pairs) => {
                // Pairs in the order erts walks them: the flatmap's sorted
                // order, or the trie's (which is how canonical large maps
                // are stored), key then value.
                h2(&mut hash, u32::try_from(pairs.len()).ok()?, 0, HCONST_16);
                for (k, v) in pairs.iter().rev() {
                    stack.push(H::El(El::T(v)));
                    stack.push(H::El(El::T(k)));
                }
            }
            Term::String(_) | Term::List { .. } => hash_list(t, 0, &mut hash, &mut stack),
            Term::Binary(_) | Term::BitBinary { .. } => {
                let (data, nbits) = bits_of(t);
                let sz = usize::try_from(nbits / 8).ok()?;
                let bitsize = u32::try_from(nbits % 8).ok()?;
                let con = HCONST_13.wrapping_add(hash);
                if sz == 0 && bitsize == 0 {
                    hash = con;
                } else {
                    hash = block_hash(data.get(..sz)?, con);
                    if bitsize > 0 {
                        let last = data.get(sz).copied().unwrap_or(0);
                        h2(
                            &mut hash,
                            bitsize,
                            u32::from(last >> (8 - bitsize)),
                            HCONST_15,
                        );
                    }
                }
            }
            Term::Pid(_)
            | Term::Port(_)
            | Term::Ref(_)
            | Term::NewFun(_)
            | Term::OldFun(_)
            | Term::Export { .. }
            | Term::Compressed { .. }
            | Term::Local { .. } => return None,
        }
    }
    Some(hash)
}

fn small_eterm(v: i64) -> u64 {
    (u64::from_ne_bytes(v.to_ne_bytes()) << 4) | 0xF
}

/// The list case of `make_internal_hash`: a run of byte elements is hashed
/// four at a time; a non-byte element mixes in "head", is hashed, and the
/// rest follows (a non-list tail after mixing in "tail").
fn hash_list<'a>(list: &'a Term, mut i: usize, hash: &mut u32, stack: &mut Vec<H<'a>>) {
    let (n, tail) = list_parts(list);
    let mut c = 0u32;
    let mut sh = 0u32;
    while i < n {
        let b = match list_el(list, i) {
            El::B(b) => b,
            El::T(Term::SmallInteger(b)) => *b,
            El::T(_) => break,
        };
        sh = (sh << 8).wrapping_add(u32::from(b));
        if c == 3 {
            h2(hash, sh, 0, HCONST_4);
            c = 0;
            sh = 0;
        } else {
            c += 1;
        }
        i += 1;
    }
    if c > 0 {
        h2(hash, sh, c, HCONST_22);
    }
    if i < n {
        const_hash(hash, HCONST_17);
        if i + 1 < n {
            stack.push(H::ListAt(list, i + 1));
        } else {
            stack.push(H::El(El::T(tail)));
            stack.push(H::Cdr);
        }
        stack.push(H::El(list_el(list, i)));
    } else {
        stack.push(H::El(El::T(tail)));
    }
}

/// The salt of trie depth `d` (levels 8d..8d+7): `UINT32_HASH_2(d, 1,
/// HCONST_22)` from 0, as for the cons `[d | Key]`.
fn depth_salt(d: u32) -> u32 {
    if d == 0 {
        return 0;
    }
    let mut h = 0;
    h2(&mut h, d, 1, HCONST_22);
    h
}

/// The hash with its 4-bit slices reversed: comparing these compares trie
/// paths (lowest slice first).
fn swizzle(h: u32) -> u32 {
    (0..8).fold(0, |r, i| (r << 4) | ((h >> (4 * i)) & 0xF))
}

/// How deep we follow 32-bit collisions before giving up (then: key order).
const MAX_HASH_DEPTH: u32 = 8;

/// The order `term_to_binary` writes a large map's pairs in (indices into
/// `keys`), or `None` when a key's hash is unknowable.
fn hamt_order(keys: &[&Term], atom_index: &dyn Fn(&str) -> Option<u64>) -> Option<Vec<usize>> {
    let mut h: Vec<u32> = keys
        .iter()
        .map(|k| internal_hash(k, 0, atom_index).map(swizzle))
        .collect::<Option<_>>()?;
    let mut order: Vec<usize> = (0..keys.len()).collect();
    // Children come off erts' encode stack highest slot first.
    order.sort_by(|&a, &b| h.get(b).cmp(&h.get(a)));
    // Runs with equal hashes: order them by the next depth's hash.
    let mut ranges = vec![(0usize, order.len(), 0u32)];
    while let Some((start, end, depth)) = ranges.pop() {
        let mut i = start;
        while i < end {
            let hi = order.get(i).and_then(|&k| h.get(k)).copied();
            let mut j = i + 1;
            while j < end && order.get(j).and_then(|&k| h.get(k)).copied() == hi {
                j += 1;
            }
            if j - i > 1 {
                let run = order.get_mut(i..j)?;
                if depth + 1 > MAX_HASH_DEPTH {
                    // Unreachable in practice; keep key order.
                    run.sort_unstable();
                } else {
                    let salt = depth_salt(depth + 1);
                    for &k in run.iter() {
                        let key = keys.get(k)?;
                        let v = internal_hash(key, salt, atom_index).map(swizzle)?;
                        *h.get_mut(k)? = v;
                    }
                    run.sort_by(|&a, &b| h.get(b).cmp(&h.get(a)));
                    ranges.push((i, j, depth + 1));
                }
            }
            i = j;
        }
    }
    Some(order)
}

enum Re<'a> {
    Visit(&'a Term),
    Tuple(usize),
    Map(&'a [(Term, Term)]),
    List(usize),
    NewFun(&'a NewFun),
}

/// A copy of a canonical (sorted) term with every map over 32 keys in
/// erts' trie order where that is knowable. Post-order: a key's inner
/// maps are reordered before the key is hashed, as erts hashes them in
/// their own trie order.
fn hamt_reorder(t: &Term, atom_index: &dyn Fn(&str) -> Option<u64>) -> Result<Term, EncodeError> {
    let mut work = vec![Re::Visit(t)];
    let mut vals: Vec<Term> = Vec::new();
    while let Some(w) = work.pop() {
        match w {
            Re::Visit(t) => match t {
                Term::Tuple { elems, .. } => {
                    work.push(Re::Tuple(elems.len()));
                    work.extend(elems.iter().rev().map(Re::Visit));
                }
                Term::Map(pairs) => {
                    work.push(Re::Map(pairs));
                    for (k, v) in pairs.iter().rev() {
                        work.push(Re::Visit(v));
                        work.push(Re::Visit(k));
                    }
                }
                Term::List { elems, tail } => {
                    work.push(Re::List(elems.len()));
                    work.push(Re::Visit(tail));
                    work.extend(elems.iter().rev().map(Re::Visit));
                }
                Term::NewFun(f) => {
                    work.push(Re::NewFun(f));
                    work.extend(f.free.iter().rev().map(Re::Visit));
                }
                other => vals.push(other.clone()),
            },
            Re::Tuple(n) => {
                let elems = pop_n(&mut vals, n)?;
                vals.push(Term::Tuple {
                    large: n > 255,
                    elems,
                });
            }
            Re::Map(orig) => {
                let flat = pop_n(&mut vals, orig.len().saturating_mul(2))?;
                let mut pairs = Vec::with_capacity(orig.len());
                let mut it = flat.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    pairs.push((k, v));
                }
                if pairs.len() > SMALL_MAP_LIMIT {
                    let keys: Vec<&Term> = pairs.iter().map(|p| &p.0).collect();
                    if let Some(order) = hamt_order(&keys, atom_index) {
                        let mut slots: Vec<Option<(Term, Term)>> =
                            pairs.into_iter().map(Some).collect();
                        pairs = order
                            .iter()
                            .filter_map(|&i| slots.get_mut(i).and_then(Option::take))
                            .collect();
                    }
                }
                vals.push(Term::Map(pairs));
            }
            Re::List(n) => {
                let tail = pop(&mut vals)?;
                let elems = pop_n(&mut vals, n)?;
                vals.push(Term::List {
                    elems,
                    tail: Box::new(tail),
                });
            }
            Re::NewFun(f) => {
                let free = pop_n(&mut vals, f.free.len())?;
                vals.push(Term::NewFun(Box::new(NewFun {
                    size: f.size,
                    arity: f.arity,
                    uniq: f.uniq,
                    index: f.index,
                    module: f.module.clone(),
                    old_index: f.old_index.clone(),
                    old_uniq: f.old_uniq.clone(),
                    pid: f.pid.clone(),
                    free,
                })));
            }
        }
    }
    let t = pop(&mut vals);
    vals.into_iter().for_each(dismantle);
    t
}

/// Drops a term without recursion: canonical copies of deep terms are
/// freed here, not by the (recursive) drop glue.
fn dismantle(t: Term) {
    let mut stack = vec![t];
    while let Some(mut t) = stack.pop() {
        let take = |b: &mut Box<Term>| std::mem::replace(&mut **b, Term::Nil);
        match &mut t {
            Term::Tuple { elems, .. } => stack.append(elems),
            Term::Map(pairs) => {
                for (k, v) in pairs.drain(..) {
                    stack.push(k);
                    stack.push(v);
                }
            }
            Term::List { elems, tail } => {
                stack.append(elems);
                stack.push(take(tail));
            }
            Term::NewFun(f) => {
                stack.append(&mut f.free);
                stack.push(std::mem::replace(&mut f.pid, Term::Nil));
            }
            Term::OldFun(f) => {
                stack.append(&mut f.free);
                stack.push(std::mem::replace(&mut f.pid, Term::Nil));
            }
            Term::Export {
                module,
                function,
                arity,
            } => {
                stack.push(take(module));
                stack.push(take(function));
                stack.push(take(arity));
            }
            Term::Pid(Pid { node, .. })
            | Term::Port(Port { node, .. })
            | Term::Ref(Ref { node, .. }) => stack.push(take(node)),
            Term::Compressed { term, .. } | Term::Local { term, .. } => stack.push(take(term)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(elems: Vec<Term>, tail: Term) -> Term {
        Term::List {
            elems,
            tail: Box::new(tail),
        }
    }

    #[test]
    fn float_ext_text_matches_c() {
        let s = |f: f64| {
            let b = float_ext_text(f);
            assert_eq!(b.len(), 31);
            String::from_utf8(b.into_iter().take_while(|&c| c != 0).collect()).unwrap()
        };
        assert_eq!(s(1.5), "1.50000000000000000000e+00");
        assert_eq!(s(-0.0), "-0.00000000000000000000e+00");
        assert_eq!(s(0.1), "1.00000000000000005551e-01");
        assert_eq!(s(5e-324), "4.94065645841246544177e-324");
        assert_eq!(s(1.7976931348623157e308), "1.79769313486231570815e+308");
        // 1 + 2^-21 = 1.000000476837158203125 exactly: a tie, to even.
        assert_eq!(s(1.0 + 2f64.powi(-21)), "1.00000047683715820312e+00");
        assert_eq!(s(1e23), "9.99999999999999916114e+22");
    }

    #[test]
    fn encodings_are_rechosen() {
        let o = T2bOptions {
            minor_version: 2,
            ..T2bOptions::default()
        };
        let t2b = |t: &Term| term_to_binary(t, &o).unwrap();
        // LIST_EXT with a STRING_EXT tail is one string.
        let t = list(vec![Term::Integer(1)], Term::String(vec![2, 3]));
        assert_eq!(t2b(&t), [131, 107, 0, 3, 1, 2, 3]);
        // A non-minimal bignum that fits a byte.
        let t = Term::Big {
            large: true,
            sign: 0,
            digits: vec![7, 0, 0],
        };
        assert_eq!(t2b(&t), [131, 97, 7]);
        // Negative zero bignum is 0.
        let t = Term::Big {
            large: false,
            sign: 1,
            digits: vec![],
        };
        assert_eq!(t2b(&t), [131, 97, 0]);
        // Latin-1 atom re-encoded as UTF-8.
        let t = Term::Atom(Atom {
            enc: AtomEnc::Atom,
            name: Some("é".into()),
        });
        assert_eq!(t2b(&t), [131, 119, 2, 0xc3, 0xa9]);
        // Bitstring garbage bits cleared; 8 used bits = a binary.
        let t = Term::BitBinary {
            data: vec![0xff],
            bits: 3,
        };
        assert_eq!(t2b(&t), [131, 77, 0, 0, 0, 1, 3, 0xe0]);
        let t = Term::BitBinary {
            data: vec![0xff],
            bits: 8,
        };
        assert_eq!(t2b(&t), [131, 109, 0, 0, 0, 1, 0xff]);
        // Duplicate keys are no map.
        let t = Term::Map(vec![
            (Term::SmallInteger(1), Term::Nil),
            (Term::Integer(1), Term::Nil),
        ]);
        assert!(term_to_binary(&t, &o).is_err());
    }

    #[test]
    fn order_and_equality() {
        use Ordering::*;
        let one = Term::SmallInteger(1);
        let onef = Term::Float(1.0);
        assert_eq!(compare(&one, &onef), Equal);
        assert!(!same_term(&one, &onef));
        assert!(same_term(&Term::Float(0.0), &Term::Float(-0.0)));
        let s = Term::String(b"ab".to_vec());
        let l = list(vec![Term::SmallInteger(97), Term::Integer(98)], Term::Nil);
        assert!(same_term(&s, &l));
        // [1] < [1,2]; [1|a] < [1,2] (atom < list); [1|<<>>] > [1,2].
        let a = list(vec![one.clone()], Term::Nil);
        let b = list(vec![one.clone(), Term::SmallInteger(2)], Term::Nil);
        assert_eq!(compare(&a, &b), Less);
        let c = list(vec![one.clone()], Term::atom("a"));
        assert_eq!(compare(&c, &b), Less);
        let d = list(vec![one.clone()], Term::Binary(vec![]));
        assert_eq!(compare(&d, &b), Greater);
        // number < atom < tuple < map < nil < list < binary
        let seq = [
            Term::Float(-1e300),
            Term::atom("z"),
            Term::Tuple {
                large: false,
                elems: vec![],
            },
            Term::Map(vec![]),
            Term::Nil,
            s.clone(),
            Term::Binary(vec![]),
        ];
        for w in seq.windows(2) {
            assert_eq!(compare(&w[0], &w[1]), Less);
        }
        // Big integers vs floats by exact value.
        let big = int_term(&(BigInt::from(1u64 << 53) + 1));
        assert_eq!(compare(&big, &Term::Float(9007199254740992.0)), Greater);
        assert_eq!(compare(&Term::Float(2.5), &Term::Integer(2)), Greater);
        assert_eq!(compare(&Term::Float(-2.5), &Term::Integer(-2)), Less);
    }

    #[test]
    fn deep_terms_use_no_call_stack() {
        let mut t = Term::Nil;
        for _ in 0..100_000 {
            t = list(vec![t], Term::Nil);
        }
        let b = term_to_binary(&t, &T2bOptions::default()).unwrap();
        assert_eq!(b.len(), 1 + 100_000 * 6 + 1);
        assert!(same_term(&t, &t));
        // Drop without recursion.
        let mut cur = t;
        while let Term::List { mut elems, .. } = cur {
            cur = elems.pop().unwrap_or(Term::Nil);
        }
    }
}
