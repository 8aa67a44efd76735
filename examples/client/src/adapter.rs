//! The client as the adapter of the conversation layer (issue 14): every command of
//! [`Client`] is an [`Intent`] that `hearth::conversation::Member` runs, over the client's
//! HTTP [`Transport`](crate::transport::Transport), its checkpoint hook (SQLite in the CLI,
//! written before the request that needs it leaves) and its clock: request timestamps by the
//! system clock, duties by the duty clock (Appendix B §91.6.15). The protocol decisions (§5,
//! §6, §9, §10) are the layer's; this module only carries them.

use hearth::conversation::{drive, Answer, Input, Intent, Member, State};
use hearth_crypto::envelope::ContentBuilder;
use hearth_crypto::invite;
use hearth_crypto::keys::Fingerprint;
use hearth_wire::{ContentType, HostUrl, RawValue};
use zeroize::Zeroizing;

use crate::client::{Client, Event, Sent};
use crate::error::ClientError;
use crate::route::RouteRef;
use crate::transport::{unix_now, Hook};

/// An answer of the layer that is not the one the intent gives.
fn unexpected(a: Answer) -> ClientError {
    ClientError::Usage(format!("the conversation layer answered {a:?}"))
}

impl Client {
    /// Runs one intent to its end through the layer: its answer, and the events of a refresh.
    pub(crate) fn run(&mut self, intent: Intent) -> (Result<Answer, ClientError>, Vec<Event>) {
        let placeholder = State::new(Zeroizing::new([0; 32]), "");
        let mut st = std::mem::replace(&mut self.st, placeholder);
        st.duty_clock_offset = self.transport.clock().offset();
        let mut m = Member::new(st);
        let mut transport = self.transport.clone();
        let mut store = Hook(self.transport.checkpoint());
        let mut events = Vec::new();
        let input = Input::Intent {
            intent,
            now: unix_now(),
        };
        let done = drive(&mut m, input, &mut transport, &mut store, &mut events);
        // The blocking driver answers every request and checkpoint, so the intent finished
        // and the state is back.
        if let Some(st) = m.into_state() {
            self.st = st;
        }
        let done = done.unwrap_or_else(|| Err(ClientError::usage("the intent did not finish")));
        (done, events)
    }

    /// Creates a channel on `host` (which must list this identity as an owner) for a new
    /// conversation whose id is the channel id (spec §8 op 1, HRT-ROUTE-1).
    pub fn create_channel(&mut self, host: &HostUrl) -> Result<([u8; 16], RouteRef), ClientError> {
        match self.run(Intent::CreateChannel(host.clone())).0? {
            Answer::Created(h, r) => Ok((h, r)),
            a => Err(unexpected(a)),
        }
    }

    /// As [`Client::create_invite`], on the given route (for instance a re-hosted one, spec
    /// §10.6). The invitation carries the conversation id (HRT-ROUTE-2). A member who is not
    /// admin asks all the same: the host's `forbidden` is the answer the user sees (Appendix B
    /// §91.6.4).
    pub fn create_invite_on(
        &mut self,
        handle: &[u8; 16],
        link: Option<&RouteRef>,
        expires_in: u64,
    ) -> Result<String, ClientError> {
        let intent = Intent::Invite {
            conversation: *handle,
            route: link.cloned(),
            expires_in,
        };
        match self.run(intent).0? {
            Answer::Invited(uri) => Ok(uri),
            a => Err(unexpected(a)),
        }
    }

    /// Re-hosts a conversation (spec §10.6, HRT-ROUTE-21): a new channel on `host`, recorded as
    /// a route of the conversation, announced to nobody. The other members join it through
    /// out-of-band invitations from [`Client::create_invite_on`], which carry the conversation
    /// id, so that their clients attach it (HRT-ROUTE-22).
    pub fn rehost(&mut self, handle: &[u8; 16], host: &HostUrl) -> Result<RouteRef, ClientError> {
        let intent = Intent::Rehost {
            conversation: *handle,
            host: host.clone(),
        };
        match self.run(intent).0? {
            Answer::Route(r) => Ok(r),
            a => Err(unexpected(a)),
        }
    }

