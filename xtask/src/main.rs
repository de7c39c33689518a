//! The workspace's one driver, run as `cargo xtask <command>` through the alias in
//! `.cargo/config.toml` (`xtask = "run --package xtask --"`).
//!
//! * `test`: `cargo fmt --check`, `cargo clippy -D warnings` (all features), `cargo test`
//!   with `INSTA_UPDATE=no` (default features, conformance replay included; then with all
//!   features on), rustdoc with warnings denied, `cargo package` of the published crates,
//!   and the conformance totals.
//! * `conformance [--report FILE] [--group G]... [PATH...]`: forwards to the conformance
//!   crate's binary, which replays cases and prints totals.
//! * `bench [FILTER | --all]`: the criterion benches (by default a quick set, one group per
//!   concern, in about two minutes), then a summary table of each measurement beside its
//!   group's reference; `bench --python`: CPython's and NumPy's rates on the same workloads
//!   (`bench/python/compare.py`), to divide the criterion figures by.
//! * `docs`: rustdoc of every crate, with the `docs/` pages compiled in.
//! * `miri`: the tests of the crates with `unsafe` code under Miri (Stacked and Tree Borrows,
//!   strict provenance), and again on a big-endian target (s390x).
//! * `asan`: the tests of the crates with `unsafe` code under AddressSanitizer (nightly,
//!   `-Zbuild-std`), leaks included.
//! * `py build [--python PY]`: the `memview` Python package (the `memview-py` extension,
//!   built by `cargo build` for the interpreter `PY`, default `python3`, and copied beside the
//!   package's Python files) under `target/python/`.
//! * `py test [--python PY]`: builds, then runs the bridge's pytest suite and CPython's own
//!   `test_memoryview`, `test_struct` and `test_buffer` (the interpreter's own version of
//!   them) with memview bound in their place, on `PY` alone, or on `python3` and every other
//!   CPython (3.12, 3.13) found on `PATH` or under pyenv; every version is required.
//! * `py wheel [--python PY]`: `pip install ./crates/memview-py` into a fresh virtual
//!   environment per interpreter, then the same suites against the installed package, run
//!   from outside the repository.
//! * `py bench`: acquiring a Python buffer from Rust beside PyO3's `PyBuffer` (criterion),
//!   and `memview.memoryview` beside the builtin on per-call and bulk operations.
//! * `py valgrind [--full]`: the tests that reach the bridge's unsafe code (all of the
//!   pytest suite with `--full`) and CPython's test files under valgrind's memcheck; fails on
//!   any error whose stack reaches memview's code.
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
    ok &= free_threaded_clippy();
    // Default features (the lean build), which includes the conformance replay
    // (`crates/conformance/tests`), then the crates that have optional features with all on.
    let mut t = cargo();
    t.args(["test", "--workspace"]).env("INSTA_UPDATE", "no");
    ok &= run("cargo test --workspace (INSTA_UPDATE=no)", t);
    // memview-py's `extension-module` feature builds a module for an interpreter to load,
    // never a test binary: it is tested with default features above and by `xtask py test`.
    let mut all = cargo();
    all.args(["test", "--workspace", "--all-features", "--exclude", "memview-py"]).env("INSTA_UPDATE", "no");
    ok &= run("cargo test --workspace --all-features (INSTA_UPDATE=no)", all);
    // rustdoc of every crate, warnings and broken links denied.
    ok &= docs();
    // The published crates package and build from their tarballs alone, in a target
    // directory of their own: cargo treats registry crates as immutable, so artifacts of an
    // earlier tarball of the same version would be reused.
    let verify_dir = root().join("target/package-verify");
    let _ = std::fs::remove_dir_all(&verify_dir);
    forget_packaged_sources();
    let mut package = cargo();
    package.args(["package", "--quiet", "--allow-dirty", "--workspace", "--target-dir"]).arg(&verify_dir);
    for private in ["xtask", "conformance", "examples", "memview-py"] {
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

/// The bridge's free-threaded code (`Py_GIL_DISABLED`: the family's `Mutex`, `Guarded`'s
/// `RwLock`) compiled and linted as for a free-threaded CPython 3.14 (no such interpreter is
/// installed, so PyO3 is given its configuration; nothing is linked or run), in a target
/// directory of its own.
fn free_threaded_clippy() -> bool {
    let dir = root().join("target/free-threaded");
    let config = dir.join("pyo3-config.txt");
    let text = "implementation=CPython\nversion=3.14\nshared=true\nabi3=false\nlib_name=python3.14t\n\
                pointer_width=64\nbuild_flags=Py_GIL_DISABLED\nsuppress_build_script_link_lines=false\n";
    if std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&config, text)).is_err() {
        eprintln!("xtask: cannot write {}", config.display());
        return false;
    }
    let mut c = cargo();
    c.args(["clippy", "--package", "memview-py", "--all-targets", "--quiet", "--target-dir"])
        .arg(&dir)
        .args(["--", "-D", "warnings"])
        .env("PYO3_CONFIG_FILE", &config);
    run("cargo clippy --package memview-py, free-threaded CPython 3.14 configuration", c)
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
        .args(["-p", "buffer-protocol", "-p", "memoryview", "--all-features", "--lib", "--tests"])
        .env("RUSTFLAGS", "-Zsanitizer=address")
        .env("ASAN_OPTIONS", "detect_leaks=1:allocator_may_return_null=1");
    run("cargo +nightly test -Zbuild-std (RUSTFLAGS=-Zsanitizer=address) -p buffer-protocol -p memoryview", c)
}

