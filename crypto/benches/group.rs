//! Benchmarks of the protocol layer (run: `cargo bench -p hearth-crypto -- --quick`).
//!
//! - `envelope/seal_1k`, `envelope/open_1k`: one 1 KiB text message.
//! - `envelope/primitives_1k`: the unavoidable primitives of opening it: one Ed25519
//!   verification, one AES-256-GCM open of the padded plaintext, the three ratchet HKDF steps.
//! - `page/batch_500` vs `page/single_500`: a page of 500 envelopes, and its floor
//!   `page/floor_dalek_verify_batch_500`: ed25519-dalek's `verify_batch` over the same 500
//!   inner signatures (the ratio `batch_500 / floor` is what opening adds to verification).
//! - `commit/create/{2,16,256}`, `commit/process/{2,16,256}`.
//! - `join/whole`: invitation, join request, inviter checks, add commit, Welcome.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use criterion::{criterion_group, BatchSize, Criterion};
use hearth_crypto::envelope::ContentBuilder;
use hearth_crypto::group::{Change, Group, PendingMember};
use hearth_crypto::hazmat::aead::{Algorithm, Key};
use hearth_crypto::hazmat::label;
use hearth_crypto::hazmat::labelled::{bstr, expand_with_label, sign_with_label};
use hearth_crypto::invite::ValidatedJoin;
use hearth_crypto::keys::{IdentityKey, MemberKey};
use hearth_crypto::Secret32;
use hearth_wire::request::PendingJoin;
use hearth_wire::{ConversationId, HostUrl, Role, Secs};

fn host() -> HostUrl {
    HostUrl::new("https://example.org/hearth").unwrap()
}

fn invite(admin: &mut Group) -> (PendingMember, ValidatedJoin) {
    let mut inv = admin
        .create_invitation(ConversationId([1; 16]), u64::MAX)
        .unwrap()
        .registered();
    let uri = inv.uri().unwrap().to_string();
    let (mut pending, redeem) = PendingMember::join(&uri, IdentityKey::generate(), "m", 0).unwrap();
    pending.confirm_sas();
    let pj = PendingJoin {
        invite_id: redeem.body.invite_id,
        member_key: redeem.body.member_key,
        sealed: redeem.body.sealed.clone(),
        redeemed_at: Secs(0),
    };
    (pending, inv.process_join(&pj).unwrap())
}

/// An admin with `n - 1` members added in one commit, and the group of the first joiner.
fn channel(n: usize) -> (Group, Group) {
    let mut admin = Group::create(host(), IdentityKey::generate(), 0).unwrap();
    let (pendings, joins): (Vec<_>, Vec<_>) = (1..n).map(|_| invite(&mut admin)).unzip();
    let changes = joins
        .into_iter()
        .map(|joiner| Change::Add {
            joiner: Box::new(joiner.confirm_sas_matches()),
            role: Role::Member,
        })
        .collect();
    let out = admin.commit(changes, 0).unwrap();
    admin.commit_accepted().unwrap();
    let first = pendings
        .into_iter()
        .next()
        .unwrap()
        .accept_welcome(
            &out.welcomes[0].1,
            out.group_info_ct.as_deref().unwrap_or_default(),
            Some(&out.commit),
            0,
        )
        .unwrap();
    (admin, first)
}

fn text_1k() -> hearth_wire::envelope::Content {
    ContentBuilder::text(&"x".repeat(1024)).unwrap().build()
}

/// What one open of a 1 KiB message needs: a receiving group and an envelope, and the inputs
/// of the unavoidable primitives of that open.
struct OpenCase {
    alice: Group,
    bob: Group,
    content: hearth_wire::envelope::Content,
    env: Vec<u8>,
    mk: MemberKey,
    input: Vec<u8>,
    sig: hearth_crypto::hazmat::ed25519::Signature,
    ct: Vec<u8>,
    s: Secret32,
}

