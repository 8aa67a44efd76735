//! Reports (spec §14.5): human terminal text, versioned JSON with a schema
//! (`conformance/report.schema.json`), JUnit XML, Markdown and a self-contained HTML page. Every
//! format prints the seed; every failure carries its reproduce command and the bytes exchanged
//! (hex and CBOR diagnostic notation); every format lists failures first, then unexpected passes
//! and stale expectations, and orders requirement IDs by area and number (HRT-API-2 before
//! HRT-API-10).

mod html;
mod junit;
mod text;

pub use html::html;
pub use junit::junit;
pub use text::{human, markdown};

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::client::Exchange;
use crate::model::{ExpectationEntry, Level, Outcome, TestDef};

/// The most hex characters printed per message (long bodies are cut, with the length noted).
const MAX_HEX: usize = 2048;

/// One exchange as reports show it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ExchangeReport {
    /// `POST application/cbor` etc.
    pub request_line: String,
    /// Request body length.
    pub request_len: usize,
    /// Request body hex (cut at 1 KiB).
    pub request_hex: String,
    /// Request in CBOR diagnostic notation.
    pub request_diag: String,
    /// `HTTP 200 application/cbor`, or the transport error.
    pub response_line: String,
    /// Response body hex.
    pub response_hex: String,
    /// Response in CBOR diagnostic notation.
    pub response_diag: String,
}

fn hex_cut(b: &[u8]) -> String {
    let h = hex::encode(b);
    if h.len() > MAX_HEX {
        format!(
            "{}... ({} bytes)",
            h.get(..MAX_HEX).unwrap_or_default(),
            b.len()
        )
    } else {
        h
    }
}

fn diag_cut(b: &[u8]) -> String {
    if b.len() > 4096 {
        return format!("<{} bytes>", b.len());
    }
    hearth_wire::diag::to_diagnostic_nested(b)
}

impl ExchangeReport {
    /// From an exchange.
    pub fn from_exchange(ex: &Exchange) -> Self {
        let r = &ex.request;
        let request_line = format!(
            "{} {}",
            r.method,
            r.content_type.as_deref().unwrap_or("(no Content-Type)")
        );
        let (response_line, body) = match &ex.reply {
            Ok(rep) => (
                format!(
                    "HTTP {} {}",
                    rep.status,
                    rep.content_type.as_deref().unwrap_or("(no Content-Type)")
                ),
                rep.body.as_slice(),
            ),
            Err(e) => (e.to_string(), &[][..]),
        };
        Self {
            request_line,
            request_len: r.body.len(),
            request_hex: hex_cut(&r.body),
            request_diag: diag_cut(&r.body),
            response_line,
            response_hex: hex_cut(body),
            response_diag: diag_cut(body),
        }
    }
}

/// One test's result.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TestReport {
    /// Permanent ID.
    pub id: String,
    /// Title.
    pub title: String,
    /// Level.
    pub level: Level,
    /// Requirement IDs.
    pub requirements: Vec<String>,
    /// Outcome.
    pub outcome: Outcome,
    /// Failure or unsupported/not-applicable message.
    pub message: Option<String>,
    /// The matching expectation (kind and reason).
    pub expectation: Option<String>,
    /// An xfail test that passed.
    pub unexpected_pass: bool,
    /// One line to reproduce.
    pub reproduce: String,
    /// Duration.
    pub duration_ms: u64,
    /// Runs (more than 1 for a flaky test that failed first).
    pub attempts: u32,
    /// The exchanges involved in a failure.
    pub exchanges: Vec<ExchangeReport>,
}

impl TestReport {
    /// Builds the report of one test of either suite.
    #[allow(clippy::too_many_arguments)]
    pub fn new<R>(
        def: &TestDef<R>,
        level: Level,
        outcome: Outcome,
        message: Option<String>,
        exchanges: &[Exchange],
        expectation: Option<&ExpectationEntry>,
        unexpected_pass: bool,
        reproduce: String,
        duration_ms: u64,
        attempts: u32,
    ) -> Self {
        Self {
            id: def.id.to_owned(),
            title: def.title.to_owned(),
            level,
            requirements: def.requirements.iter().map(|s| (*s).to_owned()).collect(),
            outcome,
            message,
            expectation: expectation
                .map(|e| format!("{:?}: {}", e.expect, e.reason).to_lowercase()),
            unexpected_pass,
            reproduce,
            duration_ms,
            attempts,
            exchanges: exchanges
                .iter()
                .map(ExchangeReport::from_exchange)
                .collect(),
        }
    }
}

