//! §10.2 and §10.4 decisions, one negative test per requirement.

use hearth_crypto::group::Group;
use hearth_crypto::keys::IdentityKey;
use hearth_wire::envelope::RouteInvite;
use hearth_wire::{BoundedVec, Embedded};

use super::*;

struct Case {
    body: RouteBody,
    conversation: ConversationId,
    inviter: Fingerprint,
    link: RouteRef,
}

/// A route on a new channel announced by its creator, with one invite for leaf 1.
fn case() -> Case {
    let host = HostUrl::new("https://other.example/hearth").unwrap();
    let mut g = Group::create(host.clone(), IdentityKey::generate(), 0).unwrap();
    let conversation = ConversationId([3; 16]);
    let inv = g
        .create_invitation(conversation, u64::MAX)
        .unwrap()
        .registered();
    let invite = inv.uri().unwrap().invite.clone();
    Case {
        body: RouteBody {
            conversation,
            host_url: host.clone(),
            channel_id: *g.channel_id(),
            invites: BoundedVec::new(vec![RouteInvite {
                leaf: Leaf(1),
                invite: Embedded::new(invite),
            }])
            .unwrap(),
        },
        conversation,
        inviter: g.fingerprint(),
        link: RouteRef {
            host,
            channel: *g.channel_id(),
        },
    }
}

#[test]
fn the_own_invite_of_a_valid_announcement_is_redeemed() {
    let c = case();
    let r = judge_announcement(&c.body, c.conversation, Leaf(1), &c.inviter, &[]).unwrap();
    assert!(matches!(r, Announcement::Redeem(u) if u.starts_with("hearth")));
}

#[test]
fn another_conversations_announcement_is_ignored_hrt_route_26() {
    let c = case();
    let r = judge_announcement(&c.body, ConversationId([4; 16]), Leaf(1), &c.inviter, &[]);
    assert_eq!(r, Ok(Announcement::Ignore));
    // An invite for another channel than the announced one: ignored too.
    let mut body = c.body.clone();
    body.channel_id = ChannelId([9; 16]);
    let r = judge_announcement(&body, c.conversation, Leaf(1), &c.inviter, &[]);
    assert_eq!(r, Ok(Announcement::Ignore));
}

#[test]
fn an_invite_from_someone_else_is_not_redeemed_hrt_route_7() {
    let c = case();
    let stranger = IdentityKey::generate().public_key().fingerprint();
    let r = judge_announcement(&c.body, c.conversation, Leaf(1), &stranger, &[]);
    assert_eq!(r, Err(ErrorCode::WRONG_INVITER));
}

#[test]
fn only_the_own_leafs_invite_is_redeemed_hrt_route_8() {
    let c = case();
    let r = judge_announcement(&c.body, c.conversation, Leaf(2), &c.inviter, &[]);
    assert_eq!(r, Ok(Announcement::Ignore));
}

#[test]
fn a_route_already_held_is_a_no_op_hrt_route_10() {
    let c = case();
    let r = judge_announcement(
        &c.body,
        c.conversation,
        Leaf(1),
        &c.inviter,
        std::slice::from_ref(&c.link),
    );
    assert_eq!(r, Ok(Announcement::Ignore));
}

#[test]
fn failover_follows_section_10_4() {
    assert_eq!(Reach::of_status(ErrorCode::OK, true), Reach::Ok);
    assert_eq!(
        Reach::of_status(ErrorCode::INTERNAL, true),
        Reach::Unreachable
    );
    assert_eq!(
        Reach::of_status(ErrorCode::RATE_LIMITED, false),
        Reach::Unreachable
    );
    assert_eq!(
        Reach::of_status(ErrorCode::NOT_FOUND, true),
        Reach::Unreachable
    );
    assert_eq!(
        Reach::of_status(ErrorCode::NOT_FOUND, false),
        Reach::Refused(ErrorCode::NOT_FOUND)
    );
    // HRT-ROUTE-17: epoch_conflict is an answer of a reachable route.
    assert_eq!(
        Reach::of_status(ErrorCode::EPOCH_CONFLICT, true),
        Reach::Refused(ErrorCode::EPOCH_CONFLICT)
    );
}

#[test]
fn the_timeline_orders_by_clock_then_route_then_seq_hrt_route_20() {
    let mut v = vec![(5, 1, 1), (5, 0, 9), (4, 2, 3), (5, 0, 2)];
    v.sort_by_key(|&(t, p, s)| timeline_key(t, p, s));
    assert_eq!(v, vec![(4, 2, 3), (5, 0, 2), (5, 0, 9), (5, 1, 1)]);
}
