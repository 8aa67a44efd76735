//! SQLite storage (spec §8.9, §8.3.5, §9): WAL with synchronous commits and a busy timeout,
//! versioned migrations (`PRAGMA user_version`), and the shared pieces every op uses: channel
//! rows, the host-visible roster (§8.5), the log with its hash chain (§9.3), the nonce store
//! (§8.3.3) and the per-key token bucket (§8.7).
//!
//! Every request runs in one transaction (`BEGIN IMMEDIATE`; in `serve` several requests share
//! one transaction, each in its own savepoint), so the effect, the nonce record and the stored
//! response commit together (HRT-API-36) and nothing is answered before it is durable
//! (HRT-API-50, `synchronous = FULL`).

use std::path::Path;
use std::time::Duration;

use crate::db::{params, Conn as Connection, DbResult, OptionalExtension};
use rusqlite::Connection as Sqlite;

/// How long a writer waits for the database lock before answering `internal` (HRT-API-56).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Nonce store retention after `ts` (HRT-API-29).
pub const NONCE_KEEP_SECS: u64 = 600;

/// Pending joins are dropped this long after `redeemed_at` (HRT-OP-60).
pub const PENDING_KEEP_SECS: u64 = 2_592_000;

/// Schema migrations, applied in order; `user_version` is the number applied.
const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r#"
    CREATE TABLE channels (
        id BLOB PRIMARY KEY,
        suite INTEGER NOT NULL,
        epoch INTEGER NOT NULL,
        tip INTEGER NOT NULL,
        head BLOB NOT NULL,
        owner_key BLOB NOT NULL,
        next_entry INTEGER NOT NULL
    );
    CREATE INDEX channels_owner ON channels(owner_key);
    CREATE TABLE roster (
        channel BLOB NOT NULL,
        pos INTEGER NOT NULL,
        entry_id INTEGER NOT NULL,
        member_key BLOB NOT NULL,
        role INTEGER NOT NULL,
        creator INTEGER NOT NULL,
        left_ INTEGER NOT NULL,
        PRIMARY KEY (channel, pos)
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX roster_key ON roster(channel, member_key);
    CREATE TABLE log (
        channel BLOB NOT NULL,
        seq INTEGER NOT NULL,
        kind INTEGER NOT NULL,
        bytes BLOB NOT NULL,
        head BLOB NOT NULL,
        received INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX log_seq ON log(channel, seq);
    CREATE TABLE invites (
        channel BLOB NOT NULL,
        invite_id BLOB NOT NULL,
        auth_key BLOB NOT NULL,
        expires INTEGER NOT NULL,
        creator_entry INTEGER NOT NULL,
        used INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (channel, invite_id)
    ) WITHOUT ROWID;
    CREATE TABLE pending (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel BLOB NOT NULL,
        invite_id BLOB NOT NULL,
        member_key BLOB NOT NULL,
        sealed BLOB NOT NULL,
        redeemed_at INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX pending_key ON pending(channel, member_key);
    CREATE INDEX pending_invite ON pending(channel, invite_id);
    CREATE TABLE welcomes (
        channel BLOB NOT NULL,
        member_key BLOB NOT NULL,
        welcome BLOB NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (channel, member_key)
    );
    CREATE TABLE blobs (
        channel BLOB NOT NULL,
        id BLOB NOT NULL,
        data BLOB NOT NULL
    );
    CREATE UNIQUE INDEX blobs_id ON blobs(channel, id);
    CREATE TABLE nonces (
        key BLOB NOT NULL,
        nonce BLOB NOT NULL,
        ts INTEGER NOT NULL,
        request_hash BLOB NOT NULL,
        response BLOB NOT NULL,
        PRIMARY KEY (key, nonce)
    );
    CREATE INDEX nonces_ts ON nonces(ts);
    CREATE TABLE rate (
        key BLOB PRIMARY KEY,
        tokens REAL NOT NULL,
        at_ms INTEGER NOT NULL
    );
    "#,
    // 2 (spec 1.0-rc1): the ids of invites revoked while unused, never assigned again
    // (HRT-OP-61); the GroupInfo ciphertext of a commit, stored once for its Welcomes
    // (HRT-OP-64).
    r#"
    CREATE TABLE revoked_invites (
        channel BLOB NOT NULL,
        invite_id BLOB NOT NULL,
        PRIMARY KEY (channel, invite_id)
    ) WITHOUT ROWID;
    CREATE TABLE group_infos (
        channel BLOB NOT NULL,
        seq INTEGER NOT NULL,
        ct BLOB NOT NULL,
        PRIMARY KEY (channel, seq)
    ) WITHOUT ROWID;
    CREATE TABLE restores (marker TEXT PRIMARY KEY) WITHOUT ROWID;
    "#,
    // 2: removed member keys (spec §8.5.8, HRT-OP-67).
    r#"
    CREATE TABLE removed (
        channel BLOB NOT NULL,
        member_key BLOB NOT NULL,
        seq INTEGER NOT NULL,
        epoch INTEGER NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (channel, member_key)
    ) WITHOUT ROWID;
    "#,
];

/// A removed member key is kept this long after its removing commit (HRT-OP-67).
pub const REMOVED_KEEP_SECS: u64 = 2_592_000;

/// The file an operator places in the data directory, next to the database, after restoring
/// it from a backup (spec §8.9, HRT-INV-61). The next open removes every unused invite and then
/// the file.
pub const RESTORED_MARKER: &str = "RESTORED";

/// The schema version this build writes.
pub fn schema_version() -> usize {
    MIGRATIONS.len()
}

/// Opens the database of `serve`: the shared PostgreSQL database of `[serve] database_url`
/// (feature `postgres`), else the SQLite file `db_path`.
pub fn open_config(db_path: &Path, database_url: Option<&str>) -> DbResult<Connection> {
    match database_url {
        None => open(db_path),
        #[cfg(feature = "postgres")]
        Some(url) => Ok(Connection::Pg(Box::new(crate::pg::open(url)?))),
        #[cfg(not(feature = "postgres"))]
        Some(_) => Err(crate::db::DbError::Type(
            "supported: serve.database_url needs a build with `--features postgres`",
        )),
    }
}

/// Opens (creating if needed) the database, sets WAL, `synchronous = FULL` and the busy
/// timeout, and applies pending migrations in one transaction.
pub fn open(path: &Path) -> DbResult<Connection> {
    // A new data directory is 0700 with a deny-all .htaccess, a new database 0600 (its -wal
    // and -shm files inherit that mode); failures surface as SQLite's open error below.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Err(e) = crate::datadir::create_data_dir(dir) {
            tracing::error!("cannot create the data directory {}: {e}", dir.display());
        }
    }
    if let Err(e) = crate::datadir::create_db_file(path) {
        tracing::error!("cannot create the database {}: {e}", path.display());
    }
    let conn = Sqlite::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // WAL is persistent in the file: set it only when it is not set yet.
    let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        conn.pragma_update(None, "journal_mode", "WAL")?;
    }
    // HRT-API-50: every commit is synced before the response is sent.
    conn.pragma_update(None, "synchronous", "FULL")?;
    // A CGI process is one short connection: do not checkpoint (and fsync the database) on
    // every close; the WAL is checkpointed automatically as it grows.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
        true,
    )?;
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    migrate(&conn)?;
    after_restore(&conn, path)?;
    Ok(Connection::Sqlite(conn))
}