fn open_case() -> OpenCase {
    let (mut alice, mut bob) = channel(2);
    // Bob updates so that he may send.
    let up = bob.commit(vec![], 0).unwrap();
    bob.commit_accepted().unwrap();
    alice.process_commit(&up.commit).unwrap();
    let content = text_1k();
    let env = alice.seal(&content, 0).unwrap().bytes;
    let mk = MemberKey::generate();
    let msg = vec![7u8; 1100];
    let sig = sign_with_label(mk.signing_key(), label::MSG, bstr(&msg));
    let input = hearth_crypto::hazmat::labelled::signing_input(label::MSG, bstr(&msg));
    let key = Key::new(Algorithm::Aes256Gcm, &[1; 32]).unwrap();
    let ct = key.seal(&[2; 12], &[3; 40], &vec![0u8; 1152]).unwrap();
    let s = Secret32::from_bytes([4; 32]);
    OpenCase {
        alice,
        bob,
        content,
        env,
        mk,
        input,
        sig,
        ct,
        s,
    }
}

/// The unavoidable primitives of one open: one signature check, one AES-256-GCM open under a
/// fresh key (its key expansion included), and the three HKDF steps of a ratchet generation.
fn primitives(o: &OpenCase) {
    o.mk.public_key()
        .verifying_key()
        .verify(&o.input, &o.sig)
        .unwrap();
    // Every message has a fresh key, so the AES-256 key expansion is part of its open.
    let key = Key::new(Algorithm::Aes256Gcm, &[1; 32]).unwrap();
    key.open(&[2; 12], &[3; 40], &o.ct).unwrap();
    let ctx = |e: &mut hearth_wire::Encoder| {
        e.uint(0);
    };
    let k = expand_with_label::<32>(&o.s, label::RATCHET_KEY, ctx);
    let n = expand_with_label::<12>(&o.s, label::RATCHET_NONCE, ctx);
    let nx = expand_with_label::<32>(&o.s, label::RATCHET_NEXT, ctx);
    std::hint::black_box((k, n, nx));
}

