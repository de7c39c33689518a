//! MemoryView benchmarks, each group with its practical limit.
// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use memview::{Index, Key, MemoryView, Slice};

fn step(k: isize) -> Index {
    Index::Slice(Slice::new(None, None, Some(k)))
}

fn to_bytes(c: &mut Criterion) {
    let n = 4096;
    let mem: Vec<u8> = (0..n * n).map(|i| i as u8).collect();
    let m = MemoryView::new(&mem).unwrap().cast_shape("B", &[n, n]).unwrap();
    let v = m.view(Key::tuple([step(2), step(2)])).unwrap();
    let out_len = v.nbytes();
    let mut sink = vec![0u8; out_len];
    let mut g = c.benchmark_group("memview/to_bytes_4096x4096[::2,::2]");
    g.throughput(Throughput::Bytes(out_len as u64));
    g.sample_size(20);
    g.bench_function("to_bytes", |b| b.iter(|| black_box(v.to_bytes().unwrap())));
    let layout = v.layout().clone();
    g.bench_function("strided_kernel", |b| {
        b.iter(|| {
            let mut out = vec![0u8; out_len];
            strided::copy_to_contiguous(&mem, &layout, strided::Order::C, &mut out).unwrap();
            black_box(out)
        })
    });
    g.bench_function("memcpy_of_output_size", |b| b.iter(|| sink.copy_from_slice(black_box(&mem[..out_len]))));
    g.finish();
}

/// A fresh zeroed `Vec<f64>` advised for huge pages before the first write
/// (`memview::advise_huge_pages`): the allocation policy of memview's large outputs, for
/// references that are like for like with it.
fn fresh_advised(n: usize) -> Vec<f64> {
    let mut v = vec![0.0f64; n];
    memview::advise_huge_pages(&mut v);
    v
}

/// The 32×32-blocked hand transpose of an `n × n` matrix into `out`.
fn blocked_transpose(src: &[f64], out: &mut [f64], n: usize) {
    const B: usize = 32;
    for i0 in (0..n).step_by(B) {
        for j0 in (0..n).step_by(B) {
            for i in i0..i0 + B {
                for j in j0..j0 + B {
                    out[i * n + j] = src[j * n + i];
                }
            }
        }
    }
}

/// `to_bytes()` of a transposed 2048² `f64` view beside a 32×32-blocked hand transpose, both
/// writing a fresh output: zeroed by the allocator (the hand loop's plain `vec!`), and with
/// the same huge-page advice memview's outputs get (like for like with `to_bytes`).
fn to_bytes_transpose(c: &mut Criterion) {
    let n = 2048;
    let data: Vec<f64> = (0..n * n).map(|i| i as f64).collect();
    let m = MemoryView::new(&data).unwrap().cast("B").unwrap().cast_shape("d", &[n, n]).unwrap();
    let t = m.transpose().unwrap();
    let mut g = c.benchmark_group("memview/to_bytes_2048x2048_d.T");
    g.throughput(Throughput::Bytes((n * n * 8) as u64));
    g.sample_size(20);
    g.bench_function("to_bytes", |b| b.iter(|| black_box(t.to_bytes().unwrap())));
    g.bench_function("hand_loop_blocked_fresh", |b| {
        b.iter(|| {
            let mut out = vec![0.0f64; n * n];
            blocked_transpose(black_box(&data), &mut out, n);
            black_box(out)
        })
    });
    g.bench_function("hand_loop_blocked_fresh_advised", |b| {
        b.iter(|| {
            let mut out = fresh_advised(n * n);
            blocked_transpose(black_box(&data), &mut out, n);
            black_box(out)
        })
    });
    g.finish();
}

