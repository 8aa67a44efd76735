//! # Hearth
//!
//! Hearth is an end-to-end encrypted messenger protocol for people who already know each other.
//! A conversation is a channel hosted on one participant's server; the others talk to that host
//! directly. This crate is the reference library: it re-exports the strict wire profile
//! ([`wire`], spec §2) and the cryptography ([`crypto`], spec §3 to §7), and builds on them the
//! [`conversation`] layer (spec §5, §6, §9, §10): everything a client does to stay safe
//! against a malicious host, as a sans-IO state machine ([`conversation::Member`]) that the
//! caller feeds with its users' intents, the time and the hosts' answers, and that hands back
//! signed requests, checkpoints to persist and events. The example below uses the layer's
//! machine directly, against the reference host called in process; the reference client
//! (`examples/client`) drives it the same way over HTTP.
//!
//! # Two members, one host
//!
//! Alice creates a conversation on her host and invites Bob; Bob redeems the invitation; both
//! compare the short code (§5.8.1) and answer that it matches; Alice's refresh admits Bob,
//! Bob's accepts the Welcome; Alice sends, Bob receives. [`conversation::drive()`] carries each
//! request the machine signs to the host and the answer back (a real front end uses HTTP,
//! spec §8); every page the host serves is checked (§9.5).
//!
//! ```
//! use hearth::conversation::{drive, Answer, Event, Input, Intent, Member, NoStore, State};
//! use hearth::conversation::{Outcome, RouteRef, Transport};
//! use hearth::wire::{request::Response, HostUrl, WireDecode};
//! use hearth_host::handler::{Host, Prepared};
//! # use hearth_host::{config::Config, db::Conn, store::open_config};
//!
//! /// The reference host, called in process instead of over HTTP.
//! struct InProcess(Host, Conn);
//! impl Transport for InProcess {
//!     fn exchange(&mut self, _: &RouteRef, signed: &[u8]) -> Outcome {
//!         let answer = match self.0.prepare(signed.to_vec()) {
//!             Prepared::Done(a) => a,
//!             Prepared::Job(job) => self.0.run_batch(&self.1, &[&job]).remove(0),
//!         };
//!         Response::decode(&answer).map_or(Outcome::Unreachable("?".into()), Outcome::of_response)
//!     }
//! }
//!
//! /// Runs one intent of `m` to its end: the answer and the events for the user.
//! fn run(m: &mut Member, host: &mut InProcess, intent: Intent) -> (Answer, Vec<Event>) {
//!     let now = std::time::UNIX_EPOCH.elapsed().unwrap().as_secs();
//!     let mut events = Vec::new();
//!     let done = drive(m, Input::Intent { intent, now }, host, &mut NoStore, &mut events);
//!     (done.expect("finished").expect("no error"), events)
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Identity seeds come from the OS's generator in real use.
//! let mut alice = Member::new(State::new([1; 32].into(), "Alice"));
//! let mut bob = Member::new(State::new([2; 32].into(), "Bob"));
//! # let key = alice.state().ok_or("busy")?.identity().public_key();
//! # let dir = std::env::temp_dir().join(format!("hearth-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! # let owner: String = key.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
//! # let text = format!("host_url = \"https://alice.example/\"\nowner_keys = [\"{owner}\"]\n\
//! #     data_dir = \"{}\"\n", dir.display());
//! # let config = Config::parse(&text, &dir)?;
//! # let db = open_config(&config.db_path(), None)?;
//! // Alice's host lists her identity key as an owner's.
//! let mut host = InProcess(Host::new(config)?, db);
//! let url = HostUrl::new("https://alice.example/")?;
//!
//! let (Answer::Created(conv, _), _) = run(&mut alice, &mut host, Intent::CreateChannel(url))
//! else { panic!() };
//! let invite = Intent::Invite { conversation: conv, route: None, expires_in: 3600 };
//! let (Answer::Invited(uri), _) = run(&mut alice, &mut host, invite) else { panic!() };
//!
//! // Bob redeems the link and is shown a code; Alice's refresh shows her the same code.
//! let accept = Intent::Accept { uri, name: "Bob".into() };
//! let (Answer::Redeemed(id, bob_code), _) = run(&mut bob, &mut host, accept) else { panic!() };
//! let (_, ev) = run(&mut alice, &mut host, Intent::Refresh);
//! let alice_code = ev.iter().find_map(|e| match e {
//!     Event::Sas { sas, .. } => Some(sas.to_string()),
//!     _ => None,
//! });
//! assert_eq!(alice_code, Some(bob_code.to_string()));
//! // They read the codes to each other; both answer that they match.
//! for m in [&mut alice, &mut bob] {
//!     run(m, &mut host, Intent::AnswerSas { invite: id, matches: true });
//! }
//! let (_, ev) = run(&mut alice, &mut host, Intent::Refresh); // the add commit
//! assert!(ev.iter().any(|e| matches!(e, Event::Admitted { name, .. } if name == "Bob")));
//! let (_, ev) = run(&mut bob, &mut host, Intent::Refresh); // the Welcome
//! assert!(ev.iter().any(|e| matches!(e, Event::Joined { .. })));
//!
//! let hello = hearth::crypto::envelope::ContentBuilder::text("hello, Bob")?.build();
//! let (content_type, body) = (hello.content_type, hello.body);
//! run(&mut alice, &mut host, Intent::Send { conversation: conv, content_type, body });
//! let (_, ev) = run(&mut bob, &mut host, Intent::Refresh);
//! let said = |e: &Event| matches!(e, Event::Message { text: Some(t), .. } if t == "hello, Bob");
//! assert!(ev.iter().any(said));
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(())
//! # }
//! ```
//!
//! The normative specification is in `spec/` of the repository; every requirement there has a
//! permanent ID (`HRT-AREA-N`) that the code, tests and vectors cite.

#![forbid(unsafe_code)]

pub mod conversation;

pub use hearth_crypto as crypto;
pub use hearth_wire as wire;
