//! The comparison of short authentication strings (spec §5.8.1) on both sides, through the
//! shim's `compare` mode (Appendix B §91.6.14): the harness is the user who compares, the peer
//! on the other side is the reference client, and the proxy shows what the shim sends while it
//! waits for the answer.
//!
//! Every test here needs `sas.confirm`; a shim without it answers `unsupported` and the tests
//! end as unsupported (HRT-CONF-5), unless it lists an invitation command: then they fail
//! (HRT-SHIM-38).

use std::sync::{Arc, Mutex};

use super::member::Peer;
use hearth::conversation::{Comparison, Event, SasCheck};
use hearth_wire::{ErrorCode, Op};
use serde_json::{json, Value};

use super::fixture::{events_of, Fixture};
use super::peer::{
    expect_error, expect_event, expect_no_event, is_code, must, peer, peer_channel, start,
};
use super::{ClientCtx, ClientTestDef};
use crate::model::{Stop, TestResult};
use crate::proxy::Recorded;
use crate::shim::Answer;

/// The tests of this module.
pub fn tests() -> Vec<ClientTestDef> {
    vec![
        ClientTestDef {
            id: "client.sas.inviter.waits-for-confirmation",
            title: "as inviter under `compare`, the shim reports the joiner's code (the peer's own) and posts no commit adding the joiner until sas.confirm says the codes match; then it adds it",
            requirements: &["HRT-INV-65", "HRT-INV-63", "HRT-INV-64", "HRT-INV-73", "HRT-SHIM-34", "HRT-SHIM-35", "HRT-SHIM-38"],
            run: inviter_waits,
        },
        ClientTestDef {
            id: "client.sas.inviter.mismatch",
            title: "as inviter, a reported mismatch declines the join with invite.revoke, reports sas_mismatch, and the joiner is never added; a second answer is failed",
            requirements: &["HRT-INV-66", "HRT-INV-72", "HRT-SHIM-36", "HRT-SHIM-37", "HRT-SHIM-38"],
            run: inviter_mismatch,
        },
        ClientTestDef {
            id: "client.sas.joiner.holds-welcome",
            title: "as joiner under `compare`, the shim reports the inviter's code after the redeem and neither joins nor commits before sas.confirm; then it joins",
            requirements: &["HRT-INV-67", "HRT-INV-63", "HRT-INV-73", "HRT-SHIM-34", "HRT-SHIM-35", "HRT-SHIM-38"],
            run: joiner_holds,
        },
        ClientTestDef {
            id: "client.sas.joiner.mismatch",
            title: "as joiner, a reported mismatch abandons the join: sas_mismatch, no Welcome fetched or accepted afterwards, no conversation",
            requirements: &["HRT-INV-68", "HRT-SHIM-36", "HRT-SHIM-38"],
            run: joiner_mismatch,
        },
        ClientTestDef {
            id: "client.sas.joiner.no-redeem-no-code",
            title: "an invitation someone else redeemed first (invite_used) gives the shim no code to compare: no sas event, and sas.confirm for it is failed",
            requirements: &["HRT-INV-58", "HRT-SHIM-35", "HRT-SHIM-37", "HRT-SHIM-38"],
            run: joiner_no_code,
        },
    ]
}

/// A peer's user who compares: it records each code its client shows and answers `answer`.
struct Recorder {
    seen: Arc<Mutex<Vec<SasCheck>>>,
    answer: Option<bool>,
}

impl Comparison for Recorder {
    fn available(&self) -> bool {
        true
    }
    fn codes_match(&mut self, check: &SasCheck) -> Option<bool> {
        if let Ok(mut s) = self.seen.lock() {
            s.push(check.clone());
        }
        self.answer
    }
}

/// Records the codes `p` shows; its user answers `true`.
pub(super) fn recording(p: &mut Peer) -> Arc<Mutex<Vec<SasCheck>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    p.set_comparison(Box::new(Recorder {
        seen: seen.clone(),
        answer: Some(true),
    }));
    seen
}

/// Stops the test as unsupported unless the shim lists `sas.confirm` (HRT-CONF-5); a shim
/// that lists an invitation command without it fails (HRT-SHIM-38: a client that admits or
/// joins without the comparison must not pass as "unsupported").
pub(super) fn needs_sas(fx: &Fixture) -> Result<(), Stop> {
    let lists = |c: &str| fx.hello.capabilities.iter().any(|x| x == c);
    if lists("sas.confirm") {
        Ok(())
    } else if lists("invite.create") || lists("invite.accept") {
        Err(fx.fail(
            "the shim lists invite.create or invite.accept but not sas.confirm, which version 1 requires of a shim with invitation commands (HRT-SHIM-38)",
        ))
    } else {
        Err(Stop::Unsupported(
            "the shim does not implement `sas.confirm`".into(),
        ))
    }
}

