//! Commits of peers that the shim must reject (spec §6.9), each at the first failing check of
//! the table with its code (HRT-GRP-25), followed by the reporting and halting duties
//! (HRT-GRP-88, HRT-GRP-43, HRT-GRP-89).
//!
//! The peer makes a real update commit, which the host accepts at `seq`; the proxy serves the
//! shim alone, at that `seq`, a forged commit of the same epoch (`Fault::ReplaceEntry`, the
//! chain recomputed, so the log verifies). The forgery is built from another update commit of
//! the same peer and epoch (made, then discarded as after `epoch_conflict`): a field altered
//! and, where the check under test comes after the signature, re-signed with the peer's
//! member key (`danger_sign_commit_tbs`), so that only the check under test fails.

use super::member::Peer;
use hearth_crypto::group::Group;
use hearth_wire::group::{Commit, CommitTbs, GroupOp};
use hearth_wire::request::{RequestBody, SignedRequest};
use hearth_wire::{
    BoundedBytes, BoundedVec, ChannelId, ErrorCode, Leaf, Op, SignedBytes, Suite, WireDecode,
    WireEncode,
};
use serde_json::{json, Value};

use super::fixture::Fixture;
use super::peer::{admit, expect_event, join, must, now, peer, start, Session};
use super::{ClientCtx, ClientTestDef};
use crate::model::{Stop, TestResult};
use crate::proxy::{Fault, Recorded};
use crate::shim::Answer;

/// An alteration of a CommitTBS.
type Alter = Box<dyn Fn(&mut CommitTbs, &Roles)>;

/// What to do to the peer's commit.
enum Forge {
    /// Flip a bit of the signature.
    Signature,
    /// Flip a bit of the confirmation tag.
    Tag,
    /// Alter the CommitTBS and re-sign it with the committer's member key.
    Resigned(Alter),
    /// Rewrite the encoded commit (the decoding checks of step 1 come before the signature).
    Raw(fn(&Commit, &[u8]) -> Option<Vec<u8>>),
    /// Build the whole commit another way with the committer's group (then discard it).
    Build(fn(&mut Group) -> Result<Vec<u8>, String>),
}

/// Leaves the alterations can name.
struct Roles {
    /// The admin peer (the channel's creator).
    admin: Leaf,
}

macro_rules! forged_tests {
    ($( $fname:ident, $id:literal, $title:literal, [$($req:literal),*], $member:expr, $forge:expr, $code:expr; )*) => {
        fn forged_defs() -> Vec<ClientTestDef> {
            vec![$(
                ClientTestDef {
                    id: $id,
                    title: $title,
                    requirements: &[$($req),*],
                    run: $fname,
                },
            )*]
        }
        $(
            fn $fname(ctx: &mut ClientCtx<'_>) -> TestResult {
                forged(ctx, $member, $forge, $code)
            }
        )*
    };
}

fn resign(f: impl Fn(&mut CommitTbs, &Roles) + 'static) -> Forge {
    Forge::Resigned(Box::new(f))
}

fn flip(b: &[u8]) -> Vec<u8> {
    let mut v = b.to_vec();
    if let Some(x) = v.last_mut() {
        *x ^= 0x01;
    }
    v
}

