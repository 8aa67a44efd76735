//! The joiner's procedures (spec §5.6, §5.9, §9.6, §10.2, §10.6): redeeming an invitation,
//! fetching and accepting the Welcome after the user compared the codes, anchoring the log,
//! placing the new route in its conversation, and redeeming the own invitations of route
//! announcements.

use hearth_crypto::group::PendingMember;
use hearth_crypto::invite;
use hearth_crypto::rng::HearthRng;
use hearth_wire::invite::InviteUri;
use hearth_wire::log::LogEntry;
use hearth_wire::request::{Empty, LogFetchBody, LogFetchResult, WelcomeFetchResult};
use hearth_wire::{ConversationId, EdPublic, ErrorCode, FprPrefix, Op, Seq, Signature};
use rand_core::RngCore;

use super::route::{apply_results, PAGE};
use crate::conversation::error::Error;
use crate::conversation::event::Event;
use crate::conversation::io::{Io, Outcome};
use crate::conversation::join;
use crate::conversation::log::LogState;
use crate::conversation::machine::State;
use crate::conversation::route::{judge_announcement, Announcement};
use crate::conversation::state::{Conversation, Joining, Route};
use crate::conversation::RouteRef;

impl State {
    /// Redeems an invitation (spec §5.3, §5.6): parse, check locally, `invite.redeem` at the
    /// host. The Welcome is picked up by a later refresh, once the user has compared the
    /// returned short authentication string with the inviter's (HRT-INV-67). Returns the
    /// invite id and the code to show (only after the redeem's `ok`, HRT-INV-58). A join
    /// started from a route announcement (`attach_to`) is not compared (§5.8.1).
    pub(crate) async fn redeem(
        &mut self,
        io: &Io,
        uri: &str,
        name: &str,
        attach_to: Option<[u8; 16]>,
    ) -> Result<([u8; 16], invite::Sas), Error> {
        let parsed = InviteUri::parse(uri)?;
        let inv = parsed.invite.clone();
        let link = RouteRef {
            host: inv.host_url.clone(),
            channel: inv.channel_id,
        };
        // One pending join per channel (§5.8.1), so that an answer or a Welcome is never taken
        // for another join's; refused before the redeem, which would use up the link.
        if self
            .joining
            .iter()
            .any(|j| j.link.channel == inv.channel_id)
        {
            return Err(Error::JoinPending(inv.channel_id));
        }
        let (mut pending, redeem) = PendingMember::join(uri, self.identity(), name, io.now)?;
        if attach_to.is_some() {
            pending.confirm_sas();
        }
        let sas = pending.sas();
        let auth = std::cell::RefCell::new(Some(redeem.auth));
        let signed = io.build(&link, Op::INVITE_REDEEM, &redeem.body, &|b| {
            let a = auth
                .borrow_mut()
                .take()
                .ok_or_else(|| Error::usage("the invite key signs once"))?;
            let key = a.public_key();
            Ok((key, a.sign_request(b)))
        })?;
        io.request(&link, signed).await.into_ok()?;
        if attach_to.is_none() {
            // The code is shown only now (HRT-INV-58), the Welcome waits for it (HRT-INV-67).
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

    /// Acts on the route announcements the logs of one conversation delivered (spec §10.2,
    /// HRT-ROUTE-26, HRT-ROUTE-7 to HRT-ROUTE-10): redeems the own invitation of each valid one.
    pub(crate) async fn redeem_announcements(
        &mut self,
        io: &Io,
        handle: &[u8; 16],
        events: &mut Vec<Event>,
    ) {
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
            if let Err(Error::Unreachable(_)) = self.redeem(io, &uri, &name, Some(*handle)).await {
                // Try again at the next refresh; other refusals are final.
                if let Ok(conv) = self.conv_mut(handle) {
                    if let Some(r) = conv.routes.iter_mut().find(|r| r.link == carrier) {
                        r.announcements.push(a);
                    }
                }
            }
        }
    }

    /// The Welcomes of the pending joins, each after the user confirmed the code
    /// (HRT-INV-67): the comparisons the user answers now are carried out first (a mismatch
    /// abandons the join, HRT-INV-68: dropping it deletes its keys).
    pub(crate) async fn fetch_welcomes(&mut self, io: &Io, events: &mut Vec<Event>) {
        self.ask_joiners(io, events).await;
        let pending = std::mem::take(&mut self.joining);
        for j in pending {
            let conversation = j.attach_to;
            // HRT-INV-67: no Welcome before the user confirmed the code.
            if !j.pending.sas_confirmed() {
                self.joining.push(j);
                continue;
            }
            match self.try_welcome(io, j, events).await {
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

    /// Finishes, before a send in conversation `handle`, the joins of a route of that
    /// conversation whose code the user already confirmed (HRT-ROUTE-30): those started from
    /// one of its route announcements and those whose invitation names its conversation id.
    /// A join whose Welcome is not there yet stays pending; the events go to the
    /// conversation's undelivered list, as a command's do.
    pub(crate) async fn finish_joins_for(&mut self, io: &Io, handle: &[u8; 16]) {
        let Ok(id) = self.conv(handle).map(|c| c.id) else {
            return;
        };
        let (mine, others): (Vec<Joining>, Vec<Joining>) = std::mem::take(&mut self.joining)
            .into_iter()
            .partition(|j| {
                j.pending.sas_confirmed()
                    && (j.attach_to == Some(*handle)
                        || (j.attach_to.is_none() && j.conversation == id))
            });
        self.joining = others;
        let mut events = Vec::new();
        for j in mine {
            let conversation = j.attach_to;
            match self.try_welcome(io, j, &mut events).await {
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
        if let Ok(c) = self.conv_mut(handle) {
            c.undelivered.append(&mut events);
        }
    }

    /// `welcome.fetch`, the anchor entry, and Welcome acceptance (spec §5.9, §6.12, §9.6).
    /// `Ok(Some(j))`: not there yet; `Ok(None)`: joined; `Err`: refused.
    async fn try_welcome(
        &mut self,
        io: &Io,
        j: Joining,
        events: &mut Vec<Event>,
    ) -> Result<Option<Joining>, (ErrorCode, RouteRef)> {
        let link = j.link.clone();
        let fail = |c: ErrorCode| (c, link.clone());
        let mk = j.pending.member_key();
        let sign = |b: &[u8]| -> Result<(EdPublic, Signature), Error> { Ok(mk.sign_request(b)) };
        let signed = io
            .build(&link, Op::WELCOME_FETCH, &Empty {}, &sign)
            .map_err(|e| fail(e.code().unwrap_or(ErrorCode::INTERNAL)))?;
        let r = match io.request(&link, signed).await {
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
            let signed = io
                .build(&link, Op::LOG_FETCH, &body, &sign)
                .map_err(|e| fail(e.code().unwrap_or(ErrorCode::INTERNAL)))?;
            let page: LogFetchResult = match io.request(&link, signed).await {
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
                io.duty_now,
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
        // The member key's age starts with the join (HRT-RAT-21).
        route.key_since = io.duty_now;
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
}
