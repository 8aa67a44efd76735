//! The conversation layer's state machine: a [`Member`] (an identity and its conversations)
//! consumes [`Input`]s and produces [`Output`]s (see the design in [`crate::conversation`]).
//!
//! An [`Intent`] starts a procedure; the procedure runs until it needs an answer from the
//! caller (a request's [`Outcome`] or a checkpoint's durability), and continues when the
//! caller gives it with [`Input::Response`] or [`Input::Saved`]. Intents given while a
//! procedure runs wait their turn. Between procedures the state is readable
//! ([`Member::state`]); while one runs it belongs to the procedure.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use hearth_crypto::invite::Sas;
use hearth_crypto::keys::{Fingerprint, IdentityKey};
use hearth_wire::{ContentType, HostUrl, RawValue};
use zeroize::Zeroizing;

use super::error::Error;
use super::event::Event;
use super::io::{Answered, Exchange, Io, Outcome, Output, RequestId};
use super::sas::Comparisons;
use super::state::{Comparison, Conversation, Joining, NobodyToAsk, Sent};
use super::RouteRef;

/// A member's state between procedures: its identity, its conversations, the joins it waits
/// to complete, and how its user compares short authentication strings (§5.8.1). The fields
/// are public so that a front end can persist and restore them.
pub struct State {
    /// The identity key's seed (spec §4.1).
    pub seed: Zeroizing<[u8; 32]>,
    /// The display name proposed when joining.
    pub name: String,
    /// The conversations.
    pub conversations: Vec<Conversation>,
    /// The joins this member waits to complete (§5.9).
    pub joining: Vec<Joining>,
    /// How the user compares codes (§5.8.1).
    pub comparison: Box<dyn Comparison>,
    /// The comparisons waiting for the user's answer (§5.8.1, HRT-INV-73): a front end that
    /// runs one process per command saves them ([`super::sas::Waiting::saved_join`]).
    pub sas: Comparisons,
    /// Seconds the duty clock is ahead of the time the caller gives (behind, if negative): 0
    /// for an application; the shim's `clock.set` (Appendix B §91.6.15) sets it, so that
    /// duties (§6.17) are judged at another time while request timestamps (§8.2) stay on the
    /// caller's clock.
    pub duty_clock_offset: i64,
    /// Events of intents that belong to no conversation (a code ready, a mismatch), handed
    /// out first by [`State::take_events`].
    pub held: Vec<Event>,
}

impl State {
    /// A member with the identity key of `seed`, no conversation, and nobody to compare codes.
    pub fn new(seed: Zeroizing<[u8; 32]>, name: &str) -> Self {
        Self {
            seed,
            name: name.to_owned(),
            conversations: Vec::new(),
            joining: Vec::new(),
            comparison: Box::new(NobodyToAsk),
            sas: Comparisons::default(),
            duty_clock_offset: 0,
            held: Vec::new(),
        }
    }

    /// The identity key.
    pub fn identity(&self) -> IdentityKey {
        IdentityKey::from_seed(&self.seed)
    }

    /// The conversation with this handle.
    pub fn conv(&self, handle: &[u8; 16]) -> Result<&Conversation, Error> {
        self.conversations
            .iter()
            .find(|c| &c.handle == handle)
            .ok_or_else(|| Error::usage("no such conversation"))
    }

    /// The conversation with this handle, to change.
    pub fn conv_mut(&mut self, handle: &[u8; 16]) -> Result<&mut Conversation, Error> {
        self.conversations
            .iter_mut()
            .find(|c| &c.handle == handle)
            .ok_or_else(|| Error::usage("no such conversation"))
    }

    /// Takes the events that commands (not a refresh) produced since they were last taken,
    /// in order: a detection during a send, the commits processed while catching up.
    pub fn take_events(&mut self) -> Vec<Event> {
        let mut events = std::mem::take(&mut self.held);
        for c in &mut self.conversations {
            c.absorb();
            events.append(&mut c.undelivered);
        }
        events
    }
}

