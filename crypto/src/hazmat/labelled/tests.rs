#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::*;
use crate::hazmat::label;
use crate::test_support::{pins, unhex, upstream_json, WycheproofFile};

fn s32(b: u8) -> Secret32 {
    Secret32::from_bytes([b; 32])
}

// --- Pinned encodings of the labelled inputs (spec §3.2) ---

#[test]
fn h_hashes_the_hcbor_pair() {
    // ["hearth/1 fpr", h'0102'] = 82 6c "hearth/1 fpr" 42 0102
    let input = unhex(
        "826c6865617274682f31206670724201 02"
            .replace(' ', "")
            .as_str(),
    );
    let want: [u8; 32] = Sha256::digest(&input).into();
    assert_eq!(h(label::FPR, bstr(&[1, 2])), want);
    // Exact received bytes embedded with `raw` give the same result.
    assert_eq!(
        h(label::FPR, |e| {
            e.raw(&[0x42, 1, 2]);
        }),
        want
    );
}

#[test]
fn expand_with_label_info_is_length_label_ctx() {
    let s = s32(7);
    // [32, "hearth/1 app", h''] = 83 1820 6c "hearth/1 app" 40
    let info = unhex("8318206c6865617274682f312061707040");
    let mut want = [0u8; 32];
    hkdf_expand(s.as_bytes(), &[&info], &mut want).unwrap();
    assert_eq!(
        expand_with_label::<32>(&s, label::APP, bstr(&[])).as_bytes(),
        &want
    );
    assert_eq!(derive_secret(&s, label::APP).as_bytes(), &want);
    let runtime = expand_with_label_len(&s, label::APP, bstr(&[]), 32).unwrap();
    assert_eq!(runtime.as_slice(), &want);
    assert_eq!(
        expand_with_label_len(&s, label::EXPORTED, bstr(&[]), MAX_EXPAND + 1).unwrap_err(),
        CryptoError::Misuse(Misuse::OutputLength)
    );

    // L = 12 is a one-byte head: [12, "hearth/1 ratchet-nonce", 5]
    let info = hearth_wire::encode_with(|e| {
        e.array(3).uint(12).text("hearth/1 ratchet-nonce").uint(5);
    });
    assert_eq!(info[..2], [0x83, 0x0c]);
    let mut want = [0u8; 12];
    hkdf_expand(s.as_bytes(), &[&info], &mut want).unwrap();
    let got = expand_with_label::<12>(&s, label::RATCHET_NONCE, |e| {
        e.uint(5);
    });
    assert_eq!(got.as_bytes(), &want);
}

#[test]
fn mac_is_hmac_of_info_and_counter() {
    let k = s32(9);
    // ["hearth/1 confirm", h'aa'] then HKDF-Expand's counter byte 0x01 (RFC 5869 §2.3, T(1)).
    let mut info = unhex("82706865617274682f3120636f6e6669726d41aa");
    let tag = mac(&k, label::CONFIRM, bstr(&[0xaa]));
    info.push(0x01);
    assert_eq!(tag.as_bytes(), &hmac_sha256(k.as_bytes(), &info));
    assert!(verify_mac(&k, label::CONFIRM, bstr(&[0xaa]), tag.as_bytes()).is_ok());
}

#[test]
fn verify_mac_rejects_every_change() {
    let k = s32(1);
    let tag = *mac(&k, label::CONFIRM, bstr(b"cth")).as_bytes();
    for i in 0..tag.len() * 8 {
        let mut t = tag;
        t[i / 8] ^= 1 << (i % 8);
        assert_eq!(
            verify_mac(&k, label::CONFIRM, bstr(b"cth"), &t),
            Err(CryptoError::BadMac)
        );
    }
    assert!(verify_mac(&k, label::CONFIRM, bstr(b"cth"), &tag[..31]).is_err());
    assert!(verify_mac(&k, label::CONFIRM, bstr(b"cth"), &[]).is_err());
    assert!(verify_mac(&k, label::LOG, bstr(b"cth"), &tag).is_err());
    assert!(verify_mac(&s32(2), label::CONFIRM, bstr(b"cth"), &tag).is_err());
    assert!(verify_mac(&k, label::CONFIRM, bstr(b"cti"), &tag).is_err());
}

#[test]
fn labels_separate_domains() {
    let s = s32(3);
    let a = derive_secret(&s, label::APP);
    let b = derive_secret(&s, label::INIT);
    assert!(!a.ct_eq(&b));
    assert_ne!(h(label::LOG, bstr(b"x")), h(label::ENTRY, bstr(b"x")));
}

#[test]
fn sign_with_label_round_trip_and_cross_check() {
    let sk = SigningKey::from_seed(&[5; 32]);
    let vk = *sk.verifying_key();
    let sig = sign_with_label(&sk, label::REQUEST, bstr(b"request bytes"));
    assert!(verify_with_label(&vk, label::REQUEST, bstr(b"request bytes"), &sig).is_ok());
    assert_eq!(
        verify_with_label(&vk, label::COMMIT, bstr(b"request bytes"), &sig),
        Err(CryptoError::Verify)
    );
    assert!(verify_with_label(&vk, label::REQUEST, bstr(b"request byteZ"), &sig).is_err());
    // Same bytes as a standard Ed25519 signature over hCBOR([label, c]).
    let msg = signing_input(label::REQUEST, bstr(b"request bytes"));
    let dalek = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
    use ed25519_dalek::Signer;
    assert_eq!(dalek.sign(&msg).to_bytes(), sig.to_bytes());
}

// --- RFC 5869 Appendix A, test cases 1-3 (HKDF-SHA256) ---

struct Rfc5869 {
    ikm: &'static str,
    salt: &'static str,
    info: &'static str,
    prk: &'static str,
    okm: &'static str,
}

