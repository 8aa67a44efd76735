//! Commit processing and its checks (spec §6.8 to §6.10).

use super::*;

// ------------------------------------------------------------------ commit negatives

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

fn reject_commit(g: &mut Group, bytes: &[u8]) -> ErrorCode {
    let before = (
        g.epoch(),
        g.held_secrets(),
        g.epoch_authenticator().cloned(),
    );
    let r = g.process_commit(bytes);
    // HRT-GRP-41: nothing changed, and the group halts (HRT-GRP-89).
    assert_eq!(
        (
            g.epoch(),
            g.held_secrets(),
            g.epoch_authenticator().cloned()
        ),
        before
    );
    let c = code(r);
    assert_eq!(g.status(), Status::Halted(c));
    c
}

#[test]
fn commit_bad_signature_hrt_grp_32() {
    let mut g = channel(3);
    let mut out = g[0].commit(vec![], 0).unwrap().commit;
    let n = out.len();
    out[n - 40] ^= 1; // inside the signature
    assert_eq!(reject_commit(&mut g[1], &out), ErrorCode::BAD_SIGNATURE);
}

#[test]
fn commit_signed_by_other_member_is_bad_signature_hrt_grp_32() {
    let mut g = channel(3);
    let out = g[0].commit(vec![], 0).unwrap().commit;
    let forged = resign(&out, &g[1], |_| {});
    assert_eq!(reject_commit(&mut g[2], &forged), ErrorCode::BAD_SIGNATURE);
}

#[test]
fn commit_wrong_tag_hrt_grp_40() {
    let mut g = channel(3);
    let mut out = g[0].commit(vec![], 0).unwrap().commit;
    let n = out.len();
    out[n - 1] ^= 1;
    assert_eq!(
        reject_commit(&mut g[1], &out),
        ErrorCode::BAD_CONFIRMATION_TAG
    );
}

#[test]
fn commit_missing_sealed_secret_hrt_grp_35() {
    let mut g = channel(3);
    let out = g[0].commit(vec![], 0).unwrap().commit;
    let bad = resign(&out, &g[0], |t| {
        let mut v = t.sealed.as_slice().to_vec();
        v.pop();
        t.sealed = BoundedVec::new(v).unwrap();
    });
    assert_eq!(
        reject_commit(&mut g[1], &bad),
        ErrorCode::BAD_SEALED_SECRETS
    );
}

#[test]
fn commit_swapped_sealed_secrets_is_decrypt_failed_hrt_grp_36() {
    let mut g = channel(3);
    let out = g[0].commit(vec![], 0).unwrap().commit;
    let bad = resign(&out, &g[0], |t| {
        let mut v = t.sealed.as_slice().to_vec();
        v.swap(0, 1);
        t.sealed = BoundedVec::new(v).unwrap();
    });
    assert_eq!(reject_commit(&mut g[1], &bad), ErrorCode::DECRYPT_FAILED);
}

#[test]
fn commit_wrong_epoch_hrt_grp_30() {
    let mut g = channel(3);
    let out = g[0].commit(vec![], 0).unwrap().commit;
    let bad = resign(&out, &g[0], |t| t.epoch = hearth_wire::Epoch(1));
    assert_eq!(reject_commit(&mut g[1], &bad), ErrorCode::WRONG_EPOCH);
}

#[test]
fn commit_wrong_channel_hrt_grp_29() {
    let mut g = channel(2);
    let out = g[0].commit(vec![], 0).unwrap().commit;
    let bad = resign(&out, &g[0], |t| t.channel_id = ChannelId([0; 16]));
    assert_eq!(reject_commit(&mut g[1], &bad), ErrorCode::MALFORMED);
}

#[test]
fn commit_wrong_suite_hrt_grp_28() {
    let mut g = channel(2);
    let out = g[0].commit(vec![], 0).unwrap().commit;
    let bad = resign(&out, &g[0], |t| t.suite = Suite(2));
    assert_eq!(reject_commit(&mut g[1], &bad), ErrorCode::UNSUPPORTED_SUITE);
}

#[test]
fn commit_unknown_committer_hrt_grp_31() {
    let mut g = channel(2);
    let out = g[0].commit(vec![], 0).unwrap().commit;
    let bad = resign(&out, &g[0], |t| t.committer = Leaf(9));
    assert_eq!(reject_commit(&mut g[1], &bad), ErrorCode::UNKNOWN_SENDER);
}

