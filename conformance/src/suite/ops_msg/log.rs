//! `log.fetch` (spec §8.5.11): bounds, paging and full pages.

use hearth_wire::request::LogFetchResult;
use hearth_wire::ErrorCode;

use crate::model::TestResult;
use crate::suite::{ensure, expect_code, log_body, op, Ctx, MEMBER};

pub(super) fn log_bounds(ctx: &Ctx<'_>) -> TestResult {
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

pub(super) fn log_paging(ctx: &Ctx<'_>) -> TestResult {
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

pub(super) fn log_full_pages(ctx: &Ctx<'_>) -> TestResult {
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
