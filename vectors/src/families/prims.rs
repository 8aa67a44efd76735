//! Families `labelled`, `keys` and `hpke`: the primitives of spec §3 and §4 on fixed inputs.

use hearth_crypto::hazmat::ed25519::{Signature, SigningKey, VerifyingKey};
use hearth_crypto::hazmat::hpke::{self, Enc, Hpke, Mode};
use hearth_crypto::hazmat::label::{self, Label};
use hearth_crypto::hazmat::labelled;
use hearth_crypto::hazmat::x25519;
use hearth_crypto::keys::{IdentityKey, IdentityPublicKey, MemberCert, MemberKey, MemberPublicKey};
use hearth_crypto::Secret32;
use hearth_wire::{encode_with, ErrorCode};
use serde_json::Value;

use crate::model::{ensure, hx, Case, Expected, VectorFile, R};
use crate::util::{bytes_seq, rfc9180, with_raw, L_ORDER};

fn bstr_of(b: &[u8]) -> impl FnOnce(&mut hearth_wire::Encoder) + '_ {
    move |e| {
        e.bytes(b);
    }
}

fn lab(l: Label) -> Value {
    Value::String(l.name().to_owned())
}

/// The `labelled` family (spec §3.2).
pub fn labelled_family() -> R<VectorFile> {
    let mut cases = Vec::new();
    // H.
    let h_inputs: [(&str, Label, Vec<u8>); 4] = [
        (
            "fpr-rfc8032-key",
            label::FPR,
            encode_with(|e| {
                e.bytes(&crate::util::RFC8032_PUB);
            }),
        ),
        (
            "msgref-empty",
            label::MSGREF,
            encode_with(|e| {
                e.bytes(&[]);
            }),
        ),
        (
            "cth-array",
            label::CTH,
            encode_with(|e| {
                e.array(2).bytes(&[]).bytes(&bytes_seq(0x10, 40));
            }),
        ),
        (
            "entry-long",
            label::ENTRY,
            encode_with(|e| {
                e.bytes(&bytes_seq(0x00, 300));
            }),
        ),
    ];
    for (slug, l, x) in h_inputs {
        let input = encode_with(|e| {
            e.array(2).text(&l.wire()).raw(&x);
        });
        let out = labelled::h(l, with_raw(&x));
        cases.push(
            Case::new(
                format!("labelled-h-{slug}"),
                "H(Label, x) = SHA-256(hCBOR([LABEL(Label), x]))",
                &["HRT-CRYPTO-3", "HRT-CRYPTO-4"],
            )
            .input("primitive", "H")
            .input("label", lab(l))
            .input("x_cbor", hx(&x))
            .mid("hash_input", hx(&input))
            .out("digest", hx(&out)),
        );
    }
    // Extract.
    for (slug, salt, ikm) in [
        ("empty-salt", Vec::new(), bytes_seq(0x01, 32)),
        ("salt-32", bytes_seq(0x40, 32), bytes_seq(0x80, 32)),
    ] {
        let prk = labelled::extract(&salt, &ikm);
        cases.push(
            Case::new(
                format!("labelled-extract-{slug}"),
                "Extract(salt, ikm) = HKDF-Extract with SHA-256",
                &["HRT-CRYPTO-6"],
            )
            .input("primitive", "Extract")
            .input("salt", hx(&salt))
            .input("ikm", hx(&ikm))
            .out("prk", hx(prk.danger_expose())),
        );
    }
    // ExpandWithLabel.
    let s = Secret32::from_bytes(crate::util::arr32(0x20));
    let cid = crate::util::arr16(0xc0);
    let exps: Vec<(&str, Label, Vec<u8>, usize)> = vec![
        (
            "app-empty-32",
            label::APP,
            encode_with(|e| {
                e.bytes(&[]);
            }),
            32,
        ),
        (
            "ratchet-nonce-g7-12",
            label::RATCHET_NONCE,
            encode_with(|e| {
                e.uint(7);
            }),
            12,
        ),
        (
            "invite-id-16",
            label::INVITE_ID,
            encode_with(|e| {
                e.bytes(&cid);
            }),
            16,
        ),
        (
            "exported-64",
            label::EXPORTED,
            encode_with(|e| {
                e.bytes(b"ctx");
            }),
            64,
        ),
        (
            "sender-leaf-300-32",
            label::SENDER,
            encode_with(|e| {
                e.uint(300);
            }),
            32,
        ),
    ];
    for (slug, l, ctx, len) in exps {
        let info = encode_with(|e| {
            e.array(3).uint(len as u64).text(&l.wire()).raw(&ctx);
        });
        let out = labelled::expand_with_label_len(&s, l, with_raw(&ctx), len)?;
        cases.push(
            Case::new(
                format!("labelled-expand-{slug}"),
                "ExpandWithLabel(S, Label, ctx, L) = HKDF-Expand(S, hCBOR([L, LABEL(Label), ctx]), L)",
                &["HRT-CRYPTO-5"],
            )
            .input("primitive", "ExpandWithLabel")
            .input("secret", hx(s.danger_expose()))
            .input("label", lab(l))
            .input("ctx_cbor", hx(&ctx))
            .input("length", len as u64)
            .mid("info", hx(&info))
            .out("okm", hx(&out)),
        );
    }
    // DeriveSecret.
    for l in [label::APP, label::INIT, label::AUTHENTICATION] {
        let out = labelled::derive_secret(&s, l);
        let info = encode_with(|e| {
            e.array(3).uint(32).text(&l.wire()).bytes(&[]);
        });
        cases.push(
            Case::new(
                format!("labelled-derive-secret-{}", l.name()),
                "DeriveSecret(S, Label) = ExpandWithLabel(S, Label, h'', 32)",
                &["HRT-CRYPTO-5"],
            )
            .input("primitive", "DeriveSecret")
            .input("secret", hx(s.danger_expose()))
            .input("label", lab(l))
            .mid("info", hx(&info))
            .out("okm", hx(out.danger_expose())),
        );
    }
    // MAC and its verification.
    let k = Secret32::from_bytes(crate::util::arr32(0x60));
    let data = encode_with(|e| {
        e.bytes(&bytes_seq(0x33, 32));
    });
    let tag = labelled::mac(&k, label::CONFIRM, with_raw(&data));
    let mac_info = encode_with(|e| {
        e.array(2).text(&label::CONFIRM.wire()).raw(&data);
    });
    let base = |slug: &str, d: &str| {
        Case::new(
            format!("labelled-mac-{slug}"),
            d,
            &["HRT-CRYPTO-3", "HRT-CRYPTO-7"],
        )
        .input("primitive", "MAC")
        .input("key", hx(k.danger_expose()))
        .input("label", lab(label::CONFIRM))
        .input("data_cbor", hx(&data))
        .mid("info", hx(&mac_info))
    };
    cases.push(
        base(
            "valid",
            "MAC(K, Label, data) = HKDF-Expand(K, hCBOR([LABEL(Label), data]), 32)",
        )
        .input("tag", hx(tag.as_bytes()))
        .out("tag", hx(tag.as_bytes())),
    );
    let mut flipped = *tag.as_bytes();
    if let Some(b) = flipped.get_mut(31) {
        *b ^= 0x01;
    }
    let truncated = tag.as_bytes().get(..31).unwrap_or_default().to_vec();
    let mut other_label_tag = *labelled::mac(&k, label::COMMIT, with_raw(&data)).as_bytes();
    other_label_tag.reverse();
    // A tag computed with another key, over other data, or under another label.
    for (slug, d, tag2) in [
        (
            "other-key",
            "a tag computed under another key does not verify",
            *labelled::mac(
                &Secret32::from_bytes(crate::util::arr32(0x61)),
                label::CONFIRM,
                with_raw(&data),
            )
            .as_bytes(),
        ),
        (
            "other-data",
            "a tag computed over other data does not verify",
            *labelled::mac(&k, label::CONFIRM, bstr_of(&[0x34; 32])).as_bytes(),
        ),
        (
            "other-label",
            "a tag computed under the label commit does not verify",
            *labelled::mac(&k, label::COMMIT, with_raw(&data)).as_bytes(),
        ),
    ] {
        let r = labelled::verify_mac(&k, label::CONFIRM, with_raw(&data), &tag2);
        let e = r
            .err()
            .ok_or_else(|| crate::model::GenError(format!("mac {slug} verified")))?;
        cases.push(
            base(slug, d)
                .input("tag", hx(&tag2))
                .err(Expected::crypto(e)),
        );
    }
    for (slug, d, t) in [
        (
            "last-bit-flipped",
            "a tag with its last bit flipped does not verify",
            flipped.to_vec(),
        ),
        (
            "truncated-31",
            "a 31-byte prefix of the tag does not verify",
            truncated,
        ),
        ("empty-tag", "an empty tag does not verify", Vec::new()),
        (
            "unrelated-tag",
            "a tag from another computation does not verify",
            other_label_tag.to_vec(),
        ),
    ] {
        let r = labelled::verify_mac(&k, label::CONFIRM, with_raw(&data), &t);
        let e = r
            .err()
            .ok_or_else(|| crate::model::GenError(format!("mac {slug} verified")))?;
        cases.push(base(slug, d).input("tag", hx(&t)).err(Expected::crypto(e)));
    }
    // SignWithLabel / VerifyWithLabel.
    let sk = SigningKey::from_seed(&crate::util::RFC8032_SEED);
    let pk = *sk.verifying_key().as_bytes();
    ensure(pk == crate::util::RFC8032_PUB, "RFC 8032 test 1 key")?;
    let c = encode_with(|e| {
        e.bytes(b"hearth request bytes");
    });
    let sig = labelled::sign_with_label(&sk, label::REQUEST, with_raw(&c)).to_bytes();
    let sin = labelled::signing_input(label::REQUEST, with_raw(&c));
    let sbase = |slug: &str, d: &str, reqs: &[&str]| {
        let mut cs = Case::new(
            format!("labelled-sign-{slug}"),
            d,
            &["HRT-CRYPTO-9", "HRT-CRYPTO-10"],
        );
        for r in reqs {
            cs = cs.req(r);
        }
        cs.input("primitive", "SignWithLabel")
            .input("label", lab(label::REQUEST))
            .input("content_cbor", hx(&c))
    };
    cases.push(
        sbase(
            "valid",
            "SignWithLabel signs hCBOR([LABEL(Label), c]) with Ed25519 (RFC 8032)",
            &["HRT-CRYPTO-20", "HRT-CRYPTO-47"],
        )
        .input("seed", hx(&crate::util::RFC8032_SEED))
        .input("public_key", hx(&pk))
        .input("signature", hx(&sig))
        .mid("signing_input", hx(&sin))
        .out("signature", hx(&sig)),
    );
    let mut negs: Vec<(&str, &str, Label, Vec<u8>, [u8; 32], Vec<u8>, &[&str])> = Vec::new();
    negs.push((
        "wrong-label",
        "verifying under another label fails",
        label::JOIN,
        c.clone(),
        pk,
        sig.to_vec(),
        &[],
    ));
    let c2 = encode_with(|e| {
        e.bytes(b"hearth request bytez");
    });
    negs.push((
        "other-content",
        "verifying other content fails",
        label::REQUEST,
        c2,
        pk,
        sig.to_vec(),
        &[],
    ));
    let mut s_r = sig;
    if let Some(b) = s_r.get_mut(0) {
        *b ^= 0x01;
    }
    negs.push((
        "r-bit-flipped",
        "a signature with a bit of R flipped fails",
        label::REQUEST,
        c.clone(),
        pk,
        s_r.to_vec(),
        &["HRT-CRYPTO-18"],
    ));
    let mut s_s = sig;
    if let Some(b) = s_s.get_mut(40) {
        *b ^= 0x01;
    }
    negs.push((
        "s-bit-flipped",
        "a signature with a bit of S flipped fails",
        label::REQUEST,
        c.clone(),
        pk,
        s_s.to_vec(),
        &[],
    ));
    // S + L: the same point equation, non-canonical S.
    let mut s_plus_l = sig;
    if let (Some(lo), Some(hi)) = (sig.get(32..64), s_plus_l.get_mut(32..64)) {
        let sum = crate::util::add_le(lo, &L_ORDER);
        hi.copy_from_slice(&sum);
    }
    negs.push((
        "s-plus-l",
        "S + L (non-canonical scalar, same equation) is rejected",
        label::REQUEST,
        c.clone(),
        pk,
        s_plus_l.to_vec(),
        &["HRT-CRYPTO-17"],
    ));
    // Weak keys: small-order and non-canonical encodings.
    let mut identity_point = [0u8; 32];
    identity_point[0] = 1;
    negs.push((
        "small-order-key-identity",
        "the identity point as public key is rejected",
        label::REQUEST,
        c.clone(),
        identity_point,
        sig.to_vec(),
        &["HRT-CRYPTO-14"],
    ));
    let order8 =
        crate::util::unhex32("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a");
    negs.push((
        "small-order-key-order-8",
        "a point of order 8 as public key is rejected",
        label::REQUEST,
        c.clone(),
        order8,
        sig.to_vec(),
        &["HRT-CRYPTO-14"],
    ));
    let noncanon =
        crate::util::unhex32("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    negs.push((
        "non-canonical-key",
        "a public key encoding with y = p is rejected",
        label::REQUEST,
        c.clone(),
        noncanon,
        sig.to_vec(),
        &["HRT-CRYPTO-13"],
    ));
    // R of small order (the identity point) with S = 0, and signatures of the wrong length.
    let mut small_r = [0u8; 64];
    small_r[0] = 1;
    negs.push((
        "small-order-r",
        "R is the identity point (small order), S = 0",
        label::REQUEST,
        c.clone(),
        pk,
        small_r.to_vec(),
        &["HRT-CRYPTO-16"],
    ));
    let mut r_noncanon = sig;
    if let Some(r) = r_noncanon.get_mut(..32) {
        r.copy_from_slice(&crate::util::unhex32(
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        ));
    }
    negs.push((
        "r-non-canonical",
        "R encoded with y = p (not canonical)",
        label::REQUEST,
        c.clone(),
        pk,
        r_noncanon.to_vec(),
        &["HRT-CRYPTO-15"],
    ));
    negs.push((
        "signature-63-bytes",
        "a 63-byte signature",
        label::REQUEST,
        c.clone(),
        pk,
        sig.get(..63).unwrap_or_default().to_vec(),
        &["HRT-CRYPTO-18"],
    ));
    negs.push((
        "signature-all-zero",
        "an all-zero signature",
        label::REQUEST,
        c.clone(),
        pk,
        vec![0u8; 64],
        &["HRT-CRYPTO-16", "HRT-CRYPTO-18"],
    ));
    for (slug, d, l, content, key, sg, reqs) in negs {
        let r = VerifyingKey::from_bytes(&key).and_then(|vk| {
            let s = Signature::from_slice(&sg)?;
            labelled::verify_with_label(&vk, l, with_raw(&content), &s)
        });
        let e = r
            .err()
            .ok_or_else(|| crate::model::GenError(format!("sig {slug} verified")))?;
        let sin = labelled::signing_input(l, with_raw(&content));
        cases.push(
            sbase(slug, d, reqs)
                .input("label", lab(l))
                .input("content_cbor", hx(&content))
                .input("public_key", hx(&key))
                .input("signature", hx(&sg))
                .mid("signing_input", hx(&sin))
                .err(Expected::crypto(e)),
        );
    }
    let cases = cases
        .into_iter()
        .map(|c| {
            if c.is_negative() {
                c
            } else {
                c.req("HRT-CRYPTO-11")
            }
        })
        .collect();
    Ok(VectorFile {
        family: "labelled",
        description: "The labelled primitives of spec §3.2 (H, Extract, ExpandWithLabel, DeriveSecret, MAC, SignWithLabel/VerifyWithLabel) on fixed inputs, with verification failures."
            .into(),
        seed: "fixed inputs (no randomness)".into(),
        cases,
    })
}

