//! HPKE (RFC 9180), implemented here for Hearth's key transport (spec §3.6).
//!
//! KEM DHKEM(X25519, HKDF-SHA256) (`kem_id` 0x0020, suite 1) or, for suite 2's init keys,
//! commit seals and Welcomes, X-Wing / MLKEM768-X25519 (`kem_id` 0x647a, draft-ietf-hpke-pq); the KEM is the type parameter of [`Hpke`] ([`Kem`]), and everything
//! after `Encap`/`Decap` is one code path for both. KDF HKDF-SHA256 (`kdf_id` 0x0001), AEAD
//! AES-128-GCM (0x0001, for the RFC vectors) or AES-256-GCM (0x0002, suite 1). Modes Base
//! (0x00) and PSK (0x01) only: the Auth modes are absent by design (they are not KCI-resistant,
//! protocol brief §2). Hearth uses Base for commit secrets and Welcomes and PSK only for the join
//! request.
//!
//! Randomness: DHKEM's ephemeral key is `DeriveKeyPair(ikmE)` with `ikmE` 32 bytes from the OS
//! RNG; X-Wing's `EncapsulateDerand` takes 64 bytes from it ([`Kem::N_RANDOM`]).
//! The feature `danger-deterministic` exposes `Hpke::danger_setup_s_derand`, which takes
//! `ikmE` from the caller so vectors are reproducible (rust-hpke `TestableKem` style); it is the
//! same code path with another source of `ikmE`.

use core::marker::PhantomData;

use hkdf::HkdfExtract;
use rand_core::OsRng;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::{CryptoError, Misuse};
use crate::hazmat::aead::{self, Algorithm, NONCE_LEN};
use crate::hazmat::labelled::hkdf_expand;
use crate::secret::{Secret, Secret32};

mod dhkem;
mod kem;
mod xwing;

#[cfg(test)]
use dhkem::{decap, encap_derand, KEM_SUITE_ID};
pub use dhkem::{derive_key_pair, Enc, KEM_ID};
pub use kem::{DhKemX25519, Kem, XWing};
pub use xwing::{
    Enc as XWingEnc, InvalidPublicKey as XWingInvalidPublicKey, PublicKey as XWingPublicKey,
    SecretKey as XWingSecretKey,
};

/// `kdf_id` of HKDF-SHA256 (RFC 9180 §7.2).
pub const KDF_ID: u16 = 0x0001;
/// `Nh` of HKDF-SHA256, and `Nsecret` of both KEMs; also DHKEM's `Nenc`, `Npk` and `Nsk`.
const N: usize = 32;

/// The HPKE mode (RFC 9180 §5, Table 1). Auth and AuthPSK are deliberately absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// `mode_base` = 0x00.
    Base,
    /// `mode_psk` = 0x01.
    Psk,
}

impl Mode {
    /// The mode's one-byte identifier.
    pub const fn id(self) -> u8 {
        match self {
            Mode::Base => 0x00,
            Mode::Psk => 0x01,
        }
    }
}

/// ```text
/// suite_id = concat("HPKE", I2OSP(kem_id, 2), I2OSP(kdf_id, 2), I2OSP(aead_id, 2))
/// ```
/// RFC 9180 §5.1.
fn hpke_suite_id(kem_id: u16, aead: Algorithm) -> [u8; 10] {
    let [k0, k1] = kem_id.to_be_bytes();
    let [f0, f1] = KDF_ID.to_be_bytes();
    let [a0, a1] = aead.id().to_be_bytes();
    [b'H', b'P', b'K', b'E', k0, k1, f0, f1, a0, a1]
}

/// ```text
/// def LabeledExtract(salt, label, ikm):
///   labeled_ikm = concat("HPKE-v1", suite_id, label, ikm)
///   return Extract(salt, labeled_ikm)
/// ```
/// RFC 9180 §4.
fn labeled_extract(suite_id: &[u8], salt: &[u8], label: &[u8], ikm: &[u8]) -> Secret32 {
    let mut ex = HkdfExtract::<Sha256>::new(Some(salt));
    ex.input_ikm(b"HPKE-v1");
    ex.input_ikm(suite_id);
    ex.input_ikm(label);
    ex.input_ikm(ikm);
    let (prk, _) = ex.finalize();
    let mut out = Secret32::zero();
    out.as_mut_bytes().copy_from_slice(&prk);
    out
}

