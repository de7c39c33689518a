//! Typed access: a view whose items are Rust numbers, checked once, read without per-item
//! format dispatch.

mod fixed;

pub use self::fixed::FixedView;

use crate::raw::Region;
use crate::{MemoryView, ViewError};
use buffer_protocol::Element;
use smallvec::SmallVec;
use std::marker::PhantomData;
use strided::{Order, StridedLayout};

/// A view of items of type `T`: the format and layout were checked once by
/// [`MemoryView::typed`], so indexing and iteration read `T`s straight from memory, in C
/// order over any strided (direct) layout.
///
/// ```
/// use memview::{s, MemoryView};
/// let data: Vec<f64> = (0..12).map(f64::from).collect();
/// let grid = MemoryView::new(&data).unwrap().cast("B").unwrap().cast_shape("d", &[3, 4]).unwrap();
/// let cols = grid.view(s![.., ..;3]).unwrap();
/// let typed = cols.typed::<f64>().unwrap();
/// assert_eq!((typed.shape(), typed.len()), (&[3, 2][..], 6));
/// assert_eq!(typed.iter().sum::<f64>(), 0.0 + 3.0 + 4.0 + 7.0 + 8.0 + 11.0);
/// assert_eq!(typed.get([2, 1]).unwrap(), 11.0);
/// ```
pub struct TypedView<'v, 'a, T: Element> {
    pub(crate) view: &'v MemoryView<'a>,
    /// Borrowed from the view: making a typed view copies nothing (it is made per access on
    /// the dynamic paths of bindings).
    pub(crate) layout: &'v StridedLayout,
    pub(crate) region: Region,
    _item: PhantomData<T>,
}

/// What a single-number format's items are: the kind of number (`b'i'` signed, `b'u'`
/// unsigned, `b'f'` float), its size in bytes, and whether its bytes are big-endian.
fn number_of(format: &str) -> Option<(u8, usize, bool)> {
    let b = format.as_bytes();
    let (native, big, code) = match b {
        [c] => (true, cfg!(target_endian = "big"), *c),
        [b'@', c] => (true, cfg!(target_endian = "big"), *c),
        [b'=', c] => (false, cfg!(target_endian = "big"), *c),
        [b'<', c] => (false, false, *c),
        [b'>' | b'!', c] => (false, true, *c),
        _ => return None,
    };
    let (kind, native_size, standard_size) = match code {
        b'b' => (b'i', 1, 1),
        b'B' => (b'u', 1, 1),
        b'h' => (b'i', 2, 2),
        b'H' => (b'u', 2, 2),
        b'i' => (b'i', 4, 4),
        b'I' => (b'u', 4, 4),
        b'l' => (b'i', std::mem::size_of::<std::ffi::c_long>(), 4),
        b'L' => (b'u', std::mem::size_of::<std::ffi::c_ulong>(), 4),
        b'q' => (b'i', 8, 8),
        b'Q' => (b'u', 8, 8),
        b'n' if native => (b'i', std::mem::size_of::<isize>(), 0),
        b'N' if native => (b'u', std::mem::size_of::<usize>(), 0),
        b'e' => (b'f', 2, 2),
        b'f' => (b'f', 4, 4),
        b'd' => (b'f', 8, 8),
        _ => return None,
    };
    Some((kind, if native { native_size } else { standard_size }, big))
}

/// Whether a format's items are exactly `T`s: the same kind of number, of the same size, in
/// the same byte order (`"<d"` is `f64` on a little-endian host, `">d"` is `Be<f64>`
/// everywhere; `l`, `q` and `n` are all `i64` here).
#[inline]
fn format_matches<T: Element>(format: &str) -> bool {
    // The common case first, without parsing: the type's own spelling (`"d"` for `f64`).
    if format == T::FORMAT {
        return true;
    }
    match (number_of(format), number_of(T::FORMAT)) {
        (Some(have), Some(want)) => have == want,
        _ => false,
    }
}

