//! Small helpers shared by the families: fixed inputs, byte patterns and an independent
//! RFC 9180 key schedule that exposes every intermediate value.

use hearth_wire::Encoder;

use crate::model::{GenError, R};

/// The canonical host URL used by every vector.
pub const HOST_URL: &str = "https://example.org/hearth";

/// RFC 8032 §7.1 test 1 secret key.
pub const RFC8032_SEED: [u8; 32] = [
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
    0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
];

/// RFC 8032 §7.1 test 1 public key.
pub const RFC8032_PUB: [u8; 32] = [
    0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
    0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
];

/// The order L of the Ed25519 base point, little-endian.
pub const L_ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
];

/// `n` bytes `start, start+1, ...` (wrapping).
pub fn bytes_seq(start: u8, n: usize) -> Vec<u8> {
    (0..n).map(|i| start.wrapping_add(i as u8)).collect()
}

/// 32 bytes `start, start+1, ...`.
pub fn arr32(start: u8) -> [u8; 32] {
    let mut a = [0u8; 32];
    for (i, b) in a.iter_mut().enumerate() {
        *b = start.wrapping_add(i as u8);
    }
    a
}

/// 16 bytes `start, start+1, ...`.
pub fn arr16(start: u8) -> [u8; 16] {
    let mut a = [0u8; 16];
    for (i, b) in a.iter_mut().enumerate() {
        *b = start.wrapping_add(i as u8);
    }
    a
}

/// Decodes hex (the generator's own constants).
pub fn unhex(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let v = |c: u8| match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    };
    b.chunks(2)
        .map(|p| match p {
            [h, l] => (v(*h) << 4) | v(*l),
            _ => 0,
        })
        .collect()
}

/// Decodes 32 bytes of hex (the generator's own constants).
pub fn unhex32(s: &str) -> [u8; 32] {
    let mut a = [0u8; 32];
    for (d, s) in a.iter_mut().zip(unhex(s)) {
        *d = s;
    }
    a
}

/// Little-endian addition of two 32-byte integers (modulo 2^256).
pub fn add_le(a: &[u8], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for (i, o) in out.iter_mut().enumerate() {
        let s = u16::from(a.get(i).copied().unwrap_or(0))
            + u16::from(b.get(i).copied().unwrap_or(0))
            + carry;
        *o = (s & 0xff) as u8;
        carry = s >> 8;
    }
    out
}

/// An encoder callback that writes one pre-encoded hCBOR item.
pub fn with_raw(item: &[u8]) -> impl FnOnce(&mut Encoder) + '_ {
    move |e| {
        e.raw(item);
    }
}

/// Flips bit `bit` of byte `i` (no-op when out of range).
pub fn flip(mut v: Vec<u8>, i: usize, bit: u8) -> Vec<u8> {
    if let Some(b) = v.get_mut(i) {
        *b ^= bit;
    }
    v
}

/// RFC 9180 for suite 1, written from the RFC (not the crate's code), to expose every value.
pub mod rfc9180 {
    use hkdf::Hkdf;
    use sha2::Sha256;

    use super::{GenError, R};

    const KEM_SUITE: &[u8] = b"KEM\x00\x20";
    const HPKE_SUITE: &[u8] = b"HPKE\x00\x20\x00\x01\x00\x02";

    fn labeled_extract(suite: &[u8], salt: &[u8], label: &[u8], ikm: &[u8]) -> Vec<u8> {
        let mut m = b"HPKE-v1".to_vec();
        m.extend_from_slice(suite);
        m.extend_from_slice(label);
        m.extend_from_slice(ikm);
        let (prk, _) = Hkdf::<Sha256>::extract(Some(salt), &m);
        prk.to_vec()
    }

    fn labeled_expand(suite: &[u8], prk: &[u8], label: &[u8], info: &[u8], l: usize) -> R<Vec<u8>> {
        let mut m = (l as u16).to_be_bytes().to_vec();
        m.extend_from_slice(b"HPKE-v1");
        m.extend_from_slice(suite);
        m.extend_from_slice(label);
        m.extend_from_slice(info);
        let hk = Hkdf::<Sha256>::from_prk(prk).map_err(|_| GenError("prk length".into()))?;
        let mut out = vec![0u8; l];
        hk.expand(&m, &mut out)
            .map_err(|_| GenError("expand length".into()))?;
        Ok(out)
    }

