//! The cross-check of issue 8: the reference client library against the reference host running
//! as a CGI program under a real web server (lighttpd with mod_cgi, deployed as DEPLOY.md says,
//! see tests/web), a whole conversation end to end: create, invite, join, messages both ways, a
//! third member, a removal. Gated like tests/webservers.rs (HEARTH_REQUIRE_WEBSERVERS).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
#[path = "web/mod.rs"]
mod web;

use hearth_client::{Client, Event};
use hearth_wire::HostUrl;

/// A client whose user compares every short authentication string and finds it equal
/// (spec §5.8.1; the reference shim's policy, Appendix B §91.6.4).
fn comparing(mut c: Client) -> Client {
    c.set_comparison(Box::new(hearth_client::client::AcceptEveryJoin));
    c
}
use zeroize::Zeroizing;

fn texts(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Message { text: Some(t), .. } => Some(t.clone()),
            _ => None,
        })
        .collect()
}

fn clean(events: Vec<Event>, log: &dyn Fn() -> String) -> Vec<Event> {
    for e in &events {
        if matches!(e, Event::Rejected { .. } | Event::Detected { .. }) {
            panic!("unexpected {e:?}\nweb server log:\n{}", log());
        }
    }
    events
}

#[test]
fn reference_client_through_lighttpd_cgi() {
    let test = "reference_client_through_lighttpd_cgi";
    if let Err(reason) = web::servers::available("lighttpd") {
        return web::skip(test, &reason);
    }
    let (conformance, client) = match web::tools() {
        Ok(t) => t,
        Err(reason) => return web::skip(test, &reason),
    };
    // Over http: the library is configured here without a CA (the https path is the CLI's in
    // tests/webservers.rs).
    let server = web::servers::lighttpd(&conformance, &client, "http");
    let log = || server.log();
    let host = HostUrl::new(server.url.clone()).unwrap();
    // Alice holds the host's owner key (common::owner()).
    let mut alice = comparing(Client::from_seed(
        Zeroizing::new(*common::owner().seed()),
        "Alice",
    ));
    let mut bob = comparing(Client::generate("Bob"));
    let mut carol = comparing(Client::generate("Carol"));

    let (conv, route) = alice
        .create_channel(&host)
        .unwrap_or_else(|e| panic!("{e}\n{}", log()));
    let uri = alice.create_invite(&conv, 3600).unwrap();
    bob.accept_invite(&uri, "Bob").unwrap();
    let ev = clean(alice.sync(), &log);
    assert!(
        ev.iter().any(|e| matches!(e, Event::Admitted { .. })),
        "{ev:?}"
    );
    let ev = clean(bob.sync(), &log);
    assert!(
        ev.iter().any(|e| matches!(e, Event::Joined { .. })),
        "{ev:?}"
    );

    bob.send_text(&conv, "hi Alice, via CGI").unwrap();
    alice.send_text(&conv, "hi Bob").unwrap();
    assert_eq!(texts(&clean(alice.sync(), &log)), ["hi Alice, via CGI"]);
    assert_eq!(texts(&clean(bob.sync(), &log)), ["hi Bob"]);

    let uri = alice.create_invite(&conv, 3600).unwrap();
    carol.accept_invite(&uri, "Carol").unwrap();
    clean(alice.sync(), &log);
    clean(carol.sync(), &log);
    clean(bob.sync(), &log);
    carol.send_text(&conv, "hello both").unwrap();
    assert_eq!(texts(&clean(alice.sync(), &log)), ["hello both"]);
    assert_eq!(texts(&clean(bob.sync(), &log)), ["hello both"]);

    alice.commit(&conv, &route, &[bob.fingerprint()]).unwrap();
    alice.send_text(&conv, "after Bob").unwrap();
    assert_eq!(texts(&clean(carol.sync(), &log)), ["after Bob"]);
    assert!(texts(&bob.sync()).is_empty());
    assert_eq!(alice.display(&conv).unwrap().len(), 4);
}
