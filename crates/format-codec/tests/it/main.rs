//! Integration tests of format-codec: one binary, one module per topic.
// The naive models of the tests sum and multiply freely (the crate's clippy.toml forbids
// it in library code).
#![allow(clippy::disallowed_methods)]

mod codes;
mod errors;
mod hostile;
mod pep3118;
mod props;
mod roundtrip;
mod typed;
