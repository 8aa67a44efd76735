//! Protocol-level tests of invitations, commits, Welcomes, ratchets and envelopes. Every
//! negative test asserts the exact spec code and names the requirement it checks.

use hearth_wire::envelope::{pad_len, ContentBody, Envelope, SealedContent};
use hearth_wire::group::{Commit, CommitTbs};
use hearth_wire::request::PendingJoin;
use hearth_wire::{
    BoundedBytes, BoundedVec, ChannelId, ConversationId, EdPublic, ErrorCode, Generation, HostUrl,
    Leaf, ReuseGuard, Role, Secs, SignedBytes, Suite, WireDecode, WireEncode, XPublic,
};

use crate::envelope::ContentBuilder;
use crate::error::{ApiMisuse, ProtocolError};
use crate::group::{Change, CommitOutcome, Group, HeldSecrets, PendingMember, Status};
use crate::invite::{danger_join_with_rng, ValidatedJoin};
use crate::keys::IdentityKey;
use crate::label;
use crate::labelled::{bstr, sign_with_label};
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
        danger_join_with_rng(&uri, ik(seed), "joiner", 10, rng(seed)).unwrap();
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

/// A channel of `n` members who have all committed once (so all can send).
pub(crate) fn channel(n: usize) -> Vec<Group> {
    let mut groups = vec![create(1)];
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
    assert_eq!(bob.danger_held_secrets(), HeldSecrets::default());
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
        Some(ProtocolError::Misuse(ApiMisuse::UpdateRequired))
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
        Some(ProtocolError::Misuse(ApiMisuse::UpdateRequired))
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
    assert!(g[1].danger_held_secrets().pending_commit);
    // The host accepts Alice's, answers Bob's with epoch_conflict.
    g[0].commit_accepted().unwrap();
    g[1].commit_conflict().unwrap();
    assert!(!g[1].danger_held_secrets().pending_commit);
    assert_eq!(g[1].danger_held_secrets().init_keys.len(), 1);
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
        Some(ProtocolError::Misuse(ApiMisuse::CommitPending))
    );
    assert!(matches!(
        g[0].process_commit(&out.commit).unwrap(),
        CommitOutcome::OwnCommit { .. }
    ));
    g[1].process_commit(&out.commit).unwrap();
    assert_converged(&g);
}

#[test]
fn page_batch_matches_single_hrt_crypto_24() {
    let mut g = channel(3);
    let mut page = Vec::new();
    for i in 0..10 {
        page.push(g[i % 2].seal(&text(&format!("m{i}")), 0).unwrap().bytes);
    }
    // Corrupt one signature: re-seal with a bad signature under the sender's ratchet.
    let bad = forged_envelope(&mut g[1]);
    page.insert(4, bad);
    page.push(page[0].clone()); // replay
    let refs: Vec<&[u8]> = page.iter().map(Vec::as_slice).collect();
    let results = g[2].open_page(&refs);
    assert_eq!(results.len(), page.len());
    for (i, r) in results.iter().enumerate() {
        match i {
            4 => assert_eq!(
                r.as_ref().err().map(|e| e.code()),
                Some(ErrorCode::BAD_SIGNATURE)
            ),
            11 => assert_eq!(
                r.as_ref().err().map(|e| e.code()),
                Some(ErrorCode::DUPLICATE_MESSAGE)
            ),
            _ => assert!(r.is_ok(), "{i}: {r:?}"),
        }
    }
    // A clean page goes through the batch path.
    let clean: Vec<Vec<u8>> = (0..5)
        .map(|i| g[0].seal(&text(&format!("c{i}")), 0).unwrap().bytes)
        .collect();
    let refs: Vec<&[u8]> = clean.iter().map(Vec::as_slice).collect();
    assert!(g[1].open_page(&refs).iter().all(Result::is_ok));
    assert!(g[1]
        .open_page(&refs)
        .iter()
        .all(|r| r.as_ref().err().map(|e| e.code()) == Some(ErrorCode::DUPLICATE_MESSAGE)));
}

// ------------------------------------------------------------------ envelope helpers

