//! The PostgreSQL backend of `serve` (cargo feature `postgres`; `[serve] database_url`).
//!
//! Several `serve` instances share one database and behave as one host. Each write
//! transaction runs at READ COMMITTED and first takes transaction-scoped advisory locks on the
//! channels and signing keys of the requests it carries (see [`crate::db`] for what each
//! guarantee needs), in ascending order of their lock numbers, so that two instances wait for
//! each other instead of deadlocking. Durability is PostgreSQL's: `synchronous_commit = on`
//! (the default, set again per connection) flushes the WAL before `COMMIT` returns
//! (HRT-API-50).
//!
//! Migrations are versioned in the table `hearth_schema` and applied under an advisory lock,
//! so that instances starting together migrate once (`hearth-host migrate`, or at start).

use std::cell::RefCell;
use std::collections::HashMap;
use std::error::Error;

use postgres::types::{IsNull, ToSql, Type};
use postgres::{Client, NoTls, Statement};

use crate::db::{Backend, DbError, DbResult, Locks, Row, Val};

/// The lock number that serialises migrations and the pruning of expired rows.
const MAINTENANCE_LOCK: i64 = 0;

/// The commit of [`PgConn`]'s write transactions (see [`Backend::commit`] there).
const COMMIT_CHECKED: &str = "SELECT 1; COMMIT";

/// Schema migrations, applied in order; `hearth_schema.version` is the number applied. The
/// tables are those of the SQLite schema ([`crate::store`]) in PostgreSQL's types.
const MIGRATIONS: &[&str] = &[
    // 1: the schema of SQLite migrations 1 to 3.
    r#"
    CREATE TABLE channels (
        id BYTEA PRIMARY KEY,
        suite BIGINT NOT NULL,
        epoch BIGINT NOT NULL,
        tip BIGINT NOT NULL,
        head BYTEA NOT NULL,
        owner_key BYTEA NOT NULL,
        next_entry BIGINT NOT NULL
    );
    CREATE INDEX channels_owner ON channels(owner_key);
    CREATE TABLE roster (
        channel BYTEA NOT NULL,
        pos BIGINT NOT NULL,
        entry_id BIGINT NOT NULL,
        member_key BYTEA NOT NULL,
        role BIGINT NOT NULL,
        creator BIGINT NOT NULL,
        left_ BIGINT NOT NULL,
        PRIMARY KEY (channel, pos)
    );
    CREATE UNIQUE INDEX roster_key ON roster(channel, member_key);
    CREATE TABLE log (
        channel BYTEA NOT NULL,
        seq BIGINT NOT NULL,
        kind BIGINT NOT NULL,
        bytes BYTEA NOT NULL,
        head BYTEA NOT NULL,
        received BIGINT NOT NULL
    );
    CREATE UNIQUE INDEX log_seq ON log(channel, seq);
    CREATE TABLE invites (
        channel BYTEA NOT NULL,
        invite_id BYTEA NOT NULL,
        auth_key BYTEA NOT NULL,
        expires BIGINT NOT NULL,
        creator_entry BIGINT NOT NULL,
        used BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (channel, invite_id)
    );
    CREATE TABLE pending (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        channel BYTEA NOT NULL,
        invite_id BYTEA NOT NULL,
        member_key BYTEA NOT NULL,
        sealed BYTEA NOT NULL,
        redeemed_at BIGINT NOT NULL
    );
    CREATE UNIQUE INDEX pending_key ON pending(channel, member_key);
    CREATE INDEX pending_invite ON pending(channel, invite_id);
    CREATE TABLE welcomes (
        channel BYTEA NOT NULL,
        member_key BYTEA NOT NULL,
        welcome BYTEA NOT NULL,
        seq BIGINT NOT NULL,
        PRIMARY KEY (channel, member_key)
    );
    CREATE TABLE blobs (
        channel BYTEA NOT NULL,
        id BYTEA NOT NULL,
        data BYTEA NOT NULL
    );
    CREATE UNIQUE INDEX blobs_id ON blobs(channel, id);
    CREATE TABLE nonces (
        key BYTEA NOT NULL,
        nonce BYTEA NOT NULL,
        ts BIGINT NOT NULL,
        request_hash BYTEA NOT NULL,
        response BYTEA NOT NULL,
        PRIMARY KEY (key, nonce)
    );
    CREATE INDEX nonces_ts ON nonces(ts);
    CREATE TABLE rate (
        key BYTEA PRIMARY KEY,
        tokens DOUBLE PRECISION NOT NULL,
        at_ms BIGINT NOT NULL
    );
    CREATE TABLE revoked_invites (
        channel BYTEA NOT NULL,
        invite_id BYTEA NOT NULL,
        PRIMARY KEY (channel, invite_id)
    );
    CREATE TABLE group_infos (
        channel BYTEA NOT NULL,
        seq BIGINT NOT NULL,
        ct BYTEA NOT NULL,
        PRIMARY KEY (channel, seq)
    );
    CREATE TABLE restores (marker TEXT PRIMARY KEY);
    CREATE TABLE removed (
        channel BYTEA NOT NULL,
        member_key BYTEA NOT NULL,
        seq BIGINT NOT NULL,
        epoch BIGINT NOT NULL,
        at BIGINT NOT NULL,
        PRIMARY KEY (channel, member_key)
    );
    "#,
];

