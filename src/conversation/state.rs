//! What a member keeps (spec §5, §10.1): its conversations, each a conversation id and its
//! routes in order (HRT-ROUTE-12); per route the channel state and what the member learned
//! around it (invitations made, joins waiting for their add commit, a refused commit to
//! report, announcements not acted on); and the joins this member waits to complete (§5.9).
//!
//! The fields are public so that a front end can persist and restore them (the reference
//! client keeps them in SQLite); the [`super::Member`] machine is what changes them.

use hearth_crypto::group::{Group, PendingMember};
use hearth_crypto::invite::{ConfirmedJoin, Invitation, Sas};
use hearth_crypto::keys::{Fingerprint, MemberPublicKey};
use hearth_crypto::Status;
use hearth_wire::envelope::RouteBody;
use hearth_wire::{ConversationId, ErrorCode, FprPrefix, Hash, Leaf, Nonce16};

use super::channel::Frozen;
use super::event::Event;
use super::log::{Detection, LogState, Senders};
use super::outbox::Queued;
use super::removal::Recovery;
use super::timeline::Timeline;
use super::RouteRef;

/// An invitation this member made on a route and that a join may still arrive for (§5.2).
pub struct OpenInvite {
    /// The invitation and its secrets.
    pub invitation: Invitation,
    /// For a route invitation (spec §10.2): the only identity the creator may admit with it
    /// (HRT-ROUTE-9). `None` for an ordinary invitation.
    pub expected: Option<Fingerprint>,
}

/// A route announcement opened in a channel and not yet acted on (spec §10.2).
pub struct Announced {
    /// The seq of the message that carried it.
    pub seq: u64,
    /// This member's leaf in the message's epoch (HRT-ROUTE-8).
    pub my_leaf: Leaf,
    /// The sender by the roster.
    pub sender: Fingerprint,
    /// The announcement.
    pub body: RouteBody,
}

/// A member's state in one channel of a conversation.
pub struct Route {
    /// Where the route lives.
    pub link: RouteRef,
    /// The group state.
    pub group: Group,
    /// The log state (§9.5).
    pub log: LogState,
    /// The detection that froze the route (§9.9), if any.
    pub frozen: Option<Frozen>,
    /// The per-sender records of §9.8 (the anchor, `prev` chains, own posts).
    pub senders: Senders,
    /// The invitations made here that a join may still arrive for.
    pub invites: Vec<OpenInvite>,
    /// Joins that passed §5.8 but whose add commit did not go through yet.
    pub pending_adds: Vec<ConfirmedJoin>,
    /// Route announcements opened in this channel, not yet acted on (spec §10.2).
    pub announcements: Vec<Announced>,
    /// A rejected commit to report with `commit.report` (HRT-GRP-88): `(seq, code)`.
    pub report: Option<(u64, ErrorCode)>,
    /// Events produced on this route and not yet handed to the conversation.
    pub inbox: Vec<Event>,
    /// `msg-ref`s of own posts whose outcome is unknown (no answer, §10.4), not yet seen in
    /// the verified log.
    pub unknown: Vec<Hash>,
    /// `msg-ref`s of own posts of unknown outcome that the verified log later showed: they
    /// were accepted, and the outbox does not send them again (HRT-LOG-52).
    pub surfaced: Vec<Hash>,
    /// The latest commit and the reports naming it, for recovery (spec §6.9.3).
    pub recovery: Recovery,
    /// When the member key in use was installed, by the caller's time (HRT-RAT-21). A front
    /// end saves it with the route (spec §6.16), so that a restart does not restart the key's
    /// age; the layer sets it when it creates or joins the channel.
    pub key_since: u64,
    /// The member key `key_since` is the install time of: when the group's own member key
    /// differs (a commit with its `RotateOp` was installed), [`Route::note_key`] restarts the
    /// age. Not saved: [`Route::new`] reads it from the group state.
    pub key_of: Option<MemberPublicKey>,
    /// When the host received each member's latest commit this member verified (`LogEntry`
    /// element 4), for the removal of members away for 30 days (HRT-RAT-22). Saved with the
    /// route by a front end that restarts.
    pub last_commit: Vec<(Fingerprint, u64)>,
}