forged_tests! {
    bad_signature, "client.commit.forged.bad-signature",
        "a peer's commit with a flipped signature is rejected with bad_signature, then the channel is halted",
        ["HRT-GRP-32", "HRT-GRP-25", "HRT-GRP-43", "HRT-GRP-89"], false, Forge::Signature, ErrorCode::BAD_SIGNATURE;
    bad_tag, "client.commit.forged.bad-confirmation-tag",
        "a peer's commit with a flipped confirmation tag is rejected with bad_confirmation_tag and reported with commit.report, then the channel is halted",
        ["HRT-GRP-40", "HRT-GRP-88", "HRT-GRP-25", "HRT-GRP-89"], false, Forge::Tag, ErrorCode::BAD_CONFIRMATION_TAG;
    unknown_sender, "client.commit.forged.unknown-committer",
        "a peer's commit naming a committer leaf beyond the roster is rejected with unknown_sender, then the channel is halted",
        ["HRT-GRP-31", "HRT-GRP-25", "HRT-GRP-43", "HRT-GRP-89"], false,
        resign(|t, _| t.committer = Leaf(200)), ErrorCode::UNKNOWN_SENDER;
    other_channel, "client.commit.forged.other-channel",
        "a peer's commit naming another channel id is rejected with malformed, then the channel is halted",
        ["HRT-GRP-29", "HRT-GRP-25", "HRT-GRP-43", "HRT-GRP-89"], false,
        resign(|t, _| t.channel_id = ChannelId([0x5a; 16])), ErrorCode::MALFORMED;
    other_suite, "client.commit.forged.other-suite",
        "a peer's commit naming another suite is rejected with unsupported_suite, then the channel is halted",
        ["HRT-GRP-28", "HRT-GRP-25", "HRT-GRP-43", "HRT-GRP-89"], false,
        resign(|t, _| t.suite = Suite::XWING_SHA256_AES256GCM_ED25519), ErrorCode::UNSUPPORTED_SUITE;
    sealed_fewer, "client.commit.forged.sealed-count",
        "a peer's commit (re-signed) with one sealed secret fewer than remaining members is rejected with bad_sealed_secrets",
        ["HRT-GRP-35", "HRT-GRP-25", "HRT-GRP-43", "HRT-GRP-89"], false,
        resign(|t, _| {
            let mut v = t.sealed.as_slice().to_vec();
            v.pop();
            if let Ok(b) = BoundedVec::new(v) {
                t.sealed = b;
            }
        }), ErrorCode::BAD_SEALED_SECRETS;
    sealed_corrupt, "client.commit.forged.sealed-ciphertext",
        "a peer's commit (re-signed) whose sealed commit secrets do not open is rejected with decrypt_failed",
        ["HRT-GRP-36", "HRT-GRP-25", "HRT-GRP-43", "HRT-GRP-89"], false,
        resign(|t, _| {
            let v: Vec<_> = t
                .sealed
                .as_slice()
                .iter()
                .map(|s| {
                    let mut s = s.clone();
                    if let Ok(ct) = BoundedBytes::new(flip(s.ct.as_slice())) {
                        s.ct = ct;
                    }
                    s
                })
                .collect();
            if let Ok(b) = BoundedVec::new(v) {
                t.sealed = b;
            }
        }), ErrorCode::DECRYPT_FAILED;
    private_corrupt, "client.commit.forged.private-ciphertext",
        "a peer's commit (re-signed) whose CommitPrivate ciphertext does not open is rejected with decrypt_failed",
        ["HRT-GRP-37", "HRT-GRP-25", "HRT-GRP-43", "HRT-GRP-89"], false,
        resign(|t, _| {
            if let Ok(ct) = BoundedBytes::new(flip(t.private_ct.as_slice())) {
                t.private_ct = ct;
            }
        }), ErrorCode::DECRYPT_FAILED;
    member_removes, "client.commit.forged.member-removes",
        "a member-role peer's commit (re-signed) removing another member is rejected with forbidden",
        ["HRT-GRP-34", "HRT-GRP-25", "HRT-GRP-43", "HRT-GRP-89"], true,
        resign(|t, r| set_ops(t, vec![GroupOp::Remove { leaf: r.admin }])), ErrorCode::FORBIDDEN;
    removes_self, "client.commit.forged.removes-committer",
        "an admin's commit (re-signed) removing the committer's own leaf is rejected with forbidden",
        ["HRT-GRP-34", "HRT-GRP-25", "HRT-GRP-43", "HRT-GRP-89"], false,
        resign(|t, _| {
            let me = t.committer;
            set_ops(t, vec![GroupOp::Remove { leaf: me }])
        }), ErrorCode::FORBIDDEN;
    version, "client.commit.forged.unsupported-version",
        "a peer's commit whose CommitTBS key 1 is 2 is rejected with unsupported_version, then the channel is halted",
        ["HRT-GRP-27", "HRT-GRP-25", "HRT-GRP-43", "HRT-GRP-89"], false,
        Forge::Raw(tbs_version_2), ErrorCode::UNSUPPORTED_VERSION;
    non_canonical, "client.commit.forged.non-canonical",
        "a peer's commit re-encoded with a non-shortest array head is rejected with noncanonical, then the channel is halted",
        ["HRT-GRP-26", "HRT-GRP-25", "HRT-GRP-43", "HRT-GRP-89"], false,
        Forge::Raw(long_array_head), ErrorCode::NONCANONICAL;
    bad_member_cert, "client.commit.forged.bad-member-cert",
        "a peer's commit adding a joiner whose certificate another identity made is rejected with bad_member_cert, then the channel is halted",
        ["HRT-GRP-39", "HRT-GRP-25", "HRT-GRP-43", "HRT-GRP-89"], false,
        Forge::Build(add_with_foreign_cert), ErrorCode::BAD_MEMBER_CERT;
    not_well_formed, "client.commit.forged.remove-out-of-range",
        "a commit (re-signed) removing a leaf beyond the roster is not well-formed: malformed",
        ["HRT-GRP-33", "HRT-GRP-25", "HRT-GRP-43", "HRT-GRP-89"], false,
        resign(|t, _| set_ops(t, vec![GroupOp::Remove { leaf: Leaf(200) }])), ErrorCode::MALFORMED;
}

