//! The Python bridge of memview.
//!
//! * **Python buffers into Rust**: [`PyBufferExporter`] acquires any object's buffer
//!   (`PyObject_GetBuffer`) as a memview [`Exporter`](buffer_protocol::Exporter), released
//!   exactly once; [`import`] makes a [`MemoryView`] of it in one call. Every format and
//!   layout CPython can describe comes through (multi-character, non-native, PEP 3118
//!   records, strided, negative strides, PIL suboffsets); the descriptor is checked at the
//!   trust boundary first (see `docs/ARCHITECTURE.md`).
//! * **Rust memory into Python**: [`export`] turns any `Send` exporter (a `Vec`, an
//!   `NdArray`, a `ByteArray`, ...) into a `memview.memoryview`, which Python's
//!   `memoryview()`, `bytes()`, `numpy.asarray()`, `struct.unpack_from()` and file writes
//!   all accept; [`export_field`] lends the memory a frozen `#[pyclass]` owns, keeping its
//!   owner alive, with no `unsafe` and no raw `Py_buffer` in user code.
//! * **The `memview` Python package**: `memview.memoryview` (the builtin's API, exactly,
//!   plus N-D keys, `nd[...]`, transposes and record fields) and `memview.struct` (the
//!   `struct` module over `format-codec`), built by `cargo xtask py build`.
//!
//! ```
//! use pyo3::prelude::*;
//! Python::attach(|py| -> PyResult<()> {
//!     // Rust memory to Python, zero-copy:
//!     let view = memview_py::export(py, vec![1.5f64, 2.5])?;
//!     let total: f64 = py.eval(c"sum", None, None)?.call1((view,))?.extract()?;
//!     assert_eq!(total, 4.0);
//!     // A Python buffer to Rust:
//!     let array = py.eval(c"__import__('array').array('i', [1, 2, 3])", None, None)?;
//!     let m = memview_py::import(&array)?;
//!     assert_eq!(m.typed::<i32>().unwrap().to_vec().unwrap(), [1, 2, 3]);
//!     Ok(())
//! }).unwrap();
//! ```
//!
//! # Threads
//!
//! memview's `MemoryView` is `!Send` (views of one acquisition share an `Rc`). The Python
//! types are `Send + Sync` all the same: each view belongs to a *family* (the views of one
//! acquisition), and a family's views are touched only under the family's lock, which is
//! never held while Python code runs. See the `family` module and `docs/ARCHITECTURE.md`.
#![deny(unsafe_code)]
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

// `convert` calls the C API for what PyO3 does not wrap (`PyNumber_AsSsize_t`,
// `PyFloat_AsDouble`, `PyIndex_Check`); `rust_export` implements the `Exporter` contract.
#[allow(unsafe_code)]
mod convert;
// Arrow's C data interface: capsules of schemas and arrays, released once.
#[allow(unsafe_code)]
mod arrow;
// The unsafe modules: the family lock that makes the `!Send` core shareable by threads,
// `Py_buffer`s read at the trust boundary and released once, and `Py_buffer`s filled for
// Python consumers.
// DLPack capsules: tensors that hold a buffer of a view, freed once by their deleter.
#[allow(unsafe_code)]
mod dlpack;
#[allow(unsafe_code)]
mod export;
#[allow(unsafe_code)]
mod family;
// Fills lists straight from memory (`PyList_New`/`PyList_SET_ITEM`).
#[allow(unsafe_code)]
mod fastlist;
// Numbers read and written without the family's lock, through a layout kept beside it.
#[allow(unsafe_code)]
mod hot;
#[allow(unsafe_code)]
mod import;
// `memview.memoryview` objects allocated with their value written in place, and freed
// without PyO3's trampoline when they hold no core view.
#[allow(unsafe_code)]
mod lifecycle;
#[allow(unsafe_code)]
mod pystruct;
#[allow(unsafe_code)]
mod pyview;
#[allow(unsafe_code)]
mod rust_export;
// `m[i]`, `m[a:b:c]`, `m[i] = v`, `len(m)`, `memoryview(x)` and `tobytes()` entered from
// CPython without PyO3's trampoline.
#[allow(unsafe_code)]
mod slots;
// 1-D views of an imported run as numbers, made into core views when first needed.
#[allow(unsafe_code)]
mod span;
// Implements the `Exporter` contract for a shared `ByteArray`.
#[allow(unsafe_code)]
mod testing;

