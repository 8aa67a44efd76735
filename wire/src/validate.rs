//! The hCBOR validator (spec §2.2): one left-to-right pass over raw bytes that decides whether
//! they are exactly one hCBOR item.
//!
//! The pass keeps an explicit stack of open containers (at most [`MAX_DEPTH`]) holding each
//! container's remaining item count and, for maps, the last key. It never allocates: not in
//! proportion to a declared length, and not at all. Per HRT-WIRE-22 it reports the first
//! violation met while reading left to right, applying at each item the checks of the spec's
//! precedence table (§2.7.1, rows P1 to P9) in their order.

use crate::error::WireError;

/// The nesting limit of the profile (HRT-WIRE-9). A [`Profile`] may lower it, never raise it.
pub const MAX_DEPTH: usize = 16;

/// Limits applied by [`validate`] on top of the fixed profile rules.
///
/// The CDDL bounds of each structure are checked by typed decoding; these limits only stop
/// absurd input early and cheaply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Profile {
    /// Maximum nesting depth; values above [`MAX_DEPTH`] are treated as [`MAX_DEPTH`].
    pub max_depth: usize,
    /// Maximum size of the whole input in bytes.
    pub max_total: usize,
    /// Maximum length of one byte or text string.
    pub max_string: usize,
    /// Maximum number of items in one array or key/value pairs in one map.
    pub max_container: usize,
}

impl Profile {
    /// The default limits: depth 16, 16 MiB total and per string, 65536 items per container.
    pub const DEFAULT: Profile = Profile {
        max_depth: MAX_DEPTH,
        max_total: 1 << 24,
        max_string: 1 << 24,
        max_container: 1 << 16,
    };
}

impl Default for Profile {
    fn default() -> Self {
        Profile::DEFAULT
    }
}

/// A decoded head: major type and argument. For major type 7 the argument is the simple
/// value (20 false, 21 true, 22 null); nothing else of major 7 gets this far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Head {
    pub(crate) major: u8,
    pub(crate) arg: u64,
}

/// Reads one head at `pos` and checks HRT-WIRE-2/3/4/5 for it. Returns the head and the
/// position after it.
pub(crate) fn read_head(bytes: &[u8], pos: usize) -> Result<(Head, usize), WireError> {
    let ib = *bytes.get(pos).ok_or(WireError::Underrun)?;
    let major = ib >> 5;
    let ai = ib & 0x1f;
    // HRT-WIRE-5: tags are forbidden, whatever follows.
    if major == 6 {
        return Err(WireError::ForbiddenType);
    }
    if major == 7 {
        return match ai {
            20..=22 => Ok((
                Head {
                    major,
                    arg: u64::from(ai),
                },
                pos + 1,
            )),
            // HRT-WIRE-4: the break byte.
            31 => Err(WireError::IndefiniteLength),
            // HRT-WIRE-5: floats, undefined, other simple values, reserved values.
            _ => Err(WireError::ForbiddenType),
        };
    }
    let (arg, len) = match ai {
        0..=23 => (u64::from(ai), 0usize),
        24 => (read_be(bytes, pos + 1, 1)?, 1),
        25 => (read_be(bytes, pos + 1, 2)?, 2),
        26 => (read_be(bytes, pos + 1, 4)?, 4),
        27 => (read_be(bytes, pos + 1, 8)?, 8),
        // HRT-WIRE-4: indefinite length (or a not-well-formed ai 31 on an integer).
        31 => return Err(WireError::IndefiniteLength),
        // Reserved additional information 28..=30: not well-formed CBOR.
        _ => return Err(WireError::ForbiddenType),
    };
    // HRT-WIRE-3: shortest form.
    let min = match len {
        0 => 0,
        1 => 24,
        2 => 1 << 8,
        4 => 1 << 16,
        _ => 1 << 32,
    };
    if arg < min {
        return Err(WireError::NoncanonicalHead);
    }
    Ok((Head { major, arg }, pos + 1 + len))
}

fn read_be(bytes: &[u8], start: usize, n: usize) -> Result<u64, WireError> {
    let end = start.checked_add(n).ok_or(WireError::Underrun)?;
    let b = bytes.get(start..end).ok_or(WireError::Underrun)?;
    Ok(b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x)))
}

#[derive(Clone, Copy, Default)]
struct Frame {
    /// Items still to read (for a map: keys plus values).
    remaining: u64,
    is_map: bool,
    last_key: Option<u64>,
}

/// Checks that `bytes` is exactly one hCBOR item under `profile` (HRT-WIRE-1 to HRT-WIRE-10).
///
/// `null` is accepted here; typed decoding rejects it where the schema has none (HRT-WIRE-5).
pub fn validate(bytes: &[u8], profile: &Profile) -> Result<(), WireError> {
    let end = item_len(bytes, profile)?;
    // HRT-WIRE-1.
    if end != bytes.len() {
        return Err(WireError::TrailingBytes);
    }
    Ok(())
}

