//! `invite.redeem` (spec §8.5.6): success, unknown, used and expired invitations, weak member
//! keys, conflicts, `max_pending`, concurrent redeems.

use std::sync::Barrier;

use hearth_wire::request::JoinFetchResult;
use hearth_wire::{encode_with, ErrorCode};

use crate::client::Exchange;
use crate::model::{Stop, TestResult};
use crate::suite::api::{cofactor_forgery, hex_32, uniform_not_found, SMALL_ORDER};
use crate::suite::{ensure, expect_code, expect_ok, op, Channel, Ctx, Invite};

pub(super) fn redeem_ok(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let inv = ctx.invite(&ch, 0)?;
    let mk = ctx.c.key();
    let sealed = ctx.c.with_rng(crate::suite::sealed);
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

pub(super) fn redeem_not_found(ctx: &Ctx<'_>) -> TestResult {
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

pub(super) fn redeem_used(ctx: &Ctx<'_>) -> TestResult {
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
pub(super) fn host_clock(ctx: &Ctx<'_>) -> u64 {
    ctx.c
        .send(crate::target::HttpRequest::get_cbor())
        .server_time()
        .unwrap_or_else(|| ctx.c.host_now())
}

/// Attempts at an invitation that expires two seconds after the host's clock, used at once.
pub(super) const EXPIRY_ATTEMPTS: usize = 5;

/// Creates an invite whose `expires` is two seconds after the host's clock as its last answer
/// showed it and, with `redeem`, redeems it at once. Only the host's clock decides when an
/// invitation expires (HRT-OP-14, HRT-OP-22), and a host may take longer than the harness
/// expects, so an `invalid_value` on create or an `invite_expired` on the redeem is retried with a
/// new invitation a few times instead of failing a correct host whose clock ticked meanwhile.
/// Returns the invite and its `expires`.
pub(super) fn short_lived_invite(
    ctx: &Ctx<'_>,
    ch: &Channel,
    redeem: bool,
) -> Result<(Invite, u64), Stop> {
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

pub(super) fn redeem_expired(ctx: &Ctx<'_>) -> TestResult {
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

pub(super) fn redeem_bad_mk(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let inv = ctx.invite(&ch, 0)?;
    // Small-order MK with the cofactor forgery as pop.
    let sealed = ctx.c.with_rng(crate::suite::sealed);
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

pub(super) fn redeem_conflict(ctx: &Ctx<'_>) -> TestResult {
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

pub(super) fn redeem_max_pending(ctx: &Ctx<'_>) -> TestResult {
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

pub(super) fn redeem_concurrent(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let inv = ctx.invite(&ch, 0)?;
    let n = 20;
    let bodies: Vec<Vec<u8>> = (0..n)
        .map(|_| {
            let s = ctx.c.spec(op::INVITE_REDEEM, Some(ch.id), {
                let mk = ctx.c.key();
                let sealed = ctx.c.with_rng(crate::suite::sealed);
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
