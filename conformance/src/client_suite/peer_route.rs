//! Routes with two hosts (spec §10): a route announced by a peer, failover when the first
//! host is down, a `RouteBody` whose invite names the wrong inviter, and re-hosting (§10.6).

use hearth_wire::envelope::{RouteBody, RouteInvite};
use hearth_wire::invite::InviteUri;
use hearth_wire::{
    BoundedVec, ContentType, ConversationId, Embedded, ErrorCode, FprPrefix, Op, RawValue,
};
use serde_json::{json, Value};

use super::fixture::{events_of, route_is, Fixture};
use super::peer::{
    admit, expect_event, expect_event_at, expect_no_event, host_url, join, must, peer, start,
    Session,
};
use super::{ClientCtx, ClientTestDef};
use crate::model::{Stop, TestResult};
use crate::proxy::{Fault, FaultRule, Recorded};

/// The tests of this module.
pub fn tests() -> Vec<ClientTestDef> {
    vec![
        ClientTestDef {
            id: "client.route.failover",
            title: "a route announced by a peer is joined (`route_added`); with the first host down, `send` goes to the second route, where the peer receives it",
            requirements: &["HRT-ROUTE-14", "HRT-ROUTE-15", "HRT-ROUTE-3", "HRT-ROUTE-8"],
            run: failover,
        },
        ClientTestDef {
            id: "client.route.epoch-conflict",
            title: "`send` after a peer's commit the shim has not fetched: epoch_conflict, then the log is processed, the message sealed again and posted on the same route",
            requirements: &["HRT-ROUTE-17", "HRT-ROUTE-15"],
            run: epoch_conflict,
        },
        ClientTestDef {
            id: "client.route.announce.by-the-shim",
            title: "the shim's `route.add`: its RouteBody lists one invite per other member in leaf order, bound to the new channel, the conversation and the shim's fingerprint; an outsider redeeming a listed invite is not admitted, the listed member is",
            requirements: &["HRT-ROUTE-4", "HRT-ROUTE-25", "HRT-ROUTE-9", "HRT-ROUTE-2"],
            run: announce_by_the_shim,
        },
        ClientTestDef {
            id: "client.route.announce.wrong-inviter",
            title: "a RouteBody whose invite names another inviter than its sender is not redeemed",
            requirements: &["HRT-ROUTE-7"],
            run: announce_wrong_inviter,
        },
        ClientTestDef {
            id: "client.route.rehost.attach",
            title: "an out-of-band invitation of a member to a re-hosted channel of the conversation is attached to it (`route_added`)",
            requirements: &["HRT-ROUTE-22", "HRT-ROUTE-3"],
            run: rehost_attach,
        },
        ClientTestDef {
            id: "client.route.rehost.stranger",
            title: "an invitation claiming an existing conversation id from a non-member starts a separate conversation",
            requirements: &["HRT-ROUTE-23", "HRT-ROUTE-3"],
            run: rehost_stranger,
        },
    ]
}

/// HRT-ROUTE-17: `epoch_conflict` is not unreachability: the client catches up and retries on the
/// same route, with a new envelope for the new epoch.
fn epoch_conflict(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let mut s = join(&mut fx, 0)?;
    let h = s.handle;
    let r = s.route.clone();
    must(&fx, "commit", s.peer.commit(&h, &r, &[]))?;
    let mark = fx.host()?.proxy.mark();
    let sent = fx.ok(
        "send",
        json!({"conversation": s.conv, "text": "after a commit I have not seen"}),
    )?;
    let records = fx.host()?.proxy.records_since(mark);
    let posts: Vec<&Recorded> = records
        .iter()
        .filter(|x| x.op == Some(Op::MSG_POST))
        .collect();
    let statuses: Vec<Option<ErrorCode>> = posts
        .iter()
        .map(|x| x.response().map(|r| r.status))
        .collect();
    let conflict_then_ok = statuses.first() == Some(&Some(ErrorCode::EPOCH_CONFLICT))
        && statuses.last() == Some(&Some(ErrorCode::OK));
    let fetched = records.iter().any(|x| x.op == Some(Op::LOG_FETCH));
    let distinct = posts.first().map(|x| &x.body) != posts.last().map(|x| &x.body);
    // A client may refresh its routes before it sends (Appendix B §91.6.7): it then learns the
    // commit first and its one post in the new epoch is accepted at once.
    let first_post = records.iter().position(|x| x.op == Some(Op::MSG_POST));
    let refreshed_first = first_post.is_some_and(|i| {
        records
            .get(..i)
            .is_some_and(|before| before.iter().any(|x| x.op == Some(Op::LOG_FETCH)))
    }) && statuses == [Some(ErrorCode::OK)];
    if !refreshed_first && (!conflict_then_ok || !fetched || !distinct) {
        return Err(fx.fail_with(
            format!(
                "expected msg.post → epoch_conflict, log.fetch, msg.post of a new envelope → ok on the same route (or, after a refresh before the send, one msg.post → ok); statuses {statuses:?}, log fetched: {fetched}"
            ),
            &records,
        ));
    }
    let url = fx.host()?.url().to_owned();
    if !route_is(sent.get("route"), &url, &s.channel()) {
        return Err(fx.fail(format!(
            "the message went to another route than the only one: {sent}"
        )));
    }
    let got = s.peer.sync();
    let texts: Vec<String> = got
        .iter()
        .filter_map(|e| match e {
            hearth::conversation::Event::Message { text: Some(t), .. } => Some(t.clone()),
            _ => None,
        })
        .collect();
    if texts != ["after a commit I have not seen"] {
        return Err(fx.fail(format!(
            "the peer should read the message once in the new epoch, read {texts:?}"
        )));
    }
    Ok(())
}

