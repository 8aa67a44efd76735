//! `commit.post` (spec §8.5.8): a member added, then every check in its order (channel,
//! suite, epoch, committer, signature, ops, authorisation, sealed count, extensions, version).

use hearth_crypto::hazmat::label;
use hearth_wire::request::{CommitPostResult, WelcomeFetchResult};
use hearth_wire::{encode_with, ErrorCode};

use crate::client::Exchange;
use crate::model::{Stop, TestResult};
use crate::suite::{ensure, expect_code, expect_detail, expect_ok, gop, op, Ctx, ADMIN, MEMBER};

pub(super) fn add_member(ctx: &Ctx<'_>) -> TestResult {
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
    ch.roster.push(crate::suite::Member {
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

pub(super) fn pending_channel(
    ctx: &Ctx<'_>,
) -> Result<(crate::suite::Channel, crate::client::Key), Stop> {
    let ch = ctx.create_channel()?;
    let inv = ctx.invite(&ch, 0)?;
    let mk = ctx.c.key();
    expect_code(&ctx.redeem(&ch, &inv, &mk), ErrorCode::OK, None)?;
    Ok((ch, mk))
}

pub(super) fn wrong_channel(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let mut spec = ctx.commit_spec(&ch, 0, vec![]);
    spec.channel = ctx.c.random();
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    expect_code(&ex, ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))?;
    ctx.delete_channel(&ch);
    Ok(())
}

pub(super) fn wrong_suite(ctx: &Ctx<'_>) -> TestResult {
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

pub(super) fn stale_epoch(ctx: &Ctx<'_>) -> TestResult {
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

pub(super) fn wrong_committer(ctx: &Ctx<'_>) -> TestResult {
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

pub(super) fn bad_signature(ctx: &Ctx<'_>) -> TestResult {
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

pub(super) fn ill_formed_ops(ctx: &Ctx<'_>) -> TestResult {
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
    let weak = crate::suite::api::hex_32(crate::suite::api::SMALL_ORDER[0]);
    let spec = ctx.commit_spec(&ch, 0, vec![gop::rotate(&weak)]);
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    expect_code(&ex, ErrorCode::BAD_SIGNATURE, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

pub(super) fn unauthorised(ctx: &Ctx<'_>) -> TestResult {
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

pub(super) fn sealed_count(ctx: &Ctx<'_>) -> TestResult {
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

pub(super) fn check_order(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.channel_with_members()?;
    let mut spec = ctx.commit_spec(&ch, 0, vec![]);
    spec.channel = ctx.c.random();
    spec.suite = 2;
    spec.epoch = 5;
    spec.committer = 1;
    let other = ctx.c.key();
    let post = |spec: &crate::suite::CommitSpec| -> Exchange {
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
    spec.suite = crate::suite::SUITE;
    expect_code(&post(&spec), ErrorCode::EPOCH_CONFLICT, None)?;
    spec.epoch = ch.epoch;
    expect_code(&post(&spec), ErrorCode::FORBIDDEN, None)?;
    spec.committer = 0;
    expect_code(&post(&spec), ErrorCode::BAD_SIGNATURE, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

pub(super) fn relayed_crit(ctx: &Ctx<'_>) -> TestResult {
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

pub(super) fn tbs_version(ctx: &Ctx<'_>) -> TestResult {
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
