//! The hottest entry points of `memview.memoryview`, written for CPython directly: the
//! `mp_subscript`, `mp_ass_subscript` and length slots (`m[i]`, `m[i, j]`, `m[i] = v`,
//! `len(m)` of a view whose hot layout answers them, and `m[a:b:c]` of a view of a run of
//! numbers through `PyMemoryView::span_slice`), the type's `tp_vectorcall`
//! (`memview.memoryview(x)` with one positional argument, through `make_view`), and a
//! `METH_FASTCALL` `tobytes` (no argument, a small C-contiguous view).
//!
//! PyO3 enters every slot and method through its trampoline (the thread's attachment count
//! kept in a thread-local, pending reference counts applied, panics caught), which costs
//! about as much as the builtin's whole `m[i]`, and `type.__call__` gathers the arguments of
//! `memoryview(x)` into a tuple for PyO3's `tp_new`. The entry points here answer the hot case
//! only, through the functions PyO3's own methods call, and hand every other call, with its
//! arguments as given, to the slot or method PyO3 made, saved when these are installed: there
//! is one definition of each behaviour (`pytests/test_hot.py` and `pytests/test_import.py`
//! compare every other key, value, view and call with the builtin).
//!
//! The item, length and store paths run no Python code and drop no reference on the way to
//! an answer, and `m[a:b:c]`'s new view takes the references it holds, so they need no
//! attachment count: a reference dropped on an error path is deferred by PyO3 to its next
//! call, as PyO3 does for any reference dropped by a thread it does not count as attached.
//! `memoryview(x)` may run Python code (the exporter's buffer), so it runs under
//! `Python::attach`. A panic (none is expected: the crate denies panicking calls) hands the
//! call to the general path, or raises `SystemError` where there is none.

use std::panic::AssertUnwindSafe;
use std::sync::OnceLock;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::Borrowed;

use crate::pyview::PyMemoryView;

/// The slots PyO3 made for the class, which the slots here hand every other call to.
struct General {
    subscript: ffi::binaryfunc,
    ass_subscript: ffi::objobjargproc,
    length: ffi::lenfunc,
    new: ffi::newfunc,
}

static GENERAL: OnceLock<General> = OnceLock::new();

/// The view behind `slf`.
///
/// # Safety
///
/// `slf` is a live instance of `memview.memoryview` (the class cannot be subclassed, so an
/// object whose type's slot is called is one), and the thread is attached.
unsafe fn view<'a>(py: Python<'a>, slf: *mut ffi::PyObject) -> &'a PyMemoryView {
    // SAFETY: the caller's promise: a live object, borrowed for the call.
    let any = unsafe { pyo3::Borrowed::from_ptr(py, slf) };
    // SAFETY: the caller's promise: its type is `memview.memoryview`.
    let bound = unsafe { any.cast_unchecked::<PyMemoryView>() };
    // The class is frozen: `get` borrows nothing. The reference lives as long as CPython's
    // borrowed reference to `slf`, which outlives the slot call.
    let this: *const PyMemoryView = bound.get();
    // SAFETY: `this` points into the live object for the length of the call (`'a`).
    unsafe { &*this }
}

/// The index a key names without Python code: an exact `int` that fits `isize`.
fn exact_index(key: &Bound<'_, PyAny>) -> Option<isize> {
    match crate::convert::exact_number(key)? {
        crate::hot::Num::I(i) => isize::try_from(i).ok(),
        _ => None,
    }
}

