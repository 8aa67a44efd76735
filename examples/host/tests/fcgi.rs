//! The FastCGI front end (`hearth-host fcgi`) as a real process spoken to over FastCGI 1.0
//! records, and under a real web server (lighttpd with mod_fastcgi, configured by the block of
//! DEPLOY.md's "FastCGI" section) with the whole host suite.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod fcgi_support;

use std::io::Write;
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use fcgi_support::*;
use hearth_crypto::hazmat::ed25519::SigningKey;
use hearth_host::fcgi_record::{decode_pairs, encode, encode_pair, RecordType};
use hearth_wire::ErrorCode;

fn connect(addr: &str) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s
}

fn owned<'a>(p: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    p.iter().map(|(n, v)| (*n, v.as_str())).collect()
}

#[test]
fn fcgi_whole_conversation_one_process_many_requests() {
    let dir = TempDir::new("fcgi");
    let config = write_config(dir.path(), "[rate_limit]\nenabled = false\n");
    let mut p = FcgiProcess::start(&config);
    let addr = p.addr.clone();
    conversation(&|b| fcgi_post(&addr, b));
    // Many connections, one after another and at once: all answered by this one process.
    let k = SigningKey::generate();
    for _ in 0..40 {
        let r = fcgi_post(&addr, &signed(&k, 0, None, empty()));
        assert_eq!(status(&r), ErrorCode::OK);
    }
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (addr, k) = (addr.clone(), SigningKey::from_seed(k.seed()));
            std::thread::spawn(move || {
                for _ in 0..10 {
                    let r = fcgi_post(&addr, &signed(&k, 0, None, empty()));
                    assert_eq!(status(&r), ErrorCode::OK);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // FCGI_KEEP_CONN: several requests on one connection.
    let mut s = connect(&addr);
    for id in 1..=20u16 {
        let body = signed(&k, 0, None, empty());
        let params = post_params(body.len());
        s.write_all(&request_bytes(id, &owned(&params), Some(&body), true))
            .unwrap();
        let recs = read_records(&mut s);
        assert_eq!(recs.last().unwrap().0, RecordType::END_REQUEST);
        assert!(recs.iter().all(|r| r.1 == id));
        assert_eq!(status(&parse_cgi(&stdout_of(&recs))), ErrorCode::OK);
    }
    assert!(
        p.child.try_wait().unwrap().is_none(),
        "the process is still the same"
    );
}

#[test]
fn fcgi_hrt_api_2_get_and_hrt_api_1_content_type() {
    let dir = TempDir::new("fcgiget");
    let config = write_config(dir.path(), "");
    let p = FcgiProcess::start(&config);
    let mut s = connect(&p.addr);
    s.write_all(&request_bytes(
        1,
        &[("REQUEST_METHOD", "GET")],
        Some(b""),
        false,
    ))
    .unwrap();
    assert_eq!(
        status(&parse_cgi(&stdout_of(&read_records(&mut s)))),
        ErrorCode::OK
    );
    let k = SigningKey::generate();
    let body = signed(&k, 0, None, empty());
    let len = body.len().to_string();
    let params = [
        ("REQUEST_METHOD", "POST"),
        ("CONTENT_TYPE", "text/html"),
        ("CONTENT_LENGTH", len.as_str()),
    ];
    let mut s = connect(&p.addr);
    s.write_all(&request_bytes(1, &params, Some(&body), false))
        .unwrap();
    assert_eq!(
        status(&parse_cgi(&stdout_of(&read_records(&mut s)))),
        ErrorCode::MALFORMED
    );
}

#[test]
fn fcgi_hrt_api_16_too_large_before_any_stdin() {
    let dir = TempDir::new("fcgibig");
    let config = write_config(dir.path(), "");
    let p = FcgiProcess::start(&config);
    let mut s = connect(&p.addr);
    // CONTENT_LENGTH over max_request, and no STDIN record at all: answered at once.
    let mut params = post_params(0);
    params[3].1 = "999999999".into();
    s.write_all(&request_bytes(1, &owned(&params), None, false))
        .unwrap();
    let recs = read_records(&mut s);
    assert_eq!(status(&parse_cgi(&stdout_of(&recs))), ErrorCode::TOO_LARGE);
    assert_eq!(recs.last().unwrap().0, RecordType::END_REQUEST);
}

#[test]
fn fcgi_hrt_api_17_body_bound_as_for_cgi() {
    let dir = TempDir::new("fcgibound");
    let config = write_config(dir.path(), "");
    let p = FcgiProcess::start(&config);
    let k = SigningKey::generate();
    let valid = signed(&k, 0, None, empty());
    // No CONTENT_LENGTH: at most max_request + 1 bytes are kept, more is too_large.
    let params = [
        ("REQUEST_METHOD", "POST"),
        ("CONTENT_TYPE", "application/cbor"),
    ];
    let mut s = connect(&p.addr);
    s.write_all(&request_bytes(1, &params, Some(&valid), false))
        .unwrap();
    assert_eq!(
        status(&parse_cgi(&stdout_of(&read_records(&mut s)))),
        ErrorCode::OK
    );
    let mut big = valid.clone();
    big.resize(200_000, 0);
    let mut s = connect(&p.addr);
    s.write_all(&request_bytes(1, &params, Some(&big), false))
        .unwrap();
    assert_eq!(
        status(&parse_cgi(&stdout_of(&read_records(&mut s)))),
        ErrorCode::TOO_LARGE
    );
    // CONTENT_LENGTH says fewer bytes than STDIN carries: exactly CONTENT_LENGTH are read (as
    // the CGI reads exactly CONTENT_LENGTH bytes of standard input).
    let mut params = post_params(valid.len());
    params[3].1 = valid.len().to_string();
    let mut longer = valid.clone();
    longer.extend_from_slice(&[0; 100]);
    let mut s = connect(&p.addr);
    s.write_all(&request_bytes(1, &owned(&params), Some(&longer), false))
        .unwrap();
    assert_eq!(
        status(&parse_cgi(&stdout_of(&read_records(&mut s)))),
        ErrorCode::OK
    );
}

#[test]
fn fcgi_records_refused_without_taking_the_process_down() {
    let dir = TempDir::new("fcgibad");
    let config = write_config(dir.path(), "");
    let mut p = FcgiProcess::start(&config);
    // A wrong version: the connection is closed, nothing is answered.
    let mut s = connect(&p.addr);
    s.write_all(&[2, 1, 0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0])
        .unwrap();
    assert!(read_records(&mut s).is_empty());
    // Another role: FCGI_UNKNOWN_ROLE.
    let mut s = connect(&p.addr);
    let mut b = Vec::new();
    encode(
        &mut b,
        RecordType::BEGIN_REQUEST,
        5,
        &[0, 2, 0, 0, 0, 0, 0, 0],
    );
    s.write_all(&b).unwrap();
    let recs = read_records(&mut s);
    assert_eq!(
        recs,
        vec![(RecordType::END_REQUEST, 5, vec![0, 0, 0, 0, 3, 0, 0, 0])]
    );
    // FCGI_GET_VALUES: no multiplexing.
    let mut s = connect(&p.addr);
    let mut q = Vec::new();
    encode_pair(&mut q, b"FCGI_MPXS_CONNS", b"");
    let mut b = Vec::new();
    encode(&mut b, RecordType::GET_VALUES, 0, &q);
    // Then end the connection with a malformed record so that the read ends.
    b.extend_from_slice(&[0; 8]);
    s.write_all(&b).unwrap();
    let recs = read_records(&mut s);
    assert_eq!(recs[0].0, RecordType::GET_VALUES_RESULT);
    assert_eq!(
        decode_pairs(&recs[0].2).unwrap(),
        vec![(&b"FCGI_MPXS_CONNS"[..], &b"0"[..])]
    );
    // Parameters over the bound: a Response (internal), bounded memory, the process lives.
    let mut s = connect(&p.addr);
    let huge = "x".repeat(60_000);
    let params: Vec<(&str, &str)> = vec![
        ("HTTP_A", &huge),
        ("HTTP_B", &huge),
        ("HTTP_C", &huge),
        ("REQUEST_METHOD", "GET"),
    ];
    s.write_all(&request_bytes(1, &params, Some(b""), false))
        .unwrap();
    assert_eq!(
        status(&parse_cgi(&stdout_of(&read_records(&mut s)))),
        ErrorCode::INTERNAL
    );
    // A duplicated CONTENT_LENGTH: refused.
    let mut s = connect(&p.addr);
    let params = [
        ("REQUEST_METHOD", "POST"),
        ("CONTENT_TYPE", "application/cbor"),
        ("CONTENT_LENGTH", "1"),
        ("CONTENT_LENGTH", "2"),
    ];
    s.write_all(&request_bytes(1, &params, Some(b"\xa0"), false))
        .unwrap();
    assert_eq!(
        status(&parse_cgi(&stdout_of(&read_records(&mut s)))),
        ErrorCode::INTERNAL
    );
    // Still serving.
    let k = SigningKey::generate();
    assert_eq!(
        status(&fcgi_post(&p.addr, &signed(&k, 0, None, empty()))),
        ErrorCode::OK
    );
    assert!(p.child.try_wait().unwrap().is_none());
}

#[test]
fn fcgi_listens_on_descriptor_0_with_and_without_the_subcommand() {
    let dir = TempDir::new("fcgifd0");
    let config = write_config(dir.path(), "");
    for args in [&["fcgi"][..], &[]] {
        // As mod_fcgid and lighttpd's bin-path do: the listening socket as standard input.
        let sock = dir.path().join(format!("s{}.sock", args.len()));
        let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let fd = std::os::fd::OwnedFd::from(listener);
        let mut child = Command::new(BIN)
            .args(args)
            .env("HEARTH_CONFIG", &config)
            // mod_fcgid may hand the first request's CGI environment to the process.
            .env("GATEWAY_INTERFACE", "CGI/1.1")
            .stdin(Stdio::from(fd))
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut s = std::os::unix::net::UnixStream::connect(&sock).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s.write_all(&request_bytes(
            1,
            &[("REQUEST_METHOD", "GET")],
            Some(b""),
            false,
        ))
        .unwrap();
        let r = parse_cgi(&stdout_of(&read_records(&mut s)));
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(status(&r), ErrorCode::OK, "args {args:?}");
    }
}

#[test]
fn fcgi_without_a_config_answers_internal() {
    let dir = TempDir::new("fcginocfg");
    let p = FcgiProcess::start(&dir.path().join("missing.toml"));
    let mut s = connect(&p.addr);
    s.write_all(&request_bytes(
        1,
        &[("REQUEST_METHOD", "GET")],
        Some(b""),
        false,
    ))
    .unwrap();
    assert_eq!(
        status(&parse_cgi(&stdout_of(&read_records(&mut s)))),
        ErrorCode::INTERNAL
    );
}

#[test]
fn fcgi_internal_when_storage_fails_hrt_api_51() {
    let dir = TempDir::new("fcgiint");
    std::fs::write(dir.path().join("data"), b"not a directory").unwrap();
    let config = write_config(dir.path(), "");
    let p = FcgiProcess::start(&config);
    let k = SigningKey::generate();
    assert_eq!(
        status(&fcgi_post(&p.addr, &signed(&k, 0, None, empty()))),
        ErrorCode::INTERNAL
    );
    // Fixed while running: the next request opens the database.
    std::fs::remove_file(dir.path().join("data")).unwrap();
    assert_eq!(
        status(&fcgi_post(&p.addr, &signed(&k, 0, None, empty()))),
        ErrorCode::OK
    );
}

/// The harness binary (`HEARTH_CONFORMANCE_BIN`, else next to this package's binary, where
/// `cargo test --workspace` and `cargo build -p hearth-conformance` put it).
fn conformance_bin() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("HEARTH_CONFORMANCE_BIN") {
        return Some(p.into());
    }
    let p = std::path::Path::new(BIN).with_file_name("hearth-conformance");
    p.exists().then_some(p)
}

fn required() -> bool {
    std::env::var("HEARTH_REQUIRE_LIGHTTPD").is_ok_and(|v| v == "1")
}

#[test]
fn fcgi_under_lighttpd_mod_fastcgi_host_suite() {
    if !common::Lighttpd::installed() {
        assert!(
            !required(),
            "lighttpd not installed but HEARTH_REQUIRE_LIGHTTPD=1"
        );
        println!("skipped: lighttpd not installed");
        return;
    }
    let Some(harness) = conformance_bin() else {
        assert!(
            !required(),
            "no hearth-conformance binary beside {BIN}: cargo build -p hearth-conformance"
        );
        println!("skipped: no hearth-conformance binary (cargo build -p hearth-conformance)");
        return;
    };
    let server = LighttpdFcgi::start("");
    let url = server.url.clone();
    let result = std::panic::catch_unwind(|| {
        let mut resp = ureq::get(&url).call().unwrap();
        assert_eq!(
            status(&resp.body_mut().read_to_vec().unwrap()),
            ErrorCode::OK
        );
        let backends = server.backends();
        assert_eq!(backends.len(), 1, "one FastCGI process: {backends:?}");
        // The whole host suite through lighttpd and the FastCGI process.
        let key = server.dir.path().join("owner.key");
        std::fs::write(&key, format!("{}\n", hex::encode(owner().seed()))).unwrap();
        let out = Command::new(&harness)
            .args(["host", "--url", &url, "--owner-key"])
            .arg(&key)
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&out.stdout);
        println!("{report}");
        assert!(
            out.status.success(),
            "host suite failed under lighttpd + FastCGI:\n{report}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Every request of the suite was served by the process that served the first.
        assert_eq!(server.backends(), backends, "the same process throughout");
    });
    if let Err(e) = result {
        eprintln!("lighttpd error log:\n{}", server.error_log());
        std::panic::resume_unwind(e);
    }
}
