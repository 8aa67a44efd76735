//! The client: the conversation layer's state (`hearth::conversation::State`: an identity, its
//! conversations and their routes, the invitations it made, the joins and comparisons it
//! waits for) with the client's HTTP transport and clock. Its commands are in
//! [`crate::adapter`]: each runs the layer (spec §5, §6, §9, §10).

use hearth_crypto::group::HeldSecrets;
use hearth_crypto::keys::{Fingerprint, IdentityPublicKey};
use hearth_crypto::rng::HearthRng;
use rand_core::RngCore;
use zeroize::Zeroizing;

use crate::error::ClientError;
use hearth::conversation::route::timeline_key;

use crate::route::RouteRef;
use crate::transport::Transport;

pub use hearth::conversation::event::Event;

pub use hearth::conversation::timeline::Displayed;
use hearth::conversation::State;

pub use hearth::conversation::Sent;

pub use hearth::conversation::Conversation;

pub use hearth::conversation::{AcceptEveryJoin, Comparison, NobodyToAsk, SasCheck};

pub(crate) use hearth::conversation::Joining;

/// The reference client's state, in memory: the conversation layer's [`State`] (identity,
/// conversations, joins, comparisons), reached through `Deref`, and the HTTP transport.
pub struct Client {
    pub(crate) st: State,
    pub(crate) transport: Transport,
}

impl std::ops::Deref for Client {
    type Target = State;

    fn deref(&self) -> &State {
        &self.st
    }
}

impl std::ops::DerefMut for Client {
    fn deref_mut(&mut self) -> &mut State {
        &mut self.st
    }
}

impl Client {
    /// A client with a fresh identity key (spec §4.1).
    pub fn generate(name: &str) -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        HearthRng::os().fill_bytes(seed.as_mut());
        Self::from_seed(seed, name)
    }

    /// A client with the identity key of `seed`.
    pub fn from_seed(seed: Zeroizing<[u8; 32]>, name: &str) -> Self {
        Self {
            st: State::new(seed, name),
            transport: Transport::new(),
        }
    }

    /// The duty clock (issue 16, Appendix B §91.6.15).
    pub fn clock(&self) -> &crate::clock::Clock {
        self.transport.clock()
    }

    /// Sets how the user compares short authentication strings (spec §5.8.1).
    pub fn set_comparison(&mut self, comparison: Box<dyn Comparison>) {
        self.comparison = comparison;
    }

    /// How long a host may take to answer before the route counts as unreachable
    /// (HRT-ROUTE-18 recommends 30 s, the default).
    pub fn set_timeout(&mut self, timeout: std::time::Duration) {
        self.transport = self.transport.clone().retimed(timeout);
    }

    /// Which certificates authenticate hosts over https (HRT-API-62): the built-in roots by
    /// default, plus a private CA with [`crate::tls::Trust::with_ca_file`].
    pub fn set_trust(&mut self, trust: crate::tls::Trust) {
        self.transport = self.transport.clone().with_trust(trust);
    }

    /// Installs the hook that makes a route's group state durable before an envelope or a
    /// commit that depends on it is sent (see [`crate::transport::Checkpoint`]).
    pub fn set_checkpoint(&mut self, checkpoint: crate::transport::Checkpoint) {
        self.transport = self.transport.clone().with_checkpoint(Some(checkpoint));
    }

    /// The identity public key.
    pub fn identity_public(&self) -> IdentityPublicKey {
        self.identity().public_key()
    }

    /// The identity fingerprint (spec §4.6).
    pub fn fingerprint(&self) -> Fingerprint {
        self.identity_public().fingerprint()
    }

    /// The display name this client proposes when it joins.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Takes the events that commands (not [`Client::sync`]) produced since they were last
    /// taken, in order: a detection during a send, the commits processed while catching up.
    /// A front end shows them right away; the shim leaves them to the next `sync`.
    pub fn take_events(&mut self) -> Vec<Event> {
        self.st.take_events()
    }

    /// The conversations.
    pub fn conversations(&self) -> &[Conversation] {
        &self.conversations
    }

    /// Makes an invitation for the conversation's first usable route (spec §5.2) and returns
    /// its URI text once the host accepted `invite.create` (only admins may: HRT-OP-*).
    pub fn create_invite(
        &mut self,
        handle: &[u8; 16],
        expires_in: u64,
    ) -> Result<String, ClientError> {
        self.create_invite_on(handle, None, expires_in)
    }

    /// The merged timeline (HRT-ROUTE-20): by `sent_at_ms`, then route position, then seq.
    pub fn display(&self, handle: &[u8; 16]) -> Result<Vec<Displayed>, ClientError> {
        let mut v = self.conv(handle)?.timeline.items().to_vec();
        v.sort_by_key(|d| timeline_key(d.sent_at_ms, d.position, d.seq));
        Ok(v)
    }

    /// The secrets a route's group still holds (spec §6.16; metadata only).
    pub fn held_secrets(
        &self,
        handle: &[u8; 16],
        link: &RouteRef,
    ) -> Result<HeldSecrets, ClientError> {
        self.conv(handle)?
            .routes
            .iter()
            .find(|r| &r.link == link)
            .map(|r| r.group.held_secrets())
            .ok_or_else(|| ClientError::usage("no such route"))
    }
}
