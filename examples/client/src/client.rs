//! The client: an identity, its conversations and their routes, the invitations it made and
//! the joins it waits for, and the one refresh procedure (`sync`) that drives them (spec §5,
//! §6, §9, §10).

use hearth_crypto::envelope::{message_ref, ContentBuilder};
use hearth_crypto::group::{Change, Group, HeldSecrets, PendingMember};
use hearth_crypto::hazmat::label;
use hearth_crypto::hazmat::labelled::sign_with_label;
use hearth_crypto::invite;
use hearth_crypto::keys::{Fingerprint, IdentityPublicKey};
use hearth_crypto::rng::HearthRng;
use hearth_wire::envelope::{ContentBody, RouteBody, RouteInvite};
use hearth_wire::invite::InviteUri;
use hearth_wire::log::LogEntry;
use hearth_wire::request::{
    AppendResult, ChannelCreateBody, CommitPostResult, CommitReportBody, Empty, JoinFetchResult,
    LogFetchBody, LogFetchResult, WelcomeFetchResult,
};
use hearth_wire::{
    BoundedVec, ContentType, ConversationId, EdPublic, Embedded, EntryKind, ErrorCode, FprPrefix,
    HostUrl, Nonce16, Op, RawValue, Role, Seq, Signature, Suite, WireEncode,
};
use rand_core::RngCore;
use zeroize::Zeroizing;

use crate::error::ClientError;
use hearth::conversation::channel::Received;
use hearth::conversation::join;
use hearth::conversation::log::LogState;
use hearth::conversation::removal;
use hearth::conversation::route::{judge_announcement, timeline_key, Announcement};

use crate::route::{OpenInvite, Route, RouteRef};
use crate::transport::{unix_now, Outcome, Transport};

/// Entries requested per `log.fetch` (the host may serve fewer, spec §9.4).
const PAGE: u64 = 256;
/// `msg.post` attempts on one route after `epoch_conflict` (HRT-ROUTE-17).
const CONFLICT_RETRIES: usize = 3;

pub use hearth::conversation::event::Event;

