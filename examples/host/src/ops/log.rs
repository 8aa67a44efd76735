//! Op 10 `log.fetch` (spec §8.5.11, §9.4).

use crate::db::params;
use hearth_wire::request::LogFetchBody;
use hearth_wire::{Encoder, ErrorCode};

use super::{member, Ctx, OpResult};
use crate::host::Fail;
use crate::store::Channel;

/// Op 10: entries `since + 1 ..= since + k`, the tip, its head and the epoch, all from one
/// transaction's state (HRT-OP-50, HRT-LOG-9, HRT-LOG-12, HRT-LOG-13, HRT-LOG-14).
pub fn fetch(cx: &Ctx<'_>, b: &LogFetchBody) -> OpResult {
    let ch = match member(cx) {
        Ok((ch, _, _)) => ch,
        // HRT-OP-68: a removed member key is served the log as it stood at its removal.
        Err(Fail::Status(ErrorCode::REMOVED)) => removed_view(cx)?,
        // MUTANT serve-non-member (HRT-API-33): any key reads an existing channel's log.
        Err(Fail::NotFound) if mutant!(cx.host, ServeNonMember) => {
            crate::store::channel(cx.conn, &cx.channel)?.ok_or(Fail::NotFound)?
        }
        Err(f) => return Err(f),
    };
    let since = b.since.0;
    // Checks 1 and 2 (HRT-OP-49).
    if since > ch.tip || b.limit == 0 || b.limit > cx.host.config.limits.max_log_page {
        return Err(Fail::Detail(ErrorCode::INVALID_VALUE));
    }
    let k = b.limit.min(ch.tip - since);
    let st = cx.conn.prepare_cached(
        "SELECT seq, kind, bytes, head, received FROM log WHERE channel = ?1 AND seq > ?2 AND seq <= ?3 ORDER BY seq",
    )?;
    let rows = st.query_map(
        params![&cx.channel[..], since as i64, (since + k) as i64],
        |r| {
            Ok((
                r.get::<i64>(0)?,
                r.get::<i64>(1)?,
                r.get::<Vec<u8>>(2)?,
                r.get::<Vec<u8>>(3)?,
                r.get::<i64>(4)?,
            ))
        },
    )?;
    let mut entries = Encoder::new();
    let mut count = 0usize;
    // A page holds at least one entry (HRT-LOG-10) and stops early only to stay within the
    // configured byte budget `log.page_bytes` (HRT-LOG-11).
    let budget = cx.host.config.log.page_bytes;
    let mut total = 0u64;
    for r in rows {
        let (seq, kind, bytes, head, received) = r?;
        let len = bytes.len() as u64;
        // MUTANT unbounded-page (HRT-LOG-46): no byte bound.
        if count > 0 && total.saturating_add(len) > budget && !mutant!(cx.host, UnboundedPage) {
            break;
        }
        total = total.saturating_add(len);
        entries
            .array(5)
            .uint(seq as u64)
            .uint(kind as u64)
            .bytes(&bytes)
            .bytes(&head)
            .uint(received as u64);
        count += 1;
    }
    let entries = entries.into_bytes();
    let mut e = Encoder::with_capacity(entries.len() + 64);
    e.map(4).uint(1).array(count).raw(&entries);
    e.uint(2)
        .uint(ch.tip)
        .uint(3)
        .bytes(&ch.head)
        .uint(4)
        .uint(ch.epoch);
    Ok(e.into_bytes())
}

/// The channel as a removed member key sees it (HRT-OP-68): the tip at its removing commit `r`
/// with the head of entry `r`, and the epoch that commit created.
fn removed_view(cx: &Ctx<'_>) -> Result<Channel, Fail> {
    let ch = crate::store::channel(cx.conn, &cx.channel)?.ok_or(Fail::NotFound)?;
    let (seq, epoch) =
        crate::store::removed(cx.conn, &cx.channel, &cx.job.key, cx.now)?.ok_or(Fail::NotFound)?;
    let tip = seq.min(ch.tip);
    Ok(Channel {
        epoch,
        tip,
        head: tip_head(cx, tip)?,
        ..ch
    })
}

/// The head of entry `seq`.
fn tip_head(cx: &Ctx<'_>, seq: u64) -> Result<Vec<u8>, Fail> {
    Ok(cx
        .conn
        .prepare_cached("SELECT head FROM log WHERE channel = ?1 AND seq = ?2")?
        .query_row(params![&cx.channel[..], seq as i64], |r| r.get(0))?)
}
