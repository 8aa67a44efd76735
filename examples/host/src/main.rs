//! `hearth-host`: the Hearth reference host.
//!
//! ```text
//! hearth-host [--config PATH] init [--host-url URL] [--data-dir DIR] [--owner-key HEX]... [--listen ADDR] [--force]
//! hearth-host [--config PATH] serve [--listen ADDR] [--tls-cert PEM --tls-key PEM]
//! hearth-host [--config PATH] cgi
//! hearth-host [--config PATH] fcgi [--listen ADDR]
//! hearth-host [--config PATH] check [--url URL | --fetch] [--document-root DIR]
//! hearth-host completions SHELL
//! ```
//! `--config` may also follow the command. Run by a web server as a CGI program
//! (`GATEWAY_INTERFACE` set) without arguments it answers one request; started without
//! arguments on a listening socket (FastCGI) it runs `fcgi`. The config is `--config PATH`,
//! else `$HEARTH_CONFIG`, else `hearth.toml` next to the executable (CGI, FastCGI and `init`;
//! `check` if there is one there) or in the working directory. Diagnostics go to stderr through
//! `tracing` ([`hearth_host::log`]).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, Parser, Subcommand};

use hearth_host::config::{self, Config};
use hearth_host::handler::Host;
use hearth_host::{cgi, fcgi, serve, store};

/// Where the configuration is looked for, shown after every help text.
const CONFIG_NOTE: &str = "\
The config is --config PATH, else $HEARTH_CONFIG, else hearth.toml next to the executable (CGI,
FastCGI, init; check when one is there), else in the working directory. Run by a web server
(GATEWAY_INTERFACE set) without arguments, hearth-host answers one CGI request; started without
arguments on a listening socket (FastCGI, as mod_fcgid does), it runs `fcgi`. Diagnostics go to
standard error (the web server's error log); HEARTH_LOG=error|warn|info|debug sets the level.
Exit codes: 0 done, 1 failed, 2 bad arguments.";

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
    /// Create or upgrade the database of the config (the PostgreSQL database of
    /// serve.database_url, else the SQLite file) and print its schema version
    Migrate,
    /// Answer one CGI request (RFC 3875) from the environment and standard input
    Cgi,
    /// Run as a FastCGI application (responder): many requests in one process, on the
    /// listening socket passed as descriptor 0 (mod_fcgid, lighttpd bin-path) or --listen
    Fcgi {
        /// HOST:PORT, or a Unix socket path (contains a `/`) [default: descriptor 0]
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Check the deployment, run as the CGI's user; exit 1 on any error
    ///
    /// The config (naming the wrong field), that the database can be created and written,
    /// permissions, a data directory inside the document root, and (with --url or --fetch) that
    /// the host answers and its database cannot be downloaded.
    Check(CheckArgs),
    /// Print a completion script for SHELL on standard output
    Completions {
        /// The shell to complete for
        shell: clap_complete::Shell,
    },
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Fetch this URL of the host (GET must answer its InfoResult) and the URLs its database
    /// files would have if the data directory were served (HTTP 200 is an error)
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// As --url with the config's host_url
    #[arg(long, conflicts_with = "url")]
    fetch: bool,
    /// The web server's document root [default: $DOCUMENT_ROOT, else guessed from directory
    /// names such as public_html]
    #[arg(long, value_name = "DIR")]
    document_root: Option<PathBuf>,
    /// A private CA's certificate (PEM) to trust, beside Mozilla's roots, when fetching an
    /// https:// URL [default: $SSL_CERT_FILE, if set]
    #[arg(long, value_name = "PEM")]
    ca_file: Option<PathBuf>,
}

#[derive(clap::Args)]
struct InitArgs {
    /// The host's canonical URL, exactly as clients call it [default: http://ADDR/ of --listen]
    #[arg(long, value_name = "URL")]
    host_url: Option<String>,
    /// Where the database lives, outside the web root [default: $HOME/hearth-data when the
    /// config is under $HOME, else hearth-data beside the config]
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
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

/// Where a command looks for its config when `--config` is not given.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lookup {
    /// CGI and `init`: `hearth.toml` beside the executable (suEXEC drops the environment, so
    /// this is where the CGI finds it without any variable).
    BesideExe,
    /// `check`: beside the executable if there is one there, else the working directory.
    Either,
    /// `serve`: the working directory.
    WorkingDir,
}

fn exe_dir() -> Option<PathBuf> {
    std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
}

fn config_path(explicit: Option<&Path>, lookup: Lookup) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    if let Some(p) = std::env::var_os("HEARTH_CONFIG").filter(|p| !p.is_empty()) {
        return p.into();
    }
    let beside = exe_dir().map(|d| d.join("hearth.toml"));
    match (lookup, beside) {
        (Lookup::BesideExe, Some(p)) => p,
        (Lookup::Either, Some(p)) if p.is_file() => p,
        _ => PathBuf::from("hearth.toml"),
    }
}

fn load_host(path: &Path) -> Result<Host, String> {
    let config = Config::load(path).map_err(|e| e.to_string())?;
    Host::new(config)
}

