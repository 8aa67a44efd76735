//! The standalone front end (`hearth-host serve`): axum/hyper HTTP/1.1, optionally over TLS
//! ([`crate::tls`]), over one request handler. Steps 1 to 9 run on the connection's task; steps 10 to 15 run on one writer
//! thread that groups concurrent requests into one transaction (one savepoint each), so one
//! `fsync` covers several acknowledged writes while each request stays atomic (HRT-API-36)
//! and durable before it is answered (HRT-API-50).

use std::sync::mpsc;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;

use crate::handler::{Host, Job, Prepared};
use crate::store;

/// The most requests one transaction carries.
pub const MAX_BATCH: usize = 128;

type Work = (Box<Job>, oneshot::Sender<Vec<u8>>);

struct App {
    host: Arc<Host>,
    writer: mpsc::Sender<Work>,
}

/// Starts the writer thread that owns the database connection.
fn start_writer(host: Arc<Host>) -> std::io::Result<mpsc::Sender<Work>> {
    // Open once up front so that a bad data directory or database fails at startup. The
    // connection is opened on the writer thread: the PostgreSQL client blocks on a runtime of
    // its own, which cannot start inside this one.
    let (tx, rx) = mpsc::channel::<Work>();
    let (opened_tx, opened) = mpsc::channel::<Result<(), String>>();
    std::thread::Builder::new()
        .name("hearth-writer".into())
        .spawn(move || {
            match store::open_config(
                &host.config.db_path(),
                host.config.serve.database_url.as_deref(),
            ) {
                Ok(conn) => {
                    let _ = opened_tx.send(Ok(()));
                    writer_loop(&host, conn, &rx);
                }
                Err(e) => {
                    let _ = opened_tx.send(Err(e.to_string()));
                }
            }
        })?;
    match opened.recv() {
        Ok(Ok(())) => Ok(tx),
        Ok(Err(e)) => Err(std::io::Error::other(format!("cannot open database: {e}"))),
        Err(_) => Err(std::io::Error::other("the database writer did not start")),
    }
}

fn writer_loop(host: &Host, mut conn: crate::db::Conn, rx: &mpsc::Receiver<Work>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(w) => batch.push(w),
                Err(_) => break,
            }
        }
        let jobs: Vec<&Job> = batch.iter().map(|(j, _)| j.as_ref()).collect();
        let answers = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            host.run_batch(&conn, &jobs)
        }))
        .unwrap_or_default();
        if answers.len() != batch.len() || conn.is_broken() {
            // A panic outside a job, or a lost server: roll back whatever is open and
            // reconnect.
            let _ = conn.rollback();
            if let Ok(c) = store::open_config(
                &host.config.db_path(),
                host.config.serve.database_url.as_deref(),
            ) {
                conn = c;
            }
        }
        let mut answers = answers.into_iter();
        for (_, reply) in batch {
            let _ = reply.send(answers.next().unwrap_or_else(|| host.internal()));
        }
    }
}

fn cbor(body: Vec<u8>) -> Response {
    // HRT-API-5: always 200, application/cbor, one Response.
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/cbor")],
        body,
    )
        .into_response()
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

