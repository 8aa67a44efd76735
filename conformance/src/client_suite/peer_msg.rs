//! Application messages between the shim and a peer (spec §7.5; the claims of §9.7 and §9.8
//! are in [`super::peer_claim`]) and the deletion
//! duties the shim's `held_secrets` shows (§6.16). Every test starts from a [`Session`]: the
//! shim has joined a peer's channel on host 0 and both have installed the shim's update commit.
//! Forged envelopes are sealed by the peer with `danger_seal_forged` and posted as they are;
//! lies of the host are told to the shim's member key only, while the peer sees the truth.

use hearth_crypto::envelope::{ContentBuilder, Padding};
use hearth_wire::ErrorCode;
use serde_json::{json, Value};

use super::fixture::{events_of, Fixture};
use super::peer::{
    expect_event, expect_event_at, expect_no_event, join, must, now, start, Session,
};
use super::{ClientCtx, ClientTestDef};
use crate::model::{Stop, TestResult};
use crate::proxy::Fault;

/// The tests of this module.
pub fn tests() -> Vec<ClientTestDef> {
    vec![
        ClientTestDef {
            id: "client.msg.receive",
            title: "two texts of a peer: `message` events with the peer's fingerprint, type 0 and the text, shown in order by `display`",
            requirements: &["HRT-MSG-10", "HRT-MSG-25", "HRT-SHIM-22"],
            run: receive,
        },
        ClientTestDef {
            id: "client.msg.send",
            title: "a text sent by the shim reaches the peer from the shim's fingerprint",
            requirements: &["HRT-MSG-2", "HRT-MSG-6", "HRT-RAT-17"],
            run: send,
        },
        ClientTestDef {
            id: "client.msg.send.log-position",
            title: "what the shim seals: the epoch it holds, seen_seq/seen_head = its verified log position, no prev on its first message, prev = its previous accepted message",
            requirements: &["HRT-LOG-30", "HRT-LOG-34", "HRT-MSG-1"],
            run: send_log_position,
        },
        ClientTestDef {
            id: "client.msg.bad-padding.nonzero",
            title: "an envelope whose padding holds a non-zero byte is rejected with bad_padding and not shown",
            requirements: &["HRT-MSG-19", "HRT-MSG-24"],
            run: padding_nonzero,
        },
        ClientTestDef {
            id: "client.msg.bad-padding.too-long",
            title: "an envelope padded beyond pad_len is rejected with bad_padding and not shown",
            requirements: &["HRT-MSG-18", "HRT-MSG-24"],
            run: padding_too_long,
        },
        ClientTestDef {
            id: "client.msg.generation-too-far",
            title: "an envelope 1001 generations ahead of the sender's chain is rejected with generation_too_far",
            requirements: &["HRT-RAT-7", "HRT-MSG-24"],
            run: generation_too_far,
        },
        ClientTestDef {
            id: "client.msg.replayed",
            title: "a peer's message re-served as the next entry (chain recomputed) is rejected with duplicate_message",
            requirements: &["HRT-RAT-9", "HRT-MSG-25"],
            run: replayed,
        },
        ClientTestDef {
            id: "client.msg.wrong-epoch",
            title: "a peer's message of an epoch the shim has left behind, served again after a commit, is rejected with wrong_epoch",
            requirements: &["HRT-MSG-14", "HRT-MSG-24"],
            run: wrong_epoch,
        },
        ClientTestDef {
            id: "client.msg.other-channel",
            title: "a valid envelope of another channel, served in this channel's log, is rejected with malformed",
            requirements: &["HRT-MSG-13", "HRT-MSG-24"],
            run: other_channel,
        },
        ClientTestDef {
            id: "client.msg.forged",
            title: "a peer's message with a bit flipped (chain recomputed) is rejected with decrypt_failed",
            requirements: &["HRT-MSG-16", "HRT-MSG-24"],
            run: forged,
        },
        ClientTestDef {
            id: "client.log.fork.bad-link-peer-entry",
            title: "a peer's message with a bit flipped and the heads kept: the link does not verify: fork_detected, and the message is neither opened nor shown",
            requirements: &["HRT-LOG-19", "HRT-LOG-23", "HRT-LOG-38"],
            run: bad_link_peer_entry,
        },
        ClientTestDef {
            id: "client.secrets.after-commit",
            title: "after a peer's commit: the new epoch, no app_secret, no pending commit, no skipped keys",
            requirements: &["HRT-RAT-13", "HRT-RAT-3"],
            run: secrets_after_commit,
        },
        ClientTestDef {
            id: "client.secrets.after-open",
            title: "after opening generation 0 of a peer, the shim's chain for that leaf is past generation 0",
            requirements: &["HRT-RAT-4", "HRT-RAT-12"],
            run: secrets_after_open,
        },
    ]
}

