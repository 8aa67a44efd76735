//! `commit.post` (spec §8.5.8) under load and over time: `max_members`, epoch sequencing under
//! concurrency, the host-visible roster through rotations and removals; and `commit.report`
//! (spec §8.5.9).

use std::sync::Barrier;

use hearth_wire::request::{AppendResult, CommitPostResult};
use hearth_wire::{encode_with, ErrorCode};

use crate::client::{sign_request, Exchange};
use crate::model::{Stop, TestResult};
use crate::suite::{ensure, expect_code, expect_ok, gop, op, Ctx, MEMBER};

pub(super) fn max_members(ctx: &Ctx<'_>) -> TestResult {
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

pub(super) fn concurrent(ctx: &Ctx<'_>) -> TestResult {
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

pub(super) fn roster_rotate_remove(ctx: &Ctx<'_>) -> TestResult {
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
        &ctx.c.call(
            &old,
            op::LOG_FETCH,
            Some(ch.id),
            crate::suite::log_body(0, 1),
        ),
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

pub(super) fn report_ok(ctx: &Ctx<'_>) -> TestResult {
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
