//! The suite must be able to fail: for each mutant of the reference host, the listed tests must
//! fail. Feature-gated until the reference host has its mutant switches:
//!
//! ```sh
//! HEARTH_HOST_BIN=target/debug/hearth-host cargo test -p hearth-conformance --features mutants
//! ```
//!
//! The host is expected to read the mutant name from `HEARTH_MUTANT` (to be connected by the
//! lead; see `MUTANTS` for the expected names).

#![allow(clippy::panic)]

/// Mutant name -> test IDs (or globs) that must fail against it.
pub const MUTANTS: &[(&str, &[&str])] = &[
    (
        "accept-replay",
        &[
            "host.api.replay.different-bytes",
            "host.api.replay.errors-recorded",
        ],
    ),
    (
        "recompute-retry",
        &[
            "host.api.replay.byte-identical-retry",
            "host.op.member-leave.ok",
        ],
    ),
    (
        "skip-host-binding",
        &[
            "host.api.host-binding.wrong-host",
            "host.api.order.op-before-host",
        ],
    ),
    (
        "skip-freshness",
        &[
            "host.api.freshness.window-edges",
            "host.api.freshness.far-values",
        ],
    ),
    (
        "accept-weak-keys",
        &["host.api.keys.small-order", "host.api.keys.non-canonical"],
    ),
    (
        "accept-noncanonical",
        &[
            "host.wire.noncanonical-head",
            "host.wire.indefinite-length",
            "host.wire.misordered-key",
        ],
    ),
    (
        "lenient-decoder",
        &[
            "host.wire.trailing-bytes",
            "host.wire.unknown-key",
            "host.wire.duplicate-key",
        ],
    ),
    (
        "serve-non-member",
        &["host.api.not-found.uniform", "host.op.member-leave.ok"],
    ),
    (
        "double-redeem",
        &[
            "host.op.invite-redeem.concurrent",
            "host.op.invite-redeem.used",
        ],
    ),
    (
        "accept-stale-epoch",
        &[
            "host.op.commit-post.stale-epoch",
            "host.op.commit-post.concurrent",
            "host.op.msg-post.wrong-epoch",
        ],
    ),
    (
        "break-hash-chain",
        &["host.log.chain", "host.op.channel-create.ok"],
    ),
    (
        "reencode-entries",
        &["host.log.chain", "host.op.msg-post.ok"],
    ),
    ("ignore-max-request", &["host.api.limits.max-request"]),
    ("swap-check-order", &["host.api.order.*"]),
    (
        "no-owner-check",
        &["host.op.channel-create.bad-owner-signature"],
    ),
];

#[test]
fn mutant_table_names_existing_tests() {
    let ids: Vec<&str> = hearth_conformance::suite::all_tests()
        .iter()
        .map(|t| t.id)
        .collect();
    for (m, pats) in MUTANTS {
        for p in *pats {
            assert!(
                ids.iter()
                    .any(|id| hearth_conformance::model::glob_match(p, id)),
                "mutant {m}: `{p}` matches no test"
            );
        }
    }
}

#[cfg(feature = "mutants")]
#[test]
fn every_mutant_is_caught() {
    use hearth_conformance::client::SeededRng;
    use hearth_conformance::model::{glob_match, Outcome};
    use hearth_conformance::suite::{run, RunOptions};
    let index = hearth_conformance::requirements::load(
        &hearth_conformance::requirements::default_spec_dir(),
    )
    .unwrap_or_default();
    let mut missed = Vec::new();
    for (mutant, pats) in MUTANTS {
        std::env::set_var("HEARTH_MUTANT", mutant);
        let owner = SeededRng::new(7).key();
        let Ok(host) = hearth_conformance::bundled::start_bundled_host(&owner) else {
            panic!("cannot start the reference host for mutant {mutant}");
        };
        let opts = RunOptions {
            seed: 7,
            only: pats.iter().map(|p| (*p).to_owned()).collect(),
            ..RunOptions::default()
        };
        let Ok(report) = run(host.target(), &owner, &opts, &index, "mutant", &mut |_| {}) else {
            panic!("harness error for mutant {mutant}");
        };
        for p in *pats {
            let caught = report
                .results
                .iter()
                .any(|r| glob_match(p, &r.id) && r.outcome == Outcome::Fail);
            if !caught {
                missed.push(format!("{mutant}: {p}"));
            }
        }
    }
    std::env::remove_var("HEARTH_MUTANT");
    assert!(missed.is_empty(), "mutants not caught: {missed:?}");
}
