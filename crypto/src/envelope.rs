//! Envelopes (spec §7): sealing (§7.2), padding (§7.3), opening with every check in order
//! (§7.5), opening a page with batch signature verification, and building `Content` (§7.6).

use hearth_wire::envelope::{
    pad_len, Content, ContentBody, Envelope, EnvelopeHeader, SealedContent, TextBody,
};
use hearth_wire::{
    BoundedBytes, ContentType, Decoder, Epoch, Generation, Hash, Leaf, RawValue, ReuseGuard, Seq,
    SignedBytes, Unverified, Version, WireDecode, WireEncode,
};
use rand_core::RngCore;

use crate::aead::{self, Algorithm};
use crate::ed25519::{verify_batch_with, BatchItem, Signature};
use crate::error::{ApiMisuse, ProtocolError};
use crate::group::{EpochState, Group, SUITE_1, UPDATE_AFTER_MESSAGES, UPDATE_AFTER_SECS};
use crate::keys::IdentityPublicKey;
use crate::label;
use crate::labelled::{bstr, h, sign_with_label, signing_input};
use crate::ratchet::{EpochRatchets, MessageKeys, Tentative};

/// The largest `content_bytes` (spec §7.10).
pub const MAX_CONTENT: usize = hearth_wire::envelope::MAX_CONTENT;

/// `msg-ref = H("msgref", envelope_bytes)` over the exact envelope bytes (HRT-MSG-31).
pub fn message_ref(envelope_bytes: &[u8]) -> Hash {
    Hash(h(label::MSGREF, bstr(envelope_bytes)))
}

/// A sealed envelope, ready for `msg.post`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedEnvelope {
    /// The exact `Envelope` bytes (`MsgPostBody` key 1).
    pub bytes: Vec<u8>,
    /// Its message reference, the `prev` of the sender's next message (spec §7.4).
    pub msg_ref: Hash,
    /// The generation used.
    pub generation: u32,
}

/// An envelope that passed every check of §7.5.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opened {
    /// The epoch.
    pub epoch: u64,
    /// The sender's leaf in that epoch.
    pub sender: Leaf,
    /// The sender's identity key (compare fingerprints, spec §4.6).
    pub identity: IdentityPublicKey,
    /// The generation.
    pub generation: u32,
    /// The content, authenticated.
    pub content: Content,
    /// The typed body (unknown types are [`ContentBody::Unknown`], HRT-MSG-37).
    pub body: ContentBody,
    /// The message reference (spec §7.7).
    pub msg_ref: Hash,
}

/// Builds a `Content` (spec §7.6).
#[derive(Clone, Debug)]
pub struct ContentBuilder(Content);

impl ContentBuilder {
    /// A text message (type 0, `TextBody = {1: text}`, 1 to 16384 bytes).
    pub fn text(text: &str) -> Result<Self, ProtocolError> {
        let body = TextBody {
            text: hearth_wire::envelope::MessageText::new(text)?,
        };
        Self::new(ContentType::TEXT, RawValue::from_value(&body))
    }

    /// Any content type with its body item. GREASE types are refused (HRT-MSG-38), and a
    /// known type's body must decode as its rule (HRT-MSG-23).
    pub fn new(content_type: ContentType, body: RawValue) -> Result<Self, ProtocolError> {
        if hearth_wire::is_grease(u64::from(content_type.0)) {
            return Err(ApiMisuse::BadContent.into());
        }
        let c = Content {
            content_type,
            body,
            sent_at_ms: 0,
            seen_seq: Seq(0),
            seen_head: BoundedBytes::new(Vec::new())?,
            prev: None,
            ext: None,
        };
        c.body().map_err(|_| ApiMisuse::BadContent)?;
        Ok(Self(c))
    }

    /// `sent_at_ms`: the local clock in milliseconds (HRT-MSG-26).
    pub fn sent_at_ms(mut self, ms: u64) -> Self {
        self.0.sent_at_ms = ms;
        self
    }

