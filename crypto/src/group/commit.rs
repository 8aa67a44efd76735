//! Creating a commit (spec §6.8) and its outcome (§6.8 step 10, §6.10); processing one
//! (spec §6.9) is `process.rs`.

use hearth_wire::group::{AddedIdentity, Commit, CommitPrivate, CommitTbs, GroupOp, RosterEntry};
use hearth_wire::request::{CommitPostBody, WelcomeFor};
use hearth_wire::{
    encode_with, BoundedBytes, BoundedVec, ConversationId, EdPublic, Embedded, Epoch, ExtMap, Hash,
    Leaf, Role, Seq, SignedBytes, Version, WireDecode, WireEncode,
};

use super::roster::{apply, authorised, well_formed, Member, Origin, Plan};
use super::schedule::{CommitSecret, EpochKeys, InitSecret};
use super::{group_context, welcome, EpochState, Group, Status};
use crate::error::{Misuse, ProtocolError};
use crate::hazmat::label;
use crate::hazmat::labelled::{bstr, h, sign_with_label};
use crate::invite::ConfirmedJoin;
use crate::kem::{seal_to, GroupInitKey, SealError};
use crate::keys::MemberKey;
use crate::ratchet::EpochRatchets;

/// One change a commit makes (spec §6.6). Leaves are leaves of the current epoch.
#[derive(Debug)]
pub enum Change {
    /// Add a joiner whose join request passed §5.8 and whose admission the user confirmed
    /// (an `AddOp` plus its `CommitPrivate` identity and certificate, HRT-INV-45, HRT-INV-65).
    Add {
        /// The confirmed join.
        joiner: Box<ConfirmedJoin>,
        /// The joiner's role.
        role: Role,
    },
    /// Remove the member at a leaf.
    Remove(Leaf),
    /// Replace the committer's own member key by a fresh one (HRT-KEY-5).
    RotateMemberKey,
    /// Set the role of the member at a leaf.
    SetRole(Leaf, Role),
    /// Replace the group extension map.
    SetExtensions(ExtMap),
}

/// What a committer posts with `commit.post` (spec §6.8 step 9).
#[derive(Clone, Debug)]
pub struct CommitOutput {
    /// `commit_bytes = hCBOR(Commit)`.
    pub commit: Vec<u8>,
    /// One `(MK_a, welcome_bytes_a)` per AddOp, in op order (HRT-GRP-56).
    pub welcomes: Vec<(EdPublic, Vec<u8>)>,
    /// The GroupInfo ciphertext all Welcomes share, present iff there are Welcomes
    /// (HRT-GRP-78).
    pub group_info_ct: Option<Vec<u8>>,
}

impl CommitOutput {
    /// `CommitPostBody = {1: commit_bytes, 2: [[MK_a, welcome_bytes_a], ...], ? 3: gi_ct}`.
    pub fn post_body(&self) -> Result<CommitPostBody, ProtocolError> {
        let welcomes = self
            .welcomes
            .iter()
            .map(|(mk, w)| {
                Ok(WelcomeFor {
                    member_key: *mk,
                    welcome: Embedded::new(hearth_wire::group::Welcome::decode(w)?),
                })
            })
            .collect::<Result<Vec<_>, hearth_wire::WireError>>()?;
        Ok(CommitPostBody {
            commit: Embedded::new(Commit::decode(&self.commit)?),
            welcomes: BoundedVec::new(welcomes)?,
            group_info_ct: self
                .group_info_ct
                .as_ref()
                .map(|g| BoundedBytes::new(g.clone()))
                .transpose()?,
        })
    }
}

/// What processing a commit did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommitOutcome {
    /// Epoch `epoch` is installed.
    Installed {
        /// The new epoch.
        epoch: u64,
        /// The committer's leaf in the new epoch.
        committer: Leaf,
        /// The leaves of the added members in the new epoch.
        added: Vec<Leaf>,
        /// The removed leaves of the old epoch.
        removed: Vec<Leaf>,
    },
    /// The commit was the member's own pending commit: installed as if `commit.post` had been
    /// answered `ok` (spec §6.10, HRT-GRP-50).
    OwnCommit {
        /// The new epoch.
        epoch: u64,
    },
    /// The commit removes this member (HRT-GRP-46): every secret is deleted.
    Removed,
}

