//! The host suite (spec §14.3): one module per spec area, a shared context with the harness's
//! client roles (owner, creator, admins, members, invitees, attackers), and the runner.
//!
//! Every test gets its own RNG derived from the run's seed and its own ID, so that
//! `--only ID --seed N` repeats exactly the random choices of the full run.

/// `t!(id, title, [requirements], fn)`: one [`TestDef`] of the host suite (used by every module
/// below, so defined before them).
macro_rules! t {
    ($id:literal, $title:literal, [$($r:literal),*], $f:path) => {
        crate::model::TestDef { id: $id, title: $title, requirements: &[$($r),*], run: $f }
    };
}

pub mod api;
pub mod ed25519;
pub mod fixtures;
pub mod http;
pub mod log;
pub mod membership;
pub mod nonce;
pub mod ops_channel;
pub mod ops_commit;
pub mod ops_invite;
pub mod ops_msg;
pub mod wire;

use std::time::Instant;

use hearth_wire::request::{InfoResult, Response};
use hearth_wire::{ErrorCode, WireDecode};

use crate::client::{Client, Exchange, Key, SeededRng};
use crate::model::{
    exit_code, Expect, Expectations, Failure, Level, Outcome, Stop, TestDef, TestResult,
};
use crate::report::{RunReport, TestReport};
use crate::requirements::Index;
use crate::target::Target;

pub use fixtures::*;

/// Every test of the host suite, in run order.
pub fn all_tests() -> Vec<TestDef> {
    let mut v = Vec::new();
    v.extend(api::tests());
    v.extend(http::tests());
    v.extend(nonce::tests());
    v.extend(wire::tests());
    v.extend(ed25519::tests());
    v.extend(ops_channel::tests());
    v.extend(ops_invite::tests());
    v.extend(ops_commit::tests());
    v.extend(ops_msg::tests());
    v.extend(membership::tests());
    v.extend(log::tests());
    v
}

/// The level of a test: the strongest level of the requirements it covers, looked up in the
/// index (MUST when a requirement is missing from the index, so that nothing is silently
/// demoted; the coverage test in `tests/` catches unknown IDs).
pub fn level_of(def: &TestDef, index: &Index) -> Level {
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

/// What a test sees: the client, the host's info, the owner key.
pub struct Ctx<'t> {
    /// The client (with this test's RNG).
    pub c: Client<'t>,
    /// The host's `InfoResult`.
    pub info: InfoResult,
    /// The exact bytes of `InfoResult` served by GET.
    pub info_result_bytes: Vec<u8>,
    /// The owner identity the harness acts as.
    pub owner: Key,
}

impl Ctx<'_> {
    /// The host's limits.
    pub fn limits(&self) -> &hearth_wire::request::Limits {
        &self.info.limits
    }
}

/// Checks that an exchange got a well-formed answer (HRT-API-5) and returns the Response.
pub fn answered(ex: &Exchange) -> Result<Response, Stop> {
    if let Some(p) = ex.envelope_problem() {
        return Err(Stop::fail(
            format!("no valid Response (HRT-API-5): {p}"),
            &[ex],
        ));
    }
    ex.response()
        .ok_or_else(|| Stop::fail("no valid Response", &[ex]))
}

fn code_name(c: Option<ErrorCode>) -> String {
    match c {
        None => "none".into(),
        Some(c) => match c.name() {
            Some(n) => format!("{n} ({})", c.0),
            None => format!("{}", c.0),
        },
    }
}

/// Expects `status` (and `detail` when given). Returns the Response.
pub fn expect_code(
    ex: &Exchange,
    status: ErrorCode,
    detail: Option<ErrorCode>,
) -> Result<Response, Stop> {
    let r = answered(ex)?;
    let detail_ok = detail.is_none() || r.detail == detail;
    if r.status != status || !detail_ok {
        return Err(Stop::fail(
            format!(
                "expected status {} detail {}, got status {} detail {}",
                code_name(Some(status)),
                code_name(detail),
                code_name(Some(r.status)),
                code_name(r.detail)
            ),
            &[ex],
        ));
    }
    Ok(r)
}

/// Expects one of several (status, detail) pairs.
pub fn expect_one_of(
    ex: &Exchange,
    allowed: &[(ErrorCode, Option<ErrorCode>)],
) -> Result<Response, Stop> {
    let r = answered(ex)?;
    if allowed
        .iter()
        .any(|(s, d)| r.status == *s && (d.is_none() || r.detail == *d))
    {
        return Ok(r);
    }
    let want: Vec<String> = allowed
        .iter()
        .map(|(s, d)| format!("{}/{}", code_name(Some(*s)), code_name(*d)))
        .collect();
    Err(Stop::fail(
        format!(
            "expected one of [{}], got status {} detail {}",
            want.join(", "),
            code_name(Some(r.status)),
            code_name(r.detail)
        ),
        &[ex],
    ))
}

/// Expects a decode-class failure by detail code: the status the detail maps to (spec §12.5) and
/// that detail.
pub fn expect_detail(ex: &Exchange, detail: ErrorCode) -> Result<Response, Stop> {
    expect_code(ex, detail.status(), Some(detail))
}

