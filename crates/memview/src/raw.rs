//! The only module of this crate that turns layouts into memory accesses (with
//! `memview::typed`, which reads `T`s through the same proof): one acquisition of an exporter,
//! the [`Proven`] layouts over it, and every read, write, pointer load and short-lived byte
//! slice of exporter memory.
//!
//! # The layout proof
//!
//! A [`Proven`] is a layout together with the acquisition it was proven against. Its fields
//! are private to this module and it is made in three ways only, each of which proves that
//! every byte the layout reaches is a byte the exporter promised:
//!
//! 1. [`Proven::acquire`]: the exporter's own layout (its direct part is checked against the
//!    memory block here, the pointers of an indirect one are the exporter's promise 2), or,
//!    for a request without `FORMAT` or `ND`, the same bytes seen as bytes: never a
//!    flattening that walks past the items, never a pointer table as data.
//! 2. [`Proven::select`]: a selection of the items of another `Proven` (a key, a slice, a
//!    permutation). Every item of the result is an item of the source, so pointer dimensions
//!    keep their meaning: they are never indexed away, moved, or given a suboffset below zero
//!    (checked after the layout math, whatever the math did).
//! 3. [`Proven::reinterpret`]: any other layout (casts, reshapes, field views, item bytes) over
//!    a *direct* acquisition, checked against the memory block. Indirect acquisitions are
//!    refused: their memory block is a pointer table.
//!
//! Every access below takes a `Proven` and in-range indices, so an unchecked layout cannot
//! reach memory.
//!
//! # The aliasing rule (hard question 1)
//!
//! Views never hold Rust references to the memory they describe: two writable views of the
//! same bytes may coexist, as in Python. A reference (`&[u8]` or `&mut [u8]`) over a memory
//! block is made only inside one call of this module and dropped before it returns, and no
//! call runs user code or another view's code in between. Since views are neither `Send` nor
//! `Sync`, no other thread can touch the block meanwhile (hard question 2), so such a reference
//! is the only one in use while it lives. Exporters promise (the `Exporter` safety contract)
//! that nothing else writes the block while it is exported.

use crate::ViewError;
use buffer_protocol::{BufferError, BufferInfo, Exporter, Flags};
use smallvec::SmallVec;
use std::borrow::Cow;
use std::cell::{Cell, OnceCell};
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::rc::Rc;
use strided::{Index, LayoutError, Order, Slice, StridedLayout};

/// One acquisition of an exporter, shared by every view derived from it (CPython's managed
/// buffer), in one allocation with the exporter itself. The exporter's release runs exactly
/// once, when the last view lets go.
pub(crate) struct Acquisition<E: ?Sized + Exporter> {
    /// The descriptor, set once, right after the exporter is in its final place.
    info: OnceCell<BufferInfo>,
    /// Last, so that `Rc<Acquisition<E>>` coerces to `Rc<Acquisition<dyn Exporter>>`. The
    /// exporter is put in place before it exports and never moves again (an owned array
    /// exporter moved after `get_buffer` would leave the descriptor pointing at its old place).
    exporter: E,
}

impl<E: Exporter> Acquisition<E> {
    /// A new acquisition of the exporter `make` returns, with no descriptor yet, written in
    /// its final place. `Rc::new` builds the value first and copies all of it into the
    /// allocation, the empty descriptor's 152 bytes included (`perf`: 15% of an import from
    /// Python in `memmove`), and an exporter built before the allocation was copied with
    /// wide loads across its narrow stores (a store-forwarding stall). Made after the
    /// allocation, the exporter and the empty cell's tag are stored straight into it.
    #[inline]
    fn shared(make: impl FnOnce() -> E) -> Rc<Acquisition<E>> {
        let mut rc = Rc::<Acquisition<E>>::new_uninit();
        match Rc::get_mut(&mut rc) {
            Some(place) => {
                place.write(Acquisition { info: OnceCell::new(), exporter: make() });
                // SAFETY: the whole value was written just above.
                unsafe { rc.assume_init() }
            }
            // Never taken: a new `Rc` has no other strong or weak reference.
            None => Rc::new(Acquisition { info: OnceCell::new(), exporter: make() }),
        }
    }
}

/// An acquisition shared by views, whatever its exporter's type.
type Shared<'a> = Rc<Acquisition<dyn Exporter + 'a>>;

/// What holds the memory of a proven layout.
enum Holder<'a> {
    /// A counted acquisition of an exporter, released when the last view of it goes.
    Shared(Shared<'a>),
    /// A run of items lent for `'a` by a borrow, or by an owner that outlives the views
    /// (see [`Proven::lent`]): nothing to count, nothing to release.
    Lent(Lent),
    /// A run of items whose owner lives in a block that counts its views itself (see
    /// [`Proven::counted`]), freed when the last view goes.
    Counted(Counted),
    /// Another view's holder, which that view keeps while this proof lives (see
    /// [`Proven::borrowed`]): nothing to count, and a clone is a clone of that holder, so no
    /// proof made from this one outlives the borrow. Never points to another `Borrowed`.
    Borrowed(NonNull<Holder<'a>>),
}

impl<'a> Holder<'a> {
    /// The holder that owns the memory: this one, or the one a borrowed holder points to.
    #[inline]
    fn owner(&self) -> &Holder<'a> {
        match self {
            // SAFETY: `Proven::borrowed`'s caller keeps the view that owns the pointed-to
            // holder alive, unmoved and unchanged while this proof lives, and `self` is
            // borrowed from this proof, so the holder is live for the returned borrow.
            Holder::Borrowed(owner) => unsafe { owner.as_ref() },
            owned => owned,
        }
    }
}

