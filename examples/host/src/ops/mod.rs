//! The ops of spec §8.5, one module per group. Each op runs steps 13 (authorisation), 14 (its
//! checks, in the listed order) and 15 (its effect) inside the request's savepoint; a returned
//! [`Fail`] rolls the op's writes back so that only the nonce record remains (HRT-API-37).

pub mod blob;
pub mod channel;
pub mod commit;
pub mod info;
pub mod invite;
pub mod log;
pub mod member;
pub mod msg;
pub mod welcome;

use crate::db::{Conn as Connection, OptionalExtension};
use hearth_wire::request::RequestBody;

use crate::host::{Fail, Host, Job};
use crate::store::{self, Channel, Entry};

/// What an op sees: the host, the transaction, the request and the time.
pub struct Ctx<'a> {
    /// The host (configuration, limits).
    pub host: &'a Host,
    /// The open transaction.
    pub conn: &'a Connection,
    /// The request.
    pub job: &'a Job,
    /// The host's clock in seconds.
    pub now: u64,
    /// The channel id of the request (zero for op 0).
    pub channel: [u8; 16],
}

/// An op's result: the encoded result rule on success.
pub type OpResult = Result<Vec<u8>, Fail>;

/// Runs one op (steps 13 to 15).
pub fn dispatch(
    host: &Host,
    conn: &Connection,
    job: &Job,
    body: &RequestBody,
    now: u64,
) -> OpResult {
    let cx = Ctx {
        host,
        conn,
        job,
        now,
        channel: job.channel(),
    };
    match body {
        RequestBody::Info(_) => Ok(host.info_result().to_vec()),
        RequestBody::ChannelCreate(b) => channel::create(&cx, b),
        RequestBody::ChannelDelete(_) => channel::delete(&cx),
        RequestBody::InviteCreate(b) => invite::create(&cx, b),
        RequestBody::InviteRevoke(b) => invite::revoke(&cx, b),
        RequestBody::InviteRedeem(b) => invite::redeem(&cx, b),
        RequestBody::JoinFetch(_) => invite::join_fetch(&cx),
        RequestBody::CommitPost(b) => commit::post(&cx, b),
        RequestBody::CommitReport(_) => commit::report(&cx),
        RequestBody::MsgPost(b) => msg::post(&cx, b),
        RequestBody::LogFetch(b) => log::fetch(&cx, b),
        RequestBody::WelcomeFetch(_) => welcome::fetch(&cx),
        RequestBody::MemberLeave(_) => member::leave(&cx),
        RequestBody::BlobPut(b) => blob::put(&cx, b),
        RequestBody::BlobGet(b) => blob::get(&cx, b),
    }
}

/// A caller entitled as "a member" (spec §8.3.4): the channel exists and `key` is the member
/// key of a roster entry that has not left; otherwise the uniform `not_found` (HRT-API-33), or
/// `removed` for a removed member key the host keeps (HRT-API-63).
pub fn member(cx: &Ctx<'_>) -> Result<(Channel, u64, Entry), Fail> {
    let Some(ch) = store::channel(cx.conn, &cx.channel)? else {
        return Err(Fail::NotFound);
    };
    match store::entry_by_key(cx.conn, &cx.channel, &cx.job.key)? {
        Some((leaf, e)) if !e.left => Ok((ch, leaf, e)),
        None => Err(not_entitled(cx)?),
        _ => Err(Fail::NotFound),
    }
}

/// The answer of step 13 for a key that is not entitled to an existing channel: `removed` for
/// a removed member key the host keeps (HRT-API-63), else the uniform `not_found`.
pub fn not_entitled(cx: &Ctx<'_>) -> Result<Fail, Fail> {
    // MUTANT forget-removed (HRT-API-63): a removed key gets not_found, as in the 1.0 draft.
    if !mutant!(cx.host, ForgetRemoved)
        && store::removed(cx.conn, &cx.channel, &cx.job.key, cx.now)?.is_some()
    {
        return Ok(Fail::Status(hearth_wire::ErrorCode::REMOVED));
    }
    // MUTANT non-uniform-not-found (HRT-API-34): an existing channel answers differently.
    if mutant!(cx.host, NonUniformNotFound) {
        return Ok(Fail::Status(hearth_wire::ErrorCode::FORBIDDEN));
    }
    Ok(Fail::NotFound)
}

/// Whether the op of `body` has an effect, so that its responses are recorded in the nonce
/// store (spec §8.3.3, HRT-API-52, HRT-API-53): every op but `info`, `join.fetch`,
/// `log.fetch`, `welcome.fetch` and `blob.get`.
pub fn has_effect(body: &RequestBody) -> bool {
    !matches!(
        body,
        RequestBody::Info(_)
            | RequestBody::JoinFetch(_)
            | RequestBody::LogFetch(_)
            | RequestBody::WelcomeFetch(_)
            | RequestBody::BlobGet(_)
    )
}

/// Whether the caller of a request whose body decoded is *entitled* (spec §8.3.3): it would
/// pass step 13 of an op other than `info` (a member that has not left; the holder of a
/// stored invite's `invite_auth` key; a key with a stored Welcome; for `log.fetch`, a removed
/// member key the host keeps), or, for `channel.create`,
/// its owner signature verifies. Only entitled callers get rate state (HRT-API-55) and nonce
/// records (HRT-API-52); a stranger with a fresh key costs the host no storage.
pub fn entitled(
    host: &Host,
    conn: &Connection,
    job: &Job,
    body: &RequestBody,
    now: u64,
) -> crate::db::DbResult<bool> {
    let ch = job.channel();
    let key = &job.key[..];
    Ok(match body {
        RequestBody::Info(_) => false,
        RequestBody::ChannelCreate(b) => channel::verified_owner(host, job, b).is_some(),
        RequestBody::InviteRedeem(b) => conn
            .prepare_cached("SELECT auth_key FROM invites WHERE channel = ?1 AND invite_id = ?2")?
            .query_row(crate::db::params![&ch[..], &b.invite_id.0[..]], |r| {
                r.get::<Vec<u8>>(0)
            })
            .optional()?
            .is_some_and(|auth| auth == key),
        RequestBody::WelcomeFetch(_) => conn
            .prepare_cached("SELECT 1 FROM welcomes WHERE channel = ?1 AND member_key = ?2")?
            .query_row(crate::db::params![&ch[..], key], |r| r.get::<i64>(0))
            .optional()?
            .is_some(),
        RequestBody::LogFetch(_) => {
            store::entry_by_key(conn, &ch, key)?.is_some_and(|(_, e)| !e.left)
                || store::removed(conn, &ch, key, now)?.is_some()
        }
        _ => store::entry_by_key(conn, &ch, key)?.is_some_and(|(_, e)| !e.left),
    })
}

/// Role admin (spec §12.3), as the store keeps it.
pub const ADMIN: u8 = hearth_wire::Role::ADMIN_CODE;

/// The `{1: seq, 2: head}` result of the ops that append one entry (`AppendResult`).
pub fn append_result(seq: u64, head: &[u8; 32]) -> Vec<u8> {
    use hearth_wire::WireEncode;
    hearth_wire::request::AppendResult {
        seq: hearth_wire::Seq(seq),
        head: hearth_wire::Hash(*head),
    }
    .to_vec()
}

/// The empty map `{}` (`Empty`).
pub fn empty() -> Vec<u8> {
    use hearth_wire::WireEncode;
    hearth_wire::request::Empty {}.to_vec()
}
