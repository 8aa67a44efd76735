//! Spec §8.4, §8.6: signatures (exact bytes, small-order and non-canonical keys), extensions,
//! host binding and freshness.

use hearth_wire::{encode_with, ErrorCode};

use super::transport::info_spec;
use crate::client::{assemble_signed, sign_request, Exchange, Key};
use crate::model::TestResult;
use crate::suite::HostTestDef;
use crate::suite::{expect_code, expect_detail, Ctx, EMPTY};

/// The tests of this module.
pub fn tests() -> Vec<HostTestDef> {
    vec![
        t!(
            "host.api.signature.invalid",
            "a signature that does not verify -> bad_signature",
            ["HRT-API-21", "HRT-API-10"],
            bad_signature
        ),
        t!(
            "host.api.signature.exact-bytes",
            "the signature is checked over the received request_bytes, not a re-encoding",
            ["HRT-WIRE-18", "HRT-API-21"],
            signature_exact_bytes
        ),
        t!(
            "host.api.keys.small-order",
            "small-order request keys -> bad_signature, even with a cofactored-valid signature",
            ["HRT-API-20", "HRT-KEY-23"],
            small_order_keys
        ),
        t!(
            "host.api.keys.non-canonical",
            "non-canonically encoded request keys -> bad_signature",
            ["HRT-API-20", "HRT-KEY-23"],
            noncanonical_keys
        ),
        t!(
            "host.api.ext.unknown-critical",
            "crit naming an unknown extension -> unsupported_extension/unknown_critical",
            ["HRT-API-23", "HRT-EXT-12"],
            unknown_critical
        ),
        t!(
            "host.api.ext.grease-ignored",
            "a GREASE extension not in crit is ignored",
            ["HRT-EXT-13", "HRT-EXT-20"],
            grease_ignored
        ),
        t!(
            "host.api.ext.structure",
            "ext keys 0, 2..999 -> unknown_key; crit naming GREASE or absent keys -> invalid_value",
            ["HRT-EXT-10", "HRT-EXT-11"],
            ext_structure
        ),
        t!(
            "host.api.host-binding.wrong-host",
            "a host_url differing in any byte -> wrong_host",
            ["HRT-API-8"],
            wrong_host
        ),
        t!(
            "host.api.freshness.window-edges",
            "ts = now±290 accepted, now±310 -> stale_timestamp",
            ["HRT-API-25"],
            freshness_edges
        ),
        t!(
            "host.api.freshness.far-values",
            "ts = 0 and ts = 2^64-1 -> stale_timestamp",
            ["HRT-API-25"],
            freshness_far
        ),
    ]
}

fn bad_signature(ctx: &Ctx<'_>) -> TestResult {
    let key = ctx.c.key();
    let other = ctx.c.key();
    let rb = info_spec(ctx).encode();
    let good = key.sign(hearth_crypto::hazmat::label::REQUEST, |e| {
        e.bytes(&rb);
    });
    let mut flipped = good;
    flipped[0] ^= 0x01;
    let by_other = other.sign(hearth_crypto::hazmat::label::REQUEST, |e| {
        e.bytes(&rb);
    });
    let wrong_label = key.sign(hearth_crypto::hazmat::label::COMMIT, |e| {
        e.bytes(&rb);
    });
    let raw_not_bstr = key.sign(hearth_crypto::hazmat::label::REQUEST, |e| {
        e.raw(&rb);
    });
    for sig in [flipped, by_other, wrong_label, raw_not_bstr, [0u8; 64]] {
        let ex = ctx.c.post_raw(assemble_signed(1, &key.public(), &rb, &sig));
        expect_code(&ex, ErrorCode::BAD_SIGNATURE, None)?;
    }
    // The same bytes with the right signature pass (the negative cases differ only there).
    let ex = ctx
        .c
        .post_raw(assemble_signed(1, &key.public(), &rb, &good));
    expect_code(&ex, ErrorCode::OK, None)?;
    Ok(())
}

fn signature_exact_bytes(ctx: &Ctx<'_>) -> TestResult {
    // A Request whose ts has a non-shortest head, signed over exactly those bytes: a host that
    // verifies the received bytes passes step 5 and reports noncanonical at step 6; a host
    // that re-encodes before verifying reports bad_signature.
    let key = ctx.c.key();
    let s = info_spec(ctx);
    let rb = encode_with(|e| {
        e.map(5).uint(1).uint(0).uint(2).text(&s.host_url).uint(4);
        e.raw(&[0x1b]).raw(&s.ts.to_be_bytes());
        e.uint(5).bytes(&s.nonce).uint(6).raw(EMPTY);
    });
    let ex = ctx.c.post_raw(sign_request(&key, &rb));
    expect_detail(&ex, ErrorCode::NONCANONICAL_HEAD)?;
    Ok(())
}

/// Small-order Ed25519 points (canonical encodings): identity, order 2, order 4, order 8.
pub const SMALL_ORDER: [&str; 5] = [
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
];

/// Non-canonical encodings: y = p + 1 (the identity), the identity with the sign bit set, y = p.
pub const NON_CANONICAL: [&str; 3] = [
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0100000000000000000000000000000000000000000000000000000000000080",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
];

/// A signature `(R = B, S = 1)`: with any small-order key `A`, `[8]([S]B - R - [k]A)` is the
/// identity, so a host that checks only the cofactored equation accepts it.
pub fn cofactor_forgery() -> [u8; 64] {
    let mut sig = [0u8; 64];
    let b = hex_32("5866666666666666666666666666666666666666666666666666666666666666");
    sig[..32].copy_from_slice(&b);
    sig[32] = 1;
    sig
}

