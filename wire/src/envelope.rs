//! Message envelopes and content (spec §7): Envelope, EnvelopeHeader, SealedContent, Content
//! and the body of each content type.

use crate::codec::{
    BoundedBytes, BoundedText, BoundedVec, Embedded, EmptyOrHash, RawValue, SignedBytes, True,
    UintLe, Unverified, Version, WireDecode,
};
use crate::decode::Decoder;
use crate::error::WireError;
use crate::ext::ExtMap;
use crate::invite::Invite;
use crate::types::{
    AttachmentKey, ChannelId, ContentType, ConversationId, Epoch, Generation, Hash, HostUrl, Leaf,
    ReuseGuard, Seq, Signature, Suite,
};
use crate::validate::{item_len, Profile};

wire_array!(
    /// `Envelope = [version, suite, channel-id, epoch, sender, generation, reuse-guard, ct]`.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct Envelope {
        /// Protocol version (1).
        version: Version,
        /// The channel's suite.
        suite: Suite,
        /// The channel.
        channel_id: ChannelId,
        /// The epoch the message is sealed in.
        epoch: Epoch,
        /// The sender's leaf.
        sender: Leaf,
        /// The sender's generation.
        generation: Generation,
        /// XORed into the first 4 bytes of the AEAD nonce.
        reuse_guard: ReuseGuard,
        /// The AEAD ciphertext of the padded SealedContent.
        ct: BoundedBytes<48, 81936>,
    }
);

wire_array!(
    /// `EnvelopeHeader`: the first seven envelope elements; its encoding is the AEAD's
    /// associated data.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct EnvelopeHeader {
        /// Protocol version (1).
        version: Version,
        /// The channel's suite.
        suite: Suite,
        /// The channel.
        channel_id: ChannelId,
        /// The epoch.
        epoch: Epoch,
        /// The sender's leaf.
        sender: Leaf,
        /// The sender's generation.
        generation: Generation,
        /// The reuse guard.
        reuse_guard: ReuseGuard,
    }
);

impl Envelope {
    /// The header of this envelope.
    pub fn header(&self) -> EnvelopeHeader {
        EnvelopeHeader {
            version: Version,
            suite: self.suite,
            channel_id: self.channel_id,
            epoch: self.epoch,
            sender: self.sender,
            generation: self.generation,
            reuse_guard: self.reuse_guard,
        }
    }

    /// The AEAD associated data for received envelope bytes, built from the exact received
    /// bytes of the first seven elements (HRT-WIRE-18): `0x87 || elements`.
    pub fn aad_from_received(envelope_bytes: &[u8]) -> Result<Vec<u8>, WireError> {
        Envelope::decode(envelope_bytes)?;
        let mut d = Decoder::new(envelope_bytes);
        d.array(Envelope::LEN)?;
        let start = d.position();
        for _ in 0..EnvelopeHeader::LEN {
            d.raw_item()?;
        }
        let elems = envelope_bytes
            .get(start..d.position())
            .ok_or(WireError::Underrun)?;
        let mut aad = Vec::with_capacity(elems.len() + 1);
        aad.push(0x80 | EnvelopeHeader::LEN as u8);
        aad.extend_from_slice(elems);
        Ok(aad)
    }
}

wire_array!(
    /// `SealedContent = [bstr .cbor Content .size (1..65536), ed-sig]`.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct SealedContent {
        /// The exact signed bytes of the Content (1 to 65536 bytes).
        content: SignedBytes<Content, 1, MAX_CONTENT>,
        /// `SignWithLabel(MK_sender, "msg", [H("gc", GroupContext), sender, generation,
        /// content_bytes])`.
        signature: Signature,
    }
);

/// The largest `Content` encoding.
pub const MAX_CONTENT: usize = 65536;

impl SealedContent {
    /// Decodes the Content; it stays unverified until the sender's signature is checked.
    pub fn unverified_content(&self) -> Result<Unverified<Content>, WireError> {
        self.content.unverified()
    }

