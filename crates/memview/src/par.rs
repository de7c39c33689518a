//! Parallel work on one view (the `rayon` feature): a view split into disjoint parts of
//! consecutive items in C order ([`strided::c_order_parts`]), worked on by rayon's threads.
//!
//! # Why parts may cross threads while views may not
//!
//! A view is `!Send` and `!Sync` (decision 2 of `ARCHITECTURE.md`): it shares reference counts
//! and cells with the other views of its acquisition, and any of them may write its memory.
//! A [`Part`] holds neither: a pointer to the acquisition's memory block and a sub-layout
//! proven against it (every part of a proven layout selects items of it). Parts exist only
//! inside one call of this module (`par_*` methods, and the closures of
//! [`TypedView::par_map_parts`] and [`TypedView::par_for_each_part_mut`], which receive them
//! for that call only), so for as long as any part lives:
//!
//! 1. the view is borrowed, so its acquisition (and memory) stays alive;
//! 2. the calling thread is inside the call, running only this module's code and the user's
//!    closures; those are `Sync + Send`, so they hold no view (views are neither), and no
//!    view code runs on any thread to write the memory; the exporter promises nothing else
//!    writes it while it is exported;
//! 3. parts that write ([`PartMut`]) are made only of a writable view whose items are
//!    disjoint (`StridedLayout::items_disjoint`): distinct parts hold distinct items, so no
//!    byte is written by two threads or written by one while read by another; copies between
//!    views run in parallel only when the two views' bytes do not overlap.
//!
//! Work too small to share (under 64 KiB) and layouts the rules above do not
//! cover (broadcast destinations, overlapping copies, indirect layouts) run on the calling
//! thread, with the same result.

use crate::raw::Region;
use crate::typed::{for_each_in, iter_in, map_in, sum_in, Summable, TypedIter, TypedView};
use crate::{Key, MemoryView, ViewError};
use buffer_protocol::Element;
use rayon::prelude::*;
use std::marker::PhantomData;
use strided::{c_order_parts, LayoutError, Order, StridedLayout};

/// Views of fewer bytes than this (64 KiB) run on the calling thread: sharing the work costs
/// more than it saves. Under Miri it is small, so that the tests' small views reach the
/// threads.
const PAR_MIN_BYTES: usize = if cfg!(miri) { 256 } else { 1 << 16 };

/// A memory block that crosses threads for the length of one parallel call.
#[derive(Clone, Copy)]
struct SharedRegion(Region);

// SAFETY: a `SharedRegion` is made only inside a call of this module and lives no longer
// (module documentation, points 1-3): the block stays valid, and the accesses through it are
// reads of memory no thread writes, or writes of disjoint items.
unsafe impl Send for SharedRegion {}
// SAFETY: as above; the region is a pointer and a length, read only.
unsafe impl Sync for SharedRegion {}

impl SharedRegion {
    /// The address `offset` bytes into the block (a method, so that closures capture the
    /// `SharedRegion`, not the `Region` inside it).
    fn addr(&self, offset: isize) -> *mut u8 {
        self.0.addr(offset)
    }

    /// The block as a shared byte slice for the length of `f` (reads only, of memory no
    /// thread writes meanwhile: module documentation).
    fn with_slice<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        self.0.with_slice(f)
    }
}

/// How many parts: a few per thread, so that uneven parts even out.
fn parts_wanted() -> usize {
    rayon::current_num_threads().saturating_mul(16)
}

/// What a part holds in spirit: a borrow of the view for `'t`, and `T`s it hands out by value
/// (so a part is `Send` and `Sync` whatever `T`'s own markers).
type Borrowed<'t, T> = (&'t (), fn() -> T);

/// One part of a typed view for parallel reads: consecutive items in C order, `Send`.
/// Received inside [`TypedView::par_map_parts`].
///
/// ```
/// # #[cfg(feature = "rayon")] {
/// let data: Vec<u32> = (0..100_000).collect();
/// let v = memview::MemoryView::new(&data).unwrap();
/// let t = v.typed::<u32>().unwrap();
/// // The largest item of each part, computed in parallel, then the largest of those.
/// let maxima = t.par_map_parts(|part| part.fold(0, |m, x| m.max(x)));
/// assert_eq!(maxima.into_iter().max(), Some(99_999));
/// # }
/// ```
pub struct Part<'t, T> {
    region: SharedRegion,
    layout: StridedLayout,
    start: usize,
    _items: PhantomData<Borrowed<'t, T>>,
}

