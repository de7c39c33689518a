//! `MemoryView`: Python's memoryview for Rust, on top of the lower crates.
#![forbid(unsafe_code)]