impl Clone for Holder<'_> {
    /// A new reference to the memory's owner: a borrowed holder's clone is its owner's, so
    /// the clone needs no borrow.
    #[inline]
    fn clone(&self) -> Self {
        match self.owner() {
            Holder::Shared(acq) => Holder::Shared(Rc::clone(acq)),
            Holder::Lent(lent) => Holder::Lent(*lent),
            Holder::Counted(counted) => Holder::Counted(counted.clone()),
            // Unreachable (an owner is never borrowed); cloning the pointer is still sound
            // under the same borrow.
            Holder::Borrowed(owner) => Holder::Borrowed(*owner),
        }
    }
}

/// The head of a block of memory that the views of a run count themselves: the owner of
/// the run lives in the block, after this head, in whatever allocator the owner's code uses
/// (a binding's imported buffer in the interpreter's own allocator, for one), and the
/// block's `free` runs when the last view lets go. See
/// [`MemoryView::from_counted_raw_parts`](crate::MemoryView::from_counted_raw_parts).
///
/// The count is not atomic: views are neither `Send` nor `Sync`, so every view of a block
/// lives on one thread. A count that would pass `usize::MAX` stays there, and the block is
/// then never freed (a leak, never a use after free; no program holds that many views).
///
/// ```
/// use memview::CountedHead;
/// use std::ptr::NonNull;
/// // A block holding only its head, in a `Box`.
/// unsafe fn free(head: NonNull<CountedHead>) {
///     // SAFETY (of the caller): `head` is the pointer `Box::into_raw` gave.
///     drop(unsafe { Box::from_raw(head.as_ptr()) });
/// }
/// let head = Box::new(CountedHead::new(free));
/// assert_eq!(head.count(), 1);
/// // Views made with `MemoryView::from_counted_raw_parts(NonNull::from(Box::leak(head)), ..)`
/// // would free it with the last of them.
/// ```
#[repr(C)]
pub struct CountedHead {
    count: Cell<usize>,
    free: unsafe fn(NonNull<CountedHead>),
    /// What the run was lent as, set when the first view is made (kept here rather than in
    /// every view, which stays within its size).
    lent: Cell<Option<Lent>>,
}

impl CountedHead {
    /// A head holding one reference, which the block's maker hands to a view; `free`
    /// releases the block (the owner after the head and the memory of the block itself)
    /// when the count falls to zero. It is called with the pointer the view was given.
    ///
    /// ```
    /// # use std::ptr::NonNull;
    /// unsafe fn never(_: NonNull<memview::CountedHead>) {}
    /// assert_eq!(memview::CountedHead::new(never).count(), 1);
    /// ```
    pub const fn new(free: unsafe fn(NonNull<CountedHead>)) -> CountedHead {
        CountedHead { count: Cell::new(1), free, lent: Cell::new(None) }
    }

    /// How many references (views) the block has.
    ///
    /// ```
    /// # use std::ptr::NonNull;
    /// unsafe fn never(_: NonNull<memview::CountedHead>) {}
    /// assert_eq!(memview::CountedHead::new(never).count(), 1);
    /// ```
    pub fn count(&self) -> usize {
        self.count.get()
    }
}

impl std::fmt::Debug for CountedHead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CountedHead").field("count", &self.count.get()).finish_non_exhaustive()
    }
}

/// One reference to a counted block.
struct Counted {
    /// Live while this reference is (the promise of `Proven::counted`'s caller).
    head: NonNull<CountedHead>,
}

impl Counted {
    /// What the run was lent as (set by `Proven::counted` before any view was made).
    fn lent(&self) -> Option<Lent> {
        // SAFETY: as in `clone`.
        unsafe { self.head.as_ref() }.lent.get()
    }
}

impl Clone for Counted {
    fn clone(&self) -> Counted {
        // SAFETY: the block lives while a reference to it does (this one), and nothing holds
        // a `&mut` to its head (views reach it only through this type, on one thread).
        let head = unsafe { self.head.as_ref() };
        head.count.set(head.count.get().saturating_add(1));
        Counted { head: self.head }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        // SAFETY: as in `clone`.
        let head = unsafe { self.head.as_ref() };
        let (count, free) = (head.count.get(), head.free);
        // A saturated count has lost increments: the block is kept for good.
        if count == usize::MAX {
            return;
        }
        let left = count.saturating_sub(1);
        head.count.set(left);
        if left == 0 {
            // SAFETY: the last reference goes: no view reaches the block or its memory any
            // more, and `free` is called once, with the pointer the block's maker handed
            // over, as `Proven::counted`'s caller promised it may be.
            unsafe { free(self.head) };
        }
    }
}

/// What a lent run keeps beside its region (its first byte and length are the region's):
/// the format and size of its items. The `'a` of the borrow is carried by [`Proven`].
#[derive(Debug, Clone, Copy)]
struct Lent {
    format: &'static str,
    itemsize: usize,
}

/// A proven layout of a lent run, seen as the run's exporter (`obj`): it exports the whole
/// run, 1-D, as it was lent. `repr(transparent)`, so a `&Proven` is a `&LentExporter`.
#[repr(transparent)]
struct LentExporter<'a>(Proven<'a>);

impl<'a> LentExporter<'a> {
    fn of<'p>(view: &'p Proven<'a>) -> &'p LentExporter<'a> {
        // SAFETY: `LentExporter` is a `repr(transparent)` wrapper of `Proven`, so the two
        // types have one layout and the reference stays valid for the same borrow.
        unsafe { &*(view as *const Proven<'a>).cast::<LentExporter<'a>>() }
    }
}

