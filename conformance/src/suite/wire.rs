//! Spec §2: every validator class with its detail code, at the outer `SignedRequest` (step 3),
//! inside `request_bytes` (step 6, correctly signed) and inside op bodies (step 12).

use hearth_wire::{encode_with, ErrorCode};

use super::{expect_code, expect_detail, expect_one_of, op, Ctx, EMPTY};
use crate::client::{sign_request, RequestSpec};
use crate::model::TestResult;
use crate::suite::HostTestDef;

/// The tests of this module.
pub fn tests() -> Vec<HostTestDef> {
    vec![
        t!(
            "host.wire.op-beyond-range",
            "op 65536, 2^32 and 2^64 - 1 (correctly signed) -> malformed/invalid_value at step 6, not unsupported_op",
            ["HRT-WIRE-16", "HRT-API-22", "HRT-API-24"],
            op_beyond_range
        ),
        t!(
            "host.wire.trailing-bytes",
            "trailing bytes after the SignedRequest or the Request -> trailing_bytes",
            ["HRT-WIRE-1", "HRT-API-18", "HRT-API-22"],
            trailing
        ),
        t!(
            "host.wire.truncation",
            "every sampled prefix of a valid request -> underrun",
            ["HRT-WIRE-2", "HRT-API-18"],
            truncation
        ),
        t!(
            "host.wire.truncation-inner",
            "truncated request_bytes, correctly signed -> underrun",
            ["HRT-WIRE-2", "HRT-API-22"],
            truncation_inner
        ),
        t!(
            "host.wire.noncanonical-head",
            "non-shortest heads outside and inside -> noncanonical/noncanonical_head",
            ["HRT-WIRE-3", "HRT-WIRE-11"],
            noncanonical_head
        ),
        t!(
            "host.wire.indefinite-length",
            "indefinite-length items and a lone break -> noncanonical/indefinite_length",
            ["HRT-WIRE-4"],
            indefinite
        ),
        t!(
            "host.wire.forbidden-type",
            "floats, tags and undefined -> malformed/forbidden_type",
            ["HRT-WIRE-5"],
            forbidden_type
        ),
        t!(
            "host.wire.invalid-utf8",
            "invalid, overlong and surrogate UTF-8 in host_url -> invalid_utf8",
            ["HRT-WIRE-6"],
            invalid_utf8
        ),
        t!(
            "host.wire.non-uint-key",
            "a text or negative map key -> non_uint_key",
            ["HRT-WIRE-7"],
            non_uint_key
        ),
        t!(
            "host.wire.misordered-key",
            "keys out of order -> noncanonical/misordered_key",
            ["HRT-WIRE-8"],
            misordered
        ),
        t!(
            "host.wire.duplicate-key",
            "a repeated key -> malformed/duplicate_key",
            ["HRT-WIRE-8"],
            duplicate
        ),
        t!(
            "host.wire.depth",
            "depth 16 accepted, depth 17 -> depth_exceeded",
            ["HRT-WIRE-9"],
            depth
        ),
        t!(
            "host.wire.huge-declared-length",
            "huge declared lengths and counts are rejected without allocating",
            ["HRT-WIRE-10"],
            huge_length
        ),
        t!(
            "host.wire.wrong-type",
            "items of the wrong major type, null -> wrong_type",
            ["HRT-WIRE-14", "HRT-WIRE-5"],
            wrong_type
        ),
        t!(
            "host.wire.wrong-size",
            "fixed-size byte strings of the wrong size -> wrong_size",
            ["HRT-WIRE-15"],
            wrong_size
        ),
        t!(
            "host.wire.unknown-key",
            "an unknown key in Request or a body -> unknown_key",
            ["HRT-WIRE-12", "HRT-API-26"],
            unknown_key
        ),
        t!(
            "host.wire.missing-key",
            "missing Request keys and short/long arrays -> missing_key/length_exceeded",
            ["HRT-WIRE-13"],
            missing_key
        ),
        t!(
            "host.wire.invalid-value",
            "a closed-set value out of range in a body -> invalid_value",
            ["HRT-WIRE-16", "HRT-API-26"],
            invalid_value
        ),
        t!(
            "host.wire.nested-item",
            "a non-canonical item inside bstr .cbor -> rejected with its detail",
            ["HRT-WIRE-17", "HRT-API-26"],
            nested
        ),
        t!(
            "host.wire.ext-too-many",
            "an ext map with 17 entries -> length_exceeded",
            ["HRT-WIRE-21"],
            ext_too_many
        ),
        t!(
            "host.wire.first-violation",
            "with two violations, the first in reading order is reported",
            ["HRT-WIRE-22"],
            first_violation
        ),
    ]
}

