//! The host's configuration (TOML): canonical host URL (spec §8.2, HRT-API-7), owner identity
//! keys (§8.5.2, at most 16), data directory, limits (§8.6, HRT-API-44) and the rate limit
//! (§8.7). A bad configuration is reported with the name of the offending field.

use std::path::{Path, PathBuf};

use hearth_crypto::hazmat::ed25519::VerifyingKey;
use serde::Deserialize;

/// The most owner identity keys a host accepts (spec §8.5.2 check 2).
pub const MAX_OWNER_KEYS: usize = 16;

/// The configuration file as written on disk.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The canonical host URL (spec §8.2).
    pub host_url: String,
    /// Hex-encoded Ed25519 public keys of the owners allowed to authorise `channel.create`.
    #[serde(default)]
    pub owner_keys: Vec<String>,
    /// Where the SQLite database lives; relative paths are relative to the config file.
    pub data_dir: PathBuf,
    /// The limits of spec §8.6.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// The per-key token bucket of spec §8.7.
    #[serde(default)]
    pub rate_limit: RateConfig,
    /// How `log.fetch` pages are cut (spec §9.4).
    #[serde(default)]
    pub log: LogConfig,
    /// Options of the standalone server.
    #[serde(default)]
    pub serve: ServeConfig,
    /// Test-only knobs. Never set these on a real host.
    #[serde(default)]
    pub testing: TestingConfig,
}

/// The limits of spec §8.6 with the reference host's defaults.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Bytes of a `SignedRequest` (>= 131072).
    pub max_request: u64,
    /// Entries per `log.fetch` (>= 100).
    pub max_log_page: u64,
    /// Roster entries per channel (<= 256).
    pub max_members: u64,
    /// Bytes per blob (>= 65552).
    pub max_blob: u64,
    /// Blobs per channel.
    pub max_blobs: u64,
    /// Pending joins per channel.
    pub max_pending: u64,
    /// Channels per owner key.
    pub max_channels: u64,
    /// Pending invites per channel.
    pub max_invites: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_request: 131072,
            max_log_page: 500,
            max_members: 256,
            max_blob: 65552,
            max_blobs: 4096,
            max_pending: 16,
            max_channels: 64,
            max_invites: 64,
        }
    }
}

/// Token bucket per signing key (spec §8.7): `burst` requests, refilled at `per_second`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RateConfig {
    /// False disables rate limiting (HRT-API-46 is a SHOULD).
    pub enabled: bool,
    /// Bucket size.
    pub burst: f64,
    /// Refill rate in requests per second.
    pub per_second: f64,
}

impl Default for RateConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            burst: 60.0,
            per_second: 20.0,
        }
    }
}

/// How `log.fetch` pages are cut. A page holds the entries asked for, up to `max_log_page`,
/// unless this budget stops it earlier (HRT-LOG-11 makes full pages a SHOULD); it always holds
/// at least one entry (HRT-LOG-10), whatever the budget.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// The most entry bytes one page carries before it stops: at least 1 (1 gives one entry
    /// per page, which a host with little memory per response may want) and at most the bound
    /// of HRT-LOG-46, [`MAX_PAGE_BYTES`], which is also the default.
    pub page_bytes: u64,
}

/// The most entry bytes a `log.fetch` page may carry (HRT-LOG-46: 1,048,576); a page holds at
/// least one entry (HRT-LOG-10) whatever its size.
pub const MAX_PAGE_BYTES: u64 = 1 << 20;

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            page_bytes: MAX_PAGE_BYTES,
        }
    }
}

/// Options of `hearth-host serve`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ServeConfig {
    /// The address to listen on.
    pub listen: String,
    /// The certificate chain (PEM, leaf first) for serving https itself; with `tls_key`.
    /// Relative paths are relative to the config file.
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM: PKCS#8, PKCS#1 or SEC1) of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// A PostgreSQL database shared by several `serve` instances (a libpq URL such as
    /// `postgresql://hearth@db.example/hearth`; build with `--features postgres`). Unset:
    /// the SQLite database in `data_dir`. CGI and FastCGI always use SQLite.
    pub database_url: Option<String>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            tls_cert: None,
            tls_key: None,
            database_url: None,
        }
    }
}

