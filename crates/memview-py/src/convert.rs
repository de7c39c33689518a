//! Values between Python and Rust: `Value` to Python objects, Python objects to `Value`s as
//! memoryview's `pack_single` and struct's packers read them, and errors to exceptions.

use format_codec::Value;
use memview::{PyExc, ViewError};
use pyo3::exceptions::{
    PyBufferError, PyIndexError, PyMemoryError, PyNotImplementedError, PyOverflowError, PyTypeError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::type_object::PyTypeInfo;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyComplex, PyFloat, PyList, PyTuple, PyType};
use pyo3::{ffi, IntoPyObjectExt};

/// `struct.error`: the exception class of the struct functions. It is CPython's own
/// `struct.error` (the class object of `_struct`), so `except struct.error` catches the errors
/// of `memview.struct` and the other way round.
///
/// ```
/// use pyo3::prelude::*;
/// Python::attach(|py| -> PyResult<()> {
///     let error = memview_py::struct_error_type(py)?;
///     assert!(error.is(&py.import("struct")?.getattr("error")?));
///     Ok(())
/// }).unwrap();
/// ```
pub fn error_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    static TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    TYPE.get_or_try_init(py, || Ok(py.import("_struct")?.getattr("error")?.cast_into::<PyType>()?.unbind()))
        .map(|t| t.bind(py))
}

/// A `struct.error` with a message.
pub(crate) fn struct_error(msg: impl Into<String>) -> PyErr {
    let msg = msg.into();
    Python::attach(|py| match error_type(py) {
        Ok(t) => PyErr::from_type(t.clone(), msg),
        Err(e) => e,
    })
}

/// The exception of a core error, with its message.
pub(crate) fn view_err(e: ViewError) -> PyErr {
    exc(e.python_exception(), e.to_string())
}

/// An exception of a kind, with a message (`struct.error` for [`PyExc::StructError`]).
pub(crate) fn exc(kind: PyExc, msg: String) -> PyErr {
    match kind {
        PyExc::StructError => struct_error(msg),
        PyExc::TypeError => PyTypeError::new_err(msg),
        PyExc::ValueError => PyValueError::new_err(msg),
        PyExc::IndexError => PyIndexError::new_err(msg),
        PyExc::OverflowError => PyOverflowError::new_err(msg),
        PyExc::NotImplementedError => PyNotImplementedError::new_err(msg),
        PyExc::BufferError => PyBufferError::new_err(msg),
        PyExc::MemoryError => PyMemoryError::new_err(msg),
    }
}

/// A value as Python sees it; sequences become lists (`tolist`) or, with `tuples`, tuples
/// (struct records).
pub(crate) fn to_py<'py>(py: Python<'py>, v: &Value, tuples: bool) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Int(i) => i.into_bound_py_any(py)?,
        Value::UInt(u) => u.into_bound_py_any(py)?,
        Value::BigInt(digits) => py.get_type::<pyo3::types::PyInt>().call1((digits.as_str(),))?,
        Value::Float(f) => PyFloat::new(py, *f).into_any(),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Bytes(b) => PyBytes::new(py, b).into_any(),
        Value::Complex(c) => PyComplex::from_doubles(py, c.0, c.1).into_any(),
        Value::List(items) => {
            let items = items.iter().map(|x| to_py(py, x, tuples)).collect::<PyResult<Vec<_>>>()?;
            if tuples {
                PyTuple::new(py, items)?.into_any()
            } else {
                PyList::new(py, items)?.into_any()
            }
        }
    })
}

/// A nested list of `ndim` levels whose items are Python values, records as tuples.
pub(crate) fn to_py_nd<'py>(py: Python<'py>, v: &Value, ndim: usize) -> PyResult<Bound<'py, PyAny>> {
    match v {
        Value::List(rows) if ndim > 0 => {
            let items = rows.iter().map(|x| to_py_nd(py, x, ndim - 1)).collect::<PyResult<Vec<_>>>()?;
            Ok(PyList::new(py, items)?.into_any())
        }
        item => to_py(py, item, true),
    }
}

/// `PyNumber_AsSsize_t(obj, IndexError)`: an index, with overflow reported as `IndexError`.
pub(crate) fn as_ssize(obj: &Bound<'_, PyAny>) -> PyResult<isize> {
    let index_error = pyo3::exceptions::PyIndexError::type_object_raw(obj.py());
    // SAFETY: a live object, the GIL held; the exception type is a live type object.
    let v = unsafe { ffi::PyNumber_AsSsize_t(obj.as_ptr(), index_error.cast()) };
    if v == -1 {
        if let Some(e) = PyErr::take(obj.py()) {
            return Err(e);
        }
    }
    Ok(v)
}

