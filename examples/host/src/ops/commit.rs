//! Ops 7 `commit.post` (spec §8.5.8) and 8 `commit.report` (spec §8.5.9).
//!
//! The end-to-end parts of a commit (sealed secrets, CommitPrivate, the confirmation tag,
//! Welcome contents) are opaque to the host; it checks what §8.5.8 lists and keeps the
//! host-visible roster current with the roster rules of §6 (HRT-OP-1).

use std::collections::HashSet;

use hearth_crypto::ed25519::{Signature, VerifyingKey};
use hearth_crypto::label;
use hearth_crypto::labelled::{bstr, verify_with_label};
use hearth_crypto::x25519;
use hearth_wire::group::GroupOp;
use hearth_wire::request::CommitPostBody;
use hearth_wire::{Encoder, ErrorCode, Role};
use rusqlite::params;

use super::{append_result, member, Ctx, OpResult, ADMIN};
use crate::handler::Fail;
use crate::store::{self, Entry};

fn malformed() -> Fail {
    Fail::Detail(ErrorCode::INVALID_VALUE)
}

fn forbidden() -> Fail {
    Fail::Status(ErrorCode::FORBIDDEN)
}

/// Spec §6.7 well-formedness 6: an init key of small order.
fn small_order_x25519(key: &[u8; 32]) -> bool {
    x25519::PublicKey::from_bytes(*key).is_small_order()
}

fn role_u8(r: Role) -> u8 {
    match r {
        Role::Member => 0,
        Role::Admin => 1,
    }
}