/// The schema version this build writes.
pub fn schema_version() -> usize {
    MIGRATIONS.len()
}

/// A connection to the shared database.
pub struct PgConn {
    client: RefCell<Client>,
    statements: RefCell<HashMap<String, Statement>>,
}

/// Connects to `url` (a libpq URL or key-value string), sets `synchronous_commit = on` and
/// applies pending migrations.
pub fn open(url: &str) -> DbResult<PgConn> {
    let mut client = Client::connect(url, NoTls)?;
    client.batch_execute("SET synchronous_commit = on")?;
    migrate(&mut client)?;
    Ok(PgConn {
        client: RefCell::new(client),
        statements: RefCell::new(HashMap::new()),
    })
}

/// Applies pending migrations in one transaction, under the maintenance lock; the number of
/// migrations applied.
pub fn migrate(client: &mut Client) -> DbResult<usize> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MAINTENANCE_LOCK])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS hearth_schema (version BIGINT NOT NULL)")?;
    let current: Option<i64> = tx
        .query_opt("SELECT version FROM hearth_schema", &[])?
        .map(|r| r.get(0));
    if current.is_none() {
        tx.execute("INSERT INTO hearth_schema (version) VALUES (0)", &[])?;
    }
    let start = usize::try_from(current.unwrap_or(0)).unwrap_or(usize::MAX);
    let mut applied = 0;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(start) {
        tx.batch_execute(sql)?;
        tx.execute(
            "UPDATE hearth_schema SET version = $1",
            &[&((i + 1) as i64)],
        )?;
        applied += 1;
    }
    tx.commit()?;
    Ok(applied)
}

/// `?N` placeholders (SQLite) as `$N` (PostgreSQL). The host's statements hold no string
/// literal with a `?`.
fn translate(sql: &str) -> String {
    sql.replace('?', "$")
}

/// The advisory lock number of a channel or a key: its first 7 bytes, under a class byte, so
/// that every channel lock orders before every key lock, and those before the lock of
/// `channel.create` (class 3).
fn lock_number(class: u8, id: &[u8]) -> i64 {
    let mut b = [0u8; 8];
    b[0] = class;
    for (d, s) in b[1..].iter_mut().zip(id) {
        *d = *s;
    }
    i64::from_be_bytes(b)
}

/// The sorted, deduplicated lock numbers of `locks`.
pub fn lock_numbers(locks: &Locks) -> Vec<i64> {
    let mut n: Vec<i64> = locks
        .channels
        .iter()
        .map(|c| lock_number(1, c))
        .chain(locks.keys.iter().map(|k| lock_number(2, k)))
        .chain(locks.creates.then(|| lock_number(3, &[])))
        .collect();
    n.sort_unstable();
    n.dedup();
    n
}

impl PgConn {
    fn statement(&self, sql: &str) -> DbResult<Statement> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let st = self.client.borrow_mut().prepare(&translate(sql))?;
        self.statements
            .borrow_mut()
            .insert(sql.to_owned(), st.clone());
        Ok(st)
    }
}

