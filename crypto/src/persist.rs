//! Saved states: a member's whole state in one canonical hCBOR item, for a client that keeps it
//! between runs (spec §6.1 "group state").
//!
//! ```text
//! SavedState = [format: 1, kind: uint, body]   ; strict, canonical hCBOR (spec §2.3)
//! kind 1: Group          (crate::group::Group::save)
//! kind 2: PendingMember  (crate::group::PendingMember::save)
//! kind 3: Invitation     (crate::invite::Invitation::save)
//! kind 4: ValidatedJoin  (crate::invite::ValidatedJoin::save)
//! ```
//!
//! The bodies are private to this crate and described next to the code that writes them. A
//! restore checks the whole item against the hCBOR profile first (so truncated or
//! non-canonical input is refused before anything is read), then every field and every
//! invariant that ties the fields together. Any failure is [`ProtocolError::BadSavedState`];
//! a format version other than 1 is `unsupported_version`.

use core::fmt;

use hearth_wire::{validate, Decoder, Encoder, Profile, WireError, MAX_DEPTH};
use zeroize::Zeroizing;

use crate::error::ProtocolError;
use crate::kem::GroupInitKey;
use crate::keys::{IdentityKey, MemberKey};
use crate::secret::Secret;

/// The format version written first in every saved state.
pub(crate) const FORMAT_VERSION: u64 = 1;

/// The kinds of saved state.
pub(crate) const KIND_GROUP: u64 = 1;
pub(crate) const KIND_PENDING_MEMBER: u64 = 2;
pub(crate) const KIND_INVITATION: u64 = 3;
pub(crate) const KIND_VALIDATED_JOIN: u64 = 4;

/// The profile a saved state is validated under: the default string bound, no bound on the
/// total size or container counts beyond the input itself (a record of opened generations
/// can be long), the profile's depth.
const PROFILE: Profile = Profile {
    max_depth: MAX_DEPTH,
    max_total: usize::MAX,
    max_string: 1 << 24,
    max_container: usize::MAX,
};

/// A saved member state: a [`crate::Group`], a [`crate::PendingMember`] or an
/// [`crate::invite::Invitation`] as one versioned, canonical hCBOR item (spec §6.1).
///
/// **It contains every secret of the member** — private keys, epoch secrets, chain secrets and
/// stored message keys — and must be stored as carefully as the keys themselves. Encrypt it at
/// rest if the storage is not itself protected. The bytes are zeroized when the value is
/// dropped, and its `Debug` output shows only the length.
///
/// Deletion (spec §6.16, HRT-CRYPTO-42): a saved state holds exactly what the member holds when
/// it is made, never a secret already deleted. Every later state change (a commit installed,
/// a message sealed or opened, an invitation used) deletes secrets that an older saved state
/// still contains, so the caller replaces the stored copy after each change and keeps no older
/// one; restoring an older copy would also reuse sender generations.
pub struct SavedState(Zeroizing<Vec<u8>>);

impl SavedState {
    /// The encoded bytes (what the caller stores).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SavedState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SavedState({} bytes)", self.0.len())
    }
}

/// An encoder that writes secret byte strings either as they are or, in the sizing pass, as
/// zeros of the same length.
pub(crate) struct Writer {
    e: Encoder,
    redact: bool,
}

impl Writer {
    /// The underlying encoder, for non-secret items.
    pub(crate) fn e(&mut self) -> &mut Encoder {
        &mut self.e
    }

    /// Writes a secret byte string.
    pub(crate) fn secret(&mut self, b: &[u8]) -> &mut Self {
        if self.redact {
            self.e.bytes(&vec![0u8; b.len()]);
        } else {
            self.e.bytes(b);
        }
        self
    }

    /// Writes the seed of an identity key.
    pub(crate) fn identity(&mut self, k: &IdentityKey) -> &mut Self {
        self.secret(k.signing_key().seed())
    }

    /// Writes the seed of a member key.
    pub(crate) fn member_key(&mut self, k: &MemberKey) -> &mut Self {
        self.secret(k.signing_key().seed())
    }

    /// Writes the secret of an init key (an X25519 scalar, or an X-Wing seed).
    pub(crate) fn init_key(&mut self, k: &GroupInitKey) -> &mut Self {
        let s = k.to_secret();
        self.secret(s.as_bytes())
    }

    /// Writes `[]` for `None` and `[x]` for `Some(x)`.
    pub(crate) fn opt<T>(&mut self, v: Option<&T>, f: impl FnOnce(&mut Self, &T)) -> &mut Self {
        match v {
            None => {
                self.e.array(0);
            }
            Some(x) => {
                self.e.array(1);
                f(self, x);
            }
        }
        self
    }
}

