//! Layouts of the same bytes in another shape: NumPy's copy-free `reshape`, and the rules of
//! `memoryview.cast` (1-D to N-D and back).

use super::*;

impl StridedLayout {
    /// A new layout of the same bytes with another shape, without copying, where strides
    /// allow (NumPy's `reshape` rule for views; beyond what `memoryview.cast` can do).
    ///
    /// ```
    /// let l = strided::StridedLayout::contiguous(4, &[6]).unwrap();
    /// let r = l.reshape(&[2, 3]).unwrap();
    /// assert_eq!(r.strides(), &[12, 4]);
    /// let t = strided::StridedLayout::contiguous(4, &[2, 3]).unwrap().transpose().unwrap();
    /// assert!(t.reshape(&[6]).is_err());
    /// ```
    // Every index below is guarded by the loop's own conditions (`oi`, `ni` > 0 before
    // `oi - 1`, `ni - 1`; `o0`, `n0` decremented only when non-zero; `k + 1 < oi`), and the
    // products of extents are checked: excepted from the crate's lint denials, argued here.
    #[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
    pub fn reshape(&self, shape: &[usize]) -> Result<StridedLayout, LayoutError> {
        if self.is_indirect() {
            return Err(LayoutError::Indirect("reshape"));
        }
        if checked_len(shape) != Some(self.len()) {
            return Err(LayoutError::ReshapeNeedsCopy(shape.to_vec()));
        }
        if self.is_c_contiguous() {
            let mut out = StridedLayout::contiguous(self.itemsize, shape)?;
            out.offset = self.offset;
            return Ok(out);
        }
        // Walk both shapes from the innermost dimension; each group of old dimensions that
        // maps to a group of new ones must be contiguous within itself.
        let old: Vec<(usize, isize)> =
            self.shape.iter().zip(&self.strides).filter(|(&n, _)| n != 1).map(|(&n, &s)| (n, s)).collect();
        let mut new_strides: Strides = SmallVec::from_elem(0, shape.len());
        let (mut oi, mut ni) = (old.len(), shape.len());
        while ni > 0 || oi > 0 {
            // Skip new dimensions of extent 1.
            if ni > 0 && shape[ni - 1] == 1 {
                new_strides[ni - 1] = self.itemsize as isize;
                ni -= 1;
                continue;
            }
            if ni == 0 || oi == 0 {
                return Err(LayoutError::ReshapeNeedsCopy(shape.to_vec()));
            }
            let (mut op, mut np) = (old[oi - 1].0, shape[ni - 1]);
            let (mut o0, mut n0) = (oi - 1, ni - 1);
            while op != np {
                if op < np {
                    if o0 == 0 {
                        return Err(LayoutError::ReshapeNeedsCopy(shape.to_vec()));
                    }
                    o0 -= 1;
                    op = op.checked_mul(old[o0].0).ok_or(LayoutError::Overflow("shape"))?;
                } else {
                    if n0 == 0 {
                        return Err(LayoutError::ReshapeNeedsCopy(shape.to_vec()));
                    }
                    n0 -= 1;
                    np = np.checked_mul(shape[n0]).ok_or(LayoutError::Overflow("shape"))?;
                }
            }
            for k in o0..oi - 1 {
                if Some(old[k].1) != old[k + 1].1.checked_mul(old[k + 1].0 as isize) {
                    return Err(LayoutError::ReshapeNeedsCopy(shape.to_vec()));
                }
            }
            // The last stride of a group may overflow past the group's extent: it is never
            // used then (the group's outermost dimension has no successor to step to).
            let mut st = Some(old[oi - 1].1);
            for k in (n0..ni).rev() {
                new_strides[k] = st.ok_or(LayoutError::Overflow("strides"))?;
                st = st.and_then(|x| x.checked_mul(shape[k] as isize));
            }
            oi = o0;
            ni = n0;
        }
        StridedLayout::new(self.itemsize, shape, &new_strides, self.offset)
    }

