//! The suite-dependent KEM values of `spec/hearth.cddl` (spec §3.1, §12.7): an init key
//! (`init-pub`) and a KEM encapsulation (`kem-enc`, inside `kem-sealed`), whose sizes follow
//! the channel's suite (HRT-WIRE-29).
//!
//! Decoding is context free: a value of one of the sizes some suite defines decodes, any other
//! size is [`WireError::WrongSize`]. Whether the size is the one of the channel's suite is
//! checked once the suite is known, by the `check_suite` methods of the enclosing structures
//! (HRT-WIRE-30), after the receiver has checked that the structure names the channel's suite:
//! a suite-1 receiver answers a structure naming another suite with `unsupported_suite` first,
//! as before. The per-invite key and the join request's encapsulation stay X25519 in every
//! suite (`x-pub`, [`XPublic`] and [`crate::HpkeSealed`]; HRT-CRYPTO-54).

use crate::codec::{BoundedBytes, WireDecode, WireEncode};
use crate::decode::Decoder;
use crate::encode::Encoder;
use crate::error::WireError;
use crate::types::{Suite, XPublic};

fixed_bytes!(
    /// An X-Wing (MLKEM768-X25519) encapsulation key: 1,216 bytes, the ML-KEM-768
    /// encapsulation key (1,184) followed by the X25519 public key (32). Its FIPS 203 §7.2
    /// modulus check is hearth-crypto's, on use.
    XWingPublic, 1216
);
fixed_bytes!(
    /// An X-Wing ciphertext: 1,120 bytes, the ML-KEM-768 ciphertext (1,088) followed by the
    /// ephemeral X25519 public key (32).
    XWingEnc, 1120
);

/// The KEM sizes of a suite: `(Npk, Nenc)` of the KEM used for init keys, commit seals and
/// Welcomes (spec §12.7).
pub fn kem_sizes(suite: Suite) -> Result<(usize, usize), WireError> {
    match suite {
        Suite::X25519_SHA256_AES256GCM_ED25519 => Ok((XPublic::LEN, XPublic::LEN)),
        Suite::XWING_SHA256_AES256GCM_ED25519 => Ok((XWingPublic::LEN, XWingEnc::LEN)),
        _ => Err(WireError::UnsupportedSuite),
    }
}

/// The bound of a `group-info-ct` in a channel of `suite` (HRT-WIRE-31, spec §8.6): 131,072
/// bytes in suite 1, 393,216 in suite 2.
pub fn group_info_ct_max(suite: Suite) -> Result<usize, WireError> {
    match suite {
        Suite::X25519_SHA256_AES256GCM_ED25519 => Ok(131_072),
        Suite::XWING_SHA256_AES256GCM_ED25519 => Ok(393_216),
        _ => Err(WireError::UnsupportedSuite),
    }
}

/// Checks a `group-info-ct` of `len` bytes against the bound of `suite` (HRT-WIRE-31): longer
/// is [`WireError::LengthExceeded`].
pub fn check_group_info_ct(len: usize, suite: Suite) -> Result<(), WireError> {
    if len > group_info_ct_max(suite)? {
        Err(WireError::LengthExceeded)
    } else {
        Ok(())
    }
}

/// `init-pub = x-pub / xwing-pub`: an init key, 32 bytes in suite 1, 1,216 in suite 2.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum KemPublic {
    /// Suite 1: an X25519 public key.
    X25519(XPublic),
    /// Suite 2: an X-Wing encapsulation key.
    XWing(Box<XWingPublic>),
}

/// `kem-enc = x-pub / xwing-enc`: a KEM encapsulation, 32 bytes in suite 1, 1,120 in suite 2.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum KemEnc {
    /// Suite 1: the ephemeral X25519 public key.
    X25519(XPublic),
    /// Suite 2: an X-Wing ciphertext.
    XWing(Box<XWingEnc>),
}

macro_rules! kem_value {
    ($name:ident, $xw:ident, $pick:expr) => {
        impl $name {
            /// The encoded bytes.
            pub fn as_slice(&self) -> &[u8] {
                match self {
                    $name::X25519(k) => &k.0,
                    $name::XWing(k) => &k.0,
                }
            }

            /// The X25519 value of a suite-1 channel; an X-Wing value is
            /// [`WireError::WrongSize`] (HRT-WIRE-30).
            pub fn as_x25519(&self) -> Result<&XPublic, WireError> {
                match self {
                    $name::X25519(k) => Ok(k),
                    $name::XWing(_) => Err(WireError::WrongSize),
                }
            }

            /// Checks the size against `suite` (HRT-WIRE-30): a size of another suite is
            /// [`WireError::WrongSize`], a suite without a KEM size is
            /// [`WireError::UnsupportedSuite`].
            pub fn check_suite(&self, suite: Suite) -> Result<(), WireError> {
                let want: usize = $pick(kem_sizes(suite)?);
                if self.as_slice().len() == want {
                    Ok(())
                } else {
                    Err(WireError::WrongSize)
                }
            }
        }

        impl From<XPublic> for $name {
            fn from(k: XPublic) -> Self {
                $name::X25519(k)
            }
        }

        impl From<$xw> for $name {
            fn from(k: $xw) -> Self {
                $name::XWing(Box::new(k))
            }
        }

        impl WireEncode for $name {
            fn encode(&self, e: &mut Encoder) {
                e.bytes(self.as_slice());
            }
        }

        impl WireDecode for $name {
            fn decode_from(d: &mut Decoder<'_>) -> Result<Self, WireError> {
                let b = d.bytes()?;
                if let Ok(k) = <[u8; XPublic::LEN]>::try_from(b) {
                    return Ok($name::X25519(XPublic(k)));
                }
                // A choice of sizes (HRT-WIRE-15): above the largest is `length_exceeded`.
                if b.len() > $xw::LEN {
                    return Err(WireError::LengthExceeded);
                }
                match <[u8; $xw::LEN]>::try_from(b) {
                    Ok(k) => Ok($name::XWing(Box::new($xw(k)))),
                    Err(_) => Err(WireError::WrongSize),
                }
            }
        }
    };
}

