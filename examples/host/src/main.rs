//! `hearth-host`: the Hearth reference host.
//!
//! ```text
//! hearth-host [--config PATH] init [--host-url URL] [--data-dir DIR] [--owner-key HEX]... [--listen ADDR] [--force]
//! hearth-host [--config PATH] serve [--listen ADDR] [--tls-cert PEM --tls-key PEM]
//! hearth-host [--config PATH] cgi
//! hearth-host [--config PATH] fcgi [--listen ADDR]
//! hearth-host [--config PATH] check
//! hearth-host completions SHELL
//! ```
//! `--config` may also follow the command. Run by a web server as a CGI program
//! (`GATEWAY_INTERFACE` set) without arguments it answers one request; started without
//! arguments on a listening socket (FastCGI) it runs `fcgi`. The config is
//! `--config PATH`, else `$HEARTH_CONFIG`, else `hearth.toml` next to the executable (CGI) or in
//! the working directory.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, Parser, Subcommand};

use hearth_host::config::{self, Config};
use hearth_host::handler::Host;
use hearth_host::{cgi, fcgi, serve, store};

/// Where the configuration is looked for, shown after every help text.
const CONFIG_NOTE: &str = "\
The config is --config PATH, else $HEARTH_CONFIG, else hearth.toml (next to the executable in CGI
mode, in the working directory otherwise). Run by a web server (GATEWAY_INTERFACE set) without
arguments, hearth-host answers one CGI request; started without arguments on a listening socket
(FastCGI, as mod_fcgid does), it runs `fcgi`. Exit codes: 0 done, 1 failed, 2 bad arguments.";

/// The Hearth reference host: one CGI program (or a standalone server) and a SQLite data
/// directory.
#[derive(Parser)]
#[command(
    name = "hearth-host",
    version,
    max_term_width = 100,
    after_help = CONFIG_NOTE
)]
struct Cli {
    /// The configuration file (TOML)
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a configuration with the defaults of spec §8.6, create the database, print the
    /// next steps
    Init(InitArgs),
    /// Run the standalone HTTP server (development, behind a reverse proxy, or over TLS itself)
    Serve {
        /// The address to listen on [default: serve.listen of the config]
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Serve https with this certificate chain (PEM, leaf first) [default: serve.tls_cert
        /// of the config]
        #[arg(long, value_name = "PEM", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The private key (PEM) of --tls-cert [default: serve.tls_key of the config]
        #[arg(long, value_name = "PEM", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
    },
    /// Answer one CGI request (RFC 3875) from the environment and standard input
    Cgi,
    /// Run as a FastCGI application (responder): many requests in one process, on the
    /// listening socket passed as descriptor 0 (mod_fcgid, lighttpd bin-path) or --listen
    Fcgi {
        /// HOST:PORT, or a Unix socket path (contains a `/`) [default: descriptor 0]
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Validate the configuration (naming the wrong field) and open the database, migrating it
    Check,
    /// Print a completion script for SHELL on standard output
    Completions {
        /// The shell to complete for
        shell: clap_complete::Shell,
    },
}

#[derive(clap::Args)]
struct InitArgs {
    /// The host's canonical URL, exactly as clients call it [default: http://ADDR/ of --listen]
    #[arg(long, value_name = "URL")]
    host_url: Option<String>,
    /// Where the database lives (outside the web root)
    #[arg(long, value_name = "DIR", default_value = "hearth-data")]
    data_dir: PathBuf,
    /// An owner's identity key, 64 hex digits (repeatable)
    #[arg(long = "owner-key", value_name = "HEX")]
    owner_keys: Vec<String>,
    /// The address `serve` listens on
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Overwrite an existing configuration file
    #[arg(long)]
    force: bool,
}

fn config_path(explicit: Option<&Path>, cgi: bool) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    if let Some(p) = std::env::var_os("HEARTH_CONFIG").filter(|p| !p.is_empty()) {
        return p.into();
    }
    if cgi {
        if let Some(dir) = std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().map(Path::to_path_buf))
        {
            return dir.join("hearth.toml");
        }
    }
    PathBuf::from("hearth.toml")
}

fn load_host(path: &Path) -> Result<Host, String> {
    let config = Config::load(path).map_err(|e| e.to_string())?;
    Host::new(config)
}

