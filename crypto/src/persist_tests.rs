//! Tests of saved states (spec §6.1, §6.16): a restored member behaves exactly as the saved
//! one would have, and a damaged saved state is refused with a typed error, never a panic.

use hearth_wire::request::PendingJoin;
use hearth_wire::{ConversationId, Role, Secs, WireError};
use proptest::prelude::*;

use crate::error::{Misuse, ProtocolError};
use crate::group::{Change, CommitOutcome, Group, HeldSecrets, PendingMember, Status};
use crate::invite::{Invitation, ValidatedJoin};
use crate::protocol_tests::{
    add, add_via, assert_converged, channel, code, commit_all, ik, invite_and_join, rng, text,
};
use crate::SavedState;
use hearth_wire::ErrorCode;

fn reload(g: &Group) -> Group {
    let saved = g.save().unwrap();
    let r = Group::restore(saved.as_bytes()).unwrap();
    // One canonical encoding: the restored group saves to the same bytes.
    assert_eq!(r.save().unwrap().as_bytes(), saved.as_bytes());
    assert_eq!(r.held_secrets(), g.held_secrets());
    assert_eq!(r.epoch_authenticator(), g.epoch_authenticator());
    assert_eq!(r.group_context_hash(), g.group_context_hash());
    assert_eq!(r.members(), g.members());
    assert_eq!(
        (r.status(), r.my_leaf(), r.member_key(), r.params()),
        (g.status(), g.my_leaf(), g.member_key(), g.params())
    );
    for now in [0, crate::group::UPDATE_AFTER_SECS + 1] {
        assert_eq!(r.needs_update(now), g.needs_update(now));
    }
    r
}

// ------------------------------------------------------------------ random sequences

/// A tiny deterministic generator driven by the proptest input.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: usize) -> usize {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z % n.max(1) as u64) as usize
    }
}

/// Delivers every queued envelope, each receiver in its own random order; each opens exactly
/// once and its replay is `duplicate_message` (HRT-RAT-9).
fn flush(groups: &mut [Group], queues: &mut [Vec<(Vec<u8>, String)>], dice: &mut Dice) {
    for (g, q) in groups.iter_mut().zip(queues.iter_mut()) {
        while !q.is_empty() {
            deliver_one(g, q, dice);
        }
    }
}

fn deliver_one(g: &mut Group, q: &mut Vec<(Vec<u8>, String)>, dice: &mut Dice) {
    let (env, body) = q.swap_remove(dice.below(q.len()));
    let o = g.open(&env).unwrap();
    assert_eq!(o.content, text(&body));
    assert_eq!(code(g.open(&env)), ErrorCode::DUPLICATE_MESSAGE);
}

