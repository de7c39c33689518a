//! `memview.struct`: the `struct` module's API over `format-codec`.

use crate::convert::{error_type, is_index, struct_error, to_py, Given};
use crate::family::Guarded;
use crate::import::Contiguous;
use format_codec::{Number, Slot, Struct, Value};
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Mutex;

fn codec_err(e: format_codec::CodecError) -> PyErr {
    crate::convert::exc(e.python_exception(), e.to_string())
}

/// A format argument as `Struct()` reads it: a `str` is encoded to ASCII first (a
/// `UnicodeEncodeError` otherwise, as CPython's), a `bytes` is taken as it is (a byte outside
/// ASCII is a bad char where the parser reaches it).
fn format_text(format: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = format.cast::<PyString>() {
        let text = s.to_str()?;
        if !text.is_ascii() {
            // The interpreter's own encoder raises the exception CPython raises here.
            s.call_method1("encode", ("ascii",))?;
        }
        return Ok(text.to_owned());
    }
    if let Ok(b) = format.cast::<PyBytes>() {
        // A control character that is no format code and no whitespace stands in for each
        // byte outside ASCII, so the parser reports it in order with the other errors.
        return Ok(b.as_bytes().iter().map(|&c| if c.is_ascii() { char::from(c) } else { '\u{1}' }).collect());
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

/// A Python object as a value of `code`, as `_struct`'s packers read it.
fn struct_value(obj: &Bound<'_, PyAny>, code: char) -> PyResult<Value> {
    match code {
        // Only `bytes` (CPython's `np_char` refuses a `bytearray`; `s` and `p` take both).
        'c' => match obj.cast::<PyBytes>() {
            Ok(b) if b.as_bytes().len() == 1 => Ok(Value::from(b.as_bytes())),
            _ => Err(struct_error("char format requires a bytes object of length 1")),
        },
        's' | 'p' => crate::convert::bytes_of(obj)
            .map(Value::from)
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
                    Ok(i) => Value::int(i),
                    Err(_) => Value::BigInt(Box::new(obj.str()?.to_string())),
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
            if let Ok(v) = index.extract::<i64>() {
                return Ok(Value::Int(v));
            }
            match index.extract::<i128>() {
                Ok(v) => Ok(Value::int(v)),
                Err(_) => Ok(Value::BigInt(Box::new(index.str()?.to_string()))),
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
    let inside =
        matches!(value, Value::Int(_) | Value::UInt(_)) && value.as_i128().is_some_and(|x| (min..=max).contains(&x));
    if inside {
        Ok(())
    } else {
        Err(struct_error(format!("'{code}' format requires {min} <= number <= {max}")))
    }
}

/// Converts one argument for `slot` and stores it in `record`, with the checks of the
/// running CPython's packer for that code: the conversion and the store of one value happen
/// before the next value is looked at, as in CPython's `s_pack_internal`.
fn pack_value(s: &Struct, slot: &Slot, arg: &Bound<'_, PyAny>, record: &mut [u8]) -> PyResult<()> {
    // The common cases without a `Value`: an exact `int` in its code's range, an exact
    // `float` for `d` (or `f` where it fits). Anything else, out-of-range values included,
    // takes the general path below, which gives CPython's conversions and errors.
    if arg.is_exact_instance_of::<pyo3::types::PyInt>() {
        // SAFETY: a live object, the GIL held; an exact `int` needs no `__index__` call.
        let v = unsafe { pyo3::ffi::PyLong_AsLongLong(arg.as_ptr()) };
        if v == -1 && PyErr::take(arg.py()).is_some() {
            // Beyond `i64`: the general path reports it.
        } else if slot.pack_int(v, record) {
            return Ok(());
        }
    } else if arg.is_exact_instance_of::<pyo3::types::PyFloat>() {
        // SAFETY: a live object, the GIL held; an exact `float` converts without failing.
        let x = unsafe { pyo3::ffi::PyFloat_AsDouble(arg.as_ptr()) };
        if slot.pack_f64(x, record) {
            return Ok(());
        }
    }
    let c = slot.code();
    let v = struct_value(arg, c)?;
    check_range_3_12(arg.py(), &v, c, s.byte_order().native_sizes())?;
    // An 8-byte big-endian packer (`bp_longlong`) overflows with `OverflowError`, which
    // CPython turns into "int too large to convert" only for an `int` argument: another
    // object with `__index__` keeps the OverflowError.
    let is_int = arg.is_instance_of::<pyo3::types::PyInt>();
    if matches!(c, 'q' | 'Q')
        && matches!(s.byte_order(), format_codec::ByteOrder::Big | format_codec::ByteOrder::Network)
        && !is_int
    {
        let fits = match &v {
            Value::Int(_) if c == 'q' => true,
            Value::Int(i) => *i >= 0,
            Value::UInt(_) => c == 'Q',
            _ => false,
        };
        if !fits {
            return Err(pyo3::exceptions::PyOverflowError::new_err("int too big to convert"));
        }
    }
    // `P` (`PyLong_AsVoidPtr`) likewise: an OverflowError unless the argument is an `int`.
    if c == 'P' && !is_int {
        let msg = match &v {
            // Beyond `i64` and `u64` an integer is a `BigInt`.
            Value::Int(_) | Value::UInt(_) => None,
            Value::BigInt(d) if d.starts_with('-') => Some("Python int too large to convert to C long"),
            _ => Some("Python int too large to convert to C unsigned long"),
        };
        if let Some(msg) = msg {
            return Err(pyo3::exceptions::PyOverflowError::new_err(msg));
        }
    }
    slot.pack(&v, record).map_err(codec_err)
}

/// Packs the arguments (already counted) into `record`, which holds the record's bytes,
/// zeroed, and the byte after it where there is one.
fn pack_args<'a, 'py: 'a>(
    s: &Struct,
    args: impl Iterator<Item = pyo3::Borrowed<'a, 'py, PyAny>>,
    record: &mut [u8],
) -> PyResult<()> {
    let slots = s.slots();
    // The compiled plan read in place: a slot copied out of the iterator was stored and
    // reloaded at other widths (a store-forwarding stall per value).
    if let Some(plan) = slots.as_slice() {
        for (slot, arg) in plan.iter().zip(args) {
            pack_value(s, slot, &arg, record)?;
        }
        return Ok(());
    }
    for (slot, arg) in slots.zip(args) {
        pack_value(s, &slot, &arg, record)?;
    }
    Ok(())
}

/// One record's values as a tuple, read straight from its bytes (no intermediate row).
fn record<'py>(py: Python<'py>, s: &Struct, bytes: &[u8]) -> PyResult<Bound<'py, PyTuple>> {
    let n = ffi::Py_ssize_t::try_from(s.value_count()).map_err(|_| pyo3::exceptions::PyMemoryError::new_err(""))?;
    // The tuple first, filled in place (no vector of items): making the items runs no
    // Python code that could see it half filled (numbers, bytes and strings only).
    // SAFETY: the GIL is held; a new tuple of `n` NULL items, or NULL with an error set.
    let raw = unsafe { ffi::PyTuple_New(n) };
    // SAFETY: a new reference or NULL with an exception set.
    let tuple = unsafe { Bound::from_owned_ptr_or_err(py, raw)? };
    /// Sets item `i` of the new tuple `raw` of `n` items to the value of `slot`.
    #[inline(always)]
    fn put(
        py: Python<'_>,
        raw: *mut ffi::PyObject,
        n: ffi::Py_ssize_t,
        i: usize,
        slot: &Slot,
        bytes: &[u8],
    ) -> PyResult<()> {
        let item = item(py, slot, bytes)?;
        let Ok(at) = ffi::Py_ssize_t::try_from(i) else { return Ok(()) };
        if at >= n {
            return Ok(()); // never: a struct has `value_count` slots
        }
        // SAFETY: `raw` is the caller's new tuple of `n` slots, and `at < n`; each slot is set
        // once, with a new reference the tuple steals. On an error the slots left NULL are
        // skipped when the tuple is freed.
        unsafe { ffi::PyTuple_SET_ITEM(raw, at, item.into_ptr()) };
        Ok(())
    }
    let slots = s.slots();
    // The compiled plan read in place (see `pack_args`).
    if let Some(plan) = slots.as_slice() {
        for (i, slot) in plan.iter().enumerate() {
            put(py, raw, n, i, slot, bytes)?;
        }
    } else {
        for (i, slot) in slots.enumerate() {
            put(py, raw, n, i, &slot, bytes)?;
        }
    }
    // SAFETY: the object is the tuple made above.
    Ok(unsafe { tuple.cast_into_unchecked::<PyTuple>() })
}

/// The Python object of one value of a record.
#[inline(always)]
fn item<'py>(py: Python<'py>, slot: &Slot, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    // Integers and floats straight to Python objects by the C API's own calls, after one
    // dispatch on the slot's access (PyO3's conversions are not inlined here, and cost as
    // much again); the other codes through `Value`.
    let made = slot.unpack_number(bytes).map(|n| match n {
        // SAFETY: the GIL is held; a new reference or NULL with an exception set.
        Number::Int(i) => unsafe { ffi::PyLong_FromLongLong(i) },
        // SAFETY: as above.
        Number::UInt(u) => unsafe { ffi::PyLong_FromUnsignedLongLong(u) },
        // SAFETY: as above.
        Number::Float(x) => unsafe { ffi::PyFloat_FromDouble(x) },
    });
    match made {
        // SAFETY: a new reference or NULL with an exception set.
        Some(raw) => unsafe { Bound::from_owned_ptr_or_err(py, raw) },
        None => to_py(py, &slot.unpack(bytes), true),
    }
}

