#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use ml_kem::{EncapsulateDeterministic, EncodedSizeUser, KemCore, MlKem768, B32};
use proptest::prelude::*;

use super::*;
use crate::hazmat::aead::Algorithm;
use crate::hazmat::hpke::{key_schedule_for, labeled_expand, Hpke, Mode, XWing};
use crate::test_support::{pins, unhex, unhex_n, upstream_json, WycheproofFile};

// --- draft-connolly-cfrg-xwing-kem test vectors ---

#[derive(serde::Deserialize)]
struct XWingVector {
    seed: String,
    sk: String,
    pk: String,
    eseed: String,
    ct: String,
    ss: String,
}

/// All three X-Wing draft vectors: key generation from the seed, `EncapsulateDerand` with
/// `eseed`, and `Decapsulate`.
#[test]
fn xwing_draft_vectors() {
    let Some(all) = upstream_json::<Vec<XWingVector>>(pins::XWING) else {
        return;
    };
    let mut n = 0;
    for (i, v) in all.iter().enumerate() {
        let sk = SecretKey::from_seed(&unhex_n(&v.seed));
        assert_eq!(hex::encode(sk.to_bytes().as_bytes()), v.sk, "case {i}: sk");
        assert_eq!(
            hex::encode(sk.public_key().as_bytes()),
            v.pk,
            "case {i}: pk"
        );
        let pk = PublicKey::from_bytes(&unhex(&v.pk)).unwrap();
        let (ss, ct) = encapsulate_derand(&pk, &unhex_n(&v.eseed)).unwrap();
        assert_eq!(hex::encode(ct.as_bytes()), v.ct, "case {i}: ct");
        assert_eq!(hex::encode(ss.as_bytes()), v.ss, "case {i}: ss (encaps)");
        let enc = Enc::from_slice(&unhex(&v.ct)).unwrap();
        let ss_d = decapsulate(&enc, &sk).unwrap();
        assert_eq!(hex::encode(ss_d.as_bytes()), v.ss, "case {i}: ss (decaps)");
        n += 1;
    }
    eprintln!("xwing-test-vectors: {n} cases passed (keygen, encaps, decaps), 0 skipped");
    assert_eq!(n, 3);
}

// --- draft-ietf-hpke-pq test vectors, KEM 0x647a ---

#[derive(serde::Deserialize)]
struct PqVector {
    mode: u8,
    kem_id: u16,
    kdf_id: u16,
    aead_id: u16,
    info: String,
    #[serde(rename = "ikmE")]
    ikm_e: String,
    #[serde(rename = "ikmR")]
    ikm_r: String,
    #[serde(rename = "skRm")]
    sk_rm: String,
    #[serde(rename = "pkRm")]
    pk_rm: String,
    enc: String,
    shared_secret: String,
    suite_id: String,
    key: String,
    base_nonce: String,
    exporter_secret: String,
    encryptions: Vec<PqEncryption>,
    exports: Vec<PqExport>,
}

#[derive(serde::Deserialize)]
struct PqEncryption {
    aad: String,
    ct: String,
    nonce: String,
    pt: String,
}

#[derive(serde::Deserialize)]
struct PqExport {
    exporter_context: String,
    #[serde(rename = "L")]
    len: usize,
    exported_value: String,
}

#[derive(Default, Debug)]
struct PqCounts {
    sets: usize,
    kem_checked: usize,
    schedule_checked: usize,
    schedule_skipped_kdf: usize,
    nonces_checked: usize,
    aead_checked: usize,
    aead_skipped: usize,
    exports_checked: usize,
    exports_skipped_kdf: usize,
}

