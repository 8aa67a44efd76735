//! `hearth-conformance`: the Hearth conformance harness (spec §14).

use std::process::ExitCode;

use hearth_conformance::requirements;

const USAGE: &str = "\
usage: hearth-conformance                 the main job (see below)
       hearth-conformance requirements [--json] [--write] [--spec DIR]

  requirements   print the requirement index extracted from spec/*.md
    --json       print spec/requirements.json instead of the table
    --write      rewrite spec/requirements.json from the Markdown
    --spec DIR   the spec directory (default: the repository's spec/)

Exit codes: 0 success, 1 the spec is inconsistent, 2 usage or harness error.
With no argument the harness runs everything that exists today: the consistency check of the
specification's requirement index. The host suite (spec §14.3) and the client suite through a
shim (spec §14.4) are specified but not implemented yet; when they land, the no-argument run
starts the bundled reference host on loopback and runs the host suite against it.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None => main_job(),
        Some("requirements") => requirements_cmd(args.get(1..).unwrap_or_default()),
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

/// The README's first command. Today: check the specification and print its requirement
/// summary; the host suite against the bundled reference host is not implemented yet.
fn main_job() -> ExitCode {
    println!("hearth-conformance: main job");
    println!("[1/1] requirement index of spec/ ...");
    let spec = requirements::default_spec_dir();
    let index = match requirements::load(&spec) {
        Ok(i) => i,
        Err(errors) => {
            for e in &errors {
                eprintln!("  {e}");
            }
            eprintln!("FAIL: {} problem(s) in the specification", errors.len());
            return ExitCode::from(1);
        }
    };
    println!(
        "      ok: {} requirements, IDs unique, tag lines valid",
        index.requirements.len()
    );
    println!();
    print_counts(&index);
    println!();
    println!("not run (not implemented yet): host suite (spec §14.3), client suite (spec §14.4)");
    ExitCode::SUCCESS
}

fn print_counts(index: &requirements::Index) {
    println!(
        "{:<12} {:>6} {:>6} {:>6} {:>6}",
        "level", "host", "client", "both", "total"
    );
    let counts = index.counts();
    for level in ["MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY"] {
        let n = |p: &str| {
            counts
                .get(&(level.to_owned(), p.to_owned()))
                .copied()
                .unwrap_or(0)
        };
        let (h, c, b) = (n("host"), n("client"), n("both"));
        println!("{level:<12} {h:>6} {c:>6} {b:>6} {:>6}", h + c + b);
    }
    println!("{} requirements", index.requirements.len());
}

fn requirements_cmd(args: &[String]) -> ExitCode {
    let mut json = false;
    let mut write = false;
    let mut spec = requirements::default_spec_dir();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => json = true,
            "--write" => write = true,
            "--spec" => match it.next() {
                Some(d) => spec = d.into(),
                None => {
                    eprintln!("--spec needs a directory\n\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            other => {
                eprintln!("unknown argument `{other}`\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let index = match requirements::load(&spec) {
        Ok(i) => i,
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            eprintln!("{} problem(s) in the specification", errors.len());
            return ExitCode::from(1);
        }
    };
    if write {
        let path = spec.join("requirements.json");
        if let Err(e) = std::fs::write(&path, index.to_json()) {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
        eprintln!(
            "wrote {} ({} requirements)",
            path.display(),
            index.requirements.len()
        );
        return ExitCode::SUCCESS;
    }
    if json {
        print!("{}", index.to_json());
        return ExitCode::SUCCESS;
    }
    for r in &index.requirements {
        println!(
            "{:<16} {:<10} {:<6} {:<24} {}",
            r.id,
            r.level,
            r.party,
            r.observable.as_deref().unwrap_or("-"),
            r.section
        );
    }
    println!();
    print_counts(&index);
    ExitCode::SUCCESS
}