pub use hearth::conversation::timeline::Displayed;
use hearth::conversation::timeline::Kind;
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

    /// Creates a channel on `host` (which must list this identity as an owner) for a new
    /// conversation whose id is the channel id (spec §8 op 1, HRT-ROUTE-1).
    pub fn create_channel(&mut self, host: &HostUrl) -> Result<([u8; 16], RouteRef), ClientError> {
        let route = self.new_channel(host, None)?;
        let link = route.link.clone();
        let handle = link.channel.0;
        self.conversations.push({
            let mut c = Conversation::new(handle, ConversationId(handle));
            c.routes = vec![route];
            c
        });
        Ok((handle, link))
    }

    /// `channel.create` on `host`: a new group at epoch 0 (spec §6.5) and its create entry.
    fn new_channel(&self, host: &HostUrl, handle: Option<[u8; 16]>) -> Result<Route, ClientError> {
        let identity = self.identity();
        let group = Group::create(host.clone(), self.identity(), self.transport.now())?;
        let channel = *group.channel_id();
        let mk = group
            .member_key()
            .ok_or_else(|| ClientError::usage("a new group has a member key"))?;
        // owner_sig = SignWithLabel(IK, "create", [host_url, channel_id, MK]) (spec §8).
        let owner_sig = sign_with_label(identity.signing_key(), label::CREATE, |e| {
            e.array(3)
                .text(host.as_str())
                .bytes(&channel.0)
                .bytes(mk.as_bytes());
        });
        let body = ChannelCreateBody {
            suite: Suite::X25519_SHA256_AES256GCM_ED25519,
            owner_signature: Signature(owner_sig.to_bytes()),
        };
        let signed = Transport::build(host, Op::CHANNEL_CREATE, Some(channel), &body, &|b| {
            Ok(group.sign_request(b)?)
        })?;
        let r = self.transport.post(host, &signed).into_ok()?;
        let res: AppendResult = r
            .result_as()?
            .ok_or_else(|| ClientError::usage("ok without a result"))?;
        let mut log = LogState::new();
        log.record_own(res.seq.0, res.head.0, EntryKind::Create, signed)
            .map_err(|d| ClientError::Frozen(d.code))?;
        let link = RouteRef {
            host: host.clone(),
            channel,
        };
        let mut route = Route::new(link, group, log, 0);
        route.key_since = self.transport.now(); // issue 16
        let mut out = Vec::new();
        sync_route(
            &self.transport,
            &mut route,
            handle.unwrap_or(channel.0),
            &mut out,
        );
        route.inbox.append(&mut out);
        Ok(route)
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
        let transport = self.transport.clone();
        let conv = self.conv_mut(handle)?;
        let id = conv.id;
        let route = conv
            .routes
            .iter_mut()
            .find(|r| r.usable() && link.is_none_or(|l| *l == r.link))
            .ok_or_else(|| ClientError::usage("no usable route"))?;
        // A member who is not admin asks all the same: the host's `forbidden` is the answer
        // the user sees (Appendix B §91.6.4).
        let invite = make_invite(&transport, route, id, expires_in, None)?;
        let uri = invite
            .invitation
            .uri()
            .map(|u| u.to_string())
            .ok_or_else(|| ClientError::usage("the invitation has no text"))?;
        route.invites.push(invite);
        Ok(uri)
    }

    /// Re-hosts a conversation (spec §10.6, HRT-ROUTE-21): a new channel on `host`, recorded as
    /// a route of the conversation, announced to nobody. The other members join it through
    /// out-of-band invitations from [`Client::create_invite_on`], which carry the conversation
    /// id, so that their clients attach it (HRT-ROUTE-22).
    pub fn rehost(&mut self, handle: &[u8; 16], host: &HostUrl) -> Result<RouteRef, ClientError> {
        self.conv(handle)?;
        let route = self.new_channel(host, Some(*handle))?;
        let link = route.link.clone();
        self.conv_mut(handle)?.routes.push(route);
        Ok(link)
    }

    /// DANGER (conformance harness only): gives a conversation another conversation id, so
    /// that its invitations claim to belong to someone else's conversation (HRT-ROUTE-23).
    #[doc(hidden)]
    pub fn danger_set_conversation_id(
        &mut self,
        handle: &[u8; 16],
        id: ConversationId,
    ) -> Result<(), ClientError> {
        self.conv_mut(handle)?.id = id;
        Ok(())
    }

    /// DANGER (conformance harness only): the group state of one route, to forge what a
    /// conforming client never sends (spec §14.4).
    #[doc(hidden)]
    pub fn danger_group_mut(&mut self, handle: &[u8; 16], link: &RouteRef) -> Option<&mut Group> {
        self.conv_mut(handle)
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
            .conv_mut(handle)?
            .routes
            .iter_mut()
            .find(|r| &r.link == link)
            .ok_or_else(|| ClientError::usage("no such route"))?;
        let signed = Transport::build(
            &route.link.host,
            Op::MSG_POST,
            Some(route.link.channel),
            &msg_post_body(&envelope),
            &sign_with(&route.group),
        )?;
        let r = transport.post(&route.link.host, &signed).into_ok()?;
        let res: AppendResult = r
            .result_as()?
            .ok_or_else(|| ClientError::usage("ok without a result"))?;
        route.senders.posted_unconfirmed(message_ref(&envelope));
        if let Err(d) = route
            .log
            .record_own(res.seq.0, res.head.0, EntryKind::Msg, envelope)
        {
            route.inbox.push(detected(route, *handle, &d));
            route.freeze_with(d, None);
        }
        Ok(res.seq.0)
    }

    /// DANGER (conformance harness only): posts an update commit on one route whose bytes
    /// `tamper` changed first, e.g. a wrong confirmation tag: a bad committer (spec §6.9.3).
    /// The own pending commit keeps the untampered bytes. // issue 16
    #[doc(hidden)]
    pub fn danger_post_tampered_commit(
        &mut self,
        handle: &[u8; 16],
        link: &RouteRef,
        tamper: impl FnOnce(Vec<u8>) -> Vec<u8>,
    ) -> Result<u64, ClientError> {
        let transport = self.transport.clone();
        let route = self
            .conv_mut(handle)?
            .routes
            .iter_mut()
            .find(|r| &r.link == link)
            .ok_or_else(|| ClientError::usage("no such route"))?;
        let mut out = Vec::new();
        let r = post_commit_with(&transport, route, *handle, &mut out, |g| {
            g.commit(Vec::new(), transport.now()).map(|mut made| {
                made.commit = tamper(made.commit);
                made
            })
        });
        route.inbox.append(&mut out);
        r
    }

    /// DANGER (conformance harness only): seals and posts any content type and body on the
    /// first usable route, e.g. a `RouteBody` that breaks HRT-ROUTE-25.
    #[doc(hidden)]
    pub fn danger_send_content(
        &mut self,
        handle: &[u8; 16],
        content_type: ContentType,
        body: RawValue,
    ) -> Result<Sent, ClientError> {
        let transport = self.transport.clone();
        // What the own timeline makes of it, as a receiver would (spec §7.8).
        let kind = ContentBuilder::new(content_type, body.clone())?
            .build()
            .body()
            .map(|b| Kind::of(&b))
            .map_err(|_| ClientError::usage("the body does not decode as its type"))?;
        let conv = self.conv_mut(handle)?;
        let (pos, route) = conv
            .routes
            .iter_mut()
            .enumerate()
            .find(|(_, r)| r.usable())
            .ok_or_else(|| ClientError::usage("no usable route"))?;
        let me = route.group.fingerprint();
        let content = |route: &Route| -> Result<_, ClientError> {
            let b = ContentBuilder::new(content_type, body.clone())?;
            Ok(route.senders.stamp(&route.log, b.sent_at_ms(now_ms()))?)
        };
        let r = post_message(&transport, route, *handle, &content);
        conv.absorb();
        if let Ok(sent) = &r {
            conv.timeline.add(
                &sent.route,
                pos,
                sent.seq,
                me,
                sent.msg_ref,
                sent.sent_at_ms,
                kind,
            );
        }
        r
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
        self.redeem(uri, name, None)
    }

    fn redeem(
        &mut self,
        uri: &str,
        name: &str,
        attach_to: Option<[u8; 16]>,
    ) -> Result<([u8; 16], invite::Sas), ClientError> {
        let parsed = InviteUri::parse(uri)?;
        let inv = parsed.invite.clone();
        let host = inv.host_url.clone();
        // issue 15: one pending join per channel, so that an answer or a Welcome is never
        // taken for another join's; refused before the redeem, which would use up the link.
        if self
            .joining
            .iter()
            .any(|j| j.link.channel == inv.channel_id)
        {
            return Err(ClientError::JoinPending(inv.channel_id));
        }
        let (mut pending, redeem) = PendingMember::join(uri, self.identity(), name, unix_now())?;
        // A route invitation is not compared (spec §5.8.1): it came in a message of a member.
        if attach_to.is_some() {
            pending.confirm_sas();
        }
        let sas = pending.sas();
        let auth = std::cell::RefCell::new(Some(redeem.auth));
        let signed = Transport::build(
            &host,
            Op::INVITE_REDEEM,
            Some(inv.channel_id),
            &redeem.body,
            &|b| {
                let a = auth
                    .borrow_mut()
                    .take()
                    .ok_or_else(|| ClientError::usage("the invite key signs once"))?;
                let key = a.public_key();
                Ok((key, a.sign_request(b)))
            },
        )?;
        self.transport.post(&host, &signed).into_ok()?;
        let link = RouteRef {
            host,
            channel: inv.channel_id,
        };
        if attach_to.is_none() {
            // issue 15: the code is shown only now (HRT-INV-58), the Welcome waits for it.
            self.comparison_redeemed(link.clone(), redeem.body.invite_id, sas);
        }
        self.joining.push(Joining {
            pending,
            link,
            invite: Some(redeem.body.invite_id),
            conversation: inv.conversation,
            inviter: inv.inviter_fpr,
            attach_to,
        });
        Ok((redeem.body.invite_id.0, sas))
    }

    /// Refreshes everything (spec §5.9, §9, §10.5): Welcomes of pending joins, the logs of
    /// every route, joins to admit, and due update commits. Returns what the user should see.
    pub fn sync(&mut self) -> Vec<Event> {
        // Events of commands since the last sync come first, in the order they occurred
        // (Appendix B, HRT-SHIM-25).
        let mut events = self.take_events();
        let handles: Vec<[u8; 16]> = self.conversations.iter().map(|c| c.handle).collect();
        // a. Welcomes.
        self.fetch_welcomes(&mut events);
        // b. Admissions, each after the user's comparison (HRT-INV-65).
        let mut cmp: Box<dyn Comparison> =
            std::mem::replace(&mut self.comparison, Box::new(NobodyToAsk));
        let mut sas = std::mem::take(&mut self.sas); // issue 15
        for h in &handles {
            self.each_route(h, &mut events, |t, route, handle, out| {
                admit_joins(t, route, handle, out, cmp.as_mut(), &mut sas);
            });
        }
        self.comparison = cmp;
        self.sas = sas;
        // c. Logs, and the own invitations of route announcements (spec §10.2).
        for h in &handles {
            self.each_route(h, &mut events, |t, route, handle, out| {
                sync_route(t, route, handle, out);
            });
            self.redeem_announcements(h, &mut events);
        }
        // d. Duties.
        for h in &handles {
            // issue 16: removals carried to every route (HRT-ROUTE-28).
            let removed: Vec<Fingerprint> = self.conv(h).map_or(Vec::new(), |c| {
                c.routes
                    .iter()
                    .flat_map(|r| r.recovery.removed_members().iter().copied())
                    .collect()
            });
            self.each_route(h, &mut events, |t, route, handle, out| {
                let carry = removal::carry_removals(&route.group, &removed);
                if !carry.is_empty() && route.usable() {
                    let _ = post_commit(t, route, handle, carry, out);
                }
                update_if_due(t, route, handle, out);
            });
        }
        events
    }

    /// Runs `step` on every route of one conversation and collects the events it produced.
    fn each_route(
        &mut self,
        handle: &[u8; 16],
        events: &mut Vec<Event>,
        mut step: impl FnMut(&Transport, &mut Route, [u8; 16], &mut Vec<Event>),
    ) {
        let transport = self.transport.clone();
        let Ok(conv) = self.conv_mut(handle) else {
            return;
        };
        for route in conv.routes.iter_mut() {
            let mut out = Vec::new();
            step(&transport, route, *handle, &mut out);
            route.inbox.append(&mut out);
        }
        conv.absorb();
        events.append(&mut conv.undelivered);
    }

    /// Acts on the route announcements the logs of one conversation delivered (spec §10.2,
    /// HRT-ROUTE-26, HRT-ROUTE-7 to HRT-ROUTE-10): redeems the own invitation of each valid one.
    fn redeem_announcements(&mut self, handle: &[u8; 16], events: &mut Vec<Event>) {
        let pending: Vec<RouteRef> = self.joining.iter().map(|j| j.link.clone()).collect();
        let Ok(conv) = self.conv_mut(handle) else {
            return;
        };
        let conv_id = conv.id;
        let mut held: Vec<RouteRef> = conv.routes.iter().map(|r| r.link.clone()).collect();
        held.extend(pending);
        let mut to_redeem = Vec::new();
        for route in conv.routes.iter_mut() {
            for a in std::mem::take(&mut route.announcements) {
                match judge_announcement(&a.body, conv_id, a.my_leaf, &a.sender, &held) {
                    Ok(Announcement::Redeem(uri)) => to_redeem.push((route.link.clone(), a, uri)),
                    Ok(Announcement::Ignore) => {}
                    Err(code) => events.push(Event::Rejected {
                        conversation: Some(*handle),
                        route: Some(route.link.clone()),
                        seq: Some(a.seq),
                        code,
                    }),
                }
            }
        }
        for (carrier, a, uri) in to_redeem {
            let name = self.name.clone();
            if let Err(ClientError::Unreachable(_)) = self.redeem(&uri, &name, Some(*handle)) {
                // Try again at the next sync; other refusals are final.
                if let Ok(conv) = self.conv_mut(handle) {
                    if let Some(r) = conv.routes.iter_mut().find(|r| r.link == carrier) {
                        r.announcements.push(a);
                    }
                }
            }
        }
    }

    fn fetch_welcomes(&mut self, events: &mut Vec<Event>) {
        // issue 15: the comparisons the user answers now (a mismatch abandons, HRT-INV-68).
        self.ask_joiners(events);
        let pending = std::mem::take(&mut self.joining);
        for j in pending {
            let conversation = j.attach_to;
            // HRT-INV-67: no Welcome before the user confirmed the code.
            if !j.pending.sas_confirmed() {
                self.joining.push(j);
                continue;
            }
            match self.try_welcome(j, events) {
                Ok(Some(still)) => self.joining.push(still),
                Ok(None) => {}
                Err((code, link)) => events.push(Event::Rejected {
                    conversation,
                    route: Some(link),
                    seq: None,
                    code,
                }),
            }
        }
    }

    /// `welcome.fetch`, the anchor entry, and Welcome acceptance (spec §5.9, §6.12, §9.6).
    /// `Ok(Some(j))`: not there yet; `Ok(None)`: joined; `Err`: refused.
    #[allow(clippy::type_complexity)]
    fn try_welcome(
        &mut self,
        j: Joining,
        events: &mut Vec<Event>,
    ) -> Result<Option<Joining>, (ErrorCode, RouteRef)> {
        let link = j.link.clone();
        let fail = |c: ErrorCode| (c, link.clone());
        let mk = j.pending.member_key();
        let sign =
            |b: &[u8]| -> Result<(EdPublic, Signature), ClientError> { Ok(mk.sign_request(b)) };
        let signed = Transport::build(
            &link.host,
            Op::WELCOME_FETCH,
            Some(link.channel),
            &Empty {},
            &sign,
        )
        .map_err(|e| fail(e.code().unwrap_or(ErrorCode::INTERNAL)))?;
        let r = match self.transport.post(&link.host, &signed) {
            Outcome::Ok(r) => r,
            Outcome::Refused(r) if r.status == ErrorCode::NOT_FOUND => return Ok(Some(j)),
            Outcome::Refused(r) => return Err(fail(r.status)),
            Outcome::Unreachable(_) => return Ok(Some(j)),
        };
        let wf: WelcomeFetchResult = r
            .result_as()
            .ok()
            .flatten()
            .ok_or_else(|| fail(ErrorCode::MALFORMED))?;
        let s_add = wf.seq.0;
        // The whole chain up to the anchor (HRT-LOG-28): the anchor is then bound by the chain
        // as well as by the confirmation tag (HRT-LOG-26), and the leave entries before it are
        // known, so that a removal of a member who left is not misjudged (HRT-GRP-73).
        let mut log = LogState::new();
        let mut entries: Vec<LogEntry> = Vec::new();
        while log.verified() < s_add {
            let body = LogFetchBody {
                since: Seq(log.verified()),
                limit: PAGE,
            };
            let signed =
                Transport::build(&link.host, Op::LOG_FETCH, Some(link.channel), &body, &sign)
                    .map_err(|e| fail(e.code().unwrap_or(ErrorCode::INTERNAL)))?;
            let page: LogFetchResult = match self.transport.post(&link.host, &signed) {
                Outcome::Ok(r) => r
                    .result_as()
                    .ok()
                    .flatten()
                    .ok_or_else(|| fail(ErrorCode::MALFORMED))?,
                Outcome::Refused(r) => return Err(fail(r.status)),
                Outcome::Unreachable(_) => return Ok(Some(j)),
            };
            match log.verify_page(page) {
                // The Welcome names an entry the log does not have.
                Ok(es) if es.is_empty() => return Err(fail(ErrorCode::WELCOME_MISMATCH)),
                Ok(es) => entries.extend(es),
                Err(d) => return Err(fail(d.code)),
            }
        }
        let anchor = join::anchor(&entries, s_add).map_err(fail)?.bytes.clone();
        let Joining {
            pending,
            conversation,
            inviter,
            attach_to,
            invite,
            ..
        } = j;
        let group = pending
            .accept_welcome(
                wf.welcome.as_bytes(),
                wf.group_info_ct.as_slice(),
                Some(&anchor),
                self.transport.now(),
            )
            .map_err(|rej| fail(rej.error.code()))?;
        let epoch = group.epoch().unwrap_or(0);
        let (ch, results) = join::Anchored {
            log,
            s_add,
            entries,
        }
        .finish(group);
        let (group, log, senders, frozen) = ch.into_parts();
        let mut route = Route::new(link.clone(), group, log, s_add);
        route.key_since = self.transport.now(); // issue 16
        route.senders = senders;
        route.frozen = frozen;
        // Which conversation (HRT-ROUTE-3, HRT-ROUTE-22, HRT-ROUTE-23).
        let handle = self.place(conversation, inviter, attach_to);
        let mut out = Vec::new();
        apply_results(&mut route, handle, results, &mut out);
        route.inbox.append(&mut out);
        events.push(Event::Joined {
            conversation: handle,
            route: link.clone(),
            epoch,
            invite: invite.map(|i| i.0),
        });
        let idx = match self.conversations.iter().position(|c| c.handle == handle) {
            Some(i) => {
                events.push(Event::RouteAdded {
                    conversation: handle,
                    route: link,
                });
                i
            }
            None => {
                self.conversations
                    .push(Conversation::new(handle, conversation));
                self.conversations.len() - 1
            }
        };
        if let Some(c) = self.conversations.get_mut(idx) {
            c.routes.push(route);
            c.absorb();
            events.append(&mut c.undelivered);
        }
        Ok(None)
    }

    /// The local conversation a newly joined channel belongs to (spec §10.2, §10.6): the one
    /// named by a route announcement; else an existing conversation with the same id whose
    /// latest rosters contain the inviter (HRT-ROUTE-22); else a new one (HRT-ROUTE-23).
    fn place(
        &self,
        id: ConversationId,
        inviter: FprPrefix,
        attach_to: Option<[u8; 16]>,
    ) -> [u8; 16] {
        if let Some(h) = attach_to {
            return h;
        }
        let matching = self.conversations.iter().find(|c| {
            c.id == id
                && c.routes.iter().any(|r| {
                    r.group
                        .members()
                        .iter()
                        .any(|m| m.fingerprint.prefix() == inviter.0)
                })
        });
        if let Some(c) = matching {
            return c.handle;
        }
        if self.conversations.iter().any(|c| c.handle == id.0) {
            let mut h = [0u8; 16];
            HearthRng::os().fill_bytes(&mut h);
            h
        } else {
            id.0
        }
    }

    /// Posts a text message to the first reachable route (HRT-ROUTE-14), sealing it anew for
    /// each route tried (HRT-ROUTE-15).
    pub fn send_text(&mut self, handle: &[u8; 16], text: &str) -> Result<Sent, ClientError> {
        let content = |route: &Route| -> Result<_, ClientError> {
            let b = ContentBuilder::text(text)?.sent_at_ms(now_ms());
            Ok(route.senders.stamp(&route.log, b)?)
        };
        let transport = self.transport.clone();
        let conv = self.conv_mut(handle)?;
        // issue 16: removed on one route, silent on all (HRT-ROUTE-29).
        if !removal::may_send(conv.routes.iter().map(|r| &r.group)) {
            return Err(ClientError::Host {
                status: ErrorCode::REMOVED,
                detail: None,
            });
        }
        let mut why = Vec::new();
        let mut frozen = None;
        for (pos, route) in conv.routes.iter_mut().enumerate() {
            if let Some(f) = &route.frozen {
                frozen = Some(f.detection.code);
                if !crate::mutant::on("post-when-frozen") {
                    continue;
                }
            }
            if route.group.status() != hearth_crypto::Status::Active {
                continue;
            }
            match post_message(&transport, route, *handle, &content) {
                Ok(sent) => {
                    let me = route.group.fingerprint();
                    conv.absorb();
                    conv.timeline.add(
                        &sent.route,
                        pos,
                        sent.seq,
                        me,
                        sent.msg_ref,
                        sent.sent_at_ms,
                        Kind::Text(text.to_owned()),
                    );
                    return Ok(sent);
                }
                Err(ClientError::Frozen(code)) => frozen = Some(code),
                Err(ClientError::Unreachable(s)) => {
                    why.push(format!("{}: {s}", route.link.host.as_str()))
                }
                Err(e) => return Err(e),
            }
        }
        conv.absorb();
        match (why.is_empty(), frozen) {
            (true, Some(code)) => Err(ClientError::Frozen(code)),
            (true, None) => Err(ClientError::usage("the conversation has no usable route")),
            _ => Err(ClientError::Unreachable(why.join("; "))),
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
        let transport = self.transport.clone();
        let conv = self.conv_mut(handle)?;
        let route = conv
            .routes
            .iter_mut()
            .find(|r| &r.link == link)
            .ok_or_else(|| ClientError::usage("no such route"))?;
        if let Some(f) = &route.frozen {
            return Err(ClientError::Frozen(f.detection.code));
        }
        let mut changes = Vec::new();
        for fp in remove {
            let leaf = route
                .group
                .members()
                .iter()
                .find(|m| &m.fingerprint == fp)
                .map(|m| m.leaf)
                .ok_or_else(|| ClientError::usage("no member with that fingerprint"))?;
            changes.push(Change::Remove(leaf));
        }
        let mut out = Vec::new();
        let r = post_commit(&transport, route, *handle, changes, &mut out);
        route.inbox.append(&mut out);
        conv.absorb();
        let seq = r?;
        // The epoch this commit creates, installed now or when the log reaches it
        // (HRT-GRP-75).
        Ok((route_epoch_after(conv, link), seq))
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

    /// Adds a route on `host` (spec §10.2): a new channel, one invitation per other member
    /// bound to that member's identity (HRT-ROUTE-9), announced in a `RouteBody` on the first
    /// reachable route.
    pub fn add_route(
        &mut self,
        handle: &[u8; 16],
        host: &HostUrl,
    ) -> Result<RouteRef, ClientError> {
        let conv_id = self.conv(handle)?.id;
        let mut new_route = self.new_channel(host, Some(*handle))?;
        let transport = self.transport.clone();
        let me = self.fingerprint();
        let conv = self.conv_mut(handle)?;
        let announce = conv
            .routes
            .iter_mut()
            .find(|r| r.usable())
            .ok_or_else(|| ClientError::usage("no usable route to announce on"))?;
        let mut invites = Vec::new();
        for m in announce.group.members() {
            if m.fingerprint == me {
                continue;
            }
            let inv = make_invite(
                &transport,
                &mut new_route,
                conv_id,
                7 * 24 * 3600,
                Some(m.fingerprint),
            )?;
            let uri = inv
                .invitation
                .uri()
                .ok_or_else(|| ClientError::usage("the invitation has no text"))?;
            invites.push(RouteInvite {
                leaf: m.leaf,
                invite: Embedded::new(uri.invite.clone()),
            });
            new_route.invites.push(inv);
        }
        let body = RouteBody {
            conversation: conv_id,
            host_url: host.clone(),
            channel_id: new_route.link.channel,
            invites: BoundedVec::new(invites)?,
        };
        let raw = RawValue::from_value(&body);
        let listed_epoch = announce.group.epoch();
        let content = |route: &Route| -> Result<_, ClientError> {
            // The invites are listed by the leaves of the epoch they were made for
            // (HRT-ROUTE-4); if the epoch moved on meanwhile, the list may be wrong.
            if route.group.epoch() != listed_epoch {
                return Err(ClientError::usage(
                    "the membership changed while the route was announced; add the route again",
                ));
            }
            let b = ContentBuilder::new(ContentType::ROUTE, raw.clone())?;
            Ok(route.senders.stamp(&route.log, b.sent_at_ms(now_ms()))?)
        };
        let posted = post_message(&transport, announce, *handle, &content);
        conv.absorb();
        posted?;
        let link = new_route.link.clone();
        conv.routes.push(new_route);
        Ok(link)
    }
}

/// The local clock in milliseconds, for `sent_at_ms` (spec §7.6).
fn now_ms() -> u64 {
    unix_now().saturating_mul(1000)
}

fn sign_with<'a>(
    g: &'a Group,
) -> impl Fn(&[u8]) -> Result<(EdPublic, Signature), ClientError> + 'a {
    move |b| Ok(g.sign_request(b)?)
}

