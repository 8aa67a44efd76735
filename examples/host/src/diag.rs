//! The host diagnoses its own deployment (DEPLOY.md, "Troubleshooting"): the data directory's
//! layout and permissions, as [`crate::datadir`] creates them, checked by `hearth-host check`,
//! which can also fetch its own URLs to prove that the database cannot be downloaded.

use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use hearth_wire::request::{InfoResult, Response};
use hearth_wire::{ErrorCode, WireDecode};

use crate::config::Config;
use crate::log::{effective_uid, whoami};
use crate::store;

/// Names of directories that are usually a web server's document root (or inside one).
const DOCROOT_NAMES: &[&str] = &[
    "public_html",
    "www",
    "htdocs",
    "html",
    "httpdocs",
    "public",
    "web",
    "cgi-bin",
];

/// Why the database at `db` may not open: the owner and mode of the data directory against the
/// user this process runs as. For log lines and `check`.
pub fn permission_hint(db: &Path) -> String {
    let dir = db.parent().unwrap_or_else(|| Path::new("."));
    let me = whoami();
    match std::fs::metadata(dir) {
        Ok(m) => format!(
            "this process runs as {me}; the data directory {} is owned by uid {} with mode {:04o} \
             (it must be writable by the user the web server runs the CGI as)",
            dir.display(),
            m.uid(),
            m.mode() & 0o7777
        ),
        Err(e) => format!(
            "this process runs as {me}; the data directory {} cannot be read: {e}",
            dir.display()
        ),
    }
}

/// How bad a finding of `check` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Verified.
    Ok,
    /// Probably wrong or unsafe; `check` still exits 0.
    Warning,
    /// Wrong; `check` exits 1.
    Error,
}

/// One line of `check`'s report.
#[derive(Clone, Debug)]
pub struct Finding {
    /// How bad.
    pub severity: Severity,
    /// What, naming the path or URL and the fix.
    pub text: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tag = match self.severity {
            Severity::Ok => "ok",
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{tag}: {}", self.text)
    }
}

/// What `check` is told besides the configuration.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// The URL to fetch (the config's `host_url`, or another address of the same CGI).
    pub url: Option<String>,
    /// The web server's document root, if known (`--document-root`, else `$DOCUMENT_ROOT`).
    pub document_root: Option<PathBuf>,
    /// Directories whose URL is the directory of `url`: where the CGI program is (its
    /// executable's directory and the config's directory, when the config sits beside it).
    pub cgi_dirs: Vec<PathBuf>,
    /// A private CA for fetching an `https://` URL (`--ca-file`), beside Mozilla's roots.
    pub ca_file: Option<PathBuf>,
}

/// Runs every check; the findings in order.
pub fn check(config: &Config, opts: &CheckOptions) -> Vec<Finding> {
    let mut out = Vec::new();
    let ok = |t: String| Finding {
        severity: Severity::Ok,
        text: t,
    };
    let warn = |t: String| Finding {
        severity: Severity::Warning,
        text: t,
    };
    let err = |t: String| Finding {
        severity: Severity::Error,
        text: t,
    };
    let dir = &config.data_dir;
    let db = config.db_path();
    // 1. The database can be created, opened, migrated and written as this user.
    match store::open(&db).and_then(|conn| match conn.sqlite() {
        Some(c) => write_probe(c).map_err(crate::db::DbError::from),
        None => Ok(()),
    }) {
        Ok(()) => out.push(ok(format!(
            "{} can be created and written as {} (schema version {})",
            db.display(),
            whoami(),
            store::schema_version()
        ))),
        Err(e) => out.push(err(format!(
            "cannot create or write the database {}: {e}; {}",
            db.display(),
            permission_hint(&db)
        ))),
    }
    // 2. Permissions: nobody but the CGI's user reads the data.
    if let Ok(m) = std::fs::metadata(dir) {
        let mode = m.mode() & 0o7777;
        if mode & 0o077 != 0 {
            out.push(warn(format!(
                "the data directory {} is mode {mode:04o}: other users can read it; chmod 700 {}",
                dir.display(),
                dir.display()
            )));
        } else {
            out.push(ok(format!("{} is mode {mode:04o}", dir.display())));
        }
        if let Some(me) = effective_uid().filter(|&u| u != m.uid()) {
            out.push(warn(format!(
                "the data directory {} is owned by uid {}, but check runs as uid {me}: run check \
                 as the user the web server runs the CGI as",
                dir.display(),
                m.uid()
            )));
        }
    }
    for suffix in ["", "-wal", "-shm"] {
        let f = PathBuf::from(format!("{}{suffix}", db.display()));
        if let Ok(m) = std::fs::metadata(&f) {
            let mode = m.mode() & 0o7777;
            if mode & 0o077 != 0 {
                out.push(warn(format!(
                    "{} is mode {mode:04o}: other users can read it; chmod 600 {}",
                    f.display(),
                    f.display()
                )));
            }
        }
    }
    // 3. Inside the document root?
    let root = opts
        .document_root
        .clone()
        .or_else(|| std::env::var_os("DOCUMENT_ROOT").map(PathBuf::from));
    let inside = inside_document_root(dir, root.as_deref());
    if let Some(why) = &inside {
        let denied = dir.join(".htaccess").is_file();
        out.push(warn(format!(
            "the data directory {} is inside the document root ({why}): move it out (data_dir), \
             or make sure the web server denies it{}; `check --url` proves it",
            dir.display(),
            if denied {
                " (a deny-all .htaccess is there, which only Apache reads)"
            } else {
                " (there is no .htaccess in it)"
            }
        )));
    }
    // 4. Fetch the host's own URL, and the database's URL if it has one.
    if let Some(url) = &opts.url {
        out.extend(fetch_checks(config, url, opts, inside.is_some()));
    }
    out
}