/// An offset argument of `unpack_from` (CPython's `Py_ssize_t` converter: `__index__`, and
/// OverflowError beyond it).
fn offset_of(obj: Option<&Bound<'_, PyAny>>) -> PyResult<isize> {
    match obj {
        None => Ok(0),
        Some(o) => {
            // An exact `int` that fits: read without `__index__` (no code runs for it).
            if let Some(crate::hot::Num::I(i)) = crate::convert::exact_number(o) {
                if let Ok(offset) = isize::try_from(i) {
                    return Ok(offset);
                }
            }
            if !is_index(o) {
                return Err(PyTypeError::new_err(format!(
                    "'{}' object cannot be interpreted as an integer",
                    o.get_type().name()?
                )));
            }
            o.extract::<isize>()
        }
    }
}

// The Rust documentation (rustdoc, doctests) and the Python docstring (`help()`)
// differ: Python users read Python.
#[cfg_attr(
    any(doc, doctest),
    doc = "`struct.Struct(format)`: a compiled format.

The first two fields are laid out as CPython's `PyStructObject` begins (`s_size`, then
`s_len`, right after the object header): C code that reads them, as `_testbuffer` reads
`s_len` to count the values of a format, works with this class too.

```
use pyo3::prelude::*;
Python::attach(|py| -> PyResult<()> {
    let s = py.get_type::<memview_py::PyStruct>().call1((\"<h\",))?;
    let packed: Vec<u8> = s.call_method1(\"pack\", (-2,))?.extract()?;
    assert_eq!(packed, [0xfe, 0xff]);
    Ok(())
}).unwrap();
```"
)]
#[cfg_attr(
    not(any(doc, doctest)),
    doc = "A compiled `struct` format: `pack`, `unpack`, `pack_into`, `unpack_from` and