/// The commit with `CommitTBS` key 1 (the version, `01 01` right after the map head) set to 2;
/// signature and tag unchanged, since step 1b comes first.
fn tbs_version_2(c: &Commit, _: &[u8]) -> Option<Vec<u8>> {
    let mut tbs = c.tbs.as_bytes().to_vec();
    match tbs.get(1..3) {
        Some([0x01, 0x01]) => {}
        _ => return None,
    }
    if let Some(v) = tbs.get_mut(2) {
        *v = 0x02;
    }
    Some(
        Commit {
            tbs: SignedBytes::from_bytes(tbs),
            signature: c.signature,
            confirmation_tag: c.confirmation_tag,
        }
        .to_vec(),
    )
}

/// The commit's outer array head `83` written as `98 03`: the same value, not the shortest
/// head (spec §2), so `noncanonical` at step 1a.
fn long_array_head(_: &Commit, bytes: &[u8]) -> Option<Vec<u8>> {
    let rest = bytes.strip_prefix(&[0x83])?;
    let mut out = vec![0x98, 0x03];
    out.extend_from_slice(rest);
    Some(out)
}

/// An add commit, validly signed and confirmed, whose joiner's member certificate was made by
/// another identity (check 7d of §6.9); the joiner is a throwaway made through the whole
/// invitation flow in memory.
fn add_with_foreign_cert(g: &mut Group) -> Result<Vec<u8>, String> {
    use hearth_crypto::group::PendingMember;
    use hearth_crypto::keys::IdentityKey;
    use hearth_wire::request::PendingJoin;
    use hearth_wire::{ConversationId, Role, Secs};
    let e = |x: hearth_crypto::ProtocolError| format!("{x:?}");
    let host = g.params().host_url().to_owned();
    let mut invitation = g
        .create_invitation(ConversationId(g.channel_id().0), now() + 3600)
        .map_err(e)?
        .registered();
    let uri = invitation
        .uri()
        .ok_or("the invitation has no text")?
        .to_string();
    let (_pending, redeem) =
        PendingMember::join(&uri, IdentityKey::generate(), "Mallory", now()).map_err(e)?;
    let pj = PendingJoin {
        invite_id: redeem.body.invite_id,
        member_key: redeem.body.member_key,
        sealed: redeem.body.sealed.clone(),
        redeemed_at: Secs(now()),
    };
    let mut joiner = invitation.process_join(&pj).map_err(e)?;
    joiner.danger_recertify(&IdentityKey::generate(), &host);
    let made = g
        .commit(
            vec![hearth_crypto::Change::Add {
                joiner: Box::new(joiner.confirm_sas_matches()),
                role: Role::Member,
            }],
            now(),
        )
        .map_err(e)?;
    g.commit_conflict().map_err(e)?;
    Ok(made.commit)
}

