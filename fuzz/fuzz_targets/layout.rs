//! Layout math against a naive model: a random layout and a random chain of NumPy keys,
//! permutations and reshapes; after every step the layout's item offsets (in C order) must be
//! those of the model, which keeps the offsets themselves as an N-D array and follows
//! Python's slice rules written out longhand. Nothing may panic.
//!
//! A second mode builds layouts at the edges of the address space (extents up to 2^62 with
//! zeros among them, strides and offsets near `isize::MIN`/`MAX`), where no offset list fits
//! in memory: there the model is arithmetic in `i128` (the item count, and the lowest and
//! highest byte every result touches), checked after every step of a chain of slices,
//! indices, transposes and casts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use strided::{Index, LayoutError, Slice, StridedLayout};

#[path = "model.rs"]
mod model;
use model::Model;

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn small(&mut self, n: u8) -> u8 {
        self.byte() % n.max(1)
    }
    fn signed(&mut self) -> isize {
        isize::from(self.byte() as i8) / 16
    }
    fn opt(&mut self) -> Option<isize> {
        if self.byte() % 3 == 0 {
            None
        } else {
            Some(self.signed())
        }
    }
}

/// Errors the model cannot predict: sizes past `isize`, and refusals of the layout math that
/// NumPy shares (a reshape that needs a copy is checked separately).
fn tolerated(e: &LayoutError) -> bool {
    matches!(e, LayoutError::Overflow(_) | LayoutError::TooManyDims | LayoutError::NoMemory(_))
}

/// An extent at the edges: small, or huge.
fn edge_extent(b: &mut Bytes<'_>) -> usize {
    [0, 1, 2, 3, 5, 1 << 20, 1 << 31, 1 << 40, 1 << 62, usize::MAX / 2][usize::from(b.small(10))]
}

/// A stride or offset at the edges.
fn edge_isize(b: &mut Bytes<'_>) -> isize {
    let near = isize::from(b.small(9));
    match b.small(8) {
        0 => isize::MAX - near,
        1 => isize::MIN + near,
        2 => (1 << 62) - near,
        3 => -(1 << 62) + near,
        4 => 1 << 31,
        _ => b.signed(),
    }
}

/// The model of the edge mode: the number of items and the bytes touched, in `i128`.
fn edge_model(l: &StridedLayout) -> (u128, Option<(i128, i128)>) {
    let len = if l.shape().contains(&0) {
        0
    } else {
        // A layout holds at most isize::MAX bytes of items, so the count fits.
        l.shape().iter().try_fold(1u128, |a, &n| a.checked_mul(n as u128)).expect("a count past u128")
    };
    if len == 0 {
        return (0, None);
    }
    let (mut lo, mut hi) = (l.offset() as i128, l.offset() as i128);
    for (&n, &s) in l.shape().iter().zip(l.strides()) {
        let span = (n as i128 - 1) * s as i128;
        if span < 0 {
            lo += span;
        } else {
            hi += span;
        }
    }
    (len, Some((lo, hi + l.itemsize() as i128)))
}

/// Every layout the math hands out: its item count is the model's, and every byte it
/// touches has an address that fits in `isize`.
fn check_edges(l: &StridedLayout) {
    let (len, extent) = edge_model(l);
    assert_eq!(l.len() as u128, len, "{l:?}");
    if let Some((lo, hi)) = extent {
        assert!(lo >= isize::MIN as i128 && hi <= isize::MAX as i128, "{l:?} touches {lo}..{hi}");
        assert_eq!(l.extent().ok().flatten().map(|(a, b)| (a as i128, b as i128)), Some((lo, hi)), "{l:?}");
    }
}

