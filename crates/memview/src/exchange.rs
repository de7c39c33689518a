//! Views and foreign descriptors: the `unsafe` promises of the buffer protocol at the edges
//! of a view (views of raw memory and of descriptors someone else filled, and views as
//! exporters). No memory is touched here.

use crate::items::ItemCodec;
use crate::raw::{CountedHead, LentRun, Proven};
use crate::{MemoryView, ViewError};
use buffer_protocol::{Access, BufferInfo, Exporter, Flags};
use std::ptr::NonNull;

impl<'a> MemoryView<'a> {
    /// A view of raw memory (`PyMemoryView_FromMemory`): format `"B"`, read-only for
    /// [`Access::Read`].
    ///
    /// # Safety
    ///
    /// The promises of [`RawMemory::new`](buffer_protocol::RawMemory::new) for the lifetime `'a` of the view and of every view
    /// derived from it: `ptr` valid for `len` bytes (writable with `Access::Write`), and no
    /// other access to the memory meanwhile.
    ///
    /// ```
    /// use memview::{Access, MemoryView};
    /// let mut data = *b"abc";
    /// // SAFETY: `data` outlives the view and is not used while the view lives.
    /// let v = unsafe { MemoryView::from_memory(data.as_mut_ptr(), 3, Access::Read) };
    /// assert!(v.readonly());
    /// assert!(v.set(0, 0).is_err());
    /// ```
    pub unsafe fn from_memory(ptr: *mut u8, len: usize, access: Access) -> MemoryView<'a> {
        // SAFETY: the caller's promises are those of `from_raw_parts` for bytes.
        crate::view::total(unsafe { MemoryView::from_raw_parts(ptr, len, 1, "B", access) })
    }

    /// A view of `len` adjacent items of `itemsize` bytes at `ptr`, with the format
    /// `format`: what `memoryview` of a 1-D contiguous exporter gives, for memory that an
    /// owner outside the view keeps alive (an extension's own array, a buffer a binding holds
    /// for as long as its views live). There is no acquisition to count or release.
    ///
    /// A format whose size is not `itemsize` gives a view whose items cannot be read
    /// (`NotImplementedError`), as for any exporter; its bytes can.
    ///
    /// # Safety
    ///
    /// For the lifetime `'a` of the view and of every view derived from it: `ptr` is valid
    /// for reads of `len * itemsize` bytes, and for writes with [`Access::Write`]; nothing
    /// else writes the memory meanwhile, and with `Access::Write` nothing else reads it
    /// either, except through views of this one. A null `ptr` is allowed only with `len == 0`.
    ///
    /// # Errors
    ///
    /// `ValueError` (`LayoutError`) for an `itemsize` of 0 or more than `isize::MAX` bytes.
    ///
    /// ```
    /// use memview::{Access, MemoryView};
    /// let mut data = [1.5f64, -2.0];
    /// // SAFETY: `data` outlives the view and is used only through it meanwhile.
    /// let v = unsafe { MemoryView::from_raw_parts(data.as_mut_ptr().cast(), 2, 8, "d", Access::Write) }.unwrap();
    /// assert_eq!((v.format(), v.shape(), v.readonly()), ("d", &[2][..], false));
    /// v.set(1, 4.0).unwrap();
    /// drop(v);
    /// assert_eq!(data, [1.5, 4.0]);
    /// ```
    #[inline]
    pub unsafe fn from_raw_parts(
        ptr: *mut u8,
        len: usize,
        itemsize: usize,
        format: &'static str,
        access: Access,
    ) -> Result<MemoryView<'a>, ViewError> {
        let run = raw_run(ptr, len, itemsize, format, access);
        // The codec is made after the proof here (`of_lent`): for a view lent for one call
        // (`with_buffer`) that order compiles to fewer stalled copies than the one
        // `from_owner_raw_parts` uses (21.0 ns against 24.5 ns, criterion).
        // SAFETY: the caller's promises are those of `Proven::lent`, with nothing frozen.
        Ok(MemoryView::of_lent(unsafe { Proven::lent(run) }?, format))
    }

    /// A view of `len` adjacent items of `itemsize` bytes at `ptr` that `owner` keeps alive:
    /// [`from_raw_parts`](Self::from_raw_parts) for memory whose owner the views hold. The
    /// view and every view derived from it share `owner` (one allocation, no acquisition,
    /// no descriptor), and it is dropped when the last of them is: a buffer an extension
    /// imported and must release, a mapped file, a foreign allocation with its own free.
    ///
    /// # Safety
    ///
    /// The promises of [`from_raw_parts`](Self::from_raw_parts), for as long as `owner` lives
    /// (and no longer than `'a`): `ptr` is valid for reads of `len * itemsize` bytes, and for
    /// writes with [`Access::Write`]; nothing else writes the memory meanwhile, and with
    /// `Access::Write` nothing else reads it either, except through views of this one.
    /// Moving `owner` must not move or free the memory: it lies behind a pointer the owner
    /// holds (a `Vec`'s heap block, a mapping, a foreign handle), or outside the owner
    /// altogether. (A `Box` is not such an owner under Rust's aliasing rules: moving it
    /// asserts unique access to its contents, which invalidates `ptr`.)
    ///
    /// # Errors
    ///
    /// As [`from_raw_parts`](Self::from_raw_parts); `owner` is dropped before the error is
    /// returned.
    ///
    /// ```
    /// use memview::{Access, MemoryView};
    /// let mut data: Vec<u16> = vec![1, 2, 3];
    /// let ptr = data.as_mut_ptr().cast::<u8>();
    /// // SAFETY: the `Vec` owns the items and is the views' owner: moving it moves no item,
    /// // and nothing else touches them while the views live.
    /// let v = unsafe { MemoryView::from_owner_raw_parts(data, ptr, 3, 2, "H", Access::Write) }.unwrap();
    /// let tail = v.slice(1..).unwrap();
    /// drop(v); // the `Vec` lives on in `tail`
    /// tail.set(0, 20u16).unwrap();
    /// assert_eq!(tail.to_list().unwrap().to_string(), "[20, 3]");
    /// ```
    #[inline]
    pub unsafe fn from_owner_raw_parts<O: 'a>(
        owner: O,
        ptr: *mut u8,
        len: usize,
        itemsize: usize,
        format: &'static str,
        access: Access,
    ) -> Result<MemoryView<'a>, ViewError> {
        MemoryView::of_held_run(raw_run(ptr, len, itemsize, format, access), |run| {
            // SAFETY: the caller's promises are those of `Proven::kept`, with nothing frozen.
            unsafe { Proven::kept(run, owner) }
        })
    }

    /// A view of `len` adjacent items of `itemsize` bytes at `ptr`, kept alive by an owner
    /// that lives in a block which counts its views itself: [`from_owner_raw_parts`]
    /// without the `Rc` that function allocates, for an owner that has an allocation of
    /// its own anyway (a binding's imported `Py_buffer`, in the interpreter's allocator).
    /// The block starts with a [`CountedHead`] holding the one reference handed over here;
    /// every view derived from the result counts in it, and the head's `free` runs when the
    /// last goes.
    ///
    /// # Safety
    ///
    /// * `head` points to a live `CountedHead` (the start of the block) that holds the
    ///   reference handed over; the block stays live and unmoved, and nothing but views of
    ///   this run reads or changes the head, until `free` is called; `free` may then be
    ///   called with `head` (typically it drops the owner and frees the block).
    /// * The promises of [`from_raw_parts`](Self::from_raw_parts), for as long as the block
    ///   lives (and no longer than `'a`): `ptr` is valid for reads of `len * itemsize`
    ///   bytes, and for writes with [`Access::Write`]; nothing else writes the memory
    ///   meanwhile, and with `Access::Write` nothing else reads it either, except through
    ///   views of this one.
    ///
    /// # Errors
    ///
    /// As [`from_raw_parts`](Self::from_raw_parts); the reference is given back first (and
    /// `free` runs, if it was the last).
    ///
    /// [`from_owner_raw_parts`]: Self::from_owner_raw_parts
    ///
    /// ```
    /// use memview::{Access, CountedHead, MemoryView};
    /// use std::ptr::NonNull;
    ///
    /// #[repr(C)]
    /// struct Block {
    ///     head: CountedHead, // first: a pointer to the head is a pointer to the block
    ///     items: Vec<u16>,
    /// }
    /// unsafe fn free(head: NonNull<CountedHead>) {
    ///     // SAFETY (of the caller): the block came from `Box::into_raw` below.
    ///     drop(unsafe { Box::from_raw(head.cast::<Block>().as_ptr()) });
    /// }
    /// let block = Box::into_raw(Box::new(Block { head: CountedHead::new(free), items: vec![1, 2, 3] }));
    /// // SAFETY: the block is live until `free`, which the views call; nothing else reads
    /// // the head or touches the items meanwhile; `ptr` is the items' (in their own heap
    /// // block, valid for 6 bytes).
    /// let v = unsafe {
    ///     let ptr = (*block).items.as_mut_ptr().cast::<u8>();
    ///     MemoryView::from_counted_raw_parts(NonNull::new_unchecked(block).cast(), ptr, 3, 2, "H", Access::Write)
    /// }
    /// .unwrap();
    /// let tail = v.slice(1..).unwrap();
    /// drop(v); // the block lives on in `tail`
    /// tail.set(0, 20u16).unwrap();
    /// assert_eq!(tail.to_list().unwrap().to_string(), "[20, 3]");
    /// drop(tail); // the last view: `free` runs
    /// ```
    #[inline]
    pub unsafe fn from_counted_raw_parts(
        head: NonNull<CountedHead>,
        ptr: *mut u8,
        len: usize,
        itemsize: usize,
        format: &'static str,
        access: Access,
    ) -> Result<MemoryView<'a>, ViewError> {
        MemoryView::of_held_run(raw_run(ptr, len, itemsize, format, access), |run| {
            // SAFETY: the caller's promises are those of `Proven::counted`, with nothing frozen.
            unsafe { Proven::counted(run, head) }
        })
    }

    /// A view of a run whose holder `prove` makes (kept or counted), the codec made before
    /// the proof, which then goes into the view with no call in between.
    #[inline(always)]
    fn of_held_run(
        run: LentRun,
        prove: impl FnOnce(LentRun) -> Result<Proven<'a>, ViewError>,
    ) -> Result<MemoryView<'a>, ViewError> {
        let (format, codec) = (run.format, ItemCodec::for_exporter(run.format, run.itemsize));
        Ok(MemoryView::of_lent_codec(prove(run)?, format, codec))
    }

    /// A view of a descriptor someone else filled (`PyMemoryView_FromBuffer`); there is no
    /// exporter to release.
    ///
    /// # Safety
    ///
    /// The memory the descriptor describes must stay valid, as [`BufferInfo::new`] requires,
    /// for the lifetime `'a` of the view and of every view derived from it.
    pub unsafe fn from_buffer(info: BufferInfo) -> Result<MemoryView<'a>, ViewError> {
        struct Borrowed(BufferInfo);
        // SAFETY: the caller promises the descriptor's memory stays valid for `'a`, which
        // bounds the life of this exporter (it is owned by the view).
        unsafe impl Exporter for Borrowed {
            fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, buffer_protocol::BufferError> {
                let i = &self.0;
                // SAFETY: the same memory under the same caller promise.
                unsafe {
                    BufferInfo::new(
                        i.region_ptr(),
                        i.region_len(),
                        i.layout().clone(),
                        i.exporter_format().to_owned(),
                        i.readonly(),
                        flags,
                    )
                }
            }
        }
        MemoryView::new(Borrowed(info))
    }
}

