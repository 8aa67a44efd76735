//! Spec §8.3.3: what the nonce store records. Only the answers of steps 14 and 15 to an
//! entitled caller of an op with an effect are recorded (HRT-API-52); a stranger's request, a
//! body that does not decode and the ops without an effect are answered afresh each time
//! (HRT-API-53, HRT-API-54), so that strangers with free keys cannot fill the store. The
//! observable difference: a second request with the same (key, nonce) and other bytes is
//! `replay` only when the first was recorded, and a byte-identical retry of an unrecorded
//! request carries a new `server_time`.

use hearth_wire::request::Response;
use hearth_wire::{encode_with, ErrorCode, WireDecode};

use super::api::blob_put_spec;
use super::{ensure, expect_code, op, Ctx, EMPTY};
use crate::client::{sign_request, Exchange, Key, RequestSpec};
use crate::model::TestResult;
use crate::suite::HostTestDef;

/// The tests of this module.
pub fn tests() -> Vec<HostTestDef> {
    vec![
        t!(
            "host.api.nonce.stranger-not-recorded",
            "info, not_found and a failed owner signature leave no record: same nonce, other bytes -> answered, not replay",
            ["HRT-API-53", "HRT-API-54"],
            stranger_not_recorded
        ),
        t!(
            "host.api.nonce.stranger-retry-fresh",
            "a stranger's byte-identical retry gets a fresh answer (new server_time)",
            ["HRT-API-54", "HRT-API-53"],
            stranger_retry_fresh
        ),
        t!(
            "host.api.nonce.reads-not-recorded",
            "a member's log.fetch and a body that fails step 12 leave no record",
            ["HRT-API-53", "HRT-API-54"],
            reads_not_recorded
        ),
        t!(
            "host.api.nonce.entitled-recorded",
            "ok and step-14 errors of members and invite holders are recorded (variant -> replay)",
            ["HRT-API-52", "HRT-API-27"],
            entitled_recorded
        ),
    ]
}

/// Sends `first`, then the same (key, nonce) with `second`'s body and op; expects `code`
/// for the second (never `replay`: the first was not recorded).
fn same_nonce_other_bytes(
    ctx: &Ctx<'_>,
    key: &Key,
    first: &RequestSpec,
    mut second: RequestSpec,
    want_first: ErrorCode,
    want_second: ErrorCode,
) -> TestResult {
    let a = ctx.c.call_spec(key, first);
    expect_code(&a, want_first, None)?;
    second.nonce = first.nonce;
    let b = ctx.c.call_spec(key, &second);
    ensure(
        b.status() == Some(want_second),
        format!(
            "a request with the nonce of an unrecorded {:?} answer was answered {:?}, expected {:?} (HRT-API-53, HRT-API-54)",
            want_first,
            b.status(),
            want_second
        ),
        &[&a, &b],
    )
}

