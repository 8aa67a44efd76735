//! The log lies: the fake history a log fault makes of the true log, cut into pages by the
//! proxy, with the hash chain of spec §9.3 recomputed where the fault says so.

use hearth_wire::log::LogEntry;
use hearth_wire::Seq;

use super::fault::Fault;
use crate::client::next_head;

/// A fake log: entries (ascending, possibly with gaps), the tip and head at tip to serve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeLog {
    /// The entries.
    pub entries: Vec<LogEntry>,
    /// The tip to serve.
    pub tip: u64,
    /// The head at tip to serve.
    pub head: Vec<u8>,
}

fn flip_last(b: &mut Vec<u8>) {
    match b.last_mut() {
        Some(x) => *x ^= 0x01,
        None => b.push(0),
    }
}

fn kind_code(k: hearth_wire::EntryKind) -> u64 {
    k as u64
}

/// Recomputes the heads of `entries` (consecutive, in order) from the entry with seq `from`
/// on, with the formula of spec §9.3.
pub fn rechain(entries: &mut [LogEntry], from: u64) {
    let mut prev: Vec<u8> = Vec::new();
    for e in entries.iter_mut() {
        if e.seq.0 >= from {
            e.head = hearth_wire::Hash(next_head(&prev, e.seq.0, kind_code(e.kind), &e.bytes));
        }
        prev = e.head.0.to_vec();
    }
}

fn tip_of(entries: &[LogEntry]) -> (u64, Vec<u8>) {
    entries
        .last()
        .map_or((0, Vec::new()), |e| (e.seq.0, e.head.0.to_vec()))
}

/// The fake log a fault makes of the true one (`truth`: entries 1..=tip, consecutive; `head`:
/// the true head at tip).
pub fn fake_history(truth: &[LogEntry], head: &[u8], fault: &Fault) -> FakeLog {
    let true_tip = truth.last().map_or(0, |e| e.seq.0);
    let mut v = truth.to_vec();
    let same = |entries: Vec<LogEntry>| FakeLog {
        entries,
        tip: true_tip,
        head: head.to_vec(),
    };
    let chained = |entries: Vec<LogEntry>| {
        let (tip, head) = tip_of(&entries);
        FakeLog { entries, tip, head }
    };
    match fault {
        Fault::DropEntry(s) => {
            v.retain(|e| e.seq.0 != *s);
            same(v)
        }
        Fault::EmptyPage => same(Vec::new()),
        Fault::DuplicateEntry(s) => {
            let Some(pos) = v.iter().position(|e| e.seq.0 == *s) else {
                return same(v);
            };
            let Some(copy) = v.get(pos).cloned() else {
                return same(v);
            };
            v.insert(pos + 1, copy);
            for (i, e) in v.iter_mut().enumerate() {
                e.seq = Seq(i as u64 + 1);
            }
            rechain(&mut v, s + 1);
            chained(v)
        }
        Fault::SwapEntries(a, b) => {
            let pa = v.iter().position(|e| e.seq.0 == *a);
            let pb = v.iter().position(|e| e.seq.0 == *b);
            let (Some(pa), Some(pb)) = (pa, pb) else {
                return same(v);
            };
            let (Some(ea), Some(eb)) = (v.get(pa).cloned(), v.get(pb).cloned()) else {
                return same(v);
            };
            if let Some(x) = v.get_mut(pa) {
                x.kind = eb.kind;
                x.bytes = eb.bytes.clone();
            }
            if let Some(x) = v.get_mut(pb) {
                x.kind = ea.kind;
                x.bytes = ea.bytes;
            }
            rechain(&mut v, (*a).min(*b));
            chained(v)
        }
        Fault::AlterEntryBytes(s) => {
            if let Some(e) = v.iter_mut().find(|e| e.seq.0 == *s) {
                flip_last(&mut e.bytes);
            }
            rechain(&mut v, *s);
            chained(v)
        }
        Fault::AlterEntryKeepHeads(s) => {
            if let Some(e) = v.iter_mut().find(|e| e.seq.0 == *s) {
                flip_last(&mut e.bytes);
            }
            same(v)
        }
        Fault::LowerTip(n) => {
            v.retain(|e| e.seq.0 <= *n);
            chained(v)
        }
        Fault::EntryBeyondTip => {
            if let Some(last) = v.last().cloned() {
                v.push(LogEntry {
                    seq: Seq(last.seq.0 + 1),
                    ..last
                });
                rechain(&mut v, true_tip + 1);
            }
            same(v)
        }
        Fault::WrongTipHead => {
            let mut h = head.to_vec();
            flip_last(&mut h);
            FakeLog {
                entries: v,
                tip: true_tip,
                head: h,
            }
        }
        Fault::ForkAfter(s, repl) => {
            v.retain(|e| e.seq.0 <= *s);
            let received = truth.last().map(|e| e.received).unwrap_or_default();
            for (i, (kind, bytes)) in repl.iter().enumerate() {
                v.push(LogEntry {
                    seq: Seq(s + 1 + i as u64),
                    kind: *kind,
                    bytes: bytes.clone(),
                    head: hearth_wire::Hash([0; 32]),
                    received,
                });
            }
            rechain(&mut v, s + 1);
            chained(v)
        }
        Fault::ReplaceEntry { seq, bytes } => {
            let Some(e) = v.iter_mut().find(|e| e.seq.0 == *seq) else {
                return same(v);
            };
            e.bytes = bytes.clone();
            rechain(&mut v, *seq);
            chained(v)
        }
        Fault::WithholdEntry(s) => {
            if !v.iter().any(|e| e.seq.0 == *s) {
                return same(v);
            }
            v.retain(|e| e.seq.0 != *s);
            for (i, e) in v.iter_mut().enumerate() {
                e.seq = Seq(i as u64 + 1);
            }
            rechain(&mut v, *s);
            chained(v)
        }
        Fault::Down
        | Fault::Close
        | Fault::Delay(_)
        | Fault::Status(_)
        | Fault::ReplaceWelcome(..) => same(v),
    }
}

