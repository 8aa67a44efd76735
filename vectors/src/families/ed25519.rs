//! Family `ed25519` (spec §3.5.1, §3.5.5, §4.8): Hearth's own Ed25519 edge cases, with the
//! verdict each role must give. The client verdict (the `result` of a case) is the exact rule
//! of §3.5.1; `host` in the intermediates is `accept`, `reject` or `either` (HRT-CRYPTO-45,
//! HRT-CRYPTO-46, HRT-KEY-29): a host may reject a signature or key only where `A` or `R` is
//! mixed order. Every signature is built by `hearth_crypto::hazmat::ed25519::forge` from a fixed seed
//! and a counter-numbered message; key cases have no signature.

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use hearth_crypto::hazmat::ed25519::forge::{self, Edge};
use hearth_crypto::hazmat::ed25519::{
    verify_batch, BatchItem, Signature, SigningKey, VerifyingKey,
};
use hearth_wire::ErrorCode;
use sha2::{Digest, Sha512};

use crate::model::{ensure, hx, Case, Expected, GenError, VectorFile, R};

/// How a 32-byte point encoding classifies (the vocabulary of the vectors).
fn class(b: &[u8; 32]) -> &'static str {
    let Some(p) = CompressedEdwardsY(*b).decompress() else {
        return "off-curve";
    };
    if p.compress().as_bytes() != b {
        "non-canonical"
    } else if p.is_small_order() {
        "small-order"
    } else if p.is_torsion_free() {
        "order-l"
    } else {
        "mixed-order"
    }
}

/// `(cofactored, cofactorless)` equation verdicts on the decoded points (`None` when a point
/// does not decode); `S` is reduced first only when it is canonical.
fn equations(pk: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> Option<(bool, bool)> {
    let mut rb = [0u8; 32];
    rb.copy_from_slice(sig.get(..32)?);
    let mut sb = [0u8; 32];
    sb.copy_from_slice(sig.get(32..)?);
    let a = CompressedEdwardsY(*pk).decompress()?;
    let r = CompressedEdwardsY(rb).decompress()?;
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(sb))?;
    let mut h = Sha512::new();
    h.update(rb);
    h.update(pk);
    h.update(msg);
    let k = Scalar::from_hash(h);
    let d: EdwardsPoint = EdwardsPoint::mul_base(&s) - r - k * a;
    Some((d.mul_by_cofactor().is_identity(), d.is_identity()))
}

fn host_verdict(client: bool, may_reject: bool) -> &'static str {
    match (client, may_reject) {
        (false, _) => "reject",
        (true, true) => "either",
        (true, false) => "accept",
    }
}

const REQS_SIG: &[&str] = &[
    "HRT-CRYPTO-13",
    "HRT-CRYPTO-14",
    "HRT-CRYPTO-15",
    "HRT-CRYPTO-16",
    "HRT-CRYPTO-17",
    "HRT-CRYPTO-18",
    "HRT-CRYPTO-47",
    "HRT-CRYPTO-45",
    "HRT-CRYPTO-46",
];