impl Lent {
    /// The whole run, 1-D, as it was lent, for a request with `flags`.
    ///
    /// # Safety
    /// `region` is the run's, and its memory is valid as `BufferInfo::new` requires
    /// (promise 1) while the result is used.
    unsafe fn export(&self, region: Region, readonly: bool, flags: Flags) -> Result<BufferInfo, BufferError> {
        let layout = StridedLayout::contiguous_1d(self.itemsize, region.len / self.itemsize)?;
        let base = NonNull::new(region.base).ok_or(BufferError::NotContiguous)?;
        // SAFETY: the caller's promise; the layout is the region's, so promise 2 is vacuous.
        unsafe { BufferInfo::new(base, region.len, layout, self.format, readonly, flags) }
    }
}

/// The exporter of a kept run (see [`Proven::kept`]): the run, and the owner that keeps its
/// memory alive. It lives in an [`Acquisition`] whose descriptor is never set, so nothing is
/// released but the owner itself, dropped with the last view.
struct KeptRun<O> {
    lent: Lent,
    region: Region,
    readonly: bool,
    /// Never read: held so that it is dropped with the last view.
    _owner: O,
}

// SAFETY: a kept run is made only by `Proven::kept`, whose caller promises that the region
// is valid for reads (and writes unless read-only) while the owner lives, which is as long as
// this exporter, and that nothing else writes it meanwhile except views of it: promise 1 of
// `BufferInfo::new` (promise 2 is vacuous for a 1-D direct run).
unsafe impl<O> Exporter for KeptRun<O> {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        // SAFETY: the impl's argument.
        unsafe { self.lent.export(self.region, self.readonly, flags) }
    }
}

// SAFETY: a lent run is made only by `Proven::lent`, whose caller promises that the region is
// valid for reads (and writes unless read-only) for `'a`, and that nothing else writes it
// meanwhile except views of it: promise 1 of `BufferInfo::new`. The layout is 1-D and
// direct, so promise 2 is vacuous. `count * itemsize` is the region's length, which was
// checked to fit `isize` when the run was lent.
unsafe impl Exporter for LentExporter<'_> {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        let Proven { acq, region, marks, .. } = &self.0;
        let lent = match acq.owner() {
            Holder::Lent(lent) => *lent,
            Holder::Counted(c) => c.lent().ok_or(BufferError::NotContiguous)?,
            Holder::Shared(_) | Holder::Borrowed(_) => return Err(BufferError::NotContiguous),
        };
        // SAFETY: the impl's argument.
        unsafe { lent.export(*region, marks.readonly(), flags) }
    }

    fn frozen(&self) -> bool {
        self.0.marks.frozen()
    }
}

/// What [`Proven::lent`] is told about the run it holds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LentRun {
    /// The first byte (dangling when `count` is 0).
    pub(crate) base: NonNull<u8>,
    /// The number of items.
    pub(crate) count: usize,
    /// The size of one item, at least 1.
    pub(crate) itemsize: usize,
    /// The format the run's items have.
    pub(crate) format: &'static str,
    /// Whether views must not write the run.
    pub(crate) readonly: bool,
    /// Whether nothing at all can write the run while it is lent (a shared borrow).
    pub(crate) frozen: bool,
}

impl<E: ?Sized + Exporter> Drop for Acquisition<E> {
    fn drop(&mut self) {
        if let Some(info) = self.info.get() {
            // SAFETY: `info` came from this exporter's `get_buffer` (in `Proven::acquire`);
            // an `Acquisition` is dropped once, when the last view sharing it goes, and the
            // descriptor with it.
            unsafe { self.exporter.release_buffer(info) };
        }
    }
}

/// The memory block of an acquisition: its start and length.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Region {
    base: *mut u8,
    len: usize,
}

impl Region {
    /// The address `offset` bytes into the block (not dereferenced here).
    pub(crate) fn addr(&self, offset: isize) -> *mut u8 {
        self.base.wrapping_offset(offset)
    }

    /// Runs `f` over the block as a shared byte slice. Callers hold the acquisition. (The
    /// `par` module calls it from several threads at once, while no thread writes the block.)
    pub(crate) fn with_slice<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        // SAFETY: by the exporter's contract (`BufferInfo::new`, promise 1) the block is valid
        // for reads of `len` bytes while the acquisition the caller holds is alive, and nothing
        // writes it except views; per the module's aliasing rule no view writes during `f`,
        // which runs no view code. `len` ≤ isize::MAX because the block is one allocation.
        let bytes = unsafe { std::slice::from_raw_parts(self.base, self.len) };
        f(bytes)
    }

    /// Runs `f` over the block as a mutable byte slice. Callers hold the acquisition of a
    /// writable descriptor.
    fn with_slice_mut<R>(&self, f: impl FnOnce(&mut [u8]) -> R) -> R {
        // SAFETY: as in `with_slice`, and the descriptor is writable (checked by every caller
        // through `Proven::writable`), so the block is valid for writes (promise 1); no other
        // reference to the block exists during `f` (the aliasing rule), so it is unique.
        let bytes = unsafe { std::slice::from_raw_parts_mut(self.base, self.len) };
        f(bytes)
    }
}

