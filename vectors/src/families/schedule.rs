//! Families `schedule` (the key schedule per epoch, spec §6.4) and `ratchet` (sender ratchets,
//! spec §6.14), and the derivation helpers the scenario and the worked example share.

use hearth_crypto::hazmat::label::{self, ExporterLabel};
use hearth_crypto::hazmat::labelled::{self, bstr};
use hearth_crypto::Secret32;
use hearth_wire::group::{GroupContext, RosterEntry};
use hearth_wire::{
    encode_with, BoundedBytes, ChannelId, EdPublic, Epoch, ExtMap, Hash, Role, Signature, Suite,
    Version, WireEncode, XPublic,
};
use serde_json::Value;

use crate::model::{hx, Case, Expected, GenError, VectorFile, R};
use crate::util::{arr16, arr32};

/// Every value of one epoch's key schedule.
#[derive(Clone, Debug)]
pub struct EpochKeys {
    /// `Extract(init_secret[n-1], commit_secret)` (absent for epoch 0).
    pub prk: Option<[u8; 32]>,
    /// `joiner_secret[n]` (absent for epoch 0).
    pub joiner: Option<[u8; 32]>,
    /// `welcome_secret[n]` (absent for epoch 0).
    pub welcome_secret: Option<[u8; 32]>,
    /// The welcome key (absent for epoch 0).
    pub welcome_key: Option<[u8; 32]>,
    /// The welcome nonce (absent for epoch 0).
    pub welcome_nonce: Option<[u8; 12]>,
    /// `epoch_secret[n]`.
    pub epoch_secret: [u8; 32],
    /// `app_secret[n]`.
    pub app: [u8; 32],
    /// `confirm_key[n]`.
    pub confirm_key: [u8; 32],
    /// `exporter_secret[n]`.
    pub exporter: [u8; 32],
    /// `epoch_authenticator[n]`.
    pub authenticator: [u8; 32],
    /// `init_secret[n]`.
    pub init: [u8; 32],
    /// `MAC(confirm_key[n], "confirm", cth[n])`.
    pub confirmation_tag: [u8; 32],
}

fn s32(b: &[u8; 32]) -> Secret32 {
    Secret32::from_bytes(*b)
}

/// The schedule below `epoch_secret` (§6.4).
pub fn from_epoch_secret(epoch_secret: [u8; 32], cth: &[u8]) -> EpochKeys {
    let es = s32(&epoch_secret);
    let confirm_key = *labelled::derive_secret(&es, label::CONFIRM_KEY).danger_expose();
    EpochKeys {
        prk: None,
        joiner: None,
        welcome_secret: None,
        welcome_key: None,
        welcome_nonce: None,
        epoch_secret,
        app: *labelled::derive_secret(&es, label::APP).danger_expose(),
        confirm_key,
        exporter: *labelled::derive_secret(&es, label::EXPORTER).danger_expose(),
        authenticator: *labelled::derive_secret(&es, label::AUTHENTICATION).danger_expose(),
        init: *labelled::derive_secret(&es, label::INIT).danger_expose(),
        confirmation_tag: *labelled::mac(&s32(&confirm_key), label::CONFIRM, bstr(cth)).as_bytes(),
    }
}

/// The schedule of epoch `n >= 1` from `joiner_secret[n]`.
pub fn from_joiner(joiner: [u8; 32], gc_hash: &[u8; 32], cth: &[u8]) -> EpochKeys {
    let js = s32(&joiner);
    let ws = labelled::derive_secret(&js, label::WELCOME);
    let wk = labelled::expand_with_label::<32>(&ws, label::WELCOME_KEY, bstr(&[]));
    let wn = labelled::expand_with_label::<12>(&ws, label::WELCOME_NONCE, bstr(&[]));
    let es = labelled::expand_with_label::<32>(&js, label::EPOCH, bstr(gc_hash));
    let mut k = from_epoch_secret(*es.danger_expose(), cth);
    k.joiner = Some(joiner);
    k.welcome_secret = Some(*ws.danger_expose());
    k.welcome_key = Some(*wk.danger_expose());
    k.welcome_nonce = Some(*wn.danger_expose());
    k
}

