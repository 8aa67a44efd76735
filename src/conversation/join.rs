//! Spec §5.9 and §9.6: what a joiner does with its log once the host served its Welcome. The
//! joiner verifies the chain from `since = 0` up to the add commit (HRT-LOG-28), so that the
//! anchor is bound by the chain as well as by the confirmation tag (HRT-LOG-26), and so that it
//! knows the leave entries before it (HRT-GRP-73); [`anchor`] finds that commit among the
//! verified entries, [`Anchored::finish`] builds the channel after the Welcome is accepted.

use hearth_crypto::envelope::message_ref;
use hearth_crypto::group::Group;
use hearth_wire::log::LogEntry;
use hearth_wire::{EntryKind, ErrorCode};

use super::channel::{Channel, Received};
use super::log::{LogState, Senders};

/// The anchor of a joiner's log (HRT-LOG-26): the verified entry at `s_add`
/// (`WelcomeFetchResult` key 2), which must be a commit. Its bytes go to
/// `PendingMember::accept_welcome`, which checks the base epoch and the confirmation tag.
/// `welcome_mismatch` when the log has no such commit.
pub fn anchor(entries: &[LogEntry], s_add: u64) -> Result<&LogEntry, ErrorCode> {
    entries
        .iter()
        .find(|e| e.seq.0 == s_add && e.kind == EntryKind::Commit)
        .ok_or(ErrorCode::WELCOME_MISMATCH)
}

/// A joiner's verified log from 0 up to at least its anchor, waiting for the group.
pub struct Anchored {
    /// The log state (`V >= s_add`, HRT-LOG-27).
    pub log: LogState,
    /// The anchor's `seq`.
    pub s_add: u64,
    /// The verified entries, in `seq` order.
    pub entries: Vec<LogEntry>,
}

impl Anchored {
    /// The channel of the group the Welcome gave: the leaves before the anchor recorded
    /// (HRT-GRP-73; a leave of someone no longer in the roster is not recorded), the sender
    /// records of a log verified from its start, with the `msg-ref` of every message before
    /// the anchor (§9.8: verified, though not opened), so that no pre-anchor exception applies
    /// (HRT-LOG-43), and the entries after the anchor processed as any others (§9.5 step 6).
    pub fn finish(self, group: Group) -> (Channel, Vec<(u64, Received)>) {
        let mut senders = Senders::anchored_at(0);
        for e in self
            .entries
            .iter()
            .filter(|e| e.seq.0 < self.s_add && e.kind == EntryKind::Msg)
        {
            senders.record_unopened(message_ref(&e.bytes));
        }
        let mut ch = Channel::new(group, self.log, senders);
        for e in self
            .entries
            .iter()
            .filter(|e| e.seq.0 < self.s_add && e.kind == EntryKind::Leave)
        {
            let _ = ch.group_mut().record_leave(&e.bytes);
        }
        let after: Vec<LogEntry> = self
            .entries
            .into_iter()
            .filter(|e| e.seq.0 > self.s_add)
            .collect();
        let got = ch.process(&after);
        (ch, got)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use hearth_wire::{Hash, Secs, Seq};

    fn entry(seq: u64, kind: EntryKind) -> LogEntry {
        LogEntry {
            seq: Seq(seq),
            kind,
            bytes: vec![seq as u8],
            head: Hash([0; 32]),
            received: Secs(0),
        }
    }

    #[test]
    fn the_anchor_is_the_commit_at_s_add_hrt_log_26() {
        let es = vec![
            entry(1, EntryKind::Create),
            entry(2, EntryKind::Msg),
            entry(3, EntryKind::Commit),
        ];
        assert_eq!(anchor(&es, 3).unwrap().seq.0, 3);
        assert_eq!(anchor(&es, 2).err(), Some(ErrorCode::WELCOME_MISMATCH));
        assert_eq!(anchor(&es, 4).err(), Some(ErrorCode::WELCOME_MISMATCH));
    }
}
