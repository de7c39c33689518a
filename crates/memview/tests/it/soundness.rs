//! Regression tests of the soundness classes of hostile input: every layout a view touches is
//! proven against its acquisition, lying exporters are refused, and huge sizes are errors.

use memview::{Flags, Index, Key, MemoryView, NdArray, Slice, Value, ViewError};
use strided::StridedLayout;

fn full() -> Index {
    Index::Slice(Slice::full())
}

#[test]
fn a_re_export_without_format_keeps_the_layout_it_was_given() {
    let mut outer = [0u8; 16];
    let (a, b) = outer.split_at_mut(8);
    let m = MemoryView::from_mut(a);
    let rev = m.slice(Slice::new(None, None, Some(-1))).unwrap();
    let w = MemoryView::with_flags(&rev, Flags::STRIDED).unwrap();
    assert_eq!((w.shape(), w.strides()), (&[8][..], &[-1][..]));
    w.set(7, Value::Int(0x41)).unwrap();
    drop(w);
    drop((rev, m));
    assert_eq!(a[0], 0x41, "w[7] is the first byte of `a`, reversed");
    assert_eq!(b, [0; 8], "no byte past `a` was written");
}

#[test]
fn a_re_export_without_format_sees_items_as_bytes() {
    let data = [1u32, 2, 3];
    let v = MemoryView::new(&data[..]).unwrap().slice(Slice::new(None, None, Some(-2))).unwrap();
    let w = MemoryView::with_flags(&v, Flags::STRIDED_RO).unwrap();
    assert_eq!(w.format(), "B");
    assert_eq!((w.shape(), w.strides(), w.itemsize()), (&[2, 4][..], &[-8, 1][..], 1));
    assert_eq!(w.to_bytes().unwrap(), v.to_bytes().unwrap());
    // Without ND a layout must be C-contiguous; then it is its bytes.
    assert!(MemoryView::with_flags(&v, Flags::SIMPLE).is_err());
    let c = MemoryView::new(&data[..]).unwrap();
    let s = MemoryView::with_flags(&c, Flags::SIMPLE).unwrap();
    assert_eq!((s.shape(), s.format()), (&[12][..], "B"));
}

#[test]
fn reversed_and_stride_zero_exporters_stay_in_their_block() {
    let nd = NdArray::new(vec![1, 2, 3, 4], "B", 1, &[4], &[-1], 3, false).unwrap();
    let w = MemoryView::with_flags(&nd, Flags::STRIDED).unwrap();
    assert_eq!(w.to_bytes().unwrap(), [4, 3, 2, 1]);
    w.set(0, Value::Int(9)).unwrap();
    drop(w);
    assert_eq!(nd.memory(), [1, 2, 3, 9]);

    let zero = NdArray::new(vec![7], "B", 1, &[4096], &[0], 0, false).unwrap();
    let w = MemoryView::with_flags(&zero, Flags::STRIDED).unwrap();
    assert_eq!(w.len(), 4096);
    assert!(w.to_bytes().unwrap().iter().all(|&b| b == 7));
    assert!(MemoryView::with_flags(&zero, Flags::SIMPLE).is_err(), "not C-contiguous");
}

fn pil() -> NdArray {
    NdArray::new((0..32).collect(), "B", 1, &[2, 2, 8], &[16, -8, 1], 8, false).unwrap().into_pil().unwrap()
}

#[test]
fn indirect_without_format_never_shows_the_pointer_table() {
    let nd = pil();
    let logical = MemoryView::new(&nd).unwrap().to_bytes().unwrap();
    let w = MemoryView::with_flags(&nd, Flags::INDIRECT | Flags::WRITABLE).unwrap();
    assert_eq!(w.suboffsets(), vec![0, -1, -1]);
    assert_eq!(w.to_bytes().unwrap(), logical, "items, not pointers");
    // Neither a cast nor a reshape may reinterpret the pointer table as bytes.
    assert!(w.cast("B").is_err());
    assert!(w.reshape(&[32]).is_err());
    w.fill(Value::Int(0x41)).unwrap();
    assert!(MemoryView::new(&nd).unwrap().to_bytes().unwrap().iter().all(|&b| b == 0x41));
}

