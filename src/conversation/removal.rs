//! A member's part in a wedged channel's recovery (spec §6.9.1 to §6.9.3), as sans-IO
//! decisions over verified log entries.
//!
//! A member keeps, per channel, the latest commit entry of its log and whether a verified
//! `report` entry names it ([`Recovery`]). From these:
//!
//! - a member that rejected a commit processes only `report` entries and a recovery commit
//!   naming that commit (HRT-GRP-89), and follows the channel again once the recovery commit
//!   is installed;
//! - a member that has verified a report naming the commit of its current epoch holds its
//!   application messages (HRT-GRP-92, [`Recovery::holds_messages`]);
//! - an admin that rejected the commit, or verified a report naming it, posts a recovery
//!   commit (HRT-GRP-93, [`Recovery::due`], built by `Group::recovery_commit`);
//! - a member that accepted the commit processes the recovery commit too (HRT-GRP-94).
//!
//! It also records the members whom commits removed without their having left, so that an
//! admin carries each removal to the conversation's other routes (HRT-ROUTE-28,
//! [`carry_removals`]), and judges a `removed` answer (HRT-GRP-90, HRT-GRP-91,
//! [`judge_removed`]); a member removed on one route sends on none (HRT-ROUTE-29,
//! [`may_send`]).
//!
//! [`Recovery::process`] replaces [`channel::process`] for a front end that keeps a
//! [`Recovery`] per channel; it hands every other entry to [`channel::process`] unchanged.

use hearth_crypto::group::{Change, Group};
use hearth_crypto::keys::Fingerprint;
use hearth_crypto::{CommitOutcome, Status};
use hearth_wire::log::LogEntry;
use hearth_wire::EntryKind;

use super::channel::{self, Received};
use super::log::{LogState, Senders};

/// What a member remembers of its log for recovery (spec §6.9.3).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recovery {
    /// The latest commit entry of the verified log: `seq` and bytes.
    latest: Option<(u64, Vec<u8>)>,
    /// A verified `report` entry names the latest commit.
    reported: bool,
    /// Members whom a processed commit removed although they had not left (HRT-ROUTE-28).
    removed: Vec<Fingerprint>,
}

impl Recovery {
    /// Nothing seen yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The latest commit entry processed: `seq` and bytes.
    pub fn latest_commit(&self) -> Option<(u64, &[u8])> {
        self.latest.as_ref().map(|(s, b)| (*s, b.as_slice()))
    }

    /// The members whom commits processed on this route removed without their having left
    /// (HRT-ROUTE-28), oldest first.
    pub fn removed_members(&self) -> &[Fingerprint] {
        &self.removed
    }

    /// Whether a verified report names the commit of the member's current epoch: the member
    /// sends no application message in this epoch (HRT-GRP-92).
    pub fn holds_messages(&self) -> bool {
        self.reported && !crate::conversation::mutant::on("send-when-reported")
    }

    /// The commit a recovery commit of this member names (`seq`, bytes), when one is due
    /// (HRT-GRP-93): the member rejected the latest commit, or verified a report naming it,
    /// and has no commit pending. Whether it may post one (an admin of the base roster, not
    /// the named commit's committer) is `Group::recovery_commit`'s check.
    pub fn due(&self, group: &Group) -> Option<(u64, &[u8])> {
        let wedged = matches!(group.status(), Status::Halted(_));
        if !(wedged || self.reported)
            || group.has_pending_commit()
            || crate::conversation::mutant::on("no-recovery-commit")
        {
            return None;
        }
        self.latest_commit()
    }

