//! The typed decoding path agrees with the `Value` path.

use format_codec::{Struct, Value};

#[test]
fn typed_and_value_paths_agree() {
    let s = Struct::new("<IhdQ").unwrap();
    let rec = s.pack(&[Value::Int(7), Value::Int(-3), Value::Float(2.5), Value::Int(1 << 40)]).unwrap();
    let t = s.typed::<(u32, i16, f64, u64)>().unwrap();
    assert_eq!(t.decode(&rec).unwrap(), (7, -3, 2.5, 1 << 40));
    let be = Struct::new(">IhdQ").unwrap();
    let rec = be.pack(&[Value::Int(7), Value::Int(-3), Value::Float(2.5), Value::Int(1 << 40)]).unwrap();
    assert_eq!(be.typed::<(u32, i16, f64, u64)>().unwrap().decode(&rec).unwrap(), (7, -3, 2.5, 1 << 40));
}

#[test]
fn typed_refuses_mismatches() {
    let s = Struct::new("<Ih").unwrap();
    assert!(s.typed::<(u32,)>().is_err());
    assert!(s.typed::<(i32, i16)>().is_err());
    let t = s.typed::<(u32, i16)>().unwrap();
    assert!(t.decode(&[0; 5]).is_err());
    assert!(t.iter(&[0; 7]).is_err());
}

#[test]
fn records_iterate_the_same_every_way_in_every_byte_order() {
    for fmt in ["<IhdQ", ">IhdQ", "=IhdQ", "!IhdQ"] {
        let s = Struct::new(fmt).unwrap();
        let mut data = Vec::new();
        for i in 0..50i128 {
            data.extend(
                s.pack(&[Value::from(i), Value::from(-i), Value::Float(i as f64 / 4.0), Value::from(i << 33)]).unwrap(),
            );
        }
        let t = s.typed::<(u32, i16, f64, u64)>().unwrap();
        let stepped: Vec<_> = {
            let mut it = t.iter(&data).unwrap();
            std::iter::from_fn(|| it.next()).collect()
        };
        let folded: Vec<_> = t.iter(&data).unwrap().fold(Vec::new(), |mut v, r| {
            v.push(r);
            v
        });
        assert_eq!(stepped.len(), 50, "{fmt}");
        assert_eq!(stepped, folded, "{fmt}");
        assert_eq!(folded[3], (3, -3, 0.75, 3 << 33), "{fmt}");
        assert_eq!(t.iter(&data).unwrap().next_back(), Some((49, -49, 12.25, 49 << 33)), "{fmt}");
    }
}

#[test]
fn packed_and_padded_layouts_decode_alike() {
    // "<IhdQ" is packed (read with constant offsets and stride); native alignment, padding
    // between fields and padding after the last field are not, and must read the same.
    use format_codec::Record;
    assert_eq!(<(u32, i16, f64, u64)>::PACKED, Some(([0, 4, 6, 14], 22)));
    for fmt in ["<IhdQ", "@IhdQ", "<IhdQ3x", "<I2xhdQ", ">IhdQ5x", "=IhdQ", "!I1xhdQ"] {
        let s = Struct::new(fmt).unwrap();
        let mut data = Vec::new();
        let mut expect = Vec::new();
        for i in 0..37i128 {
            let row = [Value::from(i * 1000), Value::from(-i), Value::Float(i as f64 / 8.0), Value::from(i << 40)];
            data.extend(s.pack(&row).unwrap());
            expect.push(((i * 1000) as u32, -i as i16, i as f64 / 8.0, (i << 40) as u64));
        }
        let t = s.typed::<(u32, i16, f64, u64)>().unwrap();
        assert_eq!(t.size(), s.size(), "{fmt}");
        let folded: Vec<_> = t.iter(&data).unwrap().collect();
        let stepped: Vec<_> = {
            let mut it = t.iter(&data).unwrap();
            std::iter::from_fn(|| it.next()).collect()
        };
        let mut backwards: Vec<_> = {
            let mut it = t.iter(&data).unwrap();
            std::iter::from_fn(|| it.next_back()).collect()
        };
        backwards.reverse();
        assert_eq!(folded, expect, "{fmt}");
        assert_eq!(stepped, expect, "{fmt}");
        assert_eq!(backwards, expect, "{fmt}");
        let sum = t.iter(&data).unwrap().fold(0u64, |acc, (a, ..)| acc + u64::from(a));
        assert_eq!(sum, (0..37).map(|i| i * 1000).sum::<u64>(), "{fmt}");
        let mut it = t.iter(&data).unwrap();
        assert_eq!((it.len(), it.nth(36), it.len(), it.next()), (37, Some(expect[36]), 0, None), "{fmt}");
        for (rec, e) in data.chunks_exact(s.size()).zip(&expect) {
            assert_eq!(t.decode(rec).unwrap(), *e, "{fmt}");
        }
    }
}
