//! Bytes → `etf::decode_external` and `etf::decode_term`, with the default
//! limits, with small limits (depth 8, 4 KiB inflated) and with an atom-cache
//! table.
//!
//! Invariants checked on every input:
//! * no panic; `consumed` never exceeds the input; an error's offset lies
//!   inside the input; a term comes with Complete and only then;
//! * a Complete decode re-encodes (`encode_external` / `encode`) to exactly
//!   the consumed bytes, and its leaf spans tile them (at base 0 and at
//!   another base offset, which changes nothing else);
//! * a COMPRESSED term has its inflated bytes, no more than `max_inflated`,
//!   which its inner term re-encodes to and whose spans tile them;
//! * the limits hold: no complete term nests deeper than `max_depth`;
//! * ATOM_CACHE_REF atoms carry the name the table gives their index;
//! * `decode_external` of `131, T` agrees with `decode_term` of `T`
//!   (uncompressed), and every proper prefix of a complete uncompressed
//!   term is Incomplete;
//! * the borrowed decode (`decode_external_view` / `decode_term_view`)
//!   gives the same status, consumed count, spans and inflated content,
//!   its owned term is the owned decode's, and every sub-term reads back
//!   through `TermRef::kind` as the owned term has it (so a complete view
//!   re-encodes byte for byte too).
#![no_main]

use erldist_codec::epmd::Status;
use erldist_codec::etf::{
    decode_external, decode_external_view, decode_term, decode_term_view, AtomEnc, Limits, Term,
    TermDecoded, TermOptions, TermView,
};
use erldist_codec::span::check_tiling;
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/view.rs"]
mod view;

/// A base offset other than 0, to check spans are shifted consistently.
const BASE: usize = 1000;

/// Small limits: the error paths of both limits get reached often.
const SMALL: Limits = Limits {
    max_depth: 8,
    max_inflated: 4096,
    max_terms: 512,
};

#[derive(Clone, Copy, Debug)]
enum Entry {
    External,
    Bare,
}

fn decode(entry: Entry, data: &[u8], base: usize, opts: &TermOptions<'_>) -> TermDecoded {
    match entry {
        Entry::External => decode_external(data, base, opts),
        Entry::Bare => decode_term(data, base, opts),
    }
}

fn decode_view<'a>(
    entry: Entry,
    data: &'a [u8],
    base: usize,
    opts: &TermOptions<'_>,
) -> TermView<'a> {
    match entry {
        Entry::External => decode_external_view(data, base, opts),
        Entry::Bare => decode_term_view(data, base, opts),
    }
}

/// The view agrees with the owned decode `d` (same input, base 0).
fn check_view(what: &Ctx, v: &TermView<'_>, d: &TermDecoded, data: &[u8]) {
    assert_eq!(*v.status(), d.status, "{what}: view status");
    assert_eq!(v.consumed(), d.consumed, "{what}: view consumed");
    assert_eq!(v.inflated(), d.inflated.as_ref(), "{what}: view inflated");
    assert_eq!(v.spans(), d.spans(data), "{what}: view spans");
    let owned = v.to_owned_term();
    assert_eq!(owned, d.term, "{what}: view's owned term");
    match (v.root(), &owned) {
        (Some(root), Some(term)) => {
            if let Err(e) = view::check_view(root, term) {
                panic!("{what}: the view reads back differently: {e}");
            }
        }
        (None, None) => {}
        (r, t) => panic!("{what}: root {r:?} with owned term {t:?}"),
    }
}

/// Names the decode in messages; formats lazily (only a failing assertion pays).
struct Ctx(Entry, Limits, bool);

impl std::fmt::Display for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let refs = if self.2 { " with atom refs" } else { "" };
        write!(f, "{:?} {:?}{refs}", self.0, self.1)
    }
}

