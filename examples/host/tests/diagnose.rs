//! The host diagnoses itself (issue 13): every misconfiguration found on real deployments is
//! named by `check` or by a line in the error log (the CGI's stderr), the data directory is
//! created private, the config is found beside the program without any environment (suEXEC),
//! nothing secret is logged, and early answers leave no unread body behind.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
#[path = "web/mod.rs"]
mod web;

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;
use hearth_crypto::hazmat::ed25519::SigningKey;
use hearth_wire::ErrorCode;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

/// `run` again while it fails with ETXTBSY: a program copied a moment ago can still be open
/// for writing in a child that another test thread forked meanwhile (before its exec closed the
/// descriptor), and exec fails for that moment.
fn retry_busy<T>(mut run: impl FnMut() -> std::io::Result<T>) -> T {
    for _ in 0..50 {
        match run() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            r => return r.unwrap(),
        }
    }
    run().unwrap()
}

/// The program copied to `dir/hearth.cgi`, as it is uploaded.
fn install(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let p = dir.join("hearth.cgi");
    std::fs::copy(BIN, &p).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

/// Runs `program` as a CGI program with exactly `env` (plus GATEWAY_INTERFACE), writing
/// `stdin`: (Response body, stderr, whether all of stdin was taken).
fn run_cgi(
    program: &Path,
    user: Option<&str>,
    env: &[(&str, &str)],
    stdin: &[u8],
) -> (Vec<u8>, String, bool) {
    let mut c = match user {
        Some(u) => {
            let mut c = Command::new("setpriv");
            c.arg(format!("--reuid={u}"))
                .arg(format!("--regid={u}"))
                .arg("--clear-groups")
                .arg(program);
            c
        }
        None => Command::new(program),
    };
    c.env_clear().env("GATEWAY_INTERFACE", "CGI/1.1");
    for (k, v) in env {
        c.env(k, v);
    }
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = retry_busy(|| c.spawn());
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || input.write_all(&data).is_ok());
    let out = child.wait_with_output().unwrap();
    let took_all = writer.join().unwrap();
    (
        parse_cgi(&out.stdout),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        took_all,
    )
}

fn config_text(data_dir: &Path) -> String {
    format!(
        "host_url = \"{HOST_URL}\"\nowner_keys = [\"{}\"]\ndata_dir = \"{}\"\n",
        hex::encode(pk(&owner())),
        data_dir.display()
    )
}

/// suEXEC drops SetEnv: the program finds `hearth.toml` beside itself with no variable at all,
/// and when there is none the log says where it looked and why the variable did not help.
#[test]
fn config_beside_the_program_needs_no_environment() {
    let dir = TempDir::new("beside");
    let cgi = install(&dir.path().join("www"));
    let config = dir.path().join("www/hearth.toml");
    std::fs::write(&config, config_text(&dir.path().join("data"))).unwrap();
    let (body, _, _) = run_cgi(&cgi, None, &[("REQUEST_METHOD", "GET")], b"");
    assert_eq!(status(&body), ErrorCode::OK);
    std::fs::remove_file(&config).unwrap();
    let (body, log, _) = run_cgi(&cgi, None, &[("REQUEST_METHOD", "GET")], b"");
    assert_eq!(status(&body), ErrorCode::INTERNAL);
    assert!(log.contains("internal: no usable config"), "{log}");
    assert!(log.contains("HEARTH_CONFIG is not set"), "{log}");
    assert!(log.contains(&config.display().to_string()), "{log}");
}

