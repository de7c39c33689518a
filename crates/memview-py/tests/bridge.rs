//! The bridge from the Rust side, against an embedded interpreter: imports of Python buffers
//! (every layout comes through, writes reach the exporter, the buffer is released once) and
//! exports of Rust exporters (every consumer reads them).

use buffer_protocol::{Flags, NdArray};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyDict};

fn refcount(obj: &Bound<'_, PyAny>) -> usize {
    obj.py().import("sys").unwrap().getattr("getrefcount").unwrap().call1((obj,)).unwrap().extract().unwrap()
}

fn eval<'py>(py: Python<'py>, code: &str, locals: &Bound<'py, PyDict>) -> Bound<'py, PyAny> {
    let code = std::ffi::CString::new(code).unwrap();
    py.eval(&code, None, Some(locals)).unwrap()
}

#[test]
fn an_import_writes_through_and_is_released_once() {
    Python::attach(|py| {
        let data = PyByteArray::new(py, b"hello");
        let locals = PyDict::new(py);
        locals.set_item("b", &data).unwrap();
        let before = refcount(data.as_any());
        let view = memview_py::import(data.as_any()).unwrap();
        assert!(refcount(data.as_any()) > before, "the exporter is kept alive by the view");
        view.set(0, b'j').unwrap();
        let sub = view.slice(1..).unwrap();
        drop(view);
        assert_eq!(sub.to_bytes().unwrap(), b"ello");
        // Resizing is refused while a view of the buffer lives, as for memoryview.
        let grew = py.run(c"b.append(33)", None, Some(&locals));
        assert!(grew.is_err());
        drop(sub);
        assert_eq!(refcount(data.as_any()), before, "released exactly once");
        py.run(c"b.append(33)", None, Some(&locals)).unwrap();
        assert_eq!(data.to_vec(), b"jello!");
    });
}

#[test]
fn strided_numpy_like_layouts_and_formats_come_through() {
    Python::attach(|py| {
        let locals = PyDict::new(py);
        let Ok(tb) = py.import("_testbuffer") else {
            // CPython's test module ships with CPython; CI's interpreter has it, so there its
            // absence is a failure, not a skip.
            assert!(std::env::var_os("CI").is_none(), "_testbuffer is required in CI");
            eprintln!("_testbuffer is not importable: this test is skipped");
            return;
        };
        locals.set_item("tb", tb).unwrap();
        let nd = eval(py, "tb.ndarray(list(range(12)), shape=[3, 4], format='<h', flags=tb.ND_PIL)", &locals);
        let view = memview_py::import(&nd).unwrap();
        assert_eq!((view.format(), view.shape(), view.suboffsets().len()), ("<h", &[3usize, 4][..], 2));
        assert_eq!(view.to_list().unwrap().to_string(), "[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]");
        let rev = eval(py, "tb.ndarray(list(range(6)), shape=[6], format='d')[::-2]", &locals);
        let v = memview_py::import(&rev).unwrap();
        assert_eq!(v.typed::<f64>().unwrap().to_vec().unwrap(), [5.0, 3.0, 1.0]);
        // A writable request of read-only memory is CPython's BufferError.
        let ro = eval(py, "b'abc'", &locals);
        let err = memview_py::import_with(&ro, Flags::FULL).unwrap_err();
        assert!(err.is_instance_of::<pyo3::exceptions::PyBufferError>(py));
    });
}

#[test]
fn exports_are_read_by_every_consumer() {
    Python::attach(|py| {
        let bytes: Vec<u8> = (0..6u8).flat_map(|i| f64::from(i).to_ne_bytes()).collect();
        let nd = NdArray::new(bytes, "d", 8, &[2, 3], &[8, 16], 0, true).unwrap(); // Fortran order
        let view = memview_py::export(py, nd).unwrap();
        let locals = PyDict::new(py);
        locals.set_item("m", view).unwrap();
        let got: Vec<Vec<f64>> = eval(py, "memoryview(m).tolist()", &locals).extract().unwrap();
        assert_eq!(got, [[0.0, 2.0, 4.0], [1.0, 3.0, 5.0]]);
        let f: bool = eval(py, "memoryview(m).f_contiguous", &locals).extract().unwrap();
        assert!(f);
        let n: usize = eval(py, "len(bytes(m))", &locals).extract().unwrap();
        assert_eq!(n, 48);
        let refused = py.run(c"memoryview(m)[0, 0] = 1.0", None, Some(&locals));
        assert!(refused.is_err(), "a read-only export stays read-only");
    });
}

/// An exporter that checks a promise of the buffer protocol to exporters: a buffer is released
/// with the address it was filled at (an exporter may keep per-export state keyed by it).
#[pyclass(frozen)]
struct Pinned {
    data: [u8; 8],
    /// The addresses of the `Py_buffer`s filled and not yet released.
    filled: std::sync::Mutex<Vec<usize>>,
    /// Releases of an address that was never filled (or was released already).
    strays: std::sync::atomic::AtomicUsize,
}

#[pymethods]
impl Pinned {
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut pyo3::ffi::Py_buffer,
        flags: std::ffi::c_int,
    ) -> PyResult<()> {
        let data = slf.get().data.as_ptr().cast_mut().cast();
        // SAFETY: CPython passes a writable `Py_buffer`; the bytes live in the object, which
        // the filled buffer keeps alive (`obj`), and are never written.
        if unsafe { pyo3::ffi::PyBuffer_FillInfo(view, slf.as_ptr(), data, 8, 1, flags) } != 0 {
            return Err(PyErr::fetch(slf.py()));
        }
        slf.get().filled.lock().unwrap().push(view as usize);
        Ok(())
    }

    unsafe fn __releasebuffer__(&self, view: *mut pyo3::ffi::Py_buffer) {
        let mut filled = self.filled.lock().unwrap();
        match filled.iter().position(|&p| p == view as usize) {
            Some(i) => drop(filled.remove(i)),
            None => drop(self.strays.fetch_add(1, std::sync::atomic::Ordering::Relaxed)),
        }
    }
}

#[test]
fn buffers_are_released_where_they_were_filled() {
    Python::attach(|py| {
        let pinned =
            Bound::new(py, Pinned { data: *b"01234567", filled: Default::default(), strays: Default::default() })
                .unwrap();
        let obj = pinned.as_any();
        let sum = memview_py::with_buffer(obj, |m| m.to_bytes().unwrap().len()).unwrap();
        assert_eq!(sum, 8);
        let view = memview_py::import(obj).unwrap();
        let tail = view.slice(4..).unwrap();
        drop(view);
        assert_eq!(tail.to_bytes().unwrap(), b"4567");
        drop(tail);
        let strided = memview_py::import_with(obj, Flags::STRIDES).unwrap();
        drop(strided);
        let class = py.get_type::<memview_py::PyMemoryView>();
        let m = class.call1((obj,)).unwrap();
        let part = m.get_item(pyo3::types::PySlice::new(py, 1, 7, 2)).unwrap();
        drop(m);
        assert_eq!(part.call_method0("tobytes").unwrap().extract::<Vec<u8>>().unwrap(), b"135");
        drop(part);
        let p = pinned.get();
        assert_eq!(p.filled.lock().unwrap().len(), 0, "every buffer was released");
        assert_eq!(p.strays.load(std::sync::atomic::Ordering::Relaxed), 0, "released where it was filled");
    });
}
