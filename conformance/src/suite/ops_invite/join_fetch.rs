//! `join.fetch` (spec §8.5.7): admin only; order, and removal of the pending joins.

use hearth_wire::request::{CommitPostResult, JoinFetchResult};
use hearth_wire::ErrorCode;

use crate::model::TestResult;
use crate::suite::{ensure, expect_code, expect_ok, gop, op, Ctx, ADMIN};

pub(super) fn join_fetch_non_admin(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.channel_with_members()?;
    expect_code(
        &ctx.call_empty(ch.key(2), op::JOIN_FETCH, ch.id),
        ErrorCode::FORBIDDEN,
        None,
    )?;
    expect_code(
        &ctx.call_empty(ch.key(1), op::JOIN_FETCH, ch.id),
        ErrorCode::OK,
        None,
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}

pub(super) fn join_fetch_order(ctx: &Ctx<'_>) -> TestResult {
    let mut ch = ctx.create_channel()?;
    let mut keys = Vec::new();
    for _ in 0..3 {
        let inv = ctx.invite(&ch, 0)?;
        let mk = ctx.c.key();
        expect_code(&ctx.redeem(&ch, &inv, &mk), ErrorCode::OK, None)?;
        keys.push(mk);
    }
    let jex = ctx.call_empty(ch.creator(), op::JOIN_FETCH, ch.id);
    let j: JoinFetchResult = expect_ok(&jex)?;
    let got: Vec<[u8; 32]> = j
        .pending
        .as_slice()
        .iter()
        .map(|p| p.member_key.0)
        .collect();
    let want: Vec<[u8; 32]> = keys.iter().map(|k| k.public()).collect();
    ensure(
        got == want,
        "pending joins not in redemption order",
        &[&jex],
    )?;
    // Add the second one.
    let init = ctx.c.random::<32>();
    let spec = ctx.commit_spec(
        &ch,
        0,
        vec![gop::add(want.get(1).unwrap_or(&[0; 32]), &init, ADMIN)],
    );
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    let _: CommitPostResult = expect_ok(&ex)?;
    ch.epoch += 1;
    let jex = ctx.call_empty(ch.creator(), op::JOIN_FETCH, ch.id);
    let j: JoinFetchResult = expect_ok(&jex)?;
    let got: Vec<[u8; 32]> = j
        .pending
        .as_slice()
        .iter()
        .map(|p| p.member_key.0)
        .collect();
    ensure(
        got.iter().collect::<Vec<_>>()
            == [want.first(), want.get(2)]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>(),
        "after adding one, join.fetch does not list exactly the others in order",
        &[&ex, &jex],
    )?;
    ctx.delete_channel(&ch);
    Ok(())
}
