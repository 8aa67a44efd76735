//! Property tests: a host that drops, replays, reorders, withholds, rolls back, forges and
//! forks, against the checks of §9.5 to §9.8.
//!
//! - Safety: whatever the host does, the entries a member accepts are exactly a prefix of one
//!   history the host committed to (never a forged, reordered or spliced entry).
//! - Detection (§9.5): once a member verified past the point where two histories part, any
//!   page of the other history is a detection.
//! - Detection (§9.7): a message whose sender saw the other history at a position this member
//!   verified is a fork; before the histories part it is not (they agree there).

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use hearth_crypto::keys::Fingerprint;
use hearth_wire::log::LogEntry;
use hearth_wire::request::LogFetchResult;
use hearth_wire::{BoundedVec, EntryKind, ErrorCode, Hash};
use proptest::prelude::*;

use super::page::tests::{chain, page};
use super::{next_head, LogState, MessageFacts, Senders};

/// `a` up to `k`, then `m - k` other entries, with the chain recomputed: a consistent fork.
fn fork(a: &[LogEntry], k: usize, m: u64) -> Vec<LogEntry> {
    let mut b: Vec<LogEntry> = a.iter().take(k).cloned().collect();
    let mut prev = b.last().map(|e| e.head.0.to_vec()).unwrap_or_default();
    for s in (k as u64 + 1)..=m {
        let bytes = format!("other {s}").into_bytes();
        let head = next_head(&prev, s, EntryKind::Msg, &bytes);
        prev = head.to_vec();
        b.push(LogEntry {
            seq: hearth_wire::Seq(s),
            kind: EntryKind::Msg,
            bytes,
            head: Hash(head),
            received: hearth_wire::Secs(0),
        });
    }
    b
}

#[derive(Clone, Debug)]
enum Fault {
    /// An honest page of at most this many entries.
    Honest(u64),
    /// No answer: nothing reaches the verifier.
    Drop,
    /// The last page served, served again.
    Replay,
    /// An honest page with two entries swapped.
    Reorder(usize, usize),
    /// An honest page with one entry left out.
    Withhold(usize),
    /// The log as if it ended `d` entries earlier.
    Rollback(u64),
    /// An honest page with one bit of an entry's bytes or head flipped.
    Forge(usize, bool, u8),
    /// A page of the other history.
    Fork(u64),
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        4 => (1u64..6).prop_map(Fault::Honest),
        1 => Just(Fault::Drop),
        1 => Just(Fault::Replay),
        1 => (0usize..6, 0usize..6).prop_map(|(i, j)| Fault::Reorder(i, j)),
        1 => (0usize..6).prop_map(Fault::Withhold),
        1 => (1u64..4).prop_map(Fault::Rollback),
        1 => (0usize..6, any::<bool>(), 0u8..8).prop_map(|(i, h, b)| Fault::Forge(i, h, b)),
        2 => (1u64..6).prop_map(Fault::Fork),
    ]
}

fn with_entries(mut p: LogFetchResult, f: impl FnOnce(&mut Vec<LogEntry>)) -> LogFetchResult {
    let mut v = p.entries.into_inner();
    f(&mut v);
    p.entries = BoundedVec::new(v).unwrap();
    p
}

