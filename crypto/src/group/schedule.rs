//! The group key schedule (spec §6.4) as a typestate: each secret is its own type, each
//! derivation consumes or borrows exactly the secret the spec derives from, and a state that
//! lacks a secret has no method that could derive from it (rustls `tls13/key_schedule.rs`).
//!
//! ```text
//!                   init_secret[n-1]
//!                         |
//!    commit_secret -> Extract(salt = init_secret[n-1], ikm = commit_secret)
//!                         |
//!           ExpandWithLabel(., "joiner", gc_hash[n], 32)
//!                         |
//!                   joiner_secret[n] ---> DeriveSecret(., "welcome") = welcome_secret[n]
//!                         |
//!           ExpandWithLabel(., "epoch", gc_hash[n], 32)
//!                         |
//!                   epoch_secret[n]
//!                         +--> DeriveSecret(., "app")            = app_secret[n]
//!                         +--> DeriveSecret(., "confirm-key")    = confirm_key[n]
//!                         +--> DeriveSecret(., "exporter")       = exporter_secret[n]
//!                         +--> DeriveSecret(., "authentication") = epoch_authenticator[n]
//!                         +--> DeriveSecret(., "init")           = init_secret[n]
//! ```
//!
//! Every type here wraps a [`Secret32`] (zeroized on drop, no `Debug` of the bytes).

use core::fmt;

use rand_core::CryptoRngCore;
use zeroize::Zeroizing;

use crate::error::{Misuse, ProtocolError};
use crate::hazmat::aead::{self, Algorithm, NONCE_LEN};
use crate::hazmat::label::{self, ExporterLabel};
use crate::hazmat::labelled::{
    bstr, derive_secret, expand_with_label, expand_with_label_len, expand_with_wire_label, extract,
    mac, verify_mac, MacTag, MAX_EXPAND,
};
use crate::persist::{self, Writer, R};
use crate::ratchet::AppSecret;
use crate::secret::{Secret, Secret32};
use hearth_wire::Decoder;

/// `commit_secret`: 32 fresh random bytes per commit (HRT-GRP-16).
pub(crate) struct CommitSecret(pub(crate) Secret32);

impl CommitSecret {
    pub(crate) fn random(rng: &mut impl CryptoRngCore) -> Self {
        let mut s = Secret32::zero();
        rng.fill_bytes(s.as_mut_bytes());
        Self(s)
    }

    /// ```text
    /// ck = ExpandWithLabel(commit_secret, "commit-key",   [channel_id, n], 32)
    /// cn = ExpandWithLabel(commit_secret, "commit-nonce", [channel_id, n], 12)
    /// ```
    /// Spec §6.8 step 2 (HRT-GRP-21); `[channel_id, n]` is a CBOR array item.
    pub(crate) fn private_key_nonce(
        &self,
        channel_id: &[u8; 16],
        base_epoch: u64,
    ) -> Result<(aead::Key, Secret<NONCE_LEN>), ProtocolError> {
        let ctx = |e: &mut hearth_wire::Encoder| {
            e.array(2).bytes(channel_id).uint(base_epoch);
        };
        let ck = expand_with_label::<32>(&self.0, label::COMMIT_KEY, ctx);
        let cn = expand_with_label::<NONCE_LEN>(&self.0, label::COMMIT_NONCE, ctx);
        let key =
            aead::Key::new(Algorithm::Aes256Gcm, ck.as_bytes()).map_err(|_| Misuse::KeyLength)?;
        Ok((key, cn))
    }
}

/// `init_secret[n]`: the salt of the next epoch.
#[derive(Clone)]
pub(crate) struct InitSecret(Secret32);

impl InitSecret {
    /// The salt of a recovery commit's key schedule, `0x00 * 32` in place of
    /// `init_secret[n+1]`, which not every member holds (spec §6.9.3, HRT-GRP-94).
    pub(crate) fn recovery() -> Self {
        Self(Secret32::zero())
    }

    /// ```text
    /// joiner_secret[n] = ExpandWithLabel(Extract(init_secret[n-1], commit_secret),
    ///                                    "joiner", gc_hash[n], 32)
    /// ```
    /// HRT-GRP-5. The commit secret is consumed (HRT-RAT-14).
    pub(crate) fn joiner_secret(
        &self,
        commit_secret: CommitSecret,
        gc_hash: &[u8; 32],
    ) -> JoinerSecret {
        let prk = extract(self.0.as_bytes(), commit_secret.0.as_bytes());
        drop(commit_secret);
        JoinerSecret(expand_with_label::<32>(&prk, label::JOINER, bstr(gc_hash)))
    }
}

