//! The recovery episode of the worked example (`spec/90-worked-example.md` §90.14), from the
//! same run as the `recovery` family.

use hearth_wire::group::RosterEntry;

use crate::families::recovery_parts::View;
use crate::families::scenario::{epoch_kvs, EpochRec};
use crate::families::schedule::EpochKeys;
use crate::model::hex;

/// A worked-example step: its title and its `name: value` lines.
pub type Step = (String, Vec<(String, String)>);

/// The values of the recovery story the worked example shows.
pub(crate) struct Episode<'a> {
    pub(crate) cid: [u8; 16],
    pub(crate) adds: &'a [u8],
    pub(crate) v1: &'a View,
    pub(crate) k1: &'a EpochKeys,
    pub(crate) b: &'a [u8],
    pub(crate) cs_b: [u8; 32],
    pub(crate) v2: &'a View,
    pub(crate) k2: &'a EpochKeys,
    pub(crate) report: &'a [u8],
    pub(crate) r: &'a [u8],
    pub(crate) cs_r: [u8; 32],
    pub(crate) v3: &'a View,
    pub(crate) k3: &'a EpochKeys,
}

fn kv(k: &str, v: impl Into<String>) -> (String, String) {
    (k.to_owned(), v.into())
}

fn rec(v: &View, k: &EpochKeys, commit_secret: Option<[u8; 32]>) -> EpochRec {
    EpochRec {
        n: v.epoch,
        what: String::new(),
        roster: v.roster.clone(),
        nu: v.nu.clone(),
        cth: v.cth.clone(),
        gc: v.gc.clone(),
        gc_hash: v.gch,
        init_prev: None,
        commit_secret,
        keys: k.clone(),
    }
}

fn keys(r: &[RosterEntry]) -> String {
    r.iter()
        .map(|e| {
            hex(&e.member_key.0)
                .get(..16)
                .unwrap_or_default()
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The steps of the episode.
pub(crate) fn steps(e: &Episode<'_>) -> Vec<Step> {
    let mut out = Vec::new();
    let mut s1 = vec![
        kv("channel_id", hex(&e.cid)),
        kv("Commit bytes (log entry 2)", hex(e.adds)),
        kv(
            "member keys by leaf (first 8 bytes): Alice, Carol, Dave, Erin",
            keys(&e.v1.roster),
        ),
    ];
    s1.extend(epoch_kvs(&rec(e.v1, e.k1, None)));
    out.push((
        "A second channel: Alice adds Carol, Dave (an admin) and Erin (epoch 1)".to_owned(),
        s1,
    ));
    let mut s2 = vec![
        kv("Commit B (log entry 3)", hex(e.b)),
        kv(
            "sealed values 0 and 1 (Alice's, Carol's)",
            "altered; they do not open",
        ),
        kv(
            "Alice and Carol at epoch 1",
            "decrypt_failed at step 6 of §6.9; halted",
        ),
        kv("Erin at epoch 1", "installs epoch 2"),
    ];
    s2.extend(epoch_kvs(&rec(e.v2, e.k2, Some(e.cs_b))));
    out.push((
        "Dave's commit B adds Frank and wedges Alice and Carol (epoch 2)".to_owned(),
        s2,
    ));
    out.push((
        "Carol reports B".to_owned(),
        vec![
            kv(
                "commit.report body",
                "{1: 3, 2: 64} (seq of B, decrypt_failed)",
            ),
            kv("SignedRequest (log entry 4)", hex(e.report)),
            kv(
                "Erin verifies it",
                "reporter leaf 1, seq 3, code 64; she sends nothing more in epoch 2",
            ),
            kv(
                "log entry 5",
                "Alice's report of B, in the same form (she is the admin that recovers)",
            ),
        ],
    ));
    let mut s4 = vec![
        kv("recovery Commit (log entry 6)", hex(e.r)),
        kv("CommitTBS key 4 (base epoch)", "2"),
        kv("CommitTBS key 11 (the seq of B)", "3"),
        kv("ops", "RemoveOp leaf 2 (Dave), RemoveOp leaf 4 (Frank)"),
        kv(
            "base roster member keys (first 8 bytes): Alice, Carol, Dave, Erin, Frank",
            keys(&e.v2.roster),
        ),
        kv("base cth (cth[2])", hex(&e.v2.cth)),
        kv("salt (in place of init_secret[2])", hex(&[0u8; 32])),
    ];
    s4.extend(epoch_kvs(&rec(e.v3, e.k3, Some(e.cs_r))));
    s4.push(kv(
        "Carol (rejected B, base from epoch 1 and B) and Erin (accepted B)",
        "install epoch 3 with the epoch_authenticator above",
    ));
    s4.push(kv("Dave", "the commit removes him (§6.9.2)"));
    out.push((
        "Alice, halted at epoch 1, recovers on the host's epoch 2 (epoch 3)".to_owned(),
        s4,
    ));
    out
}
