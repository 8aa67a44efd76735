//! Spec §8.5.2 and §8.5.3: `channel.create` and `channel.delete`.

use hearth_wire::request::AppendResult;
use hearth_wire::ErrorCode;

use super::{ensure, expect_code, expect_ok, op, Ctx, EMPTY, SUITE};
use crate::client::sign_request;
use crate::model::{Stop, TestResult};
use crate::suite::HostTestDef;

/// The tests of this module.
pub fn tests() -> Vec<HostTestDef> {
    vec![
        t!(
            "host.op.channel-create.ok",
            "create: epoch 0, seq 1, the create entry holds the exact SignedRequest",
            ["HRT-OP-9", "HRT-LOG-1", "HRT-LOG-6", "HRT-LOG-7"],
            create_ok
        ),
        t!(
            "host.op.channel-create.unsupported-suite",
            "suites 0, 2, 65535 -> unsupported_suite",
            ["HRT-OP-5", "HRT-API-74"],
            unsupported_suite
        ),
        t!(
            "host.op.channel-create.bad-owner-signature",
            "owner signature by a stranger or over other data -> forbidden",
            ["HRT-OP-6"],
            bad_owner_sig
        ),
        t!(
            "host.op.channel-create.conflict",
            "an existing channel id -> conflict",
            ["HRT-OP-7"],
            conflict
        ),
        t!(
            "host.op.channel-create.check-order",
            "unsupported suite before forbidden before conflict",
            ["HRT-API-15", "HRT-OP-5", "HRT-OP-6"],
            create_order
        ),
        t!(
            "host.op.channel-create.max-channels",
            "creating beyond max_channels -> limit_exceeded",
            ["HRT-OP-8", "HRT-API-45"],
            max_channels
        ),
        t!(
            "host.op.channel-delete.gone",
            "after delete: uniform not_found, retry returns the stored answer",
            ["HRT-OP-11", "HRT-API-28"],
            delete_gone
        ),
    ]
}

