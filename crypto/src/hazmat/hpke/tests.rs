#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::*;
use crate::hazmat::x25519::{PublicKey, SecretKey};
use crate::test_support::{pins, unhex, unhex_n, upstream_json};

// --- RFC 9180 Appendix A ---

#[derive(serde::Deserialize)]
struct Vector {
    mode: u8,
    kem_id: u16,
    kdf_id: u16,
    aead_id: u16,
    #[serde(default)]
    info: String,
    #[serde(rename = "ikmE", default)]
    ikm_e: String,
    #[serde(rename = "pkEm", default)]
    pk_em: String,
    #[serde(rename = "skEm", default)]
    sk_em: String,
    #[serde(rename = "ikmR", default)]
    ikm_r: String,
    #[serde(rename = "pkRm", default)]
    pk_rm: String,
    #[serde(rename = "skRm", default)]
    sk_rm: String,
    #[serde(default)]
    psk: String,
    #[serde(default)]
    psk_id: String,
    #[serde(default)]
    enc: String,
    #[serde(default)]
    shared_secret: String,
    #[serde(default)]
    key_schedule_context: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    base_nonce: String,
    #[serde(default)]
    exporter_secret: String,
    #[serde(default)]
    encryptions: Vec<Encryption>,
    #[serde(default)]
    exports: Vec<Export>,
}

#[derive(serde::Deserialize)]
struct Encryption {
    sequence_number: u64,
    pt: String,
    aad: String,
    nonce: String,
    ct: String,
}

#[derive(serde::Deserialize)]
struct Export {
    exporter_context: String,
    #[serde(rename = "L")]
    len: usize,
    exported_value: String,
}

#[derive(Default)]
struct Counts {
    sets: usize,
    fields: usize,
    encryptions: usize,
    exports: usize,
}

fn check_vector(v: &Vector, c: &mut Counts) {
    let name = format!("mode {} aead {}", v.mode, v.aead_id);
    let hpke = Hpke::new(Algorithm::from_id(v.aead_id).unwrap());
    let mode = match v.mode {
        0 => Mode::Base,
        1 => Mode::Psk,
        m => panic!("unexpected mode {m}"),
    };
    let mut eq = |what: &str, got: &[u8], want: &str| {
        assert_eq!(hex::encode(got), want, "{name}: {what}");
        c.fields += 1;
    };

    // DeriveKeyPair for both key pairs.
    let (sk_e, pk_e) = derive_key_pair(&unhex(&v.ikm_e));
    eq("skEm", sk_e.to_bytes().as_bytes(), &v.sk_em);
    eq("pkEm", pk_e.as_bytes(), &v.pk_em);
    let (sk_r, pk_r) = derive_key_pair(&unhex(&v.ikm_r));
    eq("skRm", sk_r.to_bytes().as_bytes(), &v.sk_rm);
    eq("pkRm", pk_r.as_bytes(), &v.pk_rm);

    // Encap / Decap.
    let (ss, enc) = encap_derand(&pk_r, &unhex(&v.ikm_e)).unwrap();
    eq("enc", enc.as_bytes(), &v.enc);
    eq("shared_secret (Encap)", ss.as_bytes(), &v.shared_secret);
    let ss_r = decap(&enc, &sk_r).unwrap();
    eq("shared_secret (Decap)", ss_r.as_bytes(), &v.shared_secret);

    // Key schedule.
    let (info, psk, psk_id) = (unhex(&v.info), unhex(&v.psk), unhex(&v.psk_id));
    let s = key_schedule(KEM_ID, hpke.aead(), mode, &ss, &info, &psk, &psk_id).unwrap();
    eq(
        "key_schedule_context",
        &s.key_schedule_context,
        &v.key_schedule_context,
    );
    eq("secret", s.secret.as_bytes(), &v.secret);
    eq("key", &s.key, &v.key);
    eq("base_nonce", s.base_nonce.as_bytes(), &v.base_nonce);
    eq(
        "exporter_secret",
        s.exporter_secret.as_bytes(),
        &v.exporter_secret,
    );

    // Contexts through the public setup functions.
    let (enc_s, mut sender) = hpke
        .danger_setup_s_derand(mode, &pk_r, &info, &psk, &psk_id, &unhex(&v.ikm_e))
        .unwrap();
    assert_eq!(enc_s, enc);
    let mut receiver = match mode {
        Mode::Base => hpke.setup_base_r(&enc, &sk_r, &info).unwrap(),
        Mode::Psk => hpke.setup_psk_r(&enc, &sk_r, &info, &psk, &psk_id).unwrap(),
    };
    for e in &v.encryptions {
        sender.set_seq(e.sequence_number);
        assert_eq!(
            hex::encode(sender.0.compute_nonce()),
            e.nonce,
            "{name}: nonce {}",
            e.sequence_number
        );
        let ct = sender.seal(&unhex(&e.aad), &unhex(&e.pt)).unwrap();
        assert_eq!(hex::encode(&ct), e.ct, "{name}: ct {}", e.sequence_number);
        assert_eq!(sender.0.seq, e.sequence_number + 1);
        receiver.set_seq(e.sequence_number);
        let pt = receiver.open(&unhex(&e.aad), &unhex(&e.ct)).unwrap();
        assert_eq!(
            hex::encode(pt.as_slice()),
            e.pt,
            "{name}: pt {}",
            e.sequence_number
        );
        c.encryptions += 1;
    }
    for x in &v.exports {
        let ctx = unhex(&x.exporter_context);
        let a = sender.export(&ctx, x.len).unwrap();
        let b = receiver.export(&ctx, x.len).unwrap();
        assert_eq!(
            hex::encode(a.as_slice()),
            x.exported_value,
            "{name}: export"
        );
        assert_eq!(a, b);
        c.exports += 1;
    }
    c.sets += 1;
}

