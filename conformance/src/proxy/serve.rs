//! The Tokio and axum plumbing of the proxy: the endpoint, and connections that a
//! `Fault::Close` can kill before the answer is written.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::serve::IncomingStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::handle::handle;
use super::Shared;

pub(super) async fn endpoint(
    State(state): State<Shared>,
    ConnectInfo(kill): ConnectInfo<KillSwitch>,
    req: Request<Body>,
) -> HttpResponse {
    let method = req.method().as_str().to_owned();
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let Ok(body) = axum::body::to_bytes(req.into_body(), 64 * 1024 * 1024).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let st = state.clone();
    let served =
        tokio::task::spawn_blocking(move || handle(&st, &method, content_type, body.to_vec()))
            .await;
    match served {
        Ok(Some(r)) => {
            let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_GATEWAY);
            let mut resp = (status, r.body).into_response();
            if let Some(ct) = r.content_type.and_then(|c| c.parse().ok()) {
                resp.headers_mut().insert(header::CONTENT_TYPE, ct);
            }
            resp
        }
        Ok(None) => {
            // Fault::Close: the connection fails before a byte of the answer is written.
            kill.0.store(true, Ordering::SeqCst);
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}

/// Per connection: when set, the connection fails on its next read or write (Fault::Close).
#[derive(Clone, Debug, Default)]
pub(super) struct KillSwitch(Arc<AtomicBool>);

impl Connected<IncomingStream<'_, KillListener>> for KillSwitch {
    fn connect_info(stream: IncomingStream<'_, KillListener>) -> Self {
        stream.remote_addr().clone()
    }
}

pub(super) struct KillListener(pub(super) tokio::net::TcpListener);

impl axum::serve::Listener for KillListener {
    type Io = KillableStream;
    type Addr = KillSwitch;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((s, _)) => {
                    let k = KillSwitch::default();
                    return (
                        KillableStream {
                            inner: s,
                            kill: k.0.clone(),
                        },
                        k,
                    );
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(KillSwitch::default())
    }
}

pub(super) struct KillableStream {
    inner: tokio::net::TcpStream,
    kill: Arc<AtomicBool>,
}

fn killed() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "closed by the tamper proxy")
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.kill.load(Ordering::SeqCst) {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.kill.load(Ordering::SeqCst) {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.kill.load(Ordering::SeqCst) {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