/// 32 bytes from hex (all-zero on a typo, which the tests would reveal).
pub fn hex_32(s: &str) -> [u8; 32] {
    hex::decode(s)
        .ok()
        .and_then(|v| <[u8; 32]>::try_from(v).ok())
        .unwrap_or([0; 32])
}

fn weak_key_requests(ctx: &Ctx<'_>, keys: &[&str]) -> TestResult {
    for k in keys {
        let pk = hex_32(k);
        let rb = info_spec(ctx).encode();
        let ex = ctx
            .c
            .post_raw(assemble_signed(1, &pk, &rb, &cofactor_forgery()));
        expect_code(&ex, ErrorCode::BAD_SIGNATURE, None)?;
    }
    Ok(())
}

fn small_order_keys(ctx: &Ctx<'_>) -> TestResult {
    weak_key_requests(ctx, &SMALL_ORDER)
}

fn noncanonical_keys(ctx: &Ctx<'_>) -> TestResult {
    weak_key_requests(ctx, &NON_CANONICAL)
}

fn ext_info(ctx: &Ctx<'_>, ext: Vec<u8>) -> Exchange {
    let mut s = info_spec(ctx);
    s.ext = Some(ext);
    ctx.c.call_spec(&ctx.c.key(), &s)
}

fn unknown_critical(ctx: &Ctx<'_>) -> TestResult {
    // {1: [1000], 1000: h''}
    let ext = encode_with(|e| {
        e.map(2).uint(1).array(1).uint(1000).uint(1000).bytes(&[]);
    });
    let ex = ext_info(ctx, ext);
    expect_detail(&ex, ErrorCode::UNKNOWN_CRITICAL)?;
    Ok(())
}

fn grease_ignored(ctx: &Ctx<'_>) -> TestResult {
    for (k, neg) in [(0x0a0a_u64, false), (0xfafa, true), (65000, false)] {
        let ext = encode_with(|e| {
            e.map(1).uint(k);
            if neg {
                e.nint(5);
            } else {
                e.uint(7);
            }
        });
        let ex = ext_info(ctx, ext);
        expect_code(&ex, ErrorCode::OK, None)?;
    }
    Ok(())
}

fn ext_structure(ctx: &Ctx<'_>) -> TestResult {
    for k in [0u64, 2, 999, 65536] {
        let ext = encode_with(|e| {
            e.map(1).uint(k).uint(0);
        });
        expect_detail(&ext_info(ctx, ext), ErrorCode::UNKNOWN_KEY)?;
    }
    // crit naming a GREASE key, a key absent from the map, not increasing.
    let bad_crits = [
        encode_with(|e| {
            e.map(2).uint(1).array(1).uint(0x0a0a).uint(0x0a0a).uint(0);
        }),
        encode_with(|e| {
            e.map(2).uint(1).array(1).uint(1001).uint(1000).uint(0);
        }),
        encode_with(|e| {
            e.map(3)
                .uint(1)
                .array(2)
                .uint(1001)
                .uint(1000)
                .uint(1000)
                .uint(0)
                .uint(1001)
                .uint(0);
        }),
    ];
    for ext in bad_crits {
        expect_detail(&ext_info(ctx, ext), ErrorCode::INVALID_VALUE)?;
    }
    Ok(())
}

fn wrong_host(ctx: &Ctx<'_>) -> TestResult {
    let url = ctx.c.host_url.clone();
    let mut variants = vec![
        format!("{url}x"),
        url.to_uppercase(),
        url.replacen("://", "://x", 1),
    ];
    if let Some(stripped) = url.strip_suffix('/') {
        variants.push(stripped.to_owned());
    } else {
        variants.push(format!("{url}/"));
    }
    if url.starts_with("http://") {
        variants.push(url.replacen("http://", "https://", 1));
    } else {
        variants.push(url.replacen("https://", "http://", 1));
    }
    let key = ctx.c.key();
    for v in variants {
        if v == url || v.is_empty() || v.len() > 256 {
            continue;
        }
        let mut s = info_spec(ctx);
        s.host_url = v;
        let ex = ctx.c.call_spec(&key, &s);
        expect_code(&ex, ErrorCode::WRONG_HOST, None)?;
    }
    Ok(())
}

fn at_ts(ctx: &Ctx<'_>, key: &Key, ts: u64) -> Exchange {
    let mut s = info_spec(ctx);
    s.ts = ts;
    ctx.c.call_spec(key, &s)
}

fn freshness_edges(ctx: &Ctx<'_>) -> TestResult {
    let key = ctx.c.key();
    let now = ctx.c.host_now();
    expect_code(&at_ts(ctx, &key, now - 290), ErrorCode::OK, None)?;
    expect_code(&at_ts(ctx, &key, now + 290), ErrorCode::OK, None)?;
    expect_code(
        &at_ts(ctx, &key, now - 310),
        ErrorCode::STALE_TIMESTAMP,
        None,
    )?;
    expect_code(
        &at_ts(ctx, &key, now + 310),
        ErrorCode::STALE_TIMESTAMP,
        None,
    )?;
    Ok(())
}

fn freshness_far(ctx: &Ctx<'_>) -> TestResult {
    let key = ctx.c.key();
    expect_code(&at_ts(ctx, &key, 0), ErrorCode::STALE_TIMESTAMP, None)?;
    expect_code(
        &at_ts(ctx, &key, u64::MAX),
        ErrorCode::STALE_TIMESTAMP,
        None,
    )?;
    Ok(())
}