/// The schedule of epoch `n >= 1` from `init_secret[n-1]` and `commit_secret`.
pub fn derive_epoch(
    init_prev: &[u8; 32],
    commit_secret: &[u8; 32],
    gc_hash: &[u8; 32],
    cth: &[u8],
) -> EpochKeys {
    let prk = labelled::extract(init_prev, commit_secret);
    let joiner = labelled::expand_with_label::<32>(&prk, label::JOINER, bstr(gc_hash));
    let mut k = from_joiner(*joiner.danger_expose(), gc_hash, cth);
    k.prk = Some(*prk.danger_expose());
    k
}

/// `(commit key, commit nonce)` of §6.8 for `commit_secret`, the channel and the base epoch.
pub fn commit_key_nonce(
    commit_secret: &[u8; 32],
    cid: &[u8; 16],
    base_epoch: u64,
) -> ([u8; 32], [u8; 12]) {
    let cs = s32(commit_secret);
    let ctx = |e: &mut hearth_wire::Encoder| {
        e.array(2).bytes(cid).uint(base_epoch);
    };
    let ck = labelled::expand_with_label::<32>(&cs, label::COMMIT_KEY, ctx);
    let cn = labelled::expand_with_label::<12>(&cs, label::COMMIT_NONCE, ctx);
    (*ck.danger_expose(), *cn.danger_expose())
}

/// One generation of a sender chain.
#[derive(Clone, Debug)]
pub struct Gen {
    /// `s[l][g]`.
    pub chain: [u8; 32],
    /// `key_g`.
    pub key: [u8; 32],
    /// `nonce_g`.
    pub nonce: [u8; 12],
}

/// `s[l][0]` and generations `0..=upto` of leaf `leaf` (§6.14).
pub fn sender_chain(app: &[u8; 32], leaf: u64, upto: u64) -> ([u8; 32], Vec<Gen>) {
    let base = labelled::expand_with_label::<32>(&s32(app), label::SENDER, |e| {
        e.uint(leaf);
    });
    let mut s = *base.danger_expose();
    let mut out = Vec::new();
    for g in 0..=upto {
        let ss = s32(&s);
        let key = labelled::expand_with_label::<32>(&ss, label::RATCHET_KEY, |e| {
            e.uint(g);
        });
        let nonce = labelled::expand_with_label::<12>(&ss, label::RATCHET_NONCE, |e| {
            e.uint(g);
        });
        let next = labelled::expand_with_label::<32>(&ss, label::RATCHET_NEXT, |e| {
            e.uint(g);
        });
        out.push(Gen {
            chain: s,
            key: *key.danger_expose(),
            nonce: *nonce.danger_expose(),
        });
        s = *next.danger_expose();
    }
    (*base.danger_expose(), out)
}

/// `Exporter(label, context, L)` from `exporter_secret` (§6.4.1).
pub fn exporter(
    exporter_secret: &[u8; 32],
    l: &str,
    context: &[u8],
    len: usize,
) -> R<(Vec<u8>, Vec<u8>)> {
    let el = ExporterLabel::new(l).ok_or_else(|| GenError("exporter label".into()))?;
    let wire = el.wire();
    let info = encode_with(|e| {
        e.array(3).uint(32).text(&wire).bytes(&[]);
    });
    let hk = hkdf::Hkdf::<sha2::Sha256>::from_prk(exporter_secret)
        .map_err(|_| GenError("prk".into()))?;
    let mut derived = [0u8; 32];
    hk.expand(&info, &mut derived)
        .map_err(|_| GenError("expand".into()))?;
    let out = labelled::expand_with_label_len(&s32(&derived), label::EXPORTED, bstr(context), len)?;
    Ok((derived.to_vec(), out.as_slice().to_vec()))
}

