//! `hearth-shim`: the reference client as a conformance shim (spec Appendix B). Reads one JSON
//! request per line on stdin, writes one JSON answer per line on stdout, until `shutdown` or
//! end of input. Diagnostics go to stderr only.

fn main() -> std::process::ExitCode {
    hearth_client::shim::run_stdio()
}