    /// `seen_seq` and `seen_head` (HRT-MSG-28): the highest processed seq and its verified
    /// head; `(0, None)` when none.
    pub fn seen(mut self, seq: u64, head: Option<Hash>) -> Result<Self, ProtocolError> {
        let head = head.map(|h| h.0.to_vec()).unwrap_or_default();
        if (seq == 0) != head.is_empty() {
            return Err(ApiMisuse::BadContent.into());
        }
        self.0.seen_seq = Seq(seq);
        self.0.seen_head = BoundedBytes::new(head)?;
        Ok(self)
    }

    /// `prev`: the reference of the sender's previous accepted message (HRT-MSG-30).
    pub fn prev(mut self, prev: Option<Hash>) -> Self {
        self.0.prev = prev;
        self
    }

    /// The content.
    pub fn build(self) -> Content {
        self.0
    }
}

/// `[H("gc", GroupContext), sender, generation, content_bytes]`, the content of the inner
/// signature (HRT-MSG-6, HRT-MSG-21).
fn msg_content<'a>(
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
fn nonce(keys: &MessageKeys, guard: &[u8; 4]) -> [u8; 12] {
    let mut n = *keys.nonce.as_bytes();
    for (a, b) in n.iter_mut().zip(guard) {
        *a ^= b;
    }
    n
}

/// The associated data from the received bytes: `0x87 || elements 0..6` (HRT-MSG-4).
fn received_aad(bytes: &[u8]) -> Result<Vec<u8>, ProtocolError> {
    let mut d = Decoder::new(bytes);
    d.array(Envelope::LEN)?;
    let start = d.position();
    for _ in 0..EnvelopeHeader::LEN {
        d.raw_item()?;
    }
    let elems = bytes
        .get(start..d.position())
        .ok_or(ProtocolError::Wire(hearth_wire::WireError::Underrun))?;
    let mut aad = Vec::with_capacity(elems.len() + 1);
    aad.push(0x80 | EnvelopeHeader::LEN as u8);
    aad.extend_from_slice(elems);
    Ok(aad)
}

/// An envelope after steps 1 to 11, awaiting step 12.
struct Decrypted {
    sender: u8,
    generation: u32,
    tentative: Tentative,
    sealed: SealedContent,
    /// The content, decoded at step 11; released by [`Decrypted::verified`] only after the
    /// inner signature over its exact bytes has verified (step 12, HRT-WIRE-20).
    content: Unverified<Content>,
    /// The outcome of steps 13 and 14, which apply once the signature has verified.
    after: Result<ContentBody, ProtocolError>,
}

impl Decrypted {
    /// The content once step 12 has passed: `verify_inner` returned `Ok` for this envelope,
    /// alone or as part of a batch that verified.
    fn verified(self, _step12: Verified) -> Released {
        Released {
            sender: self.sender,
            generation: self.generation,
            tentative: self.tentative,
            content: self.content.danger_assume_verified(),
            after: self.after,
        }
    }
}

/// A [`Decrypted`] envelope whose inner signature has verified.
struct Released {
    sender: u8,
    generation: u32,
    tentative: Tentative,
    content: Content,
    after: Result<ContentBody, ProtocolError>,
}

/// Evidence that step 12 of §7.5 passed; made only by [`verify_inner`] and by a batch that
/// verified in [`Group::open_page`].
struct Verified(());

