//! # hearth-conformance
//!
//! The Hearth conformance harness (spec §14). This library holds what the harness and its users
//! share: the requirement index generated from the specification's Markdown ([`requirements`]).

#![forbid(unsafe_code)]

pub mod requirements;
