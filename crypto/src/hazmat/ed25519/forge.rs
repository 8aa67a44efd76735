//! DANGER (test tooling only, feature `danger-forge`): Ed25519 public keys and signatures with
//! small-order, mixed-order and non-canonical components, and with `S >= L`, as spec §3.5.5
//! classifies them per role. No honest signer produces any of them (apart from
//! `Edge::Honest`); the vectors of `vectors/ed25519.json` and the host suite's
//! `host.ed25519.*` tests are built from them.
//!
//! Several edges need the challenge `k = SHA-512(R || A || M) mod L` to satisfy a condition
//! modulo 8 (for example "`[k]T = -T`", so that a torsion component cancels in the cofactorless
//! equation); `forge` then asks the caller for further messages until one does.

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use sha2::{Digest, Sha512};

use super::challenge;

/// A point of order 8 (the canonical encoding with `y = 26e8…05`, sign bit clear).
pub const ORDER_8: [u8; 32] = [
    0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
    0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05,
];

/// The identity encoded with `y = p + 1` (non-canonical).
pub const IDENTITY_Y_P_PLUS_1: [u8; 32] = {
    let mut b = [0xff; 32];
    b[0] = 0xee;
    b[31] = 0x7f;
    b
};

/// The identity with the sign bit set ("negative zero", non-canonical).
pub const IDENTITY_NEG_ZERO: [u8; 32] = {
    let mut b = [0; 32];
    b[0] = 1;
    b[31] = 0x80;
    b
};

/// The canonical identity (`y = 1`, small order).
pub const IDENTITY: [u8; 32] = {
    let mut b = [0; 32];
    b[0] = 1;
    b
};

/// `y = 2`: no curve point has this `y`.
pub const OFF_CURVE: [u8; 32] = {
    let mut b = [0; 32];
    b[0] = 2;
    b
};

/// `L` little-endian.
const L_BYTES: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// Which edge case to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    /// `A`, `R` of order L; a valid signature every verifier accepts.
    Honest,
    /// `A = [a]B + T8`, `R` of order L, `k mod 8 != 0`: only the cofactored equation holds.
    MixedKeyCofactoredOnly,
    /// `A = [a]B + T8`, `R = [r]B + T8`, `k = 7 mod 8`: both equations hold.
    MixedKeyBothEquations,
    /// `A` of order L, `R = [r]B + T8`: only the cofactored equation holds.
    TorsionR,
    /// `A = [a]B + T8`, `R = [r]B + T8`, `k != 7 mod 8`: only the cofactored equation holds.
    MixedKeyTorsionRCofactoredOnly,
    /// `A = T8` (order 8), `S = r`, `k = 0 mod 8`: both equations hold; `A` is small order.
    SmallOrderKey,
    /// `A` = the identity encoded as `y = p + 1`; both equations hold on the decoded point.
    NonCanonicalKey,
    /// `A` = the identity with the sign bit set; both equations hold on the decoded point.
    NegativeZeroKey,
    /// `A = [a]B + T8`, `R = T8`, `S = k·a`, `k = 7 mod 8`: both equations hold; `R` small.
    SmallOrderR,
    /// `R` = the canonical identity, `S = k·a`: both equations hold; `R` small order.
    IdentityR,
    /// `R` = the identity encoded as `y = p + 1`, `S = k·a`: both equations hold.
    NonCanonicalR,
    /// `R` = the identity with the sign bit set, `S = k·a`: both equations hold.
    NegativeZeroR,
    /// An honest signature with `S + L` in place of `S`.
    SPlusL,
    /// An honest signature with `S + n·L`, `n` the largest that stays below 2^256.
    SPlusManyL,
    /// `A` is not on the curve (`y = 2`).
    OffCurveKey,
    /// `R` is not on the curve (`y = 2`).
    OffCurveR,
    /// An honest signature with `S + 1`: no equation holds.
    WrongS,
}

impl Edge {
    /// Every edge, in a stable order.
    pub const ALL: [Edge; 17] = [
        Edge::Honest,
        Edge::MixedKeyCofactoredOnly,
        Edge::MixedKeyBothEquations,
        Edge::TorsionR,
        Edge::MixedKeyTorsionRCofactoredOnly,
        Edge::SmallOrderKey,
        Edge::NonCanonicalKey,
        Edge::NegativeZeroKey,
        Edge::SmallOrderR,
        Edge::IdentityR,
        Edge::NonCanonicalR,
        Edge::NegativeZeroR,
        Edge::SPlusL,
        Edge::SPlusManyL,
        Edge::OffCurveKey,
        Edge::OffCurveR,
        Edge::WrongS,
    ];

