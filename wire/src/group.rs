//! Group state and commits (spec §6): roster, GroupContext, commit ops, CommitTBS, Commit,
//! CommitPrivate, GroupInfo, SignedGroupInfo and Welcome.

use crate::codec::{
    BoundedBytes, BoundedVec, EmptyOrHash, SignedBytes, Unverified, Version, WireDecode, WireEncode,
};
use crate::decode::Decoder;
use crate::encode::Encoder;
use crate::error::WireError;
use crate::ext::ExtMap;
use crate::kem::{KemPublic, KemSealed};
use crate::types::{
    ChannelId, ConversationId, EdPublic, Epoch, Hash, Leaf, Role, Seq, Signature, Suite,
};

/// `group-info-ct = bstr .size (16..393216)`: the AEAD ciphertext of `SignedGroupInfo` under the
/// welcome key, one per commit, shared by its Welcomes (spec §6.11, HRT-GRP-78, HRT-GRP-80).
/// The decoder accepts the largest bound of any suite; the bound of the channel's suite
/// (131,072 bytes in suite 1) is [`crate::check_group_info_ct`], once the suite is known
/// (HRT-WIRE-31).
pub type GroupInfoCt = BoundedBytes<16, 393216>;

wire_array!(
    /// `RosterEntry = [member-key, init-key, role, identity, cert]`.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct RosterEntry {
        /// The member key MK.
        member_key: EdPublic,
        /// The member's current init key.
        init_key: KemPublic,
        /// The member's role.
        role: Role,
        /// The member's identity key IK.
        identity: EdPublic,
        /// `member_cert`.
        cert: Signature,
    }
);

/// `Roster = [1*256 RosterEntry]`.
pub type Roster = BoundedVec<RosterEntry, 1, 256>;

wire_array!(
    /// `GroupContext = [version, suite, channel-id, epoch, roster-hash, cth, ext]`.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct GroupContext {
        /// Protocol version (1).
        version: Version,
        /// The channel's suite.
        suite: Suite,
        /// The channel.
        channel_id: ChannelId,
        /// The epoch.
        epoch: Epoch,
        /// `H("roster", Roster)`.
        roster_hash: Hash,
        /// The confirmed transcript hash (empty in epoch 0): `empty / hash`.
        cth: EmptyOrHash,
        /// Group extensions (`{}` when none).
        ext: ExtMap,
    }
);

/// `Op = AddOp / RemoveOp / RotateOp / RoleOp / ExtOp`: one change a commit makes.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum GroupOp {
    /// `AddOp = [0, member-key, init-key, role]`.
    Add {
        /// The added member's MK.
        member_key: EdPublic,
        /// The added member's init key.
        init_key: KemPublic,
        /// The added member's role.
        role: Role,
    },
    /// `RemoveOp = [1, leaf]`.
    Remove {
        /// The removed member.
        leaf: Leaf,
    },
    /// `RotateOp = [2, member-key]`: the committer's new member key.
    Rotate {
        /// The new MK.
        member_key: EdPublic,
    },
    /// `RoleOp = [3, leaf, role]`.
    Role {
        /// The member whose role changes.
        leaf: Leaf,
        /// The new role.
        role: Role,
    },
    /// `ExtOp = [4, ext]`: replaces the group extensions.
    Ext(ExtMap),
}

impl GroupOp {
    /// The op's tag (the first array element).
    pub fn tag(&self) -> u64 {
        match self {
            GroupOp::Add { .. } => 0,
            GroupOp::Remove { .. } => 1,
            GroupOp::Rotate { .. } => 2,
            GroupOp::Role { .. } => 3,
            GroupOp::Ext(_) => 4,
        }
    }
}

impl WireEncode for GroupOp {
    fn encode(&self, e: &mut Encoder) {
        match self {
            GroupOp::Add {
                member_key,
                init_key,
                role,
            } => {
                e.array(4).uint(0);
                member_key.encode(e);
                init_key.encode(e);
                role.encode(e);
            }
            GroupOp::Remove { leaf } => {
                e.array(2).uint(1);
                leaf.encode(e);
            }
            GroupOp::Rotate { member_key } => {
                e.array(2).uint(2);
                member_key.encode(e);
            }
            GroupOp::Role { leaf, role } => {
                e.array(3).uint(3);
                leaf.encode(e);
                role.encode(e);
            }
            GroupOp::Ext(ext) => {
                e.array(2).uint(4);
                ext.encode(e);
            }
        }
    }
}