/// `init` puts the config beside the program, the data directory in $HOME (outside the web
/// root), 0700 with a deny-all .htaccess, the database 0600; SQLite's -wal and -shm follow.
#[test]
fn init_creates_a_private_data_directory() {
    let dir = TempDir::new("initmodes");
    let home = dir.path();
    let cgi = install(&home.join("public_html/hearth"));
    let out = retry_busy(|| {
        Command::new(&cgi)
            .args(["init", "--host-url", HOST_URL, "--owner-key"])
            .arg(hex::encode(pk(&owner())))
            .env("HOME", home)
            .env_remove("HEARTH_CONFIG")
            .output()
    });
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = home.join("public_html/hearth/hearth.toml");
    assert!(config.is_file(), "the config is beside the program");
    let data = home.join("hearth-data");
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("hearth.sqlite3")), 0o600);
    let deny = std::fs::read_to_string(data.join(".htaccess")).unwrap();
    assert!(deny.contains("Require all denied"), "{deny}");
    // A request as CGI (no variable: the config beside the program) writes the WAL.
    let k = SigningKey::generate();
    let b = signed(&k, 0, None, empty());
    let (body, log, _) = run_cgi(
        &cgi,
        None,
        &[
            ("REQUEST_METHOD", "POST"),
            ("CONTENT_TYPE", "application/cbor"),
            ("CONTENT_LENGTH", &b.len().to_string()),
        ],
        &b,
    );
    assert_eq!(status(&body), ErrorCode::OK, "{log}");
    for f in ["hearth.sqlite3-wal", "hearth.sqlite3-shm"] {
        assert_eq!(mode(&data.join(f)), 0o600, "{f}");
    }
    // The first request creates a missing data directory the same way.
    let fresh = dir.path().join("elsewhere/data");
    std::fs::write(&config, config_text(&fresh)).unwrap();
    let (body, _, _) = run_cgi(&cgi, None, &[("REQUEST_METHOD", "GET")], b"");
    assert_eq!(status(&body), ErrorCode::OK);
    let _ = run_cgi(
        &cgi,
        None,
        &[
            ("REQUEST_METHOD", "POST"),
            ("CONTENT_TYPE", "application/cbor"),
            ("CONTENT_LENGTH", &b.len().to_string()),
        ],
        &signed(&k, 0, None, empty()),
    );
    assert_eq!(mode(&fresh), 0o700);
    assert_eq!(mode(&fresh.join("hearth.sqlite3")), 0o600);
    assert!(fresh.join(".htaccess").is_file());
}

fn check(config: &Path, args: &[&str], user: Option<&str>) -> (bool, String) {
    let mut c = match user {
        Some(u) => {
            let mut c = Command::new("setpriv");
            c.arg(format!("--reuid={u}"))
                .arg(format!("--regid={u}"))
                .arg("--clear-groups")
                .arg(BIN);
            c
        }
        None => Command::new(BIN),
    };
    let out = c
        .arg("check")
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// A data directory 0755 and a database 0644 (what `init` used to leave) are named by `check`
/// with the command that fixes them.
#[test]
fn check_names_readable_data() {
    let dir = TempDir::new("modes");
    let config = write_config(dir.path(), "");
    let (ok, out) = check(&config, &[], None);
    assert!(ok, "{out}");
    // (A workspace test build carries the harness's test-only features, and the binary says so
    // on stderr: that notice is not a finding of `check`.)
    assert!(
        !out.lines()
            .any(|l| l.contains("warning") && !l.contains("test-only features")),
        "{out}"
    );
    let data = dir.path().join("data");
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        data.join("hearth.sqlite3"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let (ok, out) = check(&config, &[], None);
    assert!(ok, "warnings only: {out}");
    assert!(
        out.contains("is mode 0755") && out.contains("chmod 700"),
        "{out}"
    );
    assert!(
        out.contains("is mode 0644") && out.contains("chmod 600"),
        "{out}"
    );
}

/// A data directory inside the document root is warned about (given, or guessed from the
/// directory names web servers use).
#[test]
fn check_warns_about_data_inside_the_document_root() {
    let dir = TempDir::new("docroot");
    let www = dir.path().join("site");
    std::fs::create_dir_all(&www).unwrap();
    let config = www.join("hearth.toml");
    std::fs::write(&config, config_text(&www.join("data"))).unwrap();
    let (ok, out) = check(&config, &["--document-root", www.to_str().unwrap()], None);
    assert!(ok, "{out}");
    assert!(out.contains("is inside the document root"), "{out}");
    let guessed = dir.path().join("public_html/hearth");
    std::fs::create_dir_all(&guessed).unwrap();
    let config = guessed.join("hearth.toml");
    std::fs::write(&config, config_text(&guessed.join("data"))).unwrap();
    let (_, out) = check(&config, &[], None);
    assert!(out.contains("named public_html"), "{out}");
}

/// The CGI's user cannot write the data directory (nginx + fcgiwrap runs programs as
/// www-data): the answer is `internal`, the log names the database, the uid and the directory's
/// owner and mode, and `check` run as that user fails naming the same.
#[test]
fn unwritable_data_directory_is_named() {
    let dir = TempDir::new("unwritable");
    web::set_mode(dir.path(), 0o755);
    let cgi = install(&dir.path().join("www"));
    let data = dir.path().join("data");
    let config = dir.path().join("www/hearth.toml");
    std::fs::write(&config, config_text(&data)).unwrap();
    // Create the database as this user, then run as someone else (root: nobody) or take the
    // write bit away (not root).
    let (_, out) = check(&config, &[], None);
    let user = if web::is_root() {
        Some("65534")
    } else {
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o500)).unwrap();
        None
    };
    let k = SigningKey::generate();
    let b = signed(&k, 0, None, empty());
    let (body, log, _) = run_cgi(
        &cgi,
        user,
        &[
            ("REQUEST_METHOD", "POST"),
            ("CONTENT_TYPE", "application/cbor"),
            ("CONTENT_LENGTH", &b.len().to_string()),
        ],
        &b,
    );
    assert_eq!(status(&body), ErrorCode::INTERNAL, "{out}\n{log}");
    assert!(log.contains("internal: cannot open the database"), "{log}");
    assert!(log.contains("this process runs as uid"), "{log}");
    assert!(log.contains("with mode 0"), "{log}");
    let (ok, out) = check(&config, &[], user);
    assert!(!ok, "{out}");
    assert!(
        out.contains("error: cannot create or write the database"),
        "{out}"
    );
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
}

