//! [`FixedView`]: a typed view of a rank known at compile time, whose sub-views are made by
//! ndarray's arithmetic on two arrays (no format, codec, export count or acquisition to
//! carry), for memory that other views may also write.
//!
//! # The proof a fixed view carries
//!
//! A `FixedView` is made from a [`TypedView`] (whose direct layout was proven against the
//! live acquisition) with the same offset, shape and strides, and every sub-view selects
//! items of its source: a slice of an axis of `n` items keeps `m` of them, at old indices
//! `start + k × step` for `k < m`, all in `0..n` (Python's slice arithmetic,
//! [`Slice::indices`](strided::Slice::indices)); an index fixes one in-range item. So every
//! item a fixed view reaches with in-range indices is an item of the proven layout, inside
//! the region, and its offset fits `isize` (the proven extent does). The view borrows the
//! `MemoryView` for `'v`, which holds the acquisition; it reads and writes with unaligned
//! raw loads and stores and holds no reference into the memory (the crate's aliasing rule),
//! and it is neither `Send` nor `Sync`, as views are not.

use super::{item_offset, wrap_index, TypedView};
use crate::raw::Region;
use crate::{Slice, ViewError};
use buffer_protocol::Element;
use std::marker::PhantomData;
use strided::LayoutError;

/// A typed view of exactly `D` dimensions, borrowing its view: ndarray's `ArrayView<T, D>`
/// for memory that other views (or Python) may also write, so items are read and written
/// as values, never lent as references. Made by [`TypedView::fixed`]; its sub-views
/// ([`slice`](Self::slice), [`slice_axis`](Self::slice_axis)) cost a few instructions per
/// axis and allocate nothing, and it is `Copy`.
///
/// ```
/// use memview::{MemoryView, Slice};
/// let data: Vec<f32> = (0..12).map(|x| x as f32).collect();
/// let m = MemoryView::new(&data).unwrap().cast("B").unwrap().cast_shape("f", &[3, 4]).unwrap();
/// let t = m.typed::<f32>().unwrap();
/// let img = t.fixed::<2>().unwrap();
/// assert_eq!((img.shape(), img.get([2, -1]).unwrap()), ([3, 4], 11.0));
/// // Every other column, rows reversed: no copy, no allocation.
/// let part = img.slice([Slice::stepped(.., -1), Slice::stepped(1.., 2)]).unwrap();
/// assert_eq!(part.shape(), [3, 2]);
/// assert_eq!(part.to_vec().unwrap(), [9.0, 11.0, 5.0, 7.0, 1.0, 3.0]);
/// ```
pub struct FixedView<'v, T: Element, const D: usize> {
    region: Region,
    /// The byte offset of the item at index `[0; D]` from the region's start.
    offset: isize,
    shape: [usize; D],
    /// Byte strides.
    strides: [isize; D],
    writable: bool,
    /// The view borrowed (which holds the acquisition); not `Send` or `Sync`.
    _view: PhantomData<(&'v (), *const T)>,
}

impl<T: Element, const D: usize> Clone for FixedView<'_, T, D> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Element, const D: usize> Copy for FixedView<'_, T, D> {}

impl<T: Element, const D: usize> std::fmt::Debug for FixedView<'_, T, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixedView")
            .field("type", &std::any::type_name::<T>())
            .field("shape", &self.shape)
            .field("strides", &self.strides)
            .field("writable", &self.writable)
            .finish_non_exhaustive()
    }
}

impl<'v, T: Element> TypedView<'v, '_, T> {
    /// This view as a [`FixedView`] of `D` dimensions; an error (`ValueError`) unless the
    /// view has exactly `D`.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[1, 2, 3, 4]).cast_shape("B", &[2, 2]).unwrap();
    /// let t = v.typed::<u8>().unwrap();
    /// assert_eq!(t.fixed::<2>().unwrap().get([1, 0]).unwrap(), 3);
    /// assert!(t.fixed::<1>().is_err());
    /// ```
    pub fn fixed<const D: usize>(&self) -> Result<FixedView<'v, T, D>, ViewError> {
        let l = self.layout;
        let mismatch = || LayoutError::DimMismatch { shape: l.ndim(), what: "the requested rank", other: D };
        let shape: [usize; D] = l.shape().try_into().map_err(|_| mismatch())?;
        let strides: [isize; D] = l.strides().try_into().map_err(|_| mismatch())?;
        Ok(FixedView {
            region: self.region,
            offset: l.offset(),
            shape,
            strides,
            writable: !self.view.readonly(),
            _view: PhantomData,
        })
    }
}

