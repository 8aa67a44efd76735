//! Opening envelopes (spec §7.5) with every check in order: one at a time, or a page with
//! batch verification of the inner signatures (HRT-CRYPTO-22, HRT-CRYPTO-24).

use hearth_wire::envelope::{
    pad_len, Content, ContentBody, Envelope, EnvelopeHeader, SealedContent,
};
use hearth_wire::{Decoder, Leaf, Unverified, WireDecode};

use super::seal::{msg_content, nonce};
use super::{EpochState, Group};
#[cfg(feature = "danger-forge")]
use crate::envelope::InnerSignature;
use crate::envelope::{message_ref, Opened};
use crate::error::{Misuse, ProtocolError};
use crate::hazmat::aead::{self, Algorithm};
use crate::hazmat::ed25519::{verify_batch_with, BatchItem, Signature};
use crate::hazmat::label;
use crate::hazmat::labelled::signing_input;
use crate::ratchet::{EpochRatchets, Tentative};

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
    if env.suite != group.params.suite {
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
        && !crate::mutant::on("ignore-needs-update-flags")
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

impl Group {
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
        let st = self.state.as_mut().ok_or(Misuse::Removed)?;
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
    crate::hazmat::labelled::verify_with_label(
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
