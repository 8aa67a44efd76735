//! The terminal report and the Markdown report.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{write_failure, RunReport, TestReport};
use crate::model::Outcome;

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
    let fails: Vec<&TestReport> = run.failures().collect();
    if !fails.is_empty() {
        let _ = writeln!(out, "## Failures");
        for r in fails {
            let _ = writeln!(
                out,
                "\n### `{}` ({}; {})\n\n```text",
                r.id,
                r.level.as_str(),
                r.requirements.join(", ")
            );
            let mut body = String::new();
            write_failure(&mut body, r);
            out.push_str(&body);
            let _ = writeln!(out, "```\n");
        }
    }
    let unexpected: Vec<&TestReport> = run.unexpected_passes().collect();
    if !unexpected.is_empty() {
        let _ = writeln!(out, "## Unexpected passes\n");
        for r in unexpected {
            let _ = writeln!(
                out,
                "- `{}` passed although the expectations say {}",
                r.id,
                r.expectation.as_deref().unwrap_or("xfail")
            );
        }
        let _ = writeln!(out);
    }
    if !run.stale_expectations.is_empty() {
        let _ = writeln!(out, "## Stale expectations\n");
        for s in &run.stale_expectations {
            let _ = writeln!(out, "- `{s}` matches no test");
        }
        let _ = writeln!(out);
    }
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
    out
}