/// RFC 5869 Appendix A.1, A.2 and A.3.
const RFC5869: [Rfc5869; 3] = [
    Rfc5869 {
        ikm: "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
        salt: "000102030405060708090a0b0c",
        info: "f0f1f2f3f4f5f6f7f8f9",
        prk: "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
        okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
    },
    Rfc5869 {
        ikm: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f",
        salt: "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
        info: "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
        prk: "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
        okm: "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87",
    },
    Rfc5869 {
        ikm: "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
        salt: "",
        info: "",
        prk: "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
        okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
    },
];

#[test]
fn rfc5869_test_cases_1_to_3() {
    for (i, tc) in RFC5869.iter().enumerate() {
        let prk = extract(&unhex(tc.salt), &unhex(tc.ikm));
        assert_eq!(
            hex::encode(prk.as_bytes()),
            tc.prk,
            "RFC 5869 A.{} PRK",
            i + 1
        );
        let mut okm = vec![0u8; tc.okm.len() / 2];
        hkdf_expand(prk.as_bytes(), &[&unhex(tc.info)], &mut okm).unwrap();
        assert_eq!(hex::encode(&okm), tc.okm, "RFC 5869 A.{} OKM", i + 1);
    }
}

#[test]
fn expand_bounds_are_misuse() {
    let mut ok = vec![0u8; MAX_EXPAND];
    assert!(hkdf_expand(&[0; 32], &[], &mut ok).is_ok());
    let mut too_long = vec![0u8; MAX_EXPAND + 1];
    assert_eq!(
        hkdf_expand(&[0; 32], &[], &mut too_long),
        Err(Misuse::OutputLength)
    );
    assert_eq!(hkdf_expand(&[0; 31], &[], &mut ok), Err(Misuse::KeyLength));
}

// --- Wycheproof hkdf_sha256 and hmac_sha256 ---

#[derive(serde::Deserialize)]
struct HkdfGroup {
    tests: Vec<HkdfTest>,
}

#[derive(serde::Deserialize)]
struct HkdfTest {
    #[serde(rename = "tcId")]
    tc_id: u32,
    ikm: String,
    salt: String,
    info: String,
    size: usize,
    okm: String,
    result: String,
}

#[test]
fn wycheproof_hkdf_sha256() {
    let Some(file) = upstream_json::<WycheproofFile<HkdfGroup>>(pins::WYCHEPROOF_HKDF) else {
        return;
    };
    let (mut valid, mut invalid) = (0, 0);
    for t in file.test_groups.iter().flat_map(|g| &g.tests) {
        let prk = extract(&unhex(&t.salt), &unhex(&t.ikm));
        let mut okm = vec![0u8; t.size];
        let r = hkdf_expand(prk.as_bytes(), &[&unhex(&t.info)], &mut okm);
        match t.result.as_str() {
            "valid" => {
                assert!(r.is_ok(), "tcId {}", t.tc_id);
                assert_eq!(hex::encode(&okm), t.okm, "tcId {}", t.tc_id);
                valid += 1;
            }
            "invalid" => {
                assert_eq!(r, Err(Misuse::OutputLength), "tcId {}", t.tc_id);
                invalid += 1;
            }
            other => panic!("tcId {}: unexpected result {other}", t.tc_id),
        }
    }
    eprintln!("wycheproof hkdf_sha256: {valid} valid, {invalid} invalid checked");
    assert!(
        valid >= 83 && invalid >= 3,
        "too few HKDF vectors: {valid}/{invalid}"
    );
}

#[derive(serde::Deserialize)]
struct HmacGroup {
    #[serde(rename = "tagSize")]
    tag_size: usize,
    tests: Vec<HmacTest>,
}

#[derive(serde::Deserialize)]
struct HmacTest {
    #[serde(rename = "tcId")]
    tc_id: u32,
    key: String,
    msg: String,
    tag: String,
    result: String,
}

/// HMAC-SHA256 is the PRF under `MAC` and every HKDF step. Full-length groups are checked with
/// a constant-time comparison of the whole tag; truncated-tag groups (Hearth never truncates)
/// check that a valid tag is the prefix of ours and an invalid one is not.
#[test]
fn wycheproof_hmac_sha256() {
    let Some(file) = upstream_json::<WycheproofFile<HmacGroup>>(pins::WYCHEPROOF_HMAC) else {
        return;
    };
    let (mut valid, mut invalid) = (0, 0);
    for g in &file.test_groups {
        for t in &g.tests {
            let full = hmac_sha256(&unhex(&t.key), &unhex(&t.msg));
            let tag = unhex(&t.tag);
            let ours = &full[..g.tag_size / 8];
            let equal = bool::from(ours.ct_eq(tag.as_slice()));
            match t.result.as_str() {
                "valid" => {
                    assert!(equal, "tcId {}", t.tc_id);
                    valid += 1;
                }
                "invalid" => {
                    assert!(!equal, "tcId {}", t.tc_id);
                    invalid += 1;
                }
                other => panic!("tcId {}: unexpected result {other}", t.tc_id),
            }
        }
    }
    eprintln!("wycheproof hmac_sha256: {valid} valid, {invalid} invalid checked");
    assert!(
        valid >= 66 && invalid >= 108,
        "too few HMAC vectors: {valid}/{invalid}"
    );
}

/// HRT-INV-52, HRT-INV-54: the wire crate's check value is `H("invite-check", bytes)[0..4]`.
#[test]
fn invite_check_is_the_labelled_hash() {
    for b in [&b""[..], b"\x89\x01", &[0xab; 200]] {
        let h = h(label::INVITE_CHECK, bstr(b));
        assert_eq!(&hearth_wire::invite::uri::invite_check(b)[..], &h[..4]);
    }
}
