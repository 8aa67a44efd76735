//! Helpers of the `recovery` family (spec §6.9.3): joining the story's channel, rosters from
//! public values, sealed values, reports and re-signed commits.

use hearth_crypto::group::{Change, Group, PendingMember};
use hearth_crypto::hazmat::hpke::{Enc, Hpke};
use hearth_crypto::hazmat::label;
use hearth_crypto::hazmat::labelled;
use hearth_crypto::hazmat::x25519;
use hearth_crypto::keys::{IdentityKey, MemberKey, MemberPublicKey};
use hearth_crypto::rng::HearthRng;
use hearth_wire::group::{Commit, CommitTbs, RosterEntry};
use hearth_wire::request::{CommitReportBody, PendingJoin, Request, SignedRequest};
use hearth_wire::{
    encode_with, ChannelId, ConversationId, EdPublic, ErrorCode, HostUrl, KemPublic, Nonce16, Op,
    RawValue, Role, Secs, Seq, SignedBytes, Version, WireDecode, WireEncode,
};
use rand_core::RngCore;
use serde_json::Value;

use crate::families::schedule::{self, EpochKeys};
use crate::model::{ensure, hx, Case, Expected, GenError, R};
use crate::util::{arr16, arr32, HOST_URL};

use super::recovery::{B_SEQ, T};

/// A joiner: its keys (generator bytes 0..32 are the member key seed, 32..64 the init private
/// key, as in the scenario) and its pending join.
pub(crate) struct Joiner {
    pub(crate) ik: IdentityKey,
    pub(crate) mk: [u8; 32],
    pub(crate) init_sk: [u8; 32],
    pub(crate) pending: Option<PendingMember>,
}

pub(crate) fn x_pub(sk: &[u8; 32]) -> [u8; 32] {
    *x25519::SecretKey::from_bytes(*sk).public_key().as_bytes()
}

pub(crate) fn invite(
    g: &mut Group,
    seed: u8,
    name: &'static str,
    role: Role,
) -> R<(Joiner, Change)> {
    let draft = g.create_invitation(
        ConversationId(arr16(0xcd)),
        T + hearth_crypto::invite::DEFAULT_LIFETIME_SECS,
    )?;
    let mut inv = draft.registered();
    let uri = inv
        .uri()
        .ok_or_else(|| GenError("invitation uri".into()))?
        .to_string();
    let ik = IdentityKey::from_seed(&arr32(seed));
    let rng_seed = arr32(seed.wrapping_add(0x80));
    let (mut pending, redeem) = PendingMember::danger_join_with_rng(
        &uri,
        ik.clone(),
        name,
        T,
        HearthRng::danger_seeded(rng_seed),
    )?;
    let mut stream = [0u8; 64];
    HearthRng::danger_seeded(rng_seed).fill_bytes(&mut stream);
    let (mut mk, mut init_sk) = ([0u8; 32], [0u8; 32]);
    mk.copy_from_slice(stream.get(..32).unwrap_or(&[0; 32]));
    init_sk.copy_from_slice(stream.get(32..).unwrap_or(&[0; 32]));
    ensure(
        redeem.body.member_key.0 == *MemberKey::from_seed(&mk).public_key().as_bytes(),
        "joiner member key from the stream",
    )?;
    let pj = PendingJoin {
        invite_id: redeem.body.invite_id,
        member_key: redeem.body.member_key,
        sealed: redeem.body.sealed.clone(),
        redeemed_at: Secs(T),
    };
    let validated = inv.process_join(&pj)?;
    pending.confirm_sas();
    let change = Change::Add {
        joiner: Box::new(validated.confirm_sas_matches()),
        role,
    };
    Ok((
        Joiner {
            ik,
            mk,
            init_sk,
            pending: Some(pending),
        },
        change,
    ))
}

