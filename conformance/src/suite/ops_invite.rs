//! Spec §8.5.4 to §8.5.7: `invite.create`, `invite.revoke`, `invite.redeem`, `join.fetch`.

use std::sync::Barrier;

use hearth_wire::request::{CommitPostResult, JoinFetchResult};
use hearth_wire::{encode_with, ErrorCode};

use super::api::{cofactor_forgery, hex_32, uniform_not_found, SMALL_ORDER};
use super::{ensure, expect_code, expect_ok, gop, op, Channel, Ctx, Invite, ADMIN, MEMBER};
use crate::client::Exchange;
use crate::model::{Stop, TestResult};
use crate::suite::HostTestDef;

/// The tests of this module.
pub fn tests() -> Vec<HostTestDef> {
    vec![
        t!(
            "host.op.invite-create.non-admin",
            "invite.create by a plain member -> forbidden",
            ["HRT-OP-12"],
            create_non_admin
        ),
        t!(
            "host.op.invite-create.conflict",
            "an invite id already stored (unused or used) -> conflict",
            ["HRT-OP-13"],
            create_conflict
        ),
        t!(
            "host.op.invite-create.expiry-bounds",
            "expires in the past or beyond 30 days -> malformed/invalid_value",
            ["HRT-OP-14"],
            create_expiry
        ),
        t!(
            "host.op.invite-create.weak-auth-key",
            "a small-order invite_auth key -> bad_signature",
            ["HRT-OP-15", "HRT-KEY-23"],
            create_weak_key
        ),
        t!(
            "host.op.invite-create.check-order",
            "forbidden before conflict before invalid expiry",
            ["HRT-API-15", "HRT-OP-12", "HRT-OP-13"],
            create_order
        ),
        t!(
            "host.op.invite-create.max-invites",
            "beyond max_invites pending invites -> limit_exceeded",
            ["HRT-OP-16", "HRT-API-45"],
            create_max
        ),
        t!(
            "host.op.invite-revoke.unused",
            "revoking an unused invite deletes it; later revoke/redeem find nothing",
            ["HRT-OP-18", "HRT-OP-20"],
            revoke_unused
        ),
        t!(
            "host.op.invite-revoke.forbidden",
            "a plain member revoking another's invite -> forbidden",
            ["HRT-OP-17"],
            revoke_forbidden
        ),
        t!(
            "host.op.invite-revoke.used-added",
            "revoking an invite whose joiner was added -> invite_used",
            ["HRT-OP-19"],
            revoke_added
        ),
        t!(
            "host.op.invite-revoke.decline-pending",
            "revoking a pending join deletes it, the invite stays used",
            ["HRT-OP-59", "HRT-INV-60", "HRT-OP-36"],
            revoke_pending
        ),
        t!(
            "host.op.invite-redeem.ok",
            "a redeem stores the PendingJoin with the exact sealed bytes",
            ["HRT-OP-27", "HRT-OP-29"],
            redeem_ok
        ),
        t!(
            "host.op.invite-redeem.not-found",
            "missing channel, unknown invite, wrong auth key -> uniform not_found",
            ["HRT-OP-20", "HRT-API-34"],
            redeem_not_found
        ),
        t!(
            "host.op.invite-redeem.used",
            "a second redeem -> invite_used",
            ["HRT-OP-21", "HRT-INV-60"],
            redeem_used
        ),
        t!(
            "host.op.invite-redeem.expired",
            "an expired unused invite -> invite_expired; a used one stays invite_used",
            ["HRT-OP-22", "HRT-OP-21"],
            redeem_expired
        ),
        t!(
            "host.op.invite-redeem.weak-member-key",
            "a small-order MK or a bad pop -> bad_signature",
            ["HRT-OP-23", "HRT-KEY-23"],
            redeem_bad_mk
        ),
        t!(
            "host.op.invite-redeem.conflict",
            "MK already a member or pending -> conflict",
            ["HRT-OP-24"],
            redeem_conflict
        ),
        t!(
            "host.op.invite-redeem.max-pending",
            "beyond max_pending pending joins -> limit_exceeded",
            ["HRT-OP-25", "HRT-API-45"],
            redeem_max_pending
        ),
        t!(
            "host.op.invite-redeem.concurrent",
            "20 parallel redeems of one invite: exactly one ok, the rest invite_used",
            ["HRT-OP-26"],
            redeem_concurrent
        ),
        t!(
            "host.op.join-fetch.non-admin",
            "join.fetch by a plain member -> forbidden",
            ["HRT-OP-28"],
            join_fetch_non_admin
        ),
        t!(
            "host.op.invite-create.revoked-id",
            "the id of an invite revoked while unused is never assigned again -> conflict",
            ["HRT-OP-61", "HRT-OP-13"],
            create_revoked_id
        ),
        t!(
            "host.op.invite-revoke.declined",
            "revoking a declined invite -> invite_used, no effect; a redeem stays invite_used",
            ["HRT-OP-62", "HRT-INV-60"],
            revoke_declined
        ),
        t!(
            "host.op.join-fetch.order-and-removal",
            "pending joins in redemption order; added ones disappear",
            ["HRT-OP-29", "HRT-OP-42"],
            join_fetch_order
        ),
    ]
}