fn main() -> ExitCode {
    hearth_host::log::init();
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
            tracing::warn!("ignoring the command-line words of a query string (RFC 3875 §4.4)");
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
        Command::Migrate => migrate(config),
        Command::Cgi => run_cgi(config),
        Command::Fcgi { listen } => run_fcgi(config, listen.as_deref()),
        Command::Check(a) => check(config, &a),
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
    let path = config_path(config, Lookup::BesideExe);
    let host = match load_host(&path) {
        Ok(h) => Some(h),
        Err(e) => {
            // Goes to the web server's error log; the client still gets a Response (internal).
            let from = if config.is_some() {
                "--config"
            } else if std::env::var_os("HEARTH_CONFIG").is_some_and(|v| !v.is_empty()) {
                "HEARTH_CONFIG"
            } else {
                "beside the executable; HEARTH_CONFIG is not set (suEXEC removes it)"
            };
            tracing::error!("internal: no usable config ({from}): {e}");
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
    let path = config_path(config, Lookup::BesideExe);
    let host = match load_host(&path) {
        Ok(h) => Some(Arc::new(h)),
        Err(e) => {
            // Every request is answered `internal` until the process is restarted.
            tracing::error!("{e}");
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
            tracing::error!("fcgi: {e}");
            ExitCode::FAILURE
        }
    }
}

fn check(config: Option<&Path>, a: &CheckArgs) -> ExitCode {
    use hearth_host::diag::{self, Severity};
    let path = config_path(config, Lookup::Either);
    let host = match load_host(&path) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("ok: {} serves {}", path.display(), host.config.host_url);
    let url = a
        .url
        .clone()
        .or_else(|| a.fetch.then(|| host.config.host_url.clone()));
    let mut cgi_dirs: Vec<PathBuf> = exe_dir().into_iter().collect();
    if let Some(d) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        cgi_dirs.push(d.to_path_buf());
    }
    let opts = diag::CheckOptions {
        url,
        document_root: a.document_root.clone(),
        cgi_dirs,
        ca_file: a.ca_file.clone(),
    };
    let findings = diag::check(&host.config, &opts);
    let mut failed = false;
    for f in &findings {
        if f.severity == Severity::Error {
            failed = true;
            eprintln!("{f}");
        } else {
            println!("{f}");
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn run_serve(
    config: Option<&Path>,
    listen: Option<String>,
    tls: Option<(PathBuf, PathBuf)>,
) -> ExitCode {
    let path = config_path(config, Lookup::WorkingDir);
    let host = match load_host(&path) {
        Ok(h) => Arc::new(h),
        Err(e) => {
            tracing::error!("{e}");
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
            tracing::error!("cannot start runtime: {e}");
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
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn migrate(config: Option<&Path>) -> ExitCode {
    let path = config_path(config, Lookup::WorkingDir);
    let host = match load_host(&path) {
        Ok(h) => h,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let config = &host.config;
    match store::open_config(&config.db_path(), config.serve.database_url.as_deref()) {
        Ok(conn) => {
            let version = if conn.is_pg() {
                pg_schema_version()
            } else {
                store::schema_version()
            };
            println!("hearth-host: database at schema version {version}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!("cannot open or migrate the database: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(feature = "postgres")]
fn pg_schema_version() -> usize {
    hearth_host::pg::schema_version()
}

#[cfg(not(feature = "postgres"))]
fn pg_schema_version() -> usize {
    0
}

fn init(config: Option<&Path>, a: &InitArgs) -> ExitCode {
    let path = config_path(config, Lookup::BesideExe);
    if path.exists() && !a.force {
        tracing::error!("{} exists; pass --force to overwrite it", path.display());
        return ExitCode::FAILURE;
    }
    let listen = &a.listen;
    let host_url = a
        .host_url
        .clone()
        .unwrap_or_else(|| format!("http://{listen}/"));
    let base = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let data_dir = a
        .data_dir
        .clone()
        .unwrap_or_else(|| default_data_dir(&base));
    let text = config::template(&host_url, &data_dir, &a.owner_keys, listen);
    let config = match Config::parse(&text, &base) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Err(e) = std::fs::write(&path, text) {
        tracing::error!("cannot write {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    if let Err(e) = store::open(&config.db_path()) {
        tracing::error!(
            "cannot create the database: {e}; {}",
            hearth_host::diag::permission_hint(&config.db_path())
        );
        return ExitCode::FAILURE;
    }
    println!("wrote {}", path.display());
    println!(
        "data directory: {} (mode 0700, database 0600, deny-all .htaccess)",
        config.data_dir.display()
    );
    if let Some(why) = hearth_host::diag::inside_document_root(&config.data_dir, None) {
        println!(
            "warning: the data directory looks inside the document root ({why}); prefer one \
             outside it (--data-dir), and run `check --fetch` to prove it cannot be downloaded"
        );
    }
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
        "  4. deploy as CGI: see examples/host/DEPLOY.md, then run `check --fetch` as the CGI's user"
    );
    ExitCode::SUCCESS
}

/// `$HOME/hearth-data` when the config is under `$HOME` (outside any document root below it),
/// else `hearth-data` beside the config.
fn default_data_dir(config_dir: &Path) -> PathBuf {
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from);
    let abs = config_dir
        .canonicalize()
        .unwrap_or_else(|_| config_dir.to_path_buf());
    match home {
        Some(h) if abs.starts_with(&h) && abs != h => h.join("hearth-data"),
        _ => PathBuf::from("hearth-data"),
    }
}
