//! Views of the same memory in another shape or type: slices, transposes, reshapes, casts,
//! read-only views and record fields.

use super::MemoryView;
use crate::items::{ItemCodec, NativeCode};
use crate::raw::Select;
use crate::ViewError;
use smallvec::SmallVec;
use strided::{LayoutError, Slice, StridedLayout};

impl<'a> MemoryView<'a> {
    /// `m[start:stop:step]`: a view sliced along the first dimension; any Rust range or
    /// [`Slice`] is a slice.
    ///
    /// ```
    /// use memview::{MemoryView, Slice};
    /// let v = MemoryView::from_bytes(b"abcdef");
    /// assert_eq!(v.slice(44..).unwrap().to_bytes().unwrap(), b"");
    /// assert_eq!(v.slice(1..=2).unwrap().to_bytes().unwrap(), b"bc");
    /// assert_eq!(v.slice(Slice::stepped(.., -2)).unwrap().to_bytes().unwrap(), b"fdb");
    /// ```
    pub fn slice(&self, slice: impl Into<Slice>) -> Result<MemoryView<'a>, ViewError> {
        self.selected(self.slice_selection(slice.into())?)
    }

    /// The selection of [`slice`](Self::slice): dimension 0 sliced, refused for 0-D views.
    #[inline]
    pub(crate) fn slice_selection(&self, slice: Slice) -> Result<Select<'static>, ViewError> {
        if self.ndim() == 0 {
            return Err(ViewError::InvalidKey("invalid indexing of 0-dim memory"));
        }
        Ok(Select::Slice(slice))
    }

    /// The view with its dimensions reversed (NumPy's `.T`).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"abcdef").cast_shape("B", &[2, 3]).unwrap();
    /// assert_eq!(v.transpose().unwrap().to_bytes().unwrap(), b"adbecf");
    /// ```
    pub fn transpose(&self) -> Result<MemoryView<'a>, ViewError> {
        let axes: SmallVec<[usize; 8]> = (0..self.ndim()).rev().collect();
        self.selected(Select::Permute(&axes))
    }

    /// The view with its dimensions reordered (NumPy's `transpose(axes)`).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[0; 6]).cast_shape("B", &[1, 2, 3]).unwrap();
    /// assert_eq!(v.permute(&[2, 0, 1]).unwrap().shape(), &[3, 1, 2]);
    /// ```
    pub fn permute(&self, axes: &[usize]) -> Result<MemoryView<'a>, ViewError> {
        self.selected(Select::Permute(axes))
    }

    /// A view of the same items with another shape, where no copy is needed (beyond
    /// `cast`, which needs C-contiguity).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"abcdef").view(memview::s![..;-1]).unwrap();
    /// assert_eq!(v.reshape(&[2, 3]).unwrap().to_bytes().unwrap(), b"fedcba");
    /// ```
    pub fn reshape(&self, shape: &[usize]) -> Result<MemoryView<'a>, ViewError> {
        let layout = self.layout().reshape(shape)?;
        self.reinterpreted(layout)
    }

    /// `toreadonly()`: a read-only view of the same memory.
    ///
    /// ```
    /// let mut data = [0u8; 1];
    /// let ro = memview::MemoryView::from_mut(&mut data).to_readonly();
    /// assert!(ro.readonly());
    /// ```
    #[doc(alias = "toreadonly")]
    pub fn to_readonly(&self) -> MemoryView<'a> {
        let mut v = self.clone();
        v.live.readonly = true;
        v
    }

    /// `cast(format)`: a 1-D view of the same bytes as items of another native format, with
    /// CPython's rules (C-contiguous views only; one of the two formats must be a byte format).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[1, 0, 0, 0, 2, 0, 0, 0]);
    /// let ints = v.cast("i").unwrap();
    /// assert_eq!(ints.to_list().unwrap(), memview::Value::List(vec![1.into(), 2.into()].into()));
    /// ```
    pub fn cast(&self, format: &str) -> Result<MemoryView<'a>, ViewError> {
        self.cast_to(format, None)
    }

    /// `cast(format, shape)`: the same with a new shape (1-D → N-D, or N-D → 1-D).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[0; 8]).cast_shape("h", &[2, 2]).unwrap();
    /// assert_eq!((v.format(), v.strides()), ("h", &[4, 2][..]));
    /// ```
    pub fn cast_shape(&self, format: &str, shape: &[usize]) -> Result<MemoryView<'a>, ViewError> {
        let dims: SmallVec<[i128; 8]> = shape.iter().map(|&d| d as i128).collect();
        self.cast_to(format, Some(&dims))
    }

    /// `cast(format, shape)` with the shape as Python would pass it: `None` for no shape, and
    /// any integers, so that a zero or negative extent gets CPython's `ValueError` rather than
    /// being unrepresentable.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[0; 8]);
    /// assert_eq!(v.cast_to("i", Some(&[2, 1])).unwrap().shape(), &[2, 1]);
    /// let err = v.cast_to("i", Some(&[-2])).unwrap_err();
    /// assert_eq!(err.python_exception(), memview::PyExc::ValueError);
    /// ```
    pub fn cast_to(&self, format: &str, python_shape: Option<&[i128]>) -> Result<MemoryView<'a>, ViewError> {
        let l = self.layout();
        // memoryview's own contiguity flag (an empty strided 1-D slice is not contiguous).
        if !self.c_contiguous() {
            return Err(LayoutError::CastNotContiguous.into());
        }
        l.check_cast_source(python_shape.map(<[i128]>::len))?;
        let dest = NativeCode::of_format(format).ok_or(ViewError::CastFormat)?;
        let src_byte = NativeCode::of_format(self.format()).is_some_and(NativeCode::is_byte);
        if !src_byte && !dest.is_byte() {
            return Err(LayoutError::CastNonByte.into());
        }
        let size = dest.size();
        let mut layout = l.cast_1d(size)?;
        if let Some(shape) = python_shape {
            layout = layout.cast_nd(size, shape)?;
        }
        self.retyped(layout, format)
    }

    /// A view of the same memory block with any direct layout and item format (file formats
    /// whose header says where the items are): the layout's offsets count from the start of
    /// the exporter's memory block, not from this view's first item. The layout is checked
    /// against the block and the format's size against the item size; memory behind pointers
    /// (suboffsets) cannot be reinterpreted.
    ///
    /// ```
    /// use memview::{MemoryView, StridedLayout};
    /// // A 4-byte header, then two big-endian u16.
    /// let file = MemoryView::from_bytes(b"HDR!\x00\x01\x01\x00");
    /// let items = file.reinterpret(">H", StridedLayout::new(2, &[2], &[2], 4).unwrap()).unwrap();
    /// assert_eq!(items.to_list().unwrap().to_string(), "[1, 256]");
    /// assert!(file.reinterpret(">H", StridedLayout::new(2, &[3], &[2], 4).unwrap()).is_err());
    /// ```
    pub fn reinterpret(&self, format: &str, layout: StridedLayout) -> Result<MemoryView<'a>, ViewError> {
        self.retyped(layout, format)
    }

    /// The names of the fields of a record format (`"T{...}"`), in order: NumPy's
    /// `dtype.names`; `None` for other formats.
    ///
    /// ```
    /// let m = memview::MemoryView::from_bytes(&[0; 12]).reinterpret("T{<i:id:<d:price:}", memview::StridedLayout::new(12, &[1], &[12], 0).unwrap()).unwrap();
    /// assert_eq!(m.field_names(), Some(vec!["id".to_string(), "price".to_string()]));
    /// assert_eq!(memview::MemoryView::from_bytes(b"x").field_names(), None);
    /// ```
    pub fn field_names(&self) -> Option<Vec<String>> {
        let ItemCodec::Codec(f) = &self.live.codec else { return None };
        let format_codec::Format::Pep3118(record) = &**f else { return None };
        if !record.shape().is_empty() {
            return None;
        }
        Some(record.fields()?.iter().map(|f| f.name.clone()).collect())
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
    /// let nd = NdArray::builder(mem, "T{<i:id:<d:price:}").build().unwrap();
    /// let records = MemoryView::new(&nd).unwrap();
    /// let prices = records.field("price").unwrap();
    /// assert_eq!(prices.format(), "<d");
    /// assert_eq!(prices.to_list().unwrap(), Value::List(vec![0.5.into(), 1.5.into(), 2.5.into()].into()));
    /// ```
    pub fn field(&self, name: &str) -> Result<MemoryView<'a>, ViewError> {
        let ItemCodec::Codec(f) = &self.live.codec else {
            return Err(ViewError::NotImplemented("field access needs a record (T{...}) format"));
        };
        let format_codec::Format::Pep3118(record) = &**f else {
            return Err(ViewError::NotImplemented("field access needs a record (T{...}) format"));
        };
        if !record.shape().is_empty() {
            return Err(ViewError::NotImplemented("field access of a sub-array item"));
        }
        let field = record.field(name).ok_or(ViewError::InvalidKey("no field of that name"))?;
        let l = self.layout();
        let offset = l.offset().checked_add(field.offset as isize).ok_or(LayoutError::Overflow("offset"))?;
        let mut layout = StridedLayout::new(field.layout.itemsize(), l.shape(), l.strides(), offset)?;
        if let Some(subs) = l.suboffsets() {
            layout = layout.with_suboffsets(subs)?;
        }
        if layout.is_indirect() {
            return Err(ViewError::NotImplemented("field views of indirect layouts"));
        }
        self.retyped(layout, &field.layout.to_format())
    }
}
