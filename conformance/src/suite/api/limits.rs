//! Spec §8.4, §11: the uniform `not_found` and `max_request`.

use hearth_wire::request::InfoResult;
use hearth_wire::{encode_with, ErrorCode};

use super::transport::valid_info_bytes;
use crate::client::Exchange;
use crate::model::{Stop, TestResult};
use crate::suite::HostTestDef;
use crate::suite::{ensure, expect_code, expect_detail, expect_ok, op, Ctx, EMPTY};

/// The tests of this module.
pub fn tests() -> Vec<HostTestDef> {
    vec![
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
    ]
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
        (op::LOG_FETCH, crate::suite::log_body(0, 1)),
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
        let a = ctx.c.call(
            &outsider,
            op::MSG_POST,
            Some(c.id),
            crate::suite::msg_body(&env),
        );
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
