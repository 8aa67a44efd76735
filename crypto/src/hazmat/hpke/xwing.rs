//! X-Wing, the hybrid KEM MLKEM768-X25519 (HPKE `kem_id` 0x647a), for suite 2 (issue 18).
//!
//! Built here from its parts rather than taken from a crate: ML-KEM-768 is RustCrypto `ml-kem`
//! (FIPS 203 final), X25519 is `x25519-dalek` (RFC 7748), SHA3-256 and SHAKE256 are `sha3`
//! (FIPS 202). The construction follows draft-connolly-cfrg-xwing-kem (the version whose test
//! vectors are checked in `tests`), which draft-irtf-cfrg-concrete-hybrid-kems §4 states is
//! identical to its MLKEM768-X25519:
//!
//! ```text
//! expandDecapsulationKey(sk):              # sk is the 32-byte seed
//!   expanded = SHAKE256(sk, 96)
//!   (pk_M, dk_M) = ML-KEM-768.KeyGen_internal(expanded[0:32], expanded[32:64])
//!   sk_X = expanded[64:96];  pk_X = X25519(sk_X, 9)
//! Combiner(ss_M, ss_X, ct_X, pk_X) = SHA3-256(ss_M || ss_X || ct_X || pk_X || XWingLabel)
//! EncapsulateDerand(pk, eseed):            # eseed is 64 bytes
//!   (ct_M, ss_M) = ML-KEM-768.Encaps_internal(pk[0:1184], eseed[0:32])
//!   ct_X = X25519(eseed[32:64], 9);  ss_X = X25519(eseed[32:64], pk[1184:1216])
//!   return (Combiner(ss_M, ss_X, ct_X, pk_X), ct_M || ct_X)
//! Decapsulate(ct, sk):
//!   ss_M = ML-KEM-768.Decaps(dk_M, ct[0:1088]);  ss_X = X25519(sk_X, ct[1088:1120])
//!   return Combiner(ss_M, ss_X, ct[1088:1120], pk_X)
//! ```
//!
//! Unlike DHKEM, X-Wing does not reject an all-zero X25519 output: the combiner hashes the ML-KEM
//! secret, so a low-order `ct_X` or `pk_X` costs only the classical half, and decapsulation
//! never fails (ML-KEM rejects implicitly). What can fail is reading a public key: the ML-KEM
//! encapsulation-key check of FIPS 203 §7.2 (every coefficient below q) runs in
//! [`PublicKey::from_bytes`], so a [`PublicKey`] value has always passed it (draft-ietf-hpke-pq
//! §3: a failed check is an HPKE `EncapError`, here a parse error before any encapsulation).
//!
//! Secrets: the seed and the X25519 scalar are zeroized on drop, the ML-KEM decapsulation key by
//! `ml-kem`'s `zeroize` feature; the SHAKE output and each intermediate shared secret are wiped
//! after use. ML-KEM's implicit rejection selects in constant time inside `ml-kem`.

use core::fmt;

use ml_kem::kem::{Decapsulate, DecapsulationKey, EncapsulationKey};
use ml_kem::{EncapsulateDeterministic, EncodedSizeUser, KemCore, MlKem768, MlKem768Params, B32};
use sha3::digest::{ExtendableOutput, Update, XofReader};
use sha3::{Digest, Sha3_256, Shake256};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{CryptoError, Misuse};
use crate::secret::Secret32;

/// `kem_id` of MLKEM768-X25519 (X-Wing), draft-ietf-hpke-pq §4.
pub const KEM_ID: u16 = 0x647a;
/// `Npk`: an ML-KEM-768 encapsulation key (1184) and an X25519 key (32).
pub const PK_LEN: usize = 1216;
/// `Nenc`: an ML-KEM-768 ciphertext (1088) and an X25519 ephemeral key (32).
pub const ENC_LEN: usize = 1120;
/// `Nsk`: the decapsulation key is a 32-byte seed.
pub const SK_LEN: usize = 32;
/// `Nrandom` of `EncapsulateDerand`: 32 bytes for ML-KEM's `m`, 32 for the X25519 scalar.
pub const ESEED_LEN: usize = 64;

