//! Python buffers as Rust exporters: `PyObject_GetBuffer`, the trust boundary, and the one
//! `PyBuffer_Release`.
//!
//! A Python exporter fills a `Py_buffer`; what it says is trusted only as far as the
//! protocol promises. [`Descriptor::read`] checks everything that can be checked before a
//! view is made of it: `ndim` within `PyBUF_MAX_NDIM`, shape and strides present where
//! `ndim` needs them, an item size of at least one byte, no overflow in any extent,
//! `len == product(shape) * itemsize`, a format that is text. What cannot be checked is the
//! protocol's promise: the memory at `buf` is valid for the extent the layout reaches (and
//! writable when `readonly` is 0) until the buffer is released, and the pointers of a PIL
//! layout point at such memory. From there on memview's layout proof takes over: no access
//! ever leaves the extent read here.

use buffer_protocol::{BufferError, BufferInfo, Exporter, Flags};
use memview::MemoryView;
use pyo3::exceptions::PyBufferError;
use pyo3::ffi;
use pyo3::prelude::*;
use smallvec::SmallVec;
use std::borrow::Cow;
use std::ffi::CStr;
use std::ptr::NonNull;
use strided::StridedLayout;

/// `PyBUF_MAX_NDIM`.
const MAX_NDIM: usize = 64;

/// What a `Py_buffer` says, checked: the memory block the layout reaches, the layout within
/// it, the format, and whether it may be written.
#[derive(Debug, Clone)]
pub(crate) struct Descriptor {
    region: NonNull<u8>,
    region_len: usize,
    layout: StridedLayout,
    format: Cow<'static, str>,
    readonly: bool,
}

fn refuse(why: String) -> PyErr {
    PyBufferError::new_err(format!("the exporter's buffer is inconsistent: {why}"))
}

/// Reads `n` `Py_ssize_t`s at `p`.
///
/// # Safety
/// `p` is null or points at `n` readable `Py_ssize_t`s.
unsafe fn ssizes<'b>(p: *const ffi::Py_ssize_t, n: usize) -> Option<&'b [isize]> {
    if p.is_null() {
        None
    } else {
        // SAFETY: the caller's promise; `Py_ssize_t` is `isize`.
        Some(unsafe { std::slice::from_raw_parts(p, n) })
    }
}

/// The codes of [`COMMON_FORMATS`], in its order.
const CODES: &[u8; 18] = b"cbB?hHiIlLqQnNefdP";

/// The formats exporters commonly give (a native code alone or after one of `@<>=!`), in
/// the order of the prefixes `"", "@", "<", ">", "=", "!"` then of [`CODES`], so that a
/// descriptor of one is made without an allocation.
const COMMON_FORMATS: &[&str; 108] = &[
    "c", "b", "B", "?", "h", "H", "i", "I", "l", "L", "q", "Q", "n", "N", "e", "f", "d", "P", "@c", "@b", "@B", "@?",
    "@h", "@H", "@i", "@I", "@l", "@L", "@q", "@Q", "@n", "@N", "@e", "@f", "@d", "@P", "<c", "<b", "<B", "<?", "<h",
    "<H", "<i", "<I", "<l", "<L", "<q", "<Q", "<n", "<N", "<e", "<f", "<d", "<P", ">c", ">b", ">B", ">?", ">h", ">H",
    ">i", ">I", ">l", ">L", ">q", ">Q", ">n", ">N", ">e", ">f", ">d", ">P", "=c", "=b", "=B", "=?", "=h", "=H", "=i",
    "=I", "=l", "=L", "=q", "=Q", "=n", "=N", "=e", "=f", "=d", "=P", "!c", "!b", "!B", "!?", "!h", "!H", "!i", "!I",
    "!l", "!L", "!q", "!Q", "!n", "!N", "!e", "!f", "!d", "!P",
];

fn format_text(text: &str) -> Cow<'static, str> {
    match format_text_of(text.as_bytes()) {
        Some(f) => Cow::Borrowed(f),
        None => Cow::Owned(text.to_owned()),
    }
}

/// For each byte, its place in [`CODES`], or `u8::MAX` for a byte that is not a code.
const CODE_SLOT: [u8; 256] = slots(CODES);
/// For each byte, its place plus one in the byte-order prefixes `@<>=!`, or `u8::MAX`.
const PREFIX_SLOT: [u8; 256] = {
    let mut t = slots(b"@<>=!");
    let mut i = 0;
    while i < 256 {
        // `u8::MAX` (absent) stays.
        t[i] = t[i].saturating_add(1);
        i += 1;
    }
    t
};

/// A table from each byte to its place in `bytes` (`u8::MAX` for absent bytes).
const fn slots(bytes: &[u8]) -> [u8; 256] {
    let mut t = [u8::MAX; 256];
    let mut i = 0;
    while i < bytes.len() {
        t[bytes[i] as usize] = i as u8;
        i += 1;
    }
    t
}

/// The interned spelling of a common format, if `text` is one.
fn format_text_of(text: &[u8]) -> Option<&'static str> {
    let (group, code) = match *text {
        [c] => (0, CODE_SLOT[usize::from(c)]),
        [p, c] => (PREFIX_SLOT[usize::from(p)], CODE_SLOT[usize::from(c)]),
        _ => return None,
    };
    if group == u8::MAX || code == u8::MAX {
        return None;
    }
    COMMON_FORMATS.get(usize::from(group) * CODES.len() + usize::from(code)).copied()
}

