//! Every op and every host error code through real HTTP against `hearth-host serve` on
//! 127.0.0.1 (ephemeral port, temp data dir). Test names cite the requirement IDs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use hearth_crypto::hazmat::ed25519::SigningKey;
use hearth_wire::group::GroupOp;
use hearth_wire::request::{InfoResult, Response};
use hearth_wire::{EdPublic, ErrorCode, Leaf, Role, WireDecode, WireEncode};

struct Fx {
    _dir: TempDir,
    s: Server,
    alice: SigningKey,
    ch: [u8; 16],
}

impl Fx {
    fn new(extra: &str) -> Fx {
        let dir = TempDir::new("serve");
        let s = Server::start(dir.path(), extra);
        let alice = SigningKey::generate();
        let ch = random16();
        let r = s.call(&signed(&alice, 1, Some(ch), create_body(ch, &alice, 1)));
        assert_eq!(r.status, ErrorCode::OK);
        Fx {
            _dir: dir,
            s,
            alice,
            ch,
        }
    }
    fn st(&self, b: Vec<u8>) -> ErrorCode {
        self.s.call(&b).status
    }
    fn ok(&self, b: Vec<u8>) -> Vec<u8> {
        let r = self.s.call(&b);
        assert_eq!(r.status, ErrorCode::OK, "{r:?}");
        r.result.unwrap().as_bytes().to_vec()
    }
    /// Adds a member (invite, redeem, commit); returns its key.
    fn add_member(&self, role: Role) -> SigningKey {
        let mk = SigningKey::generate();
        let auth = SigningKey::generate();
        let iid = random16();
        self.ok(signed(
            &self.alice,
            3,
            Some(self.ch),
            invite_body(iid, &auth, now() + 600),
        ));
        self.ok(signed(
            &auth,
            5,
            Some(self.ch),
            redeem_body(self.ch, iid, &auth, &mk),
        ));
        let (epoch, n) = self.state();
        let c = commit_bytes(
            &self.alice,
            self.ch,
            epoch,
            0,
            vec![add_op(&mk, role)],
            n - 1,
        );
        self.ok(signed(
            &self.alice,
            7,
            Some(self.ch),
            commit_post_body(&c, &[(pk(&mk), welcome(self.ch, epoch + 1).to_vec())]),
        ));
        mk
    }
    /// (epoch, roster size) as far as the log tells (creator + added members).
    fn state(&self) -> (u64, usize) {
        let page = self.ok(signed(
            &self.alice,
            10,
            Some(self.ch),
            log_fetch_body(0, 500),
        ));
        let r = hearth_wire::request::LogFetchResult::decode(&page).unwrap();
        let mut members = 1usize;
        for e in r.entries.as_slice() {
            if e.kind as u64 == 1 {
                let c = hearth_wire::group::Commit::decode(&e.bytes).unwrap();
                let t = c.unverified_tbs().unwrap().danger_assume_verified();
                for op in t.ops.as_slice() {
                    match op {
                        GroupOp::Add { .. } => members += 1,
                        GroupOp::Remove { .. } => members -= 1,
                        _ => {}
                    }
                }
            }
        }
        (r.epoch.0, members)
    }
}

#[test]
fn whole_conversation_over_serve() {
    let dir = TempDir::new("conv");
    let s = Server::start(dir.path(), "");
    conversation(&|b| s.post(b));
}

#[test]
fn hrt_api_2_get_returns_info_hrt_op_2_hrt_op_3() {
    let dir = TempDir::new("info");
    let s = Server::start(dir.path(), "");
    let mut resp = ureq::get(&s.url()).call().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body = resp.body_mut().read_to_vec().unwrap();
    let r = Response::decode(&body).unwrap();
    assert_eq!(r.status, ErrorCode::OK);
    let info: InfoResult = r.result_as().unwrap().unwrap();
    assert_eq!(info.host_url.as_str(), HOST_URL);
    assert_eq!(
        info.ops.as_slice().iter().map(|o| o.0).collect::<Vec<_>>(),
        (0..=14).collect::<Vec<_>>()
    );
    assert_eq!(info.limits.max_request, 131072);
    assert_eq!(info.limits.max_log_page, 500);
    // Signed POST info (op 0) gives the same result.
    let k = SigningKey::generate();
    let r2 = s.call(&signed(&k, 0, None, empty()));
    assert_eq!(r2.result, r.result);
}

#[test]
fn hrt_api_1_wrong_content_type_and_hrt_api_4_other_methods_are_malformed() {
    let dir = TempDir::new("ct");
    let s = Server::start(dir.path(), "");
    let k = SigningKey::generate();
    let body = signed(&k, 0, None, empty());
    let mut resp = ureq::post(&s.url())
        .header("Content-Type", "text/plain")
        .send(&body[..])
        .unwrap();
    let r = Response::decode(&resp.body_mut().read_to_vec().unwrap()).unwrap();
    assert_eq!(
        (r.status, r.detail),
        (ErrorCode::MALFORMED, Some(ErrorCode::WRONG_CONTENT_TYPE))
    );
    // Parameters and case are ignored.
    let mut resp = ureq::post(&s.url())
        .header("Content-Type", "Application/CBOR; charset=binary")
        .send(&body[..])
        .unwrap();
    assert_eq!(
        status(&resp.body_mut().read_to_vec().unwrap()),
        ErrorCode::OK
    );
    let (head, body) = raw_http(
        &s.addr,
        "PUT /hearth HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        b"",
    );
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head
        .to_ascii_lowercase()
        .contains("content-type: application/cbor"));
    let r = Response::decode(&body).unwrap();
    assert_eq!(
        (r.status, r.detail),
        (ErrorCode::MALFORMED, Some(ErrorCode::WRONG_CONTENT_TYPE))
    );
}

