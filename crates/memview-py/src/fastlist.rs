//! `tolist` of native numbers without a `Value` per item: the items are copied out as Rust
//! numbers under the family lock (one C-order copy), then the lists are built outside it.

use crate::convert::view_err;
use crate::family::Locked;
use buffer_protocol::Element;
use pyo3::prelude::*;
use pyo3::types::PyList;
use pyo3::IntoPyObjectExt;

/// Nested lists of `shape` over C-order items.
fn nest<'py, T: Copy + IntoPyObject<'py>>(
    py: Python<'py>,
    items: &[T],
    shape: &[usize],
) -> PyResult<Bound<'py, PyAny>> {
    match shape {
        [] => match items.first() {
            Some(x) => x.into_bound_py_any(py),
            None => Ok(PyList::empty(py).into_any()),
        },
        [_] => Ok(PyList::new(py, items.iter().copied())?.into_any()),
        [n, rest @ ..] => {
            let step = rest.iter().product::<usize>();
            let mut rows = Vec::with_capacity(*n);
            for i in 0..*n {
                let part = items.get(i * step..(i + 1) * step).unwrap_or(&[]);
                rows.push(nest(py, part, rest)?);
            }
            Ok(PyList::new(py, rows)?.into_any())
        }
    }
}

/// A number of a native code as a new Python object, made by the C API call CPython's own
/// `tolist` makes for its code (no PyO3 conversion per item).
trait NewNumber: Copy {
    /// A new reference, or null with an exception set (memory).
    ///
    /// # Safety
    ///
    /// The thread is attached.
    unsafe fn new_object(self) -> *mut pyo3::ffi::PyObject;
}

macro_rules! new_number {
    ($via:ident, $wide:ty: $($t:ty),*) => {$(
        impl NewNumber for $t {
            #[inline]
            unsafe fn new_object(self) -> *mut pyo3::ffi::PyObject {
                // SAFETY: the caller's promise: attached. The widening is lossless.
                unsafe { pyo3::ffi::$via(<$wide>::from(self)) }
            }
        }
    )*};
}
// `c_long` has at least 32 bits everywhere: CPython's call for the small codes.
new_number!(PyLong_FromLong, std::ffi::c_long: i8, i16, i32, u8, u16);
new_number!(PyLong_FromLongLong, i64: u32, i64);
new_number!(PyLong_FromUnsignedLongLong, u64: u64);
new_number!(PyFloat_FromDouble, f64: f32, f64);

impl NewNumber for isize {
    #[inline]
    unsafe fn new_object(self) -> *mut pyo3::ffi::PyObject {
        // SAFETY: the caller's promise: attached.
        unsafe { pyo3::ffi::PyLong_FromSsize_t(self) }
    }
}

impl NewNumber for usize {
    #[inline]
    unsafe fn new_object(self) -> *mut pyo3::ffi::PyObject {
        // SAFETY: the caller's promise: attached.
        unsafe { pyo3::ffi::PyLong_FromSize_t(self) }
    }
}

/// A 1-D list made outside the lock (a list is a container: making one may run the
/// collector, hence Python code) and filled under it with numbers (not containers: making
/// one runs no Python code), straight from memory.
fn flat<T>(m: &impl Locked, py: Python<'_>, n: usize) -> PyResult<Option<Py<PyAny>>>
where
    T: Element + NewNumber,
{
    let len = pyo3::ffi::Py_ssize_t::try_from(n).map_err(|_| pyo3::exceptions::PyMemoryError::new_err("too large"))?;
    // SAFETY: the GIL is held; a new list of `len` NULL items, or NULL with an error set.
    let raw = unsafe { pyo3::ffi::PyList_New(len) };
    // SAFETY: a new reference or NULL with an exception set.
    let list = unsafe { Bound::from_owned_ptr_or_err(py, raw)? };
    let filled = m.locked(py, |v| {
        let Ok(t) = v.typed::<T>() else { return Ok(false) };
        if t.len() != n {
            return Ok(false);
        }
        // The typed iterator walks a 1-D view as a slice iterator does, allocating nothing.
        for (i, x) in (0..len).zip(t.iter()) {
            // SAFETY: the thread is attached (`py`).
            let item = unsafe { x.new_object() };
            if item.is_null() {
                return Err(PyErr::fetch(py));
            }
            // SAFETY: `raw` is the list made above, of `len` slots, and `i < len`; each slot
            // is set once, with a new reference the list steals. A list whose later slots
            // stay NULL after an error is still freed correctly.
            unsafe { pyo3::ffi::PyList_SET_ITEM(raw, i, item) };
        }
        Ok(true)
    })?;
    Ok(filled.then(|| list.unbind()))
}

fn typed<T>(m: &impl Locked, py: Python<'_>, shape: &[usize]) -> PyResult<Option<Py<PyAny>>>
where
    T: Element + NewNumber + for<'py> IntoPyObject<'py>,
{
    if let [n] = shape {
        if let Some(list) = flat::<T>(m, py, *n)? {
            return Ok(Some(list));
        }
    }
    let items: Option<Vec<T>> = m.locked(py, |v| match v.typed::<T>() {
        Ok(t) => t.to_vec().map(Some).map_err(view_err),
        Err(_) => Ok(None),
    })?;
    match items {
        Some(items) => Ok(Some(nest(py, &items, shape)?.unbind())),
        None => Ok(None),
    }
}

/// `tolist` for the native codes Rust reads directly; `None` for the others (`?`, `c`, `e`,
/// `P`), which take the general path.
pub(crate) fn tolist(m: &impl Locked, py: Python<'_>, code: char, shape: &[usize]) -> PyResult<Option<Py<PyAny>>> {
    match code {
        'b' => typed::<i8>(m, py, shape),
        'B' => typed::<u8>(m, py, shape),
        'h' => typed::<i16>(m, py, shape),
        'H' => typed::<u16>(m, py, shape),
        'i' => typed::<i32>(m, py, shape),
        'I' => typed::<u32>(m, py, shape),
        'l' | 'q' => typed::<i64>(m, py, shape),
        'L' | 'Q' => typed::<u64>(m, py, shape),
        'n' => typed::<isize>(m, py, shape),
        'N' => typed::<usize>(m, py, shape),
        'f' => typed::<f32>(m, py, shape),
        'd' => typed::<f64>(m, py, shape),
        _ => Ok(None),
    }
}