/// The shim announces a route (spec §10.2); the peer reads the `RouteBody` with a copy of its
/// state. An outsider (peer 1) then redeems the invite listed for the peer: the shim must not
/// admit it (HRT-ROUTE-9).
fn announce_by_the_shim(ctx: &mut ClientCtx<'_>) -> TestResult {
    use hearth_wire::envelope::ContentBody;
    let mut fx = start(ctx, 2, 2)?;
    let mut s = join(&mut fx, 0)?;
    let url1 = url_of(&fx, 1)?;
    let mark = fx.host()?.proxy.mark();
    let added = fx.ok("route.add", json!({"conversation": s.conv, "host": url1}))?;
    let new_channel: [u8; 16] = added
        .get("route")
        .and_then(|r| super::fixture::hex_field::<16>(r, "channel"))
        .ok_or_else(|| fx.fail(format!("route.add answered without a route: {added}")))?;
    let records = fx.host()?.proxy.records_since(mark);
    let envs = super::peer::posted_envelopes(&records);
    let mut copy = super::peer::peer_copy(&fx, &mut s)?;
    let members = copy.members();
    let shim_prefix = FprPrefix(hearth_crypto::keys::Fingerprint::from_bytes(s.shim_fp).prefix());
    let mut body = None;
    for e in &envs {
        if let Ok(o) = copy.open(e) {
            if let ContentBody::Route(rb) = o.body {
                body = Some(rb);
            }
        }
    }
    let Some(rb) = body else {
        return Err(fx.fail_with(
            "no RouteBody among the shim's posts on the existing route after route.add",
            &records,
        ));
    };
    let conv = ConversationId(s.handle);
    let expected: Vec<u8> = members
        .iter()
        .filter(|m| m.fingerprint.as_bytes() != &s.shim_fp)
        .map(|m| m.leaf.0)
        .collect();
    let listed: Vec<u8> = rb.invites.as_slice().iter().map(|i| i.leaf.0).collect();
    if listed != expected {
        return Err(fx.fail(format!(
            "the RouteBody lists invites for leaves {listed:?}, expected one per other member in leaf order {expected:?} (HRT-ROUTE-4)"
        )));
    }
    if rb.conversation != conv || rb.channel_id.0 != new_channel {
        return Err(fx.fail(
            "the RouteBody names another conversation or channel than the one route.add created (HRT-ROUTE-4, HRT-ROUTE-2)",
        ));
    }
    for i in rb.invites.as_slice() {
        let inv = i.invite.value();
        if inv.channel_id != rb.channel_id
            || inv.host_url != rb.host_url
            || inv.conversation != conv
            || inv.inviter_fpr != shim_prefix
        {
            return Err(fx.fail(format!(
                "the invite for leaf {} is not bound to the new channel, its host, the conversation and the shim's fingerprint (HRT-ROUTE-25)",
                i.leaf.0
            )));
        }
    }
    // HRT-ROUTE-9: an outsider redeems the peer's listed invite first.
    let Some(first) = rb.invites.as_slice().first() else {
        return Err(fx.fail("the RouteBody lists no invite"));
    };
    let uri = InviteUri::new(first.invite.value().clone())
        .map_err(|e| fx.fail(format!("harness: {e:?}")))?
        .to_string();
    let mut outsider = peer(&fx, 1)?;
    must(
        &fx,
        "accept_invite",
        outsider.accept_invite(&uri, "Outsider"),
    )?;
    let events = fx.sync()?;
    let outsider_fp = hex::encode(outsider.fingerprint().as_bytes());
    if events_of(&events, "admitted")
        .iter()
        .any(|e| e.get("fingerprint").and_then(Value::as_str) == Some(outsider_fp.as_str()))
    {
        return Err(fx.fail(
            "the shim admitted someone else than the member its route invite was listed for (HRT-ROUTE-9)",
        ));
    }
    let got = outsider.sync();
    if got
        .iter()
        .any(|e| matches!(e, hearth::conversation::Event::Joined { .. }))
    {
        return Err(fx.fail(
            "an outsider holding a member's route invite was let into the new route (HRT-ROUTE-9)",
        ));
    }
    Ok(())
}