impl<T: Element, const D: usize> FixedView<'_, T, D> {
    /// The extent of each axis.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[0; 6]).cast_shape("B", &[2, 3]).unwrap();
    /// assert_eq!(v.typed::<u8>().unwrap().fixed::<2>().unwrap().shape(), [2, 3]);
    /// ```
    pub fn shape(&self) -> [usize; D] {
        self.shape
    }

    /// The byte stride of each axis.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[0; 6]).cast_shape("B", &[2, 3]).unwrap();
    /// assert_eq!(v.typed::<u8>().unwrap().fixed::<2>().unwrap().strides(), [3, 1]);
    /// ```
    pub fn strides(&self) -> [isize; D] {
        self.strides
    }

    /// The number of items.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[0; 6]).cast_shape("B", &[2, 3]).unwrap();
    /// assert_eq!(v.typed::<u8>().unwrap().fixed::<2>().unwrap().len(), 6);
    /// ```
    pub fn len(&self) -> usize {
        // The proven layout's item count fits `isize`; no product overflows.
        self.shape.iter().product()
    }

    /// Whether there are no items.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[]);
    /// assert!(v.typed::<u8>().unwrap().fixed::<1>().unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.shape.contains(&0)
    }

    /// The byte offset of the item at `index` (negative from the end), every index checked.
    #[inline]
    fn offset_of(&self, index: [isize; D]) -> Result<isize, ViewError> {
        // The axes are a selection of the proven layout's (module documentation).
        item_offset(self.offset, &self.shape, &self.strides, &index)
    }

    /// The item at `index` (one index per axis, negative from the end).
    ///
    /// ```
    /// let data = [1u16, 2, 3];
    /// let v = memview::MemoryView::new(&data[..]).unwrap();
    /// let t = v.typed::<u16>().unwrap();
    /// assert_eq!(t.fixed::<1>().unwrap().get([-1]).unwrap(), 3);
    /// assert!(t.fixed::<1>().unwrap().get([3]).is_err());
    /// ```
    #[inline]
    pub fn get(&self, index: [isize; D]) -> Result<T, ViewError> {
        let off = self.offset_of(index)?;
        // SAFETY: an in-range index reaches an item of the proven layout, inside the region
        // of the acquisition the borrowed view holds (module documentation), readable
        // (exporter promise 1); `T: Element` accepts any bits; the read is unaligned.
        Ok(unsafe { std::ptr::read_unaligned(self.region.addr(off).cast::<T>()) })
    }

    /// Writes the item at `index`; an error for a read-only view.
    ///
    /// ```
    /// let mut data = [0u8; 4];
    /// let v = memview::MemoryView::from_mut(&mut data).cast_shape("B", &[2, 2]).unwrap();
    /// v.typed::<u8>().unwrap().fixed::<2>().unwrap().set([1, 1], 7).unwrap();
    /// drop(v);
    /// assert_eq!(data, [0, 0, 0, 7]);
    /// ```
    #[inline]
    pub fn set(&self, index: [isize; D], value: T) -> Result<(), ViewError> {
        if !self.writable {
            return Err(ViewError::ReadOnly);
        }
        let off = self.offset_of(index)?;
        // SAFETY: as in `get`; the view is writable, so the memory is (exporter promise 1).
        unsafe { std::ptr::write_unaligned(self.region.addr(off).cast::<T>(), value) };
        Ok(())
    }

    /// The view with one axis sliced (Python's `start:stop:step`), as ndarray's
    /// `slice_axis`: no copy.
    ///
    /// ```
    /// use memview::Slice;
    /// let v = memview::MemoryView::from_bytes(b"abcdef");
    /// let f = v.typed::<u8>().unwrap().fixed::<1>().unwrap();
    /// assert_eq!(f.slice_axis(0, Slice::stepped(1.., 2)).unwrap().to_vec().unwrap(), b"bdf");
    /// assert!(f.slice_axis(1, ..).is_err());
    /// ```
    #[inline]
    pub fn slice_axis(&self, axis: usize, slice: impl Into<Slice>) -> Result<Self, ViewError> {
        let mut out = *self;
        let (Some(n), Some(s)) = (out.shape.get_mut(axis), out.strides.get_mut(axis)) else {
            return Err(LayoutError::NoSuchDim { dim: axis, ndim: D }.into());
        };
        let axis = slice.into().on_axis(*n, *s)?;
        if let (true, Some(delta)) = (axis.len > 0, axis.delta) {
            // The first item kept is an item in range, so its offset lies in the proven extent.
            out.offset += delta;
        }
        (*n, *s) = (axis.len, axis.stride);
        Ok(out)
    }

    /// The view with every axis sliced, as `s![a..b;c, ..]` slices an ndarray.
    ///
    /// ```
    /// use memview::Slice;
    /// let v = memview::MemoryView::from_bytes(&[0, 1, 2, 3, 4, 5]).cast_shape("B", &[2, 3]).unwrap();
    /// let f = v.typed::<u8>().unwrap().fixed::<2>().unwrap();
    /// let corner = f.slice([Slice::from(1..), Slice::stepped(.., -2)]).unwrap();
    /// assert_eq!(corner.to_vec().unwrap(), [5, 3]);
    /// ```
    #[inline]
    pub fn slice(&self, slices: [Slice; D]) -> Result<Self, ViewError> {
        let mut out = *self;
        for (axis, s) in slices.into_iter().enumerate() {
            out = out.slice_axis(axis, s)?;
        }
        Ok(out)
    }

    /// Calls `f` with every item in C order.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[1, 2, 3, 4]).cast_shape("B", &[2, 2]).unwrap();
    /// let mut total = 0u32;
    /// v.typed::<u8>().unwrap().fixed::<2>().unwrap().for_each(|x| total += u32::from(x));
    /// assert_eq!(total, 10);
    /// ```
    pub fn for_each(&self, mut f: impl FnMut(T)) {
        if self.is_empty() {
            return;
        }
        let mut index = [0usize; D];
        let mut off = self.offset;
        loop {
            // SAFETY: `index` is in range on every axis (it counts up within the shape) and
            // `off` is its item's offset: an item of the proven layout, as in `get`.
            f(unsafe { std::ptr::read_unaligned(self.region.addr(off).cast::<T>()) });
            // The next index in C order: the last axis that can move moves; the ones after it
            // go back to 0. Every offset visited is an in-range item's.
            let mut axis = D;
            loop {
                let Some(a) = axis.checked_sub(1) else { return };
                axis = a;
                let (Some(i), Some(&n), Some(&s)) = (index.get_mut(a), self.shape.get(a), self.strides.get(a)) else {
                    return;
                };
                if *i + 1 < n {
                    *i += 1;
                    off += s;
                    break;
                }
                off -= (*i as isize) * s;
                *i = 0;
            }
        }
    }

    /// The items in C order, copied into a `Vec`; a `MemoryError`-kind error if it cannot be
    /// allocated.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[1, 2, 3, 4]).cast_shape("B", &[2, 2]).unwrap();
    /// let f = v.typed::<u8>().unwrap().fixed::<2>().unwrap();
    /// assert_eq!(f.slice_axis(1, 1..).unwrap().to_vec().unwrap(), [2, 4]);
    /// ```
    pub fn to_vec(&self) -> Result<Vec<T>, ViewError> {
        let mut out = Vec::new();
        crate::fresh::try_reserve_exact(&mut out, self.len())
            .map_err(|_| ViewError::NoMemory(self.len().saturating_mul(core::mem::size_of::<T>())))?;
        self.for_each(|x| out.push(x));
        Ok(out)
    }
}

