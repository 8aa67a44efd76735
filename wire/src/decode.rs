//! The typed-decoding reader (spec §2.4) over bytes the validator accepted.
//!
//! [`Decoder`] never panics and never indexes unchecked, so it is safe on any input; its
//! results are only meaningful after [`crate::validate`] accepted the bytes, which
//! [`crate::WireDecode::decode`] guarantees.

use crate::error::WireError;
use crate::validate::{read_head, Head, Profile};

/// A cursor over one validated hCBOR item, read field by field by the typed decoders.
#[derive(Clone, Debug)]
pub struct Decoder<'a> {
    buf: &'a [u8],
    pos: usize,
    understood: &'a [u64],
    relayed: bool,
    profile: Profile,
    version_mismatch: bool,
    signed_payloads: bool,
}

impl<'a> Decoder<'a> {
    /// A decoder at the start of `buf`, understanding no critical extension.
    pub fn new(buf: &'a [u8]) -> Self {
        Decoder {
            buf,
            pos: 0,
            understood: &[],
            relayed: false,
            profile: Profile::DEFAULT,
            version_mismatch: false,
            signed_payloads: true,
        }
    }

    /// The mode of [`crate::WireDecode::decode_outer`]: a signed payload is read as a byte
    /// string and not decoded (spec §2.4.1, stage 4 left to the verifier).
    pub(crate) fn without_signed_payloads(mut self) -> Self {
        self.signed_payloads = false;
        self
    }

    /// False in the mode of [`crate::WireDecode::decode_outer`].
    pub fn decodes_signed_payloads(&self) -> bool {
        self.signed_payloads
    }

    /// Sets the extension keys this receiver implements; `crit` naming any other key is
    /// rejected with [`WireError::UnknownCritical`] (spec §11).
    pub fn with_understood(mut self, keys: &'a [u64]) -> Self {
        self.understood = keys;
        self
    }

    /// Decodes a structure the caller relays without acting on its extensions (a host reading
    /// a commit or a Welcome): `crit` is checked for its structure but not judged against
    /// implemented keys (HRT-EXT-17). The mode carries into nested `bstr .cbor` items.
    pub fn relayed(mut self) -> Self {
        self.relayed = true;
        self
    }

    /// True in the relayed mode of [`Decoder::relayed`].
    pub fn is_relayed(&self) -> bool {
        self.relayed
    }

    /// Sets the profile used for nested `bstr .cbor` items (HRT-WIRE-17).
    pub fn with_profile(mut self, profile: Profile) -> Self {
        self.profile = profile;
        self
    }

