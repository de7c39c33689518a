//! The CPython exception kinds that errors of the memview workspace map to.
//!
//! Every layer (format strings, layout math, the buffer protocol, views) names, for each of
//! its errors, the exception CPython raises in the same situation. This leaf crate holds that
//! one enum, so the layout math need not know about formats to name a `ValueError`.
//!
//! ```
//! use py_exc::PyExc;
//! assert_eq!(PyExc::IndexError.name(), "IndexError");
//! assert_eq!(PyExc::StructError.to_string(), "StructError");
//! ```
#![forbid(unsafe_code)]
// Lints as promises: library code never unwraps, expects, panics or leaves a `todo!`.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

use std::fmt;

/// The CPython exception class an error of this workspace corresponds to.
///
/// Bindings raise the named exception; tests compare kinds with CPython's.
///
/// ```
/// assert_eq!(py_exc::PyExc::MemoryError.name(), "MemoryError");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum PyExc {
    /// `struct.error`.
    StructError,
    /// `TypeError`.
    TypeError,
    /// `ValueError`.
    ValueError,
    /// `IndexError`.
    IndexError,
    /// `OverflowError`.
    OverflowError,
    /// `NotImplementedError`.
    NotImplementedError,
    /// `BufferError`.
    BufferError,
    /// `MemoryError` (an allocation CPython would refuse).
    MemoryError,
}

impl PyExc {
    /// The exception's name as the conformance cases spell it (`struct.error` is `"StructError"`).
    ///
    /// ```
    /// assert_eq!(py_exc::PyExc::IndexError.name(), "IndexError");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            PyExc::StructError => "StructError",
            PyExc::TypeError => "TypeError",
            PyExc::ValueError => "ValueError",
            PyExc::IndexError => "IndexError",
            PyExc::OverflowError => "OverflowError",
            PyExc::NotImplementedError => "NotImplementedError",
            PyExc::BufferError => "BufferError",
            PyExc::MemoryError => "MemoryError",
        }
    }
}

impl fmt::Display for PyExc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The crate README's examples, run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
