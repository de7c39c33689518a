//! Python slices and NumPy basic-indexing keys.

use crate::LayoutError;

/// A Python slice `start:stop:step`; `None` parts take Python's defaults.
///
/// ```
/// use strided::Slice;
/// assert_eq!(Slice::new(Some(-3), None, None).indices(5).unwrap(), (2, 5, 1, 3));
/// assert_eq!(Slice::new(None, None, Some(-1)).indices(3).unwrap(), (2, -1, -1, 3));
/// assert!(Slice::new(None, None, Some(0)).indices(3).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Slice {
    /// First index (inclusive).
    pub start: Option<isize>,
    /// Last index (exclusive).
    pub stop: Option<isize>,
    /// Step; must not be zero.
    pub step: Option<isize>,
}

impl Slice {
    /// A slice from its three parts.
    ///
    /// ```
    /// let s = strided::Slice::new(Some(1), None, Some(2));
    /// assert_eq!(s.indices(6).unwrap(), (1, 6, 2, 3));
    /// ```
    pub fn new(start: Option<isize>, stop: Option<isize>, step: Option<isize>) -> Slice {
        Slice { start, stop, step }
    }

    /// The full slice `:`.
    ///
    /// ```
    /// assert_eq!(strided::Slice::full().indices(4).unwrap().3, 4);
    /// ```
    pub fn full() -> Slice {
        Slice::default()
    }

    /// `slice.indices(len)` plus the slice length: `(start, stop, step, slicelength)`, with
    /// `PySlice_Unpack` and `PySlice_AdjustIndices` semantics (clamping, negative steps,
    /// empty results). A step of zero is a `ValueError`.
    ///
    /// ```
    /// assert_eq!(strided::Slice::new(None, Some(-1), None).indices(4).unwrap(), (0, 3, 1, 3));
    /// ```
    pub fn indices(&self, len: usize) -> Result<(isize, isize, isize, usize), LayoutError> {
        let len = len as isize;
        let step = self.step.unwrap_or(1);
        if step == 0 {
            return Err(LayoutError::ZeroStep);
        }
        // PySlice_Unpack keeps the step above -PY_SSIZE_T_MAX so that -step cannot overflow.
        let step = step.max(-isize::MAX);
        let (lower, upper) = if step < 0 { (-1, len - 1) } else { (0, len) };
        let adjust = |v: Option<isize>, default: isize| -> isize {
            match v {
                None => default,
                Some(v) if v < 0 => {
                    let v = v.saturating_add(len);
                    if v < lower {
                        lower
                    } else {
                        v
                    }
                }
                Some(v) => v.min(upper),
            }
        };
        let start = adjust(self.start, if step < 0 { upper } else { lower });
        let stop = adjust(self.stop, if step < 0 { lower } else { upper });
        let n = if step < 0 {
            if stop < start {
                (start - stop - 1) / (-step) + 1
            } else {
                0
            }
        } else if start < stop {
            (stop - start - 1) / step + 1
        } else {
            0
        };
        Ok((start, stop, step, n as usize))
    }
}

/// One entry of a NumPy basic-indexing key.
///
/// ```
/// use strided::{Index, Slice};
/// let key = [Index::At(-1), Index::Slice(Slice::full()), Index::Ellipsis, Index::NewAxis];
/// assert_eq!(key.len(), 4);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Index {
    /// An integer: selects one position and drops the dimension.
    At(isize),
    /// A slice: keeps the dimension.
    Slice(Slice),
    /// `...`: as many full slices as the other entries leave dimensions.
    Ellipsis,
    /// `None`/`newaxis`: inserts a dimension of extent 1.
    NewAxis,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_slice_indices() {
        // Checked against Python's slice(...).indices(len) and len(range(...)).
        let cases = [
            ((None, None, None), 5, (0, 5, 1, 5)),
            ((Some(-2), None, None), 5, (3, 5, 1, 2)),
            ((Some(10), None, None), 5, (5, 5, 1, 0)),
            ((None, None, Some(-1)), 5, (4, -1, -1, 5)),
            ((Some(-10), Some(10), Some(3)), 5, (0, 5, 3, 2)),
            ((Some(3), Some(0), Some(-2)), 5, (3, 0, -2, 2)),
            ((Some(0), Some(3), Some(-1)), 5, (0, 3, -1, 0)),
            ((None, None, Some(2)), 0, (0, 0, 2, 0)),
        ];
        for ((a, b, c), len, want) in cases {
            assert_eq!(Slice::new(a, b, c).indices(len).unwrap(), want, "{a:?}:{b:?}:{c:?} of {len}");
        }
    }
}
