//! Errors of layout math, each naming the CPython exception it corresponds to.

use py_exc::PyExc;

/// What can go wrong when building, indexing, slicing or casting a layout.
///
/// ```
/// use strided::{LayoutError, StridedLayout};
/// let err = StridedLayout::contiguous(1, &[1 << 62, 4]).unwrap_err();
/// assert!(matches!(err, LayoutError::Overflow(_)));
/// assert_eq!(err.python_exception(), py_exc::PyExc::ValueError);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LayoutError {
    /// A size, offset or `shape × stride` product does not fit in `isize`.
    #[error("{0} overflows isize")]
    Overflow(&'static str),
    /// More than 64 dimensions.
    #[error("memoryview: number of dimensions must not exceed 64")]
    TooManyDims,
    /// Shape and strides (or suboffsets) of different lengths.
    #[error("shape has {shape} dimensions but {what} has {other}")]
    DimMismatch {
        /// Length of the shape.
        shape: usize,
        /// `"strides"` or `"suboffsets"`.
        what: &'static str,
        /// Length of the other array.
        other: usize,
    },
    /// An item size of zero.
    #[error("itemsize must be positive")]
    ZeroItemsize,
    /// The layout reaches outside its memory.
    #[error("layout touches bytes {low}..{high} outside the {len}-byte memory")]
    OutOfBounds {
        /// Lowest byte offset touched.
        low: isize,
        /// One past the highest byte offset touched.
        high: isize,
        /// The memory's length.
        len: usize,
    },
    /// An index outside its dimension (axes count from 0, as in NumPy's message).
    #[error("index {index} is out of bounds for axis {axis} with size {size}")]
    IndexOutOfBounds {
        /// The index as given (negative counts from the end).
        index: isize,
        /// The axis, counting from 0.
        axis: usize,
        /// The axis' extent.
        size: usize,
    },
    /// A dimension number past the last dimension.
    #[error("dimension {dim} does not exist in a {ndim}-dimensional layout")]
    NoSuchDim {
        /// The dimension asked for (from 0).
        dim: usize,
        /// Dimensions of the layout.
        ndim: usize,
    },
    /// More indices than dimensions.
    #[error("cannot index {ndim}-dimension view with {n}-element tuple")]
    TooManyIndices {
        /// Dimensions of the view.
        ndim: usize,
        /// Indices given.
        n: usize,
    },
    /// More than one `...` in a key.
    #[error("an index can only have a single ellipsis ('...')")]
    MultipleEllipsis,
    /// A slice step of zero.
    #[error("slice step cannot be zero")]
    ZeroStep,
    /// An operation that needs pointer dereferences the layout math cannot do.
    #[error("{0} is not supported on indirect (suboffset) dimensions")]
    Indirect(&'static str),
    /// `cast` of a view that is not C-contiguous.
    #[error("memoryview: casts are restricted to C-contiguous views")]
    CastNotContiguous,
    /// `cast` of a view with a zero in its shape.
    #[error("memoryview: cannot cast view with zeros in shape or strides")]
    CastZeros,
    /// `cast` between two N-dimensional shapes.
    #[error("memoryview: cast must be 1D -> ND or ND -> 1D")]
    CastNdToNd,
    /// `cast` between two formats neither of which is a byte format.
    #[error("memoryview: cannot cast between two non-byte formats")]
    CastNonByte,
    /// `cast` to an item size that does not divide the length.
    #[error("memoryview: length is not a multiple of itemsize")]
    CastLength,
    /// `cast` with a shape element that is not positive.
    #[error("memoryview.cast(): elements of shape must be integers > 0")]
    CastShapeElement,
    /// `cast` with a shape whose product overflows.
    #[error("memoryview.cast(): product(shape) > SSIZE_MAX")]
    CastShapeOverflow,
    /// `cast` with a shape whose size differs from the buffer's.
    #[error("memoryview: product(shape) * itemsize != buffer size")]
    CastSize,
    /// A reshape that would need a copy.
    #[error("cannot reshape this layout to {0:?} without copying")]
    ReshapeNeedsCopy(Vec<usize>),
    /// A temporary buffer sized by the layout that cannot be allocated (`MemoryError`).
    #[error("cannot allocate {0} bytes")]
    NoMemory(usize),
    /// A permutation that is not one of the dimensions.
    #[error("axes {0:?} are not a permutation of the dimensions")]
    BadAxes(Vec<usize>),
}

impl LayoutError {
    /// The CPython exception this error corresponds to.
    ///
    /// ```
    /// assert_eq!(
    ///     strided::LayoutError::IndexOutOfBounds { index: 4, axis: 0, size: 4 }.python_exception(),
    ///     py_exc::PyExc::IndexError
    /// );
    /// ```
    pub fn python_exception(&self) -> PyExc {
        use LayoutError::*;
        match self {
            Overflow(_) | TooManyDims | ZeroStep | CastShapeElement | CastShapeOverflow | OutOfBounds { .. } => {
                PyExc::ValueError
            }
            DimMismatch { .. } | ZeroItemsize | ReshapeNeedsCopy(_) | BadAxes(_) => PyExc::ValueError,
            IndexOutOfBounds { .. } | MultipleEllipsis | NoSuchDim { .. } => PyExc::IndexError,
            TooManyIndices { .. } => PyExc::TypeError,
            CastNotContiguous | CastZeros | CastNdToNd | CastNonByte | CastLength | CastSize => PyExc::TypeError,
            Indirect(_) => PyExc::NotImplementedError,
            NoMemory(_) => PyExc::MemoryError,
        }
    }
}
