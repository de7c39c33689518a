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
