//! The KEM interface of HPKE (RFC 9180 §4; draft-ietf-hpke-pq §4 for X-Wing): what the key
//! schedule needs from a KEM, so that one [`super::Hpke`] serves suite 1 and suite 2.

use core::fmt::Debug;
use core::hash::Hash;

use super::{dhkem, xwing};
use crate::error::{CryptoError, Misuse};
use crate::hazmat::x25519;
use crate::secret::Secret32;

/// The largest [`Kem::N_RANDOM`] of the KEMs below (X-Wing's `eseed`).
pub(super) const MAX_RANDOM: usize = xwing::ESEED_LEN;

pub(super) mod sealed {
    use super::Kem;
    use crate::error::CryptoError;
    use crate::secret::Secret32;

    /// The KEM operations, nameable only inside this crate: `Encap` with caller-chosen
    /// randomness must not be reachable from outside (only through the `danger-deterministic`
    /// functions of `hpke`).
    pub trait Sealed {
        /// `Encap(pkR)` with the given randomness (`ikmE` for the vectors, fresh otherwise).
        fn encap_derand(
            pk_r: &<Self as Kem>::PublicKey,
            randomness: &[u8],
        ) -> Result<(Secret32, <Self as Kem>::Enc), CryptoError>
        where
            Self: Kem;

        /// `Decap(enc, skR)`.
        fn decap(
            enc: &<Self as Kem>::Enc,
            sk_r: &<Self as Kem>::SecretKey,
        ) -> Result<Secret32, CryptoError>
        where
            Self: Kem;
    }
}

/// An HPKE KEM (RFC 9180 §4): its identifier, key and encapsulation types; `Encap` and `Decap`
/// are crate-internal (sealed), with the randomness made explicit as in the RFC 9180 and
/// draft-ietf-hpke-pq test vectors. The two implementations are [`DhKemX25519`] and [`XWing`].
pub trait Kem: sealed::Sealed + Copy + Debug + Eq + Hash + 'static {
    /// `kem_id` (RFC 9180 §7.1, draft-ietf-hpke-pq §6).
    const ID: u16;
    /// How many random bytes one `Encap` consumes: DHKEM's `ikmE` for `DeriveKeyPair` (32),
    /// X-Wing's `eseed` (64).
    const N_RANDOM: usize;
    /// A recipient public key, valid by construction.
    type PublicKey;
    /// A recipient secret key (zeroized on drop).
    type SecretKey;
    /// An encapsulation `enc`.
    type Enc;
}

/// DHKEM(X25519, HKDF-SHA256), `kem_id` 0x0020: suite 1's KEM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DhKemX25519;

impl Kem for DhKemX25519 {
    const ID: u16 = dhkem::KEM_ID;
    const N_RANDOM: usize = 32;
    type PublicKey = x25519::PublicKey;
    type SecretKey = x25519::SecretKey;
    type Enc = dhkem::Enc;
}

impl sealed::Sealed for DhKemX25519 {
    fn encap_derand(
        pk_r: &x25519::PublicKey,
        randomness: &[u8],
    ) -> Result<(Secret32, dhkem::Enc), CryptoError> {
        dhkem::encap_derand(pk_r, randomness)
    }

    fn decap(enc: &dhkem::Enc, sk_r: &x25519::SecretKey) -> Result<Secret32, CryptoError> {
        dhkem::decap(enc, sk_r)
    }
}

/// X-Wing (MLKEM768-X25519), `kem_id` 0x647a: the KEM proposed for suite 2 (issue 18).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct XWing;

impl Kem for XWing {
    const ID: u16 = xwing::KEM_ID;
    const N_RANDOM: usize = xwing::ESEED_LEN;
    type PublicKey = xwing::PublicKey;
    type SecretKey = xwing::SecretKey;
    type Enc = xwing::Enc;
}

impl sealed::Sealed for XWing {
    /// `randomness` must be exactly the 64-byte `eseed` ([`Misuse::KeyLength`] otherwise).
    fn encap_derand(
        pk_r: &xwing::PublicKey,
        randomness: &[u8],
    ) -> Result<(Secret32, xwing::Enc), CryptoError> {
        let eseed: &[u8; xwing::ESEED_LEN] =
            randomness.try_into().map_err(|_| Misuse::KeyLength)?;
        xwing::encapsulate_derand(pk_r, eseed)
    }

    fn decap(enc: &xwing::Enc, sk_r: &xwing::SecretKey) -> Result<Secret32, CryptoError> {
        xwing::decapsulate(enc, sk_r)
    }
}
