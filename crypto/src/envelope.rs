//! Envelopes (spec §7): what sealing (§7.2) and opening (§7.5) produce, building `Content`
//! (§7.6) and the message reference (§7.7). A member seals and opens with [`Group::seal`],
//! [`Group::open`] and [`Group::open_page`] (crate::group's `seal` and `open` modules).
//!
//! [`Group::seal`]: crate::Group::seal
//! [`Group::open`]: crate::Group::open
//! [`Group::open_page`]: crate::Group::open_page

use hearth_wire::envelope::{Content, ContentBody, TextBody};
use hearth_wire::{BoundedBytes, ContentType, Hash, Leaf, RawValue, Seq};

use crate::error::{Misuse, ProtocolError};
use crate::hazmat::label;
use crate::hazmat::labelled::{bstr, h};
use crate::keys::IdentityPublicKey;

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
            return Err(Misuse::BadContent.into());
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
        c.body().map_err(|_| Misuse::BadContent)?;
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
            return Err(Misuse::BadContent.into());
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

/// How `Group::danger_seal_forged` pads; only [`Padding::Exact`] is what spec §7.3 allows.
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

/// The inputs of one inner-signature verification (step 12 of §7.5): what
/// `Group::danger_inner_signatures` returns for a benchmark's floor.
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
