//! Recovery commits (spec §6.9.3): an admin that is not the committer of a reported commit `B`
//! posts, on the host's epoch `n+1`, a commit that names `B` by its `seq` (`CommitTBS` key 11),
//! removes `B`'s committer and every leaf `B` added, and takes the salt `0x00 * 32`. Its base
//! roster is `B`'s clear-text ops applied to `Roster[n]`, which a member that rejected `B`
//! computes from `B` itself and a member that accepted `B` already holds; both end in the same
//! epoch `n+2` (HRT-GRP-94).
//!
//! A member that rejected `B` holds epoch `n` and is halted ([`super::Status::Halted`]); it
//! re-checks steps 1 to 4 of §6.9 on `B` before it trusts `B`'s clear-text ops. The leaves
//! that `B` added appear in its base roster with placeholders for the identities and
//! certificates that only `B`'s `CommitPrivate` holds; the recovery commit removes them, so
//! they never reach a roster of an installed epoch.

use hearth_wire::group::{AddedIdentity, Commit, GroupOp};
use hearth_wire::{Seq, Signature};

use super::commit::{next_cth, next_flags, Base, CommitOutcome, CommitOutput, Recovery};
use super::roster::{apply, authorised, well_formed, Origin};
use super::schedule::InitSecret;
use super::{Group, Status};
use crate::error::{Misuse, ProtocolError};

/// Whether commit bytes carry `CommitTBS` key 11 (a recovery commit, spec §6.9.3). Bytes that
/// do not decode are not a recovery commit; §6.9 step 1 rejects them.
pub(super) fn is_recovery(commit_bytes: &[u8]) -> bool {
    use hearth_wire::WireDecode;
    Commit::decode(commit_bytes)
        .ok()
        .and_then(|c| c.unverified_tbs().ok())
        .is_some_and(|t| t.as_unverified().recover.is_some())
}

impl Group {
    /// Builds a recovery commit (spec §6.9.3, HRT-GRP-93) naming `named`, the latest commit
    /// of the log, at `named_seq`, and holds it as the pending commit. It removes `named`'s
    /// committer, every leaf `named` added and every member that has left; leaves are those of
    /// the recovery commit's base roster. The member must be an admin of that roster and not
    /// `named`'s committer ([`Misuse::UnauthorisedCommit`] otherwise). Works for a member
    /// that accepted `named` (epoch `n+1`) and for one that rejected it (halted at epoch `n`);
    /// after posting, [`Group::commit_accepted`] or [`Group::commit_conflict`] as for any
    /// commit.
    pub fn recovery_commit(
        &mut self,
        named_seq: u64,
        named: &[u8],
        now: u64,
    ) -> Result<CommitOutput, ProtocolError> {
        let (base, must_remove) = self.recovery_base(named)?;
        let changes = must_remove
            .into_iter()
            .map(|l| super::Change::Remove(hearth_wire::Leaf(l as u8)))
            .collect();
        self.commit_inner(changes, now, true, base, Some(Seq(named_seq)))
    }

    /// Processes a recovery commit (spec §6.9.3, HRT-GRP-94) found in the log after `named`,
    /// the latest commit before it, at `named_seq`: the checks of §6.9 against the base roster,
    /// salt and transcript of §6.9.3, with `forbidden` for a recovery commit that does not name
    /// `named_seq`, does not remove `named`'s committer and every leaf it added, or whose
    /// committer is not an admin of its base roster. A member that rejected `named` and is
    /// halted installs epoch `n+2` and follows the channel again; one that accepted `named`
    /// installs the same epoch. On any other failure the member halts as for any commit
    /// (HRT-GRP-89); a halted member stays halted.
    pub fn process_recovery(
        &mut self,
        named_seq: u64,
        named: &[u8],
        commit_bytes: &[u8],
    ) -> Result<CommitOutcome, ProtocolError> {
        if self.status == Status::Removed {
            return Err(Misuse::Removed.into());
        }
        // The own pending recovery commit, found in the log (spec §6.8 step 10).
        if self
            .pending
            .as_ref()
            .is_some_and(|p| p.commit_bytes == commit_bytes)
        {
            return self
                .commit_accepted()
                .map(|epoch| CommitOutcome::OwnCommit { epoch });
        }
        let checked = self.recovery_base(named).and_then(|(base, must_remove)| {
            let head = self.commit_head(&base, commit_bytes)?;
            let r = Recovery {
                seq: named_seq,
                must_remove,
            };
            self.commit_tail(base, head, Some(r))
        });
        self.take_checked(checked)
    }

    /// Checks a `report` log entry (spec §6.13): the `SignedRequest` of a `commit.report` of
    /// this channel, signed by a member of the current roster (for a member that rejected a
    /// commit, the roster of the epoch it holds). Returns the reporter's leaf and the reported
    /// `seq` and code; a member that has verified a report naming the commit of its current
    /// epoch holds its messages (HRT-GRP-92) and, as an admin, recovers (HRT-GRP-93).
    pub fn verify_report(
        &self,
        signed_request: &[u8],
    ) -> Result<(hearth_wire::Leaf, u64, hearth_wire::ErrorCode), ProtocolError> {
        let (leaf, req) = self.member_request(signed_request, hearth_wire::Op::COMMIT_REPORT)?;
        match req.body()? {
            hearth_wire::request::RequestBody::CommitReport(b) => {
                Ok((hearth_wire::Leaf(leaf as u8), b.seq.0, b.reason))
            }
            _ => Err(ProtocolError::InvalidValue),
        }
    }

