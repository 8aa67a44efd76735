//! The conversation layer's machine (`hearth::conversation::Member`) driven directly, against
//! reference hosts called in process: the outbox (spec §9.8, HRT-LOG-49 to HRT-LOG-52) and
//! joins before sends (§10.4, HRT-ROUTE-30), and properties under host and network faults.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "machine/net.rs"]
mod net;

use hearth::conversation::{Answer, Error, Event, Intent, Member};
use hearth_wire::{ContentType, HostUrl, RawValue};
use net::{member, refresh, run, run_with, texts, Fault, Net};

#[path = "machine/faults.rs"]
mod faults;

#[path = "machine/removal.rs"]
mod removal;

#[path = "machine/sas.rs"]
mod sas;

fn text(s: &str) -> (ContentType, RawValue) {
    let c = hearth_crypto::envelope::ContentBuilder::text(s)
        .unwrap()
        .build();
    (c.content_type, c.body)
}

pub(crate) fn send(conversation: [u8; 16], s: &str) -> Intent {
    let (content_type, body) = text(s);
    Intent::Send {
        conversation,
        content_type,
        body,
    }
}

/// Alice creates a conversation on a new host and admits Bob: `(alice, bob, host, handle)`.
pub(crate) fn pair(net: &mut Net) -> (Member, Member, HostUrl, [u8; 16]) {
    let mut alice = member("Alice");
    let mut bob = member("Bob");
    let url = net.host(&[&alice]);
    let Ok(Answer::Created(conv, _)) = run(&mut alice, net, Intent::CreateChannel(url.clone())).0
    else {
        panic!("create")
    };
    let Ok(Answer::Invited(uri)) = run(
        &mut alice,
        net,
        Intent::Invite {
            conversation: conv,
            route: None,
            expires_in: 3600,
        },
    )
    .0
    else {
        panic!("invite")
    };
    let accepted = run(
        &mut bob,
        net,
        Intent::Accept {
            uri,
            name: "Bob".into(),
        },
    );
    assert!(accepted.0.is_ok(), "{:?}", accepted.0);
    refresh(&mut bob, net);
    let ev = refresh(&mut alice, net);
    assert!(
        ev.iter().any(|e| matches!(e, Event::Admitted { .. })),
        "{ev:?}"
    );
    let ev = refresh(&mut bob, net);
    assert!(
        ev.iter().any(|e| matches!(e, Event::Joined { .. })),
        "{ev:?}"
    );
    (alice, bob, url, conv)
}

fn outbox(m: &Member, conv: &[u8; 16]) -> Vec<hearth::conversation::outbox::Queued> {
    m.state().unwrap().conv(conv).unwrap().outbox().to_vec()
}

#[test]
fn a_send_that_reaches_no_route_waits_in_the_outbox_and_is_sealed_anew_hrt_log_49_50() {
    let mut net = Net::default();
    let (mut alice, mut bob, url, conv) = pair(&mut net);
    // Alice's post gets no answer (the host never saw it): it waits in the outbox.
    let (r, _) = run_with(&mut alice, &mut net, send(conv, "first"), |_, _| {
        Fault::Drop
    });
    assert!(matches!(r, Err(Error::Unreachable(_))), "{r:?}");
    let queued = outbox(&alice, &conv);
    assert_eq!(queued.len(), 1, "HRT-LOG-49");
    assert_eq!(
        queued[0].attempts.len(),
        1,
        "one attempt of unknown outcome"
    );
    let old = queued[0].attempts[0];
    // The state moves on: Bob posts, Alice processes it.
    assert!(run(&mut bob, &mut net, send(conv, "from Bob")).0.is_ok());
    let ev = refresh(&mut alice, &mut net);
    assert_eq!(texts(&ev), vec!["from Bob"]);
    assert!(outbox(&alice, &conv).is_empty(), "sent at the refresh");
    // Bob receives the message once, as a new envelope (HRT-LOG-50), with no claim against it.
    let ev = refresh(&mut bob, &mut net);
    let got: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            Event::Message { text, msg_ref, .. } => Some((text.clone(), *msg_ref)),
            _ => None,
        })
        .collect();
    assert_eq!(got.len(), 1, "{ev:?}");
    assert_eq!(got[0].0.as_deref(), Some("first"));
    assert_ne!(got[0].1, old, "never the envelope of the earlier attempt");
    assert!(
        !ev.iter().any(|e| matches!(e, Event::Detected { .. })),
        "{ev:?}"
    );
    let _ = url;
}

