//! The request handler: the check order of spec §8.3.2 (HRT-API-15), shared by the CGI and
//! `serve` front ends.
//!
//! - Steps 1 and 2 (method, media type, size) run on the HTTP metadata before the body is
//!   read: [`Host::pre_body`].
//! - Steps 3 to 9 use only the body and the configuration, no storage: [`Host::prepare`]. The
//!   body decode of step 12 is computed here too (it is pure), but its result is only used
//!   after steps 10 and 11.
//! - Steps 10 to 15 run inside one database transaction: [`Host::run_batch`].

use std::sync::atomic::Ordering;

use crate::db::Conn as Connection;
use hearth_crypto::hazmat::ed25519::{Signature as EdSignature, VerifyingKey};
use hearth_crypto::hazmat::label;
use hearth_crypto::hazmat::labelled::{bstr, h, verify_with_label};
use hearth_wire::group::CommitTbs;
use hearth_wire::request::{Request, RequestBody, SignedRequest};
use hearth_wire::{ErrorCode, Op, Unverified, WireDecode};

pub use crate::host::{fail_response, response, Fail, Host, Job, Prepared};
use crate::ops;
use crate::store::{self, NonceHit};

/// Freshness window of step 9 (HRT-API-25).
pub const MAX_SKEW: u64 = 300;

impl Host {
    /// Steps 1 and 2 on the HTTP metadata alone. `Some` is the final answer; the body must
    /// then not be read (HRT-API-16).
    pub fn pre_body(
        &self,
        method: &str,
        content_type: Option<&str>,
        content_length: Option<u64>,
    ) -> Option<Vec<u8>> {
        // Step 1 (HRT-API-2): GET answers info without a signature.
        if method.eq_ignore_ascii_case("GET") {
            return Some(response(
                ErrorCode::OK,
                self.clock.now(),
                Some(&self.info),
                None,
            ));
        }
        // Step 1 (HRT-API-1, HRT-API-4): other methods, and POST with another media type.
        if !method.eq_ignore_ascii_case("POST") || !is_cbor(content_type) {
            return Some(self.answer(Fail::Detail(ErrorCode::WRONG_CONTENT_TYPE)));
        }
        // Step 2 (HRT-API-16): Content-Length over max_request, without reading the body.
        // MUTANT ignore-max-request (HRT-API-16): no size check.
        if !mutant!(self, IgnoreMaxRequest)
            && content_length.is_some_and(|n| n > self.config.limits.max_request)
        {
            // MUTANT size-after-body (HRT-API-16): judged only once the body has been read.
            if !mutant!(self, SizeAfterBody) {
                return Some(self.too_large());
            }
        }
        None
    }

    /// Steps 3 to 9 on the body (at most `max_request + 1` bytes were read).
    pub fn prepare(&self, raw: Vec<u8>) -> Prepared {
        match self.prepare_inner(raw) {
            Ok(job) => Prepared::Job(Box::new(job)),
            Err(f) => Prepared::Done(self.answer(f)),
        }
    }

