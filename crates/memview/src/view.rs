//! The [`MemoryView`] type: construction, attributes, indexing, slicing, casting, writing.

use crate::items::{native_size, ItemCodec};
use crate::raw::{self, Region};
use crate::{Key, ViewError};
use buffer_protocol::{Access, BufferInfo, ByteArray, Exporter, Flags, MutSlice, RawMemory};
use format_codec::Value;
use smallvec::SmallVec;
use std::cell::Cell;
use std::rc::Rc;
use strided::{Index, Order, StridedLayout};

/// One acquisition of an exporter, shared by every view derived from it (CPython's managed
/// buffer). The exporter's release runs exactly once, when the last view lets go.
pub(crate) struct Managed<'a> {
    /// Shared, not boxed: the exporter is put in place before it exports and never moves
    /// again (an owned array exporter moved after `get_buffer` would leave the descriptor
    /// pointing at its old place).
    exporter: Rc<dyn Exporter + 'a>,
    info: BufferInfo,
}

impl Drop for Managed<'_> {
    fn drop(&mut self) {
        // SAFETY: `info` came from this exporter's `get_buffer` (in `with_flags`); `Managed`
        // is dropped once, when the last view sharing it goes, and the descriptor with it.
        unsafe { self.exporter.release_buffer(&self.info) };
    }
}

/// A live view: its acquisition, its own layout over the acquisition's memory block, its
/// format, and the count of buffers exported from it.
#[derive(Clone)]
pub(crate) struct Live<'a> {
    pub(crate) mbuf: Rc<Managed<'a>>,
    pub(crate) layout: StridedLayout,
    pub(crate) format: Rc<str>,
    pub(crate) codec: Rc<ItemCodec>,
    pub(crate) readonly: bool,
    exports: Rc<Cell<usize>>,
}

/// What a subscript gives: one item or a new view.
///
/// ```
/// use memview::{MemoryView, Subscript};
/// let v = MemoryView::from_bytes(b"ab");
/// assert!(matches!(v.subscript(&1.into()).unwrap(), Subscript::Item(_)));
/// assert!(matches!(v.subscript(&(0..1).into()).unwrap(), Subscript::View(_)));
/// ```
#[derive(Debug)]
pub enum Subscript<'a> {
    /// The item's value.
    Item(Value),
    /// A view of part of the memory (no copy), boxed to keep the enum small.
    View(Box<MemoryView<'a>>),
}

/// Python's `memoryview`, in Rust: a typed, N-dimensional, strided view of memory an
/// [`Exporter`] owns, with CPython's semantics and errors, and NumPy's where CPython stops.
///
/// * Views derived from a view (slices, sub-views, casts, [`to_readonly`](Self::to_readonly),
///   [`Clone`]) share one acquisition of the exporter, released once when the last goes.
/// * Views never hold Rust references into the memory: two writable views of the same bytes
///   can coexist, as in Python, and every access goes through checked raw-pointer code.
/// * `MemoryView` is neither `Send` nor `Sync`: views that share memory must stay on one
///   thread, or a write through one would race with a read through another.
///
/// ```
/// use memview::{MemoryView, Slice};
/// let mut data = *b"Python";
/// let v = MemoryView::from_mut(&mut data);
/// v.set(0, &74.into()).unwrap();        // b'J' == 74
/// let tail = v.slice(Slice::new(Some(1), None, None)).unwrap();
/// assert_eq!(tail.to_bytes().unwrap(), b"ython");
/// drop((v, tail));
/// assert_eq!(&data, b"Jython");
/// ```
pub struct MemoryView<'a> {
    live: Option<Live<'a>>,
}

impl std::fmt::Debug for MemoryView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::output::debug(self, f)
    }
}

impl Clone for MemoryView<'_> {
    /// `memoryview(m)`: a new view of the same layout on the same acquisition.
    fn clone(&self) -> Self {
        MemoryView { live: self.live.as_ref().map(|l| Live { exports: Rc::new(Cell::new(0)), ..l.clone() }) }
    }
}

impl<'a> MemoryView<'a> {
    // ----- construction -------------------------------------------------------------------

