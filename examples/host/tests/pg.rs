//! Several `serve` instances on one PostgreSQL database behave as one host (issue 19): the host
//! suite through a round-robin proxy in front of two instances, the 50-way redeem and the
//! 20-way commit race across both (HRT-OP-26, HRT-OP-41), and kill -9 of one instance while
//! writers stream through the proxy (HRT-API-50: no acknowledged write lost, the chain
//! verifies). `pg_aborted/`: a transaction that PostgreSQL aborted is never acknowledged.
//!
//! Needs a build with `--features postgres`, PostgreSQL's `initdb`/`pg_ctl` (Debian's
//! `postgresql` package, or `HEARTH_PG_BIN`) and nginx; otherwise it prints that it was skipped
//! and why, unless `HEARTH_REQUIRE_POSTGRES=1` (set in CI), which turns a skip into a failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

#[cfg(feature = "postgres")]
mod pg_support;

#[cfg(feature = "postgres")]
mod pg_aborted;

#[cfg(not(feature = "postgres"))]
#[test]
fn postgres_serve_instances_are_one_host() {
    let why = "hearth-host was built without `--features postgres`";
    assert!(
        std::env::var("HEARTH_REQUIRE_POSTGRES").as_deref() != Ok("1"),
        "HEARTH_REQUIRE_POSTGRES=1 and {why}"
    );
    eprintln!("SKIPPED: PostgreSQL tests: {why}");
}

#[cfg(feature = "postgres")]
mod with_pg {
    use std::collections::HashSet;
    use std::process::Command;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::{Arc, Barrier, Mutex};

    use hearth_crypto::hazmat::ed25519::SigningKey;
    use hearth_wire::request::{AppendResult, LogFetchResult, Response};
    use hearth_wire::{ErrorCode, WireDecode};

    use crate::common::*;
    use crate::pg_support::{pg_bin, skip, Cluster, Proxy};

    static DBS: AtomicU64 = AtomicU64::new(0);

    /// Two instances on a fresh database behind a proxy; `host_url` defaults to
    /// [`HOST_URL`].
    struct Pair {
        a: Server,
        b: Server,
        proxy: Proxy,
        _dir: TempDir,
    }

    impl Pair {
        /// `suite`: the canonical URL, the proxy's port and the owner key (hex) of a host for
        /// the conformance suite.
        fn start(cluster: &Cluster, extra: &str, suite: Option<(&str, u16, &str)>) -> Pair {
            let db = format!("h{}", DBS.fetch_add(1, Ordering::Relaxed));
            cluster.create_db(&db);
            let dir = TempDir::new("pgpair");
            let extra = format!(
                "{extra}\n[serve]\ndatabase_url = \"{}\"\n",
                cluster.url(&db)
            );
            let (config, port) = match suite {
                None => (write_config(dir.path(), &extra), free_port()),
                Some((url, port, owner)) => {
                    let path = dir.path().join("hearth.toml");
                    let text = format!(
                        "host_url = \"{url}\"\nowner_keys = [\"{owner}\"]\ndata_dir = \"data\"\n{extra}"
                    );
                    std::fs::write(&path, text).unwrap();
                    (path, port)
                }
            };
            // Migrate once up front (the instances would also do it at start).
            let out = Command::new(BIN)
                .args(["migrate", "--config"])
                .arg(&config)
                .output()
                .unwrap();
            assert!(out.status.success(), "{out:?}");
            let a = Server::start_with(&config, &[]);
            let b = Server::start_with(&config, &[]);
            let proxy = Proxy::start(port, &[a.addr.clone(), b.addr.clone()]);
            Pair {
                a,
                b,
                proxy,
                _dir: dir,
            }
        }

        fn url(&self) -> String {
            format!("http://127.0.0.1:{}/hearth", self.proxy.port)
        }

        fn call(&self, body: &[u8]) -> Response {
            Response::decode(&post_http(&self.url(), body)).unwrap()
        }
    }

