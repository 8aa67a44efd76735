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