/// A commit between `commit.post` and its answer (spec §6.1, HRT-GRP-23): the new init key
/// pair, a new member key pair, the computed state of epoch `n+1`.
pub(crate) struct PendingCommit {
    pub(crate) commit_bytes: Vec<u8>,
    pub(crate) next: EpochState,
    pub(crate) me_new: usize,
    pub(crate) new_init: GroupInitKey,
    pub(crate) new_member_key: Option<MemberKey>,
    pub(crate) created_at: u64,
}

/// The ops and private parts of a commit being built.
struct Draft {
    ops: Vec<GroupOp>,
    added: Vec<AddedIdentity>,
    new_member_key: Option<MemberKey>,
    /// The conversation id of the added joins' invitations, named in the GroupInfo
    /// (HRT-GRP-86).
    conversation: Option<ConversationId>,
}

/// `info = hCBOR(["hearth/1 commit-seal", [channel_id, new_epoch, leaf]])` (Table 3.3).
pub(super) fn commit_seal_info(channel_id: &[u8; 16], epoch: u64, leaf: usize) -> Vec<u8> {
    encode_with(|e| {
        e.array(2)
            .text(&label::COMMIT_SEAL.wire())
            .array(3)
            .bytes(channel_id)
            .uint(epoch)
            .uint(leaf as u64);
    })
}

/// `hCBOR([channel_id, n, c])`: the associated data of `CommitPrivate` (HRT-GRP-21).
pub(super) fn private_aad(channel_id: &[u8; 16], epoch: u64, committer: usize) -> Vec<u8> {
    encode_with(|e| {
        e.array(3)
            .bytes(channel_id)
            .uint(epoch)
            .uint(committer as u64);
    })
}

/// `cth[n+1] = H("cth", [cth[n], tbs_bytes])` (HRT-GRP-4).
pub(super) fn next_cth(cth: &[u8], tbs_bytes: &[u8]) -> [u8; 32] {
    h(label::CTH, |e| {
        e.array(2).bytes(cth).bytes(tbs_bytes);
    })
}

/// Per-leaf state of `Roster[n+1]` (spec §6.9 step 9): flags move with their entry,
/// `needs_update` is set for added leaves and cleared for the committer.
pub(super) fn next_flags(
    plan: &Plan,
    needs_update: &[bool],
    left: &[bool],
) -> (Vec<bool>, Vec<bool>) {
    plan.origins
        .iter()
        .enumerate()
        .map(|(j, o)| match *o {
            Origin::Kept(i) => (
                j != plan.committer_new && needs_update.get(i).copied().unwrap_or(false),
                left.get(i).copied().unwrap_or(false),
            ),
            Origin::Added(_) => (true, false),
        })
        .unzip()
}

/// What a commit is built on or processed against (spec §6.8, §6.9): the base epoch, its
/// roster, flags, transcript hash, extensions and salt, and the member's own leaf in that
/// roster. For a recovery commit these are the ones of §6.9.3 (`recover.rs`).
pub(super) struct Base {
    pub(super) epoch: u64,
    pub(super) entries: Vec<RosterEntry>,
    pub(super) needs_update: Vec<bool>,
    pub(super) left: Vec<bool>,
    pub(super) cth: Vec<u8>,
    pub(super) ext: ExtMap,
    pub(super) salt: InitSecret,
    pub(super) me: usize,
}

impl Base {
    /// The member's current epoch.
    pub(super) fn current(state: &EpochState, me: usize) -> Self {
        Self {
            epoch: state.epoch(),
            entries: state.entries(),
            needs_update: state.needs_update.clone(),
            left: state.left.clone(),
            cth: state.gc.cth.as_slice().to_vec(),
            ext: state.gc.ext.clone(),
            salt: state.secrets.init.clone(),
            me,
        }
    }
}

/// What a recovery commit must do besides passing §6.9 (HRT-GRP-94): name `seq`, remove
/// every leaf of `must_remove` (leaves of its base roster), and come from an admin.
pub(super) struct Recovery {
    pub(super) seq: u64,
    pub(super) must_remove: Vec<usize>,
}

