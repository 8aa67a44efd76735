//! What the shim's client shows of edits, deletes and content it does not implement (spec
//! §7.8, "What a receiver shows"; `display`, §91.6.9). The peer of a [`Session`] sends the
//! content through the reference library; a second member, where a test needs one, joins the
//! session's channel to send edits and deletes of messages it did not write.

use super::member::Peer;
use hearth_crypto::envelope::ContentBuilder;
use hearth_wire::envelope::{DeleteBody, EditBody, MessageText, TextBody};
use hearth_wire::{ContentType, Hash, RawValue};
use serde_json::{json, Value};

use super::fixture::{events_of, Fixture};
use super::peer::{admit, join, must, now, peer, start, Session};
use super::{ClientCtx, ClientTestDef};
use crate::model::{Stop, TestResult};

/// The tests of this module.
pub fn tests() -> Vec<ClientTestDef> {
    vec![
        ClientTestDef {
            id: "client.msg.edit.shown",
            title: "a peer's text edited twice by the peer and once more by another member: `display` shows one item at the text's seq with the peer's last edit, and no edit as an item",
            requirements: &["HRT-MSG-46", "HRT-MSG-34", "HRT-SHIM-22"],
            run: edit_shown,
        },
        ClientTestDef {
            id: "client.msg.delete.shown",
            title: "a peer's edited text deleted by the peer, another text 'deleted' by another member: a deletion marker (text null, the peer as sender) in place of the first, the second unchanged, no delete as an item",
            requirements: &["HRT-MSG-47", "HRT-MSG-35", "HRT-SHIM-22"],
            run: delete_shown,
        },
        ClientTestDef {
            id: "client.msg.unknown-type.shown",
            title: "a message of an unassigned content type: opened without an error code and shown as one item at its seq naming the peer, text null",
            requirements: &["HRT-MSG-48", "HRT-MSG-37", "HRT-SHIM-22"],
            run: unknown_type_shown,
        },
        ClientTestDef {
            id: "client.msg.unknown-type.grease",
            title: "a message of a GREASE content type (0x0A0A): opened without an error code and shown as one item at its seq naming the peer, text null",
            requirements: &["HRT-MSG-48", "HRT-MSG-37"],
            run: grease_type_shown,
        },
        ClientTestDef {
            id: "client.msg.edit.before-target",
            title: "an edit posted before the text it edits (sealed after it): kept aside, never shown on its own, applied when the text arrives",
            requirements: &["HRT-MSG-46", "HRT-MSG-34"],
            run: edit_before_target,
        },
    ]
}

/// One `display` item: (seq, sender hex, text).
type Item = (u64, String, Option<String>);

