//! Concurrency through real HTTP against `serve`: conditional updates (HRT-OP-26, HRT-OP-41)
//! and same-nonce retries (HRT-API-56).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::{Arc, Barrier};

use common::*;
use hearth_crypto::hazmat::ed25519::SigningKey;
use hearth_wire::ErrorCode;

fn setup(dir: &TempDir) -> (Server, SigningKey, [u8; 16]) {
    let s = Server::start(dir.path(), "[limits]\nmax_pending = 64\n");
    let alice = SigningKey::generate();
    let ch = random16();
    assert_eq!(
        s.call(&signed(&alice, 1, Some(ch), create_body(ch, &alice, 1)))
            .status,
        ErrorCode::OK
    );
    (s, alice, ch)
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

#[test]
fn hrt_op_26_fifty_parallel_redeems_of_one_invite_exactly_one_succeeds() {
    let dir = TempDir::new("redeem50");
    let (s, alice, ch) = setup(&dir);
    let auth = SigningKey::generate();
    let iid = random16();
    assert_eq!(
        s.call(&signed(
            &alice,
            3,
            Some(ch),
            invite_body(iid, &auth, now() + 600)
        ))
        .status,
        ErrorCode::OK
    );
    let bodies = (0..50)
        .map(|_| {
            signed(
                &auth,
                5,
                Some(ch),
                redeem_body(ch, iid, &auth, &SigningKey::generate()),
            )
        })
        .collect();
    let codes = parallel(&s.url(), bodies);
    assert_eq!(
        codes.iter().filter(|c| **c == ErrorCode::OK).count(),
        1,
        "{codes:?}"
    );
    assert_eq!(
        codes
            .iter()
            .filter(|c| **c == ErrorCode::INVITE_USED)
            .count(),
        49,
        "{codes:?}"
    );
}

#[test]
fn hrt_op_41_parallel_commits_on_one_epoch_exactly_one_winner() {
    let dir = TempDir::new("commit20");
    let (s, alice, ch) = setup(&dir);
    let bodies = (0..20)
        .map(|_| {
            signed(
                &alice,
                7,
                Some(ch),
                commit_post_body(&commit_bytes(&alice, ch, 0, 0, vec![], 0), &[]),
            )
        })
        .collect();
    let codes = parallel(&s.url(), bodies);
    assert_eq!(
        codes.iter().filter(|c| **c == ErrorCode::OK).count(),
        1,
        "{codes:?}"
    );
    assert_eq!(
        codes
            .iter()
            .filter(|c| **c == ErrorCode::EPOCH_CONFLICT)
            .count(),
        19,
        "{codes:?}"
    );
    let page = s.call(&signed(&alice, 10, Some(ch), log_fetch_body(0, 10)));
    let (tip, _) = verify_log(page.result.unwrap().as_bytes());
    assert_eq!(tip, 2);
}

#[test]
fn hrt_api_32_parallel_identical_requests_take_effect_once() {
    let dir = TempDir::new("same");
    let (s, alice, ch) = setup(&dir);
    let b = signed(&alice, 9, Some(ch), msg_body(&envelope(ch, 0, 0, 0)));
    let barrier = Arc::new(Barrier::new(10));
    let handles: Vec<_> = (0..10)
        .map(|_| {
            let (url, b, barrier) = (s.url(), b.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                post_http(&url, &b)
            })
        })
        .collect();
    let answers: Vec<Vec<u8>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(
        answers.iter().all(|a| a == &answers[0]),
        "all get the stored bytes"
    );
    let page = s.call(&signed(&alice, 10, Some(ch), log_fetch_body(0, 10)));
    assert_eq!(verify_log(page.result.unwrap().as_bytes()).0, 2);
}
