//! Family `recovery` (spec §6.9.3): a commit `B` that wedges two members, the report one of them
//! posts, and the admin's recovery commit processed by a member that rejected `B`, one that
//! accepted it and `B`'s committer; variants that break HRT-GRP-94 one rule at a time.
//!
//! The story runs on a channel of its own (the scenario's log and vectors stay as they are):
//! Alice creates it and adds Carol, Dave (an admin) and Erin in epoch 1; Dave adds Frank in `B`
//! (epoch 1 to 2), whose sealed commit secrets for Alice and Carol do not open (as a committer
//! or a host could make them; `B` is re-signed by Dave and its confirmation tag is right for
//! the members it opens for). Alice and Carol reject `B` with `decrypt_failed` and halt; Erin
//! accepts it. Carol reports; Alice, halted at epoch 1, recovers on the host's epoch 2.
//!
//! Every value a vector states is derived here independently (rosters from public keys, the
//! key schedule from the joiners' init keys and the Welcome) and compared with what the
//! library's groups hold.

use hearth_crypto::group::{CommitOutcome, Group};
use hearth_crypto::hazmat::hpke::{Enc, Hpke};
use hearth_crypto::hazmat::label;
use hearth_crypto::hazmat::labelled;
use hearth_crypto::hazmat::x25519;
use hearth_crypto::keys::{IdentityKey, MemberKey};
use hearth_crypto::rng::HearthRng;
use hearth_wire::group::{Commit, CommitTbs, GroupOp, RosterEntry, Welcome};
use hearth_wire::{
    encode_with, BoundedVec, EdPublic, Epoch, ErrorCode, HostUrl, Leaf, Role, Seq, SignedBytes,
    WireDecode, WireEncode,
};
use serde_json::Value;

use crate::families::schedule;
use crate::model::{ensure, hx, Case, Expected, GenError, VectorFile, R};
use crate::util::{arr32, flip, HOST_URL};

use super::recovery_parts::{
    check_view, entry, invite, leaves, next_cth, open_own, report, report_cases, resign,
    roster_cbor, view, x_pub, Joiner, View,
};
use super::recovery_worked::{Episode, Step};

/// The log `seq` of `B` in the story (1: channel.create, 2: the adds, 3: `B`, 4: Carol's
/// report, 5: Alice's report, 6: the recovery commit).
pub const B_SEQ: u64 = 3;
/// The story's start time, a day after the scenario's.
pub(crate) const T: u64 = crate::families::scenario::T0 + 86_400;

/// The `recovery` family.
pub fn recovery_family() -> R<VectorFile> {
    Ok(story()?.0)
}

/// The recovery episode of the worked example (§90.14).
pub fn recovery_steps() -> R<Vec<Step>> {
    Ok(story()?.1)
}

