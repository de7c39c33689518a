//! The layout math against brute force: every index enumerated, every byte copied by hand.

use proptest::prelude::*;
use strided::{copy_from_contiguous, copy_to_contiguous, copy_within, Index, Order, Slice, StridedLayout};

/// A random direct layout that lies within a memory block, and the block's length.
fn layout() -> impl Strategy<Value = (StridedLayout, usize)> {
    (prop::sample::select(vec![1usize, 2, 4, 8]), prop::collection::vec((0usize..5, -24isize..25), 0..4), 0usize..8)
        .prop_map(|(itemsize, dims, extra)| {
            let shape: Vec<usize> = dims.iter().map(|d| d.0).collect();
            let strides: Vec<isize> = dims.iter().map(|d| d.1).collect();
            let mut low = 0isize;
            let mut high = 0isize;
            for (&n, &s) in shape.iter().zip(&strides) {
                let span = (n.max(1) as isize - 1) * s;
                if span < 0 {
                    low += span
                } else {
                    high += span
                }
            }
            let offset = -low + extra as isize / 2;
            let len = (high - low) as usize + itemsize + extra;
            (StridedLayout::new(itemsize, &shape, &strides, offset).unwrap(), len)
        })
}

/// Every index of a shape, in C order.
fn indices(shape: &[usize]) -> Vec<Vec<usize>> {
    let mut out = vec![vec![]];
    for &n in shape {
        out = out.into_iter().flat_map(|p| (0..n).map(move |i| [p.clone(), vec![i]].concat())).collect();
    }
    out
}

fn naive_offset(l: &StridedLayout, idx: &[usize]) -> isize {
    l.offset() + idx.iter().zip(l.strides()).map(|(&i, &s)| i as isize * s).sum::<isize>()
}

fn naive_gather(mem: &[u8], l: &StridedLayout, order: Order) -> Vec<u8> {
    let mut idx = indices(l.shape());
    if order == Order::F {
        idx.sort_by(|a, b| a.iter().rev().cmp(b.iter().rev()));
    }
    let mut out = Vec::new();
    for i in idx {
        let o = naive_offset(l, &i) as usize;
        out.extend_from_slice(&mem[o..o + l.itemsize()]);
    }
    out
}

