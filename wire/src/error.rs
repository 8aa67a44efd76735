//! The decode error taxonomy (spec §2.7).
//!
//! One flat, `Copy` enum with one variant per rule. Every variant maps to exactly one detail
//! [`ErrorCode`] (use [`ErrorCode::status`] for the status a host reports) and to the
//! requirement ID of the rule it enforces.

use crate::code::ErrorCode;

/// Why input was rejected by the hCBOR validator, a typed decoder or the invitation parser.
///
/// Compare variants or [`WireError::code`], never the `Display` text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WireError {
    /// HRT-WIRE-1: bytes follow the single top-level item.
    TrailingBytes,
    /// HRT-WIRE-2: the input ends inside an item, or a declared length or count exceeds the
    /// bytes that remain.
    Underrun,
    /// HRT-WIRE-3: a head whose argument is not in its shortest form.
    NoncanonicalHead,
    /// HRT-WIRE-4: an indefinite-length item or a "break" byte (additional information 31).
    IndefiniteLength,
    /// HRT-WIRE-5: a float, a tag, a simple value other than false/true/null, or a head with
    /// reserved additional information (28 to 30).
    ForbiddenType,
    /// HRT-WIRE-6: a text string that is not well-formed UTF-8.
    InvalidUtf8,
    /// HRT-WIRE-7: a map key that is not an unsigned integer (negative integers are data only).
    NonUintKey,
    /// HRT-WIRE-8: a map key smaller than its predecessor.
    MisorderedKey,
    /// HRT-WIRE-8: a map key equal to its predecessor.
    DuplicateKey,
    /// HRT-WIRE-9: an item nested deeper than 16 levels.
    DepthExceeded,
    /// HRT-WIRE-10: a string or container longer than the bound for its position (the
    /// validator's profile limits or the CDDL bound).
    LengthExceeded,
    /// HRT-WIRE-12: a key a core structure does not define.
    UnknownKey,
    /// HRT-WIRE-13: a required map key is absent, or an array has fewer elements than its
    /// rule allows.
    MissingKey,
    /// HRT-WIRE-13: an array has more elements than its rule allows.
    ExtraElements,
    /// HRT-WIRE-14: an item of the wrong major type (including `null` where none is allowed).
    WrongType,
    /// HRT-WIRE-15: a fixed-size byte string of the wrong size, or a sized string below the
    /// minimum of its range.
    WrongSize,
    /// HRT-WIRE-16: a value outside its range or closed set.
    InvalidValue,
    /// HRT-WIRE-21: an `ext` map with more than 16 entries besides `crit`.
    ExtTooLarge,
    /// HRT-EXT (spec §11): `crit` names an extension the receiver does not implement.
    UnknownCritical,
    /// Spec §11: a version field with a value other than 1 (checked after the structure
    /// decodes).
    UnsupportedVersion,
    /// Spec §11: a suite the caller does not support.
    UnsupportedSuite,
    /// Spec §8: an op this library has no body type for.
    UnsupportedOp,
    /// Spec §5: an invitation URI or host URL not of the canonical form.
    BadUri,
    /// Spec §5: base64url text that is not strict (alphabet, padding, trailing bits).
    BadBase64,
    /// Spec §5.3.2 step 3: an invitation whose check value does not match its bytes.
    BadChecksum,
}

