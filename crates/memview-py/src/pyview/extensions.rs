//! memview's extensions: `nd[...]` (NumPy's basic indexing), transposes, `reshape` and record
//! fields.

use super::*;

#[pymethods]
impl PyMemoryView {
    /// NumPy-style indexing: `m.nd[0]` is a sub-view, `m.nd[1:, ::2]`, `m.nd[..., 0]`,
    /// `m.nd[None]`; items come back as Python values, records as tuples.
    #[getter]
    fn nd(slf: &Bound<'_, Self>) -> NdIndexer {
        NdIndexer { view: slf.clone().unbind() }
    }

    /// The view with its axes reversed (`axes` permutes them, as NumPy's `transpose`).
    #[pyo3(signature = (*axes))]
    fn transpose(&self, py: Python<'_>, axes: Vec<usize>) -> PyResult<PyMemoryView> {
        if axes.is_empty() {
            self.derive(py, |v| v.transpose())
        } else {
            self.derive(py, |v| v.permute(&axes))
        }
    }

    /// The transpose (`m.T`).
    #[getter(T)]
    fn t(&self, py: Python<'_>) -> PyResult<PyMemoryView> {
        self.derive(py, |v| v.transpose())
    }

    /// The view with a new shape over the same memory (C-contiguous views).
    fn reshape(&self, py: Python<'_>, shape: Vec<usize>) -> PyResult<PyMemoryView> {
        self.derive(py, |v| v.reshape(&shape))
    }

    /// The names of the fields of a PEP 3118 record format (`T{<i:x:<d:y:}`), or `None`.
    #[getter]
    fn fields(&self) -> PyResult<Option<Vec<String>>> {
        self.live(|v, _| Ok(v.field_names()))
    }

    /// A view of one field of every record.
    fn field(&self, py: Python<'_>, name: &str) -> PyResult<PyMemoryView> {
        self.derive(py, |v| v.field(name))
    }
}

// The Rust documentation (rustdoc, doctests) and the Python docstring (`help()`)
// differ: Python users read Python.
#[cfg_attr(
    any(doc, doctest),
    doc = "`m.nd`: NumPy's indexing of a view (`m.nd[:, 1]`, `m.nd[0]`, `m.nd[::-1, ::2] = other`).

```
use pyo3::prelude::*;
Python::attach(|py| -> PyResult<()> {
    let view = memview_py::export(py, vec![0u8, 1, 2, 3, 4, 5])?;
    let grid = view.bind(py).call_method1(\"cast\", (\"B\", (2, 3)))?;
    let row: Vec<u8> = grid.getattr(\"nd\")?.get_item(1)?.call_method0(\"tolist\")?.extract()?;
    assert_eq!(row, [3, 4, 5]); // a sub-view, where the builtin raises NotImplementedError
    Ok(())
}).unwrap();
```"
)]
#[cfg_attr(
    not(any(doc, doctest)),
    doc = "NumPy's basic indexing of a view (`m.nd`): `m.nd[0]` is a sub-view, `m.nd[1:, ::2]`,
`m.nd[..., 0]`, `m.nd[None]`; a key that selects one item gives its value, and
`m.nd[key] = value` writes the selection."
)]
#[pyclass(module = "memview", name = "nd_indexer", frozen)]
pub struct NdIndexer {
    view: Py<PyMemoryView>,
}

#[pymethods]
impl NdIndexer {
    fn __getitem__(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        PyMemoryView::numpy_get(self.view.bind(py), numpy_key(key)?)
    }

    fn __setitem__(&self, key: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.view.get().numpy_set(numpy_key(key)?, value)
    }

    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        self.view.get().__len__(py)
    }
}
