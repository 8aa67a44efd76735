//! A client's view of one channel's log (spec §9.5, §9.6): what it has verified, what the host
//! has claimed, and the checks that turn a served page into verified entries or a detection.

use std::collections::BTreeMap;

use hearth_crypto::label;
use hearth_crypto::labelled::h;
use hearth_wire::log::LogEntry;
use hearth_wire::request::LogFetchResult;
use hearth_wire::{EntryKind, ErrorCode};

/// `head_s = H("log", [head_{s-1}, s, kind, H("entry", bytes)])` (spec §9.3).
pub fn next_head(prev: &[u8], seq: u64, kind: EntryKind, bytes: &[u8]) -> [u8; 32] {
    let entry = h(label::ENTRY, |e| {
        e.bytes(bytes);
    });
    h(label::LOG, |e| {
        e.array(4)
            .bytes(prev)
            .uint(seq)
            .uint(kind as u64)
            .bytes(&entry);
    })
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
    fn new(code: ErrorCode, seq: Option<u64>, evidence: String) -> Self {
        Self {
            code,
            seq,
            evidence,
        }
    }
}

/// The log state of §9.5: `V`, `head_V`, `T`, retained heads, claims and own posts.
#[derive(Clone, Debug, Default)]
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

impl LogState {
    /// A creator's state: `V = 0`, `head_0 = h''`, `T = 0` (spec §9.5).
    pub fn new() -> Self {
        Self::default()
    }

    /// A joiner's state anchored at the commit that added it (HRT-LOG-27): `V = seq`,
    /// `head_V` = the served head of that entry, `T` at least `seq`.
    pub fn anchored(seq: u64, head: [u8; 32], tip: u64) -> Self {
        let mut s = Self {
            v: seq,
            t: tip.max(seq),
            ..Self::default()
        };
        s.heads.insert(seq, head);
        s
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
    /// and `(kind, bytes)` what the entry must hold (spec §9.5, HRT-LOG-6, HRT-LOG-22).
    pub fn record_own(&mut self, seq: u64, head: [u8; 32], kind: EntryKind, bytes: Vec<u8>) {
        self.t = self.t.max(seq);
        if seq > self.v {
            self.claims.insert(seq, head);
            self.own.insert(seq, (kind, bytes));
        }
    }

    /// Checks a `LogFetchResult` served for `since = V` (spec §9.5 steps 2 to 5) and returns
    /// the entries now verified, in `seq` order; the state advances only if every check
    /// passes. The caller processes the entries in that order (HRT-LOG-23).
    pub fn verify_page(&mut self, page: LogFetchResult) -> Result<Vec<LogEntry>, Detection> {
        let tip = page.tip.0;
        // Step 2 (HRT-LOG-15).
        if tip < self.t && !crate::mutant::on("accept-rollback") {
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
            if e.seq.0 != expected && !crate::mutant::on("accept-gaps") {
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
            if crate::mutant::on("skip-chain") {
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
        // Every check passed: advance.
        for (s, hd) in &new_heads {
            self.heads.insert(*s, *hd);
            self.claims.remove(s);
            self.own.remove(s);
        }
        if let Some((s, _)) = last {
            self.v = s;
        }
        if let Some(th) = tip_head {
            if tip > self.v {
                let held = self.claims.get(&tip).copied();
                if held.is_some_and(|h| h != th) {
                    return Err(Detection::new(
                        ErrorCode::FORK_DETECTED,
                        Some(tip),
                        format!("two different heads claimed for tip {tip}"),
                    ));
                }
                self.claims.insert(tip, th);
            }
        }
        self.t = self.t.max(tip);
        Ok(page.entries.into_inner())
    }
}
