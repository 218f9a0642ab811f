//! ETF decode and encode throughput of erldist-codec against the `eetf` crate,
//! in the same run (criterion; `cargo bench -p erldist-codec --bench etf`).
//!
//! Decode groups, per input, all in one run:
//! * `erldist_view`: [`decode_external_view`]: validates the whole term
//!   (every limit and check of the owned path) and produces its span arena,
//!   which is also the term view: one node per term, from which every value
//!   is read in place (see `erldist_view_walk`). Rendering the arena to a
//!   `Span` tree is not included (see `erldist_view_spans`).
//! * `erldist_owned`: [`decode_external`], the same decode plus the owned
//!   `Term` built from the view (atom `String`s, binary and element `Vec`s).
//! * `eetf`: `eetf::Term::decode`, which builds eetf's owned term and no spans.
//! * `erldist_view_walk` (for reference): `erldist_view` then a visit of
//!   every term through [`TermRef::kind`], reading every value.
//! * `erldist_view_spans` (for reference): `erldist_view` then the whole
//!   `Span` tree ([`TermView::spans`], texts and meanings included).
//!
//! Inputs:
//! * `etf_decode_corpus`: every term of tests/vectors/terms.tsv (real OTP 25
//!   `term_to_binary(T, [{minor_version, 2}])` output) that eetf can decode,
//!   decoded one after the other; throughput is the bytes of the whole set.
//!   The terms eetf refuses (none so far) are listed on stderr and then
//!   measured on their own in `etf_decode_corpus_all` (ours only).
//! * `etf_decode_large`: one ≈ 1 MB proper list mixing small and 32-bit
//!   integers, atoms, binaries, tuples, floats and strings.
//! * `etf_encode_corpus` / `etf_encode_large`: the same terms, already
//!   decoded, written back (`Term::encode_external` vs `eetf::Term::encode`);
//!   throughput counts our (byte-exact) encoding's bytes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use erldist_codec::epmd::Status;
use erldist_codec::etf::{
    decode_external, decode_external_view, Term, TermKind, TermOptions, TermRef,
};
use std::hint::black_box;
use std::time::Duration;

/// The `t2b_minor2` column of the corpus, with each term's text.
fn corpus() -> Vec<(String, Vec<u8>)> {
    let p = format!("{}/tests/vectors/terms.tsv", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&p).expect("tests/vectors/terms.tsv");
    text.lines()
        .filter(|l| !l.starts_with("#term_w") && !l.starts_with("#generated"))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let bytes = erldist_codec::input::parse_hex(f[3]).unwrap().bytes;
            (f[0].to_string(), bytes)
        })
        .collect()
}

/// A ≈ 1 MB proper list: ints, atoms, binaries, tuples, floats, strings.
fn large_term() -> Term {
    let atoms = ["ok", "error", "undefined", "nonode@nohost", "état"];
    let mut elems = Vec::new();
    let mut size = 0;
    let mut i: u32 = 0;
    while size < 1_000_000 {
        let atom = Term::atom(atoms[i as usize % atoms.len()]);
        let group = [
            Term::SmallInteger((i % 256) as u8),
            Term::Integer(-(i as i32) * 7919),
            atom.clone(),
            Term::Binary((0..32).map(|j| (i + j) as u8).collect()),
            Term::Tuple {
                large: false,
                elems: vec![
                    atom,
                    Term::Integer(i as i32),
                    Term::Float(f64::from(i) / 7.0),
                ],
            },
            Term::Float(f64::from(i) * 1.5e-3),
            Term::String(format!("item {i}").into_bytes()),
        ];
        size += group
            .iter()
            .map(|t| t.encode().unwrap().len())
            .sum::<usize>();
        elems.extend(group);
        i += 1;
    }
    Term::List {
        elems,
        tail: Box::new(Term::Nil),
    }
}

/// Our owned decode, checked against the view's: same term, same spans.
fn decode_ours(bytes: &[u8]) -> Term {
    let d = decode_external(bytes, 0, &TermOptions::default());
    assert_eq!(d.status, Status::Complete);
    let v = decode_external_view(bytes, 0, &TermOptions::default());
    assert_eq!(v.to_owned_term().as_ref(), d.term.as_ref());
    assert_eq!(v.spans(), d.spans(bytes));
    d.term.unwrap()
}

fn eetf_decode(bytes: &[u8]) -> Result<eetf::Term, eetf::DecodeError> {
    eetf::Term::decode(&mut &bytes[..])
}

fn total(inputs: &[&[u8]]) -> u64 {
    inputs.iter().map(|b| b.len() as u64).sum()
}

