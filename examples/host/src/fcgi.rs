//! The FastCGI front end (`hearth-host fcgi`, FastCGI Specification 1.0, responder role): one
//! long-lived process answers many requests with a warm SQLite connection, for hosts that
//! offer mod_fcgid or FastCGI. The thin IO shell around [`crate::fcgi_session`]:
//!
//! - listening on the socket the web server passes as `FCGI_LISTENSOCK_FILENO` (file
//!   descriptor 0, §2.2; mod_fcgid and lighttpd's `bin-path` spawning do this), or on
//!   `--listen HOST:PORT` / a Unix socket path;
//! - one thread per connection (at most [`MAX_CONNS`]), one request at a time on each
//!   (`FCGI_MPXS_CONNS` 0);
//! - the same handler as the CGI and `serve` front ends: steps 1 and 2 on the parameters
//!   before any body byte is kept (HRT-API-16), at most `CONTENT_LENGTH`, else `max_request +
//!   1`, body bytes kept (HRT-API-17), steps 3 to 9 on the connection's thread, steps 10 to 15
//!   on one writer thread that groups concurrent requests into one transaction with one
//!   savepoint each, as `serve` does (HRT-API-36, HRT-API-50);
//! - every answer a `Response` on `Status: 200 OK` (HRT-API-5), `internal` when the
//!   configuration is unusable (until the process restarts) or the database cannot be opened
//!   (retried at the next request).

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::Duration;

use hearth_wire::ErrorCode;

use crate::fcgi_record::FcgiError;
use crate::fcgi_session::{Event, Limits, Params, Session};
use crate::handler::{response, Host, Job, Prepared};
use crate::store;

/// The most connections served at once (`FCGI_MAX_CONNS`); further ones wait in the
/// listen backlog.
pub const MAX_CONNS: usize = 32;
/// The most requests one transaction carries (as `serve`).
pub const MAX_BATCH: usize = 128;
/// How long a connection may stay silent, between or inside requests.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the rest of an answered request's body is awaited before the connection is
/// closed anyway (a lingering close: closing with unread bytes can reset the answer away).
pub const LINGER: Duration = Duration::from_secs(2);

/// Where to listen.
#[derive(Debug, Clone)]
pub enum Listen {
    /// The listening socket passed as file descriptor 0 (`FCGI_LISTENSOCK_FILENO`).
    Inherited,
    /// A TCP address (`127.0.0.1:9000`).
    Tcp(String),
    /// A Unix socket path (created; an old socket at the path is replaced).
    Unix(PathBuf),
}

impl Listen {
    /// `--listen ADDR`: a path when it contains a `/`, else a TCP address.
    pub fn parse(addr: &str) -> Listen {
        if addr.contains('/') {
            Listen::Unix(PathBuf::from(addr))
        } else {
            Listen::Tcp(addr.to_owned())
        }
    }
}

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    fn set_timeout(&self, t: Duration) -> std::io::Result<()> {
        match self {
            Stream::Tcp(s) => {
                s.set_read_timeout(Some(t))?;
                s.set_write_timeout(Some(t))
            }
            Stream::Unix(s) => {
                s.set_read_timeout(Some(t))?;
                s.set_write_timeout(Some(t))
            }
        }
    }

    fn shutdown_write(&self) {
        let _ = match self {
            Stream::Tcp(s) => s.shutdown(std::net::Shutdown::Write),
            Stream::Unix(s) => s.shutdown(std::net::Shutdown::Write),
        };
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Standard input as a socket (a duplicate of descriptor 0), if it is one.
fn stdin_fd() -> std::io::Result<OwnedFd> {
    std::io::stdin().as_fd().try_clone_to_owned()
}

/// Whether this process was started as a FastCGI application: descriptor 0 is a socket
/// without a peer (the test of spec §2.2: `getpeername` fails with `ENOTCONN`). A CGI
/// program's standard input is a pipe or a connected socket.
pub fn invoked_as_fastcgi() -> bool {
    let Ok(fd) = stdin_fd() else {
        return false;
    };
    UnixStream::from(fd)
        .peer_addr()
        .is_err_and(|e| e.kind() == std::io::ErrorKind::NotConnected)
}

fn bind(listen: &Listen) -> std::io::Result<Listener> {
    match listen {
        Listen::Inherited => {
            let unix = UnixListener::from(stdin_fd()?);
            if unix.local_addr().is_ok() {
                return Ok(Listener::Unix(unix));
            }
            let tcp = TcpListener::from(OwnedFd::from(unix));
            tcp.local_addr().map_err(|e| {
                std::io::Error::other(format!(
                    "file descriptor 0 is not a listening socket ({e}); run by a FastCGI web \
                     server, or pass --listen"
                ))
            })?;
            Ok(Listener::Tcp(tcp))
        }
        Listen::Tcp(addr) => TcpListener::bind(addr).map(Listener::Tcp),
        Listen::Unix(path) => {
            use std::os::unix::fs::FileTypeExt;
            if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket()) {
                std::fs::remove_file(path)?;
            }
            UnixListener::bind(path).map(Listener::Unix)
        }
    }
}

