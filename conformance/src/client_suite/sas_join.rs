//! The comparison of short authentication strings (spec §5.8.1), continued: a join that opens
//! but fails a later check of §5.8 shows no code, and two invitations of one channel keep their
//! answers apart (issue 15).

use hearth::conversation::Event;
use hearth_crypto::group::PendingMember;
use hearth_crypto::hazmat::hpke::Hpke;
use hearth_crypto::hazmat::labelled::{self, bstr};
use hearth_crypto::hazmat::{label, x25519};
use hearth_crypto::keys::{IdentityKey, InitKey, MemberPublicKey};
use hearth_crypto::Secret32;
use hearth_wire::invite::InviteUri;
use hearth_wire::join::{JoinRequest, SignedJoinRequest};
use hearth_wire::{
    encode_with, BoundedBytes, BoundedText, EdPublic, ErrorCode, HpkeSealed, Op, SignedBytes,
    WireEncode, XPublic,
};
use serde_json::{json, Value};

use super::fixture::{events_of, Fixture};
use super::peer::{expect_event, must, peer_channel};
use super::sas::{confirm, needs_sas, recording};
use super::{ClientCtx, ClientTestDef};
use crate::model::{Stop, TestResult};
use crate::shim::Answer;

/// The tests of this module.
pub fn tests() -> Vec<ClientTestDef> {
    vec![
        ClientTestDef {
            id: "client.sas.inviter.no-code-for-a-bad-join",
            title: "as inviter, a join sealed with the invitation's secret that fails a later check of §5.8 (a member certificate by another identity key, step 6) is rejected with bad_member_cert and shows no code",
            requirements: &["HRT-INV-70", "HRT-SHIM-35", "HRT-INV-41", "HRT-SHIM-38"],
            run: inviter_bad_join,
        },
        ClientTestDef {
            id: "client.sas.joiner.two-invitations-one-channel",
            title: "as joiner of two invitations of one channel, the answer for one invitation acts on its join only: one `joined`, for that invitation; a shim may refuse the second redeem",
            requirements: &["HRT-INV-67", "HRT-INV-73", "HRT-SHIM-34", "HRT-SHIM-38"],
            run: joiner_two_invitations,
        },
    ]
}

/// A `sealed` join request for invitation `uri` and member key `mk`, sealed correctly with the
/// invitation's secret (it passes steps 1 to 5 of §5.8), whose member certificate is made by
/// another identity key than the request's (step 6 fails, `bad_member_cert`).
fn sealed_with_a_foreign_cert(uri: &str, mk: EdPublic) -> Result<HpkeSealed, String> {
    let e = |e: &dyn std::fmt::Debug| format!("harness: building a join: {e:?}");
    let inv = InviteUri::parse(uri).map_err(|x| e(&x))?.invite;
    let cid = inv.channel_id;
    let secret = Secret32::from_bytes(inv.secret.0);
    let id = labelled::expand_with_label::<16>(&secret, label::INVITE_ID, bstr(&cid.0));
    let psk = labelled::expand_with_label::<32>(&secret, label::INVITE_PSK, bstr(&cid.0));
    let id = id.danger_expose();
    let ik = IdentityKey::generate();
    let member = MemberPublicKey::from_bytes(&mk.0).map_err(|x| e(&x))?;
    let cert = IdentityKey::generate().certify_member(inv.host_url.as_str(), &cid.0, &member);
    let jr = JoinRequest {
        identity: EdPublic(*ik.public_key().as_bytes()),
        member_key: mk,
        init_key: XPublic(*InitKey::generate().public_key().as_bytes()).into(),
        member_cert: hearth_wire::Signature(cert.to_bytes()),
        name: BoundedText::new("Mallory").map_err(|x| e(&x))?,
        ext: None,
    };
    let jr_bytes = jr.to_vec();
    let sig = labelled::sign_with_label(ik.signing_key(), label::JOIN, |enc| {
        enc.array(3).bytes(&cid.0).bytes(id).bytes(&jr_bytes);
    });
    let sjr = SignedJoinRequest {
        join_request: SignedBytes::from_bytes(jr_bytes.clone()),
        signature: hearth_wire::Signature(sig.to_bytes()),
    }
    .to_vec();
    let info = encode_with(|enc| {
        enc.array(2)
            .text(&label::JOIN_SEAL.wire())
            .array(2)
            .bytes(&cid.0)
            .bytes(id);
    });
    let aad = encode_with(|enc| {
        enc.array(3).bytes(&cid.0).bytes(id).bytes(&mk.0);
    });
    let (enc, mut ctx) = Hpke::SUITE_1
        .setup_psk_s(
            &x25519::PublicKey::from_bytes(inv.inviter_key.0),
            &info,
            psk.danger_expose(),
            id,
        )
        .map_err(|x| e(&x))?;
    let ct = ctx.seal(&aad, &sjr).map_err(|x| e(&x))?;
    Ok(HpkeSealed {
        enc: XPublic(*enc.as_bytes()),
        ct: BoundedBytes::new(ct).map_err(|x| e(&x))?,
    })
}

