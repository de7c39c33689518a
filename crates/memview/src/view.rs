//! The [`MemoryView`] type: construction, attributes, indexing, slicing, casting, writing.

use crate::items::{ItemCodec, NativeCode};
use crate::raw::{Proven, Select};
use crate::{Key, ViewError};
use buffer_protocol::{Access, BufferInfo, ByteArray, Exporter, Flags, MutSlice};
use format_codec::Value;
use smallvec::SmallVec;
use std::cell::Cell;
use std::rc::Rc;
use strided::{Index, Order, StridedLayout};

/// A live view: its proven layout (which holds the acquisition), its format, and the count
/// of buffers exported from it.
#[derive(Clone)]
pub(crate) struct Live<'a> {
    pub(crate) view: Proven<'a>,
    pub(crate) format: Rc<str>,
    pub(crate) codec: Rc<ItemCodec>,
    pub(crate) readonly: bool,
    pub(crate) exports: Rc<Cell<usize>>,
}

impl Live<'_> {
    /// The view's layout.
    pub(crate) fn layout(&self) -> &StridedLayout {
        self.view.layout()
    }
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
    pub(crate) live: Option<Live<'a>>,
    /// The hash, once computed: CPython keeps answering `hash(m)` after `release()`.
    pub(crate) hash: Cell<Option<u64>>,
}

impl std::fmt::Debug for MemoryView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::output::debug(self, f)
    }
}

