//! Recovery commits (spec §6.9.3): members who accepted the named commit and members who
//! rejected it end in the same epoch, and every violation of HRT-GRP-94 is `forbidden`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use hearth_wire::group::{Commit, CommitTbs, GroupOp};
use hearth_wire::{ErrorCode, Leaf, Role, Seq, SignedBytes, WireDecode, WireEncode};

use crate::error::{Misuse, ProtocolError};
use crate::group::{Change, CommitOutcome, Group, Status};
use crate::protocol_tests::{assert_converged, channel, code, commit_all, text};

/// The `seq` the tests give the reported commit `B`.
const B_SEQ: u64 = 42;

/// Decodes a commit, lets `f` change its TBS, and re-signs it with `signer`'s member key.
fn resign(commit: &[u8], signer: &Group, f: impl FnOnce(&mut CommitTbs)) -> Vec<u8> {
    let mut c = Commit::decode(commit).unwrap();
    let mut tbs = c.unverified_tbs().unwrap().danger_assume_verified();
    f(&mut tbs);
    let bytes = tbs.to_vec();
    c.signature = signer.danger_sign_commit_tbs(&bytes).unwrap();
    c.tbs = SignedBytes::from_bytes(bytes);
    c.to_vec()
}

/// `who` builds an empty commit `B` whose confirmation tag is wrong, as a host could make it
/// (the signature does not cover the tag); it installs it as accepted. Every other member
/// rejects it with `bad_confirmation_tag` and halts.
fn wedge_all(g: &mut [Group], who: usize) -> Vec<u8> {
    let mut b = g[who].commit(vec![], 0).unwrap().commit;
    g[who].commit_accepted().unwrap();
    let n = b.len();
    b[n - 1] ^= 1;
    for (i, m) in g.iter_mut().enumerate() {
        if i != who {
            assert_eq!(code(m.process_commit(&b)), ErrorCode::BAD_CONFIRMATION_TAG);
            assert_eq!(m.status(), Status::Halted(ErrorCode::BAD_CONFIRMATION_TAG));
        }
    }
    b
}

/// A message of `from` opens at `to`.
fn talks(g: &mut [Group], from: usize, to: usize) {
    let env = g[from].seal(&text("after recovery"), 0).unwrap();
    g[to].open(&env.bytes).unwrap();
}

#[test]
fn a_wedged_admin_recovers_and_every_member_converges_hrt_grp_93_94() {
    wedged_admin_recovers(crate::group::SUITE_1);
}

/// The same in a suite-2 channel: the recovery commit carries an X-Wing init key (§3.7).
#[test]
fn a_wedged_admin_recovers_in_suite_2_hrt_grp_93_94() {
    wedged_admin_recovers(crate::group::SUITE_2);
}

fn wedged_admin_recovers(suite: hearth_wire::Suite) {
    let mut g = crate::protocol_tests::channel_in(3, suite);
    let b = wedge_all(&mut g, 2);
    // HRT-GRP-89: the wedged members cannot send.
    assert!(g[1].seal(&text("x"), 0).is_err());
    // HRT-GRP-93: the admin (halted at epoch n) builds the recovery commit on epoch n+1.
    let r = g[0].recovery_commit(B_SEQ, &b, 5).unwrap().commit;
    let tbs = Commit::decode(&r).unwrap().unverified_tbs().unwrap();
    let tbs = tbs.as_unverified();
    assert_eq!(tbs.recover, Some(Seq(B_SEQ)));
    assert_eq!(tbs.epoch.0, g[2].epoch().unwrap());
    assert_eq!(tbs.ops.as_slice(), &[GroupOp::Remove { leaf: Leaf(2) }]);
    assert_eq!(g[0].commit_accepted().unwrap(), g[2].epoch().unwrap() + 1);
    assert_eq!(g[0].status(), Status::Active);
    // A member that rejected B and the committer of B, which accepted it.
    assert!(matches!(
        g[1].process_recovery(B_SEQ, &b, &r).unwrap(),
        CommitOutcome::Installed { .. }
    ));
    assert_eq!(g[1].status(), Status::Active);
    assert_eq!(
        g[2].process_recovery(B_SEQ, &b, &r).unwrap(),
        CommitOutcome::Removed
    );
    assert_converged(&g[..2]);
    talks(&mut g, 0, 1);
    talks(&mut g, 1, 0);
}