fn edges(b: &mut Bytes<'_>) {
    let itemsize = 1 + b.small(8) as usize;
    let ndim = b.small(4) as usize;
    let shape: Vec<usize> = (0..ndim).map(|_| edge_extent(b)).collect();
    let strides: Vec<isize> = (0..ndim).map(|_| edge_isize(b)).collect();
    let offset = edge_isize(b);
    let Ok(mut l) = StridedLayout::new(itemsize, &shape, &strides, offset) else { return };
    check_edges(&l);
    for _ in 0..b.small(6) {
        let before = edge_model(&l).1;
        let next = match b.small(5) {
            0 => l.slice_dim(0, Slice::new(Some(edge_isize(b)), Some(edge_isize(b)), Some(edge_isize(b)))),
            1 => l.index_dim(0, edge_isize(b)),
            2 => l.transpose(),
            3 => {
                let size = 1 + b.small(8) as usize;
                let dims: Vec<i128> = (0..b.small(3)).map(|_| edge_extent(b) as i128).collect();
                let r = l.cast_1d(size).and_then(|one| one.cast_nd(size, &dims));
                // A cast keeps the bytes: the result lies within the source's bytes.
                if let (Ok(c), Some((lo, hi))) = (&r, before) {
                    if let (_, Some((clo, chi))) = edge_model(c) {
                        assert!(clo >= lo && chi <= hi, "cast {c:?} of {l:?}");
                    }
                }
                r
            }
            _ => {
                let dims: Vec<i128> = (0..b.small(3)).map(|_| edge_extent(b) as i128).collect();
                l.cast_nd(l.itemsize(), &dims)
            }
        };
        if let Ok(next) = next {
            check_edges(&next);
            l = next;
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // Inputs that start with 0xED run the edge mode (the corpus of the offset mode keeps
    // its meaning).
    if let Some((&0xED, rest)) = data.split_first() {
        return edges(&mut Bytes(rest));
    }
    let mut b = Bytes(data);
    let itemsize = 1 + b.small(8) as usize;
    let ndim = b.small(5) as usize;
    let shape: Vec<usize> = (0..ndim).map(|_| b.small(5) as usize).collect();
    let strides: Vec<isize> = (0..ndim).map(|_| b.signed() * itemsize as isize).collect();
    let offset = b.small(64) as isize;
    let Ok(mut l) = StridedLayout::new(itemsize, &shape, &strides, offset) else { return };
    let mut model = Model::of(&l);
    for _ in 0..b.small(6) {
        match b.small(4) {
            0 | 1 => {
                let key: Vec<Index> = (0..b.small(5))
                    .map(|_| match b.small(5) {
                        0 => Index::At(b.signed()),
                        1 => Index::Ellipsis,
                        2 => Index::NewAxis,
                        _ => Index::Slice(Slice::new(b.opt(), b.opt(), b.opt())),
                    })
                    .collect();
                match (l.apply(&key), model.apply(&key)) {
                    (Ok(next), Some(m)) => {
                        assert_eq!(Model::of(&next), m, "{key:?}");
                        l = next;
                        model = m;
                    }
                    (Err(_), None) => {}
                    (Err(e), Some(_)) => assert!(tolerated(&e), "{key:?}: {e:?}"),
                    (Ok(next), None) => panic!("{key:?} accepted by the layout math: {next:?}"),
                }
            }
            2 => {
                let mut axes: Vec<usize> = (0..l.ndim()).collect();
                for i in (1..axes.len()).rev() {
                    let j = b.small(i as u8 + 1) as usize;
                    axes.swap(i, j);
                }
                let next = l.permute(&axes).expect("a permutation of a direct layout");
                let m = model.permute(&axes).expect("the model permutes too");
                assert_eq!(Model::of(&next), m);
                l = next;
                model = m;
            }
            _ => {
                let total = l.len();
                let shape: Vec<usize> = match b.small(3) {
                    0 => vec![total],
                    1 if total % 2 == 0 => vec![2, total / 2],
                    _ => vec![1, total, 1],
                };
                if let Ok(next) = l.reshape(&shape) {
                    // A reshape keeps the C-order items.
                    let m = Model { shape: shape.clone(), offsets: model.offsets.clone() };
                    assert_eq!(Model::of(&next), m, "reshape to {shape:?}");
                    l = next;
                    model = m;
                }
            }
        }
        // The bounds check agrees with the offsets.
        let len = 4096usize;
        let inside = model.offsets.iter().all(|&o| o >= 0 && o + itemsize as i128 <= len as i128);
        assert_eq!(l.check_within(len).is_ok(), inside, "{l:?}");
    }
});
