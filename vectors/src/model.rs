//! The vector file model: one [`VectorFile`] per family, holding [`Case`]s, and its
//! deterministic JSON form (sorted keys, two-space indentation, no timestamps).

use std::collections::BTreeMap;

use hearth_crypto::{CryptoError, ProtocolError};
use hearth_wire::{ErrorCode, WireError};
use serde_json::Value;

/// The generator's error: a description of the step that failed. The generator's inputs are
/// fixed, so any error is a bug in the generator or a change in the reference library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenError(pub String);

impl core::fmt::Display for GenError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GenError {}

impl From<ProtocolError> for GenError {
    fn from(e: ProtocolError) -> Self {
        GenError(format!("protocol error: {e:?}"))
    }
}

impl From<WireError> for GenError {
    fn from(e: WireError) -> Self {
        GenError(format!("wire error: {e:?}"))
    }
}

impl From<CryptoError> for GenError {
    fn from(e: CryptoError) -> Self {
        GenError(format!("crypto error: {e:?}"))
    }
}

impl From<std::io::Error> for GenError {
    fn from(e: std::io::Error) -> Self {
        GenError(format!("io error: {e}"))
    }
}

impl From<Box<hearth_crypto::group::welcome::WelcomeRejected>> for GenError {
    fn from(e: Box<hearth_crypto::group::welcome::WelcomeRejected>) -> Self {
        GenError(format!("welcome rejected: {e:?}"))
    }
}

/// The generator's result type.
pub type R<T> = Result<T, GenError>;

/// Fails with `msg` unless `cond` holds (a self-check of the generator).
pub fn ensure(cond: bool, msg: &str) -> R<()> {
    if cond {
        Ok(())
    } else {
        Err(GenError(format!("self-check failed: {msg}")))
    }
}

/// The family of suite 2's vectors (`vectors/hpke_suite2.json`); every other family is of
/// suite 1.
pub const SUITE_2_FAMILY: &str = "hpke_suite2";

/// Lowercase hex.
pub fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push_str(&format!("{x:02x}"));
    }
    s
}

/// Lowercase hex as a JSON string.
pub fn hx(b: &[u8]) -> Value {
    Value::String(hex(b))
}

/// The schema id of a family's files.
pub fn schema_id(family: &str) -> String {
    format!("https://hearth.invalid/vectors/schema/{family}.schema.json")
}

/// The specification version the vectors are generated for.
pub const SPEC_VERSION: &str = "1-draft";

/// The generator's name and version, recorded in every file.
pub const GENERATOR: &str = concat!("hearth-vectors ", env!("CARGO_PKG_VERSION"));

/// An expected error: the status code of §12.4 and, where the spec names one, the detail code
/// of §12.5.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expected {
    /// The status code.
    pub status: ErrorCode,
    /// The detail code, if any.
    pub detail: Option<ErrorCode>,
}

impl Expected {
    /// A status without detail.
    pub fn status(status: ErrorCode) -> Self {
        Self {
            status,
            detail: None,
        }
    }

    /// The codes of a wire decoding failure.
    pub fn wire(e: WireError) -> Self {
        let c = e.code();
        if c.is_detail() {
            Self {
                status: c.status(),
                detail: Some(c),
            }
        } else {
            Self::status(c)
        }
    }

    /// The codes of a protocol-layer rejection.
    pub fn protocol(e: ProtocolError) -> Self {
        Self {
            status: e.code(),
            detail: e.detail(),
        }
    }

    /// The codes of a primitive failure.
    pub fn crypto(e: CryptoError) -> Self {
        Self::status(e.code())
    }

    fn code_json(c: ErrorCode) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("code".into(), Value::from(c.0));
        m.insert(
            "name".into(),
            Value::String(c.name().unwrap_or("unassigned").to_owned()),
        );
        Value::Object(m)
    }

    /// The JSON form `{"status": {"code", "name"}, "detail": {...} | null}`.
    pub fn to_json(self) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("status".into(), Self::code_json(self.status));
        m.insert(
            "detail".into(),
            self.detail.map(Self::code_json).unwrap_or(Value::Null),
        );
        Value::Object(m)
    }
}

/// One test case.
#[derive(Clone, Debug)]
pub struct Case {
    /// The stable id (never reused).
    pub id: String,
    /// What the case checks, in one sentence.
    pub description: String,
    /// The requirement IDs it exercises.
    pub requirements: Vec<String>,
    /// Its inputs.
    pub inputs: BTreeMap<String, Value>,
    /// Every intermediate value, in derivation order by name.
    pub intermediates: BTreeMap<String, Value>,
    /// The expected output (valid cases).
    pub output: BTreeMap<String, Value>,
    /// The expected error (invalid cases).
    pub error: Option<Expected>,
}

impl Case {
    /// A new case.
    pub fn new(id: impl Into<String>, description: impl Into<String>, reqs: &[&str]) -> Self {
        Self {
            id: id.into(),
            description: description.into(),
            requirements: reqs.iter().map(|s| (*s).to_owned()).collect(),
            inputs: BTreeMap::new(),
            intermediates: BTreeMap::new(),
            output: BTreeMap::new(),
            error: None,
        }
    }

    /// Adds an input.
    pub fn input(mut self, k: &str, v: impl Into<Value>) -> Self {
        self.inputs.insert(k.to_owned(), v.into());
        self
    }

    /// Adds an intermediate value.
    pub fn mid(mut self, k: &str, v: impl Into<Value>) -> Self {
        self.intermediates.insert(k.to_owned(), v.into());
        self
    }

