//! TLS to hosts: moved to `hearth-shell` ([`hearth_shell::tls`]), which every thin front end shares.
pub use hearth_shell::tls::*;
