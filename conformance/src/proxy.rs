//! The tamper proxy of the client suite (spec §14.4): an HTTP/1.1 server on `127.0.0.1:0` that
//! forwards every request to an upstream host and returns its answer, except where a programmed
//! [`Fault`] says otherwise. The host behind it runs with the proxy's URL as its canonical URL,
//! so the signed requests of the client under test pass host binding (HRT-API-9, HRT-API-24).
//!
//! The proxy decodes each POST body as a `SignedRequest` (strictly, with hearth-wire's typed
//! structures) to learn the op, the signing key and the channel, so that faults can target one
//! op, one channel and one caller (the client under test is lied to, the harness's peers see the
//! truth). It records every request it received, with the answer it served, so tests can check
//! what the client posted (for example that it posted nothing to a frozen route, HRT-LOG-38).
//!
//! Log faults rewrite `log.fetch` (op 10) results. The proxy keeps, per channel, the true log as
//! far as it has seen it served (every `log.fetch` answer that passes through it, faulted or
//! not); a fault turns that true history into a fake one ([`fake_history`]) and the page the
//! client asked for (`since`, `limit`) is cut from the fake history, so successive pages of one
//! lie are consistent with each other. Where a fault says so the hash chain is recomputed with
//! the formula of spec §9.3 ([`crate::client::next_head`]) so that the lie verifies locally and
//! only the cross-checks of §9.5 (claims, own entries, tip) can catch it.

use std::collections::BTreeMap;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::serve::IncomingStream;
use axum::Router;
use hearth_wire::log::LogEntry;
use hearth_wire::request::{LogFetchResult, RequestBody, Response, SignedRequest};
use hearth_wire::{encode_with, BoundedBytes, BoundedVec, RawValue, Seq, WireDecode, WireEncode};
use hearth_wire::{ErrorCode, Op};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::oneshot;

use crate::client::next_head;
use crate::target::{HttpReply, HttpRequest, HttpTarget, Target};

/// A programmed misbehaviour of the host, as the client under test sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The host is down: answer HTTP 503 with an empty body, without forwarding.
    Down,
    /// The host is gone: close the connection without any answer, without forwarding.
    Close,
    /// Wait this long before forwarding.
    Delay(Duration),
    /// `log.fetch`: leave the entry with this seq out (later entries keep their seq and heads):
    /// the page is not consecutive (HRT-LOG-16), or ends before the tip.
    DropEntry(u64),
    /// `log.fetch`: serve no entries at all, with the true tip and head (HRT-LOG-17).
    EmptyPage,
    /// `log.fetch`: re-serve the entry with this seq again as the next seq; later entries move
    /// up by one; the chain is recomputed from there, tip and head follow.
    DuplicateEntry(u64),
    /// `log.fetch`: swap the kind and bytes of two entries; the chain is recomputed from the
    /// lower one, tip head follows.
    SwapEntries(u64, u64),
    /// `log.fetch`: flip one bit of the last byte of the entry's `bytes` and recompute the chain
    /// from there (the page verifies on its own; only claims and own entries catch it).
    AlterEntryBytes(u64),
    /// `log.fetch`: flip one bit of the entry's `bytes` and keep every served head: the chain
    /// breaks at that entry (HRT-LOG-19).
    AlterEntryKeepHeads(u64),
    /// `log.fetch`: serve as if the log ended at this seq: no later entries, tip = this seq,
    /// head = its head (a rollback, HRT-LOG-15).
    LowerTip(u64),
    /// `log.fetch`: keep the true tip and head but serve one more entry after it (a copy of the
    /// tip entry as seq tip + 1, chained): an entry beyond the served tip (HRT-LOG-18).
    EntryBeyondTip,
    /// `log.fetch`: serve the true entries and tip with one bit of the head at tip flipped
    /// (HRT-LOG-21).
    WrongTipHead,
    /// `log.fetch`: keep entries up to this seq, then serve the replacement entries
    /// (kind, bytes) as the following seqs, chained: a different history (a fork).
    ForkAfter(u64, Vec<(hearth_wire::EntryKind, Vec<u8>)>),
    /// `log.fetch`: serve these bytes (same kind) at this seq instead of the true ones and
    /// recompute the chain from there: a consistent other history in which one entry (a peer's
    /// message or commit) is forged. Meant for one caller only (`FaultRule::for_key`).
    ReplaceEntry {
        /// The seq whose bytes are replaced.
        seq: u64,
        /// The bytes served there.
        bytes: Vec<u8>,
    },
    /// `log.fetch`: leave the entry with this seq out and move every later entry down by one,
    /// with the chain recomputed, tip and head following: a consistent history without that
    /// entry (withholding that only the log's content can reveal, HRT-LOG-43).
    WithholdEntry(u64),
    /// `welcome.fetch` (op 11): answer `ok` with this Welcome and GroupInfo ciphertext (raw
    /// bytes, not checked) and this seq, whatever the host said.
    ReplaceWelcome(Vec<u8>, Vec<u8>, u64),
}