#[allow(clippy::too_many_lines)]
fn story() -> R<(VectorFile, Vec<Step>)> {
    let host = HostUrl::new(HOST_URL)?;
    let alice_ik = IdentityKey::from_seed(&arr32(0x41));
    let mut ga = Group::danger_create_with_rng(
        host,
        alice_ik.clone(),
        T,
        HearthRng::danger_seeded(arr32(0xc1)),
    )?;
    let cid = ga.channel_id().0;
    // ---- Epoch 1: Alice adds Carol, Dave (admin) and Erin.
    let (mut carol, ch_c) = invite(&mut ga, 0x43, "Carol", Role::Member)?;
    let (mut dave, ch_d) = invite(&mut ga, 0x44, "Dave", Role::Admin)?;
    let (mut erin, ch_e) = invite(&mut ga, 0x45, "Erin", Role::Member)?;
    let out1 = ga.commit(vec![ch_c, ch_d, ch_e], T + 60)?;
    ga.commit_accepted()?;
    let gi1 = out1
        .group_info_ct
        .clone()
        .ok_or_else(|| GenError("group info".into()))?;
    let accept = |j: &mut Joiner| -> R<Group> {
        let mk = EdPublic(*MemberKey::from_seed(&j.mk).public_key().as_bytes());
        let w = out1
            .welcomes
            .iter()
            .find(|(k, _)| *k == mk)
            .map(|x| x.1.clone())
            .ok_or_else(|| GenError("welcome".into()))?;
        let p = j.pending.take().ok_or_else(|| GenError("pending".into()))?;
        Ok(p.accept_welcome(&w, &gi1, Some(&out1.commit), T + 60)?)
    };
    let mut gc = accept(&mut carol)?;
    let mut gd = accept(&mut dave)?;
    let mut ge = accept(&mut erin)?;
    let tbs1 = CommitTbs::decode(Commit::decode(&out1.commit)?.tbs.as_bytes())?;
    let alice_mk = EdPublic(
        *ga.member_key()
            .ok_or_else(|| GenError("alice key".into()))?
            .as_bytes(),
    );
    let mut roster1 = vec![entry(
        &cid,
        alice_mk,
        tbs1.init_key.clone(),
        Role::Admin,
        &alice_ik,
    )?];
    for (op, j) in tbs1.ops.as_slice().iter().zip([&carol, &dave, &erin]) {
        match op {
            GroupOp::Add {
                member_key,
                init_key,
                role,
            } => {
                ensure(
                    init_key.as_x25519()?.0 == x_pub(&j.init_sk),
                    "joiner init key from the stream",
                )?;
                roster1.push(entry(&cid, *member_key, init_key.clone(), *role, &j.ik)?);
            }
            _ => return Err(GenError("epoch 1 ops".into())),
        }
    }
    let v1 = view(cid, 1, roster1, vec![1, 2, 3], next_cth(&[], &out1.commit)?)?;
    // Erin's joiner secret from her Welcome gives epoch 1's schedule (its init_secret).
    let w_erin = out1
        .welcomes
        .get(2)
        .map(|x| Welcome::decode(&x.1))
        .ok_or_else(|| GenError("erin welcome".into()))??;
    let winfo = encode_with(|e| {
        e.array(2)
            .text(&label::WELCOME_SEAL.wire())
            .array(2)
            .bytes(&cid)
            .uint(1);
    });
    let js = Hpke::SUITE_1.open_base(
        &Enc::from_bytes(w_erin.joiner_secret.enc.as_x25519()?.0),
        &x25519::SecretKey::from_bytes(erin.init_sk),
        &winfo,
        b"",
        w_erin.joiner_secret.ct.as_slice(),
    )?;
    let mut js32 = [0u8; 32];
    ensure(js.len() == 32, "joiner secret length")?;
    js32.copy_from_slice(js.as_slice());
    let k1 = schedule::from_joiner(js32, &v1.gch, &v1.cth);
    for (g, who) in [(&ga, "Alice"), (&gc, "Carol"), (&gd, "Dave"), (&ge, "Erin")] {
        check_view(&v1, g, &k1, who)?;
    }
    // ---- B: Dave adds Frank; the sealed values of Alice and Carol are spoiled.
    let (_frank, ch_f) = invite(&mut gd, 0x46, "Frank", Role::Member)?;
    let b0 = gd.commit(vec![ch_f], T + 120)?.commit;
    gd.commit_accepted()?;
    let tbs_b0 = CommitTbs::decode(Commit::decode(&b0)?.tbs.as_bytes())?;
    let cs_b = open_own(&tbs_b0, &cid, 2, 3, &erin.init_sk)
        .ok_or_else(|| GenError("Erin's sealed value of B".into()))?;
    let erin_ct = tbs_b0
        .sealed
        .as_slice()
        .get(2)
        .map(|s| s.ct.clone())
        .ok_or_else(|| GenError("three sealed values".into()))?;
    ensure(tbs_b0.sealed.len() == 3, "B seals to Alice, Carol, Erin")?;
    let b_unsigned = {
        let mut t = tbs_b0.clone();
        let mut s = t.sealed.as_slice().to_vec();
        for x in s.iter_mut().take(2) {
            x.ct = hearth_wire::BoundedBytes::new(flip(x.ct.as_slice().to_vec(), 3, 0x20))?;
        }
        ensure(
            s.get(2).map(|x| &x.ct) == Some(&erin_ct),
            "Erin's value kept",
        )?;
        t.sealed = BoundedVec::new(s)?;
        t
    };
    let (frank_mk, frank_init) = match tbs_b0.ops.as_slice() {
        [GroupOp::Add {
            member_key,
            init_key,
            ..
        }] => (*member_key, init_key.clone()),
        _ => return Err(GenError("B's ops".into())),
    };
    let mut roster2 = v1.roster.clone();
    if let Some(d) = roster2.get_mut(2) {
        d.init_key = tbs_b0.init_key.clone();
    }
    roster2.push(entry(
        &cid,
        frank_mk,
        frank_init,
        Role::Member,
        &IdentityKey::from_seed(&arr32(0x46)),
    )?);
    // The honest B's tag checks the derivation; the spoiled B gets the tag of its own cth.
    let v2_honest = view(
        cid,
        2,
        roster2.clone(),
        vec![1, 3, 4],
        next_cth(&v1.cth, &b0)?,
    )?;
    let k2_honest = schedule::derive_epoch(&k1.init, &cs_b, &v2_honest.gch, &v2_honest.cth);
    ensure(
        Commit::decode(&b0)?.confirmation_tag.0 == k2_honest.confirmation_tag,
        "tag of the honest B",
    )?;
    let b_tbs_bytes = b_unsigned.to_vec();
    let b_cth = labelled::h(label::CTH, |e| {
        e.array(2).bytes(&v1.cth).bytes(&b_tbs_bytes);
    })
    .to_vec();
    let v2 = view(cid, 2, roster2, vec![1, 3, 4], b_cth)?;
    let k2 = schedule::derive_epoch(&k1.init, &cs_b, &v2.gch, &v2.cth);
    let b = {
        let mut c = Commit::decode(&b0)?;
        c.signature = gd.danger_sign_commit_tbs(&b_tbs_bytes)?;
        c.tbs = SignedBytes::from_bytes(b_tbs_bytes.clone());
        c.confirmation_tag = hearth_wire::Hash(k2.confirmation_tag);
        c.to_vec()
    };
    let (carol_at_n, erin_at_n) = (gc.danger_clone(), ge.danger_clone());
    for (g, who) in [(&mut ga, "Alice"), (&mut gc, "Carol")] {
        ensure(
            g.process_commit(&b).map_err(|e| e.code()) == Err(ErrorCode::DECRYPT_FAILED),
            &format!("{who} rejects B"),
        )?;
    }
    ensure(
        matches!(
            ge.process_commit(&b)?,
            CommitOutcome::Installed { epoch: 2, .. }
        ),
        "Erin accepts B",
    )?;
    check_view(&v2, &ge, &k2, "Erin after B")?;
    // ---- Reports (HRT-GRP-88), verified by Erin (who then holds her messages, HRT-GRP-92).
    let rep_c = report(&gc, cid, B_SEQ, ErrorCode::DECRYPT_FAILED, 0x71)?;
    ensure(
        ge.verify_report(&rep_c)? == (Leaf(1), B_SEQ, ErrorCode::DECRYPT_FAILED),
        "Erin verifies Carol's report",
    )?;
    // ---- The recovery commit: Alice, halted at epoch 1, on the host's epoch 2.
    let out_r = ga.recovery_commit(B_SEQ, &b, T + 360)?;
    let r = out_r.commit.clone();
    let (erin_at_n1, dave_at_n1) = (ge.danger_clone(), gd.danger_clone());
    ensure(ga.commit_accepted()? == 3, "Alice installs epoch 3")?;
    let tbs_r = CommitTbs::decode(Commit::decode(&r)?.tbs.as_bytes())?;
    ensure(
        tbs_r.recover == Some(Seq(B_SEQ))
            && tbs_r.epoch == Epoch(2)
            && tbs_r.ops.as_slice()
                == [
                    GroupOp::Remove { leaf: Leaf(2) },
                    GroupOp::Remove { leaf: Leaf(4) },
                ],
        "the recovery commit names B and removes Dave and Frank",
    )?;
    let mut roster3: Vec<RosterEntry> = [0usize, 1, 3]
        .iter()
        .filter_map(|l| v2.roster.get(*l).cloned())
        .collect();
    if let Some(a) = roster3.get_mut(0) {
        a.init_key = tbs_r.init_key.clone();
    }
    let v3 = view(cid, 3, roster3, vec![1, 2], next_cth(&v2.cth, &r)?)?;
    let cs_r = open_own(&tbs_r, &cid, 3, 1, &carol.init_sk)
        .ok_or_else(|| GenError("Carol's sealed value of R".into()))?;
    ensure(
        open_own(&tbs_r, &cid, 3, 2, &erin.init_sk) == Some(cs_r),
        "Erin's sealed value of R",
    )?;
    let k3 = schedule::derive_epoch(&[0u8; 32], &cs_r, &v3.gch, &v3.cth);
    ensure(
        Commit::decode(&r)?.confirmation_tag.0 == k3.confirmation_tag,
        "tag of R with the zero salt",
    )?;
    check_view(&v3, &ga, &k3, "Alice after R")?;
    let steps = super::recovery_worked::steps(&Episode {
        cid,
        adds: &out1.commit,
        v1: &v1,
        k1: &k1,
        b: &b,
        cs_b,
        v2: &v2,
        k2: &k2,
        report: &rep_c,
        r: &r,
        cs_r,
        v3: &v3,
        k3: &k3,
    });
    // What each receiver holds, as inputs.
    struct Rx<'a> {
        slug: &'static str,
        name: &'static str,
        accepted: bool,
        at: &'a Group,
        v: &'a View,
        leaf: u64,
        init_sk: Option<[u8; 32]>,
    }
    let carol_rx = Rx {
        slug: "rejecter-carol",
        name: "Carol",
        accepted: false,
        at: &gc,
        v: &v1,
        leaf: 1,
        init_sk: Some(carol.init_sk),
    };
    let erin_rx = Rx {
        slug: "accepter-erin",
        name: "Erin",
        accepted: true,
        at: &erin_at_n1,
        v: &v2,
        leaf: 3,
        init_sk: Some(erin.init_sk),
    };
    // Dave holds the epoch 2 of his own, honest B.
    let dave_rx = Rx {
        slug: "committer-dave",
        name: "Dave",
        accepted: true,
        at: &dave_at_n1,
        v: &v2_honest,
        leaf: 2,
        init_sk: None,
    };
    let base = |rx: &Rx<'_>, id: String, d: &str, reqs: &[&str], commit: &[u8]| {
        let mut c = Case::new(id, d, &["HRT-GRP-94"])
            .input("receiver", rx.name)
            .input("receiver_accepted_named_commit", rx.accepted)
            .input("receiver_leaf", rx.leaf)
            .input("host_url", HOST_URL)
            .input("channel_id", hx(&cid))
            .input("epoch", rx.v.epoch)
            .input("roster_cbor", hx(&roster_cbor(&rx.v.roster)))
            .input("needs_update_leaves", leaves(&rx.v.nu))
            .input("left_leaves", Value::Array(vec![]))
            .input("cth", hx(&rx.v.cth))
            .input("group_context", hx(&rx.v.gc))
            .input("named_seq", B_SEQ)
            .input("named_commit", hx(&b))
            .input("recovery_commit", hx(commit));
        if let Some(sk) = rx.init_sk {
            c = c.input("receiver_init_private_key", hx(&sk));
        }
        for q in reqs {
            c = c.req(q);
        }
        c
    };
    let mut cases = Vec::new();
    // ---- B itself, at two members of epoch 1 (the shape of `commit.json`).
    for (who, leaf, sk, at) in [
        ("Carol", 1u64, carol.init_sk, &carol_at_n),
        ("Erin", 3, erin.init_sk, &erin_at_n),
    ] {
        let accepted = leaf == 3;
        let mut c = Case::new(
            format!("recovery-named-commit-{}", who.to_lowercase()),
            if accepted {
                "B at Erin, whose sealed commit secret opens: she installs epoch 2"
            } else {
                "B at Carol, whose sealed commit secret does not open: decrypt_failed at step 6, then a report (HRT-GRP-88)"
            },
            &["HRT-GRP-25", "HRT-GRP-36"],
        )
        .input("receiver", who)
        .input("receiver_leaf", leaf)
        .input("receiver_init_private_key", hx(&sk))
        .input("host_url", HOST_URL)
        .input("channel_id", hx(&cid))
        .input("base_epoch", 1u64)
        .input("base_roster_cbor", hx(&roster_cbor(&v1.roster)))
        .input("base_cth", hx(&v1.cth))
        .input("base_group_context", hx(&v1.gc))
        .input("base_needs_update_leaves", leaves(&v1.nu))
        .input("left_leaves", Value::Array(vec![]))
        .input("init_secret_prev", hx(&k1.init))
        .input("commit", hx(&b));
        let mut g = at.danger_clone();
        let res = g.process_commit(&b);
        if accepted {
            ensure(res.is_ok(), "Erin accepts B")?;
            c = c
                .mid("00_commit_secret", hx(&cs_b))
                .mid("00_cth", hx(&v2.cth))
                .mid("00_group_context", hx(&v2.gc))
                .mid("00_gc_hash", hx(&v2.gch));
            cases.push(
                schedule::add_epoch_values(c, &k2)
                    .out("new_epoch", 2u64)
                    .out("roster_cbor", hx(&roster_cbor(&v2.roster)))
                    .out("needs_update_leaves", leaves(&v2.nu))
                    .out("epoch_authenticator", hx(&k2.authenticator)),
            );
        } else {
            let e = res.map(|_| ()).map_err(Expected::protocol).err();
            let e = e.ok_or_else(|| GenError("Carol accepted B".into()))?;
            cases.push(c.req("HRT-GRP-41").err(e));
        }
    }
    // ---- The report.
    cases.extend(report_cases(cid, &v2.roster, &rep_c, &gc, &ge)?);
    // ---- The recovery commit at each receiver.
    for rx in [&carol_rx, &erin_rx, &dave_rx] {
        let mut g = rx.at.danger_clone();
        let outcome = g.process_recovery(B_SEQ, &b, &r)?;
        let what = format!(
            "{}, who {} B, processes Alice's recovery commit",
            rx.name,
            if rx.accepted { "accepted" } else { "rejected" }
        );
        let c = base(
            rx,
            format!("recovery-{}", rx.slug),
            &what,
            &["HRT-GRP-93", "HRT-GRP-46", "HRT-GRP-103", "HRT-GRP-104"],
            &r,
        );
        if rx.slug == "committer-dave" {
            ensure(outcome == CommitOutcome::Removed, "Dave is removed")?;
            cases.push(c.out("removed", true));
            continue;
        }
        ensure(
            matches!(outcome, CommitOutcome::Installed { epoch: 3, .. }),
            &format!("{} installs epoch 3", rx.name),
        )?;
        check_view(&v3, &g, &k3, rx.name)?;
        let new_leaf = if rx.leaf == 1 { 1u64 } else { 2 };
        let c = c
            .mid("00_base_epoch", 2u64)
            .mid(
                "00_base_member_keys",
                Value::Array(v2.roster.iter().map(|e| hx(&e.member_key.0)).collect()),
            )
            .mid("00_base_cth", hx(&v2.cth))
            .mid("00_base_needs_update_leaves", leaves(&v2.nu))
            .mid("00_must_remove", leaves(&[2, 4]))
            .mid("00_commit_secret", hx(&cs_r))
            .mid("00_cth", hx(&v3.cth))
            .mid("00_group_context", hx(&v3.gc))
            .mid("00_gc_hash", hx(&v3.gch))
            .mid("00_salt", hx(&[0u8; 32]));
        cases.push(
            schedule::add_epoch_values(c, &k3)
                .out("removed", false)
                .out("new_epoch", 3u64)
                .out("receiver_leaf", new_leaf)
                .out("roster_cbor", hx(&roster_cbor(&v3.roster)))
                .out("needs_update_leaves", leaves(&v3.nu))
                .out("confirmation_tag", hx(&k3.confirmation_tag))
                .out("epoch_authenticator", hx(&k3.authenticator)),
        );
    }
    // ---- Violations of HRT-GRP-94, and two checks of §6.9 that still apply.
    let ops = |v: Vec<GroupOp>| BoundedVec::new(v);
    let vars: Vec<(&str, &str, Vec<&str>, Vec<u8>)> = vec![
        (
            "names-earlier-seq",
            "the recovery commit names seq 2, not the latest commit (seq 3)",
            vec![],
            resign(&r, &ga, |t| t.recover = Some(Seq(B_SEQ - 1)))?,
        ),
        (
            "keeps-committer",
            "the recovery commit removes Frank but not Dave, B's committer",
            vec![],
            {
                let o = ops(vec![GroupOp::Remove { leaf: Leaf(4) }])?;
                resign(&r, &ga, |t| t.ops = o)?
            },
        ),
        (
            "keeps-added-leaf",
            "the recovery commit removes Dave but not Frank, whom B added",
            vec![],
            {
                let o = ops(vec![GroupOp::Remove { leaf: Leaf(2) }])?;
                resign(&r, &ga, |t| t.ops = o)?
            },
        ),
        (
            "tag-flipped",
            "the recovery commit's confirmation tag has a flipped bit",
            vec!["HRT-GRP-40"],
            {
                let mut c = Commit::decode(&r)?;
                c.confirmation_tag.0[5] ^= 1;
                c.to_vec()
            },
        ),
        (
            "salt-init-secret",
            "the recovery commit's tag is the one of a key schedule that took init_secret[2] as the salt, not 0x00 * 32",
            vec!["HRT-GRP-40", "HRT-GRP-103"],
            {
                let wrong = schedule::derive_epoch(&k2.init, &cs_r, &v3.gch, &v3.cth);
                ensure(wrong.confirmation_tag != k3.confirmation_tag, "salts differ")?;
                let mut c = Commit::decode(&r)?;
                c.confirmation_tag = hearth_wire::Hash(wrong.confirmation_tag);
                c.to_vec()
            },
        ),
        (
            "by-bad-committer",
            "the recovery commit comes from Dave, an admin but B's committer, who would remove himself",
            vec!["HRT-GRP-34", "HRT-GRP-14"],
            resign(&r, &dave_at_n1, |t| t.committer = Leaf(2))?,
        ),
        (
            "base-epoch-n",
            "the recovery commit names base epoch 1 (B's base), not the host's epoch 2",
            vec!["HRT-GRP-30"],
            resign(&r, &ga, |t| t.epoch = Epoch(1))?,
        ),
        (
            "base-epoch-n-and-earlier-seq",
            "base epoch 1 and seq 2 named: step 2 comes before HRT-GRP-94, so wrong_epoch",
            vec!["HRT-GRP-30", "HRT-GRP-104"],
            resign(&r, &ga, |t| {
                t.epoch = Epoch(1);
                t.recover = Some(Seq(B_SEQ - 1));
            })?,
        ),
        (
            "unknown-leaf-keeps-added-leaf",
            "removes Dave and leaf 9, which does not exist, but not Frank: step 4a comes before HRT-GRP-94, so malformed",
            vec!["HRT-GRP-33", "HRT-GRP-104"],
            {
                let o = ops(vec![
                    GroupOp::Remove { leaf: Leaf(2) },
                    GroupOp::Remove { leaf: Leaf(9) },
                ])?;
                resign(&r, &ga, |t| t.ops = o)?
            },
        ),
    ];
    for rx in [&carol_rx, &erin_rx] {
        // Not an admin: the other wedged-or-not plain member signs it as committer.
        let (signer, leaf) = if rx.leaf == 1 {
            (&erin_at_n1, 3u8)
        } else {
            (&carol_at_n, 1u8)
        };
        let by_member = resign(&r, signer, |t| t.committer = Leaf(leaf))?;
        let all = vars.iter().cloned().chain(std::iter::once((
            "by-plain-member",
            "the recovery commit comes from a plain member, not an admin of the base roster",
            vec!["HRT-GRP-34"],
            by_member,
        )));
        for (vs, d, reqs, bytes) in all {
            let mut g = rx.at.danger_clone();
            let e = match g.process_recovery(B_SEQ, &b, &bytes) {
                Ok(o) => return Err(GenError(format!("recovery variant {vs} accepted: {o:?}"))),
                Err(e) => Expected::protocol(e),
            };
            cases.push(
                base(rx, format!("recovery-{}-{vs}", rx.slug), d, &reqs, &bytes)
                    .req("HRT-GRP-41")
                    .err(e),
            );
        }
    }
    // HRT-GRP-104: a member that rejected B re-checks steps 1 to 4 on it (here its signature).
    let mut b_bad = Commit::decode(&b)?;
    b_bad.signature.0[9] ^= 1;
    let b_bad = b_bad.to_vec();
    let e = match carol_rx
        .at
        .danger_clone()
        .process_recovery(B_SEQ, &b_bad, &r)
    {
        Ok(o) => {
            return Err(GenError(format!(
                "named commit with a bad signature: {o:?}"
            )))
        }
        Err(e) => Expected::protocol(e),
    };
    ensure(
        e.status == ErrorCode::BAD_SIGNATURE,
        "B's signature re-checked",
    )?;
    cases.push(
        base(
            &carol_rx,
            "recovery-rejecter-carol-named-commit-bad-signature".into(),
            "the named commit given to Carol, who rejected B, has a flipped signature bit: she re-checks step 3b on it",
            &["HRT-GRP-104", "HRT-GRP-32"],
            &r,
        )
        .input("named_commit", hx(&b_bad))
        .req("HRT-GRP-41")
        .err(e),
    );
    let file = VectorFile {
        family: "recovery",
        description: "Recovery of a wedged channel (spec §6.9.3): a report of the bad commit B, and the admin's recovery commit processed by a member that rejected B (holding epoch n), one that accepted it (holding epoch n+1) and B's committer, with every value they derive; variants that break HRT-GRP-94 or another check of §6.9, with the code the member reports."
            .into(),
        seed: "Alice's generator 0xc1.., identity keys 0x41.. (Alice), 0x43.. (Carol), 0x44.. (Dave), 0x45.. (Erin), 0x46.. (Frank); each joiner's generator seed is its identity seed plus 0x80 per byte".into(),
        cases,
    };
    Ok((file, steps))
}
