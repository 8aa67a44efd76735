//! Tests that need a peer: invitations (expired, used, from the wrong inviter: HRT-KEY-15
//! `wrong_inviter`), Welcomes swapped by the host (`Fault::ReplaceWelcome`), bad commits, bad
//! padding, wrong epochs, messages withheld from one member, forks shown to one member only
//! (`FaultRule::for_key` on the shim's member key while the peer sees the truth).
//!
//! The peers are played in-process by the reference client library (`hearth-client`,
//! examples/client) plus hearth-crypto (feature `danger-forge`) for forged objects; they are
//! not implemented here. A peer test asks the fixture for `FixtureSpec { peers: N, .. }`: the
//! fixture lists the peers' identity keys ([`super::Fixture::peers`]) as owners of every
//! proxied host, so a peer can create channels there too.
//!
//! This module holds the peer machinery ([`peer`], [`Session`], event matching) and the join
//! tests (§5.3, §5.9, §6.12); the others are in [`super::peer_msg`] (§7.5, §9.7, §9.8, §6.16),
//! [`super::peer_commit`] (§6.9) and [`super::peer_route`] (§10).

use std::time::Duration;

use hearth_client::{Client, ClientError, Event, RouteRef};
use hearth_wire::invite::InviteUri;
use hearth_wire::request::WelcomeFetchResult;
use hearth_wire::{ConversationId, EntryKind, ErrorCode, FprPrefix, HostUrl, Op};
use serde_json::{json, Value};
use zeroize::Zeroizing;

use super::fixture::{events_of, hex_field, route_is, Fixture};
use super::{ClientCtx, ClientTestDef, FixtureSpec};
use crate::model::{Stop, TestResult};
use crate::proxy::{Fault, FaultRule, Recorded};
use crate::shim::Answer;

/// The tests of this module.
pub fn tests() -> Vec<ClientTestDef> {
    vec![
        ClientTestDef {
            id: "client.join.accept",
            title: "a peer's invitation accepted: the shim redeems it, accepts the Welcome, reports `joined` in the peer's conversation and lists both members",
            requirements: &["HRT-ROUTE-3", "HRT-ROUTE-2", "HRT-GRP-57", "HRT-LOG-26"],
            run: join_accept,
        },
        ClientTestDef {
            id: "client.invite.as-inviter",
            title: "the shim's invitation: its URI is the host URL, `#` and the Invite, made only after invite.create was accepted, for the conversation and the shim's fingerprint; a peer joins with it and the shim admits it",
            requirements: &["HRT-INV-51", "HRT-INV-52", "HRT-INV-21", "HRT-INV-23", "HRT-ROUTE-2", "HRT-SHIM-20"],
            run: invite_as_inviter,
        },
        ClientTestDef {
            id: "client.invite.not-admin",
            title: "invite.create by a member that is not admin ends with the host's forbidden",
            requirements: &["HRT-SHIM-11"],
            run: invite_not_admin,
        },
        ClientTestDef {
            id: "client.join.expired",
            title: "an invitation whose expiry has passed is refused with invite_expired and never redeemed",
            requirements: &["HRT-INV-13"],
            run: join_expired,
        },
        ClientTestDef {
            id: "client.join.used",
            title: "an invitation another joiner redeemed first ends invite.accept with the host's invite_used",
            requirements: &["HRT-INV-30", "HRT-SHIM-11"],
            run: join_used,
        },
        ClientTestDef {
            id: "client.join.wrong-inviter",
            title: "a Welcome signed by a member other than the invitation's inviter-fpr is rejected with wrong_inviter",
            requirements: &["HRT-INV-46", "HRT-KEY-15", "HRT-INV-47"],
            run: join_wrong_inviter,
        },
        ClientTestDef {
            id: "client.join.welcome-swapped",
            title: "a Welcome of another channel served by the host is rejected with welcome_mismatch",
            requirements: &["HRT-GRP-61", "HRT-GRP-57"],
            run: join_welcome_swapped,
        },
    ]
}