#[test]
fn hrt_api_16_content_length_over_max_request_is_too_large_without_reading() {
    let dir = TempDir::new("big");
    let s = Server::start(dir.path(), "");
    // Announce 10 MB and send nothing: the answer must come without the body.
    let (head, body) = raw_http(
        &s.addr,
        "POST /hearth HTTP/1.1\r\nHost: x\r\nContent-Type: application/cbor\r\nContent-Length: 10000000\r\n\r\n",
        b"",
    );
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(status(&body), ErrorCode::TOO_LARGE);
}

#[test]
fn hrt_api_17_chunked_body_over_max_request_is_too_large() {
    let dir = TempDir::new("chunk");
    let s = Server::start(dir.path(), "");
    let chunk = vec![0u8; 131073];
    let mut body = format!("{:x}\r\n", chunk.len()).into_bytes();
    body.extend_from_slice(&chunk);
    body.extend_from_slice(b"\r\n0\r\n\r\n");
    let (_, resp) = raw_http(
        &s.addr,
        "POST /hearth HTTP/1.1\r\nHost: x\r\nContent-Type: application/cbor\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        &body,
    );
    assert_eq!(status(&resp), ErrorCode::TOO_LARGE);
}

#[test]
fn hrt_api_18_malformed_and_noncanonical_with_detail() {
    let dir = TempDir::new("mal");
    let s = Server::start(dir.path(), "");
    let r = s.call(&[0xff]);
    assert_eq!(r.status, ErrorCode::NONCANONICAL);
    let r = s.call(&[0x84, 0x01]);
    assert_eq!(
        (r.status, r.detail),
        (ErrorCode::MALFORMED, Some(ErrorCode::UNDERRUN))
    );
    let k = SigningKey::generate();
    let mut b = signed(&k, 0, None, empty());
    // Version 1 written as 0x18 0x01: a non-shortest head.
    b.splice(1..2, [0x18, 0x01]);
    let r = s.call(&b);
    assert_eq!(
        (r.status, r.detail),
        (ErrorCode::NONCANONICAL, Some(ErrorCode::NONCANONICAL_HEAD))
    );
    let mut b = signed(&k, 0, None, empty());
    b.push(0);
    let r = s.call(&b);
    assert_eq!(
        (r.status, r.detail),
        (ErrorCode::MALFORMED, Some(ErrorCode::TRAILING_BYTES))
    );
}

#[test]
fn hrt_api_19_unsupported_version() {
    let dir = TempDir::new("ver");
    let s = Server::start(dir.path(), "");
    let mut b = signed(&SigningKey::generate(), 0, None, empty());
    b[1] = 0x02;
    let r = s.call(&b);
    assert_eq!((r.status, r.detail), (ErrorCode::UNSUPPORTED_VERSION, None));
}

#[test]
fn hrt_api_20_weak_key_and_hrt_api_21_bad_signature() {
    let dir = TempDir::new("sig");
    let s = Server::start(dir.path(), "");
    let k = SigningKey::generate();
    let mut b = signed(&k, 0, None, empty());
    let n = b.len();
    b[n - 1] ^= 1;
    assert_eq!(s.call(&b).status, ErrorCode::BAD_SIGNATURE);
    // The identity point (small order) as the key.
    let mut b = signed(&k, 0, None, empty());
    let mut id = [0u8; 32];
    id[0] = 1;
    b[4..36].copy_from_slice(&id);
    assert_eq!(s.call(&b).status, ErrorCode::BAD_SIGNATURE);
}

#[test]
fn hrt_api_22_inner_request_malformed_and_hrt_api_23_unsupported_extension() {
    let dir = TempDir::new("inner");
    let s = Server::start(dir.path(), "");
    let k = SigningKey::generate();
    // A Request with an unknown key 9.
    let req = map(&[
        (1, cb_uint(0)),
        (2, {
            let mut e = hearth_wire::Encoder::new();
            e.text(HOST_URL);
            e.into_bytes()
        }),
        (4, cb_uint(now())),
        (5, cb_bytes(&random16())),
        (6, empty()),
        (9, cb_uint(1)),
    ]);
    let r = s.call(&sign_request_bytes(&k, req));
    assert_eq!(
        (r.status, r.detail),
        (ErrorCode::MALFORMED, Some(ErrorCode::UNKNOWN_KEY))
    );
    // ext with crit naming an extension the host does not implement.
    let mut ext = hearth_wire::ExtMap::new();
    ext.insert(1000, hearth_wire::RawValue::from_value(&1u64))
        .unwrap();
    ext.mark_critical(1000).unwrap();
    let req = hearth_wire::request::Request {
        op: hearth_wire::Op(0),
        host_url: hearth_wire::BoundedText::new(HOST_URL).unwrap(),
        channel_id: None,
        ts: hearth_wire::Secs(now()),
        nonce: hearth_wire::Nonce16(random16()),
        body: hearth_wire::RawValue::empty_map(),
        ext: Some(ext),
    };
    let r = s.call(&sign_request_bytes(&k, req.to_vec()));
    assert_eq!(
        (r.status, r.detail),
        (
            ErrorCode::UNSUPPORTED_EXTENSION,
            Some(ErrorCode::UNKNOWN_CRITICAL)
        )
    );
}