/// ```text
/// def LabeledExpand(prk, label, info, L):
///   labeled_info = concat(I2OSP(L, 2), "HPKE-v1", suite_id, label, info)
///   return Expand(prk, labeled_info, L)
/// ```
/// RFC 9180 §4; `L` is `out.len()`.
fn labeled_expand(
    suite_id: &[u8],
    prk: &Secret32,
    label: &[u8],
    info: &[u8],
    out: &mut [u8],
) -> Result<(), Misuse> {
    let l = u16::try_from(out.len()).map_err(|_| Misuse::OutputLength)?;
    hkdf_expand(
        prk.as_bytes(),
        &[&l.to_be_bytes(), b"HPKE-v1", suite_id, label, info],
        out,
    )
}

/// [`labeled_expand`] into a fixed-size secret; `N <= 255 * 32` holds for every caller.
fn labeled_expand_fixed<const M: usize>(
    suite_id: &[u8],
    prk: &Secret32,
    label: &[u8],
    info: &[u8],
) -> Secret<M> {
    const { assert!(M <= crate::hazmat::labelled::MAX_EXPAND) };
    let mut out = Secret::<M>::zero();
    #[allow(
        clippy::expect_used,
        reason = "the PRK is 32 bytes and M <= 255 * 32 is checked at compile time"
    )]
    labeled_expand(suite_id, prk, label, info, out.as_mut_bytes())
        .expect("LabeledExpand within bounds");
    out
}

/// ```text
/// def VerifyPSKInputs(mode, psk, psk_id):
///   got_psk = (psk != default_psk)
///   got_psk_id = (psk_id != default_psk_id)
///   if got_psk != got_psk_id: raise Exception("Inconsistent PSK inputs")
///   if got_psk and (mode in [mode_base, mode_auth]): raise Exception("PSK input provided when not needed")
///   if (not got_psk) and (mode in [mode_psk, mode_auth_psk]): raise Exception("Missing required PSK input")
/// ```
/// RFC 9180 §5.1 (`default_psk` and `default_psk_id` are empty).
fn verify_psk_inputs(mode: Mode, psk: &[u8], psk_id: &[u8]) -> Result<(), Misuse> {
    let got_psk = !psk.is_empty();
    let got_psk_id = !psk_id.is_empty();
    if got_psk != got_psk_id {
        return Err(Misuse::PskInputs);
    }
    match (mode, got_psk) {
        (Mode::Base, true) | (Mode::Psk, false) => Err(Misuse::PskInputs),
        _ => Ok(()),
    }
}

/// The outputs of the key schedule; the intermediates are kept for the RFC 9180 vectors.
#[allow(
    dead_code,
    reason = "key_schedule_context and secret are read by the RFC 9180 vector tests"
)]
pub(crate) struct Schedule {
    pub(crate) key_schedule_context: Vec<u8>,
    pub(crate) secret: Secret32,
    pub(crate) key: Zeroizing<Vec<u8>>,
    pub(crate) base_nonce: Secret<NONCE_LEN>,
    pub(crate) exporter_secret: Secret32,
}

/// ```text
/// def KeySchedule<ROLE>(mode, shared_secret, info, psk, psk_id):
///   VerifyPSKInputs(mode, psk, psk_id)
///   psk_id_hash = LabeledExtract("", "psk_id_hash", psk_id)
///   info_hash = LabeledExtract("", "info_hash", info)
///   key_schedule_context = concat(mode, psk_id_hash, info_hash)
///   secret = LabeledExtract(shared_secret, "secret", psk)
///   key = LabeledExpand(secret, "key", key_schedule_context, Nk)
///   base_nonce = LabeledExpand(secret, "base_nonce", key_schedule_context, Nn)
///   exporter_secret = LabeledExpand(secret, "exp", key_schedule_context, Nh)
///   return Context<ROLE>(key, base_nonce, 0, exporter_secret)
/// ```
/// RFC 9180 §5.1.
pub(crate) fn key_schedule(
    kem_id: u16,
    aead: Algorithm,
    mode: Mode,
    shared_secret: &Secret32,
    info: &[u8],
    psk: &[u8],
    psk_id: &[u8],
) -> Result<Schedule, CryptoError> {
    let sid = hpke_suite_id(kem_id, aead);
    key_schedule_for(&sid, aead.key_len(), mode, shared_secret, info, psk, psk_id)
}

