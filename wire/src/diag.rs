//! CBOR diagnostic notation (RFC 8949 §8) for hCBOR items: for snapshots, test vectors, the
//! conformance harness and `Debug` output.
//!
//! Byte strings print as `h'..'`. [`to_diagnostic_nested`] additionally prints a byte string
//! whose content is itself a valid hCBOR array or map as `<<item>>` (RFC 8610 Appendix G),
//! which makes `bstr .cbor T` fields readable.

use core::fmt::Write;

use crate::validate::{read_head, validate, Profile, MAX_DEPTH};

/// Lowercase hex of a byte string, as it prints inside `h'..'`.
pub(crate) struct HexSlice<'a>(pub(crate) &'a [u8]);

impl core::fmt::Display for HexSlice<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// Diagnostic notation of `bytes`. Invalid input prints up to the first error, followed by
/// `<error: name>`; anything after the first item prints as `<trailing: h'..'>`.
pub fn to_diagnostic(bytes: &[u8]) -> String {
    render(bytes, false)
}

/// As [`to_diagnostic`], printing embedded hCBOR arrays and maps as `<<item>>`.
pub fn to_diagnostic_nested(bytes: &[u8]) -> String {
    render(bytes, true)
}

const MAX_EMBED: usize = 4;

fn render(bytes: &[u8], nested: bool) -> String {
    let mut out = String::new();
    match item(bytes, 0, &mut out, nested, 1, 0) {
        Ok(end) if end < bytes.len() => {
            let rest = bytes.get(end..).unwrap_or_default();
            let _ = write!(out, " <trailing: h'{}'>", HexSlice(rest));
        }
        Ok(_) => {}
        Err(e) => {
            let _ = write!(out, "<error: {}>", e.code().name().unwrap_or("?"));
        }
    }
    out
}

fn item(
    b: &[u8],
    pos: usize,
    out: &mut String,
    nested: bool,
    depth: usize,
    embed: usize,
) -> Result<usize, crate::WireError> {
    if depth > MAX_DEPTH {
        return Err(crate::WireError::DepthExceeded);
    }
    let (h, mut pos) = read_head(b, pos)?;
    match h.major {
        0 => {
            let _ = write!(out, "{}", h.arg);
        }
        1 => {
            let _ = write!(out, "{}", -1i128 - i128::from(h.arg));
        }
        2 | 3 => {
            let end = usize::try_from(h.arg)
                .ok()
                .and_then(|l| pos.checked_add(l))
                .filter(|e| *e <= b.len())
                .ok_or(crate::WireError::Underrun)?;
            let s = b.get(pos..end).ok_or(crate::WireError::Underrun)?;
            if h.major == 2 {
                // Embedded items restart at depth 1 (HRT-WIRE-9); at most 4 levels of
                // embedding are expanded so that printing stays linear.
                let embedded = nested
                    && embed < MAX_EMBED
                    && s.first().is_some_and(|x| matches!(x >> 5, 4 | 5))
                    && validate(s, &Profile::DEFAULT).is_ok();
                if embedded {
                    out.push_str("<<");
                    item(s, 0, out, nested, 1, embed + 1)?;
                    out.push_str(">>");
                } else {
                    let _ = write!(out, "h'{}'", HexSlice(s));
                }
            } else {
                let t = core::str::from_utf8(s).map_err(|_| crate::WireError::InvalidUtf8)?;
                let _ = write!(out, "{t:?}");
            }
            pos = end;
        }
        4 => {
            out.push('[');
            for i in 0..h.arg {
                if i > 0 {
                    out.push_str(", ");
                }
                pos = item(b, pos, out, nested, depth + 1, embed)?;
            }
            out.push(']');
        }
        5 => {
            out.push('{');
            for i in 0..h.arg {
                if i > 0 {
                    out.push_str(", ");
                }
                pos = item(b, pos, out, nested, depth + 1, embed)?;
                out.push_str(": ");
                pos = item(b, pos, out, nested, depth + 1, embed)?;
            }
            out.push('}');
        }
        _ => out.push_str(match h.arg {
            20 => "false",
            21 => "true",
            _ => "null",
        }),
    }
    Ok(pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints() {
        let b = hex::decode("a30182f4f502200343616263406161").unwrap();
        assert_eq!(
            to_diagnostic(&b),
            r#"{1: [false, true], 2: -1, 3: h'616263'}"#.to_owned() + " <trailing: h'406161'>"
        );
        let b = hex::decode("8243a1010220").unwrap();
        assert_eq!(to_diagnostic_nested(&b), "[<<{1: 2}>>, -1]");
        assert_eq!(to_diagnostic(&[0x82, 0x01]), "[1, <error: underrun>");
        assert_eq!(to_diagnostic(&[0x62, 0xff, 0xfe]), "<error: invalid_utf8>");
    }
}