async fn endpoint(State(app): State<Arc<App>>, req: Request<Body>) -> Response {
    let host = &app.host;
    let headers = req.headers();
    let content_type = header_str(headers, header::CONTENT_TYPE);
    let content_length = header_str(headers, header::CONTENT_LENGTH)
        .map(|v| v.trim().parse::<u64>().unwrap_or(u64::MAX));
    // Steps 1 and 2 before the body is read (HRT-API-16).
    if let Some(answer) = host.pre_body(req.method().as_str(), content_type, content_length) {
        tokio::spawn(discard(req.into_body(), 0));
        return cbor(answer);
    }
    // At most max_request + 1 bytes are kept (HRT-API-17).
    let limit = usize::try_from(host.read_limit()).unwrap_or(usize::MAX);
    let mut body = req.into_body();
    let mut kept = Vec::new();
    loop {
        match next_data(&mut body).await {
            Some(Ok(chunk)) if kept.len() + chunk.len() <= limit => kept.extend_from_slice(&chunk),
            Some(Ok(chunk)) => {
                tokio::spawn(discard(body, kept.len() + chunk.len()));
                return cbor(host.too_large());
            }
            // The body ended before its Content-Length (or the connection broke): an
            // incomplete message is no request (spec §8.1.1, HRT-API-59).
            Some(Err(())) => return cbor(host.short_body()),
            None => break,
        }
    }
    let body = kept;
    let prepared = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| host.prepare(body)));
    let job = match prepared {
        Ok(Prepared::Done(answer)) => return cbor(answer),
        Ok(Prepared::Job(job)) => job,
        Err(_) => {
            tracing::error!("internal: panic while checking a request");
            return cbor(host.internal());
        }
    };
    let (tx, rx) = oneshot::channel();
    if app.writer.send((job, tx)).is_err() {
        tracing::error!("internal: the database writer has stopped");
        return cbor(host.internal());
    }
    match rx.await {
        Ok(answer) => cbor(answer),
        Err(_) => {
            tracing::error!("internal: the database writer dropped a request");
            cbor(host.internal())
        }
    }
}

/// The most bytes of an unwanted request body that are read and thrown away after an early
/// answer. Without this, closing a connection with unread request bytes makes the kernel send a
/// reset that can destroy the answer before the client reads it (the reason HTTP servers do a
/// "lingering close"). Nothing is buffered: the decision was made on the declared length.
const DISCARD_CAP: usize = 16 * 1024 * 1024;

/// The next data frame of a request body; trailers are skipped, an error ends the body.
async fn next_data(body: &mut Body) -> Option<Result<axum::body::Bytes, ()>> {
    use axum::body::HttpBody;
    loop {
        let frame = std::future::poll_fn(|cx| std::pin::Pin::new(&mut *body).poll_frame(cx)).await;
        match frame {
            None => return None,
            Some(Err(_)) => return Some(Err(())),
            Some(Ok(f)) => {
                if let Ok(data) = f.into_data() {
                    return Some(Ok(data));
                }
            }
        }
    }
}

/// Reads and drops the rest of a request body, up to [`DISCARD_CAP`] bytes in all.
async fn discard(mut body: Body, mut seen: usize) {
    while seen < DISCARD_CAP {
        match next_data(&mut body).await {
            Some(Ok(chunk)) => seen += chunk.len(),
            _ => return,
        }
    }
}

/// The router: every path and method goes to the one endpoint (spec §8.1).
pub fn router(host: Arc<Host>) -> std::io::Result<Router> {
    let writer = start_writer(host.clone())?;
    let app = Arc::new(App { host, writer });
    Ok(Router::new().fallback(endpoint).with_state(app))
}

/// Serves on `listener` until the process ends: plain HTTP, or HTTPS when `tls` is given.
pub async fn run(
    host: Arc<Host>,
    listener: tokio::net::TcpListener,
    tls: Option<TlsAcceptor>,
) -> std::io::Result<()> {
    let app = router(host)?;
    match tls {
        None => axum::serve(listener, app).await,
        Some(acceptor) => axum::serve(crate::tls::TlsListener::new(listener, acceptor), app).await,
    }
}

/// A `serve` front end running on a thread of its own, for embedding: the conformance
/// harness's no-argument run starts the reference host this way. Dropping it stops the server.
pub struct Background {
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Serves `host` on an already bound `listener` until the returned handle is dropped.
pub fn spawn(host: Arc<Host>, listener: std::net::TcpListener) -> std::io::Result<Background> {
    spawn_with(host, listener, None)
}

/// [`spawn`], over HTTPS when `tls` is given (see [`crate::tls::acceptor`]).
pub fn spawn_with(
    host: Arc<Host>,
    listener: std::net::TcpListener,
    tls: Option<TlsAcceptor>,
) -> std::io::Result<Background> {
    listener.set_nonblocking(true)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (tx, rx) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("hearth-serve".into())
        .spawn(move || {
            rt.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                tokio::select! {
                    _ = run(host, listener, tls) => {}
                    _ = rx => {}
                }
            });
        })?;
    Ok(Background {
        shutdown: Some(tx),
        thread: Some(thread),
    })
}