impl WireDecode for GroupOp {
    fn decode_from(d: &mut Decoder<'_>) -> Result<Self, WireError> {
        let n = d.array_head()?;
        if n == 0 {
            return Err(WireError::MissingKey);
        }
        let tag = d.uint()?;
        let want: u64 = match tag {
            0 => 4,
            1 | 2 | 4 => 2,
            3 => 3,
            _ => return Err(WireError::InvalidValue),
        };
        if n < want {
            return Err(WireError::MissingKey);
        }
        if n > want {
            return Err(WireError::ExtraElements);
        }
        Ok(match tag {
            0 => GroupOp::Add {
                member_key: EdPublic::decode_from(d)?,
                init_key: KemPublic::decode_from(d)?,
                role: Role::decode_from(d)?,
            },
            1 => GroupOp::Remove {
                leaf: Leaf::decode_from(d)?,
            },
            2 => GroupOp::Rotate {
                member_key: EdPublic::decode_from(d)?,
            },
            3 => GroupOp::Role {
                leaf: Leaf::decode_from(d)?,
                role: Role::decode_from(d)?,
            },
            _ => GroupOp::Ext(ExtMap::decode_from(d)?),
        })
    }
}

wire_map!(
    /// `CommitTBS`: the signed part of a commit.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct CommitTbs {
        /// Protocol version (1).
        req 1 => version: Version,
        /// The channel's suite.
        req 2 => suite: Suite,
        /// The channel.
        req 3 => channel_id: ChannelId,
        /// The base epoch (the epoch this commit is made in).
        req 4 => epoch: Epoch,
        /// The committer's leaf in the base epoch's roster.
        req 5 => committer: Leaf,
        /// The ops (empty: a plain update).
        req 6 => ops: BoundedVec<GroupOp, 0, 256>,
        /// The committer's new init key.
        req 7 => init_key: KemPublic,
        /// `commit_secret` sealed to each remaining member, in roster order.
        req 8 => sealed: BoundedVec<KemSealed, 0, 255>,
        /// AEAD ciphertext of `CommitPrivate`.
        req 9 => private_ct: BoundedBytes<16, 131072>,
        /// Extensions.
        opt 10 => ext: ExtMap,
        /// A recovery commit: the `seq` of the reported commit it recovers from (spec §6.9.3).
        opt 11 => recover: Seq,
    }
);

wire_array!(
    /// `Commit = [bstr .cbor CommitTBS, ed-sig, tag]`.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct Commit {
        /// The exact signed bytes of the CommitTBS.
        tbs: SignedBytes<CommitTbs>,
        /// `SignWithLabel(MK_committer, "commit", tbs_bytes)`.
        signature: Signature,
        /// The confirmation tag of the new epoch.
        confirmation_tag: Hash,
    }
);

impl Commit {
    /// Decodes the CommitTBS; read only its committer leaf before the signature is checked.
    pub fn unverified_tbs(&self) -> Result<Unverified<CommitTbs>, WireError> {
        self.tbs.unverified()
    }

    /// The TBS decoded for a host, which relays the commit and does not judge its `crit`
    /// (HRT-EXT-17); still [`Unverified`] until the signature is checked.
    pub fn unverified_tbs_relayed(&self) -> Result<Unverified<CommitTbs>, WireError> {
        self.tbs.unverified_relayed()
    }
}

wire_array!(
    /// `[identity, cert]`: one added member's identity in `CommitPrivate`.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct AddedIdentity {
        /// The added member's IK.
        identity: EdPublic,
        /// The added member's `member_cert`.
        cert: Signature,
    }
);

wire_map!(
    /// `CommitPrivate`: the encrypted part of a commit.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct CommitPrivate {
        /// One entry per AddOp, in op order.
        req 1 => added: BoundedVec<AddedIdentity, 0, 256>,
        /// The committer's new `member_cert`, iff a RotateOp is present.
        opt 2 => new_cert: Signature,
        /// Extensions.
        opt 3 => ext: ExtMap,
    }
);

