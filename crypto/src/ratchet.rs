//! Sender ratchets (spec §6.14) and receiver bounds (spec §6.15).
//!
//! ```text
//! for each leaf l of Roster[n]:
//!     s[l][0] = ExpandWithLabel(app_secret[n], "sender", l, 32)    ; l as an unsigned integer
//! delete app_secret[n]
//!
//! for generation g = 0, 1, 2, ... of leaf l:
//!     key_g   = ExpandWithLabel(s[l][g], "ratchet-key",   g, 32)     ; g as an unsigned integer
//!     nonce_g = ExpandWithLabel(s[l][g], "ratchet-nonce", g, 12)
//!     s[l][g+1] = ExpandWithLabel(s[l][g], "ratchet-next", g, 32)
//!     delete s[l][g]
//! ```
//!
//! The receiver side is two-phase so that a rejected envelope leaves the state as it was
//! (HRT-RAT-11, HRT-MSG-24): `EpochRatchets::lookup` applies the bounds of §6.15 and derives
//! the key of generation `g` into a `Tentative` without changing anything;
//! `EpochRatchets::accept` installs it once every check of §7.5 has passed.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::error::{Misuse, ProtocolError};
use crate::hazmat::aead::NONCE_LEN;
use crate::hazmat::label;
use crate::hazmat::labelled::expand_with_label;
use crate::persist::{self, ensure, Corrupt, Writer, R};
use crate::secret::{Secret, Secret32};
use hearth_wire::Decoder;

/// `app_secret[n]` of the key schedule (spec §6.4); only the ratchets consume it.
pub(crate) struct AppSecret(pub(crate) Secret32);

/// A receiver may jump at most this far ahead of the highest generation it has opened
/// (HRT-RAT-7).
pub const MAX_FORWARD: u64 = 1000;
/// The most skipped keys a receiver stores per epoch (HRT-RAT-8).
pub const MAX_SKIPPED: usize = 2000;

/// `key_g` and `nonce_g` of one generation. Zeroized on drop; used once.
#[derive(Clone)]
pub(crate) struct MessageKeys {
    pub(crate) key: Secret32,
    pub(crate) nonce: Secret<NONCE_LEN>,
}

/// One step of a chain: the keys of generation `g` and `s_(g+1)`. The caller drops `s_g`
/// (HRT-RAT-2, HRT-RAT-4).
fn step(s: &Secret32, g: u64) -> (MessageKeys, Secret32) {
    let ctx = |e: &mut hearth_wire::Encoder| {
        e.uint(g);
    };
    let keys = MessageKeys {
        key: expand_with_label::<32>(s, label::RATCHET_KEY, ctx),
        nonce: expand_with_label::<NONCE_LEN>(s, label::RATCHET_NONCE, ctx),
    };
    (keys, expand_with_label::<32>(s, label::RATCHET_NEXT, ctx))
}

/// The ratchet of one leaf in one epoch.
#[derive(Clone)]
struct LeafChain {
    /// `next[l]`: the generation whose chain secret `chain` is.
    next: u64,
    /// `s[l][next]`; `None` once the generations are exhausted.
    chain: Option<Secret32>,
    /// `highest[l]`, `None` before the first opened generation (−1 in the spec).
    highest: Option<u64>,
    /// The record of opened (or, for the own leaf, sent) generations (HRT-RAT-9).
    opened: BTreeSet<u64>,
}

/// The sender ratchets of every leaf of one epoch and the shared skipped-key store.
#[derive(Clone)]
pub(crate) struct EpochRatchets {
    leaves: Vec<LeafChain>,
    skipped: BTreeMap<(u8, u64), MessageKeys>,
    /// Insertion order of `skipped` (may hold stale entries already used).
    order: VecDeque<(u8, u64)>,
}

/// The key of a generation, derived but not yet installed.
pub(crate) enum Tentative {
    /// From the skipped store (HRT-RAT-10's "use and remove that key").
    Stored(MessageKeys),
    /// Derived by moving the chain forward; the keys of the generations passed over and the
    /// new chain secret are installed only on acceptance.
    Fresh {
        keys: MessageKeys,
        passed: Vec<(u64, MessageKeys)>,
        next_chain: Option<Secret32>,
    },
}

