//! Snapshots of every report format for a fixed fake run.

use hearth_conformance::model::{Level, Outcome};
use hearth_conformance::report::{self, ExchangeReport, RunReport, TestReport};

fn fake_run() -> RunReport {
    let t = |id: &str, reqs: &[&str], outcome: Outcome, msg: Option<&str>| TestReport {
        id: id.into(),
        title: "title".into(),
        level: Level::Must,
        requirements: reqs.iter().map(|s| (*s).to_owned()).collect(),
        outcome,
        message: msg.map(str::to_owned),
        expectation: None,
        unexpected_pass: false,
        reproduce: format!(
            "hearth-conformance host --url http://127.0.0.1:8080/ --only {id} --seed 42"
        ),
        duration_ms: 3,
        attempts: 1,
        exchanges: Vec::new(),
    };
    let mut fail = t(
        "host.api.replay.different-bytes",
        &["HRT-API-27"],
        Outcome::Fail,
        Some("expected status replay (7) detail none, got status ok (0) detail none"),
    );
    fail.exchanges.push(ExchangeReport {
        request_line: "POST application/cbor".into(),
        request_len: 1,
        request_hex: "a0".into(),
        request_diag: "{}".into(),
        response_line: "HTTP 200 application/cbor".into(),
        response_hex: "a3010102000301".into(),
        response_diag: "{1: 1, 2: 0, 3: 1}".into(),
    });
    let mut xfail = t(
        "host.wire.depth",
        &["HRT-WIRE-9"],
        Outcome::SkippedByExpectation,
        None,
    );
    xfail.expectation = Some("xfail: known bug #12".into());
    let mut surprise = t(
        "host.op.log-fetch.page-bound",
        &["HRT-LOG-46", "HRT-API-10", "HRT-API-9"],
        Outcome::Pass,
        None,
    );
    surprise.expectation = Some("xfail: pages over 1 MiB".into());
    surprise.unexpected_pass = true;
    RunReport {
        tool: "hearth-conformance 0.1.0".into(),
        seed: 42,
        target: "--url http://127.0.0.1:8080/".into(),
        host_url: "http://127.0.0.1:8080/".into(),
        strict: false,
        duration_ms: 1234,
        exit_code: 1,
        not_selected: 2,
        stale_expectations: vec!["host.old.*".into()],
        results: vec![
            t(
                "host.api.transport.get-info",
                &["HRT-API-2", "HRT-API-5"],
                Outcome::Pass,
                None,
            ),
            fail,
            t(
                "host.op.blob.max-blobs",
                &["HRT-OP-56"],
                Outcome::NotApplicable,
                Some("max_blobs 4096 too large"),
            ),
            xfail,
            surprise,
        ],
    }
}

#[test]
fn human() {
    insta::assert_snapshot!(report::human(&fake_run()));
}

#[test]
fn json() {
    insta::assert_snapshot!(report::json(&fake_run()));
}

#[test]
fn junit() {
    insta::assert_snapshot!(report::junit(&fake_run()));
}

#[test]
fn markdown() {
    insta::assert_snapshot!(report::markdown(&fake_run()));
}

#[test]
fn html() {
    insta::assert_snapshot!(report::html(&fake_run()));
}

#[test]
fn requirements_are_ordered_by_area_and_number() {
    let order: Vec<String> = fake_run()
        .per_requirement()
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    assert_eq!(
        order,
        [
            "HRT-API-2",
            "HRT-API-5",
            "HRT-API-9",
            "HRT-API-10",
            "HRT-API-27",
            "HRT-LOG-46",
            "HRT-OP-56",
            "HRT-WIRE-9"
        ]
    );
}

#[test]
fn junit_states_unexpected_passes_and_stale_expectations() {
    let x = report::junit(&fake_run());
    assert!(x.contains("<property name=\"unexpected_pass\" value=\"true\"/>"));
    assert!(x.contains("<property name=\"stale_expectation\" value=\"host.old.*\"/>"));
    assert!(x.contains("stale expectation `host.old.*` matches no test"));
}

/// The JSON report against `conformance/report.schema.json`: every member the schema requires
/// is present with its type, and every member present is one the schema declares (so the
/// schema documents the whole format). A validator for the subset of JSON Schema 2020-12 the
/// schema uses: type, const, enum, required, properties, items, $ref, minimum, and its one
/// pattern (a requirement ID), checked as such.
#[test]
fn json_follows_its_schema() -> Result<(), serde_json::Error> {
    let schema: serde_json::Value = serde_json::from_str(include_str!("../report.schema.json"))?;
    let report: serde_json::Value = serde_json::from_str(&report::json(&fake_run()))?;
    let mut errors = Vec::new();
    check(&schema, &schema, &report, "$", &mut errors);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert_eq!(
        report
            .get("format_version")
            .and_then(serde_json::Value::as_u64),
        Some(u64::from(report::FORMAT_VERSION))
    );
    Ok(())
}

fn check(
    root: &serde_json::Value,
    s: &serde_json::Value,
    v: &serde_json::Value,
    at: &str,
    errors: &mut Vec<String>,
) {
    use serde_json::Value;
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/$defs/");
        match root.get("$defs").and_then(|d| d.get(name)) {
            Some(def) => return check(root, def, v, at, errors),
            None => return errors.push(format!("{at}: no definition {r}")),
        }
    }
    if let Some(c) = s.get("const") {
        if c != v {
            errors.push(format!("{at}: {v} is not {c}"));
        }
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            errors.push(format!("{at}: {v} is not one of {e:?}"));
        }
    }
    if let Some(t) = s.get("type") {
        let types: Vec<&str> = match t {
            Value::String(x) => vec![x.as_str()],
            Value::Array(xs) => xs.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_u64() || v.is_i64(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            _ => false,
        });
        if !ok {
            errors.push(format!("{at}: {v} is not of type {types:?}"));
        }
    }
    if let (Some(min), Some(n)) = (s.get("minimum").and_then(Value::as_u64), v.as_u64()) {
        if n < min {
            errors.push(format!("{at}: {n} < {min}"));
        }
    }
    if s.get("pattern").is_some() {
        let ok = v.as_str().is_some_and(|x| {
            let mut parts = x.split('-');
            parts.next() == Some("HRT")
                && parts
                    .next()
                    .is_some_and(|a| !a.is_empty() && a.bytes().all(|b| b.is_ascii_uppercase()))
                && parts
                    .next()
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                && parts.next().is_none()
        });
        if !ok {
            errors.push(format!("{at}: {v} is not a requirement ID"));
        }
    }
    if let Some(obj) = v.as_object() {
        let props = s.get("properties").and_then(Value::as_object);
        for r in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(k) = r.as_str() {
                if !obj.contains_key(k) {
                    errors.push(format!("{at}: missing required member {k}"));
                }
            }
        }
        for (k, val) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(ps) => check(root, ps, val, &format!("{at}.{k}"), errors),
                None => errors.push(format!("{at}: member {k} is not in the schema")),
            }
        }
    }
    if let (Some(items), Some(arr)) = (s.get("items"), v.as_array()) {
        for (i, x) in arr.iter().enumerate() {
            check(root, items, x, &format!("{at}[{i}]"), errors);
        }
    }
}
