//! Family `envelope` (spec §7, §6.15 receiver bounds): the scenario's envelopes opened by a
//! receiver whose state is given, and crafted variants each defective in one step of §7.5.

use hearth_crypto::hazmat::label;
use hearth_crypto::hazmat::labelled::{self, bstr};
use hearth_crypto::keys::MemberKey;
use hearth_wire::envelope::{pad_len, Content, Envelope, SealedContent};
use hearth_wire::{
    BoundedBytes, ChannelId, ContentType, Epoch, Generation, Leaf, RawValue, SignedBytes, Suite,
    WireDecode, WireEncode,
};
use serde_json::Value;

use crate::families::scenario::{EnvRec, Scenario};
use crate::families::schedule;
use crate::model::{hx, Case, Expected, GenError, VectorFile, R};
use crate::util::{aes_gcm_open, aes_gcm_seal, flip};

struct Keys {
    key: [u8; 32],
    nonce: [u8; 12],
}

fn keys_for(app: &[u8; 32], leaf: u8, g: u32) -> R<Keys> {
    let (_, gens) = schedule::sender_chain(app, u64::from(leaf), u64::from(g));
    let x = gens.last().ok_or_else(|| GenError("chain".into()))?;
    Ok(Keys {
        key: x.key,
        nonce: x.nonce,
    })
}

fn aead_nonce(k: &Keys, guard: &[u8; 4]) -> [u8; 12] {
    let mut n = k.nonce;
    for (a, b) in n.iter_mut().zip(guard) {
        *a ^= b;
    }
    n
}

/// Seals plaintext `pt` (already padded or not) into an envelope with header fields of `env`.
fn reseal(env: &Envelope, k: &Keys, pt: &[u8]) -> R<Vec<u8>> {
    let aad = env.header().to_vec();
    let ct = aes_gcm_seal(&k.key, &aead_nonce(k, &env.reuse_guard.0), &aad, pt)?;
    let mut e2 = env.clone();
    e2.ct = BoundedBytes::new(ct)?;
    Ok(e2.to_vec())
}

fn pad(mut v: Vec<u8>) -> Vec<u8> {
    let l = v.len();
    v.resize(pad_len(l), 0);
    v
}

fn msg_signing_content(gc_hash: &[u8; 32], leaf: u8, g: u32, content: &[u8]) -> Vec<u8> {
    hearth_wire::encode_with(|e| {
        e.array(4)
            .bytes(gc_hash)
            .uint(u64::from(leaf))
            .uint(u64::from(g))
            .bytes(content);
    })
}

fn sealed_content(
    mk_seed: &[u8; 32],
    gc_hash: &[u8; 32],
    leaf: u8,
    g: u32,
    content: &[u8],
) -> Vec<u8> {
    let mk = MemberKey::from_seed(mk_seed);
    let sig = labelled::sign_with_label(
        mk.signing_key(),
        label::MSG,
        crate::util::with_raw(&msg_signing_content(gc_hash, leaf, g, content)),
    );
    SealedContent {
        content: SignedBytes::from_bytes(content.to_vec()),
        signature: hearth_wire::Signature(sig.to_bytes()),
    }
    .to_vec()
}

fn roster_json(s: &Scenario, epoch: u64) -> R<Value> {
    let e = s
        .epochs
        .iter()
        .find(|x| x.n == epoch)
        .ok_or_else(|| GenError("epoch".into()))?;
    Ok(Value::Array(
        e.roster.iter().map(|r| hx(&r.member_key.0)).collect(),
    ))
}

