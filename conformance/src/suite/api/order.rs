//! Spec §8.4: the check order, one pair of adjacent steps per test.

use hearth_wire::ErrorCode;

use super::replay::blob_put_spec;
use super::transport::info_spec;
use crate::client::{assemble_signed, sign_request};
use crate::model::TestResult;
use crate::suite::HostTestDef;
use crate::suite::{expect_code, expect_detail, op, Ctx};
use crate::target::HttpRequest;

/// The tests of this module.
pub fn tests() -> Vec<HostTestDef> {
    vec![
        t!(
            "host.api.order.media-type-before-size",
            "wrong media type and oversize -> wrong_content_type (step 1 before 2)",
            ["HRT-API-15"],
            order_1_2
        ),
        t!(
            "host.api.order.size-before-profile",
            "oversize garbage -> too_large (step 2 before 3)",
            ["HRT-API-15"],
            order_2_3
        ),
        t!(
            "host.api.order.profile-before-version",
            "version 2 with trailing bytes -> malformed/trailing_bytes (step 3 before 4)",
            ["HRT-API-15"],
            order_3_4
        ),
        t!(
            "host.api.order.version-before-signature",
            "version 2 and a bad signature -> unsupported_version (step 4 before 5)",
            ["HRT-API-15"],
            order_4_5
        ),
        t!(
            "host.api.order.signature-before-inner-profile",
            "bad signature over garbage request_bytes -> bad_signature (step 5 before 6)",
            ["HRT-API-15", "HRT-WIRE-20"],
            order_5_6
        ),
        t!(
            "host.api.order.inner-profile-before-op",
            "unknown op with an unknown key -> malformed/unknown_key (step 6 before 7)",
            ["HRT-API-15"],
            order_6_7
        ),
        t!(
            "host.api.order.op-before-host",
            "unknown op and wrong host -> unsupported_op (step 7 before 8)",
            ["HRT-API-15"],
            order_7_8
        ),
        t!(
            "host.api.order.host-before-time",
            "wrong host and stale ts -> wrong_host (step 8 before 9)",
            ["HRT-API-15"],
            order_8_9
        ),
        t!(
            "host.api.order.time-before-nonce",
            "stale variant of a recorded nonce -> stale_timestamp (step 9 before 10)",
            ["HRT-API-15", "HRT-API-52"],
            order_9_10
        ),
        t!(
            "host.api.order.nonce-before-body",
            "replay with a malformed body -> replay (step 10 before 12)",
            ["HRT-API-15", "HRT-API-52"],
            order_10_12
        ),
        t!(
            "host.api.order.body-before-authorisation",
            "malformed body on a missing channel -> malformed (step 12 before 13)",
            ["HRT-API-15", "HRT-API-26"],
            order_12_13
        ),
        t!(
            "host.api.order.authorisation-before-op-checks",
            "non-member with invalid op arguments -> not_found (step 13 before 14)",
            ["HRT-API-15"],
            order_13_14
        ),
    ]
}

fn order_1_2(ctx: &Ctx<'_>) -> TestResult {
    let max = ctx.limits().max_request.min(64 * 1024 * 1024) as usize;
    let ex = ctx.c.send(HttpRequest {
        method: "POST".into(),
        content_type: Some("text/plain".into()),
        body: vec![0u8; max + 1],
        ..HttpRequest::default()
    });
    expect_detail(&ex, ErrorCode::WRONG_CONTENT_TYPE)?;
    Ok(())
}

fn order_2_3(ctx: &Ctx<'_>) -> TestResult {
    let max = ctx.limits().max_request.min(64 * 1024 * 1024) as usize;
    let ex = ctx.c.post_raw(vec![0xff; max + 1]);
    expect_code(&ex, ErrorCode::TOO_LARGE, None)?;
    Ok(())
}

fn order_3_4(ctx: &Ctx<'_>) -> TestResult {
    let key = ctx.c.key();
    let rb = info_spec(ctx).encode();
    let sig = key.sign(hearth_crypto::hazmat::label::REQUEST, |e| {
        e.bytes(&rb);
    });
    let mut body = assemble_signed(2, &key.public(), &rb, &sig);
    body.push(0x00);
    expect_detail(&ctx.c.post_raw(body), ErrorCode::TRAILING_BYTES)?;
    Ok(())
}

