//! TESTING ONLY (feature `mutants`): deliberately broken variants of the conversation layer's
//! checks, so that the client suite can prove it catches each one (spec §14.4). The variant is
//! chosen with the environment variable `HEARTH_CLIENT_MUTANT` (the reference client's switch);
//! without the feature every check here is a constant `false`, the variants do not exist and
//! nothing is read from the environment.

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
