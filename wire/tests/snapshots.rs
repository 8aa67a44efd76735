//! Canonical encodings of every structure in CBOR diagnostic notation (insta snapshots), and
//! the `tests/inputs/{ok,err}_*` cases run with `glob!`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use hearth_wire::diag::to_diagnostic_nested;
use hearth_wire::entry::entry_point;

#[test]
fn canonical_encodings() {
    for (name, entry, bytes) in common::samples() {
        let e = entry_point(entry).unwrap();
        assert_eq!((e.decode)(&bytes), Ok(bytes.clone()), "{name}");
        insta::assert_snapshot!(
            name.clone(),
            format!(
                "{}\n\nhex: {}",
                to_diagnostic_nested(&bytes),
                hex::encode(&bytes)
            )
        );
    }
}

/// Each input file is `<entry point name>` on the first line and the hex of the input on the
/// following lines (whitespace and `#` comments ignored). `ok_*` files must decode and
/// re-encode to the same bytes; `err_*` files must fail. The snapshot records the outcome.
#[test]
fn inputs() {
    insta::glob!("inputs/*.txt", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let mut lines = text.lines();
        let entry = lines.next().unwrap().trim();
        let hex_str: String = lines
            .map(|l| l.split('#').next().unwrap_or(""))
            .collect::<String>()
            .split_whitespace()
            .collect();
        let bytes = hex::decode(&hex_str).unwrap();
        let e = entry_point(entry).unwrap_or_else(|| panic!("unknown entry point {entry}"));
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let outcome = match (e.decode)(&bytes) {
            Ok(re) => {
                assert!(file.starts_with("ok_"), "{file} decoded");
                assert_eq!(re, bytes, "{file} re-encoding");
                format!("ok\n{}", to_diagnostic_nested(&bytes))
            }
            Err(err) => {
                assert!(file.starts_with("err_"), "{file} failed: {err}");
                format!(
                    "error: {} (status {}, {})",
                    err.code().name().unwrap_or("?"),
                    err.code().status().name().unwrap_or("?"),
                    err.requirement()
                )
            }
        };
        insta::assert_snapshot!(outcome);
    });
}