/// `invite.create` (spec §5.2, §8 op 3).
fn make_invite(
    transport: &Transport,
    route: &mut Route,
    conversation: ConversationId,
    expires_in: u64,
    expected: Option<Fingerprint>,
) -> Result<OpenInvite, ClientError> {
    let draft = route
        .group
        .create_invitation(conversation, unix_now().saturating_add(expires_in))?;
    let body = draft.create_body();
    let signed = Transport::build(
        &route.link.host,
        Op::INVITE_CREATE,
        Some(route.link.channel),
        &body,
        &sign_with(&route.group),
    )?;
    transport.post(&route.link.host, &signed).into_ok()?;
    Ok(OpenInvite {
        invitation: draft.registered(),
        expected,
    })
}

/// Fetches a route's log until its tip and processes it (spec §9.5). Stops at a detection.
/// Returns whether the log was verified up to the tip the host served.
fn sync_route(
    transport: &Transport,
    route: &mut Route,
    handle: [u8; 16],
    out: &mut Vec<Event>,
) -> bool {
    let current = sync_route_inner(transport, route, handle, out);
    // issue 16: an own commit with a `RotateOp` is installed here, whether its `ok` came now
    // or the log showed it later (HRT-GRP-48): the key's age restarts (HRT-RAT-21).
    route.note_key(transport.now());
    current
}