/// The `message` events of `events` sent by `fp` (hex): (seq, content_type, text).
pub(super) fn messages_from(events: &[Value], fp: &str) -> Vec<(u64, Option<u64>, Option<String>)> {
    events_of(events, "message")
        .into_iter()
        .filter(|e| e.get("sender").and_then(Value::as_str) == Some(fp))
        .map(|e| {
            (
                e.get("seq").and_then(Value::as_u64).unwrap_or(0),
                e.get("content_type").and_then(Value::as_u64),
                e.get("text").and_then(Value::as_str).map(str::to_owned),
            )
        })
        .collect()
}

fn receive(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let mut s = join(&mut fx, 0)?;
    let a = s.say(&fx, "first from the peer")?;
    let b = s.say(&fx, "second from the peer")?;
    let events = fx.sync()?;
    let got = messages_from(&events, &s.peer_fp());
    let want = vec![
        (a, Some(0), Some("first from the peer".to_owned())),
        (b, Some(0), Some("second from the peer".to_owned())),
    ];
    if got != want {
        return Err(fx.fail(format!(
            "expected `message` events (seq, content_type, text) {want:?} from the peer {}, got {got:?}; events: {}",
            s.peer_fp(),
            Value::Array(events)
        )));
    }
    let v = fx.ok("display", json!({"conversation": s.conv}))?;
    let shown: Vec<String> = v
        .get("messages")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter(|m| m.get("sender").and_then(Value::as_str) == Some(s.peer_fp().as_str()))
                .filter_map(|m| m.get("text").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if shown != ["first from the peer", "second from the peer"] {
        return Err(fx.fail(format!(
            "`display` shows the peer's texts {shown:?}, expected both in order: {v}"
        )));
    }
    Ok(())
}

fn send(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let mut s = join(&mut fx, 0)?;
    let v = fx.ok(
        "send",
        json!({"conversation": s.conv, "text": "hello from the shim"}),
    )?;
    let seq = v.get("seq").and_then(Value::as_u64);
    let ev = s.peer.sync();
    let got = ev.iter().find_map(|e| match e {
        hearth::conversation::Event::Message {
            seq: sq,
            sender,
            text,
            ..
        } if Some(*sq) == seq => Some((*sender.as_bytes(), text.clone())),
        _ => None,
    });
    match got {
        Some((sender, Some(t))) if sender == s.shim_fp && t == "hello from the shim" => Ok(()),
        other => Err(fx.fail(format!(
            "the peer did not open the shim's message at seq {seq:?} as a text from the shim's fingerprint: {other:?}; peer events: {ev:?}"
        ))),
    }
}

/// The peer seals `forged` content with `skip` generations skipped and `padding`, posts it;
/// the shim's sync must reject that seq with `code` and show no message of it.
fn forged_envelope(
    ctx: &mut ClientCtx<'_>,
    skip: u64,
    padding: Padding,
    code: ErrorCode,
) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let mut s = join(&mut fx, 0)?;
    let (h, r) = (s.handle, s.route.clone());
    let Some(g) = s.peer.danger_group_mut(&h, &r) else {
        return Err(fx.fail("harness peer: no group for its channel"));
    };
    // Padding::NonZero needs at least one padding byte: vary the text until pad_len(L) > L.
    let mut sealed = Err("no attempt".to_owned());
    for n in 0..64 {
        let content = ContentBuilder::text(&format!("forged{}", ".".repeat(n)))
            .map_err(|e| Stop::fail(format!("harness: content: {e:?}"), &[]))?
            .sent_at_ms(now().saturating_mul(1000))
            .build();
        sealed = g
            .danger_seal_forged(&content, now(), skip, padding)
            .map_err(|e| format!("{e:?}"));
        if sealed.is_ok() {
            break;
        }
    }
    let env =
        sealed.map_err(|e| Stop::fail(format!("harness peer: danger_seal_forged: {e}"), &[]))?;
    let seq = must(
        &fx,
        "danger_post_envelope",
        s.peer.danger_post_envelope(&h, &r, env.bytes),
    )?;
    let events = fx.sync()?;
    expect_event_at(&fx, &events, "rejected", code, seq, "a forged envelope")?;
    expect_no_event(&fx, &events, "message", "a rejected envelope")
}

