//! The typed layer (spec §2.4): the [`WireEncode`] / [`WireDecode`] traits, their impls for
//! the CDDL's basic types, types that carry their bounds (HRT-WIRE-10), nested items
//! (`bstr .cbor T`, HRT-WIRE-17) and signed bytes kept exactly as received (HRT-WIRE-18).

use core::marker::PhantomData;

use crate::decode::Decoder;
use crate::diag::HexSlice;
use crate::encode::Encoder;
use crate::error::WireError;
use crate::validate::{validate, Profile};

/// A structure with one canonical hCBOR encoding (HRT-WIRE-11).
pub trait WireEncode {
    /// Appends the canonical encoding of `self`.
    fn encode(&self, e: &mut Encoder);

    /// The canonical encoding of `self`.
    fn to_vec(&self) -> Vec<u8> {
        let mut e = Encoder::new();
        self.encode(&mut e);
        e.into_bytes()
    }
}

/// A structure decoded strictly from one hCBOR item.
///
/// Decoding runs the four stages of spec §2.4.1 (HRT-WIRE-23): the profile, the outer
/// structure with every nested payload (`bstr .cbor T`) taken as a byte string, the version,
/// and then the nested payloads in the order they occur, each decoded by the same stages.
pub trait WireDecode: Sized {
    /// True if a value of this type holds a nested payload ([`Embedded`] or [`SignedBytes`])
    /// anywhere inside it; such a type is decoded in two passes (spec §2.4.1).
    const NESTED: bool = false;

    /// Reads one value from a decoder positioned at its first byte. Input must already have
    /// passed the validator; use [`WireDecode::decode`] on untrusted bytes.
    fn decode_from(d: &mut Decoder<'_>) -> Result<Self, WireError>;

    /// Checks one value as the outer structure of stage 2 (spec §2.4.1): like
    /// [`WireDecode::decode_from`], except that a nested payload is checked only as a byte
    /// string. Only types with [`WireDecode::NESTED`] need more than the default.
    fn check_outer(d: &mut Decoder<'_>) -> Result<(), WireError> {
        Self::decode_from(d).map(drop)
    }

    /// The strict entry point: validates `bytes` as exactly one hCBOR item, decodes it and
    /// every nested payload, and rejects trailing bytes. No critical extension is understood.
    fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        Self::decode_with(bytes, &Profile::DEFAULT, &[])
    }

    /// As [`WireDecode::decode`] with explicit limits and the extension keys the caller
    /// implements (spec §11).
    fn decode_with(bytes: &[u8], profile: &Profile, understood: &[u64]) -> Result<Self, WireError> {
        validate(bytes, profile)?;
        let d = Decoder::new(bytes)
            .with_profile(*profile)
            .with_understood(understood);
        decode_staged(d)
    }

    /// As [`WireDecode::decode`] for a structure the caller relays without acting on its
    /// extensions: `crit` is not judged (HRT-EXT-17, see [`Decoder::relayed`]).
    fn decode_relayed(bytes: &[u8], profile: &Profile) -> Result<Self, WireError> {
        validate(bytes, profile)?;
        decode_staged(Decoder::new(bytes).with_profile(*profile).relayed())
    }

    /// Stages 1 to 3 of spec §2.4.1 for a signed structure, whose signed payload (a
    /// [`SignedBytes`] field) stays undecoded bytes: what a verifier decodes before it checks
    /// the signature and decodes the payload at a later step of its procedure (the host's
    /// steps 3 to 6 of §8.3.2, the receiver's steps 9 to 11 of §7.5). An [`Embedded`] payload,
    /// which no signature guards, is still decoded, after the outer structure.
    fn decode_outer(bytes: &[u8]) -> Result<Self, WireError> {
        validate(bytes, &Profile::DEFAULT)?;
        decode_staged(Decoder::new(bytes).without_signed_payloads())
    }
}

/// Decodes one whole value from a fresh decoder in the stages of spec §2.4.1: a type with
/// nested payloads is first checked as its outer structure (stage 2) and its version
/// (stage 3); the second pass then decodes the payloads (stage 4), so every error it can
/// still meet lies inside a payload, and the first in reading order is the first payload's.
fn decode_staged<T: WireDecode>(d: Decoder<'_>) -> Result<T, WireError> {
    if T::NESTED {
        let mut outer = d.clone();
        T::check_outer(&mut outer)?;
        outer.finish()?;
        if outer.version_mismatch() {
            return Err(WireError::UnsupportedVersion);
        }
    }
    let mut d = d;
    let v = T::decode_from(&mut d)?;
    d.finish()?;
    if d.version_mismatch() {
        return Err(WireError::UnsupportedVersion);
    }
    Ok(v)
}

