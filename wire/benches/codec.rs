//! Strict decode/encode of representative structures, against lenient parsing of the same bytes
//! by ciborium's serde path (to `ciborium::Value`) and minicbor: a typed decode of the envelope
//! into an equivalent owned struct (`minicbor-typed`, the like-for-like comparison), and
//! `Decoder::skip` (`minicbor-skip`, which only walks the items and is a lower bound).

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

#[path = "../tests/common/mod.rs"]
mod common;

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hearth_wire::envelope::Envelope;
use hearth_wire::group::Commit;
use hearth_wire::request::SignedRequest;
use hearth_wire::{validate, Op, Profile, RawValue, WireDecode, WireEncode};

fn cases() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("envelope-100B", common::envelope(100).to_vec()),
        ("envelope-4KiB", common::envelope(4096).to_vec()),
        (
            "signed-request",
            common::signed_request(Op::INFO, RawValue::empty_map()).to_vec(),
        ),
        ("commit-255-sealed", common::commit(255).to_vec()),
    ]
}

fn strict_decode(name: &str, b: &[u8]) {
    match name {
        "signed-request" => {
            let sr = SignedRequest::decode(b).unwrap();
            black_box(sr.unverified_request().unwrap());
        }
        "commit-255-sealed" => {
            let c = Commit::decode(b).unwrap();
            black_box(c.unverified_tbs().unwrap());
        }
        _ => {
            black_box(Envelope::decode(b).unwrap());
        }
    }
}

/// The envelope as a lenient decoder sees it: the same fields, owned, with no profile checks.
#[allow(dead_code)]
struct LenientEnvelope {
    version: u64,
    suite: u64,
    channel_id: [u8; 16],
    epoch: u64,
    sender: u64,
    generation: u64,
    reuse_guard: [u8; 4],
    ct: Vec<u8>,
}

fn minicbor_envelope(b: &[u8]) -> Result<LenientEnvelope, minicbor::decode::Error> {
    let size = || minicbor::decode::Error::message("wrong size");
    let mut d = minicbor::Decoder::new(b);
    d.array()?;
    Ok(LenientEnvelope {
        version: d.u64()?,
        suite: d.u64()?,
        channel_id: d.bytes()?.try_into().map_err(|_| size())?,
        epoch: d.u64()?,
        sender: d.u64()?,
        generation: d.u64()?,
        reuse_guard: d.bytes()?.try_into().map_err(|_| size())?,
        ct: d.bytes()?.to_vec(),
    })
}

fn bench(c: &mut Criterion) {
    for (name, bytes) in cases() {
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_with_input(
            BenchmarkId::new("validate", bytes.len()),
            &bytes,
            |bn, b| bn.iter(|| validate(black_box(b), &Profile::DEFAULT).unwrap()),
        );
        g.bench_with_input(
            BenchmarkId::new("strict-decode", bytes.len()),
            &bytes,
            |bn, b| bn.iter(|| strict_decode(name, black_box(b))),
        );
        match name {
            "signed-request" => {
                let v = SignedRequest::decode(&bytes).unwrap();
                g.bench_function("encode", |bn| bn.iter(|| black_box(&v).to_vec()));
            }
            "commit-255-sealed" => {
                let v = Commit::decode(&bytes).unwrap();
                let tbs = v.unverified_tbs().unwrap().danger_assume_verified();
                g.bench_function("encode", |bn| bn.iter(|| black_box(&tbs).to_vec()));
            }
            _ => {
                let v = Envelope::decode(&bytes).unwrap();
                g.bench_function("encode", |bn| bn.iter(|| black_box(&v).to_vec()));
            }
        }
        g.bench_with_input(
            BenchmarkId::new("ciborium-value", bytes.len()),
            &bytes,
            |bn, b| {
                bn.iter(|| {
                    let v: ciborium::Value = ciborium::de::from_reader(black_box(&b[..])).unwrap();
                    black_box(v)
                })
            },
        );
        if name.starts_with("envelope") {
            g.bench_with_input(
                BenchmarkId::new("minicbor-typed", bytes.len()),
                &bytes,
                |bn, b| bn.iter(|| black_box(minicbor_envelope(black_box(b)).unwrap())),
            );
        }
        g.bench_with_input(
            BenchmarkId::new("minicbor-skip", bytes.len()),
            &bytes,
            |bn, b| {
                bn.iter(|| {
                    let mut d = minicbor::Decoder::new(black_box(b));
                    d.skip().unwrap();
                    black_box(d.position())
                })
            },
        );
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
