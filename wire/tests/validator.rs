//! One negative (and where useful positive) test per validator rule, named by requirement ID
//! (spec §2.2, §2.7).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use hearth_wire::{validate, ErrorCode, Profile, WireError};

fn v(hex_str: &str) -> Result<(), WireError> {
    let b = hex::decode(hex_str.replace(' ', "")).unwrap();
    validate(&b, &Profile::DEFAULT)
}

fn rejects(hex_str: &str, e: WireError) {
    assert_eq!(v(hex_str), Err(e), "{hex_str}");
}

#[test]
fn hrt_wire_1_trailing_bytes() {
    rejects("00 00", WireError::TrailingBytes);
    rejects("80 00", WireError::TrailingBytes);
    rejects("a0 f6", WireError::TrailingBytes);
    assert_eq!(WireError::TrailingBytes.code(), ErrorCode::TRAILING_BYTES);
}

#[test]
fn hrt_wire_2_underrun() {
    rejects("", WireError::Underrun);
    rejects("18", WireError::Underrun);
    rejects("19 01", WireError::Underrun);
    rejects("1b 00 00 00 01 00 00 00", WireError::Underrun);
    rejects("43 01 02", WireError::Underrun);
    rejects("82 01", WireError::Underrun);
    rejects("a1 01", WireError::Underrun);
    // A declared length far beyond the input: no allocation, underrun.
    rejects("5a 00 ff ff ff", WireError::Underrun);
    rejects("99 ff ff 00", WireError::Underrun);
    rejects("b9 80 00 00 00", WireError::Underrun);
}

#[test]
fn hrt_wire_3_noncanonical_head() {
    rejects("18 17", WireError::NoncanonicalHead);
    rejects("19 00 ff", WireError::NoncanonicalHead);
    rejects("1a 00 00 ff ff", WireError::NoncanonicalHead);
    rejects("1b 00 00 00 00 ff ff ff ff", WireError::NoncanonicalHead);
    rejects("38 00", WireError::NoncanonicalHead);
    rejects("58 01 00", WireError::NoncanonicalHead);
    rejects("78 00", WireError::NoncanonicalHead);
    rejects("98 00", WireError::NoncanonicalHead);
    rejects("b8 00", WireError::NoncanonicalHead);
    assert_eq!(v("18 18"), Ok(()));
    assert_eq!(v("19 01 00"), Ok(()));
    assert_eq!(v("1a 00 01 00 00"), Ok(()));
    assert_eq!(v("1b 00 00 00 01 00 00 00 00"), Ok(()));
    assert_eq!(
        WireError::NoncanonicalHead.code().status(),
        ErrorCode::NONCANONICAL
    );
}

#[test]
fn hrt_wire_4_indefinite_length() {
    rejects("5f 41 00 ff", WireError::IndefiniteLength);
    rejects("7f ff", WireError::IndefiniteLength);
    rejects("9f ff", WireError::IndefiniteLength);
    rejects("bf ff", WireError::IndefiniteLength);
    rejects("ff", WireError::IndefiniteLength);
    rejects("81 ff", WireError::IndefiniteLength);
}

#[test]
fn hrt_wire_5_forbidden_type() {
    rejects("f9 00 00", WireError::ForbiddenType); // half float
    rejects("fa 00 00 00 00", WireError::ForbiddenType);
    rejects("fb 00 00 00 00 00 00 00 00", WireError::ForbiddenType);
    rejects("c0 00", WireError::ForbiddenType); // tag 0
    rejects("d8 18 40", WireError::ForbiddenType); // tag 24
    rejects("f7", WireError::ForbiddenType); // undefined
    rejects("e0", WireError::ForbiddenType); // simple(0)
    rejects("f8 20", WireError::ForbiddenType); // simple(32)
    rejects("1c", WireError::ForbiddenType); // reserved additional information
    assert_eq!(v("f4"), Ok(()));
    assert_eq!(v("f5"), Ok(()));
    assert_eq!(v("f6"), Ok(()), "null is the typed decoder's business");
}

#[test]
fn hrt_wire_6_invalid_utf8() {
    rejects("61 ff", WireError::InvalidUtf8);
    rejects("62 c0 80", WireError::InvalidUtf8); // overlong
    rejects("63 ed a0 80", WireError::InvalidUtf8); // surrogate
    rejects("64 f4 90 80 80", WireError::InvalidUtf8); // above U+10FFFF
    assert_eq!(v("62 c3 a9"), Ok(()));
    // Byte strings are not UTF-8 checked.
    assert_eq!(v("41 ff"), Ok(()));
}

#[test]
fn hrt_wire_7_non_uint_key() {
    rejects("a1 20 00", WireError::NonUintKey); // negative key
    rejects("a1 61 61 00", WireError::NonUintKey);
    rejects("a1 40 00", WireError::NonUintKey);
    rejects("a1 80 00", WireError::NonUintKey);
    rejects("a1 f6 00", WireError::NonUintKey);
    // Negative integers are fine as data.
    assert_eq!(v("a1 01 20"), Ok(()));
    assert_eq!(v("3b ff ff ff ff ff ff ff ff"), Ok(()));
}

