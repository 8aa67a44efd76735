//! Hearth's long-term and per-channel keys (spec §4): identity key IK, member key MK, init key,
//! member certificates and fingerprints.

use core::fmt;

use hearth_wire::Encoder;

use crate::error::CryptoError;
use crate::hazmat::ed25519::{Signature, SigningKey, VerifyingKey};
use crate::hazmat::label;
use crate::hazmat::labelled::{bstr, h, sign_with_label, verify_with_label};
use crate::hazmat::x25519;

/// Length of a channel id (spec §4.2).
pub const CHANNEL_ID_LEN: usize = 16;

/// An identity key IK (Ed25519, one per person-device; spec §4.1). Never sent to a host, never
/// used for DH.
#[derive(Clone, Debug)]
pub struct IdentityKey(SigningKey);

/// The public half of an identity key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IdentityPublicKey(VerifyingKey);

/// A member key MK (Ed25519, fresh per channel; spec §4.2): the host-visible account.
#[derive(Clone, Debug)]
pub struct MemberKey(SigningKey);

/// The public half of a member key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemberPublicKey(VerifyingKey);

/// A member certificate: `SignWithLabel(IK, "member-cert", [host_url, channel_id, MK_pub])`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberCert(Signature);

/// An init key (X25519, per member per channel; spec §4.3), the HPKE recipient key of
/// commit secrets and Welcomes.
#[derive(Clone, Debug)]
pub struct InitKey(x25519::SecretKey);

impl IdentityKey {
    /// A fresh identity key from the OS RNG (HRT-CRYPTO-21).
    pub fn generate() -> Self {
        Self(SigningKey::generate())
    }

    /// The identity key with this Ed25519 seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(SigningKey::from_seed(seed))
    }

    /// The underlying signing key.
    pub fn signing_key(&self) -> &SigningKey {
        &self.0
    }

    /// The public key.
    pub fn public_key(&self) -> IdentityPublicKey {
        IdentityPublicKey(*self.0.verifying_key())
    }

    /// ```text
    /// member_cert = SignWithLabel(IK, "member-cert", [host_url, channel_id, MK_pub])
    /// ```
    /// Spec §4.3; `host_url` a text string, `channel_id` and `MK_pub` byte strings (HRT-KEY-7).
    pub fn certify_member(
        &self,
        host_url: &str,
        channel_id: &[u8; CHANNEL_ID_LEN],
        mk: &MemberPublicKey,
    ) -> MemberCert {
        MemberCert(sign_with_label(
            &self.0,
            label::MEMBER_CERT,
            cert_content(host_url, channel_id, mk),
        ))
    }
}

fn cert_content<'a>(
    host_url: &'a str,
    channel_id: &'a [u8; CHANNEL_ID_LEN],
    mk: &'a MemberPublicKey,
) -> impl FnOnce(&mut Encoder) + 'a {
    move |e| {
        e.array(3)
            .text(host_url)
            .bytes(channel_id)
            .bytes(mk.0.as_bytes());
    }
}

impl IdentityPublicKey {
    /// Validates an encoded identity key (spec §3.5 rule 1).
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, CryptoError> {
        VerifyingKey::from_bytes(bytes).map(Self)
    }

    /// The validated Ed25519 key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.0
    }

    /// The encoded key.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    /// ```text
    /// fpr = H("fpr", IK_pub)
    /// ```
    /// Spec §4.6; `IK_pub` as a byte string (HRT-KEY-15).
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint(h(label::FPR, bstr(self.0.as_bytes())))
    }

    /// Verifies a member certificate for `[host_url, channel_id, MK_pub]` (spec §4.3,
    /// HRT-KEY-8). The caller passes the host URL and channel id it already holds, never values
    /// from the structure carrying the certificate (HRT-KEY-9). Fails with
    /// [`CryptoError::BadMemberCert`].
    pub fn verify_member_cert(
        &self,
        host_url: &str,
        channel_id: &[u8; CHANNEL_ID_LEN],
        mk: &MemberPublicKey,
        cert: &MemberCert,
    ) -> Result<(), CryptoError> {
        verify_with_label(
            &self.0,
            label::MEMBER_CERT,
            cert_content(host_url, channel_id, mk),
            &cert.0,
        )
        .map_err(|_| CryptoError::BadMemberCert)
    }
}

