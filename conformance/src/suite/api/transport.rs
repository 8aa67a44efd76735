//! Spec §8.1, §8.3, §8.4: the transport (methods, media type, bodies, headers), the response
//! shape, the InfoResult, and unsupported ops, channel IDs and versions.

use hearth_wire::request::InfoResult;
use hearth_wire::{ErrorCode, WireDecode};

use crate::client::{assemble_signed, sign_request, Exchange, RequestSpec};
use crate::model::{Stop, TestResult};
use crate::suite::HostTestDef;
use crate::suite::{answered, ensure, expect_code, expect_detail, expect_ok, op, Ctx, EMPTY};
use crate::target::HttpRequest;

/// The tests of this module.
pub fn tests() -> Vec<HostTestDef> {
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
            "advertised limits respect the spec's bounds (1 MiB requests if suite 2 is listed)",
            ["HRT-API-44", "HRT-API-71"],
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
    ]
}

pub(super) fn info_spec(ctx: &Ctx<'_>) -> RequestSpec {
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

pub fn valid_info_bytes(ctx: &Ctx<'_>) -> Vec<u8> {
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
        crate::suite::log_body(0, 1),
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
    // HRT-API-71: a host listing suite 2 accepts the largest suite-2 commit.post (§8.6).
    let suite_2 = ctx.info.suites.as_slice().iter().any(|s| s.0 == 2);
    ensure(
        !suite_2 || l.max_request >= 1_048_576,
        format!("suite 2 listed, max_request {} < 1048576", l.max_request),
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
    let ex = ctx
        .c
        .call(&key, op::LOG_FETCH, None, crate::suite::log_body(0, 1));
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
