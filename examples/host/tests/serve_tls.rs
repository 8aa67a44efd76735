//! `hearth-host serve` over HTTPS (spec §8.1): the real binary with a certificate from a
//! throwaway CA (rcgen), reached by the reference client's verifying TLS (HRT-API-62). The
//! certificate comes from the config (`[serve] tls_cert`, `tls_key`, relative to the config file)
//! or from `--tls-cert`/`--tls-key`; a bad TLS configuration stops `serve` with the field or file
//! named.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
#[path = "../../../conformance/tests/support/tls.rs"]
mod tls_support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use hearth_client::tls::Trust;
use hearth_wire::request::{InfoResult, Response};
use hearth_wire::{ErrorCode, WireDecode};
use tls_support::{Leaf, TestCa};

/// `hearth-host serve --config CONFIG --listen 127.0.0.1:0 args...`: the child and the first
/// line it printed.
fn serve(config: &Path, args: &[&str]) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(config)
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line)
}

/// The address in `serve`'s first line (`hearth-host listening on ADDR (https) as URL`).
fn addr(line: &str) -> String {
    line.split_whitespace()
        .nth(3)
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned()
}

/// GET info at `url` through the reference client's TLS configuration with `trust`.
fn get_info(url: &str, trust: &Trust) -> Result<Response, String> {
    let agent = ureq::Agent::new_with_config(trust.agent_config(Duration::from_secs(10)).build());
    let mut resp = agent
        .get(url)
        .header("Accept", "application/cbor")
        .call()
        .map_err(|e| hearth_client::tls::describe(url, &e))?;
    let body = resp.body_mut().read_to_vec().map_err(|e| e.to_string())?;
    Response::decode(&body).map_err(|e| format!("{e:?}"))
}

#[test]
fn serve_answers_https_with_the_certificate_of_its_config() {
    let dir = TempDir::new("serve-tls");
    let ca = TestCa::new(dir.path());
    ca.leaf(Leaf::Loopback, "host");
    let config = write_config(
        dir.path(),
        "[serve]\ntls_cert = \"host.pem\"\ntls_key = \"host.key\"\n",
    );
    let (mut child, line) = serve(&config, &[]);
    assert!(line.contains("(https)"), "{line}");
    let url = format!("https://{}/hearth", addr(&line));
    let trust = Trust::with_ca_file(&ca.ca_file()).unwrap();
    let r = get_info(&url, &trust).unwrap();
    assert_eq!(r.status, ErrorCode::OK);
    let info: InfoResult = r.result_as().unwrap().unwrap();
    assert_eq!(info.host_url.as_str(), HOST_URL);
    // Without the private CA the certificate is from an unknown issuer.
    let e = get_info(&url, &Trust::builtin()).unwrap_err();
    assert!(e.contains("unknown issuer"), "{e}");
    // Plain HTTP on the TLS port gets no Hearth answer.
    assert!(ureq::get(format!("http://{}/hearth", addr(&line)))
        .call()
        .map(|mut r| Response::decode(&r.body_mut().read_to_vec().unwrap_or_default()).is_ok())
        .map_or(true, |decoded| !decoded));
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn serve_flags_give_the_certificate() {
    let dir = TempDir::new("serve-tls-flags");
    let ca = TestCa::new(dir.path());
    let leaf = ca.leaf(Leaf::Loopback, "flags");
    let config = write_config(dir.path(), "");
    let (cert, key) = (
        leaf.cert.display().to_string(),
        leaf.key.display().to_string(),
    );
    let (mut child, line) = serve(&config, &["--tls-cert", &cert, "--tls-key", &key]);
    assert!(line.contains("(https)"), "{line}");
    let url = format!(
        "https://localhost:{}/hearth",
        addr(&line).rsplit(':').next().unwrap()
    );
    let trust = Trust::with_ca_file(&ca.ca_file()).unwrap();
    assert_eq!(get_info(&url, &trust).unwrap().status, ErrorCode::OK);
    let _ = child.kill();
    let _ = child.wait();
}

/// `serve` with `extra` config (and `args`) exits 1 with a line containing every `wanted`.
fn refused(extra: &str, args: &[&str], wanted: &[&str]) {
    let dir = TempDir::new("serve-tls-bad");
    let ca = TestCa::new(dir.path());
    ca.leaf(Leaf::Loopback, "a");
    ca.leaf(Leaf::Loopback, "b");
    let config = write_config(dir.path(), extra);
    let out = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(&config)
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for w in wanted {
        assert!(err.contains(w), "{w:?} not in {err:?}");
    }
}

#[test]
fn bad_tls_configuration_is_named() {
    refused(
        "[serve]\ntls_cert = \"a.pem\"\n",
        &[],
        &["serve.tls_key", "is needed with tls_cert"],
    );
    refused(
        "[serve]\ntls_key = \"a.key\"\n",
        &[],
        &["serve.tls_cert", "is needed with tls_key"],
    );
    refused(
        "[serve]\ntls_cert = \"missing.pem\"\ntls_key = \"a.key\"\n",
        &[],
        &["cannot read the TLS certificate", "missing.pem"],
    );
    refused(
        "[serve]\ntls_cert = \"a.key\"\ntls_key = \"a.key\"\n",
        &[],
        &["holds no PEM certificate", "a.key"],
    );
    refused(
        "[serve]\ntls_cert = \"a.pem\"\ntls_key = \"b.key\"\n",
        &[],
        &["a.pem", "do not go together"],
    );
    refused(
        "",
        &["--tls-cert", "a.pem", "--tls-key", "a.pem"],
        &["TLS private key", "a.pem"],
    );
}
