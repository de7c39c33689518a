//! [`BufferInfo`]: the `Py_buffer` of Rust.

use crate::{BufferError, Flags};
use std::borrow::Cow;
use std::ptr::NonNull;
use strided::StridedLayout;

/// What an exporter hands a consumer: where the memory is, how it is laid out, what one item
/// is, and whether it may be written. The `Py_buffer` of Rust.
///
/// A descriptor also remembers the [`Flags`] it was made for, and the accessors of fields the
/// consumer did not request return `None`, as the C fields would be `NULL`:
/// no `FORMAT` means [`format`](Self::format) is `None` (read it as `"B"`), no `ND` means no
/// shape, no `STRIDES` means no strides (C-contiguous), no suboffsets unless the layout has them.
///
/// Unlike `Py_buffer`, it also knows the whole memory block (`region`) the layout lies in, so a
/// consumer can check every access against it before the first one.
///
/// ```
/// use buffer_protocol::{Exporter, Flags};
/// let data = [1u8, 2, 3, 4];
/// let simple = data.get_buffer(Flags::SIMPLE).unwrap();
/// assert_eq!((simple.len(), simple.format(), simple.shape()), (4, None, None));
/// let full = data.get_buffer(Flags::FULL_RO).unwrap();
/// assert_eq!((full.format(), full.shape(), full.strides()), (Some("B"), Some(&[4][..]), Some(&[1][..])));
/// ```
#[derive(Debug, Clone)]
pub struct BufferInfo {
    region: NonNull<u8>,
    region_len: usize,
    layout: StridedLayout,
    /// Borrowed for the static formats of slices and typed exporters: no allocation.
    format: Cow<'static, str>,
    readonly: bool,
    requested: Flags,
}

impl BufferInfo {
    /// A descriptor for a layout over a memory block, answering the request `flags` exactly as
    /// CPython's exporters do (the checks of `memory_getbuf`, in its order).
    ///
    /// # Safety
    ///
    /// The caller (an exporter) promises, for as long as the descriptor is exported (until
    /// its [`Exporter::release_buffer`](crate::Exporter::release_buffer)):
    /// 1. `region` is valid for reads of `region_len` bytes, and for writes too if
    ///    `readonly` is false; nothing else writes those bytes except through descriptors of
    ///    the same exporter.
    /// 2. If the layout has suboffsets, every pointer stored where the layout says is valid,
    ///    under 1, for every item the layout reaches through it.
    ///
    /// The direct part of the layout is checked against the region here; that is what the
    /// function checks, the rest is the caller's promise.
    pub unsafe fn new(
        region: NonNull<u8>,
        region_len: usize,
        layout: StridedLayout,
        format: impl Into<Cow<'static, str>>,
        readonly: bool,
        flags: Flags,
    ) -> Result<BufferInfo, BufferError> {
        layout.check_within(region_len)?;
        let format = format.into();
        if flags.has(Flags::WRITABLE) && readonly {
            return Err(BufferError::NotWritable);
        }
        if flags.has(Flags::C_CONTIGUOUS) && !layout.is_c_contiguous() {
            return Err(BufferError::NotCContiguous);
        }
        if flags.has(Flags::F_CONTIGUOUS) && !layout.is_f_contiguous() {
            return Err(BufferError::NotFContiguous);
        }
        if flags.has(Flags::ANY_CONTIGUOUS) && !layout.is_contiguous(strided::Order::A) {
            return Err(BufferError::NotContiguous);
        }
        if !flags.has(Flags::INDIRECT) && layout.is_indirect() {
            return Err(BufferError::NeedsSuboffsets);
        }
        if !flags.has(Flags::STRIDES) && !layout.is_c_contiguous() {
            return Err(BufferError::NotCContiguous);
        }
        // `PyBuffer_FillInfo` serves SIMPLE|FORMAT for plain bytes; memoryview refuses it otherwise.
        if !flags.has(Flags::ND) && flags.has(Flags::FORMAT) {
            let plain_bytes = layout.ndim() == 1 && layout.itemsize() == 1 && (format == "B" || format == "@B");
            if !plain_bytes {
                return Err(BufferError::FormatWithoutNd);
            }
        }
        Ok(BufferInfo { region, region_len, layout, format, readonly, requested: flags })
    }