/// [`sync_route`] without the member-key bookkeeping.
fn sync_route_inner(
    transport: &Transport,
    route: &mut Route,
    handle: [u8; 16],
    out: &mut Vec<Event>,
) -> bool {
    for _ in 0..100_000 {
        if !route.readable() {
            // issue 16
            return false;
        }
        let body = LogFetchBody {
            since: Seq(route.log.verified()),
            limit: PAGE,
        };
        let Ok(signed) = Transport::build(
            &route.link.host,
            Op::LOG_FETCH,
            Some(route.link.channel),
            &body,
            &sign_with(&route.group),
        ) else {
            return false;
        };
        let page: LogFetchResult = match transport.post(&route.link.host, &signed) {
            Outcome::Ok(r) => match r.result_as() {
                Ok(Some(p)) => p,
                _ => {
                    // A defective answer (§9.5 step 1), not yet evidence of a fork.
                    out.push(Event::Rejected {
                        conversation: Some(handle),
                        route: Some(route.link.clone()),
                        seq: None,
                        code: ErrorCode::MALFORMED,
                    });
                    return false;
                }
            },
            Outcome::Refused(_) | Outcome::Unreachable(_) => return false,
        };
        let tip = page.tip.0;
        let more = apply_page(route, handle, page, out);
        if route.log.verified() >= tip && route.frozen.is_none() {
            return route.group.status() == hearth_crypto::Status::Active;
        }
        if !more {
            return false;
        }
    }
    false
}