/// A selection of items: what [`Proven::select`] accepts on any acquisition.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Select<'k> {
    /// NumPy basic indexing: integers (never of a pointer dimension), slices, `...`, new axes.
    Key(&'k [Index]),
    /// A slice of the first dimension.
    Slice(Slice),
    /// A reordering of the dimensions (never across a pointer dimension).
    Permute(&'k [usize]),
}

/// A layout proven against the acquisition it holds (see the module documentation): every
/// byte it reaches with in-range indices is memory the exporter lent.
#[derive(Clone)]
pub(crate) struct Proven<'a> {
    acq: Holder<'a>,
    /// The acquisition's memory block, copied from its descriptor when it was made.
    region: Region,
    /// How the memory was lent, copied from the descriptor when it was made.
    marks: Marks,
    layout: StridedLayout,
    /// The borrow of a lent run (an acquisition's `Rc` carries its own `'a`).
    _borrow: PhantomData<&'a [u8]>,
}

/// How a proof's memory was lent, in one word. A proof is copied whole into every view made
/// with it; as three `bool`s beside five bytes of padding, the copy loaded the padding and
/// the next field with one wide load across stores of other widths, which stalled on store
/// forwarding (`perf`: half of `import`'s own time). A whole word is stored and loaded whole.
#[derive(Clone, Copy)]
struct Marks(u64);

impl Marks {
    /// The exporter lent the memory read-only.
    const READONLY: u64 = 1;
    /// Nothing at all writes the memory while it is lent (a lent run's promise; acquisitions
    /// answer their exporter's `frozen`).
    const FROZEN: u64 = 1 << 1;
    /// The acquisition's own layout follows pointers.
    const INDIRECT: u64 = 1 << 2;

    fn new(readonly: bool, frozen: bool, indirect: bool) -> Marks {
        let bit = |on: bool, b: u64| if on { b } else { 0 };
        Marks(bit(readonly, Marks::READONLY) | bit(frozen, Marks::FROZEN) | bit(indirect, Marks::INDIRECT))
    }

    fn readonly(self) -> bool {
        self.0 & Marks::READONLY != 0
    }

    fn frozen(self) -> bool {
        self.0 & Marks::FROZEN != 0
    }

    fn indirect(self) -> bool {
        self.0 & Marks::INDIRECT != 0
    }
}

/// How many dimensions of a layout follow a pointer.
fn pointer_dims(l: &StridedLayout) -> usize {
    l.suboffsets().map_or(0, |s| s.iter().filter(|&&x| x >= 0).count())
}

impl<'a> Proven<'a> {
    /// Acquires `exporter` with the consumer's `flags`, and the layout the consumer sees:
    /// the exporter's own with `FORMAT` and `ND`; without `FORMAT`, the same items seen as
    /// bytes (a last dimension of `itemsize` bytes, stride 1, unless items are bytes);
    /// without `ND` (C-contiguous, direct), one dimension of `len` bytes.
    pub(crate) fn acquire<E: Exporter + 'a>(exporter: E, flags: Flags) -> Result<Proven<'a>, ViewError> {
        let acq: Shared<'a> = Acquisition::shared(|| exporter);
        // The descriptor is kept before anything else can fail, so that it is released.
        let info = acq.exporter.get_buffer(flags)?;
        let info = acq.info.get_or_init(|| info);
        // Within the region: `BufferInfo::new`, the descriptor's only constructor, checked
        // the layout against it, and a descriptor is never changed afterwards (no `&mut`
        // method), so the exporter's layout needs no second walk here.
        let full = info.layout();
        let layout = if info.shape().is_none() {
            // No ND: `BufferInfo::new` refused layouts that are not C-contiguous (and indirect
            // ones, as INDIRECT implies ND), so the items are `nbytes` bytes from the offset.
            if full.is_indirect() || !full.is_c_contiguous() {
                return Err(BufferError::NotCContiguous.into());
            }
            StridedLayout::new(1, &[full.nbytes()], &[1], full.offset())?
        } else if info.format().is_none() && full.itemsize() != 1 {
            item_bytes(full)?
        } else {
            full.clone()
        };
        let region = Region { base: info.region_ptr().as_ptr(), len: info.region_len() };
        let marks = Marks::new(info.readonly(), false, full.is_indirect());
        Ok(Proven { acq: Holder::Shared(acq), region, marks, layout, _borrow: PhantomData })
    }