/// A synthetic roster for the schedule vectors.
fn roster(n: usize, salt: u8) -> Vec<RosterEntry> {
    (0..n)
        .map(|i| {
            let b = salt.wrapping_add((i as u8).wrapping_mul(16));
            RosterEntry {
                member_key: EdPublic(arr32(b)),
                init_key: XPublic(arr32(b.wrapping_add(1))).into(),
                role: if i == 0 { Role::Admin } else { Role::Member },
                identity: EdPublic(arr32(b.wrapping_add(2))),
                cert: Signature([b.wrapping_add(3); 64]),
            }
        })
        .collect()
}

/// `H("roster", [Roster, nu])`, `nu` the ascending `needs_update` leaves (spec §6.2).
pub fn roster_hash(entries: &[RosterEntry], nu: &[u64]) -> [u8; 32] {
    labelled::h(label::ROSTER, |e| {
        e.array(2).array(entries.len());
        for x in entries {
            x.encode(e);
        }
        e.array(nu.len());
        for l in nu {
            e.uint(*l);
        }
    })
}

/// The GroupContext and its hash.
pub fn group_context(
    cid: [u8; 16],
    epoch: u64,
    entries: &[RosterEntry],
    nu: &[u64],
    cth: &[u8],
) -> R<(Vec<u8>, [u8; 32])> {
    let gc = GroupContext {
        version: Version,
        suite: Suite::X25519_SHA256_AES256GCM_ED25519,
        channel_id: ChannelId(cid),
        epoch: Epoch(epoch),
        roster_hash: Hash(roster_hash(entries, nu)),
        cth: BoundedBytes::new(cth.to_vec())?,
        ext: ExtMap::new(),
    };
    let bytes = gc.to_vec();
    let h = labelled::h(label::GC, |e| gc.encode(e));
    Ok((bytes, h))
}

/// Adds the intermediate values of `k` to a case.
pub fn add_epoch_values(mut c: Case, k: &EpochKeys) -> Case {
    if let Some(p) = k.prk {
        c = c.mid("01_extract_prk", hx(&p));
    }
    if let Some(j) = k.joiner {
        c = c.mid("02_joiner_secret", hx(&j));
    }
    if let Some(w) = k.welcome_secret {
        c = c.mid("03_welcome_secret", hx(&w));
    }
    if let Some(w) = k.welcome_key {
        c = c.mid("04_welcome_key", hx(&w));
    }
    if let Some(w) = k.welcome_nonce {
        c = c.mid("05_welcome_nonce", hx(&w));
    }
    c = c
        .mid("06_epoch_secret", hx(&k.epoch_secret))
        .mid("07_app_secret", hx(&k.app))
        .mid("08_confirm_key", hx(&k.confirm_key))
        .mid("09_exporter_secret", hx(&k.exporter))
        .mid("10_epoch_authenticator", hx(&k.authenticator))
        .mid("11_init_secret", hx(&k.init));
    // §6.5: epoch 0, made from epoch_secret[0] without a commit, has no confirmation tag.
    if k.joiner.is_some() {
        c = c.mid("12_confirmation_tag", hx(&k.confirmation_tag));
    }
    c
}

