//! The comparison of short authentication strings run by the machine itself (spec §5.8.1):
//! a comparison the user does not answer at once waits, and the answer given later with
//! `Intent::AnswerSas` is carried out (HRT-INV-65 to HRT-INV-68, HRT-INV-72, HRT-INV-73).

use hearth::conversation::{Answer, Event, Intent, Member, NobodyToAsk};
use hearth_wire::{ErrorCode, Op};

use super::net::{is_op, member, refresh, run, run_with, Fault, Net};

/// Alice (inviter) and Bob (joiner), neither of whom can be asked now: Bob redeemed Alice's
/// invitation. Returns `(alice, bob, conversation, invite id)`.
fn nobody_can_answer(net: &mut Net) -> (Member, Member, [u8; 16], [u8; 16]) {
    let mut alice = member("Alice");
    let mut bob = member("Bob");
    for m in [&mut alice, &mut bob] {
        m.state_mut().unwrap().comparison = Box::new(NobodyToAsk);
    }
    let url = net.host(&[&alice]);
    let Ok(Answer::Created(conv, _)) = run(&mut alice, net, Intent::CreateChannel(url)).0 else {
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
    let Ok(Answer::Redeemed(invite, _)) = run(
        &mut bob,
        net,
        Intent::Accept {
            uri,
            name: "Bob".into(),
        },
    )
    .0
    else {
        panic!("redeem")
    };
    (alice, bob, conv, invite)
}

fn sas_of(ev: &[Event], invite: [u8; 16]) -> bool {
    ev.iter()
        .any(|e| matches!(e, Event::Sas { invite: i, .. } if *i == invite))
}

fn answer(m: &mut Member, net: &mut Net, invite: [u8; 16], matches: bool) {
    let r = run(m, net, Intent::AnswerSas { invite, matches }).0;
    assert!(matches!(r, Ok(Answer::SasAnswered)), "{r:?}");
}

#[test]
fn an_unanswered_comparison_waits_and_a_later_match_admits_and_joins_hrt_inv_65_67_73() {
    let mut net = Net::default();
    let (mut alice, mut bob, _, invite) = nobody_can_answer(&mut net);
    // Bob's code is ready after the redeem (HRT-INV-58), told by his next refresh; no
    // Welcome is fetched before he answers (HRT-INV-67).
    let ev = refresh(&mut bob, &mut net);
    assert!(sas_of(&ev, invite), "{ev:?}");
    // Alice opens the join, is told the code, and does not add Bob (HRT-INV-65).
    let ev = refresh(&mut alice, &mut net);
    assert!(sas_of(&ev, invite), "{ev:?}");
    assert!(!ev.iter().any(|e| matches!(e, Event::Admitted { .. })));
    // It waits across refreshes (HRT-INV-73).
    let ev = refresh(&mut alice, &mut net);
    assert!(!ev.iter().any(|e| matches!(e, Event::Admitted { .. })));
    assert_eq!(alice.state().unwrap().sas.waiting().len(), 1);
    let ev = refresh(&mut bob, &mut net);
    assert!(!ev.iter().any(|e| matches!(e, Event::Joined { .. })));
    // Alice's later answer admits him at the next refresh.
    answer(&mut alice, &mut net, invite, true);
    let ev = refresh(&mut alice, &mut net);
    assert!(
        ev.iter().any(|e| matches!(e, Event::Admitted { .. })),
        "{ev:?}"
    );
    // Bob's answer lets the next refresh accept the Welcome of that invitation.
    answer(&mut bob, &mut net, invite, true);
    let ev = refresh(&mut bob, &mut net);
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::Joined { invite: Some(i), .. } if *i == invite)),
        "{ev:?}"
    );
    // An answer for a comparison that no longer waits is a usage error.
    let r = run(
        &mut bob,
        &mut net,
        Intent::AnswerSas {
            invite,
            matches: true,
        },
    )
    .0;
    assert!(r.is_err(), "{r:?}");
}

#[test]
fn a_later_mismatch_declines_with_invite_revoke_and_abandons_the_join_hrt_inv_66_68_72() {
    let mut net = Net::default();
    let (mut alice, mut bob, _, invite) = nobody_can_answer(&mut net);
    refresh(&mut alice, &mut net);
    // Alice's mismatch declines the join at once with invite.revoke (HRT-INV-72).
    let mut revoked = false;
    let (r, _) = run_with(
        &mut alice,
        &mut net,
        Intent::AnswerSas {
            invite,
            matches: false,
        },
        |_, signed| {
            revoked |= is_op(signed, Op::INVITE_REVOKE);
            Fault::None
        },
    );
    assert!(r.is_ok(), "{r:?}");
    assert!(revoked, "HRT-INV-72");
    let ev = refresh(&mut alice, &mut net);
    let mismatch = |ev: &[Event]| {
        ev.iter()
            .any(|e| matches!(e, Event::Rejected { code, .. } if *code == ErrorCode::SAS_MISMATCH))
    };
    assert!(mismatch(&ev), "{ev:?}");
    assert!(
        !ev.iter().any(|e| matches!(e, Event::Admitted { .. })),
        "HRT-INV-66"
    );
    // Bob's mismatch abandons his join: no Welcome, the pending join gone (HRT-INV-68).
    answer(&mut bob, &mut net, invite, false);
    let ev = refresh(&mut bob, &mut net);
    assert!(mismatch(&ev), "{ev:?}");
    assert!(!ev.iter().any(|e| matches!(e, Event::Joined { .. })));
    assert!(bob.state().unwrap().joining.is_empty(), "HRT-INV-68");
}
