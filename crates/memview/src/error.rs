//! [`ViewError`]: everything a view operation can refuse, with CPython's messages and kinds.

use buffer_protocol::BufferError;
use format_codec::{CodecError, PyExc};
use strided::LayoutError;

/// Why a view operation failed.
///
/// ```
/// use memview::{MemoryView, PyExc, ViewError};
/// let v = MemoryView::from_bytes(b"abc");
/// let err = v.get(7).unwrap_err();
/// assert_eq!(err.to_string(), "index 7 is out of bounds for axis 0 with size 3");
/// assert_eq!(err.python_exception(), PyExc::IndexError);
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ViewError {
    /// Any use of a released view: a `MemoryView` is never released in Rust (`release`
    /// consumes it); bindings and the conformance runner that keep Python's released state
    /// report it with this.
    #[error("operation forbidden on released memoryview object")]
    Released,
    /// `release` while buffers exported from the view are alive.
    #[error("memoryview has {0} exported buffer{s}", s = if *.0 == 1 { "" } else { "s" })]
    Exported(usize),
    /// A write to read-only memory.
    #[error("cannot modify read-only memory")]
    ReadOnly,
    /// An item format the view cannot unpack or pack.
    #[error("memoryview: unsupported format {0}")]
    UnsupportedFormat(String),
    /// A key of a kind that cannot index this view.
    #[error("{0}")]
    InvalidKey(&'static str),
    /// A value of the wrong type for the item format (CPython's `TypeError`).
    #[error("memoryview: invalid type for format '{0}'")]
    InvalidType(String),
    /// A value out of range for the item format (CPython's `ValueError`).
    #[error("memoryview: invalid value for format '{0}'")]
    InvalidValue(String),
    /// Slice assignment between views of different formats, item sizes or shapes.
    #[error("memoryview assignment: lvalue and rvalue have different structures")]
    DifferentStructures,
    /// Slice assignment from something that is not a buffer.
    #[error("a bytes-like object is required, not '{0}'")]
    NotABuffer(&'static str),
    /// `cast` to a format that is not a native single character.
    #[error("memoryview: destination format must be a native single character format prefixed with an optional '@'")]
    CastFormat,
    /// A bad `hex` separator.
    #[error("{0}")]
    BadSeparator(&'static str),
    /// `hash` of a writable view or of a non-byte format.
    #[error("{0}")]
    NotHashable(&'static str),
    /// A typed view whose Rust type does not match the format.
    #[error("typed view: format {format:?} is not {rust_type}")]
    TypeMismatch {
        /// The view's format.
        format: String,
        /// The requested Rust type.
        rust_type: &'static str,
    },
    /// An operation CPython's memoryview leaves unimplemented and memview cannot do either.
    #[error("{0}")]
    NotImplemented(&'static str),
    /// `index(value)` of a value no item equals.
    #[error("memoryview.index(x): x not found")]
    NotFound,
    /// An allocation sized by the input (a copy of a huge or stride-0 view) that cannot be
    /// had: CPython's `MemoryError`, never an abort.
    #[error("cannot allocate {0} bytes")]
    NoMemory(usize),
    /// A refusal of the buffer protocol.
    #[error(transparent)]
    Buffer(#[from] BufferError),
    /// A refusal of the layout math (bounds, slices, casts).
    #[error(transparent)]
    Layout(#[from] LayoutError),
    /// A refusal of the format codec.
    #[error(transparent)]
    Codec(#[from] CodecError),
}

impl ViewError {
    /// The CPython exception this error corresponds to.
    ///
    /// ```
    /// assert_eq!(memview::ViewError::ReadOnly.python_exception(), format_codec::PyExc::TypeError);
    /// ```
    pub fn python_exception(&self) -> PyExc {
        match self {
            ViewError::Released | ViewError::CastFormat => PyExc::ValueError,
            ViewError::BadSeparator(_) | ViewError::NotHashable(_) | ViewError::InvalidValue(_) => PyExc::ValueError,
            ViewError::DifferentStructures | ViewError::NotFound => PyExc::ValueError,
            ViewError::Exported(_) => PyExc::BufferError,
            ViewError::NoMemory(_) => PyExc::MemoryError,
            ViewError::ReadOnly | ViewError::InvalidKey(_) | ViewError::InvalidType(_) => PyExc::TypeError,
            ViewError::NotABuffer(_) | ViewError::TypeMismatch { .. } => PyExc::TypeError,
            ViewError::UnsupportedFormat(_) | ViewError::NotImplemented(_) => PyExc::NotImplementedError,
            ViewError::Buffer(e) => e.python_exception(),
            ViewError::Layout(e) => e.python_exception(),
            ViewError::Codec(e) => e.python_exception(),
        }
    }
}
