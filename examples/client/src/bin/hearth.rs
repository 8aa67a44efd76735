//! `hearth`: the reference Hearth client on the command line. Every command loads the local
//! state from SQLite, does its work against the hosts, and writes the state back.
//!
//! ```text
//! hearth [--state FILE] [--ca-file PEM] init NAME  create your identity (options: any position)
//! hearth whoami                                 show your fingerprint and identity key
//! hearth create HOST_URL                        start a conversation on a host you own
//! hearth invite CONV [--expires SECS] [--svg FILE] [--png FILE]
//! hearth join LINK [--name NAME]                accept an invitation
//! hearth sync                                   fetch everything, show what is new
//! hearth admit INVITE --code-matches|--mismatch  answer the comparison for a join (inviter)
//! hearth confirm INVITE --code-matches|--mismatch answer the comparison of your join (joiner)
//! hearth send CONV TEXT...                      send a message
//! hearth read CONV                              sync, then show the conversation
//! hearth list                                   list conversations
//! hearth remove CONV FINGERPRINT                remove a member (on every route you admin)
//! hearth route-add CONV HOST_URL                add a route on another host you own
//! hearth completions SHELL                      print a shell completion script
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use hearth_client::error::code_name;
use hearth_client::prompt::{short_invite, waiting_text, Terminal};
use hearth_client::store::Store;
use hearth_client::tls::Trust;
use hearth_client::{qr, Client, Event};
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

/// Where the state is kept, shown after the top-level help text.
const STATE_NOTE: &str = "\
CONV is the start of a conversation's id as `list` shows it. The state file defaults to
$HEARTH_STATE, else $HOME/.local/share/hearth/state.sqlite. Exit codes: 0 done, 1 failed,
2 bad arguments.

Before anyone is added, inviter and joiner compare a six-digit code that both screens show:
the inviter reads it out, the joiner says whether it is the same. `sync` asks at the terminal
(Enter: later); with HEARTH_COMPARE=stdin it reads y or n from standard input, for scripts.
An open comparison waits: answer it with `admit` (inviter) or `confirm` (joiner).

Hosts are reached over https:// with verified certificates; plain http:// only on localhost,
127.0.0.0/8 and [::1], for testing. Mozilla's roots are trusted; for a host with a private
certificate authority, --ca-file FILE adds it, and the state remembers the file for later
commands (--ca-file '' forgets it).";

/// The reference Hearth client: end-to-end encrypted conversations for people who know each
/// other.
#[derive(Parser)]
#[command(
    name = "hearth",
    version,
    max_term_width = 100,
    after_help = STATE_NOTE
)]
struct Cli {
    /// The state file (SQLite) holding your identity and conversations
    #[arg(long, global = true, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Also trust the CA certificates in FILE (PEM) for https hosts; remembered ('' forgets)
    #[arg(long, global = true, value_name = "FILE")]
    ca_file: Option<std::ffi::OsString>,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create your identity (once)
    Init {
        /// Your display name
        name: String,
    },
    /// Show your fingerprint and identity key
    Whoami,
    /// Start a conversation on a host that lists you as an owner
    Create {
        /// The host's canonical URL
        #[arg(value_parser = parse_host_url)]
        host_url: HostUrl,
    },
    /// Make an invitation link and show its QR code
    Invite {
        /// The conversation
        conv: String,
        /// How long the invitation is valid, in seconds
        #[arg(long, value_name = "SECS", default_value_t = 24 * 3600)]
        expires: u64,
        /// Also write the QR code as SVG to FILE
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
        /// Also write the QR code as PNG to FILE
        #[arg(long, value_name = "FILE")]
        png: Option<PathBuf>,
    },
    /// Accept an invitation link
    Join {
        /// The invitation link
        link: String,
        /// The display name the others see [default: your identity's name]
        #[arg(long)]
        name: Option<String>,
    },
    /// Fetch every conversation and show what is new
    Sync,
    /// Answer the code comparison for someone joining your conversation, then add them
    Admit {
        /// The invitation: the start of its id, as `sync` shows it
        invite: String,
        #[command(flatten)]
        answer: Answer,
    },
    /// Answer the code comparison of your own join, then finish joining
    Confirm {
        /// The invitation: the start of its id, as `join` shows it
        invite: String,
        #[command(flatten)]
        answer: Answer,
    },
    /// Send a message
    Send {
        /// The conversation
        conv: String,
        /// The text, its words joined by spaces (put words starting with `-` after `--`)
        #[arg(required = true)]
        text: Vec<String>,
    },
    /// Sync, then show the conversation
    Read {
        /// The conversation
        conv: String,
    },
    /// List your conversations
    List,
    /// Remove a member from the conversation (on every route you administer)
    Remove {
        /// The conversation
        conv: String,
        /// The member's fingerprint: 64 hex digits, separators allowed
        #[arg(value_parser = parse_fingerprint)]
        fingerprint: Fingerprint,
    },
    /// Give the conversation a second route on another host
    RouteAdd {
        /// The conversation
        conv: String,
        /// The other host's canonical URL
        #[arg(value_parser = parse_host_url)]
        host_url: HostUrl,
    },
    /// Print a completion script for SHELL on standard output
    Completions {
        /// The shell to complete for
        shell: clap_complete::Shell,
    },
}

