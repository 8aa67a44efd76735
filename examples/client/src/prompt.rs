//! The comparison of short authentication strings as the `hearth` command line presents it
//! (spec §5.8.1): the inviter reads its code first and the joiner types the digits it hears,
//! its own code never shown (HRT-INV-69).
//!
//! At a terminal, `sync` asks at once ([`Terminal`]); Enter leaves the answer for later. A
//! comparison left open waits in the state file, and `hearth admit INVITE --code-matches` (or
//! `--mismatch`) answers it on the inviter's side, `hearth confirm INVITE --code 'DDD DDD'` (or
//! `--mismatch`) on the joiner's.

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

/// Whether the digits the joiner typed (as the inviter read them, any separators) are the code
/// its own client shows (HRT-INV-69: the joiner confirms what it hears, its own code unshown).
pub fn heard_matches(heard: &str, own: hearth_crypto::invite::Sas) -> bool {
    let digits: String = heard.chars().filter(char::is_ascii_digit).collect();
    digits.len() == 6 && digits.parse::<u32>().ok() == Some(own.value())
}

/// What the user is told about a comparison that waits for an answer. The inviter sees its
/// code and reads it first; the joiner's own code is not shown, so it cannot be sent ahead of
/// the comparison (HRT-INV-69): the joiner types the digits it hears.
pub fn waiting_text(w: &Waiting) -> String {
    let id = short_invite(&w.invite().0);
    match w.joiner_identity() {
        Some((fpr, name)) => format!(
            "Someone who says they are {name:?} ({}) wants to join via {}; the name is not verified.\nCompare codes with them in person or on a call. Read this code to the person joining: {}\nThey type the digits they hear. Then, if their client says the codes match: hearth admit {id} --code-matches\n      if it says they differ, or they have none:     hearth admit {id} --mismatch",
            fpr.display_digits(),
            w.route().host.as_str(),
            w.sas()
        ),
        None => format!(
            "You are joining via {}. Compare codes with the person who invited you, in person or on a call:\nthey read you the code their screen shows. Then type the six digits you hear: hearth confirm {id} --code 'DDD DDD'\n      if they have no code:                         hearth confirm {id} --mismatch",
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
                    "Someone who says they are {name:?} ({}) wants to join via {}; the name is not verified.\nCompare codes with them in person or on a call. Read this code to the person joining: {}",
                    fpr.display_digits(),
                    check.route.host.as_str(),
                    check.sas
                ));
                let yes = Self::ask(
                    "They type the digits they hear. Does their client say the codes match (n if they differ or they have none)? [y/n, Enter: later]",
                );
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
                    "You are joining via {}. Compare codes with the person who invited you, in person or on a call: they read you the code their screen shows.",
                    check.route.host.as_str()
                ));
                let answer = Self::heard(
                    "Type the six digits you hear [n if they have none, Enter: later]:",
                    check.sas,
                );
                match answer {
                    Some(false) => say(
                        "Join abandoned: the code differs, so someone else's join reached your inviter. Tell them, and ask for a new invitation.",
                    ),
                    None => say(&format!(
                        "Waiting. Answer later with: hearth confirm {id} --code 'DDD DDD' (or --mismatch)"
                    )),
                    Some(true) => say("The codes match: tell the person who invited you."),
                }
                answer
            }
        }
    }
}

impl Terminal {
    /// The joiner types the code it hears; `None` for later.
    fn heard(question: &str, own: hearth_crypto::invite::Sas) -> Option<bool> {
        let mut out = std::io::stdout();
        let _ = write!(out, "{question} ");
        let _ = out.flush();
        let mut line = String::new();
        if std::io::stdin().lock().read_line(&mut line).ok()? == 0 {
            return None;
        }
        match line.trim() {
            "" => None,
            "n" | "no" => Some(false),
            t => Some(heard_matches(t, own)),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_joiner_types_what_it_hears() {
        let own = hearth_crypto::invite::Sas::from_value(42_917);
        let own = own.unwrap_or_else(|| unreachable!());
        assert!(super::heard_matches("042 917", own));
        assert!(super::heard_matches("042917", own));
        assert!(!super::heard_matches("42917", own));
        assert!(!super::heard_matches("042 918", own));
    }
}
