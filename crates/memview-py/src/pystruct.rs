//! `memview.struct`: the `struct` module's API over `format-codec`.

use crate::convert::{is_index, to_py};
use crate::import::Contiguous;
use format_codec::{Struct, Value};
use pyo3::exceptions::{PyException, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyString, PyTuple, PyType};
use std::sync::Mutex;

/// `struct.error`: the exception class of the struct functions (a subclass of `Exception`,
/// named `struct.error` as CPython's is).
///
/// ```
/// use pyo3::prelude::*;
/// Python::attach(|py| -> PyResult<()> {
///     let error = memview_py::struct_error_type(py)?;
///     assert_eq!(error.name()?.to_str()?, "error");
///     Ok(())
/// }).unwrap();
/// ```
pub fn error_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    static TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    TYPE.get_or_try_init(py, || PyErr::new_type(py, c"struct.error", None, Some(&py.get_type::<PyException>()), None))
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

fn codec_err(e: format_codec::CodecError) -> PyErr {
    crate::convert::exc(e.python_exception(), e.to_string())
}

/// A format argument: `str` or `bytes`, as `Struct()` takes it.
fn format_text(format: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = format.cast::<PyString>() {
        return Ok(s.to_str()?.to_owned());
    }
    if let Ok(b) = format.cast::<PyBytes>() {
        return std::str::from_utf8(b.as_bytes())
            .map(str::to_owned)
            .map_err(|_| struct_error("bad char in struct format"));
    }
    Err(PyTypeError::new_err(format!(
        "Struct() argument 1 must be a str or bytes object, not {}",
        format.get_type().name()?
    )))
}

fn compile(format: &Bound<'_, PyAny>) -> PyResult<Struct> {
    let text = format_text(format)?;
    if text.contains('\0') {
        return Err(struct_error("embedded null character"));
    }
    Struct::new(&text).map_err(codec_err)
}

/// The code each value of a record is packed with, in order.
fn value_codes(s: &Struct) -> Vec<char> {
    let mut out = Vec::with_capacity(s.value_count());
    for item in s.items() {
        match item.code {
            'x' => {}
            's' | 'p' => out.push(item.code),
            c => out.extend(std::iter::repeat_n(c, item.count)),
        }
    }
    out
}

/// A Python object as a value of `code`, as `_struct`'s packers read it.
fn struct_value(obj: &Bound<'_, PyAny>, code: char) -> PyResult<Value> {
    match code {
        // Only `bytes` (CPython's `np_char` refuses a `bytearray`; `s` and `p` take both).
        'c' => match obj.cast::<PyBytes>() {
            Ok(b) if b.as_bytes().len() == 1 => Ok(Value::Bytes(b.as_bytes().to_vec())),
            _ => Err(struct_error("char format requires a bytes object of length 1")),
        },
        's' | 'p' => crate::convert::bytes_of(obj)
            .map(Value::Bytes)
            .ok_or_else(|| struct_error(format!("argument for '{code}' must be a bytes object"))),
        '?' => Ok(Value::Bool(obj.is_truthy()?)),
        'e' | 'f' | 'd' => {
            // SAFETY: a live object, the GIL held.
            let d = unsafe { pyo3::ffi::PyFloat_AsDouble(obj.as_ptr()) };
            if d == -1.0 && PyErr::take(obj.py()).is_some() {
                return Err(struct_error("required argument is not a float"));
            }
            // An `int` stays an integer: CPython reports its overflow as "int too large to
            // convert" (`s_pack_internal`), a float's as OverflowError.
            if obj.is_instance_of::<pyo3::types::PyInt>() {
                return Ok(match obj.extract::<i128>() {
                    Ok(i) => Value::Int(i),
                    Err(_) => Value::BigInt(obj.str()?.to_string()),
                });
            }
            Ok(Value::Float(d))
        }
        _ => {
            if !is_index(obj) {
                return Err(struct_error("required argument is not an integer"));
            }
            // SAFETY: a live object, the GIL held.
            let raw = unsafe { pyo3::ffi::PyNumber_Index(obj.as_ptr()) };
            // SAFETY: `PyNumber_Index` returns a new reference or NULL with an error set.
            let index = unsafe { Bound::from_owned_ptr_or_err(obj.py(), raw)? };
            match index.extract::<i128>() {
                Ok(v) => Ok(Value::Int(v)),
                Err(_) => Ok(Value::BigInt(index.str()?.to_string())),
            }
        }
    }
}

