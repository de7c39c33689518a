//! Objects of a frozen class allocated and freed by memview (`memview.memoryview`'s): the
//! value written field by field into the object CPython's collector allocator gave, and a
//! `tp_dealloc` for the values that can give back every reference they hold at once (for a
//! view: a view of a span, a released view), with no attachment count kept.
//!
//! PyO3 makes an object through CPython's `object_new` (which checks arguments the call
//! does not have) and moves the value, built first on the stack, into the zeroed object; it
//! frees one through a trampoline that counts the thread as attached in a thread-local for
//! the length of the drop, so that each reference the value drops can ask whether the
//! thread is attached. For `m[a:b:c]` and `memoryview(bytearray)` those steps cost about
//! a third of the call above the builtin's own (`docs/performance.md`).
//!
//! What this module relies on, checked once when the type is set up ([`install`]), not
//! assumed: the class is collected, of fixed size, not subclassable, allocated by
//! `PyType_GenericAlloc` and freed by `PyObject_GC_Del`; an object PyO3 makes holds the value at one offset, inside
//! the type's basic size, and every other byte of the object after its header is zero (the
//! weak-reference list empty, no borrow flag, no dictionary). So an object whose other bytes
//! are zeroed and whose value is written at that offset is one PyO3 would have made. When
//! the check fails, [`new_object_in_place`] is PyO3's `Py::new` and the type keeps PyO3's
//! `tp_dealloc`. A value that cannot give its references back ([`Freed::give_back`]; for a
//! view, one holding a core view) is freed by PyO3's `tp_dealloc` in all cases: dropping a
//! core view can drop references whose owners ask PyO3 whether the thread is attached.

use std::sync::OnceLock;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::PyClass;

/// Where the value lies in an object of a class, as checked by [`install`].
pub(crate) struct Layout {
    /// The value's offset from the object's start.
    offset: usize,
    /// The type's basic size: the object's size.
    basic: usize,
    /// PyO3's `tp_dealloc`, which [`dealloc`] hands every other value to.
    general_dealloc: ffi::destructor,
}

/// A frozen class whose objects this module makes and frees.
pub(crate) trait Freed: PyClass<Frozen = pyo3::pyclass::boolean_struct::True> + Sync {
    /// The class's checked layout, set by [`install`].
    fn layout() -> &'static OnceLock<Layout>;

