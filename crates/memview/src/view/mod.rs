//! The [`MemoryView`] type, split by concern in the manner of ndarray's `impl_*.rs`:
//!
//! * [`construct`]: making views of exporters, releasing them, owned copies;
//! * [`attributes`]: shape, strides, format and the other plain attributes of a live view;
//! * [`index`]: keys, items, sub-views and writes (one [`MemoryView::target`] path for all);
//! * [`derive`]: slices, transposes, reshapes, casts and field views of the same memory;
//! * [`borrowed`]: views that borrow the view they are derived from ([`ViewRef`]);
//! * [`iter`]: iteration over items, rows and axes;
//! * and, beside this module, `output` (bytes, lists, hex, display) and `compare` (`==`,
//!   hash).

mod attributes;
// The one `unsafe` call that makes a proof borrowing another view's holder.
#[allow(unsafe_code)]
mod borrowed;
mod construct;
mod derive;
mod index;
mod iter;

pub use self::borrowed::ViewRef;
pub(crate) use self::construct::total;
pub use self::construct::ReleaseError;
pub use self::iter::{AxisIter, Iter};

use crate::items::{FormatText, ItemCodec};
use crate::raw::{Proven, Select};
use crate::ViewError;
use format_codec::Value;
use std::cell::Cell;
use strided::StridedLayout;

/// The state of a view: its proven layout (which holds the acquisition), its format and item
/// codec, and the count of buffers exported from it. Deriving a view copies this state and
/// allocates nothing: layouts of up to 8 dimensions are inline, formats are `'static`, the
/// acquisition's or shared, and codecs are small or shared.
#[derive(Clone)]
pub(crate) struct Live<'a> {
    pub(crate) view: Proven<'a>,
    pub(crate) fmt: FormatText,
    pub(crate) codec: ItemCodec,
    pub(crate) readonly: bool,
    /// Buffers exported from this view and not yet released; 32 bits, beside `readonly`
    /// (a view stays within its size); an export past `u32::MAX` is refused.
    pub(crate) exports: Cell<u32>,
}

impl Live<'_> {
    /// The view's layout.
    pub(crate) fn layout(&self) -> &StridedLayout {
        self.view.layout()
    }

    /// The view's format text.
    pub(crate) fn format(&self) -> &str {
        match &self.fmt {
            FormatText::Static(s) => s,
            FormatText::Shared(s) => s,
            FormatText::Acquired => self.view.info().map_or("B", |i| i.exporter_format()),
        }
    }
}

/// What a subscript gives: one item or a new view.
///
/// ```
/// use memview::{MemoryView, Subscript};
/// let v = MemoryView::from_bytes(b"ab");
/// assert!(matches!(v.subscript(1).unwrap(), Subscript::Item(_)));
/// assert!(matches!(v.subscript(0..1).unwrap(), Subscript::View(_)));
/// assert_eq!(v.subscript(1).unwrap().into_value(), Some(98.into()));
/// ```
#[derive(Debug)]
pub enum Subscript<'a> {
    /// The item's value.
    Item(Value),
    /// A view of part of the memory (no copy), boxed to keep the enum small.
    View(Box<MemoryView<'a>>),
}

impl<'a> Subscript<'a> {
    /// The item, if the key selected one.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"ab");
    /// assert!(v.subscript(..).unwrap().into_value().is_none());
    /// ```
    pub fn into_value(self) -> Option<Value> {
        match self {
            Subscript::Item(v) => Some(v),
            Subscript::View(_) => None,
        }
    }

    /// The view, if the key selected one.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"ab");
    /// assert_eq!(v.subscript(1..).unwrap().into_view().unwrap().to_bytes().unwrap(), b"b");
    /// ```
    pub fn into_view(self) -> Option<MemoryView<'a>> {
        match self {
            Subscript::Item(_) => None,
            Subscript::View(v) => Some(*v),
        }
    }
}

/// Python's `memoryview`, in Rust: a typed, N-dimensional, strided view of memory an
/// [`Exporter`](crate::Exporter) owns, with CPython's semantics and errors, and NumPy's where
/// CPython stops.
///
/// * A `MemoryView` is always live: [`release`](Self::release) consumes it, so its attributes
///   are plain values (`shape() -> &[usize]`), and "operation forbidden on released
///   memoryview object" cannot happen in Rust.
/// * Views derived from a view (slices, sub-views, casts, [`to_readonly`](Self::to_readonly),
///   [`Clone`]) share one acquisition of the exporter, released once when the last goes.
/// * Views never hold Rust references into the memory: two writable views of the same bytes
///   can coexist, as in Python, and every access goes through checked raw-pointer code.
/// * `MemoryView` is neither `Send` nor `Sync`: views that share memory must stay on one
///   thread, or a write through one would race with a read through another.
///
/// ```
/// use memview::{s, MemoryView};
/// let mut data = *b"Python";
/// let v = MemoryView::from_mut(&mut data);
/// v.set(0, b'J').unwrap();
/// let tail = v.slice(1..).unwrap();
/// assert_eq!(tail.to_bytes().unwrap(), b"ython");
/// assert_eq!(v.view(s![..;-1]).unwrap().to_bytes().unwrap(), b"nohtyJ");
/// drop((v, tail));
/// assert_eq!(&data, b"Jython");
/// ```
pub struct MemoryView<'a> {
    pub(crate) live: Live<'a>,
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
        self.with_view(self.live.view.clone())
    }
}

impl<'a> MemoryView<'a> {
    fn of(live: Live<'a>) -> MemoryView<'a> {
        MemoryView { live, hash: Cell::new(None) }
    }

    /// A view of another proven layout with this view's format and flags (and no exports).
    #[inline]
    fn with_view(&self, view: Proven<'a>) -> MemoryView<'a> {
        let l = &self.live;
        MemoryView::of(Live {
            view,
            fmt: l.fmt.clone(),
            codec: l.codec.clone(),
            readonly: l.readonly,
            exports: Cell::new(0),
        })
    }

    pub(crate) fn live(&self) -> &Live<'a> {
        &self.live
    }

    /// A view of a selection of this view's items (a key, a slice, a permutation).
    #[inline]
    pub(crate) fn selected(&self, sel: Select<'_>) -> Result<MemoryView<'a>, ViewError> {
        self.selected_from(self.live.view.clone(), sel)
    }

    /// A view of a selection of the items of `view`, a copy of this view's proof (counted,
    /// or borrowed for a [`ViewRef`]).
    #[inline]
    pub(crate) fn selected_from(&self, mut view: Proven<'a>, sel: Select<'_>) -> Result<MemoryView<'a>, ViewError> {
        // The proof alone is copied and narrowed, then goes into the new view: a whole view
        // cloned first was copied again into the result, with store-forwarding stalls.
        view.select_in_place(sel)?;
        Ok(self.with_view(view))
    }

    /// A view of another layout of this view's memory (casts, reshapes, fields): direct
    /// acquisitions only, checked against the memory block.
    pub(crate) fn reinterpreted(&self, layout: StridedLayout) -> Result<MemoryView<'a>, ViewError> {
        Ok(self.with_view(self.live.view.reinterpret(layout)?))
    }

    /// A view of another direct layout of this view's memory with another format, whose
    /// item size must be the layout's.
    pub(crate) fn retyped(&self, layout: StridedLayout, format: &str) -> Result<MemoryView<'a>, ViewError> {
        let codec = ItemCodec::new(format);
        codec.check_itemsize(format, layout.itemsize())?;
        let mut v = self.reinterpreted(layout)?;
        v.live.fmt = FormatText::of(format);
        v.live.codec = codec;
        Ok(v)
    }
}