/// A real write as this user: the database header's `user_version`, rewritten unchanged in a
/// `BEGIN IMMEDIATE` transaction (which needs the directory, the database and the `-wal` and
/// `-shm` files writable).
fn write_probe(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let r = conn.pragma_update(None, "user_version", v);
    match r {
        Ok(()) => conn.execute_batch("COMMIT"),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Why `dir` looks inside the document root: under `root` if given, else under a directory
/// whose name web servers use for one (`public_html`, `www`, ...).
pub fn inside_document_root(dir: &Path, root: Option<&Path>) -> Option<String> {
    let dir = absolute(dir);
    if let Some(root) = root {
        let root = absolute(root);
        return dir
            .starts_with(&root)
            .then(|| format!("under {}", root.display()));
    }
    dir.components().find_map(|c| match c {
        Component::Normal(n) => n
            .to_str()
            .filter(|n| DOCROOT_NAMES.contains(n))
            .map(|n| format!("under a directory named {n}")),
        _ => None,
    })
}

/// `p` made absolute and canonical where it exists (symbolic links resolved).
fn absolute(p: &Path) -> PathBuf {
    if let Ok(c) = p.canonicalize() {
        return c;
    }
    if p.is_absolute() {
        return p.to_path_buf();
    }
    std::env::current_dir().map_or_else(|_| p.to_path_buf(), |d| d.join(p))
}

/// GETs `url`: the host must answer its `InfoResult` with the configured `host_url`; then the
/// database and its `-wal` and `-shm` files, at the URLs they would have if the web server
/// served the data directory, must not be downloadable (HTTP 200 is an error).
fn fetch_checks(config: &Config, url: &str, opts: &CheckOptions, inside: bool) -> Vec<Finding> {
    let mut out = Vec::new();
    let tls = match crate::tls::client_tls(opts.ca_file.as_deref()) {
        Ok(t) => t,
        Err(e) => {
            out.push(Finding {
                severity: Severity::Error,
                text: e,
            });
            return out;
        }
    };
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .tls_config(tls)
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .build(),
    );
    let get = |u: &str| -> Result<(u16, Vec<u8>), String> {
        let mut r = agent
            .get(u)
            .header("Accept", "application/cbor")
            .call()
            .map_err(|e| e.to_string())?;
        let status = r.status().as_u16();
        let body = r
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_vec()
            .map_err(|e| e.to_string())?;
        Ok((status, body))
    };
    match get(url) {
        Ok((200, body)) => match info_host_url(&body) {
            Some(u) if u == config.host_url => out.push(Finding {
                severity: Severity::Ok,
                text: format!("GET {url} answers as this host ({u})"),
            }),
            Some(u) => out.push(Finding {
                severity: Severity::Error,
                text: format!(
                    "GET {url} answers as {u}, but the config says host_url = {}",
                    config.host_url
                ),
            }),
            None => out.push(Finding {
                severity: Severity::Error,
                text: format!(
                    "GET {url} answered 200 without a Hearth InfoResult (is the CGI program run, \
                     or served as a file? see DEPLOY.md, Troubleshooting)"
                ),
            }),
        },
        Ok((status, _)) => out.push(Finding {
            severity: Severity::Error,
            text: format!(
                "GET {url} answered HTTP {status}, not 200 (the web server's error log says why)"
            ),
        }),
        Err(e) => out.push(Finding {
            severity: Severity::Warning,
            text: format!("cannot fetch {url}: {e}"),
        }),
    }
    let db_urls = data_urls(config, url, opts);
    if db_urls.is_empty() && inside {
        out.push(Finding {
            severity: Severity::Warning,
            text: format!(
                "cannot tell the database's URL; check by hand that {} cannot be downloaded",
                config.db_path().display()
            ),
        });
    }
    for u in db_urls {
        match get(&u) {
            // The program itself answered (a server that runs it as its error handler).
            Ok((200, body)) if Response::decode(&body).is_ok() => out.push(Finding {
                severity: Severity::Ok,
                text: format!("GET {u} is answered by the program, not the file"),
            }),
            Ok((200, _)) => out.push(Finding {
                severity: Severity::Error,
                text: format!(
                    "the database can be downloaded: GET {u} answered 200; deny the data \
                     directory in the web server (DEPLOY.md) or move it out of the document root"
                ),
            }),
            Ok((status, _)) => out.push(Finding {
                severity: Severity::Ok,
                text: format!("GET {u} answers HTTP {status} (not downloadable)"),
            }),
            Err(e) => out.push(Finding {
                severity: Severity::Warning,
                text: format!("cannot fetch {u}: {e}"),
            }),
        }
    }
    out
}

/// The `host_url` of an `InfoResult` answer, if `body` is one.
fn info_host_url(body: &[u8]) -> Option<String> {
    let r = Response::decode(body).ok()?;
    if r.status != ErrorCode::OK {
        return None;
    }
    let info: InfoResult = r.result_as().ok()??;
    Some(info.host_url.as_str().to_owned())
}

/// The URLs of the database files if the data directory is below a directory whose URL is
/// known: one of the CGI's directories (the URL's directory), or the document root (the URL's
/// origin).
fn data_urls(config: &Config, url: &str, opts: &CheckOptions) -> Vec<String> {
    let dir = absolute(&config.data_dir);
    let Some((origin, url_dir)) = split_url(url) else {
        return Vec::new();
    };
    let mut bases: Vec<(PathBuf, String)> = opts
        .cgi_dirs
        .iter()
        .map(|d| (absolute(d), url_dir.clone()))
        .collect();
    if let Some(root) = &opts.document_root {
        bases.push((absolute(root), format!("{origin}/")));
    }
    let mut out = Vec::new();
    for (base, prefix) in bases {
        let Ok(rel) = dir.strip_prefix(&base) else {
            continue;
        };
        let rel: Vec<String> = rel
            .components()
            .filter_map(|c| match c {
                Component::Normal(n) => n.to_str().map(str::to_owned),
                _ => None,
            })
            .collect();
        let mut p = prefix.clone();
        for seg in rel {
            p.push_str(&seg);
            p.push('/');
        }
        for f in ["hearth.sqlite3", "hearth.sqlite3-wal", "hearth.sqlite3-shm"] {
            let u = format!("{p}{f}");
            if !out.contains(&u) {
                out.push(u);
            }
        }
    }
    out
}

/// `https://host:port/a/b.cgi` → (`https://host:port`, `https://host:port/a/`).
fn split_url(url: &str) -> Option<(String, String)> {
    let (scheme, rest) = url.split_once("://")?;
    let slash = rest.find('/')?;
    let origin = format!("{scheme}://{}", rest.get(..slash)?);
    let last = url.rfind('/')?;
    Some((origin, url.get(..=last)?.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_file_is_not_a_response() {
        let dir = std::env::temp_dir().join(format!("hearth-diag-{}", std::process::id()));
        let db = dir.join("hearth.sqlite3");
        let _ = store::open(&db);
        let bytes = std::fs::read(&db).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(bytes.starts_with(b"SQLite format 3"));
        assert!(Response::decode(&bytes).is_err());
    }

    #[test]
    fn url_directories() {
        assert_eq!(
            split_url("https://h:1/~u/hearth/hearth.cgi"),
            Some(("https://h:1".into(), "https://h:1/~u/hearth/".into()))
        );
        assert_eq!(
            split_url("https://h/"),
            Some(("https://h".into(), "https://h/".into()))
        );
        assert_eq!(split_url("nonsense"), None);
    }

    #[test]
    fn document_root_guess() {
        assert!(inside_document_root(Path::new("/home/u/public_html/h/data"), None).is_some());
        assert!(inside_document_root(Path::new("/home/u/hearth-data"), None).is_none());
        assert!(
            inside_document_root(Path::new("/srv/site/data"), Some(Path::new("/srv/site")))
                .is_some()
        );
        assert!(
            inside_document_root(Path::new("/srv/data"), Some(Path::new("/srv/site"))).is_none()
        );
    }
}
