//! Family `invite` (spec §5): values derived from the invite secret, the URI and its parsing,
//! the sealed join with fixed randomness and the inviter's checks of a pending join.

use hearth_crypto::group::Group;
use hearth_crypto::group::PendingMember;
use hearth_crypto::hazmat::hpke::{Enc, Hpke, Mode};
use hearth_crypto::hazmat::label;
use hearth_crypto::hazmat::labelled::{self, bstr};
use hearth_crypto::hazmat::x25519;
use hearth_crypto::keys::{IdentityKey, MemberKey};
use hearth_crypto::rng::HearthRng;
use hearth_crypto::Secret32;
use hearth_wire::invite::uri::{invite_check, SCHEME};
use hearth_wire::invite::InviteUri;
use hearth_wire::join::{JoinRequest, SignedJoinRequest};
use hearth_wire::request::PendingJoin;
use hearth_wire::{
    encode_with, BoundedBytes, BoundedText, ConversationId, EdPublic, HostUrl, HpkeSealed, Secs,
    SignedBytes, Suite, WireDecode, WireEncode, XPublic,
};

use crate::model::{ensure, hx, Case, Expected, GenError, VectorFile, R};
use crate::util::{arr16, arr32, flip, HOST_URL};

/// Values derived from an invite secret (§5.4).
pub struct Derived {
    /// `invite_id`.
    pub invite_id: [u8; 16],
    /// `invite_auth_seed`.
    pub auth_seed: [u8; 32],
    /// `invite_auth_pub`.
    pub auth_pub: [u8; 32],
    /// `psk`.
    pub psk: [u8; 32],
}

/// §5.4 with the labelled primitives.
pub fn derive(secret: &[u8; 32], cid: &[u8; 16]) -> Derived {
    let s = Secret32::from_bytes(*secret);
    let id = labelled::expand_with_label::<16>(&s, label::INVITE_ID, bstr(cid));
    let seed = labelled::expand_with_label::<32>(&s, label::INVITE_AUTH, bstr(cid));
    let psk = labelled::expand_with_label::<32>(&s, label::INVITE_PSK, bstr(cid));
    let auth = hearth_crypto::hazmat::ed25519::SigningKey::from_seed(seed.danger_expose());
    Derived {
        invite_id: *id.danger_expose(),
        auth_seed: *seed.danger_expose(),
        auth_pub: *auth.verifying_key().as_bytes(),
        psk: *psk.danger_expose(),
    }
}

/// `hCBOR(["hearth/1 join-seal", [channel_id, invite_id]])`.
pub fn join_seal_info(cid: &[u8; 16], invite_id: &[u8; 16]) -> Vec<u8> {
    encode_with(|e| {
        e.array(2)
            .text(&label::JOIN_SEAL.wire())
            .array(2)
            .bytes(cid)
            .bytes(invite_id);
    })
}

/// `hCBOR([channel_id, invite_id, MK])`.
pub fn join_seal_aad(cid: &[u8; 16], invite_id: &[u8; 16], mk: &[u8; 32]) -> Vec<u8> {
    encode_with(|e| {
        e.array(3).bytes(cid).bytes(invite_id).bytes(mk);
    })
}

fn mk_group(seed: u8) -> R<Group> {
    Ok(Group::danger_create_with_rng(
        HostUrl::new(HOST_URL)?,
        IdentityKey::from_seed(&arr32(seed)),
        1_000,
        HearthRng::danger_seeded(arr32(seed.wrapping_add(1))),
    )?)
}

