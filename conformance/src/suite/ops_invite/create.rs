//! `invite.create` (spec §8.5.4): admin only, conflicts, expiry bounds, weak keys, the check
//! order, `max_invites`, revoked IDs.

use hearth_wire::ErrorCode;

use super::redeem::host_clock;
use super::redeem::short_lived_invite;
use super::redeem::EXPIRY_ATTEMPTS;
use super::revoke::revoke_as_creator;
use super::revoke::revoke_by_creator;
use crate::model::{Stop, TestResult};
use crate::suite::api::{hex_32, SMALL_ORDER};
use crate::suite::{expect_code, op, Ctx};

pub(super) fn create_non_admin(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.channel_with_members()?;
    let (ex, _) = ctx.try_invite(&ch, 2);
    expect_code(&ex, ErrorCode::FORBIDDEN, None)?;
    let (ex, _) = ctx.try_invite(&ch, 1);
    expect_code(&ex, ErrorCode::OK, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

pub(super) fn create_conflict(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let inv = ctx.invite(&ch, 0)?;
    let again = ctx.invite_body(&inv.id, &ctx.c.key().public(), ctx.c.host_now() + 600);
    let ex = ctx
        .c
        .call(ch.creator(), op::INVITE_CREATE, Some(ch.id), again.clone());
    expect_code(&ex, ErrorCode::CONFLICT, None)?;
    expect_code(&ctx.redeem(&ch, &inv, &ctx.c.key()), ErrorCode::OK, None)?;
    let ex = ctx
        .c
        .call(ch.creator(), op::INVITE_CREATE, Some(ch.id), again);
    expect_code(&ex, ErrorCode::CONFLICT, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

pub(super) fn create_expiry(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let now = ctx.c.host_now();
    for exp in [0, now.saturating_sub(10), now + 2_592_000 + 600] {
        let body = ctx.invite_body(&ctx.c.random(), &ctx.c.key().public(), exp);
        let ex = ctx
            .c
            .call(ch.creator(), op::INVITE_CREATE, Some(ch.id), body);
        expect_code(&ex, ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))?;
    }
    let body = ctx.invite_body(
        &ctx.c.random(),
        &ctx.c.key().public(),
        now + 2_592_000 - 600,
    );
    let ex = ctx
        .c
        .call(ch.creator(), op::INVITE_CREATE, Some(ch.id), body);
    expect_code(&ex, ErrorCode::OK, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

pub(super) fn create_weak_key(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    for k in SMALL_ORDER.iter().take(3) {
        let body = ctx.invite_body(&ctx.c.random(), &hex_32(k), ctx.c.host_now() + 600);
        let ex = ctx
            .c
            .call(ch.creator(), op::INVITE_CREATE, Some(ch.id), body);
        expect_code(&ex, ErrorCode::BAD_SIGNATURE, None)?;
    }
    ctx.delete_channel(&ch);
    Ok(())
}

pub(super) fn create_order(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.channel_with_members()?;
    let inv = ctx.invite(&ch, 0)?;
    // Plain member, existing id, bad expiry: forbidden.
    let body = ctx.invite_body(&inv.id, &ctx.c.key().public(), 1);
    expect_code(
        &ctx.c
            .call(ch.key(2), op::INVITE_CREATE, Some(ch.id), body.clone()),
        ErrorCode::FORBIDDEN,
        None,
    )?;
    // Admin, existing id, bad expiry: conflict.
    expect_code(
        &ctx.c.call(ch.key(1), op::INVITE_CREATE, Some(ch.id), body),
        ErrorCode::CONFLICT,
        None,
    )?;
    // Bad expiry and weak key: invalid_value.
    let body = ctx.invite_body(&ctx.c.random(), &hex_32(SMALL_ORDER[0]), 1);
    expect_code(
        &ctx.c.call(ch.key(1), op::INVITE_CREATE, Some(ch.id), body),
        ErrorCode::MALFORMED,
        Some(ErrorCode::INVALID_VALUE),
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

pub(super) fn create_max(ctx: &Ctx<'_>) -> TestResult {
    let max = ctx.limits().max_invites;
    if max > 256 {
        return Err(Stop::NotApplicable(format!(
            "max_invites {max} too large for a bounded run"
        )));
    }
    let ch = ctx.create_channel()?;
    let mut made = Vec::new();
    for i in 0..max {
        let (ex, inv) = ctx.try_invite(&ch, 0);
        expect_code(&ex, ErrorCode::OK, None)
            .map_err(|e| annotate(e, &format!("invite {} of {max}", i + 1)))?;
        made.push(inv);
    }
    let (ex, _) = ctx.try_invite(&ch, 0);
    expect_code(&ex, ErrorCode::LIMIT_EXCEEDED, None)?;
    // The limit counts the invitations pending now (HRT-OP-16): a revoked one and a redeemed
    // one no longer count, so each makes room for one more.
    if let Some(inv) = made.pop() {
        expect_code(&revoke_by_creator(ctx, &ch, &inv.id), ErrorCode::OK, None)?;
        let (ex, _) = ctx.try_invite(&ch, 0);
        expect_code(&ex, ErrorCode::OK, None)
            .map_err(|e| annotate(e, "after a revoke at max_invites"))?;
    }
    if let Some(inv) = made.pop() {
        expect_code(&ctx.redeem(&ch, &inv, &ctx.c.key()), ErrorCode::OK, None)?;
        let (ex, _) = ctx.try_invite(&ch, 0);
        expect_code(&ex, ErrorCode::OK, None)
            .map_err(|e| annotate(e, "after a redeem at max_invites"))?;
    }
    let (ex, _) = ctx.try_invite(&ch, 0);
    expect_code(&ex, ErrorCode::LIMIT_EXCEEDED, None)?;
    // An expired invitation does not count either: fill the last place with one that expires
    // two seconds after the host's clock, and once the host's clock has passed it, there is room.
    if let Some(inv) = made.pop() {
        expect_code(&revoke_by_creator(ctx, &ch, &inv.id), ErrorCode::OK, None)?;
        let mut expires = None;
        for _ in 0..EXPIRY_ATTEMPTS {
            let (_, e) = short_lived_invite(ctx, &ch, false)?;
            let (ex, _) = ctx.try_invite(&ch, 0);
            match ex.status() {
                Some(ErrorCode::LIMIT_EXCEEDED) => {
                    expires = Some(e);
                    break;
                }
                // The short-lived one may have expired already by the host's clock.
                Some(ErrorCode::OK) if ex.server_time().is_some_and(|t| t > e) => continue,
                _ => {
                    expect_code(&ex, ErrorCode::LIMIT_EXCEEDED, None)
                        .map_err(|e| annotate(e, "at max_invites with a short-lived invite"))?;
                }
            }
        }
        let expires = expires.ok_or_else(|| {
            Stop::fail(
                "a short-lived invite expired before the limit could be checked",
                &[],
            )
        })?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while host_clock(ctx) <= expires && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
        let (ex, _) = ctx.try_invite(&ch, 0);
        expect_code(&ex, ErrorCode::OK, None)
            .map_err(|e| annotate(e, "after an invite expired at max_invites"))?;
    }
    ctx.delete_channel(&ch);
    Ok(())
}

fn annotate(e: Stop, what: &str) -> Stop {
    match e {
        Stop::Fail(mut f) => {
            f.message = format!("{what}: {}", f.message);
            Stop::Fail(f)
        }
        o => o,
    }
}

pub(super) fn create_revoked_id(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let inv = ctx.invite(&ch, 0)?;
    let revoke = |c: &Ctx<'_>| revoke_as_creator(c, &ch, &inv.id);
    expect_code(&revoke(ctx), ErrorCode::OK, None)?;
    // The same id again, with a new auth key and expiry: the old link must not come back.
    let again = ctx.invite_body(&inv.id, &ctx.c.key().public(), ctx.c.host_now() + 600);
    let ex = ctx
        .c
        .call(ch.creator(), op::INVITE_CREATE, Some(ch.id), again);
    expect_code(&ex, ErrorCode::CONFLICT, None)?;
    // Still revoked: revoke and redeem find nothing.
    expect_code(&revoke(ctx), ErrorCode::NOT_FOUND, None)?;
    expect_code(
        &ctx.redeem(&ch, &inv, &ctx.c.key()),
        ErrorCode::NOT_FOUND,
        None,
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}
