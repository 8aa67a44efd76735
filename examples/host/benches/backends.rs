//! `serve` under one load generator against a real peer (issue 19): `hearth-host serve` on
//! SQLite, on PostgreSQL with one instance and with two instances behind nginx round robin,
//! and nostr-rs-relay ingesting signed events of the same size over its WebSocket. Prints,
//! per server, accepted requests per second, p50/p99 latency and server CPU per request (the
//! `serve` processes, the relay, and every process of the PostgreSQL cluster, from /proc),
//! for a write-only load (msg.post; EVENT and its OK) and then a read-heavy mix (9 log.fetch
//! pages of 50 entries per msg.post; 9 REQ for an author's newest 50 events, answered up to
//! EOSE, per EVENT), then the ratios against the issue's targets.
//!
//! ```sh
//! # once, outside the workspace (Debian's protobuf-compiler provides protoc):
//! CARGO_TARGET_DIR=/tmp/relay-build cargo install --locked --root /opt/nostr nostr-rs-relay
//! # then:
//! HEARTH_BENCH_RELAY=/opt/nostr/bin/nostr-rs-relay \
//!   cargo bench -p hearth-host --features postgres --bench backends
//! ```
//!
//! Without the relay binary (`HEARTH_BENCH_RELAY`, or `nostr-rs-relay` on the PATH) or
//! without PostgreSQL's `initdb`/`pg_ctl` (`HEARTH_PG_BIN`, or Debian's `postgresql`), those
//! runs are skipped with a sentence saying why. Not part of CI. Loopback only, bounded in
//! count: `HEARTH_BENCH_CLIENTS` (default 16) clients, each with its own channel (or nostr
//! key) and connection, one request at a time, `HEARTH_BENCH_REQUESTS` (default 4000)
//! requests per run; every request is signed before the clock starts; a relay answer that
//! does not come within 30 s fails the run.
//!
//! Durability: `serve` on SQLite runs WAL with `synchronous = FULL` (every commit fsynced);
//! PostgreSQL runs `fsync = on`, `synchronous_commit = on`; a Hearth response is sent after its
//! commit is on disk. nostr-rs-relay runs WAL with `synchronous = NORMAL`, set by its code
//! with no setting to change it: its `OK` follows a commit that survives a crash of the
//! process but is fsynced only at checkpoints, so its figures are an upper bound for the same
//! durability. `TMPDIR=/dev/shm` puts every database on tmpfs, where no fsync costs anything:
//! that run compares the servers' work without the disk. `HEARTH_BENCH_PG_SOCKET=1` connects
//! the instances to PostgreSQL over its Unix socket instead of TCP on 127.0.0.1.
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
mod relay;

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

impl Figures {
    fn rate(&self) -> f64 {
        self.ok as f64 / self.secs
    }
}

/// One client of the load: makes its next request and answers whether it was accepted, or
/// `None` when it has made them all.
type Client = Box<dyn FnMut() -> Option<bool> + Send>;

/// An HTTP client posting `reqs` to `url` one after another.
fn http_client(url: &str, reqs: Vec<Vec<u8>>) -> Client {
    let url = url.to_string();
    let agent = ureq::Agent::new_with_defaults();
    let mut reqs = reqs.into_iter();
    Box::new(move || {
        let b = reqs.next()?;
        let mut r = agent
            .post(&url)
            .header("Content-Type", "application/cbor")
            .send(&b[..])
            .unwrap();
        Some(status(&r.body_mut().read_to_vec().unwrap()) == ErrorCode::OK)
    })
}

/// A WebSocket client sending `frames` to the relay one after another.
fn ws_client(port: u16, frames: Vec<relay::Frame>) -> Client {
    let mut ws = relay::Client::connect(port);
    let mut frames = frames.into_iter();
    Box::new(move || Some(ws.call(&frames.next()?)))
}

