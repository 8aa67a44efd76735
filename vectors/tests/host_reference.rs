//! Cross-checks `vectors/host_verdict.json` against the reference host (`examples/host`):
//! every case that the host answers within check-order steps 2 to 9 (spec §8.3.2, no storage
//! involved) must get exactly the vector's status and detail from `Host::prepare`, and every
//! case the vector answers at a later step must pass steps 2 to 9 there.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{SystemTime, UNIX_EPOCH};

use hearth_host::config::Config;
use hearth_host::handler::{Host, Prepared};
use hearth_wire::request::Response;
use hearth_wire::WireDecode;
use serde_json::Value;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The host's answer within steps 2 to 9: `Some((status, detail))`, or `None` if it passes.
fn prepare(cfg: &Value, raw: &[u8]) -> Option<(u16, Option<u16>)> {
    let dir = std::env::temp_dir();
    for _ in 0..5 {
        let before = secs();
        let now = cfg["now"].as_i64().unwrap();
        let text = format!(
            "host_url = {:?}\ndata_dir = {:?}\n[limits]\nmax_request = {}\nmax_log_page = {}\n[testing]\nclock_offset = {}\n",
            cfg["host_url"].as_str().unwrap(),
            dir.display().to_string(),
            cfg["max_request"].as_u64().unwrap(),
            cfg["max_log_page"].as_u64().unwrap(),
            now - before,
        );
        let host = Host::new(Config::parse(&text, &dir).unwrap()).unwrap();
        let out = match host.prepare(raw.to_vec()) {
            Prepared::Done(resp) => {
                let r = Response::decode(&resp).unwrap();
                Some((r.status.0, r.detail.map(|d| d.0)))
            }
            Prepared::Job(_) => None,
        };
        if secs() == before {
            return out;
        }
    }
    panic!("the clock kept ticking during prepare");
}

#[test]
fn reference_host_agrees_on_steps_2_to_9() {
    std::env::remove_var(hearth_host::clock::OFFSET_ENV);
    let path = hearth_vectors::workspace_root().join("vectors/host_verdict.json");
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let early = [5u64, 6, 13, 15, 3, 4, 17];
    let mut checked = 0;
    for c in v["cases"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let raw = unhex(c["inputs"]["request"].as_str().unwrap());
        let got = prepare(&c["inputs"]["config"], &raw);
        let want = c.get("error").map(|e| {
            (
                e["status"]["code"].as_u64().unwrap(),
                e["detail"]["code"].as_u64(),
            )
        });
        match (want, got) {
            (Some((s, d)), Some((gs, gd))) => {
                assert_eq!((u64::from(gs), gd.map(u64::from)), (s, d), "{id}");
            }
            (Some((s, d)), None) => {
                // Answered later than step 9 by the vector: not an early status, and for
                // malformed/noncanonical only body-level details.
                assert!(
                    !early.contains(&s),
                    "{id}: the host passed steps 2 to 9, the vector says {s}/{d:?}"
                );
                assert!(matches!(s, 1 | 7 | 8), "{id}: unexpected late status {s}");
            }
            (None, Some(g)) => {
                panic!("{id}: valid in the vector, the host answered {g:?} at steps 2 to 9")
            }
            (None, None) => {}
        }
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} host cases");
}

/// Every response byte string the file stores (the nonce store's `response` and the expected
/// `response` of a byte-identical retry) is one valid hCBOR `Response` (spec §8.4), whose result
/// decodes as the `LogFetchResult` of its op, so an implementer who decodes them can.
#[test]
fn stored_responses_are_valid_responses() {
    let path = hearth_vectors::workspace_root().join("vectors/host_verdict.json");
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut seen = 0;
    for c in v["cases"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let stored = c["inputs"]["config"]["nonce_store"].as_array().unwrap();
        let mut all: Vec<&str> = stored
            .iter()
            .map(|e| e["response"].as_str().unwrap())
            .collect();
        if let Some(r) = c.get("output").and_then(|e| e.get("response")) {
            all.push(r.as_str().unwrap());
        }
        for hex in all {
            let r = Response::decode(&unhex(hex))
                .unwrap_or_else(|e| panic!("{id}: stored response does not decode: {e:?}"));
            let result: Option<hearth_wire::request::LogFetchResult> = r
                .result_as()
                .unwrap_or_else(|e| panic!("{id}: result is no LogFetchResult: {e:?}"));
            assert!(result.is_some(), "{id}: an ok Response without a result");
            seen += 1;
        }
    }
    assert!(seen > 1, "no stored response checked");
}
