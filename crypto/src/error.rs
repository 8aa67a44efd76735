//! Errors of the primitive layer (spec §3).
//!
//! Failures caused by peer input are opaque: a caller learns *that* an open or a verification
//! failed, never which internal check failed (RustCrypto `aead::Error` style). Each variant maps
//! onto exactly one stable [`ErrorCode`] of the spec's registry (spec §12). API misuse by the
//! local caller is a separate variant ([`CryptoError::Misuse`]) so it is never confused with bad
//! peer input.

use core::fmt;

use hearth_wire::ErrorCode;

/// A failure of a Hearth cryptographic primitive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CryptoError {
    /// An AEAD or HPKE open failed, including an HPKE decapsulation whose X25519 result is all
    /// zeros (RFC 9180 §7.1.4). Maps to `decrypt_failed`.
    Decrypt,
    /// An Ed25519 signature is invalid under Hearth's validity rules (spec §3.5), or a labelled
    /// signature does not verify. Maps to `bad_signature`.
    Verify,
    /// An Ed25519 public key is not canonically encoded, does not decode, or has small order
    /// (spec §3.5 rule 1). Maps to `bad_signature` (weak keys are reported as bad signatures).
    WeakKey,
    /// Sealing to an X25519 public key gave an all-zero shared secret (a low-order point,
    /// RFC 9180 §7.1.4, RFC 7748 §6.1). Maps to `decrypt_failed`, the code the spec assigns to a
    /// non-contributory X25519 result.
    NonContributory,
    /// A MAC (spec §3.2) does not match; the one protocol MAC is the confirmation tag, so this
    /// maps to `bad_confirmation_tag`.
    BadMac,
    /// A member certificate does not verify for `[host_url, channel_id, MK]` (spec §4.2). Maps to
    /// `bad_member_cert`.
    BadMemberCert,
    /// The local caller used the API in a way the spec or RFC forbids; never caused by a peer.
    /// Maps to `internal`.
    Misuse(Misuse),
}

impl CryptoError {
    /// The spec's stable error code for this failure (spec §12).
    pub fn code(self) -> ErrorCode {
        match self {
            CryptoError::Decrypt | CryptoError::NonContributory => ErrorCode::DECRYPT_FAILED,
            CryptoError::Verify | CryptoError::WeakKey => ErrorCode::BAD_SIGNATURE,
            CryptoError::BadMac => ErrorCode::BAD_CONFIRMATION_TAG,
            CryptoError::BadMemberCert => ErrorCode::BAD_MEMBER_CERT,
            CryptoError::Misuse(m) => m.code(),
        }
    }
}

impl From<Misuse> for CryptoError {
    fn from(m: Misuse) -> Self {
        CryptoError::Misuse(m)
    }
}

impl fmt::Display for CryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CryptoError::Decrypt => f.write_str("decryption failed"),
            CryptoError::Verify => f.write_str("signature verification failed"),
            CryptoError::WeakKey => f.write_str("invalid or weak Ed25519 public key"),
            CryptoError::NonContributory => f.write_str("non-contributory X25519 public key"),
            CryptoError::BadMac => f.write_str("MAC mismatch"),
            CryptoError::BadMemberCert => f.write_str("member certificate does not verify"),
            CryptoError::Misuse(m) => write!(f, "API misuse: {m:?}"),
        }
    }
}

impl std::error::Error for CryptoError {}