fn check_pq_vector(v: &PqVector, c: &mut PqCounts) {
    let name = format!(
        "kem 0x{:04x} kdf 0x{:04x} aead 0x{:04x}",
        v.kem_id, v.kdf_id, v.aead_id
    );
    assert_eq!(v.mode, 0, "{name}: only Base-mode sets are published");
    // The KEM half does not depend on the KDF or AEAD: DeriveKeyPair is SHAKE256.LabeledDerive
    // for every hybrid (draft-ietf-hpke-pq §4), Encap takes ikmE as its randomness.
    let sk = SecretKey::derive_key_pair(&unhex(&v.ikm_r));
    assert_eq!(
        hex::encode(sk.to_bytes().as_bytes()),
        v.sk_rm,
        "{name}: skRm"
    );
    assert_eq!(
        hex::encode(sk.public_key().as_bytes()),
        v.pk_rm,
        "{name}: pkRm"
    );
    let pk = PublicKey::from_bytes(&unhex(&v.pk_rm)).unwrap();
    let eseed: [u8; ESEED_LEN] = unhex_n(&v.ikm_e);
    let (ss, enc) = encapsulate_derand(&pk, &eseed).unwrap();
    assert_eq!(hex::encode(enc.as_bytes()), v.enc, "{name}: enc");
    assert_eq!(
        hex::encode(ss.as_bytes()),
        v.shared_secret,
        "{name}: shared_secret"
    );
    let ss_d = decapsulate(&enc, &sk).unwrap();
    assert!(ss_d.ct_eq(&ss), "{name}: decap");
    c.kem_checked += 1;
    c.sets += 1;

    if v.kdf_id != crate::hazmat::hpke::KDF_ID {
        // SHAKE256 / TurboSHAKE are one-stage KDFs Hearth does not implement.
        c.schedule_skipped_kdf += 1;
        c.exports_skipped_kdf += v.exports.len();
        c.aead_skipped += v.encryptions.len();
        return;
    }
    let sid: [u8; 10] = unhex_n(&v.suite_id);
    let mut want_sid = *b"HPKE\x64\x7a\x00\x01\x00\x00";
    want_sid[8..].copy_from_slice(&v.aead_id.to_be_bytes());
    assert_eq!(sid, want_sid, "{name}: suite_id");
    let key_len = unhex(&v.key).len();
    let info = unhex(&v.info);
    let s = key_schedule_for(&sid, key_len, Mode::Base, &ss, &info, b"", b"").unwrap();
    assert_eq!(hex::encode(&*s.key), v.key, "{name}: key");
    assert_eq!(
        hex::encode(s.base_nonce.as_bytes()),
        v.base_nonce,
        "{name}: base_nonce"
    );
    assert_eq!(
        hex::encode(s.exporter_secret.as_bytes()),
        v.exporter_secret,
        "{name}: exporter_secret"
    );
    c.schedule_checked += 1;
    for (seq, e) in v.encryptions.iter().enumerate() {
        let mut nonce = *s.base_nonce.as_bytes();
        for (n, b) in nonce.iter_mut().skip(4).zip((seq as u64).to_be_bytes()) {
            *n ^= b;
        }
        assert_eq!(hex::encode(nonce), e.nonce, "{name}: nonce {seq}");
        c.nonces_checked += 1;
    }
    for x in &v.exports {
        let mut out = vec![0u8; x.len];
        labeled_expand(
            &sid,
            &s.exporter_secret,
            b"sec",
            &unhex(&x.exporter_context),
            &mut out,
        )
        .unwrap();
        assert_eq!(hex::encode(&out), x.exported_value, "{name}: export");
        c.exports_checked += 1;
    }
    // Seal and open through the public API when the AEAD is one Hearth has.
    let Some(aead) = Algorithm::from_id(v.aead_id) else {
        c.aead_skipped += v.encryptions.len();
        return;
    };
    let hpke = Hpke::<XWing>::with_aead(aead);
    let (enc_s, mut sender) = hpke
        .danger_setup_s_derand(Mode::Base, &pk, &info, b"", b"", &eseed)
        .unwrap();
    assert_eq!(enc_s, enc);
    let mut receiver = hpke.setup_base_r(&enc, &sk, &info).unwrap();
    for e in &v.encryptions {
        let ct = sender.seal(&unhex(&e.aad), &unhex(&e.pt)).unwrap();
        assert_eq!(hex::encode(&ct), e.ct, "{name}: ct");
        let pt = receiver.open(&unhex(&e.aad), &ct).unwrap();
        assert_eq!(hex::encode(pt.as_slice()), e.pt, "{name}: pt");
        c.aead_checked += 1;
    }
}