/// The item `key` names in the hot layout, as a new reference; `None` to take the general
/// path.
///
/// # Safety
///
/// As for [`subscript`].
unsafe fn subscript_hot(slf: *mut ffi::PyObject, key: *mut ffi::PyObject) -> Option<*mut ffi::PyObject> {
    // SAFETY: CPython calls a slot with the thread attached.
    let py = unsafe { Python::assume_attached() };
    // SAFETY: the slot's caller passes a live key, borrowed for the call.
    let key = unsafe { pyo3::Borrowed::from_ptr(py, key) };
    // SAFETY: the slot's caller passes this class's instance (see `view`).
    let this = unsafe { view(py, slf) };
    let num = if let Some(i) = exact_index(&key) {
        this.hot.item(&[i])?
    } else if let Some(made) = this.span_slice(&key) {
        // `m[a:b:c]` of a run of numbers: the new view, or its error (the general path's
        // own function, so its answer).
        return Some(crate::convert::raised(py, made.map(Py::into_ptr)));
    } else {
        let pair = key.cast_exact::<pyo3::types::PyTuple>().ok()?;
        if pair.len() != 2 {
            return None;
        }
        let i = exact_index(&*pair.get_borrowed_item(0).ok()?)?;
        let j = exact_index(&*pair.get_borrowed_item(1).ok()?)?;
        this.hot.item(&[i, j])?
    };
    // A failed conversion (memory) takes the general path, which raises it.
    num.into_py(py).ok().map(Py::into_ptr)
}

/// `mp_subscript`: `m[key]`.
///
/// # Safety
///
/// Called by CPython only, as this class's `mp_subscript`: the thread is attached, `slf` is
/// an instance of the class and `key` a live object.
unsafe extern "C" fn subscript(slf: *mut ffi::PyObject, key: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: the caller's promise, passed on.
    let hot = std::panic::catch_unwind(AssertUnwindSafe(|| unsafe { subscript_hot(slf, key) }));
    if let Ok(Some(obj)) = hot {
        return obj;
    }
    match GENERAL.get() {
        // SAFETY: PyO3's own slot for this class, called as CPython calls it.
        Some(general) => unsafe { (general.subscript)(slf, key) },
        None => std::ptr::null_mut(), // never: installed before the slot is
    }
}

/// Stores `value` at `key` through the hot layout; `None` to take the general path.
///
/// # Safety
///
/// As for [`ass_subscript`], with `value` non-null.
unsafe fn store_hot(slf: *mut ffi::PyObject, key: *mut ffi::PyObject, value: *mut ffi::PyObject) -> Option<()> {
    // SAFETY: CPython calls a slot with the thread attached.
    let py = unsafe { Python::assume_attached() };
    // SAFETY: a live argument, borrowed for the call.
    let key = unsafe { pyo3::Borrowed::from_ptr(py, key) };
    // SAFETY: as for `key`.
    let value = unsafe { pyo3::Borrowed::from_ptr(py, value) };
    let index = exact_index(&key)?;
    let num = crate::convert::exact_number(&value)?;
    // SAFETY: the slot's caller passes this class's instance (see `view`).
    let this = unsafe { view(py, slf) };
    this.hot.store(&[index], num)
}

/// `mp_ass_subscript`: `m[key] = value`, and `del m[key]` (a null `value`).
///
/// # Safety
///
/// Called by CPython only, as this class's `mp_ass_subscript`: the thread is attached, `slf`
/// is an instance of the class, `key` a live object and `value` a live object or null.
unsafe extern "C" fn ass_subscript(
    slf: *mut ffi::PyObject,
    key: *mut ffi::PyObject,
    value: *mut ffi::PyObject,
) -> std::ffi::c_int {
    if !value.is_null() {
        // SAFETY: the caller's promise, passed on; `value` is non-null.
        let hot = std::panic::catch_unwind(AssertUnwindSafe(|| unsafe { store_hot(slf, key, value) }));
        if let Ok(Some(())) = hot {
            return 0;
        }
    }
    match GENERAL.get() {
        // SAFETY: PyO3's own slot for this class, called as CPython calls it.
        Some(general) => unsafe { (general.ass_subscript)(slf, key, value) },
        None => -1,
    }
}

/// `sq_length` and `mp_length`: `len(m)`.
///
/// # Safety
///
/// Called by CPython only, as this class's length slot: the thread is attached and `slf` is
/// an instance of the class.
unsafe extern "C" fn length(slf: *mut ffi::PyObject) -> ffi::Py_ssize_t {
    let hot = std::panic::catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: CPython calls a slot with the thread attached.
        let py = unsafe { Python::assume_attached() };
        // SAFETY: the caller's promise: `slf` is an instance of the class.
        let this = unsafe { view(py, slf) };
        this.hot.len().and_then(|n| ffi::Py_ssize_t::try_from(n).ok())
    }));
    if let Ok(Some(n)) = hot {
        return n;
    }
    match GENERAL.get() {
        // SAFETY: PyO3's own slot for this class, called as CPython calls it.
        Some(general) => unsafe { (general.length)(slf) },
        None => -1,
    }
}