/// The `keys` family (spec §4): fingerprints, display digits, member certificates, key
/// validity.
pub fn keys_family() -> R<VectorFile> {
    let mut cases = Vec::new();
    let seeds: [(&str, [u8; 32]); 3] = [
        ("rfc8032-test1", crate::util::RFC8032_SEED),
        ("alice", crate::util::arr32(0xa1)),
        ("bob", crate::util::arr32(0xb0)),
    ];
    for (slug, seed) in seeds {
        let ik = IdentityKey::from_seed(&seed);
        let pk = ik.public_key();
        let fpr = pk.fingerprint();
        let input = encode_with(|e| {
            e.array(2).text(&label::FPR.wire()).bytes(pk.as_bytes());
        });
        cases.push(
            Case::new(
                format!("keys-fingerprint-{slug}"),
                "identity key from its seed; fpr = H(\"fpr\", IK_pub), its 16-byte prefix and display digits",
                &["HRT-KEY-15", "HRT-KEY-16"],
            )
            .input("identity_seed", hx(&seed))
            .mid("identity_public_key", hx(pk.as_bytes()))
            .mid("fpr_hash_input", hx(&input))
            .out("fingerprint", hx(fpr.as_bytes()))
            .out("fingerprint_prefix", hx(&fpr.prefix()))
            .out("display", fpr.display_digits()),
        );
    }
    if let Some(c) = cases.first() {
        ensure(
            c.output.get("fingerprint")
                == Some(&Value::String(
                    "c4a70b47cb69b518e236d7fb5789138d7050219153b92ca304e7eaec14c6a643".into(),
                )),
            "spec §4.6 fingerprint example",
        )?;
    }
    // Member certificates.
    let ik = IdentityKey::from_seed(&crate::util::arr32(0xa1));
    let mk = MemberKey::from_seed(&crate::util::arr32(0xa2));
    let host = crate::util::HOST_URL;
    let cid = crate::util::arr16(0xc1);
    let cert = ik.certify_member(host, &cid, &mk.public_key());
    let content = encode_with(|e| {
        e.array(3)
            .text(host)
            .bytes(&cid)
            .bytes(mk.public_key().as_bytes());
    });
    let sin = labelled::signing_input(label::MEMBER_CERT, with_raw(&content));
    let base = |slug: &str, d: &str| {
        Case::new(
            format!("keys-member-cert-{slug}"),
            d,
            &["HRT-KEY-7", "HRT-KEY-8", "HRT-KEY-9"],
        )
        .input("identity_public_key", hx(ik.public_key().as_bytes()))
    };
    cases.push(
        base(
            "valid",
            "member_cert = SignWithLabel(IK, \"member-cert\", [host_url, channel_id, MK_pub])",
        )
        .input("identity_seed", hx(&crate::util::arr32(0xa1)))
        .input("host_url", host)
        .input("channel_id", hx(&cid))
        .input("member_public_key", hx(mk.public_key().as_bytes()))
        .input("member_cert", hx(&cert.to_bytes()))
        .mid("signing_input", hx(&sin))
        .out("member_cert", hx(&cert.to_bytes())),
    );
    let other_mk = MemberKey::from_seed(&crate::util::arr32(0xa3)).public_key();
    let mut flipped = cert.to_bytes();
    if let Some(b) = flipped.get_mut(5) {
        *b ^= 0x80;
    }
    let negs: Vec<(&str, &str, &str, [u8; 16], MemberPublicKey, [u8; 64])> = vec![
        (
            "other-host",
            "a certificate checked against another host URL fails",
            "https://example.org/other",
            cid,
            mk.public_key(),
            cert.to_bytes(),
        ),
        (
            "host-trailing-slash",
            "a host URL differing by a trailing slash fails",
            "https://example.org/hearth/",
            cid,
            mk.public_key(),
            cert.to_bytes(),
        ),
        (
            "other-channel",
            "a certificate checked against another channel id fails",
            host,
            crate::util::arr16(0xc2),
            mk.public_key(),
            cert.to_bytes(),
        ),
        (
            "other-member-key",
            "a certificate checked for another member key fails",
            host,
            cid,
            other_mk,
            cert.to_bytes(),
        ),
        (
            "flipped-bit",
            "a certificate with a flipped bit fails",
            host,
            cid,
            mk.public_key(),
            flipped,
        ),
    ];
    for (slug, d, h, c, m, ct) in negs {
        let content = encode_with(|e| {
            e.array(3).text(h).bytes(&c).bytes(m.as_bytes());
        });
        let r = ik
            .public_key()
            .verify_member_cert(h, &c, &m, &MemberCert::from_bytes(&ct));
        let e = r
            .err()
            .ok_or_else(|| crate::model::GenError(format!("cert {slug} verified")))?;
        cases.push(
            base(slug, d)
                .input("host_url", h)
                .input("channel_id", hx(&c))
                .input("member_public_key", hx(m.as_bytes()))
                .input("member_cert", hx(&ct))
                .mid(
                    "signing_input",
                    hx(&labelled::signing_input(
                        label::MEMBER_CERT,
                        with_raw(&content),
                    )),
                )
                .err(Expected::crypto(e)),
        );
    }
    // The owner's channel-creation authorisation (HRT-KEY-14).
    let owner = IdentityKey::from_seed(&crate::util::arr32(0x0a));
    let create_content = |h: &str, c: &[u8; 16], m: &[u8; 32]| {
        encode_with(|e| {
            e.array(3).text(h).bytes(c).bytes(m);
        })
    };
    let mkp = *mk.public_key().as_bytes();
    let osig = labelled::sign_with_label(
        owner.signing_key(),
        label::CREATE,
        with_raw(&create_content(host, &cid, &mkp)),
    )
    .to_bytes();
    let obase = |slug: &str, d: &str| {
        Case::new(
            format!("keys-owner-create-{slug}"),
            d,
            &["HRT-KEY-14", "HRT-OP-6"],
        )
        .input("owner_public_key", hx(owner.public_key().as_bytes()))
        .input("owner_signature", hx(&osig))
    };
    cases.push(
        obase(
            "valid",
            "owner_sig = SignWithLabel(IK_owner, \"create\", [host_url, channel_id, MK_pub])",
        )
        .input("owner_seed", hx(&crate::util::arr32(0x0a)))
        .input("host_url", host)
        .input("channel_id", hx(&cid))
        .input("member_public_key", hx(&mkp))
        .mid(
            "signing_input",
            hx(&labelled::signing_input(
                label::CREATE,
                with_raw(&create_content(host, &cid, &mkp)),
            )),
        )
        .out("owner_signature", hx(&osig)),
    );
    for (slug, d, h, c2, m2) in [
        (
            "other-channel",
            "the authorisation checked for another channel id",
            host,
            crate::util::arr16(0xc9),
            mkp,
        ),
        (
            "other-member-key",
            "the authorisation checked for another member key",
            host,
            cid,
            *other_mk.as_bytes(),
        ),
    ] {
        let content = create_content(h, &c2, &m2);
        let e = labelled::verify_with_label(
            owner.public_key().verifying_key(),
            label::CREATE,
            with_raw(&content),
            &Signature::from_bytes(&osig),
        )
        .err()
        .ok_or_else(|| crate::model::GenError(format!("owner {slug} verified")))?;
        let _ = e;
        cases.push(
            obase(slug, d)
                .input("host_url", h)
                .input("channel_id", hx(&c2))
                .input("member_public_key", hx(&m2))
                .mid(
                    "signing_input",
                    hx(&labelled::signing_input(label::CREATE, with_raw(&content))),
                )
                .err(Expected::status(hearth_wire::ErrorCode::FORBIDDEN)),
        );
    }
    // Identity keys that are not valid Ed25519 public keys (spec §3.5).
    let weak: [(&str, &str); 6] = [
        (
            "identity",
            "0100000000000000000000000000000000000000000000000000000000000000",
        ),
        (
            "order-2",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        ),
        (
            "order-4",
            "0000000000000000000000000000000000000000000000000000000000000000",
        ),
        (
            "order-8",
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        ),
        (
            "y-equals-p",
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        ),
        (
            "x-zero-sign-set",
            "0100000000000000000000000000000000000000000000000000000000000080",
        ),
    ];
    for (slug, k) in weak {
        let b = crate::util::unhex32(k);
        let e = IdentityPublicKey::from_bytes(&b)
            .err()
            .ok_or_else(|| crate::model::GenError(format!("weak key {slug} accepted")))?;
        cases.push(
            Case::new(
                format!("keys-weak-identity-{slug}"),
                "a small-order or non-canonically encoded Ed25519 key is not a valid identity key",
                &["HRT-CRYPTO-13", "HRT-CRYPTO-14", "HRT-KEY-24"],
            )
            .input("identity_public_key", k)
            .err(Expected::crypto(e)),
        );
    }
    let _ = ErrorCode::OK;
    Ok(VectorFile {
        family: "keys",
        description: "Identity keys, fingerprints and their display form, member certificates and Ed25519 key validity (spec §3.5, §4)."
            .into(),
        seed: "fixed inputs (no randomness)".into(),
        cases,
    })
}

