//! One FastCGI transport connection in the responder role (FastCGI Specification 1.0 §6.2),
//! sans-IO: the web server's bytes go in with [`Session::feed`], [`Session::poll`] turns them
//! into [`Event`]s, the application answers with [`Session::read_body`] or
//! [`Session::respond`], and [`Session::take_output`] gives the bytes to send back.
//!
//! - One request at a time (`FCGI_MPXS_CONNS` is 0, §4.1): a second `FCGI_BEGIN_REQUEST`
//!   while one is active is answered `FCGI_CANT_MPX_CONN` (§5.5).
//! - Other roles are answered `FCGI_UNKNOWN_ROLE` (§5.5); unknown management records
//!   `FCGI_UNKNOWN_TYPE` (§4.2); `FCGI_GET_VALUES` is answered (§4.1).
//! - Memory is bounded: at most one record of input is buffered, the `FCGI_PARAMS` stream is
//!   cut off at [`Limits::max_params`] bytes, at most the application's body limit of
//!   `FCGI_STDIN` is kept, and what follows an early answer is discarded (at most
//!   [`Limits::max_drain`] bytes), never stored.
//!
//! Like [`crate::fcgi_record`], this file depends on no other module of the crate except
//! that one, for the fuzz workspace.

use crate::fcgi_record::{
    decode, decode_pairs, encode, encode_end_request, encode_pair, encode_stream,
    encode_unknown_type, BeginRequest, FcgiError, ProtocolStatus, RecordType, MAX_RECORD,
    NULL_REQUEST_ID, ROLE_RESPONDER,
};

/// The bounds of one connection.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The most bytes of one request's `FCGI_PARAMS` stream.
    pub max_params: usize,
    /// The most `FCGI_STDIN` bytes discarded after an answer before the connection is given
    /// up.
    pub max_drain: u64,
    /// `FCGI_MAX_CONNS` announced in `FCGI_GET_VALUES_RESULT`.
    pub max_conns: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_params: 128 * 1024,
            max_drain: 16 * 1024 * 1024,
            max_conns: 32,
        }
    }
}

/// A request's parameters (the CGI meta-variables, §6.2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Params {
    /// Decodes a complete `FCGI_PARAMS` stream.
    pub fn decode(stream: &[u8]) -> Result<Params, FcgiError> {
        let pairs = decode_pairs(stream)?
            .into_iter()
            .map(|(n, v)| (n.to_vec(), v.to_vec()))
            .collect();
        Ok(Params { pairs })
    }

    /// The value of `name` as text: `Ok(None)` when absent or not UTF-8, an error when the
    /// name appears more than once (a meta-variable has one value).
    pub fn get(&self, name: &str) -> Result<Option<&str>, FcgiError> {
        let mut found = self.pairs.iter().filter(|(n, _)| n == name.as_bytes());
        let first = found.next();
        if found.next().is_some() {
            return Err(FcgiError::DuplicateParam(name.to_owned()));
        }
        Ok(first.and_then(|(_, v)| std::str::from_utf8(v).ok()))
    }

    /// The pairs, in the order received.
    pub fn pairs(&self) -> &[(Vec<u8>, Vec<u8>)] {
        &self.pairs
    }

    /// Encodes the parameters as a name-value stream.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (n, v) in &self.pairs {
            encode_pair(&mut out, n, v);
        }
        out
    }

    /// Parameters from pairs.
    pub fn from_pairs<N: AsRef<[u8]>, V: AsRef<[u8]>>(pairs: &[(N, V)]) -> Params {
        Params {
            pairs: pairs
                .iter()
                .map(|(n, v)| (n.as_ref().to_vec(), v.as_ref().to_vec()))
                .collect(),
        }
    }
}

/// What the application has to act on.
#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    /// The parameters of the active request are complete. Answer with
    /// [`Session::respond`] (before the body, as for HRT-API-16) or ask for the body with
    /// [`Session::read_body`].
    Params(Params),
    /// The first bytes of `FCGI_STDIN`, up to the limit given to [`Session::read_body`]
    /// (fewer if the stream ended first). Answer with [`Session::respond`].
    Body(Vec<u8>),
    /// The active request cannot be served (its parameters are over the bound, malformed or
    /// duplicated); the connection's framing is intact. Answer with [`Session::respond`].
    Refused(FcgiError),
}