/// TESTING ONLY: knobs that make a host non-conforming if used in production.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct TestingConfig {
    /// Seconds added to the system clock (spec §8.8); the env var
    /// `HEARTH_TEST_CLOCK_OFFSET` adds to this.
    pub clock_offset: i64,
    /// The mutant this host runs as (feature `mutants` only; see [`crate::mutant`]).
    #[cfg(feature = "mutants")]
    pub mutant: Option<crate::mutant::Mutant>,
}

/// A validated configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// The canonical host URL (HRT-API-7).
    pub host_url: String,
    /// Owner identity keys (at most 16, each a valid Ed25519 key under spec §3.5).
    pub owner_keys: Vec<VerifyingKey>,
    /// The data directory (absolute or relative to the working directory).
    pub data_dir: PathBuf,
    /// Limits (spec §8.6).
    pub limits: LimitsConfig,
    /// Rate limit (spec §8.7).
    pub rate: RateConfig,
    /// Log paging.
    pub log: LogConfig,
    /// Serve options.
    pub serve: ServeConfig,
    /// Test-only options.
    pub testing: TestingConfig,
}

/// A configuration error naming the field.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

fn field(name: &str, msg: impl std::fmt::Display) -> ConfigError {
    ConfigError(format!("config field `{name}`: {msg}"))
}

impl Config {
    /// The database file inside the data directory.
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("hearth.sqlite3")
    }

    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("cannot read config {}: {e}", path.display())))?;
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        Self::parse(&text, base).map_err(|e| ConfigError(format!("{}: {}", path.display(), e.0)))
    }

    /// Parses and validates config text; relative `data_dir` is resolved against `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Config, ConfigError> {
        let file: ConfigFile =
            toml::from_str(text).map_err(|e| ConfigError(format!("invalid config: {e}")))?;
        Self::validate(file, base)
    }

    fn validate(file: ConfigFile, base: &Path) -> Result<Config, ConfigError> {
        check_host_url(&file.host_url).map_err(|m| field("host_url", m))?;
        if file.owner_keys.len() > MAX_OWNER_KEYS {
            return Err(field(
                "owner_keys",
                format!("at most {MAX_OWNER_KEYS} keys (spec §8.5.2)"),
            ));
        }
        let mut owner_keys = Vec::new();
        for (i, k) in file.owner_keys.iter().enumerate() {
            let name = format!("owner_keys[{i}]");
            let bytes = hex::decode(k.trim()).map_err(|e| field(&name, format!("not hex: {e}")))?;
            let arr = <[u8; 32]>::try_from(bytes.as_slice())
                .map_err(|_| field(&name, "an Ed25519 public key is 32 bytes (64 hex digits)"))?;
            let vk = VerifyingKey::from_bytes(&arr).map_err(|_| {
                field(
                    &name,
                    "not a valid Ed25519 public key (spec §3.5: canonical, not small order)",
                )
            })?;
            owner_keys.push(vk);
        }
        let l = file.limits;
        // HRT-API-44: the advertised limits respect the protocol's bounds.
        if l.max_request < 131072 {
            return Err(field(
                "limits.max_request",
                "must be at least 131072 (HRT-API-44)",
            ));
        }
        if l.max_request > 64 << 20 {
            return Err(field("limits.max_request", "must be at most 67108864"));
        }
        if l.max_log_page < 100 {
            return Err(field(
                "limits.max_log_page",
                "must be at least 100 (HRT-API-44)",
            ));
        }
        if !(1..=256).contains(&l.max_members) {
            return Err(field("limits.max_members", "must be 1 to 256 (HRT-API-44)"));
        }
        if l.max_blob < 65552 {
            return Err(field(
                "limits.max_blob",
                "must be at least 65552 (HRT-API-44)",
            ));
        }
        for (name, v) in [
            ("limits.max_blobs", l.max_blobs),
            ("limits.max_pending", l.max_pending),
            ("limits.max_channels", l.max_channels),
            ("limits.max_invites", l.max_invites),
        ] {
            if v == 0 {
                return Err(field(name, "must be at least 1"));
            }
        }
        let r = file.rate_limit;
        if !(r.burst.is_finite() && r.burst >= 1.0) {
            return Err(field("rate_limit.burst", "must be a number >= 1"));
        }
        if !(r.per_second.is_finite() && r.per_second > 0.0) {
            return Err(field("rate_limit.per_second", "must be a number > 0"));
        }
        if file.log.page_bytes == 0 || file.log.page_bytes > MAX_PAGE_BYTES {
            return Err(field(
                "log.page_bytes",
                "must be at least 1 and at most 1048576 (spec HRT-LOG-46)",
            ));
        }
        if file.data_dir.as_os_str().is_empty() {
            return Err(field("data_dir", "must not be empty"));
        }
        let data_dir = if file.data_dir.is_absolute() {
            file.data_dir
        } else {
            base.join(file.data_dir)
        };
        let mut serve = file.serve;
        match (&serve.tls_cert, &serve.tls_key) {
            (Some(_), None) => return Err(field("serve.tls_key", "is needed with tls_cert")),
            (None, Some(_)) => return Err(field("serve.tls_cert", "is needed with tls_key")),
            _ => {}
        }
        for p in [&mut serve.tls_cert, &mut serve.tls_key]
            .into_iter()
            .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(Config {
            host_url: file.host_url,
            owner_keys,
            data_dir,
            limits: l,
            rate: r,
            log: file.log,
            serve,
            testing: file.testing,
        })
    }
}