fn to_list(c: &mut Criterion) {
    let n = 4_000_000;
    let data: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let m = MemoryView::new(&data).unwrap();
    let bytes: Vec<u8> = data.iter().flat_map(|x| x.to_ne_bytes()).collect();
    let mut g = c.benchmark_group("memview/to_list_4M_d");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);
    g.bench_function("to_list", |b| b.iter(|| black_box(m.to_list().unwrap())));
    let t = m.typed::<f64>().unwrap();
    g.bench_function("typed_to_vec", |b| b.iter(|| black_box(t.to_vec().unwrap())));
    g.bench_function("collect_vec_f64", |b| {
        b.iter(|| {
            black_box(&bytes)
                .chunks_exact(8)
                .map(|c| f64::from_ne_bytes(c.try_into().unwrap_or([0; 8])))
                .collect::<Vec<f64>>()
        })
    });
    g.finish();
}

fn typed_for_loop(c: &mut Criterion) {
    // A `for` loop calls `next` item by item (never `fold`): the typed iterator beside a
    // slice iterator, over contiguous memory and over every other item of it.
    let n = 1 << 20;
    let data: Vec<i64> = (0..n as i64).map(|i| i % 977).collect();
    let m = MemoryView::new(&data).unwrap();
    let mut g = c.benchmark_group("memview/typed_for_loop_1M_q");
    g.throughput(Throughput::Elements(n as u64));
    let t = m.typed::<i64>().unwrap();
    // Integer sums with a data-dependent branch, so neither side vectorizes away the loop.
    let body = |acc: &mut i64, x: i64| {
        if x & 1 == 0 {
            *acc = acc.wrapping_add(x);
        } else {
            *acc ^= x;
        }
    };
    g.bench_function("typed_iter", |b| {
        b.iter(|| {
            let mut acc = 0;
            for x in black_box(&t).iter() {
                body(&mut acc, x);
            }
            acc
        })
    });
    g.bench_function("slice_iter", |b| {
        b.iter(|| {
            let mut acc = 0;
            for &x in black_box(&data).iter() {
                body(&mut acc, x);
            }
            acc
        })
    });
    let every_other = m.view(memview::s![..;2]).unwrap();
    let t2 = every_other.typed::<i64>().unwrap();
    g.bench_function("typed_iter_[::2]", |b| {
        b.iter(|| {
            let mut acc = 0;
            for x in black_box(&t2).iter() {
                body(&mut acc, x);
            }
            acc
        })
    });
    g.bench_function("slice_step_by_2", |b| {
        b.iter(|| {
            let mut acc = 0;
            for &x in black_box(&data).iter().step_by(2) {
                body(&mut acc, x);
            }
            acc
        })
    });
    g.finish();
}

fn typed_sum(c: &mut Criterion) {
    let n = 2048;
    let data: Vec<f64> = (0..n * n).map(|i| (i % 1000) as f64).collect();
    let m = MemoryView::new(&data).unwrap().cast("B").unwrap().cast_shape("d", &[n, n]).unwrap();
    let v = m.view(Key::tuple([Index::Slice(Slice::full()), step(3)])).unwrap();
    let nd = ndarray::Array2::from_shape_vec((n, n), data.clone()).unwrap();
    let cols = n.div_ceil(3);
    let mut g = c.benchmark_group("memview/typed_sum_2048x2048_d[:, ::3]");
    g.throughput(Throughput::Elements((n * cols) as u64));
    g.sample_size(20);
    let t = v.typed::<f64>().unwrap();
    g.bench_function("typed_view", |b| b.iter(|| black_box(t.sum())));
    g.bench_function("hand_loop", |b| {
        b.iter(|| {
            let d = black_box(&data);
            let mut acc = 0.0;
            for i in 0..n {
                let row = &d[i * n..(i + 1) * n];
                let mut j = 0;
                while j < n {
                    acc += row[j];
                    j += 3;
                }
            }
            acc
        })
    });
    g.bench_function("ndarray_sum", |b| b.iter(|| black_box(nd.slice(ndarray::s![.., ..;3]).sum())));
    g.finish();
}

