//! The structure classes of spec §2: map keys (type, order, duplicates, unknown, missing),
//! wrong types and sizes, invalid values, nested items, the extension count, the first
//! violation, and an op beyond the range.

use hearth_wire::{encode_with, ErrorCode};

use super::raw::base;
use super::raw::expect_raw;
use super::raw::keys_4_to_6;
use super::raw::raw_request;
use super::raw::signed_raw;
use super::raw::with_ts_raw;
use crate::client::sign_request;
use crate::model::TestResult;
use crate::suite::{expect_code, expect_detail, op, Ctx, EMPTY};

pub(super) fn non_uint_key(ctx: &Ctx<'_>) -> TestResult {
    for key in [vec![0x61, 0x61], vec![0x20], vec![0x41, 0x01]] {
        let rb = raw_request(ctx, |e, s| {
            e.map(6)
                .raw(&key)
                .uint(0)
                .uint(1)
                .uint(0)
                .uint(2)
                .text(&s.host_url);
            keys_4_to_6(e, s);
        });
        expect_raw(ctx, &rb, ErrorCode::NON_UINT_KEY)?;
    }
    Ok(())
}

pub(super) fn misordered(ctx: &Ctx<'_>) -> TestResult {
    let rb = raw_request(ctx, |e, s| {
        e.map(5).uint(2).text(&s.host_url).uint(1).uint(0);
        keys_4_to_6(e, s);
    });
    expect_raw(ctx, &rb, ErrorCode::MISORDERED_KEY)?;
    Ok(())
}

pub(super) fn duplicate(ctx: &Ctx<'_>) -> TestResult {
    let rb = raw_request(ctx, |e, s| {
        e.map(6)
            .uint(1)
            .uint(0)
            .uint(1)
            .uint(0)
            .uint(2)
            .text(&s.host_url);
        keys_4_to_6(e, s);
    });
    expect_raw(ctx, &rb, ErrorCode::DUPLICATE_KEY)?;
    Ok(())
}

pub(super) fn wrong_type(ctx: &Ctx<'_>) -> TestResult {
    // op as text; ts as bytes; ts as null.
    for ts in [vec![0x61, 0x31], vec![0x41, 0x01], vec![0xf6], vec![0xf5]] {
        let rb = with_ts_raw(ctx, &ts);
        expect_raw(ctx, &rb, ErrorCode::WRONG_TYPE)?;
    }
    // host_url as a byte string.
    let rb = raw_request(ctx, |e, s| {
        e.map(5)
            .uint(1)
            .uint(0)
            .uint(2)
            .bytes(s.host_url.as_bytes());
        keys_4_to_6(e, s);
    });
    expect_raw(ctx, &rb, ErrorCode::WRONG_TYPE)?;
    // The SignedRequest as a map.
    expect_detail(&ctx.c.post_raw(vec![0xa0]), ErrorCode::WRONG_TYPE)?;
    Ok(())
}

pub(super) fn wrong_size(ctx: &Ctx<'_>) -> TestResult {
    for n in [15usize, 17, 0] {
        let rb = raw_request(ctx, |e, s| {
            e.map(5)
                .uint(1)
                .uint(0)
                .uint(2)
                .text(&s.host_url)
                .uint(4)
                .uint(s.ts);
            e.uint(5).bytes(&vec![7u8; n]).uint(6).raw(EMPTY);
        });
        expect_raw(ctx, &rb, ErrorCode::WRONG_SIZE)?;
    }
    // A 31-byte key in the outer item.
    let rb = base(ctx).encode();
    let body = crate::client::assemble_signed(1, &[1u8; 31], &rb, &[0u8; 64]);
    expect_detail(&ctx.c.post_raw(body), ErrorCode::WRONG_SIZE)?;
    Ok(())
}

pub(super) fn unknown_key(ctx: &Ctx<'_>) -> TestResult {
    let rb = raw_request(ctx, |e, s| {
        e.map(6)
            .uint(1)
            .uint(0)
            .uint(2)
            .text(&s.host_url)
            .uint(4)
            .uint(s.ts);
        e.uint(5).bytes(&s.nonce).uint(6).raw(EMPTY).uint(8).uint(0);
    });
    expect_raw(ctx, &rb, ErrorCode::UNKNOWN_KEY)?;
    // An unknown key in the info body (step 12).
    let key = ctx.c.key();
    let ex = ctx.c.call(&key, op::INFO, None, vec![0xa1, 0x01, 0x00]);
    expect_detail(&ex, ErrorCode::UNKNOWN_KEY)?;
    // ...and in a log.fetch body of a channel the caller is a member of.
    let ch = ctx.create_channel()?;
    let body = encode_with(|e| {
        e.map(3).uint(1).uint(0).uint(2).uint(1).uint(3).uint(0);
    });
    let ex = ctx.c.call(ch.creator(), op::LOG_FETCH, Some(ch.id), body);
    expect_detail(&ex, ErrorCode::UNKNOWN_KEY)?;
    ctx.delete_channel(&ch);
    Ok(())
}

