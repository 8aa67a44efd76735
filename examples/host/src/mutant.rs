//! Mutant switches (cargo feature `mutants`; TESTING ONLY, refused in release builds).
//!
//! Each [`Mutant`] breaks exactly one duty of spec §8/§9 in the smallest possible way, so that
//! the conformance suite can prove it notices (`hearth-conformance`, `tests/mutants.rs`). A host
//! runs as at most one mutant, chosen once at [`crate::host::Host::new`]: `[testing] mutant =
//! "NAME"` in its configuration, or else the environment variable [`MUTANT_ENV`].
//!
//! The switches sit at the checks they break, each marked `MUTANT name`; without the feature
//! they compile to nothing (the `mutant!` macro is the constant `false`, and the helpers of this
//! module do not exist).

use crate::db::{params, Conn as Connection};
use hearth_crypto::hazmat::label;
use hearth_crypto::hazmat::labelled::{bstr, signing_input};
use hearth_wire::request::{Request, SignedRequest};
use hearth_wire::{WireDecode, WireError};
use serde::Deserialize;

use crate::store::NonceHit;

/// The environment variable naming the mutant of a host whose configuration names none.
pub const MUTANT_ENV: &str = "HEARTH_MUTANT";

/// A deliberately broken variant of the reference host. Names are kebab-case
/// (`accept-replay`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mutant {
    /// Violates HRT-API-27: a nonce reused with different request bytes is executed (as if
    /// new) instead of answered `replay`.
    AcceptReplay,
    /// Violates HRT-API-28: a byte-identical retry is executed again instead of answered with
    /// the stored response bytes.
    RecomputeRetry,
    /// Violates HRT-API-8 (step 8): `host_url` is not compared with the canonical URL.
    SkipHostBinding,
    /// Violates HRT-API-25 (step 9): `ts` is not checked against the 300 s window.
    SkipFreshness,
    /// Violates HRT-API-20 / HRT-CRYPTO-13 / HRT-CRYPTO-14 (step 5): small-order and
    /// non-canonical signing keys are accepted (only the cofactored equation is checked).
    AcceptWeakKeys,
    /// Violates HRT-WIRE-3, HRT-WIRE-4 and the order rule of HRT-WIRE-8 (steps 3 and 6):
    /// non-shortest heads, indefinite lengths and misordered keys are canonicalised and
    /// accepted instead of rejected as `noncanonical`.
    AcceptNoncanonical,
    /// Violates HRT-WIRE-1, HRT-WIRE-12 and the duplicate rule of HRT-WIRE-8 (steps 3 and 6):
    /// trailing bytes are ignored, and unknown or repeated keys of the Request are dropped.
    LenientDecoder,
    /// Violates HRT-API-33 (step 13) for `log.fetch`: any key may read the log of an existing
    /// channel.
    ServeNonMember,
    /// Violates HRT-API-34: a non-member of an existing channel gets `forbidden`, so the
    /// answer differs from that for a channel that does not exist.
    NonUniformNotFound,
    /// Violates HRT-OP-21 / HRT-OP-26: `invite.redeem` neither checks nor conditionally flips
    /// `used`, so an invite can be redeemed twice.
    DoubleRedeem,
    /// Violates HRT-OP-32 / HRT-OP-46: `commit.post` and `msg.post` do not check the epoch.
    AcceptStaleEpoch,
    /// Violates HRT-LOG-7: the chain starts from 32 zero bytes instead of `head_0 = h''`, so
    /// every head is wrong.
    BreakHashChain,
    /// Violates HRT-LOG-3 / HRT-OP-48: a `msg` entry holds a re-encoding of the envelope field
    /// (the `bstr .cbor` item, byte-string head included) instead of the exact envelope bytes.
    ReencodeEntries,
    /// Violates HRT-API-16 / HRT-API-17 (step 2): bodies over `max_request` are processed.
    IgnoreMaxRequest,
    /// Violates HRT-API-16: the size is checked only after the whole body was read, so a
    /// request that declares an oversize body and sends none is never answered.
    SizeAfterBody,
    /// Violates HRT-API-15: step 9 (freshness) runs before step 8 (host binding).
    SwapCheckOrder,
    /// Violates HRT-OP-6: `channel.create` does not verify `owner_sig` (the first owner key is
    /// credited).
    NoOwnerCheck,
    /// Violates HRT-API-53 / HRT-API-54: every response of steps 12 to 15 is recorded in the
    /// nonce store, strangers' and reads included, as in the 1.0 draft.
    RecordEverything,
    /// Violates HRT-API-63 / HRT-OP-67 / HRT-OP-68: a removed member key gets the uniform
    /// `not_found` and no log, as in the 1.0 draft.
    ForgetRemoved,
    /// Violates HRT-OP-65 / HRT-OP-66: the 1.0 draft's creator mark: only the creator deletes,
    /// the creator cannot leave (the last other admin can), and leaf 0 is never removed or
    /// demoted.
    KeepCreatorMark,
    /// Violates HRT-OP-70: a commit may keep entries marked left.
    KeepLeftMembers,
    /// Violates HRT-OP-69: the RotateOp key is judged in op order, and a removed key is not
    /// known to the channel.
    LenientRotate,
    /// Violates HRT-OP-71: a recovery commit's key 11 is not checked.
    IgnoreRecover,
    /// Violates HRT-LOG-46: `log.fetch` ignores the byte bound of a page.
    UnboundedPage,
    /// Violates HRT-API-72: `commit.post` does not check the KEM sizes or the GroupInfo
    /// ciphertext's bound by the channel's suite.
    IgnoreSuiteSizes,
    /// Not a violation: the strictest verifier spec §3.5.5 allows a host (HRT-CRYPTO-46,
    /// HRT-KEY-29), as a host on libsodium's `crypto_sign_verify_detached` and
    /// `crypto_sign_ed25519_pk_to_curve25519` behaves: a request key, an `invite_auth` key or an
    /// `R` of mixed order is `bad_signature`. The host suite must pass it.
    StrictVerifier,
}