#[test]
fn hrt_api_24_unsupported_op_hrt_api_8_wrong_host_hrt_api_25_stale() {
    let dir = TempDir::new("opts");
    let s = Server::start(dir.path(), "");
    let k = SigningKey::generate();
    assert_eq!(
        s.call(&signed(&k, 15, Some(random16()), empty())).status,
        ErrorCode::UNSUPPORTED_OP
    );
    let req = hearth_wire::request::Request {
        op: hearth_wire::Op(0),
        host_url: hearth_wire::BoundedText::new("http://127.0.0.1/other").unwrap(),
        channel_id: None,
        ts: hearth_wire::Secs(now()),
        nonce: hearth_wire::Nonce16(random16()),
        body: hearth_wire::RawValue::empty_map(),
        ext: None,
    };
    assert_eq!(
        s.call(&sign_request_bytes(&k, req.to_vec())).status,
        ErrorCode::WRONG_HOST
    );
    assert_eq!(
        s.call(&signed_at(&k, 0, None, empty(), now() - 400, random16()))
            .status,
        ErrorCode::STALE_TIMESTAMP
    );
    assert_eq!(
        s.call(&signed_at(&k, 0, None, empty(), now() + 400, random16()))
            .status,
        ErrorCode::STALE_TIMESTAMP
    );
    assert_eq!(
        s.call(&signed_at(&k, 0, None, empty(), now() - 250, random16()))
            .status,
        ErrorCode::OK
    );
}

#[test]
fn hrt_api_25_injected_clock_offset_moves_freshness() {
    let dir = TempDir::new("clock");
    let config = write_config(dir.path(), "");
    let s = Server::start_with(&config, &[("HEARTH_TEST_CLOCK_OFFSET", "1000")]);
    let k = SigningKey::generate();
    let r = s.call(&signed(&k, 0, None, empty()));
    assert_eq!(r.status, ErrorCode::STALE_TIMESTAMP);
    assert!(r.server_time.0 >= now() + 990);
    assert_eq!(
        s.call(&signed_at(&k, 0, None, empty(), now() + 1000, random16()))
            .status,
        ErrorCode::OK
    );
}

#[test]
fn hrt_api_28_identical_retry_gets_stored_bytes_hrt_api_27_replay() {
    let fx = Fx::new("");
    let n = random16();
    let b = signed_at(
        &fx.alice,
        9,
        Some(fx.ch),
        msg_body(&envelope(fx.ch, 0, 0, 0)),
        now(),
        n,
    );
    let first = fx.s.post(&b);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = fx.s.post(&b);
    assert_eq!(
        first, second,
        "byte-identical stored response, including server_time"
    );
    // No second log entry (HRT-LOG-2).
    let page = fx.ok(signed(&fx.alice, 10, Some(fx.ch), log_fetch_body(0, 10)));
    assert_eq!(verify_log(&page).0, 2);
    let other = signed_at(
        &fx.alice,
        9,
        Some(fx.ch),
        msg_body(&envelope(fx.ch, 0, 0, 1)),
        now(),
        n,
    );
    assert_eq!(status(&fx.s.post(&other)), ErrorCode::REPLAY);
    // Step-14 errors of an entitled caller are recorded too (HRT-API-52).
    let bad = signed(
        &fx.alice,
        9,
        Some(fx.ch),
        msg_body(&envelope(fx.ch, 5, 0, 0)),
    );
    let a = fx.s.post(&bad);
    assert_eq!(status(&a), ErrorCode::EPOCH_CONFLICT);
    assert_eq!(fx.s.post(&bad), a);
}

#[test]
fn hrt_api_46_rate_limited_not_recorded_hrt_api_31() {
    let fx = Fx::new("[rate_limit]\nburst = 3\nper_second = 0.001\n");
    // The creator's key took one token with channel.create; two more requests pass.
    let read = || signed(&fx.alice, 10, Some(fx.ch), log_fetch_body(0, 1));
    for _ in 0..2 {
        assert_eq!(fx.st(read()), ErrorCode::OK);
    }
    let b = signed(&fx.alice, 13, Some(fx.ch), map(&[(1, cb_bytes(b"x"))]));
    assert_eq!(fx.st(b.clone()), ErrorCode::RATE_LIMITED);
    assert_eq!(
        fx.st(b),
        ErrorCode::RATE_LIMITED,
        "not recorded: processed afresh"
    );
    // A stranger's key holds no rate state (HRT-API-55): its info requests are all answered.
    let k = SigningKey::generate();
    for _ in 0..5 {
        assert_eq!(fx.st(signed(&k, 0, None, empty())), ErrorCode::OK);
    }
}

#[test]
fn hrt_api_14_channel_id_presence() {
    let fx = Fx::new("");
    let r = fx.s.call(&signed(&fx.alice, 0, Some(fx.ch), empty()));
    assert_eq!(
        (r.status, r.detail),
        (ErrorCode::MALFORMED, Some(ErrorCode::UNKNOWN_KEY))
    );
    let r =
        fx.s.call(&signed(&fx.alice, 10, None, log_fetch_body(0, 1)));
    assert_eq!(
        (r.status, r.detail),
        (ErrorCode::MALFORMED, Some(ErrorCode::MISSING_KEY))
    );
}

#[test]
fn hrt_api_34_uniform_not_found() {
    let fx = Fx::new("");
    let stranger = SigningKey::generate();
    let a =
        fx.s.post(&signed(&stranger, 10, Some(fx.ch), log_fetch_body(0, 1)));
    let b = fx.s.post(&signed(
        &stranger,
        10,
        Some(random16()),
        log_fetch_body(0, 1),
    ));
    let strip = |v: &[u8]| {
        let r = Response::decode(v).unwrap();
        assert_eq!(
            (r.status, r.result.is_none(), r.detail, r.ext.is_none()),
            (ErrorCode::NOT_FOUND, true, None, true)
        );
        let mut e = hearth_wire::Encoder::new();
        e.map(3)
            .uint(1)
            .uint(1)
            .uint(2)
            .uint(8)
            .uint(3)
            .uint(r.server_time.0);
        assert_eq!(e.into_bytes(), v);
    };
    strip(&a);
    strip(&b);
}