    /// A view of an exporter, requested with `PyBUF_FULL_RO` as `memoryview(obj)` does (the
    /// view is writable if the exporter's memory is).
    ///
    /// ```
    /// use memview::MemoryView;
    /// let data = vec![1.5f64, 2.5];
    /// let v = MemoryView::new(&data).unwrap();
    /// assert_eq!((v.format().unwrap(), v.itemsize().unwrap(), v.readonly().unwrap()), ("d".into(), 8, true));
    /// ```
    pub fn new(exporter: impl Exporter + 'a) -> Result<MemoryView<'a>, ViewError> {
        MemoryView::with_flags(exporter, Flags::FULL_RO)
    }

    /// A view of an exporter, requested with the consumer's flags (`memoryview._from_flags`);
    /// fields not requested get CPython's defaults (format `"B"`, 1-D of `len` bytes).
    ///
    /// ```
    /// use buffer_protocol::Flags;
    /// use memview::MemoryView;
    /// let data = [1u32, 2, 3];
    /// let v = MemoryView::with_flags(&data, Flags::SIMPLE).unwrap();
    /// assert_eq!((v.format().unwrap(), v.shape().unwrap()), ("B".into(), vec![12]));
    /// ```
    pub fn with_flags(exporter: impl Exporter + 'a, flags: Flags) -> Result<MemoryView<'a>, ViewError> {
        let exporter: Rc<dyn Exporter + 'a> = Rc::new(exporter);
        let info = exporter.get_buffer(flags)?;
        let mbuf = Rc::new(Managed { exporter, info });
        let info = &mbuf.info;
        let full = info.layout();
        let layout = if info.shape().is_some() && info.format().is_some() {
            full.clone()
        } else {
            // Without ND or FORMAT the consumer sees plain bytes: 1-D, `len` items of format
            // "B" (CPython keeps the old itemsize here, so `calcsize(format) != itemsize`; we
            // keep the two consistent instead).
            StridedLayout::new(1, &[full.nbytes()], &[1], full.offset())?
        };
        let format: Rc<str> = Rc::from(info.format().unwrap_or("B"));
        let codec = Rc::new(ItemCodec::new(&format));
        let readonly = info.readonly();
        Ok(MemoryView { live: Some(Live { mbuf, layout, format, codec, readonly, exports: Rc::new(Cell::new(0)) }) })
    }

    /// A read-only view of bytes (`memoryview(bytes)`).
    ///
    /// ```
    /// assert_eq!(memview::MemoryView::from_bytes(b"ab").len().unwrap(), 2);
    /// ```
    pub fn from_bytes(data: &'a [u8]) -> MemoryView<'a> {
        // A slice export cannot fail: its layout is 1-D contiguous and within itself.
        MemoryView::new(data).unwrap_or(MemoryView { live: None })
    }

    /// A writable view of borrowed bytes (`memoryview(bytearray)`).
    ///
    /// ```
    /// let mut data = [0u8; 2];
    /// assert!(!memview::MemoryView::from_mut(&mut data).readonly().unwrap());
    /// ```
    pub fn from_mut(data: &'a mut [u8]) -> MemoryView<'a> {
        MemoryView::new(MutSlice::new(data)).unwrap_or(MemoryView { live: None })
    }

    /// A writable view of borrowed numbers, with their format (`"d"` for `f64`).
    ///
    /// ```
    /// let mut data = [0i32; 3];
    /// let v = memview::MemoryView::from_mut_slice(&mut data);
    /// assert_eq!(v.format().unwrap(), "i".to_string());
    /// ```
    pub fn from_mut_slice<T: buffer_protocol::Element>(data: &'a mut [T]) -> MemoryView<'a> {
        MemoryView::new(MutSlice::new(data)).unwrap_or(MemoryView { live: None })
    }

    /// A view of raw memory (`PyMemoryView_FromMemory`): format `"B"`, read-only for
    /// [`Access::Read`].
    ///
    /// # Safety
    ///
    /// The promises of [`RawMemory::new`] for the lifetime `'a` of the view and of every view
    /// derived from it: `ptr` valid for `len` bytes (writable with `Access::Write`), and no
    /// other access to the memory meanwhile.
    ///
    /// ```
    /// use memview::{Access, MemoryView};
    /// let mut data = *b"abc";
    /// // SAFETY: `data` outlives the view and is not used while the view lives.
    /// let v = unsafe { MemoryView::from_memory(data.as_mut_ptr(), 3, Access::Read) };
    /// assert!(v.readonly().unwrap());
    /// assert!(v.set(0, &0.into()).is_err());
    /// ```
    pub unsafe fn from_memory(ptr: *mut u8, len: usize, access: Access) -> MemoryView<'a> {
        // SAFETY: the caller's promises are those of `RawMemory::new`.
        let raw = unsafe { RawMemory::new(ptr, len, access) };
        MemoryView::new(raw).unwrap_or(MemoryView { live: None })
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
                        i.exporter_format(),
                        i.readonly(),
                        flags,
                    )
                }
            }
        }
        MemoryView::new(Borrowed(info))
    }