/// A harness peer: the reference client with the identity key of `fx.peers[i]`.
pub fn peer(fx: &Fixture, i: usize) -> Result<Client, Stop> {
    let key = fx
        .peers
        .get(i)
        .ok_or_else(|| Stop::fail("the fixture has no such peer (test bug)", &[]))?;
    let mut c = Client::from_seed(Zeroizing::new(key.seed()), &format!("Peer {i}"));
    c.set_timeout(Duration::from_secs(5));
    // The peers' users compare every code and find it equal (spec §5.8.1), as the shim's do
    // (Appendix B §91.6.4).
    c.set_comparison(Box::new(hearth_client::client::AcceptEveryJoin));
    Ok(c)
}

/// Host `i`'s canonical URL as a `HostUrl`.
pub fn host_url(fx: &Fixture, i: usize) -> Result<HostUrl, Stop> {
    let h = fx
        .hosts
        .get(i)
        .ok_or_else(|| Stop::fail("the fixture has no such host (test bug)", &[]))?;
    HostUrl::new(h.url()).map_err(|e| Stop::fail(format!("host URL: {e:?}"), &[]))
}

/// A peer's action that must succeed (its failure is reported with the shim's transcript).
pub fn must<T>(fx: &Fixture, what: &str, r: Result<T, ClientError>) -> Result<T, Stop> {
    r.map_err(|e| fx.fail(format!("harness peer: {what} failed: {e:?}")))
}

/// The current time (seconds).
pub fn now() -> u64 {
    crate::client::unix_now()
}

/// The shim's fingerprint (the fixture asked for an identity).
pub fn shim_fp(fx: &Fixture) -> Result<[u8; 32], Stop> {
    fx.identity
        .map(|i| i.fingerprint)
        .ok_or_else(|| Stop::fail("the fixture has no shim identity (test bug)", &[]))
}

/// The shim in a peer's conversation: the peer created a channel on host 0, invited the shim,
/// admitted it, processed the shim's update commit (HRT-RAT-17), and the shim processed it too.
pub struct Session {
    /// The peer that created the conversation.
    pub peer: Client,
    /// The peer's conversation handle (= its conversation id).
    pub handle: [u8; 16],
    /// The route on host 0.
    pub route: RouteRef,
    /// The shim's conversation handle, hex.
    pub conv: String,
    /// The shim's fingerprint.
    pub shim_fp: [u8; 32],
}

impl Session {
    /// The channel id.
    pub fn channel(&self) -> [u8; 16] {
        self.route.channel.0
    }

    /// The shim's member key in the peer's latest roster of the route (to lie to it alone).
    pub fn shim_key(&self) -> Option<[u8; 32]> {
        member_key_of(&self.peer, &self.handle, &self.route, &self.shim_fp)
    }

    /// The peer's fingerprint, hex.
    pub fn peer_fp(&self) -> String {
        hex::encode(self.peer.fingerprint().as_bytes())
    }

    /// The peer sends a text; returns its seq.
    pub fn say(&mut self, fx: &Fixture, text: &str) -> Result<u64, Stop> {
        let h = self.handle;
        must(fx, "send_text", self.peer.send_text(&h, text)).map(|s| s.seq)
    }

    /// Lies to the shim alone on this session's channel.
    pub fn lie(&self, fx: &Fixture, fault: Fault) -> Result<(), Stop> {
        let Some(key) = self.shim_key() else {
            return Err(fx.fail("the shim is not in the peer's roster (harness problem)"));
        };
        fx.host()?.proxy.add_fault(
            FaultRule::new(fault)
                .for_key(key)
                .on_channel(self.channel()),
        );
        Ok(())
    }
}

/// The member key of the member with fingerprint `fp` in `client`'s roster of `link`.
pub fn member_key_of(
    client: &Client,
    handle: &[u8; 16],
    link: &RouteRef,
    fp: &[u8; 32],
) -> Option<[u8; 32]> {
    let conv = client
        .conversations()
        .iter()
        .find(|c| &c.handle() == handle)?;
    let route = conv.routes().iter().find(|r| r.link() == link)?;
    route
        .group()
        .members()
        .iter()
        .find(|m| m.fingerprint.as_bytes() == fp)
        .map(|m| *m.member_key.as_bytes())
}

