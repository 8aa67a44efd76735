//! Benchmark of receiving through the conversation layer (run: `cargo bench -p hearth --bench
//! conversation`).
//!
//! One group, `receive`: one fetched page (`LogFetchResult`) of 500 text messages of 100 bytes
//! from 5 senders, each naming its previous message in `prev`:
//!
//! - `conversation_500`: [`Channel::receive_page`]: the §9.5 page checks, batch opening, the
//!   §9.7 and §9.8 checks per message; the state lives in memory.
//! - `open_page_500`: `Group::open_page` on the same 500 envelopes.
//! - `floor_dalek_verify_batch_500`: ed25519-dalek's `verify_batch` over the same 500 inner
//!   signatures.
//!
//! `HEARTH_COUNT=conversation|open_page|floor|none N` runs that loop N times and exits, for
//! instruction counts under callgrind (repeatable on a busy machine where wall clock is not).

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use criterion::{criterion_group, BatchSize, Criterion};
use hearth::conversation::channel::{Channel, Received};
use hearth::conversation::log::{next_head, LogState, Senders};
use hearth_crypto::envelope::ContentBuilder;
use hearth_crypto::group::{Change, Group, PendingMember};
use hearth_crypto::keys::IdentityKey;
use hearth_wire::log::LogEntry;
use hearth_wire::request::{LogFetchResult, PendingJoin};
use hearth_wire::{
    BoundedBytes, BoundedVec, ConversationId, EntryKind, Epoch, Hash, HostUrl, Role, Secs, Seq,
};

/// The reader (the admin), and the page its five members sent: 100 messages each.
fn setup() -> (Group, LogFetchResult) {
    let host = HostUrl::new("https://example.org/hearth").unwrap();
    let mut admin = Group::create(host, IdentityKey::generate(), 0).unwrap();
    let mut pendings = Vec::new();
    let mut changes = Vec::new();
    for _ in 0..5 {
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
    for i in 0..5 {
        let up = members[i].commit(vec![], 0).unwrap();
        members[i].commit_accepted().unwrap();
        admin.process_commit(&up.commit).unwrap();
        for (j, m) in members.iter_mut().enumerate() {
            if j != i {
                m.process_commit(&up.commit).unwrap();
            }
        }
    }
    let text = "x".repeat(100);
    let mut prev: Vec<Option<Hash>> = vec![None; 5];
    let mut entries = Vec::new();
    let mut head: Vec<u8> = Vec::new();
    for round in 0..100u64 {
        for (i, m) in members.iter_mut().enumerate() {
            let c = ContentBuilder::text(&text)
                .unwrap()
                .prev(prev[i])
                .sent_at_ms(round)
                .build();
            let env = m.seal(&c, 0).unwrap();
            prev[i] = Some(env.msg_ref);
            let seq = entries.len() as u64 + 1;
            let h = next_head(&head, seq, EntryKind::Msg, &env.bytes);
            head = h.to_vec();
            entries.push(LogEntry {
                seq: Seq(seq),
                kind: EntryKind::Msg,
                bytes: env.bytes,
                head: Hash(h),
                received: Secs(0),
            });
        }
    }
    let page = LogFetchResult {
        tip: Seq(entries.len() as u64),
        entries: BoundedVec::new(entries).unwrap(),
        head: BoundedBytes::new(head).unwrap(),
        epoch: Epoch(0),
    };
    (admin, page)
}

fn channel(reader: &Group) -> Channel {
    Channel::new(reader.danger_clone(), LogState::new(), Senders::default())
}

fn receive(ch: &mut Channel, page: LogFetchResult) {
    let got = ch.receive_page(page);
    assert!(got.iter().all(|(_, r)| matches!(r, Received::Message(_))));
    assert_eq!(got.len(), 500);
}

struct Floor {
    msgs: Vec<Vec<u8>>,
    sigs: Vec<ed25519_dalek::Signature>,
    keys: Vec<ed25519_dalek::VerifyingKey>,
}

fn floor(reader: &Group, refs: &[&[u8]]) -> Floor {
    let inner = reader.danger_inner_signatures(refs).unwrap();
    Floor {
        msgs: inner.iter().map(|i| i.msg.clone()).collect(),
        sigs: inner
            .iter()
            .map(|i| ed25519_dalek::Signature::from_bytes(&i.sig))
            .collect(),
        keys: inner
            .iter()
            .map(|i| ed25519_dalek::VerifyingKey::from_bytes(&i.key).unwrap())
            .collect(),
    }
}

impl Floor {
    fn verify(&self) {
        let msgs: Vec<&[u8]> = self.msgs.iter().map(Vec::as_slice).collect();
        ed25519_dalek::verify_batch(&msgs, &self.sigs, &self.keys).unwrap();
    }
}

fn bench(c: &mut Criterion) {
    let (reader, page) = setup();
    let envs: Vec<Vec<u8>> = page
        .entries
        .as_slice()
        .iter()
        .map(|e| e.bytes.clone())
        .collect();
    let refs: Vec<&[u8]> = envs.iter().map(Vec::as_slice).collect();
    let fl = floor(&reader, &refs);
    let mut g = c.benchmark_group("receive");
    g.sample_size(20);
    g.bench_function("conversation_500", |b| {
        b.iter_batched(
            || (channel(&reader), page.clone()),
            |(mut ch, p)| receive(&mut ch, p),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("open_page_500", |b| {
        b.iter_batched(
            || reader.danger_clone(),
            |mut r| assert!(r.open_page(&refs).iter().all(Result::is_ok)),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("floor_dalek_verify_batch_500", |b| b.iter(|| fl.verify()));
    g.finish();
}

/// The loop of one mode, `n` times, with the setup outside: the cost of one iteration is
/// (count(mode, n) - count(none, n)) / n.
fn count_mode(mode: &str, n: usize) {
    let (reader, page) = setup();
    let envs: Vec<Vec<u8>> = page
        .entries
        .as_slice()
        .iter()
        .map(|e| e.bytes.clone())
        .collect();
    let refs: Vec<&[u8]> = envs.iter().map(Vec::as_slice).collect();
    let fl = floor(&reader, &refs);
    let inputs: Vec<(Channel, LogFetchResult)> =
        (0..n).map(|_| (channel(&reader), page.clone())).collect();
    for (mut ch, p) in inputs {
        match mode {
            "conversation" => receive(&mut ch, p),
            "open_page" => {
                std::hint::black_box(ch.group_mut().open_page(&refs));
            }
            "floor" => fl.verify(),
            _ => {}
        }
        std::mem::forget(ch);
    }
}

criterion_group!(benches, bench);
fn main() {
    if let Ok(mode) = std::env::var("HEARTH_COUNT") {
        let mut it = mode.split_whitespace();
        let m = it.next().unwrap_or("none").to_owned();
        let n = it.next().and_then(|n| n.parse().ok()).unwrap_or(10);
        count_mode(&m, n);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
