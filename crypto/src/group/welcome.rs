//! Creating Welcomes (spec §6.11) and processing one (spec §6.12, with the invitation's
//! fingerprint check of §5.9).

use hearth_wire::group::{Commit, GroupContext, GroupInfo, RosterEntry, SignedGroupInfo, Welcome};
use hearth_wire::{
    encode_with, BoundedVec, ConversationId, EdPublic, Epoch, FprPrefix, Hash, KemPublic, Leaf,
    Role, SignedBytes, Version, WireDecode, WireEncode,
};
use subtle::ConstantTimeEq;

use super::roster::{roster_hash, Member};
use super::schedule::{EpochKeys, JoinerSecret};
use super::{gc_hash, ChannelParams, EpochState, Group, OwnKeys, Status};
use crate::error::{Misuse, ProtocolError};
use crate::hazmat::ed25519::{verify_batch_with, BatchItem, Signature};
use crate::hazmat::label;
use crate::hazmat::labelled::{bstr, h, sign_with_label, signing_input, verify_with_label, MacTag};
use crate::kem::{check_init_key, seal_to, GroupInitKey, SealError};
use crate::keys::{IdentityKey, MemberCert, MemberKey};
use crate::ratchet::EpochRatchets;
use crate::rng::HearthRng;
use crate::secret::Secret32;

/// `info = hCBOR(["hearth/1 welcome-seal", [channel_id, epoch]])` (Table 3.3).
fn welcome_seal_info(channel_id: &[u8; 16], epoch: u64) -> Vec<u8> {
    encode_with(|e| {
        e.array(2)
            .text(&label::WELCOME_SEAL.wire())
            .array(2)
            .bytes(channel_id)
            .uint(epoch);
    })
}

/// `aad = hCBOR([channel_id, epoch])` of the GroupInfo ciphertext (HRT-GRP-53).
fn group_info_aad(channel_id: &[u8; 16], epoch: u64) -> Vec<u8> {
    encode_with(|e| {
        e.array(2).bytes(channel_id).uint(epoch);
    })
}

/// The Welcomes of one commit and the GroupInfo ciphertext they share (spec §6.11).
pub(crate) struct Welcomes {
    /// `gi_ct`, sent once as `CommitPostBody` key 3 (HRT-GRP-78).
    pub(crate) group_info_ct: Vec<u8>,
    /// One `(MK_a, welcome_bytes_a)` per AddOp, in op order (HRT-GRP-56).
    pub(crate) welcomes: Vec<(EdPublic, Vec<u8>)>,
}

