//! Splitting a layout into parts for parallel work, and the test that tells whether its items
//! may share bytes (when parts written at once must not).

use crate::{LayoutError, StridedLayout};

/// One part of a layout split in C order: a sub-layout of consecutive items, and the C-order
/// position of its first item in the whole (so a part's items fill `start..start + len` of
/// a C-order output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The part's items, a sub-layout of the whole (the same `ndim`; the dimensions before
    /// the split one have extent 1).
    pub layout: StridedLayout,
    /// The C-order position of the part's first item in the whole.
    pub start: usize,
}

/// Splits a direct layout into at most `max_parts` parts of consecutive items in C order,
/// of nearly equal sizes where the shape allows, together covering every item once: the
/// parts of parallel work on one array. Each part is a sub-layout of the whole (every item
/// of it is an item of the whole at the same offset), so the kernels that take a layout take
/// a part. An empty or 0-D layout is one part; `max_parts` of 0 counts as 1.
///
/// The split runs along the first dimension whose leading extents together reach
/// `max_parts`: a `[1000, 3]` layout in 4 parts is 4 blocks of 250 rows, a `[2, 1000]` one is
/// 2 halves of each row (each row of the leading dimensions is split alike, so a `[3, 1000]`
/// layout in 8 parts is 6 halves of rows).
///
/// ```
/// use strided::{c_order_parts, StridedLayout};
/// let l = StridedLayout::contiguous(8, &[2, 1000]).unwrap();
/// let parts = c_order_parts(&l, 4).unwrap();
/// assert_eq!(parts.len(), 4);
/// assert_eq!((parts[1].layout.shape(), parts[1].start), (&[1, 500][..], 500));
/// assert_eq!(parts.iter().map(|p| p.layout.len()).sum::<usize>(), 2000);
/// ```
pub fn c_order_parts(layout: &StridedLayout, max_parts: usize) -> Result<Vec<Part>, LayoutError> {
    let whole = || Ok(vec![Part { layout: layout.clone(), start: 0 }]);
    let want = max_parts.max(1);
    if layout.is_indirect() {
        return Err(LayoutError::Indirect("splitting into parts"));
    }
    if layout.ndim() == 0 || layout.is_empty() || want == 1 {
        return whole();
    }
    let shape = layout.shape();
    let strides = layout.strides();
    // The split dimension `k`: the first whose leading extents (product up to it) reach `want`.
    let mut k = shape.len().saturating_sub(1);
    let mut reach = 1usize;
    for (d, &n) in shape.iter().enumerate() {
        reach = reach.saturating_mul(n);
        if reach >= want {
            k = d;
            break;
        }
    }
    let leading = shape.get(..k).unwrap_or(&[]).iter().fold(1usize, |a, &n| a.saturating_mul(n));
    // `leading` counts the index prefixes before `k` (fewer than `want`, so a small number).
    let n_k = shape.get(k).copied().unwrap_or(1);
    let inner: usize = shape.get(k.saturating_add(1)..).unwrap_or(&[]).iter().fold(1usize, |a, &n| a.saturating_mul(n));
    let chunks = want.checked_div(leading).unwrap_or(1).clamp(1, n_k);
    let mut parts = Vec::new();
    let mut prefix = vec![0usize; k];
    for p in 0..leading {
        // The offset of this prefix of indices.
        let mut base = layout.offset();
        for (d, &i) in prefix.iter().enumerate() {
            let step = isize::try_from(i)
                .ok()
                .and_then(|i| i.checked_mul(*strides.get(d)?))
                .ok_or(LayoutError::Overflow("part offset"))?;
            base = base.checked_add(step).ok_or(LayoutError::Overflow("part offset"))?;
        }
        for c in 0..chunks {
            // Chunk `c` of `chunks` over `n_k`: `[n_k × c / chunks, n_k × (c + 1) / chunks)`,
            // computed without overflow (`n_k` and `chunks` are extents, their product of
            // a whole layout's size at most `isize::MAX` times `want`).
            let lo = split_point(n_k, c, chunks);
            let hi = split_point(n_k, c.saturating_add(1), chunks);
            if hi <= lo {
                continue;
            }
            let mut sub_shape = shape.to_vec();
            for e in sub_shape.iter_mut().take(k) {
                *e = 1;
            }
            if let Some(e) = sub_shape.get_mut(k) {
                *e = hi.saturating_sub(lo);
            }
            let stride_k = strides.get(k).copied().unwrap_or(0);
            let offset = isize::try_from(lo)
                .ok()
                .and_then(|lo| lo.checked_mul(stride_k))
                .and_then(|s| base.checked_add(s))
                .ok_or(LayoutError::Overflow("part offset"))?;
            let start = p
                .checked_mul(n_k)
                .and_then(|x| x.checked_add(lo))
                .and_then(|x| x.checked_mul(inner))
                .ok_or(LayoutError::Overflow("part start"))?;
            parts.push(Part { layout: StridedLayout::new(layout.itemsize(), &sub_shape, strides, offset)?, start });
        }
        // The next prefix, last dimension fastest.
        for d in (0..k).rev() {
            let (Some(i), Some(&n)) = (prefix.get_mut(d), shape.get(d)) else { break };
            *i = i.saturating_add(1);
            if *i < n {
                break;
            }
            *i = 0;
        }
    }
    Ok(parts)
}

