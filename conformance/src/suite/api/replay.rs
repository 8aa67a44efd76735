//! Spec §8.6: the nonce store (replay, byte-identical retries, what is recorded).

use std::sync::Barrier;

use hearth_wire::request::AppendResult;
use hearth_wire::{encode_with, ErrorCode};

use super::transport::info_spec;
use crate::client::{assemble_signed, sign_request, Exchange, RequestSpec};
use crate::model::{Stop, TestResult};
use crate::suite::HostTestDef;
use crate::suite::{answered, ensure, expect_code, expect_ok, op, Ctx, EMPTY};

/// The tests of this module.
pub fn tests() -> Vec<HostTestDef> {
    vec![
        t!(
            "host.api.replay.different-bytes",
            "same (key, nonce) with different bytes -> replay",
            ["HRT-API-27", "HRT-API-12", "HRT-API-52"],
            replay_different
        ),
        t!(
            "host.api.replay.byte-identical-retry",
            "an identical retry returns the stored response bytes and has no effect",
            ["HRT-API-28", "HRT-LOG-2"],
            replay_identical
        ),
        t!(
            "host.api.replay.errors-recorded",
            "step-14 errors to an entitled caller are recorded (retry identical, variant -> replay)",
            ["HRT-API-52"],
            replay_errors_recorded
        ),
        t!(
            "host.api.replay.early-failures-not-recorded",
            "failures at steps 1-9 leave no nonce record",
            ["HRT-API-31"],
            replay_early_not_recorded
        ),
        t!(
            "host.api.replay.concurrent-identical",
            "parallel identical requests: one effect, identical answers",
            ["HRT-API-56"],
            replay_concurrent
        ),
    ]
}

/// A recorded request (HRT-API-52): `blob.put` by a member, an op with an effect.
pub fn blob_put_spec(ctx: &Ctx<'_>, ch: &crate::suite::Channel, data: &[u8]) -> RequestSpec {
    ctx.c.spec(
        op::BLOB_PUT,
        Some(ch.id),
        encode_with(|e| {
            e.map(1).uint(1).bytes(data);
        }),
    )
}

