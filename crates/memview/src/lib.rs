//! Python's `memoryview` for Rust: zero-copy, typed, N-dimensional, strided views of memory
//! that someone else owns.
//!
//! A [`MemoryView`] is made from any [`Exporter`] (byte slices, typed slices, `Vec`s, raw
//! pointers, resizable [`ByteArray`]s, arbitrary layouts with [`NdArray`]) and does what
//! Python's `memoryview` does, with CPython 3.11's results and errors: attributes, item get
//! and set with format-aware conversion, 1-D slicing, `cast`, `toreadonly`, `release`, slice
//! assignment, `tobytes`, `tolist`, `hex`, `==` and `hash`.
//!
//! Where CPython stops for a limitation of its own, memview goes on with NumPy's semantics:
//! multi-dimensional slicing and integer sub-views, `...`, transposes and reshapes, items of
//! non-native byte orders, multi-item and PEP 3118 formats, and [`TypedView`]s for speed.
//!
//! ```
//! use memview::{Index, Key, MemoryView, Slice};
//! let mut data = *b"Python";
//! let v = MemoryView::from_mut(&mut data);
//! v.set(0, b'J').unwrap();
//! assert_eq!(v.to_bytes().unwrap(), b"Jython");
//! let grid = v.cast_shape("B", &[2, 3]).unwrap();
//! let column = grid.view(&Key::tuple([Index::Slice(Slice::full()), Index::At(1)])).unwrap();
//! assert_eq!(column.to_bytes().unwrap(), b"yo");
//! ```
//!
//! See [`guide::python_users`] for the feature-by-feature comparison with Python, and
//! [`guide::buffers`] for the model (flags, layouts, strides, suboffsets, contiguity).

#![deny(unsafe_code)]
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

mod compare;
mod error;
// Unsafe code lives in three modules only (`#![deny(unsafe_code)]` everywhere else):
// `raw` touches exporter memory through proven layouts, `typed` loads `T`s through the same
// proof, and `exchange` makes and keeps the buffer protocol's promises at a view's edges.
#[allow(unsafe_code)]
mod exchange;
// The doors to other crates: the zero-copy `ndarray` view (one `unsafe` constructor over a
// proven, frozen layout) and DLPack exports (raw parts handed to C consumers).
#[allow(unsafe_code)]
mod interop;
mod items;
mod key;
#[cfg(feature = "npy")]
pub mod npy;
mod output;
#[allow(unsafe_code)]
mod raw;
#[allow(unsafe_code)]
mod typed;
mod view;

pub use crate::error::ViewError;
#[cfg(feature = "dlpack")]
pub use crate::interop::DlpackExport;
pub use crate::key::Key;
pub use crate::typed::{Summable, TypedIter, TypedView};
pub use crate::view::{AxisIter, Iter, MemoryView, ReleaseError, Subscript};
/// DLPack's C structs and the importer of DLPack tensors (feature `dlpack`).
#[cfg(feature = "dlpack")]
pub use buffer_protocol::dlpack;
/// The buffer protocol's error type, re-exported for exporter implementations.
///
/// ```
/// let e = memview::buffer_error::BufferError::NotWritable;
/// assert_eq!(e.to_string(), "underlying buffer is not writable");
/// ```
pub mod buffer_error {
    pub use buffer_protocol::BufferError;
}

pub use buffer_protocol::BufferError;
pub use buffer_protocol::{
    Access, BufferInfo, ByteArray, Element, Exporter, Flags, MutSlice, NdArray, NdArrayBuilder, RawMemory,
};
pub use format_codec::{record, CodecError, FromValueError, Layout, Primitive, PyExc, Record, Struct, Value};
pub use strided::{Ellipsis, Index, LayoutError, NewAxis, Order, Slice, SliceRange, StridedLayout};

/// The user guides, compiled in so their examples run as tests.
pub mod guide {
    /// memview for Python users: every `memoryview` feature and its Rust spelling.
    #[doc = include_str!("../guide/python-users.md")]
    pub mod python_users {}
    /// Buffers for newcomers: flags, layouts, byte strides, suboffsets, contiguity.
    #[doc = include_str!("../guide/buffers.md")]
    pub mod buffers {}
    /// Doors to other crates (features `ndarray`, `memmap2`, `npy`, `bytes`, `half`, `serde`,
    /// `arrow`, `dlpack`):
    /// what crosses without a copy, and what needs one.
    #[doc = include_str!("../guide/interop.md")]
    pub mod interop {}
    /// The project README, whose example runs as a test here.
    #[doc = include_str!("../README.md")]
    pub mod readme {}
}

/// Thread safety, checked by the compiler.
///
/// A `MemoryView` shares its memory and its acquisition with the views derived from it, and
/// any of them may write, so none may cross to another thread:
///
/// ```compile_fail
/// fn send<T: Send>(_: T) {}
/// send(memview::MemoryView::from_bytes(b"abc"));
/// ```
///
/// ```compile_fail
/// fn sync<T: Sync>(_: &T) {}
/// sync(&memview::MemoryView::from_bytes(b"abc"));
/// ```
///
/// Typed views borrow a view and are not `Send` either:
///
/// ```compile_fail
/// fn send<T: Send>(_: T) {}
/// let v = memview::MemoryView::from_bytes(b"abc");
/// send(v.typed::<u8>().unwrap());
/// ```
pub mod thread_safety {}
