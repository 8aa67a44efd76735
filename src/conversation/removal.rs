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
            Ok(_) => Received::Commit {
                epoch: group.epoch().unwrap_or(0),
            },
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
    if group.status() == Status::Removed {
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
    if !admin || group.status() != Status::Active {
        return Vec::new();
    }
    members
        .iter()
        .filter(|m| m.leaf != me && removed.contains(&m.fingerprint))
        .map(|m| Change::Remove(m.leaf))
        .collect()
}