fn memory(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 3) as u8).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn offsets_match_brute_force((l, len) in layout()) {
        prop_assert!(l.check_within(len).is_ok());
        for idx in indices(l.shape()) {
            let signed: Vec<isize> = idx.iter().map(|&i| i as isize).collect();
            prop_assert_eq!(l.item_offset(&signed).unwrap(), naive_offset(&l, &idx));
            let negative: Vec<isize> = idx.iter().zip(l.shape()).map(|(&i, &n)| i as isize - n as isize).collect();
            prop_assert_eq!(l.item_offset(&negative).unwrap(), naive_offset(&l, &idx));
        }
    }

    #[test]
    fn contiguity_matches_brute_force((l, _len) in layout()) {
        let c = indices(l.shape());
        let mut f = c.clone();
        f.sort_by(|a, b| a.iter().rev().cmp(b.iter().rev()));
        let dense = |order: &Vec<Vec<usize>>| {
            order.iter().enumerate().all(|(k, i)| naive_offset(&l, i) == l.offset() + (k * l.itemsize()) as isize)
        };
        prop_assert_eq!(l.is_c_contiguous(), dense(&c));
        prop_assert_eq!(l.is_f_contiguous(), dense(&f));
    }

    #[test]
    fn gathers_match_brute_force((l, len) in layout(), order in prop::sample::select(vec![Order::C, Order::F, Order::A])) {
        let mem = memory(len);
        let mut out = vec![0u8; l.nbytes()];
        copy_to_contiguous(&mem, &l, order, &mut out).unwrap();
        let resolved = strided::resolve_order(&l, order);
        prop_assert_eq!(out, naive_gather(&mem, &l, resolved));
    }

    #[test]
    fn scatters_match_brute_force((l, len) in layout()) {
        // Zero strides make several indices share bytes; the last write wins in C order.
        let src: Vec<u8> = (0..l.nbytes()).map(|i| (i * 13 + 1) as u8).collect();
        let mut mem = memory(len);
        copy_from_contiguous(&src, &mut mem, &l, Order::C).unwrap();
        let mut want = memory(len);
        for (k, idx) in indices(l.shape()).iter().enumerate() {
            let o = naive_offset(&l, idx) as usize;
            want[o..o + l.itemsize()].copy_from_slice(&src[k * l.itemsize()..(k + 1) * l.itemsize()]);
        }
        prop_assert_eq!(mem, want);
    }

    #[test]
    fn overlapping_copies_read_before_writing((l, len) in layout(), shift in 0isize..4) {
        let mut mem = memory(len + 4);
        let dst = StridedLayout::new(l.itemsize(), l.shape(), l.strides(), l.offset() + shift).unwrap();
        let before = mem.clone();
        copy_within(&mut mem, &l, &dst).unwrap();
        let data = naive_gather(&before, &l, Order::C);
        let mut want = before.clone();
        for (k, idx) in indices(l.shape()).iter().enumerate() {
            let o = naive_offset(&dst, idx) as usize;
            want[o..o + l.itemsize()].copy_from_slice(&data[k * l.itemsize()..(k + 1) * l.itemsize()]);
        }
        prop_assert_eq!(mem, want);
    }

    #[test]
    fn slices_match_python((l, _len) in layout(), dim in 0usize..4, start in prop::option::of(-7isize..8),
                           stop in prop::option::of(-7isize..8), step in prop::option::of(prop::sample::select(vec![-3isize, -2, -1, 1, 2, 3]))) {
        if l.ndim() == 0 {
            return Ok(());
        }
        let dim = dim % l.ndim();
        let s = l.slice_dim(dim, Slice::new(start, stop, step)).unwrap();
        // Python's definition, written independently: walk the range and keep what is in it.
        let n = l.shape()[dim] as isize;
        let step = step.unwrap_or(1);
        let norm = |v: isize| if v < 0 { v + n } else { v };
        let picked: Vec<isize> = if step > 0 {
            let lo = start.map(norm).unwrap_or(0).clamp(0, n);
            let hi = stop.map(norm).unwrap_or(n).clamp(0, n);
            (lo..hi).step_by(step as usize).collect()
        } else {
            let hi = start.map(norm).unwrap_or(n - 1).clamp(-1, n - 1);
            let lo = stop.map(norm).unwrap_or(-1).clamp(-1, n - 1);
            let mut v = vec![];
            let mut i = hi;
            while i > lo { v.push(i); i += step; }
            v
        };
        prop_assert_eq!(s.shape()[dim], picked.len());
        for idx in indices(s.shape()) {
            let mut orig: Vec<usize> = idx.clone();
            orig[dim] = picked[idx[dim]] as usize;
            prop_assert_eq!(naive_offset(&s, &idx), naive_offset(&l, &orig));
        }
    }

    #[test]
    fn integer_subviews_match((l, _len) in layout(), dim in 0usize..4, i in 0usize..5) {
        if l.ndim() == 0 || l.shape()[dim % l.ndim()] == 0 {
            return Ok(());
        }
        let dim = dim % l.ndim();
        let i = i % l.shape()[dim];
        let s = l.apply(&[vec![Index::Slice(Slice::full()); dim], vec![Index::At(i as isize)]].concat()).unwrap();
        for idx in indices(s.shape()) {
            let mut orig = idx.clone();
            orig.insert(dim, i);
            prop_assert_eq!(naive_offset(&s, &idx), naive_offset(&l, &orig));
        }
    }

    #[test]
    fn reshapes_keep_c_order((l, len) in layout(), pick in 0usize..8) {
        let n = l.len();
        if n == 0 {
            return Ok(());
        }
        let divisors: Vec<usize> = (1..=n).filter(|d| n % d == 0).collect();
        let split = divisors[pick % divisors.len()];
        if let Ok(r) = l.reshape(&[split, n / split]) {
            let mem = memory(len);
            prop_assert_eq!(naive_gather(&mem, &r, Order::C), naive_gather(&mem, &l, Order::C));
        }
        if l.is_c_contiguous() {
            prop_assert!(l.reshape(&[split, n / split]).is_ok());
        }
    }
}

#[test]
fn the_layout_of_a_slice_is_the_general_one() {
    let big = isize::MAX as usize;
    for itemsize in [0, 1, 2, 3, 8, 16, big / 2, big, big + 1, usize::MAX] {
        for len in [0, 1, 2, 7, 1 << 20, big / 8, big / 2, big / 2 + 1, big, big + 1, usize::MAX] {
            let fast = StridedLayout::contiguous_1d(itemsize, len);
            let general = StridedLayout::contiguous(itemsize, &[len]);
            match (&fast, &general) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "itemsize {itemsize}, len {len}"),
                (Err(_), Err(_)) => {}
                _ => panic!("itemsize {itemsize}, len {len}: {fast:?} vs {general:?}"),
            }
        }
    }
}

