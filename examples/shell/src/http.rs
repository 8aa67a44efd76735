//! The HTTP(S) transport of the conversation layer (spec §8.1): one `SignedRequest` POSTed as
//! `application/cbor` to the route's host URL, the answer decoded strictly as a `Response` and
//! classified for failover (spec §10.4) by [`Outcome::of_response`]. Anything that is not a
//! `Response` in a `200` (no answer, a TLS failure, another HTTP status, a body that does not
//! decode) is [`Outcome::Unreachable`] with a sentence that says why.

use std::time::Duration;

use hearth::conversation::{Outcome, RouteRef, Transport};
use hearth_wire::request::Response;
use hearth_wire::{HostUrl, WireDecode};

use crate::tls::{check_scheme, describe, find_rustls_error, Trust};

/// The media type of every request and response body (spec §8.1, §12).
pub const MEDIA_TYPE: &str = "application/cbor";

/// How long a request may take before the route counts as unreachable (HRT-ROUTE-18).
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// The largest answer read (a `log.fetch` page is far smaller; a bigger body is unreachable).
const BODY_LIMIT: u64 = 32 * 1024 * 1024;

/// An HTTP client for Hearth hosts: HTTPS verified against a [`Trust`] (HRT-API-62), plain
/// `http://` to loopback only (spec §8.2 rule 1).
#[derive(Clone, Debug)]
pub struct Http {
    agent: ureq::Agent,
    trust: Trust,
    timeout: Duration,
}

impl Default for Http {
    fn default() -> Self {
        Self::new(Trust::builtin(), TIMEOUT)
    }
}

impl Http {
    /// A transport trusting `trust` whose requests give up after `timeout`.
    pub fn new(trust: Trust, timeout: Duration) -> Self {
        Self {
            agent: ureq::Agent::new_with_config(trust.agent_config(timeout).build()),
            trust,
            timeout,
        }
    }

    /// The certificates this transport trusts.
    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// How long one request may take.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// POSTs `signed` to `host` and classifies the answer (spec §10.4). A request that got no
    /// answer at all is sent once more, byte-identical, so that an accepted post is recognised
    /// by the host's stored response (HRT-ROUTE-16, HRT-API-52); a TLS failure is not retried
    /// (the request never left, and a certificate that does not verify will not verify a
    /// second later).
    pub fn post(&self, host: &HostUrl, signed: &[u8]) -> Outcome {
        match self.post_once(host, signed) {
            Err(NoAnswer { why, tls: true }) => Outcome::Unreachable(why),
            Err(NoAnswer { why: first, .. }) => match self.post_once(host, signed) {
                Err(second) => Outcome::Unreachable(format!("{first}; retried: {}", second.why)),
                Ok(o) => o,
            },
            Ok(o) => o,
        }
    }

    fn post_once(&self, host: &HostUrl, signed: &[u8]) -> Result<Outcome, NoAnswer> {
        // Off loopback only https (spec §8.2 rule 1): nothing is sent, not even once.
        if let Err(refused) = check_scheme(host.as_str()) {
            return Ok(Outcome::Unreachable(refused));
        }
        let mut resp = self
            .agent
            .post(host.as_str())
            .header("Content-Type", MEDIA_TYPE)
            .header("Accept", MEDIA_TYPE)
            .send(signed)
            .map_err(|e| NoAnswer {
                tls: find_rustls_error(&e).is_some(),
                why: describe(host.as_str(), &e),
            })?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(BODY_LIMIT)
            .read_to_vec();
        Ok(classify(status, body.map_err(|e| e.to_string())))
    }
}

impl Transport for Http {
    fn exchange(&mut self, route: &RouteRef, signed: &[u8]) -> Outcome {
        self.post(&route.host, signed)
    }
}

/// The outcome of an HTTP answer with `status` and `body` (or why the body could not be read).
fn classify(status: u16, body: Result<Vec<u8>, String>) -> Outcome {
    let body = match body {
        Ok(b) => b,
        Err(e) => return Outcome::Unreachable(format!("reading the answer: {e}")),
    };
    if status != 200 {
        return Outcome::Unreachable(format!("HTTP status {status}"));
    }
    match Response::decode(&body) {
        Ok(r) => Outcome::of_response(r),
        Err(_) => Outcome::Unreachable("the answer is not a Hearth Response".into()),
    }
}

/// A request that got no answer: why, and whether it failed in TLS (then it never left).
struct NoAnswer {
    why: String,
    tls: bool,
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;
    use hearth_wire::{ErrorCode, RawValue, WireEncode};
    use std::io::{Read, Write};
    use std::net::TcpListener;

    fn response(status: ErrorCode) -> Vec<u8> {
        Response {
            version: hearth_wire::Version,
            status,
            server_time: hearth_wire::Secs(0),
            result: (status == ErrorCode::OK).then(|| RawValue::from_value(&0u64)),
            detail: None,
            ext: None,
        }
        .to_vec()
    }

    #[test]
    fn answers_are_classified() {
        assert!(matches!(
            classify(200, Ok(response(ErrorCode::OK))),
            Outcome::Ok(_)
        ));
        assert!(matches!(
            classify(200, Ok(response(ErrorCode::NOT_FOUND))),
            Outcome::Refused(r) if r.status == ErrorCode::NOT_FOUND
        ));
        for (status, body, why) in [
            (
                200,
                Ok(response(ErrorCode::INTERNAL)),
                "the host answered internal",
            ),
            (
                200,
                Ok(response(ErrorCode::RATE_LIMITED)),
                "the host answered rate_limited",
            ),
            (503, Ok(response(ErrorCode::OK)), "HTTP status 503"),
            (200, Ok(vec![0xff]), "the answer is not a Hearth Response"),
            (200, Err("cut".to_owned()), "reading the answer: cut"),
        ] {
            match classify(status, body) {
                Outcome::Unreachable(s) => assert_eq!(s, why),
                other => panic!("{why}: {other:?}"),
            }
        }
    }

    #[test]
    fn plain_http_off_loopback_is_never_sent() {
        let host = HostUrl::new("http://192.0.2.1/h").unwrap_or_else(|e| panic!("{e:?}"));
        match Http::default().post(&host, b"x") {
            Outcome::Unreachable(s) => assert!(s.contains("HRT-API-62"), "{s}"),
            other => panic!("{other:?}"),
        }
    }

    /// One POST over loopback: the media type goes out, the Response comes back decoded.
    #[test]
    fn posts_cbor_and_decodes_the_response() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap_or_else(|e| panic!("{e}"));
            let mut req = Vec::new();
            let mut buf = [0u8; 4096];
            while !String::from_utf8_lossy(&req).contains("\r\n\r\nsigned") {
                let n = s.read(&mut buf).unwrap_or(0);
                if n == 0 {
                    break;
                }
                req.extend_from_slice(buf.get(..n).unwrap_or_default());
            }
            let body = response(ErrorCode::OK);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {MEDIA_TYPE}\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&body);
            String::from_utf8_lossy(&req).to_lowercase()
        });
        let host =
            HostUrl::new(format!("http://127.0.0.1:{port}/h")).unwrap_or_else(|e| panic!("{e:?}"));
        let outcome = Http::default().post(&host, b"signed");
        let seen = server.join().unwrap_or_default();
        assert!(matches!(outcome, Outcome::Ok(_)), "{outcome:?}");
        assert!(seen.starts_with("post /h "), "{seen}");
        assert!(seen.contains("content-type: application/cbor"), "{seen}");
    }
}
