//! The duties a member meets at every refresh, on every route (spec §6.9.3, §6.17, §10): the
//! `commit.report` of a rejected commit (HRT-GRP-88), an admin's recovery commit of a wedged
//! channel (HRT-GRP-93), a removal carried to the conversation's other routes (HRT-ROUTE-28),
//! and the update commits that time and use make due (HRT-RAT-17 to HRT-RAT-21), all judged
//! at the caller's time.

use hearth_crypto::keys::Fingerprint;
use hearth_wire::request::CommitReportBody;
use hearth_wire::{Op, Seq};

use super::route::{post_commit, post_commit_with};
use crate::conversation::duties::Due;
use crate::conversation::event::Event;
use crate::conversation::io::{sign_with, Io, Outcome};
use crate::conversation::removal;
use crate::conversation::state::Route;

/// The duties of one route; `removed` are the members a verified commit of another route of
/// the conversation removed (HRT-ROUTE-28).
pub(crate) async fn duties(
    io: &Io,
    route: &mut Route,
    handle: [u8; 16],
    removed: &[Fingerprint],
    out: &mut Vec<Event>,
) {
    let carry = removal::carry_removals(&route.group, removed);
    if !carry.is_empty() && route.usable() {
        let _ = post_commit(io, route, handle, carry, out).await;
    }
    // An admin removes the members away for 30 days, after telling its user (HRT-RAT-22).
    let away = crate::conversation::duties::away(&route.group, &route.last_commit, io.duty_now);
    if !away.is_empty() && route.usable() {
        let mut changes = Vec::new();
        for (fingerprint, leaf, since) in away {
            out.push(Event::Away {
                conversation: handle,
                route: route.link.clone(),
                fingerprint,
                since,
            });
            changes.push(hearth_crypto::group::Change::Remove(leaf));
        }
        let _ = post_commit(io, route, handle, changes, out).await;
    }
    update_if_due(io, route, handle, out).await;
}

/// The `commit.report` of a rejected commit (HRT-GRP-88), a recovery commit that is due
/// (HRT-GRP-93), and an update commit when §6.17 says one is due (HRT-RAT-17 to HRT-RAT-21).
pub(crate) async fn update_if_due(
    io: &Io,
    route: &mut Route,
    handle: [u8; 16],
    out: &mut Vec<Event>,
) {
    if let Some((seq, code)) = route
        .report
        .filter(|_| !crate::conversation::mutant::on("no-commit-report"))
    {
        let body = CommitReportBody {
            seq: Seq(seq),
            reason: code,
        };
        if let Ok(signed) = io.build(
            &route.link,
            Op::COMMIT_REPORT,
            &body,
            &sign_with(&route.group),
        ) {
            // Kept until the host took it: a lost report is sent again at the next refresh.
            if matches!(
                io.request(&route.link, signed).await,
                Outcome::Ok(_) | Outcome::Refused(_)
            ) {
                route.report = None;
            }
        }
    }
    // An admin recovers a wedged channel (HRT-GRP-93).
    if route.report.is_none() && route.frozen.is_none() {
        if let Some((seq, named)) = route.recovery.due(&route.group) {
            let named = named.to_vec();
            let now = io.duty_now;
            let _ = post_commit_with(io, route, handle, out, |g| {
                g.recovery_commit(seq, &named, now)
            })
            .await;
        }
    }
    // A failure here is the member's own request failing, not something received: no event
    // (Appendix B §91.7); the duty stays and is tried again at the next refresh. The timed
    // commit and the member key's rotation (HRT-RAT-20, HRT-RAT-21); the mutant judges at
    // time 0, so that only the untimed duties remain.
    let now = if crate::conversation::mutant::on("no-timed-commit") {
        0
    } else {
        io.duty_now
    };
    let due = Due::at(&route.group, route.key_since, now);
    if route.usable() && due.commit {
        let _ = post_commit(io, route, handle, Vec::new(), out).await;
    }
}