impl WireEncode for u64 {
    fn encode(&self, e: &mut Encoder) {
        e.uint(*self);
    }
}

impl WireDecode for u64 {
    fn decode_from(d: &mut Decoder<'_>) -> Result<Self, WireError> {
        d.uint()
    }
}

impl WireEncode for bool {
    fn encode(&self, e: &mut Encoder) {
        e.bool(*self);
    }
}

impl WireDecode for bool {
    fn decode_from(d: &mut Decoder<'_>) -> Result<Self, WireError> {
        d.bool()
    }
}

/// An unbounded byte string (`bstr`).
impl WireEncode for Vec<u8> {
    fn encode(&self, e: &mut Encoder) {
        e.bytes(self);
    }
}

impl WireDecode for Vec<u8> {
    fn decode_from(d: &mut Decoder<'_>) -> Result<Self, WireError> {
        d.bytes().map(<[u8]>::to_vec)
    }
}

impl WireEncode for crate::ErrorCode {
    fn encode(&self, e: &mut Encoder) {
        e.uint(u64::from(self.0));
    }
}

/// `err-code = uint .le 65535`; unassigned values are kept.
impl WireDecode for crate::ErrorCode {
    fn decode_from(d: &mut Decoder<'_>) -> Result<Self, WireError> {
        Ok(crate::ErrorCode(d.uint_max(u64::from(u16::MAX))? as u16))
    }
}

/// The protocol version field: always encoded as `1`. Any other value decodes, and the
/// enclosing [`WireDecode::decode`] then fails with [`WireError::UnsupportedVersion`] once the
/// structure has decoded (spec §2.4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Version;

impl WireEncode for Version {
    fn encode(&self, e: &mut Encoder) {
        e.uint(1);
    }
}

impl WireDecode for Version {
    fn decode_from(d: &mut Decoder<'_>) -> Result<Self, WireError> {
        d.version().map(|()| Version)
    }
}

/// The CDDL value `true` (a flag whose only allowed value is true; `false` is
/// [`WireError::InvalidValue`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct True;

impl WireEncode for True {
    fn encode(&self, e: &mut Encoder) {
        e.bool(true);
    }
}

impl WireDecode for True {
    fn decode_from(d: &mut Decoder<'_>) -> Result<Self, WireError> {
        if d.bool()? {
            Ok(True)
        } else {
            Err(WireError::InvalidValue)
        }
    }
}

/// `uint .le MAX`: an unsigned integer whose bound is part of its type (HRT-WIRE-16).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UintLe<const MAX: u64>(u64);

impl<const MAX: u64> UintLe<MAX> {
    /// Wraps `v` if it is at most `MAX`.
    pub fn new(v: u64) -> Result<Self, WireError> {
        if v > MAX {
            return Err(WireError::InvalidValue);
        }
        Ok(Self(v))
    }

    /// The value.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl<const MAX: u64> WireEncode for UintLe<MAX> {
    fn encode(&self, e: &mut Encoder) {
        e.uint(self.0);
    }
}

impl<const MAX: u64> WireDecode for UintLe<MAX> {
    fn decode_from(d: &mut Decoder<'_>) -> Result<Self, WireError> {
        d.uint_max(MAX).map(Self)
    }
}

fn check_bounds(len: usize, min: usize, max: usize) -> Result<(), WireError> {
    if len > max {
        Err(WireError::LengthExceeded)
    } else if len < min {
        Err(WireError::WrongSize)
    } else {
        Ok(())
    }
}

/// `bstr .size (MIN..MAX)`: a byte string whose length bound is part of its type; with
/// `EITHER = true`, `bstr .size MIN / bstr .size MAX`: exactly one of the two sizes (see
/// [`EmptyOrHash`]).
///
/// A length above `MAX` is [`WireError::LengthExceeded`] (HRT-WIRE-10); any other length the
/// type does not allow is [`WireError::WrongSize`] (HRT-WIRE-15, spec §2.7.1 row T4).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BoundedBytes<const MIN: usize, const MAX: usize, const EITHER: bool = false>(Vec<u8>);

/// `empty / hash` = `bstr .size 0 / bstr .size 32`: 33 bytes or more is
/// [`WireError::LengthExceeded`], 1 to 31 bytes [`WireError::WrongSize`] (HRT-WIRE-15).
pub type EmptyOrHash = BoundedBytes<0, 32, true>;