impl Group {
    /// Creates a commit on the current epoch (spec §6.8) and holds it as the pending commit.
    ///
    /// Every member that has left is removed by the commit even when `changes` does not say
    /// so (HRT-GRP-82). The commit is checked with the receiver's rules first: one that is not
    /// well-formed or not authorised is refused (HRT-GRP-13, HRT-GRP-14). After posting it, the
    /// caller calls
    /// [`Group::commit_accepted`] on `ok` or [`Group::commit_conflict`] on `epoch_conflict`.
    /// `now` (seconds) becomes `last_commit_time` once accepted.
    pub fn commit(
        &mut self,
        changes: Vec<Change>,
        now: u64,
    ) -> Result<CommitOutput, ProtocolError> {
        let base = Base::current(self.active_state()?, self.me);
        self.commit_inner(changes, now, true, base, None)
    }

    /// DANGER (tests only): a commit without the committer's local §6.7 checks, to test that
    /// receivers reject it.
    #[cfg(test)]
    pub(crate) fn danger_commit_unchecked(
        &mut self,
        changes: Vec<Change>,
    ) -> Result<CommitOutput, ProtocolError> {
        let base = Base::current(self.active_state()?, self.me);
        self.commit_inner(changes, 0, false, base, None)
    }

    pub(super) fn commit_inner(
        &mut self,
        changes: Vec<Change>,
        now: u64,
        check: bool,
        base: Base,
        recover: Option<Seq>,
    ) -> Result<CommitOutput, ProtocolError> {
        if self.pending.is_some() {
            return Err(Misuse::CommitPending.into());
        }
        let mut draft = Draft {
            ops: Vec::new(),
            added: Vec::new(),
            new_member_key: None,
            conversation: None,
        };
        for ch in changes {
            match ch {
                Change::Add { joiner, role } => {
                    let joiner = &joiner.0;
                    if joiner.channel_id != self.params.channel_id
                        || draft.conversation.is_some_and(|c| c != joiner.conversation)
                    {
                        return Err(Misuse::WrongChannel.into());
                    }
                    draft.conversation = Some(joiner.conversation);
                    // The join answers an invitation of this channel, so of its suite
                    // (HRT-WIRE-30).
                    if joiner.init_key.check_suite(self.params.suite).is_err() {
                        return Err(Misuse::WrongChannel.into());
                    }
                    // HRT-INV-45: exactly JoinRequest keys 2 and 3, and 1 and 4.
                    draft.ops.push(GroupOp::Add {
                        member_key: EdPublic(*joiner.member_key.as_bytes()),
                        init_key: joiner.init_key.clone(),
                        role,
                    });
                    draft.added.push(AddedIdentity {
                        identity: EdPublic(*joiner.identity.as_bytes()),
                        cert: hearth_wire::Signature(joiner.cert.to_bytes()),
                    });
                }
                Change::Remove(leaf) => draft.ops.push(GroupOp::Remove { leaf }),
                Change::RotateMemberKey => {
                    if draft.new_member_key.is_some() {
                        return Err(Misuse::IllFormedCommit.into());
                    }
                    // HRT-KEY-5: a fresh member key pair.
                    let mk = MemberKey::generate_with(&mut self.rng);
                    draft.ops.push(GroupOp::Rotate {
                        member_key: EdPublic(*mk.public_key().as_bytes()),
                    });
                    draft.new_member_key = Some(mk);
                }
                Change::SetRole(leaf, role) => draft.ops.push(GroupOp::Role { leaf, role }),
                Change::SetExtensions(ext) => draft.ops.push(GroupOp::Ext(ext)),
            }
        }
        // HRT-GRP-82: every leaf with `left` set is removed, by this commit, whatever the caller
        // asked for (spec §6.7 rule 4); a RemoveOp the caller already gave is not repeated.
        if check {
            for l in super::roster::flagged(&base.left) {
                let named = draft
                    .ops
                    .iter()
                    .any(|o| matches!(o, GroupOp::Remove { leaf } if usize::from(leaf.0) == l));
                if !named {
                    draft.ops.push(GroupOp::Remove {
                        leaf: Leaf(l as u8),
                    });
                }
            }
        }
        let pending = self.build_commit(draft, now, check, &base, recover)?;
        let out = pending.0;
        self.pending = Some(pending.1);
        Ok(out)
    }

