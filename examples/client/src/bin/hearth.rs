//! `hearth`: the reference Hearth client on the command line. Every command loads the local
//! state from SQLite, does its work against the hosts, and writes the state back.
//!
//! ```text
//! hearth [--state FILE] init NAME               create your identity
//! hearth whoami                                 show your fingerprint and identity key
//! hearth create HOST_URL                        start a conversation on a host you own
//! hearth invite CONV [--expires SECS] [--svg FILE] [--png FILE]
//! hearth join LINK [--name NAME]                accept an invitation
//! hearth sync                                   fetch everything, show what is new
//! hearth send CONV TEXT...                      send a message
//! hearth read CONV                              sync, then show the conversation
//! hearth list                                   list conversations
//! hearth remove CONV FINGERPRINT                remove a member (on every route you admin)
//! hearth route-add CONV HOST_URL                add a route on another host you own
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use hearth_client::error::code_name;
use hearth_client::store::Store;
use hearth_client::{qr, Client, Comparison, Event, SasCheck};
use hearth_crypto::keys::Fingerprint;
use hearth_crypto::Status;
use hearth_wire::HostUrl;

/// `println!` that tolerates a closed standard output (`hearth list | head`): output is best
/// effort, the state is what matters.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

const USAGE: &str = "usage: hearth [--state FILE] COMMAND ...

commands:
  init NAME                      create your identity (once)
  whoami                         show your fingerprint and identity key
  create HOST_URL                start a conversation on a host that lists you as an owner
  invite CONV [--expires SECS] [--svg FILE] [--png FILE]
                                 make an invitation link and show its QR code
  join LINK [--name NAME]        accept an invitation link
  sync                           fetch every conversation and show what is new
  send CONV TEXT...              send a message
  read CONV                      sync, then show the conversation
  list                           list your conversations
  remove CONV FINGERPRINT        remove a member from the conversation
  route-add CONV HOST_URL        give the conversation a second route on another host

CONV is the start of a conversation's id as `list` shows it. The state file defaults to
$HEARTH_STATE, else $HOME/.local/share/hearth/state.sqlite.

Before anyone is added, inviter and joiner compare a six-digit code that both screens show.
`sync` asks for it at the terminal; with HEARTH_COMPARE=stdin it reads the answers (y or n)
from standard input instead, for scripts. Without either, joins wait.";

/// A failure with the message the user sees and the exit code.
struct Fail(String, u8);

fn usage(msg: &str) -> Fail {
    Fail(format!("{msg}\n\n{USAGE}"), 2)
}

fn fail(msg: impl std::fmt::Display) -> Fail {
    Fail(msg.to_string(), 1)
}

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail(msg, code)) => {
            eprintln!("hearth: {msg}");
            ExitCode::from(code)
        }
    }
}

