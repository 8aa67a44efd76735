//! Suite 2 (spec §3.1, §3.7): X-Wing for init keys, commit seals and Welcomes; the per-invite
//! key and the join request stay X25519 (HRT-CRYPTO-54). A suite-2 group runs every flow of
//! suite 1, and the two suites' objects do not cross.

use super::*;
use crate::group::{SUITE_1, SUITE_2};
use hearth_wire::group::Welcome;
use hearth_wire::invite::InviteUri;
use hearth_wire::join::JoinRequest;
use hearth_wire::KemPublic;

/// The code and detail of a rejection.
fn detail(r: Result<impl core::fmt::Debug, ProtocolError>) -> (ErrorCode, Option<ErrorCode>) {
    let e = r.expect_err("expected a rejection");
    (e.code(), e.detail())
}

/// The suite-2 sizes of Table 12.7b: init keys 1,216 bytes, encapsulations 1,120.
fn assert_xwing_sizes(commit: &[u8]) {
    let c = Commit::decode(commit).unwrap();
    let tbs = c.unverified_tbs().unwrap();
    let tbs = tbs.as_unverified();
    assert_eq!(tbs.suite, SUITE_2);
    assert_eq!(tbs.init_key.as_slice().len(), 1216);
    assert!(tbs
        .sealed
        .as_slice()
        .iter()
        .all(|s| s.enc.as_slice().len() == 1120));
}

/// HRT-CRYPTO-54, HRT-CRYPTO-28, HRT-WIRE-30: a suite-2 group of three creates, adds,
/// commits, sends, removes and survives save and restore; every KEM value has X-Wing's size.
#[test]
fn suite_2_group_of_three_hrt_crypto_54() {
    let mut g = channel_in(3, SUITE_2);
    assert_converged(&g);
    assert_eq!(g[0].epoch(), Some(4));
    for m in &g {
        assert_eq!(m.params().suite(), SUITE_2);
    }
    // The roster holds X-Wing init keys only.
    let st = g[2].active_state().unwrap();
    assert!(st
        .members
        .iter()
        .all(|m| matches!(m.entry.init_key, KemPublic::XWing(_))));
    assert_eq!(st.gc.suite, SUITE_2);
    // An update seals the commit secret to two members under X-Wing.
    let c = commit_all(&mut g, 1, vec![Change::RotateMemberKey]);
    assert_xwing_sizes(&c);
    // Envelopes name suite 2 and open everywhere (HRT-EXT-6).
    let env = g[2].seal(&text("post-quantum"), 0).unwrap();
    assert_eq!(Envelope::decode(&env.bytes).unwrap().suite, SUITE_2);
    for i in [0, 1] {
        let o = g[i].open(&env.bytes).unwrap();
        assert!(matches!(o.body, ContentBody::Text(ref t) if t.text.as_str() == "post-quantum"));
    }
    // Save and restore keep the suite and the X-Wing init key (the seed, HRT-CRYPTO-58).
    let again = Group::restore(g[1].save().unwrap().as_bytes()).unwrap();
    assert_eq!(again.params().suite(), SUITE_2);
    assert_eq!(again.held_secrets(), g[1].held_secrets());
    g[1] = again;
    // Remove leaf 2; the other two follow and the removed member holds nothing.
    let out = g[0].commit(vec![Change::Remove(Leaf(2))], 0).unwrap();
    assert_xwing_sizes(&out.commit);
    g[0].commit_accepted().unwrap();
    g[1].process_commit(&out.commit).unwrap();
    assert_eq!(
        g[2].process_commit(&out.commit).unwrap(),
        CommitOutcome::Removed
    );
    let gone = g.pop().unwrap();
    assert_eq!(gone.held_secrets(), HeldSecrets::default());
    assert_converged(&g);
    let env = g[1].seal(&text("after"), 0).unwrap();
    assert!(g[0].open(&env.bytes).is_ok());
}

