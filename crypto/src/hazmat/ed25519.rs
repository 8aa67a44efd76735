//! Ed25519 with Hearth's validity rules (spec §3.5), single and batch verification.
//!
//! A signature `(R, S)` on `M` under `A` is valid iff
//!
//! 1. `A` is a canonical encoding (decode then re-encode gives the same 32 bytes, which rejects
//!    `y >= p` and the "negative zero" `x = 0` with the sign bit set), decodes to a curve point,
//!    and is not of small order (`[8]A != identity`);
//! 2. `R` satisfies the same three conditions;
//! 3. `S < L` (canonical scalar);
//! 4. `[8]([S]B - R - [k]A) == identity`, with `k = SHA-512(R || A || M) mod L` reduced before
//!    the multiplication, and the cofactor applied to the point (cofactored equation).
//!
//! Rule 1 is checked once, when a [`VerifyingKey`] is constructed. On the 12 cases of "Taming the
//! many EdDSAs" (Chalkias et al., SSR 2020) exactly cases 3, 4 and 5 are accepted. Because the
//! equation is cofactored, the batch equation (random linear combination) accepts exactly the set
//! single verification accepts: a signature that passes single verification contributes a point
//! killed by `[8]`, whatever its random weight.
//!
//! Signing is RFC 8032 §5.1.6 (deterministic), implemented on curve25519-dalek.

use core::fmt;

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::{clamp_integer, Scalar};
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use rand_core::{CryptoRngCore, OsRng};
use sha2::{Digest, Sha512};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::CryptoError;

/// Length of an encoded public key, `R`, `S` and a seed.
pub const KEY_LEN: usize = 32;
/// Length of an encoded signature `R || S`.
pub const SIGNATURE_LEN: usize = 64;

/// Which validity rule rejected an input. Internal detail for tests and diagnostics; callers of
/// the public API only see [`CryptoError::WeakKey`] or [`CryptoError::Verify`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reject {
    /// Rule 1/2: the encoding is not canonical (`y >= p`, or `x = 0` with the sign bit).
    NonCanonicalPoint,
    /// Rule 1/2: no curve point has this `y`.
    NotOnCurve,
    /// Rule 1/2: the point has small order.
    SmallOrder,
    /// Rule 3: `S >= L`.
    NonCanonicalScalar,
    /// Rule 4: the cofactored equation does not hold.
    Equation,
}

/// Rules 1 and 2: decodes a canonical point that is not of small order.
fn decode_point(bytes: &[u8; 32]) -> Result<EdwardsPoint, Reject> {
    let p = CompressedEdwardsY(*bytes)
        .decompress()
        .ok_or(Reject::NotOnCurve)?;
    // curve25519-dalek reduces y mod p and maps "-0" to 0 when decoding, so re-encoding
    // detects both non-canonical forms (spec §3.5 rules 1 and 2).
    if p.compress().as_bytes() != bytes {
        return Err(Reject::NonCanonicalPoint);
    }
    if p.is_small_order() {
        return Err(Reject::SmallOrder);
    }
    Ok(p)
}

/// `k = SHA-512(R || A || M) mod L` (RFC 8032 §5.1.7 step 2).
fn challenge(r: &[u8; 32], a: &[u8; 32], msg: &[u8]) -> Scalar {
    let mut h = Sha512::new();
    h.update(r);
    h.update(a);
    h.update(msg);
    Scalar::from_hash(h)
}

/// An Ed25519 public key that satisfies rule 1 (canonical, on the curve, not small order).
/// Only validated keys exist: [`VerifyingKey::from_bytes`] rejects weak keys.
#[derive(Clone, Copy)]
pub struct VerifyingKey {
    bytes: [u8; 32],
    point: EdwardsPoint,
}

impl VerifyingKey {
    /// Validates an encoded public key (spec §3.5 rule 1): HRT-CRYPTO-13 (canonical) and
    /// HRT-CRYPTO-14 (not small order); HRT-KEY-24 for roster and join keys. Fails with
    /// [`CryptoError::WeakKey`].
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, CryptoError> {
        Self::validate(bytes).map_err(|_| CryptoError::WeakKey)
    }