fn url_of(fx: &Fixture, i: usize) -> Result<String, Stop> {
    fx.hosts
        .get(i)
        .map(|h| h.url().to_owned())
        .ok_or_else(|| Stop::fail("no such host (test bug)", &[]))
}

fn redeems(fx: &Fixture, i: usize, mark: usize) -> Vec<Recorded> {
    fx.hosts
        .get(i)
        .map(|h| h.proxy.records_since(mark))
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.op == Some(Op::INVITE_REDEEM))
        .collect()
}

/// `route_added` for the session's conversation on `url`/`channel`.
fn expect_route_added(
    fx: &Fixture,
    s: &Session,
    events: &[Value],
    url: &str,
    channel: &[u8; 16],
    context: &str,
) -> TestResult {
    let added = events_of(events, "route_added");
    let ok = added.iter().any(|e| {
        e.get("conversation").and_then(Value::as_str) == Some(s.conv.as_str())
            && route_is(e.get("route"), url, channel)
    });
    if ok {
        return Ok(());
    }
    Err(fx.fail(format!(
        "{context}: expected `route_added` of {url} channel {} to conversation {}; events: {}",
        hex::encode(channel),
        s.conv,
        Value::Array(events.to_vec())
    )))
}

fn failover(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 2, 1)?;
    let mut s = join(&mut fx, 0)?;
    let h = s.handle;
    let url2 = host_url(&fx, 1)?;
    let r2 = must(&fx, "add_route", s.peer.add_route(&h, &url2))?;
    let mark2 = fx.hosts.get(1).map_or(0, |x| x.proxy.mark());
    fx.sync()?;
    if redeems(&fx, 1, mark2).is_empty() {
        return Err(fx.fail("the shim did not redeem its invite of the peer's RouteBody on host 2"));
    }
    admit(&fx, &mut s.peer)?;
    let events = fx.sync()?;
    let u2 = url_of(&fx, 1)?;
    expect_route_added(
        &fx,
        &s,
        &events,
        &u2,
        &r2.channel.0,
        "after the peer admitted it",
    )?;
    // The peer installs the shim's update commit on route 2 (HRT-RAT-17); host 1 goes down.
    let _ = s.peer.sync();
    fx.sync()?;
    fx.host()?.proxy.add_fault(FaultRule::new(Fault::Down));
    let v = fx.ok(
        "send",
        json!({"conversation": s.conv, "text": "via the second route"}),
    )?;
    if !route_is(v.get("route"), &u2, &r2.channel.0) {
        return Err(fx.fail(format!(
            "with host 1 down, `send` should land on the second route ({u2}): {v}"
        )));
    }
    let seq = v.get("seq").and_then(Value::as_u64);
    let ev = s.peer.sync();
    let got = ev.iter().any(|e| {
        matches!(e, hearth::conversation::Event::Message { route, seq: sq, sender, text: Some(t), .. }
            if *route == r2 && Some(*sq) == seq && *sender.as_bytes() == s.shim_fp && t == "via the second route")
    });
    if !got {
        return Err(fx.fail(format!(
            "the peer did not open the shim's failed-over message on route 2 at seq {seq:?}: {ev:?}"
        )));
    }
    Ok(())
}

