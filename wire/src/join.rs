//! The join request (spec §5): what an invitee seals to the inviter when redeeming.

use crate::codec::{BoundedText, SignedBytes, Unverified};
use crate::error::WireError;
use crate::ext::ExtMap;
use crate::kem::KemPublic;
use crate::types::{EdPublic, Signature, Suite};

wire_map!(
    /// `JoinRequest`: the joiner's keys, member certificate and proposed name.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct JoinRequest {
        /// The joiner's identity key IK.
        req 1 => identity: EdPublic,
        /// The joiner's member key MK for this channel.
        req 2 => member_key: EdPublic,
        /// The joiner's initial init key.
        req 3 => init_key: KemPublic,
        /// `member_cert` (spec §4).
        req 4 => member_cert: Signature,
        /// Display name proposed by the joiner.
        req 5 => name: BoundedText<0, 64>,
        /// Extensions.
        opt 6 => ext: ExtMap,
    }
);

wire_array!(
    /// `SignedJoinRequest = [bstr .cbor JoinRequest, ed-sig]`, signed by the joiner's IK
    /// with label "join" over `[channel_id, invite_id, jr_bytes]`.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct SignedJoinRequest {
        /// The exact signed bytes of the join request.
        join_request: SignedBytes<JoinRequest>,
        /// The IK signature.
        signature: Signature,
    }
);

impl JoinRequest {
    /// Checks the init key's size against the suite of the invitation this request answers
    /// (HRT-WIRE-30): the join request itself names no suite.
    pub fn check_suite(&self, suite: Suite) -> Result<(), WireError> {
        self.init_key.check_suite(suite)
    }
}

impl SignedJoinRequest {
    /// Decodes the join request; it stays unverified until the IK signature is checked.
    pub fn unverified_join_request(&self) -> Result<Unverified<JoinRequest>, WireError> {
        self.join_request.unverified()
    }
}