/// Steps 1 to 11 and the provisional 13, 14 of §7.5 (HRT-MSG-10); changes nothing.
fn decrypt(
    group: &Group,
    st: &EpochState,
    ratchets: &EpochRatchets,
    bytes: &[u8],
) -> Result<Decrypted, ProtocolError> {
    // Steps 1, 2 (HRT-MSG-11): the decoder checks the version after the structure.
    let env = Envelope::decode(bytes)?;
    // Step 3 (HRT-MSG-12).
    if env.suite != SUITE_1 {
        return Err(ProtocolError::UnsupportedSuite);
    }
    // Step 4 (HRT-MSG-13).
    if env.channel_id != *group.channel_id() {
        return Err(ProtocolError::InvalidValue);
    }
    // Step 5 (HRT-MSG-14): only the current epoch's ratchets are held (HRT-RAT-13).
    if env.epoch.0 != st.epoch() {
        return Err(ProtocolError::WrongEpoch);
    }
    // Step 6 (HRT-MSG-15).
    let sender = env.sender.0;
    if usize::from(sender) >= st.members.len() {
        return Err(ProtocolError::UnknownSender);
    }
    // Step 7 (HRT-RAT-7 to HRT-RAT-10).
    let g = env.generation.0;
    let tentative = ratchets.lookup(sender, g)?;
    // Step 8 (HRT-MSG-4, HRT-MSG-5, HRT-MSG-16).
    let keys = tentative.keys();
    let aead_key = aead::Key::new(Algorithm::Aes256Gcm, keys.key.as_bytes())
        .map_err(|_| ProtocolError::DecryptFailed)?;
    let pt = aead_key
        .open(
            &nonce(keys, &env.reuse_guard.0),
            &received_aad(bytes)?,
            env.ct.as_slice(),
        )
        .map_err(|_| ProtocolError::DecryptFailed)?;
    // Step 9 (HRT-MSG-17).
    let (sealed, l) = SealedContent::decode_padded(&pt)?;
    // Step 10 (HRT-MSG-18, HRT-MSG-19): exact length, every padding byte zero.
    let pad = pt.get(l..).ok_or(ProtocolError::BadPadding)?;
    if pt.len() != pad_len(l) || pad.iter().fold(0u8, |a, b| a | b) != 0 {
        return Err(ProtocolError::BadPadding);
    }
    // Step 11 (HRT-MSG-20, HRT-MSG-29). The content stays unverified until step 12.
    let content = sealed.unverified_content()?;
    // Steps 13 (HRT-MSG-22) and 14 (HRT-MSG-23), decided now and applied only after step 12.
    let after = if st
        .needs_update
        .get(usize::from(sender))
        .copied()
        .unwrap_or(false)
    {
        Err(ProtocolError::UpdateRequired)
    } else {
        content.as_unverified().body().map_err(ProtocolError::from)
    };
    Ok(Decrypted {
        sender,
        generation: g,
        tentative,
        sealed,
        content,
        after,
    })
}

/// How [`Group::danger_seal_forged`] pads; only [`Padding::Exact`] is what spec §7.3 allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[doc(hidden)]
pub enum Padding {
    /// The padding of §7.3: zeros up to the padded length.
    Exact,
    /// As `Exact`, but the last padding byte is 0x01 (HRT-MSG-19 must reject it).
    NonZero,
    /// One zero byte more than §7.3 gives (HRT-MSG-18 must reject it).
    TooLong,
}

impl Group {
    /// Seals a `Content` (spec §7.2) under the next generation of the own ratchet.
    ///
    /// Refuses ([`ApiMisuse::UpdateRequired`]) while the own `needs_update` flag is set
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