/// `memview.memoryview(x)` called through the type's vectorcall (as CPython's own types are
/// called): one positional argument goes straight to [`make_view`](crate::pyview::make_view)
/// with no argument tuple; any other call is handed, as a tuple and a dictionary, to the
/// `tp_new` PyO3 made, which parses it and raises the builtin's errors.
///
/// # Safety
///
/// Called by CPython only, as this type's `tp_vectorcall`: the thread is attached, `callable`
/// is the type, `args` holds the positional arguments then one per name in `kwnames` (a
/// tuple, or null).
unsafe extern "C" fn new_vectorcall(
    callable: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargsf: usize,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: the caller's promise, passed on.
    let made =
        std::panic::catch_unwind(AssertUnwindSafe(|| unsafe { vectorcall_new(callable, args, nargsf, kwnames) }));
    match made {
        Ok(made) => made,
        Err(_) => {
            // SAFETY: CPython calls a slot with the thread attached.
            let py = unsafe { Python::assume_attached() };
            pyo3::exceptions::PySystemError::new_err("memview.memoryview() panicked").restore(py);
            std::ptr::null_mut()
        }
    }
}

/// The body of [`new_vectorcall`], under PyO3's attachment (Python code may run: the
/// argument's `__buffer__`, or an attribute lookup).
///
/// # Safety
///
/// As for [`new_vectorcall`].
unsafe fn vectorcall_new(
    callable: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargsf: usize,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    Python::attach(|py| {
        // SAFETY: CPython's count of positional arguments, from the caller's `nargsf`.
        let nargs = unsafe { ffi::PyVectorcall_NARGS(nargsf) };
        let named = if kwnames.is_null() {
            0
        } else {
            // SAFETY: `kwnames` is a live tuple (the caller's promise).
            unsafe { ffi::PyTuple_GET_SIZE(kwnames) }
        };
        let result = if nargs == 1 && named == 0 {
            // SAFETY: one live positional argument at `args` (the caller's promise).
            let arg = unsafe { argument(py, args, 0) };
            crate::pyview::make_view(&arg).map(Py::into_ptr)
        } else {
            // SAFETY: as promised by the caller, passed on.
            unsafe { general_new(py, callable, args, nargs, kwnames, named) }
        };
        crate::convert::raised(py, result)
    })
}

/// Argument `i` of a vectorcall, borrowed for the call.
///
/// # Safety
///
/// `args` holds at least `i + 1` live objects, borrowed for the call; the thread is attached.
unsafe fn argument<'a, 'py>(py: Python<'py>, args: *const *mut ffi::PyObject, i: usize) -> Borrowed<'a, 'py, PyAny> {
    // SAFETY: the caller's promise: `i` is within the arguments.
    let at = unsafe { args.add(i) };
    // SAFETY: as above: a readable argument pointer.
    let arg = unsafe { *at };
    // SAFETY: the caller's promise: a live object, borrowed for the call.
    unsafe { pyo3::Borrowed::from_ptr(py, arg) }
}

