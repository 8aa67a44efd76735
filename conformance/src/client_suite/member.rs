//! A harness peer: the library's conversation layer (`hearth::conversation::Member`), driven by
//! its blocking pump ([`drive()`]) over `hearth-shell`'s HTTP transport, with no store. The
//! peers of the client suite are these, not the reference client: the suite then tests a
//! client against the library, and the harness does not link the client it tests.
//!
//! The `danger_*` methods forge what a conforming member never sends (spec §14.4). They are the
//! harness's own, built over [`Member::state_mut`] and hearth-crypto's `danger-forge` feature;
//! the library has no such hooks.

use std::time::Duration;

use hearth::conversation::{
    drive, Answer, Comparison, Conversation, Error, Event, Input, Intent, Member, NoStore,
    RouteRef, Sent, State,
};
use hearth_crypto::envelope::{message_ref, ContentBuilder};
use hearth_crypto::group::Group;
use hearth_crypto::invite::Sas;
use hearth_crypto::keys::Fingerprint;
use hearth_shell::{Http, Trust};
use hearth_wire::request::{AppendResult, CommitPostResult};
use hearth_wire::{ContentType, ConversationId, EntryKind, HostUrl, Op, RawValue, WireEncode};
use zeroize::Zeroizing;

use super::peer::now;

/// One harness peer (see the module documentation).
pub struct Peer {
    m: Member,
    http: Http,
    /// Events of intents since the last [`Peer::sync`], which hands them out first.
    pending: Vec<Event>,
}

/// Encoded bytes written as they are (a request body built by hand).
struct Encoded(Vec<u8>);

impl WireEncode for Encoded {
    fn encode(&self, e: &mut hearth_wire::Encoder) {
        e.raw(&self.0);
    }
}

impl Peer {
    /// A peer with the identity key of `seed`, proposing `name` when it joins.
    pub fn from_seed(seed: Zeroizing<[u8; 32]>, name: &str) -> Self {
        Self {
            m: Member::new(State::new(seed, name)),
            http: Http::default(),
            pending: Vec::new(),
        }
    }

