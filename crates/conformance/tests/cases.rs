//! Every conformance case of the implemented groups passes: the shared cases CPython 3.11
//! computed, and the workspace's own generated ones.

#[test]
fn shared_cases_pass() {
    assert!(conformance::main_with_args(&[]), "a shared conformance case failed (run `cargo xtask conformance`)");
}

#[test]
fn generated_cases_pass() {
    let generated = conformance::cases_dir().join("generated");
    assert!(
        conformance::main_with_args(&[generated.to_string_lossy().into_owned()]),
        "a generated conformance case failed (run `cargo xtask conformance conformance/generated`)"
    );
}
