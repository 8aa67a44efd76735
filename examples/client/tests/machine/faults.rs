//! Properties of the conversation layer's machine under network and host faults: random
//! interleavings of two members' sends and refreshes, each request dropped, answered, replayed
//! or left without an answer after the host acted, and log pages the host tampers with or
//! rolls back. Whatever happens:
//!
//! - two honest members never disagree on an accepted message: the same `seq` of the same
//!   route is the same sender, text and `msg-ref` for both (§9.5, HRT-LOG-23);
//! - no member accepts a message its sender did not send, and none accepts one text twice (a
//!   retried send is posted once, HRT-LOG-52);
//! - a page whose chain the host broke, or a rollback below what a member verified, is
//!   detected by the member it was served to (§9.7, HRT-LOG-15, HRT-LOG-19), which then
//!   freezes the route (HRT-LOG-38) and accepts nothing more from it.

use std::collections::{BTreeMap, HashSet};

use hearth::conversation::{Event, Intent, Member};
use hearth_crypto::keys::Fingerprint;
use hearth_wire::request::{LogFetchResult, Response};
use hearth_wire::{Hash, RawValue, WireDecode, WireEncode};
use proptest::prelude::*;

use super::net::{refresh, run_with, Fault, Net};
use super::{pair, send};

/// What the host does to one answer of `log.fetch`.
#[derive(Clone, Copy, Debug)]
enum Lie {
    /// Nothing.
    Honest,
    /// One bit of the first entry's bytes flipped, heads left as they were.
    Tamper,
    /// The tip claimed one lower than the member verified (a rollback).
    Rollback,
}

#[derive(Clone, Debug)]
struct Step {
    /// 0 = Alice, 1 = Bob.
    actor: usize,
    /// Send (true) or refresh (false).
    send: bool,
    /// Faults of the step's requests, in order (cycled).
    faults: Vec<Fault>,
    /// What the host does to the step's log pages.
    lie: Lie,
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        6 => Just(Fault::None),
        1 => Just(Fault::Drop),
        1 => Just(Fault::LoseAnswer),
        1 => Just(Fault::Duplicate),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    (
        0usize..2,
        any::<bool>(),
        proptest::collection::vec(fault(), 1..4),
        prop_oneof![8 => Just(Lie::Honest), 1 => Just(Lie::Tamper), 1 => Just(Lie::Rollback)],
    )
        .prop_map(|(actor, send, faults, lie)| Step {
            actor,
            send,
            faults,
            lie,
        })
}

/// What one member accepted, by `(route channel, seq)`.
#[derive(Default)]
struct Seen {
    accepted: BTreeMap<([u8; 16], u64), (Fingerprint, String, Hash)>,
    detected: bool,
}

fn record(seen: &mut Seen, events: &[Event]) {
    for e in events {
        match e {
            Event::Message {
                route,
                seq,
                sender,
                text: Some(t),
                msg_ref,
                ..
            } => {
                let before = seen
                    .accepted
                    .insert((route.channel.0, *seq), (*sender, t.clone(), *msg_ref));
                assert!(before.is_none(), "seq {seq} accepted twice");
            }
            Event::Detected { member: None, .. } => seen.detected = true,
            _ => {}
        }
    }
}

/// Applies `lie` to a `log.fetch` answer; returns the bytes and whether the lie took effect.
fn lie_about(answer: &[u8], lie: Lie, verified: u64) -> Option<Vec<u8>> {
    let mut r = Response::decode(answer).ok()?;
    let mut page: LogFetchResult = r.result_as().ok()??;
    match lie {
        Lie::Honest => return None,
        Lie::Tamper => {
            let mut entries = page.entries.as_slice().to_vec();
            let first = entries.first_mut()?;
            let mid = first.bytes.len() / 2;
            let b = first.bytes.get_mut(mid)?;
            *b ^= 1;
            page.entries = hearth_wire::BoundedVec::new(entries).ok()?;
        }
        Lie::Rollback => {
            if verified == 0 {
                return None;
            }
            page.entries = hearth_wire::BoundedVec::new(Vec::new()).ok()?;
            page.tip = hearth_wire::Seq(verified - 1);
        }
    }
    r.result = Some(RawValue::from_value(&page));
    Some(r.to_vec())
}

fn verified(m: &Member) -> u64 {
    m.state()
        .and_then(|s| s.conversations.first())
        .and_then(|c| c.routes().first())
        .map_or(0, |r| r.log.verified())
}

fn frozen(m: &Member) -> bool {
    m.state()
        .and_then(|s| s.conversations.first())
        .and_then(|c| c.routes().first())
        .is_some_and(|r| r.frozen().is_some())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn honest_members_agree_and_lies_are_detected(steps in proptest::collection::vec(step(), 1..10)) {
        let mut net = Net::default();
        let (alice, bob, _url, conv) = pair(&mut net);
        let mut members = [alice, bob];
        let names: Vec<Fingerprint> = members
            .iter()
            .map(|m| m.state().unwrap().identity().public_key().fingerprint())
            .collect();
        let mut seen = [Seen::default(), Seen::default()];
        let mut sent: [HashSet<String>; 2] = [HashSet::new(), HashSet::new()];
        let mut lied = [false, false];
        for (n, s) in steps.iter().enumerate() {
            let a = s.actor;
            let intent = if s.send {
                let t = format!("m{a}-{n}");
                sent[a].insert(t.clone());
                send(conv, &t)
            } else {
                Intent::Refresh
            };
            let v = verified(&members[a]);
            let mut i = 0;
            let lie_applied;
            let (_, events) = {
                let m = &mut members[a];
                let lie = s.lie;
                net.lie = Some(Box::new(move |answer: &[u8]| lie_about(answer, lie, v)));
                let r = run_with(m, &mut net, intent, |_, _| {
                    let f = s.faults[i % s.faults.len()];
                    i += 1;
                    f
                });
                lie_applied = net.lied;
                net.lie = None;
                net.lied = false;
                r
            };
            let mut events = events;
            events.extend(members[a].state_mut().unwrap().take_events());
            record(&mut seen[a], &events);
            if lie_applied {
                lied[a] = true;
                prop_assert!(
                    seen[a].detected || frozen(&members[a]),
                    "a lie served to member {a} went undetected: {events:?}"
                );
            }
        }
        // Honest pages at the end, for everyone.
        for a in 0..2 {
            let ev = refresh(&mut members[a], &mut net);
            record(&mut seen[a], &ev);
            let ev = members[a].state_mut().unwrap().take_events();
            record(&mut seen[a], &ev);
        }
        for a in 0..2 {
            // Nothing forged, nothing twice.
            let mut texts = HashSet::new();
            for (sender, text, _) in seen[a].accepted.values() {
                let who = names.iter().position(|f| f == sender);
                prop_assert!(who.is_some_and(|w| sent[w].contains(text)), "forged: {text}");
                prop_assert!(texts.insert(text.clone()), "{text} accepted twice by {a}");
            }
            prop_assert!(!seen[a].detected || lied[a], "a detection without a lie at {a}");
        }
        // Agreement on every seq both accepted.
        for (k, v) in &seen[0].accepted {
            if let Some(w) = seen[1].accepted.get(k) {
                prop_assert_eq!(v, w);
            }
        }
    }
}
