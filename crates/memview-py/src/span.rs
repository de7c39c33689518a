//! The span: a 1-D view of an imported run as plain numbers, which a Python view keeps beside
//! its family so that the view and its slices are made without a core view.
//!
//! A view of one run of adjacent items of a native number format (what `bytes`, `bytearray`,
//! `array` and 1-D NumPy arrays export), and every plain slice of such a view, is described
//! completely by the run (its first byte, its number of items, their size and format, the
//! read-only flag) and three numbers: the byte offset of the view's first item from the run's
//! first byte, the view's length, and its step in bytes. `memview.memoryview(x)` and `m[a:b:c]`
//! of such a view compute those numbers ([`Span::slice`], CPython's `init_slice`) and fill the
//! hot layout from them ([`Span::hot`]); the core view is made from the span
//! ([`Span::view`]) when a call first needs one, under the family's lock
//! (`PyMemoryView::live`). A slice in a Python loop then costs a little arithmetic and one
//! object, as the builtin's does.
//!
//! Invariants, stated as absences:
//! - No span describes memory outside its run: [`Span::slice`] derives only the layouts the
//!   core's `slice` would (the same arithmetic, overflow refused), and [`Span::view`] gives
//!   the layout to the core, which checks it against the run again.
//! - No span outlives its run's import: a Python view holds its span and the import that
//!   lends the run (`Anchor`), and a slice's new view holds the same import.

use memview::{Access, MemoryView, Slice, StridedLayout, ViewError};
use std::ptr::NonNull;

/// A 1-D view of a lent run (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    /// The run's first byte.
    region: NonNull<u8>,
    /// The number of items in the run.
    count: usize,
    /// The size of an item, the native size of `format`.
    itemsize: usize,
    /// A native number code (with or without `@`), interned.
    format: &'static str,
    /// Whether the run was lent read-only.
    readonly: bool,
    /// The byte offset of the view's first item from `region` (CPython's `buf - base`).
    offset: isize,
    /// The number of items of the view.
    len: usize,
    /// The distance between neighbouring items of the view, in bytes.
    stride: isize,
}

// SAFETY: a span is numbers and a pointer that is never dereferenced through the span itself:
// memory is touched only through the core view made by `view` (whose caller promises the run
// is alive, under the family's lock) or through the hot layout (see `crate::hot`). Copying the
// numbers to another thread touches no memory and shares no count.
unsafe impl Send for Span {}
// SAFETY: as for `Send`: `&Span` gives only the numbers.
unsafe impl Sync for Span {}

impl Span {
    /// The whole run of `count` items of `itemsize` bytes at `region` (at most `isize::MAX`
    /// bytes, as an exporter's `len` is), if its format is a native number code whose size is
    /// `itemsize`; `None` for every other run, whose views are made as core views at once.
    pub(crate) fn run(
        region: NonNull<u8>,
        count: usize,
        itemsize: usize,
        format: &'static str,
        readonly: bool,
    ) -> Option<Span> {
        let fits = count.checked_mul(itemsize).is_some_and(|n| isize::try_from(n).is_ok());
        let native = crate::hot::code_size(crate::hot::number_code(format)) == Some(itemsize);
        let stride = isize::try_from(itemsize).ok()?;
        (fits && native).then_some(Span { region, count, itemsize, format, readonly, offset: 0, len: count, stride })
    }

    /// The span of `m[slice]` (after `PySlice_Unpack`), as the core's `slice` computes it:
    /// CPython's `PySlice_AdjustIndices`, then the first item moved `start` steps and the
    /// step multiplied. `None` where the arithmetic would overflow or the slice is refused
    /// (a zero step): the core's path gives the answer.
    #[inline(always)]
    pub(crate) fn slice(&self, slice: Slice) -> Option<Span> {
        let (start, _, step, len) = slice.indices(self.len).ok()?;
        let offset = start.checked_mul(self.stride)?.checked_add(self.offset)?;
        let stride = self.stride.checked_mul(step)?;
        Some(Span { offset, len, stride, ..*self })
    }

    /// The hot layout of the view the span describes: what `Hot::of` gives for the core
    /// view made from it ([`view`](Self::view)), without making that view.
    #[inline]
    pub(crate) fn hot(&self) -> crate::hot::Hot {
        let code = crate::hot::number_code(self.format);
        crate::hot::Hot::of_run(self.len, code, self.itemsize, self.first(), self.stride, !self.readonly)
    }