#[test]
fn hrt_op_5_to_8_channel_create_checks() {
    let fx = Fx::new("[limits]\nmax_channels = 2\n");
    let k = SigningKey::generate();
    let ch = random16();
    assert_eq!(
        fx.st(signed(&k, 1, Some(ch), create_body(ch, &k, 2))),
        ErrorCode::UNSUPPORTED_SUITE
    );
    // Owner signature over another key: forbidden.
    assert_eq!(
        fx.st(signed(
            &k,
            1,
            Some(ch),
            create_body(ch, &SigningKey::generate(), 1)
        )),
        ErrorCode::FORBIDDEN
    );
    assert_eq!(
        fx.st(signed(&k, 1, Some(fx.ch), create_body(fx.ch, &k, 1))),
        ErrorCode::CONFLICT
    );
    assert_eq!(
        fx.st(signed(&k, 1, Some(ch), create_body(ch, &k, 1))),
        ErrorCode::OK
    );
    let ch3 = random16();
    assert_eq!(
        fx.st(signed(&k, 1, Some(ch3), create_body(ch3, &k, 1))),
        ErrorCode::LIMIT_EXCEEDED
    );
}

#[test]
fn hrt_op_65_11_channel_delete() {
    let fx = Fx::new("");
    let bob = fx.add_member(Role::Admin);
    let carol = fx.add_member(Role::Member);
    // HRT-OP-65: a plain member may not delete; any admin may, the creator included.
    assert_eq!(
        fx.st(signed(&carol, 2, Some(fx.ch), empty())),
        ErrorCode::FORBIDDEN
    );
    assert_eq!(
        fx.st(signed(&fx.alice, 2, Some(fx.ch), empty())),
        ErrorCode::OK
    );
    assert_eq!(
        fx.st(signed(&bob, 10, Some(fx.ch), log_fetch_body(0, 1))),
        ErrorCode::NOT_FOUND
    );
    // The id is free again.
    assert_eq!(
        fx.st(signed(
            &fx.alice,
            1,
            Some(fx.ch),
            create_body(fx.ch, &fx.alice, 1)
        )),
        ErrorCode::OK
    );
}

#[test]
fn hrt_op_12_to_16_invite_create_checks() {
    let fx = Fx::new("[limits]\nmax_invites = 2\n");
    let bob = fx.add_member(Role::Member);
    let auth = SigningKey::generate();
    let iid = random16();
    assert_eq!(
        fx.st(signed(
            &bob,
            3,
            Some(fx.ch),
            invite_body(iid, &auth, now() + 60)
        )),
        ErrorCode::FORBIDDEN
    );
    let r = fx.s.call(&signed(
        &fx.alice,
        3,
        Some(fx.ch),
        invite_body(iid, &auth, now()),
    ));
    assert_eq!(
        (r.status, r.detail),
        (ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))
    );
    let r = fx.s.call(&signed(
        &fx.alice,
        3,
        Some(fx.ch),
        invite_body(iid, &auth, now() + 2_592_100),
    ));
    assert_eq!(
        (r.status, r.detail),
        (ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))
    );
    let weak = map(&[
        (1, cb_bytes(&iid)),
        (2, cb_bytes(&[0u8; 32])),
        (3, cb_uint(now() + 60)),
    ]);
    assert_eq!(
        fx.st(signed(&fx.alice, 3, Some(fx.ch), weak)),
        ErrorCode::BAD_SIGNATURE
    );
    assert_eq!(
        fx.st(signed(
            &fx.alice,
            3,
            Some(fx.ch),
            invite_body(iid, &auth, now() + 60)
        )),
        ErrorCode::OK
    );
    assert_eq!(
        fx.st(signed(
            &fx.alice,
            3,
            Some(fx.ch),
            invite_body(iid, &auth, now() + 60)
        )),
        ErrorCode::CONFLICT
    );
    // add_member used one invite (now used); one more pending fits, then the limit.
    assert_eq!(
        fx.st(signed(
            &fx.alice,
            3,
            Some(fx.ch),
            invite_body(random16(), &auth, now() + 60)
        )),
        ErrorCode::OK
    );
    assert_eq!(
        fx.st(signed(
            &fx.alice,
            3,
            Some(fx.ch),
            invite_body(random16(), &auth, now() + 60)
        )),
        ErrorCode::LIMIT_EXCEEDED
    );
}