    /// The flags the descriptor answers.
    ///
    /// ```
    /// use buffer_protocol::{Exporter, Flags};
    /// let data = [1u16, 2, 3];
    /// let info = data.get_buffer(Flags::FULL_RO).unwrap();
    /// assert_eq!(info.requested(), Flags::FULL_RO);
    /// ```
    pub fn requested(&self) -> Flags {
        self.requested
    }

    /// The start of the memory block.
    ///
    /// ```
    /// use buffer_protocol::{Exporter, Flags};
    /// let data = [1u16, 2, 3];
    /// let info = data.get_buffer(Flags::FULL_RO).unwrap();
    /// assert_eq!(info.region_ptr().as_ptr().cast_const(), data.as_ptr().cast::<u8>());
    /// ```
    pub fn region_ptr(&self) -> NonNull<u8> {
        self.region
    }

    /// The length of the memory block.
    ///
    /// ```
    /// use buffer_protocol::{Exporter, Flags};
    /// let data = [1u16, 2, 3];
    /// let info = data.get_buffer(Flags::FULL_RO).unwrap();
    /// assert_eq!(info.region_len(), 6);
    /// ```
    pub fn region_len(&self) -> usize {
        self.region_len
    }

    /// The address of the item whose indices are all 0 (`Py_buffer.buf`); for indirect
    /// layouts, of its first pointer.
    ///
    /// ```
    /// use buffer_protocol::{Exporter, Flags};
    /// let data = [1u16, 2, 3];
    /// let info = data.get_buffer(Flags::FULL_RO).unwrap();
    /// assert_eq!(info.buf().cast_const(), data.as_ptr().cast::<u8>());
    /// ```
    pub fn buf(&self) -> *mut u8 {
        self.region.as_ptr().wrapping_offset(self.layout.offset())
    }

    /// The whole layout, whatever the request: for consumers that check it against the region.
    ///
    /// ```
    /// use buffer_protocol::{Exporter, Flags};
    /// let data = [1u16, 2, 3];
    /// let info = data.get_buffer(Flags::FULL_RO).unwrap();
    /// assert_eq!(info.layout().strides(), &[2]);
    /// ```
    pub fn layout(&self) -> &StridedLayout {
        &self.layout
    }

    /// `len`: the number of bytes of the items.
    ///
    /// ```
    /// use buffer_protocol::{Exporter, Flags};
    /// let data = [1u16, 2, 3];
    /// let info = data.get_buffer(Flags::FULL_RO).unwrap();
    /// assert_eq!(info.len(), 6);
    /// ```
    pub fn len(&self) -> usize {
        self.layout.nbytes()
    }

    /// Whether the buffer holds no byte.
    ///
    /// ```
    /// use buffer_protocol::{Exporter, Flags};
    /// let data = [1u16, 2, 3];
    /// let info = data.get_buffer(Flags::FULL_RO).unwrap();
    /// assert!(!info.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The size of one item.
    ///
    /// ```
    /// use buffer_protocol::{Exporter, Flags};
    /// let data = [1u16, 2, 3];
    /// let info = data.get_buffer(Flags::FULL_RO).unwrap();
    /// assert_eq!(info.itemsize(), 2);
    /// ```
    pub fn itemsize(&self) -> usize {
        self.layout.itemsize()
    }

    /// Whether the memory must not be written.
    ///
    /// ```
    /// use buffer_protocol::{Exporter, Flags};
    /// let data = [1u16, 2, 3];
    /// let info = data.get_buffer(Flags::FULL_RO).unwrap();
    /// assert!(info.readonly());
    /// ```
    pub fn readonly(&self) -> bool {
        self.readonly
    }

    /// The format, if `FORMAT` was requested (else the consumer reads `"B"`).
    ///
    /// ```
    /// use buffer_protocol::{Exporter, Flags};
    /// let data = [1u16, 2, 3];
    /// let info = data.get_buffer(Flags::FULL_RO).unwrap();
    /// assert_eq!(info.format(), Some("H"));
    /// ```
    pub fn format(&self) -> Option<&str> {
        self.requested.has(Flags::FORMAT).then_some(&*self.format)
    }

