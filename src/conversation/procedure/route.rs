//! The procedures of one route (spec §5.8, §6, §7, §9.5, §10.4): fetching and processing its
//! log, posting a message or a commit, making invitations and admitting joins, and the duties
//! of §6.17 and HRT-GRP-88. Each is an `async fn` that waits only on [`Io`]: the caller carries
//! every request and answer (see [`crate::conversation`]).

use hearth_crypto::envelope::message_ref;
use hearth_crypto::group::{Change, Group};
use hearth_crypto::keys::Fingerprint;
use hearth_crypto::{CommitOutput, ProtocolError};
use hearth_wire::envelope::{Content, ContentBody};
use hearth_wire::log::LogEntry;
use hearth_wire::request::{AppendResult, CommitPostResult, LogFetchBody, LogFetchResult};
use hearth_wire::{ConversationId, EntryKind, ErrorCode, Op, Seq, WireEncode};

use crate::conversation::channel::Received;
use crate::conversation::duties::Due;
use crate::conversation::error::Error;
use crate::conversation::event::Event;
use crate::conversation::io::{sign_with, Io, Outcome};
use crate::conversation::log::Detection;
use crate::conversation::removal;
use crate::conversation::state::{Announced, OpenInvite, Route, Sent};
use crate::conversation::timeline::Kind;

/// Entries requested per `log.fetch` (the host may serve fewer, spec §9.4).
pub(crate) const PAGE: u64 = 256;
/// `msg.post` attempts on one route after `epoch_conflict` (HRT-ROUTE-17).
const CONFLICT_RETRIES: usize = 3;

/// `invite.create` (spec §5.2, §8 op 3).
pub(crate) async fn make_invite(
    io: &Io,
    route: &mut Route,
    conversation: ConversationId,
    expires_in: u64,
    expected: Option<Fingerprint>,
) -> Result<OpenInvite, Error> {
    let draft = route
        .group
        .create_invitation(conversation, io.now.saturating_add(expires_in))?;
    let body = draft.create_body();
    let signed = io.build(
        &route.link,
        Op::INVITE_CREATE,
        &body,
        &sign_with(&route.group),
    )?;
    io.request(&route.link, signed).await.into_ok()?;
    Ok(OpenInvite {
        invitation: draft.registered(),
        expected,
    })
}

/// Fetches a route's log until its tip and processes it (spec §9.5). Stops at a detection.
/// Returns whether the log was verified up to the tip the host served.
pub(crate) async fn sync_route(
    io: &Io,
    route: &mut Route,
    handle: [u8; 16],
    out: &mut Vec<Event>,
) -> bool {
    let current = sync_route_inner(io, route, handle, out).await;
    // An own commit with a `RotateOp` is installed here, whether its `ok` came now or the log
    // showed it later (HRT-GRP-48): the key's age restarts (HRT-RAT-21).
    route.note_key(io.duty_now);
    current
}