/// CPython 3.12's range check of an integer (gh-98248: one message for every byte order,
/// `'h' format requires -32768 <= number <= 32767`); 3.11's messages come from the codec.
fn check_range_3_12(py: Python<'_>, value: &Value, code: char, native: bool) -> PyResult<()> {
    if !crate::python_3_12(py) {
        return Ok(());
    }
    let size: u32 = match (code, native) {
        ('b' | 'B', _) => 1,
        ('h' | 'H', _) => 2,
        ('i' | 'I', _) => 4,
        ('l' | 'L', true) => 8,
        ('l' | 'L', false) => 4,
        ('q' | 'Q' | 'n' | 'N', _) => 8,
        _ => return Ok(()),
    };
    let (min, max) = if code.is_ascii_uppercase() {
        (0i128, (1i128 << (8 * size)) - 1)
    } else {
        (-(1i128 << (8 * size - 1)), (1i128 << (8 * size - 1)) - 1)
    };
    let inside = matches!(value, Value::Int(x) if (min..=max).contains(x));
    if inside {
        Ok(())
    } else {
        Err(struct_error(format!("'{code}' format requires {min} <= number <= {max}")))
    }
}

/// Converts the arguments, checking integer ranges as the running CPython does.
fn convert_args(s: &Struct, codes: &[char], args: &Bound<'_, PyTuple>) -> PyResult<Vec<Value>> {
    let py = args.py();
    let native = s.byte_order().native_sizes();
    let mut out = Vec::with_capacity(codes.len());
    for (a, &c) in args.iter().zip(codes) {
        let v = match struct_value(&a, c) {
            Ok(v) => v,
            // CPython converts and packs value by value: an earlier value's packing error
            // comes before this one's conversion error.
            Err(e) => return Err(first_pack_error(s, codes, &out).unwrap_or(e)),
        };
        check_range_3_12(py, &v, c, native)?;
        // An 8-byte big-endian packer (`bp_longlong`) overflows with `OverflowError`, which
        // CPython turns into "int too large to convert" only for an `int` argument: another
        // object with `__index__` keeps the OverflowError.
        if matches!(c, 'q' | 'Q')
            && matches!(s.byte_order(), format_codec::ByteOrder::Big | format_codec::ByteOrder::Network)
            && !a.is_instance_of::<pyo3::types::PyInt>()
        {
            let fits = match &v {
                Value::Int(i) if c == 'q' => i64::try_from(*i).is_ok(),
                Value::Int(i) => u64::try_from(*i).is_ok(),
                _ => false,
            };
            if !fits {
                return Err(first_pack_error(s, codes, &out)
                    .unwrap_or_else(|| pyo3::exceptions::PyOverflowError::new_err("int too big to convert")));
            }
        }
        // `P` (`PyLong_AsVoidPtr`) likewise: an OverflowError unless the argument is an `int`.
        if c == 'P' && !a.is_instance_of::<pyo3::types::PyInt>() {
            let msg = match &v {
                Value::Int(i) if *i > i128::from(u64::MAX) => {
                    Some("Python int too large to convert to C unsigned long")
                }
                Value::Int(i) if *i < i128::from(i64::MIN) => Some("Python int too large to convert to C long"),
                Value::Int(_) => None,
                Value::BigInt(d) if d.starts_with('-') => Some("Python int too large to convert to C long"),
                _ => Some("Python int too large to convert to C unsigned long"),
            };
            if let Some(msg) = msg {
                return Err(
                    first_pack_error(s, codes, &out).unwrap_or_else(|| pyo3::exceptions::PyOverflowError::new_err(msg))
                );
            }
        }
        out.push(v);
    }
    Ok(out)
}

/// The first packing error among values already converted (each packed alone with its code
/// and the format's byte order), if any.
fn first_pack_error(s: &Struct, codes: &[char], values: &[Value]) -> Option<PyErr> {
    let prefix = s.format().chars().next().filter(|c| "@=<>!".contains(*c)).unwrap_or('@');
    for (v, &c) in values.iter().zip(codes) {
        if matches!(c, 's' | 'p') {
            continue;
        }
        let one = Struct::new(&format!("{prefix}{c}")).ok()?;
        if let Err(e) = one.pack(std::slice::from_ref(v)) {
            return Some(codec_err(e));
        }
    }
    None
}