#[derive(Debug)]
enum State {
    /// Waiting for `FCGI_BEGIN_REQUEST`.
    Idle,
    /// Collecting `FCGI_PARAMS`.
    Params { id: u16, keep: bool, buf: Vec<u8> },
    /// An event was returned; the application has not acted yet.
    Waiting {
        id: u16,
        keep: bool,
        stdin_done: bool,
    },
    /// Collecting `FCGI_STDIN` up to `limit` bytes.
    Stdin {
        id: u16,
        keep: bool,
        body: Vec<u8>,
        limit: usize,
    },
    /// Answered; the rest of the request's input is read and dropped.
    Draining { id: u16, keep: bool, seen: u64 },
    /// The connection is to be closed once the output is sent.
    Closed,
}

/// One connection's protocol state.
#[derive(Debug)]
pub struct Session {
    limits: Limits,
    input: Vec<u8>,
    output: Vec<u8>,
    state: State,
}

impl Session {
    /// A new connection.
    pub fn new(limits: Limits) -> Session {
        Session {
            limits,
            input: Vec::new(),
            output: Vec::new(),
            state: State::Idle,
        }
    }

    /// The most bytes [`Session::feed`] takes between two polls that returned `None`.
    pub const FEED_MAX: usize = MAX_RECORD;

