//! The CDDL's common types (`spec/hearth.cddl`, "common types"): fixed-size keys and ids,
//! bounded integers, and the code points of the registries (spec §12).

use crate::codec::{BoundedBytes, BoundedText};

fixed_bytes!(
    /// `channel-id = bstr .size 16`.
    ChannelId, 16
);
fixed_bytes!(
    /// `ed-pub = bstr .size 32`: an Ed25519 public key (validity is checked by hearth-crypto).
    EdPublic, 32
);
fixed_bytes!(
    /// `ed-sig = bstr .size 64`: an Ed25519 signature.
    Signature, 64
);
fixed_bytes!(
    /// `x-pub = bstr .size 32`: an X25519 public key.
    XPublic, 32
);
fixed_bytes!(
    /// `hash = bstr .size 32`: a SHA-256 output (`H`), also a MAC tag, log head or msg-ref.
    Hash, 32
);
fixed_bytes!(
    /// `nonce16 = bstr .size 16`: a request nonce or an invite id.
    Nonce16, 16
);
fixed_bytes!(
    /// The 4-byte AEAD nonce reuse guard of an envelope.
    ReuseGuard, 4
);
fixed_bytes!(
    /// The first 16 bytes of a fingerprint `H("fpr", IK)`.
    FprPrefix, 16
);
fixed_bytes!(
    /// A conversation id (spec §10).
    ConversationId, 16
);
secret_bytes!(
    /// The one-time invite secret (32 bytes).
    InviteSecret, 32
);
secret_bytes!(
    /// An attachment's AEAD key (32 bytes).
    AttachmentKey, 32
);

bounded_uint!(
    /// `leaf = uint .le 255`: an index into one epoch's roster.
    Leaf(u8)
);
bounded_uint!(
    /// `epoch`: the group epoch.
    Epoch(u64)
);
bounded_uint!(
    /// `seq`: a log sequence number (1-based; 0 means "none" where the CDDL allows it).
    Seq(u64)
);
bounded_uint!(
    /// `secs`: seconds since the Unix epoch (UTC).
    Secs(u64)
);
bounded_uint!(
    /// An envelope's generation (`uint .le 4294967295`).
    Generation(u32)
);

code_point!(
    /// `suite = uint .le 65535` (spec §12). Unknown values are kept; whether a suite is
    /// supported is the caller's decision ([`crate::WireError::UnsupportedSuite`]).
    Suite(u16) {
        /// Suite 1: DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM / Ed25519.
        X25519_SHA256_AES256GCM_ED25519 = 1, "x25519-sha256-aes256gcm-ed25519";
        /// Suite 2: MLKEM768-X25519 (X-Wing) / HKDF-SHA256 / AES-256-GCM / Ed25519, with
        /// DHKEM(X25519) for the per-invite key and the join request (spec §3.1).
        XWING_SHA256_AES256GCM_ED25519 = 2, "xwing-sha256-aes256gcm-ed25519";
    }
);

code_point!(
    /// `op = uint .le 65535` (spec §8, §12). Unknown values are kept; typed body decoding of
    /// an unknown op is [`crate::WireError::UnsupportedOp`].
    Op(u16) {
        /// `info`.
        INFO = 0, "info";
        /// `channel.create`.
        CHANNEL_CREATE = 1, "channel.create";
        /// `channel.delete`.
        CHANNEL_DELETE = 2, "channel.delete";
        /// `invite.create`.
        INVITE_CREATE = 3, "invite.create";
        /// `invite.revoke`.
        INVITE_REVOKE = 4, "invite.revoke";
        /// `invite.redeem`.
        INVITE_REDEEM = 5, "invite.redeem";
        /// `join.fetch`.
        JOIN_FETCH = 6, "join.fetch";
        /// `commit.post`.
        COMMIT_POST = 7, "commit.post";
        /// `commit.report`.
        COMMIT_REPORT = 8, "commit.report";
        /// `msg.post`.
        MSG_POST = 9, "msg.post";
        /// `log.fetch`.
        LOG_FETCH = 10, "log.fetch";
        /// `welcome.fetch`.
        WELCOME_FETCH = 11, "welcome.fetch";
        /// `member.leave`.
        MEMBER_LEAVE = 12, "member.leave";
        /// `blob.put`.
        BLOB_PUT = 13, "blob.put";
        /// `blob.get`.
        BLOB_GET = 14, "blob.get";
    }
);

code_point!(
    /// `content-type = uint .le 65535` (spec §7, §12). Unknown types are shown as
    /// unsupported content, never an error.
    ContentType(u16) {
        /// Text message.
        TEXT = 0, "text";
        /// Reaction.
        REACTION = 1, "reaction";
        /// Read receipt.
        RECEIPT = 2, "receipt";
        /// Edit of an earlier message.
        EDIT = 3, "edit";
        /// Deletion of an earlier message.
        DELETE = 4, "delete";
        /// Profile (name, avatar).
        PROFILE = 5, "profile";
        /// Attachment reference.
        ATTACHMENT = 6, "attachment";
        /// Route to another channel of the conversation.
        ROUTE = 7, "route";
    }
);

closed_enum!(
    /// `role = &( member: 0, admin: 1 )`: a closed set (HRT-WIRE-16).
    Role {
        /// A plain member.
        Member = 0,
        /// An admin.
        Admin = 1,
    }
);

impl Role {
    /// The wire code of `admin` (`role = &( member: 0, admin: 1 )`), for code that keeps a role
    /// as a number (a host's store, a harness building raw commits).
    pub const ADMIN_CODE: u8 = Role::Admin as u8;
    /// The wire code of `member`.
    pub const MEMBER_CODE: u8 = Role::Member as u8;
}

closed_enum!(
    /// `entry-kind = &( create: 0, commit: 1, msg: 2, leave: 3, report: 4 )`.
    EntryKind {
        /// `channel.create`.
        Create = 0,
        /// A commit.
        Commit = 1,
        /// An envelope.
        Msg = 2,
        /// `member.leave`.
        Leave = 3,
        /// `commit.report`.
        Report = 4,
    }
);

/// `host-url = tstr .size (1..256)`.
pub type HostUrl = BoundedText<1, 256>;

wire_array!(
    /// `hpke-sealed = [enc, ct]`: one single-shot HPKE seal (RFC 9180 §6.1).
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct HpkeSealed {
        /// The KEM encapsulation.
        enc: XPublic,
        /// The AEAD ciphertext including its 16-byte tag.
        ct: BoundedBytes<16, 65552>,
    }
);

/// The GREASE values (spec §11): `0x0A0A, 0x1A1A, ..., 0xFAFA`.
pub const GREASE: [u16; 16] = [
    0x0A0A, 0x1A1A, 0x2A2A, 0x3A3A, 0x4A4A, 0x5A5A, 0x6A6A, 0x7A7A, 0x8A8A, 0x9A9A, 0xAAAA, 0xBABA,
    0xCACA, 0xDADA, 0xEAEA, 0xFAFA,
];

/// True for a GREASE value (spec §11).
pub fn is_grease(v: u64) -> bool {
    v <= 0xFAFA && v & 0x0F0F == 0x0A0A && (v >> 12) == ((v >> 4) & 0xF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grease_values() {
        assert_eq!(GREASE[0], 0x0A0A);
        assert_eq!(GREASE[1], 0x1A1A);
        assert_eq!(GREASE[15], 0xFAFA);
        for g in GREASE {
            assert!(is_grease(u64::from(g)));
        }
        assert_eq!((0..=0xFFFFu64).filter(|&v| is_grease(v)).count(), 16);
    }
}
