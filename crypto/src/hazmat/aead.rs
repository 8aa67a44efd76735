//! AES-GCM with 96-bit nonces and 128-bit tags (spec §3.1; NIST SP 800-38D). Suite 1 uses
//! AES-256-GCM; AES-128-GCM exists for the RFC 9180 vectors (HPKE `aead_id` 0x0001).

use aes_gcm::aead::{Aead as _, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Aes256Gcm, Nonce};
use zeroize::Zeroizing;

use crate::error::{CryptoError, Misuse};

/// Nonce length `Nn` (bytes).
pub const NONCE_LEN: usize = 12;
/// Tag length `Nt` (bytes).
pub const TAG_LEN: usize = 16;

/// An AEAD algorithm, numbered by its HPKE `aead_id` (RFC 9180 §7.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// AES-128-GCM, `aead_id` 0x0001.
    Aes128Gcm,
    /// AES-256-GCM, `aead_id` 0x0002 (suite 1).
    Aes256Gcm,
}

impl Algorithm {
    /// The HPKE `aead_id`.
    pub const fn id(self) -> u16 {
        match self {
            Algorithm::Aes128Gcm => 0x0001,
            Algorithm::Aes256Gcm => 0x0002,
        }
    }

    /// The algorithm for an HPKE `aead_id`, if supported.
    pub const fn from_id(id: u16) -> Option<Self> {
        match id {
            0x0001 => Some(Algorithm::Aes128Gcm),
            0x0002 => Some(Algorithm::Aes256Gcm),
            _ => None,
        }
    }

    /// Key length `Nk` (bytes).
    pub const fn key_len(self) -> usize {
        match self {
            Algorithm::Aes128Gcm => 16,
            Algorithm::Aes256Gcm => 32,
        }
    }
}

#[derive(Clone)]
enum Cipher {
    Aes128(Box<Aes128Gcm>),
    Aes256(Box<Aes256Gcm>),
}

/// An AEAD key ready for use.
#[derive(Clone)]
pub struct Key {
    cipher: Cipher,
}

impl Key {
    /// A key for `alg`; `key` must be exactly `alg.key_len()` bytes.
    pub fn new(alg: Algorithm, key: &[u8]) -> Result<Self, CryptoError> {
        let cipher = match alg {
            Algorithm::Aes128Gcm => Cipher::Aes128(Box::new(
                Aes128Gcm::new_from_slice(key).map_err(|_| Misuse::KeyLength)?,
            )),
            Algorithm::Aes256Gcm => Cipher::Aes256(Box::new(
                Aes256Gcm::new_from_slice(key).map_err(|_| Misuse::KeyLength)?,
            )),
        };
        Ok(Self { cipher })
    }

    /// `Seal(key, nonce, aad, pt)`: ciphertext followed by the 16-byte tag (HRT-CRYPTO-35).
    pub fn seal(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        pt: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let n = Nonce::from_slice(nonce);
        let payload = Payload { msg: pt, aad };
        let r = match &self.cipher {
            Cipher::Aes128(c) => c.encrypt(n, payload),
            Cipher::Aes256(c) => c.encrypt(n, payload),
        };
        r.map_err(|_| CryptoError::Misuse(Misuse::PlaintextLength))
    }

    /// `Open(key, nonce, aad, ct)`: the plaintext, or [`CryptoError::Decrypt`] for a wrong tag
    /// or a ciphertext shorter than the tag (HRT-CRYPTO-37). No plaintext is released before
    /// the whole tag has verified (HRT-CRYPTO-36).
    pub fn open(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        ct: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let n = Nonce::from_slice(nonce);
        let payload = Payload { msg: ct, aad };
        let r = match &self.cipher {
            Cipher::Aes128(c) => c.decrypt(n, payload),
            Cipher::Aes256(c) => c.decrypt(n, payload),
        };
        r.map(Zeroizing::new).map_err(|_| CryptoError::Decrypt)
    }
}

impl core::fmt::Debug for Key {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let alg = match self.cipher {
            Cipher::Aes128(_) => Algorithm::Aes128Gcm,
            Cipher::Aes256(_) => Algorithm::Aes256Gcm,
        };
        write!(f, "aead::Key({alg:?}, ..)")
    }
}

#[cfg(test)]
mod tests;
