//! An aborted PostgreSQL transaction is never acknowledged (HRT-API-50, HRT-API-51).
//!
//! In PostgreSQL a statement that fails inside a transaction aborts it; a later `COMMIT` is
//! then answered "ROLLBACK" without an error. The backend must report that commit as failed,
//! or the host answers `ok` for writes that are not in the database. And a write transaction
//! that could not take its locks must not leave the connection inside an aborted
//! transaction, or every later request on that instance is answered `internal`.

use std::cell::Cell;

use hearth_crypto::hazmat::ed25519::SigningKey;
use hearth_host::db::{Backend, Conn, DbError, DbResult, Locks, Row, Val};
use hearth_host::handler::{Host, Job, Prepared};
use hearth_host::pg::{self, PgConn};
use hearth_wire::ErrorCode;

use crate::common::*;
use crate::pg_support::{pg_bin, skip, Cluster};

fn count(conn: &PgConn, sql: &str, args: &[Val]) -> i64 {
    let rows = conn.query(sql, args).unwrap();
    match rows[0].0[0] {
        Val::Int(n) => n,
        ref v => panic!("a count: {v:?}"),
    }
}

/// The backend alone: a failed statement inside the transaction makes `commit` fail, and
/// nothing of the transaction is stored.
fn commit_reports_an_aborted_transaction(url: &str) {
    let conn = pg::open(url).unwrap();
    conn.begin_write(&Locks::default()).unwrap();
    let a = [Val::Text("aborted-a".into())];
    assert_eq!(
        conn.execute("INSERT INTO restores (marker) VALUES (?1)", &a)
            .unwrap(),
        1
    );
    // A real failure inside the transaction (a duplicate key), whose error the caller
    // ignores.
    assert!(conn
        .execute("INSERT INTO restores (marker) VALUES (?1)", &a)
        .is_err());
    assert!(
        conn.commit().is_err(),
        "COMMIT of an aborted transaction was reported as a success"
    );
    conn.rollback().unwrap();
    let sql = "SELECT count(*) FROM restores WHERE marker = ?1";
    assert_eq!(count(&conn, sql, &a), 0);
    // The connection is usable again, and a clean transaction commits.
    conn.begin_write(&Locks::default()).unwrap();
    let b = [Val::Text("aborted-b".into())];
    conn.execute("INSERT INTO restores (marker) VALUES (?1)", &b)
        .unwrap();
    conn.commit().unwrap();
    assert_eq!(count(&conn, sql, &b), 1);
}

/// A lock that times out leaves the connection usable for the next transaction.
fn failed_begin_leaves_no_transaction_open(url: &str) {
    let locks = Locks {
        channels: vec![[7; 16]],
        ..Locks::default()
    };
    let n = pg::lock_numbers(&locks)[0];
    let holder = pg::open(url).unwrap();
    holder
        .execute_batch(&format!("BEGIN; SELECT pg_advisory_xact_lock({n})"))
        .unwrap();
    let conn = pg::open(url).unwrap();
    conn.execute_batch("SET lock_timeout = '100ms'").unwrap();
    assert!(conn.begin_write(&locks).is_err(), "the lock is held");
    holder.rollback().unwrap();
    conn.begin_write(&locks)
        .expect("a new transaction after a failed BEGIN");
    conn.commit().unwrap();
}

/// A PostgreSQL connection that fails as a flaky server would: in the second job of a batch
/// its first query fails on the server (aborting the transaction), and the handler's
/// `ROLLBACK TO job` that would recover it fails too (its error is not the handler's to
/// act on, so it is ignored there).
struct Flaky {
    inner: PgConn,
    jobs: Cell<u32>,
    failed: Cell<bool>,
}

