//! Differential property tests: the same logical array presented directly and in the PIL
//! (suboffset) layout must read, slice and write identically.

use memview::{MemoryView, NdArray, Order, Slice};
use proptest::prelude::*;

/// A random direct layout over a block of bytes: (memory, shape, strides, offset).
fn layout() -> impl Strategy<Value = (Vec<u8>, Vec<usize>, Vec<isize>, isize)> {
    (prop::collection::vec((1usize..4, -6isize..7), 1..4), 0usize..4).prop_map(|(dims, extra)| {
        let shape: Vec<usize> = dims.iter().map(|d| d.0).collect();
        let mut strides: Vec<isize> = dims.iter().map(|d| d.1).collect();
        // PIL sources need non-negative strides after the first dimension.
        for s in strides.iter_mut().skip(1) {
            *s = s.abs();
        }
        let (mut low, mut high) = (0isize, 0isize);
        for (&n, &s) in shape.iter().zip(&strides) {
            let span = (n as isize - 1) * s;
            if span < 0 {
                low += span;
            } else {
                high += span;
            }
        }
        let len = (high - low) as usize + 1 + extra;
        ((0..len).map(|i| (i * 37 + 11) as u8).collect(), shape, strides, -low)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 6 } else { 300 }))]

    #[test]
    fn pil_and_direct_agree((mem, shape, strides, offset) in layout(),
                            start in prop::option::of(-3isize..4), step in prop::sample::select(vec![-2isize, -1, 1, 2]),
                            value in any::<u8>()) {
        let direct = NdArray::new(mem.clone(), "B", 1, &shape, &strides, offset, false).unwrap();
        let pil = NdArray::new(mem, "B", 1, &shape, &strides, offset, false).unwrap().into_pil().unwrap();
        {
            let (a, b) = (MemoryView::new(&direct).unwrap(), MemoryView::new(&pil).unwrap());
            prop_assert_eq!(a.to_list().unwrap(), b.to_list().unwrap());
            for order in [Order::C, Order::F] {
                prop_assert_eq!(a.to_bytes_in(order).unwrap(), b.to_bytes_in(order).unwrap());
            }
            // 'A' keeps the memory order of a contiguous view; a PIL view is never contiguous.
            prop_assert_eq!(b.to_bytes_in(Order::A).unwrap(), b.to_bytes_in(Order::C).unwrap());
            prop_assert!(a == b);
            let s = Slice::new(start, None, Some(step));
            let (sa, sb) = (a.slice(s).unwrap(), b.slice(s).unwrap());
            prop_assert_eq!(sa.to_bytes().unwrap(), sb.to_bytes().unwrap());
            if sa.nbytes() > 0 {
                let last: Vec<isize> = vec![-1; sa.ndim()];
                sa.set(&last[..], value).unwrap();
                sb.set(&last[..], value).unwrap();
            }
        }
        prop_assert_eq!(direct.memory(), pil.memory());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 6 } else { 300 }))]

    /// The typed iterator, taken from either end in any pattern, gives the C-order items
    /// (`to_bytes`), each once, and agrees with its `len`; internal iteration (`sum`,
    /// `fold`) after a few items taken agrees too.
    #[test]
    fn typed_iter_matches_c_order((mem, shape, strides, offset) in layout(),
                                  pattern in prop::collection::vec(any::<bool>(), 0..40),
                                  taken in 0usize..5) {
        let array = NdArray::new(mem, "B", 1, &shape, &strides, offset, false).unwrap();
        let v = MemoryView::new(&array).unwrap();
        let want = v.to_bytes().unwrap();
        let t = v.typed::<u8>().unwrap();
        prop_assert_eq!(t.iter().collect::<Vec<u8>>(), want.clone());
        let (mut front, mut back) = (Vec::new(), Vec::new());
        let mut it = t.iter();
        for &from_front in &pattern {
            prop_assert_eq!(it.len(), want.len() - front.len() - back.len());
            let got = if from_front { it.next().map(|x| front.push(x)) } else { it.next_back().map(|x| back.push(x)) };
            if got.is_none() {
                break;
            }
        }
        front.extend(it);
        back.reverse();
        front.extend(back);
        prop_assert_eq!(front, want.clone());
        let mut it = t.iter();
        let head: Vec<u8> = it.by_ref().take(taken).collect();
        let rest = it.fold(0u64, |acc, x| acc + u64::from(x));
        let expect: u64 = want.iter().skip(head.len()).map(|&x| u64::from(x)).sum();
        prop_assert_eq!(rest, expect);
    }
}

