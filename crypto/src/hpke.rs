//! HPKE (RFC 9180), implemented here for Hearth's key transport (spec §3.6).
//!
//! KEM DHKEM(X25519, HKDF-SHA256) (`kem_id` 0x0020), KDF HKDF-SHA256 (`kdf_id` 0x0001), AEAD
//! AES-128-GCM (0x0001, for the RFC vectors) or AES-256-GCM (0x0002, suite 1). Modes Base
//! (0x00) and PSK (0x01) only: the Auth modes are absent by design (they are not KCI-resistant,
//! protocol brief §2). Hearth uses Base for commit secrets and Welcomes and PSK only for the join
//! request.
//!
//! Randomness: the ephemeral key is `DeriveKeyPair(ikmE)` with `ikmE` 32 bytes from the OS RNG.
//! The feature `danger-deterministic` exposes `Hpke::danger_setup_s_derand`, which takes
//! `ikmE` from the caller so vectors are reproducible (rust-hpke `TestableKem` style); it is the
//! same code path with another source of `ikmE`.

use hkdf::HkdfExtract;
use rand_core::OsRng;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::aead::{self, Algorithm, NONCE_LEN};
use crate::error::{CryptoError, Misuse};
use crate::labelled::hkdf_expand;
use crate::secret::{Secret, Secret32};
use crate::x25519::{PublicKey, SecretKey};

/// `kem_id` of DHKEM(X25519, HKDF-SHA256) (RFC 9180 §7.1).
pub const KEM_ID: u16 = 0x0020;
/// `kdf_id` of HKDF-SHA256 (RFC 9180 §7.2).
pub const KDF_ID: u16 = 0x0001;
/// `Nsecret`, `Nenc`, `Npk`, `Nsk` and `Nh` are all 32 for this KEM and KDF.
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
const KEM_SUITE_ID: [u8; 5] = [b'K', b'E', b'M', 0x00, 0x20];

