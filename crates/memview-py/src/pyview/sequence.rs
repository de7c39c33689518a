//! The view as a sequence: `len`, item and slice keys (the builtin's and NumPy's), item writes,
//! iteration, `count` and `index`, and the item fast paths of 1-D views of numbers.

use super::*;

impl PyMemoryView {
    /// `m[a:b:c]` of a 1-D view of a run of numbers (an exact slice of `int`s and `None`s):
    /// the new view is a span of the run, with no core view; `None` for every other key and
    /// view. Shared by `__getitem__` and the hot `mp_subscript` slot (`crate::slots`).
    pub(crate) fn span_slice(&self, key: &Bound<'_, PyAny>) -> Option<PyResult<Py<PyMemoryView>>> {
        let span = self.span?;
        let s = key.cast_exact::<PySlice>().ok()?;
        // Fields in a machine word read at once; other plain slices (a huge `int`) through
        // `PySlice_Unpack`, which clamps them; any other slice is not this path's.
        // Three words, not a `Slice` (three `Option`s): a `Slice` made in one function and
        // copied in another was loaded 16 bytes at a time across its 8-byte stores, a
        // store-forwarding stall that cost a fifth of the call.
        let words = match unpack_word_slice(s) {
            Some(words) => words,
            None if plain_slice(s) => unpack_slice_words(s),
            None => return None,
        };
        let [start, stop, step] = match words {
            Ok(words) => words,
            Err(e) => return Some(Err(e)),
        };
        Some(self.span_sibling(key.py(), span.slice(Slice::new(Some(start), Some(stop), Some(step)))?))
    }
}

