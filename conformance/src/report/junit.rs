//! JUnit XML: one testsuite, one testcase per test; unexpected passes and stale expectations
//! are stated, not dropped.

use std::fmt::Write;

use super::{write_failure, RunReport};
use crate::model::Outcome;

pub(crate) fn xml_escape(s: &str) -> String {
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
    let _ = write!(
        out,
        "  <properties><property name=\"seed\" value=\"{}\"/><property name=\"target\" value=\"{}\"/><property name=\"exit_code\" value=\"{}\"/>",
        run.seed,
        xml_escape(&run.target),
        run.exit_code
    );
    for s in &run.stale_expectations {
        let _ = write!(
            out,
            "<property name=\"stale_expectation\" value=\"{}\"/>",
            xml_escape(s)
        );
    }
    let _ = writeln!(out, "</properties>");
    for r in &run.results {
        let _ = write!(
            out,
            "  <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\">",
            xml_escape(r.id.rsplit_once('.').map_or(r.id.as_str(), |x| x.0)),
            xml_escape(&r.id),
            r.duration_ms as f64 / 1000.0
        );
        match r.outcome {
            Outcome::Pass if r.unexpected_pass => {
                let _ = write!(
                    out,
                    "<properties><property name=\"unexpected_pass\" value=\"true\"/></properties><system-out>unexpected pass: the expectations say {}</system-out>",
                    xml_escape(r.expectation.as_deref().unwrap_or("xfail"))
                );
            }
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
    if !run.stale_expectations.is_empty() {
        let _ = writeln!(out, "  <system-err>");
        for s in &run.stale_expectations {
            let _ = writeln!(out, "stale expectation `{}` matches no test", xml_escape(s));
        }
        let _ = writeln!(out, "  </system-err>");
    }
    let _ = writeln!(out, "</testsuite>");
    out
}
