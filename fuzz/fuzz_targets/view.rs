//! Random sequences of view operations over random exporters (PIL, stride 0, negative
//! strides, odd offsets, itemsize/format mismatches), every flag combination on re-export.
//! Built with AddressSanitizer by cargo-fuzz: any access outside the exporter's memory, or
//! through a forged pointer, is a finding; so is a panic.
#![no_main]

use buffer_protocol::{Flags, NdArray};
use libfuzzer_sys::fuzz_target;
use memview::{Index, Key, MemoryView, Slice, Value};

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

fn exercise(v: &MemoryView<'_>, b: &mut Bytes<'_>, depth: usize) {
    let _ = v.to_bytes();
    let _ = v.to_list();
    let _ = v.hex_with(Some(':'), b.signed());
    let _ = v.try_hash();
    let _ = v == v;
    let _ = v.to_string();
    let _ = v.fill(Value::Int(i128::from(b.byte())));
    if depth > 6 {
        return;
    }
    for _ in 0..(b.byte() % 4) {
        let next = match b.byte() % 8 {
            0 => v.view(Key::tuple((0..b.small(4)).map(|_| index(b)).collect::<Vec<_>>())),
            1 => v.slice(Slice::new(Some(b.signed()), None, Some(b.signed()))),
            2 => v.transpose(),
            3 => v.cast(FORMATS[b.small(FORMATS.len() as u8) as usize]),
            4 => v.reshape(&[b.small(5) as usize, b.small(5) as usize]),
            5 => v.field("a"),
            6 => MemoryView::with_flags(v, FLAGS[b.small(FLAGS.len() as u8) as usize]),
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
            exercise(&w, b, depth + 1);
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
    let nd = if b.byte() % 3 == 0 { nd.into_pil().unwrap_or_else(|_| unreachable_ok()) } else { nd };
    let flags = FLAGS[b.small(FLAGS.len() as u8) as usize];
    if let Ok(v) = MemoryView::with_flags(&nd, flags) {
        exercise(&v, &mut b, 0);
    };
});

fn unreachable_ok() -> NdArray {
    NdArray::new(vec![0], "B", 1, &[1], &[1], 0, true).expect("a one-byte array")
}