/// Items in the other byte order (`>d` on a little-endian host: a big-endian `.npy` file),
/// read through `Be<f64>` (one swap per item), beside the native typed path over the same
/// number of items and a hand loop of `from_be_bytes`.
fn typed_swapped(c: &mut Criterion) {
    let n = 1 << 20;
    let native: Vec<f64> = (0..n).map(|i| (i % 1000) as f64).collect();
    let be_bytes: Vec<u8> = native.iter().flat_map(|x| x.to_be_bytes()).collect();
    let m = MemoryView::new(&native).unwrap();
    let be = MemoryView::from_bytes(&be_bytes)
        .reinterpret(">d", memview::StridedLayout::contiguous(8, &[n]).unwrap())
        .unwrap();
    let mut g = c.benchmark_group("memview/typed_sum_1M_>d");
    g.throughput(Throughput::Elements(n as u64));
    let t = m.typed::<f64>().unwrap();
    let tb = be.typed::<memview::Be<f64>>().unwrap();
    g.bench_function("native_typed_sum", |b| b.iter(|| black_box(t.iter().sum::<f64>())));
    g.bench_function("be_typed_sum", |b| b.iter(|| black_box(tb.iter().map(memview::Be::get).sum::<f64>())));
    g.bench_function("hand_loop_from_be_bytes", |b| {
        b.iter(|| black_box(&be_bytes).chunks_exact(8).map(|c| f64::from_be_bytes(c.try_into().unwrap())).sum::<f64>())
    });
    g.finish();
}

fn hex(c: &mut Criterion) {
    let n = 16 << 20;
    let mem: Vec<u8> = (0..n).map(|i| (i * 31) as u8).collect();
    let m = MemoryView::new(&mem).unwrap();
    let mut g = c.benchmark_group("memview/hex_16MiB");
    g.throughput(Throughput::Bytes(n as u64));
    g.sample_size(10);
    g.bench_function("hex", |b| b.iter(|| black_box(m.hex().unwrap())));
    let mut reused = String::new();
    g.bench_function("hex_into_reused", |b| b.iter(|| m.hex_into(black_box(&mut reused), None, 1).unwrap()));
    g.bench_function("hex_sep_colon_2", |b| b.iter(|| black_box(m.hex_with(Some(':'), 2).unwrap())));
    let table: Vec<[u8; 2]> = (0..256u16)
        .map(|b| {
            let h = b"0123456789abcdef";
            [h[usize::from(b >> 4)], h[usize::from(b & 15)]]
        })
        .collect();
    let mut out = vec![0u8; 2 * n];
    g.bench_function("lookup_table_prealloc", |b| {
        b.iter(|| {
            for (o, &x) in out.chunks_exact_mut(2).zip(black_box(&mem)) {
                o.copy_from_slice(&table[usize::from(x)]);
            }
        })
    });
    g.finish();
}

fn equality(c: &mut Criterion) {
    let n = 16 << 20;
    let a: Vec<u8> = (0..n).map(|i| i as u8).collect();
    let b2 = a.clone();
    let (ma, mb) = (MemoryView::new(&a).unwrap(), MemoryView::new(&b2).unwrap());
    let mut g = c.benchmark_group("memview/eq_16MiB_bytes");
    g.throughput(Throughput::Bytes(n as u64));
    g.sample_size(10);
    g.bench_function("view_eq", |b| b.iter(|| black_box(ma == mb)));
    g.bench_function("memcmp", |b| b.iter(|| black_box(black_box(&a) == black_box(&b2))));
    g.finish();

    let k = 4 << 20;
    let ints: Vec<i32> = (0..k).collect();
    let longs: Vec<i64> = (0..k).map(i64::from).collect();
    let (mi, ml) = (MemoryView::new(&ints).unwrap(), MemoryView::new(&longs).unwrap());
    let mut g = c.benchmark_group("memview/eq_4M_i_vs_q");
    g.throughput(Throughput::Elements(k as u64));
    g.sample_size(10);
    g.bench_function("view_eq", |b| b.iter(|| black_box(mi == ml)));
    g.bench_function("hand_loop", |b| {
        b.iter(|| black_box(&ints).iter().zip(black_box(&longs)).all(|(&x, &y)| i64::from(x) == y))
    });
    g.finish();
    // Every other item of each: compared where they lie, run by run.
    let (si, sl) = (mi.view(memview::s![..;2]).unwrap(), ml.view(memview::s![..;2]).unwrap());
    let mut g = c.benchmark_group("memview/eq_4M_i_vs_q[::2]");
    g.throughput(Throughput::Elements(k as u64 / 2));
    g.sample_size(10);
    g.bench_function("view_eq", |b| b.iter(|| black_box(si == sl)));
    g.bench_function("hand_loop", |b| {
        b.iter(|| {
            black_box(&ints)
                .iter()
                .step_by(2)
                .zip(black_box(&longs).iter().step_by(2))
                .all(|(&x, &y)| i64::from(x) == y)
        })
    });
    g.finish();
}

