//! Keys, items, sub-views and writes: every key goes through [`MemoryView::target`], which
//! applies CPython's dispatch (and NumPy's basic indexing where CPython refuses).

use super::MemoryView;
use crate::items::ItemCodec;
use crate::raw::Select;
use crate::{Key, ViewError};
use format_codec::Value;
use smallvec::SmallVec;
use strided::{Index, LayoutError};

/// What a key selects in a view: one item (a full index), or a view of the items the key's
/// entries select (made by the caller, with `Select::Key`). Small, so that deciding costs
/// nothing on the item path.
pub(crate) enum Target {
    /// One item, at an index with one entry per dimension.
    Item(SmallVec<[isize; 8]>),
    /// A view: NumPy's basic indexing with the key's entries.
    View,
}

/// The index of a key that is one integer per dimension of an `ndim`-dimensional view (a
/// tuple, or one integer of a 1-D view), for up to 8 dimensions: the item path of every
/// key-taking method, tested first.
#[inline]
fn full_index(key: &Key, ndim: usize) -> Option<[isize; 8]> {
    let entries = key.entries();
    if entries.len() != ndim || ndim == 0 || ndim > 8 || !(key.is_tuple() || ndim == 1) {
        return None;
    }
    let mut index = [0isize; 8];
    for (e, slot) in entries.iter().zip(index.iter_mut()) {
        let Index::At(i) = e else { return None };
        *slot = *i;
    }
    Some(index)
}

/// The slice of a key that is one slice (`m[a:b:c]`, or the tuple `m[a:b:c,]`) of a view with
/// dimensions: what [`MemoryView::target`] finds a view of (dimension 0 sliced), decided
/// without it.
fn first_dim_slice(key: &Key, ndim: usize) -> Option<strided::Slice> {
    match key.entries() {
        [Index::Slice(s)] if ndim > 0 => Some(*s),
        _ => None,
    }
}

impl<'a> MemoryView<'a> {
    /// What `key` selects, with CPython's dispatch: an integer of a 1-D view and a tuple of
    /// as many integers as dimensions select an item; `()` selects the item of a 0-D view;
    /// more entries than dimensions are refused as CPython refuses them (`NotImplementedError`
    /// for all-slice tuples, `TypeError` for others); everything else is NumPy's basic
    /// indexing and selects a view.
    pub(crate) fn target(&self, key: &Key) -> Result<Target, ViewError> {
        let ndim = self.ndim();
        let entries = key.entries();
        if let Some(ix) = full_index(key, ndim) {
            return Ok(Target::Item(SmallVec::from_slice(&ix[..ndim])));
        }
        if ndim == 0 {
            if key.is_tuple() && entries.is_empty() {
                return Ok(Target::Item(SmallVec::new()));
            }
            if entries.iter().all(|e| matches!(e, Index::Ellipsis | Index::NewAxis)) {
                return Ok(Target::View);
            }
            return Err(ViewError::InvalidKey("invalid indexing of 0-dim memory"));
        }
        if key.is_tuple() {
            let ints: Option<SmallVec<[isize; 8]>> =
                entries.iter().map(|e| if let Index::At(i) = e { Some(*i) } else { None }).collect();
            if let Some(ix) = ints.filter(|ix| ix.len() >= ndim) {
                if ix.len() > ndim {
                    return Err(LayoutError::TooManyIndices { ndim, n: ix.len() }.into());
                }
                return Ok(Target::Item(ix));
            }
        }
        let consuming = entries.iter().filter(|e| matches!(e, Index::At(_) | Index::Slice(_))).count();
        if consuming > ndim {
            return Err(if entries.iter().all(|e| matches!(e, Index::Slice(_))) {
                ViewError::NotImplemented("multi-dimensional slicing is not implemented")
            } else {
                ViewError::InvalidKey("memoryview: invalid slice key")
            });
        }
        Ok(Target::View)
    }

