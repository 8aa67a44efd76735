//! Welcomes and invitations (spec §5, §6.11, §6.12).

use super::*;

// ------------------------------------------------------------------ Welcome and invite negatives

/// A channel of two, a confirmed pending joiner, its Welcome, the GroupInfo ciphertext and the
/// commit that adds it.
fn pending_and_welcome(seed: u8) -> (Vec<Group>, PendingMember, Vec<u8>, Vec<u8>, Vec<u8>) {
    let mut g = channel(2);
    let (pending, joiner) = invite_and_join(&mut g[0], seed);
    let out = g[0]
        .commit(
            vec![Change::Add {
                joiner: Box::new(joiner.confirm_sas_matches()),
                role: Role::Member,
            }],
            0,
        )
        .unwrap();
    let gi = out.group_info_ct.clone().unwrap();
    (g, pending, out.welcomes[0].1.clone(), gi, out.commit)
}

#[test]
fn welcome_from_other_inviter_is_wrong_inviter_hrt_inv_46() {
    let (_g, mut pending, w, gi, c) = pending_and_welcome(60);
    pending.inviter_fpr = hearth_wire::FprPrefix(ik(99).public_key().fingerprint().prefix());
    let r = pending.accept_welcome(&w, &gi, Some(&c), 0);
    assert_eq!(
        r.err().map(|e| e.error.code()),
        Some(ErrorCode::WRONG_INVITER)
    );
}

#[test]
fn welcome_signed_by_non_inviter_member_is_wrong_inviter_hrt_inv_44() {
    // Bob (not the inviter) adds Alice's joiner: the GroupInfo signer's fingerprint differs.
    let mut g = channel(2);
    commit_all(&mut g, 0, vec![Change::SetRole(Leaf(1), Role::Admin)]);
    let (pending, joiner) = invite_and_join(&mut g[0], 61);
    let out = g[1]
        .commit(
            vec![Change::Add {
                joiner: Box::new(joiner.confirm_sas_matches()),
                role: Role::Member,
            }],
            0,
        )
        .unwrap();
    let r = pending.accept_welcome(
        &out.welcomes[0].1,
        out.group_info_ct.as_deref().unwrap_or_default(),
        Some(&out.commit),
        0,
    );
    assert_eq!(
        r.err().map(|e| e.error.code()),
        Some(ErrorCode::WRONG_INVITER)
    );
}

#[test]
fn welcome_for_other_channel_is_welcome_mismatch_hrt_grp_61() {
    let (_g, mut pending, w, gi, _c) = pending_and_welcome(62);
    pending.params.channel_id = ChannelId([5; 16]);
    let r = pending.accept_welcome(&w, &gi, None, 0);
    assert_eq!(
        r.err().map(|e| e.error.code()),
        Some(ErrorCode::WELCOME_MISMATCH)
    );
}

#[test]
fn welcome_for_other_joiner_is_decrypt_failed_hrt_grp_62() {
    let (mut g, pending, _w, _gi, _c) = pending_and_welcome(63);
    g[0].commit_conflict().unwrap();
    let (_p2, joiner2) = invite_and_join(&mut g[0], 64);
    let out = g[0]
        .commit(
            vec![Change::Add {
                joiner: Box::new(joiner2.confirm_sas_matches()),
                role: Role::Member,
            }],
            0,
        )
        .unwrap();
    let r = pending.accept_welcome(
        &out.welcomes[0].1,
        out.group_info_ct.as_deref().unwrap_or_default(),
        None,
        0,
    );
    assert_eq!(
        r.err().map(|e| e.error.code()),
        Some(ErrorCode::DECRYPT_FAILED)
    );
}

#[test]
fn welcome_tampered_group_info_is_decrypt_failed_hrt_grp_80() {
    let (_g, pending, w, mut gi, _c) = pending_and_welcome(65);
    gi[0] ^= 1;
    let r = pending.accept_welcome(&w, &gi, None, 0);
    assert_eq!(
        r.err().map(|e| e.error.code()),
        Some(ErrorCode::DECRYPT_FAILED)
    );
}

#[test]
fn welcome_for_other_conversation_is_welcome_mismatch_hrt_grp_81_inv_71() {
    let (_g, mut pending, w, gi, c) = pending_and_welcome(67);
    pending.conversation = ConversationId([0x77; 16]);
    let r = pending.accept_welcome(&w, &gi, Some(&c), 0);
    assert_eq!(
        r.err().map(|e| e.error.code()),
        Some(ErrorCode::WELCOME_MISMATCH)
    );
}

#[test]
fn welcome_before_sas_confirmation_is_refused_hrt_inv_67() {
    let (_g, mut pending, w, gi, c) = pending_and_welcome(68);
    pending.sas_confirmed = false;
    let r = pending.accept_welcome(&w, &gi, Some(&c), 0);
    let rej = r.err().unwrap();
    assert_eq!(rej.error, ProtocolError::Misuse(Misuse::SasNotConfirmed));
    // Nothing changed: once confirmed, the same Welcome is accepted.
    let mut pending = rej.pending;
    pending.confirm_sas();
    assert!(pending.accept_welcome(&w, &gi, Some(&c), 0).is_ok());
}

#[test]
fn welcome_with_wrong_anchor_is_welcome_mismatch() {
    let (_g, pending, w, gi, _c) = pending_and_welcome(66);
    let mut other = channel(2);
    let unrelated = other[0].commit(vec![], 0).unwrap().commit;
    let r = pending.accept_welcome(&w, &gi, Some(&unrelated), 0);
    assert_eq!(
        r.err().map(|e| e.error.code()),
        Some(ErrorCode::WELCOME_MISMATCH)
    );
}

