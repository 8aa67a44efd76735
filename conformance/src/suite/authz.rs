//! Spec §8.3.4, Table 8.3.4 (HRT-API-83): every op asked by a key in every caller state, the
//! expected status read from the specification's own table, not restated here.
//!
//! The table is compiled in from `spec/08-host-api.md` and parsed when the tests are listed, so
//! a change to the table changes what the suite expects. Each op is one test on a fresh channel
//! in which one key is in each state: a stranger, the holder of an unused invite, a pending
//! joiner, a plain member, an admin (not the creator, so that it has a Welcome), a member that
//! left, and a member that a commit removed. The request of each cell is the op's ordinary
//! request, valid in every part that step 13 and the authority check do not judge; the cells
//! whose answer is `ok` and that change the channel run last, in the order the table gives.

use hearth_wire::request::{AppendResult, CommitPostResult};
use hearth_wire::{encode_with, ErrorCode};

use super::{answered, expect_ok, gop, log_body, msg_body, op, Channel, Ctx, Invite, MEMBER};
use crate::client::{Exchange, Key};
use crate::model::{Stop, TestResult};
use crate::suite::HostTestDef;

/// The specification text the table is read from.
const SPEC: &str = include_str!("../../../spec/08-host-api.md");

/// The heading that precedes the table.
const HEADING: &str = "#### Table 8.3.4";

/// The caller states of the table's columns, in column order.
const STATES: [&str; 7] = [
    "stranger", "holder", "pending", "member", "admin", "left", "removed",
];

/// The tests of this module: one per op row of the table (op 1 has no row: it names no
/// existing channel).
pub fn tests() -> Vec<HostTestDef> {
    vec![
        t!(
            "host.authz.info",
            "Table 8.3.4 row info: every caller state",
            ["HRT-API-83"],
            info
        ),
        t!(
            "host.authz.channel-delete",
            "Table 8.3.4 row channel.delete: every caller state",
            ["HRT-API-83", "HRT-API-33", "HRT-API-63", "HRT-OP-65"],
            channel_delete
        ),
        t!(
            "host.authz.invite-create",
            "Table 8.3.4 row invite.create: every caller state",
            ["HRT-API-83", "HRT-API-33", "HRT-API-63"],
            invite_create
        ),
        t!(
            "host.authz.invite-revoke",
            "Table 8.3.4 row invite.revoke: every caller state",
            ["HRT-API-83", "HRT-API-63", "HRT-OP-17"],
            invite_revoke
        ),
        t!(
            "host.authz.invite-redeem",
            "Table 8.3.4 row invite.redeem: only the invite's holder; a removed key gets not_found",
            ["HRT-API-83", "HRT-OP-20"],
            invite_redeem
        ),
        t!(
            "host.authz.join-fetch",
            "Table 8.3.4 row join.fetch: every caller state",
            ["HRT-API-83", "HRT-API-63", "HRT-OP-28"],
            join_fetch
        ),
        t!(
            "host.authz.commit-post",
            "Table 8.3.4 row commit.post: every caller state",
            ["HRT-API-83", "HRT-API-63", "HRT-OP-36"],
            commit_post
        ),
        t!(
            "host.authz.commit-report",
            "Table 8.3.4 row commit.report: every caller state",
            ["HRT-API-83", "HRT-API-63"],
            commit_report
        ),
        t!(
            "host.authz.msg-post",
            "Table 8.3.4 row msg.post: every caller state",
            ["HRT-API-83", "HRT-API-63"],
            msg_post
        ),
        t!(
            "host.authz.log-fetch",
            "Table 8.3.4 row log.fetch: every caller state",
            ["HRT-API-83", "HRT-OP-68"],
            log_fetch
        ),
        t!(
            "host.authz.welcome-fetch",
            "Table 8.3.4 row welcome.fetch: every caller state",
            ["HRT-API-83", "HRT-OP-51", "HRT-API-63"],
            welcome_fetch
        ),
        t!(
            "host.authz.member-leave",
            "Table 8.3.4 row member.leave: every caller state",
            ["HRT-API-83", "HRT-API-63", "HRT-OP-66"],
            member_leave
        ),
        t!(
            "host.authz.blob-put",
            "Table 8.3.4 row blob.put: every caller state",
            ["HRT-API-83", "HRT-API-63"],
            blob_put
        ),
        t!(
            "host.authz.blob-get",
            "Table 8.3.4 row blob.get: every caller state",
            ["HRT-API-83", "HRT-API-63"],
            blob_get
        ),
    ]
}