    /// The object PyO3 makes of the value (`Py::new`).
    fn made_by_pyo3(self, py: Python<'_>) -> PyResult<Py<Self>>;

    /// Gives back every reference the value holds (through [`give_back`], or releases of
    /// its own that need only the attached thread `py` proves), leaving a value whose drop
    /// touches no Python object; or `false`, changing nothing, for a value only PyO3's
    /// `tp_dealloc` may free.
    fn give_back(&mut self, py: Python<'_>) -> bool;
}

/// Drops a reference with the thread's attachment proved by `py`: a `Py`'s own drop asks
/// PyO3's count, which a slot CPython calls directly does not keep (it would defer the drop).
pub(crate) fn give_back<T>(_py: Python<'_>, obj: Py<T>) {
    // SAFETY: a strong reference, given up once, with the thread attached (`py`).
    unsafe { ffi::Py_DECREF(obj.into_ptr()) };
}

/// A new object of `T` holding `value` (see [`new_object_in_place`]).
#[inline]
pub(crate) fn new_object<T: Freed>(py: Python<'_>, value: T) -> PyResult<Py<T>> {
    let init = |at: *mut T| {
        // SAFETY: `at` is valid for writes of a `T`, aligned (the promise to `init`).
        unsafe { at.write(value) }
    };
    // SAFETY: `init` initialises the whole value, runs no Python code and cannot panic.
    unsafe { new_object_in_place(py, init) }
}

/// A new object of `T` whose value `init` writes straight into it, once [`install`] has
/// checked the layout (a value made first and moved in costs a copy of every byte, with a
/// stall per copy); PyO3's `Py::new` of the value `init` writes on the stack before.
///
/// The object comes from CPython's collector allocator untracked; the bytes PyO3 keeps
/// beside the value are zeroed, `init` writes the value, and only then is the object
/// tracked, so the collector never sees a value half written. `MemoryError` when there is
/// no memory.
///
/// # Safety
///
/// `init` initialises every field of the `T` at the pointer it is given (valid for writes,
/// aligned, uninitialised), and runs no Python code.
#[inline(always)]
pub(crate) unsafe fn new_object_in_place<T: Freed>(py: Python<'_>, init: impl FnOnce(*mut T)) -> PyResult<Py<T>> {
    let Some(layout) = T::layout().get() else {
        let mut value = std::mem::MaybeUninit::<T>::uninit();
        init(value.as_mut_ptr());
        // SAFETY: `init` initialised every field (the caller's promise).
        return unsafe { value.assume_init() }.made_by_pyo3(py);
    };
    let tp = T::type_object_raw(py);
    // SAFETY: a live type object (PyO3 keeps the class's type for the process) of a collected
    // class, allocated with the thread attached: `tp_basicsize` bytes, uninitialised but for
    // the header (one reference; the type referenced), not tracked; or null with
    // `MemoryError` raised.
    let obj: *mut ffi::PyObject = unsafe { ffi::PyObject_GC_New(tp) };
    if obj.is_null() {
        return Err(PyErr::fetch(py));
    }
    let bytes = obj.cast::<u8>();
    let header = std::mem::size_of::<ffi::PyObject>();
    let end = layout.offset + std::mem::size_of::<T>();
    // SAFETY: `install` checked `header <= offset` and `offset + size_of::<T>() <=
    // basic size`: both ranges lie inside the new object, which nothing else references.
    // Zero, as PyO3 leaves them (checked on the probe).
    unsafe { bytes.wrapping_add(header).write_bytes(0, layout.offset - header) };
    // SAFETY: as above.
    unsafe { bytes.wrapping_add(end).write_bytes(0, layout.basic - end) };
    let value = bytes.wrapping_add(layout.offset).cast::<T>();
    // Called directly (under `catch_unwind` it could not be inlined, and its value would be
    // built apart and copied in): a panic in it (none is expected) unwinds past an object
    // nothing references and nothing tracks, which leaks, with what `init` wrote.
    init(value);
    // SAFETY: the value is whole (`init`, the caller's promise) and the other bytes are as
    // PyO3 leaves them: the object is one PyO3 would have made, handed to the collector now.
    unsafe { ffi::PyObject_GC_Track(obj.cast()) };
    // SAFETY: a new reference to a live object of the class, with its value in place.
    let any = unsafe { Bound::from_owned_ptr(py, obj) };
    // SAFETY: an object of the class, made just above.
    Ok(unsafe { any.cast_into_unchecked::<T>() }.unbind())
}

/// `tp_dealloc` of the class `T`. A value that gives back its references
/// ([`Freed::give_back`]) is freed here: untracked, its references given back with the
/// thread's attachment proved by CPython's call (not counted by PyO3), its weak references
/// cleared (the builtin's order: a callback finds the export released), the rest of the
/// value dropped, the memory freed by `PyObject_GC_Del` (the type's `tp_free`, checked by
/// [`install`]), and the type's reference dropped. Every other value goes to PyO3's.
///
/// # Safety
///
/// Called by CPython only, as `T`'s `tp_dealloc`: the thread is attached, `obj` is an object
/// of the class with no reference left (the class cannot be subclassed).
unsafe extern "C" fn dealloc<T: Freed>(obj: *mut ffi::PyObject) {
    let Some(layout) = T::layout().get() else {
        return; // never: installed with the layout
    };
    // SAFETY: CPython deallocates with the thread attached.
    let py = unsafe { Python::assume_attached() };
    // SAFETY: a live object of a collected class, deallocated: untracked first, as CPython's
    // own deallocators do, before anything else can run (it is tracked: by
    // `new_object_in_place` once its value was whole, or by PyO3's `tp_alloc`). PyO3's
    // `tp_dealloc` untracks it again, which CPython allows (a no-op for an untracked
    // object).
    unsafe { ffi::PyObject_GC_UnTrack(obj.cast()) };
    let value = obj.cast::<u8>().wrapping_add(layout.offset).cast::<T>();
    // SAFETY: the value at the checked offset of a live object of the class, borrowed
    // exclusively: no reference to the object is left.
    let given = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe { (*value).give_back(py) }));
    if !matches!(given, Ok(true)) {
        // SAFETY: PyO3's own `tp_dealloc` for this class, called as CPython calls it.
        return unsafe { (layout.general_dealloc)(obj) };
    }
    // SAFETY: the object's type, live while the object references it.
    let tp = unsafe { ffi::Py_TYPE(obj) };
    // SAFETY: a live type object, read with the thread attached.
    let weaklist = unsafe { (*tp).tp_weaklistoffset };
    if let Ok(at) = usize::try_from(weaklist) {
        if at > 0 {
            // SAFETY: the type's weak-reference list slot lies at `at` inside the object
            // (CPython's own promise for `tp_weaklistoffset`), a pointer read in place.
            let list = unsafe { obj.cast::<u8>().wrapping_add(at).cast::<*mut ffi::PyObject>().read() };
            if !list.is_null() {
                // SAFETY: a live object with weak references, being deallocated (callbacks
                // get the dead reference, never the object), after its references are given
                // back, as the builtin's `memory_dealloc` clears them after the release.
                unsafe { ffi::PyObject_ClearWeakRefs(obj) };
            }
        }
    }
    // SAFETY: the value, which holds no reference now (`give_back`), dropped once; the
    // object is not read as one again.
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe { std::ptr::drop_in_place(value) }));
    // A panic (none is expected) leaks what the value still held; the object is freed.
    drop(dropped);
    // SAFETY: the type's own `tp_free` (checked by `install`): the collector's deallocator of
    // the memory its allocator gave (to `new_object_in_place` or PyO3's `tp_alloc`), called
    // once on an untracked object no one references.
    unsafe { ffi::PyObject_GC_Del(obj.cast()) };
    // SAFETY: every instance of a heap type holds a reference to its type, dropped last.
    unsafe { ffi::Py_DECREF(tp.cast()) };
}

