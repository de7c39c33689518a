//! The exporter trait and the exporters of the memory Rust programs have.

use crate::{Access, BufferError, BufferInfo, Flags};
use std::cell::{Cell, UnsafeCell};
use std::marker::PhantomData;
use std::ptr::NonNull;
use strided::StridedLayout;

/// An object that exports its memory through the buffer protocol (`bf_getbuffer` and
/// `bf_releasebuffer`).
///
/// # Safety
///
/// An implementation promises that every [`BufferInfo`] it returns keeps the promises of
/// [`BufferInfo::new`] from the moment it is returned until `release_buffer` is called with it
/// or, if it never is, for as long as the exporter is borrowed or owned by the consumer. In
/// particular the memory must not move, shrink or be freed in that time (count exports and
/// refuse, as [`ByteArray`] does, if it could). An implementation whose
/// [`frozen`](Exporter::frozen) returns `true` also promises that nothing writes that memory,
/// through any descriptor or any other way, for as long as the exporter is borrowed or owned
/// by the consumer.
///
/// Implemented for `[T]`, `[T; N]`, `Vec<T>`, `Box<[T]>`, `Arc<[T]>` and `Rc<[T]>` of
/// numbers (read-only), [`MutSlice`], [`RawMemory`], [`ByteArray`], [`NdArray`](crate::NdArray),
/// references to any exporter, and memview's `MemoryView`.
///
/// ```
/// use buffer_protocol::{Exporter, Flags};
/// let data = vec![1u8, 2, 3];
/// let info = data.get_buffer(Flags::FULL_RO).unwrap();
/// assert_eq!(info.len(), 3);
/// // SAFETY: `info` came from `data.get_buffer` and is released once.
/// unsafe { data.release_buffer(&info) };
/// ```
pub unsafe trait Exporter {
    /// Answers a request: a descriptor holding what `flags` asked for, or the `BufferError`
    /// CPython's exporters give where they refuse.
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError>;

    /// Ends one export (`bf_releasebuffer`). Exporters that count their exports (to refuse
    /// resizing, as [`ByteArray`] does) count them down here.
    ///
    /// # Safety
    ///
    /// 1. `info` was returned by `self.get_buffer`, and is released only once.
    /// 2. Nothing uses the memory through `info` (or anything derived from it) afterwards.
    ///
    /// An extra release would let a counting exporter free or move memory that another
    /// consumer still uses; [`get_buffer`] and memview's views keep these promises for you.
    unsafe fn release_buffer(&self, _info: &BufferInfo) {}

    /// Whether the exported memory is frozen: nothing writes it, through this exporter or any
    /// other way, for as long as the exporter is borrowed or owned by the consumer. Consumers
    /// may then hand out shared Rust references to it (memview's zero-copy `ndarray` views).
    /// Returning `true` is a promise covered by the trait's safety contract; the default is
    /// `false`.
    ///
    /// ```
    /// use buffer_protocol::{ByteArray, Exporter};
    /// assert!([1u8, 2].frozen());                  // a shared borrow: immutable
    /// assert!(!ByteArray::from(vec![1, 2]).frozen()); // writable exports may exist
    /// ```
    fn frozen(&self) -> bool {
        false
    }
}

// SAFETY: a reference exports what its referent exports; the referent is borrowed for as long
// as the reference is, so its promises hold for that long.
unsafe impl<E: Exporter + ?Sized> Exporter for &E {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        (**self).get_buffer(flags)
    }
    unsafe fn release_buffer(&self, info: &BufferInfo) {
        // SAFETY: forwarded: the caller's promises are the referent's.
        unsafe { (**self).release_buffer(info) }
    }
    fn frozen(&self) -> bool {
        (**self).frozen()
    }
}

/// A Rust type whose values are items of a buffer: plain numbers, every bit pattern valid.
///
/// # Safety
///
/// Implementors must be `Copy` types without padding for which every bit pattern of
/// `size_of::<Self>()` bytes is a valid value, and `FORMAT` must be the struct format of one
/// item of exactly that size whose bytes mean the value: a native code (`"d"` for `f64`), or
/// a code with an explicit byte order at its standard size ([`Be`](crate::Be) and
/// [`Le`](crate::Le): `">d"`, `"<i"`).
pub unsafe trait Element: Copy + 'static {
    /// The struct format code of the type (`"d"` for `f64`).
    const FORMAT: &'static str;
}

