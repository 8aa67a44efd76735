//! The `hearth` command-line client as a person uses it: two identities in two state files,
//! one reference host on loopback, a conversation end to end, the QR code files, and the
//! messages for mistakes; and the command lines of `hearth` and `hearth-shim` themselves.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../../conformance/tests/support/cli.rs"]
mod support;
#[path = "../../../conformance/tests/support/tls.rs"]
mod tls_support;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use support::{assert_refused, assert_version, help_book, run, run_with};

const BIN: &str = env!("CARGO_BIN_EXE_hearth");
const SHIM: &str = env!("CARGO_BIN_EXE_hearth-shim");

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn dir(tag: &str) -> Dir {
    let p = std::env::temp_dir().join(format!("hearth-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    Dir(p)
}

/// Runs `hearth --state STATE args...`: (exit code, stdout, stderr).
fn hearth(state: &Path, args: &[&str]) -> (i32, String, String) {
    hearth_answering(state, args, None)
}

/// As [`hearth`], answering the comparison of codes (spec §5.8.1) with `answers` on standard
/// input (`HEARTH_COMPARE=stdin`); `None`: no one to ask.
fn hearth_answering(state: &Path, args: &[&str], answers: Option<&str>) -> (i32, String, String) {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut cmd = Command::new(BIN);
    cmd.arg("--state")
        .arg(state)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if answers.is_some() {
        cmd.env("HEARTH_COMPARE", "stdin");
    }
    let mut child = cmd.spawn().unwrap();
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(answers.unwrap_or_default().as_bytes());
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The six-digit code (`ddd ddd`) on the line of `out` that contains `marker`.
fn code_after(out: &str, marker: &str) -> String {
    let line = out
        .lines()
        .find(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("no {marker:?} in:\n{out}"));
    let digits: String = line
        .split(marker)
        .nth(1)
        .unwrap()
        .chars()
        .filter(|c| c.is_ascii_digit())
        .take(6)
        .collect();
    assert_eq!(digits.len(), 6, "{line}");
    digits
}

fn ok(state: &Path, args: &[&str]) -> String {
    let (code, out, err) = hearth(state, args);
    assert_eq!(code, 0, "hearth {args:?} failed:\n{out}\n{err}");
    out
}

fn identity_key(whoami: &str) -> String {
    whoami
        .lines()
        .find_map(|l| l.trim().strip_prefix("identity key: "))
        .unwrap()
        .to_owned()
}

fn start_host(d: &Path, owners: &[String]) -> (String, hearth_host::serve::Background) {
    start_host_with(d, owners, None)
}

/// A reference host for `owners` on loopback: plain HTTP, or HTTPS with the certificate `tls`
/// (`[serve] tls_cert`, `tls_key` of its config).
fn start_host_with(
    d: &Path,
    owners: &[String],
    tls: Option<&tls_support::LeafFiles>,
) -> (String, hearth_host::serve::Background) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://127.0.0.1:{port}/");
    std::fs::create_dir_all(d.join("data")).unwrap();
    let owners: Vec<String> = owners.iter().map(|k| format!("\"{k}\"")).collect();
    let mut text = format!(
        "host_url = \"{url}\"\nowner_keys = [{}]\ndata_dir = \"{}\"\n",
        owners.join(", "),
        d.join("data").display()
    );
    if let Some(leaf) = tls {
        text += &format!(
            "[serve]\ntls_cert = \"{}\"\ntls_key = \"{}\"\n",
            leaf.cert.display(),
            leaf.key.display()
        );
    }
    let config = hearth_host::config::Config::parse(&text, d).unwrap();
    let acceptor = hearth_host::tls::from_config(&config.serve).unwrap();
    let host = hearth_host::handler::Host::new(config).unwrap();
    (
        url,
        hearth_host::serve::spawn_with(Arc::new(host), listener, acceptor).unwrap(),
    )
}

/// The conversation of [`two_people_talk_through_the_cli`] over HTTPS with a private CA
/// (HRT-API-62): `--ca-file` once per state file is remembered; without it the certificate is
/// from an unknown issuer and the command says so.
#[test]
fn two_people_talk_over_https_with_a_private_ca() {
    let d = dir("https");
    let ca = tls_support::TestCa::new(&d.0);
    let leaf = ca.leaf(tls_support::Leaf::Loopback, "host");
    let ca_file = ca.ca_file().display().to_string();
    let alice = d.0.join("alice.sqlite");
    let bob = d.0.join("bob.sqlite");
    let carol = d.0.join("carol.sqlite");
    // Alice gives the CA at init, Bob at his first command that needs it.
    ok(&alice, &["--ca-file", &ca_file, "init", "Alice"]);
    ok(&bob, &["init", "Bob"]);
    ok(&carol, &["init", "Carol"]);
    let key = identity_key(&ok(&alice, &["whoami"]));
    let (url, _server) = start_host_with(&d.0, &[key], Some(&leaf));
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");

    let out = ok(&alice, &["create", &url]);
    let conv = out.split_whitespace().nth(2).unwrap().to_owned();
    let out = ok(&alice, &["invite", &conv[..8]]);
    let link = out
        .lines()
        .find(|l| l.starts_with("hearth:"))
        .unwrap()
        .to_owned();

    // Carol has no CA file: the host's certificate is from an unknown issuer.
    let (code, _, err) = hearth(&carol, &["join", &link]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("the certificate of 127.0.0.1 is from an unknown issuer")
            && err.contains("--ca-file"),
        "{err}"
    );

    let out = ok(&bob, &["join", &link, "--ca-file", &ca_file]);
    let bob_code = code_after(&out, "Your code is");
    let (code, out, err) = hearth_answering(&alice, &["sync"], Some("y\n"));
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(
        code_after(&out, "Read this code to the person joining:"),
        bob_code
    );
    // Bob's CA file was remembered.
    let (code, out, err) = hearth_answering(&bob, &["sync"], Some("y\n"));
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Joined conversation"), "{out}");

    ok(&bob, &["send", &conv[..6], "over", "TLS"]);
    ok(&alice, &["send", &conv[..6], "verified"]);
    let out = ok(&alice, &["read", &conv[..6]]);
    assert!(
        out.contains("over TLS") && out.contains("you: verified"),
        "{out}"
    );
    let out = ok(&bob, &["read", &conv[..6]]);
    assert!(out.contains("verified"), "{out}");

    // `--ca-file ''` forgets it: sending fails with the sentence, and the state is kept.
    let (code, _, err) = hearth(&bob, &["--ca-file", "", "send", &conv[..6], "lost"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("unknown issuer"), "{err}");
    ok(&bob, &["--ca-file", &ca_file, "send", &conv[..6], "back"]);
    assert!(ok(&alice, &["read", &conv[..6]]).contains("back"));
}

#[test]
fn two_people_talk_through_the_cli() {
    let d = dir("talk");
    let alice = d.0.join("alice.sqlite");
    let bob = d.0.join("bob.sqlite");
    ok(&alice, &["init", "Alice"]);
    ok(&bob, &["init", "Bob"]);
    let key = identity_key(&ok(&alice, &["whoami"]));
    let (url, _server) = start_host(&d.0, &[key]);

    let out = ok(&alice, &["create", &url]);
    let conv = out.split_whitespace().nth(2).unwrap().to_owned();
    assert_eq!(conv.len(), 32, "{out}");
    let svg = d.0.join("invite.svg");
    let png = d.0.join("invite.png");
    let out = ok(
        &alice,
        &[
            "invite",
            &conv[..8],
            "--svg",
            svg.to_str().unwrap(),
            "--png",
            png.to_str().unwrap(),
        ],
    );
    let link = out
        .lines()
        .find(|l| l.starts_with("hearth:"))
        .unwrap()
        .to_owned();
    assert!(
        out.contains('█') || out.contains('▀'),
        "a QR code is drawn:\n{out}"
    );
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
    assert_eq!(&std::fs::read(&png).unwrap()[..8], b"\x89PNG\r\n\x1a\n");

    // Bob's code is shown after the redeem (HRT-INV-58); Bob's sync accepts nothing before he
    // confirmed it (HRT-INV-67).
    let out = ok(&bob, &["join", &link]);
    let bob_code = code_after(&out, "Your code is");
    let bob_invite = word_after(&out, "hearth confirm ");
    // Alice's sync shows the code of the join it opened, the same as Bob's (§5.8.1), and adds
    // nobody (HRT-INV-65); the join waits in her state file for her answer.
    let out = ok(&alice, &["sync"]);
    assert_eq!(
        code_after(&out, "Read this code to the person joining:"),
        bob_code,
        "{out}"
    );
    assert!(out.contains("Bob") && !out.contains("joined via"), "{out}");
    let invite = word_after(&out, "hearth admit ");
    assert_eq!(invite, bob_invite);
    let out = ok(&alice, &["sync"]);
    assert!(
        out.contains("Still waiting") && !out.contains("joined via"),
        "{out}"
    );
    let out = ok(&bob, &["sync"]);
    assert!(!out.contains("Joined"), "{out}");
    // The comparison is answered in a later run: Alice adds Bob, Bob then joins.
    let (code, _, err) = hearth(&alice, &["admit", &invite]);
    assert_eq!(code, 2, "an answer is required: {err}");
    let out = ok(&alice, &["admit", &invite, "--code-matches"]);
    assert!(out.contains("Bob") && out.contains("joined via"), "{out}");
    let out = ok(&bob, &["confirm", &bob_invite, "--code-matches"]);
    assert!(out.contains("Joined conversation"), "{out}");

    ok(&bob, &["send", &conv[..6], "hello", "Alice"]);
    ok(&alice, &["send", &conv[..6], "hi Bob"]);
    let out = ok(&alice, &["read", &conv[..6]]);
    assert!(
        out.contains("hello Alice") && out.contains("you: hi Bob"),
        "{out}"
    );
    let out = ok(&bob, &["read", &conv[..6]]);
    assert!(out.contains("hi Bob"), "{out}");
    let out = ok(&bob, &["list"]);
    assert!(out.contains(&conv) && out.contains("member"), "{out}");

    // The link works once.
    let carol = d.0.join("carol.sqlite");
    ok(&carol, &["init", "Carol"]);
    let (code, _, err) = hearth(&carol, &["join", &link]);
    assert_eq!(code, 1);
    assert!(err.contains("invite_used"), "{err}");

    // A mismatch (§5.8.1): Alice does not add Carol and withdraws the invitation
    // (HRT-INV-66, HRT-INV-72); Carol abandons her join (HRT-INV-68).
    let out = ok(&alice, &["invite", &conv[..8]]);
    let link = out
        .lines()
        .find(|l| l.starts_with("hearth:"))
        .unwrap()
        .to_owned();
    let out = ok(&carol, &["join", &link]);
    let carol_invite = word_after(&out, "hearth confirm ");
    let out = ok(&alice, &["sync"]);
    let invite = word_after(&out, "hearth admit ");
    let out = ok(&alice, &["admit", &invite, "--mismatch"]);
    assert!(out.contains("Not added"), "{out}");
    assert!(!out.contains("joined via"), "{out}");
    let (code, _, err) = hearth(&alice, &["admit", &invite, "--code-matches"]);
    assert_eq!(code, 1, "a mismatch is final: {err}");
    let out = ok(&carol, &["confirm", &carol_invite, "--mismatch"]);
    assert!(out.contains("abandoned"), "{out}");
    let out = ok(&carol, &["sync"]);
    assert!(!out.contains("Joined"), "{out}");
    assert!(ok(&carol, &["list"]).contains("No conversations"));
}

/// The word after `marker` on the line of `out` that contains it.
fn word_after(out: &str, marker: &str) -> String {
    let line = out
        .lines()
        .find(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("no {marker:?} in:\n{out}"));
    line.split(marker)
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .to_owned()
}

#[test]
fn mistakes_get_clear_messages() {
    let d = dir("mistakes");
    let s = d.0.join("s.sqlite");
    let (code, _, err) = hearth(&s, &["list"]);
    assert_eq!(code, 1);
    assert!(err.contains("hearth init"), "{err}");
    ok(&s, &["init", "Dora"]);
    let (code, _, err) = hearth(&s, &["init", "Dora"]);
    assert_eq!(code, 1);
    assert!(err.contains("already holds an identity"), "{err}");
    let (code, _, err) = hearth(&s, &["frobnicate"]);
    assert_eq!(code, 2);
    assert!(err.contains("'frobnicate'"), "the error names it: {err}");
    let (code, _, err) = hearth(&s, &["create", "ftp://x"]);
    assert_eq!(code, 2);
    assert!(err.contains("canonical host URL"), "{err}");
    let (code, _, err) = hearth(&s, &["send", "abcd", "hi"]);
    assert_eq!(code, 1);
    assert!(err.contains("no conversation"), "{err}");
    let (code, _, err) = hearth(&s, &["join", "http://127.0.0.1:9/#AAAA"]);
    assert_eq!(code, 1);
    assert!(err.contains("bad_uri"), "{err}");
    let (code, _, err) = hearth(&s, &["create", "http://127.0.0.1:9/"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("no route reachable") || err.contains("127.0.0.1:9"),
        "{err}"
    );
}

#[test]
fn a_damaged_state_file_is_reported_not_trusted() {
    let d = dir("damaged");
    let s = d.0.join("s.sqlite");
    ok(&s, &["init", "Erin"]);
    let key = identity_key(&ok(&s, &["whoami"]));
    let (url, _server) = start_host(&d.0, &[key]);
    ok(&s, &["create", &url]);
    // Cut the saved group state short (every truncation is refused by the restore).
    let db = rusqlite::Connection::open(&s).unwrap();
    let mut state: Vec<u8> = db
        .query_row("SELECT group_state FROM routes", [], |r| r.get(0))
        .unwrap();
    state.truncate(state.len() - 1);
    db.execute("UPDATE routes SET group_state = ?", [state])
        .unwrap();
    drop(db);
    let (code, _, err) = hearth(&s, &["list"]);
    assert_eq!(code, 1);
    assert!(err.contains("damaged"), "{err}");
}

/// A crash after a message left (before the command wrote its state back) must not bring back
/// a state that seals the next message with the same generation (HRT-RAT-5): the checkpoint
/// wrote the advanced group state before the request was sent.
#[test]
fn a_crash_after_sending_does_not_reuse_a_generation() {
    use hearth_client::store::Store;
    use hearth_client::Client;
    let d = dir("crash");
    let path = d.0.join("state.sqlite");
    let mut store = Store::open(&path).unwrap();
    let mut alice = Client::generate("Alice");
    let key = hex::encode(alice.identity_public().as_bytes());
    let (url, _server) = start_host(&d.0, &[key]);
    let host = hearth_wire::HostUrl::new(url).unwrap();
    let (conv, route) = alice.create_channel(&host).unwrap();
    store.save(&alice).unwrap();
    let own_generation = |c: &Client| {
        c.conversations()[0].routes()[0]
            .group()
            .held_secrets()
            .chains
            .iter()
            .find(|(leaf, _)| *leaf == 0)
            .map(|(_, g)| *g)
    };
    let before = own_generation(&alice);
    alice.set_checkpoint(Store::checkpoint(&path).unwrap());
    alice
        .send_text(&conv, "sent, then the process dies")
        .unwrap();
    // No store.save: the process "crashed". What a restart loads:
    let reloaded = store.load().unwrap().unwrap();
    let after = own_generation(&reloaded);
    assert!(after > before, "generation {before:?} -> {after:?}");
    assert_eq!(after, own_generation(&alice));
    let _ = route;
}

// The command line itself: `--help` on every subcommand without side effects, `--version`,
// argument errors that name the argument (exit 2), `--state` in any position; the help texts
// are snapshots, so that a change to them is reviewed.

/// Every file under `d`, relative.
fn files(d: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![d.to_path_buf()];
    while let Some(p) = todo.pop() {
        for e in std::fs::read_dir(&p).unwrap() {
            let e = e.unwrap().path();
            out.push(e.strip_prefix(d).unwrap().display().to_string());
            if e.is_dir() {
                todo.push(e);
            }
        }
    }
    out
}

#[test]
fn hearth_help_on_every_subcommand() {
    let (book, subs) = help_book(BIN, "hearth");
    for expected in [
        "init",
        "whoami",
        "create",
        "invite",
        "join",
        "sync",
        "send",
        "read",
        "list",
        "remove",
        "route-add",
        "completions",
    ] {
        assert!(subs.iter().any(|s| s == expected), "{expected} in {subs:?}");
    }
    insta::assert_snapshot!("hearth_help", book);
    // No command at all: the help, exit 0 (as before clap).
    let r = run(BIN, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("Usage: hearth"), "{}", r.stdout);
}

#[test]
fn hearth_help_has_no_side_effects() {
    let d = dir("help");
    let home = d.0.to_str().unwrap();
    // With --state before or after the command, and with the default state under $HOME.
    for args in [
        &["--state", "X", "send", "--help"][..],
        &["send", "--state", "X", "--help"],
        &["send", "--help"],
        &["init", "--help"],
        &["--help"],
        &["--version"],
        &["--state", "X", "help", "send"],
    ] {
        let r = run_with(BIN, &d.0, &[("HOME", home)], args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert!(r.stdout.contains("hearth"), "{args:?}: {}", r.stdout);
        assert_eq!(files(&d.0), Vec::<String>::new(), "{args:?} created files");
    }
    // An argument error touches nothing either.
    let r = run_with(BIN, &d.0, &[("HOME", home)], &["--state", "X", "send"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(files(&d.0), Vec::<String>::new());
}

#[test]
fn hearth_state_anywhere() {
    let d = dir("state");
    let s = d.0.join("s.sqlite");
    let s = s.to_str().unwrap();
    let r = run(BIN, &["init", "Alice", "--state", s]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let after = run(BIN, &["whoami", "--state", s]);
    let before = run(BIN, &["--state", s, "whoami"]);
    assert_eq!(after.code, 0, "{}", after.stderr);
    assert!(after.stdout.starts_with("Alice\n"), "{}", after.stdout);
    assert_eq!(after.stdout, before.stdout);
    // $HEARTH_STATE when there is no --state.
    let env = run_with(BIN, &d.0, &[("HEARTH_STATE", s)], &["whoami"]);
    assert_eq!(env.stdout, before.stdout, "{}", env.stderr);
}

#[test]
fn hearth_version_and_argument_errors() {
    assert_version(BIN, "hearth");
    assert_refused(BIN, &["--bogus"], 2, "'--bogus'");
    assert_refused(BIN, &["list", "--bogus"], 2, "'--bogus'");
    assert_refused(BIN, &["frobnicate"], 2, "'frobnicate'");
    assert_refused(BIN, &["init"], 2, "<NAME>");
    assert_refused(BIN, &["init", "A", "B"], 2, "'B'");
    assert_refused(BIN, &["send", "abcd"], 2, "<TEXT>");
    assert_refused(BIN, &["create", "ftp://x"], 2, "<HOST_URL>");
    assert_refused(
        BIN,
        &["route-add", "ab", "http://X/"],
        2,
        "canonical host URL",
    );
    assert_refused(BIN, &["remove", "ab", "12"], 2, "<FINGERPRINT>");
    assert_refused(BIN, &["invite", "ab", "--expires", "soon"], 2, "--expires");
    assert_refused(BIN, &["--state"], 2, "--state");
    assert_refused(BIN, &["completions", "tcsh"], 2, "'tcsh'");
}

#[test]
fn completions_for_every_shell() {
    for (bin, name) in [(BIN, "hearth"), (SHIM, "hearth-shim")] {
        for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
            let r = run(bin, &["completions", shell]);
            assert_eq!(r.code, 0, "{name} completions {shell}: {}", r.stderr);
            assert!(r.stdout.contains(name), "{name} completions {shell}");
        }
    }
    let r = run(BIN, &["completions", "bash"]);
    assert!(r.stdout.contains("route-add") && r.stdout.contains("--state"));
}

#[test]
fn shim_help_version_and_argument_errors() {
    let (book, subs) = help_book(SHIM, "hearth-shim");
    assert_eq!(subs, ["completions"]);
    insta::assert_snapshot!("shim_help", book);
    assert_version(SHIM, "hearth-shim");
    assert_refused(SHIM, &["--bogus"], 2, "'--bogus'");
    // Without arguments it is the shim: end of input at once ends it, with nothing written.
    let r = run(SHIM, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
}

/// The shim reaches an https host whose certificate is from a private CA with
/// `HEARTH_CA_FILE` (HRT-API-62); without it the answer names the unknown issuer.
#[test]
fn shim_trusts_the_ca_of_hearth_ca_file() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;
    let d = dir("shim-tls");
    let ca = tls_support::TestCa::new(&d.0);
    let leaf = ca.leaf(tls_support::Leaf::Loopback, "host");
    // One shim session: hello, identity.create, then channel.create on a host that lists the
    // shim's identity key; the last answer line.
    let session = |env: Option<&Path>, d: &Path| -> String {
        let mut cmd = Command::new(SHIM);
        cmd.env_remove(hearth_client::tls::CA_FILE_ENV)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(ca) = env {
            cmd.env(hearth_client::tls::CA_FILE_ENV, ca);
        }
        let mut child = cmd.spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut ask = |line: String| {
            writeln!(stdin, "{line}").unwrap();
            stdin.flush().unwrap();
            let mut answer = String::new();
            stdout.read_line(&mut answer).unwrap();
            answer
        };
        ask(r#"{"id":1,"v":1,"cmd":"hello","args":{"versions":[1]}}"#.into());
        let id = ask(r#"{"id":2,"v":1,"cmd":"identity.create","args":{"name":"S"}}"#.into());
        let id: serde_json::Value = serde_json::from_str(&id).unwrap();
        let key = id["ok"]["identity_key"].as_str().unwrap().to_owned();
        let (url, server) = start_host_with(d, &[key], Some(&leaf));
        let answer = ask(format!(
            r#"{{"id":3,"v":1,"cmd":"channel.create","args":{{"host":"{url}"}}}}"#
        ));
        drop(server);
        drop(stdin);
        let _ = child.wait();
        answer
    };
    let trusted = d.0.join("trusted");
    std::fs::create_dir_all(&trusted).unwrap();
    let answer = session(Some(&ca.ca_file()), &trusted);
    assert!(answer.contains("\"ok\""), "{answer}");
    let untrusted = d.0.join("untrusted");
    std::fs::create_dir_all(&untrusted).unwrap();
    let answer = session(None, &untrusted);
    assert!(
        answer.contains("the certificate of 127.0.0.1 is from an unknown issuer"),
        "{answer}"
    );
}