/// Verifies a page and processes its entries; false when nothing was verified.
fn apply_page(
    route: &mut Route,
    handle: [u8; 16],
    page: LogFetchResult,
    out: &mut Vec<Event>,
) -> bool {
    let entries = match route.log.verify_page(page) {
        Ok(e) => e,
        Err(d) => {
            out.push(detected(route, handle, &d));
            route.freeze_with(d, None);
            return false;
        }
    };
    process_entries(route, handle, &entries, out)
}

/// Processes verified entries in `seq` order (spec §9.5 step 6); false when nothing was
/// processed or processing had to stop (a detection, a removal, a rejected commit).
fn process_entries(
    route: &mut Route,
    handle: [u8; 16],
    entries: &[LogEntry],
    out: &mut Vec<Event>,
) -> bool {
    // issue 16: recovery commits and wedged members (spec §6.9.3).
    let results = route
        .recovery
        .process(&mut route.group, &route.log, &mut route.senders, entries);
    apply_results(route, handle, results, out) && !entries.is_empty()
}

/// Turns what processing verified entries came to into events and route state; false when
/// processing had to stop (a detection, a removal, a rejected commit).
fn apply_results(
    route: &mut Route,
    handle: [u8; 16],
    results: Vec<(u64, Received)>,
    out: &mut Vec<Event>,
) -> bool {
    let mut stop = false;
    for (seq, r) in results {
        let link = route.link.clone();
        match r {
            Received::Nothing | Received::Own(_) => {}
            Received::Commit { epoch } => out.push(Event::Commit {
                conversation: handle,
                route: link,
                seq,
                epoch,
            }),
            Received::Removed => {
                // Removed: nothing of this channel may be kept, invitations included
                // (HRT-GRP-46, HRT-INV-48).
                route.invites.clear();
                route.pending_adds.clear();
                out.push(Event::Removed {
                    conversation: handle,
                    route: link,
                    seq,
                });
                return false;
            }
            Received::Message(m) => {
                let text = match &m.body {
                    ContentBody::Text(t) => Some(t.text.as_str().to_owned()),
                    _ => None,
                };
                out.push(Event::Message {
                    conversation: handle,
                    route: link.clone(),
                    seq,
                    msg_ref: m.msg_ref,
                    sender: m.sender,
                    content_type: m.content_type,
                    text,
                    sent_at_ms: m.sent_at_ms,
                    kind: Kind::of(&m.body),
                });
                // A member's contradicting claim: shown, marked, and the route keeps working
                // (HRT-LOG-45; Appendix B: a `detected` event after the `message`).
                if let Some(c) = &m.claim {
                    out.push(Event::Detected {
                        conversation: handle,
                        route: link,
                        code: c.code,
                        seq: c.seq,
                        member: Some(m.sender),
                    });
                }
                if let ContentBody::Route(rb) = m.body {
                    // The own leaf of the message's epoch (HRT-ROUTE-8), before later
                    // commits renumber the leaves.
                    route.announcements.push(crate::route::Announced {
                        seq,
                        my_leaf: m.my_leaf,
                        sender: m.sender,
                        body: rb,
                    });
                }
            }
            Received::Rejected(code) => out.push(Event::Rejected {
                conversation: Some(handle),
                route: Some(link),
                seq: Some(seq),
                code,
            }),
            Received::RejectedCommit(code) => {
                out.push(Event::Rejected {
                    conversation: Some(handle),
                    route: Some(link),
                    seq: Some(seq),
                    code,
                });
                route.report = Some((seq, code));
                route.invites.clear();
                route.pending_adds.clear();
                // issue 16: later results (a recovery commit) still count; fetching stops
                // until the report is out (HRT-GRP-88).
                stop = true;
            }
            Received::Detected(f) => {
                out.push(Event::Detected {
                    conversation: handle,
                    route: link,
                    code: f.detection.code,
                    seq: f.detection.seq,
                    member: f.member,
                });
                route.frozen = Some(f);
                return false;
            }
        }
    }
    !stop
}

