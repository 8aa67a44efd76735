//! The storage trait: one SQL connection the ops run on, with two implementations.
//!
//! - [`Conn::Sqlite`]: today's SQLite database (`rusqlite`), the default and the only one for
//!   CGI and FastCGI. The statements are passed to SQLite unchanged.
//! - `Conn::Pg` (cargo feature `postgres`, module `pg`): a PostgreSQL database shared by
//!   several `serve` instances. Placeholders `?N` become `$N`; everything else is the same SQL.
//!
//! The ops and [`crate::store`] are written once, against [`Backend`], in the SQL both
//! databases accept. What differs is how a write transaction is opened
//! ([`Backend::begin_write`]) and therefore which guarantees the isolation gives. Per
//! guarantee, what it needs and what provides it:
//!
//! | guarantee | statement | SQLite (`BEGIN IMMEDIATE`) | PostgreSQL (`READ COMMITTED` + advisory locks) |
//! |---|---|---|---|
//! | invitation flipped once (HRT-OP-21, HRT-OP-26) | `UPDATE invites SET used = 1 … AND used = 0`, one row or none | one writer | the channel lock; the conditional update alone also holds (the `WHERE` is re-checked on the row a concurrent writer committed) |
//! | epoch advanced once (HRT-OP-32) | `UPDATE channels … WHERE id = ? AND epoch = ?` | one writer | the channel lock, and the same re-check |
//! | log and hash chain (HRT-LOG-7) | read `tip, head`, insert `seq = tip + 1`, update the channel | one writer | the channel lock (a read-then-write: READ COMMITTED alone would fork the chain); `UNIQUE(channel, seq)` as a backstop |
//! | nonce store (HRT-API-27, HRT-API-28, HRT-API-56) | look up, then record in the same transaction | one writer | the signing key's lock; `PRIMARY KEY(key, nonce)` as a backstop |
//! | rate limit (HRT-API-46) | read the bucket, write it back | one writer | the signing key's lock |
//! | reads (`log.fetch`, `blob.get`, …) | `SELECT` | one writer | the locks of the request, so a read sees every write acknowledged before it |
//!
//! Per op, on PostgreSQL (every op also holds its signing key's lock, for steps 10 and 11):
//!
//! - Counted limits (`channel.create`'s `max_channels` per owner key, `invite.create`'s
//!   `max_invites`, `invite.redeem`'s `max_pending`, `blob.put`'s `max_blobs`) read a count and
//!   then insert: a read-then-write that READ COMMITTED alone would let two instances both pass;
//!   the channel lock (for `max_channels`, a host-wide lock of `channel.create`) makes it serial.
//! - `invite.redeem`, `invite.revoke`: the conditional flip of `used`, under the channel lock.
//! - `commit.post`, `msg.post`, `member.leave`, `channel.delete`: the epoch check, the log
//!   append and the roster rewrite, under the channel lock (they read the tip and head first).
//! - `log.fetch`, `join.fetch`, `welcome.fetch`, `blob.get`: reads; each statement of READ
//!   COMMITTED sees every committed write, and the channel lock keeps a page from mixing two
//!   commits' states. Nothing here needs REPEATABLE READ or SERIALIZABLE: with the locks taken
//!   first, each channel's requests run one at a time, which is what SQLite's single writer
//!   gives; a higher level would only add serialization failures to retry.
//! - Pruning of expired rows runs in a transaction of its own under a maintenance lock, so one
//!   instance prunes at a time and no request waits on it.

use std::fmt;

/// A value bound to a statement or read from a row.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    /// SQL NULL.
    Null,
    /// An integer (SQLite INTEGER, PostgreSQL BIGINT).
    Int(i64),
    /// A float (SQLite REAL, PostgreSQL DOUBLE PRECISION).
    Real(f64),
    /// Bytes (SQLite BLOB, PostgreSQL BYTEA).
    Blob(Vec<u8>),
    /// Text.
    Text(String),
}

/// A storage error: the driver's, or a value of an unexpected type.
#[derive(Debug)]
pub enum DbError {
    /// From SQLite.
    Sqlite(rusqlite::Error),
    /// From PostgreSQL.
    #[cfg(feature = "postgres")]
    Pg(postgres::Error),
    /// A query that must return a row returned none.
    NoRows,
    /// A column held a value of another type.
    Type(&'static str),
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbError::Sqlite(e) => write!(f, "sqlite: {e}"),
            #[cfg(feature = "postgres")]
            DbError::Pg(e) => write!(f, "postgres: {e}"),
            DbError::NoRows => f.write_str("query returned no rows"),
            DbError::Type(t) => write!(f, "column is not {t}"),
        }
    }
}