#[test]
fn hrt_op_17_18_19_59_invite_revoke() {
    let fx = Fx::new("");
    let bob = fx.add_member(Role::Member);
    let auth = SigningKey::generate();
    let iid = random16();
    fx.ok(signed(
        &fx.alice,
        3,
        Some(fx.ch),
        invite_body(iid, &auth, now() + 60),
    ));
    assert_eq!(
        fx.st(signed(&bob, 4, Some(fx.ch), map(&[(1, cb_bytes(&iid))]))),
        ErrorCode::FORBIDDEN
    );
    assert_eq!(
        fx.st(signed(
            &fx.alice,
            4,
            Some(fx.ch),
            map(&[(1, cb_bytes(&random16()))])
        )),
        ErrorCode::NOT_FOUND
    );
    assert_eq!(
        fx.st(signed(
            &fx.alice,
            4,
            Some(fx.ch),
            map(&[(1, cb_bytes(&iid))])
        )),
        ErrorCode::OK
    );
    // Revoked: a redeem finds nothing.
    let carol = SigningKey::generate();
    assert_eq!(
        fx.st(signed(
            &auth,
            5,
            Some(fx.ch),
            redeem_body(fx.ch, iid, &auth, &carol)
        )),
        ErrorCode::NOT_FOUND
    );
    // Declining a pending join (HRT-OP-59).
    let iid2 = random16();
    fx.ok(signed(
        &fx.alice,
        3,
        Some(fx.ch),
        invite_body(iid2, &auth, now() + 60),
    ));
    fx.ok(signed(
        &auth,
        5,
        Some(fx.ch),
        redeem_body(fx.ch, iid2, &auth, &carol),
    ));
    assert_eq!(
        fx.st(signed(
            &fx.alice,
            4,
            Some(fx.ch),
            map(&[(1, cb_bytes(&iid2))])
        )),
        ErrorCode::OK
    );
    let jf = fx.ok(signed(&fx.alice, 6, Some(fx.ch), empty()));
    assert_eq!(
        hearth_wire::request::JoinFetchResult::decode(&jf)
            .unwrap()
            .pending
            .len(),
        0
    );
    // A joiner already added: invite_used (HRT-OP-19). Bob's invite is the first one created.
    let dave_auth = SigningKey::generate();
    let iid3 = random16();
    let dave = SigningKey::generate();
    fx.ok(signed(
        &fx.alice,
        3,
        Some(fx.ch),
        invite_body(iid3, &dave_auth, now() + 60),
    ));
    fx.ok(signed(
        &dave_auth,
        5,
        Some(fx.ch),
        redeem_body(fx.ch, iid3, &dave_auth, &dave),
    ));
    let (epoch, n) = fx.state();
    let c = commit_bytes(
        &fx.alice,
        fx.ch,
        epoch,
        0,
        vec![add_op(&dave, Role::Member)],
        n - 1,
    );
    fx.ok(signed(
        &fx.alice,
        7,
        Some(fx.ch),
        commit_post_body(&c, &[(pk(&dave), welcome(fx.ch, epoch + 1).to_vec())]),
    ));
    assert_eq!(
        fx.st(signed(
            &fx.alice,
            4,
            Some(fx.ch),
            map(&[(1, cb_bytes(&iid3))])
        )),
        ErrorCode::INVITE_USED
    );
}

#[test]
fn hrt_op_20_to_25_invite_redeem_checks() {
    let fx = Fx::new("[limits]\nmax_pending = 1\n");
    let auth = SigningKey::generate();
    let iid = random16();
    fx.ok(signed(
        &fx.alice,
        3,
        Some(fx.ch),
        invite_body(iid, &auth, now() + 60),
    ));
    let bob = SigningKey::generate();
    // Wrong signer: uniform not_found (HRT-OP-20).
    let other = SigningKey::generate();
    assert_eq!(
        fx.st(signed(
            &other,
            5,
            Some(fx.ch),
            redeem_body(fx.ch, iid, &auth, &bob)
        )),
        ErrorCode::NOT_FOUND
    );
    // Bad pop (signed for another invite_auth key).
    assert_eq!(
        fx.st(signed(
            &auth,
            5,
            Some(fx.ch),
            redeem_body(fx.ch, iid, &other, &bob)
        )),
        ErrorCode::BAD_SIGNATURE
    );
    // Weak MK.
    let mut body = redeem_body(fx.ch, iid, &auth, &bob);
    let pos = body.windows(32).position(|w| w == pk(&bob)).unwrap();
    body[pos..pos + 32].copy_from_slice(&[0u8; 32]);
    assert_eq!(
        fx.st(signed(&auth, 5, Some(fx.ch), body)),
        ErrorCode::BAD_SIGNATURE
    );
    // MK of an existing member: conflict.
    assert_eq!(
        fx.st(signed(
            &auth,
            5,
            Some(fx.ch),
            redeem_body(fx.ch, iid, &auth, &fx.alice)
        )),
        ErrorCode::CONFLICT
    );
    assert_eq!(
        fx.st(signed(
            &auth,
            5,
            Some(fx.ch),
            redeem_body(fx.ch, iid, &auth, &bob)
        )),
        ErrorCode::OK
    );
    assert_eq!(
        fx.st(signed(
            &auth,
            5,
            Some(fx.ch),
            redeem_body(fx.ch, iid, &auth, &other)
        )),
        ErrorCode::INVITE_USED
    );
    // max_pending = 1 reached.
    let auth2 = SigningKey::generate();
    let iid2 = random16();
    fx.ok(signed(
        &fx.alice,
        3,
        Some(fx.ch),
        invite_body(iid2, &auth2, now() + 60),
    ));
    assert_eq!(
        fx.st(signed(
            &auth2,
            5,
            Some(fx.ch),
            redeem_body(fx.ch, iid2, &auth2, &bob)
        )),
        ErrorCode::CONFLICT
    );
    assert_eq!(
        fx.st(signed(
            &auth2,
            5,
            Some(fx.ch),
            redeem_body(fx.ch, iid2, &auth2, &other)
        )),
        ErrorCode::LIMIT_EXCEEDED
    );
}

#[test]
fn hrt_op_22_invite_expired_with_injected_clock() {
    let dir = TempDir::new("exp");
    let config = write_config(dir.path(), "");
    let alice = SigningKey::generate();
    let ch = random16();
    let auth = SigningKey::generate();
    let iid = random16();
    {
        let s = Server::start_with(&config, &[]);
        assert_eq!(
            s.call(&signed(&alice, 1, Some(ch), create_body(ch, &alice, 1)))
                .status,
            ErrorCode::OK
        );
        assert_eq!(
            s.call(&signed(
                &alice,
                3,
                Some(ch),
                invite_body(iid, &auth, now() + 100)
            ))
            .status,
            ErrorCode::OK
        );
    }
    let s = Server::start_with(&config, &[("HEARTH_TEST_CLOCK_OFFSET", "200")]);
    let b = signed_at(
        &auth,
        5,
        Some(ch),
        redeem_body(ch, iid, &auth, &SigningKey::generate()),
        now() + 200,
        random16(),
    );
    assert_eq!(s.call(&b).status, ErrorCode::INVITE_EXPIRED);
}

