//! Removal that sticks and the duties of §6.17, run by the machine itself: a member removed
//! on one route is silent on all (HRT-ROUTE-27 to HRT-ROUTE-29), an admin carries a removal
//! to its other routes (HRT-ROUTE-28), and the timed commit, member-key rotation and removal
//! of members away for 30 days are judged at the duty clock (HRT-RAT-20 to HRT-RAT-22,
//! Appendix B §91.6.15).

use hearth::conversation::{Answer, Error, Event, Intent, Member};
use hearth_wire::{ErrorCode, HostUrl, Op};

use super::net::{is_op, refresh, run, Net};
use super::{pair, send};

/// `pair`, then Alice adds a route on a second host and Bob joins it through the
/// announcement (spec §10.2). Returns `(alice, bob, url1, url2, conversation)`.
fn two_routes(net: &mut Net) -> (Member, Member, HostUrl, HostUrl, [u8; 16]) {
    let (mut alice, mut bob, url1, conv) = pair(net);
    let url2 = net.host(&[&alice]);
    let r = run(
        &mut alice,
        net,
        Intent::AddRoute {
            conversation: conv,
            host: url2.clone(),
        },
    )
    .0;
    assert!(matches!(r, Ok(Answer::Route(_))), "{r:?}");
    refresh(&mut bob, net);
    refresh(&mut alice, net);
    refresh(&mut bob, net);
    assert_eq!(bob.state().unwrap().conv(&conv).unwrap().routes().len(), 2);
    (alice, bob, url1, url2, conv)
}

fn posts_to(net: &Net, from: usize, op: Op) -> usize {
    net.delivered[from..]
        .iter()
        .filter(|s| is_op(s, op))
        .count()
}

#[test]
fn removed_on_one_route_is_silent_on_all_and_the_removal_is_carried_hrt_route_27_28_29() {
    let mut net = Net::default();
    let (mut alice, mut bob, url1, _url2, conv) = two_routes(&mut net);
    let bob_fp = bob.state().unwrap().identity().public_key().fingerprint();
    let r1 = alice.state().unwrap().conv(&conv).unwrap().routes()[0]
        .link()
        .clone();
    assert_eq!(r1.host, url1);
    let r = run(
        &mut alice,
        &mut net,
        Intent::Commit {
            conversation: conv,
            route: r1,
            remove: vec![bob_fp],
        },
    )
    .0;
    assert!(matches!(r, Ok(Answer::Committed(..))), "{r:?}");
    // Bob's send meets `removed` on the first route; the log bears it out (HRT-GRP-90), and he
    // does not fail over to the second (HRT-ROUTE-27).
    let before = net.delivered.len();
    let r = run(&mut bob, &mut net, send(conv, "after removal")).0;
    assert!(
        matches!(&r, Err(Error::Host { status, .. }) if *status == ErrorCode::REMOVED),
        "{r:?}"
    );
    assert_eq!(posts_to(&net, before, Op::MSG_POST), 1, "HRT-ROUTE-27");
    // From then on he posts nowhere (HRT-ROUTE-29).
    let before = net.delivered.len();
    let r = run(&mut bob, &mut net, send(conv, "again")).0;
    assert!(
        matches!(&r, Err(Error::Host { status, .. }) if *status == ErrorCode::REMOVED),
        "{r:?}"
    );
    assert_eq!(posts_to(&net, before, Op::MSG_POST), 0, "HRT-ROUTE-29");
    // Alice's refresh carries the removal to the second route (HRT-ROUTE-28).
    let ev = refresh(&mut alice, &mut net);
    assert!(
        ev.iter().any(|e| matches!(e, Event::Commit { .. })),
        "{ev:?}"
    );
    let st = alice.state().unwrap();
    let r2 = &st.conv(&conv).unwrap().routes()[1];
    assert!(
        !r2.group().members().iter().any(|m| m.fingerprint == bob_fp),
        "HRT-ROUTE-28"
    );
}

