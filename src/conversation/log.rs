//! Spec §9.5 to §9.8: the log as a member checks it. Nothing here trusts the host: every page
//! is checked against what this member verified and what the host claimed before
//! ([`page`], §9.5, §9.6), and every opened message against the heads this member holds and its
//! sender's chain of `prev` ([`cross`], §9.7, §9.8). A failed check of what the host served is a
//! [`Detection`] (§9.9); a member's contradicting claim is a [`BadClaim`] naming that member.
//!
//! | requirement | where |
//! |---|---|
//! | HRT-LOG-6 (`T`), HRT-LOG-22 (own posts) | [`LogState::record_own`] |
//! | HRT-LOG-15 to HRT-LOG-21, HRT-LOG-23 | [`LogState::verify_page`] |
//! | HRT-LOG-29 (retained heads) | [`LogState::head_at`] |
//! | HRT-LOG-42 to HRT-LOG-44, HRT-LOG-48 | [`Senders::check`], [`Senders::record_unopened`] |
//! | HRT-LOG-34, HRT-LOG-35 | [`Senders::next_prev`], [`Senders::posted_accepted`] |

pub mod cross;
pub mod page;

pub use cross::{BadClaim, MessageFacts, Senders};
pub use page::{next_head, Detection, LogSnapshot, LogState};

#[cfg(test)]
mod faults;
