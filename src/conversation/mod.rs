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
//! | [`log`] | §9.5 to §9.8 | log verification: rollback, fork and withholding detection; members' claims (`seen_seq`, `seen_head`, `prev`) checked, a contradiction being `bad_claim` |
//! | [`channel`] | §9.5 step 6, §9.9 | one channel as a member holds it; receiving a page (batch-verified, [`hearth_crypto::group::Group::open_page`]) |
//! | [`join`] | §5.9, §9.6 | a joiner's anchor and its channel after the Welcome |
//! | [`route`] | §10 | where a route lives, failover (§10.4), route announcements (§10.2), the merged timeline (§10.5) |
//!
//! # The design
//!
//! This is the API the layer grows into, issue by issue; what exists today is marked
//! **(now)**, the rest **(next)** with the reference client's module that still does it.
//!
//! ## State
//!
//! A **conversation** (§10.1) is a conversation id and its routes in order (HRT-ROUTE-12).
//! Each route is a [`RouteRef`] **(now)** and a [`channel::Channel`] **(now)**: the group state
//! (hearth-crypto's `Group`), the [`log::LogState`] of §9.5 (`V`, `head_V`, `T`, retained
//! heads, claims, own posts), the [`log::Senders`] records of §9.8 and the detection that froze
//! it (§9.9). Around the channel, per route **(next, `examples/client/src/route.rs`)**: the
//! invitations this member made and may still see joins for (§5.2), the joins that passed §5.8
//! and wait for their add commit, a refused commit to report (HRT-GRP-88), and the route
//! announcements (§10.2) not yet acted on. Per conversation **(next, `client.rs`)**: the joins
//! this member waits to complete (§5.9, its `PendingMember`s), the outbox of sends that failed
//! (§10.4), and the update duty of §6.17 (`Group::needs_update`).
//!
//! ## Inputs
//!
//! ```text
//! enum Input {
//!     Response { request: RequestId, outcome: Outcome },  // the host's answer to a request the
//!                                                        // layer issued, or "no answer" (§10.4)
//!     Tick { now: Secs },                                 // the time passed: duties, expiry
//!     Intent(Intent),                                     // the user
//! }
//! enum Intent { Send(Content), Invite { expires_in }, Admit(Decision), Remove(Fingerprint),
//!               AddRoute(HostUrl), Rehost(HostUrl), Refresh }
//! ```
//!
//! A response is always matched to the request it answers by the [`RequestId`] the layer gave
//! it; the layer never interprets bytes it did not ask for. Today **(now)** these inputs exist
//! as calls: [`channel::Channel::receive_page`] (a `LogFetchResult` for `since = V`),
//! [`log::Senders::record_post`] and [`log::LogState::record_own`] (the `AppendResult` of an
//! own post or commit), [`join::anchor`] and [`join::Anchored::finish`] (a `WelcomeFetchResult`
//! and the log up to its anchor), [`route::judge_announcement`] (a `RouteBody` received), and
//! [`route::Reach::of_status`] (what an answer means for failover). A new message's view of the
//! log comes from [`log::Senders::stamp`], made anew for every seal.
//!
//! ## Outputs
//!
//! ```text
//! enum Output {
//!     Checkpoint(Checkpoint),                     // persist this first: everything below waits
//!     Request { id: RequestId, route: RouteRef,   // bytes of a SignedRequest (§8), sealed and
//!               signed: Vec<u8> },               // signed inside the layer
//!     Event(Event),                               // for the user: messages, joins, commits,
//!                                                 // detections (§9.9), refusals
//! }
//! ```
//!
//! The order is the contract: a [`Checkpoint`] that precedes a request must be durable before
//! the request leaves, because the request consumed a ratchet generation (HRT-RAT-5) or made a
//! commit whose secrets are pending (HRT-GRP-50): a crash after sending must not bring back an
//! older state. The layer hands out the state to persist; it does not call a store while it
//! holds its own state half-changed. A front end that prefers a callback implements
//! [`Store`] **(now)** and runs [`Store::save`] for each checkpoint, stopping the request when
//! it fails.
//!
//! ## Time
//!
//! Every operation that needs the time takes it as an argument (seconds since the Unix epoch).
//! The layer sets no timers: `Tick` is how update duties (HRT-RAT-17 to HRT-RAT-19), invitation
//! expiry and outbox retries happen.
//!
//! ## What a person expects
//!
//! The layer owns the rules of §10.4 and §9.8 for sending: the first reachable route
//! (HRT-ROUTE-14), sealed anew for each route tried (HRT-ROUTE-15); a send while a join is
//! pending finishes the join first; a send that fails goes to the outbox and is retried later,
//! re-sealed with a fresh generation and a current `prev` (HRT-LOG-35: never the same bytes
//! after the state moved on).

pub mod channel;
pub mod duties;
pub mod join;
pub mod log;
mod mutant;
pub mod removal;
pub mod route;
pub mod sas;

pub use route::RouteRef;

/// The layer's name for one request it issued, to match the answer to it (see the design
/// above). Unique within one conversation layer instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// State that must be durable before the request that follows it leaves (HRT-RAT-5,
/// HRT-GRP-50): the group state of one route.
pub struct Checkpoint<'a> {
    /// The route.
    pub route: &'a RouteRef,
    /// Its group state; a store keeps `Group::save`'s output and replaces the older copy
    /// (§6.16).
    pub group: &'a hearth_crypto::group::Group,
}

/// Where a front end keeps checkpoints (SQLite in the reference client, memory in tests).
pub trait Store {
    /// Why saving failed.
    type Error: std::fmt::Display;

    /// Makes `checkpoint` durable; an error stops the request it precedes.
    fn save(&mut self, checkpoint: Checkpoint<'_>) -> Result<(), Self::Error>;
}

/// A [`Store`] in memory that keeps nothing: for tests, benchmarks, and front ends that keep
/// no state between runs.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoStore;

impl Store for NoStore {
    type Error = std::convert::Infallible;

    fn save(&mut self, _: Checkpoint<'_>) -> Result<(), Self::Error> {
        Ok(())
    }
}