`iter_unpack` with this format, parsed once. `format` is the format string and `size`
the size of one record in bytes (`calcsize(format)`).

    >>> from memview import struct
    >>> s = struct.Struct('<hI')
    >>> s.unpack(s.pack(-2, 7))
    (-2, 7)"
)]
// Frozen, with the format guarded inside: `__init__` may compile another format into an
// existing object, as CPython's does (and a subclass's `__init__` calls it after `__new__`),
// and a method reads the format under a shared borrow that keeps it from changing meanwhile.
// The GIL guards that borrow (`Guarded`), where PyO3's borrow flag took two locked
// instructions per call.
#[pyclass(module = "memview.struct", name = "Struct", subclass, immutable_type, frozen)]
#[repr(C)]
pub struct PyStruct {
    /// `calcsize(format)` (an `isize` in memory, as C code reads it).
    s_size: AtomicIsize,
    /// The number of values a record packs (`x` padding not counted).
    s_len: AtomicIsize,
    inner: Guarded<Struct>,
}

#[pymethods]
impl PyStruct {
    /// `Struct.__new__` takes any arguments and makes an object of the empty format, as
    /// CPython's does: `__init__` reads the format.
    #[new]
    #[pyo3(text_signature = "(format)", signature = (*_args, **_kwargs))]
    fn py_new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<PyStruct> {
        Struct::new("").map(PyStruct::of).map_err(codec_err)
    }

    /// Compile `format` into this object (again, if it had one).
    #[pyo3(signature = (*args, **kwargs))]
    fn __init__(&self, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
        let given = args.len() + kwargs.map_or(0, |k| k.len());
        if given > 1 {
            return Err(PyTypeError::new_err(format!("Struct() takes at most 1 argument ({given} given)")));
        }
        let format = match (args.get_item(0), kwargs.map(|k| k.get_item("format"))) {
            (Ok(f), _) => f,
            (_, Some(Ok(Some(f)))) => f,
            (_, Some(Ok(None))) => {
                let key = kwargs.and_then(|k| k.keys().get_item(0).ok()).map(|k| k.to_string()).unwrap_or_default();
                return Err(PyTypeError::new_err(format!("'{key}' is an invalid keyword argument for Struct()")));
            }
            _ => return Err(PyTypeError::new_err("Struct() missing required argument 'format' (pos 1)")),
        };
        let compiled = compile(&format)?;
        let (size, len) = sizes(&compiled);
        self.inner
            .try_write(args.py(), |s| *s = compiled)
            .ok_or_else(|| PyRuntimeError::new_err("Struct is in use (its format cannot change during a call)"))?;
        self.s_size.store(size, Ordering::Relaxed);
        self.s_len.store(len, Ordering::Relaxed);
        Ok(())
    }

    /// The format string, as given.
    #[getter]
    fn format(&self, py: Python<'_>) -> PyResult<String> {
        self.with(py, |s| Ok(s.format().to_owned()))
    }

