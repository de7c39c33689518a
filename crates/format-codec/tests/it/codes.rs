//! Every format code in every byte-order mode: sizes, alignment, packed bytes, round trips.

use format_codec::{calcsize, pack, unpack, Struct, Value};
use std::fmt::Write;

/// A representative value for each code.
fn sample(code: char) -> Option<Value> {
    Some(match code {
        'x' => return None,
        'c' => Value::Bytes(b"z".to_vec().into()),
        '?' => Value::Bool(true),
        'b' => Value::Int(-2),
        'B' | 'h' | 'H' | 'i' | 'I' | 'l' | 'L' | 'q' | 'Q' | 'n' | 'N' | 'P' => Value::Int(0x1234 % 200 + 1),
        'e' | 'f' | 'd' => Value::Float(-1.5),
        's' | 'p' => Value::Bytes(b"ab".to_vec().into()),
        _ => return None,
    })
}

#[test]
fn every_code_in_every_mode() {
    let mut out = String::new();
    for prefix in ["@", "=", "<", ">", "!"] {
        for code in "xcbB?hHiIlLqQnNefdspP".chars() {
            let fmt = format!("{prefix}{code}");
            match Struct::new(&fmt) {
                Err(e) => writeln!(out, "{fmt:4} error {:?}: {e}", e.python_exception()).unwrap(),
                Ok(s) => {
                    let values: Vec<Value> = sample(code).into_iter().collect();
                    let bytes = s.pack(&values).unwrap();
                    assert_eq!(bytes.len(), s.size(), "{fmt}: calcsize == len(pack)");
                    let back = s.unpack(&bytes).unwrap();
                    let shown: Vec<String> = back.iter().map(Value::to_string).collect();
                    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                    writeln!(out, "{fmt:4} size {} packs {hex:<16} unpacks ({})", s.size(), shown.join(", ")).unwrap();
                }
            }
        }
    }
    insta::assert_snapshot!(out);
}

#[test]
fn native_alignment_matches_cpython() {
    // Values measured with CPython 3.11 on x86-64 Linux.
    for (fmt, size) in [
        ("@qi", 12),
        ("@iq", 16),
        ("@ci", 8),
        ("=ci", 5),
        ("ci0l", 8),
        ("x0i", 4),
        ("bhbi", 12),
        ("@e?d", 16),
        ("<qb", 9),
        ("3s0d", 8),
        ("", 0),
        ("@", 0),
        (" \t\n i ", 4),
    ] {
        assert_eq!(calcsize(fmt).unwrap(), size, "{fmt:?}");
    }
}

#[test]
fn string_codes_pad_and_truncate() {
    assert_eq!(pack("4s", &[Value::Bytes(b"ab".to_vec().into())]).unwrap(), b"ab\0\0");
    assert_eq!(pack("2s", &[Value::Bytes(b"abcd".to_vec().into())]).unwrap(), b"ab");
    assert_eq!(pack("0s", &[Value::Bytes(b"abcd".to_vec().into())]).unwrap(), b"");
    assert_eq!(pack("4p", &[Value::Bytes(b"abcdef".to_vec().into())]).unwrap(), b"\x03abc");
    assert_eq!(unpack("4p", b"\x09abc").unwrap(), vec![Value::Bytes(b"abc".to_vec().into())]);
    let long = vec![b'a'; 400];
    let packed = pack("300p", &[Value::Bytes(long.into())]).unwrap();
    assert_eq!(packed[0], 255, "the length byte saturates at 255");
}

#[test]
fn half_floats_round_like_pyfloat_pack2() {
    let h = |x: f64| pack("<e", &[Value::Float(x)]);
    assert_eq!(h(65504.0).unwrap(), [0xff, 0x7b]);
    assert_eq!(h(65519.99).unwrap(), [0xff, 0x7b]);
    assert!(h(65520.0).is_err());
    assert_eq!(h(2f64.powi(-24)).unwrap(), [0x01, 0x00]);
    assert_eq!(h(2f64.powi(-25)).unwrap(), [0x00, 0x00], "ties round to even");
    assert_eq!(h(f64::NAN).unwrap(), [0x00, 0x7e]);
    assert_eq!(h(f64::INFINITY).unwrap(), [0x00, 0x7c]);
}

#[test]
fn native_float_is_a_c_cast_but_standard_float_overflows() {
    assert_eq!(pack("f", &[Value::Float(1e300)]).unwrap(), f32::INFINITY.to_ne_bytes());
    let err = pack("<f", &[Value::Float(1e300)]).unwrap_err();
    assert_eq!(err.python_exception(), format_codec::PyExc::OverflowError);
    // An int argument's overflow becomes struct.error.
    let err = pack("<f", &[Value::BigInt(format!("1{}", "0".repeat(39)).into())]).unwrap_err();
    assert_eq!(err.python_exception(), format_codec::PyExc::StructError);
}

