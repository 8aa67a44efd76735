//! Spec §8.5.8 and §8.5.9: `commit.post` (every check, epoch sequencing under concurrency, the
//! host-visible roster) and `commit.report`.
//!
//! The table of tests is here (in run order); their bodies are in one file per group of checks.

use crate::suite::HostTestDef;

mod checks;
mod roster;
mod welcome;

/// The tests of this module.
pub fn tests() -> Vec<HostTestDef> {
    vec![
        t!(
            "host.op.commit-post.add-member",
            "an accepted commit advances the epoch, logs the exact commit, stores the Welcome",
            [
                "HRT-OP-42",
                "HRT-OP-52",
                "HRT-OP-1",
                "HRT-LOG-1",
                "HRT-WIRE-19"
            ],
            checks::add_member
        ),
        t!(
            "host.op.commit-post.wrong-channel",
            "a CommitTBS naming another channel -> malformed/invalid_value",
            ["HRT-OP-30"],
            checks::wrong_channel
        ),
        t!(
            "host.op.commit-post.wrong-suite",
            "a CommitTBS with another suite -> unsupported_suite",
            ["HRT-OP-31", "HRT-EXT-5"],
            checks::wrong_suite
        ),
        t!(
            "host.op.commit-post.stale-epoch",
            "base epoch behind or ahead -> epoch_conflict",
            ["HRT-OP-32"],
            checks::stale_epoch
        ),
        t!(
            "host.op.commit-post.wrong-committer",
            "committer leaf not holding the request key -> forbidden",
            ["HRT-OP-33"],
            checks::wrong_committer
        ),
        t!(
            "host.op.commit-post.bad-signature",
            "commit signature by another key or label -> bad_signature",
            ["HRT-OP-34"],
            checks::bad_signature
        ),
        t!(
            "host.op.commit-post.ill-formed-ops",
            "out-of-range leaves, two RotateOps, duplicate adds -> malformed/invalid_value",
            ["HRT-OP-35"],
            checks::ill_formed_ops
        ),
        t!(
            "host.op.commit-post.unauthorised",
            "plain member removing, adding a non-pending key or changing a role; an admin adding a non-pending key or removing itself -> forbidden",
            ["HRT-OP-36", "HRT-OP-38"],
            checks::unauthorised
        ),
        t!(
            "host.op.commit-post.sealed-count",
            "a sealed-secret list of the wrong length -> malformed/invalid_value",
            ["HRT-OP-39"],
            checks::sealed_count
        ),
        t!(
            "host.op.commit-post.group-info-presence",
            "the shared GroupInfo ciphertext missing with Welcomes, or present without -> malformed/invalid_value",
            ["HRT-OP-63"],
            welcome::group_info_presence
        ),
        t!(
            "host.op.welcome-fetch.group-info",
            "welcome.fetch returns the commit's GroupInfo ciphertext byte for byte, one for all its Welcomes",
            ["HRT-OP-64", "HRT-OP-42"],
            welcome::welcome_group_info
        ),
        t!(
            "host.op.commit-post.welcomes-any-order",
            "Welcomes listed in the reverse of the AddOp order are accepted and each is stored for its own key",
            ["HRT-OP-72", "HRT-OP-40"],
            welcome::welcomes_any_order
        ),
        t!(
            "host.op.commit-post.welcome-mismatch",
            "missing, extra or misdirected Welcomes -> malformed/invalid_value",
            ["HRT-OP-40"],
            welcome::welcome_mismatch
        ),
        t!(
            "host.op.commit-post.check-order",
            "channel before suite before epoch before committer before signature",
            [
                "HRT-API-15",
                "HRT-OP-30",
                "HRT-OP-31",
                "HRT-OP-32",
                "HRT-OP-33"
            ],
            checks::check_order
        ),
        t!(
            "host.op.commit-post.max-members",
            "a commit beyond max_members -> limit_exceeded",
            ["HRT-OP-37", "HRT-API-45"],
            roster::max_members
        ),
        t!(
            "host.op.commit-post.concurrent",
            "parallel commits on one epoch: exactly one accepted, the rest epoch_conflict",
            ["HRT-OP-41", "HRT-LOG-5"],
            roster::concurrent
        ),
        t!(
            "host.op.commit-post.relayed-critical-extension",
            "crit in a relayed CommitTBS ext is not the host's business",
            ["HRT-EXT-17"],
            checks::relayed_crit
        ),
        t!(
            "host.op.commit-post.unsupported-version",
            "a CommitTBS of version 2 -> unsupported_version",
            ["HRT-API-26"],
            checks::tbs_version
        ),
        t!(
            "host.op.commit-post.roster-rotate-remove",
            "RotateOp and RemoveOp update the host-visible roster",
            ["HRT-OP-1", "HRT-OP-42"],
            roster::roster_rotate_remove
        ),
        t!(
            "host.op.commit-report.ok",
            "commit.report appends a report entry with the exact SignedRequest",
            ["HRT-OP-43", "HRT-LOG-1", "HRT-LOG-6"],
            roster::report_ok
        ),
    ]
}
