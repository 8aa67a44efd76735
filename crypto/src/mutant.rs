//! TESTING ONLY (feature `mutants`, enabled by the `hearth` crate's feature of that name):
//! deliberately broken variants of checks that the reference client makes through this crate,
//! so that the client suite can prove it catches each one (spec §14.4). The variant is chosen
//! with the environment variable `HEARTH_CLIENT_MUTANT`, as for the conversation layer's
//! (`src/conversation/mutant.rs` of `hearth`); without the feature every check here is a
//! constant `false` and nothing is read from the environment.
//!
//! - `ignore-needs-update-flags`: §7.5 step 13 opens the messages of a member whose
//!   `needs_update` flag is set, as a joiner that dropped GroupInfo key 7 would for the members
//!   added with it (HRT-GRP-87, HRT-MSG-22).

/// Whether the running program is the mutant `name`.
#[cfg(feature = "mutants")]
pub(crate) fn on(name: &str) -> bool {
    static CHOSEN: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    CHOSEN
        .get_or_init(|| std::env::var("HEARTH_CLIENT_MUTANT").ok())
        .as_deref()
        == Some(name)
}

/// Whether the running program is the mutant `name` (never, without the `mutants` feature).
#[cfg(not(feature = "mutants"))]
pub(crate) fn on(_name: &str) -> bool {
    false
}
