//! `memview.memoryview`: the builtin's API with its exact results and exceptions, over
//! memview's core, plus memview's extensions (NumPy-style N-D keys where CPython refuses a
//! mixed key, `nd[...]`, transposes, record fields, `to_list` of every format).

use crate::convert::{as_ssize, check_buffer, exc, is_index, item_of, owned, to_py, value_of, view_err, Given};
use crate::family::{Busy, Held, Member};
use crate::import::{ManagedBuffer, PyManagedBuffer};
use buffer_protocol::{BufferInfo, Flags};
use memview::{Index, Key, LayoutError, MemoryView, Order, PyExc, Slice, Subscript, ViewError};
use pyo3::exceptions::{PyBufferError, PyIndexError, PyNotImplementedError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyEllipsis, PyList, PySlice, PyString, PyTuple};
use pyo3::{ffi, PyTraverseError, PyVisit};
use std::sync::atomic::{AtomicI64, Ordering};

/// The state Python keeps: a live view, or the released object.
pub(crate) enum State {
    /// Boxed: a Python view is made and moved often, a core view is 280 bytes.
    Live(Box<MemoryView<'static>>),
    /// Released; with the format when `adjust_fmt` refuses it (CPython keeps `view.format`
    /// after release, and iteration reads it before it notices the release).
    Released(Option<Box<str>>),
}

fn released() -> PyErr {
    PyValueError::new_err("operation forbidden on released memoryview object")
}

fn busy(_: Busy) -> PyErr {
    PyRuntimeError::new_err("memoryview is in use by this thread (re-entered from a callback)")
}

/// `adjust_fmt`: the format without a leading `@`, if it is one character.
fn adjust_fmt(format: &str) -> PyResult<String> {
    let f = format.strip_prefix('@').unwrap_or(format);
    if f.chars().count() == 1 {
        Ok(f.to_owned())
    } else {
        Err(PyNotImplementedError::new_err(format!("memoryview: unsupported format {format}")))
    }
}

/// `memory_item`'s checks on a live view for an integer key, in its order, and the wrapped
/// index: the format (`adjust_fmt`), the dimension, the bound.
fn item_checks(v: &MemoryView<'_>, index: isize) -> PyResult<(isize, char)> {
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

/// A number read straight from memory (no `Value`), for the item fast path.
enum Num {
    I(i64),
    U(u64),
    F(f64),
}

impl Num {
    fn into_py(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        use pyo3::IntoPyObjectExt;
        match self {
            Num::I(x) => x.into_py_any(py),
            Num::U(x) => x.into_py_any(py),
            Num::F(x) => x.into_py_any(py),
        }
    }
}

/// The item at `i` of a 1-D view of a native number code, read as its Rust type; `None`
/// where the typed path does not apply (other codes, PIL layouts).
fn fast_item(v: &MemoryView<'_>, i: isize, code: char) -> Option<Num> {
    macro_rules! read {
        ($t:ty, $wrap:expr) => {
            v.typed::<$t>().ok().and_then(|t| t.get([i]).ok()).map($wrap)
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
fn fast_store(v: &MemoryView<'_>, i: isize, code: char, value: &format_codec::Value) -> Option<Result<(), ()>> {
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
fn native_code_char(code: char) -> PyResult<char> {
    match code {
        'b' | 'B' | 'h' | 'H' | 'i' | 'I' | 'l' | 'L' | 'q' | 'Q' | 'n' | 'N' | 'f' | 'd' | '?' | 'c' | 'P' => Ok(code),
        'e' if crate::half_items() => Ok(code),
        _ => Err(PyNotImplementedError::new_err(format!("memoryview: format {code} not supported"))),
    }
}

/// Whether a slice's bounds are `int`s or `None` (read without running Python code).
fn plain_slice(s: &Bound<'_, PySlice>) -> bool {
    let raw = s.as_ptr().cast::<ffi::PySliceObject>();
    // SAFETY: `s` is a live slice object (the cast checked its type), so it has the
    // `PySliceObject` layout; its three fields are always valid (never NULL) references,
    // read here while the GIL is held.
    let slice = unsafe { &*raw };
    let fields = [slice.start, slice.stop, slice.step];
    fields.iter().all(|&f| {
        // SAFETY: a live object (see above), the GIL held.
        let field = unsafe { Bound::from_borrowed_ptr(s.py(), f) };
        field.is_none() || field.is_exact_instance_of::<pyo3::types::PyInt>()
    })
}

/// The codes `unpack_single`/`pack_single` know.
fn native_code(fmt: &str) -> PyResult<char> {
    match fmt.chars().next() {
        Some(c) if native_code_char(c).is_ok() => Ok(c),
        _ => Err(PyNotImplementedError::new_err(format!("memoryview: format {fmt} not supported"))),
    }
}

fn out_of_bounds(dim: usize) -> PyErr {
    PyIndexError::new_err(format!("index out of bounds on dimension {}", dim + 1))
}

/// Checks `index` against `extent` as `lookup_dimension` does; the wrapped index.
fn lookup(extent: usize, index: isize, dim: usize) -> PyResult<isize> {
    let n = isize::try_from(extent).map_err(|_| out_of_bounds(dim))?;
    let i = if index < 0 { index + n } else { index };
    if i < 0 || i >= n {
        return Err(out_of_bounds(dim));
    }
    Ok(i)
}

/// `PySlice_Unpack`: start, stop and step, clamped to `Py_ssize_t`, step 0 refused.
fn unpack_slice(s: &Bound<'_, PySlice>) -> PyResult<Slice> {
    let (mut start, mut stop, mut step): (ffi::Py_ssize_t, ffi::Py_ssize_t, ffi::Py_ssize_t) = (0, 0, 0);
    // SAFETY: a live slice object, the GIL held, three writable integers.
    let rc = unsafe { ffi::PySlice_Unpack(s.as_ptr(), &mut start, &mut stop, &mut step) };
    if rc < 0 {
        return Err(PyErr::fetch(s.py()));
    }
    Ok(Slice::new(Some(start), Some(stop), Some(step)))
}

/// One entry of a NumPy-style key.
fn index_entry(obj: &Bound<'_, PyAny>) -> PyResult<Index> {
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
fn numpy_key(key: &Bound<'_, PyAny>) -> PyResult<Key> {
    if let Ok(t) = key.cast::<PyTuple>() {
        let entries = t.iter().map(|x| index_entry(&x)).collect::<PyResult<Vec<_>>>()?;
        Ok(Key::tuple(entries))
    } else {
        Ok(Key::one(index_entry(key)?))
    }
}

/// What a key of the builtin's `__getitem__`/`__setitem__` is, by CPython's tests.
enum KeyKind<'py> {
    Index,
    Slice(Bound<'py, PySlice>),
    MultiIndex(Bound<'py, PyTuple>),
    /// A tuple with a slice, `...` or `None` among integers: NumPy's meaning on an N-D view
    /// (memview's extension; CPython raises for these).
    Mixed(Bound<'py, PyTuple>),
    MultiSlice,
    Invalid,
}

fn classify<'py>(key: &Bound<'py, PyAny>, ndim: usize) -> KeyKind<'py> {
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

/// What `__getitem__` and friends read of a view before they call back into Python.
struct Snapshot {
    ndim: usize,
    format: String,
    shape: Vec<usize>,
    readonly: bool,
}

// The Rust documentation (rustdoc, doctests) and the Python docstring (`help()`)
// differ: Python users read Python.
#[cfg_attr(
    any(doc, doctest),
    doc = "`memview.memoryview(object)`: a view of any object that exports a buffer, with the
builtin `memoryview`'s API and results, and memview's N-D extensions.

```
use pyo3::prelude::*;
Python::attach(|py| -> PyResult<()> {
    let view = memview_py::export(py, vec![1u16, 2, 3])?;
    let first: u16 = view.bind(py).get_item(0)?.extract()?;
    assert_eq!((first, view.bind(py).len()?), (1, 3));
    Ok(())
}).unwrap();
```"
)]
#[cfg_attr(
    not(any(doc, doctest)),
    doc = "Create a view of the memory of `object`, any object that exports a buffer (bytes,
bytearray, array.array, mmap, NumPy arrays, another view, ...), without copying it.

The builtin `memoryview`'s API, results and exceptions, and where the builtin stops for
a limitation of its own, NumPy's meaning: `m[:, 1]` and `m[0]` of N-D views, `m.nd[...]`
for every NumPy basic key, `m.T`, `m.transpose(*axes)`, `m.reshape(shape)`, records
(`m.fields`, `m.field(name)`) and `m.to_list()` for every format.

    >>> import memview
    >>> m = memview.memoryview(bytes(range(6))).cast('B', [2, 3])
    >>> m[:, 1].tolist()
    [1, 4]"
)]
#[pyclass(name = "memoryview", module = "memview", frozen, weakref, sequence)]
pub struct PyMemoryView {
    pub(crate) member: Member<State>,
    /// The exporting object (`memoryview.obj`), if it is a Python object.
    obj: Option<Py<PyAny>>,
    /// The imported buffer the core views point into, if this view is of an import: taken
    /// by `release` after the core view is dropped, and declared after `member`, so dropped
    /// after the core views (the promise of `PyManagedBuffer::exporter`). The buffer itself is
    /// released when the last view holding it lets go, as CPython's managed buffer is.
    mbuf: std::sync::Mutex<Option<Py<PyManagedBuffer>>>,
    /// The hash, once computed (kept after release, as CPython keeps it); -1 for none.
    hash: AtomicI64,
    /// `len(m)` without the family's lock: the first extent, -2 for a 0-dim view, -1 once
    /// released (the slow path then says what CPython says). A view's shape never changes.
    len: std::sync::atomic::AtomicIsize,
    /// The native number code of a 1-D direct view whose items `m[i]` reads as Rust numbers
    /// (`0` for every other view): decided once, as the view's format and layout never change.
    code: std::sync::atomic::AtomicU8,
    /// The number of dimensions, kept after release as CPython's `view.ndim` is (iteration
    /// checks it before anything else).
    ndim: u8,
}

/// The `code` cache value of a view.
fn code_of(v: &MemoryView<'_>) -> u8 {
    let f = v.format();
    let f = f.strip_prefix('@').unwrap_or(f);
    match f.as_bytes() {
        [c @ (b'b' | b'B' | b'h' | b'H' | b'i' | b'I' | b'l' | b'L' | b'q' | b'Q' | b'f' | b'd')]
            if v.ndim() == 1 && v.suboffsets().is_empty() =>
        {
            *c
        }
        _ => 0,
    }
}

/// The `len` cache value of a view.
fn len_of(v: &MemoryView<'_>) -> isize {
    v.shape().first().map_or(-2, |&n| isize::try_from(n).unwrap_or(-1))
}

impl PyMemoryView {
    /// A new Python view, the first of its family.
    pub(crate) fn from_core(view: MemoryView<'static>, obj: Option<Py<PyAny>>) -> PyMemoryView {
        PyMemoryView {
            len: std::sync::atomic::AtomicIsize::new(len_of(&view)),
            code: std::sync::atomic::AtomicU8::new(code_of(&view)),
            ndim: u8::try_from(view.ndim()).unwrap_or(u8::MAX),
            member: Member::new(State::Live(Box::new(view))),
            obj,
            mbuf: std::sync::Mutex::new(None),
            hash: AtomicI64::new(-1),
        }
    }

    /// A new Python view of an imported buffer, the first of its family.
    fn of_import(py: Python<'_>, mbuf: Py<PyManagedBuffer>, flags: Option<Flags>) -> PyResult<PyMemoryView> {
        let obj = mbuf.get().obj(py).map(|o| owned(&o)).transpose()?;
        // SAFETY: the view goes into the family of the returned object, which holds `mbuf`
        // (a strong reference, dropped after the family's views); views derived from it stay
        // in the family and their objects clone the reference (`sibling`).
        let exporter = unsafe { PyManagedBuffer::exporter(&mbuf) };
        let view = match flags {
            Some(f) => MemoryView::with_flags(exporter, f),
            None => MemoryView::new(exporter),
        }
        .map_err(view_err)?;
        Ok(PyMemoryView {
            len: std::sync::atomic::AtomicIsize::new(len_of(&view)),
            code: std::sync::atomic::AtomicU8::new(code_of(&view)),
            ndim: u8::try_from(view.ndim()).unwrap_or(u8::MAX),
            member: Member::new(State::Live(Box::new(view))),
            obj,
            mbuf: std::sync::Mutex::new(Some(mbuf)),
            hash: AtomicI64::new(-1),
        })
    }

    /// A new Python view of a family, for a view made under `held` from one of its values.
    pub(crate) fn in_family(held: &Held<'_>, view: MemoryView<'static>, obj: Option<Py<PyAny>>) -> PyMemoryView {
        PyMemoryView {
            len: std::sync::atomic::AtomicIsize::new(len_of(&view)),
            code: std::sync::atomic::AtomicU8::new(code_of(&view)),
            ndim: u8::try_from(view.ndim()).unwrap_or(u8::MAX),
            member: Member::<State>::sibling(held, State::Live(Box::new(view))),
            obj,
            mbuf: std::sync::Mutex::new(None),
            hash: AtomicI64::new(-1),
        }
    }

    fn sibling(&self, py: Python<'_>, held: &Held<'_>, view: MemoryView<'static>) -> PyMemoryView {
        PyMemoryView {
            len: std::sync::atomic::AtomicIsize::new(len_of(&view)),
            code: std::sync::atomic::AtomicU8::new(code_of(&view)),
            ndim: u8::try_from(view.ndim()).unwrap_or(u8::MAX),
            member: Member::<State>::sibling(held, State::Live(Box::new(view))),
            obj: self.obj.as_ref().map(|o| o.clone_ref(py)),
            mbuf: std::sync::Mutex::new(self.managed(py)),
            hash: AtomicI64::new(-1),
        }
    }

    /// Drops the core view (`BufferError` while exported), keeping the released state.
    fn release_core(&self) -> PyResult<()> {
        self.member
            .with(|state, _| match state.take() {
                Some(State::Live(v)) => {
                    let unsupported = adjust_fmt(v.format()).is_err().then(|| Box::from(v.format()));
                    match (*v).release() {
                        Ok(()) => {
                            *state = Some(State::Released(unsupported));
                            Ok(())
                        }
                        Err(e) => {
                            let exports = e.exports();
                            *state = Some(State::Live(Box::new(e.into_view())));
                            Err(PyBufferError::new_err(format!(
                                "memoryview has {exports} exported buffer{}",
                                if exports == 1 { "" } else { "s" }
                            )))
                        }
                    }
                }
                other => {
                    *state = other.or(Some(State::Released(None)));
                    Ok(())
                }
            })
            .map_err(busy)?
    }

    /// A new reference to the managed buffer of an imported view (`None` for Rust exports and
    /// released views).
    fn managed(&self, py: Python<'_>) -> Option<Py<PyManagedBuffer>> {
        let guard = self.mbuf.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.as_ref().map(|m| m.clone_ref(py))
    }

    /// Runs `f` on the live view, under the family's lock; `ValueError` once released.
    pub(crate) fn live<R>(&self, f: impl FnOnce(&MemoryView<'static>, &Held<'_>) -> PyResult<R>) -> PyResult<R> {
        self.member
            .with(|state, held| match state {
                Some(State::Live(v)) => f(v, held),
                _ => Err(released()),
            })
            .map_err(busy)?
    }

    /// [`live`](Self::live) for a caller that holds the interpreter already (the hot paths).
    pub(crate) fn live_in<R>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&MemoryView<'static>, &Held<'_>) -> PyResult<R>,
    ) -> PyResult<R> {
        self.member
            .with_attached(py, |state, held| match state {
                Some(State::Live(v)) => f(v, held),
                _ => Err(released()),
            })
            .map_err(busy)?
    }

    /// Derives a new Python view of the same family.
    fn derive(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&MemoryView<'static>) -> Result<MemoryView<'static>, ViewError>,
    ) -> PyResult<PyMemoryView> {
        self.live(|v, held| {
            let w = f(v).map_err(view_err)?;
            Ok(self.sibling(py, held, w))
        })
    }

    fn snapshot(&self) -> PyResult<Snapshot> {
        self.live(|v, _| {
            Ok(Snapshot {
                ndim: v.ndim(),
                format: v.format().to_owned(),
                shape: v.shape().to_vec(),
                readonly: v.readonly(),
            })
        })
    }

    /// The item at a full index (already in bounds), unpacked as `unpack_single` does.
    fn item_at(&self, py: Python<'_>, index: Vec<isize>, fmt: &str) -> PyResult<Py<PyAny>> {
        let value = self.live(|v, _| v.get(Key::tuple(index)).map_err(view_err))?;
        native_code(fmt)?;
        Ok(to_py(py, &value, false)?.unbind())
    }

    /// Writes a Python object at a full index (already in bounds), as `pack_single` does:
    /// the object is read first (it may run Python code, even release this view).
    fn store_at(&self, index: Vec<isize>, value: &Bound<'_, PyAny>, fmt: &str) -> PyResult<()> {
        let code = native_code(fmt)?;
        let item = item_of(value, code, fmt)?;
        self.live(|v, _| v.set(Key::tuple(index), item).map_err(view_err))
    }

    /// Full indices for a tuple of integers, checked as `ptr_from_tuple` does.
    fn multi_index(t: &Bound<'_, PyTuple>, snap: &Snapshot) -> PyResult<Vec<isize>> {
        if t.len() > snap.ndim {
            return Err(PyTypeError::new_err(format!(
                "cannot index {}-dimension view with {}-element tuple",
                snap.ndim,
                t.len()
            )));
        }
        let mut out = Vec::with_capacity(t.len());
        for (dim, x) in t.iter().enumerate() {
            let i = as_ssize(&x)?;
            out.push(lookup(snap.shape[dim], i, dim)?);
        }
        Ok(out)
    }

    /// A NumPy-style subscript: an item or a new view.
    fn numpy_get(slf: &Bound<'_, Self>, key: Key) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let this = slf.get();
        enum Got {
            Item(format_codec::Value),
            View(Box<PyMemoryView>),
        }
        let got = this.live(|v, held| match v.subscript(key).map_err(view_err)? {
            Subscript::Item(x) => Ok(Got::Item(x)),
            Subscript::View(w) => Ok(Got::View(Box::new(this.sibling(py, held, *w)))),
        })?;
        match got {
            Got::Item(x) => Ok(to_py(py, &x, true)?.unbind()),
            Got::View(w) => Ok(Py::new(py, *w)?.into_any()),
        }
    }

    /// A NumPy-style write: a buffer of the selection's shape, or one value for every item.
    fn numpy_set(&self, key: Key, value: &Bound<'_, PyAny>) -> PyResult<()> {
        if check_buffer(value) {
            let source = import_view(value)?;
            let r = self.live(|v, _| v.assign(key, &source).map_err(view_err));
            drop(source);
            return r;
        }
        let item = value_of(value)?;
        self.live(|v, _| v.set(key, item).map_err(view_err))
    }
}

/// A temporary view of any Python buffer (`PyBUF_FULL_RO`), outside every family: used only
/// within one call, on one thread, and dropped there.
fn import_view(obj: &Bound<'_, PyAny>) -> PyResult<MemoryView<'static>> {
    let managed = ManagedBuffer::acquire(obj, Flags::FULL_RO)?;
    MemoryView::new(managed).map_err(view_err)
}

/// Bulk operations (`tobytes`, `hex`, `==`) on views of at least this many bytes run
/// without the GIL, so other Python threads run meanwhile; smaller ones are done before a
/// hand-over of the GIL would pay for itself.
const DETACHED_MIN_BYTES: usize = 1 << 16;

/// Whether a view is large enough for its bulk operations to run without the GIL.
fn detachable(v: &MemoryView<'_>) -> bool {
    v.nbytes() >= DETACHED_MIN_BYTES
}

/// A value that stays on this thread while it runs detached from the interpreter: what a
/// `!Send` private view needs to cross the `Send` bound of `Python::detach`.
struct ThisThread<T>(T);

// SAFETY: `Python::detach` runs its closure on the calling thread and returns before the
// caller goes on; a `ThisThread` is made before such a call and unwrapped inside or after it,
// so its value is never touched by another thread. The views it carries are private imports
// (`import_view`: their own acquisition, in no family), whose `Rc`s and cells no other thread
// can reach.
unsafe impl<T> Send for ThisThread<T> {}

/// Runs `f` detached from the interpreter, on a private view of `obj`'s buffer (a counted
/// export of it: while `f` runs, the view refuses `release()` and its exporter refuses to
/// resize, as they do for any consumer holding a buffer). Other threads may run Python code
/// meanwhile, and may write the same memory through another view: `f` then reads the bytes
/// as they are, as CPython's own GIL-free readers of buffers (`hashlib`, file writes) do; no
/// length or pointer comes from those bytes.
fn detached<R: Send>(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    f: impl FnOnce(&MemoryView<'static>) -> PyResult<R> + Send,
) -> PyResult<R> {
    let private = ThisThread(import_view(obj)?);
    let (r, private) = py.detach(move || {
        let private = private;
        let r = f(&private.0);
        (r, private)
    });
    // The private import is released here, attached (its drop attaches anyway).
    drop(private);
    r
}

/// `a == b` of two private imports, compared without the GIL (see [`detached`]).
fn detached_eq(py: Python<'_>, a: MemoryView<'static>, b: MemoryView<'static>) -> bool {
    let pair = ThisThread((a, b));
    let (equal, pair) = py.detach(move || {
        let pair = pair;
        (pair.0 .0 == pair.0 .1, pair)
    });
    drop(pair);
    equal
}

/// `memoryview(obj)`: a sibling of a memview view, or a new import.
pub(crate) fn make_view(obj: &Bound<'_, PyAny>) -> PyResult<PyMemoryView> {
    let py = obj.py();
    if let Ok(m) = obj.cast::<PyMemoryView>() {
        let m = m.get();
        return m.derive(py, |v| Ok(v.clone()));
    }
    if !check_buffer(obj) {
        // Not a buffer, but an Arrow array (the Arrow PyCapsule interface): its values.
        if obj.hasattr(pyo3::intern!(py, "__arrow_c_array__"))? {
            return crate::arrow::import(obj);
        }
        return Err(PyTypeError::new_err(format!(
            "memoryview: a bytes-like object is required, not '{}'",
            obj.get_type().name()?
        )));
    }
    PyMemoryView::of_import(py, PyManagedBuffer::acquire(obj, Flags::FULL_RO)?, None)
}

fn order_of(order: Option<&str>) -> PyResult<Order> {
    match order {
        None | Some("C") => Ok(Order::C),
        Some("F") => Ok(Order::F),
        Some("A") => Ok(Order::A),
        Some(_) => Err(PyValueError::new_err("order must be 'C', 'F' or 'A'")),
    }
}

#[pymethods]
impl PyMemoryView {
    #[new]
    #[pyo3(signature = (object))]
    fn py_new(object: &Bound<'_, PyAny>) -> PyResult<PyMemoryView> {
        make_view(object)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.obj)?;
        // Never blocks: taken only for a moment, never across Python code.
        if let Ok(mbuf) = self.mbuf.try_lock() {
            visit.call(mbuf.as_ref())?;
        }
        Ok(())
    }

    // ----- attributes -----

    /// The object whose memory this view shows (`None` for memory exported from Rust).
    #[getter]
    fn obj(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.live(|_, _| Ok(()))?;
        Ok(self.obj.as_ref().map_or_else(|| py.None(), |o| o.clone_ref(py)))
    }

    /// The size of the view's items in bytes: `len(m.tobytes())`, `product(shape) * itemsize`.
    #[getter]
    fn nbytes(&self) -> PyResult<usize> {
        self.live(|v, _| Ok(v.nbytes()))
    }

    /// Whether the memory is read-only.
    #[getter]
    fn readonly(&self) -> PyResult<bool> {
        self.live(|v, _| Ok(v.readonly()))
    }

    /// The size in bytes of one item.
    #[getter]
    fn itemsize(&self) -> PyResult<usize> {
        self.live(|v, _| Ok(v.itemsize()))
    }

    /// The format of one item, in `struct` module syntax (`'B'` for bytes); PEP 3118
    /// extensions such as `'T{<i:x:<d:y:}'` where the exporter gives them.
    #[getter]
    fn format(&self) -> PyResult<String> {
        self.live(|v, _| Ok(v.format().to_owned()))
    }

    /// The number of dimensions.
    #[getter]
    fn ndim(&self) -> PyResult<usize> {
        self.live(|v, _| Ok(v.ndim()))
    }

    /// The extent of each dimension, a tuple of `ndim` ints.
    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let s = self.live(|v, _| Ok(v.shape().to_vec()))?;
        PyTuple::new(py, s)
    }

    /// The step in bytes along each dimension, a tuple of `ndim` ints (negative steps
    /// walk backwards).
    #[getter]
    fn strides<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let s = self.live(|v, _| Ok(v.strides().to_vec()))?;
        PyTuple::new(py, s)
    }