/// The event of a detection on a route (spec §9.9).
fn detected(route: &Route, handle: [u8; 16], d: &hearth::conversation::log::Detection) -> Event {
    Event::Detected {
        conversation: handle,
        route: route.link.clone(),
        code: d.code,
        seq: d.seq,
        member: None,
    }
}

/// A body that is already encoded (the exact bytes of an envelope inside `MsgPostBody`).
struct Encoded(Vec<u8>);

impl WireEncode for Encoded {
    fn encode(&self, e: &mut hearth_wire::Encoder) {
        e.raw(&self.0);
    }
}

/// `MsgPostBody = {1: bstr .cbor Envelope}` around the exact envelope bytes.
fn msg_post_body(envelope: &[u8]) -> Encoded {
    Encoded(hearth_wire::encode_with(|e| {
        e.map(1).uint(1).bytes(envelope);
    }))
}

/// Seals and posts one application message on one route (spec §7, §8 op 9), retrying after
/// `epoch_conflict` with a fresh seal (HRT-ROUTE-17). An update commit due by §6.17 is made
/// first (HRT-RAT-17).
fn post_message(
    transport: &Transport,
    route: &mut Route,
    handle: [u8; 16],
    content: &dyn Fn(&Route) -> Result<hearth_wire::envelope::Content, ClientError>,
) -> Result<Sent, ClientError> {
    let mut last = None;
    for _ in 0..CONFLICT_RETRIES {
        // HRT-LOG-38, HRT-GRP-89: never post to a frozen or halted route (also after the
        // catch-up below found a fork or a bad commit).
        if let Some(f) = route
            .frozen
            .as_ref()
            .filter(|_| !crate::mutant::on("post-when-frozen"))
        {
            return Err(ClientError::Frozen(f.detection.code));
        }
        // issue 16: nor in an epoch whose commit a verified report names (HRT-GRP-92).
        if route.group.status() != hearth_crypto::Status::Active || route.recovery.holds_messages()
        {
            return Err(ClientError::Unreachable(
                "this member can no longer post in the channel".into(),
            ));
        }
        if route.group.needs_update(transport.now()) {
            let mut got = Vec::new();
            let r = post_commit(transport, route, handle, Vec::new(), &mut got);
            route.inbox.append(&mut got);
            match r {
                Err(ClientError::Host { status, .. }) if status == ErrorCode::EPOCH_CONFLICT => {
                    continue;
                }
                other => {
                    other?;
                }
            }
        }
        let c = content(route)?;
        let sent_at_ms = c.sent_at_ms;
        let env = route.group.seal(&c, transport.now())?;
        transport.save_before_sending(&route.link, &route.group)?;
        let msg_ref = message_ref(&env.bytes);
        let signed = Transport::build(
            &route.link.host,
            Op::MSG_POST,
            Some(route.link.channel),
            &msg_post_body(&env.bytes),
            &sign_with(&route.group),
        )?;
        match transport.post(&route.link.host, &signed) {
            Outcome::Ok(r) => {
                let res: AppendResult = r
                    .result_as()?
                    .ok_or_else(|| ClientError::usage("ok without a result"))?;
                if let Err(d) = route.senders.record_post(
                    &mut route.log,
                    res.seq.0,
                    res.head.0,
                    env.bytes,
                    msg_ref,
                ) {
                    let code = d.code;
                    route.inbox.push(detected(route, handle, &d));
                    route.freeze_with(d, None);
                    return Err(ClientError::Frozen(code));
                }
                return Ok(Sent {
                    route: route.link.clone(),
                    seq: res.seq.0,
                    msg_ref,
                    sent_at_ms,
                });
            }
            Outcome::Refused(r) if r.status == ErrorCode::EPOCH_CONFLICT => {
                let mut got = Vec::new();
                sync_route(transport, route, handle, &mut got);
                route.inbox.append(&mut got);
                last = Some(r);
            }
            // Every route held had a successful request (its creation or the join), so
            // `not_found` now means the channel is gone for this member (spec §10.4).
            Outcome::Refused(r) if r.status == ErrorCode::NOT_FOUND => {
                return Err(ClientError::Unreachable(
                    "the host answered not_found".into(),
                ));
            }
            // issue 16: believed only once the log bears it out (HRT-GRP-90, HRT-GRP-91);
            // then never failed over from (HRT-ROUTE-27).
            Outcome::Refused(r) if r.status == ErrorCode::REMOVED => {
                let mut got = Vec::new();
                sync_route(transport, route, handle, &mut got);
                route.inbox.append(&mut got);
                return match removal::judge_removed(&route.group) {
                    removal::RemovedAnswer::Removed => Err(ClientError::Host {
                        status: r.status,
                        detail: r.detail,
                    }),
                    removal::RemovedAnswer::NotBorneOut => Err(ClientError::Unreachable(format!(
                        "{} answered removed, which its log does not bear out",
                        route.link.host.as_str()
                    ))),
                };
            }
            Outcome::Refused(r) => {
                return Err(ClientError::Host {
                    status: r.status,
                    detail: r.detail,
                })
            }
            Outcome::Unreachable(why) => {
                // The outcome is unknown: if the host did accept it, the entry is this
                // member's own, not a stranger's (and is not `prev` material, HRT-LOG-35).
                route.senders.posted_unconfirmed(msg_ref);
                return Err(ClientError::Unreachable(why));
            }
        }
    }
    match last {
        Some(r) => Err(ClientError::Host {
            status: r.status,
            detail: r.detail,
        }),
        None => Err(ClientError::Unreachable(
            "the channel kept changing epoch".into(),
        )),
    }
}