/// Reads every value of every term under `root` (iteratively), as a
/// consumer of the view would: a checksum so nothing is optimized away.
fn walk(root: TermRef<'_>) -> u64 {
    let mut sum = 0u64;
    let mut stack = vec![root];
    while let Some(t) = stack.pop() {
        sum = sum.wrapping_add(match t.kind() {
            TermKind::SmallInteger(v) => v.into(),
            TermKind::Integer(v) => v as u64,
            TermKind::Float(f) => f.to_bits(),
            TermKind::Atom(a) => a.name().map_or(0, |n| n.len() as u64),
            TermKind::Binary(b) | TermKind::String(b) => b.len() as u64,
            TermKind::Big { digits, .. } => digits.len() as u64,
            TermKind::Pid { id, .. } => id.into(),
            _ => 1,
        });
        stack.extend(t.children());
    }
    sum
}

fn decode_group(
    g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    inputs: &[&[u8]],
    with_eetf: bool,
) {
    let opts = TermOptions::default();
    g.throughput(Throughput::Bytes(total(inputs)));
    g.bench_function("erldist_view", |b| {
        b.iter(|| {
            for bytes in inputs {
                black_box(decode_external_view(black_box(bytes), 0, &opts));
            }
        })
    });
    g.bench_function("erldist_owned", |b| {
        b.iter(|| {
            for bytes in inputs {
                black_box(decode_external(black_box(bytes), 0, &opts));
            }
        })
    });
    if with_eetf {
        g.bench_function("eetf", |b| {
            b.iter(|| {
                for bytes in inputs {
                    let _ = black_box(eetf_decode(black_box(bytes)));
                }
            })
        });
    }
    g.bench_function("erldist_view_walk", |b| {
        b.iter(|| {
            for bytes in inputs {
                let v = decode_external_view(black_box(bytes), 0, &opts);
                black_box(v.root().map(walk));
            }
        })
    });
    g.bench_function("erldist_view_spans", |b| {
        b.iter(|| {
            for bytes in inputs {
                let v = decode_external_view(black_box(bytes), 0, &opts);
                black_box(v.spans());
            }
        })
    });
}

fn encode_pair(
    g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    ours: &[Term],
    theirs: &[eetf::Term],
    bytes: u64,
) {
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("erldist", |b| {
        b.iter(|| {
            for t in ours {
                black_box(black_box(t).encode_external().unwrap());
            }
        })
    });
    g.bench_function("eetf", |b| {
        b.iter(|| {
            for t in theirs {
                let mut out = Vec::new();
                black_box(t).encode(&mut out).unwrap();
                black_box(out);
            }
        })
    });
}

fn bench_corpus(c: &mut Criterion) {
    let corpus = corpus();
    let mut both: Vec<&[u8]> = Vec::new();
    let mut refused = Vec::new();
    for (text, bytes) in &corpus {
        decode_ours(bytes);
        match eetf_decode(bytes) {
            Ok(_) => both.push(bytes),
            Err(e) => refused.push(format!("{text}: {e}")),
        }
    }
    eprintln!(
        "etf corpus: {} terms ({} bytes); eetf decodes {} ({} bytes) and refuses {}:",
        corpus.len(),
        corpus.iter().map(|(_, b)| b.len()).sum::<usize>(),
        both.len(),
        total(&both),
        refused.len()
    );
    for r in &refused {
        eprintln!("  eetf refuses {r}");
    }

    // A pass over the set takes milliseconds: few, long samples.
    let mut g = c.benchmark_group("etf_decode_corpus");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    decode_group(&mut g, &both, true);
    g.finish();

    if !refused.is_empty() {
        let all: Vec<&[u8]> = corpus.iter().map(|(_, b)| b.as_slice()).collect();
        let mut g = c.benchmark_group("etf_decode_corpus_all");
        g.sample_size(10).measurement_time(Duration::from_secs(10));
        decode_group(&mut g, &all, false);
        g.finish();
    }

    let ours: Vec<Term> = both.iter().map(|b| decode_ours(b)).collect();
    let theirs: Vec<eetf::Term> = both.iter().map(|b| eetf_decode(b).unwrap()).collect();
    let mut g = c.benchmark_group("etf_encode_corpus");
    encode_pair(&mut g, &ours, &theirs, total(&both));
    g.finish();
}

fn bench_large(c: &mut Criterion) {
    let term = large_term();
    let bytes = term.encode_external().unwrap();
    assert_eq!(decode_ours(&bytes), term);
    let theirs = eetf_decode(&bytes).expect("eetf decodes the large term");
    eprintln!(
        "etf large term: {} bytes, {} list elements",
        bytes.len(),
        match &term {
            Term::List { elems, .. } => elems.len(),
            _ => 0,
        }
    );

    let mut g = c.benchmark_group("etf_decode_large");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    decode_group(&mut g, &[&bytes], true);
    g.finish();

    let mut g = c.benchmark_group("etf_encode_large");
    g.sample_size(20);
    encode_pair(&mut g, &[term], &[theirs], bytes.len() as u64);
    g.finish();
}

criterion_group!(benches, bench_corpus, bench_large);
criterion_main!(benches);
