//! Acquiring and releasing a Python buffer from Rust: memview-py's import beside PyO3's
//! `PyBuffer::get` + drop (the practical limit: the one other safe way), in one group.
//!
//! Run with `cargo xtask py bench` (or `cargo bench -p memview-py`).

#![allow(missing_docs)] // criterion_group! defines an undocumented function

use criterion::{criterion_group, criterion_main, Criterion};
use pyo3::buffer::PyBuffer;
use pyo3::prelude::*;
use std::hint::black_box;

fn acquire(c: &mut Criterion) {
    Python::attach(|py| {
        let bytes = pyo3::types::PyBytes::new(py, &[7u8; 1024]).into_any();
        let array = py
            .eval(c"__import__('array').array('d', range(128))", None, None)
            .map(Bound::into_any)
            .unwrap_or_else(|_| bytes.clone());
        let mut g = c.benchmark_group("acquire_release");
        for (name, obj) in [("bytes", &bytes), ("array_d", &array)] {
            // For `array('d')` this measures PyO3's refusal (its element type must match the
            // format); the `f64` row below is its acquisition.
            g.bench_function(format!("pyo3_PyBuffer_get/{name}"), |b| {
                b.iter(|| black_box(PyBuffer::<u8>::get(black_box(obj)).is_ok()))
            });
            if name == "array_d" {
                g.bench_function("pyo3_PyBuffer_get_f64/array_d", |b| {
                    b.iter(|| black_box(PyBuffer::<f64>::get(black_box(obj)).is_ok()))
                });
            }
            g.bench_function(format!("memview_import/{name}"), |b| {
                b.iter(|| black_box(memview_py::import(black_box(obj)).is_ok()))
            });
            g.bench_function(format!("memview_with_buffer/{name}"), |b| {
                b.iter(|| black_box(memview_py::with_buffer(black_box(obj), |m| m.len()).is_ok()))
            });
            g.bench_function(format!("memview_exporter_only/{name}"), |b| {
                b.iter(|| black_box(memview_py::PyBufferExporter::get(black_box(obj)).is_ok()))
            });
        }
        g.finish();
        // Import and sum 1,024 f64: the extension function's whole job.
        let floats = py.eval(c"__import__('array').array('d', range(1024))", None, None).unwrap();
        let mut g = c.benchmark_group("import_sum_1024_d");
        g.bench_function("pyo3_PyBuffer_f64", |b| {
            b.iter(|| {
                let buf = PyBuffer::<f64>::get(black_box(&floats)).unwrap();
                let items = buf.as_slice_ptr().unwrap();
                // SAFETY: the buffer is held until `buf` drops, and nothing writes it meanwhile
                // (PyO3 0.30 deprecates its safe `as_slice` as unsound; this is its replacement).
                black_box(unsafe { items.as_ref() }.iter().sum::<f64>())
            })
        });
        g.bench_function("memview_import_typed_sum", |b| {
            b.iter(|| {
                let m = memview_py::import(black_box(&floats)).unwrap();
                black_box(m.typed::<f64>().unwrap().sum())
            })
        });
        g.bench_function("memview_with_buffer_typed_sum", |b| {
            b.iter(|| {
                black_box(memview_py::with_buffer(black_box(&floats), |m| m.typed::<f64>().unwrap().sum()).unwrap())
            })
        });
        g.bench_function("memview_with_buffer_iter_sum", |b| {
            b.iter(|| {
                black_box(
                    memview_py::with_buffer(black_box(&floats), |m| m.typed::<f64>().unwrap().iter().sum::<f64>())
                        .unwrap(),
                )
            })
        });
        g.finish();
        numpy_sum(c, py);
    });
}

/// Import and sum 1,024 `f64` of a NumPy array: rust-numpy's `PyReadonlyArray1` read as a
/// slice (it takes NumPy arrays only) beside memview's `with_buffer` and PyO3's `PyBuffer`
/// of the same array. Skipped where NumPy is not installed.
fn numpy_sum(c: &mut Criterion, py: Python<'_>) {
    use numpy::{PyArray1, PyArrayMethods};
    let np = match py.import("numpy") {
        Ok(np) => np,
        Err(e) => {
            // The interpreter this bench links may not be the one on `PATH` (`sys.path` names it).
            let path = py.eval(c"__import__('sys').path", None, None).map(|p| p.to_string()).unwrap_or_default();
            eprintln!("import_sum_1024_d_numpy: NumPy cannot be imported ({e}; sys.path {path}), group skipped");
            return;
        }
    };
    let Ok(array) = np.call_method1("arange", (1024.0f64,)) else { return };
    let mut g = c.benchmark_group("import_sum_1024_d_numpy");
    g.bench_function("rust_numpy_readonly_slice", |b| {
        b.iter(|| {
            let a = black_box(&array).cast::<PyArray1<f64>>().unwrap().readonly();
            black_box(a.as_slice().unwrap().iter().sum::<f64>())
        })
    });
    g.bench_function("pyo3_PyBuffer_f64", |b| {
        b.iter(|| {
            let buf = PyBuffer::<f64>::get(black_box(&array)).unwrap();
            let items = buf.as_slice_ptr().unwrap();
            // SAFETY: the buffer is held until `buf` drops, and nothing writes it meanwhile.
            black_box(unsafe { items.as_ref() }.iter().sum::<f64>())
        })
    });
    g.bench_function("memview_with_buffer_typed_sum", |b| {
        b.iter(|| black_box(memview_py::with_buffer(black_box(&array), |m| m.typed::<f64>().unwrap().sum()).unwrap()))
    });
    g.bench_function("memview_with_buffer_iter_sum", |b| {
        b.iter(|| {
            black_box(
                memview_py::with_buffer(black_box(&array), |m| m.typed::<f64>().unwrap().iter().sum::<f64>()).unwrap(),
            )
        })
    });
    g.bench_function("memview_import_typed_sum", |b| {
        b.iter(|| {
            let m = memview_py::import(black_box(&array)).unwrap();
            black_box(m.typed::<f64>().unwrap().sum())
        })
    });
    g.finish();
}

criterion_group!(benches, acquire);
criterion_main!(benches);