    /// The size in bytes of one record of the format (`calcsize(format)`).
    #[getter]
    fn size(&self, py: Python<'_>) -> PyResult<usize> {
        self.with(py, |s| Ok(s.size()))
    }

    /// Pack the values `v` with this format into the writable `buffer`, starting at
    /// `offset` (counted from the end when negative).
    #[pyo3(text_signature = "($self, buffer, offset, /, *v)", signature = (*args))]
    fn pack_into(&self, args: &Bound<'_, PyTuple>) -> PyResult<()> {
        self.with(args.py(), |s| pack_into_with(s, args))
    }

    // For Rust code that uses the type without importing `memview.struct`: the module's
    // import replaces `pack` and `unpack` with the `METH_FASTCALL` and `METH_O` methods
    // (`pack_fastcall`, `unpack_o`), which share `PyStruct::pack` and `PyStruct::unpack`.
    /// Return a `bytes` object holding the values `v` packed with this format.
    #[pyo3(name = "pack", text_signature = "($self, /, *v)", signature = (*args))]
    fn py_pack<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyBytes>> {
        self.pack(py, args.iter_borrowed())
    }

    /// Return the values of one record read from `buffer`, a tuple; the buffer's size must
    /// be `size`.
    #[pyo3(name = "unpack", signature = (buffer, /))]
    fn py_unpack<'py>(&self, py: Python<'py>, buffer: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
        self.unpack(py, buffer)
    }

    /// Return the values of one record read from `buffer` at `offset` (counted from the
    /// end when negative), a tuple; the buffer needs `size` bytes from there on.
    #[pyo3(text_signature = "($self, /, buffer, offset=0)", signature = (buffer, offset = Given::Absent))]
    fn unpack_from<'py>(
        &self,
        py: Python<'py>,
        buffer: &Bound<'py, PyAny>,
        offset: Given<'py>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        self.unpack_at(py, buffer, offset.get())
    }

    /// Return an iterator over the records of `buffer`, each a tuple of values; the
    /// buffer's size must be a multiple of `size`.
    #[pyo3(signature = (buffer, /))]
    fn iter_unpack(slf: Bound<'_, Self>, buffer: &Bound<'_, PyAny>) -> PyResult<UnpackIterator> {
        let buf = Contiguous::get(buffer, false)?;
        let s = slf.get().with(slf.py(), |s| Ok(s.clone()))?;
        s.iter_unpack(buf.bytes()).map_err(codec_err)?;
        let count = buf.bytes().len().checked_div(s.size()).unwrap_or(0);
        Ok(UnpackIterator { codec: s, buffer: Mutex::new(Some(buf)), next: Mutex::new(0), count })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let format = self.with(py, |s| Ok(PyString::new(py, s.format())))?;
        Ok(format!("Struct({})", format.repr()?))
    }
}

impl PyStruct {
    fn of(inner: Struct) -> PyStruct {
        let (size, len) = sizes(&inner);
        PyStruct { s_size: AtomicIsize::new(size), s_len: AtomicIsize::new(len), inner: Guarded::new(inner) }
    }

    /// Runs `f` on the compiled format, which cannot change meanwhile (`__init__` is refused
    /// while it runs). `f` may run Python code.
    fn with<R>(&self, py: Python<'_>, f: impl FnOnce(&Struct) -> PyResult<R>) -> PyResult<R> {
        self.inner
            .read(py, f)
            .unwrap_or_else(|| Err(PyRuntimeError::new_err("Struct is being compiled by this thread")))
    }
}

fn check_count(s: &Struct, given: usize, what: &str) -> PyResult<()> {
    let expected = s.value_count();
    if given != expected {
        return Err(struct_error(format!("{what} expected {expected} items for packing (got {given})")));
    }
    Ok(())
}

impl PyStruct {
    /// `pack`: the values packed into a new `bytes` (the module function and the
    /// `METH_FASTCALL` method below both come here).
    fn pack<'a, 'py: 'a>(
        &self,
        py: Python<'py>,
        args: impl ExactSizeIterator<Item = pyo3::Borrowed<'a, 'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        self.with(py, |s| pack_with(py, s, args))
    }

    /// `unpack_from`: the values of the record at `offset` (0 if absent) of `buffer` (the
    /// method, the module function and its `METH_FASTCALL` form all come here).
    fn unpack_at<'py>(
        &self,
        py: Python<'py>,
        buffer: &Bound<'py, PyAny>,
        offset: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        self.with(py, |s| {
            Contiguous::with_bytes(buffer, |bytes| {
                // After the buffer is held, as CPython converts it (the offset may run code).
                let offset = offset_of(offset)?;
                let start = s.unpack_window(bytes.len(), offset).map_err(codec_err)?;
                let rec = start.checked_add(s.size()).and_then(|end| bytes.get(start..end)).unwrap_or_default();
                record(py, s, rec)
            })
        })
    }

    /// Return the values of one record read from `buffer`, a tuple; the buffer's size must
    /// be `size`.
    fn unpack<'py>(&self, py: Python<'py>, buffer: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
        self.with(py, |s| {
            Contiguous::with_bytes(buffer, |bytes| {
                if bytes.len() != s.size() {
                    return Err(codec_err(format_codec::CodecError::UnpackSize { size: s.size() }));
                }
                record(py, s, bytes)
            })
        })
    }
}

