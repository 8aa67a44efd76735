//! A member's entry points into invitations (spec §5): the inviter creates one from its group
//! (§5.5), and a joiner builds its join from the invitation text into a [`PendingMember`]
//! (§5.3.2, §5.6). The invitation crypto itself is [`crate::invite`].

use hearth_wire::{ConversationId, FprPrefix, HostUrl};

use super::{ChannelParams, Group, PendingMember};
use crate::error::ProtocolError;
use crate::invite::{build_join, InvitationDraft, Joining, Redeem};
use crate::keys::IdentityKey;
use crate::rng::HearthRng;

impl Group {
    /// Builds an invitation to this channel (spec §5.5 steps 1 to 3): a fresh secret
    /// (HRT-INV-1) and per-invite X25519 key (HRT-INV-2, HRT-KEY-20), the derived values, and
    /// `inviter-fpr` from the own identity key (HRT-INV-3). `expires` is in seconds.
    pub fn create_invitation(
        &mut self,
        conversation: ConversationId,
        expires: u64,
    ) -> Result<InvitationDraft, ProtocolError> {
        self.active_state()?;
        let fpr = FprPrefix(self.fingerprint().prefix());
        let host_url = HostUrl::new(self.params.host_url())?;
        let channel_id = self.params.channel_id;
        Ok(InvitationDraft::new(
            &mut self.rng,
            host_url,
            channel_id,
            self.params.suite,
            fpr,
            conversation,
            expires,
        ))
    }
}

impl PendingMember {
    /// Parses an invitation and builds the join (spec §5.3.2, §5.6): the joiner's pending state
    /// and its redeem body. `now` is the local clock in seconds (HRT-INV-13); `name` the
    /// proposed display name (0 to 64 bytes).
    pub fn join(
        uri: &str,
        identity: IdentityKey,
        name: &str,
        now: u64,
    ) -> Result<(PendingMember, Redeem), ProtocolError> {
        Self::join_with_rng(uri, identity, name, now, HearthRng::os())
    }

    /// DANGER: [`PendingMember::join`] with an injected generator, for reproducible vectors.
    #[cfg(any(test, feature = "danger-deterministic"))]
    #[doc(hidden)]
    pub fn danger_join_with_rng(
        uri: &str,
        identity: IdentityKey,
        name: &str,
        now: u64,
        rng: HearthRng,
    ) -> Result<(PendingMember, Redeem), ProtocolError> {
        Self::join_with_rng(uri, identity, name, now, rng)
    }

    fn join_with_rng(
        uri: &str,
        identity: IdentityKey,
        name: &str,
        now: u64,
        rng: HearthRng,
    ) -> Result<(PendingMember, Redeem), ProtocolError> {
        let (j, redeem) = build_join(uri, identity, name, now, rng)?;
        let Joining {
            host_url,
            channel_id,
            inviter_fpr,
            conversation,
            sas,
            identity,
            member_key,
            suite,
            init_key,
            rng,
        } = j;
        let pending = PendingMember {
            params: ChannelParams::with_suite(host_url, channel_id, suite)?,
            inviter_fpr,
            conversation,
            sas,
            sas_confirmed: false,
            identity,
            member_key,
            init_key,
            rng,
        };
        Ok((pending, redeem))
    }
}
