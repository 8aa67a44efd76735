//! Removal that sticks (spec §6.9.2, §10.4): a member removed on one route of a conversation
//! learns it from the host's `removed` answer and the log through the removing commit
//! (HRT-API-63, HRT-GRP-90), and then posts to no route of the conversation (HRT-ROUTE-27,
//! HRT-ROUTE-29), although the other route still has it in its roster. A `removed` answer that
//! the log does not bear out is an unreachable route, not a removal (HRT-GRP-91).

use hearth_crypto::keys::Fingerprint;
use hearth_wire::{ErrorCode, Op};
use serde_json::{json, Value};

use super::fixture::{events_of, Fixture};
use super::peer::{admit, expect_no_event, host_url, join, must, start, Session};
use super::{ClientCtx, ClientTestDef};
use crate::model::{Stop, TestResult};
use crate::proxy::{Fault, FaultRule, Recorded};
use crate::shim::Answer;

/// The tests of this module.
pub fn tests() -> Vec<ClientTestDef> {
    vec![ClientTestDef {
        id: "client.removal.no-failover",
        title: "a member removed on one route of a two-route conversation verifies its removal from the log and posts to neither route",
        requirements: &["HRT-GRP-90", "HRT-ROUTE-27", "HRT-ROUTE-29", "HRT-GRP-46"],
        run: no_failover,
    },
    ClientTestDef {
        id: "client.removal.carried-to-other-routes",
        title: "an admin of a second route that processes a member's removal on the first route commits that member's removal on the second at its next refresh",
        requirements: &["HRT-ROUTE-28"],
        run: carried,
    },
    ClientTestDef {
        id: "client.removal.false-removed",
        title: "a `removed` answer to its post that the route's log does not bear out makes the shim fail over to its other route, keep its state and warn, not treat itself as removed",
        requirements: &["HRT-GRP-91", "HRT-GRP-90", "HRT-GRP-47", "HRT-ROUTE-14"],
        run: false_removed,
    }]
}

/// The session's conversation gets a second route on host 1, which the shim joins.
fn second_route(fx: &mut Fixture, s: &mut Session) -> Result<(), Stop> {
    let h = s.handle;
    let url2 = host_url(fx, 1)?;
    must(fx, "add_route", s.peer.add_route(&h, &url2))?;
    fx.sync()?;
    admit(fx, &mut s.peer)?;
    let events = fx.sync()?;
    if events_of(&events, "route_added").is_empty() {
        return Err(fx.fail(format!(
            "harness: the shim did not join the second route: {}",
            Value::Array(events)
        )));
    }
    let _ = s.peer.sync();
    fx.sync()?;
    Ok(())
}

/// Requests of the shim's on host `i` since `mark` that post to a channel.
fn posts(fx: &Fixture, i: usize, mark: usize) -> Vec<Recorded> {
    fx.hosts
        .get(i)
        .map(|h| h.proxy.records_since(mark))
        .unwrap_or_default()
        .into_iter()
        .filter(|r| matches!(r.op, Some(Op::MSG_POST)))
        .collect()
}

/// `send` must post to none of the hosts `on` (indexes) and not answer ok.
fn sends_nowhere(fx: &mut Fixture, s: &Session, why: &str, on: &[usize]) -> TestResult {
    let marks: Vec<usize> = fx.hosts.iter().map(|h| h.proxy.mark()).collect();
    let a = fx.call(
        "send",
        json!({"conversation": s.conv, "text": "must not be posted"}),
    )?;
    for (i, m) in marks.iter().enumerate().filter(|(i, _)| on.contains(i)) {
        let p = posts(fx, i, *m);
        if !p.is_empty() {
            return Err(fx.fail_with(
                format!(
                    "{why}: the removed member posted to host {} (HRT-ROUTE-27, HRT-ROUTE-29)",
                    i + 1
                ),
                &p,
            ));
        }
    }
    if let Answer::Ok(v) = a {
        return Err(fx.fail(format!("{why}: `send` answered ok: {v}")));
    }
    Ok(())
}

fn no_failover(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 2, 1)?;
    let mut s = join(&mut fx, 0)?;
    second_route(&mut fx, &mut s)?;
    let (h, r1) = (s.handle, s.route.clone());
    let shim = Fingerprint::from_bytes(s.shim_fp);
    must(&fx, "commit", s.peer.commit(&h, &r1, &[shim]))?;
    // The shim does not know yet: its send meets the host's `removed` on route 1 and must
    // not fail over to route 2 (HRT-ROUTE-27).
    sends_nowhere(&mut fx, &s, "a send answered `removed` on route 1", &[1])?;
    let mut events = fx.sync()?;
    events.extend(fx.sync()?);
    let removed = events_of(&events, "removed");
    if removed.is_empty() {
        return Err(fx.fail(format!(
            "the shim did not process the commit that removed it from route 1 (HRT-GRP-90, HRT-GRP-46): {}",
            Value::Array(events)
        )));
    }
    // Route 2 still lists it; it must stay silent there too.
    sends_nowhere(
        &mut fx,
        &s,
        "after processing its removal from route 1",
        &[0, 1],
    )
}