fn record<'py>(py: Python<'py>, values: &[Value]) -> PyResult<Bound<'py, PyTuple>> {
    let items = values.iter().map(|v| to_py(py, v, true)).collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, items)
}

fn offset_of(obj: Option<&Bound<'_, PyAny>>) -> PyResult<isize> {
    match obj {
        None => Ok(0),
        Some(o) => o.extract::<isize>(),
    }
}

/// `struct.Struct(format)`: a compiled format.
///
/// The first two fields are laid out as CPython's `PyStructObject` begins (`s_size`, then
/// `s_len`, right after the object header): C code that reads them, as `_testbuffer` reads
/// `s_len` to count the values of a format, works with this class too.
///
/// ```
/// use pyo3::prelude::*;
/// Python::attach(|py| -> PyResult<()> {
///     let s = py.get_type::<memview_py::PyStruct>().call1(("<h",))?;
///     let packed: Vec<u8> = s.call_method1("pack", (-2,))?.extract()?;
///     assert_eq!(packed, [0xfe, 0xff]);
///     Ok(())
/// }).unwrap();
/// ```
#[pyclass(module = "memview.struct", name = "Struct", frozen, immutable_type)]
#[repr(C)]
pub struct PyStruct {
    /// `calcsize(format)`.
    s_size: isize,
    /// The number of values a record packs (`x` padding not counted).
    s_len: isize,
    inner: Struct,
    codes: Vec<char>,
}

#[pymethods]
impl PyStruct {
    #[new]
    #[pyo3(signature = (format, *_args, **_kwargs))]
    fn py_new(
        format: &Bound<'_, PyAny>,
        _args: &Bound<'_, PyTuple>,
        _kwargs: Option<&Bound<'_, pyo3::types::PyDict>>,
    ) -> PyResult<PyStruct> {
        Ok(PyStruct::of(compile(format)?))
    }

    /// The format string.
    #[getter]
    fn format(&self) -> &str {
        self.inner.format()
    }

    /// The size of a record in bytes (`calcsize(format)`).
    #[getter]
    fn size(&self) -> usize {
        self.inner.size()
    }

    #[pyo3(signature = (*args))]
    fn pack<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyBytes>> {
        let values = self.values(args, "pack")?;
        let bytes = self.inner.pack(&values).map_err(codec_err)?;
        Ok(PyBytes::new(py, &bytes))
    }

    #[pyo3(signature = (buffer, offset, *args))]
    fn pack_into(
        &self,
        buffer: &Bound<'_, PyAny>,
        offset: &Bound<'_, PyAny>,
        args: &Bound<'_, PyTuple>,
    ) -> PyResult<()> {
        let values = self.values(args, "pack_into")?;
        let mut buf = Contiguous::get(buffer, true)?;
        let offset = offset.extract::<isize>()?;
        self.inner.pack_into(buf.bytes_mut(), offset, &values).map_err(codec_err)
    }

    fn unpack<'py>(&self, py: Python<'py>, buffer: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
        let buf = Contiguous::get(buffer, false)?;
        let values = self.inner.unpack(buf.bytes()).map_err(codec_err)?;
        drop(buf);
        record(py, &values)
    }

    #[pyo3(signature = (buffer, offset = None))]
    fn unpack_from<'py>(
        &self,
        py: Python<'py>,
        buffer: &Bound<'py, PyAny>,
        offset: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let offset = offset_of(offset)?;
        let buf = Contiguous::get(buffer, false)?;
        let values = self.inner.unpack_from(buf.bytes(), offset).map_err(codec_err)?;
        drop(buf);
        record(py, &values)
    }

    fn iter_unpack(slf: Bound<'_, Self>, buffer: &Bound<'_, PyAny>) -> PyResult<UnpackIterator> {
        let buf = Contiguous::get(buffer, false)?;
        let len = {
            let s = &slf.get().inner;
            s.iter_unpack(buf.bytes()).map_err(codec_err)?;
            buf.bytes().len() / s.size()
        };
        Ok(UnpackIterator { codec: slf.unbind(), buffer: Mutex::new(Some(buf)), next: Mutex::new(0), count: len })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Struct({})", PyString::new(py, self.inner.format()).repr()?))
    }
}