    fn seal_inner(
        &mut self,
        content: &Content,
        now: u64,
        skip: u64,
        padding: Padding,
    ) -> Result<SealedEnvelope, ProtocolError> {
        self.active_state()?;
        if self.pending.is_some() {
            return Err(ApiMisuse::CommitPending.into());
        }
        let me = self.me;
        let over = self.sent_since_commit >= UPDATE_AFTER_MESSAGES
            || now.saturating_sub(self.last_commit_time) > UPDATE_AFTER_SECS;
        let keys_own = self.keys.as_ref().ok_or(ApiMisuse::Removed)?;
        let st = self.state.as_mut().ok_or(ApiMisuse::Removed)?;
        // HRT-GRP-83: no message while a member who left is in the roster.
        let left = st.left.iter().any(|l| *l);
        if over || left || st.needs_update.get(me).copied().unwrap_or(true) {
            return Err(ApiMisuse::UpdateRequired.into());
        }
        // Step 1 (HRT-MSG-7).
        let content_bytes = content.to_vec();
        if content_bytes.is_empty() || content_bytes.len() > MAX_CONTENT {
            return Err(ApiMisuse::ContentSize.into());
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
                    None => return Err(ApiMisuse::BadContent.into()),
                }
            }
            Padding::TooLong => pt.resize(pad_len(l) + 1, 0),
        }
        // Step 5 (HRT-MSG-1 to HRT-MSG-3).
        let mut guard = [0u8; 4];
        self.rng.fill_bytes(&mut guard);
        let header = EnvelopeHeader {
            version: Version,
            suite: SUITE_1,
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
            suite: SUITE_1,
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

    /// Opens one envelope with the checks of §7.5 in order (HRT-MSG-10). On any rejection the
    /// ratchet state is unchanged (HRT-MSG-24); on success the key is deleted and the
    /// generation recorded as opened (HRT-MSG-25), so a replay is `duplicate_message`.
    pub fn open(&mut self, envelope: &[u8]) -> Result<Opened, ProtocolError> {
        let st = self.active_state()?;
        let d = decrypt(self, st, &st.ratchets, envelope)?;
        // Step 12 (HRT-MSG-21).
        let ok = verify_inner(st, &d)?;
        let r = d.verified(ok);
        let body = r.after?;
        let st = self.state.as_mut().ok_or(ApiMisuse::Removed)?;
        st.ratchets.accept(r.sender, r.generation, r.tentative);
        opened(st, r.sender, r.generation, r.content, body, envelope)
    }

    /// Opens a page of envelopes in log order (spec §7.5 for each): every envelope is
    /// decrypted first, then the inner signatures are verified as one batch (HRT-CRYPTO-22;
    /// the cofactored rule makes the batch agree with single verification). If the batch
    /// fails, the page is opened again one envelope at a time with single verification, which
    /// names the bad envelopes (HRT-CRYPTO-24). The results, one per envelope, are exactly
    /// those of calling [`Group::open`] on each in order.
    pub fn open_page(&mut self, envelopes: &[&[u8]]) -> Vec<Result<Opened, ProtocolError>> {
        match self.open_page_batched(envelopes) {
            Some(results) => results,
            None => envelopes.iter().map(|e| self.open(e)).collect(),
        }
    }

    /// The batched pass; `None` when the batch equation fails.
    fn open_page_batched(
        &mut self,
        envelopes: &[&[u8]],
    ) -> Option<Vec<Result<Opened, ProtocolError>>> {
        let mut rng = core::mem::take(&mut self.rng);
        let r = self.open_page_with(envelopes, &mut rng);
        self.rng = rng;
        r
    }

    fn open_page_with(
        &mut self,
        envelopes: &[&[u8]],
        rng: &mut crate::rng::HearthRng,
    ) -> Option<Vec<Result<Opened, ProtocolError>>> {
        let st = match self.active_state() {
            Ok(st) => st,
            Err(e) => return Some(envelopes.iter().map(|_| Err(e)).collect()),
        };
        let mut work = st.ratchets.clone();
        let mut pending: Vec<Result<(Decrypted, Vec<u8>), ProtocolError>> =
            Vec::with_capacity(envelopes.len());
        for bytes in envelopes {
            match decrypt(self, st, &work, bytes) {
                Ok(d) => {
                    if d.after.is_ok() {
                        work.accept(d.sender, d.generation, d.tentative.clone_for_page());
                    }
                    let msg = signing_input(
                        label::MSG,
                        msg_content(
                            &st.gc_hash,
                            d.sender,
                            d.generation,
                            d.sealed.content.as_bytes(),
                        ),
                    );
                    pending.push(Ok((d, msg)));
                }
                Err(e) => pending.push(Err(e)),
            }
        }
        let sigs: Vec<Option<Signature>> = pending
            .iter()
            .map(|p| {
                p.as_ref()
                    .ok()
                    .map(|(d, _)| Signature::from_bytes(&d.sealed.signature.0))
            })
            .collect();
        let mut items = Vec::with_capacity(pending.len());
        for (p, sig) in pending.iter().zip(&sigs) {
            if let (Ok((d, msg)), Some(sig)) = (p, sig) {
                let m = st.members.get(usize::from(d.sender))?;
                items.push(BatchItem {
                    key: m.mk.verifying_key(),
                    msg,
                    sig,
                });
            }
        }
        verify_batch_with(&items, rng).ok()?;
        drop(items);
        let st = self.state.as_mut()?;
        st.ratchets = work;
        let st = &*st;
        Some(
            pending
                .into_iter()
                .zip(envelopes)
                .map(|(p, bytes)| {
                    let (d, _) = p?;
                    // The batch covered this envelope's inner signature (step 12).
                    let r = d.verified(Verified(()));
                    opened(st, r.sender, r.generation, r.content, r.after?, bytes)
                })
                .collect(),
        )
    }
}

