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
//! parts directly; the reference client (`examples/client`) drives the machine over HTTP.
//!
//! # Two members, one host
//!
//! Alice creates a channel, invites Bob, admits him; Bob joins, anchors his log and reads
//! Alice's first message. The host here is a `Vec` of log entries that serves pages honestly;
//! a real one is reached over HTTP (spec §8), and the conversation layer checks every page it
//! serves (§9.5).
//!
//! ```
//! use hearth::conversation::channel::{Channel, Received};
//! use hearth::conversation::{join, log::{next_head, LogState, Senders}};
//! use hearth::crypto::{envelope::ContentBuilder, group::*, keys::IdentityKey};
//! use hearth::wire::{envelope::ContentBody, log::LogEntry, request::*, *};
//!
//! /// The host's log of one channel (spec §9.1 to §9.4).
//! #[derive(Default)]
//! struct Host(Vec<LogEntry>);
//! impl Host {
//!     fn append(&mut self, kind: EntryKind, bytes: &[u8]) -> (u64, [u8; 32]) {
//!         let prev = self.0.last().map(|e| e.head.0.to_vec()).unwrap_or_default();
//!         let seq = self.0.len() as u64 + 1;
//!         let head = next_head(&prev, seq, kind, bytes);
//!         let (bytes, head_h) = (bytes.to_vec(), Hash(head));
//!         self.0.push(LogEntry { seq: Seq(seq), kind, bytes, head: head_h, received: Secs(0) });
//!         (seq, head)
//!     }
//!     fn fetch(&self, since: u64) -> LogFetchResult {
//!         let entries = self.0.iter().filter(|e| e.seq.0 > since).cloned().collect();
//!         let head = self.0.last().map(|e| e.head.0.to_vec()).unwrap_or_default();
//!         let (entries, tip) = (BoundedVec::new(entries).unwrap(), Seq(self.0.len() as u64));
//!         LogFetchResult { entries, tip, head: BoundedBytes::new(head).unwrap(), epoch: Epoch(0) }
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let (mut host, now) = (Host::default(), 1_700_000_000);
//! // Alice creates the channel; its create entry holds her `channel.create` request.
//! let url = HostUrl::new("https://alice.example/hearth")?;
//! let group = Group::create(url, IdentityKey::generate(), now)?;
//! let (seq, head) = host.append(EntryKind::Create, b"channel.create");
//! let mut alice = Channel::new(group, LogState::new(), Senders::default());
//! alice.log_mut().record_own(seq, head, EntryKind::Create, b"channel.create".to_vec())?;
//!
//! // She invites Bob (§5.2); Bob redeems the link (§5.6); the host hands Alice the join.
//! let id = ConversationId(*alice.group().channel_id().as_bytes());
//! let mut inv = alice.group_mut().create_invitation(id, now + 3600)?.registered();
//! let link = inv.uri().ok_or("no link")?.to_string();
//! let (mut pending, redeem) = PendingMember::join(&link, IdentityKey::generate(), "Bob", now)?;
//! let pj = PendingJoin { invite_id: redeem.body.invite_id, member_key: redeem.body.member_key,
//!                        sealed: redeem.body.sealed.clone(), redeemed_at: Secs(now) };
//! let joiner = inv.process_join(&pj)?;
//! // Both read their short codes to each other (§5.8.1); they match.
//! assert_eq!(joiner.sas().to_string(), pending.sas().to_string());
//! pending.confirm_sas();
//! let add = Change::Add { joiner: Box::new(joiner.confirm_sas_matches()), role: Role::Member };
//! let out = alice.group_mut().commit(vec![add], now)?;
//! let (s_add, head) = host.append(EntryKind::Commit, &out.commit);
//! alice.log_mut().record_own(s_add, head, EntryKind::Commit, out.commit.clone())?;
//! alice.receive_page(host.fetch(alice.log().verified())); // installs her own commit
//!
//! // Bob verifies the log up to the add commit, his anchor (§9.6), and accepts the Welcome.
//! let mut log = LogState::new();
//! let entries = log.verify_page(host.fetch(0))?;
//! let anchor = join::anchor(&entries, s_add).map_err(|c| format!("{c:?}"))?.bytes.clone();
//! let (welcome, info) = (&out.welcomes[0].1, out.group_info_ct.as_deref().unwrap_or_default());
//! let group = pending.accept_welcome(welcome, info, Some(&anchor), now).map_err(|r| r.error)?;
//! let (mut bob, _) = join::Anchored { log, s_add, entries }.finish(group);
//!
//! // Alice sends (§7, with her view of the log, §9.7); Bob receives the page.
//! let content = ContentBuilder::text("hello, Bob")?
//!     .seen(alice.log().verified(), alice.log().head_v().map(Hash))?
//!     .prev(alice.senders().next_prev())
//!     .build();
//! let env = alice.group_mut().seal(&content, now)?;
//! let (seq, head) = host.append(EntryKind::Msg, &env.bytes);
//! alice.log_mut().record_own(seq, head, EntryKind::Msg, env.bytes)?;
//! alice.senders_mut().posted_accepted(env.msg_ref);
//! let got = bob.receive_page(host.fetch(bob.log().verified()));
//! let [(_, Received::Message(m))] = got.as_slice() else { panic!("{got:?}") };
//! assert!(matches!(&m.body, ContentBody::Text(t) if t.text.as_str() == "hello, Bob"));
//! assert_eq!(m.sender, alice.group().fingerprint());
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