    /// A contiguous view of an exporter in `order`, or a contiguous copy if it is not
    /// contiguous (`PyMemoryView_GetContiguous`); [`Access::Write`] refuses copies.
    ///
    /// ```
    /// use memview::{Access, MemoryView, Order};
    /// use buffer_protocol::NdArray;
    /// let nd = NdArray::new((0..6).collect(), "B", 1, &[2, 3], &[1, 2], 0, false).unwrap();
    /// let c = MemoryView::get_contiguous(&nd, Access::Read, Order::C).unwrap();
    /// assert_eq!(c.to_bytes().unwrap(), [0, 2, 4, 1, 3, 5]);
    /// assert!(MemoryView::get_contiguous(&nd, Access::Write, Order::C).is_err());
    /// ```
    pub fn get_contiguous(
        exporter: impl Exporter + 'a,
        access: Access,
        order: Order,
    ) -> Result<MemoryView<'a>, ViewError> {
        let view = MemoryView::new(exporter)?;
        let live = view.live()?;
        if access.is_writable() && live.readonly {
            return Err(buffer_protocol::BufferError::NotWritable.into());
        }
        if view.is_contiguous_in(order)? {
            return Ok(view);
        }
        if access.is_writable() {
            return Err(buffer_protocol::BufferError::NotContiguous.into());
        }
        view.owned_copy(order, true)
    }

    /// An owned, writable view of a byte array (the view owns the array).
    ///
    /// ```
    /// let v = memview::MemoryView::from_vec(vec![1, 2, 3]);
    /// assert!(!v.readonly().unwrap());
    /// ```
    pub fn from_vec(data: Vec<u8>) -> MemoryView<'a> {
        MemoryView::new(ByteArray::from(data)).unwrap_or(MemoryView { live: None })
    }

    // ----- state ---------------------------------------------------------------------------

    pub(crate) fn live(&self) -> Result<&Live<'a>, ViewError> {
        self.live.as_ref().ok_or(ViewError::Released)
    }

    pub(crate) fn derived(&self, layout: StridedLayout) -> Result<MemoryView<'a>, ViewError> {
        let live = self.live()?;
        // For indirect layouts this checks the pointer-table part (see `StridedLayout::extent`).
        layout.check_within(Region::of(&live.mbuf.info).len())?;
        Ok(MemoryView { live: Some(Live { layout, exports: Rc::new(Cell::new(0)), ..live.clone() }) })
    }

    pub(crate) fn region(&self) -> Result<Region, ViewError> {
        Ok(Region::of(&self.live()?.mbuf.info))
    }

    /// `obj`: the exporter this view's acquisition came from.
    ///
    /// ```
    /// use memview::{Exporter, Flags, MemoryView};
    /// let data = [7u8; 3];
    /// let v = MemoryView::new(&data[..]).unwrap();
    /// let again = v.exporter().unwrap().get_buffer(Flags::SIMPLE).unwrap();
    /// assert_eq!(again.len(), 3);
    /// ```
    #[doc(alias = "obj")]
    pub fn exporter(&self) -> Result<&(dyn Exporter + 'a), ViewError> {
        Ok(&*self.live()?.mbuf.exporter)
    }

    /// `PyMemoryView_GET_BUFFER`: a descriptor of this view (its layout, format and
    /// read-only flag, as a `PyBUF_FULL_RO` request would see them). It describes memory the
    /// view keeps alive: use it while the view lives.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"abcd").cast_shape("B", &[2, 2]).unwrap();
    /// let info = v.buffer_info().unwrap();
    /// assert_eq!((info.ndim(), info.shape(), info.format()), (2, Some(&[2, 2][..]), Some("B")));
    /// ```
    pub fn buffer_info(&self) -> Result<BufferInfo, ViewError> {
        Ok(self.descriptor(Flags::FULL_RO)?)
    }

    /// A descriptor of this view answering `flags` (the checks of `memory_getbuf`).
    fn descriptor(&self, flags: Flags) -> Result<BufferInfo, buffer_protocol::BufferError> {
        let live = self.live.as_ref().ok_or(buffer_protocol::BufferError::Released)?;
        let info = &live.mbuf.info;
        // SAFETY: the descriptor repeats the acquisition's own region and promises (the view
        // holds the acquisition) with this view's layout, which was checked against that
        // region when the view was made, and its read-only flag.
        unsafe {
            BufferInfo::new(
                info.region_ptr(),
                info.region_len(),
                live.layout.clone(),
                live.format.to_string(),
                live.readonly,
                flags,
            )
        }
    }

    /// `iter(m)`: the items of a 1-D view, with CPython's errors for other views (the format
    /// is checked when the iterator is made).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[3, 1, 3]);
    /// let items: Vec<_> = v.iter().unwrap().collect::<Result<_, _>>().unwrap();
    /// assert_eq!(items, vec![3.into(), 1.into(), 3.into()]);
    /// assert_eq!(v.count(&3.into()).unwrap(), 2);
    /// assert_eq!(v.index(&1.into()).unwrap(), 1);
    /// assert!(v.index(&9.into()).is_err());
    /// ```
    pub fn iter(&self) -> Result<impl Iterator<Item = Result<Value, ViewError>> + '_, ViewError> {
        let l = &self.live()?.layout;
        match l.ndim() {
            0 => return Err(ViewError::InvalidKey("invalid indexing of 0-dim memory")),
            1 => {}
            _ => return Err(ViewError::NotImplemented("multi-dimensional sub-views are not implemented")),
        }
        self.check_item_format()?;
        let n = l.shape()[0];
        Ok((0..n).map(move |i| self.get(&[i as isize])))
    }

    /// `m.count(value)`: how many items equal `value` (1-D views).
    ///
    /// ```
    /// assert_eq!(memview::MemoryView::from_bytes(b"aba").count(&97.into()).unwrap(), 2);
    /// ```
    pub fn count(&self, value: &Value) -> Result<usize, ViewError> {
        let mut n = 0;
        for item in self.iter()? {
            n += usize::from(item? == *value);
        }
        Ok(n)
    }

    /// `m.index(value)`: the position of the first item equal to `value` (1-D views), or
    /// CPython's `ValueError`.
    ///
    /// ```
    /// assert_eq!(memview::MemoryView::from_bytes(b"aba").index(&98.into()).unwrap(), 1);
    /// ```
    pub fn index(&self, value: &Value) -> Result<usize, ViewError> {
        for (i, item) in self.iter()?.enumerate() {
            if item? == *value {
                return Ok(i);
            }
        }
        Err(ViewError::NotFound)
    }

    /// `release()`: lets go of the acquisition (the exporter is released when the last view
    /// of it goes). Idempotent. Refused while buffers exported from this view are alive.
    ///
    /// ```
    /// let mut v = memview::MemoryView::from_bytes(b"x");
    /// v.release().unwrap();
    /// assert!(v.released());
    /// assert!(v.release().is_ok());
    /// ```
    pub fn release(&mut self) -> Result<(), ViewError> {
        if let Some(live) = &self.live {
            let n = live.exports.get();
            if n > 0 {
                return Err(ViewError::Exported(n));
            }
        }
        self.live = None;
        Ok(())
    }

    /// Whether the view has been released.
    ///
    /// ```
    /// let mut v = memview::MemoryView::from_bytes(b"a");
    /// assert!(!v.released());
    /// v.release().unwrap();
    /// assert!(v.released());
    /// ```
    pub fn released(&self) -> bool {
        self.live.is_none()
    }

    // ----- attributes ----------------------------------------------------------------------

    /// The layout of the view (shape, byte strides, offset within the exporter's memory block).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"abcd");
    /// assert_eq!(v.layout().unwrap().strides(), &[1]);
    /// ```
    pub fn layout(&self) -> Result<&StridedLayout, ViewError> {
        Ok(&self.live()?.layout)
    }

    /// `format`: the item format, exactly as the exporter or `cast` gave it.
    ///
    /// ```
    /// assert_eq!(memview::MemoryView::from_bytes(b"ab").cast("c").unwrap().format().unwrap(), "c");
    /// ```
    pub fn format(&self) -> Result<String, ViewError> {
        Ok(self.live()?.format.to_string())
    }

    /// `itemsize`.
    ///
    /// ```
    /// assert_eq!(memview::MemoryView::new(&[1.0f64][..]).unwrap().itemsize().unwrap(), 8);
    /// ```
    pub fn itemsize(&self) -> Result<usize, ViewError> {
        Ok(self.live()?.layout.itemsize())
    }

    /// `ndim`.
    ///
    /// ```
    /// assert_eq!(memview::MemoryView::from_bytes(b"abcd").cast_shape("B", &[2, 2]).unwrap().ndim().unwrap(), 2);
    /// ```
    pub fn ndim(&self) -> Result<usize, ViewError> {
        Ok(self.live()?.layout.ndim())
    }

    /// `shape`.
    ///
    /// ```
    /// assert_eq!(memview::MemoryView::from_bytes(b"abcd").cast_shape("B", &[2, 2]).unwrap().shape().unwrap(), vec![2, 2]);
    /// ```
    pub fn shape(&self) -> Result<Vec<usize>, ViewError> {
        Ok(self.live()?.layout.shape().to_vec())
    }

    /// `strides`, in bytes.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"abcd").slice(memview::Slice::new(None, None, Some(-2))).unwrap();
    /// assert_eq!(v.strides().unwrap(), vec![-2]);
    /// ```
    pub fn strides(&self) -> Result<Vec<isize>, ViewError> {
        Ok(self.live()?.layout.strides().to_vec())
    }

    /// `suboffsets` (empty if the layout has none).
    ///
    /// ```
    /// assert!(memview::MemoryView::from_bytes(b"a").suboffsets().unwrap().is_empty());
    /// ```
    pub fn suboffsets(&self) -> Result<Vec<isize>, ViewError> {
        Ok(self.live()?.layout.suboffsets().map(<[isize]>::to_vec).unwrap_or_default())
    }

    /// `nbytes`: the bytes of the items (`product(shape) × itemsize`).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[0; 12]).slice(memview::Slice::new(None, None, Some(2))).unwrap();
    /// assert_eq!(v.nbytes().unwrap(), 6);
    /// ```
    pub fn nbytes(&self) -> Result<usize, ViewError> {
        Ok(self.live()?.layout.nbytes())
    }

    /// `readonly`.
    ///
    /// ```
    /// assert!(memview::MemoryView::from_bytes(b"a").readonly().unwrap());
    /// ```
    pub fn readonly(&self) -> Result<bool, ViewError> {
        Ok(self.live()?.readonly)
    }

    /// `len(m)`: the extent of the first dimension, 1 for a 0-dimensional view (CPython 3.11).
    ///
    /// ```
    /// let scalar = memview::MemoryView::from_bytes(&[0; 4]).cast_shape("i", &[]).unwrap();
    /// assert_eq!(scalar.len().unwrap(), 1);
    /// ```
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> Result<usize, ViewError> {
        Ok(self.live()?.layout.shape().first().copied().unwrap_or(1))
    }

    /// `c_contiguous`, as memoryview computes it.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"abcd");
    /// assert!(v.c_contiguous().unwrap());
    /// assert!(!v.slice(memview::Slice::new(None, None, Some(2))).unwrap().c_contiguous().unwrap());
    /// ```
    pub fn c_contiguous(&self) -> Result<bool, ViewError> {
        self.is_contiguous_in(Order::C)
    }

    /// `f_contiguous`, as memoryview computes it.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"abcd").cast_shape("B", &[2, 2]).unwrap();
    /// assert!(v.transpose().unwrap().f_contiguous().unwrap());
    /// ```
    pub fn f_contiguous(&self) -> Result<bool, ViewError> {
        self.is_contiguous_in(Order::F)
    }

    /// `contiguous` (C or Fortran), as memoryview computes it.
    ///
    /// ```
    /// assert!(memview::MemoryView::from_bytes(b"ab").contiguous().unwrap());
    /// ```
    pub fn contiguous(&self) -> Result<bool, ViewError> {
        self.is_contiguous_in(Order::A)
    }

    fn is_contiguous_in(&self, order: Order) -> Result<bool, ViewError> {
        let l = &self.live()?.layout;
        if l.is_indirect() {
            return Ok(false);
        }
        Ok(match l.ndim() {
            0 => true,
            // memoryview's own rule for one dimension (an empty strided slice is not contiguous).
            1 => l.shape()[0] == 1 || l.strides()[0] == l.itemsize() as isize,
            _ => l.is_contiguous(order),
        })
    }

    // ----- addressing ----------------------------------------------------------------------

    /// The address of the item at an index (one per dimension; negative from the end),
    /// following suboffsets, with CPython's `IndexError`s.
    pub(crate) fn addr_of(&self, index: &[isize]) -> Result<*mut u8, ViewError> {
        let live = self.live()?;
        let region = Region::of(&live.mbuf.info);
        let mut p = region.addr(0);
        for step in live.layout.address_steps(index)? {
            p = p.wrapping_offset(step.offset);
            if let Some(s) = step.deref {
                // SAFETY: `p` is a pointer slot of an indirect layout reached from a live
                // acquisition with in-range indices (exporter promise 2).
                p = unsafe { raw::follow(p, s) };
            }
        }
        Ok(p)
    }

    pub(crate) fn read_at(&self, addr: *const u8) -> Result<Value, ViewError> {
        let live = self.live()?;
        let size = live.layout.itemsize();
        if let ItemCodec::Native(code) = *live.codec {
            if size <= 8 {
                // Native items are at most 8 bytes: a fixed-size copy, no `memcpy` call.
                let mut buf = [0u8; 8];
                // SAFETY: as below, for the item's `size` bytes.
                unsafe { raw::read(addr, &mut buf[..size]) };
                return Ok(crate::items::unpack_native(code, &buf[..size]));
            }
        }
        let mut buf: SmallVec<[u8; 16]> = SmallVec::from_elem(0, size);
        // SAFETY: `addr` is an item address computed by `addr_of` with in-range indices of a
        // live view: within the checked region for direct layouts, or behind the exporter's
        // promise 2 for indirect ones; an item is `itemsize` bytes.
        unsafe { raw::read(addr, &mut buf) };
        live.codec.unpack(&live.format, &buf)
    }

    fn write_at(&self, addr: *mut u8, value: &Value) -> Result<(), ViewError> {
        let live = self.live()?;
        let mut buf: SmallVec<[u8; 16]> = SmallVec::from_elem(0, live.layout.itemsize());
        if !live.codec.is_native() {
            // Codec formats may have padding that packing leaves alone: start from the item.
            // SAFETY: as in `read_at`.
            unsafe { raw::read(addr, &mut buf) };
        }
        live.codec.pack(&live.format, value, &mut buf)?;
        // SAFETY: as in `read_at`, and the view is writable (checked by every caller), so the
        // exporter's memory is writable there (promise 1).
        unsafe { raw::write(addr, &buf) };
        Ok(())
    }

    fn check_item_format(&self) -> Result<(), ViewError> {
        let live = self.live()?;
        if matches!(*live.codec, ItemCodec::Unsupported) {
            return Err(ViewError::UnsupportedFormat(live.format.to_string()));
        }
        Ok(())
    }

    // ----- items ---------------------------------------------------------------------------

    /// The item at an index tuple with one index per dimension (`m[i, j]`; `m[()]` for a
    /// 0-dimensional view).
    ///
    /// ```
    /// use format_codec::Value;
    /// let data = [1u16, 2, 3, 4, 5, 6];
    /// let v = memview::MemoryView::new(&data).unwrap().cast("B").unwrap().cast_shape("H", &[2, 3]).unwrap();
    /// assert_eq!(v.get(&[1, -1]).unwrap(), Value::Int(6));
    /// ```
    pub fn get(&self, index: &[isize]) -> Result<Value, ViewError> {
        self.check_item_format()?;
        let ndim = self.ndim()?;
        if index.len() > ndim {
            return Err(strided::LayoutError::TooManyIndices { ndim, n: index.len() }.into());
        }
        if index.len() < ndim {
            return Err(ViewError::NotImplemented("sub-views are not implemented"));
        }
        let live = self.live()?;
        if !live.layout.is_indirect() {
            // Direct layouts: one checked offset computation, no pointer walk.
            let off = live.layout.item_offset(index)?;
            return self.read_at(Region::of(&live.mbuf.info).addr(off));
        }
        self.read_at(self.addr_of(index)?)
    }

    /// `m[key]`: an item or a view, with CPython's dispatch, and NumPy's basic indexing where
    /// CPython refuses (integer sub-views of N-D views, multi-dimensional slices, `...`).
    ///
    /// ```
    /// use memview::{Index, Key, MemoryView, Slice, Subscript};
    /// let data: Vec<u8> = (0..12).collect();
    /// let v = MemoryView::new(&data).unwrap().cast_shape("B", &[3, 4]).unwrap();
    /// // v[1:, ::2] — beyond CPython.
    /// let key = Key::tuple([Index::Slice(Slice::new(Some(1), None, None)), Index::Slice(Slice::new(None, None, Some(2)))]);
    /// let w = v.view(&key).unwrap();
    /// assert_eq!(w.to_bytes().unwrap(), [4, 6, 8, 10]);
    /// ```
    pub fn subscript(&self, key: &Key) -> Result<Subscript<'a>, ViewError> {
        let live = self.live()?;
        let l = &live.layout;
        let ndim = l.ndim();
        let entries = key.entries();
        if ndim == 0 {
            return match key {
                Key::Tuple(v) if v.is_empty() => Ok(Subscript::Item(self.get(&[])?)),
                _ if entries.iter().all(|e| matches!(e, Index::Ellipsis | Index::NewAxis)) => {
                    self.view_for(entries).map(|v| Subscript::View(Box::new(v)))
                }
                _ => Err(ViewError::InvalidKey("invalid indexing of 0-dim memory")),
            };
        }
        let ints: Option<SmallVec<[isize; 8]>> =
            entries.iter().map(|e| if let Index::At(i) = e { Some(*i) } else { None }).collect();
        let consuming = entries.iter().filter(|e| matches!(e, Index::At(_) | Index::Slice(_))).count();
        match (key, ints) {
            (Key::One(Index::At(i)), _) if ndim == 1 => {
                self.check_item_format()?;
                Ok(Subscript::Item(self.read_at(self.addr_of(&[*i])?)?))
            }
            (Key::Tuple(_), Some(ix)) if ix.len() >= ndim => {
                self.check_item_format()?;
                if ix.len() > ndim {
                    return Err(strided::LayoutError::TooManyIndices { ndim, n: ix.len() }.into());
                }
                Ok(Subscript::Item(self.get(&ix)?))
            }
            _ if consuming > ndim => {
                if entries.iter().all(|e| matches!(e, Index::Slice(_))) {
                    Err(ViewError::NotImplemented("multi-dimensional slicing is not implemented"))
                } else {
                    Err(ViewError::InvalidKey("memoryview: invalid slice key"))
                }
            }
            _ => self.view_for(entries).map(|v| Subscript::View(Box::new(v))),
        }
    }

    /// The view a key selects (NumPy basic indexing).
    fn view_for(&self, entries: &[Index]) -> Result<MemoryView<'a>, ViewError> {
        let layout = self.live()?.layout.apply(entries)?;
        self.derived(layout)
    }

    /// `m[key]` where the key must select a view (a slice, a sub-view); an error if it
    /// selects one item.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"abcd");
    /// assert_eq!(v.view(&(1..3).into()).unwrap().to_bytes().unwrap(), b"bc");
    /// assert!(v.view(&0.into()).is_err());
    /// ```
    pub fn view(&self, key: &Key) -> Result<MemoryView<'a>, ViewError> {
        match self.subscript(key)? {
            Subscript::View(v) => Ok(*v),
            Subscript::Item(_) => Err(ViewError::InvalidKey("key selects an item, not a view")),
        }
    }

    /// `m[start:stop:step]`: a view sliced along the first dimension.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"abcdef");
    /// let s = v.slice(memview::Slice::new(None, None, Some(-2))).unwrap();
    /// assert_eq!(s.to_bytes().unwrap(), b"fdb");
    /// ```
    pub fn slice(&self, slice: strided::Slice) -> Result<MemoryView<'a>, ViewError> {
        if self.ndim()? == 0 {
            return Err(ViewError::InvalidKey("invalid indexing of 0-dim memory"));
        }
        let layout = self.live()?.layout.slice_dim(0, slice)?;
        self.derived(layout)
    }

    /// The view with its dimensions reversed (NumPy's `.T`).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"abcdef").cast_shape("B", &[2, 3]).unwrap();
    /// assert_eq!(v.transpose().unwrap().to_bytes().unwrap(), b"adbecf");
    /// ```
    pub fn transpose(&self) -> Result<MemoryView<'a>, ViewError> {
        let layout = self.live()?.layout.transpose()?;
        self.derived(layout)
    }

    /// The view with its dimensions reordered.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[0; 6]).cast_shape("B", &[1, 2, 3]).unwrap();
    /// assert_eq!(v.permute(&[2, 0, 1]).unwrap().shape().unwrap(), vec![3, 1, 2]);
    /// ```
    pub fn permute(&self, axes: &[usize]) -> Result<MemoryView<'a>, ViewError> {
        let layout = self.live()?.layout.permute(axes)?;
        self.derived(layout)
    }

    /// A view of the same items with another shape, where no copy is needed (beyond
    /// `cast`, which needs C-contiguity).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"abcdef").slice(memview::Slice::new(None, None, Some(-1))).unwrap();
    /// assert_eq!(v.reshape(&[2, 3]).unwrap().to_bytes().unwrap(), b"fedcba");
    /// ```
    pub fn reshape(&self, shape: &[usize]) -> Result<MemoryView<'a>, ViewError> {
        let layout = self.live()?.layout.reshape(shape)?;
        self.derived(layout)
    }

    /// `m[key] = value` for a key that selects one item, with memoryview's conversions and
    /// errors (`TypeError` for a wrong type, `ValueError` out of range).
    ///
    /// ```
    /// let mut data = [0u8; 3];
    /// let v = memview::MemoryView::from_mut(&mut data);
    /// v.set(-1, &7.into()).unwrap();
    /// assert!(v.set(0, &300.into()).is_err());
    /// drop(v);
    /// assert_eq!(data, [0, 0, 7]);
    /// ```
    pub fn set(&self, key: impl Into<Key>, value: &Value) -> Result<(), ViewError> {
        let key = key.into();
        let live = self.live()?;
        self.check_item_format()?;
        if live.readonly {
            return Err(ViewError::ReadOnly);
        }
        let ndim = live.layout.ndim();
        let entries = key.entries();
        if ndim == 0 {
            let ok = match &key {
                Key::Tuple(v) => v.iter().all(|e| matches!(e, Index::Ellipsis)),
                Key::One(Index::Ellipsis) => true,
                _ => false,
            };
            if !ok {
                return Err(ViewError::InvalidKey("invalid indexing of 0-dim memory"));
            }
            return self.write_at(self.addr_of(&[])?, value);
        }
        let ints: Option<SmallVec<[isize; 8]>> =
            entries.iter().map(|e| if let Index::At(i) = e { Some(*i) } else { None }).collect();
        match (&key, ints) {
            (Key::One(Index::At(i)), _) if ndim == 1 => self.write_at(self.addr_of(&[*i])?, value),
            (Key::Tuple(_), Some(ix)) if ix.len() >= ndim => {
                if ix.len() > ndim {
                    return Err(strided::LayoutError::TooManyIndices { ndim, n: ix.len() }.into());
                }
                self.write_at(self.addr_of(&ix)?, value)
            }
            // On CPython's own path a byte string is a buffer (format "B"): `m[0:2] = b"ab"`.
            (Key::One(Index::Slice(_)), _) if ndim == 1 => match value {
                Value::Bytes(b) => self.assign(&key, &MemoryView::from_bytes(b)),
                // CPython's 1-D slice assignment wants a buffer on the right, and asks for
                // it before it looks at the slice.
                _ => Err(ViewError::NotABuffer(value_type_name(value))),
            },
            // Beyond CPython: NumPy assigns a scalar (a byte string too, for `s` formats) to
            // every item of the selected view.
            _ => self.view_for(entries)?.fill(value),
        }
    }

    /// Sets every item of the view to `value` (NumPy's scalar assignment `m[...] = x`).
    ///
    /// ```
    /// let mut data = [0u8; 4];
    /// let v = memview::MemoryView::from_mut(&mut data);
    /// v.slice(memview::Slice::new(None, None, Some(2))).unwrap().fill(&9.into()).unwrap();
    /// drop(v);
    /// assert_eq!(data, [9, 0, 9, 0]);
    /// ```
    pub fn fill(&self, value: &Value) -> Result<(), ViewError> {
        let live = self.live()?;
        self.check_item_format()?;
        if live.readonly {
            return Err(ViewError::ReadOnly);
        }
        let l = &live.layout;
        let size = l.itemsize();
        let mut item: SmallVec<[u8; 16]> = SmallVec::from_elem(0, size);
        live.codec.pack(&live.format, value, &mut item)?;
        let mut bytes = Vec::with_capacity(l.nbytes());
        for _ in 0..l.len() {
            bytes.extend_from_slice(&item);
        }
        self.write_bytes(&bytes)
    }

    /// `m[key] = exporter`: [`assign`](Self::assign) from any exporter (requested with
    /// `PyBUF_FULL_RO`, as CPython does).
    ///
    /// ```
    /// let mut data = *b"abcd";
    /// let v = memview::MemoryView::from_mut(&mut data);
    /// v.assign_from(&memview::Slice::new(Some(2), None, None).into(), &b"XY"[..]).unwrap();
    /// drop(v);
    /// assert_eq!(&data, b"abXY");
    /// ```
    pub fn assign_from<E: Exporter + ?Sized>(&self, key: &Key, source: &E) -> Result<(), ViewError> {
        let view = MemoryView::new(source)?;
        self.assign(key, &view)
    }

    /// `m[key] = other`: copies a view of equal format, item size and shape into the part of
    /// this view the key selects; correct when the two overlap (`m[1:] = m[:-1]`).
    ///
    /// ```
    /// let mut data = *b"abcd";
    /// let v = memview::MemoryView::from_mut(&mut data);
    /// let head = v.slice(memview::Slice::new(None, Some(-1), None)).unwrap();
    /// v.assign(&memview::Slice::new(Some(1), None, None).into(), &head).unwrap();
    /// drop((v, head));
    /// assert_eq!(&data, b"aabc");
    /// ```
    pub fn assign(&self, key: &Key, source: &MemoryView<'_>) -> Result<(), ViewError> {
        let live = self.live()?;
        self.check_item_format()?;
        if live.readonly {
            return Err(ViewError::ReadOnly);
        }
        let target = match self.subscript_layout(key)? {
            Some(layout) => self.derived(layout)?,
            None => {
                // The key selects one item: a view is not a value of its format.
                return Err(ViewError::InvalidType(live.format.to_string()));
            }
        };
        let src = source.live()?;
        let strip = |f: &str| f.strip_prefix('@').unwrap_or(f).to_owned();
        let (tl, sl) = (&target.live()?.layout, &src.layout);
        if strip(&live.format) != strip(&src.format)
            || tl.itemsize() != sl.itemsize()
            || !crate::compare::equiv_shape(tl.shape(), sl.shape())
        {
            return Err(ViewError::DifferentStructures);
        }
        let bytes = source.to_bytes()?;
        target.write_bytes(&bytes)
    }

    /// The layout a key selects, or `None` if it selects one item.
    fn subscript_layout(&self, key: &Key) -> Result<Option<StridedLayout>, ViewError> {
        let l = &self.live()?.layout;
        let ndim = l.ndim();
        let entries = key.entries();
        let all_ints = entries.iter().all(|e| matches!(e, Index::At(_)));
        if ndim == 0 {
            if entries.iter().all(|e| matches!(e, Index::Ellipsis)) {
                return Ok(Some(l.clone()));
            }
            return Err(ViewError::InvalidKey("invalid indexing of 0-dim memory"));
        }
        if all_ints && entries.len() >= ndim && !(matches!(key, Key::One(_)) && ndim > 1) {
            if entries.len() > ndim {
                return Err(strided::LayoutError::TooManyIndices { ndim, n: entries.len() }.into());
            }
            return Ok(None);
        }
        Ok(Some(l.apply(entries)?))
    }

    /// Writes C-order bytes (exactly `nbytes`) into the view's items.
    pub(crate) fn write_bytes(&self, bytes: &[u8]) -> Result<(), ViewError> {
        let live = self.live()?;
        if live.readonly {
            return Err(ViewError::ReadOnly);
        }
        let l = &live.layout;
        if l.is_indirect() {
            let size = l.itemsize();
            let mut k = 0usize;
            return crate::output::for_each_index(l.shape(), Order::C, |idx| {
                let addr = self.addr_of(idx)?;
                // SAFETY: an in-range item of a live, writable view (see `write_at`).
                unsafe { raw::write(addr, &bytes[k..k + size]) };
                k += size;
                Ok(())
            });
        }
        let region = self.region()?;
        region.with_slice_mut(|mem| strided::copy_from_contiguous(bytes, mem, l, Order::C))?;
        Ok(())
    }

    // ----- views of the whole ----------------------------------------------------------------

    /// `toreadonly()`: a read-only view of the same memory.
    ///
    /// ```
    /// let mut data = [0u8; 1];
    /// let ro = memview::MemoryView::from_mut(&mut data).to_readonly().unwrap();
    /// assert!(ro.readonly().unwrap());
    /// ```
    #[doc(alias = "toreadonly")]
    pub fn to_readonly(&self) -> Result<MemoryView<'a>, ViewError> {
        let mut v = self.clone();
        if let Some(l) = v.live.as_mut() {
            l.readonly = true;
        }
        v.live()?;
        Ok(v)
    }

    /// `cast(format)`: a 1-D view of the same bytes as items of another native format, with
    /// CPython's rules (C-contiguous views only; one of the two formats must be a byte format).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[1, 0, 0, 0, 2, 0, 0, 0]);
    /// let ints = v.cast("i").unwrap();
    /// assert_eq!(ints.to_list().unwrap(), format_codec::Value::List(vec![1.into(), 2.into()]));
    /// ```
    pub fn cast(&self, format: &str) -> Result<MemoryView<'a>, ViewError> {
        self.cast_with(format, None)
    }

    /// `cast(format, shape)`: the same with a new shape (1-D → N-D, or N-D → 1-D).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[0; 8]).cast_shape("h", &[2, 2]).unwrap();
    /// assert_eq!((v.format().unwrap(), v.strides().unwrap()), ("h".to_string(), vec![4, 2]));
    /// ```
    pub fn cast_shape(&self, format: &str, shape: &[usize]) -> Result<MemoryView<'a>, ViewError> {
        let dims: SmallVec<[i128; 8]> = shape.iter().map(|&d| d as i128).collect();
        self.cast_with(format, Some(&dims))
    }

    /// `cast(format, shape)` with the shape as Python would pass it: any integers, so that a
    /// zero or negative element gets CPython's `ValueError` rather than being unrepresentable.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[0; 8]);
    /// assert_eq!(v.cast_with("i", Some(&[2, 1])).unwrap().shape().unwrap(), vec![2, 1]);
    /// let err = v.cast_with("i", Some(&[-2])).unwrap_err();
    /// assert_eq!(err.python_exception(), format_codec::PyExc::ValueError);
    /// ```
    pub fn cast_with(&self, format: &str, shape: Option<&[i128]>) -> Result<MemoryView<'a>, ViewError> {
        let live = self.live()?;
        let l = &live.layout;
        // memoryview's own contiguity flag (an empty strided 1-D slice is not contiguous).
        if !self.c_contiguous()? {
            return Err(strided::LayoutError::CastNotContiguous.into());
        }
        l.check_cast_source(shape.map(<[i128]>::len))?;
        let dest = cast_code(format).ok_or(ViewError::CastFormat)?;
        let is_byte = |c: u8| matches!(c, b'b' | b'B' | b'c');
        let src_byte = format_codec::Format::native_single_code(&live.format).is_some_and(is_byte);
        if !src_byte && !is_byte(dest) {
            return Err(strided::LayoutError::CastNonByte.into());
        }
        let mut layout = l.cast_1d(native_size(dest))?;
        if let Some(shape) = shape {
            layout = layout.cast_nd(native_size(dest), shape)?;
        }
        let mut v = self.derived(layout)?;
        if let Some(nl) = v.live.as_mut() {
            nl.format = Rc::from(format);
            nl.codec = Rc::new(ItemCodec::new(format));
        }
        Ok(v)
    }

    /// A column view of one named field of a record format (`"T{...}"`): same shape and
    /// strides, the field's format and item size, no copy (NumPy's `arr['name']`).
    ///
    /// ```
    /// use memview::{MemoryView, NdArray, Value};
    /// // Three records of (id: <i, price: <d), 12 bytes each.
    /// let mut mem = Vec::new();
    /// for (id, price) in [(1i32, 0.5f64), (2, 1.5), (3, 2.5)] {
    ///     mem.extend(id.to_le_bytes());
    ///     mem.extend(price.to_le_bytes());
    /// }
    /// let nd = NdArray::new(mem, "T{<i:id:<d:price:}", 12, &[3], &[12], 0, true).unwrap();
    /// let records = MemoryView::new(&nd).unwrap();
    /// let prices = records.field("price").unwrap();
    /// assert_eq!(prices.format().unwrap(), "<d");
    /// assert_eq!(prices.to_list().unwrap(), Value::List(vec![0.5.into(), 1.5.into(), 2.5.into()]));
    /// ```
    pub fn field(&self, name: &str) -> Result<MemoryView<'a>, ViewError> {
        let live = self.live()?;
        let ItemCodec::Codec(f) = &*live.codec else {
            return Err(ViewError::NotImplemented("field access needs a record (T{...}) format"));
        };
        let format_codec::Format::Pep3118(record) = &**f else {
            return Err(ViewError::NotImplemented("field access needs a record (T{...}) format"));
        };
        if !record.shape().is_empty() {
            return Err(ViewError::NotImplemented("field access of a sub-array item"));
        }
        let field = record.field(name).ok_or(ViewError::InvalidKey("no field of that name"))?;
        let l = &live.layout;
        let offset = l.offset().checked_add(field.offset as isize).ok_or(strided::LayoutError::Overflow("offset"))?;
        let mut layout = StridedLayout::new(field.layout.itemsize(), l.shape(), l.strides(), offset)?;
        if let Some(subs) = l.suboffsets() {
            layout = layout.with_suboffsets(subs)?;
        }
        if layout.is_indirect() {
            return Err(ViewError::NotImplemented("field views of indirect layouts"));
        }
        let format = field.layout.to_format();
        let mut v = self.derived(layout)?;
        if let Some(nl) = v.live.as_mut() {
            nl.codec = Rc::new(ItemCodec::new(&format));
            nl.format = Rc::from(format.as_str());
        }
        Ok(v)
    }

    /// A copy of the items as C-order bytes in a new owned view (`m.tobytes()` kept as a view).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"abc");
    /// let copy = v.to_owned_view().unwrap();
    /// assert!(!copy.readonly().unwrap());
    /// assert_eq!(copy, v);
    /// ```
    pub fn to_owned_view(&self) -> Result<MemoryView<'static>, ViewError> {
        self.owned_copy(Order::C, false)
    }

    /// A contiguous copy of the items in `order`, in memory the new view owns.
    fn owned_copy(&self, order: Order, readonly: bool) -> Result<MemoryView<'static>, ViewError> {
        let live = self.live()?;
        let bytes = self.to_bytes_in(order)?;
        let l = StridedLayout::contiguous_in(live.layout.itemsize(), live.layout.shape(), order)?;
        let nd = buffer_protocol::NdArray::new(bytes, &live.format, l.itemsize(), l.shape(), l.strides(), 0, readonly)?;
        MemoryView::new(nd)
    }
}