/// The `hpke` family (spec §3.6): RFC 9180 Base and PSK modes of suite 1 with fixed `ikmE`.
pub fn hpke_family() -> R<VectorFile> {
    let mut cases = Vec::new();
    let suite = Hpke::SUITE_1;
    let ikm_r = bytes_seq(0x51, 32);
    let (sk_r, pk_r) = hpke::derive_key_pair(&ikm_r);
    let cid = crate::util::arr16(0xc1);
    let invite_id = crate::util::arr16(0x1d);
    let commit_info = encode_with(|e| {
        e.array(2)
            .text(&label::COMMIT_SEAL.wire())
            .array(3)
            .bytes(&cid)
            .uint(5)
            .uint(1);
    });
    let welcome_info = encode_with(|e| {
        e.array(2)
            .text(&label::WELCOME_SEAL.wire())
            .array(2)
            .bytes(&cid)
            .uint(5);
    });
    let join_info = encode_with(|e| {
        e.array(2)
            .text(&label::JOIN_SEAL.wire())
            .array(2)
            .bytes(&cid)
            .bytes(&invite_id);
    });
    let psk = bytes_seq(0x70, 32);
    type Setup<'a> = (
        &'a str,
        Mode,
        Vec<u8>,
        Vec<u8>,
        Vec<u8>,
        Vec<u8>,
        Vec<u8>,
        &'a [&'a str],
    );
    let setups: Vec<Setup<'_>> = vec![
        (
            "base-commit-seal",
            Mode::Base,
            commit_info,
            Vec::new(),
            bytes_seq(0x90, 32),
            Vec::new(),
            Vec::new(),
            &["HRT-CRYPTO-28", "HRT-CRYPTO-29", "HRT-GRP-19"],
        ),
        (
            "base-welcome-seal",
            Mode::Base,
            welcome_info,
            Vec::new(),
            bytes_seq(0x91, 32),
            Vec::new(),
            Vec::new(),
            &["HRT-CRYPTO-28", "HRT-CRYPTO-29", "HRT-GRP-55"],
        ),
        (
            "psk-join-seal",
            Mode::Psk,
            join_info,
            b"aad of the join".to_vec(),
            bytes_seq(0x92, 200),
            psk.clone(),
            invite_id.to_vec(),
            &["HRT-CRYPTO-28", "HRT-CRYPTO-30", "HRT-INV-27"],
        ),
    ];
    for (slug, mode, info, aad, pt, psk, psk_id, reqs) in setups {
        let ikm_e = bytes_seq(0xe0 ^ (pt.len() as u8), 32);
        let (enc, mut ctx) =
            suite.danger_setup_s_derand(mode, &pk_r, &info, &psk, &psk_id, &ikm_e)?;
        let ct = ctx.seal(&aad, &pt)?;
        let ct2 = ctx.seal(&aad, &pt)?;
        let exp = ctx.export(b"vector export", 32)?;
        let k = rfc9180::schedule(mode.id(), &ikm_e, pk_r.as_bytes(), &info, &psk, &psk_id)?;
        ensure(k.enc == *enc.as_bytes(), "rfc9180 enc")?;
        ensure(
            rfc9180::seal(&k.key, &k.base_nonce, 0, &aad, &pt)? == ct,
            "rfc9180 ct",
        )?;
        ensure(
            rfc9180::seal(&k.key, &k.base_nonce, 1, &aad, &pt)? == ct2,
            "rfc9180 ct seq 1",
        )?;
        ensure(
            rfc9180::export(&k.exporter_secret, b"vector export", 32)? == exp.as_slice(),
            "rfc9180 export",
        )?;
        let mode_name = if mode.id() == 0 { "base" } else { "psk" };
        let mk = |id: String, d: &str| {
            let mut c = Case::new(id, d, reqs)
                .input("mode", mode_name)
                .input("ikm_r", hx(&ikm_r))
                .input("sk_r", hx(sk_r.to_bytes().danger_expose()))
                .input("pk_r", hx(pk_r.as_bytes()))
                .input("info", hx(&info))
                .input("psk", hx(&psk))
                .input("psk_id", hx(&psk_id));
            c = c
                .req("HRT-CRYPTO-25")
                .req("HRT-CRYPTO-32")
                .req("HRT-CRYPTO-1")
                .req("HRT-CONF-3")
                .req("HRT-CRYPTO-35");
            c
        };
        cases.push(
            mk(format!("hpke-{slug}"), "SetupS with fixed ikmE, then Seal (sequence 0 and 1) and Export; the receiver opens both")
                .input("ikm_e", hx(&ikm_e))
                .input("aad", hx(&aad))
                .input("pt", hx(&pt))
                .input("exporter_context", hx(b"vector export"))
                .input("exporter_length", 32)
                .mid("sk_e", hx(&k.sk_e))
                .mid("dh", hx(&k.dh))
                .mid("kem_context", hx(&k.kem_context))
                .mid("shared_secret", hx(&k.shared_secret))
                .mid("psk_id_hash", hx(&k.psk_id_hash))
                .mid("info_hash", hx(&k.info_hash))
                .mid("key_schedule_context", hx(&k.ks_context))
                .mid("secret", hx(&k.secret))
                .mid("key", hx(&k.key))
                .mid("base_nonce", hx(&k.base_nonce))
                .mid("exporter_secret", hx(&k.exporter_secret))
                .out("enc", hx(enc.as_bytes()))
                .out("ct", hx(&ct))
                .out("ct_seq1", hx(&ct2))
                .out("exported", hx(&exp)),
        );
        // Negatives: the receiver's open fails.
        let mut t = ct.clone();
        if let Some(b) = t.get_mut(0) {
            *b ^= 1;
        }
        let mut tag = ct.clone();
        if let Some(b) = tag.last_mut() {
            *b ^= 0x80;
        }
        let mut wrong_psk = psk.clone();
        if let Some(b) = wrong_psk.get_mut(0) {
            *b ^= 1;
        }
        let mut negs: Vec<(
            &str,
            &str,
            [u8; 32],
            Vec<u8>,
            Vec<u8>,
            Vec<u8>,
            Vec<u8>,
            Vec<u8>,
        )> = vec![
            (
                "ct-bit-flipped",
                "a ciphertext with a flipped bit does not open",
                *enc.as_bytes(),
                info.clone(),
                aad.clone(),
                t,
                psk.clone(),
                psk_id.clone(),
            ),
            (
                "tag-bit-flipped",
                "a ciphertext with a flipped tag bit does not open",
                *enc.as_bytes(),
                info.clone(),
                aad.clone(),
                tag,
                psk.clone(),
                psk_id.clone(),
            ),
            (
                "wrong-aad",
                "opening with another aad fails",
                *enc.as_bytes(),
                info.clone(),
                b"x".to_vec(),
                ct.clone(),
                psk.clone(),
                psk_id.clone(),
            ),
            (
                "wrong-info",
                "opening with another info fails",
                *enc.as_bytes(),
                b"other info".to_vec(),
                aad.clone(),
                ct.clone(),
                psk.clone(),
                psk_id.clone(),
            ),
            (
                "truncated-ct",
                "a ciphertext shorter than the tag does not open",
                *enc.as_bytes(),
                info.clone(),
                aad.clone(),
                ct.get(..15).unwrap_or_default().to_vec(),
                psk.clone(),
                psk_id.clone(),
            ),
            (
                "small-order-enc",
                "an all-zero enc (small-order point) is a non-contributory exchange",
                [0u8; 32],
                info.clone(),
                aad.clone(),
                ct.clone(),
                psk.clone(),
                psk_id.clone(),
            ),
        ];
        if mode.id() == 1 {
            negs.push((
                "wrong-psk",
                "opening with another psk fails",
                *enc.as_bytes(),
                info.clone(),
                aad.clone(),
                ct.clone(),
                wrong_psk,
                psk_id.clone(),
            ));
            negs.push((
                "wrong-psk-id",
                "opening with another psk_id fails",
                *enc.as_bytes(),
                info.clone(),
                aad.clone(),
                ct.clone(),
                psk.clone(),
                b"other".to_vec(),
            ));
        }
        for (nslug, d, e, inf, a, c, p, pid) in negs {
            let r = if mode.id() == 0 {
                suite.open_base(&Enc::from_bytes(e), &sk_r, &inf, &a, &c)
            } else {
                suite.open_psk(&Enc::from_bytes(e), &sk_r, &inf, &a, &c, &p, &pid)
            };
            let err = r
                .err()
                .ok_or_else(|| crate::model::GenError(format!("hpke {nslug} opened")))?;
            let mut cs = mk(format!("hpke-{slug}-{nslug}"), d)
                .input("enc", hx(&e))
                .input("info", hx(&inf))
                .input("aad", hx(&a))
                .input("ct", hx(&c))
                .input("psk", hx(&p))
                .input("psk_id", hx(&pid))
                .err(Expected::crypto(err));
            cs = cs.req("HRT-CRYPTO-33").req("HRT-CRYPTO-37");
            if nslug == "small-order-enc" {
                cs = cs.req("HRT-CRYPTO-26");
            }
            cases.push(cs);
        }
    }
    let _ = x25519::PublicKey::from_bytes([0; 32]);
    Ok(VectorFile {
        family: "hpke",
        description: "RFC 9180 HPKE for suite 1 (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM) in Base and PSK modes, with Hearth's info strings, a fixed ikmE and every key schedule value; negative cases are receiver open failures."
            .into(),
        seed: "fixed inputs (ikmE given per case)".into(),
        cases,
    })
}
