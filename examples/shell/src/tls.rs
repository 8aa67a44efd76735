//! TLS to hosts (spec §8.2 rule 1, HRT-API-62): which URLs may be plain `http://`, whose
//! certificates are trusted, and what a failed verification is called.
//!
//! Every HTTP client of a host in this workspace (the `hearth` CLI and the library under it, the
//! shim, the conformance harness and its peers, [`crate::http::Http`]) builds its connections here, so that they trust the same
//! certificates and explain a failure in the same words.
//!
//! - rustls with the `ring` provider: it builds with a C compiler only (aws-lc-rs also wants
//!   cmake), and it is the provider the reference host's `serve` uses too.
//! - The trust anchors are Mozilla's root program, compiled in ([`webpki_root_certs`]), rather
//!   than the platform's store: the same answer on every machine, including minimal containers
//!   and shared hosts that ship no CA bundle, and nothing outside the program to go stale or be
//!   tampered with. A private CA (a test deployment, a home server) is added to them with
//!   `--ca-file` ([`Trust::with_ca_file`]); it does not replace them, so one client can reach
//!   hosts under both (routes of one conversation may be on different hosts, spec §10).
//! - Verification is always on. There is no switch to turn it off.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{CertificateError, ClientConfig, RootCertStore};

/// The environment variable with the path of a private CA's certificates (PEM), for programs
/// without a command line of their own (the shim, tests).
pub const CA_FILE_ENV: &str = "HEARTH_CA_FILE";

/// A problem with the trust configuration itself (not with a host).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsError(pub String);

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TlsError {}

/// The certificates a client trusts: the built-in roots and, optionally, a private CA.
#[derive(Clone, Debug, Default)]
pub struct Trust {
    ca_file: Option<PathBuf>,
    extra: Arc<Vec<CertificateDer<'static>>>,
}

impl Trust {
    /// Mozilla's roots only.
    pub fn builtin() -> Self {
        Self::default()
    }

    /// Mozilla's roots and every certificate in the PEM file at `path` (a private CA).
    pub fn with_ca_file(path: &Path) -> Result<Self, TlsError> {
        let cannot = |e: &dyn fmt::Display| {
            TlsError(format!("cannot read the CA file {}: {e}", path.display()))
        };
        let pem = std::fs::read(path).map_err(|e| cannot(&e))?;
        let certs = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| cannot(&e))?;
        if certs.is_empty() {
            return Err(TlsError(format!(
                "the CA file {} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                path.display()
            )));
        }
        // Each must be usable as a trust anchor; a bad one is named now, not at the first host.
        let mut store = RootCertStore::empty();
        for c in &certs {
            store.add(c.clone()).map_err(|e| cannot(&e))?;
        }
        Ok(Self {
            ca_file: Some(path.to_owned()),
            extra: Arc::new(certs),
        })
    }

    /// [`Trust::with_ca_file`] of `$HEARTH_CA_FILE` when it is set and not empty, else
    /// [`Trust::builtin`].
    pub fn from_env() -> Result<Self, TlsError> {
        match std::env::var_os(CA_FILE_ENV) {
            Some(p) if !p.is_empty() => Self::with_ca_file(Path::new(&p)),
            _ => Ok(Self::builtin()),
        }
    }

    /// The private CA file, if any.
    pub fn ca_file(&self) -> Option<&Path> {
        self.ca_file.as_deref()
    }

    /// Every trust anchor: the built-in roots, then the private CA's certificates.
    fn anchors(&self) -> impl Iterator<Item = CertificateDer<'static>> + '_ {
        webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .cloned()
            .chain(self.extra.iter().cloned())
    }

    /// A rustls client configuration with these anchors and the ring provider, for connections
    /// made without ureq (the harness's raw requests).
    pub fn rustls_config(&self) -> Result<Arc<ClientConfig>, TlsError> {
        let mut roots = RootCertStore::empty();
        roots.add_parsable_certificates(self.anchors());
        let config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError(format!("TLS configuration: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Arc::new(config))
    }

    /// The ureq TLS configuration with these anchors and the ring provider.
    pub fn ureq_tls_config(&self) -> ureq::tls::TlsConfig {
        let anchors: Vec<ureq::tls::Certificate<'static>> = self
            .anchors()
            .map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned())
            .collect();
        ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .root_certs(ureq::tls::RootCerts::new_with_certs(&anchors))
            .unversioned_rustls_crypto_provider(provider())
            .build()
    }

    /// The one way a host client here starts its ureq agent: these anchors, HTTP error
    /// statuses as answers (the caller classifies them), and `timeout` for a whole request.
    pub fn agent_config(
        &self,
        timeout: Duration,
    ) -> ureq::config::ConfigBuilder<ureq::typestate::AgentScope> {
        ureq::Agent::config_builder()
            .tls_config(self.ureq_tls_config())
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The host part of an `http://` or `https://` URL (`[::1]` keeps its brackets), or `None`.
pub fn url_host(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    if authority.starts_with('[') {
        return authority.find(']').and_then(|i| authority.get(..=i));
    }
    Some(authority.split(':').next().unwrap_or(authority))
}

/// Whether `host` is `localhost`, an address in 127.0.0.0/8 or `[::1]`: the hosts for which
/// spec §8.2 rule 1 allows `http://`, for testing.
pub fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|a| a.is_loopback())
}

