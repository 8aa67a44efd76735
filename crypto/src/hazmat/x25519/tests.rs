#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::*;
use crate::test_support::{pins, unhex, unhex_n, upstream_json, WycheproofFile};

fn x25519(k: &str, u: &str) -> Result<Secret32, NonContributory> {
    SecretKey::from_bytes(unhex_n(k)).diffie_hellman(&PublicKey::from_bytes(unhex_n(u)))
}

/// RFC 7748 §5.2, the two single-step test vectors (scalar, u-coordinate, output).
const RFC7748_5_2: [(&str, &str, &str); 2] = [
    (
        "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
        "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
        "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
    ),
    (
        "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
        "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
        "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
    ),
];

/// RFC 7748 §5.2, iterated `k, u = X25519(k, u), k` from `k = u = 9`: after 1 and 1,000
/// iterations (the 1,000,000-iteration value is `#[ignore]`d below for time).
const RFC7748_ITER_1: &str = "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079";
const RFC7748_ITER_1000: &str = "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51";
const RFC7748_ITER_1M: &str = "7c3911e0ab2586fd864497297e575e6f3bc601c0883c30df5f4dd2d24f665424";

/// RFC 7748 §6.1: Alice's and Bob's keys and their shared secret.
const ALICE_SK: &str = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
const ALICE_PK: &str = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
const BOB_SK: &str = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
const BOB_PK: &str = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
const SHARED: &str = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

#[test]
fn rfc7748_section_5_2() {
    for (k, u, out) in RFC7748_5_2 {
        assert_eq!(hex::encode(x25519(k, u).unwrap().as_bytes()), out);
    }
}

fn iterate(n: u32) -> [u8; 32] {
    let mut k = [0u8; 32];
    k[0] = 9;
    let mut u = k;
    for _ in 0..n {
        let r = x25519_dalek::x25519(k, u);
        u = k;
        k = r;
    }
    k
}

#[test]
fn rfc7748_section_5_2_iterated() {
    assert_eq!(hex::encode(iterate(1)), RFC7748_ITER_1);
    assert_eq!(hex::encode(iterate(1000)), RFC7748_ITER_1000);
}

#[test]
#[ignore = "1,000,000 scalar multiplications; run with --ignored"]
fn rfc7748_section_5_2_iterated_million() {
    assert_eq!(hex::encode(iterate(1_000_000)), RFC7748_ITER_1M);
}

#[test]
fn rfc7748_section_6_1() {
    let alice = SecretKey::from_bytes(unhex_n(ALICE_SK));
    let bob = SecretKey::from_bytes(unhex_n(BOB_SK));
    assert_eq!(hex::encode(alice.public_key().as_bytes()), ALICE_PK);
    assert_eq!(hex::encode(bob.public_key().as_bytes()), BOB_PK);
    let k1 = alice.diffie_hellman(&bob.public_key()).unwrap();
    let k2 = bob.diffie_hellman(&alice.public_key()).unwrap();
    assert_eq!(hex::encode(k1.as_bytes()), SHARED);
    assert!(k1.ct_eq(&k2));
    // Stored bytes are the unclamped input (RFC 9180 SerializePrivateKey).
    assert_eq!(hex::encode(alice.to_bytes().as_bytes()), ALICE_SK);
}

#[test]
fn low_order_points_are_non_contributory() {
    let sk = SecretKey::from_bytes([0x42; 32]);
    // u = 0 and u = 1 have small order; u = p (non-canonical 0) as well.
    let mut one = [0u8; 32];
    one[0] = 1;
    let mut p = [0xffu8; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    for u in [[0u8; 32], one, p] {
        assert_eq!(
            sk.diffie_hellman(&PublicKey::from_bytes(u)).err(),
            Some(NonContributory)
        );
    }
}

#[derive(serde::Deserialize)]
struct XdhGroup {
    tests: Vec<XdhTest>,
}

#[derive(serde::Deserialize)]
struct XdhTest {
    #[serde(rename = "tcId")]
    tc_id: u32,
    public: String,
    private: String,
    shared: String,
    result: String,
    flags: Vec<String>,
}

/// Every Wycheproof case: a non-zero expected result must be computed exactly (valid and
/// acceptable alike: twist points and non-canonical u are used as given, RFC 7748 §5); an
/// all-zero expected result (`ZeroSharedSecret`, Wycheproof "acceptable") must be rejected,
/// which is Hearth's rule (RFC 9180 §7.1.4). No case is left out.
#[test]
fn wycheproof_x25519() {
    let Some(file) = upstream_json::<WycheproofFile<XdhGroup>>(pins::WYCHEPROOF_X25519) else {
        return;
    };
    let (mut computed, mut rejected) = (0, 0);
    for t in file.test_groups.iter().flat_map(|g| &g.tests) {
        assert!(
            t.result == "valid" || t.result == "acceptable",
            "tcId {}",
            t.tc_id
        );
        let sk = SecretKey::from_bytes(unhex_n(&t.private));
        let pk = PublicKey::from_slice(&unhex(&t.public)).unwrap();
        let got = sk.diffie_hellman(&pk);
        if t.shared == "00".repeat(32) {
            assert!(
                t.flags.iter().any(|f| f == "ZeroSharedSecret"),
                "tcId {}",
                t.tc_id
            );
            assert_eq!(
                got.err(),
                Some(NonContributory),
                "tcId {}: zero result accepted",
                t.tc_id
            );
            rejected += 1;
        } else {
            let got =
                got.unwrap_or_else(|_| panic!("tcId {}: rejected a contributory result", t.tc_id));
            assert_eq!(hex::encode(got.as_bytes()), t.shared, "tcId {}", t.tc_id);
            computed += 1;
        }
    }
    eprintln!("wycheproof x25519: {computed} computed, {rejected} all-zero results rejected");
    assert!(computed >= 487 && rejected >= 31, "too few X25519 vectors");
}