fn state_path(explicit: Option<String>) -> Result<PathBuf, Fail> {
    if let Some(p) = explicit.or_else(|| std::env::var("HEARTH_STATE").ok()) {
        return Ok(PathBuf::from(p));
    }
    let home = std::env::var("HOME").map_err(|_| usage("no --state given and HOME is not set"))?;
    let dir = PathBuf::from(home).join(".local/share/hearth");
    std::fs::create_dir_all(&dir)
        .map_err(|e| fail(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir.join("state.sqlite"))
}

fn run(mut args: Vec<String>) -> Result<(), Fail> {
    let mut state = None;
    if args.first().map(String::as_str) == Some("--state") {
        args.remove(0);
        if args.is_empty() {
            return Err(usage("--state needs a file"));
        }
        state = Some(args.remove(0));
    }
    if matches!(
        args.first().map(String::as_str),
        None | Some("-h" | "--help" | "help")
    ) {
        say!("{USAGE}");
        return Ok(());
    }
    let cmd = args.remove(0);
    let path = state_path(state)?;
    let mut store = Store::open(&path).map_err(fail)?;
    let loaded = store.load().map_err(fail)?;
    if cmd == "init" {
        let [name] = args.as_slice() else {
            return Err(usage("init takes your display name"));
        };
        if loaded.is_some() {
            return Err(fail(format!(
                "{} already holds an identity; use another --state file for another one",
                path.display()
            )));
        }
        let client = Client::generate(name);
        store.save(&client).map_err(fail)?;
        say!("Created the identity of {name}.");
        show_identity(&client);
        say!(
            "\nTo host conversations, add the identity key above to owner_keys in your host's\nconfiguration. To join someone else's conversation, run: hearth join LINK"
        );
        return Ok(());
    }
    let mut client = loaded.ok_or_else(|| fail("no identity yet: run `hearth init NAME` first"))?;
    // Group states reach the disk before what depends on them leaves (no key reuse after a
    // crash or Ctrl-C in the middle of a command).
    client.set_checkpoint(Store::checkpoint(&path).map_err(fail)?);
    // Short authentication strings are compared by the user at the terminal (spec §5.8.1); without
    // a terminal nothing is admitted or accepted, and joins wait for an interactive `sync`.
    client.set_comparison(Box::new(Terminal));
    let result = command(&mut client, &cmd, args);
    // What the command learned on the way (a detection while sending, a member added while
    // catching up) is shown now, not lost (HRT-LOG-39).
    let ev = client.take_events();
    print_events(&client, &ev);
    // Whatever happened, the state changed by it is written back: secrets used are gone
    // (spec §6.16) and must not come back from an older copy.
    store.save(&client).map_err(fail)?;
    result
}

fn show_identity(c: &Client) {
    say!("  fingerprint:  {}", c.fingerprint().display_digits());
    say!(
        "  identity key: {}",
        hex::encode(c.identity_public().as_bytes())
    );
}

fn command(client: &mut Client, cmd: &str, args: Vec<String>) -> Result<(), Fail> {
    match cmd {
        "whoami" => {
            say!("{}", client.name());
            show_identity(client);
        }
        "create" => {
            let [host] = args.as_slice() else {
                return Err(usage("create takes a host URL"));
            };
            let host = host_url(host)?;
            let (conv, _) = client.create_channel(&host).map_err(fail)?;
            say!(
                "Created conversation {} on {}",
                hex::encode(conv),
                host.as_str()
            );
            say!("Invite someone with: hearth invite {}", short(&conv));
        }
        "invite" => {
            let (conv, rest) = conversation(client, &args)?;
            let mut expires = 7 * 24 * 3600;
            let (mut svg, mut png) = (None, None);
            let mut it = rest.iter();
            while let Some(flag) = it.next() {
                let value = it
                    .next()
                    .ok_or_else(|| usage(&format!("{flag} needs a value")))?;
                match flag.as_str() {
                    "--expires" => {
                        expires = value
                            .parse()
                            .map_err(|_| usage("--expires takes seconds"))?
                    }
                    "--svg" => svg = Some(value.clone()),
                    "--png" => png = Some(value.clone()),
                    other => return Err(usage(&format!("unknown option {other}"))),
                }
            }
            let link = client.create_invite(&conv, expires).map_err(fail)?;
            say!("{}", qr::terminal(&link).map_err(fail)?);
            say!("{link}\n");
            say!("Send this link (or show the code) to one person; it works once.");
            if let Some(f) = svg {
                std::fs::write(&f, qr::svg(&link).map_err(fail)?)
                    .map_err(|e| fail(format!("{f}: {e}")))?;
                say!("QR code written to {f}");
            }
            if let Some(f) = png {
                std::fs::write(&f, qr::png(&link, 8).map_err(fail)?)
                    .map_err(|e| fail(format!("{f}: {e}")))?;
                say!("QR code written to {f}");
            }
        }
        "join" => {
            let (link, name) = match args.as_slice() {
                [l] => (l.clone(), client.name().to_owned()),
                [l, f, n] if f == "--name" => (l.clone(), n.clone()),
                _ => return Err(usage("join takes an invitation link [--name NAME]")),
            };
            let (_, sas) = client.accept_invite(&link, &name).map_err(fail)?;
            say!(
                "Invitation accepted. Your code is {sas}. Ask your inviter, in person or on a call,
which code their screen shows; it must be the same."
            );
            let ev = client.sync();
            print_events(client, &ev);
            if !ev.iter().any(|e| matches!(e, Event::Joined { .. })) {
                say!(
                    "Invitation accepted. The inviter's client admits you when it next syncs;\nrun `hearth sync` later to finish joining."
                );
            }
        }
        "sync" => {
            let ev = client.sync();
            if ev.is_empty() {
                say!("Nothing new.");
            }
            print_events(client, &ev);
        }
        "send" => {
            let (conv, rest) = conversation(client, &args)?;
            if rest.is_empty() {
                return Err(usage("send takes a conversation and the text"));
            }
            let sent = client.send_text(&conv, &rest.join(" ")).map_err(fail)?;
            say!("Sent via {} (seq {}).", sent.route.host.as_str(), sent.seq);
        }
        "read" => {
            let (conv, rest) = conversation(client, &args)?;
            if !rest.is_empty() {
                return Err(usage("read takes one conversation"));
            }
            // Everything but the messages, which the conversation below shows.
            let ev: Vec<Event> = client
                .sync()
                .into_iter()
                .filter(|e| !matches!(e, Event::Message { .. }))
                .collect();
            print_events(client, &ev);
            for d in client.display(&conv).map_err(fail)? {
                say!(
                    "[{}] {}: {}",
                    d.route.host.as_str(),
                    name_of(client, &d.sender),
                    d.text
                );
            }
        }
        "list" => {
            if client.conversations().is_empty() {
                say!("No conversations yet.");
            }
            for c in client.conversations() {
                say!("{}", hex::encode(c.handle()));
                for r in c.routes() {
                    let state = match (r.frozen(), r.group().status()) {
                        (Some(f), _) => format!(" FROZEN: {}", code_name(f.detection.code)),
                        (None, Status::Removed) => " (you were removed)".into(),
                        (None, Status::Halted(c)) => {
                            format!(" STOPPED: a commit was refused ({})", code_name(c))
                        }
                        (None, Status::Active) => String::new(),
                    };
                    say!(
                        "  route {} epoch {}{state}",
                        r.link().host.as_str(),
                        r.group().epoch().map_or("-".into(), |e| e.to_string())
                    );
                }
                for m in c
                    .routes()
                    .first()
                    .map(|r| r.group().members())
                    .unwrap_or_default()
                {
                    say!("  member {}", m.fingerprint.display_digits());
                }
            }
        }
        "remove" => {
            let (conv, rest) = conversation(client, &args)?;
            let [fp] = rest else {
                return Err(usage("remove takes a conversation and a fingerprint"));
            };
            let digits: String = fp.chars().filter(char::is_ascii_hexdigit).collect();
            let bytes: [u8; 32] = hex::decode(&digits)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| usage("the fingerprint is 64 hex digits"))?;
            let target = Fingerprint::from_bytes(bytes);
            let routes: Vec<_> = client
                .conversations()
                .iter()
                .find(|c| c.handle() == conv)
                .map(|c| c.routes().iter().map(|r| r.link().clone()).collect())
                .unwrap_or_default();
            let mut removed = 0;
            for r in routes {
                match client.commit(&conv, &r, &[target]) {
                    Ok((epoch, _)) => {
                        removed += 1;
                        say!("Removed on {} (epoch {epoch}).", r.host.as_str())
                    }
                    Err(e) => say!("Not removed on {}: {e}", r.host.as_str()),
                }
            }
            if removed == 0 {
                return Err(fail("the member was removed from no route"));
            }
        }
        "route-add" => {
            let (conv, rest) = conversation(client, &args)?;
            let [host] = rest else {
                return Err(usage("route-add takes a conversation and a host URL"));
            };
            let r = client.add_route(&conv, &host_url(host)?).map_err(fail)?;
            say!(
                "Route added on {}; the other members join it when they sync.",
                r.host.as_str()
            );
        }
        other => return Err(usage(&format!("unknown command `{other}`"))),
    }
    Ok(())
}

