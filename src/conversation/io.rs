//! The layer's side of the exchange with its caller: the requests it issues, the checkpoints it
//! asks for, and the answers it waits for, each matched by [`RequestId`] (see the design in
//! [`super`]). Building a signed request (spec §8.2) is here too: the layer signs, the caller
//! carries the bytes.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use hearth_crypto::group::Group;
use hearth_crypto::rng::HearthRng;
use hearth_crypto::SavedState;
use hearth_wire::request::{Request, Response, SignedRequest};
use hearth_wire::{
    ChannelId, EdPublic, ErrorCode, HostUrl, Nonce16, Op, RawValue, Secs, Signature, SignedBytes,
    Version, WireEncode,
};
use rand_core::RngCore;

use super::error::{code_name, Error};
use super::event::Event;
use super::machine::Answer;
use super::RouteRef;

/// The layer's name for one request or checkpoint it issued, to match the answer to it.
/// Unique within one [`super::Member`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// What came of one request (spec §10.4), as the caller's transport saw it.
#[derive(Debug)]
pub enum Outcome {
    /// The host answered `ok`; the decoded Response.
    Ok(Response),
    /// The host answered with an error status that leaves the route reachable.
    Refused(Response),
    /// No usable answer: the route is unreachable for this request (spec §10.4), with why.
    Unreachable(String),
}

impl Outcome {
    /// The outcome of a decoded `Response` (spec §10.4): `internal` and `rate_limited` make
    /// the route unreachable (HRT-ROUTE-14), any other error status is a refusal. No answer,
    /// a transport error, an HTTP status other than 200 or a body that is not a `Response` is
    /// [`Outcome::Unreachable`], which the caller builds itself.
    pub fn of_response(r: Response) -> Self {
        if r.status == ErrorCode::OK {
            Outcome::Ok(r)
        } else if r.status == ErrorCode::INTERNAL || r.status == ErrorCode::RATE_LIMITED {
            Outcome::Unreachable(format!("the host answered {}", code_name(r.status)))
        } else {
            Outcome::Refused(r)
        }
    }

    /// `ok` → the Response; a refusal → [`Error::Host`]; unreachable → [`Error::Unreachable`].
    pub fn into_ok(self) -> Result<Response, Error> {
        match self {
            Outcome::Ok(r) => Ok(r),
            Outcome::Refused(r) => Err(Error::Host {
                status: r.status,
                detail: r.detail,
            }),
            Outcome::Unreachable(s) => Err(Error::Unreachable(s)),
        }
    }
}

/// State that must be durable before the request that follows it leaves (HRT-RAT-5,
/// HRT-GRP-50): the group state of one route, as `Group::save` encodes it. A store replaces
/// the older copy (§6.16).
pub struct Checkpoint {
    /// The route.
    pub route: RouteRef,
    /// Its group state.
    pub state: SavedState,
}

/// What the layer asks of its caller, in order.
pub enum Output {
    /// Make this durable, then answer [`super::Input::Saved`] with this id; nothing is sent
    /// before that answer, and an error stops the request that needed it.
    Checkpoint(RequestId, Checkpoint),
    /// Send these bytes (a `SignedRequest`, spec §8) to `route.host` and answer
    /// [`super::Input::Response`] with this id.
    Request {
        /// Names the answer.
        id: RequestId,
        /// Where to send it.
        route: RouteRef,
        /// The `SignedRequest`'s bytes.
        signed: Vec<u8>,
    },
    /// Something the user should see (the events of a refresh, Appendix B).
    Event(Event),
    /// The intent given last finished, with this result.
    Done(Result<Answer, Error>),
}

pub(crate) enum Answered {
    Outcome(Outcome),
    Saved(Result<(), String>),
}

#[derive(Default)]
pub(crate) struct Exchange {
    next: u64,
    pub(crate) out: VecDeque<Output>,
    pub(crate) waiting: Option<RequestId>,
    pub(crate) answers: HashMap<RequestId, Answered>,
}