/// `floor(n × c / chunks)` without overflow, for `c <= chunks` (`chunks >= 1`).
fn split_point(n: usize, c: usize, chunks: usize) -> usize {
    let wide =
        u128::try_from(n).unwrap_or(u128::MAX).saturating_mul(c as u128).checked_div(chunks as u128).unwrap_or(0);
    usize::try_from(wide).unwrap_or(n)
}

impl StridedLayout {
    /// Whether no two items of the layout share a byte: proven from the strides alone (each
    /// dimension, from the smallest stride up, steps past everything the smaller ones span),
    /// so `false` means "may overlap" (a broadcast dimension of stride 0, strides shorter
    /// than the item, or interleavings this test does not try to prove). Parallel writes to
    /// the items of one layout are sound only when this holds.
    ///
    /// ```
    /// use strided::StridedLayout;
    /// assert!(StridedLayout::new(8, &[3, 4], &[8, 24], 0).unwrap().items_disjoint()); // F order
    /// assert!(!StridedLayout::new(8, &[3, 4], &[0, 8], 0).unwrap().items_disjoint()); // broadcast
    /// assert!(!StridedLayout::new(4, &[3], &[2], 0).unwrap().items_disjoint()); // overlapping
    /// ```
    pub fn items_disjoint(&self) -> bool {
        if self.is_indirect() {
            return false;
        }
        if self.is_empty() {
            return true;
        }
        let mut dims: Vec<(usize, usize)> = self
            .shape()
            .iter()
            .zip(self.strides())
            .filter(|(&n, _)| n > 1)
            .map(|(&n, &s)| (s.unsigned_abs(), n))
            .collect();
        dims.sort_unstable();
        // The bytes the inner dimensions span, from an item's first byte.
        let mut span = self.itemsize();
        for (stride, n) in dims {
            if stride < span {
                return false;
            }
            // Within the layout's extent, which fits `isize`.
            span = stride.saturating_mul(n.saturating_sub(1)).saturating_add(span);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every item's offset, in C order.
    fn offsets(l: &StridedLayout) -> Vec<isize> {
        let mut out = vec![];
        crate::for_each_offset(l, crate::Order::C, |o| out.push(o)).unwrap();
        out
    }

    #[test]
    fn parts_cover_every_item_once_in_c_order() {
        let layouts = [
            StridedLayout::contiguous(8, &[1000]).unwrap(),
            StridedLayout::contiguous(1, &[2, 3, 5]).unwrap(),
            StridedLayout::new(4, &[3, 7], &[4, -12], 72).unwrap(),
            StridedLayout::new(2, &[5, 1, 6], &[24, 0, 2], 0).unwrap(),
            StridedLayout::new(8, &[0, 4], &[8, 8], 0).unwrap(),
            StridedLayout::new(8, &[], &[], 0).unwrap(),
            StridedLayout::new(8, &[4, 4], &[0, 0], 0).unwrap(),
        ];
        for l in &layouts {
            let all = offsets(l);
            for want in [0, 1, 2, 3, 4, 7, 8, 64, 1000, usize::MAX] {
                let parts = c_order_parts(l, want).unwrap();
                assert!(parts.len() <= want.max(1), "{l:?} {want}");
                let mut seen = vec![];
                for p in &parts {
                    assert_eq!(p.start, seen.len(), "{l:?} in {want}: parts in C order, consecutive");
                    assert_eq!(p.layout.ndim(), l.ndim());
                    seen.extend(offsets(&p.layout));
                }
                assert_eq!(seen, all, "{l:?} in {want}");
            }
        }
    }

    #[test]
    fn parts_are_balanced_where_the_shape_allows() {
        let l = StridedLayout::contiguous(8, &[1001, 3]).unwrap();
        let sizes: Vec<usize> = c_order_parts(&l, 4).unwrap().iter().map(|p| p.layout.len()).collect();
        assert_eq!(sizes, [750, 750, 750, 753]);
        let l = StridedLayout::contiguous(8, &[3, 1000]).unwrap();
        let parts = c_order_parts(&l, 8).unwrap();
        assert_eq!(parts.len(), 6); // each of 3 rows in floor(8 / 3) = 2 halves
        assert!(parts.iter().all(|p| p.layout.len() == 500));
    }

    #[test]
    fn disjoint_items_match_brute_force() {
        let mut rng = 0x1234_5678_9abc_def0u64;
        let mut next = |m: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % m
        };
        for _ in 0..4000 {
            let ndim = next(4) as usize;
            let itemsize = 1 + next(4) as usize;
            let shape: Vec<usize> = (0..ndim).map(|_| next(4) as usize).collect();
            let strides: Vec<isize> = (0..ndim).map(|_| next(25) as isize - 12).collect();
            let Ok(probe) = StridedLayout::new(itemsize, &shape, &strides, 0) else { continue };
            let low = probe.extent().unwrap().map_or(0, |(lo, _)| lo);
            let l = StridedLayout::new(itemsize, &shape, &strides, -low).unwrap();
            let mut bytes = std::collections::HashSet::new();
            let mut shared = false;
            for o in offsets(&l) {
                for b in 0..itemsize as isize {
                    shared |= !bytes.insert(o + b);
                }
            }
            if l.items_disjoint() {
                assert!(!shared, "{l:?} claimed disjoint");
            }
        }
    }
}