    /// Reads and decodes the item at a full index (one per dimension, negative from the end),
    /// with CPython's `IndexError`s.
    pub(crate) fn read_item(&self, index: &[isize]) -> Result<Value, ViewError> {
        let live = &self.live;
        let size = live.layout().itemsize();
        if let ItemCodec::Native(code) = live.codec {
            // The item read at its code's width, one load (the codec's size is the layout's
            // item size, checked when the view was made; a mismatch takes the path below).
            let p = &live.view;
            let value = match (code.size(), size) {
                (1, 1) => code.unpack(&p.read_item_array::<1>(index)?),
                (2, 2) => code.unpack(&p.read_item_array::<2>(index)?),
                (4, 4) => code.unpack(&p.read_item_array::<4>(index)?),
                (8, 8) => code.unpack(&p.read_item_array::<8>(index)?),
                _ => None,
            };
            if let Some(value) = value {
                return Ok(value);
            }
            // Native items are at most 8 bytes: a fixed-size buffer, no allocation.
            let mut buf = [0u8; 8];
            let item = buf.get_mut(..size).ok_or_else(|| ViewError::UnsupportedFormat(live.format().to_string()))?;
            live.view.read_item(index, item)?;
            return code.unpack(item).ok_or_else(|| ViewError::UnsupportedFormat(live.format().to_string()));
        }
        let mut buf: SmallVec<[u8; 16]> = SmallVec::from_elem(0, size);
        live.view.read_item(index, &mut buf)?;
        live.codec.unpack(live.format(), &buf)
    }

    /// Encodes and writes `value` to the item at a full index; the index is checked before
    /// the value, as CPython does.
    fn write_item(&self, index: &[isize], value: &Value) -> Result<(), ViewError> {
        let live = &self.live;
        live.view.check_index(index)?;
        let mut buf: SmallVec<[u8; 16]> = SmallVec::from_elem(0, live.layout().itemsize());
        if !live.codec.is_native() {
            // Codec formats may have padding that packing leaves alone: start from the item.
            live.view.read_item(index, &mut buf)?;
        }
        live.codec.pack(live.format(), value, &mut buf)?;
        live.view.write_item(index, &buf)
    }

    pub(crate) fn check_item_format(&self) -> Result<(), ViewError> {
        if matches!(self.live.codec, ItemCodec::Unsupported) {
            return Err(ViewError::UnsupportedFormat(self.live.format().to_string()));
        }
        Ok(())
    }

    fn check_writable(&self) -> Result<(), ViewError> {
        if self.live.readonly {
            return Err(ViewError::ReadOnly);
        }
        Ok(())
    }

    // ----- reading -------------------------------------------------------------------------

    /// The item a key selects (`m[i]` of a 1-D view, `m[i, j]`, `m[()]` of a 0-D view);
    /// an error if the key selects a view.
    ///
    /// ```
    /// use memview::{s, MemoryView, Value};
    /// let data = [1u16, 2, 3, 4, 5, 6];
    /// let v = MemoryView::new(&data).unwrap().cast("B").unwrap().cast_shape("H", &[2, 3]).unwrap();
    /// assert_eq!(v.get([1, -1]).unwrap(), Value::Int(6));
    /// assert_eq!(v.get(s![0, 1]).unwrap(), Value::Int(2));
    /// let err = v.get([2, 0]).unwrap_err();
    /// assert_eq!(err.to_string(), "index 2 is out of bounds for axis 0 with size 2");
    /// assert!(v.get(0).is_err()); // a row, not an item: use `view`
    /// ```
    pub fn get(&self, key: impl Into<Key>) -> Result<Value, ViewError> {
        let key = key.into();
        // The item path, without deciding anything else (`target` starts with the same test).
        if let Some(ix) = full_index(&key, self.ndim()) {
            self.check_item_format()?;
            return self.read_item(&ix[..self.ndim()]);
        }
        match self.target(&key)? {
            Target::Item(ix) => {
                self.check_item_format()?;
                self.read_item(&ix)
            }
            Target::View => {
                // The key's own errors (an index out of range) come first.
                self.selected_ref(Select::Key(key.entries()))?;
                Err(ViewError::InvalidKey("the key selects a view, not an item (use view)"))
            }
        }
    }

