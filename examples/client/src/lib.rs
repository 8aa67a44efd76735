//! # hearth-client
//!
//! The reference Hearth client: the `hearth` command-line client and `hearth-shim`, the
//! conformance shim (spec Appendix B), over the conversation layer of the `hearth` library
//! (`hearth::conversation`): every protocol decision of §5, §6, §9 and §10 is the layer's,
//! and this crate is its adapter: HTTP, SQLite, the clock, the command line and the shim.
//!
//! | module | spec | what |
//! |---|---|---|
//! | [`transport`] | §8 | signed requests to a host, failover classification (§10.4) |
//! | [`tls`] | §8.1, §8.2 | TLS to hosts: trust anchors, `--ca-file`, plain `http://` on loopback only |
//! | [`route`] | §10 | one channel of a conversation (the layer's `Route`) |
//! | [`client`] | §5, §6, §10 | [`Client`]: the layer's state with the transport and the clock |
//! | [`adapter`] | §5, §6, §9, §10 | the commands, each an `Intent` the layer runs (`drive`) |
//! | [`sas`] | §5.8.1 | the comparisons waiting for the user's answer |
//! | [`store`] | §6.16 | the state in SQLite, checkpoints before a request leaves |
//! | [`event`], [`timeline`] | Appendix B, §7.8 | re-exported from `hearth::conversation`: what the user is told and shown |
//! | [`error`] | §12 | [`ClientError`] and its spec codes |

#![forbid(unsafe_code)]

pub mod adapter;
pub mod cli;
pub mod client;
pub mod clock;
pub mod error;
pub mod mutant;
pub mod prompt;
pub mod qr;
pub mod route;
pub mod sas;
pub mod shim;
pub mod store;
pub mod tls;
pub mod transport;

/// What the user is told: the conversation layer's events (`hearth::conversation::event`).
pub use hearth::conversation::event;
/// What a receiver shows (§7.8, §10.5): the conversation layer's timeline.
pub use hearth::conversation::timeline;

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