#[test]
fn hrt_op_28_29_join_fetch() {
    let fx = Fx::new("");
    let bob = fx.add_member(Role::Member);
    assert_eq!(
        fx.st(signed(&bob, 6, Some(fx.ch), empty())),
        ErrorCode::FORBIDDEN
    );
    let jf = fx.ok(signed(&fx.alice, 6, Some(fx.ch), empty()));
    assert_eq!(
        hearth_wire::request::JoinFetchResult::decode(&jf)
            .unwrap()
            .pending
            .len(),
        0
    );
}

#[test]
fn hrt_op_30_to_40_commit_checks() {
    let fx = Fx::new("[limits]\nmax_members = 2\n");
    let bob = fx.add_member(Role::Member);
    let ch = fx.ch;
    let post = |k: &SigningKey, c: Vec<u8>, w: &[([u8; 32], Vec<u8>)]| {
        fx.s.call(&signed(k, 7, Some(ch), commit_post_body(&c, w)))
    };
    // 1: another channel (HRT-OP-30).
    let r = post(
        &fx.alice,
        commit_bytes(&fx.alice, random16(), 1, 0, vec![], 1),
        &[],
    );
    assert_eq!(
        (r.status, r.detail),
        (ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))
    );
    // 3: wrong epoch (HRT-OP-32).
    assert_eq!(
        post(&fx.alice, commit_bytes(&fx.alice, ch, 0, 0, vec![], 1), &[]).status,
        ErrorCode::EPOCH_CONFLICT
    );
    // 4: committer leaf not the key (HRT-OP-33).
    assert_eq!(
        post(&fx.alice, commit_bytes(&fx.alice, ch, 1, 1, vec![], 1), &[]).status,
        ErrorCode::FORBIDDEN
    );
    // 5: signature by another key (HRT-OP-34).
    assert_eq!(
        post(&fx.alice, commit_bytes(&bob, ch, 1, 0, vec![], 1), &[]).status,
        ErrorCode::BAD_SIGNATURE
    );
    // 6: leaf out of range (HRT-OP-35).
    let r = post(
        &fx.alice,
        commit_bytes(
            &fx.alice,
            ch,
            1,
            0,
            vec![GroupOp::Remove { leaf: Leaf(9) }],
            1,
        ),
        &[],
    );
    assert_eq!(
        (r.status, r.detail),
        (ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))
    );
    // 6: small-order init key in an AddOp.
    let r = post(
        &fx.alice,
        commit_bytes(
            &fx.alice,
            ch,
            1,
            0,
            vec![GroupOp::Add {
                member_key: EdPublic(pk(&SigningKey::generate())),
                init_key: hearth_wire::XPublic([0u8; 32]).into(),
                role: Role::Member,
            }],
            1,
        ),
        &[],
    );
    assert_eq!(r.status, ErrorCode::MALFORMED);
    // 7: a plain member removing someone who has not left; adding a non-pending key (HRT-OP-36).
    assert_eq!(
        post(
            &bob,
            commit_bytes(&bob, ch, 1, 1, vec![GroupOp::Remove { leaf: Leaf(0) }], 0),
            &[]
        )
        .status,
        ErrorCode::FORBIDDEN
    );
    let stranger = SigningKey::generate();
    assert_eq!(
        post(
            &fx.alice,
            commit_bytes(
                &fx.alice,
                ch,
                1,
                0,
                vec![add_op(&stranger, Role::Member)],
                1
            ),
            &[(pk(&stranger), welcome(ch, 2).to_vec())]
        )
        .status,
        ErrorCode::FORBIDDEN
    );
    // 8: demoting the only admin (HRT-OP-38); leaf 0 role change is forbidden anyway.
    assert_eq!(
        post(
            &fx.alice,
            commit_bytes(
                &fx.alice,
                ch,
                1,
                0,
                vec![GroupOp::Role {
                    leaf: Leaf(0),
                    role: Role::Member
                }],
                1
            ),
            &[]
        )
        .status,
        ErrorCode::FORBIDDEN
    );
    // 8: max_members = 2 (HRT-OP-37).
    let auth = SigningKey::generate();
    let iid = random16();
    let carol = SigningKey::generate();
    fx.ok(signed(
        &fx.alice,
        3,
        Some(ch),
        invite_body(iid, &auth, now() + 60),
    ));
    fx.ok(signed(
        &auth,
        5,
        Some(ch),
        redeem_body(ch, iid, &auth, &carol),
    ));
    assert_eq!(
        post(
            &fx.alice,
            commit_bytes(&fx.alice, ch, 1, 0, vec![add_op(&carol, Role::Member)], 1),
            &[(pk(&carol), welcome(ch, 2).to_vec())]
        )
        .status,
        ErrorCode::LIMIT_EXCEEDED
    );
    // 9: sealed count (HRT-OP-39).
    let r = post(&fx.alice, commit_bytes(&fx.alice, ch, 1, 0, vec![], 0), &[]);
    assert_eq!(
        (r.status, r.detail),
        (ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))
    );
    // 10: welcome for a key not added (HRT-OP-40).
    let r = post(
        &fx.alice,
        commit_bytes(&fx.alice, ch, 1, 0, vec![], 1),
        &[(pk(&carol), welcome(ch, 2).to_vec())],
    );
    assert_eq!(
        (r.status, r.detail),
        (ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))
    );
    // Nothing of the above changed the epoch; a plain update by bob with a RotateOp works.
    let bob2 = SigningKey::generate();
    let r = post(
        &bob,
        commit_bytes(
            &bob,
            ch,
            1,
            1,
            vec![GroupOp::Rotate {
                member_key: EdPublic(pk(&bob2)),
            }],
            1,
        ),
        &[],
    );
    assert_eq!(r.status, ErrorCode::OK);
    // The rotated key now owns leaf 1 (HRT-OP-1): the old key is not a member any more.
    assert_eq!(
        fx.st(signed(&bob, 9, Some(ch), msg_body(&envelope(ch, 2, 1, 0)))),
        ErrorCode::NOT_FOUND
    );
    assert_eq!(
        fx.st(signed(&bob2, 9, Some(ch), msg_body(&envelope(ch, 2, 1, 0)))),
        ErrorCode::OK
    );
}