    /// `m[key]`: an item or a view, with CPython's dispatch, and NumPy's basic indexing where
    /// CPython refuses (integer sub-views of N-D views, multi-dimensional slices, `...`).
    ///
    /// ```
    /// use memview::{s, MemoryView, Subscript};
    /// let data: Vec<u8> = (0..12).collect();
    /// let v = MemoryView::new(&data).unwrap().cast_shape("B", &[3, 4]).unwrap();
    /// // v[1:, ::2]: beyond CPython.
    /// let w = v.subscript(s![1.., ..;2]).unwrap().into_view().unwrap();
    /// assert_eq!(w.to_bytes().unwrap(), [4, 6, 8, 10]);
    /// assert!(matches!(v.subscript((2, 3)).unwrap(), Subscript::Item(_)));
    /// ```
    pub fn subscript(&self, key: impl Into<Key>) -> Result<super::Subscript<'a>, ViewError> {
        let key = key.into();
        if let Some(s) = first_dim_slice(&key, self.ndim()) {
            return Ok(super::Subscript::View(Box::new(self.selected(Select::Slice(s))?)));
        }
        match self.target(&key)? {
            Target::Item(ix) => {
                self.check_item_format()?;
                Ok(super::Subscript::Item(self.read_item(&ix)?))
            }
            Target::View => Ok(super::Subscript::View(Box::new(self.selected(Select::Key(key.entries()))?))),
        }
    }

    /// `m[key]` where the key must select a view (a slice, a sub-view); an error if it
    /// selects one item.
    ///
    /// ```
    /// use memview::s;
    /// let v = memview::MemoryView::from_bytes(b"abcd");
    /// assert_eq!(v.view(1..3).unwrap().to_bytes().unwrap(), b"bc");
    /// assert_eq!(v.view(s![..;-1]).unwrap().to_bytes().unwrap(), b"dcba");
    /// assert!(v.view(0).is_err());
    /// ```
    #[inline]
    pub fn view(&self, key: impl Into<Key>) -> Result<MemoryView<'a>, ViewError> {
        // The key is made where the caller is and read by reference: a key (up to four
        // entries inline, 208 bytes) moved into the call was copied with stalls.
        self.view_of(&key.into())
    }

    /// [`view`](Self::view) of a key made already.
    fn view_of(&self, key: &Key) -> Result<MemoryView<'a>, ViewError> {
        self.selected(self.selection(key)?)
    }

    /// The selection of the view a key selects (an error for a key that selects an item).
    #[inline]
    pub(crate) fn selection<'k>(&self, key: &'k Key) -> Result<Select<'k>, ViewError> {
        if let Some(s) = first_dim_slice(key, self.ndim()) {
            return Ok(Select::Slice(s));
        }
        match self.target(key)? {
            Target::View => Ok(Select::Key(key.entries())),
            Target::Item(_) => Err(ViewError::InvalidKey("the key selects an item, not a view (use get)")),
        }
    }

    // ----- writing -------------------------------------------------------------------------

    /// `m[key] = value`, with memoryview's conversions and errors (`TypeError` for a wrong
    /// type, `ValueError` out of range). A key that selects a view sets every item of it, as
    /// NumPy does; on a 1-D view, a slice takes a byte string of the same length, as CPython
    /// does (`m[0:2] = b"ab"`).
    ///
    /// ```
    /// use memview::s;
    /// let mut data = [0u8; 4];
    /// let v = memview::MemoryView::from_mut(&mut data);
    /// v.set(-1, 7).unwrap();
    /// v.set(0..2, b"ab").unwrap();
    /// assert!(v.set(0, 300).is_err());
    /// drop(v);
    /// assert_eq!(data, [b'a', b'b', 0, 7]);
    /// ```
    pub fn set(&self, key: impl Into<Key>, value: impl Into<Value>) -> Result<(), ViewError> {
        let (key, value) = (key.into(), value.into());
        self.check_item_format()?;
        self.check_writable()?;
        let ndim = self.ndim();
        let entries = key.entries();
        if ndim == 0 {
            // CPython: `m[...] = x` or `m[()] = x`.
            if !entries.iter().all(|e| matches!(e, Index::Ellipsis)) {
                return Err(ViewError::InvalidKey("invalid indexing of 0-dim memory"));
            }
            return self.write_item(&[], &value);
        }
        if let (Some(Index::Slice(_)), 1) = (key.single(), ndim) {
            // On CPython's own path the right side is a buffer (a byte string is one, of
            // format "B"), asked for before the slice is looked at.
            return match &value {
                Value::Bytes(b) => self.assign(&key, &MemoryView::from_bytes(b)),
                _ => Err(ViewError::NotABuffer(value.type_name())),
            };
        }
        // CPython refuses slices of more than one dimension before anything else.
        if key.is_tuple() && entries.len() > ndim && entries.iter().all(|e| matches!(e, Index::Slice(_))) {
            return Err(ViewError::NotImplemented("memoryview slice assignments are currently restricted to ndim = 1"));
        }
        match self.target(&key)? {
            Target::Item(ix) => self.write_item(&ix, &value),
            Target::View => self.selected_ref(Select::Key(key.entries()))?.fill(value),
        }
    }

    /// Sets every item of the view to `value` (NumPy's scalar assignment `m[...] = x`).
    ///
    /// ```
    /// let mut data = [0u8; 4];
    /// let v = memview::MemoryView::from_mut(&mut data);
    /// v.view(memview::s![..;2]).unwrap().fill(9).unwrap();
    /// drop(v);
    /// assert_eq!(data, [9, 0, 9, 0]);
    /// ```
    pub fn fill(&self, value: impl Into<Value>) -> Result<(), ViewError> {
        let value = value.into();
        self.check_item_format()?;
        self.check_writable()?;
        let mut item: SmallVec<[u8; 16]> = SmallVec::from_elem(0, self.itemsize());
        self.live.codec.pack(self.live.format(), &value, &mut item)?;
        self.live.view.fill(&item)
    }

    /// `m[key] = exporter`: [`assign`](Self::assign) from any exporter (requested with
    /// `PyBUF_FULL_RO`, as CPython does).
    ///
    /// ```
    /// let mut data = *b"abcd";
    /// let v = memview::MemoryView::from_mut(&mut data);
    /// v.assign_from(2.., &b"XY"[..]).unwrap();
    /// drop(v);
    /// assert_eq!(&data, b"abXY");
    /// ```
    pub fn assign_from<E: buffer_protocol::Exporter + ?Sized>(
        &self,
        key: impl Into<Key>,
        source: &E,
    ) -> Result<(), ViewError> {
        let view = MemoryView::new(source)?;
        self.assign(key, &view)
    }

    /// `m[key] = other`: copies a view of equal format, item size and shape into the part of
    /// this view the key selects; correct when the two overlap (`m[1:] = m[:-1]`).
    ///
    /// ```
    /// let mut data = *b"abcd";
    /// let v = memview::MemoryView::from_mut(&mut data);
    /// let head = v.view(..-1).unwrap();
    /// v.assign(1.., &head).unwrap();
    /// drop((v, head));
    /// assert_eq!(&data, b"aabc");
    /// ```
    pub fn assign(&self, key: impl Into<Key>, source: &MemoryView<'_>) -> Result<(), ViewError> {
        let key = key.into();
        self.check_item_format()?;
        self.check_writable()?;
        if self.ndim() == 0 && !key.entries().iter().all(|e| matches!(e, Index::Ellipsis)) {
            return Err(ViewError::InvalidKey("invalid indexing of 0-dim memory"));
        }
        let target = match self.target(&key)? {
            Target::View => self.selected_ref(Select::Key(key.entries()))?,
            // The key selects one item: a view is not a value of its format.
            Target::Item(_) => return Err(ViewError::InvalidType(self.live.format().to_string())),
        };
        let strip = |f: &str| f.strip_prefix('@').unwrap_or(f).to_owned();
        let (tl, sl) = (target.layout(), source.layout());
        if strip(self.format()) != strip(source.format())
            || tl.itemsize() != sl.itemsize()
            || !crate::compare::equiv_shape(tl.shape(), sl.shape())
        {
            return Err(ViewError::DifferentStructures);
        }
        // Straight from block to block where the two share no byte; through a copy of the
        // source otherwise (`m[1:] = m[:-1]` reads what it overwrites).
        if tl.shape() == sl.shape() {
            if let Some(done) = target.live.view.copy_from_apart(&source.live.view) {
                return done;
            }
        }
        let bytes = source.to_bytes()?;
        target.write_bytes(&bytes)
    }

    /// Writes C-order bytes (exactly `nbytes`) into the view's items.
    pub(crate) fn write_bytes(&self, bytes: &[u8]) -> Result<(), ViewError> {
        self.check_writable()?;
        self.live.view.scatter(bytes)
    }
}