fn host_url(s: &str) -> Result<HostUrl, Fail> {
    hearth_wire::invite::uri::check_host_url(s)
        .and_then(|()| HostUrl::new(s))
        .map_err(|_| {
            usage(&format!(
                "`{s}` is not a canonical host URL (e.g. https://example.org/hearth)"
            ))
        })
}

fn short(h: &[u8; 16]) -> String {
    hex::encode(h).chars().take(8).collect()
}

/// The conversation named by the first argument (a unique prefix of its id), and the rest.
fn conversation<'a>(client: &Client, args: &'a [String]) -> Result<([u8; 16], &'a [String]), Fail> {
    let (first, rest) = args
        .split_first()
        .ok_or_else(|| usage("name a conversation (see `hearth list`)"))?;
    let prefix = first.to_ascii_lowercase();
    let matches: Vec<[u8; 16]> = client
        .conversations()
        .iter()
        .map(|c| c.handle())
        .filter(|h| hex::encode(h).starts_with(&prefix))
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one, rest)),
        [] => Err(fail(format!(
            "no conversation starts with `{first}` (see `hearth list`)"
        ))),
        _ => Err(fail(format!(
            "`{first}` names several conversations; give more digits"
        ))),
    }
}

fn name_of(client: &Client, f: &Fingerprint) -> String {
    if *f == client.fingerprint() {
        "you".into()
    } else {
        let d = f.display_digits();
        d.chars().take(11).collect()
    }
}