/// The crates this workspace publishes, at their current version.
const PUBLISHED: &[&str] = &["py-exc", "format-codec", "strided-layout", "buffer-protocol", "memoryview"];

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

/// The quick default of `cargo xtask bench`: one group per concern (making views, items,
/// records, typed sums, comparison), each beside its reference, in about two minutes.
const QUICK_BENCHES: &str = "make_view_1KiB|random_get_1M_i|decode_1M|typed_sum|eq_4M";

/// The names of the measurements a row is divided by, in the order they are looked for.
const REFERENCES: &[&str] =
    &["hand_loop", "hand_swap_loop", "memcmp", "memcpy", "collect", "slice_index", "native_typed", "ndarray", "serial"];

fn bench(args: &[String]) -> bool {
    if args.first().is_some_and(|a| a == "--python") {
        // CPython's and NumPy's rates on the same workloads, for the same sitting.
        let mut py = Command::new(std::env::var("PYTHON").unwrap_or_else(|_| "python3".into()));
        py.current_dir(root()).arg("bench/python/compare.py");
        return run("python3 bench/python/compare.py", py);
    }
    let all = args.iter().any(|a| a == "--all");
    let filter = args.iter().find(|a| !a.starts_with("--")).cloned();
    let started = std::time::SystemTime::now();
    let mut c = cargo();
    // The parallel benches need memview's `rayon` feature.
    c.args(["bench", "--workspace", "--benches", "--features", "memoryview/rayon", "--"]);
    match (&filter, all) {
        (Some(f), _) => {
            c.arg(f);
        }
        (None, true) => {}
        (None, false) => {
            c.args([QUICK_BENCHES, "--warm-up-time", "1", "--measurement-time", "3"]);
        }
    }
    let ok = run("cargo bench --workspace --benches", c);
    summary(started);
    ok
}

/// The table of what this run measured: each measurement's mean time, and its ratio to its
/// group's reference (hand loop, memcpy, ndarray, ...), read from criterion's estimates.
fn summary(since: std::time::SystemTime) {
    let mut rows: Vec<(String, String, f64)> = Vec::new();
    let mut stack = vec![root().join("target/criterion")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if !(path.ends_with("new/estimates.json")) {
                continue;
            }
            let fresh = entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| t >= since);
            let read = |p: PathBuf| -> Option<serde_json::Value> {
                serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()
            };
            let (Some(est), Some(id)) = (read(path.clone()), read(path.with_file_name("benchmark.json"))) else {
                continue;
            };
            let (Some(mean), Some(group)) = (est["mean"]["point_estimate"].as_f64(), id["group_id"].as_str()) else {
                continue;
            };
            if fresh {
                let function = id["function_id"].as_str().unwrap_or("").to_owned();
                rows.push((group.to_owned(), function, mean));
            }
        }
    }
    if rows.is_empty() {
        return;
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    println!("\n{:<40} {:<28} {:>12} {:>10}", "group", "measurement", "mean", "reference");
    let mut i = 0;
    while i < rows.len() {
        let group = rows[i].0.clone();
        let members: Vec<&(String, String, f64)> = rows[i..].iter().take_while(|r| r.0 == group).collect();
        let reference = REFERENCES
            .iter()
            .find_map(|name| members.iter().find(|r| r.1.starts_with(name)))
            .map(|r| (r.1.clone(), r.2));
        for (_, function, mean) in &members {
            let ratio = match &reference {
                Some((name, t)) if name != function => format!("{:.2}x {name}", t / mean),
                Some(_) => "reference".to_owned(),
                None => String::new(),
            };
            println!("{group:<40} {function:<28} {:>9.1} us {ratio:>10}", mean / 1000.0);
        }
        i += members.len();
    }
    println!("(a ratio is the reference's time over the measurement's: above 1 is faster than the reference)");
}