impl std::error::Error for DbError {}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::QueryReturnedNoRows => DbError::NoRows,
            e => DbError::Sqlite(e),
        }
    }
}

#[cfg(feature = "postgres")]
impl From<postgres::Error> for DbError {
    fn from(e: postgres::Error) -> Self {
        DbError::Pg(e)
    }
}

impl DbError {
    /// Whether a retry of the whole transaction can succeed (PostgreSQL's serialization
    /// failure and deadlock; SQLite serialises writers, so never there).
    pub fn is_transient(&self) -> bool {
        match self {
            #[cfg(feature = "postgres")]
            DbError::Pg(e) => e.code().is_some_and(|c| {
                *c == postgres::error::SqlState::T_R_SERIALIZATION_FAILURE
                    || *c == postgres::error::SqlState::T_R_DEADLOCK_DETECTED
            }),
            _ => false,
        }
    }
}

/// The result of a storage call.
pub type DbResult<T> = Result<T, DbError>;

/// `Ok(None)` for [`DbError::NoRows`], as rusqlite's extension of that name.
pub trait OptionalExtension<T> {
    /// The row, or `None` when there was none.
    fn optional(self) -> DbResult<Option<T>>;
}

impl<T> OptionalExtension<T> for DbResult<T> {
    fn optional(self) -> DbResult<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(DbError::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A Rust value that binds as a [`Val`].
pub trait ToVal {
    /// The bound value.
    fn to_val(&self) -> Val;
}

impl<T: ToVal + ?Sized> ToVal for &T {
    fn to_val(&self) -> Val {
        (**self).to_val()
    }
}
impl ToVal for [u8] {
    fn to_val(&self) -> Val {
        Val::Blob(self.to_vec())
    }
}
impl ToVal for Vec<u8> {
    fn to_val(&self) -> Val {
        Val::Blob(self.clone())
    }
}
impl<const N: usize> ToVal for [u8; N] {
    fn to_val(&self) -> Val {
        Val::Blob(self.to_vec())
    }
}
impl ToVal for str {
    fn to_val(&self) -> Val {
        Val::Text(self.to_owned())
    }
}
impl ToVal for String {
    fn to_val(&self) -> Val {
        Val::Text(self.clone())
    }
}
impl ToVal for f64 {
    fn to_val(&self) -> Val {
        Val::Real(*self)
    }
}
impl ToVal for bool {
    fn to_val(&self) -> Val {
        Val::Int(i64::from(*self))
    }
}
macro_rules! int_to_val {
    ($($t:ty),*) => {$(
        impl ToVal for $t {
            fn to_val(&self) -> Val {
                // SQLite stores at most i64; values above it wrap as rusqlite's u64 binding
                // refuses them (the host never stores such values).
                Val::Int(*self as i64)
            }
        }
    )*};
}
int_to_val!(i64, i32, u8, u16, u32, u64, usize);

/// `params![a, b, …]`: the values bound to `?1`, `?2`, ….
macro_rules! params {
    ($($x:expr),* $(,)?) => {
        &[$($crate::db::ToVal::to_val(&$x)),*][..]
    };
}
pub(crate) use params;

/// A Rust value read from a [`Val`].
pub trait FromVal: Sized {
    /// The value, or a type error.
    fn from_val(v: &Val) -> DbResult<Self>;
}

impl FromVal for i64 {
    fn from_val(v: &Val) -> DbResult<Self> {
        match v {
            Val::Int(i) => Ok(*i),
            _ => Err(DbError::Type("an integer")),
        }
    }
}
macro_rules! int_from_val {
    ($($t:ty),*) => {$(
        impl FromVal for $t {
            fn from_val(v: &Val) -> DbResult<Self> {
                <$t>::try_from(i64::from_val(v)?).map_err(|_| DbError::Type(stringify!($t)))
            }
        }
    )*};
}
int_from_val!(u8, u16, u32, u64, usize, i32);
impl FromVal for bool {
    fn from_val(v: &Val) -> DbResult<Self> {
        Ok(i64::from_val(v)? != 0)
    }
}
impl FromVal for f64 {
    fn from_val(v: &Val) -> DbResult<Self> {
        match v {
            Val::Real(r) => Ok(*r),
            Val::Int(i) => Ok(*i as f64),
            _ => Err(DbError::Type("a float")),
        }
    }
}
impl FromVal for Vec<u8> {
    fn from_val(v: &Val) -> DbResult<Self> {
        match v {
            Val::Blob(b) => Ok(b.clone()),
            _ => Err(DbError::Type("bytes")),
        }
    }
}
impl FromVal for String {
    fn from_val(v: &Val) -> DbResult<Self> {
        match v {
            Val::Text(t) => Ok(t.clone()),
            _ => Err(DbError::Type("text")),
        }
    }
}
impl<T: FromVal> FromVal for Option<T> {
    fn from_val(v: &Val) -> DbResult<Self> {
        match v {
            Val::Null => Ok(None),
            v => T::from_val(v).map(Some),
        }
    }
}

/// One row of a result.
pub struct Row(pub Vec<Val>);

impl Row {
    /// Column `i` as `T`.
    pub fn get<T: FromVal>(&self, i: usize) -> DbResult<T> {
        T::from_val(self.0.get(i).ok_or(DbError::Type("a column"))?)
    }
}

/// The advisory locks a write transaction takes on PostgreSQL (SQLite takes its one write
/// lock instead): the channels and signing keys of the requests it carries.
#[derive(Default, Debug, Clone)]
pub struct Locks {
    /// Channel ids.
    pub channels: Vec<[u8; 16]>,
    /// Signing keys.
    pub keys: Vec<[u8; 32]>,
    /// Whether a `channel.create` is among the requests: its `max_channels` count is per owner
    /// key, which is not the signing key, so creations take one host-wide lock.
    pub creates: bool,
}

/// What a database implementation provides: statements, and write transactions whose
/// isolation gives the guarantees in the module's table.
pub trait Backend {
    /// Runs one or more statements without parameters (savepoints, DDL).
    fn execute_batch(&self, sql: &str) -> DbResult<()>;
    /// Runs one statement; the number of rows it changed.
    fn execute(&self, sql: &str, args: &[Val]) -> DbResult<usize>;
    /// Runs one query; every row.
    fn query(&self, sql: &str, args: &[Val]) -> DbResult<Vec<Row>>;
    /// Opens the write transaction of a batch: SQLite `BEGIN IMMEDIATE` (the one write
    /// lock); PostgreSQL `BEGIN` (READ COMMITTED) and the advisory locks of `locks`, in one
    /// global order so that two instances never deadlock.
    fn begin_write(&self, locks: &Locks) -> DbResult<()>;
    /// Commits the open transaction (durable when it returns: HRT-API-50). An error when
    /// nothing was committed, including a transaction that the database had already aborted
    /// (PostgreSQL answers `COMMIT` there with a silent rollback).
    fn commit(&self) -> DbResult<()>;
    /// Rolls the open transaction back.
    fn rollback(&self) -> DbResult<()>;
    /// Inside a transaction: takes the maintenance lock (migrations, pruning) if no other
    /// process holds it. SQLite's write lock already excludes everyone else.
    fn try_maintenance(&self) -> DbResult<bool> {
        Ok(true)
    }
    /// Whether the server closed the connection.
    fn is_closed(&self) -> bool {
        false
    }
}

/// A connection to either database.
pub enum Conn {
    /// SQLite.
    Sqlite(rusqlite::Connection),
    /// PostgreSQL.
    #[cfg(feature = "postgres")]
    Pg(Box<dyn Backend>),
}

impl Conn {
    /// The SQLite connection, if this is one (CGI maintenance, diagnostics).
    pub fn sqlite(&self) -> Option<&rusqlite::Connection> {
        match self {
            Conn::Sqlite(c) => Some(c),
            #[cfg(feature = "postgres")]
            Conn::Pg(_) => None,
        }
    }

    /// The implementation behind this connection.
    pub fn backend(&self) -> &dyn Backend {
        match self {
            Conn::Sqlite(c) => c,
            #[cfg(feature = "postgres")]
            Conn::Pg(c) => c.as_ref(),
        }
    }

    /// A statement to run (the name of rusqlite's, which SQLite caches).
    pub fn prepare_cached<'a>(&'a self, sql: &'a str) -> DbResult<Stmt<'a>> {
        Ok(Stmt { conn: self, sql })
    }

    /// A statement to run.
    pub fn prepare<'a>(&'a self, sql: &'a str) -> DbResult<Stmt<'a>> {
        self.prepare_cached(sql)
    }

    /// Runs statements without parameters.
    pub fn execute_batch(&self, sql: &str) -> DbResult<()> {
        self.backend().execute_batch(sql)
    }

    /// Runs one statement.
    pub fn execute(&self, sql: &str, args: &[Val]) -> DbResult<usize> {
        self.backend().execute(sql, args)
    }

    /// Opens a write transaction (see [`Backend::begin_write`]).
    pub fn begin_write(&self, locks: &Locks) -> DbResult<()> {
        self.backend().begin_write(locks)
    }

    /// Commits.
    pub fn commit(&self) -> DbResult<()> {
        self.backend().commit()
    }

    /// Rolls back.
    pub fn rollback(&self) -> DbResult<()> {
        self.backend().rollback()
    }

    /// Whether the connection is gone (PostgreSQL: the server closed it); the caller opens a
    /// new one.
    pub fn is_broken(&self) -> bool {
        match self {
            Conn::Sqlite(_) => false,
            #[cfg(feature = "postgres")]
            Conn::Pg(c) => c.as_ref().is_closed(),
        }
    }

    /// Whether this is PostgreSQL.
    pub fn is_pg(&self) -> bool {
        self.sqlite().is_none()
    }
}

/// A statement bound to a connection.
pub struct Stmt<'a> {
    conn: &'a Conn,
    sql: &'a str,
}

impl Stmt<'_> {
    /// Runs it; the rows changed.
    pub fn execute(&self, args: &[Val]) -> DbResult<usize> {
        self.conn.backend().execute(self.sql, args)
    }