/// A roster entry from public values; the certificate is recomputed (Ed25519 is deterministic).
pub(crate) fn entry(
    cid: &[u8; 16],
    mk: EdPublic,
    init: KemPublic,
    role: Role,
    ik: &IdentityKey,
) -> R<RosterEntry> {
    let cert = ik.certify_member(HOST_URL, cid, &MemberPublicKey::from_bytes(&mk.0)?);
    Ok(RosterEntry {
        member_key: mk,
        init_key: init,
        role,
        identity: EdPublic(*ik.public_key().as_bytes()),
        cert: hearth_wire::Signature(cert.to_bytes()),
    })
}

pub(crate) fn roster_cbor(r: &[RosterEntry]) -> Vec<u8> {
    encode_with(|e| {
        e.array(r.len());
        for x in r {
            x.encode(e);
        }
    })
}

pub(crate) fn next_cth(cth: &[u8], commit: &[u8]) -> R<Vec<u8>> {
    let c = Commit::decode(commit)?;
    Ok(labelled::h(label::CTH, |e| {
        e.array(2).bytes(cth).bytes(c.tbs.as_bytes());
    })
    .to_vec())
}

/// `OpenBase` of the sealed value of `tbs` that opens with `sk` for leaf `j` of epoch `n`.
pub(crate) fn open_own(
    tbs: &CommitTbs,
    cid: &[u8; 16],
    n: u64,
    j: u64,
    sk: &[u8; 32],
) -> Option<[u8; 32]> {
    let info = encode_with(|e| {
        e.array(2)
            .text(&label::COMMIT_SEAL.wire())
            .array(3)
            .bytes(cid)
            .uint(n)
            .uint(j);
    });
    let key = x25519::SecretKey::from_bytes(*sk);
    tbs.sealed.as_slice().iter().find_map(|s| {
        let enc = s.enc.as_x25519().ok()?;
        let pt = Hpke::SUITE_1
            .open_base(&Enc::from_bytes(enc.0), &key, &info, b"", s.ct.as_slice())
            .ok()?;
        let mut a = [0u8; 32];
        (pt.as_slice().len() == 32).then(|| {
            a.copy_from_slice(pt.as_slice());
            a
        })
    })
}

/// One member's epoch as the vectors state it.
#[derive(Clone)]
pub(crate) struct View {
    pub(crate) epoch: u64,
    pub(crate) roster: Vec<RosterEntry>,
    pub(crate) nu: Vec<u64>,
    pub(crate) cth: Vec<u8>,
    pub(crate) gc: Vec<u8>,
    pub(crate) gch: [u8; 32],
}

pub(crate) fn view(
    cid: [u8; 16],
    epoch: u64,
    roster: Vec<RosterEntry>,
    nu: Vec<u64>,
    cth: Vec<u8>,
) -> R<View> {
    let (gc, gch) = schedule::group_context(cid, epoch, &roster, &nu, &cth)?;
    Ok(View {
        epoch,
        roster,
        nu,
        cth,
        gc,
        gch,
    })
}

pub(crate) fn check_view(v: &View, g: &Group, keys: &EpochKeys, who: &str) -> R<()> {
    ensure(g.epoch() == Some(v.epoch), &format!("{who}: epoch"))?;
    ensure(
        g.group_context_hash() == Some(v.gch),
        &format!("{who}: gc_hash"),
    )?;
    ensure(
        g.epoch_authenticator().map(|a| *a.as_bytes()) == Some(keys.authenticator),
        &format!("{who}: epoch authenticator"),
    )
}

/// A `commit.report` `SignedRequest` of `g` naming `seq` with `code`.
pub(crate) fn report(g: &Group, cid: [u8; 16], seq: u64, code: ErrorCode, nonce: u8) -> R<Vec<u8>> {
    let req = Request {
        op: Op::COMMIT_REPORT,
        host_url: HostUrl::new(HOST_URL)?,
        channel_id: Some(ChannelId(cid)),
        ts: Secs(T + 300),
        nonce: Nonce16(arr16(nonce)),
        body: RawValue::from_value(&CommitReportBody {
            seq: Seq(seq),
            reason: code,
        }),
        ext: None,
    };
    let rb = req.to_vec();
    let (key, signature) = g.sign_request(&rb)?;
    Ok(SignedRequest {
        version: Version,
        key,
        request: SignedBytes::from_bytes(rb),
        signature,
    }
    .to_vec())
}

