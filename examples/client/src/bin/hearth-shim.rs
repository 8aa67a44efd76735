//! `hearth-shim`: the reference client as a conformance shim (spec Appendix B). Reads one JSON
//! request per line on stdin, writes one JSON answer per line on stdout, until `shutdown` or
//! end of input. Diagnostics go to stderr only.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The reference Hearth client as a conformance shim (spec Appendix B).
///
/// Without a subcommand it reads one JSON request per line on standard input and writes one
/// JSON answer per line on standard output, until `shutdown` or end of input; diagnostics go to
/// standard error. Run it with `hearth-conformance client --shim hearth-shim`.
///
/// Hosts are reached over https:// with verified certificates (plain http:// on loopback only);
/// a host whose certificate is from a private CA needs HEARTH_CA_FILE=PEM in the environment.
#[derive(Parser)]
#[command(name = "hearth-shim", version, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Print a completion script for SHELL on standard output
    Completions {
        /// The shell to complete for
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    // An argument error exits 2, help and version 0.
    let cli = match hearth_client::cli::parse::<Cli>(2) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    match cli.command {
        None => {
            hearth_client::warn_test_only("hearth-shim");
            hearth_client::shim::run_stdio()
        }
        Some(Cmd::Completions { shell }) => {
            hearth_client::cli::print_completions::<Cli>(shell, "hearth-shim")
        }
    }
}
