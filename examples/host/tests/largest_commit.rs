//! The largest `commit.post` of the largest channel fits the minimum `max_request` (spec §8.6,
//! HRT-API-44, HRT-GRP-78, HRT-OP-63, HRT-OP-64): with real cryptography against a real host
//! (in-process `serve`, over HTTP, default limits but `max_pending`), a commit that adds 255
//! joiners to a channel of one, the worst case at 256 members, and the case the 1.0-draft
//! could not carry, 3 joiners added to a channel of 253.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use hearth_client::transport::{Outcome, Transport};
use hearth_crypto::group::{Change, Group, PendingMember};
use hearth_crypto::hazmat::label;
use hearth_crypto::hazmat::labelled::sign_with_label;
use hearth_crypto::invite::ValidatedJoin;
use hearth_crypto::keys::IdentityKey;
use hearth_wire::request::{
    ChannelCreateBody, CommitPostResult, Empty, JoinFetchResult, WelcomeFetchResult,
};
use hearth_wire::{ConversationId, HostUrl, Leaf, Op, Role, Signature, Suite, WireEncode};
use zeroize::Zeroizing;

struct Fx {
    url: HostUrl,
    t: Transport,
    alice: Group,
    _host: common::InProcess,
}

fn now() -> u64 {
    common::now()
}

fn ok(fx: &Fx, signed: &[u8]) -> hearth_wire::request::Response {
    match fx.t.post(&fx.url, signed) {
        Outcome::Ok(r) => r,
        other => panic!("{other:?}"),
    }
}

fn start() -> Fx {
    let host = common::InProcess::start(
        "largest",
        "[limits]\nmax_pending = 256\nmax_invites = 256\n\n[rate_limit]\nenabled = false\n",
    );
    assert_eq!(host.config.limits.max_request, 131072);
    assert_eq!(host.config.limits.max_members, 256);
    let url = host.url.clone();
    let owner = IdentityKey::from_seed(&Zeroizing::new(*common::owner().seed()));
    let alice = Group::create(url.clone(), owner.clone(), now()).unwrap();
    let mk = alice.member_key().unwrap();
    let owner_sig = sign_with_label(owner.signing_key(), label::CREATE, |e| {
        e.array(3)
            .text(url.as_str())
            .bytes(&alice.channel_id().0)
            .bytes(mk.as_bytes());
    });
    let body = ChannelCreateBody {
        suite: Suite::X25519_SHA256_AES256GCM_ED25519,
        owner_signature: Signature(owner_sig.to_bytes()),
    };
    let fx = Fx {
        url,
        t: Transport::new(),
        alice,
        _host: host,
    };
    let signed = Transport::build(
        &fx.url,
        Op::CHANNEL_CREATE,
        Some(*fx.alice.channel_id()),
        &body,
        &|b| Ok(fx.alice.sign_request(b)?),
    )
    .unwrap();
    ok(&fx, &signed);
    fx
}

/// `n` invitations made, redeemed and opened; the joiners (their codes confirmed) and the
/// validated joins.
fn joins(fx: &mut Fx, n: usize) -> (Vec<PendingMember>, Vec<ValidatedJoin>) {
    let cid = *fx.alice.channel_id();
    let mut invitations = Vec::new();
    let mut pendings = Vec::new();
    for _ in 0..n {
        let draft = fx
            .alice
            .create_invitation(ConversationId(cid.0), now() + 3600)
            .unwrap();
        let signed = Transport::build(
            &fx.url,
            Op::INVITE_CREATE,
            Some(cid),
            &draft.create_body(),
            &|b| Ok(fx.alice.sign_request(b)?),
        )
        .unwrap();
        ok(fx, &signed);
        let inv = draft.registered();
        let uri = inv.uri().unwrap().to_string();
        let (mut pending, redeem) =
            PendingMember::join(&uri, IdentityKey::generate(), "joiner", now()).unwrap();
        let auth = std::cell::RefCell::new(Some(redeem.auth));
        let signed = Transport::build(&fx.url, Op::INVITE_REDEEM, Some(cid), &redeem.body, &|b| {
            let a = auth.borrow_mut().take().unwrap();
            Ok((a.public_key(), a.sign_request(b)))
        })
        .unwrap();
        ok(fx, &signed);
        pending.confirm_sas();
        pendings.push(pending);
        invitations.push(inv);
    }
    let signed = Transport::build(&fx.url, Op::JOIN_FETCH, Some(cid), &Empty {}, &|b| {
        Ok(fx.alice.sign_request(b)?)
    })
    .unwrap();
    let jf: JoinFetchResult = ok(fx, &signed).result_as().unwrap().unwrap();
    assert_eq!(jf.pending.len(), n);
    let validated = jf
        .pending
        .as_slice()
        .iter()
        .zip(invitations.iter_mut())
        .map(|(pj, inv)| inv.process_join(pj).unwrap())
        .collect();
    (pendings, validated)
}