impl<'a> MemoryView<'a> {
    /// A typed view of this view's items; an error unless the format's items are `T`s (the
    /// same kind of number, of the same size, in the same byte order) and the layout is
    /// direct (no suboffsets).
    ///
    /// Explicit byte orders are welcome: `"<d"` (NumPy's `<f8`, a `.npy` file's) is `f64` on
    /// a little-endian host, and items in the other order are read through
    /// [`Be`](crate::Be) or [`Le`](crate::Le), one byte swap per item:
    ///
    /// ```
    /// use memview::{Be, MemoryView};
    /// let v = MemoryView::from_bytes(&[1, 2]);
    /// assert!(v.typed::<u8>().is_ok());
    /// assert!(v.typed::<i8>().is_err());
    ///
    /// // Two big-endian u16s, as a file or a packet holds them.
    /// let be = MemoryView::from_bytes(&[1, 2, 0, 5]).cast("B").unwrap();
    /// let be = be.reinterpret(">H", memview::StridedLayout::contiguous(2, &[2]).unwrap()).unwrap();
    /// let values: Vec<u16> = be.typed::<Be<u16>>().unwrap().iter().map(Be::get).collect();
    /// assert_eq!(values, [258, 5]);
    /// ```
    pub fn typed<T: Element>(&self) -> Result<TypedView<'_, 'a, T>, ViewError> {
        let live = self.live();
        let mismatch =
            || ViewError::TypeMismatch { format: live.format().to_string(), rust_type: std::any::type_name::<T>() };
        if !format_matches::<T>(live.format()) || live.layout().itemsize() != std::mem::size_of::<T>() {
            return Err(mismatch());
        }
        let Some((region, layout)) = live.view.direct() else {
            return Err(ViewError::NotImplemented("typed views of indirect (suboffset) layouts are not supported"));
        };
        Ok(TypedView { view: self, layout, region, _item: PhantomData })
    }
}

