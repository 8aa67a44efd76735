//! The invitation text form (spec §5.3.1):
//! `"hearth:" || base64url_nopad(hCBOR(Invite) || check)` with
//! `check = H("invite-check", hCBOR(Invite))[0..4]`, and its parsing steps (spec §5.3.2).
//!
//! The host URL travels inside the `Invite` and must be in the canonical form of spec §8.2
//! ([`check_host_url`]). Any other text is [`WireError::BadUri`]; a payload that is not strict
//! base64url is [`WireError::BadBase64`]; a check value that does not match is
//! [`WireError::BadChecksum`]; an Invite that does not decode gives the wire error.

use core::fmt;

use sha2::{Digest, Sha256};

use super::{base64url, Invite};
use crate::codec::{WireDecode, WireEncode};
use crate::decode::Decoder;
use crate::encode::Encoder;
use crate::error::WireError;
use crate::types::Suite;
use crate::validate::{validate, Profile};

/// The URI scheme with its colon (spec §5.3.1, §12.10).
pub const SCHEME: &str = "hearth:";

/// The full label string of `H("invite-check", ·)` (spec §3.4). hearth-crypto's label registry
/// holds the same label; a test there checks that both agree.
const INVITE_CHECK_LABEL: &str = "hearth/1 invite-check";

/// `H("invite-check", invite_bytes)[0..4]` with `invite_bytes` as a byte string (spec §5.3.1,
/// HRT-INV-52, HRT-INV-54).
pub fn invite_check(invite_bytes: &[u8]) -> [u8; 4] {
    let mut e = Encoder::with_capacity(invite_bytes.len() + 32);
    e.array(2).text(INVITE_CHECK_LABEL).bytes(invite_bytes);
    let d = Sha256::digest(e.into_bytes());
    let mut out = [0u8; 4];
    for (o, b) in out.iter_mut().zip(d.iter()) {
        *o = *b;
    }
    out
}

/// A parsed invitation URI: an [`Invite`] whose host URL is canonical.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InviteUri {
    /// The invitation.
    pub invite: Invite,
}

impl InviteUri {
    /// Wraps an invitation for display; its `host-url` must be canonical (HRT-INV-51).
    pub fn new(invite: Invite) -> Result<Self, WireError> {
        check_host_url(invite.host_url.as_str())?;
        Ok(Self { invite })
    }

    /// The canonical host URL carried in the invitation.
    pub fn host_url(&self) -> &str {
        self.invite.host_url.as_str()
    }

    /// Parses the text form strictly with the steps of spec §5.3.2 in order (HRT-INV-5); the
    /// expiry (step 9) is the caller's, since it needs a clock. Suites 1 and 2 are accepted;
    /// a reader that implements fewer uses [`InviteUri::parse_for_suites`].
    pub fn parse(text: &str) -> Result<Self, WireError> {
        Self::parse_for_suites(
            text,
            &[
                Suite::X25519_SHA256_AES256GCM_ED25519,
                Suite::XWING_SHA256_AES256GCM_ED25519,
            ],
        )
    }

    /// [`InviteUri::parse`] for a reader that implements exactly `suites`: an invitation of
    /// any other suite is `unsupported_suite` at step 6 (HRT-INV-56, HRT-EXT-24).
    pub fn parse_for_suites(text: &str, suites: &[Suite]) -> Result<Self, WireError> {
        // Step 1 (HRT-INV-53): the scheme, byte for byte, and a non-empty payload.
        let payload = text.strip_prefix(SCHEME).ok_or(WireError::BadUri)?;
        if payload.is_empty() {
            return Err(WireError::BadUri);
        }
        // Step 2 (HRT-INV-9, HRT-INV-10).
        let decoded = base64url::decode(payload)?;
        // Step 3 (HRT-INV-54): the check value over the Invite bytes.
        let split = decoded
            .len()
            .checked_sub(4)
            .filter(|n| *n >= 1)
            .ok_or(WireError::BadChecksum)?;
        let (bytes, check) = decoded.split_at(split);
        if invite_check(bytes) != check {
            return Err(WireError::BadChecksum);
        }
        // Step 4 (HRT-INV-11): the profile.
        validate(bytes, &Profile::DEFAULT)?;
        // Steps 5 and 6 (HRT-INV-12, HRT-INV-56): the version, then the suite, of an array
        // item before the typed decode, so that a later version or a suite with other key
        // sizes is reported as such rather than as a structure error.
        let mut d = Decoder::new(bytes);
        if d.is_array() && d.array_range(1, usize::MAX).is_ok() {
            if let Ok(v) = d.uint() {
                if v != 1 {
                    return Err(WireError::UnsupportedVersion);
                }
                // Suites 1 and 2 share the invitation's layout (HRT-WIRE-32); whether the
                // reader implements suite 2 is its own check (HRT-EXT-24).
                if let Ok(s) = d.uint() {
                    if !suites.iter().any(|k| s == u64::from(k.0)) {
                        return Err(WireError::UnsupportedSuite);
                    }
                }
            }
        }
        // Step 7 (HRT-INV-11).
        let invite = Invite::decode(bytes)?;
        // Step 8 (HRT-INV-55).
        check_host_url(invite.host_url.as_str())?;
        Ok(Self { invite })
    }
}

