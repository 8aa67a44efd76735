//! The CGI front end run directly as a process with the CGI environment (RFC 3875). Under real
//! web servers: tests/webservers.rs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::process::{Command, Stdio};

use common::*;
use hearth_crypto::hazmat::ed25519::SigningKey;
use hearth_wire::ErrorCode;

#[test]
fn cgi_whole_conversation_as_processes() {
    let dir = TempDir::new("cgi");
    let config = write_config(dir.path(), "");
    conversation(&|b| cgi(&config, "POST", Some("application/cbor"), b, &[]));
}

#[test]
fn cgi_hrt_api_2_get_and_hrt_api_1_content_type() {
    let dir = TempDir::new("cgiget");
    let config = write_config(dir.path(), "");
    assert_eq!(status(&cgi(&config, "GET", None, b"", &[])), ErrorCode::OK);
    let k = SigningKey::generate();
    let r = cgi(
        &config,
        "POST",
        Some("text/html"),
        &signed(&k, 0, None, empty()),
        &[],
    );
    assert_eq!(status(&r), ErrorCode::MALFORMED);
    assert_eq!(
        status(&cgi(&config, "DELETE", None, b"", &[])),
        ErrorCode::MALFORMED
    );
}

#[test]
fn cgi_hrt_api_16_content_length_checked_before_reading_stdin() {
    let dir = TempDir::new("cgibig");
    let config = write_config(dir.path(), "");
    // CONTENT_LENGTH announces more than max_request; stdin is left open and empty: the
    // program must answer without waiting for it.
    let mut child = Command::new(BIN)
        .env_clear()
        .env("GATEWAY_INTERFACE", "CGI/1.1")
        .env("REQUEST_METHOD", "POST")
        .env("CONTENT_TYPE", "application/cbor")
        .env("CONTENT_LENGTH", "999999999")
        .env("HEARTH_CONFIG", &config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let _stdin = child.stdin.take();
    let out = child.wait_with_output().unwrap();
    assert_eq!(status(&parse_cgi(&out.stdout)), ErrorCode::TOO_LARGE);
}

#[test]
fn cgi_internal_when_storage_fails_hrt_api_51() {
    let dir = TempDir::new("cgiint");
    // data_dir is a regular file: the database cannot be opened.
    std::fs::write(dir.path().join("data"), b"not a directory").unwrap();
    let config = write_config(dir.path(), "");
    let k = SigningKey::generate();
    let r = cgi(
        &config,
        "POST",
        Some("application/cbor"),
        &signed(&k, 0, None, empty()),
        &[],
    );
    assert_eq!(status(&r), ErrorCode::INTERNAL);
    // A missing config still gets a Response, not an empty output.
    let r = cgi(&dir.path().join("missing.toml"), "GET", None, b"", &[]);
    assert_eq!(status(&r), ErrorCode::INTERNAL);
}

#[test]
fn cgi_clock_offset_env() {
    let dir = TempDir::new("cgiclock");
    let config = write_config(dir.path(), "");
    let k = SigningKey::generate();
    let b = signed(&k, 0, None, empty());
    let r = cgi(
        &config,
        "POST",
        Some("application/cbor"),
        &b,
        &[("HEARTH_TEST_CLOCK_OFFSET", "-1000")],
    );
    assert_eq!(status(&r), ErrorCode::STALE_TIMESTAMP);
}

#[test]
fn init_writes_a_config_that_loads_and_check_names_bad_fields() {
    let dir = TempDir::new("init");
    let path = dir.path().join("conf/hearth.toml");
    let out = Command::new(BIN)
        .args(["init", "--config"])
        .arg(&path)
        .args([
            "--host-url",
            "https://example.org/hearth.cgi",
            "--owner-key",
            &hex::encode(pk(&owner())),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("next steps"));
    let out = Command::new(BIN)
        .args(["check", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("max_log_page = 500", "max_log_page = 5");
    std::fs::write(&path, text).unwrap();
    let out = Command::new(BIN)
        .args(["check", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("limits.max_log_page"));
}
