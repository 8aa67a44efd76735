//! Structure-level behaviour that the input files cannot show: signed bytes kept exactly,
//! unverified inner values, typed bodies by op and content type, padding, URIs.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use hearth_wire::envelope::{pad_len, ContentBody, Envelope, SealedContent};
use hearth_wire::group::{Commit, GroupOp};
use hearth_wire::invite::uri::check_host_url;
use hearth_wire::invite::uri::invite_check;
use hearth_wire::invite::{base64url, Invite, InviteUri};
use hearth_wire::request::{Request, RequestBody, Response, SignedRequest};
use hearth_wire::*;

#[test]
fn hrt_wire_18_signed_request_keeps_exact_bytes_and_defers_inner_decoding() {
    // The inner bytes are not canonical (a non-shortest op) but the outer item is: the outer
    // decode succeeds (the host checks the signature first), the inner decode fails.
    let mut inner = common::request(Op::INFO, RawValue::empty_map()).to_vec();
    assert_eq!(&inner[..2], &[0xa6, 0x01]);
    inner.splice(1..1, [0x01]); // {1: ...} -> key 1 now followed by garbage
    let sr = encode_with(|e| {
        e.array(4)
            .uint(1)
            .bytes(&[0x82; 32])
            .bytes(&inner)
            .bytes(&[0x83; 64]);
    });
    // Stages 1 to 3 of spec §2.4.1 (the host's steps 3 and 4) accept the bytes and keep the
    // payload exactly; its decode (stage 4, the host's step 6) fails.
    let decoded = SignedRequest::decode_outer(&sr).unwrap();
    assert_eq!(decoded.request.as_bytes(), &inner[..]);
    assert!(decoded.unverified_request().is_err());
    assert_eq!(decoded.to_vec(), sr);
    // The whole decode includes stage 4 (HRT-WIRE-17, HRT-WIRE-23).
    assert_eq!(
        SignedRequest::decode(&sr).map(drop),
        decoded.unverified_request().map(drop)
    );
    // A defect of the outer structure is reported before one in the payload, in both modes.
    let mut bad = sr.clone();
    // The signature's head `58 40` becomes `58 3f`: a 63-byte signature.
    let head = bad.len() - 66;
    assert_eq!(&bad[head..head + 2], &[0x58, 0x40]);
    bad[head + 1] = 0x3f;
    bad.truncate(head + 2 + 0x3f);
    assert_eq!(
        SignedRequest::decode(&bad).map(drop),
        Err(WireError::WrongSize)
    );
    assert_eq!(
        SignedRequest::decode_outer(&bad).map(drop),
        Err(WireError::WrongSize)
    );
}

#[test]
fn hrt_wire_20_unverified_request_releases_only_through_danger() {
    let sr = common::signed_request(
        Op::LOG_FETCH,
        RawValue::from_value(&hearth_wire::request::LogFetchBody {
            since: Seq(0),
            limit: 10,
        }),
    );
    let bytes = sr.to_vec();
    let back = SignedRequest::decode(&bytes).unwrap();
    let u = back.unverified_request().unwrap();
    assert_eq!(u.as_unverified().op, Op::LOG_FETCH);
    let req: Request = u.danger_assume_verified();
    assert!(matches!(req.body().unwrap(), RequestBody::LogFetch(_)));
}

#[test]
fn every_op_body_decodes_by_op() {
    for (op, body) in common::op_bodies() {
        let req = common::request(op, body);
        let back = Request::decode(&req.to_vec()).unwrap();
        assert!(back.body().is_ok(), "{op:?}");
    }
    let unknown = common::request(Op(999), RawValue::empty_map());
    assert_eq!(unknown.body(), Err(WireError::UnsupportedOp));
    // A body of the wrong shape for its op.
    let bad = common::request(Op::BLOB_GET, RawValue::empty_map());
    assert_eq!(bad.body(), Err(WireError::MissingKey));
    let null = common::request(Op::INFO, RawValue::from_bytes(vec![0xf6]).unwrap());
    assert_eq!(null.body(), Err(WireError::WrongType));
}

#[test]
fn content_bodies_and_unknown_types() {
    let c = common::content();
    assert!(matches!(c.body().unwrap(), ContentBody::Text(_)));
    let mut u = c.clone();
    u.content_type = ContentType(0x0A0A);
    assert!(matches!(
        u.body().unwrap(),
        ContentBody::Unknown(ContentType(0x0A0A), _)
    ));
    let mut bad = c;
    bad.content_type = ContentType::DELETE;
    assert_eq!(bad.body(), Err(WireError::WrongType));
}

