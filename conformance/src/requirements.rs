//! The requirement index (spec §0.4, §14.6): every requirement of `spec/*.md`, extracted from
//! its tag line, so that the Markdown and `spec/requirements.json` can never disagree.
//!
//! A requirement is a paragraph that starts with a tag line of the form
//!
//! ```text
//! **HRT-WIRE-3** [MUST | decoder | both | observable: noncanonical]
//! ```
//!
//! followed by its normative text, up to the next blank line.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use hearth_wire::ErrorCode;
use serde::Serialize;

/// The BCP 14 levels a tag line may carry, strongest first where one contains another.
const LEVELS: &[&str] = &["MUST NOT", "MUST", "SHOULD NOT", "SHOULD", "MAY"];
/// The parties a requirement can bind (spec §0.4).
const PARTIES: &[&str] = &["host", "client", "both"];

/// One requirement of the specification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Requirement {
    /// The permanent ID, e.g. `HRT-WIRE-3`.
    pub id: String,
    /// `MUST`, `MUST NOT`, `SHOULD`, `SHOULD NOT` or `MAY`.
    pub level: String,
    /// The actor the sentence addresses (`decoder`, `host`, `committer`, ...).
    pub role: String,
    /// Who is bound: `host`, `client` or `both`.
    pub party: String,
    /// The section number and title the requirement appears under, e.g. `2.2 Validation rules`.
    pub section: String,
    /// The spec file, relative to `spec/`.
    pub file: String,
    /// The error code a peer observes a violation by, `yes` when observable without a code, or
    /// `None` when a peer cannot observe it.
    pub observable: Option<String>,
    /// The normative text, with line breaks folded into spaces.
    pub summary: String,
}

impl Requirement {
    /// The area of the ID: `WIRE` for `HRT-WIRE-3`.
    pub fn area(&self) -> &str {
        self.id.split('-').nth(1).unwrap_or_default()
    }

    /// True when a peer can observe a violation (with a code or without).
    pub fn is_observable(&self) -> bool {
        self.observable.is_some()
    }

    /// True for an absolute requirement (`MUST` or `MUST NOT`).
    pub fn is_must(&self) -> bool {
        self.level.starts_with("MUST")
    }

    /// True when the requirement binds hosts (party `host` or `both`).
    pub fn binds_host(&self) -> bool {
        self.party == "host" || self.party == "both"
    }

    /// True when the requirement binds clients and libraries (party `client` or `both`).
    pub fn binds_client(&self) -> bool {
        self.party == "client" || self.party == "both"
    }
}

/// A problem found while extracting the index: the spec is inconsistent and CI fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexError {
    /// The spec file, relative to `spec/`.
    pub file: String,
    /// The 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for IndexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "spec/{}:{}: {}", self.file, self.line, self.message)
    }
}

/// The requirement index of the whole specification, in reading order.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Index {
    /// Every requirement, in file order and then in order of appearance.
    pub requirements: Vec<Requirement>,
    /// IDs that were retired: never reused, listed in `spec/requirements-retired.md`.
    pub retired: Vec<String>,
}

impl Index {
    /// Looks a requirement up by ID.
    pub fn get(&self, id: &str) -> Option<&Requirement> {
        self.requirements.iter().find(|r| r.id == id)
    }

    /// Counts by (level, party), for reports and the issue notes.
    pub fn counts(&self) -> BTreeMap<(String, String), usize> {
        let mut m = BTreeMap::new();
        for r in &self.requirements {
            *m.entry((r.level.clone(), r.party.clone())).or_insert(0) += 1;
        }
        m
    }

    /// The index as the canonical JSON text of `spec/requirements.json`.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// The `spec/` directory of this repository (for the tests and the binary's default).
pub fn default_spec_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("spec")
}

/// Reads every `spec/NN-*.md` file in name order and extracts the index. Returns every problem
/// found, not just the first, so one CI run shows them all.
pub fn load(spec_dir: &Path) -> Result<Index, Vec<IndexError>> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(spec_dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| is_section_file(p))
            .collect(),
        Err(e) => {
            return Err(vec![IndexError {
                file: spec_dir.display().to_string(),
                line: 0,
                message: format!("cannot read the spec directory: {e}"),
            }])
        }
    };
    files.sort();
    let mut index = Index::default();
    let mut errors = Vec::new();
    for path in &files {
        let name = file_name(path);
        match std::fs::read_to_string(path) {
            Ok(text) => extract(&name, &text, &mut index.requirements, &mut errors),
            Err(e) => errors.push(IndexError {
                file: name,
                line: 0,
                message: format!("cannot read: {e}"),
            }),
        }
    }
    let retired_path = spec_dir.join("requirements-retired.md");
    if let Ok(text) = std::fs::read_to_string(&retired_path) {
        index.retired = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("- "))
            .filter_map(|l| l.split_whitespace().next())
            .filter(|id| id.starts_with("HRT-"))
            .map(|id| id.trim_matches('`').to_owned())
            .collect();
    }
    check_unique(&index, &mut errors);
    if errors.is_empty() {
        Ok(index)
    } else {
        Err(errors)
    }
}

