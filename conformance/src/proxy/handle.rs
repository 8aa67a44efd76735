//! One request through the proxy: the faults that replace the answer (down, close, delay), the
//! forward to the upstream host, and the faults that rewrite its answer.

use hearth_wire::log::LogEntry;
use hearth_wire::request::{LogFetchResult, Response};
use hearth_wire::{encode_with, BoundedBytes, BoundedVec, RawValue, Seq, WireDecode, WireEncode};
use hearth_wire::{ErrorCode, Op};

use super::fault::{decode_request, Decoded, Fault, FaultRule, Recorded};
use super::lie::fake_history;
use super::{Shared, State0};
use crate::target::{HttpReply, HttpRequest, Target};

/// What to serve: a reply, or `None` to close the connection without one.
pub(super) type Served = Option<HttpReply>;

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

/// A `Response` with `status`, the proxy's clock and no result (what a host answers a request it
/// refuses), as HTTP 200.
fn status_reply(status: ErrorCode) -> HttpReply {
    let out = Response {
        version: hearth_wire::Version,
        status,
        server_time: hearth_wire::Secs(crate::client::unix_now()),
        result: None,
        detail: None,
        ext: None,
    };
    HttpReply {
        status: 200,
        content_type: Some(crate::target::CBOR.into()),
        body: out.to_vec(),
    }
}

/// Handles one request (blocking: forwards with a blocking HTTP client).
pub(super) fn handle(
    state: &Shared,
    method: &str,
    content_type: Option<String>,
    body: Vec<u8>,
) -> Served {
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
            Fault::Status(code) => {
                rec.faults.push(format!("{:?}", r.fault));
                served = Some(Some(status_reply(*code)));
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

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn a_status_fault_answers_that_status() {
        let reply = status_reply(ErrorCode::REMOVED);
        assert_eq!(reply.status, 200);
        let r = Response::decode(&reply.body).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(r.status, ErrorCode::REMOVED);
        assert!(r.result.is_none());
    }

    #[test]
    fn decoding_garbage_yields_nothing() {
        let d = decode_request(b"\x00garbage");
        assert!(d.op.is_none() && d.key.is_none());
    }
}