fn check_size(len: usize, min: usize, max: usize, either: bool) -> Result<(), WireError> {
    check_bounds(len, min, max)?;
    if either && len != min && len != max {
        return Err(WireError::WrongSize);
    }
    Ok(())
}

impl<const MIN: usize, const MAX: usize, const EITHER: bool> BoundedBytes<MIN, MAX, EITHER> {
    /// Wraps `v` if its length is allowed: within `MIN..=MAX`, or with `EITHER` one of the
    /// two.
    pub fn new(v: Vec<u8>) -> Result<Self, WireError> {
        check_size(v.len(), MIN, MAX, EITHER)?;
        Ok(Self(v))
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    /// The bytes, owned.
    pub fn into_inner(self) -> Vec<u8> {
        self.0
    }
}

impl<const MIN: usize, const MAX: usize, const EITHER: bool> core::fmt::Debug
    for BoundedBytes<MIN, MAX, EITHER>
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "h'{}'", HexSlice(&self.0))
    }
}

impl<const MIN: usize, const MAX: usize, const EITHER: bool> WireEncode
    for BoundedBytes<MIN, MAX, EITHER>
{
    fn encode(&self, e: &mut Encoder) {
        e.bytes(&self.0);
    }
}

impl<const MIN: usize, const MAX: usize, const EITHER: bool> WireDecode
    for BoundedBytes<MIN, MAX, EITHER>
{
    fn decode_from(d: &mut Decoder<'_>) -> Result<Self, WireError> {
        let b = d.bytes()?;
        check_size(b.len(), MIN, MAX, EITHER)?;
        Ok(Self(b.to_vec()))
    }
}

/// `tstr .size (MIN..MAX)`: UTF-8 text whose byte-length bound is part of its type.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BoundedText<const MIN: usize, const MAX: usize>(String);

