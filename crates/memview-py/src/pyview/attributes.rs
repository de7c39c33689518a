//! The view's attributes: `obj`, `nbytes`, `readonly`, `itemsize`, `format`, `ndim`, `shape`,
//! `strides`, `suboffsets` and the contiguity flags.

use super::*;
use smallvec::SmallVec;

#[pymethods]
impl PyMemoryView {
    /// The object whose memory this view shows (`None` for memory exported from Rust).
    #[getter]
    fn obj(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.live_in(py, |_, _| Ok(()))?;
        Ok(self.obj.as_ref().map_or_else(|| py.None(), |o| o.clone_ref(py)))
    }

    /// The size of the view's items in bytes: `len(m.tobytes())`, `product(shape) * itemsize`.
    #[getter]
    fn nbytes(&self, py: Python<'_>) -> PyResult<usize> {
        self.live_in(py, |v, _| Ok(v.nbytes()))
    }

    /// Whether the memory is read-only.
    #[getter]
    fn readonly(&self, py: Python<'_>) -> PyResult<bool> {
        self.live_in(py, |v, _| Ok(v.readonly()))
    }

    /// The size in bytes of one item.
    #[getter]
    fn itemsize(&self, py: Python<'_>) -> PyResult<usize> {
        self.live_in(py, |v, _| Ok(v.itemsize()))
    }

    /// The format of one item, in `struct` module syntax (`'B'` for bytes); PEP 3118
    /// extensions such as `'T{<i:x:<d:y:}'` where the exporter gives them.
    #[getter]
    fn format(&self, py: Python<'_>) -> PyResult<String> {
        self.live_in(py, |v, _| Ok(v.format().to_owned()))
    }

    /// The number of dimensions.
    #[getter]
    fn ndim(&self, py: Python<'_>) -> PyResult<usize> {
        self.live_in(py, |v, _| Ok(v.ndim()))
    }

    /// The extent of each dimension, a tuple of `ndim` ints.
    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        // A live 1-D view: its one extent is its length, kept outside the lock.
        if self.ndim == 1 {
            if let Some(n) = self.hot.len() {
                return PyTuple::new(py, [n]);
            }
        }
        // Copied out under the lock (no heap for up to 8 dimensions), the tuple made after it.
        let s: SmallVec<[_; 8]> = self.live_in(py, |v, _| Ok(SmallVec::from_slice(v.shape())))?;
        PyTuple::new(py, s)
    }

    /// The step in bytes along each dimension, a tuple of `ndim` ints (negative steps
    /// walk backwards).
    #[getter]
    fn strides<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        // Copied out under the lock (no heap for up to 8 dimensions), the tuple made after it.
        let s: SmallVec<[_; 8]> = self.live_in(py, |v, _| Ok(SmallVec::from_slice(v.strides())))?;
        PyTuple::new(py, s)
    }

    /// The suboffsets of a PIL-style (indirect) layout, or `()` for a direct one.
    #[getter]
    fn suboffsets<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        // Copied out under the lock (no heap for up to 8 dimensions), the tuple made after it.
        let s: SmallVec<[_; 8]> = self.live_in(py, |v, _| Ok(SmallVec::from_slice(v.suboffsets())))?;
        PyTuple::new(py, s)
    }

    /// Whether the items are laid out in C (row-major) order without gaps.
    #[getter]
    fn c_contiguous(&self, py: Python<'_>) -> PyResult<bool> {
        self.live_in(py, |v, _| Ok(v.c_contiguous()))
    }

    /// Whether the items are laid out in Fortran (column-major) order without gaps.
    #[getter]
    fn f_contiguous(&self, py: Python<'_>) -> PyResult<bool> {
        self.live_in(py, |v, _| Ok(v.f_contiguous()))
    }

    /// Whether the items are laid out without gaps, in C or Fortran order.
    #[getter]
    fn contiguous(&self, py: Python<'_>) -> PyResult<bool> {
        self.live_in(py, |v, _| Ok(v.contiguous()))
    }
}
