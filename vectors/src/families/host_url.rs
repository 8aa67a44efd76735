//! Family `host_url` (spec §8.2): which host URLs are canonical. Each case is one URL and the
//! verdict of the character rules of §8.2 (`bad_uri` otherwise), so that an implementation
//! without IDNA or IPv6 text-form code checks exactly the same set.

use hearth_wire::invite::uri::check_host_url;

use crate::model::{Case, Expected, VectorFile, R};

/// Canonical URLs, with the rule each exercises.
const GOOD: &[(&str, &str, &str)] = &[
    (
        "https-root",
        "https://example.org/",
        "a domain name and the root path",
    ),
    (
        "cgi-path",
        "https://example.org/cgi-bin/hearth.cgi",
        "a path of several segments",
    ),
    (
        "a-label",
        "https://xn--bcher-kva.example/hearth",
        "an A-label, checked only by its characters",
    ),
    ("port", "https://example.org:8443/h", "a non-default port"),
    (
        "tilde-and-subdelims",
        "https://example.org/~user/a;b=c/x@y",
        "unreserved characters, sub-delims, ':' and '@' in the path",
    ),
    (
        "digits-in-labels",
        "https://host1.example2/",
        "digits in labels, last label not all digits",
    ),
    (
        "ipv4",
        "https://192.0.2.1/hearth",
        "a dotted-decimal IPv4 address",
    ),
    (
        "ipv4-zero",
        "https://0.0.0.0/",
        "zero is written as one digit",
    ),
    (
        "loopback-http",
        "http://127.0.0.1/",
        "http for a 127.0.0.0/8 host (testing)",
    ),
    (
        "loopback-http-port",
        "http://127.1.2.3:8080/x",
        "http for a 127.0.0.0/8 host with a port",
    ),
    ("localhost-http", "http://localhost/", "http for localhost"),
    (
        "ipv6-loopback",
        "http://[::1]:8080/",
        "the one IPv6 literal, for testing",
    ),
    ("single-label", "https://localhost/", "a single-label name"),
    (
        "trailing-slash",
        "https://example.org/hearth/",
        "a trailing slash is part of the string",
    ),
];

