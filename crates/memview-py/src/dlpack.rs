//! DLPack in Python: `memoryview.__dlpack__` and `__dlpack_device__` (so `numpy.from_dlpack(m)`
//! takes a view without a copy), and `memview.from_dlpack(x)` for any producer.
//!
//! An export holds a buffer of the view (`PyObject_GetBuffer`, counted: the view refuses to
//! release meanwhile, and a resizable exporter refuses to resize) inside a heap context
//! that the managed tensor's deleter frees once, releasing the buffer. The capsule's own
//! destructor calls that deleter only if no consumer took the tensor (renamed the capsule).

use buffer_protocol::dlpack::{
    dtype_of, DLDevice, DLManagedTensorVersioned, DLPackVersion, DLTensor, DlpackTensor, DLPACK_FLAG_IS_COPIED,
    DLPACK_FLAG_READ_ONLY, DL_CPU,
};
use pyo3::exceptions::{PyBufferError, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;
use std::ffi::{c_void, CStr};
use std::ptr::NonNull;

const VERSIONED: &CStr = c"dltensor_versioned";
const USED_VERSIONED: &CStr = c"used_dltensor_versioned";
const LEGACY: &CStr = c"dltensor";
const USED_LEGACY: &CStr = c"used_dltensor";

/// DLPack's unversioned managed tensor (`DLManagedTensor`), for consumers that ask for no
/// version: the same tensor, no version and no flags.
#[repr(C)]
struct DLManagedTensor {
    dl_tensor: DLTensor,
    manager_ctx: *mut c_void,
    deleter: Option<unsafe extern "C" fn(*mut DLManagedTensor)>,
}

/// What an export owns: the buffer held from the view, the shape and strides (in items)
/// the tensor points at, and the tensor itself (one of the two kinds).
struct Context {
    buffer: ffi::Py_buffer,
    dims: Box<[i64]>,
    versioned: DLManagedTensorVersioned,
    legacy: DLManagedTensor,
}

/// Frees an export's context and releases its buffer (with the interpreter attached).
///
/// # Safety
///
/// `ctx` came from `Box::into_raw` in [`export`] and is freed once.
unsafe fn free(ctx: *mut Context) {
    // SAFETY: the caller's promise.
    let mut ctx = unsafe { Box::from_raw(ctx) };
    Python::attach(|_| {
        // SAFETY: the buffer was filled by a successful `PyObject_GetBuffer` and is released
        // once, here, with the interpreter attached.
        unsafe { ffi::PyBuffer_Release(&mut ctx.buffer) };
    });
}

unsafe extern "C" fn delete_versioned(managed: *mut DLManagedTensorVersioned) {
    // SAFETY: a consumer calls the deleter once, with the tensor we made (live until now).
    let ctx = unsafe { (*managed).manager_ctx };
    // SAFETY: that tensor's `manager_ctx` is its context, freed once, here.
    unsafe { free(ctx.cast::<Context>()) }
}

unsafe extern "C" fn delete_legacy(managed: *mut DLManagedTensor) {
    // SAFETY: as for `delete_versioned`.
    let ctx = unsafe { (*managed).manager_ctx };
    // SAFETY: as for `delete_versioned`.
    unsafe { free(ctx.cast::<Context>()) }
}

/// The capsule destructor: a capsule nobody consumed (still named `dltensor...`) frees its
/// tensor; a consumed one belongs to its consumer, who calls the deleter.
unsafe extern "C" fn capsule_destructor(capsule: *mut ffi::PyObject) {
    for (name, versioned) in [(VERSIONED, true), (LEGACY, false)] {
        // SAFETY: CPython calls the destructor with the live capsule, the interpreter held.
        if unsafe { ffi::PyCapsule_IsValid(capsule, name.as_ptr()) } == 1 {
            // SAFETY: valid under this name (checked), so its pointer is the tensor we made.
            let p = unsafe { ffi::PyCapsule_GetPointer(capsule, name.as_ptr()) };
            if versioned {
                // SAFETY: our versioned tensor, not consumed: its deleter runs once, here.
                unsafe { delete_versioned(p.cast()) };
            } else {
                // SAFETY: as above, for the unversioned tensor.
                unsafe { delete_legacy(p.cast()) };
            }
            return;
        }
    }
}

/// `m.__dlpack__(...)`: a capsule of the view's items, versioned when the consumer asks for
/// DLPack 1.x (`max_version`), with CPU as the device and strides in items.
pub(crate) fn export<'py>(view: &Bound<'py, PyAny>, copied: bool, versioned: bool) -> PyResult<Bound<'py, PyAny>> {
    let py = view.py();
    let mut context = Box::new(Context {
        // SAFETY: `Py_buffer` is a C struct for which all-zero is a valid (empty) value.
        buffer: unsafe { std::mem::zeroed() },
        dims: Box::new([]),
        versioned: DLManagedTensorVersioned {
            version: DLPackVersion { major: 1, minor: 1 },
            manager_ctx: std::ptr::null_mut(),
            deleter: None,
            flags: 0,
            dl_tensor: empty_tensor(),
        },
        legacy: DLManagedTensor { dl_tensor: empty_tensor(), manager_ctx: std::ptr::null_mut(), deleter: None },
    });
    // Strides and a format, no suboffsets (an indirect layout is refused here, BufferError).
    let flags = ffi::PyBUF_RECORDS_RO;
    // SAFETY: `view` is a live object, the interpreter attached; the buffer is written into
    // the context, which stays at this address (boxed) until it is freed.
    if unsafe { ffi::PyObject_GetBuffer(view.as_ptr(), &mut context.buffer, flags) } != 0 {
        return Err(PyErr::fetch(py));
    }
    // From here on the buffer is held: every error path frees the context (releasing it).
    let ctx = Box::into_raw(context);
    // SAFETY: `ctx` is the live context we own until the capsule takes it; the shared borrow
    // ends with the call.
    let context = unsafe { &*ctx };
    // SAFETY: its buffer was filled by the successful `PyObject_GetBuffer` above.
    let described = unsafe { describe(context, versioned) };
    let (dims, tensor, readonly) = match described {
        Ok(d) => d,
        Err(e) => {
            // SAFETY: not handed to anyone: freed once, here.
            unsafe { free(ctx) };
            return Err(e);
        }
    };
    // SAFETY: `ctx` is live and nothing else refers to it (the borrow above ended); the
    // deleters free it through the raw pointer stored in `manager_ctx`. The dims' heap data
    // does not move with the box that owns it, so the tensor's shape and strides stay valid.
    let context = unsafe { &mut *ctx };
    context.dims = dims;
    let (pointer, name) = if versioned {
        context.versioned.dl_tensor = tensor;
        context.versioned.manager_ctx = ctx.cast();
        context.versioned.deleter = Some(delete_versioned);
        context.versioned.flags =
            (if readonly { DLPACK_FLAG_READ_ONLY } else { 0 }) | (if copied { DLPACK_FLAG_IS_COPIED } else { 0 });
        ((&raw mut context.versioned).cast::<c_void>(), VERSIONED)
    } else {
        context.legacy.dl_tensor = tensor;
        context.legacy.manager_ctx = ctx.cast();
        context.legacy.deleter = Some(delete_legacy);
        ((&raw mut context.legacy).cast::<c_void>(), LEGACY)
    };
    // SAFETY: a non-null pointer, a static name, and a destructor that frees it once.
    let capsule = unsafe { ffi::PyCapsule_New(pointer, name.as_ptr(), Some(capsule_destructor)) };
    if capsule.is_null() {
        // SAFETY: the capsule was not made, so nobody else owns the context.
        unsafe { free(ctx) };
        return Err(PyErr::fetch(py));
    }
    // SAFETY: `PyCapsule_New` returned a new reference.
    Ok(unsafe { Bound::from_owned_ptr(py, capsule) })
}

