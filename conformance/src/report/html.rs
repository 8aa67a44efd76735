//! The HTML report: one self-contained page (inline style, no script, nothing fetched) that a
//! person opens in a browser. Failures come first with their bytes and reproduce command, then
//! unexpected passes and stale expectations, then every test and the pass rate per requirement.

use std::fmt::Write;

use super::{RunReport, TestReport};
use crate::model::Outcome;

/// Escapes text for HTML element content and double-quoted attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "\
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;padding:0 1em;color:#1d1d1f;background:#fff}\
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.25em .5em;border-bottom:1px solid #eee;vertical-align:top}\
td.n{text-align:right;font-variant-numeric:tabular-nums}\
code,pre{font:13px/1.4 ui-monospace,monospace}pre{background:#f6f6f6;padding:.6em;overflow-x:auto;white-space:pre-wrap;word-break:break-all}\
.o{font-weight:600;border-radius:.3em;padding:0 .4em}\
.pass{color:#0a5d2a;background:#ddf4e4}.fail{color:#8a1212;background:#fbe1e1}\
.unsupported{color:#6b4b00;background:#fdf0cc}.not-applicable,.skipped-by-expectation{color:#444;background:#eee}\
.badge{display:inline-block;margin-right:.6em}dl{display:grid;grid-template-columns:max-content auto;gap:.1em 1em}dt{color:#555}\
@media (prefers-color-scheme:dark){body{color:#e8e8e8;background:#161616}pre{background:#222}th,td{border-color:#333}\
.pass{color:#9fe3b4;background:#133b22}.fail{color:#ffb4b4;background:#4a1616}.unsupported{color:#ffe199;background:#3d3210}\
.not-applicable,.skipped-by-expectation{color:#ccc;background:#333}}";

fn outcome(o: Outcome, unexpected: bool) -> String {
    let name = o.as_str();
    format!(
        "<span class=\"o {name}\">{}{}</span>",
        esc(name),
        if unexpected { " (unexpected)" } else { "" }
    )
}

fn failure(out: &mut String, r: &TestReport) {
    let _ = writeln!(
        out,
        "<h3 id=\"{id}\"><code>{id}</code></h3>\n<p>{} &middot; {}</p>",
        esc(r.level.as_str()),
        esc(&r.requirements.join(", ")),
        id = esc(&r.id)
    );
    if let Some(m) = &r.message {
        let _ = writeln!(out, "<p>{}</p>", esc(m));
    }
    for (i, e) in r.exchanges.iter().enumerate() {
        let _ = writeln!(
            out,
            "<details><summary>exchange {}: {} ({} bytes) &rarr; {}</summary>\n<pre>request hex:   {}\nrequest diag:  {}\nresponse hex:  {}\nresponse diag: {}</pre></details>",
            i + 1,
            esc(&e.request_line),
            e.request_len,
            esc(&e.response_line),
            esc(&e.request_hex),
            esc(&e.request_diag),
            esc(&e.response_hex),
            esc(&e.response_diag)
        );
    }
    let _ = writeln!(out, "<p>Reproduce:</p><pre>{}</pre>", esc(&r.reproduce));
}

/// The HTML report of a run.
pub fn html(run: &RunReport) -> String {
    let mut out = String::new();
    let title = format!("Hearth {} conformance report", run.suite_name());
    let _ = writeln!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{}</title><style>{STYLE}</style></head><body>",
        esc(&title)
    );
    let _ = writeln!(out, "<h1>{}</h1>", esc(&title));
    let counts = run.counts();
    let _ = write!(out, "<p>");
    for o in [
        Outcome::Pass,
        Outcome::Fail,
        Outcome::Unsupported,
        Outcome::NotApplicable,
        Outcome::SkippedByExpectation,
    ] {
        let n = counts.get(&o).copied().unwrap_or(0);
        let _ = write!(
            out,
            "<span class=\"badge\">{} {n}</span>",
            outcome(o, false)
        );
    }
    let _ = writeln!(out, "</p>\n<p>{}</p>", esc(&run.summary_line()));
    let _ = writeln!(
        out,
        "<dl><dt>tool</dt><dd>{}</dd><dt>{}</dt><dd><code>{}</code></dd><dt>target</dt><dd><code>{}</code></dd><dt>seed</dt><dd>{}</dd><dt>strict</dt><dd>{}</dd><dt>exit code</dt><dd>{}</dd><dt>time</dt><dd>{:.1} s</dd></dl>",
        esc(&run.tool),
        if run.suite_name() == "client" { "under test" } else { "host" },
        esc(&run.host_url),
        esc(&run.target),
        run.seed,
        run.strict,
        run.exit_code,
        run.duration_ms as f64 / 1000.0
    );
    let fails: Vec<&TestReport> = run.failures().collect();
    if !fails.is_empty() {
        let _ = writeln!(out, "<h2>Failures ({})</h2>", fails.len());
        for r in fails {
            failure(&mut out, r);
        }
    }
    let unexpected: Vec<&TestReport> = run.unexpected_passes().collect();
    if !unexpected.is_empty() {
        let _ = writeln!(out, "<h2>Unexpected passes</h2><ul>");
        for r in unexpected {
            let _ = writeln!(
                out,
                "<li><code>{}</code> passed although the expectations say {}</li>",
                esc(&r.id),
                esc(r.expectation.as_deref().unwrap_or("xfail"))
            );
        }
        let _ = writeln!(out, "</ul>");
    }
    if !run.stale_expectations.is_empty() {
        let _ = writeln!(out, "<h2>Stale expectations</h2><ul>");
        for s in &run.stale_expectations {
            let _ = writeln!(out, "<li><code>{}</code> matches no test</li>", esc(s));
        }
        let _ = writeln!(out, "</ul>");
    }
    let _ = writeln!(
        out,
        "<h2>Tests</h2>\n<table><thead><tr><th>test</th><th>level</th><th>requirements</th><th>outcome</th><th>ms</th></tr></thead><tbody>"
    );
    for r in &run.results {
        let link = if r.outcome == Outcome::Fail {
            format!("<a href=\"#{id}\"><code>{id}</code></a>", id = esc(&r.id))
        } else {
            format!("<code>{}</code>", esc(&r.id))
        };
        let _ = writeln!(
            out,
            "<tr><td>{link}<br><small>{}</small></td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
            esc(&r.title),
            esc(r.level.as_str()),
            esc(&r.requirements.join(", ")),
            outcome(r.outcome, r.unexpected_pass),
            r.duration_ms
        );
    }
    let _ = writeln!(out, "</tbody></table>");
    let _ = writeln!(
        out,
        "<h2>Pass rate per requirement</h2>\n<table><thead><tr><th>requirement</th><th>passed</th><th>run</th><th>rate</th></tr></thead><tbody>"
    );
    for (req, (p, t)) in run.per_requirement() {
        let (rate, class) = match (p, t) {
            (_, 0) => ("-".to_owned(), "not-applicable"),
            (p, t) if p == t => ("100%".to_owned(), "pass"),
            (p, t) => (format!("{:.0}%", 100.0 * p as f64 / t as f64), "fail"),
        };
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td class=\"n\">{p}</td><td class=\"n\">{t}</td><td><span class=\"o {class}\">{rate}</span></td></tr>",
            esc(&req)
        );
    }
    let _ = writeln!(out, "</tbody></table>\n</body></html>");
    out
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_every_markup_character() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
