//! The run loop shared by the host and client suites (spec §14.5): the options of a run,
//! selection and levels, the expectations, progress, and the reports of the tests.
//!
//! Both suites' tests are [`TestDef`]s; they differ only in the context their bodies take
//! (`crate::suite::HostTestDef`, `crate::client_suite::ClientTestDef`).

use std::time::Instant;

use crate::model::{
    exit_code, glob_match, Expect, Expectations, Failure, Level, Outcome, Stop, TestDef, TestResult,
};
use crate::report::TestReport;
use crate::requirements::Index;

/// The level of a test: the strongest level of the requirements it covers, looked up in the
/// index (MUST when a requirement is missing from the index, so that nothing is silently
/// demoted; the coverage test in `tests/` catches unknown IDs).
pub fn level_of<R>(def: &TestDef<R>, index: &Index) -> Level {
    level_of_requirements(def.requirements, index)
}

/// The level of a test of any suite citing `requirements` (see [`level_of`]).
pub fn level_of_requirements(requirements: &[&str], index: &Index) -> Level {
    requirements
        .iter()
        .map(|id| {
            index
                .get(id)
                .map_or(Level::Must, |r| Level::from_spec(&r.level))
        })
        .min()
        .unwrap_or(Level::Must)
}

/// Options of a run.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// The seed of every random choice.
    pub seed: u64,
    /// `--strict`: select SHOULD tests and make an unsupported MUST a failure.
    pub strict: bool,
    /// `--only` glob patterns (empty: all).
    pub only: Vec<String>,
    /// The implementation's expectations.
    pub expectations: Expectations,
}

/// A harness error (exit code 2): the suite could not run as intended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HarnessError(pub String);

impl std::fmt::Display for HarnessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Progress events for the terminal.
pub enum Progress<'a> {
    /// Starting test `index` of `total`.
    Start {
        /// 1-based.
        index: usize,
        /// Selected tests.
        total: usize,
        /// The test ID.
        id: &'a str,
    },
    /// A test finished.
    Done(&'a TestReport),
}

/// FNV-1a of a test ID: each test's RNG is the run's seed xor this.
pub fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// What [`run_tests`] produced.
pub struct Executed {
    /// One report per selected test, in order.
    pub results: Vec<TestReport>,
    /// Tests left out because they are not MUST and the run is not `--strict`.
    pub not_selected: usize,
    /// Expectation entries that match no test.
    pub stale_expectations: Vec<String>,
    /// The exit code of §14.5 for these results.
    pub exit_code: u8,
}

/// The run loop shared by the host and client suites (spec §14.5): selection by `--only` and
/// level, the expectations (skip, xfail, flaky with up to three attempts), progress, one report
/// per test with its reproduce command, stale expectations and the exit code. `meta` gives a
/// test's ID, title and requirements; `exec` runs it with its seed (`--seed` xor a hash of its
/// ID, so one test can be rerun alone with the same randomness).
#[allow(clippy::too_many_arguments)]
pub fn run_tests<R>(
    defs: &[TestDef<R>],
    opts: &RunOptions,
    index: &Index,
    reproduce: &str,
    progress: &mut dyn FnMut(Progress<'_>),
    mut exec: impl FnMut(&TestDef<R>, u64) -> TestResult,
) -> Executed {
    let ids: Vec<&str> = defs.iter().map(|d| d.id).collect();
    let mut selected: Vec<(&TestDef<R>, Level)> = Vec::new();
    let mut not_selected = 0usize;
    for d in defs {
        let id = d.id;
        let level = level_of(d, index);
        let picked = opts.only.is_empty() || opts.only.iter().any(|p| glob_match(p, id));
        if !picked {
            continue;
        }
        if level != Level::Must && !opts.strict {
            not_selected += 1;
            continue;
        }
        selected.push((d, level));
    }
    let total = selected.len();
    let mut results = Vec::new();
    for (i, (def, level)) in selected.iter().enumerate() {
        let id = def.id;
        progress(Progress::Start {
            index: i + 1,
            total,
            id,
        });
        let expectation = opts.expectations.lookup(id).cloned();
        let t0 = Instant::now();
        let mut attempts = 0;
        let (outcome, message, exchanges, unexpected_pass) = loop {
            attempts += 1;
            if expectation.as_ref().map(|e| e.expect) == Some(Expect::Skip) {
                break (Outcome::SkippedByExpectation, None, Vec::new(), false);
            }
            let (o, m, ex) = match exec(def, opts.seed ^ fnv1a(id)) {
                Ok(()) => (Outcome::Pass, None, Vec::new()),
                Err(Stop::Fail(Failure { message, exchanges })) => {
                    (Outcome::Fail, Some(message), exchanges)
                }
                Err(Stop::Unsupported(m)) => {
                    let o = if opts.strict && *level == Level::Must {
                        Outcome::Fail
                    } else {
                        Outcome::Unsupported
                    };
                    (o, Some(m), Vec::new())
                }
                Err(Stop::NotApplicable(m)) => (Outcome::NotApplicable, Some(m), Vec::new()),
            };
            match expectation.as_ref().map(|e| e.expect) {
                Some(Expect::Flaky) if o == Outcome::Fail && attempts < 3 => continue,
                Some(Expect::Xfail) if o == Outcome::Fail => {
                    break (Outcome::SkippedByExpectation, m, ex, false)
                }
                Some(Expect::Xfail) if o == Outcome::Pass => break (o, m, ex, true),
                _ => break (o, m, ex, false),
            }
        };
        let report = TestReport::new(
            def,
            *level,
            outcome,
            message,
            &exchanges,
            expectation.as_ref(),
            unexpected_pass,
            format!("{reproduce} --only {id} --seed {}", opts.seed),
            t0.elapsed().as_millis() as u64,
            attempts,
        );
        progress(Progress::Done(&report));
        results.push(report);
    }
    let outcomes: Vec<(Level, Outcome)> = results.iter().map(|r| (r.level, r.outcome)).collect();
    let stale_expectations = opts
        .expectations
        .stale(&ids)
        .into_iter()
        .map(|e| e.test.clone())
        .collect();
    Executed {
        results,
        not_selected,
        stale_expectations,
        exit_code: exit_code(&outcomes, opts.strict),
    }
}
