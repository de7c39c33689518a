//! `memview.memoryview` objects allocated and freed by memview: the type's `tp_alloc` with
//! the value written once into the object CPython allocated, and a `tp_dealloc` for the
//! views that hold no core view (a view of a span, a released view), which gives back their
//! references with no attachment count kept.
//!
//! PyO3 makes an object through CPython's `object_new` (which checks arguments the call
//! does not have) and moves the value, built first on the stack, into the zeroed object; it
//! frees one through a trampoline that counts the thread as attached in a thread-local for
//! the length of the drop, so that each reference the value drops can ask whether the
//! thread is attached. For `m[a:b:c]` and `memoryview(bytearray)` those two steps cost about
//! a third of the call above the builtin's own (`docs/performance.md`).
//!
//! What this module relies on, checked once when the type is set up ([`install`]), not
//! assumed: an object PyO3 makes holds the value at one offset, inside the type's basic size,
//! and every other byte of the object after its header is zero (the weak-reference list
//! empty, no borrow flag, no dictionary): an object allocated zeroed with the value written
//! at that offset is one PyO3 would have made. When the check fails, [`new_view`] is PyO3's
//! `Py::new` and the type keeps PyO3's `tp_dealloc`. A view holding a core view is freed by
//! PyO3's `tp_dealloc` in all cases: dropping a core view can drop references whose owners
//! ask PyO3 whether the thread is attached.

use std::sync::OnceLock;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::PyTypeInfo;

use crate::pyview::{Anchor, PyMemoryView};

/// Where the value lies in an object of the class, as checked by [`install`].
struct Layout {
    /// The value's offset from the object's start.
    offset: usize,
    /// PyO3's `tp_dealloc`, which [`dealloc`] hands every view holding a core view to.
    general_dealloc: ffi::destructor,
}

static LAYOUT: OnceLock<Layout> = OnceLock::new();

/// A new `memview.memoryview` object holding `value`: allocated by the type's `tp_alloc` and
/// the value written in place, once [`install`] has checked the layout; PyO3's `Py::new`
/// before. `MemoryError` (or what `tp_alloc` raised) when there is no memory.
#[inline]
pub(crate) fn new_view(py: Python<'_>, value: PyMemoryView) -> PyResult<Py<PyMemoryView>> {
    let Some(layout) = LAYOUT.get() else {
        return Py::new(py, value);
    };
    let tp = PyMemoryView::type_object_raw(py);
    // SAFETY: a live type object (PyO3 keeps the class's type for the process), read with the
    // thread attached.
    let alloc = unsafe { (*tp).tp_alloc }.unwrap_or(ffi::PyType_GenericAlloc);
    // SAFETY: the type's own allocator, called as `tp_new` would: zeroed memory of the
    // type's basic size, the header set (one reference, the type referenced), tracked by the
    // collector; or null with an error raised.
    let obj = unsafe { alloc(tp, 0) };
    if obj.is_null() {
        return Err(PyErr::fetch(py));
    }
    // SAFETY: `install` checked that the value lies at `offset`, aligned and inside the basic
    // size the allocator gave, and that PyO3 leaves every other byte after the header zero,
    // as the allocator did: writing the value makes the object PyO3 would have made. The
    // memory there is uninitialised for Rust (no value to drop), and no other reference to
    // the new object exists yet. The collector may see the object from here on: it visits
    // only what the value holds, written before any code that could run it.
    unsafe { obj.cast::<u8>().wrapping_add(layout.offset).cast::<PyMemoryView>().write(value) };
    // SAFETY: a new reference to a live object of the class, with its value in place.
    let any = unsafe { Bound::from_owned_ptr(py, obj) };
    // SAFETY: an object of the class, made just above.
    Ok(unsafe { any.cast_into_unchecked::<PyMemoryView>() }.unbind())
}

