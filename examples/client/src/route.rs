//! One route of a conversation (spec §10.1): a channel on one host, the member's group state
//! in it, its verified log (§9.5), and what the member has learned from that log.

use hearth::conversation::log::{LogState, Senders};
use hearth_crypto::group::Group;
use hearth_crypto::invite::Invitation;
use hearth_crypto::keys::Fingerprint;
use hearth_crypto::Status;
use hearth_wire::ErrorCode;

pub use hearth::conversation::channel::Frozen;
pub use hearth::conversation::RouteRef;

/// An invitation this member made on a route and that a join may still arrive for.
pub(crate) struct OpenInvite {
    pub(crate) invitation: Invitation,
    /// For a route invitation (spec §10.2): the only identity the creator may admit with it
    /// (HRT-ROUTE-9). `None` for an ordinary invitation.
    pub(crate) expected: Option<Fingerprint>,
}

/// A member's state in one channel.
pub struct Route {
    pub(crate) link: RouteRef,
    pub(crate) group: Group,
    pub(crate) log: LogState,
    pub(crate) frozen: Option<Frozen>,
    /// The per-sender records of §9.8 (the anchor, `prev` chains, own posts).
    pub(crate) senders: Senders,
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
    /// A rejected commit to report with `commit.report` (HRT-GRP-88): `(seq, code)`.
    pub(crate) report: Option<(u64, ErrorCode)>,
    /// The latest commit and the reports naming it, for recovery (spec §6.9.3). // issue 16
    pub(crate) recovery: hearth::conversation::removal::Recovery,
    /// Events produced on this route and not yet handed to the conversation.
    pub(crate) inbox: Vec<hearth::conversation::event::Event>,
    /// When the member key in use was installed, by the duty clock (HRT-RAT-21). // issue 16
    /// Saved with the route (spec §6.16), so that a restart does not restart the key's age.
    pub(crate) key_since: u64,
    /// The member key `key_since` is the install time of: when the group's own member key
    /// differs (a commit with its `RotateOp` was installed), [`Route::note_key`] restarts the
    /// age. Not saved: read from the group state on load.
    pub(crate) key_of: Option<hearth_crypto::keys::MemberPublicKey>,
}

impl Route {
    pub(crate) fn new(link: RouteRef, group: Group, log: LogState, anchor: u64) -> Self {
        Self {
            link,
            group,
            log,
            frozen: None,
            senders: Senders::anchored_at(anchor),
            invites: Vec::new(),
            pending_adds: Vec::new(),
            announcements: Vec::new(),
            report: None,
            recovery: Default::default(),
            inbox: Vec::new(),
            key_since: crate::clock::system_now(),
            key_of: None,
        }
        .keyed()
    }

    /// The route with `key_of` set to the group's current member key.
    fn keyed(mut self) -> Self {
        self.key_of = self.group.member_key();
        self
    }

    /// Records that the member key installed at `now` if the group's own member key changed
    /// since the last call (an accepted commit with this member's `RotateOp`, HRT-RAT-21;
    /// the join sets `key_since` itself).
    pub(crate) fn note_key(&mut self, now: u64) {
        let current = self.group.member_key();
        if current != self.key_of {
            self.key_of = current;
            self.key_since = now;
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

    /// Whether the route's log is still fetched: not frozen, not removed; a member that
    /// rejected a commit still reads report entries and a recovery commit (HRT-GRP-89), once
    /// its report is out (HRT-GRP-88). // issue 16
    pub(crate) fn readable(&self) -> bool {
        self.frozen.is_none() && self.group.status() != Status::Removed && self.report.is_none()
    }

    /// Freezes the route (HRT-LOG-38) after a detection of what the host served (§9.9);
    /// `member` names the member only when a user freezes over its `bad_claim` (HRT-LOG-45).
    pub(crate) fn freeze_with(
        &mut self,
        detection: hearth::conversation::log::Detection,
        member: Option<Fingerprint>,
    ) -> Frozen {
        let f = Frozen { detection, member };
        self.frozen = Some(f.clone());
        f
    }
}
