//! One route of a conversation (spec §10.1): a channel on one host, the member's group state
//! in it, its verified log (§9.5), and what the member has learned from that log.

use std::collections::{HashMap, HashSet};

use hearth_crypto::envelope::message_ref;
use hearth_crypto::group::Group;
use hearth_crypto::invite::Invitation;
use hearth_crypto::keys::Fingerprint;
use hearth_crypto::{CommitOutcome, Status};
use hearth_wire::envelope::ContentBody;
use hearth_wire::log::LogEntry;
use hearth_wire::{ChannelId, EntryKind, ErrorCode, Hash, HostUrl};

use crate::log::{Detection, LogState};

/// `(host_url, channel_id)`: where a route lives (spec §10.1).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RouteRef {
    /// The host's canonical URL.
    pub host: HostUrl,
    /// The channel.
    pub channel: ChannelId,
}

/// An invitation this member made on a route and that a join may still arrive for.
pub(crate) struct OpenInvite {
    pub(crate) invitation: Invitation,
    /// For a route invitation (spec §10.2): the only identity the creator may admit with it
    /// (HRT-ROUTE-9). `None` for an ordinary invitation.
    pub(crate) expected: Option<Fingerprint>,
}

/// A detection that froze the route (HRT-LOG-38).
#[derive(Clone, Debug)]
pub struct Frozen {
    /// What was detected.
    pub detection: Detection,
    /// The member whose message triggered it (HRT-LOG-39).
    pub member: Option<Fingerprint>,
}

/// What processing one verified entry produced.
pub(crate) enum Processed {
    /// Nothing to report (create, report, own message).
    Nothing,
    /// A commit installed epoch `epoch`.
    Commit { epoch: u64 },
    /// This member was removed.
    Removed,
    /// A message opened.
    Message {
        sender: Fingerprint,
        content_type: u16,
        body: Box<ContentBody>,
        text: Option<String>,
        sent_at_ms: u64,
        msg_ref: Hash,
    },
    /// The entry was refused with this code.
    Rejected(ErrorCode),
    /// The entry proves the host lied; the route is now frozen.
    Detected(Frozen),
}

/// A member's state in one channel.
pub struct Route {
    pub(crate) link: RouteRef,
    pub(crate) group: Group,
    pub(crate) log: LogState,
    pub(crate) frozen: Option<Frozen>,
    /// The anchor `seq` (0 for the creator): HRT-LOG-36's exception applies above 0.
    pub(crate) anchor: u64,
    /// `msg-ref`s of verified messages by sender identity (HRT-LOG-36).
    pub(crate) sent_by: HashMap<[u8; 32], HashSet<[u8; 32]>>,
    /// The `prev` of each sender's first message after the anchor (HRT-LOG-36).
    pub(crate) first_prev: HashMap<[u8; 32], Option<[u8; 32]>>,
    /// `msg-ref`s of this member's own accepted messages.
    pub(crate) own_refs: HashSet<[u8; 32]>,
    /// The `prev` for the next own message (HRT-LOG-34).
    pub(crate) last_own: Option<Hash>,
    pub(crate) invites: Vec<OpenInvite>,
    /// Joins that passed §5.8 but whose add commit did not go through yet.
    pub(crate) pending_adds: Vec<hearth_crypto::invite::ConfirmedJoin>,
    /// Route announcements opened in this channel, not yet acted on (spec §10.2).
    pub(crate) announcements: Vec<(
        u64,
        hearth_wire::Leaf,
        Fingerprint,
        hearth_wire::envelope::RouteBody,
    )>,
    /// A rejected commit to report with `commit.report` (HRT-GRP-42): `(seq, code)`.
    pub(crate) report: Option<(u64, ErrorCode)>,
    /// Events produced on this route and not yet handed to the conversation.
    pub(crate) inbox: Vec<crate::client::Event>,
}

impl Route {
    pub(crate) fn new(link: RouteRef, group: Group, log: LogState, anchor: u64) -> Self {
        Self {
            link,
            group,
            log,
            frozen: None,
            anchor,
            sent_by: HashMap::new(),
            first_prev: HashMap::new(),
            own_refs: HashSet::new(),
            last_own: None,
            invites: Vec::new(),
            pending_adds: Vec::new(),
            announcements: Vec::new(),
            report: None,
            inbox: Vec::new(),
        }
    }

    /// Where the route lives.
    pub fn link(&self) -> &RouteRef {
        &self.link
    }

    /// The group state.
    pub fn group(&self) -> &Group {
        &self.group
    }

