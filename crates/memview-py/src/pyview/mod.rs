//! `memview.memoryview`: the builtin's API with its exact results and exceptions, over
//! memview's core, plus memview's extensions (NumPy-style N-D keys where CPython refuses a
//! mixed key, `nd[...]`, transposes, record fields, `to_list` of every format).
//!
//! This module holds the type, its family plumbing and its life (`__new__`, `release`, the
//! context manager); each concern of its Python API has a submodule with its own
//! `#[pymethods]` block, as the core's `view/` is split.

use crate::convert::{as_ssize, check_buffer, exc, is_index, item_of, owned, to_py, value_of, view_err, Given};
use crate::family::{Busy, FamilyValue, Guarded, Held, Member};
use crate::hot::Hot;
use crate::import::{ManagedBuffer, PyManagedBuffer, RawImport};
use crate::span::Span;
use buffer_protocol::{BufferInfo, Flags};
use memview::{Index, Key, LayoutError, MemoryView, Order, PyExc, Slice, Subscript, ViewError};
use pyo3::exceptions::{PyBufferError, PyIndexError, PyNotImplementedError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyEllipsis, PyList, PySlice, PyString, PyTuple};
use pyo3::{ffi, PyTraverseError, PyVisit};
use std::sync::atomic::{AtomicI64, Ordering};

mod attributes;
mod compare;
mod detached;
mod extensions;
mod output;
mod protocol;
mod sequence;

use self::detached::*;
pub use self::extensions::NdIndexer;
pub use self::sequence::MemoryIter;
use self::sequence::*;

/// What keeps a view's import exported (CPython's managed buffer).
pub(crate) enum Anchor {
    /// No import: a view of Rust memory, or a released view.
    None,
    /// An import this view alone holds (its core view is lent the run; see
    /// `RawImport::lent_view`), released with the view: the view's own `Py_buffer`. Moved into a managed-buffer object
    /// when a second view of it is made ([`PyMemoryView::shared_anchor`]).
    Own(RawImport),
    /// An import views share.
    Shared(Py<PyManagedBuffer>),
}

/// The state Python keeps: a live view, or the released object.
pub(crate) enum State {
    /// Boxed: the Python object is allocated zeroed and its value moved in, so every byte
    /// inline costs on every view made; a view of a span (`Pending`) never makes a core view.
    Live(Box<MemoryView<'static>>),
    /// Live, with its core view not made yet: the object's span describes it, and
    /// [`PyMemoryView::live`] makes it when a call first needs it (only objects with a span
    /// are made pending).
    Pending,
    /// Released; with the format when `adjust_fmt` refuses it (CPython keeps `view.format`
    /// after release, and iteration reads it before it notices the release).
    Released(Option<Box<str>>),
}

/// Objects allocated with their value in place, and a view with no core view freed by
/// `crate::lifecycle` (see there).
impl crate::lifecycle::Freed for PyMemoryView {
    fn layout() -> &'static std::sync::OnceLock<crate::lifecycle::Layout> {
        static LAYOUT: std::sync::OnceLock<crate::lifecycle::Layout> = std::sync::OnceLock::new();
        &LAYOUT
    }

    fn made_by_pyo3(self, py: Python<'_>) -> PyResult<Py<PyMemoryView>> {
        Py::new(py, self)
    }

    /// Gives back the exporting object and the import of a view that holds no core view (a
    /// view of a span, or a released view); what is left of it holds no reference. A view
    /// with a core view is left whole: its drop goes through the family's lock, and a core
    /// view may hold references of its own.
    fn give_back(&mut self, py: Python<'_>) -> bool {
        if self.member.shares() {
            return false;
        }
        if let Some(obj) = self.obj.take() {
            crate::lifecycle::give_back(py, obj);
        }
        match std::mem::replace(self.mbuf.get_mut(), Anchor::None) {
            Anchor::None => {}
            Anchor::Own(raw) => raw.release(py),
            Anchor::Shared(mbuf) => crate::lifecycle::give_back(py, mbuf),
        }
        true
    }
}