/// What the user asks of the layer.
#[derive(Clone, Debug)]
pub enum Intent {
    /// Create a channel on a host, for a new conversation (spec §8 op 1, HRT-ROUTE-1).
    CreateChannel(HostUrl),
    /// Make an invitation (spec §5.2) on the first usable route or on `route`.
    Invite {
        /// The conversation.
        conversation: [u8; 16],
        /// The route, or the first usable one.
        route: Option<RouteRef>,
        /// Seconds until it expires.
        expires_in: u64,
    },
    /// Re-host the conversation on another host (spec §10.6).
    Rehost {
        /// The conversation.
        conversation: [u8; 16],
        /// The new host.
        host: HostUrl,
    },
    /// Redeem an invitation (spec §5.6) and propose this name.
    Accept {
        /// The invitation's URI text.
        uri: String,
        /// The proposed display name.
        name: String,
    },
    /// Send content (spec §7): to the first reachable route (§10.4).
    Send {
        /// The conversation.
        conversation: [u8; 16],
        /// The content type.
        content_type: ContentType,
        /// The body, encoded.
        body: RawValue,
    },
    /// Commit on one route: remove these members, or (none) a plain update (spec §6.8).
    Commit {
        /// The conversation.
        conversation: [u8; 16],
        /// The route.
        route: RouteRef,
        /// The members to remove.
        remove: Vec<Fingerprint>,
    },
    /// Add a route on a host and announce it (spec §10.2).
    AddRoute {
        /// The conversation.
        conversation: [u8; 16],
        /// The host.
        host: HostUrl,
    },
    /// The user's answer to the comparison of invitation `invite` (spec §5.8.1): `matches`
    /// when the other person's client shows the same code.
    AnswerSas {
        /// The invite id that names the comparison.
        invite: [u8; 16],
        /// Whether the codes are the same.
        matches: bool,
    },
    /// Refresh everything (spec §5.9, §9, §10.5): the same as [`Input::Tick`].
    Refresh,
}

/// What a finished intent came to.
#[derive(Clone, Debug)]
pub enum Answer {
    /// A channel was created: the conversation's handle and the route.
    Created([u8; 16], RouteRef),
    /// An invitation's URI text.
    Invited(String),
    /// A route was recorded (re-hosting, adding a route).
    Route(RouteRef),
    /// An invitation was redeemed: its invite id and the code to show (HRT-INV-58).
    Redeemed([u8; 16], Sas),
    /// A message was posted.
    Sent(Sent),
    /// A commit is in the log: the epoch it creates and its seq.
    Committed(u64, u64),
    /// A refresh finished; its events were [`Output::Event`]s.
    Refreshed,
    /// A comparison was answered; what came of it is told by the next refresh (or
    /// [`State::take_events`]).
    SasAnswered,
}

/// What the caller gives the layer.
pub enum Input {
    /// The answer to the request `request` (spec §8), or that none came (§10.4).
    Response {
        /// The request answered.
        request: RequestId,
        /// What came of it.
        outcome: Outcome,
    },
    /// Whether the checkpoint `request` was made durable.
    Saved {
        /// The checkpoint answered.
        request: RequestId,
        /// `Err` with why it failed: the request that needed it is not sent.
        result: Result<(), String>,
    },
    /// The time passed: refresh, duties of §6.17, retries of the outbox (HRT-LOG-49).
    Tick {
        /// Seconds since the Unix epoch.
        now: u64,
    },
    /// The user asks for something, at this time.
    Intent {
        /// What.
        intent: Intent,
        /// Seconds since the Unix epoch.
        now: u64,
    },
}

type Running = Pin<Box<dyn Future<Output = (State, Result<Answer, Error>)>>>;

/// The conversation layer's state machine for one member (see the module documentation).
pub struct Member {
    state: Option<State>,
    running: Option<Running>,
    ex: Rc<RefCell<Exchange>>,
    queued: VecDeque<(Intent, u64)>,
}

impl Member {
    /// A machine over `state`, idle.
    pub fn new(state: State) -> Self {
        Self {
            state: Some(state),
            running: None,
            ex: Rc::default(),
            queued: VecDeque::new(),
        }
    }

    /// The state, between procedures (`None` while one runs).
    pub fn state(&self) -> Option<&State> {
        self.state.as_ref()
    }

