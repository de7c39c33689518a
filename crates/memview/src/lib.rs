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
//! multi-dimensional slicing and integer sub-views ([`s!`] keys, as ndarray's), `...`,
//! transposes and reshapes, items of non-native byte orders, multi-item and PEP 3118 formats,
//! [`TypedView`]s for speed (with [`Be`] and [`Le`] for explicit byte orders) and
//! [`records`](MemoryView::records) for struct formats.
//!
//! ```
//! use memview::{s, MemoryView};
//! let mut data = *b"Python";
//! let v = MemoryView::from_mut(&mut data);
//! v.set(0, b'J').unwrap();                                // m[0] = ord('J')
//! assert_eq!(v.to_bytes().unwrap(), b"Jython");
//! let grid = v.cast_shape("B", &[2, 3]).unwrap();         // m.cast('B', [2, 3])
//! let column = grid.view(s![.., 1]).unwrap();             // grid[:, 1]: NumPy's meaning
//! assert_eq!(column.to_bytes().unwrap(), b"yo");
//! let total: u64 = grid.typed::<u8>().unwrap().iter().map(u64::from).sum();
//! assert_eq!(total, b"Jython".iter().map(|&b| u64::from(b)).sum());
//! ```
//!
//! See [`guide::python_users`] for the feature-by-feature comparison with Python, and
//! [`guide::buffers`] for the model (flags, layouts, strides, suboffsets, contiguity).
//!
//! # Features
//!
//! None is on by default; each opens a door to another crate ([`guide::interop`]):
//!
//! | feature | what it adds |
//! | --- | --- |
//! | `ndarray` | typed views as `ndarray` arrays (zero-copy for frozen memory), arrays as exporters |
//! | `memmap2` | memory-mapped files as exporters |
//! | `npy` | NumPy `.npy` files: mapped or read as typed N-D views (`npy::map`, `npy::read`), and written |
//! | `bytes` | `Bytes` and `BytesMut` as exporters |
//! | `half` | `f16` items (`"e"`) as a typed element |
//! | `serde` | layouts, flags and descriptors serialized and deserialized (checked) |
//! | `arrow` | Arrow buffers as exporters, typed views as Arrow buffers |
//! | `dlpack` | DLPack tensors in and out (`to_dlpack`, `DlpackTensor::from_raw`) |
//! | `rayon` | parallel work on one view: typed views split into disjoint `Send` parts (`par_sum`, `par_fold`, `par_map_inplace`, `par_to_vec`, `par_map_parts`), parallel copies (`par_to_bytes`, `par_copy_from`); see [`par`] |

#![deny(unsafe_code)]
// docs.rs builds with every feature and labels the items each one adds.
#![cfg_attr(docsrs, feature(doc_cfg))]
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
// Fresh output memory advised for huge pages: one system call on pages the output owns.
#[allow(unsafe_code)]
mod fresh;
// Unsafe code lives in a few named modules only (`#![deny(unsafe_code)]` everywhere else):
// `raw` touches exporter memory through proven layouts, `typed` loads `T`s through the same
// proof, `par` hands parts of that proof to rayon's threads for one call, and `exchange`
// makes and keeps the buffer protocol's promises at a view's edges.
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
// Parallel work on one view: parts that cross threads within one call (the `rayon` feature).
#[cfg(feature = "rayon")]
#[allow(unsafe_code)]
pub mod par;
#[allow(unsafe_code)]
mod raw;
#[allow(unsafe_code)]
mod typed;
mod view;

pub use crate::error::ViewError;
pub use crate::fresh::advise_huge_pages;
#[cfg(feature = "dlpack")]
pub use crate::interop::DlpackExport;
pub use crate::key::Key;
#[cfg(feature = "rayon")]
pub use crate::par::{Part, PartMut};
pub use crate::raw::CountedHead;
pub use crate::typed::{FixedView, Summable, TypedIter, TypedView};
pub use crate::view::{AxisIter, Iter, MemoryView, ReleaseError, Subscript, ViewRef};
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
    Access, Be, BufferInfo, ByteArray, Element, Exporter, Flags, Le, MutSlice, NdArray, NdArrayBuilder, RawMemory,
    Swappable,
};
pub use format_codec::{
    calcsize, record, CodecError, FromValueError, Layout, Primitive, PyExc, Record, Records, Struct, TypedStruct,
    Value, MAX_NESTING, MAX_SUBARRAY_DIMS,
};
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
    #[doc = include_str!("../guide/readme.md")]
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

/// The crate README's examples, run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
