//! Arrow in Python: the Arrow PyCapsule interface (`__arrow_c_array__`), both ways.
//!
//! * `m.__arrow_c_array__()` exports a 1-D view of numbers as an Arrow primitive array
//!   (`pyarrow.array(m)`, Polars, DuckDB): the view's own memory when its items are adjacent
//!   (the array holds a buffer of the view, released by the array's `release` callback, so
//!   the view cannot be released meanwhile), a copy when it is strided; booleans are copied
//!   into Arrow's bitmap (Arrow packs them in bits, a view holds bytes).
//! * `memview.memoryview(x)` of an object without the buffer protocol but with
//!   `__arrow_c_array__` (a `pyarrow.Array`, ...) views the array's values in place,
//!   read-only: primitive arrays of numbers without nulls. The array is moved out of its
//!   capsule (the capsule's copy is marked released, as the interface says) and released
//!   once, when the last view of it goes.
//!
//! The structures are the Arrow C data interface's (`ArrowSchema`, `ArrowArray`), laid out
//! as its specification states.

use crate::family::Locked;
use buffer_protocol::{BufferError as CoreBufferError, BufferInfo, Exporter, Flags};
use pyo3::exceptions::{PyBufferError, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;
use std::ffi::{c_char, c_void, CStr};
use std::ptr::NonNull;
use strided::StridedLayout;

const SCHEMA: &CStr = c"arrow_schema";
const ARRAY: &CStr = c"arrow_array";
/// `ARROW_FLAG_NULLABLE`: the field may hold nulls (pyarrow's default for arrays).
const NULLABLE: i64 = 2;

/// The C data interface's `ArrowSchema`.
#[repr(C)]
pub(crate) struct ArrowSchema {
    format: *const c_char,
    name: *const c_char,
    metadata: *const c_char,
    flags: i64,
    n_children: i64,
    children: *mut *mut ArrowSchema,
    dictionary: *mut ArrowSchema,
    release: Option<unsafe extern "C" fn(*mut ArrowSchema)>,
    private_data: *mut c_void,
}

/// The C data interface's `ArrowArray`.
#[repr(C)]
pub(crate) struct ArrowArray {
    length: i64,
    null_count: i64,
    offset: i64,
    n_buffers: i64,
    n_children: i64,
    buffers: *mut *const c_void,
    children: *mut *mut ArrowArray,
    dictionary: *mut ArrowArray,
    release: Option<unsafe extern "C" fn(*mut ArrowArray)>,
    private_data: *mut c_void,
}

/// One table of the numbers both sides know: Arrow's format string, the struct code of the
/// same item in native order, and its size.
const TYPES: [(&CStr, &str, usize); 11] = [
    (c"c", "b", 1),
    (c"C", "B", 1),
    (c"s", "h", 2),
    (c"S", "H", 2),
    (c"i", "i", 4),
    (c"I", "I", 4),
    (c"l", "q", 8),
    (c"L", "Q", 8),
    (c"e", "e", 2),
    (c"f", "f", 4),
    (c"g", "d", 8),
];

/// The Arrow format of a view's items: a number in the host's byte order (any spelling:
/// `"<i"`, `"=l"`, `"n"`), or `"b"` for `?` (whose bytes become bits).
fn arrow_format(format: &str, itemsize: usize) -> Option<&'static CStr> {
    let native = crate::dlpack::native_spelling(format.strip_prefix('@').unwrap_or(format));
    let (kind, size) = match native.as_str() {
        "?" => return Some(c"b"),
        "b" | "h" | "i" | "l" | "q" | "n" => (b'i', itemsize),
        "B" | "H" | "I" | "L" | "Q" | "N" => (b'u', itemsize),
        "e" | "f" | "d" => (b'f', itemsize),
        _ => return None,
    };
    TYPES.iter().find_map(|&(arrow, code, n)| {
        let k = match code {
            "b" | "h" | "i" | "q" => b'i',
            "B" | "H" | "I" | "Q" => b'u',
            _ => b'f',
        };
        (k == kind && n == size).then_some(arrow)
    })
}

// ----- export -----