    /// Adds bytes from the web server. Poll until `None` before feeding again: at most
    /// [`Session::FEED_MAX`] bytes may be buffered.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), FcgiError> {
        let total = self.input.len() + bytes.len();
        if total > 2 * Self::FEED_MAX {
            self.state = State::Closed;
            return Err(FcgiError::Overfed(total));
        }
        self.input.extend_from_slice(bytes);
        Ok(())
    }

    /// Bytes buffered (input not yet decoded, output not yet taken), for bounds checks.
    pub fn buffered(&self) -> usize {
        let held = match &self.state {
            State::Params { buf, .. } => buf.len(),
            State::Stdin { body, .. } => body.len(),
            _ => 0,
        };
        self.input.len() + self.output.len() + held
    }

    /// The bytes to send to the web server.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.output)
    }

    /// Whether the connection is to be closed once the output is sent.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// Whether no request is in progress (between requests, a read may wait for a long time).
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Idle)
    }

    /// Decodes buffered records until one needs the application (`Some`) or more input is
    /// needed (`None`). An error means the connection must be closed (after sending the
    /// output).
    pub fn poll(&mut self) -> Result<Option<Event>, FcgiError> {
        loop {
            if matches!(self.state, State::Waiting { .. } | State::Closed) {
                return Ok(None);
            }
            if let State::Stdin {
                id,
                keep,
                body,
                limit,
            } = &mut self.state
            {
                if body.len() >= *limit {
                    let body = std::mem::take(body);
                    self.state = State::Waiting {
                        id: *id,
                        keep: *keep,
                        stdin_done: false,
                    };
                    return Ok(Some(Event::Body(body)));
                }
            }
            let (kind, request_id, content, used) = match decode(&self.input) {
                Ok(Some((r, used))) => (r.kind, r.request_id, r.content.to_vec(), used),
                Ok(None) => return Ok(None),
                Err(e) => {
                    self.state = State::Closed;
                    return Err(e);
                }
            };
            self.input.drain(..used);
            match self.record(kind, request_id, &content) {
                Ok(Some(ev)) => return Ok(Some(ev)),
                Ok(None) => {}
                Err(e) => {
                    self.state = State::Closed;
                    return Err(e);
                }
            }
        }
    }

    fn record(
        &mut self,
        kind: RecordType,
        id: u16,
        content: &[u8],
    ) -> Result<Option<Event>, FcgiError> {
        let unexpected = FcgiError::Unexpected {
            kind: kind.0,
            request_id: id,
        };
        if id == NULL_REQUEST_ID {
            self.management(kind, content);
            return Ok(None);
        }
        let active = match &self.state {
            State::Params { id: a, .. }
            | State::Waiting { id: a, .. }
            | State::Stdin { id: a, .. } => Some(*a),
            _ => None,
        };
        match kind {
            RecordType::BEGIN_REQUEST => {
                let begin = BeginRequest::decode(content)?;
                match active {
                    Some(a) if a == id => return Err(FcgiError::DuplicateRequest(id)),
                    // §5.5: no multiplexing on this connection.
                    Some(_) => {
                        encode_end_request(&mut self.output, id, 0, ProtocolStatus::CANT_MPX_CONN);
                        return Ok(None);
                    }
                    None => {}
                }
                if begin.role != ROLE_RESPONDER {
                    encode_end_request(&mut self.output, id, 0, ProtocolStatus::UNKNOWN_ROLE);
                    self.state = if begin.keep_conn() {
                        State::Idle
                    } else {
                        State::Closed
                    };
                    return Ok(None);
                }
                self.state = State::Params {
                    id,
                    keep: begin.keep_conn(),
                    buf: Vec::new(),
                };
                Ok(None)
            }
            // Records of a request that is not active (an answered one, §3.3) are ignored,
            // except that the drained input is bounded.
            _ if active != Some(id) => {
                if let State::Draining { id: d, keep, seen } = &mut self.state {
                    if *d == id {
                        if !matches!(
                            kind,
                            RecordType::STDIN | RecordType::PARAMS | RecordType::ABORT_REQUEST
                        ) {
                            return Err(unexpected);
                        }
                        *seen += content.len() as u64;
                        if *seen > self.limits.max_drain {
                            return Err(FcgiError::DrainTooLong(self.limits.max_drain));
                        }
                        if kind == RecordType::STDIN && content.is_empty() {
                            self.state = if *keep { State::Idle } else { State::Closed };
                        }
                    }
                }
                match kind {
                    RecordType::STDIN | RecordType::PARAMS | RecordType::ABORT_REQUEST => Ok(None),
                    _ => Err(unexpected),
                }
            }
            RecordType::ABORT_REQUEST => {
                // §5.4: the request ends; nothing was run for it yet.
                let keep = matches!(
                    self.state,
                    State::Params { keep: true, .. } | State::Stdin { keep: true, .. }
                );
                encode_end_request(&mut self.output, id, 0, ProtocolStatus::REQUEST_COMPLETE);
                self.state = if keep { State::Idle } else { State::Closed };
                Ok(None)
            }
            RecordType::PARAMS => {
                let State::Params { keep, buf, .. } = &mut self.state else {
                    return Err(unexpected);
                };
                let keep = *keep;
                if content.is_empty() {
                    let params = Params::decode(buf);
                    self.state = State::Waiting {
                        id,
                        keep,
                        stdin_done: false,
                    };
                    return Ok(Some(match params {
                        Ok(p) => Event::Params(p),
                        Err(e) => Event::Refused(e),
                    }));
                }
                if buf.len() + content.len() > self.limits.max_params {
                    self.state = State::Waiting {
                        id,
                        keep,
                        stdin_done: false,
                    };
                    return Ok(Some(Event::Refused(FcgiError::ParamsTooLarge(
                        self.limits.max_params,
                    ))));
                }
                buf.extend_from_slice(content);
                Ok(None)
            }
            RecordType::STDIN => {
                let State::Stdin {
                    keep, body, limit, ..
                } = &mut self.state
                else {
                    return Err(unexpected);
                };
                if content.is_empty() {
                    let body = std::mem::take(body);
                    self.state = State::Waiting {
                        id,
                        keep: *keep,
                        stdin_done: true,
                    };
                    return Ok(Some(Event::Body(body)));
                }
                let room = limit.saturating_sub(body.len());
                body.extend_from_slice(content.get(..room).unwrap_or(content));
                Ok(None)
            }
            _ => Err(unexpected),
        }
    }

    /// Management records (§4): `FCGI_GET_VALUES` is answered with the variables this
    /// application knows, any other type with `FCGI_UNKNOWN_TYPE`.
    fn management(&mut self, kind: RecordType, content: &[u8]) {
        if kind != RecordType::GET_VALUES {
            encode_unknown_type(&mut self.output, kind);
            return;
        }
        let mut result = Vec::new();
        // A malformed query is answered with what could be read (nothing).
        for (name, _) in decode_pairs(content).unwrap_or_default() {
            let value = match name {
                b"FCGI_MAX_CONNS" => self.limits.max_conns.to_string(),
                b"FCGI_MAX_REQS" => self.limits.max_conns.to_string(),
                b"FCGI_MPXS_CONNS" => "0".to_owned(),
                _ => continue,
            };
            encode_pair(&mut result, name, value.as_bytes());
        }
        encode(
            &mut self.output,
            RecordType::GET_VALUES_RESULT,
            NULL_REQUEST_ID,
            &result,
        );
    }

    /// After [`Event::Params`]: collect at most `limit` bytes of `FCGI_STDIN` for
    /// [`Event::Body`]. Ignored in any other state.
    pub fn read_body(&mut self, limit: usize) {
        if let State::Waiting {
            id,
            keep,
            stdin_done: false,
        } = self.state
        {
            self.state = State::Stdin {
                id,
                keep,
                body: Vec::new(),
                limit,
            };
        }
    }

    /// Answers the active request: `stdout` (CGI response headers and body, §6.2) as an
    /// `FCGI_STDOUT` stream, then `FCGI_END_REQUEST` with `app_status`. The rest of the
    /// request's `FCGI_STDIN`, if any, will be discarded. Ignored when no event is waiting.
    pub fn respond(&mut self, stdout: &[u8], app_status: u32) {
        let State::Waiting {
            id,
            keep,
            stdin_done,
        } = self.state
        else {
            return;
        };
        encode_stream(&mut self.output, RecordType::STDOUT, id, stdout);
        encode_end_request(
            &mut self.output,
            id,
            app_status,
            ProtocolStatus::REQUEST_COMPLETE,
        );
        self.state = match (stdin_done, keep) {
            (true, true) => State::Idle,
            (true, false) => State::Closed,
            (false, _) => State::Draining { id, keep, seen: 0 },
        };
    }

    /// Whether the connection only waits for the rest of an answered request's input (it
    /// may be closed then, after a bounded lingering read, when the web server does not keep
    /// it).
    pub fn is_draining(&self) -> Option<bool> {
        match self.state {
            State::Draining { keep, .. } => Some(keep),
            _ => None,
        }
    }
}

