//! Spec §3.5.5 and §4.8: Ed25519 at the host, per role. The host suite sends the edge cases of
//! `vectors/ed25519.json`, built afresh over this run's requests by
//! `hearth_crypto::hazmat::ed25519::forge`: a host that accepts what every role must reject fails, and a
//! host on a strict cofactorless verifier (libsodium, `verify_strict`) that rejects what a host
//! may reject passes.

use hearth_crypto::hazmat::ed25519::forge::{self, Edge};
use hearth_crypto::hazmat::{label, labelled};
use hearth_wire::ErrorCode;

use super::{expect_code, expect_one_of, op, Ctx, EMPTY};
use crate::client::assemble_signed;
use crate::model::{Stop, TestResult};
use crate::suite::HostTestDef;

/// The tests of this module.
pub fn tests() -> Vec<HostTestDef> {
    vec![
        t!(
            "host.ed25519.signature.must-reject",
            "small-order, non-canonical and off-curve A or R (both equations holding on the decoded points), S >= L, a wrong S -> bad_signature",
            ["HRT-CRYPTO-45", "HRT-CRYPTO-13", "HRT-CRYPTO-14", "HRT-CRYPTO-15", "HRT-CRYPTO-16", "HRT-CRYPTO-17", "HRT-API-20", "HRT-API-21"],
            must_reject
        ),
        t!(
            "host.ed25519.signature.may-reject",
            "valid signatures with a mixed-order A or R (cofactored-only and both-equation cases) -> ok or bad_signature; an honest one -> ok",
            ["HRT-CRYPTO-45", "HRT-CRYPTO-46", "HRT-KEY-29"],
            may_reject
        ),
        t!(
            "host.ed25519.keys.invite-auth",
            "invite_auth keys off the curve, non-canonical (of mixed order) or of order 4 -> bad_signature; a mixed-order key -> ok or bad_signature",
            ["HRT-KEY-23", "HRT-OP-15", "HRT-KEY-29"],
            invite_auth_keys
        ),
        t!(
            "host.ed25519.keys.member-and-rotate",
            "an invite.redeem MK or a RotateOp key off the curve or non-canonical (of mixed order) -> bad_signature; of mixed order -> ok or bad_signature",
            ["HRT-KEY-23", "HRT-OP-23", "HRT-OP-35", "HRT-KEY-29"],
            member_and_rotate_keys
        ),
    ]
}

/// Prefixes a failure's message with the case it was about.
fn about(s: Stop, what: impl core::fmt::Display) -> Stop {
    match s {
        Stop::Fail(mut f) => {
            f.message = format!("{what}: {}", f.message);
            Stop::Fail(f)
        }
        other => other,
    }
}

/// A signed `info` request carrying `edge`, built over a fresh request: `(SignedRequest bytes)`.
fn forged_info(ctx: &Ctx<'_>, edge: Edge) -> Result<Vec<u8>, Stop> {
    let seed: [u8; 32] = ctx.c.random();
    let mut last = Vec::new();
    let f = forge::forge(edge, &seed, || {
        last = ctx.c.spec(op::INFO, None, EMPTY.to_vec()).encode();
        labelled::signing_input(label::REQUEST, |e| {
            e.bytes(&last);
        })
    })
    .ok_or_else(|| Stop::fail(format!("no request met the condition of {edge:?}"), &[]))?;
    Ok(assemble_signed(1, &f.public_key, &last, &f.signature))
}

fn must_reject(ctx: &Ctx<'_>) -> TestResult {
    for edge in Edge::ALL.into_iter().filter(|e| !e.client_accepts()) {
        let ex = ctx.c.post_raw(forged_info(ctx, edge)?);
        expect_code(&ex, ErrorCode::BAD_SIGNATURE, None)
            .map_err(|s| about(s, format!("edge case {}", edge.slug())))?;
    }
    Ok(())
}

fn may_reject(ctx: &Ctx<'_>) -> TestResult {
    let ex = ctx.c.post_raw(forged_info(ctx, Edge::Honest)?);
    expect_code(&ex, ErrorCode::OK, None).map_err(|s| about(s, "an honest signature"))?;
    for edge in Edge::ALL.into_iter().filter(|e| e.host_may_reject()) {
        let ex = ctx.c.post_raw(forged_info(ctx, edge)?);
        expect_one_of(
            &ex,
            &[(ErrorCode::OK, None), (ErrorCode::BAD_SIGNATURE, None)],
        )
        .map_err(|s| about(s, format!("edge case {}", edge.slug())))?;
    }
    Ok(())
}

