//! Real web servers from Debian's packages running the reference host as a CGI program, set up
//! exactly as `DEPLOY.md` says: every config and shell snippet is read out of the guide (fenced
//! blocks with a `title`) and only the placeholders the guide lists are replaced. Each server
//! runs as a private instance on free loopback ports, on http and on https with a certificate
//! of a CA made here (rcgen).
//!
//! A test skips with a printed reason when a server or a binary is missing, and fails instead
//! when `HEARTH_REQUIRE_WEBSERVERS=1` (CI).
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{free_port, TempDir, BIN};

/// The guide, read at compile time: the tests and the text cannot drift apart.
pub const GUIDE: &str = include_str!("../../DEPLOY.md");

/// The user the Apache test deploys as (a per-user directory `~hearthcgi/public_html`, run
/// through suEXEC, which wants a uid of at least 100 and a home under `/home`).
pub const APACHE_USER: &str = "hearthcgi";

/// The user Debian's fcgiwrap and lighttpd run CGI programs as.
pub const WWW_USER: &str = "www-data";

/// Whether a missing server is a failure rather than a skip.
pub fn required() -> bool {
    std::env::var("HEARTH_REQUIRE_WEBSERVERS").is_ok_and(|v| v == "1")
}

/// Prints why a test does not run, or fails it when web servers are required.
pub fn skip(test: &str, reason: &str) {
    assert!(
        !required(),
        "{test}: {reason}, but HEARTH_REQUIRE_WEBSERVERS=1"
    );
    println!("skipped {test}: {reason}");
}

/// The block of `DEPLOY.md` whose opening fence carries `title="NAME"`, without the fences and
/// without the fence's indentation.
pub fn snippet(name: &str) -> String {
    let tag = format!("title=\"{name}\"");
    let mut lines = GUIDE.lines();
    let open = lines
        .by_ref()
        .find(|l| l.trim_start().starts_with("```") && l.contains(&tag))
        .unwrap_or_else(|| panic!("DEPLOY.md has no block titled {name}"));
    let indent = open.len() - open.trim_start().len();
    let mut out = String::new();
    for l in lines {
        if l.trim() == "```" {
            return out;
        }
        out.push_str(l.get(indent..).unwrap_or(l.trim_start()));
        out.push('\n');
    }
    panic!("the block {name} of DEPLOY.md is not closed");
}

/// The placeholders of the guide's table, and what a test puts in their place.
#[derive(Clone, Debug, Default)]
pub struct Places {
    /// `/home/you`.
    pub home: String,
    /// `you` in `~you`.
    pub user: String,
    /// `https://example.org`.
    pub origin: String,
    /// `<your owner key>` (several keys: joined with `--owner-key` or `", "` by the caller).
    pub owner_key: String,
    /// `/var/www`.
    pub www: String,
    /// `/var/lib/hearth`.
    pub lib: String,
    /// `/run/fcgiwrap.socket`.
    pub socket: String,
    /// Not a placeholder: the test CA that the guide's `check --fetch` snippets trust over
    /// https (through `SSL_CERT_FILE`, as on a machine whose CA bundle holds it); empty over http.
    pub ca: String,
}

impl Places {
    /// `text` with every listed placeholder replaced. Fails if one is left that has no value.
    pub fn fill(&self, text: &str) -> String {
        let mut s = text.to_owned();
        for (from, to) in [
            ("/home/you", &self.home),
            ("~you", &format!("~{}", self.user)),
            ("https://example.org", &self.origin),
            ("<your owner key>", &self.owner_key),
            ("/var/www", &self.www),
            ("/var/lib/hearth", &self.lib),
            ("/run/fcgiwrap.socket", &self.socket),
        ] {
            if s.contains(from) {
                assert!(
                    !to.is_empty() && to != "~",
                    "placeholder {from} has no value here"
                );
                s = s.replace(from, to);
            }
        }
        s
    }
}

/// Whether `name` is on PATH (or is an existing path).
pub fn have(name: &str) -> bool {
    Path::new(name).exists()
        || Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
            .is_ok_and(|o| o.status.success())
}

