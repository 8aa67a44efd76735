//! Members' claims about the log (spec §9.7, §9.8, §9.9): a `seen_seq`, `seen_head` or `prev`
//! that contradicts the shim's verified log is `bad_claim`, reported as a `detected` event
//! naming the member, and the route keeps working (HRT-LOG-45): the claimed message is shown
//! and a later message of the peer is still accepted. A `prev` naming an entry the shim verified
//! but rejected, and an absent `prev`, are no claim at all (HRT-LOG-43, HRT-LOG-48).
//!
//! Claims come either from a host lie told to the shim alone (the peer's honest claim then
//! contradicts what the shim was shown) or from envelopes the peer seals itself with
//! `danger_seal_forged` and posts as they are.

use super::member::Peer;
use hearth::conversation::{Event, RouteRef};
use hearth_crypto::envelope::{ContentBuilder, Padding};
use hearth_wire::envelope::Content;
use hearth_wire::{ErrorCode, Hash, Seq};
use serde_json::{json, Value};

use super::fixture::{events_of, Fixture};
use super::peer::{
    expect_event, expect_event_at, expect_no_event, join, must, now, peer, start, Session,
};
use super::peer_msg::messages_from;
use super::{ClientCtx, ClientTestDef};
use crate::model::{Stop, TestResult};
use crate::proxy::Fault;

/// The tests of this module.
pub fn tests() -> Vec<ClientTestDef> {
    vec![
        ClientTestDef {
            id: "client.log.claim.prev-reordered",
            title: "two messages of a peer served swapped: the first shown names in `prev` a message not yet verified: bad_claim naming the peer, the message shown, the route still works",
            requirements: &["HRT-LOG-43", "HRT-LOG-45", "HRT-SHIM-24"],
            run: reordered,
        },
        ClientTestDef {
            id: "client.log.claim.prev-rechained",
            title: "a peer's message withheld from the shim in a consistent history: the next names it in `prev`: bad_claim naming the peer, no freeze",
            requirements: &["HRT-LOG-43", "HRT-LOG-45"],
            run: withheld_rechained,
        },
        ClientTestDef {
            id: "client.log.claim.seen-head",
            title: "an altered, rechained history shown to the shim only is caught by a peer's seen_head: bad_claim naming the peer, no freeze",
            requirements: &["HRT-LOG-42", "HRT-LOG-45"],
            run: fork_seen_head,
        },
        ClientTestDef {
            id: "client.log.claim.prev-rejected",
            title: "a peer's `prev` names its earlier message that the shim verified but rejected (malformed): no bad_claim, the message is shown",
            requirements: &["HRT-LOG-43", "HRT-LOG-31"],
            run: prev_rejected,
        },
        ClientTestDef {
            id: "client.log.claim.prev-unknown-creator",
            title: "the shim created the channel: a joined peer's first message names an unknown `prev`: bad_claim naming the peer (no pre-anchor exception for a log from seq 1), no freeze",
            requirements: &["HRT-LOG-43", "HRT-LOG-45"],
            run: prev_unknown_creator,
        },
        ClientTestDef {
            id: "client.log.claim.prev-absent",
            title: "a peer's message without `prev` after earlier messages of that peer: neither withholding nor bad_claim",
            requirements: &["HRT-LOG-48"],
            run: prev_absent,
        },
    ]
}

/// A [`Session`] in which the shim already received one message of the peer (so that the
/// pre-anchor exception of HRT-LOG-43, which a joiner anchored later would have, is used).
fn warmed(fx: &mut Fixture) -> Result<Session, Stop> {
    let mut s = join(fx, 0)?;
    s.say(fx, "warm-up")?;
    let events = fx.sync()?;
    if messages_from(&events, &s.peer_fp()).is_empty() {
        return Err(fx.fail(format!(
            "the shim did not report the peer's first message: {}",
            Value::Array(events)
        )));
    }
    Ok(s)
}

/// The `bad_claim` `detected` event, at `seq` when given, must name the peer `peer_fp` as
/// `member`, and the message that carried the claim must be shown (HRT-LOG-45). Returns the
/// claim's `seq`.
fn claimed_by(
    fx: &Fixture,
    peer_fp: &str,
    events: &[Value],
    seq: Option<u64>,
    context: &str,
) -> Result<u64, Stop> {
    let d = match seq {
        Some(q) => expect_event_at(fx, events, "detected", ErrorCode::BAD_CLAIM, q, context)?,
        None => expect_event(
            fx,
            events,
            "detected",
            Some(ErrorCode::BAD_CLAIM),
            context,
            &[],
        )?,
    };
    if d.get("member").and_then(Value::as_str) != Some(peer_fp) {
        return Err(fx.fail(format!(
            "{context}: the `bad_claim` event must name the peer {peer_fp} as `member` (HRT-LOG-42 to HRT-LOG-44): {d}"
        )));
    }
    let at = d.get("seq").and_then(Value::as_u64).unwrap_or(0);
    if !messages_from(events, peer_fp).iter().any(|m| m.0 == at) {
        return Err(fx.fail(format!(
            "{context}: the message at seq {at} that carried the claim was not shown as a `message` event (HRT-LOG-45): {}",
            Value::Array(events.to_vec())
        )));
    }
    let frozen = events_of(events, "detected")
        .into_iter()
        .find(|e| !super::peer::is_code(e, ErrorCode::BAD_CLAIM));
    if let Some(e) = frozen {
        return Err(fx.fail(format!(
            "{context}: a member's claim is not a detection against the host (§9.9), but the shim reported {e}"
        )));
    }
    Ok(at)
}