    /// The first row through `f`, or [`DbError::NoRows`].
    pub fn query_row<T>(&self, args: &[Val], f: impl FnOnce(&Row) -> DbResult<T>) -> DbResult<T> {
        let rows = self.conn.backend().query(self.sql, args)?;
        f(rows.first().ok_or(DbError::NoRows)?)
    }

    /// Every row through `f`.
    pub fn query_map<T>(
        &self,
        args: &[Val],
        f: impl FnMut(&Row) -> DbResult<T>,
    ) -> DbResult<std::vec::IntoIter<DbResult<T>>> {
        let rows = self.conn.backend().query(self.sql, args)?;
        Ok(rows.iter().map(f).collect::<Vec<_>>().into_iter())
    }
}

fn sqlite_val(v: rusqlite::types::ValueRef<'_>) -> Val {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Val::Null,
        ValueRef::Integer(i) => Val::Int(i),
        ValueRef::Real(r) => Val::Real(r),
        ValueRef::Blob(b) => Val::Blob(b.to_vec()),
        ValueRef::Text(t) => Val::Text(String::from_utf8_lossy(t).into_owned()),
    }
}

impl rusqlite::ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Val::Null => ValueRef::Null,
            Val::Int(i) => ValueRef::Integer(*i),
            Val::Real(r) => ValueRef::Real(*r),
            Val::Blob(b) => ValueRef::Blob(b),
            Val::Text(t) => ValueRef::Text(t.as_bytes()),
        }))
    }
}

impl Backend for rusqlite::Connection {
    fn execute_batch(&self, sql: &str) -> DbResult<()> {
        Ok(rusqlite::Connection::execute_batch(self, sql)?)
    }

    fn execute(&self, sql: &str, args: &[Val]) -> DbResult<usize> {
        Ok(self
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(args))?)
    }

    fn query(&self, sql: &str, args: &[Val]) -> DbResult<Vec<Row>> {
        let mut st = self.prepare_cached(sql)?;
        let n = st.column_count();
        let mut rows = st.query(rusqlite::params_from_iter(args))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut vals = Vec::with_capacity(n);
            for i in 0..n {
                vals.push(sqlite_val(r.get_ref(i)?));
            }
            out.push(Row(vals));
        }
        Ok(out)
    }

    fn begin_write(&self, _locks: &Locks) -> DbResult<()> {
        Ok(rusqlite::Connection::execute_batch(
            self,
            "BEGIN IMMEDIATE",
        )?)
    }

    fn commit(&self) -> DbResult<()> {
        Ok(rusqlite::Connection::execute_batch(self, "COMMIT")?)
    }

    fn rollback(&self) -> DbResult<()> {
        Ok(rusqlite::Connection::execute_batch(self, "ROLLBACK")?)
    }
}