/// `pack` with the compiled format `s`.
fn pack_with<'a, 'py: 'a>(
    py: Python<'py>,
    s: &Struct,
    args: impl ExactSizeIterator<Item = pyo3::Borrowed<'a, 'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    check_count(s, args.len(), "pack")?;
    // The record and one spare byte (CPython's bytes object has its terminator there,
    // which `0p` writes), zeroed: padding packs as zero bytes.
    let room = s.size().checked_add(1).ok_or_else(|| pyo3::exceptions::PyMemoryError::new_err(""))?;
    let mut stack = [0u8; 64];
    let mut heap = Vec::new();
    let out: &mut [u8] = match stack.get_mut(..room) {
        Some(small) => small,
        None => {
            heap.try_reserve_exact(room).map_err(|_| pyo3::exceptions::PyMemoryError::new_err(""))?;
            heap.resize(room, 0);
            &mut heap
        }
    };
    pack_args(s, args, out)?;
    Ok(PyBytes::new(py, out.get(..s.size()).unwrap_or_default()))
}

/// `Struct.pack` declared as CPython's `_struct` declares it (`METH_FASTCALL`): the values
/// arrive as the caller's array of arguments. PyO3 gathers `*args` into a new tuple first,
/// which cost a third of the call; this method is installed into the class by [`module`].
///
/// # Safety
///
/// Called by CPython only: the thread is attached, `slf` is the object the method was called
/// on and `args` holds `nargs` live arguments.
unsafe extern "C" fn pack_fastcall(
    slf: *mut ffi::PyObject,
    args: *mut *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    let pack = |py: Python<'_>, this: &PyStruct| {
        let n = usize::try_from(nargs).unwrap_or(0);
        let values = (0..n).map(|i| {
            // SAFETY: CPython passes `nargs` argument pointers at `args`, readable for the
            // call, and `i < nargs`.
            let arg = unsafe { args.add(i) };
            // SAFETY: as above: `arg` points at one of them.
            let arg = unsafe { *arg };
            // SAFETY: a live argument, borrowed for the call (no reference is taken: the
            // caller's array holds one for the call).
            unsafe { pyo3::Borrowed::from_ptr(py, arg) }
        });
        Ok(this.pack(py, values)?.into_ptr())
    };
    // SAFETY: CPython calls a method with the GIL held, `slf` the object it was called on.
    unsafe { method_call(slf, "pack", pack) }
}

/// `Struct.unpack` declared as CPython's `_struct` declares it (`METH_O`): the buffer is the
/// one argument, with no argument parsing.
///
/// # Safety
///
/// Called by CPython only: the thread is attached, `slf` is the object the method was called
/// on and `arg` a live argument.
unsafe extern "C" fn unpack_o(slf: *mut ffi::PyObject, arg: *mut ffi::PyObject) -> *mut ffi::PyObject {
    let unpack = |py: Python<'_>, this: &PyStruct| {
        // SAFETY: `arg` is the live argument, borrowed for the call.
        let buffer = unsafe { pyo3::Borrowed::from_ptr(py, arg) };
        Ok(this.unpack(py, &buffer)?.into_ptr())
    };
    // SAFETY: CPython calls a method with the GIL held, `slf` the object it was called on.
    unsafe { method_call(slf, "unpack", unpack) }
}

