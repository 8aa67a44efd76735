//! Sealing an envelope (spec §7.2) with the padding of §7.3, under the next generation of the
//! member's own sender ratchet.

use hearth_wire::envelope::{pad_len, Content, Envelope, EnvelopeHeader, SealedContent};
use hearth_wire::{
    BoundedBytes, Epoch, Generation, Leaf, ReuseGuard, SignedBytes, Version, WireEncode,
};
use rand_core::RngCore;

use super::{Group, UPDATE_AFTER_MESSAGES, UPDATE_AFTER_SECS};
use crate::envelope::{message_ref, Padding, SealedEnvelope, MAX_CONTENT};
use crate::error::{Misuse, ProtocolError};
use crate::hazmat::aead::{self, Algorithm};
use crate::hazmat::label;
use crate::hazmat::labelled::sign_with_label;
use crate::ratchet::MessageKeys;

/// `[H("gc", GroupContext), sender, generation, content_bytes]`, the content of the inner
/// signature (HRT-MSG-6, HRT-MSG-21).
pub(super) fn msg_content<'a>(
    gc_hash: &'a [u8; 32],
    sender: u8,
    g: u32,
    content_bytes: &'a [u8],
) -> impl FnOnce(&mut hearth_wire::Encoder) + 'a {
    move |e| {
        e.array(4)
            .bytes(gc_hash)
            .uint(u64::from(sender))
            .uint(u64::from(g))
            .bytes(content_bytes);
    }
}

/// `nonce_g XOR (reuse_guard || 0x00 * 8)` (HRT-MSG-5).
pub(super) fn nonce(keys: &MessageKeys, guard: &[u8; 4]) -> [u8; 12] {
    let mut n = *keys.nonce.as_bytes();
    for (a, b) in n.iter_mut().zip(guard) {
        *a ^= b;
    }
    n
}

impl Group {
    /// Seals a `Content` (spec §7.2) under the next generation of the own ratchet.
    ///
    /// Refuses ([`Misuse::UpdateRequired`]) while the own `needs_update` flag is set
    /// (HRT-RAT-17), after 100 messages since the last own commit (HRT-RAT-18) and when more
    /// than 7 days have passed since it by `now` in seconds (HRT-RAT-19), while the roster holds
    /// a member who left (HRT-GRP-83: a commit, which removes it, comes first); and while a
    /// commit is pending (HRT-GRP-23, HRT-GRP-50).
    pub fn seal(&mut self, content: &Content, now: u64) -> Result<SealedEnvelope, ProtocolError> {
        self.seal_inner(content, now, 0, Padding::Exact)
    }

    /// DANGER (conformance harness only, feature `danger-forge`): seals like [`Group::seal`]
    /// but first burns `skip` generations of the own ratchet (to make a generation jump, spec
    /// §6.15) and pads as `padding` says (to make bad padding, spec §7.3). The result is a
    /// validly signed and encrypted envelope that a conforming receiver must reject.
    #[cfg(feature = "danger-forge")]
    #[doc(hidden)]
    pub fn danger_seal_forged(
        &mut self,
        content: &Content,
        now: u64,
        skip: u64,
        padding: Padding,
    ) -> Result<SealedEnvelope, ProtocolError> {
        self.seal_inner(content, now, skip, padding)
    }

    /// DANGER (conformance harness only, feature `danger-forge`): seals like [`Group::seal`]
    /// as if the own `needs_update` flag were clear: a joiner that speaks before its update
    /// commit (HRT-RAT-17), whose message every member rejects with `update_required`
    /// (HRT-MSG-22, HRT-GRP-87). The flag itself is left as it was.
    #[cfg(feature = "danger-forge")]
    #[doc(hidden)]
    pub fn danger_seal_before_update(
        &mut self,
        content: &Content,
        now: u64,
    ) -> Result<SealedEnvelope, ProtocolError> {
        fn flag(g: &mut Group) -> Option<&mut bool> {
            let me = g.me;
            g.state.as_mut().and_then(|s| s.needs_update.get_mut(me))
        }
        let was = flag(self).map(|f| std::mem::replace(f, false));
        let sealed = self.seal_inner(content, now, 0, Padding::Exact);
        if let (Some(was), Some(f)) = (was, flag(self)) {
            *f = was;
        }
        sealed
    }

