//! The comparison of short authentication strings as the `hearth` command line presents it
//! (spec §5.8.1): the inviter reads its code first and the joiner answers (HRT-INV-69).
//!
//! At a terminal, `sync` asks at once ([`Terminal`]); Enter leaves the answer for later. A
//! comparison left open waits in the state file, and `hearth admit INVITE --code-matches` (or
//! `--mismatch`) answers it on the inviter's side, `hearth confirm INVITE ...` on the joiner's.

use std::io::{BufRead as _, Write as _};

use hearth::conversation::sas::Waiting;

use crate::client::{Comparison, SasCheck};

fn say(s: &str) {
    let _ = writeln!(std::io::stdout(), "{s}");
}

/// The first eight hex digits of an invite id: how the commands name a comparison.
pub fn short_invite(invite: &[u8; 16]) -> String {
    hex::encode(invite).chars().take(8).collect()
}

/// What the user is told about a comparison that waits for an answer.
pub fn waiting_text(w: &Waiting) -> String {
    let id = short_invite(&w.invite().0);
    match w.joiner_identity() {
        Some((fpr, name)) => format!(
            "{name} ({}) wants to join via {}.\nRead this code to the person joining: {}\nThen, if their screen shows the same code: hearth admit {id} --code-matches\n      if it differs or they have none:   hearth admit {id} --mismatch",
            fpr.display_digits(),
            w.route().host.as_str(),
            w.sas()
        ),
        None => format!(
            "Your code is {} (for joining via {}).\nYour inviter reads you the code on their screen. Then, if it is the same: hearth confirm {id} --code-matches\n      if it differs:    hearth confirm {id} --mismatch",
            w.sas(),
            w.route().host.as_str()
        ),
    }
}

/// The comparison at the terminal (or on standard input with `HEARTH_COMPARE=stdin`).
pub struct Terminal;

impl Terminal {
    fn ask(question: &str) -> Option<bool> {
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
                "" => return None,
                _ => say("Please answer y or n (Enter: later)."),
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
        let id = short_invite(&check.invite);
        match &check.joiner {
            Some((fpr, name)) => {
                say(&format!(
                    "{name} ({}) wants to join via {}.\nRead this code to the person joining: {}",
                    fpr.display_digits(),
                    check.route.host.as_str(),
                    check.sas
                ));
                let yes = Self::ask("Does their screen show the same code? [y/n, Enter: later]");
                match yes {
                    Some(false) => say(
                        "Not added, and the invitation is withdrawn. Make a new one and hand it over in person.",
                    ),
                    None => say(&format!(
                        "Waiting. Answer later with: hearth admit {id} --code-matches (or --mismatch)"
                    )),
                    Some(true) => {}
                }
                yes
            }
            None => {
                say(&format!(
                    "Your code is {} (for joining via {}).",
                    check.sas,
                    check.route.host.as_str()
                ));
                let yes = Self::ask("Did your inviter read you the same code? [y/n, Enter: later]");
                match yes {
                    Some(false) => say(
                        "Join abandoned: someone else's join reached your inviter. Ask for a new invitation.",
                    ),
                    None => say(&format!(
                        "Waiting. Answer later with: hearth confirm {id} --code-matches (or --mismatch)"
                    )),
                    Some(true) => {}
                }
                yes
            }
        }
    }
}