    /// The suboffsets of a PIL-style (indirect) layout, or `()` for a direct one.
    #[getter]
    fn suboffsets<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let s = self.live(|v, _| Ok(v.suboffsets().to_vec()))?;
        PyTuple::new(py, s)
    }

    /// Whether the items are laid out in C (row-major) order without gaps.
    #[getter]
    fn c_contiguous(&self) -> PyResult<bool> {
        self.live(|v, _| Ok(v.c_contiguous()))
    }

    /// Whether the items are laid out in Fortran (column-major) order without gaps.
    #[getter]
    fn f_contiguous(&self) -> PyResult<bool> {
        self.live(|v, _| Ok(v.f_contiguous()))
    }

    /// Whether the items are laid out without gaps, in C or Fortran order.
    #[getter]
    fn contiguous(&self) -> PyResult<bool> {
        self.live(|v, _| Ok(v.contiguous()))
    }

    // ----- life -----

    /// Release the view: afterwards every use of it raises `ValueError`, and the exporter
    /// may resize or free its memory again. Raises `BufferError` while a buffer exported
    /// from this view (to NumPy, another view, ...) is still held. Releasing twice does
    /// nothing.
    fn release(&self) -> PyResult<()> {
        self.release_core()?;
        self.len.store(-1, Ordering::Relaxed);
        // The core view is gone: the managed buffer may go too (and with the last view of it,
        // the exporter's buffer), outside the family's lock.
        let mbuf = self.mbuf.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        drop(mbuf);
        Ok(())
    }

    /// Enter a `with` block: the view itself, released when the block ends.
    fn __enter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        slf.get().live(|_, _| Ok(()))?;
        Ok(slf)
    }

    /// Release the view at the end of a `with` block.
    #[pyo3(text_signature = "($self, /, *exc_info)", signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, PyTuple>) -> PyResult<()> {
        self.release()
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let live = slf.get().live(|_, _| Ok(())).is_ok();
        let addr = slf.as_ptr() as usize;
        Ok(if live { format!("<memory at {addr:#x}>") } else { format!("<released memory at {addr:#x}>") })
    }

    fn __reduce_ex__(&self, _protocol: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(PyTypeError::new_err("cannot pickle 'memoryview' object"))
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(PyTypeError::new_err("cannot pickle 'memoryview' object"))
    }

    // ----- the sequence -----

    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        if let Ok(n) = usize::try_from(self.len.load(Ordering::Relaxed)) {
            return Ok(n);
        }
        self.live_in(py, |v, _| match v.shape().first() {
            Some(&n) => Ok(n),
            // CPython 3.11 says 1; 3.12 made it an error (gh-89903): the running interpreter's.
            None if crate::python_3_12(py) => Err(PyTypeError::new_err("0-dim memory has no length")),
            None => Ok(1),
        })
    }

    /// A view of `object`'s buffer requested with exactly the `PyBUF_*` `flags` (CPython
    /// 3.12's `memoryview._from_flags`); the exporter's `BufferError` if it refuses them.
    #[classmethod]
    fn _from_flags(
        _cls: &Bound<'_, pyo3::types::PyType>,
        object: &Bound<'_, PyAny>,
        flags: i32,
    ) -> PyResult<PyMemoryView> {
        let flags = Flags::from_bits(u32::try_from(flags).map_err(|_| PyValueError::new_err("invalid flags"))?);
        PyMemoryView::of_import(object.py(), PyManagedBuffer::acquire(object, flags)?, Some(flags))
    }

    fn __getitem__(slf: &Bound<'_, Self>, key: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let this = slf.get();
        // The common case first: an `int` (no Python code runs to read it), one lock.
        if key.is_exact_instance_of::<pyo3::types::PyInt>() {
            // A 1-D view of native numbers: bounds from the cached length, then one typed read.
            let code = this.code.load(Ordering::Relaxed);
            let n = this.len.load(Ordering::Relaxed);
            if code != 0 && n >= 0 {
                if let Ok(i) = as_ssize(key) {
                    let i = lookup(n.unsigned_abs(), i, 0)?;
                    if let Some(num) = this.live_in(py, |v, _| Ok(fast_item(v, i, char::from(code))))? {
                        return num.into_py(py);
                    }
                }
            }
            let index = match as_ssize(key) {
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
        // A slice of `int`s and `None`s: read without Python code, so one lock.
        if let Ok(s) = key.cast::<PySlice>() {
            if plain_slice(s) {
                let slice = unpack_slice(s)?;
                let w = this.live_in(py, |v, held| {
                    if v.ndim() == 0 {
                        return Err(PyTypeError::new_err("invalid indexing of 0-dim memory"));
                    }
                    let w = v.slice(slice).map_err(view_err)?;
                    Ok(this.sibling(py, held, w))
                })?;
                return Ok(Py::new(py, w)?.into_any());
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
                        v.get(Key::tuple(index.iter().copied())).map(Some).map_err(view_err)
                    })?;
                    if let Some(value) = got {
                        return Ok(to_py(py, &value, false)?.unbind());
                    }
                }
            }
        }
        let snap = this.snapshot()?;
        if snap.ndim == 0 {
            if key.cast::<PyTuple>().is_ok_and(|t| t.is_empty()) {
                let fmt = adjust_fmt(&snap.format)?;
                return this.item_at(py, vec![], &fmt);
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
                this.item_at(py, vec![i], &fmt)
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
                            sliced.len.store(len_of(v), Ordering::Relaxed);
                            sliced.code.store(code_of(v), Ordering::Relaxed);
                            Ok(())
                        }
                        _ => Err(released()),
                    })
                    .map_err(busy)??;
                Ok(Py::new(py, sliced)?.into_any())
            }
            KeyKind::MultiIndex(t) => {
                let fmt = adjust_fmt(&snap.format)?;
                if t.len() < snap.ndim {
                    return Err(PyNotImplementedError::new_err("sub-views are not implemented"));
                }
                let index = Self::multi_index(&t, &snap)?;
                this.item_at(py, index, &fmt)
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
                // Reading an exact `int`, `float` or `bytes` runs no Python code, so it may
                // happen under the lock: one lock for the whole assignment.
                let cached = self.code.load(Ordering::Relaxed);
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
                return self.store_at(vec![], value, &fmt);
            }
            return Err(PyTypeError::new_err("invalid indexing of 0-dim memory"));
        }
        match classify(key, snap.ndim) {
            KeyKind::Index => {
                if snap.ndim > 1 {
                    return Err(PyNotImplementedError::new_err("sub-views are not implemented"));
                }
                let i = lookup(snap.shape[0], as_ssize(key)?, 0)?;
                self.store_at(vec![i], value, &fmt)
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
                self.store_at(index, value, &fmt)
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
        let fmt = adjust_fmt(&snap.format)?;
        Ok(MemoryIter {
            view: slf.clone().unbind(),
            next: std::sync::atomic::AtomicUsize::new(0),
            len: snap.shape[0],
            fmt,
        })
    }

    // ----- conversions -----

    /// Return the items' bytes as a `bytes` object, in C order (or `order`: 'C', 'F',
    /// or 'A', which keeps the memory's own order where it is contiguous).
    #[pyo3(text_signature = "($self, /, order='C')", signature = (order = None))]
    fn tobytes<'py>(slf: &Bound<'py, Self>, order: Option<&str>) -> PyResult<Bound<'py, PyBytes>> {
        let py = slf.py();
        let this = slf.get();
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
        let snap = self.snapshot()?;
        let fmt = adjust_fmt(&snap.format)?;
        // `unpack_single` refuses an unknown code when it unpacks an item: a view of no item
        // is `[]` (nested) whatever its one-character format.
        let code = if snap.shape.contains(&0) { fmt.chars().next().unwrap_or('B') } else { native_code(&fmt)? };
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

    // ----- comparison and hash -----

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

    // ----- buffer export -----

    /// `bf_getbuffer`: exports the view (counted: `release` refuses while exported).
    unsafe fn __getbuffer__(slf: Bound<'_, Self>, view: *mut ffi::Py_buffer, flags: std::ffi::c_int) -> PyResult<()> {
        let flags = Flags::from_bits(u32::try_from(flags).map_err(|_| PyBufferError::new_err("invalid flags"))?);
        let info: BufferInfo = slf.get().live(|v, _| {
            buffer_protocol::Exporter::get_buffer(v, flags)
                .map_err(|e| exc(PyExc::BufferError, format!("memoryview: {e}")))
        })?;
        // SAFETY: PyO3 passes the `Py_buffer` CPython asked to fill; the memory `info`
        // describes stays valid while this view lives, and the view stays alive (the buffer
        // holds a reference to it) and unreleased (`release` refuses while exported) until
        // `__releasebuffer__`.
        let r = unsafe { crate::export::fill(view, info.clone(), slf.as_any()) };
        if r.is_err() {
            let _ = slf.get().live(|v, _| {
                // SAFETY: `info` came from this view's `get_buffer`, released once here.
                unsafe { buffer_protocol::Exporter::release_buffer(v, &info) };
                Ok(())
            });
        }
        r
    }

    /// Export the view as a DLPack capsule, for `numpy.from_dlpack` and the other DLPack
    /// consumers: no copy unless `copy=True` (or unless the strides are not whole items and
    /// `copy` is `None`). A consumer that asks with `max_version` of 1.0 or later gets a
    /// versioned tensor, which carries the read-only flag; an unversioned one cannot, so a
    /// read-only view refuses it (`BufferError`). CPU only: `stream` must be `None`, and
    /// `dl_device`, if given, `(1, 0)`. While the tensor lives the view cannot be released.
    #[pyo3(signature = (*, stream = None, max_version = None, dl_device = None, copy = None))]
    fn __dlpack__<'py>(
        slf: &Bound<'py, Self>,
        stream: Option<&Bound<'py, PyAny>>,
        max_version: Option<(i64, i64)>,
        dl_device: Option<(i64, i64)>,
        copy: Option<bool>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        if stream.is_some() {
            return Err(PyBufferError::new_err("memview views live on the CPU: stream must be None"));
        }
        if dl_device.is_some_and(|d| d != (1, 0)) {
            return Err(PyBufferError::new_err("memview views live on the CPU (device (1, 0))"));
        }
        let versioned = max_version.is_some_and(|(major, _)| major >= 1);
        let whole_items = slf.get().live(|v, _| {
            let size = v.itemsize() as isize;
            Ok(v.suboffsets().is_empty() && v.strides().iter().all(|s| s % size == 0))
        })?;
        if copy == Some(true) || (copy.is_none() && !whole_items) {
            let owned = slf.get().live(|v, _| v.to_owned_view().map_err(view_err))?;
            let copied = Bound::new(py, PyMemoryView::from_core(owned, None))?;
            return crate::dlpack::export(copied.as_any(), true, versioned);
        }
        crate::dlpack::export(slf.as_any(), false, versioned)
    }

    /// Export the view as an Arrow primitive array (the Arrow PyCapsule interface), for
    /// `pyarrow.array(m)`, Polars and the other Arrow consumers: a pair of capsules, the
    /// schema and the array. A 1-D view of numbers in the host's byte order, or of `?`;
    /// no copy when the items are adjacent (the array holds a buffer of the view, so the
    /// view cannot be released while it lives), a copy when the view is strided, and a
    /// bitmap for `?` (Arrow's booleans are bits). `requested_schema` is accepted and may
    /// be answered in the view's own type, as the interface allows.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_array__<'py>(
        slf: &Bound<'py, Self>,
        requested_schema: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        crate::arrow::export(slf, requested_schema)
    }

    /// The device of the view's memory for DLPack: `(1, 0)`, the CPU.
    fn __dlpack_device__(&self) -> PyResult<(i32, i32)> {
        self.live(|_, _| Ok(()))?;
        Ok((1, 0))
    }

    /// `bf_releasebuffer`.
    unsafe fn __releasebuffer__(&self, view: *mut ffi::Py_buffer) {
        // SAFETY: CPython releases each buffer `__getbuffer__` filled exactly once.
        if let Some(filled) = unsafe { crate::export::take(view) } {
            let _ = self.member.with(|state, _| {
                if let Some(State::Live(v)) = state {
                    // SAFETY: `filled.info` came from this view's `get_buffer`, released once.
                    unsafe { buffer_protocol::Exporter::release_buffer(&**v, &filled.info) };
                }
            });
        }
    }

    // ----- memview's extensions -----

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

    /// `tolist` for every format (non-native byte orders, multi-item formats and records as
    /// tuples) and every dimension.
    fn to_list(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let (list, ndim) = self.live(|v, _| Ok((v.to_list().map_err(view_err)?, v.ndim())))?;
        Ok(crate::convert::to_py_nd(py, &list, ndim)?.unbind())
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
            let part = m.view(Key::one(Slice::new(Some(lo), Some(hi.max(lo)), None))).map_err(view_err)?;
            let at = part.index(&v).map_err(view_err)?;
            Ok(at.saturating_add(lo.unsigned_abs()))
        })
    }
}

