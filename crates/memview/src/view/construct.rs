//! Making views of exporters, releasing them, and owned copies.

use super::{Live, MemoryView};
use crate::items::{FormatText, ItemCodec};
use crate::raw::Proven;
use crate::ViewError;
use buffer_protocol::{Access, BufferInfo, ByteArray, Exporter, Flags};
use std::borrow::Cow;
use std::cell::Cell;
use strided::{Order, StridedLayout};

/// A refused [`MemoryView::release`]: buffers exported from the view are still alive. The
/// view is handed back unchanged.
///
/// ```
/// use memview::{Exporter, Flags, MemoryView, ViewError};
/// let v = MemoryView::from_bytes(b"abc");
/// let info = v.get_buffer(Flags::SIMPLE).unwrap();       // an export, as a consumer holds one
/// let err = v.release().unwrap_err();
/// assert_eq!(err.to_string(), "memoryview has 1 exported buffer");
/// let v = err.into_view();
/// unsafe { v.release_buffer(&info) };
/// assert!(v.release().is_ok());
/// ```
#[derive(Debug)]
pub struct ReleaseError<'a> {
    view: Box<MemoryView<'a>>,
    exports: usize,
}

impl<'a> ReleaseError<'a> {
    /// The view, still live.
    pub fn into_view(self) -> MemoryView<'a> {
        *self.view
    }

    /// How many exported buffers are alive.
    ///
    /// ```
    /// use memview::{Exporter, Flags, MemoryView};
    /// let v = MemoryView::from_bytes(b"abc");
    /// let _a = v.get_buffer(Flags::SIMPLE).unwrap();
    /// let _b = v.get_buffer(Flags::SIMPLE).unwrap();
    /// assert_eq!(v.release().unwrap_err().exports(), 2);
    /// ```
    pub fn exports(&self) -> usize {
        self.exports
    }
}

impl std::fmt::Display for ReleaseError<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&ViewError::Exported(self.exports), f)
    }
}

impl std::error::Error for ReleaseError<'_> {}

impl From<ReleaseError<'_>> for ViewError {
    /// CPython's `BufferError`: the view stays live.
    fn from(e: ReleaseError<'_>) -> ViewError {
        ViewError::Exported(e.exports)
    }
}

/// The views of slices, owned byte arrays and raw memory: a 1-D contiguous export of at
/// most `isize::MAX` bytes, which no flag of `PyBUF_FULL_RO` can refuse.
// The one exception to the crate's no-panic lints: the error cannot occur (a slice's length
// in bytes fits `isize`, and `FULL_RO` asks nothing a contiguous read-only export refuses).
#[allow(clippy::unreachable)]
#[inline]
pub(crate) fn total<'a>(r: Result<MemoryView<'a>, ViewError>) -> MemoryView<'a> {
    r.unwrap_or_else(|e| unreachable!("a contiguous 1-D export was refused: {e}"))
}

