//! # hearth-vectors
//!
//! The deterministic generator of Hearth's test vectors (`vectors/*.json`, spec §14.2), of
//! `vectors/MANIFEST` and of the worked example appendix (`spec/90-worked-example.md`).
//!
//! Every value comes from the reference library (`hearth-wire`, `hearth-crypto` with its
//! `danger-deterministic` feature) driven by fixed inputs and fixed seeds, so two runs produce
//! identical bytes. `cargo run -p hearth-vectors --bin generate` writes the files;
//! `-- --check` regenerates them in memory and fails on any difference.

#![forbid(unsafe_code)]
#![allow(
    clippy::type_complexity,
    reason = "the families build tables of tuples (slug, description, requirements, bytes, ...) inline"
)]

pub mod coverage;
pub mod families;
pub mod model;
pub mod util;
pub mod worked;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use model::{Case, Expected, GenError, VectorFile, R};

/// Every vector file, in a stable order.
pub fn vector_files(scenario: &families::scenario::Scenario) -> R<Vec<VectorFile>> {
    Ok(vec![
        families::wire::wire_family()?,
        families::wire::structures_family(scenario)?,
        families::prims::labelled_family()?,
        families::prims::hpke_family()?,
        families::prims::keys_family()?,
        families::ed25519::ed25519_family()?,
        families::invite::invite_family()?,
        families::host_url::host_url_family()?,
        families::schedule::schedule_family()?,
        families::schedule::ratchet_family()?,
        families::envelope::envelope_family(scenario)?,
        families::attachment::attachment_family()?,
        families::commit::commit_family(scenario)?,
        families::welcome::welcome_family(scenario)?,
        families::host::host_verdict_family()?,
        families::log::log_chain_family(scenario)?,
        families::log::passive_client_family(scenario)?,
        families::accumulated::accumulated_family()?,
        families::recovery::recovery_family()?,
        families::suite2::hpke_suite2_family()?,
    ])
}

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// One generated output: its path relative to the workspace root and its bytes.
#[derive(Clone, Debug)]
pub struct Output {
    /// Path relative to the workspace root, with `/` separators.
    pub path: String,
    /// The exact bytes.
    pub bytes: Vec<u8>,
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(b: &[u8]) -> String {
    model::hex(&Sha256::digest(b))
}

/// Every output of the generator: the vector files, `vectors/MANIFEST` and the worked example.
pub fn outputs() -> R<Vec<Output>> {
    let scenario = families::scenario::Scenario::run()?;
    let files = vector_files(&scenario)?;
    let mut out = Vec::new();
    let mut manifest = Vec::new();
    for f in &files {
        let bytes = f.to_bytes()?;
        manifest.push((f.file_name(), sha256_hex(&bytes)));
        out.push(Output {
            path: format!("vectors/{}", f.file_name()),
            bytes,
        });
    }
    manifest.sort();
    let mut m = String::new();
    for (name, h) in &manifest {
        m.push_str(&format!("{h}  {name}\n"));
    }
    let manifest_hash = sha256_hex(m.as_bytes());
    out.push(Output {
        path: "vectors/MANIFEST".into(),
        bytes: m.into_bytes(),
    });
    out.push(Output {
        path: CONFORMANCE_SPEC.into(),
        bytes: pin_manifest_hash(&manifest_hash)?.into_bytes(),
    });
    out.push(Output {
        path: "vectors/COVERAGE.md".into(),
        bytes: coverage::coverage(&files)?.into_bytes(),
    });
    let worked = worked::worked_example(&scenario)?;
    out.push(Output {
        path: "spec/90-worked-example.md".into(),
        bytes: worked.into_bytes(),
    });
    Ok(out)
}

/// The spec file that cites the MANIFEST hash (§14.2).
pub const CONFORMANCE_SPEC: &str = "spec/14-conformance.md";

const PIN_PREFIX: &str =
    "The vectors of this draft are pinned by `vectors/MANIFEST`, whose SHA-256 is";

/// `spec/14-conformance.md` with the MANIFEST hash of this run in its pinning sentence (the
/// line after [`PIN_PREFIX`]); every other byte of the file is kept.
fn pin_manifest_hash(hash: &str) -> R<String> {
    let path = workspace_root().join(CONFORMANCE_SPEC);
    let text = std::fs::read_to_string(&path)?;
    let mut out = String::with_capacity(text.len());
    let mut lines = text.split_inclusive('\n');
    let mut found = false;
    while let Some(line) = lines.next() {
        out.push_str(line);
        if line.starts_with(PIN_PREFIX) {
            let next = lines.next().unwrap_or_default();
            let rest = next
                .trim_start()
                .strip_prefix('`')
                .and_then(|r| r.split_once('`'))
                .map(|(_, r)| r);
            let rest = rest.ok_or_else(|| GenError(format!("{CONFORMANCE_SPEC}: the line after the pin sentence must start with the hash in backticks")))?;
            out.push_str(&format!("`{hash}`{rest}"));
            found = true;
        }
    }
    if !found {
        return Err(GenError(format!(
            "{CONFORMANCE_SPEC} has no sentence starting {PIN_PREFIX:?}"
        )));
    }
    Ok(out)
}

/// Compares the outputs with the files on disk under `root`; returns the paths that differ.
pub fn drift(root: &Path, outputs: &[Output]) -> Vec<String> {
    outputs
        .iter()
        .filter(|o| std::fs::read(root.join(&o.path)).ok().as_deref() != Some(o.bytes.as_slice()))
        .map(|o| o.path.clone())
        .collect()
}
