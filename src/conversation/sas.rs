//! Spec §5.8.1: the comparison of short authentication strings, as state a client keeps
//! between the moment a code is ready and the moment its user answers.
//!
//! Two people compare six digits; between a code being shown and the answer there can be a
//! phone call, a walk across the room, or (for a client that runs one process per command) a
//! second program run. [`Comparisons`] holds what waits meanwhile:
//!
//! - **inviter side**: a join that passed every check of §5.8 ([`ValidatedJoin`]; only such a
//!   join has a code, HRT-INV-70). It is not added before the user confirms (HRT-INV-65); its
//!   per-invite key is already deleted (HRT-INV-59), so the code shown cannot change and each
//!   invitation allows one comparison.
//! - **joiner side**: a join whose redeem was answered `ok` (only then is there a code,
//!   HRT-INV-58). Its Welcome stays unprocessed until the user confirms (HRT-INV-67).
//!
//! [`Comparisons::answer`] turns the user's answer into a [`Decision`] the caller carries out:
//! add the joiner (§5.8.2), decline the join with `invite.revoke` (HRT-INV-66, HRT-INV-72),
//! accept the Welcome when it arrives, or abandon the join (HRT-INV-68). A mismatch is reported
//! to the user with `sas_mismatch` ([`Decision::code`]). Nothing here does I/O; the state is
//! saved with [`Waiting::saved_join`] and rebuilt with [`Waiting::restore_inviter`] and
//! [`Waiting::joiner`].

use hearth_crypto::invite::{ConfirmedJoin, Sas, ValidatedJoin};
use hearth_crypto::keys::Fingerprint;
use hearth_crypto::ProtocolError;
use hearth_wire::{ErrorCode, Nonce16};

use super::RouteRef;

/// Which side of a comparison this client is on.
#[derive(Clone, Debug)]
enum Side {
    /// It opened the join; `conversation` is the local handle of the invitation's conversation.
    Inviter {
        conversation: [u8; 16],
        join: Box<ValidatedJoin>,
    },
    /// It redeemed the invitation.
    Joiner { sas: Sas },
}

/// One comparison waiting for the user's answer.
#[derive(Clone, Debug)]
pub struct Waiting {
    route: RouteRef,
    invite: Nonce16,
    side: Side,
}

impl Waiting {
    /// The inviter opened and checked a join of its invitation `invite` on `route` (§5.8): its
    /// code is ready to show, and the join waits for the answer (HRT-INV-65). A join that
    /// failed a check has no [`ValidatedJoin`], so it never waits and never shows a code
    /// (HRT-INV-70).
    pub fn inviter(
        route: RouteRef,
        conversation: [u8; 16],
        invite: Nonce16,
        join: ValidatedJoin,
    ) -> Waiting {
        Waiting {
            route,
            invite,
            side: Side::Inviter {
                conversation,
                join: Box::new(join),
            },
        }
    }

    /// The joiner's side after a redeem answered `ok` (HRT-INV-58: there is no other way to get
    /// a joiner's entry).
    pub fn joiner(route: RouteRef, invite: Nonce16, sas: Sas) -> Waiting {
        Waiting {
            route,
            invite,
            side: Side::Joiner { sas },
        }
    }

    /// The inviter's side of a join restored from [`Waiting::saved_join`].
    pub fn restore_inviter(
        route: RouteRef,
        invite: Nonce16,
        conversation: [u8; 16],
        saved_join: &[u8],
    ) -> Result<Waiting, ProtocolError> {
        Ok(Waiting {
            route,
            invite,
            side: Side::Inviter {
                conversation,
                join: Box::new(ValidatedJoin::restore(saved_join)?),
            },
        })
    }

    /// The route of the invitation.
    pub fn route(&self) -> &RouteRef {
        &self.route
    }

    /// The invite id (§5.4), which names the comparison.
    pub fn invite(&self) -> Nonce16 {
        self.invite
    }

    /// The code this client shows (`Display` is the form of HRT-INV-64).
    pub fn sas(&self) -> Sas {
        match &self.side {
            Side::Inviter { join, .. } => join.sas(),
            Side::Joiner { sas } => *sas,
        }
    }

    /// Whether this client is the inviter of the comparison.
    pub fn is_inviter(&self) -> bool {
        matches!(self.side, Side::Inviter { .. })
    }

    /// The local conversation of an inviter's comparison; `None` on the joiner's side.
    pub fn conversation(&self) -> Option<[u8; 16]> {
        match &self.side {
            Side::Inviter { conversation, .. } => Some(*conversation),
            Side::Joiner { .. } => None,
        }
    }