impl<T: Element> TypedView<'_, '_, T> {
    /// The shape.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[0; 6]).cast_shape("B", &[2, 3]).unwrap();
    /// assert_eq!(v.typed::<u8>().unwrap().shape(), &[2, 3]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        self.layout.shape()
    }

    /// The number of dimensions.
    ///
    /// ```
    /// assert_eq!(memview::MemoryView::from_bytes(&[0; 2]).typed::<u8>().unwrap().ndim(), 1);
    /// ```
    pub fn ndim(&self) -> usize {
        self.layout.ndim()
    }

    /// The number of items (the product of the shape; 1 for a 0-D view).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[0; 6]).cast_shape("B", &[2, 3]).unwrap();
    /// assert_eq!(v.typed::<u8>().unwrap().len(), 6);
    /// ```
    pub fn len(&self) -> usize {
        self.layout.len()
    }

    /// Whether there are no items.
    ///
    /// ```
    /// assert!(memview::MemoryView::from_bytes(&[]).typed::<u8>().unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The item at an index tuple (one index per dimension, negative from the end): an
    /// array, a slice or a `Vec` of `isize`.
    ///
    /// ```
    /// let data = [5u16, 6];
    /// let v = memview::MemoryView::new(&data[..]).unwrap();
    /// assert_eq!(v.typed::<u16>().unwrap().get([-1]).unwrap(), 6);
    /// ```
    #[inline]
    pub fn get(&self, index: impl AsRef<[isize]>) -> Result<T, ViewError> {
        let off = self.offset_of(index.as_ref())?;
        // SAFETY: `offset_of` checked every index against the shape, and the layout was
        // checked against the region when the view was made, so the item's bytes lie within
        // the live region (readable, exporter promise 1); `T: Element` accepts any bits;
        // `read_unaligned` needs no alignment.
        Ok(unsafe { std::ptr::read_unaligned(self.region.addr(off).cast::<T>()) })
    }

    /// Writes the item at an index tuple.
    ///
    /// ```
    /// let mut data = [0u32; 2];
    /// let v = memview::MemoryView::from_mut_slice(&mut data);
    /// v.typed::<u32>().unwrap().set([1], 9).unwrap();
    /// drop(v);
    /// assert_eq!(data, [0, 9]);
    /// ```
    pub fn set(&self, index: impl AsRef<[isize]>, value: T) -> Result<(), ViewError> {
        if self.view.readonly() {
            return Err(ViewError::ReadOnly);
        }
        let off = self.offset_of(index.as_ref())?;
        // SAFETY: as in `get`, and the view is writable, so the memory is (promise 1).
        unsafe { std::ptr::write_unaligned(self.region.addr(off).cast::<T>(), value) };
        Ok(())
    }

    /// The byte offset of the item at a full index (one per dimension, negative from the
    /// end), every index checked against its extent: the typed views' hot path. It is
    /// `StridedLayout::item_offset` without the pointer check (typed layouts are direct) and
    /// with the error built only on failure; calling that instead measured 15-25% slower.
    #[inline]
    fn offset_of(&self, index: &[isize]) -> Result<isize, ViewError> {
        let l = self.layout;
        if index.len() != l.ndim() {
            return Err(strided::LayoutError::TooManyIndices { ndim: l.ndim(), n: index.len() }.into());
        }
        item_offset(l.offset(), l.shape(), l.strides(), index)
    }

    /// Calls `f` with every item in C order.
    ///
    /// ```
    /// let data = [1i64, 2, 3];
    /// let v = memview::MemoryView::new(&data[..]).unwrap();
    /// let mut seen = vec![];
    /// v.typed::<i64>().unwrap().for_each(|x| seen.push(x));
    /// assert_eq!(seen, [1, 2, 3]);
    /// ```
    pub fn for_each(&self, f: impl FnMut(T)) {
        for_each_in(self.region, self.layout, f);
    }

    /// Replaces every item `x` by `f(x)`, in C order; a `ReadOnly` error for a read-only
    /// view. Items that share memory (a broadcast view) are mapped once per visit.
    ///
    /// ```
    /// let mut data = [1.0f64, 2.0, 3.0, 4.0];
    /// let v = memview::MemoryView::from_mut_slice(&mut data);
    /// let every_other = v.view(memview::s![..;2]).unwrap();
    /// every_other.typed::<f64>().unwrap().map_inplace(|x| x * 10.0).unwrap();
    /// drop((every_other, v));
    /// assert_eq!(data, [10.0, 2.0, 30.0, 4.0]);
    /// ```
    pub fn map_inplace(&self, f: impl FnMut(T) -> T) -> Result<(), ViewError> {
        if self.view.readonly() {
            return Err(ViewError::ReadOnly);
        }
        // SAFETY: the view is writable (checked), so its memory is (promise 1).
        unsafe { map_in(self.region, self.layout, f) };
        Ok(())
    }
    /// The items in C order, read lazily (no allocation for views of up to 8 dimensions);
    /// the iterator knows its length and runs from both ends.
    ///
    /// ```
    /// let data = [1u8, 2, 3];
    /// let v = memview::MemoryView::new(&data[..]).unwrap();
    /// let t = v.typed::<u8>().unwrap();
    /// assert_eq!(t.iter().max(), Some(3));
    /// assert_eq!(t.iter().rev().collect::<Vec<_>>(), [3, 2, 1]);
    /// assert_eq!(t.iter().len(), 3);
    /// ```
    pub fn iter(&self) -> TypedIter<'_, T> {
        iter_in(self.region, self.layout)
    }

    /// The items in C order, collected: one copy of the bytes for a C-contiguous view, a
    /// strided walk otherwise. A `MemoryError`-kind error if the items cannot be allocated
    /// (a huge stride-0 view, say), never an abort.
    ///
    /// ```
    /// let data = [1.5f32, 2.5];
    /// let v = memview::MemoryView::new(&data[..]).unwrap();
    /// assert_eq!(v.typed::<f32>().unwrap().to_vec().unwrap(), [1.5, 2.5]);
    /// ```
    pub fn to_vec(&self) -> Result<Vec<T>, ViewError> {
        let n = self.layout.len();
        let mut out: Vec<T> = Vec::new();
        crate::fresh::try_reserve_exact(&mut out, n).map_err(|_| ViewError::NoMemory(self.layout.nbytes()))?;
        if n > 0 && self.layout.is_c_contiguous() {
            let src = self.region.addr(self.layout.offset());
            // SAFETY: a C-contiguous layout checked against the live region: its `nbytes`
            // bytes from `src` are readable; `out` has room for `n` items (`n × size` = nbytes
            // bytes), and the two do not overlap (`out` is a fresh allocation).
            unsafe { std::ptr::copy_nonoverlapping(src, out.as_mut_ptr().cast::<u8>(), self.layout.nbytes()) };
            // SAFETY: the first `n` items were just written, and any bits are a valid `T`
            // (`Element`).
            unsafe { out.set_len(n) };
            return Ok(out);
        }
        self.for_each(|x| out.push(x));
        Ok(out)
    }

    /// The sum of the items, as NumPy's `sum` computes it: integers add into a 64-bit
    /// accumulator (`i64` for signed, `u64` for unsigned items) that wraps on overflow, never
    /// panicking; floats add in their own type. Each run of items is summed with four
    /// partial sums, as NumPy and ndarray do, so float results may differ from a strictly
    /// sequential sum in the last bits.
    ///
    /// ```
    /// let data: Vec<i32> = (1..=10).collect();
    /// let v = memview::MemoryView::new(&data).unwrap();
    /// assert_eq!(v.typed::<i32>().unwrap().sum(), 55i64);
    /// let bytes = [200u8, 100];
    /// assert_eq!(memview::MemoryView::new(&bytes[..]).unwrap().typed::<u8>().unwrap().sum(), 300u64);
    /// ```
    pub fn sum(&self) -> T::Total
    where
        T: Summable,
    {
        sum_in::<T>(self.region, self.layout)
    }
}

