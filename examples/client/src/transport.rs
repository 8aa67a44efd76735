//! Talking to one host (spec §8): POST a `SignedRequest` the conversation layer built and
//! signed, decode the `Response` strictly, and classify the outcome for failover (spec §10.4).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hearth_wire::request::Response;
use hearth_wire::{HostUrl, WireDecode};

use crate::tls::Trust;

/// The media type of every request and response body (spec §8.1).
pub const MEDIA_TYPE: &str = "application/cbor";

/// How long a request may take before the route counts as unreachable (HRT-ROUTE-18).
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Seconds since the Unix epoch by the local clock.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

pub use hearth::conversation::io::Outcome;

/// Makes a route's group state durable right before a request that depends on it leaves: a
/// sealed envelope (its generation is used, HRT-RAT-5) or a commit (its secrets are pending,
/// HRT-GRP-50). The conversation layer asks for it with an `Output::Checkpoint`; a front end
/// that keeps state on disk writes it here, so that a crash after the request cannot bring
/// back an older state and reuse a key and nonce. An error stops the request.
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
        }
    }

    /// The same transport with requests giving up after `timeout`.
    pub fn retimed(self, timeout: Duration) -> Self {
        Self::configured(timeout, self.trust, self.checkpoint)
    }

    /// The same transport verifying host certificates against `trust`.
    pub fn with_trust(self, trust: Trust) -> Self {
        Self::configured(self.timeout, trust, self.checkpoint)
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

    /// Runs the checkpoint (nothing when none is installed).
    pub fn save_before_sending(&self, c: &hearth::conversation::Checkpoint) -> Result<(), String> {
        match &self.checkpoint {
            None => Ok(()),
            Some(f) => f(c),
        }
    }

    /// Builds and signs a request at the local clock's time (spec §8.2): the conversation
    /// layer's [`hearth::conversation::io::build`], for tools that post by hand.
    pub fn build(
        host: &HostUrl,
        op: hearth_wire::Op,
        channel: Option<hearth_wire::ChannelId>,
        body: &impl hearth_wire::WireEncode,
        sign: hearth::conversation::io::Signer<'_>,
    ) -> Result<Vec<u8>, crate::error::ClientError> {
        hearth::conversation::io::build(host, op, channel, body, sign, unix_now())
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
        Ok(Outcome::of_response(r))
    }
}

/// A request that got no answer: why, and whether it failed in TLS (then it never left).
struct NoAnswer {
    why: String,
    tls: bool,
}
