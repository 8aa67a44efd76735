//! The label registry (spec §3.3): every label Hearth v1 uses, one constant per purpose.
//!
//! On the wire a label is the UTF-8 text string `"hearth/1 " + Label` (spec §3.2): the protocol
//! version sits inside every label, so keys, hashes and signatures of different versions are
//! domain-separated. This file mirrors the registry table row by row and is the only place a
//! [`Label`] can be made (rustls `tls13/key_schedule.rs` `SecretKind` style). The HPKE
//! (RFC 9180) labels such as `"HPKE-v1"`, `"eae_prk"` and `"sec"` are not Hearth labels; they live
//! in [`crate::hazmat::hpke`].

use core::fmt;

/// The version prefix of every label on the wire (spec §3.2).
pub const PREFIX: &str = "hearth/1 ";

/// A registered label. The field is private: only the constants below exist.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Label(&'static str);

impl Label {
    /// The registry name, without the version prefix (`"fpr"`).
    pub const fn name(self) -> &'static str {
        self.0
    }

    /// The label as it is encoded (a CBOR text string) in every labelled input:
    /// `"hearth/1 " + name` (spec §3.2).
    pub fn wire(self) -> String {
        let mut s = String::with_capacity(PREFIX.len() + self.0.len());
        s.push_str(PREFIX);
        s.push_str(self.0);
        s
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Label({:?})", self.0)
    }
}