#[test]
fn expired_invitation_is_invite_expired_hrt_inv_13() {
    let mut g = create(1);
    let inv = g
        .create_invitation(ConversationId([1; 16]), 100)
        .unwrap()
        .registered();
    let uri = inv.uri().unwrap().to_string();
    let r = PendingMember::danger_join_with_rng(&uri, ik(2), "x", 101, rng(2));
    assert_eq!(code(r), ErrorCode::INVITE_EXPIRED);
    assert!(PendingMember::danger_join_with_rng(&uri, ik(2), "x", 100, rng(2)).is_ok());
}

/// A registered invitation of a fresh channel (expiring at 100) and its URI text.
fn invitation() -> (crate::invite::Invitation, String) {
    let mut g = create(1);
    let inv = g
        .create_invitation(ConversationId([1; 16]), 100)
        .unwrap()
        .registered();
    let uri = inv.uri().unwrap().to_string();
    (inv, uri)
}

#[test]
fn replaced_member_key_in_pending_join_is_decrypt_failed_hrt_inv_37() {
    let (mut inv, uri) = invitation();
    let (p, redeem) = PendingMember::danger_join_with_rng(&uri, ik(2), "x", 1, rng(2)).unwrap();
    let pj = PendingJoin {
        invite_id: redeem.body.invite_id,
        member_key: EdPublic(*ik(3).public_key().as_bytes()),
        sealed: redeem.body.sealed.clone(),
        redeemed_at: Secs(1),
    };
    assert_eq!(code(inv.process_join(&pj)), ErrorCode::DECRYPT_FAILED);
    // HRT-INV-62: a join that does not open leaves the invitation open, and the real join
    // served after it is processed.
    assert!(inv.uri().is_some());
    let garbage = PendingJoin {
        sealed: hearth_wire::HpkeSealed {
            enc: XPublic([9; 32]),
            ct: BoundedBytes::new(vec![0; 48]).unwrap(),
        },
        ..pj.clone()
    };
    assert_eq!(code(inv.process_join(&garbage)), ErrorCode::DECRYPT_FAILED);
    let real = PendingJoin {
        member_key: redeem.body.member_key,
        ..pj
    };
    let j = inv.process_join(&real).unwrap();
    assert_eq!(j.sas(), p.sas());
    // HRT-INV-59: the opened join used the invitation up.
    assert!(inv.uri().is_none());
    assert!(matches!(
        inv.process_join(&real),
        Err(ProtocolError::Misuse(_))
    ));
}

#[test]
fn crossed_member_key_does_not_use_the_invitation_up_hrt_inv_62() {
    let (mut inv, uri) = invitation();
    let (_p, redeem) = PendingMember::danger_join_with_rng(&uri, ik(2), "x", 1, rng(2)).unwrap();
    let (_p2, redeem2) = PendingMember::danger_join_with_rng(&uri, ik(4), "y", 1, rng(4)).unwrap();
    // A sealed request of the right invitation under another PendingJoin's member key opens
    // only with that key; here the member key of the second join is paired with the first
    // sealed request: step 1 fails and nothing is used up.
    let crossed = PendingJoin {
        invite_id: redeem.body.invite_id,
        member_key: redeem2.body.member_key,
        sealed: redeem.body.sealed.clone(),
        redeemed_at: Secs(1),
    };
    assert_eq!(code(inv.process_join(&crossed)), ErrorCode::DECRYPT_FAILED);
    assert!(inv.is_open());
    let first = PendingJoin {
        member_key: redeem.body.member_key,
        ..crossed
    };
    assert!(inv.process_join(&first).is_ok());
    assert!(!inv.is_open());
}

#[test]
fn sas_display_and_distinct_joins_hrt_inv_63_64() {
    assert_eq!(
        crate::invite::Sas::from_value(42917).unwrap().to_string(),
        "042 917"
    );
    assert_eq!(
        crate::invite::Sas::from_value(7).unwrap().to_string(),
        "000 007"
    );
    assert!(crate::invite::Sas::from_value(1_000_000).is_none());
    // Two joins of one invitation by two people get (almost surely) different codes, and
    // each side agrees with its own join only.
    let (_inv, uri) = invitation();
    let (a, _) = PendingMember::danger_join_with_rng(&uri, ik(2), "a", 1, rng(2)).unwrap();
    let (b, _) = PendingMember::danger_join_with_rng(&uri, ik(3), "b", 1, rng(3)).unwrap();
    assert_ne!(a.sas(), b.sas());
}

#[test]
fn join_request_checks_hrt_inv_39() {
    let (mut inv, uri) = invitation();
    let (_p, redeem) = PendingMember::danger_join_with_rng(&uri, ik(2), "x", 1, rng(2)).unwrap();
    // An unrelated invitation id is left alone and keeps the keys.
    let mut other = PendingJoin {
        invite_id: hearth_wire::Nonce16([0; 16]),
        member_key: redeem.body.member_key,
        sealed: redeem.body.sealed.clone(),
        redeemed_at: Secs(1),
    };
    assert!(matches!(
        inv.process_join(&other),
        Err(ProtocolError::Misuse(_))
    ));
    assert!(inv.uri().is_some());
    other.invite_id = redeem.body.invite_id;
    let j = inv.process_join(&other).unwrap();
    assert_eq!(j.proposed_name(), "x");
    assert_eq!(j.fingerprint(), ik(2).public_key().fingerprint());
}
