//! Recovering a wedged channel (spec §6.9.3): a peer's commit `B` whose confirmation tag the
//! host altered for the shim alone (`Fault::ReplaceEntry` with the same commit, its tag
//! flipped; the signature does not cover the tag) wedges the shim, which reports it
//! (HRT-GRP-88); an admin peer posts the recovery commit and the shim processes it and reads
//! the messages after it (HRT-GRP-94). A bad committer's commit with a wrong tag in the log
//! itself wedges every member; the shim, as the channel's admin, posts the recovery commit
//! (HRT-GRP-93) and the other members follow it. A member that verified a report holds its
//! messages (HRT-GRP-92).

use super::member::Peer;
use hearth::conversation::Event;
use hearth_wire::group::{Commit, GroupOp};
use hearth_wire::request::{RequestBody, SignedRequest};
use hearth_wire::{ErrorCode, Op, WireDecode, WireEncode};
use serde_json::{json, Value};

use super::fixture::{events_of, Fixture};
use super::peer::{admit, expect_event, join, member_key_of, must, peer, start};
use super::{ClientCtx, ClientTestDef};
use crate::model::{Stop, TestResult};
use crate::proxy::{Fault, FaultRule, Recorded};

/// The tests of this module.
pub fn tests() -> Vec<ClientTestDef> {
    vec![
        ClientTestDef {
            id: "client.recovery.wedged-member-recovers",
            title: "a member wedged by a commit whose tag the host altered reports it, processes the admin's recovery commit and reads the messages after it",
            requirements: &["HRT-GRP-88", "HRT-GRP-89", "HRT-GRP-94"],
            run: wedged_member_recovers,
        },
        ClientTestDef {
            id: "client.recovery.hold",
            title: "a member that verified a report naming the commit of its current epoch posts no application message in that epoch",
            requirements: &["HRT-GRP-92"],
            run: hold,
        },
        ClientTestDef {
            id: "client.recovery.admin-recovers",
            title: "an admin wedged by a peer's commit with a wrong confirmation tag posts a recovery commit naming it that removes its committer, and the other wedged members follow",
            requirements: &["HRT-GRP-93", "HRT-GRP-94", "HRT-GRP-88"],
            run: admin_recovers,
        },
    ]
}

/// A peer joins the channel of `inviter` (a harness peer) as a member.
pub(super) fn add_peer(
    fx: &mut Fixture,
    inviter: &mut Peer,
    h: [u8; 16],
    i: usize,
) -> Result<Peer, Stop> {
    let uri = must(fx, "create_invite", inviter.create_invite(&h, 3600))?;
    let mut p = peer(fx, i)?;
    must(fx, "accept_invite", p.accept_invite(&uri, "Member"))?;
    admit(fx, inviter)?;
    joined(fx, &mut p)?;
    let _ = inviter.sync();
    fx.sync()?;
    Ok(p)
}

/// The peer's sync must show its join; a second sync brings its update commit in.
fn joined(fx: &Fixture, p: &mut Peer) -> Result<(), Stop> {
    let ev = p.sync();
    if !ev.iter().any(|e| matches!(e, Event::Joined { .. })) {
        return Err(fx.fail(format!("harness peer did not join: {ev:?}")));
    }
    let _ = p.sync();
    Ok(())
}

/// The commit bytes of the last `commit.post` in `recs`.
fn last_commit_post(recs: &[Recorded]) -> Option<Vec<u8>> {
    recs.iter()
        .rev()
        .filter(|r| r.op == Some(Op::COMMIT_POST))
        .find_map(|r| {
            let sr = SignedRequest::decode(&r.body).ok()?;
            // Read only, to serve it altered: never trusted.
            let req = sr.unverified_request().ok()?;
            match req.as_unverified().body().ok()? {
                RequestBody::CommitPost(b) => Some(b.commit.as_bytes().to_vec()),
                _ => None,
            }
        })
}

/// The same commit with its confirmation tag flipped.
fn flip_tag(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut c = Commit::decode(bytes).ok()?;
    if let Some(x) = c.confirmation_tag.0.first_mut() {
        *x ^= 0x01;
    }
    Some(c.to_vec())
}

/// The recovery commits (`CommitTBS` key 11) posted in `recs`: (key 11, ops).
fn recovery_posts(recs: &[Recorded]) -> Vec<(u64, Vec<GroupOp>)> {
    recs.iter()
        .filter(|r| r.op == Some(Op::COMMIT_POST))
        .filter_map(|r| {
            let sr = SignedRequest::decode(&r.body).ok()?;
            let req = sr.unverified_request().ok()?;
            match req.as_unverified().body().ok()? {
                RequestBody::CommitPost(b) => {
                    let tbs = b.commit.value().unverified_tbs().ok()?;
                    let t = tbs.as_unverified();
                    t.recover.map(|s| (s.0, t.ops.as_slice().to_vec()))
                }
                _ => None,
            }
        })
        .collect()
}