/// Makes, posts and installs a commit on one route (spec §6.8, §8 op 7): the route is
/// brought up to date first; after `ok` the own commit is installed when the log shows it
/// (HRT-GRP-75). Returns the commit's seq.
fn post_commit(
    transport: &Transport,
    route: &mut Route,
    handle: [u8; 16],
    changes: Vec<Change>,
    out: &mut Vec<Event>,
) -> Result<u64, ClientError> {
    // issue 16: the first commit after 30 days of a member key carries its rotation
    // (HRT-RAT-21).
    let now = transport.now();
    let due = hearth::conversation::duties::Due::at(&route.group, route.key_since, now);
    let due = hearth::conversation::duties::Due {
        rotate: due.rotate && !crate::mutant::on("no-key-rotation"),
        ..due
    };
    post_commit_with(transport, route, handle, out, |g| {
        g.commit(due.apply(changes), now)
    })
}

/// [`post_commit`] of a commit that `build` makes (a recovery commit, issue 16).
fn post_commit_with(
    transport: &Transport,
    route: &mut Route,
    handle: [u8; 16],
    out: &mut Vec<Event>,
    build: impl FnOnce(&mut Group) -> Result<hearth_crypto::CommitOutput, hearth_crypto::ProtocolError>,
) -> Result<u64, ClientError> {
    let current = sync_route(transport, route, handle, out)
        || (route.recovery.due(&route.group).is_some() && route.readable()); // issue 16
    if let Some(f) = &route.frozen {
        return Err(ClientError::Frozen(f.detection.code));
    }
    if !current {
        return Err(ClientError::Unreachable(
            "the log could not be brought up to date before committing".into(),
        ));
    }
    // A commit of an earlier attempt whose outcome stayed unknown, and which the log verified
    // up to its tip does not contain, was not accepted: discard it (HRT-GRP-48, HRT-GRP-49).
    if route.group.has_pending_commit() {
        route.group.commit_conflict()?;
    }
    let made = build(&mut route.group)?;
    if let Err(e) = transport.save_before_sending(&route.link, &route.group) {
        route.group.commit_conflict()?;
        return Err(e);
    }
    let body = made.post_body()?;
    let signed = Transport::build(
        &route.link.host,
        Op::COMMIT_POST,
        Some(route.link.channel),
        &body,
        &sign_with(&route.group),
    )?;
    match transport.post(&route.link.host, &signed) {
        Outcome::Ok(r) => {
            let res: CommitPostResult = r
                .result_as()?
                .ok_or_else(|| ClientError::usage("ok without a result"))?;
            if let Err(d) =
                route
                    .log
                    .record_own(res.seq.0, res.head.0, EntryKind::Commit, made.commit)
            {
                out.push(detected(route, handle, &d));
                route.freeze_with(d, None);
            }
            sync_route(transport, route, handle, out);
            Ok(res.seq.0)
        }
        Outcome::Refused(r) => {
            route.group.commit_conflict()?;
            Err(ClientError::Host {
                status: r.status,
                detail: r.detail,
            })
        }
        // The outcome is unknown: the pending commit stays, and is installed if the log
        // shows it, or discarded when another commit wins (HRT-GRP-48).
        Outcome::Unreachable(s) => Err(ClientError::Unreachable(s)),
    }
}

/// Joins waiting on this route's invitations (spec §5.8, §8 op 6): each is processed, checked
/// against the identity a route invitation was made for (HRT-ROUTE-9) or compared by the
/// user (HRT-INV-65), and admitted in one commit.
fn admit_joins(
    transport: &Transport,
    route: &mut Route,
    handle: [u8; 16],
    out: &mut Vec<Event>,
    cmp: &mut dyn Comparison,
    sas: &mut hearth::conversation::sas::Comparisons,
) {
    if !route.usable() {
        return;
    }
    // Joins validated earlier whose add commit did not go through are tried again.
    let mut adds = std::mem::take(&mut route.pending_adds);
    if !route.invites.is_empty() {
        collect_joins(transport, route, handle, out, &mut adds, cmp, sas);
    }
    if adds.is_empty() {
        return;
    }
    match post_adds(transport, route, handle, &adds, out) {
        Ok(()) => {}
        // issue 15, HRT-INV-75: a definite refusal is the host's verdict on one of the adds (its pending
        // join dropped, HRT-OP-59, HRT-OP-60; a limit): each add goes in a commit of its own,
        // and an add the host refuses is dropped and reported, so it blocks no later one.
        Err(ClientError::Host { status, .. }) if adds.len() > 1 && Client::definite(status) => {
            for c in adds {
                match post_adds(transport, route, handle, std::slice::from_ref(&c), out) {
                    Err(ClientError::Host { status, .. }) if Client::definite(status) => {
                        out.push(Client::add_refused(route, handle, &c, status));
                    }
                    Err(_) => route.pending_adds.push(c),
                    Ok(()) => {}
                }
            }
        }
        Err(ClientError::Host { status, .. }) if Client::definite(status) => {
            for c in &adds {
                out.push(Client::add_refused(route, handle, c, status));
            }
        }
        // The client's own request failed: no event (Appendix B §91.7); the joins wait for the
        // next sync (their invitation secrets are already deleted, HRT-INV-59).
        Err(_) => route.pending_adds = adds,
    }
}