#[test]
fn hrt_op_31_commit_unsupported_suite_and_step_12_unsupported_version() {
    let fx = Fx::new("");
    let ch = fx.ch;
    // A TBS with suite 2.
    let c = commit_bytes(&fx.alice, ch, 0, 0, vec![], 0);
    let mut commit = hearth_wire::group::Commit::decode(&c).unwrap();
    let mut tbs = commit.unverified_tbs().unwrap().danger_assume_verified();
    tbs.suite = hearth_wire::Suite(2);
    let tbs_bytes = tbs.to_vec();
    let sig = hearth_crypto::hazmat::labelled::sign_with_label(
        &fx.alice,
        hearth_crypto::hazmat::label::COMMIT,
        hearth_crypto::hazmat::labelled::bstr(&tbs_bytes),
    );
    commit.tbs = hearth_wire::SignedBytes::from_bytes(tbs_bytes);
    commit.signature = hearth_wire::Signature(sig.to_bytes());
    assert_eq!(
        fx.st(signed(
            &fx.alice,
            7,
            Some(ch),
            commit_post_body(&commit.to_vec(), &[])
        )),
        ErrorCode::UNSUPPORTED_SUITE
    );
    // A Welcome with version 2 inside the body: unsupported_version at step 12.
    let mut w = welcome(ch, 1).to_vec();
    assert_eq!(&w[..3], &[0xa5, 0x01, 0x01]);
    w[2] = 0x02;
    let c = commit_bytes(&fx.alice, ch, 0, 0, vec![], 0);
    assert_eq!(
        fx.st(signed(
            &fx.alice,
            7,
            Some(ch),
            commit_post_body(&c, &[(pk(&fx.alice), w)])
        )),
        ErrorCode::UNSUPPORTED_VERSION
    );
}

#[test]
fn hrt_op_44_to_48_msg_post_checks() {
    let fx = Fx::new("");
    let bob = fx.add_member(Role::Member);
    let ch = fx.ch;
    let r = fx.s.call(&signed(
        &fx.alice,
        9,
        Some(ch),
        msg_body(&envelope(random16(), 1, 0, 0)),
    ));
    assert_eq!(
        (r.status, r.detail),
        (ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))
    );
    let mut env = hearth_wire::envelope::Envelope::decode(&envelope(ch, 1, 0, 0)).unwrap();
    env.suite = hearth_wire::Suite(3);
    assert_eq!(
        fx.st(signed(&fx.alice, 9, Some(ch), msg_body(&env.to_vec()))),
        ErrorCode::UNSUPPORTED_SUITE
    );
    assert_eq!(
        fx.st(signed(
            &fx.alice,
            9,
            Some(ch),
            msg_body(&envelope(ch, 0, 0, 0))
        )),
        ErrorCode::EPOCH_CONFLICT
    );
    assert_eq!(
        fx.st(signed(&bob, 9, Some(ch), msg_body(&envelope(ch, 1, 0, 0)))),
        ErrorCode::FORBIDDEN
    );
    let e = envelope(ch, 1, 1, 0);
    let res = fx.ok(signed(&bob, 9, Some(ch), msg_body(&e)));
    let r = hearth_wire::request::AppendResult::decode(&res).unwrap();
    let page = fx.ok(signed(&bob, 10, Some(ch), log_fetch_body(r.seq.0 - 1, 1)));
    let lf = hearth_wire::request::LogFetchResult::decode(&page).unwrap();
    assert_eq!(
        lf.entries.as_slice()[0].bytes,
        e,
        "exact envelope bytes (HRT-OP-48)"
    );
    assert_eq!(lf.entries.as_slice()[0].head, r.head, "HRT-LOG-6");
    // An envelope with version 2: unsupported_version at step 12.
    let mut v2 = envelope(ch, 1, 1, 1);
    v2[1] = 0x02;
    assert_eq!(
        fx.st(signed(&bob, 9, Some(ch), msg_body(&v2))),
        ErrorCode::UNSUPPORTED_VERSION
    );
}