/// A counting semaphore for the connection threads.
struct Slots {
    free: Mutex<usize>,
    cv: Condvar,
}

impl Slots {
    fn take(&self) {
        let mut n = self.free.lock().unwrap_or_else(|p| p.into_inner());
        while *n == 0 {
            n = self.cv.wait(n).unwrap_or_else(|p| p.into_inner());
        }
        *n -= 1;
    }
    fn give(&self) {
        let mut n = self.free.lock().unwrap_or_else(|p| p.into_inner());
        *n += 1;
        self.cv.notify_one();
    }
}

/// `FCGI_WEB_SERVER_ADDRS` (§3.2): when set, TCP connections are accepted only from the
/// listed addresses.
fn allowed_peers() -> Option<Vec<IpAddr>> {
    let v = std::env::var("FCGI_WEB_SERVER_ADDRS").ok()?;
    Some(
        v.split(',')
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .collect(),
    )
}

/// Runs the FastCGI application until the listener fails. `host` is `None` when the
/// configuration could not be loaded: every request is then answered `internal`
/// (HRT-API-5). `on_bound` receives the address listened on (for `--listen` with port 0).
pub fn run(
    host: Option<Arc<Host>>,
    listen: &Listen,
    on_bound: impl FnOnce(&str),
) -> std::io::Result<()> {
    let listener = bind(listen)?;
    let bound = match &listener {
        Listener::Tcp(l) => l.local_addr()?.to_string(),
        Listener::Unix(l) => l.local_addr()?.as_pathname().map_or_else(
            || "an unnamed socket".to_owned(),
            |p| p.display().to_string(),
        ),
    };
    on_bound(&bound);
    let writer = host.as_ref().map(|h| start_writer(h.clone())).transpose()?;
    let peers = allowed_peers();
    let slots = Arc::new(Slots {
        free: Mutex::new(MAX_CONNS),
        cv: Condvar::new(),
    });
    loop {
        slots.take();
        let stream = match &listener {
            Listener::Tcp(l) => match l.accept() {
                Ok((s, peer)) => {
                    if peers.as_ref().is_some_and(|p| !p.contains(&peer.ip())) {
                        eprintln!("hearth-host: fcgi: refused a connection from {peer} (FCGI_WEB_SERVER_ADDRS)");
                        slots.give();
                        continue;
                    }
                    let _ = s.set_nodelay(true);
                    Stream::Tcp(s)
                }
                Err(e) => {
                    slots.give();
                    accept_failed(e)?;
                    continue;
                }
            },
            Listener::Unix(l) => match l.accept() {
                Ok((s, _)) => Stream::Unix(s),
                Err(e) => {
                    slots.give();
                    accept_failed(e)?;
                    continue;
                }
            },
        };
        let (host, writer, slots2) = (host.clone(), writer.clone(), slots.clone());
        let spawned = std::thread::Builder::new()
            .name("hearth-fcgi".into())
            .spawn(move || {
                if let Err(e) = serve_connection(host.as_deref(), writer.as_ref(), stream) {
                    eprintln!("hearth-host: fcgi: connection closed: {e}");
                }
                slots2.give();
            });
        if let Err(e) = spawned {
            eprintln!("hearth-host: fcgi: cannot start a thread: {e}");
            slots.give();
        }
    }
}

/// Transient accept errors (a connection reset before it was accepted, descriptors
/// exhausted) are logged and waited out; others end the process.
fn accept_failed(e: std::io::Error) -> std::io::Result<()> {
    match e.kind() {
        ErrorKind::ConnectionAborted
        | ErrorKind::ConnectionReset
        | ErrorKind::Interrupted
        | ErrorKind::WouldBlock => Ok(()),
        _ if e.raw_os_error() == Some(24) || e.raw_os_error() == Some(23) => {
            eprintln!("hearth-host: fcgi: accept: {e}");
            std::thread::sleep(Duration::from_millis(100));
            Ok(())
        }
        _ => Err(e),
    }
}

type Work = (Box<Job>, mpsc::SyncSender<Vec<u8>>);

/// The writer thread: steps 10 to 15 of every job, concurrent jobs in one transaction. The
/// connection is opened at the first job and reopened after a failure.
fn start_writer(host: Arc<Host>) -> std::io::Result<mpsc::Sender<Work>> {
    let (tx, rx) = mpsc::channel::<Work>();
    std::thread::Builder::new()
        .name("hearth-fcgi-writer".into())
        .spawn(move || {
            let mut conn: Option<crate::db::Conn> = None;
            while let Ok(first) = rx.recv() {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    let Ok(w) = rx.try_recv() else { break };
                    batch.push(w);
                }
                if conn.is_none() {
                    match store::open(&host.config.db_path()) {
                        Ok(c) => conn = Some(c),
                        Err(e) => eprintln!(
                            "hearth-host: fcgi: cannot open database {}: {e}",
                            host.config.db_path().display()
                        ),
                    }
                }
                let answers = conn.as_ref().map_or_else(Vec::new, |c| {
                    let jobs: Vec<&Job> = batch.iter().map(|(j, _)| j.as_ref()).collect();
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        host.run_batch(c, &jobs)
                    }))
                    .unwrap_or_default()
                });
                if answers.len() != batch.len() {
                    // A panic outside a job or no database: start afresh next time.
                    if let Some(c) = conn.take() {
                        let _ = c.execute_batch("ROLLBACK");
                    }
                }
                let mut answers = answers.into_iter();
                for (_, reply) in batch {
                    let _ = reply.send(answers.next().unwrap_or_else(|| host.internal()));
                }
            }
        })?;
    Ok(tx)
}