/// A call of the type other than with one positional argument: PyO3's `tp_new`, given the
/// arguments as `type.__call__` would give them.
///
/// # Safety
///
/// As for [`new_vectorcall`], with `nargs` positional arguments and `named` names.
unsafe fn general_new(
    py: Python<'_>,
    callable: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
    named: ffi::Py_ssize_t,
) -> PyResult<*mut ffi::PyObject> {
    let count = usize::try_from(nargs).unwrap_or(0);
    // SAFETY: `args` holds `nargs` live positional arguments, then `named` live values.
    let positional: Vec<Borrowed<'_, '_, PyAny>> = (0..count).map(|i| unsafe { argument(py, args, i) }).collect();
    let tuple = pyo3::types::PyTuple::new(py, positional)?;
    let dict = if named > 0 {
        let dict = pyo3::types::PyDict::new(py);
        // SAFETY: `kwnames` is a live object (the caller's promise), borrowed for the call.
        let names = unsafe { pyo3::Borrowed::from_ptr(py, kwnames) };
        // SAFETY: the caller's promise: `kwnames` is a tuple.
        let names = unsafe { names.cast_unchecked::<pyo3::types::PyTuple>() };
        for (i, name) in names.iter().enumerate() {
            // SAFETY: the value of name `i` follows the positional arguments.
            let value = unsafe { argument(py, args, count.saturating_add(i)) };
            dict.set_item(name, value)?;
        }
        Some(dict)
    } else {
        None
    };
    let general = GENERAL.get().ok_or_else(|| pyo3::exceptions::PySystemError::new_err("memoryview is not ready"))?;
    let kwargs = dict.as_ref().map_or(std::ptr::null_mut(), |d| d.as_ptr());
    // SAFETY: PyO3's own `tp_new` for this type, called as `type.__call__` calls it: the
    // type, a tuple and a dictionary or null, the GIL held.
    let made = unsafe { (general.new)(callable.cast(), tuple.as_ptr(), kwargs) };
    if made.is_null() {
        return Err(PyErr::fetch(py));
    }
    Ok(made)
}

/// Puts the slots above into the class, keeping PyO3's for every other call. Called once,
/// when the module is made, before any instance exists.
pub(crate) fn install(py: Python<'_>) -> PyResult<()> {
    let missing = || pyo3::exceptions::PySystemError::new_err("memoryview's slots are not all defined");
    let class = py.get_type::<PyMemoryView>();
    let tp = class.as_type_ptr();
    // SAFETY: a live type object, read with the GIL held.
    let mapping = unsafe { (*tp).tp_as_mapping };
    // SAFETY: as above.
    let sequence = unsafe { (*tp).tp_as_sequence };
    // SAFETY: a heap type (PyO3 makes classes with `PyType_FromSpec`) holds its slot tables
    // inline, live as long as the type (which the module keeps); they are touched here only,
    // once, with the GIL held and before any instance exists, so no other reference to them
    // is used meanwhile.
    let mapping = unsafe { mapping.as_mut() }.ok_or_else(missing)?;
    // SAFETY: as for `mapping`.
    let sequence = unsafe { sequence.as_mut() }.ok_or_else(missing)?;
    let (Some(subscript_fn), Some(ass_fn), Some(length_fn)) =
        (mapping.mp_subscript, mapping.mp_ass_subscript, sequence.sq_length.or(mapping.mp_length))
    else {
        return Err(missing());
    };
    // Installed once (a second module object, after `importlib.reload`, finds them in place).
    if std::ptr::fn_addr_eq(subscript_fn, subscript as ffi::binaryfunc) {
        return Ok(());
    }
    // SAFETY: as for `mapping`: the type object's own field, read with the GIL held.
    let Some(new_fn) = (unsafe { (*tp).tp_new }) else {
        return Err(missing());
    };
    let _ = GENERAL.set(General { subscript: subscript_fn, ass_subscript: ass_fn, length: length_fn, new: new_fn });
    mapping.mp_subscript = Some(subscript);
    mapping.mp_ass_subscript = Some(ass_subscript);
    if sequence.sq_length.is_some() {
        sequence.sq_length = Some(length);
    }
    if mapping.mp_length.is_some() {
        mapping.mp_length = Some(length);
    }
    // SAFETY: the type object's own field, written once with the GIL held before any call
    // of the type (`type` finds it through its vectorcall offset).
    unsafe { (*tp).tp_vectorcall = Some(new_vectorcall) };
    // SAFETY: a live type object whose slots changed, the GIL held.
    unsafe { ffi::PyType_Modified(tp) };
    Ok(())
}

/// PyO3's `tobytes` method descriptor, which [`tobytes`] hands every other call to.
static TOBYTES_GENERAL: OnceLock<Py<PyAny>> = OnceLock::new();

