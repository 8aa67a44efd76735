//! The reference client against the reference host over real HTTP on loopback: a whole
//! conversation (create, invite, join, messages both ways, a removal), and failover between
//! two routes when one host goes down (spec §5, §6, §9, §10).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;

use hearth_client::{Client, Event};
use hearth_wire::HostUrl;

/// A client whose user compares every short authentication string and finds it equal
/// (spec §5.8.1; the reference shim's policy, Appendix B §91.6.4).
fn comparing(mut c: Client) -> Client {
    c.set_comparison(Box::new(hearth_client::client::AcceptEveryJoin));
    c
}

struct TestHost {
    url: HostUrl,
    server: Option<hearth_host::serve::Background>,
    dir: PathBuf,
}

impl Drop for TestHost {
    fn drop(&mut self) {
        drop(self.server.take());
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl TestHost {
    fn start(owners: &[&Client]) -> TestHost {
        let listener = TcpListener::bind("127.0.0.1:0").expect("port");
        let port = listener.local_addr().expect("addr").port();
        let dir =
            std::env::temp_dir().join(format!("hearth-client-test-{}-{port}", std::process::id()));
        std::fs::create_dir_all(dir.join("data")).expect("dir");
        let url = format!("http://127.0.0.1:{port}/");
        let keys: Vec<String> = owners
            .iter()
            .map(|c| format!("\"{}\"", hex::encode(c.identity_public().as_bytes())))
            .collect();
        let text = format!(
            "host_url = \"{url}\"\nowner_keys = [{}]\ndata_dir = \"{}\"\n\n[serve]\nlisten = \"127.0.0.1:{port}\"\n",
            keys.join(", "),
            dir.join("data").display()
        );
        let config = hearth_host::config::Config::parse(&text, &dir).expect("config");
        let host = hearth_host::handler::Host::new(config).expect("host");
        let server = hearth_host::serve::spawn(Arc::new(host), listener).expect("spawn");
        TestHost {
            url: HostUrl::new(url).expect("url"),
            server: Some(server),
            dir,
        }
    }

    fn stop(&mut self) {
        drop(self.server.take());
    }
}

fn texts(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Message { text: Some(t), .. } => Some(t.clone()),
            _ => None,
        })
        .collect()
}

fn no_problems(events: &[Event]) {
    for e in events {
        assert!(
            !matches!(e, Event::Rejected { .. } | Event::Detected { .. }),
            "unexpected {e:?} in {events:?}"
        );
    }
}

#[test]
fn a_whole_conversation() {
    let mut alice = comparing(Client::generate("Alice"));
    let mut bob = comparing(Client::generate("Bob"));
    let mut carol = comparing(Client::generate("Carol"));
    let host = TestHost::start(&[&alice]);

    let (conv, route) = alice.create_channel(&host.url).expect("create");
    let uri = alice.create_invite(&conv, 3600).expect("invite");
    assert!(
        uri.starts_with("hearth:")
            && hearth_wire::invite::InviteUri::parse(&uri)
                .is_ok_and(|u| u.host_url() == host.url.as_str()),
        "{uri}"
    );
    bob.accept_invite(&uri, "Bob").expect("accept");
    // Only the code to compare (spec §5.8.1), no Welcome before Alice admits.
    let ev = bob.sync();
    assert!(
        ev.iter().all(|e| matches!(e, Event::Sas { .. })),
        "no Welcome before Alice admits: {ev:?}"
    );

    let ev = alice.sync();
    no_problems(&ev);
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::Admitted { name, .. } if name == "Bob")),
        "{ev:?}"
    );

    let ev = bob.sync();
    no_problems(&ev);
    assert!(
        ev.iter().any(|e| matches!(e, Event::Joined { .. })),
        "{ev:?}"
    );
    assert_eq!(bob.conversations().len(), 1);
    let bconv = bob.conversations()[0].handle();
    assert_eq!(
        bconv, conv,
        "the conversation id is the channel id (HRT-ROUTE-1)"
    );

    // Bob's first message is preceded by his update commit (HRT-RAT-17).
    bob.send_text(&bconv, "hello Alice").expect("bob sends");
    alice.send_text(&conv, "hello Bob").expect("alice sends");
    let ev = alice.sync();
    no_problems(&ev);
    assert_eq!(texts(&ev), vec!["hello Alice"]);
    let ev = bob.sync();
    no_problems(&ev);
    assert_eq!(texts(&ev), vec!["hello Bob"]);
    assert_eq!(alice.display(&conv).expect("display").len(), 2);

    // Carol joins; then Alice removes Bob, who can no longer read.
    let uri = alice.create_invite(&conv, 3600).expect("invite");
    carol.accept_invite(&uri, "Carol").expect("accept");
    no_problems(&alice.sync());
    no_problems(&carol.sync());
    no_problems(&bob.sync());
    let bob_fp = bob.fingerprint();
    alice.commit(&conv, &route, &[bob_fp]).expect("remove Bob");
    alice.send_text(&conv, "Bob is gone").expect("send");
    // The host no longer serves Bob (a non-member gets not_found), so he reads nothing more,
    // and his route is unreachable for a post (spec §10.4).
    let ev = bob.sync();
    assert!(texts(&ev).is_empty(), "{ev:?}");
    assert!(bob.send_text(&bconv, "still here?").is_err());
    let ev = carol.sync();
    no_problems(&ev);
    assert_eq!(texts(&ev), vec!["Bob is gone"]);
}

