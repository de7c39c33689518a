//! Rust heap allocations per call on the bridge's hot paths (a counting global allocator, per
//! thread): `m[i]`, `m[i, j]`, `m[i] = v`, `len(m)`, `tobytes()` of a small view, `tolist()`
//! of 1-D numbers and `Struct.unpack` allocate nothing on the Rust side (the Python objects
//! they return come from CPython's allocator, which this count does not see).

use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyTuple};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; counting touches only a thread-local `Cell`.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        // SAFETY: the caller's promises are `System.alloc`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above, with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        // SAFETY: as for `System.realloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// How many Rust allocations `f` makes on this thread (the second of two calls: the first may
/// fill caches, as PyO3's interned names).
fn allocations<R>(mut f: impl FnMut() -> R) -> usize {
    drop(f());
    let before = COUNT.with(Cell::get);
    drop(f());
    COUNT.with(Cell::get) - before
}

#[test]
fn hot_paths_allocate_nothing() {
    Python::attach(check_hot_paths);
}

fn check_hot_paths<'py>(py: Python<'py>) {
    {
        let data = PyByteArray::new(py, &[7u8; 64]);
        let class = py.get_type::<memview_py::PyMemoryView>();
        let m = class.call1((&data,)).unwrap();
        let ints = m.call_method1("cast", ("i",)).unwrap();
        let grid = m.call_method1("cast", ("B", (8, 8))).unwrap();
        let key = PyTuple::new(py, [2, 3]).unwrap();
        let cases: [(&str, &dyn Fn() -> Bound<'py, PyAny>); 7] = [
            ("m[i]", &|| m.get_item(5).unwrap()),
            ("m[-1] of 'i'", &|| ints.get_item(-1).unwrap()),
            ("m[i, j]", &|| grid.get_item(&key).unwrap()),
            ("len(m)", &|| m.len().unwrap().into_pyobject(py).unwrap().into_any()),
            ("m.tobytes()", &|| m.call_method0("tobytes").unwrap()),
            ("m.tolist()", &|| ints.call_method0("tolist").unwrap()),
            ("m.shape", &|| m.getattr("shape").unwrap()),
        ];
        for (what, call) in cases {
            let n = allocations(call);
            assert_eq!(n, 0, "{what} allocated {n} times");
        }
        let n = allocations(|| ints.set_item(3, 99).unwrap());
        assert_eq!(n, 0, "m[i] = v allocated {n} times");
        assert_eq!(ints.get_item(3).unwrap().extract::<i32>().unwrap(), 99);
    }
}

#[test]
fn struct_unpack_allocates_nothing() {
    Python::attach(|py| {
        let s = py.get_type::<memview_py::PyStruct>().call1(("<IhdQ",)).unwrap();
        let record = s.call_method1("pack", (1, 2, 3.0, 4)).unwrap();
        let n = allocations(|| s.call_method1("unpack", (&record,)).unwrap());
        assert_eq!(n, 0, "Struct.unpack allocated {n} times");
    });
}

#[test]
fn imports_of_one_run_allocate_nothing_from_rust() {
    Python::attach(|py| {
        let bytes = pyo3::types::PyBytes::new(py, &[7u8; 64]);
        let array = py.eval(c"__import__('array').array('d', range(8))", None, None).unwrap();
        for obj in [bytes.as_any(), &array] {
            // For the length of one call: the `Py_buffer` on the stack, the run lent.
            let n = allocations(|| memview_py::with_buffer(obj, |m| m.len()).unwrap());
            assert_eq!(n, 0, "with_buffer allocated {n} times");
            // A view that outlives the call: the `Py_buffer` and the views' count share one
            // block of CPython's allocator, and nothing comes from Rust's.
            let n = allocations(|| memview_py::import(obj).unwrap());
            assert_eq!(n, 0, "import allocated {n} times");
            let view = memview_py::import(obj).unwrap();
            let n = allocations(|| view.slice(1..).unwrap());
            assert_eq!(n, 0, "a view of an import allocated {n} times");
        }
    });
}