/// Re-signs a commit after `f` changed its TBS (the tag is kept).
pub(crate) fn resign(commit: &[u8], signer: &Group, f: impl FnOnce(&mut CommitTbs)) -> R<Vec<u8>> {
    let mut c = Commit::decode(commit)?;
    let mut tbs = CommitTbs::decode(c.tbs.as_bytes())?;
    f(&mut tbs);
    let bytes = tbs.to_vec();
    c.signature = signer.danger_sign_commit_tbs(&bytes)?;
    c.tbs = SignedBytes::from_bytes(bytes);
    Ok(c.to_vec())
}

pub(crate) fn leaves(v: &[u64]) -> Value {
    Value::Array(v.iter().map(|l| Value::from(*l)).collect())
}

/// The report cases: Carol's report verified by Erin, and reports that do not verify.
pub(crate) fn report_cases(
    cid: [u8; 16],
    roster: &[RosterEntry],
    rep_c: &[u8],
    gc: &Group,
    ge: &Group,
) -> R<Vec<Case>> {
    let mut out = Vec::new();
    let rep_case = |id: &str, d: &str, reqs: &[&str], bytes: &[u8]| {
        let mut c = Case::new(format!("recovery-report-{id}"), d, &["HRT-GRP-88"])
            .input("verifier", "Erin")
            .input("host_url", HOST_URL)
            .input("channel_id", hx(&cid))
            .input(
                "roster_member_keys",
                Value::Array(roster.iter().map(|e| hx(&e.member_key.0)).collect()),
            )
            .input("report", hx(bytes));
        for q in reqs {
            c = c.req(q);
        }
        c
    };
    out.push(
        rep_case(
            "carol",
            "Carol's commit.report naming B with decrypt_failed, verified by Erin (who accepted B and now holds her messages)",
            &["HRT-GRP-92"],
            rep_c,
        )
        .out("reporter_leaf", 1u64)
        .out("seq", B_SEQ)
        .out("code", u64::from(ErrorCode::DECRYPT_FAILED.0)),
    );
    let other_key = Group::danger_create_with_rng(
        HostUrl::new(HOST_URL)?,
        IdentityKey::from_seed(&arr32(0x47)),
        T,
        HearthRng::danger_seeded(arr32(0xc7)),
    )?;
    let mut rep_bad_sig = rep_c.to_vec();
    let n = rep_bad_sig.len();
    if let Some(x) = rep_bad_sig.get_mut(n - 3) {
        *x ^= 1;
    }
    let other_channel = {
        let mut sr = SignedRequest::decode(rep_c)?;
        let mut req = Request::decode(sr.request.as_bytes())?;
        req.channel_id = Some(ChannelId([0xee; 16]));
        let rb = req.to_vec();
        sr.signature = gc.sign_request(&rb)?.1;
        sr.request = SignedBytes::from_bytes(rb);
        sr.to_vec()
    };
    for (id, d, reqs, bytes) in [
        (
            "signature-flipped",
            "Carol's report with a flipped signature bit",
            vec!["HRT-GRP-88"],
            rep_bad_sig,
        ),
        (
            "not-a-member",
            "a report signed by a key that is not in the verifier's roster",
            vec!["HRT-GRP-88"],
            report(&other_key, cid, B_SEQ, ErrorCode::DECRYPT_FAILED, 0x72)?,
        ),
        (
            "other-channel",
            "a report of Carol's naming another channel",
            vec!["HRT-GRP-88"],
            other_channel,
        ),
    ] {
        let e = ge
            .verify_report(&bytes)
            .map(|_| ())
            .map_err(Expected::protocol)
            .err()
            .ok_or_else(|| GenError(format!("report variant {id} verified")))?;
        out.push(rep_case(id, d, &reqs, &bytes).err(e));
    }
    Ok(out)
}