    /// For the inviter: the joiner's fingerprint and proposed name, shown with the code
    /// (HRT-INV-43). The name is untrusted text.
    pub fn joiner_identity(&self) -> Option<(Fingerprint, &str)> {
        match &self.side {
            Side::Inviter { join, .. } => Some((join.fingerprint(), join.proposed_name())),
            Side::Joiner { .. } => None,
        }
    }

    /// For the inviter: the waiting join, saved for a later run (it holds no secret).
    pub fn saved_join(&self) -> Option<Result<hearth_crypto::SavedState, ProtocolError>> {
        match &self.side {
            Side::Inviter { join, .. } => Some(join.save()),
            Side::Joiner { .. } => None,
        }
    }
}

/// What the caller does with the user's answer.
#[derive(Debug)]
pub enum Decision {
    /// Inviter, the codes match: add the joiner in a commit of its own (§5.8.2, HRT-INV-44).
    Add {
        /// The route of the invitation.
        route: RouteRef,
        /// The local conversation.
        conversation: [u8; 16],
        /// What `Change::Add` takes.
        join: Box<ConfirmedJoin>,
    },
    /// Inviter, the codes differ or the joiner has none: the joiner is not added
    /// (HRT-INV-66); decline the join with `invite.revoke` of `invite` (HRT-INV-72) and report
    /// `sas_mismatch`.
    Decline {
        /// The route of the invitation.
        route: RouteRef,
        /// The local conversation.
        conversation: [u8; 16],
        /// The invitation to revoke.
        invite: Nonce16,
    },
    /// Joiner, the codes match: the Welcome of the join of invitation `invite` (and of no
    /// other join on the route) may now be accepted (`PendingMember::confirm_sas`, HRT-INV-67).
    Accept {
        /// The route of the invitation.
        route: RouteRef,
        /// The invitation whose join it is.
        invite: Nonce16,
    },
    /// Joiner, the codes differ: drop the pending member of the join of invitation `invite`,
    /// which deletes its member and init key pairs, accept no Welcome for it (HRT-INV-68), and
    /// report `sas_mismatch`.
    Abandon {
        /// The route of the invitation.
        route: RouteRef,
        /// The invitation whose join it is.
        invite: Nonce16,
    },
}

impl Decision {
    /// The code the user is told: `sas_mismatch` for a declined or abandoned join (§5.8.1).
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Decision::Decline { .. } | Decision::Abandon { .. } => Some(ErrorCode::SAS_MISMATCH),
            Decision::Add { .. } | Decision::Accept { .. } => None,
        }
    }
}

/// The comparisons a client waits on, in the order their codes became ready.
#[derive(Clone, Debug, Default)]
pub struct Comparisons {
    waiting: Vec<Waiting>,
}

impl Comparisons {
    /// Adds a comparison, replacing one for the same invitation (one comparison per
    /// invitation, §5.8.1).
    pub fn push(&mut self, w: Waiting) {
        self.waiting.retain(|o| o.invite != w.invite);
        self.waiting.push(w);
    }

    /// Every comparison waiting for an answer.
    pub fn waiting(&self) -> &[Waiting] {
        &self.waiting
    }

    /// The comparison of invitation `invite`.
    pub fn find(&self, invite: &Nonce16) -> Option<&Waiting> {
        self.waiting.iter().find(|w| &w.invite == invite)
    }

    /// Whether a joiner's comparison on `route` still waits (its Welcome must stay
    /// unprocessed, HRT-INV-67).
    pub fn joiner_waits(&self, route: &RouteRef) -> bool {
        self.waiting
            .iter()
            .any(|w| !w.is_inviter() && &w.route == route)
    }

    /// The user's answer for invitation `invite`: `matches` when the other person's client
    /// shows the same code. `None` when no comparison of that invitation waits. The comparison
    /// ends either way: a mismatch cannot be taken back, and a match is carried out once.
    pub fn answer(&mut self, invite: &Nonce16, matches: bool) -> Option<Decision> {
        let i = self.waiting.iter().position(|w| &w.invite == invite)?;
        let w = self.waiting.remove(i);
        Some(match (w.side, matches) {
            (Side::Inviter { conversation, join }, true) => Decision::Add {
                route: w.route,
                conversation,
                join: Box::new(join.confirm_sas_matches()),
            },
            (Side::Inviter { conversation, .. }, false) => Decision::Decline {
                route: w.route,
                conversation,
                invite: w.invite,
            },
            (Side::Joiner { .. }, true) => Decision::Accept {
                route: w.route,
                invite: w.invite,
            },
            (Side::Joiner { .. }, false) => Decision::Abandon {
                route: w.route,
                invite: w.invite,
            },
        })
    }

