//! The procedures of a member across its conversations (spec §5.2, §6.8, §10.2, §10.4,
//! §10.6): creating a channel, inviting, re-hosting, sending with failover, committing,
//! adding a route, and the refresh that drives everything else.

use hearth_crypto::envelope::ContentBuilder;
use hearth_crypto::group::{Change, Group};
use hearth_crypto::hazmat::label;
use hearth_crypto::hazmat::labelled::sign_with_label;
use hearth_crypto::keys::Fingerprint;
use hearth_wire::envelope::{RouteBody, RouteInvite};
use hearth_wire::request::{AppendResult, ChannelCreateBody};
use hearth_wire::{
    BoundedVec, ContentType, ConversationId, Embedded, EntryKind, HostUrl, Op, RawValue, Signature,
    Suite,
};

use super::admit::admit_joins;
use super::duties::duties;
use super::route::{make_invite, post_commit, post_message, sync_route};
use crate::conversation::error::Error;
use crate::conversation::event::Event;
use crate::conversation::io::{sign_with, Io};
use crate::conversation::log::LogState;
use crate::conversation::machine::State;
use crate::conversation::outbox::Queued;
use crate::conversation::removal;
use crate::conversation::sas::Comparisons;
use crate::conversation::state::{Comparison, Conversation, NobodyToAsk, Route, Sent};
use crate::conversation::timeline::Kind;
use crate::conversation::RouteRef;

impl State {
    /// Creates a channel on `host` (which must list this identity as an owner) for a new
    /// conversation whose id is the channel id (spec §8 op 1, HRT-ROUTE-1).
    pub(crate) async fn create_channel(
        &mut self,
        io: &Io,
        host: &HostUrl,
    ) -> Result<([u8; 16], RouteRef), Error> {
        let route = self.new_channel(io, host, None).await?;
        let link = route.link.clone();
        let handle = link.channel.0;
        let mut conv = Conversation::new(handle, ConversationId(handle));
        conv.routes.push(route);
        self.conversations.push(conv);
        Ok((handle, link))
    }

    /// `channel.create` on `host`: a new group at epoch 0 (spec §6.5) and its create entry.
    pub(crate) async fn new_channel(
        &self,
        io: &Io,
        host: &HostUrl,
        handle: Option<[u8; 16]>,
    ) -> Result<Route, Error> {
        let identity = self.identity();
        let group = Group::create(host.clone(), self.identity(), io.duty_now)?;
        let channel = *group.channel_id();
        let mk = group
            .member_key()
            .ok_or_else(|| Error::usage("a new group has a member key"))?;
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
        let link = RouteRef {
            host: host.clone(),
            channel,
        };
        let signed = io.build(&link, Op::CHANNEL_CREATE, &body, &sign_with(&group))?;
        let r = io.request(&link, signed.clone()).await.into_ok()?;
        let res: AppendResult = r
            .result_as()?
            .ok_or_else(|| Error::usage("ok without a result"))?;
        let mut log = LogState::new();
        log.record_own(res.seq.0, res.head.0, EntryKind::Create, signed)
            .map_err(|d| Error::Frozen(d.code))?;
        let mut route = Route::new(link, group, log, 0);
        // The member key's age starts now (HRT-RAT-21).
        route.key_since = io.duty_now;
        let mut out = Vec::new();
        sync_route(io, &mut route, handle.unwrap_or(channel.0), &mut out).await;
        route.inbox.append(&mut out);
        Ok(route)
    }

    /// Makes an invitation for the conversation's first usable route, or the given one (spec
    /// §5.2, §10.6), and returns its URI text once the host accepted `invite.create`. The
    /// invitation carries the conversation id (HRT-ROUTE-2).
    pub(crate) async fn create_invite_on(
        &mut self,
        io: &Io,
        handle: &[u8; 16],
        link: Option<&RouteRef>,
        expires_in: u64,
    ) -> Result<String, Error> {
        let conv = self.conv_mut(handle)?;
        let id = conv.id;
        let route = conv
            .routes
            .iter_mut()
            .find(|r| r.usable() && link.is_none_or(|l| *l == r.link))
            .ok_or_else(|| Error::usage("no usable route"))?;
        // A member who is not admin asks all the same: the host's `forbidden` is the answer
        // the user sees (Appendix B §91.6.4).
        let invite = make_invite(io, route, id, expires_in, None).await?;
        let uri = invite
            .invitation
            .uri()
            .map(|u| u.to_string())
            .ok_or_else(|| Error::usage("the invitation has no text"))?;
        route.invites.push(invite);
        Ok(uri)
    }