impl FamilyValue for State {
    /// Only a core view shares counts (its acquisition's) with other views.
    fn shares(&self) -> bool {
        matches!(self, State::Live(_))
    }
}

/// The address of a field of the value at `at` (`offset` from its start, the field `project`
/// names, which gives the field's type), computed without reading anything.
#[inline(always)]
fn field_at<T, F>(at: *mut T, offset: usize, _project: fn(&T) -> &F) -> *mut F {
    at.cast::<u8>().wrapping_add(offset).cast::<F>()
}

fn released() -> PyErr {
    PyValueError::new_err("operation forbidden on released memoryview object")
}

fn busy(_: Busy) -> PyErr {
    PyRuntimeError::new_err("memoryview is in use by this thread (re-entered from a callback)")
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
    mbuf: Guarded<Anchor>,
    /// The hash, once computed (kept after release, as CPython keeps it); -1 for none.
    hash: AtomicI64,
    /// `len(m)`, and the layout `m[i]`, `m[i, j]` and `m[i] = v` of numbers use without the
    /// family's lock (see `crate::hot`): a view's layout never changes, and `release` clears
    /// it before the core view goes.
    pub(crate) hot: Hot,
    /// The number of dimensions, kept after release as CPython's `view.ndim` is (iteration
    /// checks it before anything else).
    ndim: u8,
    /// For a 1-D view of an imported run of native numbers, the view as numbers
    /// (`crate::span`): its core view is made from it when first needed, and its plain
    /// slices are made from it with no core view. The run lies in the import `mbuf` holds.
    span: Option<Span>,
}

impl PyMemoryView {
    /// A new Python view, the first of its family.
    pub(crate) fn from_core(view: MemoryView<'static>, obj: Option<Py<PyAny>>) -> PyMemoryView {
        PyMemoryView {
            hot: Hot::of(&view),
            ndim: u8::try_from(view.ndim()).unwrap_or(u8::MAX),
            member: Member::new(State::Live(Box::new(view))),
            obj,
            mbuf: Guarded::new(Anchor::None),
            hash: AtomicI64::new(-1),
            span: None,
        }
    }

    /// A new Python view of an imported buffer, the first of its family.
    /// Made straight into the object (a value returned first would be moved once more).
    fn of_import(py: Python<'_>, raw: RawImport, flags: Option<Flags>) -> PyResult<Py<PyMemoryView>> {
        let obj = raw.obj(py).map(|o| owned(&o)).transpose()?;
        let request = flags.unwrap_or(Flags::FULL_RO);
        // A run of native numbers: the object holds the import and its span, no core view yet.
        if let Some(span) = raw.span(request) {
            return PyMemoryView::new_pending(py, span, obj, Anchor::Own(raw));
        }
        // SAFETY: the view goes into the family of the returned object, which holds `raw`
        // (inline, or moved into a managed-buffer object, declared after the family's views
        // and so dropped after them); views derived from it stay in the family and their
        // objects hold the managed-buffer object (`sibling`).
        let (view, mbuf) = match unsafe { raw.lent_view(request) } {
            Some(view) => (view?, Anchor::Own(raw)),
            None => {
                let mbuf = PyManagedBuffer::of(py, ManagedBuffer::of_raw(raw)?)?;
                // SAFETY: as for `lent_view` above, for the object that now holds the buffer.
                let exporter = unsafe { PyManagedBuffer::exporter(&mbuf) }
                    .ok_or_else(|| PyBufferError::new_err("the imported buffer is gone"))?;
                (MemoryView::with_flags(exporter, request).map_err(view_err)?, Anchor::Shared(mbuf))
            }
        };
        crate::lifecycle::new_object(
            py,
            PyMemoryView {
                hot: Hot::of(&view),
                ndim: u8::try_from(view.ndim()).unwrap_or(u8::MAX),
                member: Member::new(State::Live(Box::new(view))),
                obj,
                mbuf: Guarded::new(mbuf),
                hash: AtomicI64::new(-1),
                span: None,
            },
        )
    }