fn random_get(c: &mut Criterion) {
    let n = 1 << 20;
    let data: Vec<i32> = (0..n).collect();
    let m = MemoryView::new(&data).unwrap();
    let idx: Vec<isize> = (0..1000u64).map(|i| ((i * 2654435761) % n as u64) as isize).collect();
    let mut g = c.benchmark_group("memview/random_get_1M_i");
    g.throughput(Throughput::Elements(idx.len() as u64));
    g.bench_function("get", |b| b.iter(|| idx.iter().map(|&i| m.get([i]).map(|_| 1).unwrap_or(0)).sum::<usize>()));
    let t = m.typed::<i32>().unwrap();
    g.bench_function("typed_get", |b| b.iter(|| idx.iter().map(|&i| i64::from(t.get([i]).unwrap_or(0))).sum::<i64>()));
    g.bench_function("slice_index", |b| {
        b.iter(|| idx.iter().map(|&i| i64::from(black_box(&data)[i as usize])).sum::<i64>())
    });
    g.finish();
}

/// Uses `value` where the optimiser cannot see, then drops it.
fn keep<T>(value: T) {
    std::hint::black_box(&value);
}

fn make_view(c: &mut Criterion) {
    let data: Vec<u8> = (0..1024).map(|i| i as u8).collect();
    let m = MemoryView::from_bytes(&data);
    // What moves per operation: a view made, a layout cloned, an item returned.
    println!(
        "memview/make_view_1KiB: size_of MemoryView {} B, StridedLayout {} B, Value {} B",
        std::mem::size_of::<MemoryView<'static>>(),
        std::mem::size_of::<memview::StridedLayout>(),
        std::mem::size_of::<memview::Value>()
    );
    let mut g = c.benchmark_group("memview/make_view_1KiB");
    g.throughput(Throughput::Elements(1));
    // Each routine makes the view, lets the optimiser see it used, and drops it, as
    // CPython's `m[1::2]` makes and frees its object. The routines return nothing: criterion
    // 0.5's stable `black_box` copies a returned value with volatile reads, which for a
    // 224-byte view doubled the measured time without being part of the operation.
    g.bench_function("from_bytes", |b| b.iter(|| keep(MemoryView::from_bytes(black_box(&data)))));
    g.bench_function("view_1::2", |b| b.iter(|| keep(black_box(&m).view(memview::s![1..;2]).unwrap())));
    g.bench_function("slice_1..", |b| b.iter(|| keep(black_box(&m).slice(1..).unwrap())));
    // The borrowed view of the same selection (no reference counted), and the owned and
    // borrowed views of a counted acquisition (a `Vec`'s, held in an `Rc`).
    g.bench_function("view_ref_1::2", |b| b.iter(|| keep(black_box(&m).view_ref(memview::s![1..;2]).unwrap())));
    // A fixed-rank typed view (made once) and its slice: the same selection by ndarray's
    // arithmetic, beside ndarray's own below.
    let typed = m.typed::<u8>().unwrap();
    let fixed = typed.fixed::<1>().unwrap();
    g.bench_function("fixed_slice_1::2", |b| {
        b.iter(|| keep(black_box(&fixed).slice_axis(0, memview::Slice::stepped(1.., 2)).unwrap()))
    });
    let counted = MemoryView::new(&data).unwrap();
    g.bench_function("acquired/view_1::2", |b| b.iter(|| keep(black_box(&counted).view(memview::s![1..;2]).unwrap())));
    g.bench_function("acquired/view_ref_1::2", |b| {
        b.iter(|| keep(black_box(&counted).view_ref(memview::s![1..;2]).unwrap()))
    });
    let nd = ndarray::ArrayView1::from(&data[..]);
    g.bench_function("ndarray_slice_1::2", |b| b.iter(|| keep(black_box(&nd).slice(ndarray::s![1..;2]))));
    g.finish();
}