fn padding_nonzero(ctx: &mut ClientCtx<'_>) -> TestResult {
    forged_envelope(ctx, 0, Padding::NonZero, ErrorCode::BAD_PADDING)
}

fn padding_too_long(ctx: &mut ClientCtx<'_>) -> TestResult {
    forged_envelope(ctx, 0, Padding::TooLong, ErrorCode::BAD_PADDING)
}

fn generation_too_far(ctx: &mut ClientCtx<'_>) -> TestResult {
    forged_envelope(ctx, 1001, Padding::Exact, ErrorCode::GENERATION_TOO_FAR)
}

/// HRT-MSG-14: after the peer's commit, the shim holds only the new epoch; the old envelope,
/// served by the host in place of the peer's next message, is `wrong_epoch`.
fn wrong_epoch(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let mut s = join(&mut fx, 0)?;
    let (h, r) = (s.handle, s.route.clone());
    let old_seq = s.say(&fx, "in the old epoch")?;
    must(&fx, "commit", s.peer.commit(&h, &r, &[]))?;
    let seq = s.say(&fx, "in the new epoch")?;
    let _ = s.peer.sync();
    let truth = fx.host()?.proxy.true_log(&s.channel());
    let Some(old) = truth.iter().find(|e| e.seq.0 == old_seq) else {
        return Err(fx.fail("the proxy has not seen the old message (harness problem)"));
    };
    s.lie(
        &fx,
        Fault::ReplaceEntry {
            seq,
            bytes: old.bytes.clone(),
        },
    )?;
    let events = fx.sync()?;
    expect_event_at(
        &fx,
        &events,
        "rejected",
        ErrorCode::WRONG_EPOCH,
        seq,
        "an envelope of an epoch the shim no longer holds",
    )?;
    Ok(())
}

/// HRT-MSG-13: the peer's envelope from a second channel of its own, put by the host in place of
/// the peer's message in the channel the shim reads.
fn other_channel(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let mut s = join(&mut fx, 0)?;
    let url = super::peer::host_url(&fx, 0)?;
    let (h2, r2) = must(&fx, "create_channel", s.peer.create_channel(&url))?;
    let sent = must(&fx, "send_text", s.peer.send_text(&h2, "elsewhere"))?;
    let _ = s.peer.sync();
    let truth = fx.host()?.proxy.true_log(&r2.channel.0);
    let Some(foreign) = truth.iter().find(|e| e.seq.0 == sent.seq) else {
        return Err(fx.fail("the proxy has not seen the other channel's message (harness problem)"));
    };
    let foreign = foreign.bytes.clone();
    let seq = s.say(&fx, "here")?;
    let _ = s.peer.sync();
    s.lie(
        &fx,
        Fault::ReplaceEntry {
            seq,
            bytes: foreign,
        },
    )?;
    let events = fx.sync()?;
    expect_event_at(
        &fx,
        &events,
        "rejected",
        ErrorCode::MALFORMED,
        seq,
        "an envelope of another channel",
    )?;
    expect_no_event(&fx, &events, "message", "an envelope of another channel")
}

fn replayed(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let mut s = join(&mut fx, 0)?;
    let seq = s.say(&fx, "said once")?;
    let _ = s.peer.sync();
    s.lie(&fx, Fault::DuplicateEntry(seq))?;
    let events = fx.sync()?;
    expect_event_at(
        &fx,
        &events,
        "rejected",
        ErrorCode::DUPLICATE_MESSAGE,
        seq + 1,
        "a peer's message served twice",
    )?;
    let n = messages_from(&events, &s.peer_fp()).len();
    if n != 1 {
        return Err(fx.fail(format!(
            "the message served twice was reported {n} times: {}",
            Value::Array(events)
        )));
    }
    Ok(())
}

