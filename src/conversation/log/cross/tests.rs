use super::*;
use crate::conversation::log::page::tests::{chain, page};
use hearth_crypto::envelope::ContentBuilder;

fn fp(b: u8) -> Fingerprint {
    Fingerprint::from_bytes([b; 32])
}

/// A member that verified an honest chain of `n` entries.
fn verified(n: u64) -> LogState {
    let mut s = LogState::new();
    s.verify_page(page(&chain(n), 0, 64)).unwrap();
    s
}

fn facts<'a>(
    seq: u64,
    sender: &'a [u8; 32],
    msg_ref: &'a Hash,
    seen: (u64, &'a [u8]),
    prev: Option<&'a Hash>,
) -> MessageFacts<'a> {
    MessageFacts {
        seq,
        sender,
        msg_ref,
        seen_seq: seen.0,
        seen_head: seen.1,
        prev,
    }
}

fn code(r: Result<(), BadClaim>) -> ErrorCode {
    r.err().map_or(ErrorCode::OK, |d| d.detection.code)
}

#[test]
fn a_message_that_saw_its_own_entry_is_a_bad_claim_hrt_log_44() {
    let log = verified(5);
    let mut s = Senders::default();
    let r = Hash([1; 32]);
    let h = log.head_at(5).unwrap();
    let d = s
        .check(&log, facts(5, &[7; 32], &r, (5, &h), None), fp(7))
        .unwrap_err();
    assert_eq!(d.detection.code, ErrorCode::BAD_CLAIM);
    assert_eq!(d.detection.seq, Some(5));
    assert_eq!(d.member, fp(7), "the member is named");
    // The message is still recorded as its sender's: a later prev may name it.
    let r2 = Hash([2; 32]);
    assert_eq!(
        code(s.check(&log, facts(6, &[7; 32], &r2, (5, &h), Some(&r)), fp(7))),
        ErrorCode::OK
    );
}

#[test]
fn another_head_for_a_seen_seq_is_a_bad_claim_hrt_log_42() {
    let log = verified(5);
    let mut s = Senders::default();
    let r = Hash([1; 32]);
    let h = log.head_at(3).unwrap();
    assert_eq!(
        code(s.check(&log, facts(5, &[7; 32], &r, (3, &h), None), fp(7))),
        ErrorCode::OK
    );
    let r2 = Hash([2; 32]);
    let d = s
        .check(&log, facts(5, &[8; 32], &r2, (3, &[9; 32]), None), fp(8))
        .unwrap_err();
    assert_eq!(
        (d.detection.code, d.detection.seq, d.member),
        (ErrorCode::BAD_CLAIM, Some(5), fp(8)),
        "the claim is the message's, at its seq, naming its sender"
    );
    // A seq this member holds no head for is skipped: nothing is inferred (§9.7).
    let r3 = Hash([3; 32]);
    let mut t = Senders::anchored_at(4);
    let mut anchored = LogState::new();
    anchored.heads.insert(4, [4; 32]);
    anchored.v = 4;
    assert_eq!(
        code(t.check(
            &anchored,
            facts(6, &[8; 32], &r3, (2, &[9; 32]), None),
            fp(8)
        )),
        ErrorCode::OK
    );
}

#[test]
fn a_prev_never_verified_is_a_bad_claim_hrt_log_43() {
    let log = verified(9);
    let alice = [7u8; 32];
    let (m1, m2, ghost) = (Hash([1; 32]), Hash([2; 32]), Hash([3; 32]));
    // The creator (a log from seq 1) has no pre-anchor exception: a first message naming an
    // unknown prev is a bad claim.
    let mut s = Senders::default();
    let d = s
        .check(&log, facts(3, &alice, &m1, (0, &[]), Some(&ghost)), fp(7))
        .unwrap_err();
    assert_eq!((d.detection.code, d.member), (ErrorCode::BAD_CLAIM, fp(7)));
    // A chain of verified messages passes.
    let mut s = Senders::default();
    s.check(&log, facts(3, &alice, &m1, (0, &[]), None), fp(7))
        .unwrap();
    s.check(&log, facts(4, &alice, &m2, (0, &[]), Some(&m1)), fp(7))
        .unwrap();
    let m3 = Hash([4; 32]);
    assert_eq!(
        code(s.check(&log, facts(5, &alice, &m3, (0, &[]), Some(&ghost)), fp(7))),
        ErrorCode::BAD_CLAIM
    );
    // Another sender's message is not this sender's prev.
    let bob = [8u8; 32];
    let m4 = Hash([5; 32]);
    assert_eq!(
        code(s.check(&log, facts(6, &bob, &m4, (0, &[]), Some(&m1)), fp(8))),
        ErrorCode::BAD_CLAIM
    );
    // Nor is this member's own post.
    s.posted_accepted(Hash([6; 32]));
    let m5 = Hash([7; 32]);
    assert_eq!(
        code(s.check(
            &log,
            facts(7, &bob, &m5, (0, &[]), Some(&Hash([6; 32]))),
            fp(8)
        )),
        ErrorCode::BAD_CLAIM
    );
}

