//! A fair suite (spec §14.5): a correct host passes whatever choice the specification leaves to
//! it. Here the reference host returns one log entry per page (`[log] page_bytes = 1`, allowed
//! by HRT-LOG-11), and the whole suite runs twice with the same seed against the same host and
//! database, as a reproduce command does against a host that keeps its data.

#![allow(clippy::panic)]

use hearth_conformance::bundled::start_bundled_with;
use hearth_conformance::client::SeededRng;
use hearth_conformance::model::Outcome;
use hearth_conformance::report::RunReport;
use hearth_conformance::runner::RunOptions;
use hearth_conformance::suite::run;

fn problems(report: &RunReport) -> Vec<String> {
    report
        .results
        .iter()
        .filter(|r| !matches!(r.outcome, Outcome::Pass))
        .map(|r| {
            format!(
                "{} {:?}: {}",
                r.id,
                r.outcome,
                r.message.clone().unwrap_or_default()
            )
        })
        .collect()
}

#[test]
fn one_entry_per_page_and_the_same_seed_twice_on_one_database() {
    let index = hearth_conformance::requirements::load(
        &hearth_conformance::requirements::default_spec_dir(),
    )
    .unwrap_or_default();
    let owner = SeededRng::new(11).key();
    let host = start_bundled_with(&owner, "\n[log]\npage_bytes = 1\n")
        .unwrap_or_else(|e| panic!("cannot start the reference host: {e}"));
    let opts = RunOptions {
        seed: 11,
        ..RunOptions::default()
    };
    for attempt in ["first", "second"] {
        let report = run(host.target(), &owner, &opts, &index, "fair", &mut |_| {})
            .unwrap_or_else(|e| panic!("{attempt} run: harness error: {e}"));
        let bad = problems(&report);
        assert!(
            bad.is_empty() && report.exit_code == 0,
            "{attempt} run with seed 11 against one database, one entry per page: {bad:#?}"
        );
    }
}
