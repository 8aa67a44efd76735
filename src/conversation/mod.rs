//! The conversation layer (spec §5, §6, §9, §10): what makes a Hearth client safe against a
//! malicious host, as a sans-IO library.
//!
//! Nothing in this module opens a socket, starts a thread, touches a file or reads the clock.
//! The caller owns the transport (HTTP or anything else), the storage and the time; the layer
//! owns the protocol state and every decision the spec asks of a client. This is the shape of
//! rustls's core and of quinn-proto: the application feeds inputs in and carries outputs out.
//!
//! # Modules, by spec section
//!
//! | module | spec | what |
//! |---|---|---|
//! | [`machine`] | all | [`Member`]: the state machine; [`Input`], [`Intent`], [`Answer`] |
//! | [`io`] | §8, §10.4 | [`Output`], [`RequestId`], [`Outcome`], [`Checkpoint`]; building signed requests |
//! | [`state`] | §5, §10.1 | what a member keeps: [`Conversation`], [`Route`], [`Joining`], [`OpenInvite`] |
//! | [`log`] | §9.5 to §9.8 | log verification: rollback, fork and withholding detection; members' claims (`seen_seq`, `seen_head`, `prev`) checked, a contradiction being `bad_claim` |
//! | [`channel`] | §9.5 step 6, §9.9 | one channel as a member holds it; receiving a page (batch-verified, [`hearth_crypto::group::Group::open_page`]) |
//! | [`join`] | §5.9, §9.6 | a joiner's anchor and its channel after the Welcome |
//! | [`route`] | §10 | where a route lives, failover (§10.4), route announcements (§10.2), the merged timeline (§10.5) |
//! | [`outbox`] | §9.8, §10.4 | sends that reached no route, sealed anew when retried (HRT-LOG-49 to HRT-LOG-52) |
//! | [`timeline`] | §7.8, §10.5 | what a receiver shows: edits and deletes applied, unsupported content named |
//! | [`event`], [`error`] | Appendix B, §12 | what the user is told; why an intent failed |
//! | [`drive`](mod@drive) | — | the blocking loop a synchronous front end runs: [`Output`]s to its [`drive::Transport`] and [`Store`] |
//!
//! The procedures themselves (private module `procedure`): `route.rs` for one route (§9.5
//! fetching, §7 and §10.4 posting with `epoch_conflict` retries, `removed` judged by the log,
//! §6.8 commits and pending commits), `admit.rs` for admissions (§5.8, each after the user's
//! comparison of §5.8.1, refused adds told apart), `sas.rs` for comparisons that wait for the
//! user's answer (HRT-INV-73), `duties.rs` for what every refresh owes a route (HRT-GRP-88
//! reports, §6.9.3 recovery commits, HRT-ROUTE-28 carried removals, §6.17 update duties and
//! member-key rotation), `join.rs` for the joiner (§5.6 redeem, §5.9 Welcome and §9.6 anchor,
//! §10.6 placement, §10.2 announcements), `member.rs` for a member's conversations (create,
//! invite, re-host, send with failover and the outbox, commit, add a route, and the refresh
//! that drives the rest).
//!
//! [`sas`] (§5.8.1, the comparison of short authentication strings) and [`removal`] (§6.9.3
//! recovery commits, removal that sticks, §10 carrying removals) hold the decisions those
//! procedures carry out; [`duties`] says what time makes due.
//!
//! # Status (issue 14)
//!
//! [`Member`] carries every duty of §5, §6, §9 and §10 that the reference client meets,
//! including the comparison of short authentication strings (HRT-INV-65 to HRT-INV-75),
//! recovery and removal (HRT-GRP-88 to HRT-GRP-94, HRT-ROUTE-27 to HRT-ROUTE-29) and the timed
//! duties (HRT-RAT-17 to HRT-RAT-22, judged at the duty clock: [`State::duty_clock_offset`]).
//! After its own commit with a `RotateOp` is accepted it signs with the new member key
//! (HRT-GRP-95), and probes with it when the outcome stayed unknown.
//! The reference client (`examples/client`) is its adapter: every command runs an [`Intent`]
//! through [`drive()`] over its HTTP transport and SQLite checkpoints, so the client suite
//! (`hearth-conformance client`) tests this module; it is tested on its own too
//! (`examples/client/tests/machine.rs`, against reference hosts in process, with faults). The
//! example keeps only HTTP, SQLite, the command line and the shim; the conformance harness plays
//! its peers, misbehaving ones included, with this module directly.