#[test]
fn failover_to_the_second_route_and_route_announcement() {
    let mut alice = comparing(Client::generate("Alice"));
    let mut bob = comparing(Client::generate("Bob"));
    let mut h1 = TestHost::start(&[&alice]);
    let h2 = TestHost::start(&[&alice, &bob]);

    let (conv, _) = alice.create_channel(&h1.url).expect("create");
    let uri = alice.create_invite(&conv, 3600).expect("invite");
    bob.accept_invite(&uri, "Bob").expect("accept");
    no_problems(&alice.sync());
    no_problems(&bob.sync());

    // Bob opens a second route on h2 and announces it (spec §10.2).
    bob.send_text(&conv, "before").expect("send");
    let r2 = bob.add_route(&conv, &h2.url).expect("route.add");
    let ev = alice.sync();
    no_problems(&ev);
    // Alice redeemed her invite from the RouteBody; Bob admits her; Alice joins the route.
    no_problems(&bob.sync());
    let ev = alice.sync();
    no_problems(&ev);
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::RouteAdded { route, .. } if *route == r2)),
        "{ev:?}"
    );
    assert_eq!(alice.conversations()[0].routes().len(), 2);

    // h1 goes down: Alice's post fails over to h2 (HRT-ROUTE-14, HRT-ROUTE-15).
    h1.stop();
    let sent = alice.send_text(&conv, "via h2").expect("failover");
    assert_eq!(sent.route, r2);
    let ev = bob.sync();
    assert_eq!(texts(&ev), vec!["via h2"]);
}

#[test]
fn rehosting_after_the_only_host_died() {
    let mut alice = comparing(Client::generate("Alice"));
    let mut bob = comparing(Client::generate("Bob"));
    let mut carol = comparing(Client::generate("Carol"));
    let mut h1 = TestHost::start(&[&alice]);
    let h2 = TestHost::start(&[&alice, &carol]);

    let (conv, _) = alice.create_channel(&h1.url).expect("create");
    let uri = alice.create_invite(&conv, 3600).expect("invite");
    bob.accept_invite(&uri, "Bob").expect("accept");
    no_problems(&alice.sync());
    no_problems(&bob.sync());
    h1.stop();

    // Alice re-hosts on h2 and invites Bob out of band (spec §10.6).
    let r2 = alice.rehost(&conv, &h2.url).expect("rehost");
    let uri = alice
        .create_invite_on(&conv, Some(&r2), 3600)
        .expect("invite");
    bob.accept_invite(&uri, "Bob").expect("accept");
    no_problems(&alice.sync());
    let ev = bob.sync();
    assert!(
        ev.iter().any(|e| matches!(e, Event::RouteAdded { route, conversation } if *route == r2 && *conversation == conv)),
        "the inviter is in the roster, so the channel joins the conversation (HRT-ROUTE-22): {ev:?}"
    );
    assert_eq!(bob.conversations().len(), 1);
    assert_eq!(bob.conversations()[0].routes().len(), 2);
    alice.send_text(&conv, "we moved").expect("send");
    assert_eq!(texts(&bob.sync()), vec!["we moved"]);

    // A stranger claiming the same conversation id gets a separate conversation (HRT-ROUTE-23).
    let (cc, _) = carol.create_channel(&h2.url).expect("create");
    // Carol's client is bent to claim it: the conversation id is written into her state.
    carol.conv_mut(&cc).expect("conversation").id = hearth_wire::ConversationId(conv);
    let uri = carol.create_invite(&cc, 3600).expect("invite");
    bob.accept_invite(&uri, "Bob").expect("accept");
    no_problems(&carol.sync());
    let ev = bob.sync();
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::Joined { conversation, .. } if *conversation != conv)),
        "{ev:?}"
    );
    assert!(
        !ev.iter().any(|e| matches!(e, Event::RouteAdded { .. })),
        "{ev:?}"
    );
    assert_eq!(bob.conversations().len(), 2);
    assert_eq!(bob.conversations()[0].routes().len(), 2);
}

