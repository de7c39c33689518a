//! Iteration: over the items of a 1-D view, the rows of an N-D view, any axis.

use super::{MemoryView, Subscript};
use crate::raw::Select;
use crate::ViewError;
use format_codec::Value;
use smallvec::SmallVec;
use strided::{Index, LayoutError, Slice};

/// The sub-views of a view along one axis, in order: [`MemoryView::outer_iter`] and
/// [`MemoryView::axis_iter`]. Each is a view of `ndim - 1` dimensions (0 for a 1-D view),
/// made without copying; the iterator is double-ended and knows its length.
///
/// ```
/// use memview::MemoryView;
/// let m = MemoryView::from_bytes(b"abcdef").cast_shape("B", &[2, 3]).unwrap();
/// let rows: Vec<Vec<u8>> = m.outer_iter().unwrap().map(|r| r.to_bytes().unwrap()).collect();
/// assert_eq!(rows, [b"abc".to_vec(), b"def".to_vec()]);
/// let columns = m.axis_iter(1).unwrap();
/// assert_eq!(columns.len(), 3);
/// let last = columns.rev().next().unwrap();
/// assert_eq!(last.to_bytes().unwrap(), b"cf");
/// ```
#[derive(Debug, Clone)]
pub struct AxisIter<'a> {
    view: MemoryView<'a>,
    axis: usize,
    front: usize,
    back: usize,
}

impl<'a> AxisIter<'a> {
    fn at(&self, i: usize) -> Option<MemoryView<'a>> {
        let mut key: SmallVec<[Index; 8]> = SmallVec::from_elem(Index::Slice(Slice::full()), self.axis);
        key.push(Index::At(i as isize));
        // Every index in range selects like the first and the last, which `axis_iter` made.
        self.view.selected(Select::Key(&key)).ok()
    }
}

impl<'a> Iterator for AxisIter<'a> {
    type Item = MemoryView<'a>;

    fn next(&mut self) -> Option<MemoryView<'a>> {
        if self.front >= self.back {
            return None;
        }
        self.front += 1;
        self.at(self.front - 1)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.back - self.front;
        (n, Some(n))
    }
}

impl DoubleEndedIterator for AxisIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front >= self.back {
            return None;
        }
        self.back -= 1;
        self.at(self.back)
    }
}

impl ExactSizeIterator for AxisIter<'_> {}

impl std::iter::FusedIterator for AxisIter<'_> {}

