//! The comparison of short authentication strings in the reference client (spec §5.8.1): the
//! client's side of [`hearth::conversation::sas`]. The decisions are the library's; this
//! module asks the user (through [`Comparison`]), carries out the library's [`Decision`]s
//! with the client's transport, and tells the user ([`Event::Sas`], `sas_mismatch`).
//!
//! `client.rs` calls it at four points, each marked `// issue 15`: after a redeem's `ok`
//! (`Client::comparison_redeemed`), before Welcomes are fetched (`Client::ask_joiners`),
//! for a join that passed §5.8 (`Client::sas_opened`), and in `take_events` (the held events).

use hearth::conversation::sas::{Comparisons, Decision, Waiting};
use hearth_crypto::invite::{ConfirmedJoin, Sas, ValidatedJoin};
use hearth_wire::{ErrorCode, Nonce16};

use crate::client::{Client, Comparison, Event, SasCheck};
use crate::error::ClientError;
use crate::route::{Route, RouteRef};
use crate::transport::Transport;

/// The event that tells the user a code is ready to compare.
pub(crate) fn ready(w: &Waiting) -> Event {
    Event::Sas {
        conversation: w.conversation(),
        route: w.route().clone(),
        invite: w.invite().0,
        sas: w.sas(),
        joiner: w.joiner_identity().map(|(f, n)| (f, n.to_owned())),
    }
}

fn check(w: &Waiting) -> SasCheck {
    SasCheck {
        route: w.route().clone(),
        invite: w.invite().0,
        sas: w.sas(),
        joiner: w.joiner_identity().map(|(f, n)| (f, n.to_owned())),
    }
}

fn mismatch(conversation: Option<[u8; 16]>, route: RouteRef) -> Event {
    Event::Rejected {
        conversation,
        route: Some(route),
        seq: None,
        code: ErrorCode::SAS_MISMATCH,
    }
}

/// `invite.revoke` of a declined join (HRT-INV-72, HRT-OP-59), best effort: the joiner is not
/// added whatever the host answers (HRT-INV-66).
fn decline(transport: &Transport, route: &Route, invite: Nonce16) {
    if crate::mutant::on("no-decline-on-mismatch") {
        return;
    }
    let body = hearth_wire::request::InviteRevokeBody { invite_id: invite };
    if let Ok(signed) = Transport::build(
        &route.link.host,
        hearth_wire::Op::INVITE_REVOKE,
        Some(route.link.channel),
        &body,
        &|b: &[u8]| Ok(route.group.sign_request(b)?),
    ) {
        let _ = transport.post(&route.link.host, &signed);
    }
}

impl Client {
    /// issue 15: a host status that refuses the commit itself, which a retry of the same commit
    /// would meet again (not a race with another commit, a busy host or a failure of the host).
    pub(crate) fn definite(status: ErrorCode) -> bool {
        ![
            ErrorCode::EPOCH_CONFLICT,
            ErrorCode::RATE_LIMITED,
            ErrorCode::INTERNAL,
        ]
        .contains(&status)
    }

    /// issue 15: the event of an add the host refused for good.
    pub(crate) fn add_refused(
        route: &Route,
        handle: [u8; 16],
        c: &ConfirmedJoin,
        code: ErrorCode,
    ) -> Event {
        Event::AddRefused {
            conversation: handle,
            route: route.link.clone(),
            fingerprint: c.join().fingerprint(),
            name: c.join().proposed_name().to_owned(),
            code,
        }
    }

    /// MUTANT code-for-a-bad-join (HRT-INV-70): a join that opened (§5.8 step 1) but failed a later
    /// check is shown with a code. Nothing without the mutant.
    pub(crate) fn mutant_code_for_a_bad_join(
        route: &Route,
        handle: [u8; 16],
        invite: Nonce16,
        e: &hearth_crypto::ProtocolError,
        out: &mut Vec<Event>,
    ) {
        if !crate::mutant::on("code-for-a-bad-join") || e.code() == ErrorCode::DECRYPT_FAILED {
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

    /// Step b of `sync`, for a join of an out-of-band invitation that passed §5.8: the join waits
    /// for the user's comparison (HRT-INV-65); the user is told the code, and asked now if it can
    /// be asked. A match adds the join to `adds`; a mismatch declines it (HRT-INV-66, HRT-INV-72).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn sas_opened(
        sas: &mut Comparisons,
        cmp: &mut dyn Comparison,
        transport: &Transport,
        route: &Route,
        handle: [u8; 16],
        invite: Nonce16,
        join: ValidatedJoin,
        adds: &mut Vec<ConfirmedJoin>,
        out: &mut Vec<Event>,
    ) {
        // MUTANT admit-before-comparison (HRT-INV-65): the join is added before the user answers.
        if crate::mutant::on("admit-before-comparison") {
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
                decline(transport, route, invite);
                out.push(mismatch(Some(handle), route.link.clone()));
            }
            // Not now: the join waits, saved with the client's state, for a later answer.
            _ => {}
        }
    }

