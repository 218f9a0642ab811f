//! [`Term`] → bytes, exactly as the model says (lengths computed from the
//! content, everything else as decoded).

use super::tags::*;
use super::term::*;
use crate::epmd::EncodeError;

fn err(field: &str, message: impl Into<String>) -> EncodeError {
    EncodeError {
        field: field.to_string(),
        message: message.into(),
    }
}

fn len_u8(n: usize, field: &str) -> Result<u8, EncodeError> {
    u8::try_from(n).map_err(|_| err(field, format!("{n} does not fit a 1-byte length")))
}

fn len_u16(n: usize, field: &str) -> Result<[u8; 2], EncodeError> {
    u16::try_from(n)
        .map(u16::to_be_bytes)
        .map_err(|_| err(field, format!("{n} does not fit a 2-byte length")))
}

fn len_u32(n: usize, field: &str) -> Result<[u8; 4], EncodeError> {
    u32::try_from(n)
        .map(u32::to_be_bytes)
        .map_err(|_| err(field, format!("{n} does not fit a 4-byte length")))
}

impl Term {
    /// The term's bytes without the 131 version byte.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        self.encode_into(&mut out, 0)?;
        Ok(out)
    }

    /// `131` followed by the term.
    pub fn encode_external(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = vec![VERSION_MAGIC];
        self.encode_into(&mut out, 0)?;
        Ok(out)
    }

    /// Appends the term's bytes. Iterative: nesting costs heap, not stack.
    pub fn encode_into(&self, out: &mut Vec<u8>, _depth: usize) -> Result<(), EncodeError> {
        let mut work = vec![Work::Term(self)];
        while let Some(w) = work.pop() {
            let t = match w {
                Work::Bytes(b) => {
                    out.extend_from_slice(&b);
                    continue;
                }
                Work::Term(t) => t,
            };
            match t {
                Term::SmallInteger(v) => out.extend_from_slice(&[SMALL_INTEGER_EXT, *v]),
                Term::Integer(v) => {
                    out.push(INTEGER_EXT);
                    out.extend_from_slice(&v.to_be_bytes());
                }
                Term::Big {
                    large,
                    sign,
                    digits,
                } => {
                    if *large {
                        out.push(LARGE_BIG_EXT);
                        out.extend_from_slice(&len_u32(digits.len(), "digits")?);
                    } else {
                        out.push(SMALL_BIG_EXT);
                        out.push(len_u8(digits.len(), "digits")?);
                    }
                    out.push(*sign);
                    out.extend_from_slice(digits);
                }
                Term::Float(f) => {
                    out.push(NEW_FLOAT_EXT);
                    out.extend_from_slice(&f.to_bits().to_be_bytes());
                }
                Term::OldFloat(b) => {
                    if b.len() != 31 {
                        return Err(err("value", "FLOAT_EXT is exactly 31 bytes"));
                    }
                    out.push(FLOAT_EXT);
                    out.extend_from_slice(b);
                }
                Term::Atom(a) => encode_atom(a, out)?,
                Term::Pid(p) => {
                    out.push(if p.new { NEW_PID_EXT } else { PID_EXT });
                    let mut tail = Vec::with_capacity(12);
                    tail.extend_from_slice(&p.id.to_be_bytes());
                    tail.extend_from_slice(&p.serial.to_be_bytes());
                    if p.new {
                        tail.extend_from_slice(&p.creation.to_be_bytes());
                    } else {
                        tail.push(len_u8(p.creation as usize, "creation")?);
                    }
                    push_children(
                        &mut work,
                        [Work::Term(&p.node), Work::Bytes(tail)].into_iter(),
                    );
                }
                Term::Port(p) => {
                    out.push(match p.kind {
                        PortKind::Port => PORT_EXT,
                        PortKind::NewPort => NEW_PORT_EXT,
                        PortKind::V4Port => V4_PORT_EXT,
                    });
                    let mut tail = Vec::with_capacity(12);
                    match p.kind {
                        PortKind::V4Port => tail.extend_from_slice(&p.id.to_be_bytes()),
                        _ => tail.extend_from_slice(
                            &u32::try_from(p.id)
                                .map_err(|_| err("id", "a 32-bit port id"))?
                                .to_be_bytes(),
                        ),
                    }
                    match p.kind {
                        PortKind::Port => tail.push(len_u8(p.creation as usize, "creation")?),
                        _ => tail.extend_from_slice(&p.creation.to_be_bytes()),
                    }
                    push_children(
                        &mut work,
                        [Work::Term(&p.node), Work::Bytes(tail)].into_iter(),
                    );
                }
                Term::Ref(r) => {
                    let mut tail = Vec::new();
                    match r.kind {
                        RefKind::Reference => {
                            out.push(REFERENCE_EXT);
                            let id = r.ids.first().copied().unwrap_or(0);
                            tail.extend_from_slice(&id.to_be_bytes());
                            tail.push(len_u8(r.creation as usize, "creation")?);
                        }
                        RefKind::NewReference | RefKind::NewerReference => {
                            out.push(if r.kind == RefKind::NewerReference {
                                NEWER_REFERENCE_EXT
                            } else {
                                NEW_REFERENCE_EXT
                            });
                            out.extend_from_slice(&len_u16(r.ids.len(), "ids")?);
                            if r.kind == RefKind::NewerReference {
                                tail.extend_from_slice(&r.creation.to_be_bytes());
                            } else {
                                tail.push(len_u8(r.creation as usize, "creation")?);
                            }
                            for id in &r.ids {
                                tail.extend_from_slice(&id.to_be_bytes());
                            }
                        }
                    }
                    push_children(
                        &mut work,
                        [Work::Term(&r.node), Work::Bytes(tail)].into_iter(),
                    );
                }
                Term::Tuple { large, elems } => {
                    if *large {
                        out.push(LARGE_TUPLE_EXT);
                        out.extend_from_slice(&len_u32(elems.len(), "arity")?);
                    } else {
                        out.push(SMALL_TUPLE_EXT);
                        out.push(len_u8(elems.len(), "arity")?);
                    }
                    push_children(&mut work, elems.iter().map(Work::Term));
                }
                Term::Map(pairs) => {
                    out.push(MAP_EXT);
                    out.extend_from_slice(&len_u32(pairs.len(), "arity")?);
                    push_children(
                        &mut work,
                        pairs
                            .iter()
                            .flat_map(|(k, v)| [Work::Term(k), Work::Term(v)]),
                    );
                }
                Term::Nil => out.push(NIL_EXT),
                Term::String(b) => {
                    out.push(STRING_EXT);
                    out.extend_from_slice(&len_u16(b.len(), "length")?);
                    out.extend_from_slice(b);
                }
                Term::List { elems, tail } => {
                    out.push(LIST_EXT);
                    out.extend_from_slice(&len_u32(elems.len(), "length")?);
                    push_children(
                        &mut work,
                        elems.iter().chain(std::iter::once(&**tail)).map(Work::Term),
                    );
                }
                Term::Binary(b) => {
                    out.push(BINARY_EXT);
                    out.extend_from_slice(&len_u32(b.len(), "length")?);
                    out.extend_from_slice(b);
                }
                Term::BitBinary { data, bits } => {
                    out.push(BIT_BINARY_EXT);
                    out.extend_from_slice(&len_u32(data.len(), "length")?);
                    out.push(*bits);
                    out.extend_from_slice(data);
                }
                Term::Export {
                    module,
                    function,
                    arity,
                } => {
                    out.push(EXPORT_EXT);
                    push_children(
                        &mut work,
                        [&**module, &**function, &**arity]
                            .into_iter()
                            .map(Work::Term),
                    );
                }
                Term::NewFun(f) => {
                    out.push(NEW_FUN_EXT);
                    out.extend_from_slice(&f.size.to_be_bytes());
                    out.push(f.arity);
                    out.extend_from_slice(&f.uniq);
                    out.extend_from_slice(&f.index.to_be_bytes());
                    out.extend_from_slice(&len_u32(f.free.len(), "num_free")?);
                    push_children(
                        &mut work,
                        [&f.module, &f.old_index, &f.old_uniq, &f.pid]
                            .into_iter()
                            .chain(f.free.iter())
                            .map(Work::Term),
                    );
                }
                Term::OldFun(f) => {
                    out.push(FUN_EXT);
                    out.extend_from_slice(&len_u32(f.free.len(), "num_free")?);
                    push_children(
                        &mut work,
                        [&f.pid, &f.module, &f.index, &f.uniq]
                            .into_iter()
                            .chain(f.free.iter())
                            .map(Work::Term),
                    );
                }
                Term::Compressed { size, zlib, .. } => {
                    out.push(COMPRESSED);
                    out.extend_from_slice(&size.to_be_bytes());
                    out.extend_from_slice(zlib);
                }
                Term::Local { hash, term } => {
                    out.push(LOCAL_EXT);
                    out.extend_from_slice(&hash.to_be_bytes());
                    push_children(&mut work, std::iter::once(Work::Term(term)));
                }
            }
        }
        Ok(())
    }
}