#[pymethods]
impl PyMemoryView {
    pub(super) fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        if let Some(n) = self.hot.len() {
            return Ok(n);
        }
        self.live_in(py, |v, _| match v.shape().first() {
            Some(&n) => Ok(n),
            // CPython 3.11 says 1; 3.12 made it an error (gh-89903): the running interpreter's.
            None if crate::python_3_12(py) => Err(PyTypeError::new_err("0-dim memory has no length")),
            None => Ok(1),
        })
    }

    fn __getitem__(slf: &Bound<'_, Self>, key: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let this = slf.get();
        // The common case first: an `int` (no Python code runs to read it), one lock.
        if key.is_exact_instance_of::<pyo3::types::PyInt>() {
            // An exact `int` that fits reads without `__index__`; others as CPython reads them.
            let index = match crate::convert::exact_number(key) {
                Some(Num::I(i)) => isize::try_from(i).map_err(|_| ()),
                _ => Err(()),
            };
            let index = match index.or_else(|()| as_ssize(key)) {
                Ok(i) => i,
                Err(e) => {
                    this.live(|_, _| Ok(()))?; // a released view says so first
                    if this.ndim == 0 {
                        // Then a 0-dim view refuses every key but `()` and `...`.
                        return Err(PyTypeError::new_err("invalid indexing of 0-dim memory"));
                    }
                    return Err(e);
                }
            };
            // A 1-D view of native numbers: read through the hot layout, no lock.
            if let Some(num) = this.hot.item(&[index]) {
                return num.into_py(py);
            }
            // Every other case under the lock, in CPython's order of checks.
            let value = this.live_in(py, |v, _| {
                let (i, code) = item_checks(v, index)?;
                native_code_char(code)?;
                match fast_item(v, i, code) {
                    Some(n) => Ok(Ok(n)),
                    None => v.get(i).map(Err).map_err(view_err),
                }
            })?;
            return Ok(match value {
                Ok(n) => n.into_py(py)?,
                Err(v) => to_py(py, &v, false)?.unbind(),
            });
        }
        if let Some(sliced) = this.span_slice(key) {
            return Ok(sliced?.into_any());
        }
        // A slice of `int`s and `None`s: read without Python code, so one lock.
        if let Ok(s) = key.cast::<PySlice>() {
            if plain_slice(s) {
                let slice = unpack_slice(s)?;
                let mbuf = this.shared_anchor(py)?;
                let w = this.live_in(py, |v, held| {
                    if v.ndim() == 0 {
                        return Err(PyTypeError::new_err("invalid indexing of 0-dim memory"));
                    }
                    let w = v.slice(slice).map_err(view_err)?;
                    Ok(this.sibling(py, held, w, mbuf))
                })?;
                return Ok(crate::lifecycle::new_object(py, w)?.into_any());
            }
        }
        // A tuple of `int`s, one per dimension: one lock.
        if let Ok(t) = key.cast_exact::<PyTuple>() {
            if !t.is_empty() && t.iter().all(|x| x.is_exact_instance_of::<pyo3::types::PyInt>()) {
                let mut index: smallvec::SmallVec<[isize; 4]> = smallvec::SmallVec::new();
                let mut bad = None;
                for x in t.iter() {
                    match as_ssize(&x) {
                        Ok(i) => index.push(i),
                        Err(e) => {
                            bad = Some(e);
                            break;
                        }
                    }
                }
                // A 2-D view of native numbers: read through the hot layout, no lock.
                if bad.is_none() {
                    if let Some(num) = this.hot.item(&index) {
                        return num.into_py(py);
                    }
                }
                if bad.is_none() {
                    let got = this.live_in(py, |v, _| {
                        if v.ndim() != index.len() {
                            return Ok(None); // the general path gives the error
                        }
                        let f = v.format();
                        let f = f.strip_prefix('@').unwrap_or(f);
                        let mut chars = f.chars();
                        let code = match (chars.next(), chars.next()) {
                            (Some(c), None) => c,
                            _ => return Ok(None),
                        };
                        for (dim, (i, &n)) in index.iter_mut().zip(v.shape()).enumerate() {
                            *i = lookup(n, *i, dim)?;
                        }
                        native_code_char(code)?;
                        // Numbers straight from memory; other codes through a `Value`.
                        if let Some(n) = fast_item_at(v, &index, code) {
                            return Ok(Some(Ok(n)));
                        }
                        v.get(Key::tuple(index.iter().copied())).map(|x| Some(Err(x))).map_err(view_err)
                    })?;
                    match got {
                        Some(Ok(n)) => return n.into_py(py),
                        Some(Err(value)) => return Ok(to_py(py, &value, false)?.unbind()),
                        None => {}
                    }
                }
            }
        }
        let snap = this.snapshot()?;
        if snap.ndim == 0 {
            if key.cast::<PyTuple>().is_ok_and(|t| t.is_empty()) {
                let fmt = adjust_fmt(&snap.format)?;
                return this.item_at(py, vec![], fmt);
            }
            if key.is(PyEllipsis::get(py)) {
                return Ok(slf.clone().into_any().unbind());
            }
            return Err(PyTypeError::new_err("invalid indexing of 0-dim memory"));
        }
        match classify(key, snap.ndim) {
            KeyKind::Index => {
                let i = as_ssize(key)?;
                // `memory_item`, after the index ran (it may have released the view).
                let snap = this.snapshot()?;
                let fmt = adjust_fmt(&snap.format)?;
                if snap.ndim != 1 {
                    return Err(PyNotImplementedError::new_err("multi-dimensional sub-views are not implemented"));
                }
                let i = lookup(snap.shape[0], i, 0)?;
                this.item_at(py, vec![i], fmt)
            }
            KeyKind::Slice(s) => {
                // The new view is made first: a slice bound that releases this view leaves
                // the new one intact, as CPython's `mbuf_add_view` does.
                let sliced = this.derive(py, |v| Ok(v.clone()))?;
                let slice = unpack_slice(&s)?;
                sliced
                    .member
                    .with(|state, _| match state {
                        Some(State::Live(v)) => {
                            **v = v.slice(slice).map_err(view_err)?;
                            sliced.hot.set(v);
                            Ok(())
                        }
                        _ => Err(released()),
                    })
                    .map_err(busy)??;
                Ok(crate::lifecycle::new_object(py, sliced)?.into_any())
            }
            KeyKind::MultiIndex(t) => {
                let fmt = adjust_fmt(&snap.format)?;
                if t.len() < snap.ndim {
                    return Err(PyNotImplementedError::new_err("sub-views are not implemented"));
                }
                let index = Self::multi_index(&t, &snap)?;
                this.item_at(py, index, fmt)
            }
            KeyKind::Mixed(t) => Self::numpy_get(slf, numpy_key(t.as_any())?),
            KeyKind::MultiSlice => Err(PyNotImplementedError::new_err("multi-dimensional slicing is not implemented")),
            KeyKind::Invalid => Err(PyTypeError::new_err("memoryview: invalid slice key")),
        }
    }

    fn __setitem__(&self, key: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = key.py();
        // The common case first: an `int` key and an exact `int`, `float` or `bytes` value
        // (no Python code runs to read either), one lock.
        if key.is_exact_instance_of::<pyo3::types::PyInt>()
            && (value.is_exact_instance_of::<pyo3::types::PyInt>()
                || value.is_exact_instance_of::<pyo3::types::PyFloat>()
                || value.is_exact_instance_of::<PyBytes>())
        {
            if let Ok(index) = as_ssize(key) {
                // A number in range of a writable 1-D view of numbers: written through the
                // hot layout, no lock.
                if let Some(num) = crate::convert::exact_number(value) {
                    if self.hot.store(&[index], num).is_some() {
                        return Ok(());
                    }
                }
                // Reading an exact `int`, `float` or `bytes` runs no Python code, so it may
                // happen under the lock: one lock for the whole assignment.
                let cached = self.hot.code_1d();
                let done = self.live_in(py, |v, _| {
                    if v.ndim() != 1 || v.readonly() {
                        return Ok(false); // the general path gives the error, in its order
                    }
                    let (i, code) = if cached != 0 {
                        // A 1-D view of native numbers (format checked when the view was made).
                        (lookup(v.shape()[0], index, 0)?, char::from(cached))
                    } else {
                        item_checks(v, index)?
                    };
                    if native_code_char(code).is_err() {
                        return Ok(false);
                    }
                    let mut name = [0u8; 4];
                    let fmt = code.encode_utf8(&mut name);
                    let item = item_of(value, code, fmt)?;
                    match fast_store(v, i, code, &item) {
                        Some(Ok(())) => {}
                        Some(Err(())) => {
                            return Err(PyValueError::new_err(format!("memoryview: invalid value for format '{fmt}'")))
                        }
                        None => v.set(i, item).map_err(view_err)?,
                    }
                    Ok(true)
                })?;
                if done {
                    return Ok(());
                }
            }
        }
        let snap = self.snapshot()?;
        let fmt = adjust_fmt(&snap.format)?;
        if snap.readonly {
            return Err(PyTypeError::new_err("cannot modify read-only memory"));
        }
        if snap.ndim == 0 {
            if key.is(PyEllipsis::get(py)) || key.cast::<PyTuple>().is_ok_and(|t| t.is_empty()) {
                return self.store_at(vec![], value, fmt);
            }
            return Err(PyTypeError::new_err("invalid indexing of 0-dim memory"));
        }
        match classify(key, snap.ndim) {
            KeyKind::Index => {
                if snap.ndim > 1 {
                    return Err(PyNotImplementedError::new_err("sub-views are not implemented"));
                }
                let i = lookup(snap.shape[0], as_ssize(key)?, 0)?;
                self.store_at(vec![i], value, fmt)
            }
            KeyKind::Slice(s) if snap.ndim == 1 => {
                if !check_buffer(value) {
                    return Err(PyTypeError::new_err(format!(
                        "a bytes-like object is required, not '{}'",
                        value.get_type().name()?
                    )));
                }
                let source = import_view(value)?;
                let slice = unpack_slice(&s)?;
                let r = self.live(|v, _| v.assign(Key::one(slice), &source).map_err(view_err));
                drop(source);
                r
            }
            KeyKind::MultiIndex(t) => {
                if t.len() < snap.ndim {
                    return Err(PyNotImplementedError::new_err("sub-views are not implemented"));
                }
                let index = Self::multi_index(&t, &snap)?;
                self.store_at(index, value, fmt)
            }
            KeyKind::Mixed(t) => self.numpy_set(numpy_key(t.as_any())?, value),
            KeyKind::Slice(_) | KeyKind::MultiSlice => {
                Err(PyNotImplementedError::new_err("memoryview slice assignments are currently restricted to ndim = 1"))
            }
            KeyKind::Invalid => Err(PyTypeError::new_err("memoryview: invalid slice key")),
        }
    }

    fn __delitem__(&self, _key: &Bound<'_, PyAny>) -> PyResult<()> {
        let snap = self.snapshot()?;
        adjust_fmt(&snap.format)?;
        if snap.readonly {
            return Err(PyTypeError::new_err("cannot modify read-only memory"));
        }
        Err(PyTypeError::new_err("cannot delete memory"))
    }

    fn __iter__(slf: &Bound<'_, Self>) -> PyResult<MemoryIter> {
        // `memory_iter` looks at the dimensions before anything else, even of a released view.
        let ndim = slf.get().ndim;
        if ndim == 0 {
            return Err(PyTypeError::new_err("invalid indexing of 0-dim memory"));
        }
        if ndim != 1 {
            return Err(PyNotImplementedError::new_err("multi-dimensional sub-views are not implemented"));
        }
        let unsupported = slf
            .get()
            .member
            .with(|state, _| match state {
                Some(State::Released(Some(f))) => Some(f.to_string()),
                _ => None,
            })
            .map_err(busy)?;
        if let Some(f) = unsupported {
            return Err(PyNotImplementedError::new_err(format!("memoryview: unsupported format {f}")));
        }
        let snap = slf.get().snapshot()?;
        // An unknown code is refused by the first `next`, as CPython's iterator does.
        let fmt = adjust_fmt(&snap.format)?.to_owned();
        Ok(MemoryIter {
            view: slf.clone().unbind(),
            next: std::sync::atomic::AtomicUsize::new(0),
            len: snap.shape[0],
            fmt,
        })
    }

    /// How many items equal `value`.
    #[pyo3(signature = (value, /))]
    fn count(&self, value: &Bound<'_, PyAny>) -> PyResult<usize> {
        let v = value_of(value)?;
        self.live(|m, _| m.count(&v).map_err(view_err))
    }

    /// The position of the first item equal to `value` at or after `start` and before
    /// `stop` (counted from the end when negative, as slice bounds); `ValueError` if none is.
    #[pyo3(text_signature = "($self, value, start=0, stop=sys.maxsize, /)", signature = (value, start = None, stop = None, /))]
    fn index(
        &self,
        value: &Bound<'_, PyAny>,
        start: Option<&Bound<'_, PyAny>>,
        stop: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<usize> {
        // Slice-index conversions (`_PyEval_SliceIndexNotNone`): any int, clamped to isize.
        let bound = |b: Option<&Bound<'_, PyAny>>, default: isize| -> PyResult<isize> {
            match b {
                None => Ok(default),
                Some(o) => {
                    if !is_index(o) {
                        return Err(PyTypeError::new_err("slice indices must be integers or have an __index__ method"));
                    }
                    // SAFETY: a live object, the GIL held; a NULL exception type clamps.
                    let n = unsafe { ffi::PyNumber_AsSsize_t(o.as_ptr(), std::ptr::null_mut()) };
                    match PyErr::take(o.py()) {
                        Some(e) => Err(e),
                        None => Ok(n),
                    }
                }
            }
        };
        let (start, stop) = (bound(start, 0)?, bound(stop, isize::MAX)?);
        let v = value_of(value)?;
        self.live(|m, _| {
            if m.ndim() != 1 || (start == 0 && stop == isize::MAX) {
                return m.index(&v).map_err(view_err);
            }
            let n = isize::try_from(m.shape()[0]).unwrap_or(isize::MAX);
            let lo = if start < 0 { start.saturating_add(n).max(0) } else { start.min(n) };
            let hi = if stop < 0 { stop.saturating_add(n).max(0) } else { stop.min(n) };
            let part = m.slice_ref(Slice::new(Some(lo), Some(hi.max(lo)), None)).map_err(view_err)?;
            let at = part.index(&v).map_err(view_err)?;
            Ok(at.saturating_add(lo.unsigned_abs()))
        })
    }
}