/// Index `i` of an axis of `n` items, negative from the end, checked: the typed views' one
/// bounds check (`LayoutError::IndexOutOfBounds` naming `axis`).
#[inline]
pub(crate) fn wrap_index(i: isize, n: usize, axis: usize) -> Result<isize, ViewError> {
    let len = n as isize;
    let j = if i < 0 { i.wrapping_add(len) } else { i };
    if !(0..len).contains(&j) {
        return Err(strided::LayoutError::IndexOutOfBounds { index: i, axis, size: n }.into());
    }
    Ok(j)
}

/// The byte offset of the item at `index` (one per axis, each checked by [`wrap_index`])
/// from `offset`, the offset of the first item. Callers pass the axes of a layout proven
/// against its region: an in-range index reaches one of its items, so `j × s` and the sum lie
/// within its extent, which fits `isize`.
#[inline]
pub(crate) fn item_offset(
    offset: isize,
    shape: &[usize],
    strides: &[isize],
    index: &[isize],
) -> Result<isize, ViewError> {
    let mut off = offset;
    for (axis, ((&i, &n), &s)) in index.iter().zip(shape).zip(strides).enumerate() {
        off += wrap_index(i, n, axis)? * s;
    }
    Ok(off)
}

/// [`TypedView::iter`] over a region and a direct layout proven against it; the iterator
/// must not outlive the acquisition (the callers tie `'t` to a borrow of it).
pub(crate) fn iter_in<'t, T: Element>(region: Region, layout: &StridedLayout) -> TypedIter<'t, T> {
    if let Some(stride) = one_run(layout) {
        let run =
            RunIter { base: region.addr(0), front: layout.offset(), stride, left: layout.len(), _view: PhantomData };
        return TypedIter { walk: Walk::Run(run) };
    }
    TypedIter { walk: Walk::Nd(nd_iter_in(region, layout)) }
}

/// The stride of the one run a layout's items form in C order (each dimension's stride is
/// the next one's times its extent, dimensions of extent 1 aside), if they form one. An
/// empty layout is an empty run.
fn one_run(layout: &StridedLayout) -> Option<isize> {
    if layout.is_empty() {
        return Some(0);
    }
    let mut inner: Option<(usize, isize)> = None;
    for (&n, &s) in layout.shape().iter().zip(layout.strides()).rev() {
        if n == 1 {
            continue;
        }
        match inner {
            None => inner = Some((n, s)),
            Some((m, t)) => {
                // In range (the layout was checked), so the products do not overflow; a
                // mismatch is a second run.
                if t.checked_mul(m as isize) != Some(s) {
                    return None;
                }
                inner = Some((n.checked_mul(m)?, t));
            }
        }
    }
    Some(inner.map_or(0, |(_, t)| t))
}

/// [`iter_in`]'s index-by-index walk.
fn nd_iter_in<'t, T: Element>(region: Region, layout: &StridedLayout) -> NdIter<'t, T> {
    let shape: SmallVec<[usize; 8]> = SmallVec::from_slice(layout.shape());
    let strides: SmallVec<[isize; 8]> = SmallVec::from_slice(layout.strides());
    let remaining = layout.len();
    let start = layout.offset();
    // The last item: every index at its dimension's end (unused when there are none).
    let last =
        shape.iter().zip(&strides).fold(start, |o, (&n, &s)| o.wrapping_add((n.max(1) as isize - 1).wrapping_mul(s)));
    NdIter {
        base: region.addr(0),
        front: Cursor { index: SmallVec::from_elem(0, shape.len()), offset: start },
        back: Cursor { index: shape.iter().map(|&n| n.saturating_sub(1)).collect(), offset: last },
        front_left: shape.last().copied().unwrap_or(1),
        inner_stride: strides.last().copied().unwrap_or(0),
        shape,
        strides,
        remaining,
        _view: PhantomData,
    }
}

/// [`TypedView::for_each`] over a region and a direct layout proven against it.
pub(crate) fn for_each_in<T: Element>(region: Region, layout: &StridedLayout, mut f: impl FnMut(T)) {
    let base = region.addr(0);
    // Direct layouts only (checked by `typed`), so the iteration cannot fail.
    let _ = strided::for_each_run(layout, Order::C, |first, n, stride| {
        let mut p = base.wrapping_offset(first);
        for _ in 0..n {
            // SAFETY: `first + k × stride` for `k < n` are offsets of in-range items of a
            // layout checked against the live region (the callers' promise, see `get`).
            f(unsafe { std::ptr::read_unaligned(p.cast::<T>()) });
            p = p.wrapping_offset(stride);
        }
    });
}