pub use crate::convert::error_type as struct_error_type;
pub use crate::import::PyBufferExporter;
pub use crate::pystruct::PyStruct;
pub use crate::pyview::{MemoryIter, NdIndexer, PyMemoryView};
pub use crate::rust_export::{export, export_field};

use buffer_protocol::Flags;
use memview::MemoryView;
use pyo3::prelude::*;

/// A view of any Python object's buffer, as `memoryview(obj)` requests it
/// (`PyBUF_FULL_RO`: writable if the exporter allows it). The exporter stays alive and
/// exported until the last view of it is dropped, then is released once.
///
/// ```
/// use pyo3::prelude::*;
/// Python::attach(|py| -> PyResult<()> {
///     let data = pyo3::types::PyByteArray::new(py, b"hello");
///     let m = memview_py::import(data.as_any())?;
///     m.set(0, b'j').unwrap();
///     assert_eq!(data.to_vec(), b"jello");
///     Ok(())
/// }).unwrap();
/// ```
pub fn import(obj: &Bound<'_, PyAny>) -> PyResult<MemoryView<'static>> {
    import::owned_view(obj, Flags::FULL_RO)
}

/// A view of a Python object's buffer requested with chosen flags (`Flags::WRITABLE` to
/// refuse read-only memory up front, `Flags::C_CONTIGUOUS`, ...), CPython's `BufferError`
/// when the exporter refuses.
///
/// ```
/// use memview::Flags;
/// use pyo3::prelude::*;
/// Python::attach(|py| {
///     let data = pyo3::types::PyBytes::new(py, b"abc");
///     assert!(memview_py::import_with(data.as_any(), Flags::FULL).is_err()); // read-only
/// });
/// ```
pub fn import_with(obj: &Bound<'_, PyAny>, flags: Flags) -> PyResult<MemoryView<'static>> {
    import::owned_view(obj, flags)
}

/// Runs `f` on a view of `obj`'s buffer held for this call only, as `memoryview(obj)`
/// requests it (`PyBUF_FULL_RO`): the cheapest import, for the extension function that reads
/// or writes its argument and returns. No Python object and no heap `Py_buffer` are made;
/// the buffer is checked at the trust boundary as [`import`]'s is, and released when `f`
/// returns (views made inside `f` cannot outlive it: they borrow the call). Use [`import`]
/// for a view that outlives the call.
///
/// ```
/// use pyo3::prelude::*;
/// Python::attach(|py| -> PyResult<()> {
///     let array = py.eval(c"__import__('array').array('d', [0.5, 1.5, 2.0])", None, None)?;
///     let total = memview_py::with_buffer(&array, |m| m.typed::<f64>().map(|t| t.sum()))?;
///     assert_eq!(total.unwrap(), 4.0);
///     // Strided and non-native layouts come through too, where a slice would not:
///     let np_like = py.eval(c"memoryview(bytes(range(8)))[::2]", None, None)?;
///     assert_eq!(memview_py::with_buffer(&np_like, |m| m.to_bytes().unwrap())?, [0, 2, 4, 6]);
///     Ok(())
/// }).unwrap();
/// ```
#[doc(alias = "PyObject_GetBuffer")]
pub fn with_buffer<R>(obj: &Bound<'_, PyAny>, f: impl for<'v> FnOnce(&MemoryView<'v>) -> R) -> PyResult<R> {
    import::with_buffer_flags(obj, Flags::FULL_RO, f)
}

/// [`with_buffer`] with chosen request flags (`Flags::FULL` to write: read-only memory is
/// refused up front with CPython's `BufferError`).
///
/// ```
/// use memview::Flags;
/// use pyo3::prelude::*;
/// Python::attach(|py| -> PyResult<()> {
///     let data = pyo3::types::PyByteArray::new(py, b"abc");
///     memview_py::with_buffer_flags(data.as_any(), Flags::FULL, |m| m.set(0, b'x').unwrap())?;
///     assert_eq!(data.to_vec(), b"xbc");
///     let frozen = pyo3::types::PyBytes::new(py, b"abc");
///     assert!(memview_py::with_buffer_flags(frozen.as_any(), Flags::FULL, |_| ()).is_err());
///     Ok(())
/// }).unwrap();
/// ```
pub fn with_buffer_flags<R>(
    obj: &Bound<'_, PyAny>,
    flags: Flags,
    f: impl for<'v> FnOnce(&MemoryView<'v>) -> R,
) -> PyResult<R> {
    import::with_buffer_flags(obj, flags, f)
}

/// The guide for extension authors (`docs/extension-authors.md`); its Rust examples are doc
/// tests of this crate.
#[doc = include_str!("../../../docs/extension-authors.md")]
pub mod guide {}

/// Whether the running interpreter is CPython 3.12 or later, where a few memoryview results
/// changed: `len` of a 0-dim view is a `TypeError`, half floats (`e`) are items and a cast
/// format, struct's range errors have one message.
pub(crate) fn python_3_12(py: Python<'_>) -> bool {
    *NEWER.get_or_init(|| py.version_info() >= (3, 12))
}

static NEWER: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// Whether half floats are memoryview items here (CPython 3.12 on); known once the module
/// is initialised, which every Python-facing path follows.
pub(crate) fn half_items() -> bool {
    NEWER.get().copied().unwrap_or(false)
}

/// The `memview` extension module: `memview._memview` with the `memoryview` type and the
/// `struct` submodule (the package's `__init__.py` re-exports them).
/// `memview.from_dlpack(x)`: a view of the items of any DLPack producer (NumPy arrays, and
/// anything else with `__dlpack__`), without a copy; read-only when the producer says so
/// (versioned tensors), CPU only. The producer's deleter runs once, when the last view of
/// the tensor is gone.
#[pyfunction]
#[pyo3(signature = (x, /))]
fn from_dlpack(py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<pyview::PyMemoryView> {
    let kwargs = pyo3::types::PyDict::new(py);
    kwargs.set_item("max_version", (1, 1))?;
    let capsule = match x.call_method("__dlpack__", (), Some(&kwargs)) {
        Ok(c) => c,
        // A producer of an older standard, which knows no `max_version`.
        Err(e) if e.is_instance_of::<pyo3::exceptions::PyTypeError>(py) => x.call_method0("__dlpack__")?,
        Err(e) => return Err(e),
    };
    let tensor = dlpack::take(&capsule)?;
    let view = MemoryView::new(tensor).map_err(convert::view_err)?;
    Ok(pyview::PyMemoryView::from_core(view, Some(x.clone().unbind())))
}

#[pymodule]
fn _memview(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    python_3_12(py);
    m.add_class::<PyMemoryView>()?;
    slots::install(py)?;
    slots::install_methods(py)?;
    lifecycle::install(py, PyMemoryView::probe())?;
    m.add_function(wrap_pyfunction!(from_dlpack, m)?)?;
    m.add_class::<MemoryIter>()?;
    m.add_class::<NdIndexer>()?;
    let st = PyModule::new(py, "struct")?;
    pystruct::module(&st)?;
    m.add_submodule(&st)?;
    let testing = PyModule::new(py, "_testing")?;
    testing::module(&testing)?;
    m.add_submodule(&testing)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