    /// Processes verified entries in `seq` order (spec §9.5 step 6), as [`channel::process`]
    /// does, and besides: records the latest commit and the reports naming it, processes a
    /// recovery commit with `Group::process_recovery` (HRT-GRP-94), and, once the member has
    /// rejected a commit, processes only report entries and a recovery commit (HRT-GRP-89),
    /// each other entry coming to [`Received::Nothing`]. A removal or a detection ends the
    /// processing, as in [`channel::process`]; a rejected commit does not.
    pub fn process(
        &mut self,
        group: &mut Group,
        log: &LogState,
        senders: &mut Senders,
        entries: &[LogEntry],
    ) -> Vec<(u64, Received)> {
        let mut out = Vec::with_capacity(entries.len());
        let mut rest = entries;
        while !rest.is_empty() {
            match group.status() {
                Status::Removed => break,
                Status::Halted(_) => {
                    let Some((e, after)) = rest.split_first() else {
                        break;
                    };
                    rest = after;
                    let r = match e.kind {
                        EntryKind::Report => {
                            self.note_report(group, e);
                            Received::Nothing
                        }
                        EntryKind::Commit if is_recovery(&e.bytes) => self.recover(group, e),
                        _ => Received::Nothing,
                    };
                    out.push((e.seq.0, r));
                }
                Status::Active => {
                    // A run up to and including the next commit or report entry.
                    let n = rest
                        .iter()
                        .position(|e| matches!(e.kind, EntryKind::Commit | EntryKind::Report))
                        .map_or(rest.len(), |i| i + 1);
                    let (run, after) = rest.split_at(n);
                    rest = after;
                    let (body, last) = match run.split_last() {
                        Some((l, b)) if l.kind == EntryKind::Commit && is_recovery(&l.bytes) => {
                            (b, Some(l))
                        }
                        _ => (run, None),
                    };
                    let before = group.members();
                    let r = channel::process(group, log, senders, body);
                    self.note_removed(&before, group);
                    let complete = r.len() == body.len();
                    let ends = r.last().is_some_and(|(_, x)| {
                        matches!(x, Received::Removed | Received::Detected(_))
                    });
                    out.extend(r);
                    if ends || !complete {
                        break;
                    }
                    if let Some(l) = last {
                        let r = self.recover(group, l);
                        out.push((l.seq.0, r));
                    } else if let Some(l) = body.last() {
                        match l.kind {
                            EntryKind::Commit => {
                                self.latest = Some((l.seq.0, l.bytes.clone()));
                                self.reported = false;
                            }
                            EntryKind::Report => self.note_report(group, l),
                            _ => {}
                        }
                    }
                }
            }
        }
        out
    }

    /// Records the members of `before` that are gone from `group`'s roster without having
    /// left (HRT-ROUTE-28).
    fn note_removed(&mut self, before: &[hearth_crypto::group::MemberView], group: &Group) {
        if group.status() != Status::Active {
            return;
        }
        let after = group.members();
        for m in before {
            let gone = !after.iter().any(|a| a.fingerprint == m.fingerprint);
            if gone && !m.left && !self.removed.contains(&m.fingerprint) {
                self.removed.push(m.fingerprint);
            }
        }
    }

    /// A verified report entry naming the latest commit sets the hold (HRT-GRP-92); one that
    /// fails the checks of §6.13 is ignored.
    fn note_report(&mut self, group: &Group, e: &LogEntry) {
        if let (Ok((_, seq, _)), Some((latest, _))) = (group.verify_report(&e.bytes), &self.latest)
        {
            if seq == *latest {
                self.reported = true;
            }
        }
    }

    /// A recovery commit entry (spec §6.9.3, HRT-GRP-94), named against the latest commit.
    fn recover(&mut self, group: &mut Group, e: &LogEntry) -> Received {
        let wedged = matches!(group.status(), Status::Halted(_));
        let r = match &self.latest {
            Some((seq, named)) => group.process_recovery(*seq, named, &e.bytes),
            None => Err(hearth_crypto::ProtocolError::Forbidden),
        };
        // It is the latest commit of the log now, whatever became of it.
        self.latest = Some((e.seq.0, e.bytes.clone()));
        self.reported = false;
        match r {
            Ok(CommitOutcome::Removed) => Received::Removed,
            Ok(o) => channel::installed(group, &o, e),
            // A wedged member stays wedged and has reported already.
            Err(err) if wedged => Received::Rejected(err.code()),
            Err(err) => Received::RejectedCommit(err.code()),
        }
    }
}

/// Whether commit bytes carry `CommitTBS` key 11: a recovery commit (spec §6.9.3).
pub fn is_recovery(commit_bytes: &[u8]) -> bool {
    use hearth_wire::WireDecode;
    hearth_wire::group::Commit::decode(commit_bytes)
        .ok()
        .and_then(|c| c.unverified_tbs().ok())
        .is_some_and(|t| t.as_unverified().recover.is_some())
}

/// What a `removed` answer (status 21) comes to once the member has fetched and processed the
/// route's log up to the served tip (HRT-GRP-90): removed only if that processing reached a
/// commit that removes it; otherwise the answer is not borne out, the route is treated as
/// unreachable and nothing is deleted (HRT-GRP-91).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemovedAnswer {
    /// The log holds the commit that removed this member: the channel is over for it.
    Removed,
    /// The log does not bear the answer out: the route is unreachable; warn naming the host.
    NotBorneOut,
}

/// Judges a `removed` answer after the log was processed (HRT-GRP-90, HRT-GRP-91).
pub fn judge_removed(group: &Group) -> RemovedAnswer {
    if group.status() == Status::Removed || crate::conversation::mutant::on("believe-removed") {
        RemovedAnswer::Removed
    } else {
        RemovedAnswer::NotBorneOut
    }
}

