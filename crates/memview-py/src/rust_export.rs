//! Rust memory handed to Python: any `Send` exporter as a `memview.memoryview`, and the
//! memory a frozen `#[pyclass]` owns, lent with its owner kept alive.

use crate::convert::view_err;
use crate::pyview::PyMemoryView;
use buffer_protocol::{BufferError, BufferInfo, Element, Exporter, Flags};
use memview::MemoryView;
use pyo3::prelude::*;
use pyo3::pyclass::boolean_struct::True;
use pyo3::PyClass;

/// Hands a Rust exporter to Python as a `memview.memoryview`: zero-copy, with the
/// exporter's own rules (a `Vec<T>` is read-only, a `ByteArray` or a writable `NdArray` is
/// writable), and every request flag answered as CPython's exporters answer it. Python's
/// `memoryview()`, `bytes()`, `numpy.asarray()` and `struct` functions accept the result.
///
/// ```
/// use buffer_protocol::NdArray;
/// use pyo3::prelude::*;
/// Python::attach(|py| -> PyResult<()> {
///     // A 2x3 Fortran-order array of doubles.
///     let bytes: Vec<u8> = (0..6).flat_map(|i| f64::from(i).to_ne_bytes()).collect();
///     let nd = NdArray::new(bytes, "d", 8, &[2, 3], &[8, 16], 0, true).unwrap();
///     let view = memview_py::export(py, nd)?;
///     let f_contiguous: bool = view.getattr(py, "f_contiguous")?.extract(py)?;
///     assert!(f_contiguous);
///     Ok(())
/// }).unwrap();
/// ```
pub fn export<E: Exporter + Send + 'static>(py: Python<'_>, exporter: E) -> PyResult<Py<PyMemoryView>> {
    let view = MemoryView::new(exporter).map_err(view_err)?;
    crate::lifecycle::new_object(py, PyMemoryView::from_core(view, None))
}

/// The memory of a frozen `#[pyclass]`, lent to Python read-only: `field` picks the slice
/// of numbers to lend, the view keeps `owner` alive, and no `unsafe` code is needed.
///
/// A frozen class cannot be mutated through `&self`, so the slice stays valid and
/// unchanged for as long as the view holds the owner.
///
/// ```
/// use pyo3::prelude::*;
///
/// #[pyclass(frozen)]
/// struct Image { pixels: Vec<u16> }
///
/// #[pymethods]
/// impl Image {
///     /// `image.pixels` as a `memview.memoryview` over the Rust memory.
///     #[getter]
///     fn pixels(slf: Bound<'_, Self>) -> PyResult<Py<memview_py::PyMemoryView>> {
///         memview_py::export_field(slf, |image: &Image| &image.pixels[..])
///     }
/// }
/// ```
pub fn export_field<T, E>(owner: Bound<'_, T>, field: fn(&T) -> &[E]) -> PyResult<Py<PyMemoryView>>
where
    T: PyClass<Frozen = True> + Sync,
    E: Element,
{
    let py = owner.py();
    let lent = Lent { owner: owner.unbind(), field };
    let view = MemoryView::new(lent).map_err(view_err)?;
    crate::lifecycle::new_object(py, PyMemoryView::from_core(view, None))
}

/// The exporter of [`export_field`]: a frozen Python object and the slice it lends.
struct Lent<T: PyClass<Frozen = True> + Sync, E: Element> {
    owner: Py<T>,
    field: fn(&T) -> &[E],
}

// SAFETY: the slice is borrowed from a frozen object that `owner` (a strong reference) keeps
// alive and unmoved while this exporter lives; a frozen class gives out no `&mut` to itself,
// and `E` has no interior mutability (`Element`s are plain numbers), so nothing writes the
// slice; it is exported read-only.
unsafe impl<T: PyClass<Frozen = True> + Sync, E: Element> Exporter for Lent<T, E> {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        (self.field)(self.owner.get()).get_buffer(flags)
    }
    fn frozen(&self) -> bool {
        true
    }
}
