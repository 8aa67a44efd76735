//! Admitting joiners (spec §5.8, §5.8.1, §5.8.2): the joins on this member's invitations are
//! fetched and checked, each waits for its user's comparison of the short authentication
//! strings (HRT-INV-65) or is checked against the identity a route invitation was made for
//! (HRT-ROUTE-9), and the confirmed ones are added by commits whose refusals are told apart
//! (HRT-INV-75).

use hearth_crypto::group::Change;
use hearth_crypto::invite::{ConfirmedJoin, Sas, ValidatedJoin};
use hearth_wire::request::{Empty, JoinFetchResult};
use hearth_wire::{ErrorCode, Nonce16, Op, Role};

use super::route::post_commit;
use crate::conversation::error::Error;
use crate::conversation::event::Event;
use crate::conversation::io::{sign_with, Io, Outcome};
use crate::conversation::sas::{Comparisons, Decision, Waiting};
use crate::conversation::state::{Comparison, Route, SasCheck};
use crate::conversation::RouteRef;

/// The event that tells the user a code is ready to compare (HRT-INV-58, HRT-INV-70).
pub(crate) fn ready(w: &Waiting) -> Event {
    Event::Sas {
        conversation: w.conversation(),
        route: w.route().clone(),
        invite: w.invite().0,
        sas: w.sas(),
        joiner: w.joiner_identity().map(|(f, n)| (f, n.to_owned())),
    }
}

/// What the user is asked about a waiting comparison.
pub(crate) fn check(w: &Waiting) -> SasCheck {
    SasCheck {
        route: w.route().clone(),
        invite: w.invite().0,
        sas: w.sas(),
        joiner: w.joiner_identity().map(|(f, n)| (f, n.to_owned())),
    }
}

/// `sas_mismatch` for the user (HRT-INV-66, HRT-INV-68).
pub(crate) fn mismatch(conversation: Option<[u8; 16]>, route: RouteRef) -> Event {
    Event::Rejected {
        conversation,
        route: Some(route),
        seq: None,
        code: ErrorCode::SAS_MISMATCH,
    }
}

/// `invite.revoke` (spec §8 op 4), best effort.
pub(crate) async fn revoke(io: &Io, route: &Route, invite_id: Nonce16) {
    let body = hearth_wire::request::InviteRevokeBody { invite_id };
    if let Ok(signed) = io.build(
        &route.link,
        Op::INVITE_REVOKE,
        &body,
        &sign_with(&route.group),
    ) {
        let _ = io.request(&route.link, signed).await;
    }
}

/// `invite.revoke` of a declined join (HRT-INV-72, HRT-OP-59), best effort: the joiner is not
/// added whatever the host answers (HRT-INV-66).
pub(crate) async fn decline(io: &Io, route: &Route, invite: Nonce16) {
    if crate::conversation::mutant::on("no-decline-on-mismatch") {
        return;
    }
    revoke(io, route, invite).await;
}

/// A host status that refuses the commit itself, which a retry of the same commit would meet
/// again (not a race with another commit, a busy host or a failure of the host).
fn definite(status: ErrorCode) -> bool {
    ![
        ErrorCode::EPOCH_CONFLICT,
        ErrorCode::RATE_LIMITED,
        ErrorCode::INTERNAL,
    ]
    .contains(&status)
}

/// The event of an add the host refused for good (HRT-INV-75).
fn add_refused(route: &Route, handle: [u8; 16], c: &ConfirmedJoin, code: ErrorCode) -> Event {
    Event::AddRefused {
        conversation: handle,
        route: route.link.clone(),
        fingerprint: c.join().fingerprint(),
        name: c.join().proposed_name().to_owned(),
        code,
    }
}

/// Joins waiting on this route's invitations (spec §5.8, §8 op 6): each is processed, checked
/// against the identity a route invitation was made for (HRT-ROUTE-9) or left to the user's
/// comparison (HRT-INV-65), and the confirmed ones are admitted in one commit.
pub(crate) async fn admit_joins(
    io: &Io,
    route: &mut Route,
    handle: [u8; 16],
    out: &mut Vec<Event>,
    cmp: &mut dyn Comparison,
    sas: &mut Comparisons,
) {
    if !route.usable() {
        return;
    }
    // Joins confirmed earlier whose add commit did not go through are tried again.
    let mut adds = std::mem::take(&mut route.pending_adds);
    if !route.invites.is_empty() {
        collect_joins(io, route, handle, out, &mut adds, cmp, sas).await;
    }
    if adds.is_empty() {
        return;
    }
    match post_adds(io, route, handle, &adds, out).await {
        Ok(()) => {}
        // HRT-INV-75: a definite refusal is the host's verdict on one of the adds (its pending
        // join dropped, HRT-OP-59, HRT-OP-60; a limit): each add goes in a commit of its own,
        // and an add the host refuses is dropped and reported, so it blocks no later one.
        Err(Error::Host { status, .. }) if adds.len() > 1 && definite(status) => {
            for c in adds {
                match post_adds(io, route, handle, std::slice::from_ref(&c), out).await {
                    Err(Error::Host { status, .. }) if definite(status) => {
                        out.push(add_refused(route, handle, &c, status));
                    }
                    Err(_) => route.pending_adds.push(c),
                    Ok(()) => {}
                }
            }
        }
        Err(Error::Host { status, .. }) if definite(status) => {
            for c in &adds {
                out.push(add_refused(route, handle, c, status));
            }
        }
        // The member's own request failed: no event (Appendix B §91.7); the joins wait for the
        // next refresh (their invitation secrets are already deleted, HRT-INV-59).
        Err(_) => route.pending_adds = adds,
    }
}

