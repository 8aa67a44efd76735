//! The result model (spec §14.5): test definitions with permanent IDs, levels and requirement
//! IDs; outcomes; the expectations file; exit codes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::client::Exchange;

/// The requirement level of a test: the strongest level among the requirements it covers
/// (spec §14.5). `MUST NOT` counts as `MUST`, `SHOULD NOT` as `SHOULD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Level {
    /// Mandatory.
    #[serde(rename = "MUST")]
    Must,
    /// Recommended: only run under `--strict`.
    #[serde(rename = "SHOULD")]
    Should,
    /// Optional.
    #[serde(rename = "MAY")]
    May,
}

impl Level {
    /// The level of a tag-line LEVEL word.
    pub fn from_spec(level: &str) -> Level {
        if level.starts_with("MUST") {
            Level::Must
        } else if level.starts_with("SHOULD") {
            Level::Should
        } else {
            Level::May
        }
    }

    /// `MUST`, `SHOULD` or `MAY`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
        }
    }
}

/// Why a test stopped without passing.
#[derive(Debug)]
pub enum Stop {
    /// The host did not behave as the requirement says.
    Fail(Failure),
    /// The host said explicitly that it does not implement the function (`unsupported_op` for
    /// an op it does not list).
    Unsupported(String),
    /// The test does not apply to this host (e.g. a limit too large to reach in a bounded run).
    NotApplicable(String),
}

/// A failure: what was expected, and every exchange involved.
#[derive(Debug, Default)]
pub struct Failure {
    /// One line: expected vs actual.
    pub message: String,
    /// The requests and responses involved (the last one is usually the culprit).
    pub exchanges: Vec<Exchange>,
}

impl Stop {
    /// A failure with a message and the exchanges involved.
    pub fn fail(message: impl Into<String>, exchanges: &[&Exchange]) -> Stop {
        Stop::Fail(Failure {
            message: message.into(),
            exchanges: exchanges.iter().map(|e| (*e).clone()).collect(),
        })
    }
}

/// What a test body returns: `Ok(())` is a pass.
pub type TestResult = Result<(), Stop>;

/// A test of either suite: permanent ID, title, covered requirement IDs, and its body. `R` is
/// the body's type: a function of the suite's context (`crate::suite::HostTestDef`,
/// `crate::client_suite::ClientTestDef`).
pub struct TestDef<R> {
    /// The permanent ID (`host.api.replay.byte-identical-retry`, `client.log.rollback.lower-tip`);
    /// never renumbered or reused.
    pub id: &'static str,
    /// What it checks, in one line.
    pub title: &'static str,
    /// The requirement IDs it covers; the first is the primary one.
    pub requirements: &'static [&'static str],
    /// The body.
    pub run: R,
}

/// Test IDs that existed once and were retired: they are never reused (spec §14.5).
pub const RETIRED: &[(&str, &str)] = &[
    (
        "host.op.channel-delete.creator-only",
        "1.0-rc1: the delete right is the admin role's (HRT-OP-65); see host.member.delete.admin-right",
    ),
    (
        "host.op.member-leave.creator",
        "1.0-rc1: the creator may leave; only the last admin may not (HRT-OP-66); see host.member.leave.last-admin",
    ),
    (
        "client.log.withheld.prev-reordered",
        "1.0-rc1: a member's `prev` is a claim, bad_claim without freeze (HRT-LOG-43, HRT-LOG-45); see client.log.claim.prev-reordered",
    ),
    (
        "client.log.withheld.prev-rechained",
        "1.0-rc1: a member's `prev` is a claim, bad_claim without freeze (HRT-LOG-43, HRT-LOG-45); see client.log.claim.prev-rechained",
    ),
    (
        "client.log.fork.seen-head",
        "1.0-rc1: a member's `seen_head` is a claim, bad_claim without freeze (HRT-LOG-42, HRT-LOG-45); see client.log.claim.seen-head",
    ),
];

/// The outcome of one test (spec §14.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Behaved as required.
    Pass,
    /// Did not.
    Fail,
    /// Explicitly not implemented by the host.
    Unsupported,
    /// Does not apply.
    NotApplicable,
    /// Skipped, or an expected failure (xfail that failed), by the expectations file.
    SkippedByExpectation,
}

impl Outcome {
    /// The outcome's name as reports print it.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Unsupported => "unsupported",
            Outcome::NotApplicable => "not-applicable",
            Outcome::SkippedByExpectation => "skipped-by-expectation",
        }
    }
}

/// What an expectations entry says about matching tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// Do not run.
    Skip,
    /// Run; a failure is expected (reported as skipped-by-expectation), a pass is reported as
    /// an unexpected pass.
    Xfail,
    /// Run up to three times; pass if any attempt passes.
    Flaky,
}

