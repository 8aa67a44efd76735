//! What the command lines of `hearth`, `hearth-shim` and `hearth-conformance` share: parsing with the caller's exit code for argument errors, and
//! the `completions SHELL` subcommand.

use std::process::ExitCode;

/// Parses the process's arguments into `P`. On `--help` or `--version` it prints them and
/// returns exit code 0; on an argument error (which clap names) it prints it and returns
/// `usage_code`. Each binary passes its own code, so the mapping is explicit rather than
/// clap's default (2).
pub fn parse<P: clap::Parser>(usage_code: u8) -> Result<P, ExitCode> {
    P::try_parse().map_err(|e| {
        let _ = e.print();
        if e.use_stderr() {
            ExitCode::from(usage_code)
        } else {
            ExitCode::SUCCESS
        }
    })
}

/// Prints the completion script of `P` for `shell` on standard output. It goes through a
/// buffer because clap_complete panics on a failed write, and a closed pipe (`| head`) is not
/// an error here.
pub fn print_completions<P: clap::CommandFactory>(
    shell: clap_complete::Shell,
    bin: &str,
) -> ExitCode {
    use std::io::Write as _;
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut P::command(), bin, &mut script);
    let _ = std::io::stdout().write_all(&script);
    ExitCode::SUCCESS
}
