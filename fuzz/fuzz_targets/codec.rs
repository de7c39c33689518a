//! Format parse + pack/unpack round trip, struct and PEP 3118 grammars: any input is a
//! format (and bytes); nothing may panic, abort or run away, and what unpacks packs back.
#![no_main]

use format_codec::{Layout, Struct};
use libfuzzer_sys::fuzz_target;

/// Sizes at the edges of what a format may describe.
const EDGES: [u64; 6] = [i64::MAX as u64, 1 << 62, 1 << 31, 1 << 32, u64::MAX, 1 << 63];

/// The format with its decimal counts of 16 and more moved to the edges of the size range:
/// such a count `n` becomes `EDGES[n % 6] - (n / 6) % 16`, so counts near `isize::MAX`, 2^62,
/// 2^31, 2^32 and past `usize` are one mutation away from any count (smaller ones, which
/// pick alignments and sub-array shapes, stay as they are).
fn edge_counts(fmt: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    for c in fmt.chars().chain(std::iter::once('\u{0}')) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if !digits.is_empty() {
            let n: u64 = digits.parse().unwrap_or(u64::MAX);
            let edge = if n < 16 { n } else { EDGES[(n % 6) as usize] - (n / 6) % 16 };
            out.push_str(&edge.to_string());
            digits.clear();
        }
        if c != '\u{0}' {
            out.push(c);
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    // Inputs that start with 0xED have their counts moved to the edges (`edge_counts`).
    let (edge, data) = match data.split_first() {
        Some((&0xED, rest)) => (true, rest),
        _ => (false, data),
    };
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let (fmt, rest) = data.split_at(split);
    let Ok(fmt) = std::str::from_utf8(fmt) else { return };
    let edged;
    let fmt = if edge {
        edged = edge_counts(fmt);
        edged.as_str()
    } else {
        fmt
    };
    let bytes = rest.get(1..).unwrap_or(&[]);
    if let Ok(s) = Struct::new(fmt) {
        if s.size() <= bytes.len() {
            let record = &bytes[..s.size()];
            if let Ok(values) = s.unpack(record) {
                // What unpacks packs back to the same bytes, except where packing normalises
                // (bools, pad bytes, Pascal strings, NaN payloads): repacking is idempotent.
                if let Ok(packed) = s.pack(&values) {
                    let again = s.unpack(&packed).expect("packed bytes unpack");
                    assert_eq!(s.pack(&again).expect("repack"), packed);
                }
            }
        }
    }
    if let Ok(l) = Layout::parse(fmt) {
        if l.itemsize() <= bytes.len() && l.itemsize() <= 1 << 16 {
            if let Ok(v) = l.unpack(bytes) {
                let _ = l.pack(&v);
            }
        }
        // The canonical spelling parses again, to a layout of the same size.
        let text = l.to_format();
        let again = Layout::parse(&text).unwrap_or_else(|e| panic!("{fmt:?} -> {text:?}: {e}"));
        assert_eq!(again.itemsize(), l.itemsize(), "{fmt:?} -> {text:?}");
    }
});