/// Seals `pt` (an arbitrary AEAD plaintext) under the sender's next generation with the given
/// header fields, bypassing the sender's checks.
fn seal_raw(g: &mut Group, pt: &[u8], tweak: impl FnOnce(&mut Envelope)) -> Vec<u8> {
    let me = g.me as u8;
    let st = g.state.as_mut().unwrap();
    let (gen, keys) = st.ratchets.next_own(me).unwrap();
    let mut env = Envelope {
        version: hearth_wire::Version,
        suite: crate::group::SUITE_1,
        channel_id: *g.params.channel_id(),
        epoch: hearth_wire::Epoch(st.epoch()),
        sender: Leaf(me),
        generation: Generation(gen),
        reuse_guard: ReuseGuard([1, 2, 3, 4]),
        ct: BoundedBytes::new(vec![0; 48]).unwrap(),
    };
    tweak(&mut env);
    let aad = env.header().to_vec();
    let mut nonce = *keys.nonce.as_bytes();
    for (a, b) in nonce.iter_mut().zip(env.reuse_guard.0) {
        *a ^= b;
    }
    let k = crate::aead::Key::new(crate::aead::Algorithm::Aes256Gcm, keys.key.as_bytes()).unwrap();
    env.ct = BoundedBytes::new(k.seal(&nonce, &aad, pt).unwrap()).unwrap();
    env.to_vec()
}

/// A correctly padded SealedContent with signature `sig_over`, signed by `signer`.
fn sealed_pt(content_bytes: &[u8], sig: [u8; 64]) -> Vec<u8> {
    let sc = SealedContent {
        content: SignedBytes::from_bytes(content_bytes.to_vec()),
        signature: hearth_wire::Signature(sig),
    };
    let mut pt = sc.to_vec();
    let l = pt.len();
    pt.resize(pad_len(l), 0);
    pt
}

fn msg_sig(g: &Group, sender: u8, gen: u32, content_bytes: &[u8]) -> [u8; 64] {
    let st = g.state.as_ref().unwrap();
    let mk = &g.keys.as_ref().unwrap().member_key;
    sign_with_label(mk.signing_key(), label::MSG, |e| {
        e.array(4)
            .bytes(&st.gc_hash)
            .uint(u64::from(sender))
            .uint(u64::from(gen))
            .bytes(content_bytes);
    })
    .to_bytes()
}

fn next_gen(g: &Group) -> u32 {
    let st = g.state.as_ref().unwrap();
    st.ratchets
        .held_chains()
        .iter()
        .find(|(l, _)| usize::from(*l) == g.me)
        .map(|(_, n)| *n as u32)
        .unwrap()
}

fn forged_envelope(g: &mut Group) -> Vec<u8> {
    let cb = text("forged").to_vec();
    let pt = sealed_pt(&cb, [7; 64]);
    seal_raw(g, &pt, |_| {})
}

/// A correctly signed and padded envelope built by hand, with `tweak` on the plaintext.
fn manual(g: &mut Group, tweak_pt: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let cb = text("manual").to_vec();
    let gen = next_gen(g);
    let sig = msg_sig(g, g.me as u8, gen, &cb);
    let mut pt = sealed_pt(&cb, sig);
    tweak_pt(&mut pt);
    seal_raw(g, &pt, |_| {})
}

// ------------------------------------------------------------------ envelope negatives

#[test]
fn manual_envelope_opens() {
    let mut g = channel(2);
    let env = manual(&mut g[0], |_| {});
    assert!(g[1].open(&env).is_ok());
}

#[test]
fn wrong_tag_is_decrypt_failed_hrt_msg_16() {
    let mut g = channel(2);
    let mut env = g[0].seal(&text("x"), 0).unwrap().bytes;
    let n = env.len();
    env[n - 1] ^= 1;
    let before = g[1].danger_held_secrets();
    assert_eq!(code(g[1].open(&env)), ErrorCode::DECRYPT_FAILED);
    // HRT-MSG-24: the state is unchanged.
    assert_eq!(g[1].danger_held_secrets(), before);
}

#[test]
fn forged_signature_is_bad_signature_hrt_msg_21() {
    let mut g = channel(2);
    let env = forged_envelope(&mut g[0]);
    let before = g[1].danger_held_secrets();
    assert_eq!(code(g[1].open(&env)), ErrorCode::BAD_SIGNATURE);
    assert_eq!(g[1].danger_held_secrets(), before);
}