    /// The layout of a lent run (proof 1, for memory that needs no acquisition): one
    /// dimension of `count` adjacent items, which is the whole region, so within it.
    ///
    /// # Safety
    ///
    /// For `'a`, `run.base` is valid for reads of `count * itemsize` bytes, and for writes
    /// unless `run.readonly`; meanwhile nothing else writes those bytes except views of this
    /// run, and if `run.frozen`, nothing writes them at all. (A `&'a [T]` of `Element`s
    /// meets this read-only and frozen, a `&'a mut [T]` writable.)
    #[inline]
    pub(crate) unsafe fn lent(run: LentRun) -> Result<Proven<'a>, ViewError> {
        Proven::of_run(run, |lent, _| Holder::Lent(lent))
    }

    /// The layout of a run whose `owner` keeps its memory alive (proof 1, as for
    /// [`lent`](Self::lent)): the views hold the owner, in one allocation, and drop it with
    /// the last of them. On error the owner is dropped before this returns.
    ///
    /// # Safety
    ///
    /// The promises of [`lent`](Self::lent), for as long as `owner` lives rather than for
    /// `'a`; moving `owner` does not move the memory (it lives behind a pointer the owner
    /// holds, or outside it).
    #[inline]
    pub(crate) unsafe fn kept<O: 'a>(run: LentRun, owner: O) -> Result<Proven<'a>, ViewError> {
        let readonly = run.readonly;
        Proven::of_run(run, |lent, region| {
            Holder::Shared(Acquisition::shared(|| KeptRun { lent, region, readonly, _owner: owner }))
        })
    }

    /// The layout of a run whose owner lives in a block that counts its views (proof 1, as
    /// for [`lent`](Self::lent)): the result holds the reference `head` stands for, and the
    /// block's `free` runs when the last view derived from it goes (on error, before this
    /// returns, if that reference was the last).
    ///
    /// # Safety
    ///
    /// `head` points to a live [`CountedHead`] that holds the reference handed over here,
    /// and the block stays live, unmoved, with nothing but views of this run changing the
    /// head, until its `free` is called; `free` may be called with `head`. The promises of
    /// [`lent`](Self::lent) hold for as long as the block lives rather than for `'a`.
    #[inline]
    pub(crate) unsafe fn counted(run: LentRun, head: NonNull<CountedHead>) -> Result<Proven<'a>, ViewError> {
        // Made first, so that an error below drops the reference.
        let counted = Counted { head };
        // SAFETY: the caller's promise: a live head, changed only by views of this run, on
        // this thread (none exists yet but the reference just taken over).
        unsafe { head.as_ref() }.lent.set(Some(Lent { format: run.format, itemsize: run.itemsize }));
        Proven::of_run(run, |_, _| Holder::Counted(counted))
    }

    /// The layout of a run: one dimension, the whole region. The caller's promises (of
    /// [`lent`](Self::lent) or [`kept`](Self::kept)) make it proof 1.
    #[inline]
    fn of_run(run: LentRun, holder: impl FnOnce(Lent, Region) -> Holder<'a>) -> Result<Proven<'a>, ViewError> {
        let layout = StridedLayout::contiguous_1d(run.itemsize, run.count)?;
        let region = Region { base: run.base.as_ptr(), len: layout.nbytes() };
        let LentRun { itemsize, format, readonly, frozen, .. } = run;
        let lent = Lent { format, itemsize };
        Ok(Proven {
            acq: holder(lent, region),
            region,
            marks: Marks::new(readonly, frozen, false),
            layout,
            _borrow: PhantomData,
        })
    }

    /// The layout of a shared borrow of numbers: read-only and frozen.
    pub(crate) fn of_slice<T: buffer_protocol::Element>(data: &'a [T]) -> Result<Proven<'a>, ViewError> {
        let run = LentRun {
            base: NonNull::from(data).cast::<u8>(),
            count: data.len(),
            itemsize: std::mem::size_of::<T>(),
            format: T::FORMAT,
            readonly: true,
            frozen: true,
        };
        // SAFETY: a shared borrow of `Element`s, held for `'a`: readable for `'a`, and
        // nothing writes it while the borrow lasts (`Element`s have no interior mutability).
        unsafe { Proven::lent(run) }
    }

    /// The layout of a unique borrow of numbers: writable.
    pub(crate) fn of_mut_slice<T: buffer_protocol::Element>(data: &'a mut [T]) -> Result<Proven<'a>, ViewError> {
        let run = LentRun {
            count: data.len(),
            base: NonNull::from(data).cast::<u8>(),
            itemsize: std::mem::size_of::<T>(),
            format: T::FORMAT,
            readonly: false,
            frozen: false,
        };
        // SAFETY: the unique borrow of `Element`s for `'a`, taken by the caller's view:
        // readable and writable for `'a` (every bit pattern is a valid `Element`), and nothing
        // but views of it touches it while the borrow lasts. The pointer was derived from the
        // `&mut` once, so writes through it are allowed.
        unsafe { Proven::lent(run) }
    }

    /// The same proof, holding its memory through this proof's holder rather than counting
    /// a new reference: nothing to count when it is made or dropped. Its clones are owned
    /// (see [`Holder::Borrowed`]).
    ///
    /// # Safety
    ///
    /// The result is dropped before `self` is moved, changed or dropped (a type that holds
    /// it carries a borrow of what holds `self`, as [`ViewRef`](crate::ViewRef) does).
    #[inline]
    pub(crate) unsafe fn borrowed(&self) -> Proven<'a> {
        // Points to the owner itself, so that a borrow of a borrow needs only the owner.
        let acq = Holder::Borrowed(NonNull::from(self.acq.owner()));
        Proven { acq, region: self.region, marks: self.marks, layout: self.layout.clone(), _borrow: PhantomData }
    }

    /// A proven layout of the same acquisition.
    fn with_layout(&self, layout: StridedLayout) -> Proven<'a> {
        Proven { acq: self.acq.clone(), layout, ..*self }
    }

    /// The layout.
    pub(crate) fn layout(&self) -> &StridedLayout {
        &self.layout
    }

    /// The acquisition's descriptor (set when the acquisition was made).
    pub(crate) fn info(&self) -> Option<&BufferInfo> {
        match self.acq.owner() {
            Holder::Shared(acq) => acq.info.get(),
            Holder::Lent(_) | Holder::Counted(_) | Holder::Borrowed(_) => None,
        }
    }

    /// Whether the exporter lent its memory read-only.
    pub(crate) fn lent_readonly(&self) -> bool {
        self.marks.readonly()
    }

    /// The exporter.
    pub(crate) fn exporter(&self) -> &(dyn Exporter + 'a) {
        match self.acq.owner() {
            Holder::Shared(acq) => &acq.exporter,
            Holder::Lent(_) | Holder::Counted(_) | Holder::Borrowed(_) => LentExporter::of(self),
        }
    }

    /// A selection of this layout's items (proof 2), in place. On error the layout may hold
    /// part of the selection: the caller discards it (it is still a selection of the same
    /// items, so still proven).
    pub(crate) fn select_in_place(&mut self, sel: Select<'_>) -> Result<(), ViewError> {
        let (pointers, itemsize) = (pointer_dims(&self.layout), self.layout.itemsize());
        let l = &mut self.layout;
        match sel {
            Select::Key(key) => l.apply_in_place(key)?,
            Select::Slice(s) => l.slice_dim_in_place(0, s)?,
            Select::Permute(axes) => l.permute_in_place(axes)?,
        }
        // The proof does not rest on the layout math alone: a selection keeps every pointer
        // dimension, with a suboffset that still means "follow the pointer", and the item
        // size; its items stay within the block.
        if (pointers != 0 || l.is_indirect()) && pointer_dims(l) != pointers {
            return Err(LayoutError::Indirect("a selection that changes pointer dimensions").into());
        }
        if l.itemsize() != itemsize {
            return Err(LayoutError::Indirect("a selection that changes the item size").into());
        }
        l.check_within(self.region.len)?;
        Ok(())
    }

    /// Any direct layout over the bytes of a direct acquisition (proof 3).
    pub(crate) fn reinterpret(&self, layout: StridedLayout) -> Result<Proven<'a>, ViewError> {
        if self.marks.indirect() || self.layout.is_indirect() || layout.is_indirect() {
            return Err(LayoutError::Indirect("reinterpreting the memory").into());
        }
        layout.check_within(self.region.len)?;
        Ok(self.with_layout(layout))
    }

    /// Whether the exporter lent the memory for writing.
    fn writable(&self) -> Result<(), ViewError> {
        if self.marks.readonly() {
            return Err(ViewError::ReadOnly);
        }
        Ok(())
    }

    /// The address of the item at a full index (one per dimension, negative from the end),
    /// following pointers.
    fn item_addr(&self, index: &[isize]) -> Result<*mut u8, ViewError> {
        let l = &self.layout;
        if index.len() != l.ndim() {
            return Err(LayoutError::TooManyIndices { ndim: l.ndim(), n: index.len() }.into());
        }
        let region = self.region;
        if !l.is_indirect() {
            return Ok(region.addr(l.item_offset(index)?));
        }
        let mut p = region.addr(0);
        for step in l.address_steps(index)? {
            p = p.wrapping_offset(step.offset);
            if let Some(s) = step.deref {
                // SAFETY: `p` is the pointer slot of an in-range index of a layout proven
                // against this live acquisition: a selection of the exporter's own items, so
                // the slot is one the exporter's promise 2 covers (the first level lies in
                // the region, checked by the proof).
                p = unsafe { follow(p, s) };
            }
        }
        Ok(p)
    }

    /// Checks a full index (one per dimension) against the shape, with CPython's errors.
    pub(crate) fn check_index(&self, index: &[isize]) -> Result<(), ViewError> {
        let l = &self.layout;
        if index.len() != l.ndim() {
            return Err(LayoutError::TooManyIndices { ndim: l.ndim(), n: index.len() }.into());
        }
        for (d, &i) in index.iter().enumerate() {
            l.wrap_index(d, i)?;
        }
        Ok(())
    }

    /// The item at a full index as `N` bytes, for items of `N` bytes (checked): one load of
    /// a constant width, where [`read_item`](Self::read_item) copies a length it is given.
    #[inline]
    pub(crate) fn read_item_array<const N: usize>(&self, index: &[isize]) -> Result<[u8; N], ViewError> {
        self.item_len(N)?;
        let addr = self.item_addr(index)?;
        // SAFETY: `addr` is the item at an in-range index of a proven layout of a live
        // acquisition, readable for `itemsize` = `N` bytes; `[u8; N]` has alignment 1; no
        // reference to the block is live (the aliasing rule), and the bytes are copied out.
        Ok(unsafe { addr.cast::<[u8; N]>().read() })
    }

    /// Copies the item at a full index into `out` (exactly `itemsize` bytes).
    pub(crate) fn read_item(&self, index: &[isize], out: &mut [u8]) -> Result<(), ViewError> {
        self.item_len(out.len())?;
        let addr = self.item_addr(index)?;
        // SAFETY: `addr` is the item at an in-range index of a proven layout of a live
        // acquisition, and an item is `itemsize` = `out.len()` bytes.
        unsafe { read(addr, out) };
        Ok(())
    }

    /// Writes `src` (exactly `itemsize` bytes) to the item at a full index.
    pub(crate) fn write_item(&self, index: &[isize], src: &[u8]) -> Result<(), ViewError> {
        self.writable()?;
        self.item_len(src.len())?;
        let addr = self.item_addr(index)?;
        // SAFETY: as in `read_item`, and the exporter lent the memory writable (promise 1).
        unsafe { write(addr, src) };
        Ok(())
    }

    fn item_len(&self, n: usize) -> Result<(), ViewError> {
        if n != self.layout.itemsize() {
            return Err(LayoutError::OutOfBounds { low: 0, high: self.layout.itemsize() as isize, len: n }.into());
        }
        Ok(())
    }

    /// Gathers the items into `out` (exactly `nbytes` long) in `order`.
    pub(crate) fn gather(&self, order: Order, out: &mut [u8]) -> Result<(), ViewError> {
        let l = &self.layout;
        if !l.is_indirect() {
            self.region.with_slice(|mem| strided::copy_to_contiguous(mem, l, order, out))?;
            return Ok(());
        }
        if out.len() != l.nbytes() {
            return Err(LayoutError::OutOfBounds { low: 0, high: l.nbytes() as isize, len: out.len() }.into());
        }
        let order = if order == Order::F { Order::F } else { Order::C };
        let mut chunks = out.chunks_exact_mut(l.itemsize());
        for_each_index(l.shape(), order, |idx| match chunks.next() {
            Some(item) => self.read_item(idx, item),
            None => Ok(()),
        })
    }

    /// Scatters C-order bytes (exactly `nbytes`) into the items.
    pub(crate) fn scatter(&self, bytes: &[u8]) -> Result<(), ViewError> {
        self.writable()?;
        let l = &self.layout;
        if !l.is_indirect() {
            self.region.with_slice_mut(|mem| strided::copy_from_contiguous(bytes, mem, l, Order::C))?;
            return Ok(());
        }
        if bytes.len() != l.nbytes() {
            return Err(LayoutError::OutOfBounds { low: 0, high: l.nbytes() as isize, len: bytes.len() }.into());
        }
        let mut chunks = bytes.chunks_exact(l.itemsize());
        for_each_index(l.shape(), Order::C, |idx| match chunks.next() {
            Some(item) => self.write_item(idx, item),
            None => Ok(()),
        })
    }

    /// Copies the items of `src` (of the same shape and item size) into this layout's items
    /// straight from one memory block to the other, when the two blocks share no byte; `None`
    /// when they do, or when either layout is indirect (the caller copies through a
    /// temporary then).
    pub(crate) fn copy_from_apart(&self, src: &Proven<'_>) -> Option<Result<(), ViewError>> {
        if self.layout.is_indirect() || src.layout.is_indirect() {
            return None;
        }
        if let Err(e) = self.writable() {
            return Some(Err(e));
        }
        let span = |r: &Region| (r.base.addr(), r.base.addr().saturating_add(r.len));
        let ((a0, a1), (b0, b1)) = (span(&self.region), span(&src.region));
        if a0 < b1 && b0 < a1 {
            return None;
        }
        // Two blocks without a common byte: a shared slice of one and a mutable slice of the
        // other are not aliases (the aliasing rule holds for each block on its own).
        Some(
            self.region
                .with_slice_mut(|to| {
                    src.region.with_slice(|from| strided::copy_strided(from, &src.layout, to, &self.layout))
                })
                .map_err(ViewError::from),
        )
    }

    /// Writes one item's bytes (exactly `itemsize`) to every item, allocating nothing.
    pub(crate) fn fill(&self, item: &[u8]) -> Result<(), ViewError> {
        self.writable()?;
        self.item_len(item.len())?;
        let l = &self.layout;
        if l.is_indirect() {
            return for_each_index(l.shape(), Order::C, |idx| self.write_item(idx, item));
        }
        let size = item.len();
        self.region.with_slice_mut(|mem| -> Result<(), ViewError> {
            let mut missed = false;
            strided::for_each_offset(l, Order::C, |o| {
                // In range by the proof; `get_mut` keeps even a broken proof from panicking.
                match usize::try_from(o).ok().and_then(|o| mem.get_mut(o..o.checked_add(size)?)) {
                    Some(dst) => dst.copy_from_slice(item),
                    None => missed = true,
                }
            })?;
            if missed {
                return Err(LayoutError::OutOfBounds { low: l.offset(), high: l.offset(), len: mem.len() }.into());
            }
            Ok(())
        })
    }

    /// Runs `f` over the items as C-order bytes: in place for a C-contiguous direct layout,
    /// through a gathered copy otherwise. `f` runs no view code.
    pub(crate) fn with_c_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> Result<R, ViewError> {
        let l = &self.layout;
        if !l.is_indirect() && l.is_c_contiguous() {
            let len = l.nbytes();
            if len == 0 {
                return Ok(f(&[]));
            }
            let start = usize::try_from(l.offset()).map_err(|_| LayoutError::Overflow("offset"))?;
            return self.region.with_slice(|mem| {
                let bytes = start.checked_add(len).and_then(|end| mem.get(start..end));
                bytes.map(f).ok_or_else(|| LayoutError::OutOfBounds { low: l.offset(), high: 0, len: mem.len() }.into())
            });
        }
        let mut out = alloc_bytes(l.nbytes())?;
        self.gather(Order::C, &mut out)?;
        Ok(f(&out))
    }

    /// The region and layout of a direct proven layout, for typed loads (`memview::typed`),
    /// which rely on this proof: every item at an in-range index lies within the region.
    pub(crate) fn direct(&self) -> Option<(Region, &StridedLayout)> {
        (!self.layout.is_indirect()).then_some((self.region, &self.layout))
    }

    /// The address of the item at index `[0, ..., 0]` of a direct proven layout (not
    /// dereferenced here): what a `Py_buffer`'s `buf` of this layout holds.
    pub(crate) fn first_item(&self) -> Option<*mut u8> {
        (!self.layout.is_indirect()).then(|| self.region.addr(self.layout.offset()))
    }

    /// A descriptor of this layout for a consumer of a view (re-export), answering `flags`.
    pub(crate) fn descriptor(
        &self,
        format: Cow<'static, str>,
        readonly: bool,
        flags: Flags,
    ) -> Result<BufferInfo, BufferError> {
        // SAFETY: the descriptor repeats this live acquisition's region and promises (the view
        // holding this `Proven` keeps the acquisition alive while the export lasts) with a
        // proven layout: its direct part lies in the region, and it reaches through pointers
        // only items the exporter's own layout reaches (proof 2), with suboffsets that mean
        // what PEP 3118 says. Read-only stays read-only: a writable flag is only given where
        // the exporter lent the memory writable.
        unsafe {
            BufferInfo::new(
                NonNull::new(self.region.base).ok_or(BufferError::Released)?,
                self.region.len,
                self.layout.clone(),
                format,
                readonly || self.marks.readonly(),
                flags,
            )
        }
    }
}

