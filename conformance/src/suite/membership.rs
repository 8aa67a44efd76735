//! Spec §8.3.4, §8.5.3, §8.5.8, §8.5.11 and §8.5.13: the membership life-cycle as the host
//! sees it. A removed member key is answered `removed` and served the log up to its removal; the
//! creator is an admin like any other (removable, demotable, may leave while another admin
//! stays) and the delete right is the admin role's; every commit removes the members who left;
//! a `RotateOp` key is judged before the rest of check 6 and may not be a removed key.

use hearth_wire::request::{AppendResult, CommitPostResult};
use hearth_wire::ErrorCode;

use super::{ensure, expect_code, expect_ok, gop, log_body, op, Channel, Ctx, ADMIN, MEMBER};
use crate::client::Key;
use crate::model::{Stop, TestResult};
use crate::suite::HostTestDef;

/// The tests of this module.
pub fn tests() -> Vec<HostTestDef> {
    vec![
        t!(
            "host.member.removed.status",
            "a removed member key gets exactly {1: 1, 2: 21, 3: server_time} for msg.post, commit.report, blob.get and welcome.fetch; a stranger still gets not_found",
            ["HRT-API-63", "HRT-OP-67"],
            removed_status
        ),
        t!(
            "host.member.removed.log-prefix",
            "a removed member key is served the log up to and including the removing commit: tip, head and epoch of that commit, whatever was appended later",
            ["HRT-OP-68", "HRT-OP-67"],
            removed_log_prefix
        ),
        t!(
            "host.member.removed.rotate-known",
            "a RotateOp to a removed member key -> malformed/invalid_value (the key is known to the channel)",
            ["HRT-OP-69", "HRT-OP-67"],
            removed_rotate_known
        ),
        t!(
            "host.member.rotate.bad-signature-wins",
            "an out-of-range RemoveOp before a RotateOp with an invalid key -> bad_signature, not malformed",
            ["HRT-OP-69", "HRT-OP-35"],
            rotate_bad_signature_wins
        ),
        t!(
            "host.member.creator.removable",
            "another admin removes the creator, and later demotes nobody into an admin-less roster: ok, then forbidden (HRT-OP-38)",
            ["HRT-OP-36", "HRT-OP-38"],
            creator_removable
        ),
        t!(
            "host.member.delete.admin-right",
            "channel.delete by a plain member -> forbidden; by an admin that is not the creator -> ok",
            ["HRT-OP-65"],
            delete_admin_right
        ),
        t!(
            "host.member.leave.last-admin",
            "member.leave by the only admin -> forbidden; once another admin exists the creator may leave",
            ["HRT-OP-66"],
            leave_last_admin
        ),
        t!(
            "host.member.recovery.accepted",
            "a recovery commit (CommitTBS key 11) naming the latest commit and removing its committer -> ok; naming another seq, or keeping that committer -> forbidden",
            ["HRT-OP-71"],
            recovery_accepted
        ),
        t!(
            "host.member.left.removed-by-next-commit",
            "after a member leaves, a commit that keeps it -> forbidden; one that removes it -> ok, by a plain member too",
            ["HRT-OP-70", "HRT-OP-36"],
            left_removed_by_next_commit
        ),
    ]
}

/// A channel with the creator (leaf 0), an admin (leaf 1) and a plain member (leaf 2); leaf 2 is
/// then removed by the admin. Returns the channel (roster updated), the removed key and the
/// removing commit's seq.
fn with_removed_member(ctx: &Ctx<'_>) -> Result<(Channel, Key, u64), Stop> {
    let mut ch = ctx.channel_with_members()?;
    let spec = ctx.commit_spec(&ch, 1, vec![gop::remove(2)]);
    let (ex, _) = ctx.post_commit(&ch, 1, &spec);
    let r: CommitPostResult = expect_ok(&ex)?;
    ch.epoch += 1;
    let gone = ch.roster.remove(2).key;
    Ok((ch, gone, r.seq.0))
}

fn expect_removed(ex: &crate::client::Exchange, what: &str) -> TestResult {
    let r = expect_code(ex, ErrorCode::REMOVED, None)?;
    ensure(
        r.result.is_none() && r.detail.is_none() && r.ext.is_none(),
        format!("{what}: the removed answer carries more than status and server_time"),
        &[ex],
    )
}

