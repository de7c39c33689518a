//! Parallel work on one view (the `rayon` feature): every `par_` method agrees with its
//! serial counterpart over strided, negative, transposed, broadcast, 0-D and empty views,
//! writes stay inside the view, and the cases the parallel rules exclude (broadcast
//! destinations, overlapping copies, read-only views) fall back or refuse as documented.
#![cfg(feature = "rayon")]

use memview::{s, Key, MemoryView, StridedLayout, ViewError};

/// Items per test view: large enough to be split (64 KiB and up), smaller under Miri, where
/// the parallel threshold is lower.
const N: usize = if cfg!(miri) { 24 * 24 } else { 300 * 300 };
/// A longer 1-D view.
const LONG: usize = if cfg!(miri) { 2_000 } else { 100_000 };

/// Views of one `f64` buffer of `n` items laid out in several ways, each with a name.
fn layouts(n: usize) -> Vec<(&'static str, StridedLayout)> {
    let side = (n as f64).sqrt() as usize;
    vec![
        ("contiguous", StridedLayout::contiguous(8, &[n]).unwrap()),
        ("every other", StridedLayout::new(8, &[n / 2], &[16], 8).unwrap()),
        ("reversed", StridedLayout::new(8, &[n], &[-8], 8 * (n as isize - 1)).unwrap()),
        ("2-D", StridedLayout::contiguous(8, &[side, side]).unwrap()),
        ("transposed", StridedLayout::new(8, &[side, side], &[8, 8 * side as isize], 0).unwrap()),
        ("columns", StridedLayout::new(8, &[side, side / 3], &[8 * side as isize, 24], 16).unwrap()),
        ("3-D short first", StridedLayout::contiguous(8, &[2, side / 2, side]).unwrap()),
        ("broadcast", StridedLayout::new(8, &[side * 3, side], &[0, 8], 0).unwrap()),
        ("0-D", StridedLayout::new(8, &[], &[], 40).unwrap()),
        ("empty", StridedLayout::new(8, &[0, 5], &[40, 8], 0).unwrap()),
    ]
}

#[test]
fn reads_agree_with_the_serial_methods() {
    let n = N;
    let data: Vec<f64> = (0..n).map(|i| (i % 1013) as f64 - 500.0).collect();
    let ints: Vec<i32> = (0..n as i32).map(|i| i.wrapping_mul(2654435761u32 as i32)).collect();
    let base = MemoryView::new(&data).unwrap().cast("B").unwrap();
    let int_base = MemoryView::new(&ints).unwrap().cast("B").unwrap();
    for (name, layout) in layouts(n) {
        let v = base.reinterpret("d", layout.clone()).unwrap();
        let t = v.typed::<f64>().unwrap();
        assert_eq!(t.par_to_vec().unwrap(), t.to_vec().unwrap(), "{name}");
        assert_eq!(v.par_to_bytes().unwrap(), v.to_bytes().unwrap(), "{name}");
        let exact = t.iter().fold(0.0, |a, x| a + x); // small integers: exact in any order
        assert_eq!(t.par_sum(), exact, "{name}");
        assert_eq!(t.par_fold(|| f64::MIN, f64::max, f64::max), t.iter().fold(f64::MIN, f64::max), "{name}");
        let parts = t.par_map_parts(|p| (p.start(), p.len(), p.iter().collect::<Vec<_>>()));
        let mut next = 0;
        let mut joined = vec![];
        for (start, len, items) in parts {
            assert_eq!((start, items.len()), (next, len), "{name}: parts consecutive in C order");
            next += len;
            joined.extend(items);
        }
        assert_eq!(joined, t.to_vec().unwrap(), "{name}");
        let iv = int_base.reinterpret("i", layout.with_itemsize(4)).unwrap();
        let it = iv.typed::<i32>().unwrap();
        assert_eq!(it.par_sum(), it.sum(), "{name}: integer sums wrap alike");
    }
}

/// The layout with another item size (strides and offset scaled alike).
trait WithItemsize {
    fn with_itemsize(&self, size: usize) -> StridedLayout;
}

impl WithItemsize for StridedLayout {
    fn with_itemsize(&self, size: usize) -> StridedLayout {
        let scale = |x: isize| x / self.itemsize() as isize * size as isize;
        let strides: Vec<isize> = self.strides().iter().map(|&s| scale(s)).collect();
        StridedLayout::new(size, self.shape(), &strides, scale(self.offset())).unwrap()
    }
}