/// `adjust_fmt`: the format without a leading `@`, if it is one character.
pub(super) fn adjust_fmt(format: &str) -> PyResult<&str> {
    let f = format.strip_prefix('@').unwrap_or(format);
    if f.chars().count() == 1 {
        Ok(f)
    } else {
        Err(PyNotImplementedError::new_err(format!("memoryview: unsupported format {format}")))
    }
}

/// `memory_item`'s checks on a live view for an integer key, in its order, and the wrapped
/// index: the format (`adjust_fmt`), the dimension, the bound.
pub(super) fn item_checks(v: &MemoryView<'_>, index: isize) -> PyResult<(isize, char)> {
    // `memory_subscript` refuses any key but `()` and `...` of a 0-dim view before it looks
    // at the format.
    if v.ndim() == 0 {
        return Err(PyTypeError::new_err("invalid indexing of 0-dim memory"));
    }
    let format = v.format();
    let f = format.strip_prefix('@').unwrap_or(format);
    let mut chars = f.chars();
    let code = match (chars.next(), chars.next()) {
        (Some(c), None) => c,
        _ => return Err(PyNotImplementedError::new_err(format!("memoryview: unsupported format {format}"))),
    };
    if v.ndim() != 1 {
        return Err(PyNotImplementedError::new_err("multi-dimensional sub-views are not implemented"));
    }
    Ok((lookup(v.shape()[0], index, 0)?, code))
}

