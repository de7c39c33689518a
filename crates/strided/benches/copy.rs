//! Copy-kernel benchmarks, each group with its peers like for like: the kernel into a reused
//! buffer beside `ndarray`'s `assign` into a reused array, the kernel into a fresh buffer
//! beside `ndarray`'s allocating `as_standard_layout()`, and `copy_from_slice` of the source
//! bytes the gather reads (the memory bandwidth limit).
// Benchmarks sum their results freely (the crate's clippy.toml forbids it in library code).
#![allow(clippy::disallowed_methods)]
// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use ndarray::{s, Array1, Array2};
use strided::{copy_to_contiguous, Index, Order, Slice, StridedLayout};

fn every_other() -> Index {
    Index::Slice(Slice::new(None, None, Some(2)))
}

/// One group, like for like: the kernel into a reused buffer beside ndarray's `assign` into a
/// reused array, the kernel into a fresh buffer beside ndarray's allocating
/// `as_standard_layout().into_owned()`, and a `memcpy` of the bytes the gather reads.
fn group(
    c: &mut Criterion,
    name: &str,
    (mem, layout, read): (&[u8], &StridedLayout, usize),
    samples: usize,
    mut ndarray_reused: impl FnMut(),
    mut ndarray_fresh: impl FnMut(),
) {
    let mut out = vec![0u8; layout.nbytes()];
    let mut sink = vec![0u8; read];
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(layout.nbytes() as u64));
    g.sample_size(samples);
    g.bench_function("strided", |b| b.iter(|| copy_to_contiguous(black_box(mem), layout, Order::C, &mut out).unwrap()));
    g.bench_function("ndarray_assign_into_reused", |b| b.iter(&mut ndarray_reused));
    g.bench_function("strided_fresh", |b| {
        b.iter(|| {
            let mut out = vec![0u8; layout.nbytes()];
            copy_to_contiguous(black_box(mem), layout, Order::C, &mut out).unwrap();
            out
        })
    });
    g.bench_function("ndarray_as_standard_layout", |b| b.iter(&mut ndarray_fresh));
    g.bench_function("memcpy_of_bytes_read", |b| b.iter(|| sink.copy_from_slice(black_box(&mem[..read]))));
    g.finish();
}

fn gather_2d(c: &mut Criterion) {
    let n = 4096;
    let mem: Vec<u8> = (0..n * n).map(|i| i as u8).collect();
    let layout = StridedLayout::contiguous(1, &[n, n]).unwrap().apply(&[every_other(), every_other()]).unwrap();
    let nd = Array2::from_shape_vec((n, n), mem.clone()).unwrap();
    let mut reused = Array2::<u8>::zeros((n / 2, n / 2));
    // The gather reads every other row in full: n/2 rows of n bytes.
    let read = n / 2 * n;
    group(
        c,
        "strided/gather_4096x4096_u8[::2,::2]",
        (&mem, &layout, read),
        20,
        || reused.assign(&nd.slice(s![..;2, ..;2])),
        || drop(black_box(nd.slice(s![..;2, ..;2]).as_standard_layout().into_owned())),
    );
}

fn transpose(c: &mut Criterion) {
    let n = 2048;
    let data: Vec<f64> = (0..n * n).map(|i| i as f64).collect();
    let mem: Vec<u8> = data.iter().flat_map(|x| x.to_ne_bytes()).collect();
    let layout = StridedLayout::contiguous(8, &[n, n]).unwrap().transpose().unwrap();
    let nd = Array2::from_shape_vec((n, n), data).unwrap();
    let mut reused = Array2::<f64>::zeros((n, n));
    group(
        c,
        "strided/transpose_2048x2048_f64",
        (&mem, &layout, mem.len()),
        10,
        || reused.assign(&nd.t()),
        || drop(black_box(nd.t().as_standard_layout().into_owned())),
    );
}

fn permute_3d(c: &mut Criterion) {
    let n = 256;
    let data: Vec<f32> = (0..n * n * n).map(|i| i as f32).collect();
    let mem: Vec<u8> = data.iter().flat_map(|x| x.to_ne_bytes()).collect();
    let layout = StridedLayout::contiguous(4, &[n, n, n]).unwrap().permute(&[2, 0, 1]).unwrap();
    let nd = ndarray::Array3::from_shape_vec((n, n, n), data).unwrap();
    let mut reused = ndarray::Array3::<f32>::zeros((n, n, n));
    group(
        c,
        "strided/permute_256^3_f32_(2,0,1)",
        (&mem, &layout, mem.len()),
        10,
        || reused.assign(&nd.view().permuted_axes([2, 0, 1])),
        || drop(black_box(nd.view().permuted_axes([2, 0, 1]).as_standard_layout().into_owned())),
    );
}

fn gather_1d(c: &mut Criterion) {
    let n = 16 << 20;
    let mem: Vec<u8> = (0..n).map(|i| i as u8).collect();
    let layout = StridedLayout::contiguous(1, &[n]).unwrap().apply(&[every_other()]).unwrap();
    let nd = Array1::from_vec(mem.clone());
    let mut reused = Array1::<u8>::zeros(n / 2);
    group(
        c,
        "strided/gather_16MiB_u8[::2]",
        (&mem, &layout, n),
        10,
        || reused.assign(&nd.slice(s![..;2])),
        || drop(black_box(nd.slice(s![..;2]).as_standard_layout().into_owned())),
    );
}

criterion_group!(benches, gather_2d, transpose, gather_1d, permute_3d);
criterion_main!(benches);
