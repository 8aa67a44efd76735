//! Ops 13 `blob.put` (spec §8.5.14) and 14 `blob.get` (spec §8.5.15).

use crate::db::{params, OptionalExtension};
use hearth_crypto::hazmat::label;
use hearth_crypto::hazmat::labelled::{bstr, h};
use hearth_wire::request::{BlobGetBody, BlobGetResult, BlobPutBody, BlobPutResult};
use hearth_wire::{ErrorCode, WireEncode};

use super::{member, Ctx, OpResult};
use crate::host::Fail;

/// Op 13: `blob_id = H("blob", data)` (HRT-OP-57), size (HRT-OP-55) and count (HRT-OP-56).
pub fn put(cx: &Ctx<'_>, b: &BlobPutBody) -> OpResult {
    member(cx)?;
    let data = b.data.as_slice();
    // Check 1 (HRT-OP-55).
    if data.len() as u64 > cx.host.config.limits.max_blob {
        return Err(Fail::Status(ErrorCode::TOO_LARGE));
    }
    let id = h(label::BLOB, bstr(data));
    let exists: Option<i64> = cx
        .conn
        .prepare_cached("SELECT 1 FROM blobs WHERE channel = ?1 AND id = ?2")?
        .query_row(params![&cx.channel[..], &id[..]], |r| r.get(0))
        .optional()?;
    if exists.is_none() {
        // Check 2 (HRT-OP-56).
        let n: i64 = cx
            .conn
            .prepare_cached("SELECT COUNT(*) FROM blobs WHERE channel = ?1")?
            .query_row(params![&cx.channel[..]], |r| r.get(0))?;
        if n as u64 >= cx.host.config.limits.max_blobs {
            return Err(Fail::Status(ErrorCode::LIMIT_EXCEEDED));
        }
        cx.conn
            .prepare_cached("INSERT INTO blobs (channel, id, data) VALUES (?1, ?2, ?3)")?
            .execute(params![&cx.channel[..], &id[..], data])?;
    }
    Ok(BlobPutResult {
        id: hearth_wire::Hash(id),
    }
    .to_vec())
}

/// Op 14 (HRT-OP-58): the exact stored bytes, or not_found.
pub fn get(cx: &Ctx<'_>, b: &BlobGetBody) -> OpResult {
    member(cx)?;
    let data: Option<Vec<u8>> = cx
        .conn
        .prepare_cached("SELECT data FROM blobs WHERE channel = ?1 AND id = ?2")?
        .query_row(params![&cx.channel[..], &b.id.0[..]], |r| r.get(0))
        .optional()?;
    let Some(data) = data else {
        return Err(Fail::Status(ErrorCode::NOT_FOUND));
    };
    Ok(BlobGetResult { data }.to_vec())
}