/// One entry of the expectations file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectationEntry {
    /// A test ID or a glob pattern (`*` any run of characters, `?` one character).
    pub test: String,
    /// skip, xfail or flaky.
    pub expect: Expect,
    /// Why: mandatory and non-empty.
    pub reason: String,
}

/// The expectations file (JSON): `{"expectations": [{"test": ..., "expect": ..., "reason": ...}]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    /// The entries; the first matching entry wins.
    pub expectations: Vec<ExpectationEntry>,
}

impl Expectations {
    /// Parses and checks the file's text (every entry needs a non-empty reason).
    pub fn parse(text: &str) -> Result<Expectations, String> {
        let e: Expectations =
            serde_json::from_str(text).map_err(|e| format!("expectations file: {e}"))?;
        for entry in &e.expectations {
            if entry.reason.trim().is_empty() {
                return Err(format!(
                    "expectations file: entry `{}` has no reason (a reason is mandatory)",
                    entry.test
                ));
            }
            if entry.test.trim().is_empty() {
                return Err("expectations file: an entry has an empty `test`".into());
            }
        }
        Ok(e)
    }

    /// The first entry matching `id`.
    pub fn lookup(&self, id: &str) -> Option<&ExpectationEntry> {
        self.expectations.iter().find(|e| glob_match(&e.test, id))
    }

    /// Entries that match none of `ids` (stale entries).
    pub fn stale<'a>(&'a self, ids: &[&str]) -> Vec<&'a ExpectationEntry> {
        self.expectations
            .iter()
            .filter(|e| !ids.iter().any(|id| glob_match(&e.test, id)))
            .collect()
    }
}

/// Glob matching: `*` matches any run of characters (also empty), `?` exactly one.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || Some(&c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    while p.get(pi) == Some(&'*') {
        pi += 1;
    }
    pi == p.len()
}

/// The process exit codes (spec §14.5).
pub mod exit {
    /// Every selected mandatory test passed (or was not-applicable or skipped by expectation).
    pub const OK: u8 = 0;
    /// At least one test failed.
    pub const FAILURES: u8 = 1;
    /// Harness error: bad arguments, target unreachable at start, owner key not accepted.
    pub const HARNESS: u8 = 2;
    /// Under `--strict`, at least one mandatory test was unsupported and none failed.
    pub const STRICT_UNSUPPORTED: u8 = 3;
}

/// The exit code for a finished run (spec §14.5: 2 before 1 before 3).
pub fn exit_code(outcomes: &[(Level, Outcome)], strict: bool) -> u8 {
    if outcomes.iter().any(|(_, o)| *o == Outcome::Fail) {
        exit::FAILURES
    } else if strict
        && outcomes
            .iter()
            .any(|(l, o)| *l == Level::Must && *o == Outcome::Unsupported)
    {
        exit::STRICT_UNSUPPORTED
    } else {
        exit::OK
    }
}

/// Counts per outcome.
pub fn tally(outcomes: impl IntoIterator<Item = Outcome>) -> BTreeMap<Outcome, usize> {
    let mut m = BTreeMap::new();
    for o in outcomes {
        *m.entry(o).or_insert(0) += 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("host.api.*", "host.api.replay.x"));
        assert!(glob_match("*replay*", "host.api.replay.x"));
        assert!(glob_match("host.?pi.*", "host.api.x"));
        assert!(!glob_match("host.api", "host.api.x"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("a*b", "acd"));
    }

    #[test]
    fn expectations_need_reasons() {
        assert!(Expectations::parse(
            r#"{"expectations":[{"test":"x","expect":"skip","reason":" "}]}"#
        )
        .is_err());
        let e = Expectations::parse(
            r#"{"expectations":[{"test":"host.wire.*","expect":"xfail","reason":"known bug #1"}]}"#,
        )
        .unwrap_or_default();
        assert_eq!(
            e.lookup("host.wire.trailing-bytes").map(|x| x.expect),
            Some(Expect::Xfail)
        );
        assert_eq!(e.stale(&["host.api.x"]).len(), 1);
    }

    #[test]
    fn exit_code_precedence() {
        use Level::*;
        use Outcome::*;
        assert_eq!(exit_code(&[(Must, Pass)], true), 0);
        assert_eq!(exit_code(&[(Must, Unsupported)], false), 0);
        assert_eq!(exit_code(&[(Must, Unsupported)], true), 3);
        assert_eq!(exit_code(&[(Must, Unsupported), (Should, Fail)], true), 1);
    }
}
