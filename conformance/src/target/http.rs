//! A host reached over HTTP or HTTPS at its URL (spec §8.1): requests through ureq, and the raw
//! requests (declared lengths, chunked and short bodies, bare HTTP) on a connection of their own.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hearth_shell::tls::Trust;

use super::{HttpReply, HttpRequest, Target, TransportError, CBOR};

/// A host reached over HTTP or HTTPS at a URL.
pub struct HttpTarget {
    url: String,
    agent: ureq::Agent,
    /// For `https://`: the configuration of the raw requests' TLS connections.
    tls: Option<Arc<rustls::ClientConfig>>,
    /// The private CA the certificates verify against, if any (for reproduce commands).
    ca_file: Option<PathBuf>,
}

impl HttpTarget {
    /// A target at `url`, verifying an `https://` host's certificate against the built-in roots.
    pub fn new(url: &str) -> Result<Self, TransportError> {
        Self::with_trust(url, &Trust::builtin())
    }

    /// A target at `url` whose `https://` certificate verifies against `trust` (the built-in
    /// roots and `--ca-file`). Plain `http://` only on loopback (spec §8.2 rule 1).
    pub fn with_trust(url: &str, trust: &Trust) -> Result<Self, TransportError> {
        hearth_shell::tls::check_scheme(url).map_err(TransportError)?;
        let config = trust
            .agent_config(Duration::from_secs(30))
            .allow_non_standard_methods(true)
            .max_idle_connections_per_host(16)
            .build();
        let tls = if url.starts_with("https://") {
            Some(trust.rustls_config().map_err(|e| TransportError(e.0))?)
        } else {
            None
        };
        Ok(Self {
            url: url.to_owned(),
            agent: ureq::Agent::new_with_config(config),
            tls,
            ca_file: trust.ca_file().map(Path::to_owned),
        })
    }

    /// A transport error for `e` on the way to this host: the certificate problem in one
    /// sentence for a TLS failure, else `context: e`.
    fn failed(&self, context: &str, e: &(dyn std::error::Error + 'static)) -> TransportError {
        TransportError(match hearth_shell::tls::find_rustls_error(e) {
            Some(r) => hearth_shell::tls::describe_tls(&self.url, r),
            None if context.is_empty() => e.to_string(),
            None => format!("{context}: {e}"),
        })
    }
}

impl Target for HttpTarget {
    fn send(&self, req: &HttpRequest) -> Result<HttpReply, TransportError> {
        let mut b = ureq::http::Request::builder()
            .method(req.method.as_str())
            .uri(self.url.as_str());
        if let Some(ct) = &req.content_type {
            b = b.header("Content-Type", ct.as_str());
        }
        if let Some(a) = &req.accept {
            b = b.header("Accept", a.as_str());
        }
        for (k, v) in &req.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        let request = b
            .body(req.body.clone())
            .map_err(|e| TransportError(format!("building the request: {e}")))?;
        let mut resp = match self.agent.run(request) {
            Ok(r) => r,
            // A host may answer before it has read the whole body and close (HRT-API-60); the
            // HTTP library then reports the broken pipe or reset of its write and drops the
            // answer. Send the request again on a connection of our own that reads the answer
            // whatever happens to the write (HRT-API-61, RFC 9112 §9.6). Only an I/O failure
            // is retried: a certificate problem is reported as it is (HRT-API-62).
            Err(ureq::Error::Io(e)) if !req.body.is_empty() => {
                let bytes = self
                    .exchange(&head_of(req), &req.body, false, Duration::from_secs(30))
                    .map_err(|f| {
                        TransportError(format!("{e}; then, reading the answer: {}", f.0))
                    })?;
                return parse_http_reply_at_eof(&bytes).ok_or_else(|| {
                    TransportError(format!(
                        "{e}; then no complete HTTP reply in {} bytes",
                        bytes.len()
                    ))
                });
            }
            Err(e) => return Err(self.failed("", &e)),
        };
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = resp
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .map_err(|e| TransportError(format!("reading the body: {e}")))?;
        Ok(HttpReply {
            status,
            content_type,
            body,
        })
    }