#[test]
fn writes_agree_with_the_serial_methods_and_stay_inside_the_view() {
    let n = N;
    for (name, layout) in layouts(n) {
        let start: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let (mut serial, mut parallel) = (start.clone(), start.clone());
        for (data, par) in [(&mut serial, false), (&mut parallel, true)] {
            let v = MemoryView::from_mut_slice(data).cast("B").unwrap().reinterpret("d", layout.clone()).unwrap();
            let t = v.typed::<f64>().unwrap();
            if par {
                t.par_map_inplace(|x| x * 3.0 + 1.0).unwrap();
            } else {
                t.map_inplace(|x| x * 3.0 + 1.0).unwrap();
            }
        }
        assert!(serial == parallel, "{name}");
        // Position-dependent writes through parts: each item its C-order position.
        let mut data = start.clone();
        let v = MemoryView::from_mut_slice(&mut data).cast("B").unwrap().reinterpret("d", layout.clone()).unwrap();
        let t = v.typed::<f64>().unwrap();
        let r = t.par_for_each_part_mut(|mut p| {
            let mut k = p.start() as f64;
            p.map_inplace(|_| {
                k += 1.0;
                k - 1.0
            });
        });
        if name == "broadcast" {
            assert!(matches!(r, Err(ViewError::NotImplemented(_))), "{name}: parallel writes to shared items");
            continue;
        }
        r.unwrap();
        let expected: Vec<f64> = (0..t.len()).map(|i| i as f64).collect();
        assert_eq!(t.to_vec().unwrap(), expected, "{name}");
        drop(v);
        // Bytes outside the view are untouched.
        let mut zeros = vec![0.0f64; n];
        let inside = MemoryView::from_mut_slice(&mut zeros).cast("B").unwrap();
        let marker = inside.reinterpret("d", layout.clone()).unwrap();
        marker.fill(1.0).unwrap();
        let mask = inside.cast("d").unwrap().typed::<f64>().unwrap().to_vec().unwrap();
        for (i, (&m, (&now, &before))) in mask.iter().zip(data.iter().zip(&start)).enumerate() {
            if m == 0.0 {
                assert_eq!(now, before, "{name}: item {i} outside the view was written");
            }
        }
    }
}

#[test]
fn copies_agree_with_assign() {
    let n = N;
    let src: Vec<f64> = (0..n).map(|i| -(i as f64)).collect();
    for (name, layout) in layouts(n) {
        if name == "broadcast" {
            continue;
        }
        let source_layout = StridedLayout::contiguous(8, layout.shape()).unwrap();
        let source = MemoryView::new(&src).unwrap().cast("B").unwrap().reinterpret("d", source_layout).unwrap();
        let (mut a, mut b) = (vec![7.0f64; n], vec![7.0f64; n]);
        for (data, par) in [(&mut a, false), (&mut b, true)] {
            let v = MemoryView::from_mut_slice(data).cast("B").unwrap().reinterpret("d", layout.clone()).unwrap();
            if par {
                v.par_copy_from(&source).unwrap();
            } else {
                v.assign(Key::ellipsis(), &source).unwrap();
            }
        }
        assert!(a == b, "{name}");
    }
}

#[test]
fn overlapping_copies_broadcasts_and_errors_fall_back_or_refuse_as_assign_does() {
    // An overlapping copy (m[1:] = m[:-1]) is done on the calling thread, correctly.
    let mut data: Vec<u32> = (0..LONG as u32).collect();
    let expected: Vec<u32> = std::iter::once(0).chain(0..LONG as u32 - 1).collect();
    let m = MemoryView::from_mut_slice(&mut data);
    m.view(s![1..]).unwrap().par_copy_from(&m.view(s![..-1]).unwrap()).unwrap();
    drop(m);
    assert_eq!(data, expected);
    // Mismatched shapes and formats: assign's errors.
    let mut a = vec![0u32; LONG];
    let b = vec![0u64; LONG];
    let m = MemoryView::from_mut_slice(&mut a);
    assert_eq!(
        m.par_copy_from(&MemoryView::new(&b).unwrap()).unwrap_err().to_string(),
        m.assign(Key::ellipsis(), &MemoryView::new(&b).unwrap()).unwrap_err().to_string()
    );
    assert!(m.par_copy_from(&m.view(s![..10]).unwrap()).is_err());
    // Read-only views refuse writes.
    let ro = MemoryView::new(&b).unwrap();
    assert!(matches!(ro.typed::<u64>().unwrap().par_map_inplace(|x| x + 1), Err(ViewError::ReadOnly)));
    assert!(ro.par_copy_from(&ro).is_err());
    // A broadcast view is mapped on the calling thread, once per visit, as map_inplace does.
    let mut one = [1u16; 8];
    let v = MemoryView::from_mut_slice(&mut one).cast("B").unwrap();
    let b = v.reinterpret("H", StridedLayout::new(2, &[LONG], &[0], 0).unwrap()).unwrap();
    b.typed::<u16>().unwrap().par_map_inplace(|x| x.wrapping_add(1)).unwrap();
    drop((b, v));
    assert_eq!(one[0], 1u16.wrapping_add(LONG as u16));
}

#[test]
fn parts_are_send_and_views_stay_behind() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<memview::Part<'static, f64>>();
    send_sync::<memview::PartMut<'static, f64>>();
}