    /// Splits a decrypted envelope plaintext into its SealedContent and the length `L` of
    /// its encoding (step 9 of spec §7.5). Element 0 is checked only as a byte string of 1 to
    /// 65536 bytes ([`WireDecode::decode_outer`]): the padding after `L` (step 10,
    /// `bad_padding`) is the caller's to check before it decodes the Content (step 11).
    pub fn decode_padded(plaintext: &[u8]) -> Result<(SealedContent, usize), WireError> {
        let l = item_len(plaintext, &Profile::DEFAULT)?;
        let item = plaintext.get(..l).ok_or(WireError::Underrun)?;
        Ok((SealedContent::decode_outer(item)?, l))
    }
}

/// `pad_len(L)` of spec §7 (NIP-44 v2 `calc_padded_len`): the plaintext length for a
/// SealedContent encoding of `l` bytes.
pub fn pad_len(l: usize) -> usize {
    if l <= 32 {
        return 32;
    }
    let next_power = 1usize << (usize::BITS - (l - 1).leading_zeros());
    let chunk = if next_power <= 256 {
        32
    } else {
        next_power / 8
    };
    chunk * ((l - 1) / chunk + 1)
}

wire_map!(
    /// `Content`: one application message, before signing and sealing.
    pub struct Content {
        /// The content type.
        req 1 => content_type: ContentType,
        /// The body, typed by `content_type` ([`Content::body`]).
        req 2 => body: RawValue,
        /// The sender's clock, milliseconds since the Unix epoch.
        req 3 => sent_at_ms: u64,
        /// The highest log seq the sender has processed (0 = none).
        req 4 => seen_seq: Seq,
        /// The log head at `seen_seq` (empty iff `seen_seq` is 0).
        req 5 => seen_head: EmptyOrHash,
        /// The sender's previous message in this channel.
        opt 6 => prev: Hash,
        /// Extensions.
        opt 7 => ext: ExtMap,
    }
    check = Content::check;
);

/// Checks a `(seq, head)` pair: the head is empty iff seq is 0, else a 32-byte hash.
pub(crate) fn check_seq_head(seq: u64, head: &[u8]) -> Result<(), WireError> {
    match (seq, head.len()) {
        (0, 0) => Ok(()),
        (0, _) | (_, 0) => Err(WireError::InvalidValue),
        (_, 32) => Ok(()),
        _ => Err(WireError::WrongSize),
    }
}

impl Content {
    fn check(&self) -> Result<(), WireError> {
        check_seq_head(self.seen_seq.0, self.seen_head.as_slice())
    }

    /// Decodes the body by content type. Unknown types are [`ContentBody::Unknown`], never
    /// an error; a known type with a malformed body is.
    pub fn body(&self) -> Result<ContentBody, WireError> {
        let b = &self.body;
        Ok(match self.content_type {
            ContentType::TEXT => ContentBody::Text(b.decode_as(&[])?),
            ContentType::REACTION => ContentBody::Reaction(b.decode_as(&[])?),
            ContentType::RECEIPT => ContentBody::Receipt(b.decode_as(&[])?),
            ContentType::EDIT => ContentBody::Edit(b.decode_as(&[])?),
            ContentType::DELETE => ContentBody::Delete(b.decode_as(&[])?),
            ContentType::PROFILE => ContentBody::Profile(b.decode_as(&[])?),
            ContentType::ATTACHMENT => ContentBody::Attachment(b.decode_as(&[])?),
            ContentType::ROUTE => ContentBody::Route(b.decode_as(&[])?),
            other => ContentBody::Unknown(other, b.clone()),
        })
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Content {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let seen_seq = Seq(u.arbitrary()?);
        let head = if seen_seq.0 == 0 {
            Vec::new()
        } else {
            <[u8; 32]>::arbitrary(u)?.to_vec()
        };
        Ok(Content {
            content_type: u.arbitrary()?,
            body: u.arbitrary()?,
            sent_at_ms: u.arbitrary()?,
            seen_seq,
            seen_head: BoundedBytes::new(head).map_err(|_| arbitrary::Error::IncorrectFormat)?,
            prev: u.arbitrary()?,
            ext: u.arbitrary()?,
        })
    }
}

/// A decoded content body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContentBody {
    /// Type 0.
    Text(TextBody),
    /// Type 1.
    Reaction(ReactionBody),
    /// Type 2.
    Receipt(ReceiptBody),
    /// Type 3.
    Edit(EditBody),
    /// Type 4.
    Delete(DeleteBody),
    /// Type 5.
    Profile(ProfileBody),
    /// Type 6.
    Attachment(AttachmentBody),
    /// Type 7.
    Route(RouteBody),
    /// A type this version does not know: shown as unsupported content.
    Unknown(ContentType, RawValue),
}