wire_map!(
    /// `GroupInfo`: what a joiner needs to enter an epoch.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct GroupInfo {
        /// The epoch's GroupContext.
        req 1 => group_context: GroupContext,
        /// The epoch's roster.
        req 2 => roster: Roster,
        /// The epoch's confirmation tag.
        req 3 => confirmation_tag: Hash,
        /// The signer (the committer of this epoch).
        req 4 => signer: Leaf,
        /// Extensions.
        opt 5 => ext: ExtMap,
        /// The channel's conversation id (spec §6.11, HRT-GRP-86, HRT-GRP-81).
        req 6 => conversation: ConversationId,
        /// The leaves whose `needs_update` flag is set, strictly ascending (spec §6.2, §6.12
        /// step 9; checked by the joiner, not by the decoder: HRT-GRP-87).
        req 7 => needs_update: BoundedVec<Leaf, 0, 256>,
    }
);

wire_array!(
    /// `SignedGroupInfo = [bstr .cbor GroupInfo, ed-sig]`.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct SignedGroupInfo {
        /// The exact signed bytes of the GroupInfo.
        group_info: SignedBytes<GroupInfo>,
        /// `SignWithLabel(MK_signer, "group-info", gi_bytes)`.
        signature: Signature,
    }
);

impl SignedGroupInfo {
    /// Decodes the GroupInfo; read only its signer leaf before the signature is checked.
    pub fn unverified_group_info(&self) -> Result<Unverified<GroupInfo>, WireError> {
        self.group_info.unverified()
    }
}

wire_map!(
    /// `Welcome`: lets an added member enter the new epoch.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct Welcome {
        /// Protocol version (1).
        req 1 => version: Version,
        /// The channel's suite.
        req 2 => suite: Suite,
        /// The channel.
        req 3 => channel_id: ChannelId,
        /// The epoch the joiner enters.
        req 4 => epoch: Epoch,
        /// `joiner_secret` sealed to the joiner's init key.
        req 5 => joiner_secret: KemSealed,
        // Key 6 is not used: it held the GroupInfo ciphertext in 1.0-draft, which now travels
        // once per commit ([`GroupInfoCt`], spec §6.11).
        /// Extensions.
        opt 7 => ext: ExtMap,
    }
);

// The suite checks of HRT-WIRE-30: run by a receiver once it has checked that the structure
// names the channel's suite, with that suite.

impl RosterEntry {
    /// Checks the init key's size against `suite` (HRT-WIRE-30).
    pub fn check_suite(&self, suite: Suite) -> Result<(), WireError> {
        self.init_key.check_suite(suite)
    }
}

impl GroupOp {
    /// Checks an AddOp's init key against `suite` (HRT-WIRE-30); other ops hold no KEM value.
    pub fn check_suite(&self, suite: Suite) -> Result<(), WireError> {
        match self {
            GroupOp::Add { init_key, .. } => init_key.check_suite(suite),
            _ => Ok(()),
        }
    }
}

impl CommitTbs {
    /// Checks every KEM value (key 7, each AddOp and each seal of key 8) against `suite`
    /// (HRT-WIRE-30), in encoding order.
    pub fn check_suite(&self, suite: Suite) -> Result<(), WireError> {
        for op in self.ops.as_slice() {
            op.check_suite(suite)?;
        }
        self.init_key.check_suite(suite)?;
        self.sealed
            .as_slice()
            .iter()
            .try_for_each(|s| s.check_suite(suite))
    }
}

impl GroupInfo {
    /// Checks every roster entry's init key against `suite` (HRT-WIRE-30).
    pub fn check_suite(&self, suite: Suite) -> Result<(), WireError> {
        self.roster
            .as_slice()
            .iter()
            .try_for_each(|r| r.check_suite(suite))
    }
}

impl Welcome {
    /// Checks the sealed joiner secret's encapsulation against `suite` (HRT-WIRE-30).
    pub fn check_suite(&self, suite: Suite) -> Result<(), WireError> {
        self.joiner_secret.check_suite(suite)
    }
}
