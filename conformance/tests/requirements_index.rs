//! The requirement index must be consistent and `spec/requirements.json` must match the
//! Markdown exactly (spec §14.6). Regenerate with
//! `cargo run -p hearth-conformance -- requirements --write`.

#![allow(clippy::panic)]

use hearth_conformance::requirements::{default_spec_dir, load};

#[test]
fn spec_is_consistent_and_index_is_current() {
    let dir = default_spec_dir();
    let index = match load(&dir) {
        Ok(i) => i,
        Err(errors) => {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            panic!("{} problem(s) in spec/:\n{}", errors.len(), text.join("\n"));
        }
    };
    assert!(
        !index.requirements.is_empty(),
        "no requirement found in spec/"
    );
    let committed = std::fs::read_to_string(dir.join("requirements.json")).unwrap_or_default();
    assert!(
        committed == index.to_json(),
        "spec/requirements.json is out of date: run `cargo run -p hearth-conformance -- requirements --write`"
    );
}
