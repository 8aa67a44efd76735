//! Families `log_chain` (the hash chain of spec §9.3 and the page checks of §9.5) and
//! `passive_client` (a member processing a served log page: expected plaintexts, rejections
//! and detection of forks, rollbacks and withheld messages, §9.5 to §9.8).
//!
//! The page checks and the seen/prev checks are a direct transcription of §9.5 and §9.7/§9.8
//! (the reference library has no client log layer); commits, leaves and envelopes inside a
//! page are processed by the reference library.

use std::collections::{BTreeMap, BTreeSet};

use hearth_crypto::envelope::ContentBuilder;
use hearth_crypto::group::Group;
use hearth_crypto::hazmat::label;
use hearth_crypto::hazmat::labelled::{self, bstr};
use hearth_crypto::keys::MemberKey;
use hearth_wire::envelope::{pad_len, Content, Envelope, SealedContent};
use hearth_wire::{BoundedBytes, ErrorCode, Generation, Hash, SignedBytes, WireEncode};
use serde_json::Value;

use crate::families::scenario::{next_head, Scenario};
use crate::families::schedule;
use crate::model::{hx, Case, Expected, GenError, VectorFile, R};
use crate::util::aes_gcm_seal;

/// A served entry.
#[derive(Clone, Debug)]
pub struct Served {
    /// seq.
    pub seq: u64,
    /// kind.
    pub kind: u8,
    /// bytes.
    pub bytes: Vec<u8>,
    /// served head.
    pub head: Vec<u8>,
}

/// A client's log state (§9.5).
#[derive(Clone, Debug, Default)]
pub struct LogState {
    /// V.
    pub v: u64,
    /// head_V.
    pub head_v: Vec<u8>,
    /// T.
    pub t: u64,
    /// Retained verified heads.
    pub heads: BTreeMap<u64, Vec<u8>>,
    /// Claims (seq -> head).
    pub claims: BTreeMap<u64, Vec<u8>>,
    /// Own posts (seq -> (kind, bytes)).
    pub own: BTreeMap<u64, (u8, Vec<u8>)>,
}

fn code(c: ErrorCode) -> Expected {
    Expected::status(c)
}

/// §9.5 steps 2 to 5 on a page served for `since = V`. Returns the verified heads.
pub fn verify_page(
    st: &LogState,
    entries: &[Served],
    tip: u64,
    head_at_tip: &[u8],
) -> Result<Vec<[u8; 32]>, Expected> {
    // HRT-LOG-24 (a decoding failure of LogFetchResult).
    if !(head_at_tip.len() == 32 || (tip == 0 && head_at_tip.is_empty())) {
        return Err(Expected {
            status: ErrorCode::MALFORMED,
            detail: Some(ErrorCode::WRONG_SIZE),
        });
    }
    // Step 2: rollback (HRT-LOG-15).
    if tip < st.t {
        return Err(code(ErrorCode::ROLLBACK_DETECTED));
    }
    // Step 3: contiguity (HRT-LOG-16, HRT-LOG-17, HRT-LOG-18).
    if entries.is_empty() && st.v < tip {
        return Err(code(ErrorCode::WITHHELD_DETECTED));
    }
    for (i, e) in entries.iter().enumerate() {
        if e.seq > tip {
            return Err(code(ErrorCode::FORK_DETECTED));
        }
        if e.seq != st.v + 1 + i as u64 {
            return Err(code(ErrorCode::WITHHELD_DETECTED));
        }
    }
    // Step 4: chain (HRT-LOG-19, HRT-LOG-20, HRT-LOG-22).
    let mut prev = st.head_v.clone();
    let mut out = Vec::new();
    for e in entries {
        let (_, h) = next_head(&prev, e.seq, e.kind, &e.bytes);
        if e.head != h {
            return Err(code(ErrorCode::FORK_DETECTED));
        }
        let held = st.heads.get(&e.seq).or_else(|| st.claims.get(&e.seq));
        if held.is_some_and(|x| x.as_slice() != h) {
            return Err(code(ErrorCode::FORK_DETECTED));
        }
        if let Some((k, b)) = st.own.get(&e.seq) {
            if *k != e.kind || *b != e.bytes {
                return Err(code(ErrorCode::FORK_DETECTED));
            }
        }
        prev = h.to_vec();
        out.push(h);
    }
    // Step 5: head at tip (HRT-LOG-21).
    let tip_mismatch = match entries.last() {
        Some(l) if l.seq == tip => head_at_tip != prev.as_slice(),
        None if st.v == tip => head_at_tip != st.head_v.as_slice(),
        _ => false,
    };
    if tip_mismatch {
        return Err(code(ErrorCode::FORK_DETECTED));
    }
    // Step 5, an unreached tip (HRT-LOG-47): kept as a claim, it must agree with any head the
    // client already holds for that seq.
    let reached = entries.last().map_or(st.v, |l| l.seq);
    if tip > reached {
        let held = st.heads.get(&tip).or_else(|| st.claims.get(&tip));
        if held.is_some_and(|x| x.as_slice() != head_at_tip) {
            return Err(code(ErrorCode::FORK_DETECTED));
        }
    }
    Ok(out)
}

