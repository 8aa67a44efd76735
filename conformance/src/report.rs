//! Reports (spec §14.5): human terminal text, JSON, JUnit XML, and Markdown with the pass rate
//! per requirement. Every format prints the seed; every failure carries its reproduce command
//! and the bytes exchanged (hex and CBOR diagnostic notation).

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

    /// Per requirement: (passed, total run) over the tests covering it.
    pub fn per_requirement(&self) -> BTreeMap<String, (usize, usize)> {
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
        m
    }

    fn summary_line(&self) -> String {
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

fn write_failure(out: &mut String, r: &TestReport) {
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

/// The human-readable report: failures with their bytes, then a summary table by area.
pub fn human(run: &RunReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} against {} ({})",
        run.tool, run.host_url, run.target
    );
    let _ = writeln!(
        out,
        "seed {}{}",
        run.seed,
        if run.strict { ", --strict" } else { "" }
    );
    for r in run.results.iter().filter(|r| r.outcome == Outcome::Fail) {
        let _ = writeln!(
            out,
            "\nFAIL {} [{}; {}]",
            r.id,
            r.level.as_str(),
            r.requirements.join(", ")
        );
        write_failure(&mut out, r);
    }
    for r in run.results.iter().filter(|r| r.unexpected_pass) {
        let _ = writeln!(
            out,
            "\nUNEXPECTED PASS {} (expectations: {})",
            r.id,
            r.expectation.as_deref().unwrap_or("")
        );
    }
    for s in &run.stale_expectations {
        let _ = writeln!(out, "\nSTALE EXPECTATION `{s}` matches no test");
    }
    let _ = writeln!(
        out,
        "\n{:<34} {:>5} {:>5} {:>5} {:>5} {:>5}",
        "area", "pass", "fail", "unsup", "n/a", "skip"
    );
    let mut areas: BTreeMap<String, [usize; 5]> = BTreeMap::new();
    for r in &run.results {
        let area = r.id.split('.').take(3).collect::<Vec<_>>().join(".");
        let slot = areas.entry(area).or_insert([0; 5]);
        let i = match r.outcome {
            Outcome::Pass => 0,
            Outcome::Fail => 1,
            Outcome::Unsupported => 2,
            Outcome::NotApplicable => 3,
            Outcome::SkippedByExpectation => 4,
        };
        if let Some(x) = slot.get_mut(i) {
            *x += 1;
        }
    }
    for (a, [p, f, u, n, s]) in &areas {
        let _ = writeln!(out, "{a:<34} {p:>5} {f:>5} {u:>5} {n:>5} {s:>5}");
    }
    let _ = writeln!(out, "\n{}", run.summary_line());
    let _ = writeln!(out, "exit code {} (seed {})", run.exit_code, run.seed);
    out
}

/// The JSON report.
pub fn json(run: &RunReport) -> String {
    serde_json::to_string_pretty(run).unwrap_or_default()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// JUnit XML (one testsuite, one testcase per test).
pub fn junit(run: &RunReport) -> String {
    let c = run.counts();
    let n = |o: Outcome| c.get(&o).copied().unwrap_or(0);
    let mut out = String::new();
    let _ = writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    let _ = writeln!(
        out,
        "<testsuite name=\"hearth-conformance {}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
        run.suite_name(),
        run.results.len(),
        n(Outcome::Fail),
        run.results.len() - n(Outcome::Fail) - n(Outcome::Pass),
        run.duration_ms as f64 / 1000.0
    );
    let _ = writeln!(out, "  <properties><property name=\"seed\" value=\"{}\"/><property name=\"target\" value=\"{}\"/></properties>", run.seed, xml_escape(&run.target));
    for r in &run.results {
        let _ = write!(
            out,
            "  <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\">",
            xml_escape(r.id.rsplit_once('.').map_or(r.id.as_str(), |x| x.0)),
            xml_escape(&r.id),
            r.duration_ms as f64 / 1000.0
        );
        match r.outcome {
            Outcome::Pass => {}
            Outcome::Fail => {
                let mut body = String::new();
                write_failure(&mut body, r);
                let _ = write!(
                    out,
                    "<failure message=\"{}\">{}</failure>",
                    xml_escape(r.message.as_deref().unwrap_or("")),
                    xml_escape(&body)
                );
            }
            o => {
                let _ = write!(
                    out,
                    "<skipped message=\"{}: {}\"/>",
                    o.as_str(),
                    xml_escape(
                        r.message
                            .as_deref()
                            .or(r.expectation.as_deref())
                            .unwrap_or("")
                    )
                );
            }
        }
        let _ = writeln!(out, "</testcase>");
    }
    let _ = writeln!(out, "</testsuite>");
    out
}

/// The Markdown report: summary, pass rate per requirement, failures with bytes.
pub fn markdown(run: &RunReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Hearth {} conformance report\n", run.suite_name());
    let _ = writeln!(
        out,
        "- tool: {}\n- {}: `{}`\n- target: `{}`\n- seed: {}\n- strict: {}\n- exit code: {}\n",
        run.tool,
        if run.suite_name() == "client" {
            "under test"
        } else {
            "host"
        },
        run.host_url,
        run.target,
        run.seed,
        run.strict,
        run.exit_code
    );
    let _ = writeln!(out, "{}\n", run.summary_line());
    let _ = writeln!(out, "## Pass rate per requirement\n\n| requirement | passed | run | rate |\n|---|---:|---:|---:|");
    for (req, (p, t)) in run.per_requirement() {
        let rate = if t == 0 {
            "-".to_owned()
        } else {
            format!("{:.0}%", 100.0 * p as f64 / t as f64)
        };
        let _ = writeln!(out, "| {req} | {p} | {t} | {rate} |");
    }
    let _ = writeln!(
        out,
        "\n## Tests\n\n| test | level | requirements | outcome |\n|---|---|---|---|"
    );
    for r in &run.results {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {}{} |",
            r.id,
            r.level.as_str(),
            r.requirements.join(", "),
            r.outcome.as_str(),
            if r.unexpected_pass {
                " (unexpected pass)"
            } else {
                ""
            }
        );
    }
    let fails: Vec<&TestReport> = run
        .results
        .iter()
        .filter(|r| r.outcome == Outcome::Fail)
        .collect();
    if !fails.is_empty() {
        let _ = writeln!(out, "\n## Failures");
        for r in fails {
            let _ = writeln!(out, "\n### `{}`\n\n```text", r.id);
            let mut body = String::new();
            write_failure(&mut body, r);
            out.push_str(&body);
            let _ = writeln!(out, "```");
        }
    }
    if !run.stale_expectations.is_empty() {
        let _ = writeln!(out, "\n## Stale expectations\n");
        for s in &run.stale_expectations {
            let _ = writeln!(out, "- `{s}`");
        }
    }
    out
}
