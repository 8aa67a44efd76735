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

fn code(r: Result<(), MemberDetection>) -> ErrorCode {
    r.err().map_or(ErrorCode::OK, |d| d.detection.code)
}

#[test]
fn a_message_that_saw_its_own_entry_is_a_fork_hrt_log_32() {
    let log = verified(5);
    let mut s = Senders::default();
    let r = Hash([1; 32]);
    let h = log.head_at(5).unwrap();
    let d = s
        .check(&log, facts(5, &[7; 32], &r, (5, &h), None), fp(7))
        .unwrap_err();
    assert_eq!(d.detection.code, ErrorCode::FORK_DETECTED);
    assert_eq!(d.member, fp(7), "HRT-LOG-39: the member is named");
}

#[test]
fn another_head_for_a_seen_seq_is_a_fork_hrt_log_33() {
    let log = verified(5);
    let mut s = Senders::default();
    let r = Hash([1; 32]);
    let h = log.head_at(3).unwrap();
    assert_eq!(
        code(s.check(&log, facts(5, &[7; 32], &r, (3, &h), None), fp(7))),
        ErrorCode::OK
    );
    let r2 = Hash([2; 32]);
    assert_eq!(
        code(s.check(&log, facts(5, &[8; 32], &r2, (3, &[9; 32]), None), fp(8))),
        ErrorCode::FORK_DETECTED
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
fn a_prev_never_received_is_withholding_hrt_log_36() {
    let log = verified(9);
    let alice = [7u8; 32];
    let (m1, m2, ghost) = (Hash([1; 32]), Hash([2; 32]), Hash([3; 32]));
    // Creator's view: a first message naming an unknown prev is withholding.
    let mut s = Senders::default();
    assert_eq!(
        code(s.check(&log, facts(3, &alice, &m1, (0, &[]), Some(&ghost)), fp(7))),
        ErrorCode::WITHHELD_DETECTED
    );
    // A chain of verified messages passes.
    let mut s = Senders::default();
    s.check(&log, facts(3, &alice, &m1, (0, &[]), None), fp(7))
        .unwrap();
    s.check(&log, facts(4, &alice, &m2, (0, &[]), Some(&m1)), fp(7))
        .unwrap();
    let m3 = Hash([4; 32]);
    assert_eq!(
        code(s.check(&log, facts(5, &alice, &m3, (0, &[]), Some(&ghost)), fp(7))),
        ErrorCode::WITHHELD_DETECTED
    );
    // Another sender's message is not this sender's prev.
    let bob = [8u8; 32];
    assert_eq!(
        code(s.check(&log, facts(6, &bob, &m3, (0, &[]), Some(&m1)), fp(8))),
        ErrorCode::WITHHELD_DETECTED
    );
}

#[test]
fn a_joiner_accepts_the_first_prev_after_its_anchor_hrt_log_36() {
    let log = verified(9);
    let alice = [7u8; 32];
    let (m1, m2, before) = (Hash([1; 32]), Hash([2; 32]), Hash([3; 32]));
    let mut s = Senders::anchored_at(2);
    s.check(&log, facts(3, &alice, &m1, (0, &[]), Some(&before)), fp(7))
        .unwrap();
    // The same pre-anchor prev named again (the first message's outcome was unknown to its
    // sender) is still covered.
    s.check(&log, facts(4, &alice, &m2, (0, &[]), Some(&before)), fp(7))
        .unwrap();
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
