//! `msg.post` (spec §8.5.10): an accepted message, then every check in its order (channel,
//! suite, epoch, sender, envelope version).

use hearth_wire::request::AppendResult;
use hearth_wire::ErrorCode;

use crate::model::{Stop, TestResult};
use crate::suite::{
    ensure, envelope, expect_code, expect_ok, msg_body, op, Ctx, EnvelopeSpec, MEMBER, SUITE,
};

fn env_with(
    ctx: &Ctx<'_>,
    ch: &crate::suite::Channel,
    f: impl FnOnce(&mut EnvelopeSpec),
) -> Vec<u8> {
    let mut s = EnvelopeSpec {
        version: 1,
        suite: SUITE,
        channel: ch.id,
        epoch: ch.epoch,
        sender: 0,
    };
    f(&mut s);
    ctx.c.with_rng(|r| envelope(r, &s))
}

pub(super) fn msg_ok(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let (ex, env) = ctx.post_msg(&ch, 0);
    let r: AppendResult = expect_ok(&ex)?;
    let (log, lex) = ctx.fetch_log(&ch, 0, 1, 10)?;
    let e = log
        .entries
        .as_slice()
        .first()
        .ok_or_else(|| Stop::fail("no msg entry", &[&lex]))?;
    ensure(
        e.seq == r.seq && e.kind as u64 == 2 && e.bytes == env,
        "the msg entry is not kind 2 with the exact envelope at the returned seq",
        &[&ex, &lex],
    )?;
    ensure(
        e.head.as_bytes() == r.head.as_bytes(),
        "the returned head differs from the entry's head",
        &[&ex, &lex],
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

pub(super) fn post_env(
    ctx: &Ctx<'_>,
    ch: &crate::suite::Channel,
    leaf: usize,
    env: &[u8],
) -> crate::client::Exchange {
    ctx.c
        .call(ch.key(leaf), op::MSG_POST, Some(ch.id), msg_body(env))
}

pub(super) fn msg_wrong_channel(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let env = env_with(ctx, &ch, |s| s.channel = [9; 16]);
    expect_code(
        &post_env(ctx, &ch, 0, &env),
        ErrorCode::MALFORMED,
        Some(ErrorCode::INVALID_VALUE),
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

pub(super) fn msg_wrong_suite(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    for suite in [2u64, 0, 65535] {
        let env = env_with(ctx, &ch, |s| s.suite = suite);
        expect_code(
            &post_env(ctx, &ch, 0, &env),
            ErrorCode::UNSUPPORTED_SUITE,
            None,
        )?;
    }
    ctx.delete_channel(&ch);
    Ok(())
}

pub(super) fn msg_wrong_epoch(ctx: &Ctx<'_>) -> TestResult {
    let mut ch = ctx.create_channel()?;
    ctx.add_members(&mut ch, &[MEMBER])?;
    for epoch in [0u64, 2, u64::MAX] {
        let env = env_with(ctx, &ch, |s| s.epoch = epoch);
        expect_code(
            &post_env(ctx, &ch, 0, &env),
            ErrorCode::EPOCH_CONFLICT,
            None,
        )?;
    }
    let (log, lex) = ctx.fetch_log(&ch, 0, 0, 10)?;
    ensure(log.tip.0 == 2, "rejected messages were appended", &[&lex])?;
    ctx.delete_channel(&ch);
    Ok(())
}

pub(super) fn msg_wrong_sender(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.channel_with_members()?;
    for (leaf_claimed, signer) in [(0u64, 1usize), (2, 1), (9, 0)] {
        let env = env_with(ctx, &ch, |s| s.sender = leaf_claimed);
        expect_code(
            &post_env(ctx, &ch, signer, &env),
            ErrorCode::FORBIDDEN,
            None,
        )?;
    }
    ctx.delete_channel(&ch);
    Ok(())
}

pub(super) fn msg_version(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let env = env_with(ctx, &ch, |s| s.version = 2);
    expect_code(
        &post_env(ctx, &ch, 0, &env),
        ErrorCode::UNSUPPORTED_VERSION,
        None,
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

pub(super) fn msg_order(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.channel_with_members()?;
    let mut s = EnvelopeSpec {
        version: 1,
        suite: 2,
        channel: [9; 16],
        epoch: 77,
        sender: 2,
    };
    let post = |s: &EnvelopeSpec| {
        let env = ctx.c.with_rng(|r| envelope(r, s));
        post_env(ctx, &ch, 0, &env)
    };
    expect_code(
        &post(&s),
        ErrorCode::MALFORMED,
        Some(ErrorCode::INVALID_VALUE),
    )?;
    s.channel = ch.id;
    expect_code(&post(&s), ErrorCode::UNSUPPORTED_SUITE, None)?;
    s.suite = SUITE;
    expect_code(&post(&s), ErrorCode::EPOCH_CONFLICT, None)?;
    s.epoch = ch.epoch;
    expect_code(&post(&s), ErrorCode::FORBIDDEN, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}