fn forged(ctx: &mut ClientCtx<'_>) -> TestResult {
    altered_peer_entry(
        ctx,
        Fault::AlterEntryBytes,
        ("rejected", ErrorCode::DECRYPT_FAILED),
        "a peer's message with one bit flipped (chain recomputed)",
    )
}

/// Unlike the shim's own entries (HRT-LOG-22), a peer's entry is bound only by the chain: a
/// client that trusted served heads would open (and reject) the altered envelope instead.
fn bad_link_peer_entry(ctx: &mut ClientCtx<'_>) -> TestResult {
    altered_peer_entry(
        ctx,
        Fault::AlterEntryKeepHeads,
        ("detected", ErrorCode::FORK_DETECTED),
        "a peer's entry whose link does not verify (HRT-LOG-23: the link is checked first)",
    )
}

/// A peer's message altered by the proxy for the shim only: exactly one event of `expected`
/// kind and code, at that seq, and the message neither shown nor reported another way.
fn altered_peer_entry(
    ctx: &mut ClientCtx<'_>,
    fault: fn(u64) -> Fault,
    (kind, code): (&str, ErrorCode),
    context: &str,
) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let mut s = join(&mut fx, 0)?;
    let seq = s.say(&fx, "to be altered")?;
    let _ = s.peer.sync();
    s.lie(&fx, fault(seq))?;
    let events = fx.sync()?;
    expect_event_at(&fx, &events, kind, code, seq, context)?;
    let other = if kind == "detected" {
        "rejected"
    } else {
        "detected"
    };
    expect_no_event(&fx, &events, other, context)?;
    expect_no_event(&fx, &events, "message", context)
}

/// HRT-LOG-30, HRT-LOG-34, HRT-MSG-1: the peer opens the shim's two envelopes with a copy of
/// its state and reads the fields the shim set.
fn send_log_position(ctx: &mut ClientCtx<'_>) -> TestResult {
    use hearth_crypto::envelope::message_ref;
    let mut fx = start(ctx, 1, 1)?;
    let mut s = join(&mut fx, 0)?;
    s.say(&fx, "so that the shim's log moves")?;
    fx.sync()?;
    let channel = s.channel();
    let truth = fx.host()?.proxy.true_log(&channel);
    let Some(last) = truth.last() else {
        return Err(fx.fail("the proxy saw no log (harness problem)"));
    };
    let (v, head_v) = (last.seq.0, last.head.0);
    let mark = fx.host()?.proxy.mark();
    fx.ok("send", json!({"conversation": s.conv, "text": "one"}))?;
    fx.ok("send", json!({"conversation": s.conv, "text": "two"}))?;
    let records = fx.host()?.proxy.records_since(mark);
    let envs = super::peer::posted_envelopes(&records);
    let [first, second] = envs.as_slice() else {
        return Err(fx.fail_with(
            format!(
                "expected exactly two msg.post of the shim, saw {}",
                envs.len()
            ),
            &records,
        ));
    };
    let mut copy = super::peer::peer_copy(&fx, &mut s)?;
    let epoch = copy.epoch();
    let o1 = copy.open(first).map_err(|e| {
        fx.fail(format!(
            "the peer cannot open the shim's first message: {e}"
        ))
    })?;
    let o2 = copy.open(second).map_err(|e| {
        fx.fail(format!(
            "the peer cannot open the shim's second message: {e}"
        ))
    })?;
    if Some(o1.epoch) != epoch {
        return Err(fx.fail(format!(
            "the shim sealed for epoch {} while the channel is at {epoch:?} (HRT-MSG-1)",
            o1.epoch
        )));
    }
    if o1.content.seen_seq.0 != v || o1.content.seen_head.as_slice() != head_v.as_slice() {
        return Err(fx.fail(format!(
            "seen_seq/seen_head of the shim's message are {}/{}, its verified position was {v}/{} (HRT-LOG-30)",
            o1.content.seen_seq.0,
            hex::encode(o1.content.seen_head.as_slice()),
            hex::encode(head_v)
        )));
    }
    if o1.content.prev.is_some() {
        return Err(
            fx.fail("the shim's first message in the channel names a `prev` (HRT-LOG-34: omit it)")
        );
    }
    if o2.content.prev != Some(message_ref(first)) {
        return Err(fx.fail(format!(
            "the second message's prev is {:?}, not the msg-ref of the first, which the host accepted (HRT-LOG-34)",
            o2.content.prev.map(|h| hex::encode(h.0))
        )));
    }
    Ok(())
}