/// Whether this process runs as root (the servers drop to their users as on a real system).
pub fn is_root() -> bool {
    hearth_host::log::effective_uid() == Some(0)
}

/// A sibling binary of the host's in the target directory, or `$ENV`.
pub fn tool(env: &str, name: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Some(PathBuf::from(p));
    }
    let p = Path::new(BIN).parent()?.join(name);
    p.is_file().then_some(p)
}

/// The harness and the reference client, or why they are missing.
pub fn tools() -> Result<(PathBuf, PathBuf), String> {
    let conformance = tool("HEARTH_CONFORMANCE_BIN", "hearth-conformance").ok_or(
        "hearth-conformance is not built (cargo build -p hearth-conformance, or set \
         HEARTH_CONFORMANCE_BIN)",
    )?;
    let client = tool("HEARTH_CLIENT_BIN", "hearth").ok_or(
        "hearth (the client) is not built (cargo build -p hearth-client, or set HEARTH_CLIENT_BIN)",
    )?;
    Ok((conformance, client))
}

/// Whether `bin --help` (or `bin SUB --help`) lists `--ca-file`.
pub fn has_ca_file(bin: &Path, sub: &[&str]) -> bool {
    Command::new(bin)
        .args(sub)
        .arg("--help")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("--ca-file"))
}

/// Runs `cmd`, failing with its output if it fails.
pub fn run_ok(cmd: &mut Command, what: &str) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A command run as `user` (through setpriv; `None`: as this process), with `HOME` set.
pub fn as_user(user: Option<&str>, home: &Path, program: &str) -> Command {
    let mut c = match user {
        Some(u) => {
            let mut c = Command::new("setpriv");
            c.arg(format!("--reuid={u}"))
                .arg(format!("--regid={u}"))
                .arg("--init-groups")
                .arg(program);
            c
        }
        None => Command::new(program),
    };
    c.env("HOME", home);
    c
}

/// Runs a shell snippet of the guide (`sh -e`), as `user`, in `cwd`.
pub fn run_snippet(name: &str, places: &Places, user: Option<&str>, home: &Path, cwd: &Path) {
    let text = places.fill(&snippet(name));
    let mut c = as_user(user, home, "sh");
    c.arg("-ec").arg(&text).current_dir(cwd);
    if !places.ca.is_empty() {
        c.env("SSL_CERT_FILE", &places.ca);
    }
    run_ok(&mut c, &format!("DEPLOY.md block {name}:\n{text}"));
}

/// A local certificate authority and a server certificate for 127.0.0.1 signed by it, as PEM
/// files in `dir`: `ca.pem`, `cert.pem`, `key.pem`.
pub struct Tls {
    /// The CA certificate clients trust.
    pub ca: PathBuf,
    /// The server's certificate.
    pub cert: PathBuf,
    /// The server's private key.
    pub key: PathBuf,
}

impl Tls {
    pub fn generate(dir: &Path) -> Tls {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
            KeyUsagePurpose,
        };
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "Hearth web-server test CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let key = KeyPair::generate().unwrap();
        let mut leaf =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        leaf.distinguished_name
            .push(DnType::CommonName, "127.0.0.1");
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = leaf.signed_by(&key, &ca_cert, &ca_key).unwrap();
        let t = Tls {
            ca: dir.join("ca.pem"),
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        };
        std::fs::write(&t.ca, ca_cert.pem()).unwrap();
        std::fs::write(&t.cert, cert.pem()).unwrap();
        std::fs::write(&t.key, key.serialize_pem()).unwrap();
        t
    }
}

/// The scheme a test uses: https when both the harness and the client can be told to trust a
/// CA (`--ca-file`), else http (and the test says that https was skipped).
pub fn scheme(conformance: &Path, client: &Path) -> &'static str {
    let harness = has_ca_file(conformance, &["host"]);
    let cli = has_ca_file(client, &[]) || has_ca_file(client, &["create"]);
    if harness && cli {
        "https"
    } else {
        println!(
            "https skipped: --ca-file is missing from {} (so the suite runs over http; the \
             servers listen on both)",
            match (harness, cli) {
                (false, false) => "`hearth-conformance host` and `hearth`",
                (false, true) => "`hearth-conformance host`",
                _ => "`hearth`",
            }
        );
        "http"
    }
}

