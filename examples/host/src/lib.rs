//! # hearth-host
//!
//! The reference host of the Hearth protocol (spec §8): one request handler
//! ([`handler`], the check order of §8.3.2) behind three front ends, CGI ([`cgi`], RFC 3875),
//! FastCGI ([`fcgi`]) and a standalone HTTP server ([`serve`], axum/hyper), over one SQLite
//! database ([`store`]).
//!
//! | module | spec |
//! |---|---|
//! | [`config`] | §8.2 canonical host URL, §8.6 limits, §8.7 rate limit |
//! | [`clock`] | §8.8 |
//! | [`store`] | §8.3.3 nonce store, §8.3.5 atomicity, §8.9 durability, §9 log |
//! | [`db`], `pg` (feature `postgres`) | the storage trait: SQLite, or PostgreSQL shared by several `serve` instances; the isolation each guarantee needs |
//! | [`host`] | §8.4 responses, the host's state |
//! | [`handler`] | §8.3 check order |
//! | [`ops`] | §8.5 every op |
//! | [`cgi`], [`serve`], [`fcgi`] | §8.1 transport, §8.10 CGI |
//! | [`fcgi_record`], [`fcgi_session`] | the FastCGI 1.0 record layer (sans-IO) |
//! | [`tls`] | §8.1: `serve` over HTTPS (RFC 8446, RFC 9110 §4.2.2) |
//! | [`cgi`], [`serve`] | §8.1 transport, §8.10 CGI |
//! | [`log`], [`diag`], [`datadir`] | diagnostics: the error log, `init` and `check` (DEPLOY.md) |

#![forbid(unsafe_code)]

#[cfg(all(feature = "mutants", not(debug_assertions)))]
compile_error!("the `mutants` feature (deliberately broken hosts) is for test builds only");

/// `mutant!(host, Name)`: true when `host` runs as mutant `Name` (see [`mutant`]); the constant
/// `false` without the `mutants` feature.
#[cfg(feature = "mutants")]
macro_rules! mutant {
    ($host:expr, $m:ident) => {
        $host.mutant() == Some($crate::mutant::Mutant::$m)
    };
}
#[cfg(not(feature = "mutants"))]
macro_rules! mutant {
    ($host:expr, $m:ident) => {{
        let _ = &$host;
        false
    }};
}

/// The test-only features this build carries: the host's `mutants` switches and the dangerous
/// features of `hearth-crypto`. Empty when the host is built as users build it
/// (`cargo build -p hearth-host`); cargo can unify them in when the host is built in one
/// command with the conformance harness or the vector generator.
pub fn test_only_features() -> Vec<&'static str> {
    let mut f = hearth_crypto::DANGER_FEATURES.to_vec();
    if cfg!(feature = "mutants") {
        f.push("hearth-host/mutants");
    }
    f
}

/// Writes one line to stderr (the web server's error log, under CGI) naming the test-only
/// features of this build, if it has any.
pub fn warn_test_only() {
    let f = test_only_features();
    if !f.is_empty() {
        // Plain stderr, before the subscriber exists; CI greps for "test-only".
        eprintln!(
            "hearth-host: warning: this binary was built with test-only features ({}); \
             for use, build it alone: cargo build -p hearth-host",
            f.join(", ")
        );
    }
}

pub mod cgi;
pub mod clock;
pub mod config;
pub mod datadir;
pub mod db;
pub mod diag;
pub mod fcgi;
pub mod fcgi_record;
pub mod fcgi_session;
pub mod handler;
pub mod host;
pub mod log;
#[cfg(feature = "mutants")]
pub mod mutant;
pub mod ops;
#[cfg(feature = "postgres")]
pub mod pg;
pub mod serve;
pub mod store;
pub mod tls;