fn replay_different(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let key = ch.creator().clone();
    let mut s = blob_put_spec(ctx, &ch, b"first");
    let first = ctx.c.call_spec(&key, &s);
    expect_code(&first, ErrorCode::OK, None)?;
    s.body = blob_put_spec(ctx, &ch, b"second").body;
    let second = ctx.c.call_spec(&key, &s);
    expect_code(&second, ErrorCode::REPLAY, None)?;
    // A different op with the same nonce as well.
    let mut s2 = ctx.c.spec(op::INFO, None, EMPTY.to_vec());
    s2.nonce = s.nonce;
    expect_code(&ctx.c.call_spec(&key, &s2), ErrorCode::REPLAY, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn replay_identical(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let env = ctx.envelope_from(&ch, 0);
    let s = ctx
        .c
        .spec(op::MSG_POST, Some(ch.id), crate::suite::msg_body(&env));
    let signed = sign_request(ch.creator(), &s.encode());
    let first = ctx.c.post_signed(signed.clone());
    let _: AppendResult = expect_ok(&first)?;
    // Let the host's clock move so that a recomputed response would differ in server_time.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = ctx.c.post_signed(signed);
    answered(&second)?;
    ensure(
        second.body() == first.body(),
        "the retry's response bytes differ from the original (HRT-API-28)",
        &[&first, &second],
    )?;
    let (log, ex) = ctx.fetch_log(&ch, 0, 0, 10)?;
    ensure(
        log.tip.0 == 2,
        format!("the retry had an effect: tip {} (expected 2)", log.tip.0),
        &[&first, &second, &ex],
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn replay_errors_recorded(ctx: &Ctx<'_>) -> TestResult {
    let mut ch = ctx.create_channel()?;
    ctx.add_members(&mut ch, &[crate::suite::MEMBER])?;
    // A plain member asking for invite.create: forbidden at step 14, recorded.
    let body = ctx.invite_body(
        &ctx.c.random(),
        &ctx.c.key().public(),
        ctx.c.host_now() + 600,
    );
    let s = ctx.c.spec(op::INVITE_CREATE, Some(ch.id), body);
    let signed = sign_request(ch.key(1), &s.encode());
    let first = ctx.c.post_signed(signed.clone());
    expect_code(&first, ErrorCode::FORBIDDEN, None)?;
    std::thread::sleep(std::time::Duration::from_millis(1050));
    let again = ctx.c.post_signed(signed);
    ensure(
        again.body() == first.body(),
        "the identical retry of a forbidden request did not return the stored bytes",
        &[&first, &again],
    )?;
    let mut variant = s.clone();
    variant.ts += 1;
    let v = ctx.c.call_spec(ch.key(1), &variant);
    expect_code(&v, ErrorCode::REPLAY, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn replay_early_not_recorded(ctx: &Ctx<'_>) -> TestResult {
    let key = ctx.c.key();
    // Step 8 failure, then a valid request with the same nonce.
    let mut s = info_spec(ctx);
    s.host_url.push('x');
    expect_code(&ctx.c.call_spec(&key, &s), ErrorCode::WRONG_HOST, None)?;
    s.host_url = ctx.c.host_url.clone();
    expect_code(&ctx.c.call_spec(&key, &s), ErrorCode::OK, None)?;
    // Step 9 failure, then fresh with the same nonce.
    let mut s = info_spec(ctx);
    s.ts -= 1000;
    expect_code(&ctx.c.call_spec(&key, &s), ErrorCode::STALE_TIMESTAMP, None)?;
    s.ts = ctx.c.host_now();
    expect_code(&ctx.c.call_spec(&key, &s), ErrorCode::OK, None)?;
    // Step 7 failure, then a valid op with the same nonce.
    let mut s = info_spec(ctx);
    s.op = 4242;
    expect_code(&ctx.c.call_spec(&key, &s), ErrorCode::UNSUPPORTED_OP, None)?;
    s.op = op::INFO;
    expect_code(&ctx.c.call_spec(&key, &s), ErrorCode::OK, None)?;
    // Step 5 failure (bad signature), then the correctly signed request.
    let s = info_spec(ctx);
    let rb = s.encode();
    let ex = ctx
        .c
        .post_raw(assemble_signed(1, &key.public(), &rb, &[7u8; 64]));
    expect_code(&ex, ErrorCode::BAD_SIGNATURE, None)?;
    expect_code(&ctx.c.call_spec(&key, &s), ErrorCode::OK, None)?;
    Ok(())
}

fn replay_concurrent(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let env = ctx.envelope_from(&ch, 0);
    let s = ctx
        .c
        .spec(op::MSG_POST, Some(ch.id), crate::suite::msg_body(&env));
    let signed = sign_request(ch.creator(), &s.encode());
    let n = 8;
    let barrier = Barrier::new(n);
    let exs: Vec<Exchange> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..n)
            .map(|_| {
                let signed = signed.clone();
                let barrier = &barrier;
                let c = &ctx.c;
                sc.spawn(move || {
                    barrier.wait();
                    c.post_signed(signed)
                })
            })
            .collect();
        hs.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let oks: Vec<&Exchange> = exs
        .iter()
        .filter(|e| e.status() == Some(ErrorCode::OK))
        .collect();
    let first = oks
        .first()
        .copied()
        .ok_or_else(|| Stop::fail("no parallel copy got ok", &exs.iter().collect::<Vec<_>>()))?;
    for e in &exs {
        let st = e.status();
        ensure(
            st == Some(ErrorCode::INTERNAL) || e.body() == first.body(),
            "parallel identical requests got different answers (HRT-API-56)",
            &[first, e],
        )?;
    }
    let (log, ex) = ctx.fetch_log(&ch, 0, 0, 100)?;
    ensure(
        log.tip.0 == 2,
        format!(
            "{} entries appended for one request",
            log.tip.0.saturating_sub(1)
        ),
        &[first, &ex],
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}
