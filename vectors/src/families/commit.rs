//! Family `commit` (spec §6.8, §6.9): the scenario's commits processed by a member whose state
//! is given, and variants defective in one check each.

use hearth_crypto::group::CommitOutcome;
use hearth_wire::group::{AddedIdentity, Commit, CommitTbs, GroupOp};
use hearth_wire::{
    BoundedBytes, BoundedVec, ChannelId, EdPublic, Epoch, Hash, Leaf, Signature, Suite, WireDecode,
    WireEncode, XPublic,
};
use serde_json::Value;

use crate::families::scenario::{resign_commit, CommitRec, Scenario};
use crate::families::schedule;
use crate::model::{hx, Case, Expected, GenError, VectorFile, R};
use crate::util::flip;

fn process(r: &CommitRec, bytes: &[u8]) -> R<Result<CommitOutcome, Expected>> {
    let mut g = r
        .receiver
        .as_ref()
        .ok_or_else(|| GenError("no receiver".into()))?
        .danger_clone();
    let res = g.process_commit(bytes).map_err(Expected::protocol);
    // HRT-GRP-41: a rejected commit leaves the epoch and its secrets as they were.
    if res.is_err() {
        let before = r
            .receiver
            .as_ref()
            .map(|x| (x.epoch(), x.epoch_authenticator().cloned()));
        if before != Some((g.epoch(), g.epoch_authenticator().cloned())) {
            return Err(GenError(format!(
                "{}: a rejected commit changed the epoch",
                r.slug
            )));
        }
    }
    Ok(res)
}

