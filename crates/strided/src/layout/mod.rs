//! [`StridedLayout`]: item size, shape, byte strides, byte offset and optional suboffsets.

use crate::{LayoutError, Shape, Strides, MAX_NDIM};
use smallvec::SmallVec;

mod reshape;

/// A memory order for contiguity checks and copies.
///
/// ```
/// assert_eq!(strided::Order::from_char('F'), Some(strided::Order::F));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Order {
    /// Row-major: the last index varies fastest.
    C,
    /// Column-major: the first index varies fastest.
    F,
    /// Either: whichever the layout already has (C if neither).
    A,
}

impl Order {
    /// The order a character names (`'C'`, `'F'`, `'A'`), as `tobytes(order=...)` takes it.
    ///
    /// ```
    /// assert_eq!(strided::Order::from_char('C'), Some(strided::Order::C));
    /// assert_eq!(strided::Order::from_char('x'), None);
    /// ```
    pub fn from_char(c: char) -> Option<Order> {
        match c {
            'C' => Some(Order::C),
            'F' => Some(Order::F),
            'A' => Some(Order::A),
            _ => None,
        }
    }
}

/// The shape and byte strides of an N-dimensional array of items within one block of memory.
///
/// * `offset` is the byte offset, from the start of the memory block, of the item whose
///   indices are all 0; the item at index `i` starts at `offset + Σ i[d] × strides[d]`.
/// * Strides are in **bytes** (as in PEP 3118 and CPython), may be negative or zero.
/// * `suboffsets`, if present, mark indirect dimensions (PIL style): after stepping along a
///   dimension `d` with `suboffsets[d] >= 0`, the bytes there are a pointer, and
///   `suboffsets[d]` is added to the pointer's value. This crate never dereferences anything:
///   operations that would need to are errors of kind [`LayoutError::Indirect`].
///
/// Invariants, checked by every constructor: `ndim <= 64`, `itemsize > 0`, strides and
/// suboffsets have `ndim` entries, and `nbytes = Π shape × itemsize` and every
/// `(shape[d] - 1) × strides[d]` fit in `isize`.
///
/// ```
/// use strided::StridedLayout;
/// // A 2×3 array of 4-byte items in C order, viewed transposed.
/// let l = StridedLayout::contiguous(4, &[2, 3]).unwrap();
/// assert_eq!(l.strides(), &[12, 4]);
/// assert!(l.is_c_contiguous());
/// let t = l.transpose().unwrap();
/// assert_eq!((t.shape(), t.strides()), (&[3, 2][..], &[4, 12][..]));
/// assert!(t.is_f_contiguous() && !t.is_c_contiguous());
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct StridedLayout {
    itemsize: usize,
    shape: Shape,
    strides: Strides,
    offset: isize,
    /// Boxed: PIL layouts are rare, and a direct layout stays small to move.
    suboffsets: Option<Box<Strides>>,
}

impl Clone for StridedLayout {
    /// A copy: shapes and strides are copied as slices (one `memcpy` each, not an item-by-item
    /// extend), since every view derived from another starts as a clone of its layout.
    #[inline]
    fn clone(&self) -> StridedLayout {
        StridedLayout {
            itemsize: self.itemsize,
            shape: copy_dims(&self.shape),
            strides: copy_dims(&self.strides),
            offset: self.offset,
            suboffsets: self.suboffsets.clone(),
        }
    }
}

/// A copy of a shape or strides. Dimensions held inline (up to 4, nearly every view) are
/// copied as a whole array of four, with no length-dependent `memcpy` call: a slice copy
/// called `memcpy` twice per derived view, and that call was a sixth of making one.
#[inline]
fn copy_dims<T: Copy + Default>(dims: &SmallVec<[T; 4]>) -> SmallVec<[T; 4]> {
    // One test of where the items are (`as_slice`), then plain slice reads.
    let items = dims.as_slice();
    if items.len() > 4 {
        return SmallVec::from_slice(items);
    }
    let at = |d: usize| items.get(d).copied().unwrap_or_default();
    let mut inline = SmallVec::from_buf([at(0), at(1), at(2), at(3)]);
    inline.truncate(items.len());
    inline
}

/// Converts a `usize` that is known to be at most `isize::MAX` (checked by the caller).
fn to_isize(x: usize, what: &'static str) -> Result<isize, LayoutError> {
    isize::try_from(x).map_err(|_| LayoutError::Overflow(what))
}

/// One step of an item's address: add `offset` bytes, then optionally follow a pointer (see
/// [`StridedLayout::address_steps`]).
///
/// ```
/// let step = strided::AddressStep { offset: 8, deref: None };
/// assert_eq!(step.offset, 8);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddressStep {
    /// Bytes to add to the current address.
    pub offset: isize,
    /// If `Some(s)`: the bytes there are a pointer; load it and add `s`.
    pub deref: Option<isize>,
}

/// The number of items of a shape, checked: `None` when it passes `isize::MAX`. A shape with
/// a zero anywhere holds no item, whatever its other extents (as CPython and NumPy count it),
/// so the product is never formed in an order that could overflow before the zero.
///
/// ```
/// assert_eq!(strided::checked_len(&[2, 3, 4]), Some(24));
/// assert_eq!(strided::checked_len(&[1 << 62, 4]), None);
/// assert_eq!(strided::checked_len(&[1 << 62, 1 << 62, 0]), Some(0));
/// ```
pub fn checked_len(shape: &[usize]) -> Option<usize> {
    if shape.contains(&0) {
        return Some(0);
    }
    shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).filter(|&n| n <= isize::MAX as usize)
}

