//! Ops 3 `invite.create` (§8.5.4), 4 `invite.revoke` (§8.5.5), 5 `invite.redeem` (§8.5.6) and
//! 6 `join.fetch` (§8.5.7).

use crate::db::{params, OptionalExtension};
use hearth_crypto::hazmat::ed25519::{Signature, VerifyingKey};
use hearth_crypto::hazmat::labelled::verify_with_label;
use hearth_wire::request::{InviteCreateBody, InviteRedeemBody, InviteRevokeBody};
use hearth_wire::{Encoder, ErrorCode, WireEncode};

use super::{empty, member, Ctx, OpResult, ADMIN};
use crate::host::Fail;
use crate::store::{self, PENDING_KEEP_SECS};

/// The longest invite lifetime (HRT-OP-14).
pub const MAX_INVITE_SECS: u64 = 2_592_000;

/// Op 3.
pub fn create(cx: &Ctx<'_>, b: &InviteCreateBody) -> OpResult {
    let (_, _, me) = member(cx)?;
    // Check 1 (HRT-OP-12): admin.
    if me.role != ADMIN {
        return Err(Fail::Status(ErrorCode::FORBIDDEN));
    }
    // Check 2 (HRT-OP-13, HRT-OP-61): the id is not stored, whatever its state, revoked
    // included.
    let exists: Option<i64> = cx
        .conn
        .prepare_cached(
            "SELECT 1 FROM invites WHERE channel = ?1 AND invite_id = ?2
             UNION ALL SELECT 1 FROM revoked_invites WHERE channel = ?1 AND invite_id = ?2",
        )?
        .query_row(params![&cx.channel[..], &b.invite_id.0[..]], |r| r.get(0))
        .optional()?;
    if exists.is_some() {
        return Err(Fail::Status(ErrorCode::CONFLICT));
    }
    // Check 3 (HRT-OP-14): now < expires <= now + 30 days.
    let exp = b.expires.0;
    if exp <= cx.now || exp > cx.now.saturating_add(MAX_INVITE_SECS) {
        return Err(Fail::Detail(ErrorCode::INVALID_VALUE));
    }
    // Check 4 (HRT-OP-15): a valid Ed25519 invite_auth key.
    if VerifyingKey::from_bytes(&b.invite_auth.0).is_err() {
        return Err(Fail::Status(ErrorCode::BAD_SIGNATURE));
    }
    // Variant strict-verifier (HRT-KEY-29): a mixed-order key is rejected too.
    #[cfg(feature = "mutants")]
    if crate::mutant::strict_rejects(cx.host.mutant(), &b.invite_auth.0) {
        return Err(Fail::Status(ErrorCode::BAD_SIGNATURE));
    }
    // Check 5 (HRT-OP-16): pending invites (unused, unrevoked, unexpired) below max_invites.
    let n: i64 = cx
        .conn
        .prepare_cached(
            "SELECT COUNT(*) FROM invites WHERE channel = ?1 AND used = 0 AND expires >= ?2",
        )?
        .query_row(params![&cx.channel[..], cx.now as i64], |r| r.get(0))?;
    if n as u64 >= cx.host.config.limits.max_invites {
        return Err(Fail::Status(ErrorCode::LIMIT_EXCEEDED));
    }
    cx.conn
        .prepare_cached(
            "INSERT INTO invites (channel, invite_id, auth_key, expires, creator_entry, used) VALUES (?1, ?2, ?3, ?4, ?5, 0)",
        )?
        .execute(params![
            &cx.channel[..],
            &b.invite_id.0[..],
            &b.invite_auth.0[..],
            exp as i64,
            me.entry_id
        ])?;
    Ok(empty())
}