    /// Re-hosts a conversation (spec §10.6, HRT-ROUTE-21): a new channel on `host`, recorded as
    /// a route of the conversation, announced to nobody. The other members join it through
    /// out-of-band invitations, which carry the conversation id, so that their clients attach
    /// it (HRT-ROUTE-22).
    pub(crate) async fn rehost(
        &mut self,
        io: &Io,
        handle: &[u8; 16],
        host: &HostUrl,
    ) -> Result<RouteRef, Error> {
        self.conv(handle)?;
        let route = self.new_channel(io, host, Some(*handle)).await?;
        let link = route.link.clone();
        self.conv_mut(handle)?.routes.push(route);
        Ok(link)
    }

    /// Sends content in a conversation (spec §10.4): the pending joins of the conversation
    /// first (HRT-ROUTE-30); then the outbox's older sends, so that the order of the sends is
    /// kept (HRT-LOG-51); then this one. A send that reaches no route is queued in the outbox
    /// (HRT-LOG-49) and the answer says so.
    pub(crate) async fn send(
        &mut self,
        io: &Io,
        handle: &[u8; 16],
        content_type: ContentType,
        body: RawValue,
    ) -> Result<Sent, Error> {
        self.finish_joins_for(io, handle).await;
        let mut queued = Queued {
            content_type,
            body,
            attempts: Vec::new(),
        };
        let conv = self.conv_mut(handle)?;
        if !conv.outbox.is_empty() {
            conv.outbox.push(queued);
            self.flush_outbox(io, handle).await;
            let conv = self.conv_mut(handle)?;
            return match conv.outbox.last() {
                Some(_) => Err(Error::Unreachable(format!(
                    "{} earlier sends are still in the outbox; this one waits behind them \
                     (sealed anew at the next refresh)",
                    conv.outbox.len() - 1
                ))),
                None => conv
                    .last_sent
                    .take()
                    .ok_or_else(|| Error::usage("the outbox sent nothing")),
            };
        }
        match self.post_content(io, handle, &mut queued).await {
            Err(Error::Unreachable(why)) => {
                self.conv_mut(handle)?.outbox.push(queued);
                Err(Error::Unreachable(format!(
                    "{why} (queued in the outbox: sealed anew and sent at the next refresh)"
                )))
            }
            r => r,
        }
    }

    /// Retries the outbox of one conversation in order (HRT-LOG-50, HRT-LOG-51): each send is
    /// stamped and sealed anew, never posted as the bytes of an earlier attempt. The first
    /// that still reaches no route stops the retry; one refused for another reason leaves the
    /// outbox with a `rejected` event.
    pub(crate) async fn flush_outbox(&mut self, io: &Io, handle: &[u8; 16]) {
        // An attempt of unknown outcome is settled by the verified log first (HRT-LOG-52):
        // brought up to the host's tip, the log either holds it (accepted) or does not (not
        // accepted, as for a commit, HRT-GRP-48). Until then nothing of it is sent again.
        let mut settled = true;
        if let Ok(conv) = self.conv_mut(handle) {
            if conv.outbox.iter().any(|q| !q.attempts.is_empty()) {
                for route in conv.routes.iter_mut().filter(|r| !r.unknown.is_empty()) {
                    let mut out = Vec::new();
                    if sync_route(io, route, *handle, &mut out).await {
                        route.unknown.clear();
                    } else {
                        settled = false;
                    }
                    route.inbox.append(&mut out);
                }
                conv.absorb();
            }
        }
        loop {
            let Ok(conv) = self.conv_mut(handle) else {
                return;
            };
            if conv.outbox.is_empty() {
                return;
            }
            let mut q = conv.outbox.remove(0);
            // An earlier attempt the log showed accepted: sent, not to be made again.
            let mut delivered = false;
            for r in conv.routes.iter_mut() {
                if let Some(i) = r.surfaced.iter().position(|m| q.attempts.contains(m)) {
                    r.surfaced.swap_remove(i);
                    delivered = true;
                }
            }
            if delivered {
                continue;
            }
            if !q.attempts.is_empty() && !settled {
                conv.outbox.insert(0, q);
                return;
            }
            match self.post_content(io, handle, &mut q).await {
                Ok(sent) => {
                    if let Ok(conv) = self.conv_mut(handle) {
                        conv.last_sent = Some(sent);
                    }
                }
                Err(Error::Unreachable(_)) => {
                    if let Ok(conv) = self.conv_mut(handle) {
                        conv.outbox.insert(0, q);
                    }
                    return;
                }
                Err(e) => {
                    if let Ok(conv) = self.conv_mut(handle) {
                        conv.undelivered.push(Event::Rejected {
                            conversation: Some(*handle),
                            route: None,
                            seq: None,
                            code: e.code().unwrap_or(hearth_wire::ErrorCode::INTERNAL),
                        });
                    }
                }
            }
        }
    }