/// C-order (row-major) byte strides for a shape, checked for overflow.
///
/// ```
/// assert_eq!(strided::c_strides(8, &[2, 3]).unwrap().as_slice(), &[24, 8]);
/// ```
pub fn c_strides(itemsize: usize, shape: &[usize]) -> Result<Strides, LayoutError> {
    let mut strides: Strides = SmallVec::from_elem(0, shape.len());
    let mut sd = to_isize(itemsize, "itemsize")?;
    for (stride, &extent) in strides.iter_mut().zip(shape).rev() {
        *stride = sd;
        sd = sd.checked_mul(to_isize(extent.max(1), "shape")?).ok_or(LayoutError::Overflow("strides"))?;
    }
    Ok(strides)
}

/// Fortran-order (column-major) byte strides for a shape, checked for overflow.
///
/// ```
/// assert_eq!(strided::f_strides(8, &[2, 3]).unwrap().as_slice(), &[8, 16]);
/// ```
pub fn f_strides(itemsize: usize, shape: &[usize]) -> Result<Strides, LayoutError> {
    let mut strides: Strides = SmallVec::from_elem(0, shape.len());
    let mut sd = to_isize(itemsize, "itemsize")?;
    for (stride, &extent) in strides.iter_mut().zip(shape) {
        *stride = sd;
        sd = sd.checked_mul(to_isize(extent.max(1), "shape")?).ok_or(LayoutError::Overflow("strides"))?;
    }
    Ok(strides)
}

impl StridedLayout {
    /// A layout from its parts, checked (see the type's invariants).
    ///
    /// ```
    /// use strided::StridedLayout;
    /// let l = StridedLayout::new(2, &[3], &[-2], 4).unwrap();
    /// assert_eq!(l.item_offset(&[2]).unwrap(), 0);
    /// assert!(StridedLayout::new(1, &[2, 2], &[1], 0).is_err());
    /// ```
    pub fn new(
        itemsize: usize,
        shape: &[usize],
        strides: &[isize],
        offset: isize,
    ) -> Result<StridedLayout, LayoutError> {
        let l = StridedLayout {
            itemsize,
            shape: SmallVec::from_slice(shape),
            strides: SmallVec::from_slice(strides),
            offset,
            suboffsets: None,
        };
        l.validate()?;
        Ok(l)
    }

    /// A C-contiguous layout of a shape at offset 0.
    ///
    /// ```
    /// let l = strided::StridedLayout::contiguous(2, &[3, 4]).unwrap();
    /// assert_eq!((l.strides(), l.offset()), (&[8, 2][..], 0));
    /// ```
    pub fn contiguous(itemsize: usize, shape: &[usize]) -> Result<StridedLayout, LayoutError> {
        let strides = c_strides(itemsize, shape)?;
        StridedLayout::new(itemsize, shape, &strides, 0)
    }

    /// A one-dimensional C-contiguous layout of `len` items at offset 0: the layout of a
    /// slice, built without the general checks (its only conditions, a nonzero item size and
    /// at most `isize::MAX` bytes, are checked here).
    ///
    /// ```
    /// use strided::StridedLayout;
    /// let l = StridedLayout::contiguous_1d(4, 3).unwrap();
    /// assert_eq!(l, StridedLayout::contiguous(4, &[3]).unwrap());
    /// assert!(StridedLayout::contiguous_1d(2, usize::MAX / 2).is_err());
    /// assert!(StridedLayout::contiguous_1d(0, 1).is_err());
    /// ```
    #[inline]
    pub fn contiguous_1d(itemsize: usize, len: usize) -> Result<StridedLayout, LayoutError> {
        if itemsize == 0 {
            return Err(LayoutError::ZeroItemsize);
        }
        len.checked_mul(itemsize).filter(|&n| n <= isize::MAX as usize).ok_or(LayoutError::Overflow("nbytes"))?;
        let stride = to_isize(itemsize, "itemsize")?;
        // Valid: one dimension, a nonzero item size, at most `isize::MAX` bytes from offset 0,
        // so the extent `(0, len × itemsize)` cannot overflow.
        let mut shape = Shape::new();
        shape.push(len);
        let mut strides = Strides::new();
        strides.push(stride);
        Ok(StridedLayout { itemsize, shape, strides, offset: 0, suboffsets: None })
    }

    /// The same layout with its first item at another byte offset, checked as `new` checks
    /// (only the extent can change, so only the extent is computed again).
    ///
    /// ```
    /// use strided::StridedLayout;
    /// let l = StridedLayout::new(4, &[3], &[-4], 0).unwrap();
    /// assert_eq!(l.extent().unwrap(), Some((-8, 4)));
    /// let placed = l.with_offset(8).unwrap();
    /// assert_eq!(placed, StridedLayout::new(4, &[3], &[-4], 8).unwrap());
    /// assert!(StridedLayout::new(4, &[3], &[4], 0).unwrap().with_offset(isize::MAX).is_err());
    /// ```
    pub fn with_offset(mut self, offset: isize) -> Result<StridedLayout, LayoutError> {
        self.offset = offset;
        self.extent()?;
        Ok(self)
    }

