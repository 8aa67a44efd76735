//! DHKEM(X25519, HKDF-SHA256), HPKE `kem_id` 0x0020 (RFC 9180 §4.1, §7.1): suite 1's KEM.

use super::{labeled_expand_fixed, labeled_extract, N};
use crate::error::CryptoError;
use crate::hazmat::x25519::{PublicKey, SecretKey};
use crate::secret::Secret32;

/// `kem_id` of DHKEM(X25519, HKDF-SHA256) (RFC 9180 §7.1).
pub const KEM_ID: u16 = 0x0020;

/// The KEM encapsulation `enc` (the ephemeral public key, `Nenc` = 32 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Enc([u8; 32]);

impl Enc {
    /// Wraps 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Wraps a slice of exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }

    /// The encoded `enc`.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// ```text
/// suite_id = concat("KEM", I2OSP(kem_id, 2))
/// ```
/// RFC 9180 §4.1.
pub(super) const KEM_SUITE_ID: [u8; 5] = [b'K', b'E', b'M', 0x00, 0x20];

/// ```text
/// def DeriveKeyPair(ikm):
///   dkp_prk = LabeledExtract("", "dkp_prk", ikm)
///   sk = LabeledExpand(dkp_prk, "sk", "", Nsk)
///   return (sk, pk(sk))
/// ```
/// RFC 9180 §7.1.3 (X25519: no rejection sampling; clamping happens at use).
pub fn derive_key_pair(ikm: &[u8]) -> (SecretKey, PublicKey) {
    let dkp_prk = labeled_extract(&KEM_SUITE_ID, b"", b"dkp_prk", ikm);
    let sk = labeled_expand_fixed::<N>(&KEM_SUITE_ID, &dkp_prk, b"sk", b"");
    let sk = SecretKey::from_bytes(*sk.as_bytes());
    let pk = sk.public_key();
    (sk, pk)
}

/// ```text
/// def ExtractAndExpand(dh, kem_context):
///   eae_prk = LabeledExtract("", "eae_prk", dh)
///   shared_secret = LabeledExpand(eae_prk, "shared_secret", kem_context, Nsecret)
///   return shared_secret
/// ```
/// RFC 9180 §4.1.
fn extract_and_expand(dh: &Secret32, kem_context: &[u8]) -> Secret32 {
    let eae_prk = labeled_extract(&KEM_SUITE_ID, b"", b"eae_prk", dh.as_bytes());
    labeled_expand_fixed::<N>(&KEM_SUITE_ID, &eae_prk, b"shared_secret", kem_context)
}

/// ```text
/// def Encap(pkR):
///   skE, pkE = GenerateKeyPair()        # here: DeriveKeyPair(ikmE)
///   dh = DH(skE, pkR)                   # all-zero dh -> error (§7.1.4)
///   enc = SerializePublicKey(pkE)
///   kem_context = concat(enc, SerializePublicKey(pkR))
///   shared_secret = ExtractAndExpand(dh, kem_context)
///   return shared_secret, enc
/// ```
/// RFC 9180 §4.1; the ephemeral secret is consumed (dropped and zeroized) here.
pub(crate) fn encap_derand(pk_r: &PublicKey, ikm_e: &[u8]) -> Result<(Secret32, Enc), CryptoError> {
    let (sk_e, pk_e) = derive_key_pair(ikm_e);
    let dh = sk_e
        .diffie_hellman(pk_r)
        .map_err(|_| CryptoError::NonContributory)?;
    drop(sk_e);
    let enc = Enc(*pk_e.as_bytes());
    let mut kem_context = [0u8; 2 * N];
    let (a, b) = kem_context.split_at_mut(N);
    a.copy_from_slice(&enc.0);
    b.copy_from_slice(pk_r.as_bytes());
    Ok((extract_and_expand(&dh, &kem_context), enc))
}

/// ```text
/// def Decap(enc, skR):
///   pkE = DeserializePublicKey(enc)
///   dh = DH(skR, pkE)                   # all-zero dh -> error (§7.1.4)
///   kem_context = concat(enc, SerializePublicKey(pk(skR)))
///   shared_secret = ExtractAndExpand(dh, kem_context)
///   return shared_secret
/// ```
/// RFC 9180 §4.1. A non-contributory `enc` fails as an ordinary [`CryptoError::Decrypt`].
pub(crate) fn decap(enc: &Enc, sk_r: &SecretKey) -> Result<Secret32, CryptoError> {
    let dh = sk_r
        .diffie_hellman(&PublicKey::from_bytes(enc.0))
        .map_err(|_| CryptoError::Decrypt)?;
    let mut kem_context = [0u8; 2 * N];
    let (a, b) = kem_context.split_at_mut(N);
    a.copy_from_slice(&enc.0);
    b.copy_from_slice(sk_r.public_key().as_bytes());
    Ok(extract_and_expand(&dh, &kem_context))
}