/// `joiner_secret[n]`: the secret a Welcome transports.
pub(crate) struct JoinerSecret(pub(crate) Secret32);

impl JoinerSecret {
    /// `welcome_secret[n] = DeriveSecret(joiner_secret[n], "welcome")` (HRT-GRP-6).
    pub(crate) fn welcome_secret(&self) -> WelcomeSecret {
        WelcomeSecret(derive_secret(&self.0, label::WELCOME))
    }

    /// `epoch_secret[n] = ExpandWithLabel(joiner_secret[n], "epoch", gc_hash[n], 32)`
    /// (HRT-GRP-5). The caller drops the joiner secret once the Welcomes are built
    /// (HRT-RAT-14).
    pub(crate) fn epoch_secret(&self, gc_hash: &[u8; 32]) -> EpochSecret {
        EpochSecret(expand_with_label::<32>(
            &self.0,
            label::EPOCH,
            bstr(gc_hash),
        ))
    }
}

/// `welcome_secret[n]`: keys the GroupInfo of the Welcomes.
pub(crate) struct WelcomeSecret(Secret32);

impl WelcomeSecret {
    /// ```text
    /// wk = ExpandWithLabel(welcome_secret[n+1], "welcome-key",   h'', 32)
    /// wn = ExpandWithLabel(welcome_secret[n+1], "welcome-nonce", h'', 12)
    /// ```
    /// Spec §6.11 (HRT-GRP-53). Consumes the welcome secret (HRT-RAT-15).
    pub(crate) fn into_key_nonce(self) -> Result<(aead::Key, Secret<NONCE_LEN>), ProtocolError> {
        let wk = expand_with_label::<32>(&self.0, label::WELCOME_KEY, bstr(&[]));
        let wn = expand_with_label::<NONCE_LEN>(&self.0, label::WELCOME_NONCE, bstr(&[]));
        let key =
            aead::Key::new(Algorithm::Aes256Gcm, wk.as_bytes()).map_err(|_| Misuse::KeyLength)?;
        Ok((key, wn))
    }
}

/// `epoch_secret[n]`.
pub(crate) struct EpochSecret(Secret32);

impl EpochSecret {
    /// `epoch_secret[0]`: 32 random bytes (spec §6.5, HRT-GRP-11).
    pub(crate) fn random(rng: &mut impl CryptoRngCore) -> Self {
        let mut s = Secret32::zero();
        rng.fill_bytes(s.as_mut_bytes());
        Self(s)
    }

    /// Derives the five secrets of the epoch and consumes `epoch_secret` (HRT-GRP-5,
    /// HRT-GRP-6, HRT-GRP-8, HRT-RAT-14).
    pub(crate) fn derive(self) -> EpochKeys {
        EpochKeys {
            app: AppSecret(derive_secret(&self.0, label::APP)),
            confirm: ConfirmKey(derive_secret(&self.0, label::CONFIRM_KEY)),
            secrets: EpochSecrets {
                exporter: derive_secret(&self.0, label::EXPORTER),
                authenticator: EpochAuthenticator(
                    *derive_secret(&self.0, label::AUTHENTICATION).as_bytes(),
                ),
                init: InitSecret(derive_secret(&self.0, label::INIT)),
            },
        }
    }
}

/// The outputs of `epoch_secret[n]`, before the confirmation tag is produced or checked.
pub(crate) struct EpochKeys {
    /// `app_secret[n]`: consumed by the sender ratchets (HRT-RAT-3).
    pub(crate) app: AppSecret,
    /// `confirm_key[n]`: consumed by the tag (HRT-RAT-14).
    pub(crate) confirm: ConfirmKey,
    /// What a member keeps for the life of the epoch.
    pub(crate) secrets: EpochSecrets,
}

/// `confirm_key[n]`.
pub(crate) struct ConfirmKey(Secret32);

impl ConfirmKey {
    /// `confirmation_tag[n] = MAC(confirm_key[n], "confirm", cth[n])` (HRT-GRP-7); consumes the
    /// key.
    pub(crate) fn tag(self, cth: &[u8]) -> MacTag {
        mac(&self.0, label::CONFIRM, bstr(cth))
    }

    /// Recomputes the tag and compares it with `tag` in constant time (HRT-CRYPTO-8,
    /// HRT-GRP-40, HRT-GRP-69); consumes the key.
    pub(crate) fn verify(self, cth: &[u8], tag: &[u8]) -> Result<(), ProtocolError> {
        verify_mac(&self.0, label::CONFIRM, bstr(cth), tag)
            .map_err(|_| ProtocolError::BadConfirmationTag)
    }
}