fn docs() -> bool {
    let mut c = cargo();
    // Every feature, as docs.rs builds them; broken intra-doc links are warnings, so errors.
    c.args(["doc", "--workspace", "--no-deps", "--all-features"]).env("RUSTDOCFLAGS", "-D warnings");
    let ok = run("cargo doc --workspace --no-deps --all-features (RUSTDOCFLAGS=-D warnings)", c);
    if ok {
        println!("documentation: {}", root().join("target/doc/memview/index.html").display());
    }
    ok
}

/// Every feature of the crates Miri checks, except `rayon` (checked in a run of its own).
const MIRI_FEATURES: &str = "buffer-protocol/half,buffer-protocol/bytes,buffer-protocol/ndarray,\
buffer-protocol/memmap2,buffer-protocol/dlpack,buffer-protocol/arrow,buffer-protocol/serde,memoryview/ndarray,\
memoryview/memmap2,memoryview/npy,memoryview/arrow,memoryview/dlpack,memoryview/bytes,memoryview/half,memoryview/serde";

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
                "memoryview",
                "--features",
                MIRI_FEATURES,
                "--lib",
                "--tests",
            ])
            .env("MIRIFLAGS", &flags);
        ok &= run(&format!("MIRIFLAGS='{flags}' cargo +nightly miri test -p buffer-protocol -p memoryview"), c);
    }
    // The parallel parts (the `rayon` feature) across rayon's threads. rayon's deque
    // (crossbeam-epoch) turns integers into pointers, which strict provenance refuses, and
    // retags its list entries in a way Stacked Borrows refuses (a known crossbeam pattern);
    // so this run checks memview's code under Tree Borrows with permissive provenance. The
    // pool's threads outlive the test, hence the leak check is off.
    let flags = "-Zmiri-disable-isolation -Zmiri-ignore-leaks -Zmiri-tree-borrows";
    let mut c = Command::new("cargo");
    c.current_dir(root())
        .args(["+nightly", "miri", "test", "-p", "memoryview", "--features", "rayon", "--test", "it", "par"])
        .env("MIRIFLAGS", flags);
    ok &= run(&format!("MIRIFLAGS='{flags}' cargo +nightly miri test -p memoryview --features rayon --test it par"), c);
    // Big-endian (s390x, interpreted: no cross toolchain needed): byte orders, typed loads and
    // the codec's scalar conversions on a machine whose native order is the other one.
    let flags = "-Zmiri-disable-isolation -Zmiri-strict-provenance";
    let mut c = Command::new("cargo");
    c.current_dir(root())
        .args(["+nightly", "miri", "test", "--target", "s390x-unknown-linux-gnu"])
        .args(["-p", "buffer-protocol", "-p", "memoryview", "--lib", "--tests"])
        .env("MIRIFLAGS", flags);
    ok &= run("cargo +nightly miri test --target s390x-unknown-linux-gnu -p buffer-protocol -p memoryview", c);
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

