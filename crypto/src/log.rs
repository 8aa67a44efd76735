//! The log hash chain (spec §9.3): what a host computes for every entry it appends and what
//! every client recomputes to verify a served page.
//!
//! ```text
//! head_0 = h''
//! head_s = H("log", [head_{s-1}, s, kind, H("entry", bytes)])
//! ```

use sha2::{Digest, Sha256};

use crate::hazmat::label;
use crate::hazmat::labelled::h;

/// `H("entry", bytes)` of an entry's exact bytes (spec §9.3): `SHA-256(hCBOR(["entry",
/// bytes]))`, hashed as it is encoded (a client hashes every entry it verifies, HRT-LOG-19;
/// copying each into an encoding first costs a tenth of the hash).
pub fn entry_hash(bytes: &[u8]) -> [u8; 32] {
    let head = hearth_wire::encode_with(|e| {
        e.array(2).text(&label::ENTRY.wire());
    });
    let len = bytes.len() as u64;
    let mut d = Sha256::new();
    d.update(&head);
    // The byte string's head (RFC 8949 §3: major type 2, shortest length form).
    let be = len.to_be_bytes();
    let (first, extra): (u8, &[u8]) = match len {
        0..=23 => (0x40 | be[7], &[]),
        24..=0xff => (0x58, &be[7..]),
        0x100..=0xffff => (0x59, &be[6..]),
        0x1_0000..=0xffff_ffff => (0x5a, &be[4..]),
        _ => (0x5b, &be[..]),
    };
    d.update([first]);
    d.update(extra);
    d.update(bytes);
    d.finalize().into()
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
    use crate::hazmat::labelled::bstr;

    #[test]
    fn the_entry_hash_is_the_labelled_hash_of_the_bytes() {
        for n in [0usize, 1, 23, 24, 255, 256, 65_535, 65_536, 70_000] {
            let bytes: Vec<u8> = (0..n).map(|i| i as u8).collect();
            assert_eq!(
                entry_hash(&bytes),
                h(label::ENTRY, bstr(&bytes)),
                "length {n}"
            );
        }
    }

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