impl Mutant {
    /// Every mutant.
    pub const ALL: [Mutant; 26] = [
        Mutant::AcceptReplay,
        Mutant::RecomputeRetry,
        Mutant::SkipHostBinding,
        Mutant::SkipFreshness,
        Mutant::AcceptWeakKeys,
        Mutant::AcceptNoncanonical,
        Mutant::LenientDecoder,
        Mutant::ServeNonMember,
        Mutant::NonUniformNotFound,
        Mutant::DoubleRedeem,
        Mutant::AcceptStaleEpoch,
        Mutant::BreakHashChain,
        Mutant::ReencodeEntries,
        Mutant::IgnoreMaxRequest,
        Mutant::SizeAfterBody,
        Mutant::SwapCheckOrder,
        Mutant::NoOwnerCheck,
        Mutant::RecordEverything,
        Mutant::ForgetRemoved,
        Mutant::KeepCreatorMark,
        Mutant::KeepLeftMembers,
        Mutant::LenientRotate,
        Mutant::IgnoreRecover,
        Mutant::UnboundedPage,
        Mutant::IgnoreSuiteSizes,
        Mutant::StrictVerifier,
    ];

    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Mutant::AcceptReplay => "accept-replay",
            Mutant::RecomputeRetry => "recompute-retry",
            Mutant::SkipHostBinding => "skip-host-binding",
            Mutant::SkipFreshness => "skip-freshness",
            Mutant::AcceptWeakKeys => "accept-weak-keys",
            Mutant::AcceptNoncanonical => "accept-noncanonical",
            Mutant::LenientDecoder => "lenient-decoder",
            Mutant::ServeNonMember => "serve-non-member",
            Mutant::NonUniformNotFound => "non-uniform-not-found",
            Mutant::DoubleRedeem => "double-redeem",
            Mutant::AcceptStaleEpoch => "accept-stale-epoch",
            Mutant::BreakHashChain => "break-hash-chain",
            Mutant::ReencodeEntries => "reencode-entries",
            Mutant::IgnoreMaxRequest => "ignore-max-request",
            Mutant::SizeAfterBody => "size-after-body",
            Mutant::SwapCheckOrder => "swap-check-order",
            Mutant::NoOwnerCheck => "no-owner-check",
            Mutant::RecordEverything => "record-everything",
            Mutant::ForgetRemoved => "forget-removed",
            Mutant::KeepCreatorMark => "keep-creator-mark",
            Mutant::KeepLeftMembers => "keep-left-members",
            Mutant::LenientRotate => "lenient-rotate",
            Mutant::IgnoreRecover => "ignore-recover",
            Mutant::UnboundedPage => "unbounded-page",
            Mutant::IgnoreSuiteSizes => "ignore-suite-sizes",
            Mutant::StrictVerifier => "strict-verifier",
        }
    }

    /// The mutant named `name`.
    pub fn from_name(name: &str) -> Option<Mutant> {
        Mutant::ALL.into_iter().find(|m| m.name() == name)
    }

    /// The mutant named by [`MUTANT_ENV`] (unset or empty: none; an unknown name is an error,
    /// so that a typo never silently tests the unmutated host).
    pub fn from_env() -> Result<Option<Mutant>, String> {
        match std::env::var(MUTANT_ENV) {
            Ok(v) if !v.is_empty() => Mutant::from_name(&v)
                .map(Some)
                .ok_or_else(|| format!("{MUTANT_ENV}: unknown mutant `{v}`")),
            _ => Ok(None),
        }
    }
}

