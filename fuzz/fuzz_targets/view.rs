//! Random sequences of view operations over random exporters (PIL, stride 0, negative
//! strides, odd offsets, itemsize/format mismatches), every flag combination on re-export.
//! Built with AddressSanitizer by cargo-fuzz: any access outside the exporter's memory, or
//! through a forged pointer, is a finding; so is a panic.
//!
//! The oracle: beside every view of a direct exporter runs a naive model (`model.rs`, shared
//! with the `layout` target) of which bytes of the exporter's memory each item is, followed
//! through keys, slices, transposes, casts, reshapes and re-exports; the view's `to_bytes`
//! must be those bytes, read from the memory by hand, and its shape the model's.
#![no_main]

use buffer_protocol::{Flags, NdArray};
use libfuzzer_sys::fuzz_target;
use memview::{Index, Key, MemoryView, Slice, Value};

#[path = "model.rs"]
mod model;
use model::Model;

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    fn small(&mut self, n: u8) -> isize {
        isize::from(self.byte() % n)
    }
    fn signed(&mut self) -> isize {
        isize::from(self.byte() as i8) / 8
    }
}

const FORMATS: &[&str] = &["B", "b", "c", "i", "<i", ">d", "d", "2h", "T{i:a:h:b:}", "?", "e", "x", "&z", "Q"];
const FLAGS: &[Flags] = &[
    Flags::SIMPLE,
    Flags::ND,
    Flags::STRIDES,
    Flags::STRIDED,
    Flags::STRIDED_RO,
    Flags::INDIRECT,
    Flags::FULL,
    Flags::FULL_RO,
    Flags::CONTIG,
    Flags::RECORDS,
];

fn index(b: &mut Bytes<'_>) -> Index {
    match b.byte() % 5 {
        0 => Index::At(b.signed()),
        1 => Index::Ellipsis,
        2 => Index::NewAxis,
        _ => {
            let opt = |b: &mut Bytes<'_>| if b.byte() % 3 == 0 { None } else { Some(b.signed()) };
            Index::Slice(Slice::new(opt(b), opt(b), opt(b)))
        }
    }
}

/// The items' bytes by hand: each item's `itemsize` bytes at the model's offset into the
/// exporter's memory (which must hold them: a view never reaches outside it).
fn expected_bytes(memory: &[u8], model: &Model, itemsize: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for &o in &model.offsets {
        let start = usize::try_from(o).expect("an item before the memory");
        let item = memory.get(start..start + itemsize).expect("an item past the memory");
        out.extend_from_slice(item);
    }
    out
}

/// The view against the model (a model of `None` is not checked: PIL layouts, fields).
fn check(v: &MemoryView<'_>, nd: &NdArray, model: Option<&Model>) {
    let Some(m) = model else { return };
    assert_eq!(v.shape(), &m.shape[..], "shape");
    if let Ok(bytes) = v.to_bytes() {
        assert_eq!(bytes, expected_bytes(&nd.memory(), m, v.itemsize()), "{v:?}");
    }
}

/// The model of a cast or reshape of a C-contiguous view: the same bytes from the first
/// item on, as items of the new size, in C order.
fn recast(m: &Model, w: &MemoryView<'_>) -> Model {
    let base = m.offsets.first().copied().unwrap_or(0);
    let n: usize = w.shape().iter().product();
    let size = w.itemsize() as i128;
    Model { shape: w.shape().to_vec(), offsets: (0..n as i128).map(|k| base + k * size).collect() }
}

