//! Replays every committed fuzz input (`fuzz/corpus/**`, `fuzz/artifacts-committed/**`)
//! through all decode entry points on stable Rust: nothing may panic, and every accepted
//! input re-encodes to itself (rustls `test_read_fuzz_corpus`).
//!
//! `HEARTH_WRITE_CORPUS=1 cargo test -p hearth-wire --test fuzz_corpus` regenerates the seed
//! corpora from the test samples and `tests/inputs`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use hearth_wire::entry::check_all;
use hearth_wire::invite::InviteUri;
use hearth_wire::WireEncode;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = fs::read_dir(dir) else {
        return;
    };
    for entry in rd {
        let p = entry.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else if p.file_name().is_some_and(|n| n != ".gitkeep") {
            out.push(p);
        }
    }
}

/// `(entry point name, bytes)` of every `tests/inputs` file.
fn input_files() -> Vec<(String, String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inputs");
    let mut files = Vec::new();
    files_under(&dir, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = fs::read_to_string(&p).unwrap();
            let mut lines = text.lines();
            let entry = lines.next().unwrap().trim().to_owned();
            let hex_str: String = lines
                .map(|l| l.split('#').next().unwrap_or(""))
                .collect::<String>()
                .split_whitespace()
                .collect();
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            (stem, entry, hex::decode(hex_str).unwrap())
        })
        .collect()
}

#[test]
fn replay_committed_fuzz_inputs() {
    if std::env::var_os("HEARTH_WRITE_CORPUS").is_some() {
        write_corpus();
    }
    let mut files = Vec::new();
    files_under(&fuzz_dir().join("corpus"), &mut files);
    files_under(&fuzz_dir().join("artifacts-committed"), &mut files);
    assert!(!files.is_empty(), "no committed corpus found");
    for f in &files {
        let data = fs::read(f).unwrap();
        check_all(&data);
        if let Ok(s) = std::str::from_utf8(&data) {
            let _ = InviteUri::parse(s);
        }
    }
}

fn write_corpus() {
    let targets = fs::read_to_string(fuzz_dir().join("targets.txt")).unwrap();
    let samples = common::samples();
    let inputs = input_files();
    for line in targets.lines() {
        let (target, entry) = line.split_once(' ').unwrap();
        let dir = fuzz_dir().join("corpus").join(target);
        fs::create_dir_all(&dir).unwrap();
        let mut seeds: Vec<(String, Vec<u8>)> = Vec::new();
        match target {
            "decode_invite_uri" => {
                for host in [
                    "https://hearth.example/",
                    "http://127.0.0.1:8080/x",
                    "http://[::1]/",
                ] {
                    let uri = InviteUri::new(common::invite_on(host)).unwrap();
                    seeds.push((format!("uri-{}", seeds.len()), uri.to_string().into_bytes()));
                }
            }
            "structured" => {
                for i in 0..64u32 {
                    let bytes: Vec<u8> = (0..512u32)
                        .map(|j| {
                            ((j + 1).wrapping_mul(2_654_435_761).wrapping_add(i * 97) >> 11) as u8
                        })
                        .collect();
                    let mut b = vec![i as u8];
                    b.extend(bytes);
                    seeds.push((format!("seed-{i:02}"), b));
                }
            }
            _ => {
                for (name, e, bytes) in &samples {
                    if entry == "*" || entry == *e {
                        seeds.push((format!("sample-{name}"), bytes.clone()));
                    }
                }
                for (name, e, bytes) in &inputs {
                    if entry == "*" || entry == e {
                        seeds.push((format!("input-{name}"), bytes.clone()));
                    }
                }
                if entry == "Commit" {
                    seeds.push(("sample-Commit-256".into(), common::commit(255).to_vec()));
                }
            }
        }
        for (name, bytes) in seeds {
            fs::write(dir.join(name), bytes).unwrap();
        }
    }
}