//! # The design
//!
//! ## State
//!
//! A [`State`] is an identity, its conversations and the joins it waits to complete. A
//! [`Conversation`] (§10.1) is a conversation id and its routes in order (HRT-ROUTE-12), a
//! timeline and an outbox. Each [`Route`] holds the group state (hearth-crypto's `Group`),
//! the [`log::LogState`] of §9.5, the [`log::Senders`] records of §9.8, the detection that
//! froze it (§9.9), the invitations this member made (§5.2), the joins that passed §5.8 and
//! wait for their add commit, a refused commit to report (HRT-GRP-88), and the route
//! announcements (§10.2) not yet acted on.
//!
//! ## Inputs and outputs
//!
//! A [`Member`] takes [`Input`]s: an [`Intent`] of the user with the time
//! (`Input::Intent { intent, now }`), the passage of time (`Input::Tick { now }`: refresh,
//! duties, outbox), the answer to a request it issued (`Input::Response { request, outcome }`)
//! and the durability of a checkpoint (`Input::Saved`). It produces [`Output`]s, read with
//! [`Member::poll_output`]: `Checkpoint`, `Request { id, route, signed }`, `Event`, and
//! `Done` with the intent's [`Answer`]. A response is matched to its request by the
//! [`RequestId`] the layer gave it; an answer to anything else is ignored, so the layer never
//! interprets bytes it did not ask for.
//!
//! The order is the contract: a [`Checkpoint`] that precedes a request is answered before the
//! request is issued at all, because the request consumed a ratchet generation (HRT-RAT-5) or
//! made a commit whose secrets are pending (HRT-GRP-50): a crash after sending must not bring
//! back an older state. An error answer stops the request.
//!
//! Inside, each procedure is an `async fn` whose only await points are those answers; the
//! machine polls it with a no-op waker whenever an input arrives. There is no executor, no
//! thread and no timer: the caller drives everything.
//!
//! ## Time
//!
//! Every input that needs the time carries it (seconds since the Unix epoch): request
//! timestamps (§8.2), `sent_at_ms` (§7.6), invitation expiry, update duties (HRT-RAT-17 to
//! HRT-RAT-19) all come from it. The layer never reads the clock.
//!
//! ## What a person expects
//!
//! The layer owns the rules of §10.4 and §9.8 for sending: the first reachable route
//! (HRT-ROUTE-14), sealed anew for each route tried (HRT-ROUTE-15); a send while a join is
//! pending finishes the join first (HRT-ROUTE-30); a send that reaches no route goes to the
//! outbox and is retried at a later refresh, re-sealed with a fresh generation and a current
//! view of the log (HRT-LOG-49 to HRT-LOG-52: never the same bytes after the state moved on).

pub mod channel;
pub mod drive;
pub mod duties;
pub mod error;
pub mod event;
pub mod io;
pub mod join;
pub mod log;
pub mod machine;
mod mutant;
pub mod outbox;
mod procedure;
pub mod removal;
pub mod route;
pub mod sas;
pub mod state;
pub mod timeline;

pub use drive::{drive, Transport};
pub use error::Error;
pub use event::Event;
pub use io::{Checkpoint, Outcome, Output, RequestId};
pub use machine::{Answer, Input, Intent, Member, State};
pub use route::RouteRef;
pub use state::{
    AcceptEveryJoin, Comparison, Conversation, Joining, NobodyToAsk, OpenInvite, Route, SasCheck,
    Sent,
};

/// Where a front end keeps checkpoints (SQLite in the reference client, memory in tests): a
/// driver that prefers a callback runs [`Store::save`] for each [`Output::Checkpoint`] and
/// answers [`Input::Saved`] with its result.
pub trait Store {
    /// Why saving failed.
    type Error: std::fmt::Display;

    /// Makes `checkpoint` durable; an error stops the request it precedes.
    fn save(&mut self, checkpoint: &Checkpoint) -> Result<(), Self::Error>;
}

/// A [`Store`] that keeps nothing: for tests, benchmarks, and front ends that keep no state
/// between runs.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoStore;

impl Store for NoStore {
    type Error = std::convert::Infallible;

    fn save(&mut self, _: &Checkpoint) -> Result<(), Self::Error> {
        Ok(())
    }
}