    /// The exporter's format if it is a `'static` string (the formats of slices and typed
    /// exporters), so that consumers can keep it without copying.
    ///
    /// ```
    /// use buffer_protocol::{Exporter, Flags};
    /// let data = [1u16, 2];
    /// let info = data.get_buffer(Flags::FULL_RO).unwrap();
    /// assert_eq!(info.static_format(), Some("H"));
    /// ```
    pub fn static_format(&self) -> Option<&'static str> {
        match self.format {
            Cow::Borrowed(s) => Some(s),
            Cow::Owned(_) => None,
        }
    }

    /// The exporter's format, whether requested or not (for building views that keep it).
    ///
    /// ```
    /// use buffer_protocol::{Exporter, Flags};
    /// let data = [1u16, 2, 3];
    /// let info = data.get_buffer(Flags::FULL_RO).unwrap();
    /// assert_eq!(info.exporter_format(), "H");
    /// ```
    pub fn exporter_format(&self) -> &str {
        &self.format
    }

    /// The number of dimensions: the layout's with `ND`, else 1.
    ///
    /// ```
    /// use buffer_protocol::{Exporter, Flags};
    /// let data = [1u16, 2, 3];
    /// let info = data.get_buffer(Flags::FULL_RO).unwrap();
    /// assert_eq!(info.ndim(), 1);
    /// ```
    pub fn ndim(&self) -> usize {
        if self.requested.has(Flags::ND) {
            self.layout.ndim()
        } else {
            1
        }
    }

    /// The shape, if `ND` was requested.
    ///
    /// ```
    /// use buffer_protocol::{Exporter, Flags};
    /// let data = [1u16, 2, 3];
    /// let info = data.get_buffer(Flags::FULL_RO).unwrap();
    /// assert_eq!(info.shape(), Some(&[3][..]));
    /// ```
    pub fn shape(&self) -> Option<&[usize]> {
        self.requested.has(Flags::ND).then(|| self.layout.shape())
    }

    /// The strides in bytes, if `STRIDES` was requested.
    ///
    /// ```
    /// use buffer_protocol::{Exporter, Flags};
    /// let data = [1u16, 2, 3];
    /// let info = data.get_buffer(Flags::FULL_RO).unwrap();
    /// assert_eq!(info.strides(), Some(&[2][..]));
    /// ```
    pub fn strides(&self) -> Option<&[isize]> {
        self.requested.has(Flags::STRIDES).then(|| self.layout.strides())
    }

    /// The suboffsets, if the layout has any (only served with `INDIRECT`).
    ///
    /// ```
    /// use buffer_protocol::{Exporter, Flags};
    /// let data = [1u16, 2, 3];
    /// let info = data.get_buffer(Flags::FULL_RO).unwrap();
    /// assert_eq!(info.suboffsets(), None);
    /// ```
    pub fn suboffsets(&self) -> Option<&[isize]> {
        self.layout.suboffsets()
    }
}

/// A descriptor is written as what it describes (feature `serde`): its layout, format,
/// read-only flag and the flags it answers, without its address. It cannot be read back: a
/// descriptor is a promise about memory, made only by an exporter.
///
/// ```
/// # #[cfg(feature = "serde")] {
/// use buffer_protocol::{Exporter, Flags};
/// let data = [1u16, 2];
/// let info = data.get_buffer(Flags::FULL_RO).unwrap();
/// let json = serde_json::to_string(&info).unwrap();
/// assert!(json.contains(r#""format":"H""#) && json.contains(r#""shape":[2]"#));
/// # }
/// ```
#[cfg(feature = "serde")]
impl serde::Serialize for BufferInfo {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("BufferInfo", 5)?;
        st.serialize_field("len", &self.region_len)?;
        st.serialize_field("layout", &self.layout)?;
        st.serialize_field("format", &*self.format)?;
        st.serialize_field("readonly", &self.readonly)?;
        st.serialize_field("requested", &self.requested)?;
        st.end()
    }
}