/// Pending encoding work: a term, or bytes that follow a sub-term.
enum Work<'t> {
    Term(&'t Term),
    Bytes(Vec<u8>),
}

/// Pushes children last-first, so they pop in wire order.
fn push_children<'t>(work: &mut Vec<Work<'t>>, kids: impl Iterator<Item = Work<'t>>) {
    let start = work.len();
    work.extend(kids);
    if let Some(new) = work.get_mut(start..) {
        new.reverse();
    }
}

fn encode_atom(a: &Atom, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let name = a.name.as_deref().unwrap_or("");
    let latin1 = || -> Result<Vec<u8>, EncodeError> {
        name.chars()
            .map(|c| {
                u8::try_from(u32::from(c)).map_err(|_| err("name", format!("{c:?} is not Latin-1")))
            })
            .collect()
    };
    match a.enc {
        AtomEnc::CacheRef(i) => out.extend_from_slice(&[ATOM_CACHE_REF, i]),
        AtomEnc::Atom => {
            let b = latin1()?;
            out.push(ATOM_EXT);
            out.extend_from_slice(&len_u16(b.len(), "name")?);
            out.extend_from_slice(&b);
        }
        AtomEnc::SmallAtom => {
            let b = latin1()?;
            out.push(SMALL_ATOM_EXT);
            out.push(len_u8(b.len(), "name")?);
            out.extend_from_slice(&b);
        }
        AtomEnc::AtomUtf8 => {
            out.push(ATOM_UTF8_EXT);
            out.extend_from_slice(&len_u16(name.len(), "name")?);
            out.extend_from_slice(name.as_bytes());
        }
        AtomEnc::SmallAtomUtf8 => {
            out.push(SMALL_ATOM_UTF8_EXT);
            out.push(len_u8(name.len(), "name")?);
            out.extend_from_slice(name.as_bytes());
        }
    }
    Ok(())
}
