//! `hearth-conformance`: the Hearth conformance harness (spec §14).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use hearth_conformance::bundled;
use hearth_conformance::client::{Key, SeededRng};
use hearth_conformance::client_suite;
use hearth_conformance::model;
use hearth_conformance::report;
use hearth_conformance::requirements;
use hearth_conformance::runner;
use hearth_conformance::suite;
use hearth_conformance::target::{CgiTarget, HttpTarget, Target};
use hearth_shell::tls::Trust;

/// The exit codes (spec §14.5), shown after the help of the commands that use them.
const EXIT_CODES: &str = "\
Exit codes (spec §14.5): 0 every selected mandatory test passed (or was not applicable or
skipped by expectation); 1 at least one test failed (for `requirements`: the spec is
inconsistent or a mandatory host requirement has no test); 2 harness error (bad arguments,
host unreachable, owner key not accepted, shim did not complete the hello); 3 under --strict,
a mandatory test was unsupported and none failed. When several apply: 2, then 1, then 3.";

/// The Hearth conformance harness (spec §14): the requirement index, the host suite and the
/// client suite.
///
/// Without a subcommand it runs the main job: the host suite against the bundled reference
/// host on loopback, with a fresh data directory. The options below are those of the host
/// suite (`hearth-conformance host --help` for the others).
#[derive(Parser)]
#[command(
    name = "hearth-conformance",
    version,
    max_term_width = 100,
    args_conflicts_with_subcommands = true,
    after_help = EXIT_CODES
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    suite: SuiteArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Run the host suite (spec §14.3) against a host over HTTP, a CGI program, or (without a
    /// target) the bundled reference host
    #[command(after_help = EXIT_CODES)]
    Host(HostCmd),
    /// Run the client suite (spec §14.4) against a shim
    ///
    /// The shim is `sh -c CMD` speaking the shim protocol (Appendix B: JSON lines on stdin and
    /// stdout), started once per test; the harness runs reference hosts in this process behind
    /// tamper proxies.
    #[command(after_help = EXIT_CODES)]
    Client(ClientCmd),
    /// Write an owner identity and print its public key, to list in the host's config
    ///
    /// The identity is an Ed25519 seed in hex, written with mode 0600 to a file that must not
    /// exist yet. List the printed public key in the host's owner keys (reference host:
    /// `owner_keys = ["<public key hex>"]`) and pass the file to `host --owner-key`.
    Keygen {
        /// Where to write the seed
        #[arg(long, value_name = "FILE", default_value = "hearth-owner.key")]
        out: PathBuf,
    },
    /// Run the reference client's shim (hearth-shim, Appendix B) on stdin and stdout
    ///
    /// The shim is the `hearth-shim` binary next to this one (`cargo build -p hearth-client`
    /// builds both into one directory) or the one `$HEARTH_REFERENCE_SHIM` names, so that
    /// `client --shim 'hearth-conformance reference-shim'` works from any directory.
    ReferenceShim,
    /// Print the requirement index with the tests covering each requirement
    #[command(after_help = EXIT_CODES)]
    Requirements(RequirementsCmd),
    /// Print a completion script for SHELL on standard output
    Completions {
        /// The shell to complete for
        shell: clap_complete::Shell,
    },
}

/// The options both suites take.
#[derive(Args)]
struct SuiteArgs {
    /// Seed of every random choice (default: random; always printed)
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Also run SHOULD tests; an unsupported MUST test fails
    #[arg(long)]
    strict: bool,
    /// Run only tests whose ID matches the glob (repeatable)
    #[arg(long, value_name = "PATTERN")]
    only: Vec<String>,
    /// JSON: {"expectations": [{"test": ID-or-glob, "expect": "skip"|"xfail"|"flaky",
    /// "reason": "..."}]}
    #[arg(long, value_name = "FILE")]
    expectations: Option<String>,
    /// The report on standard output (human also shows progress on standard error)
    #[arg(long, value_name = "F", value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Also write a Markdown (.md) or HTML (.html) report
    #[arg(long, value_name = "FILE")]
    report: Option<String>,
    /// List the tests (ID, level, requirements) and exit
    #[arg(long)]
    list: bool,
}

/// The report formats on standard output.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
    Junit,
}

#[derive(Args)]
struct HostCmd {
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    suite: SuiteArgs,
}