/// [`key_schedule`] for any `suite_id` and `Nk`: the upstream vectors of AEADs Hearth does not
/// implement (draft-ietf-hpke-pq's X-Wing sets use ChaCha20-Poly1305) still check everything
/// up to the AEAD.
pub(crate) fn key_schedule_for(
    sid: &[u8; 10],
    key_len: usize,
    mode: Mode,
    shared_secret: &Secret32,
    info: &[u8],
    psk: &[u8],
    psk_id: &[u8],
) -> Result<Schedule, CryptoError> {
    verify_psk_inputs(mode, psk, psk_id)?;
    let psk_id_hash = labeled_extract(sid, b"", b"psk_id_hash", psk_id);
    let info_hash = labeled_extract(sid, b"", b"info_hash", info);
    let mut ksc = Vec::with_capacity(1 + 2 * N);
    ksc.push(mode.id());
    ksc.extend_from_slice(psk_id_hash.as_bytes());
    ksc.extend_from_slice(info_hash.as_bytes());
    let secret = labeled_extract(sid, shared_secret.as_bytes(), b"secret", psk);
    let mut key = Zeroizing::new(vec![0u8; key_len]);
    labeled_expand(sid, &secret, b"key", &ksc, &mut key)?;
    let base_nonce = labeled_expand_fixed::<NONCE_LEN>(sid, &secret, b"base_nonce", &ksc);
    let exporter_secret = labeled_expand_fixed::<N>(sid, &secret, b"exp", &ksc);
    Ok(Schedule {
        key_schedule_context: ksc,
        secret,
        key,
        base_nonce,
        exporter_secret,
    })
}

/// The encryption context shared by both roles (RFC 9180 §5.2).
struct Context {
    suite_id: [u8; 10],
    key: aead::Key,
    base_nonce: Secret<NONCE_LEN>,
    seq: u64,
    exporter_secret: Secret32,
}

impl Context {
    fn new(kem_id: u16, aead: Algorithm, s: Schedule) -> Result<Self, CryptoError> {
        Ok(Self {
            suite_id: hpke_suite_id(kem_id, aead),
            key: aead::Key::new(aead, &s.key)?,
            base_nonce: s.base_nonce,
            seq: 0,
            exporter_secret: s.exporter_secret,
        })
    }

    /// ```text
    /// def ComputeNonce(seq):
    ///   seq_bytes = I2OSP(seq, Nn)
    ///   return xor(self.base_nonce, seq_bytes)
    /// ```
    fn compute_nonce(&self) -> [u8; NONCE_LEN] {
        let mut nonce = *self.base_nonce.as_bytes();
        for (n, s) in nonce
            .iter_mut()
            .skip(NONCE_LEN - 8)
            .zip(self.seq.to_be_bytes())
        {
            *n ^= s;
        }
        nonce
    }

    /// The next sequence number, checked before the nonce is used so that a failed increment
    /// can never lead to nonce reuse (RFC 9180 §5.2 `IncrementSeq`; `seq` is a u64 here).
    fn next_seq(&self) -> Result<u64, CryptoError> {
        Ok(self.seq.checked_add(1).ok_or(Misuse::MessageLimit)?)
    }

    /// ```text
    /// def Context.Export(exporter_context, L):
    ///   return LabeledExpand(self.exporter_secret, "sec", exporter_context, L)
    /// ```
    /// RFC 9180 §5.3.
    fn export(
        &self,
        exporter_context: &[u8],
        len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let mut out = Zeroizing::new(vec![0u8; len]);
        labeled_expand(
            &self.suite_id,
            &self.exporter_secret,
            b"sec",
            exporter_context,
            &mut out,
        )?;
        Ok(out)
    }
}

/// The sender's context (RFC 9180 §5.2 `ContextS`).
pub struct SenderContext(Context);

