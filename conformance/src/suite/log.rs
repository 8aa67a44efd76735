//! Spec §9: entries, sequence numbers, the hash chain recomputed from served entries, and a
//! bounded load scenario.

use std::sync::Mutex;

use hearth_wire::request::{AppendResult, CommitPostResult};
use hearth_wire::ErrorCode;

use super::{ensure, expect_code, expect_ok, op, verify_chain, Ctx, ADMIN, MEMBER};
use crate::client::{sign_request, Exchange};
use crate::model::{Stop, TestResult};
use crate::suite::HostTestDef;

/// Messages of the load scenario.
pub const LOAD_MESSAGES: usize = 500;
/// Threads of the load scenario.
pub const LOAD_THREADS: usize = 4;

/// The tests of this module.
pub fn tests() -> Vec<HostTestDef> {
    vec![
        t!("host.log.chain", "every served head equals the recomputed chain, for every entry kind", ["HRT-LOG-7", "HRT-LOG-12", "HRT-LOG-3", "HRT-LOG-4", "HRT-LOG-6", "HRT-LOG-13", "HRT-WIRE-19"], chain),
        t!("host.log.no-entry-for-rejected", "rejected requests and other ops append nothing", ["HRT-LOG-2", "HRT-API-37"], no_entry_for_rejected),
        t!("host.log.epoch-counts-commits", "the served epoch is the number of commit entries", ["HRT-LOG-14"], epoch_counts_commits),
        t!("host.log.immutable", "entries served later are byte-identical to entries served earlier", ["HRT-LOG-8"], immutable),
        t!("host.log.page-bytes", "a page of large entries stops early at 1048576 entry bytes (a page of one entry excepted), and the pages still cover the log", ["HRT-LOG-46", "HRT-LOG-9", "HRT-LOG-10"], page_bytes),
        t!("host.log.load", "500 msg.post from 4 threads: every acknowledged seq present exactly once, the chain verifies", ["HRT-LOG-5", "HRT-LOG-4", "HRT-LOG-9", "HRT-OP-46"], load),
    ]
}