fn empty_tensor() -> DLTensor {
    DLTensor {
        data: std::ptr::null_mut(),
        device: DLDevice { device_type: DL_CPU, device_id: 0 },
        ndim: 0,
        dtype: buffer_protocol::dlpack::DLDataType { code: 0, bits: 0, lanes: 0 },
        shape: std::ptr::null_mut(),
        strides: std::ptr::null_mut(),
        byte_offset: 0,
    }
}

/// A single-number format with an explicit byte order that is this host's, spelled natively
/// (`"<h"` and `"=h"` are `"h"` here, `"<l"` is `"i"`: standard sizes), so that DLPack's data
/// types, which have no byte order, describe it; any other format as it is.
pub(crate) fn native_spelling(format: &str) -> String {
    let host_big = cfg!(target_endian = "big");
    let (prefix_big, code) = match format.as_bytes() {
        [b'=', c] => (host_big, *c),
        [b'<', c] => (false, *c),
        [b'>' | b'!', c] => (true, *c),
        _ => return format.to_owned(),
    };
    if prefix_big != host_big {
        return format.to_owned();
    }
    match code {
        b'l' => "i".to_owned(),
        b'L' => "I".to_owned(),
        b'b' | b'B' | b'h' | b'H' | b'i' | b'I' | b'q' | b'Q' | b'e' | b'f' | b'd' | b'?' => {
            char::from(code).to_string()
        }
        _ => format.to_owned(),
    }
}

