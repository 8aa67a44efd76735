//! # Hearth
//!
//! Hearth is an end-to-end encrypted messenger protocol for people who already know each other.
//! A conversation is a channel hosted on one participant's server; the others talk to that host
//! directly. This crate is the reference library: it re-exports the strict wire profile
//! ([`wire`], spec §2) and the cryptography ([`crypto`], spec §3 to §7), and builds on them the
//! [`conversation`] layer (spec §9, §10): log verification, receiving, and in time everything
//! else a client does, as a sans-IO state machine.
//!
//! The normative specification is in `spec/` of the repository; every requirement there has a
//! permanent ID (`HRT-AREA-N`) that the code, tests and vectors cite.

#![forbid(unsafe_code)]

pub mod conversation;

pub use hearth_crypto as crypto;
pub use hearth_wire as wire;