/// `invite.revoke` of invitation `id` by the channel's creator.
fn revoke_by_creator(ctx: &Ctx<'_>, ch: &Channel, id: &[u8; 16]) -> Exchange {
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

fn create_non_admin(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.channel_with_members()?;
    let (ex, _) = ctx.try_invite(&ch, 2);
    expect_code(&ex, ErrorCode::FORBIDDEN, None)?;
    let (ex, _) = ctx.try_invite(&ch, 1);
    expect_code(&ex, ErrorCode::OK, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn create_conflict(ctx: &Ctx<'_>) -> TestResult {
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

fn create_expiry(ctx: &Ctx<'_>) -> TestResult {
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

fn create_weak_key(ctx: &Ctx<'_>) -> TestResult {
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

fn create_order(ctx: &Ctx<'_>) -> TestResult {
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

fn create_max(ctx: &Ctx<'_>) -> TestResult {
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

fn revoke_unused(ctx: &Ctx<'_>) -> TestResult {
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

fn revoke_forbidden(ctx: &Ctx<'_>) -> TestResult {
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
    ch.roster.push(super::Member {
        key: mk,
        role: MEMBER,
    });
    Ok(inv)
}

fn revoke_added(ctx: &Ctx<'_>) -> TestResult {
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

fn revoke_pending(ctx: &Ctx<'_>) -> TestResult {
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

fn redeem_ok(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let inv = ctx.invite(&ch, 0)?;
    let mk = ctx.c.key();
    let sealed = ctx.c.with_rng(super::sealed);
    let body = ctx.redeem_body(&ch.id, &inv, &mk, &sealed);
    let rex = ctx.c.call(&inv.auth, op::INVITE_REDEEM, Some(ch.id), body);
    expect_code(&rex, ErrorCode::OK, None)?;
    let now = ctx.c.host_now();
    let jex = ctx.call_empty(ch.creator(), op::JOIN_FETCH, ch.id);
    let j: JoinFetchResult = expect_ok(&jex)?;
    let p = j
        .pending
        .as_slice()
        .first()
        .ok_or_else(|| Stop::fail("no pending join after redeem", &[&rex, &jex]))?;
    ensure(
        p.invite_id.0 == inv.id && p.member_key.0 == mk.public(),
        "pending join names another invite or key",
        &[&jex],
    )?;
    let stored = hearth_wire::WireEncode::to_vec(&p.sealed);
    ensure(
        stored == sealed,
        "the stored sealed value differs from the received one",
        &[&rex, &jex],
    )?;
    ensure(
        p.redeemed_at.0.abs_diff(now) <= 60,
        "redeemed_at is not the host's clock",
        &[&jex],
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn redeem_not_found(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let inv = ctx.invite(&ch, 0)?;
    let mk = ctx.c.key();
    let mut missing = ch.clone();
    missing.id = ctx.c.random::<16>();
    let wrong_auth = Invite {
        id: inv.id,
        auth: ctx.c.key(),
    };
    let unknown = Invite {
        id: ctx.c.random(),
        auth: inv.auth.clone(),
    };
    let a = ctx.redeem(&missing, &inv, &mk);
    let b = ctx.redeem(&ch, &wrong_auth, &mk);
    let c = ctx.redeem(&ch, &unknown, &mk);
    uniform_not_found(&a, &b)?;
    uniform_not_found(&a, &c)?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn redeem_used(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let inv = ctx.invite(&ch, 0)?;
    expect_code(&ctx.redeem(&ch, &inv, &ctx.c.key()), ErrorCode::OK, None)?;
    expect_code(
        &ctx.redeem(&ch, &inv, &ctx.c.key()),
        ErrorCode::INVITE_USED,
        None,
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

/// The host's clock as its latest answer shows it (`server_time` of a GET), falling back to the
/// harness's estimate.
fn host_clock(ctx: &Ctx<'_>) -> u64 {
    ctx.c
        .send(crate::target::HttpRequest::get_cbor())
        .server_time()
        .unwrap_or_else(|| ctx.c.host_now())
}

/// Attempts at an invitation that expires two seconds after the host's clock, used at once.
const EXPIRY_ATTEMPTS: usize = 5;

/// Creates an invite whose `expires` is two seconds after the host's clock as its last answer
/// showed it and, with `redeem`, redeems it at once. Only the host's clock decides when an
/// invitation expires (HRT-OP-14, HRT-OP-22), and a host may take longer than the harness
/// expects, so an `invalid_value` on create or an `invite_expired` on the redeem is retried with a
/// new invitation a few times instead of failing a correct host whose clock ticked meanwhile.
/// Returns the invite and its `expires`.
fn short_lived_invite(ctx: &Ctx<'_>, ch: &Channel, redeem: bool) -> Result<(Invite, u64), Stop> {
    let mut last = None;
    for _ in 0..EXPIRY_ATTEMPTS {
        let expires = host_clock(ctx) + 2;
        let inv = Invite {
            id: ctx.c.random(),
            auth: ctx.c.key(),
        };
        let body = ctx.invite_body(&inv.id, &inv.auth.public(), expires);
        let ex = ctx
            .c
            .call(ch.creator(), op::INVITE_CREATE, Some(ch.id), body);
        if ex.status() == Some(ErrorCode::MALFORMED) {
            last = Some(ex);
            continue;
        }
        expect_code(&ex, ErrorCode::OK, None)?;
        if redeem {
            let rex = ctx.redeem(ch, &inv, &ctx.c.key());
            if rex.status() == Some(ErrorCode::INVITE_EXPIRED) {
                last = Some(rex);
                continue;
            }
            expect_code(&rex, ErrorCode::OK, None)?;
        }
        return Ok((inv, expires));
    }
    let what = format!(
        "{EXPIRY_ATTEMPTS} invitations expiring 2 s after the host's clock were refused or expired before use"
    );
    Err(match last {
        Some(ex) => Stop::fail(what, &[&ex]),
        None => Stop::fail(what, &[]),
    })
}

fn redeem_expired(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let (used, e1) = short_lived_invite(ctx, &ch, true)?;
    let (unused, e2) = short_lived_invite(ctx, &ch, false)?;
    let expires = e1.max(e2);
    // Wait until the host's own clock (its `server_time`) is past `expires`: the invitation is
    // then expired by the host's clock, whatever the harness's clock says.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while host_clock(ctx) <= expires {
        if std::time::Instant::now() > deadline {
            return Err(Stop::fail(
                "the host's server_time did not pass an invitation's expires within 15 s",
                &[],
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    expect_code(
        &ctx.redeem(&ch, &unused, &ctx.c.key()),
        ErrorCode::INVITE_EXPIRED,
        None,
    )?;
    expect_code(
        &ctx.redeem(&ch, &used, &ctx.c.key()),
        ErrorCode::INVITE_USED,
        None,
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn redeem_bad_mk(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let inv = ctx.invite(&ch, 0)?;
    // Small-order MK with the cofactor forgery as pop.
    let sealed = ctx.c.with_rng(super::sealed);
    let body = encode_with(|e| {
        e.map(4)
            .uint(1)
            .bytes(&inv.id)
            .uint(2)
            .bytes(&hex_32(SMALL_ORDER[3]));
        e.uint(3).bytes(&cofactor_forgery()).uint(4).raw(&sealed);
    });
    expect_code(
        &ctx.c.call(&inv.auth, op::INVITE_REDEEM, Some(ch.id), body),
        ErrorCode::BAD_SIGNATURE,
        None,
    )?;
    // A pop by another key.
    let mk = ctx.c.key();
    let mut good = ctx.redeem_body(&ch.id, &inv, &ctx.c.key(), &sealed);
    // Replace the MK (bytes 20..52 after {1: h'16', 2: h'32'...}) with another valid key.
    let pos = 1 + 1 + 17 + 1 + 2;
    if let Some(slot) = good.get_mut(pos..pos + 32) {
        slot.copy_from_slice(&mk.public());
    }
    expect_code(
        &ctx.c.call(&inv.auth, op::INVITE_REDEEM, Some(ch.id), good),
        ErrorCode::BAD_SIGNATURE,
        None,
    )?;
    // The invite is still unused afterwards.
    expect_code(&ctx.redeem(&ch, &inv, &mk), ErrorCode::OK, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn redeem_conflict(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let inv = ctx.invite(&ch, 0)?;
    expect_code(
        &ctx.redeem(&ch, &inv, ch.creator()),
        ErrorCode::CONFLICT,
        None,
    )?;
    let mk = ctx.c.key();
    expect_code(&ctx.redeem(&ch, &inv, &mk), ErrorCode::OK, None)?;
    let inv2 = ctx.invite(&ch, 0)?;
    expect_code(&ctx.redeem(&ch, &inv2, &mk), ErrorCode::CONFLICT, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn redeem_max_pending(ctx: &Ctx<'_>) -> TestResult {
    let max = ctx.limits().max_pending;
    if max > 64 || max + 1 > ctx.limits().max_invites {
        return Err(Stop::NotApplicable(format!(
            "max_pending {max} not reachable within max_invites"
        )));
    }
    let ch = ctx.create_channel()?;
    for _ in 0..max {
        let inv = ctx.invite(&ch, 0)?;
        expect_code(&ctx.redeem(&ch, &inv, &ctx.c.key()), ErrorCode::OK, None)?;
    }
    let inv = ctx.invite(&ch, 0)?;
    expect_code(
        &ctx.redeem(&ch, &inv, &ctx.c.key()),
        ErrorCode::LIMIT_EXCEEDED,
        None,
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn redeem_concurrent(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let inv = ctx.invite(&ch, 0)?;
    let n = 20;
    let bodies: Vec<Vec<u8>> = (0..n)
        .map(|_| {
            let s = ctx.c.spec(op::INVITE_REDEEM, Some(ch.id), {
                let mk = ctx.c.key();
                let sealed = ctx.c.with_rng(super::sealed);
                ctx.redeem_body(&ch.id, &inv, &mk, &sealed)
            });
            crate::client::sign_request(&inv.auth, &s.encode())
        })
        .collect();
    let barrier = Barrier::new(n);
    let exs: Vec<Exchange> = std::thread::scope(|sc| {
        let hs: Vec<_> = bodies
            .into_iter()
            .map(|b| {
                let barrier = &barrier;
                let c = &ctx.c;
                sc.spawn(move || {
                    barrier.wait();
                    c.post_signed(b)
                })
            })
            .collect();
        hs.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let oks = exs
        .iter()
        .filter(|e| e.status() == Some(ErrorCode::OK))
        .count();
    let used = exs
        .iter()
        .filter(|e| e.status() == Some(ErrorCode::INVITE_USED))
        .count();
    let all: Vec<&Exchange> = exs.iter().collect();
    ensure(
        oks == 1 && used == n - 1,
        format!(
            "{oks} ok and {used} invite_used of {n} parallel redeems (expected 1 and {})",
            n - 1
        ),
        &all,
    )?;
    let jex = ctx.call_empty(ch.creator(), op::JOIN_FETCH, ch.id);
    let j: JoinFetchResult = expect_ok(&jex)?;
    ensure(
        j.pending.len() == 1,
        format!("{} pending joins after parallel redeems", j.pending.len()),
        &[&jex],
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn join_fetch_non_admin(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.channel_with_members()?;
    expect_code(
        &ctx.call_empty(ch.key(2), op::JOIN_FETCH, ch.id),
        ErrorCode::FORBIDDEN,
        None,
    )?;
    expect_code(
        &ctx.call_empty(ch.key(1), op::JOIN_FETCH, ch.id),
        ErrorCode::OK,
        None,
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn join_fetch_order(ctx: &Ctx<'_>) -> TestResult {
    let mut ch = ctx.create_channel()?;
    let mut keys = Vec::new();
    for _ in 0..3 {
        let inv = ctx.invite(&ch, 0)?;
        let mk = ctx.c.key();
        expect_code(&ctx.redeem(&ch, &inv, &mk), ErrorCode::OK, None)?;
        keys.push(mk);
    }
    let jex = ctx.call_empty(ch.creator(), op::JOIN_FETCH, ch.id);
    let j: JoinFetchResult = expect_ok(&jex)?;
    let got: Vec<[u8; 32]> = j
        .pending
        .as_slice()
        .iter()
        .map(|p| p.member_key.0)
        .collect();
    let want: Vec<[u8; 32]> = keys.iter().map(|k| k.public()).collect();
    ensure(
        got == want,
        "pending joins not in redemption order",
        &[&jex],
    )?;
    // Add the second one.
    let init = ctx.c.random::<32>();
    let spec = ctx.commit_spec(
        &ch,
        0,
        vec![gop::add(want.get(1).unwrap_or(&[0; 32]), &init, ADMIN)],
    );
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    let _: CommitPostResult = expect_ok(&ex)?;
    ch.epoch += 1;
    let jex = ctx.call_empty(ch.creator(), op::JOIN_FETCH, ch.id);
    let j: JoinFetchResult = expect_ok(&jex)?;
    let got: Vec<[u8; 32]> = j
        .pending
        .as_slice()
        .iter()
        .map(|p| p.member_key.0)
        .collect();
    ensure(
        got.iter().collect::<Vec<_>>()
            == [want.first(), want.get(2)]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>(),
        "after adding one, join.fetch does not list exactly the others in order",
        &[&ex, &jex],
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn create_revoked_id(ctx: &Ctx<'_>) -> TestResult {
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

fn revoke_declined(ctx: &Ctx<'_>) -> TestResult {
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
fn revoke_as_creator(ctx: &Ctx<'_>, ch: &Channel, id: &[u8; 16]) -> Exchange {
    ctx.c.call(
        ch.creator(),
        op::INVITE_REVOKE,
        Some(ch.id),
        revoke_body(id),
    )
}