fn is_section_file(p: &Path) -> bool {
    let name = file_name(p);
    name.ends_with(".md") && name.chars().take(2).all(|c| c.is_ascii_digit())
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A parsed tag line.
struct Tag {
    id: String,
    level: String,
    role: String,
    party: String,
    observable: Option<String>,
}

/// Parses `**HRT-AREA-N** [LEVEL | role | party | observable: CODE]`.
fn parse_tag(line: &str) -> Result<Tag, String> {
    let rest = line
        .strip_prefix("**")
        .ok_or("tag line must start with **")?;
    let (id, rest) = rest
        .split_once("** [")
        .ok_or("expected `** [` after the ID")?;
    check_id(id)?;
    let inner = rest
        .strip_suffix(']')
        .ok_or("tag line must end with `]` and nothing after it")?;
    let fields: Vec<&str> = inner.split(" | ").collect();
    let [level, role, party, observable] = fields.as_slice() else {
        return Err("expected four fields: LEVEL | role | party | observable".into());
    };
    if !LEVELS.contains(level) {
        return Err(format!("unknown level `{level}`"));
    }
    if role.is_empty() || !role.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
        return Err(format!("role `{role}` must be one lowercase word"));
    }
    if !PARTIES.contains(party) {
        return Err(format!("party `{party}` must be host, client or both"));
    }
    let observable = match *observable {
        "not observable" => None,
        "observable: yes" => Some("yes".to_owned()),
        other => {
            let code = other.strip_prefix("observable: ").ok_or(
                "last field must be `observable: CODE`, `observable: yes` or `not observable`",
            )?;
            if ErrorCode::from_name(code).is_none() {
                return Err(format!(
                    "`{code}` is not an error code of the registry (spec §12)"
                ));
            }
            Some(code.to_owned())
        }
    };
    Ok(Tag {
        id: id.to_owned(),
        level: (*level).to_owned(),
        role: (*role).to_owned(),
        party: (*party).to_owned(),
        observable,
    })
}

/// `HRT-` + an upper-case area + `-` + a positive decimal number without leading zeros.
fn check_id(id: &str) -> Result<(), String> {
    let mut parts = id.split('-');
    let ok = parts.next() == Some("HRT")
        && parts
            .next()
            .is_some_and(|a| !a.is_empty() && a.chars().all(|c| c.is_ascii_uppercase()))
        && parts.next().is_some_and(|n| {
            !n.is_empty() && !n.starts_with('0') && n.chars().all(|c| c.is_ascii_digit())
        })
        && parts.next().is_none();
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{id}` is not a requirement ID of the form HRT-AREA-N"
        ))
    }
}

/// Extracts the requirements of one file and checks that BCP 14 keywords appear only inside
/// requirement paragraphs (spec §0.2), outside code blocks and the BCP 14 boilerplate.
fn extract(file: &str, text: &str, out: &mut Vec<Requirement>, errors: &mut Vec<IndexError>) {
    let lines: Vec<&str> = text.lines().collect();
    let mut section = String::new();
    let mut in_code = false;
    let mut i = 0;
    while let Some(line) = lines.get(i).copied() {
        let lineno = i + 1;
        i += 1;
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        if let Some(h) = line.strip_prefix("## ").or_else(|| line.strip_prefix("# ")) {
            section = h.trim().to_owned();
            continue;
        }
        if line.starts_with("**HRT-") {
            let tag = match parse_tag(line) {
                Ok(t) => t,
                Err(message) => {
                    errors.push(IndexError {
                        file: file.to_owned(),
                        line: lineno,
                        message,
                    });
                    continue;
                }
            };
            let mut body = Vec::new();
            while let Some(l) = lines.get(i).copied() {
                if l.trim().is_empty() {
                    break;
                }
                body.push(l.trim());
                i += 1;
            }
            let summary = body.join(" ");
            if summary.is_empty() {
                errors.push(IndexError {
                    file: file.to_owned(),
                    line: lineno,
                    message: format!("{} has no text", tag.id),
                });
            } else if !contains_keyword(&summary, &tag.level) {
                errors.push(IndexError {
                    file: file.to_owned(),
                    line: lineno,
                    message: format!(
                        "{}: text does not contain its level `{}`",
                        tag.id, tag.level
                    ),
                });
            }
            out.push(Requirement {
                id: tag.id,
                level: tag.level,
                role: tag.role,
                party: tag.party,
                section: section.clone(),
                file: file.to_owned(),
                observable: tag.observable,
                summary,
            });
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        // An informative paragraph: it runs to the next blank line, heading, tag line or fence.
        let mut para = vec![(lineno, line)];
        while let Some(l) = lines.get(i).copied() {
            if l.trim().is_empty()
                || l.starts_with('#')
                || l.starts_with("**HRT-")
                || l.trim_start().starts_with("```")
            {
                break;
            }
            para.push((i + 1, l));
            i += 1;
        }
        // The conventions boilerplate (spec §0.1) names the keywords on purpose.
        if para
            .iter()
            .any(|(_, l)| l.contains("BCP 14") || l.contains("RFC 2119"))
        {
            continue;
        }
        for (n, l) in para {
            if let Some(kw) = LEVELS.iter().find(|kw| contains_keyword(l, kw)) {
                errors.push(IndexError {
                    file: file.to_owned(),
                    line: n,
                    message: format!(
                        "BCP 14 keyword `{kw}` outside a requirement paragraph: give it a requirement ID or rephrase"
                    ),
                });
            }
        }
    }
}