impl SenderContext {
    /// ```text
    /// def ContextS.Seal(aad, pt):
    ///   ct = Seal(self.key, self.ComputeNonce(self.seq), aad, pt)
    ///   self.IncrementSeq()
    ///   return ct
    /// ```
    pub fn seal(&mut self, aad: &[u8], pt: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let next = self.0.next_seq()?;
        let ct = self.0.key.seal(&self.0.compute_nonce(), aad, pt)?;
        self.0.seq = next;
        Ok(ct)
    }

    /// A secret exported from the context (RFC 9180 §5.3); `len <= 255 * 32`.
    pub fn export(
        &self,
        exporter_context: &[u8],
        len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        self.0.export(exporter_context, len)
    }

    #[cfg(test)]
    pub(crate) fn set_seq(&mut self, seq: u64) {
        self.0.seq = seq;
    }
}

/// The recipient's context (RFC 9180 §5.2 `ContextR`).
pub struct ReceiverContext(Context);

impl ReceiverContext {
    /// ```text
    /// def ContextR.Open(aad, ct):
    ///   pt = Open(self.key, self.ComputeNonce(self.seq), aad, ct)
    ///   if pt == OpenError: raise OpenError
    ///   self.IncrementSeq()
    ///   return pt
    /// ```
    pub fn open(&mut self, aad: &[u8], ct: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let next = self.0.next_seq()?;
        let pt = self.0.key.open(&self.0.compute_nonce(), aad, ct)?;
        self.0.seq = next;
        Ok(pt)
    }

    /// A secret exported from the context (RFC 9180 §5.3); `len <= 255 * 32`.
    pub fn export(
        &self,
        exporter_context: &[u8],
        len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        self.0.export(exporter_context, len)
    }

    #[cfg(test)]
    pub(crate) fn set_seq(&mut self, seq: u64) {
        self.0.seq = seq;
    }
}

/// An HPKE ciphersuite with KDF 0x0001: the KEM `K` ([`DhKemX25519`] unless named) and an AEAD.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Hpke<K: Kem = DhKemX25519> {
    aead: Algorithm,
    kem: PhantomData<K>,
}

impl Hpke<DhKemX25519> {
    /// Suite 1's HPKE: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM (spec §3.1;
    /// HRT-CRYPTO-28).
    pub const SUITE_1: Hpke = Hpke::with_aead(Algorithm::Aes256Gcm);

    /// The DHKEM(X25519) suite with the given AEAD.
    pub const fn new(aead: Algorithm) -> Self {
        Self::with_aead(aead)
    }
}

impl<K: Kem> Hpke<K> {
    /// The suite of KEM `K` with the given AEAD (`Hpke::<XWing>::with_aead(..)`).
    pub const fn with_aead(aead: Algorithm) -> Self {
        Self {
            aead,
            kem: PhantomData,
        }
    }

    /// The suite's AEAD.
    pub const fn aead(&self) -> Algorithm {
        self.aead
    }

    fn setup_s(
        &self,
        mode: Mode,
        pk_r: &K::PublicKey,
        info: &[u8],
        psk: &[u8],
        psk_id: &[u8],
        ikm_e: &[u8],
    ) -> Result<(K::Enc, SenderContext), CryptoError> {
        verify_psk_inputs(mode, psk, psk_id)?;
        let (shared_secret, enc) = K::encap_derand(pk_r, ikm_e)?;
        let s = key_schedule(K::ID, self.aead, mode, &shared_secret, info, psk, psk_id)?;
        Ok((enc, SenderContext(Context::new(K::ID, self.aead, s)?)))
    }

    fn setup_s_random(
        &self,
        mode: Mode,
        pk_r: &K::PublicKey,
        info: &[u8],
        psk: &[u8],
        psk_id: &[u8],
    ) -> Result<(K::Enc, SenderContext), CryptoError> {
        self.setup_s_with_rng(&mut OsRng, mode, pk_r, info, psk, psk_id)
    }

    fn setup_r(
        &self,
        mode: Mode,
        enc: &K::Enc,
        sk_r: &K::SecretKey,
        info: &[u8],
        psk: &[u8],
        psk_id: &[u8],
    ) -> Result<ReceiverContext, CryptoError> {
        verify_psk_inputs(mode, psk, psk_id)?;
        let shared_secret = K::decap(enc, sk_r)?;
        let s = key_schedule(K::ID, self.aead, mode, &shared_secret, info, psk, psk_id)?;
        Ok(ReceiverContext(Context::new(K::ID, self.aead, s)?))
    }

