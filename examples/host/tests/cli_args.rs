//! The command line of `hearth-host` as built: `--help` on every subcommand without side
//! effects, `--version`, argument errors that name the argument (exit 2), `--config` in any
//! position, and the CGI rule that a query string on the command line is never a command
//! (RFC 3875 §4.4). The help text is a snapshot, so that a change to it is reviewed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../../conformance/tests/support/cli.rs"]
mod cli;
mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use cli::{assert_refused, assert_version, help_book, run, run_with};
use common::{owner, parse_cgi, pk, status, write_config, TempDir, BIN};
use hearth_wire::ErrorCode;

#[test]
fn help_on_every_subcommand() {
    let (book, subs) = help_book(BIN, "hearth-host");
    assert_eq!(
        subs,
        [
            "init",
            "serve",
            "migrate",
            "cgi",
            "fcgi",
            "check",
            "completions"
        ]
    );
    insta::assert_snapshot!("host_help", book);
    // No command (and no CGI environment): the help on standard error, exit 2 (as before).
    let r = run(BIN, &[]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("Usage: hearth-host"), "{}", r.stderr);
}

#[test]
fn help_has_no_side_effects() {
    let dir = TempDir::new("clihelp");
    let config = dir.path().join("hearth.toml");
    let config = config.to_str().unwrap();
    for args in [
        &["init", "--help"][..],
        &["init", "--force", "--help"],
        &["--config", config, "init", "--help"],
        &["check", "--help"],
        &["serve", "--help"],
        &["--help"],
        &["--version"],
    ] {
        let r = run_with(BIN, dir.path(), &[("HEARTH_CONFIG", config)], args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{args:?} left {left:?}");
    }
}

#[test]
fn version_and_argument_errors() {
    assert_version(BIN, "hearth-host");
    assert_refused(BIN, &["--bogus"], 2, "'--bogus'");
    assert_refused(BIN, &["frobnicate"], 2, "'frobnicate'");
    assert_refused(BIN, &["check", "--force"], 2, "'--force'");
    assert_refused(BIN, &["serve", "--host-url", "x"], 2, "'--host-url'");
    assert_refused(BIN, &["init", "--owner-key"], 2, "--owner-key");
    assert_refused(BIN, &["check", "--config"], 2, "--config");
    assert_refused(BIN, &["completions", "tcsh"], 2, "'tcsh'");
    let r = run(BIN, &["completions", "bash"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("--owner-key") && r.stdout.contains("--config"));
}

#[test]
fn config_before_or_after_the_command() {
    let dir = TempDir::new("cliconf");
    let config = dir.path().join("conf/hearth.toml");
    let config = config.to_str().unwrap();
    let key = hex::encode(pk(&owner()));
    let r = run(BIN, &["--config", config, "init", "--owner-key", &key]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("next steps"), "{}", r.stdout);
    for args in [["check", "--config", config], ["--config", config, "check"]] {
        let r = run(BIN, &args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert!(r.stdout.starts_with("ok: "), "{}", r.stdout);
    }
    // init refuses to overwrite without --force: a failure (1), not an argument error.
    let r = run(BIN, &["init", "--config", config]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
}

/// Runs the binary as a CGI program answering a GET with `args` on its command line.
fn cgi_get(args: &[&str], query: &str, env: &[(&str, &Path)]) -> Vec<u8> {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_clear()
        .env("GATEWAY_INTERFACE", "CGI/1.1")
        .env("REQUEST_METHOD", "GET")
        .env("QUERY_STRING", query)
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap().stdout
}

/// A web server may pass the words of a query string without `=` as arguments (RFC 3875
/// §4.4; Apache's mod_cgi does). `GET ...?init+--force` must not rewrite the configuration:
/// the program answers the request as CGI.
#[test]
fn a_query_string_on_the_command_line_is_not_a_command() {
    let dir = TempDir::new("cliquery");
    let config = write_config(dir.path(), "");
    let before = std::fs::read(&config).unwrap();
    let other = dir.path().join("other.toml");
    for (args, query) in [
        (&["init", "--force"][..], "init+--force"),
        (&["check"], "check"),
        (
            &["init", "--force", "--config", other.to_str().unwrap()],
            "init+--force+--config+x",
        ),
    ] {
        let out = cgi_get(args, query, &[("HEARTH_CONFIG", &config)]);
        assert_eq!(status(&parse_cgi(&out)), ErrorCode::OK, "{args:?}");
        assert_eq!(std::fs::read(&config).unwrap(), before, "{args:?}");
        assert!(!other.exists(), "{args:?}");
    }
    // A command line written by a wrapper (no query words on it) is still read: `cgi --config`.
    let args = ["cgi", "--config", config.to_str().unwrap()];
    assert_eq!(status(&parse_cgi(&cgi_get(&args, "", &[]))), ErrorCode::OK);
    assert_eq!(
        status(&parse_cgi(&cgi_get(&args, "a=b", &[]))),
        ErrorCode::OK
    );
}
