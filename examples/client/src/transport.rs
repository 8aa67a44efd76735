//! Talking to one host (spec §8): build a `Request`, sign it into a `SignedRequest`, POST it,
//! decode the `Response` strictly, and classify the outcome for failover (spec §10.4).

use std::time::Duration;

use hearth_crypto::rng::HearthRng;
use hearth_wire::request::{Request, Response, SignedRequest};
use hearth_wire::{
    ChannelId, EdPublic, ErrorCode, HostUrl, Nonce16, Op, RawValue, Secs, Signature, SignedBytes,
    Version, WireDecode, WireEncode,
};
use rand_core::RngCore;

use crate::error::ClientError;
use crate::tls::Trust;

/// The media type of every request and response body (spec §8.1).
pub const MEDIA_TYPE: &str = "application/cbor";

/// How long a request may take before the route counts as unreachable (HRT-ROUTE-18).
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Seconds since the Unix epoch by the local clock.
pub fn unix_now() -> u64 {
    crate::clock::system_now()
}

/// What came of one request: the conversation layer's [`hearth::conversation::Outcome`].
pub use hearth::conversation::Outcome;

/// Something that signs requests: `(key, SignWithLabel(key, "request", bytes))`.
pub type Signer<'a> = &'a dyn Fn(&[u8]) -> Result<(EdPublic, Signature), ClientError>;

/// Makes a route's group state durable right before a request that depends on it leaves: a
/// sealed envelope (its generation is used, HRT-RAT-5) or a commit (its secrets are pending,
/// HRT-GRP-50). A front end that keeps state on disk writes it here, so that a crash after the
/// request cannot bring back an older state and reuse a key and nonce. An error stops the request.
pub type Checkpoint =
    std::sync::Arc<dyn Fn(&hearth::conversation::Checkpoint) -> Result<(), String> + Send + Sync>;

/// An HTTP client for Hearth hosts (HTTPS verified against [`Trust`], HRT-API-62), with the
/// client's [`Checkpoint`].
#[derive(Clone)]
pub struct Transport {
    agent: ureq::Agent,
    timeout: Duration,
    trust: Trust,
    checkpoint: Option<Checkpoint>,
    /// The duty clock (issue 16), shared by clones.
    clock: crate::clock::Clock,
}

impl Default for Transport {
    fn default() -> Self {
        Self::new()
    }
}

impl Transport {
    /// A transport with the timeout of HRT-ROUTE-18.
    pub fn new() -> Self {
        Self::with_timeout(TIMEOUT)
    }

    /// A transport whose requests give up after `timeout`, trusting the built-in roots.
    pub fn with_timeout(timeout: Duration) -> Self {
        Self::configured(timeout, Trust::builtin(), None)
    }

    fn configured(timeout: Duration, trust: Trust, checkpoint: Option<Checkpoint>) -> Self {
        Self {
            agent: ureq::Agent::new_with_config(trust.agent_config(timeout).build()),
            timeout,
            trust,
            checkpoint,
            clock: Default::default(),
        }
    }

    /// The client's duty clock (issue 16, Appendix B §91.6.15).
    pub fn clock(&self) -> &crate::clock::Clock {
        &self.clock
    }

    /// Seconds since the Unix epoch by the duty clock.
    pub fn now(&self) -> u64 {
        self.clock.now()
    }

    /// The same transport with requests giving up after `timeout`.
    pub fn retimed(self, timeout: Duration) -> Self {
        let clock = self.clock;
        Self {
            clock,
            ..Self::configured(timeout, self.trust, self.checkpoint)
        }
    }

    /// The same transport verifying host certificates against `trust`.
    pub fn with_trust(self, trust: Trust) -> Self {
        let clock = self.clock;
        Self {
            clock,
            ..Self::configured(self.timeout, trust, self.checkpoint)
        }
    }

    /// The certificates this transport trusts.
    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// The same transport with `checkpoint` installed.
    pub fn with_checkpoint(mut self, checkpoint: Option<Checkpoint>) -> Self {
        self.checkpoint = checkpoint;
        self
    }

    /// The installed checkpoint, if any.
    pub fn checkpoint(&self) -> Option<&Checkpoint> {
        self.checkpoint.as_ref()
    }

    /// Runs the checkpoint for `group` of `link` (nothing when none is installed).
    pub fn save_before_sending(
        &self,
        link: &crate::route::RouteRef,
        group: &hearth_crypto::group::Group,
    ) -> Result<(), ClientError> {
        match &self.checkpoint {
            None => Ok(()),
            Some(c) => c(&hearth::conversation::Checkpoint {
                route: link.clone(),
                state: group.save()?,
            })
            .map_err(|e| {
                ClientError::Usage(format!("could not save the state before sending: {e}"))
            }),
        }
    }

