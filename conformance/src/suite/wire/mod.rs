//! Spec §2: every validator class with its detail code, at the outer `SignedRequest` (step 3),
//! inside `request_bytes` (step 6, correctly signed) and inside op bodies (step 12).
//!
//! The table of tests is here (in run order); their bodies are in one file per class.

use crate::suite::HostTestDef;

mod cbor;
mod raw;
mod schema;

/// The tests of this module.
pub fn tests() -> Vec<HostTestDef> {
    vec![
        t!(
            "host.wire.op-beyond-range",
            "op 65536, 2^32 and 2^64 - 1 (correctly signed) -> malformed/invalid_value at step 6, not unsupported_op",
            ["HRT-WIRE-16", "HRT-API-22", "HRT-API-24"],
            schema::op_beyond_range
        ),
        t!(
            "host.wire.trailing-bytes",
            "trailing bytes after the SignedRequest or the Request -> trailing_bytes",
            ["HRT-WIRE-1", "HRT-API-18", "HRT-API-22"],
            cbor::trailing
        ),
        t!(
            "host.wire.truncation",
            "every sampled prefix of a valid request -> underrun",
            ["HRT-WIRE-2", "HRT-API-18"],
            cbor::truncation
        ),
        t!(
            "host.wire.truncation-inner",
            "truncated request_bytes, correctly signed -> underrun",
            ["HRT-WIRE-2", "HRT-API-22"],
            cbor::truncation_inner
        ),
        t!(
            "host.wire.noncanonical-head",
            "non-shortest heads outside and inside -> noncanonical/noncanonical_head",
            ["HRT-WIRE-3", "HRT-WIRE-11"],
            cbor::noncanonical_head
        ),
        t!(
            "host.wire.indefinite-length",
            "indefinite-length items and a lone break -> noncanonical/indefinite_length",
            ["HRT-WIRE-4"],
            cbor::indefinite
        ),
        t!(
            "host.wire.forbidden-type",
            "floats, tags and undefined -> malformed/forbidden_type",
            ["HRT-WIRE-5"],
            cbor::forbidden_type
        ),
        t!(
            "host.wire.invalid-utf8",
            "invalid, overlong and surrogate UTF-8 in host_url -> invalid_utf8",
            ["HRT-WIRE-6"],
            cbor::invalid_utf8
        ),
        t!(
            "host.wire.non-uint-key",
            "a text or negative map key -> non_uint_key",
            ["HRT-WIRE-7"],
            schema::non_uint_key
        ),
        t!(
            "host.wire.misordered-key",
            "keys out of order -> noncanonical/misordered_key",
            ["HRT-WIRE-8"],
            schema::misordered
        ),
        t!(
            "host.wire.duplicate-key",
            "a repeated key -> malformed/duplicate_key",
            ["HRT-WIRE-8"],
            schema::duplicate
        ),
        t!(
            "host.wire.depth",
            "depth 16 accepted, depth 17 -> depth_exceeded",
            ["HRT-WIRE-9"],
            cbor::depth
        ),
        t!(
            "host.wire.huge-declared-length",
            "huge declared lengths and counts are rejected without allocating",
            ["HRT-WIRE-10"],
            cbor::huge_length
        ),
        t!(
            "host.wire.wrong-type",
            "items of the wrong major type, null -> wrong_type",
            ["HRT-WIRE-14", "HRT-WIRE-5"],
            schema::wrong_type
        ),
        t!(
            "host.wire.wrong-size",
            "fixed-size byte strings of the wrong size -> wrong_size",
            ["HRT-WIRE-15"],
            schema::wrong_size
        ),
        t!(
            "host.wire.unknown-key",
            "an unknown key in Request or a body -> unknown_key",
            ["HRT-WIRE-12", "HRT-API-26"],
            schema::unknown_key
        ),
        t!(
            "host.wire.missing-key",
            "missing Request keys and short/long arrays -> missing_key/length_exceeded",
            ["HRT-WIRE-13"],
            schema::missing_key
        ),
        t!(
            "host.wire.invalid-value",
            "a closed-set value out of range in a body -> invalid_value",
            ["HRT-WIRE-16", "HRT-API-26"],
            schema::invalid_value
        ),
        t!(
            "host.wire.nested-item",
            "a non-canonical item inside bstr .cbor -> rejected with its detail",
            ["HRT-WIRE-17", "HRT-API-26"],
            schema::nested
        ),
        t!(
            "host.wire.ext-too-many",
            "an ext map with 17 entries -> length_exceeded",
            ["HRT-WIRE-21"],
            schema::ext_too_many
        ),
        t!(
            "host.wire.first-violation",
            "with two violations, the first in reading order is reported",
            ["HRT-WIRE-22"],
            schema::first_violation
        ),
    ]
}