fn run_sequence(seed: u64, steps: usize) {
    let mut dice = Dice(seed);
    let mut groups = channel(2);
    let mut queues: Vec<Vec<(Vec<u8>, String)>> = vec![Vec::new(); groups.len()];
    let mut next_seed = 40u8;
    let mut msg = 0u32;
    for _ in 0..steps {
        match dice.below(10) {
            // Add a member (the admin at index 0 invites), sometimes saving the joiner's
            // pending state and the invitation across the wait.
            0 if groups.len() < 5 => {
                flush(&mut groups, &mut queues, &mut dice);
                let s = next_seed;
                next_seed += 1;
                if dice.below(2) == 0 {
                    add(&mut groups, 0, s);
                } else {
                    add_via(&mut groups, 0, s, Some(reload));
                }
                queues.push(Vec::new());
                let j = groups.len() - 1;
                commit_all(&mut groups, j, vec![]);
                assert_converged(&groups);
            }
            // Remove a member other than the admin.
            1 if groups.len() > 2 => {
                flush(&mut groups, &mut queues, &mut dice);
                let i = 1 + dice.below(groups.len() - 1);
                let leaf = groups[i].my_leaf();
                commit_all(&mut groups, 0, vec![Change::Remove(leaf)]);
                let removed = groups.remove(i);
                queues.remove(i);
                assert_eq!(removed.status(), Status::Removed);
                let r = reload(&removed);
                assert_eq!(r.status(), Status::Removed);
                assert_eq!(r.held_secrets(), HeldSecrets::default());
                assert_converged(&groups);
            }
            // An update (empty commit or member key rotation), sometimes with the pending
            // commit saved and restored before `commit_accepted`.
            2 => {
                flush(&mut groups, &mut queues, &mut dice);
                let who = dice.below(groups.len());
                let changes = if dice.below(2) == 0 {
                    vec![]
                } else {
                    vec![Change::RotateMemberKey]
                };
                let out = groups[who].commit(changes, 0).unwrap();
                if dice.below(2) == 0 {
                    groups[who] = reload(&groups[who]);
                }
                groups[who].commit_accepted().unwrap();
                for (i, g) in groups.iter_mut().enumerate() {
                    if i != who {
                        g.process_commit(&out.commit).unwrap();
                    }
                }
                assert_converged(&groups);
            }
            // Messages: queued for every other current member.
            3..=5 => {
                let who = dice.below(groups.len());
                for _ in 0..=dice.below(3) {
                    msg += 1;
                    let body = format!("m{msg}");
                    let env = groups[who].seal(&text(&body), 0).unwrap().bytes;
                    for (i, q) in queues.iter_mut().enumerate() {
                        if i != who {
                            q.push((env.clone(), body.clone()));
                        }
                    }
                }
            }
            // Deliver one queued message to one member (out of order: skipped keys).
            6 | 7 => {
                let i = dice.below(groups.len());
                if !queues[i].is_empty() {
                    deliver_one(&mut groups[i], &mut queues[i], &mut dice);
                }
            }
            // Save and restore a random member.
            _ => {
                let i = dice.below(groups.len());
                groups[i] = reload(&groups[i]);
            }
        }
    }
    flush(&mut groups, &mut queues, &mut dice);
    assert_converged(&groups);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_with_restores_converge(seed in any::<u64>()) {
        run_sequence(seed, 30);
    }
}

// ------------------------------------------------------------------ targeted

#[test]
fn pending_commit_survives_restore_hrt_grp_23() {
    let mut g = channel(3);
    let out = g[1].commit(vec![Change::RotateMemberKey], 0).unwrap();
    let mut r = reload(&g[1]);
    assert!(r.held_secrets().pending_commit);
    assert_eq!(r.commit_accepted(), Ok(g[1].epoch().unwrap() + 1));
    g[1] = r;
    g[0].process_commit(&out.commit).unwrap();
    g[2].process_commit(&out.commit).unwrap();
    assert_converged(&g);

    // The restored committer also recognises its pending commit in the log (HRT-GRP-50).
    let out = g[2].commit(vec![], 0).unwrap();
    let mut r = reload(&g[2]);
    assert!(matches!(
        r.process_commit(&out.commit),
        Ok(CommitOutcome::OwnCommit { .. })
    ));
    g[2] = r;
    g[0].process_commit(&out.commit).unwrap();
    g[1].process_commit(&out.commit).unwrap();
    assert_converged(&g);
    let env = g[1].seal(&text("after"), 0).unwrap().bytes;
    assert!(g[0].open(&env).is_ok());
    assert!(g[2].open(&env).is_ok());
}

#[test]
fn replay_after_restore_is_duplicate_hrt_rat_9() {
    let mut g = channel(2);
    let env = g[0].seal(&text("x"), 0).unwrap().bytes;
    assert!(g[1].open(&env).is_ok());
    let mut r = reload(&g[1]);
    assert_eq!(code(r.open(&env)), ErrorCode::DUPLICATE_MESSAGE);
    // The sender's own generation counter survives too: no generation is reused.
    let mut s = reload(&g[0]);
    let env2 = s.seal(&text("y"), 0).unwrap();
    assert_eq!(env2.generation, 1);
    assert!(r.open(&env2.bytes).is_ok());
}