fn base(ctx: &Ctx<'_>) -> RequestSpec {
    ctx.c.spec(op::INFO, None, EMPTY.to_vec())
}

/// Builds request bytes field by field with hooks for raw replacement.
fn raw_request(ctx: &Ctx<'_>, f: impl FnOnce(&mut hearth_wire::Encoder, &RequestSpec)) -> Vec<u8> {
    let s = base(ctx);
    encode_with(|e| f(e, &s))
}

fn signed_raw(ctx: &Ctx<'_>, rb: &[u8]) -> Vec<u8> {
    sign_request(&ctx.c.key(), rb)
}

/// Keys 4 to 6 of a valid `Request` (ts, nonce, an empty body), after keys 1 to 3 that a test
/// wrote its own way.
fn keys_4_to_6(e: &mut hearth_wire::Encoder, s: &RequestSpec) {
    e.uint(4)
        .uint(s.ts)
        .uint(5)
        .bytes(&s.nonce)
        .uint(6)
        .raw(EMPTY);
}

/// Signs the raw request `rb`, posts it, and expects `malformed`/`noncanonical` with `detail`.
fn expect_raw(
    ctx: &Ctx<'_>,
    rb: &[u8],
    detail: ErrorCode,
) -> Result<hearth_wire::request::Response, crate::model::Stop> {
    expect_detail(&ctx.c.post_raw(signed_raw(ctx, rb)), detail)
}

fn trailing(ctx: &Ctx<'_>) -> TestResult {
    let mut outer = signed_raw(ctx, &base(ctx).encode());
    outer.push(0x00);
    expect_detail(&ctx.c.post_raw(outer), ErrorCode::TRAILING_BYTES)?;
    let mut inner = base(ctx).encode();
    inner.extend_from_slice(&[0x01]);
    expect_detail(
        &ctx.c.post_raw(signed_raw(ctx, &inner)),
        ErrorCode::TRAILING_BYTES,
    )?;
    Ok(())
}

fn truncation(ctx: &Ctx<'_>) -> TestResult {
    let full = signed_raw(ctx, &base(ctx).encode());
    let n = full.len();
    let mut lens: Vec<usize> = vec![0, 1, 2, 3, n - 1, n - 2, n - 64, n - 65];
    for _ in 0..16 {
        lens.push(ctx.c.with_rng(|r| r.below(n as u64)) as usize);
    }
    lens.sort_unstable();
    lens.dedup();
    for l in lens.into_iter().filter(|l| *l < n) {
        let ex = ctx.c.post_raw(full.get(..l).unwrap_or_default().to_vec());
        expect_detail(&ex, ErrorCode::UNDERRUN)?;
    }
    Ok(())
}

fn truncation_inner(ctx: &Ctx<'_>) -> TestResult {
    let full = base(ctx).encode();
    for l in [1, full.len() / 2, full.len() - 1] {
        let rb = full.get(..l).unwrap_or_default();
        expect_detail(&ctx.c.post_raw(signed_raw(ctx, rb)), ErrorCode::UNDERRUN)?;
    }
    Ok(())
}

fn noncanonical_head(ctx: &Ctx<'_>) -> TestResult {
    // Outer: array count 4 as 0x98 0x04.
    let full = signed_raw(ctx, &base(ctx).encode());
    let mut outer = vec![0x98, 0x04];
    outer.extend_from_slice(full.get(1..).unwrap_or_default());
    expect_detail(&ctx.c.post_raw(outer), ErrorCode::NONCANONICAL_HEAD)?;
    // Inner: op 0 as 0x18 0x00.
    let rb = raw_request(ctx, |e, s| {
        e.map(5)
            .uint(1)
            .raw(&[0x18, 0x00])
            .uint(2)
            .text(&s.host_url);
        keys_4_to_6(e, s);
    });
    expect_raw(ctx, &rb, ErrorCode::NONCANONICAL_HEAD)?;
    Ok(())
}

