//! Property tests: `unpack(pack(v)) == v` and `calcsize == len(pack(v))` over random formats
//! and values, and no panic on any format string or input bytes.

use format_codec::{Format, Layout, Struct, Value};
use proptest::prelude::*;

/// A random struct format with matching values.
fn format_and_values() -> impl Strategy<Value = (String, Vec<Value>)> {
    let item = (0usize..4, prop::sample::select(b"xcbB?hHiIlLqQnNefdspP".to_vec()), any::<u64>(), any::<bool>());
    (prop::sample::select(vec!["", "@", "=", "<", ">", "!"]), prop::collection::vec(item, 0..8)).prop_map(
        |(prefix, items)| {
            let native = prefix.is_empty() || prefix == "@";
            let mut fmt = prefix.to_string();
            let mut values = Vec::new();
            for (count, code, seed, sign) in items {
                let code = if !native && b"nNP".contains(&code) { b'q' } else { code };
                fmt.push_str(&count.to_string());
                fmt.push(char::from(code));
                let reps = if matches!(code, b's' | b'p') { 1 } else { count };
                let reps = if code == b'x' { 0 } else { reps };
                for k in 0..reps {
                    let seed = seed.wrapping_mul(k as u64 + 1);
                    values.push(value_for(code, count, seed, sign, native));
                }
            }
            (fmt, values)
        },
    )
}

fn value_for(code: u8, count: usize, seed: u64, sign: bool, native: bool) -> Value {
    let bits = |n: u32| -> i128 {
        let v = i128::from(seed % (1u64 << (n - 1)));
        if sign {
            -v
        } else {
            v
        }
    };
    let ubits = |n: u32| -> i128 { i128::from(if n == 64 { seed } else { seed % (1u64 << n) }) };
    match code {
        b'c' => Value::Bytes(vec![seed as u8].into()),
        b'?' => Value::Bool(sign),
        b'b' => Value::from(bits(8)),
        b'B' => Value::from(ubits(8)),
        b'h' => Value::from(bits(16)),
        b'H' => Value::from(ubits(16)),
        b'i' => Value::from(bits(32)),
        b'I' => Value::from(ubits(32)),
        b'l' => Value::from(bits(if native { 64 } else { 32 })),
        b'L' => Value::from(ubits(if native { 64 } else { 32 })),
        b'q' | b'n' => Value::from(bits(64)),
        b'Q' | b'N' | b'P' => Value::from(ubits(64)),
        // Values exactly representable in the code's precision.
        b'e' => Value::Float(f64::from((seed % 2048) as u32) * if sign { -0.5 } else { 0.25 }),
        b'f' => Value::Float(f64::from(seed as u16) / 8.0),
        b'd' => Value::Float(f64::from_bits(seed & 0x7fef_ffff_ffff_ffff)),
        b's' => Value::Bytes((0..count).map(|i| (seed >> (i % 8)) as u8).collect::<Vec<_>>().into()),
        _ => Value::Bytes(
            (0..count.saturating_sub(1).min(255)).map(|i| (seed >> (i % 8)) as u8).collect::<Vec<_>>().into(),
        ),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn pack_unpack_round_trip((fmt, values) in format_and_values()) {
        let s = Struct::new(&fmt).unwrap();
        let bytes = s.pack(&values).unwrap();
        prop_assert_eq!(bytes.len(), s.size());
        prop_assert_eq!(s.unpack(&bytes).unwrap(), values);
    }

    #[test]
    fn no_format_string_panics(fmt in "[@=<>!^ \\t0-9xcbB?hHiIlLqQnNefdspPTZ{}():a-z&gOuw,]{0,24}") {
        let _ = Struct::new(&fmt);
        let _ = Layout::parse(&fmt);
        if let Ok(f) = Format::parse(&fmt) {
            let bytes = vec![0xa5u8; f.itemsize().min(1 << 16)];
            if bytes.len() == f.itemsize() {
                if let Ok(v) = f.unpack_item(&bytes) {
                    let mut out = vec![0u8; f.itemsize()];
                    let _ = f.pack_item(&v, &mut out);
                }
            }
        }
    }

    #[test]
    fn any_bytes_unpack_without_panic(fmt in "[<>]?[bBhHiIqQefd?c]{1,6}", data in prop::collection::vec(any::<u8>(), 0..64)) {
        let s = Struct::new(&fmt).unwrap();
        let _ = s.unpack(&data);
        let _ = s.unpack_from(&data, -3);
        if s.size() > 0 {
            let _ = s.iter_unpack(&data).map(|it| it.count());
        }
    }
}

/// Random PEP 3118 layouts: structs of scalars, nested structs and sub-arrays.
fn pep_layout() -> impl Strategy<Value = String> {
    let leaf = (
        prop::sample::select(vec!["b", "B", "h", "i", "q", "e", "f", "d", "?", "Zf", "Zd", "3s"]),
        prop::sample::select(vec!["", "<", ">", "@", "=", "^"]),
        prop::option::of((1usize..3, 1usize..3)),
    )
        .prop_map(|(code, order, shape)| {
            let shape = shape.map(|(a, b)| format!("({a},{b})")).unwrap_or_default();
            format!("{shape}{order}{code}")
        });
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop::collection::vec(inner, 1..4).prop_map(|items| format!("T{{{}}}", items.join("")))
    })
    .prop_map(|s| if s.starts_with('T') { s } else { format!("T{{{s}}}") })
}