    /// A new Python view of a family, for a view made under `held` from one of its values.
    pub(crate) fn in_family(held: &Held<'_>, view: MemoryView<'static>, obj: Option<Py<PyAny>>) -> PyMemoryView {
        PyMemoryView {
            hot: Hot::of(&view),
            ndim: u8::try_from(view.ndim()).unwrap_or(u8::MAX),
            member: Member::<State>::sibling(held, State::Live(Box::new(view))),
            obj,
            mbuf: Guarded::new(Anchor::None),
            hash: AtomicI64::new(-1),
            span: None,
        }
    }

    /// A new Python view of this view's family, for a view made under `held`; `mbuf` is
    /// this view's [`shared_anchor`](Self::shared_anchor), taken before the lock.
    #[inline]
    fn sibling(
        &self,
        py: Python<'_>,
        held: &Held<'_>,
        view: MemoryView<'static>,
        mbuf: Option<Py<PyManagedBuffer>>,
    ) -> PyMemoryView {
        PyMemoryView {
            hot: Hot::of(&view),
            ndim: u8::try_from(view.ndim()).unwrap_or(u8::MAX),
            member: Member::<State>::sibling(held, State::Live(Box::new(view))),
            obj: self.obj.as_ref().map(|o| o.clone_ref(py)),
            mbuf: Guarded::new(mbuf.map_or(Anchor::None, Anchor::Shared)),
            hash: AtomicI64::new(-1),
            span: None,
        }
    }

    /// A new pending Python view of `span`, a span of this view's run (`m[a:b:c]`,
    /// `memoryview(m)`), holding this view's import: no core view is made. It starts a
    /// family of its own: its core view, when made, is made from the span (a lent run of the
    /// import), not from any value of this view's family, so it shares no count with them.
    /// `ValueError` if this view is released.
    #[inline(always)]
    pub(super) fn span_sibling(&self, py: Python<'_>, span: Span) -> PyResult<Py<PyMemoryView>> {
        // Outside the lock: sharing the import may make its managed-buffer object.
        let mbuf = self.shared_anchor(py)?;
        let live = self
            .member
            .with_attached(py, |state, _| matches!(state, Some(State::Live(_) | State::Pending)))
            .map_err(busy)?;
        if !live {
            return Err(released());
        }
        // A live view with a span holds the import its run lies in.
        let mbuf = mbuf.ok_or_else(released)?;
        let obj = self.obj.as_ref().map(|o| o.clone_ref(py));
        // Made straight into the object (the value is not returned first: one move fewer).
        PyMemoryView::new_pending(py, span, obj, Anchor::Shared(mbuf))
    }

    /// A released view holding nothing: what `crate::lifecycle` makes to see where PyO3
    /// puts a value in its object.
    pub(crate) fn probe() -> PyMemoryView {
        PyMemoryView {
            hot: Hot::released(),
            ndim: 0,
            member: Member::new(State::Released(None)),
            obj: None,
            mbuf: Guarded::new(Anchor::None),
            hash: AtomicI64::new(-1),
            span: None,
        }
    }

    /// A new Python view of `span`, its core view not made yet (`State::Pending`), holding
    /// the import its run lies in (`anchor`): the first of a family of its own. Written
    /// field by field into the new object (`crate::lifecycle`): a value built first and
    /// moved in costs a copy of its 216 bytes, with store-forwarding stalls.
    #[inline(always)]
    fn new_pending(py: Python<'_>, span: Span, obj: Option<Py<PyAny>>, anchor: Anchor) -> PyResult<Py<PyMemoryView>> {
        let init = move |at| {
            // SAFETY: `at` is valid for writes of a whole value, aligned and uninitialised
            // (`new_object_in_place`'s promise to its `init`), as `write_pending` requires.
            unsafe { PyMemoryView::write_pending(at, span, obj, anchor) }
        };
        // SAFETY: `init` writes every field of the value (`write_pending`, whose exhaustive
        // pattern keeps it so) and runs no Python code (`Span::hot` and the constructors only
        // compute).
        unsafe { crate::lifecycle::new_object_in_place(py, init) }
    }