impl Tentative {
    /// A copy for the working state of a page (spec §7.5 with batch verification).
    pub(crate) fn clone_for_page(&self) -> Self {
        match self {
            Tentative::Stored(k) => Tentative::Stored(k.clone()),
            Tentative::Fresh {
                keys,
                passed,
                next_chain,
            } => Tentative::Fresh {
                keys: keys.clone(),
                passed: passed.clone(),
                next_chain: next_chain.clone(),
            },
        }
    }

    pub(crate) fn keys(&self) -> &MessageKeys {
        match self {
            Tentative::Stored(k) | Tentative::Fresh { keys: k, .. } => k,
        }
    }
}

impl EpochRatchets {
    /// Derives `s[l][0]` for every leaf and consumes `app_secret[n]` (HRT-RAT-1, HRT-RAT-3).
    pub(crate) fn new(app: AppSecret, leaves: usize) -> Self {
        let leaves = (0..leaves)
            .map(|l| LeafChain {
                next: 0,
                chain: Some(expand_with_label::<32>(&app.0, label::SENDER, |e| {
                    e.uint(l as u64);
                })),
                highest: None,
                opened: BTreeSet::new(),
            })
            .collect();
        drop(app);
        Self {
            leaves,
            skipped: BTreeMap::new(),
            order: VecDeque::new(),
        }
    }

    /// The next generation of the own leaf and its keys; the chain moves on at once and the
    /// generation is recorded as used (HRT-RAT-5). The caller drops the keys after sealing
    /// (HRT-RAT-6).
    pub(crate) fn next_own(&mut self, leaf: u8) -> Result<(u32, MessageKeys), ProtocolError> {
        let c = self
            .leaves
            .get_mut(usize::from(leaf))
            .ok_or(Misuse::GenerationsExhausted)?;
        let g = c.next;
        let gen = u32::try_from(g).map_err(|_| Misuse::GenerationsExhausted)?;
        let chain = c.chain.take().ok_or(Misuse::GenerationsExhausted)?;
        let (keys, next) = step(&chain, g);
        drop(chain);
        c.next = g + 1;
        c.chain = (g < u64::from(u32::MAX)).then_some(next);
        c.highest = Some(g);
        c.opened.insert(g);
        Ok((gen, keys))
    }

    /// Step 7 of §7.5 (the bounds of §6.15) and the derivation of step 8, without changing any
    /// state (HRT-RAT-11).
    ///
    /// ```text
    /// if g > highest[l] + 1000:                 reject generation_too_far
    /// if g < next[l]:
    ///     if (l, g) in skipped store:           use and remove that key (after acceptance)
    ///     elif g was opened:                    reject duplicate_message
    ///     else:                                 reject generation_expired
    /// else:
    ///     move the chain of l forward from next[l] to g
    /// ```
    pub(crate) fn lookup(&self, leaf: u8, g: u32) -> Result<Tentative, ProtocolError> {
        let g = u64::from(g);
        let c = self
            .leaves
            .get(usize::from(leaf))
            .ok_or(ProtocolError::UnknownSender)?;
        // HRT-RAT-7: highest = -1 before the first, so the limit is then 999.
        let limit = c.highest.map_or(MAX_FORWARD - 1, |h| h + MAX_FORWARD);
        if g > limit {
            return Err(ProtocolError::GenerationTooFar);
        }
        if g < c.next {
            if let Some(k) = self.skipped.get(&(leaf, g)) {
                return Ok(Tentative::Stored(k.clone()));
            }
            // HRT-RAT-9 / HRT-RAT-10.
            return Err(if c.opened.contains(&g) {
                ProtocolError::DuplicateMessage
            } else {
                ProtocolError::GenerationExpired
            });
        }
        let mut chain = c.chain.clone().ok_or(ProtocolError::GenerationExpired)?;
        let mut passed = Vec::new();
        let mut h = c.next;
        loop {
            let (keys, next) = step(&chain, h);
            chain = next;
            if h == g {
                let next_chain = (h < u64::from(u32::MAX)).then_some(chain);
                return Ok(Tentative::Fresh {
                    keys,
                    passed,
                    next_chain,
                });
            }
            passed.push((h, keys));
            h += 1;
        }
    }