/// [`TypedView::map_inplace`] over a region and a direct layout proven against it.
///
/// # Safety
///
/// The layout was proven against the region of a live acquisition whose memory is writable,
/// and no other thread reads or writes the layout's items meanwhile.
pub(crate) unsafe fn map_in<T: Element>(region: Region, layout: &StridedLayout, mut f: impl FnMut(T) -> T) {
    let base = region.addr(0);
    let _ = strided::for_each_run(layout, Order::C, |first, n, stride| {
        let mut p = base.wrapping_offset(first).cast::<T>();
        if stride == std::mem::size_of::<T>() as isize {
            // Adjacent items, indexed from the run's start (a loop the compiler vectorizes).
            for k in 0..n {
                // SAFETY: `k < n`: the run's items lie within the region's allocation.
                let q = unsafe { p.add(k) };
                // SAFETY: an in-range item of a proven layout (readable), any bits a valid `T`.
                let x = unsafe { std::ptr::read_unaligned(q) };
                // SAFETY: as below.
                unsafe { std::ptr::write_unaligned(q, f(x)) };
            }
            return;
        }
        for _ in 0..n {
            // SAFETY: an in-range item of a proven layout (readable), any bits a valid `T`.
            let x = unsafe { std::ptr::read_unaligned(p) };
            // SAFETY: the same item, writable (the caller's promise); `f` holds no reference
            // into the memory (views hand out values only).
            unsafe { std::ptr::write_unaligned(p, f(x)) };
            p = p.wrapping_byte_offset(stride);
        }
    });
}

/// [`TypedView::sum`] over a region and a direct layout proven against it.
pub(crate) fn sum_in<T: Summable>(region: Region, layout: &StridedLayout) -> T::Total {
    let base = region.addr(0);
    let mut total = T::Total::default();
    let _ = strided::for_each_run(layout, Order::C, |first, n, stride| {
        let at = |k: usize| base.wrapping_offset(first + k as isize * stride).cast::<T>();
        let mut acc = [T::Total::default(); 4];
        let mut k = 0;
        while k + 4 <= n {
            for (j, a) in acc.iter_mut().enumerate() {
                // SAFETY: `k + j < n`: an in-range item of a layout checked against the live
                // region (see `get`).
                *a = T::add(*a, unsafe { std::ptr::read_unaligned(at(k + j)) });
            }
            k += 4;
        }
        while k < n {
            // SAFETY: as above, `k < n`.
            acc[0] = T::add(acc[0], unsafe { std::ptr::read_unaligned(at(k)) });
            k += 1;
        }
        total = T::merge(total, T::merge(T::merge(acc[0], acc[1]), T::merge(acc[2], acc[3])));
    });
    total
}

impl<'t, T: Element> IntoIterator for &'t TypedView<'_, '_, T> {
    type Item = T;
    type IntoIter = TypedIter<'t, T>;

    fn into_iter(self) -> TypedIter<'t, T> {
        self.iter()
    }
}

/// A position in C order: the index and the byte offset of its item.
#[derive(Debug, Clone)]
struct Cursor {
    index: SmallVec<[usize; 8]>,
    offset: isize,
}

/// The items of a [`TypedView`] in C order, read as they are asked for: see
/// [`TypedView::iter`].
///
/// ```
/// let data: Vec<i32> = (0..6).collect();
/// let m = memview::MemoryView::new(&data).unwrap().cast("B").unwrap().cast_shape("i", &[2, 3]).unwrap();
/// let t = m.transpose().unwrap();
/// let t = t.typed::<i32>().unwrap();
/// let mut it = t.iter();
/// assert_eq!((it.next(), it.next_back(), it.len()), (Some(0), Some(5), 4));
/// assert_eq!(it.collect::<Vec<_>>(), [3, 1, 4, 2]);
/// ```
#[derive(Debug, Clone)]
pub struct TypedIter<'t, T> {
    walk: Walk<'t, T>,
}

/// How a [`TypedIter`] walks: one run of evenly spaced items (1-D views, contiguous views,
/// any layout whose dimensions collapse into one), like a slice iterator; or index by index.
// An iterator lives on its caller's stack; boxing the larger walk would allocate per iterator.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
enum Walk<'t, T> {
    Run(RunIter<'t, T>),
    Nd(NdIter<'t, T>),
}

/// Evenly spaced items: `left` of them from offset `front`, `stride` bytes apart.
#[derive(Debug, Clone)]
struct RunIter<'t, T> {
    base: *mut u8,
    front: isize,
    stride: isize,
    left: usize,
    _view: PhantomData<&'t T>,
}

