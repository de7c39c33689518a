//! Integration tests of strided: brute-force models and the conformance cases it can answer.

mod conformance;
mod props;
