//! The CGI front end (RFC 3875, spec §8.10): the request from the environment and standard
//! input, the answer on standard output as `Status: 200 OK`, `Content-Type:
//! application/cbor` and one `Response` (HRT-API-5), whatever happens.
//!
//! After an early answer (step 1 or 2, decided without reading the body, HRT-API-16) the rest
//! of standard input is read and thrown away, bounded in bytes and time, before the program
//! exits. A gateway that is still writing the body into the program's standard
//! input when the program exits gets a broken pipe; fcgiwrap then answers nginx with an error
//! and nginx sends `502 Bad Gateway` instead of the answer.
//!
//! Some gateways read the whole body before they start the program or read its output
//! (fcgiwrap, lighttpd's default), so a request that declares a large body it never sends would
//! wait forever; DEPLOY.md has those servers refuse bodies over `max_request` themselves (413)
//! and run this program as the error handler, which answers `too_large` (HRT-API-16).

use std::io::{Read, Write};
use std::time::Duration;

use hearth_wire::ErrorCode;

use crate::handler::{response, Host, Prepared};
use crate::store;

/// The most bytes of an unwanted body that are read and dropped after an early answer.
pub const DRAIN_CAP: u64 = 16 * 1024 * 1024;

/// How long the program keeps reading an unwanted body in all before it exits anyway.
pub const DRAIN_WAIT: Duration = Duration::from_secs(10);

/// How long the program waits for the next bytes of an unwanted body: a client that declared a
/// body and sends none of it holds the process for this long, not for [`DRAIN_WAIT`].
pub const DRAIN_IDLE: Duration = Duration::from_secs(1);

/// Reads one request from the CGI environment and answers it on stdout.
pub fn run(host: Option<&Host>) -> std::io::Result<()> {
    let (body, unread) = match host {
        Some(host) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handle(host)))
            .unwrap_or_else(|_| {
                tracing::error!("internal: panic while handling a CGI request");
                (host.internal(), 0)
            }),
        // No usable configuration (already logged): still a Response (HRT-API-5).
        None => (
            response(
                ErrorCode::INTERNAL,
                crate::clock::Clock::default().now(),
                None,
                None,
            ),
            env("CONTENT_LENGTH")
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0),
        ),
    };
    // RFC 3875 §4.3.3: no response body for HEAD (spec §8.1.1, HRT-API-57).
    let head = env("REQUEST_METHOD").is_some_and(|m| m.eq_ignore_ascii_case("HEAD"));
    let written = {
        let out = &mut std::io::stdout().lock();
        if head {
            write_head(out, body.len())
        } else {
            write_response(out, &body)
        }
    };
    if unread > 0 {
        drain(unread.min(DRAIN_CAP));
    }
    written
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

/// Reads and drops up to `limit` bytes of standard input on a thread of its own, until the
/// input ends, stalls for [`DRAIN_IDLE`] or [`DRAIN_WAIT`] has passed.
fn drain(limit: u64) {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let spawned = std::thread::Builder::new()
        .name("drain".into())
        .spawn(move || {
            let mut input = std::io::stdin().lock().take(limit);
            let mut buf = vec![0u8; 64 * 1024];
            while let Ok(n) = input.read(&mut buf) {
                if n == 0 || tx.send(()).is_err() {
                    return;
                }
            }
        });
    if spawned.is_err() {
        return;
    }
    let start = std::time::Instant::now();
    while start.elapsed() < DRAIN_WAIT {
        if rx.recv_timeout(DRAIN_IDLE).is_err() {
            return;
        }
    }
}

/// Whether the web server has refused the request body as too large (HTTP 413) and runs this
/// program as the error handler for it (Apache `ErrorDocument 413`, lighttpd
/// `server.error-handler`, nginx `error_page 413`): `REDIRECT_STATUS` is then `413`. A client
/// cannot set it (its headers arrive as `HTTP_*` variables, RFC 3875 §4.1.18).
fn refused_as_too_large() -> bool {
    env("REDIRECT_STATUS").is_some_and(|s| s.trim() == "413")
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The answer, and how many declared body bytes were left unread.
fn handle(host: &Host) -> (Vec<u8>, u64) {
    let mut method = env("REQUEST_METHOD").unwrap_or_default();
    let content_type = env("CONTENT_TYPE");
    let declared = env("CONTENT_LENGTH").map(|v| v.trim().parse::<u64>().unwrap_or(u64::MAX));
    let mut content_length = declared;
    if refused_as_too_large() {
        // The web server refused the body itself and runs this program as its error handler
        // for 413: the request is over its limit, which DEPLOY.md sets to max_request. The
        // original method is in REDIRECT_REQUEST_METHOD (Apache); lighttpd turns it into GET
        // and does not say, but only a request with a body is refused as too large: POST.
        method = env("REDIRECT_REQUEST_METHOD").unwrap_or_else(|| "POST".into());
        content_length = Some(u64::MAX);
    }
    // Steps 1 and 2: CONTENT_LENGTH is checked before standard input is read (HRT-API-16).
    if let Some(answer) = host.pre_body(&method, content_type.as_deref(), content_length) {
        // What the gateway will still write to standard input: the declared length (after a
        // refusal, the server has dropped the body and declares what it passes, if anything).
        return (answer, declared.unwrap_or(0));
    }
    // Read exactly CONTENT_LENGTH bytes, or at most max_request + 1 without it (HRT-API-17).
    let limit = content_length.unwrap_or_else(|| host.read_limit());
    let mut body = Vec::new();
    if let Err(e) = std::io::stdin().lock().take(limit).read_to_end(&mut body) {
        tracing::error!("internal: cannot read the request body from standard input: {e}");
        return (host.internal(), 0);
    }
    // Fewer bytes than CONTENT_LENGTH before end of input: no request (HRT-API-59).
    if content_length.is_some_and(|n| (body.len() as u64) < n) {
        return (host.short_body(), 0);
    }
    let unread = match content_length {
        Some(n) => n.saturating_sub(body.len() as u64),
        // Without a declared length, more may follow what was read (HRT-API-17).
        None if body.len() as u64 >= limit => DRAIN_CAP,
        None => 0,
    };
    let answer = match host.prepare(body) {
        Prepared::Done(answer) => answer,
        Prepared::Job(job) => {
            let db = host.config.db_path();
            match store::open(&db) {
                Ok(conn) => {
                    let wal_before = wal_len(&db);
                    let answer = host
                        .run_batch(&conn, &[&job])
                        .pop()
                        .unwrap_or_else(|| host.internal());
                    if let Some(c) = conn.sqlite() {
                        keep_wal_short(c, &db, wal_before);
                    }
                    answer
                }
                Err(e) => {
                    tracing::error!(
                        "internal: cannot open the database {}: {e}; {}",
                        db.display(),
                        crate::diag::permission_hint(&db)
                    );
                    host.internal()
                }
            }
        }
    };
    (answer, unread)
}