/// The `sas` event for `invite` in `events`, its code checked against `want` (the other
/// side's) and the display form of HRT-INV-64.
pub(super) fn sas_event(
    fx: &Fixture,
    events: &[Value],
    invite: &[u8; 16],
    want: &str,
    context: &str,
) -> Result<Value, Stop> {
    let inv = hex::encode(invite);
    let Some(e) = events_of(events, "sas")
        .into_iter()
        .find(|e| e.get("invite").and_then(Value::as_str) == Some(inv.as_str()))
    else {
        return Err(fx.fail(format!(
            "{context}: no `sas` event for invitation {inv} (HRT-SHIM-35); events: {}",
            Value::Array(events.to_vec())
        )));
    };
    let got = e.get("sas").and_then(Value::as_str).unwrap_or_default();
    let form = got.len() == 7
        && got
            .char_indices()
            .all(|(i, c)| if i == 3 { c == ' ' } else { c.is_ascii_digit() });
    if !form {
        return Err(fx.fail(format!(
            "{context}: the code {got:?} is not six digits in two groups of three (HRT-INV-64)"
        )));
    }
    if got != want {
        return Err(fx.fail(format!(
            "{context}: the shim shows the code {got:?}, the other side {want:?}: one of them does not derive it as §5.8.1 says (HRT-INV-63)"
        )));
    }
    Ok(e.clone())
}

/// The requests with `op` among `records` (signed by `key`, when given).
fn with_op(records: &[Recorded], op: Op, key: Option<[u8; 32]>) -> Vec<&Recorded> {
    records
        .iter()
        .filter(|r| r.op == Some(op) && key.is_none_or(|k| r.key == Some(k)))
        .collect()
}

/// `sas.confirm`, which must succeed.
pub(super) fn confirm(fx: &mut Fixture, invite: &[u8; 16], matches: bool) -> Result<(), Stop> {
    fx.ok(
        "sas.confirm",
        json!({"invite": hex::encode(invite), "match": matches}),
    )
    .map(|_| ())
}

/// The shim's channel, an invitation under `compare`, and a peer that redeemed it:
/// (peer, invite id, the peer's code, the shim's conversation handle hex).
fn shim_invites(fx: &mut Fixture) -> Result<(Peer, [u8; 16], String, String), Stop> {
    needs_sas(fx)?;
    let created = fx.create_channel(0)?;
    let conv = hex::encode(created.conversation);
    let v = fx.ok(
        "invite.create",
        json!({"conversation": conv, "expires_in": 3600, "compare": true}),
    )?;
    let uri = v
        .get("uri")
        .and_then(Value::as_str)
        .ok_or_else(|| fx.fail(format!("invite.create answered without a `uri`: {v}")))?
        .to_owned();
    let mut p = peer(fx, 0)?;
    let (invite, code) = must(fx, "accept_invite", p.accept_invite(&uri, "Peer"))?;
    Ok((p, invite, code.to_string(), conv))
}

/// HRT-INV-65: nothing adds the joiner before the confirmation, not even two syncs.
fn inviter_waits(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let (mut p, invite, code, conv) = shim_invites(&mut fx)?;
    let mark = fx.host()?.proxy.mark();
    let events = fx.sync()?;
    let e = sas_event(&fx, &events, &invite, &code, "after the peer redeemed")?;
    let peer_fp = hex::encode(p.fingerprint().as_bytes());
    if e.get("fingerprint").and_then(Value::as_str) != Some(peer_fp.as_str())
        || e.get("conversation").and_then(Value::as_str) != Some(conv.as_str())
    {
        return Err(fx.fail(format!(
            "the inviter's `sas` event must name the conversation {conv} and the joiner's fingerprint {peer_fp}: {e}"
        )));
    }
    expect_no_event(&fx, &events, "admitted", "before sas.confirm (HRT-INV-65)")?;
    let events = fx.sync()?;
    expect_no_event(&fx, &events, "admitted", "before sas.confirm (HRT-INV-65)")?;
    let recs = fx.host()?.proxy.records_since(mark);
    let commits = with_op(&recs, Op::COMMIT_POST, None);
    if !commits.is_empty() {
        return Err(fx.fail_with(
            "the shim posted a commit before its user confirmed the codes; the only one it could post adds the joiner (HRT-INV-65)",
            &recs,
        ));
    }
    confirm(&mut fx, &invite, true)?;
    let events = fx.sync()?;
    expect_event(
        &fx,
        &events,
        "admitted",
        None,
        "after sas.confirm with match: true",
        &[],
    )?;
    let got = p.sync();
    if !got.iter().any(|e| matches!(e, Event::Joined { .. })) {
        return Err(fx.fail(format!(
            "the peer could not join with the shim's Welcome: {got:?}"
        )));
    }
    Ok(())
}

