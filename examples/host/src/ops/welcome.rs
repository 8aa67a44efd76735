//! Op 11 `welcome.fetch` (spec §8.5.12).

use hearth_wire::Encoder;
use rusqlite::{params, OptionalExtension};

use super::{Ctx, OpResult};
use crate::handler::Fail;
use crate::store;

/// Op 11: the Welcome stored for the caller's key and the seq of its commit (HRT-OP-52);
/// the uniform not_found otherwise (HRT-OP-51), also for a key that has left.
pub fn fetch(cx: &Ctx<'_>) -> OpResult {
    if store::channel(cx.conn, &cx.channel)?.is_none() {
        return Err(Fail::NotFound);
    }
    let row: Option<(Vec<u8>, i64)> = cx
        .conn
        .prepare_cached("SELECT welcome, seq FROM welcomes WHERE channel = ?1 AND member_key = ?2")?
        .query_row(params![&cx.channel[..], &cx.job.key[..]], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let Some((welcome, seq)) = row else {
        return Err(Fail::NotFound);
    };
    if store::entry_by_key(cx.conn, &cx.channel, &cx.job.key)?.is_some_and(|(_, e)| e.left) {
        return Err(Fail::NotFound);
    }
    let mut e = Encoder::with_capacity(welcome.len() + 16);
    e.map(2).uint(1).bytes(&welcome).uint(2).uint(seq as u64);
    Ok(e.into_bytes())
}
