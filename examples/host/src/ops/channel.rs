//! Ops 1 `channel.create` (spec §8.5.2) and 2 `channel.delete` (spec §8.5.3).

use crate::db::params;
use hearth_crypto::hazmat::ed25519::{Signature, VerifyingKey};
use hearth_crypto::hazmat::label;
use hearth_crypto::hazmat::labelled::verify_with_label;
use hearth_wire::request::ChannelCreateBody;
use hearth_wire::ErrorCode;

use super::{append_result, empty, member, Ctx, OpResult, ADMIN};
use crate::host::{Fail, Host, Job};
use crate::store;

/// Op 1. Step 13 makes no check; the checks of §8.5.2 in order, then the effect (HRT-OP-9).
pub fn create(cx: &Ctx<'_>, b: &ChannelCreateBody) -> OpResult {
    // Check 1 (HRT-OP-5, HRT-API-74): a suite the host lists, never another in its place.
    if !crate::host::accepted_suites(cx.host.config.limits.max_request).contains(&b.suite) {
        return Err(Fail::Status(ErrorCode::UNSUPPORTED_SUITE));
    }
    // Check 2 (HRT-OP-6): owner_sig under one configured owner key.
    let owner = verified_owner(cx.host, cx.job, b);
    // MUTANT no-owner-check (HRT-OP-6): the first owner key is credited.
    let owner = owner.or_else(|| {
        mutant!(cx.host, NoOwnerCheck)
            .then(|| cx.host.config.owner_keys.first())
            .flatten()
    });
    let Some(owner) = owner else {
        return Err(Fail::Status(ErrorCode::FORBIDDEN));
    };
    // Check 3 (HRT-OP-7): the id is free.
    if store::channel(cx.conn, &cx.channel)?.is_some() {
        return Err(Fail::Status(ErrorCode::CONFLICT));
    }
    // Check 4 (HRT-OP-8): channels that exist now under the owner key (deleted ones are gone).
    let n: i64 = cx
        .conn
        .prepare_cached("SELECT COUNT(*) FROM channels WHERE owner_key = ?1")?
        .query_row(params![&owner.as_bytes()[..]], |r| r.get(0))?;
    if n as u64 >= cx.host.config.limits.max_channels {
        return Err(Fail::Status(ErrorCode::LIMIT_EXCEEDED));
    }
    // Effect (HRT-OP-9): epoch 0, one admin entry with the creator mark, entry 1 of kind
    // create holding the exact SignedRequest bytes.
    cx.conn
        .prepare_cached(
            "INSERT INTO channels (id, suite, epoch, tip, head, owner_key, next_entry) VALUES (?1, ?2, 0, 0, ?4, ?3, 1)",
        )?
        .execute(params![&cx.channel[..], i64::from(b.suite.0), &owner.as_bytes()[..], head_0(cx)])?;
    store::write_roster(
        cx.conn,
        &cx.channel,
        &[store::Entry {
            entry_id: 0,
            member_key: cx.job.key,
            role: ADMIN,
            creator: true,
            left: false,
        }],
    )?;
    let (seq, head) = store::append(cx.conn, &cx.channel, 0, &cx.job.raw, cx.now)?;
    Ok(append_result(seq, &head))
}

/// The configured owner key under which `owner_sig = SignWithLabel(IK_owner, "create",
/// [host_url, channel_id, key])` verifies (HRT-OP-6); it also makes the caller entitled for the
/// nonce store (spec §8.3.3).
pub fn verified_owner<'h>(
    host: &'h Host,
    job: &Job,
    b: &ChannelCreateBody,
) -> Option<&'h VerifyingKey> {
    let sig = Signature::from_bytes(&b.owner_signature.0);
    let url = job.request.host_url.as_str();
    let channel = job.channel();
    host.config.owner_keys.iter().find(|ik| {
        verify_with_label(
            ik,
            label::CREATE,
            |e| {
                e.array(3).text(url).bytes(&channel).bytes(&job.key);
            },
            &sig,
        )
        .is_ok()
    })
}

/// `head_0 = h''` (HRT-LOG-7).
fn head_0(cx: &Ctx<'_>) -> &'static [u8] {
    // MUTANT break-hash-chain (HRT-LOG-7): the chain starts from 32 zero bytes.
    if mutant!(cx.host, BreakHashChain) {
        return &[0; 32];
    }
    &[]
}

/// Op 2: an admin deletes the channel and all its state (HRT-OP-65, HRT-OP-11). Nonce
/// store entries stay.
pub fn delete(cx: &Ctx<'_>) -> OpResult {
    let (_, _, me) = member(cx)?;
    // Check 1 (HRT-OP-65): the delete right is the admin role's.
    // MUTANT keep-creator-mark (HRT-OP-65): only the creator deletes, as in the 1.0 draft.
    let allowed = if mutant!(cx.host, KeepCreatorMark) {
        me.creator
    } else {
        me.role == ADMIN
    };
    if !allowed {
        return Err(Fail::Status(ErrorCode::FORBIDDEN));
    }
    for table in [
        "log",
        "roster",
        "invites",
        "revoked_invites",
        "pending",
        "welcomes",
        "group_infos",
        "blobs",
        "removed",
    ] {
        cx.conn
            .prepare_cached(&format!("DELETE FROM {table} WHERE channel = ?1"))?
            .execute(params![&cx.channel[..]])?;
    }
    cx.conn
        .prepare_cached("DELETE FROM channels WHERE id = ?1")?
        .execute(params![&cx.channel[..]])?;
    Ok(empty())
}