/// A server started in a process group of its own ([`spawn_server`]), stopped with SIGTERM to
/// the whole group (then SIGKILL) when dropped, so that its workers (Apache's, nginx's,
/// fcgiwrap's `-c` children) go too.
pub struct Proc(pub Child);

/// Starts `cmd` as a server: its own process group (Apache signals its whole group when it
/// stops), no inherited output (its logs are files).
pub fn spawn_server(cmd: &mut Command) -> Proc {
    use std::os::unix::process::CommandExt as _;
    Proc(
        cmd.process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

impl Drop for Proc {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.0.wait();
    }
}

/// Waits until something listens on `port` (or panics with `log`).
pub fn wait_for_port(port: u16, log: &dyn Fn() -> String) {
    let up = (0..200).any(|_| {
        let ok = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
        if !ok {
            std::thread::sleep(Duration::from_millis(50));
        }
        ok
    });
    assert!(up, "nothing listens on port {port}:\n{}", log());
}

/// Two free loopback ports: http and https.
pub fn ports() -> (u16, u16) {
    loop {
        let (a, b) = (free_port(), free_port());
        if a != b {
            return (a, b);
        }
    }
}

/// What every deployment shares: where things are, which URL, which keys.
pub struct Deployment {
    /// The canonical URL the suite and the client use.
    pub url: String,
    /// The same program on the server's https listener.
    pub https_url: String,
    /// The CA certificate (https).
    pub tls: Tls,
    /// The harness's owner key file.
    pub owner_key: PathBuf,
    /// The client state files of Alice (an owner) and Bob.
    pub alice: PathBuf,
    pub bob: PathBuf,
    /// The web server's error logs (the program's stderr goes there).
    pub logs: Vec<PathBuf>,
    /// Stopped on drop, in order.
    pub procs: Vec<Proc>,
    /// Removed on drop (outside the temp dir).
    pub cleanup: Vec<PathBuf>,
    /// Scratch space.
    pub dir: TempDir,
    /// Held while a deployment uses a shared place (the Apache user's home).
    pub lock: Option<std::sync::MutexGuard<'static, ()>>,
}

/// One Apache deployment at a time in this process: they share `~hearthcgi/public_html/hearth`.
pub static APACHE_HOME: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl Drop for Deployment {
    fn drop(&mut self) {
        self.procs.clear();
        for p in &self.cleanup {
            let _ = std::fs::remove_dir_all(p);
        }
        self.lock = None;
    }
}

impl Deployment {
    /// Everything but the server: a temp dir, TLS files, the harness's owner key and two client
    /// identities. Returns the owner keys (hex) to configure.
    pub fn prepare(tag: &str, conformance: &Path, client: &Path) -> (Deployment, Vec<String>) {
        let dir = TempDir::new(tag);
        // Servers dropping to www-data must traverse it.
        set_mode(dir.path(), 0o755);
        let tls = Tls::generate(dir.path());
        let owner_key = dir.path().join("owner.key");
        let out = run_ok(
            Command::new(conformance)
                .arg("keygen")
                .arg("--out")
                .arg(&owner_key),
            "hearth-conformance keygen",
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        let harness_key = hex_word(&text).expect("keygen prints the public key");
        let alice = dir.path().join("alice.sqlite");
        let bob = dir.path().join("bob.sqlite");
        run_ok(
            Command::new(client)
                .arg("--state")
                .arg(&alice)
                .args(["init", "Alice"]),
            "hearth init Alice",
        );
        run_ok(
            Command::new(client)
                .arg("--state")
                .arg(&bob)
                .args(["init", "Bob"]),
            "hearth init Bob",
        );
        let out = run_ok(
            Command::new(client)
                .arg("--state")
                .arg(&alice)
                .arg("whoami"),
            "hearth whoami",
        );
        let alice_key = String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.trim().strip_prefix("identity key: ").map(str::to_owned))
            .expect("whoami prints the identity key");
        (
            Deployment {
                url: String::new(),
                https_url: String::new(),
                tls,
                owner_key,
                alice,
                bob,
                logs: Vec::new(),
                procs: Vec::new(),
                cleanup: Vec::new(),
                dir,
                lock: None,
            },
            // The third owner is tests/common's (the library client of tests/client_cgi.rs).
            vec![
                harness_key,
                alice_key,
                hex::encode(crate::common::pk(&crate::common::owner())),
            ],
        )
    }

    /// Every error log, for failure messages.
    pub fn log(&self) -> String {
        let mut s = String::new();
        for l in &self.logs {
            let text = std::fs::read_to_string(l).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(40)..].join("\n");
            s += &format!("--- {} (last 40 lines)\n{tail}\n", l.display());
        }
        s
    }

    /// The whole host suite against the deployment, with no expectations file; prints the
    /// counts and the slowest tests, returns how long it took.
    pub fn run_suite(&self, conformance: &Path) -> Duration {
        let mut c = Command::new(conformance);
        c.args([
            "host",
            "--format",
            "json",
            "--url",
            &self.url,
            "--owner-key",
        ])
        .arg(&self.owner_key);
        if self.url.starts_with("https://") {
            c.arg("--ca-file").arg(&self.tls.ca);
        }
        let start = Instant::now();
        let out = c.stderr(Stdio::null()).output().unwrap();
        let took = start.elapsed();
        let report: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
        let results = report["results"].as_array().cloned().unwrap_or_default();
        let failed: Vec<String> = results
            .iter()
            .filter(|r| r["outcome"] == "fail")
            .map(|r| format!("{}: {}", r["id"], r["message"]))
            .collect();
        assert!(
            out.status.success() && failed.is_empty() && !results.is_empty(),
            "the host suite failed through {} (exit {}):\n{}\n{}",
            self.url,
            out.status,
            failed.join("\n"),
            self.log()
        );
        let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
        for r in &results {
            *outcomes
                .entry(r["outcome"].as_str().unwrap_or("?").to_owned())
                .or_default() += 1;
        }
        let outcomes: Vec<String> = outcomes.iter().map(|(o, n)| format!("{n} {o}")).collect();
        let mut slow: Vec<(u64, String)> = results
            .iter()
            .map(|r| {
                (
                    r["duration_ms"].as_u64().unwrap_or(0),
                    r["id"].as_str().unwrap_or("?").to_owned(),
                )
            })
            .collect();
        slow.sort_unstable_by(|a, b| b.cmp(a));
        let slowest: Vec<String> = slow
            .iter()
            .take(5)
            .map(|(ms, id)| format!("{id} {:.1} s", *ms as f64 / 1000.0))
            .collect();
        println!(
            "host suite through {}: {} tests ({}) in {:.1} s (slowest: {})",
            self.url,
            results.len(),
            outcomes.join(", "),
            took.as_secs_f64(),
            slowest.join(", ")
        );
        took
    }

    /// When the suite ran over http: the same program over the https listener, verified
    /// against the test CA by curl (if installed), so the TLS half of the setup is exercised.
    pub fn probe_https(&self, https_url: &str) {
        if self.url.starts_with("https://") {
            return;
        }
        if !have("curl") {
            println!("https probe skipped: curl is not installed");
            return;
        }
        let out = run_ok(
            Command::new("curl")
                .args([
                    "-sS",
                    "--fail",
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{http_code} %{content_type}",
                ])
                .arg("--cacert")
                .arg(&self.tls.ca)
                .arg(https_url),
            "curl over https",
        );
        let got = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(got, "200 application/cbor", "GET {https_url}");
        println!("GET {https_url} with the test CA: {got}");
    }

    /// A short conversation of the reference client (`hearth`) through the deployment: Alice
    /// creates, invites, Bob joins after both compare the code, each says something.
    pub fn converse(&self, client: &Path) {
        let ca = self.url.starts_with("https://").then_some(&self.tls.ca);
        let hearth = |state: &Path, args: &[&str], answers: Option<&str>| -> String {
            use std::io::Write as _;
            let mut c = Command::new(client);
            c.arg("--state").arg(state);
            if let Some(ca) = ca {
                c.arg("--ca-file").arg(ca).env("SSL_CERT_FILE", ca);
            }
            c.args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            if answers.is_some() {
                c.env("HEARTH_COMPARE", "stdin");
            }
            let mut child = c.spawn().unwrap();
            if let Some(mut stdin) = child.stdin.take() {
                let _ = stdin.write_all(answers.unwrap_or_default().as_bytes());
            }
            let out = child.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(
                out.status.success(),
                "hearth {args:?} failed:\n{text}\n{}\n{}",
                String::from_utf8_lossy(&out.stderr),
                self.log()
            );
            text
        };
        let out = hearth(&self.alice, &["create", &self.url], None);
        let conv = out.split_whitespace().nth(2).unwrap().to_owned();
        assert_eq!(conv.len(), 32, "{out}");
        let out = hearth(&self.alice, &["invite", &conv[..8]], None);
        let link = out
            .lines()
            .find(|l| l.starts_with("hearth:"))
            .unwrap()
            .to_owned();
        hearth(&self.bob, &["join", &link], None);
        // The comparison of §5.8.1: Alice reads her code and answers that it matches; Bob
        // types the digits he hears.
        let out = hearth(&self.alice, &["sync"], Some("y\n"));
        assert!(out.contains("Added the person"), "{out}");
        let code = out
            .split("Read this code to the person joining: ")
            .nth(1)
            .and_then(|rest| rest.get(..7))
            .unwrap_or_else(|| panic!("no code in: {out}"))
            .to_owned();
        let answer = format!("{code}\n");
        let out = hearth(&self.bob, &["sync"], Some(answer.as_str()));
        assert!(out.contains("Joined conversation"), "{out}");
        hearth(
            &self.bob,
            &["send", &conv[..6], "hello Alice, through CGI"],
            None,
        );
        hearth(&self.alice, &["send", &conv[..6], "hi Bob"], None);
        let out = hearth(&self.alice, &["read", &conv[..6]], None);
        assert!(out.contains("hello Alice, through CGI"), "{out}");
        let out = hearth(&self.bob, &["read", &conv[..6]], None);
        assert!(out.contains("hi Bob"), "{out}");
        println!("reference client conversation through {}: ok", self.url);
    }
}