    fn seal_inner(
        &mut self,
        content: &Content,
        now: u64,
        skip: u64,
        padding: Padding,
    ) -> Result<SealedEnvelope, ProtocolError> {
        self.active_state()?;
        if self.pending.is_some() {
            return Err(Misuse::CommitPending.into());
        }
        let me = self.me;
        let over = self.sent_since_commit >= UPDATE_AFTER_MESSAGES
            || now.saturating_sub(self.last_commit_time) > UPDATE_AFTER_SECS;
        let keys_own = self.keys.as_ref().ok_or(Misuse::Removed)?;
        let st = self.state.as_mut().ok_or(Misuse::Removed)?;
        // HRT-GRP-83: no message while a member who left is in the roster.
        let left = st.left.iter().any(|l| *l);
        if over || left || st.needs_update.get(me).copied().unwrap_or(true) {
            return Err(Misuse::UpdateRequired.into());
        }
        // Step 1 (HRT-MSG-7).
        let content_bytes = content.to_vec();
        if content_bytes.is_empty() || content_bytes.len() > MAX_CONTENT {
            return Err(Misuse::ContentSize.into());
        }
        for _ in 0..skip {
            drop(st.ratchets.next_own(me as u8)?);
        }
        let (g, keys) = st.ratchets.next_own(me as u8)?;
        // Step 2 (HRT-MSG-6).
        let sig = sign_with_label(
            keys_own.member_key.signing_key(),
            label::MSG,
            msg_content(&st.gc_hash, me as u8, g, &content_bytes),
        );
        // Steps 3, 4 (HRT-MSG-8, HRT-MSG-9).
        let sealed = SealedContent {
            content: SignedBytes::from_bytes(content_bytes),
            signature: hearth_wire::Signature(sig.to_bytes()),
        };
        let mut pt = zeroize::Zeroizing::new(sealed.to_vec());
        let l = pt.len();
        match padding {
            Padding::Exact => pt.resize(pad_len(l), 0),
            Padding::NonZero => {
                pt.resize(pad_len(l), 0);
                match pt.get_mut(l..).and_then(|p| p.last_mut()) {
                    Some(b) => *b = 1,
                    None => return Err(Misuse::BadContent.into()),
                }
            }
            Padding::TooLong => pt.resize(pad_len(l) + 1, 0),
        }
        // Step 5 (HRT-MSG-1 to HRT-MSG-3).
        let mut guard = [0u8; 4];
        self.rng.fill_bytes(&mut guard);
        let header = EnvelopeHeader {
            version: Version,
            suite: self.params.suite,
            channel_id: self.params.channel_id,
            epoch: Epoch(st.epoch()),
            sender: Leaf(me as u8),
            generation: Generation(g),
            reuse_guard: ReuseGuard(guard),
        };
        // Step 6 (HRT-MSG-4, HRT-MSG-5).
        let aead_key = aead::Key::new(Algorithm::Aes256Gcm, keys.key.as_bytes())?;
        let ct = aead_key.seal(&nonce(&keys, &guard), &header.to_vec(), &pt)?;
        // Step 7: key_g and nonce_g are deleted (HRT-RAT-6).
        drop((keys, aead_key));
        let env = Envelope {
            version: Version,
            suite: self.params.suite,
            channel_id: self.params.channel_id,
            epoch: header.epoch,
            sender: header.sender,
            generation: header.generation,
            reuse_guard: header.reuse_guard,
            ct: BoundedBytes::new(ct)?,
        };
        let bytes = env.to_vec();
        self.sent_since_commit = self.sent_since_commit.saturating_add(1);
        Ok(SealedEnvelope {
            msg_ref: message_ref(&bytes),
            bytes,
            generation: g,
        })
    }
}