/// What an exported array owns: a buffer held from the view (zero-copy or of a copy), or a
/// bitmap of booleans; and the two buffer pointers the array points at.
struct ArrayContext {
    held: Held,
    buffers: [*const c_void; 2],
}

enum Held {
    Buffer(Box<ffi::Py_buffer>),
    Bitmap(Vec<u8>),
}

unsafe extern "C" fn release_schema(schema: *mut ArrowSchema) {
    // SAFETY: the consumer calls `release` on a live schema we made (its format and name are
    // static strings, nothing else is owned); marking it released is all there is to do.
    unsafe { (*schema).release = None };
}

unsafe extern "C" fn release_array(array: *mut ArrowArray) {
    // SAFETY: the consumer calls `release` once, on a live array we made (possibly moved:
    // only its fields are read, never its address).
    let ctx = unsafe { (*array).private_data }.cast::<ArrayContext>();
    // SAFETY: as above; the array is marked released, as the interface requires.
    unsafe { (*array).release = None };
    // SAFETY: `private_data` came from `Box::into_raw` in `export_array`; freed once, here.
    let ctx = unsafe { Box::from_raw(ctx) };
    if let Held::Buffer(mut buffer) = ctx.held {
        // Arrow consumers release from any thread, with or without the interpreter.
        Python::attach(|_| {
            // SAFETY: filled by a successful `PyObject_GetBuffer`, released once, here, with
            // the interpreter attached.
            unsafe { ffi::PyBuffer_Release(&mut *buffer) };
        });
    }
}

/// The capsule destructor of both kinds: a structure nobody moved out (its `release` still
/// set) is released, then the capsule's allocation is freed.
unsafe extern "C" fn schema_capsule_destructor(capsule: *mut ffi::PyObject) {
    // SAFETY: CPython calls the destructor with the live capsule, the interpreter held; the
    // name is ours.
    let p = unsafe { ffi::PyCapsule_GetPointer(capsule, SCHEMA.as_ptr()) }.cast::<ArrowSchema>();
    if p.is_null() {
        return;
    }
    // SAFETY: the schema allocated by `export` (`Box::into_raw`), live until now.
    if let Some(release) = unsafe { (*p).release } {
        // SAFETY: not moved out (its `release` is set): released once, here.
        unsafe { release(p) };
    }
    // SAFETY: the allocation is freed once, here.
    drop(unsafe { Box::from_raw(p) });
}

unsafe extern "C" fn array_capsule_destructor(capsule: *mut ffi::PyObject) {
    // SAFETY: as for the schema.
    let p = unsafe { ffi::PyCapsule_GetPointer(capsule, ARRAY.as_ptr()) }.cast::<ArrowArray>();
    if p.is_null() {
        return;
    }
    // SAFETY: as for the schema.
    if let Some(release) = unsafe { (*p).release } {
        // SAFETY: as for the schema.
        unsafe { release(p) };
    }
    // SAFETY: as for the schema.
    drop(unsafe { Box::from_raw(p) });
}

/// A new capsule owning a boxed structure, destroyed by `destructor`.
fn capsule<'py, T>(
    py: Python<'py>,
    value: Box<T>,
    name: &'static CStr,
    destructor: unsafe extern "C" fn(*mut ffi::PyObject),
) -> PyResult<Bound<'py, PyAny>> {
    let p = Box::into_raw(value);
    // SAFETY: a non-null pointer, a static name, and a destructor that frees it once.
    let c = unsafe { ffi::PyCapsule_New(p.cast(), name.as_ptr(), Some(destructor)) };
    if c.is_null() {
        // SAFETY: the capsule was not made: the box is still ours alone.
        drop(unsafe { Box::from_raw(p) });
        return Err(PyErr::fetch(py));
    }
    // SAFETY: `PyCapsule_New` returned a new reference.
    Ok(unsafe { Bound::from_owned_ptr(py, c) })
}

/// What a view exports as an Arrow array: its Arrow format, its length, and how its values
/// get there.
pub(crate) struct Plan {
    format: &'static CStr,
    length: i64,
    /// How: the view's own memory, a contiguous copy, or a bitmap of booleans.
    pub(crate) source: Source,
}