macro_rules! element {
    ($($t:ty => $f:literal),*) => {$(
        // SAFETY: a primitive number type: no padding, every bit pattern valid, and the code
        // has the same native size on x86-64 Linux (checked by a test).
        unsafe impl Element for $t { const FORMAT: &'static str = $f; }
    )*};
}
element!(u8 => "B", i8 => "b", u16 => "H", i16 => "h", u32 => "I", i32 => "i", u64 => "Q", i64 => "q",
         usize => "N", isize => "n", f32 => "f", f64 => "d");

fn contiguous_info<T: Element>(
    ptr: NonNull<T>,
    len: usize,
    readonly: bool,
    flags: Flags,
) -> Result<BufferInfo, BufferError> {
    let size = std::mem::size_of::<T>();
    let layout = StridedLayout::contiguous_1d(size, len)?;
    let bytes = len.checked_mul(size).ok_or(strided::LayoutError::Overflow("nbytes"))?;
    // SAFETY: every caller passes a pointer to `len` initialised `T`s that stay valid and
    // unmoved while the exporter is borrowed (promise 1 of `BufferInfo::new`), writable when
    // `readonly` is false; the layout has no suboffsets (promise 2 is vacuous).
    unsafe { BufferInfo::new(ptr.cast::<u8>(), bytes, layout, T::FORMAT, readonly, flags) }
}

// SAFETY: a shared slice is immutable and lives as long as the borrow of it; the descriptor is
// read-only, so no consumer writes through it.
unsafe impl<T: Element> Exporter for [T] {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        contiguous_info(NonNull::from(self).cast::<T>(), self.len(), true, flags)
    }
    fn frozen(&self) -> bool {
        // Borrowed shared: nothing can write it while the borrow lasts (`T` has no interior
        // mutability: `Element`s are plain numbers).
        true
    }
}

// SAFETY: as for `[T]`: the array is borrowed immutably for as long as the descriptor is used.
unsafe impl<T: Element, const N: usize> Exporter for [T; N] {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        self.as_slice().get_buffer(flags)
    }
    fn frozen(&self) -> bool {
        true
    }
}

// SAFETY: a `Vec` borrowed immutably cannot reallocate; its elements are exported read-only.
unsafe impl<T: Element> Exporter for Vec<T> {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        self.as_slice().get_buffer(flags)
    }
    fn frozen(&self) -> bool {
        true
    }
}

// SAFETY: a boxed slice borrowed immutably cannot change; exported read-only.
unsafe impl<T: Element> Exporter for Box<[T]> {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        (**self).get_buffer(flags)
    }
    fn frozen(&self) -> bool {
        true
    }
}

// SAFETY: the slice behind an `Arc` is immutable and lives while the `Arc` does (the consumer
// owns or borrows it); exported read-only.
unsafe impl<T: Element> Exporter for std::sync::Arc<[T]> {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        (**self).get_buffer(flags)
    }
    fn frozen(&self) -> bool {
        true
    }
}

// SAFETY: as for `Arc<[T]>`: shared ownership of an immutable slice, exported read-only.
unsafe impl<T: Element> Exporter for std::rc::Rc<[T]> {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        (**self).get_buffer(flags)
    }
    fn frozen(&self) -> bool {
        true
    }
}

/// Writable borrowed memory: a `&'a mut [T]` turned exporter. Views of it may write.
///
/// ```
/// use buffer_protocol::{Exporter, Flags, MutSlice};
/// let mut data = [0u8; 4];
/// let exporter = MutSlice::new(&mut data);
/// assert!(!exporter.get_buffer(Flags::WRITABLE).unwrap().readonly());
/// ```
#[derive(Debug)]
pub struct MutSlice<'a, T: Element> {
    ptr: NonNull<T>,
    len: usize,
    _borrow: PhantomData<&'a mut [T]>,
}

impl<'a, T: Element> MutSlice<'a, T> {
    /// Takes the unique borrow of `data` for as long as the exporter lives.
    ///
    /// ```
    /// let mut data = [1u16, 2];
    /// let e = buffer_protocol::MutSlice::new(&mut data);
    /// drop(e);
    /// ```
    pub fn new(data: &'a mut [T]) -> MutSlice<'a, T> {
        MutSlice { len: data.len(), ptr: NonNull::from(data).cast::<T>(), _borrow: PhantomData }
    }
}

impl<'a, T: Element> From<&'a mut [T]> for MutSlice<'a, T> {
    fn from(data: &'a mut [T]) -> Self {
        MutSlice::new(data)
    }
}

// SAFETY: the exporter holds the unique borrow of the slice for `'a`, so nothing but its
// descriptors reads or writes the memory while it lives; the pointer was derived from the
// `&mut` once, so writes through it are allowed; every bit pattern is a valid `T` (`Element`).
unsafe impl<T: Element> Exporter for MutSlice<'_, T> {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        contiguous_info(self.ptr, self.len, false, flags)
    }
}