macro_rules! registry {
    ($($(#[$doc:meta])* $name:ident = $text:literal;)*) => {
        $($(#[$doc])* pub const $name: Label = Label($text);)*

        /// Every registered label, in registry order.
        pub const ALL: &[Label] = &[$($name),*];
    };
}

registry! {
    // --- Keys (spec §4) ---
    /// `H`: fingerprint of an identity key, `fpr = H("fpr", IK_pub)` (spec §4.1).
    FPR = "fpr";
    /// `SignWithLabel(IK)`: member certificate over `[host_url, channel_id, MK_pub]` (spec §4.2).
    MEMBER_CERT = "member-cert";

    // --- Host API (spec §8) ---
    /// `SignWithLabel(IK owner)`: `channel.create` authorisation over `[host_url, channel_id, MK]`.
    CREATE = "create";
    /// `SignWithLabel(key)`: a SignedRequest over `request_bytes`.
    REQUEST = "request";

    // --- Invitation (spec §5) ---
    /// `SignWithLabel(MK joiner)`: proof of possession over
    /// `[host_url, channel_id, invite_id, invite_auth_pub]`.
    REDEEM = "redeem";
    /// `ExpandWithLabel(secret, ctx = channel_id, 16)`: the invite id.
    INVITE_ID = "invite-id";
    /// `ExpandWithLabel(secret, ctx = channel_id, 32)`: Ed25519 seed of the `invite_auth` key.
    INVITE_AUTH = "invite-auth";
    /// `ExpandWithLabel(secret, ctx = channel_id, 32)`: HPKE psk of the join request
    /// (`psk_id = invite_id`).
    INVITE_PSK = "invite-psk";
    /// `SignWithLabel(IK joiner)`: over `[channel_id, invite_id, jr_bytes]`.
    JOIN = "join";
    /// HPKE `info` of the join request: `hCBOR(["hearth/1 join-seal", [channel_id, invite_id]])`.
    JOIN_SEAL = "join-seal";
    /// HPKE exporter context of the join request: the short authentication string,
    /// `hCBOR(["hearth/1 join-sas", [channel_id, invite_id, inviter_pub, inviter_fpr16, IK, MK]])`
    /// (spec §5.8.1).
    JOIN_SAS = "join-sas";
    /// `H`: the four-byte check value of an invitation URI over the `Invite` bytes (spec §5.3.1).
    INVITE_CHECK = "invite-check";

    // --- Group and key schedule (spec §6) ---
    /// `H`: roster hash.
    ROSTER = "roster";
    /// `H`: `H("gc", GroupContext)`.
    GC = "gc";
    /// `H`: confirmed transcript hash, `cth[n+1] = H("cth", [cth[n], tbs_bytes])`.
    CTH = "cth";
    /// `SignWithLabel(MK)`: a commit over `tbs_bytes`.
    COMMIT = "commit";
    /// HPKE `info` of a sealed commit secret:
    /// `hCBOR(["hearth/1 commit-seal", [channel_id, new_epoch, recipient_leaf]])`.
    COMMIT_SEAL = "commit-seal";
    /// `ExpandWithLabel(commit_secret, ctx = [channel_id, base_epoch], 32)`: CommitPrivate key.
    COMMIT_KEY = "commit-key";
    /// `ExpandWithLabel(commit_secret, ctx = [channel_id, base_epoch], 12)`: CommitPrivate nonce.
    COMMIT_NONCE = "commit-nonce";
    /// `ExpandWithLabel(Extract(init_secret[n-1], commit_secret), "joiner", gc_hash[n], 32)`.
    JOINER = "joiner";
    /// `DeriveSecret(joiner_secret, "welcome")`: welcome_secret.
    WELCOME = "welcome";
    /// `ExpandWithLabel(welcome_secret, ctx = h'', 32)`: GroupInfo AEAD key.
    WELCOME_KEY = "welcome-key";
    /// `ExpandWithLabel(welcome_secret, ctx = h'', 12)`: GroupInfo AEAD nonce.
    WELCOME_NONCE = "welcome-nonce";
    /// HPKE `info` of a Welcome: `hCBOR(["hearth/1 welcome-seal", [channel_id, epoch]])`.
    WELCOME_SEAL = "welcome-seal";
    /// `ExpandWithLabel(joiner_secret, "epoch", gc_hash[n], 32)`: epoch_secret.
    EPOCH = "epoch";
    /// `DeriveSecret(epoch_secret, "app")`: app_secret.
    APP = "app";
    /// `DeriveSecret(epoch_secret, "confirm-key")`: confirm_key.
    CONFIRM_KEY = "confirm-key";
    /// `DeriveSecret(epoch_secret, "exporter")`: exporter_secret.
    EXPORTER = "exporter";
    /// `DeriveSecret(epoch_secret, "authentication")`: epoch_authenticator.
    AUTHENTICATION = "authentication";
    /// `DeriveSecret(epoch_secret, "init")`: `init_secret[n]`.
    INIT = "init";
    /// `MAC(confirm_key, "confirm", cth[n])`: confirmation tag.
    CONFIRM = "confirm";
    /// `SignWithLabel(MK signer)`: GroupInfo over `gi_bytes`.
    GROUP_INFO = "group-info";
    /// `ExpandWithLabel(app_secret, "sender", leaf, 32)`: per-sender base secret (generation 0).
    SENDER = "sender";
    /// `ExpandWithLabel(s_g, "ratchet-key", g, 32)`: per-generation AEAD key.
    RATCHET_KEY = "ratchet-key";
    /// `ExpandWithLabel(s_g, "ratchet-nonce", g, 12)`: per-generation AEAD nonce.
    RATCHET_NONCE = "ratchet-nonce";
    /// `ExpandWithLabel(s_g, "ratchet-next", g, 32)`: next generation's secret.
    RATCHET_NEXT = "ratchet-next";
    /// `ExpandWithLabel(DeriveSecret(exporter_secret, "exporter-" + label), "exported", ctx, L)`:
    /// the group exporter's final step.
    EXPORTED = "exported";

    // --- Messages (spec §7) ---
    /// `SignWithLabel(MK sender)`: over `[H("gc", GroupContext), sender, generation, content_bytes]`.
    MSG = "msg";
    /// `H`: `msg-ref = H("msgref", envelope_bytes)`.
    MSGREF = "msgref";
    /// AEAD AAD of an attachment chunk: `hCBOR(["hearth/1 attachment", i, last])`.
    ATTACHMENT = "attachment";

    // --- Log and blobs (spec §8, §9) ---
    /// `H`: `head_s = H("log", [head_{s-1}, s, kind, H("entry", bytes)])`.
    LOG = "log";
    /// `H`: entry hash.
    ENTRY = "entry";
    /// `H`: blob id, `H("blob", data)`.
    BLOB = "blob";
}

/// The prefix of the exporter's family of labels (spec §3.2, §6.4.1).
pub const EXPORTER_PREFIX: &str = "exporter-";

/// The caller-chosen part of an exporter label: `DeriveSecret(exporter_secret, "exporter-" +
/// label)` (spec §3.2, §3.4 row "`exporter-` + label", HRT-GRP-9).
///
/// The registry (spec §3.4) registers the whole *family* `"exporter-" + label` as one row, so it
/// cannot be a [`Label`] constant: a [`Label`] is one fixed registered string. This type is the
/// only way to name a member of the family. It holds a non-empty printable-ASCII label (bytes
/// `0x21..=0x7e`, at most 255 bytes); its wire form is `"hearth/1 exporter-" + label`. Because
/// every fixed label is checked not to start with `"exporter-"` (test
/// `labels_are_well_formed`), an exporter label can never equal a key-schedule label
/// (HRT-CRYPTO-11).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ExporterLabel(String);

impl ExporterLabel {
    /// The most bytes of a caller label.
    pub const MAX_LEN: usize = 255;

    /// Validates a caller label: non-empty printable ASCII without spaces, at most
    /// [`ExporterLabel::MAX_LEN`] bytes. `None` otherwise.
    pub fn new(label: &str) -> Option<Self> {
        let ok = !label.is_empty()
            && label.len() <= Self::MAX_LEN
            && label.bytes().all(|b| (0x21..=0x7e).contains(&b));
        ok.then(|| Self(label.to_owned()))
    }

    /// The caller's part (`"call-keys"`).
    pub fn name(&self) -> &str {
        &self.0
    }

    /// The label on the wire: `"hearth/1 exporter-" + label`.
    pub fn wire(&self) -> String {
        let mut s = String::with_capacity(PREFIX.len() + EXPORTER_PREFIX.len() + self.0.len());
        s.push_str(PREFIX);
        s.push_str(EXPORTER_PREFIX);
        s.push_str(&self.0);
        s
    }
}

impl fmt::Debug for ExporterLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExporterLabel({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn exporter_label_wire_form_hrt_grp_9() {
        let l = ExporterLabel::new("call-keys").map(|l| l.wire());
        assert_eq!(l.as_deref(), Some("hearth/1 exporter-call-keys"));
        assert!(ExporterLabel::new("").is_none());
        assert!(ExporterLabel::new("a b").is_none());
        assert!(ExporterLabel::new(&"x".repeat(256)).is_none());
    }

    #[test]
    fn labels_are_unique() {
        let mut seen = HashSet::new();
        for l in ALL {
            assert!(seen.insert(l.name()), "duplicate label {l:?}");
        }
        assert_eq!(ALL.len(), 43);
    }

    #[test]
    fn labels_are_well_formed() {
        for l in ALL {
            let n = l.name();
            assert!(!n.is_empty());
            assert!(
                n.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "label {n:?} must be lowercase ASCII words joined by '-'"
            );
            // No registered label is a prefix-extension of the dynamic exporter labels.
            assert!(!n.starts_with("exporter-"));
        }
    }

    #[test]
    fn wire_form_carries_the_version() {
        assert_eq!(FPR.wire(), "hearth/1 fpr");
        assert_eq!(MEMBER_CERT.wire(), "hearth/1 member-cert");
    }
}