/// The inputs of one inner-signature verification (step 12 of §7.5): what
/// [`Group::danger_inner_signatures`] returns for a benchmark's floor.
#[cfg(feature = "danger-forge")]
#[doc(hidden)]
pub struct InnerSignature {
    /// The sender leaf's member key.
    pub key: [u8; 32],
    /// The signed message: `SignWithLabel`'s input for label `msg`.
    pub msg: Vec<u8>,
    /// The signature.
    pub sig: [u8; 64],
}

#[cfg(feature = "danger-forge")]
impl Group {
    /// DANGER (benchmarks only, feature `danger-forge`): decrypts a page as
    /// [`Group::open_page`] does, changes nothing, and returns the inputs of each envelope's
    /// inner signature check, so a benchmark can time batch verification of exactly the
    /// signatures a page holds. `None` if an envelope fails steps 1 to 11.
    #[doc(hidden)]
    pub fn danger_inner_signatures(&self, envelopes: &[&[u8]]) -> Option<Vec<InnerSignature>> {
        let st = self.active_state().ok()?;
        let mut work = st.ratchets.clone();
        let mut out = Vec::with_capacity(envelopes.len());
        for bytes in envelopes {
            let d = decrypt(self, st, &work, bytes).ok()?;
            let m = st.members.get(usize::from(d.sender))?;
            out.push(InnerSignature {
                key: *m.mk.verifying_key().as_bytes(),
                msg: signing_input(
                    label::MSG,
                    msg_content(
                        &st.gc_hash,
                        d.sender,
                        d.generation,
                        d.sealed.content.as_bytes(),
                    ),
                ),
                sig: d.sealed.signature.0,
            });
            work.accept(d.sender, d.generation, d.tentative);
        }
        Some(out)
    }
}

/// Step 12 of §7.5 (HRT-MSG-21): the inner signature under the sender leaf's member key,
/// over the received `content_bytes`.
fn verify_inner(st: &EpochState, d: &Decrypted) -> Result<Verified, ProtocolError> {
    let m = st
        .members
        .get(usize::from(d.sender))
        .ok_or(ProtocolError::UnknownSender)?;
    crate::labelled::verify_with_label(
        m.mk.verifying_key(),
        label::MSG,
        msg_content(
            &st.gc_hash,
            d.sender,
            d.generation,
            d.sealed.content.as_bytes(),
        ),
        &Signature::from_bytes(&d.sealed.signature.0),
    )
    .map(|()| Verified(()))
    .map_err(|_| ProtocolError::BadSignature)
}

fn opened(
    st: &EpochState,
    sender: u8,
    generation: u32,
    content: Content,
    body: ContentBody,
    bytes: &[u8],
) -> Result<Opened, ProtocolError> {
    let m = st
        .members
        .get(usize::from(sender))
        .ok_or(ProtocolError::UnknownSender)?;
    Ok(Opened {
        epoch: st.epoch(),
        sender: Leaf(sender),
        identity: m.ik,
        generation,
        content,
        body,
        msg_ref: message_ref(bytes),
    })
}
