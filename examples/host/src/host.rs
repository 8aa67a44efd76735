//! The host's state and its answers that need no storage: the validated configuration, the
//! clock, the precomputed `InfoResult`, and the types a request passes through ([`Job`],
//! [`Fail`]) on its way from the front ends through [`crate::handler`] to [`crate::ops`].

use std::sync::atomic::AtomicU64;

use hearth_wire::group::CommitTbs;
use hearth_wire::request::{InfoResult, Limits, Request, RequestBody};
use hearth_wire::{
    BoundedText, Encoder, ErrorCode, Increasing, Op, Suite, Unverified, WireEncode, WireError,
};

use crate::clock::Clock;
use crate::config::Config;

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
    Db(crate::db::DbError),
}

impl From<crate::db::DbError> for Fail {
    fn from(e: crate::db::DbError) -> Self {
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
    pub(crate) info: Vec<u8>,
    pub(crate) last_prune: AtomicU64,
    /// The mutant this host runs as (TESTING ONLY, feature `mutants`).
    #[cfg(feature = "mutants")]
    mutant: Option<crate::mutant::Mutant>,
}

/// The smallest `max_request` of a host that lists suite 2 (HRT-API-71, spec §8.6).
pub const SUITE_2_MIN_REQUEST: u64 = 1_048_576;

/// The suites the host accepts in `channel.create` and lists in `InfoResult` key 2
/// (HRT-EXT-9): suite 1, and suite 2 when `max_request` admits its largest `commit.post`
/// (HRT-API-71: a host that cannot accept it does not list suite 2).
pub fn accepted_suites(max_request: u64) -> Vec<Suite> {
    let mut s = vec![Suite::X25519_SHA256_AES256GCM_ED25519];
    if max_request >= SUITE_2_MIN_REQUEST {
        s.push(Suite::XWING_SHA256_AES256GCM_ED25519);
    }
    s
}

impl Host {
    /// A host for a validated configuration.
    pub fn new(config: Config) -> Result<Host, String> {
        let clock = Clock::new(config.testing.clock_offset);
        let l = config.limits;
        // HRT-OP-3, HRT-OP-2: versions, suites, URL, limits and ops 0..14 in order.
        let info = InfoResult {
            versions: Increasing::new(vec![1]).map_err(|e| e.to_string())?,
            suites: Increasing::new(accepted_suites(l.max_request)).map_err(|e| e.to_string())?,
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

    pub(crate) fn answer(&self, f: Fail) -> Vec<u8> {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    /// HRT-API-71, HRT-EXT-9: suite 2 is listed exactly when `max_request` admits its largest
    /// `commit.post`; suite 1 always.
    #[test]
    fn suite_2_listed_from_one_mebibyte_hrt_api_71() {
        let s1 = Suite::X25519_SHA256_AES256GCM_ED25519;
        let s2 = Suite::XWING_SHA256_AES256GCM_ED25519;
        assert_eq!(accepted_suites(131_072), vec![s1]);
        assert_eq!(accepted_suites(SUITE_2_MIN_REQUEST - 1), vec![s1]);
        assert_eq!(accepted_suites(SUITE_2_MIN_REQUEST), vec![s1, s2]);
    }
}