    /// Like [`VerifyingKey::from_bytes`] for a slice; a wrong length is a weak key too.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        let b = <&[u8; 32]>::try_from(bytes).map_err(|_| CryptoError::WeakKey)?;
        Self::from_bytes(b)
    }

    pub(crate) fn validate(bytes: &[u8; 32]) -> Result<Self, Reject> {
        let point = decode_point(bytes)?;
        Ok(Self {
            bytes: *bytes,
            point,
        })
    }

    /// The encoded key.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// Verifies `sig` on `msg` under spec §3.5 rules 2 to 4: HRT-CRYPTO-15, HRT-CRYPTO-16 (`R`
    /// canonical, not small order), HRT-CRYPTO-17 (`S < L`), HRT-CRYPTO-18 (cofactored
    /// equation) and HRT-CRYPTO-47 (torsion components accepted, the client rule). Fails with
    /// [`CryptoError::Verify`].
    pub fn verify(&self, msg: &[u8], sig: &Signature) -> Result<(), CryptoError> {
        self.verify_detailed(msg, sig)
            .map_err(|_| CryptoError::Verify)
    }

    pub(crate) fn verify_detailed(&self, msg: &[u8], sig: &Signature) -> Result<(), Reject> {
        // Rule 2.
        let r = decode_point(&sig.r)?;
        // Rule 3.
        let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(sig.s))
            .ok_or(Reject::NonCanonicalScalar)?;
        // Rule 4: [8]([S]B - R - [k]A) == identity.
        let k = challenge(&sig.r, &self.bytes, msg);
        let sb_minus_ka = EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &-self.point, &s);
        if (sb_minus_ka - r).mul_by_cofactor().is_identity() {
            Ok(())
        } else {
            Err(Reject::Equation)
        }
    }
}

impl PartialEq for VerifyingKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for VerifyingKey {}

