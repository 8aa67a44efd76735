//! The bundled reference host of the no-argument run (spec §14.3): `hearth-host` started in
//! this process on 127.0.0.1 with a fresh data directory and a configuration that lists the
//! harness's owner key.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::client::Key;
use crate::target::{HttpTarget, Target};

/// A running bundled host; stops it and removes its data directory on drop.
pub struct BundledHost {
    server: Option<hearth_host::serve::Background>,
    dir: PathBuf,
    target: HttpTarget,
}

impl BundledHost {
    /// The target to test.
    pub fn target(&self) -> &dyn Target {
        &self.target
    }

    /// The URL the host listens at (for a proxied host, not its canonical URL).
    pub fn listen_url(&self) -> &str {
        self.target.base_url()
    }
}

impl Drop for BundledHost {
    fn drop(&mut self) {
        // Stop the server before its data directory goes away.
        drop(self.server.take());
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The configuration the bundled host runs with (the reference host's TOML format). Limits are
/// the reference defaults of spec §8.6 but `max_request`, 1 MiB so that the host lists suite 2
/// (HRT-API-71) and the suite-2 tests run (the CGI run of `.ci/run` keeps every default and
/// lists suite 1 only), so that the no-argument run tests them (the suite spreads
/// the 4096 blobs of `max_blobs` over several members); rate limiting stays on, with a larger
/// bucket than the default so the run stays fast (the suite retries `rate_limited` with the
/// identical bytes).
pub fn bundled_config(url: &str, listen: &str, owner: &Key, data_dir: &Path) -> String {
    config_for(url, listen, &[owner.public()], data_dir)
}

/// As [`bundled_config`] for several owner keys (the client suite lists the shim's identity key
/// and the harness peers' keys).
pub fn config_for(url: &str, listen: &str, owners: &[[u8; 32]], data_dir: &Path) -> String {
    let owners: Vec<String> = owners
        .iter()
        .map(|k| format!("\"{}\"", hex::encode(k)))
        .collect();
    format!(
        "host_url = \"{url}\"\nowner_keys = [{}]\ndata_dir = \"{}\"\n\n[limits]\nmax_request = 1048576\n\n[rate_limit]\nenabled = true\nburst = 200.0\nper_second = 200.0\n\n[serve]\nlisten = \"{listen}\"\n",
        owners.join(", "),
        data_dir.display()
    )
}

/// Starts the bundled reference host on loopback for `owner`, in this process: a fresh data
/// directory, the configuration of [`bundled_config`], the `serve` front end on a free port.
pub fn start_bundled_host(owner: &Key) -> Result<BundledHost, String> {
    start(owner, "")
}

/// As [`start_bundled_host`], with `extra` appended to the configuration (TOML sections the
/// bundled configuration does not write, such as `[log] page_bytes = 1`).
pub fn start_bundled_with(owner: &Key, extra: &str) -> Result<BundledHost, String> {
    start(owner, extra)
}

/// Starts a reference host for the client suite (spec §14.4): in this process, a fresh data
/// directory, `owners` as its owner keys, and `canonical_url` as its host URL (the URL of the
/// tamper proxy in front of it, [`crate::proxy`]); it listens on its own free loopback port,
/// [`BundledHost::listen_url`].
pub fn start_proxied_host(owners: &[[u8; 32]], canonical_url: &str) -> Result<BundledHost, String> {
    start_with(owners, Some(canonical_url), "")
}

/// As [`start_bundled_host`], for a reference host running as `mutant` (a deliberately broken
/// variant, `[testing] mutant = "NAME"`; TESTING ONLY, feature `mutants`).
#[cfg(feature = "mutants")]
pub fn start_bundled_mutant(owner: &Key, mutant: &str) -> Result<BundledHost, String> {
    start(owner, &format!("\n[testing]\nmutant = \"{mutant}\"\n"))
}

/// Starts the bundled host with `extra` appended to its configuration.
fn start(owner: &Key, extra: &str) -> Result<BundledHost, String> {
    start_with(&[owner.public()], None, extra)
}

/// Starts a host with these owners, canonical URL (default: its own listen URL) and extra
/// configuration.
fn start_with(
    owners: &[[u8; 32]],
    canonical: Option<&str>,
    extra: &str,
) -> Result<BundledHost, String> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free loopback port: {e}"))?;
    let port = listener
        .local_addr()
        .map_err(|e| format!("no free loopback port: {e}"))?
        .port();
    let dir =
        std::env::temp_dir().join(format!("hearth-conformance-{}-{port}", std::process::id()));
    std::fs::create_dir_all(dir.join("data"))
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let url = format!("http://127.0.0.1:{port}/");
    let listen = format!("127.0.0.1:{port}");
    let text = config_for(
        canonical.unwrap_or(&url),
        &listen,
        owners,
        &dir.join("data"),
    ) + extra;
    let config = hearth_host::config::Config::parse(&text, &dir)
        .map_err(|e| format!("bundled host configuration: {e}"))?;
    let host = hearth_host::handler::Host::new(config).map_err(|e| format!("bundled host: {e}"))?;
    let server = hearth_host::serve::spawn(Arc::new(host), listener)
        .map_err(|e| format!("cannot start the bundled host: {e}"))?;
    let target = HttpTarget::new(&url).map_err(|e| e.to_string())?;
    let host = BundledHost {
        server: Some(server),
        dir,
        target,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if host.target.get().is_ok() {
            return Ok(host);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(format!(
        "the bundled host at {url} did not answer within 10 s"
    ))
}