/// `accept-replay` and `recompute-retry` at step 10: forgets the stored (key, nonce) entry so
/// the request runs as new.
pub fn nonce_hit(
    mutant: Option<Mutant>,
    conn: &Connection,
    key: &[u8],
    nonce: &[u8],
    hit: Option<NonceHit>,
) -> crate::db::DbResult<Option<NonceHit>> {
    let forget = matches!(
        (&hit, mutant),
        (Some(NonceHit::Different), Some(Mutant::AcceptReplay))
            | (Some(NonceHit::Same(_)), Some(Mutant::RecomputeRetry))
    );
    if !forget {
        return Ok(hit);
    }
    conn.prepare_cached("DELETE FROM nonces WHERE key = ?1 AND nonce = ?2")?
        .execute(params![key, nonce])?;
    Ok(None)
}

fn noncanonical_class(e: &WireError) -> bool {
    matches!(
        e,
        WireError::NoncanonicalHead | WireError::IndefiniteLength | WireError::MisorderedKey
    )
}

fn lenient_class(e: &WireError) -> bool {
    matches!(
        e,
        WireError::TrailingBytes | WireError::UnknownKey | WireError::DuplicateKey
    )
}

/// `accept-noncanonical` and `lenient-decoder` at step 3: a second, lenient decode of the
/// outer SignedRequest after the strict one failed with `err`.
pub fn redecode_outer(
    mutant: Option<Mutant>,
    raw: &[u8],
    err: WireError,
) -> Result<SignedRequest, WireError> {
    let fixed = match mutant {
        Some(Mutant::AcceptNoncanonical) if noncanonical_class(&err) => canonical(raw),
        Some(Mutant::LenientDecoder) if lenient_class(&err) => lenient(raw, None),
        _ => None,
    };
    fixed.map_or(Err(err), |b| SignedRequest::decode_outer(&b))
}

/// Request keys 1 to 7 (spec §8.3).
const REQUEST_KEYS: std::ops::RangeInclusive<u64> = 1..=7;