    fn post_declared_only(
        &self,
        content_length: u64,
        wait: Duration,
    ) -> Result<Option<HttpReply>, TransportError> {
        let head = format!("Content-Length: {content_length}\r\n");
        let mut stream = self.open_post(&head)?;
        read_reply(&mut stream, wait)
    }

    fn post_chunked(&self, body: &[u8]) -> Option<Result<HttpReply, TransportError>> {
        let send = || {
            let mut stream = self.open_post("Transfer-Encoding: chunked\r\n")?;
            // The host may answer too_large and stop reading early; keep going quietly and
            // read its answer afterwards.
            for chunk in body.chunks(16 * 1024) {
                let framed = [
                    format!("{:x}\r\n", chunk.len()).as_bytes(),
                    chunk,
                    b"\r\n".as_slice(),
                ]
                .concat();
                if stream.write_all(&framed).is_err() {
                    break;
                }
            }
            let _ = stream.write_all(b"0\r\n\r\n");
            read_reply(&mut stream, Duration::from_secs(10))?
                .ok_or_else(|| TransportError("no answer within 10 s to a chunked request".into()))
        };
        Some(send())
    }

    fn post_short(
        &self,
        content_length: u64,
        body: &[u8],
        wait: Duration,
    ) -> Result<Option<HttpReply>, TransportError> {
        let head = format!("Content-Type: {CBOR}\r\nContent-Length: {content_length}\r\n");
        let bytes = self.exchange(&("POST", head), body, true, wait)?;
        if bytes.is_empty() {
            return Ok(None);
        }
        parse_http_reply_at_eof(&bytes).map(Some).ok_or_else(|| {
            TransportError(format!(
                "an incomplete HTTP reply ({} bytes) to a short body",
                bytes.len()
            ))
        })
    }

    fn raw_http(
        &self,
        method: &str,
        headers: &str,
        body: &[u8],
        wait: Duration,
    ) -> Option<Result<Vec<u8>, TransportError>> {
        Some(self.exchange(&(method, headers.to_owned()), body, false, wait))
    }

    fn base_url(&self) -> &str {
        &self.url
    }