/// Refuses a URL this client will not connect to: anything but `https://`, and `http://` for a
/// host that is not loopback (spec §8.2 rule 1, HRT-API-62).
pub fn check_scheme(url: &str) -> Result<(), String> {
    if url.starts_with("https://") {
        return Ok(());
    }
    if url.starts_with("http://") {
        let host = url_host(url).unwrap_or_default();
        if is_loopback(host) {
            return Ok(());
        }
        return Err(format!(
            "refusing to talk to {host} over plain http:// ({url}): a host off this machine is \
             reached over https:// only, plain http:// is for localhost, 127.0.0.0/8 and [::1] \
             (spec §8.2 rule 1, HRT-API-62)"
        ));
    }
    Err(format!(
        "{url} is not an http:// or https:// URL (spec §8.2 rule 1)"
    ))
}

/// The rustls error somewhere in `e`'s chain (directly, inside an `io::Error`, or as a source).
pub fn find_rustls_error<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::Error> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if let Some(inner) = io.get_ref() {
                if let Some(r) = find_rustls_error(inner) {
                    return Some(r);
                }
            }
        }
        if let Some(ureq::Error::Rustls(r)) = err.downcast_ref::<ureq::Error>() {
            return Some(r);
        }
        if let Some(ureq::Error::Io(io)) = err.downcast_ref::<ureq::Error>() {
            if let Some(r) = find_rustls_error(io) {
                return Some(r);
            }
        }
        cur = err.source();
    }
    None
}

