//! HTTP framing outside the protocol (spec §8.1.1): `HEAD`, invalid `Content-Length`, a body
//! shorter than its `Content-Length`. These requests are sent on raw TCP connections, since an
//! HTTP library refuses to send them. What the HTTP layer legitimately answers itself (a web
//! server's 400, or a closed connection) is accepted: the tests fail only an answer the
//! specification forbids, such as `ok` to a request that was never complete.

use std::time::Duration;

use hearth_wire::request::Response;
use hearth_wire::{ErrorCode, WireDecode};

use super::api::valid_info_bytes;
use super::Ctx;
use crate::client::Exchange;
use crate::model::{Stop, TestResult};
use crate::suite::HostTestDef;
use crate::target::{HttpReply, HttpRequest, TransportError, CBOR};

/// The tests of this module.
pub fn tests() -> Vec<HostTestDef> {
    vec![
        t!(
            "host.http.head",
            "HEAD is answered without a body (HRT-API-4 and HRT-API-5 do not apply)",
            ["HRT-API-57"],
            head
        ),
        t!(
            "host.http.content-length-invalid",
            "Content-Length `abc` or `-1` is refused by the HTTP layer (400 or close), never ok",
            ["HRT-API-58"],
            content_length_invalid
        ),
        t!(
            "host.http.short-body",
            "a body shorter than its Content-Length, then a half-close: malformed/underrun or refused by the HTTP layer, never processed",
            ["HRT-API-59"],
            short_body
        ),
    ]
}

const WAIT: Duration = Duration::from_secs(10);

/// The status line and the bytes after the header block of a raw reply.
fn split_reply(raw: &[u8]) -> Option<(u16, &[u8])> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(raw.get(..end)?).ok()?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, raw.get(end + 4..)?))
}

/// An exchange for the report: the request as described, and the reply parsed from `raw`.
fn report(method: &str, headers: &[(&str, String)], body: &[u8], raw: &[u8]) -> Exchange {
    let request = HttpRequest {
        method: method.into(),
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        body: body.to_vec(),
        ..HttpRequest::default()
    };
    let reply = match split_reply(raw) {
        Some((status, rest)) => Ok(HttpReply {
            status,
            content_type: None,
            body: rest.to_vec(),
        }),
        None if raw.is_empty() => Err(TransportError(
            "the connection closed without an answer".into(),
        )),
        None => Err(TransportError(format!(
            "{} bytes that are no HTTP reply",
            raw.len()
        ))),
    };
    Exchange { request, reply }
}

fn head(ctx: &Ctx<'_>) -> TestResult {
    let headers = format!("Accept: {CBOR}\r\n");
    let Some(r) = ctx.c.target.raw_http("HEAD", &headers, &[], WAIT) else {
        return Err(Stop::NotApplicable(
            "a CGI program gets HEAD only through its web server, which discards any body (RFC 3875 §4.3.3)".into(),
        ));
    };
    let raw = r.map_err(|e| Stop::fail(e.to_string(), &[]))?;
    let ex = report("HEAD", &[("Accept", CBOR.into())], &[], &raw);
    match split_reply(&raw) {
        Some((_, [])) => Ok(()),
        Some((_, rest)) => Err(Stop::fail(
            format!(
                "the answer to HEAD carries {} body bytes (RFC 9110 §9.3.2, HRT-API-57)",
                rest.len()
            ),
            &[&ex],
        )),
        None => Err(Stop::fail("no HTTP answer to HEAD", &[&ex])),
    }
}

/// Accepts 4xx (the HTTP layer), a closed connection, or a `Response` that is not `ok`.
fn refused(raw: &[u8], ex: &Exchange) -> TestResult {
    match split_reply(raw) {
        None if raw.is_empty() => Ok(()),
        None => Err(Stop::fail("bytes that are no HTTP reply", &[ex])),
        Some((s, _)) if (400..500).contains(&s) => Ok(()),
        Some((200, body)) => match Response::decode(body) {
            Ok(r) if r.status != ErrorCode::OK => Ok(()),
            Ok(_) => Err(Stop::fail(
                "a request whose framing is invalid was answered ok (HRT-API-58)",
                &[ex],
            )),
            Err(_) => Err(Stop::fail(
                "HTTP 200 without one valid Response (HRT-API-5)",
                &[ex],
            )),
        },
        Some((s, _)) => Err(Stop::fail(
            format!("HTTP {s}: expected 400 (RFC 9112 §6.3), a closed connection, or a Response"),
            &[ex],
        )),
    }
}

fn content_length_invalid(ctx: &Ctx<'_>) -> TestResult {
    let body = valid_info_bytes(ctx);
    for cl in ["abc", "-1"] {
        let headers = format!("Content-Type: {CBOR}\r\nContent-Length: {cl}\r\n");
        let Some(r) = ctx.c.target.raw_http("POST", &headers, &body, WAIT) else {
            return Err(Stop::NotApplicable(
                "a web server never starts a CGI program for a request with invalid framing".into(),
            ));
        };
        let raw = r.map_err(|e| Stop::fail(e.to_string(), &[]))?;
        let ex = report(
            "POST",
            &[("Content-Type", CBOR.into()), ("Content-Length", cl.into())],
            &body,
            &raw,
        );
        refused(&raw, &ex)?;
    }
    Ok(())
}

fn short_body(ctx: &Ctx<'_>) -> TestResult {
    // A complete, valid SignedRequest, declared 100 bytes longer than it is: whatever the
    // bytes, an incomplete message is no request.
    let body = valid_info_bytes(ctx);
    let declared = body.len() as u64 + 100;
    let reply = ctx
        .c
        .target
        .post_short(declared, &body, WAIT)
        .map_err(|e| Stop::fail(e.to_string(), &[]))?;
    let request = HttpRequest {
        headers: vec![("Content-Length".into(), declared.to_string())],
        ..HttpRequest::post_cbor(body)
    };
    let Some(reply) = reply else {
        // The HTTP layer closed the connection without an answer (RFC 9112 §8).
        return Ok(());
    };
    let ex = Exchange {
        request,
        reply: Ok(reply.clone()),
    };
    if (400..500).contains(&reply.status) {
        return Ok(());
    }
    match ex.response() {
        Some(r) if r.status == ErrorCode::MALFORMED && r.detail == Some(ErrorCode::UNDERRUN) => {
            Ok(())
        }
        Some(r) => Err(Stop::fail(
            format!(
                "a body shorter than its Content-Length was answered status {} detail {:?}; expected malformed/underrun, a 4xx or a closed connection (HRT-API-59)",
                r.status.name().unwrap_or("?"),
                r.detail.and_then(|d| d.name())
            ),
            &[&ex],
        )),
        None => Err(Stop::fail(
            format!("HTTP {} without one valid Response", reply.status),
            &[&ex],
        )),
    }
}