    /// The extension keys this receiver implements.
    pub fn understood(&self) -> &'a [u64] {
        self.understood
    }

    /// The profile for nested items.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The current byte offset.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Errors with [`WireError::TrailingBytes`] unless every byte has been read (HRT-WIRE-1).
    pub fn finish(&self) -> Result<(), WireError> {
        if self.pos == self.buf.len() {
            Ok(())
        } else {
            Err(WireError::TrailingBytes)
        }
    }

    /// Records a version field; a value other than 1 is reported as
    /// [`WireError::UnsupportedVersion`] once the whole structure has decoded (spec §2.4).
    pub fn version(&mut self) -> Result<(), WireError> {
        if self.uint()? != 1 {
            self.version_mismatch = true;
        }
        Ok(())
    }

    /// True if a version field other than 1 was read.
    pub fn version_mismatch(&self) -> bool {
        self.version_mismatch
    }

    fn peek_head(&self) -> Result<Head, WireError> {
        read_head(self.buf, self.pos).map(|(h, _)| h)
    }

    fn head(&mut self) -> Result<Head, WireError> {
        let (h, next) = read_head(self.buf, self.pos)?;
        self.pos = next;
        Ok(h)
    }

    fn expect(&mut self, major: u8) -> Result<u64, WireError> {
        let h = self.peek_head()?;
        if h.major != major {
            return Err(WireError::WrongType);
        }
        self.head().map(|h| h.arg)
    }

    /// True if the next item is `null`.
    pub fn is_null(&self) -> bool {
        self.buf.get(self.pos) == Some(&0xf6)
    }

    /// True if the next item is an array.
    pub fn is_array(&self) -> bool {
        self.buf.get(self.pos).is_some_and(|b| b >> 5 == 4)
    }

    /// Reads an unsigned integer (HRT-WIRE-14).
    pub fn uint(&mut self) -> Result<u64, WireError> {
        self.expect(0)
    }

    /// Reads an unsigned integer of at most `max` (HRT-WIRE-16).
    pub fn uint_max(&mut self, max: u64) -> Result<u64, WireError> {
        let v = self.uint()?;
        if v > max {
            return Err(WireError::InvalidValue);
        }
        Ok(v)
    }

    /// Reads `false` or `true`.
    pub fn bool(&mut self) -> Result<bool, WireError> {
        match self.peek_head()? {
            Head { major: 7, arg: 20 } => {
                self.pos += 1;
                Ok(false)
            }
            Head { major: 7, arg: 21 } => {
                self.pos += 1;
                Ok(true)
            }
            _ => Err(WireError::WrongType),
        }
    }

    fn string(&mut self, major: u8) -> Result<&'a [u8], WireError> {
        let len = self.expect(major)?;
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| self.pos.checked_add(l))
            .ok_or(WireError::Underrun)?;
        let s = self.buf.get(self.pos..end).ok_or(WireError::Underrun)?;
        self.pos = end;
        Ok(s)
    }

    /// Reads a byte string of any length.
    pub fn bytes(&mut self) -> Result<&'a [u8], WireError> {
        self.string(2)
    }

    /// Reads a byte string of exactly `N` bytes (HRT-WIRE-15).
    pub fn bytes_exact<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let b = self.bytes()?;
        b.try_into().map_err(|_| WireError::WrongSize)
    }

    /// Reads a byte string of `min..=max` bytes: longer is [`WireError::LengthExceeded`]
    /// (HRT-WIRE-10), shorter is [`WireError::WrongSize`] (HRT-WIRE-15).
    pub fn bytes_range(&mut self, min: usize, max: usize) -> Result<&'a [u8], WireError> {
        let b = self.bytes()?;
        check_len(b.len(), min, max)?;
        Ok(b)
    }

    /// Reads a text string of at most `max` bytes.
    pub fn text(&mut self, max: usize) -> Result<&'a str, WireError> {
        self.text_range(0, max)
    }

    /// Reads a text string of `min..=max` bytes (UTF-8 length).
    pub fn text_range(&mut self, min: usize, max: usize) -> Result<&'a str, WireError> {
        let b = self.string(3)?;
        check_len(b.len(), min, max)?;
        core::str::from_utf8(b).map_err(|_| WireError::InvalidUtf8)
    }

    /// Reads an array head and returns its count.
    pub fn array_head(&mut self) -> Result<u64, WireError> {
        self.expect(4)
    }

    /// Reads the head of an array that must have exactly `len` elements (HRT-WIRE-13).
    pub fn array(&mut self, len: usize) -> Result<(), WireError> {
        let n = self.array_head()?;
        match n.cmp(&(len as u64)) {
            core::cmp::Ordering::Less => Err(WireError::MissingKey),
            core::cmp::Ordering::Greater => Err(WireError::ExtraElements),
            core::cmp::Ordering::Equal => Ok(()),
        }
    }

    /// Reads the head of a list of `min..=max` elements and returns its count: fewer is
    /// [`WireError::MissingKey`] (HRT-WIRE-13), more [`WireError::LengthExceeded`]
    /// (HRT-WIRE-10).
    pub fn array_range(&mut self, min: usize, max: usize) -> Result<usize, WireError> {
        let n = self.array_head()?;
        if n > max as u64 {
            return Err(WireError::LengthExceeded);
        }
        let n = n as usize;
        if n < min {
            return Err(WireError::MissingKey);
        }
        Ok(n)
    }

    /// Returns the exact bytes of the next item and moves past it.
    pub fn raw_item(&mut self) -> Result<&'a [u8], WireError> {
        let end = skip_item(self.buf, self.pos)?;
        let item = self.buf.get(self.pos..end).ok_or(WireError::Underrun)?;
        self.pos = end;
        Ok(item)
    }

    /// Starts reading a map: keys are taken in increasing order with
    /// [`MapDecoder::required`] and [`MapDecoder::optional`].
    pub fn map(&mut self) -> Result<MapDecoder<'_, 'a>, WireError> {
        let n = self.expect(5)?;
        Ok(MapDecoder {
            d: self,
            remaining: n,
            next_key: None,
            last_key: None,
        })
    }
}

fn check_len(len: usize, min: usize, max: usize) -> Result<(), WireError> {
    if len > max {
        Err(WireError::LengthExceeded)
    } else if len < min {
        Err(WireError::WrongSize)
    } else {
        Ok(())
    }
}

/// Returns the position just after the item that starts at `pos` (heads are checked, but
/// not the profile as a whole; run [`crate::validate`] for that).
pub(crate) fn skip_item(buf: &[u8], mut pos: usize) -> Result<usize, WireError> {
    let mut pending: u64 = 1;
    while pending > 0 {
        pending -= 1;
        let (h, next) = read_head(buf, pos)?;
        pos = next;
        match h.major {
            2 | 3 => {
                pos = usize::try_from(h.arg)
                    .ok()
                    .and_then(|l| pos.checked_add(l))
                    .filter(|&end| end <= buf.len())
                    .ok_or(WireError::Underrun)?;
            }
            4 => pending = pending.saturating_add(h.arg),
            5 => pending = pending.saturating_add(h.arg.saturating_mul(2)),
            _ => {}
        }
        if pending > (buf.len() - pos.min(buf.len())) as u64 {
            return Err(WireError::Underrun);
        }
    }
    Ok(pos)
}

