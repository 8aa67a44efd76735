//! The KEM of a channel's suite (spec §3.1, §3.7, Table 3.3): a member's init key and the
//! Base-mode seals of commit secrets and Welcomes. Suite 1 uses DHKEM(X25519, HKDF-SHA256),
//! suite 2 X-Wing (MLKEM768-X25519); the per-invite key and the join request stay X25519 in
//! both (HRT-CRYPTO-54) and are not here.

use hearth_wire::{BoundedBytes, KemEnc, KemPublic, KemSealed, Suite, XPublic, XWingEnc};
use zeroize::Zeroizing;

use crate::error::ProtocolError;
use crate::hazmat::aead::Algorithm;
use crate::hazmat::hpke::{self, Hpke, Mode, XWing, XWingPublicKey, XWingSecretKey};
use crate::hazmat::x25519;
use crate::keys::InitKey;
use crate::rng::HearthRng;
use crate::secret::Secret32;

/// Suite 1 (spec §3.1), mandatory: DHKEM(X25519) for every HPKE use.
pub const SUITE_1: Suite = Suite::X25519_SHA256_AES256GCM_ED25519;

/// Suite 2 (spec §3.1), optional: X-Wing for init keys, commit seals and Welcomes.
pub const SUITE_2: Suite = Suite::XWING_SHA256_AES256GCM_ED25519;

/// Suite 2's HPKE for the commit seals and Welcomes: X-Wing, HKDF-SHA256, AES-256-GCM
/// (`suite_id` `48 50 4b 45 64 7a 00 01 00 02`, spec §3.7; HRT-CRYPTO-28).
const XWING_HPKE: Hpke<XWing> = Hpke::<XWing>::with_aead(Algorithm::Aes256Gcm);

/// Whether this implementation implements `suite` (HRT-CRYPTO-2, HRT-CRYPTO-56): suites 1 and
/// 2; any other value is `unsupported_suite`.
pub(crate) fn implemented(suite: Suite) -> Result<(), ProtocolError> {
    if suite == SUITE_1 || suite == SUITE_2 {
        Ok(())
    } else {
        Err(ProtocolError::UnsupportedSuite)
    }
}

/// A member's init key pair in the KEM of its channel's suite (spec §4.3): X25519 in suite 1,
/// an X-Wing seed with its expansion in suite 2 (HRT-CRYPTO-58). Zeroized on drop.
#[derive(Clone, Debug)]
pub(crate) enum GroupInitKey {
    /// Suite 1.
    X25519(InitKey),
    /// Suite 2.
    XWing(Box<XWingSecretKey>),
}

impl From<InitKey> for GroupInitKey {
    fn from(k: InitKey) -> Self {
        GroupInitKey::X25519(k)
    }
}

impl GroupInitKey {
    /// A fresh init key of `suite` from `rng` (HRT-KEY-11, HRT-CRYPTO-34).
    pub(crate) fn generate_with(suite: Suite, rng: &mut HearthRng) -> Result<Self, ProtocolError> {
        implemented(suite)?;
        Ok(if suite == SUITE_2 {
            GroupInitKey::XWing(Box::new(XWingSecretKey::generate_with(rng)))
        } else {
            GroupInitKey::X25519(InitKey::generate_with(rng))
        })
    }

    /// The key of `suite` whose 32-byte serialisation is `secret` (an X25519 scalar, or an
    /// X-Wing seed).
    pub(crate) fn from_secret(suite: Suite, secret: &Secret32) -> Result<Self, ProtocolError> {
        implemented(suite)?;
        Ok(if suite == SUITE_2 {
            GroupInitKey::XWing(Box::new(XWingSecretKey::from_seed(secret.as_bytes())))
        } else {
            GroupInitKey::X25519(InitKey::from_secret(x25519::SecretKey::from_bytes(
                *secret.as_bytes(),
            )))
        })
    }

    /// The 32-byte serialisation, for the saved state. Handle with care.
    pub(crate) fn to_secret(&self) -> Secret32 {
        match self {
            GroupInitKey::X25519(k) => k.secret_key().to_bytes(),
            GroupInitKey::XWing(k) => k.to_bytes(),
        }
    }

    /// The public key as it travels (`init-pub`).
    pub(crate) fn public(&self) -> KemPublic {
        match self {
            GroupInitKey::X25519(k) => XPublic(*k.public_key().as_bytes()).into(),
            GroupInitKey::XWing(k) => hearth_wire::XWingPublic(*k.public_key().as_bytes()).into(),
        }
    }

    /// Whether `k` is this key's public half.
    pub(crate) fn matches(&self, k: &KemPublic) -> bool {
        match self {
            GroupInitKey::X25519(own) => k.as_slice() == own.public_key().as_bytes(),
            GroupInitKey::XWing(own) => k.as_slice() == own.public_key().as_bytes(),
        }
    }