/// One sentence for a failed request to `url`: for a TLS failure it names the host and the
/// certificate problem (unknown issuer, name mismatch, expired, not yet valid); otherwise it is
/// `url: error`.
pub fn describe(url: &str, e: &(dyn std::error::Error + 'static)) -> String {
    match find_rustls_error(e) {
        Some(r) => describe_tls(url, r),
        None => format!("{url}: {e}"),
    }
}

/// [`describe`] for a rustls error.
pub fn describe_tls(url: &str, e: &rustls::Error) -> String {
    let host = url_host(url).unwrap_or(url);
    let problem = match e {
        rustls::Error::InvalidCertificate(c) => certificate_problem(host, c),
        other => format!("the TLS handshake with {host} failed: {other}"),
    };
    format!("{problem}; nothing was sent (HRT-API-62)")
}

/// A name of a certificate as rustls shows it (`DnsName("a.example")`), without the wrapping.
fn presented_name(n: &str) -> &str {
    n.split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .map_or(n, |inner| inner.trim_matches('"'))
}

fn certificate_problem(host: &str, c: &CertificateError) -> String {
    match c {
        CertificateError::UnknownIssuer => format!(
            "the certificate of {host} is from an unknown issuer: no certificate authority this \
             program trusts signed it (for a private CA, pass its certificate with --ca-file)"
        ),
        CertificateError::NotValidForName => {
            format!("the certificate of {host} is not valid for the name {host} (name mismatch)")
        }
        CertificateError::NotValidForNameContext { presented, .. } => format!(
            "the certificate of {host} is not valid for the name {host} (name mismatch): it is \
             for {}",
            if presented.is_empty() {
                "no name".to_owned()
            } else {
                presented
                    .iter()
                    .map(|n| presented_name(n))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ),
        CertificateError::Expired => format!("the certificate of {host} has expired"),
        CertificateError::ExpiredContext { not_after, .. } => format!(
            "the certificate of {host} has expired: it was valid until {} UTC",
            utc(not_after.as_secs())
        ),
        CertificateError::NotValidYet => {
            format!("the certificate of {host} is not yet valid (check this machine's clock)")
        }
        CertificateError::NotValidYetContext { not_before, .. } => format!(
            "the certificate of {host} is not yet valid: it is valid from {} UTC (check this \
             machine's clock)",
            utc(not_before.as_secs())
        ),
        CertificateError::Revoked => format!("the certificate of {host} has been revoked"),
        other => format!("the certificate of {host} is not acceptable: {other:?}"),
    }
}

/// `YYYY-MM-DD HH:MM:SS` for seconds since the Unix epoch (the civil calendar of
/// days_from_civil's inverse, proleptic Gregorian).
fn utc(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_of_urls() {
        assert_eq!(url_host("https://example.org/h"), Some("example.org"));
        assert_eq!(url_host("https://example.org:8443/h"), Some("example.org"));
        assert_eq!(url_host("http://[::1]:8080/"), Some("[::1]"));
        assert_eq!(url_host("http://127.0.0.1"), Some("127.0.0.1"));
        assert_eq!(url_host("ftp://x/"), None);
    }

    #[test]
    fn plain_http_only_on_loopback() {
        for ok in [
            "https://example.org/",
            "http://127.0.0.1:8080/",
            "http://127.9.9.9/x",
            "http://localhost/",
            "http://[::1]:1/",
        ] {
            assert_eq!(check_scheme(ok), Ok(()), "{ok}");
        }
        for bad in [
            "http://example.org/",
            "http://192.0.2.1/",
            "http://localhost.example.org/",
            "http://[::2]/",
            "ftp://example.org/",
        ] {
            assert!(check_scheme(bad).is_err(), "{bad}");
        }
        assert_eq!(
            check_scheme("http://example.org/h")
                .err()
                .unwrap_or_default(),
            "refusing to talk to example.org over plain http:// (http://example.org/h): a host \
             off this machine is reached over https:// only, plain http:// is for localhost, \
             127.0.0.0/8 and [::1] (spec §8.2 rule 1, HRT-API-62)"
        );
    }

    #[test]
    fn civil_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(utc(1_577_836_799), "2019-12-31 23:59:59");
        assert_eq!(utc(4_102_444_800), "2100-01-01 00:00:00");
    }

    #[test]
    fn ca_file_problems_are_named() {
        let dir = std::env::temp_dir().join(format!("hearth-tls-unit-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let missing = dir.join("missing.pem");
        let e = Trust::with_ca_file(&missing)
            .err()
            .unwrap_or(TlsError(String::new()));
        assert!(e.0.starts_with("cannot read the CA file"), "{e}");
        let empty = dir.join("empty.pem");
        let _ = std::fs::write(&empty, "not a certificate\n");
        let e = Trust::with_ca_file(&empty)
            .err()
            .unwrap_or(TlsError(String::new()));
        assert!(e.0.contains("holds no PEM certificate"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn builtin_roots_load() {
        assert!(Trust::builtin().rustls_config().is_ok());
    }
}
