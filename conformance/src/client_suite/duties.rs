//! Timed duties of a silent member (spec §6.17, issue 16), through the shim's clock
//! (`clock.set`, Appendix B §91.6.15): a member that is online commits once its last commit is
//! more than 7 days old whether or not it sends (HRT-RAT-20), and the first commit after its
//! member key has been in use for more than 30 days carries a `RotateOp` (HRT-RAT-21).
//!
//! The shim joins a peer's channel and commits (HRT-RAT-17) within a few seconds of the
//! harness's `now`; the tests set the shim's clock relative to that `now`, with a margin of a
//! minute on the side that has to be due and an hour on the side that must not be.

use hearth_wire::Op;
use serde_json::json;

use super::fixture::Fixture;
use super::peer::{join, now, start, Session};
use super::{ClientCtx, ClientTestDef};
use crate::model::{Stop, TestResult};
use crate::proxy::Recorded;
use crate::shim::Answer;

/// 7 days (HRT-RAT-19, HRT-RAT-20).
const WEEK: u64 = 604_800;
/// 30 days (HRT-RAT-21).
const MONTH: u64 = 2_592_000;

/// The tests of this module.
pub fn tests() -> Vec<ClientTestDef> {
    vec![
        ClientTestDef {
            id: "client.duties.weekly-commit",
            title: "a member that sends nothing commits at its first refresh once its last commit is more than 7 days old by its clock, and not before",
            requirements: &["HRT-RAT-20", "HRT-SHIM-39", "HRT-SHIM-40", "HRT-SHIM-42"],
            run: weekly_commit,
        },
        ClientTestDef {
            id: "client.duties.key-rotation",
            title: "once its member key has been in use for more than 30 days, the member's next commit rotates it (a RotateOp), and it still sends with the new key",
            requirements: &["HRT-RAT-21", "HRT-GRP-95", "HRT-SHIM-39", "HRT-SHIM-40"],
            run: key_rotation,
        },
        ClientTestDef {
            id: "client.duties.away-member-removed",
            title: "an admin removes a member whose latest commit the host received more than 30 days ago by the admin's clock, and not before",
            requirements: &["HRT-RAT-22", "HRT-SHIM-39", "HRT-SHIM-40"],
            run: away_member,
        },
        ClientTestDef {
            id: "client.duties.clock-set-bad-now",
            title: "`clock.set` without an integer `now` is answered `failed` and changes nothing",
            requirements: &["HRT-SHIM-41"],
            run: bad_now,
        },
    ]
}

/// The shim in a peer's channel, with `clock.set` listed (else the test is unsupported).
fn session(ctx: &mut ClientCtx<'_>) -> Result<(Fixture, Session), Stop> {
    let mut fx = start(ctx, 1, 1)?;
    if !fx.shim.has("clock.set") {
        return Err(Stop::Unsupported(
            "the shim does not list `clock.set` (Appendix B §91.6.15)".into(),
        ));
    }
    let s = join(&mut fx, 0)?;
    Ok((fx, s))
}

/// The shim's clock reads `at`, then it syncs; its `commit.post` requests on the channel.
fn sync_at(fx: &mut Fixture, s: &Session, at: u64) -> Result<Vec<Recorded>, Stop> {
    let before = fx.host()?.proxy.mark();
    fx.ok("clock.set", json!({ "now": at }))?;
    let mark = fx.host()?.proxy.mark();
    if mark != before {
        let posted = fx.host()?.proxy.records_since(before);
        return Err(fx.fail_with(
            "the shim sent requests to a host while it carried out `clock.set` (HRT-SHIM-42)",
            &posted,
        ));
    }
    fx.sync()?;
    let channel = s.channel();
    Ok(fx
        .host()?
        .proxy
        .records_since(mark)
        .into_iter()
        .filter(|r| r.op == Some(Op::COMMIT_POST) && r.channel == Some(channel))
        .collect())
}

/// The peer's epoch of the session's channel.
fn peer_epoch(s: &Session) -> Option<u64> {
    s.peer
        .conversations()
        .iter()
        .find(|c| c.handle() == s.handle)?
        .routes()
        .iter()
        .find(|r| r.link() == &s.route)?
        .group()
        .epoch()
}

fn weekly_commit(ctx: &mut ClientCtx<'_>) -> TestResult {
    let (mut fx, mut s) = session(ctx)?;
    let t = now();
    // Not yet due: less than 7 days since the join commit.
    let early = sync_at(&mut fx, &s, t + WEEK - 3600)?;
    if !early.is_empty() {
        return Err(fx.fail_with(
            "the shim committed although its last commit was less than 7 days old by its clock (HRT-RAT-20 asks for a commit only after 7 days)",
            &early,
        ));
    }
    let before = peer_epoch(&s);
    let posted = sync_at(&mut fx, &s, t + WEEK + 60)?;
    if posted.is_empty() {
        return Err(fx.fail(
            "the shim's clock is 7 days past its last commit and it sends nothing: its sync posted no commit (HRT-RAT-20)",
        ));
    }
    let _ = s.peer.sync();
    let after = peer_epoch(&s);
    if after <= before {
        return Err(fx.fail_with(
            format!(
                "the shim's commit did not reach the peer's channel state (epoch {before:?} → {after:?}, HRT-RAT-20)"
            ),
            &posted,
        ));
    }
    Ok(())
}

