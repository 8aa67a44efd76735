//! Spec §9.5 and §9.6: a member's view of one channel's log (what it has verified, what the
//! host has claimed) and the checks that turn a served page into verified entries or a
//! [`Detection`].

use std::collections::BTreeMap;

use hearth_wire::log::LogEntry;
use hearth_wire::request::LogFetchResult;
use hearth_wire::{EntryKind, ErrorCode};

/// `head_s` of an entry (spec §9.3, HRT-LOG-19), with the shared chain function of
/// hearth-crypto.
pub fn next_head(prev: &[u8], seq: u64, kind: EntryKind, bytes: &[u8]) -> [u8; 32] {
    hearth_crypto::log::next_head(prev, seq, kind as u64, bytes)
}

/// Evidence that the host lied (spec §9.9): the code and the `seq` it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detection {
    /// `rollback_detected`, `fork_detected` or `withheld_detected`.
    pub code: ErrorCode,
    /// The `seq` at which the contradiction shows, when there is one.
    pub seq: Option<u64>,
    /// What contradicts what, for the user and for the evidence export (HRT-LOG-40).
    pub evidence: String,
}

impl Detection {
    pub(crate) fn new(code: ErrorCode, seq: Option<u64>, evidence: String) -> Self {
        Self {
            code,
            seq,
            evidence,
        }
    }
}

impl std::fmt::Display for Detection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self.code.name().unwrap_or("detection");
        match self.seq {
            Some(s) => write!(f, "{name} at seq {s}: {}", self.evidence),
            None => write!(f, "{name}: {}", self.evidence),
        }
    }
}

impl std::error::Error for Detection {}

/// The log state of §9.5: `V`, `head_V`, `T`, retained heads, claims and own posts.
///
/// It is plain data: [`LogState::snapshot`] and [`LogState::from_snapshot`] convert it to and
/// from [`LogSnapshot`] for a store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogState {
    /// `V`: the highest verified `seq`.
    pub(crate) v: u64,
    /// `T`: the highest `seq` the host ever claimed (HRT-LOG-6).
    pub(crate) t: u64,
    /// Verified heads by `seq` (HRT-LOG-29: all are retained).
    pub(crate) heads: BTreeMap<u64, [u8; 32]>,
    /// Unverified `(seq, head)` claims: results of own requests, tips not yet reached.
    pub(crate) claims: BTreeMap<u64, [u8; 32]>,
    /// The kind and exact bytes of own accepted posts, by `seq` (HRT-LOG-22).
    pub(crate) own: BTreeMap<u64, (EntryKind, Vec<u8>)>,
}

/// The persisted form of a [`LogState`] (spec §9.5): every field, public, for a store to
/// write and read back. A snapshot read back is trusted as the member's own earlier state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogSnapshot {
    /// `V`.
    pub verified: u64,
    /// `T`.
    pub claimed_tip: u64,
    /// Verified heads by `seq` (HRT-LOG-29).
    pub heads: BTreeMap<u64, [u8; 32]>,
    /// Unverified `(seq, head)` claims (HRT-LOG-20, HRT-LOG-21).
    pub claims: BTreeMap<u64, [u8; 32]>,
    /// The kind and exact bytes of own accepted posts not yet verified (HRT-LOG-22).
    pub own: BTreeMap<u64, (EntryKind, Vec<u8>)>,
}

impl LogState {
    /// The persisted form of this state.
    pub fn snapshot(&self) -> LogSnapshot {
        LogSnapshot {
            verified: self.v,
            claimed_tip: self.t,
            heads: self.heads.clone(),
            claims: self.claims.clone(),
            own: self.own.clone(),
        }
    }

    /// The state a [`LogState::snapshot`] was taken of.
    pub fn from_snapshot(s: LogSnapshot) -> Self {
        Self {
            v: s.verified,
            t: s.claimed_tip,
            heads: s.heads,
            claims: s.claims,
            own: s.own,
        }
    }

