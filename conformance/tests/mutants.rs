//! The suite must be able to fail: for each mutant of the reference host (a deliberately broken
//! variant, `examples/host/src/mutant.rs`), the listed tests must fail, the run must exit 1, and
//! the unmutated host must pass everything. The hosts run in this process (the bundled host,
//! `[testing] mutant = "NAME"` in its configuration), so no binary is needed:
//!
//! ```sh
//! cargo test -p hearth-conformance --features mutants
//! ```
//!
//! With `HEARTH_MUTANTS_FULL=1` each mutant runs against the whole suite instead of its listed
//! tests, and every failing test ID is printed (`-- --nocapture`): the way to refresh `MUTANTS`.

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
            "host.api.order.host-before-time",
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
        &[
            "host.api.keys.small-order",
            "host.api.keys.non-canonical",
            "host.ed25519.signature.must-reject",
        ],
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
        &[
            "host.api.not-found.uniform",
            "host.op.member-leave.ok",
            "host.authz.log-fetch",
        ],
    ),
    (
        "non-uniform-not-found",
        &["host.api.not-found.uniform", "host.authz.msg-post"],
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
    (
        "size-after-body",
        &["host.api.limits.too-large-before-body"],
    ),
    ("swap-check-order", &["host.api.order.*"]),
    (
        "no-owner-check",
        &["host.op.channel-create.bad-owner-signature"],
    ),
    (
        "record-everything",
        &[
            "host.api.nonce.stranger-not-recorded",
            "host.api.nonce.stranger-retry-fresh",
            "host.api.nonce.reads-not-recorded",
        ],
    ),
    (
        "forget-removed",
        &[
            "host.member.removed.status",
            "host.member.removed.log-prefix",
            "host.authz.blob-put",
            "host.authz.log-fetch",
        ],
    ),
    (
        "keep-creator-mark",
        &[
            "host.member.creator.removable",
            "host.member.delete.admin-right",
            "host.member.leave.last-admin",
        ],
    ),
    (
        "keep-left-members",
        &["host.member.left.removed-by-next-commit"],
    ),
    ("ignore-recover", &["host.member.recovery.accepted"]),
    (
        "lenient-rotate",
        &[
            "host.member.removed.rotate-known",
            "host.member.rotate.bad-signature-wins",
        ],
    ),
    ("unbounded-page", &["host.log.page-bytes"]),
    (
        "ignore-suite-sizes",
        &[
            "host.suite.suite-1-wrong-sizes",
            "host.suite.suite-2-wrong-sizes",
        ],
    ),
];

/// Variants of the reference host that are not violations and must pass the whole suite: the
/// strictest Ed25519 verifier a host may use (spec §3.5.5).
pub const CONFORMING_VARIANTS: &[&str] = &["strict-verifier"];

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

/// Tests that every mutant must still pass: the mutant host is otherwise a working host.
#[cfg(feature = "mutants")]
const SANITY: &[&str] = &["host.api.transport.get-info", "host.op.blob.roundtrip"];

#[cfg(feature = "mutants")]
const SEED: u64 = 7;

/// Runs the suite (the tests matching `only`, all when empty) against a fresh bundled host
/// running as `mutant` (none: the unmutated host).
#[cfg(feature = "mutants")]
fn run_against(mutant: Option<&str>, only: &[&str]) -> hearth_conformance::report::RunReport {
    use hearth_conformance::bundled::{start_bundled_host, start_bundled_mutant};
    use hearth_conformance::client::SeededRng;
    use hearth_conformance::runner::RunOptions;
    use hearth_conformance::suite::run;
    let index = hearth_conformance::requirements::load(
        &hearth_conformance::requirements::default_spec_dir(),
    )
    .unwrap_or_default();
    let name = mutant.unwrap_or("(none)");
    let owner = SeededRng::new(SEED).key();
    let host = match mutant {
        Some(m) => start_bundled_mutant(&owner, m),
        None => start_bundled_host(&owner),
    };
    let host = host.unwrap_or_else(|e| panic!("cannot start the reference host as {name}: {e}"));
    let opts = RunOptions {
        seed: SEED,
        only: only.iter().map(|p| (*p).to_owned()).collect(),
        ..RunOptions::default()
    };
    run(host.target(), &owner, &opts, &index, "mutant", &mut |_| {})
        .unwrap_or_else(|e| panic!("harness error against {name}: {e}"))
}