/// HRT-WIRE-32, HRT-CRYPTO-54: a suite-2 invitation names suite 2 and is as long as suite 1's;
/// its join request carries an X-Wing init key, the Welcome an X-Wing encapsulation, and the
/// invitation survives save and restore with its suite.
#[test]
fn suite_2_invitation_join_and_welcome_hrt_wire_32() {
    let mut s1 = create_in(1, SUITE_1);
    let mut s2 = create_in(1, SUITE_2);
    let uri = |g: &mut Group| {
        let inv = g
            .create_invitation(ConversationId([9; 16]), 1_000_000)
            .unwrap()
            .registered();
        let inv = crate::invite::Invitation::restore(inv.save().unwrap().as_bytes()).unwrap();
        inv.uri().unwrap().to_string()
    };
    let (u1, u2) = (uri(&mut s1), uri(&mut s2));
    assert_eq!(u1.len(), u2.len());
    assert_eq!(InviteUri::parse(&u2).unwrap().invite.suite, SUITE_2);
    assert_eq!(InviteUri::parse(&u1).unwrap().invite.suite, SUITE_1);

    let (pending, joiner) = invite_and_join(&mut s2, 5);
    assert_eq!(pending.params().suite(), SUITE_2);
    assert!(matches!(joiner.init_key, KemPublic::XWing(_)));
    // A saved validated join keeps its X-Wing init key.
    let joiner = crate::invite::ValidatedJoin::restore(joiner.save().unwrap().as_bytes()).unwrap();
    assert!(matches!(joiner.init_key, KemPublic::XWing(_)));
    let out = s2
        .commit(
            vec![Change::Add {
                joiner: Box::new(joiner.confirm_sas_matches()),
                role: Role::Member,
            }],
            0,
        )
        .unwrap();
    s2.commit_accepted().unwrap();
    let w = Welcome::decode(&out.welcomes[0].1).unwrap();
    assert_eq!(w.suite, SUITE_2);
    assert_eq!(w.joiner_secret.enc.as_slice().len(), 1120);
    // The pending joiner survives save and restore with its X-Wing key.
    let pending = PendingMember::restore(pending.save().unwrap().as_bytes()).unwrap();
    let joined = pending
        .accept_welcome(
            &out.welcomes[0].1,
            out.group_info_ct.as_deref().unwrap(),
            Some(&out.commit),
            0,
        )
        .unwrap();
    assert_eq!(joined.epoch_authenticator(), s2.epoch_authenticator());
    assert_eq!(joined.params().suite(), SUITE_2);
}

/// HRT-EXT-6, HRT-GRP-28: a commit or envelope of the other suite is `unsupported_suite`,
/// in both directions, before any other check.
#[test]
fn other_suite_commit_and_envelope_are_unsupported_suite_hrt_ext_6() {
    let mut a = channel_in(2, SUITE_1);
    let mut b = channel_in(2, SUITE_2);
    let ea = a[1].seal(&text("1"), 0).unwrap().bytes;
    let eb = b[1].seal(&text("2"), 0).unwrap().bytes;
    assert_eq!(code(b[0].open(&ea)), ErrorCode::UNSUPPORTED_SUITE);
    assert_eq!(code(a[0].open(&eb)), ErrorCode::UNSUPPORTED_SUITE);
    let ca = a[0].commit(vec![], 0).unwrap().commit;
    let cb = b[0].commit(vec![], 0).unwrap().commit;
    assert_eq!(code(b[1].process_commit(&ca)), ErrorCode::UNSUPPORTED_SUITE);
    assert_eq!(code(a[1].process_commit(&cb)), ErrorCode::UNSUPPORTED_SUITE);
}

/// Re-encodes a commit's signed part with `suite` (the signature no longer verifies, but the
/// suite and size checks come first).
fn with_suite(commit: &[u8], suite: Suite) -> Vec<u8> {
    let mut c = Commit::decode(commit).unwrap();
    let mut tbs: CommitTbs = c.unverified_tbs().unwrap().danger_assume_verified();
    tbs.suite = suite;
    c.tbs = SignedBytes::from_bytes(tbs.to_vec());
    c.to_vec()
}