#[test]
fn overflowing_layouts_are_errors() {
    assert!(StridedLayout::contiguous(1, &[1 << 62, 4]).is_err());
    assert!(StridedLayout::new(8, &[2, 1 << 61], &[8, 16], 0).is_err());
    assert!(StridedLayout::new(1, &[3], &[isize::MAX], 0).is_err());
    assert!(StridedLayout::new(1, &[0; 65], &[0; 65], 0).is_err());
    assert!(StridedLayout::new(0, &[1], &[1], 0).is_err());
    assert!(Slice::new(None, None, Some(0)).indices(3).is_err());
    assert_eq!(Slice::new(Some(isize::MIN), Some(isize::MAX), Some(isize::MIN)).indices(3).unwrap().3, 0);
}

#[test]
fn cast_rules_in_cpython_order() {
    let l = StridedLayout::contiguous(1, &[2, 3]).unwrap();
    assert!(l.check_cast_source(None).is_ok());
    assert_eq!(l.check_cast_source(Some(2)).unwrap_err(), strided::LayoutError::CastNdToNd);
    let empty = StridedLayout::contiguous(1, &[0, 3]).unwrap();
    assert_eq!(empty.check_cast_source(None).unwrap_err(), strided::LayoutError::CastZeros);
    let strided = StridedLayout::new(1, &[3], &[2], 0).unwrap();
    assert_eq!(strided.cast_1d(1).unwrap_err(), strided::LayoutError::CastNotContiguous);
    let one = StridedLayout::contiguous(1, &[8]).unwrap();
    assert_eq!(one.cast_nd(4, &[0]).unwrap_err(), strided::LayoutError::CastShapeElement);
    assert_eq!(one.cast_nd(4, &[3]).unwrap_err(), strided::LayoutError::CastSize);
    assert_eq!(one.cast_nd(1, &[i128::from(i64::MAX), 4]).unwrap_err(), strided::LayoutError::CastShapeOverflow);
    assert_eq!(one.cast_nd(8, &[]).unwrap().ndim(), 0);
}

#[test]
fn bad_dimension_numbers_are_errors() {
    let l = StridedLayout::contiguous(1, &[2, 3]).unwrap();
    assert!(l.slice_dim(2, Slice::full()).is_err());
    assert!(l.index_dim(5, 0).is_err());
    assert!(l.wrap_index(2, 0).is_err());
    assert!(l.new_axis(3).is_err());
    assert!(l.new_axis(2).is_ok());
}

#[test]
fn blocked_permutations_match_brute_force() {
    // Large enough that the inner source strides jump (the cache-blocked path), odd extents
    // so tiles are partial, every permutation of three dimensions, and a reversed one.
    let (a, b, c) = (37usize, 20usize, 45usize);
    let base = StridedLayout::contiguous(4, &[a, b, c]).unwrap();
    let mem = memory(base.nbytes());
    for axes in [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] {
        let l = base.permute(&axes).unwrap();
        for order in [Order::C, Order::F] {
            let mut out = vec![0u8; l.nbytes()];
            copy_to_contiguous(&mem, &l, order, &mut out).unwrap();
            assert_eq!(out, naive_gather(&mem, &l, order), "{axes:?} {order:?}");
        }
        let rev = l.apply(&[Index::Slice(Slice::new(None, None, Some(-1)))]).unwrap();
        let mut out = vec![0u8; rev.nbytes()];
        copy_to_contiguous(&mem, &rev, Order::C, &mut out).unwrap();
        assert_eq!(out, naive_gather(&mem, &rev, Order::C), "{axes:?} reversed");
    }
}

/// A slice with any fields, extreme ones included.
fn any_slice() -> impl Strategy<Value = Slice> {
    let field = prop_oneof![
        Just(None),
        (-12isize..13).prop_map(Some),
        Just(Some(isize::MAX)),
        Just(Some(isize::MIN)),
        Just(Some(isize::MAX / 3))
    ];
    let step = prop_oneof![Just(None), (-5isize..6).prop_map(Some), Just(Some(isize::MIN)), Just(Some(isize::MAX))];
    (field.clone(), field, step).prop_map(|(a, b, c)| Slice::new(a, b, c))
}

