//! # hearth-client
//!
//! The reference Hearth client: the library a messenger builds on, the `hearth` command-line
//! client, and `hearth-shim`, the conformance shim (spec Appendix B).
//!
//! | module | spec | what |
//! |---|---|---|
//! | [`transport`] | §8 | signed requests to a host, failover classification (§10.4) |
//! | [`log`] | §9 | log verification: rollback, fork and withholding detection |
//! | [`route`] | §9.7, §9.8, §10 | one channel of a conversation, the per-message log checks |
//! | [`client`] | §5, §6, §10 | conversations, invitations, joins, sending, the refresh procedure |
//! | [`error`] | §12 | [`ClientError`] and its spec codes |

#![forbid(unsafe_code)]

pub mod client;
pub mod error;
pub mod log;
pub mod mutant;
pub mod qr;
pub mod route;
pub mod shim;
pub mod store;
pub mod transport;

pub use client::{Client, Comparison, Conversation, Displayed, Event, SasCheck, Sent};
pub use error::ClientError;
pub use route::RouteRef;
