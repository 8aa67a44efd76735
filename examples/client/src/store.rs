//! The client's local state in SQLite: the identity, conversations, routes with their group
//! states and log states, the timeline, open invitations and pending joins.
//!
//! The whole state is loaded before a command and written back after it in one transaction,
//! replacing every row (spec §6.16: a saved group state must be replaced after each change and
//! no older copy kept). `secure_delete` overwrites the freed pages, so replaced secrets do not
//! linger in the database file; the file is created readable by its owner only.

use std::collections::BTreeMap;
use std::path::Path;

use hearth_crypto::group::{Group, PendingMember};
use hearth_crypto::invite::Invitation;
use hearth_crypto::keys::Fingerprint;
use hearth_wire::{
    ChannelId, ConversationId, EntryKind, ErrorCode, FprPrefix, Hash, HostUrl, Nonce16,
};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};
use zeroize::Zeroizing;

use crate::client::{Client, Conversation, Displayed, Joining};
use crate::route::{Frozen, OpenInvite, Route, RouteRef};
use crate::transport::Transport;
use hearth::conversation::log::{Detection, LogSnapshot, LogState};
use hearth::conversation::timeline::{Pending, Shown};

/// Why the store could not load or save.
#[derive(Debug)]
pub enum StoreError {
    /// SQLite failed.
    Sqlite(rusqlite::Error),
    /// A stored value does not decode: the database is damaged or from another version.
    Corrupt(String),
    /// The file system refused.
    Io(std::io::Error),
    /// A saved object names another channel or conversation than the row it is stored in
    /// (issue 15: a waiting or confirmed join of another route).
    Mismatch(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(e) => write!(f, "state database: {e}"),
            Self::Corrupt(s) => write!(f, "state database is damaged: {s}"),
            Self::Io(e) => write!(f, "state database: {e}"),
            Self::Mismatch(s) => write!(f, "state database is inconsistent: {s}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sqlite(e)
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

/// The schema version this code writes (`PRAGMA user_version`).
const SCHEMA: i64 = 6;

const TABLES: &str = "
CREATE TABLE identity (id INTEGER PRIMARY KEY CHECK (id = 1), seed BLOB NOT NULL, name TEXT NOT NULL);
CREATE TABLE conversations (handle BLOB PRIMARY KEY, conv_id BLOB NOT NULL, position INTEGER NOT NULL);
CREATE TABLE routes (conv BLOB NOT NULL, position INTEGER NOT NULL, host TEXT NOT NULL,
    channel BLOB NOT NULL, group_state BLOB NOT NULL, meta TEXT NOT NULL, PRIMARY KEY (conv, position));
CREATE TABLE invites (conv BLOB NOT NULL, route_position INTEGER NOT NULL, state BLOB NOT NULL,
    expected BLOB);
CREATE TABLE messages (conv BLOB NOT NULL, host TEXT NOT NULL, channel BLOB NOT NULL,
    seq INTEGER NOT NULL, sender BLOB NOT NULL, text TEXT NOT NULL, sent_at_ms INTEGER NOT NULL,
    position INTEGER NOT NULL);
CREATE TABLE joining (state BLOB NOT NULL, host TEXT NOT NULL, channel BLOB NOT NULL,
    conv_id BLOB NOT NULL, inviter BLOB NOT NULL, attach_to BLOB);
";

/// From schema 1 to 2: what a timeline item shows (spec §7.8) and the edits and deletes kept
/// aside.
const TO_2: &str = "
ALTER TABLE messages ADD COLUMN msg_ref BLOB;
ALTER TABLE messages ADD COLUMN shown INTEGER NOT NULL DEFAULT 0;
CREATE TABLE pending (conv BLOB NOT NULL, host TEXT NOT NULL, channel BLOB NOT NULL,
    sender BLOB NOT NULL, target BLOB NOT NULL, text TEXT);
";

/// From schema 2 to 3 (issue 15, spec §5.8.1): the comparisons of short authentication strings
/// waiting for the user's answer, so that a code shown by one run is answered in a later one.
/// An inviter's row holds the opened join (`join_state`, no secret) and its conversation; a
/// joiner's row only the code, its join being in `joining`. Rows with `added = 1` are joins
/// the user confirmed whose add commit has not gone through yet (a route's pending adds).
const TO_3: &str = "
CREATE TABLE comparisons (invite BLOB, host TEXT NOT NULL, channel BLOB NOT NULL, conv BLOB,
    sas INTEGER NOT NULL, join_state BLOB, added INTEGER NOT NULL DEFAULT 0);
";

/// From schema 3 to 4 (issue 15): the invite id of a pending join, so that a comparison's
/// answer acts on that join only.
const TO_4: &str = "ALTER TABLE joining ADD COLUMN invite BLOB;";

/// From schema 4 to 5 (issue 16): when each route's member key was installed, by the duty
/// clock, so that its age (HRT-RAT-21) survives a restart (spec §6.16). A schema-4 file did
/// not keep it; its rows get 0, "unknown": the key is then older than 30 days, so the next
/// refresh posts a commit with a `RotateOp`. Not the load time, which would restart the age at
/// every run and let a client restarted more often than every 30 days never rotate; not the
/// group's last commit time, which `hearth_crypto::group::Group` does not expose and which
/// any commit of the member moves, rotating or not. One early rotation is the cost.
const TO_5: &str = "ALTER TABLE routes ADD COLUMN key_since INTEGER NOT NULL DEFAULT 0;";

mod comparisons;
mod outbox;

/// Settings of a front end, one value per key, kept with the state (created on open by any
/// version, so it needs no schema version of its own).
const SETTINGS: &str =
    "CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);";

/// A client state database.
pub struct Store {
    db: Connection,
}

impl Store {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let fresh = !path.exists();
        if fresh {
            create_private(path).map_err(StoreError::Io)?;
        }
        let db = Connection::open(path)?;
        db.pragma_update(None, "secure_delete", "ON")?;
        db.pragma_update(None, "journal_mode", "DELETE")?;
        db.busy_timeout(std::time::Duration::from_secs(5))?;
        let v: i64 = db.pragma_query_value(None, "user_version", |r| r.get(0))?;
        match v {
            0..=5 => {
                if v == 0 {
                    db.execute_batch(TABLES)?;
                }
                if v <= 1 {
                    db.execute_batch(TO_2)?;
                }
                if v <= 2 {
                    db.execute_batch(TO_3)?;
                }
                if v <= 3 {
                    db.execute_batch(TO_4)?;
                }
                if v <= 4 {
                    db.execute_batch(TO_5)?;
                }
                db.execute_batch(outbox::TO_6)?;
                db.pragma_update(None, "user_version", SCHEMA)?;
            }
            SCHEMA => {}
            other => {
                return Err(StoreError::Corrupt(format!(
                    "schema version {other}; this program knows {SCHEMA}"
                )))
            }
        }
        db.execute_batch(SETTINGS)?;
        Ok(Store { db })
    }

    /// The front end's setting `key`, if set.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .db
            .query_row("SELECT value FROM settings WHERE key = ?", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Sets (`Some`) or removes (`None`) the front end's setting `key`.
    pub fn set_setting(&self, key: &str, value: Option<&str>) -> Result<(), StoreError> {
        match value {
            Some(v) => self.db.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = ?2",
                [key, v],
            )?,
            None => self
                .db
                .execute("DELETE FROM settings WHERE key = ?", [key])?,
        };
        Ok(())
    }

    /// The [`crate::transport::Checkpoint`] of this database: it rewrites one route's group
    /// state in place, in its own connection and transaction, before a request that depends on
    /// it is sent. The full [`Store::save`] after the command still writes everything.
    pub fn checkpoint(path: &Path) -> Result<crate::transport::Checkpoint, StoreError> {
        let db = Connection::open(path)?;
        db.pragma_update(None, "secure_delete", "ON")?;
        db.busy_timeout(std::time::Duration::from_secs(5))?;
        let db = std::sync::Mutex::new(db);
        Ok(std::sync::Arc::new(
            move |c: &hearth::conversation::Checkpoint| {
                let (link, state) = (&c.route, &c.state);
                let db = db
                    .lock()
                    .map_err(|_| "the state database lock is poisoned".to_owned())?;
                db.execute(
                    "UPDATE routes SET group_state = ? WHERE host = ? AND channel = ?",
                    params![
                        state.as_bytes(),
                        link.host.as_str(),
                        link.channel.0.as_slice()
                    ],
                )
                .map(drop)
                .map_err(|e| e.to_string())
            },
        ))
    }

    /// Loads the client, or `None` before `init`.
    pub fn load(&self) -> Result<Option<Client>, StoreError> {
        let row: Option<(Vec<u8>, String)> = self
            .db
            .query_row("SELECT seed, name FROM identity WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let Some((seed, name)) = row else {
            return Ok(None);
        };
        let seed: [u8; 32] = seed
            .as_slice()
            .try_into()
            .map_err(|_| corrupt("identity seed"))?;
        let mut client = Client::from_seed(Zeroizing::new(seed), &name);
        client.transport = Transport::new();
        let mut convs = self
            .db
            .prepare("SELECT handle, conv_id FROM conversations ORDER BY position")?;
        let rows = convs.query_map([], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        for row in rows {
            let (handle, id) = row?;
            let handle = arr16(&handle)?;
            let mut conv = Conversation::new(handle, ConversationId(arr16(&id)?));
            self.load_routes(&mut conv)?;
            self.load_timeline(&mut conv)?;
            outbox::load(&self.db, &mut conv)?;
            client.conversations.push(conv);
        }
        let mut j = self.db.prepare(
            "SELECT state, host, channel, conv_id, inviter, attach_to, invite FROM joining",
        )?;
        let rows = j.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, Vec<u8>>(3)?,
                r.get::<_, Vec<u8>>(4)?,
                r.get::<_, Option<Vec<u8>>>(5)?,
                r.get::<_, Option<Vec<u8>>>(6)?,
            ))
        })?;
        for row in rows {
            let (state, host, channel, conv, inviter, attach, invite) = row?;
            let state = Zeroizing::new(state);
            client.joining.push(Joining {
                pending: PendingMember::restore(&state)
                    .map_err(|e| StoreError::Corrupt(format!("pending join: {e}")))?,
                link: link(&host, &channel)?,
                invite: invite.as_deref().map(arr16).transpose()?.map(Nonce16),
                conversation: ConversationId(arr16(&conv)?),
                inviter: FprPrefix(arr16(&inviter)?),
                attach_to: attach.as_deref().map(arr16).transpose()?,
            });
        }
        comparisons::load(&self.db, &mut client)?;
        Ok(Some(client))
    }

    fn load_routes(&self, conv: &mut Conversation) -> Result<(), StoreError> {
        let mut q = self.db.prepare(
            "SELECT position, host, channel, group_state, meta, key_since FROM routes WHERE conv = ? ORDER BY position",
        )?;
        let rows = q.query_map([conv.handle.as_slice()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, Vec<u8>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })?;
        for row in rows {
            let (pos, host, channel, state, meta, key_since) = row?;
            let state = Zeroizing::new(state);
            let group = Group::restore(&state)
                .map_err(|e| StoreError::Corrupt(format!("group state: {e}")))?;
            let meta: Value = serde_json::from_str(&meta).map_err(|_| corrupt("route metadata"))?;
            let mut route = route_from_json(link(&host, &channel)?, group, &meta)?;
            route.key_since = u64::try_from(key_since).map_err(|_| corrupt("key_since"))?;
            let mut inv = self.db.prepare(
                "SELECT state, expected FROM invites WHERE conv = ? AND route_position = ?",
            )?;
            let invs = inv.query_map(params![conv.handle.as_slice(), pos], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Option<Vec<u8>>>(1)?))
            })?;
            for i in invs {
                let (state, expected) = i?;
                let state = Zeroizing::new(state);
                route.invites.push(OpenInvite {
                    invitation: Invitation::restore(&state)
                        .map_err(|e| StoreError::Corrupt(format!("invitation: {e}")))?,
                    expected: expected
                        .as_deref()
                        .map(|b| arr32(b).map(Fingerprint::from_bytes))
                        .transpose()?,
                });
            }
            conv.routes.push(route);
        }
        Ok(())
    }

    fn load_timeline(&self, conv: &mut Conversation) -> Result<(), StoreError> {
        let mut q = self.db.prepare(
            "SELECT host, channel, seq, sender, text, sent_at_ms, position, msg_ref, shown FROM messages WHERE conv = ? ORDER BY rowid",
        )?;
        let rows = q.query_map([conv.handle.as_slice()], |r| {
            Ok((
                (
                    r.get::<_, String>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                ),
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, Option<Vec<u8>>>(7)?,
                r.get::<_, i64>(8)?,
            ))
        })?;
        for row in rows {
            let ((host, channel, seq, sender), text, sent, pos, msg_ref, shown) = row?;
            let shown = match shown {
                0 | 1 => Shown::Text {
                    text,
                    edited: shown == 1,
                },
                2 => Shown::Deleted,
                3 => Shown::Unsupported,
                _ => return Err(corrupt("shown")),
            };
            conv.timeline.items.push(Displayed {
                route: link(&host, &channel)?,
                seq: u64::try_from(seq).map_err(|_| corrupt("seq"))?,
                sender: Fingerprint::from_bytes(arr32(&sender)?),
                shown,
                sent_at_ms: u64::try_from(sent).map_err(|_| corrupt("sent_at_ms"))?,
                // A schema-1 row has no msg-ref: nothing later can name it.
                msg_ref: Hash(
                    msg_ref
                        .as_deref()
                        .map(arr32)
                        .transpose()?
                        .unwrap_or([0; 32]),
                ),
                position: usize::try_from(pos).map_err(|_| corrupt("position"))?,
            });
        }
        let mut q = self.db.prepare(
            "SELECT host, channel, sender, target, text FROM pending WHERE conv = ? ORDER BY rowid",
        )?;
        let rows = q.query_map([conv.handle.as_slice()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, Vec<u8>>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?;
        for row in rows {
            let (host, channel, sender, target, text) = row?;
            conv.timeline.pending.push(Pending {
                route: link(&host, &channel)?,
                sender: Fingerprint::from_bytes(arr32(&sender)?),
                target: Hash(arr32(&target)?),
                text,
            });
        }
        Ok(())
    }

    /// Writes `client` back, replacing every row, in one transaction.
    pub fn save(&mut self, client: &Client) -> Result<(), StoreError> {
        let tx = self.db.transaction()?;
        tx.execute_batch(
            "DELETE FROM identity; DELETE FROM conversations; DELETE FROM routes; DELETE FROM invites;
             DELETE FROM messages; DELETE FROM pending; DELETE FROM joining;
             DELETE FROM comparisons; DELETE FROM outbox;",
        )?;
        tx.execute(
            "INSERT INTO identity (id, seed, name) VALUES (1, ?, ?)",
            params![client.seed.as_slice(), client.name],
        )?;
        for (cpos, conv) in client.conversations.iter().enumerate() {
            tx.execute(
                "INSERT INTO conversations (handle, conv_id, position) VALUES (?, ?, ?)",
                params![conv.handle.as_slice(), conv.id.0.as_slice(), cpos as i64],
            )?;
            outbox::save(&tx, conv)?;
            for (rpos, route) in conv.routes.iter().enumerate() {
                let state = route
                    .group
                    .save()
                    .map_err(|e| StoreError::Corrupt(format!("saving a group: {e}")))?;
                tx.execute(
                    "INSERT INTO routes (conv, position, host, channel, group_state, meta, key_since) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    params![
                        conv.handle.as_slice(),
                        rpos as i64,
                        route.link.host.as_str(),
                        route.link.channel.0.as_slice(),
                        state.as_bytes(),
                        route_json(route).to_string(),
                        i64::try_from(route.key_since).unwrap_or(i64::MAX)
                    ],
                )?;
                for inv in &route.invites {
                    let s = inv
                        .invitation
                        .save()
                        .map_err(|e| StoreError::Corrupt(format!("saving an invitation: {e}")))?;
                    tx.execute(
                        "INSERT INTO invites (conv, route_position, state, expected) VALUES (?, ?, ?, ?)",
                        params![
                            conv.handle.as_slice(),
                            rpos as i64,
                            s.as_bytes(),
                            inv.expected.map(|f| f.as_bytes().to_vec())
                        ],
                    )?;
                }
            }
            for d in conv.timeline.items() {
                let shown = match &d.shown {
                    Shown::Text { edited: false, .. } => 0,
                    Shown::Text { edited: true, .. } => 1,
                    Shown::Deleted => 2,
                    Shown::Unsupported => 3,
                };
                tx.execute(
                    "INSERT INTO messages (conv, host, channel, seq, sender, text, sent_at_ms, position, msg_ref, shown) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    params![
                        conv.handle.as_slice(),
                        d.route.host.as_str(),
                        d.route.channel.0.as_slice(),
                        i64::try_from(d.seq).unwrap_or(i64::MAX),
                        d.sender.as_bytes().as_slice(),
                        d.text().unwrap_or(""),
                        i64::try_from(d.sent_at_ms).unwrap_or(i64::MAX),
                        d.position as i64,
                        d.msg_ref.0.as_slice(),
                        shown
                    ],
                )?;
            }
            for p in conv.timeline.pending() {
                tx.execute(
                    "INSERT INTO pending (conv, host, channel, sender, target, text) VALUES (?, ?, ?, ?, ?, ?)",
                    params![
                        conv.handle.as_slice(),
                        p.route.host.as_str(),
                        p.route.channel.0.as_slice(),
                        p.sender.as_bytes().as_slice(),
                        p.target.0.as_slice(),
                        p.text
                    ],
                )?;
            }
        }
        for j in &client.joining {
            let s = j
                .pending
                .save()
                .map_err(|e| StoreError::Corrupt(format!("saving a pending join: {e}")))?;
            tx.execute(
                "INSERT INTO joining (state, host, channel, conv_id, inviter, attach_to, invite) VALUES (?, ?, ?, ?, ?, ?, ?)",
                params![
                    s.as_bytes(),
                    j.link.host.as_str(),
                    j.link.channel.0.as_slice(),
                    j.conversation.0.as_slice(),
                    j.inviter.0.as_slice(),
                    j.attach_to.map(|a| a.to_vec()),
                    j.invite.map(|i| i.0.to_vec())
                ],
            )?;
        }
        comparisons::save(&tx, client)?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<()> {
    std::fs::File::create(path).map(drop)
}

fn arr16(b: &[u8]) -> Result<[u8; 16], StoreError> {
    b.try_into().map_err(|_| corrupt("a 16-byte value"))
}

fn arr32(b: &[u8]) -> Result<[u8; 32], StoreError> {
    b.try_into().map_err(|_| corrupt("a 32-byte value"))
}

fn link(host: &str, channel: &[u8]) -> Result<RouteRef, StoreError> {
    Ok(RouteRef {
        host: HostUrl::new(host).map_err(|_| corrupt("host URL"))?,
        channel: ChannelId(arr16(channel)?),
    })
}

fn h32(v: &Value) -> Result<[u8; 32], StoreError> {
    v.as_str()
        .and_then(|s| hex::decode(s).ok())
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| corrupt("a hex32 value"))
}