use crate::hot::Num;

/// The item at `i` of a 1-D view of a native number code, read as its Rust type; `None`
/// where the typed path does not apply (other codes, PIL layouts).
pub(super) fn fast_item(v: &MemoryView<'_>, i: isize, code: char) -> Option<Num> {
    fast_item_at(v, &[i], code)
}

/// The item at a full index (in bounds) of a direct view of a native number code, read as
/// its Rust type; `None` where the typed path does not apply.
pub(super) fn fast_item_at(v: &MemoryView<'_>, index: &[isize], code: char) -> Option<Num> {
    macro_rules! read {
        ($t:ty, $wrap:expr) => {
            v.typed::<$t>().ok().and_then(|t| t.get(index).ok()).map($wrap)
        };
    }
    match code {
        'B' => read!(u8, |x| Num::U(u64::from(x))),
        'b' => read!(i8, |x| Num::I(i64::from(x))),
        'H' => read!(u16, |x| Num::U(u64::from(x))),
        'h' => read!(i16, |x| Num::I(i64::from(x))),
        'I' => read!(u32, |x| Num::U(u64::from(x))),
        'i' => read!(i32, |x| Num::I(i64::from(x))),
        'L' | 'Q' => read!(u64, Num::U),
        'l' | 'q' => read!(i64, Num::I),
        'f' => read!(f32, |x| Num::F(f64::from(x))),
        'd' => read!(f64, Num::F),
        _ => None,
    }
}

