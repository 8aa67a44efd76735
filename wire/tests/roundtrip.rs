//! Property tests: every structure round-trips (`decode(encode(v)) == v`, and the encoding is
//! the one the decoder accepts), and no input makes any entry point panic.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use hearth_wire::entry::{arbitrary_roundtrip, check_all, ENTRY_POINTS};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// One property per structure would be 50 tests; this one walks every structure index
    /// for each random seed.
    #[test]
    fn every_structure_round_trips(seed in proptest::collection::vec(any::<u8>(), 0..2048)) {
        for i in 0..ENTRY_POINTS.len() {
            let mut u = arbitrary::Unstructured::new(&seed);
            if let Ok((name, bytes)) = arbitrary_roundtrip(i, &mut u) {
                // The encoding passes the entry point by name, and re-encodes identically.
                let e = hearth_wire::entry::entry_point(name).unwrap();
                prop_assert_eq!((e.decode)(&bytes), Ok(bytes.clone()), "{}", name);
            }
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check_all(&bytes);
    }

    /// Mutations of valid encodings reach far deeper than random bytes.
    #[test]
    fn mutated_encodings_never_panic(
        seed in proptest::collection::vec(any::<u8>(), 0..1024),
        index in 0usize..64,
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4),
        cut in any::<usize>(),
    ) {
        let mut u = arbitrary::Unstructured::new(&seed);
        if let Ok((_, mut bytes)) = arbitrary_roundtrip(index, &mut u) {
            check_all(&bytes);
            for (pos, val) in flips {
                if !bytes.is_empty() {
                    let p = pos % bytes.len();
                    bytes[p] = val;
                }
            }
            check_all(&bytes);
            let cut = if bytes.is_empty() { 0 } else { cut % bytes.len() };
            check_all(&bytes[..cut]);
        }
    }
}

#[test]
fn every_structure_is_reachable_by_arbitrary() {
    // With enough entropy each index must produce a value (no structure silently skipped).
    let seed: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    for (i, ep) in ENTRY_POINTS.iter().enumerate() {
        let mut u = arbitrary::Unstructured::new(&seed);
        let (name, _) = arbitrary_roundtrip(i, &mut u).unwrap();
        assert_eq!(name, ep.name);
    }
}