    /// Accepts an invitation (spec §5.3, §5.6): parse, check locally, redeem at the host. The
    /// Welcome is picked up by a later [`Client::sync`], once the user has compared the
    /// returned short authentication string with the inviter's (HRT-INV-67). Returns the
    /// invite id and the code to show (only after the redeem's `ok`, HRT-INV-58).
    pub fn accept_invite(
        &mut self,
        uri: &str,
        name: &str,
    ) -> Result<([u8; 16], invite::Sas), ClientError> {
        let intent = Intent::Accept {
            uri: uri.to_owned(),
            name: name.to_owned(),
        };
        match self.run(intent).0? {
            Answer::Redeemed(id, sas) => Ok((id, sas)),
            a => Err(unexpected(a)),
        }
    }

    /// Refreshes everything (spec §5.9, §9, §10.5): Welcomes of pending joins, admissions, the
    /// logs of every route, the outbox, and the duties. Returns what the user should see, the
    /// events of commands since the last refresh first (Appendix B, HRT-SHIM-25).
    pub fn sync(&mut self) -> Vec<Event> {
        self.run(Intent::Refresh).1
    }

    /// Posts a text message to the first reachable route (HRT-ROUTE-14), sealing it anew for
    /// each route tried (HRT-ROUTE-15); a send that reaches no route waits in the outbox and
    /// is sealed anew at the next refresh (HRT-LOG-49, HRT-LOG-50).
    pub fn send_text(&mut self, handle: &[u8; 16], text: &str) -> Result<Sent, ClientError> {
        let c = ContentBuilder::text(text)?.build();
        self.send_content(handle, c.content_type, c.body)
    }

    /// As [`Client::send_text`], any content type and body (spec §7.7): an edit, a delete, a
    /// reaction, or a type this client does not implement itself. The body is sealed as given;
    /// what it means is the receivers' to judge (§7.8).
    pub fn send_content(
        &mut self,
        handle: &[u8; 16],
        content_type: ContentType,
        body: RawValue,
    ) -> Result<Sent, ClientError> {
        let intent = Intent::Send {
            conversation: *handle,
            content_type,
            body,
        };
        match self.run(intent).0? {
            Answer::Sent(s) => Ok(s),
            a => Err(unexpected(a)),
        }
    }

    /// Commits on one route: removes the members with these fingerprints, or (none given) a
    /// plain update (spec §6.8). Returns `(epoch, seq)` once the own commit is in the log.
    pub fn commit(
        &mut self,
        handle: &[u8; 16],
        link: &RouteRef,
        remove: &[Fingerprint],
    ) -> Result<(u64, u64), ClientError> {
        let intent = Intent::Commit {
            conversation: *handle,
            route: link.clone(),
            remove: remove.to_vec(),
        };
        match self.run(intent).0? {
            Answer::Committed(e, s) => Ok((e, s)),
            a => Err(unexpected(a)),
        }
    }

    /// Adds a route on `host` (spec §10.2): a new channel, one invitation per other member
    /// bound to that member's identity (HRT-ROUTE-9), announced in a `RouteBody` on the first
    /// reachable route.
    pub fn add_route(
        &mut self,
        handle: &[u8; 16],
        host: &HostUrl,
    ) -> Result<RouteRef, ClientError> {
        let intent = Intent::AddRoute {
            conversation: *handle,
            host: host.clone(),
        };
        match self.run(intent).0? {
            Answer::Route(r) => Ok(r),
            a => Err(unexpected(a)),
        }
    }

    /// The user's answer for the comparison of invitation `invite` (spec §5.8.1): `matches`
    /// when the other person's client shows the same code (or, `false`, when it differs or the
    /// other person has none). As inviter, a match queues the add for the next
    /// [`Client::sync`] and a mismatch declines the join with `invite.revoke` now
    /// (HRT-INV-66, HRT-INV-72); as joiner, a match lets the next `sync` accept the Welcome
    /// (HRT-INV-67) and a mismatch abandons the join (HRT-INV-68). A mismatch is reported by
    /// the next `sync` (or [`Client::take_events`]) as `sas_mismatch`. A usage error when no
    /// comparison of that invitation waits.
    pub fn answer_sas(&mut self, invite: &[u8; 16], matches: bool) -> Result<(), ClientError> {
        let intent = Intent::AnswerSas {
            invite: *invite,
            matches,
        };
        match self.run(intent).0? {
            Answer::SasAnswered => Ok(()),
            a => Err(unexpected(a)),
        }
    }
}