/// One part of a writable typed view for parallel writes: consecutive items in C order,
/// disjoint from every other part's. Received inside [`TypedView::par_for_each_part_mut`].
///
/// ```
/// # #[cfg(feature = "rayon")] {
/// let mut data = vec![0u64; 100_000];
/// let v = memview::MemoryView::from_mut_slice(&mut data);
/// // Each item becomes its C-order position, part by part in parallel.
/// v.typed::<u64>().unwrap().par_for_each_part_mut(|mut part| {
///     let mut k = part.start() as u64;
///     part.map_inplace(|_| { k += 1; k - 1 });
/// }).unwrap();
/// drop(v);
/// assert!(data.iter().enumerate().all(|(i, &x)| x == i as u64));
/// # }
/// ```
pub struct PartMut<'t, T> {
    part: Part<'t, T>,
}

impl<T: Element> Part<'_, T> {
    /// The part's layout: a sub-layout of the view's (the dimensions before the split one
    /// have extent 1).
    pub fn layout(&self) -> &StridedLayout {
        &self.layout
    }

    /// The part's shape.
    pub fn shape(&self) -> &[usize] {
        self.layout.shape()
    }

    /// How many items the part holds.
    pub fn len(&self) -> usize {
        self.layout.len()
    }

    /// Whether the part holds no item.
    pub fn is_empty(&self) -> bool {
        self.layout.is_empty()
    }

    /// The C-order position of the part's first item in the whole view: its items are the
    /// view's `start..start + len`.
    pub fn start(&self) -> usize {
        self.start
    }

    /// Calls `f` with every item of the part, in C order.
    pub fn for_each(&self, f: impl FnMut(T)) {
        for_each_in(self.region.0, &self.layout, f);
    }

    /// The part's items in C order, read lazily (as [`TypedView::iter`]).
    pub fn iter(&self) -> TypedIter<'_, T> {
        iter_in(self.region.0, &self.layout)
    }

    /// Folds the part's items in C order.
    pub fn fold<A>(&self, init: A, f: impl FnMut(A, T) -> A) -> A {
        self.iter().fold(init, f)
    }

    /// The sum of the part's items, as [`TypedView::sum`] computes it.
    pub fn sum(&self) -> T::Total
    where
        T: Summable,
    {
        sum_in::<T>(self.region.0, &self.layout)
    }
}

impl<T: Element> PartMut<'_, T> {
    /// The part for reading (its items, shape and position).
    pub fn as_part(&self) -> &Part<'_, T> {
        // Shortening the lifetime of a part is sound: it only narrows what may be done.
        &self.part
    }

    /// The C-order position of the part's first item in the whole view.
    pub fn start(&self) -> usize {
        self.part.start
    }

    /// How many items the part holds.
    pub fn len(&self) -> usize {
        self.part.len()
    }

    /// Whether the part holds no item.
    pub fn is_empty(&self) -> bool {
        self.part.is_empty()
    }

    /// Replaces every item `x` of the part by `f(x)`, in C order.
    pub fn map_inplace(&mut self, f: impl FnMut(T) -> T) {
        // SAFETY: a `PartMut` is made only of a writable view whose items are disjoint, one
        // per part (module documentation, point 3): its items are writable and no other
        // thread touches them while it lives (it is borrowed mutably here).
        unsafe { map_in(self.part.region.0, &self.part.layout, f) };
    }

    /// Writes `value` to every item of the part.
    pub fn fill(&mut self, value: T) {
        self.map_inplace(|_| value);
    }
}

/// The parts of a direct layout over a region (one part when the work is small).
fn split<'t, T>(region: Region, layout: &StridedLayout) -> Result<Vec<Part<'t, T>>, LayoutError> {
    let wanted = if layout.nbytes() < PAR_MIN_BYTES { 1 } else { parts_wanted() };
    Ok(c_order_parts(layout, wanted)?
        .into_iter()
        .map(|p| Part { region: SharedRegion(region), layout: p.layout, start: p.start, _items: PhantomData })
        .collect())
}