    fn prepare_inner(&self, raw: Vec<u8>) -> Result<Job, Fail> {
        // Step 2 (HRT-API-17): a body longer than max_request.
        // MUTANT ignore-max-request (HRT-API-17): no size check.
        if !mutant!(self, IgnoreMaxRequest) && raw.len() as u64 > self.config.limits.max_request {
            return Err(Fail::Status(ErrorCode::TOO_LARGE));
        }
        // Steps 3 and 4 (HRT-API-18, HRT-API-19): the outer structure, then the version
        // (stages 1 to 3 of spec §2.4.1); request_bytes stay undecoded until step 6.
        let sr = SignedRequest::decode_outer(&raw);
        // MUTANT accept-noncanonical (HRT-WIRE-3/4/8), lenient-decoder (HRT-WIRE-1/8/12).
        #[cfg(feature = "mutants")]
        let sr = sr.or_else(|e| crate::mutant::redecode_outer(self.mutant(), &raw, e));
        let sr = sr?;
        // Step 5 (HRT-API-20, HRT-API-21): a valid key and VerifyWithLabel(key, "request",
        // request_bytes) over the exact received bytes.
        let verified = verify_request(&sr);
        // MUTANT accept-weak-keys (HRT-API-20, HRT-CRYPTO-13, HRT-CRYPTO-14).
        #[cfg(feature = "mutants")]
        let verified =
            verified.or_else(|f| crate::mutant::weak_key_signature(self.mutant(), &sr, f));
        verified?;
        // Variant strict-verifier (HRT-CRYPTO-46, HRT-KEY-29): mixed-order A or R rejected.
        #[cfg(feature = "mutants")]
        {
            let mut r = [0u8; 32];
            r.copy_from_slice(sr.signature.0.get(..32).unwrap_or(&[0; 32]));
            if crate::mutant::strict_rejects(self.mutant(), &sr.key.0)
                || crate::mutant::strict_rejects(self.mutant(), &r)
            {
                return Err(Fail::Status(ErrorCode::BAD_SIGNATURE));
            }
        }
        // Step 6 (HRT-API-22, HRT-API-23): the inner profile; no critical extension is
        // implemented, so any crit entry is unsupported_extension.
        let request = sr
            .unverified_request()
            .map(Unverified::danger_assume_verified);
        // MUTANT accept-noncanonical (HRT-WIRE-3/4/8), lenient-decoder (HRT-WIRE-1/8/12).
        #[cfg(feature = "mutants")]
        let request = request
            .or_else(|e| crate::mutant::redecode_inner(self.mutant(), sr.request.as_bytes(), e));
        let request = request?;
        // Step 7 (HRT-API-24, HRT-OP-2): ops 0 to 14.
        if !request.op.is_known() {
            return Err(Fail::Status(ErrorCode::UNSUPPORTED_OP));
        }
        // MUTANT swap-check-order (HRT-API-15): step 9 runs before step 8.
        if mutant!(self, SwapCheckOrder) && request.ts.0.abs_diff(self.clock.now()) > MAX_SKEW {
            return Err(Fail::Status(ErrorCode::STALE_TIMESTAMP));
        }
        // Step 8 (HRT-API-8): byte-for-byte host URL.
        // MUTANT skip-host-binding (HRT-API-8): no comparison.
        if !mutant!(self, SkipHostBinding) && request.host_url.as_str() != self.config.host_url {
            return Err(Fail::Status(ErrorCode::WRONG_HOST));
        }
        // Step 9 (HRT-API-25): |ts - now| <= 300.
        // MUTANT skip-freshness (HRT-API-25): no window.
        let now = self.clock.now();
        if !mutant!(self, SkipFreshness) && request.ts.0.abs_diff(now) > MAX_SKEW {
            return Err(Fail::Status(ErrorCode::STALE_TIMESTAMP));
        }
        // Step 12, computed now and applied after steps 10 and 11.
        let (body, tbs) = match decode_body(&request) {
            Ok((b, t)) => (Ok(b), t),
            Err(f) => (Err(f), None),
        };
        Ok(Job {
            request_hash: request_digest(&raw),
            key: sr.key.0,
            raw,
            request,
            body,
            tbs,
        })
    }

