//! Checks of the committed vectors: JSON Schema per file, MANIFEST hashes, regeneration
//! (no drift, including the worked example), negative-case counts, requirement IDs and the
//! informative wording of the worked example.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;

fn root() -> PathBuf {
    hearth_vectors::workspace_root()
}

fn vector_files() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(root().join("vectors")).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".json") {
            let v: Value = serde_json::from_slice(&std::fs::read(e.path()).unwrap()).unwrap();
            out.push((name, v));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(
        out.len() >= 14,
        "expected every family file, found {}",
        out.len()
    );
    out
}

#[test]
fn every_file_matches_its_schema() {
    for (name, v) in vector_files() {
        let family = v["family"].as_str().unwrap();
        let path = root().join(format!("vectors/schema/{family}.schema.json"));
        let schema: Value = serde_json::from_slice(
            &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        )
        .unwrap();
        assert_eq!(schema["$id"], v["schema"], "{name}: schema id");
        let validator =
            jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{family} schema: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(&v)
            .take(5)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{name} violates its schema: {errors:#?}");
    }
}

#[test]
fn manifest_pins_every_file() {
    let text = std::fs::read_to_string(root().join("vectors/MANIFEST")).unwrap();
    let mut listed = BTreeSet::new();
    let mut prev = String::new();
    for line in text.lines() {
        let (hash, name) = line
            .split_once("  ")
            .expect("sha256sum format: <hash>  <path>");
        assert_eq!(hash.len(), 64, "{line}");
        assert!(name > prev.as_str(), "MANIFEST is sorted by path");
        prev = name.to_owned();
        let bytes = std::fs::read(root().join("vectors").join(name)).unwrap();
        assert_eq!(
            hearth_vectors::sha256_hex(&bytes),
            hash,
            "{name}: SHA-256 differs from MANIFEST"
        );
        listed.insert(name.to_owned());
    }
    let files: BTreeSet<String> = vector_files().into_iter().map(|f| f.0).collect();
    assert_eq!(listed, files, "MANIFEST lists exactly the vector files");
    // The specification cites the MANIFEST's own hash (§14.2).
    let spec = std::fs::read_to_string(root().join("spec/14-conformance.md")).unwrap();
    let h = hearth_vectors::sha256_hex(text.as_bytes());
    assert!(
        spec.contains(&format!("`{h}`")),
        "spec/14-conformance.md does not cite the MANIFEST hash {h}"
    );
}

#[test]
fn regeneration_has_no_drift() {
    let outputs = hearth_vectors::outputs().unwrap();
    let drift = hearth_vectors::drift(&root(), &outputs);
    assert!(
        drift.is_empty(),
        "regenerated files differ: {drift:?}; run `cargo run -p hearth-vectors --bin generate`"
    );
    // Deterministic: a second run is byte-identical.
    let again = hearth_vectors::outputs().unwrap();
    for (a, b) in outputs.iter().zip(again.iter()) {
        assert_eq!(a.bytes, b.bytes, "{} is not deterministic", a.path);
    }
}

#[test]
fn negatives_and_requirements() {
    let reqs: Value =
        serde_json::from_slice(&std::fs::read(root().join("spec/requirements.json")).unwrap())
            .unwrap();
    let known: BTreeSet<String> = reqs["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    let mut ids = BTreeSet::new();
    let (mut pos_all, mut neg_all) = (0usize, 0usize);
    for (name, v) in vector_files() {
        let cases = v["cases"].as_array().unwrap();
        let neg = cases.iter().filter(|c| c["result"] == "invalid").count();
        let pos = cases.len() - neg;
        assert_eq!(v["positive_cases"].as_u64(), Some(pos as u64), "{name}");
        assert_eq!(v["negative_cases"].as_u64(), Some(neg as u64), "{name}");
        // Every file that exercises a decoder or a verifier (all but the ratchet derivation, and
        // the accumulated vectors, whose wire case holds both verdicts and counts them: §14.2.1).
        if v["family"] == "accumulated" {
            let wire = cases
                .iter()
                .find(|c| c["id"] == "accumulated-wire")
                .unwrap();
            let (acc, rej) = (&wire["output"]["accepted"], &wire["output"]["rejected"]);
            assert!(
                rej.as_u64() >= acc.as_u64(),
                "{name}: fewer rejected than accepted inputs"
            );
        } else if v["family"] != "ratchet" {
            assert!(neg >= pos, "{name}: {neg} negative < {pos} positive cases");
        }
        pos_all += pos;
        neg_all += neg;
        for c in cases {
            let id = c["id"].as_str().unwrap().to_owned();
            assert!(ids.insert(id.clone()), "case id {id} is not unique");
            for r in c["requirements"].as_array().unwrap() {
                let r = r.as_str().unwrap();
                assert!(known.contains(r), "{id}: unknown requirement {r}");
            }
            if let Some(e) = c.get("error") {
                let code = e["status"]["code"].as_u64().unwrap();
                assert!(code > 0 && code < 128, "{id}: status must be a status code");
                if let Some(d) = e["detail"].as_object() {
                    assert!(
                        d["code"].as_u64().unwrap() >= 128,
                        "{id}: detail must be a detail code"
                    );
                }
            }
        }
    }
    assert!(
        neg_all >= pos_all,
        "overall {neg_all} negative < {pos_all} positive"
    );
}

#[test]
fn worked_example_is_informative() {
    let text = std::fs::read_to_string(root().join("spec/90-worked-example.md")).unwrap();
    for w in [
        "MUST",
        "SHALL",
        "SHOULD",
        "REQUIRED",
        "RECOMMENDED",
        "MAY",
        "OPTIONAL",
    ] {
        let hit = text
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .any(|t| t == w);
        assert!(!hit, "the worked example uses the BCP 14 keyword {w}");
    }
    assert!(text.contains("(informative)"));
}

/// The rule names `spec/hearth.cddl` defines: every line `name = ...` outside comments.
fn cddl_rule_names() -> BTreeSet<String> {
    let text = std::fs::read_to_string(root().join("spec/hearth.cddl")).unwrap();
    text.lines()
        .filter_map(|l| {
            let l = l.split(';').next().unwrap_or("");
            let (name, _) = l.split_once('=')?;
            let name = name.trim();
            let ok = !name.is_empty()
                && !l.starts_with(char::is_whitespace)
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            ok.then(|| name.to_owned())
        })
        .collect()
}

/// Every rule name a vector names (`inputs.rule` of the wire and structures families) and
/// every decode entry point of the wire crate is a rule of `spec/hearth.cddl`, so that an
/// implementation written from the spec can look each one up (issue: `AppendResult`, `Empty`).
#[test]
fn every_rule_name_is_defined_in_the_cddl() {
    let rules = cddl_rule_names();
    assert!(
        rules.contains("SignedRequest") && rules.contains("ext"),
        "{rules:?}"
    );
    let mut used = BTreeSet::new();
    for (file, v) in vector_files() {
        for c in v["cases"].as_array().unwrap() {
            if let Some(r) = c["inputs"].get("rule").and_then(Value::as_str) {
                used.insert((file.clone(), r.to_owned()));
            }
        }
    }
    assert!(used.len() > 30, "too few rule names found: {used:?}");
    let missing: Vec<_> = used.iter().filter(|(_, r)| !rules.contains(r)).collect();
    assert!(missing.is_empty(), "rules not in hearth.cddl: {missing:?}");
    for e in hearth_wire::entry::ENTRY_POINTS {
        assert!(
            rules.contains(e.name),
            "entry point {} is not a rule of hearth.cddl",
            e.name
        );
    }
}
