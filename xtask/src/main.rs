//! The workspace's one driver, run as `cargo xtask <command>` through the alias in
//! `.cargo/config.toml` (`xtask = "run --package xtask --"`).
//!
//! * `test`: `cargo fmt --check`, `cargo clippy -D warnings` (all features), `cargo test`
//!   with `INSTA_UPDATE=no` (default features, conformance replay included; then with all
//!   features on), `cargo package` of the published crates, and the
//!   conformance totals.
//! * `conformance [--report FILE] [--group G]... [PATH...]`: forwards to the conformance
//!   crate's binary, which replays cases and prints totals.
//! * `bench [FILTER]`: the criterion benches; `bench --python`: CPython's and NumPy's rates
//!   on the same workloads (`bench/python/compare.py`), to divide the criterion figures by.
//! * `docs`: rustdoc of every crate, with the `docs/` pages compiled in.
//! * `miri`: the tests of the crates with `unsafe` code under Miri (Stacked and Tree Borrows,
//!   strict provenance), and again on a big-endian target (s390x).
//! * `asan`: the tests of the crates with `unsafe` code under AddressSanitizer (nightly,
//!   `-Zbuild-std`), leaks included.
//! * `fuzz [TARGET] [--time S]`: the cargo-fuzz targets in `fuzz/` (libFuzzer with
//!   AddressSanitizer, nightly), each for `S` seconds (default 60) from its committed corpus.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// Runs a command, printing it first; returns whether it succeeded.
fn run(what: &str, mut cmd: Command) -> bool {
    println!("==> {what}");
    match cmd.status() {
        Ok(s) if s.success() => true,
        Ok(s) => {
            eprintln!("xtask: `{what}` failed ({s})");
            false
        }
        Err(e) => {
            eprintln!("xtask: cannot run `{what}`: {e}");
            false
        }
    }
}

/// Forwards to the `conformance` crate's binary (the case replay lives there, so that
/// `cargo test` runs it too and xtask stays tooling only).
fn conformance(args: &[String]) -> bool {
    let mut c = cargo();
    c.args(["run", "--quiet", "--profile", "test", "--package", "conformance", "--"]).args(args);
    run(&format!("conformance {}", args.join(" ")), c)
}

fn test() -> bool {
    let mut ok = true;
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--", "--check"]);
    ok &= run("cargo fmt --all -- --check", fmt);
    let mut clippy = cargo();
    clippy.args(["clippy", "--workspace", "--all-targets", "--all-features", "--quiet", "--", "-D", "warnings"]);
    ok &= run("cargo clippy --workspace --all-targets --all-features -- -D warnings", clippy);
    // Default features (the lean build), which includes the conformance replay
    // (`crates/conformance/tests`), then the crates that have optional features with all on.
    let mut t = cargo();
    t.args(["test", "--workspace"]).env("INSTA_UPDATE", "no");
    ok &= run("cargo test --workspace (INSTA_UPDATE=no)", t);
    let mut all = cargo();
    all.args(["test", "--workspace", "--all-features"]).env("INSTA_UPDATE", "no");
    ok &= run("cargo test --workspace --all-features (INSTA_UPDATE=no)", all);
    // The published crates package and build from their tarballs alone, in a target
    // directory of their own: cargo treats registry crates as immutable, so artifacts of an
    // earlier tarball of the same version would be reused.
    let verify_dir = root().join("target/package-verify");
    let _ = std::fs::remove_dir_all(&verify_dir);
    forget_packaged_sources();
    let mut package = cargo();
    package.args(["package", "--quiet", "--allow-dirty", "--workspace", "--target-dir"]).arg(&verify_dir);
    for private in ["xtask", "conformance", "examples"] {
        package.args(["--exclude", private]);
    }
    ok &= run("cargo package --workspace (the five published crates)", package);
    // The totals: our own CPython-computed regression cases first, then the shared cases,
    // whose totals close the output.
    ok &= conformance(&[root().join("conformance/generated").to_string_lossy().into_owned()]);
    ok &= conformance(&[]);
    if ok {
        println!("xtask test: all steps passed");
    } else {
        eprintln!("xtask test: some steps failed");
    }
    ok
}

/// The tests of the crates with `unsafe` code, all features, under AddressSanitizer: out-of-
/// bounds accesses, use after free and leaks in what the unit and integration tests reach.
fn asan() -> bool {
    let mut add = Command::new("rustup");
    add.args(["component", "add", "rust-src", "--toolchain", "nightly"]);
    if !run("rustup component add rust-src --toolchain nightly", add) {
        return false;
    }
    let mut c = Command::new("cargo");
    c.current_dir(root())
        .args([
            "+nightly",
            "test",
            "-Zbuild-std",
            "--target",
            "x86_64-unknown-linux-gnu",
            "--target-dir",
            "target/asan",
        ])
        .args(["-p", "buffer-protocol", "-p", "memview", "--all-features", "--lib", "--tests"])
        .env("RUSTFLAGS", "-Zsanitizer=address")
        .env("ASAN_OPTIONS", "detect_leaks=1:allocator_may_return_null=1");
    run("cargo +nightly test -Zbuild-std (RUSTFLAGS=-Zsanitizer=address) -p buffer-protocol -p memview", c)
}

/// The crates this workspace publishes, at their current version.
const PUBLISHED: &[&str] = &["py-exc", "format-codec", "strided", "buffer-protocol", "memview"];