fn main() -> ExitCode {
    // Started by a FastCGI web server without arguments (mod_fcgid runs the program itself,
    // possibly with a CGI environment): descriptor 0 is a listening socket.
    if std::env::args_os().len() == 1 && fcgi::invoked_as_fastcgi() {
        hearth_host::warn_test_only();
        return run_fcgi(None, None);
    }
    if std::env::var_os("GATEWAY_INTERFACE").is_some() {
        hearth_host::warn_test_only();
        if std::env::args_os().len() == 1 {
            return run_cgi(None);
        }
        if query_on_command_line() {
            // Goes to the web server's error log.
            eprintln!(
                "hearth-host: ignoring the command-line words of a query string (RFC 3875 §4.4)"
            );
            return run_cgi(None);
        }
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version exit 0; an argument error exits 2, as before clap. Mapped here,
        // not assumed from clap's default.
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let config = cli.config.as_deref();
    if !matches!(cli.command, Command::Completions { .. }) {
        hearth_host::warn_test_only();
    }
    match cli.command {
        Command::Init(a) => init(config, &a),
        Command::Serve {
            listen,
            tls_cert,
            tls_key,
        } => run_serve(config, listen, tls_cert.zip(tls_key)),
        Command::Cgi => run_cgi(config),
        Command::Fcgi { listen } => run_fcgi(config, listen.as_deref()),
        Command::Check => check(config),
        Command::Completions { shell } => {
            use std::io::Write as _;
            // Through a buffer: clap_complete panics on a failed write (`| head`).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "hearth-host", &mut script);
            let _ = std::io::stdout().write_all(&script);
            ExitCode::SUCCESS
        }
    }
}

/// Whether the web server may have put a query string on the command line. RFC 3875 §4.4: a
/// query string without an unencoded `=` may be passed to the program as its arguments, one
/// per `+`-separated word (Apache's mod_cgi does). Those words are request data that anyone can
/// send (`?init+--force`), never a command; a Hearth client sends no query string at all
/// (spec §8.2).
fn query_on_command_line() -> bool {
    std::env::var("QUERY_STRING").is_ok_and(|q| !q.is_empty() && !q.contains('='))
}

fn run_cgi(config: Option<&Path>) -> ExitCode {
    let path = config_path(config, true);
    let host = match load_host(&path) {
        Ok(h) => Some(h),
        Err(e) => {
            // Goes to the web server's error log; the client still gets a Response.
            eprintln!("hearth-host: {e}");
            None
        }
    };
    match cgi::run(host.as_ref()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}

fn run_fcgi(config: Option<&Path>, listen: Option<&str>) -> ExitCode {
    // The config is found as for CGI (next to the executable by default).
    let path = config_path(config, true);
    let host = match load_host(&path) {
        Ok(h) => Some(Arc::new(h)),
        Err(e) => {
            // Every request is answered `internal` until the process is restarted.
            eprintln!("hearth-host: {e}");
            None
        }
    };
    let listen = listen.map_or(fcgi::Listen::Inherited, fcgi::Listen::parse);
    let announce = !matches!(listen, fcgi::Listen::Inherited);
    let result = fcgi::run(host, &listen, |addr| {
        if announce {
            // The first line on stdout names the bound address (tests use port 0).
            println!("hearth-host fcgi listening on {addr}");
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hearth-host: fcgi: {e}");
            ExitCode::FAILURE
        }
    }
}

fn check(config: Option<&Path>) -> ExitCode {
    let path = config_path(config, false);
    match load_host(&path).and_then(|h| {
        store::open(&h.config.db_path())
            .map(|_| h)
            .map_err(|e| format!("cannot open database: {e}"))
    }) {
        Ok(h) => {
            println!(
                "ok: {} serves {} (schema version {}, database {})",
                path.display(),
                h.config.host_url,
                store::schema_version(),
                h.config.db_path().display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("hearth-host: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_serve(
    config: Option<&Path>,
    listen: Option<String>,
    tls: Option<(PathBuf, PathBuf)>,
) -> ExitCode {
    let path = config_path(config, false);
    let host = match load_host(&path) {
        Ok(h) => Arc::new(h),
        Err(e) => {
            eprintln!("hearth-host: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listen = listen.unwrap_or_else(|| host.config.serve.listen.clone());
    let acceptor = match tls {
        Some((cert, key)) => hearth_host::tls::acceptor(&cert, &key).map(Some),
        None => hearth_host::tls::from_config(&host.config.serve),
    };
    let acceptor = match acceptor {
        Ok(a) => a,
        Err(e) => {
            eprintln!("hearth-host: {e}");
            return ExitCode::FAILURE;
        }
    };
    let scheme = if acceptor.is_some() { "https" } else { "http" };
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hearth-host: cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&listen).await?;
        let addr = listener.local_addr()?;
        // The first line on stdout names the bound address (tests use port 0).
        println!(
            "hearth-host listening on {addr} ({scheme}) as {}",
            host.config.host_url
        );
        serve::run(host, listener, acceptor).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hearth-host: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init(config: Option<&Path>, a: &InitArgs) -> ExitCode {
    let path = config_path(config, false);
    if path.exists() && !a.force {
        eprintln!(
            "hearth-host: {} exists; pass --force to overwrite it",
            path.display()
        );
        return ExitCode::FAILURE;
    }
    let listen = &a.listen;
    let host_url = a
        .host_url
        .clone()
        .unwrap_or_else(|| format!("http://{listen}/"));
    let text = config::template(&host_url, &a.data_dir, &a.owner_keys, listen);
    let base = path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let config = match Config::parse(&text, &base) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("hearth-host: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Err(e) = std::fs::write(&path, text) {
        eprintln!("hearth-host: cannot write {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    if let Err(e) = store::open(&config.db_path()) {
        eprintln!("hearth-host: cannot create the database: {e}");
        return ExitCode::FAILURE;
    }
    println!("wrote {}", path.display());
    println!("data directory: {}", config.data_dir.display());
    println!();
    println!("next steps:");
    if a.owner_keys.is_empty() {
        println!(
            "  1. add your owner identity key (hex) to owner_keys in {}",
            path.display()
        );
        println!("     (`hearth-conformance keygen` or your Hearth client prints one)");
    } else {
        println!("  1. owner keys configured: {}", a.owner_keys.len());
    }
    println!("  2. check host_url: it must be exactly the URL clients call ({host_url})");
    println!(
        "  3. try it:  hearth-host serve --config {}",
        path.display()
    );
    println!("              curl -s -H 'Accept: application/cbor' {host_url} | xxd | head");
    println!(
        "  4. deploy as CGI: see examples/host/DEPLOY.md (data directory outside the web root)"
    );
    ExitCode::SUCCESS
}