/// Peer 0 (admin of route 1) removes peer 1 there; the shim, admin of route 2 (it made it with
/// `route.add`), must carry the removal to route 2 (HRT-ROUTE-28).
fn carried(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 2, 2)?;
    let mut s = join(&mut fx, 0)?;
    let (h, r1) = (s.handle, s.route.clone());
    let mut p1 = super::recovery::add_peer(&mut fx, &mut s.peer, h, 1)?;
    let url2 = fx
        .hosts
        .get(1)
        .map(|x| x.url().to_owned())
        .ok_or_else(|| Stop::fail("no second host (test bug)", &[]))?;
    fx.ok("route.add", json!({"conversation": s.conv, "host": url2}))?;
    for _ in 0..3 {
        let _ = s.peer.sync();
        let _ = p1.sync();
        fx.sync()?;
    }
    let on_route_2 = p1.conversations().iter().any(|c| c.routes().len() == 2);
    if !on_route_2 {
        return Err(fx.fail("harness: peer 1 did not join the shim's second route"));
    }
    let p1_fp = p1.fingerprint();
    must(&fx, "commit", s.peer.commit(&h, &r1, &[p1_fp]))?;
    let mark = fx.hosts.get(1).map_or(0, |x| x.proxy.mark());
    fx.sync()?;
    fx.sync()?;
    let commits: Vec<Recorded> = fx
        .hosts
        .get(1)
        .map(|x| x.proxy.records_since(mark))
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.op == Some(Op::COMMIT_POST))
        .collect();
    if commits.is_empty() {
        return Err(fx.fail(
            "the shim, admin of route 2, did not commit the removal of the member removed on route 1 (HRT-ROUTE-28)",
        ));
    }
    let mut ev = p1.sync();
    ev.extend(p1.sync());
    let removed_on_2 = ev.iter().any(
        |e| matches!(e, hearth::conversation::Event::Removed { route, .. } if route.host.as_str() == url2),
    );
    if !removed_on_2 {
        return Err(fx.fail_with(
            format!("the shim's commit on route 2 did not remove the member removed on route 1 (HRT-ROUTE-28); its events: {ev:?}"),
            &commits,
        ));
    }
    Ok(())
}

/// Host 1 answers `removed` to the shim's posts on route 1 while serving the true log, which
/// holds no commit removing it (a lying host, HRT-GRP-91). The shim must take route 1 as
/// unreachable: its `send` goes out on route 2 (HRT-ROUTE-14), no `removed` event, and once
/// the host stops lying the shim still reads and posts on route 1 (nothing was deleted).
fn false_removed(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 2, 1)?;
    let mut s = join(&mut fx, 0)?;
    second_route(&mut fx, &mut s)?;
    let Some(key) = s.shim_key() else {
        return Err(fx.fail("harness: the shim is not in the peer's roster of route 1"));
    };
    let lie = FaultRule::new(Fault::Status(ErrorCode::REMOVED))
        .for_key(key)
        .on_channel(s.channel())
        .on_op(Op::MSG_POST);
    fx.host()?.proxy.add_fault(lie);
    let marks: Vec<usize> = fx.hosts.iter().map(|h| h.proxy.mark()).collect();
    let a = fx.call(
        "send",
        json!({"conversation": s.conv, "text": "sent despite a false removed"}),
    )?;
    let lied: Vec<Recorded> = posts(&fx, 0, marks.first().copied().unwrap_or(0));
    let on_2 = posts(&fx, 1, marks.get(1).copied().unwrap_or(0));
    if lied.is_empty() {
        return Err(fx.fail(
            "harness: the shim's send did not try route 1 first, so it never met the false `removed` (HRT-ROUTE-12)",
        ));
    }
    if !matches!(a, Answer::Ok(_)) || on_2.is_empty() {
        return Err(fx.fail_with(
            format!(
                "host 1 answered `removed` to the shim's post while its log holds no commit removing the shim; the shim must treat route 1 as unreachable and post on route 2 (HRT-GRP-91, HRT-ROUTE-14); `send` answered {} and {} post(s) reached host 2",
                a.describe(),
                on_2.len()
            ),
            &lied,
        ));
    }
    let mut events = fx.sync()?;
    expect_no_event(
        &fx,
        &events,
        "removed",
        "a `removed` answer its log does not bear out (HRT-GRP-91, HRT-GRP-47)",
    )?;
    // The host stops lying: route 1 is the shim's still, with every key (nothing was deleted).
    fx.host()?.proxy.clear();
    let text = "route 1 after the lie";
    s.say(&fx, text)?;
    events.extend(fx.sync()?);
    let peer = s.peer_fp();
    let read = super::peer_msg::messages_from(&events, &peer)
        .iter()
        .any(|(_, _, t)| t.as_deref() == Some(text));
    if !read {
        return Err(fx.fail(format!(
            "after a false `removed` on route 1 the shim no longer reads route 1: it must not delete any state because of the status (HRT-GRP-91); events: {}",
            Value::Array(events)
        )));
    }
    expect_no_event(&fx, &events, "removed", "after the false `removed`")?;
    let mark = fx.host()?.proxy.mark();
    fx.ok(
        "send",
        json!({"conversation": s.conv, "text": "back on route 1"}),
    )?;
    if posts(&fx, 0, mark).is_empty() {
        return Err(fx.fail(
            "after the host stopped answering `removed`, the shim's send did not go to route 1, its first route (HRT-GRP-91: the route was only unreachable, HRT-ROUTE-14)",
        ));
    }
    Ok(())
}
