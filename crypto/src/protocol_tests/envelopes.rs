//! Sealing and opening envelopes (spec §7) and the ratchet bounds (§6.15).

use super::*;

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
    let k = crate::hazmat::aead::Key::new(
        crate::hazmat::aead::Algorithm::Aes256Gcm,
        keys.key.as_bytes(),
    )
    .unwrap();
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
    let before = g[1].held_secrets();
    assert_eq!(code(g[1].open(&env)), ErrorCode::DECRYPT_FAILED);
    // HRT-MSG-24: the state is unchanged.
    assert_eq!(g[1].held_secrets(), before);
}

#[test]
fn forged_signature_is_bad_signature_hrt_msg_21() {
    let mut g = channel(2);
    let env = forged_envelope(&mut g[0]);
    let before = g[1].held_secrets();
    assert_eq!(code(g[1].open(&env)), ErrorCode::BAD_SIGNATURE);
    assert_eq!(g[1].held_secrets(), before);
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
    assert_eq!(g[1].held_secrets().skipped_keys.len(), 2);
    assert!(g[1].open(&e[0]).is_ok());
    assert!(g[1].open(&e[1]).is_ok());
    assert!(g[1].held_secrets().skipped_keys.is_empty());
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
    assert!(g[1].held_secrets().skipped_keys.is_empty());
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

/// The harness's seal before the update commit: receivers reject it with `update_required`,
/// and the sealer's own flag stays set (its next conforming seal still refuses).
#[cfg(feature = "danger-forge")]
#[test]
fn danger_seal_before_update_is_update_required() {
    let mut g = vec![create(1)];
    add(&mut g, 0, 2);
    assert!(g[1].seal(&text("too early"), 0).is_err());
    let env = g[1]
        .danger_seal_before_update(&text("too early"), 0)
        .unwrap();
    assert_eq!(code(g[0].open(&env.bytes)), ErrorCode::UPDATE_REQUIRED);
    assert!(g[1].seal(&text("still too early"), 0).is_err());
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