#[test]
fn slicing_never_moves_a_suboffset_below_zero() {
    let nd = pil();
    let v = MemoryView::new(&nd).unwrap();
    let key = Key::tuple([full(), Index::Slice(Slice::new(Some(1), None, None)), full()]);
    let err = v.view(&key).unwrap_err();
    assert_eq!(err.python_exception(), format_codec::PyExc::NotImplementedError);
    // A slice that moves the suboffset forward is a plain selection.
    let fwd = Key::tuple([full(), full(), Index::Slice(Slice::new(Some(2), None, None))]);
    let w = v.view(&fwd).unwrap();
    assert_eq!(w.suboffsets(), vec![2, -1, -1]);
    assert_eq!(w.get([0, 0, 0]).unwrap(), v.get([0, 0, 2]).unwrap());
    // Sub-views, new axes and permutations of the direct dimensions keep the pointers.
    // (Row 1 of dimension 1 lies *before* each pointer: no suboffset can say so.)
    assert!(v.view(Key::tuple([full(), Index::At(1)])).is_err());
    let sub = v.view(Key::tuple([full(), Index::At(0), Index::NewAxis])).unwrap();
    assert_eq!(sub.shape(), vec![2, 1, 8]);
    for i in 0..2 {
        for j in 0..8 {
            assert_eq!(sub.get([i, 0, j]).unwrap(), v.get([i, 0, j]).unwrap());
        }
    }
    assert!(v.view(Key::tuple([Index::At(0)])).is_err(), "the pointer dimension cannot be indexed away");
    let t = v.permute(&[0, 2, 1]).unwrap();
    assert_eq!(t.get([1, 3, 0]).unwrap(), v.get([1, 0, 3]).unwrap());
    assert!(v.transpose().is_err(), "the pointer dimension stays first");
}

#[test]
fn a_format_of_another_size_than_the_items_is_never_read_as_that_format() {
    // A lying exporter, or a packed NumPy record described with aligned codes: the view
    // exists (the builtin's does), its bytes are there, but no item is decoded with a format
    // of another size: item access is NotImplementedError, typed access is refused.
    for (format, itemsize) in [("d", 1), ("i", 8), ("<q", 4), ("T{i:a:}", 8), ("3B", 2), ("T{f:f0:b:f1:}", 5)] {
        let nd = NdArray::new(vec![7; 64], format, itemsize, &[4], &[itemsize as isize], 0, false).unwrap();
        let v = MemoryView::new(&nd).unwrap();
        let err = v.get([0]).unwrap_err();
        assert_eq!(err.python_exception(), format_codec::PyExc::NotImplementedError, "{format}/{itemsize}");
        assert!(v.to_list().is_err(), "{format} with itemsize {itemsize}");
        assert_eq!(v.to_bytes().unwrap(), vec![7; 4 * itemsize]);
        assert!(v.typed::<f64>().is_err() && v.typed::<i32>().is_err() && v.typed::<u8>().is_err());
        assert_ne!(v, v, "{format}: a format that cannot be unpacked compares unequal, as CPython's");
    }
    // A format nobody reads has no size to check; its items stay bytes.
    let nd = NdArray::new(vec![5; 8], "&z", 2, &[4], &[2], 0, true).unwrap();
    let v = MemoryView::new(&nd).unwrap();
    assert!(v.get([0]).is_err());
    assert_eq!(v.to_bytes().unwrap(), [5; 8]);
}

#[test]
#[cfg_attr(miri, ignore = "slow under Miri; no unsafe beyond the typed loads other tests cover")]
fn integer_sums_widen_and_wrap_as_numpy_does() {
    let bytes = [255u8; 1000];
    assert_eq!(MemoryView::new(&bytes[..]).unwrap().typed::<u8>().unwrap().sum(), 255_000u64);
    let big = [i64::MAX, 1];
    assert_eq!(MemoryView::new(&big[..]).unwrap().typed::<i64>().unwrap().sum(), i64::MIN);
}

