//! `blob.put` and `blob.get` (spec §8.5.14, §8.5.15): round trip, unknown blobs, size and
//! count limits.

use hearth_wire::request::{BlobGetResult, BlobPutResult};
use hearth_wire::{encode_with, ErrorCode};

use crate::client::{blob_id, Exchange};
use crate::model::{Stop, TestResult};
use crate::suite::{ensure, expect_code, expect_detail, expect_ok, op, Ctx, MEMBER};

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

pub(super) fn blob_roundtrip(ctx: &Ctx<'_>) -> TestResult {
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

pub(super) fn blob_not_found(ctx: &Ctx<'_>) -> TestResult {
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

pub(super) fn blob_too_large(ctx: &Ctx<'_>) -> TestResult {
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

pub(super) fn blob_max(ctx: &Ctx<'_>) -> TestResult {
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
