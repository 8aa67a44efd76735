//! Ops 7 `commit.post` (spec §8.5.8) and 8 `commit.report` (spec §8.5.9).
//!
//! The end-to-end parts of a commit (sealed secrets, CommitPrivate, the confirmation tag,
//! Welcome contents) are opaque to the host; it checks what §8.5.8 lists and keeps the
//! host-visible roster current with the roster rules of §6 (HRT-OP-1).

use std::collections::HashSet;

use crate::db::{params, OptionalExtension};
use hearth_crypto::hazmat::ed25519::{Signature, VerifyingKey};
use hearth_crypto::hazmat::label;
use hearth_crypto::hazmat::labelled::{bstr, verify_with_label};
use hearth_crypto::hazmat::x25519;
use hearth_wire::group::GroupOp;
use hearth_wire::request::{CommitPostBody, CommitPostResult};
use hearth_wire::WireDecode;
use hearth_wire::{ErrorCode, Role, WireEncode};

use super::{append_result, member, Ctx, OpResult, ADMIN};
use crate::host::Fail;
use crate::store::{self, Entry};

fn malformed() -> Fail {
    Fail::Detail(ErrorCode::INVALID_VALUE)
}

fn forbidden() -> Fail {
    Fail::Status(ErrorCode::FORBIDDEN)
}

/// Spec §6.7 well-formedness 6: an X25519 init key of small order. The sizes were checked by
/// the channel's suite before (HRT-API-72); of an X-Wing key the host checks nothing more.
fn small_order_x25519(key: &hearth_wire::KemPublic) -> bool {
    match key {
        hearth_wire::KemPublic::X25519(k) => x25519::PublicKey::from_bytes(k.0).is_small_order(),
        hearth_wire::KemPublic::XWing(_) => false,
    }
}

