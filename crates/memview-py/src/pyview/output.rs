//! Conversions: `tobytes`, `tolist`, `to_list`, `hex`, `toreadonly` and `cast`.

use super::*;

#[pymethods]
impl PyMemoryView {
    /// Return the items' bytes as a `bytes` object, in C order (or `order`: 'C', 'F',
    /// or 'A', which keeps the memory's own order where it is contiguous).
    #[pyo3(text_signature = "($self, /, order='C')", signature = (order = None))]
    fn tobytes<'py>(slf: &Bound<'py, Self>, order: Option<&str>) -> PyResult<Bound<'py, PyBytes>> {
        let py = slf.py();
        let this = slf.get();
        // A small C-contiguous view: one copy of its block, no lock.
        if matches!(order, None | Some("C" | "A")) {
            if let Some(bytes) = this.hot.c_bytes(py) {
                return bytes;
            }
        }
        let (n, large) = this.live_in(py, |v, _| Ok((v.nbytes(), detachable(v))))?;
        let order = order_of(order)?;
        // The bytes object is made first (outside the lock), then filled under it: one copy.
        // A large view is copied without the GIL, from a private import of itself.
        if large {
            return crate::export::bytes_filled(py, n, |out| {
                detached(py, slf.as_any(), move |v| v.to_bytes_into(out, order).map_err(view_err))
            });
        }
        crate::export::bytes_filled(py, n, |out| this.live_in(py, |v, _| v.to_bytes_into(out, order).map_err(view_err)))
    }

    /// Return the items as a (nested) list of Python values, as the builtin does: native
    /// single-character formats only (`to_list()` reads every format).
    fn tolist(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        // A live 1-D view of native numbers: its code and length from the hot layout.
        if let (code @ 1.., Some(n)) = (self.hot.code_1d(), self.hot.len()) {
            if let Some(list) = crate::fastlist::tolist(self, py, char::from(code), &[n])? {
                return Ok(list);
            }
        }
        let snap = self.snapshot()?;
        let fmt = adjust_fmt(&snap.format)?;
        // `unpack_single` refuses an unknown code when it unpacks an item: a view of no item
        // is `[]` (nested) whatever its one-character format.
        let code = if snap.shape.contains(&0) { fmt.chars().next().unwrap_or('B') } else { native_code(fmt)? };
        if let Some(list) = crate::fastlist::tolist(self, py, code, &snap.shape)? {
            return Ok(list);
        }
        let list = self.live(|v, _| v.to_list().map_err(view_err))?;
        Ok(to_py(py, &list, false)?.unbind())
    }

    /// Return the items' bytes as a string of hexadecimal digits, two per byte.
    ///
    /// `sep`, a single character, separates groups of `bytes_per_sep` bytes, counted from
    /// the right (from the left when `bytes_per_sep` is negative).
    #[pyo3(text_signature = "($self, /, sep=..., bytes_per_sep=1)", signature = (sep = Given::Absent, bytes_per_sep = None))]
    fn hex<'py>(
        slf: &Bound<'py, Self>,
        sep: Given<'py>,
        bytes_per_sep: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyString>> {
        let py = slf.py();
        let this = slf.get();
        // A C `int`, converted as CPython's argument clinic does (`_PyLong_AsInt`): any int
        // outside it is the same OverflowError.
        let too_large = || pyo3::exceptions::PyOverflowError::new_err("Python int too large to convert to C int");
        let bytes_per_sep = match bytes_per_sep.map(|n| n.extract::<i64>()) {
            None => 1,
            Some(Ok(n)) => i32::try_from(n).map_err(|_| too_large())?,
            Some(Err(e)) if e.is_instance_of::<pyo3::exceptions::PyOverflowError>(py) => return Err(too_large()),
            Some(Err(e)) => return Err(e),
        };
        this.live_in(py, |_, _| Ok(()))?;
        let sep = match sep.get() {
            None => None,
            Some(s) => Some(separator(s)?),
        };
        let group = isize::try_from(bytes_per_sep).unwrap_or(isize::MAX);
        let (n, large) = this.live_in(py, |v, _| Ok((v.hex_len(sep, group), detachable(v))))?;
        // The string is made first (outside the lock), then filled under it: one pass; for a
        // large view, without the GIL, from a private import of itself.
        if large {
            return crate::export::ascii_str_filled(py, n, |out| {
                detached(py, slf.as_any(), move |v| v.hex_to_slice(out, sep, group).map_err(view_err))
            });
        }
        crate::export::ascii_str_filled(py, n, |out| {
            this.live_in(py, |v, _| v.hex_to_slice(out, sep, group).map_err(view_err))
        })
    }

    /// Return a read-only view of the same memory.
    fn toreadonly(&self, py: Python<'_>) -> PyResult<PyMemoryView> {
        self.derive(py, |v| Ok(v.to_readonly()))
    }

    /// Return a view of the same memory with another item format (and, with `shape`,
    /// another shape), as the builtin's `cast`: the view must be C-contiguous, one side of
    /// the cast a byte format ('B', 'b' or 'c'), and 1-D to N-D or N-D to 1-D.
    #[pyo3(text_signature = "($self, /, format, shape=...)", signature = (format, shape = None))]
    fn cast(
        &self,
        py: Python<'_>,
        format: &Bound<'_, PyAny>,
        shape: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyMemoryView> {
        let format = format.cast::<PyString>().map_err(|_| {
            PyTypeError::new_err(format!(
                "cast() argument 'format' must be str, not {}",
                format.get_type().name().map(|n| n.to_string()).unwrap_or_default()
            ))
        })?;
        let format = format.to_str()?.to_owned();
        let half = format.strip_prefix('@').unwrap_or(&format) == "e" && crate::python_3_12(py);
        let cast = |v: &MemoryView<'static>, dims: Option<&[i128]>| {
            if half {
                cast_to_half(v, &format, dims)
            } else {
                v.cast_to(&format, dims)
            }
        };
        let dims: Option<Vec<i128>> = match shape {
            None => None,
            Some(s) => {
                if !(s.is_instance_of::<PyList>() || s.is_instance_of::<PyTuple>()) {
                    self.live_in(py, |_, _| Ok(()))?;
                    return Err(PyTypeError::new_err("shape must be a list or a tuple"));
                }
                let items: Vec<Bound<'_, PyAny>> = s.try_iter()?.collect::<PyResult<_>>()?;
                // CPython reads the elements last (`copy_shape`), after every check of the
                // view and the format: those run first, with a neutral shape of the length.
                let neutral = vec![1i128; items.len()];
                self.live_in(py, |v, _| match cast(v, Some(&neutral)) {
                    // Errors about the elements' values come from `cast_shape`, in its order.
                    Ok(_)
                    | Err(ViewError::Layout(
                        LayoutError::CastShapeElement | LayoutError::CastShapeOverflow | LayoutError::CastSize,
                    )) => Ok(()),
                    Err(e) => Err(view_err(e)),
                })?;
                Some(cast_shape(&items, &format)?)
            }
        };
        self.derive(py, |v| cast(v, dims.as_deref()))
    }

    /// `tolist` for every format (non-native byte orders, multi-item formats and records as
    /// tuples) and every dimension.
    fn to_list(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let (list, ndim) = self.live(|v, _| Ok((v.to_list().map_err(view_err)?, v.ndim())))?;
        Ok(crate::convert::to_py_nd(py, &list, ndim)?.unbind())
    }
}

