//! Family `attachment` (spec §7.9): chunked attachment sealing and the receiver's checks.
//!
//! The reference library seals no attachments; the sealing (AES-256-GCM with the library's
//! primitives) and the receiver's checks (HRT-MSG-41 to HRT-MSG-44, in the order the spec lists
//! them) are a transcription of §7.9. `AttachmentBody` is decoded by the reference decoder.

use hearth_crypto::hazmat::label;
use hearth_crypto::hazmat::labelled::{self, bstr};
use hearth_wire::{encode_with, ErrorCode};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::model::{hx, Case, Expected, GenError, VectorFile, R};
use crate::util::{aes_gcm_open, aes_gcm_seal, arr32};

const CHUNK: usize = 65536;

/// Byte `i` of the test plaintext: `(7 i + 3) mod 256`.
fn plaintext(size: usize) -> Vec<u8> {
    (0..size)
        .map(|i| (i.wrapping_mul(7).wrapping_add(3) % 256) as u8)
        .collect()
}

fn nonce(i: usize) -> [u8; 12] {
    let mut n = [0u8; 12];
    for (d, s) in n.iter_mut().skip(8).zip((i as u32).to_be_bytes()) {
        *d = s;
    }
    n
}

fn aad(i: usize, last: bool) -> Vec<u8> {
    encode_with(|e| {
        e.array(3)
            .text(&label::ATTACHMENT.wire())
            .uint(i as u64)
            .bool(last);
    })
}

fn blob_id(data: &[u8]) -> [u8; 32] {
    labelled::h(label::BLOB, bstr(data))
}

/// Seals explicit chunk plaintexts (the last flag on the final one).
fn seal_chunks(key: &[u8; 32], chunks: &[Vec<u8>]) -> R<Vec<Vec<u8>>> {
    chunks
        .iter()
        .enumerate()
        .map(|(i, c)| aes_gcm_seal(key, &nonce(i), &aad(i, i + 1 == chunks.len()), c))
        .collect()
}

fn split(pt: &[u8]) -> Vec<Vec<u8>> {
    if pt.is_empty() {
        return vec![Vec::new()];
    }
    pt.chunks(CHUNK).map(<[u8]>::to_vec).collect()
}

fn body(ids: &[[u8; 32]], key: &[u8; 32], size: u64, hash: &[u8; 32]) -> Vec<u8> {
    encode_with(|e| {
        e.map(5);
        e.uint(1).array(ids.len());
        for id in ids {
            e.bytes(id);
        }
        e.uint(2)
            .bytes(key)
            .uint(3)
            .uint(size)
            .uint(4)
            .text("application/octet-stream")
            .uint(6)
            .bytes(hash);
    })
}

/// The receiver's checks of §7.9 on a body and the blobs served for its ids, in order.
fn open(body_bytes: &[u8], served: &[Vec<u8>]) -> Result<Vec<u8>, Expected> {
    let ep = hearth_wire::entry::entry_point("AttachmentBody")
        .ok_or(Expected::status(ErrorCode::INTERNAL))?;
    (ep.decode)(body_bytes).map_err(Expected::wire)?;
    let b = <hearth_wire::envelope::AttachmentBody as hearth_wire::WireDecode>::decode(body_bytes)
        .map_err(Expected::wire)?;
    let size = b.size.get();
    let n = b.chunks.len();
    let want = std::cmp::max(1, size.div_ceil(CHUNK as u64));
    if n as u64 != want {
        return Err(Expected {
            status: ErrorCode::MALFORMED,
            detail: Some(ErrorCode::INVALID_VALUE),
        });
    }
    let fail = Expected::status(ErrorCode::DECRYPT_FAILED);
    let mut out = Vec::new();
    for (i, id) in b.chunks.as_slice().iter().enumerate() {
        let data = served.get(i).ok_or(fail)?;
        if blob_id(data) != id.0 {
            return Err(fail);
        }
        let pt = aes_gcm_open(&b.key.0, &nonce(i), &aad(i, i + 1 == n), data).map_err(|_| fail)?;
        if i + 1 < n && pt.len() != CHUNK {
            return Err(fail);
        }
        out.extend_from_slice(&pt);
    }
    if out.len() as u64 != size || <[u8; 32]>::from(Sha256::digest(&out)) != b.hash.0 {
        return Err(fail);
    }
    Ok(out)
}

