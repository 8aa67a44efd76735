//! Command-line helpers: moved to `hearth-shell` ([`hearth_shell::cli`]), which every thin front end shares.
pub use hearth_shell::cli::*;