    /// Adds an expected output value.
    pub fn out(mut self, k: &str, v: impl Into<Value>) -> Self {
        self.output.insert(k.to_owned(), v.into());
        self
    }

    /// Marks the case invalid with the expected error.
    pub fn err(mut self, e: Expected) -> Self {
        self.error = Some(e);
        self
    }

    /// Adds a requirement ID.
    pub fn req(mut self, r: &str) -> Self {
        if !self.requirements.iter().any(|x| x == r) {
            self.requirements.push(r.to_owned());
        }
        self
    }

    /// The requirement IDs, sorted, including those every negative case exercises: the
    /// reported code (HRT-CONV-5, HRT-CONF-4).
    pub fn all_requirements(&self) -> Vec<String> {
        let mut reqs = self.requirements.clone();
        if self.error.is_some() {
            reqs.push("HRT-CONV-5".into());
            reqs.push("HRT-CONF-4".into());
        }
        reqs.sort_by_key(|a| req_key(a));
        reqs.dedup();
        reqs
    }

    /// Whether the case is negative.
    pub fn is_negative(&self) -> bool {
        self.error.is_some()
    }

    fn to_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("id".into(), Value::String(self.id.clone()));
        m.insert(
            "description".into(),
            Value::String(self.description.clone()),
        );
        let reqs = self.all_requirements();
        m.insert(
            "requirements".into(),
            Value::Array(reqs.into_iter().map(Value::String).collect()),
        );
        m.insert("inputs".into(), obj(&self.inputs));
        m.insert("intermediates".into(), obj(&self.intermediates));
        match self.error {
            Some(e) => {
                m.insert("result".into(), Value::String("invalid".into()));
                m.insert("error".into(), e.to_json());
            }
            None => {
                m.insert("result".into(), Value::String("valid".into()));
                m.insert("output".into(), obj(&self.output));
            }
        }
        Value::Object(m)
    }
}

/// Sort key of a requirement ID: area, then number.
fn req_key(r: &str) -> (String, u64) {
    match r.rsplit_once('-') {
        Some((a, n)) => (a.to_owned(), n.parse().unwrap_or(0)),
        None => (r.to_owned(), 0),
    }
}

fn obj(m: &BTreeMap<String, Value>) -> Value {
    Value::Object(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// One vector file.
#[derive(Clone, Debug)]
pub struct VectorFile {
    /// The family name: the file is `vectors/<family>.json`.
    pub family: &'static str,
    /// What the family covers.
    pub description: String,
    /// The seed the family's randomness is drawn from (hex), or a fixed-input note.
    pub seed: String,
    /// The cases, in a stable order.
    pub cases: Vec<Case>,
}

impl VectorFile {
    /// The file name under `vectors/`.
    pub fn file_name(&self) -> String {
        format!("{}.json", self.family)
    }

    /// `(positive, negative)` counts.
    pub fn counts(&self) -> (usize, usize) {
        let neg = self.cases.iter().filter(|c| c.is_negative()).count();
        (self.cases.len() - neg, neg)
    }

    /// The JSON value of the file.
    pub fn to_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("schema".into(), Value::String(schema_id(self.family)));
        m.insert("spec_version".into(), Value::String(SPEC_VERSION.into()));
        // Every family is of suite 1 but suite 2's own (issue 18).
        let suite = if self.family == SUITE_2_FAMILY { 2 } else { 1 };
        m.insert("suite".into(), Value::from(suite));
        m.insert("generator".into(), Value::String(GENERATOR.into()));
        m.insert("family".into(), Value::String(self.family.into()));
        m.insert(
            "description".into(),
            Value::String(self.description.clone()),
        );
        m.insert("seed".into(), Value::String(self.seed.clone()));
        let (p, n) = self.counts();
        m.insert("positive_cases".into(), Value::from(p));
        m.insert("negative_cases".into(), Value::from(n));
        m.insert(
            "cases".into(),
            Value::Array(self.cases.iter().map(Case::to_json).collect()),
        );
        Value::Object(m)
    }

    /// The file's bytes: canonical JSON followed by a newline.
    pub fn to_bytes(&self) -> R<Vec<u8>> {
        let mut ids = std::collections::BTreeSet::new();
        for c in &self.cases {
            ensure(
                ids.insert(c.id.clone()),
                &format!("duplicate case id {}", c.id),
            )?;
        }
        let mut s = String::new();
        write_json(&self.to_json(), 0, &mut s);
        s.push('\n');
        Ok(s.into_bytes())
    }
}

/// Writes `v` as JSON with sorted object keys and two-space indentation. Arrays of scalars
/// are written on one line.
pub fn write_json(v: &Value, indent: usize, out: &mut String) {
    match v {
        Value::Object(m) if m.is_empty() => out.push_str("{}"),
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push_str("{\n");
            for (i, k) in keys.iter().enumerate() {
                push_indent(indent + 1, out);
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push_str(": ");
                if let Some(x) = m.get(*k) {
                    write_json(x, indent + 1, out);
                }
                if i + 1 < keys.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            push_indent(indent, out);
            out.push('}');
        }
        Value::Array(a) if a.is_empty() => out.push_str("[]"),
        Value::Array(a) if a.iter().all(|x| !x.is_object() && !x.is_array()) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&x.to_string());
            }
            out.push(']');
        }
        Value::Array(a) => {
            out.push_str("[\n");
            for (i, x) in a.iter().enumerate() {
                push_indent(indent + 1, out);
                write_json(x, indent + 1, out);
                if i + 1 < a.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            push_indent(indent, out);
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn push_indent(n: usize, out: &mut String) {
    for _ in 0..n {
        out.push_str("  ");
    }
}