/// Runs a method of a `Struct` for CPython: `f` on the object borrowed (PyO3's borrow flag:
/// `__init__` cannot change the format meanwhile), its error raised, a panic turned into
/// `SystemError` (none is expected: the crate denies panicking calls).
///
/// # Safety
///
/// Called by CPython for a method of `Struct`: the thread is attached, and `slf` is the
/// live object the method was called on.
unsafe fn method_call(
    slf: *mut ffi::PyObject,
    name: &str,
    f: impl FnOnce(Python<'_>, &PyStruct) -> PyResult<*mut ffi::PyObject>,
) -> *mut ffi::PyObject {
    let call = std::panic::AssertUnwindSafe(|| -> PyResult<*mut ffi::PyObject> {
        // SAFETY: the caller's promise: the thread is attached.
        let py = unsafe { Python::assume_attached() };
        // SAFETY: the caller's promise: `slf` is live (a method descriptor checks that it is
        // an instance of `Struct` before calling; the cast checks again).
        let this = unsafe { pyo3::Borrowed::from_ptr(py, slf) }.cast::<PyStruct>()?;
        f(py, this.get())
    });
    // SAFETY: the caller's promise: the thread is attached.
    unsafe { returned(std::panic::catch_unwind(call), || format!("Struct.{name}")) }
}

/// What an entry point CPython calls returns for `result`: the new reference, or null with
/// the error raised (a panic as `SystemError` naming `what`; none is expected, the crate
/// denies panicking calls).
///
/// # Safety
///
/// The thread is attached.
unsafe fn returned(
    result: std::thread::Result<PyResult<*mut ffi::PyObject>>,
    what: impl FnOnce() -> String,
) -> *mut ffi::PyObject {
    // SAFETY: the caller's promise.
    let py = unsafe { Python::assume_attached() };
    let result = result.unwrap_or_else(|_| {
        Err(pyo3::exceptions::PySystemError::new_err(format!("memview.struct: {} panicked", what())))
    });
    crate::convert::raised(py, result)
}

/// The definition of [`pack_fastcall`]: its name, calling convention and docstring (whose
/// first line is the signature `inspect` reads).
pub(crate) struct MethodDef(pub(crate) ffi::PyMethodDef);
// SAFETY: the definition is never written (CPython only reads a `PyMethodDef`), and its
// pointers are to static strings and a function.
unsafe impl Sync for MethodDef {}

static PACK: MethodDef = MethodDef(ffi::PyMethodDef {
    ml_name: c"pack".as_ptr(),
    ml_meth: ffi::PyMethodDefPointer { PyCFunctionFast: pack_fastcall },
    ml_flags: ffi::METH_FASTCALL,
    ml_doc: c"pack($self, /, *v)\n--\n\nReturn a `bytes` object holding the values `v` packed with this format."
        .as_ptr(),
});

static UNPACK: MethodDef = MethodDef(ffi::PyMethodDef {
    ml_name: c"unpack".as_ptr(),
    ml_meth: ffi::PyMethodDefPointer { PyCFunction: unpack_o },
    ml_flags: ffi::METH_O,
    ml_doc: c"unpack($self, buffer, /)\n--\n\nReturn the values of one record read from `buffer`, a tuple; the buffer's size must be `size`.".as_ptr(),
});

/// Installs the methods declared as CPython declares them ([`PACK`], [`UNPACK`]).
fn install_methods(class: &Bound<'_, pyo3::types::PyType>) -> PyResult<()> {
    for def in [&PACK, &UNPACK] {
        install(class, def)?;
    }
    Ok(())
}

/// Installs one method definition into `class`'s namespace.
pub(crate) fn install(class: &Bound<'_, pyo3::types::PyType>, def: &'static MethodDef) -> PyResult<()> {
    let py = class.py();
    // SAFETY: `class` is a live type object; CPython reads the definition only, and keeps
    // the pointer for the descriptor's life (`def` is static).
    let raw = unsafe { ffi::PyDescr_NewMethod(class.as_type_ptr(), std::ptr::addr_of!(def.0).cast_mut()) };
    // SAFETY: a new reference or NULL with an exception set.
    let descr = unsafe { Bound::from_owned_ptr_or_err(py, raw)? };
    // The class is immutable to Python code; its namespace is filled here, once, before any
    // instance exists, and its method cache is told.
    // SAFETY: a heap type's `tp_dict` is its live namespace dictionary.
    let dict = unsafe { (*class.as_type_ptr()).tp_dict };
    // SAFETY: `dict` is a live dictionary, the GIL held; the key and value are live.
    if unsafe { ffi::PyDict_SetItemString(dict, def.0.ml_name, descr.as_ptr()) } != 0 {
        return Err(PyErr::fetch(py));
    }
    // SAFETY: a live type object whose namespace changed.
    unsafe { ffi::PyType_Modified(class.as_type_ptr()) };
    Ok(())
}

/// `Struct.pack_into` with the compiled format `s`. CPython's order: the count, then the
/// buffer is held (so an argument's `__index__` or `__float__` cannot resize it meanwhile),
/// then the offset, then value by value into the zeroed record.
fn pack_into_with(s: &Struct, args: &Bound<'_, PyTuple>) -> PyResult<()> {
    let expected = s.value_count();
    if args.len() != expected.saturating_add(2) {
        return Err(struct_error(match args.len() {
            0 => "pack_into expected buffer argument".to_owned(),
            1 => "pack_into expected offset argument".to_owned(),
            n => format!("pack_into expected {expected} items for packing (got {})", n - 2),
        }));
    }
    let mut buf = Contiguous::get(&args.get_item(0)?, true)?;
    let offset = crate::convert::as_ssize(&args.get_item(1)?)?;
    let bytes = buf.bytes_mut();
    let start = s.pack_window(bytes.len(), offset).map_err(codec_err)?;
    let end = start.saturating_add(s.size()).saturating_add(1).min(bytes.len());
    let window = bytes.get_mut(start..end).unwrap_or_default();
    if let Some(record) = window.get_mut(..s.size()) {
        record.fill(0);
    }
    pack_args(s, args.iter_borrowed().skip(2), window)
}

/// `calcsize` and the number of values of a compiled format, as `PyStructObject` holds them.
fn sizes(s: &Struct) -> (isize, isize) {
    (isize::try_from(s.size()).unwrap_or(isize::MAX), isize::try_from(s.value_count()).unwrap_or(isize::MAX))
}

/// The iterator `iter_unpack` returns.
#[pyclass(module = "memview.struct", name = "unpack_iterator", frozen, immutable_type)]
pub(crate) struct UnpackIterator {
    /// The format, as compiled when the iterator was made.
    codec: Struct,
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
        let s = &self.codec;
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
        let start = next.saturating_mul(s.size());
        *next += 1;
        let bytes = buf.bytes().get(start..start.saturating_add(s.size())).unwrap_or(&[]);
        record(py, s, bytes).map(Some)
    }

    fn __length_hint__(&self) -> usize {
        let next = *self.next.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.count.saturating_sub(next)
    }
}