fn u(v: &Value) -> Result<u64, StoreError> {
    v.as_u64().ok_or_else(|| corrupt("a number"))
}

fn arr<'a>(v: &'a Value, k: &str) -> Result<&'a Vec<Value>, StoreError> {
    v.get(k).and_then(Value::as_array).ok_or_else(|| corrupt(k))
}

/// A route's non-secret state as JSON: log state (§9.5), detection, per-sender records.
fn route_json(r: &Route) -> Value {
    let l = r.log.snapshot();
    let sd = &r.senders;
    let pairs = |m: &BTreeMap<u64, [u8; 32]>| -> Vec<Value> {
        m.iter().map(|(s, h)| json!([s, hex::encode(h)])).collect()
    };
    json!({
        "v": l.verified, "t": l.claimed_tip,
        "heads": pairs(&l.heads),
        "claims": pairs(&l.claims),
        "own": l.own.iter().map(|(s, (k, b))| json!([s, *k as u64, hex::encode(b)])).collect::<Vec<_>>(),
        "anchor": sd.anchor,
        "frozen": r.frozen.as_ref().map(|f| json!({
            "code": f.detection.code.0, "seq": f.detection.seq, "evidence": f.detection.evidence,
            "member": f.member.map(|m| hex::encode(m.as_bytes()))})),
        "verified": sd.verified.iter().map(|(r, k)| json!([hex::encode(r), k.map(hex::encode)])).collect::<Vec<_>>(),
        "excepted": sd.excepted.iter().map(hex::encode).collect::<Vec<_>>(),
        "pre_anchor": sd.pre_anchor.iter().map(|(k, v)| json!([hex::encode(k), hex::encode(v)])).collect::<Vec<_>>(),
        "own_refs": sd.own_refs.iter().map(hex::encode).collect::<Vec<_>>(),
        "last_own": sd.last_own.map(|h| hex::encode(h.0)),
        "report": r.report.map(|(s, c)| json!([s, c.0])),
        "unknown": outbox::route_meta(r).0,
        "surfaced": outbox::route_meta(r).1,
        "last_commit": outbox::route_meta(r).2,
    })
}