/// The host under test (none: the bundled reference host).
#[derive(Args, Default)]
struct TargetArgs {
    /// A running host at its canonical URL: https:// with a verified certificate, or http://
    /// on localhost, 127.0.0.0/8 and [::1]; with --cgi, the URL the CGI program is configured
    /// with (default http://localhost/)
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// Also trust the certificate authorities in FILE (PEM) for an https:// --url (a private
    /// or test CA); Mozilla's roots are always trusted
    #[arg(long, value_name = "FILE", requires = "url", conflicts_with = "cgi")]
    ca_file: Option<PathBuf>,
    /// Run the CGI program PATH directly for each request (RFC 3875)
    #[arg(long, value_name = "PATH")]
    cgi: Option<PathBuf>,
    /// Extra environment for the CGI program (repeatable)
    #[arg(long, value_name = "K=V", requires = "cgi", value_parser = parse_env)]
    cgi_env: Vec<(String, String)>,
    /// The owner identity the harness acts as (a file written by `keygen`); its public key
    /// must be listed in the host's owner keys
    #[arg(long, value_name = "FILE")]
    owner_key: Option<String>,
}

#[derive(Args)]
struct ClientCmd {
    /// The shim command, e.g. 'cargo run -q -p hearth-client --bin hearth-shim'
    #[arg(long, value_name = "CMD", required_unless_present = "list")]
    shim: Option<String>,
    /// How long to wait for one answer of the shim, in seconds [default: 30]
    #[arg(long, value_name = "SECS", allow_hyphen_values = true, value_parser = parse_seconds)]
    shim_timeout: Option<Duration>,
    #[command(flatten)]
    suite: SuiteArgs,
}

#[derive(Args)]
struct RequirementsCmd {
    /// Print spec/requirements.json instead of the table
    #[arg(long)]
    json: bool,
    /// Rewrite spec/requirements.json from the Markdown
    #[arg(long, conflicts_with = "json")]
    write: bool,
    /// The spec directory (default: the repository's spec/)
    #[arg(long, value_name = "DIR")]
    spec: Option<PathBuf>,
}

/// `--cgi-env K=V`.
fn parse_env(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| "expected K=V".to_owned())
}

/// `--shim-timeout SECS`: a positive, finite number of seconds.
fn parse_seconds(s: &str) -> Result<Duration, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => {
            Duration::try_from_secs_f64(v).map_err(|e| e.to_string())
        }
        _ => Err("expected a positive number of seconds".to_owned()),
    }
}

fn main() -> ExitCode {
    // Help and version exit 0; every argument error is a harness error (spec §14.5: 2, "bad
    // arguments"). That is also clap's own usage code, but it is mapped here, not assumed.
    let cli = match hearth_shell::cli::parse::<Cli>(model::exit::HARNESS) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    match cli.command {
        None => main_job(&cli.suite),
        Some(Command::Host(h)) => host_cmd(&h.target, &h.suite),
        Some(Command::Client(c)) => client_cmd(&c),
        Some(Command::Keygen { out }) => keygen_cmd(&out),
        Some(Command::ReferenceShim) => hearth_conformance::reference_shim::run(),
        Some(Command::Requirements(r)) => requirements_cmd(&r),
        Some(Command::Completions { shell }) => {
            hearth_shell::cli::print_completions::<Cli>(shell, "hearth-conformance")
        }
    }
}

/// The README's first command: the host suite against the bundled reference host, with the
/// host suite's options.
fn main_job(suite: &SuiteArgs) -> ExitCode {
    if suite.format == Format::Human && !suite.list {
        println!("hearth-conformance: main job (host suite against the bundled reference host)");
    }
    host_cmd(&TargetArgs::default(), suite)
}

fn load_index() -> requirements::Index {
    requirements::load(&requirements::default_spec_dir()).unwrap_or_default()
}

fn harness_error(msg: &str) -> ExitCode {
    eprintln!("harness error: {msg}");
    ExitCode::from(model::exit::HARNESS)
}

fn read_owner_key(path: &str) -> Result<Key, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let seed = hex::decode(text.trim())
        .ok()
        .and_then(|v| <[u8; 32]>::try_from(v).ok())
        .ok_or_else(|| format!("{path} does not hold a 32-byte hex seed"))?;
    Ok(Key::from_seed(&seed))
}

fn keygen_cmd(out: &std::path::Path) -> ExitCode {
    let mut seed = [0u8; 32];
    if let Err(e) = getrandom_fill(&mut seed) {
        return harness_error(&e);
    }
    let key = Key::from_seed(&seed);
    if let Err(e) = write_private(out, &format!("{}\n", hex::encode(seed))) {
        return harness_error(&e);
    }
    eprintln!(
        "wrote the owner identity seed to {} (mode 0600); its public key:",
        out.display()
    );
    println!("{}", hex::encode(key.public()));
    ExitCode::SUCCESS
}

fn getrandom_fill(buf: &mut [u8]) -> Result<(), String> {
    use rand_core::RngCore;
    rand_core::OsRng
        .try_fill_bytes(buf)
        .map_err(|e| format!("no OS randomness: {e}"))
}