#[test]
fn members_who_accepted_and_who_rejected_converge_hrt_grp_94() {
    // Leaf 3 commits B; leaves 0 and 2 accept it, leaf 1 rejects it at step 6, as if its
    // sealed secret had been spoiled: it opens with another init key for that one commit.
    let mut g = channel(4);
    let b = g[3].commit(vec![], 0).unwrap().commit;
    g[3].commit_accepted().unwrap();
    g[0].process_commit(&b).unwrap();
    g[2].process_commit(&b).unwrap();
    let own = g[1].keys.as_ref().unwrap().init_key.clone();
    g[1].keys.as_mut().unwrap().init_key =
        crate::keys::InitKey::generate_with(&mut crate::protocol_tests::rng(99)).into();
    assert_eq!(code(g[1].process_commit(&b)), ErrorCode::DECRYPT_FAILED);
    g[1].keys.as_mut().unwrap().init_key = own;
    // The admin accepted B; it recovers from epoch n+1.
    let r = g[0].recovery_commit(B_SEQ, &b, 0).unwrap().commit;
    g[0].commit_accepted().unwrap();
    g[1].process_recovery(B_SEQ, &b, &r).unwrap();
    g[2].process_recovery(B_SEQ, &b, &r).unwrap();
    assert_eq!(
        g[3].process_recovery(B_SEQ, &b, &r).unwrap(),
        CommitOutcome::Removed
    );
    let kept = [g.remove(0), g.remove(0), g.remove(0)];
    let mut kept = kept.into_iter().collect::<Vec<_>>();
    assert_converged(&kept);
    assert_eq!(kept[1].members().len(), 3);
    talks(&mut kept, 1, 2);
    talks(&mut kept, 2, 0);
    // The next ordinary commit works for all of them.
    commit_all(&mut kept, 1, vec![]);
    assert_converged(&kept);
}

#[test]
fn a_recovery_removes_the_leaves_the_bad_commit_added_hrt_grp_94() {
    recovery_removes_added(crate::group::SUITE_1);
}

/// The same in a suite-2 channel (the added leaf's init key is an X-Wing key).
#[test]
fn a_recovery_removes_the_leaves_the_bad_commit_added_in_suite_2_hrt_grp_94() {
    recovery_removes_added(crate::group::SUITE_2);
}

fn recovery_removes_added(suite: hearth_wire::Suite) {
    let mut g = crate::protocol_tests::channel_in(3, suite);
    commit_all(&mut g, 0, vec![Change::SetRole(Leaf(2), Role::Admin)]);
    // Leaf 2, an admin, adds a joiner with a wrong tag.
    let (_pending, joiner) = crate::protocol_tests::invite_and_join(&mut g[2], 77);
    let mut b = g[2]
        .commit(
            vec![Change::Add {
                joiner: Box::new(joiner.confirm_sas_matches()),
                role: Role::Member,
            }],
            0,
        )
        .unwrap()
        .commit;
    let n = b.len();
    b[n - 1] ^= 1;
    for m in &mut g[..2] {
        assert_eq!(code(m.process_commit(&b)), ErrorCode::BAD_CONFIRMATION_TAG);
    }
    let r = g[0].recovery_commit(B_SEQ, &b, 0).unwrap().commit;
    let tbs = Commit::decode(&r).unwrap().unverified_tbs().unwrap();
    assert_eq!(
        tbs.as_unverified().ops.as_slice(),
        &[
            GroupOp::Remove { leaf: Leaf(2) },
            GroupOp::Remove { leaf: Leaf(3) }
        ]
    );
    // Without the added leaf it is forbidden.
    let short = resign(&r, &g[0], |t| {
        t.ops = hearth_wire::BoundedVec::new(vec![GroupOp::Remove { leaf: Leaf(2) }]).unwrap();
    });
    let mut g1 = g[1].danger_clone();
    assert_eq!(
        code(g1.process_recovery(B_SEQ, &b, &short)),
        ErrorCode::FORBIDDEN
    );
    g[0].commit_accepted().unwrap();
    g[1].process_recovery(B_SEQ, &b, &r).unwrap();
    assert_converged(&g[..2]);
    assert_eq!(g[1].members().len(), 2);
}

/// A recovery commit of leaf 0 naming B of leaf 2 in a channel of 3, B with a wrong tag.
fn recovery_case() -> (Vec<Group>, Vec<u8>, Vec<u8>) {
    let mut g = channel(3);
    let b = wedge_all(&mut g, 2);
    let r = g[0].recovery_commit(B_SEQ, &b, 0).unwrap().commit;
    (g, b, r)
}