/// `tp_dealloc` of the class. A view with no core view (see
/// [`PyMemoryView::references`]) is freed here: untracked, its weak references cleared,
/// its references given back with the thread's attachment proved by CPython's call (not
/// counted by PyO3), the rest of the value dropped, the memory freed by the type's
/// `tp_free`, and the type's reference dropped. Every other view goes to PyO3's.
///
/// # Safety
///
/// Called by CPython only, as this class's `tp_dealloc`: the thread is attached, `obj` is an
/// object of the class with no reference left (the class cannot be subclassed).
unsafe extern "C" fn dealloc(obj: *mut ffi::PyObject) {
    let Some(layout) = LAYOUT.get() else {
        return; // never: installed with the layout
    };
    // SAFETY: CPython deallocates with the thread attached.
    let py = unsafe { Python::assume_attached() };
    let value = obj.cast::<u8>().wrapping_add(layout.offset).cast::<PyMemoryView>();
    // SAFETY: the value at the checked offset of a live object of the class, borrowed
    // exclusively: no reference to the object is left.
    let refs = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe { (*value).references() }));
    let Ok(Some((exporter, anchor))) = refs else {
        // SAFETY: PyO3's own `tp_dealloc` for this class, called as CPython calls it.
        return unsafe { (layout.general_dealloc)(obj) };
    };
    // SAFETY: a live object of a collected class, deallocated: untracked first, as CPython's
    // own deallocators do (it is tracked: the allocator tracked it, nothing untracks it
    // before this).
    unsafe { ffi::PyObject_GC_UnTrack(obj.cast()) };
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
                // SAFETY: a live object with weak references, being deallocated.
                unsafe { ffi::PyObject_ClearWeakRefs(obj) };
            }
        }
    }
    if let Some(exporter) = exporter {
        // SAFETY: a strong reference the view held (taken out of it), given back once, with
        // the thread attached.
        unsafe { ffi::Py_DECREF(exporter.into_ptr()) };
    }
    match anchor {
        Anchor::None => {}
        Anchor::Own(raw) => raw.release(py),
        // SAFETY: as for `exporter`.
        Anchor::Shared(mbuf) => unsafe { ffi::Py_DECREF(mbuf.into_ptr()) },
    }
    // SAFETY: the value, which holds no reference now (`references`), dropped once; the
    // object is not read as one again.
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe { std::ptr::drop_in_place(value) }));
    // A panic (none is expected) leaks what the value still held; the object is freed.
    drop(dropped);
    // SAFETY: the type's own deallocator of the memory its `tp_alloc` gave (PyO3's objects
    // come from the same allocator), called once on an untracked object no one references.
    match unsafe { (*tp).tp_free } {
        // SAFETY: as above.
        Some(free) => unsafe { free(obj.cast()) },
        // SAFETY: as above: the collector's deallocator of a collected type's object.
        None => unsafe { ffi::PyObject_GC_Del(obj.cast()) },
    }
    // SAFETY: every instance of a heap type holds a reference to its type, dropped last.
    unsafe { ffi::Py_DECREF(tp.cast()) };
}

/// Checks the class's object layout (see the module documentation) and, when it holds,
/// installs [`dealloc`] and lets [`new_view`] allocate. Once per process; with the thread
/// attached, before the type's first instance is freed by memview.
pub(crate) fn install(py: Python<'_>) -> PyResult<()> {
    if LAYOUT.get().is_some() {
        return Ok(());
    }
    let class = py.get_type::<PyMemoryView>();
    let tp = class.as_type_ptr();
    // A probe made by PyO3: where the value lies and what the other bytes hold.
    let probe = Py::new(py, PyMemoryView::probe())?;
    let start = probe.as_ptr() as usize;
    let at = std::ptr::from_ref(probe.get()) as usize;
    // SAFETY: a live type object, read with the thread attached (no one writes it meanwhile).
    let type_object = unsafe { &*tp };
    let (basic, general, flags) = (type_object.tp_basicsize, type_object.tp_dealloc, type_object.tp_flags);
    let collected = flags & ffi::Py_TPFLAGS_HAVE_GC != 0;
    let (Ok(basic), Some(general_dealloc), true) = (usize::try_from(basic), general, collected) else {
        return Ok(()); // an unexpected type: PyO3's paths stay
    };
    let header = std::mem::size_of::<ffi::PyObject>();
    let size = std::mem::size_of::<PyMemoryView>();
    let Some(offset) = at.checked_sub(start) else {
        return Ok(());
    };
    let fits = offset >= header
        && offset.checked_add(size).is_some_and(|end| end <= basic)
        && offset % std::mem::align_of::<PyMemoryView>() == 0;
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
    if LAYOUT.set(Layout { offset, general_dealloc }).is_ok() {
        // SAFETY: a heap type's own field (PyO3 makes classes with `PyType_FromSpec`),
        // written once with the thread attached; instances made by PyO3 or by `new_view`
        // have one layout, which `dealloc` frees or hands to PyO3's `tp_dealloc`, saved
        // first.
        unsafe { (*tp).tp_dealloc = Some(dealloc) };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_is_checked_and_used() {
        Python::attach(|py| {
            install(py).unwrap();
            let layout = LAYOUT.get().expect("the layout of this PyO3 holds");
            assert!(layout.offset >= std::mem::size_of::<ffi::PyObject>());
            let tp = PyMemoryView::type_object_raw(py);
            // SAFETY: a live type object, read attached.
            let installed = unsafe { (*tp).tp_dealloc };
            assert!(installed.is_some_and(|d| std::ptr::fn_addr_eq(d, dealloc as ffi::destructor)));
        });
    }
}