/// The `envelope` family.
#[allow(clippy::too_many_lines)]
pub fn envelope_family(s: &Scenario) -> R<VectorFile> {
    let mut cases = Vec::new();
    for r in &s.envelopes {
        let ep = s
            .epochs
            .iter()
            .find(|e| e.n == r.epoch)
            .ok_or_else(|| GenError("epoch".into()))?;
        let env = Envelope::decode(&r.bytes)?;
        let k = keys_for(&ep.keys.app, r.leaf, r.generation)?;
        let (base_secret, _) = schedule::sender_chain(&ep.keys.app, u64::from(r.leaf), 0);
        let aad = env.header().to_vec();
        let nonce = aead_nonce(&k, &env.reuse_guard.0);
        let pt = aes_gcm_open(&k.key, &nonce, &aad, env.ct.as_slice())?;
        let (sc, l) = SealedContent::decode_padded(&pt)?;
        let content_bytes = sc.content.as_bytes().to_vec();
        let content = Content::decode(&content_bytes)?;
        let base = |id: String, d: &str, reqs: &[&str]| -> R<Case> {
            let mut c = Case::new(id, d, &["HRT-MSG-10"])
                .input("receiver", r.receiver_name)
                .input("channel_id", hx(&s.cid))
                .input("epoch", r.epoch)
                .input("app_secret", hx(&ep.keys.app))
                .input("gc_hash", hx(&ep.gc_hash))
                .input("roster_member_keys", roster_json(s, r.epoch)?)
                .input("previously_opened", Value::Array(vec![]));
            for q in reqs {
                c = c.req(q);
            }
            Ok(c)
        };
        let slug = r.slug;
        let valid = base(format!("envelope-{slug}"), "a receiver opens the envelope: ratchet keys, reuse guard, aad, AES-256-GCM, padding, SealedContent, inner signature", &["HRT-CRYPTO-35", "HRT-MSG-4", "HRT-MSG-5", "HRT-MSG-8", "HRT-MSG-9", "HRT-MSG-21", "HRT-RAT-1", "HRT-RAT-2", "HRT-MSG-31"])?
            .input("envelope", hx(&r.bytes))
            .mid("01_sender_base_secret", hx(&base_secret))
            .mid("02_key", hx(&k.key))
            .mid("03_nonce", hx(&k.nonce))
            .mid("04_reuse_guard", hx(&env.reuse_guard.0))
            .mid("05_aead_nonce", hx(&nonce))
            .mid("06_aad", hx(&aad))
            .mid("07_plaintext", hx(&pt))
            .mid("08_sealed_content_length", l as u64)
            .mid("09_pad_len", pad_len(l) as u64)
            .mid("10_content", hx(&content_bytes))
            .mid("11_signing_input", hx(&labelled::signing_input(label::MSG, crate::util::with_raw(&msg_signing_content(&ep.gc_hash, r.leaf, r.generation, &content_bytes)))))
            .out("sender", u64::from(r.leaf))
            .out("generation", u64::from(r.generation))
            .out("text", r.text)
            .out("content_type", 0)
            .out("msg_ref", hx(&r.msg_ref))
            .out("seen_seq", content.seen_seq.0)
            .out("seen_head", hx(content.seen_head.as_slice()))
            .out("prev", content.prev.map(|p| hx(&p.0)).unwrap_or(Value::Null))
            .out("sent_at_ms", content.sent_at_ms)
            .req("HRT-MSG-26")
            .req("HRT-MSG-28")
            .req("HRT-MSG-30")
            .req("HRT-LOG-30")
            .req("HRT-LOG-34");
        check(r, &r.bytes, &[], None)?;
        cases.push(valid);
        // Variants.
        let mut vars: Vec<(String, String, Vec<&'static str>, Vec<u8>, Vec<Vec<u8>>)> = Vec::new();
        let mut add = |sl: &str, d: &str, reqs: &[&'static str], b: Vec<u8>| {
            vars.push((sl.to_owned(), d.to_owned(), reqs.to_vec(), b, Vec::new()));
        };
        let mut e2 = env.clone();
        e2.ct = BoundedBytes::new(flip(env.ct.as_slice().to_vec(), 5, 0x04))?;
        add(
            "ct-tampered",
            "a ciphertext with one flipped bit",
            &["HRT-MSG-16", "HRT-CRYPTO-37"],
            e2.to_vec(),
        );
        let mut e2 = env.clone();
        e2.reuse_guard.0[0] ^= 1;
        add(
            "reuse-guard-altered",
            "a header whose reuse guard was altered (aad and nonce change)",
            &["HRT-MSG-4", "HRT-MSG-5"],
            e2.to_vec(),
        );
        let mut e2 = env.clone();
        e2.epoch = Epoch(r.epoch + 1);
        add(
            "wrong-epoch",
            "an envelope naming an epoch the receiver does not hold",
            &["HRT-MSG-14"],
            e2.to_vec(),
        );
        let mut e2 = env.clone();
        e2.sender = Leaf(9);
        add(
            "unknown-sender",
            "an envelope whose sender leaf is not in the roster",
            &["HRT-MSG-15"],
            e2.to_vec(),
        );
        let mut e2 = env.clone();
        e2.channel_id = ChannelId([0xee; 16]);
        add(
            "other-channel",
            "an envelope naming another channel",
            &["HRT-MSG-13"],
            e2.to_vec(),
        );
        let mut e2 = env.clone();
        e2.suite = Suite(2);
        add(
            "suite-2",
            "an envelope naming the reserved suite 2",
            &["HRT-MSG-12", "HRT-CRYPTO-2", "HRT-EXT-4", "HRT-EXT-6"],
            e2.to_vec(),
        );
        let mut v2 = r.bytes.clone();
        if let Some(b) = v2.get_mut(1) {
            *b = 0x02;
        }
        add(
            "version-2",
            "an envelope whose version element is 2",
            &["HRT-MSG-11"],
            v2,
        );
        let mut t = r.bytes.clone();
        t.push(0);
        add(
            "trailing-byte",
            "an envelope followed by one extra byte",
            &["HRT-WIRE-1"],
            t,
        );
        let mut e2 = env.clone();
        e2.generation = Generation(r.generation + 1001);
        add(
            "generation-too-far",
            "a generation more than 1000 beyond the highest opened",
            &["HRT-RAT-7"],
            e2.to_vec(),
        );
        // Padding.
        let scb = sc.to_vec();
        let mut nz = pt.clone();
        if let Some(b) = nz.last_mut() {
            *b = 0x01;
        }
        add(
            "padding-nonzero",
            "a plaintext whose last padding byte is 0x01",
            &["HRT-MSG-19"],
            reseal(&env, &k, &nz)?,
        );
        let mut long = pt.clone();
        long.extend_from_slice(&[0u8; 32]);
        add(
            "padding-too-long",
            "a plaintext padded 32 bytes beyond pad_len(L)",
            &["HRT-MSG-18"],
            reseal(&env, &k, &long)?,
        );
        if scb.len() != pad_len(scb.len()) {
            add(
                "padding-missing",
                "a plaintext without its padding",
                &["HRT-MSG-18", "HRT-MSG-8"],
                reseal(&env, &k, &scb)?,
            );
        }
        add(
            "not-sealed-content",
            "a plaintext that does not begin with a SealedContent",
            &["HRT-MSG-17"],
            reseal(&env, &k, &pad(vec![0xa0]))?,
        );
        let mut bad_sig = sc.clone();
        bad_sig.signature.0[3] ^= 0x20;
        add(
            "inner-signature-bad",
            "a SealedContent whose inner signature does not verify",
            &["HRT-MSG-21", "HRT-MSG-6"],
            reseal(&env, &k, &pad(bad_sig.to_vec()))?,
        );
        let other_gen = sealed_content(
            &r.sender_mk_seed,
            &ep.gc_hash,
            r.leaf,
            r.generation + 1,
            &content_bytes,
        );
        add(
            "inner-signature-other-generation",
            "an inner signature made for another generation",
            &["HRT-MSG-21", "HRT-MSG-6"],
            reseal(&env, &k, &pad(other_gen))?,
        );
        let mut c = Content::decode(&content_bytes)?;
        c.seen_seq = hearth_wire::Seq(0);
        c.seen_head = BoundedBytes::new(vec![0x55; 32])?;
        let sc2 = sealed_content(
            &r.sender_mk_seed,
            &ep.gc_hash,
            r.leaf,
            r.generation,
            &c.to_vec(),
        );
        add(
            "seen-head-without-seq",
            "a Content with seen_seq 0 and a 32-byte seen_head",
            &["HRT-MSG-29", "HRT-LOG-31"],
            reseal(&env, &k, &pad(sc2))?,
        );
        let mut c = Content::decode(&content_bytes)?;
        c.body = RawValue::empty_map();
        let sc2 = sealed_content(
            &r.sender_mk_seed,
            &ep.gc_hash,
            r.leaf,
            r.generation,
            &c.to_vec(),
        );
        add(
            "text-body-malformed",
            "a text Content whose body lacks the text key",
            &["HRT-MSG-23"],
            reseal(&env, &k, &pad(sc2))?,
        );
        let mut extra_key = content_bytes.clone();
        if let Some(b) = extra_key.first_mut() {
            *b += 1;
        }
        extra_key.extend_from_slice(&[0x09, 0x00]);
        let sc2 = sealed_content(
            &r.sender_mk_seed,
            &ep.gc_hash,
            r.leaf,
            r.generation,
            &extra_key,
        );
        add(
            "content-unknown-key",
            "a Content with an unknown key 9",
            &["HRT-MSG-20", "HRT-WIRE-12"],
            reseal(&env, &k, &pad(sc2))?,
        );
        // Duplicate: the receiver has opened this envelope before.
        vars.push((
            "duplicate".into(),
            "the same envelope a second time".into(),
            vec!["HRT-RAT-9", "HRT-MSG-25"],
            r.bytes.clone(),
            vec![r.bytes.clone()],
        ));
        for (vs, d, reqs, b, prior) in vars {
            let e = check(r, &b, &prior, None)?
                .ok_or_else(|| GenError(format!("envelope variant {slug}/{vs} opened")))?;
            cases.push(
                base(format!("envelope-{slug}-{vs}"), &d, &reqs)?
                    .req("HRT-RAT-11")
                    .req("HRT-MSG-24")
                    .input("envelope", hx(&b))
                    .input(
                        "previously_opened",
                        Value::Array(prior.iter().map(|p| hx(p)).collect()),
                    )
                    .err(e),
            );
        }
        // Positive: an unknown content type is accepted (HRT-MSG-37).
        if slug == "alice-hi-bob" {
            let mut c = Content::decode(&content_bytes)?;
            c.content_type = ContentType(4000);
            let sc2 = sealed_content(
                &r.sender_mk_seed,
                &ep.gc_hash,
                r.leaf,
                r.generation,
                &c.to_vec(),
            );
            let b = reseal(&env, &k, &pad(sc2.clone()))?;
            if check(r, &b, &[], None)?.is_some() {
                return Err(GenError("unknown content type rejected".into()));
            }
            cases.push(
                base(
                    format!("envelope-{slug}-unknown-content-type"),
                    "a correctly sealed message of an unknown content type is accepted",
                    &["HRT-MSG-37"],
                )?
                .input("envelope", hx(&b))
                .mid("07_plaintext", hx(&pad(sc2)))
                .out("sender", u64::from(r.leaf))
                .out("generation", u64::from(r.generation))
                .out("content_type", 4000)
                .out("msg_ref", hx(&hearth_crypto::envelope::message_ref(&b).0)),
            );
        }
    }
    window_cases(s, &mut cases)?;
    let _ = bstr(&[]);
    Ok(VectorFile {
        family: "envelope",
        description: "Envelopes of the worked-example channel opened by a receiver (spec §7.5): app_secret, gc_hash and the roster's member keys are given, with every intermediate value; variants are defective in exactly one step and carry the code the receiver reports. `previously_opened` lists envelopes the receiver opened before this one."
            .into(),
        seed: "the scenario's seeds (see spec/90-worked-example.md)".into(),
        cases,
    })
}

/// Opens `bytes` on a fresh copy of the receiver after `prior`; `Some(error)` if rejected.
fn check(r: &EnvRec, bytes: &[u8], prior: &[Vec<u8>], _x: Option<()>) -> R<Option<Expected>> {
    let mut g = r.receiver.danger_clone();
    for p in prior {
        g.open(p)?;
    }
    let res = g.open(bytes).err().map(Expected::protocol);
    // HRT-RAT-11, HRT-MSG-24: a rejection changes nothing; the genuine envelope still opens
    // (unless it was itself opened before).
    if res.is_some() && !prior.contains(&r.bytes) {
        g.open(&r.bytes).map_err(|e| {
            GenError(format!(
                "{}: genuine envelope no longer opens after a rejection: {e:?}",
                r.slug
            ))
        })?;
    }
    Ok(res)
}

/// Receiver-window and healing cases on crafted envelopes (HRT-RAT-7 to HRT-RAT-10,
/// HRT-MSG-22): the keys are known from the worked example, so any generation can be sealed.
fn window_cases(s: &Scenario, cases: &mut Vec<Case>) -> R<()> {
    use crate::families::log::Crafter;
    let text = |t: &str| -> R<Content> {
        Ok(hearth_crypto::envelope::ContentBuilder::text(t)?
            .sent_at_ms(1)
            .build())
    };
    // Alice's messages in epoch 2, opened by Bob's state before "alice-hi-bob".
    let r = s
        .envelopes
        .iter()
        .find(|e| e.slug == "alice-hi-bob")
        .ok_or_else(|| GenError("alice-hi-bob".into()))?;
    let ep = s
        .epochs
        .iter()
        .find(|e| e.n == r.epoch)
        .ok_or_else(|| GenError("epoch".into()))?;
    let alice = s.actors.first().ok_or_else(|| GenError("alice".into()))?;
    let cr = Crafter {
        app: ep.keys.app,
        gc_hash: ep.gc_hash,
        cid: s.cid,
        epoch: r.epoch,
        leaf: 0,
        mk_seed: alice.mk_seed,
    };
    let prior: Vec<Vec<u8>> = [999u32, 1999, 2999]
        .iter()
        .map(|g| cr.envelope(*g, &text(&format!("generation {g}"))?))
        .collect::<R<_>>()?;
    let base = |id: &str, d: &str, reqs: &[&str]| -> R<Case> {
        let mut c = Case::new(id, d, &["HRT-MSG-10"])
            .input("receiver", r.receiver_name)
            .input("channel_id", hx(&s.cid))
            .input("epoch", r.epoch)
            .input("app_secret", hx(&ep.keys.app))
            .input("gc_hash", hx(&ep.gc_hash))
            .input("roster_member_keys", roster_json(s, r.epoch)?)
            .input(
                "previously_opened",
                Value::Array(prior.iter().map(|p| hx(p)).collect()),
            );
        for q in reqs {
            c = c.req(q);
        }
        Ok(c)
    };
    let probes: [(u32, &str, &str, &[&str]); 5] = [
        (1000, "window-first-beyond-999", "with nothing opened, generation 1000 is too far (limit 999)", &["HRT-RAT-7"]),
        (998, "window-skipped-key-used", "generation 998, skipped while opening 999, 1999 and 2999, is opened from the skipped store", &["HRT-RAT-8", "HRT-RAT-10"]),
        (997, "window-oldest-kept", "generation 997 is the oldest skipped key still stored (2000 kept)", &["HRT-RAT-8"]),
        (996, "window-oldest-dropped", "generation 996 was dropped when the skipped store exceeded 2000 keys", &["HRT-RAT-8", "HRT-RAT-10"]),
        (3999, "window-highest-plus-1000", "generation 3999 is exactly 1000 beyond the highest opened", &["HRT-RAT-7"]),
    ];
    for (g, slug, d, reqs) in probes {
        let b = cr.envelope(g, &text("probe")?)?;
        let mut grp = r.receiver.danger_clone();
        let first = slug == "window-first-beyond-999";
        if !first {
            for p in &prior {
                grp.open(p)?;
            }
        }
        let mut c = base(&format!("envelope-{slug}"), d, reqs)?.input("envelope", hx(&b));
        if first {
            c = c.input("previously_opened", Value::Array(vec![]));
        }
        c = match grp.open(&b) {
            Ok(o) => c
                .out("sender", u64::from(o.sender.0))
                .out("generation", u64::from(o.generation))
                .out("content_type", 0)
                .out("text", "probe")
                .out("msg_ref", hx(&o.msg_ref.0)),
            Err(e) => c.err(Expected::protocol(e)),
        };
        cases.push(c);
    }
    // A freshly added member's message before its own update commit (epoch 3, Carol).
    let cr3 = s
        .commits
        .iter()
        .find(|c| c.slug == "carol-update")
        .ok_or_else(|| GenError("carol-update".into()))?;
    let ep3 = s
        .epochs
        .iter()
        .find(|e| e.n == 3)
        .ok_or_else(|| GenError("epoch 3".into()))?;
    let carol = s.actors.get(2).ok_or_else(|| GenError("carol".into()))?;
    let c3 = Crafter {
        app: ep3.keys.app,
        gc_hash: ep3.gc_hash,
        cid: s.cid,
        epoch: 3,
        leaf: 2,
        mk_seed: carol.mk_seed,
    };
    let b = c3.envelope(0, &text("too early")?)?;
    let mut alice3 = cr3
        .receiver
        .as_ref()
        .ok_or_else(|| GenError("receiver".into()))?
        .danger_clone();
    let e = alice3
        .open(&b)
        .err()
        .ok_or_else(|| GenError("update_required accepted".into()))?;
    cases.push(
        Case::new("envelope-update-required", "a joiner's message sent before its own commit was accepted (its leaf is still flagged)", &["HRT-MSG-10", "HRT-MSG-22", "HRT-RAT-16", "HRT-RAT-17"])
            .input("receiver", "Alice")
            .input("channel_id", hx(&s.cid))
            .input("epoch", 3)
            .input("app_secret", hx(&ep3.keys.app))
            .input("gc_hash", hx(&ep3.gc_hash))
            .input("roster_member_keys", roster_json(s, 3)?)
            .input("needs_update_leaves", Value::Array(vec![Value::from(2)]))
            .input("previously_opened", Value::Array(vec![]))
            .input("envelope", hx(&b))
            .err(Expected::protocol(e)),
    );
    Ok(())
}