/// The commit `committer` makes is served to the shim (member key `shim_key`) with its tag
/// flipped; returns its seq.
fn wedging_commit(
    fx: &mut Fixture,
    committer: &mut Peer,
    h: [u8; 16],
    r: &hearth::conversation::RouteRef,
    shim_key: [u8; 32],
) -> Result<u64, Stop> {
    let mark = fx.host()?.proxy.mark();
    let (_, seq) = must(fx, "commit", committer.commit(&h, r, &[]))?;
    let recs = fx.host()?.proxy.records_since(mark);
    let Some(bytes) = last_commit_post(&recs).and_then(|b| flip_tag(&b)) else {
        return Err(fx.fail_with("harness: the peer's commit.post was not recorded", &recs));
    };
    fx.host()?.proxy.add_fault(
        FaultRule::new(Fault::ReplaceEntry { seq, bytes })
            .for_key(shim_key)
            .on_channel(r.channel.0),
    );
    Ok(seq)
}

/// The shim's next sync rejects the commit at `seq` with `bad_confirmation_tag` and reports it.
fn shim_rejects(fx: &mut Fixture, seq: u64, channel: [u8; 16]) -> Result<(), Stop> {
    let mark = fx.host()?.proxy.mark();
    let events = fx.sync()?;
    let recs = fx.host()?.proxy.records_since(mark);
    let rej = expect_event(
        fx,
        &events,
        "rejected",
        Some(ErrorCode::BAD_CONFIRMATION_TAG),
        "a commit whose confirmation tag the host altered",
        &recs,
    )?;
    if rej.get("seq").and_then(Value::as_u64) != Some(seq) {
        return Err(fx.fail(format!("the rejection names another seq than {seq}: {rej}")));
    }
    let reported = recs
        .iter()
        .any(|r| r.op == Some(Op::COMMIT_REPORT) && r.channel == Some(channel));
    if !reported {
        return Err(fx.fail_with(
            "the wedged shim did not post commit.report (HRT-GRP-88)",
            &recs,
        ));
    }
    Ok(())
}

/// The shim's sync shows a message with `text` on the channel.
fn shim_reads(fx: &mut Fixture, text: &str, why: &str) -> Result<(), Stop> {
    let mut seen = Vec::new();
    for _ in 0..2 {
        let events = fx.sync()?;
        if events_of(&events, "message")
            .iter()
            .any(|e| e.get("text").and_then(Value::as_str) == Some(text))
        {
            return Ok(());
        }
        seen.extend(events);
    }
    Err(fx.fail(format!(
        "{why}: the shim did not show the message {text:?}; its events: {}",
        Value::Array(seen)
    )))
}

/// Peer 0 (admin) and the shim, peer 1 a member that makes `B`; peer 0 recovers.
fn wedged_member_recovers(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 2)?;
    let mut s = join(&mut fx, 0)?;
    let (h, r) = (s.handle, s.route.clone());
    let mut p1 = add_peer(&mut fx, &mut s.peer, h, 1)?;
    let _ = s.peer.sync();
    fx.sync()?;
    let Some(key) = s.shim_key() else {
        return Err(fx.fail("the shim is not in the peer's roster (harness problem)"));
    };
    let seq = wedging_commit(&mut fx, &mut p1, h, &r, key)?;
    let _ = s.peer.sync();
    shim_rejects(&mut fx, seq, s.channel())?;
    // The admin peer sees the report and recovers (HRT-GRP-93).
    let mark = fx.host()?.proxy.mark();
    let _ = s.peer.sync();
    let recs = fx.host()?.proxy.records_since(mark);
    if !recovery_posts(&recs).iter().any(|(k, _)| *k == seq) {
        return Err(fx.fail_with(
            "harness: the admin peer posted no recovery commit after the shim's report",
            &recs,
        ));
    }
    let _ = p1.sync();
    s.say(&fx, "after the recovery")?;
    shim_reads(
        &mut fx,
        "after the recovery",
        "after the admin's recovery commit (HRT-GRP-94)",
    )
}