/// Op 4.
pub fn revoke(cx: &Ctx<'_>, b: &InviteRevokeBody) -> OpResult {
    let (_, _, me) = member(cx)?;
    let id = &b.invite_id.0[..];
    let invite: Option<(i64, i64)> = cx
        .conn
        .prepare_cached(
            "SELECT creator_entry, used FROM invites WHERE channel = ?1 AND invite_id = ?2",
        )?
        .query_row(params![&cx.channel[..], id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    // Check 1 (HRT-OP-17): admin, or the entry that created an invite with this id.
    let created_it = invite.is_some_and(|(creator, _)| creator == me.entry_id);
    if me.role != ADMIN && !created_it {
        return Err(Fail::Status(ErrorCode::FORBIDDEN));
    }
    // Check 2 (HRT-OP-18): the invite exists.
    let Some((_, used)) = invite else {
        return Err(Fail::Status(ErrorCode::NOT_FOUND));
    };
    if used == 0 {
        // An unused invite (expired or not) becomes revoked: only its id is kept (HRT-OP-61).
        cx.conn
            .prepare_cached("DELETE FROM invites WHERE channel = ?1 AND invite_id = ?2")?
            .execute(params![&cx.channel[..], id])?;
        cx.conn
            .prepare_cached(
                "INSERT INTO revoked_invites (channel, invite_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            )?
            .execute(params![&cx.channel[..], id])?;
        return Ok(empty());
    }
    // Check 3 (HRT-OP-19, HRT-OP-59, HRT-OP-62): a redeemed invite whose joiner is still
    // pending is a declined join; once the join was added, declined or dropped it is
    // invite_used and nothing changes.
    let cutoff = cx.now.saturating_sub(PENDING_KEEP_SECS) as i64;
    let n = cx
        .conn
        .prepare_cached(
            "DELETE FROM pending WHERE channel = ?1 AND invite_id = ?2 AND redeemed_at >= ?3",
        )?
        .execute(params![&cx.channel[..], id, cutoff])?;
    if n == 0 {
        return Err(Fail::Status(ErrorCode::INVITE_USED));
    }
    Ok(empty())
}

/// Op 5, signed by the invite_auth key.
pub fn redeem(cx: &Ctx<'_>, b: &InviteRedeemBody) -> OpResult {
    let id = &b.invite_id.0[..];
    // Step 13 (HRT-OP-20): channel, invite, and key = invite_auth, else uniform not_found.
    if store::channel(cx.conn, &cx.channel)?.is_none() {
        return Err(Fail::NotFound);
    }
    let invite: Option<(Vec<u8>, i64, i64)> = cx
        .conn
        .prepare_cached(
            "SELECT auth_key, expires, used FROM invites WHERE channel = ?1 AND invite_id = ?2",
        )?
        .query_row(params![&cx.channel[..], id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((auth, expires, used)) = invite else {
        return Err(Fail::NotFound);
    };
    if auth != cx.job.key {
        return Err(Fail::NotFound);
    }
    // Check 1 (HRT-OP-21): unused (checked before expiry: one stable answer).
    // MUTANT double-redeem (HRT-OP-21): no check.
    if used != 0 && !mutant!(cx.host, DoubleRedeem) {
        return Err(Fail::Status(ErrorCode::INVITE_USED));
    }
    // Check 2 (HRT-OP-22): not expired (now <= expires).
    if cx.now as i64 > expires {
        return Err(Fail::Status(ErrorCode::INVITE_EXPIRED));
    }
    // Checks 3 and 4 (HRT-OP-23): MK valid, pop = SignWithLabel(MK, "redeem", [host_url,
    // channel_id, invite_id, key]).
    let mk = VerifyingKey::from_bytes(&b.member_key.0)
        .map_err(|_| Fail::Status(ErrorCode::BAD_SIGNATURE))?;
    // Variant strict-verifier (HRT-KEY-29): a mixed-order key is rejected too.
    #[cfg(feature = "mutants")]
    if crate::mutant::strict_rejects(cx.host.mutant(), &b.member_key.0) {
        return Err(Fail::Status(ErrorCode::BAD_SIGNATURE));
    }
    let url = cx.job.request.host_url.as_str();
    verify_with_label(
        &mk,
        hearth_crypto::invite::REDEEM_POP_LABEL,
        hearth_crypto::invite::redeem_pop_content(url, &cx.channel, id, &cx.job.key),
        &Signature::from_bytes(&b.pop.0),
    )
    .map_err(|_| Fail::Status(ErrorCode::BAD_SIGNATURE))?;
    // Check 5 (HRT-OP-24): MK is not in the roster (active or left) nor pending.
    if store::entry_by_key(cx.conn, &cx.channel, &b.member_key.0)?.is_some()
        || store::is_pending(cx.conn, &cx.channel, &b.member_key.0, cx.now)?
    {
        return Err(Fail::Status(ErrorCode::CONFLICT));
    }
    // Check 6 (HRT-OP-25): pending joins below max_pending.
    if store::pending_count(cx.conn, &cx.channel, cx.now)? >= cx.host.config.limits.max_pending {
        return Err(Fail::Status(ErrorCode::LIMIT_EXCEEDED));
    }
    // Effect (HRT-OP-26): one conditional update flips the invite; zero rows is invite_used.
    let flip = if mutant!(cx.host, DoubleRedeem) {
        // MUTANT double-redeem (HRT-OP-26): the flip is not conditional.
        "UPDATE invites SET used = 1 WHERE channel = ?1 AND invite_id = ?2"
    } else {
        "UPDATE invites SET used = 1 WHERE channel = ?1 AND invite_id = ?2 AND used = 0"
    };
    let flipped = cx
        .conn
        .prepare_cached(flip)?
        .execute(params![&cx.channel[..], id])?;
    if flipped != 1 {
        return Err(Fail::Status(ErrorCode::INVITE_USED));
    }
    // HRT-OP-27: the PendingJoin with the received sealed value and our clock. Expired
    // leftovers for this key are dropped first (HRT-OP-60).
    cx.conn
        .prepare_cached("DELETE FROM pending WHERE channel = ?1 AND member_key = ?2")?
        .execute(params![&cx.channel[..], &b.member_key.0[..]])?;
    cx.conn
        .prepare_cached(
            "INSERT INTO pending (channel, invite_id, member_key, sealed, redeemed_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            &cx.channel[..],
            id,
            &b.member_key.0[..],
            b.sealed.to_vec(),
            cx.now as i64
        ])?;
    Ok(empty())
}

/// Op 6 (HRT-OP-28, HRT-OP-29): admins list the pending joins in redemption order.
pub fn join_fetch(cx: &Ctx<'_>) -> OpResult {
    let (_, _, me) = member(cx)?;
    if me.role != ADMIN {
        return Err(Fail::Status(ErrorCode::FORBIDDEN));
    }
    let cutoff = cx.now.saturating_sub(PENDING_KEEP_SECS) as i64;
    let st = cx.conn.prepare_cached(
        "SELECT invite_id, member_key, sealed, redeemed_at FROM pending WHERE channel = ?1 AND redeemed_at >= ?2 ORDER BY id",
    )?;
    let rows = st
        .query_map(params![&cx.channel[..], cutoff], |r| {
            Ok((
                r.get::<Vec<u8>>(0)?,
                r.get::<Vec<u8>>(1)?,
                r.get::<Vec<u8>>(2)?,
                r.get::<i64>(3)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut e = Encoder::new();
    e.map(1).uint(1).array(rows.len());
    for (id, mk, sealed, at) in &rows {
        // PendingJoin = [invite-id, member-key, sealed, redeemed-at]; `sealed` is the
        // canonical encoding stored at redemption.
        e.array(4).bytes(id).bytes(mk).raw(sealed).uint(*at as u64);
    }
    Ok(e.into_bytes())
}
