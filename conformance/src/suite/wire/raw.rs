//! Raw requests for the wire tests: hand-built `SignedRequest` and `request_bytes` encodings
//! (signed correctly where the test needs it) and the check of their answer.

use hearth_wire::{encode_with, ErrorCode};

use crate::client::{sign_request, RequestSpec};
use crate::suite::{expect_detail, op, Ctx, EMPTY};

pub(super) fn base(ctx: &Ctx<'_>) -> RequestSpec {
    ctx.c.spec(op::INFO, None, EMPTY.to_vec())
}

/// Builds request bytes field by field with hooks for raw replacement.
pub(super) fn raw_request(
    ctx: &Ctx<'_>,
    f: impl FnOnce(&mut hearth_wire::Encoder, &RequestSpec),
) -> Vec<u8> {
    let s = base(ctx);
    encode_with(|e| f(e, &s))
}

pub(super) fn signed_raw(ctx: &Ctx<'_>, rb: &[u8]) -> Vec<u8> {
    sign_request(&ctx.c.key(), rb)
}

/// Keys 4 to 6 of a valid `Request` (ts, nonce, an empty body), after keys 1 to 3 that a test
/// wrote its own way.
pub(super) fn keys_4_to_6(e: &mut hearth_wire::Encoder, s: &RequestSpec) {
    e.uint(4)
        .uint(s.ts)
        .uint(5)
        .bytes(&s.nonce)
        .uint(6)
        .raw(EMPTY);
}

/// Signs the raw request `rb`, posts it, and expects `malformed`/`noncanonical` with `detail`.
pub(super) fn expect_raw(
    ctx: &Ctx<'_>,
    rb: &[u8],
    detail: ErrorCode,
) -> Result<hearth_wire::request::Response, crate::model::Stop> {
    expect_detail(&ctx.c.post_raw(signed_raw(ctx, rb)), detail)
}

pub(super) fn with_ts_raw(ctx: &Ctx<'_>, ts_item: &[u8]) -> Vec<u8> {
    raw_request(ctx, |e, s| {
        e.map(5)
            .uint(1)
            .uint(0)
            .uint(2)
            .text(&s.host_url)
            .uint(4)
            .raw(ts_item);
        e.uint(5).bytes(&s.nonce).uint(6).raw(EMPTY);
    })
}

/// An ext map `{1000: [[...[0]...]]}` whose innermost item sits at `depth` (Request = 1).
pub(super) fn deep_ext(depth: usize) -> Vec<u8> {
    // Request map depth 1, ext map items at depth 2... the value of key 1000 is at depth 3.
    let arrays = depth.saturating_sub(3);
    let mut v = vec![0xa1, 0x19, 0x03, 0xe8];
    v.extend(std::iter::repeat_n(0x81, arrays));
    v.push(0x00);
    v
}