/// Why the protocol layer (invitation §5, group §6, envelope §7) rejected peer input, or refused
/// a local call.
///
/// Each variant that a peer can cause names one status code of the spec's registry (spec §12);
/// [`ProtocolError::code`] is the status and [`ProtocolError::detail`] the finer detail code where
/// the spec gives one (`malformed` with `invalid_value`, or a wire detail). Cryptographic failures
/// stay opaque: one variant per spec code, never which internal step failed (HRT-CRYPTO-33).
/// Local misuse ([`ProtocolError::Misuse`]) is never caused by a peer and maps to `internal`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The bytes do not decode under the wire profile (spec §2.7); status and detail are the
    /// wire error's (including `unsupported_version` and `unsupported_extension`).
    Wire(hearth_wire::WireError),
    /// `unsupported_suite`: the suite is not the channel's or not implemented (HRT-CRYPTO-2).
    UnsupportedSuite,
    /// `malformed` with detail `invalid_value`: a well-formedness rule or a field that must equal
    /// a value the receiver holds (channel id, `JoinRequest` key 2, small-order init key).
    InvalidValue,
    /// `wrong_epoch`.
    WrongEpoch,
    /// `unknown_sender`.
    UnknownSender,
    /// `bad_signature`: a signature does not verify, or a key is not a valid Ed25519 key.
    BadSignature,
    /// `forbidden`: the commit is not authorised (spec §6.7).
    Forbidden,
    /// `bad_sealed_secrets`.
    BadSealedSecrets,
    /// `decrypt_failed`: an HPKE or AEAD open failed (HRT-CRYPTO-33).
    DecryptFailed,
    /// `bad_member_cert`.
    BadMemberCert,
    /// `bad_confirmation_tag`.
    BadConfirmationTag,
    /// `wrong_inviter`.
    WrongInviter,
    /// `welcome_mismatch`.
    WelcomeMismatch,
    /// `generation_too_far`.
    GenerationTooFar,
    /// `duplicate_message`.
    DuplicateMessage,
    /// `generation_expired`.
    GenerationExpired,
    /// `bad_padding`.
    BadPadding,
    /// `update_required`.
    UpdateRequired,
    /// `invite_expired`.
    InviteExpired,
    /// `sas_mismatch`: the user found that the short authentication strings of a join differ
    /// (spec §5.8.1, HRT-INV-66, HRT-INV-68); the join is abandoned.
    SasMismatch,
    /// A saved state ([`crate::SavedState`]) given to a `restore` function is truncated,
    /// corrupted, not in its canonical encoding, of another kind, or inconsistent (spec §6.1).
    /// Local input, never a peer's; maps to `malformed`. A saved state of an unknown format
    /// version is `unsupported_version` ([`ProtocolError::Wire`]) instead.
    BadSavedState,
    /// The local caller used the API in a way the spec forbids; maps to `internal`.
    Misuse(Misuse),
}

/// Local API misuse: a bug in the caller or a call the spec forbids, never bad peer input
/// (OpenMLS `LibraryError` style). One type for both layers: a primitive's misuse
/// ([`CryptoError::Misuse`]) and a protocol-layer refusal ([`ProtocolError::Misuse`]) carry the
/// same value. Every variant maps to the spec's `internal` code ([`Misuse::code`]): a peer never
/// observes it as anything else (spec §12).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Misuse {
    // Primitives (spec §3).
    /// HPKE `psk` and `psk_id` must be both present (PSK mode) or both absent (Base mode)
    /// (RFC 9180 §5.1 `VerifyPSKInputs`).
    PskInputs,
    /// The HPKE sequence number would overflow (RFC 9180 §5.2 `MessageLimitReachedError`).
    MessageLimit,
    /// An output length beyond what HKDF-SHA256 can produce (255 · 32 bytes, RFC 5869 §2.3),
    /// or beyond the 16-bit length prefix of an HPKE `LabeledExpand`.
    OutputLength,
    /// A key of the wrong length for the chosen algorithm.
    KeyLength,
    /// A plaintext too long for AES-GCM (NIST SP 800-38D).
    PlaintextLength,
    // The protocol layer (spec §5 to §7).
    /// The member has been removed from the channel (HRT-GRP-46) and holds no secrets.
    Removed,
    /// The group rejected a commit and can no longer follow the channel (HRT-GRP-89).
    Halted,
    /// A commit is pending; its outcome must be known first (HRT-GRP-23, HRT-GRP-50).
    CommitPending,
    /// A recovery commit (`CommitTBS` key 11) was given to `process_commit`; it is processed
    /// with `Group::process_recovery`, which needs the commit it names (spec §6.9.3).
    RecoveryCommit,
    /// No commit is pending.
    NoPendingCommit,
    /// The member must have a commit of its own accepted before sending (HRT-RAT-17, HRT-RAT-18,
    /// HRT-RAT-19).
    UpdateRequired,
    /// The requested commit is not well-formed (HRT-GRP-13); the value is the code a receiver
    /// would report.
    IllFormedCommit,
    /// The requested commit is not authorised (HRT-GRP-14).
    UnauthorisedCommit,
    /// `Content` encodes to more than 65536 bytes or is empty (HRT-MSG-7).
    ContentSize,
    /// A GREASE content type or a malformed body for a known type (HRT-MSG-38).
    BadContent,
    /// The sender's generations of this epoch are exhausted.
    GenerationsExhausted,
    /// An exporter length outside `1..=8160` (HRT-CRYPTO-12).
    ExporterLength,
    /// The join belongs to another channel or invitation, or the joins added by one commit
    /// name different conversations.
    WrongChannel,
    /// A Welcome offered to a pending member whose user has not confirmed the short
    /// authentication string (HRT-INV-67).
    SasNotConfirmed,
    /// Sealing to a peer's key failed: the key has small order (HRT-CRYPTO-27).
    NonContributory,
}