/// A 1-D layout with any stride and offset (extreme ones included), and its 2-D twin with
/// a trailing dimension of one item, which the general paths handle.
fn one_dim() -> impl Strategy<Value = (StridedLayout, StridedLayout)> {
    let stride = prop_oneof![(-40isize..41), Just(isize::MAX / 2), Just(isize::MIN / 2), Just(1 << 40)];
    let offset = prop_oneof![(-40isize..41), Just(isize::MAX - 8), Just(isize::MIN + 8)];
    (prop::sample::select(vec![1usize, 2, 8]), 0usize..12, stride, offset).prop_filter_map(
        "a layout that exists",
        |(itemsize, n, stride, offset)| {
            let one = StridedLayout::new(itemsize, &[n], &[stride], offset).ok()?;
            let two = StridedLayout::new(itemsize, &[n, 1], &[stride, 1], offset).ok()?;
            Some((one, two))
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn one_dimension_slices_as_the_general_path_does((one, two) in one_dim(), s in any_slice()) {
        // `slice_dim_in_place` decides a 1-D direct layout on its own; its twin takes the
        // general path. Results and errors agree.
        let (mut a, mut b) = (one.clone(), two.clone());
        match (a.slice_dim_in_place(0, s), b.slice_dim_in_place(0, s)) {
            (Ok(()), Ok(())) => {
                prop_assert_eq!((a.shape()[0], a.strides()[0], a.offset()), (b.shape()[0], b.strides()[0], b.offset()));
            }
            (Err(x), Err(y)) => prop_assert_eq!(x, y),
            (x, y) => prop_assert!(false, "1-D {:?} against 2-D {:?}", x, y),
        }
    }

    #[test]
    fn one_dimension_bounds_as_the_general_walk_does((one, two) in one_dim(), len in 0usize..200) {
        // `check_within` decides a 1-D direct layout inline; the twin walks.
        prop_assert_eq!(one.check_within(len).is_ok(), two.check_within(len).is_ok());
        prop_assert_eq!(one.check_within(len), two.check_within(len));
    }
}

#[test]
fn strided_runs_of_every_gather_kernel_match_brute_force() {
    // Every item size and stride the gather picks a kernel for (the vector packs of the low
    // parts, the unrolled stride 3, the general ones), run lengths around the kernels' block
    // sizes (32 items and fewer) so full blocks, partial blocks and tails all run, as one row
    // and as rows of a 2-D layout with a gap between rows.
    let mem = memory(1 << 16);
    for (itemsize, stride) in
        [(1, 2), (1, 3), (1, 4), (1, 5), (2, 4), (2, 6), (4, 8), (4, 12), (8, 16), (8, 24), (16, 32), (3, 6)]
    {
        for n in (0..=70).chain([127, 128, 129, 200]) {
            for offset in [0isize, 1, 5] {
                let one = StridedLayout::new(itemsize, &[n], &[stride as isize], offset).unwrap();
                let mut out = vec![0u8; one.nbytes()];
                copy_to_contiguous(&mem, &one, Order::C, &mut out).unwrap();
                assert_eq!(out, naive_gather(&mem, &one, Order::C), "{itemsize} {stride} {n} {offset}");
                let row = (n * stride + 7) as isize;
                let two = StridedLayout::new(itemsize, &[3, n], &[row, stride as isize], offset).unwrap();
                let mut out = vec![0u8; two.nbytes()];
                copy_to_contiguous(&mem, &two, Order::C, &mut out).unwrap();
                assert_eq!(out, naive_gather(&mem, &two, Order::C), "rows {itemsize} {stride} {n} {offset}");
            }
        }
    }
}

#[test]
fn buffered_transpose_tiles_match_brute_force() {
    // Transposes large enough for the cache-blocked path (source rows of 512 bytes or more)
    // with extents that leave partial tiles, for every item size with a buffered tile kernel
    // and one without (3): plain, with the source's fast dimension strided (`[:, ::2]` then
    // transposed), reversed along either axis, and with an outer dimension (a 3-D permute).
    let every_other = Index::Slice(Slice::new(None, None, Some(2)));
    let reverse = Index::Slice(Slice::new(None, None, Some(-1)));
    let all = Index::Slice(Slice::new(None, None, None));
    for itemsize in [1usize, 2, 3, 4, 8, 16] {
        let (rows, cols) = (150, 1100 / itemsize + 1);
        let base = StridedLayout::contiguous(itemsize, &[rows, cols]).unwrap();
        let mem = memory(base.nbytes());
        let views = [
            base.transpose().unwrap(),
            base.apply(&[all, every_other]).unwrap().transpose().unwrap(),
            base.apply(&[reverse, all]).unwrap().transpose().unwrap(),
            base.apply(&[all, reverse]).unwrap().transpose().unwrap(),
            StridedLayout::contiguous(itemsize, &[3, 50, cols]).unwrap().permute(&[0, 2, 1]).unwrap(),
            StridedLayout::contiguous(itemsize, &[3, 50, cols]).unwrap().permute(&[2, 0, 1]).unwrap(),
        ];
        for (k, l) in views.iter().enumerate() {
            for order in [Order::C, Order::F] {
                let mut out = vec![0u8; l.nbytes()];
                copy_to_contiguous(&mem, l, order, &mut out).unwrap();
                assert_eq!(out, naive_gather(&mem, l, order), "itemsize {itemsize}, view {k}, {order:?}");
            }
        }
    }
}