#[test]
fn undecodable_body_is_rejected_after_the_signature_hrt_msg_23() {
    // A text content (a type §7.8 lists) whose body is a uint instead of `TextBody`: the
    // content itself is valid (step 11), only its body fails the type's rule (step 14).
    let good = text("x").to_vec();
    let body = [0xa1, 0x01, 0x61, b'x'];
    let at = good
        .windows(body.len())
        .position(|w| w == body)
        .expect("the TextBody of text(\"x\")");
    let mut cb = good[..at].to_vec();
    cb.extend_from_slice(&[0xa1, 0x01, 0x05]);
    cb.extend_from_slice(&good[at + body.len()..]);
    assert!(hearth_wire::envelope::Content::decode(&cb).is_ok());

    // Correctly signed: the body is checked after the signature and answers malformed.
    let mut g = channel(2);
    let gen = next_gen(&g[0]);
    let sig = msg_sig(&g[0], g[0].me as u8, gen, &cb);
    let env = seal_raw(&mut g[0], &sealed_pt(&cb, sig), |_| {});
    match g[1].open(&env) {
        Err(ProtocolError::Wire(e)) => {
            assert_eq!(e.code(), ErrorCode::WRONG_TYPE);
            assert_eq!(e.code().status(), ErrorCode::MALFORMED);
        }
        other => panic!("expected malformed / wrong_type, got {other:?}"),
    }

    // The same content with a bad signature: step 12 comes first, so bad_signature, not
    // malformed, and nothing of the undecodable body leaks out as a verdict.
    let env = seal_raw(&mut g[0], &sealed_pt(&cb, [7; 64]), |_| {});
    assert_eq!(code(g[1].open(&env)), ErrorCode::BAD_SIGNATURE);
}

#[test]
fn rebound_signature_is_bad_signature_hrt_msg_6() {
    // A signature made for another generation does not verify for this one.
    let mut g = channel(2);
    let cb = text("x").to_vec();
    let gen = next_gen(&g[0]);
    let sig = msg_sig(&g[0], g[0].me as u8, gen + 1, &cb);
    let env = seal_raw(&mut g[0], &sealed_pt(&cb, sig), |_| {});
    assert_eq!(code(g[1].open(&env)), ErrorCode::BAD_SIGNATURE);
}

#[test]
fn content_moved_to_another_sender_is_bad_signature_hrt_msg_21() {
    // Bob (holding the group keys) re-seals Alice's signed content under his own ratchet.
    let mut g = channel(3);
    let cb = text("alice").to_vec();
    let gen = next_gen(&g[1]);
    let sig = msg_sig(&g[0], 1, gen, &cb); // Alice's key, Bob's leaf
    let env = seal_raw(&mut g[1], &sealed_pt(&cb, sig), |_| {});
    assert_eq!(code(g[2].open(&env)), ErrorCode::BAD_SIGNATURE);
}

#[test]
fn header_not_matching_is_decrypt_failed_hrt_msg_4() {
    let mut g = channel(2);
    let env = g[0].seal(&text("x"), 0).unwrap().bytes;
    let mut e = Envelope::decode(&env).unwrap();
    e.reuse_guard = ReuseGuard([9, 9, 9, 9]);
    assert_eq!(code(g[1].open(&e.to_vec())), ErrorCode::DECRYPT_FAILED);
    let mut e = Envelope::decode(&env).unwrap();
    e.sender = Leaf(1);
    assert_eq!(code(g[1].open(&e.to_vec())), ErrorCode::DECRYPT_FAILED);
}

#[test]
fn replay_is_duplicate_message_hrt_rat_9() {
    let mut g = channel(2);
    let env = g[0].seal(&text("x"), 0).unwrap().bytes;
    assert!(g[1].open(&env).is_ok());
    assert_eq!(code(g[1].open(&env)), ErrorCode::DUPLICATE_MESSAGE);
}

#[test]
fn out_of_order_uses_skipped_keys_hrt_rat_12() {
    let mut g = channel(2);
    let e: Vec<Vec<u8>> = (0..3)
        .map(|_| g[0].seal(&text("x"), 0).unwrap().bytes)
        .collect();
    assert!(g[1].open(&e[2]).is_ok());
    assert_eq!(g[1].danger_held_secrets().skipped_keys.len(), 2);
    assert!(g[1].open(&e[0]).is_ok());
    assert!(g[1].open(&e[1]).is_ok());
    assert!(g[1].danger_held_secrets().skipped_keys.is_empty());
    assert_eq!(code(g[1].open(&e[1])), ErrorCode::DUPLICATE_MESSAGE);
}

