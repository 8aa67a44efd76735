//! `welcome.fetch` with no Welcome (spec §8.5.12) and `member.leave` (spec §8.5.13).

use hearth_wire::request::AppendResult;
use hearth_wire::ErrorCode;

use super::post::post_env;
use crate::client::sign_request;
use crate::model::{Stop, TestResult};
use crate::suite::api::uniform_not_found;
use crate::suite::{ensure, expect_code, expect_ok, log_body, op, Ctx};

pub(super) fn welcome_none(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let inv = ctx.invite(&ch, 0)?;
    let mk = ctx.c.key();
    expect_code(&ctx.redeem(&ch, &inv, &mk), ErrorCode::OK, None)?;
    let a = ctx.call_empty(&mk, op::WELCOME_FETCH, ch.id);
    let b = ctx.call_empty(&mk, op::WELCOME_FETCH, ctx.c.random());
    uniform_not_found(&a, &b)?;
    // The creator has no Welcome either.
    expect_code(
        &ctx.call_empty(ch.creator(), op::WELCOME_FETCH, ch.id),
        ErrorCode::NOT_FOUND,
        None,
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

pub(super) fn leave_ok(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.channel_with_members()?;
    let s = ctx
        .c
        .spec(op::MEMBER_LEAVE, Some(ch.id), crate::suite::EMPTY.to_vec());
    let signed = sign_request(ch.key(2), &s.encode());
    let ex = ctx.c.post_signed(signed.clone());
    let r: AppendResult = expect_ok(&ex)?;
    let (log, lex) = ctx.fetch_log(&ch, 0, r.seq.0 - 1, 1)?;
    let e = log
        .entries
        .as_slice()
        .first()
        .ok_or_else(|| Stop::fail("no leave entry", &[&lex]))?;
    ensure(
        e.kind as u64 == 3 && e.bytes == signed,
        "the leave entry is not kind 3 with the exact SignedRequest",
        &[&ex, &lex],
    )?;
    let again = ctx.c.post_signed(signed);
    ensure(
        again.body() == ex.body(),
        "the retry of member.leave did not return the stored response",
        &[&ex, &again],
    )?;
    let a = ctx
        .c
        .call(ch.key(2), op::LOG_FETCH, Some(ch.id), log_body(0, 1));
    let b = ctx.c.call(
        ch.key(2),
        op::LOG_FETCH,
        Some(ctx.c.random()),
        log_body(0, 1),
    );
    uniform_not_found(&a, &b)?;
    let env = ctx.envelope_from(&ch, 2);
    expect_code(&post_env(ctx, &ch, 2, &env), ErrorCode::NOT_FOUND, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}
