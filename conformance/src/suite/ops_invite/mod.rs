//! Spec §8.5.4 to §8.5.7: `invite.create`, `invite.revoke`, `invite.redeem`, `join.fetch`.
//!
//! The table of tests is here (in run order); their bodies are in one file per op.

use crate::suite::HostTestDef;

mod create;
mod join_fetch;
mod redeem;
mod revoke;

/// The tests of this module.
pub fn tests() -> Vec<HostTestDef> {
    vec![
        t!(
            "host.op.invite-create.non-admin",
            "invite.create by a plain member -> forbidden",
            ["HRT-OP-12"],
            create::create_non_admin
        ),
        t!(
            "host.op.invite-create.conflict",
            "an invite id already stored (unused or used) -> conflict",
            ["HRT-OP-13"],
            create::create_conflict
        ),
        t!(
            "host.op.invite-create.expiry-bounds",
            "expires in the past or beyond 30 days -> malformed/invalid_value",
            ["HRT-OP-14"],
            create::create_expiry
        ),
        t!(
            "host.op.invite-create.weak-auth-key",
            "a small-order invite_auth key -> bad_signature",
            ["HRT-OP-15", "HRT-KEY-23"],
            create::create_weak_key
        ),
        t!(
            "host.op.invite-create.check-order",
            "forbidden before conflict before invalid expiry",
            ["HRT-API-15", "HRT-OP-12", "HRT-OP-13"],
            create::create_order
        ),
        t!(
            "host.op.invite-create.max-invites",
            "beyond max_invites pending invites -> limit_exceeded",
            ["HRT-OP-16", "HRT-API-45"],
            create::create_max
        ),
        t!(
            "host.op.invite-revoke.unused",
            "revoking an unused invite deletes it; later revoke/redeem find nothing",
            ["HRT-OP-18", "HRT-OP-20"],
            revoke::revoke_unused
        ),
        t!(
            "host.op.invite-revoke.forbidden",
            "a plain member revoking another's invite -> forbidden",
            ["HRT-OP-17"],
            revoke::revoke_forbidden
        ),
        t!(
            "host.op.invite-revoke.used-added",
            "revoking an invite whose joiner was added -> invite_used",
            ["HRT-OP-19"],
            revoke::revoke_added
        ),
        t!(
            "host.op.invite-revoke.decline-pending",
            "revoking a pending join deletes it, the invite stays used",
            ["HRT-OP-59", "HRT-INV-60", "HRT-OP-36"],
            revoke::revoke_pending
        ),
        t!(
            "host.op.invite-redeem.ok",
            "a redeem stores the PendingJoin with the exact sealed bytes",
            ["HRT-OP-27", "HRT-OP-29"],
            redeem::redeem_ok
        ),
        t!(
            "host.op.invite-redeem.not-found",
            "missing channel, unknown invite, wrong auth key -> uniform not_found",
            ["HRT-OP-20", "HRT-API-34"],
            redeem::redeem_not_found
        ),
        t!(
            "host.op.invite-redeem.used",
            "a second redeem -> invite_used",
            ["HRT-OP-21", "HRT-INV-60"],
            redeem::redeem_used
        ),
        t!(
            "host.op.invite-redeem.expired",
            "an expired unused invite -> invite_expired; a used one stays invite_used",
            ["HRT-OP-22", "HRT-OP-21"],
            redeem::redeem_expired
        ),
        t!(
            "host.op.invite-redeem.weak-member-key",
            "a small-order MK or a bad pop -> bad_signature",
            ["HRT-OP-23", "HRT-KEY-23"],
            redeem::redeem_bad_mk
        ),
        t!(
            "host.op.invite-redeem.conflict",
            "MK already a member or pending -> conflict",
            ["HRT-OP-24"],
            redeem::redeem_conflict
        ),
        t!(
            "host.op.invite-redeem.max-pending",
            "beyond max_pending pending joins -> limit_exceeded",
            ["HRT-OP-25", "HRT-API-45"],
            redeem::redeem_max_pending
        ),
        t!(
            "host.op.invite-redeem.concurrent",
            "20 parallel redeems of one invite: exactly one ok, the rest invite_used",
            ["HRT-OP-26"],
            redeem::redeem_concurrent
        ),
        t!(
            "host.op.join-fetch.non-admin",
            "join.fetch by a plain member -> forbidden",
            ["HRT-OP-28"],
            join_fetch::join_fetch_non_admin
        ),
        t!(
            "host.op.invite-create.revoked-id",
            "the id of an invite revoked while unused is never assigned again -> conflict",
            ["HRT-OP-61", "HRT-OP-13"],
            create::create_revoked_id
        ),
        t!(
            "host.op.invite-revoke.declined",
            "revoking a declined invite -> invite_used, no effect; a redeem stays invite_used",
            ["HRT-OP-62", "HRT-INV-60"],
            revoke::revoke_declined
        ),
        t!(
            "host.op.join-fetch.order-and-removal",
            "pending joins in redemption order; added ones disappear",
            ["HRT-OP-29", "HRT-OP-42"],
            join_fetch::join_fetch_order
        ),
    ]
}
