//! Diagnostics on standard error, which every web server writes to its error log for a CGI
//! program (RFC 3875 §4.4 leaves stderr to the server; Apache, nginx + fcgiwrap and lighttpd
//! all log it). One line per event, no colours.
//!
//! What is logged: start-up and configuration errors, and the cause of every `internal`
//! answer (HRT-API-51). What is never logged: request bodies, keys, signatures, message
//! contents; the events name only paths, error texts of the operating system and SQLite, and
//! numbers.

use tracing::level_filters::LevelFilter;

/// The environment variable that sets the level: `error`, `warn`, `info` (the default),
/// `debug`, or `off`.
pub const LEVEL_ENV: &str = "HEARTH_LOG";

/// Installs the subscriber that writes events to standard error. Safe to call more than once
/// (later calls do nothing).
pub fn init() {
    let level = std::env::var(LEVEL_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_max_level(level)
        .try_init();
}

/// The effective user id of this process (Linux: `/proc/self/status`), for messages about
/// permissions: web servers often run CGI programs as a user other than the one who
/// installed them.
pub fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    // Uid: real effective saved filesystem
    line.split_whitespace().nth(2)?.parse().ok()
}

/// "uid N" of this process, or "an unknown uid".
pub fn whoami() -> String {
    effective_uid().map_or_else(|| "an unknown uid".into(), |u| format!("uid {u}"))
}