/// Where an exported array's values come from.
pub(crate) enum Source {
    /// The view's items are adjacent: its own buffer.
    Adjacent,
    /// The view is strided: a contiguous copy's buffer (made by the caller).
    Strided,
    /// Booleans, packed into Arrow's bits.
    Bitmap(Vec<u8>),
}

/// Checks that a view has an Arrow array (1-D, numbers in the host's byte order or `?`) and
/// says how to export it; `requested_schema` must be `None` or a schema capsule.
pub(crate) fn plan(py: Python<'_>, view: &impl Locked, requested_schema: Option<&Bound<'_, PyAny>>) -> PyResult<Plan> {
    if let Some(s) = requested_schema {
        // SAFETY: a live object, the interpreter attached.
        if !s.is_none() && unsafe { ffi::PyCapsule_IsValid(s.as_ptr(), SCHEMA.as_ptr()) } != 1 {
            return Err(PyTypeError::new_err("requested_schema must be None or an 'arrow_schema' capsule"));
        }
        // A requested schema is a wish (the interface lets a producer answer in its own
        // schema; pyarrow casts to the type it asked for).
    }
    let (format, ndim, itemsize, adjacent, length) = view.locked(py, |v| {
        let adjacent = v.ndim() == 1 && v.suboffsets().is_empty() && v.strides()[0] == v.itemsize() as isize;
        Ok((v.format().to_owned(), v.ndim(), v.itemsize(), adjacent, v.shape().first().copied().unwrap_or(1)))
    })?;
    if ndim != 1 {
        return Err(PyBufferError::new_err(format!(
            "Arrow arrays are one-dimensional: this view has {ndim} dimensions (cast or reshape it to 1-D)"
        )));
    }
    let arrow = arrow_format(&format, itemsize).ok_or_else(|| {
        PyBufferError::new_err(format!(
            "Arrow has no primitive type for the format {format:?} (numbers in the host's byte order, or '?')"
        ))
    })?;
    let length = i64::try_from(length).map_err(|_| PyBufferError::new_err("an array too long for Arrow"))?;
    let source = if arrow == c"b" {
        Source::Bitmap(view.locked(py, |v| {
            let bytes = v.to_bytes().map_err(crate::convert::view_err)?;
            let mut bits = vec![0u8; bytes.len().div_ceil(8)];
            for (i, b) in bytes.iter().enumerate() {
                if *b != 0 {
                    bits[i / 8] |= 1 << (i % 8);
                }
            }
            Ok(bits)
        })?)
    } else if adjacent {
        Source::Adjacent
    } else {
        Source::Strided
    };
    Ok(Plan { format: arrow, length, source })
}

/// The schema and array capsules of a plan: the array holds a buffer of `values` (the view,
/// or the caller's contiguous copy of it) or the plan's bitmap.
pub(crate) fn export<'py>(
    py: Python<'py>,
    plan: Plan,
    values: Option<&Bound<'py, PyAny>>,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let Plan { format: arrow, length, source } = plan;
    let held = match (source, values) {
        (Source::Bitmap(bits), _) => Held::Bitmap(bits),
        (_, Some(values)) => {
            // SAFETY: `Py_buffer` is a C struct for which all-zero is a valid (empty) value.
            let mut buffer: Box<ffi::Py_buffer> = Box::new(unsafe { std::mem::zeroed() });
            // SAFETY: a live object, the interpreter attached; the buffer is boxed, so it
            // stays at its address until it is released.
            if unsafe { ffi::PyObject_GetBuffer(values.as_ptr(), &mut *buffer, ffi::PyBUF_RECORDS_RO) } != 0 {
                return Err(PyErr::fetch(py));
            }
            Held::Buffer(buffer)
        }
        (_, None) => return Err(PyBufferError::new_err("an Arrow export without its values")),
    };
    let data = match &held {
        Held::Buffer(b) => b.buf.cast_const(),
        Held::Bitmap(bits) => bits.as_ptr().cast(),
    };
    let mut ctx = Box::new(ArrayContext { held, buffers: [std::ptr::null(), data] });
    let buffers = ctx.buffers.as_mut_ptr();
    let array = Box::new(ArrowArray {
        length,
        null_count: 0,
        offset: 0,
        n_buffers: 2,
        n_children: 0,
        buffers,
        children: std::ptr::null_mut(),
        dictionary: std::ptr::null_mut(),
        release: Some(release_array),
        private_data: Box::into_raw(ctx).cast(),
    });
    let schema = Box::new(ArrowSchema {
        format: arrow.as_ptr(),
        name: c"".as_ptr(),
        metadata: std::ptr::null(),
        flags: NULLABLE,
        n_children: 0,
        children: std::ptr::null_mut(),
        dictionary: std::ptr::null_mut(),
        release: Some(release_schema),
        private_data: std::ptr::null_mut(),
    });
    // The array first: if its capsule cannot be made, it is released there and then.
    let array = capsule(py, array, ARRAY, array_capsule_destructor)?;
    let schema = capsule(py, schema, SCHEMA, schema_capsule_destructor)?;
    Ok((schema, array))
}