/// `accept-noncanonical` and `lenient-decoder` at step 6: a second, lenient decode of the
/// signed request bytes after the strict one failed with `err`.
pub fn redecode_inner(
    mutant: Option<Mutant>,
    bytes: &[u8],
    err: WireError,
) -> Result<Request, WireError> {
    let fixed = match mutant {
        Some(Mutant::AcceptNoncanonical) if noncanonical_class(&err) => canonical(bytes),
        Some(Mutant::LenientDecoder) if lenient_class(&err) => lenient(bytes, Some(REQUEST_KEYS)),
        _ => None,
    };
    fixed.map_or(Err(err), |b| Request::decode(&b))
}

/// `accept-weak-keys` at step 5: after the strict check failed with `fail`, accepts a key that
/// is merely a curve point (any encoding, any order) when the cofactored equation holds.
pub fn weak_key_signature<F>(mutant: Option<Mutant>, sr: &SignedRequest, fail: F) -> Result<(), F> {
    if mutant != Some(Mutant::AcceptWeakKeys) {
        return Err(fail);
    }
    let msg = signing_input(label::REQUEST, bstr(sr.request.as_bytes()));
    if cofactored_only(&sr.key.0, &msg, &sr.signature.0) {
        Ok(())
    } else {
        Err(fail)
    }
}

/// `strict-verifier`: whether the point encoded by `b` has a torsion component (it decodes and
/// is not of order 1 or `L`); `false` for every host but that variant.
pub fn strict_rejects(mutant: Option<Mutant>, b: &[u8; 32]) -> bool {
    use curve25519_dalek::edwards::CompressedEdwardsY;
    mutant == Some(Mutant::StrictVerifier)
        && CompressedEdwardsY(*b)
            .decompress()
            .is_some_and(|p| !p.is_torsion_free())
}

/// Ed25519 without rule 1 of spec §3.5: `A` and `R` only need to decompress.
fn cofactored_only(key: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
    use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
    use curve25519_dalek::scalar::Scalar;
    use curve25519_dalek::traits::IsIdentity;
    use sha2::{Digest, Sha512};
    let (r_bytes, s_bytes) = sig.split_at(32);
    let (Ok(r_arr), Ok(s_arr)) = (<[u8; 32]>::try_from(r_bytes), <[u8; 32]>::try_from(s_bytes))
    else {
        return false;
    };
    let (Some(a), Some(r)) = (
        CompressedEdwardsY(*key).decompress(),
        CompressedEdwardsY(r_arr).decompress(),
    ) else {
        return false;
    };
    let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_arr)) else {
        return false;
    };
    let k = Scalar::from_hash(
        Sha512::new()
            .chain_update(r_arr)
            .chain_update(key)
            .chain_update(msg),
    );
    let p = EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &-a, &s) - r;
    p.mul_by_cofactor().is_identity()
}

/// A CBOR data item as a lenient decoder sees it.
enum Item {
    Uint(u64),
    Nint(u64),
    Bytes(Vec<u8>),
    Text(Vec<u8>),
    Array(Vec<Item>),
    Map(Vec<(Item, Item)>),
    Simple(u8),
}

const MAX_DEPTH: usize = 64;