#[test]
fn commit_small_order_init_key_hrt_grp_33() {
    let mut g = channel(2);
    let out = g[0].commit(vec![], 0).unwrap().commit;
    let bad = resign(&out, &g[0], |t| t.init_key = XPublic([0; 32]).into());
    assert_eq!(reject_commit(&mut g[1], &bad), ErrorCode::MALFORMED);
}

#[test]
fn commit_xwing_values_in_suite_1_hrt_wire_30() {
    // A suite-1 channel reads only X25519 KEM values: an X-Wing init key or seal is
    // `malformed` (wrong_size), even under a valid signature.
    let mut g = channel(2);
    let out = g[0].commit(vec![], 0).unwrap().commit;
    let bad = resign(&out, &g[0], |t| {
        t.init_key = hearth_wire::XWingPublic([9; 1216]).into();
    });
    assert_eq!(reject_commit(&mut g[1], &bad), ErrorCode::MALFORMED);
    // A fresh channel: the first rejection halted g[1] (HRT-GRP-89).
    let mut g = channel(2);
    let out = g[0].commit(vec![], 0).unwrap().commit;
    let bad = resign(&out, &g[0], |t| {
        let mut s = t.sealed.as_slice().to_vec();
        if let Some(first) = s.first_mut() {
            first.enc = hearth_wire::XWingEnc([9; 1120]).into();
        }
        t.sealed = BoundedVec::new(s).unwrap();
    });
    assert_eq!(reject_commit(&mut g[1], &bad), ErrorCode::MALFORMED);
}

#[test]
fn commit_ill_formed_duplicate_remove_hrt_grp_33() {
    let mut g = channel(3);
    let out = g[0].commit(vec![], 0).unwrap().commit;
    let bad = resign(&out, &g[0], |t| {
        t.ops = BoundedVec::new(vec![
            hearth_wire::group::GroupOp::Remove { leaf: Leaf(2) },
            hearth_wire::group::GroupOp::Remove { leaf: Leaf(2) },
        ])
        .unwrap();
    });
    assert_eq!(reject_commit(&mut g[1], &bad), ErrorCode::MALFORMED);
}

#[test]
fn committer_refuses_ill_formed_and_unauthorised_hrt_grp_13_14() {
    let mut g = channel(3);
    assert_eq!(
        g[0].commit(vec![Change::Remove(Leaf(1)), Change::Remove(Leaf(1))], 0)
            .err(),
        Some(ProtocolError::Misuse(Misuse::IllFormedCommit))
    );
    assert_eq!(
        g[1].commit(vec![Change::Remove(Leaf(2))], 0).err(),
        Some(ProtocolError::Misuse(Misuse::UnauthorisedCommit))
    );
    assert_eq!(
        g[0].commit(vec![Change::Remove(Leaf(0))], 0).err(),
        Some(ProtocolError::Misuse(Misuse::UnauthorisedCommit))
    );
}

#[test]
fn unauthorised_op_is_forbidden_hrt_grp_34() {
    let mut g = channel(3);
    // A plain member removes another member that has not left.
    let out = g[1]
        .danger_commit_unchecked(vec![Change::Remove(Leaf(2))])
        .unwrap();
    assert_eq!(reject_commit(&mut g[0], &out.commit), ErrorCode::FORBIDDEN);
    // The member about to be removed is not fooled either (HRT-GRP-47).
    assert_eq!(reject_commit(&mut g[2], &out.commit), ErrorCode::FORBIDDEN);
}

#[test]
fn the_creator_is_removable_hrt_grp_34() {
    let mut g = channel(3);
    commit_all(&mut g, 0, vec![Change::SetRole(Leaf(1), Role::Admin)]);
    // Since 1.0-rc1 no leaf is special: another admin removes the creator (spec §6.7).
    let out = g[1].commit(vec![Change::Remove(Leaf(0))], 0).unwrap();
    g[1].commit_accepted().unwrap();
    assert_eq!(
        g[0].process_commit(&out.commit).unwrap(),
        CommitOutcome::Removed
    );
    g[2].process_commit(&out.commit).unwrap();
    g.remove(0);
    assert_converged(&g);
}