/// `cargo package` verifies each crate against the tarballs of the others, which it unpacks
/// into `$CARGO_HOME/registry/src` and, like every registry crate, never unpacks again: a
/// second run would build against the first run's sources. Removes those unpacked copies (of
/// this workspace's crate names and version only).
fn forget_packaged_sources() {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    let Some(src) = home.map(|h| h.join("registry/src")) else { return };
    let version = env!("CARGO_PKG_VERSION");
    for registry in std::fs::read_dir(&src).into_iter().flatten().flatten() {
        for name in PUBLISHED {
            let _ = std::fs::remove_dir_all(registry.path().join(format!("{name}-{version}")));
        }
    }
}

fn bench(args: &[String]) -> bool {
    if args.first().is_some_and(|a| a == "--python") {
        // CPython's and NumPy's rates on the same workloads, for the same sitting.
        let mut py = Command::new(std::env::var("PYTHON").unwrap_or_else(|_| "python3".into()));
        py.current_dir(root()).arg("bench/python/compare.py");
        return run("python3 bench/python/compare.py", py);
    }
    let mut c = cargo();
    c.args(["bench", "--workspace"]);
    if let Some(filter) = args.first() {
        c.args(["--", filter]);
    }
    run("cargo bench --workspace", c)
}

fn docs() -> bool {
    let mut c = cargo();
    c.args(["doc", "--workspace", "--no-deps"]).env("RUSTDOCFLAGS", "-D warnings");
    let ok = run("cargo doc --workspace --no-deps (RUSTDOCFLAGS=-D warnings)", c);
    if ok {
        println!("documentation: {}", root().join("target/doc/memview/index.html").display());
    }
    ok
}

fn miri() -> bool {
    let has_miri =
        Command::new("cargo").args(["+nightly", "miri", "--version"]).output().is_ok_and(|o| o.status.success());
    if !has_miri {
        let mut add = Command::new("rustup");
        add.args(["component", "add", "miri", "rust-src", "--toolchain", "nightly"]);
        if !run("rustup component add miri rust-src --toolchain nightly", add) {
            return false;
        }
    }
    let mut ok = true;
    // Stacked Borrows (Miri's default) and Tree Borrows: the aliasing rules of both models.
    for model in ["", " -Zmiri-tree-borrows"] {
        let flags = format!("-Zmiri-disable-isolation -Zmiri-strict-provenance{model}");
        let mut c = Command::new("cargo");
        c.current_dir(root())
            .args([
                "+nightly",
                "miri",
                "test",
                "-p",
                "buffer-protocol",
                "-p",
                "memview",
                "--all-features",
                "--lib",
                "--tests",
            ])
            .env("MIRIFLAGS", &flags);
        ok &= run(&format!("MIRIFLAGS='{flags}' cargo +nightly miri test -p buffer-protocol -p memview"), c);
    }
    // Big-endian (s390x, interpreted: no cross toolchain needed): byte orders, typed loads and
    // the codec's scalar conversions on a machine whose native order is the other one.
    let flags = "-Zmiri-disable-isolation -Zmiri-strict-provenance";
    let mut c = Command::new("cargo");
    c.current_dir(root())
        .args(["+nightly", "miri", "test", "--target", "s390x-unknown-linux-gnu"])
        .args(["-p", "buffer-protocol", "-p", "memview", "--lib", "--tests"])
        .env("MIRIFLAGS", flags);
    ok &= run("cargo +nightly miri test --target s390x-unknown-linux-gnu -p buffer-protocol -p memview", c);
    let mut c = Command::new("cargo");
    c.current_dir(root())
        .args(["+nightly", "miri", "test", "--target", "s390x-unknown-linux-gnu", "-p", "format-codec", "--lib"])
        .env("MIRIFLAGS", flags);
    ok &= run("cargo +nightly miri test --target s390x-unknown-linux-gnu -p format-codec --lib", c);
    ok
}

const FUZZ_TARGETS: &[&str] = &["codec", "view", "layout"];

fn fuzz(args: &[String]) -> bool {
    let mut time = 60u64;
    let mut targets: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--time" => time = it.next().and_then(|t| t.parse().ok()).unwrap_or(time),
            t => targets.push(t.to_string()),
        }
    }
    if targets.is_empty() {
        targets = FUZZ_TARGETS.iter().map(|t| t.to_string()).collect();
    }
    let has_fuzz = Command::new("cargo").args(["fuzz", "--version"]).output().is_ok_and(|o| o.status.success());
    if !has_fuzz {
        let mut install = Command::new("cargo");
        install.args(["install", "cargo-fuzz", "--locked"]);
        if !run("cargo install cargo-fuzz --locked", install) {
            return false;
        }
    }
    let mut ok = true;
    for t in &targets {
        let corpus = root().join("fuzz/corpus").join(t);
        let _ = std::fs::create_dir_all(&corpus);
        let mut c = Command::new("cargo");
        // Fallible reservations (`try_reserve`) must see a failed allocation as production
        // code does, not as an ASan abort.
        c.env("ASAN_OPTIONS", "allocator_may_return_null=1");
        c.current_dir(root().join("fuzz")).args(["+nightly", "fuzz", "run", "--fuzz-dir", ".", t]).arg(&corpus).args([
            "--",
            &format!("-max_total_time={time}"),
            "-rss_limit_mb=4096",
            "-max_len=4096",
        ]);
        ok &= run(&format!("cargo +nightly fuzz run {t} ({time} s)"), c);
    }
    ok
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let ok = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("conformance") => conformance(&args[1..]),
        Some("bench") => bench(&args[1..]),
        Some("docs") => docs(),
        Some("miri") => miri(),
        Some("fuzz") => fuzz(&args[1..]),
        Some("asan") => asan(),
        _ => {
            eprintln!("usage: cargo xtask <test | conformance [--report FILE] [--group G] [PATH...] | bench [FILTER | --python] | docs | miri | asan | fuzz [TARGET] [--time S]>");
            false
        }
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
