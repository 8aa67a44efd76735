//! The CGI front end (RFC 3875, spec §8.10): the request from the environment and standard
//! input, the answer on standard output as `Status: 200 OK`, `Content-Type:
//! application/cbor` and one `Response` (HRT-API-5), whatever happens.

use std::io::{Read, Write};

use hearth_wire::ErrorCode;

use crate::handler::{response, Host, Prepared};
use crate::store;

/// Reads one request from the CGI environment and answers it on stdout.
pub fn run(host: Option<&Host>) -> std::io::Result<()> {
    let body = match host {
        Some(host) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handle(host)))
            .unwrap_or_else(|_| host.internal()),
        // No usable configuration: still a Response (HRT-API-5), status internal.
        None => response(
            ErrorCode::INTERNAL,
            crate::clock::Clock::default().now(),
            None,
            None,
        ),
    };
    // RFC 3875 §4.3.3: no response body for HEAD (spec §8.1.1, HRT-API-57).
    let head = env("REQUEST_METHOD").is_some_and(|m| m.eq_ignore_ascii_case("HEAD"));
    let out = &mut std::io::stdout().lock();
    if head {
        return write_head(out, body.len());
    }
    write_response(out, &body)
}

/// Writes the CGI response headers of a `body_len`-byte answer, without the body.
fn write_head(out: &mut impl Write, body_len: usize) -> std::io::Result<()> {
    write!(
        out,
        "Status: 200 OK\r\nContent-Type: application/cbor\r\nContent-Length: {body_len}\r\n\r\n"
    )?;
    out.flush()
}

/// Writes the CGI response headers and body.
pub fn write_response(out: &mut impl Write, body: &[u8]) -> std::io::Result<()> {
    write_head(out, body.len())?;
    out.write_all(body)?;
    out.flush()
}

/// The WAL size in bytes above which a CGI process checkpoints the whole WAL into the
/// database and truncates it, after its own commit.
///
/// Every CGI process is the first connection to open the database, and the first connection
/// rebuilds the WAL index by reading and checksumming every frame of the WAL (SQLite's WAL
/// recovery). Recovery also forgets what was checkpointed, so a process never finds the WAL
/// fully checkpointed and never restarts it: without this, the WAL of a CGI host only grows, and
/// so does the time of every request (issue 13's profile: most of a 3.7 ms request). Truncating
/// it every few dozen writes bounds what recovery reads; the commit was already durable
/// (HRT-API-50), so a failed checkpoint changes nothing but the next process's start.
pub const CGI_WAL_LIMIT: u64 = 256 * 1024;

fn wal_len(db: &std::path::Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(&wal).map_or(0, |m| m.len())
}

/// After this process's commit: when the WAL grew past a multiple of [`CGI_WAL_LIMIT`],
/// checkpoint it into the database and truncate it, without waiting. Alone (the case in which
/// every process pays for recovery) that succeeds; while other processes use the database it
/// fails at once instead of stalling their writes, and is tried again one limit later (those
/// processes keep the WAL index alive, so no recovery runs meanwhile). Trying only at the
/// crossings keeps the checkpoint's extra `fsync` to one per limit of WAL growth.
fn keep_wal_short(conn: &rusqlite::Connection, db: &std::path::Path, before: u64) {
    let after = wal_len(db);
    if after > CGI_WAL_LIMIT && after / CGI_WAL_LIMIT != before / CGI_WAL_LIMIT {
        let _ = conn.busy_timeout(std::time::Duration::ZERO);
        let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn handle(host: &Host) -> Vec<u8> {
    let method = env("REQUEST_METHOD").unwrap_or_default();
    let content_type = env("CONTENT_TYPE");
    let content_length = env("CONTENT_LENGTH").map(|v| v.trim().parse::<u64>().unwrap_or(u64::MAX));
    // Steps 1 and 2: CONTENT_LENGTH is checked before standard input is read (HRT-API-16).
    if let Some(answer) = host.pre_body(&method, content_type.as_deref(), content_length) {
        return answer;
    }
    // Read exactly CONTENT_LENGTH bytes, or at most max_request + 1 without it (HRT-API-17).
    let limit = content_length.unwrap_or_else(|| host.read_limit());
    let mut body = Vec::new();
    if std::io::stdin()
        .lock()
        .take(limit)
        .read_to_end(&mut body)
        .is_err()
    {
        return host.internal();
    }
    // Fewer bytes than CONTENT_LENGTH before end of input: no request (HRT-API-59).
    if content_length.is_some_and(|n| (body.len() as u64) < n) {
        return host.short_body();
    }
    match host.prepare(body) {
        Prepared::Done(answer) => answer,
        Prepared::Job(job) => match store::open(&host.config.db_path()) {
            Ok(conn) => {
                let wal_before = wal_len(&host.config.db_path());
                let answer = host
                    .run_batch(&conn, &[&job])
                    .pop()
                    .unwrap_or_else(|| host.internal());
                keep_wal_short(&conn, &host.config.db_path(), wal_before);
                answer
            }
            Err(_) => host.internal(),
        },
    }
}