    /// `T`: the highest `seq` the host ever claimed (HRT-LOG-6).
    pub fn claimed_tip(&self) -> u64 {
        self.t
    }

    /// A creator's state: `V = 0`, `head_0 = h''`, `T = 0` (spec §9.5).
    pub fn new() -> Self {
        Self::default()
    }

    /// `V`.
    pub fn verified(&self) -> u64 {
        self.v
    }

    /// `head_V` (`None` while `V` is 0: the empty string).
    pub fn head_v(&self) -> Option<[u8; 32]> {
        self.heads.get(&self.v).copied()
    }

    /// The verified head at `seq`, if retained.
    pub fn head_at(&self, seq: u64) -> Option<[u8; 32]> {
        self.heads.get(&seq).copied()
    }

    /// Records the result of an own request that created an entry: `(seq, head)` is a claim
    /// and `(kind, bytes)` what the entry must hold (spec §9.5, HRT-LOG-6, HRT-LOG-22). A head
    /// that contradicts one already verified or claimed for that `seq` is a fork (HRT-LOG-20).
    pub fn record_own(
        &mut self,
        seq: u64,
        head: [u8; 32],
        kind: EntryKind,
        bytes: Vec<u8>,
    ) -> Result<(), Detection> {
        // The entry of a new post comes after every entry the host had already claimed: a
        // result naming an earlier position is the host passing off another entry as this
        // post (HRT-LOG-6, HRT-LOG-22).
        if seq <= self.t {
            return Err(Detection::new(
                ErrorCode::FORK_DETECTED,
                Some(seq),
                format!(
                    "the host placed a new post at seq {seq}, where it had already claimed an entry (tip {})",
                    self.t
                ),
            ));
        }
        let held = self.heads.get(&seq).or_else(|| self.claims.get(&seq));
        if held.is_some_and(|h| *h != head) {
            return Err(Detection::new(
                ErrorCode::FORK_DETECTED,
                Some(seq),
                format!("the host gave seq {seq} another head than before"),
            ));
        }
        self.t = seq;
        self.claims.insert(seq, head);
        self.own.insert(seq, (kind, bytes));
        Ok(())
    }