/// Checks the canonical-URL rules of spec §8.2 (HRT-API-7) that a configuration can get wrong.
pub fn check_host_url(url: &str) -> Result<(), String> {
    if url.is_empty() || url.len() > 256 {
        return Err("must be 1 to 256 bytes (spec §8.2 rule 6)".into());
    }
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| "must start with https:// (spec §8.2 rule 1)".to_string())?;
    if url.contains(['?', '#']) {
        return Err("must have no query and no fragment (spec §8.2 rule 3)".into());
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => return Err("the path must not be empty; end with / (spec §8.2 rule 5)".into()),
    };
    if authority.contains('@') {
        return Err("must have no userinfo (spec §8.2 rule 3)".into());
    }
    if authority.chars().any(|c| c.is_ascii_uppercase()) {
        return Err("the host must be lowercase (spec §8.2 rule 2)".into());
    }
    let (host, port) = if let Some(stripped) = authority.strip_prefix('[') {
        let (h, after) = stripped
            .split_once(']')
            .ok_or_else(|| "unterminated IPv6 literal (spec §8.2 rule 2)".to_string())?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err("bad authority (spec §8.2)".into()),
        };
        (format!("[{h}]"), port)
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    if host.is_empty() || host == "[]" || host.ends_with('.') {
        return Err("the host must be non-empty without a trailing dot (spec §8.2 rule 2)".into());
    }
    let loopback = host == "localhost" || host.starts_with("127.") || host == "[::1]";
    let default_port = match scheme {
        "https" => 443,
        "http" if loopback => 80,
        "http" => {
            return Err("http is allowed only for loopback hosts (spec §8.2 rule 1)".into());
        }
        _ => return Err("the scheme must be lowercase https (spec §8.2 rule 1)".into()),
    };
    if let Some(p) = port {
        let n: u16 = p
            .parse()
            .map_err(|_| "the port must be a decimal number (spec §8.2 rule 4)".to_string())?;
        if p.starts_with('0') || n.to_string() != p {
            return Err("the port must have no leading zeros (spec §8.2 rule 4)".into());
        }
        if n == default_port {
            return Err("omit the scheme's default port (spec §8.2 rule 4)".into());
        }
    }
    for seg in path.split('/').skip(1) {
        if seg == "." || seg == ".." {
            return Err("the path must not contain . or .. segments (spec §8.2 rule 5)".into());
        }
    }
    let mut bytes = path.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = bytes.next();
            let lo = bytes.next();
            let ok = |c: Option<u8>| matches!(c, Some(c) if c.is_ascii_digit() || (b'A'..=b'F').contains(&c));
            if !ok(hi) || !ok(lo) {
                return Err(
                    "percent-encoding must use uppercase hex digits (spec §8.2 rule 5)".into(),
                );
            }
        } else if !(b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b)) {
            return Err(format!(
                "character {:?} must be percent-encoded (spec §8.2 rule 5)",
                char::from(b)
            ));
        }
    }
    Ok(())
}