/// [`sync_route`] without the member-key bookkeeping.
async fn sync_route_inner(
    io: &Io,
    route: &mut Route,
    handle: [u8; 16],
    out: &mut Vec<Event>,
) -> bool {
    for _ in 0..100_000 {
        // A member that rejected a commit still reads the log once its report is out
        // (HRT-GRP-89, spec §6.9.3).
        if !route.readable() {
            return false;
        }
        let body = LogFetchBody {
            since: Seq(route.log.verified()),
            limit: PAGE,
        };
        let Ok(signed) = io.build(&route.link, Op::LOG_FETCH, &body, &sign_with(&route.group))
        else {
            return false;
        };
        let mut outcome = io.request(&route.link, signed).await;
        // An own commit with a `RotateOp` whose `ok` never arrived (or came before a restart)
        // may have been accepted: the host then knows only the new key (HRT-GRP-95). Ask once
        // with it; an answer proves the acceptance.
        if matches!(&outcome, Outcome::Refused(r) if r.status == ErrorCode::NOT_FOUND) {
            let probe = io.build(&route.link, Op::LOG_FETCH, &body, &|b: &[u8]| {
                route
                    .group
                    .sign_request_with_pending_key(b)
                    .ok_or_else(|| Error::usage("no pending rotation"))
            });
            if let Ok(signed) = probe {
                let answer = io.request(&route.link, signed).await;
                if matches!(answer, Outcome::Ok(_)) && route.group.commit_acknowledged().is_ok() {
                    outcome = answer;
                }
            }
        }
        let page: LogFetchResult = match outcome {
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
    // Recovery commits and wedged members (spec §6.9.3).
    let results = route
        .recovery
        .process(&mut route.group, &route.log, &mut route.senders, entries);
    apply_results(route, handle, results, out) && !entries.is_empty()
}

/// Turns what processing verified entries came to into events and route state; false when
/// processing had to stop (a detection, a removal, a rejected commit).
pub(crate) fn apply_results(
    route: &mut Route,
    handle: [u8; 16],
    results: Vec<(u64, Received)>,
    out: &mut Vec<Event>,
) -> bool {
    let mut stop = false;
    for (seq, r) in results {
        let link = route.link.clone();
        match r {
            Received::Nothing => {}
            Received::Own(msg_ref) => {
                // An own post of unknown outcome is in the log: it was accepted (HRT-LOG-52).
                if let Some(i) = route.unknown.iter().position(|r| *r == msg_ref) {
                    route.unknown.swap_remove(i);
                    route.surfaced.push(msg_ref);
                }
            }
            Received::Commit {
                epoch,
                committer,
                received,
            } => {
                // The latest commit of each member, for HRT-RAT-22.
                if let Some(fp) = committer {
                    route.note_commit(fp, received);
                }
                out.push(Event::Commit {
                    conversation: handle,
                    route: link,
                    seq,
                    epoch,
                });
            }
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
                    route.announcements.push(Announced {
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
                // Later results (a recovery commit) still count; fetching stops until the
                // report is out (HRT-GRP-88, HRT-GRP-89).
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
pub(crate) fn detected(route: &Route, handle: [u8; 16], d: &Detection) -> Event {
    Event::Detected {
        conversation: handle,
        route: route.link.clone(),
        code: d.code,
        seq: d.seq,
        member: None,
    }
}

/// A body that is already encoded (the exact bytes of an envelope inside `MsgPostBody`).
pub(crate) struct Encoded(Vec<u8>);

impl WireEncode for Encoded {
    fn encode(&self, e: &mut hearth_wire::Encoder) {
        e.raw(&self.0);
    }
}

/// `MsgPostBody = {1: bstr .cbor Envelope}` around the exact envelope bytes.
pub(crate) fn msg_post_body(envelope: &[u8]) -> Encoded {
    Encoded(hearth_wire::encode_with(|e| {
        e.map(1).uint(1).bytes(envelope);
    }))
}

/// Seals and posts one application message on one route (spec §7, §8 op 9), retrying after
/// `epoch_conflict` with a fresh seal (HRT-ROUTE-17). An update commit due by §6.17 is made
/// first (HRT-RAT-17).
pub(crate) async fn post_message(
    io: &Io,
    route: &mut Route,
    handle: [u8; 16],
    content: &dyn Fn(&Route) -> Result<Content, Error>,
) -> Result<Sent, Error> {
    let mut last = None;
    for _ in 0..CONFLICT_RETRIES {
        // HRT-LOG-38, HRT-GRP-89: never post to a frozen or halted route (also after the
        // catch-up below found a fork or a bad commit).
        if let Some(f) = route
            .frozen
            .as_ref()
            .filter(|_| !crate::conversation::mutant::on("post-when-frozen"))
        {
            return Err(Error::Frozen(f.detection.code));
        }
        // Nor in an epoch whose commit a verified report names (HRT-GRP-92).
        if route.group.status() != hearth_crypto::Status::Active || route.recovery.holds_messages()
        {
            return Err(Error::Unreachable(
                "this member can no longer post in the channel".into(),
            ));
        }
        if route.group.needs_update(io.duty_now) {
            let mut got = Vec::new();
            let r = post_commit(io, route, handle, Vec::new(), &mut got).await;
            route.inbox.append(&mut got);
            match r {
                Err(Error::Host { status, .. }) if status == ErrorCode::EPOCH_CONFLICT => {
                    continue;
                }
                other => {
                    other?;
                }
            }
        }
        let c = content(route)?;
        let sent_at_ms = c.sent_at_ms;
        let env = route.group.seal(&c, io.duty_now)?;
        io.checkpoint(&route.link, &route.group).await?;
        let msg_ref = message_ref(&env.bytes);
        let signed = io.build(
            &route.link,
            Op::MSG_POST,
            &msg_post_body(&env.bytes),
            &sign_with(&route.group),
        )?;
        match io.request(&route.link, signed).await {
            Outcome::Ok(r) => {
                let res: AppendResult = r
                    .result_as()?
                    .ok_or_else(|| Error::usage("ok without a result"))?;
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
                    return Err(Error::Frozen(code));
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
                sync_route(io, route, handle, &mut got).await;
                route.inbox.append(&mut got);
                last = Some(r);
            }
            // Every route held had a successful request (its creation or the join), so
            // `not_found` now means the channel is gone for this member (spec §10.4).
            Outcome::Refused(r) if r.status == ErrorCode::NOT_FOUND => {
                return Err(Error::Unreachable("the host answered not_found".into()));
            }
            // `removed` is believed only once the log bears it out (HRT-GRP-90,
            // HRT-GRP-91); then it is never failed over from (HRT-ROUTE-27).
            Outcome::Refused(r) if r.status == ErrorCode::REMOVED => {
                let mut got = Vec::new();
                sync_route(io, route, handle, &mut got).await;
                route.inbox.append(&mut got);
                return match removal::judge_removed(&route.group) {
                    removal::RemovedAnswer::Removed => Err(Error::Host {
                        status: r.status,
                        detail: r.detail,
                    }),
                    removal::RemovedAnswer::NotBorneOut => Err(Error::Unreachable(format!(
                        "{} answered removed, which its log does not bear out",
                        route.link.host.as_str()
                    ))),
                };
            }
            Outcome::Refused(r) => {
                return Err(Error::Host {
                    status: r.status,
                    detail: r.detail,
                })
            }
            Outcome::Unreachable(why) => {
                // The outcome is unknown: if the host did accept it, the entry is this
                // member's own, not a stranger's (and is not `prev` material, HRT-LOG-35).
                route.senders.posted_unconfirmed(msg_ref);
                route.unknown.push(msg_ref);
                return Err(Error::Unreachable(why));
            }
        }
    }
    match last {
        Some(r) => Err(Error::Host {
            status: r.status,
            detail: r.detail,
        }),
        None => Err(Error::Unreachable("the channel kept changing epoch".into())),
    }
}

/// Makes, posts and installs a commit on one route (spec §6.8, §8 op 7): the route is
/// brought up to date first; after `ok` the own commit is installed when the log shows it
/// (HRT-GRP-75). Returns the commit's seq.
pub(crate) async fn post_commit(
    io: &Io,
    route: &mut Route,
    handle: [u8; 16],
    changes: Vec<Change>,
    out: &mut Vec<Event>,
) -> Result<u64, Error> {
    // The first commit after 30 days of a member key carries its rotation (HRT-RAT-21).
    let now = io.duty_now;
    let due = Due::at(&route.group, route.key_since, now);
    let due = Due {
        rotate: due.rotate && !crate::conversation::mutant::on("no-key-rotation"),
        ..due
    };
    post_commit_with(io, route, handle, out, |g| {
        g.commit(due.apply(changes), now)
    })
    .await
}

/// [`post_commit`] of a commit that `build` makes (a recovery commit, spec §6.9.3).
pub(crate) async fn post_commit_with(
    io: &Io,
    route: &mut Route,
    handle: [u8; 16],
    out: &mut Vec<Event>,
    build: impl FnOnce(&mut Group) -> Result<CommitOutput, ProtocolError>,
) -> Result<u64, Error> {
    // A recovery that is due is made from the state a report left: the log is current as
    // far as this member can read it (HRT-GRP-93).
    let current = sync_route(io, route, handle, out).await
        || (route.recovery.due(&route.group).is_some() && route.readable());
    if let Some(f) = &route.frozen {
        return Err(Error::Frozen(f.detection.code));
    }
    if !current {
        return Err(Error::Unreachable(
            "the log could not be brought up to date before committing".into(),
        ));
    }
    // A commit of an earlier attempt whose outcome stayed unknown, and which the log verified
    // up to its tip does not contain, was not accepted: discard it (HRT-GRP-48, HRT-GRP-49).
    if route.group.has_pending_commit() {
        route.group.commit_conflict()?;
    }
    let made = build(&mut route.group)?;
    if let Err(e) = io.checkpoint(&route.link, &route.group).await {
        route.group.commit_conflict()?;
        return Err(e);
    }
    let body = made.post_body()?;
    let signed = io.build(
        &route.link,
        Op::COMMIT_POST,
        &body,
        &sign_with(&route.group),
    )?;
    match io.request(&route.link, signed).await {
        Outcome::Ok(r) => {
            let res: CommitPostResult = r
                .result_as()?
                .ok_or_else(|| Error::usage("ok without a result"))?;
            // From the `ok` on, the host knows only a rotated key (HRT-GRP-95).
            route.group.commit_acknowledged()?;
            if let Err(d) =
                route
                    .log
                    .record_own(res.seq.0, res.head.0, EntryKind::Commit, made.commit)
            {
                out.push(detected(route, handle, &d));
                route.freeze_with(d, None);
            }
            sync_route(io, route, handle, out).await;
            Ok(res.seq.0)
        }
        Outcome::Refused(r) => {
            route.group.commit_conflict()?;
            Err(Error::Host {
                status: r.status,
                detail: r.detail,
            })
        }
        // The outcome is unknown: the pending commit stays, and is installed if the log
        // shows it, or discarded when another commit wins (HRT-GRP-48).
        Outcome::Unreachable(s) => Err(Error::Unreachable(s)),
    }
}