/// The expected status of each column of the row for `op_code`, as the table states it: the
/// first status name of the cell; "as member" takes the member column's.
pub fn row(op_code: u64) -> Result<[ErrorCode; 7], String> {
    let start = SPEC
        .find(HEADING)
        .ok_or_else(|| format!("the specification has no {HEADING}"))?;
    let prefix = format!("| {op_code} `");
    let line = SPEC[start..]
        .lines()
        .skip_while(|l| !l.starts_with("| op |"))
        .take_while(|l| l.starts_with('|'))
        .find(|l| l.starts_with(&prefix))
        .ok_or_else(|| format!("Table 8.3.4 has no row for op {op_code}"))?;
    let cells: Vec<&str> = line.split('|').map(str::trim).collect();
    // "", op, 7 states, "".
    let states = cells
        .get(2..2 + STATES.len())
        .filter(|_| cells.len() == STATES.len() + 3)
        .ok_or_else(|| {
            format!(
                "Table 8.3.4's row for op {op_code} has {} cells",
                cells.len()
            )
        })?;
    let mut out = [ErrorCode::OK; 7];
    let mut member = None;
    for ((slot, cell), state) in out.iter_mut().zip(states).zip(STATES) {
        let code = if cell.starts_with("as member") {
            member.ok_or_else(|| format!("op {op_code}: \"as member\" before the member column"))?
        } else {
            let word: String = cell
                .chars()
                .take_while(|c| c.is_ascii_alphabetic() || *c == '_')
                .collect();
            ErrorCode::from_name(&word)
                .ok_or_else(|| format!("op {op_code}, {state}: no status in {cell:?}"))?
        };
        if state == "member" {
            member = Some(code);
        }
        *slot = code;
    }
    Ok(out)
}

/// A channel with a key in every state of the table.
struct Fixture {
    ch: Channel,
    stranger: Key,
    holder: Invite,
    pending: Key,
    /// Leaf of the admin column (an added admin, which has a Welcome).
    admin: usize,
    /// Leaf of the member column.
    member: usize,
    /// Leaf of the member that left, while no commit has removed it.
    left: Option<usize>,
    left_key: Key,
    removed: Key,
    /// A blob the creator stored.
    blob: [u8; 32],
}

impl Fixture {
    fn new(ctx: &Ctx<'_>) -> Result<Self, Stop> {
        let mut ch = ctx.create_channel()?;
        let leaves = ctx.add_members(&mut ch, &[super::ADMIN, MEMBER, MEMBER, MEMBER])?;
        let [admin, member, left, gone] = leaves[..] else {
            return Err(Stop::fail(
                "the fixture's add commit added another count",
                &[],
            ));
        };
        // The creator removes one member; then another leaves (every later commit must
        // remove it, HRT-OP-70).
        let spec = ctx.commit_spec(&ch, 0, vec![gop::remove(gone as u64)]);
        let (ex, _) = ctx.post_commit(&ch, 0, &spec);
        let _: CommitPostResult = expect_ok(&ex)?;
        ch.epoch += 1;
        let removed = ch.roster.remove(gone).key;
        let left_key = ch.key(left).clone();
        let ex = ctx.call_empty(&left_key, op::MEMBER_LEAVE, ch.id);
        let _: AppendResult = expect_ok(&ex)?;
        let holder = ctx.invite(&ch, 0)?;
        let for_pending = ctx.invite(&ch, 0)?;
        let pending = ctx.c.key();
        let ex = ctx.redeem(&ch, &for_pending, &pending);
        super::expect_code(&ex, ErrorCode::OK, None)?;
        let data = ctx.c.random::<24>();
        let ex = ctx.c.call(
            ch.creator(),
            op::BLOB_PUT,
            Some(ch.id),
            encode_with(|e| {
                e.map(1).uint(1).bytes(&data);
            }),
        );
        let put: hearth_wire::request::BlobPutResult = expect_ok(&ex)?;
        let mut blob = [0u8; 32];
        blob.copy_from_slice(put.id.as_bytes());
        Ok(Self {
            ch,
            stranger: ctx.c.key(),
            holder,
            pending,
            admin,
            member,
            left: Some(left),
            left_key,
            removed,
            blob,
        })
    }