/// An interpreter's `EXT_SUFFIX` (`.cpython-311-x86_64-linux-gnu.so`) and a short tag.
fn python_info(python: &str) -> Option<(String, String)> {
    let out = Command::new(python)
        .args(["-c", "import sys, sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX')); print('%d.%d' % sys.version_info[:2])"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = text.lines();
    Some((lines.next()?.trim().to_owned(), lines.next()?.trim().to_owned()))
}

/// Builds the extension for `python` and lays the package out under `target/python/memview`.
///
/// `cargo build` and a copy rather than maturin: nothing to download, the workspace's own
/// profile and lints, and one package directory that holds the module of every interpreter
/// built for (each file named with its `EXT_SUFFIX`), so that
/// `PYTHONPATH=target/python pythonX.Y -c "import memview"` works for each of them.
fn py_build(python: &str) -> bool {
    let Some((suffix, version)) = python_info(python) else {
        eprintln!("xtask: `{python}` is not a working Python interpreter");
        return false;
    };
    let target_dir = root().join("target/py").join(&version);
    let mut c = cargo();
    c.args(["build", "--release", "--package", "memview-py", "--features", "extension-module", "--target-dir"])
        .arg(&target_dir)
        .env("PYO3_PYTHON", python);
    if !run(&format!("cargo build -p memview-py --features extension-module (for {python}, CPython {version})"), c) {
        return false;
    }
    let package = root().join("target/python/memview");
    if let Err(e) = std::fs::create_dir_all(&package) {
        eprintln!("xtask: cannot create {}: {e}", package.display());
        return false;
    }
    let sources = root().join("crates/memview-py/python/memview");
    for entry in std::fs::read_dir(&sources).into_iter().flatten().flatten() {
        let path = entry.path();
        // The package's Python files, its stubs and its `py.typed` marker.
        if path.extension().is_some_and(|e| e == "py" || e == "pyi" || e == "typed") {
            if let Err(e) = std::fs::copy(&path, package.join(entry.file_name())) {
                eprintln!("xtask: cannot copy {}: {e}", path.display());
                return false;
            }
        }
    }
    let built = target_dir.join("release/libmemview_py.so");
    let module = package.join(format!("_memview{suffix}"));
    // Copied beside, then renamed over: a running interpreter that has the old module mapped
    // keeps its file (overwriting a mapped library in place crashes that process).
    let staged = package.join(format!("._memview{suffix}.new"));
    match std::fs::copy(&built, &staged).and_then(|_| std::fs::rename(&staged, &module)) {
        Ok(()) => {
            println!("==> {} (import memview with PYTHONPATH=target/python)", module.display());
            true
        }
        Err(e) => {
            eprintln!("xtask: cannot copy {} to {}: {e}", built.display(), module.display());
            false
        }
    }
}

/// The interpreter's own executable (`sys.executable`): valgrind must run the binary, not a
/// launcher script such as pyenv's shim.
fn python_executable(python: &str) -> Option<String> {
    let out = Command::new(python).args(["-c", "import sys; print(sys.executable)"]).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The other CPythons of the machine on which CPython's own test files run too: `python3.12`
/// and `python3.13` on `PATH`, or pyenv's.
fn other_pythons() -> Vec<String> {
    let mut out = Vec::new();
    let pyenv = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pyenv")));
    for v in ["3.12", "3.13"] {
        let named = format!("python{v}");
        if python_info(&named).is_some_and(|(_, got)| got == v) {
            out.push(named);
            continue;
        }
        let Some(root) = &pyenv else { continue };
        let mut found: Vec<PathBuf> = std::fs::read_dir(root.join("versions"))
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(&format!("{v}.")))
            .map(|e| e.path().join("bin/python3"))
            .filter(|p| p.exists())
            .collect();
        found.sort();
        if let Some(p) = found.pop() {
            out.push(p.to_string_lossy().into_owned());
        }
    }
    out
}

/// `python` and the other supported CPythons found on this machine.
fn all_pythons(python: &str) -> Vec<String> {
    let mine = python_info(python).map(|(_, v)| v);
    let mut out = vec![python.to_owned()];
    for other in other_pythons() {
        if python_info(&other).map(|(_, v)| v) != mine {
            out.push(other);
        }
    }
    out
}

/// The bridge's pytest suite and CPython's own test files of `python`'s version, with the
/// package built for it under `target/python`.
fn py_test(python: &str) -> bool {
    let runner = "crates/memview-py/pytests/run_cpython_tests.py";
    if !py_build(python) {
        return false;
    }
    let mut ok = python_in_package(
        python,
        &["-m", "pytest", "-q", "-p", "no:cacheprovider", "crates/memview-py/pytests"],
        &format!("{python} -m pytest crates/memview-py/pytests"),
    );
    ok &= python_in_package(python, &[runner], &format!("{python} {runner} (CPython's own test files)"));
    ok
}

/// `pip install ./crates/memview-py` into a fresh virtual environment of `python`, then the
/// pytest suite and CPython's own test files with the installed package, run from a folder
/// outside the repository (so nothing but the installed package can be imported).
fn py_wheel(python: &str) -> bool {
    let Some((_, version)) = python_info(python) else {
        eprintln!("xtask: `{python}` is not a working Python interpreter");
        return false;
    };
    let venv = root().join("target/venv").join(&version);
    let _ = std::fs::remove_dir_all(&venv);
    let mut c = Command::new(python);
    c.args(["-m", "venv"]).arg(&venv);
    if !run(&format!("{python} -m venv {}", venv.display()), c) {
        return false;
    }
    let vpy = venv.join("bin/python").to_string_lossy().into_owned();
    let mut c = Command::new(&vpy);
    c.current_dir(root())
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "./crates/memview-py",
            "pytest",
            "hypothesis",
            "numpy",
            "pyarrow",
            "mypy",
        ])
        .env("CARGO_TARGET_DIR", root().join("target/py-wheel").join(&version));
    if !run(&format!("pip install ./crates/memview-py (CPython {version}, fresh venv)"), c) {
        return false;
    }
    let outside = venv.join("run");
    let _ = std::fs::create_dir_all(&outside);
    let tests = root().join("crates/memview-py/pytests");
    let mut ok = true;
    let mut c = Command::new(&vpy);
    c.current_dir(&outside)
        .args(["-c", "import memview, memview.struct; print(memview.__file__, memview.memoryview(b'ok').tobytes())"]);
    ok &= run(&format!("import memview (CPython {version}, installed)"), c);
    let mut c = Command::new(&vpy);
    c.current_dir(&outside).args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir"]).arg(&tests).arg(&tests);
    ok &= run(&format!("pytest crates/memview-py/pytests (CPython {version}, installed)"), c);
    let mut c = Command::new(&vpy);
    c.current_dir(&outside).arg(tests.join("run_cpython_tests.py"));
    ok &= run(&format!("CPython {version}'s own test files (installed package)"), c);
    ok
}

