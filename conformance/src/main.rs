//! `hearth-conformance`: the Hearth conformance harness (spec §14).

use std::process::ExitCode;

use hearth_conformance::bundled;
use hearth_conformance::client::{Key, SeededRng};
use hearth_conformance::client_suite;
use hearth_conformance::model;
use hearth_conformance::report;
use hearth_conformance::requirements;
use hearth_conformance::suite;
use hearth_conformance::target::{CgiTarget, HttpTarget, Target};

const USAGE: &str = "\
usage: hearth-conformance                      the main job: the host suite against the bundled
                                               reference host on loopback (fresh data directory)
       hearth-conformance host [TARGET] [OPTIONS]
       hearth-conformance client --shim CMD [--shim-timeout SECS] [OPTIONS]
       hearth-conformance keygen [--out FILE]
       hearth-conformance requirements [--json] [--write] [--spec DIR]

host: run the host suite (spec §14.3)
  TARGET (default: the bundled reference host)
    --url URL            a running host at its canonical URL (http:// only in this build)
    --cgi PATH           run the CGI program PATH directly for each request (RFC 3875); the host
                         URL it is configured with is given by --url (default http://localhost/)
    --cgi-env K=V        extra environment for the CGI program (repeatable)
  OPTIONS
    --owner-key FILE     the owner identity the harness acts as (a file written by `keygen`);
                         its public key must be listed in the host's owner keys
    --seed N             seed of every random choice (default: random; always printed)
    --strict             also run SHOULD tests; an unsupported MUST test fails
    --only PATTERN       run only tests whose ID matches the glob (repeatable)
    --expectations FILE  JSON: {\"expectations\": [{\"test\": ID-or-glob,
                         \"expect\": \"skip\"|\"xfail\"|\"flaky\", \"reason\": \"...\"}]}
    --format F           human (default), json or junit, on standard output
    --report FILE        also write a Markdown (.md) or HTML (.html) report
    --list               list the tests (ID, level, requirements) and exit

client: run the client suite (spec §14.4) against a shim: `sh -c CMD` speaking the shim
  protocol (JSON lines on stdin/stdout); the harness runs reference hosts in this process
  behind tamper proxies. OPTIONS as for host (--seed, --strict, --only, --expectations,
  --format, --report, --list), and
    --shim CMD           the shim command (required unless --list), e.g.
                         'cargo run -q -p hearth-client --bin hearth-shim'
    --shim-timeout SECS  how long to wait for one answer (default 30)

reference-shim: be the reference client's shim (hearth-client, Appendix B) on stdin/stdout,
  so that `client --shim 'hearth-conformance reference-shim'` needs no other binary.

keygen: write an owner identity (Ed25519 seed, hex, mode 0600) to FILE (default
  hearth-owner.key) and print its public key, to list in the host's config
  (reference host: `owner_keys = [\"<public key hex>\"]`).

requirements: print the requirement index with the tests covering each requirement
    --json       print spec/requirements.json instead of the table
    --write      rewrite spec/requirements.json from the Markdown
    --spec DIR   the spec directory (default: the repository's spec/)

Exit codes (spec §14.5): 0 every selected mandatory test passed (or was not applicable or
skipped by expectation); 1 at least one test failed (for `requirements`: the spec is
inconsistent or a mandatory host requirement has no test); 2 harness error (bad arguments,
host unreachable, owner key not accepted, shim did not complete the hello); 3 under --strict, a mandatory test was unsupported
and none failed. When several apply: 2, then 1, then 3.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None => main_job(),
        Some("host") => host_cmd(args.get(1..).unwrap_or_default()),
        Some("client") => client_cmd(args.get(1..).unwrap_or_default()),
        Some("keygen") => keygen_cmd(args.get(1..).unwrap_or_default()),
        Some("reference-shim") => hearth_client::shim::run_stdio(),
        Some("requirements") => requirements_cmd(args.get(1..).unwrap_or_default()),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// The README's first command: the host suite against the bundled reference host.
fn main_job() -> ExitCode {
    println!("hearth-conformance: main job (host suite against the bundled reference host)");
    host_cmd(&[])
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

fn keygen_cmd(args: &[String]) -> ExitCode {
    let mut out = "hearth-owner.key".to_owned();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match (a.as_str(), it.next()) {
            ("--out", Some(f)) => out = f.clone(),
            _ => return harness_error(&format!("bad keygen arguments\n\n{USAGE}")),
        }
    }
    let mut seed = [0u8; 32];
    if let Err(e) = getrandom_fill(&mut seed) {
        return harness_error(&e);
    }
    let key = Key::from_seed(&seed);
    if let Err(e) = write_private(&out, &format!("{}\n", hex::encode(seed))) {
        return harness_error(&e);
    }
    eprintln!("wrote the owner identity seed to {out} (mode 0600); its public key:");
    println!("{}", hex::encode(key.public()));
    ExitCode::SUCCESS
}

fn getrandom_fill(buf: &mut [u8]) -> Result<(), String> {
    use rand_core::RngCore;
    rand_core::OsRng
        .try_fill_bytes(buf)
        .map_err(|e| format!("no OS randomness: {e}"))
}

fn write_private(path: &str, text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| format!("cannot create {path} (it must not exist yet): {e}"))?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {path}: {e}"))
}

struct HostArgs {
    url: Option<String>,
    cgi: Option<String>,
    cgi_env: Vec<(String, String)>,
    owner_key: Option<String>,
    seed: Option<u64>,
    strict: bool,
    only: Vec<String>,
    expectations: Option<String>,
    format: String,
    report: Option<String>,
    list: bool,
}

fn parse_host_args(args: &[String]) -> Result<HostArgs, String> {
    let mut h = HostArgs {
        url: None,
        cgi: None,
        cgi_env: Vec::new(),
        owner_key: None,
        seed: None,
        strict: false,
        only: Vec::new(),
        expectations: None,
        format: "human".into(),
        report: None,
        list: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{a} needs a value"))
        };
        match a.as_str() {
            "--url" => h.url = Some(val()?),
            "--cgi" => h.cgi = Some(val()?),
            "--cgi-env" => {
                let v = val()?;
                let (k, x) = v.split_once('=').ok_or("--cgi-env needs K=V")?;
                h.cgi_env.push((k.to_owned(), x.to_owned()));
            }
            "--owner-key" => h.owner_key = Some(val()?),
            "--seed" => {
                h.seed = Some(
                    val()?
                        .parse()
                        .map_err(|_| "--seed needs an unsigned integer")?,
                )
            }
            "--strict" => h.strict = true,
            "--only" => h.only.push(val()?),
            "--expectations" => h.expectations = Some(val()?),
            "--format" => {
                let f = val()?;
                if !["human", "json", "junit"].contains(&f.as_str()) {
                    return Err(format!("unknown format `{f}`"));
                }
                h.format = f;
            }
            "--report" => h.report = Some(val()?),
            "--list" => h.list = true,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(h)
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
            suite::level_of_requirements(reqs, index).as_str(),
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
fn run_options(h: &HostArgs) -> Result<(suite::RunOptions, String), ExitCode> {
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
    if h.format == "human" {
        eprintln!("seed {seed}");
    }
    let opts = suite::RunOptions {
        seed,
        strict: h.strict,
        only: h.only.clone(),
        expectations,
    };
    Ok((opts, reproduce))
}

/// The progress lines of a human-format run (nothing for the machine formats).
fn progress_printer(format: &str) -> impl FnMut(suite::Progress<'_>) {
    let human = format == "human";
    move |p: suite::Progress<'_>| {
        if !human {
            return;
        }
        match p {
            suite::Progress::Start { index, total, id } => {
                eprint!("[{index:>3}/{total}] {id:<60} ");
            }
            suite::Progress::Done(r) => {
                eprintln!("{} ({} ms)", r.outcome.as_str(), r.duration_ms);
            }
        }
    }
}

fn host_cmd(args: &[String]) -> ExitCode {
    let h = match parse_host_args(args) {
        Ok(h) => h,
        Err(e) => return harness_error(&format!("{e}\n\n{USAGE}")),
    };
    let index = load_index();
    if h.list {
        let tests: Vec<_> = suite::all_tests()
            .iter()
            .map(|t| (t.id, t.requirements))
            .collect();
        return list_tests(&tests, &index);
    }
    let (opts, options) = match run_options(&h) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let seed = opts.seed;
    let owner = match &h.owner_key {
        Some(p) => match read_owner_key(p) {
            Ok(k) => k,
            Err(e) => return harness_error(&e),
        },
        None => SeededRng::new(seed ^ 0x006f_776e_6572).key(),
    };
    let bundled;
    let http;
    let cgi;
    let target: &dyn Target = match (&h.cgi, &h.url) {
        (Some(prog), url) => {
            cgi = CgiTarget::new(
                prog.into(),
                url.as_deref().unwrap_or("http://localhost/"),
                h.cgi_env.clone(),
            );
            &cgi
        }
        (None, Some(url)) => match HttpTarget::new(url) {
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
    if h.cgi.is_some() || h.url.is_some() {
        reproduce = format!("{reproduce} {}", target.cli_args());
    }
    if let Some(k) = &h.owner_key {
        reproduce = format!("{reproduce} --owner-key {k}");
    }
    reproduce.push_str(&options);
    let mut progress = progress_printer(&h.format);
    let run = match suite::run(target, &owner, &opts, &index, &reproduce, &mut progress) {
        Ok(r) => r,
        Err(e) => return harness_error(&format!("{e} (seed {seed})")),
    };
    finish(&run, &h.format, h.report.as_deref())
}

fn client_cmd(args: &[String]) -> ExitCode {
    // --shim and --shim-timeout are the client suite's own; the rest are shared with `host`.
    let mut shim = None;
    let mut timeout = hearth_conformance::shim::DEFAULT_TIMEOUT;
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--shim" => match it.next() {
                Some(v) => shim = Some(v.clone()),
                None => return harness_error(&format!("--shim needs a value\n\n{USAGE}")),
            },
            "--shim-timeout" => match it.next().and_then(|v| v.parse::<f64>().ok()) {
                Some(s) if s > 0.0 && s.is_finite() => {
                    timeout = std::time::Duration::from_secs_f64(s);
                }
                _ => {
                    return harness_error(&format!(
                        "--shim-timeout needs a positive number of seconds\n\n{USAGE}"
                    ))
                }
            },
            _ => rest.push(a.clone()),
        }
    }
    let h = match parse_host_args(&rest) {
        Ok(h) => h,
        Err(e) => return harness_error(&format!("{e}\n\n{USAGE}")),
    };
    if h.url.is_some() || h.cgi.is_some() || h.owner_key.is_some() || !h.cgi_env.is_empty() {
        return harness_error(&format!(
            "--url, --cgi, --cgi-env and --owner-key are host-suite options\n\n{USAGE}"
        ));
    }
    let index = load_index();
    if h.list {
        let tests: Vec<_> = client_suite::all_tests()
            .iter()
            .map(|t| (t.id, t.requirements))
            .collect();
        return list_tests(&tests, &index);
    }
    let Some(command) = shim else {
        return harness_error(&format!("client needs --shim CMD\n\n{USAGE}"));
    };
    let (opts, options) = match run_options(&h) {
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
    let mut progress = progress_printer(&h.format);
    let run = match client_suite::run(&shim_opts, &opts, &index, &reproduce, &mut progress) {
        Ok(r) => r,
        Err(e) => return harness_error(&format!("{e} (seed {})", opts.seed)),
    };
    finish(&run, &h.format, h.report.as_deref())
}

/// Prints the report in `format`, writes the `--report` file, and returns the run's exit code.
fn finish(run: &report::RunReport, format: &str, report_file: Option<&str>) -> ExitCode {
    let text = match format {
        "json" => report::json(run),
        "junit" => report::junit(run),
        _ => report::human(run),
    };
    print!("{text}");
    if let Some(path) = report_file {
        let md = report::markdown(run);
        let body = if path.ends_with(".html") || path.ends_with(".htm") {
            format!("<!doctype html><meta charset=\"utf-8\"><title>Hearth conformance report</title><pre>{}</pre>\n", md.replace('&', "&amp;").replace('<', "&lt;"))
        } else {
            md
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

fn requirements_cmd(args: &[String]) -> ExitCode {
    let mut json = false;
    let mut write = false;
    let mut spec = requirements::default_spec_dir();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => json = true,
            "--write" => write = true,
            "--spec" => match it.next() {
                Some(d) => spec = d.into(),
                None => {
                    eprintln!("--spec needs a directory\n\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            other => {
                eprintln!("unknown argument `{other}`\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
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
    if write {
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
    if json {
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
