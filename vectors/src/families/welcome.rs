//! Family `welcome` (spec §6.11, §6.12): the scenario's Welcomes and their rejected variants.

use hearth_crypto::group::PendingMember;
use hearth_crypto::hazmat::label;
use hearth_crypto::hazmat::labelled::{self, bstr};
use hearth_crypto::keys::MemberKey;
use hearth_wire::group::{GroupInfo, SignedGroupInfo, Welcome};
use hearth_wire::{
    encode_with, BoundedBytes, ChannelId, Epoch, Hash, Leaf, SignedBytes, Suite, WireDecode,
    WireEncode,
};

use crate::families::scenario::Scenario;
use crate::families::schedule::{self, EpochKeys};
use crate::model::{ensure, hx, Case, Expected, GenError, VectorFile, R};
use crate::util::{aes_gcm_open, aes_gcm_seal, flip};

/// A rejected Welcome: (slug, description, requirements, Welcome bytes, GroupInfo ciphertext,
/// anchor commit, the joiner's result).
pub type Variant = (
    String,
    String,
    Vec<String>,
    Vec<u8>,
    Vec<u8>,
    Vec<u8>,
    Expected,
);

fn gi_aad(cid: &[u8; 16], n: u64) -> Vec<u8> {
    encode_with(|e| {
        e.array(2).bytes(cid).uint(n);
    })
}

fn nonce12(n: &[u8; 12]) -> [u8; 12] {
    *n
}

/// Opens a commit's GroupInfo ciphertext with the epoch's welcome key and nonce.
pub fn open_group_info(gi_ct: &[u8], k: &EpochKeys, cid: &[u8; 16], n: u64) -> R<Vec<u8>> {
    let (wk, wn) = match (k.welcome_key, k.welcome_nonce) {
        (Some(a), Some(b)) => (a, b),
        _ => return Err(GenError("no welcome key".into())),
    };
    aes_gcm_open(&wk, &nonce12(&wn), &gi_aad(cid, n), gi_ct)
}

