//! FastCGI test support: a small FastCGI client (the web server's side, built on the host's own
//! record codec), `hearth-host fcgi` as a process, and lighttpd with mod_fastcgi configured by
//! the block of DEPLOY.md's "FastCGI" section. Used by `tests/fcgi.rs` and the throughput bench.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hearth_host::fcgi_record::{
    decode, encode, encode_pair, encode_stream, BeginRequest, RecordType, FLAG_KEEP_CONN,
    ROLE_RESPONDER,
};

use super::common::{free_port, parse_cgi, write_config_for, TempDir, BIN, HOST_URL};

/// The bytes of one request: BEGIN_REQUEST, the PARAMS stream, and the STDIN stream when
/// `stdin` is given (ended by an empty record).
pub fn request_bytes(
    id: u16,
    params: &[(&str, &str)],
    stdin: Option<&[u8]>,
    keep: bool,
) -> Vec<u8> {
    let mut out = Vec::new();
    let begin = BeginRequest {
        role: ROLE_RESPONDER,
        flags: if keep { FLAG_KEEP_CONN } else { 0 },
    };
    encode(&mut out, RecordType::BEGIN_REQUEST, id, &begin.encode());
    let mut p = Vec::new();
    for (n, v) in params {
        encode_pair(&mut p, n.as_bytes(), v.as_bytes());
    }
    encode_stream(&mut out, RecordType::PARAMS, id, &p);
    if let Some(body) = stdin {
        encode_stream(&mut out, RecordType::STDIN, id, body);
    }
    out
}

