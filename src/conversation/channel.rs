//! One channel of a conversation as a member holds it (spec §9.5 step 6, §9.9): its group
//! state, its log state, the per-sender records, and whether a detection froze it; and
//! receiving, which turns a served page into what the member is told.
//!
//! Receiving opens every run of application messages between two other entries (commits,
//! leaves) as one page with batch verification ([`Group::open_page`], HRT-CRYPTO-22): the
//! results are exactly those of opening one at a time in `seq` order (HRT-LOG-23), only
//! faster.

use hearth_crypto::envelope::{message_ref, Opened};
use hearth_crypto::group::Group;
use hearth_crypto::keys::Fingerprint;
use hearth_crypto::{CommitOutcome, Status};
use hearth_wire::envelope::ContentBody;
use hearth_wire::log::LogEntry;
use hearth_wire::request::LogFetchResult;
use hearth_wire::{EntryKind, ErrorCode, Hash, Leaf};

use super::log::{BadClaim, Detection, LogState, MessageFacts, Senders};

/// A detection that froze a channel (HRT-LOG-38): evidence against the host, served by it
/// (§9.9). `member` is set only when the user froze the channel over a member's `bad_claim`
/// (HRT-LOG-45 allows it); a detection of what the host served names no member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frozen {
    /// What was detected.
    pub detection: Detection,
    /// The member whose `bad_claim` the user froze the channel over, if that is why.
    pub member: Option<Fingerprint>,
}

/// An application message that opened (§7.5), with the outcome of the checks of its claims
/// (§9.7, §9.8): a message whose claim contradicts this member's log is still shown, marked
/// (HRT-LOG-45).
#[derive(Clone, Debug)]
pub struct Message {
    /// The sender.
    pub sender: Fingerprint,
    /// The content type.
    pub content_type: u16,
    /// The typed body.
    pub body: ContentBody,
    /// The sender's clock (authenticated, not trusted for order: spec §10.5).
    pub sent_at_ms: u64,
    /// `H("msgref", envelope)`.
    pub msg_ref: Hash,
    /// This member's own leaf in the message's epoch: a route announcement lists invitations
    /// by the leaves of that epoch (HRT-ROUTE-8).
    pub my_leaf: Leaf,
    /// The sender's claim that contradicts this member's log, if any: `bad_claim` naming the
    /// sender (HRT-LOG-42 to HRT-LOG-44), to be shown with a warning that the sender or the
    /// host is at fault (HRT-LOG-45). It does not freeze the channel.
    pub claim: Option<Detection>,
}

/// What one verified entry came to.
#[derive(Clone, Debug)]
pub enum Received {
    /// Nothing to tell: a create or report entry, a leave recorded.
    Nothing,
    /// One of this member's own messages, accepted by the host: what settles a post whose
    /// outcome was unknown (HRT-LOG-52).
    Own(Hash),
    /// A commit installed this epoch.
    Commit {
        /// The new epoch.
        epoch: u64,
        /// Its committer by the new roster (this member for its own commit), when known.
        committer: Option<Fingerprint>,
        /// When the host received it (`LogEntry` element 4), for HRT-RAT-22.
        received: u64,
    },
    /// This member was removed: the channel is over for it (HRT-GRP-46).
    Removed,
    /// A message.
    Message(Box<Message>),
    /// The entry (a message or a leave) was refused with this code.
    Rejected(ErrorCode),
    /// The commit was refused with this code: the channel is halted (HRT-GRP-89) and the
    /// commit is to be reported with `commit.report` (HRT-GRP-88).
    RejectedCommit(ErrorCode),
    /// What the host served proves it lied (§9.9); the channel is now frozen (HRT-LOG-38).
    Detected(Frozen),
}

/// One channel of a conversation: group, log state (§9.5), per-sender records (§9.8) and the
/// detection that froze it, if any (§9.9).
pub struct Channel {
    pub(crate) group: Group,
    pub(crate) log: LogState,
    pub(crate) senders: Senders,
    pub(crate) frozen: Option<Frozen>,
}

impl Channel {
    /// A channel from its parts: a group, the log state that goes with it, and the sender
    /// records (for a creator `Senders::anchored_at(0)`, for a joiner its anchor, §9.6).
    pub fn new(group: Group, log: LogState, senders: Senders) -> Self {
        Self {
            group,
            log,
            senders,
            frozen: None,
        }
    }