/// A buffer's format (`"B"` when absent), checked to be UTF-8.
///
/// # Safety
/// `view.format` is null or a NUL-terminated string.
#[inline]
unsafe fn read_format(view: &ffi::Py_buffer) -> PyResult<Cow<'static, str>> {
    // SAFETY: the caller's promise.
    if let Some(f) = unsafe { short_format(view) } {
        return Ok(Cow::Borrowed(f));
    }
    // SAFETY: the caller's promise: a NUL-terminated string (not null: `short_format` answers
    // for null).
    let text = unsafe { CStr::from_ptr(view.format) };
    Ok(format_text(text.to_str().map_err(|_| refuse("a format that is not UTF-8".into()))?))
}

/// The common formats (none, one code, or a prefix and a code), interned, without measuring
/// the string; `None` for every other (read by [`read_format`]). Returned in registers:
/// a `PyResult<Cow<str>>` goes through memory, and its reader's wide loads of the narrow
/// stores that wrote it stall.
///
/// # Safety
/// As for [`read_format`].
#[inline(always)]
unsafe fn short_format(view: &ffi::Py_buffer) -> Option<&'static str> {
    if view.format.is_null() {
        return Some("B");
    }
    // Each byte is read only after the one before it was found not to be the NUL.
    let p = view.format.cast::<u8>();
    // SAFETY: the caller's promise: a NUL-terminated string, so its first byte is readable.
    let b0 = unsafe { *p };
    if b0 == 0 {
        return None;
    }
    // SAFETY: `b0` is not the NUL, so the string goes on at least to `p + 1`.
    let b1 = unsafe { *p.wrapping_add(1) };
    if b1 == 0 {
        return format_text_of(&[b0]);
    }
    // SAFETY: `b1` is not the NUL either, so the string goes on to `p + 2`.
    if unsafe { *p.wrapping_add(2) } == 0 {
        return format_text_of(&[b0, b1]);
    }
    None
}

/// The common `Py_buffer`: one dimension of adjacent items without pointers (`bytes`,
/// `bytearray`, `array`, 1-D NumPy arrays), whose extent is its `len`, so nothing is
/// collected or placed to check it.
#[derive(Debug, Clone, Copy)]
struct Run {
    region: NonNull<u8>,
    count: usize,
    itemsize: usize,
    len: usize,
    readonly: bool,
}

impl Run {
    /// The run a filled `Py_buffer` describes, if it is one; `None` for every other
    /// descriptor, and for one that fails a check (the general path of
    /// [`Descriptor::read`] gives its error).
    ///
    /// # Safety
    /// As for [`Descriptor::read`].
    #[inline]
    unsafe fn of(view: &ffi::Py_buffer) -> Option<Run> {
        if view.ndim != 1 || !view.suboffsets.is_null() {
            return None;
        }
        let itemsize = usize::try_from(view.itemsize).ok().filter(|&s| s > 0)?;
        let len = usize::try_from(view.len).ok()?;
        // SAFETY: the caller's promise: null, or `ndim` = 1 values.
        let count = match unsafe { ssizes(view.shape, 1) } {
            Some(&[d]) => usize::try_from(d).ok()?,
            _ => (len % itemsize == 0).then_some(len / itemsize)?,
        };
        // SAFETY: as for the shape.
        let adjacent = unsafe { ssizes(view.strides, 1) }.is_none_or(|s| s == [view.itemsize]);
        let fits = count.checked_mul(itemsize) == Some(len) && isize::try_from(len).is_ok();
        let region = match NonNull::new(view.buf.cast::<u8>()) {
            Some(p) => p,
            None if len == 0 => NonNull::dangling(),
            None => return None,
        };
        (adjacent && fits).then_some(Run { region, count, itemsize, len, readonly: view.readonly != 0 })
    }

    /// The run and its interned format, for a request that sees the exporter's own layout
    /// (`ND` and `FORMAT`), when the format is a common one: what a view can be lent without
    /// a descriptor ([`MemoryView::from_raw_parts`]). `None` for everything else, which takes
    /// the descriptor's path (and its errors).
    ///
    /// # Safety
    /// As for [`Descriptor::read`].
    #[inline]
    unsafe fn lent(view: &ffi::Py_buffer, flags: Flags) -> Option<(Run, &'static str)> {
        let sees_own = flags.has(Flags::ND) && flags.has(Flags::FORMAT);
        if !sees_own {
            return None;
        }
        // SAFETY: the caller's promise.
        let run = unsafe { Run::of(view) }?;
        if run.readonly && flags.has(Flags::WRITABLE) {
            return None;
        }
        // SAFETY: the caller's promise: a NUL-terminated string or null.
        if let Some(format) = unsafe { short_format(view) } {
            return Some((run, format));
        }
        // SAFETY: as above.
        match unsafe { read_format(view) } {
            Ok(Cow::Borrowed(format)) => Some((run, format)),
            _ => None,
        }
    }

    /// How views may use the run.
    fn access(&self) -> buffer_protocol::Access {
        if self.readonly {
            buffer_protocol::Access::Read
        } else {
            buffer_protocol::Access::Write
        }
    }
}