impl<const MIN: usize, const MAX: usize> BoundedText<MIN, MAX> {
    /// Wraps `s` if its UTF-8 length is within `MIN..=MAX`.
    pub fn new(s: impl Into<String>) -> Result<Self, WireError> {
        let s = s.into();
        check_bounds(s.len(), MIN, MAX)?;
        Ok(Self(s))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<const MIN: usize, const MAX: usize> WireEncode for BoundedText<MIN, MAX> {
    fn encode(&self, e: &mut Encoder) {
        e.text(&self.0);
    }
}

impl<const MIN: usize, const MAX: usize> WireDecode for BoundedText<MIN, MAX> {
    fn decode_from(d: &mut Decoder<'_>) -> Result<Self, WireError> {
        d.text_range(MIN, MAX).map(|s| Self(s.to_owned()))
    }
}

/// `[MIN*MAX T]`: a list whose count bound is part of its type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BoundedVec<T, const MIN: usize, const MAX: usize>(Vec<T>);

/// `[* T]`: a list without a bound of its own (the validator's limits apply).
pub type List<T> = BoundedVec<T, 0, { usize::MAX }>;

impl<T, const MIN: usize, const MAX: usize> BoundedVec<T, MIN, MAX> {
    /// Wraps `v` if its count is within `MIN..=MAX`.
    pub fn new(v: Vec<T>) -> Result<Self, WireError> {
        if v.len() > MAX {
            return Err(WireError::LengthExceeded);
        }
        if v.len() < MIN {
            return Err(WireError::MissingKey);
        }
        Ok(Self(v))
    }

    /// The elements.
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }

    /// The elements, owned.
    pub fn into_inner(self) -> Vec<T> {
        self.0
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True if there are no elements.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T: WireEncode, const MIN: usize, const MAX: usize> WireEncode for BoundedVec<T, MIN, MAX> {
    fn encode(&self, e: &mut Encoder) {
        e.array(self.0.len());
        for x in &self.0 {
            x.encode(e);
        }
    }
}

impl<T: WireDecode, const MIN: usize, const MAX: usize> WireDecode for BoundedVec<T, MIN, MAX> {
    const NESTED: bool = T::NESTED;

    fn check_outer(d: &mut Decoder<'_>) -> Result<(), WireError> {
        if !T::NESTED {
            return Self::decode_from(d).map(drop);
        }
        for _ in 0..d.array_range(MIN, MAX)? {
            T::check_outer(d)?;
        }
        Ok(())
    }

    fn decode_from(d: &mut Decoder<'_>) -> Result<Self, WireError> {
        let n = d.array_range(MIN, MAX)?;
        // The validator bounded `n` by the remaining input, so this allocation is bounded by
        // the input size (HRT-WIRE-10).
        let mut v = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            v.push(T::decode_from(d)?);
        }
        Ok(Self(v))
    }
}

/// `[MIN*MAX T]` whose elements are strictly increasing, such as the lists of `InfoResult`
/// (HRT-WIRE-25): a list out of order, or with a repeated element, is
/// [`WireError::InvalidValue`], checked once the list has been read (spec §2.7.1 row T6).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Increasing<T, const MIN: usize, const MAX: usize>(BoundedVec<T, MIN, MAX>);

impl<T: Ord, const MIN: usize, const MAX: usize> Increasing<T, MIN, MAX> {
    /// Wraps `v` if its count is within `MIN..=MAX` and its elements strictly increase.
    pub fn new(v: Vec<T>) -> Result<Self, WireError> {
        let v = BoundedVec::new(v)?;
        check_increasing(v.as_slice())?;
        Ok(Self(v))
    }
}

impl<T, const MIN: usize, const MAX: usize> Increasing<T, MIN, MAX> {
    /// The elements, increasing.
    pub fn as_slice(&self) -> &[T] {
        self.0.as_slice()
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True if there are no elements.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn check_increasing<T: Ord>(v: &[T]) -> Result<(), WireError> {
    if v.windows(2).all(|w| matches!(w, [a, b] if a < b)) {
        Ok(())
    } else {
        Err(WireError::InvalidValue)
    }
}

impl<T: WireEncode, const MIN: usize, const MAX: usize> WireEncode for Increasing<T, MIN, MAX> {
    fn encode(&self, e: &mut Encoder) {
        self.0.encode(e);
    }
}

impl<T: WireDecode + Ord, const MIN: usize, const MAX: usize> WireDecode
    for Increasing<T, MIN, MAX>
{
    fn decode_from(d: &mut Decoder<'_>) -> Result<Self, WireError> {
        let v = BoundedVec::decode_from(d)?;
        check_increasing(v.as_slice())?;
        Ok(Self(v))
    }
}

/// `any`: the exact bytes of one valid hCBOR item, typed later (op bodies, content bodies,
/// extension values).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RawValue(Vec<u8>);

impl RawValue {
    /// Wraps `bytes` if they are exactly one valid hCBOR item.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, WireError> {
        validate(&bytes, &Profile::DEFAULT)?;
        Ok(Self(bytes))
    }

    /// The canonical encoding of `v`.
    pub fn from_value<T: WireEncode + ?Sized>(v: &T) -> Self {
        Self(v.to_vec())
    }

    /// The empty map `{}`.
    pub fn empty_map() -> Self {
        Self(vec![0xa0])
    }

    /// The exact bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Decodes the item strictly as `T`, understanding the given critical extensions.
    pub fn decode_as<T: WireDecode>(&self, understood: &[u64]) -> Result<T, WireError> {
        T::decode_with(&self.0, &Profile::DEFAULT, understood)
    }

    /// Decodes the value as `T` in the relayed mode of [`Decoder::relayed`] (HRT-EXT-17).
    pub fn decode_relayed_as<T: WireDecode>(&self) -> Result<T, WireError> {
        T::decode_relayed(&self.0, &Profile::DEFAULT)
    }
}

impl core::fmt::Debug for RawValue {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&crate::diag::to_diagnostic(&self.0))
    }
}

impl WireEncode for RawValue {
    fn encode(&self, e: &mut Encoder) {
        e.raw(&self.0);
    }
}

impl WireDecode for RawValue {
    fn decode_from(d: &mut Decoder<'_>) -> Result<Self, WireError> {
        d.raw_item().map(|b| Self(b.to_vec()))
    }
}

/// `bstr .cbor T` without a signature over it: the exact bytes and the value they decode to
/// (strictly, as their own item: HRT-WIRE-17).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Embedded<T> {
    bytes: Vec<u8>,
    value: T,
}

impl<T: WireEncode> Embedded<T> {
    /// Encodes `value` canonically.
    pub fn new(value: T) -> Self {
        Self {
            bytes: value.to_vec(),
            value,
        }
    }
}

impl<T> Embedded<T> {
    /// The exact bytes (what is forwarded, stored and hashed: HRT-WIRE-19).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The decoded value.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The decoded value, owned.
    pub fn into_value(self) -> T {
        self.value
    }
}