#[test]
fn generation_too_far_hrt_rat_7() {
    let mut g = channel(2);
    for _ in 0..1000 {
        let me = g[0].me as u8;
        g[0].state.as_mut().unwrap().ratchets.next_own(me).unwrap();
    }
    let env = manual(&mut g[0], |_| {});
    assert_eq!(code(g[1].open(&env)), ErrorCode::GENERATION_TOO_FAR);
    assert!(g[1].danger_held_secrets().skipped_keys.is_empty());
}

#[test]
fn nonzero_padding_is_bad_padding_hrt_msg_19() {
    let mut g = channel(2);
    let env = manual(&mut g[0], |pt| {
        let n = pt.len();
        pt[n - 1] = 1;
    });
    assert_eq!(code(g[1].open(&env)), ErrorCode::BAD_PADDING);
}

#[test]
fn wrong_padding_length_is_bad_padding_hrt_msg_18() {
    let mut g = channel(2);
    let env = manual(&mut g[0], |pt| pt.extend_from_slice(&[0; 32]));
    assert_eq!(code(g[1].open(&env)), ErrorCode::BAD_PADDING);
    let env = manual(&mut g[0], |pt| {
        pt.pop();
    });
    assert_eq!(code(g[1].open(&env)), ErrorCode::BAD_PADDING);
}

#[test]
fn garbage_plaintext_is_malformed_hrt_msg_17() {
    let mut g = channel(2);
    let env = seal_raw(&mut g[0], &[0x00; 64], |_| {});
    assert_eq!(code(g[1].open(&env)), ErrorCode::MALFORMED);
}

#[test]
fn wrong_channel_is_malformed_hrt_msg_13() {
    let mut g = channel(2);
    let env = manual(&mut g[0], |_| {});
    let mut e = Envelope::decode(&env).unwrap();
    e.channel_id = ChannelId([0; 16]);
    let r = g[1].open(&e.to_vec());
    assert_eq!(
        r.as_ref().err().map(|e| e.detail()),
        Some(Some(ErrorCode::INVALID_VALUE))
    );
    assert_eq!(code(r), ErrorCode::MALFORMED);
}

#[test]
fn wrong_suite_version_epoch_sender_hrt_msg_11_12_14_15() {
    let mut g = channel(2);
    let env = g[0].seal(&text("x"), 0).unwrap().bytes;
    let mut e = Envelope::decode(&env).unwrap();
    e.suite = Suite(2);
    assert_eq!(code(g[1].open(&e.to_vec())), ErrorCode::UNSUPPORTED_SUITE);
    let mut v = env.clone();
    v[1] = 2; // version
    assert_eq!(code(g[1].open(&v)), ErrorCode::UNSUPPORTED_VERSION);
    let mut e = Envelope::decode(&env).unwrap();
    e.epoch = hearth_wire::Epoch(99);
    assert_eq!(code(g[1].open(&e.to_vec())), ErrorCode::WRONG_EPOCH);
    let mut e = Envelope::decode(&env).unwrap();
    e.sender = Leaf(7);
    assert_eq!(code(g[1].open(&e.to_vec())), ErrorCode::UNKNOWN_SENDER);
}

#[test]
fn a_later_joiner_learns_needs_update_from_its_welcome_hrt_grp_87() {
    let mut g = vec![create(1)];
    add(&mut g, 0, 2);
    // Leaf 1 has not committed yet when leaf 2 joins: the GroupInfo (key 7, under the roster
    // hash) tells the new joiner, which rejects leaf 1's message as the creator does.
    add(&mut g, 0, 3);
    let env = manual(&mut g[1], |_| {});
    assert_eq!(code(g[0].open(&env)), ErrorCode::UPDATE_REQUIRED);
    assert_eq!(code(g[2].open(&env)), ErrorCode::UPDATE_REQUIRED);
    assert_converged(&g);
}

#[test]
fn old_epoch_message_is_wrong_epoch_hrt_rat_13() {
    let mut g = channel(2);
    let env = g[0].seal(&text("x"), 0).unwrap().bytes;
    commit_all(&mut g, 0, vec![]);
    assert_eq!(code(g[1].open(&env)), ErrorCode::WRONG_EPOCH);
}

