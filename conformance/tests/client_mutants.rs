//! The client suite must be able to fail: for each mutant of the reference client (a
//! deliberately broken variant, `examples/client/src/mutant.rs`), the listed tests must fail and
//! the unmutated client must pass them. The shim is this package's own binary
//! (`hearth-conformance reference-shim`) with `HEARTH_CLIENT_MUTANT` set:
//!
//! ```sh
//! cargo test -p hearth-conformance --features mutants --test client_mutants
//! ```
//!
//! With `HEARTH_MUTANTS_FULL=1` each mutant runs against the whole client suite and every
//! failing test ID is printed (`-- --nocapture`): the way to refresh `CLIENT_MUTANTS`.

#![allow(clippy::panic)]

/// Mutant name -> test IDs (or globs) that must fail against it.
pub const CLIENT_MUTANTS: &[(&str, &[&str])] = &[
    ("accept-rollback", &["client.log.rollback.lower-tip"]),
    ("skip-chain", &["client.log.fork.bad-link-peer-entry"]),
    ("accept-gaps", &["client.log.withheld.gap"]),
    (
        "ignore-prev",
        &[
            "client.log.claim.prev-reordered",
            "client.log.claim.prev-rechained",
            "client.log.claim.prev-unknown-creator",
        ],
    ),
    ("ignore-seen-head", &["client.log.claim.seen-head"]),
    (
        "post-when-frozen",
        &["client.log.rollback.lower-tip", "client.log.fork.bad-link"],
    ),
    (
        "no-commit-report",
        &["client.commit.forged.bad-confirmation-tag"],
    ),
    (
        "admit-anyone-to-a-route",
        &["client.route.announce.by-the-shim"],
    ),
    (
        "show-edits-as-items",
        &[
            "client.msg.edit.shown",
            "client.msg.delete.shown",
            "client.msg.edit.before-target",
        ],
    ),
    ("hide-unsupported", &["client.msg.unknown-type.*"]),
    (
        "admit-before-comparison",
        &["client.sas.inviter.waits-for-confirmation"],
    ),
    (
        "join-before-comparison",
        &["client.sas.joiner.holds-welcome"],
    ),
    ("no-decline-on-mismatch", &["client.sas.inviter.mismatch"]),
    ("no-recovery-commit", &["client.recovery.admin-recovers"]),
    ("send-when-reported", &["client.recovery.hold"]),
    ("send-after-removal", &["client.removal.no-failover"]),
    (
        "no-carry-removal",
        &["client.removal.carried-to-other-routes"],
    ),
];

#[test]
fn client_mutant_table_names_existing_tests() {
    let ids: Vec<&str> = hearth_conformance::client_suite::all_tests()
        .iter()
        .map(|t| t.id)
        .collect();
    for (m, pats) in CLIENT_MUTANTS {
        for p in *pats {
            assert!(
                ids.iter()
                    .any(|id| hearth_conformance::model::glob_match(p, id)),
                "mutant {m}: `{p}` matches no test"
            );
        }
    }
}

#[test]
fn client_mutant_table_matches_the_client() {
    for (name, _) in hearth_client::mutant::ALL {
        assert!(
            CLIENT_MUTANTS.iter().any(|(n, _)| n == name),
            "client mutant {name} has no entry in CLIENT_MUTANTS"
        );
    }
    for (n, _) in CLIENT_MUTANTS {
        assert!(
            hearth_client::mutant::ALL.iter().any(|(m, _)| m == n),
            "CLIENT_MUTANTS names `{n}`, which the client lacks"
        );
    }
}

#[cfg(feature = "mutants")]
fn run_against(mutant: Option<&str>, only: &[&str]) -> hearth_conformance::report::RunReport {
    use hearth_conformance::client_suite::{run, ShimOptions};
    use hearth_conformance::runner::RunOptions;
    let index = hearth_conformance::requirements::load(
        &hearth_conformance::requirements::default_spec_dir(),
    )
    .unwrap_or_default();
    let bin = env!("CARGO_BIN_EXE_hearth-conformance");
    let command = match mutant {
        Some(m) => format!("HEARTH_CLIENT_MUTANT={m} '{bin}' reference-shim"),
        None => format!("'{bin}' reference-shim"),
    };
    let shim = ShimOptions {
        command,
        timeout: std::time::Duration::from_secs(30),
    };
    let opts = RunOptions {
        seed: 7,
        strict: true,
        only: only.iter().map(|p| (*p).to_owned()).collect(),
        ..RunOptions::default()
    };
    run(&shim, &opts, &index, "mutant", &mut |_| {})
        .unwrap_or_else(|e| panic!("harness error against {mutant:?}: {e}"))
}

/// Every listed test fails against its mutant and passes against the reference client.
#[cfg(feature = "mutants")]
#[test]
fn every_client_mutant_is_caught() {
    use hearth_conformance::model::{glob_match, Outcome};
    let full = std::env::var_os("HEARTH_MUTANTS_FULL").is_some();
    let all: Vec<&str> = CLIENT_MUTANTS
        .iter()
        .flat_map(|(_, p)| p.iter().copied())
        .collect();
    let clean = run_against(None, &all);
    let mut problems: Vec<String> = clean
        .results
        .iter()
        .filter(|r| r.outcome != Outcome::Pass)
        .map(|r| format!("the reference client fails {}", r.id))
        .collect();
    for (mutant, pats) in CLIENT_MUTANTS {
        let report = run_against(Some(mutant), if full { &[] } else { pats });
        let failed: Vec<&str> = report
            .results
            .iter()
            .filter(|r| r.outcome == Outcome::Fail)
            .map(|r| r.id.as_str())
            .collect();
        if full {
            println!("{mutant}: {failed:?}");
        }
        for p in *pats {
            if !failed.iter().any(|id| glob_match(p, id)) {
                problems.push(format!("mutant {mutant}: no test matching `{p}` failed"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A fair suite (spec §14.5): every correct variant of the reference client
/// (`hearth_client::mutant::VARIANTS`, a freedom the specification leaves, such as refreshing the
/// routes before `send`, HRT-SHIM-28) passes the whole client suite.
#[cfg(feature = "mutants")]
#[test]
fn every_client_variant_passes() {
    use hearth_conformance::model::Outcome;
    let mut problems = Vec::new();
    for (variant, what) in hearth_client::mutant::VARIANTS {
        let report = run_against(Some(variant), &[]);
        for r in &report.results {
            if r.outcome != Outcome::Pass {
                problems.push(format!(
                    "variant {variant} ({what}): {} {:?}: {}",
                    r.id,
                    r.outcome,
                    r.message.clone().unwrap_or_default()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