/// An exact `int` that fits 64 bits, or an exact `float`, as a number (no Python code runs:
/// no `__index__`, no `__float__`); `None` for everything else.
pub(crate) fn exact_number(obj: &Bound<'_, PyAny>) -> Option<crate::hot::Num> {
    use crate::hot::Num;
    if obj.is_exact_instance_of::<pyo3::types::PyInt>() {
        let mut overflow: std::ffi::c_int = 0;
        // SAFETY: a live exact `int`, the GIL held; `overflow` is writable. An exact `int`
        // converts without error, reporting overflow through the flag.
        let v = unsafe { ffi::PyLong_AsLongLongAndOverflow(obj.as_ptr(), &mut overflow) };
        return (overflow == 0).then_some(Num::I(v));
    }
    if obj.is_exact_instance_of::<pyo3::types::PyFloat>() {
        // SAFETY: a live exact `float`, the GIL held; its value is read, nothing is called.
        return Some(Num::F(unsafe { ffi::PyFloat_AS_DOUBLE(obj.as_ptr()) }));
    }
    None
}

/// Whether `obj` exports a buffer (`PyObject_CheckBuffer`).
pub(crate) fn check_buffer(obj: &Bound<'_, PyAny>) -> bool {
    // SAFETY: a live object, the GIL held.
    unsafe { ffi::PyObject_CheckBuffer(obj.as_ptr()) != 0 }
}

/// Whether `obj` has `__index__` (`PyIndex_Check`).
pub(crate) fn is_index(obj: &Bound<'_, PyAny>) -> bool {
    // SAFETY: a live object, the GIL held.
    unsafe { ffi::PyIndex_Check(obj.as_ptr()) != 0 }
}

