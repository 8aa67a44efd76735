//! # hearth-shell
//!
//! What the thin front ends of this workspace share around the conversation layer
//! (`hearth::conversation`): the reference client and its shim (`examples/client`) and the
//! conformance harness, whose peers drive the library directly.
//!
//! | module | spec | what |
//! |---|---|---|
//! | [`tls`] | §8.1, §8.2 | TLS to hosts: trust anchors, `--ca-file`, plain `http://` on loopback only |
//! | [`http`] | §8.1, §10.4 | [`http::Http`]: the HTTP(S) [`hearth::conversation::Transport`] |
//! | [`cli`] | — | parsing with the caller's exit code, shell completions |

#![forbid(unsafe_code)]

pub mod cli;
pub mod http;
pub mod tls;

pub use http::Http;
pub use tls::Trust;