fn served_json(e: &Served) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("seq".into(), Value::from(e.seq));
    m.insert("kind".into(), Value::from(e.kind));
    m.insert("bytes".into(), hx(&e.bytes));
    m.insert("head".into(), hx(&e.head));
    Value::Object(m)
}

fn state_json(st: &LogState) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("V".into(), Value::from(st.v));
    m.insert("head_V".into(), hx(&st.head_v));
    m.insert("T".into(), Value::from(st.t));
    let pairs = |b: &BTreeMap<u64, Vec<u8>>| {
        Value::Array(
            b.iter()
                .map(|(s, h)| Value::Array(vec![Value::from(*s), hx(h)]))
                .collect(),
        )
    };
    m.insert("held_heads".into(), pairs(&st.heads));
    m.insert("claims".into(), pairs(&st.claims));
    m.insert(
        "own_posts".into(),
        Value::Array(
            st.own
                .iter()
                .map(|(s, (k, b))| Value::Array(vec![Value::from(*s), Value::from(*k), hx(b)]))
                .collect(),
        ),
    );
    Value::Object(m)
}

/// Re-chains `entries` from `prev` (what a host that rewrites history serves).
fn rechain(prev: &[u8], entries: &mut [Served]) {
    let mut p = prev.to_vec();
    for e in entries.iter_mut() {
        let (_, h) = next_head(&p, e.seq, e.kind, &e.bytes);
        e.head = h.to_vec();
        p = h.to_vec();
    }
}