fn set_ops(t: &mut CommitTbs, ops: Vec<GroupOp>) {
    if let Ok(b) = BoundedVec::new(ops) {
        t.ops = b;
    }
}

/// The tests of this module.
pub fn tests() -> Vec<ClientTestDef> {
    let mut v = vec![ClientTestDef {
        id: "client.commit.by-the-shim",
        title: "two update commits of the shim: each accepted by the peer's every check, each with a fresh init key, the answer naming the epoch it creates",
        requirements: &["HRT-GRP-17", "HRT-GRP-18", "HRT-GRP-19", "HRT-GRP-21", "HRT-GRP-22"],
        run: by_the_shim,
    },
    ClientTestDef {
        id: "client.commit.replayed",
        title: "a peer's commit re-served as the next entry (chain recomputed) is rejected with wrong_epoch, then the channel is halted",
        requirements: &["HRT-GRP-30", "HRT-GRP-25", "HRT-GRP-43", "HRT-GRP-89"],
        run: replayed,
    }];
    v.extend(forged_defs());
    v
}

/// A forged commit of `g`'s current epoch: another update commit (discarded at once), forged.
fn forge(g: &mut Group, how: &Forge, roles: &Roles) -> Result<Vec<u8>, String> {
    if let Forge::Build(f) = how {
        return f(g);
    }
    let made = g.commit(Vec::new(), now()).map_err(|e| format!("{e:?}"))?;
    g.commit_conflict().map_err(|e| format!("{e:?}"))?;
    let c = Commit::decode(&made.commit).map_err(|e| format!("{e:?}"))?;
    let forged = match how {
        Forge::Signature => {
            let mut sig = c.signature;
            if let Some(x) = sig.0.first_mut() {
                *x ^= 0x01;
            }
            Commit {
                signature: sig,
                ..c
            }
        }
        Forge::Tag => {
            let mut tag = c.confirmation_tag;
            if let Some(x) = tag.0.first_mut() {
                *x ^= 0x01;
            }
            Commit {
                confirmation_tag: tag,
                ..c
            }
        }
        Forge::Raw(f) => {
            return f(&c, &made.commit).ok_or_else(|| "the commit is not shaped as expected".into())
        }
        Forge::Build(_) => return Err("handled above".into()),
        Forge::Resigned(f) => {
            // Read unverified only to alter it and sign it anew: nothing trusts it.
            let mut tbs: CommitTbs = c
                .unverified_tbs()
                .map_err(|e| format!("{e:?}"))?
                .as_unverified()
                .clone();
            f(&mut tbs, roles);
            let bytes = tbs.to_vec();
            let signature = g
                .danger_sign_commit_tbs(&bytes)
                .map_err(|e| format!("{e:?}"))?;
            Commit {
                tbs: SignedBytes::from_bytes(bytes),
                signature,
                confirmation_tag: c.confirmation_tag,
            }
        }
    };
    Ok(forged.to_vec())
}

