//! The conformance runner: replays the cases of `conformance/*.jsonl` (CPython 3.11's and
//! NumPy's measured results, see `conformance/SCHEMA.md`) through the workspace's crates.
//!
//! `cargo test -p conformance` replays every case of the implemented groups and fails on any
//! miss; the `conformance` binary (what `cargo xtask conformance` forwards to) prints the
//! totals and can write a report:
//!
//! ```text
//! conformance [--report FILE] [--group G]... [--all-groups] [PATH...]
//! ```

#![forbid(unsafe_code)]

mod codec;
pub(crate) mod json;
mod view;

use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// What running a case produced.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// A result, in the cases' JSON form.
    Ok(Json),
    /// An error, by CPython exception name; `at` is the step that failed, where known.
    Error(String),
    /// An error at a given step (group `view`).
    ErrorAt(String, usize),
}

/// The groups the workspace implements; others count as failed when run.
pub const SUPPORTED: &[&str] = &["struct", "pep3118", "view", "eq"];

/// Runs one case's operations.
fn run_case(case: &Json) -> Result<Outcome, String> {
    match case.get("group").and_then(Json::as_str) {
        Some("struct") => codec::run_struct(case),
        Some("pep3118") => codec::run_pep3118(case),
        Some("view") => view::run_view(case),
        Some("eq") => view::run_eq(case),
        Some(g) => Err(format!("group {g:?} is not implemented yet")),
        None => Err("case has no group".into()),
    }
}

/// Whether an outcome matches an `expect`-style object; returns the difference if not.
fn matches(expect: &Json, outcome: &Outcome) -> Result<(), String> {
    match (expect.get("ok"), expect.get("error"), outcome) {
        (Some(want), _, Outcome::Ok(got)) => {
            if json::same(want, got) {
                Ok(())
            } else {
                Err(json::first_difference(want, got))
            }
        }
        (_, Some(kind), Outcome::Error(got) | Outcome::ErrorAt(got, _)) => {
            let kind = kind.as_str().unwrap_or_default();
            let at_ok = match (expect.get("at").and_then(Json::as_u64), outcome) {
                (Some(at), Outcome::ErrorAt(_, step)) => at == *step as u64,
                _ => true,
            };
            if (kind == "any" || kind == got) && at_ok {
                Ok(())
            } else {
                Err(format!("expected {expect}, got error {outcome:?}"))
            }
        }
        (_, _, got) => Err(format!("expected {expect}, got {got:?}")),
    }
}

/// The totals of a run.
#[derive(Default)]
struct Totals {
    passed: usize,
    extended: usize,
    failed: usize,
    per_group: BTreeMap<String, (usize, usize, usize)>,
    report: Vec<String>,
}

fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
                .collect();
            entries.sort();
            files.extend(entries);
        } else {
            files.push(p.clone());
        }
    }
    Ok(files)
}

/// Runs every case of the given files, keeping only the listed groups (all if `None`).
pub fn run(paths: &[PathBuf], groups: Option<&[String]>, report: Option<&Path>) -> Result<bool, String> {
    let files = collect_files(paths)?;
    let mut t = Totals::default();
    std::panic::set_hook(Box::new(|_| {}));
    for file in &files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        for (lineno, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let case: Json =
                serde_json::from_str(line).map_err(|e| format!("{}:{}: {e}", file.display(), lineno + 1))?;
            let group = case.get("group").and_then(Json::as_str).unwrap_or("?").to_string();
            if groups.is_some_and(|g| !g.contains(&group)) {
                continue;
            }
            let id = case.get("id").and_then(Json::as_str).unwrap_or("?").to_string();
            let outcome = catch_unwind(AssertUnwindSafe(|| run_case(&case)));
            let verdict = match outcome {
                Err(_) => Err("panicked".to_string()),
                Ok(Err(e)) => Err(format!("runner: {e}")),
                Ok(Ok(out)) => {
                    let plain = case.get("expect").map(|e| matches(e, &out));
                    let ext = case.get("expect_extended").map(|e| matches(e, &out));
                    match (plain, ext) {
                        (Some(Ok(())), _) => Ok(false),
                        (_, Some(Ok(()))) => Ok(true),
                        (Some(Err(d)), _) => Err(d),
                        (None, _) => Err("case has no expect".into()),
                    }
                }
            };
            let entry = t.per_group.entry(group).or_default();
            match verdict {
                Ok(extended) => {
                    t.passed += 1;
                    entry.0 += 1;
                    if extended {
                        t.extended += 1;
                        entry.1 += 1;
                    }
                }
                Err(diff) => {
                    t.failed += 1;
                    entry.2 += 1;
                    t.report.push(format!("{id}\t{diff}"));
                }
            }
        }
    }
    let _ = std::panic::take_hook();
    for (g, (p, e, f)) in &t.per_group {
        let note = if SUPPORTED.contains(&g.as_str()) { "" } else { " (group not implemented)" };
        println!("  {g:<8} {p:>6} passed ({e} via expect_extended), {f} failed{note}");
    }
    if let Some(path) = report {
        let mut text = t.report.join("\n");
        text.push('\n');
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("report of failed cases: {}", path.display());
    } else {
        for line in t.report.iter().take(10) {
            println!("  FAILED {line}");
        }
    }
    println!("extended: {} passed via expect_extended", t.extended);
    println!("conformance: {} passed, {} failed", t.passed, t.failed);
    Ok(t.failed == 0)
}

/// The case files of the workspace: `conformance/` at its root.
pub fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance")
}

/// Runs the command line `[--report FILE] [--group G]... [--all-groups] [PATH...]`: with no
/// path, the implemented groups of [`cases_dir`]; with paths, every group in them. Returns
/// whether every case passed.
pub fn main_with_args(args: &[String]) -> bool {
    let mut report = None;
    let mut groups: Vec<String> = Vec::new();
    let mut paths = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--report" => report = it.next().map(PathBuf::from),
            "--group" => groups.extend(it.next().cloned()),
            "--all-groups" => groups.push("*".into()),
            p => paths.push(PathBuf::from(p)),
        }
    }
    let explicit_paths = !paths.is_empty();
    if paths.is_empty() {
        paths.push(cases_dir());
    }
    // Default: the groups the workspace implements. Explicit paths run every group in them.
    let selected: Option<Vec<String>> = if groups.iter().any(|g| g == "*") {
        None
    } else if !groups.is_empty() {
        Some(groups)
    } else if explicit_paths {
        None
    } else {
        Some(SUPPORTED.iter().map(|s| s.to_string()).collect())
    };
    match &selected {
        Some(g) => println!("==> conformance: groups {}", g.join(", ")),
        None => println!("==> conformance: all groups"),
    }
    match run(&paths, selected.as_deref(), report.as_deref()) {
        Ok(ok) => ok,
        Err(e) => {
            eprintln!("conformance: {e}");
            false
        }
    }
}