    /// Spec §6.8 steps 1 to 8.
    fn build_commit(
        &mut self,
        draft: Draft,
        now: u64,
        check: bool,
        b: &Base,
        recover: Option<Seq>,
    ) -> Result<(CommitOutput, PendingCommit), ProtocolError> {
        let keys = self.keys.as_ref().ok_or(Misuse::Removed)?;
        let cid = self.params.channel_id.0;
        let n = b.epoch;
        let c = b.me;
        let base = &b.entries;
        // Step 1: fresh material (HRT-GRP-16, HRT-GRP-17).
        let commit_secret = CommitSecret::random(&mut self.rng);
        let new_init = GroupInitKey::generate_with(self.params.suite, &mut self.rng)?;
        let new_init_pub = new_init.public();
        let plan = match well_formed(base, c, &draft.ops, &new_init_pub) {
            Ok(p) => p,
            Err(_) if check => return Err(Misuse::IllFormedCommit.into()),
            Err(e) => return Err(e),
        };
        if check {
            authorised(base, c, &draft.ops, &plan, &b.left)
                .map_err(|_| Misuse::UnauthorisedCommit)?;
        }
        let new_cert = draft.new_member_key.as_ref().map(|mk| {
            hearth_wire::Signature(
                self.identity
                    .certify_member(self.params.host_url(), &cid, &mk.public_key())
                    .to_bytes(),
            )
        });
        // Step 2: CommitPrivate under the commit key and nonce (HRT-GRP-20, HRT-GRP-21).
        let private = CommitPrivate {
            added: BoundedVec::new(draft.added.clone())?,
            new_cert,
            ext: None,
        };
        let pk_bytes = zeroize::Zeroizing::new(private.to_vec());
        let (ck, cn) = commit_secret.private_key_nonce(&cid, n)?;
        let private_ct = ck
            .seal(cn.as_bytes(), &private_aad(&cid, n, c), &pk_bytes)
            .map_err(|_| Misuse::PlaintextLength)?;
        drop((ck, cn));
        // Step 3: Roster[n+1] (HRT-GRP-12).
        let new_entries = apply(
            base,
            c,
            &plan,
            &new_init_pub,
            &draft.added,
            new_cert.as_ref(),
        );
        // Step 4: commit_secret sealed to each remaining member in Roster[n+1] order
        // (HRT-GRP-18, HRT-GRP-19).
        let mut sealed = Vec::new();
        for (j, _) in plan.remaining() {
            let pk = new_entries
                .get(j)
                .map(|e| &e.init_key)
                .ok_or(Misuse::IllFormedCommit)?;
            let s = seal_to(
                &mut self.rng,
                pk,
                &commit_seal_info(&cid, n + 1, j),
                commit_secret.0.as_bytes(),
            )
            .map_err(|e| match e {
                SealError::Protocol(e) => e,
                SealError::Crypto => Misuse::NonContributory.into(),
            })?;
            sealed.push(s);
        }
        // Step 5: the signed part, signed with the base epoch's member key (HRT-GRP-22).
        let tbs = CommitTbs {
            version: Version,
            suite: self.params.suite,
            channel_id: self.params.channel_id,
            epoch: Epoch(n),
            committer: Leaf(c as u8),
            ops: BoundedVec::new(draft.ops)?,
            init_key: new_init_pub,
            sealed: BoundedVec::new(sealed)?,
            private_ct: BoundedBytes::new(private_ct)?,
            ext: None,
            recover,
        };
        let tbs_bytes = tbs.to_vec();
        let sig = sign_with_label(
            keys.member_key.signing_key(),
            label::COMMIT,
            bstr(&tbs_bytes),
        );
        // Step 6: the new epoch.
        let cth = next_cth(&b.cth, &tbs_bytes);
        let ext = plan.ext.clone().unwrap_or_else(|| b.ext.clone());
        let (needs_update, left) = next_flags(&plan, &b.needs_update, &b.left);
        let (gc, gc_hash) =
            group_context(&self.params, n + 1, &new_entries, &needs_update, &cth, ext)?;
        let joiner = b.salt.joiner_secret(commit_secret, &gc_hash);
        let EpochKeys {
            app,
            confirm,
            secrets,
        } = joiner.epoch_secret(&gc_hash).derive();
        let tag = confirm.tag(&cth);
        // Step 7.
        let commit = Commit {
            tbs: SignedBytes::from_bytes(tbs_bytes),
            signature: hearth_wire::Signature(sig.to_bytes()),
            confirmation_tag: Hash(*tag.as_bytes()),
        };
        // Step 8: Welcomes, signed with the committer's key in Roster[n+1] (HRT-GRP-52).
        let signer = draft.new_member_key.as_ref().unwrap_or(&keys.member_key);
        let (welcomes, group_info_ct) = if plan.adds.is_empty() {
            (Vec::new(), None)
        } else {
            let w = welcome::create(
                &self.params,
                &gc,
                &new_entries,
                &tag,
                &needs_update,
                plan.committer_new,
                signer,
                &joiner,
                draft.conversation.ok_or(Misuse::WrongChannel)?,
                &plan.adds,
                &mut self.rng,
            )?;
            (w.welcomes, Some(w.group_info_ct))
        };
        drop(joiner);
        let members = new_entries
            .into_iter()
            .map(Member::new)
            .collect::<Result<Vec<_>, _>>()?;
        let next = EpochState {
            ratchets: EpochRatchets::new(app, members.len()),
            members,
            gc,
            gc_hash,
            secrets,
            needs_update,
            left,
        };
        let commit_bytes = commit.to_vec();
        Ok((
            CommitOutput {
                commit: commit_bytes.clone(),
                welcomes,
                group_info_ct,
            },
            PendingCommit {
                commit_bytes,
                next,
                me_new: plan.committer_new,
                new_init,
                new_member_key: draft.new_member_key,
                created_at: now,
            },
        ))
    }