#[test]
fn commit_tbs_is_unverified_until_checked() {
    let c = common::commit(3);
    let back = Commit::decode(&c.to_vec()).unwrap();
    let tbs = back.unverified_tbs().unwrap();
    assert_eq!(tbs.as_unverified().committer, Leaf(0));
    assert_eq!(tbs.as_unverified().sealed.len(), 3);
}

#[test]
fn group_op_array_lengths() {
    let add = encode_with(|e| {
        e.array(3).uint(0).bytes(&[1; 32]).bytes(&[2; 32]);
    });
    assert_eq!(GroupOp::decode(&add), Err(WireError::MissingKey));
    let rm = encode_with(|e| {
        e.array(3).uint(1).uint(0).uint(0);
    });
    assert_eq!(GroupOp::decode(&rm), Err(WireError::ExtraElements));
    assert_eq!(GroupOp::decode(&[0x80]), Err(WireError::MissingKey));
}

#[test]
fn response_results() {
    let r = common::ok_response(RawValue::from_value(&common::info_result()));
    let back = Response::decode(&r.to_vec()).unwrap();
    let info = back
        .result_as::<hearth_wire::request::InfoResult>()
        .unwrap()
        .unwrap();
    assert_eq!(info, common::info_result());
}

/// HRT-WIRE-25: the versions, suites and ops of an `InfoResult` are strictly increasing; a
/// list out of order or with a repeated element is `invalid_value`, on decoding and on
/// construction.
#[test]
fn hrt_wire_25_info_result_lists_strictly_increasing() {
    assert_eq!(
        Increasing::<Op, 1, 64>::new(vec![Op(2), Op(1)]),
        Err(WireError::InvalidValue)
    );
    assert_eq!(
        Increasing::<u64, 1, 8>::new(vec![1, 1]),
        Err(WireError::InvalidValue)
    );
    let info = |versions: &[u64], suites: &[u64], ops: &[u64]| {
        encode_with(|e| {
            e.map(5).uint(1).array(versions.len());
            for v in versions {
                e.uint(*v);
            }
            e.uint(2).array(suites.len());
            for v in suites {
                e.uint(*v);
            }
            e.uint(3)
                .text("https://hearth.example/")
                .uint(4)
                .raw(&common::limits().to_vec())
                .uint(5)
                .array(ops.len());
            for v in ops {
                e.uint(*v);
            }
        })
    };
    let decode = |b: &[u8]| hearth_wire::request::InfoResult::decode(b).map(drop);
    assert_eq!(decode(&info(&[1, 2], &[1, 2], &[0, 1])), Ok(()));
    for bad in [
        info(&[2, 1], &[1], &[0]),
        info(&[1, 1], &[1], &[0]),
        info(&[1], &[2, 1], &[0]),
        info(&[1], &[1, 1], &[0]),
        info(&[1], &[1], &[1, 0]),
        info(&[1], &[1], &[0, 0]),
    ] {
        assert_eq!(decode(&bad), Err(WireError::InvalidValue));
    }
}

#[test]
fn sealed_content_with_padding() {
    let sc = common::sealed_content();
    let enc = sc.to_vec();
    let mut pt = enc.clone();
    pt.resize(pad_len(enc.len()), 0);
    let (back, l) = SealedContent::decode_padded(&pt).unwrap();
    assert_eq!(l, enc.len());
    assert_eq!(back, sc);
    // Strict decoding of the padded plaintext is trailing bytes.
    assert_eq!(SealedContent::decode(&pt), Err(WireError::TrailingBytes));
    let content = back.unverified_content().unwrap().danger_assume_verified();
    assert_eq!(content, common::content());
    // Empty content bytes.
    let empty = encode_with(|e| {
        e.array(2).bytes(&[]).bytes(&[0; 64]);
    });
    assert_eq!(SealedContent::decode(&empty), Err(WireError::WrongSize));
}

#[test]
fn envelope_aad_is_the_received_header() {
    let env = common::envelope(100);
    let bytes = env.to_vec();
    let aad = Envelope::aad_from_received(&bytes).unwrap();
    assert_eq!(aad, env.header().to_vec());
}