/// One commit adding `adds`, and their `admitted` events once the host took it.
async fn post_adds(
    io: &Io,
    route: &mut Route,
    handle: [u8; 16],
    adds: &[ConfirmedJoin],
    out: &mut Vec<Event>,
) -> Result<(), Error> {
    let changes = adds
        .iter()
        .map(|c| Change::Add {
            joiner: Box::new(c.clone()),
            role: Role::Member,
        })
        .collect();
    post_commit(io, route, handle, changes, out).await?;
    let epoch = route.epoch_now_or_next();
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
async fn collect_joins(
    io: &Io,
    route: &mut Route,
    handle: [u8; 16],
    out: &mut Vec<Event>,
    adds: &mut Vec<ConfirmedJoin>,
    cmp: &mut dyn Comparison,
    sas: &mut Comparisons,
) {
    let Ok(signed) = io.build(
        &route.link,
        Op::JOIN_FETCH,
        &Empty {},
        &sign_with(&route.group),
    ) else {
        return;
    };
    let pending: JoinFetchResult = match io.request(&route.link, signed).await {
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
                Err(vj) if crate::conversation::mutant::on("admit-anyone-to-a-route") => {
                    adds.push(vj.confirm_sas_matches());
                }
                // HRT-ROUTE-9: someone else redeemed a route invitation: not admitted, the
                // invitation revoked; no event (Appendix B §91.7).
                Err(_) => revoke(io, route, pj.invite_id).await,
            },
            (Ok(vj), None) => {
                let opened = Opened {
                    handle,
                    invite: pj.invite_id,
                    join: vj,
                };
                sas_opened(io, route, opened, cmp, sas, adds, out).await;
            }
            (Err(e), _) => {
                mutant_code_for_a_bad_join(route, handle, pj.invite_id, &e, out);
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

/// A join of an out-of-band invitation that passed §5.8.
struct Opened {
    handle: [u8; 16],
    invite: Nonce16,
    join: ValidatedJoin,
}

/// A join of an out-of-band invitation that passed §5.8 waits for the user's comparison
/// (HRT-INV-65); the user is told the code, and asked now if it can be asked. A match adds
/// the join to `adds`; a mismatch declines it (HRT-INV-66, HRT-INV-72); "not now" keeps it
/// waiting in `sas` for the user's later answer ([`crate::conversation::Intent::AnswerSas`]).
async fn sas_opened(
    io: &Io,
    route: &Route,
    o: Opened,
    cmp: &mut dyn Comparison,
    sas: &mut Comparisons,
    adds: &mut Vec<ConfirmedJoin>,
    out: &mut Vec<Event>,
) {
    let Opened {
        handle,
        invite,
        join,
    } = o;
    // MUTANT admit-before-comparison (HRT-INV-65): the join is added before the user answers.
    if crate::conversation::mutant::on("admit-before-comparison") {
        let w = Waiting::inviter(route.link.clone(), handle, invite, join.clone());
        out.push(ready(&w));
        adds.push(join.confirm_sas_matches());
        return;
    }
    let w = Waiting::inviter(route.link.clone(), handle, invite, join);
    out.push(ready(&w));
    let asking = check(&w);
    sas.push(w);
    let asked = cmp.available().then(|| cmp.codes_match(&asking)).flatten();
    match asked.and_then(|m| sas.answer(&invite, m)) {
        Some(Decision::Add { join, .. }) => adds.push(*join),
        Some(Decision::Decline { invite, .. }) => {
            decline(io, route, invite).await;
            out.push(mismatch(Some(handle), route.link.clone()));
        }
        // Not now: the join waits, kept with the member's state, for a later answer.
        _ => {}
    }
}

/// MUTANT code-for-a-bad-join (HRT-INV-70): a join that opened (§5.8 step 1) but failed a
/// later check is shown with a code. Nothing without the mutant.
fn mutant_code_for_a_bad_join(
    route: &Route,
    handle: [u8; 16],
    invite: Nonce16,
    e: &hearth_crypto::ProtocolError,
    out: &mut Vec<Event>,
) {
    if !crate::conversation::mutant::on("code-for-a-bad-join")
        || e.code() == ErrorCode::DECRYPT_FAILED
    {
        return;
    }
    if let Some(sas) = Sas::from_value(0) {
        out.push(Event::Sas {
            conversation: Some(handle),
            route: route.link.clone(),
            invite: invite.0,
            sas,
            joiner: None,
        });
    }
}