impl Descriptor {
    /// Checks a filled `Py_buffer`.
    ///
    /// # Safety
    /// `view` was filled by a successful `PyObject_GetBuffer` and not released: its
    /// `shape`, `strides` and `suboffsets` are null or point at `ndim` values, and `format`
    /// is null or a NUL-terminated string.
    pub(crate) unsafe fn read(view: &ffi::Py_buffer) -> PyResult<Descriptor> {
        // SAFETY: the caller's promise.
        if let Some(run) = unsafe { Run::of(view) } {
            let layout = StridedLayout::contiguous_1d(run.itemsize, run.count).map_err(|e| refuse(e.to_string()))?;
            // SAFETY: the caller's promise: a NUL-terminated string or null.
            let format = unsafe { read_format(view) }?;
            let Run { region, len, readonly, .. } = run;
            return Ok(Descriptor { region, region_len: len, layout, format, readonly });
        }
        let ndim = usize::try_from(view.ndim).map_err(|_| refuse(format!("ndim {}", view.ndim)))?;
        if ndim > MAX_NDIM {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "memoryview: number of dimensions must not exceed {MAX_NDIM}"
            )));
        }
        let itemsize = usize::try_from(view.itemsize).map_err(|_| refuse(format!("itemsize {}", view.itemsize)))?;
        if itemsize == 0 {
            return Err(refuse("itemsize 0".into()));
        }
        let len = usize::try_from(view.len).map_err(|_| refuse(format!("len {}", view.len)))?;
        // SAFETY: the caller's promise for the three arrays.
        let shape = unsafe { ssizes(view.shape, ndim) };
        // SAFETY: as for `shape`.
        let strides = unsafe { ssizes(view.strides, ndim) };
        // SAFETY: as for `shape`.
        let suboffsets = unsafe { ssizes(view.suboffsets, ndim) };
        let shape: SmallVec<[usize; 4]> = match shape {
            Some(s) => s
                .iter()
                .map(|&d| usize::try_from(d).map_err(|_| refuse(format!("negative extent {d}"))))
                .collect::<PyResult<_>>()?,
            // A scalar has no shape.
            None if ndim == 0 => SmallVec::new(),
            // No shape: one dimension of `len / itemsize` items (`PyBUF_SIMPLE`).
            None if ndim == 1 => {
                if len % itemsize != 0 {
                    return Err(refuse(format!("len {len} is not a multiple of itemsize {itemsize}")));
                }
                smallvec::smallvec![len / itemsize]
            }
            None => return Err(refuse(format!("ndim {ndim} without a shape"))),
        };
        let count = strided::checked_len(&shape).ok_or_else(|| refuse("the shape overflows".into()))?;
        if count.checked_mul(itemsize) != Some(len) {
            return Err(refuse(format!("len {len} is not the product of shape {shape:?} and itemsize {itemsize}")));
        }
        let strides: SmallVec<[isize; 4]> = match strides {
            Some(s) => s.iter().copied().collect(),
            None => strided::c_strides(itemsize, &shape).map_err(|e| refuse(e.to_string()))?.iter().copied().collect(),
        };
        // The layout at `buf`, and the block its direct part reaches (strided's own extent:
        // a PIL layout's direct part ends at the pointer table it reads); then the same
        // layout placed in that block.
        let place = |offset: isize| -> PyResult<StridedLayout> {
            let l = StridedLayout::new(itemsize, &shape, &strides, offset).map_err(|e| refuse(e.to_string()))?;
            match suboffsets {
                Some(sub) => l.with_suboffsets(sub).map_err(|e| refuse(e.to_string())),
                None => Ok(l),
            }
        };
        let at_zero = place(0)?;
        let (lo, hi) = at_zero.extent().map_err(|e| refuse(e.to_string()))?.unwrap_or_default();
        let region_len = usize::try_from(hi.wrapping_sub(lo)).map_err(|_| refuse("negative extent".into()))?;
        let layout = at_zero
            .with_offset(lo.checked_neg().ok_or_else(|| refuse("extent overflows".into()))?)
            .map_err(|e| refuse(e.to_string()))?;
        let buf = view.buf.cast::<u8>();
        let region = if region_len == 0 {
            NonNull::new(buf).unwrap_or(NonNull::dangling())
        } else {
            // `buf + lo` is the lowest byte the layout reaches; the exporter promises it is
            // inside its memory, so the address computation stays in one allocation.
            NonNull::new(buf.wrapping_offset(lo)).ok_or_else(|| refuse("a null buffer".into()))?
        };
        // SAFETY: the caller's promise: a NUL-terminated string or null.
        let format = unsafe { read_format(view) }?;
        Ok(Descriptor { region, region_len, layout, format, readonly: view.readonly != 0 })
    }

    /// The descriptor for a request, checked against the region as every descriptor is.
    ///
    /// # Safety
    /// The memory the descriptor was read from is still exported (not released).
    pub(crate) unsafe fn info(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        // SAFETY: the exporter's promise, read in `read`, holds while the buffer is exported
        // (the caller's promise); the direct part is checked against the region by `new`.
        unsafe {
            BufferInfo::new(
                self.region,
                self.region_len,
                self.layout.clone(),
                self.format.clone(),
                self.readonly,
                flags,
            )
        }
    }
}

/// A boxed, zeroed `Py_buffer` to fill: an exporter that leaves a field unset leaves it null
/// or 0, never stale memory.
fn zeroed_buffer() -> Box<std::mem::MaybeUninit<ffi::Py_buffer>> {
    let mut view = Box::<ffi::Py_buffer>::new_uninit();
    // Zeroed with plain stores of a zeroed value: `Box::new(MaybeUninit::zeroed())` becomes
    // a `calloc`, which costs more than the stores for 80 bytes.
    view.write(ZEROED_BUFFER);
    view
}

/// An all-zero `Py_buffer` (null pointers, zero sizes).
// SAFETY: `Py_buffer` is a C struct of pointers and integers, for which all-zero bytes are
// valid values (null pointers and zeros).
const ZEROED_BUFFER: ffi::Py_buffer = unsafe { std::mem::MaybeUninit::zeroed().assume_init() };

/// A filled `Py_buffer`, released exactly once, when this is dropped (with the interpreter
/// attached). It lives in a block of CPython's allocator (for a block this small much
/// cheaper than the system allocator), so its address is the one `PyObject_GetBuffer`
/// filled, to the release; the block is freed right after the release.
pub(crate) struct RawImport {
    view: BufferBlock,
}