fn indefinite(ctx: &Ctx<'_>) -> TestResult {
    let full = signed_raw(ctx, &base(ctx).encode());
    let mut outer = vec![0x9f];
    outer.extend_from_slice(full.get(1..).unwrap_or_default());
    outer.push(0xff);
    expect_detail(&ctx.c.post_raw(outer), ErrorCode::INDEFINITE_LENGTH)?;
    expect_detail(&ctx.c.post_raw(vec![0xff]), ErrorCode::INDEFINITE_LENGTH)?;
    // Inner: the body as an indefinite map.
    let rb = raw_request(ctx, |e, s| {
        e.map(5)
            .uint(1)
            .uint(0)
            .uint(2)
            .text(&s.host_url)
            .uint(4)
            .uint(s.ts);
        e.uint(5).bytes(&s.nonce).uint(6).raw(&[0xbf, 0xff]);
    });
    expect_raw(ctx, &rb, ErrorCode::INDEFINITE_LENGTH)?;
    Ok(())
}

fn with_ts_raw(ctx: &Ctx<'_>, ts_item: &[u8]) -> Vec<u8> {
    raw_request(ctx, |e, s| {
        e.map(5)
            .uint(1)
            .uint(0)
            .uint(2)
            .text(&s.host_url)
            .uint(4)
            .raw(ts_item);
        e.uint(5).bytes(&s.nonce).uint(6).raw(EMPTY);
    })
}

fn forbidden_type(ctx: &Ctx<'_>) -> TestResult {
    let mut tagged = vec![0xc1, 0x1a];
    tagged.extend_from_slice(&(ctx.c.host_now() as u32).to_be_bytes());
    for item in [
        vec![0xf9, 0x3c, 0x00],
        vec![0xfb, 0, 0, 0, 0, 0, 0, 0, 0],
        tagged,
        vec![0xf7],
        vec![0xe0],
    ] {
        let rb = with_ts_raw(ctx, &item);
        expect_raw(ctx, &rb, ErrorCode::FORBIDDEN_TYPE)?;
    }
    // A float as the outer version element.
    let full = signed_raw(ctx, &base(ctx).encode());
    let mut outer = vec![0x84, 0xf9, 0x3c, 0x00];
    outer.extend_from_slice(full.get(2..).unwrap_or_default());
    expect_detail(&ctx.c.post_raw(outer), ErrorCode::FORBIDDEN_TYPE)?;
    Ok(())
}

fn invalid_utf8(ctx: &Ctx<'_>) -> TestResult {
    for bad in [
        &[0xffu8][..],
        &[0xc0, 0xaf],
        &[0xed, 0xa0, 0x80],
        &[0xf4, 0x90, 0x80, 0x80],
    ] {
        let rb = raw_request(ctx, |e, s| {
            let mut url = s.host_url.as_bytes().to_vec();
            url.extend_from_slice(bad);
            e.map(5).uint(1).uint(0).uint(2);
            // A text head with the raw bytes.
            let head = encode_with(|x| {
                x.bytes(&url);
            });
            let mut t = head;
            if let Some(h) = t.first_mut() {
                *h = (*h & 0x1f) | 0x60;
            }
            e.raw(&t);
            keys_4_to_6(e, s);
        });
        expect_raw(ctx, &rb, ErrorCode::INVALID_UTF8)?;
    }
    Ok(())
}