#[cfg(feature = "mutants")]
fn failed(report: &hearth_conformance::report::RunReport) -> Vec<String> {
    report
        .results
        .iter()
        .filter(|r| r.outcome == hearth_conformance::model::Outcome::Fail)
        .map(|r| r.id.clone())
        .collect()
}

#[cfg(feature = "mutants")]
#[test]
fn mutant_table_matches_the_host() {
    use hearth_host::mutant::Mutant;
    for m in Mutant::ALL {
        assert!(
            MUTANTS.iter().any(|(n, _)| *n == m.name()) || CONFORMING_VARIANTS.contains(&m.name()),
            "host mutant {} has no entry in MUTANTS",
            m.name()
        );
    }
    for (n, _) in MUTANTS {
        assert!(
            Mutant::from_name(n).is_some(),
            "MUTANTS names `{n}`, which the host lacks"
        );
    }
}

/// (a) every listed test fails against its mutant, (b) the run exits 1, and the sanity tests
/// still pass. The mutants run in parallel, each against its own host.
#[cfg(feature = "mutants")]
#[test]
fn every_mutant_is_caught() {
    use hearth_conformance::model::{glob_match, Outcome};
    let full = std::env::var_os("HEARTH_MUTANTS_FULL").is_some();
    let problems: Vec<String> = std::thread::scope(|sc| {
        let handles: Vec<_> = MUTANTS
            .iter()
            .map(|(mutant, pats)| {
                sc.spawn(move || {
                    let mut only: Vec<&str> = pats.to_vec();
                    only.extend_from_slice(SANITY);
                    let report = run_against(Some(mutant), if full { &[] } else { &only });
                    let mut problems = Vec::new();
                    if full {
                        println!("{mutant}: {}", failed(&report).join(" "));
                    }
                    for p in *pats {
                        let caught = report
                            .results
                            .iter()
                            .any(|r| glob_match(p, &r.id) && r.outcome == Outcome::Fail);
                        if !caught {
                            problems.push(format!("{mutant}: `{p}` did not fail"));
                        }
                    }
                    for id in SANITY {
                        let ok = report
                            .results
                            .iter()
                            .any(|r| r.id == *id && r.outcome == Outcome::Pass);
                        if !ok {
                            problems.push(format!("{mutant}: sanity test {id} did not pass"));
                        }
                    }
                    if report.exit_code != 1 {
                        problems.push(format!("{mutant}: exit code {}, not 1", report.exit_code));
                    }
                    problems
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|_| vec!["a mutant run panicked".into()])
            })
            .collect()
    });
    assert!(problems.is_empty(), "mutants not caught: {problems:#?}");
}

/// (d) a host that rejects every signature and key with a mixed-order component, as a host on
/// libsodium does (spec §3.5.5), passes the whole suite.
#[cfg(feature = "mutants")]
#[test]
fn conforming_variants_pass() {
    for v in CONFORMING_VARIANTS {
        let report = run_against(Some(v), &[]);
        assert_eq!(
            (failed(&report), report.exit_code),
            (Vec::<String>::new(), 0),
            "the conforming variant {v} failed"
        );
    }
}

/// (c) the unmutated host passes the whole suite and the run exits 0.
#[cfg(feature = "mutants")]
#[test]
fn unmutated_host_passes() {
    let report = run_against(None, &[]);
    assert_eq!(
        (failed(&report), report.exit_code),
        (Vec::<String>::new(), 0),
        "the unmutated reference host failed"
    );
}
