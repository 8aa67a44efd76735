//! The error code registry (spec §12.4, §12.5): one numeric code space shared by host
//! responses, client rejections and the wire profile's detail codes.

/// A stable error code from the spec's registry. Unknown values are kept, so a code from a
/// newer peer survives a round trip; compare codes, never message strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ErrorCode(pub u16);

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $value:literal, $text:literal;)*) => {
        impl ErrorCode {
            $($(#[$doc])* pub const $name: ErrorCode = ErrorCode($value);)*

            /// Every code this version of the registry assigns, in numeric order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name),*];

            /// The registry name (`"not_found"`), or `None` for an unassigned value.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some($text),)*
                    _ => None,
                }
            }

            /// Looks a code up by its registry name.
            pub fn from_name(name: &str) -> Option<ErrorCode> {
                match name {
                    $($text => Some(ErrorCode::$name),)*
                    _ => None,
                }
            }
        }
    };
}

codes! {
    /// Success.
    OK = 0, "ok";
    /// Not hCBOR, or a structure violation; the detail code names the rule.
    MALFORMED = 1, "malformed";
    /// Valid CBOR data in a non-canonical encoding.
    NONCANONICAL = 2, "noncanonical";
    /// A version field with an unsupported value.
    UNSUPPORTED_VERSION = 3, "unsupported_version";
    /// An unknown or unimplemented op.
    UNSUPPORTED_OP = 4, "unsupported_op";
    /// An invalid signature, or an invalid or weak key.
    BAD_SIGNATURE = 5, "bad_signature";
    /// The request timestamp is outside the freshness window.
    STALE_TIMESTAMP = 6, "stale_timestamp";
    /// A (key, nonce) pair reused with different bytes.
    REPLAY = 7, "replay";
    /// Absent, or the caller may not learn that it exists.
    NOT_FOUND = 8, "not_found";
    /// The caller lacks the authority for this request.
    FORBIDDEN = 9, "forbidden";
    /// Not for the channel's current epoch.
    EPOCH_CONFLICT = 10, "epoch_conflict";
    /// The invitation was already redeemed.
    INVITE_USED = 11, "invite_used";
    /// The invitation has expired.
    INVITE_EXPIRED = 12, "invite_expired";
    /// The request exceeds the host's size limit.
    TOO_LARGE = 13, "too_large";
    /// The key exceeded the host's rate limit.
    RATE_LIMITED = 14, "rate_limited";
    /// The request names another host.
    WRONG_HOST = 15, "wrong_host";
    /// A host-side failure; retry later.
    INTERNAL = 16, "internal";
    /// A critical extension the receiver does not implement.
    UNSUPPORTED_EXTENSION = 17, "unsupported_extension";
    /// A count limit is reached.
    LIMIT_EXCEEDED = 18, "limit_exceeded";
    /// An unsupported cipher suite.
    UNSUPPORTED_SUITE = 19, "unsupported_suite";
    /// The thing to create already exists.
    CONFLICT = 20, "conflict";
    /// The caller's member key was removed from the channel by a commit (spec §8.3.4,
    /// HRT-API-63).
    REMOVED = 21, "removed";
    /// An AEAD or HPKE open failed.
    DECRYPT_FAILED = 64, "decrypt_failed";
    /// Padding of the wrong length or with a non-zero byte.
    BAD_PADDING = 65, "bad_padding";
    /// For an epoch the client does not hold.
    WRONG_EPOCH = 66, "wrong_epoch";
    /// The sender is not in the roster.
    UNKNOWN_SENDER = 67, "unknown_sender";
    /// A generation too far ahead of the highest seen.
    GENERATION_TOO_FAR = 68, "generation_too_far";
    /// A message already opened.
    DUPLICATE_MESSAGE = 69, "duplicate_message";
    /// A confirmation tag mismatch.
    BAD_CONFIRMATION_TAG = 70, "bad_confirmation_tag";
    /// Sealed secrets not exactly one per remaining member.
    BAD_SEALED_SECRETS = 71, "bad_sealed_secrets";
    /// A Welcome signed by someone other than the invitation's inviter.
    WRONG_INVITER = 72, "wrong_inviter";
    /// A member certificate that does not verify.
    BAD_MEMBER_CERT = 73, "bad_member_cert";
    /// The log disagrees with a head the client holds.
    FORK_DETECTED = 74, "fork_detected";
    /// The host served a tip lower than one already seen.
    ROLLBACK_DETECTED = 75, "rollback_detected";
    /// A gap reveals withheld messages.
    WITHHELD_DETECTED = 76, "withheld_detected";
    /// An application message before the sender's first commit after joining.
    UPDATE_REQUIRED = 77, "update_required";
    /// A Welcome inconsistent with the joiner's own keys.
    WELCOME_MISMATCH = 78, "welcome_mismatch";
    /// A generation whose key was already dropped.
    GENERATION_EXPIRED = 79, "generation_expired";
    /// The user found that the short authentication strings of a join differ (spec §5.8.1).
    SAS_MISMATCH = 80, "sas_mismatch";
    /// A member's `seen_seq`, `seen_head` or `prev` contradicts the receiver's verified log
    /// (spec §9.7, §9.8); the member or the host is at fault.
    BAD_CLAIM = 81, "bad_claim";
    /// Detail: the input ends inside an item.
    UNDERRUN = 128, "underrun";
    /// Detail: bytes follow the single top-level item.
    TRAILING_BYTES = 129, "trailing_bytes";
    /// Detail: a head not in its shortest form.
    NONCANONICAL_HEAD = 130, "noncanonical_head";
    /// Detail: an indefinite-length item.
    INDEFINITE_LENGTH = 131, "indefinite_length";
    /// Detail: a float, tag or forbidden simple value.
    FORBIDDEN_TYPE = 132, "forbidden_type";
    /// Detail: a text string that is not valid UTF-8.
    INVALID_UTF8 = 133, "invalid_utf8";
    /// Detail: map keys not in increasing order.
    MISORDERED_KEY = 134, "misordered_key";
    /// Detail: a repeated map key.
    DUPLICATE_KEY = 135, "duplicate_key";
    /// Detail: nesting deeper than allowed.
    DEPTH_EXCEEDED = 136, "depth_exceeded";
    /// Detail: a length or count over its bound.
    LENGTH_EXCEEDED = 137, "length_exceeded";
    /// Detail: a key the structure does not define.
    UNKNOWN_KEY = 138, "unknown_key";
    /// Detail: a required key is absent.
    MISSING_KEY = 139, "missing_key";
    /// Detail: an item of the wrong major type.
    WRONG_TYPE = 140, "wrong_type";
    /// Detail: a fixed-size field of the wrong size.
    WRONG_SIZE = 141, "wrong_size";
    /// Detail: a map key that is not an unsigned integer.
    NON_UINT_KEY = 142, "non_uint_key";
    /// Detail: crit names an extension the receiver does not implement.
    UNKNOWN_CRITICAL = 143, "unknown_critical";
    /// Detail: a value outside its allowed range or set.
    INVALID_VALUE = 144, "invalid_value";
    /// Detail: an invitation URI that is not of the spec's form.
    BAD_URI = 145, "bad_uri";
    /// Detail: base64url text that is not strict.
    BAD_BASE64 = 146, "bad_base64";
    /// Detail: a request without `Content-Type: application/cbor`.
    WRONG_CONTENT_TYPE = 147, "wrong_content_type";
    /// Detail: an invitation whose check value does not match: the link is damaged.
    BAD_CHECKSUM = 148, "bad_checksum";
}

