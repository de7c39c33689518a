//! PEP 3118 layouts that NumPy and ctypes really export, as snapshots of the layout tree.

use format_codec::{Element, Layout, Value};
use std::fmt::Write;

fn tree(l: &Layout, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match l.element() {
        Element::Struct(fields) => {
            writeln!(out, "{pad}struct itemsize={} shape={:?}", l.itemsize(), l.shape()).unwrap();
            for f in fields {
                writeln!(out, "{pad}  field {:?} offset={}", f.name, f.offset).unwrap();
                tree(&f.layout, indent + 4, out);
            }
        }
        Element::Scalar { code, little, .. } => writeln!(
            out,
            "{pad}{code} itemsize={} shape={:?} {}",
            l.itemsize(),
            l.shape(),
            if *little { "little" } else { "big" }
        )
        .unwrap(),
        Element::Bytes(n) => writeln!(out, "{pad}bytes[{n}] itemsize={} shape={:?}", l.itemsize(), l.shape()).unwrap(),
    }
}

#[test]
fn layouts_of_real_exporters() {
    let mut out = String::new();
    for fmt in [
        "T{l:a:i:b:}",                 // NumPy, aligned struct
        "T{B:a:=d:b:3s:c:(2,3)@h:d:}", // NumPy, mixed modes
        "T{<c:a:<d:b:(3)<i:c:}",       // ctypes
        "T{<i:x:(2)<d:y:<c:z:}",       // ctypes with a sub-array
        "^T{bq}",                      // unaligned
        "T{<bT{@bi}}",                 // nested, alignment decided field by field
        "(2,3)Zd",                     // sub-array of complex
        "T{i:a:b}",                    // fK naming
        "T{bb:f0:}",
        "T{ix}",
    ] {
        writeln!(out, "== {fmt}").unwrap();
        tree(&Layout::parse(fmt).unwrap(), 0, &mut out);
    }
    insta::assert_snapshot!(out);
}

#[test]
fn struct_items_round_trip_and_ignore_padding() {
    let l = Layout::parse("T{b:a:d:b:(2)h:c:}").unwrap();
    assert_eq!(l.itemsize(), 24);
    let v = Value::List(vec![1.into(), 2.5.into(), Value::List(vec![(-1).into(), 7.into()].into())].into());
    let bytes = l.pack(&v).unwrap();
    assert_eq!(&bytes[1..8], &[0; 7], "padding is zero");
    let mut dirty = bytes.clone();
    dirty[3] = 0xaa; // padding byte
    assert_eq!(l.unpack(&dirty).unwrap(), v);
}

#[test]
fn named_field_access_for_column_views() {
    let l = Layout::parse("T{<i:id:<d:price:4s:tag:}").unwrap();
    let f = l.field("price").unwrap();
    assert_eq!((f.offset, f.layout.itemsize(), f.layout.to_format()), (4, 8, "<d".to_string()));
    assert!(l.field("missing").is_none());
}
