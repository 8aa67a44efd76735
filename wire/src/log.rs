//! Log entries (spec §9).

use crate::types::{EntryKind, Hash, Secs, Seq};

wire_array!(
    /// `LogEntry = [seq, kind, bytes, head, received]`. `bytes` are the exact bytes the host
    /// accepted (a `SignedRequest`, `Commit` or `Envelope`, HRT-WIRE-19); they are decoded by
    /// the client according to `kind`.
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct LogEntry {
        /// The entry's sequence number.
        seq: Seq,
        /// What the entry holds.
        kind: EntryKind,
        /// The exact accepted bytes.
        bytes: Vec<u8>,
        /// The log head after this entry.
        head: Hash,
        /// When the host received it.
        received: Secs,
    }
);