/// HRT-WIRE-30: a commit that names the channel's suite but carries the other suite's KEM
/// sizes is `wrong_size`, in both directions.
#[test]
fn other_suite_sizes_are_wrong_size_hrt_wire_30() {
    let mut a = channel_in(2, SUITE_1);
    let mut b = channel_in(2, SUITE_2);
    let ca = a[0].commit(vec![], 0).unwrap().commit;
    let cb = b[0].commit(vec![], 0).unwrap().commit;
    assert_eq!(
        detail(b[1].process_commit(&with_suite(&ca, SUITE_2))),
        (ErrorCode::MALFORMED, Some(ErrorCode::WRONG_SIZE))
    );
    assert_eq!(
        detail(a[1].process_commit(&with_suite(&cb, SUITE_1))),
        (ErrorCode::MALFORMED, Some(ErrorCode::WRONG_SIZE))
    );
}

/// HRT-GRP-60, HRT-EXT-6: a Welcome of a suite-1 channel does not join a suite-2 invitation,
/// and the reverse (`unsupported_suite`); the pending member is given back unchanged.
#[test]
fn other_suite_welcome_is_unsupported_suite_hrt_grp_60() {
    let mut s1 = create_in(1, SUITE_1);
    let mut s2 = create_in(1, SUITE_2);
    let (p1, j1) = invite_and_join(&mut s1, 5);
    let (p2, j2) = invite_and_join(&mut s2, 6);
    let add = |g: &mut Group, j: ValidatedJoin| {
        let out = g
            .commit(
                vec![Change::Add {
                    joiner: Box::new(j.confirm_sas_matches()),
                    role: Role::Member,
                }],
                0,
            )
            .unwrap();
        (out.welcomes[0].1.clone(), out.group_info_ct.unwrap())
    };
    let (w1, gi1) = add(&mut s1, j1);
    let (w2, gi2) = add(&mut s2, j2);
    let r = p2.accept_welcome(&w1, &gi1, None, 0).unwrap_err();
    assert_eq!(r.error.code(), ErrorCode::UNSUPPORTED_SUITE);
    let r = p1.accept_welcome(&w2, &gi2, None, 0).unwrap_err();
    assert_eq!(r.error.code(), ErrorCode::UNSUPPORTED_SUITE);
    // The pending member came back and still accepts its own Welcome.
    assert!(r.pending.accept_welcome(&w1, &gi1, None, 0).is_ok());
}

/// HRT-WIRE-30, HRT-INV-50: a join request whose init key is not of the invitation's suite is
/// `wrong_size` at the inviter; a join of a suite-1 invitation cannot be added to a suite-2
/// channel.
#[test]
fn join_request_of_the_other_suite_is_wrong_size_hrt_wire_30() {
    let mut s2 = create_in(1, SUITE_2);
    let inv = s2
        .create_invitation(ConversationId([9; 16]), 1_000_000)
        .unwrap();
    let mut inv = inv.registered();
    // The joiner builds its join for the invitation's suite; the size rule the inviter
    // applies at step 7 refuses a JoinRequest carrying an X25519 init key.
    let uri = inv.uri().unwrap().to_string();
    let (_pending, redeem) =
        PendingMember::danger_join_with_rng(&uri, ik(7), "j", 10, rng(7)).unwrap();
    let pj = PendingJoin {
        invite_id: redeem.body.invite_id,
        member_key: redeem.body.member_key,
        sealed: redeem.body.sealed.clone(),
        redeemed_at: Secs(11),
    };
    let j = inv.process_join(&pj).unwrap();
    let jr = JoinRequest {
        identity: EdPublic(*j.identity.as_bytes()),
        member_key: EdPublic(*j.member_key.as_bytes()),
        init_key: XPublic([9; 32]).into(),
        member_cert: hearth_wire::Signature(j.cert.to_bytes()),
        name: hearth_wire::BoundedText::new("j").unwrap(),
        ext: None,
    };
    assert_eq!(
        detail(jr.check_suite(SUITE_2).map_err(ProtocolError::from)),
        (ErrorCode::MALFORMED, Some(ErrorCode::WRONG_SIZE))
    );
    // A suite-1 join is refused by a suite-2 channel's commit (it is not this channel's).
    let mut s1 = create_in(2, SUITE_1);
    let (_p, j1) = invite_and_join(&mut s1, 8);
    assert_eq!(
        s2.commit(
            vec![Change::Add {
                joiner: Box::new(j1.confirm_sas_matches()),
                role: Role::Member,
            }],
            0
        )
        .err(),
        Some(ProtocolError::Misuse(Misuse::WrongChannel))
    );
}

