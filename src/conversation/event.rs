//! What the user is told (the client's events, and the shim's `sync` events, Appendix B).

use super::RouteRef;
use hearth_crypto::keys::Fingerprint;
use hearth_wire::{ErrorCode, Hash};

/// Something the user should see, produced by a [`Member`](super::Member) (the `sync` events of the client and the
/// shim's `sync` events).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A Welcome was accepted and the route recorded (HRT-ROUTE-3).
    Joined {
        /// The local conversation handle.
        conversation: [u8; 16],
        /// The route.
        route: RouteRef,
        /// The epoch joined.
        epoch: u64,
        /// The invite id of the invitation whose join the Welcome completed (§5.8.1: a
        /// comparison's answer names its invite id); `None` only for a join saved by an older
        /// version.
        invite: Option<[u8; 16]>,
    },
    /// This member admitted a joiner.
    Admitted {
        /// The local conversation handle.
        conversation: [u8; 16],
        /// The route.
        route: RouteRef,
        /// The joiner's fingerprint.
        fingerprint: Fingerprint,
        /// The name the joiner proposed.
        name: String,
        /// The epoch after the add.
        epoch: u64,
    },
    /// An application message opened.
    Message {
        /// The local conversation handle.
        conversation: [u8; 16],
        /// The route.
        route: RouteRef,
        /// The entry's seq.
        seq: u64,
        /// `H("msgref", envelope)`.
        msg_ref: Hash,
        /// The sender.
        sender: Fingerprint,
        /// The content type.
        content_type: u16,
        /// The text of a text message.
        text: Option<String>,
        /// The sender's clock (authenticated, not trusted for order: spec §10.5).
        sent_at_ms: u64,
        /// What it means to the timeline (spec §7.8).
        kind: super::timeline::Kind,
    },
    /// A commit was processed.
    Commit {
        /// The local conversation handle.
        conversation: [u8; 16],
        /// The route.
        route: RouteRef,
        /// The entry's seq.
        seq: u64,
        /// The new epoch.
        epoch: u64,
    },
    /// This member was removed from the route.
    Removed {
        /// The local conversation handle.
        conversation: [u8; 16],
        /// The route.
        route: RouteRef,
        /// The entry's seq.
        seq: u64,
    },
    /// Something was refused with a spec code.
    Rejected {
        /// The local conversation handle, when known.
        conversation: Option<[u8; 16]>,
        /// The route, when known.
        route: Option<RouteRef>,
        /// The entry's seq, when the refused thing was a log entry.
        seq: Option<u64>,
        /// Why.
        code: ErrorCode,
    },
    /// The host was caught lying (spec §9.9) and the route is frozen, or (`bad_claim`) a
    /// member's claim contradicts this client's log and the message was shown, marked
    /// (HRT-LOG-45).
    Detected {
        /// The local conversation handle.
        conversation: [u8; 16],
        /// The route.
        route: RouteRef,
        /// `rollback_detected`, `fork_detected` or `withheld_detected` (the route is frozen),
        /// or `bad_claim` (a member's claim, HRT-LOG-45: the route keeps working).
        code: ErrorCode,
        /// The seq concerned.
        seq: Option<u64>,
        /// The member whose message carried the claim (`bad_claim`, HRT-LOG-42 to HRT-LOG-44).
        member: Option<Fingerprint>,
    },
    /// A short authentication string is ready to compare (spec §5.8.1): the inviter opened and
    /// checked a join, or the joiner's redeem was answered `ok`. The join waits for
    /// the user's answer (the reference client's `Client::answer_sas`) unless the user answered at once.
    Sas {
        /// The local conversation (the inviter's); `None` for a joiner.
        conversation: Option<[u8; 16]>,
        /// The route of the invitation.
        route: RouteRef,
        /// The invite id, which names the comparison.
        invite: [u8; 16],
        /// The code (`Display`: `"042 917"`, HRT-INV-64).
        sas: hearth_crypto::invite::Sas,
        /// For the inviter: the joiner's fingerprint and proposed name (HRT-INV-43).
        joiner: Option<(Fingerprint, String)>,
    },
    /// The host definitely refused the commit that would add a confirmed joiner (for example `forbidden` after the host dropped the pending join, HRT-OP-59, HRT-OP-60,
    /// or `limit_exceeded`): the join is dropped, so that it does not block later admissions
    /// on the route. The client's own request failed, so the shim reports no event for it
    /// (Appendix B §91.7).
    AddRefused {
        /// The local conversation handle.
        conversation: [u8; 16],
        /// The route.
        route: RouteRef,
        /// The joiner's fingerprint.
        fingerprint: Fingerprint,
        /// The name the joiner proposed (untrusted).
        name: String,
        /// The host's status.
        code: ErrorCode,
    },
    /// An admin's refresh found a member whose latest commit is more than 30 days old and
    /// removes it from the route (HRT-RAT-22); the removal's commit follows. The shim reports
    /// no event for it (the commit is what a peer sees).
    Away {
        /// The local conversation handle.
        conversation: [u8; 16],
        /// The route.
        route: RouteRef,
        /// The member removed.
        fingerprint: Fingerprint,
        /// When the host received that member's latest commit (seconds since the Unix epoch).
        since: u64,
    },
    /// A route was attached to a conversation (spec §10.2, §10.6).
    RouteAdded {
        /// The local conversation handle.
        conversation: [u8; 16],
        /// The route.
        route: RouteRef,
    },
}
