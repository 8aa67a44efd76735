//! Extension maps (spec §11): the only open place in a core structure.
//!
//! ```cddl
//! ext = { ? 1: [1*16 ext-key], * ext-key => any }   ; ext-key = 1000..65535
//! ```
//! Key 1 is `crit`: strictly increasing keys, each >= 1000, each present in the map, none a
//! GREASE value. Every other key is an extension key; at most 16 of them (HRT-WIRE-21).
//! Unknown non-critical keys (GREASE included) are ignored but kept, so re-encoding
//! reproduces the received bytes. A `crit` key the receiver does not implement (see
//! [`crate::Decoder::with_understood`]) is [`WireError::UnknownCritical`].

use std::collections::BTreeMap;

use crate::codec::{RawValue, WireDecode, WireEncode};
use crate::decode::Decoder;
use crate::encode::Encoder;
use crate::error::WireError;
use crate::types::is_grease;

/// The smallest extension key.
pub const MIN_EXT_KEY: u16 = 1000;
/// The most extension entries besides `crit` (HRT-WIRE-21).
pub const MAX_EXT_ENTRIES: usize = 16;
/// The most keys in `crit`.
pub const MAX_CRIT: usize = 16;

/// A decoded extension map.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtMap {
    crit: Vec<u16>,
    entries: BTreeMap<u16, RawValue>,
}

impl ExtMap {
    /// The empty map `{}`.
    pub fn new() -> Self {
        Self::default()
    }

    /// True if the map has no entries (and so no `crit`).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The keys listed in `crit`, increasing.
    pub fn crit(&self) -> &[u16] {
        &self.crit
    }

    /// The value of an extension key.
    pub fn get(&self, key: u16) -> Option<&RawValue> {
        self.entries.get(&key)
    }

    /// The extension entries, by increasing key.
    pub fn iter(&self) -> impl Iterator<Item = (u16, &RawValue)> {
        self.entries.iter().map(|(k, v)| (*k, v))
    }

    /// Sets an extension value. Keys below 1000 are [`WireError::InvalidValue`]; a 17th
    /// entry is [`WireError::ExtTooLarge`].
    pub fn insert(&mut self, key: u16, value: RawValue) -> Result<(), WireError> {
        if key < MIN_EXT_KEY {
            return Err(WireError::InvalidValue);
        }
        if !self.entries.contains_key(&key) && self.entries.len() >= MAX_EXT_ENTRIES {
            return Err(WireError::ExtTooLarge);
        }
        self.entries.insert(key, value);
        Ok(())
    }

    /// Lists a present, non-GREASE key in `crit`.
    pub fn mark_critical(&mut self, key: u16) -> Result<(), WireError> {
        if !self.entries.contains_key(&key) {
            return Err(WireError::InvalidValue);
        }
        if is_grease(u64::from(key)) {
            return Err(WireError::InvalidValue);
        }
        if let Err(i) = self.crit.binary_search(&key) {
            self.crit.insert(i, key);
        }
        Ok(())
    }

    /// Checks `crit` against the keys the receiver implements.
    pub fn check_critical(&self, understood: &[u64]) -> Result<(), WireError> {
        match self
            .crit
            .iter()
            .find(|c| !understood.contains(&u64::from(**c)))
        {
            Some(_) => Err(WireError::UnknownCritical),
            None => Ok(()),
        }
    }
}

impl WireEncode for ExtMap {
    fn encode(&self, e: &mut Encoder) {
        let n = self.entries.len() + usize::from(!self.crit.is_empty());
        e.map(n);
        if !self.crit.is_empty() {
            e.uint(1).array(self.crit.len());
            for c in &self.crit {
                e.uint(u64::from(*c));
            }
        }
        for (k, v) in &self.entries {
            e.uint(u64::from(*k));
            v.encode(e);
        }
    }
}

fn ext_key(v: u64) -> Option<u16> {
    u16::try_from(v).ok().filter(|k| *k >= MIN_EXT_KEY)
}

