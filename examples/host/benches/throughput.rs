//! Throughput and latency of the reference host (no timing assertions; prints figures).
//!
//! `cargo bench -p hearth-host --bench throughput` measures, on loopback:
//! - serve: msg.post and log.fetch with concurrent clients and fixed request counts;
//! - CGI: per-request latency of msg.post run as a CGI process directly;
//! - under lighttpd (when installed), in one run, each front end as DEPLOY.md sets it up:
//!   CGI (mod_cgi), FastCGI (mod_fastcgi, the block of DEPLOY.md's "FastCGI" section) and
//!   `serve` (behind mod_proxy): sequential msg.post and log.fetch (median, p90) over one
//!   keep-alive client connection, then the throughput of concurrent clients.
//!
//! Requests are built and signed before the clock starts. `HEARTH_BENCH_CLIENTS`,
//! `HEARTH_BENCH_REQUESTS` and `HEARTH_BENCH_CGI` override the defaults (16, 8000, 300) of the
//! direct runs; `HEARTH_BENCH_LT_CLIENTS`, `HEARTH_BENCH_LT_REQUESTS` and `HEARTH_BENCH_LT_SEQ`
//! those of the lighttpd runs (8, 2000, 300). `HEARTH_BENCH_ONLY=lighttpd` (or `direct`) runs only
//! those.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/fcgi_support/mod.rs"]
mod fcgi_support;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::*;
use hearth_crypto::hazmat::ed25519::SigningKey;
use hearth_wire::ErrorCode;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn run_clients(url: &str, per_client: Vec<Vec<Vec<u8>>>) -> (Duration, usize) {
    let n = per_client.len();
    let barrier = Arc::new(Barrier::new(n + 1));
    let handles: Vec<_> = per_client
        .into_iter()
        .map(|reqs| {
            let (url, barrier) = (url.to_string(), barrier.clone());
            std::thread::spawn(move || {
                let agent = ureq::Agent::new_with_defaults();
                barrier.wait();
                let mut ok = 0;
                for b in reqs {
                    let mut r = agent
                        .post(&url)
                        .header("Content-Type", "application/cbor")
                        .send(&b[..])
                        .unwrap();
                    let body = r
                        .body_mut()
                        .with_config()
                        .limit(64 << 20)
                        .read_to_vec()
                        .unwrap();
                    if status(&body) == ErrorCode::OK {
                        ok += 1;
                    }
                }
                ok
            })
        })
        .collect();
    barrier.wait();
    let t = Instant::now();
    let ok: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    (t.elapsed(), ok)
}

fn main() {
    let only = std::env::var("HEARTH_BENCH_ONLY").unwrap_or_default();
    if only != "lighttpd" {
        direct();
    }
    if only != "direct" {
        under_lighttpd();
    }
}

fn direct() {
    let clients = env_usize("HEARTH_BENCH_CLIENTS", 16);
    let total = env_usize("HEARTH_BENCH_REQUESTS", 8000);
    let cgi_n = env_usize("HEARTH_BENCH_CGI", 300);
    let per = total / clients;

    let dir = TempDir::new("bench");
    let s = Server::start(dir.path(), "[rate_limit]\nenabled = false\n");
    let ch = random16();
    let alice = SigningKey::generate();
    assert_eq!(
        s.call(&signed(&alice, 1, Some(ch), create_body(ch, &alice, 1)))
            .status,
        ErrorCode::OK
    );

    // msg.post: ~200-byte envelopes, one sender key, distinct nonces.
    let reqs: Vec<Vec<Vec<u8>>> = (0..clients)
        .map(|c| {
            (0..per)
                .map(|i| {
                    signed(
                        &alice,
                        9,
                        Some(ch),
                        msg_body(&envelope(ch, 0, 0, (c * per + i) as u32)),
                    )
                })
                .collect()
        })
        .collect();
    let (dt, ok) = run_clients(&s.url(), reqs);
    println!(
        "serve msg.post: {ok}/{} ok, {clients} clients, {:.3} s, {:.0} req/s",
        clients * per,
        dt.as_secs_f64(),
        ok as f64 / dt.as_secs_f64()
    );

    // log.fetch: pages of 100 entries from random offsets.
    let tip = (clients * per) as u64;
    let reqs: Vec<Vec<Vec<u8>>> = (0..clients)
        .map(|c| {
            (0..per / 2)
                .map(|i| {
                    signed(
                        &alice,
                        10,
                        Some(ch),
                        log_fetch_body(((c * 7919 + i * 104_729) as u64) % (tip - 100), 100),
                    )
                })
                .collect()
        })
        .collect();
    let (dt, ok) = run_clients(&s.url(), reqs);
    println!(
        "serve log.fetch (100 entries/page): {ok}/{} ok, {clients} clients, {:.3} s, {:.0} req/s",
        clients * (per / 2),
        dt.as_secs_f64(),
        ok as f64 / dt.as_secs_f64()
    );
    drop(s);

    // CGI: one process per request, sequential.
    let cdir = TempDir::new("benchcgi");
    let config = write_config(cdir.path(), "[rate_limit]\nenabled = false\n");
    let ch = random16();
    assert_eq!(
        status(&cgi(
            &config,
            "POST",
            Some("application/cbor"),
            &signed(&alice, 1, Some(ch), create_body(ch, &alice, 1)),
            &[]
        )),
        ErrorCode::OK
    );
    let reqs: Vec<Vec<u8>> = (0..cgi_n)
        .map(|i| signed(&alice, 9, Some(ch), msg_body(&envelope(ch, 0, 0, i as u32))))
        .collect();
    let mut lat = Vec::with_capacity(cgi_n);
    for b in &reqs {
        let t = Instant::now();
        let r = cgi(&config, "POST", Some("application/cbor"), b, &[]);
        lat.push(t.elapsed());
        assert_eq!(status(&r), ErrorCode::OK);
    }
    report("cgi msg.post (process run directly)", cgi_n, lat);
}