/// Every draft-ietf-hpke-pq set for KEM 0x647a: the KEM values always; with HKDF-SHA256 the key
/// schedule, every nonce and every export; seal/open where the AEAD is AES-128/256-GCM.
#[test]
fn hpke_pq_xwing_vectors() {
    let Some(all) = upstream_json::<Vec<PqVector>>(pins::HPKE_PQ) else {
        return;
    };
    let mut c = PqCounts::default();
    let others = all.iter().filter(|v| v.kem_id != KEM_ID).count();
    for v in all.iter().filter(|v| v.kem_id == KEM_ID) {
        check_pq_vector(v, &mut c);
    }
    eprintln!("hpke-pq-test-vectors: {c:?}; {others} sets of other KEMs not ours");
    assert_eq!(c.sets, 2);
    assert_eq!(c.kem_checked, 2);
    assert_eq!(c.schedule_checked, 1);
    assert!(c.nonces_checked >= 10 && c.exports_checked >= 5);
}

// --- Wycheproof ML-KEM-768 ---

#[derive(serde::Deserialize)]
struct MlKemGroup {
    #[serde(rename = "parameterSet")]
    parameter_set: String,
    tests: Vec<MlKemTest>,
}

#[derive(serde::Deserialize)]
struct MlKemTest {
    #[serde(rename = "tcId")]
    tc_id: u32,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    seed: String,
    #[serde(default)]
    m: String,
    #[serde(default)]
    ek: String,
    c: String,
    #[serde(rename = "K")]
    k: String,
    result: String,
}

/// Decapsulation as X-Wing runs it: the decapsulation key from a 64-byte `d || z` seed
/// (`KeyGen_internal`), a ciphertext of exactly 1088 bytes. `None` where a length is wrong, which
/// X-Wing's types (a 32-byte seed expanded to 64, a 1120-byte `Enc`) make unrepresentable.
fn mlkem_decaps(seed: &[u8], c: &[u8]) -> Option<(Vec<u8>, [u8; 32])> {
    let seed: &[u8; 64] = seed.try_into().ok()?;
    let (d, z) = seed.split_at(32);
    let (dk, ek) =
        MlKem768::generate_deterministic(&B32::try_from(d).ok()?, &B32::try_from(z).ok()?);
    let ct = ml_kem::Ciphertext::<MlKem768>::try_from(c).ok()?;
    let k = dk.decapsulate(&ct).ok()?;
    Some((ek.as_bytes().to_vec(), k.into()))
}

/// Encapsulation as X-Wing runs it: the key passes the length and [`mlkem_ek_modulus_ok`]
/// checks of [`PublicKey::from_bytes`] first.
fn mlkem_encaps(ek: &[u8], m: &[u8]) -> Option<(Vec<u8>, [u8; 32])> {
    if ek.len() != MLKEM_EK_LEN || !mlkem_ek_modulus_ok(ek) {
        return None;
    }
    let enc = ml_kem::Encoded::<EncapsulationKey<MlKem768Params>>::try_from(ek).ok()?;
    let ek = EncapsulationKey::<MlKem768Params>::from_bytes(&enc);
    let (c, k) = ek.encapsulate_deterministic(&B32::try_from(m).ok()?).ok()?;
    Some((c.to_vec(), k.into()))
}

