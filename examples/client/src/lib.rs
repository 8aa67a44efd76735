//! # hearth-client
//!
//! The reference Hearth client: the `hearth` command-line client and `hearth-shim`, the
//! conformance shim (spec Appendix B), over the conversation layer of the `hearth` library
//! (`hearth::conversation`), where every procedure of §5, §6, §9 and §10 lives as a sans-IO
//! state machine. This crate is the adapter around it: HTTP, SQLite, the command line and
//! the shim.
//!
//! | module | spec | what |
//! |---|---|---|
//! | [`transport`] | §8 | POSTing the layer's signed requests, failover classification (§10.4) |
//! | [`tls`] | §8.1, §8.2 | TLS to hosts: trust anchors, `--ca-file`, plain `http://` on loopback only |
//! | [`client`] | §5, §6, §10 | [`Client`]: the layer's intents run over HTTP, checkpoints to the store |
//! | [`store`] | §6.16 | the member's state in SQLite |
//! | [`shim`] | Appendix B | the conformance shim's commands |

#![forbid(unsafe_code)]

pub mod cli;
pub mod client;
pub mod mutant;
pub mod qr;
pub mod route;
pub mod shim;
pub mod store;
pub mod tls;
pub mod transport;

/// The client's one error type: the conversation layer's (spec §12).
pub mod error {
    pub use hearth::conversation::error::{code_name, Error as ClientError};
}

/// What the user is told (Appendix B): the conversation layer's events.
pub mod event {
    pub use hearth::conversation::event::Event;
}

/// What the client shows of a conversation's messages (spec §7.8, §10.5): the conversation
/// layer's timeline.
pub mod timeline {
    pub use hearth::conversation::timeline::*;
}

/// The test-only features this build carries: the client's `mutants` variants and the
/// dangerous features of `hearth-crypto`. Empty when built as users build it
/// (`cargo build -p hearth-client`).
pub fn test_only_features() -> Vec<&'static str> {
    let mut f = hearth_crypto::DANGER_FEATURES.to_vec();
    if cfg!(feature = "mutants") {
        f.push("hearth-client/mutants");
    }
    f
}

/// Writes one line to stderr naming the test-only features of this build, if it has any.
pub fn warn_test_only(binary: &str) {
    let f = test_only_features();
    if !f.is_empty() {
        eprintln!(
            "{binary}: warning: this binary was built with test-only features ({}); \
             for use, build it alone: cargo build -p hearth-client",
            f.join(", ")
        );
    }
}

pub use client::{Client, Comparison, Conversation, Displayed, Event, SasCheck, Sent};
pub use error::ClientError;
pub use route::RouteRef;
