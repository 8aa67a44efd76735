//! The client: the adapter between the conversation layer (`hearth::conversation`, where every
//! procedure of spec §5, §6, §9 and §10 lives) and this program's transport (HTTP) and
//! storage (SQLite). Each command is an [`Intent`] run to its end: the layer's requests go out
//! through [`Transport`], its checkpoints to the installed [`Checkpoint`] before the request
//! that needs them leaves, its events back to the caller.

use hearth::conversation::{Answer, Input, Intent, Member, Output, State};
use hearth_crypto::envelope::ContentBuilder;
use hearth_crypto::group::{Group, HeldSecrets};
use hearth_crypto::invite;
use hearth_crypto::keys::{Fingerprint, IdentityPublicKey};
use hearth_crypto::rng::HearthRng;
use hearth_wire::{ContentType, ConversationId, HostUrl, RawValue};
use rand_core::RngCore;
use zeroize::Zeroizing;

use crate::error::ClientError;
use crate::transport::{unix_now, Checkpoint, Transport};

pub use hearth::conversation::route::timeline_key;
pub use hearth::conversation::timeline::Displayed;
pub use hearth::conversation::{
    AcceptEveryJoin, Comparison, Conversation, Event, Joining, NobodyToAsk, RouteRef, SasCheck,
    Sent,
};

