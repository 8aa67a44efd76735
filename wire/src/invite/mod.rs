//! Invitations (spec §5): the `Invite` carried by a QR code or link, and its text form.

pub mod base64url;
pub mod uri;

use crate::codec::Version;
use crate::types::{ChannelId, ConversationId, FprPrefix, InviteSecret, Secs, XPublic};

pub use uri::InviteUri;

wire_array!(
    /// `Invite = [version, channel-id, secret, inviter-key, inviter-fpr, expires,
    /// conversation]`.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct Invite {
        /// Protocol version (1).
        version: Version,
        /// The channel to join.
        channel_id: ChannelId,
        /// The one-time invite secret.
        secret: InviteSecret,
        /// The inviter's per-invite HPKE key.
        inviter_key: XPublic,
        /// The first 16 bytes of the inviter's fingerprint.
        inviter_fpr: FprPrefix,
        /// Expiry, seconds since the Unix epoch.
        expires: Secs,
        /// The conversation id (spec §10).
        conversation: ConversationId,
    }
);