fn order_4_5(ctx: &Ctx<'_>) -> TestResult {
    let key = ctx.c.key();
    let rb = info_spec(ctx).encode();
    let ex = ctx
        .c
        .post_raw(assemble_signed(2, &key.public(), &rb, &[9u8; 64]));
    expect_code(&ex, ErrorCode::UNSUPPORTED_VERSION, None)?;
    Ok(())
}

fn order_5_6(ctx: &Ctx<'_>) -> TestResult {
    let key = ctx.c.key();
    for rb in [vec![0xff, 0x00], vec![0xa1, 0x61, 0x61, 0x00], Vec::new()] {
        let ex = ctx
            .c
            .post_raw(assemble_signed(1, &key.public(), &rb, &[9u8; 64]));
        expect_code(&ex, ErrorCode::BAD_SIGNATURE, None)?;
    }
    Ok(())
}

fn order_6_7(ctx: &Ctx<'_>) -> TestResult {
    let key = ctx.c.key();
    let mut s = info_spec(ctx);
    s.op = 4242;
    s.channel_id = Some([1; 16]);
    let mut rb = s.encode();
    // Append key 8 => 0 and bump the map count (5 + channel = 6 entries -> 7).
    if let Some(first) = rb.first_mut() {
        *first += 1;
    }
    rb.extend_from_slice(&[0x08, 0x00]);
    let ex = ctx.c.post_raw(sign_request(&key, &rb));
    expect_detail(&ex, ErrorCode::UNKNOWN_KEY)?;
    Ok(())
}

fn order_7_8(ctx: &Ctx<'_>) -> TestResult {
    let mut s = info_spec(ctx);
    s.op = 4242;
    s.host_url.push('x');
    let ex = ctx.c.call_spec(&ctx.c.key(), &s);
    expect_code(&ex, ErrorCode::UNSUPPORTED_OP, None)?;
    Ok(())
}

fn order_8_9(ctx: &Ctx<'_>) -> TestResult {
    let mut s = info_spec(ctx);
    s.host_url.push('x');
    s.ts -= 1000;
    let ex = ctx.c.call_spec(&ctx.c.key(), &s);
    expect_code(&ex, ErrorCode::WRONG_HOST, None)?;
    Ok(())
}

fn order_9_10(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let key = ch.creator().clone();
    let mut s = blob_put_spec(ctx, &ch, b"recorded");
    expect_code(&ctx.c.call_spec(&key, &s), ErrorCode::OK, None)?;
    s.ts -= 1000;
    expect_code(&ctx.c.call_spec(&key, &s), ErrorCode::STALE_TIMESTAMP, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn order_10_12(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let key = ch.creator().clone();
    let mut s = blob_put_spec(ctx, &ch, b"recorded");
    expect_code(&ctx.c.call_spec(&key, &s), ErrorCode::OK, None)?;
    s.body = vec![0xa1, 0x09, 0x00];
    expect_code(&ctx.c.call_spec(&key, &s), ErrorCode::REPLAY, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn order_12_13(ctx: &Ctx<'_>) -> TestResult {
    let key = ctx.c.key();
    // log.fetch on a missing channel with `since` as a text string.
    let body = vec![0xa2, 0x01, 0x61, 0x78, 0x02, 0x01];
    let ex = ctx
        .c
        .call(&key, op::LOG_FETCH, Some(ctx.c.random::<16>()), body);
    expect_detail(&ex, ErrorCode::WRONG_TYPE)?;
    Ok(())
}

fn order_13_14(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let outsider = ctx.c.key();
    // Expired invite by a non-member: not_found, not malformed.
    let body = ctx.invite_body(&ctx.c.random(), &ctx.c.key().public(), 1);
    let ex = ctx.c.call(&outsider, op::INVITE_CREATE, Some(ch.id), body);
    expect_code(&ex, ErrorCode::NOT_FOUND, None)?;
    // log.fetch with limit 0 by a non-member: not_found.
    let ex = ctx.c.call(
        &outsider,
        op::LOG_FETCH,
        Some(ch.id),
        crate::suite::log_body(99, 0),
    );
    expect_code(&ex, ErrorCode::NOT_FOUND, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}
