//! HTTPS for the standalone front end (`hearth-host serve`, spec §8.1): TLS 1.2 and 1.3
//! (RFC 8446) by rustls with the ring provider (the same provider as the reference client),
//! with a certificate chain and key from PEM files (`[serve] tls_cert`, `tls_key`).
//!
//! Handshakes run on tasks of their own, so that a client that stalls in its handshake delays
//! no other connection; a handshake has [`HANDSHAKE_TIMEOUT`] to finish.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// The TLS settings of the host's own requests (`check --url`, `--fetch`): Mozilla's roots,
/// compiled in as in the reference client, plus the certificates of `ca_file` (a private CA;
/// without it, the bundle named by `SSL_CERT_FILE`, as OpenSSL's tools read it), with rustls
/// and the ring provider as for `serve`. Verification is never turned off.
pub fn client_tls(ca_file: Option<&Path>) -> Result<ureq::tls::TlsConfig, String> {
    let from_env = std::env::var_os("SSL_CERT_FILE")
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from);
    let ca_file = ca_file.or(from_env.as_deref());
    let mut anchors: Vec<ureq::tls::Certificate<'static>> =
        webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned())
            .collect();
    if let Some(path) = ca_file {
        let pem = std::fs::read(path)
            .map_err(|e| format!("cannot read the CA file {}: {e}", path.display()))?;
        let before = anchors.len();
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert =
                cert.map_err(|e| format!("the CA file {} is not PEM: {e}", path.display()))?;
            anchors.push(ureq::tls::Certificate::from_der(cert.as_ref()).to_owned());
        }
        if anchors.len() == before {
            return Err(format!(
                "the CA file {} holds no certificate",
                path.display()
            ));
        }
    }
    Ok(ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .root_certs(ureq::tls::RootCerts::new_with_certs(&anchors))
        .unversioned_rustls_crypto_provider(Arc::new(
            tokio_rustls::rustls::crypto::ring::default_provider(),
        ))
        .build())
}

/// How long a TLS handshake may take before the connection is dropped.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections whose handshake finished, waiting for the server to take them.
const READY_QUEUE: usize = 64;

/// The acceptor for the certificate chain in `cert` (PEM, leaf first) and its private key in
/// `key` (PEM). Errors name the file and the problem.
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, String> {
    let certs = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("cannot read the TLS certificate {}: {e}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("cannot read the TLS certificate {}: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "the TLS certificate file {} holds no PEM certificate",
            cert.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("cannot read the TLS private key {}: {e}", key.display()))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS configuration: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            format!(
                "the TLS certificate {} and its key do not go together: {e}",
                cert.display()
            )
        })?;
    // HTTP/1.1 only (RFC 7301), like the plain front end.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// A listener that hands axum connections after their TLS handshake.
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, std::net::SocketAddr)>,
    local: std::io::Result<std::net::SocketAddr>,
}

impl TlsListener {
    /// Accepts on `listener` and runs each handshake with `acceptor` on a task of its own.
    pub fn new(listener: TcpListener, acceptor: TlsAcceptor) -> Self {
        let local = listener.local_addr();
        let (tx, ready) = mpsc::channel(READY_QUEUE);
        tokio::spawn(async move {
            loop {
                let (tcp, addr) = match listener.accept().await {
                    Ok(c) => c,
                    Err(_) => {
                        // Out of descriptors and the like: wait instead of spinning.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                if tx.is_closed() {
                    return;
                }
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    // A failed or stalled handshake is the client's problem: drop it.
                    if let Ok(Ok(tls)) =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await
                    {
                        let _ = tx.send((tls, addr)).await;
                    }
                });
            }
        });
        Self { ready, local }
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(c) => c,
            // The accepting task ended: no connection will come again.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        match &self.local {
            Ok(a) => Ok(*a),
            Err(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
        }
    }
}

/// The acceptor of `[serve] tls_cert` and `tls_key`, or `None` when the host serves plain HTTP.
pub fn from_config(serve: &crate::config::ServeConfig) -> Result<Option<TlsAcceptor>, String> {
    match (&serve.tls_cert, &serve.tls_key) {
        (Some(cert), Some(key)) => acceptor(cert, key).map(Some),
        _ => Ok(None),
    }
}
