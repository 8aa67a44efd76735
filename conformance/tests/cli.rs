//! The command line of `hearth-conformance` as built: `--help` on every subcommand,
//! `--version`, argument errors that name the argument with the harness-error exit code
//! (spec §14.5: 2, "bad arguments"), and the main job taking the host suite's options. The
//! help text is a snapshot, so that a change to it is reviewed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use support::cli::{assert_refused, assert_version, help_book, run};

const BIN: &str = env!("CARGO_BIN_EXE_hearth-conformance");

/// Spec §14.5: the exit code of a harness error, bad arguments among them.
const HARNESS: i32 = hearth_conformance::model::exit::HARNESS as i32;

#[test]
fn help_on_every_subcommand() {
    let (book, subs) = help_book(BIN, "hearth-conformance");
    assert_eq!(
        subs,
        [
            "host",
            "client",
            "keygen",
            "reference-shim",
            "requirements",
            "completions"
        ]
    );
    // The exit codes of §14.5 are in the help of the commands that run a suite.
    for section in [
        "$ hearth-conformance --help",
        "$ hearth-conformance host",
        "$ hearth-conformance client",
    ] {
        let text = book
            .split(section)
            .nth(1)
            .unwrap()
            .split("\n$ ")
            .next()
            .unwrap();
        assert!(text.contains("Exit codes (spec §14.5)"), "{section}");
    }
    insta::assert_snapshot!("conformance_help", book);
}

#[test]
fn version_and_argument_errors() {
    assert_version(BIN, "hearth-conformance");
    assert_eq!(HARNESS, 2);
    assert_refused(BIN, &["--bogus"], HARNESS, "'--bogus'");
    assert_refused(BIN, &["frobnicate"], HARNESS, "'frobnicate'");
    assert_refused(BIN, &["host", "--bogus"], HARNESS, "'--bogus'");
    assert_refused(BIN, &["host", "--seed", "x"], HARNESS, "--seed");
    assert_refused(BIN, &["host", "--format", "xml"], HARNESS, "--format");
    assert_refused(BIN, &["host", "--cgi-env", "A"], HARNESS, "--cgi-env");
    assert_refused(BIN, &["host", "--cgi-env", "A=B"], HARNESS, "--cgi");
    assert_refused(BIN, &["client"], HARNESS, "--shim");
    assert_refused(
        BIN,
        &["client", "--shim", "x", "--url", "u"],
        HARNESS,
        "'--url'",
    );
    for bad in ["0", "-1", "nan", "inf", "soon"] {
        let args = ["client", "--shim", "x", "--shim-timeout", bad];
        assert_refused(BIN, &args, HARNESS, "--shim-timeout");
    }
    assert_refused(BIN, &["keygen", "--out"], HARNESS, "--out");
    assert_refused(BIN, &["requirements", "--bogus"], HARNESS, "'--bogus'");
    assert_refused(
        BIN,
        &["requirements", "--json", "--write"],
        HARNESS,
        "--write",
    );
    // The target options belong to `host`, not to the main job.
    assert_refused(BIN, &["--url", "http://127.0.0.1:9/"], HARNESS, "'--url'");
    // Options of the main job do not combine with a subcommand.
    assert_refused(BIN, &["--format", "json", "host"], HARNESS, "host");
}

/// `--list` of the main job, of `host` and of `client`: the tests, one per line, exit 0.
#[test]
fn list_at_top_level_and_in_each_suite() {
    let main = run(BIN, &["--format", "json", "--list"]);
    assert_eq!(main.code, 0, "{}", main.stderr);
    let host = run(BIN, &["host", "--list"]);
    assert_eq!(host.stdout, main.stdout);
    assert!(main.stdout.starts_with("host."), "{}", main.stdout);
    let client = run(BIN, &["client", "--list"]);
    assert_eq!(client.code, 0, "{}", client.stderr);
    assert!(client.stdout.starts_with("client."), "{}", client.stdout);
}

/// The main job with host-suite options: the bundled reference host, one test, a JSON report
/// on standard output and nothing else there.
#[test]
fn main_job_takes_host_suite_options() {
    let r = run(
        BIN,
        &[
            "--format",
            "json",
            "--seed",
            "7",
            "--only",
            "host.api.transport.get-info",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(report["seed"], 7, "{report}");
    let text = r.stdout;
    assert!(text.contains("host.api.transport.get-info"), "{text}");
    assert!(
        !text.contains("host.api.transport.get-info-without-accept"),
        "{text}"
    );
}

#[test]
fn completions() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let r = run(BIN, &["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        assert!(r.stdout.contains("hearth-conformance"), "{shell}");
    }
    let r = run(BIN, &["completions", "bash"]);
    assert!(r.stdout.contains("--shim-timeout") && r.stdout.contains("--cgi-env"));
}

/// `reference-shim` runs the shim that `$HEARTH_REFERENCE_SHIM` names (or the `hearth-shim` next
/// to the harness) with its exit code; a missing one is named in a sentence, as a harness error.
#[test]
fn reference_shim_is_found_or_named() {
    use support::cli::run_with;
    let dir = std::env::temp_dir();
    let missing = dir.join("hearth-no-such-shim");
    let r = run_with(
        BIN,
        &dir,
        &[("HEARTH_REFERENCE_SHIM", missing.to_str().unwrap())],
        &["reference-shim"],
    );
    assert_eq!(r.code, HARNESS, "{}", r.stderr);
    assert!(
        r.stderr.contains("HEARTH_REFERENCE_SHIM names") && r.stderr.contains("not a file"),
        "{}",
        r.stderr
    );
    for (shim, code) in [("/bin/true", 0), ("/bin/false", 1)] {
        if std::path::Path::new(shim).is_file() {
            let r = run_with(
                BIN,
                &dir,
                &[("HEARTH_REFERENCE_SHIM", shim)],
                &["reference-shim"],
            );
            assert_eq!(r.code, code, "{shim}: {}", r.stderr);
        }
    }
}