/// The compiled formats of the module functions, keyed by the format object, as CPython's
/// `_struct` keeps them: at most [`MAX_CACHE`] entries, all dropped when it is full.
fn cache(py: Python<'_>) -> &Bound<'_, PyDict> {
    static CACHE: PyOnceLock<Py<PyDict>> = PyOnceLock::new();
    CACHE.get_or_init(py, || PyDict::new(py).unbind()).bind(py)
}

/// CPython's `MAXCACHE`.
const MAX_CACHE: usize = 100;

/// The compiled `Struct` of a format argument of a module function, from the cache (the
/// format's hash is taken first, as CPython's dictionary lookup does: an unhashable format
/// is a `TypeError` there).
fn cached<'py>(format: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyStruct>> {
    let py = format.py();
    let cache = cache(py);
    if let Some(hit) = cache.get_item(format)? {
        if let Ok(s) = hit.cast_into::<PyStruct>() {
            return Ok(s);
        }
    }
    let compiled = Bound::new(py, PyStruct::of(compile(format)?))?;
    if cache.len() >= MAX_CACHE {
        cache.clear();
    }
    cache.set_item(format, &compiled)?;
    Ok(compiled)
}

/// Return the size in bytes of one record of `format`.
#[pyfunction]
#[pyo3(signature = (format, /))]
fn calcsize(format: &Bound<'_, PyAny>) -> PyResult<usize> {
    let s = cached(format)?;
    s.get().size(format.py())
}

/// Return a `bytes` object holding the values `v` packed with `format`.
#[pyfunction]
#[pyo3(text_signature = "(format, /, *v)", signature = (format, *args))]
fn pack<'py>(py: Python<'py>, format: &Bound<'py, PyAny>, args: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyBytes>> {
    cached(format)?.get().pack(py, args.iter_borrowed())
}

/// Pack the values `v` with `format` into the writable `buffer`, starting at `offset`
/// (counted from the end when negative).
#[pyfunction]
#[pyo3(text_signature = "(format, buffer, offset, /, *v)", signature = (format, *args))]
fn pack_into(format: &Bound<'_, PyAny>, args: &Bound<'_, PyTuple>) -> PyResult<()> {
    cached(format)?.get().pack_into(args)
}

/// Return the values of one record of `format` read from `buffer`, a tuple; the buffer's
/// size must be `calcsize(format)`.
#[pyfunction]
#[pyo3(signature = (format, buffer, /))]
fn unpack<'py>(
    py: Python<'py>,
    format: &Bound<'py, PyAny>,
    buffer: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyTuple>> {
    cached(format)?.get().unpack(py, buffer)
}

/// Return the values of one record of `format` read from `buffer` at `offset` (counted
/// from the end when negative), a tuple.
#[pyfunction]
#[pyo3(text_signature = "(format, /, buffer, offset=0)", signature = (format, /, buffer, offset = Given::Absent))]
fn unpack_from<'py>(
    py: Python<'py>,
    format: &Bound<'py, PyAny>,
    buffer: &Bound<'py, PyAny>,
    offset: Given<'py>,
) -> PyResult<Bound<'py, PyTuple>> {
    cached(format)?.get().unpack_from(py, buffer, offset)
}

/// The `unpack_from` module function PyO3 made, which [`unpack_from_fastcall`] hands every
/// call with keywords or an unexpected number of arguments to (it parses them and raises
/// the builtin's errors).
static UNPACK_FROM_GENERAL: std::sync::OnceLock<Py<PyAny>> = std::sync::OnceLock::new();

