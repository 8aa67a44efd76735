//! `hearth-conformance reference-shim`: runs the reference client's shim (`hearth-shim`, from
//! `hearth-client`, Appendix B) on this process's standard streams. The harness does not link
//! the client (its peers drive the library, `hearth::conversation`), so the shim is the binary
//! built next to this one: `cargo build -p hearth-client` puts both in the same directory.

use std::path::PathBuf;
use std::process::ExitCode;

/// The file name of the reference shim on this platform.
pub const SHIM_BIN: &str = if cfg!(windows) {
    "hearth-shim.exe"
} else {
    "hearth-shim"
};

/// The environment variable that names the reference shim's path instead.
pub const SHIM_ENV: &str = "HEARTH_REFERENCE_SHIM";

/// Where the reference shim is: `$HEARTH_REFERENCE_SHIM`, else `hearth-shim` in the directory
/// of this executable (or of its parent, for a test binary under `deps/`). An error is one
/// sentence that says how to get it.
pub fn locate() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os(SHIM_ENV).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!(
                "${SHIM_ENV} names {}, which is not a file",
                p.display()
            ))
        };
    }
    let exe = std::env::current_exe()
        .map_err(|e| format!("cannot find this executable's directory: {e}"))?;
    let dirs: Vec<PathBuf> = exe.ancestors().skip(1).take(2).map(PathBuf::from).collect();
    dirs.iter()
        .map(|d| d.join(SHIM_BIN))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            format!(
                "the reference shim {SHIM_BIN} is not next to this harness (looked in {}): build \
                 it with `cargo build -p hearth-client` (the same profile), or set ${SHIM_ENV} to \
                 its path, or pass it directly: client --shim 'path/to/hearth-shim'",
                dirs.iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// Runs the reference shim with this process's standard streams and environment (so that
/// `HEARTH_CLIENT_MUTANT` reaches a mutant build) and exits with its code; 2 (a harness error,
/// spec §14.5) when it cannot be found or started.
pub fn run() -> ExitCode {
    let path = match locate() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("hearth-conformance reference-shim: {e}");
            return ExitCode::from(crate::model::exit::HARNESS);
        }
    };
    match std::process::Command::new(&path).status() {
        Ok(s) => ExitCode::from(s.code().and_then(|c| u8::try_from(c).ok()).unwrap_or(1)),
        Err(e) => {
            eprintln!(
                "hearth-conformance reference-shim: cannot start {}: {e}",
                path.display()
            );
            ExitCode::from(crate::model::exit::HARNESS)
        }
    }
}
