//! Suites at the host (spec §8.6, §11.2): a host never decrypts, so it checks the sizes of a
//! commit's KEM values and of its GroupInfo ciphertext by the channel's suite (HRT-API-72,
//! HRT-WIRE-30, HRT-WIRE-31). The suite-2 tests need a host that lists suite 2
//! (`not-applicable` otherwise); the suite-1 size test runs against every host.

use hearth_wire::request::CommitPostResult;
use hearth_wire::ErrorCode;

use super::{ensure, expect_code, expect_detail, expect_ok, Ctx, SUITE};
use crate::model::{Stop, TestResult};
use crate::suite::{gop, welcome_in, Channel, CommitSpec, HostTestDef, ADMIN, MEMBER};

/// Suite 2 (spec §3.1).
const SUITE_2: u64 = 2;
/// X-Wing's `Npk` and `Nenc` (Table 12.7b).
const XWING_PK: usize = 1216;
const XWING_ENC: usize = 1120;
/// X25519's.
const X_LEN: usize = 32;

/// The tests of this module.
pub fn tests() -> Vec<HostTestDef> {
    vec![
        t!(
            "host.suite.suite-2-channel",
            "a host listing suite 2 creates a suite-2 channel and accepts commits of X-Wing sizes (1,216-byte init keys, 1,120-byte encapsulations) and a GroupInfo ciphertext over suite 1's bound",
            ["HRT-API-72", "HRT-API-74", "HRT-WIRE-31", "HRT-EXT-9"],
            suite_2_channel
        ),
        t!(
            "host.suite.suite-2-wrong-sizes",
            "in a suite-2 channel an X25519-sized init key (key 7 or an AddOp), seal or Welcome encapsulation -> malformed/wrong_size; a GroupInfo ciphertext over 393,216 bytes -> malformed/length_exceeded",
            ["HRT-API-72", "HRT-WIRE-30", "HRT-WIRE-31"],
            suite_2_wrong_sizes
        ),
        t!(
            "host.suite.suite-1-wrong-sizes",
            "in a suite-1 channel an X-Wing-sized init key, seal or Welcome encapsulation -> malformed/wrong_size; a GroupInfo ciphertext over 131,072 bytes (where max_request lets it be sent) -> malformed/length_exceeded",
            ["HRT-API-72", "HRT-WIRE-30", "HRT-WIRE-31"],
            suite_1_wrong_sizes
        ),
    ]
}

/// Names the case in a failure's message.
fn about(e: Stop, what: &str) -> Stop {
    match e {
        Stop::Fail(mut f) => {
            f.message = format!("{what}: {}", f.message);
            Stop::Fail(f)
        }
        other => other,
    }
}

/// The host lists suite 2, or the test does not apply.
fn needs_suite_2(ctx: &Ctx<'_>) -> TestResult {
    if ctx
        .info
        .suites
        .as_slice()
        .iter()
        .any(|s| u64::from(s.0) == SUITE_2)
    {
        Ok(())
    } else {
        Err(Stop::NotApplicable(
            "the host does not list suite 2 in InfoResult key 2".into(),
        ))
    }
}

/// KEM sizes of a suite: (init key, encapsulation).
fn sizes(suite: u64) -> (usize, usize) {
    if suite == SUITE_2 {
        (XWING_PK, XWING_ENC)
    } else {
        (X_LEN, X_LEN)
    }
}

fn create_in(ctx: &Ctx<'_>, suite: u64) -> Result<Channel, Stop> {
    let (ex, ch, _) = ctx.try_create_channel_in(suite);
    let _: hearth_wire::request::AppendResult = expect_ok(&ex)?;
    Ok(ch)
}

/// A commit by leaf 0 adding `roles` (invited and redeemed first), every KEM value of the
/// sizes given: `init` for key 7 and the AddOps, `enc` for the seals and `w_enc` for the
/// Welcomes; the GroupInfo ciphertext is `gi_len` random bytes.
struct Shape {
    suite: u64,
    init: usize,
    add_init: usize,
    enc: usize,
    w_enc: usize,
    gi_len: usize,
}

impl Shape {
    fn of(suite: u64) -> Shape {
        let (pk, enc) = sizes(suite);
        Shape {
            suite,
            init: pk,
            add_init: pk,
            enc,
            w_enc: enc,
            gi_len: 64,
        }
    }
}

/// Builds the add commit of `shape` on `ch` (redeeming one invite per role first).
fn add_commit(
    ctx: &Ctx<'_>,
    ch: &Channel,
    roles: &[u64],
    shape: &Shape,
) -> Result<(CommitSpec, Vec<crate::client::Key>), Stop> {
    let mut ops = Vec::new();
    let mut keys = Vec::new();
    for role in roles {
        let inv = ctx.invite(ch, 0)?;
        let mk = ctx.c.key();
        expect_code(&ctx.redeem(ch, &inv, &mk), ErrorCode::OK, None)?;
        let init = ctx.c.with_rng(|r| r.vec(shape.add_init));
        ops.push(gop::add_key(&mk.public(), &init, *role));
        keys.push(mk);
    }
    let mut spec = ctx.commit_spec(ch, 0, ops);
    spec.suite = shape.suite;
    spec.init_len = shape.init;
    spec.enc_len = shape.enc;
    spec.welcomes = keys
        .iter()
        .map(|k| {
            let w = ctx
                .c
                .with_rng(|r| welcome_in(r, shape.suite, &ch.id, ch.epoch + 1, shape.w_enc));
            (k.public(), w)
        })
        .collect();
    spec.group_info_ct = Some(ctx.c.with_rng(|r| r.vec(shape.gi_len)));
    Ok((spec, keys))
}