impl<T> WireEncode for Embedded<T> {
    fn encode(&self, e: &mut Encoder) {
        e.bytes(&self.bytes);
    }
}

/// A nested payload: stage 2 reads it as a byte string, stage 4 decodes it in place
/// (spec §2.4.1).
impl<T: WireDecode> WireDecode for Embedded<T> {
    const NESTED: bool = true;

    fn check_outer(d: &mut Decoder<'_>) -> Result<(), WireError> {
        d.bytes().map(drop)
    }

    fn decode_from(d: &mut Decoder<'_>) -> Result<Self, WireError> {
        let bytes = d.bytes()?;
        let value = if d.is_relayed() {
            T::decode_relayed(bytes, d.profile())?
        } else {
            T::decode_with(bytes, d.profile(), d.understood())?
        };
        Ok(Self {
            bytes: bytes.to_vec(),
            value,
        })
    }
}

/// `bstr .cbor T` under a signature: the exact received bytes (HRT-WIRE-18), of
/// `MIN..=MAX` bytes (`bstr .cbor T .size (MIN..MAX)`; unbounded by default).
///
/// As a nested payload it is read as a byte string with the outer structure (stage 2 of spec
/// §2.4.1) and decoded as `T` at stage 4; [`WireDecode::decode_outer`] stops before stage 4,
/// since a verifier checks the signature first (spec §8.3, §7.5). The decoded value is never
/// kept here: [`SignedBytes::unverified`] decodes the bytes into an [`Unverified`] value.
pub struct SignedBytes<T, const MIN: usize = 0, const MAX: usize = { usize::MAX }> {
    bytes: Vec<u8>,
    _t: PhantomData<fn() -> T>,
}

impl<T, const MIN: usize, const MAX: usize> SignedBytes<T, MIN, MAX> {
    /// Wraps bytes as received (or as produced by a signer).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self {
            bytes,
            _t: PhantomData,
        }
    }

    /// The exact bytes to verify the signature over.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl<T: WireEncode, const MIN: usize, const MAX: usize> SignedBytes<T, MIN, MAX> {
    /// The canonical encoding of `value`, for a signer.
    pub fn from_value(value: &T) -> Self {
        Self::from_bytes(value.to_vec())
    }
}

impl<T: WireDecode, const MIN: usize, const MAX: usize> SignedBytes<T, MIN, MAX> {
    /// Decodes the bytes strictly (HRT-WIRE-17), understanding no critical extension. The
    /// result stays [`Unverified`] until the caller has checked the signature.
    pub fn unverified(&self) -> Result<Unverified<T>, WireError> {
        self.unverified_with(&Profile::DEFAULT, &[])
    }

    /// As [`SignedBytes::unverified`] with explicit limits and understood extensions.
    pub fn unverified_with(
        &self,
        profile: &Profile,
        understood: &[u64],
    ) -> Result<Unverified<T>, WireError> {
        T::decode_with(&self.bytes, profile, understood).map(Unverified)
    }

    /// As [`SignedBytes::unverified`] for a relayed structure whose `crit` the caller does not
    /// judge (a host, HRT-EXT-17).
    pub fn unverified_relayed(&self) -> Result<Unverified<T>, WireError> {
        T::decode_relayed(&self.bytes, &Profile::DEFAULT).map(Unverified)
    }
}

impl<T, const MIN: usize, const MAX: usize> Clone for SignedBytes<T, MIN, MAX> {
    fn clone(&self) -> Self {
        Self::from_bytes(self.bytes.clone())
    }
}

impl<T, const MIN: usize, const MAX: usize> PartialEq for SignedBytes<T, MIN, MAX> {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl<T, const MIN: usize, const MAX: usize> Eq for SignedBytes<T, MIN, MAX> {}

impl<T, const MIN: usize, const MAX: usize> core::fmt::Debug for SignedBytes<T, MIN, MAX> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "<<{}>>", crate::diag::to_diagnostic(&self.bytes))
    }
}

impl<T, const MIN: usize, const MAX: usize> WireEncode for SignedBytes<T, MIN, MAX> {
    fn encode(&self, e: &mut Encoder) {
        e.bytes(&self.bytes);
    }
}

impl<T: WireDecode, const MIN: usize, const MAX: usize> WireDecode for SignedBytes<T, MIN, MAX> {
    const NESTED: bool = true;

    /// Stage 2: the byte string and its own size bound.
    fn check_outer(d: &mut Decoder<'_>) -> Result<(), WireError> {
        let b = d.bytes()?;
        check_bounds(b.len(), MIN, MAX)
    }