/// The block a [`RawImport`] lives in: the count of the core views that keep it (when the
/// buffer is one run they view directly, `RawImport::into_owned_view`), then the
/// `Py_buffer`. One allocation per import: the views count in the block itself, with no
/// `Rc` of their own.
#[repr(C)]
struct ImportBlock {
    /// First, so that a pointer to the head is a pointer to the block.
    head: memview::CountedHead,
    view: ffi::Py_buffer,
}

/// A live block, its `Py_buffer` filled, from `RawImport::acquire` to the release and free
/// by the owner (a `RawImport`'s drop, or the last core view's `free_import`); this type
/// frees nothing by itself.
struct BufferBlock(std::ptr::NonNull<ImportBlock>);

/// The address of a block's `Py_buffer`, reached without a reference to the block (whose
/// head the views change through their own pointer).
fn buffer_of(block: std::ptr::NonNull<ImportBlock>) -> *mut ffi::Py_buffer {
    // SAFETY: a projection to a field of a block allocated for an `ImportBlock` (its callers
    // pass only such blocks): in bounds, and nothing is read.
    unsafe { std::ptr::addr_of_mut!((*block.as_ptr()).view) }
}

impl std::ops::Deref for BufferBlock {
    type Target = ffi::Py_buffer;
    fn deref(&self) -> &ffi::Py_buffer {
        // SAFETY: a live block holding a filled `Py_buffer` (see the type), never written
        // after the fill but by the release, which takes the owner's `&mut`. Only the
        // `Py_buffer` field is borrowed, never the head, which views change.
        unsafe { &*buffer_of(self.0) }
    }
}

impl std::ops::DerefMut for BufferBlock {
    fn deref_mut(&mut self) -> &mut ffi::Py_buffer {
        // SAFETY: as for `deref`, with the owner's exclusive borrow.
        unsafe { &mut *buffer_of(self.0) }
    }
}

/// The `free` of an import block whose last core view goes: releases the buffer (with the
/// interpreter attached) and frees the block.
///
/// # Safety
/// `head` is the head of a live `ImportBlock` whose `Py_buffer` is filled and whose views
/// are all gone (the promise `CountedHead`'s `free` is called with).
unsafe fn free_import(head: std::ptr::NonNull<memview::CountedHead>) {
    let mut import = RawImport { view: BufferBlock(head.cast::<ImportBlock>()) };
    Python::attach(|_| import.free());
    std::mem::forget(import);
}

// SAFETY: the `Py_buffer` is only read after it is filled, never changed, and released in
// `Drop` with the interpreter attached, from whichever thread drops it (CPython allows that).
// What other threads do to the bytes themselves is the buffer protocol's contract with the
// exporter, as for every consumer.
unsafe impl Send for RawImport {}
// SAFETY: as for `Send`: `&RawImport` reads fields that never change.
unsafe impl Sync for RawImport {}

impl RawImport {
    /// Imports `obj`'s buffer with `flags`, released when the result is dropped.
    pub(crate) fn acquire(obj: &Bound<'_, PyAny>, flags: Flags) -> PyResult<RawImport> {
        let bits = std::ffi::c_int::try_from(flags.bits()).map_err(|_| PyBufferError::new_err("invalid flags"))?;
        // SAFETY: the GIL is held (`Bound`); a block for an `ImportBlock`, or null.
        let block = unsafe { ffi::PyMem_Malloc(std::mem::size_of::<ImportBlock>()) };
        let block = std::ptr::NonNull::new(block.cast::<ImportBlock>())
            .ok_or_else(|| pyo3::exceptions::PyMemoryError::new_err(()))?;
        // SAFETY: `block` is writable memory for an `ImportBlock`, aligned (CPython's
        // allocator aligns every block for any C type, and the block holds only pointers and
        // integers). The `Py_buffer` is zeroed: an exporter that leaves a field unset leaves
        // it null or 0, never stale memory.
        unsafe {
            block.as_ptr().write(ImportBlock { head: memview::CountedHead::new(free_import), view: ZEROED_BUFFER })
        };
        // SAFETY: the `Py_buffer` field of the block just written: writable memory for one
        // `Py_buffer`, reached without a reference; `obj` is a live object and the GIL is held.
        let rc = unsafe { ffi::PyObject_GetBuffer(obj.as_ptr(), buffer_of(block), bits) };
        if rc != 0 {
            // SAFETY: the block from `PyMem_Malloc` above, unfilled and not used again; the
            // GIL is held.
            unsafe { ffi::PyMem_Free(block.as_ptr().cast()) };
            return Err(PyErr::fetch(obj.py()));
        }
        Ok(RawImport { view: BufferBlock(block) })
    }