/// The `schedule` family.
pub fn schedule_family() -> R<VectorFile> {
    let mut cases = Vec::new();
    let cid = arr16(0x5c);
    let epoch0_secret = arr32(0xe0);
    let mut cth: Vec<u8> = Vec::new();
    let entries0 = roster(1, 0x10);
    let (gc0, gch0) = group_context(cid, 0, &entries0, &[], &cth)?;
    let k0 = from_epoch_secret(epoch0_secret, &cth);
    let c0 = Case::new(
        "schedule-epoch-0",
        "epoch 0: every secret below a given epoch_secret[0]; cth[0] is the empty byte string",
        &[
            "HRT-GRP-3",
            "HRT-GRP-5",
            "HRT-GRP-6",
            "HRT-GRP-8",
            "HRT-GRP-84",
        ],
    )
    .input("channel_id", hx(&cid))
    .input("epoch", 0)
    .input("epoch_secret", hx(&epoch0_secret))
    .input("roster_cbor", hx(&encode_roster(&entries0)))
    .input("needs_update_leaves", serde_json::Value::Array(vec![]))
    .input("cth", hx(&cth))
    .mid("00_roster_hash", hx(&roster_hash(&entries0, &[])))
    .mid("00_group_context", hx(&gc0))
    .mid("00_gc_hash", hx(&gch0));
    cases.push(
        add_epoch_values(c0, &k0)
            .out("epoch_authenticator", hx(&k0.authenticator))
            .out("init_secret", hx(&k0.init)),
    );
    let mut init_prev = k0.init;
    for n in 1u64..=3 {
        let commit_secret = arr32(0x30u8.wrapping_add(n as u8 * 0x20));
        let tbs = crate::util::bytes_seq(n as u8, 40 + n as usize);
        let new_cth = labelled::h(label::CTH, |e| {
            e.array(2).bytes(&cth).bytes(&tbs);
        });
        let entries = roster(n as usize + 1, 0x10);
        // The member added last has not committed yet: its needs_update flag is set.
        let nu = [n];
        let (gc, gch) = group_context(cid, n, &entries, &nu, &new_cth)?;
        let k = derive_epoch(&init_prev, &commit_secret, &gch, &new_cth);
        let (ck, cn) = commit_key_nonce(&commit_secret, &cid, n - 1);
        let (exp_derived, exp_out) = exporter(&k.exporter, "call-keys", b"ctx", 40)?;
        let base = |id: String, d: &str| {
            Case::new(
                id,
                d,
                &[
                    "HRT-GRP-84",
                    "HRT-GRP-3",
                    "HRT-GRP-4",
                    "HRT-GRP-5",
                    "HRT-GRP-7",
                ],
            )
            .input("channel_id", hx(&cid))
            .input("epoch", n)
            .input("init_secret_prev", hx(&init_prev))
            .input("commit_secret", hx(&commit_secret))
            .input("roster_cbor", hx(&encode_roster(&entries)))
            .input(
                "needs_update_leaves",
                serde_json::Value::Array(vec![n.into()]),
            )
            .input("cth_prev", hx(&cth))
            .input("tbs_bytes", hx(&tbs))
        };
        let c = base(
            format!("schedule-epoch-{n}"),
            "epoch n: cth[n], GroupContext[n], gc_hash[n] and every secret from init_secret[n-1] and commit_secret, with commit key/nonce and an exporter output",
        )
        .req("HRT-GRP-6")
        .req("HRT-GRP-8")
        .req("HRT-GRP-9")
        .req("HRT-GRP-21")
        .input("exporter_label", "call-keys")
        .input("exporter_context", hx(b"ctx"))
        .input("exporter_length", 40)
        .mid("00_cth", hx(&new_cth))
        .mid("00_roster_hash", hx(&roster_hash(&entries, &nu)))
        .mid("00_group_context", hx(&gc))
        .mid("00_gc_hash", hx(&gch))
        .mid("13_commit_key", hx(&ck))
        .mid("14_commit_nonce", hx(&cn))
        .mid("15_exporter_derived_secret", hx(&exp_derived));
        cases.push(
            add_epoch_values(c, &k)
                .out("confirmation_tag", hx(&k.confirmation_tag))
                .out("epoch_authenticator", hx(&k.authenticator))
                .out("init_secret", hx(&k.init))
                .out("exported", hx(&exp_out)),
        );
        // Negatives: a received confirmation tag that does not match (§6.9 step 10).
        let wrong_tag = crate::util::flip(k.confirmation_tag.to_vec(), 0, 1);
        let other_epoch =
            derive_epoch(&init_prev, &crate::util::arr32(0x01), &gch, &new_cth).confirmation_tag;
        let stale_cth_tag = from_joiner(k.joiner.unwrap_or_default(), &gch, &cth).confirmation_tag;
        for (slug, d, tag) in [
            (
                "tag-bit-flipped",
                "a received confirmation tag with a flipped bit is rejected",
                wrong_tag,
            ),
            (
                "tag-other-commit-secret",
                "a tag derived from another commit_secret is rejected",
                other_epoch.to_vec(),
            ),
            (
                "tag-over-previous-cth",
                "a tag computed over cth[n-1] instead of cth[n] is rejected",
                stale_cth_tag.to_vec(),
            ),
        ] {
            let r =
                labelled::verify_mac(&s32(&k.confirm_key), label::CONFIRM, bstr(&new_cth), &tag);
            let e = r
                .err()
                .ok_or_else(|| GenError(format!("tag {slug} verified")))?;
            cases.push(
                base(format!("schedule-epoch-{n}-{slug}"), d)
                    .req("HRT-GRP-40")
                    .input("received_confirmation_tag", hx(&tag))
                    .mid("00_cth", hx(&new_cth))
                    .mid("00_gc_hash", hx(&gch))
                    .mid("08_confirm_key", hx(&k.confirm_key))
                    .mid("12_confirmation_tag", hx(&k.confirmation_tag))
                    .err(Expected::crypto(e)),
            );
        }
        init_prev = k.init;
        cth = new_cth.to_vec();
    }
    Ok(VectorFile {
        family: "schedule",
        description: "The key schedule of spec §6.4 per epoch: roster hash, cth, GroupContext and gc_hash, joiner/welcome/epoch secrets and everything below them, commit key and nonce, the exporter; negative cases are confirmation tags that must be rejected."
            .into(),
        seed: "fixed inputs (no randomness)".into(),
        cases,
    })
}