    /// The group state.
    pub fn group(&self) -> &Group {
        &self.group
    }

    /// The group state, to seal, commit or make invitations with.
    pub fn group_mut(&mut self) -> &mut Group {
        &mut self.group
    }

    /// The log state.
    pub fn log(&self) -> &LogState {
        &self.log
    }

    /// The log state, to record the results of own requests (HRT-LOG-6, HRT-LOG-22).
    pub fn log_mut(&mut self) -> &mut LogState {
        &mut self.log
    }

    /// The per-sender records.
    pub fn senders(&self) -> &Senders {
        &self.senders
    }

    /// The per-sender records, to record own posts (HRT-LOG-34).
    pub fn senders_mut(&mut self) -> &mut Senders {
        &mut self.senders
    }

    /// The parts: group, log state, sender records, and the detection that froze it.
    pub fn into_parts(self) -> (Group, LogState, Senders, Option<Frozen>) {
        (self.group, self.log, self.senders, self.frozen)
    }

    /// The detection that froze the channel, if any.
    pub fn frozen(&self) -> Option<&Frozen> {
        self.frozen.as_ref()
    }

    /// Freezes the channel (HRT-LOG-38) and returns the record of why.
    pub fn freeze(&mut self, detection: Detection, member: Option<Fingerprint>) -> Frozen {
        let f = Frozen { detection, member };
        self.frozen = Some(f.clone());
        f
    }

    /// Whether the channel can carry posts: not frozen, the member neither removed nor halted.
    pub fn usable(&self) -> bool {
        self.frozen.is_none() && self.group.status() == Status::Active
    }

    /// Receives one served page for `since = V` (spec §9.5): checks it, then processes the
    /// verified entries in `seq` order. A failed check freezes the channel and is the only
    /// result; processing stops at the first removal, refused commit or detection, whose
    /// result is the last one returned.
    pub fn receive_page(&mut self, page: LogFetchResult) -> Vec<(u64, Received)> {
        if self.frozen.is_some() {
            return Vec::new();
        }
        match self.log.verify_page(page) {
            Ok(entries) => self.process(&entries),
            Err(d) => {
                let seq = d.seq.unwrap_or(0);
                vec![(seq, Received::Detected(self.freeze(d, None)))]
            }
        }
    }

    /// Processes verified entries in `seq` order (spec §9.5 step 6), each run of messages as
    /// one batch-verified page. Stops as [`Channel::receive_page`] does; a detection freezes
    /// the channel.
    pub fn process(&mut self, entries: &[LogEntry]) -> Vec<(u64, Received)> {
        let out = process(&mut self.group, &self.log, &mut self.senders, entries);
        if let Some((_, Received::Detected(f))) = out.last() {
            self.frozen = Some(f.clone());
        }
        out
    }
}

/// [`Channel::process`] for a front end that keeps a channel's parts apart: processes verified
/// entries in `seq` order (spec §9.5 step 6, HRT-LOG-23), each run of messages between two
/// other entries as one batch-verified page (HRT-CRYPTO-22). Stops after the first removal,
/// refused commit or detection, whose result is the last one returned; the caller freezes the
/// channel on a detection (HRT-LOG-38).
pub fn process(
    group: &mut Group,
    log: &LogState,
    senders: &mut Senders,
    entries: &[LogEntry],
) -> Vec<(u64, Received)> {
    let mut out = Vec::with_capacity(entries.len());
    let mut rest = entries;
    while let Some(first) = rest.first() {
        let stop = if first.kind == EntryKind::Msg {
            let n = rest.iter().take_while(|e| e.kind == EntryKind::Msg).count();
            let (run, after) = rest.split_at(n);
            rest = after;
            process_messages(group, log, senders, run, &mut out);
            false
        } else {
            rest = rest.get(1..).unwrap_or_default();
            let r = process_other(group, first);
            let stop = matches!(
                r,
                Received::Removed | Received::Detected(_) | Received::RejectedCommit(_)
            );
            out.push((first.seq.0, r));
            stop
        };
        if stop {
            break;
        }
    }
    out
}