/// HRT-CRYPTO-55: an X-Wing init key whose ML-KEM part fails FIPS 203 §7.2 is `invalid_value`
/// in an AddOp (§6.7 rule 6), and the suite-2 commit that carries it is rejected.
#[test]
fn xwing_init_key_failing_the_modulus_check_is_invalid_value_hrt_crypto_55() {
    let bad: KemPublic = hearth_wire::XWingPublic([0xff; 1216]).into();
    assert_eq!(
        detail(crate::kem::check_init_key(&bad)),
        (ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))
    );
    let mut g = channel_in(2, SUITE_2);
    let out = g[0].commit(vec![], 0).unwrap().commit;
    let mut c = Commit::decode(&out).unwrap();
    let mut tbs: CommitTbs = c.unverified_tbs().unwrap().danger_assume_verified();
    tbs.init_key = bad;
    let tbs_bytes = tbs.to_vec();
    // Re-signed by the committer, so that only the key is wrong.
    let mk = g[0].keys.as_ref().unwrap().member_key.clone();
    let sig = sign_with_label(mk.signing_key(), label::COMMIT, bstr(&tbs_bytes));
    c.tbs = SignedBytes::from_bytes(tbs_bytes);
    c.signature = hearth_wire::Signature(sig.to_bytes());
    assert_eq!(
        detail(g[1].process_commit(&c.to_vec())),
        (ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))
    );
}

/// HRT-WIRE-31: a GroupInfo ciphertext over the bound of the channel's suite is
/// `length_exceeded` before it is opened (131,072 bytes in suite 1, 393,216 in suite 2).
#[test]
fn group_info_ct_over_the_suite_bound_is_length_exceeded_hrt_wire_31() {
    for (suite, max) in [(SUITE_1, 131_072usize), (SUITE_2, 393_216)] {
        let mut g = create_in(1, suite);
        let (p, j) = invite_and_join(&mut g, 5);
        let out = g
            .commit(
                vec![Change::Add {
                    joiner: Box::new(j.confirm_sas_matches()),
                    role: Role::Member,
                }],
                0,
            )
            .unwrap();
        let w = &out.welcomes[0].1;
        let r = p.accept_welcome(w, &vec![0; max + 1], None, 0).unwrap_err();
        assert_eq!(
            (r.error.code(), r.error.detail()),
            (ErrorCode::MALFORMED, Some(ErrorCode::LENGTH_EXCEEDED))
        );
        // At the bound it is opened (and fails as a ciphertext).
        let r = r
            .pending
            .accept_welcome(w, &vec![0; max], None, 0)
            .unwrap_err();
        assert_eq!(r.error.code(), ErrorCode::DECRYPT_FAILED);
    }
}

/// HRT-CRYPTO-2, HRT-CRYPTO-56: suites other than 1 and 2 are `unsupported_suite` at creation.
#[test]
fn unknown_suite_is_unsupported_at_creation_hrt_crypto_2() {
    for s in [0u16, 3, 0x0A0A, 65535] {
        let r = Group::create_with_suite(host(), ik(1), 0, Suite(s));
        assert_eq!(code(r), ErrorCode::UNSUPPORTED_SUITE, "{s}");
    }
    assert_eq!(
        Group::create_with_suite(host(), ik(1), 0, SUITE_2)
            .unwrap()
            .params()
            .suite(),
        SUITE_2
    );
}
