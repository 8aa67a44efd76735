//! Running a built binary as a person does, for the command-line tests of the four binaries
//! (`hearth`, `hearth-shim`, `hearth-host`, `hearth-conformance`). Included by path from each
//! crate's tests, because Cargo names a binary (`CARGO_BIN_EXE_*`) only to its own crate.

use std::path::Path;
use std::process::{Command, Stdio};

/// What one run printed and how it ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `bin args...` in `dir` with `env` added, standard input closed. `COLUMNS` is removed so
/// that help text wraps at the binaries' own width (output is not a terminal here).
pub fn run_with(bin: &str, dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .current_dir(dir)
        .env_remove("COLUMNS")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("{bin}: {e}"));
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `bin args...` in the temporary directory.
pub fn run(bin: &str, args: &[&str]) -> Run {
    run_with(bin, &std::env::temp_dir(), &[], args)
}

/// The subcommands a help text lists under `Commands:`, without clap's own `help`.
pub fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

/// `NAME --help` and then `NAME SUB --help` for every subcommand the first lists: each exits
/// 0 and prints its usage on standard output, nothing on standard error. Returns them all,
/// each under a `$ command` line, for a snapshot, and the subcommands found.
pub fn help_book(bin: &str, name: &str) -> (String, Vec<String>) {
    let top = run(bin, &["--help"]);
    let subs = subcommands(&top.stdout);
    let mut book = format!("$ {name} --help\n{}", top.stdout);
    for sub in &subs {
        let r = run(bin, &[sub, "--help"]);
        let shown = format!("{name} {sub} --help");
        assert_eq!(r.code, 0, "{shown}: {}", r.stderr);
        assert!(r.stderr.is_empty(), "{shown}: {}", r.stderr);
        let usage = format!("Usage: {name} {sub}");
        assert!(r.stdout.contains(&usage), "{shown}:\n{}", r.stdout);
        // `help SUB` says the same as `SUB --help`.
        assert_eq!(
            run(bin, &["help", sub]).stdout,
            r.stdout,
            "{name} help {sub}"
        );
        book.push_str(&format!("\n$ {shown}\n{}", r.stdout));
    }
    assert_eq!(top.code, 0, "{name} --help: {}", top.stderr);
    assert!(
        top.stdout.contains(&format!("Usage: {name}")),
        "{}",
        top.stdout
    );
    (book, subs)
}

/// `--version` (and `-V`) print `NAME VERSION` and exit 0.
pub fn assert_version(bin: &str, name: &str) {
    for flag in ["--version", "-V"] {
        let r = run(bin, &[flag]);
        assert_eq!(r.code, 0, "{name} {flag}: {}", r.stderr);
        assert_eq!(
            r.stdout.trim(),
            format!("{name} {}", env!("CARGO_PKG_VERSION")),
            "{name} {flag}"
        );
    }
}

/// `args` is refused with exit code `code` and an error on standard error that names
/// `culprit`; nothing on standard output.
pub fn assert_refused(bin: &str, args: &[&str], code: i32, culprit: &str) {
    let r = run(bin, args);
    assert_eq!(r.code, code, "{args:?}: {}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(culprit),
        "{args:?} does not name {culprit}: {}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
}