impl fmt::Display for InviteUri {
    /// The URI of HRT-INV-52.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut bytes = self.invite.to_vec();
        let check = invite_check(&bytes);
        bytes.extend_from_slice(&check);
        write!(f, "{SCHEME}{}", base64url::encode(&bytes))
    }
}

impl core::str::FromStr for InviteUri {
    type Err = WireError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Checks that `url` is a canonical host URL (spec §8.2): [`WireError::BadUri`] otherwise.
///
/// The form is narrow on purpose, so that every rule is a character check: `https://` (or
/// `http://` for `localhost`, `127.0.0.0/8` and `[::1]`), a lowercase LDH domain name whose last
/// label is not all digits, a dotted-decimal IPv4 address without leading zeros, or `[::1]`; an
/// optional non-default port without leading zeros; a non-empty path of RFC 3986 `pchar`s
/// without percent-encoding and without `.` or `..` segments; at most 256 bytes.
pub fn check_host_url(url: &str) -> Result<(), WireError> {
    let bad = WireError::BadUri;
    if url.is_empty() || url.len() > 256 {
        return Err(bad);
    }
    // Rule 1.
    let (https, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(bad);
    };
    // Rules 3 and 5: the path starts at the first '/'; none means an empty path.
    let slash = rest.find('/').ok_or(bad)?;
    let (authority, path) = rest.split_at(slash);
    // Rules 2 and 4: host and optional port.
    let (host, port) = match authority.strip_prefix("[::1]") {
        Some(p) => ("[::1]", p),
        None => match authority.find(':') {
            Some(i) => authority.split_at(i),
            None => (authority, ""),
        },
    };
    if !port.is_empty() {
        let digits = port.strip_prefix(':').ok_or(bad)?;
        if digits.is_empty()
            || digits.starts_with('0')
            || digits.len() > 5
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad);
        }
        let n: u32 = digits.parse().map_err(|_| bad)?;
        let default = if https { 443 } else { 80 };
        if n > 65535 || n == default {
            return Err(bad);
        }
    }
    let loopback = check_host(host)?;
    if !https && !loopback {
        return Err(bad);
    }
    check_path(path)
}

/// Rule 2: checks a host; returns whether it is a loopback host.
fn check_host(host: &str) -> Result<bool, WireError> {
    let bad = WireError::BadUri;
    if host == "[::1]" {
        return Ok(true);
    }
    if host.is_empty() || host.len() > 253 {
        return Err(bad);
    }
    let labels: Vec<&str> = host.split('.').collect();
    let digits = |l: &str| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit());
    if labels.iter().all(|l| digits(l)) {
        // An IPv4 address: four numbers 0..=255, no leading zeros.
        if labels.len() != 4 {
            return Err(bad);
        }
        for l in &labels {
            if l.len() > 3 || (l.len() > 1 && l.starts_with('0')) {
                return Err(bad);
            }
            let n: u16 = l.parse().map_err(|_| bad)?;
            if n > 255 {
                return Err(bad);
            }
        }
        return Ok(labels.first() == Some(&"127"));
    }
    // A domain name of LDH labels; the last label is not all digits.
    for l in &labels {
        if l.is_empty()
            || l.len() > 63
            || l.starts_with('-')
            || l.ends_with('-')
            || !l
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(bad);
        }
    }
    if labels.last().is_some_and(|l| digits(l)) {
        return Err(bad);
    }
    Ok(host == "localhost")
}