/// The `log_chain` family.
pub fn log_chain_family(s: &Scenario) -> R<VectorFile> {
    let mut cases = Vec::new();
    let all: Vec<Served> = s
        .log
        .iter()
        .map(|l| Served {
            seq: l.seq,
            kind: l.kind,
            bytes: l.bytes.clone(),
            head: l.head.to_vec(),
        })
        .collect();
    let tip = all.len() as u64;
    let tip_head = all.last().map(|e| e.head.clone()).unwrap_or_default();
    let mut c = Case::new("log-chain-full", "head_s = H(\"log\", [head_{s-1}, s, kind_s, H(\"entry\", bytes_s)]) from head_0 = h'' over the worked example's log", &["HRT-LOG-19", "HRT-LOG-4"])
        .input("head_0", hx(&[]))
        .input("entries", Value::Array(all.iter().map(|e| {
            let mut m = serde_json::Map::new();
            m.insert("seq".into(), Value::from(e.seq));
            m.insert("kind".into(), Value::from(e.kind));
            m.insert("bytes".into(), hx(&e.bytes));
            Value::Object(m)
        }).collect()));
    let mut mids = Vec::new();
    for l in &s.log {
        let mut m = serde_json::Map::new();
        m.insert("seq".into(), Value::from(l.seq));
        m.insert("entry_hash".into(), hx(&l.entry_hash));
        m.insert("head".into(), hx(&l.head));
        mids.push(Value::Object(m));
    }
    c = c
        .mid("chain", Value::Array(mids))
        .out("head_at_tip", hx(&tip_head))
        .out("tip", tip);
    cases.push(c);
    // Page checks from a fresh client (V = 0) and from a client at V = 5.
    let fresh = LogState::default();
    let mut mid = LogState {
        v: 5,
        t: 5,
        ..Default::default()
    };
    if let Some(e) = all.get(4) {
        mid.head_v = e.head.clone();
        mid.heads.insert(5, e.head.clone());
    }
    let tail: Vec<Served> = all.iter().filter(|e| e.seq > 5).cloned().collect();
    type PageCase = (
        &'static str,
        &'static str,
        Vec<&'static str>,
        LogState,
        Vec<Served>,
        u64,
        Vec<u8>,
    );
    let mut pages: Vec<PageCase> = vec![
        (
            "page-full-from-0",
            "a complete page from since = 0",
            vec!["HRT-LOG-19", "HRT-LOG-21"],
            fresh.clone(),
            all.clone(),
            tip,
            tip_head.clone(),
        ),
        (
            "page-tail-from-5",
            "the page after V = 5",
            vec!["HRT-LOG-19", "HRT-LOG-21"],
            mid.clone(),
            tail.clone(),
            tip,
            tip_head.clone(),
        ),
        (
            "page-partial",
            "a page that stops before the tip; the tip pair is kept as a claim",
            vec!["HRT-LOG-21"],
            mid.clone(),
            tail.iter().take(2).cloned().collect(),
            tip,
            tip_head.clone(),
        ),
        (
            "page-empty-at-tip",
            "an empty page when V equals the tip",
            vec!["HRT-LOG-21"],
            LogState {
                v: tip,
                t: tip,
                head_v: tip_head.clone(),
                ..Default::default()
            },
            vec![],
            tip,
            tip_head.clone(),
        ),
    ];
    let mut bad_head = tail.clone();
    if let Some(e) = bad_head.get_mut(2) {
        e.head = crate::util::flip(e.head.clone(), 0, 1);
    }
    pages.push((
        "served-head-wrong",
        "a served head that differs from the recomputed one",
        vec!["HRT-LOG-19"],
        mid.clone(),
        bad_head,
        tip,
        tip_head.clone(),
    ));
    let mut bad_bytes = tail.clone();
    if let Some(e) = bad_bytes.get_mut(1) {
        e.bytes = crate::util::flip(e.bytes.clone(), 10, 1);
    }
    pages.push((
        "entry-bytes-altered",
        "an entry whose bytes were altered under its original head",
        vec!["HRT-LOG-19"],
        mid.clone(),
        bad_bytes,
        tip,
        tip_head.clone(),
    ));
    let mut gap = tail.clone();
    gap.remove(1);
    pages.push((
        "gap",
        "entries that are not consecutive",
        vec!["HRT-LOG-16"],
        mid.clone(),
        gap,
        tip,
        tip_head.clone(),
    ));
    let mut not_from_v = tail.clone();
    not_from_v.remove(0);
    pages.push((
        "not-starting-at-since",
        "a page that does not start at since + 1",
        vec!["HRT-LOG-16"],
        mid.clone(),
        not_from_v,
        tip,
        tip_head.clone(),
    ));
    pages.push((
        "empty-below-tip",
        "no entries while since is below the tip",
        vec!["HRT-LOG-17"],
        mid.clone(),
        vec![],
        tip,
        tip_head.clone(),
    ));
    pages.push((
        "rollback",
        "a tip lower than the highest seq the host claimed before",
        vec!["HRT-LOG-15"],
        LogState {
            t: tip + 3,
            ..mid.clone()
        },
        tail.clone(),
        tip,
        tip_head.clone(),
    ));
    pages.push((
        "entry-beyond-tip",
        "an entry whose seq exceeds the served tip",
        vec!["HRT-LOG-18"],
        mid.clone(),
        tail.clone(),
        tip - 1,
        tail.get(tail.len().saturating_sub(2))
            .map(|e| e.head.clone())
            .unwrap_or_default(),
    ));
    pages.push((
        "tip-head-wrong",
        "a head at tip that differs from the verified head",
        vec!["HRT-LOG-21"],
        mid.clone(),
        tail.clone(),
        tip,
        crate::util::flip(tip_head.clone(), 31, 1),
    ));
    pages.push((
        "tip-head-31-bytes",
        "a head at tip that is neither 32 bytes nor empty",
        vec!["HRT-LOG-24"],
        mid.clone(),
        tail.clone(),
        tip,
        tip_head.get(..31).unwrap_or_default().to_vec(),
    ));
    let mut claimed = mid.clone();
    claimed.claims.insert(8, vec![0x42; 32]);
    pages.push((
        "claim-mismatch",
        "a verified head that differs from a claim the client holds for that seq",
        vec!["HRT-LOG-20"],
        claimed,
        tail.clone(),
        tip,
        tip_head.clone(),
    ));
    // Contiguity is judged for the whole page before any head (HRT-LOG-16): a gap after an
    // entry with a wrong head is withholding, not a fork.
    let mut gap_bad_head = tail.clone();
    gap_bad_head.remove(1);
    if let Some(e) = gap_bad_head.get_mut(0) {
        e.head = crate::util::flip(e.head.clone(), 0, 1);
    }
    pages.push((
        "gap-after-wrong-head",
        "a wrong head in the first entry and a gap after it: contiguity is checked for the whole page first",
        vec!["HRT-LOG-16", "HRT-LOG-47"],
        mid.clone(),
        gap_bad_head,
        tip,
        tip_head.clone(),
    ));
    // Two different heads claimed for one unreached tip (HRT-LOG-47).
    let mut tip_claimed = mid.clone();
    tip_claimed
        .claims
        .insert(tip, crate::util::flip(tip_head.clone(), 5, 1));
    pages.push((
        "tip-claim-conflict",
        "a partial page whose head at tip differs from a head the client already holds as a claim for that tip",
        vec!["HRT-LOG-47", "HRT-LOG-21"],
        tip_claimed,
        tail.get(..1).unwrap_or_default().to_vec(),
        tip,
        tip_head.clone(),
    ));
    let mut held = LogState {
        v: 3,
        t: 7,
        ..Default::default()
    };
    if let Some(e) = all.get(2) {
        held.head_v = e.head.clone();
    }
    held.heads.insert(7, vec![0x24; 32]);
    pages.push((
        "held-head-mismatch",
        "a verified head that differs from a retained head of an earlier fetch",
        vec!["HRT-LOG-20"],
        held,
        all.iter().filter(|e| e.seq > 3).cloned().collect(),
        tip,
        tip_head.clone(),
    ));
    // A host that rewrote an own post (and re-chained consistently).
    let mut own = mid.clone();
    let mut rewritten = tail.clone();
    if let Some(e) = rewritten.get_mut(2) {
        own.own.insert(e.seq, (e.kind, e.bytes.clone()));
        e.bytes = crate::util::flip(e.bytes.clone(), 40, 2);
    }
    rechain(&mid.head_v, &mut rewritten);
    let rew_tip = rewritten.last().map(|e| e.head.clone()).unwrap_or_default();
    pages.push((
        "own-post-rewritten",
        "a consistently re-chained log in which the client's own post has other bytes",
        vec!["HRT-LOG-22"],
        own,
        rewritten,
        tip,
        rew_tip,
    ));
    for (slug, d, reqs, st, entries, t, th) in pages {
        let mut c = Case::new(format!("log-{slug}"), d, &reqs)
            .input("client_state", state_json(&st))
            .input(
                "page",
                Value::Array(entries.iter().map(served_json).collect()),
            )
            .input("tip", t)
            .input("head_at_tip", hx(&th));
        c = match verify_page(&st, &entries, t, &th) {
            Ok(hs) => c
                .out(
                    "verified_heads",
                    Value::Array(hs.iter().map(|h| hx(h)).collect()),
                )
                .out("V_after", st.v + entries.len() as u64),
            Err(e) => c.err(e),
        };
        cases.push(c);
    }
    Ok(VectorFile {
        family: "log_chain",
        description: "The log hash chain (spec §9.3) over the worked example's log, and a client's checks of a served page (§9.5 steps 1 to 5): rollback, contiguity, chain, claims and own posts, head at tip."
            .into(),
        seed: "the scenario's seeds (see spec/90-worked-example.md)".into(),
        cases,
    })
}

