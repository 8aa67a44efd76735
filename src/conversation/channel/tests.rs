//! Receiving through [`Channel`]: batched opening gives what opening one by one gives, in
//! `seq` order, and stops where the spec says processing stops.

use hearth_crypto::envelope::ContentBuilder;
use hearth_crypto::group::{Change, Group, PendingMember};
use hearth_crypto::keys::IdentityKey;
use hearth_wire::request::PendingJoin;
use hearth_wire::{BoundedBytes, BoundedVec, ConversationId, Epoch, HostUrl, Role, Secs, Seq};

use super::*;
use crate::conversation::log::next_head;

/// An admin and `n` members who each made an update commit (so that they may send), as every
/// one of them has processed it.
pub(super) fn group(n: usize) -> (Group, Vec<Group>) {
    let host = HostUrl::new("https://example.org/hearth").unwrap();
    let mut admin = Group::create(host, IdentityKey::generate(), 0).unwrap();
    let mut pendings = Vec::new();
    let mut changes = Vec::new();
    for _ in 0..n {
        let mut inv = admin
            .create_invitation(ConversationId([1; 16]), u64::MAX)
            .unwrap()
            .registered();
        let uri = inv.uri().unwrap().to_string();
        let (mut pending, redeem) =
            PendingMember::join(&uri, IdentityKey::generate(), "m", 0).unwrap();
        pending.confirm_sas();
        let pj = PendingJoin {
            invite_id: redeem.body.invite_id,
            member_key: redeem.body.member_key,
            sealed: redeem.body.sealed.clone(),
            redeemed_at: Secs(0),
        };
        changes.push(Change::Add {
            joiner: Box::new(inv.process_join(&pj).unwrap().confirm_sas_matches()),
            role: Role::Member,
        });
        pendings.push(pending);
    }
    let out = admin.commit(changes, 0).unwrap();
    admin.commit_accepted().unwrap();
    let mut members: Vec<Group> = pendings
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            p.accept_welcome(
                &out.welcomes[i].1,
                out.group_info_ct.as_deref().unwrap_or_default(),
                Some(&out.commit),
                0,
            )
            .unwrap()
        })
        .collect();
    for i in 0..n {
        let up = members[i].commit(vec![], 0).unwrap();
        members[i].commit_accepted().unwrap();
        admin.process_commit(&up.commit).unwrap();
        for (j, m) in members.iter_mut().enumerate() {
            if j != i {
                m.process_commit(&up.commit).unwrap();
            }
        }
    }
    (admin, members)
}

/// A log of these entries after `prefix` (already verified), chained.
pub(super) fn entries(prev: &[u8], first: u64, items: Vec<(EntryKind, Vec<u8>)>) -> Vec<LogEntry> {
    let mut prev = prev.to_vec();
    items
        .into_iter()
        .zip(first..)
        .map(|((kind, bytes), seq)| {
            let head = next_head(&prev, seq, kind, &bytes);
            prev = head.to_vec();
            LogEntry {
                seq: Seq(seq),
                kind,
                bytes,
                head: Hash(head),
                received: Secs(0),
            }
        })
        .collect()
}

fn fetched(log: Vec<LogEntry>) -> LogFetchResult {
    let tip = log.last().map_or(0, |e| e.seq.0);
    let head = log.last().map(|e| e.head.0.to_vec()).unwrap_or_default();
    LogFetchResult {
        entries: BoundedVec::new(log).unwrap(),
        tip: Seq(tip),
        head: BoundedBytes::new(head).unwrap(),
        epoch: Epoch(0),
    }
}

pub(super) fn text(s: &str, prev: Option<Hash>) -> hearth_wire::envelope::Content {
    ContentBuilder::text(s).unwrap().prev(prev).build()
}