fn suite_2_channel(ctx: &Ctx<'_>) -> TestResult {
    needs_suite_2(ctx)?;
    let mut ch = create_in(ctx, SUITE_2)?;
    // Two members added with X-Wing init keys and Welcomes, and a GroupInfo ciphertext of
    // 200,000 bytes (over suite 1's 131,072, within suite 2's 393,216).
    let mut shape = Shape::of(SUITE_2);
    shape.gi_len = 200_000;
    let (spec, keys) = add_commit(ctx, &ch, &[ADMIN, MEMBER], &shape)?;
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    let _: CommitPostResult = expect_ok(&ex)?;
    ch.epoch += 1;
    for (k, role) in keys.into_iter().zip([ADMIN, MEMBER]) {
        ch.roster.push(crate::suite::Member { key: k, role });
    }
    // An update by leaf 1 seals to two members under X-Wing.
    let mut up = ctx.commit_spec(&ch, 1, vec![]);
    up.suite = SUITE_2;
    up.init_len = XWING_PK;
    up.enc_len = XWING_ENC;
    ensure(up.sealed == 2, "two remaining members", &[])?;
    let (ex, _) = ctx.post_commit(&ch, 1, &up);
    let _: CommitPostResult = expect_ok(&ex)?;
    ctx.delete_channel(&ch);
    Ok(())
}

/// Every way a commit of `suite`'s channel can carry the other suite's sizes, each
/// `malformed` / `wrong_size`; then the GroupInfo bound, when a ciphertext one byte over it fits
/// the host's `max_request`.
fn wrong_sizes(ctx: &Ctx<'_>, suite: u64, other: u64, gi_max: usize) -> TestResult {
    let ch = create_in(ctx, suite)?;
    let (pk, enc) = sizes(other);
    let mut cases: Vec<(&str, Shape)> = Vec::new();
    let mut s = Shape::of(suite);
    s.init = pk;
    cases.push(("CommitTBS key 7", s));
    let mut s = Shape::of(suite);
    s.add_init = pk;
    cases.push(("an AddOp's init key", s));
    let mut s = Shape::of(suite);
    s.w_enc = enc;
    cases.push(("a Welcome's encapsulation", s));
    for (what, shape) in cases {
        let (spec, _) = add_commit(ctx, &ch, &[MEMBER], &shape)?;
        let (ex, _) = ctx.post_commit(&ch, 0, &spec);
        expect_detail(&ex, ErrorCode::WRONG_SIZE)
            .map_err(|e| about(e, &format!("{what} of suite {other}'s size")))?;
    }
    // A sealed secret needs a second member: add one of the right sizes first.
    let mut ch = ch;
    let (spec, keys) = add_commit(ctx, &ch, &[MEMBER], &Shape::of(suite))?;
    let (ex, _) = ctx.post_commit(&ch, 0, &spec);
    let _: CommitPostResult = expect_ok(&ex)?;
    ch.epoch += 1;
    for k in keys {
        ch.roster.push(crate::suite::Member {
            key: k,
            role: MEMBER,
        });
    }
    let mut up = ctx.commit_spec(&ch, 0, vec![]);
    up.suite = suite;
    up.init_len = sizes(suite).0;
    up.enc_len = enc;
    let (ex, _) = ctx.post_commit(&ch, 0, &up);
    expect_detail(&ex, ErrorCode::WRONG_SIZE)
        .map_err(|e| about(e, &format!("a seal of suite {other}'s size")))?;
    // The GroupInfo ciphertext: one byte over the suite's bound.
    if ctx.limits().max_request >= (gi_max + 65_536) as u64 {
        let mut shape = Shape::of(suite);
        shape.gi_len = gi_max + 1;
        let (spec, _) = add_commit(ctx, &ch, &[MEMBER], &shape)?;
        let (ex, _) = ctx.post_commit(&ch, 0, &spec);
        expect_detail(&ex, ErrorCode::LENGTH_EXCEEDED)
            .map_err(|e| about(e, "a GroupInfo ciphertext over the suite's bound"))?;
    }
    ctx.delete_channel(&ch);
    Ok(())
}

fn suite_2_wrong_sizes(ctx: &Ctx<'_>) -> TestResult {
    needs_suite_2(ctx)?;
    wrong_sizes(ctx, SUITE_2, SUITE, 393_216)
}

fn suite_1_wrong_sizes(ctx: &Ctx<'_>) -> TestResult {
    // The GroupInfo bound is checked only where a ciphertext over it fits max_request.
    wrong_sizes(ctx, SUITE, SUITE_2, 131_072)
}