#[test]
fn hrt_wire_8_misordered_and_duplicate_keys() {
    rejects("a2 02 00 01 00", WireError::MisorderedKey);
    rejects("a2 01 00 01 00", WireError::DuplicateKey);
    rejects("a3 01 00 19 01 00 00 18 20 00", WireError::MisorderedKey);
    // Spec §2.3 example.
    assert_eq!(v("a2 01 41 01 03 61 61"), Ok(()));
    rejects("a2 03 61 61 01 41 01", WireError::MisorderedKey);
    assert_eq!(
        WireError::DuplicateKey.code().status(),
        ErrorCode::MALFORMED
    );
    assert_eq!(
        WireError::MisorderedKey.code().status(),
        ErrorCode::NONCANONICAL
    );
    // Nested maps keep their own order.
    assert_eq!(v("a2 01 a1 05 00 02 a1 01 00"), Ok(()));
}

#[test]
fn hrt_wire_9_depth_exceeded() {
    let ok = format!("{}00", "81".repeat(15));
    assert_eq!(v(&ok), Ok(()));
    rejects(&format!("{}00", "81".repeat(16)), WireError::DepthExceeded);
    rejects(
        &format!("{}00", "a101".repeat(16)),
        WireError::DepthExceeded,
    );
    // Deep nesting well beyond the limit is cheap and rejected.
    rejects(
        &format!("{}00", "81".repeat(100_000)),
        WireError::DepthExceeded,
    );
    // A profile may lower the limit.
    let b = hex::decode("818100").unwrap();
    let p = Profile {
        max_depth: 2,
        ..Profile::DEFAULT
    };
    assert_eq!(validate(&b, &p), Err(WireError::DepthExceeded));
}

#[test]
fn hrt_wire_10_length_exceeded() {
    let p = Profile {
        max_string: 4,
        max_container: 2,
        max_total: 64,
        ..Profile::DEFAULT
    };
    let check = |h: &str| validate(&hex::decode(h.replace(' ', "")).unwrap(), &p);
    assert_eq!(check("45 00 00 00 00 00"), Err(WireError::LengthExceeded));
    assert_eq!(check("65 61 61 61 61 61"), Err(WireError::LengthExceeded));
    assert_eq!(check("83 00 00 00"), Err(WireError::LengthExceeded));
    assert_eq!(
        check("a3 00 00 01 00 02 00"),
        Err(WireError::LengthExceeded)
    );
    assert_eq!(check(&"00".repeat(65)), Err(WireError::LengthExceeded));
    // §2.7.1 row P7 before P8: a length the input cannot hold is underrun, whatever the
    // decoder's own limit, so that decoders with different limits agree.
    assert_eq!(check("5a 00 ff ff ff"), Err(WireError::Underrun));
    assert_eq!(check("85 00 00"), Err(WireError::Underrun));
    assert_eq!(check("a3 00 00"), Err(WireError::Underrun));
}

/// HRT-WIRE-22: the checks of one head in the order of §2.7.1, rows P1 to P9.
#[test]
fn hrt_wire_22_checks_of_one_head_in_table_order() {
    // P1: no byte at all.
    rejects("", WireError::Underrun);
    // P2 before P3 and P4: depth is judged before the head at depth 17.
    rejects(&format!("{}ff", "81".repeat(16)), WireError::DepthExceeded);
    rejects(&format!("{}18", "81".repeat(16)), WireError::DepthExceeded);
    // P3: reserved additional information 28 to 30, on every major type but 6 and 7's own.
    for ib in [0x1c, 0x3d, 0x5e, 0x7c, 0x9d, 0xbe, 0xfc, 0xfd, 0xfe] {
        rejects(&format!("{ib:02x}"), WireError::ForbiddenType);
    }
    // P3 before P4: a float or a tag whose argument is missing is forbidden_type.
    rejects("fa 00 00", WireError::ForbiddenType);
    rejects("d9 01", WireError::ForbiddenType);
    // P3 before P6: forbidden or indefinite heads in key position.
    rejects("a1 f9 3c 00 00", WireError::ForbiddenType);
    rejects("a1 ff 00", WireError::IndefiniteLength);
    rejects("a1 7f 61 61 ff 00", WireError::IndefiniteLength);
    // P4 and P5 before P6: a key's own head first.
    rejects("a1 79 00", WireError::Underrun);
    rejects("a1 38", WireError::Underrun);
    rejects("a1 18 01 00 00", WireError::NoncanonicalHead);
    // P6 before P7 and P9: a text key is non_uint_key before its content is looked at.
    rejects("a1 61 ff 00", WireError::NonUintKey);
    rejects("a1 65 61", WireError::NonUintKey);
    // P7 at the container's head, before anything inside it.
    rejects("83 18 01", WireError::Underrun);
    rejects("a2 01 18 01", WireError::Underrun);
    // P7 before P9.
    rejects("63 ff", WireError::Underrun);
    // P7 before P8 with the default limits.
    rejects("5a 01 00 00 01 00", WireError::Underrun);
}

#[test]
fn hrt_wire_22_first_violation_left_to_right() {
    // A non-canonical head before trailing bytes.
    rejects("18 01 00", WireError::NoncanonicalHead);
    // A misordered key before a float later on.
    rejects("a2 02 00 01 f9 00 00", WireError::MisorderedKey);
    // A float before a misordered key.
    rejects("a2 01 f9 00 00 00 00", WireError::ForbiddenType);
    // Invalid UTF-8 before underrun.
    rejects("82 61 ff", WireError::InvalidUtf8);
}
