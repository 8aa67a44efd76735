//! Family `accumulated` (spec §14.2.1), in the manner of C2SP CCTV's accumulated tests: for the
//! wire validator, the log chain, the key schedule and the sender ratchet, 10,000 cases each
//! whose inputs come from a SHAKE128 stream the specification defines, and whose outputs are
//! hashed into one published value. The repository carries four hashes, not 40,000 cases; an
//! implementation regenerates the stream, runs its own code and compares the hash, and can run
//! millions of cases by raising the count.

use serde_json::Value;
use sha2::{Digest, Sha256};
use sha3::digest::{ExtendableOutput, XofReader};

use crate::families::schedule::{derive_epoch, sender_chain};
use crate::model::{hex, hx, Case, Expected, VectorFile, R};

/// Cases per family.
pub const COUNT: u32 = 10_000;

/// The input stream of §14.2.1: SHAKE128 over `"hearth/1 accumulated " || name`, read in order.
pub struct Stream(Box<dyn XofReader>);

impl Stream {
    /// The stream of the family `name`.
    pub fn new(name: &str) -> Self {
        let mut h = sha3::Shake128::default();
        sha3::digest::Update::update(&mut h, b"hearth/1 accumulated ");
        sha3::digest::Update::update(&mut h, name.as_bytes());
        Stream(Box::new(h.finalize_xof()))
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0u8; n];
        self.0.read(&mut v);
        v
    }

    /// The next 32 bytes.
    pub fn take32(&mut self) -> [u8; 32] {
        let mut v = [0u8; 32];
        self.0.read(&mut v);
        v
    }

    /// The next byte.
    pub fn byte(&mut self) -> u8 {
        let mut v = [0u8; 1];
        self.0.read(&mut v);
        let [b] = v;
        b
    }

    /// The next two bytes as a big-endian number, modulo `n` (`1 <= n <= 65536`).
    pub fn below(&mut self, n: u32) -> u32 {
        let mut v = [0u8; 2];
        self.0.read(&mut v);
        u32::from(u16::from_be_bytes(v)) % n.max(1)
    }
}

/// One generated item, encoded canonically (§14.2.1's grammar).
fn item(s: &mut Stream, depth: u32, e: &mut hearth_wire::Encoder) {
    match s.below(if depth < 3 { 6 } else { 4 }) {
        0 => {
            let class = s.below(5) as usize;
            let raw = u64::from_be_bytes(s.take(8).try_into().unwrap_or([0; 8]));
            let shift = [59u32, 56, 48, 32, 0].get(class).copied().unwrap_or(0);
            e.uint(raw >> shift);
        }
        1 => {
            let n = s.below(24) as usize;
            e.bytes(&s.take(n));
        }
        2 => {
            let n = s.below(24) as usize;
            let t: String = s
                .take(n)
                .iter()
                .map(|b| char::from(0x20 + b % 95))
                .collect();
            e.text(&t);
        }
        3 => match s.below(3) {
            0 => {
                e.bool(false);
            }
            1 => {
                e.bool(true);
            }
            _ => {
                e.null();
            }
        },
        4 => {
            let n = s.below(4);
            e.array(n as usize);
            for _ in 0..n {
                item(s, depth + 1, e);
            }
        }
        _ => {
            let n = s.below(4);
            e.map(n as usize);
            let mut key = u64::from(s.below(8));
            for i in 0..n {
                if i > 0 {
                    key += 1 + u64::from(s.below(8));
                }
                e.uint(key);
                item(s, depth + 1, e);
            }
        }
    }
}

/// One input of the wire family: a generated item, then one mutation.
fn wire_input(s: &mut Stream) -> Vec<u8> {
    let mut e = hearth_wire::Encoder::new();
    item(s, 0, &mut e);
    let mut b = e.into_bytes();
    match s.below(4) {
        1 if !b.is_empty() => {
            let pos = s.below(b.len() as u32) as usize;
            let x = 1 + s.below(255) as u8;
            if let Some(v) = b.get_mut(pos) {
                *v ^= x;
            }
        }
        2 if !b.is_empty() => {
            let cut = s.below(b.len() as u32) as usize;
            b.truncate(cut);
        }
        3 => b.push(s.byte()),
        _ => {}
    }
    b
}

/// The validator's verdict as §14.2.1 records it: `ok` or the detail code's name.
fn verdict(b: &[u8]) -> String {
    match hearth_wire::validate(b, &hearth_wire::Profile::DEFAULT) {
        Ok(()) => "ok".into(),
        Err(e) => {
            let x = Expected::wire(e);
            x.detail
                .unwrap_or(x.status)
                .name()
                .unwrap_or("unknown")
                .into()
        }
    }
}

fn case(family: &str, what: &str, reqs: &[&str], acc: Sha256, samples: Vec<Value>) -> Case {
    Case::new(format!("accumulated-{family}"), what, reqs)
        .input(
            "stream",
            format!("SHAKE128(\"hearth/1 accumulated {family}\")"),
        )
        .input("count", COUNT)
        .mid("first_cases", Value::Array(samples))
        .out("sha256", hx(&acc.finalize()))
}