/// A slice with small or absent fields and any nonzero small step.
fn small_slice() -> impl Strategy<Value = Slice> {
    let field = prop::option::of(-5isize..6);
    let step = prop::option::of(prop::sample::select(vec![-3isize, -2, -1, 1, 2, 3]));
    (field.clone(), field, step).prop_map(|(a, b, c)| Slice::new(a, b, c))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 6 } else { 400 }))]

    #[test]
    fn fixed_views_slice_and_read_as_views_do((mem, shape, strides, offset) in layout(),
                                              slices in prop::collection::vec(small_slice(), 3),
                                              value in any::<u8>()) {
        // The same layout through a `FixedView` of its rank and through `MemoryView::view`
        // with the same slices: the same items, in the same order, and writes land alike.
        let nd = NdArray::new(mem, "B", 1, &shape, &strides, offset, false).unwrap();
        let m = MemoryView::new(&nd).unwrap();
        let key: Vec<memview::Index> = slices.iter().take(shape.len()).map(|&s| memview::Index::Slice(s)).collect();
        let general = m.view(key).unwrap();
        let expected = general.typed::<u8>().unwrap().to_vec().unwrap();
        let t = m.typed::<u8>().unwrap();
        let (got, got_shape) = match shape.len() {
            1 => {
                let f = t.fixed::<1>().unwrap().slice([slices[0]]).unwrap();
                (f.to_vec().unwrap(), f.shape().to_vec())
            }
            2 => {
                let f = t.fixed::<2>().unwrap().slice([slices[0], slices[1]]).unwrap();
                (f.to_vec().unwrap(), f.shape().to_vec())
            }
            _ => {
                let f = t.fixed::<3>().unwrap().slice([slices[0], slices[1], slices[2]]).unwrap();
                (f.to_vec().unwrap(), f.shape().to_vec())
            }
        };
        prop_assert_eq!(&got, &expected);
        prop_assert_eq!(got_shape.as_slice(), general.shape());
        // Every item read by index, and the last item written through the fixed view.
        if shape.len() == 2 && !expected.is_empty() {
            let f = t.fixed::<2>().unwrap().slice([slices[0], slices[1]]).unwrap();
            let [r, c] = f.shape();
            for i in 0..r as isize {
                for j in 0..c as isize {
                    prop_assert_eq!(f.get([i, j]).unwrap(), general.get((i, j)).unwrap().as_i64().unwrap() as u8);
                    prop_assert_eq!(f.get([i - r as isize, j]).unwrap(), f.get([i, j]).unwrap());
                }
            }
            prop_assert!(f.get([r as isize, 0]).is_err() && f.get([0, -(c as isize) - 1]).is_err());
            // Rows and columns are the views `g[i, :]` and `g[:, j]`.
            for i in -(r as isize)..r as isize {
                let row = general.view(memview::s![i, ..]).unwrap();
                prop_assert_eq!(f.row(i).unwrap().to_vec().unwrap(), row.typed::<u8>().unwrap().to_vec().unwrap());
            }
            for j in -(c as isize)..c as isize {
                let column = general.view(memview::s![.., j]).unwrap();
                prop_assert_eq!(f.column(j).unwrap().to_vec().unwrap(), column.typed::<u8>().unwrap().to_vec().unwrap());
            }
            prop_assert!(f.row(r as isize).is_err() && f.column(-(c as isize) - 1).is_err());
            // A write through the fixed view is a write of the view's item.
            f.set([-1, -1], value).unwrap();
            prop_assert_eq!(general.get((-1, -1)).unwrap().as_i64().unwrap() as u8, value);
            prop_assert_eq!(m.readonly(), false);
        }
    }
}

#[test]
fn fixed_views_write_where_views_do() {
    let mut data: Vec<u8> = (0..24).collect();
    let m = MemoryView::from_mut(&mut data).cast_shape("B", &[4, 6]).unwrap();
    let t = m.typed::<u8>().unwrap();
    let f = t.fixed::<2>().unwrap().slice([Slice::stepped(.., -1), Slice::stepped(1.., 2)]).unwrap();
    assert_eq!(f.shape(), [4, 3]);
    f.set([0, 0], 200).unwrap();
    f.set([-1, -1], 201).unwrap();
    assert!(f.set([4, 0], 1).is_err());
    drop(m);
    assert_eq!((data[19], data[5]), (200, 201));
    let ro = MemoryView::from_bytes(&data);
    assert!(ro.typed::<u8>().unwrap().fixed::<1>().unwrap().set([0], 1).is_err());
}
