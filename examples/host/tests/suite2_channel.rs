//! A suite-2 channel end to end through the reference host (issue 18; spec §3.1, §8.6): with
//! real cryptography against the in-process host configured with `max_request` of 1 MiB (so
//! that it lists suite 2, HRT-API-71), a suite-2 channel is created, 255 joiners are added in
//! one commit, the worst case of §8.6, which must fit 1 MiB; the first and the last joiner join
//! from the one GroupInfo ciphertext (over suite 1's bound of 131,072 bytes, HRT-WIRE-31); the
//! first joiner updates, sends a message through `msg.post` that the creator opens, and the
//! host refuses a suite-1-sized commit in the channel (HRT-API-72).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use hearth_client::transport::{Outcome, Transport};
use hearth_crypto::envelope::ContentBuilder;
use hearth_crypto::group::{Change, Group, PendingMember, SUITE_2};
use hearth_crypto::hazmat::label;
use hearth_crypto::hazmat::labelled::sign_with_label;
use hearth_crypto::invite::ValidatedJoin;
use hearth_crypto::keys::IdentityKey;
use hearth_wire::envelope::ContentBody;
use hearth_wire::request::{
    ChannelCreateBody, CommitPostResult, Empty, InfoResult, JoinFetchResult, MsgPostBody,
    WelcomeFetchResult,
};
use hearth_wire::{
    ConversationId, Embedded, ErrorCode, HostUrl, Op, Role, Signature, WireDecode, WireEncode,
};
use zeroize::Zeroizing;

const MAX_REQUEST: usize = 1_048_576;

struct Fx {
    url: HostUrl,
    t: Transport,
    alice: Group,
    _host: common::InProcess,
}

fn now() -> u64 {
    common::now()
}

fn call(fx: &Fx, signed: &[u8]) -> hearth_wire::request::Response {
    match fx.t.post(&fx.url, signed) {
        Outcome::Ok(r) | Outcome::Refused(r) => r,
        other => panic!("{other:?}"),
    }
}

fn ok(fx: &Fx, signed: &[u8]) -> hearth_wire::request::Response {
    let r = call(fx, signed);
    assert_eq!(r.status, ErrorCode::OK, "{r:?}");
    r
}

