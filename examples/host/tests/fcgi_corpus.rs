//! Replays the committed inputs of the `fcgi_records` fuzz target (`fuzz/corpus/fcgi_records`,
//! `fuzz/artifacts-committed/fcgi_records`) through the same property on stable Rust
//! (`hearth_host::fcgi_session::fuzz_check`), as `hearth-wire`'s `fuzz_corpus` test does for the
//! wire decoders.
//!
//! `HEARTH_WRITE_CORPUS=1 cargo test -p hearth-host --test fcgi_corpus` rewrites the seeds.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod fcgi_support;

use std::path::{Path, PathBuf};

use fcgi_support::request_bytes;
use hearth_host::fcgi_record::{encode, encode_pair, RecordType};
use hearth_host::fcgi_session::fuzz_check;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The seeds: what a web server sends, and the refusals of the session.
fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let post = |len: &str| {
        vec![
            ("REQUEST_METHOD", "POST".to_owned()),
            ("CONTENT_TYPE", "application/cbor".to_owned()),
            ("CONTENT_LENGTH", len.to_owned()),
        ]
    };
    let bytes = |id, p: Vec<(&str, String)>, stdin: Option<&[u8]>, keep| {
        let p: Vec<(&str, &str)> = p.iter().map(|(n, v)| (*n, v.as_str())).collect();
        request_bytes(id, &p, stdin, keep)
    };
    let mut keep2 = bytes(1, post("3"), Some(b"\xa1\x01\x02"), true);
    keep2.extend(bytes(
        2,
        vec![("REQUEST_METHOD", "GET".into())],
        Some(b""),
        false,
    ));
    let mut mgmt = Vec::new();
    let mut q = Vec::new();
    for n in ["FCGI_MAX_CONNS", "FCGI_MAX_REQS", "FCGI_MPXS_CONNS"] {
        encode_pair(&mut q, n.as_bytes(), b"");
    }
    encode(&mut mgmt, RecordType::GET_VALUES, 0, &q);
    encode(&mut mgmt, RecordType(99), 0, b"");
    let mut abort = bytes(3, post("10"), None, true);
    encode(&mut abort, RecordType::ABORT_REQUEST, 3, b"");
    let mut role = Vec::new();
    encode(
        &mut role,
        RecordType::BEGIN_REQUEST,
        1,
        &[0, 3, 1, 0, 0, 0, 0, 0],
    );
    let mut mpx = bytes(1, post("1"), None, false);
    encode(
        &mut mpx,
        RecordType::BEGIN_REQUEST,
        2,
        &[0, 1, 0, 0, 0, 0, 0, 0],
    );
    let big = "x".repeat(5000);
    vec![
        (
            "get",
            bytes(1, vec![("REQUEST_METHOD", "GET".into())], Some(b""), false),
        ),
        (
            "post",
            bytes(1, post("4"), Some(b"\x84\x01\x02\x03"), false),
        ),
        ("keep-conn-two", keep2),
        (
            "no-content-length",
            bytes(
                1,
                vec![("REQUEST_METHOD", "POST".into())],
                Some(&[0; 2000]),
                false,
            ),
        ),
        (
            "early-answer-then-stdin",
            bytes(1, post("999999999"), Some(&[0; 3000]), false),
        ),
        ("management", mgmt),
        ("abort", abort),
        ("unknown-role", role),
        ("second-begin", mpx),
        (
            "params-too-large",
            bytes(1, vec![("HTTP_X", big)], Some(b""), false),
        ),
        (
            "bad-version",
            vec![2, 1, 0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0],
        ),
    ]
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn replay_committed_fcgi_inputs() {
    let corpus = fuzz_dir().join("corpus/fcgi_records");
    if std::env::var_os("HEARTH_WRITE_CORPUS").is_some() {
        std::fs::create_dir_all(&corpus).unwrap();
        for (name, bytes) in seeds() {
            std::fs::write(corpus.join(name), bytes).unwrap();
        }
    }
    let mut files = Vec::new();
    files_under(&corpus, &mut files);
    files_under(
        &fuzz_dir().join("artifacts-committed/fcgi_records"),
        &mut files,
    );
    assert!(
        files.len() >= seeds().len(),
        "no committed fcgi_records corpus"
    );
    for f in &files {
        fuzz_check(&std::fs::read(f).unwrap());
    }
    // The seeds as this build writes them pass too (even before they are committed).
    for (_, bytes) in seeds() {
        fuzz_check(&bytes);
    }
}
