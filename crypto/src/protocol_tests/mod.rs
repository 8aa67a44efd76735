//! Protocol-level tests of invitations, commits, Welcomes, ratchets and envelopes. Every
//! negative test asserts the exact spec code and names the requirement it checks. This module
//! holds the shared fixtures; the tests are split by what they test:
//!
//! | module | what |
//! |---|---|
//! | `flows` | happy paths, deletion duties, the random-interleaving property test |
//! | `envelopes` | sealing and opening (spec §7), the ratchet bounds (§6.15) |
//! | `commits` | commit processing and its checks (spec §6.8 to §6.10) |
//! | `joins` | Welcomes and invitations (spec §5, §6.11, §6.12) |

pub(crate) mod commits;
mod envelopes;
mod flows;
mod joins;
mod suite2;

use hearth_wire::envelope::{pad_len, ContentBody, Envelope, SealedContent};
use hearth_wire::group::{Commit, CommitTbs};
use hearth_wire::request::PendingJoin;
use hearth_wire::{
    BoundedBytes, BoundedVec, ChannelId, ConversationId, EdPublic, ErrorCode, Generation, HostUrl,
    Leaf, ReuseGuard, Role, Secs, SignedBytes, Suite, WireDecode, WireEncode, XPublic,
};

use crate::envelope::ContentBuilder;
use crate::error::{Misuse, ProtocolError};
use crate::group::{Change, CommitOutcome, Group, HeldSecrets, PendingMember, Status};
use crate::hazmat::label;
use crate::hazmat::labelled::{bstr, sign_with_label};
use crate::invite::ValidatedJoin;
use crate::keys::IdentityKey;
use crate::rng::HearthRng;

const HOST: &str = "https://example.org/hearth";

pub(crate) fn rng(seed: u8) -> HearthRng {
    HearthRng::danger_seeded([seed; 32])
}

pub(crate) fn ik(seed: u8) -> IdentityKey {
    IdentityKey::from_seed(&[seed; 32])
}

pub(crate) fn host() -> HostUrl {
    HostUrl::new(HOST).unwrap()
}

pub(crate) fn create(seed: u8) -> Group {
    Group::danger_create_with_rng(host(), ik(seed), 0, rng(seed)).unwrap()
}

/// Runs the invitation flow up to the validated join (spec §5.5, §5.6, §5.8).
pub(crate) fn invite_and_join(admin: &mut Group, seed: u8) -> (PendingMember, ValidatedJoin) {
    invite_and_join_via(admin, seed, false)
}

/// [`invite_and_join`]; with `reload`, the invitation and the pending joiner pass through
/// save and restore while they wait (spec §5.5, §5.6).
fn invite_and_join_via(
    admin: &mut Group,
    seed: u8,
    reload: bool,
) -> (PendingMember, ValidatedJoin) {
    let draft = admin
        .create_invitation(ConversationId([9; 16]), 1_000_000)
        .unwrap();
    let mut inv = draft.registered();
    if reload {
        inv = crate::invite::Invitation::restore(inv.save().unwrap().as_bytes()).unwrap();
    }
    let uri = inv.uri().unwrap().to_string();
    let (mut pending, redeem) =
        PendingMember::danger_join_with_rng(&uri, ik(seed), "joiner", 10, rng(seed)).unwrap();
    if reload {
        pending = PendingMember::restore(pending.save().unwrap().as_bytes()).unwrap();
    }
    let pj = PendingJoin {
        invite_id: redeem.body.invite_id,
        member_key: redeem.body.member_key,
        sealed: redeem.body.sealed.clone(),
        redeemed_at: Secs(11),
    };
    let joiner = inv.process_join(&pj).unwrap();
    // HRT-INV-63: both sides derive the same short authentication string; the user confirms.
    assert_eq!(pending.sas(), joiner.sas());
    pending.confirm_sas();
    (pending, joiner)
}

/// Adds a member: the admin commits, everyone else processes, the joiner accepts the Welcome.
pub(crate) fn add(groups: &mut Vec<Group>, admin: usize, seed: u8) {
    add_via(groups, admin, seed, None);
}

/// [`add`]; with `reload`, every state passes through it while it waits: the invitation, the
/// pending joiner, the admin holding its pending commit, and the new member.
pub(crate) fn add_via(
    groups: &mut Vec<Group>,
    admin: usize,
    seed: u8,
    reload: Option<fn(&Group) -> Group>,
) {
    let (pending, joiner) = invite_and_join_via(&mut groups[admin], seed, reload.is_some());
    let out = groups[admin]
        .commit(
            vec![Change::Add {
                joiner: Box::new(joiner.confirm_sas_matches()),
                role: Role::Member,
            }],
            0,
        )
        .unwrap();
    if let Some(r) = reload {
        groups[admin] = r(&groups[admin]);
    }
    groups[admin].commit_accepted().unwrap();
    for (i, g) in groups.iter_mut().enumerate() {
        if i != admin {
            g.process_commit(&out.commit).unwrap();
        }
    }
    let g = pending
        .accept_welcome(
            &out.welcomes[0].1,
            out.group_info_ct.as_deref().unwrap_or_default(),
            Some(&out.commit),
            0,
        )
        .unwrap();
    groups.push(match reload {
        Some(r) => r(&g),
        None => g,
    });
}

/// Member `who` commits `changes`; everyone else processes it.
pub(crate) fn commit_all(groups: &mut [Group], who: usize, changes: Vec<Change>) -> Vec<u8> {
    let out = groups[who].commit(changes, 0).unwrap();
    groups[who].commit_accepted().unwrap();
    for (i, g) in groups.iter_mut().enumerate() {
        if i != who {
            g.process_commit(&out.commit).unwrap();
        }
    }
    out.commit
}

/// A channel of `suite` created by the member of `seed`.
pub(crate) fn create_in(seed: u8, suite: Suite) -> Group {
    Group::danger_create_with_suite_rng(host(), ik(seed), 0, suite, rng(seed)).unwrap()
}

/// A channel of `n` members who have all committed once (so all can send).
pub(crate) fn channel(n: usize) -> Vec<Group> {
    channel_in(n, crate::group::SUITE_1)
}

/// [`channel`] of `suite`.
pub(crate) fn channel_in(n: usize, suite: Suite) -> Vec<Group> {
    let mut groups = vec![create_in(1, suite)];
    for i in 1..n {
        add(&mut groups, 0, 10 + i as u8);
        commit_all(&mut groups, i, vec![]);
    }
    groups
}

pub(crate) fn text(s: &str) -> hearth_wire::envelope::Content {
    ContentBuilder::text(s).unwrap().sent_at_ms(1).build()
}

pub(crate) fn assert_converged(groups: &[Group]) {
    let a = groups[0].epoch_authenticator().unwrap().clone();
    for g in groups {
        assert_eq!(g.epoch_authenticator().unwrap(), &a);
        assert_eq!(g.epoch(), groups[0].epoch());
    }
}

pub(crate) fn code(r: Result<impl core::fmt::Debug, ProtocolError>) -> ErrorCode {
    r.err()
        .map(ProtocolError::code)
        .expect("expected a rejection")
}
