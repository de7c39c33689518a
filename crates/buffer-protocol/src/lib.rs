//! The buffer protocol in Rust: how memory that one party owns is lent to another with a
//! description of its layout.
//!
//! * [`Flags`]: what a consumer asks for (`PyBUF_*`, with CPython's values);
//! * [`BufferInfo`]: what it gets, the `Py_buffer` of Rust, holding only what was requested;
//! * [`Exporter`]: what an owner of memory implements (`bf_getbuffer`/`bf_releasebuffer`),
//!   refusing requests exactly where CPython's exporters do;
//! * exporters for the memory Rust programs have: slices, arrays, `Vec`s and boxed slices of
//!   numbers (read-only), [`MutSlice`] (writable, borrowed), [`RawMemory`] (a raw pointer with
//!   [`Access`]), [`ByteArray`] (owned, resizable, refuses to resize while exported), and
//!   [`NdArray`] (any layout, including PIL-style suboffsets).
//!
//! ```
//! use buffer_protocol::{get_buffer, BufferError, Flags};
//! let pixels = [0u16; 12];
//! let held = get_buffer(&pixels[..], Flags::RECORDS_RO).unwrap();
//! assert_eq!((held.info().format(), held.info().itemsize()), (Some("H"), 2));
//! assert_eq!(get_buffer(&pixels[..], Flags::WRITABLE).err(), Some(BufferError::NotWritable));
//! ```
//!
//! Optional features add the types of other crates: `half` (`f16` items), `bytes`
//! (`Bytes`, `BytesMut`), `ndarray` (arrays of any layout), `memmap2` (mapped files), `serde`
//! (descriptions of flags and descriptors).
//!
//! Unsafe code here is limited to the exporters' promises about their memory; each `unsafe`
//! block says why it holds.

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
mod descriptor;
#[cfg(feature = "dlpack")]
pub mod dlpack;
mod error;
mod exporter;
mod flags;
mod interop;
mod ndarray;
mod order;

pub use crate::descriptor::BufferInfo;
pub use crate::error::BufferError;
pub use crate::exporter::{get_buffer, Buffer, ByteArray, Element, Exporter, MutSlice, RawMemory};
pub use crate::flags::{Access, Flags};
pub use crate::ndarray::{NdArray, NdArrayBuilder};
pub use crate::order::{Be, Le, Swappable};

/// The crate README's examples, run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