/// URLs that are not canonical, with the rule each breaks.
const BAD: &[(&str, &str, &str)] = &[
    ("empty", "", "the empty string"),
    ("no-path", "https://example.org", "no path (rule 5)"),
    (
        "uppercase-scheme",
        "HTTPS://example.org/",
        "the scheme in uppercase (rule 1)",
    ),
    (
        "other-scheme",
        "ftp://example.org/",
        "another scheme (rule 1)",
    ),
    (
        "http-not-loopback",
        "http://example.org/",
        "http for a host that is not a loopback host (rule 1)",
    ),
    (
        "uppercase-host",
        "https://Example.org/",
        "an uppercase letter in the host (rule 2)",
    ),
    (
        "trailing-dot",
        "https://example.org./",
        "a trailing dot (rule 2)",
    ),
    (
        "empty-label",
        "https://a..example/",
        "an empty label (rule 2)",
    ),
    (
        "hyphen-start",
        "https://-a.example/",
        "a label beginning with '-' (rule 2)",
    ),
    (
        "hyphen-end",
        "https://a-.example/",
        "a label ending with '-' (rule 2)",
    ),
    (
        "numeric-tld",
        "https://example.123/",
        "a last label of digits only (rule 2)",
    ),
    (
        "short-ipv4",
        "https://1.2.3/",
        "three numbers: neither a name nor an IPv4 address (rule 2)",
    ),
    (
        "ipv4-leading-zero",
        "http://127.000.0.1/",
        "a leading zero in an IPv4 number (rule 2)",
    ),
    (
        "ipv4-range",
        "https://256.1.1.1/",
        "an IPv4 number above 255 (rule 2)",
    ),
    (
        "ipv6-literal",
        "https://[2001:db8::1]/",
        "an IPv6 literal other than [::1] (rule 2)",
    ),
    (
        "ipv6-long-loopback",
        "http://[0:0:0:0:0:0:0:1]/",
        "the loopback address in another text form (rule 2)",
    ),
    (
        "non-ascii",
        "https://b\u{fc}cher.example/",
        "a U-label instead of its A-label (rule 2)",
    ),
    (
        "label-too-long",
        "https://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example/",
        "a label of 64 characters (rule 2)",
    ),
    ("userinfo", "https://eve@example.org/", "userinfo (rule 3)"),
    ("query", "https://example.org/?x=1", "a query (rule 3)"),
    ("fragment", "https://example.org/#x", "a fragment (rule 3)"),
    (
        "default-https-port",
        "https://example.org:443/",
        "the default port (rule 4)",
    ),
    (
        "default-http-port",
        "http://127.0.0.1:80/",
        "the default port of http (rule 4)",
    ),
    (
        "port-leading-zero",
        "https://example.org:08443/",
        "a leading zero in the port (rule 4)",
    ),
    ("port-zero", "https://example.org:0/", "port 0 (rule 4)"),
    (
        "port-range",
        "https://example.org:65536/",
        "a port above 65535 (rule 4)",
    ),
    (
        "empty-port",
        "https://example.org:/",
        "an empty port (rule 4)",
    ),
    (
        "percent-encoding",
        "https://example.org/a%2Fb",
        "percent-encoding in the path (rule 5)",
    ),
    (
        "space",
        "https://example.org/a b",
        "a space in the path (rule 5)",
    ),
    (
        "dot-segment",
        "https://example.org/./x",
        "a '.' segment (rule 5)",
    ),
    (
        "dot-dot-segment",
        "https://example.org/a/../b",
        "a '..' segment (rule 5)",
    ),
];

/// The `host_url` family.
pub fn host_url_family() -> R<VectorFile> {
    let mut cases = Vec::new();
    for (slug, url, d) in GOOD {
        let ok = check_host_url(url).is_ok();
        crate::model::ensure(ok, &format!("host URL {url} is canonical"))?;
        cases.push(
            Case::new(
                format!("host-url-ok-{slug}"),
                *d,
                &["HRT-API-7", "HRT-INV-55"],
            )
            .input("url", *url)
            .out("canonical", true),
        );
    }
    let long = format!("https://example.org/{}", "a".repeat(236));
    let too_long = format!("{long}a");
    crate::model::ensure(check_host_url(&long).is_ok(), "256 bytes is canonical")?;
    cases.push(
        Case::new(
            "host-url-ok-256-bytes",
            "exactly 256 bytes (rule 6)",
            &["HRT-API-7", "HRT-INV-55"],
        )
        .input("url", long)
        .out("canonical", true),
    );
    let mut bad: Vec<(String, String, String)> = BAD
        .iter()
        .map(|(s, u, d)| ((*s).to_owned(), (*u).to_owned(), (*d).to_owned()))
        .collect();
    bad.push((
        "257-bytes".into(),
        too_long,
        "one byte over 256 (rule 6)".into(),
    ));
    for (slug, url, d) in bad {
        let e = check_host_url(&url)
            .err()
            .ok_or_else(|| crate::model::GenError(format!("host URL {url} accepted")))?;
        cases.push(
            Case::new(
                format!("host-url-bad-{slug}"),
                &d,
                &["HRT-API-7", "HRT-INV-55"],
            )
            .input("url", url)
            .err(Expected::wire(e)),
        );
    }
    Ok(VectorFile {
        family: "host_url",
        description: "Canonical host URLs (spec §8.2): the rules a client checks on an invitation's host URL and a host on its configured URL, with one URL per rule that is accepted or rejected (`malformed` / `bad_uri`).".into(),
        seed: "none (fixed strings)".into(),
        cases,
    })
}
