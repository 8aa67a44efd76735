//! Every deployment path of DEPLOY.md, executed as written (the snippets are read out of the
//! guide): Apache 2.4 + mod_cgi + `.htaccess` in a per-user directory under suEXEC, nginx +
//! fcgiwrap, lighttpd + mod_cgi, each from Debian's packages, on loopback, behind TLS with a
//! certificate of a CA made in the test. Through each: the whole host conformance suite with no
//! expectations file, then a conversation of the reference client.
//!
//! Skipped with a printed reason when a server is missing or the test is not root; mandatory
//! with `HEARTH_REQUIRE_WEBSERVERS=1` (CI installs the packages).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
#[path = "web/mod.rs"]
mod web;

use web::servers;

fn deploy_and_test(
    name: &str,
    start: fn(&std::path::Path, &std::path::Path, &str) -> web::Deployment,
) {
    let test = format!("webserver_{name}");
    if let Err(reason) = servers::available(name) {
        return web::skip(&test, &reason);
    }
    let (conformance, client) = match web::tools() {
        Ok(t) => t,
        Err(reason) => return web::skip(&test, &reason),
    };
    let scheme = web::scheme(&conformance, &client);
    let d = start(&conformance, &client, scheme);
    d.probe_https(&d.https_url);
    d.run_suite(&conformance);
    d.converse(&client);
}

#[test]
fn webserver_apache_mod_cgi_htaccess_suexec() {
    deploy_and_test("apache", servers::apache);
}

#[test]
fn webserver_nginx_fcgiwrap() {
    deploy_and_test("nginx", servers::nginx);
}

#[test]
fn webserver_lighttpd_mod_cgi() {
    deploy_and_test("lighttpd", servers::lighttpd);
}

/// The guide's snippets exist and use no placeholder the test does not know.
#[test]
fn deploy_md_snippets_use_only_listed_placeholders() {
    for name in [
        "apache-install",
        "apache-htaccess",
        "apache-server",
        "apache-check",
        "nginx-install",
        "nginx",
        "lighttpd",
        "www-data-check",
        "fcgiwrap-options",
        "no-shell-config",
    ] {
        let text = web::snippet(name);
        let filled = web::Places {
            home: "/H".into(),
            user: "U".into(),
            origin: "https://127.0.0.1:1".into(),
            owner_key: "K".into(),
            www: "/W".into(),
            lib: "/L".into(),
            socket: "/S".into(),
        }
        .fill(&text);
        for left in [
            "example.org",
            "<your",
            "/home/you",
            "~you",
            "/var/www",
            "/var/lib/hearth",
        ] {
            assert!(!filled.contains(left), "{name} still has {left}:\n{filled}");
        }
    }
    // The no-shell config is a valid configuration once filled.
    let text = web::Places {
        home: "/home/u".into(),
        user: "u".into(),
        origin: "https://example.net".into(),
        owner_key: hex::encode(common::pk(&common::owner())),
        ..web::Places::default()
    }
    .fill(&web::snippet("no-shell-config"));
    hearth_host::config::Config::parse(&text, std::path::Path::new("/srv")).unwrap();
}

/// The no-shell install (DEPLOY.md §3) with the data directory the program creates inside the
/// document root: after the first requests its files answer 403 (the deny-all `.htaccess` the
/// program wrote), `check --fetch` run as the user agrees, and without that `.htaccess` and
/// with the modes the old `init` left (0755, 0644) the same check fails naming the
/// downloadable database.
#[test]
fn webserver_apache_no_shell_layout() {
    let test = "webserver_apache_no_shell_layout";
    if let Err(reason) = servers::available("apache") {
        return web::skip(test, &reason);
    }
    let (conformance, client) = match web::tools() {
        Ok(t) => t,
        Err(reason) => return web::skip(test, &reason),
    };
    let scheme = web::scheme(&conformance, &client);
    let d = servers::apache_no_shell(&conformance, &client, scheme);
    d.converse(&client);
    let home = std::path::PathBuf::from(format!("/home/{}", web::APACHE_USER));
    let data = home.join("public_html/hearth/hearth-data");
    assert!(
        data.join("hearth.sqlite3").is_file(),
        "the program created its data directory"
    );
    let db_url = d.url.replace("hearth.cgi", "hearth-data/hearth.sqlite3");
    if web::have("curl") && scheme == "http" {
        let out = web::run_ok(
            std::process::Command::new("curl")
                .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
                .arg(&db_url),
            "curl",
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), "403", "GET {db_url}");
    }
    let check = || {
        web::as_user(Some(web::APACHE_USER), &home, "./hearth.cgi")
            .args(["check", "--fetch"])
            .current_dir(home.join("public_html/hearth"))
            .output()
            .unwrap()
    };
    let out = check();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}\n{}", d.log());
    assert!(text.contains("inside the document root"), "{text}");
    if scheme == "http" {
        assert!(
            text.contains("hearth-data/hearth.sqlite3 answers HTTP 403"),
            "{text}"
        );
        // Two layers protect it: the .htaccess, and the modes (0700 keeps the web server's
        // own user out under suEXEC). Without both, as the old guide left it, it is served.
        std::fs::remove_file(data.join(".htaccess")).unwrap();
        web::set_mode(&data, 0o755);
        for f in ["hearth.sqlite3", "hearth.sqlite3-wal", "hearth.sqlite3-shm"] {
            web::set_mode(&data.join(f), 0o644);
        }
        let out = check();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{text}");
        assert!(
            text.contains("error: the database can be downloaded"),
            "{text}"
        );
    }
}
