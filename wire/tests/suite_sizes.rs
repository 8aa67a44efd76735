//! KEM sizes by suite (HRT-WIRE-29, HRT-WIRE-30): suite 1 keeps the 32-byte `x-pub` of
//! 1.0-draft byte for byte, suite 2 carries X-Wing values, and a value of one suite in a
//! structure checked against the other is `malformed` / `wrong_size`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use hearth_wire::group::{CommitTbs, GroupInfo, GroupOp, Welcome};
use hearth_wire::join::JoinRequest;
use hearth_wire::*;

const S1: Suite = Suite::X25519_SHA256_AES256GCM_ED25519;
const S2: Suite = Suite::XWING_SHA256_AES256GCM_ED25519;

fn xw_pub(n: u8) -> KemPublic {
    XWingPublic([n; 1216]).into()
}

fn xw_sealed(n: u8) -> KemSealed {
    KemSealed {
        enc: XWingEnc([n; 1120]).into(),
        ct: BoundedBytes::new(vec![n; 48]).unwrap(),
    }
}

/// Re-encodes and decodes, so that what is checked is what a receiver reads.
fn again<T: WireEncode + WireDecode>(v: &T) -> T {
    T::decode(&v.to_vec()).unwrap()
}

fn suite_2_commit() -> CommitTbs {
    let mut t = common::commit_tbs(2);
    t.suite = S2;
    t.init_key = xw_pub(1);
    t.sealed = BoundedVec::new(vec![xw_sealed(2), xw_sealed(3)]).unwrap();
    t.ops = BoundedVec::new(vec![GroupOp::Add {
        member_key: common::ek(4),
        init_key: xw_pub(5),
        role: Role::Member,
    }])
    .unwrap();
    t
}

#[test]
fn suite_1_structures_pass_their_suite_hrt_wire_29() {
    let t = again(&common::commit_tbs(3));
    assert_eq!(t.check_suite(S1), Ok(()));
    assert_eq!(again(&common::welcome()).check_suite(S1), Ok(()));
    assert_eq!(again(&common::group_info()).check_suite(S1), Ok(()));
    assert_eq!(again(&common::join_request()).check_suite(S1), Ok(()));
    // The suite-1 init key and encapsulation are plain 32-byte strings (`58 20`).
    let k = KemPublic::from(common::xk(9)).to_vec();
    assert_eq!(&k[..2], &[0x58, 0x20]);
}

#[test]
fn suite_2_structures_round_trip_hrt_wire_29() {
    let t = again(&suite_2_commit());
    assert_eq!(t, suite_2_commit());
    assert_eq!(t.check_suite(S2), Ok(()));
    let mut w = common::welcome();
    w.suite = S2;
    w.joiner_secret = xw_sealed(7);
    let w = again(&w);
    assert_eq!(w.check_suite(S2), Ok(()));
    assert_eq!(w.joiner_secret.enc.as_slice().len(), 1120);
    let mut jr = common::join_request();
    jr.init_key = xw_pub(8);
    assert_eq!(again(&jr).check_suite(S2), Ok(()));
}

#[test]
fn wrong_size_for_suite_1_hrt_wire_30() {
    // An X-Wing value anywhere in a structure of a suite-1 channel.
    let mut t = common::commit_tbs(2);
    t.init_key = xw_pub(1);
    assert_eq!(again(&t).check_suite(S1), Err(WireError::WrongSize));
    let mut t = common::commit_tbs(2);
    t.sealed = BoundedVec::new(vec![common::kem_sealed(1, 48), xw_sealed(2)]).unwrap();
    assert_eq!(again(&t).check_suite(S1), Err(WireError::WrongSize));
    let mut w = common::welcome();
    w.joiner_secret = xw_sealed(3);
    assert_eq!(again(&w).check_suite(S1), Err(WireError::WrongSize));
    let mut jr = common::join_request();
    jr.init_key = xw_pub(4);
    assert_eq!(again(&jr).check_suite(S1), Err(WireError::WrongSize));
    assert_eq!(WireError::WrongSize.code(), ErrorCode::WRONG_SIZE);
    assert_eq!(ErrorCode::WRONG_SIZE.status(), ErrorCode::MALFORMED);
}

#[test]
fn wrong_size_for_suite_2_hrt_wire_30() {
    // One X25519 value left in a suite-2 structure, in each position.
    let mut t = suite_2_commit();
    t.init_key = common::xk(1).into();
    assert_eq!(again(&t).check_suite(S2), Err(WireError::WrongSize));
    let mut t = suite_2_commit();
    t.ops = BoundedVec::new(vec![GroupOp::Add {
        member_key: common::ek(4),
        init_key: common::xk(5).into(),
        role: Role::Member,
    }])
    .unwrap();
    assert_eq!(again(&t).check_suite(S2), Err(WireError::WrongSize));
    let mut t = suite_2_commit();
    t.sealed = BoundedVec::new(vec![xw_sealed(2), common::kem_sealed(3, 48)]).unwrap();
    assert_eq!(again(&t).check_suite(S2), Err(WireError::WrongSize));
    assert_eq!(
        again(&common::welcome()).check_suite(S2),
        Err(WireError::WrongSize)
    );
    let gi: GroupInfo = again(&common::group_info());
    assert_eq!(gi.check_suite(S2), Err(WireError::WrongSize));
    let jr: JoinRequest = again(&common::join_request());
    assert_eq!(jr.check_suite(S2), Err(WireError::WrongSize));
}

#[test]
fn unknown_suite_and_other_sizes_hrt_wire_29() {
    let w: Welcome = again(&common::welcome());
    assert_eq!(w.check_suite(Suite(3)), Err(WireError::UnsupportedSuite));
    assert_eq!(
        WireError::UnsupportedSuite.code(),
        ErrorCode::UNSUPPORTED_SUITE
    );
    // A size no suite defines does not decode: ML-KEM-768 alone (1,184 / 1,088 bytes).
    let mut t = common::commit_tbs(0).to_vec();
    let k7 = KemPublic::from(common::xk(10)).to_vec();
    let at = t
        .windows(k7.len())
        .position(|w| w == k7.as_slice())
        .unwrap();
    let mut e = Encoder::new();
    e.bytes(&[0u8; 1184]);
    t.splice(at..at + k7.len(), e.into_bytes());
    assert_eq!(CommitTbs::decode(&t), Err(WireError::WrongSize));
    // The join request's own seal stays X25519 in every suite (HRT-CRYPTO-54): an X-Wing
    // encapsulation there is a wrong size at decode.
    let mut e = Encoder::new();
    e.array(2).bytes(&[0u8; 1120]).bytes(&[0u8; 48]);
    assert_eq!(
        HpkeSealed::decode(&e.into_bytes()),
        Err(WireError::WrongSize)
    );
}