/// After a `bad_claim` the route still works (HRT-LOG-45): a later message of the peer is
/// shown (found by its text: where the host lied, the shim's `seq` may differ from the
/// peer's; and where it showed the shim another history, that message carries a claim too),
/// and the shim can still send on it.
fn still_works(fx: &mut Fixture, p: &mut Peer, h: &[u8; 16], conv: &str) -> TestResult {
    let t = "after the claim";
    must(fx, "send_text", p.send_text(h, t))?;
    let events = fx.sync()?;
    let fp = hex::encode(p.fingerprint().as_bytes());
    if !messages_from(&events, &fp)
        .iter()
        .any(|m| m.2.as_deref() == Some(t))
    {
        return Err(fx.fail(format!(
            "after a `bad_claim` the route must keep working (HRT-LOG-45), but the peer's next message was not shown: {}",
            Value::Array(events)
        )));
    }
    fx.ok("send", json!({"conversation": conv, "text": "still here"}))?;
    Ok(())
}

/// The peer seals `content` as it is (generation not skipped, exact padding) and posts it on
/// `r`; returns `(seq, msg_ref)`.
fn forge(
    fx: &Fixture,
    p: &mut Peer,
    h: &[u8; 16],
    r: &RouteRef,
    content: &Content,
) -> Result<(u64, Hash), Stop> {
    let Some(g) = p.danger_group_mut(h, r) else {
        return Err(fx.fail("harness peer: no group for its channel"));
    };
    let env = g
        .danger_seal_forged(content, now(), 0, Padding::Exact)
        .map_err(|e| Stop::fail(format!("harness peer: danger_seal_forged: {e:?}"), &[]))?;
    let seq = must(
        fx,
        "danger_post_envelope",
        p.danger_post_envelope(h, r, env.bytes),
    )?;
    Ok((seq, env.msg_ref))
}

/// A text with `seen_seq` 0 and the given `prev`.
fn text(fx: &Fixture, t: &str, prev: Option<Hash>) -> Result<Content, Stop> {
    Ok(ContentBuilder::text(t)
        .map_err(|e| fx.fail(format!("harness: content: {e:?}")))?
        .sent_at_ms(now().saturating_mul(1000))
        .prev(prev)
        .build())
}

fn reordered(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let mut s = warmed(&mut fx)?;
    let a = s.say(&fx, "one")?;
    let b = s.say(&fx, "two, naming one in prev")?;
    let _ = s.peer.sync();
    s.lie(&fx, Fault::SwapEntries(a, b))?;
    let events = fx.sync()?;
    claimed_by(
        &fx,
        &s.peer_fp(),
        &events,
        Some(a),
        "the peer's second message served before its first",
    )?;
    let (h, conv) = (s.handle, s.conv.clone());
    still_works(&mut fx, &mut s.peer, &h, &conv)
}

fn withheld_rechained(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let mut s = warmed(&mut fx)?;
    let a = s.say(&fx, "withheld from the shim")?;
    s.say(&fx, "names the withheld one in prev")?;
    let _ = s.peer.sync();
    s.lie(&fx, Fault::WithholdEntry(a))?;
    let events = fx.sync()?;
    let shown: Vec<_> = messages_from(&events, &s.peer_fp())
        .into_iter()
        .filter(|m| m.2.as_deref() == Some("withheld from the shim"))
        .collect();
    if !shown.is_empty() {
        return Err(fx.fail("the proxy did not withhold the message (harness problem)"));
    }
    claimed_by(
        &fx,
        &s.peer_fp(),
        &events,
        Some(a),
        "a peer's message withheld in a consistent history",
    )?;
    let (h, conv) = (s.handle, s.conv.clone());
    still_works(&mut fx, &mut s.peer, &h, &conv)
}

/// The host alters the peer's message at `a` for the shim alone (chain recomputed): the shim
/// rejects it and holds another head for `a`. The peer's next message says it saw `a` with the
/// true head; it carries no `prev`, so only `seen_head` shows the fork.
fn fork_seen_head(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let mut s = join(&mut fx, 0)?;
    let a = s.say(&fx, "altered for the shim")?;
    let _ = s.peer.sync();
    s.lie(&fx, Fault::AlterEntryBytes(a))?;
    fx.sync()?;
    let truth = fx.host()?.proxy.true_log(&s.channel());
    let Some(head) = truth.iter().find(|e| e.seq.0 == a).map(|e| e.head) else {
        return Err(fx.fail("the proxy has not seen the altered message (harness problem)"));
    };
    let claim = ContentBuilder::text("seen_head is the true head")
        .and_then(|b| b.sent_at_ms(now().saturating_mul(1000)).seen(a, Some(head)))
        .map_err(|e| fx.fail(format!("harness: content: {e:?}")))?
        .build();
    let (h, r) = (s.handle, s.route.clone());
    let (b, _) = forge(&fx, &mut s.peer, &h, &r, &claim)?;
    let events = fx.sync()?;
    claimed_by(
        &fx,
        &s.peer_fp(),
        &events,
        Some(b),
        "a peer's seen_head that differs from the head the shim verified",
    )?;
    let conv = s.conv.clone();
    still_works(&mut fx, &mut s.peer, &h, &conv)
}

