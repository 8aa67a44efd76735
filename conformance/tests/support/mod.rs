//! Test support shared by the conformance crate's integration tests.
#![allow(dead_code)]

pub mod cli;
pub mod tls;