// ----- import -----

/// An Arrow primitive array moved out of its capsule: an exporter of its values, read-only;
/// the producer's `release` runs once, when this value drops (after every view of it).
pub(crate) struct ArrowImport {
    array: Box<ArrowArray>,
    region: NonNull<u8>,
    len: usize,
    itemsize: usize,
    format: &'static str,
}

// SAFETY: the producer keeps the values valid and unwritten (Arrow arrays are immutable)
// until `release`, which runs when this value drops, after every view of it (views hold
// their exporter); `region` and `len` were checked by `import` to span exactly the array's
// `length` values from its `offset`; the export is read-only.
unsafe impl Exporter for ArrowImport {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, CoreBufferError> {
        let n = self.len / self.itemsize;
        let layout = StridedLayout::contiguous(self.itemsize, &[n])?;
        // SAFETY: promise 1 as argued at the impl; no suboffsets.
        unsafe { BufferInfo::new(self.region, self.len, layout, self.format, true, flags) }
    }

    fn frozen(&self) -> bool {
        true
    }
}

impl Drop for ArrowImport {
    fn drop(&mut self) {
        let p: *mut ArrowArray = &mut *self.array;
        // SAFETY: the array is ours alone (moved out of its capsule); released once, here.
        if let Some(release) = unsafe { (*p).release } {
            Python::attach(|_| {
                // SAFETY: as above: the producer's callback, called once with its array.
                unsafe { release(p) };
            });
        }
    }
}

fn refuse(why: impl Into<String>) -> PyErr {
    PyBufferError::new_err(why.into())
}