impl WireDecode for ExtMap {
    fn decode_from(d: &mut Decoder<'_>) -> Result<Self, WireError> {
        let understood = d.understood();
        let mut m = d.map()?;
        let crit = m
            .optional(1, |d| {
                // §2.7.1 rows T2, T1 and then T6: the count, the type of every element, and
                // only then the constraints on the list as a whole (HRT-EXT-11).
                let n = d.array_range(1, MAX_CRIT)?;
                let mut raw: Vec<u64> = Vec::with_capacity(n);
                for _ in 0..n {
                    raw.push(d.uint()?);
                }
                let mut crit: Vec<u16> = Vec::with_capacity(n);
                for v in raw {
                    let k = ext_key(v).ok_or(WireError::InvalidValue)?;
                    if is_grease(v) || crit.last().is_some_and(|p| *p >= k) {
                        return Err(WireError::InvalidValue);
                    }
                    crit.push(k);
                }
                Ok(crit)
            })?
            .unwrap_or_default();
        let mut entries = BTreeMap::new();
        while let Some(k) = m.next_key()? {
            let k = ext_key(k).ok_or(WireError::UnknownKey)?;
            if entries.len() >= MAX_EXT_ENTRIES {
                return Err(WireError::ExtTooLarge);
            }
            let v = RawValue::decode_from(m.decoder())?;
            entries.insert(k, v);
        }
        m.finish()?;
        // HRT-EXT: a crit entry naming a key absent from the map is `invalid_value` (§11.3).
        if crit.iter().any(|c| !entries.contains_key(c)) {
            return Err(WireError::InvalidValue);
        }
        let ext = ExtMap { crit, entries };
        // HRT-EXT-12, except in a relayed structure, whose crit the relay does not judge
        // (HRT-EXT-17).
        if !d.is_relayed() {
            ext.check_critical(understood)?;
        }
        Ok(ext)
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for ExtMap {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut ext = ExtMap::new();
        let n = u.int_in_range(0..=3usize)?;
        for _ in 0..n {
            let key = if u.arbitrary::<bool>()? {
                *u.choose(&crate::types::GREASE)?
            } else {
                u.int_in_range(MIN_EXT_KEY..=u16::MAX)?
            };
            let v = RawValue::arbitrary(u)?;
            // Within the bounds by construction.
            let _ = ext.insert(key, v);
        }
        Ok(ext)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(hex_str: &str, understood: &[u64]) -> Result<ExtMap, WireError> {
        let b = hex::decode(hex_str.replace(' ', "")).unwrap();
        ExtMap::decode_with(&b, &crate::Profile::DEFAULT, understood)
    }

    /// HRT-EXT-17: a relay checks crit's structure but does not judge it against implemented
    /// keys; the same bytes are rejected by a receiver that acts on them (HRT-EXT-12).
    #[test]
    fn hrt_ext_17_relayed_crit_is_not_judged() {
        let b = hex::decode("a201811903e81903e800").unwrap_or_default();
        assert_eq!(
            ExtMap::decode_with(&b, &crate::Profile::DEFAULT, &[]),
            Err(WireError::UnknownCritical)
        );
        assert!(ExtMap::decode_relayed(&b, &crate::Profile::DEFAULT).is_ok());
        // Structure is still checked in the relayed mode: crit names an absent key.
        let b = hex::decode("a201811903e91903e800").unwrap_or_default();
        assert_eq!(
            ExtMap::decode_relayed(&b, &crate::Profile::DEFAULT),
            Err(WireError::InvalidValue)
        );
    }

    #[test]
    fn crit_rules() {
        // {1: [1000], 1000: 0}
        assert!(dec("a2 01 81 19 03e8 19 03e8 00", &[1000]).is_ok());
        assert_eq!(
            dec("a2 01 81 19 03e8 19 03e8 00", &[]),
            Err(WireError::UnknownCritical)
        );
        // crit names an absent key (§11.3: invalid_value).
        assert_eq!(
            dec("a2 01 81 19 03e9 19 03e8 00", &[1001]),
            Err(WireError::InvalidValue)
        );
        // crit below 1000.
        assert_eq!(dec("a1 01 81 05", &[]), Err(WireError::InvalidValue));
        // crit empty.
        assert_eq!(dec("a1 01 80", &[]), Err(WireError::MissingKey));
        // §2.7.1: every element's type before the order of the list.
        assert_eq!(
            dec("a1 01 83 19 03e9 19 03e8 61 61", &[]),
            Err(WireError::WrongType)
        );
        // crit not increasing.
        assert_eq!(
            dec(
                "a3 01 82 19 03e9 19 03e8 19 03e8 00 19 03e9 00",
                &[1000, 1001]
            ),
            Err(WireError::InvalidValue)
        );
        // GREASE in crit.
        assert_eq!(
            dec("a2 01 81 19 0a0a 19 0a0a 00", &[0x0a0a]),
            Err(WireError::InvalidValue)
        );
        // GREASE as a plain key is ignored.
        assert!(dec("a1 19 0a0a 40", &[]).is_ok());
        // Key between 1 and 1000.
        assert_eq!(dec("a1 02 00", &[]), Err(WireError::UnknownKey));
        assert_eq!(dec("a1 00 00", &[]), Err(WireError::UnknownKey));
        // Key above 65535.
        assert_eq!(dec("a1 1a 00010000 00", &[]), Err(WireError::UnknownKey));
    }

    #[test]
    fn at_most_16_entries() {
        let mut ext = ExtMap::new();
        for k in 0..16u16 {
            ext.insert(2000 + k, RawValue::empty_map()).unwrap();
        }
        let mut b = ext.to_vec();
        assert_eq!(ExtMap::decode(&b).unwrap(), ext);
        // Add a 17th entry by hand.
        b[0] = 0xb1;
        b.extend_from_slice(&[0x19, 0x0f, 0xa0, 0x00]);
        assert_eq!(ExtMap::decode(&b), Err(WireError::ExtTooLarge));
        assert_eq!(
            ext.insert(3000, RawValue::empty_map()),
            Err(WireError::ExtTooLarge)
        );
    }
}
