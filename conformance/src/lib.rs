//! # hearth-conformance
//!
//! The Hearth conformance harness (spec §14): the requirement index generated from the
//! specification's Markdown ([`requirements`]), and the host suite: targets ([`target`]), the
//! harness's client ([`client`]), the tests ([`suite`]), the result model ([`model`]), reports
//! ([`report`]), the requirement coverage map ([`coverage`]) and the bundled reference host
//! ([`bundled`], the integration point of the no-argument run); and the client suite (spec
//! §14.4): the shim driver ([`shim`]), the tamper proxy ([`proxy`]) and the tests
//! ([`client_suite`]).

#![forbid(unsafe_code)]

pub mod bundled;
pub mod client;
pub mod client_suite;
pub mod coverage;
pub mod model;
pub mod proxy;
pub mod reference_shim;
pub mod report;
pub mod requirements;
pub mod runner;
pub mod shim;
pub mod suite;
pub mod target;