    fn parallel(url: &str, bodies: Vec<Vec<u8>>) -> Vec<ErrorCode> {
        let barrier = Arc::new(Barrier::new(bodies.len()));
        let handles: Vec<_> = bodies
            .into_iter()
            .map(|b| {
                let (url, barrier) = (url.to_string(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    status(&post_http(&url, &b))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    }

    fn channel(p: &Pair) -> (SigningKey, [u8; 16]) {
        let alice = SigningKey::generate();
        let ch = random16();
        let r = p.call(&signed(&alice, 1, Some(ch), create_body(ch, &alice, 1)));
        assert_eq!(r.status, ErrorCode::OK);
        (alice, ch)
    }

    /// The whole log, verified from `head_0` (HRT-LOG-7).
    fn chain(p: &Pair, alice: &SigningKey, ch: [u8; 16]) -> Vec<(u64, Vec<u8>)> {
        let (mut since, mut all) = (0, Vec::new());
        loop {
            let r = p.call(&signed(alice, 10, Some(ch), log_fetch_body(since, 500)));
            let lf = LogFetchResult::decode(r.result.unwrap().as_bytes()).unwrap();
            let n = lf.entries.len() as u64;
            all.extend(lf.entries.into_inner());
            since += n;
            if since >= lf.tip.0 {
                break;
            }
        }
        let mut prev: Vec<u8> = Vec::new();
        for (i, e) in all.iter().enumerate() {
            assert_eq!(e.seq.0, i as u64 + 1);
            let head = hearth_host::store::next_head(&prev, e.seq.0, e.kind as u8, &e.bytes);
            assert_eq!(e.head.0, head, "the chain breaks at seq {}", e.seq.0);
            prev = e.head.0.to_vec();
        }
        all.into_iter().map(|e| (e.seq.0, e.bytes)).collect()
    }

    fn redeem_race(cluster: &Cluster) {
        let p = Pair::start(cluster, "[limits]\nmax_pending = 64\n", None);
        let (alice, ch) = channel(&p);
        let auth = SigningKey::generate();
        let iid = random16();
        let inv = signed(&alice, 3, Some(ch), invite_body(iid, &auth, now() + 600));
        assert_eq!(p.call(&inv).status, ErrorCode::OK);
        let bodies = (0..50)
            .map(|_| {
                let b = redeem_body(ch, iid, &auth, &SigningKey::generate());
                signed(&auth, 5, Some(ch), b)
            })
            .collect();
        let codes = parallel(&p.url(), bodies);
        let ok = codes.iter().filter(|c| **c == ErrorCode::OK).count();
        let used = codes
            .iter()
            .filter(|c| **c == ErrorCode::INVITE_USED)
            .count();
        assert_eq!((ok, used), (1, 49), "{codes:?}");
    }

    fn commit_race(cluster: &Cluster) {
        let p = Pair::start(cluster, "", None);
        let (alice, ch) = channel(&p);
        let bodies = (0..20)
            .map(|_| {
                let c = commit_bytes(&alice, ch, 0, 0, vec![], 0);
                signed(&alice, 7, Some(ch), commit_post_body(&c, &[]))
            })
            .collect();
        let codes = parallel(&p.url(), bodies);
        let ok = codes.iter().filter(|c| **c == ErrorCode::OK).count();
        let lost = codes
            .iter()
            .filter(|c| **c == ErrorCode::EPOCH_CONFLICT)
            .count();
        assert_eq!((ok, lost), (1, 19), "{codes:?}");
        assert_eq!(chain(&p, &alice, ch).len(), 2);
    }

    fn kill_one(cluster: &Cluster) {
        let mut p = Pair::start(cluster, "[rate_limit]\nenabled = false\n", None);
        let (alice, ch) = channel(&p);
        type Acked = Arc<Mutex<Vec<(u64, Vec<u8>)>>>;
        let acked: Acked = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let mut writers = Vec::new();
        for w in 0..4u32 {
            let (url, acked, stop, alice) = (p.url(), acked.clone(), stop.clone(), alice.clone());
            writers.push(std::thread::spawn(move || {
                for g in 0..400u32 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let env = envelope(ch, 0, 0, w * 100_000 + g);
                    let b = signed(&alice, 9, Some(ch), msg_body(&env));
                    let Ok(mut resp) = ureq::post(&url)
                        .header("Content-Type", "application/cbor")
                        .send(&b[..])
                    else {
                        continue;
                    };
                    let Ok(bytes) = resp.body_mut().read_to_vec() else {
                        continue;
                    };
                    let r = Response::decode(&bytes).unwrap();
                    if r.status == ErrorCode::OK {
                        let a: AppendResult = r.result_as().unwrap().unwrap();
                        acked.lock().unwrap().push((a.seq.0, env));
                    }
                }
            }));
        }
        while acked.lock().unwrap().len() < 100 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        p.a.child.kill().unwrap(); // SIGKILL, while the writers are sending.
        let _ = p.a.child.wait();
        let at_kill = acked.lock().unwrap().len();
        // The other instance keeps serving: more writes are acknowledged after the kill.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while acked.lock().unwrap().len() < at_kill + 100 {
            assert!(
                std::time::Instant::now() < deadline,
                "no writes after the kill"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            w.join().unwrap();
        }
        let acked = acked.lock().unwrap().clone();
        let seen: HashSet<(u64, Vec<u8>)> = chain(&p, &alice, ch).into_iter().collect();
        for (seq, env) in &acked {
            assert!(
                seen.contains(&(*seq, env.clone())),
                "acknowledged seq {seq} lost"
            );
        }
        assert!(p.b.child.try_wait().unwrap().is_none(), "b still runs");
        eprintln!(
            "kill -9 of one instance: {at_kill} acknowledged before, {} in all, {} entries",
            acked.len(),
            seen.len()
        );
    }

    fn host_suite(cluster: &Cluster) {
        let Some(conformance) = web_tool("HEARTH_CONFORMANCE_BIN", "hearth-conformance") else {
            return skip("hearth-conformance is not built (or set HEARTH_CONFORMANCE_BIN)");
        };
        let keys = TempDir::new("pgsuite");
        let key = keys.path().join("owner.key");
        let out = Command::new(&conformance)
            .args(["keygen", "--out"])
            .arg(&key)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        let owner = text
            .split(|c: char| !c.is_ascii_hexdigit())
            .find(|w| w.len() == 64)
            .expect("keygen prints the public key")
            .to_string();
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}/");
        let p = Pair::start(cluster, "", Some((&url, port, &owner)));
        let start = std::time::Instant::now();
        let out = Command::new(&conformance)
            .args(["host", "--url", &url, "--owner-key"])
            .arg(&key)
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "the host suite failed through two instances on PostgreSQL:\n{report}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!(
            "host suite through 2 instances on PostgreSQL: {:.1}s; {}",
            start.elapsed().as_secs_f64(),
            report.lines().rev().nth(1).unwrap_or("")
        );
        drop(p);
    }

    fn web_tool(env: &str, name: &str) -> Option<std::path::PathBuf> {
        if let Some(p) = std::env::var_os(env) {
            return Some(p.into());
        }
        let p = std::path::Path::new(BIN).parent()?.join(name);
        p.is_file().then_some(p)
    }

    #[test]
    fn postgres_serve_instances_are_one_host() {
        let Some(bin) = pg_bin() else {
            return skip(
                "no initdb/pg_ctl (apt-get install postgresql, or set HEARTH_PG_BIN to their directory)",
            );
        };
        if !Proxy::installed() {
            return skip("nginx is not installed (the round-robin proxy)");
        }
        let cluster = Cluster::start(&bin);
        let t = std::time::Instant::now();
        redeem_race(&cluster);
        commit_race(&cluster);
        kill_one(&cluster);
        host_suite(&cluster);
        eprintln!("PostgreSQL tests took {:.1}s", t.elapsed().as_secs_f64());
    }
}