    /// A stable slug for vector ids and test output.
    pub fn slug(self) -> &'static str {
        match self {
            Edge::Honest => "honest",
            Edge::MixedKeyCofactoredOnly => "mixed-a-cofactored-only",
            Edge::MixedKeyBothEquations => "mixed-a-mixed-r-both-equations",
            Edge::TorsionR => "torsion-r-cofactored-only",
            Edge::MixedKeyTorsionRCofactoredOnly => "mixed-a-mixed-r-cofactored-only",
            Edge::SmallOrderKey => "small-order-a",
            Edge::NonCanonicalKey => "non-canonical-a",
            Edge::NegativeZeroKey => "negative-zero-a",
            Edge::SmallOrderR => "small-order-r",
            Edge::IdentityR => "identity-r",
            Edge::NonCanonicalR => "non-canonical-r",
            Edge::NegativeZeroR => "negative-zero-r",
            Edge::SPlusL => "s-plus-l",
            Edge::SPlusManyL => "s-plus-15l",
            Edge::OffCurveKey => "off-curve-a",
            Edge::OffCurveR => "off-curve-r",
            Edge::WrongS => "wrong-s",
        }
    }

    /// Whether spec §3.5.1 (the client rule) accepts the signature.
    pub fn client_accepts(self) -> bool {
        matches!(
            self,
            Edge::Honest
                | Edge::MixedKeyCofactoredOnly
                | Edge::MixedKeyBothEquations
                | Edge::TorsionR
                | Edge::MixedKeyTorsionRCofactoredOnly
        )
    }

    /// Whether a host may reject a signature §3.5.1 accepts (`A` or `R` is mixed order,
    /// HRT-CRYPTO-46).
    pub fn host_may_reject(self) -> bool {
        self.client_accepts() && self != Edge::Honest
    }

    /// The condition on `k mod 8` this edge needs.
    fn wants(self, k_mod_8: u8) -> bool {
        match self {
            Edge::MixedKeyCofactoredOnly => k_mod_8 != 0,
            Edge::MixedKeyBothEquations | Edge::SmallOrderR => k_mod_8 == 7,
            Edge::MixedKeyTorsionRCofactoredOnly => k_mod_8 != 7,
            Edge::SmallOrderKey => k_mod_8 == 0,
            _ => true,
        }
    }
}

/// One forged input: the key, the message and the signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forged {
    /// The 32-byte public key.
    pub public_key: [u8; 32],
    /// The message the signature is on.
    pub message: Vec<u8>,
    /// `R || S`.
    pub signature: [u8; 64],
}

fn scalar_from(parts: &[&[u8]]) -> Scalar {
    let mut h = Sha512::new();
    for p in parts {
        h.update(p);
    }
    Scalar::from_hash(h)
}

fn decode(b: &[u8; 32]) -> EdwardsPoint {
    CompressedEdwardsY(*b)
        .decompress()
        .unwrap_or_else(EdwardsPoint::identity)
}

/// `x + n·L` as 32 little-endian bytes (wrapping beyond 2^256 never happens for the `n` used).
fn add_multiple_of_l(x: &[u8; 32], n: u16) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry: u32 = 0;
    for i in 0..32 {
        let xi = u32::from(x.get(i).copied().unwrap_or(0));
        let li = u32::from(L_BYTES.get(i).copied().unwrap_or(0));
        let v = xi + li * u32::from(n) + carry;
        if let Some(o) = out.get_mut(i) {
            *o = (v & 0xff) as u8;
        }
        carry = v >> 8;
    }
    out
}

/// A mixed-order point: `[a]B + T8`.
pub fn mixed_order_key(seed: &[u8; 32]) -> [u8; 32] {
    let a = scalar_from(&[b"hearth forge a", seed]);
    (EdwardsPoint::mul_base(&a) + decode(&ORDER_8))
        .compress()
        .to_bytes()
}