/// The tensor of a held buffer (its shape and strides in items, in `dims`), and whether it is
/// read-only; or why the standard refuses it.
///
/// # Safety
///
/// The context's buffer was filled by a successful `PyObject_GetBuffer` with
/// `PyBUF_RECORDS_RO` (shape, strides and format present, `ndim` entries each).
unsafe fn describe(ctx: &Context, versioned: bool) -> PyResult<(Box<[i64]>, DLTensor, bool)> {
    let b = &ctx.buffer;
    let format = if b.format.is_null() {
        "B".to_owned()
    } else {
        // SAFETY: a non-null format of a filled buffer is a NUL-terminated string.
        unsafe { CStr::from_ptr(b.format) }.to_string_lossy().into_owned()
    };
    let dtype = dtype_of(&native_spelling(&format))
        .ok_or_else(|| PyBufferError::new_err(format!("DLPack has no data type for the format {format:?}")))?;
    let readonly = b.readonly != 0;
    if readonly && !versioned {
        return Err(PyBufferError::new_err(
            "a read-only view cannot be exported as an unversioned DLPack capsule (no read-only flag): \
             ask with max_version=(1, 0) or later",
        ));
    }
    let ndim = usize::try_from(b.ndim).map_err(|_| PyBufferError::new_err("negative ndim"))?;
    let itemsize = b.itemsize;
    let (shape, strides): (&[isize], &[isize]) = if ndim == 0 {
        (&[], &[])
    } else if b.shape.is_null() || b.strides.is_null() {
        return Err(PyBufferError::new_err("an exporter gave no shape or strides for a strided request"));
    } else {
        // SAFETY: `shape` has `ndim` entries (the function's promise), valid while the
        // buffer is held, which outlasts this call.
        let shape = unsafe { std::slice::from_raw_parts(b.shape, ndim) };
        // SAFETY: as for `shape`.
        let strides = unsafe { std::slice::from_raw_parts(b.strides, ndim) };
        (shape, strides)
    };
    let mut dims = Vec::with_capacity(2 * ndim);
    dims.extend(shape.iter().map(|&n| i64::try_from(n).unwrap_or(i64::MAX)));
    for &s in strides {
        if itemsize == 0 || s % itemsize != 0 {
            return Err(PyBufferError::new_err(
                "DLPack strides count whole items: this view's strides are not multiples of its item size \
                 (pass copy=True)",
            ));
        }
        dims.push(i64::try_from(s / itemsize).unwrap_or(i64::MAX));
    }
    let mut dims = dims.into_boxed_slice();
    let shape = dims.as_mut_ptr();
    let tensor = DLTensor {
        data: b.buf,
        device: DLDevice { device_type: DL_CPU, device_id: 0 },
        ndim: b.ndim,
        dtype,
        shape,
        strides: shape.wrapping_add(ndim),
        byte_offset: 0,
    };
    Ok((dims, tensor, readonly))
}