/// Memory from a raw pointer, as `PyMemoryView_FromMemory` wraps it: format `"B"`, 1-D.
///
/// ```
/// use buffer_protocol::{Access, Exporter, Flags, RawMemory};
/// let mut data = [1u8, 2, 3];
/// // SAFETY: `data` outlives `raw` and is only used through it meanwhile.
/// let raw = unsafe { RawMemory::new(data.as_mut_ptr(), data.len(), Access::Read) };
/// assert!(raw.get_buffer(Flags::WRITABLE).is_err());
/// ```
#[derive(Debug)]
pub struct RawMemory {
    ptr: NonNull<u8>,
    len: usize,
    access: Access,
}

impl RawMemory {
    /// Wraps `len` bytes at `ptr`.
    ///
    /// # Safety
    ///
    /// 1. `ptr` is valid for reads of `len` bytes, and for writes if `access` is
    ///    [`Access::Write`], for as long as this value and every view made of it live.
    /// 2. Meanwhile nothing else writes the memory, and with `Access::Write` nothing else
    ///    reads it either, except through views of this value.
    /// 3. A null `ptr` is allowed only with `len == 0`.
    pub unsafe fn new(ptr: *mut u8, len: usize, access: Access) -> RawMemory {
        let ptr = NonNull::new(ptr).unwrap_or(NonNull::dangling());
        RawMemory { ptr, len, access }
    }
}

// SAFETY: promises 1 and 2 of `RawMemory::new` are promises 1 of `BufferInfo::new`; the
// descriptor is writable only for `Access::Write`; no suboffsets.
unsafe impl Exporter for RawMemory {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        contiguous_info(self.ptr, self.len, !self.access.is_writable(), flags)
    }
}

/// A resizable, owned, writable byte buffer that counts its exports, like Python's
/// `bytearray`: it refuses to resize while any export is alive.
///
/// ```
/// use buffer_protocol::{ByteArray, BufferError, Exporter, Flags};
/// let ba = ByteArray::from(b"abc".to_vec());
/// let info = ba.get_buffer(Flags::WRITABLE).unwrap();
/// assert_eq!(ba.resize(10, 0), Err(BufferError::Exported));
/// // SAFETY: `info` came from `ba.get_buffer` and is released once.
/// unsafe { ba.release_buffer(&info) };
/// assert!(ba.resize(10, 0).is_ok());
/// assert_eq!(ba.len(), 10);
/// ```
#[derive(Debug, Default)]
pub struct ByteArray {
    data: UnsafeCell<Vec<u8>>,
    exports: Cell<usize>,
}

impl From<Vec<u8>> for ByteArray {
    fn from(v: Vec<u8>) -> Self {
        ByteArray { data: UnsafeCell::new(v), exports: Cell::new(0) }
    }
}

impl ByteArray {
    /// An empty byte array.
    ///
    /// ```
    /// assert!(buffer_protocol::ByteArray::new().is_empty());
    /// ```
    pub fn new() -> ByteArray {
        ByteArray::default()
    }

    /// The number of live exports.
    ///
    /// ```
    /// use buffer_protocol::{get_buffer, ByteArray, Flags};
    /// let ba = ByteArray::from(vec![0]);
    /// let held = get_buffer(&ba, Flags::SIMPLE).unwrap();
    /// assert_eq!(ba.exports(), 1);
    /// drop(held);
    /// assert_eq!(ba.exports(), 0);
    /// ```
    pub fn exports(&self) -> usize {
        self.exports.get()
    }

    /// The length in bytes.
    ///
    /// ```
    /// assert_eq!(buffer_protocol::ByteArray::from(vec![1, 2]).len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        // SAFETY: reading the Vec's length field; views only ever write the heap bytes, never
        // the Vec itself, and `resize` (the only writer of the Vec) cannot run concurrently
        // because `ByteArray` is not `Sync`.
        unsafe { (*self.data.get()).len() }
    }

    /// Whether it holds no byte.
    ///
    /// ```
    /// assert!(!buffer_protocol::ByteArray::from(vec![1]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A copy of the bytes.
    ///
    /// ```
    /// assert_eq!(buffer_protocol::ByteArray::from(vec![1, 2]).to_vec(), [1, 2]);
    /// ```
    pub fn to_vec(&self) -> Vec<u8> {
        copy_heap(&self.data)
    }

    /// Resizes to `len` bytes, filling with `value`; refused while exported.
    ///
    /// ```
    /// let ba = buffer_protocol::ByteArray::new();
    /// ba.resize(3, 7).unwrap();
    /// assert_eq!(ba.to_vec(), [7, 7, 7]);
    /// ```
    pub fn resize(&self, len: usize, value: u8) -> Result<(), BufferError> {
        if self.exports.get() > 0 {
            return Err(BufferError::Exported);
        }
        // SAFETY: no export is alive, so no pointer into the heap block is in use; nothing
        // else borrows the Vec (every other method takes it only for the duration of a call,
        // and `ByteArray` is not `Sync`).
        unsafe { (*self.data.get()).resize(len, value) };
        Ok(())
    }
}