/// The answer to a comparison of codes (spec §5.8.1).
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
struct Answer {
    /// The other person's client says the codes match (the inviter's answer)
    #[arg(long)]
    code_matches: bool,
    /// The codes differ, or the other person has none
    #[arg(long)]
    mismatch: bool,
    /// The six digits the inviter read to you (the joiner's answer; spaces allowed)
    #[arg(long, value_name = "DIGITS")]
    code: Option<String>,
}

/// A host URL argument: canonical (spec §5.2, §8.2), or an argument error.
fn parse_host_url(s: &str) -> Result<HostUrl, String> {
    hearth_wire::invite::uri::check_host_url(s)
        .and_then(|()| HostUrl::new(s))
        .map_err(|_| "not a canonical host URL (e.g. https://example.org/hearth)".to_owned())
}

/// A fingerprint argument: 64 hex digits, ignoring the separators `display_digits` prints.
fn parse_fingerprint(s: &str) -> Result<Fingerprint, String> {
    let digits: String = s.chars().filter(char::is_ascii_hexdigit).collect();
    hex::decode(&digits)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .map(Fingerprint::from_bytes)
        .ok_or_else(|| "a fingerprint is 64 hex digits".to_owned())
}

/// A failure with the message the user sees and the exit code.
struct Fail(String, u8);

fn usage(msg: &str) -> Fail {
    Fail(msg.to_owned(), 2)
}

fn fail(msg: impl std::fmt::Display) -> Fail {
    Fail(msg.to_string(), 1)
}

fn main() -> ExitCode {
    // Help and version exit 0 and an argument error 2, as before clap. Nothing is opened
    // before this: `--help` has no effect.
    let cli = match hearth_client::cli::parse::<Cli>(2) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let result = match cli.command {
        None => {
            let _ = Cli::command().print_help();
            Ok(())
        }
        Some(Cmd::Completions { shell }) => {
            return hearth_client::cli::print_completions::<Cli>(shell, "hearth")
        }
        Some(cmd) => {
            hearth_client::warn_test_only("hearth");
            run(cli.state, cli.ca_file, cmd)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail(msg, code)) => {
            eprintln!("hearth: {msg}");
            ExitCode::from(code)
        }
    }
}