const MLKEM_EK_LEN: usize = 1184;
const MLKEM_CT_LEN: usize = 1088;
/// ML-KEM-768's `q`.
const Q: u16 = 3329;
/// `XWingLabel = "\./" || "/^\"` (hex 5c2e2f2f5e5c).
const LABEL: &[u8; 6] = b"\\.//^\\";

/// Why bytes are not an X-Wing public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvalidPublicKey {
    /// Not exactly `Npk` = 1,216 bytes.
    Length,
    /// The ML-KEM part fails the modulus check of FIPS 203 §7.2.
    Modulus,
}

/// An X-Wing public key (`pk_M || pk_X`), checked when read.
#[derive(Clone)]
pub struct PublicKey {
    bytes: Box<[u8; PK_LEN]>,
    ek_m: EncapsulationKey<MlKem768Params>,
}

impl PublicKey {
    /// Reads a public key, with FIPS 203 §7.2's modulus check on the ML-KEM part (the type
    /// check is the length).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, InvalidPublicKey> {
        let bytes: [u8; PK_LEN] = bytes.try_into().map_err(|_| InvalidPublicKey::Length)?;
        let (pk_m, _) = bytes.split_at(MLKEM_EK_LEN);
        if !mlkem_ek_modulus_ok(pk_m) {
            return Err(InvalidPublicKey::Modulus);
        }
        let enc = ml_kem::Encoded::<EncapsulationKey<MlKem768Params>>::try_from(pk_m)
            .map_err(|_| InvalidPublicKey::Length)?;
        Ok(Self {
            bytes: Box::new(bytes),
            ek_m: EncapsulationKey::from_bytes(&enc),
        })
    }

    /// The encoded key.
    pub fn as_bytes(&self) -> &[u8; PK_LEN] {
        &self.bytes
    }

    fn pk_x(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.bytes.split_at(MLKEM_EK_LEN).1);
        out
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}
impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("xwing::PublicKey(")?;
        for b in self.bytes.iter().take(8) {
            write!(f, "{b:02x}")?;
        }
        f.write_str("..)")
    }
}

/// FIPS 203 §7.2 "modulus check": `ek[0:384k]` is `ByteEncode12` of coefficients that must all
/// be below `q` (the same as `ByteEncode12(ByteDecode12(ek)) == ek`). Public data: not
/// constant-time.
pub(crate) fn mlkem_ek_modulus_ok(ek: &[u8]) -> bool {
    let Some(t) = ek.get(..MLKEM_EK_LEN - 32) else {
        return false;
    };
    t.chunks_exact(3).all(|c| match *c {
        [b0, b1, b2] => {
            let (b0, b1, b2) = (u16::from(b0), u16::from(b1), u16::from(b2));
            let d1 = b0 | ((b1 & 0x0f) << 8);
            let d2 = (b1 >> 4) | (b2 << 4);
            d1 < Q && d2 < Q
        }
        _ => false,
    })
}

/// An X-Wing decapsulation key: the 32-byte seed with its expansion kept for use. Zeroized on
/// drop.
pub struct SecretKey {
    seed: Secret32,
    dk_m: DecapsulationKey<MlKem768Params>,
    sk_x: x25519_dalek::StaticSecret,
    pk: PublicKey,
}