    /// A core view of this buffer, lent its run (no descriptor, no acquisition), when the
    /// buffer is one run of a common format and the request sees it as it is; `None`
    /// otherwise (make a [`ManagedBuffer`] of it).
    ///
    /// # Safety
    /// Every core view made of the result is dropped before `self` is (moving `self` moves
    /// neither the `Py_buffer` nor the memory it describes).
    pub(crate) unsafe fn lent_view(&self, flags: Flags) -> Option<PyResult<MemoryView<'static>>> {
        // SAFETY: filled by a successful `PyObject_GetBuffer`, released only when `self` is
        // dropped.
        let (run, format) = unsafe { Run::lent(&self.view, flags) }?;
        // SAFETY: the exporter's promise for a filled buffer: `region` is valid for the run's
        // `len` bytes (writable unless read-only) until the release, which comes after every
        // view made of the result (the caller's promise); nothing but views of the buffer
        // writes it meanwhile (the buffer protocol's contract with every consumer).
        let view =
            unsafe { MemoryView::from_raw_parts(run.region.as_ptr(), run.count, run.itemsize, format, run.access()) };
        Some(view.map_err(crate::convert::view_err))
    }

    /// The span of this buffer's run (see `crate::span`), when the request sees the
    /// exporter's own layout and the run is one of native numbers: what a Python view of the
    /// import keeps instead of a core view until a call needs one. `None` otherwise.
    pub(crate) fn span(&self, flags: Flags) -> Option<crate::span::Span> {
        // SAFETY: filled by a successful `PyObject_GetBuffer`, released only when `self` is
        // dropped.
        let (run, format) = unsafe { Run::lent(&self.view, flags) }?;
        crate::span::Span::run(run.region, run.count, run.itemsize, format, run.readonly)
    }

    /// A view of this buffer that owns it, lent its run as [`lent_view`](Self::lent_view)
    /// is: the buffer is released when the last view derived from it goes. `Err(self)` when
    /// the buffer is not such a run.
    pub(crate) fn into_owned_view(self, flags: Flags) -> Result<PyResult<MemoryView<'static>>, RawImport> {
        // SAFETY: filled by a successful `PyObject_GetBuffer`, released only when `self` is
        // dropped.
        let Some((run, format)) = (unsafe { Run::lent(&self.view, flags) }) else {
            return Err(self);
        };
        // The views own the block from here: the last of them releases and frees it
        // (`free_import`), and `self` must not.
        let head = std::mem::ManuallyDrop::new(self).view.0.cast::<memview::CountedHead>();
        // SAFETY: `head` starts a live block (`ImportBlock` is `repr(C)`, the head first)
        // whose head holds the one reference `CountedHead::new` made, handed over here; the
        // block stays live and unmoved, its head reached only by the views, until
        // `free_import`, which may then be called with `head` (all views gone). As in
        // `lent_view`, the run is valid for its bytes (writable unless read-only) until the
        // release, which `free_import` makes after the last view; nothing but views of the
        // buffer writes it meanwhile (the buffer protocol's contract with every consumer).
        let view = unsafe {
            MemoryView::from_counted_raw_parts(head, run.region.as_ptr(), run.count, run.itemsize, format, run.access())
        };
        Ok(view.map_err(crate::convert::view_err))
    }

    /// Visits the exporting object, a strong reference the buffer holds until its release.
    pub(crate) fn traverse(&self, visit: &pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        if self.view.obj.is_null() {
            return Ok(());
        }
        // SAFETY: a live object the buffer holds a strong reference to until its release (in
        // `Drop`, so not before `self` is dropped); `Py<PyAny>` is a transparent wrapper of
        // the pointer, borrowed here only for the visit.
        let obj: &Py<PyAny> = unsafe { &*std::ptr::addr_of!(self.view.obj).cast::<Py<PyAny>>() };
        visit.call(obj)
    }

    /// The exporting object (`Py_buffer.obj`), if any.
    pub(crate) fn obj<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        // SAFETY: `obj` is null or a strong reference held by the buffer until its release,
        // which happens only when `self` is dropped.
        unsafe { Bound::from_borrowed_ptr_or_opt(py, self.view.obj) }
    }
}

impl RawImport {
    /// Releases the buffer now, the thread's attachment proved by `py` (a drop asks PyO3
    /// whether the thread is attached, which a slot CPython calls directly does not count).
    pub(crate) fn release(self, _py: Python<'_>) {
        let mut this = std::mem::ManuallyDrop::new(self);
        this.free();
    }

    /// Releases the buffer and frees its block; called once, by the owner's last use.
    fn free(&mut self) {
        // SAFETY: filled by a successful `PyObject_GetBuffer` and released only here, once
        // (by `release`, which does not drop `self`, or by `Drop`); the thread is attached
        // (the callers' promise).
        unsafe { ffi::PyBuffer_Release(&mut *self.view) };
        // SAFETY: the block from `PyMem_Malloc` (`acquire`), released above and not used
        // again (`self` is being dropped or forgotten); the thread is attached.
        unsafe { ffi::PyMem_Free(self.view.0.as_ptr().cast()) };
    }
}

impl Drop for RawImport {
    fn drop(&mut self) {
        Python::attach(|_| self.free());
    }
}

/// One imported Python buffer and its checked descriptor (the exporter a view of an
/// imported buffer holds; CPython's managed buffer), released when it is dropped.
pub(crate) struct ManagedBuffer {
    raw: RawImport,
    descriptor: Descriptor,
}

impl ManagedBuffer {
    /// Imports `obj`'s buffer with `flags`.
    pub(crate) fn acquire(obj: &Bound<'_, PyAny>, flags: Flags) -> PyResult<ManagedBuffer> {
        // Released on drop from here on, on error too.
        ManagedBuffer::of_raw(RawImport::acquire(obj, flags)?)
    }

    /// The buffer with its descriptor, checked (released on error).
    pub(crate) fn of_raw(raw: RawImport) -> PyResult<ManagedBuffer> {
        // SAFETY: filled by a successful `PyObject_GetBuffer`, not yet released.
        let descriptor = unsafe { Descriptor::read(&raw.view) }?;
        Ok(ManagedBuffer { raw, descriptor })
    }
}

// SAFETY: the descriptor was read from a buffer that stays exported until `self` is dropped
// (the release is in `Drop`), and it is answered only while `self` lives.
unsafe impl Exporter for ManagedBuffer {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        // SAFETY: the buffer is still exported (see the impl's argument).
        unsafe { self.descriptor.info(flags) }
    }
}

/// A Python buffer held for the length of one call ([`with_buffer`](crate::with_buffer)):
/// its checked descriptor, answered while the caller's `Py_buffer` stays exported.
pub(crate) struct CallBuffer<'b> {
    descriptor: &'b Descriptor,
}