/// ```text
/// suite_id = concat("HPKE", I2OSP(kem_id, 2), I2OSP(kdf_id, 2), I2OSP(aead_id, 2))
/// ```
/// RFC 9180 §5.1.
fn hpke_suite_id(aead: Algorithm) -> [u8; 10] {
    let [k0, k1] = KEM_ID.to_be_bytes();
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
    const { assert!(M <= crate::labelled::MAX_EXPAND) };
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
    aead: Algorithm,
    mode: Mode,
    shared_secret: &Secret32,
    info: &[u8],
    psk: &[u8],
    psk_id: &[u8],
) -> Result<Schedule, CryptoError> {
    verify_psk_inputs(mode, psk, psk_id)?;
    let sid = hpke_suite_id(aead);
    let psk_id_hash = labeled_extract(&sid, b"", b"psk_id_hash", psk_id);
    let info_hash = labeled_extract(&sid, b"", b"info_hash", info);
    let mut ksc = Vec::with_capacity(1 + 2 * N);
    ksc.push(mode.id());
    ksc.extend_from_slice(psk_id_hash.as_bytes());
    ksc.extend_from_slice(info_hash.as_bytes());
    let secret = labeled_extract(&sid, shared_secret.as_bytes(), b"secret", psk);
    let mut key = Zeroizing::new(vec![0u8; aead.key_len()]);
    labeled_expand(&sid, &secret, b"key", &ksc, &mut key)?;
    let base_nonce = labeled_expand_fixed::<NONCE_LEN>(&sid, &secret, b"base_nonce", &ksc);
    let exporter_secret = labeled_expand_fixed::<N>(&sid, &secret, b"exp", &ksc);
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
    fn new(aead: Algorithm, s: Schedule) -> Result<Self, CryptoError> {
        Ok(Self {
            suite_id: hpke_suite_id(aead),
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

/// An HPKE ciphersuite with KEM 0x0020 and KDF 0x0001; only the AEAD varies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Hpke {
    aead: Algorithm,
}

impl Hpke {
    /// Suite 1's HPKE: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM (spec §3.1;
    /// HRT-CRYPTO-28).
    pub const SUITE_1: Hpke = Hpke {
        aead: Algorithm::Aes256Gcm,
    };

    /// The suite with the given AEAD.
    pub const fn new(aead: Algorithm) -> Self {
        Self { aead }
    }

    /// The suite's AEAD.
    pub const fn aead(&self) -> Algorithm {
        self.aead
    }

    fn setup_s(
        &self,
        mode: Mode,
        pk_r: &PublicKey,
        info: &[u8],
        psk: &[u8],
        psk_id: &[u8],
        ikm_e: &[u8],
    ) -> Result<(Enc, SenderContext), CryptoError> {
        verify_psk_inputs(mode, psk, psk_id)?;
        let (shared_secret, enc) = encap_derand(pk_r, ikm_e)?;
        let s = key_schedule(self.aead, mode, &shared_secret, info, psk, psk_id)?;
        Ok((enc, SenderContext(Context::new(self.aead, s)?)))
    }

    fn setup_s_random(
        &self,
        mode: Mode,
        pk_r: &PublicKey,
        info: &[u8],
        psk: &[u8],
        psk_id: &[u8],
    ) -> Result<(Enc, SenderContext), CryptoError> {
        self.setup_s_with_rng(&mut OsRng, mode, pk_r, info, psk, psk_id)
    }

    fn setup_r(
        &self,
        mode: Mode,
        enc: &Enc,
        sk_r: &SecretKey,
        info: &[u8],
        psk: &[u8],
        psk_id: &[u8],
    ) -> Result<ReceiverContext, CryptoError> {
        verify_psk_inputs(mode, psk, psk_id)?;
        let shared_secret = decap(enc, sk_r)?;
        let s = key_schedule(self.aead, mode, &shared_secret, info, psk, psk_id)?;
        Ok(ReceiverContext(Context::new(self.aead, s)?))
    }

    /// ```text
    /// def SetupBaseS(pkR, info):
    ///   shared_secret, enc = Encap(pkR)
    ///   return enc, KeyScheduleS(mode_base, shared_secret, info, default_psk, default_psk_id)
    /// ```
    /// RFC 9180 §5.1.1.
    pub fn setup_base_s(
        &self,
        pk_r: &PublicKey,
        info: &[u8],
    ) -> Result<(Enc, SenderContext), CryptoError> {
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
        enc: &Enc,
        sk_r: &SecretKey,
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
        pk_r: &PublicKey,
        info: &[u8],
        psk: &[u8],
        psk_id: &[u8],
    ) -> Result<(Enc, SenderContext), CryptoError> {
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
        enc: &Enc,
        sk_r: &SecretKey,
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
        pk_r: &PublicKey,
        info: &[u8],
        aad: &[u8],
        pt: &[u8],
    ) -> Result<(Enc, Vec<u8>), CryptoError> {
        let (enc, mut ctx) = self.setup_base_s(pk_r, info)?;
        Ok((enc, ctx.seal(aad, pt)?))
    }

    /// Single-shot Base-mode open (RFC 9180 §6.1): `SetupBaseR` then one `Open`.
    pub fn open_base(
        &self,
        enc: &Enc,
        sk_r: &SecretKey,
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
        pk_r: &PublicKey,
        info: &[u8],
        aad: &[u8],
        pt: &[u8],
        psk: &[u8],
        psk_id: &[u8],
    ) -> Result<(Enc, Vec<u8>), CryptoError> {
        let (enc, mut ctx) = self.setup_psk_s(pk_r, info, psk, psk_id)?;
        Ok((enc, ctx.seal(aad, pt)?))
    }

    /// Single-shot PSK-mode open (RFC 9180 §6.1).
    #[allow(clippy::too_many_arguments, reason = "the RFC's argument list")]
    pub fn open_psk(
        &self,
        enc: &Enc,
        sk_r: &SecretKey,
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
        pk_r: &PublicKey,
        info: &[u8],
        psk: &[u8],
        psk_id: &[u8],
    ) -> Result<(Enc, SenderContext), CryptoError> {
        let mut ikm_e = Zeroizing::new([0u8; N]);
        rng.fill_bytes(ikm_e.as_mut());
        self.setup_s(mode, pk_r, info, psk, psk_id, ikm_e.as_ref())
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
        pk_r: &PublicKey,
        info: &[u8],
        aad: &[u8],
        pt: &[u8],
        psk: &[u8],
        psk_id: &[u8],
    ) -> Result<(Enc, Vec<u8>), CryptoError> {
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
        pk_r: &PublicKey,
        info: &[u8],
        psk: &[u8],
        psk_id: &[u8],
        ikm_e: &[u8],
    ) -> Result<(Enc, SenderContext), CryptoError> {
        self.setup_s(mode, pk_r, info, psk, psk_id, ikm_e)
    }
}

#[cfg(test)]
mod tests;