/// Rule 5: a non-empty path of `pchar`s and `/`, no percent-encoding, no dot segments.
fn check_path(path: &str) -> Result<(), WireError> {
    let bad = WireError::BadUri;
    if !path.starts_with('/') {
        return Err(bad);
    }
    let ok = |c: u8| c.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&c);
    if !path.bytes().all(ok) {
        return Err(bad);
    }
    if path.split('/').any(|seg| seg == "." || seg == "..") {
        return Err(bad);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(bytes: &[u8]) -> String {
        let mut b = bytes.to_vec();
        b.extend_from_slice(&invite_check(bytes));
        format!("{SCHEME}{}", base64url::encode(&b))
    }

    /// HRT-INV-12, HRT-INV-56: a later version or suite with another layout is reported as
    /// such, and a non-canonical item is still reported by the profile first (§5.3.2 steps 4
    /// to 6).
    #[test]
    fn hrt_inv_12_56_version_and_suite_before_typed_decode() {
        let v2 = crate::encode_with(|e| {
            e.array(2).uint(2).text("a later layout");
        });
        assert_eq!(
            InviteUri::parse(&framed(&v2)).err(),
            Some(WireError::UnsupportedVersion)
        );
        let s3 = crate::encode_with(|e| {
            e.array(3).uint(1).uint(3).bytes(&[0; 1216]);
        });
        assert_eq!(
            InviteUri::parse(&framed(&s3)).err(),
            Some(WireError::UnsupportedSuite)
        );
        // Suite 2 has suite 1's layout (HRT-WIRE-32): past the suite check, this short array
        // is a structure error.
        let s2 = crate::encode_with(|e| {
            e.array(3).uint(1).uint(2).bytes(&[0; 32]);
        });
        assert!(!matches!(
            InviteUri::parse(&framed(&s2)).err(),
            Some(WireError::UnsupportedSuite) | None
        ));
        // [2] with a non-shortest head for 2: the profile violation comes first.
        assert_eq!(
            InviteUri::parse(&framed(&[0x81, 0x18, 0x02])).err(),
            Some(WireError::NoncanonicalHead)
        );
    }

    /// HRT-INV-53, HRT-INV-54: the scheme is exact, and a damaged payload is `bad_checksum`.
    #[test]
    fn hrt_inv_53_54_scheme_and_check_value() {
        let v2 = crate::encode_with(|e| {
            e.array(1).uint(2);
        });
        let good = framed(&v2);
        assert_eq!(
            InviteUri::parse(&good).err(),
            Some(WireError::UnsupportedVersion)
        );
        for t in [
            "",
            "hearth:",
            "HEARTH:gQI",
            "https://example.org/#gQI",
            "hearth//gQI",
        ] {
            assert_eq!(InviteUri::parse(t).err(), Some(WireError::BadUri), "{t}");
        }
        // Four bytes or fewer cannot hold an Invite and a check value.
        let short = format!("{SCHEME}{}", base64url::encode(&[1, 2, 3, 4]));
        assert_eq!(InviteUri::parse(&short).err(), Some(WireError::BadChecksum));
        let mut b = v2.clone();
        b.extend_from_slice(&invite_check(&v2));
        if let Some(x) = b.last_mut() {
            *x ^= 1;
        }
        let damaged = format!("{SCHEME}{}", base64url::encode(&b));
        assert_eq!(
            InviteUri::parse(&damaged).err(),
            Some(WireError::BadChecksum)
        );
    }

    #[test]
    fn good_host_urls() {
        for u in [
            "https://example.org/",
            "https://example.org/hearth",
            "https://xn--bcher-kva.example/cgi-bin/hearth.cgi",
            "https://example.org:8443/h",
            "https://a-b.example/~user/hearth.cgi",
            "https://example.org/a;b=c/@x",
            "http://127.0.0.1/",
            "http://127.1.2.3:8080/x",
            "http://[::1]:8080/",
            "http://localhost/",
            "https://192.0.2.1/a",
            "https://0.0.0.0/",
            "https://localhost/",
            "https://host1.example2/",
        ] {
            assert_eq!(check_host_url(u), Ok(()), "{u}");
        }
    }

    #[test]
    fn bad_host_urls() {
        for u in [
            "",
            "https://",
            "https://example.org",
            "HTTPS://example.org/",
            "https://Example.org/",
            "https://example.org./",
            "https://-a.example/",
            "https://a-.example/",
            "https://a..b/",
            "https://example.123/",
            "https://1.2.3/",
            "https://1.2.3.4.5/",
            "https://256.1.1.1/",
            "https://01.2.3.4/",
            "https://[2001:db8::1]/",
            "http://example.org/",
            "http://192.0.2.1/",
            "https://example.org:443/",
            "http://127.0.0.1:80/",
            "https://example.org:0/",
            "https://example.org:08443/",
            "https://example.org:65536/",
            "https://example.org:/",
            "https://eve@example.org/",
            "https://example.org/?x",
            "https://example.org/#x",
            "https://example.org/a%2Fb",
            "https://example.org/a b",
            "https://example.org/./x",
            "https://example.org/x/..",
            "https://b\u{fc}cher.example/",
            "ftp://example.org/",
        ] {
            assert_eq!(check_host_url(u), Err(WireError::BadUri), "{u}");
        }
        let long = format!("https://example.org/{}", "a".repeat(237));
        assert_eq!(long.len(), 257);
        assert_eq!(check_host_url(&long), Err(WireError::BadUri));
        assert_eq!(check_host_url(&long[..256]), Ok(()));
    }
}