fn run(t: &Target, clients: Vec<Client>) -> Figures {
    let n = clients.len();
    let barrier = Arc::new(Barrier::new(n + 1));
    let handles: Vec<_> = clients
        .into_iter()
        .map(|mut next| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut lat = Vec::new();
                let mut ok = 0;
                barrier.wait();
                loop {
                    let t0 = Instant::now();
                    let Some(accepted) = next() else { break };
                    lat.push(t0.elapsed());
                    ok += usize::from(accepted);
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

fn line(name: &str, what: &str, f: &Figures) -> String {
    format!(
        "| {name:<20} | {what:<8} | {:>5} | {:>7.0} | {:>7.2} | {:>7.2} | {:>6.0} |",
        f.ok,
        f.rate(),
        f.p50.as_secs_f64() * 1e3,
        f.p99.as_secs_f64() * 1e3,
        f.cpu / f.ok.max(1) as f64 * 1e6
    )
}

/// The figures of one target: writes, then the read-heavy mix.
struct Result {
    name: &'static str,
    writes: Figures,
    mixed: Figures,
}

fn report(t: &Target, writes: Figures, mixed: Figures) -> Result {
    println!("{}", line(t.name, "writes", &writes));
    println!("{}", line(t.name, "90% read", &mixed));
    Result {
        name: t.name,
        writes,
        mixed,
    }
}

/// Hearth: `clients` channels, one key each; `per` msg.post of ~200-byte envelopes each, then
/// `per` requests of which 9 in 10 are log.fetch pages of 50 entries. The size of one signed
/// msg.post request is returned with the figures.
fn workload(t: &Target, clients: usize, per: usize) -> (Result, usize) {
    let keys: Vec<(SigningKey, [u8; 16])> = (0..clients)
        .map(|_| (SigningKey::generate(), random16()))
        .collect();
    for (k, ch) in &keys {
        let b = signed(k, 1, Some(*ch), create_body(*ch, k, 1));
        assert_eq!(status(&post_http(&t.url, &b)), ErrorCode::OK);
    }
    let writes: Vec<Vec<Vec<u8>>> = keys
        .iter()
        .map(|(k, ch)| {
            (0..per)
                .map(|i| signed(k, 9, Some(*ch), msg_body(&envelope(*ch, 0, 0, i as u32))))
                .collect()
        })
        .collect();
    let size = writes[0][0].len();
    let w = run(
        t,
        writes.into_iter().map(|r| http_client(&t.url, r)).collect(),
    );
    let mixed = keys
        .iter()
        .map(|(k, ch)| {
            let reqs = (0..per)
                .map(|i| {
                    if i % 10 == 0 {
                        let env = envelope(*ch, 0, 0, (per + i) as u32);
                        signed(k, 9, Some(*ch), msg_body(&env))
                    } else {
                        let since = ((i * 7919) % per.saturating_sub(50).max(1)) as u64;
                        signed(k, 10, Some(*ch), log_fetch_body(since, 50))
                    }
                })
                .collect();
            http_client(&t.url, reqs)
        })
        .collect();
    let m = run(t, mixed);
    (report(t, w, m), size)
}

/// nostr-rs-relay: `clients` connections, one key each; `per` events of `size` bytes each,
/// then `per` frames of which 9 in 10 are a REQ for the author's newest 50 events.
fn relay_workload(t: &Target, port: u16, clients: usize, per: usize, size: usize) -> Result {
    let keys: Vec<relay::Key> = (0..clients).map(|_| relay::Key::generate()).collect();
    let event = |k: &relay::Key| {
        let (text, id) = k.event_frame(size);
        relay::Frame::Event { text, id }
    };
    let writes = keys
        .iter()
        .map(|k| ws_client(port, (0..per).map(|_| event(k)).collect()))
        .collect();
    let w = run(t, writes);
    let mixed = keys
        .iter()
        .map(|k| {
            let frames = (0..per)
                .map(|i| {
                    if i % 10 == 0 {
                        event(k)
                    } else {
                        let sub = format!("s{i}");
                        relay::Frame::Req {
                            text: k.req_frame(&sub),
                            sub,
                        }
                    }
                })
                .collect();
            ws_client(port, frames)
        })
        .collect();
    let m = run(t, mixed);
    report(t, w, m)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap_or_default()
}

fn main() {
    let clients = env_usize("HEARTH_BENCH_CLIENTS", 16);
    let per = env_usize("HEARTH_BENCH_REQUESTS", 4000) / clients;
    println!(
        "{clients} clients, {per} requests each, one at a time per client; loadavg {}",
        loadavg().trim()
    );
    println!(
        "| server               | load     |    ok | req/s   | p50 ms  | p99 ms  | CPU us/req |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut results = Vec::new();

    // Every Hearth target behind the same nginx, so that the proxy's cost is in each figure.
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
    let (r, size) = workload(&t, clients, per);
    results.push(r);
    drop(proxy);
    drop(s);

    match relay::binary() {
        None => println!(
            "nostr-rs-relay runs skipped: no nostr-rs-relay on the PATH (or set HEARTH_BENCH_RELAY)"
        ),
        Some(bin) => {
            let relay = relay::Relay::start(&bin);
            let t = Target {
                name: "nostr-rs-relay",
                url: format!("ws://127.0.0.1:{}/", relay.port),
                servers: vec![relay.pid()],
                postmaster: None,
            };
            results.push(relay_workload(&t, relay.port, clients, per, size));
        }
    }

    match pg_bin() {
        None => println!("PostgreSQL runs skipped: no initdb/pg_ctl (or set HEARTH_PG_BIN)"),
        Some(bin) => {
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
                // HEARTH_BENCH_PG_SOCKET=1: over the cluster's Unix socket instead of TCP.
                let db_url = if std::env::var("HEARTH_BENCH_PG_SOCKET").as_deref() == Ok("1") {
                    let (dir, port) = (cluster.dir.path().display(), cluster.port);
                    format!("host={dir} port={port} user=hearth dbname={db}")
                } else {
                    cluster.url(&db)
                };
                let extra = format!(
                    "[rate_limit]\nenabled = false\n[serve]\ndatabase_url = \"{db_url}\"\n"
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
                results.push(workload(&t, clients, per).0);
            }
        }
    }

    println!("loadavg after: {}", loadavg().trim());
    println!("Hearth request (msg.post) and nostr EVENT frame: {size} bytes each");
    let find = |n: &str| results.iter().find(|r| r.name == n);
    let ratio = |a: &str, b: &str, what: fn(&Result) -> &Figures| {
        find(a)
            .zip(find(b))
            .map(|(a, b)| what(a).rate() / what(b).rate())
    };
    fn writes(r: &Result) -> &Figures {
        &r.writes
    }
    fn mixed(r: &Result) -> &Figures {
        &r.mixed
    }
    for (what, a, b, f, target) in [
        (
            "writes",
            "serve SQLite",
            "nostr-rs-relay",
            writes as fn(&Result) -> &Figures,
            3.0,
        ),
        (
            "90% read",
            "serve SQLite",
            "nostr-rs-relay",
            mixed,
            f64::NAN,
        ),
        (
            "writes",
            "serve PostgreSQL x2",
            "serve PostgreSQL x1",
            writes,
            1.6,
        ),
        (
            "90% read",
            "serve PostgreSQL x2",
            "serve PostgreSQL x1",
            mixed,
            f64::NAN,
        ),
    ] {
        if let Some(x) = ratio(a, b, f) {
            let t = if target.is_nan() {
                String::new()
            } else {
                format!(
                    " (target >= {target}x: {})",
                    if x >= target { "met" } else { "missed" }
                )
            };
            println!("{what}: {a} / {b} = {x:.2}x{t}");
        }
    }
}