/// Writes a value at `i` of a 1-D view of a native number code as its Rust type; `None`
/// where the typed path does not apply, `Some(Err(()))` for a value out of the code's range.
pub(super) fn fast_store(
    v: &MemoryView<'_>,
    i: isize,
    code: char,
    value: &format_codec::Value,
) -> Option<Result<(), ()>> {
    use format_codec::Value;
    macro_rules! int {
        ($t:ty) => {{
            let Value::Int(x) = value else { return None };
            let t = v.typed::<$t>().ok()?;
            match <$t>::try_from(*x) {
                Ok(x) => t.set([i], x).ok().map(Ok),
                Err(_) => Some(Err(())),
            }
        }};
    }
    match code {
        'B' => int!(u8),
        'b' => int!(i8),
        'H' => int!(u16),
        'h' => int!(i16),
        'I' => int!(u32),
        'i' => int!(i32),
        'L' | 'Q' => int!(u64),
        'l' | 'q' => int!(i64),
        'd' => {
            let Value::Float(x) = value else { return None };
            v.typed::<f64>().ok()?.set([i], *x).ok().map(Ok)
        }
        _ => None,
    }
}

/// `unpack_single`'s refusal of a code it does not know: the running interpreter's (half
/// floats, `e`, became items in CPython 3.12).
pub(super) fn native_code_char(code: char) -> PyResult<char> {
    match code {
        'b' | 'B' | 'h' | 'H' | 'i' | 'I' | 'l' | 'L' | 'q' | 'Q' | 'n' | 'N' | 'f' | 'd' | '?' | 'c' | 'P' => Ok(code),
        'e' if crate::half_items() => Ok(code),
        _ => Err(PyNotImplementedError::new_err(format!("memoryview: format {code} not supported"))),
    }
}

/// Whether a slice's bounds are `int`s or `None` (read without running Python code).
pub(super) fn plain_slice(s: &Bound<'_, PySlice>) -> bool {
    slice_fields(s).iter().all(|field| field.is_none() || field.is_exact_instance_of::<pyo3::types::PyInt>())
}

