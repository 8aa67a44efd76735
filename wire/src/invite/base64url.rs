//! Strict base64url without padding (RFC 4648 §5), for the invitation text form (spec §5).
//!
//! Decoding accepts exactly the output of [`encode`]: only the URL-safe alphabet, no `=`
//! padding, no whitespace, no length of the form 4k+1, and unused trailing bits zero.
//! Anything else is [`WireError::BadBase64`].

use crate::error::WireError;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn sextet(c: u8) -> Result<u32, WireError> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => return Err(WireError::BadBase64),
    };
    Ok(u32::from(v))
}

fn symbol(v: u32) -> char {
    char::from(ALPHABET.get((v & 63) as usize).copied().unwrap_or(b'A'))
}

/// Encodes `data` as base64url without padding.
pub fn encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(symbol(n >> (18 - 6 * i)));
        }
    }
    out
}

/// Decodes strict base64url without padding.
pub fn decode(text: &str) -> Result<Vec<u8>, WireError> {
    let bytes = text.as_bytes();
    if bytes.len() % 4 == 1 {
        return Err(WireError::BadBase64);
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3 + 2);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= sextet(*c)? << (18 - 6 * i);
        }
        let [_, b0, b1, b2] = n.to_be_bytes();
        match chunk.len() {
            4 => out.extend_from_slice(&[b0, b1, b2]),
            3 => {
                // 18 bits for 2 bytes: the last 2 bits must be zero.
                if b2 != 0 {
                    return Err(WireError::BadBase64);
                }
                out.extend_from_slice(&[b0, b1]);
            }
            _ => {
                // 12 bits for 1 byte: the last 4 bits must be zero.
                if b1 != 0 || b2 != 0 {
                    return Err(WireError::BadBase64);
                }
                out.push(b0);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors() {
        for (raw, enc) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(raw.as_bytes()), enc);
            assert_eq!(decode(enc).unwrap(), raw.as_bytes());
        }
        assert_eq!(encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(decode("-_8").unwrap(), [0xfb, 0xff]);
    }

    #[test]
    fn strictness() {
        for bad in [
            "Zg==", "Zm8=", "Zh", "Zm9", "Z", "Zm9v Yg", "Zm9v\nYg", "Zm+v", "Zm/v", "Zm9v!",
        ] {
            assert_eq!(decode(bad), Err(WireError::BadBase64), "{bad:?}");
        }
    }
}
