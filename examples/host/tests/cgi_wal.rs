//! The CGI front end keeps SQLite's WAL bounded (`hearth_host::cgi::CGI_WAL_LIMIT`): each CGI
//! process is the first connection to its database, whose WAL recovery reads the whole WAL
//! and forgets what was checkpointed, so without an explicit truncating checkpoint the WAL of
//! a CGI host only grows, and every request reads all of it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use hearth_crypto::hazmat::ed25519::SigningKey;
use hearth_host::cgi::CGI_WAL_LIMIT;
use hearth_wire::ErrorCode;

#[test]
fn cgi_wal_stays_bounded_over_many_writes() {
    let dir = TempDir::new("cgiwal");
    let config = write_config(dir.path(), "[rate_limit]\nenabled = false\n");
    let alice = SigningKey::generate();
    let ch = random16();
    let post = |b: &[u8]| cgi(&config, "POST", Some("application/cbor"), b, &[]);
    assert_eq!(
        status(&post(&signed(
            &alice,
            1,
            Some(ch),
            create_body(ch, &alice, 1)
        ))),
        ErrorCode::OK
    );
    let wal = dir.path().join("data/hearth.sqlite3-wal");
    let mut largest = 0;
    for i in 0..150u32 {
        let r = post(&signed(
            &alice,
            9,
            Some(ch),
            msg_body(&envelope(ch, 0, 0, i)),
        ));
        assert_eq!(status(&r), ErrorCode::OK);
        largest = largest.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
    }
    // One request's frames may come on top of the limit before its checkpoint.
    assert!(
        largest <= CGI_WAL_LIMIT + 64 * 1024,
        "WAL grew to {largest} bytes"
    );
    assert!(largest > 0, "no WAL seen at {}", wal.display());
}
