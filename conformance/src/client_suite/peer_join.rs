//! The join tests that need a peer: invitations (expired, used, from the wrong inviter: HRT-KEY-15
//! `wrong_inviter`), Welcomes swapped by the host (`Fault::ReplaceWelcome`), and the shim as the
//! inviter (§5.3, §5.9, §6.12). The peer machinery is in [`super::peer`].

use hearth::conversation::Event;
use hearth_wire::invite::InviteUri;
use hearth_wire::request::WelcomeFetchResult;
use hearth_wire::{ConversationId, EntryKind, ErrorCode, FprPrefix, Op};
use serde_json::{json, Value};

use super::fixture::{events_of, hex_field, route_is};
use super::peer::{
    admit, expect_error, expect_event, expect_no_event, host_url, join, must, now, peer,
    peer_channel, shim_fp, start,
};
use super::{ClientCtx, ClientTestDef};
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