/// The event of `kind` (and, when given, spec `code`) or a failure listing the events.
pub fn expect_event(
    fx: &Fixture,
    events: &[Value],
    kind: &str,
    code: Option<ErrorCode>,
    context: &str,
    records: &[Recorded],
) -> Result<Value, Stop> {
    let hit = events_of(events, kind)
        .into_iter()
        .find(|e| code.is_none_or(|c| is_code(e, c)));
    hit.cloned().ok_or_else(|| {
        let want = code.map_or(String::new(), |c| {
            format!(" with code {} ({})", c.name().unwrap_or("?"), c.0)
        });
        fx.fail_with(
            format!(
                "{context}: the shim reported no `{kind}` event{want}; events: {}",
                Value::Array(events.to_vec())
            ),
            records,
        )
    })
}

/// The `kind` event with `code` that names `seq` (the entry the test altered); fails with every
/// event of that kind and code when none names it.
pub fn expect_event_at(
    fx: &Fixture,
    events: &[Value],
    kind: &str,
    code: ErrorCode,
    seq: u64,
    context: &str,
) -> Result<Value, Stop> {
    let matching: Vec<&Value> = events_of(events, kind)
        .into_iter()
        .filter(|e| is_code(e, code))
        .collect();
    if let Some(e) = matching
        .iter()
        .find(|e| e.get("seq").and_then(Value::as_u64) == Some(seq))
    {
        return Ok((*e).clone());
    }
    if matching.is_empty() {
        return expect_event(fx, events, kind, Some(code), context, &[]);
    }
    Err(fx.fail(format!(
        "{context}: the `{kind}` events with code {} name other entries than seq {seq}: {}",
        code.name().unwrap_or("?"),
        Value::Array(matching.into_iter().cloned().collect())
    )))
}

/// True when event or error object `e` carries `code` (number, and the name when given).
pub fn is_code(e: &Value, code: ErrorCode) -> bool {
    e.get("number").and_then(Value::as_u64) == Some(u64::from(code.0))
        && e.get("code")
            .and_then(Value::as_str)
            .is_none_or(|n| Some(n) == code.name())
}

/// Fails when `events` hold an event of `kind`.
pub fn expect_no_event(
    fx: &Fixture,
    events: &[Value],
    kind: &str,
    context: &str,
) -> Result<(), Stop> {
    let hits = events_of(events, kind);
    if hits.is_empty() {
        return Ok(());
    }
    Err(fx.fail(format!(
        "{context}: the shim reported a `{kind}` event it must not: {}",
        Value::Array(events.to_vec())
    )))
}

/// Fixture with `peers` peers and `hosts` hosts.
pub fn start(ctx: &mut ClientCtx<'_>, hosts: usize, peers: usize) -> Result<Fixture, Stop> {
    ctx.fixture(FixtureSpec {
        identity: true,
        hosts,
        peers,
    })
}

/// Peer 0 creates a channel on host 0 and an invitation: (peer, handle, route, uri).
pub fn peer_channel(fx: &Fixture, i: usize) -> Result<(Client, [u8; 16], RouteRef, String), Stop> {
    let mut p = peer(fx, i)?;
    let url = host_url(fx, 0)?;
    let (h, r) = must(fx, "create_channel", p.create_channel(&url))?;
    let uri = must(fx, "create_invite", p.create_invite(&h, 3600))?;
    Ok((p, h, r, uri))
}

/// The peer admits pending joins; fails unless it admitted someone.
pub fn admit(fx: &Fixture, p: &mut Client) -> Result<(), Stop> {
    let ev = p.sync();
    if ev.iter().any(|e| matches!(e, Event::Admitted { .. })) {
        return Ok(());
    }
    Err(fx.fail(format!(
        "harness peer: its sync admitted nobody (did the shim redeem the invitation?); peer events: {ev:?}"
    )))
}