fn key_rotation(ctx: &mut ClientCtx<'_>) -> TestResult {
    let (mut fx, mut s) = session(ctx)?;
    let Some(old) = s.shim_key() else {
        return Err(fx.fail("harness: the shim is not in the peer's roster"));
    };
    let posted = sync_at(&mut fx, &s, now() + MONTH + 60)?;
    if posted.is_empty() {
        return Err(fx.fail(
            "the shim's clock is 30 days past its join and its sync posted no commit (HRT-RAT-20, HRT-RAT-21)",
        ));
    }
    let _ = s.peer.sync();
    match s.shim_key() {
        Some(new) if new != old => still_speaks(&mut fx, &mut s),
        Some(_) => Err(fx.fail_with(
            "the shim's first commit after its member key had been in use for 30 days carried no RotateOp: the peer's roster still lists the old member key (HRT-RAT-21)",
            &posted,
        )),
        None => Err(fx.fail_with(
            "after the shim's commit the peer's roster no longer lists the shim",
            &posted,
        )),
    }
}

/// After its rotation the shim is still a member: it syncs (its `log.fetch` signed with the new
/// key, HRT-GRP-95), sends, and the peer opens the message from the shim's fingerprint. A client
/// that kept signing with the old key is answered `not_found` and cut off from the channel.
fn still_speaks(fx: &mut Fixture, s: &mut Session) -> TestResult {
    fx.sync()?;
    let v = fx.ok(
        "send",
        json!({"conversation": s.conv, "text": "after the rotation"}),
    )?;
    let seq = v.get("seq").and_then(serde_json::Value::as_u64);
    let ev = s.peer.sync();
    let opened = ev.iter().any(|e| {
        matches!(e, hearth::conversation::Event::Message { seq: sq, sender, text: Some(t), .. }
            if Some(*sq) == seq && *sender.as_bytes() == s.shim_fp && t == "after the rotation")
    });
    if opened {
        Ok(())
    } else {
        Err(fx.fail(format!(
            "after its key rotation the shim's message at seq {seq:?} did not reach the peer as a text from the shim (HRT-GRP-95: a member signs with its new member key once the host accepted the rotation); peer events: {ev:?}"
        )))
    }
}

/// Whether `p`'s sync shows it removed from the route on `host`.
fn removed_on(p: &mut super::member::Peer, host: &str) -> bool {
    let mut ev = p.sync();
    ev.extend(p.sync());
    ev.iter().any(
        |e| matches!(e, hearth::conversation::Event::Removed { route, .. } if route.host.as_str() == host),
    )
}

/// HRT-RAT-22: the shim is admin of a second route it added (spec §10.2); the peer joined it
/// and committed there (HRT-RAT-17). A month and a minute later by the shim's clock, its sync
/// removes the peer from that route; an hour before that, it does not.
fn away_member(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 2, 1)?;
    if !fx.shim.has("clock.set") {
        return Err(Stop::Unsupported(
            "the shim does not list `clock.set` (Appendix B §91.6.15)".into(),
        ));
    }
    let mut s = join(&mut fx, 0)?;
    let url2 = fx
        .hosts
        .get(1)
        .map(|x| x.url().to_owned())
        .ok_or_else(|| Stop::fail("no second host (test bug)", &[]))?;
    fx.ok("route.add", json!({"conversation": s.conv, "host": url2}))?;
    for _ in 0..3 {
        let _ = s.peer.sync();
        fx.sync()?;
    }
    let on_route_2 = s.peer.conversations().iter().any(|c| c.routes().len() == 2);
    if !on_route_2 {
        return Err(fx.fail("harness: the peer did not join the shim's second route"));
    }
    let t = now();
    fx.ok("clock.set", json!({ "now": t + MONTH - 3600 }))?;
    fx.sync()?;
    if removed_on(&mut s.peer, &url2) {
        return Err(fx.fail(
            "the shim removed a member whose latest commit is less than 30 days old by its clock (HRT-RAT-22 asks for a removal only after 30 days)",
        ));
    }
    let mark = fx.hosts.get(1).map_or(0, |x| x.proxy.mark());
    fx.ok("clock.set", json!({ "now": t + MONTH + 60 }))?;
    fx.sync()?;
    let commits: Vec<Recorded> = fx
        .hosts
        .get(1)
        .map(|x| x.proxy.records_since(mark))
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.op == Some(Op::COMMIT_POST))
        .collect();
    if !removed_on(&mut s.peer, &url2) {
        return Err(fx.fail_with(
            "the shim, admin of route 2, did not remove the member whose latest commit the host received more than 30 days ago by the shim's clock (HRT-RAT-22)",
            &commits,
        ));
    }
    Ok(())
}

fn bad_now(ctx: &mut ClientCtx<'_>) -> TestResult {
    let (mut fx, mut s) = session(ctx)?;
    for bad in [
        json!({}),
        json!({"now": "soon"}),
        json!({"now": -1}),
        json!({"now": 1.5}),
    ] {
        match fx.call("clock.set", bad.clone())? {
            Answer::Failed { .. } => {}
            a => {
                return Err(fx.fail(format!(
                "`clock.set` with arguments {bad} answered {} instead of `failed` (HRT-SHIM-41)",
                a.describe()
            )))
            }
        }
    }
    // Nothing changed: the clock still reads about now, so no timed commit is due.
    let mark = fx.host()?.proxy.mark();
    fx.sync()?;
    let channel = s.channel();
    let posted: Vec<Recorded> = fx
        .host()?
        .proxy
        .records_since(mark)
        .into_iter()
        .filter(|r| r.op == Some(Op::COMMIT_POST) && r.channel == Some(channel))
        .collect();
    let _ = s.peer.sync();
    if posted.is_empty() {
        Ok(())
    } else {
        Err(fx.fail_with(
            "after refused `clock.set` requests the shim posted a commit no duty asked for (HRT-SHIM-41)",
            &posted,
        ))
    }
}
