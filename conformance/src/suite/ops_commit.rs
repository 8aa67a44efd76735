//! Spec §8.5.8 and §8.5.9: `commit.post` (every check, epoch sequencing under concurrency, the
//! host-visible roster) and `commit.report`.

use std::sync::Barrier;

use hearth_crypto::hazmat::label;
use hearth_wire::request::{AppendResult, CommitPostResult, WelcomeFetchResult};
use hearth_wire::{encode_with, ErrorCode};

use super::{ensure, expect_code, expect_detail, expect_ok, gop, op, Ctx, ADMIN, MEMBER};
use crate::client::{sign_request, Exchange};
use crate::model::{Stop, TestDef, TestResult};

/// The tests of this module.
pub fn tests() -> Vec<TestDef> {
    vec![
        t!(
            "host.op.commit-post.add-member",
            "an accepted commit advances the epoch, logs the exact commit, stores the Welcome",
            [
                "HRT-OP-42",
                "HRT-OP-52",
                "HRT-OP-1",
                "HRT-LOG-1",
                "HRT-WIRE-19"
            ],
            add_member
        ),
        t!(
            "host.op.commit-post.wrong-channel",
            "a CommitTBS naming another channel -> malformed/invalid_value",
            ["HRT-OP-30"],
            wrong_channel
        ),
        t!(
            "host.op.commit-post.wrong-suite",
            "a CommitTBS with another suite -> unsupported_suite",
            ["HRT-OP-31", "HRT-EXT-5"],
            wrong_suite
        ),
        t!(
            "host.op.commit-post.stale-epoch",
            "base epoch behind or ahead -> epoch_conflict",
            ["HRT-OP-32"],
            stale_epoch
        ),
        t!(
            "host.op.commit-post.wrong-committer",
            "committer leaf not holding the request key -> forbidden",
            ["HRT-OP-33"],
            wrong_committer
        ),
        t!(
            "host.op.commit-post.bad-signature",
            "commit signature by another key or label -> bad_signature",
            ["HRT-OP-34"],
            bad_signature
        ),
        t!(
            "host.op.commit-post.ill-formed-ops",
            "out-of-range leaves, two RotateOps, duplicate adds -> malformed/invalid_value",
            ["HRT-OP-35"],
            ill_formed_ops
        ),
        t!(
            "host.op.commit-post.unauthorised",
            "plain member removing, adding a non-pending key or changing a role; an admin adding a non-pending key or removing itself -> forbidden",
            ["HRT-OP-36", "HRT-OP-38"],
            unauthorised
        ),
        t!(
            "host.op.commit-post.sealed-count",
            "a sealed-secret list of the wrong length -> malformed/invalid_value",
            ["HRT-OP-39"],
            sealed_count
        ),
        t!(
            "host.op.commit-post.group-info-presence",
            "the shared GroupInfo ciphertext missing with Welcomes, or present without -> malformed/invalid_value",
            ["HRT-OP-63"],
            group_info_presence
        ),
        t!(
            "host.op.welcome-fetch.group-info",
            "welcome.fetch returns the commit's GroupInfo ciphertext byte for byte, one for all its Welcomes",
            ["HRT-OP-64", "HRT-OP-42"],
            welcome_group_info
        ),
        t!(
            "host.op.commit-post.welcomes-any-order",
            "Welcomes listed in the reverse of the AddOp order are accepted and each is stored for its own key",
            ["HRT-OP-72", "HRT-OP-40"],
            welcomes_any_order
        ),
        t!(
            "host.op.commit-post.welcome-mismatch",
            "missing, extra or misdirected Welcomes -> malformed/invalid_value",
            ["HRT-OP-40"],
            welcome_mismatch
        ),
        t!(
            "host.op.commit-post.check-order",
            "channel before suite before epoch before committer before signature",
            [
                "HRT-API-15",
                "HRT-OP-30",
                "HRT-OP-31",
                "HRT-OP-32",
                "HRT-OP-33"
            ],
            check_order
        ),
        t!(
            "host.op.commit-post.max-members",
            "a commit beyond max_members -> limit_exceeded",
            ["HRT-OP-37", "HRT-API-45"],
            max_members
        ),
        t!(
            "host.op.commit-post.concurrent",
            "parallel commits on one epoch: exactly one accepted, the rest epoch_conflict",
            ["HRT-OP-41", "HRT-LOG-5"],
            concurrent
        ),
        t!(
            "host.op.commit-post.relayed-critical-extension",
            "crit in a relayed CommitTBS ext is not the host's business",
            ["HRT-EXT-17"],
            relayed_crit
        ),
        t!(
            "host.op.commit-post.unsupported-version",
            "a CommitTBS of version 2 -> unsupported_version",
            ["HRT-API-26"],
            tbs_version
        ),
        t!(
            "host.op.commit-post.roster-rotate-remove",
            "RotateOp and RemoveOp update the host-visible roster",
            ["HRT-OP-1", "HRT-OP-42"],
            roster_rotate_remove
        ),
        t!(
            "host.op.commit-report.ok",
            "commit.report appends a report entry with the exact SignedRequest",
            ["HRT-OP-43", "HRT-LOG-1", "HRT-LOG-6"],
            report_ok
        ),
    ]
}

