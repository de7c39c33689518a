//! The unsafe access paths on small layouts, so Miri checks each of them: typed loads over
//! strided runs, pointer-following (PIL) reads and writes, in-place byte views.

use memview::{Index, Key, MemoryView, NdArray, Slice, Value};

#[test]
fn typed_sums_and_iteration_over_strided_views() {
    let data: Vec<f64> = (0..30).map(f64::from).collect();
    let m = MemoryView::new(&data).unwrap().cast("B").unwrap().cast_shape("d", &[5, 6]).unwrap();
    let key =
        Key::tuple([Index::Slice(Slice::new(None, None, Some(-2))), Index::Slice(Slice::new(Some(1), None, Some(3)))]);
    let v = m.view(&key).unwrap();
    let t = v.typed::<f64>().unwrap();
    // Rows 4, 2, 0; columns 1, 4.
    let want: Vec<f64> = [4.0, 2.0, 0.0].iter().flat_map(|r| [r * 6.0 + 1.0, r * 6.0 + 4.0]).collect();
    assert_eq!(t.to_vec().unwrap(), want);
    assert_eq!(t.sum(), want.iter().sum::<f64>());
    let long: Vec<i32> = (0..11).collect();
    let lv = MemoryView::new(&long).unwrap();
    assert_eq!(lv.typed::<i32>().unwrap().sum(), 55, "runs longer than the unroll width");
}

#[test]
fn indirect_layouts_read_and_write_through_pointers() {
    let nd = NdArray::new((0..12).collect(), "B", 1, &[3, 4], &[-4, 1], 8, false).unwrap().into_pil().unwrap();
    {
        let m = MemoryView::new(&nd).unwrap();
        assert_eq!(m.get([0, 0]).unwrap(), Value::Int(8));
        m.set([1, 2], 99).unwrap();
        let rows = m.slice(Slice::new(Some(1), None, None)).unwrap();
        assert_eq!(rows.to_bytes().unwrap(), [4, 5, 99, 7, 0, 1, 2, 3]);
        assert_eq!(m.to_list().unwrap().to_string(), "[[8, 9, 10, 11], [4, 5, 99, 7], [0, 1, 2, 3]]");
        // A pointer dimension cannot move: stepping the pointer table by a row's stride
        // would read pointers from nowhere.
        assert!(m.transpose().is_err());
        assert!(m.permute(&[1, 0]).is_err());
        let copy = MemoryView::from_vec(vec![1; 12]).cast_shape("B", &[3, 4]).unwrap();
        m.assign(Key::ellipsis(), &copy).unwrap();
    }
    assert_eq!(nd.memory(), vec![1; 12]);
}

#[test]
fn in_place_bytes_for_contiguous_views() {
    let data: Vec<u8> = (0..16).collect();
    let m = MemoryView::new(&data).unwrap();
    let tail = m.slice(Slice::new(Some(8), None, None)).unwrap();
    assert_eq!(tail.hex().unwrap(), "08090a0b0c0d0e0f");
    let mut s = String::new();
    tail.hex_into(&mut s, Some(':'), 4).unwrap();
    assert_eq!(s, "08090a0b:0c0d0e0f");
    assert_eq!(tail, MemoryView::new(&data[8..]).unwrap());
    assert_eq!(tail.try_hash().unwrap(), MemoryView::from_bytes(&data[8..]).try_hash().unwrap());
}

#[test]
fn equality_across_byte_orders_and_widths() {
    use memview::NdArray;
    let vals = [1.5f64, -0.0, 3.25];
    let le: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
    let be: Vec<u8> = vals.iter().flat_map(|v| v.to_be_bytes()).collect();
    let a = NdArray::builder(le, "<d").build().unwrap();
    let b = NdArray::builder(be.clone(), ">d").build().unwrap();
    let c = NdArray::builder(be, "!d").build().unwrap();
    let (ma, mb, mc) = (MemoryView::new(&a).unwrap(), MemoryView::new(&b).unwrap(), MemoryView::new(&c).unwrap());
    assert!(ma == mb && mb == mc);
    let native = MemoryView::new(&vals[..]).unwrap();
    assert!(native == mb);
    // Standard `l` is 4 bytes, native `l` is the platform's long.
    let ints = NdArray::builder(vec![0, 0, 0, 7, 0, 0, 0, 9], ">l").build().unwrap();
    let mi = MemoryView::new(&ints).unwrap();
    assert_eq!(mi.to_list().unwrap().to_string(), "[7, 9]");
    assert!(mi == MemoryView::new(&[7i64, 9][..]).unwrap());
    assert!(mi != MemoryView::new(&[7i64, 8][..]).unwrap());
    // NaN is unequal to itself in any byte order.
    let nan = NdArray::builder(f64::NAN.to_be_bytes().to_vec(), ">d").build().unwrap();
    let mn = MemoryView::new(&nan).unwrap();
    assert!(mn != mn.clone());
}