fn removed_status(ctx: &Ctx<'_>) -> TestResult {
    let (ch, gone, seq) = with_removed_member(ctx)?;
    let env = ctx.envelope_from(&ch, 1);
    let post = ctx
        .c
        .call(&gone, op::MSG_POST, Some(ch.id), super::msg_body(&env));
    expect_removed(&post, "msg.post")?;
    let mut report = hearth_wire::Encoder::new();
    report.map(2).uint(1).uint(seq).uint(2).uint(70);
    let rep = ctx
        .c
        .call(&gone, op::COMMIT_REPORT, Some(ch.id), report.into_bytes());
    expect_removed(&rep, "commit.report")?;
    let mut get = hearth_wire::Encoder::new();
    get.map(1).uint(1).bytes(&[0; 32]);
    let blob = ctx
        .c
        .call(&gone, op::BLOB_GET, Some(ch.id), get.into_bytes());
    expect_removed(&blob, "blob.get")?;
    expect_removed(
        &ctx.call_empty(&gone, op::WELCOME_FETCH, ch.id),
        "welcome.fetch",
    )?;
    let stranger = ctx.c.key();
    let s = ctx
        .c
        .call(&stranger, op::LOG_FETCH, Some(ch.id), log_body(0, 1));
    expect_code(&s, ErrorCode::NOT_FOUND, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn removed_log_prefix(ctx: &Ctx<'_>) -> TestResult {
    let (ch, gone, seq) = with_removed_member(ctx)?;
    // Entries after the removal are not shown to the removed key.
    let (ex, _) = ctx.post_msg(&ch, 1);
    let _: AppendResult = expect_ok(&ex)?;
    let all = ctx.fetch_all(&ch, 0)?;
    let at = all
        .iter()
        .find(|e| e.seq.0 == seq)
        .ok_or_else(|| Stop::fail("the removing commit is not in the log", &[]))?;
    // Read page by page (full pages are only a SHOULD, HRT-LOG-11): every page must end at the
    // removing commit's tip.
    let mut entries: Vec<hearth_wire::log::LogEntry> = Vec::new();
    let (f, r) = loop {
        let since = entries.len() as u64;
        let f = ctx
            .c
            .call(&gone, op::LOG_FETCH, Some(ch.id), log_body(since, seq));
        let r: hearth_wire::request::LogFetchResult = expect_ok(&f)?;
        let n = r.entries.len();
        let contiguous = r
            .entries
            .as_slice()
            .iter()
            .enumerate()
            .all(|(i, e)| e.seq.0 == since + 1 + i as u64);
        ensure(
            contiguous && r.tip.0 == seq && (n > 0 || since >= seq),
            format!(
                "log.fetch since {since} by the removed key: {n} entries, tip {} (expected a contiguous page of a log whose tip is the removing commit's seq {seq})",
                r.tip.0
            ),
            &[&f],
        )?;
        entries.extend(r.entries.as_slice().iter().cloned());
        if n == 0 || entries.len() as u64 >= r.tip.0 {
            break (f, r);
        }
    };
    let last = entries.last();
    ensure(
        r.tip.0 == seq
            && r.head.as_slice() == at.head.as_bytes().as_slice()
            && r.epoch.0 == ch.epoch
            && entries.len() as u64 == seq
            && last.is_some_and(|l| l.seq.0 == seq && l.bytes == at.bytes),
        format!(
            "expected the log up to the removing commit at seq {seq} (epoch {}), got tip {} with {} entries, epoch {}",
            ch.epoch,
            r.tip.0,
            entries.len(),
            r.epoch.0
        ),
        &[&f],
    )?;
    // since = the removal's seq: an empty page at that tip; beyond it: invalid.
    let at_tip = ctx
        .c
        .call(&gone, op::LOG_FETCH, Some(ch.id), log_body(seq, 10));
    let r2: hearth_wire::request::LogFetchResult = expect_ok(&at_tip)?;
    ensure(
        r2.entries.is_empty() && r2.tip.0 == seq,
        "log.fetch from the removal's seq is not an empty page at that tip",
        &[&at_tip],
    )?;
    let beyond = ctx
        .c
        .call(&gone, op::LOG_FETCH, Some(ch.id), log_body(seq + 1, 10));
    expect_code(
        &beyond,
        ErrorCode::MALFORMED,
        Some(ErrorCode::INVALID_VALUE),
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn removed_rotate_known(ctx: &Ctx<'_>) -> TestResult {
    let (ch, gone, _) = with_removed_member(ctx)?;
    let spec = ctx.commit_spec(&ch, 1, vec![gop::rotate(&gone.public())]);
    let (ex, _) = ctx.post_commit(&ch, 1, &spec);
    expect_code(&ex, ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn rotate_bad_signature_wins(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.channel_with_members()?;
    // y = 2 does not decompress to a curve point: not a valid Ed25519 key (spec §3).
    let mut bad = [0u8; 32];
    bad[0] = 2;
    let spec = ctx.commit_spec(&ch, 1, vec![gop::remove(99), gop::rotate(&bad)]);
    let (ex, _) = ctx.post_commit(&ch, 1, &spec);
    expect_code(&ex, ErrorCode::BAD_SIGNATURE, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn creator_removable(ctx: &Ctx<'_>) -> TestResult {
    let mut ch = ctx.channel_with_members()?;
    // The admin at leaf 1 removes the creator.
    let spec = ctx.commit_spec(&ch, 1, vec![gop::remove(0)]);
    let (ex, _) = ctx.post_commit(&ch, 1, &spec);
    let _: CommitPostResult = expect_ok(&ex)?;
    ch.epoch += 1;
    let creator = ch.roster.remove(0).key;
    // The former creator is removed: it can no longer delete the channel.
    expect_code(
        &ctx.call_empty(&creator, op::CHANNEL_DELETE, ch.id),
        ErrorCode::REMOVED,
        None,
    )?;
    // Now the only admin (leaf 0) demoting itself would leave no admin (HRT-OP-38).
    let spec = ctx.commit_spec(&ch, 0, vec![gop::role(0, MEMBER)]);
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    expect_code(&ex, ErrorCode::FORBIDDEN, None)?;
    // Demoting itself while promoting the plain member is fine.
    let spec = ctx.commit_spec(&ch, 0, vec![gop::role(0, MEMBER), gop::role(1, ADMIN)]);
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    let _: CommitPostResult = expect_ok(&ex)?;
    ch.epoch += 1;
    if let Some(m) = ch.roster.get_mut(1) {
        m.role = ADMIN;
    }
    ctx.delete_channel_as(&ch, 1);
    Ok(())
}

fn delete_admin_right(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.channel_with_members()?;
    expect_code(
        &ctx.call_empty(ch.key(2), op::CHANNEL_DELETE, ch.id),
        ErrorCode::FORBIDDEN,
        None,
    )?;
    let ex = ctx.call_empty(ch.key(1), op::CHANNEL_DELETE, ch.id);
    expect_code(&ex, ErrorCode::OK, None)?;
    let after = ctx.call_empty(ch.creator(), op::JOIN_FETCH, ch.id);
    expect_code(&after, ErrorCode::NOT_FOUND, None)?;
    Ok(())
}

fn leave_last_admin(ctx: &Ctx<'_>) -> TestResult {
    let mut ch = ctx.create_channel()?;
    ctx.add_members(&mut ch, &[MEMBER])?;
    expect_code(
        &ctx.call_empty(ch.creator(), op::MEMBER_LEAVE, ch.id),
        ErrorCode::FORBIDDEN,
        None,
    )?;
    ctx.add_members(&mut ch, &[ADMIN])?;
    let ex = ctx.call_empty(ch.creator(), op::MEMBER_LEAVE, ch.id);
    let _: AppendResult = expect_ok(&ex)?;
    // The remaining admin (leaf 2) cannot leave now: the creator has left.
    expect_code(
        &ctx.call_empty(ch.key(2), op::MEMBER_LEAVE, ch.id),
        ErrorCode::FORBIDDEN,
        None,
    )?;
    ctx.delete_channel_as(&ch, 2);
    Ok(())
}

fn recovery_accepted(ctx: &Ctx<'_>) -> TestResult {
    let mut ch = ctx.channel_with_members()?;
    // B: the plain member at leaf 2 commits (members could not process it, say).
    let spec = ctx.commit_spec(&ch, 2, vec![]);
    let (ex, _) = ctx.post_commit(&ch, 2, &spec);
    let b: CommitPostResult = expect_ok(&ex)?;
    ch.epoch += 1;
    // A recovery naming another seq, or not removing B's committer: forbidden.
    for (seq, ops) in [
        (b.seq.0 - 1, vec![gop::remove(2)]),
        (b.seq.0, vec![]),
        (b.seq.0, vec![gop::role(2, ADMIN)]),
    ] {
        let mut spec = ctx.commit_spec(&ch, 1, ops);
        spec.recover = Some(seq);
        let (ex, _) = ctx.post_commit(&ch, 1, &spec);
        expect_code(&ex, ErrorCode::FORBIDDEN, None)?;
    }
    // The admin at leaf 1 recovers: names B and removes B's committer.
    let mut spec = ctx.commit_spec(&ch, 1, vec![gop::remove(2)]);
    spec.recover = Some(b.seq.0);
    let (ex, _) = ctx.post_commit(&ch, 1, &spec);
    let _: CommitPostResult = expect_ok(&ex)?;
    ctx.delete_channel(&ch);
    Ok(())
}

fn left_removed_by_next_commit(ctx: &Ctx<'_>) -> TestResult {
    let mut ch = ctx.create_channel()?;
    ctx.add_members(&mut ch, &[MEMBER, MEMBER])?;
    let ex = ctx.call_empty(ch.key(2), op::MEMBER_LEAVE, ch.id);
    let _: AppendResult = expect_ok(&ex)?;
    // An admin's update that keeps the left entry, and one that removes another member.
    for (committer, ops) in [(0, vec![]), (0, vec![gop::remove(1)]), (1, vec![])] {
        let spec = ctx.commit_spec(&ch, committer, ops);
        let (ex, _) = ctx.post_commit(&ch, committer, &spec);
        expect_code(&ex, ErrorCode::FORBIDDEN, None)?;
    }
    // The plain member at leaf 1 removes the left entry.
    let spec = ctx.commit_spec(&ch, 1, vec![gop::remove(2)]);
    let (ex, _) = ctx.post_commit(&ch, 1, &spec);
    let _: CommitPostResult = expect_ok(&ex)?;
    ch.epoch += 1;
    ch.roster.truncate(2);
    // With no left entry, an empty commit is fine again.
    let spec = ctx.commit_spec(&ch, 0, vec![]);
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    let _: CommitPostResult = expect_ok(&ex)?;
    ctx.delete_channel(&ch);
    Ok(())
}