/// The elements of a `cast` shape, read in order as CPython's `copy_shape` reads them:
/// each must be an `int` (TypeError), fit a C `Py_ssize_t` (OverflowError), be positive and
/// keep the byte size within `isize` (ValueError), element by element.
pub(super) fn cast_shape(items: &[Bound<'_, PyAny>], format: &str) -> PyResult<Vec<i128>> {
    let mut bytes = format_codec::calcsize(format).unwrap_or(1).max(1);
    let mut dims = Vec::with_capacity(items.len());
    for x in items {
        if !x.is_instance_of::<pyo3::types::PyInt>() {
            return Err(PyTypeError::new_err("memoryview.cast(): elements of shape must be integers"));
        }
        let n = x.extract::<isize>()?;
        if n <= 0 {
            return Err(view_err(LayoutError::CastShapeElement.into()));
        }
        bytes = bytes
            .checked_mul(n.unsigned_abs())
            .filter(|&b| b <= isize::MAX as usize)
            .ok_or_else(|| view_err(LayoutError::CastShapeOverflow.into()))?;
        dims.push(n as i128);
    }
    Ok(dims)
}

/// `cast("e", shape)`, which CPython 3.12 allows (half floats became a native cast format;
/// 3.11 refuses it, as memview's core does): the rules of every cast, through the byte view.
pub(super) fn cast_to_half(
    v: &MemoryView<'static>,
    format: &str,
    shape: Option<&[i128]>,
) -> Result<MemoryView<'static>, ViewError> {
    let bytes = v.cast_to("B", None)?; // a C-contiguous source of a native format
    if !matches!(v.format().strip_prefix('@').unwrap_or(v.format()), "B" | "b" | "c") {
        return Err(ViewError::Layout(strided::LayoutError::CastNonByte));
    }
    let mut layout = bytes.layout().cast_1d(2)?;
    if let Some(shape) = shape {
        layout.check_cast_source(Some(shape.len()))?;
        layout = layout.cast_nd(2, shape)?;
    }
    bytes.reinterpret(format, layout)
}

/// `hex`'s separator: one ASCII character, as a `str` or `bytes` of length 1.
pub(super) fn separator(s: &Bound<'_, PyAny>) -> PyResult<char> {
    // `_Py_strhex_impl`'s order: the length (any object's, so `None` is a TypeError of
    // `len`), then the type, then ASCII.
    if s.len()? != 1 {
        return Err(PyValueError::new_err("sep must be length 1."));
    }
    let c = if let Ok(t) = s.cast::<PyString>() {
        t.to_string_lossy().chars().next()
    } else if let Ok(b) = s.cast::<PyBytes>() {
        b.as_bytes().first().map(|&c| char::from(c))
    } else {
        return Err(PyTypeError::new_err("sep must be str or bytes."));
    };
    match c {
        Some(c) if c.is_ascii() => Ok(c),
        _ => Err(PyValueError::new_err("sep must be ASCII.")),
    }
}