#[test]
fn hrt_op_49_50_log_fetch_bounds_and_chain() {
    let fx = Fx::new("");
    for g in 0..5 {
        fx.ok(signed(
            &fx.alice,
            9,
            Some(fx.ch),
            msg_body(&envelope(fx.ch, 0, 0, g)),
        ));
    }
    let r =
        fx.s.call(&signed(&fx.alice, 10, Some(fx.ch), log_fetch_body(7, 1)));
    assert_eq!(
        (r.status, r.detail),
        (ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))
    );
    let r =
        fx.s.call(&signed(&fx.alice, 10, Some(fx.ch), log_fetch_body(0, 0)));
    assert_eq!(
        (r.status, r.detail),
        (ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))
    );
    let r =
        fx.s.call(&signed(&fx.alice, 10, Some(fx.ch), log_fetch_body(0, 501)));
    assert_eq!(
        (r.status, r.detail),
        (ErrorCode::MALFORMED, Some(ErrorCode::INVALID_VALUE))
    );
    let page = fx.ok(signed(&fx.alice, 10, Some(fx.ch), log_fetch_body(0, 500)));
    assert_eq!(verify_log(&page).0, 6);
    let page = fx.ok(signed(&fx.alice, 10, Some(fx.ch), log_fetch_body(2, 2)));
    let lf = hearth_wire::request::LogFetchResult::decode(&page).unwrap();
    assert_eq!(
        lf.entries
            .as_slice()
            .iter()
            .map(|e| e.seq.0)
            .collect::<Vec<_>>(),
        vec![3, 4]
    );
    assert_eq!((lf.tip.0, lf.epoch.0), (6, 0));
    let page = fx.ok(signed(&fx.alice, 10, Some(fx.ch), log_fetch_body(6, 10)));
    assert_eq!(
        hearth_wire::request::LogFetchResult::decode(&page)
            .unwrap()
            .entries
            .len(),
        0
    );
}

#[test]
fn hrt_op_51_52_welcome_fetch() {
    let fx = Fx::new("");
    let stranger = SigningKey::generate();
    assert_eq!(
        fx.st(signed(&stranger, 11, Some(fx.ch), empty())),
        ErrorCode::NOT_FOUND
    );
    let bob = fx.add_member(Role::Member);
    let wf = fx.ok(signed(&bob, 11, Some(fx.ch), empty()));
    assert_eq!(
        hearth_wire::request::WelcomeFetchResult::decode(&wf)
            .unwrap()
            .seq
            .0,
        2
    );
}

#[test]
fn hrt_op_66_54_member_leave() {
    let fx = Fx::new("");
    let bob = fx.add_member(Role::Member);
    // HRT-OP-66: the only admin may not leave.
    assert_eq!(
        fx.st(signed(&fx.alice, 12, Some(fx.ch), empty())),
        ErrorCode::FORBIDDEN
    );
    assert_eq!(fx.st(signed(&bob, 12, Some(fx.ch), empty())), ErrorCode::OK);
    assert_eq!(
        fx.st(signed(&bob, 10, Some(fx.ch), log_fetch_body(0, 1))),
        ErrorCode::NOT_FOUND
    );
    assert_eq!(
        fx.st(signed(&bob, 11, Some(fx.ch), empty())),
        ErrorCode::NOT_FOUND
    );
    // Any member may remove a member that left: here the creator with a plain RemoveOp.
    let (epoch, _) = fx.state();
    let c = commit_bytes(
        &fx.alice,
        fx.ch,
        epoch,
        0,
        vec![GroupOp::Remove { leaf: Leaf(1) }],
        0,
    );
    assert_eq!(
        fx.st(signed(&fx.alice, 7, Some(fx.ch), commit_post_body(&c, &[]))),
        ErrorCode::OK
    );
    // A member that left and was then removed is not kept as removed (spec §8.3.4).
    assert_eq!(
        fx.st(signed(&bob, 10, Some(fx.ch), log_fetch_body(0, 1))),
        ErrorCode::NOT_FOUND
    );
}

#[test]
fn hrt_op_55_to_58_blobs() {
    let fx = Fx::new("[limits]\nmax_blobs = 1\n");
    let put = |d: &[u8]| {
        fx.s.call(&signed(
            &fx.alice,
            13,
            Some(fx.ch),
            map(&[(1, cb_bytes(d))]),
        ))
    };
    let r = put(b"one");
    assert_eq!(r.status, ErrorCode::OK);
    let id1 = hearth_wire::request::BlobPutResult::decode(r.result.unwrap().as_bytes())
        .unwrap()
        .id;
    let expect = hearth_crypto::hazmat::labelled::h(
        hearth_crypto::hazmat::label::BLOB,
        hearth_crypto::hazmat::labelled::bstr(b"one"),
    );
    assert_eq!(id1.0, expect, "HRT-OP-57");
    assert_eq!(
        put(b"one").status,
        ErrorCode::OK,
        "same data again is not counted"
    );
    assert_eq!(put(b"two").status, ErrorCode::LIMIT_EXCEEDED);
    // HRT-OP-55: data over max_blob is too_large (checked before the count limit).
    let r = put(&vec![0u8; 65553]);
    assert_eq!((r.status, r.detail), (ErrorCode::TOO_LARGE, None));
    assert_eq!(
        fx.st(signed(
            &fx.alice,
            14,
            Some(fx.ch),
            map(&[(1, cb_bytes(&[9u8; 32]))])
        )),
        ErrorCode::NOT_FOUND
    );
    let got = fx.ok(signed(
        &fx.alice,
        14,
        Some(fx.ch),
        map(&[(1, cb_bytes(&id1.0))]),
    ));
    assert_eq!(
        hearth_wire::request::BlobGetResult::decode(&got)
            .unwrap()
            .data,
        b"one"
    );
}

#[test]
fn hrt_op_43_commit_report_logs_exact_request() {
    let fx = Fx::new("");
    let b = signed(
        &fx.alice,
        8,
        Some(fx.ch),
        map(&[(1, cb_uint(1)), (2, cb_uint(70))]),
    );
    fx.ok(b.clone());
    let page = fx.ok(signed(&fx.alice, 10, Some(fx.ch), log_fetch_body(0, 10)));
    let (_, entries) = verify_log(&page);
    assert_eq!(entries[1].kind as u64, 4);
    assert_eq!(entries[1].bytes, b);
    assert_eq!(entries[0].kind as u64, 0, "HRT-OP-9: entry 1 is create");
}
