//! Test support: temp data dirs, the `serve` and CGI front ends as real processes, and
//! request builders on hearth-wire types signed with hearth-crypto.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hearth_crypto::hazmat::ed25519::SigningKey;
use hearth_crypto::hazmat::label;
use hearth_crypto::hazmat::labelled::{bstr, sign_with_label};
use hearth_crypto::hazmat::x25519;
use hearth_wire::envelope::Envelope;
use hearth_wire::group::{Commit, CommitTbs, GroupOp, Welcome};
use hearth_wire::request::{Request, Response, SignedRequest};
use hearth_wire::{
    BoundedBytes, BoundedText, BoundedVec, ChannelId, EdPublic, Epoch, ErrorCode, Generation, Hash,
    HpkeSealed, Leaf, Nonce16, Op, RawValue, ReuseGuard, Role, Secs, Signature, SignedBytes, Suite,
    Version, WireDecode, WireEncode, XPublic,
};

pub const HOST_URL: &str = "http://127.0.0.1/hearth";
pub const BIN: &str = env!("CARGO_BIN_EXE_hearth-host");

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub fn random16() -> [u8; 16] {
    let s = SigningKey::generate();
    let mut out = [0u8; 16];
    out.copy_from_slice(&s.seed()[..16]);
    out
}

pub fn owner() -> SigningKey {
    SigningKey::from_seed(&[7u8; 32])
}

pub fn pk(k: &SigningKey) -> [u8; 32] {
    *k.verifying_key().as_bytes()
}

/// A unique temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let p = std::env::temp_dir().join(format!(
            "hearth-host-{tag}-{}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst),
            now()
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes a config into `dir` and returns its path. `extra` is appended TOML.
pub fn write_config(dir: &Path, extra: &str) -> PathBuf {
    write_config_for(dir, HOST_URL, extra)
}

