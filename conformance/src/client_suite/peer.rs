//! The peer machinery of the client suite: a peer ([`peer`]), its session with the shim in one
//! conversation ([`Session`]), event matching, and the steps most peer tests share ([`start`],
//! [`peer_channel`], [`admit`], [`join`]).
//!
//! The peers are played in-process by the library's conversation layer
//! ([`super::member::Peer`]: `hearth::conversation::Member` over HTTP) plus hearth-crypto
//! (feature `danger-forge`) for forged objects; the harness does not link the client it tests. A peer test asks the fixture for `FixtureSpec { peers: N, .. }`: the
//! fixture lists the peers' identity keys ([`super::Fixture::peers`]) as owners of every
//! proxied host, so a peer can create channels there too. A fault shown to one member only is
//! a `FaultRule::for_key` on the shim's member key, while the peer sees the truth.
//!
//! The tests that need a peer: invitations and joins (§5.3, §5.9, §6.12) in
//! [`super::peer_join`], and [`super::peer_msg`] (§7.5, §9.7, §9.8, §6.16),
//! [`super::peer_claim`], [`super::peer_commit`] (§6.9), [`super::peer_route`] (§10),
//! [`super::peer_display`], [`super::peer_coadd`] (§6.12 step 11).

use std::time::Duration;

use super::member::Peer;
use hearth::conversation::{Event, RouteRef};
use hearth_wire::{ErrorCode, HostUrl};
use serde_json::{json, Value};
use zeroize::Zeroizing;

use super::fixture::{events_of, Fixture};
use super::{ClientCtx, FixtureSpec};
use crate::model::{Stop, TestResult};
use crate::proxy::{Fault, FaultRule, Recorded};
use crate::shim::Answer;

/// A harness peer: the conversation layer with the identity key of `fx.peers[i]`.
pub fn peer(fx: &Fixture, i: usize) -> Result<Peer, Stop> {
    let key = fx
        .peers
        .get(i)
        .ok_or_else(|| Stop::fail("the fixture has no such peer (test bug)", &[]))?;
    let mut c = Peer::from_seed(Zeroizing::new(key.seed()), &format!("Peer {i}"));
    c.set_timeout(Duration::from_secs(5));
    // The peers' users compare every code and find it equal (spec §5.8.1), as the shim's do
    // (Appendix B §91.6.4).
    c.set_comparison(Box::new(hearth::conversation::AcceptEveryJoin));
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
pub fn must<T, E: std::fmt::Debug>(fx: &Fixture, what: &str, r: Result<T, E>) -> Result<T, Stop> {
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
    pub peer: Peer,
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
    client: &Peer,
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
pub fn peer_channel(fx: &Fixture, i: usize) -> Result<(Peer, [u8; 16], RouteRef, String), Stop> {
    let mut p = peer(fx, i)?;
    let url = host_url(fx, 0)?;
    let (h, r) = must(fx, "create_channel", p.create_channel(&url))?;
    let uri = must(fx, "create_invite", p.create_invite(&h, 3600))?;
    Ok((p, h, r, uri))
}

/// The peer admits pending joins; fails unless it admitted someone.
pub fn admit(fx: &Fixture, p: &mut Peer) -> Result<(), Stop> {
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
