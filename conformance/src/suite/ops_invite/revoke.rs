//! `invite.revoke` (spec §8.5.5): unused, used, pending and declined invitations.

use hearth_wire::request::{CommitPostResult, JoinFetchResult};
use hearth_wire::{encode_with, ErrorCode};

use crate::client::Exchange;
use crate::model::{Stop, TestResult};
use crate::suite::{ensure, expect_code, expect_ok, gop, op, Channel, Ctx, Invite, MEMBER};

/// `invite.revoke` of invitation `id` by the channel's creator.
pub(super) fn revoke_by_creator(ctx: &Ctx<'_>, ch: &Channel, id: &[u8; 16]) -> Exchange {
    ctx.c.call(
        ch.creator(),
        op::INVITE_REVOKE,
        Some(ch.id),
        revoke_body(id),
    )
}

fn revoke_body(id: &[u8; 16]) -> Vec<u8> {
    encode_with(|e| {
        e.map(1).uint(1).bytes(id);
    })
}

pub(super) fn revoke_unused(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let inv = ctx.invite(&ch, 0)?;
    expect_code(
        &ctx.c.call(
            ch.creator(),
            op::INVITE_REVOKE,
            Some(ch.id),
            revoke_body(&inv.id),
        ),
        ErrorCode::OK,
        None,
    )?;
    expect_code(
        &ctx.c.call(
            ch.creator(),
            op::INVITE_REVOKE,
            Some(ch.id),
            revoke_body(&inv.id),
        ),
        ErrorCode::NOT_FOUND,
        None,
    )?;
    expect_code(
        &ctx.c.call(
            ch.creator(),
            op::INVITE_REVOKE,
            Some(ch.id),
            revoke_body(&ctx.c.random()),
        ),
        ErrorCode::NOT_FOUND,
        None,
    )?;
    expect_code(
        &ctx.redeem(&ch, &inv, &ctx.c.key()),
        ErrorCode::NOT_FOUND,
        None,
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

pub(super) fn revoke_forbidden(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.channel_with_members()?;
    let inv = ctx.invite(&ch, 1)?;
    let ex = ctx.c.call(
        ch.key(2),
        op::INVITE_REVOKE,
        Some(ch.id),
        revoke_body(&inv.id),
    );
    expect_code(&ex, ErrorCode::FORBIDDEN, None)?;
    // Another admin may revoke it.
    expect_code(
        &ctx.c.call(
            ch.key(0),
            op::INVITE_REVOKE,
            Some(ch.id),
            revoke_body(&inv.id),
        ),
        ErrorCode::OK,
        None,
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn redeem_and_add(ctx: &Ctx<'_>, ch: &mut Channel) -> Result<Invite, Stop> {
    let inv = ctx.invite(ch, 0)?;
    let mk = ctx.c.key();
    expect_code(&ctx.redeem(ch, &inv, &mk), ErrorCode::OK, None)?;
    let init = ctx.c.random::<32>();
    let spec = ctx.commit_spec(ch, 0, vec![gop::add(&mk.public(), &init, MEMBER)]);
    let (ex, _) = ctx.post_commit(ch, 0, &spec);
    let _: CommitPostResult = expect_ok(&ex)?;
    ch.epoch += 1;
    ch.roster.push(crate::suite::Member {
        key: mk,
        role: MEMBER,
    });
    Ok(inv)
}

pub(super) fn revoke_added(ctx: &Ctx<'_>) -> TestResult {
    let mut ch = ctx.create_channel()?;
    let inv = redeem_and_add(ctx, &mut ch)?;
    let ex = ctx.c.call(
        ch.creator(),
        op::INVITE_REVOKE,
        Some(ch.id),
        revoke_body(&inv.id),
    );
    expect_code(&ex, ErrorCode::INVITE_USED, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

pub(super) fn revoke_pending(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let inv = ctx.invite(&ch, 0)?;
    let mk = ctx.c.key();
    expect_code(&ctx.redeem(&ch, &inv, &mk), ErrorCode::OK, None)?;
    expect_code(
        &ctx.c.call(
            ch.creator(),
            op::INVITE_REVOKE,
            Some(ch.id),
            revoke_body(&inv.id),
        ),
        ErrorCode::OK,
        None,
    )?;
    let jex = ctx.call_empty(ch.creator(), op::JOIN_FETCH, ch.id);
    let j: JoinFetchResult = expect_ok(&jex)?;
    ensure(
        j.pending.is_empty(),
        "the declined join is still listed",
        &[&jex],
    )?;
    // The invite stays used.
    expect_code(
        &ctx.redeem(&ch, &inv, &ctx.c.key()),
        ErrorCode::INVITE_USED,
        None,
    )?;
    // A commit adding the declined key is forbidden.
    let init = ctx.c.random::<32>();
    let spec = ctx.commit_spec(&ch, 0, vec![gop::add(&mk.public(), &init, MEMBER)]);
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    expect_code(&ex, ErrorCode::FORBIDDEN, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

pub(super) fn revoke_declined(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let inv = ctx.invite(&ch, 0)?;
    expect_code(&ctx.redeem(&ch, &inv, &ctx.c.key()), ErrorCode::OK, None)?;
    let revoke = |c: &Ctx<'_>| revoke_as_creator(c, &ch, &inv.id);
    // Declining the pending join.
    expect_code(&revoke(ctx), ErrorCode::OK, None)?;
    // Declined: revoking again is invite_used and changes nothing.
    let second = revoke(ctx);
    expect_code(&second, ErrorCode::INVITE_USED, None)?;
    expect_code(
        &ctx.redeem(&ch, &inv, &ctx.c.key()),
        ErrorCode::INVITE_USED,
        None,
    )?;
    let jex = ctx.call_empty(ch.creator(), op::JOIN_FETCH, ch.id);
    let jf: JoinFetchResult = expect_ok(&jex)?;
    ensure(
        jf.pending.is_empty(),
        "a declined join is served again by join.fetch",
        &[&second, &jex],
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

/// `invite.revoke` of `id` by the channel's creator.
pub(super) fn revoke_as_creator(ctx: &Ctx<'_>, ch: &Channel, id: &[u8; 16]) -> Exchange {
    ctx.c.call(
        ch.creator(),
        op::INVITE_REVOKE,
        Some(ch.id),
        revoke_body(id),
    )
}