fn process_other(group: &mut Group, e: &LogEntry) -> Received {
    match e.kind {
        EntryKind::Create | EntryKind::Report | EntryKind::Msg => Received::Nothing,
        EntryKind::Leave => match group.record_leave(&e.bytes) {
            Ok(_) => Received::Nothing,
            Err(err) => Received::Rejected(err.code()),
        },
        EntryKind::Commit => match group.process_commit(&e.bytes) {
            Ok(CommitOutcome::Removed) => Received::Removed,
            Ok(o) => installed(group, &o, e),
            Err(err) => Received::RejectedCommit(err.code()),
        },
    }
}

/// What an installed commit comes to: the new epoch, its committer and when the host received
/// it.
pub(crate) fn installed(group: &Group, o: &CommitOutcome, e: &LogEntry) -> Received {
    let committer = match o {
        CommitOutcome::Installed { committer, .. } => group
            .members()
            .iter()
            .find(|m| m.leaf == *committer)
            .map(|m| m.fingerprint),
        CommitOutcome::OwnCommit { .. } => Some(group.fingerprint()),
        CommitOutcome::Removed => None,
    };
    Received::Commit {
        epoch: group.epoch().unwrap_or(0),
        committer,
        received: e.received.0,
    }
}

/// A run of `msg` entries with no other entry between them: one epoch, opened as one page
/// (§7.5 for each, HRT-CRYPTO-22), then checked in `seq` order (§9.7, §9.8). Every entry of
/// the run is recorded for later `prev`s, those that were rejected too (§9.8, HRT-LOG-43). A
/// member's bad claim does not stop the run (HRT-LOG-45).
fn process_messages(
    group: &mut Group,
    log: &LogState,
    senders: &mut Senders,
    run: &[LogEntry],
    out: &mut Vec<(u64, Received)>,
) {
    // Own messages are recognised by their msg-ref and not opened (a sender cannot open its
    // own envelopes); with no own post on record, no hash is needed.
    let own: Vec<bool> = if senders.own_refs.is_empty() {
        vec![false; run.len()]
    } else {
        run.iter()
            .map(|e| senders.is_own(&message_ref(&e.bytes)))
            .collect()
    };
    let envelopes: Vec<&[u8]> = run
        .iter()
        .zip(&own)
        .filter(|(_, own)| !**own)
        .map(|(e, _)| e.bytes.as_slice())
        .collect();
    let my_leaf = group.my_leaf();
    let mut opened = group.open_page(&envelopes).into_iter();
    // Fingerprints of the run's senders, each hashed once (a page has few senders).
    let mut fingerprints: Vec<([u8; 32], Fingerprint)> = Vec::new();
    for (e, own) in run.iter().zip(own) {
        let seq = e.seq.0;
        if own {
            out.push((seq, Received::Own(message_ref(&e.bytes))));
            continue;
        }
        let r = match opened.next() {
            Some(Ok(o)) => {
                let id = *o.identity.as_bytes();
                let sender = match fingerprints.iter().find(|(k, _)| *k == id) {
                    Some((_, f)) => *f,
                    None => {
                        let f = o.identity.fingerprint();
                        fingerprints.push((id, f));
                        f
                    }
                };
                check(log, senders, seq, o, sender, my_leaf)
            }
            Some(Err(err)) => {
                senders.record_unopened(message_ref(&e.bytes));
                Received::Rejected(err.code())
            }
            None => {
                senders.record_unopened(message_ref(&e.bytes));
                Received::Rejected(ErrorCode::INTERNAL)
            }
        };
        out.push((seq, r));
    }
}

fn check(
    log: &LogState,
    senders: &mut Senders,
    seq: u64,
    o: Opened,
    sender: Fingerprint,
    my_leaf: Leaf,
) -> Received {
    let facts = MessageFacts {
        seq,
        sender: o.identity.as_bytes(),
        msg_ref: &o.msg_ref,
        seen_seq: o.content.seen_seq.0,
        seen_head: o.content.seen_head.as_slice(),
        prev: o.content.prev.as_ref(),
    };
    let claim = senders
        .check(log, facts, sender)
        .err()
        .map(|c: BadClaim| c.detection);
    Received::Message(Box::new(Message {
        sender,
        content_type: o.content.content_type.0,
        sent_at_ms: o.content.sent_at_ms,
        msg_ref: o.msg_ref,
        body: o.body,
        my_leaf,
        claim,
    }))
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod faults;
