//! Integration tests of format-codec: one binary, one module per topic.

mod codes;
mod errors;
mod hostile;
mod pep3118;
mod props;
mod roundtrip;
mod typed;
