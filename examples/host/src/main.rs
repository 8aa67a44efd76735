//! `hearth-host`: the Hearth reference host.
//!
//! ```text
//! hearth-host init  [--config PATH] [--host-url URL] [--data-dir DIR] [--owner-key HEX]... [--listen ADDR] [--force]
//! hearth-host serve [--config PATH] [--listen ADDR]
//! hearth-host cgi   [--config PATH]
//! hearth-host check [--config PATH]
//! ```
//! Run by a web server as a CGI program (`GATEWAY_INTERFACE` set) it answers one request. The
//! config is `--config PATH`, else `$HEARTH_CONFIG`, else `hearth.toml` next to the
//! executable (CGI) or in the working directory.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use hearth_host::config::{self, Config};
use hearth_host::handler::Host;
use hearth_host::{cgi, serve, store};

const USAGE: &str = "usage:
  hearth-host init  [--config PATH] [--host-url URL] [--data-dir DIR] [--owner-key HEX]... [--listen ADDR] [--force]
  hearth-host serve [--config PATH] [--listen ADDR]
  hearth-host cgi   [--config PATH]
  hearth-host check [--config PATH]
Config: --config PATH, else $HEARTH_CONFIG, else hearth.toml (next to the executable in CGI mode).";

struct Args {
    config: Option<PathBuf>,
    host_url: Option<String>,
    data_dir: Option<PathBuf>,
    owner_keys: Vec<String>,
    listen: Option<String>,
    force: bool,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args {
        config: None,
        host_url: None,
        data_dir: None,
        owner_keys: Vec::new(),
        listen: None,
        force: false,
    };
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--config" => a.config = Some(value("--config")?.into()),
            "--host-url" => a.host_url = Some(value("--host-url")?),
            "--data-dir" => a.data_dir = Some(value("--data-dir")?.into()),
            "--owner-key" => a.owner_keys.push(value("--owner-key")?),
            "--listen" => a.listen = Some(value("--listen")?),
            "--force" => a.force = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(a)
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
    let mut args = std::env::args().skip(1);
    let cmd = args.next();
    let is_cgi_env = std::env::var_os("GATEWAY_INTERFACE").is_some();
    if cmd.is_none() && is_cgi_env {
        return run_cgi(None);
    }
    let parsed = match parse_args(args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("hearth-host: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match cmd.as_deref() {
        Some("init") => init(&parsed),
        Some("serve") => run_serve(&parsed),
        Some("cgi") => run_cgi(parsed.config.as_deref()),
        Some("check") => check(&parsed),
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

fn check(a: &Args) -> ExitCode {
    let path = config_path(a.config.as_deref(), false);
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

fn run_serve(a: &Args) -> ExitCode {
    let path = config_path(a.config.as_deref(), false);
    let host = match load_host(&path) {
        Ok(h) => Arc::new(h),
        Err(e) => {
            eprintln!("hearth-host: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listen = a
        .listen
        .clone()
        .unwrap_or_else(|| host.config.serve.listen.clone());
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
            "hearth-host listening on {addr} as {}",
            host.config.host_url
        );
        serve::run(host, listener).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hearth-host: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init(a: &Args) -> ExitCode {
    let path = config_path(a.config.as_deref(), false);
    if path.exists() && !a.force {
        eprintln!(
            "hearth-host: {} exists; pass --force to overwrite it",
            path.display()
        );
        return ExitCode::FAILURE;
    }
    let listen = a.listen.clone().unwrap_or_else(|| "127.0.0.1:8080".into());
    let host_url = a
        .host_url
        .clone()
        .unwrap_or_else(|| format!("http://{listen}/"));
    let data_dir = a
        .data_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("hearth-data"));
    let text = config::template(&host_url, &data_dir, &a.owner_keys, &listen);
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