/// Every RFC 9180 Appendix A set with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM or
/// AES-256-GCM, mode Base or PSK. (The RFC has no X25519 + AES-256-GCM set; that AEAD is covered
/// by Wycheproof and the round-trip tests.)
#[test]
fn rfc9180_appendix_a() {
    let Some(all) = upstream_json::<Vec<Vector>>(pins::RFC9180) else {
        return;
    };
    let mut c = Counts::default();
    for v in all.iter().filter(|v| {
        v.kem_id == KEM_ID
            && v.kdf_id == KDF_ID
            && (v.aead_id == 1 || v.aead_id == 2)
            && (v.mode == 0 || v.mode == 1)
    }) {
        check_vector(v, &mut c);
    }
    eprintln!(
        "rfc9180: {} sets, {} derived values, {} encryptions, {} exports checked",
        c.sets, c.fields, c.encryptions, c.exports
    );
    assert!(c.sets >= 2 && c.fields == 12 * c.sets && c.encryptions >= 12 && c.exports >= 6);
}

// --- Behaviour ---

fn recipient() -> (SecretKey, PublicKey) {
    derive_key_pair(b"hearth hpke test recipient key material")
}

#[test]
fn single_shot_round_trip_both_modes() {
    let (sk, pk) = recipient();
    for hpke in [Hpke::SUITE_1, Hpke::new(Algorithm::Aes128Gcm)] {
        let (enc, ct) = hpke
            .seal_base(&pk, b"info", b"aad", b"commit secret")
            .unwrap();
        assert_eq!(
            hpke.open_base(&enc, &sk, b"info", b"aad", &ct)
                .unwrap()
                .as_slice(),
            b"commit secret"
        );
        assert_eq!(
            hpke.open_base(&enc, &sk, b"inf0", b"aad", &ct).unwrap_err(),
            CryptoError::Decrypt
        );
        assert!(hpke.open_base(&enc, &sk, b"info", b"aaD", &ct).is_err());
        let (enc, ct) = hpke
            .seal_psk(
                &pk,
                b"info",
                b"aad",
                b"join request",
                &[1; 32],
                b"invite id",
            )
            .unwrap();
        assert_eq!(
            hpke.open_psk(&enc, &sk, b"info", b"aad", &ct, &[1; 32], b"invite id")
                .unwrap()
                .as_slice(),
            b"join request"
        );
        // Wrong PSK, wrong psk_id, or opening a PSK message in Base mode fails.
        assert!(hpke
            .open_psk(&enc, &sk, b"info", b"aad", &ct, &[2; 32], b"invite id")
            .is_err());
        assert!(hpke
            .open_psk(&enc, &sk, b"info", b"aad", &ct, &[1; 32], b"invite iD")
            .is_err());
        assert!(hpke.open_base(&enc, &sk, b"info", b"aad", &ct).is_err());
    }
    // A different recipient cannot open.
    let (other, _) = derive_key_pair(b"someone else");
    let (enc, ct) = Hpke::SUITE_1.seal_base(&pk, b"", b"", b"x").unwrap();
    assert!(Hpke::SUITE_1
        .open_base(&enc, &other, b"", b"", &ct)
        .is_err());
}