    /// ```text
    /// def SetupBaseS(pkR, info):
    ///   shared_secret, enc = Encap(pkR)
    ///   return enc, KeyScheduleS(mode_base, shared_secret, info, default_psk, default_psk_id)
    /// ```
    /// RFC 9180 §5.1.1.
    pub fn setup_base_s(
        &self,
        pk_r: &K::PublicKey,
        info: &[u8],
    ) -> Result<(K::Enc, SenderContext), CryptoError> {
        self.setup_s_random(Mode::Base, pk_r, info, b"", b"")
    }

    /// ```text
    /// def SetupBaseR(enc, skR, info):
    ///   shared_secret = Decap(enc, skR)
    ///   return KeyScheduleR(mode_base, shared_secret, info, default_psk, default_psk_id)
    /// ```
    /// RFC 9180 §5.1.1.
    pub fn setup_base_r(
        &self,
        enc: &K::Enc,
        sk_r: &K::SecretKey,
        info: &[u8],
    ) -> Result<ReceiverContext, CryptoError> {
        self.setup_r(Mode::Base, enc, sk_r, info, b"", b"")
    }

    /// ```text
    /// def SetupPSKS(pkR, info, psk, psk_id):
    ///   shared_secret, enc = Encap(pkR)
    ///   return enc, KeyScheduleS(mode_psk, shared_secret, info, psk, psk_id)
    /// ```
    /// RFC 9180 §5.1.2. `psk` and `psk_id` must both be non-empty ([`Misuse::PskInputs`]).
    pub fn setup_psk_s(
        &self,
        pk_r: &K::PublicKey,
        info: &[u8],
        psk: &[u8],
        psk_id: &[u8],
    ) -> Result<(K::Enc, SenderContext), CryptoError> {
        self.setup_s_random(Mode::Psk, pk_r, info, psk, psk_id)
    }

    /// ```text
    /// def SetupPSKR(enc, skR, info, psk, psk_id):
    ///   shared_secret = Decap(enc, skR)
    ///   return KeyScheduleR(mode_psk, shared_secret, info, psk, psk_id)
    /// ```
    /// RFC 9180 §5.1.2.
    pub fn setup_psk_r(
        &self,
        enc: &K::Enc,
        sk_r: &K::SecretKey,
        info: &[u8],
        psk: &[u8],
        psk_id: &[u8],
    ) -> Result<ReceiverContext, CryptoError> {
        self.setup_r(Mode::Psk, enc, sk_r, info, psk, psk_id)
    }

    /// Single-shot Base-mode seal (RFC 9180 §6.1): `SetupBaseS` then one `Seal`
    /// (HRT-CRYPTO-29, HRT-CRYPTO-32). An all-zero DH result aborts the seal (HRT-CRYPTO-27).
    pub fn seal_base(
        &self,
        pk_r: &K::PublicKey,
        info: &[u8],
        aad: &[u8],
        pt: &[u8],
    ) -> Result<(K::Enc, Vec<u8>), CryptoError> {
        let (enc, mut ctx) = self.setup_base_s(pk_r, info)?;
        Ok((enc, ctx.seal(aad, pt)?))
    }

    /// Single-shot Base-mode open (RFC 9180 §6.1): `SetupBaseR` then one `Open`.
    pub fn open_base(
        &self,
        enc: &K::Enc,
        sk_r: &K::SecretKey,
        info: &[u8],
        aad: &[u8],
        ct: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        self.setup_base_r(enc, sk_r, info)?.open(aad, ct)
    }

    /// Single-shot PSK-mode seal (RFC 9180 §6.1); Hearth uses it only for the join request
    /// (HRT-CRYPTO-30, HRT-CRYPTO-31).
    pub fn seal_psk(
        &self,
        pk_r: &K::PublicKey,
        info: &[u8],
        aad: &[u8],
        pt: &[u8],
        psk: &[u8],
        psk_id: &[u8],
    ) -> Result<(K::Enc, Vec<u8>), CryptoError> {
        let (enc, mut ctx) = self.setup_psk_s(pk_r, info, psk, psk_id)?;
        Ok((enc, ctx.seal(aad, pt)?))
    }

