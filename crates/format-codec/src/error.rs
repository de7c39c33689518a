//! The error type of the codec and the CPython exception kinds errors map to.

pub use py_exc::PyExc;

/// Everything that can go wrong while parsing a format or packing and unpacking values.
///
/// The messages follow CPython 3.11's `struct` module word for word where it has one.
///
/// ```
/// use format_codec::{calcsize, CodecError, PyExc};
/// let err = calcsize("3").unwrap_err();
/// assert!(matches!(err, CodecError::RepeatWithoutCode));
/// assert_eq!(err.to_string(), "repeat count given without format specifier");
/// assert_eq!(err.python_exception(), PyExc::StructError);
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// A character that is not a format code (or not allowed in this byte-order mode).
    #[error("bad char in struct format")]
    BadChar {
        /// Byte position of the offending character in the format string.
        position: usize,
    },
    /// A count at the end of the format with no code after it.
    #[error("repeat count given without format specifier")]
    RepeatWithoutCode,
    /// An allocation sized by the format (a huge record, a huge sub-array) that cannot be
    /// had: CPython's `MemoryError`, never an abort.
    #[error("out of memory")]
    NoMemory,
    /// Structs nested deeper, or sub-arrays of more dimensions, than the documented limits
    /// ([`MAX_NESTING`](crate::MAX_NESTING), [`MAX_SUBARRAY_DIMS`](crate::MAX_SUBARRAY_DIMS)).
    #[error("format nested too deeply: {0}")]
    TooDeep(&'static str),
    /// The format's size does not fit in `isize`.
    #[error("total struct size too long")]
    SizeTooLong,
    /// A NUL character inside the format string.
    #[error("embedded null character")]
    EmbeddedNul,
    /// A non-ASCII format string (CPython 3.11 raises `UnicodeEncodeError`, a `ValueError`).
    #[error("'ascii' codec can't encode character in position {position}: ordinal not in range(128)")]
    NonAscii {
        /// Byte position of the first non-ASCII byte.
        position: usize,
    },
    /// A malformed PEP 3118 format, with the position where reading stopped.
    #[error("invalid PEP 3118 format at position {position}: {reason}")]
    Pep3118 {
        /// Byte position in the format string.
        position: usize,
        /// What was expected or wrong there.
        reason: &'static str,
    },
    /// `pack` got a different number of values than the format has fields.
    #[error("{op} expected {expected} items for packing (got {got})")]
    WrongValueCount {
        /// `"pack"` or `"pack_into"`.
        op: &'static str,
        /// The number of values the format takes.
        expected: usize,
        /// The number given.
        got: usize,
    },
    /// A non-integer given for an integer code.
    #[error("required argument is not an integer")]
    NotAnInteger,
    /// A value that cannot become a float given for a float code.
    #[error("required argument is not a float")]
    NotAFloat,
    /// An integer outside the range of its code, with CPython's wording.
    #[error("{0}")]
    IntRange(String),
    /// An integer argument whose conversion overflowed (CPython turns that `OverflowError` into `struct.error`).
    #[error("int too large to convert")]
    IntTooLarge,
    /// A finite float too large for a standard-size `f` or any `e` field.
    #[error("float too large to pack with {code} format")]
    FloatTooLarge {
        /// The format code, `f` or `e`.
        code: char,
    },
    /// `c` needs a byte string of length 1.
    #[error("char format requires a bytes object of length 1")]
    BadChar1,
    /// `s` and `p` need byte strings.
    #[error("argument for '{code}' must be a bytes object")]
    NotBytes {
        /// `s` or `p`.
        code: char,
    },
    /// `unpack`: the buffer length differs from the format size.
    #[error("unpack requires a buffer of {size} bytes")]
    UnpackSize {
        /// The format size.
        size: usize,
    },
    /// `unpack_from`/`pack_into`: a negative offset before the start of the buffer.
    #[error("offset {offset} out of range for {len}-byte buffer")]
    OffsetOutOfRange {
        /// The offset given.
        offset: isize,
        /// The buffer length.
        len: usize,
    },
    /// `unpack_from`: a negative offset whose item would run past the end.
    #[error("not enough data to unpack {size} bytes at offset {offset}")]
    NotEnoughData {
        /// The format size.
        size: usize,
        /// The offset given.
        offset: isize,
    },
    /// `pack_into`: a negative offset whose item would run past the end.
    #[error("no space to pack {size} bytes at offset {offset}")]
    NoSpace {
        /// The format size.
        size: usize,
        /// The offset given.
        offset: isize,
    },
    /// `unpack_from`/`pack_into`: the buffer is too short from the offset on.
    #[error("{op} requires a buffer of at least {need} bytes for {verb} {size} bytes at offset {offset} (actual buffer size is {len})")]
    BufferTooSmall {
        /// `"unpack_from"` or `"pack_into"`.
        op: &'static str,
        /// `"unpacking"` or `"packing"`.
        verb: &'static str,
        /// Bytes needed from the start of the buffer.
        need: usize,
        /// The format size.
        size: usize,
        /// The offset given.
        offset: isize,
        /// The buffer length.
        len: usize,
    },
    /// `iter_unpack` with a format of size 0.
    #[error("cannot iteratively unpack with a struct of length 0")]
    IterZeroSize,
    /// `iter_unpack` with a buffer that is not a whole number of records.
    #[error("iterative unpacking requires a buffer of a multiple of {size} bytes")]
    IterNotMultiple {
        /// The format size.
        size: usize,
    },
    /// A format code that the buffer protocol carries but no Rust value can represent.
    #[error("format code '{code}' cannot be packed or unpacked: {why}")]
    Unsupported {
        /// The code, e.g. `"O"` or `"g"`.
        code: &'static str,
        /// Why not.
        why: &'static str,
    },
    /// A typed decoder whose Rust types do not match the format's fields.
    #[error("typed decode: {0}")]
    TypeMismatch(String),
    /// A value of the wrong shape for a struct or sub-array item.
    #[error("{0}")]
    BadValue(String),
}

impl CodecError {
    /// The CPython exception this error corresponds to.
    ///
    /// ```
    /// use format_codec::{pack, PyExc, Value};
    /// let err = pack("<f", &[Value::Float(1e300)]).unwrap_err();
    /// assert_eq!(err.python_exception(), PyExc::OverflowError);
    /// ```
    pub fn python_exception(&self) -> PyExc {
        match self {
            CodecError::FloatTooLarge { .. } => PyExc::OverflowError,
            CodecError::NonAscii { .. } => PyExc::ValueError,
            CodecError::Unsupported { .. } => PyExc::NotImplementedError,
            CodecError::TypeMismatch(_) => PyExc::TypeError,
            CodecError::NoMemory => PyExc::MemoryError,
            _ => PyExc::StructError,
        }
    }
}
