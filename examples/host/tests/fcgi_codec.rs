//! Property tests of the FastCGI record codec and session (FastCGI 1.0 §3.3, §3.4): what is
//! encoded decodes to itself, whatever the record boundaries and the read sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use hearth_host::fcgi_record::{
    decode, decode_pairs, encode, encode_pair, encode_stream, BeginRequest, RecordType,
    MAX_CONTENT, ROLE_RESPONDER,
};
use hearth_host::fcgi_session::{Event, Limits, Params, Session};
use proptest::prelude::*;

fn kind() -> impl Strategy<Value = RecordType> {
    (1u8..=11).prop_map(RecordType)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn record_round_trip(k in kind(), id in any::<u16>(), content in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let mut out = Vec::new();
        encode(&mut out, k, id, &content);
        prop_assert_eq!(out.len() % 8, 0);
        let (r, used) = decode(&out).unwrap().unwrap();
        prop_assert_eq!(used, out.len());
        prop_assert_eq!(r.kind, k);
        prop_assert_eq!(r.request_id, id);
        prop_assert_eq!(r.content, &content[..]);
        // Any strict prefix asks for more.
        prop_assert_eq!(decode(&out[..used - 1]).unwrap(), None);
    }

    #[test]
    fn stream_round_trip(len in 0usize..(3 * MAX_CONTENT), id in 1u16..) {
        let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        let mut out = Vec::new();
        encode_stream(&mut out, RecordType::STDOUT, id, &data);
        let mut rest = &out[..];
        let mut got = Vec::new();
        let mut last = None;
        while let Some((r, n)) = decode(rest).unwrap() {
            prop_assert!(r.content.len() <= MAX_CONTENT);
            got.extend_from_slice(r.content);
            last = Some(r.content.len());
            rest = &rest[n..];
        }
        prop_assert!(rest.is_empty());
        prop_assert_eq!(last, Some(0));
        prop_assert_eq!(got, data);
    }

    #[test]
    fn pairs_round_trip(pairs in proptest::collection::vec(
        (proptest::collection::vec(any::<u8>(), 0..300), proptest::collection::vec(any::<u8>(), 0..300)),
        0..12,
    )) {
        let mut enc = Vec::new();
        for (n, v) in &pairs {
            encode_pair(&mut enc, n, v);
        }
        let dec = decode_pairs(&enc).unwrap();
        let dec: Vec<(Vec<u8>, Vec<u8>)> = dec.into_iter().map(|(n, v)| (n.to_vec(), v.to_vec())).collect();
        prop_assert_eq!(&dec, &pairs);
        prop_assert_eq!(Params::decode(&enc).unwrap().encode(), enc);
    }

    /// A whole request fed in arbitrary pieces gives exactly its parameters and the first
    /// `limit` bytes of its body.
    #[test]
    fn session_any_read_sizes(
        names in proptest::collection::vec("[A-Z_]{1,20}", 0..8),
        body in proptest::collection::vec(any::<u8>(), 0..70_000),
        limit in 0usize..80_000,
        piece in 1usize..9000,
        id in 1u16..,
    ) {
        let pairs: Vec<(String, String)> = names.iter().enumerate().map(|(i, n)| (format!("{n}{i}"), "v".repeat(i * 50))).collect();
        let params = Params::from_pairs(&pairs);
        let mut input = Vec::new();
        encode(&mut input, RecordType::BEGIN_REQUEST, id, &BeginRequest { role: ROLE_RESPONDER, flags: 0 }.encode());
        encode_stream(&mut input, RecordType::PARAMS, id, &params.encode());
        encode_stream(&mut input, RecordType::STDIN, id, &body);
        let mut s = Session::new(Limits::default());
        let mut events = Vec::new();
        for chunk in input.chunks(piece) {
            s.feed(chunk).unwrap();
            while let Some(ev) = s.poll().unwrap() {
                match &ev {
                    Event::Params(_) => s.read_body(limit),
                    _ => s.respond(b"ok", 0),
                }
                events.push(ev);
            }
        }
        prop_assert_eq!(events.len(), 2);
        prop_assert_eq!(&events[0], &Event::Params(params));
        prop_assert_eq!(&events[1], &Event::Body(body[..body.len().min(limit)].to_vec()));
        prop_assert!(s.is_closed());
    }
}
