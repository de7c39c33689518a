//! The attributes of a live view: plain values, no allocation.

use super::MemoryView;
use strided::{Order, StridedLayout};

impl MemoryView<'_> {
    /// The layout of the view (shape, byte strides, offset within the exporter's memory block).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"abcd");
    /// assert_eq!(v.layout().strides(), &[1]);
    /// ```
    pub fn layout(&self) -> &StridedLayout {
        self.live.layout()
    }

    /// `format`: the item format, exactly as the exporter or `cast` gave it.
    ///
    /// ```
    /// assert_eq!(memview::MemoryView::from_bytes(b"ab").cast("c").unwrap().format(), "c");
    /// ```
    pub fn format(&self) -> &str {
        self.live.format()
    }

    /// `itemsize`: the bytes of one item.
    ///
    /// ```
    /// assert_eq!(memview::MemoryView::new(&[1.0f64][..]).unwrap().itemsize(), 8);
    /// ```
    pub fn itemsize(&self) -> usize {
        self.layout().itemsize()
    }

    /// `ndim`: the number of dimensions.
    ///
    /// ```
    /// assert_eq!(memview::MemoryView::from_bytes(b"abcd").cast_shape("B", &[2, 2]).unwrap().ndim(), 2);
    /// ```
    pub fn ndim(&self) -> usize {
        self.layout().ndim()
    }

    /// `shape`: the extent of each dimension.
    ///
    /// ```
    /// assert_eq!(memview::MemoryView::from_bytes(b"abcd").cast_shape("B", &[2, 2]).unwrap().shape(), &[2, 2]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        self.layout().shape()
    }

    /// `strides`, in bytes.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"abcd").view(memview::s![..;-2]).unwrap();
    /// assert_eq!(v.strides(), &[-2]);
    /// ```
    pub fn strides(&self) -> &[isize] {
        self.layout().strides()
    }

    /// `suboffsets` (empty if the layout has none).
    ///
    /// ```
    /// assert!(memview::MemoryView::from_bytes(b"a").suboffsets().is_empty());
    /// ```
    pub fn suboffsets(&self) -> &[isize] {
        self.layout().suboffsets().unwrap_or(&[])
    }

    /// `nbytes`: the bytes of the items (`product(shape) × itemsize`).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[0; 12]).view(memview::s![..;2]).unwrap();
    /// assert_eq!(v.nbytes(), 6);
    /// ```
    pub fn nbytes(&self) -> usize {
        self.layout().nbytes()
    }

    /// The address of the item at index `[0, ..., 0]` (where a `Py_buffer`'s `buf` of this
    /// view points, as `ndarray`'s `as_ptr`), for code that reads items itself: the item at
    /// an index `i` lies `Σ i[k] * strides()[k]` bytes from it. `None` for a view that follows
    /// pointers (suboffsets).
    ///
    /// Getting the pointer is safe; reading through it is the caller's promise: only while
    /// this view (or one sharing its acquisition) lives, only at in-range indices, and
    /// writing only if the view is not [`readonly`](Self::readonly). Use `typed`, `get` and
    /// `set` where they serve: they check all of that.
    ///
    /// ```
    /// let data = [1u16, 2, 3];
    /// let v = memview::MemoryView::new(&data[..]).unwrap().view(memview::s![..;-1]).unwrap();
    /// let first = v.as_ptr().unwrap();
    /// assert_eq!(first, data[2..].as_ptr().cast::<u8>());
    /// // SAFETY: the view is alive and index 1 is in range: 1 * stride bytes from `first`.
    /// let second = unsafe { first.offset(v.strides()[0]).cast::<u16>().read_unaligned() };
    /// assert_eq!(second, 2);
    /// ```
    pub fn as_ptr(&self) -> Option<*const u8> {
        self.live.view.first_item().map(|p| p.cast_const())
    }

    /// [`as_ptr`](Self::as_ptr) for writing: `None` for a read-only view as well.
    ///
    /// ```
    /// let mut data = [0u8; 4];
    /// let v = memview::MemoryView::from_mut_slice(&mut data);
    /// let p = v.as_mut_ptr().unwrap();
    /// // SAFETY: the view is alive and writable, and index 3 is in range.
    /// unsafe { p.offset(3 * v.strides()[0]).write(9) };
    /// drop(v);
    /// assert_eq!(data, [0, 0, 0, 9]);
    /// assert!(memview::MemoryView::from_bytes(b"a").as_mut_ptr().is_none());
    /// ```
    pub fn as_mut_ptr(&self) -> Option<*mut u8> {
        if self.readonly() {
            return None;
        }
        self.live.view.first_item()
    }

    /// `readonly`: whether writes are refused.
    ///
    /// ```
    /// assert!(memview::MemoryView::from_bytes(b"a").readonly());
    /// ```
    pub fn readonly(&self) -> bool {
        self.live.readonly
    }

    /// `len(m)`: the extent of the first dimension, 1 for a 0-dimensional view (CPython 3.11).
    ///
    /// ```
    /// let scalar = memview::MemoryView::from_bytes(&[0; 4]).cast_shape("i", &[]).unwrap();
    /// assert_eq!(scalar.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.shape().first().copied().unwrap_or(1)
    }

    /// Whether [`len`](Self::len) is zero (the view has no items).
    ///
    /// ```
    /// assert!(memview::MemoryView::from_bytes(b"").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `c_contiguous`, as memoryview computes it.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"abcd");
    /// assert!(v.c_contiguous());
    /// assert!(!v.view(memview::s![..;2]).unwrap().c_contiguous());
    /// ```
    pub fn c_contiguous(&self) -> bool {
        self.is_contiguous_in(Order::C)
    }

    /// `f_contiguous`, as memoryview computes it.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"abcd").cast_shape("B", &[2, 2]).unwrap();
    /// assert!(v.transpose().unwrap().f_contiguous());
    /// ```
    pub fn f_contiguous(&self) -> bool {
        self.is_contiguous_in(Order::F)
    }

    /// `contiguous` (C or Fortran), as memoryview computes it.
    ///
    /// ```
    /// assert!(memview::MemoryView::from_bytes(b"ab").contiguous());
    /// ```
    pub fn contiguous(&self) -> bool {
        self.is_contiguous_in(Order::A)
    }

    pub(crate) fn is_contiguous_in(&self, order: Order) -> bool {
        let l = self.layout();
        if l.is_indirect() {
            return false;
        }
        match l.ndim() {
            0 => true,
            // memoryview's own rule for one dimension (an empty strided slice is not contiguous).
            1 => l.shape()[0] == 1 || l.strides()[0] == l.itemsize() as isize,
            _ => l.is_contiguous(order),
        }
    }
}