    fn cli_args(&self) -> String {
        match &self.ca_file {
            Some(ca) => format!("--url {} --ca-file {}", self.url, ca.display()),
            None => format!("--url {}", self.url),
        }
    }
}

/// The method and header lines of `req` for [`HttpTarget::exchange`].
fn head_of(req: &HttpRequest) -> (&str, String) {
    let mut h = String::new();
    if let Some(ct) = &req.content_type {
        h.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    if let Some(a) = &req.accept {
        h.push_str(&format!("Accept: {a}\r\n"));
    }
    for (k, v) in &req.headers {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    h.push_str(&format!("Content-Length: {}\r\n", req.body.len()));
    (req.method.as_str(), h)
}

impl HttpTarget {
    /// Connects to the host URL's authority: plain TCP, or TLS over it for `https://`.
    /// Returns the connection, the TCP socket underneath (for shutting it down from this
    /// side) and the address, for messages.
    fn connect(&self) -> Result<(Box<dyn RawStream>, std::net::TcpStream, String), TransportError> {
        let (authority, _) = split_http_url(&self.url)?;
        let default_port = if self.tls.is_some() { 443 } else { 80 };
        let addr = match authority.rsplit_once(':') {
            Some((_, port)) if !port.ends_with(']') => authority.to_owned(),
            _ => format!("{authority}:{default_port}"),
        };
        let tcp = std::net::TcpStream::connect(&addr).map_err(|e| self.failed(&addr, &e))?;
        let socket = tcp.try_clone().map_err(|e| self.failed(&addr, &e))?;
        let stream: Box<dyn RawStream> = match &self.tls {
            None => Box::new(tcp),
            Some(config) => {
                let host = hearth_shell::tls::url_host(&self.url).unwrap_or_default();
                let name = rustls::pki_types::ServerName::try_from(
                    host.trim_start_matches('[')
                        .trim_end_matches(']')
                        .to_owned(),
                )
                .map_err(|e| TransportError(format!("{host} is not a TLS server name: {e}")))?;
                let conn = rustls::ClientConnection::new(config.clone(), name)
                    .map_err(|e| self.failed("TLS", &e))?;
                Box::new(rustls::StreamOwned::new(conn, tcp))
            }
        };
        Ok((stream, socket, addr))
    }

    /// One request on a connection of its own (`Connection: close`): the head `method` and
    /// header lines, then `body`, so that the answer is read even when the host answers early
    /// and the write fails (HRT-API-61); with `half_close` the sending side is shut down after
    /// the body. Over plain TCP the body is written from another thread, so that a host that
    /// answers without reading cannot block the reading; one TLS connection cannot be written
    /// from two threads, so there the body is written first, whatever happens to the write.
    /// Returns every byte received until the host closes, a complete reply has arrived on a
    /// connection the host keeps open, or `wait` passes.
    fn exchange(
        &self,
        head: &(&str, String),
        body: &[u8],
        half_close: bool,
        wait: Duration,
    ) -> Result<Vec<u8>, TransportError> {
        let (authority, path) = split_http_url(&self.url)?;
        let (mut stream, socket, addr) = self.connect()?;
        let t = |e: std::io::Error| TransportError(format!("{addr}: {e}"));
        let text = format!(
            "{} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n{}\r\n",
            head.0, head.1
        );
        stream.write_all(text.as_bytes()).map_err(t)?;
        let writer = if self.tls.is_none() {
            stream.flush().map_err(t)?;
            let mut w = socket.try_clone().map_err(t)?;
            let body = body.to_vec();
            Some(std::thread::spawn(move || {
                // The host may stop reading once it has answered (HRT-API-60).
                let _ = w.write_all(&body);
                if half_close {
                    let _ = w.shutdown(std::net::Shutdown::Write);
                }
            }))
        } else {
            let _ = stream.write_all(body);
            let _ = stream.flush();
            if half_close {
                let _ = socket.shutdown(std::net::Shutdown::Write);
            }
            None
        };
        let deadline = std::time::Instant::now() + wait;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 16384];
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() || parse_http_reply(&buf).is_some() {
                break;
            }
            stream.set_read_timeout(Some(left)).map_err(t)?;
            match stream.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
                // A reset after (or instead of) the answer: keep what arrived.
                Err(_) => break,
            }
        }
        let _ = socket.shutdown(std::net::Shutdown::Both);
        if let Some(w) = writer {
            let _ = w.join();
        }
        Ok(buf)
    }

    /// Connects (over TLS for `https://`) and writes the head of a `POST` to the host URL with
    /// `extra` header lines.
    fn open_post(&self, extra: &str) -> Result<Box<dyn RawStream>, TransportError> {
        let (authority, path) = split_http_url(&self.url)?;
        let (mut stream, _, addr) = self.connect()?;
        let t = |e: std::io::Error| self.failed(&addr, &e);
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: {CBOR}\r\nConnection: close\r\n{extra}\r\n"
        );
        stream.write_all(head.as_bytes()).map_err(t)?;
        stream.flush().map_err(t)?;
        Ok(stream)
    }
}

/// A connection of the raw requests: plain TCP, or TLS over it.
trait RawStream: Read + Write + Send {
    /// Sets the read timeout of the TCP connection underneath.
    fn set_read_timeout(&self, d: Option<Duration>) -> std::io::Result<()>;
}

impl RawStream for std::net::TcpStream {
    fn set_read_timeout(&self, d: Option<Duration>) -> std::io::Result<()> {
        std::net::TcpStream::set_read_timeout(self, d)
    }
}

impl RawStream for rustls::StreamOwned<rustls::ClientConnection, std::net::TcpStream> {
    fn set_read_timeout(&self, d: Option<Duration>) -> std::io::Result<()> {
        self.sock.set_read_timeout(d)
    }
}