impl PyStruct {
    fn of(inner: Struct) -> PyStruct {
        let codes = value_codes(&inner);
        PyStruct {
            s_size: isize::try_from(inner.size()).unwrap_or(isize::MAX),
            s_len: isize::try_from(codes.len()).unwrap_or(isize::MAX),
            inner,
            codes,
        }
    }

    fn values(&self, args: &Bound<'_, PyTuple>, what: &str) -> PyResult<Vec<Value>> {
        let given = args.len();
        if given != self.codes.len() {
            return Err(struct_error(format!("{what} expected {} items for packing (got {given})", self.codes.len())));
        }
        convert_args(&self.inner, &self.codes, args)
    }
}

/// The iterator `iter_unpack` returns.
#[pyclass(module = "memview.struct", name = "unpack_iterator", frozen, immutable_type)]
pub(crate) struct UnpackIterator {
    codec: Py<PyStruct>,
    buffer: Mutex<Option<Contiguous>>,
    next: Mutex<usize>,
    count: usize,
}

#[pymethods]
impl UnpackIterator {
    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let s = &self.codec.get().inner;
        let values = {
            let mut next = self.next.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let mut guard = self.buffer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let Some(buf) = guard.as_ref() else { return Ok(None) };
            if *next >= self.count {
                // Exhausted: the buffer is released now, as CPython's iterator does.
                let done = guard.take();
                drop(guard);
                drop(done);
                return Ok(None);
            }
            let start = *next * s.size();
            *next += 1;
            let bytes = buf.bytes().get(start..start + s.size()).unwrap_or(&[]);
            s.unpack(bytes).map_err(codec_err)?
        };
        record(py, &values).map(Some)
    }

    fn __length_hint__(&self) -> usize {
        let next = *self.next.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.count.saturating_sub(next)
    }
}

#[pyfunction]
fn calcsize(format: &Bound<'_, PyAny>) -> PyResult<usize> {
    Ok(compile(format)?.size())
}

#[pyfunction]
#[pyo3(signature = (format, *args))]
fn pack<'py>(py: Python<'py>, format: &Bound<'py, PyAny>, args: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyBytes>> {
    PyStruct::of(compile(format)?).pack(py, args)
}

#[pyfunction]
#[pyo3(signature = (format, buffer, offset, *args))]
fn pack_into(
    format: &Bound<'_, PyAny>,
    buffer: &Bound<'_, PyAny>,
    offset: &Bound<'_, PyAny>,
    args: &Bound<'_, PyTuple>,
) -> PyResult<()> {
    PyStruct::of(compile(format)?).pack_into(buffer, offset, args)
}

#[pyfunction]
fn unpack<'py>(
    py: Python<'py>,
    format: &Bound<'py, PyAny>,
    buffer: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyTuple>> {
    PyStruct::of(compile(format)?).unpack(py, buffer)
}

#[pyfunction]
#[pyo3(signature = (format, /, buffer, offset = None))]
fn unpack_from<'py>(
    py: Python<'py>,
    format: &Bound<'py, PyAny>,
    buffer: &Bound<'py, PyAny>,
    offset: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyTuple>> {
    PyStruct::of(compile(format)?).unpack_from(py, buffer, offset)
}

#[pyfunction]
fn iter_unpack(py: Python<'_>, format: &Bound<'_, PyAny>, buffer: &Bound<'_, PyAny>) -> PyResult<UnpackIterator> {
    PyStruct::iter_unpack(Bound::new(py, PyStruct::of(compile(format)?))?, buffer)
}

#[pyfunction]
fn _clearcache() {}

/// Fills the `memview.struct` module.
pub(crate) fn module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("error", error_type(py)?)?;
    m.add_class::<PyStruct>()?;
    m.add_function(wrap_pyfunction!(calcsize, m)?)?;
    m.add_function(wrap_pyfunction!(pack, m)?)?;
    m.add_function(wrap_pyfunction!(pack_into, m)?)?;
    m.add_function(wrap_pyfunction!(unpack, m)?)?;
    m.add_function(wrap_pyfunction!(unpack_from, m)?)?;
    m.add_function(wrap_pyfunction!(iter_unpack, m)?)?;
    m.add_function(wrap_pyfunction!(_clearcache, m)?)?;
    Ok(())
}