/// A slice's `start`, `stop` and `step`, borrowed from it (no attribute lookup).
#[inline(always)]
fn slice_fields<'a, 'py>(s: &'a Bound<'py, PySlice>) -> [pyo3::Borrowed<'a, 'py, PyAny>; 3] {
    let raw = s.as_ptr().cast::<ffi::PySliceObject>();
    // SAFETY: `s` is a live slice object (its type was checked), so it has the
    // `PySliceObject` layout; its three fields are always valid (never NULL) references,
    // read here while the GIL is held.
    let slice = unsafe { &*raw };
    // SAFETY: each field is a live object the slice holds for as long as `s` is borrowed.
    [slice.start, slice.stop, slice.step].map(|f| unsafe { pyo3::Borrowed::from_ptr(s.py(), f) })
}

/// The codes `unpack_single`/`pack_single` know.
pub(super) fn native_code(fmt: &str) -> PyResult<char> {
    match fmt.chars().next() {
        Some(c) if native_code_char(c).is_ok() => Ok(c),
        _ => Err(PyNotImplementedError::new_err(format!("memoryview: format {fmt} not supported"))),
    }
}

pub(super) fn out_of_bounds(dim: usize) -> PyErr {
    PyIndexError::new_err(format!("index out of bounds on dimension {}", dim + 1))
}

/// Checks `index` against `extent` as `lookup_dimension` does; the wrapped index.
pub(super) fn lookup(extent: usize, index: isize, dim: usize) -> PyResult<isize> {
    let n = isize::try_from(extent).map_err(|_| out_of_bounds(dim))?;
    let i = if index < 0 { index + n } else { index };
    if i < 0 || i >= n {
        return Err(out_of_bounds(dim));
    }
    Ok(i)
}

/// `PySlice_Unpack`: start, stop and step, clamped to `Py_ssize_t`, step 0 refused.
pub(super) fn unpack_slice(s: &Bound<'_, PySlice>) -> PyResult<Slice> {
    let [start, stop, step] = match unpack_word_slice(s) {
        Some(words) => words?,
        None => unpack_slice_words(s)?,
    };
    Ok(Slice::new(Some(start), Some(stop), Some(step)))
}

/// `PySlice_Unpack` itself: start, stop and step.
fn unpack_slice_words(s: &Bound<'_, PySlice>) -> PyResult<[isize; 3]> {
    let (mut start, mut stop, mut step): (ffi::Py_ssize_t, ffi::Py_ssize_t, ffi::Py_ssize_t) = (0, 0, 0);
    // SAFETY: a live slice object, the GIL held, three writable integers.
    let rc = unsafe { ffi::PySlice_Unpack(s.as_ptr(), &mut start, &mut stop, &mut step) };
    if rc < 0 {
        return Err(PyErr::fetch(s.py()));
    }
    Ok([start, stop, step])
}

/// [`unpack_slice`] of a slice whose fields are `None` or exact `int`s in a machine word (the
/// slices a user writes): each read as it is, with `PySlice_Unpack`'s defaults and its
/// refusal of a zero step, without the `__index__` protocol `PySlice_Unpack` goes through
/// for each field (a sixth of `m[a:b:c]`). `None` for any other slice, which goes there.
#[inline(always)]
pub(super) fn unpack_word_slice(s: &Bound<'_, PySlice>) -> Option<PyResult<[isize; 3]>> {
    // A field: `Some(None)` for `None`, `Some(Some(v))` for an exact `int` that fits.
    let word = |field: &pyo3::Borrowed<'_, '_, PyAny>| -> Option<Option<isize>> {
        if field.is_none() {
            return Some(None);
        }
        match crate::convert::exact_number(field)? {
            crate::hot::Num::I(v) => isize::try_from(v).ok().map(Some),
            _ => None,
        }
    };
    let [start, stop, step] = slice_fields(s);
    let (start, stop, step) = (word(&start)?, word(&stop)?, word(&step)?);
    let step = match step {
        Some(0) => return Some(Err(PyValueError::new_err("slice step cannot be zero"))),
        // `PySlice_Unpack` keeps the step above `-PY_SSIZE_T_MAX`, so that `-step` cannot
        // overflow.
        Some(step) => step.max(-isize::MAX),
        None => 1,
    };
    let start = start.unwrap_or(if step < 0 { isize::MAX } else { 0 });
    let stop = stop.unwrap_or(if step < 0 { isize::MIN } else { isize::MAX });
    Some(Ok([start, stop, step]))
}

