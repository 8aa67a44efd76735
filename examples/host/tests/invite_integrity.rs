//! Invitation integrity (spec §5.2, §5.11, HRT-INV-54, HRT-INV-71, HRT-GRP-81): no alteration
//! of an invitation link makes a joiner join under a wrong identity. The real join flow runs
//! against a real host (`hearth-host serve` in this process, over HTTP), with the reference
//! client on both sides and two people who compare the short authentication strings honestly
//! (spec §5.8.1):
//!
//! 1. every character of the link replaced by another base64url character is refused when the
//!    link is parsed (`bad_checksum`, `bad_base64` or `bad_uri`);
//! 2. every byte of the `Invite` changed, with a correct check value recomputed (an attacker
//!    who rewrites the link), ends in a parse error, a refused join, a mismatch of the codes or
//!    a refused Welcome, or in a join of the right channel, on the right host, in the right
//!    conversation, with the right inviter.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hearth_client::{Client, Comparison, Event, SasCheck};
use hearth_crypto::invite::Sas;
use hearth_wire::invite::uri::{invite_check, SCHEME};
use hearth_wire::invite::{base64url, InviteUri};
use hearth_wire::{HostUrl, WireEncode};
use zeroize::Zeroizing;

/// What the two people see: the code on each screen.
#[derive(Clone, Default)]
struct Screens {
    inviter: Arc<Mutex<Option<Sas>>>,
    joiner: Arc<Mutex<Option<Sas>>>,
}

/// The inviter reads the code of the join its client opened and asks the joiner.
struct Inviter(Screens);
/// The joiner compares its code with the one the inviter read out.
struct Joiner(Screens);

impl Comparison for Inviter {
    fn available(&self) -> bool {
        true
    }
    fn codes_match(&mut self, check: &SasCheck) -> Option<bool> {
        *self.0.inviter.lock().unwrap() = Some(check.sas);
        Some(*self.0.joiner.lock().unwrap() == Some(check.sas))
    }
}

impl Comparison for Joiner {
    fn available(&self) -> bool {
        true
    }
    fn codes_match(&mut self, check: &SasCheck) -> Option<bool> {
        Some(*self.0.inviter.lock().unwrap() == Some(check.sas))
    }
}

struct Fx {
    url: HostUrl,
    alice: Client,
    conv: [u8; 16],
    screens: Screens,
    _host: common::InProcess,
}

fn start() -> Fx {
    // Joins that never open (an altered inviter key) stay pending at the host: room for them.
    let host = common::InProcess::start(
        "integrity",
        "[limits]\nmax_pending = 4096\nmax_invites = 4096\n\n[rate_limit]\nenabled = false\n",
    );
    let url = host.url.clone();
    let screens = Screens::default();
    let mut alice = Client::from_seed(Zeroizing::new(*common::owner().seed()), "Alice");
    alice.set_timeout(Duration::from_secs(2));
    alice.set_comparison(Box::new(Inviter(screens.clone())));
    let (conv, _) = alice.create_channel(&url).unwrap();
    Fx {
        url,
        alice,
        conv,
        screens,
        _host: host,
    }
}

fn frame(invite_bytes: &[u8]) -> String {
    let mut b = invite_bytes.to_vec();
    b.extend_from_slice(&invite_check(invite_bytes));
    format!("{SCHEME}{}", base64url::encode(&b))
}

/// How a join with one (possibly altered) link ended.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// The link did not parse.
    Parse,
    /// The client refused it or the redeem failed (an error code or an unreachable host).
    Redeem,
    /// Nobody joined: the codes differed, the inviter could not open the join, or the
    /// joiner refused the Welcome.
    NotJoined,
    /// Joined the inviter's channel, with everything right.
    JoinedRight,
}