/// Validates the first item of `bytes` (every rule but HRT-WIRE-1) and returns its length,
/// ignoring what follows it. Used where the spec allows a suffix (the zero padding after
/// `SealedContent`, spec §7), which the caller then checks itself.
pub(crate) fn item_len(bytes: &[u8], profile: &Profile) -> Result<usize, WireError> {
    // HRT-WIRE-10: the whole input against its bound.
    if bytes.len() > profile.max_total {
        return Err(WireError::LengthExceeded);
    }
    let max_depth = profile.max_depth.min(MAX_DEPTH);
    let mut stack = [Frame::default(); MAX_DEPTH];
    let mut sp = 0usize;
    let mut pos = 0usize;
    let mut started = false;
    loop {
        // Close finished containers; stop after the top-level item.
        while sp > 0 && stack.get(sp - 1).is_some_and(|f| f.remaining == 0) {
            sp -= 1;
        }
        if started && sp == 0 {
            break;
        }
        started = true;
        if pos >= bytes.len() {
            return Err(WireError::Underrun);
        }
        // HRT-WIRE-9: this item sits at depth sp + 1.
        if sp + 1 > max_depth {
            return Err(WireError::DepthExceeded);
        }
        let mut is_key = false;
        if let Some(top) = sp.checked_sub(1).and_then(|i| stack.get_mut(i)) {
            is_key = top.is_map && top.remaining % 2 == 0;
            top.remaining -= 1;
        }
        let (head, next) = read_head(bytes, pos)?;
        pos = next;
        if is_key {
            // HRT-WIRE-7 and HRT-WIRE-8.
            if head.major != 0 {
                return Err(WireError::NonUintKey);
            }
            if let Some(top) = sp.checked_sub(1).and_then(|i| stack.get_mut(i)) {
                match top.last_key {
                    Some(k) if head.arg < k => return Err(WireError::MisorderedKey),
                    Some(k) if head.arg == k => return Err(WireError::DuplicateKey),
                    _ => top.last_key = Some(head.arg),
                }
            }
        }
        let remaining = (bytes.len() - pos) as u64;
        match head.major {
            2 | 3 => {
                // §2.7.1 row P7 (HRT-WIRE-2): the remaining input first, so that a decoder's
                // own limit never decides the code of a length the input cannot hold; then
                // row P8, this validator's limit (HRT-WIRE-10).
                if head.arg > remaining {
                    return Err(WireError::Underrun);
                }
                if head.arg > profile.max_string as u64 {
                    return Err(WireError::LengthExceeded);
                }
                let end = pos + head.arg as usize;
                let s = bytes.get(pos..end).ok_or(WireError::Underrun)?;
                // HRT-WIRE-6.
                if head.major == 3 && core::str::from_utf8(s).is_err() {
                    return Err(WireError::InvalidUtf8);
                }
                pos = end;
            }
            4 | 5 => {
                let items = if head.major == 5 {
                    head.arg.saturating_mul(2)
                } else {
                    head.arg
                };
                // Row P7: every item takes at least one byte, so a count the remaining input
                // cannot hold is an underrun at the container's head; then row P8.
                if items > remaining {
                    return Err(WireError::Underrun);
                }
                if head.arg > profile.max_container as u64 {
                    return Err(WireError::LengthExceeded);
                }
                if items > 0 {
                    let f = stack.get_mut(sp).ok_or(WireError::DepthExceeded)?;
                    *f = Frame {
                        remaining: items,
                        is_map: head.major == 5,
                        last_key: None,
                    };
                    sp += 1;
                }
            }
            _ => {}
        }
    }
    Ok(pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(hex_str: &str) -> Result<(), WireError> {
        let b = hex::decode(hex_str.replace(' ', "")).unwrap_or_default();
        validate(&b, &Profile::DEFAULT)
    }

    #[test]
    fn spec_example() {
        assert_eq!(v("a2 01 41 01 03 61 61"), Ok(()));
        assert_eq!(v("a2 03 61 61 01 41 01"), Err(WireError::MisorderedKey));
        assert_eq!(
            v("a2 01 58 01 01 03 61 61"),
            Err(WireError::NoncanonicalHead)
        );
    }

    #[test]
    fn depth() {
        let ok = format!("{}00", "81".repeat(15));
        assert_eq!(v(&ok), Ok(()));
        let bad = format!("{}00", "81".repeat(16));
        assert_eq!(v(&bad), Err(WireError::DepthExceeded));
        let empty_at_16 = format!("{}80", "81".repeat(15));
        assert_eq!(v(&empty_at_16), Ok(()));
    }
}