    /// Checks a `LogFetchResult` served for `since = V` (spec §9.5 steps 2 to 5) and returns
    /// the entries now verified, in `seq` order; the state advances only if every check
    /// passes. The caller processes the entries in that order (HRT-LOG-23).
    pub fn verify_page(&mut self, page: LogFetchResult) -> Result<Vec<LogEntry>, Detection> {
        let tip = page.tip.0;
        // Step 2 (HRT-LOG-15).
        if tip < self.t && !crate::conversation::mutant::on("accept-rollback") {
            return Err(Detection::new(
                ErrorCode::ROLLBACK_DETECTED,
                Some(tip),
                format!("the host served tip {tip} after having claimed {}", self.t),
            ));
        }
        // Step 3 (HRT-LOG-16, HRT-LOG-17, HRT-LOG-18).
        if page.entries.is_empty() && self.v < tip {
            return Err(Detection::new(
                ErrorCode::WITHHELD_DETECTED,
                Some(self.v + 1),
                format!("no entries served after {} while the tip is {tip}", self.v),
            ));
        }
        for (expected, e) in (self.v + 1..).zip(page.entries.as_slice().iter()) {
            if e.seq.0 > tip {
                return Err(Detection::new(
                    ErrorCode::FORK_DETECTED,
                    Some(e.seq.0),
                    format!("entry {} served beyond the tip {tip}", e.seq.0),
                ));
            }
            if e.seq.0 != expected && !crate::conversation::mutant::on("accept-gaps") {
                return Err(Detection::new(
                    ErrorCode::WITHHELD_DETECTED,
                    Some(expected),
                    format!("entry {} served where {expected} was due", e.seq.0),
                ));
            }
        }
        // Step 4 (HRT-LOG-19, HRT-LOG-20, HRT-LOG-22).
        let mut prev: Vec<u8> = self.head_v().map(|h| h.to_vec()).unwrap_or_default();
        let mut new_heads = Vec::with_capacity(page.entries.len());
        for e in page.entries.as_slice().iter() {
            let s = e.seq.0;
            let mut computed = next_head(&prev, s, e.kind, &e.bytes);
            if crate::conversation::mutant::on("skip-chain") {
                computed = e.head.0;
            }
            if computed != e.head.0 {
                return Err(Detection::new(
                    ErrorCode::FORK_DETECTED,
                    Some(s),
                    format!("the served head of entry {s} does not follow from the chain"),
                ));
            }
            let held = self.claims.get(&s).or_else(|| self.heads.get(&s));
            if held.is_some_and(|h| *h != computed) {
                return Err(Detection::new(
                    ErrorCode::FORK_DETECTED,
                    Some(s),
                    format!("entry {s} has a head other than the one the host gave before"),
                ));
            }
            if let Some((kind, bytes)) = self.own.get(&s) {
                if *kind != e.kind || *bytes != e.bytes {
                    return Err(Detection::new(
                        ErrorCode::FORK_DETECTED,
                        Some(s),
                        format!("entry {s} is not what this client posted there"),
                    ));
                }
            }
            new_heads.push((s, computed));
            prev = computed.to_vec();
        }
        // Step 5 (HRT-LOG-21).
        let last = new_heads.last().copied();
        let tip_head: Option<[u8; 32]> = page.head.as_slice().try_into().ok();
        match (last, tip_head) {
            (Some((s, h)), Some(th)) if s == tip && h != th => {
                return Err(Detection::new(
                    ErrorCode::FORK_DETECTED,
                    Some(tip),
                    format!("the head at tip {tip} differs from entry {tip}'s head"),
                ));
            }
            (None, Some(th)) if self.v == tip && self.head_v().is_some_and(|h| h != th) => {
                return Err(Detection::new(
                    ErrorCode::FORK_DETECTED,
                    Some(tip),
                    format!("the head at tip {tip} differs from the verified head"),
                ));
            }
            _ => {}
        }
        // A tip not reached by this page is kept as a claim; two claims for one seq must agree.
        let tip_claim = match tip_head {
            Some(th) if tip > last.map_or(self.v, |(s, _)| s) => {
                if self.claims.get(&tip).is_some_and(|h| *h != th) {
                    return Err(Detection::new(
                        ErrorCode::FORK_DETECTED,
                        Some(tip),
                        format!("two different heads claimed for tip {tip}"),
                    ));
                }
                Some(th)
            }
            _ => None,
        };
        // Every check passed: advance.
        for (s, hd) in &new_heads {
            self.heads.insert(*s, *hd);
            self.claims.remove(s);
            self.own.remove(s);
        }
        if let Some((s, _)) = last {
            self.v = s;
        }
        if let Some(th) = tip_claim {
            self.claims.insert(tip, th);
        }
        self.t = self.t.max(tip);
        Ok(page.entries.into_inner())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
pub(crate) mod tests {
    use super::*;
    use hearth_wire::{BoundedBytes, BoundedVec, Epoch, Hash, Secs, Seq};
    use proptest::prelude::*;

    /// An honest log of `n` entries with distinct bytes.
    pub(crate) fn chain(n: u64) -> Vec<LogEntry> {
        let mut prev: Vec<u8> = Vec::new();
        (1..=n)
            .map(|s| {
                let kind = if s == 1 {
                    EntryKind::Create
                } else {
                    EntryKind::Msg
                };
                let bytes = format!("entry {s}").into_bytes();
                let head = next_head(&prev, s, kind, &bytes);
                prev = head.to_vec();
                LogEntry {
                    seq: Seq(s),
                    kind,
                    bytes,
                    head: Hash(head),
                    received: Secs(0),
                }
            })
            .collect()
    }

    /// The page `since+1 ..= since+limit` of `log`, with its tip and head at tip.
    pub(crate) fn page(log: &[LogEntry], since: u64, limit: u64) -> LogFetchResult {
        let tip = log.len() as u64;
        let entries: Vec<LogEntry> = log
            .iter()
            .filter(|e| e.seq.0 > since && e.seq.0 <= since + limit)
            .cloned()
            .collect();
        let head = log.last().map(|e| e.head.0.to_vec()).unwrap_or_default();
        LogFetchResult {
            entries: BoundedVec::new(entries).unwrap(),
            tip: Seq(tip),
            head: BoundedBytes::new(head).unwrap(),
            epoch: Epoch(0),
        }
    }

    pub(crate) fn code(r: Result<Vec<LogEntry>, Detection>) -> ErrorCode {
        r.err().map(|d| d.code).unwrap_or(ErrorCode::OK)
    }

    #[test]
    fn an_honest_log_verifies_page_by_page() {
        let log = chain(10);
        let mut s = LogState::new();
        while s.verified() < 10 {
            let got = s.verify_page(page(&log, s.verified(), 3)).unwrap();
            assert!(!got.is_empty());
        }
        assert_eq!(s.head_v(), Some(log[9].head.0));
        assert!(s.verify_page(page(&log, 10, 3)).unwrap().is_empty());
    }

    #[test]
    fn a_lower_tip_is_a_rollback_hrt_log_15() {
        let log = chain(5);
        let mut s = LogState::new();
        s.verify_page(page(&log, 0, 10)).unwrap();
        assert_eq!(
            code(s.verify_page(page(&log[..3], 5, 10))),
            ErrorCode::ROLLBACK_DETECTED
        );
    }

    #[test]
    fn a_gap_is_withholding_hrt_log_16() {
        let log = chain(5);
        let mut p = page(&log, 0, 10);
        let mut v = p.entries.into_inner();
        v.remove(2);
        p.entries = BoundedVec::new(v).unwrap();
        assert_eq!(
            code(LogState::new().verify_page(p)),
            ErrorCode::WITHHELD_DETECTED
        );
    }

    #[test]
    fn an_empty_page_below_the_tip_is_withholding_hrt_log_17() {
        let log = chain(5);
        let mut p = page(&log, 0, 10);
        p.entries = BoundedVec::new(Vec::new()).unwrap();
        assert_eq!(
            code(LogState::new().verify_page(p)),
            ErrorCode::WITHHELD_DETECTED
        );
    }

    #[test]
    fn an_entry_beyond_the_tip_is_a_fork_hrt_log_18() {
        let log = chain(5);
        let mut p = page(&log, 0, 10);
        p.tip = Seq(4);
        p.head = BoundedBytes::new(log[3].head.0.to_vec()).unwrap();
        assert_eq!(
            code(LogState::new().verify_page(p)),
            ErrorCode::FORK_DETECTED
        );
    }

    #[test]
    fn a_broken_link_is_a_fork_hrt_log_19() {
        let mut log = chain(5);
        log[2].bytes[0] ^= 1;
        assert_eq!(
            code(LogState::new().verify_page(page(&log, 0, 10))),
            ErrorCode::FORK_DETECTED
        );
    }

    #[test]
    fn a_rewritten_history_contradicting_a_claim_is_a_fork_hrt_log_20() {
        let log = chain(5);
        let mut s = LogState::new();
        s.record_own(5, log[4].head.0, EntryKind::Msg, log[4].bytes.clone())
            .unwrap();
        // The same history with entry 3 rewritten and the chain recomputed.
        let mut other = chain(5);
        other[2].bytes = b"rewritten".to_vec();
        let mut prev = other[1].head.0.to_vec();
        for e in other.iter_mut().skip(2) {
            e.head = Hash(next_head(&prev, e.seq.0, e.kind, &e.bytes));
            prev = e.head.0.to_vec();
        }
        assert_eq!(
            code(s.verify_page(page(&other, 0, 10))),
            ErrorCode::FORK_DETECTED
        );
        // The honest one passes.
        assert!(s.verify_page(page(&log, 0, 10)).is_ok());
    }

    #[test]
    fn a_wrong_head_at_tip_is_a_fork_hrt_log_21() {
        let log = chain(5);
        let mut p = page(&log, 0, 10);
        p.head = BoundedBytes::new(vec![7; 32]).unwrap();
        assert_eq!(
            code(LogState::new().verify_page(p)),
            ErrorCode::FORK_DETECTED
        );
        // An unreached tip is kept as a claim and compared later.
        let mut s = LogState::new();
        let mut p = page(&log, 0, 2);
        p.head = BoundedBytes::new(vec![7; 32]).unwrap();
        s.verify_page(p).unwrap();
        assert_eq!(
            code(s.verify_page(page(&log, 2, 10))),
            ErrorCode::FORK_DETECTED
        );
    }

    #[test]
    fn an_own_entry_with_other_bytes_is_a_fork_hrt_log_22() {
        let log = chain(3);
        let mut s = LogState::new();
        s.record_own(3, log[2].head.0, EntryKind::Msg, b"what I posted".to_vec())
            .unwrap();
        assert_eq!(
            code(s.verify_page(page(&log, 0, 10))),
            ErrorCode::FORK_DETECTED
        );
    }

    #[test]
    fn a_result_at_an_already_claimed_position_is_a_fork() {
        let log = chain(3);
        let mut s = LogState::new();
        s.verify_page(page(&log, 0, 10)).unwrap();
        // Even with the true head of that entry: it is some other entry, not the new post.
        let d = s
            .record_own(2, log[1].head.0, EntryKind::Msg, Vec::new())
            .unwrap_err();
        assert_eq!(d.code, ErrorCode::FORK_DETECTED);
        let d = s
            .record_own(3, [9; 32], EntryKind::Msg, Vec::new())
            .unwrap_err();
        assert_eq!(d.code, ErrorCode::FORK_DETECTED);
        assert!(s.record_own(4, [9; 32], EntryKind::Msg, Vec::new()).is_ok());
        // A later, contradicting claim for the same seq is a fork too.
        let mut t = LogState::new();
        t.record_own(5, [1; 32], EntryKind::Msg, Vec::new())
            .unwrap();
        let mut p = page(&chain(6), 0, 2);
        p.tip = Seq(5);
        p.head = BoundedBytes::new(vec![2; 32]).unwrap();
        assert_eq!(code(t.verify_page(p)), ErrorCode::FORK_DETECTED);
    }

    #[test]
    fn a_failed_check_changes_nothing() {
        let log = chain(6);
        let mut s = LogState::new();
        s.verify_page(page(&log, 0, 3)).unwrap();
        let mut bad = log.clone();
        bad[4].bytes[0] ^= 1;
        assert!(s.verify_page(page(&bad, 3, 10)).is_err());
        assert_eq!(s.verified(), 3);
        assert!(s.verify_page(page(&log, 3, 10)).is_ok());
        assert_eq!(s.verified(), 6);
    }

    proptest! {
        /// Any honest paging verifies to the end; any single-byte change to any served entry
        /// (its bytes or its head) is detected as a fork.
        #[test]
        fn honest_pages_verify_and_one_flip_is_caught(
            n in 1u64..40,
            limits in proptest::collection::vec(1u64..8, 1..20),
            target in 0usize..40,
            in_head in any::<bool>(),
            bit in 0u8..8,
        ) {
            let log = chain(n);
            let mut s = LogState::new();
            let mut i = 0;
            while s.verified() < n {
                let l = limits[i % limits.len()];
                i += 1;
                prop_assert!(s.verify_page(page(&log, s.verified(), l)).is_ok());
            }
            let mut bad = log.clone();
            let t = target % bad.len();
            if in_head {
                bad[t].head.0[0] ^= 1 << bit;
            } else {
                bad[t].bytes[0] ^= 1 << bit;
            }
            prop_assert_eq!(
                code(LogState::new().verify_page(page(&bad, 0, 64))),
                ErrorCode::FORK_DETECTED
            );
        }
    }
}