/// `tstr .size (1..16384)`: message text.
pub type MessageText = BoundedText<1, 16384>;

wire_map!(
    /// `TextBody = { 1: text }`.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct TextBody {
        /// The text.
        req 1 => text: MessageText,
    }
);

wire_map!(
    /// `ReactionBody = { 1: msg-ref, 2: reaction, ? 3: true }`.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct ReactionBody {
        /// The message reacted to.
        req 1 => target: Hash,
        /// The reaction.
        req 2 => reaction: BoundedText<1, 64>,
        /// Present: remove the reaction.
        opt 3 => remove: True,
    }
);

wire_map!(
    /// `ReceiptBody = { 1: seq }`: read up to seq.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct ReceiptBody {
        /// Read up to this seq.
        req 1 => seq: Seq,
    }
);

wire_map!(
    /// `EditBody = { 1: msg-ref, 2: text }`.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct EditBody {
        /// The edited message.
        req 1 => target: Hash,
        /// The new text.
        req 2 => text: MessageText,
    }
);

wire_map!(
    /// `DeleteBody = { 1: msg-ref }`.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct DeleteBody {
        /// The deleted message.
        req 1 => target: Hash,
    }
);

wire_map!(
    /// `ProfileBody = { 1: name, ? 2: AttachmentBody }`.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct ProfileBody {
        /// The display name.
        req 1 => name: BoundedText<0, 64>,
        /// The avatar.
        opt 2 => avatar: AttachmentBody,
    }
);

wire_map!(
    /// `AttachmentBody`: a chunked, encrypted attachment.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct AttachmentBody {
        /// Blob ids of the chunks, in order.
        req 1 => chunks: BoundedVec<Hash, 1, 1024>,
        /// The attachment key.
        req 2 => key: AttachmentKey,
        /// Plaintext size in bytes.
        req 3 => size: UintLe<67108864>,
        /// Media type.
        req 4 => media_type: BoundedText<1, 128>,
        /// File name.
        opt 5 => file_name: BoundedText<1, 255>,
        /// SHA-256 of the whole plaintext.
        req 6 => hash: Hash,
    }
);

wire_array!(
    /// `[leaf, bstr .cbor Invite]`: one member's invitation to another route.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct RouteInvite {
        /// The member, by leaf.
        leaf: Leaf,
        /// The invitation.
        invite: Embedded<Invite>,
    }
);

wire_map!(
    /// `RouteBody`: another channel of the same conversation (spec §10).
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct RouteBody {
        /// The conversation id.
        req 1 => conversation: ConversationId,
        /// The other route's host.
        req 2 => host_url: HostUrl,
        /// The other route's channel.
        req 3 => channel_id: ChannelId,
        /// One invite per member of this epoch.
        req 4 => invites: BoundedVec<RouteInvite, 1, 255>,
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pad_len_matches_nip44() {
        for (l, p) in [
            (1, 32),
            (32, 32),
            (33, 64),
            (37, 64),
            (64, 64),
            (65, 96),
            (100, 128),
            (256, 256),
            (257, 320),
            (383, 384),
            (384, 384),
            (385, 448),
            (1024, 1024),
            (1025, 1280),
            (65536, 65536),
            (65537, 81920),
        ] {
            assert_eq!(pad_len(l), p, "{l}");
        }
    }
}