/// Processing state of a passive member (§9.7, §9.8): the msg-refs of every `msg` entry whose
/// link it verified (whatever it made of the content), the author of those it authenticated,
/// and, for a receiver anchored after `seq` 1, the pre-anchor exception of HRT-LOG-43: the one
/// unverified `prev` value each member may name, and the members for whom it is closed (a
/// message of theirs named a verified entry).
struct Proc {
    group: Group,
    heads: BTreeMap<u64, Vec<u8>>,
    verified: BTreeSet<[u8; 32]>,
    author: BTreeMap<[u8; 32], [u8; 32]>,
    pre_anchor: BTreeMap<[u8; 32], [u8; 32]>,
    closed: BTreeSet<[u8; 32]>,
    anchored_later: bool,
    own_identity: [u8; 32],
    own: BTreeSet<Vec<u8>>,
}

fn process_page(p: &mut Proc, entries: &[Served]) -> (Vec<Value>, Option<Expected>) {
    let mut out = Vec::new();
    for e in entries {
        let mut m = serde_json::Map::new();
        m.insert("seq".into(), Value::from(e.seq));
        p.heads.insert(e.seq, e.head.clone());
        let res: Result<(), Expected> = match e.kind {
            1 => match p.group.process_commit(&e.bytes) {
                Ok(hearth_crypto::CommitOutcome::Installed { epoch, .. })
                | Ok(hearth_crypto::CommitOutcome::OwnCommit { epoch }) => {
                    m.insert("result".into(), Value::String("commit".into()));
                    m.insert("epoch".into(), Value::from(epoch));
                    Ok(())
                }
                Ok(hearth_crypto::CommitOutcome::Removed) => {
                    m.insert("result".into(), Value::String("removed".into()));
                    Ok(())
                }
                Err(err) => Err(Expected::protocol(err)),
            },
            3 => match p.group.record_leave(&e.bytes) {
                Ok(l) => {
                    m.insert("result".into(), Value::String("leave".into()));
                    m.insert("leaf".into(), Value::from(l.0));
                    Ok(())
                }
                Err(err) => Err(Expected::protocol(err)),
            },
            2 if p.own.contains(&e.bytes) => {
                let r = msg_ref(&e.bytes);
                p.verified.insert(r);
                p.author.insert(r, p.own_identity);
                m.insert("result".into(), Value::String("own_message".into()));
                Ok(())
            }
            2 => match p.group.open(&e.bytes) {
                Ok(o) => {
                    let ident = *o.identity.as_bytes();
                    let c = &o.content;
                    // HRT-LOG-44, HRT-LOG-42: the sender's view of the log.
                    let seen_ok = c.seen_seq.0 < e.seq;
                    let head_ok = p.heads.get(&c.seen_seq.0).is_none_or(|h| {
                        c.seen_head.as_slice() == h.as_slice() || c.seen_seq.0 == 0
                    });
                    // HRT-LOG-43: prev names a verified entry not authenticated as another
                    // member's, or falls under the pre-anchor exception.
                    let prev_ok = match c.prev {
                        None => true,
                        Some(Hash(pr)) if p.verified.contains(&pr) => {
                            let mine = p.author.get(&pr).is_none_or(|a| *a == ident);
                            if mine {
                                p.closed.insert(ident);
                            }
                            mine
                        }
                        Some(Hash(pr)) => {
                            p.anchored_later
                                && !p.closed.contains(&ident)
                                && *p.pre_anchor.entry(ident).or_insert(pr) == pr
                        }
                    };
                    p.verified.insert(o.msg_ref.0);
                    p.author.insert(o.msg_ref.0, ident);
                    let claim_ok = seen_ok && head_ok && prev_ok;
                    m.insert(
                        "result".into(),
                        Value::String(if claim_ok { "message" } else { "bad_claim" }.into()),
                    );
                    m.insert("sender".into(), Value::from(o.sender.0));
                    if let hearth_wire::envelope::ContentBody::Text(t) = &o.body {
                        m.insert("text".into(), Value::String(t.text.as_str().to_owned()));
                    }
                    m.insert("msg_ref".into(), hx(&o.msg_ref.0));
                    if !claim_ok {
                        m.insert("error".into(), code(ErrorCode::BAD_CLAIM).to_json());
                    }
                    Ok(())
                }
                Err(err) => {
                    // Rejected, but its link verified: it was not withheld (spec §9.8).
                    p.verified.insert(msg_ref(&e.bytes));
                    let x = Expected::protocol(err);
                    m.insert("result".into(), Value::String("rejected".into()));
                    m.insert("error".into(), x.to_json());
                    out.push(Value::Object(m));
                    continue;
                }
            },
            _ => {
                m.insert("result".into(), Value::String("other".into()));
                Ok(())
            }
        };
        if let Err(x) = res {
            if matches!(
                x.status,
                ErrorCode::FORK_DETECTED
                    | ErrorCode::WITHHELD_DETECTED
                    | ErrorCode::ROLLBACK_DETECTED
            ) {
                return (out, Some(x));
            }
            m.insert("result".into(), Value::String("rejected".into()));
            m.insert("error".into(), x.to_json());
        }
        out.push(Value::Object(m));
    }
    (out, None)
}