/// What the shim commits must pass the peer's checks of §6.9 (which cover the committer's duties
/// HRT-GRP-18, -19, -21, -22), and each commit carries a new init key (HRT-GRP-17).
fn by_the_shim(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let mut s = join(&mut fx, 0)?;
    let url = fx.host()?.url().to_owned();
    let route = json!({"host": url, "channel": hex::encode(s.channel())});
    let mark = fx.host()?.proxy.mark();
    for i in 0..2 {
        let v = fx.ok("commit", json!({"conversation": s.conv, "route": route}))?;
        let ev = s.peer.sync();
        if let Some(bad) = ev
            .iter()
            .find(|e| matches!(e, hearth::conversation::Event::Rejected { .. }))
        {
            return Err(fx.fail(format!(
                "the peer refused the shim's commit {}: {bad:?}",
                i + 1
            )));
        }
        let peer_epoch = s
            .peer
            .conversations()
            .iter()
            .find(|c| c.handle() == s.handle)
            .and_then(|c| c.routes().first())
            .and_then(|r| r.group().epoch());
        if v.get("epoch").and_then(Value::as_u64) != peer_epoch {
            return Err(fx.fail(format!(
                "`commit` answered {v}, but the commit created epoch {peer_epoch:?} (Appendix B §91.6.8)"
            )));
        }
        fx.sync()?;
    }
    let recs = fx.host()?.proxy.records_since(mark);
    let init_keys: Vec<[u8; 32]> = recs
        .iter()
        .filter(|r| r.op == Some(Op::COMMIT_POST))
        .filter_map(|r| {
            let sr = SignedRequest::decode(&r.body).ok()?;
            // Only read (the init key each commit carries), never trusted: unverified.
            let req = sr.unverified_request().ok()?;
            match req.as_unverified().body().ok()? {
                RequestBody::CommitPost(b) => {
                    let tbs = b.commit.value().unverified_tbs().ok()?;
                    Some(tbs.as_unverified().init_key.as_x25519().ok()?.0)
                }
                _ => None,
            }
        })
        .collect();
    let distinct: std::collections::BTreeSet<_> = init_keys.iter().collect();
    if init_keys.len() != 2 || distinct.len() != 2 {
        return Err(fx.fail_with(
            format!(
                "expected two commit.post with two different init keys in CommitTBS key 7 (HRT-GRP-17); saw {} commits, {} distinct keys",
                init_keys.len(),
                distinct.len()
            ),
            &recs,
        ));
    }
    Ok(())
}

/// A second peer joins the session's channel as a member; returns its client.
fn add_member(fx: &mut Fixture, s: &mut Session) -> Result<Peer, Stop> {
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
    Ok(p1)
}

/// The shim's `commit.report` requests after `mark`: (seq, reason).
fn reports(recs: &[Recorded], channel: [u8; 16]) -> Vec<(u64, ErrorCode)> {
    recs.iter()
        .filter(|r| r.op == Some(Op::COMMIT_REPORT) && r.channel == Some(channel))
        .filter_map(|r| {
            let sr = SignedRequest::decode(&r.body).ok()?;
            let u = sr.unverified_request().ok()?;
            match u.as_unverified().body().ok()? {
                RequestBody::CommitReport(b) => Some((b.seq.0, b.reason)),
                _ => None,
            }
        })
        .collect()
}

fn forged(ctx: &mut ClientCtx<'_>, member: bool, how: Forge, code: ErrorCode) -> TestResult {
    let mut fx = start(ctx, 1, 2)?;
    let mut s = join(&mut fx, 0)?;
    let (h, r) = (s.handle, s.route.clone());
    let roles = Roles { admin: Leaf(0) };
    let mut other = if member {
        Some(add_member(&mut fx, &mut s)?)
    } else {
        None
    };
    let committer: &mut Peer = match other.as_mut() {
        Some(p) => p,
        None => &mut s.peer,
    };
    let Some(g) = committer.danger_group_mut(&h, &r) else {
        return Err(fx.fail("harness peer: no group for the channel"));
    };
    let bytes = forge(g, &how, &roles)
        .map_err(|e| fx.fail(format!("harness peer: forging the commit: {e}")))?;
    let (_, seq) = must(&fx, "commit", committer.commit(&h, &r, &[]))?;
    let _ = s.peer.sync();
    s.lie(&fx, Fault::ReplaceEntry { seq, bytes })?;
    halted_after(&mut fx, &mut s, seq, code)
}