    /// Steps 10 to 15 for a batch of jobs in one `BEGIN IMMEDIATE` transaction, each job in
    /// its own savepoint. Responses are returned only after `COMMIT` succeeded (HRT-API-50);
    /// if it fails, every job is answered `internal` (HRT-API-51).
    ///
    /// On PostgreSQL the transaction takes the advisory locks of the jobs' channels and keys
    /// ([`crate::db::Locks`]) and expired rows are pruned in a transaction of their own, by
    /// one instance at a time.
    pub fn run_batch(&self, conn: &Connection, jobs: &[&Job]) -> Vec<Vec<u8>> {
        let now = self.clock.now();
        let prune_due = self.last_prune.swap(now, Ordering::Relaxed) != now;
        #[cfg(feature = "postgres")]
        if prune_due {
            if let Connection::Pg(pg) = conn {
                prune_shared(pg.as_ref(), now);
            }
        }
        let prune_here = prune_due && !conn.is_pg();
        let mut locks = crate::db::Locks::default();
        for job in jobs {
            if let Some(c) = job.request.channel_id {
                locks.channels.push(c.0);
            }
            locks.keys.push(job.key);
            locks.creates |= job.request.op == Op::CHANNEL_CREATE;
        }
        if let Err(e) = conn.begin_write(&locks) {
            tracing::error!(
                "internal: cannot begin a write transaction on {}: {e}",
                self.config.db_path().display()
            );
            return jobs.iter().map(|_| self.internal()).collect();
        }
        if prune_here {
            let _ = conn.execute_batch("SAVEPOINT prune");
            if store::prune(conn, now).is_ok() {
                let _ = conn.execute_batch("RELEASE prune");
            } else {
                let _ = conn.execute_batch("ROLLBACK TO prune; RELEASE prune");
            }
        }
        let mut out = Vec::with_capacity(jobs.len());
        for job in jobs {
            out.push(self.execute(conn, job));
        }
        if let Err(e) = conn.commit() {
            tracing::error!(
                "internal: cannot commit to {}: {e}",
                self.config.db_path().display()
            );
            let _ = conn.rollback();
            return jobs.iter().map(|_| self.internal()).collect();
        }
        out
    }

    /// One job inside the batch transaction: a savepoint that is rolled back on a storage
    /// error or a panic, so a failed job leaves nothing behind (HRT-API-36, HRT-API-51).
    fn execute(&self, conn: &Connection, job: &Job) -> Vec<u8> {
        if let Err(e) = conn.execute_batch("SAVEPOINT job") {
            tracing::error!("internal: cannot open a savepoint: {e}");
            return self.internal();
        }
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.steps(conn, job)));
        match result {
            Ok(Ok(bytes)) => match conn.execute_batch("RELEASE job") {
                Ok(()) => bytes,
                Err(e) => {
                    tracing::error!("internal: cannot release a savepoint: {e}");
                    let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
                    self.internal()
                }
            },
            Ok(Err(e)) => {
                tracing::error!("internal: storage error in op {}: {e}", job.request.op.0);
                let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
                self.internal()
            }
            Err(_) => {
                // The panic message is already on stderr (the default panic hook).
                tracing::error!("internal: panic while handling op {}", job.request.op.0);
                let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
                self.internal()
            }
        }
    }

    fn steps(&self, conn: &Connection, job: &Job) -> Result<Vec<u8>, crate::db::DbError> {
        let now = self.clock.now();
        let key = &job.key[..];
        let nonce = &job.request.nonce.0[..];
        // Step 10 (HRT-API-27, HRT-API-28): the nonce store. Concurrent requests with one
        // (key, nonce) are serialised by the write lock (HRT-API-56).
        let hit = store::nonce_lookup(conn, key, nonce, &job.request_hash)?;
        // MUTANT accept-replay (HRT-API-27), recompute-retry (HRT-API-28).
        #[cfg(feature = "mutants")]
        let hit = crate::mutant::nonce_hit(self.mutant(), conn, key, nonce, hit)?;
        match hit {
            Some(NonceHit::Same(stored)) => return Ok(stored),
            Some(NonceHit::Different) => return Ok(self.answer(Fail::Status(ErrorCode::REPLAY))),
            None => {}
        }
        // Whether the caller is entitled (spec §8.3.3): it decides what the host keeps for the
        // request, never its answer, which the steps below decide in their order.
        let entitled = match &job.body {
            Ok(body) => ops::entitled(self, conn, job, body, now)?,
            Err(_) => false,
        };
        // Step 11 (HRT-API-46): the token bucket, for entitled keys only (HRT-API-55);
        // rate_limited is not recorded (HRT-API-31).
        let r = self.config.rate;
        if r.enabled
            && entitled
            && !store::rate_take(conn, key, self.clock.now_ms(), r.burst, r.per_second)?
        {
            return Ok(self.answer(Fail::Status(ErrorCode::RATE_LIMITED)));
        }
        // Steps 12 to 15. Only the answers of steps 14 and 15 to an entitled caller of an op
        // with an effect are recorded (HRT-API-52, HRT-API-53); a step-12 failure, a stranger's
        // request and a read are answered afresh each time (HRT-API-54).
        let record = entitled && job.body.as_ref().is_ok_and(ops::has_effect);
        // MUTANT record-everything (HRT-API-53): every answer of steps 12 to 15 is recorded, as
        // in the 1.0 draft.
        let record = record || mutant!(self, RecordEverything);
        let resp = match &job.body {
            Err(f) => fail_response(f, now),
            Ok(body) => {
                conn.execute_batch("SAVEPOINT op")?;
                match ops::dispatch(self, conn, job, body, now) {
                    Ok(result) => {
                        conn.execute_batch("RELEASE op")?;
                        response(ErrorCode::OK, now, Some(&result), None)
                    }
                    Err(Fail::Db(e)) => return Err(e),
                    Err(f) => {
                        // HRT-API-37: a failure at steps 13/14 changes only the nonce store.
                        conn.execute_batch("ROLLBACK TO op; RELEASE op")?;
                        fail_response(&f, now)
                    }
                }
            }
        };
        // Step 15 (HRT-API-52, HRT-API-36): the response is recorded in the same transaction.
        if record {
            store::nonce_record(conn, key, nonce, job.request.ts.0, &job.request_hash, &resp)?;
        }
        Ok(resp)
    }
}