#[test]
fn unknown_critical_extension_understood_by_caller() {
    let mut jr = common::join_request();
    let mut ext = ExtMap::new();
    ext.insert(1000, RawValue::from_value(&5u64)).unwrap();
    ext.mark_critical(1000).unwrap();
    jr.ext = Some(ext);
    let b = jr.to_vec();
    type J = hearth_wire::join::JoinRequest;
    assert_eq!(J::decode(&b), Err(WireError::UnknownCritical));
    assert_eq!(J::decode_with(&b, &Profile::DEFAULT, &[1000]).unwrap(), jr);
}

// ---- invitation text form (spec §5) ----

fn framed(bytes: &[u8]) -> String {
    let mut b = bytes.to_vec();
    b.extend_from_slice(&invite_check(bytes));
    format!("hearth:{}", base64url::encode(&b))
}

fn uri_text(host: &str) -> String {
    framed(&common::invite_on(host).to_vec())
}

#[test]
fn hrt_inv_52_invite_uri_round_trip() {
    let uri = InviteUri::new(common::invite()).unwrap();
    let text = uri.to_string();
    assert_eq!(text, uri_text("https://hearth.example/"));
    assert!(text.starts_with("hearth:"));
    assert_eq!(InviteUri::parse(&text).unwrap(), uri);
    assert_eq!(uri.host_url(), "https://hearth.example/");
    for host in [
        "http://127.0.0.1:8080/",
        "http://[::1]/",
        "http://localhost/h",
        "https://xn--bcher-kva.example/cgi-bin/hearth.cgi",
    ] {
        assert!(InviteUri::parse(&uri_text(host)).is_ok(), "{host}");
    }
}

/// HRT-INV-55: the host URL inside the Invite must be canonical (spec §8.2).
#[test]
fn hrt_inv_55_invite_host_url_bad_uri_variants() {
    for (why, host) in [
        ("ftp scheme", "ftp://hearth.example/"),
        ("uppercase scheme", "HTTPS://hearth.example/"),
        ("uppercase host", "https://Hearth.example/"),
        ("http non-loopback", "http://hearth.example/"),
        ("http 128.0.0.1", "http://128.0.0.1/"),
        ("userinfo", "https://user@hearth.example/"),
        ("userinfo with password", "https://u:p@hearth.example/"),
        ("query", "https://hearth.example/?a=1"),
        ("fragment", "https://hearth.example/#a"),
        ("default https port", "https://hearth.example:443/"),
        ("default http port", "http://localhost:80/"),
        ("port leading zero", "https://hearth.example:0443/"),
        ("port zero", "https://hearth.example:0/"),
        ("port too large", "https://hearth.example:65536/"),
        ("empty port", "https://hearth.example:/"),
        ("empty path", "https://hearth.example"),
        ("empty host", "https:///"),
        ("trailing dot", "https://hearth.example./"),
        ("empty label", "https://hearth..example/"),
        ("space", "https://hearth.example/a b"),
        ("non-ascii host", "https://bücher.example/"),
        ("non-canonical ipv4", "http://127.000.0.1/"),
        ("ipv6 other than ::1", "http://[0:0:0:0:0:0:0:1]/"),
        ("ipv6 literal", "https://[2001:db8::1]/"),
        ("percent-encoding", "https://hearth.example/%2F"),
        ("dot segment", "https://hearth.example/a/../b"),
        ("backslash", "https://hearth.example/a\\b"),
        ("numeric top-level label", "https://hearth.123/"),
    ] {
        assert_eq!(check_host_url(host), Err(WireError::BadUri), "{why}");
        assert_eq!(
            InviteUri::parse(&uri_text(host)),
            Err(WireError::BadUri),
            "{why}"
        );
    }
    let too_long = format!("https://{}.example/", "a".repeat(250));
    assert_eq!(check_host_url(&too_long), Err(WireError::BadUri));
}

/// HRT-INV-53: the scheme prefix and a payload.
#[test]
fn hrt_inv_53_scheme() {
    let good = uri_text("https://hearth.example/");
    let payload = good.strip_prefix("hearth:").unwrap();
    for t in [
        "https://hearth.example/".to_owned(),
        "hearth:".to_owned(),
        format!("Hearth:{payload}"),
        format!(" hearth:{payload}"),
        format!("https://hearth.example/#{payload}"),
        format!("hearth://{payload}"),
    ] {
        let r = InviteUri::parse(&t);
        assert!(
            r == Err(WireError::BadUri) || r == Err(WireError::BadBase64),
            "{t}: {r:?}"
        );
    }
    assert_eq!(
        InviteUri::parse(&format!("Hearth:{payload}")),
        Err(WireError::BadUri)
    );
}

