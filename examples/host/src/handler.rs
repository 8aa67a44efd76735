//! The request handler: the check order of spec §8.3.2 (HRT-API-15), shared by the CGI and
//! `serve` front ends.
//!
//! - Steps 1 and 2 (method, media type, size) run on the HTTP metadata before the body is
//!   read: [`Host::pre_body`].
//! - Steps 3 to 9 use only the body and the configuration, no storage: [`Host::prepare`]. The
//!   body decode of step 12 is computed here too (it is pure), but its result is only used
//!   after steps 10 and 11.
//! - Steps 10 to 15 run inside one database transaction: [`Host::run_batch`].

use std::sync::atomic::{AtomicU64, Ordering};

use hearth_crypto::hazmat::ed25519::{Signature as EdSignature, VerifyingKey};
use hearth_crypto::hazmat::label;
use hearth_crypto::hazmat::labelled::{bstr, h, verify_with_label};
use hearth_wire::group::CommitTbs;
use hearth_wire::request::{InfoResult, Limits, Request, RequestBody, SignedRequest};
use hearth_wire::{
    BoundedText, Encoder, ErrorCode, Increasing, Op, Suite, Unverified, WireDecode, WireEncode,
    WireError,
};
use rusqlite::Connection;

use crate::clock::Clock;
use crate::config::Config;
use crate::ops;
use crate::store::{self, NonceHit};

/// Freshness window of step 9 (HRT-API-25).
pub const MAX_SKEW: u64 = 300;

/// Why a request failed; each maps to exactly one `Response` (spec §8.4).
#[derive(Debug)]
pub enum Fail {
    /// A status without detail.
    Status(ErrorCode),
    /// A wire detail code; the status is derived from it (spec §2.7, HRT-API-40).
    Detail(ErrorCode),
    /// The uniform `not_found` of step 13 (HRT-API-34).
    NotFound,
    /// Storage failure: `internal`, nothing recorded (HRT-API-31, HRT-API-51).
    Db(rusqlite::Error),
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Self {
        Fail::Db(e)
    }
}

impl From<WireError> for Fail {
    fn from(e: WireError) -> Self {
        match e {
            // Version, suite and op errors carry no detail (spec §12.5).
            WireError::UnsupportedVersion
            | WireError::UnsupportedSuite
            | WireError::UnsupportedOp => Fail::Status(e.code()),
            _ => Fail::Detail(e.code()),
        }
    }
}

/// Encodes a `Response` (spec §8.4): version, status, server_time (HRT-API-38), the result
/// exactly when the status is ok (HRT-API-39) and a detail code only for the statuses that
/// take one (HRT-API-40).
pub fn response(
    status: ErrorCode,
    now: u64,
    result: Option<&[u8]>,
    detail: Option<ErrorCode>,
) -> Vec<u8> {
    let mut e = Encoder::with_capacity(16 + result.map_or(0, <[u8]>::len));
    let n = 3 + usize::from(result.is_some()) + usize::from(detail.is_some());
    e.map(n)
        .uint(1)
        .uint(1)
        .uint(2)
        .uint(u64::from(status.0))
        .uint(3)
        .uint(now);
    if let Some(r) = result {
        e.uint(4).raw(r);
    }
    if let Some(d) = detail {
        e.uint(5).uint(u64::from(d.0));
    }
    e.into_bytes()
}

/// The response for a failure.
pub fn fail_response(f: &Fail, now: u64) -> Vec<u8> {
    match f {
        Fail::Status(c) => response(*c, now, None, None),
        Fail::Detail(d) => response(d.status(), now, None, Some(*d)),
        // HRT-API-34: exactly {1: 1, 2: 8, 3: server_time}.
        Fail::NotFound => response(ErrorCode::NOT_FOUND, now, None, None),
        Fail::Db(e) => {
            tracing::error!("internal: storage error: {e}");
            response(ErrorCode::INTERNAL, now, None, None)
        }
    }
}

/// A request that passed steps 1 to 9 and waits for steps 10 to 15.
pub struct Job {
    /// The exact `SignedRequest` bytes.
    pub raw: Vec<u8>,
    /// SHA-256 of `raw`, the nonce store's comparison value (HRT-API-27, HRT-API-28).
    pub request_hash: [u8; 32],
    /// The signing key (valid under spec §3.5).
    pub key: [u8; 32],
    /// The verified Request.
    pub request: Request,
    /// The step-12 decode of the body, used only after steps 10 and 11.
    pub body: Result<RequestBody, Fail>,
    /// For `commit.post`: the decoded CommitTBS, unverified until op check 5 (HRT-WIRE-20).
    pub tbs: Option<Unverified<CommitTbs>>,
}

impl Job {
    /// The request's channel id (present for ops 1 to 14 once step 12 passed).
    pub fn channel(&self) -> [u8; 16] {
        self.request.channel_id.map(|c| c.0).unwrap_or([0; 16])
    }
}

/// The outcome of steps 1 to 9.
pub enum Prepared {
    /// Answered without storage (never recorded, HRT-API-31).
    Done(Vec<u8>),
    /// Needs steps 10 to 15.
    Job(Box<Job>),
}

/// The host: configuration, clock and the precomputed `InfoResult`.
pub struct Host {
    /// The validated configuration.
    pub config: Config,
    /// The clock (spec §8.8).
    pub clock: Clock,
    info: Vec<u8>,
    last_prune: AtomicU64,
    /// The mutant this host runs as (TESTING ONLY, feature `mutants`).
    #[cfg(feature = "mutants")]
    mutant: Option<crate::mutant::Mutant>,
}