/// The secrets a member holds for epoch `n` (spec §6.1): `init_secret[n]`,
/// `exporter_secret[n]`, `epoch_authenticator[n]`. Deleted (zeroized) when epoch `n+1` is
/// installed (HRT-RAT-13).
#[derive(Clone)]
pub(crate) struct EpochSecrets {
    exporter: Secret32,
    authenticator: EpochAuthenticator,
    pub(crate) init: InitSecret,
}

impl EpochSecrets {
    pub(crate) fn authenticator(&self) -> &EpochAuthenticator {
        &self.authenticator
    }

    /// ```text
    /// Exporter(label, context, L) =
    ///     ExpandWithLabel(DeriveSecret(exporter_secret[n], "exporter-" || label),
    ///                     "exported", context, L)
    /// ```
    /// Spec §6.4.1 (HRT-GRP-9); `context` is a byte string, `1 <= L <= 8160` (HRT-CRYPTO-12).
    pub(crate) fn export(
        &self,
        label: &ExporterLabel,
        context: &[u8],
        len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, ProtocolError> {
        if len == 0 || len > MAX_EXPAND {
            return Err(Misuse::ExporterLength.into());
        }
        let s = expand_with_wire_label::<32>(&self.exporter, &label.wire(), bstr(&[]));
        expand_with_label_len(&s, label::EXPORTED, bstr(context), len)
            .map_err(|_| Misuse::ExporterLength.into())
    }
}

impl EpochSecrets {
    /// Writes `[exporter_secret, epoch_authenticator, init_secret]` for a saved state.
    pub(crate) fn save(&self, w: &mut Writer) {
        w.e().array(3);
        w.secret(self.exporter.as_bytes())
            .secret(&self.authenticator.0)
            .secret(self.init.0.as_bytes());
    }

    /// Reads what [`EpochSecrets::save`] wrote.
    pub(crate) fn restore(d: &mut Decoder<'_>) -> R<Self> {
        d.array(3)?;
        let exporter = persist::secret::<32>(d)?;
        let authenticator = EpochAuthenticator(*persist::secret::<32>(d)?.as_bytes());
        let init = InitSecret(persist::secret::<32>(d)?);
        Ok(Self {
            exporter,
            authenticator,
            init,
        })
    }
}

/// `epoch_authenticator[n]`: a value members compare out of band to confirm they share the
/// epoch (spec §6.4). Zeroized on drop; shown only on request ([`EpochAuthenticator::to_hex`],
/// [`EpochAuthenticator::display_digits`]).
#[derive(Clone, PartialEq, Eq, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct EpochAuthenticator([u8; 32]);

impl EpochAuthenticator {
    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// 8 groups of 5 decimal digits (the fingerprint display rule of spec §4.6 applied to the
    /// 32 bytes of the authenticator), for reading aloud.
    pub fn display_digits(&self) -> String {
        crate::keys::Fingerprint::from_bytes(self.0).display_digits()
    }
}

impl fmt::Debug for EpochAuthenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EpochAuthenticator(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::HearthRng;

    #[test]
    fn schedule_is_deterministic_in_its_inputs_hrt_grp_5() {
        let mut rng = HearthRng::danger_seeded([1; 32]);
        let e0 = EpochSecret::random(&mut rng).derive();
        let gc = [9u8; 32];
        let cs = || CommitSecret(Secret32::from_bytes([3; 32]));
        let j1 = e0.secrets.init.joiner_secret(cs(), &gc);
        let j2 = e0.secrets.init.joiner_secret(cs(), &gc);
        assert!(j1.0.ct_eq(&j2.0));
        let a = j1.epoch_secret(&gc).derive();
        let b = j2.epoch_secret(&gc).derive();
        assert_eq!(a.secrets.authenticator(), b.secrets.authenticator());
        let tag = a.confirm.tag(b"cth");
        assert!(b.confirm.verify(b"cth", tag.as_bytes()).is_ok());
    }

    #[test]
    fn exporter_bounds_hrt_crypto_12() {
        let mut rng = HearthRng::danger_seeded([2; 32]);
        let k = EpochSecret::random(&mut rng).derive();
        let l = ExporterLabel::new("test");
        let Some(l) = l else { return };
        assert!(k.secrets.export(&l, b"", 8160).is_ok());
        assert_eq!(
            k.secrets.export(&l, b"", 8161).err(),
            Some(ProtocolError::Misuse(Misuse::ExporterLength))
        );
        assert!(k.secrets.export(&l, b"", 0).is_err());
    }
}
