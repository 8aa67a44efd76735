//! The storage backends of `serve` under one load generator (issue 19): `serve` on SQLite, on
//! PostgreSQL with one instance, and with two instances behind nginx round robin. Prints
//! accepted writes per second, p50/p99 latency and server CPU per request (the `serve`
//! processes and every process of the PostgreSQL cluster, from /proc), for a write-only load
//! (msg.post) and then a read-heavy mix (9 log.fetch pages of 50 entries per msg.post).
//!
//! `cargo bench -p hearth-host --features postgres --bench backends`. Loopback, bounded in
//! count: `HEARTH_BENCH_CLIENTS` (default 16) clients, each with its own channel and key,
//! `HEARTH_BENCH_REQUESTS` (default 4000) requests per run. Requests are signed before the
//! clock starts. Durability is the same for all: SQLite WAL with `synchronous = FULL`,
//! PostgreSQL `fsync = on`, `synchronous_commit = on`; a request is answered after its commit
//! is on disk.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/pg_support/mod.rs"]
#[allow(dead_code)]
mod pg_support;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::*;
use hearth_crypto::hazmat::ed25519::SigningKey;
use hearth_wire::ErrorCode;
use pg_support::{pg_bin, Cluster, Proxy};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// User + system CPU seconds of `pid` and, with `children`, of every process whose parent it is.
fn cpu_of(pid: u32, children: bool) -> f64 {
    let tick = 100.0; // USER_HZ on Linux
    let stat = |p: &str| -> Option<(u32, f64)> {
        let s = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
        let rest = &s[s.rfind(')')? + 2..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ppid = f.get(1)?.parse().ok()?;
        let t = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
        Some((ppid, t / tick))
    };
    let mut total = stat(&pid.to_string()).map_or(0.0, |(_, t)| t);
    if children {
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some((ppid, t)) = stat(&name) {
                if ppid == pid {
                    total += t;
                }
            }
        }
    }
    total
}

struct Target {
    name: &'static str,
    url: String,
    servers: Vec<u32>,
    postmaster: Option<u32>,
}

impl Target {
    fn cpu(&self) -> f64 {
        let s: f64 = self.servers.iter().map(|p| cpu_of(*p, false)).sum();
        s + self.postmaster.map_or(0.0, |p| cpu_of(p, true))
    }
}

struct Figures {
    ok: usize,
    secs: f64,
    p50: Duration,
    p99: Duration,
    cpu: f64,
}

fn run(t: &Target, per_client: Vec<Vec<Vec<u8>>>) -> Figures {
    let n = per_client.len();
    let barrier = Arc::new(Barrier::new(n + 1));
    let handles: Vec<_> = per_client
        .into_iter()
        .map(|reqs| {
            let (url, barrier) = (t.url.clone(), barrier.clone());
            std::thread::spawn(move || {
                let agent = ureq::Agent::new_with_defaults();
                let mut lat = Vec::with_capacity(reqs.len());
                let mut ok = 0;
                barrier.wait();
                for b in reqs {
                    let t0 = Instant::now();
                    let mut r = agent
                        .post(&url)
                        .header("Content-Type", "application/cbor")
                        .send(&b[..])
                        .unwrap();
                    let body = r.body_mut().read_to_vec().unwrap();
                    lat.push(t0.elapsed());
                    if status(&body) == ErrorCode::OK {
                        ok += 1;
                    }
                }
                (ok, lat)
            })
        })
        .collect();
    let cpu0 = t.cpu();
    barrier.wait();
    let t0 = Instant::now();
    let mut ok = 0;
    let mut lat = Vec::new();
    for h in handles {
        let (o, l) = h.join().unwrap();
        ok += o;
        lat.extend(l);
    }
    let secs = t0.elapsed().as_secs_f64();
    let cpu = t.cpu() - cpu0;
    lat.sort();
    let q = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    Figures {
        ok,
        secs,
        p50: q(0.50),
        p99: q(0.99),
        cpu,
    }
}