#[test]
fn a_prev_naming_a_rejected_entry_is_not_a_bad_claim_hrt_log_43() {
    // The entry at seq 3 verified but was rejected (update_required, a malformed body): the
    // host served it, so the sender's next message may name it (issue 16, finding 5).
    let log = verified(9);
    let alice = [7u8; 32];
    let (rejected, m2) = (Hash([1; 32]), Hash([2; 32]));
    for mut s in [Senders::default(), Senders::anchored_at(2)] {
        s.check(
            &log,
            facts(2, &alice, &Hash([9; 32]), (0, &[]), None),
            fp(7),
        )
        .unwrap();
        s.record_unopened(rejected);
        assert_eq!(
            code(s.check(
                &log,
                facts(4, &alice, &m2, (0, &[]), Some(&rejected)),
                fp(7)
            )),
            ErrorCode::OK
        );
    }
}

#[test]
fn an_absent_prev_is_never_judged_hrt_log_48() {
    let log = verified(9);
    let alice = [7u8; 32];
    let mut s = Senders::default();
    s.check(
        &log,
        facts(3, &alice, &Hash([1; 32]), (0, &[]), None),
        fp(7),
    )
    .unwrap();
    s.check(
        &log,
        facts(4, &alice, &Hash([2; 32]), (0, &[]), Some(&Hash([1; 32]))),
        fp(7),
    )
    .unwrap();
    // Earlier messages of alice verified, and none named: still not withholding nor a claim.
    assert_eq!(
        code(s.check(
            &log,
            facts(5, &alice, &Hash([3; 32]), (0, &[]), None),
            fp(7)
        )),
        ErrorCode::OK
    );
}

#[test]
fn a_joiner_excepts_the_first_prev_after_its_anchor_once_hrt_log_43() {
    let log = verified(9);
    let (alice, bob) = ([7u8; 32], [8u8; 32]);
    let (m1, m2, m3, before, other) = (
        Hash([1; 32]),
        Hash([2; 32]),
        Hash([6; 32]),
        Hash([3; 32]),
        Hash([9; 32]),
    );
    let mut s = Senders::anchored_at(2);
    s.check(&log, facts(3, &alice, &m1, (0, &[]), Some(&before)), fp(7))
        .unwrap();
    // The same pre-anchor value again is no claim: Alice's post m1 had an unknown outcome, so
    // she names her last confirmed message once more (HRT-LOG-35).
    s.check(&log, facts(4, &alice, &m2, (0, &[]), Some(&before)), fp(7))
        .unwrap();
    // A second unverified value is judged.
    assert_eq!(
        code(s.check(&log, facts(5, &alice, &m3, (0, &[]), Some(&other)), fp(7))),
        ErrorCode::BAD_CLAIM
    );
    // A first message without prev fixes nothing; once a member names a verified entry, its
    // chain runs through the verified log and the exception is closed.
    let (b1, b2, b3) = (Hash([4; 32]), Hash([5; 32]), Hash([10; 32]));
    s.check(&log, facts(6, &bob, &b1, (0, &[]), None), fp(8))
        .unwrap();
    s.check(&log, facts(7, &bob, &b2, (0, &[]), Some(&b1)), fp(8))
        .unwrap();
    assert_eq!(
        code(s.check(&log, facts(8, &bob, &b3, (0, &[]), Some(&before)), fp(8))),
        ErrorCode::BAD_CLAIM
    );
    // A log from seq 1 has no exception at all (anchor 0 or 1).
    for anchor in [0, 1] {
        let mut t = Senders::anchored_at(anchor);
        assert_eq!(
            code(t.check(&log, facts(3, &alice, &m1, (0, &[]), Some(&before)), fp(7))),
            ErrorCode::BAD_CLAIM
        );
    }
}

#[test]
fn own_posts_are_prev_material_only_once_accepted_hrt_log_34_35() {
    let mut s = Senders::default();
    s.posted_unconfirmed(Hash([1; 32]));
    assert!(s.is_own(&Hash([1; 32])));
    assert_eq!(s.next_prev(), None);
    s.posted_accepted(Hash([2; 32]));
    assert_eq!(s.next_prev(), Some(Hash([2; 32])));
}

#[test]
fn a_new_message_carries_the_senders_view_and_chain_hrt_log_30_34() {
    let mut log = verified(4);
    let mut s = Senders::default();
    let c = s.stamp(&log, ContentBuilder::text("hi").unwrap()).unwrap();
    assert_eq!(c.seen_seq.0, 4);
    assert_eq!(c.seen_head.as_slice(), log.head_at(4).unwrap().as_slice());
    assert_eq!(c.prev, None);
    // An accepted post becomes the next prev; a result contradicting the log does not.
    s.record_post(&mut log, 5, [5; 32], b"env".to_vec(), Hash([1; 32]))
        .unwrap();
    assert_eq!(s.next_prev(), Some(Hash([1; 32])));
    let d = s
        .record_post(&mut log, 3, [3; 32], b"env2".to_vec(), Hash([2; 32]))
        .unwrap_err();
    assert_eq!(d.code, ErrorCode::FORK_DETECTED);
    assert_eq!(s.next_prev(), Some(Hash([1; 32])));
    let c = s
        .stamp(&LogState::new(), ContentBuilder::text("hi").unwrap())
        .unwrap();
    assert_eq!((c.seen_seq.0, c.seen_head.as_slice().len()), (0, 0));
    assert_eq!(c.prev, Some(Hash([1; 32])));
}