fn envelope(c: &mut Criterion) {
    let o = open_case();
    let mut g = c.benchmark_group("envelope");
    g.bench_function("seal_1k", |b| {
        b.iter_batched_ref(
            || o.alice.danger_clone(),
            |a| a.seal(&o.content, 0).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("open_1k", |b| {
        b.iter_batched_ref(
            || o.bob.danger_clone(),
            |r| r.open(&o.env).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("primitives_1k", |b| b.iter(|| primitives(&o)));
    g.finish();
}

/// Instruction counting under callgrind, which is repeatable on a busy machine where wall
/// clock is not: `HEARTH_COUNT=open|prim|none N` runs that loop N times and exits. The cost of
/// one open is (count(open, N) - count(none, N)) / N, and likewise for the primitives.
fn count_mode(mode: &str, n: usize) {
    let o = open_case();
    let receivers: Vec<Group> = (0..n).map(|_| o.bob.danger_clone()).collect();
    match mode {
        "open" => {
            for mut r in receivers {
                std::hint::black_box(r.open(&o.env).unwrap());
                std::mem::forget(r);
            }
        }
        "prim" => {
            for r in receivers {
                primitives(&o);
                std::mem::forget(r);
            }
        }
        _ => {
            for r in receivers {
                std::mem::forget(r);
            }
        }
    }
}

fn page(c: &mut Criterion) {
    // Six members; five send 100 messages each (the per-commit cap), the sixth reads.
    let mut admin = Group::create(host(), IdentityKey::generate(), 0).unwrap();
    let mut members = vec![];
    let (pendings, joins): (Vec<_>, Vec<_>) = (0..5).map(|_| invite(&mut admin)).unzip();
    let changes = joins
        .into_iter()
        .map(|joiner| Change::Add {
            joiner: Box::new(joiner.confirm_sas_matches()),
            role: Role::Member,
        })
        .collect();
    let out = admin.commit(changes, 0).unwrap();
    admin.commit_accepted().unwrap();
    for (i, p) in pendings.into_iter().enumerate() {
        members.push(
            p.accept_welcome(
                &out.welcomes[i].1,
                out.group_info_ct.as_deref().unwrap_or_default(),
                Some(&out.commit),
                0,
            )
            .unwrap(),
        );
    }
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
    let content = ContentBuilder::text("a short message in a page")
        .unwrap()
        .build();
    let mut envs = Vec::new();
    for _ in 0..100 {
        for m in members.iter_mut() {
            envs.push(m.seal(&content, 0).unwrap().bytes);
        }
    }
    let refs: Vec<&[u8]> = envs.iter().map(Vec::as_slice).collect();
    let mut g = c.benchmark_group("page");
    g.sample_size(10);
    g.bench_function("batch_500", |b| {
        b.iter_batched(
            || admin.danger_clone(),
            |mut r| {
                let res = r.open_page(&refs);
                assert!(res.iter().all(Result::is_ok));
            },
            BatchSize::LargeInput,
        )
    });
    // The floor: the page's own 500 inner signatures, batch-verified by ed25519-dalek
    // (cofactorless, with its own random coefficients) without decryption, ratchets or decoding.
    let inner = admin.danger_inner_signatures(&refs).unwrap();
    let msgs: Vec<&[u8]> = inner.iter().map(|i| i.msg.as_slice()).collect();
    let sigs: Vec<ed25519_dalek::Signature> = inner
        .iter()
        .map(|i| ed25519_dalek::Signature::from_bytes(&i.sig))
        .collect();
    let keys: Vec<ed25519_dalek::VerifyingKey> = inner
        .iter()
        .map(|i| ed25519_dalek::VerifyingKey::from_bytes(&i.key).unwrap())
        .collect();
    ed25519_dalek::verify_batch(&msgs, &sigs, &keys).unwrap();
    g.bench_function("floor_dalek_verify_batch_500", |b| {
        b.iter(|| ed25519_dalek::verify_batch(&msgs, &sigs, &keys).unwrap())
    });
    g.bench_function("single_500", |b| {
        b.iter_batched(
            || admin.danger_clone(),
            |mut r| {
                for e in &refs {
                    r.open(e).unwrap();
                }
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn commit(c: &mut Criterion) {
    let mut g = c.benchmark_group("commit");
    g.sample_size(10);
    for n in [2usize, 16, 256] {
        let (admin, member) = channel(n);
        g.bench_function(format!("create/{n}"), |b| {
            b.iter_batched(
                || admin.danger_clone(),
                |mut a| a.commit(vec![], 0).unwrap(),
                BatchSize::LargeInput,
            )
        });
        let mut a = admin.danger_clone();
        let out = a.commit(vec![], 0).unwrap();
        g.bench_function(format!("process/{n}"), |b| {
            b.iter_batched(
                || member.danger_clone(),
                |mut m| m.process_commit(&out.commit).unwrap(),
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

fn join(c: &mut Criterion) {
    let (admin, _) = channel(2);
    let mut g = c.benchmark_group("join");
    g.sample_size(10);
    g.bench_function("whole", |b| {
        b.iter_batched(
            || admin.danger_clone(),
            |mut a| {
                let (pending, joiner) = invite(&mut a);
                let out = a
                    .commit(
                        vec![Change::Add {
                            joiner: Box::new(joiner.confirm_sas_matches()),
                            role: Role::Member,
                        }],
                        0,
                    )
                    .unwrap();
                a.commit_accepted().unwrap();
                pending
                    .accept_welcome(
                        &out.welcomes[0].1,
                        out.group_info_ct.as_deref().unwrap_or_default(),
                        Some(&out.commit),
                        0,
                    )
                    .unwrap()
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, envelope, page, commit, join);
fn main() {
    if let Ok(mode) = std::env::var("HEARTH_COUNT") {
        let mut it = mode.split_whitespace();
        let m = it.next().unwrap_or("none").to_owned();
        let n = it.next().and_then(|n| n.parse().ok()).unwrap_or(100);
        count_mode(&m, n);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