fn start() -> Fx {
    let host = common::InProcess::start(
        "suite2",
        "[limits]\nmax_request = 1048576\nmax_pending = 256\nmax_invites = 256\n\n[rate_limit]\nenabled = false\n",
    );
    let url = host.url.clone();
    let owner = IdentityKey::from_seed(&Zeroizing::new(*common::owner().seed()));
    let alice = Group::create_with_suite(url.clone(), owner.clone(), now(), SUITE_2).unwrap();
    let mk = alice.member_key().unwrap();
    let owner_sig = sign_with_label(owner.signing_key(), label::CREATE, |e| {
        e.array(3)
            .text(url.as_str())
            .bytes(&alice.channel_id().0)
            .bytes(mk.as_bytes());
    });
    let body = ChannelCreateBody {
        suite: SUITE_2,
        owner_signature: Signature(owner_sig.to_bytes()),
    };
    let fx = Fx {
        url,
        t: Transport::new(),
        alice,
        _host: host,
    };
    // The host lists suite 2 (HRT-API-71, HRT-EXT-9).
    let signed = Transport::build(&fx.url, Op::INFO, None, &Empty {}, &|b| {
        Ok(fx.alice.sign_request(b)?)
    })
    .unwrap();
    let info: InfoResult = ok(&fx, &signed).result_as().unwrap().unwrap();
    assert!(info.suites.as_slice().contains(&SUITE_2));
    assert!(info.limits.max_request >= MAX_REQUEST as u64);
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

/// `n` invitations made, redeemed and opened: the joiners (codes confirmed) and their joins.
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

#[test]
fn suite_2_channel_of_256_through_the_host_hrt_api_71() {
    let mut fx = start();
    let cid = *fx.alice.channel_id();
    // The worst case of §8.6: 255 joiners at once, one GroupInfo of 256 X-Wing entries.
    let (pendings, validated) = joins(&mut fx, 255);
    let changes = validated
        .into_iter()
        .map(|v| Change::Add {
            joiner: Box::new(v.confirm_sas_matches()),
            role: Role::Member,
        })
        .collect();
    let out = fx.alice.commit(changes, now()).unwrap();
    let body = out.post_body().unwrap();
    let signed = Transport::build(&fx.url, Op::COMMIT_POST, Some(cid), &body, &|b| {
        Ok(fx.alice.sign_request(b)?)
    })
    .unwrap();
    println!(
        "suite 2: commit.post adding 255 to 1: {} bytes; GroupInfo ciphertext {} bytes",
        signed.len(),
        out.group_info_ct.as_ref().unwrap().len()
    );
    assert!(signed.len() <= MAX_REQUEST, "{} bytes", signed.len());
    let gi = out.group_info_ct.clone().unwrap();
    assert!(gi.len() > 131_072 && gi.len() <= 393_216, "{}", gi.len());
    let r: CommitPostResult = ok(&fx, &signed).result_as().unwrap().unwrap();
    assert!(r.seq.0 > 1);
    fx.alice.commit_accepted().unwrap();
    assert_eq!(fx.alice.members().len(), 256);
    // The first and the last joiner join from the served Welcome and GroupInfo ciphertext.
    let mut joined = Vec::new();
    for (i, p) in pendings.into_iter().enumerate() {
        if i != 0 && i != 254 {
            continue;
        }
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
        assert_eq!(g.epoch_authenticator(), fx.alice.epoch_authenticator());
        joined.push(g);
    }
    // The first joiner updates (sealing to 255 members under X-Wing); Alice processes it.
    let mut bob = joined.swap_remove(0);
    let up = bob.commit(vec![], now()).unwrap();
    let body = up.post_body().unwrap();
    let signed = Transport::build(&fx.url, Op::COMMIT_POST, Some(cid), &body, &|b| {
        Ok(bob.sign_request(b)?)
    })
    .unwrap();
    println!("suite 2: an update at 256 members: {} bytes", signed.len());
    ok(&fx, &signed);
    bob.commit_accepted().unwrap();
    fx.alice.process_commit(&up.commit).unwrap();
    // A message through msg.post, opened by Alice.
    let content = ContentBuilder::text("post-quantum hello").unwrap().build();
    let env = bob.seal(&content, now()).unwrap().bytes;
    let body = MsgPostBody {
        envelope: Embedded::new(hearth_wire::envelope::Envelope::decode(&env).unwrap()),
    };
    let signed = Transport::build(&fx.url, Op::MSG_POST, Some(cid), &body, &|b| {
        Ok(bob.sign_request(b)?)
    })
    .unwrap();
    ok(&fx, &signed);
    let opened = fx.alice.open(&env).unwrap();
    assert!(
        matches!(opened.body, ContentBody::Text(ref t) if t.text.as_str() == "post-quantum hello")
    );
    // A commit of suite-1 sizes in the suite-2 channel: the host refuses it (HRT-API-72).
    let mut c = hearth_wire::group::Commit::decode(&fx.alice.commit(vec![], now()).unwrap().commit)
        .unwrap();
    let mut tbs = c.unverified_tbs().unwrap().danger_assume_verified();
    tbs.init_key = hearth_wire::XPublic([9; 32]).into();
    c.tbs = hearth_wire::SignedBytes::from_bytes(tbs.to_vec());
    let body = hearth_wire::request::CommitPostBody {
        commit: Embedded::new(c),
        welcomes: hearth_wire::BoundedVec::new(vec![]).unwrap(),
        group_info_ct: None,
    };
    let signed = Transport::build(&fx.url, Op::COMMIT_POST, Some(cid), &body, &|b| {
        Ok(fx.alice.sign_request(b)?)
    })
    .unwrap();
    let r = call(&fx, &signed);
    assert_eq!(
        (r.status, r.detail),
        (ErrorCode::MALFORMED, Some(ErrorCode::WRONG_SIZE))
    );
}