    /// A contiguous layout of a shape in the given order (`A` means C) at offset 0.
    ///
    /// ```
    /// use strided::{Order, StridedLayout};
    /// let l = StridedLayout::contiguous_in(2, &[3, 4], Order::F).unwrap();
    /// assert_eq!(l.strides(), &[2, 6]);
    /// ```
    pub fn contiguous_in(itemsize: usize, shape: &[usize], order: Order) -> Result<StridedLayout, LayoutError> {
        let strides = match order {
            Order::F => f_strides(itemsize, shape)?,
            _ => c_strides(itemsize, shape)?,
        };
        StridedLayout::new(itemsize, shape, &strides, 0)
    }

    /// The same layout with suboffsets (one per dimension; negative means direct).
    ///
    /// ```
    /// let l = strided::StridedLayout::new(1, &[2, 3], &[8, 1], 0).unwrap();
    /// let pil = l.with_suboffsets(&[0, -1]).unwrap();
    /// assert!(pil.is_indirect() && !pil.is_c_contiguous());
    /// ```
    pub fn with_suboffsets(mut self, suboffsets: &[isize]) -> Result<StridedLayout, LayoutError> {
        if suboffsets.len() != self.ndim() {
            return Err(LayoutError::DimMismatch { shape: self.ndim(), what: "suboffsets", other: suboffsets.len() });
        }
        self.suboffsets = Some(Box::new(SmallVec::from_slice(suboffsets)));
        Ok(self)
    }

    fn validate(&self) -> Result<(), LayoutError> {
        if self.shape.len() > MAX_NDIM {
            return Err(LayoutError::TooManyDims);
        }
        if self.itemsize == 0 {
            return Err(LayoutError::ZeroItemsize);
        }
        if self.strides.len() != self.shape.len() {
            return Err(LayoutError::DimMismatch {
                shape: self.shape.len(),
                what: "strides",
                other: self.strides.len(),
            });
        }
        checked_len(&self.shape)
            .and_then(|n| n.checked_mul(self.itemsize))
            .filter(|&n| n <= isize::MAX as usize)
            .ok_or(LayoutError::Overflow("nbytes"))?;
        self.extent()?;
        Ok(())
    }

    /// The size of one item in bytes.
    ///
    /// ```
    /// assert_eq!(strided::StridedLayout::contiguous(8, &[2]).unwrap().itemsize(), 8);
    /// ```
    pub fn itemsize(&self) -> usize {
        self.itemsize
    }

    /// The number of dimensions.
    ///
    /// ```
    /// assert_eq!(strided::StridedLayout::contiguous(1, &[2, 3]).unwrap().ndim(), 2);
    /// ```
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// The extent of each dimension.
    ///
    /// ```
    /// assert_eq!(strided::StridedLayout::contiguous(1, &[2, 3]).unwrap().shape(), &[2, 3]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The byte stride of each dimension.
    ///
    /// ```
    /// assert_eq!(strided::StridedLayout::contiguous(4, &[2, 3]).unwrap().strides(), &[12, 4]);
    /// ```
    pub fn strides(&self) -> &[isize] {
        &self.strides
    }

    /// The byte offset of the item at index 0 within the memory block.
    ///
    /// ```
    /// assert_eq!(strided::StridedLayout::new(1, &[3], &[-1], 2).unwrap().offset(), 2);
    /// ```
    pub fn offset(&self) -> isize {
        self.offset
    }

    /// The suboffsets, if the layout has any.
    ///
    /// ```
    /// let l = strided::StridedLayout::contiguous(1, &[2]).unwrap();
    /// assert_eq!(l.suboffsets(), None);
    /// ```
    pub fn suboffsets(&self) -> Option<&[isize]> {
        self.suboffsets.as_deref().map(SmallVec::as_slice)
    }

    /// Whether any dimension is indirect (has suboffsets at all, as CPython counts it).
    ///
    /// ```
    /// assert!(!strided::StridedLayout::contiguous(1, &[2]).unwrap().is_indirect());
    /// ```
    pub fn is_indirect(&self) -> bool {
        self.suboffsets.is_some()
    }