/// Wycheproof `mlkem_768_test.json`: key generation from seed and decapsulation, including the
/// implicit-rejection cases (random and bit-flipped ciphertexts, strcmp) and wrong lengths.
#[test]
fn wycheproof_mlkem_768_decaps() {
    let Some(f) = upstream_json::<WycheproofFile<MlKemGroup>>(pins::WYCHEPROOF_MLKEM_768) else {
        return;
    };
    let (mut valid, mut invalid) = (0, 0);
    for g in &f.test_groups {
        assert_eq!(g.parameter_set, "ML-KEM-768");
        for t in &g.tests {
            let got = mlkem_decaps(&unhex(&t.seed), &unhex(&t.c));
            match t.result.as_str() {
                "valid" => {
                    let (ek, k) = got.unwrap_or_else(|| panic!("tc {}: rejected", t.tc_id));
                    assert_eq!(hex::encode(ek), t.ek, "tc {} {}: ek", t.tc_id, t.comment);
                    assert_eq!(hex::encode(k), t.k, "tc {} {}: K", t.tc_id, t.comment);
                    valid += 1;
                }
                "invalid" => {
                    assert!(got.is_none(), "tc {} {}: accepted", t.tc_id, t.comment);
                    invalid += 1;
                }
                r => panic!("tc {}: unexpected result {r}", t.tc_id),
            }
        }
    }
    eprintln!("wycheproof-mlkem_768_test: {valid} valid and {invalid} invalid passed, 0 skipped");
    assert_eq!(valid + invalid, 193);
}

/// Wycheproof `mlkem_768_encaps_test.json`: encapsulation with `m`, and the encapsulation-key
/// checks (not reduced mod q, modulus overflow, wrong lengths); for the 1184-byte keys, also
/// that [`PublicKey::from_bytes`] accepts `ek || pk_X` exactly when the key is valid.
#[test]
fn wycheproof_mlkem_768_encaps() {
    let Some(f) = upstream_json::<WycheproofFile<MlKemGroup>>(pins::WYCHEPROOF_MLKEM_768_ENCAPS)
    else {
        return;
    };
    let (mut valid, mut invalid, mut xwing_keys) = (0, 0, 0);
    for g in &f.test_groups {
        assert_eq!(g.parameter_set, "ML-KEM-768");
        for t in &g.tests {
            let ek = unhex(&t.ek);
            let got = mlkem_encaps(&ek, &unhex(&t.m));
            let ok = t.result == "valid";
            match t.result.as_str() {
                "valid" => {
                    let (c, k) = got.unwrap_or_else(|| panic!("tc {}: rejected", t.tc_id));
                    assert_eq!(hex::encode(c), t.c, "tc {} {}: c", t.tc_id, t.comment);
                    assert_eq!(hex::encode(k), t.k, "tc {} {}: K", t.tc_id, t.comment);
                    valid += 1;
                }
                "invalid" => {
                    assert!(got.is_none(), "tc {} {}: accepted", t.tc_id, t.comment);
                    invalid += 1;
                }
                r => panic!("tc {}: unexpected result {r}", t.tc_id),
            }
            if ek.len() == MLKEM_EK_LEN {
                let mut pk = ek.clone();
                pk.extend_from_slice(&[9u8; 32]);
                let parsed = PublicKey::from_bytes(&pk);
                assert_eq!(parsed.is_ok(), ok, "tc {}: X-Wing key check", t.tc_id);
                if !ok {
                    assert_eq!(parsed.unwrap_err(), InvalidPublicKey::Modulus);
                }
                xwing_keys += 1;
            }
        }
    }
    eprintln!(
        "wycheproof-mlkem_768_encaps_test: {valid} valid and {invalid} invalid passed, 0 skipped \
         ({xwing_keys} also as X-Wing public keys)"
    );
    assert_eq!(valid + invalid, 265);
}

// --- Behaviour ---

fn key(n: u8) -> SecretKey {
    SecretKey::from_seed(&[n; 32])
}