#[test]
#[cfg_attr(miri, ignore = "Miri models a 2^62-byte allocation instead of failing it")]
fn huge_copies_are_memory_errors() {
    let zero = NdArray::new(vec![1], "B", 1, &[1 << 62], &[0], 0, false).unwrap();
    let v = MemoryView::new(&zero).unwrap();
    for result in [v.to_bytes().map(|_| ()), v.to_list().map(|_| ()), v.hex().map(|_| ())] {
        let err = result.unwrap_err();
        assert!(matches!(err, ViewError::NoMemory(_)), "{err:?}");
        assert_eq!(err.python_exception(), format_codec::PyExc::MemoryError);
    }
    assert_eq!(v.get([(1isize << 62) - 1]).unwrap(), Value::Int(1));
    let err = v.typed::<u8>().unwrap().to_vec().unwrap_err();
    assert_eq!(err.python_exception(), format_codec::PyExc::MemoryError);
}

#[test]
fn layouts_at_the_edge_of_isize_iterate_without_overflow() {
    let l = StridedLayout::new(1, &[2, 2], &[1 << 62, 1], 0).unwrap();
    let mut seen = vec![];
    strided::for_each_offset(&l, strided::Order::C, |o| seen.push(o)).unwrap();
    assert_eq!(seen, [0, 1, 1 << 62, (1 << 62) + 1]);
    let mut runs = 0;
    strided::for_each_run(&l, strided::Order::F, |_, _, _| runs += 1).unwrap();
    assert_eq!(runs, 2);
    let one = StridedLayout::new(1, &[2], &[1 << 62], 0).unwrap();
    assert_eq!(one.reshape(&[2, 1]).unwrap().strides()[0], 1 << 62);
    assert_eq!(one.reshape(&[1, 2]).unwrap().shape(), &[1, 2]);
}

#[test]
fn an_index_is_checked_before_the_value() {
    let mut data = [0i32; 6];
    let v = MemoryView::from_mut_slice(&mut data);
    let err = v.set(6, Value::Bytes(b"a".to_vec().into())).unwrap_err();
    assert_eq!(err.python_exception(), format_codec::PyExc::IndexError);
}

#[test]
fn two_slices_on_one_dimension_are_not_implemented() {
    let mut data = [0u8; 4];
    let v = MemoryView::from_mut(&mut data);
    let key = Key::tuple([full(), full()]);
    assert_eq!(v.set(key, Value::Int(1)).unwrap_err().python_exception(), format_codec::PyExc::NotImplementedError);
}

#[test]
fn equal_views_hash_equally_whatever_their_formats() {
    use std::hash::{BuildHasher, RandomState};
    let h = RandomState::new();
    let le = NdArray::new(vec![1, 0, 0, 0, 2, 0, 0, 0], "<i", 4, &[2], &[4], 0, true).unwrap();
    let native = [1i32, 2];
    let q = [1i64, 2];
    let views =
        [MemoryView::new(&le).unwrap(), MemoryView::new(&native[..]).unwrap(), MemoryView::new(&q[..]).unwrap()];
    for a in &views {
        for b in &views {
            assert!(a == b);
            assert_eq!(h.hash_one(a), h.hash_one(b));
        }
    }
    let pad = NdArray::new(vec![0; 3], "x", 1, &[3], &[1], 0, true).unwrap();
    let other = NdArray::new(vec![9; 3], "x", 1, &[3], &[1], 0, true).unwrap();
    let (p, o) = (MemoryView::new(&pad).unwrap(), MemoryView::new(&other).unwrap());
    assert!(p == o, "pad bytes hold no value");
    assert_eq!(h.hash_one(&p), h.hash_one(&o));
}