/// The shim's next sync must reject the commit at `seq` with `code`, report it (required for
/// bad_confirmation_tag, HRT-GRP-88; with that code if at all, HRT-GRP-43), and halt the
/// channel: no later message opened, nothing posted to it (HRT-GRP-89).
fn halted_after(fx: &mut Fixture, s: &mut Session, seq: u64, code: ErrorCode) -> TestResult {
    let channel = s.channel();
    let mark = fx.host()?.proxy.mark();
    let events = fx.sync()?;
    let recs = fx.host()?.proxy.records_since(mark);
    let rej = expect_event(
        fx,
        &events,
        "rejected",
        Some(code),
        "a forged commit",
        &recs,
    )?;
    if rej.get("seq").and_then(Value::as_u64) != Some(seq) {
        return Err(fx.fail(format!(
            "the rejection names another seq than the commit's {seq}: {rej}"
        )));
    }
    let reps = reports(&recs, channel);
    let report_recs: Vec<Recorded> = recs
        .iter()
        .filter(|r| r.op == Some(Op::COMMIT_REPORT))
        .cloned()
        .collect();
    if reps.iter().any(|(sq, c)| *sq != seq || *c != code) {
        return Err(fx.fail_with(
            format!(
                "commit.report must name seq {seq} and reason {} ({}); the shim reported {reps:?}",
                code.name().unwrap_or("?"),
                code.0
            ),
            &report_recs,
        ));
    }
    if code == ErrorCode::BAD_CONFIRMATION_TAG && reps.is_empty() {
        return Err(fx.fail_with(
            "a commit rejected with bad_confirmation_tag must be reported with commit.report (HRT-GRP-88); the shim's sync posted none",
            &recs,
        ));
    }
    // HRT-GRP-89: no later entry processed, nothing posted.
    s.say(fx, "after the forged commit")?;
    let events = fx.sync()?;
    if events.iter().any(|e| {
        e.get("kind").and_then(Value::as_str) == Some("message")
            && e.get("route")
                .and_then(|r| r.get("channel"))
                .and_then(Value::as_str)
                == Some(hex::encode(channel).as_str())
    }) {
        return Err(fx.fail(format!(
            "after rejecting a commit the shim still processed a later message of the channel (HRT-GRP-89): {}",
            Value::Array(events)
        )));
    }
    let mark = fx.host()?.proxy.mark();
    let a = fx.call(
        "send",
        json!({"conversation": s.conv, "text": "must not be posted"}),
    )?;
    let posted: Vec<Recorded> = fx
        .host()?
        .proxy
        .records_since(mark)
        .into_iter()
        .filter(|r| {
            r.channel == Some(channel) && matches!(r.op, Some(Op::MSG_POST) | Some(Op::COMMIT_POST))
        })
        .collect();
    if !posted.is_empty() {
        return Err(fx.fail_with(
            "after rejecting a commit the shim posted to the channel (HRT-GRP-89)",
            &posted,
        ));
    }
    if let Answer::Ok(v) = a {
        return Err(fx.fail(format!(
            "`send` answered ok although the conversation's only channel is halted: {v}"
        )));
    }
    Ok(())
}

fn replayed(ctx: &mut ClientCtx<'_>) -> TestResult {
    let mut fx = start(ctx, 1, 1)?;
    let mut s = join(&mut fx, 0)?;
    let (h, r) = (s.handle, s.route.clone());
    let (_, seq) = must(&fx, "commit", s.peer.commit(&h, &r, &[]))?;
    s.lie(&fx, Fault::DuplicateEntry(seq))?;
    halted_after(&mut fx, &mut s, seq + 1, ErrorCode::WRONG_EPOCH)
}