/// Step 5 (HRT-API-20, HRT-API-21): a valid key and `VerifyWithLabel(key, "request",
/// request_bytes)` over the exact received bytes.
fn verify_request(sr: &SignedRequest) -> Result<(), Fail> {
    let vk =
        VerifyingKey::from_bytes(&sr.key.0).map_err(|_| Fail::Status(ErrorCode::BAD_SIGNATURE))?;
    let sig = EdSignature::from_bytes(&sr.signature.0);
    verify_with_label(&vk, label::REQUEST, bstr(sr.request.as_bytes()), &sig)
        .map_err(|_| Fail::Status(ErrorCode::BAD_SIGNATURE))
}

/// Step 12 (HRT-API-14, HRT-API-26): `channel_id` presence, then the op's body rule including
/// every nested `bstr .cbor` item (for `commit.post` also the CommitTBS).
fn decode_body(request: &Request) -> Result<(RequestBody, Option<Unverified<CommitTbs>>), Fail> {
    match (request.op == Op::INFO, request.channel_id.is_some()) {
        (true, true) => return Err(Fail::Detail(ErrorCode::UNKNOWN_KEY)),
        (false, false) => return Err(Fail::Detail(ErrorCode::MISSING_KEY)),
        _ => {}
    }
    let body = request.body()?;
    let tbs = match &body {
        RequestBody::CommitPost(c) => Some(c.commit.value().unverified_tbs_relayed()?),
        _ => None,
    };
    Ok((body, tbs))
}

/// Step 1: the media type, case-insensitive and ignoring parameters (HRT-API-1).
pub fn is_cbor(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/cbor"))
}

/// The nonce store's comparison value for request bytes: the collision-resistant
/// `H("entry", raw)` (spec §3.2). Equal digests stand for byte-identical requests
/// (HRT-API-28); the store keeps 32 bytes instead of up to `max_request`.
fn request_digest(data: &[u8]) -> [u8; 32] {
    h(label::ENTRY, bstr(data))
}

/// Prunes expired rows of a shared PostgreSQL database in a transaction of its own, when no
/// other instance is pruning (the maintenance lock).
#[cfg(feature = "postgres")]
fn prune_shared(pg: &dyn crate::db::Backend, now: u64) {
    let result = (|| {
        pg.execute_batch("BEGIN")?;
        if pg.try_maintenance()? {
            store::prune_on(pg, now)?;
        }
        pg.commit()
    })();
    if let Err(e) = result {
        tracing::warn!("pruning expired rows failed (retried later): {e}");
        let _ = pg.rollback();
    }
}