#[test]
fn a_page_is_received_in_seq_order_around_a_commit_hrt_log_23() {
    let (admin, mut m) = group(2);
    let mut items = Vec::new();
    let mut last = [None, None];
    for i in 0..6 {
        let s = i % 2;
        let env = m[s].seal(&text(&format!("m{i}"), last[s]), 0).unwrap();
        last[s] = Some(env.msg_ref);
        items.push((EntryKind::Msg, env.bytes));
    }
    // An update by member 0 in the middle: the messages after it are of the next epoch.
    let up = m[0].commit(vec![], 0).unwrap();
    m[0].commit_accepted().unwrap();
    m[1].process_commit(&up.commit).unwrap();
    items.push((EntryKind::Commit, up.commit.clone()));
    for i in 6..9 {
        let s = i % 2;
        let env = m[s].seal(&text(&format!("m{i}"), last[s]), 0).unwrap();
        last[s] = Some(env.msg_ref);
        items.push((EntryKind::Msg, env.bytes));
    }
    let log = entries(&[], 1, items);
    let epoch_before = admin.epoch().unwrap();
    let mut ch = Channel::new(admin, LogState::new(), Senders::default());
    let got = ch.receive_page(fetched(log));
    assert_eq!(got.len(), 10);
    let texts: Vec<String> = got
        .iter()
        .filter_map(|(_, r)| match r {
            Received::Message(m) => match &m.body {
                ContentBody::Text(t) => Some(t.text.as_str().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    let want: Vec<String> = (0..9).map(|i| format!("m{i}")).collect();
    assert_eq!(texts, want);
    assert!(matches!(got[6], (7, Received::Commit { epoch, .. }) if epoch == epoch_before + 1));
    assert_eq!(ch.log().verified(), 10);
    assert!(ch.frozen().is_none());
}

#[test]
fn a_bad_claim_in_a_run_is_shown_marked_and_does_not_freeze_hrt_log_42_45() {
    let (admin, mut m) = group(2);
    let mut items = Vec::new();
    let e0 = m[0].seal(&text("one", None), 0).unwrap();
    items.push((EntryKind::Msg, e0.bytes));
    // Member 1 claims to have seen seq 1 with another head than the chain's.
    let lie = ContentBuilder::text("two")
        .unwrap()
        .seen(1, Some(Hash([9; 32])))
        .unwrap()
        .build();
    items.push((EntryKind::Msg, m[1].seal(&lie, 0).unwrap().bytes));
    items.push((
        EntryKind::Msg,
        m[0].seal(&text("three", Some(e0.msg_ref)), 0)
            .unwrap()
            .bytes,
    ));
    let log = entries(&[], 1, items);
    let mut ch = Channel::new(admin, LogState::new(), Senders::default());
    let got = ch.receive_page(fetched(log));
    assert_eq!(got.len(), 3, "the run goes on after a member's bad claim");
    let (seq, Received::Message(two)) = &got[1] else {
        panic!("expected the message, shown: {got:?}");
    };
    assert_eq!(*seq, 2);
    assert_eq!(two.sender, m[1].fingerprint(), "the claim names its sender");
    let claim = two.claim.as_ref().expect("marked as a bad claim");
    assert_eq!((claim.code, claim.seq), (ErrorCode::BAD_CLAIM, Some(2)));
    assert!(
        matches!(&got[2], (3, Received::Message(three)) if three.claim.is_none()),
        "the honest message after it is accepted unmarked: {got:?}"
    );
    assert!(ch.frozen().is_none(), "HRT-LOG-45: no freeze");
    assert!(ch.usable());
}

#[test]
fn a_prev_naming_an_entry_the_receiver_rejected_is_no_claim_hrt_log_43() {
    let (admin, mut m) = group(1);
    // A message whose Content is malformed (seen_head without seen_seq, HRT-LOG-31): the host
    // accepted it, the receiver rejects it; the sender names it in its next `prev`.
    let mut bad = ContentBuilder::text("malformed")
        .unwrap()
        .seen(1, Some(Hash([9; 32])))
        .unwrap()
        .build();
    bad.seen_seq = hearth_wire::Seq(0);
    let e0 = m[0].seal(&bad, 0).unwrap();
    let e1 = m[0].seal(&text("names it", Some(e0.msg_ref)), 0).unwrap();
    let log = entries(
        &[],
        1,
        vec![(EntryKind::Msg, e0.bytes), (EntryKind::Msg, e1.bytes)],
    );
    let mut ch = Channel::new(admin, LogState::new(), Senders::default());
    let got = ch.receive_page(fetched(log));
    assert!(
        matches!(got.first(), Some((1, Received::Rejected(c))) if *c == ErrorCode::MALFORMED),
        "{got:?}"
    );
    assert!(
        matches!(got.get(1), Some((2, Received::Message(m))) if m.claim.is_none()),
        "a prev naming a verified, rejected entry is not a claim (issue 16, finding 5): {got:?}"
    );
}

#[test]
fn own_messages_are_not_opened_and_a_bad_page_freezes() {
    let (mut admin, m) = group(1);
    let own = admin.seal(&text("mine", None), 0).unwrap();
    let mut senders = Senders::default();
    senders.posted_accepted(own.msg_ref);
    let log = entries(&[], 1, vec![(EntryKind::Msg, own.bytes)]);
    let mut ch = Channel::new(admin, LogState::new(), senders);
    let got = ch.receive_page(fetched(log.clone()));
    assert!(matches!(got.as_slice(), [(1, Received::Own(r))] if *r == own.msg_ref));
    // The same page again, now below what was verified: withheld (nothing served after V
    // = 1 is fine, but entry 1 where 2 is due is not).
    let got = ch.receive_page(fetched(log));
    assert!(matches!(
        got.as_slice(),
        [(_, Received::Detected(Frozen { detection, member: None }))]
            if detection.code == ErrorCode::WITHHELD_DETECTED
    ));
    drop(m);
}
