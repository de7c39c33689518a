//! The naive model the `layout` and `view` targets share: the byte offset of every item of
//! a layout, in C order, kept as a list, and NumPy's basic indexing and permutations
//! computed on it longhand (Python's slice rules written out), never with the layout math
//! under test.
#![allow(dead_code)]

use strided::{Index, StridedLayout};

/// The model: the byte offset of every item, in C order, and the shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub shape: Vec<usize>,
    pub offsets: Vec<i128>,
}

/// Python's `range(*slice(start, stop, step).indices(len))`, longhand.
pub fn py_slice(len: usize, start: Option<isize>, stop: Option<isize>, step: Option<isize>) -> Option<Vec<usize>> {
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
    pub fn of(l: &StridedLayout) -> Model {
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

    pub fn strides(&self) -> Vec<usize> {
        let mut s = vec![1usize; self.shape.len()];
        for d in (0..self.shape.len().saturating_sub(1)).rev() {
            s[d] = s[d + 1] * self.shape[d + 1];
        }
        s
    }

    /// NumPy basic indexing; `None` where NumPy raises.
    pub fn apply(&self, key: &[Index]) -> Option<Model> {
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

    pub fn permute(&self, axes: &[usize]) -> Option<Model> {
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
