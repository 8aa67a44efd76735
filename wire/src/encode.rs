//! The canonical hCBOR encoder (spec §2.3).
//!
//! Encoding has exactly one output for a given value: every head is in its shortest form
//! (HRT-WIRE-3), lengths are definite (HRT-WIRE-4) and map keys are written by the caller in
//! strictly increasing order, which [`Encoder::map`] helpers make hard to get wrong.

/// CBOR major types used by the profile (RFC 8949 §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Major {
    Uint = 0,
    Nint = 1,
    Bytes = 2,
    Text = 3,
    Array = 4,
    Map = 5,
    Simple = 7,
}

/// Builds one canonical hCBOR item into a byte buffer.
///
/// The encoder writes heads and payloads; the caller is responsible for writing as many items
/// after an `array(n)` or `map(n)` head as it announced (`n` items, or `n` key/value pairs).
/// Map keys must be written in strictly increasing order (HRT-WIRE-8); the typed structures
/// of this crate do so by construction, and their round-trip tests check it.
#[derive(Clone, Debug, Default)]
pub struct Encoder {
    buf: Vec<u8>,
}

impl Encoder {
    /// A new, empty encoder.
    pub fn new() -> Self {
        Self { buf: Vec::new() }
    }

    /// A new encoder with room for `n` bytes.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            buf: Vec::with_capacity(n),
        }
    }

    /// The bytes written so far.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// The bytes written so far, borrowed.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Writes a head in its shortest form (RFC 8949 §4.2.1, HRT-WIRE-3).
    pub(crate) fn head(&mut self, major: Major, value: u64) -> &mut Self {
        let m = (major as u8) << 5;
        if value < 24 {
            self.buf.push(m | value as u8);
        } else if value <= u64::from(u8::MAX) {
            self.buf.extend_from_slice(&[m | 24, value as u8]);
        } else if value <= u64::from(u16::MAX) {
            self.buf.push(m | 25);
            self.buf.extend_from_slice(&(value as u16).to_be_bytes());
        } else if value <= u64::from(u32::MAX) {
            self.buf.push(m | 26);
            self.buf.extend_from_slice(&(value as u32).to_be_bytes());
        } else {
            self.buf.push(m | 27);
            self.buf.extend_from_slice(&value.to_be_bytes());
        }
        self
    }

    /// Writes an unsigned integer.
    pub fn uint(&mut self, v: u64) -> &mut Self {
        self.head(Major::Uint, v)
    }

    /// Writes a negative integer `-1 - n`. Hearth's core structures never use one; it exists
    /// so that tests and tools can produce any valid profile item.
    pub fn nint(&mut self, n: u64) -> &mut Self {
        self.head(Major::Nint, n)
    }

    /// Writes a byte string.
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.head(Major::Bytes, b.len() as u64);
        self.buf.extend_from_slice(b);
        self
    }

    /// Writes a UTF-8 text string.
    pub fn text(&mut self, s: &str) -> &mut Self {
        self.head(Major::Text, s.len() as u64);
        self.buf.extend_from_slice(s.as_bytes());
        self
    }

    /// Writes `false` or `true`.
    pub fn bool(&mut self, b: bool) -> &mut Self {
        self.head(Major::Simple, if b { 21 } else { 20 })
    }

    /// Writes `null` (allowed only where a schema says so, HRT-WIRE-5).
    pub fn null(&mut self) -> &mut Self {
        self.head(Major::Simple, 22)
    }

    /// Writes an array head announcing `n` items.
    pub fn array(&mut self, n: usize) -> &mut Self {
        self.head(Major::Array, n as u64)
    }

    /// Writes a map head announcing `n` key/value pairs.
    pub fn map(&mut self, n: usize) -> &mut Self {
        self.head(Major::Map, n as u64)
    }

    /// Appends bytes that already are one canonical hCBOR item (for example the exact received
    /// bytes of a signed structure, HRT-WIRE-19). The caller vouches for their validity.
    pub fn raw(&mut self, item: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(item);
        self
    }
}

/// Encodes a single item with a closure; a convenience for one-shot encodings such as the
/// labelled-primitive inputs of spec §3.2.
pub fn encode_with(f: impl FnOnce(&mut Encoder)) -> Vec<u8> {
    let mut e = Encoder::new();
    f(&mut e);
    e.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_shortest() {
        let cases: &[(u64, &str)] = &[
            (0, "00"),
            (23, "17"),
            (24, "1818"),
            (255, "18ff"),
            (256, "190100"),
            (65535, "19ffff"),
            (65536, "1a00010000"),
            (u64::from(u32::MAX), "1affffffff"),
            (u64::from(u32::MAX) + 1, "1b0000000100000000"),
            (u64::MAX, "1bffffffffffffffff"),
        ];
        for (v, want) in cases {
            let got = encode_with(|e| {
                e.uint(*v);
            });
            assert_eq!(hex::encode(got), *want, "uint {v}");
        }
    }

    #[test]
    fn strings_and_containers() {
        let got = encode_with(|e| {
            e.array(3).text("hearth/1 app").bytes(&[]).map(0);
        });
        assert_eq!(hex::encode(got), "836c6865617274682f312061707040a0");
    }
}