/// Builds the variants of a Welcome and runs the joiner on each; returns the pending member.
#[allow(clippy::too_many_arguments)]
pub fn variants(
    mut pending: PendingMember,
    w: &[u8],
    gi_ct: &[u8],
    anchor: &[u8],
    k: &EpochKeys,
    cid: [u8; 16],
    n: u64,
    inviter_mk_seed: &[u8; 32],
    now: u64,
) -> R<(PendingMember, Vec<Variant>)> {
    let wd = Welcome::decode(w)?;
    let sgi_bytes = open_group_info(gi_ct, k, &cid, n)?;
    let sgi = SignedGroupInfo::decode(&sgi_bytes)?;
    let gi = GroupInfo::decode(sgi.group_info.as_bytes())?;
    let (wk, wn) = match (k.welcome_key, k.welcome_nonce) {
        (Some(a), Some(b)) => (a, b),
        _ => return Err(GenError("no welcome key".into())),
    };
    let mk = MemberKey::from_seed(inviter_mk_seed);
    // The GroupInfo ciphertext of `gi2`, signed by the inviter (or with `sig_flip`).
    let reseal = |gi2: &GroupInfo, sig_flip: bool| -> R<Vec<u8>> {
        let gib = gi2.to_vec();
        let mut sig =
            labelled::sign_with_label(mk.signing_key(), label::GROUP_INFO, bstr(&gib)).to_bytes();
        if sig_flip {
            if let Some(b) = sig.get_mut(10) {
                *b ^= 1;
            }
        }
        let s2 = SignedGroupInfo {
            group_info: SignedBytes::from_bytes(gib),
            signature: hearth_wire::Signature(sig),
        };
        aes_gcm_seal(&wk, &wn, &gi_aad(&cid, n), &s2.to_vec())
    };
    // Self-check: resealing the unchanged GroupInfo reproduces the ciphertext.
    ensure(
        reseal(&gi, false)? == gi_ct,
        "resealed GroupInfo equals the original",
    )?;
    type Raw = (String, String, Vec<&'static str>, Vec<u8>, Vec<u8>, Vec<u8>);
    let mut out: Vec<Raw> = Vec::new();
    // A variant of the Welcome with the original GroupInfo ciphertext, or of the ciphertext
    // with the original Welcome.
    let wv = |slug: &str, d: &str, reqs: Vec<&'static str>, welcome: Vec<u8>| -> Raw {
        (
            slug.into(),
            d.into(),
            reqs,
            welcome,
            gi_ct.to_vec(),
            anchor.to_vec(),
        )
    };
    let gv = |slug: &str, d: &str, reqs: Vec<&'static str>, ct: Vec<u8>| -> Raw {
        (slug.into(), d.into(), reqs, w.to_vec(), ct, anchor.to_vec())
    };
    let mut trailing = w.to_vec();
    trailing.push(0);
    out.push(wv(
        "trailing-byte",
        "a Welcome followed by one extra byte",
        vec!["HRT-GRP-58", "HRT-WIRE-1"],
        trailing,
    ));
    let mut s2 = wd.clone();
    s2.suite = Suite(2);
    out.push(wv(
        "suite-2",
        "a Welcome naming the reserved suite 2",
        vec!["HRT-GRP-60", "HRT-CRYPTO-2", "HRT-EXT-4"],
        s2.to_vec(),
    ));
    let mut wv2 = w.to_vec();
    // Welcome = {1: 1, ...}: the value of key 1 is the third byte.
    if let Some(x) = wv2.get_mut(2) {
        *x = 0x02;
    }
    out.push(wv(
        "version-2",
        "a Welcome whose version is 2",
        vec!["HRT-GRP-59"],
        wv2,
    ));
    // GroupInfo plaintexts changed below the typed layer, signed and sealed correctly.
    let reseal_raw = |gib: Vec<u8>| -> R<Vec<u8>> {
        let sig =
            labelled::sign_with_label(mk.signing_key(), label::GROUP_INFO, bstr(&gib)).to_bytes();
        let s2 = hearth_wire::encode_with(|e| {
            e.array(2).bytes(&gib).bytes(&sig);
        });
        aes_gcm_seal(&wk, &wn, &gi_aad(&cid, n), &s2)
    };
    let gib = gi.to_vec();
    // GroupInfo = {1: [1, suite, ...], ...}: bytes 0..4 are a4 01 87 01, then the suite.
    let mut gv2 = gib.clone();
    if let Some(x) = gv2.get_mut(3) {
        *x = 0x02;
    }
    out.push(gv(
        "group-info-context-version-2",
        "a GroupInfo whose GroupContext version is 2",
        vec!["HRT-GRP-65"],
        reseal_raw(gv2)?,
    ));
    let mut gs2 = gib.clone();
    if let Some(x) = gs2.get_mut(4) {
        *x = 0x02;
    }
    out.push(gv(
        "group-info-context-suite-2",
        "a GroupInfo whose GroupContext names suite 2",
        vec!["HRT-GRP-66"],
        reseal_raw(gs2)?,
    ));
    let garbage = aes_gcm_seal(&wk, &wn, &gi_aad(&cid, n), &[0x80])?;
    out.push(gv(
        "group-info-not-signed-group-info",
        "the decrypted GroupInfo plaintext is not a SignedGroupInfo",
        vec!["HRT-GRP-64"],
        garbage,
    ));
    let mut c2 = wd.clone();
    c2.channel_id = ChannelId([0xee; 16]);
    out.push(wv(
        "other-channel",
        "a Welcome for another channel than the invitation's",
        vec!["HRT-GRP-61"],
        c2.to_vec(),
    ));
    let mut e2 = wd.clone();
    e2.epoch = Epoch(n + 1);
    out.push(wv(
        "other-epoch",
        "a Welcome whose epoch differs from the one its secrets were sealed for",
        vec!["HRT-GRP-62"],
        e2.to_vec(),
    ));
    let mut j2 = wd.clone();
    j2.joiner_secret.ct =
        BoundedBytes::new(flip(j2.joiner_secret.ct.as_slice().to_vec(), 3, 0x10))?;
    out.push(wv(
        "joiner-secret-tampered",
        "a Welcome whose sealed joiner secret was altered",
        vec!["HRT-GRP-62", "HRT-CRYPTO-33"],
        j2.to_vec(),
    ));
    out.push(gv(
        "group-info-tampered",
        "a GroupInfo ciphertext that was altered",
        vec!["HRT-GRP-80", "HRT-CRYPTO-37"],
        flip(gi_ct.to_vec(), 7, 0x01),
    ));
    out.push(gv(
        "group-info-bad-signature",
        "a GroupInfo whose signature does not verify",
        vec!["HRT-GRP-68", "HRT-GRP-52"],
        reseal(&gi, true)?,
    ));
    let mut gi_signer = gi.clone();
    gi_signer.signer = Leaf(gi.roster.len().saturating_sub(1) as u8);
    out.push(gv(
        "group-info-signer-not-inviter",
        "a GroupInfo whose signer leaf is not the inviter named in the invitation",
        vec!["HRT-INV-46"],
        reseal(&gi_signer, false)?,
    ));
    let mut gi_tag = gi.clone();
    gi_tag.confirmation_tag = Hash(crate::util::arr32(0x77));
    out.push(gv(
        "group-info-wrong-tag",
        "a GroupInfo whose confirmation tag is not the one derived from joiner_secret",
        vec!["HRT-GRP-69"],
        reseal(&gi_tag, false)?,
    ));
    let mut gi_conv = gi.clone();
    gi_conv.conversation = hearth_wire::ConversationId([0x5a; 16]);
    out.push(gv(
        "group-info-other-conversation",
        "a GroupInfo, correctly signed, that names another conversation than the invitation's",
        vec!["HRT-GRP-81", "HRT-INV-71"],
        reseal(&gi_conv, false)?,
    ));
    let mut gi_cert = gi.clone();
    {
        let mut entries = gi_cert.roster.as_slice().to_vec();
        if let Some(e) = entries.get_mut(1) {
            e.cert.0[0] ^= 1;
        }
        gi_cert.roster = hearth_wire::BoundedVec::new(entries)?;
    }
    out.push(gv(
        "group-info-cert-changed-context-not",
        "a GroupInfo roster entry changed without updating the GroupContext's roster_hash",
        vec!["HRT-GRP-70"],
        reseal(&gi_cert, false)?,
    ));
    // The same change with a consistent GroupContext and confirmation tag: only the
    // certificate check can catch it (checked without an anchor commit, whose tag differs).
    {
        let mut g3 = gi_cert.clone();
        g3.group_context.roster_hash = Hash(schedule::roster_hash(
            g3.roster.as_slice(),
            &leaves(&g3.needs_update),
        ));
        let gch = labelled::h(label::GC, |e| g3.group_context.encode(e));
        let joiner = k.joiner.ok_or_else(|| GenError("joiner".into()))?;
        let k3 = schedule::from_joiner(joiner, &gch, g3.group_context.cth.as_slice());
        g3.confirmation_tag = Hash(k3.confirmation_tag);
        let mut g4 = gi.clone();
        let mut entries = g4.roster.as_slice().to_vec();
        if let Some(e) = entries.get_mut(0) {
            e.cert.0[0] ^= 1;
        }
        g4.roster = hearth_wire::BoundedVec::new(entries)?;
        g4.group_context.roster_hash = Hash(schedule::roster_hash(
            g4.roster.as_slice(),
            &leaves(&g4.needs_update),
        ));
        let gch4 = labelled::h(label::GC, |e| g4.group_context.encode(e));
        g4.confirmation_tag = Hash(
            schedule::from_joiner(joiner, &gch4, g4.group_context.cth.as_slice()).confirmation_tag,
        );
        out.push(("group-info-signer-bad-cert".into(), "a consistent GroupInfo whose signer's own member certificate does not verify; no anchor commit".into(), vec!["HRT-GRP-67"], w.to_vec(), reseal(&g4, false)?, Vec::new()));
        out.push(("group-info-bad-member-cert".into(), "a consistent GroupInfo (roster hash and tag recomputed) whose roster entry carries a certificate that does not verify; no anchor commit".into(), vec!["HRT-GRP-71"], w.to_vec(), reseal(&g3, false)?, Vec::new()));
    }
    let mut gi_epoch = gi.clone();
    gi_epoch.group_context.epoch = Epoch(n + 7);
    out.push(gv(
        "group-info-context-epoch",
        "a GroupInfo whose GroupContext epoch differs from the Welcome's",
        vec!["HRT-GRP-70"],
        reseal(&gi_epoch, false)?,
    ));
    let mut gi_rh = gi.clone();
    gi_rh.group_context.roster_hash = Hash([0x42; 32]);
    out.push(gv(
        "group-info-roster-hash",
        "a GroupInfo whose roster does not hash to the GroupContext's roster_hash",
        vec!["HRT-GRP-70"],
        reseal(&gi_rh, false)?,
    ));
    // The anchor commit.
    let bad_anchor = {
        let mut c = hearth_wire::group::Commit::decode(anchor)?;
        c.confirmation_tag = Hash(crate::util::arr32(0x99));
        c.to_vec()
    };
    out.push((
        "anchor-tag-mismatch".into(),
        "the log entry at the anchor is a commit whose tag differs from the GroupInfo's".into(),
        vec!["HRT-LOG-26"],
        w.to_vec(),
        gi_ct.to_vec(),
        bad_anchor,
    ));
    let mut results = Vec::new();
    for (slug, d, reqs, bytes, ct, anc) in out {
        let anchor_opt = if anc.is_empty() {
            None
        } else {
            Some(anc.as_slice())
        };
        match pending.accept_welcome(&bytes, &ct, anchor_opt, now) {
            Ok(_) => return Err(GenError(format!("welcome variant {slug} accepted"))),
            Err(rej) => {
                let e = Expected::protocol(rej.error);
                pending = rej.pending;
                results.push((
                    slug,
                    d,
                    reqs.iter().map(|s| (*s).to_owned()).collect(),
                    bytes,
                    ct,
                    anc,
                    e,
                ));
            }
        }
    }
    Ok((pending, results))
}

