//! The client suite (spec §14.4): a client or library under test is driven through its shim
//! ([`crate::shim`]); the harness plays the hosts — reference hosts in this process, each behind
//! a tamper proxy ([`crate::proxy`]) — and, in the tests that need them, the other members.
//!
//! Test IDs are `client.*` and permanent (spec §14.5); each test cites the requirement IDs it
//! covers and takes its level from the strongest of them. The result model, expectations,
//! reports, exit codes and the run loop are those of the host suite ([`crate::model`],
//! [`crate::report`], [`crate::runner`]).
//!
//! Every test starts a fresh shim process and fresh hosts ([`fixture::Fixture`]), so tests are
//! independent and `--only ID --seed N` reproduces one exactly.

pub mod basics;
pub mod channel;
pub mod duties;
pub mod fixture;
pub mod log;
pub mod member;
pub mod peer;
pub mod peer_claim;
pub mod peer_coadd;
pub mod peer_commit;
pub mod peer_display;
pub mod peer_join;
pub mod peer_msg;
pub mod peer_route;
pub mod recovery;
pub mod removal;
pub mod sas;
pub mod sas_join;

use std::time::{Duration, Instant};

use crate::client::SeededRng;
use crate::model::{Stop, TestDef, TestResult};
use crate::report::RunReport;
use crate::requirements::Index;
use crate::runner::{run_tests, HarnessError, Progress, RunOptions};

pub use fixture::{Fixture, FixtureSpec};

/// A client test: its body takes the client suite's context (spec §14.4).
pub type ClientTestDef = TestDef<fn(&mut ClientCtx<'_>) -> TestResult>;

/// How to run the shim.
#[derive(Clone, Debug)]
pub struct ShimOptions {
    /// The shell command (`sh -c CMD`).
    pub command: String,
    /// The time to wait for one answer (`--shim-timeout`).
    pub timeout: Duration,
}

/// What a client test sees.
pub struct ClientCtx<'a> {
    /// The shim to start.
    pub shim: &'a ShimOptions,
    /// This test's RNG (derived from the run's seed and the test ID).
    pub rng: SeededRng,
    /// This test's seed.
    pub seed: u64,
}

impl ClientCtx<'_> {
    /// Starts the fixture: a shim with hello done, and what `spec` asks for.
    pub fn fixture(&mut self, spec: FixtureSpec) -> Result<Fixture, Stop> {
        Fixture::start(self, spec)
    }
}

/// Every test of the client suite, in run order.
pub fn all_tests() -> Vec<ClientTestDef> {
    let mut v = Vec::new();
    v.extend(basics::tests());
    v.extend(channel::tests());
    v.extend(log::tests());
    v.extend(peer_join::tests());
    v.extend(peer_coadd::tests());
    v.extend(peer_msg::tests());
    v.extend(peer_claim::tests());
    v.extend(peer_commit::tests());
    v.extend(peer_route::tests());
    v.extend(peer_display::tests());
    v.extend(sas::tests());
    v.extend(sas_join::tests());
    v.extend(recovery::tests());
    v.extend(removal::tests());
    v.extend(duties::tests());
    v
}

/// Preflight: the shim starts and completes the hello (else a harness error, spec §14.5).
pub fn preflight(shim: &ShimOptions) -> Result<crate::shim::Hello, HarnessError> {
    let mut s = crate::shim::Shim::spawn(&shim.command, shim.timeout)
        .map_err(|e| HarnessError(e.to_string()))?;
    let hello = s.hello().map_err(|e| {
        HarnessError(format!(
            "the shim did not complete the hello: {e}\n    {}",
            s.report()
        ))
    })?;
    let _ = s.shutdown();
    Ok(hello)
}

/// Runs the client suite. `reproduce` is the prefix of the reproduce command.
pub fn run(
    shim: &ShimOptions,
    opts: &RunOptions,
    index: &Index,
    reproduce: &str,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<RunReport, HarnessError> {
    let started = Instant::now();
    let hello = preflight(shim)?;
    let defs = all_tests();
    let run = run_tests(&defs, opts, index, reproduce, progress, |def, seed| {
        let mut ctx = ClientCtx {
            shim,
            rng: SeededRng::new(seed),
            seed,
        };
        (def.run)(&mut ctx)
    });
    Ok(RunReport {
        tool: format!("hearth-conformance {}", env!("CARGO_PKG_VERSION")),
        seed: opts.seed,
        target: format!("--shim '{}'", shim.command.replace('\'', "'\\''")),
        host_url: format!(
            "{} (shim protocol {})",
            if hello.implementation.is_empty() {
                "an unnamed shim"
            } else {
                hello.implementation.as_str()
            },
            hello.version
        ),
        strict: opts.strict,
        duration_ms: started.elapsed().as_millis() as u64,
        exit_code: run.exit_code,
        not_selected: run.not_selected,
        stale_expectations: run.stale_expectations,
        results: run.results,
    })
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_client_ids_and_cite_known_requirements() {
        let index = match crate::requirements::load(&crate::requirements::default_spec_dir()) {
            Ok(i) => i,
            Err(e) => panic!("spec/ does not load: {e:?}"),
        };
        let mut ids = std::collections::BTreeSet::new();
        for t in all_tests() {
            assert!(ids.insert(t.id), "duplicate test ID {}", t.id);
            assert!(t.id.starts_with("client."), "{}", t.id);
            assert!(
                !crate::model::RETIRED.iter().any(|(r, _)| *r == t.id),
                "{} reuses a retired ID",
                t.id
            );
            assert!(!t.requirements.is_empty(), "{} cites no requirement", t.id);
            for r in t.requirements {
                assert!(
                    index.get(r).is_some(),
                    "{} cites unknown requirement {r}",
                    t.id
                );
            }
        }
    }
}
