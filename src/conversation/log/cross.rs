//! Spec §9.7 and §9.8: what every opened message says about the log, checked against this
//! member's own view. §9.7 compares the sender's `(seen_seq, seen_head)` with the heads this
//! member verified; §9.8 follows each sender's chain of `prev` references, which makes
//! withholding of a member's messages evident. [`Senders`] also keeps this member's own side of
//! §9.8: the `prev` of its next message (HRT-LOG-34, HRT-LOG-35).
//!
//! A claim that contradicts this member's log is a [`BadClaim`] naming the sender, never a
//! detection against the host: any member can write a false claim (§9.7, HRT-LOG-45).

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
    /// Where this member's verified log starts (§9.6): 0 (or 1) for the creator and a joiner
    /// that verified the whole chain (HRT-LOG-28), which have no pre-anchor exception; a
    /// joiner's anchor `a > 1` otherwise, above which each member's first message may name a
    /// `prev` before the anchor (HRT-LOG-43).
    pub anchor: u64,
    /// The `msg-ref` of every `msg` entry whose link this member verified, rejected entries
    /// included (§9.8), with the identity key of its sender where it authenticated one.
    pub verified: HashMap<[u8; 32], Option<[u8; 32]>>,
    /// The members whose pre-anchor exception is closed: a message of theirs named an entry
    /// this member verified, so their chain runs through the verified log (HRT-LOG-43).
    pub excepted: HashSet<[u8; 32]>,
    /// Per member, the one `prev` before the anchor that this member accepted: the first
    /// unverified `prev` of that member above the anchor; repeating it is no claim, since a
    /// sender whose later post had an unknown outcome names its last confirmed message again
    /// (HRT-LOG-35, HRT-LOG-43).
    pub pre_anchor: HashMap<[u8; 32], [u8; 32]>,
    /// `msg-ref`s of this member's own posts, accepted or of unknown outcome: entries that
    /// are never opened nor taken for a stranger's.
    pub own_refs: HashSet<[u8; 32]>,
    /// The `prev` of the next own message: the last own message the host accepted
    /// (HRT-LOG-34).
    pub last_own: Option<Hash>,
}

/// A member's claim that contradicts this member's verified log (HRT-LOG-42 to HRT-LOG-44):
/// client code `bad_claim`, naming the member whose message carried it. Either that member
/// or the host is at fault, so it does not freeze the channel (HRT-LOG-45).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadClaim {
    /// The claim: code `bad_claim`, the `seq` of the message that carried it, the evidence.
    pub detection: Detection,
    /// The member whose message carried the claim.
    pub member: Fingerprint,
}

impl Senders {
    /// The records of a member whose verified log starts at `anchor` (§9.6; 0 for a creator
    /// or a joiner that verified the whole chain).
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

    /// Records a verified `msg` entry this member could not open or rejected (§9.8): its
    /// link verified, so the host served it and a later `prev` may name it (HRT-LOG-43).
    pub fn record_unopened(&mut self, msg_ref: Hash) {
        self.verified.entry(msg_ref.0).or_insert(None);
    }

    /// Checks one opened message's claims against `log` (HRT-LOG-44, HRT-LOG-42, HRT-LOG-43,
    /// in that order; the first that fails is reported) and records it as its sender's,
    /// whatever the outcome: its link verified. `fingerprint` names the sender in a
    /// [`BadClaim`]. A message without `prev` is never judged by its absence (HRT-LOG-48).
    pub fn check(
        &mut self,
        log: &LogState,
        m: MessageFacts<'_>,
        fingerprint: Fingerprint,
    ) -> Result<(), BadClaim> {
        let r = self.judge(log, &m);
        self.verified.entry(m.msg_ref.0).or_insert(Some(*m.sender));
        r.map_err(|(seq, evidence)| BadClaim {
            detection: Detection::new(ErrorCode::BAD_CLAIM, Some(seq), evidence),
            member: fingerprint,
        })
    }

    fn judge(&mut self, log: &LogState, m: &MessageFacts<'_>) -> Result<(), (u64, String)> {
        // The pre-anchor exception: only above an anchor, and only until the member's chain
        // joins the verified log.
        let may_except = self.anchor > 1 && !self.excepted.contains(m.sender);
        // HRT-LOG-44: a sender cannot have seen the entry that carries its own message.
        if m.seen_seq >= m.seq {
            return Err((
                m.seq,
                format!(
                    "a message at seq {} claims to have seen seq {}",
                    m.seq, m.seen_seq
                ),
            ));
        }
        // HRT-LOG-42: the sender's view of the chain must match ours, where we hold a head.
        if m.seen_seq > 0 && !super::super::mutant::on("ignore-seen-head") {
            if let Some(held) = log.head_at(m.seen_seq) {
                if m.seen_head != held.as_slice() {
                    return Err((
                        m.seq,
                        format!(
                            "the sender's head at seq {} differs from the one this member verified",
                            m.seen_seq
                        ),
                    ));
                }
            }
        }
        // HRT-LOG-43: `prev` names a verified entry at a lower seq (all recorded ones are) not
        // authenticated as another member's; HRT-LOG-48: an absent `prev` is not checked.
        let Some(p) = m.prev else { return Ok(()) };
        if super::super::mutant::on("ignore-prev") {
            return Ok(());
        }
        let named = self.verified.get(&p.0).copied();
        match named {
            Some(Some(who)) if &who != m.sender => Err((
                m.seq,
                "a message names in `prev` a message of another member".into(),
            )),
            Some(_) => {
                self.excepted.insert(*m.sender);
                Ok(())
            }
            None if self.own_refs.contains(&p.0) => Err((
                m.seq,
                "a message names in `prev` a message of this member".into(),
            )),
            // Pre-anchor exception: it may name one message before the anchor, again and again.
            None if may_except => match self.pre_anchor.get(m.sender) {
                None => {
                    self.pre_anchor.insert(*m.sender, p.0);
                    Ok(())
                }
                Some(v) if *v == p.0 => Ok(()),
                Some(_) => Err((
                    m.seq,
                    "a message names in `prev` a second earlier message that this member never \
                     verified"
                        .into(),
                )),
            },
            None => Err((
                m.seq,
                "a message names in `prev` an earlier message that this member never verified"
                    .into(),
            )),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests;