/// True when `text` contains `kw` as a whole upper-case word (not inside `MUSTARD` or a code
/// span such as `` `MAY_FAIL` ``).
fn contains_keyword(text: &str, kw: &str) -> bool {
    let mut from = 0;
    while let Some(pos) = text.get(from..).and_then(|t| t.find(kw)) {
        let start = from + pos;
        let end = start + kw.len();
        let before = text.get(..start).and_then(|t| t.chars().last());
        let after = text.get(end..).and_then(|t| t.chars().next());
        let boundary = |c: Option<char>| {
            c.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_' || c == '`'))
        };
        if boundary(before) && boundary(after) {
            return true;
        }
        from = end;
    }
    false
}

fn check_unique(index: &Index, errors: &mut Vec<IndexError>) {
    let mut seen: BTreeMap<&str, &Requirement> = BTreeMap::new();
    for r in &index.requirements {
        if let Some(first) = seen.insert(&r.id, r) {
            errors.push(IndexError {
                file: r.file.clone(),
                line: 0,
                message: format!(
                    "duplicate requirement ID {} (first in spec/{})",
                    r.id, first.file
                ),
            });
        }
    }
    let retired: BTreeSet<&str> = index.retired.iter().map(String::as_str).collect();
    for r in &index.requirements {
        if retired.contains(r.id.as_str()) {
            errors.push(IndexError {
                file: r.file.clone(),
                line: 0,
                message: format!("{} is retired and must not be reused", r.id),
            });
        }
    }
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_tag_line() {
        let t = parse_tag("**HRT-WIRE-3** [MUST | decoder | both | observable: noncanonical]");
        let t = t.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.id, "HRT-WIRE-3");
        assert_eq!(t.level, "MUST");
        assert_eq!(t.observable.as_deref(), Some("noncanonical"));
    }

    #[test]
    fn rejects_bad_tag_lines() {
        for bad in [
            "**HRT-WIRE-03** [MUST | decoder | both | not observable]",
            "**HRT-wire-3** [MUST | decoder | both | not observable]",
            "**HRT-WIRE-3** [MUSTN'T | decoder | both | not observable]",
            "**HRT-WIRE-3** [MUST | decoder | everyone | not observable]",
            "**HRT-WIRE-3** [MUST | decoder | both | observable: no_such_code]",
            "**HRT-WIRE-3** [MUST | decoder | both]",
            "**HRT-WIRE-3** [MUST | decoder | both | not observable] trailing",
        ] {
            assert!(parse_tag(bad).is_err(), "accepted {bad}");
        }
    }

    #[test]
    fn keyword_outside_requirement_is_an_error() {
        let mut out = Vec::new();
        let mut errors = Vec::new();
        extract(
            "x.md",
            "# 1. X\n\nA host MUST do it.\n",
            &mut out,
            &mut errors,
        );
        assert_eq!(errors.len(), 1);
        let mut errors = Vec::new();
        extract(
            "x.md",
            "# 1. X\n\n**HRT-X-1** [SHOULD | host | host | not observable]\nA host MUST do it.\n",
            &mut out,
            &mut errors,
        );
        assert_eq!(
            errors.len(),
            1,
            "level SHOULD but text says MUST: {errors:?}"
        );
    }

    #[test]
    fn keyword_boundaries() {
        assert!(contains_keyword("a MUST b", "MUST"));
        assert!(!contains_keyword("MUSTARD", "MUST"));
        assert!(!contains_keyword("`MAY`", "MAY"));
        assert!(contains_keyword("MUST NOT.", "MUST NOT"));
    }
}