fn encode_roster(entries: &[RosterEntry]) -> Vec<u8> {
    encode_with(|e| {
        e.array(entries.len());
        for x in entries {
            x.encode(e);
        }
    })
}

/// The `ratchet` family.
pub fn ratchet_family() -> R<VectorFile> {
    let mut cases = Vec::new();
    let app = arr32(0xa0);
    for (leaf, upto) in [(0u64, 3u64), (1, 2), (2, 0), (255, 1)] {
        let (base, gens) = sender_chain(&app, leaf, upto);
        let mut c = Case::new(
            format!("ratchet-leaf-{leaf}"),
            "s[l][0] = ExpandWithLabel(app_secret, \"sender\", l, 32); key_g, nonce_g and s[l][g+1] per generation",
            &["HRT-RAT-1", "HRT-RAT-2"],
        )
        .input("app_secret", hx(&app))
        .input("leaf", leaf)
        .input("generations", upto + 1)
        .mid("sender_base_secret", hx(&base));
        let mut outs = Vec::new();
        for (g, x) in gens.iter().enumerate() {
            let mut m = serde_json::Map::new();
            m.insert("generation".into(), Value::from(g as u64));
            m.insert("chain_secret".into(), hx(&x.chain));
            m.insert("key".into(), hx(&x.key));
            m.insert("nonce".into(), hx(&x.nonce));
            outs.push(Value::Object(m));
        }
        c = c.out("chain", Value::Array(outs));
        cases.push(c);
    }
    Ok(VectorFile {
        family: "ratchet",
        description: "Sender ratchets of spec §6.14 from a fixed app_secret: the base secret per leaf and key, nonce and chain secret per generation. The receiver's window rules (generation_too_far, duplicate_message) are exercised on real envelopes in envelope.json."
            .into(),
        seed: "fixed inputs (no randomness)".into(),
        cases,
    })
}