impl ErrorCode {
    /// The status a host reports for this code: detail codes (128 and above) map onto
    /// `noncanonical`, `unsupported_extension` or `malformed` (spec §12.5); other codes are
    /// their own status.
    pub fn status(self) -> ErrorCode {
        match self {
            ErrorCode::NONCANONICAL_HEAD
            | ErrorCode::INDEFINITE_LENGTH
            | ErrorCode::MISORDERED_KEY => ErrorCode::NONCANONICAL,
            ErrorCode::UNKNOWN_CRITICAL => ErrorCode::UNSUPPORTED_EXTENSION,
            ErrorCode(n) if n >= 128 => ErrorCode::MALFORMED,
            other => other,
        }
    }

    /// True for the detail codes of the wire taxonomy (128 and above).
    pub fn is_detail(self) -> bool {
        self.0 >= 128
    }
}

impl core::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n} ({})", self.0),
            None => write!(f, "unassigned ({})", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for c in ErrorCode::ALL {
            let name = c.name().unwrap_or_default();
            assert!(seen.insert(name), "duplicate name {name}");
            assert_eq!(ErrorCode::from_name(name), Some(*c));
        }
    }

    #[test]
    fn detail_codes_map_to_status() {
        assert_eq!(
            ErrorCode::NONCANONICAL_HEAD.status(),
            ErrorCode::NONCANONICAL
        );
        assert_eq!(
            ErrorCode::UNKNOWN_CRITICAL.status(),
            ErrorCode::UNSUPPORTED_EXTENSION
        );
        assert_eq!(ErrorCode::DUPLICATE_KEY.status(), ErrorCode::MALFORMED);
        assert_eq!(ErrorCode::REPLAY.status(), ErrorCode::REPLAY);
        for c in ErrorCode::ALL {
            assert!(!c.status().is_detail());
        }
    }
}