/// `unpack_from(format, buffer[, offset])` declared as CPython's `_struct` declares it
/// (`METH_FASTCALL | METH_KEYWORDS`): two or three positional arguments straight from the
/// caller's array, with no trampoline and no argument parsing (PyO3's cost a third of the
/// call); every other call goes to PyO3's function, with its arguments as given.
///
/// # Safety
///
/// Called by CPython only: the thread is attached, `args` holds `nargs` positional
/// arguments and then one per name in `kwnames` (a tuple, or null).
unsafe extern "C" fn unpack_from_fastcall(
    _module: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    if kwnames.is_null() && (nargs == 2 || nargs == 3) {
        let call = std::panic::AssertUnwindSafe(|| -> PyResult<*mut ffi::PyObject> {
            // SAFETY: CPython calls a function with the thread attached.
            let py = unsafe { Python::assume_attached() };
            let arg = |i: usize| {
                // SAFETY: `i < nargs`: the address of one of the caller's arguments.
                let at = unsafe { args.add(i) };
                // SAFETY: as above: a readable argument pointer.
                let ptr = unsafe { *at };
                // SAFETY: a live argument, borrowed for the call.
                unsafe { pyo3::Borrowed::from_ptr(py, ptr) }
            };
            let (format, buffer) = (arg(0), arg(1));
            let offset = (nargs == 3).then(|| arg(2));
            let s = cached(&format)?;
            Ok(s.get().unpack_at(py, &buffer, offset.as_deref())?.into_ptr())
        });
        // SAFETY: as above.
        return unsafe { returned(std::panic::catch_unwind(call), || "unpack_from".to_owned()) };
    }
    let Some(general) = UNPACK_FROM_GENERAL.get() else {
        return std::ptr::null_mut(); // never: saved before this function is installed
    };
    let positional = usize::try_from(nargs).unwrap_or(0);
    // SAFETY: a live function (kept for the process), called with the caller's live
    // arguments as given, borrowed for the call; attached.
    unsafe { ffi::PyObject_Vectorcall(general.as_ptr(), args, positional, kwnames) }
}

static UNPACK_FROM: MethodDef = MethodDef(ffi::PyMethodDef {
    ml_name: c"unpack_from".as_ptr(),
    ml_meth: ffi::PyMethodDefPointer { PyCFunctionFastWithKeywords: unpack_from_fastcall },
    ml_flags: ffi::METH_FASTCALL | ffi::METH_KEYWORDS,
    ml_doc: c"unpack_from(format, /, buffer, offset=0)\n--\n\nReturn the values of one record of `format` read from `buffer` at `offset` (counted\nfrom the end when negative), a tuple.".as_ptr(),
});

/// Replaces the module function PyO3 made under `name` (`def`'s own name) with `def` (a
/// function of the module), keeping PyO3's in `general` for the calls `def` hands on.
fn install_function(
    m: &Bound<'_, PyModule>,
    name: &str,
    def: &'static MethodDef,
    general: &std::sync::OnceLock<Py<PyAny>>,
) -> PyResult<()> {
    let py = m.py();
    if general.get().is_none() {
        let _ = general.set(m.getattr(name)?.unbind());
    }
    let module_name = m.name()?;
    // SAFETY: `def` is static (CPython keeps the pointer for the function's life) and only
    // read; `m` and its name are live objects, the thread attached.
    let raw = unsafe { ffi::PyCFunction_NewEx(std::ptr::addr_of!(def.0).cast_mut(), m.as_ptr(), module_name.as_ptr()) };
    // SAFETY: a new reference or NULL with an exception set.
    let function = unsafe { Bound::from_owned_ptr_or_err(py, raw)? };
    m.add(name, function)
}

/// Return an iterator over the records of `format` in `buffer`, each a tuple of values.
#[pyfunction]
#[pyo3(signature = (format, buffer, /))]
fn iter_unpack(format: &Bound<'_, PyAny>, buffer: &Bound<'_, PyAny>) -> PyResult<UnpackIterator> {
    PyStruct::iter_unpack(cached(format)?, buffer)
}

/// Clear the cache of compiled formats the module functions keep.
#[pyfunction]
fn _clearcache(py: Python<'_>) {
    cache(py).clear();
}

/// Fills the `memview.struct` module.
pub(crate) fn module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("error", error_type(py)?)?;
    m.add_class::<PyStruct>()?;
    install_methods(&py.get_type::<PyStruct>())?;
    m.add_function(wrap_pyfunction!(calcsize, m)?)?;
    m.add_function(wrap_pyfunction!(pack, m)?)?;
    m.add_function(wrap_pyfunction!(pack_into, m)?)?;
    m.add_function(wrap_pyfunction!(unpack, m)?)?;
    m.add_function(wrap_pyfunction!(unpack_from, m)?)?;
    install_function(m, "unpack_from", &UNPACK_FROM, &UNPACK_FROM_GENERAL)?;
    m.add_function(wrap_pyfunction!(iter_unpack, m)?)?;
    m.add_function(wrap_pyfunction!(_clearcache, m)?)?;
    Ok(())
}