fn check(entry: Entry, data: &[u8], opts: &TermOptions<'_>) -> TermDecoded {
    let what = Ctx(entry, opts.limits, opts.atom_refs.is_some());
    let d = decode(entry, data, 0, opts);
    let s = decode(entry, data, BASE, opts);
    check_view(&what, &decode_view(entry, data, 0, opts), &d, data);
    assert!(
        d.consumed <= data.len(),
        "{what}: consumed {} of {} bytes",
        d.consumed,
        data.len()
    );
    assert_eq!(
        d.consumed, s.consumed,
        "{what}: base offset changed consumed"
    );
    assert_eq!(d.term, s.term, "{what}: base offset changed the term");
    assert_eq!(
        d.status.is_complete(),
        s.status.is_complete(),
        "{what}: base offset changed the status"
    );
    if let (Status::Invalid(e), Status::Invalid(f)) = (&d.status, &s.status) {
        assert!(
            e.offset <= data.len(),
            "{what}: error offset {} past the input ({} bytes): {e:?}",
            e.offset,
            data.len()
        );
        assert_eq!(
            e.offset + BASE,
            f.offset,
            "{what}: error offset not shifted"
        );
    }
    if let Some(inf) = &d.inflated {
        assert!(
            inf.bytes.len() <= opts.limits.max_inflated,
            "{what}: inflated {} bytes, over the limit {}",
            inf.bytes.len(),
            opts.limits.max_inflated
        );
    }
    if !d.status.is_complete() {
        assert!(d.term.is_none(), "{what}: a term without a complete decode");
        return d;
    }
    let consumed = d.consumed;
    let bytes = &data[..consumed];
    let Some(term) = d.term.as_ref() else {
        panic!("{what}: complete but no term");
    };
    let encoded = match entry {
        Entry::External => term.encode_external(),
        Entry::Bare => term.encode(),
    };
    match encoded {
        Ok(e) => assert_eq!(e, bytes, "{what}: {term:?} re-encodes differently"),
        Err(e) => panic!("{what}: {term:?} decoded but does not encode: {e}"),
    }
    let spans = d.spans(data);
    if let Err(e) = check_tiling(&spans, 0, consumed) {
        panic!("{what}: spans do not tile 0..{consumed}: {e}\n{spans:#?}");
    }
    if let Err(e) = check_tiling(&s.spans(data), BASE, consumed) {
        panic!("{what}: spans at base {BASE} do not tile: {e}");
    }
    match (term, &d.inflated) {
        (Term::Compressed { size, term, .. }, Some(inf)) => {
            assert_eq!(
                *size as usize,
                inf.bytes.len(),
                "{what}: size field vs inflated bytes"
            );
            match term.encode() {
                Ok(e) => assert_eq!(e, inf.bytes, "{what}: inflated term re-encodes differently"),
                Err(e) => panic!("{what}: inflated term does not encode: {e}"),
            }
            let spans = inf.spans();
            if let Err(e) = check_tiling(&spans, 0, inf.bytes.len()) {
                panic!(
                    "{what}: inflated spans do not tile 0..{}: {e}\n{spans:#?}",
                    inf.bytes.len()
                );
            }
        }
        (Term::Compressed { .. }, None) => panic!("{what}: COMPRESSED without inflated bytes"),
        (_, Some(_)) => panic!("{what}: inflated bytes for an uncompressed term"),
        (_, None) => {}
    }
    let depth = walk(term, opts.atom_refs, &what);
    assert!(
        depth <= opts.limits.max_depth,
        "{what}: a complete term nested {depth} deep, over the limit"
    );
    d
}