/// HRT-INV-61: after a restore from a backup (the operator placed [`RESTORED_MARKER`] in the
/// data directory), every invite that is unused in the restored state may have been redeemed
/// after the backup was taken; they are all removed, in one transaction, before this
/// connection serves any request, and their ids kept as revoked (HRT-OP-61).
///
/// Several CGI processes can start at once: the marker is named by its modification time and
/// size, and that name is recorded in the same transaction, so exactly one process handles a
/// given marker and the others, waiting for the write lock, find it handled. A crash before the
/// commit leaves the marker for the next process.
fn after_restore(conn: &Sqlite, path: &Path) -> rusqlite::Result<()> {
    let Some(marker) = path.parent().map(|d| d.join(RESTORED_MARKER)) else {
        return Ok(());
    };
    let Ok(meta) = std::fs::metadata(&marker) else {
        return Ok(());
    };
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let name = format!("{modified}-{}", meta.len());
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = (|| {
        let fresh = conn
            .prepare_cached("INSERT OR IGNORE INTO restores (marker) VALUES (?1)")?
            .execute([&name])?;
        if fresh == 1 {
            conn.execute_batch(
                "INSERT OR IGNORE INTO revoked_invites (channel, invite_id)
                     SELECT channel, invite_id FROM invites WHERE used = 0;
                 DELETE FROM invites WHERE used = 0;",
            )?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => conn.execute_batch("COMMIT")?,
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e);
        }
    }
    let _ = std::fs::remove_file(&marker);
    Ok(())
}