/// ```text
/// GroupInfo  = {1: GroupContext[n+1], 2: Roster[n+1], 3: confirmation_tag[n+1], 4: c',
///               6: conversation, 7: nu[n+1]}
/// sgi_bytes  = hCBOR([gi_bytes, SignWithLabel(MK_sk', "group-info", gi_bytes)])
/// gi_ct      = AES-256-GCM-Seal(wk, wn, hCBOR([channel_id, n+1]), sgi_bytes)
/// for each AddOp: Welcome_a = {1: 1, 2: suite, 3: channel_id, 4: n+1,
///                              5: SealBase(init_a, welcome-seal info, h'', joiner_secret)}
/// ```
/// Spec §6.11 (HRT-GRP-52, HRT-GRP-53, HRT-GRP-55, HRT-GRP-56, HRT-GRP-77, HRT-GRP-78,
/// HRT-GRP-86): one
/// `gi_ct`, encrypted once and sent once for all Welcomes of the commit.
#[allow(clippy::too_many_arguments, reason = "the inputs of spec §6.11")]
pub(crate) fn create(
    params: &ChannelParams,
    gc: &GroupContext,
    roster: &[RosterEntry],
    tag: &MacTag,
    needs_update: &[bool],
    signer_leaf: usize,
    signer: &MemberKey,
    joiner: &JoinerSecret,
    conversation: ConversationId,
    adds: &[(EdPublic, KemPublic, Role)],
    rng: &mut HearthRng,
) -> Result<Welcomes, ProtocolError> {
    let cid = params.channel_id().0;
    let epoch = gc.epoch.0;
    let gi = GroupInfo {
        group_context: gc.clone(),
        roster: BoundedVec::new(roster.to_vec())?,
        confirmation_tag: Hash(*tag.as_bytes()),
        signer: Leaf(signer_leaf as u8),
        ext: None,
        conversation,
        needs_update: BoundedVec::new(
            super::roster::flagged(needs_update)
                .into_iter()
                .map(|l| Leaf(l as u8))
                .collect(),
        )?,
    };
    let gi_bytes = gi.to_vec();
    let sig = sign_with_label(signer.signing_key(), label::GROUP_INFO, bstr(&gi_bytes));
    let sgi = SignedGroupInfo {
        group_info: SignedBytes::from_bytes(gi_bytes),
        signature: hearth_wire::Signature(sig.to_bytes()),
    };
    let (wk, wn) = joiner.welcome_secret().into_key_nonce()?;
    let gi_ct = wk
        .seal(wn.as_bytes(), &group_info_aad(&cid, epoch), &sgi.to_vec())
        .map_err(|_| Misuse::PlaintextLength)?;
    drop((wk, wn));
    let info = welcome_seal_info(&cid, epoch);
    let welcomes = adds
        .iter()
        .map(|(mk, init, _)| {
            let joiner_secret =
                seal_to(rng, init, &info, joiner.0.as_bytes()).map_err(|e| match e {
                    SealError::Protocol(e) => e,
                    // §5.8.1: an all-zero X25519 result rejects the join with decrypt_failed.
                    SealError::Crypto => ProtocolError::DecryptFailed,
                })?;
            let w = Welcome {
                version: Version,
                suite: params.suite,
                channel_id: params.channel_id,
                epoch: Epoch(epoch),
                joiner_secret,
                ext: None,
            };
            Ok((*mk, w.to_vec()))
        })
        .collect::<Result<Vec<_>, ProtocolError>>()?;
    Ok(Welcomes {
        group_info_ct: gi_ct,
        welcomes,
    })
}

/// A joiner whose `invite.redeem` succeeded and who waits for its Welcome (spec §5.6, §5.9).
/// Holds the invitation's `host_url`, `channel_id`, `inviter-fpr` (HRT-INV-47) and
/// `conversation` (HRT-INV-71), the short authentication string of its join and whether the
/// user confirmed it (HRT-INV-67), and the joiner's identity, member and init key pairs; the
/// invitation secret, `psk` and `invite_auth` key are not kept (HRT-INV-31). Dropping it
/// deletes the member and init key pairs, which is how a join is abandoned after a mismatch
/// (HRT-INV-68).
pub struct PendingMember {
    pub(crate) params: ChannelParams,
    pub(crate) inviter_fpr: FprPrefix,
    pub(crate) conversation: ConversationId,
    pub(crate) sas: crate::invite::Sas,
    pub(crate) sas_confirmed: bool,
    pub(crate) identity: IdentityKey,
    pub(crate) member_key: MemberKey,
    pub(crate) init_key: GroupInitKey,
    pub(crate) rng: HearthRng,
}

impl core::fmt::Debug for PendingMember {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PendingMember")
            .field("channel_id", self.params.channel_id())
            .field("member_key", &self.member_key.public_key())
            .finish_non_exhaustive()
    }
}

/// A Welcome that was rejected: the code, and the pending member back, so that another
/// Welcome can be tried.
pub struct WelcomeRejected {
    /// Why (spec §6.12).
    pub error: ProtocolError,
    /// The unchanged pending member.
    pub pending: PendingMember,
}

impl core::fmt::Debug for WelcomeRejected {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "WelcomeRejected({:?})", self.error)
    }
}

impl PendingMember {
    /// The channel parameters from the invitation.
    pub fn params(&self) -> &ChannelParams {
        &self.params
    }

    /// The joiner's member key (it signs `welcome.fetch`).
    pub fn member_key(&self) -> &MemberKey {
        &self.member_key
    }