fn non_uint_key(ctx: &Ctx<'_>) -> TestResult {
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

fn misordered(ctx: &Ctx<'_>) -> TestResult {
    let rb = raw_request(ctx, |e, s| {
        e.map(5).uint(2).text(&s.host_url).uint(1).uint(0);
        keys_4_to_6(e, s);
    });
    expect_raw(ctx, &rb, ErrorCode::MISORDERED_KEY)?;
    Ok(())
}

fn duplicate(ctx: &Ctx<'_>) -> TestResult {
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

/// An ext map `{1000: [[...[0]...]]}` whose innermost item sits at `depth` (Request = 1).
fn deep_ext(depth: usize) -> Vec<u8> {
    // Request map depth 1, ext map items at depth 2... the value of key 1000 is at depth 3.
    let arrays = depth.saturating_sub(3);
    let mut v = vec![0xa1, 0x19, 0x03, 0xe8];
    v.extend(std::iter::repeat_n(0x81, arrays));
    v.push(0x00);
    v
}

fn depth(ctx: &Ctx<'_>) -> TestResult {
    let mut s = base(ctx);
    s.ext = Some(deep_ext(16));
    expect_code(&ctx.c.call_spec(&ctx.c.key(), &s), ErrorCode::OK, None)?;
    let mut s = base(ctx);
    s.ext = Some(deep_ext(17));
    expect_detail(
        &ctx.c.call_spec(&ctx.c.key(), &s),
        ErrorCode::DEPTH_EXCEEDED,
    )?;
    // Depth 17 in the outer item: nest the whole request in 16 more arrays? The outer rule is
    // fixed; a deep array in place of the key exceeds depth before wrong_type is checked.
    let mut outer = vec![0x84, 0x01];
    outer.extend(std::iter::repeat_n(0x81, 16));
    outer.push(0x00);
    outer.extend_from_slice(&[0x40, 0x40]);
    expect_detail(&ctx.c.post_raw(outer), ErrorCode::DEPTH_EXCEEDED)?;
    Ok(())
}

fn huge_length(ctx: &Ctx<'_>) -> TestResult {
    let allowed = [
        (ErrorCode::MALFORMED, Some(ErrorCode::UNDERRUN)),
        (ErrorCode::MALFORMED, Some(ErrorCode::LENGTH_EXCEEDED)),
    ];
    let cases: [&[u8]; 4] = [
        &[
            0x84, 0x01, 0x5b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ],
        &[0x84, 0x01, 0x5a, 0xff, 0xff, 0xff, 0xff, 0x00],
        &[0x9b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
        &[0x84, 0x01, 0x58, 0x20, 0x00],
    ];
    for c in cases {
        expect_one_of(&ctx.c.post_raw(c.to_vec()), &allowed)?;
    }
    // Inside: a host_url longer than 256 bytes.
    let mut s = base(ctx);
    s.host_url = "h".repeat(257);
    expect_detail(
        &ctx.c.call_spec(&ctx.c.key(), &s),
        ErrorCode::LENGTH_EXCEEDED,
    )?;
    Ok(())
}

fn wrong_type(ctx: &Ctx<'_>) -> TestResult {
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

fn wrong_size(ctx: &Ctx<'_>) -> TestResult {
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

fn unknown_key(ctx: &Ctx<'_>) -> TestResult {
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

fn missing_key(ctx: &Ctx<'_>) -> TestResult {
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

fn invalid_value(ctx: &Ctx<'_>) -> TestResult {
    // A commit whose AddOp carries role 2 (roles are a closed set).
    let mut ch = ctx.create_channel()?;
    let inv = ctx.invite(&ch, 0)?;
    let mk = ctx.c.key();
    expect_code(&ctx.redeem(&ch, &inv, &mk), ErrorCode::OK, None)?;
    let init = ctx.c.random::<32>();
    let spec = ctx.commit_spec(&ch, 0, vec![super::gop::add(&mk.public(), &init, 2)]);
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    expect_detail(&ex, ErrorCode::INVALID_VALUE)?;
    ch.epoch += 0;
    ctx.delete_channel(&ch);
    Ok(())
}

fn nested(ctx: &Ctx<'_>) -> TestResult {
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
        super::msg_body(&bad),
    );
    expect_detail(&ex, ErrorCode::NONCANONICAL_HEAD)?;
    let mut trailing = env.clone();
    trailing.push(0);
    let ex = ctx.c.call(
        ch.creator(),
        op::MSG_POST,
        Some(ch.id),
        super::msg_body(&trailing),
    );
    expect_detail(&ex, ErrorCode::TRAILING_BYTES)?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn ext_too_many(ctx: &Ctx<'_>) -> TestResult {
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

fn first_violation(ctx: &Ctx<'_>) -> TestResult {
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

fn op_beyond_range(ctx: &Ctx<'_>) -> TestResult {
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