/// The reference client: a member's state and the transport that carries its requests.
pub struct Client {
    pub(crate) state: State,
    pub(crate) transport: Transport,
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
            state: State::new(seed, name),
            transport: Transport::new(),
        }
    }

    /// Sets how the user compares short authentication strings (spec §5.8.1).
    pub fn set_comparison(&mut self, comparison: Box<dyn Comparison>) {
        self.state.comparison = comparison;
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
    /// commit that depends on it is sent (the layer's checkpoints, see [`Checkpoint`]).
    pub fn set_checkpoint(&mut self, checkpoint: Checkpoint) {
        self.transport = self.transport.clone().with_checkpoint(Some(checkpoint));
    }

    /// The identity public key.
    pub fn identity_public(&self) -> IdentityPublicKey {
        self.state.identity().public_key()
    }

    /// The identity fingerprint (spec §4.6).
    pub fn fingerprint(&self) -> Fingerprint {
        self.identity_public().fingerprint()
    }

    /// The display name this client proposes when it joins.
    pub fn name(&self) -> &str {
        &self.state.name
    }

    /// The member's state (what the store keeps).
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Takes the events that commands (not [`Client::sync`]) produced since they were last
    /// taken, in order: a detection during a send, the commits processed while catching up.
    /// A front end shows them right away; the shim leaves them to the next `sync`.
    pub fn take_events(&mut self) -> Vec<Event> {
        self.state.take_events()
    }

    /// The conversations.
    pub fn conversations(&self) -> &[Conversation] {
        &self.state.conversations
    }

    /// Runs one intent to its end: requests over HTTP, checkpoints before the requests that
    /// need them, events collected. Returns the answer and the events of a refresh.
    fn drive(&mut self, intent: Intent) -> (Result<Answer, ClientError>, Vec<Event>) {
        let idle = State::new(Zeroizing::new([0; 32]), "");
        let mut member = Member::new(std::mem::replace(&mut self.state, idle));
        member.handle(Input::Intent {
            intent,
            now: unix_now(),
        });
        let mut events = Vec::new();
        let mut done = None;
        while let Some(o) = member.poll_output() {
            match o {
                Output::Checkpoint(request, c) => {
                    let result = self.transport.save_before_sending(&c);
                    member.handle(Input::Saved { request, result });
                }
                Output::Request { id, route, signed } => {
                    let outcome = self.transport.post(&route.host, &signed);
                    member.handle(Input::Response {
                        request: id,
                        outcome,
                    });
                }
                Output::Event(e) => events.push(e),
                Output::Done(r) => done = Some(r),
            }
        }
        if let Some(s) = member.into_state() {
            self.state = s;
        }
        let r = done.unwrap_or_else(|| Err(ClientError::usage("the layer did not finish")));
        (r, events)
    }

    fn run(&mut self, intent: Intent) -> Result<Answer, ClientError> {
        self.drive(intent).0
    }

    /// Creates a channel on `host` (which must list this identity as an owner) for a new
    /// conversation whose id is the channel id (spec §8 op 1, HRT-ROUTE-1).
    pub fn create_channel(&mut self, host: &HostUrl) -> Result<([u8; 16], RouteRef), ClientError> {
        match self.run(Intent::CreateChannel(host.clone()))? {
            Answer::Created(h, r) => Ok((h, r)),
            _ => Err(unexpected()),
        }
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

    /// As [`Client::create_invite`], on the given route (for instance a re-hosted one, spec
    /// §10.6). The invitation carries the conversation id (HRT-ROUTE-2).
    pub fn create_invite_on(
        &mut self,
        handle: &[u8; 16],
        link: Option<&RouteRef>,
        expires_in: u64,
    ) -> Result<String, ClientError> {
        match self.run(Intent::Invite {
            conversation: *handle,
            route: link.cloned(),
            expires_in,
        })? {
            Answer::Invited(uri) => Ok(uri),
            _ => Err(unexpected()),
        }
    }

    /// Re-hosts a conversation (spec §10.6, HRT-ROUTE-21): a new channel on `host`, recorded as
    /// a route of the conversation, announced to nobody.
    pub fn rehost(&mut self, handle: &[u8; 16], host: &HostUrl) -> Result<RouteRef, ClientError> {
        match self.run(Intent::Rehost {
            conversation: *handle,
            host: host.clone(),
        })? {
            Answer::Route(r) => Ok(r),
            _ => Err(unexpected()),
        }
    }

    /// DANGER (conformance harness only): gives a conversation another conversation id, so
    /// that its invitations claim to belong to someone else's conversation (HRT-ROUTE-23).
    #[doc(hidden)]
    pub fn danger_set_conversation_id(
        &mut self,
        handle: &[u8; 16],
        id: ConversationId,
    ) -> Result<(), ClientError> {
        self.state.conv_mut(handle)?.id = id;
        Ok(())
    }

    /// DANGER (conformance harness only): the group state of one route, to forge what a
    /// conforming client never sends (spec §14.4).
    #[doc(hidden)]
    pub fn danger_group_mut(&mut self, handle: &[u8; 16], link: &RouteRef) -> Option<&mut Group> {
        self.state
            .conv_mut(handle)
            .ok()?
            .routes
            .iter_mut()
            .find(|r| &r.link == link)
            .map(|r| &mut r.group)
    }

    /// DANGER (conformance harness only): posts envelope bytes as they are to one route with
    /// `msg.post`, signed by this member; the log state records the post like any other.
    #[doc(hidden)]
    pub fn danger_post_envelope(
        &mut self,
        handle: &[u8; 16],
        link: &RouteRef,
        envelope: Vec<u8>,
    ) -> Result<u64, ClientError> {
        let transport = self.transport.clone();
        let route = self
            .state
            .conv_mut(handle)?
            .routes
            .iter_mut()
            .find(|r| &r.link == link)
            .ok_or_else(|| ClientError::usage("no such route"))?;
        let body = hearth_wire::encode_with(|e| {
            e.map(1).uint(1).bytes(&envelope);
        });
        let signed = Transport::build(
            &route.link.host,
            hearth_wire::Op::MSG_POST,
            Some(route.link.channel),
            &Encoded(body),
            &|b| Ok(route.group.sign_request(b)?),
        )?;
        let r = transport.post(&route.link.host, &signed).into_ok()?;
        let res: hearth_wire::request::AppendResult = r
            .result_as()?
            .ok_or_else(|| ClientError::usage("ok without a result"))?;
        route
            .senders
            .posted_unconfirmed(hearth_crypto::envelope::message_ref(&envelope));
        if let Err(d) =
            route
                .log
                .record_own(res.seq.0, res.head.0, hearth_wire::EntryKind::Msg, envelope)
        {
            route.inbox.push(Event::Detected {
                conversation: *handle,
                route: route.link.clone(),
                code: d.code,
                seq: d.seq,
                member: None,
            });
            route.freeze_with(d, None);
        }
        Ok(res.seq.0)
    }

    /// DANGER (conformance harness only): seals and posts any content type and body on the
    /// first reachable route, e.g. a `RouteBody` that breaks HRT-ROUTE-25.
    #[doc(hidden)]
    pub fn danger_send_content(
        &mut self,
        handle: &[u8; 16],
        content_type: ContentType,
        body: RawValue,
    ) -> Result<Sent, ClientError> {
        self.send(handle, content_type, body)
    }

    /// Accepts an invitation (spec §5.3, §5.6): parse, check locally, redeem at the host. The
    /// Welcome is picked up by a later [`Client::sync`], once the user has compared the
    /// returned short authentication string with the inviter's (HRT-INV-67). Returns the
    /// invite id and the code to show (only after the redeem's `ok`, HRT-INV-58).
    pub fn accept_invite(
        &mut self,
        uri: &str,
        name: &str,
    ) -> Result<([u8; 16], invite::Sas), ClientError> {
        match self.run(Intent::Accept {
            uri: uri.to_owned(),
            name: name.to_owned(),
        })? {
            Answer::Redeemed(id, sas) => Ok((id, sas)),
            _ => Err(unexpected()),
        }
    }

    /// Refreshes everything (spec §5.9, §9, §10.5): Welcomes of pending joins, the logs of
    /// every route, joins to admit, and due update commits. Returns what the user should see.
    pub fn sync(&mut self) -> Vec<Event> {
        self.drive(Intent::Refresh).1
    }

    /// Posts a text message to the first reachable route (HRT-ROUTE-14), sealing it anew for
    /// each route tried (HRT-ROUTE-15).
    pub fn send_text(&mut self, handle: &[u8; 16], text: &str) -> Result<Sent, ClientError> {
        let c = ContentBuilder::text(text)?.build();
        self.send(handle, c.content_type, c.body)
    }

    fn send(
        &mut self,
        handle: &[u8; 16],
        content_type: ContentType,
        body: RawValue,
    ) -> Result<Sent, ClientError> {
        match self.run(Intent::Send {
            conversation: *handle,
            content_type,
            body,
        })? {
            Answer::Sent(s) => Ok(s),
            _ => Err(unexpected()),
        }
    }

    /// Commits on one route: removes the members with these fingerprints, or (none given) a
    /// plain update (spec §6.8). Returns `(epoch, seq)` once the own commit is in the log.
    pub fn commit(
        &mut self,
        handle: &[u8; 16],
        link: &RouteRef,
        remove: &[Fingerprint],
    ) -> Result<(u64, u64), ClientError> {
        match self.run(Intent::Commit {
            conversation: *handle,
            route: link.clone(),
            remove: remove.to_vec(),
        })? {
            Answer::Committed(e, s) => Ok((e, s)),
            _ => Err(unexpected()),
        }
    }

    /// The merged timeline (HRT-ROUTE-20): by `sent_at_ms`, then route position, then seq.
    pub fn display(&self, handle: &[u8; 16]) -> Result<Vec<Displayed>, ClientError> {
        let mut v = self.state.conv(handle)?.timeline.items().to_vec();
        v.sort_by_key(|d| timeline_key(d.sent_at_ms, d.position, d.seq));
        Ok(v)
    }

    /// The secrets a route's group still holds (spec §6.16; metadata only).
    pub fn held_secrets(
        &self,
        handle: &[u8; 16],
        link: &RouteRef,
    ) -> Result<HeldSecrets, ClientError> {
        self.state
            .conv(handle)?
            .routes
            .iter()
            .find(|r| &r.link == link)
            .map(|r| r.group.danger_held_secrets())
            .ok_or_else(|| ClientError::usage("no such route"))
    }

    /// Adds a route on `host` (spec §10.2): a new channel, one invitation per other member
    /// bound to that member's identity (HRT-ROUTE-9), announced in a `RouteBody` on the first
    /// reachable route.
    pub fn add_route(
        &mut self,
        handle: &[u8; 16],
        host: &HostUrl,
    ) -> Result<RouteRef, ClientError> {
        match self.run(Intent::AddRoute {
            conversation: *handle,
            host: host.clone(),
        })? {
            Answer::Route(r) => Ok(r),
            _ => Err(unexpected()),
        }
    }
}

/// A body that is already encoded (`MsgPostBody` around exact envelope bytes).
struct Encoded(Vec<u8>);

impl hearth_wire::WireEncode for Encoded {
    fn encode(&self, e: &mut hearth_wire::Encoder) {
        e.raw(&self.0);
    }
}

fn unexpected() -> ClientError {
    ClientError::usage("the layer answered another intent")
}