/// The elements of a `cast` shape, read in order as CPython's `copy_shape` reads them:
/// each must be an `int` (TypeError), fit a C `Py_ssize_t` (OverflowError), be positive and
/// keep the byte size within `isize` (ValueError), element by element.
fn cast_shape(items: &[Bound<'_, PyAny>], format: &str) -> PyResult<Vec<i128>> {
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
fn cast_to_half(
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
fn separator(s: &Bound<'_, PyAny>) -> PyResult<char> {
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

/// `memory_richcompare`: `None` for `NotImplemented`.
fn equal(slf: &Bound<'_, PyMemoryView>, other: &Bound<'_, PyAny>) -> PyResult<Option<bool>> {
    let this = slf.get();
    if slf.is(other) {
        // `memory_richcompare`: identity answers only for a released view; a live one
        // compares its items with themselves (a NaN is unequal to itself, a format the
        // struct module cannot unpack compares unequal).
        let r = this
            .member
            .with(|state, _| match state {
                // Deliberately the view with itself: NaN items make it unequal.
                #[allow(clippy::eq_op)]
                Some(State::Live(v)) => **v == **v,
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
        let r = this
            .member
            .with_pair(&o.get().member, |a, b| match (a, b) {
                (Some(State::Live(x)), Some(State::Live(y))) => **x == **y,
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