fn migrate(conn: &Sqlite) -> rusqlite::Result<()> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if usize::try_from(current).unwrap_or(usize::MAX) >= MIGRATIONS.len() {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = (|| {
        // Re-read under the write lock: another process may have migrated meanwhile.
        let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let start = usize::try_from(current).unwrap_or(usize::MAX);
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(start) {
            conn.execute_batch(sql)?;
            conn.pragma_update(None, "user_version", (i + 1) as i64)?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => conn.execute_batch("COMMIT"),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// A channel row.
#[derive(Clone, Debug)]
pub struct Channel {
    /// The suite fixed at creation.
    pub suite: u16,
    /// The current epoch (the number of commit entries, HRT-LOG-14).
    pub epoch: u64,
    /// The highest seq.
    pub tip: u64,
    /// The head at tip.
    pub head: Vec<u8>,
}

/// Loads a channel.
pub fn channel(conn: &Connection, id: &[u8]) -> crate::db::DbResult<Option<Channel>> {
    conn.prepare_cached("SELECT suite, epoch, tip, head FROM channels WHERE id = ?1")?
        .query_row(params![id], |r| {
            Ok(Channel {
                suite: r.get::<i64>(0)? as u16,
                epoch: r.get::<i64>(1)? as u64,
                tip: r.get::<i64>(2)? as u64,
                head: r.get(3)?,
            })
        })
        .optional()
}

/// One entry of the host-visible roster (spec §8.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Stable identity of the entry across RotateOps (invite authorship follows it).
    pub entry_id: i64,
    /// The member key.
    pub member_key: [u8; 32],
    /// 0 member, 1 admin.
    pub role: u8,
    /// The entry made by `channel.create`. Since 1.0-rc1 it grants nothing (spec §8.5: no
    /// creator mark); only the `keep-creator-mark` mutant reads it.
    pub creator: bool,
    /// Marked left by `member.leave`.
    pub left: bool,
}

fn key32(v: Vec<u8>) -> [u8; 32] {
    <[u8; 32]>::try_from(v.as_slice()).unwrap_or([0; 32])
}

fn entry_from_row(r: &crate::db::Row) -> crate::db::DbResult<Entry> {
    Ok(Entry {
        entry_id: r.get(0)?,
        member_key: key32(r.get(1)?),
        role: r.get::<i64>(2)? as u8,
        creator: r.get::<i64>(3)? != 0,
        left: r.get::<i64>(4)? != 0,
    })
}

/// The roster in order.
pub fn roster(conn: &Connection, channel: &[u8]) -> crate::db::DbResult<Vec<Entry>> {
    let st = conn.prepare_cached(
        "SELECT entry_id, member_key, role, creator, left_ FROM roster WHERE channel = ?1 ORDER BY pos",
    )?;
    let rows = st.query_map(params![channel], entry_from_row)?;
    rows.collect()
}

/// The roster entry holding `key`, with its leaf index.
pub fn entry_by_key(
    conn: &Connection,
    channel: &[u8],
    key: &[u8],
) -> crate::db::DbResult<Option<(u64, Entry)>> {
    conn.prepare_cached(
        "SELECT entry_id, member_key, role, creator, left_, pos FROM roster WHERE channel = ?1 AND member_key = ?2",
    )?
    .query_row(params![channel, key], |r| {
        Ok((r.get::<i64>(5)? as u64, entry_from_row(r)?))
    })
    .optional()
}

/// The member key at leaf `pos`.
pub fn key_at(
    conn: &Connection,
    channel: &[u8],
    pos: u64,
) -> crate::db::DbResult<Option<[u8; 32]>> {
    conn.prepare_cached("SELECT member_key FROM roster WHERE channel = ?1 AND pos = ?2")?
        .query_row(params![channel, pos as i64], |r| Ok(key32(r.get(0)?)))
        .optional()
}

/// Replaces the roster of a channel (after a commit, spec §8.5 roster rules).
pub fn write_roster(
    conn: &Connection,
    channel: &[u8],
    entries: &[Entry],
) -> crate::db::DbResult<()> {
    conn.prepare_cached("DELETE FROM roster WHERE channel = ?1")?
        .execute(params![channel])?;
    let st = conn.prepare_cached(
        "INSERT INTO roster (channel, pos, entry_id, member_key, role, creator, left_) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (pos, e) in entries.iter().enumerate() {
        st.execute(params![
            channel,
            pos as i64,
            e.entry_id,
            &e.member_key[..],
            i64::from(e.role),
            i64::from(e.creator),
            i64::from(e.left)
        ])?;
    }
    Ok(())
}

pub use hearth_crypto::log::entry_hash;

/// `head_s` for an entry of kind `kind` (spec §9.3, HRT-LOG-7): the shared chain function.
pub fn next_head(prev: &[u8], seq: u64, kind: u8, bytes: &[u8]) -> [u8; 32] {
    hearth_crypto::log::next_head(prev, seq, u64::from(kind), bytes)
}

/// Appends a log entry in the current transaction: the next seq (HRT-LOG-4) and its head
/// (HRT-LOG-5, HRT-LOG-7), exact bytes as received (HRT-LOG-3).
pub fn append(
    conn: &Connection,
    channel: &[u8],
    kind: u8,
    bytes: &[u8],
    now: u64,
) -> crate::db::DbResult<(u64, [u8; 32])> {
    let (tip, prev): (i64, Vec<u8>) = conn
        .prepare_cached("SELECT tip, head FROM channels WHERE id = ?1")?
        .query_row(params![channel], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let seq = tip as u64 + 1;
    let head = next_head(&prev, seq, kind, bytes);
    conn.prepare_cached(
        "INSERT INTO log (channel, seq, kind, bytes, head, received) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![channel, seq as i64, i64::from(kind), bytes, &head[..], now as i64])?;
    conn.prepare_cached("UPDATE channels SET tip = ?2, head = ?3 WHERE id = ?1")?
        .execute(params![channel, seq as i64, &head[..]])?;
    Ok((seq, head))
}

/// A nonce store hit (spec §8.3.3).
pub enum NonceHit {
    /// Identical request bytes: the stored response (HRT-API-28).
    Same(Vec<u8>),
    /// Different bytes under the same (key, nonce): `replay` (HRT-API-27).
    Different,
}

/// Looks up (key, nonce). The request is compared by SHA-256 of its exact bytes.
pub fn nonce_lookup(
    conn: &Connection,
    key: &[u8],
    nonce: &[u8],
    request_hash: &[u8],
) -> crate::db::DbResult<Option<NonceHit>> {
    let row: Option<(Vec<u8>, Vec<u8>)> = conn
        .prepare_cached("SELECT request_hash, response FROM nonces WHERE key = ?1 AND nonce = ?2")?
        .query_row(params![key, nonce], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(row.map(|(hash, resp)| {
        if hash == request_hash {
            NonceHit::Same(resp)
        } else {
            NonceHit::Different
        }
    }))
}

/// Records a response in the nonce store (HRT-API-52: only entitled callers of ops with an effect).
pub fn nonce_record(
    conn: &Connection,
    key: &[u8],
    nonce: &[u8],
    ts: u64,
    request_hash: &[u8],
    response: &[u8],
) -> crate::db::DbResult<()> {
    conn.prepare_cached(
        "INSERT INTO nonces (key, nonce, ts, request_hash, response) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![key, nonce, ts as i64, request_hash, response])?;
    Ok(())
}

/// Prunes nonce entries more than 600 s past their `ts` (HRT-API-29), pending joins older than
/// 30 days (HRT-OP-60), removed member keys older than 30 days (HRT-OP-67) and idle rate
/// buckets.
pub fn prune(conn: &Connection, now: u64) -> DbResult<()> {
    prune_on(conn.backend(), now)
}

/// [`prune`] on either backend.
pub fn prune_on(db: &dyn crate::db::Backend, now: u64) -> DbResult<()> {
    let cutoff = now.saturating_sub(NONCE_KEEP_SECS) as i64;
    db.execute("DELETE FROM nonces WHERE ts < ?1", params![cutoff])?;
    let pcut = now.saturating_sub(PENDING_KEEP_SECS) as i64;
    db.execute("DELETE FROM pending WHERE redeemed_at < ?1", params![pcut])?;
    let xcut = now.saturating_sub(REMOVED_KEEP_SECS) as i64;
    db.execute("DELETE FROM removed WHERE at < ?1", params![xcut])?;
    let rcut = now.saturating_sub(3600).saturating_mul(1000) as i64;
    db.execute("DELETE FROM rate WHERE at_ms < ?1", params![rcut])?;
    Ok(())
}

/// Takes one token from the key's bucket (spec §8.7); false when the key is over its limit.
pub fn rate_take(
    conn: &Connection,
    key: &[u8],
    now_ms: u64,
    burst: f64,
    per_second: f64,
) -> crate::db::DbResult<bool> {
    let row: Option<(f64, i64)> = conn
        .prepare_cached("SELECT tokens, at_ms FROM rate WHERE key = ?1")?
        .query_row(params![key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let tokens = match row {
        None => burst,
        Some((t, at)) => {
            let dt = now_ms.saturating_sub(u64::try_from(at).unwrap_or(0)) as f64 / 1000.0;
            (t + dt * per_second).min(burst)
        }
    };
    if tokens < 1.0 {
        return Ok(false);
    }
    conn.prepare_cached("INSERT INTO rate (key, tokens, at_ms) VALUES (?1, ?2, ?3) ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, at_ms = excluded.at_ms")?
        .execute(params![key, tokens - 1.0, now_ms as i64])?;
    Ok(true)
}

/// The number of pending joins (not added, not expired) of a channel.
pub fn pending_count(conn: &Connection, channel: &[u8], now: u64) -> crate::db::DbResult<u64> {
    let n: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM pending WHERE channel = ?1 AND redeemed_at >= ?2")?
        .query_row(
            params![channel, now.saturating_sub(PENDING_KEEP_SECS) as i64],
            |r| r.get(0),
        )?;
    Ok(n as u64)
}

/// True if `key` is pending (redeemed, not yet added, not expired) in the channel.
pub fn is_pending(
    conn: &Connection,
    channel: &[u8],
    key: &[u8],
    now: u64,
) -> crate::db::DbResult<bool> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM pending WHERE channel = ?1 AND member_key = ?2 AND redeemed_at >= ?3",
        )?
        .query_row(
            params![channel, key, now.saturating_sub(PENDING_KEEP_SECS) as i64],
            |r| r.get(0),
        )?;
    Ok(n > 0)
}

/// A removed member key of a channel (spec §8.5.8, HRT-OP-67): the `seq` of the commit that
/// removed it and the epoch that commit created, while the record is younger than 30 days.
pub fn removed(
    conn: &Connection,
    channel: &[u8],
    key: &[u8],
    now: u64,
) -> crate::db::DbResult<Option<(u64, u64)>> {
    conn.prepare_cached(
        "SELECT seq, epoch FROM removed WHERE channel = ?1 AND member_key = ?2 AND at >= ?3",
    )?
    .query_row(
        crate::db::params![channel, key, now.saturating_sub(REMOVED_KEEP_SECS) as i64],
        |r| Ok((r.get::<i64>(0)? as u64, r.get::<i64>(1)? as u64)),
    )
    .optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_idempotent() -> crate::db::DbResult<()> {
        let dir = std::env::temp_dir().join(format!("hearth-store-{}", std::process::id()));
        let path = dir.join("t.sqlite3");
        let _ = std::fs::remove_file(&path);
        let c = open(&path)?;
        drop(c);
        let c = open(&path)?;
        let v: i64 = c
            .sqlite()
            .ok_or(crate::db::DbError::Type("sqlite"))?
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        assert_eq!(v as usize, schema_version());
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    }
}