/// HRT-API-72, HRT-WIRE-30, HRT-WIRE-31: the KEM values of the CommitTBS and of every Welcome
/// have the sizes of the channel's suite (`malformed` / `wrong_size`), and the GroupInfo
/// ciphertext its bound (`malformed` / `length_exceeded`). Nothing is decrypted.
fn check_sizes(
    suite: hearth_wire::Suite,
    t: &hearth_wire::group::CommitTbs,
    b: &CommitPostBody,
) -> Result<(), Fail> {
    let detail = |e: hearth_wire::WireError| match e {
        hearth_wire::WireError::UnsupportedSuite => Fail::Status(ErrorCode::UNSUPPORTED_SUITE),
        other => Fail::Detail(other.code()),
    };
    t.check_suite(suite).map_err(detail)?;
    for w in b.welcomes.as_slice() {
        w.welcome.value().check_suite(suite).map_err(detail)?;
    }
    if let Some(gi) = &b.group_info_ct {
        hearth_wire::check_group_info_ct(gi.as_slice().len(), suite).map_err(detail)?;
    }
    Ok(())
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
    // HRT-API-72: the sizes of the channel's suite, after its suite check.
    // MUTANT ignore-suite-sizes (HRT-API-72): no size check.
    if !mutant!(cx.host, IgnoreSuiteSizes) {
        check_sizes(t.suite, t, b)?;
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

    // Check 6 (HRT-OP-35): well-formed ops (spec §6.7). An invalid RotateOp key's
    // bad_signature wins over every other failure of the check (HRT-OP-69).
    // MUTANT lenient-rotate (HRT-OP-69): the RotateOp key is judged in op order only.
    if !mutant!(cx.host, LenientRotate)
        && ops.iter().any(|o| {
            matches!(o, GroupOp::Rotate { member_key } if VerifyingKey::from_bytes(&member_key.0).is_err())
        })
    {
        return Err(Fail::Status(ErrorCode::BAD_SIGNATURE));
    }
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
                if crate::mutant::strict_rejects(cx.host.mutant(), &member_key.0) {
                    return Err(Fail::Status(ErrorCode::BAD_SIGNATURE));
                }
                // Known to the channel (HRT-OP-69): a roster key, a pending key, or a removed
                // key the host keeps (HRT-OP-67); an AddOp key of this commit is checked below.
                // MUTANT lenient-rotate (HRT-OP-69): removed keys are not known.
                let removed = !mutant!(cx.host, LenientRotate)
                    && store::removed(cx.conn, &cx.channel, &member_key.0, cx.now)?.is_some();
                if known.contains(&member_key.0)
                    || removed
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
                if small_order_x25519(init_key) {
                    return Err(malformed());
                }
                added.push(member_key.0);
            }
        }
    }
    if small_order_x25519(&t.init_key) {
        return Err(malformed());
    }
    if let Some(GroupOp::Rotate { member_key }) =
        ops.iter().find(|o| matches!(o, GroupOp::Rotate { .. }))
    {
        if added.contains(&member_key.0) {
            return Err(malformed());
        }
    }

    // Check 7 (HRT-OP-36): authorised by the host-visible roles. No leaf is special: the
    // creator can be removed and demoted (spec §6.7).
    // MUTANT keep-creator-mark (HRT-OP-65): leaf 0 is never removed or demoted.
    let leaf0_fixed = mutant!(cx.host, KeepCreatorMark);
    let is_admin = roster.get(committer).is_some_and(|e| e.role == ADMIN);
    for op in ops {
        match op {
            GroupOp::Remove { leaf } => {
                let l = usize::from(leaf.0);
                // No one removes itself.
                if l == committer || (leaf0_fixed && l == 0) {
                    return Err(forbidden());
                }
                // Removing a member that has left is open to every member.
                if !is_admin && !roster.get(l).is_some_and(|e| e.left) {
                    return Err(forbidden());
                }
            }
            GroupOp::Role { leaf, role } => {
                if !is_admin || (leaf0_fixed && leaf.0 == 0 && *role != Role::Admin) {
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
    // Every entry marked left is removed (spec §6.7 rule 4, HRT-OP-70).
    // MUTANT keep-left-members (HRT-OP-70): left entries may stay, as in the 1.0 draft.
    if !mutant!(cx.host, KeepLeftMembers) {
        let removes: HashSet<usize> = ops
            .iter()
            .filter_map(|o| match o {
                GroupOp::Remove { leaf } => Some(usize::from(leaf.0)),
                _ => None,
            })
            .collect();
        if roster
            .iter()
            .enumerate()
            .any(|(l, e)| e.left && !removes.contains(&l))
        {
            return Err(forbidden());
        }
    }
    for k in &added {
        if !store::is_pending(cx.conn, &cx.channel, k, cx.now)? {
            return Err(forbidden());
        }
    }
    // A recovery commit (spec §6.9.3, HRT-OP-71) names the latest commit and removes its
    // committer and every entry it added.
    // MUTANT ignore-recover (HRT-OP-71): key 11 is not checked.
    if let Some(s) = t.recover {
        if !mutant!(cx.host, IgnoreRecover) && !recovers_latest(cx, s.0, ops, roster.len())? {
            return Err(forbidden());
        }
    }

    // The new roster (spec §8.5 roster rules): roles and rotation in place, removes drop
    // entries keeping order, adds appended in op order.
    let mut next_entry: i64 = cx
        .conn
        .prepare_cached("SELECT next_entry FROM channels WHERE id = ?1")?
        .query_row(params![&cx.channel[..]], |r| r.get(0))?;
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
    // HRT-OP-67: each removed entry that had not left is kept as a removed member key with
    // the commit's seq and new epoch; a key added again is a member, not removed.
    for op in ops {
        if let GroupOp::Remove { leaf } = op {
            if let Some(e) = roster.get(usize::from(leaf.0)).filter(|e| !e.left) {
                cx.conn
                    .prepare_cached("INSERT INTO removed (channel, member_key, seq, epoch, at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (channel, member_key) DO UPDATE SET seq = excluded.seq, epoch = excluded.epoch, at = excluded.at")?
                    .execute(params![&cx.channel[..], &e.member_key[..], seq as i64, (ch.epoch + 1) as i64, cx.now as i64])?;
            }
        }
    }
    for k in &added {
        cx.conn
            .prepare_cached("DELETE FROM removed WHERE channel = ?1 AND member_key = ?2")?
            .execute(params![&cx.channel[..], &k[..]])?;
    }
    // Removed members lose all access, including a stored Welcome.
    cx.conn
        .prepare_cached(
            "DELETE FROM welcomes WHERE channel = ?1 AND member_key NOT IN (SELECT member_key FROM roster WHERE channel = ?1)",
        )?
        .execute(params![&cx.channel[..]])?;
    for w in b.welcomes.as_slice() {
        cx.conn
            .prepare_cached("INSERT INTO welcomes (channel, member_key, welcome, seq) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (channel, member_key) DO UPDATE SET welcome = excluded.welcome, seq = excluded.seq")?
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
        .execute(params![&cx.channel[..]])?;
    Ok(CommitPostResult {
        seq: hearth_wire::Seq(seq),
        head: hearth_wire::Hash(head),
        epoch: hearth_wire::Epoch(ch.epoch + 1),
    }
    .to_vec())
}

/// Whether a recovery commit naming `seq` names the channel's latest commit `B` and removes
/// `B`'s committer and every entry `B` added, as leaves of the current host-visible roster of
/// `n` entries (the roster after `B`, spec §6.9.3).
fn recovers_latest(cx: &Ctx<'_>, seq: u64, ops: &[GroupOp], n: usize) -> Result<bool, Fail> {
    let latest: Option<(i64, Vec<u8>)> = cx
        .conn
        .prepare_cached(
            "SELECT seq, bytes FROM log WHERE channel = ?1 AND kind = 1 ORDER BY seq DESC LIMIT 1",
        )?
        .query_row(params![&cx.channel[..]], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((b_seq, bytes)) = latest else {
        return Ok(false);
    };
    if b_seq as u64 != seq {
        return Ok(false);
    }
    // B was verified when it was accepted; its clear-text ops are all the host needs.
    let Ok(b) = hearth_wire::group::Commit::decode(&bytes) else {
        return Ok(false);
    };
    let Ok(b_tbs) = b.unverified_tbs_relayed() else {
        return Ok(false);
    };
    let b_tbs = b_tbs.as_unverified();
    let b_ops = b_tbs.ops.as_slice();
    let c = usize::from(b_tbs.committer.0);
    let before = b_ops
        .iter()
        .filter(|o| matches!(o, GroupOp::Remove { leaf } if usize::from(leaf.0) < c))
        .count();
    let adds = b_ops
        .iter()
        .filter(|o| matches!(o, GroupOp::Add { .. }))
        .count();
    let mut must: Vec<usize> = (n.saturating_sub(adds)..n).collect();
    must.push(c.saturating_sub(before));
    let removes: HashSet<usize> = ops
        .iter()
        .filter_map(|o| match o {
            GroupOp::Remove { leaf } => Some(usize::from(leaf.0)),
            _ => None,
        })
        .collect();
    Ok(must.iter().all(|l| removes.contains(l)))
}

/// Op 8 (HRT-OP-43): a member's report, logged as the exact SignedRequest bytes.
pub fn report(cx: &Ctx<'_>) -> OpResult {
    member(cx)?;
    let (seq, head) = store::append(cx.conn, &cx.channel, 4, &cx.job.raw, cx.now)?;
    Ok(append_result(seq, &head))
}