    /// Whether the pending commit is a recovery commit (which a halted member may post).
    pub(super) fn pending_is_recovery(&self) -> bool {
        self.pending
            .as_ref()
            .is_some_and(|p| is_recovery(&p.commit_bytes))
    }

    /// The base of a recovery commit naming `named` (spec §6.9.3) and the leaves of that base
    /// it must remove: `named`'s committer and the leaves `named` added, ascending.
    fn recovery_base(&self, named: &[u8]) -> Result<(Base, Vec<usize>), ProtocolError> {
        let state = self.state.as_ref().ok_or(Misuse::Removed)?;
        match self.status {
            Status::Removed => Err(Misuse::Removed.into()),
            Status::Active => self.base_after_accepted(Base::current(state, self.me), named),
            Status::Halted(_) => self.base_after_rejected(Base::current(state, self.me), named),
        }
    }

    /// A member that rejected `named` at steps 5 to 8: its current epoch `n` is `named`'s base.
    /// `named` must pass steps 1 to 4 again; its clear-text ops give the base roster.
    fn base_after_rejected(
        &self,
        cur: Base,
        named: &[u8],
    ) -> Result<(Base, Vec<usize>), ProtocolError> {
        let head = self.commit_head(&cur, named)?;
        let c = head.committer;
        let tbs = &head.tbs;
        let ops = tbs.ops.as_slice();
        let plan = well_formed(&cur.entries, c, ops, &tbs.init_key)?;
        authorised(&cur.entries, c, ops, &plan, &cur.left)?;
        // Placeholders for what only `named`'s CommitPrivate holds: the identity and
        // certificate of each added leaf and the rotated key's certificate. The recovery
        // commit removes every entry that carries one.
        let placeholders: Vec<AddedIdentity> = plan
            .adds
            .iter()
            .map(|(mk, _, _)| AddedIdentity {
                identity: *mk,
                cert: Signature([0; 64]),
            })
            .collect();
        let no_cert = Signature([0; 64]);
        let rotated_cert = plan.rotate.map(|_| &no_cert);
        let entries = apply(
            &cur.entries,
            c,
            &plan,
            &tbs.init_key,
            &placeholders,
            rotated_cert,
        );
        let me = plan
            .origins
            .iter()
            .position(|o| *o == Origin::Kept(cur.me))
            .ok_or(Misuse::Removed)?;
        let (needs_update, left) = next_flags(&plan, &cur.needs_update, &cur.left);
        let mut must_remove: Vec<usize> = plan
            .origins
            .iter()
            .enumerate()
            .filter(|(j, o)| *j == plan.committer_new || matches!(o, Origin::Added(_)))
            .map(|(j, _)| j)
            .collect();
        must_remove.sort_unstable();
        let base = Base {
            epoch: cur.epoch + 1,
            entries,
            needs_update,
            left,
            cth: next_cth(&cur.cth, head.tbs_bytes()).to_vec(),
            ext: plan.ext.clone().unwrap_or(cur.ext),
            salt: InitSecret::recovery(),
            me,
        };
        Ok((base, must_remove))
    }

    /// A member that accepted `named`: its current epoch is `named`'s result. Only
    /// `named`'s clear-text ops are read, to find its committer's and added leaves, and each
    /// is compared with the installed roster (the caller passes the latest commit of its
    /// verified log, which is the one it installed).
    fn base_after_accepted(
        &self,
        cur: Base,
        named: &[u8],
    ) -> Result<(Base, Vec<usize>), ProtocolError> {
        use hearth_wire::WireDecode;
        let bad = ProtocolError::Forbidden;
        let commit = Commit::decode(named)?;
        // Not verified: the signing key of `named`'s base epoch is gone (HRT-RAT-13). The
        // values read are checked against the roster installed from `named` below.
        let tbs = commit.unverified_tbs()?.danger_assume_verified();
        if tbs.epoch.0.checked_add(1) != Some(cur.epoch) {
            return Err(bad);
        }
        let mut removed: Vec<usize> = Vec::new();
        let mut adds = Vec::new();
        let mut rotate = None;
        for op in tbs.ops.as_slice() {
            match op {
                GroupOp::Remove { leaf } => removed.push(usize::from(leaf.0)),
                GroupOp::Add {
                    member_key,
                    init_key,
                    role,
                } => adds.push((*member_key, init_key.clone(), *role)),
                GroupOp::Rotate { member_key } => rotate = Some(*member_key),
                GroupOp::Role { .. } | GroupOp::Ext(_) => {}
            }
        }
        let c = usize::from(tbs.committer.0);
        let c_new = c.saturating_sub(removed.iter().filter(|l| **l < c).count());
        let first_added = cur.entries.len().checked_sub(adds.len()).ok_or(bad)?;
        let committer = cur.entries.get(c_new).ok_or(bad)?;
        if c_new >= first_added
            || committer.init_key != tbs.init_key
            || rotate.is_some_and(|k| committer.member_key != k)
        {
            return Err(bad);
        }
        for (k, (mk, ik, role)) in adds.iter().enumerate() {
            let e = cur.entries.get(first_added + k).ok_or(bad)?;
            if e.member_key != *mk || e.init_key.as_slice() != ik.as_slice() || e.role != *role {
                return Err(bad);
            }
        }
        let mut must_remove: Vec<usize> = (first_added..cur.entries.len()).collect();
        must_remove.push(c_new);
        must_remove.sort_unstable();
        let base = Base {
            salt: InitSecret::recovery(),
            ..cur
        };
        Ok((base, must_remove))
    }
}
