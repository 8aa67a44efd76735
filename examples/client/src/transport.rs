//! The client's transport (spec §8, §10.4): [`hearth_shell::Http`], which POSTs each signed
//! request and classifies the answer for failover, with the client's timeout and [`Trust`],
//! its [`Checkpoint`] hook and its duty clock.

use std::time::Duration;

use hearth_shell::Http;
use hearth_wire::{ChannelId, HostUrl, Op, WireEncode};

use crate::error::ClientError;

use crate::tls::Trust;

pub use hearth_shell::http::{MEDIA_TYPE, TIMEOUT};

/// Seconds since the Unix epoch by the local clock.
pub fn unix_now() -> u64 {
    crate::clock::system_now()
}

/// What came of one request: the conversation layer's [`hearth::conversation::Outcome`].
pub use hearth::conversation::Outcome;

/// Something that signs requests: `(key, SignWithLabel(key, "request", bytes))`.
pub use hearth::conversation::io::Signer;

/// Makes a route's group state durable right before a request that depends on it leaves: a
/// sealed envelope (its generation is used, HRT-RAT-5) or a commit (its secrets are pending,
/// HRT-GRP-50). A front end that keeps state on disk writes it here, so that a crash after the
/// request cannot bring back an older state and reuse a key and nonce. An error stops the request.
pub type Checkpoint =
    std::sync::Arc<dyn Fn(&hearth::conversation::Checkpoint) -> Result<(), String> + Send + Sync>;

/// The client's HTTP transport ([`Http`]: HTTPS verified against [`Trust`], HRT-API-62), with
/// the client's [`Checkpoint`] and duty clock.
#[derive(Clone)]
pub struct Transport {
    http: Http,
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
        Self {
            http: Http::new(Trust::builtin(), timeout),
            checkpoint: None,
            clock: Default::default(),
        }
    }

    /// The client's duty clock (issue 16, Appendix B §91.6.15).
    pub fn clock(&self) -> &crate::clock::Clock {
        &self.clock
    }

    /// The same transport with requests giving up after `timeout`.
    pub fn retimed(self, timeout: Duration) -> Self {
        Self {
            http: Http::new(self.http.trust().clone(), timeout),
            ..self
        }
    }

    /// The same transport verifying host certificates against `trust`.
    pub fn with_trust(self, trust: Trust) -> Self {
        Self {
            http: Http::new(trust, self.http.timeout()),
            ..self
        }
    }

    /// The certificates this transport trusts.
    pub fn trust(&self) -> &Trust {
        self.http.trust()
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

    /// Builds and signs a request timestamped by the system clock (spec §8.2):
    /// [`hearth::conversation::io::build`].
    pub fn build(
        host: &HostUrl,
        op: Op,
        channel: Option<ChannelId>,
        body: &impl WireEncode,
        sign: Signer<'_>,
    ) -> Result<Vec<u8>, ClientError> {
        hearth::conversation::io::build(host, op, channel, body, sign, unix_now())
    }

    /// POSTs `signed` to `host` and classifies the answer (spec §10.4): [`Http::post`].
    pub fn post(&self, host: &HostUrl, signed: &[u8]) -> Outcome {
        self.http.post(host, signed)
    }
}

/// The conversation layer's transport (spec §8, §10.4): each request the layer issues is
/// POSTed to its route's host by [`Http`].
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