/// The items of a layout seen as bytes: one more dimension of `itemsize` bytes, stride 1.
fn item_bytes(l: &StridedLayout) -> Result<StridedLayout, ViewError> {
    if l.itemsize() == 1 {
        return Ok(l.clone());
    }
    let mut shape: SmallVec<[usize; 8]> = l.shape().into();
    let mut strides: SmallVec<[isize; 8]> = l.strides().into();
    shape.push(l.itemsize());
    strides.push(1);
    let mut out = StridedLayout::new(1, &shape, &strides, l.offset())?;
    if let Some(subs) = l.suboffsets() {
        let mut subs: SmallVec<[isize; 8]> = subs.into();
        subs.push(-1);
        out = out.with_suboffsets(&subs)?;
    }
    Ok(out)
}

/// A zeroed byte buffer of `n` bytes, or a `MemoryError`-kind error if it cannot be had.
/// The zeros come from the allocator (`alloc_zeroed`: fresh pages from the system are not
/// written twice), so an output that a gather fills right after costs one pass, not two.
pub(crate) fn alloc_bytes(n: usize) -> Result<Vec<u8>, ViewError> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let layout = std::alloc::Layout::array::<u8>(n).map_err(|_| ViewError::NoMemory(n))?;
    // SAFETY: a layout of non-zero size.
    let p = unsafe { std::alloc::alloc_zeroed(layout) };
    if p.is_null() {
        return Err(ViewError::NoMemory(n));
    }
    // SAFETY: allocated by the global allocator with `u8`'s layout for `n` bytes, all zeroed
    // (initialised), owned by nothing else: a `Vec` of length and capacity `n`.
    let mut out = unsafe { Vec::from_raw_parts(p, n, n) };
    crate::fresh::advise_vec(&mut out);
    Ok(out)
}