    /// Single-shot PSK-mode open (RFC 9180 §6.1).
    #[allow(clippy::too_many_arguments, reason = "the RFC's argument list")]
    pub fn open_psk(
        &self,
        enc: &K::Enc,
        sk_r: &K::SecretKey,
        info: &[u8],
        aad: &[u8],
        ct: &[u8],
        psk: &[u8],
        psk_id: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        self.setup_psk_r(enc, sk_r, info, psk, psk_id)?
            .open(aad, ct)
    }

    /// Sender setup (RFC 9180 §5.1) drawing the ephemeral `ikmE` (32 bytes) from `rng`; the
    /// group layer routes its randomness through one source (spec §3.9). The joiner seals its
    /// join request with it and exports the short authentication string from the same context
    /// (spec §5.8.1, HRT-CRYPTO-44).
    pub(crate) fn setup_s_with_rng(
        &self,
        rng: &mut impl rand_core::CryptoRngCore,
        mode: Mode,
        pk_r: &K::PublicKey,
        info: &[u8],
        psk: &[u8],
        psk_id: &[u8],
    ) -> Result<(K::Enc, SenderContext), CryptoError> {
        // Exactly `Nrandom` bytes are drawn, so suite 1 consumes 32 as it always has.
        let mut ikm_e = Zeroizing::new([0u8; kem::MAX_RANDOM]);
        let ikm_e = ikm_e.get_mut(..K::N_RANDOM).ok_or(Misuse::OutputLength)?;
        rng.fill_bytes(ikm_e);
        self.setup_s(mode, pk_r, info, psk, psk_id, ikm_e)
    }

    /// Single-shot seal with [`Hpke::setup_s_with_rng`] (RFC 9180 §6.1).
    #[allow(
        clippy::too_many_arguments,
        reason = "the RFC's argument list plus the RNG"
    )]
    pub(crate) fn seal_with_rng(
        &self,
        rng: &mut impl rand_core::CryptoRngCore,
        mode: Mode,
        pk_r: &K::PublicKey,
        info: &[u8],
        aad: &[u8],
        pt: &[u8],
        psk: &[u8],
        psk_id: &[u8],
    ) -> Result<(K::Enc, Vec<u8>), CryptoError> {
        let (enc, mut ctx) = self.setup_s_with_rng(rng, mode, pk_r, info, psk, psk_id)?;
        Ok((enc, ctx.seal(aad, pt)?))
    }

    /// DANGER: sender setup with caller-supplied ephemeral keying material `ikm_e`
    /// (`skE, pkE = DeriveKeyPair(ikmE)`), for reproducible test vectors only. Reusing `ikm_e`
    /// reuses the ephemeral key and breaks confidentiality. Pass empty `psk`/`psk_id` for
    /// [`Mode::Base`].
    #[cfg(any(test, feature = "danger-deterministic"))]
    #[doc(hidden)]
    pub fn danger_setup_s_derand(
        &self,
        mode: Mode,
        pk_r: &K::PublicKey,
        info: &[u8],
        psk: &[u8],
        psk_id: &[u8],
        ikm_e: &[u8],
    ) -> Result<(K::Enc, SenderContext), CryptoError> {
        self.setup_s(mode, pk_r, info, psk, psk_id, ikm_e)
    }
}

/// DANGER: the bare `Encap(pkR)` of KEM `K` with caller-supplied randomness (`Nrandom` =
/// [`Kem::N_RANDOM`] bytes; reusing it reuses the encapsulation), for benchmarks and vectors
/// only.
#[cfg(any(test, feature = "danger-deterministic"))]
#[doc(hidden)]
pub fn danger_encap_derand<K: Kem>(
    pk_r: &K::PublicKey,
    randomness: &[u8],
) -> Result<(Secret32, K::Enc), CryptoError> {
    K::encap_derand(pk_r, randomness)
}

/// DANGER (benchmarks and vectors): the bare `Decap(enc, skR)` of KEM `K`, without a key
/// schedule.
#[cfg(any(test, feature = "danger-deterministic"))]
#[doc(hidden)]
pub fn danger_decap<K: Kem>(enc: &K::Enc, sk_r: &K::SecretKey) -> Result<Secret32, CryptoError> {
    K::decap(enc, sk_r)
}

#[cfg(test)]
mod tests;