/// Issue 16 finding 5: the host accepted the peer's message, the shim rejected it (its
/// `Content` is malformed, HRT-LOG-31), and the peer names it in its next `prev`. The entry's
/// link verified, so nothing was withheld and the peer claimed nothing false.
fn prev_rejected(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let mut s = warmed(&mut fx)?;
    let (h, r) = (s.handle, s.route.clone());
    let mut bad = ContentBuilder::text("rejected by the shim")
        .and_then(|b| {
            b.sent_at_ms(now().saturating_mul(1000))
                .seen(1, Some(Hash([0x42; 32])))
        })
        .map_err(|e| fx.fail(format!("harness: content: {e:?}")))?
        .build();
    bad.seen_seq = Seq(0);
    let (a, bad_ref) = forge(&fx, &mut s.peer, &h, &r, &bad)?;
    let names = text(&fx, "names the rejected one", Some(bad_ref))?;
    let (b, _) = forge(&fx, &mut s.peer, &h, &r, &names)?;
    let events = fx.sync()?;
    expect_event_at(
        &fx,
        &events,
        "rejected",
        ErrorCode::MALFORMED,
        a,
        "a Content with seen_head but no seen_seq",
    )?;
    if !messages_from(&events, &s.peer_fp())
        .iter()
        .any(|m| m.0 == b)
    {
        return Err(fx.fail(format!(
            "the message at seq {b} naming a verified, rejected entry in `prev` was not shown: {}",
            Value::Array(events)
        )));
    }
    expect_no_event(
        &fx,
        &events,
        "detected",
        "a `prev` naming an entry the shim verified but rejected (HRT-LOG-43: rejected entries count)",
    )
}

/// The shim created the channel and the peer joined it: the shim's verified log starts at seq
/// 1, so it has no pre-anchor exception (HRT-LOG-43), and the peer's very first message naming
/// a `prev` the shim never verified is a bad claim.
fn prev_unknown_creator(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let created = fx.create_channel(0)?;
    let conv = hex::encode(created.conversation);
    let v = fx.ok(
        "invite.create",
        json!({"conversation": conv, "expires_in": 3600}),
    )?;
    let Some(uri) = v.get("uri").and_then(Value::as_str).map(str::to_owned) else {
        return Err(fx.fail(format!("invite.create answered without a `uri`: {v}")));
    };
    let mut p = peer(&fx, 0)?;
    must(&fx, "accept_invite", p.accept_invite(&uri, "Peer"))?;
    fx.sync()?;
    let got = p.sync();
    if !got.iter().any(|e| matches!(e, Event::Joined { .. })) {
        return Err(fx.fail(format!(
            "harness peer: could not join with the shim's Welcome: {got:?}"
        )));
    }
    // The peer's update commit (HRT-RAT-17) reaches the shim before the peer's message.
    fx.sync()?;
    let _ = p.sync();
    let link = p
        .conversations()
        .first()
        .and_then(|c| Some((c.handle(), c.routes().first()?.link().clone())));
    let Some((h, r)) = link else {
        return Err(fx.fail("harness peer: no route after joining"));
    };
    let ghost = text(
        &fx,
        "names a message nobody verified",
        Some(Hash([0x55; 32])),
    )?;
    let (a, _) = forge(&fx, &mut p, &h, &r, &ghost)?;
    let events = fx.sync()?;
    let fp = hex::encode(p.fingerprint().as_bytes());
    claimed_by(
        &fx,
        &fp,
        &events,
        Some(a),
        "a first message of a joined peer naming an unknown prev, at the channel's creator",
    )?;
    still_works(&mut fx, &mut p, &h, &conv)
}

/// HRT-LOG-48: the peer's earlier messages were verified, and its next carries no `prev` (for
/// example because the answer to its previous post was lost).
fn prev_absent(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let mut s = warmed(&mut fx)?;
    s.say(&fx, "one more")?;
    let (h, r) = (s.handle, s.route.clone());
    let none = text(&fx, "no prev", None)?;
    let (a, _) = forge(&fx, &mut s.peer, &h, &r, &none)?;
    let events = fx.sync()?;
    if !messages_from(&events, &s.peer_fp())
        .iter()
        .any(|m| m.0 == a)
    {
        return Err(fx.fail(format!(
            "the peer's message without prev at seq {a} was not shown: {}",
            Value::Array(events)
        )));
    }
    expect_no_event(
        &fx,
        &events,
        "detected",
        "a message without prev after earlier messages of its sender (HRT-LOG-48)",
    )
}
