//! Processing a commit (spec §6.9): steps 1 to 3 (`Group::commit_head`) and 4 to 9
//! (`Group::commit_tail`) against a `Base`, for ordinary commits and, with the checks of
//! HRT-GRP-94, for recovery commits (`recover.rs`).

use hearth_wire::group::{Commit, CommitPrivate, CommitTbs};
use hearth_wire::{Leaf, Role, Seq, WireDecode};

use super::commit::{
    commit_seal_info, next_cth, next_flags, private_aad, Base, CommitOutcome, Recovery,
};
use super::roster::{apply, authorised, well_formed, Member, Origin};
use super::schedule::{CommitSecret, EpochKeys};
use super::{group_context, EpochState, Group, Status};
use crate::error::{Misuse, ProtocolError};
use crate::hazmat::ed25519::Signature;
use crate::hazmat::label;
use crate::hazmat::labelled::{bstr, verify_with_label};
use crate::keys::{MemberCert, MemberPublicKey};
use crate::ratchet::EpochRatchets;

/// A commit that passed steps 1 to 3 of §6.9.
pub(super) struct Head {
    commit: Commit,
    pub(super) tbs: CommitTbs,
    pub(super) committer: usize,
    member: Member,
}

impl Head {
    /// The exact received `tbs_bytes`.
    pub(super) fn tbs_bytes(&self) -> &[u8] {
        self.commit.tbs.as_bytes()
    }
}

impl Group {
    /// Processes a `commit` log entry (spec §6.9) with every check in the order of the table
    /// (HRT-GRP-25). On any failure nothing changes (HRT-GRP-41) except that the group halts:
    /// it refuses every later call (HRT-GRP-89); the caller reports the code with
    /// `commit.report` ([`ProtocolError::code`], HRT-GRP-88). A recovery commit (`CommitTBS`
    /// key 11) is refused with [`Misuse::RecoveryCommit`], without halting: it is processed
    /// with [`Group::process_recovery`], which needs the commit it names.
    pub fn process_commit(&mut self, commit_bytes: &[u8]) -> Result<CommitOutcome, ProtocolError> {
        self.active_state()?;
        if super::recover::is_recovery(commit_bytes) {
            return Err(Misuse::RecoveryCommit.into());
        }
        // The own pending commit, found in the log (spec §6.8 step 10, §6.10).
        if self
            .pending
            .as_ref()
            .is_some_and(|p| p.commit_bytes == commit_bytes)
        {
            if let Some(p) = self.pending.take() {
                return Ok(CommitOutcome::OwnCommit {
                    epoch: self.install_own(p),
                });
            }
        }
        let base = Base::current(self.active_state()?, self.me);
        let checked = self
            .commit_head(&base, commit_bytes)
            .and_then(|head| self.commit_tail(base, head, None));
        self.take_checked(checked)
    }

    /// Applies the result of the §6.9 checks: removal, installation or halt.
    pub(super) fn take_checked(
        &mut self,
        checked: Result<Checked, ProtocolError>,
    ) -> Result<CommitOutcome, ProtocolError> {
        match checked {
            Ok(Checked::Removed) => {
                self.become_removed();
                Ok(CommitOutcome::Removed)
            }
            Ok(Checked::Install(next, me_new, outcome)) => {
                // A winning commit of another member: the own pending commit lost (HRT-GRP-48).
                self.pending = None;
                self.state = Some(*next);
                self.me = me_new;
                self.status = Status::Active;
                Ok(outcome)
            }
            Err(e) => {
                if !matches!(e, ProtocolError::Misuse(_)) && self.status == Status::Active {
                    self.status = Status::Halted(e.code());
                }
                Err(e)
            }
        }
    }