/// A legacy producer's tensor wrapped as a versioned one (version 1.0, writable), whose
/// deleter calls the producer's.
unsafe extern "C" fn delete_wrapped_legacy(managed: *mut DLManagedTensorVersioned) {
    // SAFETY: made by `take` from `Box::into_raw`, with the legacy tensor as context; freed
    // once, here, after the producer's deleter.
    let wrapper = unsafe { Box::from_raw(managed) };
    let legacy = wrapper.manager_ctx.cast::<DLManagedTensor>();
    // SAFETY: the producer's tensor, whose deleter runs once.
    if let Some(deleter) = unsafe { (*legacy).deleter } {
        // SAFETY: as above.
        unsafe { deleter(legacy) };
    }
}

/// Takes the tensor out of a producer's capsule (renaming it used, as the standard says),
/// as an exporter whose drop calls the producer's deleter.
pub(crate) fn take(capsule: &Bound<'_, PyAny>) -> PyResult<DlpackTensor> {
    let p = capsule.as_ptr();
    // SAFETY: a live object, the interpreter attached.
    if unsafe { ffi::PyCapsule_IsValid(p, VERSIONED.as_ptr()) } == 1 {
        // SAFETY: valid under this name.
        let managed = unsafe { ffi::PyCapsule_GetPointer(p, VERSIONED.as_ptr()) };
        let managed = NonNull::new(managed.cast::<DLManagedTensorVersioned>())
            .ok_or_else(|| PyBufferError::new_err("a DLPack capsule holding no tensor"))?;
        // SAFETY: renaming marks the tensor as ours; the producer will not delete it.
        if unsafe { ffi::PyCapsule_SetName(p, USED_VERSIONED.as_ptr()) } != 0 {
            return Err(PyErr::fetch(capsule.py()));
        }
        // SAFETY: a producer's tensor, now ours alone (the capsule is renamed).
        return unsafe { DlpackTensor::from_raw(managed) }.map_err(|e| PyBufferError::new_err(e.to_string()));
    }
    // SAFETY: as above.
    if unsafe { ffi::PyCapsule_IsValid(p, LEGACY.as_ptr()) } == 1 {
        // SAFETY: valid under this name.
        let legacy = unsafe { ffi::PyCapsule_GetPointer(p, LEGACY.as_ptr()) }.cast::<DLManagedTensor>();
        if legacy.is_null() {
            return Err(PyBufferError::new_err("a DLPack capsule holding no tensor"));
        }
        // SAFETY: as above.
        if unsafe { ffi::PyCapsule_SetName(p, USED_LEGACY.as_ptr()) } != 0 {
            return Err(PyErr::fetch(capsule.py()));
        }
        let wrapper = Box::new(DLManagedTensorVersioned {
            version: DLPackVersion { major: 1, minor: 0 },
            manager_ctx: legacy.cast(),
            deleter: Some(delete_wrapped_legacy),
            flags: 0,
            // SAFETY: the producer's tensor (non-null, checked), valid until its deleter runs:
            // a copy of its description (plain data).
            dl_tensor: unsafe { std::ptr::read(legacy.cast::<DLTensor>()) },
        });
        let managed = NonNull::from(Box::leak(wrapper));
        // SAFETY: the wrapper is ours alone, and its deleter calls the producer's once.
        return unsafe { DlpackTensor::from_raw(managed) }.map_err(|e| PyBufferError::new_err(e.to_string()));
    }
    Err(PyTypeError::new_err("expected a DLPack capsule ('dltensor' or 'dltensor_versioned')"))
}