// SAFETY: a view's memory stays valid while its acquisition lives, and the view
// holds it; a live export keeps the view from being released (`release` refuses while
// `exports > 0`), and a borrowed view cannot be dropped while borrowed. The descriptor copies
// the view's proven layout (see `raw::Proven::descriptor`) and its read-only flag.
unsafe impl Exporter for MemoryView<'_> {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, buffer_protocol::BufferError> {
        let out = self.descriptor(flags)?;
        // `memory_getbuf` refuses `FORMAT` without `ND` whatever the format (only
        // `PyBuffer_FillInfo` exporters such as `bytes` serve it for plain bytes).
        if flags.has(Flags::FORMAT) && !flags.has(Flags::ND) {
            return Err(buffer_protocol::BufferError::FormatWithoutNd);
        }
        // A count that cannot grow refuses the export: the view must never be released
        // while an export it did not count lives.
        let exports = self.live.exports.get().checked_add(1).ok_or(strided::LayoutError::Overflow("exports"))?;
        self.live.exports.set(exports);
        Ok(out)
    }

    unsafe fn release_buffer(&self, _info: &BufferInfo) {
        self.live.exports.set(self.live.exports.get().saturating_sub(1));
    }

    fn frozen(&self) -> bool {
        self.exporter().frozen()
    }
}

/// The run of `len` items of `itemsize` bytes at `ptr` that the raw-parts constructors
/// describe (nothing frozen; a null `ptr` becomes a dangling one, for an empty run).
#[inline]
fn raw_run(ptr: *mut u8, len: usize, itemsize: usize, format: &'static str, access: Access) -> LentRun {
    LentRun {
        base: NonNull::new(ptr).unwrap_or(NonNull::dangling()),
        count: len,
        itemsize,
        format,
        readonly: !access.is_writable(),
        frozen: false,
    }
}