/// lighttpd with mod_proxy in front of a `serve` process (DEPLOY.md's "Standalone behind a
/// reverse proxy"); both stopped on drop.
struct ProxiedServe {
    lighttpd: std::process::Child,
    url: String,
    _serve: Server,
    _dir: TempDir,
}

impl ProxiedServe {
    fn start(extra: &str) -> ProxiedServe {
        let dir = TempDir::new("lighttpd-proxy");
        let serve = Server::start(dir.path(), extra);
        let (host, bport) = serve.addr.rsplit_once(':').unwrap();
        let port = free_port();
        let conf = dir.path().join("lighttpd.conf");
        std::fs::create_dir_all(dir.path().join("www")).unwrap();
        std::fs::write(
            &conf,
            format!(
                "server.document-root = \"{d}/www\"\nserver.port = {port}\n\
                 server.bind = \"127.0.0.1\"\nserver.errorlog = \"{d}/error.log\"\n\
                 server.modules = (\"mod_proxy\")\nserver.max-request-size = 1024\n\
                 proxy.server = (\"/hearth\" => ((\"host\" => \"{host}\", \"port\" => {bport})))\n",
                d = dir.path().display()
            ),
        )
        .unwrap();
        let lighttpd = std::process::Command::new("lighttpd")
            .args(["-D", "-f"])
            .arg(&conf)
            .spawn()
            .unwrap();
        wait_port(port);
        ProxiedServe {
            lighttpd,
            url: format!("http://127.0.0.1:{port}/hearth"),
            _serve: serve,
            _dir: dir,
        }
    }
}

impl Drop for ProxiedServe {
    fn drop(&mut self) {
        let _ = self.lighttpd.kill();
        let _ = self.lighttpd.wait();
    }
}

fn wait_port(port: u16) {
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing listens on {port}");
}

/// Sequential requests over one keep-alive connection; the latencies.
fn sequential(url: &str, reqs: &[Vec<u8>]) -> Vec<Duration> {
    let agent = ureq::Agent::new_with_defaults();
    let mut lat = Vec::with_capacity(reqs.len());
    for b in reqs {
        let t = Instant::now();
        let mut r = agent
            .post(url)
            .header("Content-Type", "application/cbor")
            .send(&b[..])
            .unwrap();
        let body = r
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .unwrap();
        lat.push(t.elapsed());
        assert_eq!(status(&body), ErrorCode::OK);
    }
    lat
}

fn median_ms(lat: &[Duration]) -> f64 {
    let mut l = lat.to_vec();
    l.sort();
    l[(l.len() - 1) / 2].as_secs_f64() * 1000.0
}