fn report(t: &Target, what: &str, f: &Figures) {
    println!(
        "{:<22} {what:<10} {:>6} ok {:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  cpu {:>6.0} us/req",
        t.name,
        f.ok,
        f.ok as f64 / f.secs,
        f.p50.as_secs_f64() * 1e3,
        f.p99.as_secs_f64() * 1e3,
        f.cpu / f.ok.max(1) as f64 * 1e6
    );
}

fn workload(t: &Target, clients: usize, per: usize) {
    let keys: Vec<(SigningKey, [u8; 16])> = (0..clients)
        .map(|_| (SigningKey::generate(), random16()))
        .collect();
    for (k, ch) in &keys {
        let b = signed(k, 1, Some(*ch), create_body(*ch, k, 1));
        assert_eq!(status(&post_http(&t.url, &b)), ErrorCode::OK);
    }
    // Writes: msg.post of ~200-byte envelopes.
    let writes = keys
        .iter()
        .map(|(k, ch)| {
            (0..per)
                .map(|i| signed(k, 9, Some(*ch), msg_body(&envelope(*ch, 0, 0, i as u32))))
                .collect()
        })
        .collect();
    report(t, "msg.post", &run(t, writes));
    // Read-heavy: 9 log.fetch pages (50 entries) per msg.post.
    let mixed = keys
        .iter()
        .map(|(k, ch)| {
            (0..per)
                .map(|i| {
                    if i % 10 == 0 {
                        let env = envelope(*ch, 0, 0, (per + i) as u32);
                        signed(k, 9, Some(*ch), msg_body(&env))
                    } else {
                        let since = ((i * 7919) % per.saturating_sub(50).max(1)) as u64;
                        signed(k, 10, Some(*ch), log_fetch_body(since, 50))
                    }
                })
                .collect()
        })
        .collect();
    report(t, "90% read", &run(t, mixed));
}

fn main() {
    let clients = env_usize("HEARTH_BENCH_CLIENTS", 16);
    let per = env_usize("HEARTH_BENCH_REQUESTS", 4000) / clients;
    println!("{clients} clients, {per} requests each; server CPU = serve + PostgreSQL processes");

    // Every target behind the same nginx, so that the proxy's cost is in each figure.
    let behind = |addrs: Vec<String>| -> (Option<Proxy>, String) {
        if Proxy::installed() {
            let p = Proxy::start(free_port(), &addrs);
            let url = format!("http://127.0.0.1:{}/hearth", p.port);
            (Some(p), url)
        } else {
            (None, format!("http://{}/hearth", addrs[0]))
        }
    };
    let dir = TempDir::new("bench-sqlite");
    let s = Server::start(dir.path(), "[rate_limit]\nenabled = false\n");
    let (proxy, url) = behind(vec![s.addr.clone()]);
    let t = Target {
        name: "serve SQLite",
        url,
        servers: vec![s.child.id()],
        postmaster: None,
    };
    workload(&t, clients, per);
    drop(proxy);
    drop(s);

    let Some(bin) = pg_bin() else {
        println!("PostgreSQL runs skipped: no initdb/pg_ctl");
        return;
    };
    let cluster = Cluster::start(&bin);
    let pm: u32 = std::fs::read_to_string(cluster.dir.path().join("data/postmaster.pid"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    for (i, instances) in [1usize, 2].into_iter().enumerate() {
        let db = format!("bench{i}");
        cluster.create_db(&db);
        let d = TempDir::new("bench-pg");
        let extra = format!(
            "[rate_limit]\nenabled = false\n[serve]\ndatabase_url = \"{}\"\n",
            cluster.url(&db)
        );
        let config = write_config(d.path(), &extra);
        let servers: Vec<Server> = (0..instances)
            .map(|_| Server::start_with(&config, &[]))
            .collect();
        let (_proxy, url) = behind(servers.iter().map(|s| s.addr.clone()).collect());
        let t = Target {
            name: if instances == 1 {
                "serve PostgreSQL x1"
            } else {
                "serve PostgreSQL x2"
            },
            url,
            servers: servers.iter().map(|s| s.child.id()).collect(),
            postmaster: Some(pm),
        };
        workload(&t, clients, per);
    }
}