/// Checks the layout of `T`'s objects on `probe`, an object PyO3 makes (see the module
/// documentation) and, when it holds, installs [`dealloc`] and lets [`new_object`] allocate.
/// Once per process; with the thread attached.
pub(crate) fn install<T: Freed>(py: Python<'_>, probe: T) -> PyResult<()> {
    if T::layout().get().is_some() {
        return Ok(());
    }
    let class = py.get_type::<T>();
    let tp = class.as_type_ptr();
    // A probe made by PyO3: where the value lies and what the other bytes hold.
    let probe = probe.made_by_pyo3(py)?;
    let start = probe.as_ptr() as usize;
    let at = std::ptr::from_ref(probe.get()) as usize;
    // SAFETY: a live type object, read with the thread attached (no one writes it meanwhile).
    let type_object = unsafe { &*tp };
    let (basic, general) = (type_object.tp_basicsize, type_object.tp_dealloc);
    // SAFETY: a live type object, read with the thread attached.
    let gc = unsafe { ffi::PyType_HasFeature(tp, ffi::Py_TPFLAGS_HAVE_GC) } != 0;
    // A collected class of fixed size, which cannot be subclassed, whose objects come from
    // CPython's own allocator and go back to it, as `PyObject_GC_New` and `PyObject_GC_Del`
    // do.
    let generic_alloc =
        type_object.tp_alloc.is_some_and(|a| std::ptr::fn_addr_eq(a, ffi::PyType_GenericAlloc as ffi::allocfunc));
    let generic_free =
        type_object.tp_free.is_some_and(|f| std::ptr::fn_addr_eq(f, ffi::PyObject_GC_Del as ffi::freefunc));
    // SAFETY: as above.
    let base = unsafe { ffi::PyType_HasFeature(tp, ffi::Py_TPFLAGS_BASETYPE) } != 0;
    // No subclass can exist (its objects could be larger, or hold a dictionary).
    let collected = gc && !base && type_object.tp_itemsize == 0 && generic_alloc && generic_free;
    let (Ok(basic), Some(general_dealloc), true) = (usize::try_from(basic), general, collected) else {
        return Ok(()); // an unexpected type: PyO3's paths stay
    };
    let header = std::mem::size_of::<ffi::PyObject>();
    let size = std::mem::size_of::<T>();
    let Some(offset) = at.checked_sub(start) else {
        return Ok(());
    };
    let fits = offset >= header
        && offset.checked_add(size).is_some_and(|end| end <= basic)
        && offset % std::mem::align_of::<T>() == 0;
    if !fits {
        return Ok(());
    }
    // SAFETY: the probe's memory from after its header to its basic size: allocated for the
    // object (`tp_basicsize` bytes), initialised (zeroed by the allocator, then written by
    // PyO3), and not written while it is read here (the thread is attached, no code runs).
    let rest = unsafe { std::slice::from_raw_parts(probe.as_ptr().cast::<u8>().wrapping_add(header), basic - header) };
    let value_range = (offset - header)..(offset - header + size);
    let zero_outside_value = rest.iter().enumerate().all(|(i, &byte)| value_range.contains(&i) || byte == 0);
    drop(probe);
    if !zero_outside_value {
        return Ok(());
    }
    if T::layout().set(Layout { offset, basic, general_dealloc }).is_ok() {
        // SAFETY: a heap type's own field (PyO3 makes classes with `PyType_FromSpec`),
        // written once with the thread attached; instances made by PyO3 or by `new_object`
        // have one layout, which `dealloc` frees or hands to PyO3's `tp_dealloc`, saved
        // first.
        unsafe { (*tp).tp_dealloc = Some(dealloc::<T>) };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pyview::PyMemoryView;
    use pyo3::PyTypeInfo;

    #[test]
    fn the_layout_is_checked_and_used() {
        Python::attach(|py| {
            install(py, PyMemoryView::probe()).unwrap();
            let layout = <PyMemoryView as Freed>::layout().get().expect("the layout of this PyO3 holds");
            assert!(layout.offset >= std::mem::size_of::<ffi::PyObject>());
            let tp = PyMemoryView::type_object_raw(py);
            // SAFETY: a live type object, read attached.
            let installed = unsafe { (*tp).tp_dealloc };
            assert!(installed.is_some_and(|d| std::ptr::fn_addr_eq(d, dealloc::<PyMemoryView> as ffi::destructor)));
        });
    }
}
