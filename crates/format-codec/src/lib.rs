//! Python's `struct` module and PEP 3118 buffer formats, for Rust.
//!
//! This crate reads format strings (the `"<IhdQ"` of `struct` and the `"T{<i:x:<d:y:}"` that
//! NumPy and ctypes put into buffers) and converts between bytes and values. It is the
//! vocabulary of the buffer protocol: every other crate of the workspace asks it what an item
//! of a format is, how big it is, and what its bytes mean.
//!
//! * [`Struct`] is `struct.Struct`: parsed once, then [`pack`](Struct::pack),
//!   [`unpack`](Struct::unpack), [`iter_unpack`](Struct::iter_unpack),
//!   [`pack_into`](Struct::pack_into) and [`unpack_from`](Struct::unpack_from) with CPython
//!   3.11's results and errors on x86-64 Linux (native `l` is 8 bytes).
//! * [`Struct::typed`] decodes records straight into tuples of Rust numbers, checking the
//!   format once, for the hot path of reading millions of records.
//! * [`Layout`] reads the PEP 3118 extensions CPython only passes around (structs, field names,
//!   sub-arrays, complex numbers, `^`) exactly as NumPy 2 does, and packs and unpacks them.
//! * [`Format`] takes any buffer format and picks the right reader.
//!
//! Format strings are untrusted input: every error is a [`CodecError`], never a panic, and
//! maps to the CPython exception it corresponds to with [`CodecError::python_exception`].
//!
//! ```
//! use format_codec::{Struct, Value};
//! let record = Struct::new("<Ih?").unwrap();
//! let values = record.unpack(b"\x2a\x00\x00\x00\xff\xff\x01").unwrap();
//! assert_eq!(values, vec![Value::Int(42), Value::Int(-1), Value::Bool(true)]);
//! ```
//!
//! This crate has no unsafe code.
#![forbid(unsafe_code)]
// Lints as promises: library code never unwraps, expects, panics or leaves a `todo!`, and
// never indexes or does arithmetic that could panic or wrap (the exceptions, `pow2` and
// `f64_to_half`'s bounded exponent arithmetic, are argued in place).
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

mod code;
mod error;
mod format;
mod pep3118;
mod scalar;
mod structfmt;
mod typed;
mod value;

pub use crate::code::{ByteOrder, Opaque, Scalar};
pub use crate::error::{CodecError, PyExc};
pub use crate::format::Format;
pub use crate::pep3118::{Element, Field, Layout, MAX_NESTING, MAX_SUBARRAY_DIMS};
pub use crate::structfmt::{
    calcsize, iter_unpack, pack, pack_into, unpack, unpack_from, Item, IterUnpack, Number, Slot, Slots, Struct,
};
pub use crate::typed::{Primitive, Record, Records, TypedStruct};
pub use crate::value::{py_float_repr, FromValueError, Value};

/// The crate README's examples, run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