/// The shim creates the channel (admin); peers 0 and 1 join; peer 1 makes `B`.
fn admin_recovers(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 2)?;
    let created = fx.create_channel(0)?;
    let conv = hex::encode(created.conversation);
    let mut peers = Vec::new();
    for i in 0..2 {
        let v = fx.ok(
            "invite.create",
            json!({"conversation": conv, "expires_in": 3600}),
        )?;
        let Some(uri) = v.get("uri").and_then(Value::as_str).map(str::to_owned) else {
            return Err(fx.fail(format!("invite.create answered without a `uri`: {v}")));
        };
        let mut p = peer(&fx, i)?;
        must(&fx, "accept_invite", p.accept_invite(&uri, "Peer"))?;
        fx.sync()?;
        joined(&fx, &mut p)?;
        fx.sync()?;
        peers.push(p);
    }
    for p in &mut peers {
        let _ = p.sync();
    }
    fx.sync()?;
    let (Some(mut p1), Some(mut p0)) = (peers.pop(), peers.pop()) else {
        return Err(fx.fail("harness: two peers expected"));
    };
    let Some(conversation) = p1.conversations().first() else {
        return Err(fx.fail("harness peer 1 holds no conversation"));
    };
    let h = conversation.handle();
    let Some(r) = conversation.routes().first().map(|x| x.link().clone()) else {
        return Err(fx.fail("harness peer 1 holds no route"));
    };
    let p1_fp = *p1.fingerprint().as_bytes();
    // Peer 1 is a bad committer: its commit carries a wrong tag for everyone.
    let seq = must(
        &fx,
        "danger_post_tampered_commit",
        p1.danger_post_tampered_commit(&h, &r, |b| flip_tag(&b).unwrap_or(b)),
    )?;
    let _ = p0.sync();
    // The shim rejects B, reports it, and (an admin) posts the recovery commit.
    let mark = fx.host()?.proxy.mark();
    shim_rejects(&mut fx, seq, r.channel.0)?;
    fx.sync()?;
    let recs = fx.host()?.proxy.records_since(mark);
    let posts = recovery_posts(&recs);
    let Some((_, ops)) = posts.iter().find(|(k, _)| *k == seq) else {
        return Err(fx.fail_with(
            format!("the wedged admin posted no recovery commit naming seq {seq} (HRT-GRP-93)"),
            &recs,
        ));
    };
    // It removes B's committer: the peers that accepted B follow it, B's committer is out.
    let p1_leaf = p0
        .conversations()
        .first()
        .and_then(|c| c.routes().first())
        .and_then(|x| {
            x.group()
                .members()
                .iter()
                .find(|m| m.fingerprint.as_bytes() == &p1_fp)
                .map(|m| m.leaf)
        });
    let removes_p1 = p1_leaf.is_some_and(|l| ops.contains(&GroupOp::Remove { leaf: l }));
    if !removes_p1 {
        return Err(fx.fail(format!(
            "the recovery commit does not remove B's committer (HRT-GRP-94): ops {ops:?}"
        )));
    }
    let ev = p0.sync();
    if ev
        .iter()
        .any(|e| matches!(e, Event::Rejected { seq: Some(_), .. }))
    {
        return Err(fx.fail(format!(
            "a peer that rejected B refused the shim's recovery commit: {ev:?}"
        )));
    }
    // B's committer rejects the log's B (its pending commit has other bytes), reports, and
    // then meets its removal.
    let mut ev = p1.sync();
    ev.extend(p1.sync());
    if !ev.iter().any(|e| matches!(e, Event::Removed { .. })) {
        return Err(fx.fail(format!(
            "B's committer was not removed by the shim's recovery commit: {ev:?}"
        )));
    }
    let h0 = p0.conversations().first().map(|c| c.handle()).unwrap_or(h);
    must(&fx, "send_text", p0.send_text(&h0, "after the recovery"))?;
    shim_reads(
        &mut fx,
        "after the recovery",
        "after its own recovery commit",
    )
}

/// Peer 0 (admin) commits `B`; the host alters its tag for peer 1 alone, which reports it.
/// The shim accepted `B`; once it has verified the report it must not send in that epoch.
/// Nobody can recover (the only admin made `B`), so the hold lasts.
fn hold(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 2)?;
    let mut s = join(&mut fx, 0)?;
    let (h, r) = (s.handle, s.route.clone());
    let mut p1 = add_peer(&mut fx, &mut s.peer, h, 1)?;
    let p1_fp = *p1.fingerprint().as_bytes();
    let Some(key) = member_key_of(&s.peer, &h, &r, &p1_fp) else {
        return Err(fx.fail("harness peer 1 is not in peer 0's roster"));
    };
    let seq = wedging_commit(&mut fx, &mut s.peer, h, &r, key)?;
    let mark = fx.host()?.proxy.mark();
    let _ = p1.sync();
    let recs = fx.host()?.proxy.records_since(mark);
    if !recs.iter().any(|x| x.op == Some(Op::COMMIT_REPORT)) {
        return Err(fx.fail_with("harness: peer 1 did not report the altered commit", &recs));
    }
    // The shim installs B and verifies the report.
    fx.sync()?;
    fx.sync()?;
    let mark = fx.host()?.proxy.mark();
    let a = fx.call("send", json!({"conversation": s.conv, "text": "held"}))?;
    let posted: Vec<Recorded> = fx
        .host()?
        .proxy
        .records_since(mark)
        .into_iter()
        .filter(|x| x.channel == Some(s.channel()) && x.op == Some(Op::MSG_POST))
        .collect();
    if !posted.is_empty() {
        return Err(fx.fail_with(
            format!("the shim sent in the epoch of commit {seq}, which a verified report names (HRT-GRP-92)"),
            &posted,
        ));
    }
    if let crate::shim::Answer::Ok(v) = a {
        return Err(fx.fail(format!(
            "`send` answered ok although the conversation's only channel holds its messages: {v}"
        )));
    }
    Ok(())
}