fn random_get_2d(c: &mut Criterion) {
    let n = 1024usize;
    let data: Vec<i32> = (0..(n * n) as i32).collect();
    let m = MemoryView::new(&data).unwrap().cast("B").unwrap().cast_shape("i", &[n, n]).unwrap();
    let idx: Vec<(isize, isize)> = (0..1000u64)
        .map(|i| {
            let k = (i * 2654435761) % (n * n) as u64;
            ((k / n as u64) as isize, (k % n as u64) as isize)
        })
        .collect();
    let mut g = c.benchmark_group("memview/random_get_1024x1024_i");
    g.throughput(Throughput::Elements(idx.len() as u64));
    g.bench_function("get", |b| {
        b.iter(|| idx.iter().map(|&(i, j)| m.get((i, j)).ok().and_then(|v| v.as_i64()).unwrap_or(0)).sum::<i64>())
    });
    let t = m.typed::<i32>().unwrap();
    g.bench_function("typed_get", |b| {
        b.iter(|| idx.iter().map(|&(i, j)| i64::from(t.get([i, j]).unwrap_or(0))).sum::<i64>())
    });
    g.bench_function("slice_index", |b| {
        b.iter(|| idx.iter().map(|&(i, j)| i64::from(black_box(&data)[i as usize * n + j as usize])).sum::<i64>())
    });
    let nd = ndarray::ArrayView2::from_shape((n, n), &data[..]).unwrap();
    g.bench_function("ndarray_get", |b| {
        b.iter(|| idx.iter().map(|&(i, j)| i64::from(black_box(&nd)[[i as usize, j as usize]])).sum::<i64>())
    });
    g.finish();
}

fn eq_byte_orders(c: &mut Criterion) {
    let n = 2 << 20;
    let values: Vec<f64> = (0..n).map(|i| i as f64 * 0.5).collect();
    let le: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let be: Vec<u8> = values.iter().flat_map(|v| v.to_be_bytes()).collect();
    let a = memview::NdArray::builder(le.clone(), "<d").build().unwrap();
    let b2 = memview::NdArray::builder(be.clone(), ">d").build().unwrap();
    let (ma, mb) = (MemoryView::new(&a).unwrap(), MemoryView::new(&b2).unwrap());
    let mut g = c.benchmark_group("memview/eq_2M_<d_vs_>d");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);
    g.bench_function("view_eq", |b| b.iter(|| black_box(ma == mb)));
    g.bench_function("hand_swap_loop", |b| {
        b.iter(|| {
            black_box(&le).chunks_exact(8).zip(black_box(&be).chunks_exact(8)).all(|(x, y)| {
                let x = f64::from_le_bytes(x.try_into().unwrap_or([0; 8]));
                let y = f64::from_be_bytes(y.try_into().unwrap_or([0; 8]));
                x == y
            })
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    to_bytes_transpose,
    typed_swapped,
    to_bytes,
    to_list,
    typed_for_loop,
    typed_sum,
    hex,
    equality,
    random_get,
    make_view,
    random_get_2d,
    eq_byte_orders
);
criterion_main!(benches);