    /// The comparisons waiting for the user's answer, in the order their codes became ready
    /// (spec §5.8.1): joins this client opened as inviter, and joins it redeemed as joiner.
    pub fn comparisons(&self) -> &[Waiting] {
        self.sas.waiting()
    }

    /// The user's answer for the comparison of invitation `invite` (spec §5.8.1): `matches`
    /// when the other person's client shows the same code (or, `false`, when it differs or the
    /// other person has none). As inviter, a match queues the add for the next
    /// [`Client::sync`] (step b) and a mismatch declines the join with `invite.revoke` now
    /// (HRT-INV-66, HRT-INV-72); as joiner, a match lets the next `sync` accept the Welcome
    /// (HRT-INV-67) and a mismatch abandons the join (HRT-INV-68). A mismatch is reported by
    /// the next `sync` (or [`Client::take_events`]) as `sas_mismatch`. A usage error when no
    /// comparison of that invitation waits.
    pub fn answer_sas(&mut self, invite: &[u8; 16], matches: bool) -> Result<(), ClientError> {
        let decision = self
            .sas
            .answer(&Nonce16(*invite), matches)
            .ok_or_else(|| ClientError::usage("no comparison of that invitation is waiting"))?;
        let mut events = Vec::new();
        self.carry_out(decision, &mut events);
        self.held.append(&mut events);
        Ok(())
    }

    fn carry_out(&mut self, d: Decision, events: &mut Vec<Event>) {
        match d {
            Decision::Add {
                route,
                conversation,
                join,
            } => {
                if let Some(r) = self.route_mut(&conversation, &route) {
                    r.pending_adds.push(*join);
                }
            }
            Decision::Decline {
                route,
                conversation,
                invite,
            } => {
                let transport = self.transport.clone();
                if let Some(r) = self.route_mut(&conversation, &route) {
                    decline(&transport, r, invite);
                }
                events.push(mismatch(Some(conversation), route));
            }
            // HRT-INV-67, HRT-SHIM-34: the answer is for this invitation's join only.
            Decision::Accept { route, invite } => {
                for j in self.joining.iter_mut().filter(|j| j.is(&route, &invite)) {
                    j.pending.confirm_sas();
                }
            }
            Decision::Abandon { route, invite } => {
                // MUTANT keep-join-on-mismatch (HRT-INV-68): the join is kept and its Welcome
                // accepted as if the codes had matched.
                if crate::mutant::on("keep-join-on-mismatch") {
                    for j in self.joining.iter_mut().filter(|j| j.is(&route, &invite)) {
                        j.pending.confirm_sas();
                    }
                    return;
                }
                // Dropping the pending member deletes its member and init key pairs.
                self.joining.retain(|j| !j.is(&route, &invite));
                events.push(mismatch(None, route));
            }
        }
    }

    fn route_mut(&mut self, handle: &[u8; 16], link: &RouteRef) -> Option<&mut Route> {
        self.conversations
            .iter_mut()
            .find(|c| &c.handle == handle)?
            .routes
            .iter_mut()
            .find(|r| &r.link == link)
    }

    /// After a redeem of an out-of-band invitation was answered `ok` (HRT-INV-58): the code is
    /// ready, the Welcome waits for the comparison (HRT-INV-67).
    pub(crate) fn comparison_redeemed(&mut self, route: RouteRef, invite: Nonce16, sas: Sas) {
        let w = Waiting::joiner(route, invite, sas);
        self.held.push(ready(&w));
        self.sas.push(w);
    }

    /// Before the Welcomes are fetched: asks the user about every joiner's comparison it can be
    /// asked about now, and carries out the answers.
    pub(crate) fn ask_joiners(&mut self, events: &mut Vec<Event>) {
        // MUTANT join-before-comparison (HRT-INV-67): every code counts as confirmed.
        if crate::mutant::on("join-before-comparison") {
            let all: Vec<Nonce16> = self
                .sas
                .waiting()
                .iter()
                .filter(|w| !w.is_inviter())
                .map(Waiting::invite)
                .collect();
            for i in all {
                if let Some(d) = self.sas.answer(&i, true) {
                    self.carry_out(d, events);
                }
            }
        }
        if !self.comparison.available() {
            return;
        }
        let asks: Vec<SasCheck> = self
            .sas
            .waiting()
            .iter()
            .filter(|w| !w.is_inviter())
            .map(check)
            .collect();
        for c in asks {
            if let Some(m) = self.comparison.codes_match(&c) {
                if let Some(d) = self.sas.answer(&Nonce16(c.invite), m) {
                    self.carry_out(d, events);
                }
            }
        }
    }

    /// The invite ids of a conversation's open invitations (the shim's `compare` mode).
    pub(crate) fn open_invites(&self, handle: &[u8; 16]) -> Vec<[u8; 16]> {
        self.conversations
            .iter()
            .filter(|c| &c.handle == handle)
            .flat_map(|c| c.routes.iter())
            .flat_map(|r| r.invites.iter())
            .map(|o| o.invitation.invite_id().0)
            .collect()
    }
}