/// `memview.memoryview(x)` for an object with `__arrow_c_array__`: a read-only view of its
/// values, without a copy.
pub(crate) fn import(obj: &Bound<'_, PyAny>) -> PyResult<memview::MemoryView<'static>> {
    let pair = obj.call_method0("__arrow_c_array__")?;
    let (schema, array): (Bound<'_, PyAny>, Bound<'_, PyAny>) = pair
        .extract()
        .map_err(|_| PyTypeError::new_err("__arrow_c_array__ must return a (schema, array) pair of capsules"))?;
    // SAFETY: live objects, the interpreter attached.
    let valid = |c: &Bound<'_, PyAny>, name: &CStr| unsafe { ffi::PyCapsule_IsValid(c.as_ptr(), name.as_ptr()) } == 1;
    if !valid(&schema, SCHEMA) || !valid(&array, ARRAY) {
        return Err(PyTypeError::new_err(
            "__arrow_c_array__ must return an 'arrow_schema' and an 'arrow_array' capsule",
        ));
    }
    // SAFETY: valid under this name (checked): the producer's schema, live while the capsule
    // is (we hold it); it is read, never moved (its capsule releases it).
    let s = unsafe { ffi::PyCapsule_GetPointer(schema.as_ptr(), SCHEMA.as_ptr()) }.cast::<ArrowSchema>();
    if s.is_null() {
        return Err(refuse("an Arrow schema capsule holding no schema"));
    }
    // SAFETY: as above.
    let s = unsafe { &*s };
    if s.release.is_none() {
        return Err(refuse("an Arrow schema that was already released"));
    }
    if s.format.is_null() {
        return Err(refuse("an Arrow schema without a format"));
    }
    // SAFETY: the interface's format is a NUL-terminated string, live with the schema.
    let arrow = unsafe { CStr::from_ptr(s.format) };
    let Some(&(_, format, itemsize)) = TYPES.iter().find(|(a, _, _)| *a == arrow) else {
        let shown = arrow.to_string_lossy();
        return Err(refuse(if shown == "b" {
            "an Arrow boolean array holds bits, which no memoryview format describes (cast it to uint8 first)"
                .to_owned()
        } else {
            format!("memview views Arrow primitive arrays of numbers; this one's format is {shown:?}")
        }));
    };
    if s.n_children != 0 || !s.dictionary.is_null() {
        return Err(refuse("a nested or dictionary-encoded Arrow array has no memoryview"));
    }
    // SAFETY: valid under this name (checked).
    let a = unsafe { ffi::PyCapsule_GetPointer(array.as_ptr(), ARRAY.as_ptr()) }.cast::<ArrowArray>();
    if a.is_null() {
        return Err(refuse("an Arrow array capsule holding no array"));
    }
    // SAFETY: the producer's array, live while its capsule is; only read here.
    let r = unsafe { &*a };
    if r.release.is_none() {
        return Err(refuse("an Arrow array that was already released (its capsule was consumed)"));
    }
    let (data, len) = checked_values(r, itemsize)?;
    // Move it out: the capsule's copy is marked released, so its destructor leaves it alone.
    // SAFETY: a live array (above); after the copy, the capsule's structure only frees itself.
    let moved = Box::new(unsafe { std::ptr::read(a) });
    // SAFETY: as above: the interface's move is a copy and a cleared `release`.
    unsafe { (*a).release = None };
    let exporter = ArrowImport { array: moved, region: data, len, itemsize, format };
    memview::MemoryView::new(exporter).map_err(crate::convert::view_err)
}

/// The first value's address and the values' byte length of a producer's primitive array,
/// after checking what the interface lets a producer get wrong: counts, buffers, nulls.
fn checked_values(r: &ArrowArray, itemsize: usize) -> PyResult<(NonNull<u8>, usize)> {
    if r.n_children != 0 || !r.dictionary.is_null() {
        return Err(refuse("a nested or dictionary-encoded Arrow array has no memoryview"));
    }
    if r.n_buffers != 2 || r.buffers.is_null() {
        return Err(refuse("an Arrow primitive array has two buffers (validity, values)"));
    }
    let length = usize::try_from(r.length).map_err(|_| refuse("a negative Arrow array length"))?;
    let offset = usize::try_from(r.offset).map_err(|_| refuse("a negative Arrow array offset"))?;
    let end = offset.checked_add(length).ok_or_else(|| refuse("an Arrow array's offset and length overflow"))?;
    let len = length
        .checked_mul(itemsize)
        .filter(|&n| end.checked_mul(itemsize).is_some_and(|e| isize::try_from(e).is_ok()) && n <= isize::MAX as usize)
        .ok_or_else(|| refuse("an Arrow array too large for memory"))?;
    // SAFETY: `n_buffers` is 2 and `buffers` non-null: two pointers, as the interface says.
    let pair = unsafe { std::slice::from_raw_parts(r.buffers, 2) };
    let (validity, values) = (pair[0], pair[1]);
    if r.null_count != 0 && length > 0 {
        let no_nulls = r.null_count == -1 && {
            if validity.is_null() {
                true
            } else {
                // SAFETY: a validity bitmap holds at least `offset + length` bits.
                let bits = unsafe { std::slice::from_raw_parts(validity.cast::<u8>(), end.div_ceil(8)) };
                (offset..end).all(|i| bits[i / 8] & (1 << (i % 8)) != 0)
            }
        };
        if !no_nulls {
            return Err(refuse(
                "an Arrow array with nulls has no memoryview (fill them first, pyarrow.compute.fill_null)",
            ));
        }
    }
    let data = match NonNull::new(values.cast_mut().cast::<u8>()) {
        // SAFETY: the values buffer holds at least `offset + length` items (the interface's
        // promise); the first viewed one is `offset` items in, within that allocation.
        Some(p) => unsafe { p.add(offset * itemsize) },
        None if length == 0 => NonNull::dangling(),
        None => return Err(refuse("an Arrow array without a values buffer")),
    };
    Ok((data, len))
}
