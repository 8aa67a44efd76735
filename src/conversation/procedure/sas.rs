//! The comparison of short authentication strings as a member carries it out (spec §5.8.1):
//! the decisions are [`crate::conversation::sas`]'s; here they are asked for, answered and
//! carried out with the caller's transport. A comparison the user does not answer at once
//! waits in [`State::sas`] (HRT-INV-73), across refreshes and, when the front end saves it,
//! across runs.

use hearth_crypto::invite::Sas;
use hearth_wire::Nonce16;

use super::admit::{check, decline, mismatch, ready};
use crate::conversation::error::Error;
use crate::conversation::event::Event;
use crate::conversation::io::Io;
use crate::conversation::machine::State;
use crate::conversation::sas::{Decision, Waiting};
use crate::conversation::state::{Route, SasCheck};
use crate::conversation::RouteRef;

impl State {
    /// The user's answer for the comparison of invitation `invite` (spec §5.8.1): `matches`
    /// when the other person's client shows the same code (or, `false`, when it differs or
    /// the other person has none). As inviter, a match queues the add for the next refresh
    /// and a mismatch declines the join with `invite.revoke` now (HRT-INV-66, HRT-INV-72); as
    /// joiner, a match lets the next refresh accept the Welcome (HRT-INV-67) and a mismatch
    /// abandons the join (HRT-INV-68). A mismatch is reported by the next refresh (or
    /// [`State::take_events`]) as `sas_mismatch`. A usage error when no comparison of that
    /// invitation waits.
    pub(crate) async fn answer_sas(
        &mut self,
        io: &Io,
        invite: &[u8; 16],
        matches: bool,
    ) -> Result<(), Error> {
        let decision = self
            .sas
            .answer(&Nonce16(*invite), matches)
            .ok_or_else(|| Error::usage("no comparison of that invitation is waiting"))?;
        let mut events = Vec::new();
        self.carry_out(io, decision, &mut events).await;
        self.held.append(&mut events);
        Ok(())
    }

    /// Carries out one decision of [`crate::conversation::sas::Comparisons::answer`].
    pub(crate) async fn carry_out(&mut self, io: &Io, d: Decision, events: &mut Vec<Event>) {
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
                if let Some(r) = self.route_mut(&conversation, &route) {
                    decline(io, r, invite).await;
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
                if crate::conversation::mutant::on("keep-join-on-mismatch") {
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
    pub(crate) async fn ask_joiners(&mut self, io: &Io, events: &mut Vec<Event>) {
        // MUTANT join-before-comparison (HRT-INV-67): every code counts as confirmed.
        if crate::conversation::mutant::on("join-before-comparison") {
            let all: Vec<Nonce16> = self
                .sas
                .waiting()
                .iter()
                .filter(|w| !w.is_inviter())
                .map(Waiting::invite)
                .collect();
            for i in all {
                if let Some(d) = self.sas.answer(&i, true) {
                    self.carry_out(io, d, events).await;
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
                    self.carry_out(io, d, events).await;
                }
            }
        }
    }
}