/// The shim joins peer `i`'s new channel on host 0 (a [`Session`]); `joined` is checked.
pub fn join(fx: &mut Fixture, i: usize) -> Result<Session, Stop> {
    let (mut p, handle, route, uri) = peer_channel(fx, i)?;
    fx.ok("invite.accept", json!({"uri": uri, "name": "Shim"}))?;
    admit(fx, &mut p)?;
    let events = fx.sync()?;
    let joined = expect_event(
        fx,
        &events,
        "joined",
        None,
        "after the peer admitted it",
        &[],
    )?;
    let conv = joined
        .get("conversation")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut s = Session {
        peer: p,
        handle,
        route,
        conv,
        shim_fp: shim_fp(fx)?,
    };
    // The peer processes the shim's update commit (HRT-RAT-17); the shim installs it.
    let _ = s.peer.sync();
    fx.sync()?;
    let _ = s.peer.sync();
    Ok(s)
}

/// The shim invites a peer: the URI's form (HRT-INV-51, HRT-INV-52), the order (HRT-INV-21: the host had the
/// invite before the URI existed), no secret sent to the host (HRT-INV-23: the proxy's record of
/// `invite.create` holds only the id, the auth key and the expiry, and neither the secret nor the
/// URI text appears in any request), the conversation and inviter fingerprint inside, and the
/// admission at the next `sync` (HRT-SHIM-20).
fn invite_as_inviter(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let created = fx.create_channel(0)?;
    let mark = fx.host()?.proxy.mark();
    let v = fx.ok(
        "invite.create",
        json!({"conversation": hex::encode(created.conversation), "expires_in": 3600}),
    )?;
    let recs = fx.host()?.proxy.records_since(mark);
    let Some(uri) = v.get("uri").and_then(Value::as_str).map(str::to_owned) else {
        return Err(fx.fail(format!("invite.create answered without a `uri`: {v}")));
    };
    if !uri.starts_with("hearth:") {
        return Err(fx.fail(format!(
            "the invitation URI does not start with `hearth:` (HRT-INV-52): {uri}"
        )));
    }
    let parsed = InviteUri::parse(&uri).map_err(|e| {
        fx.fail(format!(
            "the invitation URI does not parse (HRT-INV-52): {e:?}"
        ))
    })?;
    let inv = &parsed.invite;
    if inv.host_url.as_str() != created.host {
        return Err(fx.fail(format!(
            "the invitation names another host URL than the channel's (HRT-INV-51): {}",
            inv.host_url.as_str()
        )));
    }
    let shim_fp = shim_fp(&fx)?;
    let want_fpr = hearth_crypto::keys::Fingerprint::from_bytes(shim_fp).prefix();
    if inv.conversation.0 != created.conversation || inv.inviter_fpr.0 != want_fpr {
        return Err(fx.fail(
            "the invitation names another conversation or another inviter fingerprint than the shim's (HRT-ROUTE-2, §5.3)",
        ));
    }
    let creates: Vec<&Recorded> = recs
        .iter()
        .filter(|r| r.op == Some(Op::INVITE_CREATE))
        .collect();
    let accepted = creates
        .iter()
        .any(|r| r.response().is_some_and(|x| x.status == ErrorCode::OK));
    if !accepted {
        return Err(fx.fail_with(
            "the shim gave out an invitation without an invite.create the host accepted (HRT-INV-21)",
            &recs,
        ));
    }
    let secret = inv.secret.0;
    let fragment = uri
        .strip_prefix("hearth:")
        .unwrap_or_default()
        .as_bytes()
        .to_vec();
    let leaked = fx.hosts.iter().flat_map(|h| h.proxy.records()).any(|r| {
        r.body.windows(32).any(|w| w == secret)
            || (!fragment.is_empty() && r.body.windows(fragment.len()).any(|w| w == fragment))
    });
    if leaked {
        return Err(
            fx.fail("the invite secret or the invitation text reached the host (HRT-INV-23)")
        );
    }
    let mut p = peer(&fx, 0)?;
    must(&fx, "accept_invite", p.accept_invite(&uri, "Peer"))?;
    let events = fx.sync()?;
    let peer_fp = hex::encode(p.fingerprint().as_bytes());
    let admitted = events_of(&events, "admitted")
        .iter()
        .any(|e| e.get("fingerprint").and_then(Value::as_str) == Some(peer_fp.as_str()));
    if !admitted {
        return Err(fx.fail(format!(
            "the shim's sync did not admit the peer that redeemed its invitation (HRT-SHIM-20): {}",
            Value::Array(events)
        )));
    }
    let got = p.sync();
    if !got.iter().any(|e| matches!(e, Event::Joined { .. })) {
        return Err(fx.fail(format!(
            "the peer could not join with the shim's Welcome: {got:?}"
        )));
    }
    Ok(())
}