pub(super) fn missing_key(ctx: &Ctx<'_>) -> TestResult {
    // No nonce.
    let rb = raw_request(ctx, |e, s| {
        e.map(4)
            .uint(1)
            .uint(0)
            .uint(2)
            .text(&s.host_url)
            .uint(4)
            .uint(s.ts);
        e.uint(6).raw(EMPTY);
    });
    expect_raw(ctx, &rb, ErrorCode::MISSING_KEY)?;
    // A SignedRequest of 3 elements; of 5 elements.
    let full = signed_raw(ctx, &base(ctx).encode());
    let mut three = vec![0x83];
    three.extend_from_slice(full.get(1..).unwrap_or_default());
    let cut = three.len().saturating_sub(66);
    three.truncate(cut);
    expect_detail(&ctx.c.post_raw(three), ErrorCode::MISSING_KEY)?;
    let mut five = vec![0x85];
    five.extend_from_slice(full.get(1..).unwrap_or_default());
    five.push(0x00);
    expect_detail(&ctx.c.post_raw(five), ErrorCode::LENGTH_EXCEEDED)?;
    // log.fetch body without `limit`.
    let ch = ctx.create_channel()?;
    let ex = ctx.c.call(
        ch.creator(),
        op::LOG_FETCH,
        Some(ch.id),
        vec![0xa1, 0x01, 0x00],
    );
    expect_detail(&ex, ErrorCode::MISSING_KEY)?;
    ctx.delete_channel(&ch);
    Ok(())
}

pub(super) fn invalid_value(ctx: &Ctx<'_>) -> TestResult {
    // A commit whose AddOp carries role 2 (roles are a closed set).
    let mut ch = ctx.create_channel()?;
    let inv = ctx.invite(&ch, 0)?;
    let mk = ctx.c.key();
    expect_code(&ctx.redeem(&ch, &inv, &mk), ErrorCode::OK, None)?;
    let init = ctx.c.random::<32>();
    let spec = ctx.commit_spec(&ch, 0, vec![crate::suite::gop::add(&mk.public(), &init, 2)]);
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    expect_detail(&ex, ErrorCode::INVALID_VALUE)?;
    ch.epoch += 0;
    ctx.delete_channel(&ch);
    Ok(())
}

pub(super) fn nested(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let env = ctx.envelope_from(&ch, 0);
    // The envelope's epoch (element 3, after version, suite, channel id) as 0x18 0x00.
    let mut bad = Vec::new();
    bad.extend_from_slice(env.get(..20).unwrap_or_default());
    bad.extend_from_slice(&[0x18, 0x00]);
    bad.extend_from_slice(env.get(21..).unwrap_or_default());
    let ex = ctx.c.call(
        ch.creator(),
        op::MSG_POST,
        Some(ch.id),
        crate::suite::msg_body(&bad),
    );
    expect_detail(&ex, ErrorCode::NONCANONICAL_HEAD)?;
    let mut trailing = env.clone();
    trailing.push(0);
    let ex = ctx.c.call(
        ch.creator(),
        op::MSG_POST,
        Some(ch.id),
        crate::suite::msg_body(&trailing),
    );
    expect_detail(&ex, ErrorCode::TRAILING_BYTES)?;
    ctx.delete_channel(&ch);
    Ok(())
}

pub(super) fn ext_too_many(ctx: &Ctx<'_>) -> TestResult {
    let ok = encode_with(|e| {
        e.map(16);
        for k in 0..16u64 {
            e.uint(2000 + k).uint(0);
        }
    });
    let mut s = base(ctx);
    s.ext = Some(ok);
    expect_code(&ctx.c.call_spec(&ctx.c.key(), &s), ErrorCode::OK, None)?;
    let bad = encode_with(|e| {
        e.map(17);
        for k in 0..17u64 {
            e.uint(2000 + k).uint(0);
        }
    });
    let mut s = base(ctx);
    s.ext = Some(bad);
    expect_detail(
        &ctx.c.call_spec(&ctx.c.key(), &s),
        ErrorCode::LENGTH_EXCEEDED,
    )?;
    Ok(())
}

pub(super) fn first_violation(ctx: &Ctx<'_>) -> TestResult {
    // A non-shortest head and, later, a float: the head is reported.
    let full = signed_raw(ctx, &base(ctx).encode());
    let mut a = vec![0x98, 0x04, 0xf9, 0x3c, 0x00];
    a.extend_from_slice(full.get(2..).unwrap_or_default());
    expect_detail(&ctx.c.post_raw(a), ErrorCode::NONCANONICAL_HEAD)?;
    // A float, then an indefinite-length item: forbidden_type.
    let b = vec![0x84, 0xf9, 0x3c, 0x00, 0x5f, 0xff, 0x40, 0x40];
    expect_detail(&ctx.c.post_raw(b), ErrorCode::FORBIDDEN_TYPE)?;
    // Misordered keys, then invalid UTF-8: misordered_key.
    let rb = raw_request(ctx, |e, s| {
        e.map(5)
            .uint(2)
            .text(&s.host_url)
            .uint(1)
            .uint(0)
            .uint(4)
            .uint(s.ts);
        e.uint(5)
            .bytes(&s.nonce)
            .uint(6)
            .raw(&[0xa1, 0x19, 0x03, 0xe8, 0x61, 0xff]);
    });
    expect_raw(ctx, &rb, ErrorCode::MISORDERED_KEY)?;
    Ok(())
}

pub(super) fn op_beyond_range(ctx: &Ctx<'_>) -> TestResult {
    // `op = uint .le 65535` (spec §2.7.1 row T5): a larger value fails typed decoding at step
    // 6, so the host never reaches the op check of step 7.
    let key = ctx.c.key();
    for o in [65_536u64, 1 << 32, u64::MAX] {
        let mut s = ctx.c.spec(op::INFO, None, EMPTY.to_vec());
        s.op = o;
        let ex = ctx.c.post_raw(sign_request(&key, &s.encode()));
        expect_detail(&ex, ErrorCode::INVALID_VALUE)?;
    }
    Ok(())
}
