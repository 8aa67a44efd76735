//! `hearth-shim`: the reference client as a conformance shim (spec Appendix B). Reads one JSON
//! request per line on stdin, writes one JSON answer per line on stdout, until `shutdown` or
//! end of input. Diagnostics go to stderr only.

use std::io::{BufRead, Read, Write};
use std::process::ExitCode;

use hearth_client::shim::Shim;

/// The longest request line accepted (spec Appendix B).
const MAX_LINE: usize = 1 << 20;

fn main() -> ExitCode {
    let mut shim = Shim::default();
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut line = String::new();
    loop {
        line.clear();
        match input
            .by_ref()
            .take(MAX_LINE as u64 + 1)
            .read_line(&mut line)
        {
            Ok(0) => return ExitCode::SUCCESS,
            Ok(n) if n > MAX_LINE => {
                eprintln!("hearth-shim: request line over {MAX_LINE} bytes");
                return ExitCode::from(2);
            }
            Ok(_) => {}
            Err(e) => {
                eprintln!("hearth-shim: reading stdin: {e}");
                return ExitCode::from(2);
            }
        }
        let answer = shim.handle_line(line.trim_end_matches(['\n', '\r']));
        if writeln!(out, "{answer}")
            .and_then(|()| out.flush())
            .is_err()
        {
            return ExitCode::from(2);
        }
        if shim.done {
            return ExitCode::SUCCESS;
        }
    }
}