/// Every member records a `member.leave` SignedRequest signed by the member at `leaf`.
pub(crate) fn leave_all(g: &mut [Group], leaf: usize) {
    let req = hearth_wire::request::Request {
        op: hearth_wire::Op::MEMBER_LEAVE,
        host_url: host(),
        channel_id: Some(*g[0].channel_id()),
        ts: Secs(1),
        nonce: hearth_wire::Nonce16([1; 16]),
        body: hearth_wire::RawValue::empty_map(),
        ext: None,
    };
    let rb = req.to_vec();
    let mk = &g[leaf].keys.as_ref().unwrap().member_key;
    let sig = sign_with_label(mk.signing_key(), label::REQUEST, bstr(&rb));
    let sr = hearth_wire::request::SignedRequest {
        version: hearth_wire::Version,
        key: EdPublic(*mk.public_key().as_bytes()),
        request: SignedBytes::from_bytes(rb),
        signature: hearth_wire::Signature(sig.to_bytes()),
    }
    .to_vec();
    for m in g.iter_mut() {
        assert_eq!(m.record_leave(&sr).unwrap(), Leaf(leaf as u8));
    }
}

#[test]
fn plain_member_may_remove_left_member_hrt_grp_72() {
    let mut g = channel(3);
    // Carol (leaf 2) leaves: a member.leave SignedRequest signed with her member key.
    leave_all(&mut g, 2);
    let out = g[1].commit(vec![Change::Remove(Leaf(2))], 0).unwrap();
    g[1].commit_accepted().unwrap();
    g[0].process_commit(&out.commit).unwrap();
    assert_eq!(
        g[2].process_commit(&out.commit).unwrap(),
        CommitOutcome::Removed
    );
    g.truncate(2);
    assert_converged(&g);
}

#[test]
fn a_commit_keeping_a_left_member_is_forbidden_hrt_grp_82() {
    let mut g = channel(3);
    leave_all(&mut g, 2);
    // A receiver rejects a commit that keeps her (rule 4 of spec §6.7, HRT-GRP-34) ...
    let out = g[0].danger_commit_unchecked(vec![]).unwrap();
    assert_eq!(reject_commit(&mut g[1], &out.commit), ErrorCode::FORBIDDEN);
}

#[test]
fn every_commit_removes_the_members_who_left_hrt_grp_82() {
    let mut g = channel(3);
    leave_all(&mut g, 2);
    // A plain update by Alice removes Carol, who left, without being asked to.
    let out = g[0].commit(vec![], 0).unwrap();
    g[0].commit_accepted().unwrap();
    g[1].process_commit(&out.commit).unwrap();
    assert_eq!(
        g[2].process_commit(&out.commit).unwrap(),
        CommitOutcome::Removed
    );
    g.truncate(2);
    assert_converged(&g);
}

#[test]
fn commit_bad_member_cert_hrt_grp_39() {
    let mut g = channel(2);
    let (_pending, mut joiner) = invite_and_join(&mut g[0], 50);
    // A certificate by another identity for this member key.
    joiner.cert = ik(51).certify_member(HOST, &g[0].channel_id().0, &joiner.member_key);
    let out = g[0]
        .commit(
            vec![Change::Add {
                joiner: Box::new(joiner.confirm_sas_matches()),
                role: Role::Member,
            }],
            0,
        )
        .unwrap();
    assert_eq!(
        reject_commit(&mut g[1], &out.commit),
        ErrorCode::BAD_MEMBER_CERT
    );
}

#[test]
fn removal_recognised_only_after_checks_hrt_grp_47() {
    let mut g = channel(3);
    let out = g[0].commit(vec![Change::Remove(Leaf(2))], 0).unwrap();
    let mut bad = out.commit.clone();
    let n = bad.len();
    bad[n - 40] ^= 1;
    assert_eq!(code(g[2].process_commit(&bad)), ErrorCode::BAD_SIGNATURE);
    assert_ne!(g[2].status(), Status::Removed);
}

/// The harness's re-certification makes the add fail check 7d at the receivers.
#[cfg(feature = "danger-forge")]
#[test]
fn danger_recertify_is_bad_member_cert_hrt_grp_39() {
    let mut g = channel(2);
    let (_pending, mut joiner) = invite_and_join(&mut g[0], 52);
    joiner.danger_recertify(&ik(53), HOST);
    let out = g[0]
        .commit(
            vec![Change::Add {
                joiner: Box::new(joiner.confirm_sas_matches()),
                role: Role::Member,
            }],
            0,
        )
        .unwrap();
    assert_eq!(
        reject_commit(&mut g[1], &out.commit),
        ErrorCode::BAD_MEMBER_CERT
    );
}