impl Fault {
    /// The op the fault applies to by nature (`None`: any op).
    pub fn natural_op(&self) -> Option<Op> {
        match self {
            Fault::Down | Fault::Close | Fault::Delay(_) => None,
            Fault::ReplaceWelcome(..) => Some(Op::WELCOME_FETCH),
            _ => Some(Op::LOG_FETCH),
        }
    }

    fn is_log_fault(&self) -> bool {
        self.natural_op() == Some(Op::LOG_FETCH)
    }
}

/// A fault and the requests it applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultRule {
    /// What to do.
    pub fault: Fault,
    /// Only requests signed with this key (the caller to lie to); `None`: every caller.
    pub key: Option<[u8; 32]>,
    /// Only requests for this channel; `None`: every channel.
    pub channel: Option<[u8; 16]>,
    /// Only this op (in addition to the fault's natural op); `None`: any.
    pub op: Option<Op>,
}

impl FaultRule {
    /// A rule for every caller, channel and (fitting) op.
    pub fn new(fault: Fault) -> Self {
        Self {
            fault,
            key: None,
            channel: None,
            op: None,
        }
    }

    /// Only for requests signed with `key`.
    pub fn for_key(mut self, key: [u8; 32]) -> Self {
        self.key = Some(key);
        self
    }

    /// Only for requests naming `channel`.
    pub fn on_channel(mut self, channel: [u8; 16]) -> Self {
        self.channel = Some(channel);
        self
    }

    /// Only for `op`.
    pub fn on_op(mut self, op: Op) -> Self {
        self.op = Some(op);
        self
    }

    fn matches(&self, r: &Decoded) -> bool {
        let op_ok = |want: Option<Op>| want.is_none() || want == r.op;
        op_ok(self.fault.natural_op())
            && op_ok(self.op)
            && (self.key.is_none() || self.key == r.key)
            && (self.channel.is_none() || self.channel == r.channel)
    }
}

/// One request the proxy received, and what it served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The op, when the body decoded as a `SignedRequest` with a `Request` inside.
    pub op: Option<Op>,
    /// The signing key, when the body decoded as a `SignedRequest`.
    pub key: Option<[u8; 32]>,
    /// The channel the request names.
    pub channel: Option<[u8; 16]>,
    /// The request body, exactly as received.
    pub body: Vec<u8>,
    /// What was served (`None`: the connection was closed without an answer).
    pub served: Option<HttpReply>,
    /// The faults applied to this request.
    pub faults: Vec<String>,
    /// Notes, e.g. a matching log fault skipped for lack of the true history.
    pub notes: Vec<String>,
}

impl Recorded {
    /// As an [`crate::client::Exchange`], for failure reports.
    pub fn exchange(&self) -> crate::client::Exchange {
        crate::client::Exchange {
            request: HttpRequest {
                method: self.method.clone(),
                content_type: Some(crate::target::CBOR.into()),
                body: self.body.clone(),
                ..HttpRequest::default()
            },
            reply: self.served.clone().ok_or_else(|| {
                crate::target::TransportError("the proxy closed the connection (fault)".into())
            }),
        }
    }

    /// The decoded Response served, if any.
    pub fn response(&self) -> Option<Response> {
        self.served
            .as_ref()
            .and_then(|r| Response::decode(&r.body).ok())
    }
}

/// What the proxy learned from a request body.
#[derive(Clone, Debug, Default)]
struct Decoded {
    op: Option<Op>,
    key: Option<[u8; 32]>,
    channel: Option<[u8; 16]>,
    /// `log.fetch`: (since, limit).
    fetch: Option<(u64, u64)>,
}

fn decode_request(body: &[u8]) -> Decoded {
    let Ok(sr) = SignedRequest::decode(body) else {
        return Decoded::default();
    };
    let mut d = Decoded {
        key: Some(sr.key.0),
        ..Decoded::default()
    };
    // Only to route the request: the proxy is not a verifier.
    if let Ok(u) = sr.unverified_request() {
        let req = u.as_unverified();
        d.op = Some(req.op);
        d.channel = req.channel_id.map(|c| c.0);
        if let Ok(RequestBody::LogFetch(b)) = req.body() {
            d.fetch = Some((b.since.0, b.limit));
        }
    }
    d
}

#[derive(Default)]
struct State0 {
    upstream: Option<Arc<HttpTarget>>,
    rules: Vec<FaultRule>,
    records: Vec<Recorded>,
    /// Per channel, the true entries seen so far, by seq.
    truth: BTreeMap<[u8; 16], BTreeMap<u64, LogEntry>>,
}