/// Expects `ok` and decodes the result as `T`.
pub fn expect_ok<T: WireDecode>(ex: &Exchange) -> Result<T, Stop> {
    let r = expect_code(ex, ErrorCode::OK, None)?;
    match r.result_as::<T>() {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(Stop::fail("ok without a result (HRT-API-39)", &[ex])),
        Err(e) => Err(Stop::fail(
            format!(
                "the result does not decode as the op's result rule ({})",
                e.code().name().unwrap_or("?")
            ),
            &[ex],
        )),
    }
}

/// Fails with `message` unless `cond`.
pub fn ensure(cond: bool, message: impl Into<String>, exchanges: &[&Exchange]) -> TestResult {
    if cond {
        Ok(())
    } else {
        Err(Stop::fail(message, exchanges))
    }
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

/// Preflight: the host answers GET info, and the owner key is accepted for `channel.create`.
pub fn preflight(
    target: &dyn Target,
    owner: &Key,
    seed: u64,
) -> Result<(InfoResult, Vec<u8>, i64), HarnessError> {
    let reply = target.get().map_err(|e| {
        HarnessError(format!(
            "the host at {} is unreachable: {e}",
            target.base_url()
        ))
    })?;
    let resp = Response::decode(&reply.body).map_err(|e| {
        HarnessError(format!(
            "GET {} did not return a valid hCBOR Response (HTTP {}, {:?}, {} bytes, {}); is this a Hearth host?",
            target.base_url(),
            reply.status,
            reply.content_type,
            reply.body.len(),
            e.code().name().unwrap_or("?")
        ))
    })?;
    let info: InfoResult = match resp.result_as() {
        Ok(Some(i)) => i,
        _ => {
            return Err(HarnessError(
                "GET info did not return an InfoResult; cannot learn the host URL and limits"
                    .into(),
            ))
        }
    };
    let info_bytes = resp
        .result
        .as_ref()
        .map(|r| r.as_bytes().to_vec())
        .unwrap_or_default();
    let offset = resp.server_time.0 as i64 - crate::client::unix_now() as i64;
    // The owner key must be configured in the host: create (and delete) one channel.
    let mut c = Client::new(
        target,
        info.host_url.as_str().to_owned(),
        SeededRng::new(seed ^ 0x5052_4546),
    );
    c.clock_offset = offset;
    let probe = Ctx {
        c,
        info: info.clone(),
        info_result_bytes: info_bytes.clone(),
        owner: owner.clone(),
    };
    match probe.create_channel() {
        Ok(ch) => {
            probe.delete_channel(&ch);
        }
        Err(Stop::Fail(f)) => {
            let status = f.exchanges.last().and_then(Exchange::status);
            let hint = if status == Some(ErrorCode::FORBIDDEN) {
                format!(
                    "the host does not accept the harness's owner key {}: list it in the host's owner keys \
                     (see `hearth-conformance keygen`)",
                    hex::encode(owner.public())
                )
            } else {
                f.message.clone()
            };
            return Err(HarnessError(format!(
                "preflight channel.create failed: {hint}"
            )));
        }
        Err(_) => {
            return Err(HarnessError(
                "preflight channel.create failed: the host does not support channel.create".into(),
            ))
        }
    }
    Ok((info, info_bytes, offset))
}

/// Runs the suite against `target`. `reproduce` is the prefix of the reproduce command (the
/// binary and target arguments).
pub fn run(
    target: &dyn Target,
    owner: &Key,
    opts: &RunOptions,
    index: &Index,
    reproduce: &str,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<RunReport, HarnessError> {
    let started = Instant::now();
    let (info, info_bytes, offset) = preflight(target, owner, opts.seed)?;
    let defs = all_tests();
    let run = run_tests(
        &defs,
        |d| (d.id, d.title, d.requirements),
        opts,
        index,
        reproduce,
        progress,
        |def, seed| {
            let mut c = Client::new(
                target,
                info.host_url.as_str().to_owned(),
                SeededRng::new(seed),
            );
            c.clock_offset = offset;
            let ctx = Ctx {
                c,
                info: info.clone(),
                info_result_bytes: info_bytes.clone(),
                owner: owner.clone(),
            };
            (def.run)(&ctx)
        },
    );
    Ok(RunReport {
        tool: format!("hearth-conformance {}", env!("CARGO_PKG_VERSION")),
        seed: opts.seed,
        target: target.cli_args(),
        host_url: info.host_url.as_str().to_owned(),
        strict: opts.strict,
        duration_ms: started.elapsed().as_millis() as u64,
        exit_code: run.exit_code,
        not_selected: run.not_selected,
        stale_expectations: run.stale_expectations,
        results: run.results,
    })
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
pub fn run_tests<T>(
    defs: &[T],
    meta: impl Fn(&T) -> (&'static str, &'static str, &'static [&'static str]),
    opts: &RunOptions,
    index: &Index,
    reproduce: &str,
    progress: &mut dyn FnMut(Progress<'_>),
    mut exec: impl FnMut(&T, u64) -> TestResult,
) -> Executed {
    let ids: Vec<&str> = defs.iter().map(|d| meta(d).0).collect();
    let mut selected: Vec<(&T, Level)> = Vec::new();
    let mut not_selected = 0usize;
    for d in defs {
        let (id, _, requirements) = meta(d);
        let level = level_of_requirements(requirements, index);
        let picked =
            opts.only.is_empty() || opts.only.iter().any(|p| crate::model::glob_match(p, id));
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
        let (id, title, requirements) = meta(def);
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
        let report = TestReport::from_parts(
            (id, title, requirements),
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