#[test]
fn public_key_lengths_are_checked() {
    let pk = key(1).public_key().as_bytes().to_vec();
    assert!(PublicKey::from_bytes(&pk).is_ok());
    for len in [0, 32, 1184, PK_LEN - 1, PK_LEN + 1] {
        let mut b = pk.clone();
        b.resize(len, 0);
        assert_eq!(
            PublicKey::from_bytes(&b),
            Err(InvalidPublicKey::Length),
            "{len}"
        );
    }
    assert!(Enc::from_slice(&[0u8; ENC_LEN - 1]).is_none());
    assert!(Enc::from_slice(&[0u8; ENC_LEN + 1]).is_none());
}

/// FIPS 203 §7.2: a coefficient of `q` (or more) in `ek` is refused, in either 12-bit half.
#[test]
fn unreduced_coefficient_is_refused() {
    let pk = key(2).public_key().as_bytes().to_vec();
    // First coefficient := q = 0xd01: b0 = 0x01, low nibble of b1 = 0xd.
    let mut low = pk.clone();
    low[0] = 0x01;
    low[1] = (low[1] & 0xf0) | 0x0d;
    assert_eq!(PublicKey::from_bytes(&low), Err(InvalidPublicKey::Modulus));
    // Second coefficient := 0xfff: high nibble of b1 and b2.
    let mut high = pk.clone();
    high[1] |= 0xf0;
    high[2] = 0xff;
    assert_eq!(PublicKey::from_bytes(&high), Err(InvalidPublicKey::Modulus));
    // q - 1 is fine; rho (the last 32 bytes of ek) and pk_X are not checked.
    let mut edge = pk.clone();
    edge[0] = 0x00;
    edge[1] = (edge[1] & 0xf0) | 0x0d;
    assert!(PublicKey::from_bytes(&edge).is_ok());
    let mut rho = pk;
    rho[MLKEM_EK_LEN - 1] ^= 0xff;
    rho[PK_LEN - 1] ^= 0xff;
    assert!(PublicKey::from_bytes(&rho).is_ok());
}

/// A tampered ciphertext decapsulates to an unrelated secret (implicit rejection in ML-KEM, and
/// the combiner binds `ct_X`), so the HPKE open fails as an ordinary decrypt failure.
#[test]
fn tampered_enc_is_rejected_implicitly() {
    let sk = key(3);
    let (ss, enc) = encapsulate_derand(sk.public_key(), &[7u8; ESEED_LEN]).unwrap();
    for pos in [0, MLKEM_CT_LEN - 1, MLKEM_CT_LEN, ENC_LEN - 1] {
        let mut b = enc.as_bytes().to_vec();
        b[pos] ^= 1;
        let bad = Enc::from_slice(&b).unwrap();
        assert!(!decapsulate(&bad, &sk).unwrap().ct_eq(&ss), "byte {pos}");
    }
    let hpke = Hpke::<XWing>::with_aead(Algorithm::Aes256Gcm);
    let (enc, ct) = hpke
        .seal_base(sk.public_key(), b"info", b"aad", b"secret")
        .unwrap();
    let mut b = enc.as_bytes().to_vec();
    b[5] ^= 0x80;
    let bad = Enc::from_slice(&b).unwrap();
    assert_eq!(
        hpke.open_base(&bad, &sk, b"info", b"aad", &ct).unwrap_err(),
        CryptoError::Decrypt
    );
    assert_eq!(
        hpke.open_base(&enc, &key(4), b"info", b"aad", &ct)
            .unwrap_err(),
        CryptoError::Decrypt
    );
}

/// X-Wing has no all-zero check: a low-order `ct_X` still yields a secret (from ML-KEM's half)
/// rather than an error, unlike DHKEM (RFC 9180 §7.1.4).
#[test]
fn low_order_ct_x_is_not_an_error() {
    let sk = key(5);
    let (_, enc) = encapsulate_derand(sk.public_key(), &[8u8; ESEED_LEN]).unwrap();
    let mut b = enc.as_bytes().to_vec();
    b[MLKEM_CT_LEN..].fill(0);
    let bad = Enc::from_slice(&b).unwrap();
    assert!(decapsulate(&bad, &sk).is_ok());
}

