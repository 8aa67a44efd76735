#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::*;
use crate::test_support::{pins, unhex, upstream_json, WycheproofFile};

#[test]
fn round_trip_and_tamper() {
    for alg in [Algorithm::Aes128Gcm, Algorithm::Aes256Gcm] {
        let key = Key::new(alg, &vec![7u8; alg.key_len()]).unwrap();
        let n = [1u8; NONCE_LEN];
        let ct = key.seal(&n, b"aad", b"hello").unwrap();
        assert_eq!(ct.len(), 5 + TAG_LEN);
        assert_eq!(key.open(&n, b"aad", &ct).unwrap().as_slice(), b"hello");
        assert_eq!(key.open(&n, b"aaD", &ct).unwrap_err(), CryptoError::Decrypt);
        let mut bad = ct.clone();
        bad[0] ^= 1;
        assert_eq!(
            key.open(&n, b"aad", &bad).unwrap_err(),
            CryptoError::Decrypt
        );
        assert!(key.open(&n, b"aad", &ct[..TAG_LEN - 1]).is_err());
    }
    assert_eq!(
        Key::new(Algorithm::Aes256Gcm, &[0; 16]).unwrap_err(),
        CryptoError::Misuse(Misuse::KeyLength)
    );
}

#[derive(serde::Deserialize)]
struct AeadGroup {
    #[serde(rename = "ivSize")]
    iv_size: usize,
    #[serde(rename = "keySize")]
    key_size: usize,
    #[serde(rename = "tagSize")]
    tag_size: usize,
    tests: Vec<AeadTest>,
}

#[derive(serde::Deserialize)]
struct AeadTest {
    #[serde(rename = "tcId")]
    tc_id: u32,
    key: String,
    iv: String,
    aad: String,
    msg: String,
    ct: String,
    tag: String,
    result: String,
}

/// Wycheproof AES-GCM for the parameters Hearth and HPKE use: 128- and 256-bit keys, 96-bit
/// nonces, 128-bit tags. Other nonce sizes and AES-192 are not representable in this API and
/// are counted as not applicable.
#[test]
fn wycheproof_aes_gcm() {
    let Some(file) = upstream_json::<WycheproofFile<AeadGroup>>(pins::WYCHEPROOF_AES_GCM) else {
        return;
    };
    let (mut valid, mut invalid, mut not_applicable) = (0, 0, 0);
    for g in &file.test_groups {
        let alg = match g.key_size {
            128 => Some(Algorithm::Aes128Gcm),
            256 => Some(Algorithm::Aes256Gcm),
            _ => None,
        };
        let (Some(alg), 96, 128) = (alg, g.iv_size, g.tag_size) else {
            not_applicable += g.tests.len();
            continue;
        };
        for t in &g.tests {
            let key = Key::new(alg, &unhex(&t.key)).unwrap();
            let nonce: [u8; NONCE_LEN] = unhex(&t.iv).try_into().unwrap();
            let (aad, msg) = (unhex(&t.aad), unhex(&t.msg));
            let mut ct = unhex(&t.ct);
            ct.extend_from_slice(&unhex(&t.tag));
            let opened = key.open(&nonce, &aad, &ct);
            match t.result.as_str() {
                "valid" => {
                    assert_eq!(
                        key.seal(&nonce, &aad, &msg).unwrap(),
                        ct,
                        "tcId {}",
                        t.tc_id
                    );
                    assert_eq!(
                        opened.unwrap().as_slice(),
                        msg.as_slice(),
                        "tcId {}",
                        t.tc_id
                    );
                    valid += 1;
                }
                "invalid" => {
                    assert_eq!(
                        opened.unwrap_err(),
                        CryptoError::Decrypt,
                        "tcId {}",
                        t.tc_id
                    );
                    invalid += 1;
                }
                other => panic!("tcId {}: unexpected result {other}", t.tc_id),
            }
        }
    }
    eprintln!(
        "wycheproof aes_gcm: {valid} valid, {invalid} invalid checked, {not_applicable} not applicable"
    );
    assert!(
        valid >= 79 && invalid >= 54,
        "too few AES-GCM vectors: {valid}/{invalid}"
    );
}
