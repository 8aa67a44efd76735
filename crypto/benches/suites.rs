//! Suite 1 against suite 2 in the same run (issue 18; run:
//! `cargo bench -p hearth-crypto --bench suites -- --warm-up-time 1 --measurement-time 3`).
//!
//! - `suiteN/commit/create/{2,16,256}`, `suiteN/commit/process/{2,16,256}`: an empty update
//!   (a fresh init key, the commit secret sealed to every other member).
//! - `suiteN/join/whole`: invitation, join request, inviter checks, add commit, Welcome.
//! - `suiteN/envelope/seal_1k`, `suiteN/envelope/open_1k`: symmetric only, the same in both.
//!
//! Before the timings it prints the sizes of an update at 16 and 256 members, of a Welcome and
//! of a join request's seal and its `invite.redeem` body, for both suites.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use criterion::{criterion_group, BatchSize, Criterion};
use hearth_crypto::envelope::ContentBuilder;
use hearth_crypto::group::{Change, Group, PendingMember, SUITE_1, SUITE_2};
use hearth_crypto::invite::ValidatedJoin;
use hearth_crypto::keys::IdentityKey;
use hearth_wire::request::PendingJoin;
use hearth_wire::{ConversationId, HostUrl, Role, Secs, Suite, WireEncode};

const SUITES: [(&str, Suite); 2] = [("suite1", SUITE_1), ("suite2", SUITE_2)];

fn host() -> HostUrl {
    HostUrl::new("https://example.org/hearth").unwrap()
}

/// An invitation of `admin`'s channel, redeemed and processed; the redeem body's size.
fn invite(admin: &mut Group) -> (PendingMember, ValidatedJoin, usize, usize) {
    let mut inv = admin
        .create_invitation(ConversationId([1; 16]), u64::MAX)
        .unwrap()
        .registered();
    let uri = inv.uri().unwrap().to_string();
    let (mut pending, redeem) = PendingMember::join(&uri, IdentityKey::generate(), "m", 0).unwrap();
    pending.confirm_sas();
    let sealed_len = redeem.body.sealed.to_vec().len();
    let body_len = redeem.body.to_vec().len();
    let pj = PendingJoin {
        invite_id: redeem.body.invite_id,
        member_key: redeem.body.member_key,
        sealed: redeem.body.sealed.clone(),
        redeemed_at: Secs(0),
    };
    (
        pending,
        inv.process_join(&pj).unwrap(),
        sealed_len,
        body_len,
    )
}

/// An admin of a `suite` channel with `n - 1` members added in one commit, and the first
/// joiner's group (which then commits once, so that it may send).
fn channel(suite: Suite, n: usize) -> (Group, Group) {
    let mut admin = Group::create_with_suite(host(), IdentityKey::generate(), 0, suite).unwrap();
    let mut pendings = Vec::new();
    let mut changes = Vec::new();
    for _ in 1..n {
        let (p, j, _, _) = invite(&mut admin);
        pendings.push(p);
        changes.push(Change::Add {
            joiner: Box::new(j.confirm_sas_matches()),
            role: Role::Member,
        });
    }
    let out = admin.commit(changes, 0).unwrap();
    admin.commit_accepted().unwrap();
    let mut first = pendings
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
    let up = first.commit(vec![], 0).unwrap();
    first.commit_accepted().unwrap();
    admin.process_commit(&up.commit).unwrap();
    (admin, first)
}

fn sizes() {
    for (name, suite) in SUITES {
        for n in [16usize, 256] {
            let (mut admin, _) = channel(suite, n);
            let up = admin.commit(vec![], 0).unwrap();
            eprintln!(
                "{name} size: update at {n} members: {} bytes",
                up.commit.len()
            );
        }
        let (mut admin, _) = channel(suite, 2);
        let (_, joiner, sealed, body) = invite(&mut admin);
        let out = admin
            .commit(
                vec![Change::Add {
                    joiner: Box::new(joiner.confirm_sas_matches()),
                    role: Role::Member,
                }],
                0,
            )
            .unwrap();
        eprintln!(
            "{name} size: Welcome {} bytes, GroupInfo ciphertext at 3 members {} bytes, join request seal {sealed} bytes, InviteRedeemBody {body} bytes",
            out.welcomes[0].1.len(),
            out.group_info_ct.as_deref().unwrap_or_default().len(),
        );
    }
}

fn commit(c: &mut Criterion) {
    for (name, suite) in SUITES {
        let mut g = c.benchmark_group(format!("{name}/commit"));
        g.sample_size(10);
        for n in [2usize, 16, 256] {
            let (admin, member) = channel(suite, n);
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
}

fn join(c: &mut Criterion) {
    for (name, suite) in SUITES {
        let (admin, _) = channel(suite, 2);
        let mut g = c.benchmark_group(format!("{name}/join"));
        g.sample_size(10);
        g.bench_function("whole", |b| {
            b.iter_batched(
                || admin.danger_clone(),
                |mut a| {
                    let (pending, joiner, _, _) = invite(&mut a);
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
}

fn envelope(c: &mut Criterion) {
    let content = ContentBuilder::text(&"x".repeat(1024)).unwrap().build();
    for (name, suite) in SUITES {
        let (mut alice, bob) = channel(suite, 2);
        let env = alice.seal(&content, 0).unwrap().bytes;
        let mut g = c.benchmark_group(format!("{name}/envelope"));
        g.bench_function("seal_1k", |b| {
            b.iter_batched_ref(
                || alice.danger_clone(),
                |a| a.seal(&content, 0).unwrap(),
                BatchSize::SmallInput,
            )
        });
        g.bench_function("open_1k", |b| {
            b.iter_batched_ref(
                || bob.danger_clone(),
                |r| r.open(&env).unwrap(),
                BatchSize::SmallInput,
            )
        });
        g.finish();
    }
}

criterion_group!(benches, commit, join, envelope);
fn main() {
    sizes();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
