//! Layout math of N-dimensional strided memory, with no pointers.
//!
//! A buffer in the buffer protocol is a block of memory plus a layout: an item size, a shape,
//! byte strides, the byte offset of the first item, and optionally PIL-style suboffsets. This
//! crate is that layout as a value, [`StridedLayout`], with every operation `memoryview` and
//! NumPy's basic indexing perform on it:
//!
//! * contiguity in C, Fortran and either order, exactly as `PyBuffer_IsContiguous`;
//! * indexing, Python slicing ([`Slice`], `PySlice_AdjustIndices` semantics), NumPy keys
//!   ([`Index`]: integers, slices, `...`, new axes), transposes and permutations, all as
//!   views;
//! * the cast rules of `memoryview.cast` and a general copy-free reshape;
//! * copy kernels over byte slices ([`copy_to_contiguous`], [`copy_from_contiguous`],
//!   [`copy_strided`], [`copy_within`]) that merge dimensions into long runs and block
//!   transposes for the cache.
//!
//! Strides are in **bytes**, as in PEP 3118, not in items as in `ndarray`. All arithmetic is
//! overflow-checked: a layout whose sizes or offsets do not fit in `isize` cannot be built, so
//! later arithmetic on it cannot overflow.
//!
//! ```
//! use strided::{Index, Slice, StridedLayout};
//! let image = StridedLayout::contiguous(1, &[4, 6]).unwrap(); // 4 rows of 6 bytes
//! let every_other = image.apply(&[Index::Slice(Slice::new(None, None, Some(2))); 2]).unwrap();
//! assert_eq!((every_other.shape(), every_other.strides()), (&[2, 3][..], &[12, 2][..]));
//! ```
#![forbid(unsafe_code)]
// Lints as promises: library code never unwraps, expects, panics or leaves a `todo!`, and
// never indexes or does arithmetic that could panic or wrap (one argued exception: `copy`).
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

// The copy kernels index and offset inside ranges proven at their entry points (see the
// module's header), in loops where a checked operation per item would cost the speed of a
// `memcpy`: the one module excepted from `indexing_slicing` and `arithmetic_side_effects`.
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod copy;
mod error;
mod layout;
mod parts;
#[cfg(feature = "serde")]
mod serde_impl;
mod slice;

pub use crate::copy::{
    copy_from_contiguous, copy_strided, copy_to_contiguous, copy_within, for_each_offset, for_each_run,
    for_each_run_pair, resolve_order,
};
pub use crate::error::LayoutError;
pub use crate::layout::{c_strides, checked_len, f_strides, AddressStep, Order, StridedLayout};
pub use crate::parts::{c_order_parts, Part};
pub use crate::slice::{AxisSlice, Ellipsis, Index, NewAxis, Slice, SliceRange};

/// The most dimensions a layout may have, as CPython's `PyBUF_MAX_NDIM`.
///
/// ```
/// assert!(strided::StridedLayout::contiguous(1, &[1; strided::MAX_NDIM + 1]).is_err());
/// ```
pub const MAX_NDIM: usize = 64;

/// A shape: held inline for up to 4 dimensions (a view stays small to move; more spill to
/// the heap).
///
/// ```
/// let s: strided::Shape = smallvec::smallvec![2, 3];
/// assert!(!s.spilled());
/// ```
pub type Shape = smallvec::SmallVec<[usize; 4]>;

/// Byte strides or suboffsets: held inline for up to 4 dimensions.
///
/// ```
/// let s: strided::Strides = smallvec::smallvec![-8, 1];
/// assert_eq!(s[0], -8);
/// ```
pub type Strides = smallvec::SmallVec<[isize; 4]>;

/// The crate README's examples, run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