/// Runs the whole join of a fresh joiner with `link`, and checks that a join, if any, is
/// under the right identity.
fn join_with(fx: &mut Fx, real: &InviteUri, link: &str) -> Outcome {
    if InviteUri::parse(link).is_err() {
        return Outcome::Parse;
    }
    *fx.screens.inviter.lock().unwrap() = None;
    let mut bob = Client::generate("Bob");
    bob.set_timeout(Duration::from_secs(2));
    bob.set_comparison(Box::new(Joiner(fx.screens.clone())));
    let Ok((_, sas)) = bob.accept_invite(link, "Bob") else {
        return Outcome::Redeem;
    };
    *fx.screens.joiner.lock().unwrap() = Some(sas);
    fx.alice.sync();
    let events = bob.sync();
    let joined = events.iter().any(|e| matches!(e, Event::Joined { .. }));
    if !joined {
        assert!(bob.conversations().is_empty(), "{events:?}");
        return Outcome::NotJoined;
    }
    // Joined: it must be the real channel, host, conversation and inviter.
    let convs = bob.conversations();
    assert_eq!(convs.len(), 1, "{events:?}");
    let c = &convs[0];
    assert_eq!(
        c.id(),
        real.invite.conversation,
        "joined another conversation"
    );
    let route = &c.routes()[0];
    assert_eq!(
        route.link().host,
        real.invite.host_url,
        "joined on another host"
    );
    assert_eq!(
        route.link().channel,
        real.invite.channel_id,
        "joined another channel"
    );
    let alice_fp = fx.alice.fingerprint();
    assert!(
        route
            .group()
            .members()
            .iter()
            .any(|m| m.fingerprint == alice_fp),
        "the inviter is not in the roster"
    );
    assert_eq!(
        alice_fp.prefix(),
        real.invite.inviter_fpr.0,
        "the inviter is not the one the invitation names"
    );
    Outcome::JoinedRight
}

#[test]
fn hrt_inv_54_every_character_changed_is_refused_at_parsing() {
    let mut fx = start();
    let link = fx.alice.create_invite(&fx.conv, 3600).unwrap();
    let real = InviteUri::parse(&link).unwrap();
    let alphabet: Vec<char> = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        .chars()
        .collect();
    let chars: Vec<char> = link.chars().collect();
    for i in 0..chars.len() {
        let c = chars[i];
        let other = alphabet
            .iter()
            .copied()
            .find(|a| *a != c && (i >= SCHEME.len() || !a.is_ascii_lowercase()))
            .unwrap();
        let mut altered = chars.clone();
        altered[i] = other;
        let altered: String = altered.into_iter().collect();
        let e = InviteUri::parse(&altered).err();
        assert!(
            matches!(
                e,
                Some(
                    hearth_wire::WireError::BadChecksum
                        | hearth_wire::WireError::BadBase64
                        | hearth_wire::WireError::BadUri
                )
            ),
            "position {i}: {altered} gave {e:?}"
        );
    }
    // The unaltered link still works.
    assert_eq!(join_with(&mut fx, &real, &link), Outcome::JoinedRight);
}

#[test]
fn hrt_inv_71_no_rewritten_invite_joins_under_a_wrong_identity() {
    let mut fx = start();
    let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
    let mut n = 0usize;
    loop {
        let link = fx.alice.create_invite(&fx.conv, 3600).unwrap();
        let real = InviteUri::parse(&link).unwrap();
        let bytes = real.invite.to_vec();
        if n >= bytes.len() {
            break;
        }
        let mut altered = bytes.clone();
        altered[n] ^= 0x01;
        let o = join_with(&mut fx, &real, &frame(&altered));
        *outcomes.entry(format!("{o:?}")).or_default() += 1;
        n += 1;
    }
    // Some alterations (of `expires`) change nothing that matters, and that join works: the
    // test can tell a working join from a refused one.
    assert!(
        outcomes.get("JoinedRight").is_some_and(|k| *k > 0),
        "{outcomes:?}"
    );
    assert!(
        outcomes.get("NotJoined").is_some_and(|k| *k > 0),
        "{outcomes:?}"
    );
    println!("byte alterations: {outcomes:?}");
    // The URL the tests used is the host's canonical URL.
    assert!(fx.url.as_str().starts_with("http://127.0.0.1:"));
}