/// The `attachment` family.
#[allow(clippy::too_many_lines)]
pub fn attachment_family() -> R<VectorFile> {
    let key = arr32(0x4b);
    let mut cases = Vec::new();
    let case =
        |id: &str, d: &str, reqs: &[&str], body_bytes: &[u8], served: &[Vec<u8>]| -> R<Case> {
            let mut c = Case::new(format!("attachment-{id}"), d, reqs)
                .input("attachment_body", hx(body_bytes))
                .input(
                    "attachment_body_diagnostic",
                    hearth_wire::diag::to_diagnostic(body_bytes),
                )
                .input(
                    "served_blobs",
                    Value::Array(served.iter().map(|b| hx(b)).collect()),
                )
                .input("plaintext_pattern", "byte i = (7 * i + 3) mod 256");
            c = match open(body_bytes, served) {
                Ok(pt) => c
                    .out("size", pt.len() as u64)
                    .out("plaintext_sha256", hx(&Sha256::digest(&pt))),
                Err(e) => c.err(e),
            };
            Ok(c)
        };
    // Positive: sizes 0, 100 and two chunks (65536 + 1 bytes).
    for (slug, size) in [("empty", 0usize), ("small", 100), ("two-chunks", CHUNK + 1)] {
        let pt = plaintext(size);
        let chunks = split(&pt);
        let sealed = seal_chunks(&key, &chunks)?;
        let ids: Vec<[u8; 32]> = sealed.iter().map(|c| blob_id(c)).collect();
        let hash: [u8; 32] = Sha256::digest(&pt).into();
        let b = body(&ids, &key, size as u64, &hash);
        let mut c = case(
            slug,
            "seal a file in 65536-byte chunks, store each as a blob, and open it again",
            &["HRT-MSG-40", "HRT-MSG-43", "HRT-MSG-45"],
            &b,
            &sealed,
        )?;
        c = c
            .mid(
                "chunk_nonces",
                Value::Array((0..chunks.len()).map(|i| hx(&nonce(i))).collect()),
            )
            .mid(
                "chunk_aads",
                Value::Array(
                    (0..chunks.len())
                        .map(|i| hx(&aad(i, i + 1 == chunks.len())))
                        .collect(),
                ),
            )
            .mid(
                "blob_ids",
                Value::Array(ids.iter().map(|i| hx(i)).collect()),
            );
        if c.is_negative() {
            return Err(GenError(format!("attachment {slug} rejected")));
        }
        cases.push(c);
    }
    // Negative cases. Most use a one-chunk attachment of 100 bytes (blobs are large otherwise);
    // the order checks use a two-chunk one, serving only the blobs the receiver reaches.
    let small_pt = plaintext(100);
    let small = seal_chunks(&key, &split(&small_pt))?;
    let s_id = blob_id(small.first().map(Vec::as_slice).unwrap_or_default());
    let s_hash: [u8; 32] = Sha256::digest(&small_pt).into();
    let size = CHUNK + 1;
    let pt = plaintext(size);
    let chunks = split(&pt);
    let sealed = seal_chunks(&key, &chunks)?;
    let ids: Vec<[u8; 32]> = sealed.iter().map(|c| blob_id(c)).collect();
    let hash: [u8; 32] = Sha256::digest(&pt).into();
    let first = sealed.first().cloned().unwrap_or_default();
    let second = sealed.get(1).cloned().unwrap_or_default();
    let id0 = ids.first().copied().unwrap_or_default();
    let id1 = ids.get(1).copied().unwrap_or_default();
    let mut negs: Vec<(&str, &str, Vec<&str>, Vec<u8>, Vec<Vec<u8>>)> = Vec::new();
    negs.push((
        "chunk-count-too-high",
        "two chunk ids for a size of 100 bytes",
        vec!["HRT-MSG-41"],
        body(&[s_id, s_id], &key, 100, &s_hash),
        vec![],
    ));
    negs.push((
        "chunk-count-too-low",
        "one chunk id for a size that needs two",
        vec!["HRT-MSG-41"],
        body(&[s_id], &key, size as u64, &hash),
        vec![],
    ));
    negs.push((
        "chunk-count-zero-size-two-ids",
        "two chunk ids for an empty file",
        vec!["HRT-MSG-41"],
        body(&[s_id, s_id], &key, 0, &s_hash),
        vec![],
    ));
    let mut other = small.first().cloned().unwrap_or_default();
    if let Some(b) = other.get_mut(0) {
        *b ^= 1;
    }
    negs.push((
        "blob-substituted",
        "the host serves other bytes for the chunk id",
        vec!["HRT-MSG-42"],
        body(&[s_id], &key, 100, &s_hash),
        vec![other.clone()],
    ));
    negs.push((
        "blob-swapped",
        "the host serves the second chunk for the first id",
        vec!["HRT-MSG-42"],
        body(&ids, &key, size as u64, &hash),
        vec![second.clone()],
    ));
    negs.push((
        "ids-reordered",
        "a body listing the chunk ids in the wrong order (the receiver fails on the first)",
        vec!["HRT-MSG-43"],
        body(&[id1, id0], &key, size as u64, &hash),
        vec![second.clone()],
    ));
    let first_hash: [u8; 32] = Sha256::digest(chunks.first().cloned().unwrap_or_default()).into();
    negs.push(("list-cut-short", "a body listing only the first chunk (sealed with last = false), with that chunk's size and hash", vec!["HRT-MSG-43"], body(&[id0], &key, CHUNK as u64, &first_hash), vec![first.clone()]));
    negs.push((
        "chunk-tampered",
        "a chunk altered and listed under its new blob id",
        vec!["HRT-MSG-43"],
        body(&[blob_id(&other)], &key, 100, &s_hash),
        vec![other.clone()],
    ));
    let mut other_key = key;
    other_key[0] ^= 1;
    negs.push((
        "wrong-key",
        "a body carrying another attachment key",
        vec!["HRT-MSG-43"],
        body(&[s_id], &other_key, 100, &s_hash),
        small.clone(),
    ));
    negs.push((
        "size-differs",
        "a size one byte smaller than the plaintext",
        vec!["HRT-MSG-44"],
        body(&[s_id], &key, 99, &s_hash),
        small.clone(),
    ));
    let mut bad_hash = s_hash;
    bad_hash[31] ^= 1;
    negs.push((
        "hash-differs",
        "a whole-file hash that differs from the plaintext's",
        vec!["HRT-MSG-44"],
        body(&[s_id], &key, 100, &bad_hash),
        small.clone(),
    ));
    // Non-last chunk shorter than 65536 (the sender split 100 + 65437; size and hash consistent).
    let odd_chunks = vec![plaintext(100), plaintext(CHUNK - 99)];
    let odd_sealed = seal_chunks(&key, &odd_chunks)?;
    let odd_ids: Vec<[u8; 32]> = odd_sealed.iter().map(|c| blob_id(c)).collect();
    let odd_pt: Vec<u8> = odd_chunks.concat();
    let odd_hash: [u8; 32] = Sha256::digest(&odd_pt).into();
    negs.push((
        "short-non-last-chunk",
        "a first chunk of 100 bytes (served; the second is never reached)",
        vec!["HRT-MSG-44"],
        body(&odd_ids, &key, odd_pt.len() as u64, &odd_hash),
        odd_sealed.into_iter().take(1).collect(),
    ));
    negs.push((
        "missing-blob",
        "the host serves no blob for the chunk id",
        vec!["HRT-MSG-42"],
        body(&[s_id], &key, 100, &s_hash),
        vec![],
    ));
    for (slug, d, reqs, b, served) in negs {
        let c = case(slug, d, &reqs, &b, &served)?;
        if !c.is_negative() {
            return Err(GenError(format!("attachment {slug} accepted")));
        }
        cases.push(c.req("HRT-MSG-45"));
    }
    Ok(VectorFile {
        family: "attachment",
        description: "Attachments (spec §7.9): chunk nonces and associated data, blob ids, and the receiver's checks of HRT-MSG-41 to HRT-MSG-44 on an AttachmentBody and the blobs the host served for its ids, in order. The plaintext is the pattern byte i = (7 i + 3) mod 256; the attachment key is 4b4c4d...6a."
            .into(),
        seed: "fixed inputs (no randomness)".into(),
        cases,
    })
}