impl<T: Element> RunIter<'_, T> {
    /// Reads the item at `offset`.
    #[inline(always)]
    fn read(&self, offset: isize) -> T {
        // SAFETY: `offset` is the offset of an in-range item (the first `left` items of the
        // run from `front` are items of the view, in C order) of a layout checked against the
        // region, which the borrowed `TypedView` keeps alive (see `TypedView::get`).
        unsafe { std::ptr::read_unaligned(self.base.wrapping_offset(offset).cast::<T>()) }
    }
}

/// Items index by index, for layouts that do not collapse into one run.
#[derive(Debug, Clone)]
struct NdIter<'t, T> {
    base: *mut u8,
    shape: SmallVec<[usize; 8]>,
    strides: SmallVec<[isize; 8]>,
    /// The front cursor; its index of the last dimension is not kept (see `front_left`).
    front: Cursor,
    back: Cursor,
    remaining: usize,
    /// The items left in the front cursor's run along the last dimension, the one at its
    /// offset included: `next` steps within a run by one addition.
    front_left: usize,
    /// The last dimension's stride (0 for a 0-dim layout).
    inner_stride: isize,
    _view: PhantomData<&'t T>,
}

impl<T: Element> NdIter<'_, T> {
    /// Moves the front cursor from the last item of a run to the first of the next run, in
    /// C order (the outer dimensions carry).
    fn next_run(&mut self) {
        let nd = self.shape.len();
        let Some(inner) = nd.checked_sub(1) else { return };
        let inner_n = self.shape[inner];
        self.front_left = inner_n;
        // Back to the run's start, then one step of the outer dimensions.
        let run = self.inner_stride.wrapping_mul(inner_n.saturating_sub(1) as isize);
        self.front.offset = self.front.offset.wrapping_sub(run);
        for d in (0..inner).rev() {
            self.front.index[d] += 1;
            self.front.offset = self.front.offset.wrapping_add(self.strides[d]);
            if self.front.index[d] < self.shape[d] {
                break;
            }
            self.front.offset = self.front.offset.wrapping_sub(self.strides[d].wrapping_mul(self.shape[d] as isize));
            self.front.index[d] = 0;
        }
    }

    /// Reads the item at `offset`.
    fn read(&self, offset: isize) -> T {
        // SAFETY: `offset` is the offset of an in-range item (the cursors only visit indices
        // inside the shape, counted by `remaining`) of a layout checked against the region,
        // which the borrowed `TypedView` keeps alive (see `TypedView::get`).
        unsafe { std::ptr::read_unaligned(self.base.wrapping_offset(offset).cast::<T>()) }
    }
}

impl<T: Element> Iterator for NdIter<'_, T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let item = self.read(self.front.offset);
        // Offsets wrap rather than overflow past the last item: only in-range ones are read.
        if self.front_left > 1 {
            // Within a run: one step along the last dimension.
            self.front_left -= 1;
            self.front.offset = self.front.offset.wrapping_add(self.inner_stride);
        } else {
            self.next_run();
        }
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }

    /// Internal iteration (`sum`, `fold`, `for_each`, `max`, ...) of an iterator nothing was
    /// taken from yet: run by run along the last dimension, a plain pointer walk per run, so
    /// `t.iter().sum()` runs at a slice iterator's rate; otherwise item by item.
    #[inline]
    fn fold<B, F: FnMut(B, T) -> B>(mut self, init: B, mut f: F) -> B {
        let nd = self.shape.len();
        // Nothing taken from either end: `remaining` is still every item.
        let untouched = self.remaining > 0 && self.remaining == self.shape.iter().product::<usize>();
        if !untouched || nd == 0 {
            let mut acc = init;
            // `next` item by item (a `for` loop calls `next`, never this `fold`).
            for x in self.by_ref() {
                acc = f(acc, x);
            }
            return acc;
        }
        // Not empty (`remaining > 0`), so every extent is at least 1.
        let (inner_n, inner_stride) = (self.shape[nd - 1], self.strides[nd - 1]);
        let runs = self.remaining / inner_n;
        let mut index: SmallVec<[usize; 8]> = SmallVec::from_elem(0, nd - 1);
        let mut offset = self.front.offset;
        let mut acc = init;
        for _ in 0..runs {
            let mut p = self.base.wrapping_offset(offset);
            for _ in 0..inner_n {
                // SAFETY: `p` walks the items of one run along the last dimension, whose
                // offsets are those of in-range items of a layout checked against the region
                // (see `TypedView::get`); `read_unaligned` needs no alignment.
                acc = f(acc, unsafe { std::ptr::read_unaligned(p.cast::<T>()) });
                p = p.wrapping_offset(inner_stride);
            }
            // The next run: step the outer dimensions in C order.
            for d in (0..nd - 1).rev() {
                index[d] += 1;
                offset = offset.wrapping_add(self.strides[d]);
                if index[d] < self.shape[d] {
                    break;
                }
                offset = offset.wrapping_sub(self.strides[d].wrapping_mul(self.shape[d] as isize));
                index[d] = 0;
            }
        }
        acc
    }
}