    /// Requests give up after `timeout` (the harness's hosts are in this process).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.http = Http::new(Trust::builtin(), timeout);
    }

    /// How this peer's user compares codes (§5.8.1).
    pub fn set_comparison(&mut self, comparison: Box<dyn Comparison>) {
        if let Some(s) = self.m.state_mut() {
            s.comparison = comparison;
        }
    }

    fn state(&self) -> Result<&State, Error> {
        self.m
            .state()
            .ok_or_else(|| Error::usage("the peer is busy (harness bug)"))
    }

    fn state_mut(&mut self) -> Result<&mut State, Error> {
        self.m
            .state_mut()
            .ok_or_else(|| Error::usage("the peer is busy (harness bug)"))
    }

    /// Runs one intent to its end; its events are kept for the next [`Peer::sync`].
    fn run(&mut self, intent: Intent, events: &mut Vec<Event>) -> Result<Answer, Error> {
        let input = Input::Intent { intent, now: now() };
        drive(&mut self.m, input, &mut self.http, &mut NoStore, events)
            .unwrap_or_else(|| Err(Error::usage("the intent did not finish (harness bug)")))
    }

    /// Runs an intent other than a refresh; its events surface at the next [`Peer::sync`], as
    /// a client's do.
    fn act(&mut self, intent: Intent) -> Result<Answer, Error> {
        let mut events = std::mem::take(&mut self.pending);
        let a = self.run(intent, &mut events);
        self.pending = events;
        a
    }

    /// The identity's fingerprint.
    pub fn fingerprint(&self) -> Fingerprint {
        self.state()
            .map(|s| s.identity().public_key().fingerprint())
            .unwrap_or_else(|_| Fingerprint::from_bytes([0; 32]))
    }

    /// The conversations.
    pub fn conversations(&self) -> &[Conversation] {
        self.m.state().map_or(&[], |s| s.conversations.as_slice())
    }

    /// Refreshes everything (the layer's `Intent::Refresh`); what the user should see.
    pub fn sync(&mut self) -> Vec<Event> {
        let mut events = std::mem::take(&mut self.pending);
        let _ = self.run(Intent::Refresh, &mut events);
        events
    }

    /// Creates a channel on `host` for a new conversation: (handle, route).
    pub fn create_channel(&mut self, host: &HostUrl) -> Result<([u8; 16], RouteRef), Error> {
        match self.act(Intent::CreateChannel(host.clone()))? {
            Answer::Created(h, r) => Ok((h, r)),
            a => Err(unexpected(&a)),
        }
    }

    /// An invitation to the conversation on its first usable route.
    pub fn create_invite(&mut self, handle: &[u8; 16], expires_in: u64) -> Result<String, Error> {
        self.create_invite_on(handle, None, expires_in)
    }

    /// An invitation to the conversation on `route` (or its first usable one).
    pub fn create_invite_on(
        &mut self,
        handle: &[u8; 16],
        route: Option<&RouteRef>,
        expires_in: u64,
    ) -> Result<String, Error> {
        let intent = Intent::Invite {
            conversation: *handle,
            route: route.cloned(),
            expires_in,
        };
        match self.act(intent)? {
            Answer::Invited(uri) => Ok(uri),
            a => Err(unexpected(&a)),
        }
    }

    /// Redeems an invitation: (invite id, the code to show).
    pub fn accept_invite(&mut self, uri: &str, name: &str) -> Result<([u8; 16], Sas), Error> {
        let intent = Intent::Accept {
            uri: uri.to_owned(),
            name: name.to_owned(),
        };
        match self.act(intent)? {
            Answer::Redeemed(id, sas) => Ok((id, sas)),
            a => Err(unexpected(&a)),
        }
    }

    /// Sends a text.
    pub fn send_text(&mut self, handle: &[u8; 16], text: &str) -> Result<Sent, Error> {
        let c = ContentBuilder::text(text)?.build();
        self.danger_send_content(handle, c.content_type, c.body)
    }

    /// Commits on `route`, removing these members (none: an update): (epoch, seq).
    pub fn commit(
        &mut self,
        handle: &[u8; 16],
        route: &RouteRef,
        remove: &[Fingerprint],
    ) -> Result<(u64, u64), Error> {
        let intent = Intent::Commit {
            conversation: *handle,
            route: route.clone(),
            remove: remove.to_vec(),
        };
        match self.act(intent)? {
            Answer::Committed(e, s) => Ok((e, s)),
            a => Err(unexpected(&a)),
        }
    }

    /// Adds a route on `host` and announces it (§10.2).
    pub fn add_route(&mut self, handle: &[u8; 16], host: &HostUrl) -> Result<RouteRef, Error> {
        let intent = Intent::AddRoute {
            conversation: *handle,
            host: host.clone(),
        };
        match self.act(intent)? {
            Answer::Route(r) => Ok(r),
            a => Err(unexpected(&a)),
        }
    }

    /// Re-hosts the conversation on `host` (§10.6).
    pub fn rehost(&mut self, handle: &[u8; 16], host: &HostUrl) -> Result<RouteRef, Error> {
        let intent = Intent::Rehost {
            conversation: *handle,
            host: host.clone(),
        };
        match self.act(intent)? {
            Answer::Route(r) => Ok(r),
            a => Err(unexpected(&a)),
        }
    }

    /// DANGER: sends any content type and body (the layer seals what it is given), e.g. a
    /// `RouteBody` that breaks HRT-ROUTE-25 or an unassigned type.
    pub fn danger_send_content(
        &mut self,
        handle: &[u8; 16],
        content_type: ContentType,
        body: RawValue,
    ) -> Result<Sent, Error> {
        let intent = Intent::Send {
            conversation: *handle,
            content_type,
            body,
        };
        match self.act(intent)? {
            Answer::Sent(s) => Ok(s),
            a => Err(unexpected(&a)),
        }
    }

    /// DANGER: gives the conversation another id, so that its invitations claim to belong to
    /// someone else's conversation (HRT-ROUTE-23).
    pub fn danger_set_conversation_id(
        &mut self,
        handle: &[u8; 16],
        id: ConversationId,
    ) -> Result<(), Error> {
        self.state_mut()?.conv_mut(handle)?.id = id;
        Ok(())
    }

    fn route_mut(
        &mut self,
        handle: &[u8; 16],
        link: &RouteRef,
    ) -> Result<&mut hearth::conversation::Route, Error> {
        self.state_mut()?
            .conv_mut(handle)?
            .routes
            .iter_mut()
            .find(|r| &r.link == link)
            .ok_or_else(|| Error::usage("no such route"))
    }

    /// DANGER: the group state of one route, to forge with.
    pub fn danger_group_mut(&mut self, handle: &[u8; 16], link: &RouteRef) -> Option<&mut Group> {
        self.route_mut(handle, link).ok().map(|r| &mut r.group)
    }

    /// Signs `body` for `op` on `link` with the route's member key and posts it.
    fn post(
        &mut self,
        handle: &[u8; 16],
        link: &RouteRef,
        op: Op,
        body: &impl WireEncode,
    ) -> Result<hearth_wire::request::Response, Error> {
        let route = self.route_mut(handle, link)?;
        let g = &route.group;
        let sign = |b: &[u8]| Ok(g.sign_request(b)?);
        let signed = hearth::conversation::io::build(
            &link.host,
            op,
            Some(link.channel),
            body,
            &sign,
            now(),
        )?;
        self.http.post(&link.host, &signed).into_ok()
    }

    /// DANGER: posts envelope bytes as they are with `msg.post`; the log state records the
    /// post as the layer's own posts are recorded. Returns the seq.
    pub fn danger_post_envelope(
        &mut self,
        handle: &[u8; 16],
        link: &RouteRef,
        envelope: Vec<u8>,
    ) -> Result<u64, Error> {
        let body = Encoded(hearth_wire::encode_with(|e| {
            e.map(1).uint(1).bytes(&envelope);
        }));
        let r = self.post(handle, link, Op::MSG_POST, &body)?;
        let res: AppendResult = r
            .result_as()?
            .ok_or_else(|| Error::usage("ok without a result"))?;
        let route = self.route_mut(handle, link)?;
        route.senders.posted_unconfirmed(message_ref(&envelope));
        if let Err(d) = route
            .log
            .record_own(res.seq.0, res.head.0, EntryKind::Msg, envelope)
        {
            route.freeze_with(d, None);
        }
        Ok(res.seq.0)
    }

    /// DANGER: an update commit on one route whose bytes `tamper` changed before posting
    /// (e.g. a wrong confirmation tag: a bad committer, §6.9.3). The own pending commit keeps
    /// the untampered secrets. Returns the seq.
    pub fn danger_post_tampered_commit(
        &mut self,
        handle: &[u8; 16],
        link: &RouteRef,
        tamper: impl FnOnce(Vec<u8>) -> Vec<u8>,
    ) -> Result<u64, Error> {
        let mut events = std::mem::take(&mut self.pending);
        let _ = self.run(Intent::Refresh, &mut events);
        self.pending = events;
        let t = now();
        let route = self.route_mut(handle, link)?;
        if route.group.has_pending_commit() {
            route.group.commit_conflict()?;
        }
        let mut made = route.group.commit(Vec::new(), t)?;
        made.commit = tamper(made.commit);
        let body = made.post_body()?;
        let r = match self.post(handle, link, Op::COMMIT_POST, &body) {
            Ok(r) => r,
            Err(e) => {
                let route = self.route_mut(handle, link)?;
                route.group.commit_conflict()?;
                return Err(e);
            }
        };
        let res: CommitPostResult = r
            .result_as()?
            .ok_or_else(|| Error::usage("ok without a result"))?;
        let route = self.route_mut(handle, link)?;
        if let Err(d) = route
            .log
            .record_own(res.seq.0, res.head.0, EntryKind::Commit, made.commit)
        {
            route.freeze_with(d, None);
        }
        Ok(res.seq.0)
    }
}

fn unexpected(a: &Answer) -> Error {
    Error::Usage(format!("the layer answered {a:?} (harness bug)"))
}