/// Parallel work on a typed view (the `rayon` feature); see the [`par`](self)
/// module for why its parts may cross threads.
impl<T: Element + Send + Sync> TypedView<'_, '_, T> {
    /// Runs `f` on each part of the view in parallel and returns the results in C order of
    /// the parts: the building block of parallel reads (maxima, histograms, searches).
    ///
    /// ```
    /// # #[cfg(feature = "rayon")] {
    /// let data: Vec<i32> = (0..200_000).map(|i| i % 7).collect();
    /// let v = memview::MemoryView::new(&data).unwrap();
    /// let sevens: usize = v.typed::<i32>().unwrap()
    ///     .par_map_parts(|p| p.fold(0, |n, x| n + usize::from(x == 6)))
    ///     .into_iter().sum();
    /// assert_eq!(sevens, data.iter().filter(|&&x| x == 6).count());
    /// # }
    /// ```
    pub fn par_map_parts<R: Send>(&self, f: impl Fn(Part<'_, T>) -> R + Sync + Send) -> Vec<R> {
        // A direct layout (checked by `typed`) splits without error.
        let parts = split::<T>(self.region, self.layout).unwrap_or_default();
        parts.into_par_iter().map(f).collect()
    }

    /// Runs `f` on each part of a writable view in parallel, each part writable and
    /// disjoint from the others. A `ReadOnly` error for a read-only view, and a
    /// `NotImplemented` one for a view whose items may share memory (a broadcast view),
    /// which no two threads may write at once.
    pub fn par_for_each_part_mut(&self, f: impl Fn(PartMut<'_, T>) + Sync + Send) -> Result<(), ViewError> {
        if self.view.readonly() {
            return Err(ViewError::ReadOnly);
        }
        if !self.layout.items_disjoint() {
            return Err(ViewError::NotImplemented(
                "parallel writes to a view whose items may share memory (a broadcast view)",
            ));
        }
        let parts = split::<T>(self.region, self.layout)?;
        parts.into_par_iter().for_each(|part| f(PartMut { part }));
        Ok(())
    }

    /// [`sum`](TypedView::sum) in parallel: each part summed as `sum` does, the part totals
    /// added in order (so float results may differ from `sum`'s in the last bits, and do not
    /// depend on how the threads were scheduled, only on their number).
    ///
    /// ```
    /// # #[cfg(feature = "rayon")] {
    /// let data: Vec<u16> = (0..100_000).map(|i| (i % 1000) as u16).collect();
    /// let v = memview::MemoryView::new(&data).unwrap();
    /// assert_eq!(v.typed::<u16>().unwrap().par_sum(), 49_950_000u64);
    /// # }
    /// ```
    pub fn par_sum(&self) -> T::Total
    where
        T: Summable,
        T::Total: Send,
    {
        self.par_map_parts(|p| p.sum()).into_iter().fold(T::Total::default(), T::merge)
    }

    /// A parallel fold: each part folded from `identity()` with `fold` in C order, the part
    /// results combined in order with `reduce`.
    ///
    /// ```
    /// # #[cfg(feature = "rayon")] {
    /// let data: Vec<f32> = (0..100_000).map(|i| i as f32).collect();
    /// let v = memview::MemoryView::new(&data).unwrap();
    /// let max = v.typed::<f32>().unwrap().par_fold(|| f32::MIN, f32::max, f32::max);
    /// assert_eq!(max, 99_999.0);
    /// # }
    /// ```
    pub fn par_fold<A: Send>(
        &self,
        identity: impl Fn() -> A + Sync + Send,
        fold: impl Fn(A, T) -> A + Sync + Send,
        reduce: impl Fn(A, A) -> A,
    ) -> A {
        let results = self.par_map_parts(|p| p.fold(identity(), &fold));
        let mut results = results.into_iter();
        let first = results.next().unwrap_or_else(&identity);
        results.fold(first, reduce)
    }

    /// [`map_inplace`](TypedView::map_inplace) in parallel: `f` runs on rayon's threads,
    /// each item written once. A view whose items may share memory (a broadcast view) is
    /// mapped on the calling thread, as `map_inplace` does.
    ///
    /// ```
    /// # #[cfg(feature = "rayon")] {
    /// let mut data: Vec<f64> = (0..100_000).map(f64::from).collect();
    /// let v = memview::MemoryView::from_mut_slice(&mut data);
    /// v.typed::<f64>().unwrap().par_map_inplace(|x| 2.0 * x + 1.0).unwrap();
    /// drop(v);
    /// assert_eq!(data[99_999], 199_999.0);
    /// # }
    /// ```
    pub fn par_map_inplace(&self, f: impl Fn(T) -> T + Sync + Send) -> Result<(), ViewError> {
        if !self.layout.items_disjoint() && !self.view.readonly() {
            return self.map_inplace(f);
        }
        self.par_for_each_part_mut(|mut part| part.map_inplace(&f))
    }

    /// [`to_vec`](TypedView::to_vec) in parallel: each part gathered into its own stretch
    /// of the output by the strided copy kernels.
    ///
    /// ```
    /// # #[cfg(feature = "rayon")] {
    /// let data: Vec<i64> = (0..100_000).collect();
    /// let v = memview::MemoryView::new(&data).unwrap();
    /// let odd = v.view(memview::s![1..;2]).unwrap();
    /// let odd = odd.typed::<i64>().unwrap().par_to_vec().unwrap();
    /// assert_eq!((odd.len(), odd[0], odd[49_999]), (50_000, 1, 99_999));
    /// # }
    /// ```
    pub fn par_to_vec(&self) -> Result<Vec<T>, ViewError> {
        let n = self.layout.len();
        let mut out = zeroed_vec::<T>(n).ok_or(ViewError::NoMemory(self.layout.nbytes()))?;
        let size = std::mem::size_of::<T>();
        let bytes_len = n.saturating_mul(size);
        // SAFETY: the vector holds `n` initialised `T`s, `n × size` bytes, viewed as bytes for
        // the length of this call (any bytes are a valid `T`, `Element`'s promise).
        let bytes = unsafe { std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<u8>(), bytes_len) };
        gather(self.region, self.layout, bytes)?;
        Ok(out)
    }
}

/// A vector of `n` zeroed `T`s, from the allocator's zeroed memory (fresh pages from the
/// system are not written twice); `None` if it cannot be allocated.
fn zeroed_vec<T: Element>(n: usize) -> Option<Vec<T>> {
    let layout = std::alloc::Layout::array::<T>(n).ok()?;
    if layout.size() == 0 {
        return Some(Vec::new());
    }
    // SAFETY: a layout of non-zero size.
    let p = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<T>();
    if p.is_null() {
        return None;
    }
    // SAFETY: allocated by the global allocator with `T`'s alignment and room for `n` items,
    // all zeroed, and zero bytes are a valid `T` (`Element`: any bits).
    let mut out = unsafe { Vec::from_raw_parts(p, n, n) };
    crate::fresh::advise_vec(&mut out);
    Some(out)
}

/// Gathers a direct layout's items in C order into `out` (exactly `nbytes` long), each part
/// into its own stretch of `out`, in parallel.
fn gather(region: Region, layout: &StridedLayout, out: &mut [u8]) -> Result<(), ViewError> {
    let parts = split::<u8>(region, layout)?;
    let itemsize = layout.itemsize();
    // Each part's stretch of the output: parts are consecutive in C order.
    let mut rest = out;
    let mut jobs = Vec::with_capacity(parts.len());
    for p in parts {
        let len = p.len().saturating_mul(itemsize).min(rest.len());
        let (mine, tail) = std::mem::take(&mut rest).split_at_mut(len);
        rest = tail;
        jobs.push((p, mine));
    }
    jobs.into_par_iter().try_for_each(|(p, mine)| -> Result<(), ViewError> {
        // Reads only, of memory no thread writes meanwhile (module documentation).
        p.region.with_slice(|mem| strided::copy_to_contiguous(mem, &p.layout, Order::C, mine))?;
        Ok(())
    })
}

/// Parallel copies of views of any format (the `rayon` feature).
impl MemoryView<'_> {
    /// [`to_bytes`](MemoryView::to_bytes) in parallel: the items' bytes in C order, each
    /// part gathered by the strided copy kernels (blocked transposes included) into its own
    /// stretch of the output. Indirect (suboffset) layouts are copied on the calling thread.
    ///
    /// ```
    /// # #[cfg(feature = "rayon")] {
    /// let data: Vec<u8> = (0..=255).cycle().take(1 << 20).collect();
    /// let grid = memview::MemoryView::from_bytes(&data).cast_shape("B", &[1024, 1024]).unwrap();
    /// let t = grid.transpose().unwrap();
    /// assert_eq!(t.par_to_bytes().unwrap(), t.to_bytes().unwrap());
    /// # }
    /// ```
    pub fn par_to_bytes(&self) -> Result<Vec<u8>, ViewError> {
        let Some((region, layout)) = self.live().view.direct() else {
            return self.to_bytes();
        };
        let n = layout.nbytes();
        let mut out = zeroed_vec::<u8>(n).ok_or(ViewError::NoMemory(n))?;
        gather(region, layout, &mut out)?;
        Ok(out)
    }

