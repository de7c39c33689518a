//! Integration tests of memview: one binary, one module per topic.

mod access;
mod aliasing;
mod doors;
mod exporters;
mod lifecycle;
mod npy;
mod par;
mod props;
mod robustness;
mod snapshots;
mod soundness;
mod threads;