fn announce_wrong_inviter(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 2, 2)?;
    let mut s = join(&mut fx, 0)?;
    let h = s.handle;
    let url2 = host_url(&fx, 1)?;
    // A real channel on host 2 with a registered invitation, announced with a tampered
    // inviter-fpr (peer 1's, not the sender's).
    let (h2, r2) = must(&fx, "create_channel", s.peer.create_channel(&url2))?;
    let uri = must(&fx, "create_invite", s.peer.create_invite(&h2, 3600))?;
    let mut parsed = InviteUri::parse(&uri)
        .map_err(|e| Stop::fail(format!("harness: the peer's URI: {e:?}"), &[]))?;
    let other = peer(&fx, 1)?;
    parsed.invite.inviter_fpr = FprPrefix(other.fingerprint().prefix());
    parsed.invite.conversation = ConversationId(h);
    let shim_leaf = s
        .peer
        .conversations()
        .iter()
        .find(|c| c.handle() == h)
        .and_then(|c| c.routes().first())
        .and_then(|rt| {
            rt.group()
                .members()
                .into_iter()
                .find(|m| *m.fingerprint.as_bytes() == s.shim_fp)
                .map(|m| m.leaf)
        });
    let Some(leaf) = shim_leaf else {
        return Err(fx.fail("harness peer: the shim is not in its roster"));
    };
    let invites = BoundedVec::new(vec![RouteInvite {
        leaf,
        invite: Embedded::new(parsed.invite.clone()),
    }])
    .map_err(|e| Stop::fail(format!("harness: {e:?}"), &[]))?;
    let body = RouteBody {
        conversation: ConversationId(h),
        host_url: url2.clone(),
        channel_id: r2.channel,
        invites,
    };
    let sent = must(
        &fx,
        "danger_send_content",
        s.peer
            .danger_send_content(&h, ContentType::ROUTE, RawValue::from_value(&body)),
    )?;
    let mark2 = fx.hosts.get(1).map_or(0, |x| x.proxy.mark());
    let events = fx.sync()?;
    let red = redeems(&fx, 1, mark2);
    if !red.is_empty() {
        return Err(fx.fail_with(
            "the shim redeemed the invite of a RouteBody whose inviter-fpr is not its sender's (HRT-ROUTE-7)",
            &red,
        ));
    }
    // The refusal is reported as `rejected wrong_inviter` at the `seq` of the carrying message
    // (HRT-SHIM-24, Appendix B §91.7).
    expect_event_at(
        &fx,
        &events,
        "rejected",
        ErrorCode::WRONG_INVITER,
        sent.seq,
        "a RouteBody with the wrong inviter",
    )?;
    Ok(())
}

fn rehost_attach(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 2, 1)?;
    let mut s = join(&mut fx, 0)?;
    let h = s.handle;
    fx.host()?.proxy.add_fault(FaultRule::new(Fault::Down));
    let url2 = host_url(&fx, 1)?;
    let r2 = must(&fx, "rehost", s.peer.rehost(&h, &url2))?;
    let uri = must(
        &fx,
        "create_invite_on",
        s.peer.create_invite_on(&h, Some(&r2), 3600),
    )?;
    fx.ok("invite.accept", json!({"uri": uri, "name": "Shim"}))?;
    admit(&fx, &mut s.peer)?;
    let events = fx.sync()?;
    let joined = expect_event(&fx, &events, "joined", None, "the re-hosted channel", &[])?;
    if joined.get("conversation").and_then(Value::as_str) != Some(s.conv.as_str()) {
        return Err(fx.fail(format!(
            "the re-hosted channel of a member was joined into another conversation than {} (HRT-ROUTE-22): {joined}",
            s.conv
        )));
    }
    let u2 = url_of(&fx, 1)?;
    expect_route_added(
        &fx,
        &s,
        &events,
        &u2,
        &r2.channel.0,
        "a member's re-hosted channel",
    )
}

fn rehost_stranger(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 2, 2)?;
    let s = join(&mut fx, 0)?;
    let mut stranger = peer(&fx, 1)?;
    let url2 = host_url(&fx, 1)?;
    let (h2, _r2) = must(&fx, "create_channel", stranger.create_channel(&url2))?;
    must(
        &fx,
        "danger_set_conversation_id",
        stranger.danger_set_conversation_id(&h2, ConversationId(s.handle)),
    )?;
    let uri = must(&fx, "create_invite", stranger.create_invite(&h2, 3600))?;
    fx.ok("invite.accept", json!({"uri": uri, "name": "Shim"}))?;
    admit(&fx, &mut stranger)?;
    let events = fx.sync()?;
    let joined = expect_event(&fx, &events, "joined", None, "a stranger's channel", &[])?;
    let conv2 = joined
        .get("conversation")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if conv2 == s.conv {
        return Err(fx.fail(format!(
            "a non-member's invitation claiming conversation {} was attached to it (HRT-ROUTE-23): {joined}",
            s.conv
        )));
    }
    expect_no_event(&fx, &events, "route_added", "a stranger's channel")?;
    let v = fx.ok("conversations", json!({}))?;
    let n = v
        .get("conversations")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if n != 2 {
        return Err(fx.fail(format!(
            "`conversations` should list two separate conversations: {v}"
        )));
    }
    Ok(())
}