    /// Builds and signs a request: `Request = {1: op, 2: host_url, ? 3: channel_id, 4: ts,
    /// 5: nonce, 6: body}` with a fresh random nonce (spec §8.2), then
    /// `SignedRequest = [1, key, bstr .cbor Request, sig]`.
    pub fn build(
        host: &HostUrl,
        op: Op,
        channel: Option<ChannelId>,
        body: &impl WireEncode,
        sign: Signer<'_>,
    ) -> Result<Vec<u8>, ClientError> {
        let mut nonce = [0u8; 16];
        HearthRng::os().fill_bytes(&mut nonce);
        let req = Request {
            op,
            host_url: host.clone(),
            channel_id: channel,
            ts: Secs(unix_now()),
            nonce: Nonce16(nonce),
            body: RawValue::from_value(body),
            ext: None,
        };
        let request_bytes = req.to_vec();
        let (key, sig) = sign(&request_bytes)?;
        Ok(SignedRequest {
            version: Version,
            key,
            request: SignedBytes::from_bytes(request_bytes),
            signature: sig,
        }
        .to_vec())
    }

    /// POSTs `signed` to `host` and classifies the answer (spec §10.4). A request that got no
    /// answer at all is sent once more, byte-identical, so an accepted post is recognised by
    /// the host's stored response (HRT-ROUTE-16, HRT-API-52).
    pub fn post(&self, host: &HostUrl, signed: &[u8]) -> Outcome {
        match self.post_once(host, signed) {
            // A certificate that does not verify will not verify a second later, and the request
            // never left: no retry (HRT-API-62).
            Err(NoAnswer { why, tls: true }) => Outcome::Unreachable(why),
            Err(NoAnswer { why: first, .. }) => match self.post_once(host, signed) {
                Err(second) => Outcome::Unreachable(format!("{first}; retried: {}", second.why)),
                Ok(o) => o,
            },
            Ok(o) => o,
        }
    }

    fn post_once(&self, host: &HostUrl, signed: &[u8]) -> Result<Outcome, NoAnswer> {
        // Off loopback only https (spec §8.2 rule 1): nothing is sent, not even once.
        if let Err(refused) = crate::tls::check_scheme(host.as_str()) {
            return Ok(Outcome::Unreachable(refused));
        }
        let mut resp = self
            .agent
            .post(host.as_str())
            .header("Content-Type", MEDIA_TYPE)
            .header("Accept", MEDIA_TYPE)
            .send(signed)
            .map_err(|e| NoAnswer {
                tls: crate::tls::find_rustls_error(&e).is_some(),
                why: crate::tls::describe(host.as_str(), &e),
            })?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(32 * 1024 * 1024)
            .read_to_vec();
        let body = match body {
            Ok(b) => b,
            Err(e) => return Ok(Outcome::Unreachable(format!("reading the answer: {e}"))),
        };
        if status != 200 {
            return Ok(Outcome::Unreachable(format!("HTTP status {status}")));
        }
        let Ok(r) = Response::decode(&body) else {
            return Ok(Outcome::Unreachable(
                "the answer is not a Hearth Response".into(),
            ));
        };
        Ok(if r.status == ErrorCode::OK {
            Outcome::Ok(r)
        } else if r.status == ErrorCode::INTERNAL || r.status == ErrorCode::RATE_LIMITED {
            Outcome::Unreachable(format!(
                "the host answered {}",
                crate::error::code_name(r.status)
            ))
        } else {
            Outcome::Refused(r)
        })
    }
}

/// A request that got no answer: why, and whether it failed in TLS (then it never left).
struct NoAnswer {
    why: String,
    tls: bool,
}

/// The conversation layer's transport (spec §8, §10.4): each request the layer issues is
/// POSTed to its route's host.
impl hearth::conversation::Transport for Transport {
    fn exchange(&mut self, route: &crate::route::RouteRef, signed: &[u8]) -> Outcome {
        self.post(&route.host, signed)
    }
}

/// The conversation layer's [`hearth::conversation::Store`] of a client: its installed
/// [`Checkpoint`] hook, run before the request that needs it leaves (HRT-RAT-5, HRT-GRP-50).
pub(crate) struct Hook<'a>(pub(crate) Option<&'a Checkpoint>);

impl hearth::conversation::Store for Hook<'_> {
    type Error = String;

    fn save(&mut self, checkpoint: &hearth::conversation::Checkpoint) -> Result<(), String> {
        match self.0 {
            None => Ok(()),
            Some(c) => c(checkpoint),
        }
    }
}