    /// Seals and posts content to the first reachable route (HRT-ROUTE-14), sealed anew for
    /// each route tried (HRT-ROUTE-15) and stamped with the route's current view of its log
    /// (§9.7, §9.8, HRT-LOG-35).
    async fn post_content(
        &mut self,
        io: &Io,
        handle: &[u8; 16],
        queued: &mut Queued,
    ) -> Result<Sent, Error> {
        let before: Vec<usize> = self
            .conv(handle)?
            .routes
            .iter()
            .map(|r| r.unknown.len())
            .collect();
        let r = self.post_once(io, handle, queued).await;
        if let Ok(conv) = self.conv(handle) {
            for (route, n) in conv.routes.iter().zip(before) {
                queued
                    .attempts
                    .extend(route.unknown.get(n..).unwrap_or_default());
            }
        }
        r
    }

    async fn post_once(
        &mut self,
        io: &Io,
        handle: &[u8; 16],
        queued: &Queued,
    ) -> Result<Sent, Error> {
        let (content_type, body) = (queued.content_type, &queued.body);
        // What the own timeline makes of it, as a receiver would (spec §7.8).
        let kind = ContentBuilder::new(content_type, body.clone())?
            .build()
            .body()
            .map(|b| Kind::of(&b))
            .map_err(|_| Error::usage("the body does not decode as its type"))?;
        let now_ms = io.now_ms();
        let content = |route: &Route| -> Result<_, Error> {
            let b = ContentBuilder::new(content_type, body.clone())?.sent_at_ms(now_ms);
            Ok(route.senders.stamp(&route.log, b)?)
        };
        let conv = self.conv_mut(handle)?;
        // Removed on one route, silent on all (HRT-ROUTE-29).
        if !removal::may_send(conv.routes.iter().map(|r| &r.group)) {
            return Err(Error::Host {
                status: hearth_wire::ErrorCode::REMOVED,
                detail: None,
            });
        }
        let mut why = Vec::new();
        let mut frozen = None;
        for (pos, route) in conv.routes.iter_mut().enumerate() {
            if let Some(f) = &route.frozen {
                frozen = Some(f.detection.code);
                if !crate::conversation::mutant::on("post-when-frozen") {
                    continue;
                }
            }
            if route.group.status() != hearth_crypto::Status::Active {
                continue;
            }
            match post_message(io, route, *handle, &content).await {
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
                        kind,
                    );
                    return Ok(sent);
                }
                Err(Error::Frozen(code)) => frozen = Some(code),
                Err(Error::Unreachable(s)) => {
                    why.push(format!("{}: {s}", route.link.host.as_str()))
                }
                Err(e) => return Err(e),
            }
        }
        conv.absorb();
        match (why.is_empty(), frozen) {
            (true, Some(code)) => Err(Error::Frozen(code)),
            (true, None) => Err(Error::usage("the conversation has no usable route")),
            _ => Err(Error::Unreachable(why.join("; "))),
        }
    }

    /// Commits on one route: removes the members with these fingerprints, or (none given) a
    /// plain update (spec §6.8). Returns `(epoch, seq)` once the own commit is in the log;
    /// the epoch is the one this commit creates, installed now or when the log reaches it
    /// (HRT-GRP-75).
    pub(crate) async fn commit(
        &mut self,
        io: &Io,
        handle: &[u8; 16],
        link: &RouteRef,
        remove: &[Fingerprint],
    ) -> Result<(u64, u64), Error> {
        let conv = self.conv_mut(handle)?;
        let route = conv
            .routes
            .iter_mut()
            .find(|r| &r.link == link)
            .ok_or_else(|| Error::usage("no such route"))?;
        if let Some(f) = &route.frozen {
            return Err(Error::Frozen(f.detection.code));
        }
        let mut changes = Vec::new();
        for fp in remove {
            let leaf = route
                .group
                .members()
                .iter()
                .find(|m| &m.fingerprint == fp)
                .map(|m| m.leaf)
                .ok_or_else(|| Error::usage("no member with that fingerprint"))?;
            changes.push(Change::Remove(leaf));
        }
        let mut out = Vec::new();
        let r = post_commit(io, route, *handle, changes, &mut out).await;
        route.inbox.append(&mut out);
        let epoch = route.epoch_now_or_next();
        conv.absorb();
        let seq = r?;
        Ok((epoch, seq))
    }

    /// Adds a route on `host` (spec §10.2): a new channel, one invitation per other member
    /// bound to that member's identity (HRT-ROUTE-9), announced in a `RouteBody` on the first
    /// reachable route.
    pub(crate) async fn add_route(
        &mut self,
        io: &Io,
        handle: &[u8; 16],
        host: &HostUrl,
    ) -> Result<RouteRef, Error> {
        let conv_id = self.conv(handle)?.id;
        let mut new_route = self.new_channel(io, host, Some(*handle)).await?;
        let me = self.identity().public_key().fingerprint();
        let conv = self.conv_mut(handle)?;
        let announce = conv
            .routes
            .iter_mut()
            .find(|r| r.usable())
            .ok_or_else(|| Error::usage("no usable route to announce on"))?;
        let mut invites = Vec::new();
        for m in announce.group.members() {
            if m.fingerprint == me {
                continue;
            }
            let inv = make_invite(
                io,
                &mut new_route,
                conv_id,
                7 * 24 * 3600,
                Some(m.fingerprint),
            )
            .await?;
            let uri = inv
                .invitation
                .uri()
                .ok_or_else(|| Error::usage("the invitation has no text"))?;
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
        let now_ms = io.now_ms();
        let content = |route: &Route| -> Result<_, Error> {
            // The invites are listed by the leaves of the epoch they were made for
            // (HRT-ROUTE-4); if the epoch moved on meanwhile, the list may be wrong.
            if route.group.epoch() != listed_epoch {
                return Err(Error::usage(
                    "the membership changed while the route was announced; add the route again",
                ));
            }
            let b = ContentBuilder::new(ContentType::ROUTE, raw.clone())?;
            Ok(route.senders.stamp(&route.log, b.sent_at_ms(now_ms))?)
        };
        let posted = post_message(io, announce, *handle, &content).await;
        conv.absorb();
        posted?;
        let link = new_route.link.clone();
        conv.routes.push(new_route);
        Ok(link)
    }

    /// Refreshes everything (spec §5.9, §9, §10.5): Welcomes of pending joins, the logs of
    /// every route, joins to admit, and due update commits. Returns what the user should see.
    pub(crate) async fn sync(&mut self, io: &Io) -> Vec<Event> {
        // Events of commands since the last sync come first, in the order they occurred
        // (Appendix B, HRT-SHIM-25).
        let mut events = self.take_events();
        let handles: Vec<[u8; 16]> = self.conversations.iter().map(|c| c.handle).collect();
        // a. Welcomes.
        self.fetch_welcomes(io, &mut events).await;
        // b. Admissions, each after the user's comparison (HRT-INV-65).
        let mut cmp: Box<dyn Comparison> =
            std::mem::replace(&mut self.comparison, Box::new(NobodyToAsk));
        let mut sas = std::mem::take(&mut self.sas);
        for h in &handles {
            self.each_route(io, h, &mut events, Step::Admit(cmp.as_mut(), &mut sas))
                .await;
        }
        self.comparison = cmp;
        self.sas = sas;
        // c. Logs, and the own invitations of route announcements (spec §10.2).
        for h in &handles {
            self.each_route(io, h, &mut events, Step::Log).await;
            self.redeem_announcements(io, h, &mut events).await;
        }
        // d. The outboxes, sealed anew now that the logs are current (HRT-LOG-50).
        for h in &handles {
            self.flush_outbox(io, h).await;
            if let Ok(c) = self.conv_mut(h) {
                c.last_sent = None;
                events.append(&mut c.undelivered);
            }
        }
        // e. Duties, with the removals carried to every route (HRT-ROUTE-28).
        for h in &handles {
            let removed: Vec<Fingerprint> = self.conv(h).map_or(Vec::new(), |c| {
                c.routes
                    .iter()
                    .flat_map(|r| r.recovery.removed_members().iter().copied())
                    .collect()
            });
            self.each_route(io, h, &mut events, Step::Duties(&removed))
                .await;
        }
        events
    }

    /// Runs `step` on every route of one conversation and collects the events it produced.
    async fn each_route(
        &mut self,
        io: &Io,
        handle: &[u8; 16],
        events: &mut Vec<Event>,
        mut step: Step<'_>,
    ) {
        let Ok(conv) = self.conv_mut(handle) else {
            return;
        };
        for route in conv.routes.iter_mut() {
            let mut out = Vec::new();
            match &mut step {
                Step::Admit(cmp, sas) => {
                    admit_joins(io, route, *handle, &mut out, &mut **cmp, sas).await
                }
                Step::Log => {
                    sync_route(io, route, *handle, &mut out).await;
                }
                Step::Duties(removed) => duties(io, route, *handle, removed, &mut out).await,
            }
            route.inbox.append(&mut out);
        }
        conv.absorb();
        events.append(&mut conv.undelivered);
    }
}

/// One step of the refresh, run on every route.
enum Step<'a> {
    Admit(&'a mut dyn Comparison, &'a mut Comparisons),
    Log,
    Duties(&'a [Fingerprint]),
}