    /// The number of items (1 for a 0-dimensional layout).
    ///
    /// ```
    /// assert_eq!(strided::StridedLayout::contiguous(1, &[2, 3]).unwrap().len(), 6);
    /// assert_eq!(strided::StridedLayout::contiguous(1, &[]).unwrap().len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        // Checked when the layout was made (invariant: the product fits `isize`), so the
        // product taken modulo 2^64 is the product itself, whatever order the factors come in
        // (a zero extent gives 0 even after partial products wrapped).
        match self.shape.as_slice() {
            [n] => *n,
            dims => dims.iter().fold(1usize, |a, &d| a.wrapping_mul(d)),
        }
    }

    /// Whether the layout holds no item.
    ///
    /// ```
    /// assert!(strided::StridedLayout::contiguous(1, &[2, 0]).unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.shape.contains(&0)
    }

    /// The number of bytes of the items (`len × itemsize`), as `memoryview.nbytes`.
    ///
    /// ```
    /// assert_eq!(strided::StridedLayout::contiguous(4, &[2, 3]).unwrap().nbytes(), 24);
    /// ```
    pub fn nbytes(&self) -> usize {
        // Checked when the layout was made (invariant: `len × itemsize <= isize::MAX`).
        self.len().saturating_mul(self.itemsize)
    }

    /// The lowest byte offset touched and one past the highest, or `None` if empty; only the
    /// direct part of the layout (the first indirect level for PIL layouts).
    ///
    /// ```
    /// let l = strided::StridedLayout::new(4, &[3], &[-4], 8).unwrap();
    /// assert_eq!(l.extent().unwrap(), Some((0, 12)));
    /// ```
    pub fn extent(&self) -> Result<Option<(isize, isize)>, LayoutError> {
        // One direct dimension, the layout of most buffers: no walk.
        if let ([extent], [stride], None) = (&self.shape[..], &self.strides[..], &self.suboffsets) {
            if *extent == 0 {
                return Ok(None);
            }
            let span = to_isize(extent.saturating_sub(1), "shape")?
                .checked_mul(*stride)
                .ok_or(LayoutError::Overflow("shape × stride"))?;
            let (low, high) = if span < 0 {
                (self.offset.checked_add(span), Some(self.offset))
            } else {
                (Some(self.offset), self.offset.checked_add(span))
            };
            let high = high.and_then(|h| h.checked_add(to_isize(self.itemsize, "itemsize").ok()?));
            return match (low, high) {
                (Some(low), Some(high)) => Ok(Some((low, high))),
                _ => Err(LayoutError::Overflow("offset")),
            };
        }
        if self.is_empty() {
            return Ok(None);
        }
        let (mut low, mut high) = (self.offset, self.offset);
        let last = self.suboffsets.as_ref().and_then(|s| s.iter().position(|&x| x >= 0));
        for (d, (&extent, &stride)) in self.shape.iter().zip(&self.strides).enumerate() {
            // Not empty (checked above), so every extent is at least 1.
            let span = to_isize(extent.saturating_sub(1), "shape")?
                .checked_mul(stride)
                .ok_or(LayoutError::Overflow("shape × stride"))?;
            if span < 0 {
                low = low.checked_add(span).ok_or(LayoutError::Overflow("offset"))?;
            } else {
                high = high.checked_add(span).ok_or(LayoutError::Overflow("offset"))?;
            }
            if last == Some(d) {
                // Past an indirect dimension, bytes live wherever the pointers say.
                let ptr = std::mem::size_of::<usize>() as isize;
                return Ok(Some((low, high.checked_add(ptr).ok_or(LayoutError::Overflow("offset"))?)));
            }
        }
        let item = to_isize(self.itemsize, "itemsize")?;
        Ok(Some((low, high.checked_add(item).ok_or(LayoutError::Overflow("offset"))?)))
    }

    /// Checks that every byte the layout touches lies within a memory block of `len` bytes.
    ///
    /// ```
    /// let l = strided::StridedLayout::new(4, &[3], &[4], 0).unwrap();
    /// assert!(l.check_within(12).is_ok());
    /// assert!(l.check_within(11).is_err());
    /// ```
    #[inline]
    pub fn check_within(&self, len: usize) -> Result<(), LayoutError> {
        // One direct dimension, the layout of most derived views: decided here, inline; any
        // other layout, and any doubt (an overflow), goes to the walk, which names the error.
        if let ([extent], [stride], None) = (self.shape.as_slice(), self.strides.as_slice(), &self.suboffsets) {
            let last = isize::try_from(extent.wrapping_sub(1)).ok().and_then(|n| n.checked_mul(*stride));
            let (low, high) = match last {
                _ if *extent == 0 => return Ok(()),
                Some(span) if span < 0 => (self.offset.checked_add(span), Some(self.offset)),
                Some(span) => (Some(self.offset), self.offset.checked_add(span)),
                None => (None, None),
            };
            let end = high.and_then(|h| h.checked_add_unsigned(self.itemsize));
            if let (Some(low), Some(end)) = (low, end) {
                if low >= 0 && end.unsigned_abs() <= len {
                    return Ok(());
                }
            }
        }
        self.check_within_walk(len)
    }

    /// [`check_within`](Self::check_within) of any layout, with its error.
    #[inline(never)]
    fn check_within_walk(&self, len: usize) -> Result<(), LayoutError> {
        match self.extent()? {
            None => Ok(()),
            Some((low, high)) if low >= 0 && high.unsigned_abs() <= len => Ok(()),
            Some((low, high)) => Err(LayoutError::OutOfBounds { low, high, len }),
        }
    }

    /// C-contiguity as `PyBuffer_IsContiguous(view, 'C')` decides it: empty layouts are
    /// contiguous, dimensions of extent 1 are ignored, suboffsets never are.
    ///
    /// ```
    /// use strided::StridedLayout;
    /// assert!(StridedLayout::new(4, &[2, 1], &[4, 99], 0).unwrap().is_c_contiguous()); // extent 1 ignored
    /// assert!(!StridedLayout::new(4, &[2], &[8], 0).unwrap().is_c_contiguous());
    /// ```
    pub fn is_c_contiguous(&self) -> bool {
        self.dense_along((0..self.ndim()).rev())
    }

    /// Fortran-contiguity as `PyBuffer_IsContiguous(view, 'F')` decides it.
    ///
    /// ```
    /// assert!(strided::StridedLayout::new(1, &[2, 3], &[1, 2], 0).unwrap().is_f_contiguous());
    /// ```
    pub fn is_f_contiguous(&self) -> bool {
        self.dense_along(0..self.ndim())
    }

    /// Whether the items lie back to back when the dimensions are walked fastest-first in
    /// `dims` order (the walk of `PyBuffer_IsContiguous`).
    fn dense_along(&self, dims: impl Iterator<Item = usize>) -> bool {
        if self.suboffsets.is_some() {
            return false;
        }
        if self.is_empty() {
            return true;
        }
        let mut sd = self.itemsize as isize;
        for d in dims {
            let (Some(&extent), Some(&stride)) = (self.shape.get(d), self.strides.get(d)) else {
                return false;
            };
            if extent > 1 && stride != sd {
                return false;
            }
            sd = sd.saturating_mul(extent as isize);
        }
        true
    }

    /// Contiguity in an order (`A`: either).
    ///
    /// ```
    /// use strided::{Order, StridedLayout};
    /// let f = StridedLayout::new(1, &[2, 3], &[1, 2], 0).unwrap();
    /// assert!(f.is_contiguous(Order::A) && !f.is_contiguous(Order::C));
    /// ```
    pub fn is_contiguous(&self, order: Order) -> bool {
        match order {
            Order::C => self.is_c_contiguous(),
            Order::F => self.is_f_contiguous(),
            Order::A => self.is_c_contiguous() || self.is_f_contiguous(),
        }
    }

    /// The byte offset of the item at an index (negative indices count from the end, once),
    /// with CPython's `IndexError`s. Direct layouts only.
    ///
    /// ```
    /// let l = strided::StridedLayout::contiguous(2, &[2, 3]).unwrap();
    /// assert_eq!(l.item_offset(&[1, -1]).unwrap(), 10);
    /// assert!(l.item_offset(&[2, 0]).is_err());
    /// ```
    #[inline]
    pub fn item_offset(&self, index: &[isize]) -> Result<isize, LayoutError> {
        if index.len() > self.ndim() {
            return Err(LayoutError::TooManyIndices { ndim: self.ndim(), n: index.len() });
        }
        if self.suboffsets.as_ref().is_some_and(|s| s.iter().any(|&x| x >= 0)) {
            return Err(LayoutError::Indirect("item_offset"));
        }
        let mut off = self.offset;
        for (d, ((&i, &n), &s)) in index.iter().zip(&self.shape).zip(&self.strides).enumerate() {
            // `wrap_index`, inline: this is every item access's hot path.
            let n = n as isize;
            let j = if i < 0 { i.wrapping_add(n) } else { i };
            if j < 0 || j >= n {
                return Err(LayoutError::IndexOutOfBounds { index: i, axis: d, size: n as usize });
            }
            // `0 <= j < n`: the item lies within the extent, which was computed with checked
            // arithmetic when the layout was made, so neither operation wraps.
            off = off.wrapping_add(j.wrapping_mul(s));
        }
        Ok(off)
    }

    /// How to find the item at an index in a layout with suboffsets: a list of steps, each
    /// "add `offset` bytes, then, if `deref` is `Some(s)`, load the pointer stored there and
    /// add `s`". The first step starts at the memory block; later steps start at the
    /// pointer the previous one loaded. Direct layouts give one step without `deref`.
    ///
    /// ```
    /// use strided::{AddressStep, StridedLayout};
    /// // PIL: a table of row pointers (stride 8), rows of 4-byte items.
    /// let l = StridedLayout::new(4, &[2, 3], &[8, 4], 0).unwrap().with_suboffsets(&[0, -1]).unwrap();
    /// let steps = l.address_steps(&[1, 2]).unwrap();
    /// assert_eq!(steps.as_slice(), &[AddressStep { offset: 8, deref: Some(0) }, AddressStep { offset: 8, deref: None }]);
    /// ```
    pub fn address_steps(&self, index: &[isize]) -> Result<SmallVec<[AddressStep; 4]>, LayoutError> {
        if index.len() > self.ndim() {
            return Err(LayoutError::TooManyIndices { ndim: self.ndim(), n: index.len() });
        }
        let mut steps: SmallVec<[AddressStep; 4]> = SmallVec::new();
        let mut off = self.offset;
        for (d, (&i, &stride)) in index.iter().zip(&self.strides).enumerate() {
            let i = self.wrap_index(d, i)?;
            // Checked: past a pointer dimension the layout's spans are not bounded by a block.
            off = (i as isize)
                .checked_mul(stride)
                .and_then(|step| off.checked_add(step))
                .ok_or(LayoutError::Overflow("address"))?;
            if let Some(s) = self.suboffsets.as_ref().and_then(|s| s.get(d).copied()).filter(|&s| s >= 0) {
                steps.push(AddressStep { offset: off, deref: Some(s) });
                off = 0;
            }
        }
        steps.push(AddressStep { offset: off, deref: None });
        Ok(steps)
    }

    /// Resolves a possibly negative index of a dimension to `0..shape[d]`.
    ///
    /// ```
    /// let l = strided::StridedLayout::contiguous(1, &[4]).unwrap();
    /// assert_eq!(l.wrap_index(0, -1).unwrap(), 3);
    /// assert!(l.wrap_index(0, 4).is_err());
    /// ```
    pub fn wrap_index(&self, dim: usize, index: isize) -> Result<usize, LayoutError> {
        let n = *self.shape.get(dim).ok_or(LayoutError::NoSuchDim { dim, ndim: self.ndim() })? as isize;
        let i = if index < 0 { index.wrapping_add(n) } else { index };
        if i < 0 || i >= n {
            return Err(LayoutError::IndexOutOfBounds { index, axis: dim, size: n as usize });
        }
        Ok(i as usize)
    }

    /// Moves the start of dimension `dim` by `delta` bytes: the offset for direct layouts, or
    /// the suboffset of the nearest indirect dimension before it (as CPython's `init_slice`).
    fn shift(&mut self, dim: usize, delta: isize) -> Result<(), LayoutError> {
        if let Some(subs) = self.suboffsets.as_mut() {
            if let Some(sub) = subs.iter_mut().take(dim).rev().find(|s| **s >= 0) {
                let moved = sub.checked_add(delta).ok_or(LayoutError::Overflow("suboffset"))?;
                // A negative suboffset means "no pointer here": moving one below zero would
                // turn a pointer dimension into data (and its table into items).
                if moved < 0 {
                    return Err(LayoutError::Indirect("a slice that moves a suboffset below zero"));
                }
                *sub = moved;
                return Ok(());
            }
        }
        self.offset = self.offset.checked_add(delta).ok_or(LayoutError::Overflow("offset"))?;
        Ok(())
    }

    /// Slices one dimension with Python's slice semantics; the result is a view (no copy).
    ///
    /// ```
    /// use strided::{Slice, StridedLayout};
    /// let l = StridedLayout::contiguous(1, &[10]).unwrap();
    /// let s = l.slice_dim(0, Slice::new(None, None, Some(-3))).unwrap();
    /// assert_eq!((s.shape(), s.strides(), s.offset()), (&[4][..], &[-3][..], 9));
    /// ```
    pub fn slice_dim(&self, dim: usize, slice: crate::Slice) -> Result<StridedLayout, LayoutError> {
        let mut out = self.clone();
        out.slice_dim_in_place(dim, slice)?;
        Ok(out)
    }

    /// [`slice_dim`](Self::slice_dim) in place; on error the layout is unchanged.
    ///
    /// ```
    /// let mut l = strided::StridedLayout::contiguous(1, &[10]).unwrap();
    /// l.slice_dim_in_place(0, strided::Slice::from(2..)).unwrap();
    /// assert_eq!((l.shape(), l.offset()), (&[8][..], 2));
    /// ```
    pub fn slice_dim_in_place(&mut self, dim: usize, slice: crate::Slice) -> Result<(), LayoutError> {
        // One direct dimension, the layout of most sliced views: the same arithmetic, on the
        // one extent and stride, with no suboffset to move.
        if let (0, [len], [old_stride], None) =
            (dim, self.shape.as_mut_slice(), self.strides.as_mut_slice(), &self.suboffsets)
        {
            let axis = slice.on_axis(*len, *old_stride)?;
            match axis.delta.and_then(|delta| self.offset.checked_add(delta)) {
                Some(offset) => self.offset = offset,
                // An empty result addresses nothing: its start may stay in place.
                None if axis.len == 0 => {}
                None => return Err(LayoutError::Overflow("offset")),
            }
            (*len, *old_stride) = (axis.len, axis.stride);
            return Ok(());
        }
        let (Some(&len), Some(&old_stride)) = (self.shape.get(dim), self.strides.get(dim)) else {
            return Err(LayoutError::NoSuchDim { dim, ndim: self.ndim() });
        };
        let axis = slice.on_axis(len, old_stride)?;
        if let Some(delta) = axis.delta {
            match self.shift(dim, delta) {
                // An empty result addresses nothing: its start may stay in place.
                Err(LayoutError::Overflow(_)) if axis.len == 0 => {}
                r => r?,
            }
        }
        if let (Some(extent), Some(s)) = (self.shape.get_mut(dim), self.strides.get_mut(dim)) {
            *extent = axis.len;
            *s = axis.stride;
        }
        Ok(())
    }

    /// Drops dimension `dim`, fixing it at `index` (NumPy's integer indexing; a sub-view).
    ///
    /// ```
    /// let l = strided::StridedLayout::contiguous(1, &[2, 3]).unwrap();
    /// let row = l.index_dim(0, -1).unwrap();
    /// assert_eq!((row.shape(), row.offset()), (&[3][..], 3));
    /// ```
    pub fn index_dim(&self, dim: usize, index: isize) -> Result<StridedLayout, LayoutError> {
        let mut out = self.clone();
        out.index_dim_in_place(dim, index)?;
        Ok(out)
    }

    /// [`index_dim`](Self::index_dim) in place; on error the layout is unchanged.
    pub fn index_dim_in_place(&mut self, dim: usize, index: isize) -> Result<(), LayoutError> {
        let i = self.wrap_index(dim, index)?;
        if self.suboffsets.as_ref().is_some_and(|s| s.get(dim).is_some_and(|&x| x >= 0)) {
            return Err(LayoutError::Indirect("an integer index"));
        }
        let stride = self.strides.get(dim).copied().ok_or(LayoutError::NoSuchDim { dim, ndim: self.ndim() })?;
        // `i` is in bounds (`wrap_index`), so its offset lies within the checked extent.
        self.shift(dim, (i as isize).wrapping_mul(stride))?;
        self.shape.remove(dim);
        self.strides.remove(dim);
        if let Some(s) = self.suboffsets.as_mut() {
            s.remove(dim);
        }
        Ok(())
    }

    /// Inserts a new dimension of extent 1 at `dim` (NumPy's `newaxis`).
    ///
    /// ```
    /// let l = strided::StridedLayout::contiguous(1, &[3]).unwrap();
    /// assert_eq!(l.new_axis(0).unwrap().shape(), &[1, 3]);
    /// ```
    pub fn new_axis(&self, dim: usize) -> Result<StridedLayout, LayoutError> {
        let mut out = self.clone();
        out.new_axis_in_place(dim)?;
        Ok(out)
    }

    /// [`new_axis`](Self::new_axis) in place; on error the layout is unchanged.
    pub fn new_axis_in_place(&mut self, dim: usize) -> Result<(), LayoutError> {
        if dim > self.ndim() {
            return Err(LayoutError::NoSuchDim { dim, ndim: self.ndim() });
        }
        if self.ndim() >= MAX_NDIM {
            return Err(LayoutError::TooManyDims);
        }
        self.shape.insert(dim, 1);
        self.strides.insert(dim, 0);
        if let Some(s) = self.suboffsets.as_mut() {
            s.insert(dim, -1);
        }
        Ok(())
    }

    /// Applies a NumPy basic-indexing key (integers, slices, one `...`, new axes): every
    /// dimension the key does not name is kept whole.
    ///
    /// ```
    /// use strided::{Index, Slice, StridedLayout};
    /// let l = StridedLayout::contiguous(1, &[4, 5, 6]).unwrap();
    /// let v = l.apply(&[Index::Ellipsis, Index::At(0)]).unwrap();
    /// assert_eq!(v.shape(), &[4, 5]);
    /// let w = l.apply(&[Index::Slice(Slice::new(None, None, Some(2))), Index::At(1)]).unwrap();
    /// assert_eq!((w.shape(), w.strides()), (&[2, 6][..], &[60, 1][..]));
    /// ```
    pub fn apply(&self, key: &[crate::Index]) -> Result<StridedLayout, LayoutError> {
        let mut out = self.clone();
        out.apply_in_place(key)?;
        Ok(out)
    }

    /// [`apply`](Self::apply) in place. On error the layout may hold the effect of the
    /// entries before the failing one: still a valid layout of some of the same items, to be
    /// discarded.
    ///
    /// ```
    /// use strided::{Index, StridedLayout};
    /// let mut l = StridedLayout::contiguous(1, &[4, 5]).unwrap();
    /// l.apply_in_place(&[Index::At(1)]).unwrap();
    /// assert_eq!((l.shape(), l.offset()), (&[5][..], 5));
    /// ```
    pub fn apply_in_place(&mut self, key: &[crate::Index]) -> Result<(), LayoutError> {
        use crate::Index;
        let ellipses = key.iter().filter(|k| matches!(k, Index::Ellipsis)).count();
        if ellipses > 1 {
            return Err(LayoutError::MultipleEllipsis);
        }
        let consuming = key.iter().filter(|k| matches!(k, Index::At(_) | Index::Slice(_))).count();
        if consuming > self.ndim() {
            return Err(LayoutError::TooManyIndices { ndim: self.ndim(), n: consuming });
        }
        let ndim = self.ndim();
        let mut dim = 0usize; // the dimension the next key entry applies to
        for k in key {
            match k {
                Index::At(i) => self.index_dim_in_place(dim, *i)?,
                // `dim` stays below the dimensions the layout has at each step (the key was
                // counted against them above), so none of these additions overflow.
                Index::Slice(s) => {
                    self.slice_dim_in_place(dim, *s)?;
                    dim = dim.saturating_add(1);
                }
                Index::Ellipsis => dim = dim.saturating_add(ndim.saturating_sub(consuming)),
                Index::NewAxis => {
                    self.new_axis_in_place(dim)?;
                    dim = dim.saturating_add(1);
                }
            }
        }
        Ok(())
    }

    /// Reverses the order of the dimensions (a view). Indirect layouts keep their pointer
    /// dimensions first, so they cannot be transposed (see [`permute`](Self::permute)).
    ///
    /// ```
    /// let l = strided::StridedLayout::contiguous(1, &[2, 3]).unwrap();
    /// assert_eq!(l.transpose().unwrap().shape(), &[3, 2]);
    /// ```
    pub fn transpose(&self) -> Result<StridedLayout, LayoutError> {
        let axes: SmallVec<[usize; 8]> = (0..self.ndim()).rev().collect();
        self.permute(&axes)
    }

    /// Reorders the dimensions: dimension `k` of the result is dimension `axes[k]` of this one.
    ///
    /// ```
    /// let l = strided::StridedLayout::contiguous(1, &[2, 3, 4]).unwrap();
    /// assert_eq!(l.permute(&[2, 0, 1]).unwrap().shape(), &[4, 2, 3]);
    /// assert!(l.permute(&[0, 0, 1]).is_err());
    /// ```
    pub fn permute(&self, axes: &[usize]) -> Result<StridedLayout, LayoutError> {
        let n = self.ndim();
        let mut seen = [false; MAX_NDIM];
        let mut repeated = |a: usize| seen.get_mut(a).is_none_or(|s| std::mem::replace(s, true));
        if axes.len() != n || axes.iter().any(|&a| a >= n || repeated(a)) {
            return Err(LayoutError::BadAxes(axes.to_vec()));
        }
        // A pointer dimension is followed where it stands: moving it, or moving a direct
        // dimension in front of it, would step through the pointer table with a row's stride.
        let last_indirect = self.suboffsets.as_ref().and_then(|s| s.iter().rposition(|&x| x >= 0));
        if let Some(last) = last_indirect {
            if axes.iter().take(last.saturating_add(1)).enumerate().any(|(k, &a)| k != a) {
                return Err(LayoutError::Indirect("moving a dimension across a pointer dimension"));
            }
        }
        // `axes` is a permutation of `0..n` (checked above): every `a` indexes the arrays.
        let mut out = self.clone();
        out.shape = axes.iter().filter_map(|&a| self.shape.get(a).copied()).collect();
        out.strides = axes.iter().filter_map(|&a| self.strides.get(a).copied()).collect();
        if let Some(s) = self.suboffsets.as_ref() {
            out.suboffsets = Some(Box::new(axes.iter().filter_map(|&a| s.get(a).copied()).collect()));
        }
        Ok(out)
    }

    /// [`permute`](Self::permute) in place; on error the layout is unchanged.
    pub fn permute_in_place(&mut self, axes: &[usize]) -> Result<(), LayoutError> {
        *self = self.permute(axes)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Slice;

    #[test]
    fn clones_equal_their_source_inline_and_spilled() {
        for ndim in 0..=6 {
            let shape: Vec<usize> = (2..2 + ndim).collect();
            let l = StridedLayout::contiguous(2, &shape).unwrap().with_suboffsets(&vec![-1; ndim]).unwrap();
            let mut c = l.clone();
            assert_eq!(c, l);
            assert_eq!((c.shape.spilled(), c.strides.spilled()), (ndim > 4, ndim > 4));
            // A clone is its own: changing it leaves the source as it was.
            if ndim > 0 {
                c.slice_dim_in_place(0, Slice::new(Some(1), None, None)).unwrap();
                assert_eq!((c.shape()[0], l.shape()[0]), (1, 2));
            }
        }
    }

    #[test]
    fn a_zero_extent_anywhere_is_an_empty_layout_whatever_comes_before_it() {
        // The product of the first two extents alone overflows: counted in order it would
        // overflow before reaching the zero.
        let l = StridedLayout::new(1, &[1 << 40, 1 << 40, 0], &[0, 0, 1], 0).unwrap();
        assert_eq!((l.len(), l.nbytes(), l.is_empty()), (0, 0, true));
        assert_eq!(l.extent().unwrap(), None);
        let t = l.transpose().unwrap();
        assert_eq!(t.len(), 0);
        assert!(StridedLayout::new(1, &[1 << 40, 1 << 40, 1], &[0, 0, 1], 0).is_err());
    }

    #[test]
    fn cast_nd_refuses_a_layout_whose_bytes_are_not_contiguous_from_its_offset() {
        let l = StridedLayout::new(1, &[5], &[-2], isize::MAX - 1).unwrap();
        let t = l.transpose().unwrap();
        assert_eq!(t.cast_nd(1, &[1, 5]).unwrap_err(), LayoutError::CastNotContiguous);
        // A contiguous layout near the end of the address space stays inside it.
        let c = StridedLayout::new(1, &[5], &[1], isize::MAX - 5).unwrap();
        let nd = c.cast_nd(1, &[1, 5]).unwrap();
        assert_eq!(nd.extent().unwrap(), Some((isize::MAX - 5, isize::MAX)));
    }

    #[test]
    fn slices_of_at_most_one_item_have_no_stride_to_overflow() {
        let l = StridedLayout::contiguous(8, &[4]).unwrap();
        // CPython stores the wrapped product, which `.strides` shows.
        let one = l.slice_dim(0, Slice::new(Some(1), Some(2), Some(1 << 62))).unwrap();
        assert_eq!((one.shape(), one.strides(), one.offset()), (&[1][..], &[0][..], 8));
        let max = l.slice_dim(0, Slice::new(Some(1), Some(2), Some(isize::MAX))).unwrap();
        assert_eq!(max.strides(), &[-8]);
        // Its empty slice moves the start by the wrapped stride, or not at all past isize.
        let empty = max.slice_dim(0, Slice::new(Some(isize::MAX), None, None)).unwrap();
        assert_eq!((empty.shape(), empty.offset()), (&[0][..], 0));
        let huge = StridedLayout::new(1, &[1], &[isize::MAX], 0).unwrap();
        let past = huge.slice_dim(0, Slice::new(Some(1), None, None)).unwrap();
        assert_eq!(past.len(), 0);
        assert_eq!(l.slice_dim(0, Slice::new(None, None, Some(1 << 61))).unwrap().len(), 1);
        // Two items or more: the product lies within the dimension's checked extent.
        let wide = StridedLayout::new(8, &[3], &[1 << 61], 0).unwrap();
        assert_eq!(wide.slice_dim(0, Slice::new(None, None, Some(2))).unwrap().strides(), &[1 << 62]);
    }
}
