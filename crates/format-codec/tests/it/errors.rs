//! Every error: its message and the CPython exception it maps to, as a snapshot.

use format_codec::{pack, unpack, CodecError, Layout, Struct, Value};
use std::fmt::Write;

fn line(out: &mut String, what: &str, r: Result<impl std::fmt::Debug, CodecError>) {
    match r {
        Ok(v) => writeln!(out, "{what:32} ok {v:?}").unwrap(),
        Err(e) => writeln!(out, "{what:32} {:<19} {e}", e.python_exception().name()).unwrap(),
    }
}

#[test]
fn error_messages() {
    let mut out = String::new();
    for fmt in ["2 i", "3", "<n", "<P", " <i", "i\0", "é", "99999999999999999999i", "4611686018427387904i", "y"] {
        line(&mut out, &format!("Struct::new({fmt:?})"), Struct::new(fmt).map(|s| s.size()));
    }
    let cases: &[(&str, Vec<Value>)] = &[
        ("b", vec![Value::Int(200)]),
        ("B", vec![Value::Int(-1)]),
        ("h", vec![Value::Int(1 << 20)]),
        ("H", vec![Value::Int(-1)]),
        ("i", vec![Value::Int(1 << 40)]),
        ("I", vec![Value::Int(-1)]),
        ("<l", vec![Value::Int(1 << 40)]),
        ("<L", vec![Value::Int(1 << 40)]),
        ("q", vec![Value::from(1i128 << 64)]),
        ("Q", vec![Value::BigInt(Box::new("123456789012345678901234567890123456789012".into()))]),
        ("d", vec![Value::BigInt("1".repeat(400).into())]),
        ("e", vec![Value::Float(1e6)]),
        ("e", vec![Value::Int(70000)]),
        ("<f", vec![Value::Float(1e300)]),
        ("i", vec![Value::Float(1.0)]),
        ("d", vec![Value::Bytes(vec![].into())]),
        ("c", vec![Value::Bytes(b"ab".to_vec().into())]),
        ("3s", vec![Value::Int(1)]),
        ("p", vec![Value::Int(1)]),
        ("ii", vec![Value::Int(1)]),
    ];
    for (fmt, values) in cases {
        line(&mut out, &format!("pack({fmt:?}, {values:?})").chars().take(32).collect::<String>(), pack(fmt, values));
    }
    line(&mut out, "unpack(\"i\", 3 bytes)", unpack("i", b"abc"));
    let s = Struct::new("<i").unwrap();
    line(&mut out, "unpack_from(8 bytes, 6)", s.unpack_from(&[0; 8], 6));
    line(&mut out, "unpack_from(8 bytes, -2)", s.unpack_from(&[0; 8], -2));
    line(&mut out, "unpack_from(8 bytes, -9)", s.unpack_from(&[0; 8], -9));
    line(&mut out, "pack_into(8 bytes, -2)", s.pack_into(&mut [0; 8], -2, &[Value::Int(1)]));
    line(&mut out, "pack_into(8 bytes, 6)", s.pack_into(&mut [0; 8], 6, &[Value::Int(1)]));
    line(&mut out, "iter_unpack(5 bytes)", s.iter_unpack(&[0; 5]).map(|it| it.count()));
    for fmt in ["T{i", "T{i:a", "(2", "()i", "(-1)i", "T{i:a:i:a:}", "<(2)i", "T{Zq}", "T{i}}", "&i", "i<"] {
        line(&mut out, &format!("Layout::parse({fmt:?})"), Layout::parse(fmt).map(|l| l.itemsize()));
    }
    line(&mut out, "unpack O", Layout::parse("O").unwrap().unpack(&[0; 8]));
    insta::assert_snapshot!(out);
}

/// Big-endian standard codes are packed by CPython's `bp_*` functions, little-endian ones of
/// native size by the native `np_*` ones (swapped in at start-up on a little-endian machine):
/// their range checks and messages differ, as CPython 3.11 gives them.
#[test]
fn standard_and_native_packers_differ_as_in_cpython() {
    let err = |fmt: &str, v: Value| pack(fmt, &[v]).err().map(|e| e.to_string());
    let big = |n: i128| Value::from(n);
    // CPython 3.11.7, `struct.pack(fmt, v)`.
    let cases: &[(&str, i128, &str)] = &[
        (">H", -1, "argument out of range"),
        ("!H", -1, "argument out of range"),
        (">H", 70000, "'H' format requires 0 <= number <= 65535"),
        ("<H", -1, "ushort format requires 0 <= number <= 65535"),
        ("=h", 40000, "short format requires -32768 <= number <= 32767"),
        (">h", -40000, "'h' format requires -32768 <= number <= 32767"),
        (">h", 1 << 70, "argument out of range"),
        (">i", -(1 << 31) - 1, "'i' format requires -2147483648 <= number <= 2147483647"),
        ("<i", 1 << 40, "'i' format requires -2147483648 <= number <= 2147483647"),
        ("<l", 1 << 31, "'l' format requires -2147483648 <= number <= 2147483647"),
        (">I", -5, "argument out of range"),
        (">Q", 1 << 64, "int too large to convert"),
        (">q", -(1 << 63) - 1, "int too large to convert"),
        ("<Q", 1 << 64, "argument out of range"),
        ("=Q", -1, "argument out of range"),
    ];
    for &(fmt, v, want) in cases {
        assert_eq!(err(fmt, big(v)).as_deref(), Some(want), "{fmt} {v}");
    }
}