/// The `commit` family.
#[allow(clippy::too_many_lines)]
pub fn commit_family(s: &Scenario) -> R<VectorFile> {
    let mut cases = Vec::new();
    for r in s.commits.iter().filter(|c| c.receiver.is_some()) {
        let ep = s
            .epochs
            .iter()
            .find(|e| e.n == r.new_epoch)
            .ok_or_else(|| GenError("epoch".into()))?;
        let base_ep = s
            .epochs
            .iter()
            .find(|e| e.n + 1 == r.new_epoch)
            .ok_or_else(|| GenError("base epoch".into()))?;
        let c = Commit::decode(&r.bytes)?;
        let tbs = CommitTbs::decode(c.tbs.as_bytes())?;
        let cs = ep.commit_secret.unwrap_or_default();
        let (ck, cn) = schedule::commit_key_nonce(&cs, &s.cid, base_ep.n);
        let recv = r
            .receiver
            .as_ref()
            .ok_or_else(|| GenError("receiver".into()))?;
        let recv_mk = recv.member_key().map(|k| *k.as_bytes()).unwrap_or_default();
        let leaf = base_ep
            .roster
            .iter()
            .position(|e| e.member_key.0 == recv_mk)
            .ok_or_else(|| GenError("receiver leaf".into()))?;
        let want_init = base_ep
            .roster
            .get(leaf)
            .and_then(|e| e.init_key.as_x25519().ok())
            .map(|k| k.0)
            .unwrap_or_default();
        let init_sk = s
            .init_keys
            .iter()
            .find(|sk| {
                *hearth_crypto::hazmat::x25519::SecretKey::from_bytes(**sk)
                    .public_key()
                    .as_bytes()
                    == want_init
            })
            .copied()
            .ok_or_else(|| GenError("receiver init key".into()))?;
        let left: Vec<Value> = recv
            .members()
            .iter()
            .filter(|m| m.left)
            .map(|m| Value::from(m.leaf.0))
            .collect();
        let needs_update: Vec<Value> = recv
            .members()
            .iter()
            .filter(|m| m.needs_update)
            .map(|m| Value::from(m.leaf.0))
            .collect();
        let roster_cbor = hearth_wire::encode_with(|e| {
            e.array(base_ep.roster.len());
            for x in &base_ep.roster {
                hearth_wire::WireEncode::encode(x, e);
            }
        });
        let base = |id: String, d: &str, reqs: &[&str]| {
            let mut x = Case::new(id, d, &["HRT-GRP-25"])
                .input("receiver", r.receiver_name)
                .input("receiver_leaf", leaf as u64)
                .input("receiver_init_private_key", hx(&init_sk))
                .input("host_url", crate::util::HOST_URL)
                .input("base_roster_cbor", hx(&roster_cbor))
                .input("base_cth", hx(&base_ep.cth))
                .input("init_secret_prev", hx(&base_ep.keys.init))
                .input("left_leaves", Value::Array(left.clone()))
                .input(
                    "base_needs_update_leaves",
                    Value::Array(needs_update.clone()),
                )
                .input("channel_id", hx(&s.cid))
                .input("base_epoch", base_ep.n)
                .input("base_group_context", hx(&base_ep.gc))
                .input(
                    "base_roster_member_keys",
                    Value::Array(base_ep.roster.iter().map(|e| hx(&e.member_key.0)).collect()),
                );
            for q in reqs {
                x = x.req(q);
            }
            x
        };
        let mut valid = base(
            format!("commit-{}", r.slug),
            r.what,
            &[
                "HRT-GRP-4",
                "HRT-GRP-5",
                "HRT-GRP-7",
                "HRT-GRP-12",
                "HRT-GRP-21",
                "HRT-GRP-22",
                "HRT-GRP-32",
                "HRT-GRP-40",
            ],
        )
        .input("commit", hx(&r.bytes))
        .input("committer", r.committer)
        .mid("00_tbs_bytes", hx(c.tbs.as_bytes()))
        .mid("00_commit_secret", hx(&cs))
        .mid("00_commit_key", hx(&ck))
        .mid("00_commit_nonce", hx(&cn))
        .mid("00_cth", hx(&ep.cth))
        .mid("00_group_context", hx(&ep.gc))
        .mid("00_gc_hash", hx(&ep.gc_hash));
        valid = schedule::add_epoch_values(valid, &ep.keys);
        match process(r, &r.bytes)? {
            Ok(CommitOutcome::Installed { epoch, .. }) if epoch == r.new_epoch => {}
            other => return Err(GenError(format!("commit {} outcome {other:?}", r.slug))),
        }
        cases.push(
            valid
                .out("new_epoch", r.new_epoch)
                .out("confirmation_tag", hx(&c.confirmation_tag.0))
                .out("epoch_authenticator", hx(&ep.keys.authenticator))
                .out("roster_size", ep.roster.len() as u64),
        );
        let seed = r.committer_mk_seed;
        let tag = c.confirmation_tag.0;
        let mut vars: Vec<(&str, &str, Vec<&str>, Vec<u8>)> = Vec::new();
        let mut c2 = c.clone();
        let mut ft = tag;
        if let Some(b) = ft.get_mut(0) {
            *b ^= 1;
        }
        c2.confirmation_tag = Hash(ft);
        vars.push((
            "tag-flipped",
            "the confirmation tag has a flipped bit",
            vec!["HRT-GRP-40"],
            c2.to_vec(),
        ));
        let mut c2 = c.clone();
        c2.signature.0[7] ^= 1;
        vars.push((
            "signature-flipped",
            "the commit signature has a flipped bit",
            vec!["HRT-GRP-32"],
            c2.to_vec(),
        ));
        let mut t = r.bytes.clone();
        t.push(0);
        vars.push((
            "trailing-byte",
            "the commit followed by one extra byte",
            vec!["HRT-GRP-26", "HRT-WIRE-1"],
            t,
        ));
        let other = crate::util::arr32(0x5a);
        vars.push((
            "signed-by-other-key",
            "the commit signed by a key that is not the committer's",
            vec!["HRT-GRP-32"],
            resign_commit(&tbs, &other, tag),
        ));
        let mut t2 = tbs.clone();
        t2.epoch = Epoch(base_ep.n + 1);
        vars.push((
            "wrong-base-epoch",
            "a commit on another base epoch",
            vec!["HRT-GRP-30"],
            resign_commit(&t2, &seed, tag),
        ));
        let mut t2 = tbs.clone();
        t2.channel_id = ChannelId([0xee; 16]);
        vars.push((
            "other-channel",
            "a commit naming another channel",
            vec!["HRT-GRP-29"],
            resign_commit(&t2, &seed, tag),
        ));
        let mut t2 = tbs.clone();
        t2.committer = Leaf(9);
        vars.push((
            "unknown-committer",
            "a committer leaf outside the roster",
            vec!["HRT-GRP-31"],
            resign_commit(&t2, &seed, tag),
        ));
        let mut t2 = tbs.clone();
        t2.suite = Suite(2);
        vars.push((
            "suite-2",
            "a commit naming the reserved suite 2",
            vec!["HRT-GRP-28", "HRT-EXT-6"],
            resign_commit(&t2, &seed, tag),
        ));
        let tbs_v2 = {
            let mut b = tbs.to_vec();
            // CommitTBS = {1: 1, ...}: the value of key 1 is the third byte.
            if let Some(x) = b.get_mut(2) {
                *x = 0x02;
            }
            b
        };
        vars.push((
            "version-2",
            "a CommitTBS whose version is 2",
            vec!["HRT-GRP-27"],
            crate::families::scenario::resign_commit_bytes(&tbs_v2, &seed, tag),
        ));
        let aad = hearth_wire::encode_with(|e| {
            e.array(3)
                .bytes(&s.cid)
                .uint(base_ep.n)
                .uint(u64::from(tbs.committer.0));
        });
        let private = crate::util::aes_gcm_open(&ck, &cn, &aad, tbs.private_ct.as_slice())?;
        let mut t2 = tbs.clone();
        t2.private_ct = BoundedBytes::new(crate::util::aes_gcm_seal(&ck, &cn, &aad, &[0x80])?)?;
        vars.push((
            "private-not-commit-private",
            "the CommitPrivate plaintext does not decode (an empty array)",
            vec!["HRT-GRP-38"],
            resign_commit(&t2, &seed, tag),
        ));
        // §6.9 step 7b (HRT-GRP-38): a CommitPrivate that decodes but does not fit the ops.
        let cp0 = hearth_wire::group::CommitPrivate::decode(&private)?;
        let seal_private = |cp: &hearth_wire::group::CommitPrivate| -> R<Vec<u8>> {
            let mut t2 = tbs.clone();
            t2.private_ct =
                BoundedBytes::new(crate::util::aes_gcm_seal(&ck, &cn, &aad, &cp.to_vec())?)?;
            Ok(resign_commit(&t2, &seed, tag))
        };
        let mut extra = cp0.clone();
        let mut added = extra.added.as_slice().to_vec();
        added.push(AddedIdentity {
            identity: EdPublic([0x33; 32]),
            cert: Signature([0x44; 64]),
        });
        extra.added = BoundedVec::new(added)?;
        vars.push((
            "private-add-count-wrong",
            "CommitPrivate key 1 holds one entry more than the commit has AddOps (invalid_value)",
            vec!["HRT-GRP-38"],
            seal_private(&extra)?,
        ));
        let rotates = tbs
            .ops
            .as_slice()
            .iter()
            .any(|o| matches!(o, GroupOp::Rotate { .. }));
        let mut rot = cp0.clone();
        rot.new_cert = if rotates {
            None
        } else {
            Some(Signature([0x44; 64]))
        };
        vars.push((
            "private-rotate-cert-mismatch",
            "CommitPrivate key 2 present without a RotateOp, or absent with one (invalid_value)",
            vec!["HRT-GRP-38"],
            seal_private(&rot)?,
        ));
        let mut cp = cp0;
        let mut added = cp.added.as_slice().to_vec();
        if let Some(a) = added.get_mut(0) {
            a.cert.0[9] ^= 0x10;
            cp.added = BoundedVec::new(added)?;
            let mut t2 = tbs.clone();
            t2.private_ct =
                BoundedBytes::new(crate::util::aes_gcm_seal(&ck, &cn, &aad, &cp.to_vec())?)?;
            vars.push((
                "added-member-bad-cert",
                "the CommitPrivate certificate of the added member does not verify",
                vec!["HRT-GRP-39", "HRT-KEY-8"],
                resign_commit(&t2, &seed, tag),
            ));
        }
        let mut sealed = tbs.sealed.as_slice().to_vec();
        if let Some(first) = sealed.first().cloned() {
            let mut t2 = tbs.clone();
            let mut fl = first.clone();
            fl.ct = BoundedBytes::new(flip(first.ct.as_slice().to_vec(), 0, 1))?;
            let mut all = sealed.clone();
            if let Some(x) = all.get_mut(0) {
                *x = fl;
            }
            t2.sealed = BoundedVec::new(all)?;
            vars.push((
                "sealed-secret-tampered",
                "the commit secret sealed to the receiver was altered (every sealed value)",
                vec!["HRT-GRP-36"],
                resign_commit(&t2, &seed, tag),
            ));
            let mut t3 = tbs.clone();
            let mut all3 = sealed.clone();
            for x in all3.iter_mut() {
                x.ct = BoundedBytes::new(flip(x.ct.as_slice().to_vec(), 1, 2))?;
            }
            t3.sealed = BoundedVec::new(all3)?;
            vars.push((
                "all-sealed-tampered",
                "every sealed commit secret was altered",
                vec!["HRT-GRP-36"],
                resign_commit(&t3, &seed, tag),
            ));
            sealed.pop();
        } else {
            sealed.push(hearth_wire::KemSealed {
                enc: XPublic([9; 32]).into(),
                ct: BoundedBytes::new(vec![0; 48])?,
            });
        }
        let mut t2 = tbs.clone();
        t2.sealed = BoundedVec::new(sealed)?;
        vars.push((
            "sealed-count-wrong",
            "key 8 holds a different number of sealed values than the remaining members",
            vec!["HRT-GRP-35", "HRT-GRP-18"],
            resign_commit(&t2, &seed, tag),
        ));
        let mut t2 = tbs.clone();
        t2.private_ct = BoundedBytes::new(flip(tbs.private_ct.as_slice().to_vec(), 2, 0x80))?;
        vars.push((
            "private-ct-tampered",
            "the encrypted CommitPrivate was altered",
            vec!["HRT-GRP-37"],
            resign_commit(&t2, &seed, tag),
        ));
        let mut t2 = tbs.clone();
        let mut ops = tbs.ops.as_slice().to_vec();
        ops.push(GroupOp::Remove {
            leaf: tbs.committer,
        });
        t2.ops = BoundedVec::new(ops)?;
        vars.push((
            "removes-committer",
            "a commit whose RemoveOp names the committer's own leaf",
            vec!["HRT-GRP-34", "HRT-GRP-14"],
            resign_commit(&t2, &seed, tag),
        ));
        let mut t2 = tbs.clone();
        let mut ops = tbs.ops.as_slice().to_vec();
        ops.push(GroupOp::Remove { leaf: Leaf(200) });
        t2.ops = BoundedVec::new(ops)?;
        vars.push((
            "removes-unknown-leaf",
            "a RemoveOp naming a leaf outside the roster",
            vec!["HRT-GRP-33", "HRT-GRP-13"],
            resign_commit(&t2, &seed, tag),
        ));
        let committer_is_admin = base_ep
            .roster
            .get(usize::from(tbs.committer.0))
            .map(|e| e.role == hearth_wire::Role::Admin)
            .unwrap_or(false);
        if !committer_is_admin {
            let mut t2 = tbs.clone();
            let mut ops = tbs.ops.as_slice().to_vec();
            ops.push(GroupOp::Remove { leaf: Leaf(0) });
            t2.ops = BoundedVec::new(ops)?;
            vars.push((
                "member-removes-admin",
                "a plain member's commit that removes another member",
                vec!["HRT-GRP-34"],
                resign_commit(&t2, &seed, tag),
            ));
        }
        let mut t2 = tbs.clone();
        t2.init_key = XPublic([0; 32]).into();
        vars.push((
            "small-order-init-key",
            "a commit whose new init key is a small-order point",
            vec!["HRT-GRP-33"],
            resign_commit(&t2, &seed, tag),
        ));
        for (vs, d, reqs, b) in vars {
            let e = match process(r, &b)? {
                Ok(o) => {
                    return Err(GenError(format!(
                        "commit variant {}/{vs} accepted: {o:?}",
                        r.slug
                    )))
                }
                Err(e) => e,
            };
            cases.push(
                base(format!("commit-{}-{vs}", r.slug), d, &reqs)
                    .req("HRT-GRP-41")
                    .input("commit", hx(&b))
                    .err(e),
            );
        }
    }
    Ok(VectorFile {
        family: "commit",
        description: "Commits of the worked-example channel processed by a member (spec §6.9): the receiver's base epoch and every value it derives; variants defective in one check each, with the code the member reports (its state is then unchanged, HRT-GRP-41)."
            .into(),
        seed: "the scenario's seeds (see spec/90-worked-example.md)".into(),
        cases,
    })
}