fn stranger_not_recorded(ctx: &Ctx<'_>) -> TestResult {
    let stranger = ctx.c.key();
    // info (op 0): anyone may ask, nobody is entitled.
    let info = ctx.c.spec(op::INFO, None, EMPTY.to_vec());
    let mut info2 = info.clone();
    info2.ts = info.ts.saturating_sub(1);
    same_nonce_other_bytes(ctx, &stranger, &info, info2, ErrorCode::OK, ErrorCode::OK)?;
    // not_found at step 13: a channel the stranger is not a member of.
    let ch = ctx.create_channel()?;
    let read = ctx.c.spec(
        op::BLOB_PUT,
        Some(ch.id),
        blob_put_spec(ctx, &ch, b"x").body,
    );
    let read2 = ctx.c.spec(
        op::BLOB_PUT,
        Some(ch.id),
        blob_put_spec(ctx, &ch, b"y").body,
    );
    same_nonce_other_bytes(
        ctx,
        &stranger,
        &read,
        read2,
        ErrorCode::NOT_FOUND,
        ErrorCode::NOT_FOUND,
    )?;
    // channel.create whose owner signature does not verify: forbidden, not recorded.
    let id = ctx.c.random::<16>();
    let bad = ctx.create_body(1, &[7u8; 64]);
    let create = ctx.c.spec(op::CHANNEL_CREATE, Some(id), bad);
    let create2 = ctx
        .c
        .spec(op::CHANNEL_CREATE, Some(id), ctx.create_body(1, &[8u8; 64]));
    same_nonce_other_bytes(
        ctx,
        &stranger,
        &create,
        create2,
        ErrorCode::FORBIDDEN,
        ErrorCode::FORBIDDEN,
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn stranger_retry_fresh(ctx: &Ctx<'_>) -> TestResult {
    let stranger = ctx.c.key();
    let ch = ctx.create_channel()?;
    let s = ctx
        .c
        .spec(op::LOG_FETCH, Some(ch.id), super::log_body(0, 1));
    let signed = sign_request(&stranger, &s.encode());
    let first = ctx.c.post_signed(signed.clone());
    expect_code(&first, ErrorCode::NOT_FOUND, None)?;
    // Let the host's clock move so that a fresh answer differs in server_time.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = ctx.c.post_signed(signed);
    expect_code(&second, ErrorCode::NOT_FOUND, None)?;
    let t = |e: &Exchange| Response::decode(e.body()).ok().map(|r| r.server_time.0);
    ensure(
        t(&first).is_some() && t(&first) != t(&second),
        "a stranger's byte-identical retry got the stored answer (same server_time), so the host recorded a stranger's request (HRT-API-53, HRT-API-54)",
        &[&first, &second],
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn reads_not_recorded(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let key = ch.creator().clone();
    // log.fetch has no effect: not recorded.
    let a = ctx
        .c
        .spec(op::LOG_FETCH, Some(ch.id), super::log_body(0, 10));
    let b = ctx
        .c
        .spec(op::LOG_FETCH, Some(ch.id), super::log_body(0, 11));
    same_nonce_other_bytes(ctx, &key, &a, b, ErrorCode::OK, ErrorCode::OK)?;
    // A blob.put whose body fails step 12: not recorded; the valid request with the same
    // nonce is then carried out.
    let bad = ctx.c.spec(
        op::BLOB_PUT,
        Some(ch.id),
        encode_with(|e| {
            e.map(1).uint(1).text("not bytes");
        }),
    );
    let good = blob_put_spec(ctx, &ch, b"after a body error");
    same_nonce_other_bytes(ctx, &key, &bad, good, ErrorCode::MALFORMED, ErrorCode::OK)?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn entitled_recorded(ctx: &Ctx<'_>) -> TestResult {
    let mut ch = ctx.create_channel()?;
    ctx.add_members(&mut ch, &[super::MEMBER])?;
    // A member's ok.
    let mut s = blob_put_spec(ctx, &ch, b"one");
    expect_code(&ctx.c.call_spec(ch.key(1), &s), ErrorCode::OK, None)?;
    s.body = blob_put_spec(ctx, &ch, b"two").body;
    expect_code(&ctx.c.call_spec(ch.key(1), &s), ErrorCode::REPLAY, None)?;
    // The invite holder's step-14 error: a second redeem of a used invite.
    let inv = ctx.invite(&ch, 0)?;
    expect_code(&ctx.redeem(&ch, &inv, &ctx.c.key()), ErrorCode::OK, None)?;
    let mk = ctx.c.key();
    let sealed = ctx.c.with_rng(super::fixtures::sealed);
    let mut r = ctx.c.spec(
        op::INVITE_REDEEM,
        Some(ch.id),
        ctx.redeem_body(&ch.id, &inv, &mk, &sealed),
    );
    expect_code(
        &ctx.c.call_spec(&inv.auth, &r),
        ErrorCode::INVITE_USED,
        None,
    )?;
    r.ts = r.ts.saturating_sub(1);
    expect_code(&ctx.c.call_spec(&inv.auth, &r), ErrorCode::REPLAY, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}