#[test]
fn hpke_psk_mode_round_trip_and_wrong_psk() {
    let sk = key(6);
    let hpke = Hpke::<XWing>::with_aead(Algorithm::Aes256Gcm);
    let (enc, ct) = hpke
        .seal_psk(
            sk.public_key(),
            b"i",
            b"a",
            b"join",
            b"psk-psk-psk-psk-psk-psk-psk-psk!",
            b"id",
        )
        .unwrap();
    let pt = hpke
        .open_psk(
            &enc,
            &sk,
            b"i",
            b"a",
            &ct,
            b"psk-psk-psk-psk-psk-psk-psk-psk!",
            b"id",
        )
        .unwrap();
    assert_eq!(pt.as_slice(), b"join");
    assert_eq!(
        hpke.open_psk(
            &enc,
            &sk,
            b"i",
            b"a",
            &ct,
            b"another-psk-another-psk-another!",
            b"id"
        )
        .unwrap_err(),
        CryptoError::Decrypt
    );
}

/// The KEM changes the suite_id, so the same shared secret under the two KEMs keys differently.
#[test]
fn suite_id_names_the_kem() {
    assert_eq!(
        &super::super::hpke_suite_id(KEM_ID, Algorithm::Aes256Gcm),
        b"HPKE\x64\x7a\x00\x01\x00\x02"
    );
}

#[test]
fn debug_shows_no_secret() {
    let sk = key(9);
    let d = format!("{sk:?}");
    assert!(d.starts_with("xwing::SecretKey"));
    assert!(!d.contains("0909090909"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Encapsulation and decapsulation agree for any seed and randomness; the public key read
    /// back from its bytes is the same key.
    #[test]
    fn round_trip(seed in any::<[u8; 32]>(), eseed in proptest::collection::vec(any::<u8>(), 64)) {
        let sk = SecretKey::from_seed(&seed);
        let pk = PublicKey::from_bytes(sk.public_key().as_bytes()).unwrap();
        prop_assert_eq!(&pk, sk.public_key());
        let eseed: [u8; 64] = eseed.try_into().unwrap();
        let (ss, enc) = encapsulate_derand(&pk, &eseed).unwrap();
        prop_assert!(decapsulate(&enc, &sk).unwrap().ct_eq(&ss));
    }
}

/// An RNG that counts the bytes drawn from it (zeros are fine for counting).
struct Counting(usize);

impl rand_core::RngCore for Counting {
    fn next_u32(&mut self) -> u32 {
        self.0 += 4;
        0
    }
    fn next_u64(&mut self) -> u64 {
        self.0 += 8;
        0
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0 += dest.len();
        dest.fill(0x42);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}
impl rand_core::CryptoRng for Counting {}

/// KEM agility keeps suite 1's randomness: a DHKEM seal draws exactly its 32-byte `ikmE`, as
/// before the KEM became a parameter (so the deterministic vectors cannot shift); X-Wing draws
/// its 64-byte `eseed`.
#[test]
fn each_kem_draws_exactly_n_random() {
    let dh = crate::hazmat::x25519::SecretKey::from_bytes([3; 32]).public_key();
    let mut rng = Counting(0);
    Hpke::SUITE_1
        .seal_with_rng(&mut rng, Mode::Base, &dh, b"i", b"a", b"p", b"", b"")
        .unwrap();
    assert_eq!(rng.0, 32);
    let mut rng = Counting(0);
    Hpke::<XWing>::with_aead(Algorithm::Aes256Gcm)
        .seal_with_rng(
            &mut rng,
            Mode::Base,
            key(10).public_key(),
            b"i",
            b"a",
            b"p",
            b"",
            b"",
        )
        .unwrap();
    assert_eq!(rng.0, 64);
}