/// NumPy's iteration of a view: the items of a 1-D view, the rows (sub-views) of an N-D one.
/// See [`MemoryView::iter`].
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    rows: AxisIter<'a>,
    items: bool,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Result<Subscript<'a>, ViewError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.items {
            // Items of a 1-D view: read in place, no view made per item.
            let r = &mut self.rows;
            if r.front >= r.back {
                return None;
            }
            r.front += 1;
            return Some(r.view.read_item(&[(r.front - 1) as isize]).map(Subscript::Item));
        }
        let row = self.rows.next()?;
        Some(Ok(Subscript::View(Box::new(row))))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.rows.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.items {
            let r = &mut self.rows;
            if r.front >= r.back {
                return None;
            }
            r.back -= 1;
            return Some(r.view.read_item(&[r.back as isize]).map(Subscript::Item));
        }
        let row = self.rows.next_back()?;
        Some(Ok(Subscript::View(Box::new(row))))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> MemoryView<'a> {
    /// The sub-views along `axis` (0 for rows): views of one dimension less, no copy.
    /// Refused for a 0-D view, an axis past the last, and a pointer (suboffset) axis, whose
    /// items cannot be selected one by one without following the pointers.
    ///
    /// ```
    /// let m = memview::MemoryView::from_bytes(&[1, 2, 3, 4, 5, 6]).cast_shape("B", &[3, 2]).unwrap();
    /// let sums: Vec<u64> = m.axis_iter(1).unwrap().map(|c| c.typed::<u8>().unwrap().sum()).collect();
    /// assert_eq!(sums, [9, 12]);
    /// assert!(m.axis_iter(2).is_err());
    /// ```
    pub fn axis_iter(&self, axis: usize) -> Result<AxisIter<'a>, ViewError> {
        let ndim = self.ndim();
        let len = *self.shape().get(axis).ok_or(LayoutError::NoSuchDim { dim: axis, ndim })?;
        let it = AxisIter { view: self.clone(), axis, front: 0, back: len };
        if len > 0 {
            // Selections differ only in an in-range offset: if the first and the last can be
            // made, all can.
            let key = |i: usize| {
                let mut k: SmallVec<[Index; 8]> = SmallVec::from_elem(Index::Slice(Slice::full()), axis);
                k.push(Index::At(i as isize));
                k
            };
            self.selected_ref(Select::Key(&key(0)))?;
            self.selected_ref(Select::Key(&key(len - 1)))?;
        }
        Ok(it)
    }

    /// The rows of the view: [`axis_iter(0)`](Self::axis_iter).
    ///
    /// ```
    /// let m = memview::MemoryView::from_bytes(b"abcd").cast_shape("B", &[2, 2]).unwrap();
    /// assert_eq!(m.outer_iter().unwrap().map(|r| r.shape().to_vec()).collect::<Vec<_>>(), [[2], [2]]);
    /// ```
    pub fn outer_iter(&self) -> Result<AxisIter<'a>, ViewError> {
        self.axis_iter(0)
    }

    /// NumPy's `for x in m`: the items of a 1-D view ([`Subscript::Item`]), the rows of an
    /// N-D view ([`Subscript::View`]). A 0-D view cannot be iterated (CPython's `TypeError`).
    /// For CPython's own iteration, which refuses N-D views, see [`values`](Self::values).
    ///
    /// ```
    /// use memview::{MemoryView, Subscript};
    /// let m = MemoryView::from_bytes(b"abcd").cast_shape("B", &[2, 2]).unwrap();
    /// for row in m.iter().unwrap() {
    ///     let row = row.unwrap().into_view().unwrap();
    ///     let items: Vec<_> = row.iter().unwrap().map(|x| x.unwrap().into_value().unwrap()).collect();
    ///     assert_eq!(items.len(), 2);
    /// }
    /// ```
    pub fn iter(&self) -> Result<Iter<'a>, ViewError> {
        if self.ndim() == 0 {
            return Err(ViewError::InvalidKey("invalid indexing of 0-dim memory"));
        }
        let items = self.ndim() == 1;
        if items {
            self.check_item_format()?;
        }
        Ok(Iter { rows: self.outer_iter()?, items })
    }

    /// CPython's `iter(m)`: the decoded items of a 1-D view, with CPython's errors for other
    /// views (`NotImplementedError` for N-D; the format is checked when the iterator is
    /// made).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[3, 1, 3]);
    /// let items: Vec<_> = v.values().unwrap().collect::<Result<_, _>>().unwrap();
    /// assert_eq!(items, vec![3.into(), 1.into(), 3.into()]);
    /// let grid = v.cast_shape("B", &[3, 1]).unwrap();
    /// assert!(grid.values().is_err());
    /// ```
    pub fn values(&self) -> Result<impl ExactSizeIterator<Item = Result<Value, ViewError>> + '_, ViewError> {
        match self.ndim() {
            0 => return Err(ViewError::InvalidKey("invalid indexing of 0-dim memory")),
            1 => {}
            _ => return Err(ViewError::NotImplemented("multi-dimensional sub-views are not implemented")),
        }
        self.check_item_format()?;
        let n = self.shape()[0];
        Ok((0..n).map(move |i| self.read_item(&[i as isize])))
    }

    /// `m.count(value)`: how many items equal `value` (1-D views).
    ///
    /// ```
    /// assert_eq!(memview::MemoryView::from_bytes(b"aba").count(&97.into()).unwrap(), 2);
    /// ```
    pub fn count(&self, value: &Value) -> Result<usize, ViewError> {
        let mut n = 0;
        for item in self.values()? {
            n += usize::from(item? == *value);
        }
        Ok(n)
    }

    /// `m.index(value)`: the position of the first item equal to `value` (1-D views), or
    /// CPython's `ValueError`.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"aba");
    /// assert_eq!(v.index(&98.into()).unwrap(), 1);
    /// assert!(v.index(&9.into()).is_err());
    /// ```
    pub fn index(&self, value: &Value) -> Result<usize, ViewError> {
        for (i, item) in self.values()?.enumerate() {
            if item? == *value {
                return Ok(i);
            }
        }
        Err(ViewError::NotFound)
    }
}