    /// Steps 1 to 3 of §6.9 against `base`; changes nothing.
    pub(super) fn commit_head(&self, base: &Base, bytes: &[u8]) -> Result<Head, ProtocolError> {
        // Step 1a (HRT-GRP-26): Commit and CommitTBS decode strictly; 1b (HRT-GRP-27) is the
        // decoder's version check.
        let commit = Commit::decode(bytes)?;
        let tbs_u = commit.unverified_tbs()?;
        let tbs_ref = tbs_u.as_unverified();
        // Step 1c (HRT-GRP-28).
        if tbs_ref.suite != self.params.suite {
            return Err(ProtocolError::UnsupportedSuite);
        }
        // The KEM values' sizes for the channel's suite (HRT-WIRE-30).
        tbs_ref.check_suite(self.params.suite)?;
        // Step 1d (HRT-GRP-29).
        if tbs_ref.channel_id != self.params.channel_id {
            return Err(ProtocolError::InvalidValue);
        }
        // Step 2 (HRT-GRP-30).
        if tbs_ref.epoch.0 != base.epoch {
            return Err(ProtocolError::WrongEpoch);
        }
        // Step 3a (HRT-GRP-31).
        let c = usize::from(tbs_ref.committer.0);
        let entry = base.entries.get(c).ok_or(ProtocolError::UnknownSender)?;
        let member = Member::new(entry.clone())?;
        // Step 3b (HRT-GRP-32): over the exact received tbs_bytes.
        verify_with_label(
            member.mk.verifying_key(),
            label::COMMIT,
            bstr(commit.tbs.as_bytes()),
            &Signature::from_bytes(&commit.signature.0),
        )
        .map_err(|_| ProtocolError::BadSignature)?;
        let tbs = tbs_u.danger_assume_verified();
        Ok(Head {
            commit,
            tbs,
            committer: c,
            member,
        })
    }