impl Misuse {
    /// The spec's code for a local refusal: always `internal` (spec §12).
    pub fn code(self) -> ErrorCode {
        ErrorCode::INTERNAL
    }
}

impl ProtocolError {
    /// The status code (spec §12): what a client reports, e.g. in `commit.report`.
    pub fn code(self) -> ErrorCode {
        match self {
            ProtocolError::Wire(e) => e.code().status(),
            ProtocolError::UnsupportedSuite => ErrorCode::UNSUPPORTED_SUITE,
            ProtocolError::InvalidValue => ErrorCode::MALFORMED,
            ProtocolError::WrongEpoch => ErrorCode::WRONG_EPOCH,
            ProtocolError::UnknownSender => ErrorCode::UNKNOWN_SENDER,
            ProtocolError::BadSignature => ErrorCode::BAD_SIGNATURE,
            ProtocolError::Forbidden => ErrorCode::FORBIDDEN,
            ProtocolError::BadSealedSecrets => ErrorCode::BAD_SEALED_SECRETS,
            ProtocolError::DecryptFailed => ErrorCode::DECRYPT_FAILED,
            ProtocolError::BadMemberCert => ErrorCode::BAD_MEMBER_CERT,
            ProtocolError::BadConfirmationTag => ErrorCode::BAD_CONFIRMATION_TAG,
            ProtocolError::WrongInviter => ErrorCode::WRONG_INVITER,
            ProtocolError::WelcomeMismatch => ErrorCode::WELCOME_MISMATCH,
            ProtocolError::GenerationTooFar => ErrorCode::GENERATION_TOO_FAR,
            ProtocolError::DuplicateMessage => ErrorCode::DUPLICATE_MESSAGE,
            ProtocolError::GenerationExpired => ErrorCode::GENERATION_EXPIRED,
            ProtocolError::BadPadding => ErrorCode::BAD_PADDING,
            ProtocolError::UpdateRequired => ErrorCode::UPDATE_REQUIRED,
            ProtocolError::InviteExpired => ErrorCode::INVITE_EXPIRED,
            ProtocolError::SasMismatch => ErrorCode::SAS_MISMATCH,
            ProtocolError::BadSavedState => ErrorCode::MALFORMED,
            ProtocolError::Misuse(m) => m.code(),
        }
    }

    /// The detail code, where the spec names one (spec §2.7, §12.5).
    pub fn detail(self) -> Option<ErrorCode> {
        match self {
            ProtocolError::Wire(e) if e.code().is_detail() => Some(e.code()),
            ProtocolError::InvalidValue => Some(ErrorCode::INVALID_VALUE),
            _ => None,
        }
    }
}

impl From<hearth_wire::WireError> for ProtocolError {
    fn from(e: hearth_wire::WireError) -> Self {
        match e {
            hearth_wire::WireError::UnsupportedSuite => ProtocolError::UnsupportedSuite,
            other => ProtocolError::Wire(other),
        }
    }
}

impl From<CryptoError> for ProtocolError {
    fn from(e: CryptoError) -> Self {
        match e {
            CryptoError::Decrypt => ProtocolError::DecryptFailed,
            CryptoError::Verify | CryptoError::WeakKey => ProtocolError::BadSignature,
            CryptoError::NonContributory => ProtocolError::Misuse(Misuse::NonContributory),
            CryptoError::BadMac => ProtocolError::BadConfirmationTag,
            CryptoError::BadMemberCert => ProtocolError::BadMemberCert,
            CryptoError::Misuse(m) => ProtocolError::Misuse(m),
        }
    }
}

impl From<Misuse> for ProtocolError {
    fn from(m: Misuse) -> Self {
        ProtocolError::Misuse(m)
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::Misuse(m) => write!(f, "refused: {m:?}"),
            other => match other.detail() {
                Some(d) => write!(f, "{} / {}", other.code(), d),
                None => write!(f, "{}", other.code()),
            },
        }
    }
}

impl std::error::Error for ProtocolError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_registered_code() {
        let all = [
            CryptoError::Decrypt,
            CryptoError::Verify,
            CryptoError::WeakKey,
            CryptoError::NonContributory,
            CryptoError::BadMac,
            CryptoError::BadMemberCert,
            CryptoError::Misuse(Misuse::PskInputs),
        ];
        for e in all {
            assert!(
                e.code().name().is_some(),
                "{e:?} maps to an unassigned code"
            );
        }
        assert_eq!(CryptoError::Decrypt.code().name(), Some("decrypt_failed"));
        assert_eq!(CryptoError::Verify.code().name(), Some("bad_signature"));
    }
}
