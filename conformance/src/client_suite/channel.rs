//! Channel creation by the client under test (spec §4, §8.3.1, §10.1): the request the shim
//! posts is checked byte for byte through the proxy's record, and the host's log through the
//! answers the proxy served.

use hearth_crypto::hazmat::ed25519::{Signature, VerifyingKey};
use hearth_crypto::hazmat::label;
use hearth_crypto::hazmat::labelled::{bstr, verify_with_label};
use hearth_wire::request::{AppendResult, RequestBody, SignedRequest};
use hearth_wire::{EntryKind, Op, WireDecode};

use super::fixture::Created;
use super::{ClientCtx, ClientTestDef, Fixture, FixtureSpec};
use crate::client::next_head;
use crate::model::{Stop, TestResult};
use crate::proxy::Recorded;

/// The tests of this module.
pub fn tests() -> Vec<ClientTestDef> {
    vec![
        ClientTestDef {
            id: "client.channel.create",
            title: "channel.create: host URL as given, request signed by the new member key, owner authorisation by the identity key, create entry in the host's log",
            requirements: &["HRT-KEY-14", "HRT-API-9", "HRT-API-10"],
            run: create,
        },
        ClientTestDef {
            id: "client.channel.conversation-id",
            title: "a new conversation's id is the id of the channel created for it",
            requirements: &["HRT-ROUTE-1"],
            run: conversation_id,
        },
    ]
}

/// The shim's `channel.create` request in the proxy's record (the first request after `mark`
/// other than `info`), and the record.
pub fn create_request(fx: &Fixture, c: &Created) -> Result<(Recorded, SignedRequest), Stop> {
    let host = fx.host()?;
    let recs = host.proxy.records_since(c.mark);
    let first = recs
        .iter()
        .find(|r| r.method == "POST" && r.op != Some(Op::INFO))
        .cloned();
    let Some(rec) = first else {
        return Err(fx.fail("channel.create answered ok, but the shim posted nothing to the host"));
    };
    if rec.op != Some(Op::CHANNEL_CREATE) {
        return Err(fx.fail_with(
            format!(
                "the shim's first request was op {:?}, not channel.create (1)",
                rec.op.map(|o| o.0)
            ),
            &[rec],
        ));
    }
    match SignedRequest::decode(&rec.body) {
        Ok(sr) => Ok((rec, sr)),
        Err(e) => Err(fx.fail_with(
            format!("the channel.create request is not a valid SignedRequest: {e:?}"),
            &[rec],
        )),
    }
}

/// HRT-API-9, HRT-API-10, HRT-KEY-14, and the create entry (HRT-OP-9's effect) seen through
/// the host's answers.
fn create(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = ctx.fixture(FixtureSpec {
        hosts: 1,
        ..FixtureSpec::default()
    })?;
    let url = fx.host()?.url().to_owned();
    let c = fx.create_channel(0)?;
    if c.host != url {
        return Err(fx.fail(format!(
            "the route's host is `{}`, expected the host URL `{url}` exactly",
            c.host
        )));
    }
    let (rec, sr) = create_request(&fx, &c)?;
    let fail = |fx: &Fixture, m: String| fx.fail_with(m, std::slice::from_ref(&rec));
    // HRT-API-10: SignWithLabel(key, "request", request_bytes).
    let vk = VerifyingKey::from_bytes(&sr.key.0).map_err(|e| {
        fail(
            &fx,
            format!("the request key is not a valid Ed25519 key: {e:?}"),
        )
    })?;
    let sig = Signature::from_bytes(&sr.signature.0);
    if verify_with_label(&vk, label::REQUEST, bstr(sr.request.as_bytes()), &sig).is_err() {
        return Err(fail(
            &fx,
            "the request signature does not verify as SignWithLabel(key, \"request\", request_bytes) (HRT-API-10)".into(),
        ));
    }
    let req = match sr.unverified_request() {
        Ok(u) => u.danger_assume_verified(),
        Err(e) => {
            return Err(fail(
                &fx,
                format!("the inner Request does not decode: {e:?}"),
            ))
        }
    };
    // HRT-API-9: the host URL exactly as given.
    if req.host_url.as_str() != url {
        return Err(fail(
            &fx,
            format!(
                "Request.host_url is `{}`, expected `{url}` byte for byte (HRT-API-9)",
                req.host_url.as_str()
            ),
        ));
    }
    if req.channel_id.map(|c| c.0) != Some(c.channel) {
        return Err(fail(
            &fx,
            "the request's channel_id is not the route's channel".into(),
        ));
    }
    // HRT-KEY-14: SignWithLabel(IK_owner, "create", [host_url, channel_id, MK_pub]).
    let Ok(RequestBody::ChannelCreate(body)) = req.body() else {
        return Err(fail(&fx, "the body is not a ChannelCreateBody".into()));
    };
    let Some(id) = fx.identity else {
        return Err(fx.fail("no identity (test bug)"));
    };
    let ik = VerifyingKey::from_bytes(&id.key)
        .map_err(|e| fail(&fx, format!("the identity key is not valid: {e:?}")))?;
    let owner_sig = Signature::from_bytes(&body.owner_signature.0);
    let authorised = verify_with_label(
        &ik,
        label::CREATE,
        |e| {
            e.array(3).text(&url).bytes(&c.channel).bytes(&sr.key.0);
        },
        &owner_sig,
    );
    if authorised.is_err() {
        return Err(fail(
            &fx,
            "owner_signature is not SignWithLabel(IK, \"create\", [host_url, channel_id, MK_pub]) under the shim's identity key (HRT-KEY-14)".into(),
        ));
    }
    // The host accepted it as entry 1: the served head is the §9.3 head of exactly these bytes.
    let served = rec.response();
    let result = served
        .as_ref()
        .and_then(|r| r.result_as::<AppendResult>().ok().flatten());
    let Some(result) = result else {
        return Err(fail(
            &fx,
            "the host did not answer the channel.create with ok and an AppendResult".into(),
        ));
    };
    let want = next_head(&[], 1, EntryKind::Create as u64, &rec.body);
    if result.seq.0 != 1 || result.head.0 != want {
        return Err(fail(
            &fx,
            "the host's AppendResult is not (1, head of the create entry)".into(),
        ));
    }
    // And the log the shim fetches holds it (when the shim can sync).
    if fx.shim.has("sync") {
        fx.sync()?;
        let log = fx.host()?.proxy.true_log(&c.channel);
        match log.first() {
            Some(e)
                if e.seq.0 == 1 && e.kind == EntryKind::Create && e.bytes == rec.body => {}
            _ => {
                return Err(fail(
                    &fx,
                    "after sync, the log served for the channel does not start with the create entry holding the request bytes".into(),
                ))
            }
        }
    }
    Ok(())
}

/// HRT-ROUTE-1 (SHOULD): conversation id = channel id.
fn conversation_id(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = ctx.fixture(FixtureSpec {
        hosts: 1,
        ..FixtureSpec::default()
    })?;
    let c = fx.create_channel(0)?;
    if c.conversation != c.channel {
        return Err(fx.fail(format!(
            "conversation {} differs from the channel id {} (HRT-ROUTE-1)",
            hex::encode(c.conversation),
            hex::encode(c.channel)
        )));
    }
    Ok(())
}