#[test]
fn iteration_yields_items_of_1d_and_rows_of_nd_from_both_ends() {
    use memview::{s, Subscript};
    let data: Vec<u8> = (0..12).collect();
    let m = MemoryView::new(&data).unwrap();
    let odd = m.view(s![1..;2]).unwrap();
    let items: Vec<Value> = odd.iter().unwrap().map(|x| x.unwrap().into_value().unwrap()).collect();
    assert_eq!(items, odd.values().unwrap().collect::<Result<Vec<_>, _>>().unwrap());
    let back: Vec<Value> = odd.iter().unwrap().rev().map(|x| x.unwrap().into_value().unwrap()).collect();
    assert_eq!(back.first(), Some(&Value::Int(11)));
    assert_eq!(odd.iter().unwrap().len(), 6);
    let grid = m.cast_shape("B", &[3, 4]).unwrap();
    let rows: Vec<Vec<u8>> = grid
        .iter()
        .unwrap()
        .rev()
        .map(|r| match r.unwrap() {
            Subscript::View(v) => v.to_bytes().unwrap(),
            Subscript::Item(_) => panic!("rows of a 2-D view are views"),
        })
        .collect();
    assert_eq!(rows, [vec![8, 9, 10, 11], vec![4, 5, 6, 7], vec![0, 1, 2, 3]]);
    let scalar = m.view(s![3..4]).unwrap().cast_shape("B", &[]).unwrap();
    assert!(scalar.iter().is_err());
}

#[test]
fn typed_internal_iteration_visits_what_next_visits() {
    // Views of every shape the run walk distinguishes: 0-D, 1-D, strided, negative strides,
    // transposed, empty, and iterators partly consumed from either end.
    let data: Vec<i32> = (0..60).collect();
    let base = MemoryView::new(&data).unwrap().cast("B").unwrap();
    let grid = base.cast_shape("i", &[3, 4, 5]).unwrap();
    let keys = [
        Key::tuple::<Index>([]),
        Key::tuple([Index::Slice(Slice::new(None, None, Some(-1)))]),
        Key::tuple([Index::Slice(Slice::full()), Index::Slice(Slice::new(None, None, Some(2))), Index::At(1)]),
        Key::tuple([Index::Slice(Slice::new(Some(1), Some(1), None))]),
    ];
    let mut views: Vec<MemoryView<'_>> = keys.iter().map(|k| grid.view(k).unwrap()).collect();
    views.push(grid.transpose().unwrap());
    let one = MemoryView::new(&data[7..8]).unwrap().cast("B").unwrap();
    views.push(one.cast_shape("i", &[]).unwrap());
    views.push(
        grid.permute(&[1, 0, 2]).unwrap().view(Key::tuple([Index::Slice(Slice::new(None, None, Some(-2)))])).unwrap(),
    );
    for v in &views {
        let t = v.typed::<i32>().unwrap();
        let by_next: Vec<i32> = {
            let mut it = t.iter();
            std::iter::from_fn(|| it.next()).collect()
        };
        let by_fold = t.iter().fold(Vec::new(), |mut acc, x| {
            acc.push(x);
            acc
        });
        assert_eq!(by_fold, by_next, "{v:?}");
        assert_eq!(t.iter().map(i64::from).sum::<i64>(), by_next.iter().map(|&x| i64::from(x)).sum::<i64>());
        // Partly consumed: the rest, from the general path.
        let mut it = t.iter();
        let (first, last) = (it.next(), it.next_back());
        let rest: Vec<i32> = it.fold(Vec::new(), |mut acc, x| {
            acc.push(x);
            acc
        });
        if by_next.len() >= 2 {
            assert_eq!((first, last), (by_next.first().copied(), by_next.last().copied()));
            assert_eq!(rest, by_next[1..by_next.len() - 1]);
        }
    }
}

#[test]
fn lists_of_every_native_code_are_their_items() {
    // 48 bytes: a whole number of items of every native size, with high bits set.
    let bytes: Vec<u8> = (0..48u8).map(|b| b.wrapping_mul(37) ^ 0x80).collect();
    let m = memview::MemoryView::from_bytes(&bytes);
    for code in ["c", "b", "B", "?", "h", "H", "i", "I", "l", "L", "q", "Q", "n", "N", "P", "f", "d", "@d", "@B"] {
        let v = m.cast(code).unwrap();
        let each: Vec<memview::Value> = (0..v.len() as isize).map(|i| v.get(i).unwrap()).collect();
        assert_eq!(v.to_list().unwrap(), memview::Value::List(each.into()), "{code}");
        // Strided: every other item, gathered first.
        let odd = v.view(memview::s![1..;2]).unwrap();
        let each: Vec<memview::Value> = (0..odd.len() as isize).map(|i| odd.get(i).unwrap()).collect();
        assert_eq!(odd.to_list().unwrap(), memview::Value::List(each.into()), "{code}[1::2]");
    }
}