kem_value!(KemPublic, XWingPublic, |(pk, _): (usize, usize)| pk);
kem_value!(KemEnc, XWingEnc, |(_, enc): (usize, usize)| enc);

wire_array!(
    /// `kem-sealed = [enc: kem-enc, ct]`: one single-shot HPKE seal under the channel's KEM
    /// (RFC 9180 §6.1), for the commit seals (`CommitTBS` key 8) and the Welcome (key 5).
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct KemSealed {
        /// The KEM encapsulation.
        enc: KemEnc,
        /// The AEAD ciphertext including its 16-byte tag.
        ct: BoundedBytes<16, 65552>,
    }
);

impl KemSealed {
    /// Checks the encapsulation's size against `suite` (HRT-WIRE-30).
    pub fn check_suite(&self, suite: Suite) -> Result<(), WireError> {
        self.enc.check_suite(suite)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S1: Suite = Suite::X25519_SHA256_AES256GCM_ED25519;
    const S2: Suite = Suite::XWING_SHA256_AES256GCM_ED25519;

    fn bstr(len: usize) -> Vec<u8> {
        let mut e = Encoder::new();
        e.bytes(&vec![7u8; len]);
        e.into_bytes()
    }

    /// HRT-WIRE-31: the GroupInfo ciphertext's bound follows the suite.
    #[test]
    fn group_info_ct_bound_by_suite() {
        assert_eq!(check_group_info_ct(131_072, S1), Ok(()));
        assert_eq!(
            check_group_info_ct(131_073, S1),
            Err(WireError::LengthExceeded)
        );
        assert_eq!(check_group_info_ct(393_216, S2), Ok(()));
        assert_eq!(
            check_group_info_ct(393_217, S2),
            Err(WireError::LengthExceeded)
        );
        assert_eq!(
            check_group_info_ct(16, Suite(3)),
            Err(WireError::UnsupportedSuite)
        );
    }

    #[test]
    fn sizes_of_each_suite() {
        assert_eq!(kem_sizes(S1), Ok((32, 32)));
        assert_eq!(kem_sizes(S2), Ok((1216, 1120)));
        assert_eq!(kem_sizes(Suite(3)), Err(WireError::UnsupportedSuite));
        assert_eq!(kem_sizes(Suite(0x0A0A)), Err(WireError::UnsupportedSuite));
    }

    #[test]
    fn suite_1_encoding_is_an_x_pub() {
        // Byte for byte the `x-pub` of 1.0-draft: a 32-byte string.
        let k = KemPublic::from(XPublic([5; 32]));
        assert_eq!(k.to_vec(), XPublic([5; 32]).to_vec());
        assert_eq!(KemPublic::decode(&bstr(32)), Ok(XPublic([7; 32]).into()));
        assert_eq!(KemEnc::decode(&bstr(32)), Ok(XPublic([7; 32]).into()));
    }

    #[test]
    fn decodes_only_sizes_a_suite_defines() {
        let k = KemPublic::decode(&bstr(1216)).unwrap();
        assert!(matches!(k, KemPublic::XWing(_)));
        assert_eq!(k.to_vec(), bstr(1216));
        let c = KemEnc::decode(&bstr(1120)).unwrap();
        assert_eq!(c.to_vec(), bstr(1120));
        for n in [0, 31, 33, 1120, 1184, 1215] {
            assert_eq!(
                KemPublic::decode(&bstr(n)),
                Err(WireError::WrongSize),
                "{n}"
            );
        }
        for n in [0, 31, 33, 1088, 1119] {
            assert_eq!(KemEnc::decode(&bstr(n)), Err(WireError::WrongSize), "{n}");
        }
        // Above the largest size of the choice (HRT-WIRE-15).
        assert_eq!(
            KemPublic::decode(&bstr(1217)),
            Err(WireError::LengthExceeded)
        );
        assert_eq!(KemEnc::decode(&bstr(1121)), Err(WireError::LengthExceeded));
        assert_eq!(KemEnc::decode(&bstr(1216)), Err(WireError::LengthExceeded));
    }

    #[test]
    fn wrong_size_for_the_suite() {
        let x = KemPublic::decode(&bstr(32)).unwrap();
        let w = KemPublic::decode(&bstr(1216)).unwrap();
        assert_eq!(x.check_suite(S1), Ok(()));
        assert_eq!(w.check_suite(S2), Ok(()));
        // Suite 1 with an X-Wing key, suite 2 with an X25519 key.
        assert_eq!(w.check_suite(S1), Err(WireError::WrongSize));
        assert_eq!(x.check_suite(S2), Err(WireError::WrongSize));
        assert_eq!(w.as_x25519(), Err(WireError::WrongSize));
        assert_eq!(WireError::WrongSize.code(), crate::ErrorCode::WRONG_SIZE);
        // An unknown suite has no sizes.
        assert_eq!(x.check_suite(Suite(9)), Err(WireError::UnsupportedSuite));
        let e = KemEnc::decode(&bstr(1120)).unwrap();
        assert_eq!(e.check_suite(S2), Ok(()));
        assert_eq!(e.check_suite(S1), Err(WireError::WrongSize));
        assert_eq!(
            KemEnc::from(XPublic([1; 32])).check_suite(S2),
            Err(WireError::WrongSize)
        );
    }
}
