//! TESTING ONLY (feature `mutants`): deliberately broken variants of the reference client, so
//! that the client suite can prove it catches each one (spec §14.4). The variant is chosen
//! with the environment variable `HEARTH_CLIENT_MUTANT`; without the feature every check here
//! is a constant `false` and the variants do not exist.

/// The variants, by name, with the requirement each one breaks.
pub const ALL: &[(&str, &str)] = &[
    ("accept-rollback", "HRT-LOG-15: a lower tip is accepted"),
    (
        "skip-chain",
        "HRT-LOG-19: served heads are trusted, not recomputed",
    ),
    (
        "accept-gaps",
        "HRT-LOG-16: non-consecutive entries are accepted",
    ),
    ("ignore-prev", "HRT-LOG-43: `prev` is not checked"),
    (
        "ignore-seen-head",
        "HRT-LOG-42: `seen_head` is not compared",
    ),
    (
        "post-when-frozen",
        "HRT-LOG-38: a frozen route is still posted to",
    ),
    (
        "no-commit-report",
        "HRT-GRP-88: a rejected commit is not reported",
    ),
    (
        "admit-anyone-to-a-route",
        "HRT-ROUTE-9: a route invite admits whoever redeems it",
    ),
    (
        "show-edits-as-items",
        "HRT-MSG-46, HRT-MSG-47: edits and deletes are shown as items of their own, not applied",
    ),
    (
        "hide-unsupported",
        "HRT-MSG-48: a message of a type the client does not implement is not shown",
    ),
    (
        "admit-before-comparison",
        "HRT-INV-65: a join is added before the user confirmed the short authentication string",
    ),
    (
        "join-before-comparison",
        "HRT-INV-67: a joiner accepts its Welcome before the user confirmed the code",
    ),
    (
        "no-decline-on-mismatch",
        "HRT-INV-72: a join whose codes differ is not declined with invite.revoke",
    ),
    (
        "keep-join-on-mismatch",
        "HRT-INV-68: a joiner whose user reported differing codes keeps the join and accepts its Welcome",
    ),
    (
        "code-for-a-bad-join",
        "HRT-INV-70: an inviter shows a code for a join that opened but failed a later check of §5.8",
    ),
    (
        "no-sas-confirm",
        "HRT-SHIM-38: the shim lists invite.create and invite.accept but not sas.confirm",
    ),
    (
        "no-recovery-commit",
        "HRT-GRP-93: an admin does not recover a wedged channel",
    ),
    (
        "send-when-reported",
        "HRT-GRP-92: a member sends in an epoch whose commit a verified report names",
    ),
    (
        "send-after-removal",
        "HRT-ROUTE-29: a member removed on one route still sends on the others",
    ),
    (
        "no-carry-removal",
        "HRT-ROUTE-28: an admin does not carry a removal to its other routes",
    ),
    (
        "no-timed-commit",
        "HRT-RAT-20: a member that does not send never commits after 7 days",
    ),
    (
        "no-key-rotation",
        "HRT-RAT-21: a member never rotates its member key",
    ),
    (
        "believe-removed",
        "HRT-GRP-91: a `removed` answer is believed without the log bearing it out",
    ),
    (
        "ignore-needs-update-flags",
        "HRT-GRP-87: a joiner ignores the needs_update flags of GroupInfo key 7 (in hearth-crypto's §7.5 step 13)",
    ),
    (
        "keep-away-members",
        "HRT-RAT-22: an admin does not remove a member away for 30 days",
    ),
];

/// Correct variants, by name, with the freedom of the specification each one takes: the client
/// suite must pass them as it passes the reference client (a fair suite, spec §14.5). They are
/// chosen like the mutants, with `HEARTH_CLIENT_MUTANT`.
pub const VARIANTS: &[(&str, &str)] = &[(
    "refresh-before-send",
    "Appendix B §91.6.7, HRT-SHIM-28: `send` refreshes its routes (a `sync`) before it seals",
)];

/// Whether the running client is the mutant `name`.
#[cfg(feature = "mutants")]
pub fn on(name: &str) -> bool {
    static CHOSEN: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    CHOSEN
        .get_or_init(|| std::env::var("HEARTH_CLIENT_MUTANT").ok())
        .as_deref()
        == Some(name)
}

/// Whether the running client is the mutant `name` (never, without the `mutants` feature).
#[cfg(not(feature = "mutants"))]
pub fn on(_name: &str) -> bool {
    false
}
