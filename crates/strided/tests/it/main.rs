//! Integration tests of strided: brute-force models and the conformance cases it can answer.
// The naive models of the tests sum and multiply freely (the crate's clippy.toml forbids
// it in library code).
#![allow(clippy::disallowed_methods)]

mod conformance;
mod props;
