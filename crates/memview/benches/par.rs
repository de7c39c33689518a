//! Parallel work on one view (the `rayon` feature), each group with the serial path and
//! ndarray's parallel equivalent (its `rayon` feature) beside it: both sides allocate their
//! outputs alike (zeroed memory from the allocator) and do the same arithmetic.
// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use memview::{s, Key, MemoryView};
use ndarray::parallel::prelude::*;
use ndarray::{Array1, Array2, Zip};
use rayon::prelude::*;

const N: usize = 1 << 24; // 16M items: 128 MiB of f64, far beyond the caches

fn sum(c: &mut Criterion) {
    let data: Vec<f64> = (0..N).map(|i| (i % 1000) as f64).collect();
    let m = MemoryView::new(&data).unwrap();
    let t = m.typed::<f64>().unwrap();
    let nd = Array1::from_vec(data.clone());
    let mut g = c.benchmark_group("par/sum_16M_d");
    g.throughput(Throughput::Bytes((N * 8) as u64));
    g.sample_size(20);
    g.bench_function("serial", |b| b.iter(|| black_box(t.sum())));
    g.bench_function("par", |b| b.iter(|| black_box(t.par_sum())));
    g.bench_function("ndarray_par", |b| b.iter(|| black_box(nd.par_iter().copied().sum::<f64>())));
    g.finish();
}

fn map_inplace(c: &mut Criterion) {
    let mut data: Vec<f64> = (0..N).map(|i| i as f64).collect();
    let mut nd = Array1::from_vec(data.clone());
    let mut g = c.benchmark_group("par/map_inplace_16M_d");
    g.throughput(Throughput::Bytes((N * 8) as u64));
    g.sample_size(20);
    {
        let m = MemoryView::from_mut_slice(&mut data);
        let t = m.typed::<f64>().unwrap();
        g.bench_function("serial", |b| b.iter(|| t.map_inplace(|x| x * 0.5 + 1.0).unwrap()));
        g.bench_function("par", |b| b.iter(|| t.par_map_inplace(|x| x * 0.5 + 1.0).unwrap()));
    }
    g.bench_function("ndarray_par", |b| b.iter(|| nd.par_map_inplace(|x| *x = *x * 0.5 + 1.0)));
    g.finish();
}

fn to_bytes(c: &mut Criterion) {
    // A contiguous copy (memory bound) and a transpose (the blocked kernel) of 128 MiB.
    let side = 1 << 12;
    let data: Vec<f64> = (0..side * side).map(|i| i as f64).collect();
    let m = MemoryView::new(&data).unwrap().cast("B").unwrap().cast_shape("d", &[side, side]).unwrap();
    let t = m.transpose().unwrap();
    let nd = Array2::from_shape_vec((side, side), data.clone()).unwrap();
    let mut g = c.benchmark_group("par/to_bytes_4096x4096_d");
    g.throughput(Throughput::Bytes((side * side * 8) as u64));
    g.sample_size(10);
    g.bench_function("serial", |b| b.iter(|| black_box(m.to_bytes().unwrap())));
    g.bench_function("par", |b| b.iter(|| black_box(m.par_to_bytes().unwrap())));
    g.bench_function("ndarray_par", |b| {
        b.iter(|| {
            let mut out = Array2::<f64>::zeros((side, side));
            Zip::from(&mut out).and(&nd).par_for_each(|o, &x| *o = x);
            black_box(out)
        })
    });
    g.bench_function("par_memcpy", |b| {
        b.iter(|| {
            let mut out = vec![0.0f64; side * side];
            out.par_chunks_mut(1 << 16).zip(data.par_chunks(1 << 16)).for_each(|(o, i)| o.copy_from_slice(i));
            black_box(out)
        })
    });
    g.finish();
    let mut g = c.benchmark_group("par/to_bytes_4096x4096_d.T");
    g.throughput(Throughput::Bytes((side * side * 8) as u64));
    g.sample_size(10);
    g.bench_function("serial", |b| b.iter(|| black_box(t.to_bytes().unwrap())));
    g.bench_function("par", |b| b.iter(|| black_box(t.par_to_bytes().unwrap())));
    g.bench_function("ndarray_par", |b| {
        b.iter(|| {
            let mut out = Array2::<f64>::zeros((side, side));
            Zip::from(&mut out).and(nd.t()).par_for_each(|o, &x| *o = x);
            black_box(out)
        })
    });
    g.finish();
}

fn copy_from(c: &mut Criterion) {
    // dst[::2] = src: a strided destination, 64 MiB copied.
    let src: Vec<f64> = (0..N / 2).map(|i| i as f64).collect();
    let mut dst = vec![0.0f64; N];
    let nd_src = Array1::from_vec(src.clone());
    let mut nd_dst = Array1::<f64>::zeros(N);
    let mut g = c.benchmark_group("par/copy_from_8M_d_to[::2]");
    g.throughput(Throughput::Bytes((N / 2 * 8) as u64));
    g.sample_size(20);
    {
        let from = MemoryView::new(&src).unwrap();
        let to = MemoryView::from_mut_slice(&mut dst);
        let every_other = to.view(s![..;2]).unwrap();
        g.bench_function("serial", |b| b.iter(|| every_other.assign(Key::ellipsis(), &from).unwrap()));
        g.bench_function("par", |b| b.iter(|| every_other.par_copy_from(&from).unwrap()));
    }
    g.bench_function("ndarray_par", |b| {
        b.iter(|| Zip::from(nd_dst.slice_mut(ndarray::s![..;2])).and(&nd_src).par_for_each(|d, &x| *d = x))
    });
    g.finish();
}

criterion_group!(benches, sum, map_inplace, to_bytes, copy_from);
criterion_main!(benches);