/// The sender records of a store written before 1.0-rc1 (`sent_by`: the accepted messages of
/// each sender; `first_prev`: the senders whose first message was seen). Entries it rejected
/// were not recorded then, so a later `prev` naming one is reported as a `bad_claim`, which
/// does not freeze the route (HRT-LOG-45).
fn legacy_senders(r: &mut Route, m: &Value) -> Result<(), StoreError> {
    for p in arr(m, "sent_by")? {
        let sender = h32(&p[0])?;
        for x in p[1].as_array().ok_or_else(|| corrupt("sent_by"))? {
            r.senders.verified.insert(h32(x)?, Some(sender));
        }
    }
    // The pre-anchor `prev` each sender's first message named, if any, is the one value that
    // sender may name again (HRT-LOG-43).
    for p in arr(m, "first_prev")? {
        if !p[1].is_null() {
            r.senders.pre_anchor.insert(h32(&p[0])?, h32(&p[1])?);
        }
    }
    Ok(())
}

fn route_from_json(link: RouteRef, group: Group, m: &Value) -> Result<Route, StoreError> {
    let mut log = LogSnapshot {
        verified: u(&m["v"])?,
        claimed_tip: u(&m["t"])?,
        ..LogSnapshot::default()
    };
    for (k, dst) in [("heads", &mut log.heads), ("claims", &mut log.claims)] {
        for p in arr(m, k)? {
            dst.insert(u(&p[0])?, h32(&p[1])?);
        }
    }
    for p in arr(m, "own")? {
        let kind = match u(&p[1])? {
            0 => EntryKind::Create,
            1 => EntryKind::Commit,
            2 => EntryKind::Msg,
            3 => EntryKind::Leave,
            4 => EntryKind::Report,
            _ => return Err(corrupt("entry kind")),
        };
        let bytes = p[2]
            .as_str()
            .and_then(|s| hex::decode(s).ok())
            .ok_or_else(|| corrupt("own entry bytes"))?;
        log.own.insert(u(&p[0])?, (kind, bytes));
    }
    let anchor = u(&m["anchor"])?;
    let mut r = Route::new(link, group, LogState::from_snapshot(log), anchor);
    if let Some(f) = m.get("frozen").filter(|f| !f.is_null()) {
        let code = u16::try_from(u(&f["code"])?).map_err(|_| corrupt("code"))?;
        r.frozen = Some(Frozen {
            detection: Detection {
                code: ErrorCode(code),
                seq: f["seq"].as_u64(),
                evidence: f["evidence"].as_str().unwrap_or("").to_owned(),
            },
            member: match &f["member"] {
                Value::Null => None,
                v => Some(Fingerprint::from_bytes(h32(v)?)),
            },
        });
    }
    if m.get("verified").is_none() && m.get("sent_by").is_some() {
        legacy_senders(&mut r, m)?;
    } else {
        for p in arr(m, "verified")? {
            let sender = match &p[1] {
                Value::Null => None,
                v => Some(h32(v)?),
            };
            r.senders.verified.insert(h32(&p[0])?, sender);
        }
        for x in arr(m, "excepted")? {
            r.senders.excepted.insert(h32(x)?);
        }
        // Absent in stores written before the repeated pre-anchor value was allowed.
        if let Some(list) = m.get("pre_anchor") {
            for p in list.as_array().ok_or_else(|| corrupt("pre_anchor"))? {
                r.senders.pre_anchor.insert(h32(&p[0])?, h32(&p[1])?);
            }
        }
    }
    for x in arr(m, "own_refs")? {
        r.senders.own_refs.insert(h32(x)?);
    }
    r.senders.last_own = match &m["last_own"] {
        Value::Null => None,
        v => Some(Hash(h32(v)?)),
    };
    r.report = match &m["report"] {
        Value::Null => None,
        v => Some((
            u(&v[0])?,
            ErrorCode(u16::try_from(u(&v[1])?).map_err(|_| corrupt("code"))?),
        )),
    };
    outbox::load_route_meta(&mut r, m)?;
    Ok(r)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn route() -> Route {
        let host = HostUrl::new("https://example.org/").unwrap();
        let group = Group::create(
            host.clone(),
            hearth_crypto::keys::IdentityKey::generate(),
            0,
        )
        .unwrap();
        let link = RouteRef {
            host,
            channel: ChannelId([1; 16]),
        };
        Route::new(link, group, LogState::new(), 0)
    }

    #[test]
    fn sender_records_round_trip_rejected_entries_included() {
        let mut r = route();
        r.senders.verified.insert([1; 32], Some([7; 32]));
        r.senders.record_unopened(Hash([2; 32]));
        r.senders.excepted.insert([7; 32]);
        r.senders.pre_anchor.insert([8; 32], [3; 32]);
        let back = route_from_json(r.link.clone(), route().group, &route_json(&r)).unwrap();
        assert_eq!(back.senders, r.senders);
    }

    #[test]
    fn a_store_from_before_rc1_keeps_its_sender_records() {
        let r = route();
        let mut m = route_json(&r);
        let o = m.as_object_mut().unwrap();
        o.remove("verified");
        o.remove("excepted");
        o.insert(
            "sent_by".into(),
            json!([[hex::encode([7; 32]), [hex::encode([1; 32])]]]),
        );
        o.insert(
            "first_prev".into(),
            json!([
                [hex::encode([7; 32]), null],
                [hex::encode([8; 32]), hex::encode([3; 32])]
            ]),
        );
        let back = route_from_json(r.link.clone(), route().group, &m).unwrap();
        assert_eq!(back.senders.verified.get(&[1; 32]), Some(&Some([7; 32])));
        // A first message without prev fixed nothing; one with a prev fixed that value.
        assert!(!back.senders.excepted.contains(&[7; 32]));
        assert_eq!(back.senders.pre_anchor.get(&[8; 32]), Some(&[3; 32]));
    }

    const DAY: u64 = 24 * 3600;

    fn client_with(r: Route) -> Client {
        let mut c = Client::generate("Alice");
        c.conversations.push({
            let mut c = Conversation::new(r.link.channel.0, ConversationId(r.link.channel.0));
            c.routes = vec![r];
            c
        });
        c
    }

    fn temp(name: &str) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!("hearth-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_file(&p);
        p
    }

    /// Issue 16, HRT-RAT-21: a member key 29 days old is saved, the client restarts, and two
    /// days later its rotation is due. Before 1.0-rc1 the age restarted at the load.
    #[test]
    fn a_member_keys_age_survives_a_restart() {
        use hearth::conversation::duties::Due;
        let path = temp("keysince");
        let now = crate::clock::system_now();
        let mut r = route();
        r.key_since = now - 29 * DAY;
        assert!(!Due::at(&r.group, r.key_since, now).rotate);
        Store::open(&path).unwrap().save(&client_with(r)).unwrap();
        let back = Store::open(&path).unwrap().load().unwrap().unwrap();
        let r = &back.conversations[0].routes[0];
        assert_eq!(r.key_since, now - 29 * DAY);
        assert!(Due::at(&r.group, r.key_since, now + 2 * DAY).rotate);
        let _ = std::fs::remove_file(&path);
    }

    /// Issue 16: a schema-4 route row gains `key_since` = 0 ("unknown"), so its key is rotated
    /// at the next refresh, not 30 days after the migration.
    #[test]
    fn schema_4_migrates_with_an_unknown_key_age() {
        use hearth::conversation::duties::Due;
        let path = temp("schema4");
        let r = route();
        {
            let db = Connection::open(&path).unwrap();
            db.execute_batch(TABLES).unwrap();
            for m in [TO_2, TO_3, TO_4] {
                db.execute_batch(m).unwrap();
            }
            db.pragma_update(None, "user_version", 4).unwrap();
            db.execute(
                "INSERT INTO conversations (handle, conv_id, position) VALUES (?, ?, 0)",
                params![r.link.channel.0.as_slice(), r.link.channel.0.as_slice()],
            )
            .unwrap();
            db.execute(
                "INSERT INTO routes (conv, position, host, channel, group_state, meta) VALUES (?, 0, ?, ?, ?, ?)",
                params![
                    r.link.channel.0.as_slice(),
                    r.link.host.as_str(),
                    r.link.channel.0.as_slice(),
                    r.group.save().unwrap().as_bytes(),
                    route_json(&r).to_string()
                ],
            )
            .unwrap();
            db.execute(
                "INSERT INTO identity (id, seed, name) VALUES (1, ?, 'Alice')",
                [[7u8; 32].as_slice()],
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let v: i64 = store
            .db
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA);
        let back = store.load().unwrap().unwrap();
        let r = &back.conversations[0].routes[0];
        assert_eq!(r.key_since, 0);
        assert!(Due::at(&r.group, r.key_since, crate::clock::system_now()).rotate);
        let _ = std::fs::remove_file(&path);
    }
}