/// Appendix B §91.6.4: a member without the admin role gets the host's `forbidden`.
fn invite_not_admin(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let s = join(&mut fx, 0)?;
    let a = fx.call(
        "invite.create",
        json!({"conversation": s.conv, "expires_in": 3600}),
    )?;
    match a {
        Answer::Error { code, .. } if code == "forbidden" => Ok(()),
        other => Err(fx.fail(format!(
            "invite.create by a plain member was answered `{}`, expected error forbidden",
            other.describe()
        ))),
    }
}

fn join_accept(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let (mut p, handle, route, uri) = peer_channel(&fx, 0)?;
    let mark = fx.host()?.proxy.mark();
    let v = fx.ok("invite.accept", json!({"uri": uri, "name": "Shim"}))?;
    let redeems: Vec<Recorded> = fx
        .host()?
        .proxy
        .records_since(mark)
        .into_iter()
        .filter(|r| r.op == Some(Op::INVITE_REDEEM))
        .collect();
    if redeems.is_empty() {
        return Err(fx.fail("invite.accept answered ok without an invite.redeem at the host"));
    }
    if hex_field::<16>(&v, "invite").is_none() {
        return Err(fx.fail(format!(
            "invite.accept answered without a hex16 `invite`: {v}"
        )));
    }
    admit(&fx, &mut p)?;
    let events = fx.sync()?;
    let joined = expect_event(
        &fx,
        &events,
        "joined",
        None,
        "after the peer admitted it",
        &[],
    )?;
    let url = fx.host()?.url().to_owned();
    if !route_is(joined.get("route"), &url, &route.channel.0) {
        return Err(fx.fail(format!(
            "`joined` names another route than the invitation's channel {}: {joined}",
            hex::encode(route.channel.0)
        )));
    }
    let want = hex::encode(handle);
    if joined.get("conversation").and_then(Value::as_str) != Some(want.as_str()) {
        return Err(fx.fail(format!(
            "`joined` names conversation {:?}, not the invitation's conversation id {want} (HRT-SHIM-18, HRT-ROUTE-2)",
            joined.get("conversation")
        )));
    }
    if joined.get("epoch").and_then(Value::as_u64) != Some(1) {
        return Err(fx.fail(format!(
            "`joined` should be at epoch 1 (the peer's add commit): {joined}"
        )));
    }
    let v = fx.ok("conversations", json!({}))?;
    let list = v
        .get("conversations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let Some(c) = list
        .iter()
        .find(|c| c.get("conversation").and_then(Value::as_str) == Some(want.as_str()))
    else {
        return Err(fx.fail(format!("`conversations` does not list {want}: {v}")));
    };
    let mut members: Vec<String> = vec![
        hex::encode(shim_fp(&fx)?),
        hex::encode(p.fingerprint().as_bytes()),
    ];
    members.sort();
    let got: Vec<String> = c
        .get("members")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|m| m.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if got != members {
        return Err(fx.fail(format!(
            "`conversations` lists members {got:?}, expected exactly {members:?} (sorted)"
        )));
    }
    Ok(())
}

fn join_expired(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let mut p = peer(&fx, 0)?;
    let url = host_url(&fx, 0)?;
    let (h, r) = must(&fx, "create_channel", p.create_channel(&url))?;
    let Some(g) = p.danger_group_mut(&h, &r) else {
        return Err(fx.fail("harness peer: no group for its own channel"));
    };
    let draft = g
        .create_invitation(ConversationId(h), now().saturating_sub(3600))
        .map_err(|e| Stop::fail(format!("harness peer: create_invitation: {e:?}"), &[]))?;
    let Some(uri) = draft.registered().uri().map(|u| u.to_string()) else {
        return Err(fx.fail("harness peer: the invitation has no URI"));
    };
    let mark = fx.host()?.proxy.mark();
    let a = fx.call("invite.accept", json!({"uri": uri, "name": "Shim"}))?;
    let redeems: Vec<Recorded> = fx
        .host()?
        .proxy
        .records_since(mark)
        .into_iter()
        .filter(|r| r.op == Some(Op::INVITE_REDEEM))
        .collect();
    if !redeems.is_empty() {
        return Err(fx.fail_with(
            "the shim sent invite.redeem for an invitation that expired an hour ago (HRT-INV-13)",
            &redeems,
        ));
    }
    expect_error(
        &fx,
        &a,
        ErrorCode::INVITE_EXPIRED,
        "invite.accept of an expired invitation",
    )
}

/// `a` must be an `error` answer with `code`.
pub fn expect_error(fx: &Fixture, a: &Answer, code: ErrorCode, what: &str) -> TestResult {
    match a {
        Answer::Error {
            code: c, number, ..
        } if *number == u64::from(code.0) && Some(c.as_str()) == code.name() => Ok(()),
        Answer::Unsupported => Err(Stop::Unsupported(format!(
            "the shim does not implement the command of: {what}"
        ))),
        a => Err(fx.fail(format!(
            "{what}: expected error {} ({}), got {}",
            code.name().unwrap_or("?"),
            code.0,
            a.describe()
        ))),
    }
}

fn join_used(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 2)?;
    let (_p, _h, _r, uri) = peer_channel(&fx, 0)?;
    let mut other = peer(&fx, 1)?;
    must(&fx, "accept_invite", other.accept_invite(&uri, "Other"))?;
    let a = fx.call("invite.accept", json!({"uri": uri, "name": "Shim"}))?;
    expect_error(
        &fx,
        &a,
        ErrorCode::INVITE_USED,
        "invite.accept of an invitation another joiner redeemed",
    )
}