/// Checks that `entries` (consecutive from seq 1) chain with the formula of spec §9.3 and end
/// at `head`; returns the first seq whose served head differs, or `Some(0)` when only the head at
/// tip differs.
pub fn first_broken_link(entries: &[LogEntry], head: &[u8]) -> Option<u64> {
    let mut prev: Vec<u8> = Vec::new();
    for e in entries {
        let h = next_head(&prev, e.seq.0, kind_code(e.kind), &e.bytes);
        if h != e.head.0 {
            return Some(e.seq.0);
        }
        prev = h.to_vec();
    }
    (prev != head).then_some(0)
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;
    use hearth_wire::{EntryKind, Hash, Secs};

    fn truth(n: u64) -> (Vec<LogEntry>, Vec<u8>) {
        let mut v: Vec<LogEntry> = (1..=n)
            .map(|s| LogEntry {
                seq: Seq(s),
                kind: if s == 1 {
                    EntryKind::Create
                } else {
                    EntryKind::Msg
                },
                bytes: vec![s as u8; 8],
                head: Hash([0; 32]),
                received: Secs(1000 + s),
            })
            .collect();
        rechain(&mut v, 1);
        let head = tip_of(&v).1;
        (v, head)
    }

    fn seqs(f: &FakeLog) -> Vec<u64> {
        f.entries.iter().map(|e| e.seq.0).collect()
    }

    #[test]
    fn the_true_log_chains() {
        let (t, h) = truth(5);
        assert_eq!(first_broken_link(&t, &h), None);
    }

    #[test]
    fn drop_entry_leaves_a_gap_and_keeps_the_tip() {
        let (t, h) = truth(5);
        let f = fake_history(&t, &h, &Fault::DropEntry(3));
        assert_eq!(seqs(&f), vec![1, 2, 4, 5]);
        assert_eq!((f.tip, f.head.clone()), (5, h));
    }

    #[test]
    fn empty_page_keeps_the_tip() {
        let (t, h) = truth(3);
        let f = fake_history(&t, &h, &Fault::EmptyPage);
        assert!(f.entries.is_empty());
        assert_eq!(f.tip, 3);
    }

    #[test]
    fn alter_entry_bytes_still_chains_but_differs() {
        let (t, h) = truth(5);
        let f = fake_history(&t, &h, &Fault::AlterEntryBytes(3));
        assert_eq!(first_broken_link(&f.entries, &f.head), None);
        assert_eq!(seqs(&f), vec![1, 2, 3, 4, 5]);
        assert_ne!(
            f.entries.get(2).map(|e| &e.bytes),
            t.get(2).map(|e| &e.bytes)
        );
        assert_eq!(f.entries.get(1), t.get(1));
        assert_ne!(f.head, h);
    }

    #[test]
    fn alter_entry_keep_heads_breaks_the_chain_there() {
        let (t, h) = truth(5);
        let f = fake_history(&t, &h, &Fault::AlterEntryKeepHeads(3));
        assert_eq!(first_broken_link(&f.entries, &f.head), Some(3));
        assert_eq!(f.head, h);
    }

    #[test]
    fn duplicate_entry_shifts_and_rechains() {
        let (t, h) = truth(4);
        let f = fake_history(&t, &h, &Fault::DuplicateEntry(2));
        assert_eq!(seqs(&f), vec![1, 2, 3, 4, 5]);
        assert_eq!(f.tip, 5);
        assert_eq!(
            f.entries.get(2).map(|e| &e.bytes),
            t.get(1).map(|e| &e.bytes)
        );
        assert_eq!(
            f.entries.get(3).map(|e| &e.bytes),
            t.get(2).map(|e| &e.bytes)
        );
        assert_eq!(first_broken_link(&f.entries, &f.head), None);
    }

    #[test]
    fn swap_entries_rechains() {
        let (t, h) = truth(4);
        let f = fake_history(&t, &h, &Fault::SwapEntries(2, 3));
        assert_eq!(
            f.entries.get(1).map(|e| &e.bytes),
            t.get(2).map(|e| &e.bytes)
        );
        assert_eq!(
            f.entries.get(2).map(|e| &e.bytes),
            t.get(1).map(|e| &e.bytes)
        );
        assert_eq!(first_broken_link(&f.entries, &f.head), None);
        assert_ne!(f.head, h);
    }

    #[test]
    fn lower_tip_is_a_consistent_prefix() {
        let (t, h) = truth(5);
        let f = fake_history(&t, &h, &Fault::LowerTip(2));
        assert_eq!(seqs(&f), vec![1, 2]);
        assert_eq!(f.tip, 2);
        assert_eq!(Some(f.head.as_slice()), t.get(1).map(|e| &e.head.0[..]));
        assert_eq!(first_broken_link(&f.entries, &f.head), None);
    }

    #[test]
    fn entry_beyond_tip_and_wrong_tip_head() {
        let (t, h) = truth(3);
        let f = fake_history(&t, &h, &Fault::EntryBeyondTip);
        assert_eq!(seqs(&f), vec![1, 2, 3, 4]);
        assert_eq!(f.tip, 3);
        let f = fake_history(&t, &h, &Fault::WrongTipHead);
        assert_eq!(f.entries, t);
        assert_eq!(first_broken_link(&f.entries, &f.head), Some(0));
    }

    #[test]
    fn fork_after_serves_another_history() {
        let (t, h) = truth(4);
        let repl = vec![
            (EntryKind::Msg, vec![9u8; 4]),
            (EntryKind::Msg, vec![8u8; 4]),
        ];
        let f = fake_history(&t, &h, &Fault::ForkAfter(2, repl));
        assert_eq!(seqs(&f), vec![1, 2, 3, 4]);
        assert_eq!(f.entries.get(..2), t.get(..2));
        assert_eq!(
            f.entries.get(2).map(|e| e.bytes.clone()),
            Some(vec![9u8; 4])
        );
        assert_eq!(first_broken_link(&f.entries, &f.head), None);
        assert_ne!(f.head, h);
    }

    #[test]
    fn replace_entry_serves_other_bytes_chained() {
        let (t, h) = truth(5);
        let f = fake_history(
            &t,
            &h,
            &Fault::ReplaceEntry {
                seq: 3,
                bytes: vec![7; 5],
            },
        );
        assert_eq!(seqs(&f), vec![1, 2, 3, 4, 5]);
        assert_eq!(f.entries.get(2).map(|e| e.bytes.clone()), Some(vec![7; 5]));
        assert_eq!(f.entries.get(..2), t.get(..2));
        assert_eq!(first_broken_link(&f.entries, &f.head), None);
        assert_ne!(f.head, h);
    }

    #[test]
    fn withhold_entry_renumbers_and_rechains() {
        let (t, h) = truth(5);
        let f = fake_history(&t, &h, &Fault::WithholdEntry(3));
        assert_eq!(seqs(&f), vec![1, 2, 3, 4]);
        assert_eq!(f.tip, 4);
        assert_eq!(
            f.entries.get(2).map(|e| &e.bytes),
            t.get(3).map(|e| &e.bytes)
        );
        assert_eq!(first_broken_link(&f.entries, &f.head), None);
    }
}
