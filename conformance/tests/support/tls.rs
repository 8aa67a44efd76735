//! A throwaway public-key infrastructure for the TLS tests: a test CA and leaf certificates
//! signed by it (rcgen), written as PEM files. Shared by the conformance, host and client tests
//! (`#[path]`-included).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};

/// A CA certificate and key, written to `dir/ca.pem`.
pub struct TestCa {
    cert: rcgen::Certificate,
    key: KeyPair,
    dir: PathBuf,
}

/// What a leaf certificate is for, to make good and bad ones.
pub enum Leaf {
    /// Valid now, for `127.0.0.1`, `::1` and `localhost`.
    Loopback,
    /// Valid now, for `other.example` only (a name mismatch on 127.0.0.1).
    OtherName,
    /// For loopback, but valid only during 2019.
    Expired,
    /// For loopback, but valid only from 2090 on.
    NotYetValid,
}

/// The PEM files of one leaf: its certificate (with no chain: the CA is the trust anchor) and
/// its private key.
pub struct LeafFiles {
    /// The certificate.
    pub cert: PathBuf,
    /// The private key.
    pub key: PathBuf,
}

impl TestCa {
    /// A fresh CA ("Hearth test CA"), its certificate written to `dir/ca.pem`.
    pub fn new(dir: &Path) -> TestCa {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name
            .push(DnType::CommonName, "Hearth test CA");
        p.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().unwrap();
        let cert = p.self_signed(&key).unwrap();
        std::fs::write(dir.join("ca.pem"), cert.pem()).unwrap();
        TestCa {
            cert,
            key,
            dir: dir.to_owned(),
        }
    }

    /// The CA certificate's PEM file.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// Signs a leaf of kind `kind`, written to `dir/NAME.pem` and `dir/NAME.key`.
    pub fn leaf(&self, kind: Leaf, name: &str) -> LeafFiles {
        let names: Vec<String> = match kind {
            Leaf::OtherName => vec!["other.example".into()],
            _ => vec!["127.0.0.1".into(), "::1".into(), "localhost".into()],
        };
        let mut p = CertificateParams::new(names).unwrap();
        p.distinguished_name.push(DnType::CommonName, name);
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        match kind {
            Leaf::Expired => {
                p.not_before = rcgen::date_time_ymd(2019, 1, 1);
                p.not_after = rcgen::date_time_ymd(2020, 1, 1);
            }
            Leaf::NotYetValid => {
                p.not_before = rcgen::date_time_ymd(2090, 1, 1);
                p.not_after = rcgen::date_time_ymd(2091, 1, 1);
            }
            Leaf::Loopback | Leaf::OtherName => {}
        }
        let key = KeyPair::generate().unwrap();
        let cert = p.signed_by(&key, &self.cert, &self.key).unwrap();
        let files = LeafFiles {
            cert: self.dir.join(format!("{name}.pem")),
            key: self.dir.join(format!("{name}.key")),
        };
        std::fs::write(&files.cert, cert.pem()).unwrap();
        std::fs::write(&files.key, key.serialize_pem()).unwrap();
        files
    }
}

/// `text` with the port of every `127.0.0.1:PORT` replaced by `PORT`, for snapshots.
pub fn redact_ports(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("127.0.0.1:") {
        let (head, tail) = rest.split_at(i + "127.0.0.1:".len());
        out.push_str(head);
        let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
        out.push_str(if digits > 0 { "PORT" } else { "" });
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}