/// Nesting depth as the decoder counts it (containers with children to
/// read), checking cache-ref names on the way. Iterative: terms nest deep.
fn walk(root: &Term, refs: Option<&[Option<String>]>, what: &Ctx) -> usize {
    let mut max = 0;
    let mut stack = vec![(root, 0usize)];
    while let Some((t, depth)) = stack.pop() {
        max = max.max(depth);
        let inner = depth + 1;
        match t {
            Term::Atom(a) => {
                if let AtomEnc::CacheRef(i) = a.enc {
                    let want = refs.and_then(|r| r.get(usize::from(i)).cloned().flatten());
                    assert_eq!(a.name, want, "{what}: cache ref {i} resolved wrongly");
                }
            }
            Term::Tuple { elems, .. } if !elems.is_empty() => {
                stack.extend(elems.iter().map(|e| (e, inner)));
            }
            Term::Map(pairs) if !pairs.is_empty() => {
                for (k, v) in pairs {
                    stack.push((k, inner));
                    stack.push((v, inner));
                }
            }
            Term::List { elems, tail } => {
                stack.extend(elems.iter().map(|e| (e, inner)));
                stack.push((tail, inner));
            }
            Term::NewFun(f) => {
                if !f.free.is_empty() {
                    stack.extend(f.free.iter().map(|e| (e, inner)));
                }
                for t in [&f.module, &f.old_index, &f.old_uniq, &f.pid] {
                    stack.push((t, depth));
                }
            }
            Term::OldFun(f) => {
                if !f.free.is_empty() {
                    stack.extend(f.free.iter().map(|e| (e, inner)));
                }
                for t in [&f.pid, &f.module, &f.index, &f.uniq] {
                    stack.push((t, depth));
                }
            }
            Term::Local { term, .. } => stack.push((term, inner)),
            // The inflated term starts a new byte space, and a new depth.
            Term::Compressed { term, .. } => stack.push((term, 0)),
            Term::Pid(p) => stack.push((&p.node, depth)),
            Term::Port(p) => stack.push((&p.node, depth)),
            Term::Ref(r) => stack.push((&r.node, depth)),
            Term::Export {
                module,
                function,
                arity,
            } => {
                for t in [module, function, arity] {
                    stack.push((t, depth));
                }
            }
            _ => {}
        }
    }
    max
}

fn refs() -> Vec<Option<String>> {
    vec![
        Some("a".to_string()),
        None,
        Some("nonode@nohost".to_string()),
        Some("éé".to_string()),
    ]
}

fuzz_target!(|data: &[u8]| {
    let table = refs();
    let options = [
        TermOptions::default(),
        TermOptions {
            limits: SMALL,
            atom_refs: None,
        },
        TermOptions {
            limits: Limits::default(),
            atom_refs: Some(&table),
        },
    ];
    for (i, opts) in options.iter().enumerate() {
        let ext = check(Entry::External, data, opts);
        check(Entry::Bare, data, opts);
        // `131, T` (uncompressed) is exactly T behind one byte.
        if let (Some(&131), Some(rest)) = (data.first(), data.get(1..)) {
            if rest.first() != Some(&80) {
                let bare = decode_term(rest, 1, opts);
                assert_eq!(ext.term, bare.term, "131 + T vs T: term");
                assert_eq!(
                    ext.status.is_complete(),
                    bare.status.is_complete(),
                    "131 + T vs T: status {:?} vs {:?}",
                    ext.status,
                    bare.status
                );
                if ext.status.is_complete() {
                    assert_eq!(ext.consumed, bare.consumed + 1, "131 + T vs T: consumed");
                }
            }
        }
        // Every proper prefix of a complete uncompressed term is incomplete
        // (the bytes read so far are all valid). Checked on short terms only.
        if i == 0 && ext.status.is_complete() && ext.inflated.is_none() && ext.consumed <= 64 {
            for n in 0..ext.consumed {
                let p = decode_external(&data[..n], 0, opts);
                assert!(
                    p.status.is_incomplete(),
                    "prefix {n}/{} of a complete term: {:?}",
                    ext.consumed,
                    p.status
                );
                let v = decode_external_view(&data[..n], 0, opts);
                assert_eq!(*v.status(), p.status, "prefix {n}: view status");
                assert!(v.root().is_none(), "prefix {n}: a view of an incomplete term");
            }
        }
    }
});
