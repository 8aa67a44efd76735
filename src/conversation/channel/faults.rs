//! Property test with real groups: two honest senders, two honest receivers, and a host that
//! rewrites the history it serves (forges, duplicates, swaps or drops entries, each time with
//! a consistent chain) and misbehaves page by page (short pages, no answer). Whatever it does:
//!
//! - a receiver accepts only messages that were sealed, each once, with the sealed text;
//! - two receivers served the same history accept exactly the same messages at the same
//!   `seq`s;
//! - a message of a sender dropped from the history makes that sender's next message a
//!   `bad_claim` naming the sender at a receiver that processes it (§9.8, HRT-LOG-43), and no
//!   member's claim freezes a channel (HRT-LOG-45);
//! - served the honest history, a receiver reports no claim at all.

use std::collections::HashSet;

use hearth_wire::{BoundedBytes, BoundedVec, Epoch, Seq};
use proptest::prelude::*;

use hearth_crypto::keys::Fingerprint;

use super::tests::{entries, group, text};
use super::*;

#[derive(Clone, Debug)]
enum Rewrite {
    /// One bit of envelope `i` flipped.
    Forge(usize, u8),
    /// Envelope `i` appended again.
    Duplicate(usize),
    /// Envelopes `i` and `j` swapped.
    Swap(usize, usize),
    /// Envelope `i` left out.
    Drop(usize),
}

fn rewrite() -> impl Strategy<Value = Rewrite> {
    prop_oneof![
        (0usize..12, 0u8..8).prop_map(|(i, b)| Rewrite::Forge(i, b)),
        (0usize..12).prop_map(Rewrite::Duplicate),
        (0usize..12, 0usize..12).prop_map(|(i, j)| Rewrite::Swap(i, j)),
        (0usize..12).prop_map(Rewrite::Drop),
    ]
}

fn apply(envs: &[Vec<u8>], rewrites: &[Rewrite]) -> Vec<Vec<u8>> {
    let mut h = envs.to_vec();
    for r in rewrites {
        let n = h.len();
        if n == 0 {
            break;
        }
        match *r {
            Rewrite::Forge(i, b) => {
                let e = &mut h[i % n];
                let at = e.len() / 2;
                e[at] ^= 1 << b;
            }
            Rewrite::Duplicate(i) => {
                let e = h[i % n].clone();
                h.push(e);
            }
            Rewrite::Swap(i, j) => h.swap(i % n, j % n),
            Rewrite::Drop(i) => {
                h.remove(i % n);
            }
        }
    }
    h
}

/// Accepted messages `(seq, msg_ref, text)` and reported claims `(seq, sender, code)`.
type Read = (Vec<(u64, Hash, String)>, Vec<(u64, Fingerprint, ErrorCode)>);