/// HRT-INV-66, HRT-INV-72: a mismatch declines the join at the host and adds nobody.
fn inviter_mismatch(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let (mut p, invite, code, _) = shim_invites(&mut fx)?;
    let events = fx.sync()?;
    sas_event(&fx, &events, &invite, &code, "after the peer redeemed")?;
    let mark = fx.host()?.proxy.mark();
    confirm(&mut fx, &invite, false)?;
    let events = fx.sync()?;
    fx.sync()?;
    let recs = fx.host()?.proxy.records_since(mark);
    let revoked = with_op(&recs, Op::INVITE_REVOKE, None)
        .into_iter()
        .any(|r| {
            r.response().is_some_and(|x| x.status == ErrorCode::OK)
                && r.body.windows(16).any(|w| w == invite)
        });
    if !revoked {
        return Err(fx.fail_with(
            "after a reported mismatch the shim did not decline the join with an invite.revoke of its invitation that the host accepted (HRT-INV-72)",
            &recs,
        ));
    }
    let mismatch = events_of(&events, "rejected")
        .into_iter()
        .any(|e| is_code(e, ErrorCode::SAS_MISMATCH) && e.get("seq") == Some(&Value::Null));
    if !mismatch {
        return Err(fx.fail(format!(
            "the sync after a reported mismatch has no `rejected` event with code sas_mismatch and seq null (HRT-SHIM-36): {}",
            Value::Array(events)
        )));
    }
    if !with_op(&recs, Op::COMMIT_POST, None).is_empty() {
        return Err(fx.fail_with(
            "the shim posted a commit after a reported mismatch; the only one it could post adds the joiner (HRT-INV-66)",
            &recs,
        ));
    }
    let got = p.sync();
    if got.iter().any(|e| matches!(e, Event::Joined { .. })) {
        return Err(
            fx.fail("the peer joined after the shim's user reported a mismatch (HRT-INV-66)")
        );
    }
    // HRT-SHIM-37: the comparison is over.
    let a = fx.call(
        "sas.confirm",
        json!({"invite": hex::encode(invite), "match": true}),
    )?;
    if !matches!(a, Answer::Failed { .. }) {
        return Err(fx.fail(format!(
            "a second sas.confirm of an answered comparison was answered `{}`, expected `failed` (HRT-SHIM-37)",
            a.describe()
        )));
    }
    Ok(())
}

/// The peer's channel and invitation; the shim accepts it under `compare` and the peer admits
/// it: (peer, invite id, the peer's code, the mark before the shim's next request).
fn shim_joins(fx: &mut Fixture) -> Result<(Peer, [u8; 16], String), Stop> {
    needs_sas(fx)?;
    let (mut p, _, _, uri) = peer_channel(fx, 0)?;
    let seen = recording(&mut p);
    let v = fx.ok(
        "invite.accept",
        json!({"uri": uri, "name": "Shim", "compare": true}),
    )?;
    let invite = super::fixture::hex_field::<16>(&v, "invite").ok_or_else(|| {
        fx.fail(format!(
            "invite.accept answered without a hex16 `invite`: {v}"
        ))
    })?;
    let ev = p.sync();
    if !ev.iter().any(|e| matches!(e, Event::Admitted { .. })) {
        return Err(fx.fail(format!(
            "harness peer: its sync admitted nobody; peer events: {ev:?}"
        )));
    }
    let code = seen
        .lock()
        .ok()
        .and_then(|s| {
            s.iter()
                .find(|c| c.invite == invite)
                .map(|c| c.sas.to_string())
        })
        .ok_or_else(|| fx.fail("harness peer: its client showed no code for the shim's join"))?;
    Ok((p, invite, code))
}