/// Reads the entries of one map in key order (spec §2.4).
///
/// The caller asks for keys in increasing order. A key present in the input but not asked
/// for is [`WireError::UnknownKey`] (HRT-WIRE-12); a required key that is absent is
/// [`WireError::MissingKey`] (HRT-WIRE-13). Call [`MapDecoder::finish`] at the end.
#[derive(Debug)]
pub struct MapDecoder<'d, 'a> {
    d: &'d mut Decoder<'a>,
    remaining: u64,
    next_key: Option<u64>,
    last_key: Option<u64>,
}

impl<'a> MapDecoder<'_, 'a> {
    /// The next key without consuming it, or `None` at the end of the map.
    pub fn peek_key(&mut self) -> Result<Option<u64>, WireError> {
        if let Some(k) = self.next_key {
            return Ok(Some(k));
        }
        if self.remaining == 0 {
            return Ok(None);
        }
        let k = match self.d.peek_head()? {
            Head { major: 0, .. } => self.d.uint()?,
            _ => return Err(WireError::NonUintKey),
        };
        match self.last_key {
            Some(l) if k < l => return Err(WireError::MisorderedKey),
            Some(l) if k == l => return Err(WireError::DuplicateKey),
            _ => {}
        }
        self.last_key = Some(k);
        self.remaining -= 1;
        self.next_key = Some(k);
        Ok(Some(k))
    }

    /// Consumes the next key, if any, and returns it; the caller must then read its value
    /// from [`MapDecoder::decoder`].
    pub fn next_key(&mut self) -> Result<Option<u64>, WireError> {
        let k = self.peek_key()?;
        self.next_key = None;
        Ok(k)
    }

    /// The underlying decoder, positioned at the value of the key just consumed.
    pub fn decoder(&mut self) -> &mut Decoder<'a> {
        self.d
    }

    /// Reads the value of `key`, which must be the next key.
    pub fn required<T>(
        &mut self,
        key: u64,
        f: impl FnOnce(&mut Decoder<'a>) -> Result<T, WireError>,
    ) -> Result<T, WireError> {
        match self.peek_key()? {
            Some(k) if k == key => {
                self.next_key = None;
                f(self.d)
            }
            Some(k) if k < key => Err(WireError::UnknownKey),
            _ => Err(WireError::MissingKey),
        }
    }

    /// Reads the value of `key` if it is the next key.
    pub fn optional<T>(
        &mut self,
        key: u64,
        f: impl FnOnce(&mut Decoder<'a>) -> Result<T, WireError>,
    ) -> Result<Option<T>, WireError> {
        match self.peek_key()? {
            Some(k) if k == key => {
                self.next_key = None;
                f(self.d).map(Some)
            }
            Some(k) if k < key => Err(WireError::UnknownKey),
            _ => Ok(None),
        }
    }

    /// Ends the map: any key left is unknown (HRT-WIRE-12).
    pub fn finish(mut self) -> Result<(), WireError> {
        match self.peek_key()? {
            None => Ok(()),
            Some(_) => Err(WireError::UnknownKey),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_helper() {
        // {1: 5, 3: h'01'}
        let b = [0xa2, 0x01, 0x05, 0x03, 0x41, 0x01];
        let mut d = Decoder::new(&b);
        let mut m = d.map().unwrap_or_else(|_| unreachable!());
        assert_eq!(m.required(1, |d| d.uint()), Ok(5));
        assert_eq!(m.optional(2, |d| d.uint()), Ok(None));
        assert_eq!(m.required(3, |d| d.bytes()), Ok(&[1u8][..]));
        assert_eq!(m.finish(), Ok(()));
        assert_eq!(d.finish(), Ok(()));

        let mut d = Decoder::new(&b);
        let mut m = d.map().unwrap_or_else(|_| unreachable!());
        assert_eq!(m.required(2, |d| d.uint()), Err(WireError::UnknownKey));

        let mut d = Decoder::new(&b);
        let mut m = d.map().unwrap_or_else(|_| unreachable!());
        assert_eq!(m.required(1, |d| d.uint()), Ok(5));
        assert_eq!(m.finish(), Err(WireError::UnknownKey));

        let mut d = Decoder::new(&b);
        let mut m = d.map().unwrap_or_else(|_| unreachable!());
        assert_eq!(m.required(1, |d| d.uint()), Ok(5));
        assert_eq!(m.required(3, |d| d.bytes()), Ok(&[1u8][..]));
        assert_eq!(m.required(4, |d| d.uint()), Err(WireError::MissingKey));
    }

    #[test]
    fn raw_item_and_skip() {
        let b = [0x82, 0x01, 0xa1, 0x01, 0x42, 0x00, 0x00, 0x07];
        let mut d = Decoder::new(&b);
        assert_eq!(d.raw_item(), Ok(&b[..7]));
        assert_eq!(d.uint(), Ok(7));
        assert_eq!(
            skip_item(&[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 0),
            Err(WireError::Underrun)
        );
    }
}
