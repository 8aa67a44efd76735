//! The fault language of the tamper proxy: what a fault does, which requests it applies to,
//! and the record of what the proxy received and served.

use std::time::Duration;

use hearth_wire::request::{RequestBody, Response, SignedRequest};
use hearth_wire::Op;
use hearth_wire::WireDecode;

use crate::target::{HttpReply, HttpRequest};

/// A programmed misbehaviour of the host, as the client under test sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The host is down: answer HTTP 503 with an empty body, without forwarding.
    Down,
    /// The host is gone: close the connection without any answer, without forwarding.
    Close,
    /// Wait this long before forwarding.
    Delay(Duration),
    /// Answer HTTP 200 with a `Response` of this (error) status and no result, without
    /// forwarding: a host that claims, e.g., `removed` (HRT-API-63) while its log says
    /// otherwise (HRT-GRP-91). Narrow it with [`FaultRule::on_op`] so that the log stays true.
    Status(hearth_wire::ErrorCode),
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
            Fault::Down | Fault::Close | Fault::Delay(_) | Fault::Status(_) => None,
            Fault::ReplaceWelcome(..) => Some(Op::WELCOME_FETCH),
            _ => Some(Op::LOG_FETCH),
        }
    }

    pub(super) fn is_log_fault(&self) -> bool {
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

    pub(super) fn matches(&self, r: &Decoded) -> bool {
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
pub(super) struct Decoded {
    pub(super) op: Option<Op>,
    pub(super) key: Option<[u8; 32]>,
    pub(super) channel: Option<[u8; 16]>,
    /// `log.fetch`: (since, limit).
    pub(super) fetch: Option<(u64, u64)>,
}

pub(super) fn decode_request(body: &[u8]) -> Decoded {
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