    /// Writes a pending view of `span` at `at`, field by field (inlined into its caller, so
    /// that the span's fields go from registers to the object, with no copy in between).
    ///
    /// # Safety
    ///
    /// `at` is valid for writes of a whole value, aligned and uninitialised.
    #[inline(always)]
    unsafe fn write_pending(at: *mut PyMemoryView, span: Span, obj: Option<Py<PyAny>>, anchor: Anchor) {
        // Every field is written below: a field added to the struct fails to compile here.
        let _every_field = |v: &PyMemoryView| {
            let PyMemoryView { member: _, obj: _, mbuf: _, hash: _, hot: _, ndim: _, span: _ } = v;
        };
        /// Field `$f` of the value at `at`, written once: `at` is valid for writes of a
        /// whole value, aligned and uninitialised (the function's promise), so the field's
        /// address is too; nothing is read or dropped.
        macro_rules! write {
            ($f:ident, $v:expr) => {{
                let field = field_at(at, std::mem::offset_of!(PyMemoryView, $f), |v| &v.$f);
                // SAFETY: see the macro's documentation.
                unsafe { field.write($v) }
            }};
        }
        write!(hot, span.hot());
        write!(ndim, 1);
        write!(member, Member::new(State::Pending));
        write!(obj, obj);
        write!(mbuf, Guarded::new(anchor));
        write!(hash, AtomicI64::new(-1));
        write!(span, Some(span));
    }

    /// Makes the core view of a pending view from its span, under the family's lock that
    /// lends `state`.
    fn settle(&self, state: &mut Option<State>) -> PyResult<()> {
        if let (Some(State::Pending), Some(span)) = (&*state, &self.span) {
            // SAFETY: the span's run lies in the import this object holds (`mbuf`: its own
            // `Py_buffer`, or a managed-buffer object), released only after the core view is
            // dropped: `mbuf` is declared after `member` (so dropped after it), and `release`
            // takes it only after the core view is gone; views derived from the core view stay
            // in this family, and their objects hold the same import (`sibling`).
            let view = unsafe { span.view() }.map_err(view_err)?;
            *state = Some(State::Live(Box::new(view)));
        }
        Ok(())
    }

    /// Makes the core view of this view if it is pending (for the code that reads the state
    /// itself); a released view stays released.
    pub(super) fn settled(&self) -> PyResult<()> {
        self.member.with(|state, _| self.settle(state)).map_err(busy)?
    }