/// A whole run.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RunReport {
    /// Harness name and version.
    pub tool: String,
    /// The seed.
    pub seed: u64,
    /// The target arguments.
    pub target: String,
    /// The host's canonical URL.
    pub host_url: String,
    /// `--strict`.
    pub strict: bool,
    /// Wall time.
    pub duration_ms: u64,
    /// The exit code this run ends with.
    pub exit_code: u8,
    /// SHOULD/MAY tests not selected (no `--strict`).
    pub not_selected: usize,
    /// Expectation entries matching no test.
    pub stale_expectations: Vec<String>,
    /// Every test's result.
    pub results: Vec<TestReport>,
}

impl RunReport {
    /// `client` for a run of the client suite (target `--shim ...`), else `host`.
    pub fn suite_name(&self) -> &'static str {
        if self.target.starts_with("--shim") {
            "client"
        } else {
            "host"
        }
    }

    /// Counts per outcome.
    pub fn counts(&self) -> BTreeMap<Outcome, usize> {
        crate::model::tally(self.results.iter().map(|r| r.outcome))
    }

    /// Per requirement: (passed, total run) over the tests covering it, in requirement order
    /// ([`requirement_order`]).
    pub fn per_requirement(&self) -> Vec<(String, (usize, usize))> {
        let mut m: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for r in &self.results {
            for req in &r.requirements {
                let e = m.entry(req.clone()).or_insert((0, 0));
                if r.outcome == Outcome::Pass {
                    e.0 += 1;
                }
                if r.outcome != Outcome::SkippedByExpectation && r.outcome != Outcome::NotApplicable
                {
                    e.1 += 1;
                }
            }
        }
        let mut v: Vec<_> = m.into_iter().collect();
        v.sort_by(|a, b| requirement_order(&a.0, &b.0));
        v
    }

    /// The tests that failed, in run order.
    pub fn failures(&self) -> impl Iterator<Item = &TestReport> {
        self.results.iter().filter(|r| r.outcome == Outcome::Fail)
    }

    /// The tests expected to fail (`xfail`) that passed.
    pub fn unexpected_passes(&self) -> impl Iterator<Item = &TestReport> {
        self.results.iter().filter(|r| r.unexpected_pass)
    }

    pub(crate) fn summary_line(&self) -> String {
        let c = self.counts();
        let n = |o: Outcome| c.get(&o).copied().unwrap_or(0);
        format!(
            "{} passed, {} failed, {} unsupported, {} not applicable, {} skipped by expectation ({} tests, {} not selected without --strict)",
            n(Outcome::Pass),
            n(Outcome::Fail),
            n(Outcome::Unsupported),
            n(Outcome::NotApplicable),
            n(Outcome::SkippedByExpectation),
            self.results.len(),
            self.not_selected
        )
    }
}

/// Orders requirement IDs by area, then by number (`HRT-API-2` < `HRT-API-10` < `HRT-CONV-1`);
/// IDs of another shape sort after, as text.
pub fn requirement_order(a: &str, b: &str) -> std::cmp::Ordering {
    fn key(id: &str) -> Option<(&str, u64)> {
        let (area, n) = id.rsplit_once('-')?;
        Some((area, n.parse().ok()?))
    }
    match (key(a), key(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

/// The name of the JSON report's format, in its `format` member.
pub const FORMAT: &str = "hearth-conformance-report";

/// The version of the JSON report's format, in its `format_version` member: raised when a member
/// is removed or changes meaning (adding a member does not raise it). The schema is
/// `conformance/report.schema.json`.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct Versioned<'a> {
    format: &'static str,
    format_version: u32,
    #[serde(flatten)]
    run: &'a RunReport,
}

/// The JSON report: the run with its format name and version first.
pub fn json(run: &RunReport) -> String {
    serde_json::to_string_pretty(&Versioned {
        format: FORMAT,
        format_version: FORMAT_VERSION,
        run,
    })
    .unwrap_or_default()
}

pub(crate) fn write_failure(out: &mut String, r: &TestReport) {
    if let Some(m) = &r.message {
        let _ = writeln!(out, "    {m}");
    }
    for (i, e) in r.exchanges.iter().enumerate() {
        let _ = writeln!(
            out,
            "    exchange {}: {} ({} bytes)",
            i + 1,
            e.request_line,
            e.request_len
        );
        let _ = writeln!(out, "      request hex:   {}", e.request_hex);
        let _ = writeln!(out, "      request diag:  {}", e.request_diag);
        let _ = writeln!(out, "      response:      {}", e.response_line);
        let _ = writeln!(out, "      response hex:  {}", e.response_hex);
        let _ = writeln!(out, "      response diag: {}", e.response_diag);
    }
    let _ = writeln!(out, "    reproduce: {}", r.reproduce);
}
