//! A CGI program (RFC 3875) run directly, once per request, without a web server.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::{HttpReply, HttpRequest, Target, TransportError};

/// A CGI program (RFC 3875) run directly, once per request, without a web server.
pub struct CgiTarget {
    program: PathBuf,
    url: String,
    env: Vec<(String, String)>,
}

impl CgiTarget {
    /// Runs `program` for each request. `url` is the canonical host URL the program is configured
    /// with; the meta-variables `SERVER_NAME`, `SERVER_PORT`, `SCRIPT_NAME` and `HTTPS` are
    /// derived from it. `env` is passed on unchanged (e.g. the program's configuration path).
    pub fn new(program: PathBuf, url: &str, env: Vec<(String, String)>) -> Self {
        Self {
            program,
            url: url.to_owned(),
            env,
        }
    }

    /// The CGI/1.1 meta-variables for `req` (RFC 3875 §4.1).
    pub fn meta_variables(&self, req: &HttpRequest) -> Vec<(String, String)> {
        let (https, rest) = match self.url.strip_prefix("https://") {
            Some(r) => (true, r),
            None => (false, self.url.strip_prefix("http://").unwrap_or(&self.url)),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, "/"),
        };
        let (name, port) = match authority.rfind(':') {
            Some(i) if !authority.ends_with(']') => {
                let (n, p) = authority.split_at(i);
                (n.to_owned(), p.trim_start_matches(':').to_owned())
            }
            _ => (
                authority.to_owned(),
                if https { "443".into() } else { "80".into() },
            ),
        };
        let mut v = vec![
            ("GATEWAY_INTERFACE".to_owned(), "CGI/1.1".to_owned()),
            ("SERVER_PROTOCOL".to_owned(), "HTTP/1.1".to_owned()),
            (
                "SERVER_SOFTWARE".to_owned(),
                "hearth-conformance".to_owned(),
            ),
            ("REQUEST_METHOD".to_owned(), req.method.clone()),
            ("SCRIPT_NAME".to_owned(), path.to_owned()),
            ("PATH_INFO".to_owned(), String::new()),
            ("QUERY_STRING".to_owned(), String::new()),
            ("SERVER_NAME".to_owned(), name),
            ("SERVER_PORT".to_owned(), port),
            ("REMOTE_ADDR".to_owned(), "127.0.0.1".to_owned()),
        ];
        if https {
            v.push(("HTTPS".to_owned(), "on".to_owned()));
        }
        if !req.body.is_empty() || req.method == "POST" {
            v.push(("CONTENT_LENGTH".to_owned(), req.body.len().to_string()));
        }
        if let Some(ct) = &req.content_type {
            v.push(("CONTENT_TYPE".to_owned(), ct.clone()));
        }
        if let Some(a) = &req.accept {
            v.push(("HTTP_ACCEPT".to_owned(), a.clone()));
        }
        for (k, val) in &req.headers {
            let name: String = k
                .chars()
                .map(|c| {
                    if c == '-' {
                        '_'
                    } else {
                        c.to_ascii_uppercase()
                    }
                })
                .collect();
            v.push((format!("HTTP_{name}"), val.clone()));
        }
        v
    }
}

/// Parses a CGI response (RFC 3875 §6): header lines, a blank line, the body.
pub fn parse_cgi_response(out: &[u8]) -> Result<HttpReply, TransportError> {
    let (head_end, body_start) = find_header_end(out)
        .ok_or_else(|| TransportError("CGI output has no blank line after the headers".into()))?;
    let head = std::str::from_utf8(out.get(..head_end).unwrap_or_default())
        .map_err(|_| TransportError("CGI headers are not UTF-8".into()))?;
    let mut status = 200u16;
    let mut content_type = None;
    for line in head.lines() {
        let Some((k, v)) = line.split_once(':') else {
            return Err(TransportError(format!("bad CGI header line `{line}`")));
        };
        let v = v.trim();
        if k.eq_ignore_ascii_case("status") {
            status = v
                .split_whitespace()
                .next()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| TransportError(format!("bad CGI Status `{v}`")))?;
        } else if k.eq_ignore_ascii_case("content-type") {
            content_type = Some(v.to_owned());
        }
    }
    Ok(HttpReply {
        status,
        content_type,
        body: out.get(body_start..).unwrap_or_default().to_vec(),
    })
}

fn find_header_end(out: &[u8]) -> Option<(usize, usize)> {
    let crlf = out.windows(4).position(|w| w == b"\r\n\r\n");
    let lf = out.windows(2).position(|w| w == b"\n\n");
    match (crlf, lf) {
        (Some(a), Some(b)) if b < a => Some((b, b + 2)),
        (Some(a), _) => Some((a, a + 4)),
        (None, Some(b)) => Some((b, b + 2)),
        (None, None) => None,
    }
}