#[test]
fn update_counters_survive_restore_hrt_rat_18_hrt_rat_19() {
    let mut g = channel(2);
    for _ in 0..crate::group::UPDATE_AFTER_MESSAGES {
        g[0].seal(&text("x"), 0).unwrap();
    }
    let mut r = reload(&g[0]);
    assert_eq!(
        r.seal(&text("x"), 0).err(),
        Some(ProtocolError::Misuse(Misuse::UpdateRequired))
    );
    let mut r = reload(&g[1]);
    assert_eq!(
        r.seal(&text("x"), crate::group::UPDATE_AFTER_SECS + 1)
            .err(),
        Some(ProtocolError::Misuse(Misuse::UpdateRequired))
    );
    assert!(r.seal(&text("x"), 5).is_ok());
}

#[test]
fn skipped_keys_survive_restore_hrt_rat_8_hrt_rat_12() {
    let mut g = channel(2);
    let e: Vec<Vec<u8>> = (0..4)
        .map(|_| g[0].seal(&text("x"), 0).unwrap().bytes)
        .collect();
    assert!(g[1].open(&e[3]).is_ok());
    let mut r = reload(&g[1]);
    assert_eq!(r.held_secrets().skipped_keys, vec![(0, 0), (0, 1), (0, 2)]);
    assert!(r.open(&e[1]).is_ok());
    let mut r = reload(&r);
    assert!(r.open(&e[0]).is_ok());
    assert!(r.open(&e[2]).is_ok());
    assert!(r.held_secrets().skipped_keys.is_empty());
    for x in &e {
        assert_eq!(code(r.open(x)), ErrorCode::DUPLICATE_MESSAGE);
    }
}

#[test]
fn removed_member_restores_removed_without_secrets_hrt_grp_46() {
    let mut g = channel(3);
    commit_all(&mut g, 0, vec![Change::Remove(hearth_wire::Leaf(2))]);
    assert_eq!(g[2].status(), Status::Removed);
    let r = reload(&g[2]);
    assert_eq!(r.status(), Status::Removed);
    assert_eq!(r.epoch(), None);
    assert_eq!(r.held_secrets(), HeldSecrets::default());
    let mut r = r;
    assert_eq!(
        r.seal(&text("x"), 0).err(),
        Some(ProtocolError::Misuse(Misuse::Removed))
    );
}

#[test]
fn halted_member_restores_halted() {
    let mut g = channel(2);
    assert!(g[1].process_commit(&[0x80]).is_err());
    let Status::Halted(c) = g[1].status() else {
        panic!("not halted")
    };
    let r = reload(&g[1]);
    assert_eq!(r.status(), Status::Halted(c));
}

#[test]
fn pending_member_restored_accepts_welcome_hrt_grp_57() {
    let mut groups = channel(2);
    let (pending, joiner) = invite_and_join(&mut groups[0], 30);
    let mk = pending.member_key().public_key();
    let saved = pending.save().unwrap();
    drop(pending);
    let pending = PendingMember::restore(saved.as_bytes()).unwrap();
    assert_eq!(pending.member_key().public_key(), mk);
    assert_eq!(pending.save().unwrap().as_bytes(), saved.as_bytes());
    let out = groups[0]
        .commit(
            vec![Change::Add {
                joiner: Box::new(joiner.confirm_sas_matches()),
                role: Role::Member,
            }],
            0,
        )
        .unwrap();
    groups[0].commit_accepted().unwrap();
    groups[1].process_commit(&out.commit).unwrap();
    let g = pending
        .accept_welcome(
            &out.welcomes[0].1,
            out.group_info_ct.as_deref().unwrap_or_default(),
            Some(&out.commit),
            0,
        )
        .unwrap();
    groups.push(g);
    assert_converged(&groups);
}

