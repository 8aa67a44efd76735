//! Spec §9.7 and §9.8: what every opened message says about the log, checked against this
//! member's own view. §9.7 compares the sender's `(seen_seq, seen_head)` with the heads this
//! member verified; §9.8 follows each sender's chain of `prev` references, which makes
//! withholding of a member's messages evident. [`Senders`] also keeps this member's own side of
//! §9.8: the `prev` of its next message (HRT-LOG-34, HRT-LOG-35).

use std::collections::{HashMap, HashSet};

use hearth_crypto::envelope::ContentBuilder;
use hearth_crypto::keys::Fingerprint;
use hearth_crypto::ProtocolError;
use hearth_wire::envelope::Content;
use hearth_wire::{EntryKind, ErrorCode, Hash};

use super::{Detection, LogState};

/// What an opened message claims about the log (its authenticated `Content` keys 4 to 6) and
/// where it was found.
#[derive(Clone, Copy, Debug)]
pub struct MessageFacts<'a> {
    /// The `seq` of the log entry that carries the message.
    pub seq: u64,
    /// The sender's identity key bytes: a member across epochs (§9.8).
    pub sender: &'a [u8; 32],
    /// `H("msgref", envelope)` (§7.7).
    pub msg_ref: &'a Hash,
    /// `seen_seq` (key 4).
    pub seen_seq: u64,
    /// `seen_head` (key 5): empty or 32 bytes.
    pub seen_head: &'a [u8],
    /// `prev` (key 6).
    pub prev: Option<&'a Hash>,
}

/// The per-sender records of one channel (spec §9.8) and this member's own posts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Senders {
    /// The anchor `seq` (0 for the creator and a joiner that verified from 0): HRT-LOG-36's
    /// exception for a member's first message applies only above 0.
    pub anchor: u64,
    /// `msg-ref`s of verified messages, by sender identity (HRT-LOG-36).
    pub sent_by: HashMap<[u8; 32], HashSet<[u8; 32]>>,
    /// The `prev` of each sender's first message after the anchor (HRT-LOG-36).
    pub first_prev: HashMap<[u8; 32], Option<[u8; 32]>>,
    /// `msg-ref`s of this member's own posts, accepted or of unknown outcome: entries that
    /// are never opened nor taken for a stranger's.
    pub own_refs: HashSet<[u8; 32]>,
    /// The `prev` of the next own message: the last own message the host accepted
    /// (HRT-LOG-34).
    pub last_own: Option<Hash>,
}

/// A message that proves the host lied (HRT-LOG-32, HRT-LOG-33, HRT-LOG-36), with the member
/// whose message showed it (HRT-LOG-39).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberDetection {
    /// What was detected.
    pub detection: Detection,
    /// The member whose message triggered it.
    pub member: Fingerprint,
}

impl Senders {
    /// The records of a member anchored at `anchor` (§9.6; 0 for a creator).
    pub fn anchored_at(anchor: u64) -> Self {
        Self {
            anchor,
            ..Self::default()
        }
    }

    /// Whether the entry with this `msg-ref` is one of this member's own posts.
    pub fn is_own(&self, msg_ref: &Hash) -> bool {
        self.own_refs.contains(&msg_ref.0)
    }

    /// Records an own post whose outcome is unknown (no answer, §10.4): if the host did accept
    /// it, its entry is this member's own, and it is not `prev` material (HRT-LOG-35).
    pub fn posted_unconfirmed(&mut self, msg_ref: Hash) {
        self.own_refs.insert(msg_ref.0);
    }

    /// Records an own post the host accepted (`ok`): it is the next `prev` (HRT-LOG-34).
    pub fn posted_accepted(&mut self, msg_ref: Hash) {
        self.own_refs.insert(msg_ref.0);
        self.last_own = Some(msg_ref);
    }

    /// The `prev` for the next own message (HRT-LOG-34, HRT-LOG-35).
    pub fn next_prev(&self) -> Option<Hash> {
        self.last_own
    }

    /// The `Content` of a new own message: `builder` with this member's view of the log,
    /// `seen_seq = V` and `seen_head = head_V` (HRT-LOG-30), and `prev` the last own message
    /// the host accepted (HRT-LOG-34, HRT-LOG-35). Made anew for every seal, so that a message
    /// retried after the state moved on carries the current view.
    pub fn stamp(&self, log: &LogState, builder: ContentBuilder) -> Result<Content, ProtocolError> {
        Ok(builder
            .seen(log.verified(), log.head_v().map(Hash))?
            .prev(self.next_prev())
            .build())
    }

    /// Records the `ok` of an own `msg.post`: `(seq, head)` is a claim and the envelope what
    /// the entry must hold (HRT-LOG-6, HRT-LOG-22), and the message is the next `prev`
    /// (HRT-LOG-34). A result that contradicts the log is a detection, and the message is then
    /// not `prev` material.
    pub fn record_post(
        &mut self,
        log: &mut LogState,
        seq: u64,
        head: [u8; 32],
        envelope: Vec<u8>,
        msg_ref: Hash,
    ) -> Result<(), Detection> {
        log.record_own(seq, head, EntryKind::Msg, envelope)?;
        self.posted_accepted(msg_ref);
        Ok(())
    }

    /// Checks one opened message against `log` (HRT-LOG-32, HRT-LOG-33, HRT-LOG-36) and, when
    /// it passes, records it as its sender's. `fingerprint` names the sender in a detection.
    pub fn check(
        &mut self,
        log: &LogState,
        m: MessageFacts<'_>,
        fingerprint: Fingerprint,
    ) -> Result<(), MemberDetection> {
        let fail = |code: ErrorCode, seq: u64, evidence: String| MemberDetection {
            detection: Detection::new(code, Some(seq), evidence),
            member: fingerprint,
        };
        // HRT-LOG-32: a sender cannot have seen the entry that carries its own message.
        if m.seen_seq >= m.seq {
            return Err(fail(
                ErrorCode::FORK_DETECTED,
                m.seq,
                format!(
                    "a message at seq {} claims to have seen seq {}",
                    m.seq, m.seen_seq
                ),
            ));
        }
        // HRT-LOG-33: the sender's view of the chain must match ours, where we hold a head.
        if m.seen_seq > 0 && !super::super::mutant::on("ignore-seen-head") {
            if let Some(held) = log.head_at(m.seen_seq) {
                if m.seen_head != held.as_slice() {
                    return Err(fail(
                        ErrorCode::FORK_DETECTED,
                        m.seen_seq,
                        format!("the sender's head at seq {} differs from ours", m.seen_seq),
                    ));
                }
            }
        }
        // HRT-LOG-36: `prev` must name a message of the same member that we verified, or the
        // `prev` of its first message after our anchor.
        let recorded = self.sent_by.entry(*m.sender).or_default();
        if let Some(p) = m.prev {
            let known = recorded.contains(&p.0);
            let first_after_anchor = self.anchor > 0 && recorded.is_empty();
            let named_before = self.first_prev.get(m.sender).copied().flatten() == Some(p.0);
            if !known
                && !first_after_anchor
                && !named_before
                && !super::super::mutant::on("ignore-prev")
            {
                return Err(fail(
                    ErrorCode::WITHHELD_DETECTED,
                    m.seq,
                    "a message names an earlier message of its sender that this client never \
                     received"
                        .into(),
                ));
            }
        }
        if recorded.is_empty() {
            self.first_prev
                .entry(*m.sender)
                .or_insert(m.prev.map(|p| p.0));
        }
        recorded.insert(m.msg_ref.0);
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests;
