//! # Hazardous materials
//!
//! The primitives under Hearth's protocol layer (spec §3), for code that implements a part of
//! the protocol itself: a host that verifies request and commit signatures and hashes the log
//! (spec §8, §9), test vectors, fuzz targets, benchmarks and the conformance harness. An
//! application that only makes groups, invitations and envelopes never needs this module: the
//! types at the crate root and in [`crate::group`], [`crate::invite`], [`crate::envelope`] and
//! [`crate::keys`] apply every check of the spec in order.
//!
//! Everything here does exactly what its spec section says and nothing more: a labelled
//! signature verifies a signature, it does not know whether the signer may sign that; an AEAD
//! key opens a ciphertext, it does not track nonces. Using these pieces to build something the
//! spec does not describe is how protocols get broken.
//!
//! | module | spec | what |
//! |---|---|---|
//! | [`label`] | §3.3 | the label registry |
//! | [`labelled`] | §3.2 | `H`, `Extract`, `ExpandWithLabel`, `DeriveSecret`, `MAC`, `SignWithLabel` |
//! | [`ed25519`] | §3.5 | Ed25519 with Hearth's validity rules, single and batch verification |
//! | [`x25519`] | §3.4 | X25519 (RFC 7748) with the non-contributory check |
//! | [`aead`] | §3.1 | AES-GCM with 96-bit nonces |
//! | [`hpke`] | §3.6 | RFC 9180 HPKE: DHKEM(X25519, HKDF-SHA256) and, for the suite-2 work of issue 18, X-Wing (MLKEM768-X25519); HKDF-SHA256, AES-GCM, Base and PSK modes |
//!
//! Their failures are [`crate::CryptoError`] (one variant per spec code, opaque about which
//! internal check failed); the protocol layer converts them into [`crate::ProtocolError`].

pub mod aead;
pub mod ed25519;
pub mod hpke;
pub mod label;
pub mod labelled;
pub mod x25519;

pub use self::label::Label;
