//! `commit.post` and `welcome.fetch` (spec §8.5.8): the Welcomes and the GroupInfo.

use hearth_wire::request::WelcomeFetchResult;
use hearth_wire::ErrorCode;

use super::checks::pending_channel;
use crate::model::TestResult;
use crate::suite::{ensure, expect_code, expect_ok, gop, op, Ctx, MEMBER};

pub(super) fn welcome_mismatch(ctx: &Ctx<'_>) -> TestResult {
    let (ch, mk) = pending_channel(ctx)?;
    let init = ctx.c.random::<32>();
    let base = ctx.commit_spec(&ch, 0, vec![gop::add(&mk.public(), &init, MEMBER)]);
    let w = base
        .welcomes
        .first()
        .map(|x| x.1.clone())
        .unwrap_or_default();
    let other = ctx.c.key().public();
    let variants = vec![
        vec![],
        vec![(other, w.clone())],
        vec![(mk.public(), w.clone()), (other, w.clone())],
        vec![(mk.public(), w.clone()), (mk.public(), w.clone())],
    ];
    for ws in variants {
        let mut spec = base.clone();
        spec.welcomes = ws;
        let (ex, _) = ctx.post_commit(&ch, 0, &spec);
        expect_code(&ex, ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))?;
    }
    // A Welcome on an empty commit.
    let mut spec = ctx.commit_spec(&ch, 0, vec![]);
    spec.welcomes = vec![(mk.public(), w)];
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    expect_code(&ex, ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))?;
    ctx.delete_channel(&ch);
    Ok(())
}

pub(super) fn group_info_presence(ctx: &Ctx<'_>) -> TestResult {
    let (ch, mk) = pending_channel(ctx)?;
    let init = ctx.c.random::<32>();
    let mut spec = ctx.commit_spec(&ch, 0, vec![gop::add(&mk.public(), &init, MEMBER)]);
    spec.group_info_ct = None;
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    expect_code(&ex, ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))?;
    let mut empty = ctx.commit_spec(&ch, 0, vec![]);
    empty.group_info_ct = Some(ctx.c.with_rng(|r| r.vec(64)));
    let (ex, _) = ctx.post_commit(&ch, 0, &empty);
    expect_code(&ex, ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))?;
    // With it, the add goes through.
    let spec = ctx.commit_spec(&ch, 0, vec![gop::add(&mk.public(), &init, MEMBER)]);
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    expect_code(&ex, ErrorCode::OK, None)?;
    ctx.delete_channel(&ch);
    Ok(())
}

pub(super) fn welcome_group_info(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let mut keys = Vec::new();
    let mut ops = Vec::new();
    for _ in 0..2 {
        let inv = ctx.invite(&ch, 0)?;
        let mk = ctx.c.key();
        expect_code(&ctx.redeem(&ch, &inv, &mk), ErrorCode::OK, None)?;
        ops.push(gop::add(&mk.public(), &ctx.c.random::<32>(), MEMBER));
        keys.push(mk);
    }
    let spec = ctx.commit_spec(&ch, 0, ops);
    let gi = spec.group_info_ct.clone().unwrap_or_default();
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    expect_code(&ex, ErrorCode::OK, None)?;
    for (mk, (_, w)) in keys.iter().zip(&spec.welcomes) {
        let wex = ctx.call_empty(mk, op::WELCOME_FETCH, ch.id);
        let got: WelcomeFetchResult = expect_ok(&wex)?;
        ensure(
            got.welcome.as_bytes() == w.as_slice() && got.group_info_ct.as_slice() == gi.as_slice(),
            "welcome.fetch did not return the posted Welcome and the commit's GroupInfo ciphertext (HRT-OP-64)",
            &[&ex, &wex],
        )?;
    }
    ctx.delete_channel(&ch);
    Ok(())
}

pub(super) fn welcomes_any_order(ctx: &Ctx<'_>) -> TestResult {
    let ch = ctx.create_channel()?;
    let mut keys = Vec::new();
    let mut ops = Vec::new();
    for _ in 0..3 {
        let inv = ctx.invite(&ch, 0)?;
        let mk = ctx.c.key();
        expect_code(&ctx.redeem(&ch, &inv, &mk), ErrorCode::OK, None)?;
        ops.push(gop::add(&mk.public(), &ctx.c.random::<32>(), MEMBER));
        keys.push(mk);
    }
    let mut spec = ctx.commit_spec(&ch, 0, ops);
    // The Welcomes are paired with their keys; their order means nothing (HRT-OP-72).
    spec.welcomes.reverse();
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    expect_code(&ex, ErrorCode::OK, None)?;
    for mk in &keys {
        let want = spec
            .welcomes
            .iter()
            .find(|(k, _)| *k == mk.public())
            .map(|(_, w)| w.clone())
            .unwrap_or_default();
        let wex = ctx.call_empty(mk, op::WELCOME_FETCH, ch.id);
        let got: WelcomeFetchResult = expect_ok(&wex)?;
        ensure(
            got.welcome.as_bytes() == want.as_slice(),
            "welcome.fetch did not return the Welcome posted for this key",
            &[&ex, &wex],
        )?;
    }
    ctx.delete_channel(&ch);
    Ok(())
}