impl SecretKey {
    /// `expandDecapsulationKey(seed)`: the key whose serialisation is `seed`.
    pub fn from_seed(seed: &[u8; SK_LEN]) -> Self {
        let mut expanded = Zeroizing::new([0u8; 96]);
        let mut xof = Shake256::default();
        xof.update(seed);
        xof.finalize_xof().read(expanded.as_mut());
        let (seed_m, seed_x) = expanded.split_at(64);
        let (d_bytes, z_bytes) = seed_m.split_at(32);
        let mut d = B32::default();
        let mut z = B32::default();
        d.copy_from_slice(d_bytes);
        z.copy_from_slice(z_bytes);
        let (dk_m, ek_m) = MlKem768::generate_deterministic(&d, &z);
        d.as_mut_slice().zeroize();
        z.as_mut_slice().zeroize();
        let mut sk_x_bytes = [0u8; 32];
        sk_x_bytes.copy_from_slice(seed_x);
        let sk_x = x25519_dalek::StaticSecret::from(sk_x_bytes);
        sk_x_bytes.zeroize();
        let pk_x = x25519_dalek::PublicKey::from(&sk_x);
        let mut bytes = Box::new([0u8; PK_LEN]);
        let (b_m, b_x) = bytes.split_at_mut(MLKEM_EK_LEN);
        b_m.copy_from_slice(&ek_m.as_bytes());
        b_x.copy_from_slice(pk_x.as_bytes());
        Self {
            seed: Secret32::from_bytes(*seed),
            dk_m,
            sk_x,
            pk: PublicKey { bytes, ek_m },
        }
    }

    /// HPKE `DeriveKeyPair(ikm)` for this KEM (draft-ietf-hpke-pq §4):
    /// `seed = SHAKE256.LabeledDerive(ikm, "DeriveKeyPair", "", 32)`, then the key of that seed.
    pub fn derive_key_pair(ikm: &[u8]) -> Self {
        let mut seed = Zeroizing::new([0u8; SK_LEN]);
        shake256_labeled_derive(ikm, b"DeriveKeyPair", b"", seed.as_mut());
        Self::from_seed(&seed)
    }

    /// A fresh key: a seed from `rng`.
    pub fn generate_with(rng: &mut impl rand_core::CryptoRngCore) -> Self {
        let mut seed = Zeroizing::new([0u8; SK_LEN]);
        rng.fill_bytes(seed.as_mut());
        Self::from_seed(&seed)
    }

    /// The serialised key (the seed). Handle with care.
    pub fn to_bytes(&self) -> Secret32 {
        self.seed.clone()
    }

    /// The matching public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.pk
    }
}

impl Clone for SecretKey {
    /// A copy expanded again from the seed (the expansion is deterministic).
    fn clone(&self) -> Self {
        Self::from_seed(self.seed.as_bytes())
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("xwing::SecretKey")
            .field("public", &self.pk)
            .finish_non_exhaustive()
    }
}

/// An X-Wing encapsulation (`ct_M || ct_X`, `Nenc` = 1120 bytes).
#[derive(Clone, PartialEq, Eq)]
pub struct Enc(Box<[u8; ENC_LEN]>);

impl Enc {
    /// Wraps a slice of exactly `Nenc` = 1,120 bytes; any such value decapsulates (implicit
    /// rejection).
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; ENC_LEN]>::try_from(bytes)
            .ok()
            .map(|b| Self(Box::new(b)))
    }

    /// The encoded encapsulation.
    pub fn as_bytes(&self) -> &[u8; ENC_LEN] {
        &self.0
    }
}

impl fmt::Debug for Enc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("xwing::Enc(")?;
        for b in self.0.iter().take(8) {
            write!(f, "{b:02x}")?;
        }
        f.write_str("..)")
    }
}

/// `Combiner(ss_M, ss_X, ct_X, pk_X)`.
fn combiner(ss_m: &[u8], ss_x: &[u8; 32], ct_x: &[u8], pk_x: &[u8; 32]) -> Secret32 {
    let mut h = Sha3_256::new();
    Digest::update(&mut h, ss_m);
    Digest::update(&mut h, ss_x);
    Digest::update(&mut h, ct_x);
    Digest::update(&mut h, pk_x);
    Digest::update(&mut h, LABEL);
    let mut out = Secret32::zero();
    out.as_mut_bytes().copy_from_slice(&h.finalize());
    out
}