    /// Drops the core view (`BufferError` while exported), keeping the released state.
    fn release_core(&self) -> PyResult<()> {
        self.member
            .with(|state, _| match state.take() {
                Some(State::Live(v)) => {
                    let unsupported = adjust_fmt(v.format()).is_err().then(|| Box::from(v.format()));
                    match v.release() {
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
                Some(State::Pending) => {
                    let unsupported =
                        self.span.and_then(|s| adjust_fmt(s.format()).is_err().then(|| Box::from(s.format())));
                    *state = Some(State::Released(unsupported));
                    Ok(())
                }
                other => {
                    *state = other.or(Some(State::Released(None)));
                    Ok(())
                }
            })
            .map_err(busy)?
    }

    /// A new reference to the managed-buffer object of an imported view, for a view derived
    /// from it (`None` for Rust exports and released views). An import this view holds
    /// alone moves into a new managed-buffer object first. Called outside the family's lock:
    /// making the object may run the collector, and so Python code.
    fn shared_anchor(&self, py: Python<'_>) -> PyResult<Option<Py<PyManagedBuffer>>> {
        let first = self.mbuf.with(py, |anchor| match anchor {
            Anchor::None => Some(None),
            Anchor::Shared(m) => Some(Some(m.clone_ref(py))),
            Anchor::Own(_) => None,
        });
        if let Some(found) = first.ok_or(Busy).map_err(busy)? {
            return Ok(found);
        }
        // The object is made empty, with nothing held, and the buffer moved in after: a
        // failed allocation leaves the buffer with this view, whose core view still uses it.
        let made = PyManagedBuffer::empty(py)?;
        self.mbuf
            .with(py, |anchor| match std::mem::replace(anchor, Anchor::None) {
                Anchor::Own(raw) => {
                    if let Err(raw) = made.get().fill(raw) {
                        // Cannot happen (the object was made empty); the buffer stays inline.
                        *anchor = Anchor::Own(raw);
                        return Err(PyBufferError::new_err("the imported buffer could not be shared"));
                    }
                    *anchor = Anchor::Shared(made.clone_ref(py));
                    Ok(Some(made))
                }
                // Another call shared it meanwhile (the collector ran Python code), or
                // released the view: the empty object goes, with nothing in it.
                Anchor::Shared(m) => {
                    let shared = m.clone_ref(py);
                    *anchor = Anchor::Shared(m);
                    Ok(Some(shared))
                }
                Anchor::None => Ok(None),
            })
            .ok_or(Busy)
            .map_err(busy)?
    }

    /// Runs `f` on the live view, under the family's lock; `ValueError` once released.
    pub(crate) fn live<R>(&self, f: impl FnOnce(&MemoryView<'static>, &Held<'_>) -> PyResult<R>) -> PyResult<R> {
        self.member
            .with(|state, held| {
                self.settle(state)?;
                match state {
                    Some(State::Live(v)) => f(v, held),
                    _ => Err(released()),
                }
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
            .with_attached(py, |state, held| {
                self.settle(state)?;
                match state {
                    Some(State::Live(v)) => f(v, held),
                    _ => Err(released()),
                }
            })
            .map_err(busy)?
    }

    /// Derives a new Python view of the same family.
    #[inline]
    fn derive(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&MemoryView<'static>) -> Result<MemoryView<'static>, ViewError>,
    ) -> PyResult<PyMemoryView> {
        let mbuf = self.shared_anchor(py)?;
        self.live_in(py, |v, held| {
            let w = f(v).map_err(view_err)?;
            Ok(self.sibling(py, held, w, mbuf))
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
        let mbuf = this.shared_anchor(py)?;
        let got = this.live(|v, held| match v.subscript(key).map_err(view_err)? {
            Subscript::Item(x) => Ok(Got::Item(x)),
            Subscript::View(w) => Ok(Got::View(Box::new(this.sibling(py, held, *w, mbuf)))),
        })?;
        match got {
            Got::Item(x) => Ok(to_py(py, &x, true)?.unbind()),
            Got::View(w) => Ok(crate::lifecycle::new_object(py, *w)?.into_any()),
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

impl crate::family::Locked for PyMemoryView {
    fn locked<R>(&self, py: Python<'_>, f: impl FnOnce(&MemoryView<'static>) -> PyResult<R>) -> PyResult<R> {
        self.live_in(py, |v, _| f(v))
    }
}

/// A temporary view of any Python buffer (`PyBUF_FULL_RO`), outside every family: used only
/// within one call, on one thread, and dropped there.
fn import_view(obj: &Bound<'_, PyAny>) -> PyResult<MemoryView<'static>> {
    crate::import::owned_view(obj, Flags::FULL_RO)
}

/// `memoryview(obj)`: a sibling of a memview view, or a new import.
pub(crate) fn make_view(obj: &Bound<'_, PyAny>) -> PyResult<Py<PyMemoryView>> {
    let py = obj.py();
    if let Ok(m) = obj.cast::<PyMemoryView>() {
        let m = m.get();
        if let Some(span) = m.span {
            return m.span_sibling(py, span);
        }
        return crate::lifecycle::new_object(py, m.derive(py, |v| Ok(v.clone()))?);
    }
    if !check_buffer(obj) {
        // Not a buffer, but an Arrow array (the Arrow PyCapsule interface): its values.
        if obj.hasattr(pyo3::intern!(py, "__arrow_c_array__"))? {
            return crate::lifecycle::new_object(
                py,
                PyMemoryView::from_core(crate::arrow::import(obj)?, Some(obj.clone().unbind())),
            );
        }
        return Err(PyTypeError::new_err(format!(
            "memoryview: a bytes-like object is required, not '{}'",
            obj.get_type().name()?
        )));
    }
    PyMemoryView::of_import(py, RawImport::acquire(obj, Flags::FULL_RO)?, None)
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
    fn py_new(object: &Bound<'_, PyAny>) -> PyResult<Py<PyMemoryView>> {
        make_view(object)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.obj)?;
        // Never blocks: taken only for a moment, never across Python code.
        self.mbuf
            .try_with(&visit, |mbuf| match mbuf {
                Anchor::None => Ok(()),
                Anchor::Own(raw) => raw.traverse(&visit),
                Anchor::Shared(m) => visit.call(m),
            })
            .unwrap_or(Ok(()))
    }

    /// Release the view: afterwards every use of it raises `ValueError`, and the exporter
    /// may resize or free its memory again. Raises `BufferError` while a buffer exported
    /// from this view (to NumPy, another view, ...) is still held. Releasing twice does
    /// nothing.
    fn release(&self, py: Python<'_>) -> PyResult<()> {
        // The hot layout goes first: nothing reads memory through it from here on.
        let len = self.hot.clear();
        if let Err(e) = self.release_core() {
            self.hot.restore(len);
            return Err(e);
        }
        // The core view is gone: the managed buffer may go too (and with the last view of it,
        // the exporter's buffer), outside the family's lock.
        let mbuf = self.mbuf.with(py, |anchor| std::mem::replace(anchor, Anchor::None)).ok_or(Busy).map_err(busy)?;
        drop(mbuf);
        Ok(())
    }

    /// Enter a `with` block: the view itself, released when the block ends.
    fn __enter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        if !slf.get().hot.live() {
            slf.get().live(|_, _| Ok(()))?; // released: the locked path raises CPython's error
        }
        Ok(slf)
    }

    /// Release the view at the end of a `with` block.
    // Any number of positional arguments, as CPython's: the three a `with` block passes are
    // named (PyO3 then gathers no tuple for them), the rest gathered.
    #[pyo3(
        text_signature = "($self, /, *exc_info)",
        signature = (_exc_type = None, _exc_value = None, _traceback = None, /, *_rest)
    )]
    fn __exit__(
        &self,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc_value: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
        _rest: &Bound<'_, PyTuple>,
        py: Python<'_>,
    ) -> PyResult<()> {
        self.release(py)
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

    /// A view of `object`'s buffer requested with exactly the `PyBUF_*` `flags` (CPython
    /// 3.12's `memoryview._from_flags`); the exporter's `BufferError` if it refuses them.
    #[classmethod]
    fn _from_flags(
        _cls: &Bound<'_, pyo3::types::PyType>,
        object: &Bound<'_, PyAny>,
        flags: i32,
    ) -> PyResult<Py<PyMemoryView>> {
        let flags = Flags::from_bits(u32::try_from(flags).map_err(|_| PyValueError::new_err("invalid flags"))?);
        PyMemoryView::of_import(object.py(), RawImport::acquire(object, flags)?, Some(flags))
    }
}
#[cfg(test)]
mod tests {
    /// Every byte of the object is zeroed and then moved into place on every view made
    /// (`m[a:b:c]`, `memoryview(x)`): the core view is boxed and spans stay small.
    #[test]
    fn the_object_stays_small() {
        use std::mem::size_of;
        assert!(size_of::<super::State>() <= 24, "{}", size_of::<super::State>());
        assert!(size_of::<super::PyMemoryView>() <= 216, "{}", size_of::<super::PyMemoryView>());
    }
}
