//! The three web servers of DEPLOY.md, each a private instance started here: its own
//! top-level config (ports, TLS, logs, pid file) in a temp dir around the guide's snippets.

use std::path::Path;
use std::process::Command;

use super::*;

/// Apache 2.4 modules, from Debian's apache2 package.
const APACHE_MODULES: &str = "/usr/lib/apache2/modules";

/// What a server needs on this machine, or why it cannot run here.
pub fn available(server: &str) -> Result<(), String> {
    let need: &[&str] = match server {
        "apache" => &["apache2", "/usr/lib/apache2/suexec", "setpriv", "useradd"],
        "nginx" => &["nginx", "fcgiwrap", "setpriv"],
        "lighttpd" => &["lighttpd", "setpriv"],
        _ => &[],
    };
    for n in need {
        if !have(n) {
            return Err(format!(
                "{n} is not installed (see .ci/run for the packages)"
            ));
        }
    }
    if !is_root() {
        return Err(format!(
            "{server} runs the CGI program as another user (suEXEC, www-data): run as root"
        ));
    }
    Ok(())
}

/// The guide's Apache path: `~you/public_html/hearth` with `.htaccess`, suEXEC, Debian's own
/// `userdir.conf` plus the guide's `apache-server` block, mod_cgi under the prefork MPM.
pub fn apache(conformance: &Path, client: &Path, scheme: &str) -> Deployment {
    apache_with(conformance, client, scheme, false)
}

/// The guide's no-shell path under Apache: the binary, `no-shell-config` and `.htaccess`
/// uploaded as files (no `init`), with the data directory inside the document root (the
/// guide's alternative `data_dir = "hearth-data"`), created by the program on first use.
pub fn apache_no_shell(conformance: &Path, client: &Path, scheme: &str) -> Deployment {
    apache_with(conformance, client, scheme, true)
}

fn apache_with(conformance: &Path, client: &Path, scheme: &str, no_shell: bool) -> Deployment {
    let (mut d, keys) = Deployment::prepare("apache", conformance, client);
    d.lock = Some(
        APACHE_HOME
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    let home = ensure_user(APACHE_USER);
    let public = home.join("public_html");
    for p in [public.join("hearth"), home.join("hearth-data")] {
        let _ = std::fs::remove_dir_all(&p);
        d.cleanup.push(p);
    }
    let (http, https) = ports();
    let port = if scheme == "https" { https } else { http };
    let places = Places {
        home: home.display().to_string(),
        user: APACHE_USER.into(),
        origin: format!("{scheme}://127.0.0.1:{port}"),
        owner_key: keys.join(" --owner-key "),
        ..Places::default()
    };
    d.url = places.fill("https://example.org/~you/hearth/hearth.cgi");
    d.https_url = format!("https://127.0.0.1:{https}/~{APACHE_USER}/hearth/hearth.cgi");
    let stage = stage_binary(d.dir.path());
    if no_shell {
        // What an FTP upload leaves: the user's files, modes set by the client.
        let hearth = public.join("hearth");
        std::fs::create_dir_all(&hearth).unwrap();
        std::fs::copy(stage.join("hearth-host"), hearth.join("hearth.cgi")).unwrap();
        // A list in TOML, not repeated options.
        let toml_places = Places {
            owner_key: keys.join("\", \""),
            ..places.clone()
        };
        let config = toml_places.fill(&snippet("no-shell-config")).replace(
            &format!("\"{}/hearth-data\"", places.home),
            "\"hearth-data\"",
        );
        assert!(config.contains("data_dir = \"hearth-data\""), "{config}");
        std::fs::write(hearth.join("hearth.toml"), config).unwrap();
        chown(&public, APACHE_USER);
        for p in [&public, &hearth, &hearth.join("hearth.cgi")] {
            set_mode(p, 0o755);
        }
    } else {
        run_snippet("apache-install", &places, Some(APACHE_USER), &home, &stage);
    }
    let htaccess = public.join("hearth/.htaccess");
    std::fs::write(&htaccess, places.fill(&snippet("apache-htaccess"))).unwrap();
    chown(&htaccess, APACHE_USER);

    let dir = d.dir.path();
    let run = dir.join("run");
    std::fs::create_dir_all(&run).unwrap();
    let log = dir.join("apache-error.log");
    let m = APACHE_MODULES;
    let ssl = if scheme == "https" || Path::new(&format!("{m}/mod_ssl.so")).exists() {
        format!(
            "LoadModule socache_shmcb_module {m}/mod_socache_shmcb.so\n\
             LoadModule ssl_module {m}/mod_ssl.so\n\
             Listen 127.0.0.1:{https} https\n\
             <VirtualHost 127.0.0.1:{https}>\n\
             SSLEngine on\n\
             SSLCertificateFile {cert}\n\
             SSLCertificateKeyFile {key}\n\
             </VirtualHost>\n",
            cert = d.tls.cert.display(),
            key = d.tls.key.display()
        )
    } else {
        String::new()
    };
    let conf = dir.join("apache2.conf");
    std::fs::write(
        &conf,
        format!(
            "ServerRoot {dir}\n\
             ServerName 127.0.0.1\n\
             PidFile {run}/apache2.pid\n\
             DefaultRuntimeDir {run}\n\
             Mutex file:{run} default\n\
             Listen 127.0.0.1:{http}\n\
             User {WWW_USER}\n\
             Group {WWW_USER}\n\
             ErrorLog {log}\n\
             LogLevel warn\n\
             LoadModule mpm_prefork_module {m}/mod_mpm_prefork.so\n\
             LoadModule authz_core_module {m}/mod_authz_core.so\n\
             LoadModule authz_host_module {m}/mod_authz_host.so\n\
             LoadModule mime_module {m}/mod_mime.so\n\
             LoadModule dir_module {m}/mod_dir.so\n\
             LoadModule cgi_module {m}/mod_cgi.so\n\
             LoadModule userdir_module {m}/mod_userdir.so\n\
             LoadModule suexec_module {m}/mod_suexec.so\n\
             TypesConfig /etc/mime.types\n\
             DocumentRoot {dir}\n\
             <Directory />\n    AllowOverride None\n    Require all denied\n</Directory>\n\
             # Debian's own per-user directory settings, unchanged.\n\
             Include /etc/apache2/mods-available/userdir.conf\n\
             # DEPLOY.md, apache-server:\n\
             {server}\n\
             {ssl}",
            dir = dir.display(),
            run = run.display(),
            log = log.display(),
            server = places.fill(&snippet("apache-server")),
        ),
    )
    .unwrap();
    d.logs.push(log.clone());
    d.logs.push("/var/log/apache2/suexec.log".into());
    d.procs.push(spawn_server(
        Command::new("apache2")
            .arg("-f")
            .arg(&conf)
            .arg("-DFOREGROUND"),
    ));
    wait_for_port(http, &|| d.log());
    wait_for_port(https, &|| d.log());
    let suexec = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        suexec.contains("suEXEC mechanism enabled"),
        "Apache runs without suEXEC:\n{suexec}"
    );
    if !no_shell {
        run_snippet("apache-check", &places, Some(APACHE_USER), &home, &stage);
    }
    d
}