/// `m.tobytes()` with no argument, of a small C-contiguous view: one copy from the hot
/// layout (`Hot::c_bytes`), with no trampoline. Any other call goes to PyO3's method, with
/// its arguments as given.
///
/// # Safety
///
/// Called by CPython only, as a `METH_FASTCALL | METH_KEYWORDS` method of the class: the
/// thread is attached, `slf` is an instance, `args` holds `nargs` positional arguments and
/// then one per name in `kwnames` (a tuple, or null).
unsafe extern "C" fn tobytes(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    if nargs == 0 && kwnames.is_null() {
        let hot = std::panic::catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: CPython calls a method with the thread attached.
            let py = unsafe { Python::assume_attached() };
            // SAFETY: the caller's promise: `slf` is an instance of the class.
            let this = unsafe { view(py, slf) };
            this.hot.c_bytes(py).map(|made| crate::convert::raised(py, made.map(Bound::into_ptr)))
        }));
        if let Ok(Some(obj)) = hot {
            return obj;
        }
    }
    // SAFETY: the caller's promise, passed on.
    unsafe { call_general(&TOBYTES_GENERAL, slf, args, nargs, kwnames) }
}

/// Calls a saved method descriptor as `slf.method(*args, **kwargs)` would call it.
///
/// # Safety
///
/// As for a `METH_FASTCALL | METH_KEYWORDS` method: attached, `args` holds `nargs`
/// positional arguments and then one per name in `kwnames` (a tuple, or null).
unsafe fn call_general(
    general: &OnceLock<Py<PyAny>>,
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    let Some(method) = general.get() else {
        return std::ptr::null_mut(); // never: saved before the method is installed
    };
    let named = if kwnames.is_null() {
        0
    } else {
        // SAFETY: `kwnames` is a live tuple (the caller's promise).
        unsafe { ffi::PyTuple_GET_SIZE(kwnames) }
    };
    let count = usize::try_from(nargs.saturating_add(named)).unwrap_or(0);
    let mut all: smallvec::SmallVec<[*mut ffi::PyObject; 8]> = smallvec::SmallVec::with_capacity(count + 1);
    all.push(slf);
    if count > 0 {
        // SAFETY: the caller's promise: `count` readable argument pointers at `args`
        // (non-null when there is one), borrowed for the call.
        all.extend_from_slice(unsafe { std::slice::from_raw_parts(args, count) });
    }
    let positional = usize::try_from(nargs.saturating_add(1)).unwrap_or(1);
    // SAFETY: a live method descriptor (kept by the `OnceLock` for the process), called with
    // the instance and the caller's live arguments, borrowed for the call; attached.
    unsafe { ffi::PyObject_Vectorcall(method.as_ptr(), all.as_ptr(), positional, kwnames) }
}

static TOBYTES: crate::pystruct::MethodDef = crate::pystruct::MethodDef(ffi::PyMethodDef {
    ml_name: c"tobytes".as_ptr(),
    ml_meth: ffi::PyMethodDefPointer { PyCFunctionFastWithKeywords: tobytes },
    ml_flags: ffi::METH_FASTCALL | ffi::METH_KEYWORDS,
    ml_doc: c"tobytes($self, /, order='C')\n--\n\nReturn the items' bytes as a `bytes` object, in C order (or `order`: 'C', 'F',\nor 'A', which keeps the memory's own order where it is contiguous).".as_ptr(),
});

/// Replaces PyO3's `tobytes` with [`tobytes`], keeping PyO3's for every other call.
pub(crate) fn install_methods(py: Python<'_>) -> PyResult<()> {
    let class = py.get_type::<PyMemoryView>();
    let general = class.getattr("__dict__")?.get_item("tobytes")?;
    if general.is_instance_of::<pyo3::types::PyCFunction>() || TOBYTES_GENERAL.get().is_some() {
        return Ok(()); // installed already
    }
    let _ = TOBYTES_GENERAL.set(general.unbind());
    crate::pystruct::install(&class, &TOBYTES)
}