fn python_in_package(python: &str, args: &[&str], what: &str) -> bool {
    let mut c = Command::new(python);
    c.current_dir(root()).args(args).env("PYTHONPATH", root().join("target/python"));
    run(what, c)
}

fn py(args: &[String]) -> bool {
    let mut python = "python3".to_owned();
    let mut explicit = false;
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--python" {
            if let Some(p) = it.next() {
                python = p.clone();
                explicit = true;
            }
        } else {
            rest.push(a.as_str());
        }
    }
    match rest.first().copied() {
        Some("build") => py_build(&python),
        Some("test") => {
            // With `--python PY`: that interpreter alone. Without: python3, then every other
            // CPython this project supports that is installed (3.12, 3.13), each required.
            let pythons = if explicit { vec![python.clone()] } else { all_pythons(&python) };
            let mut ok = true;
            for py in &pythons {
                ok &= py_test(py);
            }
            ok
        }
        Some("wheel") => {
            // The package as users install it: `pip install ./crates/memview-py` into a fresh
            // virtual environment per interpreter, then the suites run from outside the
            // repository's Python path.
            let pythons = if explicit { vec![python.clone()] } else { all_pythons(&python) };
            let mut ok = true;
            for py in &pythons {
                ok &= py_wheel(py);
            }
            ok
        }
        Some("valgrind") => {
            // The pytest suite and CPython's test files under valgrind's memcheck, with
            // CPython's own allocator off (`PYTHONMALLOC=malloc`); CPython itself reports
            // errors there without its suppression file, so only the error contexts whose
            // stacks reach memview's code count.
            if !py_build(&python) {
                return false;
            }
            let Some(exe) = python_executable(&python) else { return false };
            // By default the tests that reach every `unsafe` block of the bridge (imports and
            // managed buffers, exports to every consumer, Rust exporters, struct's
            // `pack_into`, the family lock under threads, PEP 688, the lock-free item paths,
            // objects allocated and freed by memview): CI's run. `--full` runs the whole suite
            // (about an hour under memcheck).
            let files: Vec<String> = if rest.contains(&"--full") {
                vec!["crates/memview-py/pytests".to_owned()]
            } else {
                [
                    "import",
                    "export",
                    "extensions",
                    "numpy",
                    "threads",
                    "pep688",
                    "dlpack",
                    "arrow",
                    "gil",
                    "hot",
                    "lifecycle",
                    "struct_module",
                ]
                .iter()
                .map(|f| format!("crates/memview-py/pytests/test_{f}.py"))
                .collect()
            };
            let mut pytest = vec!["-m", "pytest", "-q", "-p", "no:cacheprovider"];
            pytest.extend(files.iter().map(String::as_str));
            let mut ok = true;
            for (name, args) in
                [("pytest", pytest), ("cpython-tests", vec!["crates/memview-py/pytests/run_cpython_tests.py"])]
            {
                let log = root().join(format!("target/valgrind-{name}.log"));
                let mut c = Command::new("valgrind");
                c.current_dir(root())
                    .arg(format!("--log-file={}", log.display()))
                    .arg(&exe)
                    .args(&args)
                    .env("PYTHONPATH", root().join("target/python"))
                    .env("PYTHONMALLOC", "malloc");
                ok &= run(&format!("valgrind {exe} {}", args.join(" ")), c);
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                // Valgrind ends each error's block with an empty `==PID== ` line.
                let ours = text
                    .split("== \n")
                    .filter(|b| (b.contains("Invalid") || b.contains("uninitialised")) && b.contains("memview"))
                    .count();
                println!("valgrind {name}: {ours} error contexts in memview's code (log: {})", log.display());
                ok &= ours == 0;
            }
            ok
        }
        Some("bench") => {
            let mut ok = py_build(&python);
            let mut c = cargo();
            c.args(["bench", "--package", "memview-py", "--bench", "acquire"]);
            ok &= run("cargo bench -p memview-py (acquire and release beside PyO3's PyBuffer)", c);
            let script = "crates/memview-py/bench/compare.py";
            ok &= python_in_package(&python, &[script], &format!("{python} {script} (beside the builtin memoryview)"));
            // Per call, beside the builtins: timed (interleaved, best of 7), and with
            // `--instructions` counted by valgrind.
            let calls = "crates/memview-py/bench/calls.py";
            let mut args = vec![calls];
            if rest.contains(&"--instructions") {
                args.push("--instructions");
            }
            ok &= python_in_package(&python, &args, &format!("{python} {calls} (per call, beside the builtins)"));
            ok
        }
        _ => {
            eprintln!("usage: cargo xtask py <build | test | bench | valgrind> [--python PY]");
            false
        }
    }
}