#[test]
fn the_duty_clock_makes_the_timed_commit_and_the_key_rotation_due_hrt_rat_20_21() {
    let mut net = Net::default();
    // Bob, a member (not an admin, so that no removal of HRT-RAT-22 is due), moves his duty
    // clock; Alice's roster shows what his commits did.
    let (mut alice, mut bob, _url, conv) = pair(&mut net);
    let bob_fp = bob.state().unwrap().identity().public_key().fingerprint();
    let seen_by_alice = |alice: &Member| {
        let r = &alice.state().unwrap().conv(&conv).unwrap().routes()[0];
        r.group()
            .members()
            .iter()
            .find(|m| m.fingerprint == bob_fp)
            .map(|m| m.member_key)
    };
    // Bob's update commit after his join (HRT-RAT-17), processed by Alice.
    refresh(&mut bob, &mut net);
    refresh(&mut alice, &mut net);
    let k0 = seen_by_alice(&alice);
    assert!(k0.is_some());
    // Nothing is due now.
    let before = net.delivered.len();
    refresh(&mut bob, &mut net);
    assert_eq!(posts_to(&net, before, Op::COMMIT_POST), 0);
    // Eight days on, by the duty clock only (request timestamps stay fresh): a commit is due
    // although Bob sent nothing (HRT-RAT-20); the key is kept.
    bob.state_mut().unwrap().duty_clock_offset = 8 * 86_400;
    let before = net.delivered.len();
    refresh(&mut bob, &mut net);
    assert_eq!(posts_to(&net, before, Op::COMMIT_POST), 1, "HRT-RAT-20");
    let ev = refresh(&mut alice, &mut net);
    assert!(
        ev.iter().any(|e| matches!(e, Event::Commit { .. })),
        "{ev:?}"
    );
    assert_eq!(seen_by_alice(&alice), k0);
    // Thirty-one days on: the next commit rotates the member key (HRT-RAT-21), as Alice's
    // roster shows once she processed it.
    bob.state_mut().unwrap().duty_clock_offset = 31 * 86_400;
    let before = net.delivered.len();
    refresh(&mut bob, &mut net);
    assert_eq!(posts_to(&net, before, Op::COMMIT_POST), 1, "HRT-RAT-21");
    let ev = refresh(&mut alice, &mut net);
    assert!(
        ev.iter().any(|e| matches!(e, Event::Commit { .. })),
        "{ev:?}"
    );
    assert_ne!(seen_by_alice(&alice), k0, "HRT-RAT-21: rotated");
}

#[test]
fn an_admin_removes_a_member_away_for_30_days_after_telling_its_user_hrt_rat_22() {
    let mut net = Net::default();
    let (mut alice, mut bob, _url, conv) = pair(&mut net);
    let bob_fp = bob.state().unwrap().identity().public_key().fingerprint();
    // Bob's update commit after his join (HRT-RAT-17), which Alice verifies.
    refresh(&mut bob, &mut net);
    refresh(&mut alice, &mut net);
    // 29 days after Bob's join commit by Alice's clock: Bob stays.
    alice.state_mut().unwrap().duty_clock_offset = 29 * 86_400;
    let ev = refresh(&mut alice, &mut net);
    assert!(
        !ev.iter().any(|e| matches!(e, Event::Away { .. })),
        "{ev:?}"
    );
    // 31 days: Alice is told, then Bob is removed.
    alice.state_mut().unwrap().duty_clock_offset = 31 * 86_400;
    let ev = refresh(&mut alice, &mut net);
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::Away { fingerprint, .. } if *fingerprint == bob_fp)),
        "{ev:?}"
    );
    // The host took the removal. Alice's own roster is not checked: her commit also rotates
    // her 31-day-old member key, and the rotation lockout of the ignored test below keeps it
    // pending.
    let ev = refresh(&mut bob, &mut net);
    assert!(
        ev.iter().any(|e| matches!(e, Event::Removed { .. })),
        "HRT-RAT-22: {ev:?}"
    );
    assert!(alice.state().unwrap().conv(&conv).is_ok());
}

/// Once the host took a commit with this member's `RotateOp` it knows only the new member key,
/// so the member signs with it from the `ok` on (HRT-GRP-95) and still reads its log to install
/// the commit (HRT-GRP-75). Before that fix the member was locked out of the channel after its
/// first rotation.
#[test]
fn after_its_rotation_the_member_still_reads_its_log_hrt_rat_21_grp_75_grp_95() {
    let mut net = Net::default();
    let (mut alice, mut bob, _url, conv) = pair(&mut net);
    let key = |m: &Member| {
        m.state().unwrap().conv(&conv).unwrap().routes()[0]
            .group()
            .member_key()
    };
    let old = key(&alice);
    alice.state_mut().unwrap().duty_clock_offset = 31 * 86_400;
    refresh(&mut alice, &mut net);
    let r = &alice.state().unwrap().conv(&conv).unwrap().routes()[0];
    assert!(!r.group().has_pending_commit(), "the rotation is installed");
    assert_ne!(key(&alice), old, "the member key was rotated (HRT-RAT-21)");
    // Still a member: it sends, and Bob reads it.
    let r = run(&mut alice, &mut net, send(conv, "after the rotation")).0;
    assert!(matches!(r, Ok(Answer::Sent(_))), "{r:?}");
    let events = refresh(&mut bob, &mut net);
    assert!(
        super::net::texts(&events).contains(&"after the rotation".to_owned()),
        "{events:?}"
    );
}