    /// The key of the column `state`, and its leaf when it has one in the roster.
    fn caller(&self, state: &str) -> (Key, Option<usize>) {
        match state {
            "stranger" => (self.stranger.clone(), None),
            "holder" => (self.holder.auth.clone(), None),
            "pending" => (self.pending.clone(), None),
            "member" => (self.ch.key(self.member).clone(), Some(self.member)),
            "admin" => (self.ch.key(self.admin).clone(), Some(self.admin)),
            "left" => (self.left_key.clone(), self.left),
            _ => (self.removed.clone(), None),
        }
    }

    /// Records an accepted commit: the epoch moves, and the member that left is gone.
    fn committed(&mut self) {
        self.ch.epoch += 1;
        if let Some(l) = self.left.take() {
            self.ch.roster.remove(l);
            for leaf in [&mut self.admin, &mut self.member] {
                if *leaf > l {
                    *leaf -= 1;
                }
            }
        }
    }
}

/// What one cell sends: the op's ordinary request by `key`, built on the fixture's state now.
type Build = fn(&Ctx<'_>, &mut Fixture, &Key, Option<usize>) -> Exchange;

/// Runs the row of `op_code`: the cells that are not `ok` first (they change nothing but the
/// nonce store, HRT-API-37), then the `ok` cells in column order, calling `after_ok` on the
/// fixture after each accepted one.
fn run_row(
    ctx: &Ctx<'_>,
    op_code: u64,
    name: &str,
    build: Build,
    after_ok: fn(&mut Fixture),
) -> TestResult {
    let expected = row(op_code).map_err(|e| Stop::fail(e, &[]))?;
    let mut fx = Fixture::new(ctx)?;
    let cells: Vec<(&str, ErrorCode)> = STATES.into_iter().zip(expected).collect();
    let order = cells
        .iter()
        .filter(|(_, e)| *e != ErrorCode::OK)
        .chain(cells.iter().filter(|(_, e)| *e == ErrorCode::OK));
    let mut result = Ok(());
    for &(state, want) in order {
        let (key, leaf) = fx.caller(state);
        let ex = build(ctx, &mut fx, &key, leaf);
        match answered(&ex).map(|r| r.status) {
            Ok(s) if s == want => {
                if s == ErrorCode::OK {
                    after_ok(&mut fx);
                }
            }
            Ok(s) => {
                result = Err(Stop::fail(
                    format!(
                        "{name} by a key in state \"{state}\": expected {} (Table 8.3.4), got {}",
                        status_name(want),
                        status_name(s)
                    ),
                    &[&ex],
                ));
                break;
            }
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    if op_code != op::CHANNEL_DELETE {
        ctx.delete_channel(&fx.ch);
    }
    result
}

fn status_name(c: ErrorCode) -> String {
    c.name().map_or_else(|| c.0.to_string(), str::to_string)
}

fn nothing(_: &mut Fixture) {}

/// `rows! { test_fn: op, name, build, after; ... }`: the test of each row of the table.
macro_rules! rows {
    ($($f:ident: $op:expr, $name:literal, $build:expr, $after:expr;)*) => {
        $(
            fn $f(ctx: &Ctx<'_>) -> TestResult {
                run_row(ctx, $op, $name, $build, $after)
            }
        )*
    };
}

rows! {
    info: op::INFO, "info", build_info, nothing;
    channel_delete: op::CHANNEL_DELETE, "channel.delete", build_channel_delete, nothing;
    invite_create: op::INVITE_CREATE, "invite.create", build_invite_create, nothing;
    invite_revoke: op::INVITE_REVOKE, "invite.revoke", build_invite_revoke, nothing;
    invite_redeem: op::INVITE_REDEEM, "invite.redeem", build_invite_redeem, nothing;
    join_fetch: op::JOIN_FETCH, "join.fetch", build_join_fetch, nothing;
    commit_post: op::COMMIT_POST, "commit.post", build_commit_post, Fixture::committed;
    commit_report: op::COMMIT_REPORT, "commit.report", build_commit_report, nothing;
    msg_post: op::MSG_POST, "msg.post", build_msg_post, nothing;
    log_fetch: op::LOG_FETCH, "log.fetch", build_log_fetch, nothing;
    welcome_fetch: op::WELCOME_FETCH, "welcome.fetch", build_welcome_fetch, nothing;
    member_leave: op::MEMBER_LEAVE, "member.leave", build_member_leave, nothing;
    blob_put: op::BLOB_PUT, "blob.put", build_blob_put, nothing;
    blob_get: op::BLOB_GET, "blob.get", build_blob_get, nothing;
}

fn build_info(ctx: &Ctx<'_>, _: &mut Fixture, key: &Key, _: Option<usize>) -> Exchange {
    ctx.c.call(key, op::INFO, None, super::EMPTY.to_vec())
}

fn build_channel_delete(ctx: &Ctx<'_>, fx: &mut Fixture, key: &Key, _: Option<usize>) -> Exchange {
    ctx.call_empty(key, op::CHANNEL_DELETE, fx.ch.id)
}

fn build_invite_create(ctx: &Ctx<'_>, fx: &mut Fixture, key: &Key, _: Option<usize>) -> Exchange {
    let id = ctx.c.random::<16>();
    let auth = ctx.c.key();
    let body = ctx.invite_body(&id, &auth.public(), ctx.c.host_now() + 3600);
    ctx.c.call(key, op::INVITE_CREATE, Some(fx.ch.id), body)
}

fn build_invite_revoke(ctx: &Ctx<'_>, fx: &mut Fixture, key: &Key, _: Option<usize>) -> Exchange {
    // An invite the creator made, so that the member column is not its creator.
    let id = match ctx.invite(&fx.ch, 0) {
        Ok(inv) => inv.id,
        Err(_) => ctx.c.random::<16>(),
    };
    let body = encode_with(|e| {
        e.map(1).uint(1).bytes(&id);
    });
    ctx.c.call(key, op::INVITE_REVOKE, Some(fx.ch.id), body)
}

fn build_invite_redeem(ctx: &Ctx<'_>, fx: &mut Fixture, key: &Key, _: Option<usize>) -> Exchange {
    // The holder's invite, redeemed with a fresh member key, signed by `key`.
    let mk = ctx.c.key();
    let sealed = ctx.c.with_rng(super::sealed);
    let body = ctx.redeem_body(&fx.ch.id, &fx.holder, &mk, &sealed);
    ctx.c.call(key, op::INVITE_REDEEM, Some(fx.ch.id), body)
}

fn build_join_fetch(ctx: &Ctx<'_>, fx: &mut Fixture, key: &Key, _: Option<usize>) -> Exchange {
    ctx.call_empty(key, op::JOIN_FETCH, fx.ch.id)
}

fn build_commit_post(ctx: &Ctx<'_>, fx: &mut Fixture, key: &Key, leaf: Option<usize>) -> Exchange {
    // A plain update, which must remove the member that left (HRT-OP-70: open to every
    // member); from the caller's leaf, or leaf 0 for a key without one.
    let ops = fx
        .left
        .map(|l| vec![gop::remove(l as u64)])
        .unwrap_or_default();
    let mut spec = ctx.commit_spec(&fx.ch, leaf.unwrap_or(0), ops);
    spec.committer = leaf.unwrap_or(0) as u64;
    let (_, body) = ctx.c.with_rng(|r| spec.build(r, key));
    ctx.c.call(key, op::COMMIT_POST, Some(fx.ch.id), body)
}

fn build_commit_report(ctx: &Ctx<'_>, fx: &mut Fixture, key: &Key, _: Option<usize>) -> Exchange {
    let body = encode_with(|e| {
        e.map(2).uint(1).uint(2).uint(2).uint(70);
    });
    ctx.c.call(key, op::COMMIT_REPORT, Some(fx.ch.id), body)
}

fn build_msg_post(ctx: &Ctx<'_>, fx: &mut Fixture, key: &Key, leaf: Option<usize>) -> Exchange {
    let env = ctx.envelope_from(&fx.ch, leaf.unwrap_or(0));
    ctx.c
        .call(key, op::MSG_POST, Some(fx.ch.id), msg_body(&env))
}

fn build_log_fetch(ctx: &Ctx<'_>, fx: &mut Fixture, key: &Key, _: Option<usize>) -> Exchange {
    ctx.c
        .call(key, op::LOG_FETCH, Some(fx.ch.id), log_body(0, 1))
}

fn build_welcome_fetch(ctx: &Ctx<'_>, fx: &mut Fixture, key: &Key, _: Option<usize>) -> Exchange {
    ctx.call_empty(key, op::WELCOME_FETCH, fx.ch.id)
}

fn build_member_leave(ctx: &Ctx<'_>, fx: &mut Fixture, key: &Key, _: Option<usize>) -> Exchange {
    ctx.call_empty(key, op::MEMBER_LEAVE, fx.ch.id)
}

fn build_blob_put(ctx: &Ctx<'_>, fx: &mut Fixture, key: &Key, _: Option<usize>) -> Exchange {
    let data = ctx.c.random::<24>();
    let body = encode_with(|e| {
        e.map(1).uint(1).bytes(&data);
    });
    ctx.c.call(key, op::BLOB_PUT, Some(fx.ch.id), body)
}

fn build_blob_get(ctx: &Ctx<'_>, fx: &mut Fixture, key: &Key, _: Option<usize>) -> Exchange {
    let body = encode_with(|e| {
        e.map(1).uint(1).bytes(&fx.blob);
    });
    ctx.c.call(key, op::BLOB_GET, Some(fx.ch.id), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_op_but_create_has_a_row_with_a_status_per_state() -> Result<(), String> {
        for code in (0..=14).filter(|&c| c != op::CHANNEL_CREATE) {
            row(code)?;
        }
        assert!(row(op::CHANNEL_CREATE).is_err(), "op 1 has no row");
        Ok(())
    }

    #[test]
    fn the_table_reads_as_the_text_says() -> Result<(), String> {
        let [_, holder, .., removed] = row(op::INVITE_REDEEM)?;
        assert_eq!(holder, ErrorCode::OK);
        assert_eq!(removed, ErrorCode::NOT_FOUND, "HRT-OP-20 over HRT-API-63");
        let [_, _, _, member, admin, ..] = row(op::WELCOME_FETCH)?;
        assert_eq!(admin, member, "\"as member\"");
        let [.., removed] = row(op::LOG_FETCH)?;
        assert_eq!(removed, ErrorCode::OK, "HRT-OP-68");
        Ok(())
    }
}
