//! A joiner and the members added with it (spec §6.12 step 11, §6.17; issue 16 finding 7): the
//! shim, added by the same commit as a peer that then withholds its update commit, takes that
//! peer's `needs_update` flag from its GroupInfo (key 7, under the roster hash) and rejects the
//! peer's messages with `update_required`, as the older members do (HRT-GRP-87, HRT-RAT-16,
//! HRT-MSG-22).
//!
//! The withholding peer is built here: its own update commit is refused by the proxy (a
//! `Status` fault on its `commit.post`, so it discards the commit), and it seals with
//! hearth-crypto's `danger_seal_before_update`, which a conforming sealer never does.

use hearth_crypto::envelope::ContentBuilder;
use hearth_wire::{ErrorCode, Op};
use serde_json::{json, Value};

use super::fixture::{events_of, Fixture};
use super::member::Peer;
use super::peer::{
    expect_event, expect_event_at, expect_no_event, member_key_of, must, now, peer, peer_channel,
    start,
};
use super::{ClientCtx, ClientTestDef};
use crate::model::{Stop, TestResult};
use crate::proxy::{Fault, FaultRule};

/// The tests of this module.
pub fn tests() -> Vec<ClientTestDef> {
    vec![ClientTestDef {
        id: "client.join.co-added-needs-update",
        title: "a peer added by the same commit as the shim speaks before its update commit: the shim rejects its message with update_required, as the older member does",
        requirements: &["HRT-GRP-87", "HRT-RAT-16", "HRT-MSG-22"],
        run: co_added,
    }]
}

fn co_added(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 2)?;
    let (mut p0, h, r, uri) = peer_channel(&fx, 0)?;
    let uri1 = must(&fx, "create_invite", p0.create_invite(&h, 3600))?;
    let mut p1 = peer(&fx, 1)?;
    fx.ok("invite.accept", json!({"uri": uri, "name": "Shim"}))?;
    must(&fx, "accept_invite", p1.accept_invite(&uri1, "Co-added"))?;
    // One sync of peer 0 admits both joins with one commit (§5.8).
    let epoch_before = p0_epoch(&p0, &h, &r);
    let _ = p0.sync();
    let shim_fp = super::peer::shim_fp(&fx)?;
    let p1_fp = *p1.fingerprint().as_bytes();
    let (Some(_), Some(p1_key)) = (
        member_key_of(&p0, &h, &r, &shim_fp),
        member_key_of(&p0, &h, &r, &p1_fp),
    ) else {
        return Err(fx.fail(
            "harness peer: one sync did not admit both the shim and peer 1 (did the shim redeem?)",
        ));
    };
    if p0_epoch(&p0, &h, &r) != epoch_before.map(|e| e + 1) {
        return Err(
            fx.fail("harness peer: the shim and peer 1 were not added by one commit (test setup)")
        );
    }
    // Peer 1 withholds its update commit: the proxy refuses it, so peer 1 discards it.
    fx.host()?.proxy.add_fault(
        FaultRule::new(Fault::Status(ErrorCode::FORBIDDEN))
            .for_key(p1_key)
            .on_channel(r.channel.0)
            .on_op(Op::COMMIT_POST),
    );
    let ev = p1.sync();
    if !ev
        .iter()
        .any(|e| matches!(e, hearth::conversation::Event::Joined { .. }))
    {
        return Err(fx.fail(format!("harness peer 1 did not join: {ev:?}")));
    }
    let events = fx.sync()?;
    expect_event(
        &fx,
        &events,
        "joined",
        None,
        "after the peer admitted it",
        &[],
    )?;
    // Everyone installs the shim's update commit; peer 1's flag stays set.
    fx.sync()?;
    let _ = p0.sync();
    let _ = p1.sync();
    let seq = speak_before_update(&fx, &mut p1, &h, &r)?;
    let older = p0.sync();
    let older_rejects = older.iter().any(|e| {
        matches!(e, hearth::conversation::Event::Rejected { seq: s, code, .. }
            if *s == Some(seq) && *code == ErrorCode::UPDATE_REQUIRED)
    });
    if !older_rejects {
        return Err(fx.fail(format!(
            "harness: the older member did not reject peer 1's message with update_required (test setup); its events: {older:?}"
        )));
    }
    let events = fx.sync()?;
    let context = "a message of a member added with the shim that has not committed since (HRT-GRP-87: the flag of GroupInfo key 7)";
    expect_event_at(
        &fx,
        &events,
        "rejected",
        ErrorCode::UPDATE_REQUIRED,
        seq,
        context,
    )?;
    let p1_hex = hex::encode(p1_fp);
    let shown: Vec<&Value> = events_of(&events, "message")
        .into_iter()
        .filter(|e| e.get("sender").and_then(Value::as_str) == Some(p1_hex.as_str()))
        .collect();
    if !shown.is_empty() {
        return Err(fx.fail(format!(
            "{context}: the shim showed it: {}",
            Value::Array(shown.into_iter().cloned().collect())
        )));
    }
    expect_no_event(&fx, &events, "detected", context)
}

/// Peer 0's epoch on the route.
fn p0_epoch(p: &Peer, h: &[u8; 16], r: &hearth::conversation::RouteRef) -> Option<u64> {
    let conv = p.conversations().iter().find(|c| &c.handle() == h)?;
    let route = conv.routes().iter().find(|x| x.link() == r)?;
    route.group().epoch()
}

/// Peer 1 seals a text as if its `needs_update` flag were clear and posts it; its seq.
fn speak_before_update(
    fx: &Fixture,
    p1: &mut Peer,
    h: &[u8; 16],
    r: &hearth::conversation::RouteRef,
) -> Result<u64, Stop> {
    let Some(g) = p1.danger_group_mut(h, r) else {
        return Err(fx.fail("harness peer 1: no group for the channel"));
    };
    let content = ContentBuilder::text("before my update")
        .map_err(|e| Stop::fail(format!("harness: content: {e:?}"), &[]))?
        .sent_at_ms(now().saturating_mul(1000))
        .build();
    let env = g
        .danger_seal_before_update(&content, now())
        .map_err(|e| fx.fail(format!("harness peer 1: danger_seal_before_update: {e:?}")))?;
    must(
        fx,
        "danger_post_envelope",
        p1.danger_post_envelope(h, r, env.bytes),
    )
}