/// Op 7.
pub fn post(cx: &Ctx<'_>, b: &CommitPostBody) -> OpResult {
    let (ch, _, _me) = member(cx)?;
    let Some(tbs) = cx.job.tbs.as_ref() else {
        return Err(malformed());
    };
    // Read only what is needed to find and check the signer until check 5 (HRT-WIRE-20).
    let t = tbs.as_unverified();
    // Check 1 (HRT-OP-30): the TBS names this channel.
    if t.channel_id.0 != cx.channel {
        return Err(malformed());
    }
    // Check 2 (HRT-OP-31): the channel's suite.
    if t.suite.0 != ch.suite {
        return Err(Fail::Status(ErrorCode::UNSUPPORTED_SUITE));
    }
    // Check 3 (HRT-OP-32): the current epoch.
    // MUTANT accept-stale-epoch (HRT-OP-32): no check.
    if t.epoch.0 != ch.epoch && !mutant!(cx.host, AcceptStaleEpoch) {
        return Err(Fail::Status(ErrorCode::EPOCH_CONFLICT));
    }
    // Check 4 (HRT-OP-33): the committer leaf holds the request's key.
    let roster = store::roster(cx.conn, &cx.channel)?;
    let committer = usize::from(t.committer.0);
    match roster.get(committer) {
        Some(e) if e.member_key == cx.job.key => {}
        _ => return Err(forbidden()),
    }
    // Check 5 (HRT-OP-34): VerifyWithLabel(key, "commit", tbs_bytes) over the exact bytes.
    let commit = b.commit.value();
    let vk = VerifyingKey::from_bytes(&cx.job.key)
        .map_err(|_| Fail::Status(ErrorCode::BAD_SIGNATURE))?;
    verify_with_label(
        &vk,
        label::COMMIT,
        bstr(commit.tbs.as_bytes()),
        &Signature::from_bytes(&commit.signature.0),
    )
    .map_err(|_| Fail::Status(ErrorCode::BAD_SIGNATURE))?;
    let t = tbs.clone().danger_assume_verified();
    let ops = t.ops.as_slice();

    // Check 6 (HRT-OP-35): well-formed ops (spec §6.7).
    let n = roster.len();
    let mut touched = HashSet::new();
    let (mut rotates, mut exts) = (0, 0);
    let mut added: Vec<[u8; 32]> = Vec::new();
    let known: HashSet<[u8; 32]> = roster.iter().map(|e| e.member_key).collect();
    for op in ops {
        match op {
            GroupOp::Remove { leaf } | GroupOp::Role { leaf, .. } => {
                let l = usize::from(leaf.0);
                if l >= n || !touched.insert(l) {
                    return Err(malformed());
                }
            }
            GroupOp::Rotate { member_key } => {
                rotates += 1;
                if rotates > 1 {
                    return Err(malformed());
                }
                // A RotateOp key valid under §3 (bad_signature) and not known to the channel.
                if VerifyingKey::from_bytes(&member_key.0).is_err() {
                    return Err(Fail::Status(ErrorCode::BAD_SIGNATURE));
                }
                // Variant strict-verifier (HRT-KEY-29): a mixed-order key is rejected too.
                #[cfg(feature = "mutants")]
                if crate::mutant::strict_rejects(cx.host, &member_key.0) {
                    return Err(Fail::Status(ErrorCode::BAD_SIGNATURE));
                }
                if known.contains(&member_key.0)
                    || store::is_pending(cx.conn, &cx.channel, &member_key.0, cx.now)?
                {
                    return Err(malformed());
                }
            }
            GroupOp::Ext(_) => {
                exts += 1;
                if exts > 1 {
                    return Err(malformed());
                }
            }
            GroupOp::Add {
                member_key,
                init_key,
                ..
            } => {
                if known.contains(&member_key.0) || added.contains(&member_key.0) {
                    return Err(malformed());
                }
                if small_order_x25519(&init_key.0) {
                    return Err(malformed());
                }
                added.push(member_key.0);
            }
        }
    }
    if small_order_x25519(&t.init_key.0) {
        return Err(malformed());
    }
    if let Some(GroupOp::Rotate { member_key }) =
        ops.iter().find(|o| matches!(o, GroupOp::Rotate { .. }))
    {
        if added.contains(&member_key.0) {
            return Err(malformed());
        }
    }

    // Check 7 (HRT-OP-36): authorised by the host-visible roles.
    let is_admin = roster.get(committer).is_some_and(|e| e.role == ADMIN);
    for op in ops {
        match op {
            GroupOp::Remove { leaf } => {
                let l = usize::from(leaf.0);
                // No one removes itself; leaf 0 (the creator) is never removed.
                if l == committer || l == 0 {
                    return Err(forbidden());
                }
                // Removing a member that has left is open to every member.
                if !is_admin && !roster.get(l).is_some_and(|e| e.left) {
                    return Err(forbidden());
                }
            }
            GroupOp::Role { leaf, role } => {
                if !is_admin || (leaf.0 == 0 && *role != Role::Admin) {
                    return Err(forbidden());
                }
            }
            GroupOp::Rotate { .. } => {}
            GroupOp::Ext(_) | GroupOp::Add { .. } => {
                if !is_admin {
                    return Err(forbidden());
                }
            }
        }
    }
    for k in &added {
        if !store::is_pending(cx.conn, &cx.channel, k, cx.now)? {
            return Err(forbidden());
        }
    }

    // The new roster (spec §8.5 roster rules): roles and rotation in place, removes drop
    // entries keeping order, adds appended in op order.
    let mut next_entry: i64 = cx
        .conn
        .prepare_cached("SELECT next_entry FROM channels WHERE id = ?1")?
        .query_row([&cx.channel[..]], |r| r.get(0))?;
    let mut new: Vec<Option<Entry>> = roster.iter().cloned().map(Some).collect();
    for op in ops {
        match op {
            GroupOp::Role { leaf, role } => {
                if let Some(Some(e)) = new.get_mut(usize::from(leaf.0)) {
                    e.role = role_u8(*role);
                }
            }
            GroupOp::Rotate { member_key } => {
                if let Some(Some(e)) = new.get_mut(committer) {
                    e.member_key = member_key.0;
                }
            }
            GroupOp::Remove { leaf } => {
                if let Some(slot) = new.get_mut(usize::from(leaf.0)) {
                    *slot = None;
                }
            }
            _ => {}
        }
    }
    let mut new: Vec<Entry> = new.into_iter().flatten().collect();
    for op in ops {
        if let GroupOp::Add {
            member_key, role, ..
        } = op
        {
            new.push(Entry {
                entry_id: next_entry,
                member_key: member_key.0,
                role: role_u8(*role),
                creator: false,
                left: false,
            });
            next_entry += 1;
        }
    }

    // Check 8 (HRT-OP-37, HRT-OP-38): at most max_members, at least one admin.
    if new.len() as u64 > cx.host.config.limits.max_members {
        return Err(Fail::Status(ErrorCode::LIMIT_EXCEEDED));
    }
    if !new.iter().any(|e| e.role == ADMIN) {
        return Err(forbidden());
    }
    // Check 9 (HRT-OP-39): one sealed secret per remaining member.
    let remaining = new.len().saturating_sub(1 + added.len());
    if t.sealed.len() != remaining {
        return Err(malformed());
    }
    // Check 10 (HRT-OP-40): exactly one Welcome per added key, and none for another key;
    // (HRT-OP-63) the shared GroupInfo ciphertext exactly when there are Welcomes.
    let mut welcomed = HashSet::new();
    for w in b.welcomes.as_slice() {
        if !added.contains(&w.member_key.0) || !welcomed.insert(w.member_key.0) {
            return Err(malformed());
        }
    }
    if welcomed.len() != added.len() || b.group_info_ct.is_some() == welcomed.is_empty() {
        return Err(malformed());
    }

    // Effect (HRT-OP-41, HRT-OP-42), one transaction: the conditional epoch advance first.
    let advanced = cx
        .conn
        .prepare_cached(
            "UPDATE channels SET epoch = epoch + 1, next_entry = ?3 WHERE id = ?1 AND epoch = ?2",
        )?
        .execute(params![&cx.channel[..], ch.epoch as i64, next_entry])?;
    if advanced != 1 {
        return Err(Fail::Status(ErrorCode::EPOCH_CONFLICT));
    }
    store::write_roster(cx.conn, &cx.channel, &new)?;
    for k in &added {
        cx.conn
            .prepare_cached("DELETE FROM pending WHERE channel = ?1 AND member_key = ?2")?
            .execute(params![&cx.channel[..], &k[..]])?;
    }
    let (seq, head) = store::append(cx.conn, &cx.channel, 1, b.commit.as_bytes(), cx.now)?;
    // Removed members lose all access, including a stored Welcome.
    cx.conn
        .prepare_cached(
            "DELETE FROM welcomes WHERE channel = ?1 AND member_key NOT IN (SELECT member_key FROM roster WHERE channel = ?1)",
        )?
        .execute([&cx.channel[..]])?;
    for w in b.welcomes.as_slice() {
        cx.conn
            .prepare_cached("INSERT OR REPLACE INTO welcomes (channel, member_key, welcome, seq) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![&cx.channel[..], &w.member_key.0[..], w.welcome.as_bytes(), seq as i64])?;
    }
    // HRT-OP-42, HRT-OP-64: the GroupInfo ciphertext once per commit; one no Welcome refers to
    // any more (its joiners were added again, or removed) is dropped.
    if let Some(gi) = &b.group_info_ct {
        cx.conn
            .prepare_cached("INSERT INTO group_infos (channel, seq, ct) VALUES (?1, ?2, ?3)")?
            .execute(params![&cx.channel[..], seq as i64, gi.as_slice()])?;
    }
    cx.conn
        .prepare_cached(
            "DELETE FROM group_infos WHERE channel = ?1 AND seq NOT IN (SELECT seq FROM welcomes WHERE channel = ?1)",
        )?
        .execute([&cx.channel[..]])?;
    let mut e = Encoder::new();
    e.map(3)
        .uint(1)
        .uint(seq)
        .uint(2)
        .bytes(&head)
        .uint(3)
        .uint(ch.epoch + 1);
    Ok(e.into_bytes())
}

/// Op 8 (HRT-OP-43): a member's report, logged as the exact SignedRequest bytes.
pub fn report(cx: &Ctx<'_>) -> OpResult {
    member(cx)?;
    let (seq, head) = store::append(cx.conn, &cx.channel, 4, &cx.job.raw, cx.now)?;
    Ok(append_result(seq, &head))
}
