//! Loading of the upstream reference data (RFC and Wycheproof vectors) for tests.
//!
//! The files are read in place from the directory named by `HEARTH_UPSTREAM_DIR` (CI sets it to
//! `shared/upstream`); they are never copied into the repository. When the variable is unset a
//! test prints `skipped: HEARTH_UPSTREAM_DIR not set` and returns; when it is set, a missing file
//! or one whose SHA-256 differs from the pinned value fails the test.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;

use sha2::{Digest, Sha256};

/// The environment variable naming the upstream directory.
pub(crate) const ENV: &str = "HEARTH_UPSTREAM_DIR";

/// SHA-256 pins of the upstream files (computed with `sha256sum`).
pub(crate) mod pins {
    pub(crate) const RFC9180: (&str, &str) = (
        "rfc9180-appendix-a.json",
        "ce35fd58afabbddae30c13a3aeb68fd2c92dd837de2ee38df38531430af075b9",
    );
    pub(crate) const SPECCHECK: (&str, &str) = (
        "ed25519-speccheck-cases.json",
        "08e47a36d9aead288664930505584f353fff113ab854f2800db1e4f5b3540450",
    );
    pub(crate) const WYCHEPROOF_ED25519: (&str, &str) = (
        "wycheproof-ed25519_test.json",
        "752d2ea7d7c6cf4736381b6cbacb61f8182b126ab7cd9b058f00c50084975536",
    );
    pub(crate) const WYCHEPROOF_X25519: (&str, &str) = (
        "wycheproof-x25519_test.json",
        "35c3f5231cf25cc640b524d403461deee9e49441d5d915a3a25b2c8ff5adbe7d",
    );
    pub(crate) const WYCHEPROOF_AES_GCM: (&str, &str) = (
        "wycheproof-aes_gcm_test.json",
        "985e5ecc172e181eaf49e89508b9470dcf478002eb7e8559c707eb42dc97dfe7",
    );
    pub(crate) const WYCHEPROOF_HKDF: (&str, &str) = (
        "wycheproof-hkdf_sha256_test.json",
        "bb2b462a38b251cb52a2aede706d6d4b62b26864f4e80c95497507ddb07c5f1e",
    );
    pub(crate) const WYCHEPROOF_HMAC: (&str, &str) = (
        "wycheproof-hmac_sha256_test.json",
        "2d201cfa61d1bf95e6f5d07d96634b4a348b31e8eaa277ad7c8d09677b7a743f",
    );
    pub(crate) const XWING: (&str, &str) = (
        "xwing-test-vectors.json",
        "409efe197550b22985b4a0419418a0c5f2c2b193426c55bd998399ec8d3e614d",
    );
    pub(crate) const HPKE_PQ: (&str, &str) = (
        "hpke-pq-test-vectors.json",
        "ba1f90672903e0df25610a1eef84b5f157e44d34849c0a72a2f9b164f3213888",
    );
    pub(crate) const WYCHEPROOF_MLKEM_768: (&str, &str) = (
        "wycheproof-mlkem_768_test.json",
        "c2bc0264a150c3a4399da72701d154672e9f708420cff8f01340ef0b1f17f4f7",
    );
    pub(crate) const WYCHEPROOF_MLKEM_768_ENCAPS: (&str, &str) = (
        "wycheproof-mlkem_768_encaps_test.json",
        "9d4381f94c40853bba430245b94968b7390d9175aacd9f1ae4e250a71c78b713",
    );
}

/// Reads a pinned upstream file, or `None` (after printing the skip line) when the variable is
/// unset. Panics (fails the test) when the file is missing or its hash differs.
pub(crate) fn upstream((name, pin): (&str, &str)) -> Option<Vec<u8>> {
    let Some(dir) = std::env::var_os(ENV) else {
        eprintln!("skipped: HEARTH_UPSTREAM_DIR not set ({name})");
        return None;
    };
    let path = PathBuf::from(dir).join(name);
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{ENV} is set but {} is unreadable: {e}", path.display()));
    let got = hex::encode(Sha256::digest(&bytes));
    assert_eq!(
        got,
        pin,
        "{} does not match its pinned SHA-256; update the pin only after reviewing the new file",
        path.display()
    );
    Some(bytes)
}

/// Parses a pinned upstream JSON file into `T`.
pub(crate) fn upstream_json<T: serde::de::DeserializeOwned>(file: (&str, &str)) -> Option<T> {
    let bytes = upstream(file)?;
    Some(serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", file.0)))
}

/// Decodes hex, failing the test on bad input.
pub(crate) fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_else(|e| panic!("bad hex {s:?}: {e}"))
}

/// Decodes hex into a fixed-size array.
pub(crate) fn unhex_n<const N: usize>(s: &str) -> [u8; N] {
    let v = unhex(s);
    <[u8; N]>::try_from(v.as_slice()).unwrap_or_else(|_| panic!("expected {N} bytes: {s}"))
}

/// The common Wycheproof v1 file shape: `testGroups[].tests[]`.
#[derive(serde::Deserialize)]
pub(crate) struct WycheproofFile<G> {
    #[serde(rename = "testGroups")]
    pub(crate) test_groups: Vec<G>,
}
