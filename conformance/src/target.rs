//! How the harness reaches a host (spec §14.3): over HTTP at its URL ([`HttpTarget`]), by running
//! a CGI program directly ([`CgiTarget`], RFC 3875), or through anything else that implements
//! [`Target`] (the bundled reference host, see [`crate::bundled`]).
//!
//! Targets move bytes only. They never interpret a response: that is the suite's job, so that a
//! transport problem ("the host did not answer") is never confused with an answer.

use std::fmt;
use std::time::Duration;

/// The one media type of the protocol (spec §12.10).
pub const CBOR: &str = "application/cbor";

/// An HTTP request as the harness sends it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET`, `POST`, `PUT`, ...
    pub method: String,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The `Accept` header, if any.
    pub accept: Option<String>,
    /// Further headers (HRT-API-6: they must not change the outcome).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// `POST` with `Content-Type: application/cbor`.
    pub fn post_cbor(body: Vec<u8>) -> Self {
        Self {
            method: "POST".into(),
            content_type: Some(CBOR.into()),
            body,
            ..Self::default()
        }
    }

    /// `GET` with `Accept: application/cbor`.
    pub fn get_cbor() -> Self {
        Self {
            method: "GET".into(),
            accept: Some(CBOR.into()),
            ..Self::default()
        }
    }
}

/// What came back at the HTTP level.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpReply {
    /// The HTTP status code (for CGI: from the `Status` header, 200 when absent).
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body bytes.
    pub body: Vec<u8>,
}

/// The host did not answer: connection refused, timeout, a CGI program that failed to start or
/// wrote no parsable CGI response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportError(pub String);

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "transport error: {}", self.0)
    }
}

impl std::error::Error for TransportError {}

/// A host under test. Implementations must be usable from several threads at once (the
/// concurrency tests send in parallel).
pub trait Target: Send + Sync {
    /// Sends one HTTP request to the host URL and returns the reply.
    fn send(&self, req: &HttpRequest) -> Result<HttpReply, TransportError>;

    /// The URL the harness reaches the host at (for an HTTP target, its canonical URL; for a
    /// CGI target the URL it is configured with).
    fn base_url(&self) -> &str;

    /// The command-line arguments that select this target again, for reproduce commands
    /// (e.g. `--url http://127.0.0.1:8080/`).
    fn cli_args(&self) -> String;

    /// Sends the head of a `POST` with `Content-Type: application/cbor` that declares
    /// `content_length` body bytes, sends none of them and keeps the request open, and returns
    /// the reply if one arrives within `wait` (`None` if not). A host that decides `too_large`
    /// from the declared length answers at once; one that waits for the body does not
    /// (HRT-API-16).
    fn post_declared_only(
        &self,
        content_length: u64,
        wait: Duration,
    ) -> Result<Option<HttpReply>, TransportError>;

    /// Sends `body` as a `POST` with `Content-Type: application/cbor` and chunked transfer
    /// coding, so without a Content-Length (HRT-API-17). `None` when the transport has no such
    /// thing (a CGI program always receives CONTENT_LENGTH from its web server).
    fn post_chunked(&self, _body: &[u8]) -> Option<Result<HttpReply, TransportError>> {
        None
    }

    /// Sends `body` as a `POST` with `Content-Type: application/cbor` that declares
    /// `content_length` body bytes (more than `body` holds), then ends the request side (an HTTP
    /// half-close; for CGI, standard input closes) and returns the reply, `None` when the host
    /// closed without answering (spec §8.1.1, HRT-API-59).
    fn post_short(
        &self,
        content_length: u64,
        body: &[u8],
        wait: Duration,
    ) -> Result<Option<HttpReply>, TransportError>;

    /// Sends a raw HTTP/1.1 request, `method` with the `headers` lines (each ending in CRLF) and
    /// `body`, and returns every byte of the reply up to the end of the connection or `wait`
    /// (spec §8.1.1). `None` when the transport is not HTTP (a CGI program is started by its web
    /// server only for requests the server has framed).
    fn raw_http(
        &self,
        _method: &str,
        _headers: &str,
        _body: &[u8],
        _wait: Duration,
    ) -> Option<Result<Vec<u8>, TransportError>> {
        None
    }

    /// `POST` with `Content-Type: application/cbor`.
    fn post(&self, body: &[u8]) -> Result<HttpReply, TransportError> {
        self.send(&HttpRequest::post_cbor(body.to_vec()))
    }

    /// `GET` with `Accept: application/cbor`.
    fn get(&self) -> Result<HttpReply, TransportError> {
        self.send(&HttpRequest::get_cbor())
    }
}

mod cgi;
mod http;

pub use cgi::{parse_cgi_response, CgiTarget};
pub use http::HttpTarget;