/// The CGI response (headers and body) carried on `FCGI_STDOUT`.
fn stdout_bytes(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 80);
    // Writing into a Vec cannot fail.
    let _ = crate::cgi::write_response(&mut out, body);
    out
}

fn internal(host: Option<&Host>) -> Vec<u8> {
    host.map_or_else(
        || {
            response(
                ErrorCode::INTERNAL,
                crate::clock::Clock::default().now(),
                None,
                None,
            )
        },
        Host::internal,
    )
}

/// Steps 1 and 2 on the parameters: `Ok(answer)` to answer now, `Err(limit)` to read at most
/// `limit` body bytes (exactly as the CGI front end, HRT-API-16, HRT-API-17).
fn on_params(host: &Host, p: &Params) -> Result<Result<Vec<u8>, usize>, FcgiError> {
    let method = p.get("REQUEST_METHOD")?.unwrap_or_default();
    let content_type = p.get("CONTENT_TYPE")?.filter(|v| !v.is_empty());
    let content_length = p
        .get("CONTENT_LENGTH")?
        .filter(|v| !v.is_empty())
        .map(|v| v.trim().parse::<u64>().unwrap_or(u64::MAX));
    if let Some(answer) = host.pre_body(method, content_type, content_length) {
        return Ok(Ok(answer));
    }
    let limit = content_length.unwrap_or_else(|| host.read_limit());
    Ok(Err(usize::try_from(limit).unwrap_or(usize::MAX)))
}

/// Steps 3 to 15 for a body.
fn on_body(host: &Host, writer: Option<&mpsc::Sender<Work>>, body: Vec<u8>) -> Vec<u8> {
    let prepared = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| host.prepare(body)));
    let job = match prepared {
        Ok(Prepared::Done(answer)) => return answer,
        Ok(Prepared::Job(job)) => job,
        Err(_) => return host.internal(),
    };
    let (tx, rx) = mpsc::sync_channel(1);
    match writer.map(|w| w.send((job, tx))) {
        Some(Ok(())) => rx.recv().unwrap_or_else(|_| host.internal()),
        _ => host.internal(),
    }
}

/// Serves one transport connection until the web server closes it (or the session ends it).
fn serve_connection(
    host: Option<&Host>,
    writer: Option<&mpsc::Sender<Work>>,
    mut stream: Stream,
) -> std::io::Result<()> {
    stream.set_timeout(IDLE_TIMEOUT)?;
    let limits = Limits {
        max_conns: MAX_CONNS as u32,
        ..Limits::default()
    };
    let mut session = Session::new(limits);
    let mut buf = vec![0u8; 64 * 1024];
    let mut lingering = false;
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            // Silence between requests, or after an answer: the connection just ends.
            Err(e)
                if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
                    && (session.is_idle() || session.is_draining().is_some()) =>
            {
                return Ok(())
            }
            Err(e) => return Err(e),
        };
        session
            .feed(buf.get(..n).unwrap_or_default())
            .map_err(other)?;
        loop {
            let event = match session.poll() {
                Ok(Some(ev)) => ev,
                Ok(None) => break,
                Err(e) => {
                    let _ = stream.write_all(&session.take_output());
                    return Err(other(e));
                }
            };
            match event {
                Event::Params(p) => match host.map(|h| on_params(h, &p)) {
                    Some(Ok(Ok(answer))) => session.respond(&stdout_bytes(&answer), 0),
                    Some(Ok(Err(limit))) => session.read_body(limit),
                    Some(Err(e)) => {
                        eprintln!("hearth-host: fcgi: request refused: {e}");
                        session.respond(&stdout_bytes(&internal(host)), 0);
                    }
                    None => session.respond(&stdout_bytes(&internal(None)), 0),
                },
                Event::Body(body) => {
                    let answer = match host {
                        Some(h) => on_body(h, writer, body),
                        None => internal(None),
                    };
                    session.respond(&stdout_bytes(&answer), 0);
                }
                Event::Refused(e) => {
                    eprintln!("hearth-host: fcgi: request refused: {e}");
                    session.respond(&stdout_bytes(&internal(host)), 0);
                }
            }
        }
        let out = session.take_output();
        if !out.is_empty() {
            stream.write_all(&out)?;
        }
        if session.is_closed() {
            return Ok(());
        }
        if session.is_draining() == Some(false) && !lingering {
            lingering = true;
            // Answered early and the web server will close: read what it still sends, for a
            // short while, so that the answer is not reset away; then close.
            stream.shutdown_write();
            stream.set_timeout(LINGER)?;
        }
    }
}

fn other(e: FcgiError) -> std::io::Error {
    std::io::Error::other(e)
}