    /// The invitation's conversation id (HRT-INV-71).
    pub fn conversation(&self) -> ConversationId {
        self.conversation
    }

    /// The short authentication string of this join (spec §5.8.1), to show once the redeem was
    /// answered `ok` (HRT-INV-58).
    pub fn sas(&self) -> crate::invite::Sas {
        self.sas
    }

    /// Whether the user has confirmed the short authentication string.
    pub fn sas_confirmed(&self) -> bool {
        self.sas_confirmed
    }

    /// The user compared the codes and confirmed that they match (HRT-INV-67); only then is a
    /// Welcome accepted. A joiner of a route invitation (spec §10.2), which has no
    /// comparison, calls it right after the redeem. On a mismatch drop the pending member
    /// instead (HRT-INV-68).
    pub fn confirm_sas(&mut self) {
        self.sas_confirmed = true;
    }

    /// Processes a Welcome (spec §6.12, HRT-GRP-57) and returns the joined [`Group`].
    /// `group_info_ct` is the GroupInfo ciphertext served with it (`WelcomeFetchResult`
    /// key 3, HRT-GRP-80). Refused with [`Misuse::SasNotConfirmed`], leaving everything as
    /// it was, before [`PendingMember::confirm_sas`] (HRT-INV-67).
    ///
    /// `anchor_commit` is the commit at the joiner's log anchor (the `seq` that
    /// `welcome.fetch` names): its confirmation tag must equal the GroupInfo's and its AddOps
    /// must name the last leaves (`welcome_mismatch` otherwise). The `needs_update` flags come
    /// from GroupInfo key 7, under the roster hash (§6.12 step 11, HRT-GRP-87).
    /// `now` (seconds) is the start of the update timer.
    pub fn accept_welcome(
        self,
        welcome: &[u8],
        group_info_ct: &[u8],
        anchor_commit: Option<&[u8]>,
        now: u64,
    ) -> Result<Group, Box<WelcomeRejected>> {
        let checked = if self.sas_confirmed {
            self.check(welcome, group_info_ct, anchor_commit)
        } else {
            Err(Misuse::SasNotConfirmed.into())
        };
        match checked {
            Ok(accepted) => Ok(self.install(accepted, now)),
            Err(error) => Err(Box::new(WelcomeRejected {
                error,
                pending: self,
            })),
        }
    }