fn join_wrong_inviter(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 2)?;
    let (mut p, _h, _r, uri) = peer_channel(&fx, 0)?;
    let other = peer(&fx, 1)?;
    let mut parsed = InviteUri::parse(&uri)
        .map_err(|e| Stop::fail(format!("harness: the peer's URI: {e:?}"), &[]))?;
    parsed.invite.inviter_fpr = FprPrefix(other.fingerprint().prefix());
    let tampered = parsed.to_string();
    fx.ok("invite.accept", json!({"uri": tampered, "name": "Shim"}))?;
    admit(&fx, &mut p)?;
    let events = fx.sync()?;
    let rej = expect_event(
        &fx,
        &events,
        "rejected",
        Some(ErrorCode::WRONG_INVITER),
        "a Welcome signed by the real inviter, not the one the (tampered) inviter-fpr names",
        &[],
    )?;
    expect_no_event(&fx, &events, "joined", "after the wrong_inviter rejection")?;
    if rej.get("seq").is_some_and(|s| !s.is_null()) {
        return Err(fx.fail(format!("a rejected Welcome has `seq` null: {rej}")));
    }
    Ok(())
}

fn join_welcome_swapped(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 2)?;
    let (mut p, _h, route_a, uri_a) = peer_channel(&fx, 0)?;
    // Another channel of the same peer, joined by peer 1: its Welcome is the one to swap in.
    let url = host_url(&fx, 0)?;
    let (hb, rb) = must(&fx, "create_channel", p.create_channel(&url))?;
    let uri_b = must(&fx, "create_invite", p.create_invite(&hb, 3600))?;
    let mut other = peer(&fx, 1)?;
    must(&fx, "accept_invite", other.accept_invite(&uri_b, "Other"))?;
    admit(&fx, &mut p)?;
    let mark = fx.host()?.proxy.mark();
    let ev = other.sync();
    if !ev.iter().any(|e| matches!(e, Event::Joined { .. })) {
        return Err(fx.fail(format!("harness peer 1 did not join: {ev:?}")));
    }
    let welcome_b = fx
        .host()?
        .proxy
        .records_since(mark)
        .into_iter()
        .filter(|r| r.op == Some(Op::WELCOME_FETCH) && r.channel == Some(rb.channel.0))
        .find_map(|r| {
            r.response()
                .and_then(|resp| resp.result_as::<WelcomeFetchResult>().ok().flatten())
        })
        .map(|w| {
            (
                w.welcome.as_bytes().to_vec(),
                w.group_info_ct.as_slice().to_vec(),
            )
        });
    let Some((welcome_b, gi_b)) = welcome_b else {
        return Err(fx.fail("harness: no Welcome of channel B in the proxy's record"));
    };
    fx.ok("invite.accept", json!({"uri": uri_a, "name": "Shim"}))?;
    admit(&fx, &mut p)?;
    let seq_a = fx
        .host()?
        .proxy
        .true_log(&route_a.channel.0)
        .iter()
        .rev()
        .find(|e| e.kind == EntryKind::Commit)
        .map(|e| e.seq.0);
    let Some(seq_a) = seq_a else {
        return Err(fx.fail("harness: the add commit of channel A is not in the proxy's truth"));
    };
    fx.host()?.proxy.add_fault(
        FaultRule::new(Fault::ReplaceWelcome(welcome_b, gi_b, seq_a)).on_channel(route_a.channel.0),
    );
    let mark = fx.host()?.proxy.mark();
    let events = fx.sync()?;
    let recs: Vec<Recorded> = fx
        .host()?
        .proxy
        .records_since(mark)
        .into_iter()
        .filter(|r| r.op == Some(Op::WELCOME_FETCH))
        .collect();
    if !recs.iter().any(|r| !r.faults.is_empty()) {
        return Err(fx.fail_with("sync made no welcome.fetch the proxy could swap", &recs));
    }
    expect_event(
        &fx,
        &events,
        "rejected",
        Some(ErrorCode::WELCOME_MISMATCH),
        "a Welcome of another channel",
        &recs,
    )?;
    expect_no_event(
        &fx,
        &events,
        "joined",
        "after the welcome_mismatch rejection",
    )
}

