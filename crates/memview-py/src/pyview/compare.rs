//! Comparison and hash: `==` and `!=` as `memory_richcompare`, `hash` as `memory_hash`.

use super::*;

#[pymethods]
impl PyMemoryView {
    fn __richcmp__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>, op: pyo3::basic::CompareOp) -> PyResult<Py<PyAny>> {
        use pyo3::basic::CompareOp;
        let py = slf.py();
        let ne = match op {
            CompareOp::Eq => false,
            CompareOp::Ne => true,
            _ => return Ok(py.NotImplemented()),
        };
        let equal = equal(slf, other)?;
        Ok(match equal {
            None => py.NotImplemented(),
            Some(e) => pyo3::types::PyBool::new(py, e != ne).to_owned().into_any().unbind(),
        })
    }

    /// The hash of the items' bytes (read-only views of the formats 'B', 'b' and 'c'),
    /// equal to the hash of `m.tobytes()`.
    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        let cached = self.hash.load(Ordering::Relaxed);
        if cached != -1 {
            return Ok(cached as isize);
        }
        let bytes = self.live(|v, _| {
            if !v.readonly() {
                return Err(PyValueError::new_err("cannot hash writable memoryview object"));
            }
            let f = v.format();
            if !matches!(f, "B" | "b" | "c" | "@B" | "@b" | "@c") {
                return Err(PyValueError::new_err("memoryview: hashing is restricted to formats 'B', 'b' or 'c'"));
            }
            v.to_bytes().map_err(view_err)
        })?;
        if let Some(o) = &self.obj {
            o.bind(py).hash()?;
        }
        let h = PyBytes::new(py, &bytes).hash()?;
        self.hash.store(h as i64, Ordering::Relaxed);
        Ok(h)
    }
}

/// `memory_richcompare`: `None` for `NotImplemented`.
pub(super) fn equal(slf: &Bound<'_, PyMemoryView>, other: &Bound<'_, PyAny>) -> PyResult<Option<bool>> {
    let this = slf.get();
    if slf.is(other) {
        this.settled()?;
        // `memory_richcompare`: identity answers only for a released view; a live one
        // compares its items with themselves (a NaN is unequal to itself, a format the
        // struct module cannot unpack compares unequal).
        let r = this
            .member
            .with(|state, _| match state {
                // Deliberately the view with itself: NaN items make it unequal.
                #[allow(clippy::eq_op)]
                Some(State::Live(v)) => *v == *v,
                _ => true,
            })
            .map_err(busy)?;
        return Ok(Some(r));
    }
    if let Ok(o) = other.cast::<PyMemoryView>() {
        // Large views are compared without the GIL, through private imports of both.
        let large = |m: &PyMemoryView| m.live(|v, _| Ok(detachable(v))).unwrap_or(false);
        if large(this) && large(o.get()) {
            if let (Ok(a), Ok(b)) = (import_view(slf.as_any()), import_view(other)) {
                return Ok(Some(detached_eq(slf.py(), a, b)));
            }
        }
        this.settled()?;
        o.get().settled()?;
        let r = this
            .member
            .with_pair(&o.get().member, |a, b| match (a, b) {
                (Some(State::Live(x)), Some(State::Live(y))) => *x == *y,
                _ => false,
            })
            .map_err(busy)?;
        return Ok(Some(r));
    }
    let live = this.live(|_, _| Ok(())).is_ok();
    if !live {
        return Ok(Some(false));
    }
    if !check_buffer(other) {
        return Ok(None);
    }
    let w = match import_view(other) {
        Ok(w) => w,
        Err(_) => return Ok(None),
    };
    if this.live(|v, _| Ok(detachable(v) && detachable(&w)))? {
        if let Ok(a) = import_view(slf.as_any()) {
            return Ok(Some(detached_eq(slf.py(), a, w)));
        }
    }
    let r = this.live(|v, _| Ok(*v == w));
    drop(w);
    r.map(Some)
}
