//! A throwaway PostgreSQL cluster in a temp dir (initdb + pg_ctl, on 127.0.0.1 with a free
//! port and its socket in the temp dir) and an nginx round-robin proxy in front of several
//! `serve` instances, for tests/pg.rs.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{free_port, TempDir};

/// Set in CI: a missing PostgreSQL (or nginx, or a build without the feature) fails instead of
/// skipping.
pub const REQUIRE_ENV: &str = "HEARTH_REQUIRE_POSTGRES";

/// Whether a skip is a failure here.
pub fn required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1")
}

/// Prints why the tests are skipped, or panics when [`REQUIRE_ENV`] is set.
pub fn skip(why: &str) {
    assert!(!required(), "{REQUIRE_ENV}=1 and {why}");
    eprintln!("SKIPPED: PostgreSQL tests: {why}");
}

/// The directory holding initdb and pg_ctl: `$HEARTH_PG_BIN`, Debian's
/// /usr/lib/postgresql/*/bin (highest version), or one on the PATH's usual places.
pub fn pg_bin() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("HEARTH_PG_BIN") {
        return Some(PathBuf::from(p));
    }
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").is_file())
        .collect();
    debian.sort();
    if let Some(b) = debian.pop() {
        return Some(b);
    }
    ["/usr/local/bin", "/usr/bin"]
        .iter()
        .map(PathBuf::from)
        .find(|b| b.join("initdb").is_file() && b.join("pg_ctl").is_file())
}

fn is_root() -> bool {
    hearth_host::log::effective_uid() == Some(0)
}

/// A command, run as `nobody` when this process is root (initdb refuses root).
fn as_pg_user(bin: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "nobody", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A running cluster; stopped (immediate) on drop.
pub struct Cluster {
    pub dir: TempDir,
    bin: PathBuf,
    pub port: u16,
}

impl Cluster {
    /// Starts a cluster (superuser `hearth`, trust auth on loopback only). `fsync` stays on:
    /// the durability the benchmark compares is PostgreSQL's default.
    pub fn start(bin: &Path) -> Cluster {
        let dir = TempDir::new("pg");
        if is_root() {
            std::os::unix::fs::chown(dir.path(), Some(65534), Some(65534)).unwrap();
        }
        let data = dir.path().join("data");
        run(
            as_pg_user(&bin.join("initdb"))
                .arg("-D")
                .arg(&data)
                .args(["-U", "hearth", "--auth=trust", "-E", "UTF8", "--no-sync"])
                .current_dir(dir.path()),
            "initdb",
        );
        let port = free_port();
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {} -c max_connections=200",
            dir.path().display()
        );
        run(
            as_pg_user(&bin.join("pg_ctl"))
                .arg("-D")
                .arg(&data)
                .args(["-o", &opts, "-w", "-t", "60", "-l"])
                .arg(dir.path().join("pg.log"))
                .arg("start")
                .current_dir(dir.path()),
            "pg_ctl start",
        );
        Cluster {
            dir,
            bin: bin.to_path_buf(),
            port,
        }
    }

    /// The connection string of database `db`.
    pub fn url(&self, db: &str) -> String {
        format!("host=127.0.0.1 port={} user=hearth dbname={db}", self.port)
    }

    /// Creates an empty database.
    pub fn create_db(&self, db: &str) {
        let mut c = postgres::Client::connect(&self.url("postgres"), postgres::NoTls).unwrap();
        c.batch_execute(&format!("CREATE DATABASE {db}")).unwrap();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = as_pg_user(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .current_dir(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// nginx on 127.0.0.1 passing requests in turn to each backend (round robin, one request at
/// a time: HTTP/1.1 to the upstreams, so that requests of one client connection alternate).
pub struct Proxy {
    child: Child,
    pub port: u16,
    _dir: TempDir,
}

impl Proxy {
    pub fn installed() -> bool {
        Command::new("nginx")
            .arg("-v")
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Listens on `port` in front of `backends` (HOST:PORT each).
    pub fn start(port: u16, backends: &[String]) -> Proxy {
        let dir = TempDir::new("pgproxy");
        let d = dir.path().display();
        let servers: String = backends
            .iter()
            .map(|b| format!("server {b} max_fails=0;\n"))
            .collect();
        let user = if is_root() { "user root root;" } else { "" };
        let conf = format!(
            "{user}\nworker_processes 1;\ndaemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
             events {{}}\nhttp {{\naccess_log off;\nclient_body_temp_path {d}/body;\n\
             proxy_temp_path {d}/proxy;\nfastcgi_temp_path {d}/fcgi;\nuwsgi_temp_path {d}/uwsgi;\n\
             scgi_temp_path {d}/scgi;\nupstream hearth {{\n{servers}keepalive 16;\n}}\n\
             server {{\nlisten 127.0.0.1:{port};\nclient_max_body_size 8m;\n\
             location / {{\nproxy_pass http://hearth;\nproxy_http_version 1.1;\n\
             proxy_set_header Connection \"\";\nproxy_request_buffering off;\n}}\n}}\n}}\n"
        );
        let path = dir.path().join("nginx.conf");
        std::fs::write(&path, conf).unwrap();
        let child = Command::new("nginx")
            .arg("-c")
            .arg(&path)
            .arg("-p")
            .arg(dir.path())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "nginx did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Proxy {
            child,
            port,
            _dir: dir,
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = std::fs::read_to_string(self._dir.path().join("error.log"));
            eprintln!("nginx error log:\n{}", log.unwrap_or_default());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