/// Commits `changes` by Alice and posts it; returns the `CommitPostBody` size and the output.
fn post(fx: &mut Fx, changes: Vec<Change>) -> (usize, hearth_crypto::group::CommitOutput) {
    let out = fx.alice.commit(changes, now()).unwrap();
    let body = out.post_body().unwrap();
    let size = body.to_vec().len();
    let cid = *fx.alice.channel_id();
    let signed = Transport::build(&fx.url, Op::COMMIT_POST, Some(cid), &body, &|b| {
        Ok(fx.alice.sign_request(b)?)
    })
    .unwrap();
    let signed_len = signed.len();
    assert!(signed_len <= 131072, "{signed_len} bytes over max_request");
    let r: CommitPostResult = ok(fx, &signed).result_as().unwrap().unwrap();
    fx.alice.commit_accepted().unwrap();
    assert!(r.seq.0 > 1);
    (signed_len.max(size), out)
}

fn adds(vs: Vec<ValidatedJoin>) -> Vec<Change> {
    vs.into_iter()
        .map(|v| Change::Add {
            joiner: Box::new(v.confirm_sas_matches()),
            role: Role::Member,
        })
        .collect()
}

#[test]
fn hrt_api_44_largest_commits_at_256_members_fit_max_request() {
    let mut fx = start();
    // The worst case: 255 joiners added at once, one GroupInfo of 256 entries, 255 Welcomes.
    let (pendings, validated) = joins(&mut fx, 255);
    let (worst, out) = post(&mut fx, adds(validated));
    assert_eq!(fx.alice.members().len(), 256);
    // One GroupInfo ciphertext for all the Welcomes (HRT-GRP-78), served to each (HRT-OP-64):
    // the first and the last joiner join with it.
    let gi = out.group_info_ct.clone().unwrap();
    for (i, p) in pendings.into_iter().enumerate() {
        if i != 0 && i != 254 {
            continue;
        }
        let cid = *fx.alice.channel_id();
        let mk = p.member_key();
        let signed = Transport::build(&fx.url, Op::WELCOME_FETCH, Some(cid), &Empty {}, &|b| {
            Ok(mk.sign_request(b))
        })
        .unwrap();
        let wf: WelcomeFetchResult = ok(&fx, &signed).result_as().unwrap().unwrap();
        assert_eq!(wf.group_info_ct.as_slice(), gi.as_slice());
        let g = p
            .accept_welcome(
                wf.welcome.as_bytes(),
                wf.group_info_ct.as_slice(),
                Some(&out.commit),
                now(),
            )
            .unwrap();
        assert_eq!(g.members().len(), 256);
    }
    // The 1.0-draft's failing case: 3 joiners added to a channel of 253 (252 sealed secrets).
    let removes = (253..=255u8).map(|l| Change::Remove(Leaf(l))).collect();
    post(&mut fx, removes);
    assert_eq!(fx.alice.members().len(), 253);
    let (_p, validated) = joins(&mut fx, 3);
    let (three, _) = post(&mut fx, adds(validated));
    assert_eq!(fx.alice.members().len(), 256);
    println!("SignedRequest of commit.post, 255 added to 1: {worst} bytes; 3 added to 253: {three} bytes");
    assert!(three < worst);
}