impl WireError {
    /// Every variant, in declaration order (for tests and documentation tables).
    pub const ALL: &'static [WireError] = &[
        WireError::TrailingBytes,
        WireError::Underrun,
        WireError::NoncanonicalHead,
        WireError::IndefiniteLength,
        WireError::ForbiddenType,
        WireError::InvalidUtf8,
        WireError::NonUintKey,
        WireError::MisorderedKey,
        WireError::DuplicateKey,
        WireError::DepthExceeded,
        WireError::LengthExceeded,
        WireError::UnknownKey,
        WireError::MissingKey,
        WireError::ExtraElements,
        WireError::WrongType,
        WireError::WrongSize,
        WireError::InvalidValue,
        WireError::ExtTooLarge,
        WireError::UnknownCritical,
        WireError::UnsupportedVersion,
        WireError::UnsupportedSuite,
        WireError::UnsupportedOp,
        WireError::BadUri,
        WireError::BadBase64,
        WireError::BadChecksum,
    ];

    /// The registry code: a detail code (128 and above) for profile and structure rules, a
    /// status code for version, suite and op errors. [`ErrorCode::status`] gives the status.
    pub fn code(self) -> ErrorCode {
        match self {
            WireError::TrailingBytes => ErrorCode::TRAILING_BYTES,
            WireError::Underrun => ErrorCode::UNDERRUN,
            WireError::NoncanonicalHead => ErrorCode::NONCANONICAL_HEAD,
            WireError::IndefiniteLength => ErrorCode::INDEFINITE_LENGTH,
            WireError::ForbiddenType => ErrorCode::FORBIDDEN_TYPE,
            WireError::InvalidUtf8 => ErrorCode::INVALID_UTF8,
            WireError::NonUintKey => ErrorCode::NON_UINT_KEY,
            WireError::MisorderedKey => ErrorCode::MISORDERED_KEY,
            WireError::DuplicateKey => ErrorCode::DUPLICATE_KEY,
            WireError::DepthExceeded => ErrorCode::DEPTH_EXCEEDED,
            WireError::LengthExceeded | WireError::ExtraElements | WireError::ExtTooLarge => {
                ErrorCode::LENGTH_EXCEEDED
            }
            WireError::UnknownKey => ErrorCode::UNKNOWN_KEY,
            WireError::MissingKey => ErrorCode::MISSING_KEY,
            WireError::WrongType => ErrorCode::WRONG_TYPE,
            WireError::WrongSize => ErrorCode::WRONG_SIZE,
            WireError::InvalidValue => ErrorCode::INVALID_VALUE,
            WireError::UnknownCritical => ErrorCode::UNKNOWN_CRITICAL,
            WireError::UnsupportedVersion => ErrorCode::UNSUPPORTED_VERSION,
            WireError::UnsupportedSuite => ErrorCode::UNSUPPORTED_SUITE,
            WireError::UnsupportedOp => ErrorCode::UNSUPPORTED_OP,
            WireError::BadUri => ErrorCode::BAD_URI,
            WireError::BadBase64 => ErrorCode::BAD_BASE64,
            WireError::BadChecksum => ErrorCode::BAD_CHECKSUM,
        }
    }

    /// The requirement this variant enforces; for a rule that several requirements share, the
    /// first of them.
    pub fn requirement(self) -> &'static str {
        match self {
            WireError::TrailingBytes => "HRT-WIRE-1",
            WireError::Underrun => "HRT-WIRE-2",
            WireError::NoncanonicalHead => "HRT-WIRE-3",
            WireError::IndefiniteLength => "HRT-WIRE-4",
            WireError::ForbiddenType => "HRT-WIRE-5",
            WireError::InvalidUtf8 => "HRT-WIRE-6",
            WireError::NonUintKey => "HRT-WIRE-7",
            WireError::MisorderedKey | WireError::DuplicateKey => "HRT-WIRE-8",
            WireError::DepthExceeded => "HRT-WIRE-9",
            WireError::LengthExceeded => "HRT-WIRE-10",
            WireError::UnknownKey => "HRT-WIRE-12",
            WireError::MissingKey | WireError::ExtraElements => "HRT-WIRE-13",
            WireError::WrongType => "HRT-WIRE-14",
            WireError::WrongSize => "HRT-WIRE-15",
            WireError::InvalidValue => "HRT-WIRE-16",
            WireError::ExtTooLarge => "HRT-WIRE-21",
            WireError::UnknownCritical => "HRT-EXT-12",
            WireError::UnsupportedVersion => "HRT-EXT-2",
            WireError::UnsupportedSuite => "HRT-EXT-4",
            WireError::UnsupportedOp => "HRT-API-24",
            // The first rule of each family; §5.3 lists the variants (HRT-INV-53, HRT-INV-55;
            // HRT-INV-9, HRT-INV-10).
            WireError::BadUri => "HRT-INV-53",
            WireError::BadBase64 => "HRT-INV-9",
            WireError::BadChecksum => "HRT-INV-54",
        }
    }
}

impl core::fmt::Display for WireError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let code = self.code();
        write!(
            f,
            "{} ({}, {})",
            code.name().unwrap_or("unassigned"),
            code.0,
            self.requirement()
        )
    }
}

impl std::error::Error for WireError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_a_registry_code_and_requirement() {
        for e in WireError::ALL {
            assert!(e.code().name().is_some(), "{e:?}");
            let id = e.requirement();
            assert!(
                id.starts_with("HRT-")
                    && id
                        .rsplit('-')
                        .next()
                        .is_some_and(|n| n.parse::<u32>().is_ok()),
                "{e:?}: {id}"
            );
            assert!(!e.code().status().is_detail());
        }
    }

    #[test]
    fn canonicality_errors_are_noncanonical() {
        for e in [
            WireError::NoncanonicalHead,
            WireError::IndefiniteLength,
            WireError::MisorderedKey,
        ] {
            assert_eq!(e.code().status(), ErrorCode::NONCANONICAL);
        }
        assert_eq!(
            WireError::DuplicateKey.code().status(),
            ErrorCode::MALFORMED
        );
        assert_eq!(
            WireError::UnknownCritical.code().status(),
            ErrorCode::UNSUPPORTED_EXTENSION
        );
    }
}