/// Calls `f` with every index of `shape` in C or F order (A means C).
pub(crate) fn for_each_index(
    shape: &[usize],
    order: Order,
    mut f: impl FnMut(&[isize]) -> Result<(), ViewError>,
) -> Result<(), ViewError> {
    if shape.contains(&0) {
        return Ok(());
    }
    let n = shape.len();
    let mut idx: SmallVec<[isize; 8]> = SmallVec::from_elem(0, n);
    loop {
        f(&idx)?;
        // Advance the fastest-varying index first.
        let mut k = 0;
        loop {
            if k == n {
                return Ok(());
            }
            let d = if order == Order::F { k } else { n - 1 - k };
            if idx[d] + 1 < shape[d] as isize {
                idx[d] += 1;
                break;
            }
            idx[d] = 0;
            k += 1;
        }
    }
}

/// Copies `out.len()` bytes from `addr`.
///
/// # Safety
///
/// `addr` must be valid for reads of `out.len()` bytes.
#[inline]
unsafe fn read(addr: *const u8, out: &mut [u8]) {
    // SAFETY: the caller guarantees `addr` is readable for `out.len()` bytes; `out` is a
    // distinct Rust allocation, so the two do not overlap; byte copies need no alignment.
    unsafe { copy_bytes(addr, out.as_mut_ptr(), out.len()) }
}