/// `msg-ref = H("msgref", envelope_bytes)` (spec §7.7).
fn msg_ref(bytes: &[u8]) -> [u8; 32] {
    labelled::h(label::MSGREF, bstr(bytes))
}

/// Crafts an envelope from a sender whose keys are known, in a given epoch.
pub struct Crafter {
    /// `app_secret` of the epoch.
    pub app: [u8; 32],
    /// `gc_hash` of the epoch.
    pub gc_hash: [u8; 32],
    /// The channel id.
    pub cid: [u8; 16],
    /// The epoch.
    pub epoch: u64,
    /// The sender's leaf.
    pub leaf: u8,
    /// The sender's member key seed.
    pub mk_seed: [u8; 32],
}

impl Crafter {
    /// A correctly sealed envelope of generation `g`.
    pub fn envelope(&self, g: u32, content: &Content) -> R<Vec<u8>> {
        let (_, gens) = schedule::sender_chain(&self.app, u64::from(self.leaf), u64::from(g));
        let k = gens.last().ok_or_else(|| GenError("chain".into()))?;
        let cb = content.to_vec();
        let sc_in = hearth_wire::encode_with(|e| {
            e.array(4)
                .bytes(&self.gc_hash)
                .uint(u64::from(self.leaf))
                .uint(u64::from(g))
                .bytes(&cb);
        });
        let mk = MemberKey::from_seed(&self.mk_seed);
        let sig =
            labelled::sign_with_label(mk.signing_key(), label::MSG, crate::util::with_raw(&sc_in));
        let mut pt = SealedContent {
            content: SignedBytes::from_bytes(cb),
            signature: hearth_wire::Signature(sig.to_bytes()),
        }
        .to_vec();
        let l = pt.len();
        pt.resize(pad_len(l), 0);
        let env = Envelope {
            version: hearth_wire::Version,
            suite: hearth_wire::Suite::X25519_SHA256_AES256GCM_ED25519,
            channel_id: hearth_wire::ChannelId(self.cid),
            epoch: hearth_wire::Epoch(self.epoch),
            sender: hearth_wire::Leaf(self.leaf),
            generation: Generation(g),
            reuse_guard: hearth_wire::ReuseGuard([7, 7, 7, g as u8]),
            ct: BoundedBytes::new(vec![0; 48])?,
        };
        let mut nonce = k.nonce;
        for (a, b) in nonce.iter_mut().zip(env.reuse_guard.0) {
            *a ^= b;
        }
        let ct = aes_gcm_seal(&k.key, &nonce, &env.header().to_vec(), &pt)?;
        let mut e2 = env;
        e2.ct = BoundedBytes::new(ct)?;
        Ok(e2.to_vec())
    }
}

