//! Happy paths, deletion duties and the property test over random interleavings.

use super::*;

// ------------------------------------------------------------------ happy paths

#[test]
fn create_add_message_remove_hrt_grp_10_hrt_rat_16() {
    let mut g = channel(3);
    assert_converged(&g);
    assert_eq!(g[0].epoch(), Some(4));
    let env = g[1].seal(&text("hello"), 0).unwrap();
    for i in [0, 2] {
        let o = g[i].open(&env.bytes).unwrap();
        assert!(matches!(o.body, ContentBody::Text(ref t) if t.text.as_str() == "hello"));
        assert_eq!(o.msg_ref, env.msg_ref);
    }
    // Remove Bob (leaf 1).
    let out = g[0].commit(vec![Change::Remove(Leaf(1))], 0).unwrap();
    g[0].commit_accepted().unwrap();
    assert_eq!(
        g[1].process_commit(&out.commit).unwrap(),
        CommitOutcome::Removed
    );
    g[2].process_commit(&out.commit).unwrap();
    let bob = g.remove(1);
    assert_converged(&g);
    assert_eq!(bob.status(), Status::Removed);
    // HRT-GRP-46: the removed member holds nothing.
    assert_eq!(bob.held_secrets(), HeldSecrets::default());
    let env = g[1].seal(&text("after"), 0).unwrap();
    assert!(g[0].open(&env.bytes).is_ok());
}

#[test]
fn joiner_must_commit_before_sending_hrt_rat_17() {
    let mut g = vec![create(1)];
    add(&mut g, 0, 2);
    assert!(g[1].needs_update(0));
    assert_eq!(
        g[1].seal(&text("x"), 0).err(),
        Some(ProtocolError::Misuse(Misuse::UpdateRequired))
    );
    commit_all(&mut g, 1, vec![]);
    assert!(!g[1].needs_update(0));
    let env = g[1].seal(&text("x"), 0).unwrap();
    assert!(g[0].open(&env.bytes).is_ok());
}

#[test]
fn update_cadence_hrt_rat_18_hrt_rat_19() {
    let mut g = channel(2);
    for _ in 0..100 {
        g[0].seal(&text("x"), 0).unwrap();
    }
    assert!(g[0].needs_update(0));
    assert_eq!(
        g[0].seal(&text("x"), 0).err(),
        Some(ProtocolError::Misuse(Misuse::UpdateRequired))
    );
    let week = crate::group::UPDATE_AFTER_SECS;
    assert!(g[1].needs_update(week + 1));
    assert!(g[1].seal(&text("x"), week + 1).is_err());
    assert!(g[1].seal(&text("x"), week).is_ok());
}

#[test]
fn rotate_role_ext_commits_converge_hrt_grp_12() {
    let mut g = channel(3);
    commit_all(&mut g, 1, vec![Change::RotateMemberKey]);
    commit_all(&mut g, 0, vec![Change::SetRole(Leaf(2), Role::Admin)]);
    let mut ext = hearth_wire::ExtMap::new();
    ext.insert(1000, hearth_wire::RawValue::from_value(&7u64))
        .unwrap();
    commit_all(&mut g, 2, vec![Change::SetExtensions(ext)]);
    assert_converged(&g);
    assert_eq!(g[0].members()[2].role, Role::Admin);
    let env = g[1].seal(&text("rotated"), 0).unwrap();
    assert!(g[2].open(&env.bytes).is_ok());
}

#[test]
fn exporter_agrees_hrt_grp_9() {
    let g = channel(2);
    let l = label::ExporterLabel::new("call").unwrap();
    let a = g[0].export(&l, b"ctx", 42).unwrap();
    let b = g[1].export(&l, b"ctx", 42).unwrap();
    assert_eq!(*a, *b);
    assert_ne!(*a, *g[1].export(&l, b"other", 42).unwrap());
}

#[test]
fn concurrent_commits_loser_rebases_hrt_grp_48() {
    let mut g = channel(3);
    let a = g[0].commit(vec![], 0).unwrap();
    let b = g[1].commit(vec![], 0).unwrap();
    assert!(g[1].held_secrets().pending_commit);
    // The host accepts Alice's, answers Bob's with epoch_conflict.
    g[0].commit_accepted().unwrap();
    g[1].commit_conflict().unwrap();
    assert!(!g[1].held_secrets().pending_commit);
    assert_eq!(g[1].held_secrets().init_keys.len(), 1);
    g[1].process_commit(&a.commit).unwrap();
    g[2].process_commit(&a.commit).unwrap();
    assert_converged(&g);
    // Bob's discarded commit is now for an old epoch.
    assert_eq!(code(g[2].process_commit(&b.commit)), ErrorCode::WRONG_EPOCH);
}