    /// 32 bytes naming the key in [`crate::group::HeldSecrets`]: the X25519 public key, or the last
    /// 32 bytes (the X25519 half) of an X-Wing public key.
    pub(crate) fn held_id(&self) -> [u8; 32] {
        match self {
            GroupInitKey::X25519(k) => *k.public_key().as_bytes(),
            GroupInitKey::XWing(k) => {
                let mut out = [0u8; 32];
                let pk = k.public_key().as_bytes();
                if let Some(tail) = pk.get(pk.len() - 32..) {
                    out.copy_from_slice(tail);
                }
                out
            }
        }
    }

    /// `OpenBase(sealed, info, aad = "")` under this key (Table 3.3). An encapsulation of the
    /// other suite's size is `wrong_size` (HRT-WIRE-30, already checked by the caller); every
    /// failure to open is `decrypt_failed` (HRT-CRYPTO-33, HRT-CRYPTO-57).
    pub(crate) fn open(
        &self,
        sealed: &KemSealed,
        info: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, ProtocolError> {
        let enc = &sealed.enc;
        let ct = sealed.ct.as_slice();
        match (self, enc) {
            (GroupInitKey::X25519(k), KemEnc::X25519(e)) => Hpke::SUITE_1
                .open_base(&hpke::Enc::from_bytes(e.0), k.secret_key(), info, &[], ct)
                .map_err(|_| ProtocolError::DecryptFailed),
            (GroupInitKey::XWing(k), KemEnc::XWing(e)) => {
                let e = hpke::XWingEnc::from_slice(&e.0).ok_or(ProtocolError::DecryptFailed)?;
                XWING_HPKE
                    .open_base(&e, k, info, &[], ct)
                    .map_err(|_| ProtocolError::DecryptFailed)
            }
            _ => Err(ProtocolError::from(hearth_wire::WireError::WrongSize)),
        }
    }
}

/// Checks an init key when it is read (spec §6.7 rule 6, HRT-CRYPTO-55): an X25519 key must
/// not be of small order, an X-Wing key must pass the encapsulation-key check of FIPS 203 §7.2;
/// `invalid_value` otherwise.
pub(crate) fn check_init_key(k: &KemPublic) -> Result<(), ProtocolError> {
    let ok = match k {
        KemPublic::X25519(x) => !x25519::PublicKey::from_bytes(x.0).is_small_order(),
        KemPublic::XWing(w) => XWingPublicKey::from_bytes(&w.0).is_ok(),
    };
    if ok {
        Ok(())
    } else {
        Err(ProtocolError::InvalidValue)
    }
}

/// `SealBase(pkR, info, aad = "", pt)` under the KEM of `recipient` (Table 3.3, HRT-CRYPTO-29,
/// HRT-CRYPTO-54), drawing the KEM's randomness from `rng`. An X-Wing key that fails FIPS 203
/// §7.2 is `invalid_value`; an all-zero X25519 result is the caller's error (`Err(None)`).
pub(crate) fn seal_to(
    rng: &mut HearthRng,
    recipient: &KemPublic,
    info: &[u8],
    pt: &[u8],
) -> Result<KemSealed, SealError> {
    let (enc, ct): (KemEnc, Vec<u8>) = match recipient {
        KemPublic::X25519(x) => {
            let (enc, ct) = Hpke::SUITE_1
                .seal_with_rng(
                    rng,
                    Mode::Base,
                    &x25519::PublicKey::from_bytes(x.0),
                    info,
                    &[],
                    pt,
                    &[],
                    &[],
                )
                .map_err(|_| SealError::Crypto)?;
            (XPublic(*enc.as_bytes()).into(), ct)
        }
        KemPublic::XWing(w) => {
            let pk = XWingPublicKey::from_bytes(&w.0)
                .map_err(|_| SealError::Protocol(ProtocolError::InvalidValue))?;
            let (enc, ct) = XWING_HPKE
                .seal_with_rng(rng, Mode::Base, &pk, info, &[], pt, &[], &[])
                .map_err(|_| SealError::Crypto)?;
            (XWingEnc(*enc.as_bytes()).into(), ct)
        }
    };
    let ct = BoundedBytes::new(ct).map_err(|e| SealError::Protocol(e.into()))?;
    Ok(KemSealed { enc, ct })
}

/// Why [`seal_to`] failed.
pub(crate) enum SealError {
    /// The recipient key is not usable (`invalid_value`), or the seal is too long.
    Protocol(ProtocolError),
    /// HPKE refused (an all-zero X25519 result).
    Crypto,
}