/// `display`'s items of the session's conversation, and the whole answer.
fn shown(fx: &mut Fixture, s: &Session) -> Result<(Vec<Item>, Value), Stop> {
    let v = fx.ok("display", json!({"conversation": s.conv}))?;
    let items = v
        .get("messages")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|m| {
                    (
                        m.get("seq").and_then(Value::as_u64).unwrap_or(0),
                        m.get("sender")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                        m.get("text").and_then(Value::as_str).map(str::to_owned),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Ok((items, v))
}

fn body_of(what: &str, r: Result<RawValue, hearth_wire::WireError>) -> Result<RawValue, Stop> {
    r.map_err(|e| Stop::fail(format!("harness: {what}: {e:?}"), &[]))
}

fn text(t: &str) -> Result<MessageText, Stop> {
    MessageText::new(t).map_err(|e| Stop::fail(format!("harness: text: {e:?}"), &[]))
}

/// `client` sends an edit of `target` in its conversation `handle`; returns the seq.
fn send_edit(
    fx: &Fixture,
    client: &mut Peer,
    handle: &[u8; 16],
    target: Hash,
    t: &str,
) -> Result<u64, Stop> {
    let body = body_of(
        "edit",
        Ok(RawValue::from_value(&EditBody {
            target,
            text: text(t)?,
        })),
    )?;
    must(
        fx,
        "danger_send_content",
        client.danger_send_content(handle, ContentType::EDIT, body),
    )
    .map(|s| s.seq)
}

/// `client` sends a delete of `target`; returns the seq.
fn send_delete(
    fx: &Fixture,
    client: &mut Peer,
    handle: &[u8; 16],
    target: Hash,
) -> Result<u64, Stop> {
    let body = RawValue::from_value(&DeleteBody { target });
    must(
        fx,
        "danger_send_content",
        client.danger_send_content(handle, ContentType::DELETE, body),
    )
    .map(|s| s.seq)
}

/// A second peer joins the session's channel; returns it and its conversation handle, with the
/// peer, the member and the shim all at the same epoch.
fn member(fx: &mut Fixture, s: &mut Session) -> Result<(Peer, [u8; 16]), Stop> {
    let h = s.handle;
    let uri = must(fx, "create_invite", s.peer.create_invite(&h, 3600))?;
    let mut p1 = peer(fx, 1)?;
    must(fx, "accept_invite", p1.accept_invite(&uri, "Member"))?;
    admit(fx, &mut s.peer)?;
    let ev = p1.sync();
    if !ev
        .iter()
        .any(|e| matches!(e, hearth::conversation::Event::Joined { .. }))
    {
        return Err(fx.fail(format!("harness peer 1 did not join: {ev:?}")));
    }
    let _ = s.peer.sync();
    fx.sync()?;
    let _ = p1.sync();
    let Some(handle) = p1.conversations().first().map(|c| c.handle()) else {
        return Err(fx.fail("harness peer 1 has no conversation after joining"));
    };
    Ok((p1, handle))
}

/// Only the peer's items with the given (seq, text), in this order, and none of `others`.
fn expect_items(
    fx: &Fixture,
    items: &[Item],
    v: &Value,
    peer_fp: &str,
    want: &[(u64, Option<&str>)],
    context: &str,
) -> TestResult {
    let got: Vec<(u64, &str, Option<&str>)> = items
        .iter()
        .map(|(q, f, t)| (*q, f.as_str(), t.as_deref()))
        .collect();
    let want: Vec<(u64, &str, Option<&str>)> =
        want.iter().map(|(q, t)| (*q, peer_fp, *t)).collect();
    if got != want {
        return Err(fx.fail(format!(
            "{context}: `display` must show exactly the items (seq, sender, text) {want:?}, got {got:?}: {v}"
        )));
    }
    Ok(())
}

fn edit_shown(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 2)?;
    let mut s = join(&mut fx, 0)?;
    let (mut other, oh) = member(&mut fx, &mut s)?;
    let h = s.handle;
    let a = must(&fx, "send_text", s.peer.send_text(&h, "the original text"))?;
    let e1 = send_edit(&fx, &mut s.peer, &h, a.msg_ref, "edited once")?;
    let e2 = send_edit(&fx, &mut s.peer, &h, a.msg_ref, "edited twice")?;
    let _ = other.sync();
    let e3 = send_edit(&fx, &mut other, &oh, a.msg_ref, "edited by another member")?;
    let (items, v) = synced_items(&mut fx, &s)?;
    expect_items(
        &fx,
        &items,
        &v,
        &s.peer_fp(),
        &[(a.seq, Some("edited twice"))],
        &format!(
            "a text (seq {}) edited by its sender at seqs {e1} and {e2} and by another member at seq {e3}",
            a.seq
        ),
    )
}

fn delete_shown(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 2)?;
    let mut s = join(&mut fx, 0)?;
    let (mut other, oh) = member(&mut fx, &mut s)?;
    let h = s.handle;
    let a = must(&fx, "send_text", s.peer.send_text(&h, "to be retracted"))?;
    let b = must(&fx, "send_text", s.peer.send_text(&h, "to be kept"))?;
    let e = send_edit(&fx, &mut s.peer, &h, a.msg_ref, "edited, then retracted")?;
    let d = send_delete(&fx, &mut s.peer, &h, a.msg_ref)?;
    let _ = other.sync();
    let d2 = send_delete(&fx, &mut other, &oh, b.msg_ref)?;
    let (items, v) = synced_items(&mut fx, &s)?;
    expect_items(
        &fx,
        &items,
        &v,
        &s.peer_fp(),
        &[(a.seq, None), (b.seq, Some("to be kept"))],
        &format!(
            "a text (seq {}) edited (seq {e}) and deleted (seq {d}) by its sender, another (seq {}) deleted by another member (seq {d2})",
            a.seq, b.seq
        ),
    )
}

/// An unassigned, non-GREASE content type (spec §12).
const UNASSIGNED: ContentType = ContentType(0x4242);

fn unknown_type_shown(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let mut s = join(&mut fx, 0)?;
    let h = s.handle;
    let before = s.say(&fx, "before")?;
    let body = RawValue::from_value(&TextBody {
        text: text("the body of an unknown type, never to be shown")?,
    });
    let u = must(
        &fx,
        "danger_send_content",
        s.peer.danger_send_content(&h, UNASSIGNED, body),
    )?;
    let after = s.say(&fx, "after")?;
    let (items, v) = synced_items(&mut fx, &s)?;
    expect_items(
        &fx,
        &items,
        &v,
        &s.peer_fp(),
        &[
            (before, Some("before")),
            (u.seq, None),
            (after, Some("after")),
        ],
        &format!(
            "a message of content type {} at seq {}",
            UNASSIGNED.0, u.seq
        ),
    )
}

