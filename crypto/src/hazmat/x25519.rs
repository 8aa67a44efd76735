//! X25519 (RFC 7748) for DHKEM(X25519, HKDF-SHA256) and init keys (spec §3.4).
//!
//! Public keys are exactly 32 bytes and used as given: the most significant bit is masked and
//! non-canonical u-coordinates are reduced, as RFC 7748 §5 prescribes. A shared secret of all
//! zeros (the peer sent a low-order point) is rejected, RFC 9180 §7.1.4 / RFC 7748 §6.1.

use core::fmt;

use rand_core::{CryptoRngCore, OsRng};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::secret::Secret32;

/// An X25519 public key (a u-coordinate, RFC 7748 §5).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    /// Wraps 32 bytes. Any value is accepted here; a low-order key is caught when the shared
    /// secret turns out to be zero.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Wraps a slice of exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }

    /// The encoded key.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// True when the key has small order (spec §6.7 well-formedness rule 6, HRT-INV-50):
    /// X25519 with the scalar of 32 bytes `0x01`, which clamping turns into a multiple of 8,
    /// yields the all-zero value exactly for the points of small order.
    pub fn is_small_order(&self) -> bool {
        SecretKey::from_bytes([1u8; 32])
            .diffie_hellman(self)
            .is_err()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("x25519::PublicKey(")?;
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

/// An all-zero X25519 output: the peer's key has small order (RFC 7748 §6.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NonContributory;

/// An X25519 secret key: 32 bytes, clamped at use (RFC 7748 §5 `decodeScalar25519`), so the
/// stored bytes are exactly what RFC 9180 `SerializePrivateKey` returns. Zeroized on drop.
#[derive(Clone)]
pub struct SecretKey(x25519_dalek::StaticSecret);

impl SecretKey {
    /// Wraps secret bytes (not clamped; clamping happens at every use).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(x25519_dalek::StaticSecret::from(bytes))
    }

    /// A fresh key from the OS RNG.
    pub fn generate() -> Self {
        Self::generate_with(&mut OsRng)
    }

    pub(crate) fn generate_with(rng: &mut impl CryptoRngCore) -> Self {
        let mut b = [0u8; 32];
        rng.fill_bytes(&mut b);
        let k = Self::from_bytes(b);
        b.zeroize();
        k
    }

    /// The secret bytes as stored (RFC 9180 `SerializePrivateKey`). Handle with care.
    pub fn to_bytes(&self) -> Secret32 {
        Secret32::from_bytes(self.0.to_bytes())
    }

    /// `X25519(sk, 9)` (RFC 7748 §6.1).
    pub fn public_key(&self) -> PublicKey {
        PublicKey(x25519_dalek::PublicKey::from(&self.0).to_bytes())
    }

    /// `X25519(sk, pk)`, rejecting the all-zero output (RFC 9180 §7.1.4; HRT-CRYPTO-26 on
    /// open, HRT-CRYPTO-27 on seal). Clamping and u-coordinate masking are RFC 7748 §5
    /// (HRT-CRYPTO-25). The comparison with zero is constant-time.
    pub fn diffie_hellman(&self, pk: &PublicKey) -> Result<Secret32, NonContributory> {
        let shared = self.0.diffie_hellman(&x25519_dalek::PublicKey::from(pk.0));
        let out = Secret32::from_bytes(*shared.as_bytes());
        if bool::from(out.as_bytes().ct_eq(&[0u8; 32])) {
            Err(NonContributory)
        } else {
            Ok(out)
        }
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("x25519::SecretKey")
            .field("public", &self.public_key())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
