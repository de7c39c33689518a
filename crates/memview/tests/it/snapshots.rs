//! `Debug`, `Display`, `to_list` and error messages for a fixed set of layouts.

use memview::{Index, Key, MemoryView, NdArray, Slice, Value};
use std::fmt::Write;

fn sources() -> Vec<(&'static str, NdArray)> {
    let bytes: Vec<u8> = (0..48).collect();
    vec![
        ("1-D bytes", NdArray::new(bytes.clone(), "B", 1, &[6], &[1], 0, false).unwrap()),
        ("2-D ints, C", NdArray::new(bytes.clone(), "i", 4, &[2, 3], &[12, 4], 0, true).unwrap()),
        ("2-D shorts, F", NdArray::new(bytes.clone(), "h", 2, &[2, 3], &[2, 4], 0, false).unwrap()),
        ("reversed doubles", NdArray::new(bytes.clone(), "<d", 8, &[3], &[-8], 16, true).unwrap()),
        ("0-D big-endian int", NdArray::new(bytes.clone(), ">i", 4, &[], &[], 4, true).unwrap()),
        ("records", NdArray::new(bytes.clone(), "T{<h:a:<h:b:}", 4, &[3], &[4], 0, true).unwrap()),
        ("PIL bytes", NdArray::new(bytes.clone(), "B", 1, &[2, 3], &[3, 1], 0, true).unwrap().into_pil().unwrap()),
        ("empty", NdArray::new(bytes, "Q", 8, &[0, 2], &[16, 8], 0, true).unwrap()),
    ]
}

#[test]
// insta's terminal detection uses sockets Miri does not model; this test has no unsafe of its own.
#[cfg_attr(miri, ignore)]
fn renderings() {
    let mut out = String::new();
    for (name, nd) in sources() {
        let m = MemoryView::new(&nd).unwrap();
        writeln!(out, "== {name}").unwrap();
        writeln!(out, "debug   {m:?}").unwrap();
        writeln!(out, "display {m}").unwrap();
        match m.to_list() {
            Ok(v) => writeln!(out, "tolist  {v}").unwrap(),
            Err(e) => writeln!(out, "tolist  {} {e}", e.python_exception()).unwrap(),
        }
        writeln!(out, "hex     {}", m.hex_with(Some('.'), -4).unwrap()).unwrap();
        writeln!(out, "c/f/any {:?}", (m.c_contiguous(), m.f_contiguous(), m.contiguous())).unwrap();
    }
    insta::assert_snapshot!(out);
}

#[test]
// insta's terminal detection uses sockets Miri does not model; this test has no unsafe of its own.
#[cfg_attr(miri, ignore)]
fn error_messages() {
    let nd = NdArray::new((0..24).collect(), "i", 4, &[2, 3], &[12, 4], 0, true).unwrap();
    let m = MemoryView::new(&nd).unwrap();
    let bytes = MemoryView::from_bytes(b"abc");
    let mut out = String::new();
    let mut line = |what: &str, e: memview::ViewError| {
        writeln!(out, "{what:40} {:<19} {e}", e.python_exception().name()).unwrap();
    };
    line("m.set([0, 0], 1) on read-only", m.set([0, 0], 1).unwrap_err());
    line("m.get([2, 0])", m.get([2, 0]).unwrap_err());
    line("m.get([0, 0, 0])", m.get([0, 0, 0]).unwrap_err());
    line("m[::2, ::2, ::2]", m.view(Key::from([Index::Slice(Slice::full()); 3])).unwrap_err());
    line("m.cast('<i')", m.cast("<i").unwrap_err());
    line("m.cast('d')", m.cast("d").unwrap_err());
    line("m.cast('B', [5])", m.cast("B").unwrap().cast_shape("B", &[5]).unwrap_err());
    line("m.T.cast('B')", m.transpose().unwrap().cast("B").unwrap_err());
    line("bytes.hex('é')", bytes.hex_with(Some('é'), 1).unwrap_err());
    line(
        "bytes[0] = b'a' (format B)",
        bytes.to_owned_view().unwrap().set(0, Value::Bytes(b"a".to_vec().into())).unwrap_err(),
    );
    line("bytes[0] = 256", bytes.to_owned_view().unwrap().set(0, 256).unwrap_err());
    line("bytes[0:1] = 1", bytes.to_owned_view().unwrap().set(Slice::new(Some(0), Some(1), None), 1).unwrap_err());
    line("hash(writable)", bytes.to_owned_view().unwrap().try_hash().unwrap_err());
    line("hash('i' view)", m.try_hash().unwrap_err());
    let other = MemoryView::from_bytes(b"abcd");
    line("bytes[:] = 4 bytes", bytes.to_owned_view().unwrap().assign(Slice::full(), &other).unwrap_err());
    line("typed::<f64>() of 'i'", m.typed::<f64>().map(|_| ()).unwrap_err());
    insta::assert_snapshot!(out);
}