/// `y = v` (canonical) or `y = p + v` (non-canonical), sign bit clear.
fn y(v: u8, p_plus: bool) -> [u8; 32] {
    let mut b = [0u8; 32];
    if p_plus {
        b = [0xff; 32];
        b[0] = 0xed + v;
        b[31] = 0x7f;
    } else {
        b[0] = v;
    }
    b
}

fn invite_auth_keys(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let invalid = [
        ("off-curve y = 2", forge::OFF_CURVE),
        ("off-curve y = p + 2", y(2, true)),
        ("non-canonical y = p + 3 (mixed order)", y(3, true)),
        ("negative zero", forge::IDENTITY_NEG_ZERO),
        ("y = 0 (order 4)", y(0, false)),
    ];
    let result = (|| {
        for (what, k) in invalid {
            let body = ctx.invite_body(&ctx.c.random(), &k, ctx.c.host_now() + 600);
            let ex = ctx
                .c
                .call(ch.creator(), op::INVITE_CREATE, Some(ch.id), body);
            expect_code(&ex, ErrorCode::BAD_SIGNATURE, None)
                .map_err(|s| about(s, format!("invite_auth key {what}")))?;
        }
        let mixed = forge::mixed_order_key(&ctx.c.random());
        let body = ctx.invite_body(&ctx.c.random(), &mixed, ctx.c.host_now() + 600);
        let ex = ctx
            .c
            .call(ch.creator(), op::INVITE_CREATE, Some(ch.id), body);
        expect_one_of(
            &ex,
            &[(ErrorCode::OK, None), (ErrorCode::BAD_SIGNATURE, None)],
        )
        .map_err(|s| about(s, "a mixed-order invite_auth key"))?;
        Ok(())
    })();
    ctx.delete_channel(&ch);
    result
}

/// `InviteRedeemBody` with member key `mk` and an arbitrary 64-byte `pop` (the host checks the
/// key before the proof, HRT-OP-23).
fn redeem_with_key(ctx: &Ctx<'_>, inv: &super::Invite, mk: &[u8; 32]) -> Vec<u8> {
    let sealed = ctx.c.with_rng(super::sealed);
    let pop: [u8; 64] = ctx.c.random();
    hearth_wire::encode_with(|e| {
        e.map(4).uint(1).bytes(&inv.id).uint(2).bytes(mk);
        e.uint(3).bytes(&pop).uint(4).raw(&sealed);
    })
}

fn member_and_rotate_keys(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let result = (|| {
        for (what, k) in [
            ("off-curve y = 2", forge::OFF_CURVE),
            ("non-canonical y = p + 3 (mixed order)", y(3, true)),
        ] {
            let inv = ctx.invite(&ch, 0)?;
            let ex = ctx.c.call(
                &inv.auth,
                op::INVITE_REDEEM,
                Some(ch.id),
                redeem_with_key(ctx, &inv, &k),
            );
            expect_code(&ex, ErrorCode::BAD_SIGNATURE, None)
                .map_err(|s| about(s, format!("invite.redeem MK {what}")))?;
            let spec = ctx.commit_spec(&ch, 0, vec![super::gop::rotate(&k)]);
            let (ex, _) = ctx.post_commit(&ch, 0, &spec);
            expect_code(&ex, ErrorCode::BAD_SIGNATURE, None)
                .map_err(|s| about(s, format!("RotateOp key {what}")))?;
        }
        // A mixed-order RotateOp key: a host may take it or refuse it (HRT-KEY-29). The
        // channel is deleted afterwards either way.
        let mixed = forge::mixed_order_key(&ctx.c.random());
        let spec = ctx.commit_spec(&ch, 0, vec![super::gop::rotate(&mixed)]);
        let (ex, _) = ctx.post_commit(&ch, 0, &spec);
        expect_one_of(
            &ex,
            &[(ErrorCode::OK, None), (ErrorCode::BAD_SIGNATURE, None)],
        )
        .map_err(|s| about(s, "a mixed-order RotateOp key"))?;
        Ok(())
    })();
    ctx.delete_channel(&ch);
    result
}
