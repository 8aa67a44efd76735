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
            Ok(conn) => host
                .run_batch(&conn, &[&job])
                .pop()
                .unwrap_or_else(|| host.internal()),
            Err(_) => host.internal(),
        },
    }
}