type Shared = Arc<Mutex<State0>>;

/// A running tamper proxy; stops on drop.
pub struct Proxy {
    url: String,
    state: Shared,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    /// Starts the proxy on `127.0.0.1:0` with no upstream yet (requests answer 502 until
    /// [`Proxy::set_upstream`]).
    pub fn start() -> io::Result<Proxy> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        listener.set_nonblocking(true)?;
        let state: Shared = Arc::new(Mutex::new(State0::default()));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(16)
            .enable_all()
            .build()?;
        let (tx, rx) = oneshot::channel::<()>();
        let app = Router::new().fallback(endpoint).with_state(state.clone());
        let thread = std::thread::Builder::new()
            .name("hearth-proxy".into())
            .spawn(move || {
                rt.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let serve = axum::serve(
                        KillListener(listener),
                        app.into_make_service_with_connect_info::<KillSwitch>(),
                    );
                    tokio::select! {
                        _ = serve => {}
                        _ = rx => {}
                    }
                });
            })?;
        Ok(Proxy {
            url: format!("http://127.0.0.1:{port}/"),
            state,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// The proxy's URL: the canonical URL the host behind it is configured with.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn with<R>(&self, f: impl FnOnce(&mut State0) -> R) -> R {
        match self.state.lock() {
            Ok(mut g) => f(&mut g),
            Err(p) => f(&mut p.into_inner()),
        }
    }

    /// Forwards to the host at `url` from now on.
    pub fn set_upstream(&self, url: &str) -> Result<(), String> {
        let t = HttpTarget::new(url).map_err(|e| e.to_string())?;
        self.with(|s| s.upstream = Some(Arc::new(t)));
        Ok(())
    }

    /// Replaces the programmed faults.
    pub fn set_faults(&self, rules: Vec<FaultRule>) {
        self.with(|s| s.rules = rules);
    }

    /// Adds one fault rule.
    pub fn add_fault(&self, rule: FaultRule) {
        self.with(|s| s.rules.push(rule));
    }

    /// Removes every fault: the proxy forwards faithfully again.
    pub fn clear(&self) {
        self.with(|s| s.rules.clear());
    }

    /// Every request received so far, in order.
    pub fn records(&self) -> Vec<Recorded> {
        self.with(|s| s.records.clone())
    }

    /// The number of requests received so far (a mark for [`Proxy::records_since`]).
    pub fn mark(&self) -> usize {
        self.with(|s| s.records.len())
    }

    /// The requests received after `mark`.
    pub fn records_since(&self, mark: usize) -> Vec<Recorded> {
        self.with(|s| s.records.get(mark..).map(<[_]>::to_vec).unwrap_or_default())
    }

    /// The true log entries of `channel` the proxy has seen served, by seq.
    pub fn true_log(&self, channel: &[u8; 16]) -> Vec<LogEntry> {
        self.with(|s| {
            s.truth
                .get(channel)
                .map(|m| m.values().cloned().collect())
                .unwrap_or_default()
        })
    }

    /// Handles one request (blocking: forwards with a blocking HTTP client).
    fn handle(state: &Shared, method: &str, content_type: Option<String>, body: Vec<u8>) -> Served {
        let lock = |f: &mut dyn FnMut(&mut State0)| match state.lock() {
            Ok(mut g) => f(&mut g),
            Err(p) => f(&mut p.into_inner()),
        };
        let d = if method == "POST" {
            decode_request(&body)
        } else {
            Decoded::default()
        };
        let mut rules = Vec::new();
        let mut upstream = None;
        lock(&mut |s| {
            rules = s.rules.iter().filter(|r| r.matches(&d)).cloned().collect();
            upstream = s.upstream.clone();
        });
        let mut rec = Recorded {
            method: method.to_owned(),
            op: d.op,
            key: d.key,
            channel: d.channel,
            body: body.clone(),
            served: None,
            faults: Vec::new(),
            notes: Vec::new(),
        };
        let mut served = None;
        for r in &rules {
            match &r.fault {
                Fault::Delay(t) => {
                    rec.faults.push(format!("{:?}", r.fault));
                    std::thread::sleep(*t);
                }
                Fault::Down => {
                    rec.faults.push("Down".into());
                    served = Some(Some(HttpReply {
                        status: 503,
                        content_type: None,
                        body: Vec::new(),
                    }));
                    break;
                }
                Fault::Close => {
                    rec.faults.push("Close".into());
                    served = Some(None);
                    break;
                }
                _ => {}
            }
        }
        let served = match served {
            Some(s) => s,
            None => {
                let reply = match &upstream {
                    None => HttpReply {
                        status: 502,
                        content_type: None,
                        body: b"no upstream".to_vec(),
                    },
                    Some(t) => {
                        let req = HttpRequest {
                            method: method.to_owned(),
                            content_type: content_type.clone(),
                            accept: Some(crate::target::CBOR.into()),
                            headers: Vec::new(),
                            body,
                        };
                        t.send(&req).unwrap_or_else(|e| HttpReply {
                            status: 502,
                            content_type: None,
                            body: e.to_string().into_bytes(),
                        })
                    }
                };
                Some(rewrite(state, &d, &rules, reply, &mut rec))
            }
        };
        rec.served = served.clone();
        lock(&mut |s| s.records.push(rec.clone()));
        served
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What to serve: a reply, or `None` to close the connection without one.
type Served = Option<HttpReply>;

/// Applies the answer-rewriting faults to the upstream's reply.
fn rewrite(
    state: &Shared,
    d: &Decoded,
    rules: &[FaultRule],
    reply: HttpReply,
    rec: &mut Recorded,
) -> HttpReply {
    let Ok(resp) = Response::decode(&reply.body) else {
        return reply;
    };
    if d.op == Some(Op::LOG_FETCH) {
        let Some(channel) = d.channel else {
            return reply;
        };
        let Ok(Some(page)) = resp.result_as::<LogFetchResult>() else {
            return reply;
        };
        // Learn the truth first.
        let truth = {
            let mut g = match state.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            let known = g.truth.entry(channel).or_default();
            for e in page.entries.as_slice() {
                known.entry(e.seq.0).or_insert_with(|| e.clone());
            }
            known.clone()
        };
        let Some(rule) = rules.iter().find(|r| r.fault.is_log_fault()) else {
            return reply;
        };
        let tip = page.tip.0;
        let complete: Option<Vec<LogEntry>> = (1..=tip).map(|s| truth.get(&s).cloned()).collect();
        let Some(full) = complete else {
            rec.notes.push(format!(
                "{:?} skipped: the proxy has not seen the true log up to the tip {tip}",
                rule.fault
            ));
            return reply;
        };
        let (since, limit) = d.fetch.unwrap_or((0, u64::MAX));
        let fake = fake_history(&full, page.head.as_slice(), &rule.fault);
        let entries: Vec<LogEntry> = fake
            .entries
            .into_iter()
            .filter(|e| e.seq.0 > since)
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect();
        let (Ok(entries), Ok(head)) = (BoundedVec::new(entries), BoundedBytes::new(fake.head))
        else {
            return reply;
        };
        let new = LogFetchResult {
            entries,
            tip: Seq(fake.tip),
            head,
            epoch: page.epoch,
        };
        rec.faults.push(format!("{:?}", rule.fault));
        let out = Response {
            result: Some(RawValue::from_value(&new)),
            ..resp
        };
        return HttpReply {
            body: out.to_vec(),
            ..reply
        };
    }
    if d.op == Some(Op::WELCOME_FETCH) {
        for r in rules {
            if let Fault::ReplaceWelcome(w, gi, seq) = &r.fault {
                let result = encode_with(|e| {
                    e.map(3);
                    e.uint(1).bytes(w);
                    e.uint(2).uint(*seq);
                    e.uint(3).bytes(gi);
                });
                let Ok(raw) = RawValue::from_bytes(result) else {
                    return reply;
                };
                rec.faults.push("ReplaceWelcome".into());
                let out = Response {
                    status: ErrorCode::OK,
                    result: Some(raw),
                    detail: None,
                    ..resp
                };
                return HttpReply {
                    status: 200,
                    content_type: Some(crate::target::CBOR.into()),
                    body: out.to_vec(),
                };
            }
        }
    }
    reply
}

/// A fake log: entries (ascending, possibly with gaps), the tip and head at tip to serve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeLog {
    /// The entries.
    pub entries: Vec<LogEntry>,
    /// The tip to serve.
    pub tip: u64,
    /// The head at tip to serve.
    pub head: Vec<u8>,
}

fn flip_last(b: &mut Vec<u8>) {
    match b.last_mut() {
        Some(x) => *x ^= 0x01,
        None => b.push(0),
    }
}

fn kind_code(k: hearth_wire::EntryKind) -> u64 {
    k as u64
}

/// Recomputes the heads of `entries` (consecutive, in order) from the entry with seq `from`
/// on, with the formula of spec §9.3.
pub fn rechain(entries: &mut [LogEntry], from: u64) {
    let mut prev: Vec<u8> = Vec::new();
    for e in entries.iter_mut() {
        if e.seq.0 >= from {
            e.head = hearth_wire::Hash(next_head(&prev, e.seq.0, kind_code(e.kind), &e.bytes));
        }
        prev = e.head.0.to_vec();
    }
}

fn tip_of(entries: &[LogEntry]) -> (u64, Vec<u8>) {
    entries
        .last()
        .map_or((0, Vec::new()), |e| (e.seq.0, e.head.0.to_vec()))
}

/// The fake log a fault makes of the true one (`truth`: entries 1..=tip, consecutive; `head`:
/// the true head at tip).
pub fn fake_history(truth: &[LogEntry], head: &[u8], fault: &Fault) -> FakeLog {
    let true_tip = truth.last().map_or(0, |e| e.seq.0);
    let mut v = truth.to_vec();
    let same = |entries: Vec<LogEntry>| FakeLog {
        entries,
        tip: true_tip,
        head: head.to_vec(),
    };
    let chained = |entries: Vec<LogEntry>| {
        let (tip, head) = tip_of(&entries);
        FakeLog { entries, tip, head }
    };
    match fault {
        Fault::DropEntry(s) => {
            v.retain(|e| e.seq.0 != *s);
            same(v)
        }
        Fault::EmptyPage => same(Vec::new()),
        Fault::DuplicateEntry(s) => {
            let Some(pos) = v.iter().position(|e| e.seq.0 == *s) else {
                return same(v);
            };
            let Some(copy) = v.get(pos).cloned() else {
                return same(v);
            };
            v.insert(pos + 1, copy);
            for (i, e) in v.iter_mut().enumerate() {
                e.seq = Seq(i as u64 + 1);
            }
            rechain(&mut v, s + 1);
            chained(v)
        }
        Fault::SwapEntries(a, b) => {
            let pa = v.iter().position(|e| e.seq.0 == *a);
            let pb = v.iter().position(|e| e.seq.0 == *b);
            let (Some(pa), Some(pb)) = (pa, pb) else {
                return same(v);
            };
            let (Some(ea), Some(eb)) = (v.get(pa).cloned(), v.get(pb).cloned()) else {
                return same(v);
            };
            if let Some(x) = v.get_mut(pa) {
                x.kind = eb.kind;
                x.bytes = eb.bytes.clone();
            }
            if let Some(x) = v.get_mut(pb) {
                x.kind = ea.kind;
                x.bytes = ea.bytes;
            }
            rechain(&mut v, (*a).min(*b));
            chained(v)
        }
        Fault::AlterEntryBytes(s) => {
            if let Some(e) = v.iter_mut().find(|e| e.seq.0 == *s) {
                flip_last(&mut e.bytes);
            }
            rechain(&mut v, *s);
            chained(v)
        }
        Fault::AlterEntryKeepHeads(s) => {
            if let Some(e) = v.iter_mut().find(|e| e.seq.0 == *s) {
                flip_last(&mut e.bytes);
            }
            same(v)
        }
        Fault::LowerTip(n) => {
            v.retain(|e| e.seq.0 <= *n);
            chained(v)
        }
        Fault::EntryBeyondTip => {
            if let Some(last) = v.last().cloned() {
                v.push(LogEntry {
                    seq: Seq(last.seq.0 + 1),
                    ..last
                });
                rechain(&mut v, true_tip + 1);
            }
            same(v)
        }
        Fault::WrongTipHead => {
            let mut h = head.to_vec();
            flip_last(&mut h);
            FakeLog {
                entries: v,
                tip: true_tip,
                head: h,
            }
        }
        Fault::ForkAfter(s, repl) => {
            v.retain(|e| e.seq.0 <= *s);
            let received = truth.last().map(|e| e.received).unwrap_or_default();
            for (i, (kind, bytes)) in repl.iter().enumerate() {
                v.push(LogEntry {
                    seq: Seq(s + 1 + i as u64),
                    kind: *kind,
                    bytes: bytes.clone(),
                    head: hearth_wire::Hash([0; 32]),
                    received,
                });
            }
            rechain(&mut v, s + 1);
            chained(v)
        }
        Fault::ReplaceEntry { seq, bytes } => {
            let Some(e) = v.iter_mut().find(|e| e.seq.0 == *seq) else {
                return same(v);
            };
            e.bytes = bytes.clone();
            rechain(&mut v, *seq);
            chained(v)
        }
        Fault::WithholdEntry(s) => {
            if !v.iter().any(|e| e.seq.0 == *s) {
                return same(v);
            }
            v.retain(|e| e.seq.0 != *s);
            for (i, e) in v.iter_mut().enumerate() {
                e.seq = Seq(i as u64 + 1);
            }
            rechain(&mut v, *s);
            chained(v)
        }
        Fault::Down | Fault::Close | Fault::Delay(_) | Fault::ReplaceWelcome(..) => same(v),
    }
}

async fn endpoint(
    State(state): State<Shared>,
    ConnectInfo(kill): ConnectInfo<KillSwitch>,
    req: Request<Body>,
) -> HttpResponse {
    let method = req.method().as_str().to_owned();
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let Ok(body) = axum::body::to_bytes(req.into_body(), 64 * 1024 * 1024).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let st = state.clone();
    let served = tokio::task::spawn_blocking(move || {
        Proxy::handle(&st, &method, content_type, body.to_vec())
    })
    .await;
    match served {
        Ok(Some(r)) => {
            let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_GATEWAY);
            let mut resp = (status, r.body).into_response();
            if let Some(ct) = r.content_type.and_then(|c| c.parse().ok()) {
                resp.headers_mut().insert(header::CONTENT_TYPE, ct);
            }
            resp
        }
        Ok(None) => {
            // Fault::Close: the connection fails before a byte of the answer is written.
            kill.0.store(true, Ordering::SeqCst);
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}

/// Per connection: when set, the connection fails on its next read or write (Fault::Close).
#[derive(Clone, Debug, Default)]
struct KillSwitch(Arc<AtomicBool>);

impl Connected<IncomingStream<'_, KillListener>> for KillSwitch {
    fn connect_info(stream: IncomingStream<'_, KillListener>) -> Self {
        stream.remote_addr().clone()
    }
}

struct KillListener(tokio::net::TcpListener);

impl axum::serve::Listener for KillListener {
    type Io = KillableStream;
    type Addr = KillSwitch;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((s, _)) => {
                    let k = KillSwitch::default();
                    return (
                        KillableStream {
                            inner: s,
                            kill: k.0.clone(),
                        },
                        k,
                    );
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(KillSwitch::default())
    }
}

struct KillableStream {
    inner: tokio::net::TcpStream,
    kill: Arc<AtomicBool>,
}

fn killed() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "closed by the tamper proxy")
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.kill.load(Ordering::SeqCst) {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.kill.load(Ordering::SeqCst) {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.kill.load(Ordering::SeqCst) {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Checks that `entries` (consecutive from seq 1) chain with the formula of spec §9.3 and end
/// at `head`; returns the first seq whose served head differs, or `Some(0)` when only the head at
/// tip differs.
pub fn first_broken_link(entries: &[LogEntry], head: &[u8]) -> Option<u64> {
    let mut prev: Vec<u8> = Vec::new();
    for e in entries {
        let h = next_head(&prev, e.seq.0, kind_code(e.kind), &e.bytes);
        if h != e.head.0 {
            return Some(e.seq.0);
        }
        prev = h.to_vec();
    }
    (prev != head).then_some(0)
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;
    use hearth_wire::{EntryKind, Hash, Secs};

    fn truth(n: u64) -> (Vec<LogEntry>, Vec<u8>) {
        let mut v: Vec<LogEntry> = (1..=n)
            .map(|s| LogEntry {
                seq: Seq(s),
                kind: if s == 1 {
                    EntryKind::Create
                } else {
                    EntryKind::Msg
                },
                bytes: vec![s as u8; 8],
                head: Hash([0; 32]),
                received: Secs(1000 + s),
            })
            .collect();
        rechain(&mut v, 1);
        let head = tip_of(&v).1;
        (v, head)
    }

    fn seqs(f: &FakeLog) -> Vec<u64> {
        f.entries.iter().map(|e| e.seq.0).collect()
    }

    #[test]
    fn the_true_log_chains() {
        let (t, h) = truth(5);
        assert_eq!(first_broken_link(&t, &h), None);
    }

    #[test]
    fn drop_entry_leaves_a_gap_and_keeps_the_tip() {
        let (t, h) = truth(5);
        let f = fake_history(&t, &h, &Fault::DropEntry(3));
        assert_eq!(seqs(&f), vec![1, 2, 4, 5]);
        assert_eq!((f.tip, f.head.clone()), (5, h));
    }

    #[test]
    fn empty_page_keeps_the_tip() {
        let (t, h) = truth(3);
        let f = fake_history(&t, &h, &Fault::EmptyPage);
        assert!(f.entries.is_empty());
        assert_eq!(f.tip, 3);
    }

    #[test]
    fn alter_entry_bytes_still_chains_but_differs() {
        let (t, h) = truth(5);
        let f = fake_history(&t, &h, &Fault::AlterEntryBytes(3));
        assert_eq!(first_broken_link(&f.entries, &f.head), None);
        assert_eq!(seqs(&f), vec![1, 2, 3, 4, 5]);
        assert_ne!(
            f.entries.get(2).map(|e| &e.bytes),
            t.get(2).map(|e| &e.bytes)
        );
        assert_eq!(f.entries.get(1), t.get(1));
        assert_ne!(f.head, h);
    }

    #[test]
    fn alter_entry_keep_heads_breaks_the_chain_there() {
        let (t, h) = truth(5);
        let f = fake_history(&t, &h, &Fault::AlterEntryKeepHeads(3));
        assert_eq!(first_broken_link(&f.entries, &f.head), Some(3));
        assert_eq!(f.head, h);
    }

    #[test]
    fn duplicate_entry_shifts_and_rechains() {
        let (t, h) = truth(4);
        let f = fake_history(&t, &h, &Fault::DuplicateEntry(2));
        assert_eq!(seqs(&f), vec![1, 2, 3, 4, 5]);
        assert_eq!(f.tip, 5);
        assert_eq!(
            f.entries.get(2).map(|e| &e.bytes),
            t.get(1).map(|e| &e.bytes)
        );
        assert_eq!(
            f.entries.get(3).map(|e| &e.bytes),
            t.get(2).map(|e| &e.bytes)
        );
        assert_eq!(first_broken_link(&f.entries, &f.head), None);
    }

    #[test]
    fn swap_entries_rechains() {
        let (t, h) = truth(4);
        let f = fake_history(&t, &h, &Fault::SwapEntries(2, 3));
        assert_eq!(
            f.entries.get(1).map(|e| &e.bytes),
            t.get(2).map(|e| &e.bytes)
        );
        assert_eq!(
            f.entries.get(2).map(|e| &e.bytes),
            t.get(1).map(|e| &e.bytes)
        );
        assert_eq!(first_broken_link(&f.entries, &f.head), None);
        assert_ne!(f.head, h);
    }

    #[test]
    fn lower_tip_is_a_consistent_prefix() {
        let (t, h) = truth(5);
        let f = fake_history(&t, &h, &Fault::LowerTip(2));
        assert_eq!(seqs(&f), vec![1, 2]);
        assert_eq!(f.tip, 2);
        assert_eq!(Some(f.head.as_slice()), t.get(1).map(|e| &e.head.0[..]));
        assert_eq!(first_broken_link(&f.entries, &f.head), None);
    }

    #[test]
    fn entry_beyond_tip_and_wrong_tip_head() {
        let (t, h) = truth(3);
        let f = fake_history(&t, &h, &Fault::EntryBeyondTip);
        assert_eq!(seqs(&f), vec![1, 2, 3, 4]);
        assert_eq!(f.tip, 3);
        let f = fake_history(&t, &h, &Fault::WrongTipHead);
        assert_eq!(f.entries, t);
        assert_eq!(first_broken_link(&f.entries, &f.head), Some(0));
    }

    #[test]
    fn fork_after_serves_another_history() {
        let (t, h) = truth(4);
        let repl = vec![
            (EntryKind::Msg, vec![9u8; 4]),
            (EntryKind::Msg, vec![8u8; 4]),
        ];
        let f = fake_history(&t, &h, &Fault::ForkAfter(2, repl));
        assert_eq!(seqs(&f), vec![1, 2, 3, 4]);
        assert_eq!(f.entries.get(..2), t.get(..2));
        assert_eq!(
            f.entries.get(2).map(|e| e.bytes.clone()),
            Some(vec![9u8; 4])
        );
        assert_eq!(first_broken_link(&f.entries, &f.head), None);
        assert_ne!(f.head, h);
    }

    #[test]
    fn replace_entry_serves_other_bytes_chained() {
        let (t, h) = truth(5);
        let f = fake_history(
            &t,
            &h,
            &Fault::ReplaceEntry {
                seq: 3,
                bytes: vec![7; 5],
            },
        );
        assert_eq!(seqs(&f), vec![1, 2, 3, 4, 5]);
        assert_eq!(f.entries.get(2).map(|e| e.bytes.clone()), Some(vec![7; 5]));
        assert_eq!(f.entries.get(..2), t.get(..2));
        assert_eq!(first_broken_link(&f.entries, &f.head), None);
        assert_ne!(f.head, h);
    }

    #[test]
    fn withhold_entry_renumbers_and_rechains() {
        let (t, h) = truth(5);
        let f = fake_history(&t, &h, &Fault::WithholdEntry(3));
        assert_eq!(seqs(&f), vec![1, 2, 3, 4]);
        assert_eq!(f.tip, 4);
        assert_eq!(
            f.entries.get(2).map(|e| &e.bytes),
            t.get(3).map(|e| &e.bytes)
        );
        assert_eq!(first_broken_link(&f.entries, &f.head), None);
    }

    /// The proxy in front of a real reference host: faults hit only the targeted caller, the
    /// record holds every request, Down/Close/Delay behave as documented.
    #[test]
    fn end_to_end_through_a_reference_host() {
        use crate::client::{Client, SeededRng};
        use crate::suite::{expect_ok, verify_chain, Ctx};
        let fail = |e: String| -> ! { panic!("{e}") };
        let mut rng = SeededRng::new(7);
        let owner = rng.key();
        let proxy = Proxy::start().unwrap_or_else(|e| fail(e.to_string()));
        let host = crate::bundled::start_proxied_host(&[owner.public()], proxy.url())
            .unwrap_or_else(|e| fail(e));
        proxy
            .set_upstream(host.listen_url())
            .unwrap_or_else(|e| fail(e));
        let target = HttpTarget::new(proxy.url()).unwrap_or_else(|e| fail(e.to_string()));
        let (info, info_bytes, offset) =
            crate::suite::preflight(&target, &owner, 7).unwrap_or_else(|e| fail(e.0));
        assert_eq!(info.host_url.as_str(), proxy.url());
        let mut c = Client::new(
            &target,
            info.host_url.as_str().to_owned(),
            SeededRng::new(8),
        );
        c.clock_offset = offset;
        let ctx = Ctx {
            c,
            info,
            info_result_bytes: info_bytes,
            owner,
        };
        let ch = ctx
            .create_channel()
            .unwrap_or_else(|e| fail(format!("{e:?}")));
        for _ in 0..2 {
            let (ex, _) = ctx.post_msg(&ch, 0);
            let _: hearth_wire::request::AppendResult =
                expect_ok(&ex).unwrap_or_else(|e| fail(format!("{e:?}")));
        }
        let creator = ch.creator().public();
        let fetch = || {
            ctx.fetch_log(&ch, 0, 0, 100)
                .map(|(r, _)| r)
                .unwrap_or_else(|e| fail(format!("{e:?}")))
        };
        let truth = fetch();
        assert_eq!(truth.tip.0, 3);
        assert!(verify_chain(truth.entries.as_slice()).is_ok());
        // A fault for another caller leaves this one alone.
        proxy.set_faults(vec![
            FaultRule::new(Fault::AlterEntryKeepHeads(2)).for_key([9; 32])
        ]);
        assert_eq!(fetch(), truth);
        proxy.set_faults(vec![
            FaultRule::new(Fault::AlterEntryKeepHeads(2)).for_key(creator)
        ]);
        let r = fetch();
        assert!(verify_chain(r.entries.as_slice()).is_err());
        assert_eq!(r.head, truth.head);
        proxy.set_faults(vec![
            FaultRule::new(Fault::AlterEntryBytes(2)).on_channel(ch.id)
        ]);
        let r = fetch();
        assert!(verify_chain(r.entries.as_slice()).is_ok());
        assert_ne!(r.entries, truth.entries);
        assert_ne!(r.head, truth.head);
        proxy.set_faults(vec![FaultRule::new(Fault::LowerTip(1))]);
        let r = fetch();
        assert_eq!((r.tip.0, r.entries.len()), (1, 1));
        proxy.set_faults(vec![FaultRule::new(Fault::DropEntry(2))]);
        let seqs: Vec<u64> = fetch().entries.as_slice().iter().map(|e| e.seq.0).collect();
        assert_eq!(seqs, vec![1, 3]);
        // A page after `since` is cut from the same lie.
        proxy.set_faults(vec![FaultRule::new(Fault::DuplicateEntry(2))]);
        let (r, _) = ctx
            .fetch_log(&ch, 0, 2, 100)
            .unwrap_or_else(|e| fail(format!("{e:?}")));
        assert_eq!(r.tip.0, 4);
        assert_eq!(r.entries.as_slice().first().map(|e| e.seq.0), Some(3));
        // Down, Close, Delay.
        proxy.set_faults(vec![FaultRule::new(Fault::Down)]);
        assert_eq!(target.post(b"x").map(|r| r.status), Ok(503));
        proxy.set_faults(vec![FaultRule::new(Fault::Close)]);
        assert!(target.post(b"x").is_err());
        proxy.set_faults(vec![FaultRule::new(Fault::Delay(Duration::from_millis(
            300,
        )))]);
        let t0 = std::time::Instant::now();
        assert!(target.get().is_ok());
        assert!(t0.elapsed() >= Duration::from_millis(300));
        proxy.clear();
        assert_eq!(fetch().tip, truth.tip);
        // The record.
        let recs = proxy.records();
        assert_eq!(
            recs.iter()
                .filter(|r| r.op == Some(Op::MSG_POST) && r.key == Some(creator))
                .count(),
            2
        );
        assert!(recs.iter().any(|r| r.served.is_none()));
        assert_eq!(proxy.true_log(&ch.id).len(), 3);
    }

    #[test]
    fn decoding_garbage_yields_nothing() {
        let d = decode_request(b"\x00garbage");
        assert!(d.op.is_none() && d.key.is_none());
    }
}
