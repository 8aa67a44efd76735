//! The labelled primitives of suite 1 (spec §3.2): `H`, `Extract`, `ExpandWithLabel`,
//! `DeriveSecret`, `MAC` and `SignWithLabel` / `VerifyWithLabel`.
//!
//! Every composite input is one canonical hCBOR item (spec §2), which is self-delimiting, so the
//! encoding is injective. Items that the caller supplies (`x`, `ctx`, `data`, `c`) are written
//! by a closure into the [`Encoder`]; the closure must write **exactly one** item. [`bstr`] is the
//! closure for the common "byte string" case, and `|e| { e.raw(bytes); }` embeds exact received
//! bytes that already are one item (spec §2.6: signatures and hashes cover the received bytes).

use hearth_wire::{encode_with, Encoder};
use hkdf::Hkdf;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{CryptoError, Misuse};
use crate::hazmat::ed25519::{Signature, SigningKey, VerifyingKey};
use crate::hazmat::label::Label;
use crate::secret::{Secret, Secret32};

/// The largest output of HKDF-Expand with SHA-256: 255 · HashLen (RFC 5869 §2.3).
pub const MAX_EXPAND: usize = 255 * 32;

/// The item writer for a byte string: `h(FPR, bstr(ik_pub))` is `H("fpr", h'…')`.
pub fn bstr(b: &[u8]) -> impl FnOnce(&mut Encoder) + '_ {
    move |e| {
        e.bytes(b);
    }
}

/// ```text
/// H(Label, x) = SHA-256(hCBOR([label, x]))
/// ```
/// Spec §3.2; `x` is any item (a byte string when hashing bytes). HRT-CRYPTO-3, HRT-CRYPTO-4.
pub fn h(label: Label, x: impl FnOnce(&mut Encoder)) -> [u8; 32] {
    let input = encode_with(|e| {
        e.array(2).text(&label.wire());
        x(e);
    });
    Sha256::digest(&input).into()
}

/// ```text
/// Extract(salt, ikm) = HKDF-Extract(salt, ikm)
/// ```
/// Spec §3.2, RFC 5869 §2.2 (an empty salt is HashLen zero bytes). HRT-CRYPTO-6.
pub fn extract(salt: &[u8], ikm: &[u8]) -> Secret32 {
    let (prk, _) = Hkdf::<Sha256>::extract(Some(salt), ikm);
    let mut out = Secret32::zero();
    out.as_mut_bytes().copy_from_slice(&prk);
    out
}

/// HKDF-Expand(PRK, info_1 || … || info_n, out.len()) (RFC 5869 §2.3), the one place this crate
/// calls HKDF-Expand. Errors only on caller misuse: a PRK shorter than HashLen or an output
/// longer than 255 · HashLen.
pub(crate) fn hkdf_expand(prk: &[u8], info: &[&[u8]], out: &mut [u8]) -> Result<(), Misuse> {
    let hk = Hkdf::<Sha256>::from_prk(prk).map_err(|_| Misuse::KeyLength)?;
    hk.expand_multi_info(info, out)
        .map_err(|_| Misuse::OutputLength)
}

/// HKDF-Expand into a fixed-size secret whose size is checked at compile time.
fn expand_fixed<const N: usize>(prk: &Secret32, info: &[u8]) -> Secret<N> {
    const { assert!(N <= MAX_EXPAND, "HKDF-SHA256 output too long") };
    let mut out = Secret::<N>::zero();
    #[allow(
        clippy::expect_used,
        reason = "the PRK is 32 bytes and N <= 255 * 32 is checked at compile time"
    )]
    hkdf_expand(prk.as_bytes(), &[info], out.as_mut_bytes()).expect("HKDF-Expand within bounds");
    out
}

/// ```text
/// ExpandWithLabel(S, Label, ctx, L) = HKDF-Expand(S, hCBOR([L, label, ctx]), L)
/// ```
/// Spec §3.2; `L` is the const parameter `N`, `ctx` any item (usually a byte string).
/// HRT-CRYPTO-5 (and HRT-CRYPTO-3 for the label encoding).
pub fn expand_with_label<const N: usize>(
    secret: &Secret32,
    label: Label,
    ctx: impl FnOnce(&mut Encoder),
) -> Secret<N> {
    expand_with_wire_label(secret, &label.wire(), ctx)
}

/// [`expand_with_label`] with the full wire label given as text; used for the exporter's
/// family of labels ([`crate::hazmat::label::ExporterLabel`], HRT-CRYPTO-5).
pub(crate) fn expand_with_wire_label<const N: usize>(
    secret: &Secret32,
    wire_label: &str,
    ctx: impl FnOnce(&mut Encoder),
) -> Secret<N> {
    let info = encode_with(|e| {
        e.array(3).uint(N as u64).text(wire_label);
        ctx(e);
    });
    expand_fixed(secret, &info)
}

