//! Op 12 `member.leave` (spec §8.5.13).

use crate::db::params;
use hearth_wire::ErrorCode;

use super::{append_result, member, Ctx, OpResult, ADMIN};
use crate::host::Fail;
use crate::store;

/// Op 12: the only admin that has not left cannot leave (HRT-OP-66); otherwise the entry is
/// marked left and a `leave` entry holds the exact SignedRequest bytes (HRT-OP-54).
pub fn leave(cx: &Ctx<'_>) -> OpResult {
    let (_, _, me) = member(cx)?;
    // MUTANT keep-creator-mark (HRT-OP-66): the creator cannot leave and the last admin can.
    let refused = if mutant!(cx.host, KeepCreatorMark) {
        me.creator
    } else {
        me.role == ADMIN
            && !store::roster(cx.conn, &cx.channel)?
                .iter()
                .any(|e| e.role == ADMIN && !e.left && e.member_key != me.member_key)
    };
    if refused {
        return Err(Fail::Status(ErrorCode::FORBIDDEN));
    }
    cx.conn
        .prepare_cached("UPDATE roster SET left_ = 1 WHERE channel = ?1 AND member_key = ?2")?
        .execute(params![&cx.channel[..], &cx.job.key[..]])?;
    let (seq, head) = store::append(cx.conn, &cx.channel, 3, &cx.job.raw, cx.now)?;
    Ok(append_result(seq, &head))
}