/// `held_secrets` for the session's route.
fn held(fx: &mut Fixture, s: &Session) -> Result<Value, Stop> {
    let route = json!({"host": s.route.host.as_str(), "channel": hex::encode(s.channel())});
    fx.ok(
        "held_secrets",
        json!({"conversation": s.conv, "route": route}),
    )
}

fn pairs(v: &Value, key: &str) -> Vec<(u64, u64)> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    let p = p.as_array()?;
                    Some((p.first()?.as_u64()?, p.get(1)?.as_u64()?))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn secrets_after_commit(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let mut s = join(&mut fx, 0)?;
    let (h, r) = (s.handle, s.route.clone());
    let (epoch, seq) = must(&fx, "commit", s.peer.commit(&h, &r, &[]))?;
    let events = fx.sync()?;
    let c = expect_event(&fx, &events, "commit", None, "a peer's update commit", &[])?;
    if c.get("seq").and_then(Value::as_u64) != Some(seq)
        || c.get("epoch").and_then(Value::as_u64) != Some(epoch)
    {
        return Err(fx.fail(format!(
            "the `commit` event should name seq {seq} and epoch {epoch}: {c}"
        )));
    }
    let v = held(&mut fx, &s)?;
    let mut bad = Vec::new();
    if v.get("epoch").and_then(Value::as_u64) != Some(epoch) {
        bad.push(format!("epoch is not {epoch}"));
    }
    if v.get("app_secret").and_then(Value::as_bool) != Some(false) {
        bad.push("app_secret is still held (HRT-RAT-3)".to_owned());
    }
    if v.get("pending_commit").and_then(Value::as_bool) != Some(false) {
        bad.push("a pending commit is held".to_owned());
    }
    if !pairs(&v, "skipped").is_empty() {
        bad.push("skipped keys of the old epoch are held (HRT-RAT-13)".to_owned());
    }
    if let Some(p) = pairs(&v, "chains").iter().find(|(_, g)| *g != 0) {
        bad.push(format!(
            "chain {p:?} is past generation 0 although nothing was sent in epoch {epoch}"
        ));
    }
    if bad.is_empty() {
        return Ok(());
    }
    Err(fx.fail(format!(
        "held_secrets after installing epoch {epoch}: {}; held: {v}",
        bad.join("; ")
    )))
}

fn secrets_after_open(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let mut s = join(&mut fx, 0)?;
    let (h, r) = (s.handle, s.route.clone());
    // A fresh epoch in which the peer's first message is generation 0.
    must(&fx, "commit", s.peer.commit(&h, &r, &[]))?;
    fx.sync()?;
    let leaf = s
        .peer
        .conversations()
        .iter()
        .find(|c| c.handle() == h)
        .and_then(|c| c.routes().first())
        .map(|rt| u64::from(rt.group().my_leaf().0));
    let Some(leaf) = leaf else {
        return Err(fx.fail("harness peer: no route"));
    };
    s.say(&fx, "generation zero")?;
    let events = fx.sync()?;
    if messages_from(&events, &s.peer_fp()).is_empty() {
        return Err(fx.fail(format!(
            "the shim did not open the peer's message: {}",
            Value::Array(events)
        )));
    }
    let v = held(&mut fx, &s)?;
    let chains = pairs(&v, "chains");
    let skipped = pairs(&v, "skipped");
    if chains.contains(&(leaf, 0)) || skipped.contains(&(leaf, 0)) {
        return Err(fx.fail(format!(
            "after opening generation 0 of leaf {leaf}, the shim still holds its chain secret or key of generation 0 (HRT-RAT-4, HRT-RAT-12): {v}"
        )));
    }
    if !chains.iter().any(|(l, g)| *l == leaf && *g >= 1) {
        return Err(fx.fail(format!(
            "after opening generation 0 of leaf {leaf}, the shim holds no chain of that leaf past 0: {v}"
        )));
    }
    Ok(())
}