/// As [`write_config`], with `host_url` as the canonical URL.
pub fn write_config_for(dir: &Path, host_url: &str, extra: &str) -> PathBuf {
    let path = dir.join("hearth.toml");
    let text = format!(
        "host_url = \"{host_url}\"\nowner_keys = [\"{}\"]\ndata_dir = \"data\"\n{extra}\n",
        hex::encode(pk(&owner()))
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// A running `hearth-host serve` on 127.0.0.1 with an ephemeral port.
pub struct Server {
    pub child: Child,
    pub addr: String,
    pub config: PathBuf,
}

impl Server {
    pub fn start(dir: &Path, extra: &str) -> Server {
        let config = write_config(dir, extra);
        Self::start_with(&config, &[])
    }

    pub fn start_with(config: &Path, env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(BIN);
        cmd.args(["serve", "--config"])
            .arg(config)
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .split_whitespace()
            .nth(3)
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_string();
        Server {
            child,
            addr,
            config: config.to_path_buf(),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hearth", self.addr)
    }

    pub fn post(&self, body: &[u8]) -> Vec<u8> {
        post_http(&self.url(), body)
    }

    pub fn call(&self, body: &[u8]) -> Response {
        Response::decode(&self.post(body)).unwrap()
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// lighttpd with mod_cgi serving the hearth-host binary as `hearth.cgi` on a free loopback port,
/// with the host's config and data directory outside the document root; stopped on drop. For the
/// throughput bench only: the tests deploy web servers as DEPLOY.md says (tests/web).
pub struct Lighttpd {
    child: Child,
    /// The CGI program's URL.
    pub url: String,
    /// Holds the document root, config, data and error log.
    pub dir: TempDir,
}

impl Lighttpd {
    /// True when `lighttpd` is on PATH.
    pub fn installed() -> bool {
        Command::new("sh")
            .args(["-c", "command -v lighttpd"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    /// Starts lighttpd; `extra` is appended to the host's config, whose canonical URL is
    /// [`HOST_URL`].
    pub fn start(extra: &str) -> Lighttpd {
        Self::start_inner(extra, false)
    }

    /// Starts lighttpd with the host's canonical URL set to the URL it is served at, as a
    /// real deployment is (for clients that sign requests for the URL they post to).
    pub fn start_canonical(extra: &str) -> Lighttpd {
        Self::start_inner(extra, true)
    }

    fn start_inner(extra: &str, canonical: bool) -> Lighttpd {
        let dir = TempDir::new("lighttpd");
        let root = dir.path().join("www");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::copy(BIN, root.join("hearth.cgi")).unwrap();
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}/hearth.cgi");
        let config = if canonical {
            write_config_for(dir.path(), &url, extra)
        } else {
            write_config(dir.path(), extra)
        };
        let conf = dir.path().join("lighttpd.conf");
        std::fs::write(
            &conf,
            format!(
                r#"server.document-root = "{root}"
server.port = {port}
server.bind = "127.0.0.1"
server.modules = ("mod_cgi", "mod_setenv")
server.max-request-size = 1024
server.errorlog = "{dir}/error.log"
cgi.assign = (".cgi" => "")
setenv.add-environment = ("HEARTH_CONFIG" => "{config}")
"#,
                root = root.display(),
                dir = dir.path().display(),
                config = config.display()
            ),
        )
        .unwrap();
        let child = Command::new("lighttpd")
            .arg("-D")
            .arg("-f")
            .arg(&conf)
            .spawn()
            .unwrap();
        let up = (0..100).any(|_| {
            let ok = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
            if !ok {
                std::thread::sleep(Duration::from_millis(50));
            }
            ok
        });
        let l = Lighttpd { child, url, dir };
        assert!(up, "lighttpd did not start:\n{}", l.error_log());
        l
    }

    /// lighttpd's error log (the CGI program's standard error goes there too).
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

impl Drop for Lighttpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn post_http(url: &str, body: &[u8]) -> Vec<u8> {
    let mut resp = ureq::post(url)
        .header("Content-Type", "application/cbor")
        .send(body)
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/cbor")
    );
    resp.body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()
        .unwrap()
}

/// A raw HTTP/1.1 exchange over TCP (for headers ureq would not send).
pub fn raw_http(addr: &str, head: &str, body: &[u8]) -> (String, Vec<u8>) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("no header end");
    let headers = String::from_utf8_lossy(&buf[..split]).to_string();
    (headers, buf[split + 4..].to_vec())
}

/// Runs the binary as a CGI program with the given environment and stdin.
pub fn cgi(
    config: &Path,
    method: &str,
    content_type: Option<&str>,
    body: &[u8],
    extra_env: &[(&str, &str)],
) -> Vec<u8> {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("GATEWAY_INTERFACE", "CGI/1.1")
        .env("REQUEST_METHOD", method)
        .env("HEARTH_CONFIG", config)
        .env("CONTENT_LENGTH", body.len().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(ct) = content_type {
        cmd.env("CONTENT_TYPE", ct);
    }
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        let _ = stdin.write_all(body);
    }
    let out = child.wait_with_output().unwrap();
    parse_cgi(&out.stdout)
}

pub fn parse_cgi(out: &[u8]) -> Vec<u8> {
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no CGI header: {:?}", String::from_utf8_lossy(out)));
    let head = String::from_utf8_lossy(&out[..split]);
    assert!(head.contains("Status: 200 OK"), "{head}");
    assert!(head.contains("Content-Type: application/cbor"), "{head}");
    out[split + 4..].to_vec()
}

pub fn status(resp: &[u8]) -> ErrorCode {
    Response::decode(resp).unwrap().status
}

/// Builds a signed request.
pub fn signed_at(
    key: &SigningKey,
    op: u16,
    channel: Option<[u8; 16]>,
    body: Vec<u8>,
    ts: u64,
    nonce: [u8; 16],
) -> Vec<u8> {
    let req = Request {
        op: Op(op),
        host_url: BoundedText::new(HOST_URL).unwrap(),
        channel_id: channel.map(ChannelId),
        ts: Secs(ts),
        nonce: Nonce16(nonce),
        body: RawValue::from_bytes(body).unwrap(),
        ext: None,
    };
    sign_request_bytes(key, req.to_vec())
}

pub fn sign_request_bytes(key: &SigningKey, request_bytes: Vec<u8>) -> Vec<u8> {
    let sig = sign_with_label(key, label::REQUEST, bstr(&request_bytes));
    SignedRequest {
        version: Version,
        key: EdPublic(pk(key)),
        request: SignedBytes::from_bytes(request_bytes),
        signature: Signature(sig.to_bytes()),
    }
    .to_vec()
}

pub fn signed(key: &SigningKey, op: u16, channel: Option<[u8; 16]>, body: Vec<u8>) -> Vec<u8> {
    signed_at(key, op, channel, body, now(), random16())
}

pub fn empty() -> Vec<u8> {
    vec![0xa0]
}

/// A CBOR map with uint keys from pre-encoded values.
pub fn map(entries: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let mut e = hearth_wire::Encoder::new();
    e.map(entries.len());
    for (k, v) in entries {
        e.uint(*k).raw(v);
    }
    e.into_bytes()
}

pub fn cb_uint(v: u64) -> Vec<u8> {
    let mut e = hearth_wire::Encoder::new();
    e.uint(v);
    e.into_bytes()
}

pub fn cb_bytes(v: &[u8]) -> Vec<u8> {
    let mut e = hearth_wire::Encoder::new();
    e.bytes(v);
    e.into_bytes()
}

pub fn create_body(channel: [u8; 16], mk: &SigningKey, suite: u64) -> Vec<u8> {
    let sig = sign_with_label(&owner(), label::CREATE, |e| {
        e.array(3).text(HOST_URL).bytes(&channel).bytes(&pk(mk));
    });
    map(&[(1, cb_uint(suite)), (2, cb_bytes(&sig.to_bytes()))])
}

pub fn sealed() -> HpkeSealed {
    HpkeSealed {
        enc: XPublic(*x25519::SecretKey::generate().public_key().as_bytes()),
        ct: BoundedBytes::new(vec![0x55; 48]).unwrap(),
    }
}

pub fn redeem_body(
    channel: [u8; 16],
    invite_id: [u8; 16],
    auth: &SigningKey,
    mk: &SigningKey,
) -> Vec<u8> {
    let auth_pub = pk(auth);
    let pop = sign_with_label(
        mk,
        hearth_crypto::invite::REDEEM_POP_LABEL,
        hearth_crypto::invite::redeem_pop_content(HOST_URL, &channel, &invite_id, &auth_pub),
    );
    map(&[
        (1, cb_bytes(&invite_id)),
        (2, cb_bytes(&pk(mk))),
        (3, cb_bytes(&pop.to_bytes())),
        (4, sealed().to_vec()),
    ])
}

pub fn invite_body(invite_id: [u8; 16], auth: &SigningKey, expires: u64) -> Vec<u8> {
    map(&[
        (1, cb_bytes(&invite_id)),
        (2, cb_bytes(&pk(auth))),
        (3, cb_uint(expires)),
    ])
}

pub fn init_key() -> hearth_wire::KemPublic {
    XPublic(*x25519::SecretKey::generate().public_key().as_bytes()).into()
}

/// A suite-1 `kem-sealed` (commit seals, Welcome).
pub fn kem_sealed() -> hearth_wire::KemSealed {
    hearth_wire::KemSealed {
        enc: sealed().enc.into(),
        ct: sealed().ct,
    }
}

pub fn welcome(channel: [u8; 16], epoch: u64) -> Welcome {
    Welcome {
        version: Version,
        suite: Suite(1),
        channel_id: ChannelId(channel),
        epoch: Epoch(epoch),
        joiner_secret: kem_sealed(),
        ext: None,
    }
}

/// A commit with valid-looking opaque parts, signed by the committer's member key.
pub fn commit_bytes(
    committer: &SigningKey,
    channel: [u8; 16],
    epoch: u64,
    leaf: u8,
    ops: Vec<GroupOp>,
    n_sealed: usize,
) -> Vec<u8> {
    let tbs = CommitTbs {
        version: Version,
        suite: Suite(1),
        channel_id: ChannelId(channel),
        epoch: Epoch(epoch),
        committer: Leaf(leaf),
        ops: BoundedVec::new(ops).unwrap(),
        init_key: init_key(),
        sealed: BoundedVec::new((0..n_sealed).map(|_| kem_sealed()).collect()).unwrap(),
        private_ct: BoundedBytes::new(vec![0x11; 64]).unwrap(),
        ext: None,
        recover: None,
    };
    let tbs_bytes = tbs.to_vec();
    let sig = sign_with_label(committer, label::COMMIT, bstr(&tbs_bytes));
    Commit {
        tbs: SignedBytes::from_bytes(tbs_bytes),
        signature: Signature(sig.to_bytes()),
        confirmation_tag: Hash([0x33; 32]),
    }
    .to_vec()
}

/// The opaque GroupInfo ciphertext the test commits carry with their Welcomes.
pub const GROUP_INFO_CT: [u8; 64] = [0xAB; 64];

/// `CommitPostBody {1: commit_bytes, 2: [[MK, welcome_bytes]...], ? 3: gi_ct}`, with key 3
/// ([`GROUP_INFO_CT`]) exactly when there are Welcomes (HRT-OP-63).
pub fn commit_post_body(commit: &[u8], welcomes: &[([u8; 32], Vec<u8>)]) -> Vec<u8> {
    let mut e = hearth_wire::Encoder::new();
    e.map(2 + usize::from(!welcomes.is_empty()))
        .uint(1)
        .bytes(commit)
        .uint(2)
        .array(welcomes.len());
    for (mk, w) in welcomes {
        e.array(2).bytes(mk).bytes(w);
    }
    if !welcomes.is_empty() {
        e.uint(3).bytes(&GROUP_INFO_CT);
    }
    e.into_bytes()
}

pub fn add_op(mk: &SigningKey, role: Role) -> GroupOp {
    GroupOp::Add {
        member_key: EdPublic(pk(mk)),
        init_key: init_key(),
        role,
    }
}

pub fn envelope(channel: [u8; 16], epoch: u64, sender: u8, gen: u32) -> Vec<u8> {
    Envelope {
        version: Version,
        suite: Suite(1),
        channel_id: ChannelId(channel),
        epoch: Epoch(epoch),
        sender: Leaf(sender),
        generation: Generation(gen),
        reuse_guard: ReuseGuard([1, 2, 3, 4]),
        ct: BoundedBytes::new(vec![0x42; 64]).unwrap(),
    }
    .to_vec()
}

pub fn msg_body(env: &[u8]) -> Vec<u8> {
    map(&[(1, cb_bytes(env))])
}

pub fn log_fetch_body(since: u64, limit: u64) -> Vec<u8> {
    map(&[(1, cb_uint(since)), (2, cb_uint(limit))])
}

/// Verifies a served log page from head_0 (spec §9.3) and returns (tip, entries).
pub fn verify_log(result: &[u8]) -> (u64, Vec<hearth_wire::log::LogEntry>) {
    let r = hearth_wire::request::LogFetchResult::decode(result).unwrap();
    let mut prev: Vec<u8> = Vec::new();
    for (i, e) in r.entries.as_slice().iter().enumerate() {
        assert_eq!(e.seq.0, i as u64 + 1, "contiguous seq");
        let eh = hearth_crypto::hazmat::labelled::h(label::ENTRY, bstr(&e.bytes));
        let head = hearth_crypto::hazmat::labelled::h(label::LOG, |enc| {
            enc.array(4)
                .bytes(&prev)
                .uint(e.seq.0)
                .uint(e.kind as u64)
                .bytes(&eh);
        });
        assert_eq!(head, e.head.0, "head of entry {}", e.seq.0);
        prev = head.to_vec();
    }
    if let Some(last) = r.entries.as_slice().last() {
        if last.seq.0 == r.tip.0 {
            assert_eq!(r.head.as_slice(), &last.head.0[..]);
        }
    }
    (r.tip.0, r.entries.into_inner())
}

/// A transport: one SignedRequest in, the Response bytes out.
pub type Transport<'a> = &'a dyn Fn(&[u8]) -> Vec<u8>;

/// A whole conversation through any transport: create, invite, redeem, join.fetch, commit
/// adding the joiner, welcome.fetch, messages from both, blobs, log with chain check,
/// report, leave, delete.
pub fn conversation(post: Transport<'_>) {
    let call = |b: Vec<u8>| Response::decode(&post(&b)).unwrap();
    let ok = |b: Vec<u8>| {
        let r = call(b);
        assert_eq!(r.status, ErrorCode::OK, "{r:?}");
        r.result.unwrap().as_bytes().to_vec()
    };
    let alice = SigningKey::generate();
    let bob = SigningKey::generate();
    let ch = random16();
    ok(signed(&alice, 0, None, empty()));
    ok(signed(&alice, 1, Some(ch), create_body(ch, &alice, 1)));
    let auth = SigningKey::generate();
    let iid = random16();
    ok(signed(
        &alice,
        3,
        Some(ch),
        invite_body(iid, &auth, now() + 3600),
    ));
    ok(signed(
        &auth,
        5,
        Some(ch),
        redeem_body(ch, iid, &auth, &bob),
    ));
    let joins = ok(signed(&alice, 6, Some(ch), empty()));
    let jf = hearth_wire::request::JoinFetchResult::decode(&joins).unwrap();
    assert_eq!(jf.pending.len(), 1);
    let w = welcome(ch, 1).to_vec();
    let c = commit_bytes(&alice, ch, 0, 0, vec![add_op(&bob, Role::Member)], 0);
    let res = ok(signed(
        &alice,
        7,
        Some(ch),
        commit_post_body(&c, &[(pk(&bob), w.clone())]),
    ));
    let cr = hearth_wire::request::CommitPostResult::decode(&res).unwrap();
    assert_eq!((cr.seq.0, cr.epoch.0), (2, 1));
    let wf = ok(signed(&bob, 11, Some(ch), empty()));
    let wf = hearth_wire::request::WelcomeFetchResult::decode(&wf).unwrap();
    assert_eq!(wf.welcome.as_bytes(), &w[..]);
    assert_eq!(wf.seq.0, 2);
    ok(signed(
        &alice,
        9,
        Some(ch),
        msg_body(&envelope(ch, 1, 0, 0)),
    ));
    ok(signed(&bob, 9, Some(ch), msg_body(&envelope(ch, 1, 1, 0))));
    let id = ok(signed(
        &bob,
        13,
        Some(ch),
        map(&[(1, cb_bytes(b"attachment chunk"))]),
    ));
    let id = hearth_wire::request::BlobPutResult::decode(&id).unwrap().id;
    let got = ok(signed(&alice, 14, Some(ch), map(&[(1, cb_bytes(&id.0))])));
    assert_eq!(
        hearth_wire::request::BlobGetResult::decode(&got)
            .unwrap()
            .data,
        b"attachment chunk"
    );
    ok(signed(
        &alice,
        8,
        Some(ch),
        map(&[(1, cb_uint(2)), (2, cb_uint(70))]),
    ));
    ok(signed(&bob, 12, Some(ch), empty()));
    let page = ok(signed(&alice, 10, Some(ch), log_fetch_body(0, 100)));
    let (tip, entries) = verify_log(&page);
    assert_eq!(tip, 6);
    let kinds: Vec<u64> = entries.iter().map(|e| e.kind as u64).collect();
    assert_eq!(kinds, vec![0, 1, 2, 2, 4, 3]);
    assert_eq!(
        status(&post(&signed(&bob, 10, Some(ch), log_fetch_body(0, 1)))),
        ErrorCode::NOT_FOUND
    );
    ok(signed(&alice, 2, Some(ch), empty()));
    assert_eq!(
        status(&post(&signed(&alice, 10, Some(ch), log_fetch_body(0, 1)))),
        ErrorCode::NOT_FOUND
    );
}

/// `hearth-host serve` running in this process on an ephemeral loopback port, with its
/// canonical URL `http://127.0.0.1:PORT/` known before it starts, `common::owner()` as its
/// owner and `extra` TOML appended to the configuration. Stops when dropped.
pub struct InProcess {
    pub url: hearth_wire::HostUrl,
    pub config: hearth_host::config::Config,
    _server: hearth_host::serve::Background,
    _dir: TempDir,
}

impl InProcess {
    pub fn start(tag: &str, extra: &str) -> InProcess {
        let dir = TempDir::new(tag);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://127.0.0.1:{}/",
            listener.local_addr().unwrap().port()
        );
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        let text = format!(
            "host_url = \"{url}\"\nowner_keys = [\"{}\"]\ndata_dir = \"{}\"\n{extra}\n",
            hex::encode(pk(&owner())),
            dir.path().join("data").display()
        );
        let config = hearth_host::config::Config::parse(&text, dir.path()).unwrap();
        let host = hearth_host::handler::Host::new(config.clone()).unwrap();
        let server = hearth_host::serve::spawn(std::sync::Arc::new(host), listener).unwrap();
        InProcess {
            url: hearth_wire::HostUrl::new(url).unwrap(),
            config,
            _server: server,
            _dir: dir,
        }
    }
}