/// One front end under lighttpd: sequential and concurrent msg.post, then log.fetch of pages
/// of 100 entries. Returns (msg.post req/s, log.fetch req/s, msg.post median, log.fetch
/// median).
fn front_end(name: &str, url: &str, seq: usize, clients: usize, total: usize) -> [f64; 4] {
    let alice = SigningKey::generate();
    let ch = random16();
    assert_eq!(
        status(&post_http(
            url,
            &signed(&alice, 1, Some(ch), create_body(ch, &alice, 1))
        )),
        ErrorCode::OK
    );
    let per = total / clients;
    let post = |gen: usize| {
        signed(
            &alice,
            9,
            Some(ch),
            msg_body(&envelope(ch, 0, 0, gen as u32)),
        )
    };
    let reqs: Vec<Vec<u8>> = (0..seq).map(post).collect();
    let lat = sequential(url, &reqs);
    let post_med = median_ms(&lat);
    report(&format!("{name} msg.post"), seq, lat);
    let reqs: Vec<Vec<Vec<u8>>> = (0..clients)
        .map(|c| (0..per).map(|i| post(seq + c * per + i)).collect())
        .collect();
    let (dt, ok) = run_clients(url, reqs);
    let post_rps = ok as f64 / dt.as_secs_f64();
    println!(
        "{name} msg.post: {ok}/{} ok, {clients} clients, {:.3} s, {post_rps:.0} req/s",
        clients * per,
        dt.as_secs_f64()
    );
    let tip = (seq + clients * per) as u64;
    let fetch = |i: usize| {
        signed(
            &alice,
            10,
            Some(ch),
            log_fetch_body(((i * 104_729) as u64) % (tip - 100), 100),
        )
    };
    let reqs: Vec<Vec<u8>> = (0..seq).map(fetch).collect();
    let lat = sequential(url, &reqs);
    let fetch_med = median_ms(&lat);
    report(&format!("{name} log.fetch (100 entries/page)"), seq, lat);
    let reqs: Vec<Vec<Vec<u8>>> = (0..clients)
        .map(|c| (0..per).map(|i| fetch(seq + c * per + i)).collect())
        .collect();
    let (dt, ok) = run_clients(url, reqs);
    let fetch_rps = ok as f64 / dt.as_secs_f64();
    println!(
        "{name} log.fetch (100 entries/page): {ok}/{} ok, {clients} clients, {:.3} s, {fetch_rps:.0} req/s",
        clients * per,
        dt.as_secs_f64()
    );
    [post_rps, fetch_rps, post_med, fetch_med]
}

/// CGI, FastCGI and `serve` under lighttpd, in one run.
fn under_lighttpd() {
    if !Lighttpd::installed() {
        println!("under lighttpd: skipped, lighttpd not installed");
        return;
    }
    let seq = env_usize("HEARTH_BENCH_LT_SEQ", 300);
    let clients = env_usize("HEARTH_BENCH_LT_CLIENTS", 8);
    let total = env_usize("HEARTH_BENCH_LT_REQUESTS", 2000);
    let extra = "[rate_limit]\nenabled = false\n";
    let mut rows = Vec::new();
    {
        let server = Lighttpd::start(extra);
        rows.push((
            "cgi",
            front_end("lighttpd + mod_cgi", &server.url, seq, clients, total),
        ));
    }
    {
        let server = fcgi_support::LighttpdFcgi::start_plain(extra);
        let url = server.url.clone();
        rows.push((
            "fcgi",
            front_end("lighttpd + mod_fastcgi", &url, seq, clients, total),
        ));
        println!(
            "(FastCGI processes after the run: {})",
            server.backends().len()
        );
    }
    {
        let server = ProxiedServe::start(extra);
        rows.push((
            "serve",
            front_end(
                "lighttpd + mod_proxy + serve",
                &server.url,
                seq,
                clients,
                total,
            ),
        ));
    }
    println!(
        "\nunder lighttpd, one run ({clients} clients for req/s, {seq} sequential for medians):"
    );
    println!("front end   msg.post req/s  log.fetch req/s  msg.post median  log.fetch median");
    for (name, [p, f, pm, fm]) in &rows {
        println!("{name:<10} {p:>15.0} {f:>16.0} {pm:>13.2} ms {fm:>14.2} ms");
    }
    if let (Some((_, fc)), Some((_, sv))) = (
        rows.iter().find(|r| r.0 == "fcgi"),
        rows.iter().find(|r| r.0 == "serve"),
    ) {
        println!(
            "serve / FastCGI throughput: msg.post {:.2}x, log.fetch {:.2}x",
            sv[0] / fc[0],
            sv[1] / fc[1]
        );
    }
}

/// Prints the median, p90 and maximum of sequential request latencies.
fn report(what: &str, n: usize, mut lat: Vec<Duration>) {
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1000.0;
    println!(
        "{what}: {n} sequential requests, median {:.2} ms, p90 {:.2} ms, max {:.2} ms",
        pct(0.5),
        pct(0.9),
        pct(1.0)
    );
}
