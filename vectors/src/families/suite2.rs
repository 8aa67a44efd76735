//! Family `hpke_suite2`: suite 2's key transport (spec §3.1, §3.7): the X-Wing init key of a
//! seed, the X-Wing encapsulation with fixed randomness, and HPKE Base mode over X-Wing
//! (`suite_id` `HPKE 647a 0001 0002`) with Hearth's commit-seal and Welcome info strings;
//! negatives are an encapsulation key that fails FIPS 203 §7.2, opening failures and a
//! `kem-enc` of the wrong size. Suite 1's files do not change (issue 18).

use hearth_crypto::hazmat::aead::Algorithm;
use hearth_crypto::hazmat::hpke::{
    self, Hpke, Mode, XWing, XWingEnc, XWingPublicKey, XWingSecretKey,
};
use hearth_crypto::hazmat::label;
use hearth_crypto::ProtocolError;
use hearth_wire::{encode_with, KemEnc, WireDecode, WireError};

use crate::model::{ensure, hx, Case, Expected, GenError, VectorFile, R};
use crate::util::bytes_seq;

/// The family's file name stem (`vectors/hpke_suite2.json`).
pub const FAMILY: &str = crate::model::SUITE_2_FAMILY;

fn info_commit(cid: &[u8; 16]) -> Vec<u8> {
    encode_with(|e| {
        e.array(2)
            .text(&label::COMMIT_SEAL.wire())
            .array(3)
            .bytes(cid)
            .uint(5)
            .uint(1);
    })
}

fn info_welcome(cid: &[u8; 16]) -> Vec<u8> {
    encode_with(|e| {
        e.array(2)
            .text(&label::WELCOME_SEAL.wire())
            .array(2)
            .bytes(cid)
            .uint(5);
    })
}

/// Requirements every case of the family checks.
const COMMON: &[&str] = &[
    "HRT-CRYPTO-53",
    "HRT-CRYPTO-54",
    "HRT-CRYPTO-28",
    "HRT-CONF-3",
];

