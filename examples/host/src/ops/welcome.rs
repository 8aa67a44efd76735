//! Op 11 `welcome.fetch` (spec §8.5.12).

use crate::db::{params, OptionalExtension};
use hearth_wire::Encoder;

use super::{Ctx, OpResult};
use crate::host::Fail;
use crate::store;

/// Op 11: the Welcome stored for the caller's key, the seq of its commit (HRT-OP-52) and the
/// commit's GroupInfo ciphertext (HRT-OP-64); the uniform not_found otherwise (HRT-OP-51),
/// also for a key that has left; `removed` for a removed member key (HRT-API-63).
pub fn fetch(cx: &Ctx<'_>) -> OpResult {
    if store::channel(cx.conn, &cx.channel)?.is_none() {
        return Err(Fail::NotFound);
    }
    let row: Option<(Vec<u8>, i64, Vec<u8>)> = cx
        .conn
        .prepare_cached(
            "SELECT w.welcome, w.seq, g.ct FROM welcomes w JOIN group_infos g
             ON g.channel = w.channel AND g.seq = w.seq
             WHERE w.channel = ?1 AND w.member_key = ?2",
        )?
        .query_row(params![&cx.channel[..], &cx.job.key[..]], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((welcome, seq, gi)) = row else {
        // A key added and removed before it fetched its Welcome: `removed` (HRT-API-63).
        return Err(super::not_entitled(cx)?);
    };
    if store::entry_by_key(cx.conn, &cx.channel, &cx.job.key)?.is_some_and(|(_, e)| e.left) {
        return Err(Fail::NotFound);
    }
    let mut e = Encoder::with_capacity(welcome.len() + gi.len() + 24);
    e.map(3)
        .uint(1)
        .bytes(&welcome)
        .uint(2)
        .uint(seq as u64)
        .uint(3)
        .bytes(&gi);
    Ok(e.into_bytes())
}