impl Route {
    /// A route whose log was verified by `log`, its sender records anchored at `anchor`
    /// (0 for a creator, the add commit's seq for a joiner, §9.6). Its member key's install
    /// time `key_since` is 0 until the caller sets it (HRT-RAT-21).
    pub fn new(link: RouteRef, group: Group, log: LogState, anchor: u64) -> Self {
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
            inbox: Vec::new(),
            unknown: Vec::new(),
            surfaced: Vec::new(),
            recovery: Recovery::default(),
            key_since: 0,
            key_of: None,
            last_commit: Vec::new(),
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
    /// creating or joining the channel sets `key_since` itself).
    pub fn note_key(&mut self, now: u64) {
        let current = self.group.member_key();
        if current != self.key_of {
            self.key_of = current;
            self.key_since = now;
        }
    }

    /// Records that `member`'s commit was received by the host at `received` (HRT-RAT-22).
    pub fn note_commit(&mut self, member: Fingerprint, received: u64) {
        match self.last_commit.iter_mut().find(|(f, _)| *f == member) {
            Some((_, t)) => *t = (*t).max(received),
            None => self.last_commit.push((member, received)),
        }
    }

    /// Whether the route's log is still fetched: not frozen, not removed; a member that
    /// rejected a commit still reads report entries and a recovery commit (HRT-GRP-89), once
    /// its report is out (HRT-GRP-88).
    pub fn readable(&self) -> bool {
        self.frozen.is_none() && self.group.status() != Status::Removed && self.report.is_none()
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

    /// Freezes the route (HRT-LOG-38) after a detection of what the host served (§9.9);
    /// `member` names the member only when a user freezes over its `bad_claim` (HRT-LOG-45).
    pub fn freeze_with(&mut self, detection: Detection, member: Option<Fingerprint>) -> Frozen {
        let f = Frozen { detection, member };
        self.frozen = Some(f.clone());
        f
    }

    /// The epoch once the own posted commit is installed (HRT-GRP-75): the current one if
    /// the log already reached it, otherwise one more.
    pub fn epoch_now_or_next(&self) -> u64 {
        let e = self.group.epoch().unwrap_or(0);
        if self.group.has_pending_commit() {
            e + 1
        } else {
            e
        }
    }
}

/// A conversation: a local handle, the conversation id, and its routes in order
/// (HRT-ROUTE-12).
pub struct Conversation {
    /// The local handle.
    pub handle: [u8; 16],
    /// The conversation id (spec §10.1).
    pub id: ConversationId,
    /// The routes, in order.
    pub routes: Vec<Route>,
    /// What is shown (spec §7.8, §10.5).
    pub timeline: Timeline,
    /// Events produced by commands and not yet delivered (for instance by the log processing
    /// that `epoch_conflict` forces during a send, HRT-ROUTE-17).
    pub undelivered: Vec<Event>,
    /// Sends that reached no route, to be sealed anew and retried (HRT-LOG-49).
    pub outbox: Vec<Queued>,
    /// The last send the outbox made, for the answer to the send that flushed it.
    pub(crate) last_sent: Option<Sent>,
}

impl Conversation {
    /// A conversation with no route yet.
    pub fn new(handle: [u8; 16], id: ConversationId) -> Self {
        Self {
            handle,
            id,
            routes: Vec::new(),
            timeline: Timeline::default(),
            undelivered: Vec::new(),
            outbox: Vec::new(),
            last_sent: None,
        }
    }

    /// The local handle.
    pub fn handle(&self) -> [u8; 16] {
        self.handle
    }

    /// The conversation id (spec §10.1).
    pub fn id(&self) -> ConversationId {
        self.id
    }

    /// The routes, in order.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The timeline: what is shown, and the edits and deletes kept aside (spec §7.8).
    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    /// The sends waiting in the outbox (HRT-LOG-49).
    pub fn outbox(&self) -> &[Queued] {
        &self.outbox
    }

    /// Moves the events of every route into the conversation: messages into the timeline,
    /// everything into the undelivered list.
    pub fn absorb(&mut self) {
        for (pos, route) in self.routes.iter_mut().enumerate() {
            for ev in route.inbox.drain(..) {
                if let Event::Message {
                    route: rr,
                    seq,
                    sender,
                    msg_ref,
                    sent_at_ms,
                    kind,
                    ..
                } = &ev
                {
                    self.timeline
                        .add(rr, pos, *seq, *sender, *msg_ref, *sent_at_ms, kind.clone());
                }
                self.undelivered.push(ev);
            }
        }
    }
}

/// A join this member waits to complete (spec §5.9).
pub struct Joining {
    /// The joiner's state and keys.
    pub pending: PendingMember,
    /// The route joined.
    pub link: RouteRef,
    /// The invite id of the redeemed invitation (§5.8.1: a comparison's answer acts on this
    /// join only); `None` only for a join saved by an older version.
    pub invite: Option<Nonce16>,
    /// The conversation id of the invitation.
    pub conversation: ConversationId,
    /// The inviter, by fingerprint prefix.
    pub inviter: FprPrefix,
    /// Set for a join started from a `RouteBody`: the conversation it belongs to.
    pub attach_to: Option<[u8; 16]>,
}

impl Joining {
    /// Whether this is the join of invitation `invite` on `route`. A join saved without its
    /// invite id (an older version) is matched by its route alone.
    pub fn is(&self, route: &RouteRef, invite: &Nonce16) -> bool {
        &self.link == route && self.invite.is_none_or(|i| &i == invite)
    }
}

/// One short authentication string the user is asked to compare (spec §5.8.1).
#[derive(Clone, Debug)]
pub struct SasCheck {
    /// The route of the invitation.
    pub route: RouteRef,
    /// The invite id, which names the comparison.
    pub invite: [u8; 16],
    /// The code this client shows (HRT-INV-64 display form through `Display`).
    pub sas: Sas,
    /// For the inviter: the joiner's fingerprint and proposed name (HRT-INV-43); `None` on the
    /// joiner's side.
    pub joiner: Option<(Fingerprint, String)>,
}

/// How the user answers the comparison of short authentication strings (spec §5.8.1). The
/// layer never admits a joiner of an out-of-band invitation, and never accepts a Welcome of
/// its own out-of-band join, without a `true` from here or from
/// [`Intent::AnswerSas`](super::Intent::AnswerSas) (HRT-INV-65, HRT-INV-67).
pub trait Comparison: Send {
    /// Whether the user can be asked now. When not, the comparison waits in
    /// [`State::sas`](super::State::sas) (HRT-INV-73): the opened join, or the joiner's
    /// Welcome, is kept until the user's answer comes with `Intent::AnswerSas`.
    fn available(&self) -> bool;
    /// Asks the user: `Some(true)` when the other person's client shows the same code,
    /// `Some(false)` on a mismatch (or when the other person has no code), `None` for "not
    /// now": the comparison then waits for `Intent::AnswerSas` or, for a joiner, the next
    /// refresh.
    fn codes_match(&mut self, check: &SasCheck) -> Option<bool>;
}

/// The default [`Comparison`]: nobody to ask now, so every comparison waits for
/// `Intent::AnswerSas`.
pub struct NobodyToAsk;

impl Comparison for NobodyToAsk {
    fn available(&self) -> bool {
        false
    }
    fn codes_match(&mut self, _: &SasCheck) -> Option<bool> {
        None
    }
}

/// The policy of the client shim (Appendix B §91.6.4): its user accepts every join, as if it
/// had compared the codes and found them equal.
pub struct AcceptEveryJoin;

impl Comparison for AcceptEveryJoin {
    fn available(&self) -> bool {
        true
    }
    fn codes_match(&mut self, _: &SasCheck) -> Option<bool> {
        Some(true)
    }
}

/// The result of a post.
#[derive(Clone, Debug)]
pub struct Sent {
    /// The route it went to.
    pub route: RouteRef,
    /// Its seq.
    pub seq: u64,
    /// Its msg-ref.
    pub msg_ref: Hash,
    /// The `sent_at_ms` sealed in it.
    pub sent_at_ms: u64,
}