#[test]
fn hrt_inv_9_10_invite_uri_bad_base64_variants() {
    let good = uri_text("https://hearth.example/");
    let frag = good.strip_prefix("hearth:").unwrap();
    for (why, f) in [
        ("padding", format!("{frag}=")),
        (
            "standard alphabet plus",
            frag.replacen('-', "+", 1).replacen('A', "+", 1),
        ),
        ("standard alphabet slash", format!("/{}", &frag[1..])),
        ("whitespace", format!("{} {}", &frag[..4], &frag[4..])),
        ("newline", format!("{}\n{}", &frag[..4], &frag[4..])),
        (
            "length 4k+1",
            format!("{frag}{}", "A".repeat((5 - frag.len() % 4) % 4 + 4)),
        ),
    ] {
        let r = InviteUri::parse(&format!("hearth:{f}"));
        assert_eq!(r, Err(WireError::BadBase64), "{why}");
    }
    // Non-zero trailing bits: "Zh" carries 12 bits for one byte, the last 4 non-zero.
    assert_eq!(InviteUri::parse("hearth:Zh"), Err(WireError::BadBase64));
}

#[test]
fn hrt_inv_54_and_11_invite_uri_payload_errors() {
    // A check value that does not match: the link is damaged.
    let good = uri_text("https://hearth.example/");
    let mut chars: Vec<char> = good.chars().collect();
    let i = chars.len() / 2;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    let damaged: String = chars.into_iter().collect();
    assert_eq!(InviteUri::parse(&damaged), Err(WireError::BadChecksum));
    // A valid frame around bytes that are not an Invite: wire errors pass through.
    assert_eq!(
        InviteUri::parse(&framed(&[0x00, 0x00])),
        Err(WireError::TrailingBytes)
    );
    let mut inv = common::invite().to_vec();
    inv[1] = 0x02;
    assert_eq!(
        InviteUri::parse(&framed(&inv)),
        Err(WireError::UnsupportedVersion)
    );
    assert_eq!(Invite::decode(&inv), Err(WireError::UnsupportedVersion));
    let mut inv = common::invite().to_vec();
    inv[2] = 0x03;
    assert_eq!(
        InviteUri::parse(&framed(&inv)),
        Err(WireError::UnsupportedSuite)
    );
    // Suite 2 has suite 1's layout (HRT-WIRE-32): it parses, unless the reader implements
    // suite 1 only (HRT-INV-56).
    inv[2] = 0x02;
    assert_eq!(
        InviteUri::parse(&framed(&inv)).map(|u| u.invite.suite),
        Ok(hearth_wire::Suite::XWING_SHA256_AES256GCM_ED25519)
    );
    assert_eq!(
        InviteUri::parse_for_suites(
            &framed(&inv),
            &[hearth_wire::Suite::X25519_SHA256_AES256GCM_ED25519]
        ),
        Err(WireError::UnsupportedSuite)
    );
}

#[test]
fn request_channel_id_presence_by_op() {
    let mut info = common::request(Op::INFO, RawValue::empty_map());
    assert!(info.body().is_ok());
    info.channel_id = Some(common::ch());
    assert_eq!(info.body(), Err(WireError::UnknownKey));
    let mut get = common::request(
        Op::BLOB_GET,
        RawValue::from_value(&hearth_wire::request::BlobGetBody { id: common::h(1) }),
    );
    assert!(get.body().is_ok());
    get.channel_id = None;
    assert_eq!(get.body(), Err(WireError::MissingKey));
}

#[test]
fn diagnostic_embedding_is_bounded() {
    // 2000 levels of bstr-in-array embedding print without deep recursion.
    let mut item = vec![0x00];
    for _ in 0..2000 {
        let mut e = Encoder::new();
        e.array(1).bytes(&item);
        item = e.into_bytes();
    }
    let d = hearth_wire::diag::to_diagnostic_nested(&item);
    assert!(d.starts_with("[<<[<<[<<[<<[h'"));
}
