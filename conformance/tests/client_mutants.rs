//! The client suite must be able to fail: for each mutant of the reference client (a
//! deliberately broken variant, `examples/client/src/mutant.rs`), the listed tests must fail and
//! the unmutated client must pass them. The harness does not link the client, so the test
//! builds the reference shim with its mutant switches itself, once, into a target directory of
//! its own (`target/mutant-client`, so that the workspace's build keeps its features), and runs
//! it with `HEARTH_CLIENT_MUTANT` set:
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
    ("keep-join-on-mismatch", &["client.sas.joiner.mismatch"]),
    (
        "no-sas-confirm",
        &[
            "client.sas.inviter.waits-for-confirmation",
            "client.sas.joiner.holds-welcome",
        ],
    ),
    (
        "code-for-a-bad-join",
        &["client.sas.inviter.no-code-for-a-bad-join"],
    ),
    ("no-recovery-commit", &["client.recovery.admin-recovers"]),
    ("send-when-reported", &["client.recovery.hold"]),
    ("send-after-removal", &["client.removal.no-failover"]),
    (
        "no-carry-removal",
        &["client.removal.carried-to-other-routes"],
    ),
    ("no-timed-commit", &["client.duties.weekly-commit"]),
    ("believe-removed", &["client.removal.false-removed"]),
    (
        "ignore-needs-update-flags",
        &["client.join.co-added-needs-update"],
    ),
    ("keep-away-members", &["client.duties.away-member-removed"]),
    ("no-key-rotation", &["client.duties.key-rotation"]),
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

/// The names of the client's mutants (`examples/client/src/mutant.rs`, the `ALL` table) or its
/// correct variants (`VARIANTS`), read from the source: the harness does not link the client.
fn client_table(table: &str) -> Vec<&'static str> {
    const SRC: &str = include_str!("../../examples/client/src/mutant.rs");
    let start = format!("pub const {table}: &[(&str, &str)] = &[");
    let Some(body) = SRC.split_once(start.as_str()).map(|(_, b)| b) else {
        panic!("examples/client/src/mutant.rs has no `{start}`");
    };
    let body = body.split_once("];").map_or(body, |(b, _)| b);
    // The string literals in order (escapes skipped over), two per entry: name, description.
    let mut strings = Vec::new();
    let mut rest = body;
    while let Some((_, after)) = rest.split_once('"') {
        let mut end = None;
        let mut escaped = false;
        for (i, c) in after.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let Some(end) = end else { break };
        strings.push(after.get(..end).unwrap_or_default());
        rest = after.get(end + 1..).unwrap_or_default();
    }
    strings.into_iter().step_by(2).collect()
}

#[test]
fn client_mutant_table_matches_the_client() {
    let all = client_table("ALL");
    assert!(all.len() >= 20, "{all:?}");
    let variants = client_table("VARIANTS");
    assert!(!variants.is_empty(), "no correct variant read");
    let kebab = |n: &&str| {
        !n.is_empty()
            && n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    for n in all.iter().chain(&variants) {
        assert!(
            kebab(n),
            "`{n}` read from mutant.rs is not a variant's name"
        );
    }
    for name in &all {
        assert!(
            CLIENT_MUTANTS.iter().any(|(n, _)| n == name),
            "client mutant {name} has no entry in CLIENT_MUTANTS"
        );
    }
    for (n, _) in CLIENT_MUTANTS {
        assert!(
            all.contains(n),
            "CLIENT_MUTANTS names `{n}`, which the client lacks"
        );
    }
}

/// The reference shim built with the client's `mutants` feature, built once per test run.
#[cfg(feature = "mutants")]
fn mutant_shim() -> &'static std::path::Path {
    static SHIM: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    SHIM.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap_or_else(|| panic!("the harness's manifest directory has no parent"))
            .to_path_buf();
        let target = root.join("target").join("mutant-client");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = std::process::Command::new(&cargo)
            .current_dir(&root)
            .args([
                "build",
                "-q",
                "-p",
                "hearth-client",
                "--features",
                "mutants",
            ])
            .args(["--bin", "hearth-shim", "--target-dir"])
            .arg(&target)
            .status()
            .unwrap_or_else(|e| panic!("cannot run {cargo} to build the mutant shim: {e}"));
        assert!(
            status.success(),
            "building the mutant shim (cargo build -p hearth-client --features mutants \
             --target-dir target/mutant-client) failed: {status}; the client mutants cannot run"
        );
        let shim = target
            .join("debug")
            .join(hearth_conformance::reference_shim::SHIM_BIN);
        assert!(shim.is_file(), "the build left no {}", shim.display());
        shim
    })
}

#[cfg(feature = "mutants")]
fn run_against(mutant: Option<&str>, only: &[&str]) -> hearth_conformance::report::RunReport {
    use hearth_conformance::client_suite::{run, ShimOptions};
    use hearth_conformance::runner::RunOptions;
    let index = hearth_conformance::requirements::load(
        &hearth_conformance::requirements::default_spec_dir(),
    )
    .unwrap_or_default();
    let shim = mutant_shim().display();
    let command = match mutant {
        Some(m) => format!("HEARTH_CLIENT_MUTANT={m} '{shim}'"),
        // The unmutated run goes through `reference-shim`, which finds the shim by its variable.
        None => format!(
            "HEARTH_REFERENCE_SHIM='{shim}' '{}' reference-shim",
            env!("CARGO_BIN_EXE_hearth-conformance")
        ),
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
/// (`VARIANTS` in `examples/client/src/mutant.rs`, a freedom the specification leaves, such as refreshing the
/// routes before `send`, HRT-SHIM-28) passes the whole client suite.
#[cfg(feature = "mutants")]
#[test]
fn every_client_variant_passes() {
    use hearth_conformance::model::Outcome;
    let mut problems = Vec::new();
    for variant in client_table("VARIANTS") {
        let report = run_against(Some(variant), &[]);
        for r in &report.results {
            if r.outcome != Outcome::Pass {
                problems.push(format!(
                    "variant {variant}: {} {:?}: {}",
                    r.id,
                    r.outcome,
                    r.message.clone().unwrap_or_default()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