#[test]
fn bool_packs_truthiness_and_unpacks_any_nonzero() {
    for (v, b) in [
        (Value::Bytes(vec![].into()), 0u8),
        (Value::Float(0.5), 1),
        (Value::List(vec![].into()), 0),
        (Value::Int(7), 1),
    ] {
        assert_eq!(pack("?", &[v]).unwrap(), [b]);
    }
    assert_eq!(unpack("?", b"\x80").unwrap(), vec![Value::Bool(true)]);
}

#[test]
fn pointer_wraps_negative_values() {
    assert_eq!(pack("P", &[Value::Int(-1)]).unwrap(), [0xff; 8]);
    assert!(pack("P", &[Value::from(1i128 << 64)]).is_err());
}

#[test]
fn offsets_of_unpack_from_and_pack_into() {
    let s = Struct::new("<H").unwrap();
    let data = b"\x01\x02\x03\x04";
    assert_eq!(s.unpack_from(data, 2).unwrap(), vec![Value::Int(0x0403)]);
    assert_eq!(s.unpack_from(data, -4).unwrap(), vec![Value::Int(0x0201)]);
    assert!(s.unpack_from(data, 3).is_err());
    assert!(s.unpack_from(data, -1).is_err());
    assert!(s.unpack_from(data, -5).is_err());
    let mut buf = [0u8; 4];
    s.pack_into(&mut buf, -2, &[Value::Int(0xbeef)]).unwrap();
    assert_eq!(buf, [0, 0, 0xef, 0xbe]);
    assert!(s.pack_into(&mut buf, 3, &[Value::Int(1)]).is_err());
    assert_eq!(buf, [0, 0, 0xef, 0xbe], "a failed pack_into leaves the buffer alone");
}

#[test]
fn iter_unpack_is_lazy_and_exact() {
    let s = Struct::new("<bb").unwrap();
    let it = s.iter_unpack(&[1, 2, 3, 4, 5, 6]).unwrap();
    assert_eq!(it.len(), 3);
    assert!(s.iter_unpack(&[1, 2, 3]).is_err());
    assert!(Struct::new("").unwrap().iter_unpack(&[]).is_err());
}

#[test]
fn values_print_as_python_reprs() {
    let v = Value::List(
        vec![
            Value::Bytes(b"a'\\\x00".to_vec().into()),
            Value::Float(1e16),
            Value::Float(0.1),
            Value::complex(1.0, -2.0),
            Value::Bool(false),
        ]
        .into(),
    );
    assert_eq!(v.to_string(), r#"[b"a'\\\x00", 1e+16, 0.1, (1-2j), False]"#);
}

#[cfg(feature = "serde")]
#[test]
fn values_serialize_with_serde() {
    let v = Value::List(vec![Value::Int(-1), Value::Float(0.5), Value::Bytes(vec![1].into())].into());
    let json = serde_json::to_string(&v).unwrap();
    assert_eq!(json, r#"{"List":[{"Int":-1},{"Float":0.5},{"Bytes":[1]}]}"#);
    let back: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(back, v);
}

#[test]
fn unpack_into_reuses_rows_with_any_values() {
    let s = Struct::new("<h2s?").unwrap();
    let mut row = vec![Value::Bytes(b"stale".to_vec().into())];
    s.unpack_into(b"\x01\x00ab\x01", &mut row).unwrap();
    assert_eq!(row, vec![Value::Int(1), Value::Bytes(b"ab".to_vec().into()), Value::Bool(true)]);
    s.unpack_into(b"\xff\xffcd\x00", &mut row).unwrap();
    assert_eq!(row, vec![Value::Int(-1), Value::Bytes(b"cd".to_vec().into()), Value::Bool(false)]);
    assert!(s.unpack_into(b"\x00", &mut row).is_err());
}

#[test]
fn display_is_python_repr_for_bytes_and_complex() {
    // Each expected string is what CPython 3.11's `repr` gives for the same value.
    let bytes: [(&[u8], &str); 7] = [
        (b"", "b''"),
        (b"'", r#"b"'""#),
        (b"\"", r#"b'"'"#),
        (b"'\"", r#"b'\'"'"#),
        (b"a\\b", r"b'a\\b'"),
        (&[0, 9, 10, 13, 31, 127, 128, 255], r"b'\x00\t\n\r\x1f\x7f\x80\xff'"),
        (b"plain", "b'plain'"),
    ];
    for (b, repr) in bytes {
        assert_eq!(Value::from(b).to_string(), repr, "{b:?}");
    }
    let complex = [
        ((0.0, 0.0), "0j"),
        ((-0.0, 0.0), "(-0+0j)"),
        ((0.0, f64::INFINITY), "infj"),
        ((2.5, -0.0), "(2.5-0j)"),
        ((1e-5, 1e22), "(1e-05+1e+22j)"),
        ((1.0, -f64::NAN), "(1+nanj)"),
        ((f64::NAN, f64::NAN), "(nan+nanj)"),
    ];
    for ((re, im), repr) in complex {
        assert_eq!(Value::complex(re, im).to_string(), repr, "{re} {im}");
    }
}