// SAFETY: the descriptor was read from a buffer the caller of `with_buffer_flags` holds
// exported for at least `'b` (it is released after every view borrowing `self`, which
// cannot outlive `'b`, is gone).
unsafe impl Exporter for CallBuffer<'_> {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        // SAFETY: still exported (see the impl's argument).
        unsafe { self.descriptor.info(flags) }
    }
}

/// `f` on a view of `obj`'s buffer requested with `flags`, held for the call only: no Python
/// object and no boxed `Py_buffer` are made, and the buffer is released when `f` returns.
pub(crate) fn with_buffer_flags<R>(
    obj: &Bound<'_, PyAny>,
    flags: Flags,
    f: impl for<'v> FnOnce(&memview::MemoryView<'v>) -> R,
) -> PyResult<R> {
    let mut view = std::mem::MaybeUninit::<ffi::Py_buffer>::zeroed();
    let bits = std::ffi::c_int::try_from(flags.bits()).map_err(|_| PyBufferError::new_err("invalid flags"))?;
    // SAFETY: `view` is writable memory for one `Py_buffer`; `obj` is live, the GIL held.
    if unsafe { ffi::PyObject_GetBuffer(obj.as_ptr(), view.as_mut_ptr(), bits) } != 0 {
        return Err(PyErr::fetch(obj.py()));
    }
    /// Releases the buffer when the call ends, however it ends.
    struct Held<'a>(&'a mut ffi::Py_buffer);
    impl Drop for Held<'_> {
        fn drop(&mut self) {
            // SAFETY: filled by a successful `PyObject_GetBuffer`, released once, here, with
            // the GIL still held (the caller's `Bound` proves it for the whole call).
            unsafe { ffi::PyBuffer_Release(self.0) }
        }
    }
    // SAFETY: filled by the successful call above. Used in place: the release gets the
    // address `PyObject_GetBuffer` filled, as the protocol expects (an exporter may keep it).
    let held = Held(unsafe { view.assume_init_mut() });
    // SAFETY: filled by a successful `PyObject_GetBuffer`, not yet released.
    if let Some((run, format)) = unsafe { Run::lent(held.0, flags) } {
        // SAFETY: the exporter's promise for a filled buffer: `region` is valid for the run's
        // `len` bytes (writable unless read-only) until the release, when `held` drops, after
        // `m` and every view made of it (they cannot outlive this block: `f` is generic over
        // `'v`); nothing but views of the buffer writes it meanwhile.
        let m = unsafe {
            memview::MemoryView::from_raw_parts(run.region.as_ptr(), run.count, run.itemsize, format, run.access())
        }
        .map_err(crate::convert::view_err)?;
        let r = f(&m);
        drop(m);
        drop(held);
        return Ok(r);
    }
    // SAFETY: filled by a successful `PyObject_GetBuffer`, not yet released.
    let descriptor = unsafe { Descriptor::read(held.0) }?;
    let r = {
        let m = memview::MemoryView::with_flags(CallBuffer { descriptor: &descriptor }, flags)
            .map_err(crate::convert::view_err)?;
        f(&m)
        // `m` and every view made from it are gone here: they borrow `descriptor`.
    };
    drop(held);
    Ok(r)
}

/// A view of `obj`'s buffer requested with `flags` that holds the buffer itself, released
/// when the last view derived from it goes: one run of a common format is lent to the view
/// with the buffer as its owner; anything else is held as a [`PyBufferExporter`].
pub(crate) fn owned_view(obj: &Bound<'_, PyAny>, flags: Flags) -> PyResult<MemoryView<'static>> {
    match RawImport::acquire(obj, flags)?.into_owned_view(flags) {
        Ok(view) => view,
        Err(raw) => {
            let exporter = PyBufferExporter { inner: ManagedBuffer::of_raw(raw)? };
            MemoryView::with_flags(exporter, flags).map_err(crate::convert::view_err)
        }
    }
}

/// A Python buffer imported as a Rust exporter: `PyObject_GetBuffer` now, `PyBuffer_Release`
/// when the last view of it is dropped (with the interpreter attached).
///
/// ```
/// use memview::MemoryView;
/// use memview_py::PyBufferExporter;
/// use pyo3::prelude::*;
/// Python::attach(|py| -> PyResult<()> {
///     let data = pyo3::types::PyBytes::new(py, b"abc");
///     let view = MemoryView::new(PyBufferExporter::get(data.as_any())?).unwrap();
///     assert_eq!(view.to_bytes().unwrap(), b"abc");
///     Ok(())
/// }).unwrap();
/// ```
pub struct PyBufferExporter {
    inner: ManagedBuffer,
}

impl PyBufferExporter {
    /// Acquires `obj`'s buffer as `memoryview(obj)` does (`PyBUF_FULL_RO`).
    pub fn get(obj: &Bound<'_, PyAny>) -> PyResult<PyBufferExporter> {
        PyBufferExporter::with_flags(obj, Flags::FULL_RO)
    }

    /// Acquires `obj`'s buffer with chosen request flags (`PyBUF_WRITABLE` to write).
    pub fn with_flags(obj: &Bound<'_, PyAny>, flags: Flags) -> PyResult<PyBufferExporter> {
        Ok(PyBufferExporter { inner: ManagedBuffer::acquire(obj, flags)? })
    }
}

// SAFETY: forwarded to `ManagedBuffer`, whose argument holds: the buffer is released only when
// `inner` is dropped, with this exporter.
unsafe impl Exporter for PyBufferExporter {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        self.inner.get_buffer(flags)
    }
}

/// A contiguous Python buffer held for the length of one call: `PyBUF_SIMPLE` (read) or
/// `PyBUF_WRITABLE`, released on drop.
pub(crate) struct Contiguous {
    view: Box<ffi::Py_buffer>,
}