/// A GREASE content type (spec §7.8, §12): never sent by a conforming sender (HRT-MSG-38), so
/// the library refuses to build it and the harness writes the `Content` itself.
const GREASE: ContentType = ContentType(0x0A0A);

fn grease_type_shown(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let mut s = join(&mut fx, 0)?;
    let (h, r) = (s.handle, s.route.clone());
    let Some(g) = s.peer.danger_group_mut(&h, &r) else {
        return Err(fx.fail("harness peer: no group for its channel"));
    };
    // The peer's first message in the channel: no `prev` (HRT-LOG-34), nothing seen yet.
    let mut c = ContentBuilder::text("a GREASE body, never to be shown")
        .map_err(|e| Stop::fail(format!("harness: content: {e:?}"), &[]))?
        .sent_at_ms(now().saturating_mul(1000))
        .build();
    c.content_type = GREASE;
    let env = g
        .seal(&c, now())
        .map_err(|e| Stop::fail(format!("harness peer: seal: {e:?}"), &[]))?;
    let seq = must(
        &fx,
        "danger_post_envelope",
        s.peer.danger_post_envelope(&h, &r, env.bytes),
    )?;
    let (items, v) = synced_items(&mut fx, &s)?;
    expect_items(
        &fx,
        &items,
        &v,
        &s.peer_fp(),
        &[(seq, None)],
        &format!(
            "a message of the GREASE content type {:#06x} at seq {seq}",
            GREASE.0
        ),
    )
}

fn edit_before_target(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let mut s = join(&mut fx, 0)?;
    let (h, r) = (s.handle, s.route.clone());
    let Some(g) = s.peer.danger_group_mut(&h, &r) else {
        return Err(fx.fail("harness peer: no group for its channel"));
    };
    // The peer's first messages in the channel: no `prev` (HRT-LOG-34), nothing seen yet. The
    // text is sealed first (its msg-ref is what the edit names), the edit posted first.
    let seal = |g: &mut hearth_crypto::group::Group, c: ContentBuilder| {
        g.seal(&c.sent_at_ms(now().saturating_mul(1000)).build(), now())
            .map_err(|e| Stop::fail(format!("harness peer: seal: {e:?}"), &[]))
    };
    let content = |r: Result<ContentBuilder, _>| {
        r.map_err(|e| Stop::fail(format!("harness: content: {e:?}"), &[]))
    };
    let target = seal(
        g,
        content(ContentBuilder::text("the text before its edit"))?,
    )?;
    let edit = EditBody {
        target: target.msg_ref,
        text: text("the edit that came first")?,
    };
    let edit = seal(
        g,
        content(ContentBuilder::new(
            ContentType::EDIT,
            RawValue::from_value(&edit),
        ))?,
    )?;
    let e = must(
        &fx,
        "danger_post_envelope",
        s.peer.danger_post_envelope(&h, &r, edit.bytes),
    )?;
    let (items, v) = synced_items(&mut fx, &s)?;
    expect_items(
        &fx,
        &items,
        &v,
        &s.peer_fp(),
        &[],
        &format!("an edit (seq {e}) whose target is not in the log yet"),
    )?;
    let t = must(
        &fx,
        "danger_post_envelope",
        s.peer.danger_post_envelope(&h, &r, target.bytes),
    )?;
    let (items, v) = synced_items(&mut fx, &s)?;
    expect_items(
        &fx,
        &items,
        &v,
        &s.peer_fp(),
        &[(t, Some("the edit that came first"))],
        &format!("a text (seq {t}) whose edit came before it (seq {e})"),
    )
}

/// The client's `sync`, which must report no `rejected` or `detected` event (the content is
/// valid), then what it shows.
fn synced_items(fx: &mut Fixture, s: &Session) -> Result<(Vec<Item>, Value), Stop> {
    let events = fx.sync()?;
    no_rejection(fx, &events)?;
    shown(fx, s)
}

/// Nothing in `events` is a `rejected` or `detected` event (the content is valid).
fn no_rejection(fx: &Fixture, events: &[Value]) -> TestResult {
    let bad: Vec<&Value> = events_of(events, "rejected")
        .into_iter()
        .chain(events_of(events, "detected"))
        .collect();
    if bad.is_empty() {
        return Ok(());
    }
    Err(fx.fail(format!(
        "valid content must be opened without an error code (HRT-MSG-37): {bad:?}"
    )))
}