fn create_ok(ctx: &Ctx<'_>) -> TestResult {
    let (ex, ch, signed) = ctx.try_create_channel();
    let r: AppendResult = expect_ok(&ex)?;
    ensure(
        r.seq.0 == 1,
        format!("create returned seq {}", r.seq.0),
        &[&ex],
    )?;
    let head = crate::client::next_head(&[], 1, 0, &signed);
    ensure(
        r.head.as_bytes() == &head,
        "create head is not H(\"log\", [h'', 1, 0, H(\"entry\", SignedRequest)])",
        &[&ex],
    )?;
    let (log, lex) = ctx.fetch_log(&ch, 0, 0, 10)?;
    let e = log
        .entries
        .as_slice()
        .first()
        .ok_or_else(|| Stop::fail("empty log after create", &[&lex]))?;
    ensure(
        e.seq.0 == 1 && e.kind as u64 == 0,
        "entry 1 is not a create entry",
        &[&lex],
    )?;
    ensure(
        e.bytes == signed,
        "the create entry's bytes are not the exact SignedRequest",
        &[&ex, &lex],
    )?;
    ensure(
        log.epoch.0 == 0 && log.tip.0 == 1,
        format!("epoch {} tip {}", log.epoch.0, log.tip.0),
        &[&lex],
    )?;
    // The creator is admin: it can create an invite.
    ctx.invite(&ch, 0)?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn create_with(
    ctx: &Ctx<'_>,
    suite: u64,
    owner_sig: Option<[u8; 64]>,
    id: Option<[u8; 16]>,
) -> crate::client::Exchange {
    let creator = ctx.c.key();
    let id = id.unwrap_or_else(|| ctx.c.random::<16>());
    let sig = owner_sig.unwrap_or_else(|| ctx.owner_sig(&ctx.owner, &id, &creator.public()));
    let spec = ctx
        .c
        .spec(op::CHANNEL_CREATE, Some(id), ctx.create_body(suite, &sig));
    ctx.c.post_signed(sign_request(&creator, &spec.encode()))
}

fn unsupported_suite(ctx: &Ctx<'_>) -> TestResult {
    let supported: Vec<u64> = ctx
        .info
        .suites
        .as_slice()
        .iter()
        .map(|s| u64::from(s.0))
        .collect();
    for s in [0u64, 2, 65280, 65535] {
        if supported.contains(&s) {
            continue;
        }
        expect_code(
            &create_with(ctx, s, None, None),
            ErrorCode::UNSUPPORTED_SUITE,
            None,
        )?;
    }
    Ok(())
}

fn bad_owner_sig(ctx: &Ctx<'_>) -> TestResult {
    let stranger = ctx.c.key();
    let id = ctx.c.random::<16>();
    let creator = ctx.c.key();
    let by_stranger = ctx.owner_sig(&stranger, &id, &creator.public());
    let other_channel = ctx.owner_sig(&ctx.owner, &ctx.c.random::<16>(), &creator.public());
    let other_key = ctx.owner_sig(&ctx.owner, &id, &ctx.c.key().public());
    for sig in [by_stranger, other_channel, other_key, [0u8; 64]] {
        let spec = ctx
            .c
            .spec(op::CHANNEL_CREATE, Some(id), ctx.create_body(SUITE, &sig));
        let ex = ctx.c.post_signed(sign_request(&creator, &spec.encode()));
        expect_code(&ex, ErrorCode::FORBIDDEN, None)?;
    }
    Ok(())
}

fn conflict(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let ex = create_with(ctx, SUITE, None, Some(ch.id));
    expect_code(&ex, ErrorCode::CONFLICT, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn create_order(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let bad_sig = [3u8; 64];
    expect_code(
        &create_with(ctx, 0, Some(bad_sig), Some(ch.id)),
        ErrorCode::UNSUPPORTED_SUITE,
        None,
    )?;
    expect_code(
        &create_with(ctx, SUITE, Some(bad_sig), Some(ch.id)),
        ErrorCode::FORBIDDEN,
        None,
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn max_channels(ctx: &Ctx<'_>) -> TestResult {
    let max = ctx.limits().max_channels;
    if max > 256 {
        return Err(Stop::NotApplicable(format!(
            "max_channels {max} is too large for a bounded run"
        )));
    }
    let mut made = Vec::new();
    let mut result = Err(Stop::fail(
        format!("no limit_exceeded after {} creates", max + 1),
        &[],
    ));
    for _ in 0..=max {
        let (ex, ch, _) = ctx.try_create_channel();
        match ex.status() {
            Some(ErrorCode::OK) => made.push(ch),
            Some(ErrorCode::LIMIT_EXCEEDED) => {
                result = Ok(ex);
                break;
            }
            _ => {
                result = Err(Stop::fail(
                    "unexpected answer while filling max_channels",
                    &[&ex],
                ));
                break;
            }
        }
    }
    let outcome = match result {
        Ok(limit_ex) => {
            // After deleting one, a create succeeds again (the limit counts existing channels).
            match made.pop() {
                Some(last) => {
                    ctx.delete_channel(&last);
                    let (ex, ch, _) = ctx.try_create_channel();
                    let r = expect_code(&ex, ErrorCode::OK, None).map(|_| ());
                    if r.is_ok() {
                        made.push(ch);
                    }
                    r.map_err(|e| match e {
                        Stop::Fail(mut f) => {
                            f.exchanges.insert(0, limit_ex);
                            f.message = format!("after a delete under the limit: {}", f.message);
                            Stop::Fail(f)
                        }
                        other => other,
                    })
                }
                None => Ok(()),
            }
        }
        Err(e) => Err(e),
    };
    for ch in &made {
        ctx.delete_channel(ch);
    }
    outcome
}

fn delete_gone(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let spec = ctx.c.spec(op::CHANNEL_DELETE, Some(ch.id), EMPTY.to_vec());
    let signed = sign_request(ch.creator(), &spec.encode());
    let first = ctx.c.post_signed(signed.clone());
    expect_code(&first, ErrorCode::OK, None)?;
    let again = ctx.c.post_signed(signed);
    ensure(again.body() == first.body(), "the retry of channel.delete did not return the stored response (the nonce store outlives the channel)", &[&first, &again])?;
    let a = ctx.c.call(
        ch.creator(),
        op::LOG_FETCH,
        Some(ch.id),
        super::log_body(0, 1),
    );
    let b = ctx.c.call(
        ch.creator(),
        op::LOG_FETCH,
        Some(ctx.c.random::<16>()),
        super::log_body(0, 1),
    );
    super::api::uniform_not_found(&a, &b)
}
