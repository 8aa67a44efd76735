//! CI check (spec §14.6): every mandatory, host-observable host duty has a test or a reviewed
//! exemption; every requirement a test cites exists; test IDs are unique and never reuse a
//! retired ID.

#![allow(clippy::panic)]

use std::collections::BTreeSet;

use hearth_conformance::coverage::{needs_host_test, uncovered, EXEMPT};
use hearth_conformance::model::RETIRED;
use hearth_conformance::requirements::{default_spec_dir, load};
use hearth_conformance::suite::all_tests;

#[test]
fn every_mandatory_host_requirement_has_a_test() {
    let Ok(index) = load(&default_spec_dir()) else {
        panic!("spec/ does not load; see tests/requirements_index.rs");
    };
    let missing = uncovered(&index);
    assert!(
        missing.is_empty(),
        "mandatory host requirements without a test or exemption: {missing:?}"
    );
    for (id, reason) in EXEMPT {
        let r = index.get(id);
        assert!(
            r.is_some_and(needs_host_test),
            "exemption {id} is not a mandatory observable host requirement"
        );
        assert!(!reason.trim().is_empty(), "exemption {id} has no reason");
    }
}

#[test]
fn tests_cite_existing_requirements_and_ids_are_unique() {
    let Ok(index) = load(&default_spec_dir()) else {
        panic!("spec/ does not load");
    };
    let mut ids = BTreeSet::new();
    for t in all_tests() {
        assert!(ids.insert(t.id), "duplicate test ID {}", t.id);
        assert!(t.id.starts_with("host."), "{}", t.id);
        assert!(
            !RETIRED.iter().any(|(r, _)| *r == t.id),
            "{} reuses a retired ID",
            t.id
        );
        assert!(!t.requirements.is_empty(), "{} cites no requirement", t.id);
        for r in t.requirements {
            assert!(
                index.get(r).is_some(),
                "{} cites unknown requirement {r}",
                t.id
            );
        }
    }
}