/// The family.
pub fn ed25519_family() -> R<VectorFile> {
    let mut cases = Vec::new();
    let honest = SigningKey::from_seed(&[0x5a; 32]);
    let honest_msg = b"hearth ed25519 batch companion".to_vec();
    let honest_sig = honest.sign(&honest_msg);
    for (i, edge) in Edge::ALL.into_iter().enumerate() {
        let seed = [0xe0 + i as u8; 32];
        let mut n = 0u32;
        let f = forge::forge(edge, &seed, || {
            n += 1;
            format!("hearth ed25519 vector {} {n}", edge.slug()).into_bytes()
        })
        .ok_or_else(|| GenError(format!("no message meets the condition of {edge:?}")))?;
        // Self-checks: the client rule, singly and in a batch, gives the edge's verdict.
        let single = VerifyingKey::from_bytes(&f.public_key)
            .and_then(|k| k.verify(&f.message, &Signature::from_bytes(&f.signature)))
            .is_ok();
        ensure(
            single == edge.client_accepts(),
            &format!("{edge:?} single verdict"),
        )?;
        if let Ok(k) = VerifyingKey::from_bytes(&f.public_key) {
            let sig = Signature::from_bytes(&f.signature);
            let batch = verify_batch(&[
                BatchItem {
                    key: honest.verifying_key(),
                    msg: &honest_msg,
                    sig: &honest_sig,
                },
                BatchItem {
                    key: &k,
                    msg: &f.message,
                    sig: &sig,
                },
            ])
            .is_ok();
            ensure(batch == single, &format!("{edge:?} batch verdict"))?;
        }
        let mut rb = [0u8; 32];
        rb.copy_from_slice(f.signature.get(..32).unwrap_or(&[0; 32]));
        let s_lt_l = {
            let mut sb = [0u8; 32];
            sb.copy_from_slice(f.signature.get(32..).unwrap_or(&[0; 32]));
            bool::from(Scalar::from_canonical_bytes(sb).is_some())
        };
        let (cof, cofless) =
            equations(&f.public_key, &f.message, &f.signature).map_or(("n/a", "n/a"), |(a, b)| {
                (
                    if a { "holds" } else { "fails" },
                    if b { "holds" } else { "fails" },
                )
            });
        let host = host_verdict(single, edge.host_may_reject());
        let mut c = Case::new(
            format!("ed25519-sig-{}", edge.slug()),
            format!(
                "Ed25519 signature, A {}, R {}: client {}, host {host}",
                class(&f.public_key),
                class(&rb),
                if single { "accept" } else { "reject" }
            ),
            REQS_SIG,
        )
        .input("public_key", hx(&f.public_key))
        .input("message", hx(&f.message))
        .input("signature", hx(&f.signature))
        .mid("a_class", class(&f.public_key))
        .mid("r_class", class(&rb))
        .mid("s_less_than_l", s_lt_l)
        .mid("cofactored_equation", cof)
        .mid("cofactorless_equation", cofless)
        .mid("host", host);
        c = if single {
            c.out("client", "accept").out("host", host)
        } else {
            c.err(Expected::status(ErrorCode::BAD_SIGNATURE))
        };
        cases.push(c);
    }
    // Keys checked on their own (§4.8): honest, mixed order, and each kind of invalid key.
    let y = |v: u8| {
        let mut b = [0u8; 32];
        b[0] = v;
        b
    };
    let y_p_plus = |v: u8| {
        let mut b = [0xffu8; 32];
        b[0] = 0xed + v;
        b[31] = 0x7f;
        b
    };
    let keys: Vec<(&str, [u8; 32])> = vec![
        ("order-l", forge::order_l_key(&[0xd1; 32])),
        ("mixed-order", forge::mixed_order_key(&[0xd1; 32])),
        ("identity", forge::IDENTITY),
        ("order-8", forge::ORDER_8),
        ("y-zero-order-4", y(0)),
        ("y-p-plus-1", forge::IDENTITY_Y_P_PLUS_1),
        ("negative-zero", forge::IDENTITY_NEG_ZERO),
        ("y-p-plus-3-mixed", y_p_plus(3)),
        ("y-3-mixed-canonical", y(3)),
        ("off-curve-y-2", forge::OFF_CURVE),
        ("off-curve-y-p-plus-2", y_p_plus(2)),
    ];
    for (slug, k) in keys {
        let cls = class(&k);
        let client = VerifyingKey::from_bytes(&k).is_ok();
        ensure(
            client == (cls == "order-l" || cls == "mixed-order"),
            &format!("key {slug} verdict"),
        )?;
        let host = host_verdict(client, cls == "mixed-order");
        let mut c = Case::new(
            format!("ed25519-key-{slug}"),
            format!(
                "an Ed25519 public key checked on its own, {cls}: client {}, host {host}",
                if client { "accept" } else { "reject" }
            ),
            &[
                "HRT-CRYPTO-13",
                "HRT-CRYPTO-14",
                "HRT-KEY-23",
                "HRT-KEY-24",
                "HRT-KEY-29",
            ],
        )
        .input("public_key", hx(&k))
        .mid("class", cls)
        .mid("host", host);
        c = if client {
            c.out("client", "accept").out("host", host)
        } else {
            c.err(Expected::status(ErrorCode::BAD_SIGNATURE))
        };
        cases.push(c);
    }
    // Every non-canonical encoding decodes, if at all, to a point that is not of order L
    // (the `y` values 0 to 18, with either sign bit): §3.5.5 relies on it.
    for v in 0u8..19 {
        for sign in [0u8, 0x80] {
            let mut b = y(v);
            b[31] |= sign;
            if let Some(p) = CompressedEdwardsY(b).decompress() {
                ensure(
                    !p.is_torsion_free() || p.is_small_order(),
                    &format!("y = {v} has a point of order L"),
                )?;
            }
        }
    }
    Ok(VectorFile {
        family: "ed25519",
        description: "Ed25519 edge cases (small-order, mixed-order, non-canonical and off-curve A and R, S >= L, cofactored-only signatures) with the client verdict (result, §3.5.1) and the host verdict (intermediates.host: accept, reject or either, §3.5.5)".into(),
        seed: "fixed seeds 0xe0.. per signature case, 0xd1 for the key cases; messages numbered until the case's condition on k mod 8 holds".into(),
        cases,
    })
}