impl MemberKey {
    /// A fresh member key from the OS RNG (HRT-KEY-4, HRT-KEY-5).
    pub fn generate() -> Self {
        Self(SigningKey::generate())
    }

    pub(crate) fn generate_with(rng: &mut impl rand_core::CryptoRngCore) -> Self {
        Self(SigningKey::generate_with(rng))
    }

    /// The member key with this Ed25519 seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(SigningKey::from_seed(seed))
    }

    /// The underlying signing key.
    pub fn signing_key(&self) -> &SigningKey {
        &self.0
    }

    /// The public key.
    pub fn public_key(&self) -> MemberPublicKey {
        MemberPublicKey(*self.0.verifying_key())
    }

    /// The `key` and `sig` of a `SignedRequest` (spec §8.2): this public key and
    /// `SignWithLabel(MK, "request", request_bytes)`.
    pub fn sign_request(
        &self,
        request_bytes: &[u8],
    ) -> (hearth_wire::EdPublic, hearth_wire::Signature) {
        let sig = sign_with_label(&self.0, label::REQUEST, bstr(request_bytes));
        (
            hearth_wire::EdPublic(*self.public_key().as_bytes()),
            hearth_wire::Signature(sig.to_bytes()),
        )
    }
}

impl MemberPublicKey {
    /// Validates an encoded member key (spec §3.5 rule 1; a weak key is `bad_signature`,
    /// HRT-KEY-24).
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, CryptoError> {
        VerifyingKey::from_bytes(bytes).map(Self)
    }

    /// The validated Ed25519 key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.0
    }

    /// The encoded key.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }
}

impl MemberCert {
    /// Parses a 64-byte certificate.
    pub fn from_bytes(bytes: &[u8; 64]) -> Self {
        Self(Signature::from_bytes(bytes))
    }

    /// The encoded certificate (an Ed25519 signature).
    pub fn to_bytes(&self) -> [u8; 64] {
        self.0.to_bytes()
    }
}

impl InitKey {
    /// A fresh init key from the OS RNG (HRT-KEY-11, HRT-CRYPTO-34).
    pub fn generate() -> Self {
        Self(x25519::SecretKey::generate())
    }

    pub(crate) fn generate_with(rng: &mut impl rand_core::CryptoRngCore) -> Self {
        Self(x25519::SecretKey::generate_with(rng))
    }

    /// Wraps an X25519 secret key.
    pub fn from_secret(sk: x25519::SecretKey) -> Self {
        Self(sk)
    }

    /// The X25519 secret key (the HPKE `skR`).
    pub fn secret_key(&self) -> &x25519::SecretKey {
        &self.0
    }

    /// The public key published in commits and join requests.
    pub fn public_key(&self) -> x25519::PublicKey {
        self.0.public_key()
    }
}

/// An identity fingerprint `fpr = H("fpr", IK_pub)` (spec §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// Wraps 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The fingerprint bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// `fpr[0..16]`, the inviter prefix carried in an invitation (spec §5.1).
    pub fn prefix(&self) -> [u8; 16] {
        let mut p = [0u8; 16];
        for (d, s) in p.iter_mut().zip(self.0) {
            *d = s;
        }
        p
    }

    /// The display form (spec §4.6, HRT-KEY-16): 8 groups of 5 decimal digits, group `i` =
    /// `uint32_be(fpr[4i..4i+4]) mod 100000`, zero-padded, separated by single spaces.
    pub fn display_digits(&self) -> String {
        let groups: Vec<String> = self
            .0
            .chunks_exact(4)
            .map(|c| {
                let mut w = [0u8; 4];
                w.copy_from_slice(c);
                format!("{:05}", u32::from_be_bytes(w) % 100_000)
            })
            .collect();
        groups.join(" ")
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_digits())
    }
}

#[cfg(test)]
mod tests;
