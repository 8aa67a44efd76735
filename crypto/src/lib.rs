//! # hearth-crypto
//!
//! Hearth's cryptography (spec §3 to §7) on suite 1 (DHKEM(X25519, HKDF-SHA256),
//! HKDF-SHA256, AES-256-GCM and Ed25519) and suite 2 (X-Wing for init keys, commit seals and
//! Welcomes, the rest as suite 1; [`Group::create_with_suite`]).
//!
//! What an application uses:
//!
//! | module | spec | what |
//! |---|---|---|
//! | [`group`] | §6, §7 | [`Group`], one member's state of one channel: commits, Welcomes, sealing and opening envelopes |
//! | [`invite`] | §5 | invitations: creating, redeeming ([`PendingMember::join`]) and processing joins |
//! | [`envelope`] | §7 | what sealing and opening produce, building `Content` |
//! | [`keys`] | §4 | identity, member and init keys, member certificates, fingerprints |
//! | [`log`] | §9.3 | the log hash chain: `H("entry", …)` and the next head |
//! | [`error`] | §12 | [`ProtocolError`] (the protocol layer), [`CryptoError`] (the primitives), [`Misuse`] (local refusals of both), and their map onto the spec's error codes |
//! | [`rng`] | §3.1 | the generator every key and nonce comes from |
//!
//! The primitives under them (labelled derivations, Ed25519, X25519, AEAD, HPKE) are in
//! [`hazmat`], for hosts, vectors, fuzz targets and benchmarks; the sender ratchets are
//! internal to [`group`].
//!
//! ## Saved states
//!
//! A client that keeps its state between runs saves a [`Group`], a [`PendingMember`] or an
//! [`invite::Invitation`] as a [`SavedState`] (`save`) and restores it (`restore`): a versioned,
//! canonical hCBOR item that holds every secret of the member (spec §6.1, §6.16).
//!
//! ## Dangerous features
//!
//! Three features, off by default, add `#[doc(hidden)]` `danger_*` functions for the test tools
//! and change nothing else; never enable one in a build that talks to peers:
//!
//! - `danger-deterministic`: randomness from a caller-chosen seed (`HearthRng::danger_seeded`,
//!   `Group::danger_create_with_rng`, `PendingMember::danger_join_with_rng`, the HPKE `derand`
//!   functions) and `Group::danger_clone`, so that vectors are reproducible and benchmarks can
//!   repeat a receive.
//! - `danger-forge` (the conformance harness's client suite): what a conforming client never
//!   sends (`Group::danger_seal_forged`, forged commits and requests, the Ed25519 edge cases of
//!   `hazmat::ed25519::forge`), so that the suites and the vectors can check what receivers
//!   accept and reject.
//! - `danger-expose-secrets` (the vector generator): `Secret::danger_expose`, the bytes of an
//!   intermediate secret.
//!
//! [`DANGER_FEATURES`] names those a build carries.

#![forbid(unsafe_code)]

pub mod envelope;
pub mod error;
pub mod group;
pub mod hazmat;
pub mod invite;
mod kem;
pub mod keys;
pub mod log;
mod mutant;
mod persist;
mod ratchet;
pub mod rng;
mod secret;

#[cfg(test)]
mod test_support;

pub use error::{CryptoError, Misuse, ProtocolError};
pub use group::{Change, ChannelParams, CommitOutcome, CommitOutput, Group, PendingMember, Status};
pub use persist::SavedState;
pub use secret::{Secret, Secret32};

/// The dangerous features this build of `hearth-crypto` was compiled with (empty in a build
/// made for use). Binaries report it at start so that a binary built together with test code,
/// whose features cargo unifies, is never mistaken for one built as users build it.
pub const DANGER_FEATURES: &[&str] = &[
    #[cfg(feature = "danger-deterministic")]
    "hearth-crypto/danger-deterministic",
    #[cfg(feature = "danger-forge")]
    "hearth-crypto/danger-forge",
    #[cfg(feature = "danger-expose-secrets")]
    "hearth-crypto/danger-expose-secrets",
    #[cfg(feature = "mutants")]
    "hearth-crypto/mutants",
];

#[cfg(test)]
mod persist_tests;
#[cfg(test)]
mod protocol_tests;
#[cfg(test)]
mod recover_tests;