    /// Steps 4 to 9 of §6.9 against `base`, with the checks of HRT-GRP-94 for a recovery
    /// commit; changes nothing.
    pub(super) fn commit_tail(
        &self,
        base: Base,
        head: Head,
        recovery: Option<Recovery>,
    ) -> Result<Checked, ProtocolError> {
        let keys = self.keys.as_ref().ok_or(Misuse::Removed)?;
        let cid = self.params.channel_id.0;
        let n = base.epoch;
        let me = base.me;
        let Head {
            commit,
            tbs,
            committer: c,
            member: committer,
        } = head;
        let tbs_bytes = commit.tbs.as_bytes();
        let ops = tbs.ops.as_slice();
        // Step 4a (HRT-GRP-33).
        let plan = well_formed(&base.entries, c, ops, &tbs.init_key)?;
        // Step 4b (HRT-GRP-34).
        authorised(&base.entries, c, ops, &plan, &base.left)?;
        // HRT-GRP-94: a recovery commit names the latest commit, removes its committer and
        // every leaf it added, and comes from an admin of its base roster; key 11 appears
        // on nothing else.
        match (&recovery, tbs.recover) {
            (None, None) => {}
            (Some(r), Some(Seq(s)))
                if s == r.seq
                    && committer.entry.role == Role::Admin
                    && r.must_remove
                        .iter()
                        .all(|l| plan.removed.binary_search(l).is_ok()) => {}
            _ => return Err(ProtocolError::Forbidden),
        }
        // §6.9.2: removal is recognised only after steps 1 to 4 (HRT-GRP-46, HRT-GRP-47).
        if plan.removed.binary_search(&me).is_ok() {
            return Ok(Checked::Removed);
        }
        // Step 5 (HRT-GRP-35).
        let remaining: Vec<(usize, usize)> = plan.remaining().collect();
        if tbs.sealed.len() != remaining.len() {
            return Err(ProtocolError::BadSealedSecrets);
        }
        // Step 6 (HRT-GRP-36): the own sealed value, at position p in Roster[n+1] order.
        let p = remaining
            .iter()
            .position(|(_, i)| *i == me)
            .ok_or(ProtocolError::DecryptFailed)?;
        let (j_me, _) = remaining
            .get(p)
            .copied()
            .ok_or(ProtocolError::DecryptFailed)?;
        let own = tbs
            .sealed
            .as_slice()
            .get(p)
            .ok_or(ProtocolError::DecryptFailed)?;
        let pt = keys
            .init_key
            .open(own, &commit_seal_info(&cid, n + 1, j_me))?;
        let commit_secret = crate::secret::Secret32::from_slice(&pt)
            .map(CommitSecret)
            .ok_or(ProtocolError::DecryptFailed)?;
        drop(pt);
        // Step 7a (HRT-GRP-37).
        let (ck, cn) = commit_secret.private_key_nonce(&cid, n)?;
        let private_pt = ck
            .open(
                cn.as_bytes(),
                &private_aad(&cid, n, c),
                tbs.private_ct.as_slice(),
            )
            .map_err(|_| ProtocolError::DecryptFailed)?;
        drop((ck, cn));
        // Step 7b (HRT-GRP-38).
        let private = CommitPrivate::decode(&private_pt)?;
        if private.added.len() != plan.add_count()
            || private.new_cert.is_some() != plan.rotate.is_some()
        {
            return Err(ProtocolError::InvalidValue);
        }
        // Step 7c (HRT-GRP-2, HRT-KEY-24): added and rotated keys are valid Ed25519 keys.
        let mut added_members = Vec::with_capacity(plan.adds.len());
        for ((mk, _, _), id) in plan.adds.iter().zip(private.added.as_slice()) {
            let mk = MemberPublicKey::from_bytes(&mk.0).map_err(|_| ProtocolError::BadSignature)?;
            let ik = crate::keys::IdentityPublicKey::from_bytes(&id.identity.0)
                .map_err(|_| ProtocolError::BadSignature)?;
            added_members.push((mk, ik, MemberCert::from_bytes(&id.cert.0)));
        }
        let rotated = match plan.rotate {
            Some(k) => {
                Some(MemberPublicKey::from_bytes(&k.0).map_err(|_| ProtocolError::BadSignature)?)
            }
            None => None,
        };
        // Step 7d (HRT-GRP-39, HRT-KEY-8, HRT-KEY-9): certificates for this host and channel.
        let host = self.params.host_url();
        for (mk, ik, cert) in &added_members {
            ik.verify_member_cert(host, &cid, mk, cert)
                .map_err(|_| ProtocolError::BadMemberCert)?;
        }
        if let (Some(mk), Some(cert)) = (rotated, private.new_cert) {
            committer
                .ik
                .verify_member_cert(host, &cid, &mk, &MemberCert::from_bytes(&cert.0))
                .map_err(|_| ProtocolError::BadMemberCert)?;
        }
        // Step 8 (HRT-GRP-40): Roster[n+1], cth[n+1], GroupContext[n+1], the key schedule and
        // the confirmation tag compared in constant time.
        let new_entries = apply(
            &base.entries,
            c,
            &plan,
            &tbs.init_key,
            private.added.as_slice(),
            private.new_cert.as_ref(),
        );
        let cth = next_cth(&base.cth, tbs_bytes);
        let ext = plan.ext.clone().unwrap_or(base.ext);
        let (needs_update, left) = next_flags(&plan, &base.needs_update, &base.left);
        let (gc, gc_hash) =
            group_context(&self.params, n + 1, &new_entries, &needs_update, &cth, ext)?;
        let joiner = base.salt.joiner_secret(commit_secret, &gc_hash);
        let EpochKeys {
            app,
            confirm,
            secrets,
        } = joiner.epoch_secret(&gc_hash).derive();
        drop(joiner);
        confirm.verify(&cth, &commit.confirmation_tag.0)?;
        // Step 9: install (built here, swapped in by the caller).
        let members = new_entries
            .into_iter()
            .map(Member::new)
            .collect::<Result<Vec<_>, _>>()?;
        let added: Vec<Leaf> = plan
            .origins
            .iter()
            .enumerate()
            .filter(|(_, o)| matches!(o, Origin::Added(_)))
            .map(|(j, _)| Leaf(j as u8))
            .collect();
        let outcome = CommitOutcome::Installed {
            epoch: n + 1,
            committer: Leaf(plan.committer_new as u8),
            added,
            removed: plan.removed.iter().map(|l| Leaf(*l as u8)).collect(),
        };
        let next = EpochState {
            ratchets: EpochRatchets::new(app, members.len()),
            members,
            gc,
            gc_hash,
            secrets,
            needs_update,
            left,
        };
        Ok(Checked::Install(Box::new(next), j_me, outcome))
    }
}

pub(super) enum Checked {
    Removed,
    Install(Box<EpochState>, usize, CommitOutcome),
}