/// Serves `log` to `ch` in pages of the given sizes (0: no answer) until it is verified to
/// the tip or frozen; returns the accepted messages as `(seq, msg_ref, text)` and the claims
/// reported as `(seq, sender, code)`.
fn read(ch: &mut Channel, log: &[LogEntry], pages: &[usize]) -> Read {
    let mut claims = Vec::new();
    let mut got = Vec::new();
    let tip = log.len() as u64;
    let head = log.last().map(|e| e.head.0.to_vec()).unwrap_or_default();
    for &limit in pages.iter().cycle().take(4 * log.len() + pages.len()) {
        if ch.frozen().is_some() || ch.log().verified() >= tip {
            break;
        }
        if limit == 0 {
            continue;
        }
        let v = ch.log().verified() as usize;
        let served: Vec<LogEntry> = log.iter().skip(v).take(limit).cloned().collect();
        let page = LogFetchResult {
            entries: BoundedVec::new(served).unwrap(),
            tip: Seq(tip),
            head: BoundedBytes::new(head.clone()).unwrap(),
            epoch: Epoch(0),
        };
        for (seq, r) in ch.receive_page(page) {
            if let Received::Message(m) = r {
                if let Some(c) = &m.claim {
                    claims.push((seq, m.sender, c.code));
                }
                if let ContentBody::Text(t) = &m.body {
                    got.push((seq, m.msg_ref, t.text.as_str().to_owned()));
                }
            }
        }
    }
    (got, claims)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn no_rewritten_history_makes_receivers_accept_a_forgery_or_disagree(
        sends in proptest::collection::vec(0usize..2, 1..12),
        rewrites in proptest::collection::vec(rewrite(), 0..3),
        pages_x in proptest::collection::vec(0usize..5, 1..4),
        pages_y in proptest::collection::vec(0usize..5, 1..4),
        same_history in any::<bool>(),
    ) {
        let (admin, mut m) = group(3);
        // Senders: the admin and member 0; receivers: members 1 and 2.
        let mut senders = [admin, m.remove(0)];
        let mut prev: [Option<Hash>; 2] = [None, None];
        let mut sealed: Vec<(Vec<u8>, Hash, String, usize)> = Vec::new();
        for (i, &s) in sends.iter().enumerate() {
            let t = format!("message {i}");
            let env = senders[s].seal(&text(&t, prev[s]), 0).unwrap();
            prev[s] = Some(env.msg_ref);
            sealed.push((env.bytes, env.msg_ref, t, s));
        }
        let envs: Vec<Vec<u8>> = sealed.iter().map(|s| s.0.clone()).collect();
        let honest: HashSet<(Hash, String)> =
            sealed.iter().map(|s| (s.1, s.2.clone())).collect();
        let to_log = |h: Vec<Vec<u8>>| {
            entries(&[], 1, h.into_iter().map(|b| (EntryKind::Msg, b)).collect())
        };
        let hx = apply(&envs, &rewrites);
        let hy = if same_history { hx.clone() } else { envs.clone() };
        let (lx, ly) = (to_log(hx.clone()), to_log(hy));
        let mut x = Channel::new(m.remove(0), LogState::new(), Senders::default());
        let mut y = Channel::new(m.remove(0), LogState::new(), Senders::default());
        let (gx, cx) = read(&mut x, &lx, &pages_x);
        let (gy, cy) = read(&mut y, &ly, &pages_y);
        // A consistent chain whatever the rewrite: nothing the host served is a detection, and
        // no member's claim freezes the channel (HRT-LOG-45).
        prop_assert!(x.frozen().is_none() && y.frozen().is_none());
        for (_, _, c) in cx.iter().chain(&cy) {
            prop_assert_eq!(*c, ErrorCode::BAD_CLAIM);
        }
        if rewrites.is_empty() {
            prop_assert!(cx.is_empty(), "a claim reported on the honest history: {:?}", cx);
        }
        if !same_history {
            prop_assert!(cy.is_empty(), "a claim reported on the honest history: {:?}", cy);
        }
        for got in [&gx, &gy] {
            let mut seen = HashSet::new();
            for (_, r, t) in got.iter() {
                prop_assert!(honest.contains(&(*r, t.clone())), "a forged message was accepted");
                prop_assert!(seen.insert(*r), "a message was accepted twice");
            }
        }
        // Served the same history and both read it to the end: the same messages.
        let done = |c: &Channel, l: &[LogEntry]| c.log().verified() == l.len() as u64;
        if same_history && done(&x, &lx) && done(&y, &ly) {
            prop_assert_eq!(&gx, &gy);
        }
        // A single drop, with a later message of the same sender in the history: a receiver
        // that processed that later message reported its `prev` as a bad claim naming the
        // sender (HRT-LOG-43).
        if let [Rewrite::Drop(i)] = rewrites.as_slice() {
            let i = i % envs.len();
            let s = sealed[i].3;
            // In the served history the later message is one place earlier: its seq is its
            // index in `sealed`.
            if let Some(j) = (i + 1..sealed.len()).find(|&j| sealed[j].3 == s) {
                if x.log().verified() >= j as u64 {
                    let who = senders[s].fingerprint();
                    prop_assert!(
                        cx.contains(&(j as u64, who, ErrorCode::BAD_CLAIM)),
                        "no bad_claim for the message after the dropped one: {:?}", cx
                    );
                }
            }
        }
    }
}