impl<'v, T: Element> FixedView<'v, T, 2> {
    /// Row `i` (negative from the end) as a 1-D view: `a[i, :]`.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[0, 1, 2, 3, 4, 5]).cast_shape("B", &[2, 3]).unwrap();
    /// let f = v.typed::<u8>().unwrap().fixed::<2>().unwrap();
    /// assert_eq!(f.row(-1).unwrap().to_vec().unwrap(), [3, 4, 5]);
    /// ```
    pub fn row(&self, i: isize) -> Result<FixedView<'v, T, 1>, ViewError> {
        self.fix_axis(0, i)
    }

    /// Column `j` (negative from the end) as a 1-D view: `a[:, j]`.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[0, 1, 2, 3, 4, 5]).cast_shape("B", &[2, 3]).unwrap();
    /// let f = v.typed::<u8>().unwrap().fixed::<2>().unwrap();
    /// assert_eq!(f.column(1).unwrap().to_vec().unwrap(), [1, 4]);
    /// assert!(f.column(3).is_err());
    /// ```
    pub fn column(&self, j: isize) -> Result<FixedView<'v, T, 1>, ViewError> {
        self.fix_axis(1, j)
    }

    /// The 1-D view with axis `axis` fixed at index `i`: the other axis's items at that
    /// index, a selection of this view's items.
    fn fix_axis(&self, axis: usize, i: isize) -> Result<FixedView<'v, T, 1>, ViewError> {
        let other = 1 - axis;
        let (j, s) = (wrap_index(i, self.shape[axis], axis)?, self.strides[axis]);
        Ok(FixedView {
            region: self.region,
            // An in-range index of the proven layout: its offset lies in the extent.
            offset: self.offset + j * s,
            shape: [self.shape[other]],
            strides: [self.strides[other]],
            writable: self.writable,
            _view: PhantomData,
        })
    }
}
