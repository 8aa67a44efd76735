//! The single source of randomness of the protocol layer (spec §3.9).
//!
//! Every value §3.9 lists (private keys, invitation secrets, `commit_secret`, `epoch_secret[0]`,
//! channel ids, reuse guards, HPKE ephemeral keying material, batch coefficients) is drawn from
//! a [`HearthRng`]. A production build can only make [`HearthRng::os`], the operating system's
//! generator (HRT-CRYPTO-39). With `cfg(test)` or the `danger-deterministic` feature a seeded
//! generator exists as well, so that every test vector can be reproduced from a 32-byte seed; it
//! is not reachable in a production build (HRT-CRYPTO-40).

use core::fmt;

use rand_core::{CryptoRng, OsRng, RngCore};

/// The randomness source of a group, an invitation or a join.
pub struct HearthRng(Source);

enum Source {
    Os,
    #[cfg(any(test, feature = "danger-deterministic"))]
    Seeded(Box<SeededRng>),
}

impl HearthRng {
    /// The operating system's CSPRNG (HRT-CRYPTO-39).
    pub fn os() -> Self {
        Self(Source::Os)
    }

    /// DANGER: a deterministic generator from a 32-byte seed, for reproducible vectors and
    /// tests only (HRT-CRYPTO-40: absent from production builds).
    #[cfg(any(test, feature = "danger-deterministic"))]
    #[doc(hidden)]
    pub fn danger_seeded(seed: [u8; 32]) -> Self {
        Self(Source::Seeded(Box::new(SeededRng::new(seed))))
    }
}

impl Default for HearthRng {
    fn default() -> Self {
        Self::os()
    }
}

impl fmt::Debug for HearthRng {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Source::Os => f.write_str("HearthRng(os)"),
            #[cfg(any(test, feature = "danger-deterministic"))]
            Source::Seeded(_) => f.write_str("HearthRng(DANGER seeded)"),
        }
    }
}

impl RngCore for HearthRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        match &mut self.0 {
            Source::Os => OsRng.fill_bytes(dest),
            #[cfg(any(test, feature = "danger-deterministic"))]
            Source::Seeded(s) => s.fill(dest),
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for HearthRng {}

/// A deterministic generator: block `i` is `SHA-256("hearth-test-rng" || seed || i)`. Good
/// enough to make tests reproducible; never a production source.
#[cfg(any(test, feature = "danger-deterministic"))]
struct SeededRng {
    seed: zeroize::Zeroizing<[u8; 32]>,
    counter: u64,
    block: zeroize::Zeroizing<[u8; 32]>,
    used: usize,
}

#[cfg(any(test, feature = "danger-deterministic"))]
impl SeededRng {
    fn new(seed: [u8; 32]) -> Self {
        Self {
            seed: zeroize::Zeroizing::new(seed),
            counter: 0,
            block: zeroize::Zeroizing::new([0u8; 32]),
            used: 32,
        }
    }

    fn fill(&mut self, dest: &mut [u8]) {
        use sha2::{Digest, Sha256};
        for d in dest.iter_mut() {
            if self.used == 32 {
                let mut h = Sha256::new();
                h.update(b"hearth-test-rng");
                h.update(*self.seed);
                h.update(self.counter.to_be_bytes());
                self.block.copy_from_slice(&h.finalize());
                self.counter = self.counter.wrapping_add(1);
                self.used = 0;
            }
            *d = self.block.get(self.used).copied().unwrap_or(0);
            self.used += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_is_reproducible() {
        let mut a = HearthRng::danger_seeded([7; 32]);
        let mut b = HearthRng::danger_seeded([7; 32]);
        let (mut x, mut y) = ([0u8; 100], [0u8; 100]);
        a.fill_bytes(&mut x);
        b.fill_bytes(&mut y);
        assert_eq!(x, y);
        let mut c = HearthRng::danger_seeded([8; 32]);
        c.fill_bytes(&mut y);
        assert_ne!(x, y);
    }
}