impl Host {
    /// A host for a validated configuration.
    pub fn new(config: Config) -> Result<Host, String> {
        let clock = Clock::new(config.testing.clock_offset);
        let l = config.limits;
        // HRT-OP-3, HRT-OP-2: versions, suites, URL, limits and ops 0..14 in order.
        let info = InfoResult {
            versions: Increasing::new(vec![1]).map_err(|e| e.to_string())?,
            suites: Increasing::new(vec![Suite::X25519_SHA256_AES256GCM_ED25519])
                .map_err(|e| e.to_string())?,
            host_url: BoundedText::new(config.host_url.clone()).map_err(|e| e.to_string())?,
            limits: Limits {
                max_request: l.max_request,
                max_log_page: l.max_log_page,
                max_members: l.max_members,
                max_blob: l.max_blob,
                max_blobs: l.max_blobs,
                max_pending: l.max_pending,
                max_channels: l.max_channels,
                max_invites: l.max_invites,
                ext: None,
            },
            ops: Increasing::new((0..=14).map(Op).collect()).map_err(|e| e.to_string())?,
            ext: None,
        }
        .to_vec();
        // Read once: the configuration's mutant, else HEARTH_MUTANT.
        #[cfg(feature = "mutants")]
        let mutant = match config.testing.mutant {
            Some(m) => Some(m),
            None => crate::mutant::Mutant::from_env()?,
        };
        Ok(Host {
            config,
            clock,
            info,
            last_prune: AtomicU64::new(0),
            #[cfg(feature = "mutants")]
            mutant,
        })
    }

    /// The mutant this host runs as, if any (TESTING ONLY).
    #[cfg(feature = "mutants")]
    pub fn mutant(&self) -> Option<crate::mutant::Mutant> {
        self.mutant
    }

    /// The encoded `InfoResult` (op 0).
    pub fn info_result(&self) -> &[u8] {
        &self.info
    }

    fn answer(&self, f: Fail) -> Vec<u8> {
        fail_response(&f, self.clock.now())
    }

    /// The most body bytes a front end reads: `max_request + 1` (HRT-API-17).
    pub fn read_limit(&self) -> u64 {
        // MUTANT ignore-max-request (HRT-API-17): read any body.
        if mutant!(self, IgnoreMaxRequest) {
            return u64::MAX / 2;
        }
        self.config.limits.max_request + 1
    }

    /// The `too_large` answer (step 2, HRT-API-16, HRT-API-17).
    pub fn too_large(&self) -> Vec<u8> {
        self.answer(Fail::Status(ErrorCode::TOO_LARGE))
    }

    /// The answer to a body that ended before its declared `Content-Length` (spec §8.1.1,
    /// HRT-API-59): `malformed`, detail `underrun`, whatever the bytes that did arrive.
    pub fn short_body(&self) -> Vec<u8> {
        self.answer(Fail::Detail(ErrorCode::UNDERRUN))
    }

    /// The `internal` answer (HRT-API-5: even a crash is answered with a `Response`).
    pub fn internal(&self) -> Vec<u8> {
        self.answer(Fail::Status(ErrorCode::INTERNAL))
    }

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
        let sr = sr.or_else(|e| crate::mutant::redecode_outer(self, &raw, e));
        let sr = sr?;
        // Step 5 (HRT-API-20, HRT-API-21): a valid key and VerifyWithLabel(key, "request",
        // request_bytes) over the exact received bytes.
        let verified = verify_request(&sr);
        // MUTANT accept-weak-keys (HRT-API-20, HRT-CRYPTO-13, HRT-CRYPTO-14).
        #[cfg(feature = "mutants")]
        let verified = verified.or_else(|f| crate::mutant::weak_key_signature(self, &sr, f));
        verified?;
        // Variant strict-verifier (HRT-CRYPTO-46, HRT-KEY-29): mixed-order A or R rejected.
        #[cfg(feature = "mutants")]
        {
            let mut r = [0u8; 32];
            r.copy_from_slice(sr.signature.0.get(..32).unwrap_or(&[0; 32]));
            if crate::mutant::strict_rejects(self, &sr.key.0)
                || crate::mutant::strict_rejects(self, &r)
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
        let request =
            request.or_else(|e| crate::mutant::redecode_inner(self, sr.request.as_bytes(), e));
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
    pub fn run_batch(&self, conn: &Connection, jobs: &[&Job]) -> Vec<Vec<u8>> {
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            tracing::error!(
                "internal: cannot begin a write transaction on {}: {e}",
                self.config.db_path().display()
            );
            return jobs.iter().map(|_| self.internal()).collect();
        }
        let now = self.clock.now();
        if self.last_prune.swap(now, Ordering::Relaxed) != now {
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
        if let Err(e) = conn.execute_batch("COMMIT") {
            tracing::error!(
                "internal: cannot commit to {}: {e}",
                self.config.db_path().display()
            );
            let _ = conn.execute_batch("ROLLBACK");
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

    fn steps(&self, conn: &Connection, job: &Job) -> Result<Vec<u8>, rusqlite::Error> {
        let now = self.clock.now();
        let key = &job.key[..];
        let nonce = &job.request.nonce.0[..];
        // Step 10 (HRT-API-27, HRT-API-28): the nonce store. Concurrent requests with one
        // (key, nonce) are serialised by the write lock (HRT-API-56).
        let hit = store::nonce_lookup(conn, key, nonce, &job.request_hash)?;
        // MUTANT accept-replay (HRT-API-27), recompute-retry (HRT-API-28).
        #[cfg(feature = "mutants")]
        let hit = crate::mutant::nonce_hit(self, conn, key, nonce, hit)?;
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