/// Every command, with its arguments and one line on what it does (`cargo xtask help`).
const COMMANDS: &[(&str, &str)] = &[
    ("test", "fmt, clippy, unit/integration/doc tests (default and all features), cargo package, conformance"),
    ("conformance [--report FILE] [--group G]... [PATH...]", "replay CPython-computed cases and print totals"),
    ("bench [FILTER | --all]", "criterion benches; FILTER picks groups (default: the quick `summary` set)"),
    ("bench --python", "CPython's and NumPy's rates on the same workloads, to divide by"),
    ("docs", "rustdoc of every crate, warnings (broken links included) denied"),
    ("miri", "tests of the unsafe crates under Miri: Stacked and Tree Borrows, big-endian"),
    ("asan", "tests of the unsafe crates under AddressSanitizer (nightly)"),
    ("fuzz [TARGET] [--time S]", "cargo-fuzz targets codec, view, layout for S seconds each (default 60)"),
    ("py build [--python PY]", "the memview Python package into target/python/"),
    ("py test [--python PY]", "the bridge's pytest suite and CPython's own test files, every installed CPython"),
    ("py wheel [--python PY]", "pip install the package into fresh venvs and run the suites against it"),
    ("py bench [--instructions]", "the bridge beside PyO3's PyBuffer and the builtins, per call and in bulk"),
    ("py valgrind [--full]", "the tests of the bridge's unsafe code under valgrind memcheck"),
    ("help", "this list"),
];

fn help() -> bool {
    println!("usage: cargo xtask <command>\n\ncommands:");
    for (cmd, what) in COMMANDS {
        println!("  {cmd:<54} {what}");
    }
    true
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let wants_help = args.iter().skip(1).any(|a| a == "--help" || a == "-h");
    let ok = match args.first().map(String::as_str) {
        None | Some("help" | "--help" | "-h") => help(),
        Some(cmd) if wants_help => {
            for (usage, what) in COMMANDS.iter().filter(|(u, _)| u.split(' ').next() == Some(cmd)) {
                println!("cargo xtask {usage}\n    {what}");
            }
            true
        }
        Some("test") => test(),
        Some("conformance") => conformance(&args[1..]),
        Some("bench") => bench(&args[1..]),
        Some("docs") => docs(),
        Some("miri") => miri(),
        Some("fuzz") => fuzz(&args[1..]),
        Some("asan") => asan(),
        Some("py") => py(&args[1..]),
        Some(other) => {
            eprintln!("xtask: unknown command `{other}`\n");
            help();
            false
        }
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