fn exercise(v: &MemoryView<'_>, nd: &NdArray, model: Option<&Model>, b: &mut Bytes<'_>, depth: usize) {
    check(v, nd, model);
    let _ = v.to_list();
    let _ = v.hex_with(Some(':'), b.signed());
    let _ = v.try_hash();
    let _ = v == v;
    let _ = v.to_string();
    let _ = v.fill(Value::Int(i64::from(b.byte())));
    check(v, nd, model);
    if depth > 6 {
        return;
    }
    for _ in 0..(b.byte() % 4) {
        let (next, next_model) = match b.byte() % 8 {
            0 => {
                let key: Vec<Index> = (0..b.small(4)).map(|_| index(b)).collect();
                let m = model.and_then(|m| m.apply(&key));
                let r = v.view(Key::tuple(key));
                if r.is_ok() && model.is_some() {
                    assert!(m.is_some(), "a key the model refuses was accepted");
                }
                (r, m)
            }
            1 => {
                let s = Slice::new(Some(b.signed()), None, Some(b.signed()));
                let m = model.and_then(|m| m.apply(&[Index::Slice(s)]));
                (v.slice(s), m)
            }
            2 => {
                let axes: Vec<usize> = (0..v.ndim()).rev().collect();
                (v.transpose(), model.and_then(|m| m.permute(&axes)))
            }
            3 => {
                let r = v.cast(FORMATS[b.small(FORMATS.len() as u8) as usize]);
                let m = match (&r, model) {
                    (Ok(w), Some(m)) => Some(recast(m, w)),
                    _ => None,
                };
                (r, m)
            }
            4 => {
                let r = v.reshape(&[b.small(5) as usize, b.small(5) as usize]);
                // A reshape keeps the items in C order.
                let m = match (&r, model) {
                    (Ok(w), Some(m)) => Some(Model { shape: w.shape().to_vec(), offsets: m.offsets.clone() }),
                    _ => None,
                };
                (r, m)
            }
            5 => (v.field("a"), None),
            6 => (MemoryView::with_flags(v, FLAGS[b.small(FLAGS.len() as u8) as usize]), model.cloned()),
            _ => {
                let ix: Vec<isize> = (0..v.ndim()).map(|_| b.signed()).collect();
                let _ = v.get(&ix[..]);
                let _ = v.set(&ix[..], Value::Int(1));
                if let Ok(rows) = v.axis_iter(b.small(4) as usize) {
                    rows.rev().take(3).for_each(|r| drop(r.to_bytes()));
                }
                if let Ok(t) = v.typed::<u8>() {
                    let _ = t.iter().rev().take(5).count() + t.iter().take(5).count();
                }
                continue;
            }
        };
        if let Ok(w) = next {
            // A re-export with flags that ask for less than the view has (no strides, no
            // shape) describes the same bytes as another shape: the model follows only the
            // items, so it continues only where the shapes agree.
            let m = next_model.filter(|m| m.shape == w.shape());
            exercise(&w, nd, m.as_ref(), b, depth + 1);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let len = b.small(64) as usize;
    let memory: Vec<u8> = (0..len).map(|_| b.byte()).collect();
    let format = FORMATS[b.small(FORMATS.len() as u8) as usize];
    let itemsize = 1 + b.small(8) as usize;
    let ndim = b.small(4) as usize;
    let shape: Vec<usize> = (0..ndim).map(|_| b.small(5) as usize).collect();
    let strides: Vec<isize> = (0..ndim).map(|_| b.signed()).collect();
    let offset = b.small(64);
    let readonly = b.byte() % 2 == 0;
    let Ok(nd) = NdArray::new(memory, format, itemsize, &shape, &strides, offset, readonly) else { return };
    let pil = b.byte() % 3 == 0;
    let nd = if pil { nd.into_pil().unwrap_or_else(|_| unreachable_ok()) } else { nd };
    let flags = FLAGS[b.small(FLAGS.len() as u8) as usize];
    if let Ok(v) = MemoryView::with_flags(&nd, flags) {
        // The model of a direct exporter whose view shows all its dimensions.
        let model = (!pil).then(|| Model::of(nd.layout())).filter(|m| m.shape == v.shape());
        exercise(&v, &nd, model.as_ref(), &mut b, 0);
    };
});

fn unreachable_ok() -> NdArray {
    NdArray::new(vec![0], "B", 1, &[1], &[1], 0, true).expect("a one-byte array")
}