fn chain(ctx: &Ctx<'_>) -> TestResult {
    let mut ch = ctx.create_channel()?;
    let mut claims: Vec<(u64, [u8; 32], Exchange)> = Vec::new();
    ctx.add_members(&mut ch, &[ADMIN, MEMBER])?;
    let (ex, env) = ctx.post_msg(&ch, 1);
    let r: AppendResult = expect_ok(&ex)?;
    claims.push((r.seq.0, r.head.0, ex));
    let spec = ctx.commit_spec(&ch, 0, vec![]);
    let (ex, commit) = ctx.post_commit(&ch, 0, &spec);
    let r: CommitPostResult = expect_ok(&ex)?;
    claims.push((r.seq.0, r.head.0, ex));
    ch.epoch += 1;
    let body = hearth_wire::encode_with(|e| {
        e.map(2).uint(1).uint(r.seq.0).uint(2).uint(70);
    });
    let ex = ctx.c.call(ch.key(2), op::COMMIT_REPORT, Some(ch.id), body);
    let r: AppendResult = expect_ok(&ex)?;
    claims.push((r.seq.0, r.head.0, ex));
    let ex = ctx.call_empty(ch.key(2), op::MEMBER_LEAVE, ch.id);
    let r: AppendResult = expect_ok(&ex)?;
    claims.push((r.seq.0, r.head.0, ex));
    let entries = ctx.fetch_all(&ch, 0)?;
    let (_, lex) = ctx.fetch_log(&ch, 0, 0, 1)?;
    let kinds: Vec<u64> = entries.iter().map(|e| e.kind as u64).collect();
    ensure(
        kinds == vec![0, 1, 2, 1, 4, 3],
        format!("entry kinds {kinds:?}, expected [0, 1, 2, 1, 4, 3]"),
        &[&lex],
    )?;
    let tip_head = verify_chain(&entries).map_err(|m| Stop::fail(m, &[&lex]))?;
    for (seq, head, ex) in &claims {
        let e = entries.get((*seq as usize).saturating_sub(1));
        ensure(
            e.map(|e| e.head.0) == Some(*head),
            format!("the head returned for seq {seq} differs from the served entry"),
            &[ex, &lex],
        )?;
    }
    ensure(
        entries.get(2).map(|e| e.bytes.as_slice()) == Some(env.as_slice()),
        "msg entry bytes differ from the posted envelope",
        &[&lex],
    )?;
    ensure(
        entries.get(3).map(|e| e.bytes.as_slice()) == Some(commit.as_slice()),
        "commit entry bytes differ from the posted commit",
        &[&lex],
    )?;
    ensure(
        entries.first().map(|e| e.bytes.as_slice()) == Some(ch.create_bytes.as_slice()),
        "create entry bytes differ",
        &[&lex],
    )?;
    let (r, rex) = ctx.fetch_log(&ch, 0, 6, 1)?;
    ensure(
        r.tip.0 == 6 && r.head.as_slice() == tip_head,
        "head at tip differs from the recomputed head",
        &[&rex],
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn no_entry_for_rejected(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.channel_with_members()?;
    let (before, _) = ctx.fetch_log(&ch, 0, 0, 100)?;
    // Rejections at various steps, and ops that never log.
    let mut bad = ctx.envelope_from(&ch, 0);
    if let Some(b) = bad.get_mut(2) {
        *b = 0x02;
    }
    let _ = ctx
        .c
        .call(ch.key(0), op::MSG_POST, Some(ch.id), super::msg_body(&bad));
    let _ = ctx.call_empty(&ctx.c.key(), op::MEMBER_LEAVE, ch.id);
    let spec = ctx.commit_spec(&ch, 2, vec![super::gop::remove(1)]);
    let _ = ctx.post_commit(&ch, 2, &spec);
    let _ = ctx.invite(&ch, 0)?;
    let _ = ctx.call_empty(ch.key(0), op::JOIN_FETCH, ch.id);
    let ex = ctx.c.call(
        ch.key(0),
        op::BLOB_PUT,
        Some(ch.id),
        hearth_wire::encode_with(|e| {
            e.map(1).uint(1).bytes(b"b");
        }),
    );
    expect_code(&ex, ErrorCode::OK, None)?;
    let (after, lex) = ctx.fetch_log(&ch, 0, 0, 100)?;
    ensure(
        after.tip == before.tip && after.head == before.head,
        format!("tip moved from {} to {}", before.tip.0, after.tip.0),
        &[&lex],
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn epoch_counts_commits(ctx: &Ctx<'_>) -> TestResult {
    let mut ch = ctx.create_channel()?;
    for _ in 0..3 {
        let spec = ctx.commit_spec(&ch, 0, vec![]);
        let (ex, _) = ctx.post_commit(&ch, 0, &spec);
        let _: CommitPostResult = expect_ok(&ex)?;
        ch.epoch += 1;
        let log = ctx.read_log(&ch, 0)?;
        let commits = log.commits();
        ensure(
            log.epoch == commits && commits == ch.epoch,
            format!("epoch {} with {commits} commits", log.epoch),
            &[&log.last],
        )?;
    }
    ctx.delete_channel(&ch);
    Ok(())
}

fn immutable(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    for _ in 0..3 {
        expect_code(&ctx.post_msg(&ch, 0).0, ErrorCode::OK, None)?;
    }
    let first = ctx.fetch_all(&ch, 0)?;
    for _ in 0..3 {
        expect_code(&ctx.post_msg(&ch, 0).0, ErrorCode::OK, None)?;
    }
    let later = ctx.read_log(&ch, 0)?;
    ensure(
        later.entries.get(..first.len()) == Some(first.as_slice()),
        "earlier entries changed",
        &[&later.last],
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn load(ctx: &Ctx<'_>) -> TestResult {
    let mut ch = ctx.create_channel()?;
    ctx.add_members(&mut ch, &[MEMBER; LOAD_THREADS - 1])?;
    // Every post prepared up front (deterministic bytes), then sent from LOAD_THREADS threads.
    let per = LOAD_MESSAGES / LOAD_THREADS;
    let mut work: Vec<Vec<(Vec<u8>, Vec<u8>)>> = Vec::new();
    for leaf in 0..LOAD_THREADS {
        let mut v = Vec::new();
        for _ in 0..per {
            let env = ctx.envelope_from(&ch, leaf);
            let s = ctx.c.spec(op::MSG_POST, Some(ch.id), super::msg_body(&env));
            v.push((sign_request(ch.key(leaf), &s.encode()), env));
        }
        work.push(v);
    }
    let acked: Mutex<Vec<(u64, Vec<u8>)>> = Mutex::new(Vec::new());
    let failures: Mutex<Vec<Exchange>> = Mutex::new(Vec::new());
    std::thread::scope(|sc| {
        for items in work {
            let acked = &acked;
            let failures = &failures;
            let c = &ctx.c;
            sc.spawn(move || {
                for (signed, env) in items {
                    let ex = c.post_signed(signed);
                    match ex
                        .response()
                        .filter(|r| r.status == ErrorCode::OK)
                        .and_then(|r| r.result_as::<AppendResult>().ok().flatten())
                    {
                        Some(r) => {
                            if let Ok(mut a) = acked.lock() {
                                a.push((r.seq.0, env));
                            }
                        }
                        None => {
                            if let Ok(mut f) = failures.lock() {
                                f.push(ex);
                            }
                        }
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap_or_default();
    if let Some(f) = failures.first() {
        return Err(Stop::fail(
            format!(
                "{} of {LOAD_MESSAGES} posts were not acknowledged",
                failures.len()
            ),
            &[f],
        ));
    }
    let acked = acked.into_inner().unwrap_or_default();
    let entries = ctx.fetch_all(&ch, 0)?;
    let (page, pex) = ctx.fetch_log(&ch, 0, 0, ctx.limits().max_log_page)?;
    verify_chain(&entries).map_err(|m| Stop::fail(m, &[&pex]))?;
    let want_tip = 1 + 1 + LOAD_MESSAGES as u64;
    ensure(
        entries.len() as u64 == want_tip,
        format!("{} entries, expected {want_tip}", entries.len()),
        &[&pex],
    )?;
    let mut seen = std::collections::HashSet::new();
    for (seq, env) in &acked {
        ensure(
            seen.insert(*seq),
            format!("seq {seq} acknowledged twice"),
            &[&pex],
        )?;
        let e = entries.get((*seq as usize).saturating_sub(1));
        ensure(
            e.map(|e| (e.kind as u64, e.bytes.as_slice())) == Some((2, env.as_slice())),
            format!("acknowledged seq {seq} does not hold the posted envelope"),
            &[&pex],
        )?;
    }
    let limit = ctx.limits().max_log_page.min(want_tip);
    ensure(
        !page.entries.is_empty() && page.entries.len() as u64 <= limit,
        format!(
            "a page with limit max_log_page returned {} entries",
            page.entries.len()
        ),
        &[&pex],
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

/// Entry bytes one page may carry (HRT-LOG-46).
pub const LOG_PAGE_BYTES: usize = 1 << 20;

fn page_bytes(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.channel_with_members()?;
    // Envelopes with a ciphertext of 81000 bytes (the CDDL allows 81936): fourteen of them
    // exceed the byte bound of one page.
    let ct_len = 81_000;
    for g in 0..14u64 {
        let ct: Vec<u8> = ctx.c.with_rng(|r| r.vec(ct_len));
        let env = hearth_wire::encode_with(|e| {
            e.array(8)
                .uint(1)
                .uint(super::SUITE)
                .bytes(&ch.id)
                .uint(ch.epoch)
                .uint(1)
                .uint(g)
                .bytes(&[0, 0, 0, g as u8])
                .bytes(&ct);
        });
        let ex = ctx
            .c
            .call(ch.key(1), op::MSG_POST, Some(ch.id), super::msg_body(&env));
        let _: AppendResult = expect_ok(&ex)?;
    }
    let limit = ctx.limits().max_log_page.clamp(1, 1000);
    let (r, ex) = ctx.fetch_log(&ch, 0, 0, limit)?;
    let total: usize = r.entries.as_slice().iter().map(|e| e.bytes.len()).sum();
    ensure(
        !r.entries.is_empty() && (r.entries.len() == 1 || total <= LOG_PAGE_BYTES),
        format!(
            "a page of {} entries carries {total} entry bytes, over {LOG_PAGE_BYTES} (HRT-LOG-46)",
            r.entries.len()
        ),
        &[&ex],
    )?;
    let all = ctx.fetch_all(&ch, 0)?;
    ensure(
        all.len() as u64 == r.tip.0,
        format!(
            "the pages cover {} entries, the tip is {}",
            all.len(),
            r.tip.0
        ),
        &[&ex],
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}