fn add_member(ctx: &Ctx<'_>) -> TestResult {
    let mut ch = ctx.create_channel()?;
    let inv = ctx.invite(&ch, 0)?;
    let mk = ctx.c.key();
    expect_code(&ctx.redeem(&ch, &inv, &mk), ErrorCode::OK, None)?;
    // Before the commit: welcome.fetch is the uniform not_found.
    expect_code(
        &ctx.call_empty(&mk, op::WELCOME_FETCH, ch.id),
        ErrorCode::NOT_FOUND,
        None,
    )?;
    let init = ctx.c.random::<32>();
    let spec = ctx.commit_spec(&ch, 0, vec![gop::add(&mk.public(), &init, MEMBER)]);
    let welcome_bytes = spec
        .welcomes
        .first()
        .map(|w| w.1.clone())
        .unwrap_or_default();
    let (ex, commit) = ctx.post_commit(&ch, 0, &spec);
    let r: CommitPostResult = expect_ok(&ex)?;
    ensure(
        r.epoch.0 == 1 && r.seq.0 == 2,
        format!(
            "commit result epoch {} seq {} (expected 1, 2)",
            r.epoch.0, r.seq.0
        ),
        &[&ex],
    )?;
    ch.epoch = 1;
    ch.roster.push(super::Member {
        key: mk.clone(),
        role: MEMBER,
    });
    let (log, lex) = ctx.fetch_log(&ch, 0, 1, 10)?;
    let e = log
        .entries
        .as_slice()
        .first()
        .ok_or_else(|| Stop::fail("no commit entry", &[&lex]))?;
    ensure(
        e.kind as u64 == 1 && e.bytes == commit,
        "the commit entry does not hold the exact commit bytes",
        &[&ex, &lex],
    )?;
    ensure(
        e.head.as_bytes() == r.head.as_bytes(),
        "the result's head differs from the entry's",
        &[&ex, &lex],
    )?;
    ensure(log.epoch.0 == 1, "log.fetch epoch is not 1", &[&lex])?;
    let wex = ctx.call_empty(&mk, op::WELCOME_FETCH, ch.id);
    let w: WelcomeFetchResult = expect_ok(&wex)?;
    ensure(
        w.welcome.as_bytes() == welcome_bytes.as_slice() && w.seq.0 == 2,
        "welcome.fetch did not return the exact Welcome and the commit's seq",
        &[&ex, &wex],
    )?;
    // The new member resolves to leaf 1 and can post.
    let (mex, _) = ctx.post_msg(&ch, 1);
    expect_code(&mex, ErrorCode::OK, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn pending_channel(ctx: &Ctx<'_>) -> Result<(super::Channel, crate::client::Key), Stop> {
    let ch = ctx.create_channel()?;
    let inv = ctx.invite(&ch, 0)?;
    let mk = ctx.c.key();
    expect_code(&ctx.redeem(&ch, &inv, &mk), ErrorCode::OK, None)?;
    Ok((ch, mk))
}

fn wrong_channel(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let mut spec = ctx.commit_spec(&ch, 0, vec![]);
    spec.channel = ctx.c.random();
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    expect_code(&ex, ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn wrong_suite(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    for s in [2u64, 0, 65535] {
        let mut spec = ctx.commit_spec(&ch, 0, vec![]);
        spec.suite = s;
        let (ex, _) = ctx.post_commit(&ch, 0, &spec);
        expect_code(&ex, ErrorCode::UNSUPPORTED_SUITE, None)?;
    }
    ctx.delete_channel(&ch);
    Ok(())
}

fn stale_epoch(ctx: &Ctx<'_>) -> TestResult {
    let mut ch = ctx.create_channel()?;
    let spec = ctx.commit_spec(&ch, 0, vec![]);
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    let _: CommitPostResult = expect_ok(&ex)?;
    ch.epoch = 1;
    for e in [0u64, 2, 1000] {
        let mut spec = ctx.commit_spec(&ch, 0, vec![]);
        spec.epoch = e;
        let (ex, _) = ctx.post_commit(&ch, 0, &spec);
        expect_code(&ex, ErrorCode::EPOCH_CONFLICT, None)?;
    }
    let spec = ctx.commit_spec(&ch, 0, vec![]);
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    let r: CommitPostResult = expect_ok(&ex)?;
    ensure(r.epoch.0 == 2, "epoch did not advance to 2", &[&ex])?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn wrong_committer(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.channel_with_members()?;
    // Leaf 1's key claims leaf 0; leaf 0's key claims leaf 2.
    for (claimed, signer) in [(0u64, 1usize), (2, 0), (7, 0)] {
        let mut spec = ctx.commit_spec(&ch, signer, vec![]);
        spec.committer = claimed;
        let (commit_body, key) = {
            let (_, body) = ctx.c.with_rng(|r| spec.build(r, ch.key(signer)));
            (body, ch.key(signer))
        };
        let ex = ctx.c.call(key, op::COMMIT_POST, Some(ch.id), commit_body);
        let want = if claimed >= ch.roster.len() as u64 {
            // An out-of-range committer has no key: forbidden (check 4).
            ErrorCode::FORBIDDEN
        } else {
            ErrorCode::FORBIDDEN
        };
        expect_code(&ex, want, None)?;
    }
    ctx.delete_channel(&ch);
    Ok(())
}

fn bad_signature(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let other = ctx.c.key();
    let spec = ctx.commit_spec(&ch, 0, vec![]);
    for (signer, l) in [(&other, label::COMMIT), (ch.creator(), label::REQUEST)] {
        let (_, body) = ctx.c.with_rng(|r| spec.build_with(r, signer, l));
        let ex = ctx.c.call(ch.creator(), op::COMMIT_POST, Some(ch.id), body);
        expect_code(&ex, ErrorCode::BAD_SIGNATURE, None)?;
    }
    ctx.delete_channel(&ch);
    Ok(())
}

fn ill_formed_ops(ctx: &Ctx<'_>) -> TestResult {
    let (mut ch, mk) = pending_channel(ctx)?;
    ctx.add_members(&mut ch, &[MEMBER])?;
    let k1 = ctx.c.key().public();
    let k2 = ctx.c.key().public();
    let init = ctx.c.random::<32>();
    let cases = vec![
        vec![gop::remove(9)],
        vec![gop::role(9, ADMIN)],
        vec![gop::rotate(&k1), gop::rotate(&k2)],
        vec![gop::remove(1), gop::remove(1)],
        vec![gop::remove(1), gop::role(1, ADMIN)],
        vec![
            gop::add(&mk.public(), &init, MEMBER),
            gop::add(&mk.public(), &init, MEMBER),
        ],
    ];
    for ops in cases {
        let spec = ctx.commit_spec(&ch, 0, ops);
        let (ex, _) = ctx.post_commit(&ch, 0, &spec);
        expect_code(&ex, ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))?;
    }
    // A RotateOp to a small-order key: bad_signature.
    let weak = super::api::hex_32(super::api::SMALL_ORDER[0]);
    let spec = ctx.commit_spec(&ch, 0, vec![gop::rotate(&weak)]);
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    expect_code(&ex, ErrorCode::BAD_SIGNATURE, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn unauthorised(ctx: &Ctx<'_>) -> TestResult {
    let (mut ch, mk) = pending_channel(ctx)?;
    ctx.add_members(&mut ch, &[MEMBER, ADMIN])?;
    // Plain member (leaf 1) removes leaf 2 / adds the pending key / changes a role.
    let init = ctx.c.random::<32>();
    for ops in [
        vec![gop::remove(2)],
        vec![gop::add(&mk.public(), &init, MEMBER)],
        vec![gop::role(1, ADMIN)],
    ] {
        let spec = ctx.commit_spec(&ch, 1, ops);
        let (ex, _) = ctx.post_commit(&ch, 1, &spec);
        expect_code(&ex, ErrorCode::FORBIDDEN, None)?;
    }
    // Admin adds a key that is not pending; removes itself. (The creator can be removed and
    // demoted since 1.0-rc1: host.member.creator.removable.)
    let stranger = ctx.c.key().public();
    for ops in [
        vec![gop::add(&stranger, &init, MEMBER)],
        vec![gop::remove(2)],
    ] {
        let spec = ctx.commit_spec(&ch, 2, ops);
        let (ex, _) = ctx.post_commit(&ch, 2, &spec);
        expect_code(&ex, ErrorCode::FORBIDDEN, None)?;
    }
    // A plain member's empty commit is allowed.
    let spec = ctx.commit_spec(&ch, 1, vec![]);
    let (ex, _) = ctx.post_commit(&ch, 1, &spec);
    expect_code(&ex, ErrorCode::OK, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn sealed_count(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.channel_with_members()?;
    for delta in [-1i64, 1] {
        let mut spec = ctx.commit_spec(&ch, 0, vec![]);
        spec.sealed = (spec.sealed as i64 + delta).max(0) as usize;
        let (ex, _) = ctx.post_commit(&ch, 0, &spec);
        expect_code(&ex, ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))?;
    }
    ctx.delete_channel(&ch);
    Ok(())
}

fn welcome_mismatch(ctx: &Ctx<'_>) -> TestResult {
    let (ch, mk) = pending_channel(ctx)?;
    let init = ctx.c.random::<32>();
    let base = ctx.commit_spec(&ch, 0, vec![gop::add(&mk.public(), &init, MEMBER)]);
    let w = base
        .welcomes
        .first()
        .map(|x| x.1.clone())
        .unwrap_or_default();
    let other = ctx.c.key().public();
    let variants = vec![
        vec![],
        vec![(other, w.clone())],
        vec![(mk.public(), w.clone()), (other, w.clone())],
        vec![(mk.public(), w.clone()), (mk.public(), w.clone())],
    ];
    for ws in variants {
        let mut spec = base.clone();
        spec.welcomes = ws;
        let (ex, _) = ctx.post_commit(&ch, 0, &spec);
        expect_code(&ex, ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))?;
    }
    // A Welcome on an empty commit.
    let mut spec = ctx.commit_spec(&ch, 0, vec![]);
    spec.welcomes = vec![(mk.public(), w)];
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    expect_code(&ex, ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn check_order(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.channel_with_members()?;
    let mut spec = ctx.commit_spec(&ch, 0, vec![]);
    spec.channel = ctx.c.random();
    spec.suite = 2;
    spec.epoch = 5;
    spec.committer = 1;
    let other = ctx.c.key();
    let post = |spec: &super::CommitSpec| -> Exchange {
        let (_, body) = ctx.c.with_rng(|r| spec.build(r, &other));
        ctx.c.call(ch.creator(), op::COMMIT_POST, Some(ch.id), body)
    };
    expect_code(
        &post(&spec),
        ErrorCode::MALFORMED,
        Some(ErrorCode::INVALID_VALUE),
    )?;
    spec.channel = ch.id;
    expect_code(&post(&spec), ErrorCode::UNSUPPORTED_SUITE, None)?;
    spec.suite = super::SUITE;
    expect_code(&post(&spec), ErrorCode::EPOCH_CONFLICT, None)?;
    spec.epoch = ch.epoch;
    expect_code(&post(&spec), ErrorCode::FORBIDDEN, None)?;
    spec.committer = 0;
    expect_code(&post(&spec), ErrorCode::BAD_SIGNATURE, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn max_members(ctx: &Ctx<'_>) -> TestResult {
    let max = ctx.limits().max_members;
    let l = ctx.limits();
    if l.max_pending == 0 || l.max_invites < 2 {
        return Err(Stop::NotApplicable(format!(
            "max_members {max} is not reachable with max_pending {} and max_invites {}",
            l.max_pending, l.max_invites
        )));
    }
    let mut ch = ctx.create_channel()?;
    let batch = l.max_pending.min(l.max_invites).min(16) as usize;
    while (ch.roster.len() as u64) < max {
        let room = (max as usize).saturating_sub(ch.roster.len()).min(batch);
        ctx.add_members(&mut ch, &vec![MEMBER; room])?;
    }
    let inv = ctx.invite(&ch, 0)?;
    let mk = ctx.c.key();
    expect_code(&ctx.redeem(&ch, &inv, &mk), ErrorCode::OK, None)?;
    let init = ctx.c.random::<32>();
    let spec = ctx.commit_spec(&ch, 0, vec![gop::add(&mk.public(), &init, MEMBER)]);
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    expect_code(&ex, ErrorCode::LIMIT_EXCEEDED, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn concurrent(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.channel_with_members()?;
    // Each of the three members (two of them admins) sends two empty commits on epoch 1.
    let mut posts = Vec::new();
    for leaf in [0usize, 1, 2, 0, 1, 2] {
        let spec = ctx.commit_spec(&ch, leaf, vec![]);
        let (_, body) = ctx.c.with_rng(|r| spec.build(r, ch.key(leaf)));
        let s = ctx.c.spec(op::COMMIT_POST, Some(ch.id), body);
        posts.push(sign_request(ch.key(leaf), &s.encode()));
    }
    let n = posts.len();
    let barrier = Barrier::new(n);
    let exs: Vec<Exchange> = std::thread::scope(|sc| {
        let hs: Vec<_> = posts
            .into_iter()
            .map(|p| {
                let barrier = &barrier;
                let c = &ctx.c;
                sc.spawn(move || {
                    barrier.wait();
                    c.post_signed(p)
                })
            })
            .collect();
        hs.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let all: Vec<&Exchange> = exs.iter().collect();
    let oks = exs
        .iter()
        .filter(|e| e.status() == Some(ErrorCode::OK))
        .count();
    let conflicts = exs
        .iter()
        .filter(|e| e.status() == Some(ErrorCode::EPOCH_CONFLICT))
        .count();
    ensure(
        oks == 1 && conflicts == n - 1,
        format!(
            "{oks} accepted and {conflicts} epoch_conflict of {n} parallel commits on one epoch"
        ),
        &all,
    )?;
    let log = ctx.read_log(&ch, 0)?;
    let commits = log.commits();
    ensure(
        log.epoch == ch.epoch + 1 && commits == ch.epoch + 1,
        format!(
            "after the race: epoch {} with {commits} commit entries (expected {})",
            log.epoch,
            ch.epoch + 1
        ),
        &[&log.last],
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn relayed_crit(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let mut spec = ctx.commit_spec(&ch, 0, vec![]);
    spec.ext = Some(encode_with(|e| {
        e.map(2).uint(1).array(1).uint(1000).uint(1000).uint(1);
    }));
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    expect_code(&ex, ErrorCode::OK, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn tbs_version(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let mut spec = ctx.commit_spec(&ch, 0, vec![]);
    spec.version = 2;
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    expect_code(&ex, ErrorCode::UNSUPPORTED_VERSION, None)?;
    // And a CommitTBS with an unknown key: malformed/unknown_key.
    let spec = ctx.commit_spec(&ch, 0, vec![]);
    let tbs = ctx.c.with_rng(|r| spec.tbs(r));
    let mut bad = tbs.clone();
    if let Some(f) = bad.first_mut() {
        *f += 1;
    }
    bad.extend_from_slice(&[0x0c, 0x00]);
    let sig = ch.creator().sign(label::COMMIT, |e| {
        e.bytes(&bad);
    });
    let commit = encode_with(|e| {
        e.array(3).bytes(&bad).bytes(&sig).bytes(&[0u8; 32]);
    });
    let body = encode_with(|e| {
        e.map(2).uint(1).bytes(&commit).uint(2).array(0);
    });
    let ex = ctx.c.call(ch.creator(), op::COMMIT_POST, Some(ch.id), body);
    expect_detail(&ex, ErrorCode::UNKNOWN_KEY)?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn roster_rotate_remove(ctx: &Ctx<'_>) -> TestResult {
    let mut ch = ctx.channel_with_members()?;
    // Leaf 2 rotates its key.
    let new = ctx.c.key();
    let spec = ctx.commit_spec(&ch, 2, vec![gop::rotate(&new.public())]);
    let (ex, _) = ctx.post_commit(&ch, 2, &spec);
    let _: CommitPostResult = expect_ok(&ex)?;
    ch.epoch += 1;
    let old = ch.key(2).clone();
    if let Some(m) = ch.roster.get_mut(2) {
        m.key = new.clone();
    }
    expect_code(
        &ctx.fetch_log(&ch, 2, 0, 1)
            .map(|x| x.1)
            .unwrap_or_else(|_| ctx.call_empty(&new, op::JOIN_FETCH, ch.id)),
        ErrorCode::OK,
        None,
    )?;
    expect_code(
        &ctx.c
            .call(&old, op::LOG_FETCH, Some(ch.id), super::log_body(0, 1)),
        ErrorCode::NOT_FOUND,
        None,
    )?;
    let (mex, _) = ctx.post_msg(&ch, 2);
    expect_code(&mex, ErrorCode::OK, None)?;
    // The creator removes leaf 1: leaf 2 becomes leaf 1.
    let spec = ctx.commit_spec(&ch, 0, vec![gop::remove(1)]);
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    let _: CommitPostResult = expect_ok(&ex)?;
    ch.epoch += 1;
    let removed = ch.roster.remove(1);
    // The removed key is a member no more: `removed` since 1.0-rc1 (HRT-API-63).
    expect_code(
        &ctx.call_empty(&removed.key, op::JOIN_FETCH, ch.id),
        ErrorCode::REMOVED,
        None,
    )?;
    let (mex, _) = ctx.post_msg(&ch, 1);
    expect_code(&mex, ErrorCode::OK, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn report_ok(ctx: &Ctx<'_>) -> TestResult {
    let mut ch = ctx.create_channel()?;
    ctx.add_members(&mut ch, &[MEMBER])?;
    let body = encode_with(|e| {
        e.map(2).uint(1).uint(2).uint(2).uint(70);
    });
    let s = ctx.c.spec(op::COMMIT_REPORT, Some(ch.id), body);
    let signed = sign_request(ch.key(1), &s.encode());
    let ex = ctx.c.post_signed(signed.clone());
    let r: AppendResult = expect_ok(&ex)?;
    let (log, lex) = ctx.fetch_log(&ch, 0, r.seq.0 - 1, 1)?;
    let e = log
        .entries
        .as_slice()
        .first()
        .ok_or_else(|| Stop::fail("no report entry", &[&lex]))?;
    ensure(
        e.kind as u64 == 4 && e.bytes == signed && e.head.as_bytes() == r.head.as_bytes(),
        "the report entry is not kind 4 with the exact SignedRequest and the returned head",
        &[&ex, &lex],
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn group_info_presence(ctx: &Ctx<'_>) -> TestResult {
    let (ch, mk) = pending_channel(ctx)?;
    let init = ctx.c.random::<32>();
    let mut spec = ctx.commit_spec(&ch, 0, vec![gop::add(&mk.public(), &init, MEMBER)]);
    spec.group_info_ct = None;
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    expect_code(&ex, ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))?;
    let mut empty = ctx.commit_spec(&ch, 0, vec![]);
    empty.group_info_ct = Some(ctx.c.with_rng(|r| r.vec(64)));
    let (ex, _) = ctx.post_commit(&ch, 0, &empty);
    expect_code(&ex, ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))?;
    // With it, the add goes through.
    let spec = ctx.commit_spec(&ch, 0, vec![gop::add(&mk.public(), &init, MEMBER)]);
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    expect_code(&ex, ErrorCode::OK, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn welcome_group_info(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let mut keys = Vec::new();
    let mut ops = Vec::new();
    for _ in 0..2 {
        let inv = ctx.invite(&ch, 0)?;
        let mk = ctx.c.key();
        expect_code(&ctx.redeem(&ch, &inv, &mk), ErrorCode::OK, None)?;
        ops.push(gop::add(&mk.public(), &ctx.c.random::<32>(), MEMBER));
        keys.push(mk);
    }
    let spec = ctx.commit_spec(&ch, 0, ops);
    let gi = spec.group_info_ct.clone().unwrap_or_default();
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    expect_code(&ex, ErrorCode::OK, None)?;
    for (mk, (_, w)) in keys.iter().zip(&spec.welcomes) {
        let wex = ctx.call_empty(mk, op::WELCOME_FETCH, ch.id);
        let got: WelcomeFetchResult = expect_ok(&wex)?;
        ensure(
            got.welcome.as_bytes() == w.as_slice() && got.group_info_ct.as_slice() == gi.as_slice(),
            "welcome.fetch did not return the posted Welcome and the commit's GroupInfo ciphertext (HRT-OP-64)",
            &[&ex, &wex],
        )?;
    }
    ctx.delete_channel(&ch);
    Ok(())
}

fn welcomes_any_order(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let mut keys = Vec::new();
    let mut ops = Vec::new();
    for _ in 0..3 {
        let inv = ctx.invite(&ch, 0)?;
        let mk = ctx.c.key();
        expect_code(&ctx.redeem(&ch, &inv, &mk), ErrorCode::OK, None)?;
        ops.push(gop::add(&mk.public(), &ctx.c.random::<32>(), MEMBER));
        keys.push(mk);
    }
    let mut spec = ctx.commit_spec(&ch, 0, ops);
    // The Welcomes are paired with their keys; their order means nothing (HRT-OP-72).
    spec.welcomes.reverse();
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    expect_code(&ex, ErrorCode::OK, None)?;
    for mk in &keys {
        let want = spec
            .welcomes
            .iter()
            .find(|(k, _)| *k == mk.public())
            .map(|(_, w)| w.clone())
            .unwrap_or_default();
        let wex = ctx.call_empty(mk, op::WELCOME_FETCH, ch.id);
        let got: WelcomeFetchResult = expect_ok(&wex)?;
        ensure(
            got.welcome.as_bytes() == want.as_slice(),
            "welcome.fetch did not return the Welcome posted for this key",
            &[&ex, &wex],
        )?;
    }
    ctx.delete_channel(&ch);
    Ok(())
}
