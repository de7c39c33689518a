//! Format-codec benchmarks: decoding a million `<IhdQ` records three ways (the `Value` path,
//! the typed path, and a hand-written loop, the practical limit), and parsing formats.
// Benchmarks sum their results freely (the crate's clippy.toml forbids it in library code).
#![allow(clippy::disallowed_methods)]
// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use format_codec::{Struct, Value};

const RECORDS: usize = 1_000_000;

fn records() -> Vec<u8> {
    let s = Struct::new("<IhdQ").unwrap();
    let mut out = Vec::with_capacity(RECORDS * s.size());
    for i in 0..RECORDS as i64 {
        out.extend(
            s.pack(&[Value::Int(i), Value::Int(i % 300 - 150), Value::Float(i as f64 * 0.5), Value::Int(i * 7)])
                .unwrap(),
        );
    }
    out
}

fn decode(c: &mut Criterion) {
    let data = records();
    let s = Struct::new("<IhdQ").unwrap();
    let mut g = c.benchmark_group("format-codec/decode_1M_<IhdQ");
    g.throughput(Throughput::Elements(RECORDS as u64));
    g.sample_size(10);
    g.bench_function("hand_loop", |b| {
        b.iter(|| {
            let mut acc = 0f64;
            for rec in black_box(&data).chunks_exact(22) {
                let a = u32::from_le_bytes([rec[0], rec[1], rec[2], rec[3]]);
                let h = i16::from_le_bytes([rec[4], rec[5]]);
                let mut d = [0u8; 8];
                d.copy_from_slice(&rec[6..14]);
                let mut q = [0u8; 8];
                q.copy_from_slice(&rec[14..22]);
                acc += f64::from(a) + f64::from(h) + f64::from_le_bytes(d) + u64::from_le_bytes(q) as f64;
            }
            acc
        })
    });
    let typed = s.typed::<(u32, i16, f64, u64)>().unwrap();
    // The same sum as the hand loop's, one addition to the accumulator per record: the
    // accumulator's chain of additions, not the decoding, bounds a loop that adds each
    // field to it in turn (four dependent additions per record).
    g.bench_function("typed_path", |b| {
        b.iter(|| {
            typed
                .iter(black_box(&data))
                .unwrap()
                .fold(0f64, |acc, (a, h, d, q)| acc + (f64::from(a) + f64::from(h) + d + q as f64))
        })
    });
    g.bench_function("value_path", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for row in s.iter_unpack(black_box(&data)).unwrap() {
                n += row.unwrap().len();
            }
            n
        })
    });
    g.bench_function("value_path_reused_row", |b| {
        b.iter(|| {
            let mut row = Vec::with_capacity(4);
            let mut n = 0usize;
            for rec in black_box(&data).chunks_exact(s.size()) {
                s.unpack_into(rec, &mut row).unwrap();
                n += row.len();
            }
            n
        })
    });
    g.finish();
}

fn parse(c: &mut Criterion) {
    let codes = ["b", "B", "h", "H", "i", "I", "q", "Q", "e", "f", "d", "?", "c", "4s", "2x"];
    let prefixes = ["@", "=", "<", ">", "!"];
    let formats: Vec<String> = (0..1000)
        .map(|i| {
            let mut f = prefixes[i % 5].to_string();
            for k in 0..4 {
                f.push_str(codes[(i / 5 + k * 7 + i * k) % codes.len()]);
            }
            f.push_str(&(i % 10).to_string());
            f.push('i');
            f
        })
        .collect();
    let mut g = c.benchmark_group("format-codec/parse");
    g.throughput(Throughput::Elements(formats.len() as u64));
    g.bench_function("1000_distinct_formats", |b| {
        b.iter(|| formats.iter().map(|f| Struct::new(black_box(f)).map(|s| s.size()).unwrap_or(0)).sum::<usize>())
    });
    g.finish();
}

criterion_group!(benches, decode, parse);
criterion_main!(benches);
