//! Layout math against a naive model: a random layout and a random chain of NumPy keys,
//! permutations and reshapes; after every step the layout's item offsets (in C order) must be
//! those of the model, which keeps the offsets themselves as an N-D array and follows
//! Python's slice rules written out longhand. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use strided::{Index, LayoutError, Slice, StridedLayout};

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

/// The model: the byte offset of every item, in C order, and the shape.
#[derive(Debug, Clone, PartialEq)]
struct Model {
    shape: Vec<usize>,
    offsets: Vec<i128>,
}

/// Python's `range(*slice(start, stop, step).indices(len))`, longhand.
fn py_slice(len: usize, start: Option<isize>, stop: Option<isize>, step: Option<isize>) -> Option<Vec<usize>> {
    let len = len as i128;
    let step = i128::from(step.map_or(1, |s| s as i64));
    if step == 0 {
        return None;
    }
    let (lower, upper) = if step < 0 { (-1, len - 1) } else { (0, len) };
    let fix = |v: Option<isize>, default: i128| match v {
        None => default,
        Some(v) => {
            let mut v = v as i128;
            if v < 0 {
                v += len;
                if v < lower {
                    v = lower;
                }
            } else if v > upper {
                v = upper;
            }
            v
        }
    };
    let start = fix(start, if step < 0 { upper } else { lower });
    let stop = fix(stop, if step < 0 { lower } else { upper });
    let mut out = Vec::new();
    let mut i = start;
    while (step > 0 && i < stop) || (step < 0 && i > stop) {
        out.push(i as usize);
        i += step;
    }
    Some(out)
}

impl Model {
    fn of(l: &StridedLayout) -> Model {
        let shape = l.shape().to_vec();
        let mut offsets = Vec::new();
        let n: usize = shape.iter().product();
        for k in 0..n {
            let mut rest = k;
            let mut off = l.offset() as i128;
            for d in (0..shape.len()).rev() {
                off += (rest % shape[d]) as i128 * l.strides()[d] as i128;
                rest /= shape[d];
            }
            offsets.push(off);
        }
        Model { shape, offsets }
    }

    fn strides(&self) -> Vec<usize> {
        let mut s = vec![1usize; self.shape.len()];
        for d in (0..self.shape.len().saturating_sub(1)).rev() {
            s[d] = s[d + 1] * self.shape[d + 1];
        }
        s
    }

    /// NumPy basic indexing; `None` where NumPy raises.
    fn apply(&self, key: &[Index]) -> Option<Model> {
        let ellipses = key.iter().filter(|k| matches!(k, Index::Ellipsis)).count();
        let consuming = key.iter().filter(|k| matches!(k, Index::At(_) | Index::Slice(_))).count();
        if ellipses > 1 || consuming > self.shape.len() {
            return None;
        }
        // Per source dimension: the positions kept, and whether the dimension stays.
        let mut picks: Vec<(Vec<usize>, bool)> = Vec::new();
        let mut out_dims: Vec<Option<usize>> = Vec::new(); // Some(source dim) or None for a new axis
        let mut dim = 0;
        let mut full = |dim: usize, picks: &mut Vec<(Vec<usize>, bool)>, out: &mut Vec<Option<usize>>| {
            picks.push(((0..self.shape[dim]).collect(), true));
            out.push(Some(dim));
        };
        for k in key {
            match k {
                Index::At(i) => {
                    let n = self.shape[dim] as isize;
                    let j = if *i < 0 { i + n } else { *i };
                    if j < 0 || j >= n {
                        return None;
                    }
                    picks.push((vec![j as usize], false));
                    dim += 1;
                }
                Index::Slice(s) => {
                    picks.push((py_slice(self.shape[dim], s.start, s.stop, s.step)?, true));
                    out_dims.push(Some(dim));
                    dim += 1;
                }
                Index::Ellipsis => {
                    for _ in 0..self.shape.len() - consuming {
                        full(dim, &mut picks, &mut out_dims);
                        dim += 1;
                    }
                }
                Index::NewAxis => out_dims.push(None),
            }
        }
        while dim < self.shape.len() {
            full(dim, &mut picks, &mut out_dims);
            dim += 1;
        }
        let strides = self.strides();
        let mut offsets = Vec::new();
        let total: usize = picks.iter().map(|p| p.0.len()).product();
        for k in 0..total {
            let mut rest = k;
            let mut flat = 0usize;
            for (d, (p, _)) in picks.iter().enumerate().rev() {
                flat += p[rest % p.len()] * strides[d];
                rest /= p.len();
            }
            offsets.push(self.offsets[flat]);
        }
        let shape = out_dims.iter().map(|d| d.map_or(1, |d| picks[d].0.len())).collect();
        Some(Model { shape, offsets })
    }

    fn permute(&self, axes: &[usize]) -> Option<Model> {
        let n = self.shape.len();
        let mut seen = vec![false; n];
        if axes.len() != n || axes.iter().any(|&a| a >= n || std::mem::replace(&mut seen[a], true)) {
            return None;
        }
        let shape: Vec<usize> = axes.iter().map(|&a| self.shape[a]).collect();
        let strides = self.strides();
        let total: usize = shape.iter().product();
        let mut offsets = Vec::with_capacity(total);
        for k in 0..total {
            let mut rest = k;
            let mut flat = 0;
            for d in (0..n).rev() {
                flat += (rest % shape[d]) * strides[axes[d]];
                rest /= shape[d];
            }
            offsets.push(self.offsets[flat]);
        }
        Some(Model { shape, offsets })
    }
}

/// Errors the model cannot predict: sizes past `isize`, and refusals of the layout math that
/// NumPy shares (a reshape that needs a copy is checked separately).
fn tolerated(e: &LayoutError) -> bool {
    matches!(e, LayoutError::Overflow(_) | LayoutError::TooManyDims | LayoutError::NoMemory(_))
}

fuzz_target!(|data: &[u8]| {
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
