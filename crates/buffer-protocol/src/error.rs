//! Errors of buffer requests.

use format_codec::PyExc;

/// Why an exporter refused a request, or a descriptor could not be built.
///
/// ```
/// use buffer_protocol::{BufferError, Exporter, Flags};
/// let data: &[u8] = b"abc";
/// let err = data.get_buffer(Flags::WRITABLE).unwrap_err();
/// assert_eq!(err, BufferError::NotWritable);
/// assert_eq!(err.python_exception(), format_codec::PyExc::BufferError);
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BufferError {
    /// A writable buffer was requested of read-only memory.
    #[error("underlying buffer is not writable")]
    NotWritable,
    /// A C-contiguous buffer (or one without strides) was requested of a layout that is not.
    #[error("underlying buffer is not C-contiguous")]
    NotCContiguous,
    /// A Fortran-contiguous buffer was requested of a layout that is not.
    #[error("underlying buffer is not Fortran contiguous")]
    NotFContiguous,
    /// A contiguous buffer was requested of a layout that is contiguous in no order.
    #[error("underlying buffer is not contiguous")]
    NotContiguous,
    /// The layout has suboffsets and the consumer did not ask for `INDIRECT`.
    #[error("underlying buffer requires suboffsets")]
    NeedsSuboffsets,
    /// `FORMAT` without `ND` on a buffer that is not plain bytes.
    #[error("cannot cast to unsigned bytes if the format flag is present")]
    FormatWithoutNd,
    /// The exporter's memory is exported and cannot be resized or freed.
    #[error("Existing exports of data: object cannot be re-sized")]
    Exported,
    /// The exporter has been released or its memory is gone.
    #[error("operation forbidden on released memoryview object")]
    Released,
    /// A layout that does not fit its memory, or that cannot be built.
    #[error("invalid layout: {0}")]
    Layout(#[from] strided::LayoutError),
    /// A format string that cannot be read.
    #[error("invalid format: {0}")]
    Format(#[from] format_codec::CodecError),
    /// An item size that differs from the format's size: a lying exporter, refused when a
    /// view acquires it (CPython would read past the items).
    #[error("itemsize {itemsize} does not match format {format:?} of size {size}")]
    ItemsizeMismatch {
        /// The format string.
        format: String,
        /// The size the format gives.
        size: usize,
        /// The item size given.
        itemsize: usize,
    },
}

impl BufferError {
    /// The CPython exception this error corresponds to.
    ///
    /// ```
    /// use buffer_protocol::BufferError;
    /// assert_eq!(BufferError::Released.python_exception(), format_codec::PyExc::ValueError);
    /// ```
    pub fn python_exception(&self) -> PyExc {
        match self {
            BufferError::Released => PyExc::ValueError,
            BufferError::Layout(e) => e.python_exception(),
            BufferError::Format(e) => e.python_exception(),
            _ => PyExc::BufferError,
        }
    }
}