/// The `invite` family.
#[allow(clippy::too_many_lines)]
pub fn invite_family() -> R<VectorFile> {
    let mut cases = Vec::new();
    // Derivations from fixed (secret, channel_id) pairs, cross-checked with a real invitation.
    let mut g = mk_group(0x41)?;
    let draft = g.create_invitation(ConversationId(arr16(0xcc)), 2_000_000_000)?;
    let body = draft.create_body();
    let inv = draft.registered();
    let uri = inv.uri().ok_or_else(|| GenError("uri".into()))?;
    let real_secret = uri.invite.secret.0;
    let real_cid = uri.invite.channel_id.0;
    let d = derive(&real_secret, &real_cid);
    ensure(
        d.invite_id == body.invite_id.0 && d.auth_pub == body.invite_auth.0,
        "derivations match the library's invitation",
    )?;
    for (slug, secret, cid) in [
        ("library-invitation", real_secret, real_cid),
        ("fixed", arr32(0x5e), arr16(0xc1)),
    ] {
        let d = derive(&secret, &cid);
        let info = |l: hearth_crypto::hazmat::Label, n: u64| {
            hx(&encode_with(|e| {
                e.array(3).uint(n).text(&l.wire()).bytes(&cid);
            }))
        };
        cases.push(
            Case::new(
                format!("invite-derive-{slug}"),
                "invite_id, invite_auth key pair and psk from the invite secret and channel id",
                &["HRT-INV-18", "HRT-INV-19", "HRT-INV-20", "HRT-KEY-21"],
            )
            .input("secret", hx(&secret))
            .input("channel_id", hx(&cid))
            .mid("invite_id_info", info(label::INVITE_ID, 16))
            .mid("invite_auth_info", info(label::INVITE_AUTH, 32))
            .mid("invite_psk_info", info(label::INVITE_PSK, 32))
            .out("invite_id", hx(&d.invite_id))
            .out("invite_auth_seed", hx(&d.auth_seed))
            .out("invite_auth_pub", hx(&d.auth_pub))
            .out("psk", hx(&d.psk)),
        );
    }
    // URI round trip.
    let uri_s = uri.to_string();
    let parsed = InviteUri::parse(&uri_s)?;
    ensure(parsed == uri, "uri round trip")?;
    let inv_cbor = uri.invite.to_vec();
    let check = invite_check(&inv_cbor);
    let frag = uri_s
        .strip_prefix(SCHEME)
        .map(str::to_owned)
        .unwrap_or_default();
    let fpr = g.fingerprint();
    cases.push(
        Case::new("invite-uri-roundtrip", "URI = \"hearth:\" || base64url_nopad(hCBOR(Invite) || H(\"invite-check\", hCBOR(Invite))[0..4]); parsing returns the same Invite", &["HRT-INV-52", "HRT-INV-51", "HRT-INV-3", "HRT-INV-11", "HRT-INV-54"])
            .input("uri", uri_s.clone())
            .mid("payload", frag.clone())
            .mid("invite_cbor", hx(&inv_cbor))
            .mid("invite_check_input", hx(&encode_with(|e| {
                e.array(2).text(&label::INVITE_CHECK.wire()).bytes(&inv_cbor);
            })))
            .mid("check", hx(&check))
            .mid("invite_diagnostic", hearth_wire::diag::to_diagnostic(&inv_cbor))
            .out("suite", u64::from(uri.invite.suite.0))
            .out("host_url", uri.invite.host_url.as_str())
            .out("channel_id", hx(&uri.invite.channel_id.0))
            .out("conversation", hx(&uri.invite.conversation.0))
            .out("inviter_fpr", hx(&uri.invite.inviter_fpr.0))
            .out("inviter_key", hx(&uri.invite.inviter_key.0))
            .out("secret", hx(&uri.invite.secret.0))
            .out("expires", uri.invite.expires.0)
            .out("inviter_fpr_is_prefix_of", hx(fpr.as_bytes())),
    );
    // URI parsing failures (§5.3.2), each with the code the library reports.
    let b64 = |b: &[u8]| hearth_wire::invite::base64url::encode(b);
    // A payload framed with a correct check value around `b`.
    let framed = |b: &[u8]| {
        let mut v = b.to_vec();
        v.extend_from_slice(&invite_check(b));
        format!("{SCHEME}{}", b64(&v))
    };
    let mut v2 = inv_cbor.clone();
    if let Some(x) = v2.get_mut(1) {
        *x = 0x02;
    }
    let mut s2 = inv_cbor.clone();
    if let Some(x) = s2.get_mut(2) {
        *x = 0x02;
    }
    let mut trailing = inv_cbor.clone();
    trailing.push(0x00);
    let last_bits = {
        // A prefix of 4k + 2 characters: its last one carries 4 unused bits, set non-zero.
        let keep = frag.len() - (frag.len() + 2) % 4;
        let mut f: String = frag.chars().take(keep).collect();
        if let Some(c) = f.pop() {
            let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let i = alphabet.find(c).unwrap_or(0);
            f.push(alphabet.chars().nth(i | 1).unwrap_or('B'));
        }
        f
    };
    let length_mod_1 = {
        let pad = (5 - frag.len() % 4) % 4 + 4;
        format!("{SCHEME}{frag}{}", "A".repeat(pad))
    };
    let damaged = {
        let mut v = inv_cbor.clone();
        v.extend_from_slice(&check);
        if let Some(x) = v.last_mut() {
            *x ^= 0x01;
        }
        format!("{SCHEME}{}", b64(&v))
    };
    // The Invite with one field replaced, encoded with the library's encoder.
    let with = |f: &dyn Fn(&mut hearth_wire::invite::Invite)| {
        let mut i = uri.invite.clone();
        f(&mut i);
        i.to_vec()
    };
    let noncanon = {
        // The Invite with its expires field encoded in a longer head than needed.
        let mut b = with(&|_| {});
        let e = uri.invite.expires.0;
        // The last item is `expires` as 1a + 4 bytes; re-encode it as 1b + 8 bytes.
        b.truncate(b.len() - 5);
        b.push(0x1b);
        b.extend_from_slice(&e.to_be_bytes());
        b
    };
    let bad_host = with(&|i| {
        i.host_url =
            HostUrl::new("https://Example.org/hearth").unwrap_or_else(|_| i.host_url.clone())
    });
    let http_host = with(&|i| {
        i.host_url =
            HostUrl::new("http://example.org/hearth").unwrap_or_else(|_| i.host_url.clone())
    });
    let bad: Vec<(&str, &str, String, &[&str])> = vec![
        (
            "host-url-form",
            "the 1.0-draft form: a host URL with the invitation in its fragment",
            format!("{HOST_URL}#{frag}"),
            &["HRT-INV-53"],
        ),
        (
            "empty-payload",
            "the scheme without a payload",
            SCHEME.to_owned(),
            &["HRT-INV-53"],
        ),
        (
            "uppercase-scheme",
            "the scheme in uppercase",
            format!("HEARTH:{frag}"),
            &["HRT-INV-53", "HRT-CONV-6"],
        ),
        (
            "padding",
            "a payload with '=' padding",
            format!("{SCHEME}{frag}=="),
            &["HRT-INV-9"],
        ),
        (
            "plus-char",
            "a payload with a character outside base64url",
            format!("{SCHEME}+{}", frag.get(1..).unwrap_or_default()),
            &["HRT-INV-9"],
        ),
        (
            "length-mod-4-is-1",
            "a payload whose length modulo 4 is 1",
            length_mod_1,
            &["HRT-INV-10"],
        ),
        (
            "nonzero-unused-bits",
            "a payload whose last character has non-zero unused bits",
            format!("{SCHEME}{last_bits}"),
            &["HRT-INV-10"],
        ),
        (
            "damaged",
            "one bit of the check value changed: the link is damaged",
            damaged,
            &["HRT-INV-54"],
        ),
        (
            "too-short",
            "a payload of four bytes cannot hold an Invite and its check value",
            format!("{SCHEME}{}", b64(&[0x89, 0x01, 0x01, 0x00])),
            &["HRT-INV-54"],
        ),
        (
            "version-2",
            "an Invite array whose version element is 2",
            framed(&v2),
            &["HRT-INV-12"],
        ),
        (
            "suite-2",
            "an Invite array whose suite element is 2, a suite the client does not support",
            framed(&s2),
            &["HRT-INV-56"],
        ),
        (
            "trailing-byte",
            "an Invite followed by an extra byte",
            framed(&trailing),
            &["HRT-INV-11", "HRT-WIRE-1"],
        ),
        (
            "noncanonical-head",
            "an Invite with a non-shortest integer head",
            framed(&noncanon),
            &["HRT-INV-11", "HRT-WIRE-3"],
        ),
        (
            "not-an-invite",
            "a payload holding a CBOR map instead of the Invite array",
            framed(&[0xa0]),
            &["HRT-INV-11"],
        ),
        (
            "host-url-uppercase",
            "an Invite whose host URL has an uppercase letter (not canonical)",
            framed(&bad_host),
            &["HRT-INV-55"],
        ),
        (
            "host-url-http",
            "an Invite whose host URL uses http for a host that is not a loopback host",
            framed(&http_host),
            &["HRT-INV-55"],
        ),
    ];
    for (slug, d, u, reqs) in bad {
        // These cases are for a client of suite 1 only: `suite-2` is an invitation of a
        // suite it does not implement (HRT-INV-56).
        let e = InviteUri::parse_for_suites(&u, &[Suite::X25519_SHA256_AES256GCM_ED25519])
            .err()
            .ok_or_else(|| GenError(format!("uri {slug} parsed")))?;
        let mut c = Case::new(format!("invite-uri-{slug}"), d, &["HRT-INV-5"])
            .input("uri", u)
            .err(Expected::wire(e));
        for r in reqs {
            c = c.req(r);
        }
        cases.push(c);
    }
    // Expired invitation: the joiner refuses before redeeming.
    let expired = PendingMember::danger_join_with_rng(
        &uri_s,
        IdentityKey::from_seed(&arr32(0x42)),
        "Late",
        2_000_000_001,
        HearthRng::danger_seeded(arr32(0x43)),
    );
    let e = expired
        .err()
        .ok_or_else(|| GenError("expired join accepted".into()))?;
    cases.push(
        Case::new(
            "invite-join-expired",
            "the joiner's clock is after the invitation's expires",
            &["HRT-INV-13"],
        )
        .input("uri", uri_s.clone())
        .input("now", 2_000_000_001u64)
        .err(Expected::protocol(e)),
    );
    // The sealed join with fixed randomness, and the inviter's processing.
    let joiner_ik_seed = arr32(0x42);
    let joiner_rng = arr32(0x43);
    let now = 1_500;
    let (pending, redeem) = PendingMember::danger_join_with_rng(
        &uri_s,
        IdentityKey::from_seed(&joiner_ik_seed),
        "Joiner",
        now,
        HearthRng::danger_seeded(joiner_rng),
    )?;
    let mut stream = HearthRng::danger_seeded(joiner_rng);
    let mut draws = [0u8; 96];
    rand_core::RngCore::fill_bytes(&mut stream, &mut draws);
    let mk_seed = crate::util::unhex32(&crate::model::hex(draws.get(0..32).unwrap_or_default()));
    let init_sk = crate::util::unhex32(&crate::model::hex(draws.get(32..64).unwrap_or_default()));
    let ikm_e = draws.get(64..96).unwrap_or_default().to_vec();
    let mk = MemberKey::from_seed(&mk_seed);
    ensure(
        redeem.body.member_key.0 == *mk.public_key().as_bytes(),
        "joiner member key from the stream",
    )?;
    let jik = IdentityKey::from_seed(&joiner_ik_seed);
    let cert = jik.certify_member(HOST_URL, &real_cid, &mk.public_key());
    let jr = JoinRequest {
        identity: EdPublic(*jik.public_key().as_bytes()),
        member_key: EdPublic(*mk.public_key().as_bytes()),
        init_key: XPublic(
            *x25519::SecretKey::from_bytes(init_sk)
                .public_key()
                .as_bytes(),
        )
        .into(),
        member_cert: hearth_wire::Signature(cert.to_bytes()),
        name: BoundedText::new("Joiner")?,
        ext: None,
    };
    let jr_bytes = jr.to_vec();
    let join_content = encode_with(|e| {
        e.array(3)
            .bytes(&real_cid)
            .bytes(&d.invite_id)
            .bytes(&jr_bytes);
    });
    let jsig = labelled::sign_with_label(
        jik.signing_key(),
        label::JOIN,
        crate::util::with_raw(&join_content),
    );
    let sjr = SignedJoinRequest {
        join_request: SignedBytes::from_bytes(jr_bytes.clone()),
        signature: hearth_wire::Signature(jsig.to_bytes()),
    }
    .to_vec();
    let info = join_seal_info(&real_cid, &d.invite_id);
    let aad = join_seal_aad(&real_cid, &d.invite_id, mk.public_key().as_bytes());
    let k = crate::util::rfc9180::schedule(
        1,
        &ikm_e,
        &uri.invite.inviter_key.0,
        &info,
        &d.psk,
        &d.invite_id,
    )?;
    let ct = crate::util::rfc9180::seal(&k.key, &k.base_nonce, 0, &aad, &sjr)?;
    ensure(
        k.enc == redeem.body.sealed.enc.0 && ct.as_slice() == redeem.body.sealed.ct.as_slice(),
        "independent join seal matches the library's",
    )?;
    let pop_content = encode_with(hearth_crypto::invite::redeem_pop_content(
        HOST_URL,
        &real_cid,
        &d.invite_id,
        &d.auth_pub,
    ));
    let pj = PendingJoin {
        invite_id: redeem.body.invite_id,
        member_key: redeem.body.member_key,
        sealed: redeem.body.sealed.clone(),
        redeemed_at: Secs(now + 1),
    };
    // A fresh copy of the inviter's invitation per check (each processes one PendingJoin).
    let fresh_invitation = || -> R<hearth_crypto::invite::Invitation> {
        let mut g2 = mk_group(0x41)?;
        Ok(g2
            .create_invitation(ConversationId(arr16(0xcc)), 2_000_000_000)?
            .registered())
    };
    let mut inv_ok = fresh_invitation()?;
    let vj = inv_ok.process_join(&pj)?;
    // §5.8.1: the short authentication string, independently from the exporter secret.
    let sas_ctx = encode_with(|e| {
        e.array(2)
            .text(&label::JOIN_SAS.wire())
            .array(6)
            .bytes(&real_cid)
            .bytes(&d.invite_id)
            .bytes(&uri.invite.inviter_key.0)
            .bytes(&uri.invite.inviter_fpr.0)
            .bytes(jik.public_key().as_bytes())
            .bytes(mk.public_key().as_bytes());
    });
    let sas_bytes = crate::util::rfc9180::export(&k.exporter_secret, &sas_ctx, 4)?;
    let sas_value = sas_bytes
        .as_slice()
        .try_into()
        .map(|b: [u8; 4]| u32::from_be_bytes(b) % 1_000_000)
        .map_err(|_| GenError("sas bytes".into()))?;
    ensure(
        vj.sas().value() == sas_value && pending.sas() == vj.sas(),
        "both sides' short authentication string matches the independent derivation",
    )?;
    let base = |id: &str, d2: &str| {
        Case::new(id, d2, &["HRT-INV-35"])
            .input("inviter_key_private", hx(&[0u8; 0]))
            .input("channel_id", hx(&real_cid))
            .input("host_url", HOST_URL)
            .input("invite_secret", hx(&real_secret))
    };
    let inviter_sk_bytes = {
        let mut r = HearthRng::danger_seeded(arr32(0x42));
        let mut b = [0u8; 16 + 32 + 32 + 32 + 32 + 32];
        rand_core::RngCore::fill_bytes(&mut r, &mut b);
        b.get(144..176).unwrap_or_default().to_vec()
    };
    ensure(
        *x25519::SecretKey::from_bytes(crate::util::unhex32(&crate::model::hex(&inviter_sk_bytes)))
            .public_key()
            .as_bytes()
            == uri.invite.inviter_key.0,
        "inviter key from the stream",
    )?;
    cases.push(
        base(
            "invite-join-sealed-valid",
            "the joiner's sealed join with fixed randomness; the inviter opens and checks it",
        )
        .req("HRT-INV-25")
        .req("HRT-INV-26")
        .req("HRT-INV-27")
        .req("HRT-INV-28")
        .req("HRT-INV-37")
        .req("HRT-INV-39")
        .req("HRT-INV-41")
        .req("HRT-INV-63")
        .req("HRT-INV-64")
        .req("HRT-CRYPTO-44")
        .input("inviter_key_private", hx(&inviter_sk_bytes))
        .input("joiner_identity_seed", hx(&joiner_ik_seed))
        .input("joiner_generator_seed", hx(&joiner_rng))
        .input("joiner_name", "Joiner")
        .input("pending_join", hx(&pj.to_vec()))
        .mid("01_member_key_seed", hx(&mk_seed))
        .mid("02_init_private_key", hx(&init_sk))
        .mid("03_ikm_e", hx(&ikm_e))
        .mid("04_member_cert", hx(&cert.to_bytes()))
        .mid("05_join_request", hx(&jr_bytes))
        .mid(
            "06_join_signing_input",
            hx(&labelled::signing_input(
                label::JOIN,
                crate::util::with_raw(&join_content),
            )),
        )
        .mid("07_signed_join_request", hx(&sjr))
        .mid("08_join_seal_info", hx(&info))
        .mid("09_join_seal_aad", hx(&aad))
        .mid("10_psk", hx(&d.psk))
        .mid("11_psk_id", hx(&d.invite_id))
        .mid("12_hpke_shared_secret", hx(&k.shared_secret))
        .mid("13_hpke_key", hx(&k.key))
        .mid("14_hpke_base_nonce", hx(&k.base_nonce))
        .mid(
            "15_pop_signing_input",
            hx(&labelled::signing_input(
                hearth_crypto::invite::REDEEM_POP_LABEL,
                crate::util::with_raw(&pop_content),
            )),
        )
        .mid("16_hpke_exporter_secret", hx(&k.exporter_secret))
        .mid("17_sas_exporter_context", hx(&sas_ctx))
        .mid("18_sas_bytes", hx(&sas_bytes))
        .out("invite_redeem_body", hx(&redeem.body.to_vec()))
        .out("joiner_fingerprint", hx(vj.fingerprint().as_bytes()))
        .out("proposed_name", vj.proposed_name())
        .out("sas", u64::from(sas_value))
        .out("sas_display", vj.sas().to_string()),
    );
    // Rejected pending joins: each sealed correctly except for one defect.
    let seal = |pt: &[u8], mk_pub: &[u8; 32]| -> R<HpkeSealed> {
        let aad = join_seal_aad(&real_cid, &d.invite_id, mk_pub);
        let (enc, mut ctx) = Hpke::SUITE_1.danger_setup_s_derand(
            Mode::Psk,
            &x25519::PublicKey::from_bytes(uri.invite.inviter_key.0),
            &info,
            &d.psk,
            &d.invite_id,
            &ikm_e,
        )?;
        let ct = ctx.seal(&aad, pt)?;
        Ok(HpkeSealed {
            enc: XPublic(*enc.as_bytes()),
            ct: BoundedBytes::new(ct)?,
        })
    };
    let sign_jr = |jr: &JoinRequest, key: &IdentityKey| -> Vec<u8> {
        let jb = jr.to_vec();
        let c = encode_with(|e| {
            e.array(3).bytes(&real_cid).bytes(&d.invite_id).bytes(&jb);
        });
        let s =
            labelled::sign_with_label(key.signing_key(), label::JOIN, crate::util::with_raw(&c));
        SignedJoinRequest {
            join_request: SignedBytes::from_bytes(jb),
            signature: hearth_wire::Signature(s.to_bytes()),
        }
        .to_vec()
    };
    let mkp = *mk.public_key().as_bytes();
    let other_mk = *MemberKey::from_seed(&arr32(0x77)).public_key().as_bytes();
    let mut jr_other_mk = jr.clone();
    jr_other_mk.member_key = EdPublic(other_mk);
    let mut jr_bad_cert = jr.clone();
    jr_bad_cert.member_cert.0[1] ^= 0x40;
    let mut jr_small_init = jr.clone();
    jr_small_init.init_key = XPublic([0; 32]).into();
    let mut jr_weak_ik = jr.clone();
    let mut ident = [0u8; 32];
    ident[0] = 1;
    jr_weak_ik.identity = EdPublic(ident);
    let mut sjr_bad_sig = SignedJoinRequest::decode(&sjr)?;
    sjr_bad_sig.signature.0[0] ^= 1;
    let mut ct_flip = pj.clone();
    ct_flip.sealed.ct = BoundedBytes::new(flip(pj.sealed.ct.as_slice().to_vec(), 0, 1))?;
    let mut wrong_mk = pj.clone();
    wrong_mk.member_key = EdPublic(other_mk);
    let variants: Vec<(&str, &str, PendingJoin, &[&str])> = vec![
        (
            "ct-tampered",
            "the sealed join request was altered",
            ct_flip,
            &["HRT-INV-37"],
        ),
        (
            "pending-member-key-differs",
            "the host's PendingJoin names another member key than the sealed aad",
            wrong_mk,
            &["HRT-INV-37"],
        ),
        (
            "not-a-signed-join-request",
            "the sealed plaintext is not a SignedJoinRequest",
            PendingJoin {
                sealed: seal(&[0xa0], &mkp)?,
                ..pj.clone()
            },
            &["HRT-INV-38"],
        ),
        (
            "bad-join-signature",
            "the join signature does not verify",
            PendingJoin {
                sealed: seal(&sjr_bad_sig.to_vec(), &mkp)?,
                ..pj.clone()
            },
            &["HRT-INV-39"],
        ),
        (
            "join-request-other-member-key",
            "JoinRequest key 2 differs from the PendingJoin's member key",
            PendingJoin {
                sealed: seal(&sign_jr(&jr_other_mk, &jik), &mkp)?,
                ..pj.clone()
            },
            &["HRT-INV-40"],
        ),
        (
            "bad-member-cert",
            "the member certificate does not verify",
            PendingJoin {
                sealed: seal(&sign_jr(&jr_bad_cert, &jik), &mkp)?,
                ..pj.clone()
            },
            &["HRT-INV-41"],
        ),
        (
            "small-order-init-key",
            "the init key is a small-order X25519 point",
            PendingJoin {
                sealed: seal(&sign_jr(&jr_small_init, &jik), &mkp)?,
                ..pj.clone()
            },
            &["HRT-INV-50"],
        ),
        (
            "weak-identity-key",
            "the identity key is the identity point",
            PendingJoin {
                sealed: seal(&sign_jr(&jr_weak_ik, &jik), &mkp)?,
                ..pj.clone()
            },
            &["HRT-KEY-24", "HRT-INV-39"],
        ),
    ];
    for (slug, d2, p, reqs) in variants {
        let mut inv = fresh_invitation()?;
        let e = inv
            .process_join(&p)
            .err()
            .ok_or_else(|| GenError(format!("join {slug} accepted")))?;
        // HRT-INV-62: a join that does not open leaves the invitation open; HRT-INV-59: one
        // that opens uses it up, whatever the later checks say.
        ensure(
            inv.is_open() == (e == hearth_crypto::ProtocolError::DecryptFailed),
            &format!("join {slug}: the invitation is used up exactly when the join opened"),
        )?;
        let mut c = base(&format!("invite-join-{slug}"), d2)
            .req("HRT-INV-36")
            .input("inviter_key_private", hx(&inviter_sk_bytes))
            .input("pending_join", hx(&p.to_vec()))
            .err(Expected::protocol(e));
        for r in reqs {
            c = c.req(r);
        }
        cases.push(c);
    }
    let _ = Enc::from_bytes;
    Ok(VectorFile {
        family: "invite",
        description: "Invitations (spec §5): derived values, the URI and its parsing steps, the joiner's sealed join with fixed randomness (member key, init key and HPKE ikmE drawn from a seeded generator) and the inviter's checks of a pending join."
            .into(),
        seed: "inviter identity seed 4142..60 and generator seed 4243..61; joiner identity seed 4243..61 and generator seed 4344..62 (32 consecutive bytes each)".into(),
        cases,
    })
}
