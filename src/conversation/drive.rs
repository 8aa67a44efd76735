//! A blocking driver for a [`Member`]: the loop every synchronous front end writes, once.
//!
//! The layer stays sans-IO; this module only pumps [`Output`]s into a caller's [`Transport`]
//! and [`Store`] and feeds their answers back, in the order the layer asks (a checkpoint is
//! answered before the request after it is issued: HRT-RAT-5, HRT-GRP-50). A front end with an
//! event loop of its own (async, a UI thread) skips this and reads [`Member::poll_output`]
//! itself.

use super::io::{Outcome, Output};
use super::machine::{Answer, Input, Member};
use super::{Error, Event, RouteRef, Store};

/// What carries one signed request (spec §8) to `route.host` and brings back its outcome. An
/// HTTP client in the reference front end, an in-process host in tests.
pub trait Transport {
    /// Sends `signed` (a `SignedRequest`'s bytes) and returns what came of it: no usable answer
    /// is [`Outcome::Unreachable`] (spec §10.4), a decoded `Response` goes through
    /// [`Outcome::of_response`].
    fn exchange(&mut self, route: &RouteRef, signed: &[u8]) -> Outcome;
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn exchange(&mut self, route: &RouteRef, signed: &[u8]) -> Outcome {
        (**self).exchange(route, signed)
    }
}

/// Gives `m` the `input`, then runs it until the layer waits for nothing: every checkpoint
/// goes to `store` (a failure is answered as such, so the request that needed it is not
/// sent), every request to `transport`, every event into `events`. Returns the answer of the
/// last intent that finished, if one did (a `Response` or `Saved` input that the layer was not
/// waiting for finishes nothing).
pub fn drive<T: Transport + ?Sized, S: Store + ?Sized>(
    m: &mut Member,
    input: Input,
    transport: &mut T,
    store: &mut S,
    events: &mut Vec<Event>,
) -> Option<Result<Answer, Error>> {
    m.handle(input);
    let mut done = None;
    while let Some(o) = m.poll_output() {
        match o {
            Output::Checkpoint(request, checkpoint) => {
                let result = store.save(&checkpoint).map_err(|e| e.to_string());
                m.handle(Input::Saved { request, result });
            }
            Output::Request { id, route, signed } => {
                let outcome = transport.exchange(&route, &signed);
                m.handle(Input::Response {
                    request: id,
                    outcome,
                });
            }
            Output::Event(e) => events.push(e),
            Output::Done(r) => done = Some(r),
        }
    }
    done
}
