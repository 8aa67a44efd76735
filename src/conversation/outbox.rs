//! The outbox (spec §9.8, HRT-LOG-49 to HRT-LOG-51): sends that reached no route, kept as
//! content to seal, never as sealed bytes.

use hearth_wire::{ContentType, Hash, RawValue};

/// A send that reached no route: its content, to be stamped and sealed anew when it is
/// retried (HRT-LOG-35, HRT-LOG-50).
#[derive(Clone, Debug)]
pub struct Queued {
    /// The content type.
    pub content_type: ContentType,
    /// The body, encoded.
    pub body: RawValue,
    /// The `msg-ref`s of the attempts whose outcome stayed unknown: if the verified log shows
    /// one, the send was accepted and is not made again (HRT-LOG-52).
    pub attempts: Vec<Hash>,
}