/// Reads until a complete reply is in (`Some`), or `wait` passes without one (`None`).
fn read_reply(
    stream: &mut Box<dyn RawStream>,
    wait: Duration,
) -> Result<Option<HttpReply>, TransportError> {
    let t = |e: std::io::Error| TransportError(format!("reading the reply: {e}"));
    stream.set_read_timeout(Some(wait)).map_err(t)?;
    let deadline = std::time::Instant::now() + wait;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(reply) = parse_http_reply(&buf) {
            return Ok(Some(reply));
        }
        if std::time::Instant::now() >= deadline {
            return Ok(None);
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(parse_http_reply_at_eof(&buf)),
            Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(None)
            }
            // A reset after the answer arrived is how some servers close early.
            Err(e) => return parse_http_reply(&buf).map(Some).ok_or_else(|| t(e)),
        }
    }
}

/// `http://authority/path` or `https://authority/path` split into its authority and its path
/// (at least `/`).
fn split_http_url(url: &str) -> Result<(&str, &str), TransportError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| TransportError(format!("not an http:// or https:// URL: {url}")))?;
    Ok(match rest.find('/') {
        Some(i) => (
            rest.get(..i).unwrap_or_default(),
            rest.get(i..).unwrap_or("/"),
        ),
        None => (rest, "/"),
    })
}

/// A complete HTTP/1.1 reply in `buf` (status line, headers, and a body delimited by
/// Content-Length or chunked encoding), or `None` if more bytes are needed.
fn parse_http_reply(buf: &[u8]) -> Option<HttpReply> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(buf.get(..end)?).ok()?;
    let body = buf.get(end + 4..)?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let mut content_type = None;
    let mut length = None;
    let mut chunked = false;
    for l in lines {
        let (k, v) = l.split_once(':')?;
        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
        match k.as_str() {
            "content-type" => content_type = Some(v.to_owned()),
            "content-length" => length = v.parse::<usize>().ok(),
            "transfer-encoding" => chunked = v.eq_ignore_ascii_case("chunked"),
            _ => {}
        }
    }
    let body = if chunked {
        dechunk(body)?
    } else {
        body.get(..length?)?.to_vec()
    };
    Some(HttpReply {
        status,
        content_type,
        body,
    })
}

/// The reply at end of stream: a body without Content-Length runs to the end.
fn parse_http_reply_at_eof(buf: &[u8]) -> Option<HttpReply> {
    parse_http_reply(buf).or_else(|| {
        let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
        let mut with_length = buf.get(..end)?.to_vec();
        let body = buf.get(end + 4..)?;
        with_length
            .extend_from_slice(format!("\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes());
        with_length.extend_from_slice(body);
        parse_http_reply(&with_length)
    })
}

/// Decodes a complete chunked body (RFC 9112 §7.1), or `None` if it is incomplete.
fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(b.get(..eol)?).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        b = b.get(eol + 2..)?;
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = b.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_read_after_a_reset_on_write() {
        use std::net::TcpListener;
        let Ok(l) = TcpListener::bind("127.0.0.1:0") else {
            return;
        };
        let Ok(addr) = l.local_addr() else { return };
        let server = std::thread::spawn(move || {
            // Every connection (the HTTP library's, then the harness's own) is answered at
            // once and closed with the body unread.
            let _ = l.set_nonblocking(true);
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            let mut served = 0;
            while served < 2 && std::time::Instant::now() < deadline {
                let Ok((mut c, _)) = l.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                served += 1;
                let _ = c.set_nonblocking(false);
                let mut head = Vec::new();
                let mut b = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && c.read(&mut b).is_ok_and(|n| n == 1) {
                    head.push(b[0]);
                }
                let _ = c.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/cbor\r\nContent-Length: 1\r\nConnection: close\r\n\r\n\xa0",
                );
                drop(c);
            }
        });
        let Ok(t) = HttpTarget::new(&format!("http://{addr}/")) else {
            return;
        };
        let r = t.post(&vec![0u8; 8 << 20]);
        let _ = server.join();
        assert_eq!(
            r.map(|r| (r.status, r.body)).map_err(|e| e.0),
            Ok((200, vec![0xa0]))
        );
    }
}