fn value_for_layout(l: &Layout, seed: &mut u64) -> Value {
    fn next(seed: &mut u64) -> u64 {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        *seed >> 33
    }
    fn elem(l: &Layout, seed: &mut u64) -> Value {
        use format_codec::{Element, Scalar};
        match l.element() {
            Element::Struct(fields) => {
                Value::List(fields.iter().map(|f| value_for_layout(&f.layout, seed)).collect::<Vec<_>>().into())
            }
            Element::Bytes(n) => Value::Bytes((0..*n).map(|_| (next(seed) % 255 + 1) as u8).collect::<Vec<_>>().into()),
            Element::Scalar { scalar, .. } => match scalar {
                Scalar::Int { size, signed } => {
                    let v = i128::from(next(seed) % (1 << (8 * u32::from(*size)).min(31)));
                    Value::from(if *signed { v - (1 << (8 * u32::from(*size) - 1).min(30)) } else { v })
                }
                Scalar::Bool => Value::Bool(next(seed) % 2 == 1),
                Scalar::Half | Scalar::Float | Scalar::Double => Value::Float((next(seed) % 1000) as f64 / 4.0),
                Scalar::ComplexFloat | Scalar::ComplexDouble => {
                    Value::complex((next(seed) % 100) as f64, -((next(seed) % 100) as f64))
                }
                _ => Value::Int(0),
            },
        }
    }
    fn dims(l: &Layout, d: usize, seed: &mut u64) -> Value {
        if d == l.shape().len() {
            return elem(l, seed);
        }
        Value::List((0..l.shape()[d]).map(|_| dims(l, d + 1, seed)).collect::<Vec<_>>().into())
    }
    dims(l, 0, seed)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn pep3118_round_trip(fmt in pep_layout(), seed in any::<u64>()) {
        let l = Layout::parse(&fmt).unwrap();
        let mut s = seed;
        let v = value_for_layout(&l, &mut s);
        let bytes = l.pack(&v).unwrap();
        prop_assert_eq!(bytes.len(), l.itemsize());
        prop_assert_eq!(l.unpack(&bytes).unwrap(), v);
    }
}

/// The long fuzz run of the issue: `FUZZ_CASES=2000000 cargo test -p format-codec --release fuzz`
/// (a few minutes on 2 cores); in the normal test run it does a short pass.
#[test]
fn fuzz_parser_and_round_trip() {
    let cases: u32 = std::env::var("FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(3000);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(cases));
    let strategy =
        ("[@=<>!^ 0-9xcbB?hHiIlLqQnNefdspPTZ{}():,a-z&Ouwg]{0,40}", prop::collection::vec(any::<u8>(), 0..96));
    runner
        .run(&strategy, |(fmt, data)| {
            for f in [Format::parse(&fmt).ok(), Layout::parse(&fmt).ok().map(Format::Pep3118)].into_iter().flatten() {
                if f.itemsize() <= data.len() {
                    if let Ok(v) = f.unpack_item(&data[..f.itemsize()]) {
                        let mut out = vec![0u8; f.itemsize()];
                        let _ = f.pack_item(&v, &mut out);
                    }
                }
            }
            Ok(())
        })
        .unwrap();
}