#[test]
fn invitation_restored_processes_join_hrt_inv_35() {
    let mut groups = channel(2);
    let inv = groups[0]
        .create_invitation(ConversationId([7; 16]), 1_000_000)
        .unwrap()
        .registered();
    let uri = inv.uri().unwrap().to_string();
    let saved = inv.save().unwrap();
    drop(inv);
    let mut inv = Invitation::restore(saved.as_bytes()).unwrap();
    assert_eq!(inv.uri().unwrap().to_string(), uri);
    assert_eq!(inv.save().unwrap().as_bytes(), saved.as_bytes());
    let (mut pending, redeem) =
        PendingMember::danger_join_with_rng(&uri, ik(50), "j", 10, rng(50)).unwrap();
    pending.confirm_sas();
    let pj = PendingJoin {
        invite_id: redeem.body.invite_id,
        member_key: redeem.body.member_key,
        sealed: redeem.body.sealed.clone(),
        redeemed_at: Secs(11),
    };
    let joiner = inv.process_join(&pj).unwrap();
    // A join waiting for the comparison (spec §5.8.1) passes through save and restore unchanged.
    let saved_join = joiner.save().unwrap();
    let joiner = ValidatedJoin::restore(saved_join.as_bytes()).unwrap();
    assert_eq!(joiner.save().unwrap().as_bytes(), saved_join.as_bytes());
    assert_eq!(joiner.sas(), pending.sas());
    // Used (HRT-INV-59): the saved state now holds only the invite id.
    let used = Invitation::restore(inv.save().unwrap().as_bytes()).unwrap();
    assert!(used.uri().is_none());
    assert_eq!(used.invite_id(), inv.invite_id());
    let out = groups[0]
        .commit(
            vec![Change::Add {
                joiner: Box::new(joiner.confirm_sas_matches()),
                role: Role::Member,
            }],
            0,
        )
        .unwrap();
    groups[0].commit_accepted().unwrap();
    groups[1].process_commit(&out.commit).unwrap();
    let g = pending
        .accept_welcome(
            &out.welcomes[0].1,
            out.group_info_ct.as_deref().unwrap_or_default(),
            Some(&out.commit),
            0,
        )
        .unwrap();
    groups.push(g);
    assert_converged(&groups);
}

// ------------------------------------------------------------------ negative

/// A group with a bit of everything: a pending commit, skipped keys, opened generations.
fn rich() -> Group {
    let mut g = channel(3);
    let e: Vec<Vec<u8>> = (0..3)
        .map(|_| g[0].seal(&text("x"), 0).unwrap().bytes)
        .collect();
    g[1].open(&e[2]).unwrap();
    g[1].commit(vec![Change::RotateMemberKey], 0).unwrap();
    g.swap_remove(1)
}

fn pending_member() -> PendingMember {
    let mut g = channel(1);
    invite_and_join(&mut g[0], 60).0
}

fn invitation() -> Invitation {
    let mut g = channel(1);
    g[0].create_invitation(ConversationId([1; 16]), 5)
        .unwrap()
        .registered()
}

fn validated_join() -> ValidatedJoin {
    let mut g = channel(1);
    invite_and_join(&mut g[0], 61).1
}

fn all_saved() -> Vec<(&'static str, SavedState)> {
    vec![
        ("group", rich().save().unwrap()),
        ("pending member", pending_member().save().unwrap()),
        ("invitation", invitation().save().unwrap()),
        ("validated join", validated_join().save().unwrap()),
    ]
}

fn restore_any(kind: &str, b: &[u8]) -> Result<Vec<u8>, ProtocolError> {
    match kind {
        "group" => Group::restore(b).map(|g| g.save().unwrap().as_bytes().to_vec()),
        "pending member" => {
            PendingMember::restore(b).map(|g| g.save().unwrap().as_bytes().to_vec())
        }
        "validated join" => {
            ValidatedJoin::restore(b).map(|g| g.save().unwrap().as_bytes().to_vec())
        }
        _ => Invitation::restore(b).map(|g| g.save().unwrap().as_bytes().to_vec()),
    }
}

#[test]
fn every_truncation_is_refused() {
    for (kind, saved) in all_saved() {
        let b = saved.as_bytes();
        for i in 0..b.len() {
            assert_eq!(
                restore_any(kind, &b[..i]).err(),
                Some(ProtocolError::BadSavedState),
                "{kind} truncated to {i}"
            );
        }
        let mut longer = b.to_vec();
        longer.push(0);
        assert_eq!(
            restore_any(kind, &longer).err(),
            Some(ProtocolError::BadSavedState)
        );
    }
}