/// Nothing secret reaches the log: not the request body, not the signing key, even at the
/// debug level and on the paths that log the most (storage failure, refusals).
#[test]
fn the_log_holds_no_bodies_or_keys() {
    let dir = TempDir::new("nosecrets");
    // data_dir is a regular file: every request that needs storage fails and is logged.
    std::fs::write(dir.path().join("data"), b"not a directory").unwrap();
    let config = write_config(dir.path(), "");
    let cgi = install(&dir.path().join("www"));
    let k = SigningKey::generate();
    let mut logs = String::new();
    let bodies: Vec<Vec<u8>> = vec![
        signed(&k, 0, None, empty()),
        signed(&owner(), 1, Some(random16()), empty()),
        {
            let mut b = signed(&k, 0, None, empty());
            b.extend_from_slice(b"SECRET-PAYLOAD-0123456789");
            b
        },
    ];
    for b in &bodies {
        let (body, log, _) = run_cgi(
            &cgi,
            None,
            &[
                ("REQUEST_METHOD", "POST"),
                ("CONTENT_TYPE", "application/cbor"),
                ("CONTENT_LENGTH", &b.len().to_string()),
                ("HEARTH_CONFIG", config.to_str().unwrap()),
                ("HEARTH_LOG", "debug"),
            ],
            b,
        );
        let _ = status(&body);
        logs += &log;
    }
    assert!(logs.contains("internal:"), "the cause is logged: {logs}");
    let lower = logs.to_lowercase();
    for secret in [
        hex::encode(k.seed()),
        hex::encode(pk(&k)),
        hex::encode(owner().seed()),
        hex::encode(pk(&owner())),
    ] {
        assert!(!lower.contains(&secret), "key bytes in the log:\n{logs}");
    }
    for b in &bodies {
        assert!(!lower.contains(&hex::encode(&b[b.len() - 16..])), "{logs}");
        assert!(
            !logs.as_bytes().windows(16).any(|w| w == &b[b.len() - 16..]),
            "{logs}"
        );
    }
    assert!(!logs.contains("SECRET-PAYLOAD"), "{logs}");
}

/// The web server refused the body as too large and runs the program as its 413 handler
/// (DEPLOY.md): the answer is `too_large`, after the step-1 checks of the original request.
#[test]
fn refused_bodies_are_answered_too_large() {
    let dir = TempDir::new("413");
    let config = write_config(dir.path(), "");
    let cgi = install(&dir.path().join("www"));
    let c = config.to_str().unwrap();
    // (what the case is, the CGI environment besides HEARTH_CONFIG, the expected status)
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], ErrorCode);
    let cases: [Case<'_>; 4] = [
        (
            "lighttpd: the method becomes GET, no original method is passed",
            &[
                ("REQUEST_METHOD", "GET"),
                ("REDIRECT_STATUS", "413"),
                ("CONTENT_TYPE", "application/cbor"),
                ("CONTENT_LENGTH", "0"),
            ],
            ErrorCode::TOO_LARGE,
        ),
        (
            "Apache passes the original method; a PUT is step 1's answer, not step 2's",
            &[
                ("REQUEST_METHOD", "GET"),
                ("REDIRECT_STATUS", "413"),
                ("REDIRECT_REQUEST_METHOD", "PUT"),
            ],
            ErrorCode::MALFORMED,
        ),
        (
            "a media type other than CBOR is step 1 too (nginx keeps the POST)",
            &[
                ("REQUEST_METHOD", "POST"),
                ("REDIRECT_STATUS", "413"),
                ("CONTENT_TYPE", "text/plain"),
            ],
            ErrorCode::MALFORMED,
        ),
        (
            "other redirect statuses change nothing",
            &[("REQUEST_METHOD", "GET"), ("REDIRECT_STATUS", "200")],
            ErrorCode::OK,
        ),
    ];
    for (what, env, expected) in cases {
        let mut env = env.to_vec();
        env.push(("HEARTH_CONFIG", c));
        let (body, _, _) = run_cgi(&cgi, None, &env, b"");
        assert_eq!(status(&body), expected, "{what}");
    }
}

