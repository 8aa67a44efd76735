//! The invitation text form (spec §5): `<host_url>#<base64url-nopad(hCBOR(Invite))>`.
//!
//! The host URL must be in the canonical form of spec §5/§8: scheme `https` (or `http` for a
//! loopback host: `127.0.0.0/8`, `[::1]`, `localhost`), lowercase scheme and host, no
//! userinfo, no query, no default port, a non-empty path, no trailing dot in the host. Any
//! other form is [`WireError::BadUri`]; a fragment that is not strict base64url is
//! [`WireError::BadBase64`]; an Invite that does not decode gives the wire error.

use core::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::{base64url, Invite};
use crate::codec::{WireDecode, WireEncode};
use crate::decode::Decoder;
use crate::error::WireError;
use crate::validate::{validate, Profile};

/// A parsed invitation URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InviteUri {
    host_url: String,
    /// The invitation.
    pub invite: Invite,
}

impl InviteUri {
    /// Builds an invitation URI; `host_url` must be canonical.
    pub fn new(host_url: &str, invite: Invite) -> Result<Self, WireError> {
        check_host_url(host_url)?;
        Ok(Self {
            host_url: host_url.to_owned(),
            invite,
        })
    }

    /// The canonical host URL.
    pub fn host_url(&self) -> &str {
        &self.host_url
    }

    /// Parses the text form strictly.
    pub fn parse(text: &str) -> Result<Self, WireError> {
        let (host_url, fragment) = text.split_once('#').ok_or(WireError::BadUri)?;
        if fragment.is_empty() {
            return Err(WireError::BadUri);
        }
        check_host_url(host_url)?;
        let bytes = base64url::decode(fragment)?;
        // §5.3.2 steps 4 and 5 (HRT-INV-5, HRT-INV-12): the profile first, then the version of
        // an array item, before the typed decode, so that an invitation of a later version with
        // another layout is reported as `unsupported_version`, not as a structure error.
        validate(&bytes, &Profile::DEFAULT)?;
        let mut d = Decoder::new(&bytes);
        if d.is_array() && d.array_range(1, usize::MAX).is_ok() {
            if let Ok(v) = d.uint() {
                if v != 1 {
                    return Err(WireError::UnsupportedVersion);
                }
            }
        }
        let invite = Invite::decode(&bytes)?;
        Ok(Self {
            host_url: host_url.to_owned(),
            invite,
        })
    }
}

impl fmt::Display for InviteUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}#{}",
            self.host_url,
            base64url::encode(&self.invite.to_vec())
        )
    }
}

impl core::str::FromStr for InviteUri {
    type Err = WireError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Checks that `url` is a canonical host URL (spec §5, §8); [`WireError::BadUri`] otherwise.
pub fn check_host_url(url: &str) -> Result<(), WireError> {
    let bad = WireError::BadUri;
    if url.is_empty() || url.len() > 256 || !url.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(bad);
    }
    let (https, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(bad);
    };
    let slash = rest.find('/').ok_or(bad)?;
    let (authority, path) = rest.split_at(slash);
    if authority.contains('@') || path.contains('?') || path.contains('#') {
        return Err(bad);
    }
    // Host and optional port.
    let (host, port) = if authority.starts_with('[') {
        let close = authority.find(']').ok_or(bad)?;
        let (h, p) = authority.split_at(close + 1);
        (h, p)
    } else {
        match authority.find(':') {
            Some(i) => authority.split_at(i),
            None => (authority, ""),
        }
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
        if n == 0 || n > 65535 || n == default {
            return Err(bad);
        }
    }
    let loopback = check_host(host)?;
    if !https && !loopback {
        return Err(bad);
    }
    check_path(path)
}

/// Checks a host; returns whether it is a loopback host.
fn check_host(host: &str) -> Result<bool, WireError> {
    let bad = WireError::BadUri;
    if let Some(inner) = host.strip_prefix('[') {
        let lit = inner.strip_suffix(']').ok_or(bad)?;
        let addr: Ipv6Addr = lit.parse().map_err(|_| bad)?;
        // RFC 5952 canonical text (lowercase, compressed) only.
        if addr.to_string() != lit {
            return Err(bad);
        }
        return Ok(addr == Ipv6Addr::LOCALHOST);
    }
    if host.is_empty() || host.ends_with('.') {
        return Err(bad);
    }
    if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let addr: Ipv4Addr = host.parse().map_err(|_| bad)?;
        if addr.to_string() != host {
            return Err(bad);
        }
        return Ok(addr.octets()[0] == 127);
    }
    for label in host.split('.') {
        if label.is_empty()
            || label.len() > 63
            || label.starts_with('-')
            || label.ends_with('-')
            || !label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(bad);
        }
    }
    Ok(host == "localhost")
}

fn check_path(path: &str) -> Result<(), WireError> {
    let bad = WireError::BadUri;
    if !path.starts_with('/') {
        return Err(bad);
    }
    let b = path.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = b.get(i + 1..i + 3).ok_or(bad)?;
            if !hex
                .iter()
                .all(|h| h.is_ascii_digit() || (b'A'..=b'F').contains(h))
            {
                return Err(bad);
            }
            i += 3;
            continue;
        }
        let ok = c.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&c);
        if !ok {
            return Err(bad);
        }
        i += 1;
    }
    if path.split('/').any(|seg| seg == "." || seg == "..") {
        return Err(bad);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// HRT-INV-12: a later version with another layout is `unsupported_version`, and a
    /// non-canonical item is still reported by the profile first (§5.3.2 steps 4 and 5).
    #[test]
    fn hrt_inv_12_version_before_typed_decode() {
        let v2 = crate::encode_with(|e| {
            e.array(2).uint(2).text("a later layout");
        });
        let uri = format!("https://example.org/h#{}", base64url::encode(&v2));
        assert_eq!(
            InviteUri::parse(&uri).err(),
            Some(WireError::UnsupportedVersion)
        );
        // [2] with a non-shortest head for 2: the profile violation comes first.
        let uri = format!(
            "https://example.org/h#{}",
            base64url::encode(&[0x81, 0x18, 0x02])
        );
        assert_eq!(
            InviteUri::parse(&uri).err(),
            Some(WireError::NoncanonicalHead)
        );
    }

    #[test]
    fn good_host_urls() {
        for u in [
            "https://example.org/",
            "https://example.org/hearth",
            "https://xn--bcher-kva.example/cgi-bin/hearth.cgi",
            "https://example.org:8443/h",
            "http://127.0.0.1/",
            "http://127.1.2.3:8080/x",
            "http://[::1]:8080/",
            "http://localhost/",
            "https://[2001:db8::1]/",
            "https://192.0.2.1/a%2Fb",
        ] {
            assert_eq!(check_host_url(u), Ok(()), "{u}");
        }
    }
}