fn params(args: &[Val]) -> Vec<&(dyn ToSql + Sync)> {
    args.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

fn row(r: &postgres::Row) -> DbResult<Row> {
    let mut vals = Vec::with_capacity(r.len());
    for (i, c) in r.columns().iter().enumerate() {
        let t = c.type_();
        let v = if *t == Type::INT8 {
            r.try_get::<_, Option<i64>>(i)?.map(Val::Int)
        } else if *t == Type::INT4 {
            r.try_get::<_, Option<i32>>(i)?.map(|x| Val::Int(x.into()))
        } else if *t == Type::INT2 {
            r.try_get::<_, Option<i16>>(i)?.map(|x| Val::Int(x.into()))
        } else if *t == Type::BOOL {
            r.try_get::<_, Option<bool>>(i)?.map(|x| Val::Int(x.into()))
        } else if *t == Type::FLOAT8 {
            r.try_get::<_, Option<f64>>(i)?.map(Val::Real)
        } else if *t == Type::BYTEA {
            r.try_get::<_, Option<Vec<u8>>>(i)?.map(Val::Blob)
        } else if *t == Type::TEXT || *t == Type::VARCHAR {
            r.try_get::<_, Option<String>>(i)?.map(Val::Text)
        } else {
            return Err(DbError::Type("a supported PostgreSQL type"));
        };
        vals.push(v.unwrap_or(Val::Null));
    }
    Ok(Row(vals))
}

impl Backend for PgConn {
    fn execute_batch(&self, sql: &str) -> DbResult<()> {
        Ok(self.client.borrow_mut().batch_execute(sql)?)
    }

    fn execute(&self, sql: &str, args: &[Val]) -> DbResult<usize> {
        let st = self.statement(sql)?;
        let n = self.client.borrow_mut().execute(&st, &params(args))?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn query(&self, sql: &str, args: &[Val]) -> DbResult<Vec<Row>> {
        let st = self.statement(sql)?;
        let rows = self.client.borrow_mut().query(&st, &params(args))?;
        rows.iter().map(row).collect()
    }

    fn begin_write(&self, locks: &Locks) -> DbResult<()> {
        // One round trip: BEGIN and every lock, in ascending order. The numbers are ours,
        // not input text.
        let mut sql = String::from("BEGIN ISOLATION LEVEL READ COMMITTED;");
        for n in lock_numbers(locks) {
            sql.push_str(&format!("SELECT pg_advisory_xact_lock({n});"));
        }
        let mut client = self.client.borrow_mut();
        if let Err(e) = client.batch_execute(&sql) {
            // A lock that failed (a lock or statement timeout, a cancel) leaves the
            // transaction open and aborted: end it, or every later BEGIN on this
            // connection fails and the instance answers only `internal`.
            let _ = client.batch_execute("ROLLBACK");
            return Err(e.into());
        }
        Ok(())
    }

    /// `COMMIT` of a transaction in which a statement failed (and that no savepoint
    /// recovered) is answered "ROLLBACK", not an error: the driver would report success
    /// for a transaction that PostgreSQL discarded. So the commit is preceded, in the same
    /// round trip, by a statement that fails with `25P02` in an aborted transaction; then
    /// `COMMIT` does not run, the error is returned and the caller rolls back (HRT-API-50,
    /// HRT-API-51: no response is acknowledged for a write that was not committed).
    fn commit(&self) -> DbResult<()> {
        Ok(self.client.borrow_mut().batch_execute(COMMIT_CHECKED)?)
    }

    fn rollback(&self) -> DbResult<()> {
        Ok(self.client.borrow_mut().batch_execute("ROLLBACK")?)
    }

    fn try_maintenance(&self) -> DbResult<bool> {
        let r = self
            .client
            .borrow_mut()
            .query_one("SELECT pg_try_advisory_xact_lock($1)", &[&MAINTENANCE_LOCK])?;
        Ok(r.get::<_, bool>(0))
    }

    fn is_closed(&self) -> bool {
        self.client.borrow().is_closed()
    }
}

impl ToSql for Val {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            Val::Null => Ok(IsNull::Yes),
            Val::Int(i) if *ty == Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
            Val::Int(i) if *ty == Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
            Val::Int(i) if *ty == Type::BOOL => (*i != 0).to_sql(ty, out),
            Val::Int(i) if *ty == Type::FLOAT8 => (*i as f64).to_sql(ty, out),
            Val::Int(i) => i.to_sql(ty, out),
            Val::Real(r) => r.to_sql(ty, out),
            Val::Blob(b) => b.as_slice().to_sql(ty, out),
            Val::Text(t) => t.as_str().to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        [
            Type::INT2,
            Type::INT4,
            Type::INT8,
            Type::BOOL,
            Type::FLOAT8,
            Type::BYTEA,
            Type::TEXT,
            Type::VARCHAR,
        ]
        .contains(ty)
    }

    postgres::types::to_sql_checked!();
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn channel_locks_order_before_key_locks() {
        let l = Locks {
            channels: vec![[0xff; 16], [0; 16]],
            keys: vec![[0; 32], [0; 32]],
            creates: false,
        };
        let n = lock_numbers(&l);
        let [a, b, c] = n.as_slice() else {
            panic!("three locks: {n:?}");
        };
        assert!(a < b && b < c);
        assert_eq!(c >> 56, 2);
        assert_ne!(*a, MAINTENANCE_LOCK);
    }

    #[test]
    fn placeholders_translate() {
        assert_eq!(translate("a = ?1 AND b = ?12"), "a = $1 AND b = $12");
    }
}