/// Parses one item at `pos` accepting any head length and indefinite lengths.
fn parse(b: &[u8], pos: &mut usize, depth: usize) -> Option<Item> {
    if depth > MAX_DEPTH {
        return None;
    }
    let ib = *b.get(*pos)?;
    *pos += 1;
    let (major, ai) = (ib >> 5, ib & 0x1f);
    let arg = match ai {
        0..=23 => Some(u64::from(ai)),
        24..=27 => {
            let n = 1usize << (ai - 24);
            let bytes = b.get(*pos..*pos + n)?;
            *pos += n;
            Some(bytes.iter().fold(0u64, |a, &x| (a << 8) | u64::from(x)))
        }
        31 if (2..=5).contains(&major) => None,
        _ => return None,
    };
    let item = match (major, arg) {
        (0, Some(n)) => Item::Uint(n),
        (1, Some(n)) => Item::Nint(n),
        (2 | 3, Some(n)) => {
            let n = usize::try_from(n).ok()?;
            let s = b.get(*pos..pos.checked_add(n)?)?.to_vec();
            *pos += n;
            if major == 2 {
                Item::Bytes(s)
            } else {
                Item::Text(s)
            }
        }
        (2 | 3, None) => {
            let mut s = Vec::new();
            while *b.get(*pos)? != 0xff {
                match parse(b, pos, depth + 1)? {
                    Item::Bytes(c) if major == 2 => s.extend(c),
                    Item::Text(c) if major == 3 => s.extend(c),
                    _ => return None,
                }
            }
            *pos += 1;
            if major == 2 {
                Item::Bytes(s)
            } else {
                Item::Text(s)
            }
        }
        (4, n) => {
            let mut v = Vec::new();
            for _ in 0..n.unwrap_or(u64::MAX) {
                if n.is_none() && *b.get(*pos)? == 0xff {
                    *pos += 1;
                    break;
                }
                v.push(parse(b, pos, depth + 1)?);
            }
            Item::Array(v)
        }
        (5, n) => {
            let mut v = Vec::new();
            for _ in 0..n.unwrap_or(u64::MAX) {
                if n.is_none() && *b.get(*pos)? == 0xff {
                    *pos += 1;
                    break;
                }
                let k = parse(b, pos, depth + 1)?;
                v.push((k, parse(b, pos, depth + 1)?));
            }
            Item::Map(v)
        }
        (7, Some(n @ 20..=22)) => Item::Simple(n as u8),
        _ => return None,
    };
    Some(item)
}

fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend([m | 24, n as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend((n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend((n as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend(n.to_be_bytes());
        }
    }
}

/// Encodes with shortest heads and definite lengths; with `sort`, map keys in bytewise order
/// of their encodings (numeric order for unsigned keys).
fn encode(item: &Item, sort: bool, out: &mut Vec<u8>) {
    match item {
        Item::Uint(n) => head(out, 0, *n),
        Item::Nint(n) => head(out, 1, *n),
        Item::Bytes(s) => {
            head(out, 2, s.len() as u64);
            out.extend(s);
        }
        Item::Text(s) => {
            head(out, 3, s.len() as u64);
            out.extend(s);
        }
        Item::Array(v) => {
            head(out, 4, v.len() as u64);
            for i in v {
                encode(i, sort, out);
            }
        }
        Item::Map(v) => {
            head(out, 5, v.len() as u64);
            let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = v
                .iter()
                .map(|(k, x)| {
                    let (mut kb, mut xb) = (Vec::new(), Vec::new());
                    encode(k, sort, &mut kb);
                    encode(x, sort, &mut xb);
                    (kb, xb)
                })
                .collect();
            if sort {
                pairs.sort_by(|a, b| a.0.cmp(&b.0));
            }
            for (k, x) in pairs {
                out.extend(k);
                out.extend(x);
            }
        }
        Item::Simple(n) => out.push(0xe0 | n),
    }
}

/// The canonical re-encoding of `b` (exactly one item), or `None`.
fn canonical(b: &[u8]) -> Option<Vec<u8>> {
    let mut pos = 0;
    let item = parse(b, &mut pos, 0)?;
    if pos != b.len() {
        return None;
    }
    let mut out = Vec::with_capacity(b.len());
    encode(&item, true, &mut out);
    Some(out)
}

/// The first item of `b`, trailing bytes dropped; for a map, with `keys` only the first entry
/// of each key in `keys` is kept.
fn lenient(b: &[u8], keys: Option<std::ops::RangeInclusive<u64>>) -> Option<Vec<u8>> {
    let mut pos = 0;
    let mut item = parse(b, &mut pos, 0)?;
    if let (Some(keys), Item::Map(v)) = (keys, &mut item) {
        let mut seen = Vec::new();
        v.retain(|(k, _)| match k {
            Item::Uint(n) if keys.contains(n) && !seen.contains(n) => {
                seen.push(*n);
                true
            }
            _ => false,
        });
    }
    let mut out = Vec::with_capacity(b.len());
    encode(&item, false, &mut out);
    Some(out)
}
