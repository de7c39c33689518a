//! `Layout::to_format` spells a layout so that parsing it again gives the same layout, byte
//! orders on padding and before `}` included (they decide a struct's rounding).

use format_codec::{Layout, Value};
use proptest::prelude::*;

fn item(depth: u32) -> BoxedStrategy<String> {
    let prefix = prop::sample::select(vec!["", "", "@", "=", "<", ">", "!", "^"]);
    let code =
        prop::sample::select(vec!["b", "B", "h", "i", "l", "q", "d", "f", "e", "?", "c", "3s", "2x", "x", "Zd", "0x"]);
    let dims = prop::sample::select(vec!["", "", "(2)", "(2,3)", "(0)"]);
    let leaf = (dims.clone(), prefix.clone(), code).prop_map(|(d, p, c)| format!("{d}{p}{c}"));
    if depth == 0 {
        return leaf.boxed();
    }
    let nested = (dims, prefix.clone(), prop::collection::vec(item(depth - 1), 0..4), prefix)
        .prop_map(|(d, p, items, tail)| format!("{d}{p}T{{{}{tail}0x}}", items.join("")));
    prop_oneof![3 => leaf, 1 => nested].boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 8 } else { 2000 }))]

    #[test]
    fn to_format_round_trips(items in prop::collection::vec(item(2), 1..5)) {
        let f = items.join("");
        if let Ok(l) = Layout::parse(&f) {
            let spelled = l.to_format();
            let again = Layout::parse(&spelled);
            prop_assert!(again.is_ok(), "{f} -> {spelled}: {again:?}");
            prop_assert_eq!(again.unwrap(), l, "{} -> {}", f, spelled);
        }
    }
}

#[test]
fn unpack_number_reads_what_unpack_reads() {
    // Every code in every byte order, over records of every byte pattern that sets each end
    // of each width's range: `unpack_number` gives the number `unpack` gives (an `Int` where
    // it fits `i64`, a `UInt` above), and `None` exactly for the codes that are not an
    // integer of up to 8 bytes, an `f` or a `d`.
    use format_codec::Number;
    let patterns: [[u8; 8]; 6] = [
        [0; 8],
        [0xff; 8],
        [0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        [0x80, 0, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 0x80],
        [1, 2, 3, 4, 5, 6, 7, 8],
    ];
    for order in ["@", "=", "<", ">", "!"] {
        for code in ["b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "n", "N", "P", "f", "d", "e", "?", "c", "s"] {
            if matches!(code, "n" | "N" | "P") && order != "@" {
                continue;
            }
            let s = format_codec::Struct::new(&format!("{order}x{code}")).unwrap();
            let slot = s.slots().next().unwrap();
            for p in &patterns {
                // The pad byte (and any alignment) set, the value's bytes from the pattern.
                let mut record = vec![0xaa; s.size()];
                let at = slot.offset();
                let n = s.size() - at;
                record[at..].copy_from_slice(&p[..n]);
                let general = s.unpack(&record).unwrap().remove(0);
                let fast = slot.unpack_number(&record);
                let numeric =
                    matches!(code, "b" | "B" | "h" | "H" | "i" | "I" | "l" | "L" | "q" | "Q" | "n" | "N" | "f" | "d");
                match fast {
                    None => assert!(!numeric, "{order}{code} {p:?}: no number"),
                    Some(Number::Int(i)) => {
                        assert!(general == Value::from(i), "{order}{code} {p:?}: {i} vs {general}")
                    }
                    Some(Number::UInt(u)) => {
                        assert!(u > i64::MAX as u64, "{order}{code}: UInt only above i64::MAX");
                        assert!(general == Value::from(u), "{order}{code} {p:?}: {u} vs {general}");
                    }
                    Some(Number::Float(x)) => {
                        let Value::Float(y) = general else { panic!("{order}{code}: {general}") };
                        assert_eq!(x.to_bits(), y.to_bits(), "{order}{code} {p:?}");
                    }
                }
                if fast.is_none() {
                    assert!(!numeric, "{order}{code}");
                }
            }
        }
    }
}

#[test]
fn the_value_free_slot_paths_agree_with_pack_and_unpack() {
    // Every integer and float code in every byte order, values at and around each range's
    // ends: `pack_int`/`pack_f64` write what `pack` writes where they accept the value, and
    // accept every value `pack` accepts for an int or float argument of those codes;
    // `unpack_int`/`unpack_f64` read what `unpack` reads.
    let ints = [0i64, 1, -1, 127, 128, -128, -129, 255, 256, 32767, 32768, -32768, -32769, 65535, 65536];
    let wide = [i64::from(i32::MAX), i64::from(i32::MAX) + 1, i64::from(i32::MIN), i64::from(i32::MIN) - 1];
    let edges = [i64::from(u32::MAX), i64::from(u32::MAX) + 1, i64::MAX, i64::MIN];
    for order in ["@", "=", "<", ">", "!"] {
        for code in ["b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "n", "N", "f", "d", "e", "?", "c"] {
            if matches!(code, "n" | "N") && order != "@" {
                continue;
            }
            let s = format_codec::Struct::new(&format!("{order}{code}")).unwrap();
            let slot = s.slots().next().unwrap();
            for v in ints.iter().chain(&wide).chain(&edges) {
                let mut fast = vec![0u8; s.size()];
                let general = s.pack(&[Value::from(*v)]);
                if slot.pack_int(*v, &mut fast) {
                    assert_eq!(Ok(fast.clone()), general, "{order}{code} {v}");
                    assert_eq!(slot.unpack_int(&fast), Some(*v), "{order}{code} {v}");
                } else if matches!(code, "b" | "B" | "h" | "H" | "i" | "I" | "l" | "L" | "q" | "Q" | "n" | "N") {
                    assert!(general.is_err(), "{order}{code} {v}: pack accepts what pack_int refused");
                }
            }
            for x in [0.0, -0.0, 1.5, -2.25, 3.4e38, 3.5e38, 1e300, f64::INFINITY, f64::NAN, f64::MIN_POSITIVE] {
                let mut fast = vec![0u8; s.size()];
                let general = s.pack(&[Value::Float(x)]);
                if slot.pack_f64(x, &mut fast) {
                    assert_eq!(Ok(fast.clone()), general, "{order}{code} {x}");
                    let back = slot.unpack_f64(&fast).unwrap();
                    let Value::Float(general_back) = s.unpack(&fast).unwrap()[0] else { panic!("{order}{code}") };
                    assert_eq!(back.to_bits(), general_back.to_bits(), "{order}{code} {x}");
                } else if matches!(code, "f" | "d") {
                    assert!(general.is_err(), "{order}{code} {x}: pack accepts what pack_f64 refused");
                }
            }
        }
    }
}
