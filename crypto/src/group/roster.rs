//! The roster (spec §6.2), `ApplyOps` (spec §6.6) and the rules a commit must satisfy
//! (spec §6.7).

use hearth_wire::group::{AddedIdentity, GroupOp, RosterEntry};
use hearth_wire::{EdPublic, ExtMap, KemPublic, Role, Signature, WireEncode};

use crate::error::ProtocolError;
use crate::hazmat::label;
use crate::hazmat::labelled::h;
use crate::keys::{IdentityPublicKey, MemberPublicKey};

/// The most entries of a roster (spec §6.7 rule 5).
pub const MAX_MEMBERS: usize = 256;

/// A roster entry whose member and identity keys have been validated (HRT-KEY-24).
#[derive(Clone, Debug)]
pub(crate) struct Member {
    pub(crate) entry: RosterEntry,
    pub(crate) mk: MemberPublicKey,
    pub(crate) ik: IdentityPublicKey,
}

impl Member {
    /// Validates both Ed25519 keys of an entry (spec §3.5.1): `bad_signature` otherwise
    /// (HRT-KEY-24, HRT-GRP-2).
    pub(crate) fn new(entry: RosterEntry) -> Result<Self, ProtocolError> {
        let mk = MemberPublicKey::from_bytes(entry.member_key.as_bytes())
            .map_err(|_| ProtocolError::BadSignature)?;
        let ik = IdentityPublicKey::from_bytes(entry.identity.as_bytes())
            .map_err(|_| ProtocolError::BadSignature)?;
        Ok(Self { entry, mk, ik })
    }
}

/// `roster_hash = H("roster", [Roster, nu])`: the roster embedded as a CBOR array in entry
/// order, and `nu` the ascending leaves whose `needs_update` flag is set (HRT-GRP-84).
pub(crate) fn roster_hash<'a>(
    entries: impl ExactSizeIterator<Item = &'a RosterEntry>,
    needs_update: &[bool],
) -> [u8; 32] {
    let nu = flagged(needs_update);
    h(label::ROSTER, |e| {
        e.array(2).array(entries.len());
        for x in entries {
            x.encode(e);
        }
        e.array(nu.len());
        for l in nu {
            e.uint(l as u64);
        }
    })
}

/// The ascending leaves whose flag is set (`nu`, spec §6.2).
pub(crate) fn flagged(flags: &[bool]) -> Vec<usize> {
    flags
        .iter()
        .enumerate()
        .filter_map(|(l, f)| f.then_some(l))
        .collect()
}

/// Where an entry of `Roster[n+1]` comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The entry at this leaf of `Roster[n]`.
    Kept(usize),
    /// The `k`-th AddOp of the commit.
    Added(usize),
}

/// The shape of `Roster[n+1]`, computed from the operations alone (spec §6.6).
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub(crate) origins: Vec<Origin>,
    /// The committer's leaf in `Roster[n+1]`: `c' = c - |{l in removed : l < c}|`.
    pub(crate) committer_new: usize,
    pub(crate) removed: Vec<usize>,
    pub(crate) rotate: Option<EdPublic>,
    pub(crate) ext: Option<ExtMap>,
    pub(crate) adds: Vec<(EdPublic, KemPublic, Role)>,
    pub(crate) roles: Vec<(usize, Role)>,
}

impl Plan {
    /// The remaining members (spec §6.6): leaves of `Roster[n+1]` that are neither the
    /// committer nor added, in `Roster[n+1]` order.
    pub(crate) fn remaining(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let c = self.committer_new;
        self.origins
            .iter()
            .enumerate()
            .filter_map(move |(j, o)| match o {
                Origin::Kept(i) if j != c => Some((j, *i)),
                _ => None,
            })
    }

    /// The number of AddOps.
    pub(crate) fn add_count(&self) -> usize {
        self.adds.len()
    }
}

