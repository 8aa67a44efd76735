//! Spec §8.1 to §8.4, §8.6, §11: transport, info, the check order, signatures and weak keys,
//! host binding, freshness, the nonce store (replay and byte-identical retries), uniform
//! `not_found`, response shape, extensions, and `max_request`.

use std::sync::Barrier;

use hearth_wire::request::{AppendResult, InfoResult, Response};
use hearth_wire::{encode_with, ErrorCode, WireDecode};

use super::{answered, ensure, expect_code, expect_detail, expect_ok, op, Ctx, EMPTY};
use crate::client::{assemble_signed, sign_request, Exchange, Key, RequestSpec};
use crate::model::{Stop, TestDef, TestResult};
use crate::target::HttpRequest;

/// The tests of this module.
pub fn tests() -> Vec<TestDef> {
    vec![
        t!(
            "host.api.transport.get-info",
            "GET returns ok with the InfoResult, HTTP 200, application/cbor",
            ["HRT-API-2", "HRT-API-5", "HRT-OP-3"],
            get_info
        ),
        t!(
            "host.api.transport.get-info-without-accept",
            "GET without Accept returns the InfoResult",
            ["HRT-API-2"],
            get_info_no_accept
        ),
        t!(
            "host.api.transport.signed-info",
            "signed info (op 0) returns the same InfoResult as GET",
            ["HRT-OP-3", "HRT-API-7"],
            signed_info
        ),
        t!(
            "host.api.transport.wrong-content-type",
            "POST with another media type or none -> malformed/wrong_content_type",
            ["HRT-API-1", "HRT-API-5"],
            wrong_content_type
        ),
        t!(
            "host.api.transport.media-type-case-and-parameters",
            "application/cbor is compared case-insensitively, ignoring parameters",
            ["HRT-API-1"],
            media_type_case
        ),
        t!(
            "host.api.transport.other-methods",
            "PUT, DELETE, PATCH -> malformed/wrong_content_type with HTTP 200",
            ["HRT-API-4", "HRT-API-5"],
            other_methods
        ),
        t!(
            "host.api.transport.empty-body",
            "POST with an empty body -> malformed/underrun",
            ["HRT-API-18", "HRT-WIRE-2"],
            empty_body
        ),
        t!(
            "host.api.transport.headers-ignored",
            "Authorization and Cookie headers change nothing",
            ["HRT-API-6"],
            headers_ignored
        ),
        t!(
            "host.api.response.shape",
            "every error Response has server_time, no body, and detail only for decode statuses",
            ["HRT-API-38", "HRT-API-39", "HRT-API-40", "HRT-API-5"],
            response_shape
        ),
        t!(
            "host.api.response.detail-present",
            "malformed/noncanonical responses carry a detail code",
            ["HRT-API-41"],
            detail_present
        ),
        t!(
            "host.api.info.limits-bounds",
            "advertised limits respect the spec's bounds",
            ["HRT-API-44"],
            limits_bounds
        ),
        t!(
            "host.api.info.ops-complete",
            "InfoResult lists exactly ops 0..14 in increasing order",
            ["HRT-OP-2", "HRT-CONF-1", "HRT-CONF-2"],
            ops_complete
        ),
        t!(
            "host.api.info.versions-and-suites",
            "InfoResult lists version 1 and suite 1, increasing",
            ["HRT-EXT-3", "HRT-EXT-9"],
            versions_suites
        ),
        t!(
            "host.api.info.host-url-canonical",
            "InfoResult key 3 is a canonical host URL",
            ["HRT-API-7"],
            host_url_canonical
        ),
        t!(
            "host.api.op.unsupported",
            "ops 15, 65279 and 65535 -> unsupported_op",
            ["HRT-API-24"],
            unsupported_op
        ),
        t!(
            "host.api.channel-id.presence",
            "info with channel_id -> unknown_key; log.fetch without -> missing_key",
            ["HRT-API-14"],
            channel_id_presence
        ),
        t!(
            "host.api.version.unsupported",
            "SignedRequest version 0 or 2 -> unsupported_version",
            ["HRT-API-19", "HRT-EXT-2"],
            unsupported_version
        ),
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
        t!(
            "host.api.not-found.uniform",
            "non-member and missing channel get byte-identical not_found (but server_time)",
            ["HRT-API-33", "HRT-API-34"],
            not_found_uniform
        ),
        t!(
            "host.api.limits.max-request",
            "a body of max_request+1 bytes -> too_large; of max_request bytes it is not",
            ["HRT-API-16", "HRT-API-17", "HRT-API-45"],
            max_request
        ),
        t!(
            "host.api.limits.too-large-before-body",
            "headers declaring max_request+1 bytes and no body -> too_large at once, without waiting for the body",
            ["HRT-API-16"],
            too_large_before_body
        ),
        t!(
            "host.api.limits.no-content-length",
            "a chunked request without Content-Length is served; one over max_request -> too_large",
            ["HRT-API-17"],
            no_content_length
        ),
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

// ------------------------------------------------------------------ helpers

fn info_spec(ctx: &Ctx<'_>) -> RequestSpec {
    ctx.c.spec(op::INFO, None, EMPTY.to_vec())
}

fn signed_info(ctx: &Ctx<'_>) -> TestResult {
    let key = ctx.c.key();
    let ex = ctx.c.call(&key, op::INFO, None, EMPTY.to_vec());
    let r = expect_code(&ex, ErrorCode::OK, None)?;
    let bytes = r
        .result
        .as_ref()
        .map(|x| x.as_bytes().to_vec())
        .unwrap_or_default();
    ensure(
        bytes == ctx.info_result_bytes,
        "signed info returned a different InfoResult than GET",
        &[&ex],
    )?;
    let info = InfoResult::decode(&bytes).map_err(|_| Stop::fail("bad InfoResult", &[&ex]))?;
    ensure(
        info.host_url.as_str() == ctx.c.host_url,
        "InfoResult host_url changed",
        &[&ex],
    )
}

fn get_info(ctx: &Ctx<'_>) -> TestResult {
    let ex = ctx.c.send(HttpRequest::get_cbor());
    let info: InfoResult = expect_ok(&ex)?;
    ensure(
        info.limits.max_request > 0 && !info.ops.is_empty(),
        "empty InfoResult",
        &[&ex],
    )
}

fn get_info_no_accept(ctx: &Ctx<'_>) -> TestResult {
    let ex = ctx.c.send(HttpRequest {
        method: "GET".into(),
        ..HttpRequest::default()
    });
    let _: InfoResult = expect_ok(&ex)?;
    Ok(())
}

pub(crate) fn valid_info_bytes(ctx: &Ctx<'_>) -> Vec<u8> {
    sign_request(&ctx.c.key(), &info_spec(ctx).encode())
}

fn wrong_content_type(ctx: &Ctx<'_>) -> TestResult {
    for ct in [
        Some("text/plain"),
        Some("application/json"),
        Some("application/cbor-seq"),
        None,
    ] {
        let ex = ctx.c.send(HttpRequest {
            method: "POST".into(),
            content_type: ct.map(str::to_owned),
            body: valid_info_bytes(ctx),
            ..HttpRequest::default()
        });
        expect_detail(&ex, ErrorCode::WRONG_CONTENT_TYPE)?;
    }
    Ok(())
}

fn media_type_case(ctx: &Ctx<'_>) -> TestResult {
    for ct in [
        "Application/CBOR",
        "application/cbor; charset=binary",
        "APPLICATION/cbor ;x=y",
    ] {
        let ex = ctx.c.send(HttpRequest {
            method: "POST".into(),
            content_type: Some(ct.into()),
            body: valid_info_bytes(ctx),
            ..HttpRequest::default()
        });
        expect_code(&ex, ErrorCode::OK, None)?;
    }
    Ok(())
}

fn other_methods(ctx: &Ctx<'_>) -> TestResult {
    for (m, body) in [
        ("PUT", true),
        ("DELETE", false),
        ("PATCH", true),
        ("OPTIONS", false),
    ] {
        let ex = ctx.c.send(HttpRequest {
            method: m.into(),
            content_type: body.then(|| crate::target::CBOR.to_owned()),
            body: if body {
                valid_info_bytes(ctx)
            } else {
                Vec::new()
            },
            ..HttpRequest::default()
        });
        expect_detail(&ex, ErrorCode::WRONG_CONTENT_TYPE)?;
    }
    Ok(())
}

fn empty_body(ctx: &Ctx<'_>) -> TestResult {
    let ex = ctx.c.post_raw(Vec::new());
    expect_detail(&ex, ErrorCode::UNDERRUN)?;
    Ok(())
}

fn headers_ignored(ctx: &Ctx<'_>) -> TestResult {
    let headers = vec![
        ("Authorization".to_owned(), "Bearer secret".to_owned()),
        ("Cookie".to_owned(), "session=1".to_owned()),
        ("X-Hearth-Owner".to_owned(), "1".to_owned()),
    ];
    let ok = ctx.c.send(HttpRequest {
        headers: headers.clone(),
        ..HttpRequest::post_cbor(valid_info_bytes(ctx))
    });
    expect_code(&ok, ErrorCode::OK, None)?;
    // A request that fails authorisation must still fail with the headers.
    let mut bad = valid_info_bytes(ctx);
    if let Some(b) = bad.last_mut() {
        *b ^= 1;
    }
    let ex = ctx.c.send(HttpRequest {
        headers,
        ..HttpRequest::post_cbor(bad)
    });
    expect_code(&ex, ErrorCode::BAD_SIGNATURE, None)?;
    Ok(())
}

fn check_shape(ex: &Exchange) -> TestResult {
    let r = answered(ex)?;
    ensure(r.server_time.0 > 0, "server_time is 0", &[ex])?;
    let decode_status = [
        ErrorCode::MALFORMED,
        ErrorCode::NONCANONICAL,
        ErrorCode::UNSUPPORTED_EXTENSION,
    ];
    if let Some(d) = r.detail {
        ensure(
            d.is_detail() && decode_status.contains(&r.status) && d.status() == r.status,
            format!(
                "detail {} with status {} (HRT-API-40: only wire details, only with malformed/noncanonical/unsupported_extension, matching the status)",
                d.0, r.status.0
            ),
            &[ex],
        )?;
    }
    ensure(
        r.result.is_some() == (r.status == ErrorCode::OK),
        "key 4 present iff ok (HRT-API-39)",
        &[ex],
    )
}

fn response_shape(ctx: &Ctx<'_>) -> TestResult {
    let key = ctx.c.key();
    let mut exs = vec![
        ctx.c.post_raw(vec![0xff]),
        ctx.c.post_raw(vec![0x80, 0x00]),
        ctx.c.send(HttpRequest {
            method: "POST".into(),
            content_type: Some("text/plain".into()),
            body: vec![1],
            ..HttpRequest::default()
        }),
    ];
    let mut s = info_spec(ctx);
    s.host_url.push('x');
    exs.push(ctx.c.call_spec(&key, &s));
    exs.push(ctx.c.call(&key, 4242, Some([0; 16]), EMPTY.to_vec()));
    exs.push(ctx.c.call(
        &key,
        op::LOG_FETCH,
        Some(ctx.c.random::<16>()),
        super::log_body(0, 1),
    ));
    exs.push(ctx.c.send(HttpRequest::get_cbor()));
    for ex in &exs {
        check_shape(ex)?;
    }
    Ok(())
}

fn detail_present(ctx: &Ctx<'_>) -> TestResult {
    for body in [
        vec![0x80, 0x00],
        vec![0x98, 0x00],
        vec![0xa2, 0x02, 0x00, 0x01, 0x00],
    ] {
        let ex = ctx.c.post_raw(body);
        let r = answered(&ex)?;
        ensure(
            r.detail.is_some(),
            "malformed/noncanonical response without detail",
            &[&ex],
        )?;
    }
    Ok(())
}

fn limits_bounds(ctx: &Ctx<'_>) -> TestResult {
    let l = ctx.limits();
    let ex = ctx.c.send(HttpRequest::get_cbor());
    ensure(
        l.max_request >= 131_072,
        format!("max_request {} < 131072", l.max_request),
        &[&ex],
    )?;
    ensure(
        l.max_log_page >= 100,
        format!("max_log_page {} < 100", l.max_log_page),
        &[&ex],
    )?;
    ensure(
        l.max_members <= 256,
        format!("max_members {} > 256", l.max_members),
        &[&ex],
    )?;
    ensure(
        l.max_blob >= 65_552,
        format!("max_blob {} < 65552", l.max_blob),
        &[&ex],
    )
}

fn ops_complete(ctx: &Ctx<'_>) -> TestResult {
    let ops: Vec<u64> = ctx
        .info
        .ops
        .as_slice()
        .iter()
        .map(|o| u64::from(o.0))
        .collect();
    let ex = ctx.c.send(HttpRequest::get_cbor());
    ensure(
        ops.windows(2).all(|w| matches!(w, [a, b] if a < b)),
        "ops not strictly increasing (HRT-CONF-2)",
        &[&ex],
    )?;
    let missing: Vec<u64> = (0..=14).filter(|o| !ops.contains(o)).collect();
    if !missing.is_empty() {
        return Err(Stop::Unsupported(format!(
            "ops not listed in InfoResult key 5: {missing:?}"
        )));
    }
    Ok(())
}

fn versions_suites(ctx: &Ctx<'_>) -> TestResult {
    let ex = ctx.c.send(HttpRequest::get_cbor());
    let v = ctx.info.versions.as_slice();
    let s: Vec<u16> = ctx.info.suites.as_slice().iter().map(|x| x.0).collect();
    ensure(v.contains(&1), "versions lack 1", &[&ex])?;
    ensure(
        v.windows(2).all(|w| matches!(w, [a, b] if a < b)),
        "versions not increasing",
        &[&ex],
    )?;
    ensure(s.contains(&1), "suites lack 1", &[&ex])?;
    ensure(
        s.windows(2).all(|w| matches!(w, [a, b] if a < b)),
        "suites not increasing",
        &[&ex],
    )
}

/// The syntactic rules of §8.2 the harness can check.
pub fn canonical_url_problem(url: &str) -> Option<&'static str> {
    if url.len() > 256 {
        return Some("longer than 256 bytes");
    }
    let rest = if let Some(r) = url.strip_prefix("https://") {
        r
    } else if let Some(r) = url.strip_prefix("http://") {
        let host = r.split(['/', ':']).next().unwrap_or_default();
        let loopback = host == "localhost" || host.starts_with("127.") || r.starts_with("[::1]");
        if !loopback {
            return Some("http:// is allowed only for loopback hosts");
        }
        r
    } else {
        return Some("scheme is not lowercase https or http");
    };
    if url.contains(['?', '#', '@']) {
        return Some("has a query, fragment or userinfo");
    }
    let Some(slash) = rest.find('/') else {
        return Some("the path is empty");
    };
    let (authority, path) = rest.split_at(slash);
    if authority.chars().any(|c| c.is_ascii_uppercase()) || authority.ends_with('.') {
        return Some("the host is not lowercase or has a trailing dot");
    }
    if authority.ends_with(":443") && url.starts_with("https")
        || authority.ends_with(":80") && url.starts_with("http:")
    {
        return Some("default port written out");
    }
    if path.split('/').any(|s| s == "." || s == "..") {
        return Some("dot segments in the path");
    }
    None
}

fn host_url_canonical(ctx: &Ctx<'_>) -> TestResult {
    let ex = ctx.c.send(HttpRequest::get_cbor());
    match canonical_url_problem(ctx.info.host_url.as_str()) {
        None => Ok(()),
        Some(p) => Err(Stop::fail(
            format!(
                "host URL `{}` is not canonical: {p}",
                ctx.info.host_url.as_str()
            ),
            &[&ex],
        )),
    }
}

fn unsupported_op(ctx: &Ctx<'_>) -> TestResult {
    let key = ctx.c.key();
    for o in [15u64, 4242, 65279, 65535] {
        let ex = ctx
            .c
            .call(&key, o, Some(ctx.c.random::<16>()), EMPTY.to_vec());
        expect_code(&ex, ErrorCode::UNSUPPORTED_OP, None)?;
    }
    Ok(())
}

fn channel_id_presence(ctx: &Ctx<'_>) -> TestResult {
    let key = ctx.c.key();
    let ex = ctx
        .c
        .call(&key, op::INFO, Some(ctx.c.random::<16>()), EMPTY.to_vec());
    expect_detail(&ex, ErrorCode::UNKNOWN_KEY)?;
    let ex = ctx.c.call(&key, op::LOG_FETCH, None, super::log_body(0, 1));
    expect_detail(&ex, ErrorCode::MISSING_KEY)?;
    Ok(())
}

fn unsupported_version(ctx: &Ctx<'_>) -> TestResult {
    let key = ctx.c.key();
    for v in [0u64, 2, 65536] {
        let rb = info_spec(ctx).encode();
        let sig = key.sign(hearth_crypto::hazmat::label::REQUEST, |e| {
            e.bytes(&rb);
        });
        let ex = ctx.c.post_raw(assemble_signed(v, &key.public(), &rb, &sig));
        expect_code(&ex, ErrorCode::UNSUPPORTED_VERSION, None)?;
    }
    Ok(())
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

/// A recorded request (HRT-API-52): `blob.put` by a member, an op with an effect.
pub(crate) fn blob_put_spec(ctx: &Ctx<'_>, ch: &super::Channel, data: &[u8]) -> RequestSpec {
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
    let s = ctx.c.spec(op::MSG_POST, Some(ch.id), super::msg_body(&env));
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
    ctx.add_members(&mut ch, &[super::MEMBER])?;
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
    let s = ctx.c.spec(op::MSG_POST, Some(ch.id), super::msg_body(&env));
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

/// Compares two responses ignoring key 3 (server_time) and checks the exact form
/// `{1: 1, 2: 8, 3: t}` (HRT-API-34).
pub fn uniform_not_found(a: &Exchange, b: &Exchange) -> TestResult {
    for ex in [a, b] {
        let r = expect_code(ex, ErrorCode::NOT_FOUND, None)?;
        let want = encode_with(|e| {
            e.map(3)
                .uint(1)
                .uint(1)
                .uint(2)
                .uint(8)
                .uint(3)
                .uint(r.server_time.0);
        });
        ensure(
            ex.body() == want.as_slice(),
            "not_found is not exactly {1: 1, 2: 8, 3: server_time} (HRT-API-34)",
            &[ex],
        )?;
    }
    Ok(())
}

fn not_found_uniform(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let outsider = ctx.c.key();
    let missing = ctx.c.random::<16>();
    let blob = crate::client::blob_id(b"x");
    let bodies: Vec<(u64, Vec<u8>)> = vec![
        (op::CHANNEL_DELETE, EMPTY.to_vec()),
        (
            op::INVITE_CREATE,
            ctx.invite_body(
                &ctx.c.random(),
                &ctx.c.key().public(),
                ctx.c.host_now() + 600,
            ),
        ),
        (
            op::INVITE_REVOKE,
            encode_with(|e| {
                e.map(1).uint(1).bytes(&[1; 16]);
            }),
        ),
        (op::JOIN_FETCH, EMPTY.to_vec()),
        (
            op::COMMIT_REPORT,
            encode_with(|e| {
                e.map(2).uint(1).uint(1).uint(2).uint(70);
            }),
        ),
        (op::LOG_FETCH, super::log_body(0, 1)),
        (op::WELCOME_FETCH, EMPTY.to_vec()),
        (op::MEMBER_LEAVE, EMPTY.to_vec()),
        (
            op::BLOB_PUT,
            encode_with(|e| {
                e.map(1).uint(1).bytes(b"data");
            }),
        ),
        (
            op::BLOB_GET,
            encode_with(|e| {
                e.map(1).uint(1).bytes(&blob);
            }),
        ),
    ];
    for (o, body) in bodies {
        let a = ctx.c.call(&outsider, o, Some(ch.id), body.clone());
        let b = ctx.c.call(&outsider, o, Some(missing), body);
        uniform_not_found(&a, &b)?;
    }
    // msg.post and commit.post need channel-specific bodies.
    let mut fake = ch.clone();
    fake.id = missing;
    for c in [&ch, &fake] {
        let env = ctx.envelope_from(c, 0);
        let a = ctx
            .c
            .call(&outsider, op::MSG_POST, Some(c.id), super::msg_body(&env));
        expect_code(&a, ErrorCode::NOT_FOUND, None)?;
    }
    ctx.delete_channel(&ch);
    Ok(())
}

fn max_request(ctx: &Ctx<'_>) -> TestResult {
    let max = ctx.limits().max_request;
    if max > 64 * 1024 * 1024 {
        return Err(Stop::NotApplicable(format!(
            "max_request {max} too large to send"
        )));
    }
    // A valid SignedRequest padded with trailing bytes to exactly max+1: too_large.
    let mut body = valid_info_bytes(ctx);
    body.resize(max as usize + 1, 0);
    let ex = ctx.c.post_raw(body.clone());
    expect_code(&ex, ErrorCode::TOO_LARGE, None)?;
    // Exactly max bytes: not too_large (trailing bytes then).
    body.truncate(max as usize);
    let ex = ctx.c.post_raw(body);
    expect_detail(&ex, ErrorCode::TRAILING_BYTES)?;
    Ok(())
}

fn too_large_before_body(ctx: &Ctx<'_>) -> TestResult {
    let max = ctx.limits().max_request;
    // HRT-API-16: the decision is made on the declared length; the body never comes.
    let ex = ctx
        .c
        .post_declared_only(max.saturating_add(1), std::time::Duration::from_secs(5));
    expect_code(&ex, ErrorCode::TOO_LARGE, None)?;
    Ok(())
}

fn no_content_length(ctx: &Ctx<'_>) -> TestResult {
    let max = ctx.limits().max_request;
    if max > 64 * 1024 * 1024 {
        return Err(Stop::NotApplicable(format!(
            "max_request {max} too large to send"
        )));
    }
    let valid = valid_info_bytes(ctx);
    let Some(ex) = ctx.c.post_chunked(valid.clone()) else {
        return Err(Stop::NotApplicable(
            "this target has no chunked transport (a CGI program always gets CONTENT_LENGTH)"
                .into(),
        ));
    };
    // A web server in front of a CGI program may refuse a body without a length (spec §8.1.1).
    if ex.reply.as_ref().is_ok_and(|r| r.status == 411) {
        return Err(Stop::NotApplicable(
            "the web server answers 411 Length Required to a chunked body (spec §8.1.1)".into(),
        ));
    }
    expect_ok::<InfoResult>(&ex)?;
    // HRT-API-17: the host reads at most max_request + 1 bytes and answers too_large.
    let mut body = valid;
    body.resize(max as usize + 1, 0);
    let ex = ctx
        .c
        .post_chunked(body)
        .ok_or_else(|| Stop::NotApplicable("no chunked transport".into()))?;
    expect_code(&ex, ErrorCode::TOO_LARGE, None)?;
    Ok(())
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
        super::log_body(99, 0),
    );
    expect_code(&ex, ErrorCode::NOT_FOUND, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

#[allow(dead_code)]
fn decode_response(b: &[u8]) -> Option<Response> {
    Response::decode(b).ok()
}