#[test]
fn the_outbox_keeps_the_order_of_the_sends_hrt_log_51() {
    let mut net = Net::default();
    let (mut alice, mut bob, url, conv) = pair(&mut net);
    net.set_down(&url, true);
    assert!(run(&mut alice, &mut net, send(conv, "one")).0.is_err());
    assert!(run(&mut alice, &mut net, send(conv, "two")).0.is_err());
    assert_eq!(outbox(&alice, &conv).len(), 2);
    net.set_down(&url, false);
    // A new send goes behind the queued ones and they all leave, in order.
    let r = run(&mut alice, &mut net, send(conv, "three")).0;
    assert!(matches!(r, Ok(Answer::Sent(_))), "{r:?}");
    assert!(outbox(&alice, &conv).is_empty());
    assert_eq!(
        texts(&refresh(&mut bob, &mut net)),
        vec!["one", "two", "three"]
    );
}

#[test]
fn an_attempt_the_log_shows_accepted_is_not_sent_again_hrt_log_52() {
    let mut net = Net::default();
    let (mut alice, mut bob, _url, conv) = pair(&mut net);
    // The host accepts the post, the answer is lost: the outcome is unknown.
    let (r, _) = run_with(&mut alice, &mut net, send(conv, "once"), |_, signed| {
        if is_msg_post(signed) {
            Fault::LoseAnswer
        } else {
            Fault::None
        }
    });
    assert!(r.is_err(), "{r:?}");
    assert_eq!(outbox(&alice, &conv).len(), 1);
    // The refresh verifies the log, finds the attempt there, and does not post it again.
    refresh(&mut alice, &mut net);
    assert!(outbox(&alice, &conv).is_empty());
    assert_eq!(texts(&refresh(&mut bob, &mut net)), vec!["once"]);
    refresh(&mut alice, &mut net);
    assert!(texts(&refresh(&mut bob, &mut net)).is_empty(), "sent once");
}

#[test]
fn a_send_finishes_the_pending_join_first_hrt_route_30() {
    let mut net = Net::default();
    let (mut alice, mut bob, url1, conv) = pair(&mut net);
    // Alice re-hosts on a second host and invites Bob there out of band (§10.6).
    let url2 = net.host(&[&alice]);
    let Ok(Answer::Route(r2)) = run(
        &mut alice,
        &mut net,
        Intent::Rehost {
            conversation: conv,
            host: url2.clone(),
        },
    )
    .0
    else {
        panic!("rehost")
    };
    let Ok(Answer::Invited(uri)) = run(
        &mut alice,
        &mut net,
        Intent::Invite {
            conversation: conv,
            route: Some(r2),
            expires_in: 3600,
        },
    )
    .0
    else {
        panic!("invite")
    };
    assert!(run(
        &mut bob,
        &mut net,
        Intent::Accept {
            uri,
            name: "Bob".into()
        }
    )
    .0
    .is_ok());
    // Bob's refresh: the code is compared, the Welcome is not there yet.
    refresh(&mut bob, &mut net);
    let ev = refresh(&mut alice, &mut net);
    assert!(
        ev.iter().any(|e| matches!(e, Event::Admitted { .. })),
        "{ev:?}"
    );
    // The first host goes down. Bob sends without a refresh: the join is finished first, and
    // the message fails over to the new route (HRT-ROUTE-14).
    net.set_down(&url1, true);
    let r = run(&mut bob, &mut net, send(conv, "via the new route")).0;
    let Ok(Answer::Sent(sent)) = r else {
        panic!("{r:?}")
    };
    assert_eq!(sent.route.host, url2);
    assert_eq!(bob.state().unwrap().conv(&conv).unwrap().routes().len(), 2);
    assert_eq!(
        texts(&refresh(&mut alice, &mut net)),
        vec!["via the new route"]
    );
}

/// Whether a `SignedRequest` is a `msg.post`.
pub(crate) fn is_msg_post(signed: &[u8]) -> bool {
    net::is_op(signed, hearth_wire::Op::MSG_POST)
}