/// [`expand_with_label`] with a length chosen at run time (for example the group exporter's
/// caller-chosen `L`); fails with [`Misuse::OutputLength`] beyond 255 · 32 bytes
/// (HRT-CRYPTO-12).
pub fn expand_with_label_len(
    secret: &Secret32,
    label: Label,
    ctx: impl FnOnce(&mut Encoder),
    len: usize,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let info = encode_with(|e| {
        e.array(3).uint(len as u64).text(&label.wire());
        ctx(e);
    });
    let mut out = Zeroizing::new(vec![0u8; len]);
    hkdf_expand(secret.as_bytes(), &[&info], &mut out)?;
    Ok(out)
}

/// ```text
/// DeriveSecret(S, Label) = ExpandWithLabel(S, Label, h'', 32)
/// ```
/// Spec §3.2.
pub fn derive_secret(secret: &Secret32, label: Label) -> Secret32 {
    expand_with_label::<32>(secret, label, bstr(&[]))
}

/// A 32-byte MAC tag (spec §3.2). Equality is constant-time.
#[derive(Clone, Copy, Debug)]
pub struct MacTag([u8; 32]);

impl MacTag {
    /// The tag bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl PartialEq for MacTag {
    fn eq(&self, other: &Self) -> bool {
        bool::from(self.0.ct_eq(&other.0))
    }
}

impl Eq for MacTag {}

/// ```text
/// MAC(K, Label, data) = HKDF-Expand(K, hCBOR([label, data]), 32)
/// ```
/// Spec §3.2 (HMAC-SHA256(K, info || 0x01) under the hood). HRT-CRYPTO-7.
pub fn mac(key: &Secret32, label: Label, data: impl FnOnce(&mut Encoder)) -> MacTag {
    let info = encode_with(|e| {
        e.array(2).text(&label.wire());
        data(e);
    });
    let out = expand_fixed::<32>(key, &info);
    MacTag(*out.as_bytes())
}

/// Recomputes `MAC(K, Label, data)` and compares it with `tag` in constant time (spec §3.2,
/// HRT-CRYPTO-8).
/// A tag of the wrong length fails like a wrong tag.
pub fn verify_mac(
    key: &Secret32,
    label: Label,
    data: impl FnOnce(&mut Encoder),
    tag: &[u8],
) -> Result<(), CryptoError> {
    let want = mac(key, label, data);
    if bool::from(want.0.as_slice().ct_eq(tag)) {
        Ok(())
    } else {
        Err(CryptoError::BadMac)
    }
}

/// The bytes `SignWithLabel` signs: `hCBOR([label, c])`. Exposed so that callers can collect
/// labelled messages for [`crate::hazmat::ed25519::verify_batch`].
pub fn signing_input(label: Label, c: impl FnOnce(&mut Encoder)) -> Vec<u8> {
    encode_with(|e| {
        e.array(2).text(&label.wire());
        c(e);
    })
}

/// ```text
/// SignWithLabel(sk, Label, c) = Ed25519.Sign(sk, hCBOR([label, c]))
/// ```
/// Spec §3.2; RFC 8032 §5.1.6 deterministic signing. HRT-CRYPTO-9, HRT-CRYPTO-20.
pub fn sign_with_label(sk: &SigningKey, label: Label, c: impl FnOnce(&mut Encoder)) -> Signature {
    sk.sign(&signing_input(label, c))
}

/// ```text
/// VerifyWithLabel(pk, Label, c, sig) = Ed25519.Verify_Hearth(pk, hCBOR([label, c]), sig)
/// ```
/// Spec §3.2 with the Ed25519 validity rules of spec §3.5. The caller passes the exact received
/// bytes of a `bstr .cbor` field as `c` (HRT-CRYPTO-10), for example with `|e| { e.bytes(b); }`.
pub fn verify_with_label(
    pk: &VerifyingKey,
    label: Label,
    c: impl FnOnce(&mut Encoder),
    sig: &Signature,
) -> Result<(), CryptoError> {
    pk.verify(&signing_input(label, c), sig)
}

/// HMAC-SHA256 (RFC 2104), used only to cross-check the HMAC under HKDF in tests.
#[cfg(test)]
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    use hkdf::hmac::{Hmac, Mac};
    #[allow(clippy::expect_used, reason = "HMAC accepts keys of any length")]
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    m.update(data);
    m.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests;
