//! # hearth-crypto
//!
//! Hearth's cryptography (spec §3 to §7) on suite 1: DHKEM(X25519, HKDF-SHA256),
//! HKDF-SHA256, AES-256-GCM and Ed25519.
//!
//! This crate's primitive layer, one module per spec concept:
//!
//! | module | spec | what |
//! |---|---|---|
//! | [`label`] | §3.3 | the label registry |
//! | [`labelled`] | §3.2 | `H`, `Extract`, `ExpandWithLabel`, `DeriveSecret`, `MAC`, `SignWithLabel` |
//! | [`ed25519`] | §3.5 | Ed25519 with Hearth's validity rules, single and batch verification |
//! | [`x25519`] | §3.4 | X25519 (RFC 7748) with the non-contributory check |
//! | [`aead`] | §3.1 | AES-GCM with 96-bit nonces |
//! | [`hpke`] | §3.6 | RFC 9180 HPKE: DHKEM(X25519, HKDF-SHA256) and, for the suite-2 work of issue 18, X-Wing (MLKEM768-X25519); HKDF-SHA256, AES-GCM, Base and PSK modes |
//! | [`keys`] | §4 | identity, member and init keys, member certificates, fingerprints |
//! | [`log`] | §9.3 | the log hash chain: `H("entry", …)` and the next head |
//! | [`error`] | §12 | [`CryptoError`] and its map onto the spec's error codes |
//!
//! ## Saved states
//!
//! A client that keeps its state between runs saves a [`Group`], a [`PendingMember`] or an
//! [`invite::Invitation`] as a [`SavedState`] (`save`) and restores it (`restore`): a versioned,
//! canonical hCBOR item that holds every secret of the member (spec §6.1, §6.16).
//!
//! ## Dangerous features
//!
//! - `danger-deterministic` (off by default): exposes `#[doc(hidden)]` HPKE functions that take
//!   the ephemeral input keying material from the caller (`hpke::Hpke::danger_setup_s_derand`),
//!   so RFC 9180 vectors and Hearth vectors are reproducible. Production code paths always draw
//!   it from the OS RNG. Never enable it in a build that talks to peers.
//! - `danger-forge` (off by default; the conformance harness's client suite only): functions that
//!   build what a conforming client never sends (`Group::danger_seal_forged`, forged commits and
//!   requests, the Ed25519 edge cases of `ed25519::forge`), so that the suites and the vectors can
//!   check what receivers accept and reject.
//!
//! Both are additive (they add functions and change none), and [`DANGER_FEATURES`] names those
//! a build carries.

#![forbid(unsafe_code)]

pub mod aead;
pub mod ed25519;
pub mod envelope;
pub mod error;
pub mod group;
pub mod hpke;
pub mod invite;
pub mod keys;
pub mod label;
pub mod labelled;
pub mod log;
mod persist;
pub mod ratchet;
pub mod rng;
mod secret;
pub mod x25519;

#[cfg(test)]
mod test_support;

pub use error::{ApiMisuse, CryptoError, Misuse, ProtocolError};
pub use group::{Change, ChannelParams, CommitOutcome, CommitOutput, Group, PendingMember, Status};
pub use label::Label;
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
];

#[cfg(test)]
mod persist_tests;
#[cfg(test)]
mod protocol_tests;
#[cfg(test)]
mod recover_tests;