impl Backend for Flaky {
    fn execute_batch(&self, sql: &str) -> DbResult<()> {
        if sql == "SAVEPOINT job" {
            self.jobs.set(self.jobs.get() + 1);
        }
        if self.jobs.get() == 2 && self.failed.get() && sql.starts_with("ROLLBACK TO job") {
            return Err(DbError::Type("an injected failure of ROLLBACK TO"));
        }
        self.inner.execute_batch(sql)
    }
    fn execute(&self, sql: &str, args: &[Val]) -> DbResult<usize> {
        self.inner.execute(sql, args)
    }
    fn query(&self, sql: &str, args: &[Val]) -> DbResult<Vec<Row>> {
        if self.jobs.get() == 2 && !self.failed.replace(true) {
            self.inner
                .execute_batch("SELECT no_such_column FROM channels")?;
            unreachable!("the statement fails");
        }
        self.inner.query(sql, args)
    }
    fn begin_write(&self, locks: &Locks) -> DbResult<()> {
        self.inner.begin_write(locks)
    }
    fn commit(&self) -> DbResult<()> {
        self.inner.commit()
    }
    fn rollback(&self) -> DbResult<()> {
        self.inner.rollback()
    }
    fn try_maintenance(&self) -> DbResult<bool> {
        self.inner.try_maintenance()
    }
    fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }
}

fn job(host: &Host, raw: Vec<u8>) -> Box<Job> {
    match host.prepare(raw) {
        Prepared::Job(j) => j,
        Prepared::Done(r) => panic!("answered without storage: {:?}", status(&r)),
    }
}

/// Through the handler: a batch whose transaction ends aborted answers no job `ok`, and
/// the next batch on the same connection succeeds.
fn no_ok_for_a_rolled_back_batch(url: &str) {
    let dir = TempDir::new("pgabort");
    let text = format!(
        "host_url = \"{HOST_URL}\"\nowner_keys = [\"{}\"]\ndata_dir = \"data\"\n\
         [serve]\ndatabase_url = \"{url}\"\n",
        hex::encode(pk(&owner()))
    );
    let config = hearth_host::config::Config::parse(&text, dir.path()).unwrap();
    let host = Host::new(config).unwrap();
    let conn = Conn::Pg(Box::new(Flaky {
        inner: pg::open(url).unwrap(),
        jobs: Cell::new(0),
        failed: Cell::new(false),
    }));
    let create = |ch: [u8; 16]| {
        let alice = SigningKey::generate();
        job(
            &host,
            signed(&alice, 1, Some(ch), create_body(ch, &alice, 1)),
        )
    };
    let (c1, c2, c3) = (random16(), random16(), random16());
    let (j1, j2) = (create(c1), create(c2));
    let answers = host.run_batch(&conn, &[&j1, &j2]);
    let check = pg::open(url).unwrap();
    let stored = |ch: [u8; 16]| {
        count(
            &check,
            "SELECT count(*) FROM channels WHERE id = ?1",
            &[Val::Blob(ch.to_vec())],
        )
    };
    for (i, (a, ch)) in answers.iter().zip([c1, c2]).enumerate() {
        assert!(
            status(a) != ErrorCode::OK || stored(ch) == 1,
            "job {} was answered ok but its channel was not committed",
            i + 1
        );
        assert_eq!(status(a), ErrorCode::INTERNAL, "job {}", i + 1);
    }
    let j3 = create(c3);
    let answers = host.run_batch(&conn, &[&j3]);
    assert_eq!(status(&answers[0]), ErrorCode::OK);
    assert_eq!(stored(c3), 1);
}

#[test]
fn aborted_postgres_transactions_are_not_acknowledged() {
    let Some(bin) = pg_bin() else {
        return skip("no initdb/pg_ctl (apt-get install postgresql, or set HEARTH_PG_BIN)");
    };
    let cluster = Cluster::start(&bin);
    cluster.create_db("aborted");
    let url = cluster.url("aborted");
    commit_reports_an_aborted_transaction(&url);
    failed_begin_leaves_no_transaction_open(&url);
    no_ok_for_a_rolled_back_batch(&url);
}
