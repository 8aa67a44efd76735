//! The comparison of short authentication strings in the reference client (spec §5.8.1): what
//! the front ends read of it. The flow is the conversation layer's (`hearth::conversation`,
//! through [`Client::answer_sas`] and [`crate::client::Comparison`]).

use hearth::conversation::sas::Waiting;

use crate::client::Client;

impl Client {
    /// The comparisons waiting for the user's answer, in the order their codes became ready
    /// (spec §5.8.1): joins this client opened as inviter, and joins it redeemed as joiner.
    pub fn comparisons(&self) -> &[Waiting] {
        self.sas.waiting()
    }

    /// The invite ids of a conversation's open invitations (the shim's `compare` mode).
    pub(crate) fn open_invites(&self, handle: &[u8; 16]) -> Vec<[u8; 16]> {
        self.conversations
            .iter()
            .filter(|c| &c.handle == handle)
            .flat_map(|c| c.routes.iter())
            .flat_map(|r| r.invites.iter())
            .map(|o| o.invitation.invite_id().0)
            .collect()
    }
}
