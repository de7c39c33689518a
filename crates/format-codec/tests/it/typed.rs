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