#[test]
fn own_commit_from_log_installs_pending_hrt_grp_50() {
    let mut g = channel(2);
    let out = g[0].commit(vec![], 0).unwrap();
    assert_eq!(
        g[0].seal(&text("x"), 0).err(),
        Some(ProtocolError::Misuse(Misuse::CommitPending))
    );
    assert!(matches!(
        g[0].process_commit(&out.commit).unwrap(),
        CommitOutcome::OwnCommit { .. }
    ));
    g[1].process_commit(&out.commit).unwrap();
    assert_converged(&g);
}

// ------------------------------------------------------------------ deletion duties

#[test]
fn installing_an_epoch_deletes_the_old_one_hrt_rat_13_grp_24() {
    let mut g = channel(2);
    let e: Vec<Vec<u8>> = (0..3)
        .map(|_| g[0].seal(&text("x"), 0).unwrap().bytes)
        .collect();
    g[1].open(&e[2]).unwrap();
    let before = g[1].held_secrets();
    assert_eq!(before.skipped_keys.len(), 2);
    assert!(!before.app_secret);
    let old_init = before.init_keys.clone();
    commit_all(&mut g, 1, vec![]);
    let after = g[1].held_secrets();
    assert_eq!(after.epoch, before.epoch.map(|e| e + 1));
    assert!(after.skipped_keys.is_empty());
    assert_eq!(after.init_keys.len(), 1);
    assert_ne!(
        after.init_keys, old_init,
        "the replaced init key is deleted"
    );
    assert!(after.chains.iter().all(|(_, gen)| *gen == 0));
}

#[test]
fn sender_deletes_used_keys_hrt_rat_6() {
    let mut g = channel(2);
    g[0].seal(&text("x"), 0).unwrap();
    let me = g[0].me as u8;
    let held = g[0].held_secrets();
    assert!(held.chains.contains(&(me, 1)));
    assert!(held.skipped_keys.is_empty());
}

// ------------------------------------------------------------------ property test

mod prop {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Step {
        Add,
        Remove(usize),
        Update(usize),
        Message(usize),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            2 => Just(Step::Add),
            1 => (0usize..16).prop_map(Step::Remove),
            1 => (0usize..16).prop_map(Step::Update),
            3 => (0usize..16).prop_map(Step::Message),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 8, .. ProptestConfig::default() })]

        /// Any sequence of adds, removes, updates and messages among up to 16 members leaves
        /// every member with the same epoch authenticator, and every message opens exactly once
        /// at every other current member; removed members cannot open (HRT-GRP-5, HRT-RAT-1).
        #[test]
        fn members_converge_and_messages_open_once(steps in proptest::collection::vec(step(), 1..14)) {
            let mut g = vec![create(1)];
            let mut removed: Vec<Group> = Vec::new();
            let mut seed = 20u8;
            for s in steps {
                match s {
                    Step::Add if g.len() < 16 => {
                        seed = seed.wrapping_add(1);
                        add(&mut g, 0, seed);
                        let new = g.len() - 1;
                        commit_all(&mut g, new, vec![]);
                    }
                    Step::Remove(i) if g.len() > 1 => {
                        let leaf = 1 + i % (g.len() - 1);
                        let out = g[0].commit(vec![Change::Remove(Leaf(leaf as u8))], 0).unwrap();
                        g[0].commit_accepted().unwrap();
                        for (j, m) in g.iter_mut().enumerate() {
                            if j == 0 { continue; }
                            let r = m.process_commit(&out.commit).unwrap();
                            prop_assert_eq!(j == leaf, r == CommitOutcome::Removed);
                        }
                        removed.push(g.remove(leaf));
                    }
                    Step::Update(i) => {
                        let who = i % g.len();
                        commit_all(&mut g, who, vec![]);
                    }
                    Step::Message(i) => {
                        let who = i % g.len();
                        let env = g[who].seal(&text("p"), 0).unwrap();
                        for (j, m) in g.iter_mut().enumerate() {
                            if j == who { continue; }
                            let o = m.open(&env.bytes).unwrap();
                            prop_assert_eq!(o.sender, Leaf(who as u8));
                            prop_assert_eq!(m.open(&env.bytes).err().map(|e| e.code()), Some(ErrorCode::DUPLICATE_MESSAGE));
                        }
                        for r in removed.iter_mut() {
                            prop_assert!(r.open(&env.bytes).is_err());
                        }
                    }
                    _ => {}
                }
                assert_converged(&g);
            }
        }
    }
}