fn write_private(path: &std::path::Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| {
        format!(
            "cannot create {} (it must not exist yet): {e}",
            path.display()
        )
    })?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Prints `--list`: ID, level and requirements of each test.
fn list_tests(tests: &[(&str, &[&str])], index: &requirements::Index) -> ExitCode {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    for (id, reqs) in tests {
        // A closed pipe (`--list | head`) ends the listing quietly.
        if writeln!(
            out,
            "{:<58} {:<6} {}",
            id,
            runner::level_of_requirements(reqs, index).as_str(),
            reqs.join(" ")
        )
        .is_err()
        {
            break;
        }
    }
    ExitCode::SUCCESS
}

/// What both suites take from the common options: the run options (seed drawn when not
/// given, expectations loaded) and the options' part of the reproduce command.
fn run_options(h: &SuiteArgs) -> Result<(runner::RunOptions, String), ExitCode> {
    let mut reproduce = String::new();
    let seed = h.seed.unwrap_or_else(|| {
        let mut b = [0u8; 8];
        let _ = getrandom_fill(&mut b);
        u64::from_le_bytes(b) % 1_000_000_000
    });
    let expectations = match &h.expectations {
        None => model::Expectations::default(),
        Some(p) => match std::fs::read_to_string(p)
            .map_err(|e| e.to_string())
            .and_then(|t| model::Expectations::parse(&t))
        {
            Ok(e) => e,
            Err(e) => return Err(harness_error(&format!("{p}: {e}"))),
        },
    };
    if let Some(e) = &h.expectations {
        reproduce = format!(" --expectations {e}");
    }
    if h.strict {
        reproduce.push_str(" --strict");
    }
    if h.format == Format::Human {
        eprintln!("seed {seed}");
    }
    let opts = runner::RunOptions {
        seed,
        strict: h.strict,
        only: h.only.clone(),
        expectations,
    };
    Ok((opts, reproduce))
}

/// The progress lines of a human-format run (nothing for the machine formats).
fn progress_printer(format: Format) -> impl FnMut(runner::Progress<'_>) {
    let human = format == Format::Human;
    move |p: runner::Progress<'_>| {
        if !human {
            return;
        }
        match p {
            runner::Progress::Start { index, total, id } => {
                eprint!("[{index:>3}/{total}] {id:<60} ");
            }
            runner::Progress::Done(r) => {
                eprintln!("{} ({} ms)", r.outcome.as_str(), r.duration_ms);
            }
        }
    }
}

fn host_cmd(t: &TargetArgs, h: &SuiteArgs) -> ExitCode {
    let index = load_index();
    if h.list {
        let tests: Vec<_> = suite::all_tests()
            .iter()
            .map(|t| (t.id, t.requirements))
            .collect();
        return list_tests(&tests, &index);
    }
    let (opts, options) = match run_options(h) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let seed = opts.seed;
    let owner = match &t.owner_key {
        Some(p) => match read_owner_key(p) {
            Ok(k) => k,
            Err(e) => return harness_error(&e),
        },
        None => SeededRng::new(seed ^ 0x006f_776e_6572).key(),
    };
    let bundled;
    let http;
    let cgi;
    let target: &dyn Target = match (&t.cgi, &t.url) {
        (Some(prog), url) => {
            cgi = CgiTarget::new(
                prog.clone(),
                url.as_deref().unwrap_or("http://localhost/"),
                t.cgi_env.clone(),
            );
            &cgi
        }
        (None, Some(url)) => match t
            .ca_file
            .as_deref()
            .map_or_else(|| Ok(Trust::builtin()), Trust::with_ca_file)
            .map_err(|e| e.to_string())
            .and_then(|trust| HttpTarget::with_trust(url, &trust).map_err(|e| e.0))
        {
            Ok(t) => {
                http = t;
                &http
            }
            Err(e) => return harness_error(&e.to_string()),
        },
        (None, None) => {
            eprintln!("starting the bundled reference host on loopback ...");
            match bundled::start_bundled_host(&owner) {
                Ok(b) => {
                    bundled = b;
                    bundled.target()
                }
                Err(e) => return harness_error(&e),
            }
        }
    };
    let mut reproduce = "hearth-conformance host".to_owned();
    if t.cgi.is_some() || t.url.is_some() {
        reproduce = format!("{reproduce} {}", target.cli_args());
    }
    if let Some(k) = &t.owner_key {
        reproduce = format!("{reproduce} --owner-key {k}");
    }
    reproduce.push_str(&options);
    let mut progress = progress_printer(h.format);
    let run = match suite::run(target, &owner, &opts, &index, &reproduce, &mut progress) {
        Ok(r) => r,
        Err(e) => return harness_error(&format!("{e} (seed {seed})")),
    };
    finish(&run, h.format, h.report.as_deref())
}