    /// `memoryview.cast(format)` as layout math: a C-contiguous view of `nbytes` bytes becomes a
    /// 1-D layout of `itemsize`-byte items. The format rules (which formats may be cast to
    /// which) are the caller's; this checks contiguity and divisibility.
    ///
    /// ```
    /// let l = strided::StridedLayout::contiguous(1, &[12]).unwrap();
    /// assert_eq!(l.cast_1d(4).unwrap().shape(), &[3]);
    /// assert!(l.cast_1d(5).is_err());
    /// ```
    pub fn cast_1d(&self, itemsize: usize) -> Result<StridedLayout, LayoutError> {
        if !self.is_c_contiguous() {
            return Err(LayoutError::CastNotContiguous);
        }
        if itemsize == 0 || !self.nbytes().is_multiple_of(itemsize) {
            return Err(LayoutError::CastLength);
        }
        let n = self.nbytes().checked_div(itemsize).ok_or(LayoutError::CastLength)?;
        StridedLayout::new(itemsize, &[n], &[itemsize as isize], self.offset)
    }

    /// The checks `memoryview.cast` makes of the source view before it looks at the format:
    /// C-contiguity, no zeros in the shape (unless a 1-D view is cast without a shape), at
    /// most 64 dimensions, and 1-D → N-D or N-D → 1-D only.
    ///
    /// ```
    /// let l = strided::StridedLayout::contiguous(1, &[2, 3]).unwrap();
    /// assert!(l.check_cast_source(Some(2)).is_err());
    /// assert!(l.check_cast_source(Some(1)).is_ok());
    /// ```
    pub fn check_cast_source(&self, new_ndim: Option<usize>) -> Result<(), LayoutError> {
        if !self.is_c_contiguous() {
            return Err(LayoutError::CastNotContiguous);
        }
        if (new_ndim.is_some() || self.ndim() != 1) && self.is_empty() {
            return Err(LayoutError::CastZeros);
        }
        if let Some(n) = new_ndim {
            if n > MAX_NDIM {
                return Err(LayoutError::TooManyDims);
            }
            if self.ndim() != 1 && n != 1 {
                return Err(LayoutError::CastNdToNd);
            }
        }
        Ok(())
    }

    /// `memoryview.cast(format, shape)`'s last step: a C-contiguous layout of `shape` over the
    /// same bytes, with CPython's checks of the shape (positive elements, no overflow, equal
    /// size). `shape` holds the requested values as given (they may be zero or negative).
    ///
    /// ```
    /// let l = strided::StridedLayout::contiguous(1, &[12]).unwrap();
    /// let c = l.cast_nd(4, &[3, 1]).unwrap();
    /// assert_eq!((c.shape(), c.strides()), (&[3, 1][..], &[4, 4][..]));
    /// assert!(l.cast_nd(4, &[2]).is_err());
    /// ```
    pub fn cast_nd(&self, itemsize: usize, shape: &[i128]) -> Result<StridedLayout, LayoutError> {
        // The new layout lays the bytes out contiguously from the offset: only a C-contiguous
        // source holds its bytes there (another one could reach past `isize::MAX` from it).
        if !self.is_c_contiguous() {
            return Err(LayoutError::CastNotContiguous);
        }
        // CPython's `copy_shape` counts bytes from the item size on: a shape whose product
        // fits but whose byte size does not is "product(shape) > SSIZE_MAX" too.
        let mut nbytes: usize = itemsize;
        let mut dims: Shape = SmallVec::new();
        for &x in shape {
            if x <= 0 {
                return Err(LayoutError::CastShapeElement);
            }
            let x = usize::try_from(x).map_err(|_| LayoutError::CastShapeOverflow)?;
            nbytes =
                nbytes.checked_mul(x).filter(|&n| n <= isize::MAX as usize).ok_or(LayoutError::CastShapeOverflow)?;
            dims.push(x);
        }
        if nbytes != self.nbytes() {
            return Err(LayoutError::CastSize);
        }
        let mut out = StridedLayout::contiguous(itemsize, &dims)?;
        out.offset = self.offset;
        Ok(out)
    }
}