/// The guide's install for servers whose CGI programs run as www-data: `/var/www/hearth`,
/// data in `/var/lib/hearth`, then the check as www-data.
fn install_www(d: &Deployment, places: &Places) {
    let stage = stage_binary(d.dir.path());
    run_snippet("nginx-install", places, None, d.dir.path(), &stage);
}

fn www_places(d: &Deployment, keys: &[String], scheme: &str, port: u16) -> Places {
    let dir = d.dir.path();
    Places {
        origin: format!("{scheme}://127.0.0.1:{port}"),
        owner_key: keys.join(" --owner-key "),
        www: dir.join("www").display().to_string(),
        lib: dir.join("lib/hearth").display().to_string(),
        socket: dir.join("run/fcgiwrap.socket").display().to_string(),
        ..Places::default()
    }
}

/// The guide's nginx + fcgiwrap path: fcgiwrap as www-data on a unix socket, the guide's
/// `location` blocks inside a server block listening on http and https.
pub fn nginx(conformance: &Path, client: &Path, scheme: &str) -> Deployment {
    let (mut d, keys) = Deployment::prepare("nginx", conformance, client);
    let (http, https) = ports();
    let port = if scheme == "https" { https } else { http };
    let places = www_places(&d, &keys, scheme, port);
    d.url = places.fill("https://example.org/hearth/hearth.cgi");
    d.https_url = format!("https://127.0.0.1:{https}/hearth/hearth.cgi");
    install_www(&d, &places);
    let dir = d.dir.path().to_path_buf();
    for sub in ["run", "tmp", "conf"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    chown(&dir.join("run"), WWW_USER);
    chown(&dir.join("tmp"), WWW_USER);
    std::fs::copy("/etc/nginx/fastcgi_params", dir.join("conf/fastcgi_params")).unwrap();
    let log = dir.join("nginx-error.log");
    std::fs::write(
        dir.join("conf/nginx.conf"),
        format!(
            "worker_processes 1;\n\
             user {WWW_USER};\n\
             pid {d}/run/nginx.pid;\n\
             error_log {log} info;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n\
             access_log off;\n\
             client_body_temp_path {d}/tmp/body;\n\
             fastcgi_temp_path {d}/tmp/fastcgi;\n\
             proxy_temp_path {d}/tmp/proxy;\n\
             scgi_temp_path {d}/tmp/scgi;\n\
             uwsgi_temp_path {d}/tmp/uwsgi;\n\
             server {{\n\
             listen 127.0.0.1:{http};\n\
             listen 127.0.0.1:{https} ssl;\n\
             ssl_certificate {cert};\n\
             ssl_certificate_key {key};\n\
             root {www};\n\
             # DEPLOY.md, nginx:\n\
             {snippet}\n\
             }}\n\
             }}\n",
            d = dir.display(),
            log = log.display(),
            cert = d.tls.cert.display(),
            key = d.tls.key.display(),
            www = places.www,
            snippet = places.fill(&snippet("nginx")),
        ),
    )
    .unwrap();
    d.logs.push(log);
    // The guide's options for Debian's fcgiwrap.service.
    let opts = run_ok(
        Command::new("sh").arg("-ec").arg(format!(
            "{}\nprintf %s \"$DAEMON_OPTS\"",
            snippet("fcgiwrap-options")
        )),
        "DEPLOY.md block fcgiwrap-options",
    );
    let opts = String::from_utf8_lossy(&opts.stdout).into_owned();
    d.procs.push(spawn_server(
        as_user(Some(WWW_USER), &dir, "fcgiwrap")
            .args(opts.split_whitespace())
            .arg("-s")
            .arg(format!("unix:{}", places.socket)),
    ));
    d.procs.insert(
        0,
        spawn_server(
            Command::new("nginx")
                .arg("-p")
                .arg(&dir)
                .arg("-c")
                .arg(dir.join("conf/nginx.conf"))
                .args(["-g", "daemon off;"]),
        ),
    );
    wait_for_port(http, &|| d.log());
    wait_for_port(https, &|| d.log());
    let socket = Path::new(&places.socket).to_path_buf();
    assert!(
        (0..100).any(|_| {
            let ok = socket.exists();
            if !ok {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            ok
        }),
        "fcgiwrap did not create its socket"
    );
    run_snippet("www-data-check", &places, None, &dir, &dir);
    d
}

/// The guide's lighttpd path: lighttpd as www-data (as Debian runs it), the guide's block,
/// TLS through mod_openssl on the second port.
pub fn lighttpd(conformance: &Path, client: &Path, scheme: &str) -> Deployment {
    let (mut d, keys) = Deployment::prepare("lighttpd", conformance, client);
    let (http, https) = ports();
    let port = if scheme == "https" { https } else { http };
    let places = www_places(&d, &keys, scheme, port);
    d.url = places.fill("https://example.org/hearth/hearth.cgi");
    d.https_url = format!("https://127.0.0.1:{https}/hearth/hearth.cgi");
    install_www(&d, &places);
    let dir = d.dir.path().to_path_buf();
    let log = dir.join("lighttpd-error.log");
    std::fs::write(&log, "").unwrap();
    chown(&log, WWW_USER);
    let tls = if Path::new("/usr/lib/lighttpd/mod_openssl.so").exists() {
        format!(
            "server.modules += (\"mod_openssl\")\n\
             $SERVER[\"socket\"] == \"127.0.0.1:{https}\" {{\n\
             ssl.engine = \"enable\"\n\
             ssl.pemfile = \"{cert}\"\n\
             ssl.privkey = \"{key}\"\n\
             }}\n",
            cert = d.tls.cert.display(),
            key = d.tls.key.display()
        )
    } else {
        assert!(
            scheme == "http" && !required(),
            "lighttpd-mod-openssl is not installed"
        );
        println!("lighttpd without TLS: lighttpd-mod-openssl is not installed");
        format!("$SERVER[\"socket\"] == \"127.0.0.1:{https}\" {{ }}\n")
    };
    let conf = dir.join("lighttpd.conf");
    std::fs::write(
        &conf,
        format!(
            "server.document-root = \"{www}\"\n\
             server.bind = \"127.0.0.1\"\n\
             server.port = {http}\n\
             server.username = \"{WWW_USER}\"\n\
             server.groupname = \"{WWW_USER}\"\n\
             server.errorlog = \"{log}\"\n\
             {tls}\
             # DEPLOY.md, lighttpd:\n\
             {snippet}\n",
            www = places.www,
            log = log.display(),
            snippet = places.fill(&snippet("lighttpd")),
        ),
    )
    .unwrap();
    d.logs.push(log);
    d.procs.push(spawn_server(
        Command::new("lighttpd").arg("-D").arg("-f").arg(&conf),
    ));
    wait_for_port(http, &|| d.log());
    wait_for_port(https, &|| d.log());
    run_snippet("www-data-check", &places, None, &dir, &dir);
    d
}