    /// Copies `source`'s items into this view's, as `self.assign(Key::ellipsis(), source)`
    /// does (the same checks and errors), in parallel when the destination's items are
    /// disjoint and the two views' bytes do not overlap; on the calling thread otherwise.
    ///
    /// ```
    /// # #[cfg(feature = "rayon")] {
    /// let src: Vec<f64> = (0..100_000).map(f64::from).collect();
    /// let mut dst = vec![0.0f64; 200_000];
    /// let to = memview::MemoryView::from_mut_slice(&mut dst);
    /// let every_other = to.view(memview::s![..;2]).unwrap();
    /// every_other.par_copy_from(&memview::MemoryView::new(&src).unwrap()).unwrap();
    /// drop((every_other, to));
    /// assert_eq!((dst[2], dst[3], dst[199_998]), (1.0, 0.0, 99_999.0));
    /// # }
    /// ```
    pub fn par_copy_from(&self, source: &MemoryView<'_>) -> Result<(), ViewError> {
        let parallel = (|| {
            let (dst_region, dst) = self.live().view.direct()?;
            let (src_region, src) = source.live().view.direct()?;
            let fits = !self.readonly()
                && self.format() == source.format()
                && dst.shape() == src.shape()
                && dst.itemsize() == src.itemsize()
                && dst.nbytes() >= PAR_MIN_BYTES
                && dst.items_disjoint()
                && apart(dst_region, dst, src_region, src)?;
            fits.then_some((dst_region, dst, src_region, src))
        })();
        let Some((dst_region, dst, src_region, src)) = parallel else {
            return self.assign(Key::ellipsis(), source);
        };
        let wanted = parts_wanted();
        let dst_parts = c_order_parts(dst, wanted)?;
        let src_parts = c_order_parts(src, wanted)?;
        let (dst_region, src_region) = (SharedRegion(dst_region), SharedRegion(src_region));
        dst_parts.into_par_iter().zip(src_parts).try_for_each(|(d, s)| -> Result<(), ViewError> {
            let itemsize = d.layout.itemsize();
            let (to, from) = (dst_region.addr(0), src_region.addr(0));
            strided::for_each_run_pair(&s.layout, &d.layout, |sf, df, n, ss, ds| {
                let isz = itemsize as isize;
                if ss == isz && ds == isz {
                    // SAFETY: a run of `n` adjacent items in both proven layouts (source
                    // readable, destination writable), in blocks that do not overlap
                    // (`apart`), written by this part only (disjoint items).
                    unsafe {
                        std::ptr::copy_nonoverlapping(from.wrapping_offset(sf), to.wrapping_offset(df), n * itemsize)
                    };
                    return;
                }
                let (from, to) = (from.wrapping_offset(sf), to.wrapping_offset(df));
                type Kernel = unsafe fn(*const u8, *mut u8, usize, isize, isize);
                let fixed: Option<Kernel> = match itemsize {
                    1 => Some(copy_items::<1>),
                    2 => Some(copy_items::<2>),
                    4 => Some(copy_items::<4>),
                    8 => Some(copy_items::<8>),
                    16 => Some(copy_items::<16>),
                    _ => None,
                };
                match fixed {
                    // SAFETY: as above, item by item: the `k < n` items of the run in both.
                    Some(kernel) => unsafe { kernel(from, to, n, ss, ds) },
                    None => {
                        for k in 0..n as isize {
                            // SAFETY: as above, for item `k < n`.
                            unsafe {
                                std::ptr::copy_nonoverlapping(
                                    from.wrapping_offset(k * ss),
                                    to.wrapping_offset(k * ds),
                                    itemsize,
                                )
                            };
                        }
                    }
                }
            })?;
            Ok(())
        })
    }
}