/// `operator.index(obj)` as an `i128`, or `None` beyond it (with `Err` for no `__index__`).
fn index_i128(obj: &Bound<'_, PyAny>) -> PyResult<Option<i128>> {
    // An exact `int` in a machine word (the common case): read as it is, with no new
    // reference, no `__index__` lookup and no exception on overflow.
    if obj.is_exact_instance_of::<pyo3::types::PyInt>() {
        let mut overflow: std::ffi::c_int = 0;
        // SAFETY: a live exact `int`, the GIL held; `overflow` is writable.
        let v = unsafe { ffi::PyLong_AsLongLongAndOverflow(obj.as_ptr(), &mut overflow) };
        if overflow == 0 {
            // An exact `int` converts without error when it fits (`-1` is a value here).
            return Ok(Some(i128::from(v)));
        }
    }
    // SAFETY: a live object, the GIL held.
    let raw = unsafe { ffi::PyNumber_Index(obj.as_ptr()) };
    // SAFETY: `PyNumber_Index` returns a new reference or NULL with an exception set.
    let index = unsafe { Bound::from_owned_ptr_or_err(obj.py(), raw)? };
    // The common case (a machine integer) without the slower 128-bit conversion.
    if let Ok(small) = index.extract::<i64>() {
        return Ok(Some(i128::from(small)));
    }
    match index.extract::<i128>() {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_instance_of::<PyOverflowError>(obj.py()) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A Python object as an item of the native format `code`, as memoryview's `pack_single`
/// reads it (`__index__` for integers, `__float__` for floats, truth for `?`, a length-1
/// bytes for `c`), with its error conversions: a `TypeError` becomes "invalid type", an
/// `OverflowError` or `ValueError` "invalid value". Range checks are left to the packer.
pub(crate) fn item_of(obj: &Bound<'_, PyAny>, code: char, fmt: &str) -> PyResult<Value> {
    let invalid_type = || PyTypeError::new_err(format!("memoryview: invalid type for format '{fmt}'"));
    let invalid_value = || PyValueError::new_err(format!("memoryview: invalid value for format '{fmt}'"));
    let fix = |e: PyErr| {
        let py = obj.py();
        if e.is_instance_of::<PyTypeError>(py) {
            invalid_type()
        } else if e.is_instance_of::<PyOverflowError>(py) || e.is_instance_of::<PyValueError>(py) {
            invalid_value()
        } else {
            e
        }
    };
    match code {
        'b' | 'B' | 'h' | 'H' | 'i' | 'I' | 'l' | 'L' | 'q' | 'Q' | 'n' | 'N' | 'P' => match index_i128(obj) {
            Ok(Some(v)) => Ok(Value::int(v)),
            Ok(None) => Err(invalid_value()),
            Err(e) => Err(fix(e)),
        },
        'f' | 'd' | 'e' => {
            // SAFETY: a live object, the GIL held.
            let d = unsafe { ffi::PyFloat_AsDouble(obj.as_ptr()) };
            if d == -1.0 {
                if let Some(e) = PyErr::take(obj.py()) {
                    return Err(fix(e));
                }
            }
            Ok(Value::Float(d))
        }
        '?' => Ok(Value::Bool(obj.is_truthy()?)),
        'c' => match obj.cast::<PyBytes>() {
            Ok(b) if b.as_bytes().len() == 1 => Ok(Value::from(b.as_bytes())),
            Ok(_) => Err(invalid_value()),
            Err(_) => Err(invalid_type()),
        },
        other => Err(PyNotImplementedError::new_err(format!("memoryview: format {other} not supported"))),
    }
}

/// The bytes of a `bytes` or `bytearray` (what `c`, `s` and `p` pack), or `None`.
pub(crate) fn bytes_of(obj: &Bound<'_, PyAny>) -> Option<Vec<u8>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        Some(b.as_bytes().to_vec())
    } else if let Ok(b) = obj.cast::<PyByteArray>() {
        Some(b.to_vec())
    } else {
        None
    }
}

/// A Python object as a `Value` without a target format (for `count`, `index` and NumPy-style
/// fills): ints, floats, bools, bytes, complex numbers and sequences of them.
pub(crate) fn value_of(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if is_index(obj) {
        return Ok(match index_i128(obj)? {
            Some(v) => Value::int(v),
            None => Value::BigInt(Box::new(obj.str()?.to_string())),
        });
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(Value::Float(f.value()));
    }
    if let Ok(c) = obj.cast::<PyComplex>() {
        return Ok(Value::complex(c.real(), c.imag()));
    }
    if let Some(b) = bytes_of(obj) {
        return Ok(Value::from(b));
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        return Ok(Value::List(t.iter().map(|x| value_of(&x)).collect::<PyResult<Vec<_>>>()?.into()));
    }
    if let Ok(l) = obj.cast::<PyList>() {
        return Ok(Value::List(l.iter().map(|x| value_of(&x)).collect::<PyResult<Vec<_>>>()?.into()));
    }
    Err(PyTypeError::new_err(format!("memview: cannot store a '{}' object", obj.get_type().name()?)))
}

/// The C-order index of the `flat`-th item of a shape.
pub(crate) fn flat_index(shape: &[usize], mut flat: usize) -> Vec<isize> {
    let mut index = vec![0isize; shape.len()];
    for (slot, &extent) in index.iter_mut().zip(shape).rev() {
        if extent > 0 {
            *slot = isize::try_from(flat % extent).unwrap_or(isize::MAX);
            flat /= extent;
        }
    }
    index
}

/// Turns any object into an owned `Py`.
pub(crate) fn owned(obj: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    obj.clone().into_py_any(obj.py())
}

/// An optional argument that tells "not given" from an explicit `None`, as CPython's argument
/// clinic does: `m.hex(None)` and `unpack_from(b, None)` are errors there, not the default.
/// Declared with a default of [`Given::Absent`] in a `#[pyo3(signature)]`.
pub(crate) enum Given<'py> {
    /// The caller left the argument out.
    Absent,
    /// The caller passed this object (perhaps `None`).
    Value(Bound<'py, PyAny>),
}

impl<'a, 'py> FromPyObject<'a, 'py> for Given<'py> {
    type Error = PyErr;

    fn extract(obj: pyo3::Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Ok(Given::Value(obj.to_owned()))
    }
}

impl<'py> Given<'py> {
    /// The object passed, if any.
    pub(crate) fn get(&self) -> Option<&Bound<'py, PyAny>> {
        match self {
            Given::Absent => None,
            Given::Value(v) => Some(v),
        }
    }
}

/// What an entry point CPython calls returns: the new reference, or null with the error
/// raised.
pub(crate) fn raised(py: Python<'_>, result: PyResult<*mut pyo3::ffi::PyObject>) -> *mut pyo3::ffi::PyObject {
    result.unwrap_or_else(|e| {
        e.restore(py);
        std::ptr::null_mut()
    })
}
