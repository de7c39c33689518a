//! No input panics: random layouts, formats, keys, casts and values, all through the public API.

use memview::{Index, Key, MemoryView, NdArray, Order, Slice, Value};
use proptest::prelude::*;

fn index() -> impl Strategy<Value = Index> {
    prop_oneof![
        (-6isize..6).prop_map(Index::At),
        (prop::option::of(-6isize..6), prop::option::of(-6isize..6), prop::option::of(-3isize..4))
            .prop_map(|(a, b, c)| Index::Slice(Slice::new(a, b, c))),
        Just(Index::Ellipsis),
        Just(Index::NewAxis),
        Just(Index::At(isize::MIN)),
        Just(Index::Slice(Slice::new(Some(isize::MIN), Some(isize::MAX), Some(isize::MIN)))),
    ]
}

fn key() -> impl Strategy<Value = Key> {
    prop_oneof![index().prop_map(Key::one), prop::collection::vec(index(), 0..5).prop_map(Key::tuple)]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::Int),
        any::<u64>().prop_map(Value::from),
        Just(Value::from(i128::MAX)),
        Just(Value::BigInt(Box::new("9".repeat(50)))),
        any::<f64>().prop_map(Value::Float),
        any::<bool>().prop_map(Value::Bool),
        prop::collection::vec(any::<u8>(), 0..4).prop_map(Value::from),
        Just(Value::List(vec![Value::Int(1), Value::Int(2)].into())),
        Just(Value::complex(1.0, 2.0)),
    ]
}

#[derive(Debug, Clone)]
enum Op {
    Get(Key),
    Set(Key, Value),
    Cast(String, Option<Vec<i128>>),
    Readonly,
    Release,
    Transpose,
    Reshape(Vec<usize>),
    Field(String),
}

fn op() -> impl Strategy<Value = Op> {
    let fmt = prop::sample::select(vec!["B", "b", "c", "i", "d", "e", "<i", "2h", "T{i:a:}", "@B", "?", "P", "x", ""]);
    prop_oneof![
        key().prop_map(Op::Get),
        (key(), value()).prop_map(|(k, v)| Op::Set(k, v)),
        (fmt, prop::option::of(prop::collection::vec(-2i128..7, 0..4))).prop_map(|(f, s)| Op::Cast(f.to_string(), s)),
        Just(Op::Readonly),
        Just(Op::Release),
        Just(Op::Transpose),
        prop::collection::vec(0usize..7, 0..3).prop_map(Op::Reshape),
        Just(Op::Field("a".into())),
    ]
}

fn source() -> impl Strategy<Value = (String, Vec<usize>, Vec<isize>, bool)> {
    (
        prop::sample::select(vec!["B", "i", "d", "<h", "2hQ", "T{<h:a:<b:b:}", "?", "c", "e", "3s", "Zd"]),
        prop::collection::vec(0usize..4, 0..3),
        prop::collection::vec(-2isize..3, 3),
        any::<bool>(),
    )
        .prop_map(|(f, shape, mult, pil)| (f.to_string(), shape, mult, pil))
}

fn run(v: MemoryView<'_>, ops: &[Op]) {
    let mut v = v;
    for op in ops {
        let next = match op {
            Op::Get(k) => v.subscript(k).ok().and_then(|s| match s {
                memview::Subscript::View(w) => Some(*w),
                memview::Subscript::Item(_) => None,
            }),
            Op::Set(k, x) => {
                let _ = v.set(k.clone(), x);
                None
            }
            Op::Cast(f, s) => v.cast_to(f, s.as_deref()).ok(),
            Op::Readonly => Some(v.to_readonly()),
            // Releasing consumes the view: nothing more can be done with it.
            Op::Release => return drop(v.release()),
            Op::Transpose => v.transpose().ok(),
            Op::Reshape(s) => v.reshape(s).ok(),
            Op::Field(n) => v.field(n).ok(),
        };
        if let Some(w) = next {
            v = w;
        }
        let _ = (v.to_list(), v.to_bytes_in(Order::F), v.hex_with(Some('-'), -2), v.get([0, 0]));
        let same = v.clone();
        let _ = (v.c_contiguous(), v.len(), v.try_hash(), v == same);
    }
}

proptest! {
    // `ROBUSTNESS_CASES=200000 cargo test -p memoryview --release --test it robustness` for a long run.
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) {
        4
    } else {
        std::env::var("ROBUSTNESS_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(1500)
    }))]

    #[test]
    fn nothing_panics((fmt, shape, mult, pil) in source(), ops in prop::collection::vec(op(), 0..6)) {
        let itemsize = format_codec::Format::parse(&fmt).map(|f| f.itemsize()).unwrap_or(1).max(1);
        // Strides: multiples of the item size, some negative or zero; the offset keeps the
        // layout inside the memory.
        let strides: Vec<isize> = shape.iter().zip(&mult).map(|(_, m)| m * itemsize as isize).collect();
        let low: isize = shape.iter().zip(&strides).map(|(&n, &s)| if s < 0 && n > 0 { (n as isize - 1) * s } else { 0 }).sum();
        let high: isize = shape.iter().zip(&strides).map(|(&n, &s)| if s > 0 && n > 0 { (n as isize - 1) * s } else { 0 }).sum();
        let len = (high - low) as usize + itemsize;
        let mem: Vec<u8> = (0..len).map(|i| (i * 29) as u8).collect();
        let Ok(nd) = NdArray::new(mem, &fmt, itemsize, &shape, &strides, -low, false) else { return Ok(()) };
        let nd = if pil && strides.iter().skip(1).all(|&s| s >= 0) { nd.into_pil().unwrap_or_else(|_| NdArray::new(vec![0], "B", 1, &[1], &[1], 0, false).unwrap()) } else { nd };
        let view = MemoryView::new(&nd);
        if let Ok(v) = view {
            run(v, &ops);
        }
    }
}
