//! The KEM benchmark of issue 18 (run: `cargo bench -p hearth-crypto --bench kem`): suite 1's
//! DHKEM(X25519, HKDF-SHA256) against X-Wing (MLKEM768-X25519), in one group `kem`:
//!
//! - `{dhkem,xwing}/keygen`: a fresh key pair (X-Wing: the seed's expansion, which a holder of
//!   the 32-byte seed repeats at load time).
//! - `{dhkem,xwing}/encap`, `{dhkem,xwing}/decap`: the bare KEM, no key schedule.
//! - `{dhkem,xwing}/seal_32`, `{dhkem,xwing}/open_32`: single-shot HPKE Base mode with
//!   AES-256-GCM of a 32-byte secret (a commit seal or Welcome).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use hearth_crypto::hazmat::aead::Algorithm;
use hearth_crypto::hazmat::hpke::{self, DhKemX25519, Hpke, XWing, XWingPublicKey, XWingSecretKey};
use hearth_crypto::hazmat::x25519;
use rand_core::{OsRng, RngCore};

const INFO: &[u8] = b"hearth/1 commit-seal";
const SECRET: [u8; 32] = [0x5a; 32];

fn kem(c: &mut Criterion) {
    let mut g = c.benchmark_group("kem");

    let dh_sk = x25519::SecretKey::generate();
    let dh_pk = dh_sk.public_key();
    let xw_sk = XWingSecretKey::generate_with(&mut OsRng);
    let xw_pk: XWingPublicKey = xw_sk.public_key().clone();

    g.bench_function("dhkem/keygen", |b| {
        b.iter(|| x25519::SecretKey::generate().public_key())
    });
    g.bench_function("xwing/keygen", |b| {
        b.iter(|| XWingSecretKey::generate_with(&mut OsRng))
    });

    g.bench_function("dhkem/encap", |b| {
        b.iter_batched(
            rand32,
            |r| hpke::danger_encap_derand::<DhKemX25519>(&dh_pk, &r).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("xwing/encap", |b| {
        b.iter_batched(
            rand64,
            |r| hpke::danger_encap_derand::<XWing>(&xw_pk, &r).unwrap(),
            BatchSize::SmallInput,
        )
    });

    let (_, dh_enc) = hpke::danger_encap_derand::<DhKemX25519>(&dh_pk, &rand32()).unwrap();
    let (_, xw_enc) = hpke::danger_encap_derand::<XWing>(&xw_pk, &rand64()).unwrap();
    g.bench_function("dhkem/decap", |b| {
        b.iter(|| hpke::danger_decap::<DhKemX25519>(&dh_enc, &dh_sk).unwrap())
    });
    g.bench_function("xwing/decap", |b| {
        b.iter(|| hpke::danger_decap::<XWing>(&xw_enc, &xw_sk).unwrap())
    });

    let dh = Hpke::SUITE_1;
    let xw = Hpke::<XWing>::with_aead(Algorithm::Aes256Gcm);
    g.bench_function("dhkem/seal_32", |b| {
        b.iter(|| dh.seal_base(&dh_pk, INFO, b"", &SECRET).unwrap())
    });
    g.bench_function("xwing/seal_32", |b| {
        b.iter(|| xw.seal_base(&xw_pk, INFO, b"", &SECRET).unwrap())
    });
    let (e1, c1) = dh.seal_base(&dh_pk, INFO, b"", &SECRET).unwrap();
    let (e2, c2) = xw.seal_base(&xw_pk, INFO, b"", &SECRET).unwrap();
    g.bench_function("dhkem/open_32", |b| {
        b.iter(|| dh.open_base(&e1, &dh_sk, INFO, b"", &c1).unwrap())
    });
    g.bench_function("xwing/open_32", |b| {
        b.iter(|| xw.open_base(&e2, &xw_sk, INFO, b"", &c2).unwrap())
    });
    g.finish();
}

fn rand32() -> [u8; 32] {
    let mut r = [0u8; 32];
    OsRng.fill_bytes(&mut r);
    r
}

fn rand64() -> [u8; 64] {
    let mut r = [0u8; 64];
    OsRng.fill_bytes(&mut r);
    r
}

criterion_group!(benches, kem);
criterion_main!(benches);
