//! The host suite over real HTTPS with real certificate verification (HRT-API-62): the reference
//! host's `serve` front end with a certificate from a throwaway CA (rcgen), and the
//! `hearth-conformance host --url https://... --ca-file CA.pem` command line against it. A
//! certificate that does not verify (unknown issuer, another name, expired, not yet valid) stops
//! the run with one sentence naming the host and the problem.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hearth_conformance::client::Key;
use support::cli::{run_with, Run};
use support::tls::{redact_ports, Leaf, LeafFiles, TestCa};

const BIN: &str = env!("CARGO_BIN_EXE_hearth-conformance");

/// A scratch directory, removed on drop.
struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn dir(tag: &str) -> Dir {
    let p = std::env::temp_dir().join(format!("hearth-tls-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(p.join("data")).unwrap();
    Dir(p)
}

/// A reference host serving `https://127.0.0.1:PORT/` with the certificate `leaf`, configured
/// (as a user configures it) with `[serve] tls_cert` and `tls_key`, for the owner `owner`.
struct HttpsHost {
    url: String,
    _server: hearth_host::serve::Background,
}

fn start_https_host(d: &Path, leaf: &LeafFiles, owner: &Key) -> HttpsHost {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let url = format!("https://127.0.0.1:{port}/");
    let text = format!(
        "{}tls_cert = \"{}\"\ntls_key = \"{}\"\n",
        hearth_conformance::bundled::bundled_config(
            &url,
            &format!("127.0.0.1:{port}"),
            owner,
            &d.join("data")
        ),
        leaf.cert.display(),
        leaf.key.display()
    );
    let config = hearth_host::config::Config::parse(&text, d).unwrap();
    let tls = hearth_host::tls::from_config(&config.serve).unwrap();
    assert!(tls.is_some(), "the config names a certificate");
    let host = hearth_host::handler::Host::new(config).unwrap();
    let server = hearth_host::serve::spawn_with(Arc::new(host), listener, tls).unwrap();
    HttpsHost {
        url,
        _server: server,
    }
}

/// The owner key file the harness acts with, and the key.
fn owner(d: &Path) -> (PathBuf, Key) {
    let seed = [7u8; 32];
    let path = d.join("owner.key");
    std::fs::write(&path, format!("{}\n", hex::encode(seed))).unwrap();
    (path, Key::from_seed(&seed))
}

/// `hearth-conformance host --url URL [--ca-file CA] --owner-key KEY extra...`.
fn harness(d: &Path, url: &str, ca: Option<&Path>, key: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["host", "--url", url, "--seed", "1"];
    let ca = ca.map(|p| p.display().to_string());
    if let Some(ca) = &ca {
        args.extend(["--ca-file", ca.as_str()]);
    }
    let key = key.display().to_string();
    args.extend(["--owner-key", key.as_str()]);
    args.extend(extra);
    run_with(BIN, d, &[], &args)
}

#[test]
fn host_suite_passes_over_https_with_a_private_ca() {
    let d = dir("green");
    let ca = TestCa::new(&d.0);
    let leaf = ca.leaf(Leaf::Loopback, "host");
    let (key_file, key) = owner(&d.0);
    let host = start_https_host(&d.0, &leaf, &key);
    let r = harness(
        &d.0,
        &host.url,
        Some(&ca.ca_file()),
        &key_file,
        &["--format", "json"],
    );
    assert_eq!(
        r.code, 0,
        "the host suite over https failed:\n{}\n{}",
        r.stderr, r.stdout
    );
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(report["exit_code"], 0);
    assert!(
        report["target"].as_str().unwrap().contains("--ca-file"),
        "the reproduce commands name the CA file"
    );
    let outcome = |id: &str| {
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .map(|t| t["outcome"].as_str().unwrap_or_default().to_owned())
            .unwrap_or_else(|| panic!("no test {id}"))
    };
    // The raw requests (a declared length without a body, a chunked body: HRT-API-16,
    // HRT-API-17) go over TLS too: their tests pass rather than being not applicable.
    for id in [
        "host.api.limits.too-large-before-body",
        "host.api.limits.no-content-length",
        "host.api.transport.get-info",
    ] {
        assert_eq!(outcome(id), "pass", "{id}");
    }
}

/// The first line of the harness's standard error with the port numbers replaced.
fn failure(r: &Run) -> String {
    assert_eq!(
        r.code, 2,
        "expected a harness error:\n{}\n{}",
        r.stderr, r.stdout
    );
    redact_ports(
        r.stderr
            .lines()
            .find(|l| l.starts_with("harness error"))
            .unwrap_or_else(|| panic!("no harness error in:\n{}", r.stderr)),
    )
}

#[test]
fn certificate_problems_are_named() {
    let d = dir("bad");
    let ca = TestCa::new(&d.0);
    let (key_file, key) = owner(&d.0);
    let cases = [
        ("unknown_issuer", Leaf::Loopback, false),
        ("name_mismatch", Leaf::OtherName, true),
        ("expired", Leaf::Expired, true),
        ("not_yet_valid", Leaf::NotYetValid, true),
    ];
    for (name, kind, with_ca) in cases {
        let leaf = ca.leaf(kind, name);
        let host = start_https_host(&d.0, &leaf, &key);
        let ca_file = ca.ca_file();
        let r = harness(
            &d.0,
            &host.url,
            with_ca.then_some(ca_file.as_path()),
            &key_file,
            &[],
        );
        insta::assert_snapshot!(format!("tls_{name}"), failure(&r));
    }
}

#[test]
fn plain_http_is_refused_off_loopback() {
    let d = dir("plain");
    let (key_file, _) = owner(&d.0);
    // Refused before any connection is made: nothing listens there.
    let r = harness(&d.0, "http://example.org/hearth", None, &key_file, &[]);
    insta::assert_snapshot!("tls_plain_http_off_loopback", failure(&r));
}

#[test]
fn a_bad_ca_file_is_named() {
    let d = dir("badca");
    let (key_file, _) = owner(&d.0);
    let not_pem = d.0.join("not-a-ca.pem");
    std::fs::write(&not_pem, "hello\n").unwrap();
    let r = harness(&d.0, "https://127.0.0.1:1/", Some(&not_pem), &key_file, &[]);
    let line = failure(&r);
    assert!(
        line.contains("holds no PEM certificate") && line.contains("not-a-ca.pem"),
        "{line}"
    );
}