    /// The state to change, between procedures (`None` while one runs).
    pub fn state_mut(&mut self) -> Option<&mut State> {
        self.state.as_mut()
    }

    /// The state, giving up the machine; `None` while a procedure runs.
    pub fn into_state(self) -> Option<State> {
        self.state
    }

    /// Whether a procedure runs (it waits for an answer).
    pub fn busy(&self) -> bool {
        self.running.is_some()
    }

    /// The request or checkpoint the running procedure waits for.
    pub fn waiting_for(&self) -> Option<RequestId> {
        self.running.as_ref().and_then(|_| self.ex.borrow().waiting)
    }

    /// Gives the layer an input. An answer to nothing the layer waits for is ignored: the
    /// layer never interprets bytes it did not ask for.
    pub fn handle(&mut self, input: Input) {
        match input {
            Input::Response { request, outcome } => {
                self.answer(request, Answered::Outcome(outcome))
            }
            Input::Saved { request, result } => self.answer(request, Answered::Saved(result)),
            Input::Tick { now } => self.queue(Intent::Refresh, now),
            Input::Intent { intent, now } => self.queue(intent, now),
        }
    }

    /// The next output, in order; `None` when the layer waits for an input.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.ex.borrow_mut().out.pop_front()
    }

    fn answer(&mut self, id: RequestId, a: Answered) {
        if self.waiting_for() != Some(id) {
            return;
        }
        {
            let mut ex = self.ex.borrow_mut();
            ex.waiting = None;
            ex.answers.insert(id, a);
        }
        self.step();
    }

    fn queue(&mut self, intent: Intent, now: u64) {
        self.queued.push_back((intent, now));
        if self.running.is_none() {
            self.start_next();
        }
    }

    fn start_next(&mut self) {
        while self.running.is_none() {
            let Some(mut state) = self.state.take() else {
                return;
            };
            let Some((intent, now)) = self.queued.pop_front() else {
                self.state = Some(state);
                return;
            };
            let io = Io {
                ex: self.ex.clone(),
                now,
                duty_now: now.saturating_add_signed(state.duty_clock_offset),
            };
            self.running = Some(Box::pin(async move {
                let r = run(&mut state, &io, intent).await;
                (state, r)
            }));
            self.step();
        }
    }

    fn step(&mut self) {
        let Some(f) = self.running.as_mut() else {
            return;
        };
        let mut cx = Context::from_waker(Waker::noop());
        if let Poll::Ready((state, r)) = f.as_mut().poll(&mut cx) {
            self.running = None;
            self.state = Some(state);
            self.ex.borrow_mut().out.push_back(Output::Done(r));
            self.start_next();
        }
    }
}

async fn run(st: &mut State, io: &Io, intent: Intent) -> Result<Answer, Error> {
    Ok(match intent {
        Intent::CreateChannel(host) => {
            let (h, r) = st.create_channel(io, &host).await?;
            Answer::Created(h, r)
        }
        Intent::Invite {
            conversation,
            route,
            expires_in,
        } => Answer::Invited(
            st.create_invite_on(io, &conversation, route.as_ref(), expires_in)
                .await?,
        ),
        Intent::Rehost { conversation, host } => {
            Answer::Route(st.rehost(io, &conversation, &host).await?)
        }
        Intent::Accept { uri, name } => {
            let (id, sas) = st.redeem(io, &uri, &name, None).await?;
            Answer::Redeemed(id, sas)
        }
        Intent::Send {
            conversation,
            content_type,
            body,
        } => Answer::Sent(st.send(io, &conversation, content_type, body).await?),
        Intent::Commit {
            conversation,
            route,
            remove,
        } => {
            let (e, s) = st.commit(io, &conversation, &route, &remove).await?;
            Answer::Committed(e, s)
        }
        Intent::AddRoute { conversation, host } => {
            Answer::Route(st.add_route(io, &conversation, &host).await?)
        }
        Intent::AnswerSas { invite, matches } => {
            st.answer_sas(io, &invite, matches).await?;
            Answer::SasAnswered
        }
        Intent::Refresh => {
            for e in st.sync(io).await {
                io.ex.borrow_mut().out.push_back(Output::Event(e));
            }
            Answer::Refreshed
        }
    })
}