/// Reads records until an END_REQUEST (included) or end of stream; `(type, id, content)`.
pub fn read_records(s: &mut impl Read) -> Vec<(RecordType, u16, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    let mut out = Vec::new();
    loop {
        while let Some((r, n)) = decode(&buf).unwrap() {
            let end = r.kind == RecordType::END_REQUEST;
            out.push((r.kind, r.request_id, r.content.to_vec()));
            buf.drain(..n);
            if end {
                return out;
            }
        }
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return out,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// The STDOUT stream of the records of one request.
pub fn stdout_of(records: &[(RecordType, u16, Vec<u8>)]) -> Vec<u8> {
    records
        .iter()
        .filter(|r| r.0 == RecordType::STDOUT)
        .flat_map(|r| r.2.clone())
        .collect()
}

/// The CGI meta-variables of a POST of `len` bytes of application/cbor.
pub fn post_params(len: usize) -> Vec<(&'static str, String)> {
    vec![
        ("GATEWAY_INTERFACE", "CGI/1.1".into()),
        ("REQUEST_METHOD", "POST".into()),
        ("CONTENT_TYPE", "application/cbor".into()),
        ("CONTENT_LENGTH", len.to_string()),
    ]
}

/// One POST on its own connection; the Response bytes.
pub fn fcgi_post(addr: &str, body: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let p = post_params(body.len());
    let p: Vec<(&str, &str)> = p.iter().map(|(n, v)| (*n, v.as_str())).collect();
    s.write_all(&request_bytes(1, &p, Some(body), false))
        .unwrap();
    parse_cgi(&stdout_of(&read_records(&mut s)))
}

/// A running `hearth-host fcgi --listen 127.0.0.1:0`.
pub struct FcgiProcess {
    pub child: Child,
    pub addr: String,
}

impl FcgiProcess {
    pub fn start(config: &Path) -> FcgiProcess {
        let mut child = Command::new(BIN)
            .args(["fcgi", "--config"])
            .arg(config)
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .split_whitespace()
            .nth(4)
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_string();
        FcgiProcess { child, addr }
    }
}

impl Drop for FcgiProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The fenced `lighttpd` block of DEPLOY.md's "FastCGI" section.
pub fn deploy_fastcgi_block() -> String {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("DEPLOY.md")).unwrap();
    let section = text
        .split("\n## FastCGI\n")
        .nth(1)
        .expect("DEPLOY.md has a \"## FastCGI\" section");
    let section = section.split("\n## ").next().unwrap();
    let block = section
        .split("```lighttpd\n")
        .nth(1)
        .expect("a ```lighttpd block in the FastCGI section");
    block.split("```").next().unwrap().to_string()
}

/// The placeholder directory of the DEPLOY.md block.
pub const DEPLOY_DIR: &str = "/home/you/hearth";

/// lighttpd with mod_fastcgi, configured by [`deploy_fastcgi_block`] with its directory
/// replaced by a temporary one holding the binary, the config, `run/` and `data/`; stopped on
/// drop (with the FastCGI process it started).
pub struct LighttpdFcgi {
    child: Child,
    /// The FastCGI application's URL (the host's canonical URL).
    pub url: String,
    /// The `/home/you/hearth` of the guide.
    pub home: PathBuf,
    /// Holds the document root, the home and the error log.
    pub dir: TempDir,
}

impl LighttpdFcgi {
    /// Starts lighttpd; `extra` is appended to the host's config, whose canonical URL is the
    /// URL it is served at (as the host suite needs).
    pub fn start(extra: &str) -> LighttpdFcgi {
        Self::start_inner(extra, true)
    }

    /// As [`LighttpdFcgi::start`], with the canonical URL [`HOST_URL`] that the request
    /// builders of `tests/common` sign for.
    pub fn start_plain(extra: &str) -> LighttpdFcgi {
        Self::start_inner(extra, false)
    }

    fn start_inner(extra: &str, canonical: bool) -> LighttpdFcgi {
        let dir = TempDir::new("lighttpd-fcgi");
        let root = dir.path().join("www");
        let home = dir.path().join("hearth");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(home.join("run")).unwrap();
        std::fs::copy(BIN, home.join("hearth-host")).unwrap();
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}/hearth/hearth.fcgi");
        write_config_for(&home, if canonical { &url } else { HOST_URL }, extra);
        let block = deploy_fastcgi_block().replace(DEPLOY_DIR, &home.display().to_string());
        let conf = dir.path().join("lighttpd.conf");
        std::fs::write(
            &conf,
            format!(
                "server.document-root = \"{root}\"\nserver.port = {port}\n\
                 server.bind = \"127.0.0.1\"\nserver.errorlog = \"{dir}/error.log\"\n{block}",
                root = root.display(),
                dir = dir.path().display(),
            ),
        )
        .unwrap();
        let child = Command::new("lighttpd")
            .arg("-D")
            .arg("-f")
            .arg(&conf)
            .spawn()
            .unwrap();
        let up = (0..100).any(|_| {
            let ok = TcpStream::connect(("127.0.0.1", port)).is_ok();
            if !ok {
                std::thread::sleep(Duration::from_millis(50));
            }
            ok
        });
        let l = LighttpdFcgi {
            child,
            url,
            home,
            dir,
        };
        assert!(up, "lighttpd did not start:\n{}", l.error_log());
        l
    }

    /// lighttpd's error log (the FastCGI process's standard error goes there too).
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    /// The process ids of the `hearth-host` children lighttpd started (from `/proc`).
    pub fn backends(&self) -> Vec<u32> {
        let me = self.child.id();
        let mut pids = Vec::new();
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
                continue;
            };
            // pid (comm) state ppid ...
            let Some((comm, rest)) = stat.split_once(") ") else {
                continue;
            };
            let ppid = rest.split_whitespace().nth(1).and_then(|p| p.parse().ok());
            if ppid == Some(me) && comm.ends_with("hearth-host") {
                pids.push(pid);
            }
        }
        pids.sort_unstable();
        pids
    }
}

impl Drop for LighttpdFcgi {
    fn drop(&mut self) {
        let backends = self.backends();
        // SIGTERM: lighttpd stops the FastCGI processes it started.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
        for pid in backends {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
    }
}