fn wire_case() -> Case {
    let mut s = Stream::new("wire");
    let mut acc = Sha256::new();
    let mut samples = Vec::new();
    let mut accepted = 0u32;
    for i in 0..COUNT {
        let b = wire_input(&mut s);
        let v = verdict(&b);
        accepted += u32::from(v == "ok");
        acc.update((b.len() as u16).to_be_bytes());
        acc.update(&b);
        acc.update([v.len() as u8]);
        acc.update(v.as_bytes());
        if i < 3 {
            samples.push(serde_json::json!({"input": hex(&b), "verdict": v}));
        }
    }
    case(
        "wire",
        "the strict hCBOR profile validator (§2) on generated and mutated items: SHA-256 over u16be(len) || input || u8(len) || verdict for each case, the verdict being \"ok\" or the detail code's name",
        &["HRT-WIRE-1", "HRT-WIRE-2", "HRT-WIRE-3", "HRT-WIRE-4", "HRT-WIRE-5", "HRT-WIRE-6", "HRT-WIRE-7", "HRT-WIRE-8"],
        acc,
        samples,
    )
    .out("accepted", accepted)
    .out("rejected", COUNT - accepted)
}

fn log_case() -> Case {
    let mut s = Stream::new("log");
    let mut acc = Sha256::new();
    let mut samples = Vec::new();
    for i in 0..COUNT {
        let prev = if s.below(8) == 0 {
            Vec::new()
        } else {
            s.take(32)
        };
        let seq = 1 + u64::from(s.below(65_535));
        let kind = u64::from(s.below(5));
        let n = s.below(64) as usize;
        let bytes = s.take(n);
        let head = hearth_crypto::log::next_head(&prev, seq, kind, &bytes);
        acc.update(head);
        if i < 3 {
            samples.push(serde_json::json!({
                "prev": hex(&prev), "seq": seq, "kind": kind, "bytes": hex(&bytes), "head": hex(&head)
            }));
        }
    }
    case(
        "log",
        "the log hash chain step head_s = H(\"log\", [prev, seq, kind, H(\"entry\", bytes)]) (§9.3) on generated inputs: SHA-256 over the heads",
        &["HRT-LOG-7"],
        acc,
        samples,
    )
}

fn schedule_case() -> Case {
    let mut s = Stream::new("schedule");
    let mut acc = Sha256::new();
    let mut samples = Vec::new();
    for i in 0..COUNT {
        let (init_prev, commit_secret, gch, cth) = (s.take32(), s.take32(), s.take32(), s.take32());
        let k = derive_epoch(&init_prev, &commit_secret, &gch, &cth);
        let parts: [&[u8]; 12] = [
            k.prk.as_ref().map_or(&[][..], |x| &x[..]),
            k.joiner.as_ref().map_or(&[][..], |x| &x[..]),
            k.welcome_secret.as_ref().map_or(&[][..], |x| &x[..]),
            k.welcome_key.as_ref().map_or(&[][..], |x| &x[..]),
            k.welcome_nonce.as_ref().map_or(&[][..], |x| &x[..]),
            &k.epoch_secret,
            &k.app,
            &k.confirm_key,
            &k.exporter,
            &k.authenticator,
            &k.init,
            &k.confirmation_tag,
        ];
        for p in parts {
            acc.update(p);
        }
        if i < 1 {
            samples.push(serde_json::json!({
                "init_secret_prev": hex(&init_prev), "commit_secret": hex(&commit_secret),
                "gc_hash": hex(&gch), "cth": hex(&cth),
                "epoch_secret": hex(&k.epoch_secret), "confirmation_tag": hex(&k.confirmation_tag)
            }));
        }
    }
    case(
        "schedule",
        "the key schedule of epoch n >= 1 (§6.4) from generated init_secret[n-1], commit_secret, gc_hash and cth: SHA-256 over the twelve values of schedule.json's intermediates 01 to 12, in that order, for each case",
        &["HRT-GRP-5"],
        acc,
        samples,
    )
}

fn ratchet_case() -> Case {
    let mut s = Stream::new("ratchet");
    let mut acc = Sha256::new();
    let mut samples = Vec::new();
    for i in 0..COUNT {
        let app = s.take32();
        let leaf = u64::from(s.byte());
        let g = u64::from(s.below(16));
        let (_, gens) = sender_chain(&app, leaf, g);
        if let Some(last) = gens.last() {
            acc.update(last.chain);
            acc.update(last.key);
            acc.update(last.nonce);
            if i < 3 {
                samples.push(serde_json::json!({
                    "app_secret": hex(&app), "leaf": leaf, "generation": g,
                    "chain_secret": hex(&last.chain), "key": hex(&last.key), "nonce": hex(&last.nonce)
                }));
            }
        }
    }
    case(
        "ratchet",
        "sender ratchets (§6.14) from generated app_secret, leaf and generation g < 16: SHA-256 over chain secret || key || nonce of generation g for each case",
        &["HRT-RAT-1", "HRT-RAT-2"],
        acc,
        samples,
    )
}

/// The family.
pub fn accumulated_family() -> R<VectorFile> {
    Ok(VectorFile {
        family: "accumulated",
        description: format!(
            "Accumulated vectors (spec §14.2.1): {COUNT} generated cases per family, hashed into one value each; the grammar of the generated inputs is in §14.2.1 and the README"
        ),
        seed: "SHAKE128 streams named in each case (no other randomness)".into(),
        cases: vec![wire_case(), log_case(), schedule_case(), ratchet_case()],
    })
}