impl<T: Element> DoubleEndedIterator for NdIter<'_, T> {
    #[inline]
    fn next_back(&mut self) -> Option<T> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let item = self.read(self.back.offset);
        for d in (0..self.shape.len()).rev() {
            if self.back.index[d] > 0 {
                self.back.index[d] -= 1;
                self.back.offset = self.back.offset.wrapping_sub(self.strides[d]);
                break;
            }
            self.back.index[d] = self.shape[d].saturating_sub(1);
            self.back.offset = self
                .back
                .offset
                .wrapping_add(self.strides[d].wrapping_mul(self.shape[d] as isize).wrapping_sub(self.strides[d]));
        }
        Some(item)
    }
}

impl<T: Element> Iterator for RunIter<'_, T> {
    type Item = T;

    #[inline(always)]
    fn next(&mut self) -> Option<T> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let item = self.read(self.front);
        // Wraps rather than overflows past the last item: only in-range offsets are read.
        self.front = self.front.wrapping_add(self.stride);
        Some(item)
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }

    #[inline]
    fn fold<B, F: FnMut(B, T) -> B>(self, init: B, mut f: F) -> B {
        let mut acc = init;
        let mut p = self.base.wrapping_offset(self.front);
        for _ in 0..self.left {
            // SAFETY: `p` walks the run's `left` items, in-range items of a layout checked
            // against the region (see `read`); `read_unaligned` needs no alignment.
            acc = f(acc, unsafe { std::ptr::read_unaligned(p.cast::<T>()) });
            p = p.wrapping_offset(self.stride);
        }
        acc
    }
}

impl<T: Element> DoubleEndedIterator for RunIter<'_, T> {
    #[inline(always)]
    fn next_back(&mut self) -> Option<T> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        Some(self.read(self.front.wrapping_add(self.stride.wrapping_mul(self.left as isize))))
    }
}

impl<T: Element> Iterator for TypedIter<'_, T> {
    type Item = T;

    #[inline(always)]
    fn next(&mut self) -> Option<T> {
        match &mut self.walk {
            Walk::Run(r) => r.next(),
            Walk::Nd(w) => w.next(),
        }
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.walk {
            Walk::Run(r) => r.size_hint(),
            Walk::Nd(w) => w.size_hint(),
        }
    }

    /// Internal iteration (`sum`, `fold`, `for_each`, `max`, ...): run by run, a plain
    /// pointer walk per run, so `t.iter().sum()` runs at a slice iterator's rate.
    #[inline]
    fn fold<B, F: FnMut(B, T) -> B>(self, init: B, f: F) -> B {
        match self.walk {
            Walk::Run(r) => r.fold(init, f),
            Walk::Nd(w) => w.fold(init, f),
        }
    }
}

impl<T: Element> DoubleEndedIterator for TypedIter<'_, T> {
    #[inline(always)]
    fn next_back(&mut self) -> Option<T> {
        match &mut self.walk {
            Walk::Run(r) => r.next_back(),
            Walk::Nd(w) => w.next_back(),
        }
    }
}

impl<T: Element> ExactSizeIterator for TypedIter<'_, T> {}

impl<T: Element> std::iter::FusedIterator for TypedIter<'_, T> {}

/// Item types [`TypedView::sum`] can add up, and the accumulator NumPy would use.
///
/// ```
/// use memview::Summable;
/// assert_eq!(<i8 as Summable>::add(0i64, -3), -3i64);
/// assert_eq!(<u8 as Summable>::merge(u64::MAX, 1), 0, "integer totals wrap");
/// ```
pub trait Summable: Element {
    /// The accumulator: `i64`, `u64`, or the float type itself.
    type Total: Copy + Default + PartialEq + std::fmt::Debug;
    /// Adds one item to a total.
    fn add(total: Self::Total, item: Self) -> Self::Total;
    /// Adds two totals.
    fn merge(a: Self::Total, b: Self::Total) -> Self::Total;
}

