//! Spec §8.5.10 to §8.5.15: `msg.post`, `log.fetch`, `welcome.fetch`, `member.leave`,
//! `blob.put`, `blob.get`.

use hearth_wire::request::{AppendResult, BlobGetResult, BlobPutResult, LogFetchResult};
use hearth_wire::{encode_with, ErrorCode};

use super::api::uniform_not_found;
use super::{
    ensure, envelope, expect_code, expect_detail, expect_ok, log_body, msg_body, op, Ctx,
    EnvelopeSpec, MEMBER, SUITE,
};
use crate::client::{blob_id, sign_request, Exchange};
use crate::model::{Stop, TestResult};
use crate::suite::HostTestDef;

/// The tests of this module.
pub fn tests() -> Vec<HostTestDef> {
    vec![
        t!(
            "host.op.msg-post.ok",
            "msg.post appends a msg entry with the exact envelope bytes",
            ["HRT-OP-48", "HRT-LOG-1", "HRT-LOG-6", "HRT-WIRE-19"],
            msg_ok
        ),
        t!(
            "host.op.msg-post.wrong-channel",
            "an envelope naming another channel -> malformed/invalid_value",
            ["HRT-OP-44"],
            msg_wrong_channel
        ),
        t!(
            "host.op.msg-post.wrong-suite",
            "an envelope with another suite -> unsupported_suite",
            ["HRT-OP-45", "HRT-EXT-5"],
            msg_wrong_suite
        ),
        t!(
            "host.op.msg-post.wrong-epoch",
            "an envelope for another epoch -> epoch_conflict",
            ["HRT-OP-46"],
            msg_wrong_epoch
        ),
        t!(
            "host.op.msg-post.wrong-sender",
            "a sender leaf not holding the request key -> forbidden",
            ["HRT-OP-47"],
            msg_wrong_sender
        ),
        t!(
            "host.op.msg-post.envelope-version",
            "an envelope of version 2 -> unsupported_version",
            ["HRT-API-26"],
            msg_version
        ),
        t!(
            "host.op.msg-post.check-order",
            "channel before suite before epoch before sender",
            [
                "HRT-API-15",
                "HRT-OP-44",
                "HRT-OP-45",
                "HRT-OP-46",
                "HRT-OP-47"
            ],
            msg_order
        ),
        t!(
            "host.op.log-fetch.bounds",
            "since > tip, limit 0, limit > max_log_page -> malformed/invalid_value",
            ["HRT-OP-49"],
            log_bounds
        ),
        t!(
            "host.op.log-fetch.paging",
            "pages are contiguous from since+1, at most limit, with tip, head and epoch",
            [
                "HRT-OP-50",
                "HRT-LOG-9",
                "HRT-LOG-10",
                "HRT-LOG-13",
                "HRT-LOG-14"
            ],
            log_paging
        ),
        t!(
            "host.op.log-fetch.full-pages",
            "a page holds min(limit, tip - since) entries",
            ["HRT-LOG-11"],
            log_full_pages
        ),
        t!(
            "host.op.welcome-fetch.none",
            "welcome.fetch without a stored Welcome -> uniform not_found",
            ["HRT-OP-51", "HRT-API-34"],
            welcome_none
        ),
        t!(
            "host.op.member-leave.ok",
            "leave logs the exact SignedRequest; later requests get not_found; retry is stored",
            ["HRT-OP-54", "HRT-LOG-1", "HRT-API-28"],
            leave_ok
        ),
        t!(
            "host.op.blob.roundtrip",
            "blob ids are H(\"blob\", data); re-put returns the same id; get returns the bytes",
            ["HRT-OP-57", "HRT-OP-58"],
            blob_roundtrip
        ),
        t!(
            "host.op.blob.not-found",
            "blob.get of an unknown id, or of another channel's blob -> not_found",
            ["HRT-OP-58"],
            blob_not_found
        ),
        t!(
            "host.op.blob.too-large",
            "a blob of max_blob+1 bytes -> too_large",
            ["HRT-OP-55", "HRT-API-45"],
            blob_too_large
        ),
        t!(
            "host.op.blob.max-blobs",
            "a new blob beyond max_blobs -> limit_exceeded, an existing one still ok",
            ["HRT-OP-56", "HRT-OP-57", "HRT-API-45"],
            blob_max
        ),
    ]
}

