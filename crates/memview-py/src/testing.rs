//! `memview._testing`: Rust exporters and a `#[pyclass]`/`#[pyfunction]` pair written as an
//! extension author writes them, so the bridge's Python tests (and the guide's examples)
//! exercise every direction of the bridge.

use crate::convert::view_err;
use crate::family::Member;
use crate::pyview::PyMemoryView;
use buffer_protocol::{BufferError, BufferInfo, ByteArray, Exporter, Flags, NdArray};
use memview::MemoryView;
use pyo3::exceptions::PyBufferError;
use pyo3::prelude::*;
use std::rc::Rc;

/// A `Vec<f64>` handed to Python (read-only, zero-copy).
#[pyfunction]
fn rust_vec_f64(py: Python<'_>, values: Vec<f64>) -> PyResult<Py<PyMemoryView>> {
    crate::export(py, values)
}

/// A strided `NdArray` of Rust memory handed to Python: any format, layout and offset;
/// `pil` makes it a PIL-style (suboffsets) array.
#[pyfunction]
#[pyo3(signature = (memory, format, itemsize, shape, strides, offset, readonly, pil = false))]
#[allow(clippy::too_many_arguments)] // the constructor's own arguments, one by one
fn rust_ndarray(
    py: Python<'_>,
    memory: Vec<u8>,
    format: &str,
    itemsize: usize,
    shape: Vec<usize>,
    strides: Vec<isize>,
    offset: isize,
    readonly: bool,
    pil: bool,
) -> PyResult<Py<PyMemoryView>> {
    let nd = NdArray::new(memory, format, itemsize, &shape, &strides, offset, readonly)
        .map_err(|e| PyBufferError::new_err(e.to_string()))?;
    let nd = if pil { nd.into_pil().map_err(|e| PyBufferError::new_err(e.to_string()))? } else { nd };
    crate::export(py, nd)
}

/// The exporter of [`RustByteArray`]'s views: the shared array.
struct SharedBytes(Rc<ByteArray>);

// SAFETY: forwarded to the `ByteArray`, which the `Rc` keeps alive; its own contract (no
// move or shrink while exported) holds through every clone of the `Rc`.
unsafe impl Exporter for SharedBytes {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        self.0.get_buffer(flags)
    }
    unsafe fn release_buffer(&self, info: &BufferInfo) {
        // SAFETY: forwarded: the caller's promises are the array's.
        unsafe { self.0.release_buffer(info) }
    }
}

/// A resizable Rust byte array shared with Python: `view()` exports it (writable), and
/// `resize` refuses while any view of it is alive, as `bytearray` does.
///
/// The array and its views are one family (see `family`): the array is `!Sync`, and the
/// lock serialises every use of it and of its export count.
#[pyclass(module = "memview._testing", frozen)]
pub(crate) struct RustByteArray {
    array: Member<Rc<ByteArray>>,
}

#[pymethods]
impl RustByteArray {
    #[new]
    fn new(data: Vec<u8>) -> RustByteArray {
        RustByteArray { array: Member::new(Rc::new(ByteArray::from(data))) }
    }

    /// A writable `memview.memoryview` of the array's bytes.
    fn view(slf: &Bound<'_, Self>) -> PyResult<PyMemoryView> {
        let owner = slf.clone().into_any().unbind();
        slf.get()
            .array
            .with(|array, held| {
                let array = array.as_ref().ok_or_else(|| PyBufferError::new_err("gone"))?;
                let view = MemoryView::new(SharedBytes(Rc::clone(array))).map_err(view_err)?;
                Ok(PyMemoryView::in_family(held, view, Some(owner)))
            })
            .map_err(|_| PyBufferError::new_err("array in use"))?
    }

    /// Resizes the array; `BufferError` while a view of it is alive.
    fn resize(&self, len: usize, fill: u8) -> PyResult<()> {
        self.array
            .with(|array, _| match array {
                Some(a) => a.resize(len, fill).map_err(|e| PyBufferError::new_err(e.to_string())),
                None => Err(PyBufferError::new_err("gone")),
            })
            .map_err(|_| PyBufferError::new_err("array in use"))?
    }

    /// The array's bytes (a copy).
    fn to_bytes(&self) -> PyResult<Vec<u8>> {
        self.array
            .with(|array, _| array.as_ref().map(|a| a.to_vec()).unwrap_or_default())
            .map_err(|_| PyBufferError::new_err("array in use"))
    }
}

/// An image as an extension author writes one: the pixels are Rust memory owned by a frozen
/// `#[pyclass]`, lent to Python with one safe call.
#[pyclass(module = "memview._testing", frozen)]
pub(crate) struct Image {
    width: usize,
    pixels: Vec<u16>,
}

#[pymethods]
impl Image {
    #[new]
    fn new(width: usize, height: usize) -> Image {
        let pixels = (0..width * height).map(|i| (i % 65_536) as u16).collect();
        Image { width, pixels }
    }

    /// The pixels as a `memview.memoryview` over the Rust memory (keeps the image alive).
    #[getter]
    fn pixels(slf: Bound<'_, Self>) -> PyResult<Py<PyMemoryView>> {
        crate::export_field(slf, |image: &Image| &image.pixels[..])
    }

    /// The pixels as rows: `pixels` cast to a `height x width` shape (through bytes, as
    /// `memoryview.cast` requires).
    #[getter]
    fn rows(slf: Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let width = slf.get().width;
        let height = slf.get().pixels.len() / width.max(1);
        let flat = crate::export_field(slf, |image: &Image| &image.pixels[..])?;
        let bytes = flat.call_method1(py, "cast", ("B",))?;
        bytes.call_method1(py, "cast", ("H", (height, width)))
    }
}

/// The sum of the bytes of any buffer (bytes, bytearray, array, NumPy arrays of any layout):
/// a `#[pyfunction]` as an extension author writes one (the guide's example, verbatim).
#[pyfunction]
fn byte_sum(obj: &Bound<'_, PyAny>) -> PyResult<u64> {
    let view = crate::import(obj)?; // PyObject_GetBuffer(PyBUF_FULL_RO)
    let bytes = view.to_bytes().map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    Ok(bytes.iter().map(|&b| u64::from(b)).sum())
}

/// A `#[pyfunction]` that doubles every `f64` of a writable buffer in place, any layout.
#[pyfunction]
fn double_in_place(obj: &Bound<'_, PyAny>) -> PyResult<()> {
    let view = crate::import_with(obj, Flags::FULL)?;
    let typed = view.typed::<f64>().map_err(view_err)?;
    let values: Vec<f64> = typed.iter().collect();
    for (i, x) in values.into_iter().enumerate() {
        let index = crate::convert::flat_index(view.shape(), i);
        typed.set(&index[..], x * 2.0).map_err(view_err)?;
    }
    Ok(())
}

/// Fills the `memview._testing` module.
pub(crate) fn module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(rust_vec_f64, m)?)?;
    m.add_function(wrap_pyfunction!(rust_ndarray, m)?)?;
    m.add_function(wrap_pyfunction!(byte_sum, m)?)?;
    m.add_function(wrap_pyfunction!(double_in_place, m)?)?;
    m.add_class::<RustByteArray>()?;
    m.add_class::<Image>()?;
    Ok(())
}
