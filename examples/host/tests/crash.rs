//! Durability (HRT-API-50, HRT-API-36): stream msg.post writes at `serve`, kill -9 it mid-
//! stream, restart on the same data dir: every acknowledged message is in the log and the
//! hash chain verifies (HRT-LOG-7).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common::*;
use hearth_crypto::hazmat::ed25519::SigningKey;
use hearth_wire::request::{AppendResult, LogFetchResult, Response};
use hearth_wire::{ErrorCode, WireDecode};

#[test]
fn hrt_api_50_kill_9_mid_stream_keeps_every_acknowledged_message() {
    let dir = TempDir::new("crash");
    let config = write_config(dir.path(), "[rate_limit]\nenabled = false\n");
    let mut s = Server::start_with(&config, &[]);
    let alice = SigningKey::generate();
    let ch = random16();
    assert_eq!(
        s.call(&signed(&alice, 1, Some(ch), create_body(ch, &alice, 1)))
            .status,
        ErrorCode::OK
    );

    type Acked = Arc<Mutex<Vec<(u64, Vec<u8>)>>>;
    let acked: Acked = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4u32 {
        let (url, acked, stop, alice) = (s.url(), acked.clone(), stop.clone(), alice.clone());
        writers.push(std::thread::spawn(move || {
            for g in 0..2000u32 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let env = envelope(ch, 0, 0, w * 100_000 + g);
                let b = signed(&alice, 9, Some(ch), msg_body(&env));
                let Ok(mut resp) = ureq::post(&url)
                    .header("Content-Type", "application/cbor")
                    .send(&b[..])
                else {
                    break;
                };
                let Ok(bytes) = resp.body_mut().read_to_vec() else {
                    break;
                };
                let r = Response::decode(&bytes).unwrap();
                if r.status == ErrorCode::OK {
                    let a: AppendResult = r.result_as().unwrap().unwrap();
                    acked.lock().unwrap().push((a.seq.0, env));
                }
            }
        }));
    }
    // Let some writes land, then kill -9 while the writers are still sending.
    while acked.lock().unwrap().len() < 200 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    s.child.kill().unwrap(); // SIGKILL
    let _ = s.child.wait();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 200);

    let s = Server::start_with(&config, &[]);
    let mut since = 0;
    let mut seen = HashSet::new();
    let mut all = Vec::new();
    loop {
        let r = s.call(&signed(&alice, 10, Some(ch), log_fetch_body(since, 500)));
        let lf = LogFetchResult::decode(r.result.unwrap().as_bytes()).unwrap();
        let n = lf.entries.len();
        for e in lf.entries.into_inner() {
            seen.insert((e.seq.0, e.bytes.clone()));
            all.push(e);
        }
        since += n as u64;
        if since >= lf.tip.0 {
            break;
        }
    }
    // The chain verifies from head_0 over everything that survived.
    let mut prev: Vec<u8> = Vec::new();
    for (i, e) in all.iter().enumerate() {
        assert_eq!(e.seq.0, i as u64 + 1);
        assert_eq!(
            e.head.0,
            hearth_host::store::next_head(&prev, e.seq.0, e.kind as u8, &e.bytes)
        );
        prev = e.head.0.to_vec();
    }
    for (seq, env) in &acked {
        assert!(
            seen.contains(&(*seq, env.clone())),
            "acknowledged seq {seq} lost"
        );
    }
    eprintln!(
        "acknowledged {} messages before kill -9; {} entries after restart",
        acked.len(),
        all.len()
    );
}