/// Copies `n` items of `N` bytes, `from + k × ss` to `to + k × ds`, each as one fixed-size
/// load and store.
///
/// # Safety
///
/// Each of the `n` source items is readable, each destination item writable, and no
/// destination byte is a source byte or touched by another thread meanwhile.
unsafe fn copy_items<const N: usize>(from: *const u8, to: *mut u8, n: usize, ss: isize, ds: isize) {
    for k in 0..n as isize {
        // SAFETY: the caller's promise, for item `k < n`.
        let item = unsafe { std::ptr::read_unaligned(from.wrapping_offset(k * ss).cast::<[u8; N]>()) };
        // SAFETY: as above.
        unsafe { std::ptr::write_unaligned(to.wrapping_offset(k * ds).cast::<[u8; N]>(), item) };
    }
}

/// Whether the bytes two direct layouts reach over their regions do not overlap.
fn apart(a_region: Region, a: &StridedLayout, b_region: Region, b: &StridedLayout) -> Option<bool> {
    let span = |r: Region, l: &StridedLayout| -> Option<(usize, usize)> {
        let (low, high) = l.extent().ok()??;
        let base = r.addr(0) as usize;
        Some((base.checked_add_signed(low)?, base.checked_add_signed(high)?))
    };
    let (Some((a0, a1)), Some((b0, b1))) = (span(a_region, a), span(b_region, b)) else {
        // An empty layout reaches no byte.
        return Some(true);
    };
    Some(a1 <= b0 || b1 <= a0)
}