/// The procedures' handle on the exchange, and the time of the intent they serve.
#[derive(Clone)]
pub(crate) struct Io {
    pub(crate) ex: Rc<RefCell<Exchange>>,
    /// Seconds since the Unix epoch, as the caller gave it: request timestamps (§8.2),
    /// `sent_at_ms` (§7.6) and invitation expiry.
    pub(crate) now: u64,
    /// The duty clock: `now` moved by [`State::duty_clock_offset`](super::State::duty_clock_offset).
    /// What a commit, a seal and the duties of §6.17 are judged and recorded at (HRT-RAT-17 to
    /// HRT-RAT-21, Appendix B §91.6.15).
    pub(crate) duty_now: u64,
}

impl Io {
    fn issue(&self, make: impl FnOnce(RequestId) -> Output) -> RequestId {
        let mut ex = self.ex.borrow_mut();
        ex.next += 1;
        let id = RequestId(ex.next);
        let o = make(id);
        ex.out.push_back(o);
        ex.waiting = Some(id);
        id
    }

    /// Issues one request and waits for its outcome.
    pub(crate) async fn request(&self, route: &RouteRef, signed: Vec<u8>) -> Outcome {
        let id = self.issue(|id| Output::Request {
            id,
            route: route.clone(),
            signed,
        });
        match (Wait { io: self, id }).await {
            Answered::Outcome(o) => o,
            Answered::Saved(_) => Outcome::Unreachable("the answer was not a response".into()),
        }
    }

    /// Asks the caller to make `group`'s state durable and waits until it did.
    pub(crate) async fn checkpoint(&self, route: &RouteRef, group: &Group) -> Result<(), Error> {
        let state = group.save()?;
        let id = self.issue(|id| {
            Output::Checkpoint(
                id,
                Checkpoint {
                    route: route.clone(),
                    state,
                },
            )
        });
        match (Wait { io: self, id }).await {
            Answered::Saved(Ok(())) => Ok(()),
            Answered::Saved(Err(e)) => Err(Error::Usage(format!(
                "could not save the state before sending: {e}"
            ))),
            Answered::Outcome(_) => Err(Error::usage("the checkpoint was answered as a request")),
        }
    }

    /// The `sent_at_ms` of a message sealed now (spec §7.6).
    pub(crate) fn now_ms(&self) -> u64 {
        self.now.saturating_mul(1000)
    }

    /// Builds and signs a request at this intent's time (see [`build`]).
    pub(crate) fn build(
        &self,
        link: &RouteRef,
        op: Op,
        body: &impl WireEncode,
        sign: Signer<'_>,
    ) -> Result<Vec<u8>, Error> {
        build(&link.host, op, Some(link.channel), body, sign, self.now)
    }
}

struct Wait<'a> {
    io: &'a Io,
    id: RequestId,
}

impl Future for Wait<'_> {
    type Output = Answered;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Answered> {
        match self.io.ex.borrow_mut().answers.remove(&self.id) {
            Some(a) => Poll::Ready(a),
            None => Poll::Pending,
        }
    }
}

/// Something that signs requests: `(key, SignWithLabel(key, "request", bytes))`.
pub type Signer<'a> = &'a dyn Fn(&[u8]) -> Result<(EdPublic, Signature), Error>;

/// Builds and signs a request: `Request = {1: op, 2: host_url, ? 3: channel_id, 4: ts,
/// 5: nonce, 6: body}` with a fresh random nonce and `ts = now` (spec §8.2), then
/// `SignedRequest = [1, key, bstr .cbor Request, sig]`.
pub fn build(
    host: &HostUrl,
    op: Op,
    channel: Option<ChannelId>,
    body: &impl WireEncode,
    sign: Signer<'_>,
    now: u64,
) -> Result<Vec<u8>, Error> {
    let mut nonce = [0u8; 16];
    HearthRng::os().fill_bytes(&mut nonce);
    let req = Request {
        op,
        host_url: host.clone(),
        channel_id: channel,
        ts: Secs(now),
        nonce: Nonce16(nonce),
        body: RawValue::from_value(body),
        ext: None,
    };
    let request_bytes = req.to_vec();
    let (key, sig) = sign(&request_bytes)?;
    Ok(SignedRequest {
        version: Version,
        key,
        request: SignedBytes::from_bytes(request_bytes),
        signature: sig,
    }
    .to_vec())
}

/// A signer of requests with a group's member key.
pub(crate) fn sign_with(g: &Group) -> impl Fn(&[u8]) -> Result<(EdPublic, Signature), Error> + '_ {
    move |b| Ok(g.sign_request(b)?)
}
