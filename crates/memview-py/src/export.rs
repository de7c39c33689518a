//! Rust descriptors as `Py_buffer`s: `bf_getbuffer` filled from a [`BufferInfo`], and the
//! arrays it points at kept until `bf_releasebuffer`.

use buffer_protocol::BufferInfo;
use pyo3::prelude::*;
use pyo3::{ffi, IntoPyObjectExt};
use smallvec::SmallVec;
use std::ffi::CString;

/// What a filled `Py_buffer` points at, owned until its release (`Py_buffer.internal`).
pub(crate) struct Filled {
    /// The descriptor the buffer was filled from, handed back to the exporter on release.
    pub(crate) info: BufferInfo,
    shape: SmallVec<[ffi::Py_ssize_t; 4]>,
    strides: SmallVec<[ffi::Py_ssize_t; 4]>,
    suboffsets: SmallVec<[ffi::Py_ssize_t; 4]>,
    format: Option<CString>,
}

/// Fills `view` from `info`, exactly the fields the request asked for (`NULL` for the
/// others, as CPython's `memory_getbuf` leaves them), with `obj` as the exporter.
///
/// # Safety
/// `view` points at a `Py_buffer` the caller may write (as `bf_getbuffer` receives it). The
/// memory `info` describes stays valid until [`take`] is called on the filled buffer.
pub(crate) unsafe fn fill(view: *mut ffi::Py_buffer, info: BufferInfo, obj: &Bound<'_, PyAny>) -> PyResult<()> {
    let to_ssize =
        |x: usize| ffi::Py_ssize_t::try_from(x).map_err(|_| pyo3::exceptions::PyOverflowError::new_err("size"));
    let format = match info.format() {
        Some(f) => Some(CString::new(f).map_err(|_| pyo3::exceptions::PyValueError::new_err("format contains NUL"))?),
        None => None,
    };
    let mut filled = Box::new(Filled {
        shape: info.shape().unwrap_or(&[]).iter().map(|&d| d as ffi::Py_ssize_t).collect(),
        strides: info.strides().unwrap_or(&[]).iter().copied().collect(),
        suboffsets: info.suboffsets().unwrap_or(&[]).iter().copied().collect(),
        format,
        info,
    });
    let len = to_ssize(filled.info.len())?;
    let itemsize = to_ssize(filled.info.itemsize())?;
    let ndim = std::ffi::c_int::try_from(filled.info.ndim())
        .map_err(|_| pyo3::exceptions::PyOverflowError::new_err("ndim"))?;
    let ptr_or_null = |v: &mut SmallVec<[ffi::Py_ssize_t; 4]>, present: bool| {
        if present {
            v.as_mut_ptr()
        } else {
            std::ptr::null_mut()
        }
    };
    // A scalar has neither (CPython's memoryview leaves both NULL for ndim 0).
    let scalar = filled.info.ndim() == 0;
    let has_shape = filled.info.shape().is_some() && !scalar;
    let has_strides = filled.info.strides().is_some() && !scalar;
    let has_sub = filled.info.suboffsets().is_some();
    let shape = ptr_or_null(&mut filled.shape, has_shape);
    let strides = ptr_or_null(&mut filled.strides, has_strides);
    let suboffsets = ptr_or_null(&mut filled.suboffsets, has_sub);
    let format = filled.format.as_ref().map_or(std::ptr::null_mut(), |f| f.as_ptr().cast_mut());
    let buf = filled.info.buf();
    let readonly = std::ffi::c_int::from(filled.info.readonly());
    let owner = obj.clone().into_py_any(obj.py())?;
    let filled = ffi::Py_buffer {
        buf: buf.cast(),
        obj: owner.into_ptr(),
        len,
        itemsize,
        readonly,
        ndim,
        format,
        shape,
        strides,
        suboffsets,
        internal: Box::into_raw(filled).cast(),
    };
    // SAFETY: the caller's promise: `view` is writable. Every pointer stored points into
    // `filled` (boxed, so it does not move) or at the exporter's memory, valid until `take`.
    unsafe { view.write(filled) };
    Ok(())
}