    /// Forgets the comparisons of a route the client no longer holds (for example a join
    /// refused for another reason).
    pub fn forget_route(&mut self, route: &RouteRef) {
        self.waiting.retain(|w| &w.route != route);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use hearth_crypto::group::{Group, PendingMember};
    use hearth_crypto::keys::IdentityKey;
    use hearth_wire::request::PendingJoin;
    use hearth_wire::{ConversationId, HostUrl, Secs};

    /// An inviter's channel and one opened join: (route, invite id, join, joiner's code).
    fn opened_join() -> (RouteRef, Nonce16, ValidatedJoin, Sas) {
        let host = HostUrl::new("https://example.org/h").unwrap();
        let admin = IdentityKey::from_seed(&[1; 32]);
        let mut g = Group::create(host.clone(), admin, 0).unwrap();
        let channel = *g.channel_id();
        let mut inv = g
            .create_invitation(ConversationId(channel.0), u64::MAX / 2)
            .unwrap()
            .registered();
        let uri = inv.uri().unwrap().to_string();
        let (pending, redeem) =
            PendingMember::join(&uri, IdentityKey::from_seed(&[3; 32]), "Bob", 10).unwrap();
        let pj = PendingJoin {
            invite_id: redeem.body.invite_id,
            member_key: redeem.body.member_key,
            sealed: redeem.body.sealed.clone(),
            redeemed_at: Secs(11),
        };
        let vj = inv.process_join(&pj).unwrap();
        let route = RouteRef { host, channel };
        (route, pj.invite_id, vj, pending.sas())
    }

    #[test]
    fn an_inviter_adds_only_after_a_match_hrt_inv_65() {
        let (route, invite, vj, joiner_code) = opened_join();
        let mut c = Comparisons::default();
        let w = Waiting::inviter(route.clone(), [2; 16], invite, vj);
        c.push(w.clone());
        // HRT-INV-63: both sides show the same code.
        assert_eq!(w.sas(), joiner_code);
        assert!(w.is_inviter());
        assert_eq!(w.joiner_identity().unwrap().1, "Bob");
        // Nothing else waits, and the answer of another invitation decides nothing.
        assert!(c.answer(&Nonce16([9; 16]), true).is_none());
        match c.answer(&invite, true) {
            Some(Decision::Add { join, .. }) => assert_eq!(join.join().sas(), joiner_code),
            other => panic!("{other:?}"),
        }
        // Answered once only.
        assert!(c.answer(&invite, true).is_none());
        assert!(c.waiting().is_empty());
    }

    #[test]
    fn an_inviter_declines_on_a_mismatch_hrt_inv_66_hrt_inv_72() {
        let (route, invite, vj, _) = opened_join();
        let mut c = Comparisons::default();
        c.push(Waiting::inviter(route.clone(), [2; 16], invite, vj));
        let d = c.answer(&invite, false).unwrap();
        assert_eq!(d.code(), Some(ErrorCode::SAS_MISMATCH));
        match d {
            Decision::Decline {
                invite: revoked, ..
            } => assert_eq!(revoked, invite),
            other => panic!("{other:?}"),
        }
        // A mismatch is final: no later "match" adds the joiner.
        assert!(c.answer(&invite, true).is_none());
    }

    #[test]
    fn a_waiting_join_survives_a_restart() {
        let (route, invite, vj, joiner_code) = opened_join();
        let saved = Waiting::inviter(route.clone(), [2; 16], invite, vj)
            .saved_join()
            .unwrap()
            .unwrap();
        let mut later = Comparisons::default();
        later.push(
            Waiting::restore_inviter(route.clone(), invite, [2; 16], saved.as_bytes()).unwrap(),
        );
        assert_eq!(later.find(&invite).unwrap().sas(), joiner_code);
        assert!(matches!(
            later.answer(&invite, true),
            Some(Decision::Add { .. })
        ));
        assert!(Waiting::restore_inviter(route, invite, [2; 16], b"\x80").is_err());
    }

    #[test]
    fn a_joiner_holds_its_welcome_until_it_confirms_hrt_inv_67_hrt_inv_68() {
        let (route, invite, _, code) = opened_join();
        let mut c = Comparisons::default();
        c.push(Waiting::joiner(route.clone(), invite, code));
        assert!(c.joiner_waits(&route));
        assert!(c.find(&invite).unwrap().conversation().is_none());
        let mut d = c.clone();
        // The decision names the invitation, so only that join's Welcome is accepted.
        assert!(matches!(
            c.answer(&invite, true),
            Some(Decision::Accept { invite: i, .. }) if i == invite
        ));
        assert!(!c.joiner_waits(&route));
        let abandon = d.answer(&invite, false).unwrap();
        assert_eq!(abandon.code(), Some(ErrorCode::SAS_MISMATCH));
        assert!(matches!(abandon, Decision::Abandon { invite: i, .. } if i == invite));
        assert!(!d.joiner_waits(&route));
    }
}