impl Contiguous {
    /// Acquires `obj`'s bytes; `TypeError` as CPython's `y*`/`w*` arguments give it.
    pub(crate) fn get(obj: &Bound<'_, PyAny>, writable: bool) -> PyResult<Contiguous> {
        let mut view = zeroed_buffer();
        fill_contiguous(obj, writable, &mut view)?;
        // SAFETY: filled by `fill_contiguous` (a successful `PyObject_GetBuffer`), in place.
        Ok(Contiguous { view: unsafe { Box::from_raw(Box::into_raw(view).cast::<ffi::Py_buffer>()) } })
    }

    /// `f` on `obj`'s bytes (`PyBUF_SIMPLE`), held for the length of the call: the
    /// `Py_buffer` lives on the stack (nothing is allocated) and is released when `f`
    /// returns; errors as [`get`](Self::get) gives them.
    pub(crate) fn with_bytes<R>(obj: &Bound<'_, PyAny>, f: impl FnOnce(&[u8]) -> PyResult<R>) -> PyResult<R> {
        // An exact `bytes` (the usual argument of `unpack`): its own bytes, read as the
        // interpreter lays them out, immutable and alive while `obj` is borrowed. Its
        // `bf_getbuffer` would describe exactly these (`PyBuffer_FillInfo`, no export
        // count), so nothing observable differs; the acquisition, its check and its release
        // were a tenth of `Struct.unpack`.
        if let Ok(bytes) = obj.cast_exact::<pyo3::types::PyBytes>() {
            return f(bytes.as_bytes());
        }
        let mut view = std::mem::MaybeUninit::<ffi::Py_buffer>::zeroed();
        fill_contiguous(obj, false, &mut view)?;
        /// Releases the buffer when the call ends, however it ends.
        struct Held<'a>(&'a mut ffi::Py_buffer);
        impl Drop for Held<'_> {
            fn drop(&mut self) {
                // SAFETY: filled by a successful `PyObject_GetBuffer`, released once, here,
                // with the GIL still held (the caller's `Bound` proves it for the call).
                unsafe { ffi::PyBuffer_Release(self.0) }
            }
        }
        // SAFETY: filled by `fill_contiguous`, in place; never moved until released.
        let held = Held(unsafe { view.assume_init_mut() });
        let len = usize::try_from(held.0.len).unwrap_or(0);
        let bytes: &[u8] = if len == 0 {
            &[]
        } else {
            // SAFETY: a `PyBUF_SIMPLE` buffer is `len` contiguous bytes at `buf` (checked
            // non-null by `fill_contiguous`), valid until released when `held` drops, after
            // `f` returns and the slice with it.
            unsafe { std::slice::from_raw_parts(held.0.buf.cast::<u8>(), len) }
        };
        f(bytes)
    }

    /// The bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        let len = usize::try_from(self.view.len).unwrap_or(0);
        if len == 0 {
            return &[];
        }
        // SAFETY: a `PyBUF_SIMPLE` (or `WRITABLE`) buffer is `len` contiguous bytes at `buf`
        // (checked non-null in `get`), valid until released in `Drop`; `&self` ends first.
        unsafe { std::slice::from_raw_parts(self.view.buf.cast::<u8>(), len) }
    }

    /// The bytes, for writing (a buffer acquired with `writable`).
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        let len = usize::try_from(self.view.len).unwrap_or(0);
        if len == 0 || self.view.readonly != 0 {
            return &mut [];
        }
        // SAFETY: as in `bytes`, and the exporter granted a writable buffer (`readonly` is 0,
        // checked); `&mut self` makes this the only Rust reference to the bytes.
        unsafe { std::slice::from_raw_parts_mut(self.view.buf.cast::<u8>(), len) }
    }
}

/// Fills `view` with `obj`'s contiguous bytes (`PyBUF_SIMPLE`, or `PyBUF_WRITABLE` for
/// `writable`); `TypeError` as CPython's `y*`/`w*` arguments give it. On success the buffer
/// is exported and `view` must be released, in place.
fn fill_contiguous(
    obj: &Bound<'_, PyAny>,
    writable: bool,
    view: &mut std::mem::MaybeUninit<ffi::Py_buffer>,
) -> PyResult<()> {
    let refused = |name: String| {
        pyo3::exceptions::PyTypeError::new_err(if writable {
            format!("argument must be read-write bytes-like object, not {name}")
        } else {
            format!("a bytes-like object is required, not '{name}'")
        })
    };
    if !crate::convert::check_buffer(obj) {
        return Err(refused(obj.get_type().name()?.to_string()));
    }
    let flags = if writable { Flags::WRITABLE } else { Flags::SIMPLE };
    let bits = std::ffi::c_int::try_from(flags.bits()).map_err(|_| PyBufferError::new_err("invalid flags"))?;
    // SAFETY: `view` is writable memory for one `Py_buffer`; `obj` is live, the GIL held.
    if unsafe { ffi::PyObject_GetBuffer(obj.as_ptr(), view.as_mut_ptr(), bits) } != 0 {
        let e = PyErr::fetch(obj.py());
        if writable && e.is_instance_of::<PyBufferError>(obj.py()) {
            return Err(refused(obj.get_type().name().map(|n| n.to_string()).unwrap_or_default()));
        }
        return Err(e);
    }
    // SAFETY: filled by the successful call above.
    let filled = unsafe { view.assume_init_mut() };
    if filled.len < 0 || (filled.len > 0 && filled.buf.is_null()) {
        // SAFETY: filled by a successful `PyObject_GetBuffer`, released once, here.
        unsafe { ffi::PyBuffer_Release(filled) };
        return Err(refuse("a negative length or a null buffer".into()));
    }
    Ok(())
}

impl Drop for Contiguous {
    fn drop(&mut self) {
        Python::attach(|_| {
            // SAFETY: filled by a successful `PyObject_GetBuffer` and released only here, once
            // (the box is freed right after, with `self`).
            unsafe { ffi::PyBuffer_Release(&mut *self.view) }
        });
    }
}