fn state_path(explicit: Option<PathBuf>) -> Result<PathBuf, Fail> {
    if let Some(p) = explicit.or_else(|| std::env::var_os("HEARTH_STATE").map(PathBuf::from)) {
        return Ok(p);
    }
    let home = std::env::var("HOME").map_err(|_| usage("no --state given and HOME is not set"))?;
    let dir = PathBuf::from(home).join(".local/share/hearth");
    std::fs::create_dir_all(&dir)
        .map_err(|e| fail(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir.join("state.sqlite"))
}

/// The key of the remembered `--ca-file` in the state's settings.
const CA_FILE_SETTING: &str = "ca_file";

/// The certificates to trust (HRT-API-62): `--ca-file` given now (then remembered, or forgotten
/// when empty), else the one remembered in the state, else the built-in roots.
fn trust(store: &Store, ca_file: Option<std::ffi::OsString>) -> Result<Trust, Fail> {
    if let Some(p) = ca_file.map(PathBuf::from) {
        if p.as_os_str().is_empty() {
            store.set_setting(CA_FILE_SETTING, None).map_err(fail)?;
            return Ok(Trust::builtin());
        }
        let abs = std::path::absolute(&p).unwrap_or(p);
        let trust = Trust::with_ca_file(&abs).map_err(|e| usage(&e.to_string()))?;
        let text = abs
            .to_str()
            .ok_or_else(|| usage("the --ca-file path is not UTF-8"))?;
        store
            .set_setting(CA_FILE_SETTING, Some(text))
            .map_err(fail)?;
        return Ok(trust);
    }
    match store.setting(CA_FILE_SETTING).map_err(fail)? {
        None => Ok(Trust::builtin()),
        Some(saved) => Trust::with_ca_file(std::path::Path::new(&saved)).map_err(|e| {
            fail(format!(
                "{e} (remembered from an earlier --ca-file; pass --ca-file again, or \
                 --ca-file '' to forget it)"
            ))
        }),
    }
}

fn run(state: Option<PathBuf>, ca_file: Option<std::ffi::OsString>, cmd: Cmd) -> Result<(), Fail> {
    let path = state_path(state)?;
    let mut store = Store::open(&path).map_err(fail)?;
    let trust = trust(&store, ca_file)?;
    let loaded = store.load().map_err(fail)?;
    if let Cmd::Init { name } = &cmd {
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
    client.set_trust(trust);
    // Group states reach the disk before what depends on them leaves (no key reuse after a
    // crash or Ctrl-C in the middle of a command).
    client.set_checkpoint(Store::checkpoint(&path).map_err(fail)?);
    // Short authentication strings are compared by the user at the terminal (spec §5.8.1); without
    // a terminal nothing is admitted or accepted, and joins wait for an interactive `sync`.
    client.set_comparison(Box::new(Terminal));
    let result = command(&mut client, cmd);
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

fn command(client: &mut Client, cmd: Cmd) -> Result<(), Fail> {
    match cmd {
        // Handled before the state is loaded.
        Cmd::Init { .. } | Cmd::Completions { .. } => {}
        Cmd::Whoami => {
            say!("{}", client.name());
            show_identity(client);
        }
        Cmd::Create { host_url: host } => {
            let (conv, _) = client.create_channel(&host).map_err(fail)?;
            say!(
                "Created conversation {} on {}",
                hex::encode(conv),
                host.as_str()
            );
            say!("Invite someone with: hearth invite {}", short(&conv));
        }
        Cmd::Invite {
            conv,
            expires,
            svg,
            png,
        } => {
            let conv = conversation(client, &conv)?;
            let link = client.create_invite(&conv, expires).map_err(fail)?;
            say!("{}", qr::terminal(&link).map_err(fail)?);
            say!("{link}\n");
            say!("Send this link (or show the code) to one person; it works once.");
            if let Some(f) = svg {
                std::fs::write(&f, qr::svg(&link).map_err(fail)?)
                    .map_err(|e| fail(format!("{}: {e}", f.display())))?;
                say!("QR code written to {}", f.display());
            }
            if let Some(f) = png {
                std::fs::write(&f, qr::png(&link, 8).map_err(fail)?)
                    .map_err(|e| fail(format!("{}: {e}", f.display())))?;
                say!("QR code written to {}", f.display());
            }
        }
        Cmd::Join { link, name } => {
            let name = name.unwrap_or_else(|| client.name().to_owned());
            client.accept_invite(&link, &name).map_err(|e| {
                if e.code() == Some(hearth_wire::ErrorCode::INVITE_USED) {
                    // HRT-INV-33: someone else redeemed it first.
                    fail(format!("{e}\nSomeone used this invitation first; tell the person who invited you, and ask for a new one."))
                } else {
                    fail(e)
                }
            })?;
            say!("Invitation accepted.");
            let ev = client.sync();
            print_events(client, &ev);
            if !ev.iter().any(|e| matches!(e, Event::Joined { .. }))
                && client.comparisons().is_empty()
            {
                say!(
                    "The inviter's client admits you once they confirmed the code;\nrun `hearth sync` later to finish joining."
                );
            }
        }
        Cmd::Sync => {
            let ev = client.sync();
            if ev.is_empty() && client.comparisons().is_empty() {
                say!("Nothing new.");
            }
            print_events(client, &ev);
            remind(client, &ev);
        }
        Cmd::Admit { invite, answer } => answer_comparison(client, &invite, &answer, true)?,
        Cmd::Confirm { invite, answer } => answer_comparison(client, &invite, &answer, false)?,
        Cmd::Send { conv, text } => {
            let conv = conversation(client, &conv)?;
            let sent = client.send_text(&conv, &text.join(" ")).map_err(fail)?;
            say!("Sent via {} (seq {}).", sent.route.host.as_str(), sent.seq);
        }
        Cmd::Read { conv } => {
            let conv = conversation(client, &conv)?;
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
                    shown_line(&d.shown)
                );
            }
        }
        Cmd::List => {
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
        Cmd::Remove {
            conv,
            fingerprint: target,
        } => {
            let conv = conversation(client, &conv)?;
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
        Cmd::RouteAdd {
            conv,
            host_url: host,
        } => {
            let conv = conversation(client, &conv)?;
            let r = client.add_route(&conv, &host).map_err(fail)?;
            say!(
                "Route added on {}; the other members join it when they sync.",
                r.host.as_str()
            );
        }
    }
    Ok(())
}

/// `admit` (inviter) and `confirm` (joiner): the user's answer, then a sync that adds the
/// joiner or fetches the Welcome.
fn answer_comparison(
    client: &mut Client,
    invite: &str,
    answer: &Answer,
    inviter: bool,
) -> Result<(), Fail> {
    let id = comparison(client, invite, inviter)?;
    // The joiner types what it hears; its own code is never shown (HRT-INV-69).
    let matches = match &answer.code {
        Some(heard) => client
            .comparisons()
            .iter()
            .find(|w| w.invite().0 == id)
            .is_some_and(|w| hearth_client::prompt::heard_matches(heard, w.sas())),
        None => answer.code_matches,
    };
    client.answer_sas(&id, matches).map_err(fail)?;
    if !matches {
        say!(
            "{}",
            if inviter {
                "Not added, and the invitation is withdrawn. Make a new one and hand it over in person."
            } else {
                "Join abandoned: the code differs, so someone else's join reached your inviter. Tell them, and ask for a new invitation."
            }
        );
    }
    let ev = client.sync();
    print_events(client, &ev);
    if matches && !inviter && !ev.iter().any(|e| matches!(e, Event::Joined { .. })) {
        say!("The codes match: tell the person who invited you. Run `hearth sync` once they have added you.");
    }
    Ok(())
}

/// The comparisons still open that this sync did not just announce.
fn remind(client: &Client, events: &[Event]) {
    for w in client.comparisons() {
        let announced = events
            .iter()
            .any(|e| matches!(e, Event::Sas { invite, .. } if *invite == w.invite().0));
        if !announced {
            say!(
                "Still waiting for your comparison ({}):",
                short_invite(&w.invite().0)
            );
            say!("{}", waiting_text(w));
        }
    }
}

/// The open comparison named by `first`, a unique prefix of its invite id, on the given side.
fn comparison(client: &Client, first: &str, inviter: bool) -> Result<[u8; 16], Fail> {
    let prefix = first.to_ascii_lowercase();
    let matches: Vec<[u8; 16]> = client
        .comparisons()
        .iter()
        .filter(|w| w.is_inviter() == inviter)
        .map(|w| w.invite().0)
        .filter(|i| hex::encode(i).starts_with(&prefix))
        .collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => Err(fail(format!(
            "no open comparison starts with `{first}`{}",
            if inviter {
                " among joins to your conversations (a joiner answers with `hearth confirm`)"
            } else {
                " among your joins (an inviter answers with `hearth admit`)"
            }
        ))),
        _ => Err(fail(format!(
            "`{first}` names several comparisons; give more digits"
        ))),
    }
}

fn short(h: &[u8; 16]) -> String {
    hex::encode(h).chars().take(8).collect()
}

/// The conversation named by `first`, a unique prefix of its id.
fn conversation(client: &Client, first: &str) -> Result<[u8; 16], Fail> {
    let prefix = first.to_ascii_lowercase();
    let matches: Vec<[u8; 16]> = client
        .conversations()
        .iter()
        .map(|c| c.handle())
        .filter(|h| hex::encode(h).starts_with(&prefix))
        .collect();
    match matches.as_slice() {
        [one] => Ok(*one),
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
            if *code == hearth_wire::ErrorCode::BAD_CLAIM {
                // HRT-LOG-45: the message is shown, the route keeps working.
                say!(
                    "WARNING: a message of {} on {} contradicts your copy of the log: either that member or the host is at fault (spec §9.7, §9.8)",
                    member.map_or_else(|| "a member".into(), |m| name_of(client, &m)),
                    route.host.as_str()
                );
                continue;
            }
            say!(
                "WARNING: {} on {}: this route is frozen and will not be used (spec §9.9)",
                code_name(*code),
                route.host.as_str()
            );
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
                ..
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
                "Added the person who says they are {name:?} ({}) via {}. To be sure later, compare this fingerprint with them in person.",
                fingerprint.display_digits(),
                route.host.as_str()
            ),
            // issue 15: the host refused the add; the join is dropped.
            Event::AddRefused {
                name, code, route, ..
            } => say!(
                "Could not add the person who says they are {name:?} on {}: the host refused ({}). Make them a new invitation.",
                route.host.as_str(),
                code_name(*code)
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
            // HRT-RAT-22: told before the removal's commit.
            Event::Away {
                fingerprint, route, ..
            } => say!(
                "{} has not been seen for more than 30 days: removing them from the route on {}.",
                name_of(client, fingerprint),
                route.host.as_str()
            ),
            // A code still waiting for an answer (one answered at the prompt needs no more).
            Event::Sas { invite, .. } => {
                if let Some(w) = client
                    .comparisons()
                    .iter()
                    .find(|w| w.invite().0 == *invite)
                {
                    say!("{}", waiting_text(w));
                }
            }
        }
    }
}

/// What `read` prints for one timeline item (spec §7.8, "What a receiver shows").
fn shown_line(shown: &hearth_client::timeline::Shown) -> String {
    use hearth_client::timeline::Shown;
    match shown {
        Shown::Text {
            text,
            edited: false,
        } => text.clone(),
        Shown::Text { text, edited: true } => format!("{text} (edited)"),
        Shown::Deleted => "message deleted".to_owned(),
        Shown::Unsupported => "a message this client cannot show".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::shown_line;
    use hearth_client::timeline::Shown;

    #[test]
    fn read_marks_edited_deleted_and_unsupported_items() {
        let text = |edited| Shown::Text {
            text: "hi".into(),
            edited,
        };
        assert_eq!(shown_line(&text(false)), "hi");
        assert_eq!(shown_line(&text(true)), "hi (edited)");
        assert_eq!(shown_line(&Shown::Deleted), "message deleted");
        assert_eq!(
            shown_line(&Shown::Unsupported),
            "a message this client cannot show"
        );
    }
}