    /// Stage 4 (unless the decoder is in the mode of [`WireDecode::decode_outer`]): the
    /// payload is decoded as `T` and dropped; HRT-WIRE-17 holds, and the value is obtained
    /// again, as [`Unverified`], when the verifier needs it.
    fn decode_from(d: &mut Decoder<'_>) -> Result<Self, WireError> {
        let b = d.bytes()?;
        check_bounds(b.len(), MIN, MAX)?;
        if d.decodes_signed_payloads() {
            if d.is_relayed() {
                T::decode_relayed(b, d.profile())?;
            } else {
                T::decode_with(b, d.profile(), d.understood())?;
            }
        }
        Ok(Self::from_bytes(b.to_vec()))
    }
}

/// A value decoded from signed bytes whose signature has not been checked (HRT-WIRE-20).
///
/// Read it with [`Unverified::as_unverified`] only to find the key to verify with (for example
/// the committer's leaf); a verifier in `hearth-crypto` checks the signature over
/// [`SignedBytes::as_bytes`] and then calls [`Unverified::danger_assume_verified`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unverified<T>(T);

impl<T> Unverified<T> {
    /// The unverified value, for locating the verification key only.
    pub fn as_unverified(&self) -> &T {
        &self.0
    }

    /// Releases the value. **Danger:** call only after the signature over the exact bytes
    /// this value was decoded from has been verified.
    pub fn danger_assume_verified(self) -> T {
        self.0
    }
}

#[cfg(feature = "arbitrary")]
mod arb {
    use super::*;
    use arbitrary::{Arbitrary, Result, Unstructured};

    fn len_in(u: &mut Unstructured<'_>, min: usize, max: usize) -> Result<usize> {
        let hi = max.min(min.saturating_add(48));
        u.int_in_range(min..=hi)
    }

    impl<'a, const MIN: usize, const MAX: usize, const EITHER: bool> Arbitrary<'a>
        for BoundedBytes<MIN, MAX, EITHER>
    {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let n = if EITHER {
                if u.arbitrary()? {
                    MAX
                } else {
                    MIN
                }
            } else {
                len_in(u, MIN, MAX)?
            };
            let mut v = vec![0u8; n];
            u.fill_buffer(&mut v)?;
            Ok(Self(v))
        }
    }

    impl<'a, const MIN: usize, const MAX: usize> Arbitrary<'a> for BoundedText<MIN, MAX> {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let target = len_in(u, MIN, MAX)?;
            let mut s = String::new();
            while s.len() < target {
                let c = char::arbitrary(u)?;
                if s.len() + c.len_utf8() > target {
                    break;
                }
                s.push(c);
            }
            while s.len() < target {
                s.push('a');
            }
            Ok(Self(s))
        }
    }

    impl<'a, T: Arbitrary<'a>, const MIN: usize, const MAX: usize> Arbitrary<'a>
        for BoundedVec<T, MIN, MAX>
    {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let hi = MAX.min(MIN.saturating_add(4));
            let n = u.int_in_range(MIN..=hi)?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push(T::arbitrary(u)?);
            }
            Ok(Self(v))
        }
    }

    impl<'a, const MAX: u64> Arbitrary<'a> for UintLe<MAX> {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(Self(u.int_in_range(0..=MAX)?))
        }
    }

    impl<'a> Arbitrary<'a> for crate::ErrorCode {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(crate::ErrorCode(u.arbitrary()?))
        }
    }

    impl<'a> Arbitrary<'a> for RawValue {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let mut e = Encoder::new();
            match u.int_in_range(0u8..=5)? {
                0 => e.uint(u64::arbitrary(u)?),
                1 => e.nint(u64::arbitrary(u)?),
                2 => e.bytes(<&[u8]>::arbitrary(u)?),
                3 => e.text(<&str>::arbitrary(u)?),
                4 => e.bool(bool::arbitrary(u)?),
                _ => e.map(1).uint(1).array(1).null(),
            };
            Ok(Self(e.into_bytes()))
        }
    }

    impl<'a, T: Arbitrary<'a> + WireEncode> Arbitrary<'a> for Embedded<T> {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(Self::new(T::arbitrary(u)?))
        }
    }

    impl<'a, T: Arbitrary<'a> + WireEncode, const MIN: usize, const MAX: usize> Arbitrary<'a>
        for SignedBytes<T, MIN, MAX>
    {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(Self::from_value(&T::arbitrary(u)?))
        }
    }
}