// SAFETY: the `Py_buffer` is read (its `buf`, `len`, `readonly`) and released, nothing else;
// CPython allows the release from any attached thread (`Drop` attaches), and shared access
// only reads the descriptor. What other threads do to the bytes themselves is the buffer
// protocol's contract with the exporter, as for every consumer of it.
unsafe impl Send for Contiguous {}
// SAFETY: as above: `&Contiguous` reads the descriptor only.
unsafe impl Sync for Contiguous {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_formats_are_interned_and_others_copied() {
        for f in ["B", "@d", "<i", "!Q", ">f", "=?", "@P"] {
            assert!(matches!(format_text(f), Cow::Borrowed(s) if s == f), "{f}");
        }
        for f in ["", "T{i:x:}", "2i", "<Zd", "@", "xB"] {
            assert!(matches!(format_text(f), Cow::Owned(ref s) if s == f), "{f}");
        }
        // Every one- and two-byte text: interned exactly when it is a code, alone or after
        // one byte-order prefix, and then spelled as given.
        for a in 0..=255u8 {
            let one = [a];
            let is_code = CODES.contains(&a);
            assert_eq!(format_text_of(&one), is_code.then_some(()).and(std::str::from_utf8(&one).ok()));
            for b in 0..=255u8 {
                let two = [a, b];
                let common = b"@<>=!".contains(&a) && CODES.contains(&b);
                assert_eq!(format_text_of(&two), common.then_some(()).and(std::str::from_utf8(&two).ok()), "{two:?}");
            }
        }
    }
}

/// An imported buffer as a Python object (CPython's managed buffer): what the
/// `memview.memoryview`s of one import share, so that the collector sees the exporter through
/// it exactly once per import (a reference cycle through a view and its exporter is
/// collected, as with the builtin). A view that holds its import alone keeps it inline
/// (`pyview::Anchor::Own`); the object is made, empty, when a second view needs the import,
/// and the buffer moved in ([`fill`](Self::fill)), so that a failed allocation never
/// releases a buffer a view still uses.
#[pyclass(module = "memview", name = "_managedbuffer", frozen)]
pub(crate) struct PyManagedBuffer {
    /// The exported buffer (set once: at once, or when a view moves its own import in).
    raw: std::sync::OnceLock<RawImport>,
    /// Its descriptor, which `Anchored` answers, for imports whose views are not lent.
    descriptor: Option<Descriptor>,
}

// SAFETY: the buffer is released in `RawImport`'s `Drop` with the interpreter attached, from
// whichever thread frees the object (CPython allows that); the descriptor is plain data that
// never changes once the object is made, and only read.
unsafe impl Send for PyManagedBuffer {}
// SAFETY: as for `Send`: shared references read fields that never change once set.
unsafe impl Sync for PyManagedBuffer {}

#[pymethods]
impl PyManagedBuffer {
    fn __traverse__(&self, visit: pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        match self.raw.get() {
            Some(raw) => raw.traverse(&visit),
            None => Ok(()),
        }
    }
}

impl PyManagedBuffer {
    /// A managed-buffer object holding `buffer` (released with it if the object cannot be
    /// made: for a buffer no view uses yet).
    pub(crate) fn of(py: Python<'_>, buffer: ManagedBuffer) -> PyResult<Py<PyManagedBuffer>> {
        let ManagedBuffer { raw, descriptor } = buffer;
        Py::new(py, PyManagedBuffer { raw: std::sync::OnceLock::from(raw), descriptor: Some(descriptor) })
    }

    /// An object to move a lent view's buffer into ([`fill`](Self::fill)).
    pub(crate) fn empty(py: Python<'_>) -> PyResult<Py<PyManagedBuffer>> {
        Py::new(py, PyManagedBuffer { raw: std::sync::OnceLock::new(), descriptor: None })
    }

    /// Moves `raw` into an empty object; hands it back if the object holds one already.
    pub(crate) fn fill(&self, raw: RawImport) -> Result<(), RawImport> {
        self.raw.set(raw)
    }

    /// The exporter a core view of this buffer holds (`None` for an object that holds no
    /// descriptor: one a lent view's buffer was moved into).
    ///
    /// # Safety
    /// Every core view made of the returned exporter (and every view derived from it) is
    /// dropped before `this` is freed: a `memview.memoryview` holds the core views of its
    /// family and a strong reference to this object, declared after them, so dropped after
    /// them (the crate's rule: a core view never leaves its family).
    pub(crate) unsafe fn exporter(this: &Py<PyManagedBuffer>) -> Option<Anchored> {
        let this = this.get();
        this.raw.get()?;
        this.descriptor.as_ref().map(|d| Anchored { descriptor: NonNull::from(d) })
    }
}

/// The exporter of a view of a managed-buffer object: a pointer to its descriptor, kept alive
/// by the views' owners (see [`PyManagedBuffer::exporter`]), not by the exporter itself, so
/// that the collector accounts for the object exactly once per holder.
pub(crate) struct Anchored {
    descriptor: NonNull<Descriptor>,
}

// SAFETY: `descriptor` points into a live managed-buffer object for as long as this exporter and
// every view of it live (the promise of `PyManagedBuffer::exporter`), and that object keeps
// the buffer exported until it is freed; the descriptor is the one read, checked, when the
// buffer was imported, and never changes.
unsafe impl Exporter for Anchored {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        // SAFETY: the object is alive (see the impl's argument), so its descriptor is.
        let descriptor = unsafe { self.descriptor.as_ref() };
        // SAFETY: and its buffer is still exported.
        unsafe { descriptor.info(flags) }
    }
}
