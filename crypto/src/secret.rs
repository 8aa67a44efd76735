//! Secret byte strings: zeroized on drop, never printed (spec §3.1 "secrets are zeroized").

use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// An `N`-byte secret (key, nonce base, chain secret). Zeroized on drop; its `Debug` output
/// never shows the contents; equality is only available in constant time ([`Secret::ct_eq`]).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Secret<const N: usize>([u8; N]);

/// The common 32-byte secret (`Nh` of HKDF-SHA256).
pub type Secret32 = Secret<32>;

impl<const N: usize> Secret<N> {
    /// Wraps secret bytes. The caller should zeroize its own copy if it has one.
    pub fn from_bytes(bytes: [u8; N]) -> Self {
        Self(bytes)
    }

    /// Copies a secret from a slice; `None` if the length is not `N`.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; N]>::try_from(bytes).ok().map(Self)
    }

    /// The secret bytes; inside the crate only, so that a secret leaves it only through an
    /// explicit method of the few types whose bytes must leave (a saved state, an invitation
    /// URI) or, in vector generators, [`Secret::danger_expose`].
    pub(crate) fn as_bytes(&self) -> &[u8; N] {
        &self.0
    }

    /// DANGER (feature `danger-expose-secrets`, test vectors only): the secret bytes, so that a
    /// generator can print the intermediate secrets of a derivation.
    #[cfg(feature = "danger-expose-secrets")]
    #[doc(hidden)]
    pub fn danger_expose(&self) -> &[u8; N] {
        &self.0
    }

    /// Constant-time equality.
    pub fn ct_eq(&self, other: &Self) -> bool {
        bool::from(self.0.ct_eq(&other.0))
    }

    pub(crate) fn zero() -> Self {
        Self([0u8; N])
    }

    pub(crate) fn as_mut_bytes(&mut self) -> &mut [u8; N] {
        &mut self.0
    }
}

impl<const N: usize> fmt::Debug for Secret<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret<{N}>(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_contents() {
        let s = Secret32::from_bytes([0xab; 32]);
        let d = format!("{s:?}");
        assert_eq!(d, "Secret<32>(..)");
        assert!(!d.contains("ab") && !d.contains("171"));
    }
}