    /// The detection that froze this route, if any.
    pub fn frozen(&self) -> Option<&Frozen> {
        self.frozen.as_ref()
    }

    /// Whether the route can carry posts: not frozen, the member not removed or halted.
    pub fn usable(&self) -> bool {
        self.frozen.is_none() && self.group.status() == Status::Active
    }

    /// Processes one verified entry (spec §9.5 step 6): commits (§6.9), messages (§7.5 and
    /// the log checks of §9.7, §9.8), leave entries (§6.13).
    pub(crate) fn process(&mut self, e: &LogEntry) -> Processed {
        match e.kind {
            EntryKind::Create | EntryKind::Report => Processed::Nothing,
            EntryKind::Leave => match self.group.record_leave(&e.bytes) {
                Ok(_) => Processed::Nothing,
                Err(err) => Processed::Rejected(err.code()),
            },
            EntryKind::Commit => match self.group.process_commit(&e.bytes) {
                Ok(CommitOutcome::Removed) => Processed::Removed,
                Ok(_) => Processed::Commit {
                    epoch: self.group.epoch().unwrap_or(0),
                },
                Err(err) => Processed::Rejected(err.code()),
            },
            EntryKind::Msg => self.process_msg(e),
        }
    }

    fn process_msg(&mut self, e: &LogEntry) -> Processed {
        let msg_ref = message_ref(&e.bytes);
        if self.own_refs.contains(&msg_ref.0) {
            return Processed::Nothing;
        }
        let o = match self.group.open(&e.bytes) {
            Ok(o) => o,
            Err(err) => return Processed::Rejected(err.code()),
        };
        let sender = o.identity.fingerprint();
        let id = *o.identity.as_bytes();
        let seen = o.content.seen_seq.0;
        // HRT-LOG-32: a sender cannot have seen the entry that carries its own message.
        if seen >= e.seq.0 {
            return self.freeze(
                ErrorCode::FORK_DETECTED,
                e.seq.0,
                format!(
                    "a message at seq {} claims to have seen seq {seen}",
                    e.seq.0
                ),
                Some(sender),
            );
        }
        // HRT-LOG-33: the sender's view of the chain must match ours.
        if seen > 0 && !crate::mutant::on("ignore-seen-head") {
            if let Some(held) = self.log.head_at(seen) {
                if o.content.seen_head.as_slice() != held.as_slice() {
                    return self.freeze(
                        ErrorCode::FORK_DETECTED,
                        seen,
                        format!("the sender's head at seq {seen} differs from ours"),
                        Some(sender),
                    );
                }
            }
        }
        // HRT-LOG-36: `prev` must name a message of the same member that we verified.
        let recorded = self.sent_by.entry(id).or_default();
        if let Some(p) = o.content.prev {
            let known = recorded.contains(&p.0);
            let first_after_anchor = self.anchor > 0 && recorded.is_empty();
            let named_before = self.first_prev.get(&id).copied().flatten() == Some(p.0);
            if !known && !first_after_anchor && !named_before && !crate::mutant::on("ignore-prev") {
                return self.freeze(
                    ErrorCode::WITHHELD_DETECTED,
                    e.seq.0,
                    "a message names an earlier message of its sender that this client never received"
                        .into(),
                    Some(sender),
                );
            }
        }
        if recorded.is_empty() {
            self.first_prev
                .entry(id)
                .or_insert(o.content.prev.map(|p| p.0));
        }
        recorded.insert(msg_ref.0);
        let text = match &o.body {
            ContentBody::Text(t) => Some(t.text.as_str().to_owned()),
            _ => None,
        };
        Processed::Message {
            sender,
            content_type: o.content.content_type.0,
            body: Box::new(o.body),
            text,
            sent_at_ms: o.content.sent_at_ms,
            msg_ref,
        }
    }

    /// Freezes the route (HRT-LOG-38) after a detection, naming the member whose message
    /// triggered it, if any (HRT-LOG-39).
    pub(crate) fn freeze_with(
        &mut self,
        detection: Detection,
        member: Option<Fingerprint>,
    ) -> Frozen {
        let f = Frozen { detection, member };
        self.frozen = Some(f.clone());
        f
    }

    fn freeze(
        &mut self,
        code: ErrorCode,
        seq: u64,
        evidence: String,
        member: Option<Fingerprint>,
    ) -> Processed {
        let detection = Detection {
            code,
            seq: Some(seq),
            evidence,
        };
        Processed::Detected(self.freeze_with(detection, member))
    }
}