    /// Every value of `SetupS` for a given `ikmE`.
    pub struct Schedule {
        /// The ephemeral private key.
        pub sk_e: Vec<u8>,
        /// `enc` = the ephemeral public key.
        pub enc: [u8; 32],
        /// The X25519 output.
        pub dh: Vec<u8>,
        /// `enc || pkR`.
        pub kem_context: Vec<u8>,
        /// The KEM shared secret.
        pub shared_secret: Vec<u8>,
        /// `LabeledExtract("", "psk_id_hash", psk_id)`.
        pub psk_id_hash: Vec<u8>,
        /// `LabeledExtract("", "info_hash", info)`.
        pub info_hash: Vec<u8>,
        /// `mode || psk_id_hash || info_hash`.
        pub ks_context: Vec<u8>,
        /// `LabeledExtract(shared_secret, "secret", psk)`.
        pub secret: Vec<u8>,
        /// The AEAD key.
        pub key: Vec<u8>,
        /// The base nonce.
        pub base_nonce: Vec<u8>,
        /// The exporter secret.
        pub exporter_secret: Vec<u8>,
    }

    fn arr(v: &[u8]) -> [u8; 32] {
        let mut a = [0u8; 32];
        for (d, s) in a.iter_mut().zip(v) {
            *d = *s;
        }
        a
    }

    /// `SetupS` (RFC 9180 §5.1) with `DeriveKeyPair(ikmE)`.
    pub fn schedule(
        mode: u8,
        ikm_e: &[u8],
        pk_r: &[u8; 32],
        info: &[u8],
        psk: &[u8],
        psk_id: &[u8],
    ) -> R<Schedule> {
        let dkp = labeled_extract(KEM_SUITE, b"", b"dkp_prk", ikm_e);
        let sk_e = labeled_expand(KEM_SUITE, &dkp, b"sk", b"", 32)?;
        let sk = x25519_dalek::StaticSecret::from(arr(&sk_e));
        let enc = *x25519_dalek::PublicKey::from(&sk).as_bytes();
        let dh = sk
            .diffie_hellman(&x25519_dalek::PublicKey::from(*pk_r))
            .as_bytes()
            .to_vec();
        let mut kem_context = enc.to_vec();
        kem_context.extend_from_slice(pk_r);
        let eae = labeled_extract(KEM_SUITE, b"", b"eae_prk", &dh);
        let shared_secret = labeled_expand(KEM_SUITE, &eae, b"shared_secret", &kem_context, 32)?;
        let psk_id_hash = labeled_extract(HPKE_SUITE, b"", b"psk_id_hash", psk_id);
        let info_hash = labeled_extract(HPKE_SUITE, b"", b"info_hash", info);
        let mut ks_context = vec![mode];
        ks_context.extend_from_slice(&psk_id_hash);
        ks_context.extend_from_slice(&info_hash);
        let secret = labeled_extract(HPKE_SUITE, &shared_secret, b"secret", psk);
        let key = labeled_expand(HPKE_SUITE, &secret, b"key", &ks_context, 32)?;
        let base_nonce = labeled_expand(HPKE_SUITE, &secret, b"base_nonce", &ks_context, 12)?;
        let exporter_secret = labeled_expand(HPKE_SUITE, &secret, b"exp", &ks_context, 32)?;
        Ok(Schedule {
            sk_e,
            enc,
            dh,
            kem_context,
            shared_secret,
            psk_id_hash,
            info_hash,
            ks_context,
            secret,
            key,
            base_nonce,
            exporter_secret,
        })
    }

    /// AES-256-GCM seal with nonce `base_nonce XOR seq`.
    pub fn seal(key: &[u8], base_nonce: &[u8], seq: u64, aad: &[u8], pt: &[u8]) -> R<Vec<u8>> {
        let mut nonce = [0u8; 12];
        for (d, s) in nonce.iter_mut().zip(base_nonce) {
            *d = *s;
        }
        for (d, s) in nonce.iter_mut().skip(4).zip(seq.to_be_bytes()) {
            *d ^= s;
        }
        super::aes_gcm_seal(key, &nonce, aad, pt)
    }

    /// `Context.Export` (RFC 9180 §5.3).
    pub fn export(exporter_secret: &[u8], ctx: &[u8], l: usize) -> R<Vec<u8>> {
        labeled_expand(HPKE_SUITE, exporter_secret, b"sec", ctx, l)
    }
}

/// AES-256-GCM seal (RFC 5116 output: ciphertext || tag).
pub fn aes_gcm_seal(key: &[u8], nonce: &[u8; 12], aad: &[u8], pt: &[u8]) -> R<Vec<u8>> {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    let c =
        aes_gcm::Aes256Gcm::new_from_slice(key).map_err(|_| GenError("aes key length".into()))?;
    c.encrypt(aes_gcm::Nonce::from_slice(nonce), Payload { msg: pt, aad })
        .map_err(|_| GenError("aes-gcm seal".into()))
}

/// AES-256-GCM open.
pub fn aes_gcm_open(key: &[u8], nonce: &[u8; 12], aad: &[u8], ct: &[u8]) -> R<Vec<u8>> {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    let c =
        aes_gcm::Aes256Gcm::new_from_slice(key).map_err(|_| GenError("aes key length".into()))?;
    c.decrypt(aes_gcm::Nonce::from_slice(nonce), Payload { msg: ct, aad })
        .map_err(|_| GenError("aes-gcm open".into()))
}