    /// Installs an accepted generation: deletes its key (HRT-RAT-12), records it as opened
    /// (HRT-MSG-25), moves the chain and stores the keys passed over, dropping the oldest
    /// stored key beyond [`MAX_SKIPPED`] (HRT-RAT-8).
    pub(crate) fn accept(&mut self, leaf: u8, g: u32, t: Tentative) {
        let g = u64::from(g);
        match t {
            Tentative::Stored(keys) => {
                drop(keys);
                self.skipped.remove(&(leaf, g));
            }
            Tentative::Fresh {
                keys,
                passed,
                next_chain,
            } => {
                drop(keys);
                if let Some(c) = self.leaves.get_mut(usize::from(leaf)) {
                    c.next = g + 1;
                    c.chain = next_chain;
                }
                for (h, k) in passed {
                    self.store(leaf, h, k);
                }
            }
        }
        if let Some(c) = self.leaves.get_mut(usize::from(leaf)) {
            c.opened.insert(g);
            c.highest = Some(c.highest.map_or(g, |h| h.max(g)));
        }
    }

    fn store(&mut self, leaf: u8, g: u64, k: MessageKeys) {
        while self.skipped.len() >= MAX_SKIPPED {
            match self.order.pop_front() {
                Some(old) => {
                    self.skipped.remove(&old);
                }
                None => break,
            }
        }
        self.skipped.insert((leaf, g), k);
        self.order.push_back((leaf, g));
        if self.order.len() > 2 * MAX_SKIPPED {
            let skipped = &self.skipped;
            self.order.retain(|k| skipped.contains_key(k));
        }
    }

    /// Moves the per-leaf state to new indices: not used across epochs (a new epoch has new
    /// ratchets), kept for clarity of §6.9 step 9. The generations of each leaf's chain that a
    /// member still holds, as `(leaf, next generation)`.
    pub(crate) fn held_chains(&self) -> Vec<(u8, u64)> {
        self.leaves
            .iter()
            .enumerate()
            .filter(|(_, c)| c.chain.is_some())
            .map(|(l, c)| (l as u8, c.next))
            .collect()
    }

    /// The `(leaf, generation)` of every stored skipped key.
    pub(crate) fn held_skipped(&self) -> Vec<(u8, u64)> {
        self.skipped.keys().copied().collect()
    }
}

/// One past the last generation of a chain: `next` reaches it when generation `u32::MAX` has
/// been used, and the chain secret is then gone.
const GENERATIONS: u64 = 1 << 32;

impl EpochRatchets {
    /// Writes the ratchets (spec §6.1 "sender ratchets") for a saved state:
    ///
    /// ```text
    /// ratchets = [[* chain], [* skipped]]
    /// chain    = [next, [? s[l][next]], [? highest], [* opened generation]]  ; increasing
    /// skipped  = [leaf, g, key_g, nonce_g]          ; in insertion order, oldest first
    /// ```
    ///
    /// Only what is held is written (spec §6.16): used chain secrets and used or dropped
    /// message keys are gone. The stale entries of the insertion order (keys already used)
    /// are not written: they name no key and change no later choice of the oldest key.
    pub(crate) fn save(&self, w: &mut Writer) {
        w.e().array(2).array(self.leaves.len());
        for c in &self.leaves {
            w.e().array(4).uint(c.next);
            w.opt(c.chain.as_ref(), |w, s| {
                w.secret(s.as_bytes());
            });
            w.opt(c.highest.as_ref(), |w, h| {
                w.e().uint(*h);
            });
            w.e().array(c.opened.len());
            for g in &c.opened {
                w.e().uint(*g);
            }
        }
        let live: Vec<&(u8, u64)> = self
            .order
            .iter()
            .filter(|k| self.skipped.contains_key(k))
            .collect();
        w.e().array(live.len());
        for k in live {
            if let Some(m) = self.skipped.get(k) {
                w.e().array(4).uint(u64::from(k.0)).uint(k.1);
                w.secret(m.key.as_bytes()).secret(m.nonce.as_bytes());
            }
        }
    }