/// Checks that a commit is **well-formed** (spec §6.7 rules 1 to 6) and computes its plan.
/// Any failure is `malformed` / `invalid_value` (HRT-GRP-13, HRT-GRP-33).
pub(crate) fn well_formed(
    base: &[RosterEntry],
    committer: usize,
    ops: &[GroupOp],
    new_init: &KemPublic,
) -> Result<Plan, ProtocolError> {
    // The init keys' sizes are the channel suite's, checked before (HRT-WIRE-30).
    let bad = ProtocolError::InvalidValue;
    let n = base.len();
    let mut touched = vec![false; n];
    let mut removed = Vec::new();
    let mut roles = Vec::new();
    let mut rotate = None;
    let mut ext = None;
    let mut adds = Vec::new();
    for op in ops {
        match op {
            GroupOp::Remove { leaf } | GroupOp::Role { leaf, .. } => {
                let l = usize::from(leaf.0);
                // Rule 1: every leaf is a leaf of Roster[n].
                let t = touched.get_mut(l).ok_or(bad)?;
                // Rule 3: no leaf in more than one RemoveOp or RoleOp.
                if *t {
                    return Err(bad);
                }
                *t = true;
                match op {
                    GroupOp::Role { role, .. } => roles.push((l, *role)),
                    _ => removed.push(l),
                }
            }
            GroupOp::Rotate { member_key } => {
                // Rule 2: at most one RotateOp.
                if rotate.replace(*member_key).is_some() {
                    return Err(bad);
                }
            }
            GroupOp::Ext(m) => {
                // Rule 2: at most one ExtOp.
                if ext.replace(m.clone()).is_some() {
                    return Err(bad);
                }
            }
            GroupOp::Add {
                member_key,
                init_key,
                role,
            } => adds.push((*member_key, init_key.clone(), *role)),
        }
    }
    removed.sort_unstable();
    let mut origins = Vec::with_capacity(n + adds.len());
    let mut committer_new = 0;
    for i in 0..n {
        if removed.binary_search(&i).is_ok() {
            continue;
        }
        if i == committer {
            committer_new = origins.len();
        }
        origins.push(Origin::Kept(i));
    }
    origins.extend((0..adds.len()).map(Origin::Added));
    // Rule 5: at most 256 entries.
    if origins.len() > MAX_MEMBERS {
        return Err(bad);
    }
    // Rule 4: the member keys of Roster[n+1] are pairwise distinct.
    let mut keys: Vec<[u8; 32]> = origins
        .iter()
        .filter_map(|o| match *o {
            Origin::Kept(i) if i == committer && rotate.is_some() => rotate.map(|k| k.0),
            Origin::Kept(i) => base.get(i).map(|e| e.member_key.0),
            Origin::Added(k) => adds.get(k).map(|a| a.0 .0),
        })
        .collect();
    keys.sort_unstable();
    if keys.windows(2).any(|w| w.first() == w.get(1)) {
        return Err(bad);
    }
    // Rule 6: no X25519 init key of small order, and every X-Wing init key passes the check
    // of FIPS 203 §7.2 (AddOps and CommitTBS key 7; HRT-CRYPTO-55).
    crate::kem::check_init_key(new_init)?;
    for a in &adds {
        crate::kem::check_init_key(&a.1)?;
    }
    Ok(Plan {
        origins,
        committer_new,
        removed,
        rotate,
        ext,
        adds,
        roles,
    })
}

/// Checks that a commit is **authorised** (spec §6.7); `forbidden` otherwise (HRT-GRP-14,
/// HRT-GRP-34). `left` is indexed by leaves of `Roster[n]`.
pub(crate) fn authorised(
    base: &[RosterEntry],
    committer: usize,
    ops: &[GroupOp],
    plan: &Plan,
    left: &[bool],
) -> Result<(), ProtocolError> {
    let no = ProtocolError::Forbidden;
    let admin = base.get(committer).is_some_and(|e| e.role == Role::Admin);
    // Rule 1: admin, or only RotateOps and RemoveOps of leaves with `left` set.
    if !admin {
        let allowed = ops.iter().all(|op| match op {
            GroupOp::Rotate { .. } => true,
            GroupOp::Remove { leaf } => left.get(usize::from(leaf.0)).copied().unwrap_or(false),
            _ => false,
        });
        if !allowed {
            return Err(no);
        }
    }
    // Rule 2: no RemoveOp of the committer's own leaf.
    if plan.removed.binary_search(&committer).is_ok() {
        return Err(no);
    }
    // Rule 4: every leaf with `left` set is removed (HRT-GRP-82, HRT-GRP-34).
    if left
        .iter()
        .enumerate()
        .any(|(l, f)| *f && plan.removed.binary_search(&l).is_err())
    {
        return Err(no);
    }
    // Rule 3: Roster[n+1] has an admin.
    let any_admin = plan.origins.iter().any(|o| match *o {
        Origin::Kept(i) => {
            plan.roles
                .iter()
                .find(|(l, _)| *l == i)
                .map(|(_, r)| *r)
                .or_else(|| base.get(i).map(|e| e.role))
                == Some(Role::Admin)
        }
        Origin::Added(k) => plan.adds.get(k).map(|a| a.2) == Some(Role::Admin),
    });
    if !any_admin {
        return Err(no);
    }
    Ok(())
}

/// ```text
/// ApplyOps(R, c, ops, new_init, priv):
///   removed entries dropped, role changes and the committer's init key / rotation in place,
///   added entries appended in AddOp order with (identity, cert) from priv[1]
/// ```
/// Spec §6.6 (HRT-GRP-12). `added` has one entry per AddOp (checked at §6.9 step 7b).
/// `new_init` is the committer's new init key (a [`KemPublic`], or a suite-1 `XPublic`).
pub(crate) fn apply<K: Clone + Into<KemPublic>>(
    base: &[RosterEntry],
    committer: usize,
    plan: &Plan,
    new_init: &K,
    added: &[AddedIdentity],
    new_cert: Option<&Signature>,
) -> Vec<RosterEntry> {
    plan.origins
        .iter()
        .filter_map(|o| match *o {
            Origin::Kept(i) => {
                let mut e = base.get(i)?.clone();
                if let Some((_, r)) = plan.roles.iter().find(|(l, _)| *l == i) {
                    e.role = *r;
                }
                if i == committer {
                    e.init_key = new_init.clone().into();
                    if let (Some(mk), Some(cert)) = (plan.rotate, new_cert) {
                        e.member_key = mk;
                        e.cert = *cert;
                    }
                }
                Some(e)
            }
            Origin::Added(k) => {
                let (mk, ik, role) = plan.adds.get(k)?;
                let id = added.get(k)?;
                Some(RosterEntry {
                    member_key: *mk,
                    init_key: ik.clone(),
                    role: *role,
                    identity: id.identity,
                    cert: id.cert,
                })
            }
        })
        .collect()
}
