//! The conversation layer's outbox (spec §9.8, HRT-LOG-49 to HRT-LOG-52) on disk, schema 6: a
//! send that reached no route is kept as its content (never as sealed bytes) in table
//! `outbox`, so that a later run of the command-line client seals it anew and sends it at its
//! next refresh; each route keeps the `msg-ref`s of its own posts of unknown outcome
//! (`unknown`, `surfaced` in its meta), so that an attempt the log shows accepted is not sent
//! again (HRT-LOG-52); and, in the same meta, when the host received each member's latest
//! commit, for the removal of members away for 30 days (HRT-RAT-22).

use hearth::conversation::outbox::Queued;
use hearth_wire::{ContentType, Hash, RawValue};
use rusqlite::{params, Connection, Transaction};
use serde_json::{json, Value};

use super::{corrupt, h32, StoreError};
use crate::client::Conversation;
use crate::route::Route;

/// From schema 5 to 6.
pub(super) const TO_6: &str = "CREATE TABLE outbox (conv BLOB NOT NULL, position INTEGER NOT NULL,
    content_type INTEGER NOT NULL, body BLOB NOT NULL, attempts TEXT NOT NULL);";

/// Loads the outbox of `conv`.
pub(super) fn load(db: &Connection, conv: &mut Conversation) -> Result<(), StoreError> {
    let mut q = db.prepare(
        "SELECT content_type, body, attempts FROM outbox WHERE conv = ? ORDER BY position",
    )?;
    let rows = q.query_map([conv.handle.as_slice()], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, Vec<u8>>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    for row in rows {
        let (ct, body, attempts) = row?;
        let ct = u16::try_from(ct).map_err(|_| corrupt("outbox content type"))?;
        let attempts: Value =
            serde_json::from_str(&attempts).map_err(|_| corrupt("outbox attempts"))?;
        conv.outbox.push(Queued {
            content_type: ContentType(ct),
            body: RawValue::from_bytes(body).map_err(|_| corrupt("outbox body"))?,
            attempts: hashes(&attempts)?,
        });
    }
    Ok(())
}

/// Writes the outbox of `conv` (the caller deleted the old rows).
pub(super) fn save(tx: &Transaction<'_>, conv: &Conversation) -> Result<(), StoreError> {
    for (pos, q) in conv.outbox.iter().enumerate() {
        tx.execute(
            "INSERT INTO outbox (conv, position, content_type, body, attempts) VALUES (?, ?, ?, ?, ?)",
            params![
                conv.handle.as_slice(),
                pos as i64,
                i64::from(q.content_type.0),
                q.body.as_bytes(),
                refs(&q.attempts).to_string()
            ],
        )?;
    }
    Ok(())
}

fn refs(v: &[Hash]) -> Value {
    json!(v.iter().map(|h| hex::encode(h.0)).collect::<Vec<_>>())
}

fn hashes(v: &Value) -> Result<Vec<Hash>, StoreError> {
    v.as_array()
        .ok_or_else(|| corrupt("msg-refs"))?
        .iter()
        .map(|x| h32(x).map(Hash))
        .collect()
}

/// A route's own posts of unknown outcome, for its meta; and when the host received each
/// member's latest commit (HRT-RAT-22).
pub(super) fn route_meta(r: &Route) -> (Value, Value, Value) {
    let last: Vec<Value> = r
        .last_commit
        .iter()
        .map(|(f, t)| json!([hex::encode(f.as_bytes()), t]))
        .collect();
    (refs(&r.unknown), refs(&r.surfaced), json!(last))
}

/// Reads them back (absent before schema 6).
pub(super) fn load_route_meta(r: &mut Route, m: &Value) -> Result<(), StoreError> {
    if let Some(v) = m.get("unknown") {
        r.unknown = hashes(v)?;
    }
    if let Some(v) = m.get("surfaced") {
        r.surfaced = hashes(v)?;
    }
    if let Some(v) = m.get("last_commit") {
        for p in v.as_array().ok_or_else(|| corrupt("last_commit"))? {
            let t = p[1].as_u64().ok_or_else(|| corrupt("last_commit"))?;
            r.last_commit
                .push((hearth_crypto::keys::Fingerprint::from_bytes(h32(&p[0])?), t));
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::super::Store;
    use super::*;

    /// HRT-LOG-49: a send queued by one run is still queued, with its attempts, in the next.
    #[test]
    fn the_outbox_survives_a_restart() {
        let dir = std::env::temp_dir().join(format!("hearth-outbox-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.db");
        let mut store = Store::open(&path).unwrap();
        let mut c = Client::generate("Alice");
        let mut conv = Conversation::new([7; 16], hearth_wire::ConversationId([7; 16]));
        let body = hearth_crypto::envelope::ContentBuilder::text("later")
            .unwrap()
            .build();
        conv.outbox.push(Queued {
            content_type: body.content_type,
            body: body.body.clone(),
            attempts: vec![Hash([9; 32])],
        });
        c.conversations.push(conv);
        store.save(&c).unwrap();
        let back = Store::open(&path).unwrap().load().unwrap().unwrap();
        let q = &back.conversations()[0].outbox()[0];
        assert_eq!(q.content_type, body.content_type);
        assert_eq!(q.body.as_bytes(), body.body.as_bytes());
        assert_eq!(q.attempts, vec![Hash([9; 32])]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    use crate::client::Client;
}
