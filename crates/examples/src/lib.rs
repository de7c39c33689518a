//! The programs behind memview's examples, as functions the tests can check against values
//! Python computed (`tests/expected.py`). Each reads like its Python/NumPy version, given in
//! its documentation.

#![forbid(unsafe_code)]

pub mod image;
pub mod npy;
pub mod wav;