#[test]
fn fresh_ephemeral_per_seal() {
    let (_, pk) = recipient();
    let (e1, c1) = Hpke::SUITE_1.seal_base(&pk, b"", b"", b"same").unwrap();
    let (e2, c2) = Hpke::SUITE_1.seal_base(&pk, b"", b"", b"same").unwrap();
    assert_ne!(e1, e2);
    assert_ne!(c1, c2);
}

#[test]
fn psk_inputs_both_present_or_both_absent() {
    let (sk, pk) = recipient();
    let h = Hpke::SUITE_1;
    let misuse = CryptoError::Misuse(Misuse::PskInputs);
    assert_eq!(h.setup_psk_s(&pk, b"", b"", b"id").err().unwrap(), misuse);
    assert_eq!(
        h.setup_psk_s(&pk, b"", &[1; 32], b"").err().unwrap(),
        misuse
    );
    assert_eq!(h.setup_psk_s(&pk, b"", b"", b"").err().unwrap(), misuse);
    let enc = Enc::from_bytes(*pk.as_bytes());
    assert_eq!(
        h.setup_psk_r(&enc, &sk, b"", &[1; 32], b"").err().unwrap(),
        misuse
    );
    assert_eq!(
        h.setup_psk_r(&enc, &sk, b"", b"", b"").err().unwrap(),
        misuse
    );
    // Base mode never takes a PSK.
    assert_eq!(
        h.danger_setup_s_derand(Mode::Base, &pk, b"", &[1; 32], b"id", &[0; 32])
            .err()
            .unwrap(),
        misuse
    );
    assert_eq!(misuse.code(), hearth_wire::ErrorCode::INTERNAL);
}

/// RFC 9180 §7.1.4: an all-zero DH result is rejected on both sides. At the recipient it is an
/// ordinary decryption failure (`decrypt_failed`).
#[test]
fn non_contributory_dh_is_rejected() {
    let (sk, _) = recipient();
    let mut one = [0u8; 32];
    one[0] = 1;
    for low in [[0u8; 32], one] {
        let pk = PublicKey::from_bytes(low);
        assert_eq!(
            Hpke::SUITE_1.seal_base(&pk, b"", b"", b"x").unwrap_err(),
            CryptoError::NonContributory
        );
        let err = Hpke::SUITE_1
            .open_base(&Enc::from_bytes(low), &sk, b"", b"", &[0; 32])
            .unwrap_err();
        assert_eq!(err, CryptoError::Decrypt);
        assert_eq!(err.code(), hearth_wire::ErrorCode::DECRYPT_FAILED);
    }
}

#[test]
fn context_sequence_and_limits() {
    let (sk, pk) = recipient();
    let h = Hpke::SUITE_1;
    let (enc, mut s) = h.setup_base_s(&pk, b"ctx").unwrap();
    let mut r = h.setup_base_r(&enc, &sk, b"ctx").unwrap();
    let c0 = s.seal(b"", b"m0").unwrap();
    let c1 = s.seal(b"", b"m1").unwrap();
    // Out of order fails and does not advance the receiver.
    assert!(r.open(b"", &c1).is_err());
    assert_eq!(r.open(b"", &c0).unwrap().as_slice(), b"m0");
    assert_eq!(r.open(b"", &c1).unwrap().as_slice(), b"m1");
    // The last sequence number cannot be used (it could not be incremented).
    s.set_seq(u64::MAX);
    assert_eq!(
        s.seal(b"", b"x").unwrap_err(),
        CryptoError::Misuse(Misuse::MessageLimit)
    );
    assert_eq!(s.0.seq, u64::MAX);
    // Export bounds: 255 * 32 is the largest length.
    assert_eq!(s.export(b"", 255 * 32).unwrap().len(), 255 * 32);
    assert_eq!(
        s.export(b"", 255 * 32 + 1).unwrap_err(),
        CryptoError::Misuse(Misuse::OutputLength)
    );
}

#[test]
fn suite_ids() {
    assert_eq!(&KEM_SUITE_ID, b"KEM\x00\x20");
    assert_eq!(
        &hpke_suite_id(KEM_ID, Algorithm::Aes256Gcm),
        b"HPKE\x00\x20\x00\x01\x00\x02"
    );
    assert_eq!(Mode::Psk.id(), 1);
}

#[test]
fn secrets_round_trip_through_bytes() {
    let sk = SecretKey::from_bytes(unhex_n(
        "4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8",
    ));
    assert_eq!(
        hex::encode(sk.public_key().as_bytes()),
        "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d"
    );
}