/// Encodes `[FORMAT_VERSION, kind, body]`. A first pass with the secrets replaced by zeros
/// measures the output, so the real pass writes into a buffer that never reallocates (no
/// stale copy of a secret is left in freed memory).
pub(crate) fn save(kind: u64, body: impl Fn(&mut Writer)) -> SavedState {
    let pass = |w: &mut Writer| {
        w.e.array(3).uint(FORMAT_VERSION).uint(kind);
        body(w);
    };
    let mut sizing = Writer {
        e: Encoder::new(),
        redact: true,
    };
    pass(&mut sizing);
    let len = sizing.e.as_bytes().len();
    let mut w = Writer {
        e: Encoder::with_capacity(len),
        redact: false,
    };
    pass(&mut w);
    SavedState(Zeroizing::new(w.e.into_bytes()))
}

/// A saved state that does not restore; reported as [`ProtocolError::BadSavedState`].
#[derive(Debug)]
pub(crate) struct Corrupt;

impl From<WireError> for Corrupt {
    fn from(_: WireError) -> Self {
        Corrupt
    }
}

impl From<ProtocolError> for Corrupt {
    fn from(_: ProtocolError) -> Self {
        Corrupt
    }
}

/// The result of reading part of a saved state.
pub(crate) type R<T> = Result<T, Corrupt>;

/// Fails with [`Corrupt`] unless `ok`.
pub(crate) fn ensure(ok: bool) -> R<()> {
    if ok {
        Ok(())
    } else {
        Err(Corrupt)
    }
}

/// Decodes `[FORMAT_VERSION, kind, body]`: validates the whole item, checks the version and
/// the kind, reads the body with `body` and refuses trailing bytes.
pub(crate) fn restore<T>(
    bytes: &[u8],
    kind: u64,
    body: impl FnOnce(&mut Decoder<'_>) -> R<T>,
) -> Result<T, ProtocolError> {
    let bad = ProtocolError::BadSavedState;
    validate(bytes, &PROFILE).map_err(|_| bad)?;
    // Saved extension maps were judged when received; `crit` is not judged again.
    let mut d = Decoder::new(bytes).relayed();
    d.array(3).map_err(|_| bad)?;
    if d.uint().map_err(|_| bad)? != FORMAT_VERSION {
        return Err(WireError::UnsupportedVersion.into());
    }
    if d.uint().map_err(|_| bad)? != kind {
        return Err(bad);
    }
    let v = body(&mut d).map_err(|_| bad)?;
    d.finish().map_err(|_| bad)?;
    Ok(v)
}

/// Reads an `N`-byte secret straight into its zeroizing container.
pub(crate) fn secret<const N: usize>(d: &mut Decoder<'_>) -> R<Secret<N>> {
    let b = d.bytes()?;
    ensure(b.len() == N)?;
    let mut s = Secret::<N>::zero();
    for (x, y) in s.as_mut_bytes().iter_mut().zip(b) {
        *x = *y;
    }
    Ok(s)
}

/// Reads an identity key seed.
pub(crate) fn identity(d: &mut Decoder<'_>) -> R<IdentityKey> {
    Ok(IdentityKey::from_seed(secret::<32>(d)?.as_bytes()))
}

/// Reads a member key seed.
pub(crate) fn member_key(d: &mut Decoder<'_>) -> R<MemberKey> {
    Ok(MemberKey::from_seed(secret::<32>(d)?.as_bytes()))
}

/// Reads an init key secret of the channel's `suite`.
pub(crate) fn init_key(d: &mut Decoder<'_>, suite: hearth_wire::Suite) -> R<GroupInitKey> {
    let s = secret::<32>(d)?;
    Ok(GroupInitKey::from_secret(suite, &s)?)
}

/// Reads `[]` as `None` and `[x]` as `Some(x)`.
pub(crate) fn opt<'a, T>(
    d: &mut Decoder<'a>,
    f: impl FnOnce(&mut Decoder<'a>) -> R<T>,
) -> R<Option<T>> {
    match d.array_range(0, 1)? {
        0 => Ok(None),
        _ => f(d).map(Some),
    }
}

/// Reads an unsigned integer of at most `u32::MAX`.
pub(crate) fn u32_(d: &mut Decoder<'_>) -> R<u32> {
    u32::try_from(d.uint()?).map_err(|_| Corrupt)
}

/// Reads a list of at most `max` items with `f`.
pub(crate) fn list<'a, T>(
    d: &mut Decoder<'a>,
    max: usize,
    mut f: impl FnMut(&mut Decoder<'a>) -> R<T>,
) -> R<Vec<T>> {
    let n = d.array_range(0, max)?;
    let mut v = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        v.push(f(d)?);
    }
    Ok(v)
}