    /// The host answered `commit.post` with `ok` (spec §6.8 step 10): installs epoch `n+1`,
    /// clears the own `needs_update` flag, resets the update counters, and deletes the previous
    /// init private key and, after a RotateOp, the previous member private key (HRT-GRP-24).
    /// The old epoch's secrets are deleted (HRT-RAT-13).
    pub fn commit_accepted(&mut self) -> Result<u64, ProtocolError> {
        // A wedged member's own recovery commit ends its halt (spec §6.9.3).
        if !self.pending_is_recovery() {
            self.active_state()?;
        }
        let p = self.pending.take().ok_or(Misuse::NoPendingCommit)?;
        Ok(self.install_own(p))
    }

    /// The host answered `commit.post` with `ok`, and the log is to be processed up to the
    /// commit's entry before epoch `n+1` is installed (spec §6.8 step 10, HRT-GRP-75). After a
    /// `RotateOp` the host's roster holds only the new member key, so from now on requests are
    /// signed with it, and the previous member private key is deleted (HRT-GRP-24, HRT-GRP-95);
    /// the pending commit stays until [`Group::process_commit`] finds it in the log.
    pub fn commit_acknowledged(&mut self) -> Result<(), ProtocolError> {
        let p = self.pending.as_mut().ok_or(Misuse::NoPendingCommit)?;
        if let (Some(k), Some(mk)) = (self.keys.as_mut(), p.new_member_key.take()) {
            k.member_key = mk;
        }
        Ok(())
    }

    pub(super) fn install_own(&mut self, p: PendingCommit) -> u64 {
        let epoch = p.next.epoch();
        self.status = Status::Active;
        self.state = Some(p.next);
        self.me = p.me_new;
        if let Some(k) = self.keys.as_mut() {
            k.init_key = p.new_init;
            if let Some(mk) = p.new_member_key {
                k.member_key = mk;
            }
        }
        self.sent_since_commit = 0;
        self.last_commit_time = p.created_at;
        epoch
    }

    /// The host answered `commit.post` with `epoch_conflict` (spec §6.10): discards the
    /// pending commit, its `commit_secret`, new init and member key pairs, computed secrets and
    /// Welcomes (HRT-GRP-48); none of them is ever used again (HRT-GRP-49).
    pub fn commit_conflict(&mut self) -> Result<(), ProtocolError> {
        self.pending.take().ok_or(Misuse::NoPendingCommit)?;
        Ok(())
    }
}