/// HRT-INV-67: the Welcome is there, but the shim neither joins nor commits before confirming.
fn joiner_holds(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let (mut p, invite, code) = shim_joins(&mut fx)?;
    let mark = fx.host()?.proxy.mark();
    let events = fx.sync()?;
    let e = sas_event(&fx, &events, &invite, &code, "after the redeem")?;
    if e.get("fingerprint") != Some(&Value::Null) {
        return Err(fx.fail(format!(
            "the joiner's `sas` event has a `fingerprint`; it must be null (§91.7): {e}"
        )));
    }
    expect_no_event(&fx, &events, "joined", "before sas.confirm (HRT-INV-67)")?;
    let events = fx.sync()?;
    expect_no_event(&fx, &events, "joined", "before sas.confirm (HRT-INV-67)")?;
    let recs = fx.host()?.proxy.records_since(mark);
    let posts: Vec<&Recorded> = recs
        .iter()
        .filter(|r| matches!(r.op, Some(Op::COMMIT_POST) | Some(Op::MSG_POST)))
        .collect();
    if !posts.is_empty() {
        return Err(fx.fail_with(
            "the shim posted to the channel before its user confirmed the codes, so it used the Welcome (HRT-INV-67)",
            &recs,
        ));
    }
    let convs = fx.ok("conversations", json!({}))?;
    if convs
        .get("conversations")
        .and_then(Value::as_array)
        .is_some_and(|c| !c.is_empty())
    {
        return Err(fx.fail(format!(
            "the shim lists a conversation before its user confirmed the codes (HRT-INV-67): {convs}"
        )));
    }
    confirm(&mut fx, &invite, true)?;
    let events = fx.sync()?;
    expect_event(
        &fx,
        &events,
        "joined",
        None,
        "after sas.confirm with match: true",
        &[],
    )?;
    let _ = p.sync();
    Ok(())
}

/// HRT-INV-68: a mismatch abandons the join for good.
fn joiner_mismatch(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let (_p, invite, code) = shim_joins(&mut fx)?;
    let events = fx.sync()?;
    sas_event(&fx, &events, &invite, &code, "after the redeem")?;
    confirm(&mut fx, &invite, false)?;
    let mark = fx.host()?.proxy.mark();
    let events = fx.sync()?;
    let mismatch = events_of(&events, "rejected")
        .into_iter()
        .any(|e| is_code(e, ErrorCode::SAS_MISMATCH));
    if !mismatch {
        return Err(fx.fail(format!(
            "the sync after a reported mismatch has no `rejected` event with code sas_mismatch (HRT-SHIM-36): {}",
            Value::Array(events)
        )));
    }
    expect_no_event(
        &fx,
        &events,
        "joined",
        "after a reported mismatch (HRT-INV-68)",
    )?;
    let events = fx.sync()?;
    expect_no_event(
        &fx,
        &events,
        "joined",
        "after a reported mismatch (HRT-INV-68)",
    )?;
    let recs = fx.host()?.proxy.records_since(mark);
    if !with_op(&recs, Op::WELCOME_FETCH, None).is_empty() {
        return Err(fx.fail_with(
            "the shim fetched the Welcome of a join its user abandoned; it must have deleted the member key that signs welcome.fetch (HRT-INV-68)",
            &recs,
        ));
    }
    let convs = fx.ok("conversations", json!({}))?;
    if convs
        .get("conversations")
        .and_then(Value::as_array)
        .is_some_and(|c| !c.is_empty())
    {
        return Err(fx.fail(format!(
            "the shim holds a conversation after abandoning its only join (HRT-INV-68): {convs}"
        )));
    }
    Ok(())
}

/// HRT-INV-58: no redeem `ok`, no code.
fn joiner_no_code(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 2)?;
    needs_sas(&fx)?;
    let (_p, _, _, uri) = peer_channel(&fx, 0)?;
    let mut other = peer(&fx, 1)?;
    let (invite, _) = must(&fx, "accept_invite", other.accept_invite(&uri, "First"))?;
    let a = fx.call(
        "invite.accept",
        json!({"uri": uri, "name": "Shim", "compare": true}),
    )?;
    expect_error(
        &fx,
        &a,
        ErrorCode::INVITE_USED,
        "invite.accept after another redeem",
    )?;
    let events = fx.sync()?;
    if let Some(e) = events_of(&events, "sas").first() {
        return Err(fx.fail(format!(
            "the shim reported a code for an invitation whose redeem was answered invite_used (HRT-INV-58): {e}"
        )));
    }
    let a = fx.call(
        "sas.confirm",
        json!({"invite": hex::encode(invite), "match": true}),
    )?;
    if !matches!(a, Answer::Failed { .. }) {
        return Err(fx.fail(format!(
            "sas.confirm for an invitation the shim has no code for was answered `{}`, expected `failed` (HRT-SHIM-37)",
            a.describe()
        )));
    }
    Ok(())
}