#[test]
fn flipped_bytes_never_panic_and_stay_canonical() {
    for (kind, saved) in all_saved() {
        let b = saved.as_bytes();
        for i in 0..b.len() {
            for mask in [1u8 << (i % 8), 0xff] {
                let mut m = b.to_vec();
                m[i] ^= mask;
                match restore_any(kind, &m) {
                    // Whatever restores is canonical: it saves to the same bytes.
                    Ok(again) => assert_eq!(again, m, "{kind} byte {i}"),
                    Err(e) => assert!(
                        e == ProtocolError::BadSavedState
                            || e == ProtocolError::Wire(WireError::UnsupportedVersion),
                        "{kind} byte {i}: {e:?}"
                    ),
                }
            }
        }
    }
}

#[test]
fn unknown_version_and_other_kinds_are_refused() {
    let saved = all_saved();
    for (kind, s) in &saved {
        let mut b = s.as_bytes().to_vec();
        // [format, kind, body]: byte 1 is the format version.
        assert_eq!(b[1], 1);
        b[1] = 2;
        assert_eq!(
            restore_any(kind, &b).err(),
            Some(ProtocolError::Wire(WireError::UnsupportedVersion))
        );
        assert_eq!(
            restore_any(kind, &b).err().map(ProtocolError::code),
            Some(ErrorCode::UNSUPPORTED_VERSION)
        );
        for (other, _) in &saved {
            if other != kind {
                assert_eq!(
                    restore_any(other, s.as_bytes()).err(),
                    Some(ProtocolError::BadSavedState)
                );
            }
        }
    }
    assert_eq!(ProtocolError::BadSavedState.code(), ErrorCode::MALFORMED);
}

#[test]
fn inconsistent_states_are_refused() {
    let refused = |g: &Group| {
        assert_eq!(
            Group::restore(g.save().unwrap().as_bytes()).err(),
            Some(ProtocolError::BadSavedState)
        );
    };
    // The own leaf outside the roster, or another member's leaf.
    let mut g = channel(2);
    g[0].me = 2;
    refused(&g[0]);
    g[0].me = 1;
    refused(&g[0]);
    g[0].me = 0;
    // Per-leaf state of the wrong length.
    g[0].state.as_mut().unwrap().needs_update.push(false);
    refused(&g[0]);
    g[0].state.as_mut().unwrap().needs_update.pop();
    g[0].state.as_mut().unwrap().left.pop();
    refused(&g[0]);
    g[0].state.as_mut().unwrap().left.push(false);
    // Ratchets for another roster size.
    let other = channel(3);
    let saved_r = other[0].state.as_ref().unwrap().ratchets.clone();
    let mine = core::mem::replace(&mut g[0].state.as_mut().unwrap().ratchets, saved_r);
    refused(&g[0]);
    g[0].state.as_mut().unwrap().ratchets = mine;
    // A gc_hash that is not the GroupContext's.
    g[0].state.as_mut().unwrap().gc_hash[0] ^= 1;
    refused(&g[0]);
    g[0].state.as_mut().unwrap().gc_hash[0] ^= 1;
    // Removed, yet holding the epoch.
    g[0].status = Status::Removed;
    refused(&g[0]);
    g[0].status = Status::Active;
    // Another member's keys.
    let k = g[1].keys.clone();
    let mine = core::mem::replace(&mut g[0].keys, k);
    refused(&g[0]);
    g[0].keys = mine;
    // And the original still restores.
    assert!(Group::restore(g[0].save().unwrap().as_bytes()).is_ok());
}

#[test]
fn saved_state_debug_shows_no_contents() {
    let s = rich().save().unwrap();
    assert_eq!(
        format!("{s:?}"),
        format!("SavedState({} bytes)", s.as_bytes().len())
    );
}