/// Which history a prefix of accepted entries is: `Some(true)` for `a`, `Some(false)` for `b`,
/// `None` for neither.
fn prefix_of(got: &[LogEntry], a: &[LogEntry], b: &[LogEntry]) -> Option<bool> {
    let is = |h: &[LogEntry]| got.len() <= h.len() && got.iter().zip(h).all(|(x, y)| x == y);
    if is(a) {
        Some(true)
    } else if is(b) {
        Some(false)
    } else {
        None
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_host_fault_makes_a_forged_or_reordered_history_accepted(
        n in 2u64..24,
        k in 0usize..24,
        extra in 1u64..8,
        faults in proptest::collection::vec(fault(), 1..40),
    ) {
        let a = chain(n);
        let k = k % a.len();
        let b = fork(&a, k, k as u64 + extra);
        let mut s = LogState::new();
        let mut accepted: Vec<LogEntry> = Vec::new();
        let mut last: Option<LogFetchResult> = None;
        for f in faults {
            let v = s.verified();
            let honest = |l: u64| page(&a, v, l);
            let served = match f {
                Fault::Honest(l) => honest(l),
                Fault::Drop => continue,
                Fault::Replay => match last.clone() {
                    Some(p) => p,
                    None => continue,
                },
                Fault::Reorder(i, j) => with_entries(honest(6), |e| {
                    if !e.is_empty() {
                        let (i, j) = (i % e.len(), j % e.len());
                        e.swap(i, j);
                    }
                }),
                Fault::Withhold(i) => with_entries(honest(6), |e| {
                    if !e.is_empty() {
                        let i = i % e.len();
                        e.remove(i);
                    }
                }),
                Fault::Rollback(d) => {
                    let end = a.len().saturating_sub(d as usize);
                    page(&a[..end], v, 6)
                }
                Fault::Forge(i, in_head, bit) => with_entries(honest(6), |e| {
                    if !e.is_empty() {
                        let i = i % e.len();
                        if in_head {
                            e[i].head.0[0] ^= 1 << bit;
                        } else {
                            e[i].bytes[0] ^= 1 << bit;
                        }
                    }
                }),
                Fault::Fork(l) => page(&b, v, l),
            };
            last = Some(served.clone());
            let from_b = matches!(f, Fault::Fork(_));
            // The member already holds a prefix of `a` past the point where `b` parts from it
            // (or of `b` past it, and is served `a`): that page must be a detection.
            let diverged = v as usize > k
                && prefix_of(&accepted, &a, &b) == Some(from_b)
                && (from_b || matches!(f, Fault::Honest(_)));
            let before = s.clone();
            match s.verify_page(served) {
                Ok(got) => {
                    prop_assert!(!diverged, "a page of the other history was accepted");
                    accepted.extend(got);
                    prop_assert!(
                        prefix_of(&accepted, &a, &b).is_some(),
                        "accepted entries are no history's prefix"
                    );
                    prop_assert_eq!(s.verified(), accepted.len() as u64);
                }
                Err(d) => {
                    prop_assert!(matches!(
                        d.code,
                        ErrorCode::ROLLBACK_DETECTED
                            | ErrorCode::FORK_DETECTED
                            | ErrorCode::WITHHELD_DETECTED
                    ));
                    // A failed check changes nothing; the member stops here (HRT-LOG-38).
                    prop_assert_eq!(s, before);
                    break;
                }
            }
        }
    }

    #[test]
    fn a_seen_head_of_the_other_history_is_a_bad_claim_once_they_part(
        n in 2u64..24,
        k in 0usize..24,
        seen in 1u64..24,
    ) {
        let a = chain(n);
        let k = k % a.len();
        let b = fork(&a, k, n);
        let mut s = LogState::new();
        s.verify_page(page(&a, 0, 64)).unwrap();
        let seen = seen.min(n);
        let head = b[seen as usize - 1].head.0;
        let mut senders = Senders::default();
        let r = senders.check(
            &s,
            MessageFacts {
                seq: n + 1,
                sender: &[1; 32],
                msg_ref: &Hash([2; 32]),
                seen_seq: seen,
                seen_head: &head,
                prev: None,
            },
            Fingerprint::from_bytes([1; 32]),
        );
        if seen as usize > k {
            prop_assert_eq!(r.err().map(|d| d.detection.code), Some(ErrorCode::BAD_CLAIM));
        } else {
            prop_assert!(r.is_ok());
        }
    }
}

#[test]
fn a_consistent_fork_from_the_start_is_not_detectable_alone() {
    // §9.7: a member the host keeps isolated on its own history sees a valid chain; only
    // another member's seen_head (above, a `bad_claim`) or a contradicting claim can show
    // the fork.
    let a = chain(5);
    let b = fork(&a, 0, 5);
    let mut s = LogState::new();
    assert!(s.verify_page(page(&b, 0, 10)).is_ok());
}
