//! # hearth-wire
//!
//! The strict hCBOR wire profile of Hearth (spec §2), every v1 protocol structure of
//! `spec/hearth.cddl`, and the registries of stable codes (spec §12). Every byte a third
//! party sends is validated here before any typed decoding.
//!
//! - [`validate`]: the single-pass profile validator (HRT-WIRE-1 to HRT-WIRE-10).
//! - [`WireDecode::decode`]: the one strict entry point per structure (validate, decode,
//!   reject trailing bytes); [`WireEncode::to_vec`]: the one canonical encoding.
//! - Signed structures keep the exact received bytes ([`SignedBytes`], HRT-WIRE-18) and yield
//!   their content only as [`Unverified`] until a verifier releases it
//!   ([`Unverified::danger_assume_verified`]).
//! - [`diag::to_diagnostic`]: CBOR diagnostic notation.
//!
//! Dangerous switches: [`Unverified::danger_assume_verified`] is the only one.

#![forbid(unsafe_code)]

#[macro_use]
mod macros;

pub mod code;
mod codec;
mod decode;
pub mod diag;
mod encode;
pub mod entry;
mod error;
pub mod ext;
pub mod kem;
pub mod types;
mod validate;

pub mod envelope;
pub mod group;
pub mod invite;
pub mod join;
pub mod log;
pub mod request;

pub use code::ErrorCode;
pub use codec::{
    BoundedBytes, BoundedText, BoundedVec, Embedded, EmptyOrHash, Increasing, List, RawValue,
    SignedBytes, True, UintLe, Unverified, Version, WireDecode, WireEncode,
};
pub use decode::{Decoder, MapDecoder};
pub use encode::{encode_with, Encoder};
pub use error::WireError;
pub use ext::ExtMap;
pub use kem::{
    check_group_info_ct, group_info_ct_max, kem_sizes, KemEnc, KemPublic, KemSealed, XWingEnc,
    XWingPublic,
};
pub use types::*;
pub use validate::{validate, Profile, MAX_DEPTH};