fn print_warnings(client: &Client, events: &[Event]) {
    for e in events {
        if let Event::Detected {
            route,
            code,
            member,
            ..
        } = e
        {
            say!(
                "WARNING: {} on {}: this route is frozen and will not be used (spec §9.9){}",
                code_name(*code),
                route.host.as_str(),
                member.map_or(String::new(), |m| format!(
                    "; triggered by a message of {}",
                    name_of(client, &m)
                ))
            );
        }
    }
}

/// The comparison of short authentication strings at the terminal (spec §5.8.1): the inviter
/// reads its code first and the joiner answers (HRT-INV-69).
struct Terminal;

impl Terminal {
    fn ask(question: &str, allow_later: bool) -> Option<bool> {
        use std::io::{BufRead as _, Write as _};
        loop {
            let mut out = std::io::stdout();
            let _ = write!(out, "{question} ");
            let _ = out.flush();
            let mut line = String::new();
            if std::io::stdin().lock().read_line(&mut line).ok()? == 0 {
                return None;
            }
            match line.trim() {
                "y" | "yes" => return Some(true),
                "n" | "no" => return Some(false),
                "" if allow_later => return None,
                _ => say!("Please answer y or n."),
            }
        }
    }
}

impl Comparison for Terminal {
    fn available(&self) -> bool {
        use std::io::IsTerminal as _;
        std::io::stdin().is_terminal()
            || std::env::var("HEARTH_COMPARE").is_ok_and(|v| v == "stdin")
    }

    fn codes_match(&mut self, check: &SasCheck) -> Option<bool> {
        match &check.joiner {
            Some((fpr, name)) => {
                say!(
                    "{name} ({}) wants to join via {}.
Read this code to them: {}",
                    fpr.display_digits(),
                    check.route.host.as_str(),
                    check.sas
                );
                let yes = Self::ask("Does their screen show the same code? [y/n]", false);
                if yes != Some(true) {
                    say!("Not added. Make a new invitation and hand it over in person.");
                }
                yes
            }
            None => {
                say!(
                    "Your code is {}, for joining via {}.",
                    check.sas,
                    check.route.host.as_str()
                );
                let yes = Self::ask(
                    "Did your inviter read you the same code? [y/n, Enter: ask me later]",
                    true,
                );
                if yes == Some(false) {
                    say!("Join abandoned: someone else's join reached your inviter. Ask for a new invitation.");
                }
                yes
            }
        }
    }
}

fn print_events(client: &Client, events: &[Event]) {
    print_warnings(client, events);
    for e in events {
        match e {
            Event::Joined {
                conversation,
                route,
                epoch,
            } => say!(
                "Joined conversation {} on {} (epoch {epoch}).",
                hex::encode(conversation),
                route.host.as_str()
            ),
            Event::Admitted {
                name,
                fingerprint,
                route,
                ..
            } => say!(
                "{name} ({}) joined via {}. Compare this fingerprint with them in person.",
                fingerprint.display_digits(),
                route.host.as_str()
            ),
            Event::Message {
                sender,
                text: Some(t),
                ..
            } => {
                say!("{}: {t}", name_of(client, sender))
            }
            Event::Message { .. } | Event::Commit { .. } | Event::Detected { .. } => {}
            Event::Removed { route, .. } => say!(
                "You were removed from the route on {}.",
                route.host.as_str()
            ),
            Event::Rejected {
                route, seq, code, ..
            } => say!(
                "Refused something on {}{}: {}",
                route.as_ref().map_or("?", |r| r.host.as_str()),
                seq.map_or(String::new(), |s| format!(" at seq {s}")),
                code_name(*code)
            ),
            Event::RouteAdded { route, .. } => say!("New route on {}.", route.host.as_str()),
        }
    }
}