/// Whether a member may post application messages to any route of a conversation whose
/// routes' groups are `groups`: not once it has processed its removal on one of them
/// (HRT-ROUTE-29), and never failing over from such a route (HRT-ROUTE-27).
pub fn may_send<'a>(mut groups: impl Iterator<Item = &'a Group>) -> bool {
    crate::conversation::mutant::on("send-after-removal")
        || !groups.any(|g| g.status() == Status::Removed)
}

/// The removals an admin of `group` owes this route (HRT-ROUTE-28): one `Change::Remove` for
/// each member of `removed` (removed on another route of the conversation without having
/// left) still in this route's roster. Empty for a member that is not an admin here.
pub fn carry_removals(group: &Group, removed: &[Fingerprint]) -> Vec<Change> {
    let members = group.members();
    let me = group.my_leaf();
    let admin = members
        .iter()
        .any(|m| m.leaf == me && m.role == hearth_wire::Role::Admin);
    if !admin
        || group.status() != Status::Active
        || crate::conversation::mutant::on("no-carry-removal")
    {
        return Vec::new();
    }
    members
        .iter()
        .filter(|m| m.leaf != me && removed.contains(&m.fingerprint))
        .map(|m| Change::Remove(m.leaf))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use hearth_crypto::group::{Change, Group, PendingMember};
    use hearth_crypto::keys::IdentityKey;
    use hearth_wire::log::LogEntry;
    use hearth_wire::request::PendingJoin;
    use hearth_wire::{
        ConversationId, EntryKind, ErrorCode, Hash, HostUrl, Leaf, Role, Secs, Seq, WireDecode,
        WireEncode,
    };

    use super::*;
    use crate::conversation::log::{LogState, Senders};

    /// An admin and `n` members who each made an update commit, all processed by all.
    fn channel(n: usize) -> Vec<Group> {
        let host = HostUrl::new("https://example.org/hearth").unwrap();
        let mut g = vec![Group::create(host, IdentityKey::generate(), 0).unwrap()];
        for _ in 0..n {
            let mut inv = g[0]
                .create_invitation(ConversationId([1; 16]), u64::MAX)
                .unwrap()
                .registered();
            let uri = inv.uri().unwrap().to_string();
            let (mut p, redeem) =
                PendingMember::join(&uri, IdentityKey::generate(), "m", 0).unwrap();
            p.confirm_sas();
            let pj = PendingJoin {
                invite_id: redeem.body.invite_id,
                member_key: redeem.body.member_key,
                sealed: redeem.body.sealed.clone(),
                redeemed_at: Secs(0),
            };
            let joiner = inv.process_join(&pj).unwrap().confirm_sas_matches();
            let out = g[0]
                .commit(
                    vec![Change::Add {
                        joiner: Box::new(joiner),
                        role: Role::Member,
                    }],
                    0,
                )
                .unwrap();
            g[0].commit_accepted().unwrap();
            for m in g.iter_mut().skip(1) {
                m.process_commit(&out.commit).unwrap();
            }
            let gi = out.group_info_ct.as_deref().unwrap_or_default();
            g.push(
                p.accept_welcome(&out.welcomes[0].1, gi, Some(&out.commit), 0)
                    .unwrap(),
            );
        }
        g
    }

    fn entry(seq: u64, kind: EntryKind, bytes: Vec<u8>) -> LogEntry {
        LogEntry {
            seq: Seq(seq),
            kind,
            bytes,
            head: Hash([0; 32]),
            received: Secs(0),
        }
    }

    /// `g`'s `commit.report` of `seq` with bad_confirmation_tag, as a report entry holds it.
    fn report(g: &Group, seq: u64) -> Vec<u8> {
        use hearth_wire::request::{CommitReportBody, Request, SignedRequest};
        let body = CommitReportBody {
            seq: Seq(seq),
            reason: ErrorCode::BAD_CONFIRMATION_TAG,
        };
        let req = Request {
            op: hearth_wire::Op::COMMIT_REPORT,
            host_url: HostUrl::new(g.params().host_url()).unwrap(),
            channel_id: Some(*g.channel_id()),
            ts: Secs(0),
            nonce: hearth_wire::Nonce16([3; 16]),
            body: hearth_wire::RawValue::from_value(&body),
            ext: None,
        };
        let bytes = req.to_vec();
        let (key, signature) = g.sign_request(&bytes).unwrap();
        SignedRequest {
            version: hearth_wire::Version,
            key,
            request: hearth_wire::SignedBytes::from_bytes(bytes),
            signature,
        }
        .to_vec()
    }

    #[test]
    fn a_wedged_member_follows_the_recovery_and_an_accepting_one_holds_hrt_grp_89_92_94() {
        let mut g = channel(3);
        // Leaf 2 commits B; its tag is wrong for leaf 1 alone (as a host could serve it).
        let b = g[2].commit(vec![], 0).unwrap().commit;
        let mut bad = hearth_wire::group::Commit::decode(&b).unwrap();
        bad.confirmation_tag.0[0] ^= 1;
        let bad = bad.to_vec();
        let log = LogState::new();
        let (mut r0, mut r1, mut r3) = (Recovery::new(), Recovery::new(), Recovery::new());
        let mut r2 = Recovery::new();
        let mut s = Senders::anchored_at(0);
        // The committer finds its own pending commit in the log (spec §6.8 step 10).
        let out = r2.process(
            &mut g[2],
            &log,
            &mut s,
            &[entry(10, EntryKind::Commit, b.clone())],
        );
        assert!(matches!(out[0].1, Received::Commit { .. }));
        let out = r1.process(
            &mut g[1],
            &log,
            &mut s,
            &[entry(10, EntryKind::Commit, bad)],
        );
        assert!(matches!(out[0].1, Received::RejectedCommit(_)));
        r0.process(
            &mut g[0],
            &log,
            &mut s,
            &[entry(10, EntryKind::Commit, b.clone())],
        );
        r3.process(
            &mut g[3],
            &log,
            &mut s,
            &[entry(10, EntryKind::Commit, b.clone())],
        );
        // Leaf 1 (halted, epoch n) reports; leaf 3 verifies the report and holds.
        let rep = entry(11, EntryKind::Report, report(&g[1], 10));
        assert!(!r3.holds_messages());
        r3.process(&mut g[3], &log, &mut s, std::slice::from_ref(&rep));
        r0.process(&mut g[0], &log, &mut s, std::slice::from_ref(&rep));
        assert!(r3.holds_messages());
        // The admin, which accepted B, is due to recover; it is not B's committer.
        let (seq, named) = r0.due(&g[0]).unwrap();
        assert_eq!(seq, 10);
        let named = named.to_vec();
        let r = g[0].recovery_commit(seq, &named, 0).unwrap().commit;
        let re = entry(12, EntryKind::Commit, r);
        for (rec, m) in [(&mut r0, 0), (&mut r1, 1), (&mut r3, 3)] {
            let out = rec.process(&mut g[m], &log, &mut s, std::slice::from_ref(&re));
            assert!(matches!(out[0].1, Received::Commit { .. }), "{m}: {out:?}");
            assert!(!rec.holds_messages());
            assert_eq!(g[m].status(), Status::Active);
        }
        let out = r2.process(&mut g[2], &log, &mut s, std::slice::from_ref(&re));
        assert!(matches!(out[0].1, Received::Removed), "{out:?}");
        assert_eq!(g[0].epoch_authenticator(), g[1].epoch_authenticator());
        assert_eq!(g[0].epoch_authenticator(), g[3].epoch_authenticator());
    }

    #[test]
    fn removals_are_recorded_and_carried_by_admins_only_hrt_route_28() {
        let mut g = channel(2);
        let gone = g[2].fingerprint();
        let c = g[0]
            .commit(vec![Change::Remove(Leaf(2))], 0)
            .unwrap()
            .commit;
        g[0].commit_accepted().unwrap();
        let mut rec = Recovery::new();
        let log = LogState::new();
        let mut s = Senders::anchored_at(0);
        rec.process(&mut g[1], &log, &mut s, &[entry(5, EntryKind::Commit, c)]);
        assert_eq!(rec.removed_members(), &[gone]);
        // Another route where the member still is: its admin owes the removal, a member not.
        let other = channel(2);
        let fp_on_other = other[1].fingerprint();
        assert_eq!(
            carry_removals(&other[0], &[fp_on_other]).len(),
            1,
            "the admin removes it"
        );
        assert!(carry_removals(&other[1], &[other[2].fingerprint()]).is_empty());
        assert!(carry_removals(&other[0], &[gone]).is_empty());
    }

    #[test]
    fn a_removed_answer_counts_only_once_the_log_bears_it_out_hrt_grp_90_91_route_29() {
        let mut g = channel(1);
        assert_eq!(judge_removed(&g[1]), RemovedAnswer::NotBorneOut);
        assert!(may_send(g.iter()));
        let c = g[0]
            .commit(vec![Change::Remove(Leaf(1))], 0)
            .unwrap()
            .commit;
        g[0].commit_accepted().unwrap();
        g[1].process_commit(&c).unwrap();
        assert_eq!(judge_removed(&g[1]), RemovedAnswer::Removed);
        assert!(!may_send(g.iter()));
    }
}