/// One entry of a NumPy-style key.
pub(super) fn index_entry(obj: &Bound<'_, PyAny>) -> PyResult<Index> {
    if let Ok(s) = obj.cast::<PySlice>() {
        return Ok(Index::Slice(unpack_slice(s)?));
    }
    if obj.is(PyEllipsis::get(obj.py())) {
        return Ok(Index::Ellipsis);
    }
    if obj.is_none() {
        return Ok(Index::NewAxis);
    }
    if is_index(obj) {
        return Ok(Index::At(as_ssize(obj)?));
    }
    Err(PyIndexError::new_err("only integers, slices (`:`), ellipsis (`...`) and None are valid indices"))
}

/// A NumPy-style key: one entry or a tuple of them.
pub(super) fn numpy_key(key: &Bound<'_, PyAny>) -> PyResult<Key> {
    if let Ok(t) = key.cast::<PyTuple>() {
        let entries = t.iter().map(|x| index_entry(&x)).collect::<PyResult<Vec<_>>>()?;
        Ok(Key::tuple(entries))
    } else {
        Ok(Key::one(index_entry(key)?))
    }
}

/// What a key of the builtin's `__getitem__`/`__setitem__` is, by CPython's tests.
pub(super) enum KeyKind<'py> {
    Index,
    Slice(Bound<'py, PySlice>),
    MultiIndex(Bound<'py, PyTuple>),
    /// A tuple with a slice, `...` or `None` among integers: NumPy's meaning on an N-D view
    /// (memview's extension; CPython raises for these).
    Mixed(Bound<'py, PyTuple>),
    MultiSlice,
    Invalid,
}

pub(super) fn classify<'py>(key: &Bound<'py, PyAny>, ndim: usize) -> KeyKind<'py> {
    if is_index(key) {
        return KeyKind::Index;
    }
    if let Ok(s) = key.cast::<PySlice>() {
        return KeyKind::Slice(s.clone());
    }
    if let Ok(t) = key.cast::<PyTuple>() {
        if t.iter().all(|x| is_index(&x)) {
            return KeyKind::MultiIndex(t.clone());
        }
        let py = key.py();
        let numpy_entry = |x: &Bound<'py, PyAny>| {
            is_index(x) || x.is_instance_of::<PySlice>() || x.is(PyEllipsis::get(py)) || x.is_none()
        };
        let all_slices = t.iter().all(|x| x.is_instance_of::<PySlice>());
        if ndim >= 2 && t.len() <= ndim && !all_slices && t.iter().all(|x| numpy_entry(&x)) {
            return KeyKind::Mixed(t.clone());
        }
        if all_slices {
            return KeyKind::MultiSlice;
        }
    }
    KeyKind::Invalid
}

// The Rust documentation (rustdoc, doctests) and the Python docstring (`help()`)
// differ: Python users read Python.
#[cfg_attr(
    any(doc, doctest),
    doc = "The iterator of a 1-D view (`iter(m)`).

```
use pyo3::prelude::*;
Python::attach(|py| -> PyResult<()> {
    let view = memview_py::export(py, vec![7u8, 8])?;
    let items: Vec<u8> = view.bind(py).try_iter()?.map(|x| x?.extract()).collect::<PyResult<_>>()?;
    assert_eq!(items, [7, 8]);
    Ok(())
}).unwrap();
```"
)]
#[cfg_attr(not(any(doc, doctest)), doc = "The iterator of a 1-D view: `iter(m)` yields its items in order.")]
#[pyclass(module = "memview", name = "memory_iterator", frozen)]
pub struct MemoryIter {
    view: Py<PyMemoryView>,
    next: std::sync::atomic::AtomicUsize,
    len: usize,
    fmt: String,
}

#[pymethods]
impl MemoryIter {
    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        if i >= self.len {
            self.next.store(self.len, Ordering::Relaxed);
            return Ok(None);
        }
        let index = isize::try_from(i).map_err(|_| PyIndexError::new_err("index"))?;
        self.view.get().item_at(py, vec![index], &self.fmt).map(Some)
    }

    fn __length_hint__(&self) -> usize {
        self.len.saturating_sub(self.next.load(Ordering::Relaxed))
    }
}
