//! Invitations (spec §5): the `Invite` carried by a QR code or link, and its text form.

pub mod base64url;
pub mod uri;

use crate::codec::Version;
use crate::types::{
    ChannelId, ConversationId, FprPrefix, HostUrl, InviteSecret, Secs, Suite, XPublic,
};

pub use uri::InviteUri;

wire_array!(
    /// `Invite = [version, suite, host-url, channel-id, conversation, inviter-fpr, inviter-key,
    /// secret, expires]` (spec §5.2).
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct Invite {
        /// Protocol version (1).
        version: Version,
        /// The channel's suite (HRT-INV-51, HRT-INV-56).
        suite: Suite,
        /// The channel's canonical host URL (HRT-INV-51, HRT-INV-55).
        host_url: HostUrl,
        /// The channel to join.
        channel_id: ChannelId,
        /// The conversation id (spec §10), authenticated by the GroupInfo (HRT-INV-71).
        conversation: ConversationId,
        /// The first 16 bytes of the inviter's fingerprint.
        inviter_fpr: FprPrefix,
        /// The inviter's per-invite HPKE key.
        inviter_key: XPublic,
        /// The one-time invite secret.
        secret: InviteSecret,
        /// Expiry, seconds since the Unix epoch.
        expires: Secs,
    }
);