/// An honest key `[a]B` with the secret scalar of `seed` (the same `a` [`mixed_order_key`] uses).
pub fn order_l_key(seed: &[u8; 32]) -> [u8; 32] {
    let a = scalar_from(&[b"hearth forge a", seed]);
    EdwardsPoint::mul_base(&a).compress().to_bytes()
}

/// Builds `edge` from `seed`, drawing messages from `next_message` until the edge's condition
/// on `k` holds (at most 256 messages; `None` if none did, which for the conditions used
/// happens with probability below 2^-49).
pub fn forge(
    edge: Edge,
    seed: &[u8; 32],
    mut next_message: impl FnMut() -> Vec<u8>,
) -> Option<Forged> {
    let t8 = decode(&ORDER_8);
    let a = scalar_from(&[b"hearth forge a", seed]);
    let a_pt = EdwardsPoint::mul_base(&a);
    for _ in 0..256 {
        let msg = next_message();
        let r = scalar_from(&[b"hearth forge r", seed, &msg]);
        let r_pt = EdwardsPoint::mul_base(&r);
        let (pk, r_bytes): ([u8; 32], [u8; 32]) = match edge {
            Edge::Honest | Edge::SPlusL | Edge::SPlusManyL | Edge::WrongS => {
                (a_pt.compress().to_bytes(), r_pt.compress().to_bytes())
            }
            Edge::MixedKeyCofactoredOnly => (
                (a_pt + t8).compress().to_bytes(),
                r_pt.compress().to_bytes(),
            ),
            Edge::MixedKeyBothEquations | Edge::MixedKeyTorsionRCofactoredOnly => (
                (a_pt + t8).compress().to_bytes(),
                (r_pt + t8).compress().to_bytes(),
            ),
            Edge::TorsionR => (
                a_pt.compress().to_bytes(),
                (r_pt + t8).compress().to_bytes(),
            ),
            Edge::SmallOrderKey => (ORDER_8, r_pt.compress().to_bytes()),
            Edge::NonCanonicalKey => (IDENTITY_Y_P_PLUS_1, r_pt.compress().to_bytes()),
            Edge::NegativeZeroKey => (IDENTITY_NEG_ZERO, r_pt.compress().to_bytes()),
            Edge::SmallOrderR => ((a_pt + t8).compress().to_bytes(), ORDER_8),
            Edge::IdentityR => (a_pt.compress().to_bytes(), IDENTITY),
            Edge::NonCanonicalR => (a_pt.compress().to_bytes(), IDENTITY_Y_P_PLUS_1),
            Edge::NegativeZeroR => (a_pt.compress().to_bytes(), IDENTITY_NEG_ZERO),
            Edge::OffCurveKey => (OFF_CURVE, r_pt.compress().to_bytes()),
            Edge::OffCurveR => (a_pt.compress().to_bytes(), OFF_CURVE),
        };
        let k = challenge(&r_bytes, &pk, &msg);
        let k_mod_8 = k.as_bytes().first().copied().unwrap_or(0) & 7;
        if !edge.wants(k_mod_8) {
            continue;
        }
        let s = match edge {
            // The key is small order or the identity: [S]B = R.
            Edge::SmallOrderKey | Edge::NonCanonicalKey | Edge::NegativeZeroKey => r,
            // R is small order or the identity: [S]B = [k][a]B.
            Edge::SmallOrderR | Edge::IdentityR | Edge::NonCanonicalR | Edge::NegativeZeroR => {
                k * a
            }
            Edge::WrongS => r + k * a + Scalar::ONE,
            _ => r + k * a,
        };
        let s_bytes = match edge {
            Edge::SPlusL => add_multiple_of_l(s.as_bytes(), 1),
            Edge::SPlusManyL => {
                // The largest n with S + n·L < 2^256: 2^256 / L is just below 16.
                let n = if s.as_bytes().get(31).copied().unwrap_or(0) < 0x10 {
                    15
                } else {
                    14
                };
                add_multiple_of_l(s.as_bytes(), n)
            }
            _ => s.to_bytes(),
        };
        let mut signature = [0u8; 64];
        signature[..32].copy_from_slice(&r_bytes);
        signature[32..].copy_from_slice(&s_bytes);
        return Some(Forged {
            public_key: pk,
            message: msg,
            signature,
        });
    }
    None
}