fn env_with(ctx: &Ctx<'_>, ch: &super::Channel, f: impl FnOnce(&mut EnvelopeSpec)) -> Vec<u8> {
    let mut s = EnvelopeSpec {
        version: 1,
        suite: SUITE,
        channel: ch.id,
        epoch: ch.epoch,
        sender: 0,
    };
    f(&mut s);
    ctx.c.with_rng(|r| envelope(r, &s))
}

fn msg_ok(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let (ex, env) = ctx.post_msg(&ch, 0);
    let r: AppendResult = expect_ok(&ex)?;
    let (log, lex) = ctx.fetch_log(&ch, 0, 1, 10)?;
    let e = log
        .entries
        .as_slice()
        .first()
        .ok_or_else(|| Stop::fail("no msg entry", &[&lex]))?;
    ensure(
        e.seq == r.seq && e.kind as u64 == 2 && e.bytes == env,
        "the msg entry is not kind 2 with the exact envelope at the returned seq",
        &[&ex, &lex],
    )?;
    ensure(
        e.head.as_bytes() == r.head.as_bytes(),
        "the returned head differs from the entry's head",
        &[&ex, &lex],
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn post_env(
    ctx: &Ctx<'_>,
    ch: &super::Channel,
    leaf: usize,
    env: &[u8],
) -> crate::client::Exchange {
    ctx.c
        .call(ch.key(leaf), op::MSG_POST, Some(ch.id), msg_body(env))
}

fn msg_wrong_channel(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let env = env_with(ctx, &ch, |s| s.channel = [9; 16]);
    expect_code(
        &post_env(ctx, &ch, 0, &env),
        ErrorCode::MALFORMED,
        Some(ErrorCode::INVALID_VALUE),
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn msg_wrong_suite(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    for suite in [2u64, 0, 65535] {
        let env = env_with(ctx, &ch, |s| s.suite = suite);
        expect_code(
            &post_env(ctx, &ch, 0, &env),
            ErrorCode::UNSUPPORTED_SUITE,
            None,
        )?;
    }
    ctx.delete_channel(&ch);
    Ok(())
}

fn msg_wrong_epoch(ctx: &Ctx<'_>) -> TestResult {
    let mut ch = ctx.create_channel()?;
    ctx.add_members(&mut ch, &[MEMBER])?;
    for epoch in [0u64, 2, u64::MAX] {
        let env = env_with(ctx, &ch, |s| s.epoch = epoch);
        expect_code(
            &post_env(ctx, &ch, 0, &env),
            ErrorCode::EPOCH_CONFLICT,
            None,
        )?;
    }
    let (log, lex) = ctx.fetch_log(&ch, 0, 0, 10)?;
    ensure(log.tip.0 == 2, "rejected messages were appended", &[&lex])?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn msg_wrong_sender(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.channel_with_members()?;
    for (leaf_claimed, signer) in [(0u64, 1usize), (2, 1), (9, 0)] {
        let env = env_with(ctx, &ch, |s| s.sender = leaf_claimed);
        expect_code(
            &post_env(ctx, &ch, signer, &env),
            ErrorCode::FORBIDDEN,
            None,
        )?;
    }
    ctx.delete_channel(&ch);
    Ok(())
}

fn msg_version(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let env = env_with(ctx, &ch, |s| s.version = 2);
    expect_code(
        &post_env(ctx, &ch, 0, &env),
        ErrorCode::UNSUPPORTED_VERSION,
        None,
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn msg_order(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.channel_with_members()?;
    let mut s = EnvelopeSpec {
        version: 1,
        suite: 2,
        channel: [9; 16],
        epoch: 77,
        sender: 2,
    };
    let post = |s: &EnvelopeSpec| {
        let env = ctx.c.with_rng(|r| envelope(r, s));
        post_env(ctx, &ch, 0, &env)
    };
    expect_code(
        &post(&s),
        ErrorCode::MALFORMED,
        Some(ErrorCode::INVALID_VALUE),
    )?;
    s.channel = ch.id;
    expect_code(&post(&s), ErrorCode::UNSUPPORTED_SUITE, None)?;
    s.suite = SUITE;
    expect_code(&post(&s), ErrorCode::EPOCH_CONFLICT, None)?;
    s.epoch = ch.epoch;
    expect_code(&post(&s), ErrorCode::FORBIDDEN, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn log_bounds(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let max = ctx.limits().max_log_page;
    for (since, limit) in [(2u64, 1u64), (100, 10), (0, 0), (0, max.saturating_add(1))] {
        let ex = ctx.c.call(
            ch.creator(),
            op::LOG_FETCH,
            Some(ch.id),
            log_body(since, limit),
        );
        expect_code(&ex, ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))?;
    }
    // since = tip and limit = max_log_page are fine.
    let (r, ex) = ctx.fetch_log(&ch, 0, 1, max)?;
    ensure(
        r.entries.is_empty() && r.tip.0 == 1,
        "since = tip must return an empty page with tip 1",
        &[&ex],
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn log_paging(ctx: &Ctx<'_>) -> TestResult {
    let mut ch = ctx.create_channel()?;
    ctx.add_members(&mut ch, &[MEMBER])?;
    for _ in 0..4 {
        let (ex, _) = ctx.post_msg(&ch, 0);
        expect_code(&ex, ErrorCode::OK, None)?;
    }
    let all = ctx.fetch_all(&ch, 0)?;
    let tip = all.len() as u64;
    for (since, limit) in [(0u64, 2u64), (1, 3), (3, 100), (tip - 1, 1)] {
        let (r, ex) = ctx.fetch_log(&ch, 1, since, limit)?;
        let es = r.entries.as_slice();
        ensure(
            !es.is_empty() && es.len() as u64 <= limit,
            format!("since {since} limit {limit}: {} entries", es.len()),
            &[&ex],
        )?;
        for (i, e) in es.iter().enumerate() {
            let want = all.get((since as usize) + i);
            ensure(
                want == Some(e),
                format!(
                    "entry {} differs from the full fetch or is out of order",
                    since + 1 + i as u64
                ),
                &[&ex],
            )?;
        }
        let last = all.last();
        ensure(
            r.tip.0 == tip && last.map(|l| l.head.as_bytes().as_slice()) == Some(r.head.as_slice()),
            "tip or head at tip wrong",
            &[&ex],
        )?;
        ensure(
            r.epoch.0 == 1,
            format!("epoch {} (one commit in the log)", r.epoch.0),
            &[&ex],
        )?;
    }
    ctx.delete_channel(&ch);
    Ok(())
}

fn log_full_pages(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    for _ in 0..5 {
        expect_code(&ctx.post_msg(&ch, 0).0, ErrorCode::OK, None)?;
    }
    for (since, limit, want) in [(0u64, 6u64, 6usize), (0, 3, 3), (2, 100, 4)] {
        let (r, ex): (LogFetchResult, _) = ctx.fetch_log(&ch, 0, since, limit)?;
        ensure(
            r.entries.len() == want,
            format!(
                "since {since} limit {limit}: {} entries, expected {want}",
                r.entries.len()
            ),
            &[&ex],
        )?;
    }
    ctx.delete_channel(&ch);
    Ok(())
}

fn welcome_none(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let inv = ctx.invite(&ch, 0)?;
    let mk = ctx.c.key();
    expect_code(&ctx.redeem(&ch, &inv, &mk), ErrorCode::OK, None)?;
    let a = ctx.call_empty(&mk, op::WELCOME_FETCH, ch.id);
    let b = ctx.call_empty(&mk, op::WELCOME_FETCH, ctx.c.random());
    uniform_not_found(&a, &b)?;
    // The creator has no Welcome either.
    expect_code(
        &ctx.call_empty(ch.creator(), op::WELCOME_FETCH, ch.id),
        ErrorCode::NOT_FOUND,
        None,
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn leave_ok(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.channel_with_members()?;
    let s = ctx
        .c
        .spec(op::MEMBER_LEAVE, Some(ch.id), super::EMPTY.to_vec());
    let signed = sign_request(ch.key(2), &s.encode());
    let ex = ctx.c.post_signed(signed.clone());
    let r: AppendResult = expect_ok(&ex)?;
    let (log, lex) = ctx.fetch_log(&ch, 0, r.seq.0 - 1, 1)?;
    let e = log
        .entries
        .as_slice()
        .first()
        .ok_or_else(|| Stop::fail("no leave entry", &[&lex]))?;
    ensure(
        e.kind as u64 == 3 && e.bytes == signed,
        "the leave entry is not kind 3 with the exact SignedRequest",
        &[&ex, &lex],
    )?;
    let again = ctx.c.post_signed(signed);
    ensure(
        again.body() == ex.body(),
        "the retry of member.leave did not return the stored response",
        &[&ex, &again],
    )?;
    let a = ctx
        .c
        .call(ch.key(2), op::LOG_FETCH, Some(ch.id), log_body(0, 1));
    let b = ctx.c.call(
        ch.key(2),
        op::LOG_FETCH,
        Some(ctx.c.random()),
        log_body(0, 1),
    );
    uniform_not_found(&a, &b)?;
    let env = ctx.envelope_from(&ch, 2);
    expect_code(&post_env(ctx, &ch, 2, &env), ErrorCode::NOT_FOUND, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn put_body(data: &[u8]) -> Vec<u8> {
    encode_with(|e| {
        e.map(1).uint(1).bytes(data);
    })
}

fn get_body(id: &[u8; 32]) -> Vec<u8> {
    encode_with(|e| {
        e.map(1).uint(1).bytes(id);
    })
}

fn blob_roundtrip(ctx: &Ctx<'_>) -> TestResult {
    let mut ch = ctx.create_channel()?;
    ctx.add_members(&mut ch, &[MEMBER])?;
    let size = 1 + ctx.c.with_rng(|r| r.below(4096)) as usize;
    let data = ctx.c.with_rng(|r| r.vec(size));
    let ex = ctx
        .c
        .call(ch.key(1), op::BLOB_PUT, Some(ch.id), put_body(&data));
    let r: BlobPutResult = expect_ok(&ex)?;
    ensure(
        r.id.0 == blob_id(&data),
        "blob id is not H(\"blob\", data)",
        &[&ex],
    )?;
    let ex2 = ctx
        .c
        .call(ch.key(0), op::BLOB_PUT, Some(ch.id), put_body(&data));
    let r2: BlobPutResult = expect_ok(&ex2)?;
    ensure(r2.id == r.id, "re-put returned another id", &[&ex, &ex2])?;
    let gex = ctx
        .c
        .call(ch.key(0), op::BLOB_GET, Some(ch.id), get_body(&r.id.0));
    let g: BlobGetResult = expect_ok(&gex)?;
    ensure(
        g.data == data,
        "blob.get returned other bytes",
        &[&ex, &gex],
    )?;
    // Blobs do not enter the log.
    let (log, lex) = ctx.fetch_log(&ch, 0, 0, 10)?;
    ensure(log.tip.0 == 2, "blob.put appended log entries", &[&lex])?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn blob_not_found(ctx: &Ctx<'_>) -> TestResult {
    let a = ctx.create_channel()?;
    let b = ctx.create_channel()?;
    let ex = ctx.c.call(
        a.creator(),
        op::BLOB_PUT,
        Some(a.id),
        put_body(b"only in a"),
    );
    let r: BlobPutResult = expect_ok(&ex)?;
    expect_code(
        &ctx.c
            .call(b.creator(), op::BLOB_GET, Some(b.id), get_body(&r.id.0)),
        ErrorCode::NOT_FOUND,
        None,
    )?;
    expect_code(
        &ctx.c.call(
            a.creator(),
            op::BLOB_GET,
            Some(a.id),
            get_body(&ctx.c.random()),
        ),
        ErrorCode::NOT_FOUND,
        None,
    )?;
    ctx.delete_channel(&a);
    ctx.delete_channel(&b);
    Ok(())
}

fn blob_too_large(ctx: &Ctx<'_>) -> TestResult {
    let max = ctx.limits().max_blob;
    let ch = ctx.create_channel()?;
    // HRT-OP-55: data one byte over max_blob; the CDDL bound (16 MiB) leaves the decision to
    // the host's limit.
    let ex = ctx.c.call(
        ch.creator(),
        op::BLOB_PUT,
        Some(ch.id),
        put_body(&vec![1u8; max as usize + 1]),
    );
    expect_code(&ex, ErrorCode::TOO_LARGE, None)?;
    let ex = ctx.c.call(
        ch.creator(),
        op::BLOB_PUT,
        Some(ch.id),
        put_body(&vec![2u8; max as usize]),
    );
    expect_code(&ex, ErrorCode::OK, None)?;
    // Empty data is below the minimum of the CDDL size range (HRT-WIRE-15: wrong_size).
    let ex = ctx
        .c
        .call(ch.creator(), op::BLOB_PUT, Some(ch.id), put_body(&[]));
    expect_detail(&ex, ErrorCode::WRONG_SIZE)?;
    ctx.delete_channel(&ch);
    Ok(())
}

/// Blobs one writer puts in [`blob_max`]; more blobs are spread over more members, so that a
/// per-key rate limit (HRT-API-46) does not make the spec's default `max_blobs` slow to reach.
const BLOBS_PER_WRITER: u64 = 256;

fn blob_max(ctx: &Ctx<'_>) -> TestResult {
    let l = ctx.limits();
    let max = l.max_blobs;
    if max > 65536 {
        return Err(Stop::NotApplicable(format!(
            "max_blobs {max} too large for a bounded run"
        )));
    }
    let writers = max
        .div_ceil(BLOBS_PER_WRITER)
        .min(16)
        .min(l.max_members)
        .min(l.max_pending + 1)
        .min(l.max_invites + 1)
        .max(1) as usize;
    let mut ch = ctx.create_channel()?;
    if writers > 1 {
        ctx.add_members(&mut ch, &vec![MEMBER; writers - 1])?;
    }
    let first = (max > 0).then(|| "blob 0".to_owned());
    // Blob i is put by member i % writers, the members in parallel.
    let failure: Option<Exchange> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..writers)
            .map(|w| {
                let ch = &ch;
                sc.spawn(move || {
                    let mut i = w as u64;
                    while i < max {
                        let data = format!("blob {i}");
                        let ex = ctx.c.call(
                            ch.key(w),
                            op::BLOB_PUT,
                            Some(ch.id),
                            put_body(data.as_bytes()),
                        );
                        if ex.status() != Some(ErrorCode::OK) {
                            return Some(ex);
                        }
                        i += writers as u64;
                    }
                    None
                })
            })
            .collect();
        hs.into_iter()
            .filter_map(|h| h.join().ok().flatten())
            .next()
    });
    if let Some(ex) = failure {
        return Err(Stop::fail(
            format!("a blob.put below max_blobs {max} was not accepted"),
            &[&ex],
        ));
    }
    let ex = ctx.c.call(
        ch.creator(),
        op::BLOB_PUT,
        Some(ch.id),
        put_body(b"one too many"),
    );
    expect_code(&ex, ErrorCode::LIMIT_EXCEEDED, None)?;
    if let Some(d) = first {
        let ex = ctx.c.call(
            ch.creator(),
            op::BLOB_PUT,
            Some(ch.id),
            put_body(d.as_bytes()),
        );
        expect_code(&ex, ErrorCode::OK, None)?;
    }
    ctx.delete_channel(&ch);
    Ok(())
}