/// The native code a `cast` destination format names, if it is one CPython 3.11 accepts.
fn cast_code(format: &str) -> Option<u8> {
    let c = format_codec::Format::native_single_code(format)?;
    b"cbBhHiIlLqQnNfd?P".contains(&c).then_some(c)
}

/// The Python type name of a value, for `TypeError` messages.
pub(crate) fn value_type_name(v: &Value) -> &'static str {
    match v {
        Value::Int(_) | Value::BigInt(_) => "int",
        Value::Float(_) => "float",
        Value::Bool(_) => "bool",
        Value::Bytes(_) => "bytes",
        Value::Complex(..) => "complex",
        Value::List(_) => "list",
    }
}

// SAFETY: a view's memory stays valid while its acquisition (`Managed`) lives, and the view
// holds it; a live export keeps the view from being released (`release` refuses while
// `exports > 0`), and a borrowed view cannot be dropped while borrowed. The descriptor copies
// the view's layout, already checked against the region, and its read-only flag.
unsafe impl Exporter for MemoryView<'_> {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, buffer_protocol::BufferError> {
        let out = self.descriptor(flags)?;
        if let Some(live) = &self.live {
            live.exports.set(live.exports.get() + 1);
        }
        Ok(out)
    }

    unsafe fn release_buffer(&self, _info: &BufferInfo) {
        if let Some(live) = &self.live {
            live.exports.set(live.exports.get().saturating_sub(1));
        }
    }
}