/// The `hpke_suite2` vector file.
pub fn hpke_suite2_family() -> R<VectorFile> {
    let xw = Hpke::<XWing>::with_aead(Algorithm::Aes256Gcm);
    let seed_r: [u8; 32] = crate::util::arr32(0x52);
    let sk_r = XWingSecretKey::from_seed(&seed_r);
    let pk_r = sk_r.public_key().clone();
    let cid = crate::util::arr16(0xc2);
    let mut cases = Vec::new();
    cases.push(
        Case::new(
            "suite2-init-key-of-seed",
            "an X-Wing init key from its 32-byte seed: SHAKE256 expansion, ML-KEM-768 KeyGen_internal, X25519",
            COMMON,
        )
        .req("HRT-CRYPTO-58")
        .input("seed", hx(&seed_r))
        .out("public_key", hx(pk_r.as_bytes())),
    );
    type Seal<'a> = (&'a str, &'a str, Vec<u8>, Vec<u8>, &'a [&'a str]);
    let seals: Vec<Seal<'_>> = vec![
        (
            "commit-seal",
            "commit_secret sealed to an X-Wing init key (Table 3.3, commit secret)",
            info_commit(&cid),
            bytes_seq(0x90, 32),
            &["HRT-CRYPTO-29", "HRT-GRP-19"],
        ),
        (
            "welcome-seal",
            "joiner_secret sealed to an X-Wing init key (Table 3.3, Welcome)",
            info_welcome(&cid),
            bytes_seq(0x91, 32),
            &["HRT-CRYPTO-29", "HRT-GRP-55"],
        ),
    ];
    for (slug, d, info, pt, reqs) in seals {
        let eseed = bytes_seq(0xe0 ^ slug.len() as u8, 64);
        let (ss, kem_enc) = hpke::danger_encap_derand::<XWing>(&pk_r, &eseed)?;
        let (enc, mut ctx) =
            xw.danger_setup_s_derand(Mode::Base, &pk_r, &info, b"", b"", &eseed)?;
        ensure(enc == kem_enc, "xwing enc")?;
        let ct = ctx.seal(&[], &pt)?;
        let opened = xw.open_base(&enc, &sk_r, &info, &[], &ct)?;
        ensure(opened.as_slice() == pt.as_slice(), "xwing open")?;
        let base = |id: String, d: &str| {
            let mut c = Case::new(id, d, COMMON)
                .req("HRT-CRYPTO-32")
                .input("seed_r", hx(&seed_r))
                .input("pk_r", hx(pk_r.as_bytes()))
                .input("info", hx(&info))
                .input("aad", hx(&[]));
            for r in reqs {
                c = c.req(r);
            }
            c
        };
        cases.push(
            base(format!("suite2-{slug}"), &format!("{d}: EncapsulateDerand with a fixed 64-byte eseed, the HPKE key schedule of kem_id 0x647a, one Seal; the receiver opens it"))
                .input("eseed", hx(&eseed))
                .input("pt", hx(&pt))
                .mid("shared_secret", hx(ss.danger_expose()))
                .out("enc", hx(enc.as_bytes()))
                .out("ct", hx(&ct)),
        );
        // The receiver's open fails: a flipped ciphertext bit, a flipped ML-KEM ciphertext
        // bit (implicit rejection: another shared secret), a flipped X25519 bit.
        let mut t = ct.clone();
        if let Some(b) = t.first_mut() {
            *b ^= 1;
        }
        let mut em = enc.as_bytes().to_vec();
        if let Some(b) = em.first_mut() {
            *b ^= 1;
        }
        let mut ex = enc.as_bytes().to_vec();
        if let Some(b) = ex.last_mut() {
            *b ^= 1;
        }
        let negs = [
            ("ct-bit-flipped", "a ciphertext with a flipped bit does not open", enc.as_bytes().to_vec(), t),
            ("mlkem-ct-bit-flipped", "an encapsulation whose ML-KEM part has a flipped bit decapsulates to another secret (implicit rejection) and does not open", em, ct.clone()),
            ("x25519-bit-flipped", "an encapsulation whose X25519 part has a flipped bit does not open", ex, ct.clone()),
        ];
        for (nslug, nd, e, c) in negs {
            let e2 = XWingEnc::from_slice(&e).ok_or_else(|| GenError("enc".into()))?;
            let err = xw
                .open_base(&e2, &sk_r, &info, &[], &c)
                .err()
                .ok_or_else(|| GenError(format!("{slug} {nslug} opened")))?;
            cases.push(
                base(format!("suite2-{slug}-{nslug}"), nd)
                    .req("HRT-CRYPTO-57")
                    .req("HRT-CRYPTO-33")
                    .input("enc", hx(&e))
                    .input("ct", hx(&c))
                    .err(Expected::crypto(err)),
            );
        }
    }
    // FIPS 203 §7.2: the first coefficient of the ML-KEM key set to q = 3329 (0xd01).
    let mut bad = pk_r.as_bytes().to_vec();
    if let Some([b0, b1]) = bad.get_mut(..2) {
        *b0 = 0x01;
        *b1 = (*b1 & 0xf0) | 0x0d;
    }
    ensure(XWingPublicKey::from_bytes(&bad).is_err(), "modulus check")?;
    cases.push(
        Case::new(
            "suite2-init-key-modulus",
            "an X-Wing init key whose first ML-KEM coefficient is q = 3329 fails the encapsulation-key check of FIPS 203 §7.2",
            COMMON,
        )
        .req("HRT-CRYPTO-55")
        .input("public_key", hx(&bad))
        .err(Expected::protocol(ProtocolError::InvalidValue)),
    );
    // A kem-enc one byte short of X-Wing's 1,120 (HRT-WIRE-29).
    let short = encode_with(|e| {
        e.bytes(&[7u8; 1119]);
    });
    let err = KemEnc::decode(&short)
        .err()
        .ok_or_else(|| GenError("kem-enc 1119 decoded".into()))?;
    ensure(err == WireError::WrongSize, "wrong size")?;
    cases.push(
        Case::new(
            "suite2-kem-enc-wrong-size",
            "a kem-enc of 1,119 bytes, neither X25519's 32 nor X-Wing's 1,120",
            COMMON,
        )
        .req("HRT-WIRE-29")
        .input("kem_enc", hx(&short))
        .err(Expected::wire(err)),
    );
    Ok(VectorFile {
        family: FAMILY,
        description: "Suite 2's key transport: X-Wing (MLKEM768-X25519, draft-connolly-cfrg-xwing-kem) init keys from seeds, and HPKE Base mode over X-Wing with HKDF-SHA256 and AES-256-GCM (kem_id 0x647a) with Hearth's commit-seal and Welcome info strings and a fixed 64-byte eseed; negatives are open failures, an encapsulation key failing FIPS 203 §7.2 and a kem-enc of the wrong size."
            .into(),
        seed: "fixed inputs (eseed given per case)".into(),
        cases,
    })
}
