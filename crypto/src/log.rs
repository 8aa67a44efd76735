//! The log hash chain (spec §9.3): what a host computes for every entry it appends and what
//! every client recomputes to verify a served page.
//!
//! ```text
//! head_0 = h''
//! head_s = H("log", [head_{s-1}, s, kind, H("entry", bytes)])
//! ```

use crate::label;
use crate::labelled::{bstr, h};

/// `H("entry", bytes)` of an entry's exact bytes (spec §9.3).
pub fn entry_hash(bytes: &[u8]) -> [u8; 32] {
    h(label::ENTRY, bstr(bytes))
}

/// `head_s` from `prev = head_{s-1}` (empty for `s = 1`), the entry's `seq`, its `entry-kind`
/// code and its exact bytes (spec §9.3, HRT-LOG-7, HRT-LOG-19).
pub fn next_head(prev: &[u8], seq: u64, kind: u64, bytes: &[u8]) -> [u8; 32] {
    let eh = entry_hash(bytes);
    h(label::LOG, |e| {
        e.array(4).bytes(prev).uint(seq).uint(kind).bytes(&eh);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_1_hashes_the_empty_previous_head() {
        // head_1 = H("log", [h'', 1, 0, H("entry", bytes)]): the first element is the 1-byte
        // encoding 0x40 of the empty byte string (spec §9.3).
        let bytes = b"abc";
        let mut inner = vec![0x84, 0x40, 0x01, 0x00, 0x58, 0x20];
        inner.extend_from_slice(&entry_hash(bytes));
        let direct = h(label::LOG, |e| {
            e.raw(&inner);
        });
        assert_eq!(next_head(&[], 1, 0, bytes), direct);
        assert_ne!(next_head(&[0; 32], 1, 0, bytes), direct);
    }
}
