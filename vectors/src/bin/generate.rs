//! `cargo run -p hearth-vectors --bin generate [-- --check]`: writes `vectors/*.json`,
//! `vectors/MANIFEST` and `spec/90-worked-example.md`, or with `--check` regenerates them in
//! memory and exits 1 when any file on disk differs.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let check = args.iter().any(|a| a == "--check");
    if let Some(a) = args.iter().find(|a| *a != "--check") {
        eprintln!("unknown argument {a:?}; usage: generate [--check]");
        return ExitCode::from(2);
    }
    let root = hearth_vectors::workspace_root();
    let outputs = match hearth_vectors::outputs() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("generation failed: {e}");
            return ExitCode::from(2);
        }
    };
    if check {
        let drift = hearth_vectors::drift(&root, &outputs);
        // Files under vectors/ that the generator no longer produces also count as drift.
        let mut stray = Vec::new();
        if let Ok(rd) = std::fs::read_dir(root.join("vectors")) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.ends_with(".json")
                    && !outputs.iter().any(|o| o.path == format!("vectors/{name}"))
                {
                    stray.push(format!("vectors/{name}"));
                }
            }
        }
        stray.sort();
        if drift.is_empty() && stray.is_empty() {
            println!("vectors up to date: {} files checked", outputs.len());
            return ExitCode::SUCCESS;
        }
        for p in &drift {
            eprintln!("drift: {p} differs from the generator's output");
        }
        for p in &stray {
            eprintln!("drift: {p} is not produced by the generator");
        }
        eprintln!("run `cargo run -p hearth-vectors --bin generate` and commit the result");
        return ExitCode::from(1);
    }
    for o in &outputs {
        let path = root.join(&o.path);
        if let Err(e) = std::fs::write(&path, &o.bytes) {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
        println!("wrote {}", o.path);
    }
    ExitCode::SUCCESS
}