impl<'a> MemoryView<'a> {
    /// A view of an exporter, requested with `PyBUF_FULL_RO` as `memoryview(obj)` does.
    ///
    /// The view is writable exactly when the exporter lends its memory for writing, and
    /// owned values follow one rule: what is exported through a shared reference (`Vec<T>`,
    /// `Box<[T]>`, `&[T]`, `Rc<[T]>`) is read-only, because anyone holding the owner may read
    /// it; [`ByteArray`], [`MutSlice`](crate::MutSlice) and writable [`NdArray`](crate::NdArray)s lend for
    /// writing. For a writable view of owned bytes use [`from_vec`](Self::from_vec), of
    /// borrowed numbers [`from_mut_slice`](Self::from_mut_slice).
    ///
    /// ```
    /// use memview::MemoryView;
    /// let data = vec![1.5f64, 2.5];
    /// let v = MemoryView::new(&data).unwrap();
    /// assert_eq!((v.format(), v.itemsize(), v.readonly()), ("d", 8, true));
    /// assert!(!MemoryView::from_vec(vec![1, 2]).readonly());
    /// ```
    #[inline]
    pub fn new(exporter: impl Exporter + 'a) -> Result<MemoryView<'a>, ViewError> {
        MemoryView::with_flags(exporter, Flags::FULL_RO)
    }

    /// A view of an exporter, requested with the consumer's flags (`memoryview._from_flags`);
    /// fields not requested get CPython's defaults (format `"B"`, 1-D of `len` bytes).
    ///
    /// ```
    /// use memview::{Flags, MemoryView};
    /// let data = [1u32, 2, 3];
    /// let v = MemoryView::with_flags(&data, Flags::SIMPLE).unwrap();
    /// assert_eq!((v.format(), v.shape()), ("B", &[12][..]));
    /// ```
    #[inline]
    pub fn with_flags(exporter: impl Exporter + 'a, flags: Flags) -> Result<MemoryView<'a>, ViewError> {
        let view = Proven::acquire(exporter, flags)?;
        // Without FORMAT the consumer reads bytes (`"B"`); a static format is kept as is, any
        // other is read from the acquisition's descriptor when asked for.
        let requested = view.info().and_then(BufferInfo::format);
        let fmt = match (requested, view.info().and_then(BufferInfo::static_format)) {
            (None, _) => FormatText::Static("B"),
            (Some(_), Some(s)) => FormatText::Static(s),
            (Some(_), None) => FormatText::Acquired,
        };
        let text = requested.unwrap_or("B");
        let codec = ItemCodec::for_exporter(text, view.layout().itemsize());
        let readonly = view.lent_readonly();
        Ok(MemoryView::of(Live { view, fmt, codec, readonly, exports: Cell::new(0) }))
    }

    /// A read-only view of bytes (`memoryview(bytes)`).
    ///
    /// ```
    /// assert_eq!(memview::MemoryView::from_bytes(b"ab").len(), 2);
    /// ```
    #[inline]
    pub fn from_bytes(data: &'a [u8]) -> MemoryView<'a> {
        MemoryView::from_slice(data)
    }

    /// A read-only view of borrowed numbers, with their format (`"d"` for `f64`): what
    /// `MemoryView::new(data)` gives, made without an acquisition to count (the borrow keeps
    /// the memory alive, and nothing is released).
    ///
    /// ```
    /// let data = [1.5f64, 2.5];
    /// let v = memview::MemoryView::from_slice(&data);
    /// assert_eq!((v.format(), v.shape(), v.readonly()), ("d", &[2][..], true));
    /// ```
    #[inline]
    pub fn from_slice<T: buffer_protocol::Element>(data: &'a [T]) -> MemoryView<'a> {
        let codec = ItemCodec::of_element::<T>();
        total(Proven::of_slice(data).map(|v| MemoryView::of_lent_codec(v, T::FORMAT, codec)))
    }

    /// A writable view of borrowed bytes (`memoryview(bytearray)`).
    ///
    /// ```
    /// let mut data = [0u8; 2];
    /// assert!(!memview::MemoryView::from_mut(&mut data).readonly());
    /// ```
    #[inline]
    pub fn from_mut(data: &'a mut [u8]) -> MemoryView<'a> {
        MemoryView::from_mut_slice(data)
    }

    /// A writable view of borrowed numbers, with their format (`"d"` for `f64`).
    ///
    /// ```
    /// let mut data = [0i32; 3];
    /// let v = memview::MemoryView::from_mut_slice(&mut data);
    /// assert_eq!((v.format(), v.shape()), ("i", &[3][..]));
    /// ```
    #[inline]
    pub fn from_mut_slice<T: buffer_protocol::Element>(data: &'a mut [T]) -> MemoryView<'a> {
        let codec = ItemCodec::of_element::<T>();
        total(Proven::of_mut_slice(data).map(|v| MemoryView::of_lent_codec(v, T::FORMAT, codec)))
    }

    /// A view of a lent run: its layout, its `'static` format and the codec of its items.
    #[inline]
    pub(crate) fn of_lent(view: Proven<'a>, format: &'static str) -> MemoryView<'a> {
        let codec = ItemCodec::for_exporter(format, view.layout().itemsize());
        MemoryView::of_lent_codec(view, format, codec)
    }

    /// [`of_lent`](Self::of_lent) with the codec made first: the proof is then moved into the
    /// view with no call in between, so the compiler can build it in place (a proof built,
    /// then moved across a call, is copied with store-forwarding stalls).
    #[inline]
    pub(crate) fn of_lent_codec(view: Proven<'a>, format: &'static str, codec: ItemCodec) -> MemoryView<'a> {
        let readonly = view.lent_readonly();
        MemoryView::of(Live { view, fmt: FormatText::Static(format), codec, readonly, exports: Cell::new(0) })
    }

    /// An owned, writable view of a byte array (the view owns the array).
    ///
    /// ```
    /// let v = memview::MemoryView::from_vec(vec![1, 2, 3]);
    /// assert!(!v.readonly());
    /// ```
    pub fn from_vec(data: Vec<u8>) -> MemoryView<'a> {
        total(MemoryView::new(ByteArray::from(data)))
    }

    /// A contiguous view of an exporter in `order`, or a contiguous copy if it is not
    /// contiguous (`PyMemoryView_GetContiguous`); [`Access::Write`] refuses copies.
    ///
    /// ```
    /// use memview::{Access, MemoryView, NdArray, Order};
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
        if access.is_writable() && view.live.readonly {
            return Err(buffer_protocol::BufferError::NotWritable.into());
        }
        if view.is_contiguous_in(order) {
            return Ok(view);
        }
        if access.is_writable() {
            return Err(buffer_protocol::BufferError::NotContiguous.into());
        }
        view.owned_copy(order, true)
    }

    /// `release()`: lets go of this view's hold on the acquisition (the exporter is released
    /// when the last view of it goes). It consumes the view, so no released view exists in
    /// Rust. Refused, handing the view back, while buffers exported from it are alive
    /// (CPython's `BufferError`).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"x");
    /// let w = v.clone();
    /// v.release().unwrap();
    /// assert_eq!(w.to_bytes().unwrap(), b"x"); // other views of the acquisition live on
    /// ```
    pub fn release(self) -> Result<(), ReleaseError<'a>> {
        let n = self.live.exports.get();
        if n > 0 {
            return Err(ReleaseError { view: Box::new(self), exports: n as usize });
        }
        Ok(())
    }

    /// The hash computed so far, if any: what CPython keeps answering for `hash(m)` once `m`
    /// is released (bindings that model Python's released state keep it).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"abc");
    /// assert_eq!(v.cached_hash(), None);
    /// let h = v.try_hash().unwrap();
    /// assert_eq!(v.cached_hash(), Some(h));
    /// ```
    pub fn cached_hash(&self) -> Option<u64> {
        self.hash.get()
    }

    /// `obj`: the exporter this view's acquisition came from.
    ///
    /// ```
    /// use memview::{Exporter, Flags, MemoryView};
    /// let data = [7u8; 3];
    /// let v = MemoryView::new(&data[..]).unwrap();
    /// let again = v.exporter().get_buffer(Flags::SIMPLE).unwrap();
    /// assert_eq!(again.len(), 3);
    /// ```
    #[doc(alias = "obj")]
    pub fn exporter(&self) -> &(dyn Exporter + 'a) {
        self.live.view.exporter()
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
        let format = match &self.live.fmt {
            FormatText::Static(s) => Cow::Borrowed(*s),
            _ => Cow::Owned(self.format().to_owned()),
        };
        self.live.view.descriptor(format, self.live.readonly, flags)
    }

    /// A copy of the items as C-order bytes in a new owned view (`m.tobytes()` kept as a view).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"abc");
    /// let copy = v.to_owned_view().unwrap();
    /// assert!(!copy.readonly());
    /// assert_eq!(copy, v);
    /// ```
    pub fn to_owned_view(&self) -> Result<MemoryView<'static>, ViewError> {
        self.owned_copy(Order::C, false)
    }

    /// A contiguous copy of the items in `order`, in memory the new view owns.
    fn owned_copy(&self, order: Order, readonly: bool) -> Result<MemoryView<'static>, ViewError> {
        let l = self.layout();
        let bytes = self.to_bytes_in(order)?;
        let c = StridedLayout::contiguous_in(l.itemsize(), l.shape(), order)?;
        let nd =
            buffer_protocol::NdArray::new(bytes, self.format(), c.itemsize(), c.shape(), c.strides(), 0, readonly)?;
        MemoryView::new(nd)
    }
}