/// HRT-INV-70: a code only for a join that passed every check. The redeem is a genuine one
/// (member key, proof of possession, the invitation's secret); only the sealed request inside
/// carries a member certificate by another identity key, so the inviter opens it and stops at
/// step 6 of §5.8. A client that derives and shows the code before the later checks fails here.
fn inviter_bad_join(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = super::peer::start(ctx, 1, 1)?;
    needs_sas(&fx)?;
    let created = fx.create_channel(0)?;
    let v = fx.ok(
        "invite.create",
        json!({"conversation": hex::encode(created.conversation), "expires_in": 3600, "compare": true}),
    )?;
    let uri = v
        .get("uri")
        .and_then(Value::as_str)
        .ok_or_else(|| fx.fail(format!("invite.create answered without a `uri`: {v}")))?
        .to_owned();
    let now = super::peer::now();
    let (_, mut b) = PendingMember::join(&uri, IdentityKey::generate(), "B", now)
        .map_err(|e| fx.fail(format!("harness: building a join: {e:?}")))?;
    b.body.sealed = sealed_with_a_foreign_cert(&uri, b.body.member_key).map_err(|m| fx.fail(m))?;
    let invite = b.body.invite_id.0;
    let host = super::peer::host_url(&fx, 0)?;
    let auth = std::cell::RefCell::new(Some(b.auth));
    let signed = hearth::conversation::io::build(
        &host,
        Op::INVITE_REDEEM,
        Some(hearth_wire::ChannelId(created.channel)),
        &b.body,
        &|bytes| {
            let k = auth
                .borrow_mut()
                .take()
                .ok_or_else(|| hearth::conversation::Error::Usage("signs once".into()))?;
            Ok((k.public_key(), k.sign_request(bytes)))
        },
        now,
    );
    let signed = must(&fx, "building the redeem", signed)?;
    must(
        &fx,
        "invite.redeem",
        hearth_shell::Http::default().post(&host, &signed).into_ok(),
    )?;
    let events = fx.sync()?;
    if let Some(e) = events_of(&events, "sas").first() {
        return Err(fx.fail(format!(
            "the shim showed a code for a join that failed step 6 of §5.8 (HRT-INV-70, HRT-SHIM-35): {e}"
        )));
    }
    expect_event(
        &fx,
        &events,
        "rejected",
        Some(ErrorCode::BAD_MEMBER_CERT),
        "a join whose member certificate is by another identity key (§5.8 step 6)",
        &[],
    )?;
    let a = fx.call(
        "sas.confirm",
        json!({"invite": hex::encode(invite), "match": true}),
    )?;
    if !matches!(a, Answer::Failed { .. }) {
        return Err(fx.fail(format!(
            "sas.confirm for a join that showed no code was answered `{}`, expected `failed` (HRT-SHIM-37)",
            a.describe()
        )));
    }
    Ok(())
}

/// HRT-SHIM-34: the answer names one invitation. The peer makes two invitations of its channel;
/// the shim accepts both under `compare` (or refuses the second: then there is one join), the
/// peer admits whatever arrives, and the harness confirms only the first. Exactly one `joined`
/// follows, and when the event carries `invite` it is the first invitation's.
fn joiner_two_invitations(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = super::peer::start(ctx, 1, 1)?;
    needs_sas(&fx)?;
    let (mut p, h, _, first) = peer_channel(&fx, 0)?;
    let second = must(&fx, "create_invite", p.create_invite(&h, 3600))?;
    let _seen = recording(&mut p);
    let accept = |fx: &mut Fixture, uri: &str| -> Result<Answer, Stop> {
        fx.call(
            "invite.accept",
            json!({"uri": uri, "name": "Shim", "compare": true}),
        )
    };
    let a1 = fx.ok(
        "invite.accept",
        json!({"uri": first, "name": "Shim", "compare": true}),
    )?;
    let i1 = super::fixture::hex_field::<16>(&a1, "invite").ok_or_else(|| {
        fx.fail(format!(
            "invite.accept answered without a hex16 `invite`: {a1}"
        ))
    })?;
    // A second join on the channel may be refused (a local refusal, `failed`, or an error).
    let second_joined = matches!(accept(&mut fx, &second)?, Answer::Ok(_));
    let ev = p.sync();
    let admitted = ev
        .iter()
        .filter(|e| matches!(e, Event::Admitted { .. }))
        .count();
    if admitted == 0 || (!second_joined && admitted != 1) {
        return Err(fx.fail(format!(
            "harness peer: admitted {admitted} joins; peer events: {ev:?}"
        )));
    }
    let events = fx.sync()?;
    super::peer::expect_no_event(&fx, &events, "joined", "before sas.confirm (HRT-INV-67)")?;
    confirm(&mut fx, &i1, true)?;
    let mut joined = Vec::new();
    for _ in 0..2 {
        let events = fx.sync()?;
        joined.extend(events_of(&events, "joined").into_iter().cloned());
    }
    if joined.len() != 1 {
        return Err(fx.fail(format!(
            "after confirming one of two invitations of a channel the shim reported {} `joined` events, expected one: the answer must act on that invitation's join only (HRT-SHIM-34, HRT-INV-73): {}",
            joined.len(),
            Value::Array(joined)
        )));
    }
    let named = joined
        .first()
        .and_then(|e| e.get("invite"))
        .and_then(Value::as_str);
    if let Some(n) = named {
        if n != hex::encode(i1) {
            return Err(fx.fail(format!(
                "the shim accepted the Welcome of invitation {n}, but the harness confirmed only {} (HRT-SHIM-34)",
                hex::encode(i1)
            )));
        }
    }
    Ok(())
}
