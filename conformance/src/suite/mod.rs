//! The host suite (spec §14.3): one module per spec area, a shared context with the harness's
//! client roles (owner, creator, admins, members, invitees, attackers), and its preflight; the
//! run loop is [`crate::runner`], shared with the client suite.
//!
//! Every test gets its own RNG derived from the run's seed and its own ID, so that
//! `--only ID --seed N` repeats exactly the random choices of the full run.

/// `t!(id, title, [requirements], fn)`: one [`HostTestDef`] (used by every module
/// below, so defined before them).
macro_rules! t {
    ($id:literal, $title:literal, [$($r:literal),*], $f:path) => {
        crate::suite::HostTestDef { id: $id, title: $title, requirements: &[$($r),*], run: $f }
    };
}

pub mod api;
pub mod authz;
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
pub mod ops_suite;
pub mod wire;

use std::time::Instant;

use hearth_wire::request::{InfoResult, Response};
use hearth_wire::{ErrorCode, WireDecode};

use crate::client::{Client, Exchange, Key, SeededRng};
use crate::model::{Stop, TestDef, TestResult};
use crate::report::RunReport;
use crate::requirements::Index;
use crate::runner::{run_tests, HarnessError, Progress, RunOptions};
use crate::target::Target;

pub use fixtures::*;

/// Every test of the host suite, in run order.
pub fn all_tests() -> Vec<HostTestDef> {
    let mut v = Vec::new();
    v.extend(api::tests());
    v.extend(http::tests());
    v.extend(nonce::tests());
    v.extend(wire::tests());
    v.extend(ed25519::tests());
    v.extend(ops_channel::tests());
    v.extend(ops_invite::tests());
    v.extend(ops_commit::tests());
    v.extend(ops_suite::tests());
    v.extend(ops_msg::tests());
    v.extend(membership::tests());
    v.extend(authz::tests());
    v.extend(log::tests());
    v
}

/// A host test: its body takes the host suite's context.
pub type HostTestDef = TestDef<fn(&Ctx<'_>) -> TestResult>;

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
    let run = run_tests(&defs, opts, index, reproduce, progress, |def, seed| {
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
    });
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