impl core::hash::Hash for VerifyingKey {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerifyingKey(")?;
        for b in self.bytes {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

/// An encoded Ed25519 signature `R || S`. Parsing only splits the bytes; rules 2 and 3 are
/// checked by verification, so every failure is reported the same way.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    r: [u8; 32],
    s: [u8; 32],
}

impl Signature {
    /// Splits a 64-byte signature into `R` and `S`.
    pub fn from_bytes(bytes: &[u8; 64]) -> Self {
        let mut r = [0u8; 32];
        let mut s = [0u8; 32];
        let (rb, sb) = bytes.split_at(32);
        r.copy_from_slice(rb);
        s.copy_from_slice(sb);
        Self { r, s }
    }

    /// Like [`Signature::from_bytes`] for a slice; a wrong length fails as
    /// [`CryptoError::Verify`].
    pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        let b = <&[u8; 64]>::try_from(bytes).map_err(|_| CryptoError::Verify)?;
        Ok(Self::from_bytes(b))
    }

    /// The encoded signature `R || S`.
    pub fn to_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        let (r, s) = out.split_at_mut(32);
        r.copy_from_slice(&self.r);
        s.copy_from_slice(&self.s);
        out
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signature(")?;
        for b in self.to_bytes() {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

/// An Ed25519 signing key (RFC 8032 §5.1.5), zeroized on drop, never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SigningKey {
    seed: [u8; 32],
    /// The secret scalar `s` (the clamped lower half of SHA-512(seed), reduced mod L).
    scalar: Scalar,
    /// The upper half of SHA-512(seed), the nonce prefix.
    prefix: [u8; 32],
    #[zeroize(skip)]
    public: VerifyingKey,
}

impl SigningKey {
    /// Derives the key pair from a 32-byte seed (RFC 8032 §5.1.5).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        let mut h: [u8; 64] = Sha512::digest(seed).into();
        let mut lower = [0u8; 32];
        let mut prefix = [0u8; 32];
        let (lo, hi) = h.split_at(32);
        lower.copy_from_slice(lo);
        prefix.copy_from_slice(hi);
        h.zeroize();
        let mut clamped = clamp_integer(lower);
        lower.zeroize();
        let scalar = Scalar::from_bytes_mod_order(clamped);
        clamped.zeroize();
        let point = EdwardsPoint::mul_base(&scalar);
        let public = VerifyingKey {
            bytes: point.compress().to_bytes(),
            point,
        };
        Self {
            seed: *seed,
            scalar,
            prefix,
            public,
        }
    }

    /// A fresh key from the operating system's RNG (HRT-CRYPTO-21).
    pub fn generate() -> Self {
        Self::generate_with(&mut OsRng)
    }

    pub(crate) fn generate_with(rng: &mut impl CryptoRngCore) -> Self {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        let k = Self::from_seed(&seed);
        seed.zeroize();
        k
    }

    /// The seed (the RFC 8032 private key). Handle with care.
    pub fn seed(&self) -> &[u8; 32] {
        &self.seed
    }

    /// The public key. A key derived from a seed always satisfies rule 1: `[s]B` with
    /// `s` non-zero mod L has order L.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.public
    }

    /// Signs `msg` (RFC 8032 §5.1.6, PureEdDSA: HRT-CRYPTO-20).
    pub fn sign(&self, msg: &[u8]) -> Signature {
        // r = SHA-512(prefix || M) mod L; R = [r]B.
        let mut h = Sha512::new();
        h.update(self.prefix);
        h.update(msg);
        let mut r = Scalar::from_hash(h);
        let r_bytes = EdwardsPoint::mul_base(&r).compress().to_bytes();
        // S = (r + k·s) mod L.
        let k = challenge(&r_bytes, &self.public.bytes, msg);
        let s = r + k * self.scalar;
        r.zeroize();
        Signature {
            r: r_bytes,
            s: s.to_bytes(),
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

/// One `(key, message, signature)` triple of a batch.
#[derive(Clone, Copy, Debug)]
pub struct BatchItem<'a> {
    /// The validated public key.
    pub key: &'a VerifyingKey,
    /// The signed message.
    pub msg: &'a [u8],
    /// The signature.
    pub sig: &'a Signature,
}

/// A batch verification failure: the index of the first item that fails single verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchError {
    /// Index into the batch of the first invalid signature.
    pub index: usize,
}

impl From<BatchError> for CryptoError {
    fn from(_: BatchError) -> Self {
        CryptoError::Verify
    }
}

/// Verifies a batch of signatures (spec §3.5.4, HRT-CRYPTO-22): every item passes rules 2 and 3
/// and the cofactored batch equation holds with fresh 128-bit coefficients (HRT-CRYPTO-23); on
/// failure each item is verified singly and only singly-invalid ones are reported
/// (HRT-CRYPTO-24).
///
/// ```text
/// z_i      random 128-bit scalars
/// accept iff [8]( (Σ z_i·S_i)·B − Σ z_i·R_i − Σ (z_i·k_i)·A_i ) == identity
/// ```
/// with every `R_i` and `S_i` also passing rules 2 and 3. On failure every item is verified
/// singly and the index of the first invalid one is returned, so the result always equals
/// what single verification says: a batch of singly-valid signatures is accepted
/// deterministically (each term is killed by `[8]`), and a batch containing an invalid one is
/// rejected except with probability about 2^-125.
pub fn verify_batch(items: &[BatchItem<'_>]) -> Result<(), BatchError> {
    verify_batch_with(items, &mut OsRng)
}

pub(crate) fn verify_batch_with(
    items: &[BatchItem<'_>],
    rng: &mut impl CryptoRngCore,
) -> Result<(), BatchError> {
    if batch_equation(items, rng) {
        return Ok(());
    }
    // Fallback: locate the first bad signature with single verification.
    match items
        .iter()
        .position(|it| it.key.verify_detailed(it.msg, it.sig).is_err())
    {
        Some(index) => Err(BatchError { index }),
        // Unreachable in exact arithmetic (see above); agreeing with single verification is
        // the spec's requirement, so the batch is accepted.
        None => Ok(()),
    }
}

/// The cofactored random-linear-combination check; `false` also when an item fails rule 2 or 3.
fn batch_equation(items: &[BatchItem<'_>], rng: &mut impl CryptoRngCore) -> bool {
    let mut scalars = Vec::with_capacity(2 * items.len() + 1);
    let mut points = Vec::with_capacity(2 * items.len() + 1);
    let mut b_coeff = Scalar::ZERO;
    for it in items {
        let Ok(r) = decode_point(&it.sig.r) else {
            return false;
        };
        let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(it.sig.s)) else {
            return false;
        };
        let k = challenge(&it.sig.r, &it.key.bytes, it.msg);
        let mut zb = [0u8; 32];
        if let Some(low) = zb.get_mut(..16) {
            rng.fill_bytes(low);
        }
        let z = Scalar::from_bytes_mod_order(zb);
        b_coeff += z * s;
        scalars.push(-z);
        points.push(r);
        scalars.push(-(z * k));
        points.push(it.key.point);
    }
    scalars.push(b_coeff);
    points.push(ED25519_BASEPOINT_POINT);
    EdwardsPoint::vartime_multiscalar_mul(scalars, points)
        .mul_by_cofactor()
        .is_identity()
}

/// DANGER (feature `danger-forge`, test tooling only): edge-case keys and signatures.
#[cfg(feature = "danger-forge")]
pub mod forge;

#[cfg(test)]
mod tests;