/// The text `hearth-host init` writes.
pub fn template(host_url: &str, data_dir: &Path, owner_keys: &[String], listen: &str) -> String {
    let keys = owner_keys
        .iter()
        .map(|k| format!("\"{k}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let d = LimitsConfig::default();
    let r = RateConfig::default();
    format!(
        r#"# Hearth host configuration (spec §8). Generated by `hearth-host init`.

# The canonical host URL (spec §8.2): exactly the URL clients call, https (http only on
# loopback), lowercase host, no default port, no query. It is signed into every request.
host_url = "{host_url}"

# Owner identity keys (hex Ed25519 public keys, at most 16) allowed to authorise
# channel.create. `hearth-conformance keygen` or a Hearth client prints one.
owner_keys = [{keys}]

# The data directory holding hearth.sqlite3. Keep it OUTSIDE the web root.
# A relative path is relative to this file.
data_dir = "{data_dir}"

[limits]              # spec §8.6; advertised in InfoResult and enforced exactly
max_request = {mr}    # bytes of a request (>= 131072)
max_log_page = {mlp}    # entries per log.fetch (>= 100)
max_members = {mm}    # roster entries per channel (<= 256)
max_blob = {mb}      # bytes per blob (>= 65552)
max_blobs = {mbs}     # blobs per channel
max_pending = {mp}     # pending joins per channel
max_channels = {mc}    # channels per owner key
max_invites = {mi}     # pending invites per channel

[rate_limit]          # spec §8.7: token bucket per signing key
enabled = true
burst = {burst}
per_second = {ps}

[log]                 # how log.fetch pages are cut (spec §9.4)
page_bytes = {pb} # entry bytes per page before it stops early (a page holds >= 1 entry)

[serve]               # `hearth-host serve` only
listen = "{listen}"

# [testing]           # TESTING ONLY, never on a real host
# clock_offset = 0    # seconds added to the system clock
"#,
        data_dir = data_dir
            .display()
            .to_string()
            .replace('\\', "\\\\")
            .replace('"', "\\\""),
        mr = d.max_request,
        mlp = d.max_log_page,
        mm = d.max_members,
        mb = d.max_blob,
        mbs = d.max_blobs,
        mp = d.max_pending,
        mc = d.max_channels,
        mi = d.max_invites,
        burst = r.burst,
        ps = r.per_second,
        pb = LogConfig::default().page_bytes,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_urls() {
        for ok in [
            "https://example.org/",
            "https://example.org/hearth.cgi",
            "http://127.0.0.1:8080/",
            "http://[::1]:9/x",
            "https://example.org:8443/a%2Fb",
        ] {
            assert_eq!(check_host_url(ok), Ok(()), "{ok}");
        }
        for bad in [
            "https://Example.org/",
            "https://example.org",
            "http://example.org/",
            "https://example.org:443/",
            "https://example.org/a/../b",
            "https://example.org/?q",
            "https://u@example.org/",
            "https://example.org/%2f",
            "HTTPS://example.org/",
            "https://example.org:0443/",
        ] {
            assert!(check_host_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn template_parses_and_errors_name_the_field() {
        let t = template(
            "https://example.org/h",
            Path::new("data"),
            &[],
            "127.0.0.1:1",
        );
        let c = Config::parse(&t, Path::new("/srv"));
        assert!(c.is_ok(), "{c:?}");
        let bad = t.replace("max_members = 256", "max_members = 300");
        let e = Config::parse(&bad, Path::new("/srv"))
            .err()
            .map(|e| e.0)
            .unwrap_or_default();
        assert!(e.contains("limits.max_members"), "{e}");
        let bad = t.replace("owner_keys = []", "owner_keys = [\"zz\"]");
        let e = Config::parse(&bad, Path::new("/srv"))
            .err()
            .map(|e| e.0)
            .unwrap_or_default();
        assert!(e.contains("owner_keys[0]"), "{e}");
    }
}