    fn check(
        &self,
        bytes: &[u8],
        gi_ct: &[u8],
        anchor: Option<&[u8]>,
    ) -> Result<Accepted, ProtocolError> {
        let cid = self.params.channel_id().0;
        // Step 1a, 1b (HRT-GRP-58, HRT-GRP-59).
        let w = Welcome::decode(bytes)?;
        // Step 1c (HRT-GRP-60): the invitation's suite, which is the channel's, so this also
        // is the suite check of step 1d (HRT-GRP-79).
        let suite = self.params.suite;
        if w.suite != suite {
            return Err(ProtocolError::UnsupportedSuite);
        }
        w.check_suite(suite)?; // HRT-WIRE-30
        hearth_wire::check_group_info_ct(gi_ct.len(), suite)?; // HRT-WIRE-31
                                                               // Step 1d (HRT-GRP-61): the invitation's channel id.
        if w.channel_id != *self.params.channel_id() {
            return Err(ProtocolError::WelcomeMismatch);
        }
        let e = w.epoch.0;
        // Step 2 (HRT-GRP-62): joiner_secret under the own init key.
        let pt = self
            .init_key
            .open(&w.joiner_secret, &welcome_seal_info(&cid, e))?;
        let joiner = Secret32::from_slice(&pt)
            .map(JoinerSecret)
            .ok_or(ProtocolError::DecryptFailed)?;
        drop(pt);
        // Step 3 (HRT-GRP-80): the GroupInfo ciphertext served with the Welcome.
        let (wk, wn) = joiner.welcome_secret().into_key_nonce()?;
        let sgi_bytes = wk
            .open(wn.as_bytes(), &group_info_aad(&cid, e), gi_ct)
            .map_err(|_| ProtocolError::DecryptFailed)?;
        drop((wk, wn));
        // Step 4a, 4b (HRT-GRP-64, HRT-GRP-65).
        let sgi = SignedGroupInfo::decode(&sgi_bytes)?;
        let gi_u = sgi.unverified_group_info()?;
        let gi_ref = gi_u.as_unverified();
        // Step 4c (HRT-GRP-66).
        if gi_ref.group_context.suite != suite {
            return Err(ProtocolError::UnsupportedSuite);
        }
        gi_ref.check_suite(suite)?; // HRT-WIRE-30
                                    // Step 5 (HRT-GRP-46 of §5.9 = HRT-INV-46, HRT-KEY-15): the signer is the inviter.
        let s = usize::from(gi_ref.signer.0);
        let signer = gi_ref
            .roster
            .as_slice()
            .get(s)
            .ok_or(ProtocolError::WrongInviter)?;
        let fpr = h(label::FPR, bstr(&signer.identity.0));
        let prefix = fpr.get(..16).ok_or(ProtocolError::WrongInviter)?;
        if !bool::from(prefix.ct_eq(&self.inviter_fpr.0)) {
            return Err(ProtocolError::WrongInviter);
        }
        // Step 6 (HRT-GRP-67): the signer's certificate, for the invitation's host and channel.
        let host = self.params.host_url();
        let signer_ik = crate::keys::IdentityPublicKey::from_bytes(&signer.identity.0)
            .map_err(|_| ProtocolError::BadMemberCert)?;
        let signer_mk = crate::keys::MemberPublicKey::from_bytes(&signer.member_key.0)
            .map_err(|_| ProtocolError::BadMemberCert)?;
        signer_ik
            .verify_member_cert(
                host,
                &cid,
                &signer_mk,
                &MemberCert::from_bytes(&signer.cert.0),
            )
            .map_err(|_| ProtocolError::BadMemberCert)?;
        // Step 7 (HRT-GRP-68): over the exact received gi_bytes.
        verify_with_label(
            signer_mk.verifying_key(),
            label::GROUP_INFO,
            bstr(sgi.group_info.as_bytes()),
            &Signature::from_bytes(&sgi.signature.0),
        )
        .map_err(|_| ProtocolError::BadSignature)?;
        let gi = gi_u.danger_assume_verified();
        // Step 8 (HRT-GRP-69).
        let gch = gc_hash(&gi.group_context);
        let keys = joiner.epoch_secret(&gch).derive();
        drop(joiner);
        let EpochKeys {
            app,
            confirm,
            secrets,
        } = keys;
        confirm.verify(gi.group_context.cth.as_slice(), &gi.confirmation_tag.0)?;
        // Step 9 (HRT-GRP-70): consistency.
        let gc = &gi.group_context;
        let entries = gi.roster.as_slice();
        let mismatch = ProtocolError::WelcomeMismatch;
        if gc.channel_id != w.channel_id || gc.epoch != w.epoch || gc.suite != w.suite {
            return Err(mismatch);
        }
        if e < 1 || gc.cth.as_slice().len() != 32 {
            return Err(mismatch);
        }
        // GroupInfo key 7: strictly ascending leaves of the roster (HRT-GRP-87), covered by
        // the roster hash (HRT-GRP-84).
        let nu = gi.needs_update.as_slice();
        if nu.windows(2).any(|p| p.first() >= p.get(1))
            || nu.iter().any(|l| usize::from(l.0) >= entries.len())
        {
            return Err(mismatch);
        }
        let needs_update: Vec<bool> = (0..entries.len())
            .map(|l| nu.iter().any(|x| usize::from(x.0) == l))
            .collect();
        if gc.roster_hash.0 != roster_hash(entries.iter(), &needs_update) {
            return Err(mismatch);
        }
        let mut mks: Vec<[u8; 32]> = entries.iter().map(|x| x.member_key.0).collect();
        mks.sort_unstable();
        if mks.windows(2).any(|p| p.first() == p.get(1)) {
            return Err(mismatch);
        }
        if !entries.iter().any(|x| x.role == Role::Admin) {
            return Err(mismatch);
        }
        let my_mk = EdPublic(*self.member_key.public_key().as_bytes());
        let me = entries
            .iter()
            .position(|x| x.member_key == my_mk)
            .ok_or(mismatch)?;
        let mine = entries.get(me).ok_or(mismatch)?;
        if !self.init_key.matches(&mine.init_key)
            || mine.identity.0 != *self.identity.public_key().as_bytes()
            || !needs_update.get(me).copied().unwrap_or(false)
        {
            return Err(mismatch);
        }
        // HRT-GRP-81, HRT-INV-71: the conversation the inviter signed is the invitation's.
        if gi.conversation != self.conversation {
            return Err(mismatch);
        }
        // The anchor commit: its tag is this epoch's, and its AddOps name the last leaves.
        if let Some(bytes) = anchor {
            let c = Commit::decode(bytes)?;
            if c.confirmation_tag != gi.confirmation_tag {
                return Err(mismatch);
            }
            let tbs = c.unverified_tbs()?;
            let adds = tbs
                .as_unverified()
                .ops
                .as_slice()
                .iter()
                .filter(|o| o.tag() == 0)
                .count();
            if adds == 0 || adds > entries.len() || me + adds < entries.len() {
                return Err(mismatch);
            }
        }
        // HRT-CRYPTO-55: every X-Wing init key of the roster passes FIPS 203 §7.2 when read.
        for x in entries {
            if matches!(x.init_key, KemPublic::XWing(_)) {
                check_init_key(&x.init_key)?;
            }
        }
        // Step 10a (HRT-GRP-2, HRT-KEY-24): every key is a valid Ed25519 key.
        let members = entries
            .iter()
            .cloned()
            .map(Member::new)
            .collect::<Result<Vec<_>, _>>()?;
        // Step 10b (HRT-GRP-71): every certificate, verified as one batch (HRT-CRYPTO-22).
        let msgs: Vec<Vec<u8>> = members
            .iter()
            .map(|m| {
                signing_input(label::MEMBER_CERT, |e| {
                    e.array(3).text(host).bytes(&cid).bytes(m.mk.as_bytes());
                })
            })
            .collect();
        let sigs: Vec<Signature> = members
            .iter()
            .map(|m| Signature::from_bytes(&m.entry.cert.0))
            .collect();
        let items: Vec<BatchItem<'_>> = members
            .iter()
            .zip(&msgs)
            .zip(&sigs)
            .map(|((m, msg), sig)| BatchItem {
                key: m.ik.verifying_key(),
                msg,
                sig,
            })
            .collect();
        verify_batch_with(&items, &mut HearthRng::os())
            .map_err(|_| ProtocolError::BadMemberCert)?;
        // Step 11 is `install`.
        let n = members.len();
        let gc = gi.group_context.clone();
        Ok(Accepted {
            state: EpochState {
                ratchets: EpochRatchets::new(app, n),
                members,
                gc,
                gc_hash: gch,
                secrets,
                needs_update,
                left: vec![false; n],
            },
            me,
        })
    }

    /// Step 11: install the epoch; `joiner_secret`, `welcome_secret`, `epoch_secret`,
    /// `confirm_key`, `app_secret`, `wk` and `wn` are already deleted. The init private key is
    /// kept: it is the own init key in the roster until the first own commit.
    fn install(self, a: Accepted, now: u64) -> Group {
        Group {
            params: self.params,
            identity: self.identity,
            keys: Some(OwnKeys {
                member_key: self.member_key,
                init_key: self.init_key,
            }),
            me: a.me,
            state: Some(a.state),
            status: Status::Active,
            sent_since_commit: 0,
            last_commit_time: now,
            pending: None,
            rng: self.rng,
        }
    }
}

struct Accepted {
    state: EpochState,
    me: usize,
}
