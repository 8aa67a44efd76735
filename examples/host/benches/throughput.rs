//! Throughput and latency of the reference host (no timing assertions; prints figures).
//!
//! `cargo bench -p hearth-host --bench throughput` measures, on loopback:
//! - serve: msg.post and log.fetch with concurrent clients and fixed request counts;
//! - CGI: per-request latency of msg.post run as a CGI process, directly and under lighttpd
//!   with mod_cgi when it is installed (median, p90).
//!
//! Requests are built and signed before the clock starts. `HEARTH_BENCH_CLIENTS`,
//! `HEARTH_BENCH_REQUESTS` and `HEARTH_BENCH_CGI` override the defaults (16, 8000, 300).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::*;
use hearth_crypto::ed25519::SigningKey;
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

    // CGI under a real web server: lighttpd with mod_cgi, one process per request.
    if !Lighttpd::installed() {
        println!("cgi msg.post under lighttpd: skipped, lighttpd not installed");
        return;
    }
    let server = Lighttpd::start("[rate_limit]\nenabled = false\n");
    let url = server.url.clone();
    let ch = random16();
    assert_eq!(
        status(&post_http(
            &url,
            &signed(&alice, 1, Some(ch), create_body(ch, &alice, 1))
        )),
        ErrorCode::OK
    );
    let reqs: Vec<Vec<u8>> = (0..cgi_n)
        .map(|i| signed(&alice, 9, Some(ch), msg_body(&envelope(ch, 0, 0, i as u32))))
        .collect();
    let mut lat = Vec::with_capacity(cgi_n);
    for b in &reqs {
        let t = Instant::now();
        let r = post_http(&url, b);
        lat.push(t.elapsed());
        assert_eq!(status(&r), ErrorCode::OK, "{}", server.error_log());
    }
    report("cgi msg.post under lighttpd + mod_cgi", cgi_n, lat);
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