/// The property the fuzz target `fcgi_records` (`fuzz/`) and the corpus replay
/// (`tests/fcgi_corpus.rs`) check on arbitrary web-server bytes; it panics when it fails.
///
/// - Records: every record decoded from `data` re-encodes (with its padding length) to its
///   header and content; every name-value stream that decodes re-encodes (shortest forms) to
///   one that decodes to the same pairs.
/// - A [`Session`] fed `data` in chunks (sized by the first byte) never panics, never holds
///   more than its bounds, and writes only well-formed records.
#[doc(hidden)]
pub fn fuzz_check(data: &[u8]) {
    use crate::fcgi_record::MAX_CONTENT;
    let mut rest = data;
    while let Ok(Some((r, used))) = decode(rest) {
        let mut again = Vec::new();
        encode(&mut again, r.kind, r.request_id, r.content);
        assert_eq!(again.get(..6), rest.get(..6), "re-encoded header differs");
        assert_eq!(again.get(8..8 + r.content.len()), Some(r.content));
        assert_eq!(used, r.wire_len());
        if let Ok(pairs) = decode_pairs(r.content) {
            let mut enc = Vec::new();
            for (n, v) in &pairs {
                encode_pair(&mut enc, n, v);
            }
            assert_eq!(
                decode_pairs(&enc).ok(),
                Some(pairs),
                "pairs do not round-trip"
            );
        }
        rest = rest.get(used..).unwrap_or_default();
    }
    let limits = Limits {
        max_params: 4096,
        max_drain: 8192,
        max_conns: 1,
    };
    let chunk = usize::from(data.first().copied().unwrap_or(1)).max(1) * 97;
    let mut s = Session::new(limits);
    'feed: for piece in data.chunks(chunk) {
        if s.feed(piece).is_err() {
            break;
        }
        loop {
            let ev = s.poll();
            let held = s.buffered() - s.output.len();
            assert!(
                held <= 2 * Session::FEED_MAX + limits.max_params,
                "{held} bytes held"
            );
            match ev {
                Err(_) => break 'feed,
                Ok(None) => break,
                Ok(Some(Event::Params(p))) => {
                    let len = p.get("CONTENT_LENGTH").ok().flatten().unwrap_or("");
                    match len.parse::<usize>() {
                        Ok(n) if n <= 1024 => s.read_body(n),
                        _ => s.respond(b"early", 1),
                    }
                }
                Ok(Some(Event::Body(b))) => {
                    assert!(b.len() <= 1024, "body over its limit");
                    s.respond(&b, 0);
                }
                Ok(Some(Event::Refused(_))) => s.respond(b"refused", 2),
            }
        }
        let out = s.take_output();
        let mut o = out.as_slice();
        while !o.is_empty() {
            let d = decode(o);
            assert!(
                matches!(d, Ok(Some(_))),
                "the session wrote a malformed record: {d:?}"
            );
            let Ok(Some((r, used))) = d else { break };
            assert!(r.content.len() <= MAX_CONTENT);
            o = o.get(used..).unwrap_or_default();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use crate::fcgi_record::{decode_pairs, FLAG_KEEP_CONN};

    fn begin(out: &mut Vec<u8>, id: u16, role: u16, flags: u8) {
        encode(
            out,
            RecordType::BEGIN_REQUEST,
            id,
            &BeginRequest { role, flags }.encode(),
        );
    }

    fn params(out: &mut Vec<u8>, id: u16, pairs: &[(&str, &str)]) {
        encode_stream(
            out,
            RecordType::PARAMS,
            id,
            &Params::from_pairs(pairs).encode(),
        );
    }

    fn records(bytes: &[u8]) -> Vec<(RecordType, u16, Vec<u8>)> {
        let mut rest = bytes;
        let mut v = Vec::new();
        while let Some((r, n)) = decode(rest).unwrap() {
            v.push((r.kind, r.request_id, r.content.to_vec()));
            rest = &rest[n..];
        }
        assert!(rest.is_empty());
        v
    }

    #[test]
    fn one_request_params_body_answer() {
        let mut s = Session::new(Limits::default());
        let mut input = Vec::new();
        begin(&mut input, 1, ROLE_RESPONDER, 0);
        params(
            &mut input,
            1,
            &[("REQUEST_METHOD", "POST"), ("CONTENT_LENGTH", "3")],
        );
        encode_stream(&mut input, RecordType::STDIN, 1, b"abcdef");
        s.feed(&input).unwrap();
        let Some(Event::Params(p)) = s.poll().unwrap() else {
            panic!()
        };
        assert_eq!(p.get("REQUEST_METHOD").unwrap(), Some("POST"));
        assert_eq!(p.get("CONTENT_TYPE").unwrap(), None);
        s.read_body(3);
        assert_eq!(s.poll().unwrap(), Some(Event::Body(b"abc".to_vec())));
        s.respond(b"Status: 200 OK\r\n\r\nhi", 0);
        assert_eq!(s.poll().unwrap(), None);
        // Everything after the limit is dropped; without KEEP_CONN the connection closes.
        assert!(s.is_closed());
        let out = records(&s.take_output());
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].0, RecordType::STDOUT);
        assert_eq!(out[0].2, b"Status: 200 OK\r\n\r\nhi");
        assert_eq!(out[1], (RecordType::STDOUT, 1, vec![]));
        assert_eq!(out[2], (RecordType::END_REQUEST, 1, vec![0; 8]));
    }

    #[test]
    fn early_answer_before_the_body_then_keep_conn_serves_the_next() {
        let mut s = Session::new(Limits::default());
        let mut input = Vec::new();
        begin(&mut input, 1, ROLE_RESPONDER, FLAG_KEEP_CONN);
        params(&mut input, 1, &[("CONTENT_LENGTH", "999999999")]);
        s.feed(&input).unwrap();
        assert!(matches!(s.poll().unwrap(), Some(Event::Params(_))));
        s.respond(b"early", 0);
        assert_eq!(s.is_draining(), Some(true));
        // The body arrives anyway and is dropped; then a second request.
        let mut input = Vec::new();
        encode_stream(&mut input, RecordType::STDIN, 1, &[0; 1000]);
        begin(&mut input, 2, ROLE_RESPONDER, 0);
        params(&mut input, 2, &[("REQUEST_METHOD", "GET")]);
        s.feed(&input).unwrap();
        assert!(matches!(s.poll().unwrap(), Some(Event::Params(_))));
        s.read_body(0);
        assert_eq!(s.poll().unwrap(), Some(Event::Body(vec![])));
        s.respond(b"second", 0);
        let out = records(&s.take_output());
        assert_eq!(
            out.iter()
                .filter(|r| r.0 == RecordType::END_REQUEST)
                .count(),
            2
        );
        assert_eq!(out[3].1, 2);
    }

    #[test]
    fn drain_is_bounded() {
        let limits = Limits {
            max_drain: 100,
            ..Limits::default()
        };
        let mut s = Session::new(limits);
        let mut input = Vec::new();
        begin(&mut input, 1, ROLE_RESPONDER, 0);
        params(&mut input, 1, &[]);
        s.feed(&input).unwrap();
        assert!(s.poll().unwrap().is_some());
        s.respond(b"x", 0);
        let mut input = Vec::new();
        encode(&mut input, RecordType::STDIN, 1, &[0; 101]);
        s.feed(&input).unwrap();
        assert_eq!(s.poll(), Err(FcgiError::DrainTooLong(100)));
        assert!(s.is_closed());
    }

    #[test]
    fn other_roles_unknown_role_and_no_multiplexing() {
        let mut s = Session::new(Limits::default());
        let mut input = Vec::new();
        begin(&mut input, 1, 2, FLAG_KEEP_CONN); // FCGI_AUTHORIZER
        begin(&mut input, 2, ROLE_RESPONDER, 0);
        begin(&mut input, 3, ROLE_RESPONDER, 0);
        s.feed(&input).unwrap();
        assert_eq!(s.poll().unwrap(), None);
        let out = records(&s.take_output());
        assert_eq!(
            out[0],
            (RecordType::END_REQUEST, 1, vec![0, 0, 0, 0, 3, 0, 0, 0])
        );
        assert_eq!(
            out[1],
            (RecordType::END_REQUEST, 3, vec![0, 0, 0, 0, 1, 0, 0, 0])
        );
        // A second BEGIN for the active id is a protocol error.
        let mut input = Vec::new();
        begin(&mut input, 2, ROLE_RESPONDER, 0);
        s.feed(&input).unwrap();
        assert_eq!(s.poll(), Err(FcgiError::DuplicateRequest(2)));
    }

    #[test]
    fn get_values_says_no_multiplexing() {
        let mut s = Session::new(Limits::default());
        let mut q = Vec::new();
        for n in [
            "FCGI_MPXS_CONNS",
            "FCGI_MAX_CONNS",
            "FCGI_MAX_REQS",
            "OTHER",
        ] {
            encode_pair(&mut q, n.as_bytes(), b"");
        }
        let mut input = Vec::new();
        encode(&mut input, RecordType::GET_VALUES, 0, &q);
        encode(&mut input, RecordType(200), 0, &[]);
        s.feed(&input).unwrap();
        assert_eq!(s.poll().unwrap(), None);
        let out = records(&s.take_output());
        assert_eq!(out[0].0, RecordType::GET_VALUES_RESULT);
        let pairs = decode_pairs(&out[0].2).unwrap();
        assert_eq!(
            pairs,
            vec![
                (&b"FCGI_MPXS_CONNS"[..], &b"0"[..]),
                (b"FCGI_MAX_CONNS", b"32"),
                (b"FCGI_MAX_REQS", b"32")
            ]
        );
        assert_eq!(
            out[1],
            (RecordType::UNKNOWN_TYPE, 0, vec![200, 0, 0, 0, 0, 0, 0, 0])
        );
    }

    #[test]
    fn oversized_and_malformed_params_are_refused() {
        let limits = Limits {
            max_params: 64,
            ..Limits::default()
        };
        let mut s = Session::new(limits);
        let mut input = Vec::new();
        begin(&mut input, 1, ROLE_RESPONDER, 0);
        encode(&mut input, RecordType::PARAMS, 1, &[1; 65]);
        s.feed(&input).unwrap();
        assert_eq!(
            s.poll().unwrap(),
            Some(Event::Refused(FcgiError::ParamsTooLarge(64)))
        );
        s.respond(b"refused", 0);
        // The rest of the stream is ignored, then the connection ends.
        let mut input = Vec::new();
        encode(&mut input, RecordType::PARAMS, 1, &[1; 65]);
        encode_stream(&mut input, RecordType::STDIN, 1, &[]);
        s.feed(&input).unwrap();
        assert_eq!(s.poll().unwrap(), None);
        assert!(s.is_closed());

        let mut s = Session::new(Limits::default());
        let mut input = Vec::new();
        begin(&mut input, 1, ROLE_RESPONDER, 0);
        encode_stream(&mut input, RecordType::PARAMS, 1, &[5, 1, b'a']);
        s.feed(&input).unwrap();
        assert_eq!(
            s.poll().unwrap(),
            Some(Event::Refused(FcgiError::TruncatedPair))
        );
        let p = Params::from_pairs(&[("CONTENT_LENGTH", "1"), ("CONTENT_LENGTH", "2")]);
        assert_eq!(
            p.get("CONTENT_LENGTH"),
            Err(FcgiError::DuplicateParam("CONTENT_LENGTH".into()))
        );
    }

    #[test]
    fn records_out_of_order_close_the_connection() {
        let cases: Vec<Vec<u8>> = vec![
            {
                // STDIN before the parameters ended.
                let mut v = Vec::new();
                begin(&mut v, 1, ROLE_RESPONDER, 0);
                encode(&mut v, RecordType::STDIN, 1, b"x");
                v
            },
            {
                // A web server never sends STDOUT.
                let mut v = Vec::new();
                begin(&mut v, 1, ROLE_RESPONDER, 0);
                encode(&mut v, RecordType::STDOUT, 1, b"x");
                v
            },
            {
                // BEGIN_REQUEST with a short body.
                let mut v = Vec::new();
                encode(&mut v, RecordType::BEGIN_REQUEST, 1, &[0, 1]);
                v
            },
            vec![9, 1, 0, 1, 0, 0, 0, 0],
        ];
        for input in cases {
            let mut s = Session::new(Limits::default());
            s.feed(&input).unwrap();
            assert!(s.poll().is_err(), "{input:?}");
            assert!(s.is_closed());
        }
    }

    #[test]
    fn abort_before_the_answer_ends_the_request() {
        let mut s = Session::new(Limits::default());
        let mut input = Vec::new();
        begin(&mut input, 4, ROLE_RESPONDER, FLAG_KEEP_CONN);
        encode(&mut input, RecordType::ABORT_REQUEST, 4, &[]);
        s.feed(&input).unwrap();
        assert_eq!(s.poll().unwrap(), None);
        assert!(s.is_idle());
        let out = records(&s.take_output());
        assert_eq!(out, vec![(RecordType::END_REQUEST, 4, vec![0; 8])]);
    }

    #[test]
    fn feeding_is_bounded() {
        let mut s = Session::new(Limits::default());
        assert!(s.feed(&vec![1; Session::FEED_MAX]).is_ok());
        assert!(s.feed(&vec![1; Session::FEED_MAX + 1]).is_err());
    }
}