impl Clone for MemoryView<'_> {
    /// `memoryview(m)`: a new view of the same layout on the same acquisition.
    fn clone(&self) -> Self {
        MemoryView {
            live: self.live.as_ref().map(|l| Live { exports: Rc::new(Cell::new(0)), ..l.clone() }),
            hash: Cell::new(None),
        }
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
        let view = Proven::acquire(exporter, flags)?;
        let format: Rc<str> = Rc::from(view.info().format().unwrap_or("B"));
        let codec = Rc::new(ItemCodec::new(&format));
        codec.check_itemsize(&format, view.layout().itemsize())?;
        let readonly = view.info().readonly();
        Ok(MemoryView::of(Live { view, format, codec, readonly, exports: Rc::new(Cell::new(0)) }))
    }

    /// A read-only view of bytes (`memoryview(bytes)`).
    ///
    /// ```
    /// assert_eq!(memview::MemoryView::from_bytes(b"ab").len().unwrap(), 2);
    /// ```
    pub fn from_bytes(data: &'a [u8]) -> MemoryView<'a> {
        // A slice export cannot fail: its layout is 1-D contiguous and within itself.
        MemoryView::new(data).unwrap_or(MemoryView::released_view())
    }

    /// A writable view of borrowed bytes (`memoryview(bytearray)`).
    ///
    /// ```
    /// let mut data = [0u8; 2];
    /// assert!(!memview::MemoryView::from_mut(&mut data).readonly().unwrap());
    /// ```
    pub fn from_mut(data: &'a mut [u8]) -> MemoryView<'a> {
        MemoryView::new(MutSlice::new(data)).unwrap_or(MemoryView::released_view())
    }

    /// A writable view of borrowed numbers, with their format (`"d"` for `f64`).
    ///
    /// ```
    /// let mut data = [0i32; 3];
    /// let v = memview::MemoryView::from_mut_slice(&mut data);
    /// assert_eq!(v.format().unwrap(), "i".to_string());
    /// ```
    pub fn from_mut_slice<T: buffer_protocol::Element>(data: &'a mut [T]) -> MemoryView<'a> {
        MemoryView::new(MutSlice::new(data)).unwrap_or(MemoryView::released_view())
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
        MemoryView::new(ByteArray::from(data)).unwrap_or(MemoryView::released_view())
    }

    // ----- state ---------------------------------------------------------------------------

    fn of(live: Live<'a>) -> MemoryView<'a> {
        MemoryView { live: Some(live), hash: Cell::new(None) }
    }

    /// A view that is already released (what a failed infallible constructor gives).
    pub(crate) fn released_view() -> MemoryView<'a> {
        MemoryView { live: None, hash: Cell::new(None) }
    }

    pub(crate) fn live(&self) -> Result<&Live<'a>, ViewError> {
        self.live.as_ref().ok_or(ViewError::Released)
    }

    /// A view of a selection of this view's items (a key, a slice, a permutation).
    pub(crate) fn selected(&self, sel: Select<'_>) -> Result<MemoryView<'a>, ViewError> {
        let live = self.live()?;
        let view = live.view.select(sel)?;
        Ok(MemoryView::of(Live { view, exports: Rc::new(Cell::new(0)), ..live.clone() }))
    }

    /// A view of another layout of this view's memory (casts, reshapes, fields): direct
    /// acquisitions only, checked against the memory block.
    pub(crate) fn reinterpreted(&self, layout: StridedLayout) -> Result<MemoryView<'a>, ViewError> {
        let live = self.live()?;
        let view = live.view.reinterpret(layout)?;
        Ok(MemoryView::of(Live { view, exports: Rc::new(Cell::new(0)), ..live.clone() }))
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
        Ok(self.live()?.view.exporter())
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
    pub(crate) fn descriptor(&self, flags: Flags) -> Result<BufferInfo, buffer_protocol::BufferError> {
        let live = self.live.as_ref().ok_or(buffer_protocol::BufferError::Released)?;
        live.view.descriptor(&live.format, live.readonly, flags)
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
        let l = self.live()?.layout();
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
        Ok(self.live()?.layout())
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
        Ok(self.live()?.layout().itemsize())
    }

    /// `ndim`.
    ///
    /// ```
    /// assert_eq!(memview::MemoryView::from_bytes(b"abcd").cast_shape("B", &[2, 2]).unwrap().ndim().unwrap(), 2);
    /// ```
    pub fn ndim(&self) -> Result<usize, ViewError> {
        Ok(self.live()?.layout().ndim())
    }

    /// `shape`.
    ///
    /// ```
    /// assert_eq!(memview::MemoryView::from_bytes(b"abcd").cast_shape("B", &[2, 2]).unwrap().shape().unwrap(), vec![2, 2]);
    /// ```
    pub fn shape(&self) -> Result<Vec<usize>, ViewError> {
        Ok(self.live()?.layout().shape().to_vec())
    }

    /// `strides`, in bytes.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"abcd").slice(memview::Slice::new(None, None, Some(-2))).unwrap();
    /// assert_eq!(v.strides().unwrap(), vec![-2]);
    /// ```
    pub fn strides(&self) -> Result<Vec<isize>, ViewError> {
        Ok(self.live()?.layout().strides().to_vec())
    }

    /// `suboffsets` (empty if the layout has none).
    ///
    /// ```
    /// assert!(memview::MemoryView::from_bytes(b"a").suboffsets().unwrap().is_empty());
    /// ```
    pub fn suboffsets(&self) -> Result<Vec<isize>, ViewError> {
        Ok(self.live()?.layout().suboffsets().map(<[isize]>::to_vec).unwrap_or_default())
    }

    /// `nbytes`: the bytes of the items (`product(shape) × itemsize`).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[0; 12]).slice(memview::Slice::new(None, None, Some(2))).unwrap();
    /// assert_eq!(v.nbytes().unwrap(), 6);
    /// ```
    pub fn nbytes(&self) -> Result<usize, ViewError> {
        Ok(self.live()?.layout().nbytes())
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
        Ok(self.live()?.layout().shape().first().copied().unwrap_or(1))
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
        let l = self.live()?.layout();
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

    /// Reads and decodes the item at a full index (one per dimension, negative from the end),
    /// with CPython's `IndexError`s.
    pub(crate) fn read_item(&self, index: &[isize]) -> Result<Value, ViewError> {
        let live = self.live()?;
        let size = live.layout().itemsize();
        if let ItemCodec::Native(code) = *live.codec {
            // Native items are at most 8 bytes: a fixed-size buffer, no allocation.
            let mut buf = [0u8; 8];
            let item = buf.get_mut(..size).ok_or(ViewError::UnsupportedFormat(live.format.to_string()))?;
            live.view.read_item(index, item)?;
            return code.unpack(item).ok_or_else(|| ViewError::UnsupportedFormat(live.format.to_string()));
        }
        let mut buf: SmallVec<[u8; 16]> = SmallVec::from_elem(0, size);
        live.view.read_item(index, &mut buf)?;
        live.codec.unpack(&live.format, &buf)
    }

    /// Encodes and writes `value` to the item at a full index; the index is checked before
    /// the value, as CPython does.
    fn write_item(&self, index: &[isize], value: &Value) -> Result<(), ViewError> {
        let live = self.live()?;
        live.view.check_index(index)?;
        let mut buf: SmallVec<[u8; 16]> = SmallVec::from_elem(0, live.layout().itemsize());
        if !live.codec.is_native() {
            // Codec formats may have padding that packing leaves alone: start from the item.
            live.view.read_item(index, &mut buf)?;
        }
        live.codec.pack(&live.format, value, &mut buf)?;
        live.view.write_item(index, &buf)
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
        self.read_item(index)
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
        let l = live.layout();
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
                Ok(Subscript::Item(self.read_item(&[*i])?))
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
        self.selected(Select::Key(entries))
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
        self.selected(Select::Slice(slice))
    }

    /// The view with its dimensions reversed (NumPy's `.T`).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"abcdef").cast_shape("B", &[2, 3]).unwrap();
    /// assert_eq!(v.transpose().unwrap().to_bytes().unwrap(), b"adbecf");
    /// ```
    pub fn transpose(&self) -> Result<MemoryView<'a>, ViewError> {
        let axes: SmallVec<[usize; 8]> = (0..self.live()?.layout().ndim()).rev().collect();
        self.selected(Select::Permute(&axes))
    }

    /// The view with its dimensions reordered.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[0; 6]).cast_shape("B", &[1, 2, 3]).unwrap();
    /// assert_eq!(v.permute(&[2, 0, 1]).unwrap().shape().unwrap(), vec![3, 1, 2]);
    /// ```
    pub fn permute(&self, axes: &[usize]) -> Result<MemoryView<'a>, ViewError> {
        self.selected(Select::Permute(axes))
    }

    /// A view of the same items with another shape, where no copy is needed (beyond
    /// `cast`, which needs C-contiguity).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"abcdef").slice(memview::Slice::new(None, None, Some(-1))).unwrap();
    /// assert_eq!(v.reshape(&[2, 3]).unwrap().to_bytes().unwrap(), b"fedcba");
    /// ```
    pub fn reshape(&self, shape: &[usize]) -> Result<MemoryView<'a>, ViewError> {
        let layout = self.live()?.layout().reshape(shape)?;
        self.reinterpreted(layout)
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
        let ndim = live.layout().ndim();
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
            return self.write_item(&[], value);
        }
        let ints: Option<SmallVec<[isize; 8]>> =
            entries.iter().map(|e| if let Index::At(i) = e { Some(*i) } else { None }).collect();
        match (&key, ints) {
            (Key::One(Index::At(i)), _) if ndim == 1 => self.write_item(&[*i], value),
            (Key::Tuple(_), Some(ix)) if ix.len() >= ndim => {
                if ix.len() > ndim {
                    return Err(strided::LayoutError::TooManyIndices { ndim, n: ix.len() }.into());
                }
                self.write_item(&ix, value)
            }
            // On CPython's own path a byte string is a buffer (format "B"): `m[0:2] = b"ab"`.
            (Key::One(Index::Slice(_)), _) if ndim == 1 => match value {
                Value::Bytes(b) => self.assign(&key, &MemoryView::from_bytes(b)),
                // CPython's 1-D slice assignment wants a buffer on the right, and asks for
                // it before it looks at the slice.
                _ => Err(ViewError::NotABuffer(value_type_name(value))),
            },
            // CPython refuses slices of more than one dimension before anything else.
            (Key::Tuple(_), _) if entries.iter().all(|e| matches!(e, Index::Slice(_))) && entries.len() > ndim => {
                Err(ViewError::NotImplemented("memoryview slice assignments are currently restricted to ndim = 1"))
            }
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
        let mut item: SmallVec<[u8; 16]> = SmallVec::from_elem(0, live.layout().itemsize());
        live.codec.pack(&live.format, value, &mut item)?;
        live.view.fill(&item)
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
        let target = match self.subscript_target(key)? {
            Some(view) => view,
            None => {
                // The key selects one item: a view is not a value of its format.
                return Err(ViewError::InvalidType(live.format.to_string()));
            }
        };
        let src = source.live()?;
        let strip = |f: &str| f.strip_prefix('@').unwrap_or(f).to_owned();
        let (tl, sl) = (target.live()?.layout(), src.layout());
        if strip(&live.format) != strip(&src.format)
            || tl.itemsize() != sl.itemsize()
            || !crate::compare::equiv_shape(tl.shape(), sl.shape())
        {
            return Err(ViewError::DifferentStructures);
        }
        let bytes = source.to_bytes()?;
        target.write_bytes(&bytes)
    }

    /// The view a key selects, or `None` if it selects one item.
    fn subscript_target(&self, key: &Key) -> Result<Option<MemoryView<'a>>, ViewError> {
        let l = self.live()?.layout();
        let ndim = l.ndim();
        let entries = key.entries();
        let all_ints = entries.iter().all(|e| matches!(e, Index::At(_)));
        if ndim == 0 {
            if entries.iter().all(|e| matches!(e, Index::Ellipsis)) {
                return Ok(Some(self.selected(Select::Key(entries))?));
            }
            return Err(ViewError::InvalidKey("invalid indexing of 0-dim memory"));
        }
        if all_ints && entries.len() >= ndim && !(matches!(key, Key::One(_)) && ndim > 1) {
            if entries.len() > ndim {
                return Err(strided::LayoutError::TooManyIndices { ndim, n: entries.len() }.into());
            }
            return Ok(None);
        }
        Ok(Some(self.selected(Select::Key(entries))?))
    }

    /// Writes C-order bytes (exactly `nbytes`) into the view's items.
    pub(crate) fn write_bytes(&self, bytes: &[u8]) -> Result<(), ViewError> {
        let live = self.live()?;
        if live.readonly {
            return Err(ViewError::ReadOnly);
        }
        live.view.scatter(bytes)
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
        let l = live.layout();
        // memoryview's own contiguity flag (an empty strided 1-D slice is not contiguous).
        if !self.c_contiguous()? {
            return Err(strided::LayoutError::CastNotContiguous.into());
        }
        l.check_cast_source(shape.map(<[i128]>::len))?;
        let dest = cast_code(format).ok_or(ViewError::CastFormat)?;
        let src_byte = NativeCode::of_format(&live.format).is_some_and(NativeCode::is_byte);
        if !src_byte && !dest.is_byte() {
            return Err(strided::LayoutError::CastNonByte.into());
        }
        let size = dest.size();
        let mut layout = l.cast_1d(size)?;
        if let Some(shape) = shape {
            layout = layout.cast_nd(size, shape)?;
        }
        self.retyped(layout, format)
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
        let l = live.layout();
        let offset = l.offset().checked_add(field.offset as isize).ok_or(strided::LayoutError::Overflow("offset"))?;
        let mut layout = StridedLayout::new(field.layout.itemsize(), l.shape(), l.strides(), offset)?;
        if let Some(subs) = l.suboffsets() {
            layout = layout.with_suboffsets(subs)?;
        }
        if layout.is_indirect() {
            return Err(ViewError::NotImplemented("field views of indirect layouts"));
        }
        self.retyped(layout, &field.layout.to_format())
    }

    /// A view of another direct layout of this view's memory with another format, whose
    /// item size must be the layout's.
    fn retyped(&self, layout: StridedLayout, format: &str) -> Result<MemoryView<'a>, ViewError> {
        let codec = ItemCodec::new(format);
        codec.check_itemsize(format, layout.itemsize())?;
        let mut v = self.reinterpreted(layout)?;
        if let Some(nl) = v.live.as_mut() {
            nl.format = Rc::from(format);
            nl.codec = Rc::new(codec);
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
        let l = StridedLayout::contiguous_in(live.layout().itemsize(), live.layout().shape(), order)?;
        let nd = buffer_protocol::NdArray::new(bytes, &live.format, l.itemsize(), l.shape(), l.strides(), 0, readonly)?;
        MemoryView::new(nd)
    }
}

/// The native code a `cast` destination format names (CPython 3.11 accepts every native
/// code memoryview reads).
fn cast_code(format: &str) -> Option<NativeCode> {
    NativeCode::of_format(format)
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