    /// Reads ratchets written by [`EpochRatchets::save`] for a roster of `leaves` entries and
    /// checks every invariant the live structure keeps: one chain per leaf; a chain secret
    /// exactly while generations remain; opened generations increasing and below `next`;
    /// `highest` the largest of them; skipped keys of known leaves, below `next`, not opened,
    /// each at most once, at most [`MAX_SKIPPED`].
    pub(crate) fn restore(d: &mut Decoder<'_>, leaves: usize) -> R<Self> {
        d.array(2)?;
        d.array(leaves)?;
        let mut chains = Vec::with_capacity(leaves);
        for _ in 0..leaves {
            d.array(4)?;
            let next = d.uint()?;
            let chain = persist::opt(d, persist::secret::<32>)?;
            let highest = persist::opt(d, |d| Ok(d.uint()?))?;
            ensure(next <= GENERATIONS && chain.is_some() == (next < GENERATIONS))?;
            let n = d.array_head()?;
            let mut opened = BTreeSet::new();
            let mut last = None;
            for _ in 0..n {
                let g = d.uint()?;
                ensure(g < next && last.is_none_or(|l| l < g))?;
                opened.insert(g);
                last = Some(g);
            }
            ensure(highest == last)?;
            chains.push(LeafChain {
                next,
                chain,
                highest,
                opened,
            });
        }
        let n = d.array_range(0, MAX_SKIPPED)?;
        let mut skipped = BTreeMap::new();
        let mut order = VecDeque::with_capacity(n);
        for _ in 0..n {
            d.array(4)?;
            let leaf = u8::try_from(d.uint()?).map_err(|_| Corrupt)?;
            let g = d.uint()?;
            let key = persist::secret::<32>(d)?;
            let nonce = persist::secret::<NONCE_LEN>(d)?;
            let c = chains.get(usize::from(leaf)).ok_or(Corrupt)?;
            ensure(g < c.next && !c.opened.contains(&g))?;
            let old = skipped.insert((leaf, g), MessageKeys { key, nonce });
            ensure(old.is_none())?;
            order.push_back((leaf, g));
        }
        Ok(Self {
            leaves: chains,
            skipped,
            order,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ratchets() -> EpochRatchets {
        EpochRatchets::new(AppSecret(Secret32::from_bytes([5; 32])), 3)
    }

    #[test]
    fn sender_and_receiver_agree_hrt_rat_2() {
        let mut s = ratchets();
        let r = ratchets();
        let (g, k) = s.next_own(1).unwrap_or_else(|_| unreachable!());
        assert_eq!(g, 0);
        let t = r.lookup(1, 0).unwrap_or_else(|_| unreachable!());
        assert!(t.keys().key.ct_eq(&k.key));
    }

    #[test]
    fn bounds_hrt_rat_7_9_10() {
        let mut r = ratchets();
        assert_eq!(
            r.lookup(0, 1000).err(),
            Some(ProtocolError::GenerationTooFar)
        );
        let Ok(t) = r.lookup(0, 999) else {
            unreachable!()
        };
        r.accept(0, 999, t);
        assert_eq!(r.held_skipped().len(), 999);
        assert_eq!(
            r.lookup(0, 999).err(),
            Some(ProtocolError::DuplicateMessage)
        );
        assert!(r.lookup(0, 1999).is_ok());
        assert_eq!(
            r.lookup(0, 2000).err(),
            Some(ProtocolError::GenerationTooFar)
        );
        let Ok(t) = r.lookup(0, 5) else {
            unreachable!()
        };
        assert!(matches!(t, Tentative::Stored(_)));
        r.accept(0, 5, t);
        assert_eq!(r.lookup(0, 5).err(), Some(ProtocolError::DuplicateMessage));
    }

    #[test]
    fn store_drops_oldest_first_hrt_rat_8() {
        let mut r = ratchets();
        let Ok(t) = r.lookup(0, 999) else {
            unreachable!()
        };
        r.accept(0, 999, t);
        let Ok(t) = r.lookup(1, 999) else {
            unreachable!()
        };
        r.accept(1, 999, t);
        let Ok(t) = r.lookup(2, 999) else {
            unreachable!()
        };
        r.accept(2, 999, t);
        assert_eq!(r.held_skipped().len(), MAX_SKIPPED);
        // The oldest keys (leaf 0, generations 0..) were dropped first.
        assert_eq!(r.lookup(0, 0).err(), Some(ProtocolError::GenerationExpired));
        assert!(r.lookup(2, 0).is_ok());
    }
}