#[test]
fn unupdated_joiner_is_update_required_hrt_msg_22() {
    let mut g = vec![create(1)];
    add(&mut g, 0, 2);
    // The joiner bypasses its own refusal.
    let env = manual(&mut g[1], |_| {});
    assert_eq!(code(g[0].open(&env)), ErrorCode::UPDATE_REQUIRED);
    // A bad signature is reported first (step 12 before 13).
    let env = forged_envelope(&mut g[1]);
    assert_eq!(code(g[0].open(&env)), ErrorCode::BAD_SIGNATURE);
}

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
        g.danger_held_secrets(),
        g.epoch_authenticator().cloned(),
    );
    let r = g.process_commit(bytes);
    // HRT-GRP-41: nothing changed, and the group halts (HRT-GRP-89).
    assert_eq!(
        (
            g.epoch(),
            g.danger_held_secrets(),
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
    let bad = resign(&out, &g[0], |t| t.init_key = XPublic([0; 32]));
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
        Some(ProtocolError::Misuse(ApiMisuse::IllFormedCommit))
    );
    assert_eq!(
        g[1].commit(vec![Change::Remove(Leaf(2))], 0).err(),
        Some(ProtocolError::Misuse(ApiMisuse::UnauthorisedCommit))
    );
    assert_eq!(
        g[0].commit(vec![Change::Remove(Leaf(0))], 0).err(),
        Some(ProtocolError::Misuse(ApiMisuse::UnauthorisedCommit))
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

// ------------------------------------------------------------------ deletion duties

#[test]
fn installing_an_epoch_deletes_the_old_one_hrt_rat_13_grp_24() {
    let mut g = channel(2);
    let e: Vec<Vec<u8>> = (0..3)
        .map(|_| g[0].seal(&text("x"), 0).unwrap().bytes)
        .collect();
    g[1].open(&e[2]).unwrap();
    let before = g[1].danger_held_secrets();
    assert_eq!(before.skipped_keys.len(), 2);
    assert!(!before.app_secret);
    let old_init = before.init_keys.clone();
    commit_all(&mut g, 1, vec![]);
    let after = g[1].danger_held_secrets();
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
    let held = g[0].danger_held_secrets();
    assert!(held.chains.contains(&(me, 1)));
    assert!(held.skipped_keys.is_empty());
}

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
    assert_eq!(rej.error, ProtocolError::Misuse(ApiMisuse::SasNotConfirmed));
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
    let r = danger_join_with_rng(&uri, ik(2), "x", 101, rng(2));
    assert_eq!(code(r), ErrorCode::INVITE_EXPIRED);
    assert!(danger_join_with_rng(&uri, ik(2), "x", 100, rng(2)).is_ok());
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
    let (p, redeem) = danger_join_with_rng(&uri, ik(2), "x", 1, rng(2)).unwrap();
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
    let (_p, redeem) = danger_join_with_rng(&uri, ik(2), "x", 1, rng(2)).unwrap();
    let (_p2, redeem2) = danger_join_with_rng(&uri, ik(4), "y", 1, rng(4)).unwrap();
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
    let (a, _) = danger_join_with_rng(&uri, ik(2), "a", 1, rng(2)).unwrap();
    let (b, _) = danger_join_with_rng(&uri, ik(3), "b", 1, rng(3)).unwrap();
    assert_ne!(a.sas(), b.sas());
}

#[test]
fn join_request_checks_hrt_inv_39() {
    let (mut inv, uri) = invitation();
    let (_p, redeem) = danger_join_with_rng(&uri, ik(2), "x", 1, rng(2)).unwrap();
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

/// The harness's forging seal produces exactly the rejections its name promises.
#[cfg(feature = "danger-forge")]
#[test]
fn danger_seal_forged_makes_what_receivers_must_reject() {
    use crate::envelope::Padding;
    let mut g = channel(2);
    let c = text("forged");
    let env = g[0].danger_seal_forged(&c, 0, 0, Padding::NonZero).unwrap();
    assert_eq!(code(g[1].open(&env.bytes)), ErrorCode::BAD_PADDING);
    let env = g[0].danger_seal_forged(&c, 0, 0, Padding::TooLong).unwrap();
    assert_eq!(code(g[1].open(&env.bytes)), ErrorCode::BAD_PADDING);
    let env = g[0]
        .danger_seal_forged(&c, 0, 1001, Padding::Exact)
        .unwrap();
    assert_eq!(code(g[1].open(&env.bytes)), ErrorCode::GENERATION_TOO_FAR);
    let mut g = channel(2);
    let env = g[0].danger_seal_forged(&c, 0, 0, Padding::Exact).unwrap();
    assert!(g[1].open(&env.bytes).is_ok());
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