impl CgiTarget {
    /// Starts the program with a clean environment holding PATH, the configured variables and
    /// the request's meta-variables (CONTENT_LENGTH overridden when `content_length` is given),
    /// with its standard streams piped (standard error discarded).
    fn spawn(
        &self,
        req: &HttpRequest,
        content_length: Option<u64>,
    ) -> Result<std::process::Child, TransportError> {
        let mut cmd = Command::new(&self.program);
        cmd.env_clear();
        if let Ok(path) = std::env::var("PATH") {
            cmd.env("PATH", path);
        }
        for (k, v) in self.env.iter().chain(self.meta_variables(req).iter()) {
            cmd.env(k, v);
        }
        if let Some(n) = content_length {
            cmd.env("CONTENT_LENGTH", n.to_string());
        }
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| TransportError(format!("cannot run {}: {e}", self.program.display())))
    }
}

impl Target for CgiTarget {
    fn send(&self, req: &HttpRequest) -> Result<HttpReply, TransportError> {
        let mut child = self.spawn(req, None)?;
        let body = req.body.clone();
        let writer = child.stdin.take().map(|mut stdin| {
            std::thread::spawn(move || {
                // The program may legitimately stop reading early (HRT-API-16).
                let _ = stdin.write_all(&body);
            })
        });
        let mut out = Vec::new();
        if let Some(mut stdout) = child.stdout.take() {
            stdout
                .read_to_end(&mut out)
                .map_err(|e| TransportError(format!("reading CGI output: {e}")))?;
        }
        let _ = child.wait();
        if let Some(w) = writer {
            let _ = w.join();
        }
        parse_cgi_response(&out)
    }

    fn post_short(
        &self,
        content_length: u64,
        body: &[u8],
        wait: Duration,
    ) -> Result<Option<HttpReply>, TransportError> {
        let mut child = self.spawn(&HttpRequest::post_cbor(body.to_vec()), Some(content_length))?;
        // The body, then end of input: the program sees fewer bytes than CONTENT_LENGTH.
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(body);
        }
        let (tx, rx) = std::sync::mpsc::channel();
        if let Some(mut stdout) = child.stdout.take() {
            std::thread::spawn(move || {
                let mut out = Vec::new();
                let _ = stdout.read_to_end(&mut out);
                let _ = tx.send(out);
            });
        }
        let out = rx.recv_timeout(wait).ok();
        let _ = child.kill();
        let _ = child.wait();
        match out {
            Some(out) if out.is_empty() => Ok(None),
            Some(out) => parse_cgi_response(&out).map(Some),
            None => Ok(None),
        }
    }

    fn post_declared_only(
        &self,
        content_length: u64,
        wait: Duration,
    ) -> Result<Option<HttpReply>, TransportError> {
        let mut child = self.spawn(&HttpRequest::post_cbor(Vec::new()), Some(content_length))?;
        // Standard input stays open and empty, like a web server still waiting for the body.
        let stdin = child.stdin.take();
        let (tx, rx) = std::sync::mpsc::channel();
        if let Some(mut stdout) = child.stdout.take() {
            std::thread::spawn(move || {
                let mut out = Vec::new();
                let _ = stdout.read_to_end(&mut out);
                let _ = tx.send(out);
            });
        }
        let out = rx.recv_timeout(wait).ok();
        drop(stdin);
        let _ = child.kill();
        let _ = child.wait();
        match out {
            Some(out) => parse_cgi_response(&out).map(Some),
            None => Ok(None),
        }
    }

    fn base_url(&self) -> &str {
        &self.url
    }

    fn cli_args(&self) -> String {
        format!("--cgi {} --url {}", self.program.display(), self.url)
    }
}

#[cfg(test)]
mod tests {
    use super::super::CBOR;
    use super::*;

    #[test]
    fn cgi_response_parsing() {
        let r = parse_cgi_response(b"Status: 200 OK\r\nContent-Type: application/cbor\r\n\r\n\xa0")
            .unwrap_or_default();
        assert_eq!(r.status, 200);
        assert_eq!(r.content_type.as_deref(), Some(CBOR));
        assert_eq!(r.body, vec![0xa0]);
        let r = parse_cgi_response(b"Content-Type: text/html\n\nx").unwrap_or_default();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"x".to_vec());
        assert!(parse_cgi_response(b"garbage").is_err());
    }

    /// HRT-API-60/61: a server that answers after the head and closes with the body unread
    /// (the kernel then resets the connection) still has its answer read by the harness.
    #[test]
    fn cgi_meta_variables() {
        let t = CgiTarget::new(
            "/bin/true".into(),
            "https://example.org:8443/h/hearth.cgi",
            vec![],
        );
        let v = t.meta_variables(&HttpRequest::post_cbor(vec![1, 2, 3]));
        let get = |k: &str| v.iter().find(|(a, _)| a == k).map(|(_, b)| b.as_str());
        assert_eq!(get("SERVER_NAME"), Some("example.org"));
        assert_eq!(get("SERVER_PORT"), Some("8443"));
        assert_eq!(get("SCRIPT_NAME"), Some("/h/hearth.cgi"));
        assert_eq!(get("HTTPS"), Some("on"));
        assert_eq!(get("CONTENT_LENGTH"), Some("3"));
        assert_eq!(get("CONTENT_TYPE"), Some(CBOR));
    }
}