/// The `welcome` family.
pub fn welcome_family(s: &Scenario) -> R<VectorFile> {
    let mut cases = Vec::new();
    for w in &s.welcomes {
        let ep = s
            .epochs
            .iter()
            .find(|e| e.n == w.epoch)
            .ok_or_else(|| GenError("epoch".into()))?;
        let inv = s
            .invites
            .iter()
            .find(|i| i.joiner == w.joiner)
            .ok_or_else(|| GenError("invite".into()))?;
        let sgi = open_group_info(&w.group_info_ct, &ep.keys, &s.cid, w.epoch)?;
        let slug = w.joiner.to_lowercase();
        let base = |id: String, d: &str| {
            Case::new(id, d, &["HRT-GRP-57"])
                .input("channel_id", hx(&s.cid))
                .input("host_url", crate::util::HOST_URL)
                .input("invite_cbor", hx(&inv.invite_cbor))
                .input("joiner_init_private_key", hx(&w.init_sk))
                .input(
                    "joiner_member_public_key",
                    hx(MemberKey::from_seed(&inv.joiner_mk_seed)
                        .public_key()
                        .as_bytes()),
                )
                .input(
                    "joiner_identity_public_key",
                    hx(
                        hearth_crypto::keys::IdentityKey::from_seed(&inv.joiner_ik_seed)
                            .public_key()
                            .as_bytes(),
                    ),
                )
        };
        let mut c = base(
            format!("welcome-{slug}-valid"),
            "the joiner opens the Welcome, verifies the GroupInfo and installs the epoch",
        )
        .req("HRT-GRP-86")
        .req("HRT-GRP-52")
        .req("HRT-GRP-53")
        .req("HRT-GRP-62")
        .req("HRT-GRP-80")
        .req("HRT-GRP-69")
        .req("HRT-LOG-26")
        .req("HRT-INV-71")
        .input("welcome", hx(&w.bytes))
        .input("group_info_ct", hx(&w.group_info_ct))
        .input("anchor_commit", hx(&w.anchor))
        .mid(
            "00_welcome_seal_info",
            hx(&encode_with(|e| {
                e.array(2)
                    .text(&label::WELCOME_SEAL.wire())
                    .array(2)
                    .bytes(&s.cid)
                    .uint(w.epoch);
            })),
        )
        .mid("00_group_info_aad", hx(&gi_aad(&s.cid, w.epoch)))
        .mid("00_signed_group_info", hx(&sgi))
        .mid("00_gc_hash", hx(&ep.gc_hash))
        .mid("00_group_context", hx(&ep.gc));
        c = schedule::add_epoch_values(c, &ep.keys);
        cases.push(
            c.out("epoch", w.epoch)
                .out("epoch_authenticator", hx(&ep.keys.authenticator))
                .out("roster_size", ep.roster.len() as u64),
        );
        for (vslug, d, reqs, bytes, ct, anc, e) in &w.variants {
            let anchor_v = if anc.is_empty() {
                serde_json::Value::Null
            } else {
                hx(anc)
            };
            let mut c = base(format!("welcome-{slug}-{vslug}"), d)
                .input("welcome", hx(bytes))
                .input("group_info_ct", hx(ct))
                .input("anchor_commit", anchor_v)
                .err(*e);
            for r in reqs {
                c = c.req(r);
            }
            cases.push(c);
        }
    }
    Ok(VectorFile {
        family: "welcome",
        description: "Welcomes of the worked-example channel (spec §6.11, §6.12): the joiner's inputs (its init private key, the invitation, the Welcome and the commit's GroupInfo ciphertext), every intermediate value, and rejected variants with the code the joiner reports."
            .into(),
        seed: "generator seeds Alice 9192..b0, Bob a2a3..c1, Carol b3b4..d2 (32 consecutive bytes each; see spec/90-worked-example.md)".into(),
        cases,
    })
}

/// GroupInfo key 7 as leaf numbers.
fn leaves(nu: &hearth_wire::BoundedVec<hearth_wire::Leaf, 0, 256>) -> Vec<u64> {
    nu.as_slice().iter().map(|l| u64::from(l.0)).collect()
}