/// Spec §7.8 "What a receiver shows" end to end: Bob's edit shows in place of his text
/// (HRT-MSG-46), his delete leaves a marker (HRT-MSG-47), a type Alice does not implement is one
/// item without its body (HRT-MSG-48), an edit of a message not yet seen is kept aside; all of it
/// survives a save and a load of Alice's state.
#[test]
fn edits_deletes_and_unknown_content_are_shown_and_stored() {
    use hearth_client::timeline::Shown;
    use hearth_wire::envelope::{DeleteBody, EditBody, MessageText, TextBody};
    use hearth_wire::{ContentType, Hash, RawValue};
    let mut alice = comparing(Client::generate("Alice"));
    let mut bob = comparing(Client::generate("Bob"));
    let host = TestHost::start(&[&alice]);
    let (conv, _route) = alice.create_channel(&host.url).expect("create");
    let uri = alice.create_invite(&conv, 3600).expect("invite");
    bob.accept_invite(&uri, "Bob").expect("accept");
    no_problems(&alice.sync());
    no_problems(&bob.sync());
    let edit = |target: Hash, t: &str| {
        RawValue::from_value(&EditBody {
            target,
            text: MessageText::new(t).expect("text"),
        })
    };
    let a = bob.send_text(&conv, "first").expect("send");
    bob.send_content(&conv, ContentType::EDIT, edit(a.msg_ref, "first, edited"))
        .expect("edit");
    let b = bob.send_text(&conv, "second").expect("send");
    let del = RawValue::from_value(&DeleteBody { target: b.msg_ref });
    bob.send_content(&conv, ContentType::DELETE, del)
        .expect("delete");
    bob.send_content(&conv, ContentType::EDIT, edit(Hash([7; 32]), "kept aside"))
        .expect("edit of nothing yet");
    let unknown = RawValue::from_value(&TextBody {
        text: MessageText::new("not to be shown").expect("text"),
    });
    let u = bob
        .send_content(&conv, ContentType(0x4242), unknown)
        .expect("unknown type");
    // Alice edits Bob's message: not hers, ignored (HRT-MSG-34).
    no_problems(&alice.sync());
    alice
        .send_content(&conv, ContentType::EDIT, edit(a.msg_ref, "Alice's"))
        .expect("edit by another member");
    let shown = |c: &Client| -> Vec<(u64, Shown)> {
        c.display(&conv)
            .expect("display")
            .into_iter()
            .map(|d| (d.seq, d.shown))
            .collect()
    };
    let want = vec![
        (
            a.seq,
            Shown::Text {
                text: "first, edited".into(),
                edited: true,
            },
        ),
        (b.seq, Shown::Deleted),
        (u.seq, Shown::Unsupported),
    ];
    assert_eq!(shown(&alice), want);

    let dir = std::env::temp_dir().join(format!("hearth-client-display-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("state.sqlite");
    let mut store = hearth_client::store::Store::open(&path).expect("open");
    store.save(&alice).expect("save");
    let reloaded = store.load().expect("load").expect("a client");
    assert_eq!(shown(&reloaded), want);
    let before = alice.conversations()[0].timeline().pending().to_vec();
    assert_eq!(
        before.len(),
        1,
        "the edit of an unseen message is kept aside"
    );
    assert_eq!(reloaded.conversations()[0].timeline().pending(), before);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `invite.revoke` of `invite` signed by `c` on its route: the host drops the pending join
/// (HRT-OP-59), as after 30 days (HRT-OP-60).
fn revoke_at_host(c: &Client, conv: &[u8; 16], route: &hearth_client::RouteRef, invite: [u8; 16]) {
    let body = hearth_wire::request::InviteRevokeBody {
        invite_id: hearth_wire::Nonce16(invite),
    };
    let r = c.conv(conv).expect("conversation").routes();
    let g = r.iter().find(|r| r.link() == route).expect("route").group();
    let signed = hearth::conversation::io::build(
        &route.host,
        hearth_wire::Op::INVITE_REVOKE,
        Some(route.channel),
        &body,
        &|b: &[u8]| Ok(g.sign_request(b)?),
        hearth_client::clock::system_now(),
    )
    .expect("build");
    hearth_shell::Http::default()
        .post(&route.host, &signed)
        .into_ok()
        .expect("revoked");
}

/// Issue 15, HRT-INV-75, HRT-INV-76: a confirmed add whose pending join the host dropped is refused
/// (`forbidden`); it is dropped and reported, and the other confirmed add goes through in the
/// same sync instead of waiting behind it for ever.
#[test]
fn a_stale_confirmed_add_blocks_no_other_admission() {
    let mut alice = Client::generate("Alice");
    let mut bob = comparing(Client::generate("Bob"));
    let mut carol = comparing(Client::generate("Carol"));
    let host = TestHost::start(&[&alice]);
    let (conv, route) = alice.create_channel(&host.url).expect("create");
    let a = alice.create_invite(&conv, 3600).expect("invite");
    let b = alice.create_invite(&conv, 3600).expect("invite");
    let (ia, _) = bob.accept_invite(&a, "Bob").expect("accept");
    let (ib, _) = carol.accept_invite(&b, "Carol").expect("accept");
    // Nobody to ask: both joins wait for Alice's answer (HRT-INV-73).
    let ev = alice.sync();
    assert_eq!(
        ev.iter().filter(|e| matches!(e, Event::Sas { .. })).count(),
        2,
        "{ev:?}"
    );
    alice.answer_sas(&ia, true).expect("answer");
    alice.answer_sas(&ib, true).expect("answer");
    revoke_at_host(&alice, &conv, &route, ia);
    let ev = alice.sync();
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::Admitted { name, .. } if name == "Carol")),
        "{ev:?}"
    );
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::AddRefused { name, code, .. }
            if name == "Bob" && *code == hearth_wire::ErrorCode::FORBIDDEN)),
        "{ev:?}"
    );
    // The refused add is gone: no further attempt, no further event.
    let ev = alice.sync();
    assert!(
        !ev.iter()
            .any(|e| matches!(e, Event::AddRefused { .. } | Event::Admitted { .. })),
        "{ev:?}"
    );
    assert!(carol
        .sync()
        .iter()
        .any(|e| matches!(e, Event::Joined { .. })));
}

/// Issue 15, finding 1: a comparison's answer is for one invitation's join. A second redeem on
/// a channel with a pending join is refused before it is sent (the invitation stays unused),
/// and the `joined` event names the invitation whose Welcome was accepted.
#[test]
fn one_pending_join_per_channel_and_joined_names_the_invitation() {
    let mut alice = comparing(Client::generate("Alice"));
    let mut bob = Client::generate("Bob");
    let host = TestHost::start(&[&alice]);
    let (conv, _) = alice.create_channel(&host.url).expect("create");
    let first = alice.create_invite(&conv, 3600).expect("invite");
    let second = alice.create_invite(&conv, 3600).expect("invite");
    let (i1, _) = bob.accept_invite(&first, "Bob").expect("accept");
    match bob.accept_invite(&second, "Bob") {
        Err(hearth_client::ClientError::JoinPending(c)) => assert_eq!(c.0, conv),
        other => panic!("a second join on the channel: {other:?}"),
    }
    no_problems(&alice.sync());
    bob.answer_sas(&i1, true).expect("answer");
    let ev = bob.sync();
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::Joined { invite: Some(i), .. } if *i == i1)),
        "{ev:?}"
    );
}