/// The first run of 64 hex digits in `text`.
pub fn hex_word(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_hexdigit())
        .find(|w| w.len() == 64)
        .map(str::to_owned)
}

/// chmod.
pub fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// chown -R (as root).
pub fn chown(p: &Path, user: &str) {
    run_ok(
        Command::new("chown")
            .arg("-R")
            .arg(format!("{user}:{user}"))
            .arg(p),
        "chown",
    );
}

/// A copy of the host binary, as users upload it, in a directory anyone can read.
pub fn stage_binary(dir: &Path) -> PathBuf {
    let stage = dir.join("stage");
    std::fs::create_dir_all(&stage).unwrap();
    set_mode(&stage, 0o755);
    let bin = std::env::var_os("HEARTH_HOST_BIN").map_or_else(|| PathBuf::from(BIN), PathBuf::from);
    std::fs::copy(&bin, stage.join("hearth-host")).unwrap();
    set_mode(&stage.join("hearth-host"), 0o755);
    stage
}

/// Makes sure the Apache test's user exists (uid >= 1000, home under /home, traversable).
pub fn ensure_user(name: &str) -> PathBuf {
    let exists = Command::new("id")
        .arg("-u")
        .arg(name)
        .output()
        .is_ok_and(|o| o.status.success());
    if !exists {
        run_ok(
            Command::new("useradd")
                .args([
                    "--create-home",
                    "--shell",
                    "/bin/sh",
                    "--key",
                    "UID_MIN=1000",
                ])
                .arg(name),
            "useradd",
        );
    }
    let home = PathBuf::from(format!("/home/{name}"));
    std::fs::create_dir_all(&home).unwrap();
    chown(&home, name);
    set_mode(&home, 0o711);
    home
}

pub mod servers;
