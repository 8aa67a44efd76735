//! Spec §8.5.10 to §8.5.15: `msg.post`, `log.fetch`, `welcome.fetch`, `member.leave`,
//! `blob.put`, `blob.get`.
//!
//! The table of tests is here (in run order); their bodies are in one file per op.

use crate::suite::HostTestDef;

mod blob;
mod log;
mod member;
mod post;

/// The tests of this module.
pub fn tests() -> Vec<HostTestDef> {
    vec![
        t!(
            "host.op.msg-post.ok",
            "msg.post appends a msg entry with the exact envelope bytes",
            ["HRT-OP-48", "HRT-LOG-1", "HRT-LOG-6", "HRT-WIRE-19"],
            post::msg_ok
        ),
        t!(
            "host.op.msg-post.wrong-channel",
            "an envelope naming another channel -> malformed/invalid_value",
            ["HRT-OP-44"],
            post::msg_wrong_channel
        ),
        t!(
            "host.op.msg-post.wrong-suite",
            "an envelope with another suite -> unsupported_suite",
            ["HRT-OP-45", "HRT-EXT-5"],
            post::msg_wrong_suite
        ),
        t!(
            "host.op.msg-post.wrong-epoch",
            "an envelope for another epoch -> epoch_conflict",
            ["HRT-OP-46"],
            post::msg_wrong_epoch
        ),
        t!(
            "host.op.msg-post.wrong-sender",
            "a sender leaf not holding the request key -> forbidden",
            ["HRT-OP-47"],
            post::msg_wrong_sender
        ),
        t!(
            "host.op.msg-post.envelope-version",
            "an envelope of version 2 -> unsupported_version",
            ["HRT-API-26"],
            post::msg_version
        ),
        t!(
            "host.op.msg-post.check-order",
            "channel before suite before epoch before sender",
            [
                "HRT-API-15",
                "HRT-OP-44",
                "HRT-OP-45",
                "HRT-OP-46",
                "HRT-OP-47"
            ],
            post::msg_order
        ),
        t!(
            "host.op.log-fetch.bounds",
            "since > tip, limit 0, limit > max_log_page -> malformed/invalid_value",
            ["HRT-OP-49"],
            log::log_bounds
        ),
        t!(
            "host.op.log-fetch.paging",
            "pages are contiguous from since+1, at most limit, with tip, head and epoch",
            [
                "HRT-OP-50",
                "HRT-LOG-9",
                "HRT-LOG-10",
                "HRT-LOG-13",
                "HRT-LOG-14"
            ],
            log::log_paging
        ),
        t!(
            "host.op.log-fetch.full-pages",
            "a page holds min(limit, tip - since) entries",
            ["HRT-LOG-11"],
            log::log_full_pages
        ),
        t!(
            "host.op.welcome-fetch.none",
            "welcome.fetch without a stored Welcome -> uniform not_found",
            ["HRT-OP-51", "HRT-API-34"],
            member::welcome_none
        ),
        t!(
            "host.op.member-leave.ok",
            "leave logs the exact SignedRequest; later requests get not_found; retry is stored",
            ["HRT-OP-54", "HRT-LOG-1", "HRT-API-28"],
            member::leave_ok
        ),
        t!(
            "host.op.blob.roundtrip",
            "blob ids are H(\"blob\", data); re-put returns the same id; get returns the bytes",
            ["HRT-OP-57", "HRT-OP-58"],
            blob::blob_roundtrip
        ),
        t!(
            "host.op.blob.not-found",
            "blob.get of an unknown id, or of another channel's blob -> not_found",
            ["HRT-OP-58"],
            blob::blob_not_found
        ),
        t!(
            "host.op.blob.too-large",
            "a blob of max_blob+1 bytes -> too_large",
            ["HRT-OP-55", "HRT-API-45"],
            blob::blob_too_large
        ),
        t!(
            "host.op.blob.max-blobs",
            "a new blob beyond max_blobs -> limit_exceeded, an existing one still ok",
            ["HRT-OP-56", "HRT-OP-57", "HRT-API-45"],
            blob::blob_max
        ),
    ]
}