/// `EncapsulateDerand(pk, eseed)`; `eseed` must be fresh randomness outside tests.
///
/// `ml-kem` 0.2 types encapsulation and decapsulation as `Result<_, ()>` although neither can
/// fail ("TODO(RLB) Make Infallible"); such an error would be a bug in the dependency and is
/// reported as [`Misuse::KeyLength`] here and [`CryptoError::Decrypt`] in [`decapsulate`].
pub(crate) fn encapsulate_derand(
    pk: &PublicKey,
    eseed: &[u8; ESEED_LEN],
) -> Result<(Secret32, Enc), CryptoError> {
    let (m_bytes, ek_x_in) = eseed.split_at(32);
    let mut m = B32::default();
    m.copy_from_slice(m_bytes);
    let encapsulated = pk.ek_m.encapsulate_deterministic(&m);
    m.as_mut_slice().zeroize();
    let (ct_m, mut ss_m) = encapsulated.map_err(|()| Misuse::KeyLength)?;
    let mut ek_x_bytes = [0u8; 32];
    ek_x_bytes.copy_from_slice(ek_x_in);
    let ek_x = x25519_dalek::StaticSecret::from(ek_x_bytes);
    ek_x_bytes.zeroize();
    let ct_x = x25519_dalek::PublicKey::from(&ek_x);
    let pk_x = pk.pk_x();
    let ss_x = ek_x.diffie_hellman(&x25519_dalek::PublicKey::from(pk_x));
    drop(ek_x);
    let ss = combiner(&ss_m, ss_x.as_bytes(), ct_x.as_bytes(), &pk_x);
    ss_m.as_mut_slice().zeroize();
    let mut ct = Box::new([0u8; ENC_LEN]);
    let (c_m, c_x) = ct.split_at_mut(MLKEM_CT_LEN);
    c_m.copy_from_slice(&ct_m);
    c_x.copy_from_slice(ct_x.as_bytes());
    Ok((ss, Enc(ct)))
}

/// `Decapsulate(ct, sk)`: in X-Wing it never fails (see [`encapsulate_derand`] for the error).
pub(crate) fn decapsulate(enc: &Enc, sk: &SecretKey) -> Result<Secret32, CryptoError> {
    let (ct_m, ct_x) = enc.0.split_at(MLKEM_CT_LEN);
    let ct_m = ml_kem::Ciphertext::<MlKem768>::try_from(ct_m).map_err(|_| CryptoError::Decrypt)?;
    let mut ss_m = sk
        .dk_m
        .decapsulate(&ct_m)
        .map_err(|()| CryptoError::Decrypt)?;
    let mut ct_x_bytes = [0u8; 32];
    ct_x_bytes.copy_from_slice(ct_x);
    let ss_x = sk
        .sk_x
        .diffie_hellman(&x25519_dalek::PublicKey::from(ct_x_bytes));
    let ss = combiner(&ss_m, ss_x.as_bytes(), ct_x, &sk.pk.pk_x());
    ss_m.as_mut_slice().zeroize();
    Ok(ss)
}

/// `SHAKE256.LabeledDerive(ikm, label, context, L)` of draft-ietf-hpke-pq (the single-stage KDF
/// of draft-ietf-hpke-hpke), with `suite_id = "KEM" || I2OSP(0x647a, 2)`:
///
/// ```text
/// labeled_ikm = ikm || "HPKE-v1" || suite_id || I2OSP(len(label), 2) || label || I2OSP(L, 2) || context
/// return SHAKE256(labeled_ikm, L)
/// ```
fn shake256_labeled_derive(ikm: &[u8], label: &[u8], context: &[u8], out: &mut [u8]) {
    let mut xof = Shake256::default();
    xof.update(ikm);
    xof.update(b"HPKE-v1");
    xof.update(b"KEM");
    xof.update(&KEM_ID.to_be_bytes());
    #[allow(
        clippy::cast_possible_truncation,
        reason = "constant labels and lengths"
    )]
    {
        xof.update(&(label.len() as u16).to_be_bytes());
        xof.update(label);
        xof.update(&(out.len() as u16).to_be_bytes());
    }
    xof.update(context);
    xof.finalize_xof().read(out);
}

#[cfg(test)]
mod tests;