/// Takes back what [`fill`] stored in a buffer being released.
///
/// # Safety
/// `view` was filled by [`fill`] and is released now, once (`bf_releasebuffer`).
pub(crate) unsafe fn take(view: *mut ffi::Py_buffer) -> Option<Box<Filled>> {
    // SAFETY: the caller's promise: `view` is a live buffer `fill` filled, so its
    // `internal` field may be read and written.
    let field = unsafe { std::ptr::addr_of_mut!((*view).internal) };
    // SAFETY: as above: the field is live and writable.
    let internal = unsafe { std::ptr::replace(field, std::ptr::null_mut()) };
    let internal = internal.cast::<Filled>();
    if internal.is_null() {
        return None;
    }
    // SAFETY: `internal` is the box `fill` leaked, taken once (replaced by NULL above).
    Some(unsafe { Box::from_raw(internal) })
}

/// A new `bytes` object of `n` bytes, filled by `fill` (without zeroing it first, as
/// `PyBytes::new_with` does).
pub(crate) fn bytes_filled<'py>(
    py: Python<'py>,
    n: usize,
    fill: impl FnOnce(&mut [u8]) -> PyResult<()>,
) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
    let len = ffi::Py_ssize_t::try_from(n).map_err(|_| pyo3::exceptions::PyMemoryError::new_err("too large"))?;
    // SAFETY: a NULL source makes CPython allocate `len` uninitialised bytes (plus its
    // terminator); the GIL is held (`py`).
    let raw = unsafe { ffi::PyBytes_FromStringAndSize(std::ptr::null(), len) };
    // SAFETY: a new reference, or NULL with an exception set.
    let bytes = unsafe { Bound::from_owned_ptr_or_err(py, raw)? };
    // SAFETY: the object was just made and nothing else refers to it; its buffer holds `n`
    // bytes. They are written before any read: `fill` gets them as `&mut [u8]`, and a `u8`
    // has no invalid bit pattern, so uninitialised bytes are only a question of whose values
    // they hold, which `fill` decides (on error the object is dropped unread).
    let data = unsafe { ffi::PyBytes_AsString(raw) }.cast::<u8>();
    // SAFETY: as above: `data` is the object's buffer of `n` bytes, written by `fill` only.
    let out = unsafe { std::slice::from_raw_parts_mut(data, n) };
    // A large output is faulted in as huge pages, as the core's own outputs are.
    memview::advise_huge_pages(out);
    fill(out)?;
    Ok(bytes.cast_into::<pyo3::types::PyBytes>()?)
}

/// A new ASCII `str` of `n` characters, filled by `fill` (one copy: the characters are
/// written straight into the string object).
pub(crate) fn ascii_str_filled<'py>(
    py: Python<'py>,
    n: usize,
    fill: impl FnOnce(&mut [u8]) -> PyResult<()>,
) -> PyResult<Bound<'py, pyo3::types::PyString>> {
    let len = ffi::Py_ssize_t::try_from(n).map_err(|_| pyo3::exceptions::PyMemoryError::new_err("too large"))?;
    // SAFETY: the GIL is held; a maximum character of 127 makes a compact ASCII string whose
    // data is `n` one-byte characters.
    let raw = unsafe { ffi::PyUnicode_New(len, 127) };
    // SAFETY: a new reference, or NULL with an exception set.
    let text = unsafe { Bound::from_owned_ptr_or_err(py, raw)? };
    // SAFETY: the string was just made, nothing else refers to it, and its data is `n` bytes
    // (one-byte kind). `fill` writes every byte before the string is used; it must write
    // ASCII only, which the hex writer does (its separator is checked to be ASCII).
    let data = unsafe { ffi::PyUnicode_DATA(raw) }.cast::<u8>();
    // SAFETY: as above: `data` is the string's `n` one-byte characters, written by `fill`.
    let out = unsafe { std::slice::from_raw_parts_mut(data, n) };
    memview::advise_huge_pages(out);
    fill(out)?;
    Ok(text.cast_into::<pyo3::types::PyString>()?)
}