/// The `passive_client` family.
#[allow(clippy::too_many_lines)]
pub fn passive_client_family(s: &Scenario) -> R<VectorFile> {
    let mut cases = Vec::new();
    let (name, at, snap) = s
        .snapshots
        .first()
        .ok_or_else(|| GenError("snapshot".into()))?;
    let at = *at;
    let all: Vec<Served> = s
        .log
        .iter()
        .map(|l| Served {
            seq: l.seq,
            kind: l.kind,
            bytes: l.bytes.clone(),
            head: l.head.to_vec(),
        })
        .collect();
    let tip = all.len() as u64;
    let tip_head = all.last().map(|e| e.head.clone()).unwrap_or_default();
    let head_at = all
        .iter()
        .find(|e| e.seq == at)
        .map(|e| e.head.clone())
        .unwrap_or_default();
    let anchor = s
        .commits
        .iter()
        .find(|c| c.slug == "alice-adds-carol")
        .map(|c| c.seq)
        .unwrap_or(0);
    let mut st = LogState {
        v: at,
        t: at,
        head_v: head_at.clone(),
        ..Default::default()
    };
    for e in all.iter().filter(|e| e.seq >= anchor && e.seq <= at) {
        st.heads.insert(e.seq, e.head.clone());
    }
    let carol_post = s
        .envelopes
        .iter()
        .find(|e| e.slug == "carol-hello")
        .ok_or_else(|| GenError("carol post".into()))?;
    st.own.insert(carol_post.seq, (2, carol_post.bytes.clone()));
    let tail: Vec<Served> = all.iter().filter(|e| e.seq > at).cloned().collect();
    let ep4 = s
        .epochs
        .iter()
        .find(|e| e.n == 4)
        .ok_or_else(|| GenError("epoch 4".into()))?;
    let bob = s.actors.get(1).ok_or_else(|| GenError("bob".into()))?;
    let bob_welcome = s
        .envelopes
        .iter()
        .find(|e| e.slug == "bob-welcome-carol")
        .ok_or_else(|| GenError("bob msg".into()))?;
    let crafter = Crafter {
        app: ep4.keys.app,
        gc_hash: ep4.gc_hash,
        cid: s.cid,
        epoch: 4,
        leaf: 1,
        mk_seed: bob.mk_seed,
    };
    let content =
        |seen_seq: u64, seen_head: Option<[u8; 32]>, prev: Option<[u8; 32]>| -> R<Content> {
            Ok(ContentBuilder::text("crafted")?
                .sent_at_ms(1)
                .seen(seen_seq, seen_head.map(Hash))?
                .prev(prev.map(Hash))
                .build())
        };
    let head8 = all
        .iter()
        .find(|e| e.seq == 8)
        .map(|e| crate::util::unhex32(&crate::model::hex(&e.head)))
        .unwrap_or_default();
    // A host that inserts a crafted message after entry 9 and re-chains.
    let with_insert = |env: Vec<u8>| -> Vec<Served> {
        let mut v: Vec<Served> = tail.iter().filter(|e| e.seq <= 9).cloned().collect();
        v.push(Served {
            seq: 10,
            kind: 2,
            bytes: env,
            head: vec![],
        });
        rechain(&head_at, &mut v);
        v
    };
    // Carol's group state at the snapshot, for implementations that load state directly.
    let carol_leaf = ep4
        .roster
        .iter()
        .position(|e| Some(e.member_key.0) == snap.member_key().map(|k| *k.as_bytes()))
        .ok_or_else(|| GenError("carol leaf".into()))?;
    let carol_init_pub = ep4
        .roster
        .get(carol_leaf)
        .and_then(|e| e.init_key.as_x25519().ok())
        .map(|k| k.0)
        .unwrap_or_default();
    let carol_init = s
        .init_keys
        .iter()
        .find(|sk| {
            *hearth_crypto::hazmat::x25519::SecretKey::from_bytes(**sk)
                .public_key()
                .as_bytes()
                == carol_init_pub
        })
        .copied()
        .ok_or_else(|| GenError("carol init".into()))?;
    let member_state = {
        let mut m = serde_json::Map::new();
        m.insert("leaf".into(), Value::from(carol_leaf as u64));
        m.insert("init_private_key".into(), hx(&carol_init));
        m.insert(
            "host_url".into(),
            Value::String(crate::util::HOST_URL.into()),
        );
        m.insert("channel_id".into(), hx(&s.cid));
        m.insert("epoch".into(), Value::from(ep4.n));
        m.insert("group_context".into(), hx(&ep4.gc));
        m.insert("gc_hash".into(), hx(&ep4.gc_hash));
        m.insert("cth".into(), hx(&ep4.cth));
        m.insert("app_secret".into(), hx(&ep4.keys.app));
        m.insert("init_secret".into(), hx(&ep4.keys.init));
        m.insert(
            "roster_cbor".into(),
            hx(&hearth_wire::encode_with(|e| {
                e.array(ep4.roster.len());
                for x in &ep4.roster {
                    x.encode(e);
                }
            })),
        );
        m.insert("left_leaves".into(), Value::Array(vec![]));
        m.insert("needs_update_leaves".into(), Value::Array(vec![]));
        Value::Object(m)
    };
    type Pc = (
        &'static str,
        &'static str,
        Vec<&'static str>,
        LogState,
        Vec<Served>,
        u64,
        Vec<u8>,
    );
    let mut pcs: Vec<Pc> = vec![("full-page", "Carol, anchored at Alice's commit that added her and verified to her own update, processes the rest of the log: her own post, Bob's message, Bob's leave, Alice's removal commit and Alice's last message", vec!["HRT-LOG-23", "HRT-LOG-27", "HRT-LOG-43", "HRT-LOG-42"], st.clone(), tail.clone(), tip, tip_head.clone())];
    let mut fork = tail.clone();
    if let Some(e) = fork.get_mut(1) {
        e.head = crate::util::flip(e.head.clone(), 3, 1);
    }
    pcs.push((
        "fork-served-head",
        "a served head that does not recompute: nothing is processed",
        vec!["HRT-LOG-19", "HRT-LOG-23"],
        st.clone(),
        fork,
        tip,
        tip_head.clone(),
    ));
    let mut gap = tail.clone();
    gap.remove(1);
    pcs.push((
        "withheld-gap",
        "the host leaves out Bob's message",
        vec!["HRT-LOG-16"],
        st.clone(),
        gap,
        tip,
        tip_head.clone(),
    ));
    // A page that serves one entry twice: the second copy breaks contiguity (spec §9.5).
    let mut twice = tail.clone();
    if let Some(first) = tail.first() {
        twice.insert(1, first.clone());
    }
    pcs.push((
        "page-repeats-entry",
        "the host's page serves its first entry twice",
        vec!["HRT-LOG-16"],
        st.clone(),
        twice,
        tip,
        tip_head.clone(),
    ));
    // A page that does not start right after Carol's position (spec §9.5 step 1).
    let mut late = tail.clone();
    late.remove(0);
    pcs.push((
        "withheld-page-start",
        "the host's page starts one entry after Carol's position",
        vec!["HRT-LOG-16"],
        st.clone(),
        late,
        tip,
        tip_head.clone(),
    ));
    pcs.push((
        "rollback",
        "the host serves an older tip than it claimed before",
        vec!["HRT-LOG-15"],
        LogState {
            t: tip + 2,
            ..st.clone()
        },
        tail.clone(),
        tip,
        tip_head.clone(),
    ));
    let mut rew = tail.clone();
    if let Some(e) = rew.get_mut(0) {
        e.bytes = bob_welcome.bytes.clone();
    }
    rechain(&head_at, &mut rew);
    let rt = rew.last().map(|e| e.head.clone()).unwrap_or_default();
    pcs.push((
        "own-post-replaced",
        "a re-chained log in which Carol's own post was replaced",
        vec!["HRT-LOG-22"],
        st.clone(),
        rew,
        tip,
        rt,
    ));
    let dup = with_insert(bob_welcome.bytes.clone());
    let dt = dup.last().map(|e| e.head.clone()).unwrap_or_default();
    pcs.push(("duplicate-message", "a re-chained log that repeats Bob's message: the second copy is rejected, processing goes on", vec!["HRT-RAT-9", "HRT-MSG-25"], st.clone(), dup, 10, dt));
    let bad_seen_seq = with_insert(crafter.envelope(
        1,
        &content(10, Some([0x11; 32]), Some(bob_welcome.msg_ref))?,
    )?);
    let t1 = bad_seen_seq
        .last()
        .map(|e| e.head.clone())
        .unwrap_or_default();
    pcs.push((
        "seen-seq-not-below-entry",
        "Bob's next message claims seen_seq equal to its own entry's seq: bad_claim naming Bob, processing goes on",
        vec!["HRT-LOG-44", "HRT-LOG-45"],
        st.clone(),
        bad_seen_seq,
        10,
        t1,
    ));
    let bad_seen_head = with_insert(
        crafter.envelope(1, &content(8, Some([0x22; 32]), Some(bob_welcome.msg_ref))?)?,
    );
    let t2 = bad_seen_head
        .last()
        .map(|e| e.head.clone())
        .unwrap_or_default();
    pcs.push((
        "seen-head-differs",
        "Bob's next message claims a head for seq 8 that differs from the one Carol verified: bad_claim naming Bob, processing goes on",
        vec!["HRT-LOG-42", "HRT-LOG-45"],
        st.clone(),
        bad_seen_head,
        10,
        t2,
    ));
    let good_seen =
        with_insert(crafter.envelope(1, &content(8, Some(head8), Some(bob_welcome.msg_ref))?)?);
    let t3 = good_seen.last().map(|e| e.head.clone()).unwrap_or_default();
    pcs.push((
        "seen-head-matches",
        "Bob's next message with a matching seen_head and prev",
        vec!["HRT-LOG-42", "HRT-LOG-43"],
        st.clone(),
        good_seen,
        10,
        t3,
    ));
    // No prev although Carol verified earlier messages of Bob: not evidence (HRT-LOG-48).
    let no_prev = with_insert(crafter.envelope(1, &content(8, Some(head8), None)?)?);
    let t5 = no_prev.last().map(|e| e.head.clone()).unwrap_or_default();
    pcs.push((
        "prev-absent",
        "Bob's next message carries no prev although Carol verified earlier messages of his: not withholding",
        vec!["HRT-LOG-48", "HRT-LOG-43"],
        st.clone(),
        no_prev,
        10,
        t5,
    ));
    let bad_prev = with_insert(
        crafter.envelope(
            1,
            &content(
                9,
                all.iter()
                    .find(|e| e.seq == 9)
                    .map(|e| crate::util::unhex32(&crate::model::hex(&e.head))),
                Some([0x33; 32]),
            )?,
        )?,
    );
    let t4 = bad_prev.last().map(|e| e.head.clone()).unwrap_or_default();
    pcs.push((
        "prev-unknown",
        "Bob's next message names a prev Carol never verified (his first message after her anchor was already judged): bad_claim naming Bob, processing goes on",
        vec!["HRT-LOG-43", "HRT-LOG-45"],
        st.clone(),
        bad_prev,
        10,
        t4,
    ));
    // Bob's previous message before Carol's anchor, which his first message after it names in
    // `prev`: naming it again (his next post's answer was lost, HRT-LOG-35) is no claim, since it
    // is the one pre-anchor value Carol accepted from him (HRT-LOG-43).
    let bob_before = s
        .envelopes
        .iter()
        .filter(|e| e.sender_name == "Bob" && e.seq < bob_welcome.seq)
        .max_by_key(|e| e.seq)
        .map(|e| msg_ref(&e.bytes))
        .ok_or_else(|| GenError("bob's earlier message".into()))?;
    let again = with_insert(
        crafter.envelope(
            1,
            &content(
                9,
                all.iter()
                    .find(|e| e.seq == 9)
                    .map(|e| crate::util::unhex32(&crate::model::hex(&e.head))),
                Some(bob_before),
            )?,
        )?,
    );
    let t6 = again.last().map(|e| e.head.clone()).unwrap_or_default();
    pcs.push((
        "prev-pre-anchor-again",
        "Bob's next message names again the message before Carol's anchor that his first message after it named: the one pre-anchor value she accepted from him, no claim",
        vec!["HRT-LOG-43", "HRT-LOG-35"],
        st.clone(),
        again,
        10,
        t6,
    ));
    // A message Carol verified but rejected (not an Envelope), then Bob's message naming it in
    // `prev`: no claim mismatch, since the entry's link verified (spec §9.8, HRT-LOG-43).
    let junk = vec![0x82, 0x01, 0x02];
    let mut rj: Vec<Served> = tail.iter().filter(|e| e.seq <= 9).cloned().collect();
    rj.push(Served {
        seq: 10,
        kind: 2,
        bytes: junk.clone(),
        head: vec![],
    });
    rj.push(Served {
        seq: 11,
        kind: 2,
        bytes: crafter.envelope(
            1,
            &content(
                9,
                all.iter()
                    .find(|e| e.seq == 9)
                    .map(|e| crate::util::unhex32(&crate::model::hex(&e.head))),
                Some(msg_ref(&junk)),
            )?,
        )?,
        head: vec![],
    });
    rechain(&head_at, &mut rj);
    let t5 = rj.last().map(|e| e.head.clone()).unwrap_or_default();
    pcs.push((
        "prev-names-rejected",
        "an entry Carol rejects (not an Envelope), then Bob's message naming it in prev: the entry's link verified, so nothing was withheld and there is no claim mismatch",
        vec!["HRT-LOG-43"],
        st.clone(),
        rj,
        11,
        t5,
    ));
    // Host-accountable evidence still stops the route (spec §9.9).
    pcs.push((
        "withheld-empty-page",
        "the host serves no entry although the tip is above Carol's position",
        vec!["HRT-LOG-17"],
        st.clone(),
        Vec::new(),
        tip,
        tip_head.clone(),
    ));
    pcs.push((
        "fork-tip-head",
        "the head at tip differs from the head of the served tip entry",
        vec!["HRT-LOG-21"],
        st.clone(),
        tail.clone(),
        tip,
        crate::util::flip(tip_head.clone(), 0, 1),
    ));
    pcs.push((
        "fork-entry-beyond-tip",
        "the page holds an entry above the served tip",
        vec!["HRT-LOG-18"],
        st.clone(),
        tail.clone(),
        tip - 1,
        tail.iter()
            .find(|e| e.seq == tip - 1)
            .map(|e| e.head.clone())
            .unwrap_or_default(),
    ));
    for (slug, d, reqs, lst, entries, t, th) in pcs {
        let mut c = Case::new(format!("passive-{slug}"), d, &reqs)
            .input("client", *name)
            .input("client_state", state_json(&lst))
            .input("anchor_seq", anchor)
            .input(
                "page",
                Value::Array(entries.iter().map(served_json).collect()),
            )
            .input("tip", t)
            .input("head_at_tip", hx(&th))
            .input("epoch_app_secret", hx(&ep4.keys.app))
            .input("epoch_gc_hash", hx(&ep4.gc_hash))
            .input("epoch", 4)
            .input("member_state", member_state.clone());
        if slug == "full-page" {
            c = c.req("HRT-GRP-72");
        }
        match verify_page(&lst, &entries, t, &th) {
            Err(e) => c = c.req("HRT-LOG-38").err(e),
            Ok(_) => {
                let mut own = BTreeSet::new();
                for (_, (_, b)) in lst.own.iter() {
                    own.insert(b.clone());
                }
                let mut p = Proc {
                    own_identity: snap
                        .members()
                        .iter()
                        .find(|m| snap.member_key().is_some_and(|k| k == m.member_key))
                        .map(|m| *m.identity.as_bytes())
                        .unwrap_or_default(),
                    group: snap.danger_clone(),
                    heads: lst.heads.clone(),
                    verified: BTreeSet::new(),
                    author: BTreeMap::new(),
                    pre_anchor: BTreeMap::new(),
                    closed: BTreeSet::new(),
                    anchored_later: anchor > 1,
                    own,
                };
                let (processed, det) = process_page(&mut p, &entries);
                c = c.mid("processed", Value::Array(processed.clone()));
                c = match det {
                    Some(e) => c.req("HRT-LOG-38").err(e),
                    None => c
                        .out("processed", Value::Array(processed))
                        .out("V_after", entries.last().map(|e| e.seq).unwrap_or(lst.v)),
                };
            }
        }
        cases.push(c);
    }
    let _ = bstr(&[]);
    Ok(VectorFile {
        family: "passive_client",
        description: "A passive member (Carol, after her own update commit in the worked example) processes log pages a host serves: the expected per-entry results (plaintexts, commits, leaves, own posts, rejected envelopes) or the detection code (fork_detected, rollback_detected, withheld_detected) when the host misbehaves; a member's claim that contradicts the verified log (seen_seq, seen_head, prev) is the per-entry result bad_claim, and processing goes on (HRT-LOG-42 to HRT-LOG-45). Group state is Carol's as derived in spec/90-worked-example.md; the epoch-4 app_secret and gc_hash are given for implementations that load keys directly."
            .into(),
        seed: "the scenario's seeds (see spec/90-worked-example.md)".into(),
        cases,
    })
}