/// One commit adding `adds`, and their `admitted` events once the host took it.
fn post_adds(
    transport: &Transport,
    route: &mut Route,
    handle: [u8; 16],
    adds: &[invite::ConfirmedJoin],
    out: &mut Vec<Event>,
) -> Result<(), ClientError> {
    let changes = adds
        .iter()
        .map(|c| Change::Add {
            joiner: Box::new(c.clone()),
            role: Role::Member,
        })
        .collect();
    post_commit(transport, route, handle, changes, out)?;
    let epoch = route_epoch_now_or_next(route);
    for c in adds {
        let vj = c.join();
        out.push(Event::Admitted {
            conversation: handle,
            route: route.link.clone(),
            fingerprint: vj.fingerprint(),
            name: vj.proposed_name().to_owned(),
            epoch,
        });
    }
    Ok(())
}

/// `join.fetch` and the checks of §5.8 for each join on one of this route's invitations, then
/// the admission decision: by identity for a route invitation (HRT-ROUTE-9), by the user's
/// comparison of the short authentication strings otherwise (HRT-INV-65, HRT-INV-66).
fn collect_joins(
    transport: &Transport,
    route: &mut Route,
    handle: [u8; 16],
    out: &mut Vec<Event>,
    adds: &mut Vec<invite::ConfirmedJoin>,
    cmp: &mut dyn Comparison,
    sas: &mut hearth::conversation::sas::Comparisons,
) {
    let Ok(signed) = Transport::build(
        &route.link.host,
        Op::JOIN_FETCH,
        Some(route.link.channel),
        &Empty {},
        &sign_with(&route.group),
    ) else {
        return;
    };
    let pending: JoinFetchResult = match transport.post(&route.link.host, &signed) {
        Outcome::Ok(r) => match r.result_as() {
            Ok(Some(p)) => p,
            _ => return,
        },
        _ => return,
    };
    for pj in pending.pending.as_slice() {
        let Some(i) = route
            .invites
            .iter()
            .position(|o| *o.invitation.invite_id() == pj.invite_id)
        else {
            continue;
        };
        let mut open = route.invites.remove(i);
        let processed = open.invitation.process_join(pj);
        match (processed, open.expected) {
            (Ok(vj), Some(fp)) => match vj.confirm_route_identity(&fp) {
                Ok(c) => adds.push(c),
                Err(vj) if crate::mutant::on("admit-anyone-to-a-route") => {
                    adds.push(vj.confirm_sas_matches());
                }
                // HRT-ROUTE-9: someone else redeemed a route invitation: not admitted, the
                // invitation revoked; no event (Appendix B §91.7).
                Err(_) => revoke(transport, route, pj.invite_id),
            },
            // issue 15: the join waits for the user's comparison (HRT-INV-65).
            (Ok(vj), None) => Client::sas_opened(
                sas,
                cmp,
                transport,
                route,
                handle,
                pj.invite_id,
                vj,
                adds,
                out,
            ),
            (Err(e), _) => {
                Client::mutant_code_for_a_bad_join(route, handle, pj.invite_id, &e, out); // issue 15
                out.push(Event::Rejected {
                    conversation: Some(handle),
                    route: Some(route.link.clone()),
                    seq: None,
                    code: e.code(),
                });
                // HRT-INV-62: a join that did not open leaves the invitation usable.
                if open.invitation.is_open() {
                    route.invites.push(open);
                }
            }
        }
    }
}

/// The epoch of a route once its own posted commit is installed (HRT-GRP-75).
fn route_epoch_now_or_next(route: &Route) -> u64 {
    let e = route.group.epoch().unwrap_or(0);
    if route.group.has_pending_commit() {
        e + 1
    } else {
        e
    }
}

/// `invite.revoke` (spec §8 op 4), best effort.
fn revoke(transport: &Transport, route: &Route, invite_id: Nonce16) {
    let body = hearth_wire::request::InviteRevokeBody { invite_id };
    if let Ok(signed) = Transport::build(
        &route.link.host,
        Op::INVITE_REVOKE,
        Some(route.link.channel),
        &body,
        &sign_with(&route.group),
    ) {
        let _ = transport.post(&route.link.host, &signed);
    }
}

/// An update commit when §6.17 says one is due (HRT-RAT-17 to HRT-RAT-19), and the
/// `commit.report` of a rejected commit (HRT-GRP-88).
fn update_if_due(transport: &Transport, route: &mut Route, handle: [u8; 16], out: &mut Vec<Event>) {
    if let Some((seq, code)) = route
        .report
        .filter(|_| !crate::mutant::on("no-commit-report"))
    {
        let body = CommitReportBody {
            seq: Seq(seq),
            reason: code,
        };
        if let Ok(signed) = Transport::build(
            &route.link.host,
            Op::COMMIT_REPORT,
            Some(route.link.channel),
            &body,
            &sign_with(&route.group),
        ) {
            // Kept until the host took it: a lost report is sent again at the next sync.
            if matches!(
                transport.post(&route.link.host, &signed),
                Outcome::Ok(_) | Outcome::Refused(_)
            ) {
                route.report = None;
            }
        }
    }
    // issue 16: an admin recovers a wedged channel (HRT-GRP-93).
    if route.report.is_none() && route.frozen.is_none() {
        if let Some((seq, named)) = route.recovery.due(&route.group) {
            let named = named.to_vec();
            let _ = post_commit_with(transport, route, handle, out, |g| {
                g.recovery_commit(seq, &named, transport.now())
            });
        }
    }
    // A failure here is the client's own request failing, not something received: no event
    // (Appendix B §91.7); the duty stays and is tried again at the next sync.
    // issue 16: the timed commit and member-key rotation (HRT-RAT-20, HRT-RAT-21).
    // The mutant judges at time 0: only the untimed duties remain.
    let now = if crate::mutant::on("no-timed-commit") {
        0
    } else {
        transport.now()
    };
    let due = hearth::conversation::duties::Due::at(&route.group, route.key_since, now);
    if route.usable() && due.commit {
        let _ = post_commit(transport, route, handle, Vec::new(), out);
    }
}

/// The epoch a route is at once the own commit just posted is installed: the current epoch
/// if the log already reached it, otherwise one more (HRT-GRP-75).
fn route_epoch_after(conv: &Conversation, link: &RouteRef) -> u64 {
    conv.routes
        .iter()
        .find(|r| &r.link == link)
        .map_or(0, route_epoch_now_or_next)
}