macro_rules! summable_int {
    ($total:ty: $($t:ty),*) => {$(
        impl Summable for $t {
            type Total = $total;
            #[inline(always)]
            fn add(total: $total, item: $t) -> $total {
                total.wrapping_add(item as $total)
            }
            #[inline(always)]
            fn merge(a: $total, b: $total) -> $total {
                a.wrapping_add(b)
            }
        }
    )*};
}
summable_int!(i64: i8, i16, i32, i64, isize);
summable_int!(u64: u8, u16, u32, u64, usize);

macro_rules! summable_float {
    ($($t:ty),*) => {$(
        impl Summable for $t {
            type Total = $t;
            #[inline(always)]
            fn add(total: $t, item: $t) -> $t {
                total + item
            }
            #[inline(always)]
            fn merge(a: $t, b: $t) -> $t {
                a + b
            }
        }
    )*};
}
summable_float!(f32, f64);

/// Records: items whose format is a struct format (`"<IHH"`, `"=qd4s"`), decoded straight
/// from the view's memory into Rust values.
impl<'a> MemoryView<'a> {
    /// The items of this view, each one record of its struct format, decoded as `T` (a tuple
    /// of numbers and `[u8; N]`, or a [`record!`](crate::record) struct), in C order. The
    /// format is checked once against `T`; the bytes are read where they are when the view is
    /// C-contiguous (gathered once otherwise).
    ///
    /// A "header plus records" file, pcap style: a 24-byte header, then records of a
    /// 16-byte header and their payloads, read through views without copying the file.
    ///
    /// ```
    /// use memview::{MemoryView, StridedLayout};
    /// # let mut file = vec![0u8; 24];
    /// # file[..4].copy_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    /// # for (ts, len) in [(1u32, 3u32), (2, 1)] {
    /// #     for v in [ts, 0, len, len] { file.extend(v.to_le_bytes()); }
    /// #     file.extend(std::iter::repeat(0xab).take(len as usize));
    /// # }
    /// let pcap = MemoryView::from_bytes(&file);
    /// let header = pcap.slice(..24).unwrap().reinterpret("<IHHiIII", StridedLayout::contiguous(24, &[1]).unwrap()).unwrap();
    /// let [(magic, ..)] = header.records::<(u32, u16, u16, i32, u32, u32, u32)>().unwrap()[..] else { panic!() };
    /// assert_eq!(magic, 0xa1b2c3d4);
    ///
    /// let mut at = 24;
    /// let mut packets = Vec::new();
    /// while at < file.len() {
    ///     let rec = pcap.reinterpret("<IIII", StridedLayout::new(16, &[1], &[16], at as isize).unwrap()).unwrap();
    ///     let [(ts, _, caplen, _)] = rec.records::<(u32, u32, u32, u32)>().unwrap()[..] else { panic!() };
    ///     packets.push((ts, pcap.slice(at + 16..at + 16 + caplen as usize).unwrap().to_bytes().unwrap()));
    ///     at += 16 + caplen as usize;
    /// }
    /// assert_eq!(packets, [(1, vec![0xab; 3]), (2, vec![0xab])]);
    /// ```
    pub fn records<T: format_codec::Record>(&self) -> Result<Vec<T>, ViewError> {
        let mut out = Vec::new();
        crate::fresh::try_reserve_exact(&mut out, self.len()).map_err(|_| ViewError::NoMemory(self.len()))?;
        self.for_each_record(|r| out.push(r))?;
        Ok(out)
    }

    /// [`records`](Self::records) without collecting them: `f` gets each record in turn.
    ///
    /// ```
    /// use memview::{MemoryView, StridedLayout};
    /// let bytes = [1u8, 0, 2, 0, 3, 0, 4, 0];
    /// let pairs = MemoryView::from_bytes(&bytes).reinterpret("<hh", StridedLayout::contiguous(4, &[2]).unwrap()).unwrap();
    /// let mut sum = 0;
    /// pairs.for_each_record(|(a, b): (i16, i16)| sum += a * b).unwrap();
    /// assert_eq!(sum, 1 * 2 + 3 * 4);
    /// ```
    pub fn for_each_record<T: format_codec::Record>(&self, mut f: impl FnMut(T)) -> Result<(), ViewError> {
        let live = self.live();
        let mismatch =
            || ViewError::TypeMismatch { format: live.format().to_string(), rust_type: std::any::type_name::<T>() };
        let s = format_codec::Struct::new(live.format()).map_err(|_| mismatch())?;
        if s.size() != live.layout().itemsize() {
            return Err(mismatch());
        }
        let decoder = s.typed::<T>()?;
        if live.layout().is_empty() {
            return Ok(());
        }
        self.with_c_bytes(|bytes| -> Result<(), ViewError> {
            for r in decoder.iter(bytes)? {
                f(r);
            }
            Ok(())
        })?
    }
}
