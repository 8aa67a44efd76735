//! Signing host requests with the member key (spec §8.2).

use hearth_wire::{EdPublic, Signature};

use crate::error::{Misuse, ProtocolError};
use crate::group::Group;

impl Group {
    /// `SignWithLabel(MK, "request", request_bytes)` with the current member key, and that key:
    /// the `key` and `sig` of a `SignedRequest` (spec §8.2). Fails once the member has been
    /// removed and its keys deleted (HRT-GRP-46).
    pub fn sign_request(
        &self,
        request_bytes: &[u8],
    ) -> Result<(EdPublic, Signature), ProtocolError> {
        let keys = self.keys.as_ref().ok_or(Misuse::Removed)?;
        Ok(keys.member_key.sign_request(request_bytes))
    }

    /// [`Group::sign_request`] with the new member key of the own pending commit's `RotateOp`,
    /// or `None` when no pending commit rotates the key. A member whose commit's outcome stayed
    /// unknown (no answer, or a restart after the `ok`) probes with it: once the host has
    /// accepted the rotation it knows only the new key (spec §6.8 step 10, HRT-GRP-95).
    pub fn sign_request_with_pending_key(
        &self,
        request_bytes: &[u8],
    ) -> Option<(EdPublic, Signature)> {
        let mk = self.pending.as_ref()?.new_member_key.as_ref()?;
        Some(mk.sign_request(request_bytes))
    }

    /// DANGER (conformance harness only, feature `danger-forge`): `SignWithLabel(MK, "commit",
    /// tbs_bytes)` with the current member key, so that a harness can re-sign a `CommitTBS` it
    /// altered on purpose and make a commit that fails exactly one later check of §6.9.
    #[cfg(any(test, feature = "danger-forge"))]
    #[doc(hidden)]
    pub fn danger_sign_commit_tbs(&self, tbs_bytes: &[u8]) -> Result<Signature, ProtocolError> {
        use crate::hazmat::label;
        use crate::hazmat::labelled::{bstr, sign_with_label};
        let keys = self.keys.as_ref().ok_or(Misuse::Removed)?;
        let sig = sign_with_label(
            keys.member_key.signing_key(),
            label::COMMIT,
            bstr(tbs_bytes),
        );
        Ok(Signature(sig.to_bytes()))
    }
}