    /// The number of items of the view.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.len
    }

    /// The step of the view, in bytes.
    #[cfg(test)]
    fn stride(&self) -> isize {
        self.stride
    }

    /// The format (a native number code).
    pub(crate) fn format(&self) -> &'static str {
        self.format
    }

    /// The address of the view's first item (the run's first byte moved `offset` bytes;
    /// not dereferenced here).
    pub(crate) fn first(&self) -> *mut u8 {
        self.region.as_ptr().wrapping_offset(self.offset)
    }

    /// The core view the span describes: the run lent to a view ([`MemoryView::from_raw_parts`]),
    /// and the span's layout of it, which the core checks against the run.
    ///
    /// # Safety
    /// The promises of [`MemoryView::from_raw_parts`] for the run, for as long as the returned
    /// view and every view derived from it live: the import that lends the run is released
    /// only after they are dropped.
    pub(crate) unsafe fn view(&self) -> Result<MemoryView<'static>, ViewError> {
        let access = if self.readonly { Access::Read } else { Access::Write };
        // SAFETY: the caller's promise.
        let run = unsafe {
            MemoryView::from_raw_parts(self.region.as_ptr(), self.count, self.itemsize, self.format, access)
        }?;
        let whole = self.offset == 0 && self.len == self.count && self.stride.unsigned_abs() == self.itemsize;
        if whole && self.stride > 0 {
            return Ok(run);
        }
        run.reinterpret(self.format, StridedLayout::new(self.itemsize, &[self.len], &[self.stride], self.offset)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every slice of every slice of a run gives the span the core's `slice` gives: the same
    /// first item, length and step, and the same core view made from it.
    #[test]
    fn slices_of_spans_are_the_core_slices() {
        let mut data = [0u32; 7];
        let region = NonNull::new(data.as_mut_ptr().cast::<u8>()).unwrap();
        let run = Span::run(region, 7, 4, "I", false).unwrap();
        let bounds =
            [None, Some(-9), Some(-7), Some(-3), Some(-1), Some(0), Some(1), Some(3), Some(6), Some(7), Some(9)];
        let steps = [None, Some(-3), Some(-2), Some(-1), Some(1), Some(2), Some(4)];
        let mut slices = Vec::new();
        for a in bounds {
            for b in bounds {
                for c in steps {
                    slices.push(Slice::new(a, b, c));
                }
            }
        }
        let mut checked = 0;
        for &first in slices.iter().step_by(5) {
            // SAFETY: `data` outlives every view of this test and is not used meanwhile.
            let parent_view = unsafe { run.view() }.unwrap();
            let parent = run.slice(first).unwrap();
            let core_parent = parent_view.slice(first).unwrap();
            for &second in &slices {
                let span = parent.slice(second).unwrap();
                let core = core_parent.slice(second).unwrap();
                // SAFETY: as above.
                let made = unsafe { span.view() }.unwrap();
                for v in [&core, &made] {
                    assert_eq!(v.shape(), [span.len()], "{first:?} {second:?}");
                    assert_eq!(v.strides(), [span.stride()], "{first:?} {second:?}");
                    assert_eq!(v.as_ptr(), Some(span.first().cast_const()), "{first:?} {second:?}");
                    assert_eq!(v.format(), "I");
                }
                assert_eq!(made.to_bytes().unwrap(), core.to_bytes().unwrap());
                checked += 1;
            }
        }
        assert!(checked > 10_000, "{checked}");
    }

    /// The hot layout made from a span is the one made from its core view, for every
    /// format, access, length (around the size `tobytes` copies with the GIL) and slice.
    #[test]
    fn the_hot_layout_of_a_span_is_that_of_its_core_view() {
        use crate::hot::Hot;
        let mut data = vec![0u64; 10_000];
        let region = NonNull::new(data.as_mut_ptr().cast::<u8>()).unwrap();
        let keys = [
            Slice::new(None, None, None),
            Slice::new(None, None, Some(-1)),
            Slice::new(Some(3), Some(3), None),
            Slice::new(Some(-20), Some(5), Some(-1)),
            Slice::new(Some(1), Some(2), Some(7)),
            Slice::new(Some(5), None, Some(3)),
            Slice::new(None, Some(8191), None),
            Slice::new(None, Some(8192), None),
        ];
        for (format, itemsize) in [("B", 1), ("@h", 2), ("I", 4), ("f", 4), ("q", 8), ("d", 8)] {
            for readonly in [false, true] {
                let run = Span::run(region, 80_000 / itemsize, itemsize, format, readonly).unwrap();
                for key in keys {
                    let span = run.slice(key).unwrap();
                    // SAFETY: `data` outlives the view and is not used meanwhile.
                    let view = unsafe { span.view() }.unwrap();
                    assert_eq!(format!("{:?}", span.hot()), format!("{:?}", Hot::of(&view)), "{format} {key:?}");
                }
            }
        }
    }

    #[test]
    fn only_native_number_runs_of_their_own_size_have_spans() {
        let mut data = [0u8; 16];
        let region = NonNull::new(data.as_mut_ptr()).unwrap();
        assert!(Span::run(region, 2, 8, "d", true).is_some());
        assert!(Span::run(region, 2, 8, "@q", false).is_some());
        assert!(Span::run(region, 4, 4, "d", true).is_none());
        assert!(Span::run(region, 16, 1, "c", true).is_none());
        assert!(Span::run(region, 2, 8, "<d", true).is_none());
        assert!(Span::run(region, usize::MAX / 4, 8, "q", true).is_none());
    }

    #[test]
    fn a_zero_step_or_an_overflow_is_left_to_the_core() {
        let mut data = [0u8; 16];
        let region = NonNull::new(data.as_mut_ptr()).unwrap();
        let run = Span::run(region, 16, 1, "B", false).unwrap();
        assert_eq!(run.slice(Slice::new(None, None, Some(0))), None);
        let far = run.slice(Slice::new(Some(1), Some(3), Some(isize::MAX / 2))).unwrap();
        assert_eq!(far.len(), 1);
        assert_eq!(far.slice(Slice::new(None, None, Some(4))), None);
    }
}
