//! Family `host_verdict` (spec §8.3): signed requests and the status (and detail) a host with a
//! given configuration, clock, nonce store and channel answers. The verdict follows the check
//! order of §8.3.2 steps 2 to 14 for op 10 (`log.fetch`, whose op checks are simple) and is
//! computed with the reference library's decoders and signature verification.

use hearth_crypto::hazmat::ed25519::{Signature, VerifyingKey};
use hearth_crypto::hazmat::label;
use hearth_crypto::hazmat::labelled::{self, bstr};
use hearth_crypto::keys::MemberKey;
use hearth_wire::request::{LogFetchBody, Request, RequestBody, SignedRequest};
use hearth_wire::{
    encode_with, ChannelId, EdPublic, ErrorCode, ExtMap, HostUrl, Nonce16, Op, RawValue, Secs, Seq,
    SignedBytes, Version, WireDecode, WireEncode,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::model::{hx, Case, Expected, GenError, VectorFile, R};
use crate::util::{arr16, arr32, HOST_URL};

const NOW: u64 = 1_767_225_600;
const MAX_REQUEST: usize = 131_072;
const MAX_LOG_PAGE: u64 = 500;
const TIP: u64 = 12;

struct Config {
    cid: [u8; 16],
    members: Vec<[u8; 32]>,
    left: Vec<[u8; 32]>,
    nonce_store: Vec<([u8; 32], [u8; 16], Vec<u8>, Vec<u8>)>,
}

enum Verdict {
    Status(Expected),
    Stored(Vec<u8>),
    Ok,
}

fn st(c: ErrorCode) -> Verdict {
    Verdict::Status(Expected::status(c))
}

/// §8.3.2 steps 2 to 14 for `log.fetch`.
fn verdict(cfg: &Config, raw: &[u8]) -> Verdict {
    // Step 2.
    if raw.len() > MAX_REQUEST {
        return st(ErrorCode::TOO_LARGE);
    }
    // Steps 3, 4.
    let sr = match SignedRequest::decode(raw) {
        Ok(s) => s,
        Err(e) => return Verdict::Status(Expected::wire(e)),
    };
    // Step 5.
    let Ok(vk) = VerifyingKey::from_bytes(&sr.key.0) else {
        return st(ErrorCode::BAD_SIGNATURE);
    };
    let sig = Signature::from_bytes(&sr.signature.0);
    if labelled::verify_with_label(&vk, label::REQUEST, bstr(sr.request.as_bytes()), &sig).is_err()
    {
        return st(ErrorCode::BAD_SIGNATURE);
    }
    // Step 6 (no critical extension is implemented).
    let req = match sr.unverified_request() {
        Ok(r) => r.danger_assume_verified(),
        Err(e) => return Verdict::Status(Expected::wire(e)),
    };
    // Step 7.
    if !req.op.is_known() {
        return st(ErrorCode::UNSUPPORTED_OP);
    }
    // Step 8.
    if req.host_url.as_str() != HOST_URL {
        return st(ErrorCode::WRONG_HOST);
    }
    // Step 9.
    if req.ts.0.abs_diff(NOW) > 300 {
        return st(ErrorCode::STALE_TIMESTAMP);
    }
    // Step 10.
    if let Some((_, _, stored, resp)) = cfg
        .nonce_store
        .iter()
        .find(|(k, n, _, _)| *k == sr.key.0 && *n == req.nonce.0)
    {
        return if stored.as_slice() == raw {
            Verdict::Stored(resp.clone())
        } else {
            st(ErrorCode::REPLAY)
        };
    }
    // Step 11: no rate limit is configured. Step 12.
    let body = match req.body() {
        Ok(b) => b,
        Err(e) => return Verdict::Status(Expected::wire(e)),
    };
    // Step 13.
    let member = cfg.members.contains(&sr.key.0) && !cfg.left.contains(&sr.key.0);
    if req.channel_id.map(|c| c.0) != Some(cfg.cid) || !member {
        return st(ErrorCode::NOT_FOUND);
    }
    // Step 14.
    match body {
        RequestBody::LogFetch(b) => {
            if b.since.0 > TIP || b.limit == 0 || b.limit > MAX_LOG_PAGE {
                Verdict::Status(Expected {
                    status: ErrorCode::MALFORMED,
                    detail: Some(ErrorCode::INVALID_VALUE),
                })
            } else {
                Verdict::Ok
            }
        }
        _ => st(ErrorCode::INTERNAL),
    }
}

struct Req {
    op: Op,
    host: String,
    cid: Option<[u8; 16]>,
    ts: u64,
    nonce: [u8; 16],
    body: Vec<u8>,
    ext: Option<ExtMap>,
}

impl Req {
    fn fetch(since: u64, limit: u64) -> Req {
        Req {
            op: Op::LOG_FETCH,
            host: HOST_URL.into(),
            cid: Some(arr16(0xc1)),
            ts: NOW - 20,
            nonce: arr16(0x70),
            body: LogFetchBody {
                since: Seq(since),
                limit,
            }
            .to_vec(),
            ext: None,
        }
    }

    fn bytes(&self) -> R<Vec<u8>> {
        Ok(Request {
            op: self.op,
            host_url: HostUrl::new(self.host.clone())?,
            channel_id: self.cid.map(ChannelId),
            ts: Secs(self.ts),
            nonce: Nonce16(self.nonce),
            body: RawValue::from_bytes(self.body.clone())?,
            ext: self.ext.clone(),
        }
        .to_vec())
    }
}

fn sign(mk_seed: &[u8; 32], key_field: Option<[u8; 32]>, request_bytes: &[u8]) -> Vec<u8> {
    let mk = MemberKey::from_seed(mk_seed);
    let sig = labelled::sign_with_label(mk.signing_key(), label::REQUEST, bstr(request_bytes));
    SignedRequest {
        version: Version,
        key: EdPublic(key_field.unwrap_or(*mk.public_key().as_bytes())),
        request: SignedBytes::from_bytes(request_bytes.to_vec()),
        signature: hearth_wire::Signature(sig.to_bytes()),
    }
    .to_vec()
}

fn signed_raw(mk_seed: &[u8; 32], request_bytes: &[u8]) -> Vec<u8> {
    let mk = MemberKey::from_seed(mk_seed);
    let sig = labelled::sign_with_label(mk.signing_key(), label::REQUEST, bstr(request_bytes));
    encode_with(|e| {
        e.array(4)
            .uint(1)
            .bytes(mk.public_key().as_bytes())
            .bytes(request_bytes)
            .bytes(&sig.to_bytes());
    })
}

fn pk(seed: &[u8; 32]) -> [u8; 32] {
    *MemberKey::from_seed(seed).public_key().as_bytes()
}

/// The response the nonce store holds for the stored request (a `log.fetch` from the tip, sent
/// at `NOW - 20`): one valid hCBOR `Response` of status `ok` whose result is the
/// `LogFetchResult` a host answers then (no entries, the tip, a head, epoch 0).
fn stored_response() -> Vec<u8> {
    let mut e = hearth_wire::Encoder::new();
    e.map(4)
        .uint(1)
        .uint(1)
        .uint(2)
        .uint(0)
        .uint(3)
        .uint(NOW - 20);
    e.uint(4).map(4).uint(1).array(0).uint(2).uint(TIP);
    e.uint(3).bytes(&[0u8; 32]).uint(4).uint(0);
    e.into_bytes()
}

/// The `host_verdict` family.
#[allow(clippy::too_many_lines)]
pub fn host_verdict_family() -> R<VectorFile> {
    let m1 = arr32(0x01);
    let m2 = arr32(0x21);
    let left = arr32(0x41);
    let outsider = arr32(0x61);
    let stored_req = sign(
        &m2,
        None,
        &Req {
            nonce: arr16(0x90),
            ..Req::fetch(TIP, 10)
        }
        .bytes()?,
    );
    let stored_resp = stored_response();
    let cfg = Config {
        cid: arr16(0xc1),
        members: vec![pk(&m1), pk(&m2), pk(&left)],
        left: vec![pk(&left)],
        nonce_store: vec![(
            pk(&m2),
            arr16(0x90),
            stored_req.clone(),
            stored_resp.clone(),
        )],
    };
    let cfg_json = {
        let mut m = serde_json::Map::new();
        m.insert("host_url".into(), Value::String(HOST_URL.into()));
        m.insert("now".into(), Value::from(NOW));
        m.insert("max_request".into(), Value::from(MAX_REQUEST as u64));
        m.insert("max_log_page".into(), Value::from(MAX_LOG_PAGE));
        m.insert("rate_limit".into(), Value::String("none".into()));
        m.insert(
            "critical_extensions_implemented".into(),
            Value::Array(vec![]),
        );
        let mut ch = serde_json::Map::new();
        ch.insert("channel_id".into(), hx(&cfg.cid));
        ch.insert("tip".into(), Value::from(TIP));
        ch.insert(
            "members".into(),
            Value::Array(cfg.members.iter().map(|k| hx(k)).collect()),
        );
        ch.insert(
            "left".into(),
            Value::Array(cfg.left.iter().map(|k| hx(k)).collect()),
        );
        m.insert("channel".into(), Value::Object(ch));
        let mut ns = serde_json::Map::new();
        ns.insert("key".into(), hx(&pk(&m2)));
        ns.insert("nonce".into(), hx(&arr16(0x90)));
        ns.insert("signed_request".into(), hx(&stored_req));
        ns.insert("response".into(), hx(&stored_resp));
        m.insert("nonce_store".into(), Value::Array(vec![Value::Object(ns)]));
        Value::Object(m)
    };
    let mut items: Vec<(&str, &str, Vec<&str>, Vec<u8>)> = Vec::new();
    let ok = Req::fetch(0, 10).bytes()?;
    items.push((
        "valid-member-fetch",
        "a member's log.fetch from 0",
        vec!["HRT-API-15"],
        sign(&m1, None, &ok),
    ));
    items.push((
        "valid-since-tip",
        "since equal to the tip is allowed",
        vec!["HRT-OP-49"],
        sign(&m1, None, &Req::fetch(TIP, 1).bytes()?),
    ));
    items.push((
        "valid-limit-max",
        "limit equal to max_log_page",
        vec!["HRT-OP-49"],
        sign(&m1, None, &Req::fetch(0, MAX_LOG_PAGE).bytes()?),
    ));
    items.push((
        "valid-ts-300-early",
        "ts exactly 300 s before the clock",
        vec!["HRT-API-25"],
        sign(
            &m1,
            None,
            &Req {
                ts: NOW - 300,
                ..Req::fetch(0, 10)
            }
            .bytes()?,
        ),
    ));
    items.push((
        "valid-ts-300-late",
        "ts exactly 300 s after the clock",
        vec!["HRT-API-25"],
        sign(
            &m1,
            None,
            &Req {
                ts: NOW + 300,
                ..Req::fetch(0, 10)
            }
            .bytes()?,
        ),
    ));
    items.push((
        "retry-identical",
        "a byte-identical retry gets the stored response",
        vec!["HRT-API-28"],
        stored_req.clone(),
    ));
    // Negative.
    items.push((
        "stale-early",
        "ts 301 s before the clock",
        vec!["HRT-API-25"],
        sign(
            &m1,
            None,
            &Req {
                ts: NOW - 301,
                ..Req::fetch(0, 10)
            }
            .bytes()?,
        ),
    ));
    items.push((
        "stale-late",
        "ts 301 s after the clock",
        vec!["HRT-API-25"],
        sign(
            &m1,
            None,
            &Req {
                ts: NOW + 301,
                ..Req::fetch(0, 10)
            }
            .bytes()?,
        ),
    ));
    items.push((
        "wrong-host-trailing-slash",
        "host_url differs by a trailing slash",
        vec!["HRT-API-8"],
        sign(
            &m1,
            None,
            &Req {
                host: format!("{HOST_URL}/"),
                ..Req::fetch(0, 10)
            }
            .bytes()?,
        ),
    ));
    items.push((
        "wrong-host-case",
        "host_url differs in letter case",
        vec!["HRT-API-8"],
        sign(
            &m1,
            None,
            &Req {
                host: "https://Example.org/hearth".into(),
                ..Req::fetch(0, 10)
            }
            .bytes()?,
        ),
    ));
    items.push((
        "wrong-host-before-stale",
        "wrong host and stale: step 8 answers first",
        vec!["HRT-API-15", "HRT-API-8"],
        sign(
            &m1,
            None,
            &Req {
                host: "https://example.net/hearth".into(),
                ts: NOW - 5000,
                ..Req::fetch(0, 10)
            }
            .bytes()?,
        ),
    ));
    items.push((
        "replay-other-bytes",
        "a (key, nonce) in the nonce store with different bytes",
        vec!["HRT-API-27"],
        sign(
            &m2,
            None,
            &Req {
                nonce: arr16(0x90),
                ..Req::fetch(1, 10)
            }
            .bytes()?,
        ),
    ));
    items.push((
        "replay-but-stale",
        "a replayed nonce with a stale ts: step 9 answers first",
        vec!["HRT-API-15"],
        sign(
            &m2,
            None,
            &Req {
                nonce: arr16(0x90),
                ts: NOW - 400,
                ..Req::fetch(1, 10)
            }
            .bytes()?,
        ),
    ));
    let mut flipped = sign(&m1, None, &ok);
    if let Some(b) = flipped.last_mut() {
        *b ^= 1;
    }
    items.push((
        "bad-signature",
        "the request signature has a flipped bit",
        vec!["HRT-API-21"],
        flipped,
    ));
    items.push((
        "key-not-signer",
        "signed by another key than the one in the key field",
        vec!["HRT-API-21"],
        sign(&outsider, Some(pk(&m1)), &ok),
    ));
    let mut ident = [0u8; 32];
    ident[0] = 1;
    items.push((
        "weak-key-identity",
        "the key field is the identity point (small order)",
        vec!["HRT-API-20", "HRT-KEY-23"],
        sign(&m1, Some(ident), &ok),
    ));
    items.push((
        "weak-key-noncanonical",
        "the key field is a non-canonical encoding (y = p)",
        vec!["HRT-API-20", "HRT-KEY-23"],
        sign(
            &m1,
            Some(crate::util::unhex32(
                "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            )),
            &ok,
        ),
    ));
    let mut bad_and_stale = sign(
        &m1,
        None,
        &Req {
            ts: NOW - 5000,
            ..Req::fetch(0, 10)
        }
        .bytes()?,
    );
    if let Some(b) = bad_and_stale.last_mut() {
        *b ^= 1;
    }
    items.push((
        "bad-signature-before-stale",
        "bad signature and stale ts: step 5 answers first",
        vec!["HRT-API-15", "HRT-API-21"],
        bad_and_stale,
    ));
    let mut trailing = sign(&m1, None, &ok);
    trailing.push(0);
    items.push((
        "outer-trailing-bytes",
        "a byte after the SignedRequest",
        vec!["HRT-API-18", "HRT-WIRE-1"],
        trailing,
    ));
    let mut inner_trailing = ok.clone();
    inner_trailing.push(0);
    items.push((
        "inner-trailing-bytes",
        "request_bytes followed by a byte (signed as such)",
        vec!["HRT-API-22", "HRT-WIRE-1"],
        sign(&m1, None, &inner_trailing),
    ));
    let noncanon_inner = {
        // The Request with op 10 written as 0x18 0x0a.
        let mut b = ok.clone();
        if let Some(pos) = b.windows(2).position(|w| w == [0x01, 0x0a]) {
            b.splice(pos + 1..pos + 2, [0x18, 0x0a]);
        }
        b
    };
    items.push((
        "inner-noncanonical",
        "request_bytes with a non-shortest integer head (signed as such)",
        vec!["HRT-API-22", "HRT-WIRE-3"],
        sign(&m1, None, &noncanon_inner),
    ));
    let mut outer_nc = sign(&m1, None, &ok);
    if let Some(b) = outer_nc.first_mut() {
        *b = 0x98;
    }
    outer_nc.insert(1, 0x04);
    items.push((
        "outer-noncanonical",
        "the SignedRequest array count with a one-byte argument",
        vec!["HRT-API-18", "HRT-WIRE-3"],
        outer_nc,
    ));
    let mut v2 = sign(&m1, None, &ok);
    if let Some(b) = v2.get_mut(1) {
        *b = 0x02;
    }
    items.push((
        "version-2",
        "SignedRequest version 2",
        vec!["HRT-API-19"],
        v2,
    ));
    items.push((
        "unknown-op",
        "op 99",
        vec!["HRT-API-24"],
        sign(
            &m1,
            None,
            &Req {
                op: Op(99),
                ..Req::fetch(0, 10)
            }
            .bytes()?,
        ),
    ));
    let crit = {
        let mut m = ExtMap::new();
        let _ = &mut m;
        m
    };
    let _ = crit;
    let crit_req = {
        let mut b = Req::fetch(0, 10).bytes()?;
        // Append key 7 = {1: [1001]} (crit lists 1001, which the host does not implement) and
        // bump the map count from 6 to 7.
        if let Some(f) = b.first_mut() {
            *f = 0xa7;
        }
        b.extend_from_slice(&[
            0x07, 0xa2, 0x01, 0x81, 0x19, 0x03, 0xe9, 0x19, 0x03, 0xe9, 0x00,
        ]);
        b
    };
    items.push((
        "unknown-critical-extension",
        "a crit entry the host does not implement",
        vec!["HRT-API-23"],
        sign(&m1, None, &crit_req),
    ));
    let big = {
        let mut b = sign(&m1, None, &ok);
        b.resize(MAX_REQUEST + 1, 0);
        b
    };
    items.push((
        "oversized",
        "a body of max_request + 1 bytes",
        vec!["HRT-API-17"],
        big,
    ));
    items.push((
        "non-member",
        "a valid request by a key that is not a member",
        vec!["HRT-API-33"],
        sign(&outsider, None, &ok),
    ));
    items.push((
        "left-member",
        "a member that has left",
        vec!["HRT-API-33"],
        sign(&left, None, &ok),
    ));
    items.push((
        "unknown-channel",
        "a channel the host does not hold",
        vec!["HRT-API-33"],
        sign(
            &m1,
            None,
            &Req {
                cid: Some(arr16(0xd0)),
                ..Req::fetch(0, 10)
            }
            .bytes()?,
        ),
    ));
    items.push((
        "missing-channel-id",
        "log.fetch without channel_id",
        vec!["HRT-API-26", "HRT-API-14"],
        sign(
            &m1,
            None,
            &Req {
                cid: None,
                ..Req::fetch(0, 10)
            }
            .bytes()?,
        ),
    ));
    items.push((
        "body-wrong-type",
        "a body that is a text string",
        vec!["HRT-API-26"],
        sign(
            &m1,
            None,
            &Req {
                body: vec![0x61, 0x78],
                ..Req::fetch(0, 10)
            }
            .bytes()?,
        ),
    ));
    items.push((
        "body-unknown-key",
        "a body with an unknown key 3",
        vec!["HRT-API-26", "HRT-WIRE-12"],
        sign(
            &m1,
            None,
            &Req {
                body: vec![0xa3, 0x01, 0x00, 0x02, 0x0a, 0x03, 0x00],
                ..Req::fetch(0, 10)
            }
            .bytes()?,
        ),
    ));
    items.push((
        "since-beyond-tip",
        "since greater than the tip",
        vec!["HRT-OP-49"],
        sign(&m1, None, &Req::fetch(TIP + 1, 10).bytes()?),
    ));
    items.push((
        "limit-zero",
        "limit 0",
        vec!["HRT-OP-49"],
        sign(&m1, None, &Req::fetch(0, 0).bytes()?),
    ));
    items.push((
        "limit-over-max",
        "limit above max_log_page",
        vec!["HRT-OP-49"],
        sign(&m1, None, &Req::fetch(0, MAX_LOG_PAGE + 1).bytes()?),
    ));
    items.push((
        "raw-version-field-3",
        "an outer array whose version element is 3",
        vec!["HRT-API-19"],
        {
            let mut b = signed_raw(&m1, &ok);
            if let Some(x) = b.get_mut(1) {
                *x = 0x03;
            }
            b
        },
    ));
    let mut cases = Vec::new();
    for (slug, d, reqs, raw) in items {
        let mut c = Case::new(format!("host-{slug}"), d, &reqs)
            .input("config", cfg_json.clone())
            .input("request", hx(&raw));
        if raw.len() <= 4096 {
            c = c.mid(
                "request_diagnostic",
                hearth_wire::diag::to_diagnostic_nested(&raw),
            );
        }
        c = c.mid("request_sha256", hx(&Sha256::digest(&raw)));
        if slug.contains("-before-") {
            c = c.req("HRT-CONV-4");
        }
        if slug == "inner-noncanonical" {
            c = c.req("HRT-WIRE-18");
        }
        if slug.starts_with("valid-") {
            c = c.req("HRT-API-10");
        }
        c = match verdict(&cfg, &raw) {
            Verdict::Ok => c.out("status", Value::from(0)).out("status_name", "ok"),
            Verdict::Stored(r) => c
                .out("status", Value::from(0))
                .out("status_name", "stored_response")
                .out("response", hx(&r)),
            Verdict::Status(e) => c.err(e),
        };
        cases.push(c);
    }
    let _ = GenError("".into());
    Ok(VectorFile {
        family: "host_verdict",
        description: "Host verdicts (spec §8.3.2): given a host configuration (canonical URL, clock, limits, nonce store, one channel with its members), the status and detail the host answers a SignedRequest with. Every request is op 10 (log.fetch), so that step 14 is the two checks of HRT-OP-49. A valid request is answered `ok`; a byte-identical retry of a stored request gets the stored response."
            .into(),
        seed: "fixed inputs (member key seeds 0102..., 2122..., 4142..., outsider 6162...)".into(),
        cases,
    })
}
