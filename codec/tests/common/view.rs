//! Reading a [`TermView`](erldist_codec::etf::TermView) back against the
//! owned [`Term`]: the two are built by different code (`TermRef::kind` and
//! its accessors vs `to_owned_term`), so agreeing on every sub-term checks
//! both.

use erldist_codec::etf::{Term, TermKind, TermRef};

/// Every sub-term of `root` has the owned term's variant, values, children
/// and bytes (`TermRef::encoded` is its re-encoding). Iterative.
pub fn check_view(root: TermRef<'_>, term: &Term) -> Result<(), String> {
    let mut stack = vec![(root, term)];
    while let Some((r, t)) = stack.pop() {
        let ctx = || format!("{r:?} vs {t:?}");
        match t.encode() {
            Ok(e) if e == r.encoded() => {}
            Ok(e) => return Err(format!("{}: bytes {:02x?} vs {e:02x?}", ctx(), r.encoded())),
            Err(e) => return Err(format!("{}: {e}", ctx())),
        }
        let ok = match (r.kind(), t) {
            (TermKind::SmallInteger(a), Term::SmallInteger(b)) => a == *b,
            (TermKind::Integer(a), Term::Integer(b)) => a == *b,
            (
                TermKind::Big {
                    large,
                    sign,
                    digits,
                },
                Term::Big {
                    large: l,
                    sign: s,
                    digits: d,
                },
            ) => large == *l && sign == *s && digits == d.as_slice(),
            (TermKind::Float(a), Term::Float(b)) => a.to_bits() == b.to_bits(),
            (TermKind::OldFloat(a), Term::OldFloat(b)) => a == b.as_slice(),
            (TermKind::Atom(a), Term::Atom(b)) => {
                a.to_owned_atom() == *b
                    && a.text() == b.text()
                    && b.name.as_deref().is_none_or(|n| a.eq_str(n))
            }
            (
                TermKind::Pid {
                    new,
                    id,
                    serial,
                    creation,
                    ..
                },
                Term::Pid(p),
            ) => new == p.new && id == p.id && serial == p.serial && creation == p.creation,
            (
                TermKind::Port {
                    kind, id, creation, ..
                },
                Term::Port(p),
            ) => kind == p.kind && id == p.id && creation == p.creation,
            (
                TermKind::Ref {
                    kind,
                    creation,
                    ids,
                    ..
                },
                Term::Ref(x),
            ) => kind == x.kind && creation == x.creation && ids.collect::<Vec<_>>() == x.ids,
            (TermKind::Tuple { large, elems }, Term::Tuple { large: l, elems: e }) => {
                large == *l && elems.len() == e.len()
            }
            (TermKind::Map(pairs), Term::Map(p)) => pairs.len() == p.len(),
            (TermKind::Nil, Term::Nil) => true,
            (TermKind::String(a), Term::String(b)) => a == b.as_slice(),
            (TermKind::List { elems, tail }, Term::List { elems: e, tail: tl }) => {
                stack.push((tail, &**tl));
                elems.len() == e.len()
            }
            (TermKind::Binary(a), Term::Binary(b)) => a == b.as_slice(),
            (TermKind::BitBinary { data, bits }, Term::BitBinary { data: d, bits: b }) => {
                data == d.as_slice() && bits == *b
            }
            (
                TermKind::Export {
                    module,
                    function,
                    arity,
                },
                Term::Export { .. },
            ) => {
                let kids: Vec<_> = r.children().collect();
                kids.len() == 3
                    && kids[0].offset() == module.offset()
                    && kids[1].offset() == function.offset()
                    && kids[2].offset() == arity.offset()
            }
            (TermKind::NewFun(f), Term::NewFun(g)) => {
                f.size() == g.size
                    && f.arity() == g.arity
                    && f.uniq() == g.uniq
                    && f.index() == g.index
                    && f.free().len() == g.free.len()
                    && f.pid().encoded() == g.pid.encode().unwrap_or_default()
                    && f.module().encoded() == g.module.encode().unwrap_or_default()
            }
            (TermKind::OldFun(f), Term::OldFun(g)) => {
                f.free().len() == g.free.len()
                    && f.pid().encoded() == g.pid.encode().unwrap_or_default()
                    && f.uniq().encoded() == g.uniq.encode().unwrap_or_default()
            }
            (
                TermKind::Compressed { size, zlib, .. },
                Term::Compressed {
                    size: s, zlib: z, ..
                },
            ) => size == *s && zlib == z.as_slice(),
            (TermKind::Local { hash, .. }, Term::Local { hash: h, .. }) => hash == *h,
            _ => false,
        };
        if !ok {
            return Err(format!("{}: {:?}", ctx(), r.kind()));
        }
        // The children, in wire order, pair up with the owned term's.
        let kids: Vec<TermRef<'_>> = r.children().collect();
        let owned = t.children();
        if kids.len() != owned.len() {
            return Err(format!(
                "{}: {} children vs {}",
                ctx(),
                kids.len(),
                owned.len()
            ));
        }
        if !matches!(t, Term::List { .. }) {
            stack.extend(kids.into_iter().zip(owned));
        } else {
            // The tail was pushed above; the elements pair here.
            let n = kids.len() - 1;
            stack.extend(kids.into_iter().zip(owned).take(n));
        }
    }
    Ok(())
}
