//! Hostile formats: memory grows with a format's length, never its counts; huge sizes are
//! errors (MemoryError where CPython raises it); nesting is bounded; naming is linear.

use format_codec::{calcsize, pack, CodecError, Layout, PyExc, Struct, Value};
use std::time::Instant;

#[test]
fn repeat_counts_cost_no_memory() {
    let s = Struct::new("1000000000i").unwrap();
    assert_eq!((s.size(), s.value_count()), (4_000_000_000, 1_000_000_000));
    assert!(std::mem::size_of_val(&s) < 1024);
    // CPython's test_count_overflow: a count past the size limit is struct.error.
    let err = calcsize("9223372036854775807i").unwrap_err();
    assert_eq!((err.python_exception(), err.to_string().as_str()), (PyExc::StructError, "total struct size too long"));
    assert_eq!(
        Struct::new("3i2h").unwrap().unpack(&[1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 5, 0]).unwrap().len(),
        5
    );
}

#[test]
fn huge_records_are_memory_errors() {
    let err = pack("9223372036854775806x", &[]).unwrap_err();
    assert_eq!(err, CodecError::NoMemory);
    assert_eq!(err.python_exception(), PyExc::MemoryError);
}

#[test]
fn zero_sized_sub_arrays_of_huge_items_do_not_overflow() {
    let l = Layout::parse("(0,4)9223372036854775807s").unwrap();
    assert_eq!(l.itemsize(), 0);
    assert_eq!(l.unpack(&[]).unwrap(), Value::List(vec![].into()));
    assert!(l.pack(&Value::List(vec![].into())).is_ok());
}

#[test]
fn nesting_is_bounded() {
    let deep = "T{".repeat(100_000) + "b" + &"}".repeat(100_000);
    assert!(matches!(Layout::parse(&deep), Err(CodecError::TooDeep(_))));
    let dims = vec!["1"; 200_000].join(",");
    assert!(matches!(Layout::parse(&format!("({dims})B")), Err(CodecError::TooDeep(_))));
    let ok = "T{".repeat(format_codec::MAX_NESTING) + "b" + &"}".repeat(format_codec::MAX_NESTING);
    assert_eq!(Layout::parse(&ok).unwrap().itemsize(), 1);
}

#[test]
fn unnamed_fields_are_named_in_linear_time() {
    let f = format!("T{{{}}}", "B".repeat(20_000));
    let start = Instant::now();
    let l = Layout::parse(&f).unwrap();
    assert_eq!(l.fields().unwrap().len(), 20_000);
    assert_eq!(l.fields().unwrap()[19_999].name, "f19999");
    // Quadratic naming took minutes here; linear takes milliseconds (generous bound).
    assert!(start.elapsed().as_secs() < 5);
    let named = Layout::parse("T{B:f1:BB:f0:}").unwrap();
    let names: Vec<_> = named.fields().unwrap().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["f1", "f2", "f0"]);
}

#[test]
fn half_floats_round_once() {
    assert_eq!(pack(">e", &[Value::Float(6.100535392761228e-5)]).unwrap(), [0x03, 0xff]);
}

#[test]
fn empty_items_unpack_to_bounded_values() {
    // Zero bytes may not ask for billions of empty lists or structs.
    for f in ["(82550,550,0,471,4)s", "(8255421710,0,4)s", "(100000,100000)T{}", "(4000000000)0s"] {
        let l = Layout::parse(f).unwrap();
        assert_eq!(l.itemsize(), 0, "{f}");
        let t = Instant::now();
        let err = l.unpack(&[]).unwrap_err();
        assert_eq!(err.python_exception(), PyExc::MemoryError, "{f}");
        assert!(t.elapsed().as_secs() < 1);
    }
    // Small empty shapes and real data are untouched.
    assert_eq!(Layout::parse("(2,0)B").unwrap().unpack(&[]).unwrap().to_string(), "[[], []]");
    let big = Layout::parse("(1000,1000)B").unwrap();
    assert!(big.unpack(&vec![0u8; 1_000_000]).is_ok());
}