/// The envelopes the shim posted (`msg.post` bodies) among `records`, exactly as sent.
pub fn posted_envelopes(records: &[crate::proxy::Recorded]) -> Vec<Vec<u8>> {
    use hearth_wire::request::{RequestBody, SignedRequest};
    use hearth_wire::WireDecode;
    records
        .iter()
        .filter(|r| r.op == Some(hearth_wire::Op::MSG_POST))
        .filter_map(|r| {
            let sr = SignedRequest::decode(&r.body).ok()?;
            let req = sr.unverified_request().ok()?;
            match req.as_unverified().body().ok()? {
                RequestBody::MsgPost(b) => Some(b.envelope.as_bytes().to_vec()),
                _ => None,
            }
        })
        .collect()
}

/// A copy of the peer's group state on its session route (through save and restore), to open
/// what the shim sent without advancing the peer itself.
pub fn peer_copy(fx: &Fixture, s: &mut Session) -> Result<hearth_crypto::group::Group, Stop> {
    let (h, r) = (s.handle, s.route.clone());
    let g = s
        .peer
        .danger_group_mut(&h, &r)
        .ok_or_else(|| fx.fail("harness peer: no group for its channel"))?;
    let saved = g
        .save()
        .map_err(|e| fx.fail(format!("harness peer: save: {e:?}")))?;
    hearth_crypto::group::Group::restore(saved.as_bytes())
        .map_err(|e| fx.fail(format!("harness peer: restore: {e:?}")))
}