// SAFETY: the heap block does not move or shrink while `exports > 0` (`resize` refuses), and
// `exports` counts every descriptor from `get_buffer` until its `release_buffer`; a
// consumer that never releases keeps the array unresizable, which is safe. Writes come only
// through descriptors; the bytes are plain `u8`.
unsafe impl Exporter for ByteArray {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        let (ptr, len) = heap_of(&self.data);
        let info = contiguous_info(ptr, len, false, flags)?;
        self.exports.set(self.exports.get() + 1);
        Ok(info)
    }

    unsafe fn release_buffer(&self, _info: &BufferInfo) {
        self.exports.set(self.exports.get().saturating_sub(1));
    }
}

/// The heap block of a `Vec` that views may be writing: its start and length.
///
/// The owner must never resize or move the Vec while a pointer from here is in use.
pub(crate) fn heap_of(cell: &UnsafeCell<Vec<u8>>) -> (NonNull<u8>, usize) {
    // SAFETY: a momentary `&mut` to the Vec header (not its heap bytes, which views reach only
    // through raw pointers): the owners (`ByteArray`, `NdArray`) are not `Sync` and take the
    // Vec only inside their own methods, none of which is running now, so it is unique.
    let v = unsafe { &mut *cell.get() };
    (NonNull::new(v.as_mut_ptr()).unwrap_or(NonNull::dangling()), v.len())
}

/// A copy of the bytes of a `Vec` that views may have written.
pub(crate) fn copy_heap(cell: &UnsafeCell<Vec<u8>>) -> Vec<u8> {
    let (ptr, len) = heap_of(cell);
    let mut out = vec![0u8; len];
    // SAFETY: `ptr` is the start of `len` initialised bytes (`heap_of`); views write them only
    // through raw pointers and never concurrently with this call (the owners are not `Sync`),
    // and `out` is a fresh allocation, so the ranges do not overlap.
    unsafe { std::ptr::copy_nonoverlapping(ptr.as_ptr(), out.as_mut_ptr(), len) };
    out
}

/// A consumer's hold on an exported buffer: releases it exactly once when dropped
/// (`PyObject_GetBuffer` … `PyBuffer_Release`).
///
/// ```
/// use buffer_protocol::{get_buffer, ByteArray, Flags};
/// let ba = ByteArray::from(vec![1, 2]);
/// {
///     let held = get_buffer(&ba, Flags::CONTIG).unwrap();
///     assert_eq!(held.info().len(), 2);
///     assert_eq!(ba.exports(), 1);
/// }
/// assert_eq!(ba.exports(), 0);
/// ```
pub struct Buffer<'a, E: Exporter + ?Sized> {
    exporter: &'a E,
    info: BufferInfo,
}

impl<E: Exporter + ?Sized> Buffer<'_, E> {
    /// The descriptor.
    ///
    /// ```
    /// let data = [1u8, 2];
    /// let held = buffer_protocol::get_buffer(&data[..], buffer_protocol::Flags::ND).unwrap();
    /// assert_eq!(held.info().shape(), Some(&[2][..]));
    /// ```
    pub fn info(&self) -> &BufferInfo {
        &self.info
    }
}

impl<E: Exporter + ?Sized> Drop for Buffer<'_, E> {
    fn drop(&mut self) {
        // SAFETY: `info` came from this exporter's `get_buffer` (in `get_buffer` below), the
        // hold is dropped once, and the descriptor dies with it.
        unsafe { self.exporter.release_buffer(&self.info) };
    }
}

/// Requests a buffer from an exporter (`PyObject_GetBuffer`); the hold releases it on drop.
///
/// ```
/// let data = vec![0.5f32];
/// let held = buffer_protocol::get_buffer(&data, buffer_protocol::Flags::FORMAT | buffer_protocol::Flags::ND).unwrap();
/// assert_eq!(held.info().format(), Some("f"));
/// ```
pub fn get_buffer<E: Exporter + ?Sized>(exporter: &E, flags: Flags) -> Result<Buffer<'_, E>, BufferError> {
    let info = exporter.get_buffer(flags)?;
    Ok(Buffer { exporter, info })
}