/// After an early answer the program reads the declared body to the end (bounded), so a
/// gateway writing it (fcgiwrap) never gets a broken pipe and never turns the answer into a 502.
#[test]
fn early_answers_take_the_whole_body() {
    let dir = TempDir::new("drain");
    let config = write_config(dir.path(), "");
    let cgi = install(&dir.path().join("www"));
    let big = vec![0u8; 4 << 20];
    for ct in ["application/cbor", "text/plain"] {
        let (body, log, took_all) = run_cgi(
            &cgi,
            None,
            &[
                ("REQUEST_METHOD", "POST"),
                ("CONTENT_TYPE", ct),
                ("CONTENT_LENGTH", &big.len().to_string()),
                ("HEARTH_CONFIG", config.to_str().unwrap()),
            ],
            &big,
        );
        let want = if ct == "text/plain" {
            ErrorCode::MALFORMED
        } else {
            ErrorCode::TOO_LARGE
        };
        assert_eq!(status(&body), want, "{log}");
        assert!(took_all, "{ct}: the program exited before taking the body");
    }
}

/// `init` inside the web root used to leave a downloadable database while `check` said ok:
/// `check --url` fetches the database's URL under a real web server (lighttpd serving the
/// directory as static files) and fails on HTTP 200; with the guide's deny rules it passes.
#[test]
fn check_proves_the_database_cannot_be_downloaded() {
    let test = "check_proves_the_database_cannot_be_downloaded";
    if !web::have("lighttpd") {
        return web::skip(test, "lighttpd is not installed");
    }
    let dir = TempDir::new("download");
    let www = dir.path().join("www");
    let cgi = install(&www.join("hearth"));
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/hearth/hearth.cgi");
    let config = www.join("hearth/hearth.toml");
    // The layout of the old guide's mistake: data beside the program, inside the web root.
    let out = retry_busy(|| {
        Command::new(&cgi)
            .args([
                "init",
                "--host-url",
                &url,
                "--data-dir",
                "data",
                "--owner-key",
            ])
            .arg(hex::encode(pk(&owner())))
            .output()
    });
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("looks inside the document root"));
    let start = |extra: &str| {
        let conf = dir.path().join("lighttpd.conf");
        std::fs::write(
            &conf,
            format!(
                "server.document-root = \"{}\"\nserver.bind = \"127.0.0.1\"\nserver.port = {port}\n\
                 server.errorlog = \"{}/error.log\"\nserver.modules += (\"mod_cgi\")\n\
                 $HTTP[\"url\"] =~ \"\\.cgi$\" {{ cgi.assign = (\".cgi\" => \"\") }}\n{extra}\n",
                www.display(),
                dir.path().display()
            ),
        )
        .unwrap();
        let p = web::spawn_server(Command::new("lighttpd").arg("-D").arg("-f").arg(&conf));
        web::wait_for_port(port, &|| {
            std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default()
        });
        p
    };
    let server = start("");
    let (ok, out) = check(&config, &["--fetch"], None);
    assert!(!ok, "{out}");
    assert!(out.contains("answers as this host"), "{out}");
    assert!(
        out.contains("error: the database can be downloaded")
            && out.contains("/hearth/data/hearth.sqlite3 answered 200"),
        "{out}"
    );
    drop(server);
    // The guide's lighttpd block (only the program is served under /hearth/).
    let places = web::Places::default();
    let _server = start(&places.fill(&web::snippet("lighttpd")).replace(
        "server.modules += (\"mod_access\", \"mod_cgi\")",
        "server.modules += (\"mod_access\")",
    ));
    let (ok, out) = check(&config, &["--fetch"], None);
    assert!(ok, "{out}");
    // lighttpd runs the program as the error handler of the 403 (DEPLOY.md).
    assert!(
        out.contains("/hearth/data/hearth.sqlite3 is answered by the program, not the file"),
        "{out}"
    );
}
