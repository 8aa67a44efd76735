//! Op 12 `member.leave` (spec §8.5.13).

use hearth_wire::ErrorCode;
use rusqlite::params;

use super::{append_result, member, Ctx, OpResult};
use crate::handler::Fail;
use crate::store;

/// Op 12: the creator cannot leave (HRT-OP-53); otherwise the entry is marked left and a
/// `leave` entry holds the exact SignedRequest bytes (HRT-OP-54).
pub fn leave(cx: &Ctx<'_>) -> OpResult {
    let (_, _, me) = member(cx)?;
    if me.creator {
        return Err(Fail::Status(ErrorCode::FORBIDDEN));
    }
    cx.conn
        .prepare_cached("UPDATE roster SET left_ = 1 WHERE channel = ?1 AND member_key = ?2")?
        .execute(params![&cx.channel[..], &cx.job.key[..]])?;
    let (seq, head) = store::append(cx.conn, &cx.channel, 3, &cx.job.raw, cx.now)?;
    Ok(append_result(seq, &head))
}
