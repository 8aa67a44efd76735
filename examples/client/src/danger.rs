//! DANGER (conformance harness only): the hooks with which the conformance harness plays
//! misbehaving peers (spec §14.4) through a [`Client`], and the procedures they need, which
//! act on one route directly instead of through the conversation layer's [`Member`]
//! (`hearth::conversation::Member`). Nothing a user runs calls them; they leave with the
//! peers, which move onto the library itself.

use hearth_crypto::envelope::message_ref;
use hearth_crypto::group::Group;
use hearth_wire::envelope::ContentBody;
use hearth_wire::log::LogEntry;
use hearth_wire::request::{AppendResult, CommitPostResult, LogFetchBody, LogFetchResult};
use hearth_wire::{
    ContentType, ConversationId, EdPublic, EntryKind, ErrorCode, Op, RawValue, Seq, Signature,
    WireEncode,
};

use crate::error::ClientError;
use hearth::conversation::channel::Received;

use crate::route::{Route, RouteRef};
use crate::transport::{Outcome, Transport};

/// Entries requested per `log.fetch` (the host may serve fewer, spec §9.4).
const PAGE: u64 = 256;
use crate::client::{Client, Event, Sent};
use hearth::conversation::timeline::Kind;

impl Client {
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

    /// DANGER (conformance harness only): seals and posts any content type and body, e.g. a
    /// `RouteBody` that breaks HRT-ROUTE-25, as the conversation layer sends any content.
    #[doc(hidden)]
    pub fn danger_send_content(
        &mut self,
        handle: &[u8; 16],
        content_type: ContentType,
        body: RawValue,
    ) -> Result<Sent, ClientError> {
        let intent = hearth::conversation::Intent::Send {
            conversation: *handle,
            content_type,
            body,
        };
        match self.run(intent).0? {
            hearth::conversation::Answer::Sent(s) => Ok(s),
            a => Err(ClientError::Usage(format!(
                "the conversation layer answered {a:?}"
            ))),
        }
    }
}

fn sign_with<'a>(
    g: &'a Group,
) -> impl Fn(&[u8]) -> Result<(EdPublic, Signature), ClientError> + 'a {
    move |b| Ok(g.sign_request(b)?)
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
            Received::Commit { epoch, .. } => out.push(Event::Commit {
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