#[test]
fn recovery_commit_violations_are_forbidden_hrt_grp_94() {
    let (g, b, r) = recovery_case();
    let check = |named_seq: u64, bytes: &[u8]| {
        let mut m = g[1].danger_clone();
        let c = code(m.process_recovery(named_seq, &b, bytes));
        // A wedged member stays halted (HRT-GRP-89).
        assert!(matches!(m.status(), Status::Halted(_)));
        c
    };
    // Names another commit than the latest one.
    assert_eq!(check(B_SEQ + 1, &r), ErrorCode::FORBIDDEN);
    let wrong_seq = resign(&r, &g[0], |t| t.recover = Some(Seq(B_SEQ - 1)));
    assert_eq!(check(B_SEQ, &wrong_seq), ErrorCode::FORBIDDEN);
    // Does not remove B's committer.
    let keeps = resign(&r, &g[0], |t| {
        t.ops = hearth_wire::BoundedVec::new(vec![]).unwrap();
    });
    assert_eq!(check(B_SEQ, &keeps), ErrorCode::FORBIDDEN);
    // Has no key 11 where a recovery commit is due.
    let plain = resign(&r, &g[0], |t| t.recover = None);
    assert_eq!(check(B_SEQ, &plain), ErrorCode::FORBIDDEN);
    // Comes from a member that is not an admin of the base roster.
    let by_member = resign(&r, &g[1], |t| t.committer = Leaf(1));
    assert_eq!(check(B_SEQ, &by_member), ErrorCode::FORBIDDEN);
    // Still subject to every other check of §6.9: a wrong tag.
    let mut bad_tag = r.clone();
    let n = bad_tag.len();
    bad_tag[n - 1] ^= 1;
    assert_eq!(check(B_SEQ, &bad_tag), ErrorCode::BAD_CONFIRMATION_TAG);
    // The honest one is accepted.
    let mut m = g[1].danger_clone();
    m.process_recovery(B_SEQ, &b, &r).unwrap();
}

#[test]
fn a_member_that_accepted_b_rejects_violations_and_halts_hrt_grp_94() {
    let (mut g, b, r) = recovery_case();
    let keeps = resign(&r, &g[0], |t| {
        t.ops = hearth_wire::BoundedVec::new(vec![]).unwrap();
    });
    // Leaf 2 accepted B (its own); a recovery that keeps it is forbidden.
    assert_eq!(
        code(g[2].process_recovery(B_SEQ, &b, &keeps)),
        ErrorCode::FORBIDDEN
    );
    assert_eq!(g[2].status(), Status::Halted(ErrorCode::FORBIDDEN));
}

#[test]
fn process_commit_hands_a_recovery_commit_back_without_halting() {
    let (mut g, _b, r) = recovery_case();
    assert!(matches!(
        g[2].process_commit(&r),
        Err(ProtocolError::Misuse(Misuse::RecoveryCommit))
    ));
    assert_eq!(g[2].status(), Status::Active);
}

#[test]
fn only_an_admin_that_is_not_the_bad_committer_builds_one_hrt_grp_93() {
    let (mut g, b, _r) = recovery_case();
    // A plain member (wedged).
    assert!(matches!(
        g[1].recovery_commit(B_SEQ, &b, 0),
        Err(ProtocolError::Misuse(Misuse::UnauthorisedCommit))
    ));
    // B's committer, made admin for the test: it would have to remove itself.
    let mut g2 = channel(3);
    commit_all(&mut g2, 0, vec![Change::SetRole(Leaf(2), Role::Admin)]);
    let b2 = wedge_all(&mut g2, 2);
    assert!(g2[2].recovery_commit(B_SEQ, &b2, 0).is_err());
}

#[test]
fn a_recovered_member_survives_save_and_restore() {
    let (mut g, b, r) = recovery_case();
    g[0].commit_accepted().unwrap();
    g[1].process_recovery(B_SEQ, &b, &r).unwrap();
    let saved = g[1].save().unwrap();
    g[1] = Group::restore(saved.as_bytes()).unwrap();
    assert_converged(&g[..2]);
    talks(&mut g, 1, 0);
}

#[test]
fn no_message_while_a_left_member_is_in_the_roster_hrt_grp_83() {
    let mut g = channel(3);
    crate::protocol_tests::commits::leave_all(&mut g, 2);
    // HRT-GRP-83: the member commits first; its plain update removes the leaver (HRT-GRP-82).
    assert!(g[1].needs_update(0));
    assert!(matches!(
        g[1].seal(&text("x"), 0),
        Err(ProtocolError::Misuse(Misuse::UpdateRequired))
    ));
    let c = g[1].commit(vec![], 0).unwrap().commit;
    g[1].commit_accepted().unwrap();
    g[0].process_commit(&c).unwrap();
    assert!(!g[1].needs_update(0));
    talks(&mut g, 1, 0);
}