/// Copies `src` to `addr`.
///
/// # Safety
///
/// `addr` must be valid for writes of `src.len()` bytes.
#[inline]
unsafe fn write(addr: *mut u8, src: &[u8]) {
    // SAFETY: the caller guarantees `addr` is writable for `src.len()` bytes; `src` is a
    // distinct Rust allocation (a scratch buffer), so they do not overlap.
    unsafe { copy_bytes(src.as_ptr(), addr, src.len()) }
}

/// `copy_nonoverlapping` of `n` bytes, with the sizes of native items as constants, so that
/// an item's copy compiles to one load and one store instead of a call to `memcpy`.
///
/// # Safety
///
/// As `std::ptr::copy_nonoverlapping(src, dst, n)`: `src` readable and `dst` writable for
/// `n` bytes, the two not overlapping.
#[inline(always)]
unsafe fn copy_bytes(src: *const u8, dst: *mut u8, n: usize) {
    use std::ptr::copy_nonoverlapping as copy;
    match n {
        // SAFETY: the caller's promise, for `n` bytes (`n` written out in each arm).
        1 => unsafe { copy(src, dst, 1) },
        // SAFETY: as above.
        2 => unsafe { copy(src, dst, 2) },
        // SAFETY: as above.
        4 => unsafe { copy(src, dst, 4) },
        // SAFETY: as above.
        8 => unsafe { copy(src, dst, 8) },
        // SAFETY: as above.
        n => unsafe { copy(src, dst, n) },
    }
}

/// Loads the pointer stored at `addr` (a suboffset dimension) and adds `suboffset`.
///
/// # Safety
///
/// `addr` must be valid for reads of a pointer.
unsafe fn follow(addr: *const u8, suboffset: isize) -> *mut u8 {
    // SAFETY: the caller guarantees a readable pointer-sized slot; it may be unaligned. The
    // slot is loaded as a pointer, so a pointer the exporter stored keeps its provenance.
    let stored = unsafe { std::ptr::read_unaligned(addr.cast::<*mut u8>()) };
    stored.wrapping_offset(suboffset)
}
