#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use sha2::{Digest, Sha256};

use super::*;

const HOST: &str = "https://hearth.example/";
const CHANNEL: [u8; 16] = [0xc1; 16];

#[test]
fn fingerprint_is_labelled_hash_of_ik() {
    let ik = IdentityKey::from_seed(&[1; 32]);
    let pk = ik.public_key();
    // ["hearth/1 fpr", h'<32 bytes>'] = 82 6c "hearth/1 fpr" 58 20 <IK_pub>
    let mut input = hex::decode("826c6865617274682f31206670725820").unwrap();
    input.extend_from_slice(pk.as_bytes());
    let want: [u8; 32] = Sha256::digest(&input).into();
    assert_eq!(pk.fingerprint().as_bytes(), &want);
    assert_eq!(pk.fingerprint().prefix(), want[..16]);
}

#[test]
fn fingerprint_display_form() {
    let f = Fingerprint::from_bytes([0xff; 32]);
    // 0xffffffff = 4294967295, mod 100000 = 67295.
    assert_eq!(f.to_string(), ["67295"; 8].join(" "));
    let mut b = [0u8; 32];
    b[3] = 1; // group 0 = 1
    b[4..8].copy_from_slice(&100_000u32.to_be_bytes()); // group 1 = 0
    b[8..12].copy_from_slice(&123_456_789u32.to_be_bytes()); // group 2 = 56789
    assert_eq!(
        Fingerprint::from_bytes(b).display_digits(),
        "00001 00000 56789 00000 00000 00000 00000 00000"
    );
    let s = IdentityKey::generate()
        .public_key()
        .fingerprint()
        .to_string();
    assert_eq!(s.len(), 8 * 5 + 7);
    assert!(s
        .split(' ')
        .all(|g| g.len() == 5 && g.bytes().all(|c| c.is_ascii_digit())));
}

#[test]
fn member_cert_binds_host_channel_and_mk() {
    let ik = IdentityKey::from_seed(&[2; 32]);
    let ipk = ik.public_key();
    let mk = MemberKey::from_seed(&[3; 32]).public_key();
    let cert = ik.certify_member(HOST, &CHANNEL, &mk);
    assert!(ipk.verify_member_cert(HOST, &CHANNEL, &mk, &cert).is_ok());

    let other_mk = MemberKey::from_seed(&[4; 32]).public_key();
    let other_ik = IdentityKey::from_seed(&[5; 32]).public_key();
    let bad = [
        ipk.verify_member_cert("https://other.example/", &CHANNEL, &mk, &cert),
        ipk.verify_member_cert(HOST, &[0xc2; 16], &mk, &cert),
        ipk.verify_member_cert(HOST, &CHANNEL, &other_mk, &cert),
        other_ik.verify_member_cert(HOST, &CHANNEL, &mk, &cert),
    ];
    for r in bad {
        assert_eq!(r, Err(CryptoError::BadMemberCert));
    }
    assert_eq!(
        CryptoError::BadMemberCert.code(),
        hearth_wire::ErrorCode::BAD_MEMBER_CERT
    );
    // The certificate is SignWithLabel over [host_url (text), channel_id (bstr), MK (bstr)].
    let msg = crate::hazmat::labelled::signing_input(label::MEMBER_CERT, |e| {
        e.array(3).text(HOST).bytes(&CHANNEL).bytes(mk.as_bytes());
    });
    let sig = Signature::from_bytes(&cert.to_bytes());
    assert!(ipk.verifying_key().verify(&msg, &sig).is_ok());
    assert_eq!(MemberCert::from_bytes(&cert.to_bytes()), cert);
}

#[test]
fn weak_member_keys_are_rejected() {
    let mut identity = [0u8; 32];
    identity[0] = 1;
    assert_eq!(
        MemberPublicKey::from_bytes(&identity).unwrap_err(),
        CryptoError::WeakKey
    );
    assert_eq!(
        IdentityPublicKey::from_bytes(&identity).unwrap_err().code(),
        hearth_wire::ErrorCode::BAD_SIGNATURE
    );
}

#[test]
fn init_key_is_an_hpke_recipient() {
    let init = InitKey::generate();
    let h = crate::hazmat::hpke::Hpke::SUITE_1;
    let (enc, ct) = h.seal_base(&init.public_key(), b"i", b"", b"s").unwrap();
    assert_eq!(
        h.open_base(&enc, init.secret_key(), b"i", b"", &ct)
            .unwrap()
            .as_slice(),
        b"s"
    );
}
