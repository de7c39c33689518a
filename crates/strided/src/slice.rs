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

/// One axis after a slice ([`Slice::on_axis`]).
///
/// ```
/// let a = strided::Slice::stepped(.., -1).on_axis(4, 2).unwrap();
/// assert_eq!((a.len, a.stride, a.delta), (4, -2, Some(6)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AxisSlice {
    /// The number of items kept.
    pub len: usize,
    /// Their byte stride (as C computes it, wrapped, when at most one item is kept).
    pub stride: isize,
    /// The byte offset of the first item kept from the axis's first item; `None` only for an
    /// empty result whose start lies past what `isize` holds (it addresses nothing).
    pub delta: Option<isize>,
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

    /// What one axis of `len` items, `stride` bytes apart, becomes when sliced: the items
    /// kept, their stride, and the byte offset of the first one. The one definition of that
    /// arithmetic, for layouts and for typed views alike.
    ///
    /// ```
    /// use strided::{AxisSlice, Slice};
    /// let a = Slice::stepped(1.., 2).on_axis(6, 8).unwrap();
    /// assert_eq!(a, AxisSlice { len: 3, stride: 16, delta: Some(8) });
    /// ```
    pub fn on_axis(&self, len: usize, stride: isize) -> Result<AxisSlice, LayoutError> {
        let (start, _stop, step, n) = self.indices(len)?;
        // An axis of at most one item has no stride to overflow: no index but 0 ever
        // multiplies it. CPython stores the product as C computes it (wrapped), which is what
        // `.strides` shows; any value is sound there.
        let stride_out = if n <= 1 {
            stride.wrapping_mul(step)
        } else {
            stride.checked_mul(step).ok_or(LayoutError::Overflow("stride"))?
        };
        // The start moves even for an empty result, as CPython's `init_slice` does; an empty
        // result addresses nothing, so a start past what `isize` can hold leaves it in place.
        let delta = match start.checked_mul(stride) {
            Some(delta) => Some(delta),
            None if n == 0 => None,
            None => return Err(LayoutError::Overflow("offset")),
        };
        Ok(AxisSlice { len: n, stride: stride_out, delta })
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
        // `len <= isize::MAX` (a shape's extent), so `len - 1` cannot wrap.
        let (lower, upper) = if step < 0 { (-1, len.wrapping_sub(1)) } else { (0, len) };
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
        // `start` and `stop` lie in `-1..=len`, so their difference cannot wrap; the step is
        // neither 0 nor below `-isize::MAX` (above), so neither the negation nor the division
        // can fail.
        let count = |span: isize, by: isize| span.wrapping_sub(1).checked_div(by).map_or(0, |q| q.saturating_add(1));
        let n = if step < 0 {
            if stop < start {
                count(start.wrapping_sub(stop), step.wrapping_neg())
            } else {
                0
            }
        } else if start < stop {
            count(stop.wrapping_sub(start), step)
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

/// `None`/`np.newaxis` in a key: a new dimension of extent 1 (converts to [`Index::NewAxis`]).
///
/// ```
/// use strided::{Index, NewAxis};
/// assert_eq!(Index::from(NewAxis), Index::NewAxis);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NewAxis;

/// `...` in a key: as many full slices as the other entries leave dimensions (converts to
/// [`Index::Ellipsis`]).
///
/// ```
/// use strided::{Ellipsis, Index};
/// assert_eq!(Index::from(Ellipsis), Index::Ellipsis);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Ellipsis;

impl From<Ellipsis> for Index {
    fn from(_: Ellipsis) -> Index {
        Index::Ellipsis
    }
}

impl From<NewAxis> for Index {
    fn from(_: NewAxis) -> Index {
        Index::NewAxis
    }
}

impl From<Slice> for Index {
    fn from(s: Slice) -> Index {
        Index::Slice(s)
    }
}

impl From<std::ops::RangeFull> for Slice {
    /// `..` is `:`.
    fn from(_: std::ops::RangeFull) -> Slice {
        Slice::full()
    }
}

impl From<std::ops::RangeFull> for Index {
    fn from(_: std::ops::RangeFull) -> Index {
        Index::Slice(Slice::full())
    }
}

/// A Rust range as the bounds of a Python slice, for a given step direction: `a..b` is
/// `a:b`, `a..` is `a:`, `..b` is `:b`, `a..=b` is `a:b+1` (`a:b-1` with a negative step,
/// and open-ended where `b` is the last index in that direction).
///
/// With a negative step the bounds keep Python's meaning: `5..1` stepping by -1 is `5:1:-1`
/// (items 5, 4, 3, 2). Clippy's `reversed_empty_ranges` flags such literal ranges; write
/// them as `Slice::new(Some(5), Some(1), Some(-1))`, or allow the lint where it is meant.
///
/// ```
/// use strided::{Slice, SliceRange};
/// assert_eq!((2..=-1).bounds(1), (Some(2), None));  // 2..=-1 runs to the end
/// assert_eq!((5..=0).bounds(-1), (Some(5), None)); // 5..=0 with step -1 runs to index 0
/// assert_eq!(Slice::stepped(1.., -2), Slice::new(Some(1), None, Some(-2)));
/// ```
pub trait SliceRange {
    /// `(start, stop)` of the Python slice this range means when stepping by `step`.
    fn bounds(&self, step: isize) -> (Option<isize>, Option<isize>);
}

impl SliceRange for std::ops::RangeFull {
    fn bounds(&self, _: isize) -> (Option<isize>, Option<isize>) {
        (None, None)
    }
}

/// The exclusive stop after an inclusive end: one further in the step's direction, open
/// where that would wrap to the other end (`-1 + 1 == 0` would mean "before the start").
fn inclusive_stop(end: isize, step: isize) -> Option<isize> {
    if step < 0 {
        if end == 0 {
            None
        } else {
            end.checked_sub(1)
        }
    } else if end == -1 {
        None
    } else {
        end.checked_add(1)
    }
}

macro_rules! index_conversions {
    ($($t:ty),*) => {$(
        impl From<$t> for Index {
            /// An integer index (negative counts from the end); values beyond `isize`
            /// saturate, and are then out of bounds for any dimension.
            fn from(i: $t) -> Index {
                Index::At(isize::try_from(i).unwrap_or(if i > (0 as $t) { isize::MAX } else { isize::MIN }))
            }
        }
        impl SliceRange for std::ops::Range<$t> {
            fn bounds(&self, _: isize) -> (Option<isize>, Option<isize>) {
                (Some(sat(self.start)), Some(sat(self.end)))
            }
        }
        impl SliceRange for std::ops::RangeFrom<$t> {
            fn bounds(&self, _: isize) -> (Option<isize>, Option<isize>) {
                (Some(sat(self.start)), None)
            }
        }
        impl SliceRange for std::ops::RangeTo<$t> {
            fn bounds(&self, _: isize) -> (Option<isize>, Option<isize>) {
                (None, Some(sat(self.end)))
            }
        }
        impl SliceRange for std::ops::RangeInclusive<$t> {
            fn bounds(&self, step: isize) -> (Option<isize>, Option<isize>) {
                (Some(sat(*self.start())), inclusive_stop(sat(*self.end()), step))
            }
        }
        impl SliceRange for std::ops::RangeToInclusive<$t> {
            fn bounds(&self, step: isize) -> (Option<isize>, Option<isize>) {
                (None, inclusive_stop(sat(self.end), step))
            }
        }
        index_conversions!(@range $t, std::ops::Range<$t>, std::ops::RangeFrom<$t>, std::ops::RangeTo<$t>,
            std::ops::RangeInclusive<$t>, std::ops::RangeToInclusive<$t>);
    )*};
    (@range $t:ty, $($r:ty),*) => {$(
        impl From<$r> for Slice {
            fn from(r: $r) -> Slice {
                Slice::stepped(r, 1)
            }
        }
        impl From<$r> for Index {
            fn from(r: $r) -> Index {
                Index::Slice(Slice::stepped(r, 1))
            }
        }
    )*};
}

/// An integer as an `isize` slice bound or index, saturating (Python clamps slice bounds).
fn sat<T: TryInto<isize> + PartialOrd + Default>(v: T) -> isize {
    let positive = v > T::default();
    v.try_into().unwrap_or(if positive { isize::MAX } else { isize::MIN })
}

index_conversions!(isize, usize, i8, i16, i32, i64, u8, u16, u32, u64);

impl Slice {
    /// The slice a Rust range means with a step (`s![a..b; step]`): see [`SliceRange`].
    ///
    /// ```
    /// use strided::Slice;
    /// assert_eq!(Slice::stepped(.., -1), Slice::new(None, None, Some(-1)));
    /// assert_eq!(Slice::stepped(1..=3, 2), Slice::new(Some(1), Some(4), Some(2)));
    /// ```
    pub fn stepped(range: impl SliceRange, step: isize) -> Slice {
        let (start, stop) = range.bounds(step);
        Slice { start, stop, step: if step == 1 { None } else { Some(step) } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::reversed_empty_ranges)] // Python's a:b:-1 runs from a down to b
    fn ranges_mean_python_slices() {
        let len = 6;
        let pick = |s: Slice| s.indices(len).unwrap();
        assert_eq!(pick((1..4).into()), Slice::new(Some(1), Some(4), None).indices(len).unwrap());
        assert_eq!(pick((..=-1).into()).3, 6);
        assert_eq!(pick((2..=3).into()).3, 2);
        assert_eq!(pick(Slice::stepped(4..=0, -1)).3, 5);
        assert_eq!(pick(Slice::stepped(4..=1, -1)).3, 4);
        assert_eq!(pick(Slice::stepped(..=-3, -1)).3, 3);
        assert_eq!(Index::from(u64::MAX), Index::At(isize::MAX));
        assert_eq!(Index::from(-1i32), Index::At(-1));
    }

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