fn client_cmd(c: &ClientCmd) -> ExitCode {
    let h = &c.suite;
    let index = load_index();
    if h.list {
        let tests: Vec<_> = client_suite::all_tests()
            .iter()
            .map(|t| (t.id, t.requirements))
            .collect();
        return list_tests(&tests, &index);
    }
    // clap requires --shim unless --list, which has returned above.
    let Some(command) = c.shim.clone() else {
        return harness_error("client needs --shim CMD");
    };
    let timeout = c
        .shim_timeout
        .unwrap_or(hearth_conformance::shim::DEFAULT_TIMEOUT);
    let (opts, options) = match run_options(h) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let quoted = format!("'{}'", command.replace('\'', "'\\''"));
    let mut reproduce = format!("hearth-conformance client --shim {quoted}");
    if timeout != hearth_conformance::shim::DEFAULT_TIMEOUT {
        reproduce = format!("{reproduce} --shim-timeout {}", timeout.as_secs_f64());
    }
    reproduce.push_str(&options);
    let shim_opts = client_suite::ShimOptions { command, timeout };
    let mut progress = progress_printer(h.format);
    let run = match client_suite::run(&shim_opts, &opts, &index, &reproduce, &mut progress) {
        Ok(r) => r,
        Err(e) => return harness_error(&format!("{e} (seed {})", opts.seed)),
    };
    finish(&run, h.format, h.report.as_deref())
}

/// Prints the report in `format`, writes the `--report` file, and returns the run's exit code.
fn finish(run: &report::RunReport, format: Format, report_file: Option<&str>) -> ExitCode {
    let text = match format {
        Format::Json => report::json(run),
        Format::Junit => report::junit(run),
        Format::Human => report::human(run),
    };
    print!("{text}");
    if let Some(path) = report_file {
        let body = if path.ends_with(".html") || path.ends_with(".htm") {
            report::html(run)
        } else {
            report::markdown(run)
        };
        if let Err(e) = std::fs::write(path, body) {
            return harness_error(&format!("cannot write {path}: {e}"));
        }
    }
    ExitCode::from(run.exit_code)
}

fn print_counts(index: &requirements::Index) {
    println!(
        "{:<12} {:>6} {:>6} {:>6} {:>6}",
        "level", "host", "client", "both", "total"
    );
    let counts = index.counts();
    for level in ["MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY"] {
        let n = |p: &str| {
            counts
                .get(&(level.to_owned(), p.to_owned()))
                .copied()
                .unwrap_or(0)
        };
        let (h, c, b) = (n("host"), n("client"), n("both"));
        println!("{level:<12} {h:>6} {c:>6} {b:>6} {:>6}", h + c + b);
    }
    println!("{} requirements", index.requirements.len());
}

fn requirements_cmd(args: &RequirementsCmd) -> ExitCode {
    let spec = args
        .spec
        .clone()
        .unwrap_or_else(requirements::default_spec_dir);
    let index = match requirements::load(&spec) {
        Ok(i) => i,
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            eprintln!("{} problem(s) in the specification", errors.len());
            return ExitCode::from(1);
        }
    };
    if args.write {
        let path = spec.join("requirements.json");
        if let Err(e) = std::fs::write(&path, index.to_json()) {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
        eprintln!(
            "wrote {} ({} requirements)",
            path.display(),
            index.requirements.len()
        );
        return ExitCode::SUCCESS;
    }
    if args.json {
        print!("{}", index.to_json());
        return ExitCode::SUCCESS;
    }
    let cov = hearth_conformance::coverage::coverage_map();
    for r in &index.requirements {
        let tests = cov.get(&r.id).map(|v| v.join(" ")).unwrap_or_else(|| {
            match hearth_conformance::coverage::EXEMPT
                .iter()
                .find(|(id, _)| *id == r.id)
            {
                Some(_) => "(exempt: untestable over the wire)".into(),
                None if hearth_conformance::coverage::needs_host_test(r) => "(NO TEST)".into(),
                None => "-".into(),
            }
        });
        println!(
            "{:<16} {:<10} {:<6} {:<24} {:<40} {}",
            r.id,
            r.level,
            r.party,
            r.observable.as_deref().unwrap_or("-"),
            r.section,
            tests
        );
    }
    println!();
    print_counts(&index);
    let missing = hearth_conformance::coverage::uncovered(&index);
    if !missing.is_empty() {
        eprintln!(
            "mandatory host requirements without a test: {}",
            missing.join(", ")
        );
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
