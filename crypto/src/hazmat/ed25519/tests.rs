#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use proptest::prelude::*;

use super::*;
use crate::test_support::{pins, unhex, unhex_n, upstream_json, WycheproofFile};

/// Seeds a deterministic RNG for batch weights in tests (the weights' secrecy does not matter
/// for agreement, which is deterministic for valid signatures).
struct TestRng(u64);

impl rand_core::RngCore for TestRng {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rand_core::CryptoRng for TestRng {}

/// Single verification of raw bytes: key validity (rule 1) then rules 2-4.
fn single(pk: &[u8], msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
    let key = VerifyingKey::from_slice(pk)?;
    key.verify(msg, &Signature::from_slice(sig)?)
}

/// A few honest signatures to surround an edge case in a batch.
fn honest(n: u8) -> Vec<(SigningKey, Vec<u8>, Signature)> {
    (0..n)
        .map(|i| {
            let sk = SigningKey::from_seed(&[i.wrapping_mul(31).wrapping_add(1); 32]);
            let msg = vec![i; usize::from(i) * 7];
            let sig = sk.sign(&msg);
            (sk, msg, sig)
        })
        .collect()
}

/// Batch-verifies `[honest.., (key, msg, sig), honest..]` with the edge case at `pos`.
fn batch_with(
    key: &VerifyingKey,
    msg: &[u8],
    sig: &Signature,
    pos: usize,
) -> Result<(), BatchError> {
    let h = honest(4);
    let mut items: Vec<BatchItem<'_>> = h
        .iter()
        .map(|(sk, m, s)| BatchItem {
            key: sk.verifying_key(),
            msg: m,
            sig: s,
        })
        .collect();
    items.insert(pos, BatchItem { key, msg, sig });
    verify_batch_with(&items, &mut TestRng(pos as u64 + 1))?;
    // Also with OS randomness.
    verify_batch(&items)
}

// --- RFC 8032 §7.1 ---

struct Rfc8032 {
    secret: &'static str,
    public: &'static str,
    msg: &'static str,
    sig: &'static str,
}

/// RFC 8032 §7.1, TEST 1, TEST 2 and TEST 3 (Ed25519).
const RFC8032: [Rfc8032; 3] = [
    Rfc8032 {
        secret: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        public: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        msg: "",
        sig: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    },
    Rfc8032 {
        secret: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        public: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        msg: "72",
        sig: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    },
    Rfc8032 {
        secret: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        public: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        msg: "af82",
        sig: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    },
];

#[test]
fn rfc8032_section_7_1() {
    for (i, tc) in RFC8032.iter().enumerate() {
        let sk = SigningKey::from_seed(&unhex_n(tc.secret));
        assert_eq!(
            hex::encode(sk.verifying_key().as_bytes()),
            tc.public,
            "TEST {}",
            i + 1
        );
        let msg = unhex(tc.msg);
        let sig = sk.sign(&msg);
        assert_eq!(hex::encode(sig.to_bytes()), tc.sig, "TEST {}", i + 1);
        let vk = VerifyingKey::from_bytes(&unhex_n(tc.public)).unwrap();
        assert!(vk.verify(&msg, &sig).is_ok());
        assert!(verify_batch(&[BatchItem {
            key: &vk,
            msg: &msg,
            sig: &sig
        }])
        .is_ok());
    }
}

#[test]
fn signing_matches_ed25519_dalek() {
    use ed25519_dalek::Signer;
    for seed in 0u8..16 {
        let ours = SigningKey::from_seed(&[seed; 32]);
        let theirs = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
        assert_eq!(
            ours.verifying_key().as_bytes(),
            theirs.verifying_key().as_bytes()
        );
        let msg = [seed; 40];
        assert_eq!(ours.sign(&msg).to_bytes(), theirs.sign(&msg).to_bytes());
    }
}

// --- Rule 1 encodings ---

#[test]
fn non_canonical_and_small_order_keys_are_rejected() {
    // The identity (0, 1): small order.
    let mut id = [0u8; 32];
    id[0] = 1;
    assert_eq!(VerifyingKey::validate(&id).unwrap_err(), Reject::SmallOrder);
    // "Negative zero": x = 0 with the sign bit set.
    let mut neg_zero = id;
    neg_zero[31] |= 0x80;
    assert_eq!(
        VerifyingKey::validate(&neg_zero).unwrap_err(),
        Reject::NonCanonicalPoint
    );
    // y = p + 1 (p = 2^255 - 19), which decodes like y = 1.
    let mut y_ge_p = [0xffu8; 32];
    y_ge_p[0] = 0xee;
    y_ge_p[31] = 0x7f;
    assert_eq!(
        VerifyingKey::validate(&y_ge_p).unwrap_err(),
        Reject::NonCanonicalPoint
    );
    // A y with no x on the curve (y = 2).
    let mut off = [0u8; 32];
    off[0] = 2;
    assert_eq!(
        VerifyingKey::validate(&off).unwrap_err(),
        Reject::NotOnCurve
    );
    assert_eq!(
        VerifyingKey::from_bytes(&off).unwrap_err(),
        CryptoError::WeakKey
    );
    assert_eq!(
        VerifyingKey::from_slice(&[0; 31]).unwrap_err(),
        CryptoError::WeakKey
    );
    // Every seed-derived key is valid.
    for s in 0u8..8 {
        let sk = SigningKey::from_seed(&[s; 32]);
        assert!(VerifyingKey::from_bytes(sk.verifying_key().as_bytes()).is_ok());
    }
}

#[test]
fn s_must_be_reduced() {
    let sk = SigningKey::from_seed(&[9; 32]);
    let sig = sk.sign(b"m");
    // S + L is the same residue but not canonical (rule 3).
    let s = Scalar::from_canonical_bytes(sig.s).unwrap();
    let l_plus_s = {
        // L = 2^252 + 27742317777372353535851937790883648493, little-endian.
        let l = unhex_n::<32>("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
        let mut out = [0u8; 32];
        let mut carry = 0u16;
        for i in 0..32 {
            let v = u16::from(l[i]) + u16::from(s.to_bytes()[i]) + carry;
            out[i] = v as u8;
            carry = v >> 8;
        }
        out
    };
    let bad = Signature {
        r: sig.r,
        s: l_plus_s,
    };
    assert_eq!(
        sk.verifying_key().verify_detailed(b"m", &bad),
        Err(Reject::NonCanonicalScalar)
    );
}

#[test]
fn debug_does_not_leak_the_seed() {
    let sk = SigningKey::from_seed(&[0x5a; 32]);
    let d = format!("{sk:?}");
    assert!(!d.contains("5a5a5a5a"));
    assert!(d.contains("public"));
}

#[test]
fn batch_reports_the_first_bad_index() {
    let h = honest(5);
    let mut sigs: Vec<Signature> = h.iter().map(|(_, _, s)| *s).collect();
    sigs[1].s[0] ^= 1;
    sigs[3].r[0] ^= 1;
    let items: Vec<BatchItem<'_>> = h
        .iter()
        .zip(&sigs)
        .map(|((sk, m, _), s)| BatchItem {
            key: sk.verifying_key(),
            msg: m,
            sig: s,
        })
        .collect();
    assert_eq!(verify_batch(&items), Err(BatchError { index: 1 }));
    assert_eq!(verify_batch(&items[2..]), Err(BatchError { index: 1 }));
    assert!(verify_batch(&items[4..]).is_ok());
    assert!(verify_batch(&[]).is_ok());
}

// --- "Taming the many EdDSAs" (Chalkias, Garillot, Nikolaenko, SSR 2020) ---

#[derive(serde::Deserialize)]
struct SpeccheckCase {
    message: String,
    pub_key: String,
    signature: String,
}

/// Why Hearth rejects each speccheck case (spec §3.5); `None` = accepted.
const SPECCHECK_EXPECTED: [Option<(&str, Reject)>; 12] = [
    Some(("A", Reject::SmallOrder)),         // 0: small A and R, S = 0
    Some(("A", Reject::SmallOrder)),         // 1: small A
    Some(("R", Reject::SmallOrder)),         // 2: small R
    None,                                    // 3: mixed A and R
    None,                                    // 4: passes cofactored only
    None,                                    // 5: needs k reduced before [8]
    Some(("S", Reject::NonCanonicalScalar)), // 6: S > L
    Some(("S", Reject::NonCanonicalScalar)), // 7: S >> L
    Some(("R", Reject::NonCanonicalPoint)),  // 8: non-canonical R
    Some(("R", Reject::NonCanonicalPoint)),  // 9: non-canonical R
    Some(("A", Reject::NonCanonicalPoint)),  // 10: non-canonical A
    Some(("A", Reject::NonCanonicalPoint)),  // 11: non-canonical A
];

#[test]
fn speccheck_cases_accept_exactly_3_4_5_single_and_batch() {
    let Some(cases) = upstream_json::<Vec<SpeccheckCase>>(pins::SPECCHECK) else {
        return;
    };
    assert_eq!(cases.len(), 12);
    let mut accepted = Vec::new();
    let mut batches = 0;
    for (i, c) in cases.iter().enumerate() {
        let (pk, msg, sig) = (unhex(&c.pub_key), unhex(&c.message), unhex(&c.signature));
        let single_ok = single(&pk, &msg, &sig).is_ok();
        if single_ok {
            accepted.push(i);
        }
        // The rule that rejects it.
        let why = match VerifyingKey::validate(&unhex_n(&c.pub_key)) {
            Err(r) => Some(("A", r)),
            Ok(k) => match k.verify_detailed(&msg, &Signature::from_slice(&sig).unwrap()) {
                Ok(()) => None,
                Err(r @ Reject::NonCanonicalScalar) => Some(("S", r)),
                Err(r) => Some(("R", r)),
            },
        };
        assert_eq!(why, SPECCHECK_EXPECTED[i], "speccheck case {i}");
        // Batch agreement: a batch can only hold validated keys; for those, the edge case at
        // every position among honest signatures must give the single verdict.
        if let Ok(key) = VerifyingKey::from_slice(&pk) {
            let s = Signature::from_slice(&sig).unwrap();
            for pos in 0..=4 {
                let b = batch_with(&key, &msg, &s, pos);
                if single_ok {
                    assert_eq!(
                        b,
                        Ok(()),
                        "case {i} at {pos}: batch rejects what single accepts"
                    );
                } else {
                    assert_eq!(b, Err(BatchError { index: pos }), "case {i} at {pos}");
                }
                batches += 1;
            }
            let alone = verify_batch(&[BatchItem {
                key: &key,
                msg: &msg,
                sig: &s,
            }]);
            assert_eq!(alone.is_ok(), single_ok, "case {i} alone");
        }
    }
    assert_eq!(accepted, vec![3, 4, 5]);
    // All three accepted edge cases in one batch with honest signatures.
    let parsed: Vec<(VerifyingKey, Vec<u8>, Signature)> = [3, 4, 5]
        .iter()
        .map(|&i| {
            let c = &cases[i];
            (
                VerifyingKey::from_slice(&unhex(&c.pub_key)).unwrap(),
                unhex(&c.message),
                Signature::from_slice(&unhex(&c.signature)).unwrap(),
            )
        })
        .collect();
    let h = honest(3);
    let mut items: Vec<BatchItem<'_>> = parsed
        .iter()
        .map(|(key, msg, sig)| BatchItem { key, msg, sig })
        .collect();
    items.extend(h.iter().map(|(sk, msg, sig)| BatchItem {
        key: sk.verifying_key(),
        msg,
        sig,
    }));
    assert!(verify_batch(&items).is_ok());
    eprintln!("speccheck: 12 cases checked singly, {batches} mixed batches");
    assert!(batches >= 25);
}

// --- Wycheproof ed25519_test.json ---

#[derive(serde::Deserialize)]
struct EddsaGroup {
    #[serde(rename = "publicKey")]
    public_key: EddsaKey,
    tests: Vec<EddsaTest>,
}

#[derive(serde::Deserialize)]
struct EddsaKey {
    pk: String,
}

#[derive(serde::Deserialize)]
struct EddsaTest {
    #[serde(rename = "tcId")]
    tc_id: u32,
    comment: String,
    msg: String,
    sig: String,
    result: String,
}

/// Wycheproof cases whose expectation differs from Hearth's rule, with the reason. Each is a
/// spec-justified difference (spec §3.5), never a weakening: see the test for the check that
/// this list is exact (no stale entries).
const WYCHEPROOF_ED25519_KNOWN: &[(u32, &str)] = &[];

#[test]
fn wycheproof_ed25519() {
    let Some(file) = upstream_json::<WycheproofFile<EddsaGroup>>(pins::WYCHEPROOF_ED25519) else {
        return;
    };
    let (mut valid, mut invalid, mut batched) = (0, 0, 0);
    let mut disagreements = Vec::new();
    for g in &file.test_groups {
        let pk = unhex(&g.public_key.pk);
        for t in &g.tests {
            let (msg, sig) = (unhex(&t.msg), unhex(&t.sig));
            let ours = single(&pk, &msg, &sig).is_ok();
            let want = match t.result.as_str() {
                "valid" => {
                    valid += 1;
                    true
                }
                "invalid" => {
                    invalid += 1;
                    false
                }
                other => panic!("tcId {}: unexpected result {other}", t.tc_id),
            };
            if ours != want {
                disagreements.push((t.tc_id, ours, t.comment.clone()));
            }
            // Batch must agree with single on every representable case.
            if let (Ok(key), Ok(s)) = (VerifyingKey::from_slice(&pk), Signature::from_slice(&sig)) {
                let b = batch_with(&key, &msg, &s, 2);
                assert_eq!(
                    b.is_ok(),
                    ours,
                    "tcId {}: batch and single disagree",
                    t.tc_id
                );
                if !ours {
                    assert_eq!(b, Err(BatchError { index: 2 }), "tcId {}", t.tc_id);
                }
                batched += 1;
            }
        }
    }
    let known: Vec<u32> = WYCHEPROOF_ED25519_KNOWN.iter().map(|(id, _)| *id).collect();
    let unexpected: Vec<_> = disagreements
        .iter()
        .filter(|(id, _, _)| !known.contains(id))
        .collect();
    assert!(
        unexpected.is_empty(),
        "Hearth's Ed25519 rule disagrees with Wycheproof on (tcId, we accept, comment): {unexpected:?}"
    );
    let stale: Vec<_> = known
        .iter()
        .filter(|id| !disagreements.iter().any(|(d, _, _)| d == *id))
        .collect();
    assert!(
        stale.is_empty(),
        "stale known-difference entries: {stale:?}"
    );
    eprintln!(
        "wycheproof ed25519: {valid} valid, {invalid} invalid checked, {batched} batched, {} known differences",
        disagreements.len()
    );
    assert!(valid >= 88 && invalid >= 63 && batched >= 100);
}

// --- Properties ---

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_signatures_pass_and_bit_flips_fail(
        seed in any::<[u8; 32]>(),
        msg in proptest::collection::vec(any::<u8>(), 0..96),
        target in 0u8..3,
        bit in any::<usize>(),
    ) {
        let sk = SigningKey::from_seed(&seed);
        let vk = *sk.verifying_key();
        let sig = sk.sign(&msg);
        prop_assert!(vk.verify(&msg, &sig).is_ok());
        let h = honest(2);
        let mut items = vec![BatchItem { key: &vk, msg: &msg, sig: &sig }];
        items.extend(h.iter().map(|(k, m, s)| BatchItem { key: k.verifying_key(), msg: m, sig: s }));
        prop_assert!(verify_batch(&items).is_ok());

        let mut pk = *vk.as_bytes();
        let mut m = msg.clone();
        let mut sb = sig.to_bytes();
        match target {
            0 => { let b = bit % 512; sb[b / 8] ^= 1 << (b % 8); }
            1 if !m.is_empty() => { let b = bit % (m.len() * 8); m[b / 8] ^= 1 << (b % 8); }
            _ => { let b = bit % 256; pk[b / 8] ^= 1 << (b % 8); }
        }
        prop_assert!(single(&pk, &m, &sb).is_err());
        if let Ok(key) = VerifyingKey::from_bytes(&pk) {
            let s = Signature::from_bytes(&sb);
            let mut items = vec![BatchItem { key: &key, msg: &m, sig: &s }];
            items.extend(h.iter().map(|(k, m, s)| BatchItem { key: k.verifying_key(), msg: m, sig: s }));
            prop_assert_eq!(verify_batch(&items), Err(BatchError { index: 0 }));
        }
    }
}

/// The forged edge cases (spec §3.5.5, `vectors/ed25519.json`): the client rule accepts exactly
/// the cases `client_accepts` names, singly and in a batch with an honest signature, and
/// ed25519-dalek's `verify_strict` (a strict cofactorless verifier) gives a verdict a host may
/// give: it rejects every case the client rule rejects and accepts every honest one.
#[test]
fn forged_edges_single_batch_and_strict() {
    use super::forge::{forge, Edge};
    let mut rng = TestRng(7);
    for (i, edge) in Edge::ALL.into_iter().enumerate() {
        let seed = [i as u8 + 1; 32];
        let mut n = 0u32;
        let f = forge(edge, &seed, || {
            n += 1;
            format!("forge test {n}").into_bytes()
        })
        .expect("a message meets the condition");
        let client = single(&f.public_key, &f.message, &f.signature).is_ok();
        assert_eq!(client, edge.client_accepts(), "{edge:?} client verdict");
        if let Ok(key) = VerifyingKey::from_bytes(&f.public_key) {
            let sig = Signature::from_bytes(&f.signature);
            let honest = SigningKey::from_seed(&[0x55; 32]);
            let hm = b"honest".to_vec();
            let hs = honest.sign(&hm);
            let items = [
                BatchItem {
                    key: honest.verifying_key(),
                    msg: &hm,
                    sig: &hs,
                },
                BatchItem {
                    key: &key,
                    msg: &f.message,
                    sig: &sig,
                },
            ];
            assert_eq!(
                verify_batch_with(&items, &mut rng).is_ok(),
                client,
                "{edge:?} batch verdict"
            );
        }
        let strict = ed25519_dalek::VerifyingKey::from_bytes(&f.public_key)
            .and_then(|k| {
                k.verify_strict(
                    &f.message,
                    &ed25519_dalek::Signature::from_bytes(&f.signature),
                )
            })
            .is_ok();
        if !client {
            assert!(
                !strict,
                "{edge:?}: verify_strict accepts what the client rule rejects"
            );
        }
        if !edge.host_may_reject() && client {
            assert!(
                strict,
                "{edge:?}: verify_strict rejects an honest signature"
            );
        }
    }
}
